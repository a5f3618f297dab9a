//! S3 as the engine's object store (`crate::engine::ports::ObjectStore`): the artifact store,
//! the S3 source and the S3 deploy target, without HTTP.

use super::errors::{ErrorCode, S3Error};
use super::model::Versioning;
use super::service::{ObjectStore, PutOptions};
use crate::clock::Timestamp;
use crate::engine::ports::{self, ObjectHeaders, PortError, PutResult, StoredObject};

fn port_error(bucket: &str, key: &str, e: S3Error) -> PortError {
    match e.code {
        ErrorCode::NoSuchBucket => PortError::NoSuchBucket(bucket.to_string()),
        ErrorCode::NoSuchKey | ErrorCode::NoSuchVersion => {
            PortError::NoSuchKey(format!("s3://{bucket}/{key}"))
        }
        _ => PortError::Other(format!("s3://{bucket}/{key}: {}", e.message)),
    }
}

impl ports::ObjectStore for ObjectStore {
    fn ensure_bucket(&self, account: &str, region: &str, bucket: &str) -> Result<bool, PortError> {
        if self.bucket(bucket).is_ok() {
            return Ok(false);
        }
        match self.create_bucket(bucket, region, account) {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::BucketAlreadyOwnedByYou => Ok(false),
            Err(e) => Err(PortError::Other(format!(
                "creating bucket {bucket}: {}",
                e.message
            ))),
        }
    }

    fn bucket_exists(&self, bucket: &str) -> bool {
        self.bucket(bucket).is_ok()
    }

    fn versioning_enabled(&self, bucket: &str) -> Result<bool, PortError> {
        self.bucket(bucket)
            .map(|b| b.versioning == Versioning::Enabled)
            .map_err(|e| port_error(bucket, "", e))
    }

    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<StoredObject, PortError> {
        let (v, file) = ObjectStore::get_object(self, bucket, key, version_id)
            .map_err(|e| port_error(bucket, key, e))?;
        Ok(StoredObject {
            file,
            size: v.size,
            etag: v.etag.clone(),
            version_id: (!v.is_null_version()).then(|| v.version_id.clone()),
            last_modified: Timestamp(v.last_modified),
            metadata: v.metadata.clone(),
        })
    }

    fn put_object_file(
        &self,
        bucket: &str,
        key: &str,
        file: &mut std::fs::File,
        headers: ObjectHeaders,
    ) -> Result<PutResult, PortError> {
        let mut opts = PutOptions {
            metadata: headers.metadata,
            ..Default::default()
        };
        opts.headers.content_type = headers.content_type;
        opts.headers.cache_control = headers.cache_control;
        let v = ObjectStore::put_object_open_file(self, bucket, key, file, opts)
            .map_err(|e| port_error(bucket, key, e))?;
        Ok(PutResult {
            etag: v.etag.clone(),
            version_id: (!v.is_null_version()).then(|| v.version_id.clone()),
        })
    }
}

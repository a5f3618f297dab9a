//! The conveniences other services (pipeline artifact store, CodeBuild, CodeDeploy) call on
//! [`ObjectStore`] without HTTP: ensure a bucket, put an object from memory or a file, get it
//! as an open file or bytes, head, list, delete. They block on file I/O.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::checksum::BodyDigests;
use super::errors::{ErrorCode, S3Error};
use super::listing::{self, ListQuery};
use super::model::ObjectVersion;
use super::service::{DeleteOutcome, ObjectStore, PutOptions};

impl ObjectStore {
    /// Writes an object from memory.
    pub fn put_object_bytes(
        &self,
        bucket: &str,
        key: &str,
        data: &[u8],
        opts: PutOptions,
    ) -> Result<ObjectVersion, S3Error> {
        let owner = self.bucket(bucket)?.account;
        let mut w = self.blobs().create(BodyDigests::new(&[], false))?;
        w.write(data)?;
        let blob = w.finish()?;
        let origin = self.internal_origin(&owner);
        Ok(self
            .commit_object(bucket, key, blob, opts, &origin, "PutObject")?
            .0)
    }

    /// Writes an object from a file (streamed, never read whole into memory).
    pub fn put_object_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        opts: PutOptions,
    ) -> Result<ObjectVersion, S3Error> {
        let mut src = File::open(path)?;
        self.put_object_open_file(bucket, key, &mut src, opts)
    }

    /// Writes an object from an open file, from its current position to its end.
    pub fn put_object_open_file(
        &self,
        bucket: &str,
        key: &str,
        src: &mut File,
        opts: PutOptions,
    ) -> Result<ObjectVersion, S3Error> {
        use std::io::Seek;
        let owner = self.bucket(bucket)?.account;
        let len = src.metadata()?.len().saturating_sub(src.stream_position()?);
        let mut w = self.blobs().create(BodyDigests::new(&[], false))?;
        w.append_file(src, len)?;
        let blob = w.finish()?;
        let origin = self.internal_origin(&owner);
        Ok(self
            .commit_object(bucket, key, blob, opts, &origin, "PutObject")?
            .0)
    }

    /// An object's record and an open file of its bytes (the file stays readable even if the
    /// object is overwritten or deleted meanwhile).
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(ObjectVersion, File), S3Error> {
        let (v, _, file) = self.open_object(bucket, key, version_id)?;
        Ok((v, file))
    }

    /// An object's record and its bytes in memory (for small objects).
    pub fn get_object_bytes(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(ObjectVersion, Vec<u8>), S3Error> {
        let (v, mut file) = self.get_object(bucket, key, version_id)?;
        let mut data = Vec::with_capacity(v.size as usize);
        file.read_to_end(&mut data)?;
        Ok((v, data))
    }

    /// An object's record without its bytes.
    pub fn head_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectVersion, S3Error> {
        Ok(self.object(bucket, key, version_id)?.0)
    }

    /// Every current object under `prefix`, in key order.
    pub fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectVersion>, S3Error> {
        self.read_bucket(bucket, |b| {
            let q = ListQuery {
                prefix,
                max: usize::MAX,
                ..Default::default()
            };
            listing::list_objects(b, &q).contents
        })
    }

    /// Deletes an object (a delete marker on versioned buckets).
    pub fn remove_object(&self, bucket: &str, key: &str) -> Result<DeleteOutcome, S3Error> {
        let owner = self.bucket(bucket)?.account;
        let origin = self.internal_origin(&owner);
        self.delete_object(bucket, key, None, &origin)
    }

    /// Creates a bucket in the default region and account (no error if it exists already).
    pub fn ensure_bucket(&self, name: &str) -> Result<(), S3Error> {
        let region = self.default_region().to_string();
        let account = self.default_account().to_string();
        match self.create_bucket(name, &region, &account) {
            Ok(_) => Ok(()),
            Err(e) if e.code == ErrorCode::BucketAlreadyOwnedByYou => Ok(()),
            Err(e) => Err(e),
        }
    }
}

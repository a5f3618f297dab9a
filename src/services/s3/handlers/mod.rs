//! S3 handlers: decode the request, validate, one call into [`ObjectStore`], encode the answer.
//! `bucket.rs` has the bucket operations and listings, `object.rs` the object operations,
//! `multipart.rs` the multipart ones; this module routes an operation to its handler and turns
//! every error into S3's XML `<Error>`.

mod bucket;
mod multipart;
mod object;

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::protocol::RequestContext;

use super::errors::S3Error;
use super::events::Origin;
use super::http::header;
use super::request::{Op, Target};
use super::service::ObjectStore;
use super::validate;

/// Largest XML request body (DeleteObjects with 1,000 long keys fits).
const MAX_XML_BODY: usize = 4 * 1024 * 1024;

/// One request on its way through a handler.
pub struct Call {
    pub req: HttpRequest,
    pub ctx: RequestContext,
    pub s3: ObjectStore,
    pub target: Target,
    /// S3-style request id (16 upper-case hex digits).
    pub request_id: String,
}

impl Call {
    /// The bucket of a bucket or object operation (the router guarantees one).
    pub fn bucket(&self) -> &str {
        self.target.bucket.as_deref().unwrap_or("")
    }

    /// The key of an object operation (the router guarantees one).
    pub fn key(&self) -> &str {
        self.target.key.as_deref().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.req, name)
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.target.query.get(name)
    }

    pub fn origin(&self) -> Origin {
        Origin {
            request_id: self.request_id.clone(),
            account: self.ctx.account_id.clone(),
            source_ip: self
                .req
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_else(|| "127.0.0.1".into()),
        }
    }
}

/// Serves one S3 request.
pub async fn handle(call: Call, payload: web::Payload) -> HttpResponse {
    let method = call.req.method().clone();
    let op = call
        .target
        .operation(&method, call.header("x-amz-copy-source").is_some());
    tracing::debug!(?op, "s3 request");
    let result = route(&call, op, payload).await;
    match result {
        Ok(resp) => resp,
        Err(e) => {
            if e.code.status() >= 500 {
                tracing::warn!(resource = %call.target.resource, error = %e, "s3 request failed");
            } else {
                tracing::debug!(resource = %call.target.resource, error = %e, "s3 request refused");
            }
            e.to_response(
                &call.target.resource,
                &call.request_id,
                method == Method::HEAD,
            )
        }
    }
}

async fn route(call: &Call, op: Op, payload: web::Payload) -> Result<HttpResponse, S3Error> {
    if call.target.key.is_some() {
        validate::object_key(call.key())?;
    }
    match op {
        Op::ListBuckets => bucket::list_buckets(call),
        Op::CreateBucket => bucket::create_bucket(call, payload).await,
        Op::HeadBucket => bucket::head_bucket(call),
        Op::DeleteBucket => bucket::delete_bucket(call),
        Op::GetBucketLocation => bucket::get_bucket_location(call),
        Op::PutBucketVersioning => bucket::put_bucket_versioning(call, payload).await,
        Op::GetBucketVersioning => bucket::get_bucket_versioning(call),
        Op::PutBucketTagging => bucket::put_bucket_tagging(call, payload).await,
        Op::GetBucketTagging => bucket::get_bucket_tagging(call),
        Op::DeleteBucketTagging => bucket::delete_bucket_tagging(call),
        Op::PutBucketNotificationConfiguration => bucket::put_notification(call, payload).await,
        Op::GetBucketNotificationConfiguration => bucket::get_notification(call),
        Op::ListObjects => bucket::list_objects(call, false),
        Op::ListObjectsV2 => bucket::list_objects(call, true),
        Op::ListObjectVersions => bucket::list_object_versions(call),
        Op::ListMultipartUploads => multipart::list_multipart_uploads(call),
        Op::DeleteObjects => object::delete_objects(call, payload).await,
        Op::PutObject => object::put_object(call, payload).await,
        Op::CopyObject => object::copy_object(call).await,
        Op::GetObject => object::get_object(call, false).await,
        Op::HeadObject => object::get_object(call, true).await,
        Op::DeleteObject => object::delete_object(call),
        Op::GetObjectTagging => object::get_object_tagging(call),
        Op::PutObjectTagging => object::put_object_tagging(call, payload).await,
        Op::DeleteObjectTagging => object::delete_object_tagging(call),
        Op::CreateMultipartUpload => multipart::create_multipart_upload(call),
        Op::UploadPart => multipart::upload_part(call, payload).await,
        Op::UploadPartCopy => multipart::upload_part_copy(call).await,
        Op::CompleteMultipartUpload => multipart::complete_multipart_upload(call, payload).await,
        Op::AbortMultipartUpload => multipart::abort_multipart_upload(call),
        Op::ListParts => multipart::list_parts(call),
        Op::NotImplemented(what) => Err(S3Error::not_implemented(&format!(
            "The S3 operation `{what}`"
        ))),
        Op::MethodNotAllowed => Err(S3Error::new(super::errors::ErrorCode::MethodNotAllowed)
            .detail("Method", call.req.method().as_str())
            .detail(
                "ResourceType",
                if call.target.key.is_some() {
                    "OBJECT"
                } else {
                    "BUCKET"
                },
            )),
    }
}

/// Runs blocking file work (copies, multipart assembly) off the request thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::internal(format!("a blocking task failed: {e}")))?
}

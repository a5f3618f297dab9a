//! S3: the REST-XML slice pipelines use as their artifact store, on the shared port.
//!
//! Takes requests without `X-Amz-Target` that are signed for `s3` (header or presigned query)
//! or not signed at all, except git's `/v1/repos/...`; S3 is the last fallback. Path-style and
//! virtual-hosted-style addressing both work.
//!
//! Layout: `request.rs` (addressing, operation table), `handlers/` (thin handlers),
//! `upload.rs` + `chunked.rs` + `checksum.rs` (receiving and verifying bodies), `service.rs` +
//! `multipart.rs` ([`ObjectStore`], the domain and the handle other services use), `state.rs`
//! (metadata in memory, written through to the store), `storage.rs` (bytes on disk),
//! `listing.rs`, `events.rs`, `model.rs`, `errors.rs`, `validate.rs`, `http.rs`, `xml.rs`.
//!
//! Not offered (answered `501 NotImplemented`): ACLs, policies, CORS, lifecycle, website,
//! encryption configuration, object lock, replication, inventory/analytics/metrics, select,
//! restore, browser POST uploads, and bucket notifications other than EventBridge.
//! Server-side encryption and storage-class headers are accepted and not acted upon.

pub mod checksum;
pub mod chunked;
pub mod errors;
pub mod events;
mod handlers;
pub mod http;
mod internal;
pub mod listing;
pub mod model;
pub mod multipart;
pub mod port;
pub mod request;
pub mod service;
pub mod state;
pub mod storage;
pub mod upload;
pub mod validate;
pub mod xml;

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;

use crate::protocol::{RequestContext, RestService, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub use errors::{ErrorCode, S3Error};
pub use events::{EventHook, S3Event};
pub use model::ObjectVersion;
pub use service::{DeleteOutcome, ObjectStore, PutOptions};

/// The REST side of the service.
struct S3Rest {
    s3: ObjectStore,
}

/// S3's request ids are 16 upper-case hex digits.
fn s3_request_id(request_id: &str) -> String {
    let hex: String = request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect();
    hex.to_ascii_uppercase()
}

fn host_id() -> String {
    let mut bytes = [0u8; 48];
    for chunk in bytes.chunks_mut(16) {
        chunk.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..chunk.len()]);
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl RestService for S3Rest {
    fn matches(&self, req: &HttpRequest, ctx: &RequestContext) -> bool {
        if req.path().starts_with("/v1/repos/") {
            return false;
        }
        ctx.signing_service.as_deref().is_none_or(|s| s == "s3")
    }

    fn fault(&self, req: &HttpRequest, message: &str, request_id: &str) -> HttpResponse {
        S3Error::with_message(ErrorCode::InternalError, message).to_response(
            req.path(),
            request_id,
            req.method() == Method::HEAD,
        )
    }

    fn handle(
        &self,
        req: HttpRequest,
        payload: web::Payload,
        ctx: RequestContext,
    ) -> LocalBoxFuture<'static, HttpResponse> {
        let s3 = self.s3.clone();
        Box::pin(async move {
            let request_id = s3_request_id(&ctx.request_id);
            let head = req.method() == Method::HEAD;
            let resource = req.path().to_string();
            let served = std::panic::AssertUnwindSafe(async {
                match request::Target::parse(&req) {
                    Ok(target) => {
                        let call = handlers::Call {
                            req: req.clone(),
                            ctx,
                            s3,
                            target,
                            request_id: request_id.clone(),
                        };
                        handlers::handle(call, payload).await
                    }
                    Err(e) => e.to_response(&resource, &request_id, head),
                }
            })
            .catch_unwind()
            .await;
            let mut resp = served.unwrap_or_else(|_| {
                tracing::error!(%resource, "an S3 handler panicked");
                S3Error::new(ErrorCode::InternalError).to_response(&resource, &request_id, head)
            });
            let headers = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                headers.insert(HeaderName::from_static("x-amz-request-id"), v);
            }
            if let Ok(v) = HeaderValue::from_str(&host_id()) {
                headers.insert(HeaderName::from_static("x-amz-id-2"), v);
            }
            resp
        })
    }
}

struct Handle {
    s3: ObjectStore,
}

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn reset(&self) {
        self.s3.reset();
    }
}

/// Opens the S3 service on the store, registers it with the router (REST, after any service
/// registered before it) and returns the handle other services use.
pub fn register(
    router: &mut Router,
    settings: &Settings,
    store: Arc<Store>,
) -> Result<ObjectStore, String> {
    let s3 = ObjectStore::open(store, &settings.region, &settings.account_id)?;
    router.add_rest(Box::new(S3Rest { s3: s3.clone() }));
    router.add_service(Arc::new(Handle { s3: s3.clone() }));
    Ok(s3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        let id = s3_request_id("0b6a4f7e-2c0d-4a8e-9d51-3f1e2a7c9b10");
        assert_eq!(id, "0B6A4F7E2C0D4A8E");
        assert!(!host_id().is_empty());
    }
}

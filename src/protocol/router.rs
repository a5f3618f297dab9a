//! The one entry point of the server: every request on the port comes through [`dispatch`].
//!
//! Order (first match wins): admin paths (`/_simfra/...`), JSON 1.1 by `X-Amz-Target`, then the
//! registered REST services in registration order (git smart HTTP before S3), and finally an
//! error. Nothing a client sends reaches a panic or a 500: handler faults are rendered as AWS
//! errors and the server keeps serving.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt, StreamExt};
use tracing::Instrument;

use super::admin;
use super::context::RequestContext;
use super::error::ApiError;
use super::json::JsonService;
use super::sigv4;
use crate::store::Store;

/// A service that speaks a REST protocol on the shared port (S3 REST-XML, git smart HTTP).
pub trait RestService: Send + Sync {
    /// Whether this service takes the request (called in registration order).
    fn matches(&self, req: &HttpRequest, ctx: &RequestContext) -> bool;
    /// Serves the request; the body is streamed, not buffered, and not size-limited here.
    fn handle(
        &self,
        req: HttpRequest,
        payload: web::Payload,
        ctx: RequestContext,
    ) -> LocalBoxFuture<'static, HttpResponse>;
    /// A server fault answered in this service's protocol instead of what the request was
    /// answered with (see [`dispatch`]). Plain text unless the service says otherwise.
    fn fault(&self, req: &HttpRequest, message: &str, request_id: &str) -> HttpResponse {
        let _ = (req, request_id);
        HttpResponse::InternalServerError()
            .insert_header(("Content-Type", "text/plain; charset=utf-8"))
            .body(format!("{message}\n"))
    }
}

/// What the admin endpoints need from a service: its name, its state, and a way to wipe it.
pub trait ServiceHandle: Send + Sync {
    fn name(&self) -> &'static str;
    /// A short state for `/_simfra/health`, e.g. `running` or `not implemented yet`.
    fn state(&self) -> String {
        "running".to_string()
    }
    /// Wipes the service's state, in memory and in the store.
    fn reset(&self);
    /// Stops background work (threads, timers) once the server has stopped serving.
    fn shutdown(&self) {}
}

/// Everything the entry point routes to; built once at start-up.
pub struct Router {
    pub default_region: String,
    pub default_account: String,
    pub max_body_bytes: usize,
    pub docker_enabled: bool,
    /// Why Docker cannot be used although `SIMFRA_DOCKER` is on (shown by `/_simfra/health`).
    pub docker_unavailable: Option<String>,
    /// The Docker network the containers simfra starts join, when simfra runs in a container.
    pub container_network: Option<String>,
    json: HashMap<&'static str, JsonService>,
    rest: Vec<Box<dyn RestService>>,
    services: Vec<Arc<dyn ServiceHandle>>,
    /// Called by `/_simfra/reset` after the services were reset (wipes the store).
    pub on_reset: Option<Box<dyn Fn() + Send + Sync>>,
    /// The store whose queued writes must be durable before a request is answered: what a
    /// client was told (or could read) survives a crash.
    pub store: Option<Arc<Store>>,
    /// The address the server bound, once it has (services that hand out URLs read it).
    pub bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
    /// More addresses to listen on, on the same port (e.g. the Docker bridge gateway, so that
    /// build containers reach a server bound to loopback).
    pub extra_binds: Vec<std::net::IpAddr>,
}

impl Router {
    pub fn new(
        default_region: &str,
        default_account: &str,
        max_body_bytes: usize,
        docker: bool,
    ) -> Self {
        Router {
            default_region: default_region.to_string(),
            default_account: default_account.to_string(),
            max_body_bytes,
            docker_enabled: docker,
            docker_unavailable: None,
            container_network: None,
            json: HashMap::new(),
            rest: Vec::new(),
            services: Vec::new(),
            on_reset: None,
            store: None,
            bound: Arc::new(std::sync::OnceLock::new()),
            extra_binds: Vec::new(),
        }
    }

    pub fn add_json(&mut self, service: JsonService) {
        self.json.insert(service.target_prefix, service);
    }

    pub fn add_rest(&mut self, service: Box<dyn RestService>) {
        self.rest.push(service);
    }

    pub fn add_service(&mut self, handle: Arc<dyn ServiceHandle>) {
        self.services.push(handle);
    }

    /// Stops every service's background work (after the HTTP server stopped).
    pub fn shutdown(&self) {
        for s in &self.services {
            s.shutdown();
        }
        // The data directory is released for the next server, even if some service's thread
        // outlives this one.
        if let Some(store) = &self.store {
            store.close();
        }
    }

    pub fn services(&self) -> &[Arc<dyn ServiceHandle>] {
        &self.services
    }

    pub fn json_services(&self) -> impl Iterator<Item = &JsonService> {
        self.json.values()
    }

    /// Builds the request context from the headers (and presigned query parameters).
    pub fn context(&self, req: &HttpRequest) -> RequestContext {
        let headers = req.headers();
        let scope = header(headers, "authorization")
            .and_then(sigv4::parse_authorization)
            .or_else(|| presigned_scope(req.query_string()));
        let (region, access_key, service) = match scope {
            Some(s) => (s.region, Some(s.access_key), Some(s.service)),
            None => (self.default_region.clone(), None, None),
        };
        // A 12-digit access key id names the account, as AWS's own test keys sometimes do.
        let account_id = match &access_key {
            Some(k) if k.len() == 12 && k.bytes().all(|b| b.is_ascii_digit()) => k.clone(),
            _ => self.default_account.clone(),
        };
        RequestContext {
            request_id: super::context::new_request_id(),
            region,
            account_id,
            access_key,
            signing_service: service,
            host: header(headers, "host").unwrap_or("localhost").to_string(),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn presigned_scope(query: &str) -> Option<sigv4::CredentialScope> {
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-Credential="))?;
    sigv4::parse_credential(&percent_decode(raw))
}

/// Decodes `%XX` escapes and `+` (query strings); invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The single actix-web handler behind every path and method.
pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    router: web::Data<Arc<Router>>,
) -> HttpResponse {
    // Without a data directory nothing is queued: there is nothing to wait for.
    let Some(store) = router.store.as_ref().filter(|s| s.is_persistent()) else {
        return route(req, payload, &router).await;
    };
    let kept = req.clone();
    let response = route(req, payload, &router).await;
    // Writes queued without waiting (the engine's) may be what this answer shows or caused:
    // it goes out once they are on disk, and not at all while they cannot be written.
    match store.durable() {
        Ok(()) => response,
        Err(e) => not_persisted(&router, &kept, &response, &e.to_string()),
    }
}

/// What a request is answered with instead while the store holds writes it could not
/// commit: a server fault in the request's protocol, with the request id of the answer it
/// replaces (the client may retry; the store keeps trying to write).
fn not_persisted(
    router: &Router,
    req: &HttpRequest,
    replaced: &HttpResponse,
    message: &str,
) -> HttpResponse {
    let request_id = ["x-amzn-RequestId", "x-amz-request-id"]
        .iter()
        .find_map(|h| replaced.headers().get(*h)?.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(super::context::new_request_id);
    if header(req.headers(), "x-amz-target").is_some() || req.path().starts_with("/_simfra/") {
        return ApiError::internal(message).to_json_response(&request_id);
    }
    let ctx = router.context(req);
    match router.rest.iter().find(|s| s.matches(req, &ctx)) {
        Some(service) => service.fault(req, message, &request_id),
        None => ApiError::internal(message).to_json_response(&request_id),
    }
}

async fn route(req: HttpRequest, payload: web::Payload, router: &Router) -> HttpResponse {
    if req.path().starts_with("/_simfra/") {
        return admin::handle(&req, router);
    }
    let ctx = router.context(&req);
    if let Some(target) = header(req.headers(), "x-amz-target") {
        let target = target.to_string();
        let declared_len = header(req.headers(), "content-length").and_then(|v| v.parse().ok());
        let span =
            tracing::debug_span!("request", request_id = %ctx.request_id, operation = %target);
        return dispatch_json(router, target, declared_len, payload, ctx)
            .instrument(span)
            .await;
    }
    for service in &router.rest {
        if service.matches(&req, &ctx) {
            let span = tracing::debug_span!("request", request_id = %ctx.request_id, method = %req.method(), path = %req.path());
            return service.handle(req, payload, ctx).instrument(span).await;
        }
    }
    ApiError::client(
        "UnknownOperationException",
        "The request names no operation: send an X-Amz-Target header (JSON services) or a SigV4-signed S3 request",
    )
    .to_json_response(&ctx.request_id)
}

async fn dispatch_json(
    router: &Router,
    target: String,
    declared_len: Option<usize>,
    payload: web::Payload,
    ctx: RequestContext,
) -> HttpResponse {
    let request_id = ctx.request_id.clone();
    let Some((prefix, operation)) = target.rsplit_once('.') else {
        return ApiError::unknown_operation(&target).to_json_response(&request_id);
    };
    let Some(handler) = router
        .json
        .get(prefix)
        .and_then(|service| service.handler(operation))
        .cloned()
    else {
        return ApiError::unknown_operation(&target).to_json_response(&request_id);
    };
    // A declared length over the limit is refused before any of the body is read.
    if declared_len.is_some_and(|len| len > router.max_body_bytes) {
        return body_too_large(router.max_body_bytes).to_json_response(&request_id);
    }
    let body = match read_body(payload, router.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return e.to_json_response(&request_id),
    };
    // A handler that panics is a bug; it must not take the connection or the worker with it.
    // Synchronous operations run while the future is made, asynchronous ones while it is
    // polled: both are caught.
    let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(ctx, body)))
    {
        Ok(future) => std::panic::AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let result = match result {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%target, "handler panicked: {msg}");
            Err(ApiError::internal(format!(
                "internal error while handling {target}"
            )))
        }
    };
    match result {
        Ok(body) => HttpResponse::Ok()
            .insert_header(("Content-Type", "application/x-amz-json-1.1"))
            .insert_header(("x-amzn-RequestId", request_id))
            .body(body),
        Err(e) => {
            if e.status >= 500 {
                tracing::warn!(%target, error = %e, "request failed");
            } else {
                tracing::debug!(%target, error = %e, "request rejected");
            }
            e.to_json_response(&request_id)
        }
    }
}

/// Reads a whole request body, refusing more than `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::serialization(format!("reading the request body failed: {e}"))
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(body_too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn body_too_large(limit: usize) -> ApiError {
    ApiError::with_status(
        413,
        "RequestEntityTooLargeException",
        format!("The request body is larger than the limit of {limit} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%20c+d"), "a/b c d");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

//! AWS errors as the JSON 1.1 protocol renders them.
//!
//! Every service maps its own error enum (one table per service, in its `errors.rs`) into
//! [`ApiError`]; this module turns that into the HTTP response: status, `__type`, `message`,
//! `x-amzn-RequestId` and `X-Amzn-ErrorType`.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

/// One AWS error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    /// A client error (400), the status of every modelled exception of the JSON services.
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }

    pub fn with_status(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    pub fn unknown_operation(target: &str) -> Self {
        Self::client(
            "UnknownOperationException",
            format!("Operation '{target}' is not supported by this server"),
        )
    }

    /// A fault on our side; rendered as 500 so clients may retry.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::with_status(500, "InternalFailure", message)
    }

    /// Renders the error in the JSON 1.1 form.
    pub fn to_json_response(&self, request_id: &str) -> HttpResponse {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            code: &'a str,
            message: &'a str,
        }
        let body = serde_json::to_vec(&Body {
            code: &self.code,
            message: &self.message,
        })
        .unwrap_or_default();
        HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST))
            .insert_header(("Content-Type", "application/x-amz-json-1.1"))
            .insert_header(("x-amzn-RequestId", request_id))
            .insert_header(("X-Amzn-ErrorType", self.code.as_ref()))
            .body(body)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(format!("persisting the change failed: {e}"))
    }
}

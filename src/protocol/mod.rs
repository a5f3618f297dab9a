//! The protocol ring: HTTP and the AWS wire formats, and nothing of pipelines.
//!
//! Owns request routing (`X-Amz-Target` tables for JSON 1.1 services, pluggable REST services
//! such as S3 and git), SigV4 header parsing, the request context, AWS error rendering, shape
//! validation helpers and the wire types shared by every service. It names no particular
//! service: start-up registers each service's table (see `crate::server`).

pub mod admin;
pub mod context;
pub mod error;
pub mod json;
pub mod router;
pub mod sigv4;
pub mod types;
pub mod validate;

pub use context::RequestContext;
pub use error::ApiError;
pub use json::JsonService;
pub use router::{RestService, Router, ServiceHandle};
pub use types::{AwsEnum, Timestamp};

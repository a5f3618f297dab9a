//! JSON 1.1 services: an operation table per `X-Amz-Target` prefix, typed decoding of request
//! bodies with AWS's errors for what does not decode, and encoding of responses.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::RequestContext;
use super::error::ApiError;

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, ApiError>> + Send>>;
/// One operation: request context and raw body in, response body (JSON) out.
pub type JsonHandler = Arc<dyn Fn(RequestContext, Bytes) -> HandlerFuture + Send + Sync>;

/// The operation table of one JSON 1.1 service.
pub struct JsonService {
    /// `X-Amz-Target` prefix, e.g. `CodePipeline_20150709`.
    pub target_prefix: &'static str,
    /// Name shown in `/_simfra/health` and logs, e.g. `codepipeline`.
    pub name: &'static str,
    ops: HashMap<&'static str, JsonHandler>,
}

impl JsonService {
    pub fn new(target_prefix: &'static str, name: &'static str) -> Self {
        JsonService {
            target_prefix,
            name,
            ops: HashMap::new(),
        }
    }

    /// Registers a synchronous operation with typed input and output.
    pub fn op<I, O, E, F>(mut self, name: &'static str, f: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<ApiError> + 'static,
        F: Fn(&RequestContext, I) -> Result<O, E> + Send + Sync + 'static,
    {
        let handler: JsonHandler = Arc::new(move |ctx: RequestContext, body: Bytes| {
            let result = decode::<I>(&body)
                .and_then(|input| f(&ctx, input).map_err(Into::into))
                .and_then(|out| encode(&out));
            Box::pin(std::future::ready(result)) as HandlerFuture
        });
        self.ops.insert(name, handler);
        self
    }

    /// Registers an asynchronous operation with typed input and output.
    pub fn op_async<I, O, E, F, Fut>(mut self, name: &'static str, f: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<ApiError> + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        F: Fn(RequestContext, I) -> Fut + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let handler: JsonHandler = Arc::new(move |ctx: RequestContext, body: Bytes| {
            let f = f.clone();
            Box::pin(async move {
                let input = decode::<I>(&body)?;
                let out = f(ctx, input).await.map_err(Into::into)?;
                encode(&out)
            }) as HandlerFuture
        });
        self.ops.insert(name, handler);
        self
    }

    /// Registers an operation that exists in the model but is not built yet: it answers a
    /// clear error naming what is missing, never a fake success.
    pub fn not_yet(mut self, name: &'static str, what: &'static str) -> Self {
        let handler: JsonHandler = Arc::new(move |_ctx, _body| {
            Box::pin(std::future::ready(Err(ApiError::client(
                "UnknownOperationException",
                format!("{name} is not implemented in simfra yet: {what}"),
            )))) as HandlerFuture
        });
        self.ops.insert(name, handler);
        self
    }

    pub fn handler(&self, operation: &str) -> Option<&JsonHandler> {
        self.ops.get(operation)
    }

    pub fn operations(&self) -> impl Iterator<Item = &&'static str> {
        self.ops.keys()
    }
}

/// Encodes a response body.
pub fn encode<O: Serialize>(out: &O) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(out).map_err(|e| ApiError::internal(format!("encoding the response: {e}")))
}

/// Decodes a request body. An empty body is `{}`. Syntax errors and wrong JSON types are
/// `SerializationException`; a missing or null required member is AWS's `ValidationException`
/// with the member's path.
pub fn decode<I: DeserializeOwned>(body: &[u8]) -> Result<I, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: I = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = aws_path(err.path());
        let inner = err.into_inner();
        let text = inner.to_string();
        if inner.is_data() {
            if let Some(field) = missing_field(&text) {
                let full = if path.is_empty() {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                return ApiError::validation(format!(
                    "1 validation error detected: Value null at '{full}' failed to satisfy constraint: Member must not be null"
                ));
            }
            if text.starts_with("invalid type: null") {
                return ApiError::validation(format!(
                    "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
                ));
            }
            let at = if path.is_empty() { String::new() } else { format!(" at '{path}'") };
            return ApiError::serialization(format!("{}{at}", strip_position(&text)));
        }
        ApiError::serialization(format!("The request body is not valid JSON: {text}"))
    })?;
    // Trailing garbage after the object is a syntax error too.
    de.end()
        .map_err(|e| ApiError::serialization(format!("The request body is not valid JSON: {e}")))?;
    Ok(value)
}

fn missing_field(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn strip_position(text: &str) -> &str {
    match text.find(" at line ") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// serde's path (`pipeline.stages[1].name`) in AWS's form (`pipeline.stages.2.member.name`).
fn aws_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!(".{}.member", index + 1)),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        #[allow(dead_code)]
        stages: Vec<Inner>,
        #[serde(default)]
        #[allow(dead_code)]
        max_results: Option<i64>,
    }

    #[test]
    fn missing_member_is_validation_with_path() {
        let e = decode::<Outer>(br#"{"stages":[{"name":"a"},{}]}"#).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(
            e.message.contains("'stages.2.member.name'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn wrong_type_is_serialization() {
        let e = decode::<Outer>(br#"{"stages":[],"maxResults":"x"}"#).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        assert!(e.message.contains("maxResults"), "{}", e.message);
    }

    #[test]
    fn malformed_json_is_serialization() {
        assert_eq!(
            decode::<Outer>(b"{\"stages\":").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            decode::<Outer>(b"{\"stages\":[]} x").unwrap_err().code,
            "SerializationException"
        );
    }

    #[test]
    fn empty_body_is_empty_object() {
        #[derive(Deserialize)]
        struct AllOptional {
            #[allow(dead_code)]
            next_token: Option<String>,
        }
        assert!(decode::<AllOptional>(b"").is_ok());
        assert!(decode::<AllOptional>(b"  ").is_ok());
    }

    #[test]
    fn null_required_member_is_validation() {
        let e = decode::<Outer>(br#"{"stages":null}"#).unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }
}

//! The S3 error table: every error this service answers, with its code, HTTP status and default
//! message in one place, and its rendering as S3's XML `<Error>` document.
//!
//! S3 differs from the JSON services: errors are XML, statuses vary per code (404, 409, 412,
//! 416, 501...), some carry extra elements (`<Key>`, `<BucketName>`, `<UploadId>`...), and
//! answers to HEAD requests have no body at all (clients read the status alone).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::xml::XmlWriter;

/// Declares the error table: `Variant = ("Code", status, "default message")`.
macro_rules! error_table {
    ($($variant:ident = ($code:literal, $status:literal, $message:literal)),+ $(,)?) => {
        /// Every S3 error code this service can answer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)+
        }

        impl ErrorCode {
            /// The code as S3 sends it in `<Code>`.
            pub fn code(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status S3 answers with.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            /// S3's usual message for the code.
            pub fn default_message(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message,)+
                }
            }

            #[cfg(test)]
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];
        }
    };
}

error_table! {
    AccessDenied = ("AccessDenied", 403, "Access Denied"),
    BadDigest = ("BadDigest", 400, "The Content-MD5 you specified did not match what we received."),
    BucketAlreadyExists = ("BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."),
    BucketAlreadyOwnedByYou = ("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it."),
    BucketNotEmpty = ("BucketNotEmpty", 409, "The bucket you tried to delete is not empty"),
    EntityTooLarge = ("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"),
    EntityTooSmall = ("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size."),
    IncompleteBody = ("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header"),
    InternalError = ("InternalError", 500, "We encountered an internal error. Please try again."),
    InvalidArgument = ("InvalidArgument", 400, "Invalid Argument"),
    InvalidBucketName = ("InvalidBucketName", 400, "The specified bucket is not valid."),
    InvalidDigest = ("InvalidDigest", 400, "The Content-MD5 you specified was invalid."),
    InvalidLocationConstraint = ("InvalidLocationConstraint", 400, "The specified location-constraint is not valid"),
    InvalidPart = ("InvalidPart", 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."),
    InvalidPartOrder = ("InvalidPartOrder", 400, "The list of parts was not in ascending order. Parts must be ordered by part number."),
    InvalidRange = ("InvalidRange", 416, "The requested range is not satisfiable"),
    InvalidRequest = ("InvalidRequest", 400, "Invalid Request"),
    InvalidTag = ("InvalidTag", 400, "The TagSet you have provided is invalid."),
    KeyTooLongError = ("KeyTooLongError", 400, "Your key is too long"),
    MalformedXML = ("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema"),
    MethodNotAllowed = ("MethodNotAllowed", 405, "The specified method is not allowed against this resource."),
    MissingContentLength = ("MissingContentLength", 411, "You must provide the Content-Length HTTP header."),
    NoSuchBucket = ("NoSuchBucket", 404, "The specified bucket does not exist"),
    NoSuchKey = ("NoSuchKey", 404, "The specified key does not exist."),
    NoSuchTagSet = ("NoSuchTagSet", 404, "The TagSet does not exist"),
    NoSuchUpload = ("NoSuchUpload", 404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."),
    NoSuchVersion = ("NoSuchVersion", 404, "The specified version does not exist."),
    NotImplemented = ("NotImplemented", 501, "A header or operation you provided implies functionality that is not implemented."),
    PreconditionFailed = ("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold"),
    XAmzContentSHA256Mismatch = ("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
}

/// One S3 error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub code: ErrorCode,
    pub message: String,
    /// Extra elements of the `<Error>` document, e.g. `("Key", "a/b.zip")`.
    pub details: Vec<(&'static str, String)>,
    /// Extra response headers, e.g. `x-amz-delete-marker` on a GET of a deleted key.
    pub headers: Vec<(&'static str, String)>,
}

impl S3Error {
    /// The error with S3's usual message.
    pub fn new(code: ErrorCode) -> Self {
        S3Error {
            code,
            message: code.default_message().to_string(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The error with a message of our own.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        S3Error {
            message: message.into(),
            ..S3Error::new(code)
        }
    }

    pub fn detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn no_such_bucket(bucket: &str) -> Self {
        S3Error::new(ErrorCode::NoSuchBucket).detail("BucketName", bucket)
    }

    pub fn no_such_key(key: &str) -> Self {
        S3Error::new(ErrorCode::NoSuchKey).detail("Key", key)
    }

    pub fn no_such_upload(upload_id: &str) -> Self {
        S3Error::new(ErrorCode::NoSuchUpload).detail("UploadId", upload_id)
    }

    pub fn no_such_version(key: &str, version_id: &str) -> Self {
        S3Error::new(ErrorCode::NoSuchVersion)
            .detail("Key", key)
            .detail("VersionId", version_id)
    }

    pub fn invalid_argument(
        message: impl Into<String>,
        name: &str,
        value: impl Into<String>,
    ) -> Self {
        S3Error::with_message(ErrorCode::InvalidArgument, message)
            .detail("ArgumentName", name)
            .detail("ArgumentValue", value)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        S3Error::with_message(ErrorCode::InvalidRequest, message)
    }

    pub fn malformed_xml() -> Self {
        S3Error::new(ErrorCode::MalformedXML)
    }

    pub fn not_implemented(what: &str) -> Self {
        S3Error::with_message(
            ErrorCode::NotImplemented,
            format!("{what} is not implemented by this server"),
        )
    }

    pub fn precondition_failed(condition: &str) -> Self {
        S3Error::new(ErrorCode::PreconditionFailed).detail("Condition", condition)
    }

    /// A fault on our side (I/O, the store); clients may retry.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!("s3 internal error: {what}");
        S3Error::new(ErrorCode::InternalError)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// Renders the error: the XML document, or only the status and headers for a HEAD request.
    pub fn to_response(&self, resource: &str, request_id: &str, head: bool) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status());
        for (name, value) in &self.headers {
            builder.insert_header((*name, value.as_str()));
        }
        if head {
            return builder.finish();
        }
        let mut xml = XmlWriter::new();
        xml.open("Error");
        xml.elem("Code", self.code.code());
        xml.elem("Message", &self.message);
        for (name, value) in &self.details {
            xml.elem(name, value);
        }
        xml.elem("Resource", resource);
        xml.elem("RequestId", request_id);
        xml.close("Error");
        builder
            .insert_header(("Content-Type", "application/xml"))
            .body(xml.finish())
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.code(), self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<crate::store::StoreError> for S3Error {
    fn from(e: crate::store::StoreError) -> Self {
        S3Error::internal(format!("persisting the change failed: {e}"))
    }
}

impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> Self {
        S3Error::internal(format!("object storage I/O failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for code in ErrorCode::ALL {
            assert!(!code.default_message().is_empty());
            assert!((400..=599).contains(&code.status()), "{code:?}");
        }
        assert_eq!(ErrorCode::NoSuchKey.status(), 404);
        assert_eq!(ErrorCode::BucketNotEmpty.status(), 409);
        assert_eq!(ErrorCode::InvalidRange.status(), 416);
        assert_eq!(ErrorCode::NotImplemented.status(), 501);
    }

    #[test]
    fn renders_xml_with_details() {
        let e = S3Error::no_such_key("a/<b>");
        let resp = e.to_response("/bkt/a/<b>", "REQ1", false);
        assert_eq!(resp.status(), 404);
        let body = actix_web::body::to_bytes(resp.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("<Code>NoSuchKey</Code>"), "{text}");
        assert!(text.contains("<Key>a/&lt;b&gt;</Key>"), "{text}");
        assert!(text.contains("<RequestId>REQ1</RequestId>"), "{text}");
    }
}

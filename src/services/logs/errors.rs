//! CloudWatch Logs' one error table: every code this service answers, as the model names it.
//! All modelled exceptions are client errors (HTTP 400); a fault of ours (the event files or the
//! store failed) is the protocol's 500 `InternalFailure`.
//!
//! CloudWatch Logs reports broken shape constraints (length, pattern, range) as
//! `InvalidParameterException` with the usual "N validation errors detected: ..." text, not as
//! `ValidationException`; `ValidationException` is kept for deletion protection, as AWS does.

use crate::protocol::ApiError;

macro_rules! codes {
    ($($variant:ident),+ $(,)?) => {
        /// A modelled CloudWatch Logs exception (the wire code is the name plus `Exception`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant),+ }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => concat!(stringify!($variant), "Exception")),+ }
            }
        }
    };
}

codes!(
    InvalidParameter,
    ResourceAlreadyExists,
    ResourceNotFound,
    LimitExceeded,
    OperationAborted,
    TooManyTags,
    Validation,
    InvalidOperation,
);

/// One CloudWatch Logs error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogsError {
    /// A modelled exception.
    Api(Code, String),
    /// A fault on our side.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, LogsError>;

impl LogsError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        LogsError::Api(code, message.into())
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidParameter, message)
    }

    pub fn group_missing() -> Self {
        Self::new(
            Code::ResourceNotFound,
            "The specified log group does not exist.",
        )
    }

    pub fn stream_missing() -> Self {
        Self::new(
            Code::ResourceNotFound,
            "The specified log stream does not exist.",
        )
    }

    pub fn group_exists() -> Self {
        Self::new(
            Code::ResourceAlreadyExists,
            "The specified log group already exists",
        )
    }

    pub fn stream_exists() -> Self {
        Self::new(
            Code::ResourceAlreadyExists,
            "The specified log stream already exists",
        )
    }

    pub fn bad_token() -> Self {
        Self::invalid("The specified nextToken is invalid.")
    }

    pub fn code(&self) -> &'static str {
        match self {
            LogsError::Api(c, _) => c.as_str(),
            LogsError::Internal(_) => "InternalFailure",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            LogsError::Api(_, m) | LogsError::Internal(m) => m,
        }
    }
}

impl std::fmt::Display for LogsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for LogsError {}

impl From<LogsError> for ApiError {
    fn from(e: LogsError) -> Self {
        match e {
            LogsError::Api(c, m) => ApiError::client(c.as_str(), m),
            LogsError::Internal(m) => ApiError::internal(m),
        }
    }
}

/// The protocol's shape validation answers `ValidationException`; CloudWatch Logs says
/// `InvalidParameterException` with the same text.
impl From<ApiError> for LogsError {
    fn from(e: ApiError) -> Self {
        if e.status >= 500 {
            LogsError::Internal(e.message)
        } else {
            LogsError::invalid(e.message)
        }
    }
}

impl From<crate::store::StoreError> for LogsError {
    fn from(e: crate::store::StoreError) -> Self {
        LogsError::Internal(format!("persisting the change failed: {e}"))
    }
}

impl From<super::storage::StorageError> for LogsError {
    fn from(e: super::storage::StorageError) -> Self {
        use super::storage::StorageError as S;
        match e {
            // Deleted between the look-up and the read or write.
            S::Deleted => LogsError::stream_missing(),
            S::TooLarge => LogsError::invalid(e.to_string()),
            S::Full => LogsError::new(Code::LimitExceeded, e.to_string()),
            S::Io(e) => e.into(),
        }
    }
}

impl From<std::io::Error> for LogsError {
    fn from(e: std::io::Error) -> Self {
        LogsError::Internal(format!("reading or writing log events failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_render_with_the_exception_suffix() {
        let e: ApiError = LogsError::group_missing().into();
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.message, "The specified log group does not exist.");
        assert_eq!(e.status, 400);
        assert_eq!(Code::TooManyTags.as_str(), "TooManyTagsException");
        assert_eq!(Code::Validation.as_str(), "ValidationException");
        let e: ApiError = LogsError::Internal("x".into()).into();
        assert_eq!(e.status, 500);
    }

    #[test]
    fn shape_violations_become_invalid_parameter() {
        let e: LogsError = ApiError::validation("1 validation error detected: x").into();
        assert_eq!(e.code(), "InvalidParameterException");
        assert_eq!(e.message(), "1 validation error detected: x");
    }
}

//! CodeBuild's one error table. Every modelled CodeBuild exception is a client error (HTTP
//! 400); shape violations are `ValidationException` (CodeBuild's model constraints, as the
//! other JSON services answer them); a fault of ours is the protocol's 500 `InternalFailure`.

use crate::protocol::ApiError;

/// A modelled CodeBuild exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    ResourceNotFound,
    ResourceAlreadyExists,
    AccountLimitExceeded,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "InvalidInputException",
            Code::ResourceNotFound => "ResourceNotFoundException",
            Code::ResourceAlreadyExists => "ResourceAlreadyExistsException",
            Code::AccountLimitExceeded => "AccountLimitExceededException",
        }
    }
}

/// One CodeBuild error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeBuildError {
    Api(Code, String),
    Validation(String),
    Internal(String),
}

pub type Result<T> = std::result::Result<T, CodeBuildError>;

impl CodeBuildError {
    pub fn invalid(message: impl Into<String>) -> Self {
        CodeBuildError::Api(Code::InvalidInput, message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        CodeBuildError::Api(Code::ResourceNotFound, message.into())
    }

    pub fn project_missing(name: &str) -> Self {
        Self::not_found(format!("Project cannot be found: {name}"))
    }

    pub fn build_missing(id: &str) -> Self {
        Self::not_found(format!("Build {id} does not exist"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            CodeBuildError::Api(c, _) => c.as_str(),
            CodeBuildError::Validation(_) => "ValidationException",
            CodeBuildError::Internal(_) => "InternalFailure",
        }
    }
}

impl std::fmt::Display for CodeBuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeBuildError::Api(c, m) => write!(f, "{}: {m}", c.as_str()),
            CodeBuildError::Validation(m) => write!(f, "ValidationException: {m}"),
            CodeBuildError::Internal(m) => write!(f, "InternalFailure: {m}"),
        }
    }
}

impl From<CodeBuildError> for ApiError {
    fn from(e: CodeBuildError) -> Self {
        match e {
            CodeBuildError::Api(c, m) => ApiError::client(c.as_str(), m),
            CodeBuildError::Validation(m) => ApiError::validation(m),
            CodeBuildError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<ApiError> for CodeBuildError {
    /// Validation failures collected with the protocol's `Violations`.
    fn from(e: ApiError) -> Self {
        if e.status >= 500 {
            CodeBuildError::Internal(e.message)
        } else {
            CodeBuildError::Validation(e.message)
        }
    }
}

impl From<crate::store::StoreError> for CodeBuildError {
    fn from(e: crate::store::StoreError) -> Self {
        CodeBuildError::Internal(format!("persisting the change failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_render_as_the_model_names_them() {
        let e: ApiError = CodeBuildError::project_missing("p").into();
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.status, 400);
        let e: ApiError = CodeBuildError::invalid("x").into();
        assert_eq!(e.code, "InvalidInputException");
        let e: ApiError = CodeBuildError::Internal("x".into()).into();
        assert_eq!(e.status, 500);
    }
}

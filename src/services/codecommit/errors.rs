//! CodeCommit's one error table: every code this service answers, as the model names it. All
//! modelled CodeCommit exceptions are client errors (HTTP 400); a fault of ours (git could not
//! run, the store failed) is the protocol's 500 `InternalFailure`.

use crate::protocol::ApiError;

macro_rules! codes {
    ($($variant:ident),+ $(,)?) => {
        /// A modelled CodeCommit exception (the wire code is the name plus `Exception`).
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
    RepositoryNameExists,
    RepositoryNameRequired,
    InvalidRepositoryName,
    InvalidRepositoryDescription,
    RepositoryDoesNotExist,
    RepositoryNamesRequired,
    MaximumRepositoryNamesExceeded,
    InvalidSortBy,
    InvalidOrder,
    InvalidContinuationToken,
    ResourceArnRequired,
    InvalidResourceArn,
    TagsMapRequired,
    InvalidTagsMap,
    TooManyTags,
    TagKeysListRequired,
    InvalidTagKeysList,
    InvalidSystemTagUsage,
    BranchNameRequired,
    InvalidBranchName,
    BranchNameExists,
    BranchDoesNotExist,
    BranchNameIsTagName,
    DefaultBranchCannotBeDeleted,
    CommitIdRequired,
    InvalidCommitId,
    CommitIdDoesNotExist,
    CommitDoesNotExist,
    InvalidCommit,
    CommitRequired,
    CommitIdsListRequired,
    CommitIdsLimitExceeded,
    PathRequired,
    InvalidPath,
    PathDoesNotExist,
    FileDoesNotExist,
    FolderDoesNotExist,
    FileTooLarge,
    BlobIdRequired,
    InvalidBlobId,
    BlobIdDoesNotExist,
    ParentCommitIdRequired,
    InvalidParentCommitId,
    ParentCommitDoesNotExist,
    ParentCommitIdOutdated,
    FileContentRequired,
    FileContentSizeLimitExceeded,
    InvalidFileMode,
    FileModeRequired,
    NameLengthExceeded,
    InvalidEmail,
    CommitMessageLengthExceeded,
    SameFileContent,
    NoChange,
    FileEntryRequired,
    MaximumFileEntriesExceeded,
    PutFileEntryConflict,
    SourceFileOrContentRequired,
    FileContentAndSourceFileSpecified,
    SamePathRequest,
    FileNameConflictsWithDirectoryName,
    DirectoryNameConflictsWithFileName,
    InvalidMaxResults,
    InvalidDeletionParameter,
);

/// One CodeCommit error on its way to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCommitError {
    /// A modelled exception.
    Api(Code, String),
    /// A shape constraint (`ValidationException`).
    Validation(String),
    /// A fault on our side.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, CodeCommitError>;

impl CodeCommitError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        CodeCommitError::Api(code, message.into())
    }

    pub fn repository_missing(name: &str) -> Self {
        Self::new(
            Code::RepositoryDoesNotExist,
            format!("{name} does not exist"),
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            CodeCommitError::Api(c, _) => c.as_str(),
            CodeCommitError::Validation(_) => "ValidationException",
            CodeCommitError::Internal(_) => "InternalFailure",
        }
    }
}

impl std::fmt::Display for CodeCommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeCommitError::Api(c, m) => write!(f, "{}: {m}", c.as_str()),
            CodeCommitError::Validation(m) => write!(f, "ValidationException: {m}"),
            CodeCommitError::Internal(m) => write!(f, "InternalFailure: {m}"),
        }
    }
}

impl From<CodeCommitError> for ApiError {
    fn from(e: CodeCommitError) -> Self {
        match e {
            CodeCommitError::Api(c, m) => ApiError::client(c.as_str(), m),
            CodeCommitError::Validation(m) => ApiError::validation(m),
            CodeCommitError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<super::git::GitError> for CodeCommitError {
    fn from(e: super::git::GitError) -> Self {
        CodeCommitError::Internal(format!("the git operation failed: {e}"))
    }
}

impl From<crate::store::StoreError> for CodeCommitError {
    fn from(e: crate::store::StoreError) -> Self {
        CodeCommitError::Internal(format!("persisting the change failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_render_with_the_exception_suffix() {
        let e: ApiError = CodeCommitError::repository_missing("r").into();
        assert_eq!(e.code, "RepositoryDoesNotExistException");
        assert_eq!(e.status, 400);
        assert_eq!(
            Code::DefaultBranchCannotBeDeleted.as_str(),
            "DefaultBranchCannotBeDeletedException"
        );
        let e: ApiError = CodeCommitError::Internal("x".into()).into();
        assert_eq!(e.status, 500);
    }
}

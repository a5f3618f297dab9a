//! Errors of engine operations. The CodePipeline service maps each to its AWS exception.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("Pipeline execution {0} not found")]
    ExecutionNotFound(String),
    #[error("Pipeline execution {0} is not stoppable: it has already ended")]
    NotStoppable(String),
    #[error("A stop request for pipeline execution {0} is already in progress")]
    DuplicatedStop(String),
    #[error("{0}")]
    StageNotFound(String),
    #[error("{0}")]
    ActionNotFound(String),
    #[error("{0}")]
    InvalidApprovalToken(String),
    #[error("{0}")]
    ApprovalAlreadyCompleted(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    StageNotRetryable(String),
    #[error("{0}")]
    NotLatestExecution(String),
    #[error("{0}")]
    UnableToRollback(String),
    #[error("{0}")]
    ExecutionOutdated(String),
    #[error("{0}")]
    ConditionNotOverridable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::store::StoreError> for EngineError {
    fn from(e: crate::store::StoreError) -> Self {
        EngineError::Internal(format!("persisting the change failed: {e}"))
    }
}

impl From<actix::MailboxError> for EngineError {
    fn from(e: actix::MailboxError) -> Self {
        EngineError::Internal(format!("the execution engine did not answer: {e}"))
    }
}

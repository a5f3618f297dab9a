//! The CodePipeline error table: one enum with a variant for every error shape the model
//! declares (control plane and execution side), and the one place that maps each variant to
//! its AWS code (the shape name, all HTTP 400) and message. Only store failures are faults
//! (500, retryable).

use crate::protocol::ApiError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CodePipelineError {
    /// A model constraint (the message is already in AWS's "N validation errors" form) or a
    /// rule AWS answers with `ValidationException`.
    #[error("{0}")]
    Validation(String),
    #[error("A pipeline with the name '{name}' already exists in account '{account}'")]
    PipelineNameInUse { account: String, name: String },
    #[error("Account '{account}' does not have a pipeline with name '{name}'")]
    PipelineNotFound { account: String, name: String },
    #[error("Pipeline '{name}' does not have a version {version}")]
    PipelineVersionNotFound { name: String, version: i64 },
    #[error("{0}")]
    InvalidStructure(String),
    #[error("{0}")]
    InvalidStageDeclaration(String),
    #[error("{0}")]
    InvalidActionDeclaration(String),
    #[error("{0}")]
    InvalidBlockerDeclaration(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    TooManyTags(String),
    #[error("{0}")]
    InvalidTags(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("The next token is not valid")]
    InvalidNextToken,
    #[error("{0}")]
    ActionTypeNotFound(String),
    #[error("{0}")]
    RequestFailed(String),
    #[error("{0}")]
    WebhookNotFound(String),
    #[error("{0}")]
    InvalidWebhookFilterPattern(String),
    #[error("{0}")]
    InvalidWebhookAuthenticationParameters(String),
    // The execution side (engine operations) and job workers.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PipelineExecutionNotFound(String),
    #[error("{0}")]
    PipelineExecutionNotStoppable(String),
    #[error("{0}")]
    DuplicatedStopRequest(String),
    #[error("{0}")]
    StageNotFound(String),
    #[error("{0}")]
    StageNotRetryable(String),
    #[error("{0}")]
    NotLatestPipelineExecution(String),
    #[error("{0}")]
    ConcurrentPipelineExecutionsLimitExceeded(String),
    #[error("{0}")]
    PipelineExecutionOutdated(String),
    #[error("{0}")]
    UnableToRollbackStage(String),
    #[error("{0}")]
    ConditionNotOverridable(String),
    #[error("{0}")]
    ActionNotFound(String),
    #[error("{0}")]
    ActionExecutionNotFound(String),
    #[error("{0}")]
    InvalidApprovalToken(String),
    #[error("{0}")]
    ApprovalAlreadyCompleted(String),
    #[error("{0}")]
    JobNotFound(String),
    #[error("{0}")]
    InvalidNonce(String),
    #[error("{0}")]
    InvalidJobState(String),
    #[error("{0}")]
    InvalidJob(String),
    #[error("{0}")]
    InvalidClientToken(String),
    #[error("{0}")]
    OutputVariablesSizeExceeded(String),
    #[error("{0}")]
    ConcurrentModification(String),
    #[error("persisting the change failed: {0}")]
    Store(#[from] StoreError),
    /// A fault inside the execution engine (a bug or a stopped engine): 500, retryable.
    #[error("{0}")]
    Internal(String),
}

impl CodePipelineError {
    /// The AWS error code (`__type`).
    pub fn code(&self) -> &'static str {
        use CodePipelineError::*;
        match self {
            Validation(_) => "ValidationException",
            PipelineNameInUse { .. } => "PipelineNameInUseException",
            PipelineNotFound { .. } => "PipelineNotFoundException",
            PipelineVersionNotFound { .. } => "PipelineVersionNotFoundException",
            InvalidStructure(_) => "InvalidStructureException",
            InvalidStageDeclaration(_) => "InvalidStageDeclarationException",
            InvalidActionDeclaration(_) => "InvalidActionDeclarationException",
            InvalidBlockerDeclaration(_) => "InvalidBlockerDeclarationException",
            LimitExceeded(_) => "LimitExceededException",
            TooManyTags(_) => "TooManyTagsException",
            InvalidTags(_) => "InvalidTagsException",
            InvalidArn(_) => "InvalidArnException",
            ResourceNotFound(_) => "ResourceNotFoundException",
            InvalidNextToken => "InvalidNextTokenException",
            ActionTypeNotFound(_) => "ActionTypeNotFoundException",
            RequestFailed(_) => "RequestFailedException",
            WebhookNotFound(_) => "WebhookNotFoundException",
            InvalidWebhookFilterPattern(_) => "InvalidWebhookFilterPatternException",
            InvalidWebhookAuthenticationParameters(_) => {
                "InvalidWebhookAuthenticationParametersException"
            }
            Conflict(_) => "ConflictException",
            PipelineExecutionNotFound(_) => "PipelineExecutionNotFoundException",
            PipelineExecutionNotStoppable(_) => "PipelineExecutionNotStoppableException",
            DuplicatedStopRequest(_) => "DuplicatedStopRequestException",
            StageNotFound(_) => "StageNotFoundException",
            StageNotRetryable(_) => "StageNotRetryableException",
            NotLatestPipelineExecution(_) => "NotLatestPipelineExecutionException",
            ConcurrentPipelineExecutionsLimitExceeded(_) => {
                "ConcurrentPipelineExecutionsLimitExceededException"
            }
            PipelineExecutionOutdated(_) => "PipelineExecutionOutdatedException",
            UnableToRollbackStage(_) => "UnableToRollbackStageException",
            ConditionNotOverridable(_) => "ConditionNotOverridableException",
            ActionNotFound(_) => "ActionNotFoundException",
            ActionExecutionNotFound(_) => "ActionExecutionNotFoundException",
            InvalidApprovalToken(_) => "InvalidApprovalTokenException",
            ApprovalAlreadyCompleted(_) => "ApprovalAlreadyCompletedException",
            JobNotFound(_) => "JobNotFoundException",
            InvalidNonce(_) => "InvalidNonceException",
            InvalidJobState(_) => "InvalidJobStateException",
            InvalidJob(_) => "InvalidJobException",
            InvalidClientToken(_) => "InvalidClientTokenException",
            OutputVariablesSizeExceeded(_) => "OutputVariablesSizeExceededException",
            ConcurrentModification(_) => "ConcurrentModificationException",
            Store(_) | Internal(_) => "InternalFailure",
        }
    }
}

impl From<CodePipelineError> for ApiError {
    fn from(e: CodePipelineError) -> Self {
        match e {
            CodePipelineError::Store(_) | CodePipelineError::Internal(_) => {
                ApiError::internal(e.to_string())
            }
            other => ApiError::client(other.code(), other.to_string()),
        }
    }
}

/// The engine's errors in AWS's words.
impl From<crate::engine::EngineError> for CodePipelineError {
    fn from(e: crate::engine::EngineError) -> Self {
        use crate::engine::EngineError as G;
        match e {
            G::ExecutionNotFound(id) => CodePipelineError::PipelineExecutionNotFound(format!(
                "Pipeline execution {id} not found"
            )),
            G::NotStoppable(id) => CodePipelineError::PipelineExecutionNotStoppable(format!(
                "Pipeline execution {id} cannot be stopped: it has already finished"
            )),
            G::DuplicatedStop(id) => CodePipelineError::DuplicatedStopRequest(format!(
                "A stop request for pipeline execution {id} is already in progress"
            )),
            G::StageNotFound(m) => CodePipelineError::StageNotFound(m),
            G::ActionNotFound(m) => CodePipelineError::ActionNotFound(m),
            G::InvalidApprovalToken(m) => CodePipelineError::InvalidApprovalToken(m),
            G::ApprovalAlreadyCompleted(m) => CodePipelineError::ApprovalAlreadyCompleted(m),
            G::Validation(m) => CodePipelineError::Validation(m),
            G::Conflict(m) => CodePipelineError::Conflict(m),
            G::LimitExceeded(m) => CodePipelineError::ConcurrentPipelineExecutionsLimitExceeded(m),
            G::StageNotRetryable(m) => CodePipelineError::StageNotRetryable(m),
            G::NotLatestExecution(m) => CodePipelineError::NotLatestPipelineExecution(m),
            G::UnableToRollback(m) => CodePipelineError::UnableToRollbackStage(m),
            G::ExecutionOutdated(m) => CodePipelineError::PipelineExecutionOutdated(m),
            G::ConditionNotOverridable(m) => CodePipelineError::ConditionNotOverridable(m),
            G::Internal(m) => CodePipelineError::Internal(m),
        }
    }
}

/// The job queue's refusals (job workers) in AWS's words.
impl From<crate::engine::jobs::JobError> for CodePipelineError {
    fn from(e: crate::engine::jobs::JobError) -> Self {
        use crate::engine::jobs::JobError as J;
        let message = e.to_string();
        match e {
            J::NotFound(_) => CodePipelineError::JobNotFound(message),
            J::InvalidNonce(_) => CodePipelineError::InvalidNonce(message),
            J::InvalidClientToken(_) => CodePipelineError::InvalidClientToken(message),
            J::InvalidState(_) => CodePipelineError::InvalidJobState(message),
            J::Validation(_) => CodePipelineError::Validation(message),
            J::OutputVariablesTooLarge(_) => {
                CodePipelineError::OutputVariablesSizeExceeded(message)
            }
        }
    }
}

/// Shape violations collected by `protocol::validate::Violations` arrive as an `ApiError`
/// already worded by AWS's rules.
impl From<ApiError> for CodePipelineError {
    fn from(e: ApiError) -> Self {
        CodePipelineError::Validation(e.message)
    }
}

pub type Result<T, E = CodePipelineError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_a_400_with_its_shape_name() {
        let cases = [
            (
                CodePipelineError::PipelineNotFound {
                    account: "123456789012".into(),
                    name: "orders".into(),
                },
                "PipelineNotFoundException",
            ),
            (
                CodePipelineError::InvalidStructure("x".into()),
                "InvalidStructureException",
            ),
            (
                CodePipelineError::InvalidNextToken,
                "InvalidNextTokenException",
            ),
            (
                CodePipelineError::InvalidWebhookAuthenticationParameters("x".into()),
                "InvalidWebhookAuthenticationParametersException",
            ),
        ];
        for (err, code) in cases {
            let api: ApiError = err.into();
            assert_eq!(api.status, 400);
            assert_eq!(api.code, code);
            assert!(!api.message.is_empty());
        }
    }

    #[test]
    fn not_found_message_is_awss() {
        let api: ApiError = CodePipelineError::PipelineNotFound {
            account: "123456789012".into(),
            name: "orders".into(),
        }
        .into();
        assert_eq!(
            api.message,
            "Account '123456789012' does not have a pipeline with name 'orders'"
        );
    }

    #[test]
    fn store_failures_are_faults() {
        let err = CodePipelineError::Store(StoreError::Codec(
            serde_json::from_str::<u8>("x").unwrap_err(),
        ));
        let api: ApiError = err.into();
        assert_eq!(api.status, 500);
    }
}

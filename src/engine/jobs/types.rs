//! The public types of the job queue: what a job carries, what workers answer, and the
//! errors the protocol's rules produce.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::MAX_OUTPUT_VARIABLES_BYTES;
use crate::clock::Timestamp;
use crate::engine::messages::ProviderReport;
use crate::engine::records::ArtifactLocation;
use crate::engine::spec::ActionTypeSpec;

/// Which protocol a job belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Owner `Custom`: PollForJobs, AcknowledgeJob, ...
    Custom,
    /// Owner `ThirdParty`: PollForThirdPartyJobs, ... with a client token.
    ThirdParty,
}

/// A job's status in AWS's words (`JobStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Dispatched,
    InProgress,
    Succeeded,
    Failed,
    TimedOut,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "Queued",
            JobStatus::Dispatched => "Dispatched",
            JobStatus::InProgress => "InProgress",
            JobStatus::Succeeded => "Succeeded",
            JobStatus::Failed => "Failed",
            JobStatus::TimedOut => "TimedOut",
        }
    }
}

/// The credentials a job hands out for the artifact bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// What a worker learns about its job (AWS's `JobData`, without wire shapes).
#[derive(Debug, Clone, PartialEq)]
pub struct JobData {
    pub action_type: ActionTypeSpec,
    /// The resolved configuration, secrets included.
    pub configuration: BTreeMap<String, String>,
    pub pipeline_name: String,
    pub stage: String,
    pub action: String,
    pub action_execution_id: String,
    pub pipeline_arn: String,
    pub pipeline_execution_id: String,
    pub input_artifacts: Vec<ArtifactLocation>,
    /// Pre-assigned locations the worker uploads its outputs to.
    pub output_artifacts: Vec<ArtifactLocation>,
    pub credentials: JobCredentials,
    pub continuation_token: Option<String>,
}

/// Where the reports of an action go (the provider wires it to the action actor).
pub type Sink = Box<dyn Fn(ProviderReport) + Send + Sync>;

/// A job-worker action that starts.
pub struct NewAction {
    pub kind: JobKind,
    pub account: String,
    pub region: String,
    /// The client id a partner's worker sees (ThirdParty); its client token is the same.
    pub client_id: String,
    pub data: JobData,
    pub sink: Sink,
}

/// A job handed to a worker by a poll.
#[derive(Debug, Clone)]
pub struct Dispatched {
    pub id: String,
    pub nonce: String,
    pub account: String,
    pub client_id: String,
    pub data: Arc<JobData>,
}

/// A job as GetJobDetails / GetThirdPartyJobDetails show it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: String,
    pub account: String,
    pub nonce: Option<String>,
    pub status: JobStatus,
    pub data: Arc<JobData>,
}

/// `currentRevision` of a success.
#[derive(Debug, Clone, Default)]
pub struct JobRevision {
    pub revision: String,
    pub change_identifier: String,
    pub created: Option<Timestamp>,
    pub summary: Option<String>,
}

/// A worker's success result.
#[derive(Debug, Clone, Default)]
pub struct JobSuccess {
    pub revision: Option<JobRevision>,
    pub continuation_token: Option<String>,
    pub summary: Option<String>,
    pub external_execution_id: Option<String>,
    pub percent_complete: Option<i64>,
    pub output_variables: BTreeMap<String, String>,
}

/// A worker's failure result.
#[derive(Debug, Clone)]
pub struct JobFailure {
    /// The failure type (`JobFailed`, `ConfigurationError`, ...), the action's error code.
    pub code: String,
    pub message: String,
    pub external_execution_id: Option<String>,
}

/// Why a job operation was refused; the CodePipeline service maps each to its exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("Job {0} was not found")]
    NotFound(String),
    #[error("The nonce does not match the nonce of job {0}: it was not handed to this worker, or another poll claimed it since")]
    InvalidNonce(String),
    #[error("The client token is not valid for job {0}")]
    InvalidClientToken(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    Validation(String),
    #[error("The output variables of job {0} are larger than {MAX_OUTPUT_VARIABLES_BYTES} bytes")]
    OutputVariablesTooLarge(String),
}

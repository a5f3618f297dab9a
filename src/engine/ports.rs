//! The ports the engine's providers need from other services, as small traits. The services
//! implement them and start-up wires them in; providers never call HTTP handlers.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    #[error("The bucket {0} does not exist")]
    NoSuchBucket(String),
    #[error("The object {0} does not exist")]
    NoSuchKey(String),
    #[error("{0}")]
    Other(String),
}

/// An object as the store holds it, with its bytes as an open file (which stays readable even
/// if the object is overwritten or deleted meanwhile).
#[derive(Debug)]
pub struct StoredObject {
    pub file: File,
    pub size: u64,
    pub etag: String,
    pub version_id: Option<String>,
    pub last_modified: Timestamp,
    /// User metadata, without the `x-amz-meta-` prefix.
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct PutResult {
    pub etag: String,
    pub version_id: Option<String>,
}

/// S3 as the artifact store and as a source or deploy target.
pub trait ObjectStore: Send + Sync {
    /// Creates the bucket if it does not exist; `true` when it was created.
    fn ensure_bucket(&self, account: &str, region: &str, bucket: &str) -> Result<bool, PortError>;
    fn bucket_exists(&self, bucket: &str) -> bool;
    fn versioning_enabled(&self, bucket: &str) -> Result<bool, PortError>;
    fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<StoredObject, PortError>;
    /// Stores the bytes of `file` from its current position to its end.
    fn put_object_file(
        &self,
        bucket: &str,
        key: &str,
        file: &mut File,
        headers: ObjectHeaders,
    ) -> Result<PutResult, PortError>;
}

/// What an object is stored with besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// User metadata, without the `x-amz-meta-` prefix.
    pub metadata: BTreeMap<String, String>,
}

impl ObjectHeaders {
    pub fn typed(content_type: &str) -> Self {
        ObjectHeaders {
            content_type: Some(content_type.to_string()),
            ..Default::default()
        }
    }
}

/// A commit as a source action reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCommit {
    pub commit_id: String,
    pub message: String,
    /// Epoch seconds.
    pub author_date: i64,
    /// Epoch seconds.
    pub committer_date: i64,
}

/// A git repository service (CodeCommit) as a pipeline source.
pub trait SourceRepository: Send + Sync {
    /// The commit at the head of a branch.
    fn branch_head(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        branch: &str,
    ) -> Result<SourceCommit, PortError>;
    /// One commit by its full id.
    fn commit(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
    ) -> Result<SourceCommit, PortError>;
    /// Writes a zip of the tree at the commit (no `.git`) to `out`.
    fn export_zip(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
        out: &Path,
    ) -> Result<(), PortError>;
    /// The HTTP clone URL of a repository.
    fn clone_url(&self, account: &str, region: &str, repository: &str) -> String;
    /// A full clone (history and `.git`) into the empty directory `dir`, checked out at
    /// `commit_id` (detached), with `origin` as its remote's URL.
    fn clone_at(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
        origin: &str,
        dir: &Path,
    ) -> Result<(), PortError>;
}

/// A build a pipeline action asks for (AWS / Build or Test / CodeBuild).
#[derive(Debug, Clone)]
pub struct BuildRequest {
    pub account: String,
    pub region: String,
    pub pipeline: String,
    pub project: String,
    /// Environment variables (name, value, type) from the action's `EnvironmentVariables`.
    pub variables: Vec<(String, String, String)>,
    /// Input artifacts as (name, bucket, key).
    pub inputs: Vec<(String, String, String)>,
    /// Index of the primary input.
    pub primary: usize,
    /// Output artifacts as (name, bucket, key).
    pub outputs: Vec<(String, String, String)>,
    /// The primary input's source revision (`CODEBUILD_RESOLVED_SOURCE_VERSION`), when a
    /// source action of the execution made it and it is a version (not an unversioned S3
    /// object's `null`).
    pub source_revision: Option<String>,
}

/// How a build ended.
#[derive(Debug, Clone)]
pub struct BuildResult {
    pub build_id: String,
    pub status: String,
    /// The buildspec's exported variables.
    pub exported: Vec<(String, String)>,
    /// The first failing phase and its context, when the build did not succeed.
    pub failure: Option<PhaseFailure>,
    /// Where the build's output went.
    pub log: BuildLog,
}

/// The phase a build failed in, with its context (`COMMAND_EXECUTION_ERROR in BUILD: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseFailure {
    pub phase: String,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for PhaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}: {}", self.code, self.phase, self.message)
    }
}

impl BuildResult {
    /// The failing phase's context as one line.
    pub fn message(&self) -> Option<String> {
        self.failure.as_ref().map(ToString::to_string)
    }

    /// Whether one of the commands exited non-zero, as opposed to a build that could not run
    /// its commands to their end (not started, a source not fetched, stopped, timed out).
    pub fn command_failed(&self) -> bool {
        self.status == "FAILED"
            && self
                .failure
                .as_ref()
                .is_some_and(|f| f.phase == "BUILD" && f.code == "COMMAND_EXECUTION_ERROR")
    }

    /// How a build of commands (a Commands action's or rule's) ended, for its summary.
    pub fn commands_summary(&self) -> String {
        let reason = self
            .failure
            .as_ref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        format!(
            "The commands ended {}{reason} (log group {}, stream {})",
            self.status, self.log.group, self.log.stream
        )
    }
}

/// A build's log in CloudWatch Logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildLog {
    pub group: String,
    pub stream: String,
    /// The console link of the log stream.
    pub url: String,
    /// The log stream's ARN (`arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>`).
    pub arn: String,
}

/// A build of an action's own shell commands, without a CodeBuild project (AWS / Compute /
/// Commands): AWS runs it on CodeBuild compute the pipeline manages. A stage condition's
/// `Commands` rule runs the same way, its rule name in `action` and its rule execution id in
/// `action_execution_id`.
#[derive(Debug, Clone, Default)]
pub struct CommandsRequest {
    pub account: String,
    pub region: String,
    pub pipeline: String,
    pub stage: String,
    pub action: String,
    pub action_execution_id: String,
    /// The commands, `#{...}` references resolved; they run as the build phase.
    pub commands: Vec<String>,
    /// Environment variables (name, value, type) from the action's `environmentVariables`.
    pub variables: Vec<(String, String, String)>,
    /// The `outputVariables`: names read from the shell once the commands have run.
    pub exported: Vec<String>,
    /// Input artifacts as (name, bucket, key); the first is the primary source.
    pub inputs: Vec<(String, String, String)>,
    /// The output artifact as (name, bucket, key), if the action declares one.
    pub output: Option<(String, String, String)>,
    /// The output artifact's `files` globs (empty: every file of the working directory).
    pub files: Vec<String>,
    /// `ComputeType` of the configuration (`BUILD_GENERAL1_SMALL` when absent).
    pub compute_type: String,
}

/// A started build of a Commands action: its id and where its output goes.
#[derive(Debug, Clone)]
pub struct CommandsStarted {
    pub build_id: String,
    pub log: BuildLog,
}

/// CodeBuild as a pipeline action's backend.
pub trait BuildService: Send + Sync {
    /// Starts a build; `done` is called once when it ends. Returns the build id.
    fn start_build(
        &self,
        request: BuildRequest,
        done: Box<dyn FnOnce(BuildResult) + Send>,
    ) -> Result<String, PortError>;
    /// Starts a build of a Commands action; `done` is called once when it ends.
    fn start_commands(
        &self,
        request: CommandsRequest,
        done: Box<dyn FnOnce(BuildResult) + Send>,
    ) -> Result<CommandsStarted, PortError>;
    /// Stops a running build (its `done` still runs, with status STOPPED).
    fn stop_build(&self, account: &str, region: &str, build_id: &str);
}

/// A deployment a pipeline action asks for (AWS / Deploy / CodeDeploy).
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub account: String,
    pub region: String,
    pub pipeline: String,
    pub application: String,
    pub deployment_group: String,
    /// The input artifact: the revision's bundle (a zip).
    pub bucket: String,
    pub key: String,
}

/// How a deployment ended.
#[derive(Debug, Clone)]
pub struct DeployResult {
    pub deployment_id: String,
    /// `Succeeded`, `Failed` or `Stopped`.
    pub status: String,
    /// The deployment's error information, when it did not succeed.
    pub message: Option<String>,
}

/// CodeDeploy as a pipeline action's backend.
pub trait DeployService: Send + Sync {
    /// Creates a deployment; `done` is called once when it ends. Returns the deployment id.
    fn start_deployment(
        &self,
        request: DeployRequest,
        done: Box<dyn FnOnce(DeployResult) + Send>,
    ) -> Result<String, PortError>;
    /// Stops a deployment (its `done` still runs, with status Stopped).
    fn stop_deployment(&self, account: &str, region: &str, deployment_id: &str);
    /// The targets (instances) of a deployment, with their lifecycle events so far; none for
    /// a deployment that does not exist.
    fn targets(
        &self,
        account: &str,
        region: &str,
        deployment_id: &str,
    ) -> Result<Vec<DeployTarget>, PortError>;
}

/// One target of a deploy action (`ListDeployActionExecutionTargets`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployTarget {
    pub id: String,
    /// `EC2` or `OnPremises`.
    pub kind: String,
    pub status: String,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub events: Vec<DeployTargetEvent>,
}

/// One step of a target's deployment (a lifecycle event).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployTargetEvent {
    pub name: String,
    pub status: String,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub message: Option<String>,
}

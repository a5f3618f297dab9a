//! Action providers: plug-ins keyed by `(category, owner, provider)` that do an action's work
//! and report its status to the action actor as messages (never by being polled).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix::Recipient;

use super::messages::ProviderReport;
use super::ports::BuildService;
use super::records::{ActionRecord, ArtifactLocation, ArtifactRevision, ErrorDetails};
use super::spec::{ActionSpec, ActionTypeSpec, PipelineKey};

pub mod codebuild;
pub mod codecommit;
pub mod codedeploy;
pub mod commands;
pub mod jobs;
pub mod manual;
pub mod s3;

/// Everything a provider needs to run one action execution.
#[derive(Debug, Clone)]
pub struct ActionJob {
    pub key: PipelineKey,
    pub pipeline_execution_id: String,
    pub action_execution_id: String,
    pub stage: String,
    pub action: ActionSpec,
    /// The configuration after `#{...}` references were resolved.
    pub configuration: BTreeMap<String, String>,
    pub input_artifacts: Vec<ArtifactLocation>,
    /// Pre-assigned locations the outputs must be written to.
    pub output_artifacts: Vec<ArtifactLocation>,
    pub artifact_bucket: String,
    /// Pinned source revision (from `sourceRevisions`), as (type, value).
    pub source_override: Option<(String, String)>,
    /// Source revisions of the input artifacts that a source action of this execution made
    /// (a commit id, an S3 version id), by artifact name.
    pub input_revisions: BTreeMap<String, String>,
    /// The token of an approval being re-attached after a restart.
    pub resume_token: Option<String>,
}

/// How an action ended, as a provider reports it.
#[derive(Debug, Clone, Default)]
pub struct ActionSuccess {
    pub summary: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    pub output_variables: BTreeMap<String, String>,
    pub revision: Option<ArtifactRevision>,
    pub updated_by: Option<String>,
}

/// A running action's progress while it runs.
#[derive(Debug, Clone, Default)]
pub struct ActionProgress {
    pub summary: Option<String>,
    pub token: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    /// The ARN of the log stream of the action's compute (`logStreamARN`).
    pub log_stream_arn: Option<String>,
    pub percent_complete: Option<i64>,
}

/// The provider's way to report to its action actor.
#[derive(Clone)]
pub struct Reporter {
    recipient: Recipient<ProviderReport>,
}

impl Reporter {
    pub fn new(recipient: Recipient<ProviderReport>) -> Self {
        Reporter { recipient }
    }

    pub fn progress(&self, p: ActionProgress) {
        self.recipient.do_send(ProviderReport::Progress(p));
    }

    pub fn succeeded(&self, s: ActionSuccess) {
        self.recipient.do_send(ProviderReport::Succeeded(s));
    }

    pub fn failed(&self, code: &str, message: impl Into<String>) {
        self.recipient.do_send(ProviderReport::Failed(ErrorDetails {
            code: code.to_string(),
            message: message.into(),
        }));
    }
}

/// A running action, as the action actor holds it.
pub trait RunningAction {
    /// Cancels the work (abandon, timeout); the provider must not report afterwards.
    fn cancel(&mut self) {}
}

/// Nothing to cancel (work that finishes on its own or waits for a person).
pub struct NothingToCancel;
impl RunningAction for NothingToCancel {}

/// A build running on the build service (a CodeBuild action's, a Commands action's or a
/// Commands rule's): what it takes to stop it.
pub struct RunningBuild {
    pub builds: Arc<dyn BuildService>,
    pub account: String,
    pub region: String,
    pub build_id: String,
}

impl RunningBuild {
    pub fn stop(&self) {
        self.builds
            .stop_build(&self.account, &self.region, &self.build_id);
    }
}

impl RunningAction for RunningBuild {
    fn cancel(&mut self) {
        self.stop();
    }
}

pub trait Provider: Send + Sync {
    /// Starts the work; status arrives later through `reporter`.
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction>;
    /// Whether an action of this provider that was running when the server stopped can be
    /// picked up again as it was (same action execution, e.g. a pending approval).
    fn can_reattach(&self) -> bool {
        false
    }
    /// The targets an action execution of this provider deploys to
    /// (`ListDeployActionExecutionTargets`): none unless the provider deploys to instances.
    fn deploy_targets(
        &self,
        _record: &ActionRecord,
    ) -> Result<Vec<crate::engine::ports::DeployTarget>, crate::engine::ports::PortError> {
        Ok(Vec::new())
    }
}

/// A provider simfra does not have yet: the action fails at once with a message naming it.
struct NotBuilt {
    what: String,
}

impl Provider for NotBuilt {
    fn start(&self, _job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        reporter.failed(
            "JobFailed",
            format!(
                "The action provider {} is not supported by simfra yet",
                self.what
            ),
        );
        Box::new(NothingToCancel)
    }
}

/// The providers of this server, by `(category, owner, provider)`. Custom and ThirdParty
/// action types without a provider of their own are job-worker actions on `jobs`.
#[derive(Default, Clone)]
pub struct Providers {
    map: HashMap<(String, String, String), Arc<dyn Provider>>,
    jobs: Arc<crate::engine::jobs::JobQueue>,
    job_objects: Option<Arc<dyn crate::engine::ports::ObjectStore>>,
    /// Where the `Commands` rules of stage conditions run (the Commands action's build port).
    rule_builds: Option<Arc<dyn crate::engine::ports::BuildService>>,
}

impl Providers {
    pub fn new() -> Self {
        let mut p = Providers::default();
        p.register(
            "Approval",
            "AWS",
            "Manual",
            Arc::new(manual::ManualApproval),
        );
        p
    }

    pub fn register(
        &mut self,
        category: &str,
        owner: &str,
        provider: &str,
        imp: Arc<dyn Provider>,
    ) {
        self.map.insert(
            (
                category.to_string(),
                owner.to_string(),
                provider.to_string(),
            ),
            imp,
        );
    }

    pub fn get(&self, spec: &ActionSpec) -> Arc<dyn Provider> {
        self.of_type(&spec.action_type)
    }

    /// The provider of an action type.
    pub fn of_type(&self, t: &ActionTypeSpec) -> Arc<dyn Provider> {
        match self
            .map
            .get(&(t.category.clone(), t.owner.clone(), t.provider.clone()))
        {
            Some(p) => p.clone(),
            None if t.owner == "Custom" || t.owner == "ThirdParty" => {
                Arc::new(jobs::JobWorkerAction {
                    queue: self.jobs.clone(),
                    objects: self.job_objects.clone(),
                })
            }
            None => Arc::new(NotBuilt {
                what: format!("{}/{}/{}", t.owner, t.category, t.provider),
            }),
        }
    }
}

impl Providers {
    /// The job queue of Custom and ThirdParty actions (PollForJobs and its kin read it).
    pub fn jobs(&self) -> &Arc<crate::engine::jobs::JobQueue> {
        &self.jobs
    }

    /// The artifact store job-worker actions create a missing artifact bucket in.
    pub fn set_job_artifact_store(&mut self, objects: Arc<dyn crate::engine::ports::ObjectStore>) {
        self.job_objects = Some(objects);
    }

    /// The build service the `Commands` rules of stage conditions run on.
    pub fn set_rule_builds(&mut self, builds: Arc<dyn crate::engine::ports::BuildService>) {
        self.rule_builds = Some(builds);
    }

    pub fn rule_builds(&self) -> Option<&Arc<dyn crate::engine::ports::BuildService>> {
        self.rule_builds.as_ref()
    }
}

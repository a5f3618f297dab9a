//! Job-worker actions (owners `Custom` and `ThirdParty`): the action's work is done by a
//! worker outside simfra that polls CodePipeline for jobs. Starting the action puts its first
//! job on the engine's job queue (`engine/jobs`); the worker's results come back through the
//! queue as reports to the action actor. Cancelling the action (abandon, timeout) invalidates
//! its jobs. The action's time limit is the engine's action timeout.
//!
//! `artifactCredentials` are not real STS credentials: simfra's S3 accepts every signature.
//! The access key id is the pipeline's account id, so requests signed with it act in that
//! account (a 12-digit access key id names the account, see the README's decisions).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{ActionJob, Provider, Reporter, RunningAction};
use crate::engine::jobs::{JobCredentials, JobData, JobKind, JobQueue, NewAction};
use crate::engine::messages::ProviderReport;
use crate::engine::ports::ObjectStore;

/// The provider of every Custom and ThirdParty action type.
pub struct JobWorkerAction {
    pub queue: Arc<JobQueue>,
    /// The artifact store, to create a missing artifact bucket before a worker uploads to it.
    pub objects: Option<Arc<dyn ObjectStore>>,
}

/// Cancels the action's jobs when the action ends without them.
struct RunningJobs {
    queue: Arc<JobQueue>,
    action_execution_id: String,
}

impl RunningAction for RunningJobs {
    fn cancel(&mut self) {
        self.queue.cancel_action(&self.action_execution_id);
    }
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

/// A partner's client id for one action of one pipeline: stable across executions, as the
/// partner's registration is on AWS, and shaped as the model's `ClientId` (a UUID).
pub fn client_id(job: &ActionJob) -> String {
    let mut h = Sha256::new();
    for part in [
        &job.key.account,
        &job.key.region,
        &job.key.name,
        &job.stage,
        &job.action.name,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The job data of an action execution's first job.
pub fn job_data(job: &ActionJob) -> JobData {
    JobData {
        action_type: job.action.action_type.clone(),
        configuration: job.configuration.clone(),
        pipeline_name: job.key.name.clone(),
        stage: job.stage.clone(),
        action: job.action.name.clone(),
        action_execution_id: job.action_execution_id.clone(),
        pipeline_arn: job.key.arn(),
        pipeline_execution_id: job.pipeline_execution_id.clone(),
        input_artifacts: job.input_artifacts.clone(),
        output_artifacts: job.output_artifacts.clone(),
        credentials: JobCredentials {
            access_key_id: job.key.account.clone(),
            secret_access_key: random_hex(20),
            session_token: random_hex(48),
        },
        continuation_token: None,
    }
}

impl Provider for JobWorkerAction {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let kind = if job.action.action_type.owner == "ThirdParty" {
            JobKind::ThirdParty
        } else {
            JobKind::Custom
        };
        let action_execution_id = job.action_execution_id.clone();
        // simfra creates a missing artifact bucket on first use (README decisions); the
        // worker's upload of an output artifact is that use here.
        if let (Some(objects), Some(out)) = (&self.objects, job.output_artifacts.first()) {
            if !objects.bucket_exists(&out.bucket) {
                match objects.ensure_bucket(&job.key.account, &job.key.region, &out.bucket) {
                    Ok(true) => tracing::info!(bucket = %out.bucket, "created the artifact bucket"),
                    Ok(false) => {}
                    Err(e) => {
                        reporter.failed("JobFailed", e.to_string());
                        return Box::new(super::NothingToCancel);
                    }
                }
            }
        }
        self.queue.start_action(NewAction {
            kind,
            account: job.key.account.clone(),
            // A cross-region action's worker polls in the action's region.
            region: job
                .action
                .region
                .clone()
                .unwrap_or_else(|| job.key.region.clone()),
            client_id: client_id(&job),
            data: job_data(&job),
            sink: Box::new(move |report| match report {
                ProviderReport::Progress(p) => reporter.progress(p),
                ProviderReport::Succeeded(s) => reporter.succeeded(s),
                ProviderReport::Failed(e) => reporter.failed(&e.code, e.message),
            }),
        });
        Box::new(RunningJobs {
            queue: self.queue.clone(),
            action_execution_id,
        })
    }
}

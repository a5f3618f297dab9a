//! CodeDeploy deploy provider (AWS / Deploy / CodeDeploy).
//!
//! Creates a deployment of `ApplicationName` to `DeploymentGroupName` whose revision is the
//! action's one input artifact (an S3 zip in the artifact store). The deployment id is the
//! action's external execution id; when the deployment ends the deploy service calls back and
//! the action reports: succeeded iff the deployment Succeeded (summary `Deployment
//! Succeeded`), else `JobFailed` with the deployment's error. Abandoning the action stops the
//! deployment.

use std::sync::Arc;

use super::{
    ActionJob, ActionProgress, ActionSuccess, NothingToCancel, Provider, Reporter, RunningAction,
};
use crate::engine::ports::{DeployRequest, DeployService, DeployTarget, ObjectStore, PortError};
use crate::engine::records::ActionRecord;

pub struct CodeDeployAction {
    pub deployments: Arc<dyn DeployService>,
    /// The artifact store, to refuse a clone reference as input.
    pub objects: Arc<dyn ObjectStore>,
}

fn request(job: &ActionJob) -> Result<DeployRequest, String> {
    let get = |k: &str| {
        job.configuration
            .get(k)
            .cloned()
            .ok_or_else(|| format!("{k} is not set"))
    };
    let input = match job.input_artifacts.as_slice() {
        [one] => one,
        _ => return Err("A CodeDeploy action takes exactly one input artifact".into()),
    };
    Ok(DeployRequest {
        account: job.key.account.clone(),
        region: job.key.region.clone(),
        pipeline: job.key.name.clone(),
        application: get("ApplicationName")?,
        deployment_group: get("DeploymentGroupName")?,
        bucket: input.bucket.clone(),
        key: input.key.clone(),
    })
}

struct RunningDeployment {
    deployments: Arc<dyn DeployService>,
    account: String,
    region: String,
    id: String,
}

impl RunningAction for RunningDeployment {
    fn cancel(&mut self) {
        self.deployments
            .stop_deployment(&self.account, &self.region, &self.id);
    }
}

impl Provider for CodeDeployAction {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let req = match request(&job) {
            Ok(r) => r,
            Err(msg) => {
                reporter.failed("ConfigurationError", msg);
                return Box::new(NothingToCancel);
            }
        };
        // A missing input is the deployment's own error to report; a clone reference is
        // refused here (a small read: the artifact's head, only when it is small).
        if let Some(input) = job.input_artifacts.first() {
            if let Ok(mut object) = self.objects.get_object(&input.bucket, &input.key, None) {
                if let Err((code, message)) =
                    super::codecommit::refuse_clone_ref(input, &mut object, "a CodeDeploy action")
                {
                    reporter.failed(&code, message);
                    return Box::new(NothingToCancel);
                }
            }
        }
        let (account, region) = (req.account.clone(), req.region.clone());
        let done = reporter.clone();
        let started = self.deployments.start_deployment(
            req,
            Box::new(move |result| {
                if result.status == "Succeeded" {
                    done.succeeded(ActionSuccess {
                        summary: Some("Deployment Succeeded".into()),
                        external_execution_id: Some(result.deployment_id),
                        ..Default::default()
                    });
                } else {
                    let message = match result.message {
                        Some(m) => format!(
                            "Deployment {} {}: {m}",
                            result.deployment_id,
                            result.status.to_lowercase()
                        ),
                        None => format!("Deployment {} failed", result.deployment_id),
                    };
                    done.failed("JobFailed", message);
                }
            }),
        );
        match started {
            Ok(id) => {
                reporter.progress(ActionProgress {
                    external_execution_id: Some(id.clone()),
                    ..Default::default()
                });
                Box::new(RunningDeployment {
                    deployments: self.deployments.clone(),
                    account,
                    region,
                    id,
                })
            }
            Err(e) => {
                reporter.failed("JobFailed", e.to_string());
                Box::new(NothingToCancel)
            }
        }
    }

    /// The deployment's instances (its id is the action's external execution id); none before
    /// the deployment was created.
    fn deploy_targets(&self, record: &ActionRecord) -> Result<Vec<DeployTarget>, PortError> {
        match &record.external_execution_id {
            Some(id) => self
                .deployments
                .targets(&record.key.account, &record.key.region, id),
            None => Ok(Vec::new()),
        }
    }
}

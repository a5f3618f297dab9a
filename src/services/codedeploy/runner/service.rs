//! The runner as the API sees it (the launcher) and as the pipeline's deploy action sees it
//! (the deploy service port).

use super::*;
use crate::services::codedeploy::model::InstanceTarget;

/// The runner as the API's launcher.
pub(super) struct Launch(pub(super) Arc<DeployRunner>);

impl Launcher for Launch {
    fn launch(&self, account: &str, region: &str, deployment_id: &str) {
        self.0.enqueue(account, region, deployment_id);
    }

    fn stop(&self, account: &str, region: &str, deployment_id: &str, auto_rollback: bool) -> bool {
        self.0.stop(account, region, deployment_id, auto_rollback)
    }

    fn instance_registered(&self, account: &str, region: &str, name: &str) {
        let r = self.0.clone();
        let (a, g, n) = (account.to_string(), region.to_string(), name.to_string());
        self.0
            .handle
            .spawn(async move { r.start_instance(&a, &g, &n).await });
    }

    fn shutdown(&self) {
        self.0.shutdown();
        if !self.0.config.persistent {
            self.0.remove_instance_containers();
        }
    }

    fn reset(&self) {
        self.0.shutdown();
        self.0.remove_instance_containers();
    }

    fn instance_deregistered(&self, account: &str, region: &str, name: &str) {
        let r = self.0.clone();
        let (a, g, n) = (account.to_string(), region.to_string(), name.to_string());
        self.0
            .handle
            .spawn(async move { r.stop_instance(&a, &g, &n).await });
    }
}

/// CodeDeploy as the pipeline's deploy action backend.
pub struct Deploys {
    pub svc: Arc<CodeDeploy>,
    pub runner: Arc<DeployRunner>,
}

impl DeployService for Deploys {
    fn start_deployment(
        &self,
        req: DeployRequest,
        done: Box<dyn FnOnce(DeployResult) + Send>,
    ) -> Result<String, PortError> {
        let input = crate::services::codedeploy::model::CreateDeploymentInput {
            application_name: req.application.clone(),
            deployment_group_name: Some(req.deployment_group.clone()),
            revision: Some(crate::services::codedeploy::model::RevisionLocation::s3(
                &req.bucket,
                &req.key,
                crate::services::codedeploy::model::BundleType::Zip,
            )),
            ..Default::default()
        };
        let id = self
            .svc
            .create_deployment(&req.account, &req.region, input, "user")
            .map_err(|e| PortError::Other(e.to_string()))?;
        self.runner.when_done(
            &req.account,
            &req.region,
            &id,
            Box::new(move |d: &DeploymentRecord| {
                done(DeployResult {
                    deployment_id: d.info.deployment_id.clone(),
                    status: d.info.status.as_str().to_string(),
                    message: d
                        .info
                        .error_information
                        .as_ref()
                        .and_then(|e| e.message.clone()),
                })
            }),
        );
        Ok(id)
    }

    fn stop_deployment(&self, account: &str, region: &str, deployment_id: &str) {
        self.runner.stop(account, region, deployment_id, false);
    }

    fn targets(
        &self,
        account: &str,
        region: &str,
        deployment_id: &str,
    ) -> Result<Vec<DeployTarget>, PortError> {
        // A deployment that is gone (CodeDeploy's state was reset) has no targets left.
        Ok(self
            .svc
            .state
            .deployment(account, region, deployment_id)
            .map(|d| d.targets.iter().map(deploy_target).collect())
            .unwrap_or_default())
    }
}

/// A deployment's instance as a deploy action's target: its lifecycle events are the steps,
/// the first start and the last end its times.
fn deploy_target(t: &InstanceTarget) -> DeployTarget {
    use crate::services::codedeploy::model::TargetStatus;
    let events: Vec<DeployTargetEvent> = t
        .lifecycle_events
        .iter()
        .map(|e| DeployTargetEvent {
            name: e.lifecycle_event_name.clone(),
            status: e.status.as_str().to_string(),
            start_time: e.start_time,
            end_time: e.end_time,
            message: e
                .diagnostics
                .as_ref()
                .map(|d| d.message.clone())
                .filter(|m| !m.is_empty()),
        })
        .collect();
    DeployTarget {
        id: t.target_id.clone(),
        kind: if t.target_arn.contains(":ec2:") {
            "EC2".into()
        } else {
            "OnPremises".into()
        },
        status: t.status.as_str().to_string(),
        start_time: events.iter().find_map(|e| e.start_time),
        end_time: matches!(
            t.status,
            TargetStatus::Succeeded | TargetStatus::Failed | TargetStatus::Skipped
        )
        .then(|| events.iter().rev().find_map(|e| e.end_time))
        .flatten(),
        events,
    }
}

//! Deployment configurations as batches, pure: which targets of an in-place (Server) deployment
//! may be deployed to next, and when the deployment as a whole has succeeded or failed, given
//! the configuration's minimum healthy hosts. Knows nothing of containers, hooks or the API.
//!
//! AWS's rules, from the CodeDeploy User Guide ("CodeDeploy instance health", "Working with
//! deployment configurations") and the `MinimumHealthyHosts` API reference:
//!
//! - The minimum is `HOST_COUNT` as given, or `FLEET_PERCENT` of the targets **rounded up**
//!   (`ceil(n * value / 100)`): 40% of 9 targets is 4.
//! - A deployment never takes more targets offline than keeps the minimum healthy: at most
//!   `n - minimum - failed` targets are in progress at once ("HOST_COUNT 6 of 9: up to three at a
//!   time"; "FLEET_PERCENT 40 of 9: up to five"; HalfAtATime, 50%, of 9: four). Every target is
//!   counted healthy until it fails (the guide's examples assume a healthy fleet; simfra does not
//!   carry instance health across deployments).
//! - A minimum at or above the number of targets fails the deployment before it starts ("95% of
//!   10 rounds up to 10 ... the overall deployment immediately fails"): `HEALTH_CONSTRAINTS_INVALID`.
//!   No targets at all: `NO_INSTANCES`.
//! - It fails as soon as the healthy targets fall to the minimum while targets are still waiting
//!   (`failed >= n - minimum` with any pending), or below it at any time (`failed > n - minimum`):
//!   `HEALTH_CONSTRAINTS`. Hence the guide's exception: with a minimum of 9 of 10, a failure on
//!   the last target still succeeds, and with 8 of 10 a second failure on the last target too.
//! - `CodeDeployDefault.OneAtATime` (reported as `MOST_CONCURRENCY` 1) keeps all targets but one
//!   healthy: it is `HOST_COUNT n - 1`, so it fails on any failure but the last target's, and
//!   with a single target that target must succeed.
//! - At least one target must succeed, even with a minimum of 0: `CodeDeployDefault.AllAtOnce`
//!   (`HOST_COUNT` 0) deploys to all at once and fails only if every target fails.
//!
//! Targets are started in index order (the caller orders them); once the deployment has failed
//! or been stopped nothing new starts, targets in progress may still report, and the targets
//! never started are Skipped.
//!
//! The minimum itself is [`MinimumHealthyHosts::healthy_required`] of the configuration model.

use super::model::{ErrorCode, ErrorInformation, MinimumHealthyHosts, TargetStatus};

/// Why a deployment failed, as its `errorInformation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// `NO_INSTANCES`, `HEALTH_CONSTRAINTS_INVALID` or `HEALTH_CONSTRAINTS`.
    pub code: ErrorCode,
    pub message: String,
}

impl PlanError {
    pub fn error_information(&self) -> ErrorInformation {
        ErrorInformation::new(self.code.clone(), self.message.clone())
    }
}

/// Where the deployment as a whole stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Running,
    Succeeded,
    Failed(PlanError),
    /// [`Fleet::stop`] was called.
    Stopped,
}

/// The targets of one deployment and how far it has got.
#[derive(Debug, Clone)]
pub struct Fleet {
    minimum: usize,
    targets: Vec<TargetStatus>,
    /// Set once: a failure or a stop is final.
    ended: Option<Verdict>,
}

impl Fleet {
    /// A deployment to `n` targets under a configuration's minimum healthy hosts; refused
    /// before anything starts when there are no targets or the minimum cannot be kept.
    pub fn new(n: usize, rule: &MinimumHealthyHosts) -> Result<Fleet, PlanError> {
        if n == 0 {
            return Err(PlanError {
                code: ErrorCode::NoInstances,
                message: "The deployment failed because no instances were found for your deployment group. Check your deployment group settings to make sure the tags for your EC2 instances or Auto Scaling groups correctly identify the instances you want to deploy to, and then try again.".to_string(),
            });
        }
        let minimum = rule.healthy_required(n);
        if minimum >= n {
            return Err(PlanError {
                code: ErrorCode::HealthConstraintsInvalid,
                message: format!(
                    "The deployment failed because the minimum number of healthy instances ({minimum}) required by the deployment configuration is not less than the number of instances in the deployment ({n}), so no instance can be taken offline. Lower the minimum healthy hosts value or add instances, and then try again."
                ),
            });
        }
        Ok(Fleet {
            minimum,
            targets: vec![TargetStatus::Pending; n],
            ended: None,
        })
    }

    /// The number of targets that must stay healthy.
    pub fn minimum(&self) -> usize {
        self.minimum
    }

    /// The most targets in progress at once while nothing has failed.
    pub fn batch_size(&self) -> usize {
        self.targets.len() - self.minimum
    }

    /// A target's status (Pending ones of an ended deployment are still Pending here; see
    /// [`Fleet::statuses`]).
    pub fn status(&self, target: usize) -> Option<TargetStatus> {
        self.targets.get(target).cloned()
    }

    fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|s| **s == status).count()
    }

    /// The pending targets that may start now (lowest indices first), marked InProgress. Empty
    /// while the batch is full, and once the deployment is over.
    pub fn next_batch(&mut self) -> Vec<usize> {
        if self.verdict() != Verdict::Running {
            return Vec::new();
        }
        let busy = self.count(TargetStatus::InProgress) + self.count(TargetStatus::Failed);
        let room = self.batch_size().saturating_sub(busy);
        let batch: Vec<usize> = (0..self.targets.len())
            .filter(|&i| self.targets[i] == TargetStatus::Pending)
            .take(room)
            .collect();
        for &i in &batch {
            self.targets[i] = TargetStatus::InProgress;
        }
        batch
    }

    /// Records how a target in progress ended. Reports for targets not in progress (unknown,
    /// never started, already reported) are ignored.
    pub fn report(&mut self, target: usize, ok: bool) {
        let Some(slot) = self.targets.get_mut(target) else {
            return;
        };
        if *slot != TargetStatus::InProgress {
            return;
        }
        *slot = if ok {
            TargetStatus::Succeeded
        } else {
            TargetStatus::Failed
        };
        if self.ended.is_none() && self.health_lost() {
            self.ended = Some(Verdict::Failed(health_constraints()));
        }
    }

    /// StopDeployment: nothing new starts; the pending targets are Skipped.
    pub fn stop(&mut self) {
        if self.verdict() == Verdict::Running {
            self.ended = Some(Verdict::Stopped);
        }
    }

    /// The minimum can no longer be kept.
    fn health_lost(&self) -> bool {
        let failed = self.count(TargetStatus::Failed);
        let spare = self.targets.len() - self.minimum;
        failed > spare || (failed == spare && self.count(TargetStatus::Pending) > 0)
    }

    pub fn verdict(&self) -> Verdict {
        if let Some(ended) = &self.ended {
            return ended.clone();
        }
        let open = self.count(TargetStatus::Pending) + self.count(TargetStatus::InProgress);
        if open > 0 {
            return Verdict::Running;
        }
        // Every target has reported and the minimum held; at least one must have succeeded.
        if self.count(TargetStatus::Succeeded) == 0 {
            return Verdict::Failed(health_constraints());
        }
        Verdict::Succeeded
    }

    /// The targets never started because the deployment failed or was stopped.
    pub fn skipped(&self) -> Vec<usize> {
        if self.verdict() == Verdict::Running {
            return Vec::new();
        }
        (0..self.targets.len())
            .filter(|&i| self.targets[i] == TargetStatus::Pending)
            .collect()
    }

    /// Every target's status, pending targets of an ended deployment shown as Skipped.
    pub fn statuses(&self) -> Vec<TargetStatus> {
        let ended = self.verdict() != Verdict::Running;
        self.targets
            .iter()
            .map(|s| match s {
                TargetStatus::Pending if ended => TargetStatus::Skipped,
                s => s.clone(),
            })
            .collect()
    }
}

fn health_constraints() -> PlanError {
    PlanError {
        code: ErrorCode::HealthConstraints,
        message: "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.".to_string(),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

//! Manual approval (AWS / Approval / Manual): the action waits with a fresh token until
//! PutApprovalResult answers it (handled by the action actor) or it times out.

use super::{ActionJob, ActionProgress, NothingToCancel, Provider, Reporter, RunningAction};

pub struct ManualApproval;

impl Provider for ManualApproval {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let token = job
            .resume_token
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        reporter.progress(ActionProgress {
            summary: job.configuration.get("CustomData").cloned(),
            token: Some(token),
            external_execution_url: job.configuration.get("ExternalEntityLink").cloned(),
            ..Default::default()
        });
        Box::new(NothingToCancel)
    }

    fn can_reattach(&self) -> bool {
        true
    }
}

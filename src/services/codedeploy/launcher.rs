//! The seam between CodeDeploy's API (handlers, state) and what runs deployments (the runner,
//! which reaches targets through the container runtime). The API stores a deployment and asks
//! the launcher to run it; the runner records progress in the state as it goes.

/// What runs deployments, as the API sees it. Wired at start-up.
pub trait Launcher: Send + Sync {
    /// A deployment was created and stored (status `Created`): run it, or queue it behind the
    /// deployment of its group that is running.
    fn launch(&self, account: &str, region: &str, deployment_id: &str);
    /// StopDeployment: true when the deployment was queued or running and is being stopped
    /// (the runner records `Stopped` and, when asked, rolls back).
    fn stop(&self, account: &str, region: &str, deployment_id: &str, auto_rollback: bool) -> bool;
    /// An on-premises instance was registered: the runner gives it a container.
    fn instance_registered(&self, account: &str, region: &str, name: &str);
    /// An on-premises instance was deregistered: its container goes.
    fn instance_deregistered(&self, account: &str, region: &str, name: &str);
    /// The server stops: running deployments stop (and, when nothing is persisted, the
    /// instances' containers go).
    fn shutdown(&self) {}
    /// `/_simfra/reset`: running deployments stop and the instances' containers go.
    fn reset(&self) {}
}

/// A launcher that runs nothing (tests of the API alone): deployments stay as created.
pub struct NoLauncher;

impl Launcher for NoLauncher {
    fn launch(&self, _account: &str, _region: &str, _deployment_id: &str) {}
    fn stop(&self, _a: &str, _r: &str, _d: &str, _rollback: bool) -> bool {
        false
    }
    fn instance_registered(&self, _a: &str, _r: &str, _n: &str) {}
    fn instance_deregistered(&self, _a: &str, _r: &str, _n: &str) {}
}

//! Running builds: each build is one task on the build thread (`simfra-builds`), walking the
//! phase state machine (`phases.rs`) and doing each phase's work in a container through the
//! [`ContainerRuntime`] port. Status changes are written to the build record as they happen,
//! published as `aws.codebuild` events, and the build's output goes line by line into
//! CloudWatch Logs. Whoever waits for a build (a pipeline action) registers a callback that
//! runs once when the build completes: a message, never a poll.
//!
//! Layout: `mod.rs` (the runner, start/stop, waiting), `build/` (one build, phase by phase:
//! `mod.rs` the walk, `environment.rs` PROVISIONING and DOWNLOAD_SOURCE, `commands.rs` the
//! buildspec's commands and the cache), `sources.rs` (DOWNLOAD_SOURCE), `upload.rs` (UPLOAD_ARTIFACTS), `agent_log.rs` (the
//! agent's log lines and batching into CloudWatch Logs), `events.rs` (EventBridge events).

mod agent_log;
mod build;
mod events;
mod sources;
#[cfg(test)]
mod tests;
mod upload;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::model::{Build, ProjectArtifacts, ProjectSource};
use super::state::State;
use crate::bus::EventBus;
use crate::engine::ports::{ObjectStore, SourceRepository};
use crate::runtime::ContainerRuntime;
use crate::services::logs::Logs;

/// Why a running build is asked to end early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// StopBuild, or the pipeline stopped/abandoned the action.
    Stopped,
    /// The server is shutting down.
    Shutdown,
}

/// An artifact location in the pipeline's artifact store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineArtifact {
    pub name: String,
    pub bucket: String,
    pub key: String,
}

/// A build started by a pipeline action: its input and output artifacts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PipelineIo {
    pub pipeline: String,
    pub inputs: Vec<PipelineArtifact>,
    /// Index of the primary input in `inputs`.
    pub primary: usize,
    pub outputs: Vec<PipelineArtifact>,
    /// The primary input's source revision (`CODEBUILD_RESOLVED_SOURCE_VERSION`).
    #[serde(default)]
    pub source_revision: Option<String>,
}

/// What a build runs with, beyond its record: the effective configuration after overrides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildJob {
    pub account: String,
    pub region: String,
    pub build_id: String,
    pub source: ProjectSource,
    pub secondary_sources: Vec<ProjectSource>,
    pub artifacts: ProjectArtifacts,
    pub secondary_artifacts: Vec<ProjectArtifacts>,
    /// Buildspec text or path (override, else the project's source buildspec).
    pub buildspec: Option<String>,
    /// Environment variables (name, value, type), project first then overrides.
    pub variables: Vec<(String, String, String)>,
    pub privileged: bool,
    pub cache_paths_volume: Option<String>,
    pub pipeline: Option<PipelineIo>,
}

/// simfra's endpoint as build containers reach it: given, or the Docker bridge gateway with
/// the port the server bound (known only once it has bound).
#[derive(Debug)]
pub enum EndpointCell {
    Fixed(String),
    OnBound {
        bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
        ip: std::net::IpAddr,
    },
}

impl EndpointCell {
    pub fn fixed(url: String) -> Self {
        EndpointCell::Fixed(url)
    }

    pub fn on_bound(
        bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
        ip: std::net::IpAddr,
    ) -> Self {
        EndpointCell::OnBound { bound, ip }
    }

    pub fn get(&self) -> Option<String> {
        match self {
            EndpointCell::Fixed(u) => Some(u.clone()),
            EndpointCell::OnBound { bound, ip } => bound
                .get()
                .map(|a| format!("http://{}", std::net::SocketAddr::new(*ip, a.port()))),
        }
    }
}

/// Settings of the runner.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// simfra's endpoint as a build container reaches it (`AWS_ENDPOINT_URL`), if known.
    pub container_endpoint: Option<Arc<EndpointCell>>,
    /// The local image used for `aws/codebuild/*` images (`SIMFRA_CODEBUILD_IMAGE`).
    pub codebuild_image: Option<String>,
    /// How long one minute of `timeoutInMinutes` lasts (tests shorten it).
    pub minute: Duration,
    /// Scratch space on the host for sources and artifacts in transit.
    pub work_dir: PathBuf,
    /// Network to attach build containers to (None: the daemon's default).
    pub network: Option<String>,
    /// Extra /etc/hosts entries for build containers.
    pub extra_hosts: Vec<String>,
    /// Why Docker cannot be used although `SIMFRA_DOCKER` is on (builds fail saying so).
    pub docker_unavailable: Option<String>,
}

type Waiter = Box<dyn FnOnce(&Build) + Send>;

/// Removes build containers whose server is gone (no process with the pid and start time of
/// their owner label, or its container no longer runs). Containers of other simfra servers
/// that still run are left alone.
async fn reap_orphans(rt: &dyn ContainerRuntime) {
    let containers = match rt.list(("simfra.service", "codebuild")).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("could not look for leftover build containers: {e}");
            return;
        }
    };
    let Ok(running) = rt.running().await else {
        return;
    };
    let running: Vec<String> = running.into_iter().map(|(id, _)| id).collect();
    let mut removed = 0;
    for (id, labels) in containers {
        let alive = crate::runtime::owner_alive(&labels, &running);
        if !alive && rt.remove(&id).await.is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!("removed {removed} build containers left from an earlier run");
    }
}

/// Runs builds and tells waiters when they end.
pub struct Runner {
    pub(crate) state: Arc<State>,
    pub(crate) logs: Arc<Logs>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) repos: Option<Arc<dyn SourceRepository>>,
    pub(crate) runtime: Option<Arc<dyn ContainerRuntime>>,
    pub(crate) bus: EventBus,
    pub(crate) config: RunnerConfig,
    handle: tokio::runtime::Handle,
    running: Mutex<HashMap<String, watch::Sender<Option<StopReason>>>>,
    waiters: Mutex<HashMap<String, Vec<Waiter>>>,
}

impl Runner {
    /// Starts the build thread and returns the runner.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        state: Arc<State>,
        logs: Arc<Logs>,
        objects: Arc<dyn ObjectStore>,
        repos: Option<Arc<dyn SourceRepository>>,
        runtime: Option<Arc<dyn ContainerRuntime>>,
        bus: EventBus,
        config: RunnerConfig,
    ) -> Result<Arc<Runner>, String> {
        let handle = crate::runtime::thread::background("simfra-builds")?;
        let runner = Arc::new(Runner {
            state,
            logs,
            objects,
            repos,
            runtime,
            bus,
            config,
            handle,
            running: Mutex::new(HashMap::new()),
            waiters: Mutex::new(HashMap::new()),
        });
        runner.recover();
        if let Some(rt) = runner.runtime.clone() {
            // Containers a crashed server left behind.
            runner
                .handle
                .spawn(async move { reap_orphans(rt.as_ref()).await });
        }
        Ok(runner)
    }

    /// Builds that were running when the server stopped cannot be resumed (their containers
    /// are gone): they end as FAULT, with a phase context that says why.
    fn recover(&self) {
        for rec in self.state.unfinished() {
            let result = self
                .state
                .modify_build(&rec.account, &rec.region, &rec.build.id, |b| {
                    build::end_interrupted(b)
                });
            match result {
                Ok(_) if rec.managed => {}
                Ok(b) => self
                    .bus
                    .publish(events::state_change(&rec.account, &rec.region, &b)),
                Err(e) => {
                    tracing::error!(build = %rec.build.id, "could not record an interrupted build: {e}")
                }
            }
        }
    }

    /// Starts a stored (SUBMITTED) build in the background.
    pub fn launch(self: &Arc<Self>, job: BuildJob) {
        let (tx, rx) = watch::channel(None);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job.build_id.clone(), tx);
        let runner = self.clone();
        self.handle.spawn(async move {
            let id = job.build_id.clone();
            let (account, region) = (job.account.clone(), job.region.clone());
            build::run(&runner, job, rx).await;
            runner
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            runner.finished(&account, &region, &id);
        });
    }

    /// Asks a running build to stop; false when it is not running.
    pub fn stop(&self, build_id: &str, reason: StopReason) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.get(build_id) {
            Some(tx) => {
                let _ = tx.send(Some(reason));
                true
            }
            None => false,
        }
    }

    pub fn is_running(&self, build_id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(build_id)
    }

    /// Calls `f` once with the finished build: now if it is already complete, else when it
    /// completes.
    pub fn when_done(&self, account: &str, region: &str, build_id: &str, f: Waiter) {
        {
            let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            let done = self
                .state
                .build(account, region, build_id)
                .is_none_or(|b| b.build_complete);
            if !done {
                waiters.entry(build_id.to_string()).or_default().push(f);
                return;
            }
        }
        if let Some(b) = self.state.build(account, region, build_id) {
            f(&b);
        }
    }

    fn finished(&self, account: &str, region: &str, build_id: &str) {
        let waiting = self
            .waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(build_id)
            .unwrap_or_default();
        if let Some(b) = self.state.build(account, region, build_id) {
            for f in waiting {
                f(&b);
            }
        }
    }

    /// Stops every running build and waits (a bounded time) for their containers to go.
    pub fn shutdown(&self) {
        let ids: Vec<String> = {
            let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            for tx in running.values() {
                let _ = tx.send(Some(StopReason::Shutdown));
            }
            running.keys().cloned().collect()
        };
        if ids.is_empty() {
            return;
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::warn!("some builds did not finish stopping before shutdown: {ids:?}");
    }

    /// Stops everything (used by `/_simfra/reset`).
    pub fn reset(&self) {
        self.shutdown();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

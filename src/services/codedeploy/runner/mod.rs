//! Running deployments: each deployment is one task on the deployment thread
//! (`simfra-deploys`). It finds its targets (containers), fetches and unpacks the revision,
//! and walks every target through the lifecycle events in the container (`target.rs`), as
//! many targets at a time as the deployment configuration allows (`plan.rs`). Progress is
//! written to the deployment's record as it happens and published as `aws.codedeploy` events.
//! One deployment per group runs at a time; the next waits `Queued`. Whoever waits for a
//! deployment (a pipeline action) registers a callback that runs once when it ends.
//!
//! Layout: `mod.rs` (the runner: queueing, stop, waiting, rollback), `instances.rs` (the
//! containers of on-premises instances), `service.rs` (the launcher and the pipeline's deploy
//! service), `deploy.rs` (one deployment), `target.rs` (one target's lifecycle), `hooks.rs` (hook
//! scripts), `bundle.rs` (the revision on the host), `targets.rs` (which containers),
//! `events.rs`.

mod bundle;
mod deploy;
mod events;
mod hooks;
mod instances;
mod service;
mod target;
mod targets;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::watch;

use super::launcher::Launcher;
use super::model::{DeploymentStatus, ErrorCode, ErrorInformation};
use super::state::{DeploymentRecord, State};
use super::CodeDeploy;
use crate::bus::EventBus;
use crate::engine::ports::{
    DeployRequest, DeployResult, DeployService, DeployTarget, DeployTargetEvent, ObjectStore,
    PortError,
};
use crate::protocol::{AwsEnum, Timestamp};
use crate::runtime::{ContainerRuntime, ContainerSpec};

pub use service::Deploys;
pub use targets::EC2_TAG_LABEL;

/// Settings of the deployment runner.
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// Scratch space on the host for revisions in transit.
    pub work_dir: PathBuf,
    /// The image on-premises instances' containers run (`SIMFRA_CODEDEPLOY_IMAGE`).
    pub instance_image: Option<String>,
    /// Whether state survives a restart (`SIMFRA_DATA_DIR`): then instances keep their
    /// containers across restarts; otherwise they go with the server.
    pub persistent: bool,
    /// The network instances' containers join (simfra's own, when it runs in a container).
    pub network: Option<String>,
    /// simfra's URL as containers reach it: `AWS_ENDPOINT_URL` in lifecycle hooks.
    pub endpoint: Option<Arc<crate::services::EndpointCell>>,
    /// Why Docker cannot be used although `SIMFRA_DOCKER` is on (deployments fail saying so).
    pub docker_unavailable: Option<String>,
}

type Waiter = Box<dyn FnOnce(&DeploymentRecord) + Send>;

/// A stop request: whether to roll back afterwards.
type StopSignal = Option<bool>;

#[derive(Default)]
struct GroupQueue {
    running: Option<String>,
    queued: VecDeque<(String, String, String)>,
}

pub struct DeployRunner {
    pub(crate) svc: Weak<CodeDeploy>,
    pub(crate) state: Arc<State>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) runtime: Option<Arc<dyn ContainerRuntime>>,
    pub(crate) bus: EventBus,
    pub(crate) config: DeployConfig,
    handle: tokio::runtime::Handle,
    groups: Mutex<HashMap<String, GroupQueue>>,
    stops: Mutex<HashMap<String, watch::Sender<StopSignal>>>,
    waiters: Mutex<HashMap<String, Vec<Waiter>>>,
    /// Instances' containers are started and removed one at a time (registration and the
    /// start-up adoption must not both start one).
    instance_lock: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl DeployRunner {
    /// Starts the deployment thread, ends deployments a stopped server left running, gives
    /// registered instances their containers, and wires itself in as the service's launcher.
    pub fn start(
        svc: &Arc<CodeDeploy>,
        objects: Arc<dyn ObjectStore>,
        runtime: Option<Arc<dyn ContainerRuntime>>,
        bus: EventBus,
        config: DeployConfig,
    ) -> Result<Arc<DeployRunner>, String> {
        let handle = crate::runtime::thread::background("simfra-deploys")?;
        let runner = Arc::new(DeployRunner {
            svc: Arc::downgrade(svc),
            state: svc.state.clone(),
            objects,
            runtime,
            bus,
            config,
            handle,
            groups: Mutex::new(HashMap::new()),
            stops: Mutex::new(HashMap::new()),
            waiters: Mutex::new(HashMap::new()),
            instance_lock: tokio::sync::Mutex::new(()),
        });
        runner.recover();
        let r = runner.clone();
        runner
            .handle
            .spawn(async move { r.adopt_instances().await });
        svc.set_launcher(Arc::new(service::Launch(runner.clone())));
        Ok(runner)
    }

    /// Deployments that were running when the server stopped cannot be resumed: they end
    /// Failed, saying why.
    fn recover(&self) {
        for d in self.state.unfinished_deployments() {
            let r =
                self.state
                    .modify_deployment(&d.account, &d.region, &d.info.deployment_id, |d| {
                        d.info.status = DeploymentStatus::Failed;
                        d.info.error_information = Some(ErrorInformation::new(
                            ErrorCode::InternalError,
                            "simfra stopped while the deployment was running; it cannot be resumed",
                        ));
                        d.info.complete_time = Some(Timestamp::now());
                    });
            if let Err(e) = r {
                tracing::error!("could not record an interrupted deployment: {e}");
            }
        }
    }

    /// Queues a deployment behind its group's running one, or starts it.
    fn enqueue(self: &Arc<Self>, account: &str, region: &str, id: &str) {
        let Some(d) = self.state.deployment(account, region, id) else {
            return;
        };
        let start_now = {
            let mut groups = lock(&self.groups);
            let q = groups.entry(d.group_id.clone()).or_default();
            if q.running.is_none() {
                q.running = Some(id.to_string());
                true
            } else {
                q.queued
                    .push_back((account.to_string(), region.to_string(), id.to_string()));
                false
            }
        };
        let (tx, rx) = watch::channel(None);
        lock(&self.stops).insert(id.to_string(), tx);
        if start_now {
            self.spawn(account, region, id, rx);
        } else {
            let _ = self.state.modify_deployment(account, region, id, |d| {
                d.info.status = DeploymentStatus::Queued;
            });
        }
    }

    fn spawn(
        self: &Arc<Self>,
        account: &str,
        region: &str,
        id: &str,
        rx: watch::Receiver<StopSignal>,
    ) {
        let runner = self.clone();
        let (account, region, id) = (account.to_string(), region.to_string(), id.to_string());
        self.handle.spawn(async move {
            let rollback = deploy::run(&runner, &account, &region, &id, rx).await;
            runner.finished(&account, &region, &id, rollback);
        });
    }

    /// After a deployment ended: waiters, automatic rollback, the group's next deployment.
    fn finished(self: &Arc<Self>, account: &str, region: &str, id: &str, rollback: bool) {
        lock(&self.stops).remove(id);
        if let Err(e) = self.state.record_group_history(account, region, id) {
            tracing::warn!("could not record the group's history: {e}");
        }
        let Some(d) = self.state.deployment(account, region, id) else {
            return;
        };
        if rollback {
            self.roll_back(&d);
        }
        let d = self.state.deployment(account, region, id).unwrap_or(d);
        let waiting = lock(&self.waiters).remove(id).unwrap_or_default();
        for f in waiting {
            f(&d);
        }
        let next = {
            let mut groups = lock(&self.groups);
            let q = groups.entry(d.group_id.clone()).or_default();
            q.running = None;
            let next = q.queued.pop_front();
            if let Some((_, _, nid)) = &next {
                q.running = Some(nid.clone());
            }
            next
        };
        if let Some((a, r, nid)) = next {
            let rx = lock(&self.stops).get(&nid).map(|tx| tx.subscribe());
            match rx {
                Some(rx) => self.spawn(&a, &r, &nid, rx),
                None => {
                    let (tx, rx) = watch::channel(None);
                    lock(&self.stops).insert(nid.clone(), tx);
                    self.spawn(&a, &r, &nid, rx);
                }
            }
        }
    }

    /// Redeploys the group's last successful revision (automatic rollback).
    fn roll_back(&self, failed: &DeploymentRecord) {
        let Some(svc) = self.svc.upgrade() else {
            return;
        };
        let Some(group) = self
            .state
            .group_by_id(&failed.account, &failed.region, &failed.group_id)
        else {
            return;
        };
        let Some(last_ok) = group
            .info
            .last_successful_deployment
            .as_ref()
            .and_then(|l| l.deployment_id.clone())
            .and_then(|id| self.state.deployment(&failed.account, &failed.region, &id))
        else {
            let _ = self.state.modify_deployment(
                &failed.account,
                &failed.region,
                &failed.info.deployment_id,
                |d| {
                    d.info.rollback_info = Some(super::model::RollbackInfo {
                        rollback_message: Some(
                            "Automatic rollback was not done: the group has no earlier successful deployment".into(),
                        ),
                        ..Default::default()
                    })
                },
            );
            return;
        };
        let input = super::model::CreateDeploymentInput {
            application_name: failed.info.application_name.clone(),
            deployment_group_name: Some(failed.info.deployment_group_name.clone()),
            revision: last_ok.info.revision.clone(),
            deployment_config_name: Some(failed.info.deployment_config_name.clone()),
            description: Some(format!(
                "Automatic rollback of {}",
                failed.info.deployment_id
            )),
            file_exists_behavior: Some(super::model::FileExistsBehavior::Overwrite),
            auto_rollback_configuration: Some(super::model::AutoRollbackConfiguration {
                enabled: Some(false),
                events: None,
            }),
            ..Default::default()
        };
        match svc.create_deployment(&failed.account, &failed.region, input, "codeDeployRollback") {
            Ok(new_id) => {
                let failed_id = failed.info.deployment_id.clone();
                let _ = self.state.modify_deployment(
                    &failed.account,
                    &failed.region,
                    &failed_id,
                    |d| {
                        d.info.rollback_info = Some(super::model::RollbackInfo {
                            rollback_deployment_id: Some(new_id.clone()),
                            ..Default::default()
                        })
                    },
                );
                let _ =
                    self.state
                        .modify_deployment(&failed.account, &failed.region, &new_id, |d| {
                            d.info.rollback_info = Some(super::model::RollbackInfo {
                                rollback_triggering_deployment_id: Some(failed_id.clone()),
                                ..Default::default()
                            })
                        });
            }
            Err(e) => tracing::warn!("the automatic rollback could not start: {e}"),
        }
    }

    /// Calls `f` once with the ended deployment: now if it has ended, else when it does.
    pub fn when_done(&self, account: &str, region: &str, id: &str, f: Waiter) {
        {
            let mut waiters = lock(&self.waiters);
            let done = self
                .state
                .deployment(account, region, id)
                .is_none_or(|d| d.info.status.is_terminal());
            if !done {
                waiters.entry(id.to_string()).or_default().push(f);
                return;
            }
        }
        if let Some(d) = self.state.deployment(account, region, id) {
            f(&d);
        }
    }

    /// Asks a queued or running deployment to stop.
    pub fn stop(&self, account: &str, region: &str, id: &str, rollback: bool) -> bool {
        let _ = (account, region);
        match lock(&self.stops).get(id) {
            Some(tx) => {
                let _ = tx.send(Some(rollback));
                true
            }
            None => false,
        }
    }

    /// Stops every deployment (server shutdown, reset) and waits a bounded time.
    pub fn shutdown(&self) {
        let ids: Vec<String> = {
            let stops = lock(&self.stops);
            for tx in stops.values() {
                let _ = tx.send(Some(false));
            }
            stops.keys().cloned().collect()
        };
        if ids.is_empty() {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::time::Instant::now() < deadline && !lock(&self.stops).is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A name safe for container names.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

//! The execution engine: actix actors that really run pipelines. Knows nothing of HTTP.
//!
//! ```text
//! Supervisor            one per server: registry, execution modes, stage locks, transitions
//!  └─ ExecutionActor    one per execution: stages in series, artifacts, variables
//!      ├─ StageActor    runOrder groups in series, the actions of a group in parallel
//!      │   └─ ActionActor   one provider run, cancellable
//!      └─ ConditionActor    one evaluation of a stage condition (`conditions/`)
//! ```
//! Children report up with messages (`messages.rs`); the plan (`plan.rs`), the status state
//! machine (`status.rs`), rule evaluation and condition decisions (`conditions/`) are pure. Retries and rollbacks of a stage go through the supervisor
//! (`rerun.rs`). Every status change is persisted (`records.rs`) before it is visible and
//! published once on the internal event bus (`events.rs`). Reads come from the records, never
//! from an actor's mailbox. All actors live on one engine arbiter (thread).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

pub mod action;
pub mod conditions;
pub mod errors;
pub mod events;
pub mod execution;
pub mod jobs;
pub mod messages;
pub mod plan;
pub mod ports;
pub mod providers;
pub mod records;
pub mod rerun;
pub mod small_map;
pub mod spec;
pub mod stage;
pub mod status;
pub mod supervisor;
pub mod variables;

pub use errors::EngineError;
pub use records::{ActionRecord, ExecutionRecord, PipelineRuntime, Records, Trigger};
pub use spec::{PipelineKey, PipelineSpec};

use crate::bus::EventBus;
use crate::clock::Timestamp;
use crate::store::{Store, StoreError};

/// Threads the engine's providers run their blocking work on (artifact copies and zips).
const BLOCKING_THREADS: usize = 4;

/// Engine limits and timeouts (shortened in tests).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a manual approval waits (AWS: 7 days), unless the action sets `timeoutInMinutes`.
    pub approval_timeout: Duration,
    /// How long any other action may run (AWS: 1 hour for most providers).
    pub action_timeout: Duration,
    /// Executions in flight per pipeline before StartPipelineExecution is refused.
    pub max_in_flight_per_pipeline: usize,
    /// How long a rule of a stage condition may stay in progress (a closed deployment window),
    /// unless the rule sets `timeoutInMinutes`.
    pub rule_timeout: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            approval_timeout: Duration::from_secs(7 * 24 * 3600),
            action_timeout: Duration::from_secs(3600),
            max_in_flight_per_pipeline: 1000,
            rule_timeout: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// What every actor of the engine shares.
#[derive(Clone)]
pub struct Shared {
    pub records: Records,
    pub bus: EventBus,
    pub providers: Arc<providers::Providers>,
    pub config: Arc<EngineConfig>,
    pub supervisor: Addr<supervisor::Supervisor>,
}

/// How an execution is being started.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub key: PipelineKey,
    pub spec: Arc<PipelineSpec>,
    pub trigger: Trigger,
    /// Resolved pipeline-level variables (defaults with overrides applied).
    pub variables: Vec<(String, String)>,
    pub client_request_token: Option<String>,
    /// Pinned source revisions: action name -> (revision type, value).
    pub source_overrides: BTreeMap<String, (String, String)>,
}

/// The handle the services use.
#[derive(Clone)]
pub struct Engine {
    shared: Shared,
    /// The engine's own actix system (its thread ends when this system stops).
    system: actix::System,
}

impl Engine {
    /// Starts the engine on its own thread (an actix system of its own, so it runs the same
    /// whether the caller is inside an actix system or not) and resumes executions that were
    /// in flight.
    pub fn start(
        store: Arc<Store>,
        bus: EventBus,
        providers: providers::Providers,
        config: EngineConfig,
    ) -> Result<Engine, StoreError> {
        let records = Records::load(store)?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("simfra-engine".into())
            .spawn(move || {
                // A few blocking threads are enough for the providers' file work (artifact
                // copies) on a small machine, and each one that exists keeps a malloc arena.
                let system = actix::System::with_tokio_rt(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .max_blocking_threads(BLOCKING_THREADS)
                        .build()
                        .expect("the engine's runtime starts")
                });
                system.block_on(async move {
                    let _ = tx.send((
                        supervisor::Supervisor::new().start(),
                        actix::System::current(),
                    ));
                });
                system.run().ok();
            })
            .map_err(|source| StoreError::Io {
                path: "engine thread".into(),
                source,
            })?;
        let (supervisor, system) = rx.recv().map_err(|_| StoreError::Io {
            path: "engine thread".into(),
            source: std::io::Error::other("the engine thread did not start"),
        })?;
        let shared = Shared {
            records,
            bus,
            providers: Arc::new(providers),
            config: Arc::new(config),
            supervisor: supervisor.clone(),
        };
        let in_flight = shared.records.in_flight();
        supervisor.do_send(supervisor::Init(shared.clone(), in_flight));
        Ok(Engine { shared, system })
    }

    pub fn records(&self) -> &Records {
        &self.shared.records
    }

    pub fn bus(&self) -> &EventBus {
        &self.shared.bus
    }

    /// The jobs of Custom and ThirdParty actions, as job workers poll and answer them.
    pub fn jobs(&self) -> &jobs::JobQueue {
        self.shared.providers.jobs()
    }

    /// The targets an action execution deploys to, as its provider knows them
    /// (`ListDeployActionExecutionTargets`).
    pub fn deploy_targets(
        &self,
        record: &records::ActionRecord,
    ) -> Result<Vec<ports::DeployTarget>, ports::PortError> {
        self.shared
            .providers
            .of_type(&record.action_type)
            .deploy_targets(record)
    }

    /// Starts an execution: its record is written (and visible to reads) before this returns,
    /// then its actor is launched. A repeated `client_request_token` returns the execution that
    /// token started.
    pub fn start_execution(&self, req: StartRequest) -> Result<String, EngineError> {
        let records = &self.shared.records;
        if let Some(token) = &req.client_request_token {
            if let Some(existing) = records.execution_by_token(&req.key, token) {
                return Ok(existing.id);
            }
        }
        let limit = self.shared.config.max_in_flight_per_pipeline;
        let in_flight = records.in_flight_count(&req.key);
        if in_flight >= limit {
            return Err(EngineError::LimitExceeded(format!(
                "The pipeline {} already has {in_flight} executions in progress (the limit is {limit})",
                req.key.name
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let record = records.begin_execution(&req.key, &req.spec, |seq| {
            execution::new_record(
                &req.key,
                &req.spec,
                id.clone(),
                seq,
                req.trigger,
                req.variables,
                req.client_request_token,
                req.source_overrides,
            )
        });
        self.shared.supervisor.do_send(messages::LaunchExecution {
            spec: req.spec,
            record,
        });
        Ok(id)
    }

    pub async fn stop_execution(
        &self,
        key: &PipelineKey,
        execution_id: &str,
        abandon: bool,
        reason: Option<String>,
    ) -> Result<(), EngineError> {
        self.shared
            .supervisor
            .send(messages::Stop {
                key: key.clone(),
                execution_id: execution_id.to_string(),
                abandon,
                reason,
            })
            .await?
    }

    pub async fn set_transition(
        &self,
        key: &PipelineKey,
        stage: &str,
        enabled: bool,
        reason: Option<String>,
        changed_by: String,
    ) -> Result<(), EngineError> {
        self.shared
            .supervisor
            .send(messages::SetTransition {
                key: key.clone(),
                stage: stage.to_string(),
                enabled,
                reason,
                changed_by,
            })
            .await?
    }

    /// Retries a stage of an execution that failed or was stopped there: the same execution
    /// runs again from that stage (`mode` says which of its actions run again).
    pub async fn retry_stage(
        &self,
        key: &PipelineKey,
        stage: &str,
        execution_id: &str,
        mode: status::RetryMode,
        current_version: i64,
    ) -> Result<(), EngineError> {
        self.shared
            .supervisor
            .send(messages::RetryStage {
                key: key.clone(),
                stage: stage.to_string(),
                execution_id: execution_id.to_string(),
                mode,
                current_version,
            })
            .await?
    }

    /// Starts a ROLLBACK execution that runs `stage` of `spec` (the current version) again
    /// with the artifacts and variables of `target`; returns its id.
    pub async fn rollback_stage(
        &self,
        key: &PipelineKey,
        spec: Arc<PipelineSpec>,
        stage: &str,
        target: &str,
        trigger: Trigger,
    ) -> Result<String, EngineError> {
        self.shared
            .supervisor
            .send(messages::RollbackStage {
                key: key.clone(),
                spec,
                stage: stage.to_string(),
                target: messages::RollbackTo::Execution(target.to_string()),
                trigger,
            })
            .await?
    }

    /// OverrideStageCondition: the condition of `kind` that `stage` of `execution_id` is
    /// evaluating counts as met, and the execution goes on.
    pub async fn override_condition(
        &self,
        key: &PipelineKey,
        stage: &str,
        execution_id: &str,
        kind: conditions::ConditionKind,
        by: String,
    ) -> Result<(), EngineError> {
        self.shared
            .supervisor
            .send(messages::OverrideCondition {
                key: key.clone(),
                stage: stage.to_string(),
                execution_id: execution_id.to_string(),
                kind,
                by,
            })
            .await?
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn put_approval_result(
        &self,
        key: &PipelineKey,
        stage: &str,
        action: &str,
        token: &str,
        approved: bool,
        summary: Option<String>,
        by: String,
    ) -> Result<Timestamp, EngineError> {
        self.shared
            .supervisor
            .send(messages::Approve {
                key: key.clone(),
                stage: stage.to_string(),
                action: action.to_string(),
                token: token.to_string(),
                approved,
                summary,
                by,
            })
            .await?
    }

    /// Stops the engine's actors and thread (server shutdown). Executions in flight stay in
    /// the records and resume at the next start when the state is persisted.
    pub fn shutdown(&self) {
        self.system.stop();
    }

    /// Returns once every write the engine queued so far is committed: what the router does
    /// before it answers, for callers that read the engine's records without it (tests).
    pub fn durable(&self) -> Result<(), crate::store::StoreError> {
        self.shared.records.durable()
    }

    /// Forgets everything (`/_simfra/reset`): live executions are abandoned, records cleared.
    pub fn reset(&self) {
        self.shared.records.clear();
        self.shared.providers.jobs().clear();
        self.shared.supervisor.do_send(messages::ResetAll);
    }

    /// A deleted pipeline: its history is forgotten at once, and its running executions are
    /// abandoned (their provider work is cancelled; their late writes are dropped).
    pub fn forget_pipeline(&self, key: &PipelineKey) {
        self.shared.records.remove_pipeline(key);
        self.shared
            .supervisor
            .do_send(messages::ForgetPipeline { key: key.clone() });
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rerun;

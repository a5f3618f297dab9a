//! The pipeline execution actor: runs the stages of one execution in series, asking the
//! supervisor for entry into each (stage locks, transitions, execution modes), carrying
//! artifacts and variables from stage to stage, and recording the execution's status.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix::prelude::*;

use super::events;
use super::messages::*;
use super::plan::Plan;
use super::records::{ActionRecord, ArtifactLocation, ExecutionRecord, StageRun};
use super::spec::PipelineSpec;
use super::stage::{StageActor, StageStart};
use super::status::{
    after_stage, ExecutionStep, PipelineExecutionStatus, StageExecutionStatus, StopMode,
};
use super::variables::Scope;
use super::Shared;
use crate::clock::Timestamp;

pub struct ExecutionActor {
    shared: Shared,
    spec: Arc<PipelineSpec>,
    plan: Plan,
    record: ExecutionRecord,
    /// The stage being run, with its actor.
    in_stage: Option<(usize, Addr<StageActor>)>,
    artifacts: Vec<ArtifactLocation>,
    scope: Scope,
    /// Resuming after a restart: the stage to continue in, with its prior action executions.
    resume_in: Option<(usize, HashMap<String, ActionRecord>)>,
    ended: bool,
}

impl ExecutionActor {
    pub fn new(shared: Shared, spec: Arc<PipelineSpec>, record: ExecutionRecord) -> Self {
        let plan = super::plan::plan(&spec);
        let mut scope = Scope::default();
        scope.set_namespace(
            "codepipeline",
            [("PipelineExecutionId".to_string(), record.id.clone())].into(),
        );
        scope.set_namespace("variables", record.variables.iter().cloned().collect());
        ExecutionActor {
            shared,
            spec,
            plan,
            record,
            in_stage: None,
            artifacts: Vec::new(),
            scope,
            resume_in: None,
            ended: false,
        }
    }

    /// An execution that was in flight when the server stopped: artifacts and variables of
    /// its succeeded actions are restored, and it continues where it was.
    pub fn resumed(shared: Shared, spec: Arc<PipelineSpec>, record: ExecutionRecord) -> Self {
        let actions = shared.records.actions_of_execution(&record.id);
        let mut actor = ExecutionActor::new(shared, spec, record);
        let current = actor.record.stage.clone();
        let current_idx = current
            .as_ref()
            .and_then(|s| actor.plan.stages.iter().position(|p| &p.name == s));
        let mut prior: HashMap<String, ActionRecord> = HashMap::new();
        for a in actions {
            let in_current = Some(&a.stage) == current.as_ref() && !actor.record.waiting;
            if in_current {
                // The latest run of each action of the current stage decides what is re-run.
                prior.insert(a.action.clone(), a.clone());
            }
            if a.status == super::status::ActionExecutionStatus::Succeeded && !in_current {
                actor.artifacts.extend(a.output_artifacts.iter().cloned());
                if let Some(ns) = &a.namespace {
                    actor.scope.set_namespace(ns, a.output_variables.clone());
                }
            }
        }
        if let Some(idx) = current_idx {
            actor.resume_in = Some((idx, prior));
        }
        actor
    }

    fn persist(&mut self, f: impl FnOnce(&mut ExecutionRecord)) {
        match self.shared.records.update_execution(&self.record.id, f) {
            Ok(Some(rec)) => self.record = rec,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(execution = %self.record.id, "could not persist the execution: {e}")
            }
        }
    }

    fn request_entry(&mut self, idx: usize) {
        let stage = self.plan.stages[idx].name.clone();
        self.persist(|r| {
            r.stage = Some(stage.clone());
            r.waiting = true;
        });
        self.shared.supervisor.do_send(RequestEntry {
            execution_id: self.record.id.clone(),
            key: self.record.key.clone(),
            stage,
            seq: self.record.seq,
            mode: self.record.execution_mode,
        });
    }

    fn start_stage(
        &mut self,
        idx: usize,
        prior: HashMap<String, ActionRecord>,
        ctx: &mut Context<Self>,
    ) {
        let stage = self.plan.stages[idx].name.clone();
        let now = Timestamp::now();
        let resuming = !prior.is_empty();
        self.persist(|r| {
            r.stage = Some(stage.clone());
            r.waiting = false;
            let run = r.stages.entry(stage.clone()).or_insert(StageRun {
                status: StageExecutionStatus::InProgress,
                started: now,
                updated: now,
            });
            run.status = StageExecutionStatus::InProgress;
            run.updated = now;
        });
        let key = self.record.key.clone();
        let id = self.record.id.clone();
        let stage_for_runtime = stage.clone();
        if let Err(e) = self.shared.records.update_runtime(&key, |rt| {
            rt.stage_latest.insert(stage_for_runtime, id);
        }) {
            tracing::error!("could not persist the stage's latest execution: {e}");
        }
        if !resuming {
            self.shared
                .bus
                .publish(events::stage(&self.record, &stage, "STARTED"));
        }
        let start = StageStart {
            key: self.record.key.clone(),
            execution_id: self.record.id.clone(),
            pipeline_version: self.record.pipeline_version,
            artifact_bucket: self.spec.artifact_bucket.clone(),
            spec: self.spec.stages[idx].clone(),
            plan: self.plan.stages[idx].clone(),
            artifacts: self.artifacts.clone(),
            scope: self.scope.clone(),
            source_overrides: self.record.source_overrides.clone(),
            prior,
        };
        let addr = StageActor::new(self.shared.clone(), ctx.address(), start).start();
        self.in_stage = Some((idx, addr));
    }

    fn end(
        &mut self,
        status: PipelineExecutionStatus,
        summary: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        if self.ended {
            return;
        }
        self.ended = true;
        let leaving_wait = self.record.waiting;
        self.persist(|r| {
            r.status = status;
            if summary.is_some() {
                r.status_summary = summary;
            }
            if leaving_wait {
                r.waiting = false;
            }
        });
        self.shared
            .bus
            .publish(events::pipeline(&self.record, status.event_state()));
        self.shared.supervisor.do_send(ExecutionEnded {
            execution_id: self.record.id.clone(),
            key: self.record.key.clone(),
        });
        ctx.stop();
    }
}

impl Actor for ExecutionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some((idx, prior)) = self.resume_in.take() {
            if self.record.waiting {
                self.request_entry(idx);
            } else {
                // It held the stage when the server stopped; the supervisor re-registered that.
                self.start_stage(idx, prior, ctx);
            }
            return;
        }
        self.shared
            .bus
            .publish(events::pipeline(&self.record, "STARTED"));
        if self.plan.stages.is_empty() {
            self.end(PipelineExecutionStatus::Succeeded, None, ctx);
            return;
        }
        self.request_entry(0);
    }
}

impl Handler<EnterStage> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, msg: EnterStage, ctx: &mut Context<Self>) {
        if self.ended {
            self.shared.supervisor.do_send(ReleaseStage {
                execution_id: self.record.id.clone(),
                key: self.record.key.clone(),
                stage: msg.stage,
            });
            return;
        }
        let Some(idx) = self.plan.stages.iter().position(|s| s.name == msg.stage) else {
            return;
        };
        if self.record.stop_mode.is_some() {
            self.shared.supervisor.do_send(ReleaseStage {
                execution_id: self.record.id.clone(),
                key: self.record.key.clone(),
                stage: msg.stage,
            });
            self.end(PipelineExecutionStatus::Stopped, None, ctx);
            return;
        }
        self.start_stage(idx, HashMap::new(), ctx);
    }
}

impl Handler<StageFinished> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, msg: StageFinished, ctx: &mut Context<Self>) {
        let Some((idx, _)) = self.in_stage.take() else {
            return;
        };
        let now = Timestamp::now();
        let stage = msg.stage.clone();
        let status = msg.status;
        self.artifacts.extend(msg.outputs.artifacts.iter().cloned());
        for (ns, vars) in &msg.outputs.namespaces {
            self.scope.set_namespace(ns, vars.clone());
        }
        let revisions = msg.outputs.revisions.clone();
        let failure = msg.outputs.failure.clone();
        self.persist(|r| {
            if let Some(run) = r.stages.get_mut(&stage) {
                run.status = status;
                run.updated = now;
            }
            for rev in revisions {
                r.artifact_revisions.retain(|x| x.name != rev.name);
                r.artifact_revisions.push(rev);
            }
            if status == StageExecutionStatus::Failed {
                r.error_details = failure.clone();
            }
        });
        self.shared
            .bus
            .publish(events::stage(&self.record, &stage, status.event_state()));
        self.shared.supervisor.do_send(ReleaseStage {
            execution_id: self.record.id.clone(),
            key: self.record.key.clone(),
            stage: stage.clone(),
        });
        match after_stage(
            idx,
            self.plan.stages.len(),
            status,
            self.record.stop_mode.is_some(),
        ) {
            ExecutionStep::EnterStage(next) => self.request_entry(next),
            ExecutionStep::Finish(final_status) => {
                let summary = match final_status {
                    PipelineExecutionStatus::Failed => Some(match &failure {
                        Some(f) => format!("Stage {stage} failed: {}", f.message),
                        None => format!("Stage {stage} failed"),
                    }),
                    _ => None,
                };
                self.end(final_status, summary, ctx);
            }
        }
    }
}

impl Handler<StopExecution> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, msg: StopExecution, ctx: &mut Context<Self>) {
        if self.ended {
            return;
        }
        let first = self.record.stop_mode.is_none();
        let reason = msg.reason.clone();
        self.persist(|r| {
            r.status = PipelineExecutionStatus::Stopping;
            r.stop_mode = Some(msg.mode);
            if reason.is_some() {
                r.stop_reason = reason;
            }
        });
        if first {
            self.shared
                .bus
                .publish(events::pipeline(&self.record, "STOPPING"));
        }
        match self.in_stage.clone() {
            Some((idx, addr)) => {
                if first {
                    let name = self.plan.stages[idx].name.clone();
                    let now = Timestamp::now();
                    let n = name.clone();
                    self.persist(|r| {
                        if let Some(run) = r.stages.get_mut(&n) {
                            run.status = StageExecutionStatus::Stopping;
                            run.updated = now;
                        }
                    });
                    self.shared
                        .bus
                        .publish(events::stage(&self.record, &name, "STOPPING"));
                }
                addr.do_send(StopStage { mode: msg.mode });
            }
            // Waiting in front of a stage (the supervisor already dropped it from the queue).
            None => self.end(PipelineExecutionStatus::Stopped, None, ctx),
        }
    }
}

impl Handler<Supersede> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, _: Supersede, ctx: &mut Context<Self>) {
        if self.in_stage.is_none() {
            self.end(PipelineExecutionStatus::Superseded, None, ctx);
        }
    }
}

/// Builds a new execution's record.
#[allow(clippy::too_many_arguments)]
pub fn new_record(
    key: &super::spec::PipelineKey,
    spec: &PipelineSpec,
    id: String,
    seq: u64,
    trigger: super::records::Trigger,
    variables: Vec<(String, String)>,
    client_request_token: Option<String>,
    source_overrides: BTreeMap<String, (String, String)>,
) -> ExecutionRecord {
    let now = Timestamp::now();
    ExecutionRecord {
        key: key.clone(),
        id,
        pipeline_version: spec.version,
        seq,
        status: PipelineExecutionStatus::InProgress,
        status_summary: None,
        start_time: now,
        last_update_time: now,
        trigger,
        stop_reason: None,
        stop_mode: None::<StopMode>,
        execution_mode: spec.execution_mode,
        execution_type: "STANDARD".into(),
        variables,
        artifact_revisions: Vec::new(),
        stage: None,
        waiting: false,
        stages: BTreeMap::new(),
        error_details: None,
        client_request_token,
        source_overrides,
    }
}

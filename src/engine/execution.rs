//! The pipeline execution actor: runs the stages of one execution in series, asking the
//! supervisor for entry into each (stage locks, transitions, execution modes), carrying
//! artifacts and variables from stage to stage, and recording the execution's status.
//!
//! A ROLLBACK execution runs its one stage with the artifacts and variables of its target
//! (the supervisor places it at that stage). A failed stage whose `onFailure` result is RETRY
//! runs again here, at once; ROLLBACK asks the supervisor for a rollback before the stage is
//! released. A manual retry (RetryStageExecution) starts a new actor for the ended execution
//! (`rerun.rs`), which re-enters the stage like an execution resumed after a restart.
//!
//! A stage's conditions (`beforeEntry` once the execution is let in, `onSuccess` once every
//! action succeeded, `onFailure` once the stage failed) are evaluated by condition actors;
//! `execution/hooks.rs` starts them and applies what they decide.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use actix::prelude::*;

use super::conditions::ConditionKind;
use super::events;
use super::messages::*;
use super::plan::{self, Plan};
use super::records::{
    ActionRecord, ArtifactLocation, ErrorDetails, ExecutionRecord, PipelineRuntime, StageRetry,
    StageRun,
};
use super::spec::PipelineSpec;
use super::stage::{StageActor, StageStart};
use super::status::{
    after_failure, after_stage, AfterFailure, ExecutionStep, PipelineExecutionStatus, RetryMode,
    RetryTrigger, StageExecutionStatus, StopMode,
};
use super::variables::Scope;
use super::Shared;
use crate::clock::Timestamp;

mod hooks;

pub(crate) use hooks::not_overridable;

/// How an execution (re)enters a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// For the first time (event `STARTED`).
    Fresh,
    /// Again after a restart of the server (no event: nothing changed for observers).
    Resumed,
    /// Again for a retry (event `RESUMED`, and pipeline `RESUMED` for a manual one).
    Retried,
}

pub struct ExecutionActor {
    shared: Shared,
    spec: Arc<PipelineSpec>,
    plan: Plan,
    /// The stages this execution runs (one for a rollback).
    stages: Range<usize>,
    record: ExecutionRecord,
    /// The stage being run, with its actor.
    in_stage: Option<(usize, Addr<StageActor>)>,
    artifacts: Vec<ArtifactLocation>,
    scope: Scope,
    /// Re-entering a stage (restart, retry): the stage, with the runs of its actions that count.
    resume_in: Option<(usize, HashMap<String, ActionRecord>)>,
    entry: Entry,
    /// The stage condition being evaluated, if any (the stage's actor is not running then).
    evaluating: Option<hooks::Evaluating>,
    ended: bool,
}

impl ExecutionActor {
    pub fn new(shared: Shared, spec: Arc<PipelineSpec>, record: ExecutionRecord) -> Self {
        Self::build(shared, spec, record, Entry::Fresh)
    }

    /// An execution that was in flight when the server stopped: artifacts and variables of
    /// its succeeded actions are restored, and it continues where it was.
    pub fn resumed(shared: Shared, spec: Arc<PipelineSpec>, record: ExecutionRecord) -> Self {
        Self::build(shared, spec, record, Entry::Resumed)
    }

    /// An ended execution whose stage is being retried (its record already says so): it
    /// re-enters that stage, reusing the runs the retry keeps.
    pub fn retried(shared: Shared, spec: Arc<PipelineSpec>, record: ExecutionRecord) -> Self {
        Self::build(shared, spec, record, Entry::Retried)
    }

    fn build(
        shared: Shared,
        spec: Arc<PipelineSpec>,
        record: ExecutionRecord,
        entry: Entry,
    ) -> Self {
        let plan = plan::plan(&spec);
        let stages = plan::stage_range(&plan, record.rollback.as_ref().map(|r| r.stage.as_str()));
        let mut actor = ExecutionActor {
            shared,
            spec,
            plan,
            stages,
            record,
            in_stage: None,
            artifacts: Vec::new(),
            scope: Scope::default(),
            resume_in: None,
            entry,
            evaluating: None,
            ended: false,
        };
        let prior = actor.restore();
        if entry != Entry::Fresh {
            let current = actor
                .record
                .stage
                .as_ref()
                .and_then(|s| actor.plan.stages.iter().position(|p| &p.name == s));
            if let Some(idx) = current {
                actor.resume_in = Some((idx, prior));
            }
        }
        actor
    }

    /// Rebuilds the artifacts and variables the execution carries from the records (a
    /// rollback's come from its target) and returns the runs of the stage it is in that count.
    fn restore(&mut self) -> HashMap<String, ActionRecord> {
        let records = self.shared.records.clone();
        self.artifacts.clear();
        self.scope = Scope::default();
        self.scope.set_namespace(
            "codepipeline",
            [("PipelineExecutionId".to_string(), self.record.id.clone())].into(),
        );
        self.scope
            .set_namespace("variables", self.record.variables.iter().cloned().collect());
        if let Some(rollback) = &self.record.rollback {
            let target = records.actions_of_execution(&rollback.target);
            let inherited = plan::carried(&target, Some(&rollback.stage), &[]);
            self.carry(inherited.artifacts, inherited.namespaces);
        }
        if self.record.stage.is_none() {
            return HashMap::new();
        }
        let own = records.actions_of_execution(&self.record.id);
        let current = self
            .record
            .stage
            .as_deref()
            .filter(|_| !self.record.waiting);
        let discarded = self
            .record
            .retry
            .as_ref()
            .map(|r| r.discarded.as_slice())
            .unwrap_or_default();
        let own = plan::carried(&own, current, discarded);
        self.carry(own.artifacts, own.namespaces);
        own.prior
    }

    fn carry(
        &mut self,
        artifacts: Vec<ArtifactLocation>,
        namespaces: BTreeMap<String, BTreeMap<String, String>>,
    ) {
        plan::merge_artifacts(&mut self.artifacts, artifacts);
        for (ns, vars) in namespaces {
            self.scope.set_namespace(&ns, vars);
        }
    }

    fn persist(&mut self, f: impl FnOnce(&mut ExecutionRecord)) {
        self.persist_with_runtime(f, None::<fn(&mut PipelineRuntime)>);
    }

    /// Persists a change of the execution and, in the same write, of its pipeline's runtime.
    fn persist_with_runtime(
        &mut self,
        f: impl FnOnce(&mut ExecutionRecord),
        runtime: Option<impl FnOnce(&mut PipelineRuntime)>,
    ) {
        let records = &self.shared.records;
        if let Some(rec) = records.update_execution_and_runtime(&self.record.id, f, runtime) {
            self.record = rec;
        }
    }

    /// Asks the supervisor to let the execution into stage `idx`, after writing that it waits
    /// there, together with the end of the stage it leaves (`left`): one write. A new
    /// execution's record already says it waits at its first stage (`new_record`); nothing is
    /// written for it.
    fn request_entry(&mut self, idx: usize, left: Option<StageEnd>) {
        let stage = self.plan.stages[idx].name.clone();
        let written = left.is_none()
            && self.record.waiting
            && self.record.stage.as_deref() == Some(stage.as_str());
        if !written {
            self.persist(|r| {
                if let Some(end) = &left {
                    end.apply(r);
                }
                r.stage = Some(stage.clone());
                r.waiting = true;
            });
        }
        if let Some(end) = &left {
            end.publish(self);
        }
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
        entry: Entry,
        ctx: &mut Context<Self>,
    ) {
        self.open_stage(idx, entry);
        self.launch_stage(idx, prior, ctx);
    }

    /// Records that the execution is in the stage (and is its latest), with its event.
    fn open_stage(&mut self, idx: usize, entry: Entry) {
        let stage = self.plan.stages[idx].name.clone();
        let now = Timestamp::now();
        let id = self.record.id.clone();
        let stage_for_runtime = stage.clone();
        let latest = move |rt: &mut PipelineRuntime| {
            rt.stage_latest.insert(stage_for_runtime, id);
        };
        self.persist_with_runtime(
            |r| {
                r.stage = Some(stage.clone());
                r.waiting = false;
                let run = r.stages.get_or_insert_with(&stage, || StageRun {
                    status: StageExecutionStatus::InProgress,
                    started: now,
                    updated: now,
                    manual_retries: 0,
                    auto_retries: 0,
                    latest_retry_trigger: None,
                    conditions: BTreeMap::new(),
                });
                run.status = StageExecutionStatus::InProgress;
                run.updated = now;
                if entry == Entry::Retried {
                    run.started = now;
                }
            },
            Some(latest),
        );
        let event = match entry {
            Entry::Fresh => Some("STARTED"),
            Entry::Retried => Some("RESUMED"),
            Entry::Resumed => None,
        };
        if let Some(state) = event {
            events::stage(&self.shared.bus, &self.record, &stage, state);
        }
    }

    /// Starts the stage's actor (its runOrder groups).
    fn launch_stage(
        &mut self,
        idx: usize,
        prior: HashMap<String, ActionRecord>,
        ctx: &mut Context<Self>,
    ) {
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
            revisions: self
                .record
                .artifact_revisions
                .iter()
                .map(|r| (r.name.clone(), r.revision_id.clone()))
                .collect(),
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
        self.end_after(None, status, summary, ctx);
    }

    /// Ends the execution; the end of its last stage (`left`), if not written yet, is written
    /// with it, in one write, and its event published first.
    fn end_after(
        &mut self,
        left: Option<StageEnd>,
        status: PipelineExecutionStatus,
        summary: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        if self.ended {
            if let Some(end) = left {
                self.persist(|r| end.apply(r));
                end.publish(self);
            }
            return;
        }
        self.ended = true;
        // Before the end is written: a retry a client asks for once it sees the end then
        // reaches the supervisor after it has forgotten this actor.
        self.shared.supervisor.do_send(ExecutionEnded {
            execution_id: self.record.id.clone(),
            key: self.record.key.clone(),
        });
        let leaving_wait = self.record.waiting;
        self.persist(|r| {
            if let Some(end) = &left {
                end.apply(r);
            }
            r.status = status;
            if summary.is_some() {
                r.status_summary = summary;
            }
            if leaving_wait {
                r.waiting = false;
            }
        });
        if let Some(end) = &left {
            end.publish(self);
        }
        events::pipeline(&self.shared.bus, &self.record, status.event_state());
        ctx.stop();
    }
}

impl Actor for ExecutionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some((idx, prior)) = self.resume_in.take() {
            if self.entry == Entry::Retried {
                events::pipeline(&self.shared.bus, &self.record, "RESUMED");
            }
            if self.record.waiting {
                self.request_entry(idx, None);
            } else if !self.resume_condition(idx, &prior, ctx) {
                // It held the stage when the server stopped (or is retrying it); the
                // supervisor holds the stage's lock for it.
                self.start_stage(idx, prior, self.entry, ctx);
            }
            return;
        }
        events::pipeline(&self.shared.bus, &self.record, "STARTED");
        if self.stages.is_empty() {
            self.end(PipelineExecutionStatus::Succeeded, None, ctx);
            return;
        }
        if self.record.rollback.is_some() {
            // The supervisor placed the rollback at its stage; `EnterStage` lets it in.
            return;
        }
        self.request_entry(self.stages.start, None);
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
        self.open_stage(idx, Entry::Fresh);
        if !self.begin_condition(idx, ConditionKind::BeforeEntry, ctx) {
            self.launch_stage(idx, HashMap::new(), ctx);
        }
    }
}

impl Handler<StageFinished> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, msg: StageFinished, ctx: &mut Context<Self>) {
        let Some((idx, _)) = self.in_stage.take() else {
            return;
        };
        let stage = msg.stage.clone();
        let status = msg.status;
        // The stage's outputs are carried whatever comes next (its conditions' rules may
        // read the variables of its actions).
        plan::merge_artifacts(&mut self.artifacts, msg.outputs.artifacts.iter().cloned());
        for (ns, vars) in &msg.outputs.namespaces {
            self.scope.set_namespace(ns, vars.clone());
        }
        let revisions = msg.outputs.revisions.clone();
        let failure = msg.outputs.failure.clone();
        let retried_here = self.record.retry.as_ref().is_some_and(|x| x.stage == stage);
        if retried_here || !revisions.is_empty() {
            self.persist(|r| {
                if retried_here {
                    r.retry = None;
                }
                for rev in revisions {
                    r.artifact_revisions.retain(|x| x.name != rev.name);
                    r.artifact_revisions.push(rev);
                }
            });
        }
        if self.record.stop_mode.is_none() {
            match status {
                StageExecutionStatus::Succeeded
                    if self.begin_condition(idx, ConditionKind::OnSuccess, ctx) =>
                {
                    return;
                }
                StageExecutionStatus::Failed if self.evaluates(idx, ConditionKind::OnFailure) => {
                    // The stage has failed; its onFailure condition decides what follows.
                    self.record_stage_end(idx, status, failure);
                    self.begin_condition(idx, ConditionKind::OnFailure, ctx);
                    return;
                }
                _ => {}
            }
        }
        let auto_retries = self.record.stages.get(&stage).map_or(0, |r| r.auto_retries);
        let after = after_failure(
            self.spec.stages[idx].on_failure,
            status,
            self.record.stop_mode.is_some(),
            self.record.rollback.is_some(),
            auto_retries,
        );
        self.close_stage(idx, status, failure, after, false, ctx);
    }
}

impl ExecutionActor {
    /// Writes a stage's end (and publishes its event).
    fn record_stage_end(
        &mut self,
        idx: usize,
        status: StageExecutionStatus,
        failure: Option<ErrorDetails>,
    ) {
        let end = StageEnd::new(self.plan.stages[idx].name.clone(), status, failure);
        self.persist(|r| end.apply(r));
        end.publish(self);
    }

    /// A stage ended with `status`: the stage's lock is released (unless it runs again at
    /// once), a rollback is asked for, and the execution goes on or ends. `recorded`: the
    /// stage's end was written already (a failed stage whose onFailure condition decided).
    fn close_stage(
        &mut self,
        idx: usize,
        status: StageExecutionStatus,
        failure: Option<ErrorDetails>,
        after: AfterFailure,
        recorded: bool,
        ctx: &mut Context<Self>,
    ) {
        let stage = self.plan.stages[idx].name.clone();
        // The supervisor hears first: it handles these once this handler has written the
        // stage's end (one engine thread), and before any request a client sends after seeing
        // that end (its mailbox is FIFO). A stage that is retried at once keeps its lock.
        if after == AfterFailure::EndAndRollback {
            // Asked before the stage is released, so that the rollback enters it first.
            self.shared.supervisor.do_send(RollbackStage {
                key: self.record.key.clone(),
                spec: self.spec.clone(),
                stage: stage.clone(),
                target: RollbackTo::LastSuccess {
                    failed: self.record.id.clone(),
                },
                trigger: super::records::Trigger {
                    trigger_type: "AutomatedRollback".into(),
                    trigger_detail: self.record.id.clone(),
                },
            });
        }
        if !matches!(after, AfterFailure::Retry(_)) {
            self.shared.supervisor.do_send(ReleaseStage {
                execution_id: self.record.id.clone(),
                key: self.record.key.clone(),
                stage: stage.clone(),
            });
        }
        // The stage's end is written with what follows (the next stage's entry request or
        // the execution's end), unless the stage runs again at once.
        let left = (!recorded).then(|| StageEnd::new(stage.clone(), status, failure.clone()));
        if let AfterFailure::Retry(mode) = after {
            if let Some(end) = left {
                self.persist(|r| end.apply(r));
                end.publish(self);
            }
            self.retry_in_place(idx, mode, ctx);
            return;
        }
        let stopping = self.record.stop_mode.is_some();
        match after_stage(idx, self.stages.end, status, stopping) {
            ExecutionStep::EnterStage(next) => self.request_entry(next, left),
            ExecutionStep::Finish(final_status) => {
                let summary = match final_status {
                    PipelineExecutionStatus::Failed => Some(match &failure {
                        Some(f) => format!("Stage {stage} failed: {}", f.message),
                        None => format!("Stage {stage} failed"),
                    }),
                    _ => None,
                };
                self.end_after(left, final_status, summary, ctx);
            }
        }
    }
}

/// A stage's end, to be written with the change that follows it.
struct StageEnd {
    stage: String,
    status: StageExecutionStatus,
    failure: Option<ErrorDetails>,
    at: Timestamp,
}

impl StageEnd {
    fn new(stage: String, status: StageExecutionStatus, failure: Option<ErrorDetails>) -> Self {
        StageEnd {
            stage,
            status,
            failure,
            at: Timestamp::now(),
        }
    }

    fn apply(&self, r: &mut ExecutionRecord) {
        if let Some(run) = r.stages.get_mut(&self.stage) {
            run.status = self.status;
            run.updated = self.at;
        }
        if self.status == StageExecutionStatus::Failed {
            r.error_details = self.failure.clone();
        }
    }

    /// The stage's event, once the end is written.
    fn publish(&self, actor: &ExecutionActor) {
        events::stage(
            &actor.shared.bus,
            &actor.record,
            &self.stage,
            self.status.event_state(),
        );
    }
}

impl ExecutionActor {
    /// The automatic retry of a failed stage (`onFailure` RETRY): the stage runs again with
    /// the runs the mode keeps; the execution never leaves InProgress.
    fn retry_in_place(&mut self, idx: usize, mode: RetryMode, ctx: &mut Context<Self>) {
        let stage = self.plan.stages[idx].name.clone();
        let runs = self.shared.records.actions_of_execution(&self.record.id);
        let discarded = plan::retry_discards(&runs, &stage, mode);
        self.persist(|r| {
            if let Some(run) = r.stages.get_mut(&stage) {
                run.auto_retries += 1;
                run.latest_retry_trigger = Some(RetryTrigger::AutomatedStageRetry);
            }
            r.error_details = None;
            r.retry = Some(StageRetry {
                stage: stage.clone(),
                mode,
                discarded,
            });
        });
        let prior = self.restore();
        self.start_stage(idx, prior, Entry::Retried, ctx);
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
            events::pipeline(&self.shared.bus, &self.record, "STOPPING");
        }
        if self.evaluating.is_some() {
            self.stop_evaluating(msg.mode, ctx);
            return;
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
                    events::stage(&self.shared.bus, &self.record, &name, "STOPPING");
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
        if self.in_stage.is_none() && self.evaluating.is_none() {
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
        // It waits at its first stage from the start: the start writes that, not a second
        // write when the actor asks to enter.
        stage: spec.stages.first().map(|s| s.name.clone()),
        waiting: true,
        stages: Default::default(),
        error_details: None,
        client_request_token,
        source_overrides,
        retry: None,
        rollback: None,
    }
}

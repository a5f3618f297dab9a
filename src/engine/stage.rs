//! The stage actor: runs a stage's runOrder groups in series and the actions of a group in
//! parallel; a failure lets the group's running actions finish and starts no later group.
//! Stopping: "wait" lets running actions finish, "abandon" abandons them at once.

use std::collections::{BTreeMap, HashMap};

use actix::prelude::*;

use super::action::ActionActor;
use super::messages::*;
use super::plan::StagePlan;
use super::providers::ActionJob;
use super::records::{ActionRecord, ArtifactLocation, ArtifactRevision};
use super::spec::{PipelineKey, StageSpec};
use super::status::{
    after_group, group_outcome, ActionExecutionStatus, StageExecutionStatus, StageStep, StopMode,
};
use super::variables::Scope;
use super::Shared;

/// What a stage starts with.
pub struct StageStart {
    pub key: PipelineKey,
    pub execution_id: String,
    pub pipeline_version: i64,
    pub artifact_bucket: String,
    pub spec: StageSpec,
    pub plan: StagePlan,
    pub artifacts: Vec<ArtifactLocation>,
    pub scope: Scope,
    pub source_overrides: BTreeMap<String, (String, String)>,
    /// Source revisions of the artifacts produced so far, by artifact name.
    pub revisions: BTreeMap<String, String>,
    /// Latest action executions of this stage from before a restart, by action name.
    pub prior: HashMap<String, ActionRecord>,
}

pub struct StageActor {
    shared: Shared,
    execution: Addr<super::execution::ExecutionActor>,
    start: StageStart,
    group: usize,
    statuses: HashMap<String, ActionExecutionStatus>,
    running: HashMap<String, Addr<ActionActor>>,
    outputs: StageOutputs,
    stop: Option<StopMode>,
    finished: bool,
}

impl StageActor {
    pub fn new(
        shared: Shared,
        execution: Addr<super::execution::ExecutionActor>,
        start: StageStart,
    ) -> Self {
        StageActor {
            shared,
            execution,
            start,
            group: 0,
            statuses: HashMap::new(),
            running: HashMap::new(),
            outputs: StageOutputs::default(),
            stop: None,
            finished: false,
        }
    }

    fn absorb(&mut self, record: &ActionRecord) {
        self.outputs
            .artifacts
            .extend(record.output_artifacts.iter().cloned());
        self.start
            .artifacts
            .extend(record.output_artifacts.iter().cloned());
        if let Some(ns) = &record.namespace {
            self.outputs
                .namespaces
                .insert(ns.clone(), record.output_variables.clone());
            self.start
                .scope
                .set_namespace(ns, record.output_variables.clone());
        }
        if let Some(rev) = &record.current_revision {
            self.start
                .revisions
                .insert(rev.name.clone(), rev.revision_id.clone());
            self.outputs.revisions.push(ArtifactRevision {
                action_name: record.action.clone(),
                ..rev.clone()
            });
        }
        if let Some(err) = &record.error_details {
            self.outputs.failure.get_or_insert_with(|| err.clone());
        }
    }

    fn start_group(&mut self, group: usize, ctx: &mut Context<Self>) {
        self.group = group;
        let indices = self.start.plan.groups[group].clone();
        for i in indices {
            let spec = self.start.spec.actions[i].clone();
            if let Some(prior) = self.start.prior.remove(&spec.name) {
                match prior.status {
                    ActionExecutionStatus::Succeeded => {
                        self.absorb(&prior);
                        self.statuses.insert(spec.name.clone(), prior.status);
                        continue;
                    }
                    ActionExecutionStatus::InProgress
                        if self.shared.providers.get(&spec).can_reattach() =>
                    {
                        let job = self.job_for(&spec);
                        let actor =
                            ActionActor::resume(self.shared.clone(), ctx.address(), job, prior);
                        self.statuses
                            .insert(spec.name.clone(), ActionExecutionStatus::InProgress);
                        self.running.insert(spec.name.clone(), actor.start());
                        continue;
                    }
                    // Anything else that was running is run again, as a new action execution.
                    _ => {}
                }
            }
            let job = self.job_for(&spec);
            let actor = ActionActor::new(
                self.shared.clone(),
                ctx.address(),
                job,
                &self.start.artifacts,
                &self.start.scope,
                self.start.pipeline_version,
            );
            self.statuses
                .insert(spec.name.clone(), ActionExecutionStatus::InProgress);
            self.running.insert(spec.name.clone(), actor.start());
        }
        self.settle(ctx);
    }

    fn job_for(&self, spec: &super::spec::ActionSpec) -> ActionJob {
        ActionJob {
            key: self.start.key.clone(),
            pipeline_execution_id: self.start.execution_id.clone(),
            action_execution_id: uuid::Uuid::new_v4().to_string(),
            stage: self.start.spec.name.clone(),
            action: spec.clone(),
            configuration: spec.configuration.to_btree(),
            input_artifacts: Vec::new(),
            output_artifacts: Vec::new(),
            artifact_bucket: self.start.artifact_bucket.clone(),
            source_override: self.start.source_overrides.get(&spec.name).cloned(),
            input_revisions: spec
                .input_artifacts
                .iter()
                .filter_map(|a| Some((a.clone(), self.start.revisions.get(a)?.clone())))
                .collect(),
            resume_token: None,
        }
    }

    /// Once nothing of the current group runs, decides what comes next.
    fn settle(&mut self, ctx: &mut Context<Self>) {
        if self.finished || !self.running.is_empty() {
            return;
        }
        let group: Vec<ActionExecutionStatus> = self.start.plan.groups[self.group]
            .iter()
            .map(|i| {
                let name = &self.start.spec.actions[*i].name;
                self.statuses
                    .get(name)
                    .copied()
                    .unwrap_or(ActionExecutionStatus::Failed)
            })
            .collect();
        let outcome = group_outcome(&group);
        match after_group(
            self.group,
            self.start.plan.groups.len(),
            outcome,
            self.stop.is_some(),
        ) {
            StageStep::StartGroup(next) => self.start_group(next, ctx),
            StageStep::Finish(status) => self.finish(status, ctx),
        }
    }

    fn finish(&mut self, status: StageExecutionStatus, ctx: &mut Context<Self>) {
        self.finished = true;
        self.execution.do_send(StageFinished {
            stage: self.start.spec.name.clone(),
            status,
            outputs: std::mem::take(&mut self.outputs),
        });
        ctx.stop();
    }
}

impl Actor for StageActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.start.plan.groups.is_empty() {
            self.finish(StageExecutionStatus::Succeeded, ctx);
            return;
        }
        self.start_group(0, ctx);
    }
}

impl Handler<ActionFinished> for StageActor {
    type Result = ();

    fn handle(&mut self, msg: ActionFinished, ctx: &mut Context<Self>) {
        self.running.remove(&msg.action);
        self.statuses.insert(msg.action.clone(), msg.status);
        self.absorb(&msg.record);
        self.settle(ctx);
    }
}

impl Handler<StopStage> for StageActor {
    type Result = ();

    fn handle(&mut self, msg: StopStage, ctx: &mut Context<Self>) {
        self.stop = Some(msg.mode);
        if msg.mode == StopMode::Abandon {
            for addr in self.running.values() {
                addr.do_send(Abandon);
            }
        }
        self.settle(ctx);
    }
}

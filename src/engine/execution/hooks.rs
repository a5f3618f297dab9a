//! The execution actor's side of stage conditions: it starts a condition actor at a stage's
//! hook (re-attaching to an evaluation that was in progress when the server stopped), records
//! the condition's status on the stage's run, and applies what the pure decision
//! (`conditions::decide`) says once the condition is decided, overridden or stopped.

use std::collections::HashMap;

use actix::prelude::*;

use super::{Entry, ExecutionActor, StageEnd};
use crate::clock::Timestamp;
use crate::engine::conditions::actor::{ConditionActor, ConditionStart};
use crate::engine::conditions::decide::{self, Facts, Outcome, Step};
use crate::engine::conditions::{ConditionExecutionStatus, ConditionKind};
use crate::engine::errors::EngineError;
use crate::engine::events;
use crate::engine::messages::{ConditionFinished, OverrideCondition, ReleaseStage, StopCondition};
use crate::engine::records::{ActionRecord, ConditionRun, ErrorDetails};
use crate::engine::spec::ConditionResult;
use crate::engine::status::{
    ActionExecutionStatus, AfterFailure, PipelineExecutionStatus, StageExecutionStatus, StopMode,
};

/// A condition being evaluated: which stage and hook, the evaluation's id, its actor.
pub(super) struct Evaluating {
    idx: usize,
    kind: ConditionKind,
    run: String,
    addr: Addr<ConditionActor>,
}

impl ExecutionActor {
    fn facts(&self, idx: usize) -> Facts {
        let stage = &self.plan.stages[idx].name;
        Facts {
            rollback_execution: self.record.rollback.is_some(),
            auto_retries: self.record.stages.get(stage).map_or(0, |r| r.auto_retries),
        }
    }

    fn result_of(&self, idx: usize, kind: ConditionKind) -> Option<ConditionResult> {
        self.spec.stages[idx].conditions.get(kind).map(|c| c.result)
    }

    /// Whether the stage has a condition of `kind` to evaluate now.
    pub(super) fn evaluates(&self, idx: usize, kind: ConditionKind) -> bool {
        self.result_of(idx, kind)
            .is_some_and(|result| decide::evaluates(kind, result, self.facts(idx)))
    }

    /// Writes the status of the stage's condition of `kind` (a new evaluation when `run`
    /// differs from the recorded one).
    fn set_condition(
        &mut self,
        idx: usize,
        kind: ConditionKind,
        run: &str,
        status: ConditionExecutionStatus,
        summary: Option<String>,
    ) {
        let stage = self.plan.stages[idx].name.clone();
        let now = Timestamp::now();
        self.persist(|r| {
            if let Some(stage_run) = r.stages.get_mut(&stage) {
                stage_run.conditions.insert(
                    kind,
                    ConditionRun {
                        id: run.to_string(),
                        status,
                        summary,
                        last_status_change: now,
                    },
                );
            }
        });
    }

    /// Starts the evaluation of the stage's condition of `kind`, or re-attaches to the one
    /// that was in progress; false when there is nothing to evaluate.
    pub(super) fn begin_condition(
        &mut self,
        idx: usize,
        kind: ConditionKind,
        ctx: &mut Context<Self>,
    ) -> bool {
        if !self.evaluates(idx, kind) {
            return false;
        }
        let Some(condition) = self.spec.stages[idx].conditions.get(kind).cloned() else {
            return false;
        };
        let stage = self.plan.stages[idx].name.clone();
        let in_progress = self
            .record
            .stages
            .get(&stage)
            .and_then(|r| r.conditions.get(&kind))
            .filter(|c| c.status == ConditionExecutionStatus::InProgress)
            .map(|c| c.id.clone());
        let (run, prior) = match in_progress {
            Some(run) => {
                let prior = self
                    .shared
                    .records
                    .rules_of_execution(&self.record.id)
                    .into_iter()
                    .filter(|r| r.condition_run == run)
                    .collect();
                (run, prior)
            }
            None => {
                let run = uuid::Uuid::new_v4().to_string();
                self.set_condition(idx, kind, &run, ConditionExecutionStatus::InProgress, None);
                (run, Vec::new())
            }
        };
        let start = ConditionStart {
            key: self.record.key.clone(),
            execution_id: self.record.id.clone(),
            pipeline_version: self.record.pipeline_version,
            stage,
            kind,
            run: run.clone(),
            rules: condition.rules,
            scope: self.scope.clone(),
            artifacts: self.artifacts.clone(),
            prior,
        };
        let addr = ConditionActor::new(self.shared.clone(), ctx.address(), start).start();
        self.evaluating = Some(Evaluating {
            idx,
            kind,
            run,
            addr,
        });
        true
    }

    /// After a restart: continues the condition that was being evaluated in the stage the
    /// execution is in, if any (`prior`: the stage's action executions that count). An
    /// `onSuccess` condition is not resumed here: the stage finishes again at once from its
    /// succeeded actions, and its condition re-attaches then.
    pub(super) fn resume_condition(
        &mut self,
        idx: usize,
        prior: &HashMap<String, ActionRecord>,
        ctx: &mut Context<Self>,
    ) -> bool {
        if self.entry != Entry::Resumed {
            return false;
        }
        let stage = &self.plan.stages[idx].name;
        let kind = self.record.stages.get(stage).and_then(|r| {
            r.conditions
                .iter()
                .find(|(_, c)| c.status == ConditionExecutionStatus::InProgress)
                .map(|(k, _)| *k)
        });
        match kind {
            Some(ConditionKind::BeforeEntry) => {
                self.open_stage(idx, Entry::Resumed);
                self.begin_condition(idx, ConditionKind::BeforeEntry, ctx)
            }
            Some(ConditionKind::OnFailure) => {
                // The failed stage's succeeded actions' variables, as the rules saw them.
                for a in prior.values() {
                    if let (ActionExecutionStatus::Succeeded, Some(ns)) = (a.status, &a.namespace) {
                        self.scope.set_namespace(ns, a.output_variables.clone());
                    }
                }
                self.begin_condition(idx, ConditionKind::OnFailure, ctx)
            }
            _ => false,
        }
    }

    /// Applies the decision once the condition of `kind` of stage `idx` ended with `outcome`.
    fn apply_condition(
        &mut self,
        idx: usize,
        kind: ConditionKind,
        outcome: Outcome,
        summary: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        let result = self.result_of(idx, kind).unwrap_or(ConditionResult::Fail);
        let step = decide::after_condition(kind, result, outcome, self.facts(idx));
        // An onFailure condition leaves the stage's own failure as the reason; the others are
        // the reason the stage fails.
        let on_failure = kind == ConditionKind::OnFailure;
        let failure = if on_failure {
            self.record.error_details.clone()
        } else {
            Some(ErrorDetails {
                code: "ConditionNotMet".into(),
                message: format!(
                    "its {} condition was not met: {}",
                    kind.hook(),
                    summary.unwrap_or_else(|| "a rule failed".into())
                ),
            })
        };
        use StageExecutionStatus as S;
        match step {
            Step::RunStage => self.launch_stage(idx, HashMap::new(), ctx),
            Step::SkipStage => {
                self.close_stage(idx, S::Skipped, None, AfterFailure::End, false, ctx)
            }
            Step::StageSucceeded => {
                self.close_stage(idx, S::Succeeded, None, AfterFailure::End, false, ctx)
            }
            Step::StageFailed => {
                self.close_stage(idx, S::Failed, failure, AfterFailure::End, on_failure, ctx)
            }
            Step::StageFailedAndRollback => self.close_stage(
                idx,
                S::Failed,
                failure,
                AfterFailure::EndAndRollback,
                on_failure,
                ctx,
            ),
            Step::RetryStage(mode) => self.close_stage(
                idx,
                S::Failed,
                failure,
                AfterFailure::Retry(mode),
                true,
                ctx,
            ),
            Step::Stop => {
                let stage = self.plan.stages[idx].name.clone();
                self.shared.supervisor.do_send(ReleaseStage {
                    execution_id: self.record.id.clone(),
                    key: self.record.key.clone(),
                    stage: stage.clone(),
                });
                let left = (!on_failure).then(|| StageEnd::new(stage, S::Stopped, None));
                self.end_after(left, PipelineExecutionStatus::Stopped, None, ctx);
            }
        }
    }

    /// A stop request while a condition is evaluating: the evaluation is cancelled (stop and
    /// wait) or abandoned, and the execution ends Stopped.
    pub(super) fn stop_evaluating(&mut self, mode: StopMode, ctx: &mut Context<Self>) {
        let Some(ev) = self.evaluating.take() else {
            return;
        };
        let status = match mode {
            StopMode::Wait => ConditionExecutionStatus::Cancelled,
            StopMode::Abandon => ConditionExecutionStatus::Abandoned,
        };
        let summary = "The pipeline execution was stopped while the condition was evaluated";
        ev.addr.do_send(StopCondition {
            summary: summary.into(),
            by: None,
        });
        let stage = self.plan.stages[ev.idx].name.clone();
        if ev.kind != ConditionKind::OnFailure {
            events::stage(&self.shared.bus, &self.record, &stage, "STOPPING");
        }
        self.set_condition(ev.idx, ev.kind, &ev.run, status, Some(summary.into()));
        self.apply_condition(ev.idx, ev.kind, Outcome::Cancelled, None, ctx);
    }
}

impl Handler<ConditionFinished> for ExecutionActor {
    type Result = ();

    fn handle(&mut self, msg: ConditionFinished, ctx: &mut Context<Self>) {
        if self.ended {
            return;
        }
        let Some(ev) = self.evaluating.take_if(|e| e.run == msg.run) else {
            return;
        };
        self.set_condition(ev.idx, ev.kind, &ev.run, msg.status, msg.summary.clone());
        let outcome = match msg.status {
            ConditionExecutionStatus::Succeeded => Outcome::Met,
            ConditionExecutionStatus::Overridden => Outcome::Overridden,
            ConditionExecutionStatus::Cancelled | ConditionExecutionStatus::Abandoned => {
                Outcome::Cancelled
            }
            _ => Outcome::NotMet,
        };
        self.apply_condition(ev.idx, ev.kind, outcome, msg.summary, ctx);
    }
}

impl Handler<OverrideCondition> for ExecutionActor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: OverrideCondition, ctx: &mut Context<Self>) -> Self::Result {
        let evaluating = self
            .evaluating
            .as_ref()
            .is_some_and(|e| e.kind == msg.kind && self.plan.stages[e.idx].name == msg.stage);
        if self.ended || !evaluating {
            return Err(not_overridable(&msg));
        }
        let Some(ev) = self.evaluating.take() else {
            return Err(not_overridable(&msg));
        };
        let summary = format!("Overridden by {}", msg.by);
        ev.addr.do_send(StopCondition {
            summary: format!("The condition was overridden by {}", msg.by),
            by: Some(msg.by.clone()),
        });
        self.set_condition(
            ev.idx,
            ev.kind,
            &ev.run,
            ConditionExecutionStatus::Overridden,
            Some(summary.clone()),
        );
        tracing::info!(execution = %self.record.id, stage = %msg.stage, condition = msg.kind.hook(), "condition overridden");
        self.apply_condition(ev.idx, ev.kind, Outcome::Overridden, Some(summary), ctx);
        Ok(())
    }
}

/// ConditionNotOverridable, in words.
pub(crate) fn not_overridable(msg: &OverrideCondition) -> EngineError {
    EngineError::ConditionNotOverridable(format!(
        "The {} condition of stage {} is not being evaluated for pipeline execution {}, so it cannot be overridden",
        msg.kind.hook(),
        msg.stage,
        msg.execution_id
    ))
}

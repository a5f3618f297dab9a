//! Retries and rollbacks of a stage, on the supervisor's side: a request is judged by the pure
//! rules of `status.rs` and `plan.rs` against the records and the stage gates, the execution's
//! record is written, and an execution actor is launched. It does not run stages itself.
//!
//! Decisions where AWS leaves room (also in the README):
//! - RetryStageExecution, in every execution mode: only the execution that ran the stage last
//!   (NotLatestPipelineExecution otherwise; StageNotRetryable when no execution ran it, as
//!   the operation declares no not-found error), and only once its run of the stage has
//!   settled as Failed or Stopped with an action left to run (failed, abandoned, or never run
//!   because an earlier group failed). While the stage still runs, even with a failed action
//!   in a group that is finishing: StageNotRetryable. An execution of an older pipeline
//!   version: StageNotRetryable.
//! - The retried execution takes the stage back at once: no newer execution can be in it (that
//!   one would be the stage's latest), and its inbound transition does not apply (the execution
//!   never left the stage). Executions waiting in front of the stage keep waiting.
//! - A retry of the same stage still running, or a rollback of that stage in flight:
//!   ConflictException; so is a retry in the instant between an execution's end and its actor
//!   going away (try again).
//! - RollbackStage: V1 pipelines, PARALLEL mode and the first stage: UnableToRollbackStage;
//!   a target that ran another pipeline version: PipelineExecutionOutdated; an execution in
//!   the stage: UnableToRollbackStage; another rollback of the stage in flight: Conflict. The
//!   rollback runs that one stage with the target's artifacts and variables, then ends. It
//!   takes the stage's lock ahead of executions already waiting in front of the stage, and a
//!   disabled inbound transition holds it like any execution.
//! - An automated rollback (`onFailure` ROLLBACK) returns to the newest STANDARD execution
//!   that succeeded in the stage on the failed execution's pipeline version; when there is
//!   none, nothing is started (logged).

use std::collections::BTreeMap;

use actix::prelude::*;

use super::errors::EngineError;
use super::execution::{self, ExecutionActor};
use super::messages::{RetryStage, RollbackStage, RollbackTo};
use super::plan;
use super::records::{ExecutionRecord, RollbackOf, StageRetry};
use super::spec::{ExecutionMode, PipelineKey};
use super::status::{
    decide_retry, decide_rollback, PipelineExecutionStatus, RetryFacts, RetryRefusal, RetryTrigger,
    RollbackFacts, RollbackRefusal, RollbackTarget, StageExecutionStatus, StageLatest,
};
use super::supervisor::Supervisor;
use crate::clock::Timestamp;

impl Supervisor {
    /// The execution holding a stage's lock (or let in and about to start it).
    fn holder(&self, key: &PipelineKey, stage: &str) -> Option<String> {
        self.gates
            .get(key)
            .and_then(|m| super::supervisor::stage_gate(m, stage))
            .and_then(|g| g.occupant.clone())
    }

    /// Live executions of a pipeline, with their records.
    fn live(&self, key: &PipelineKey) -> Vec<ExecutionRecord> {
        let records = &self.shared().records;
        self.execution_keys
            .iter()
            .filter(|(_, k)| *k == key)
            .filter_map(|(id, _)| records.execution(id))
            .filter(|r| !r.status.is_terminal())
            .collect()
    }

    fn rollback_in_flight(&self, key: &PipelineKey, stage: &str) -> bool {
        self.live(key)
            .iter()
            .any(|r| r.rollback.as_ref().is_some_and(|rb| rb.stage == stage))
    }

    fn retry(&mut self, msg: RetryStage) -> Result<(), EngineError> {
        let shared = self.shared().clone();
        let records = &shared.records;
        let (key, stage, id) = (&msg.key, msg.stage.as_str(), msg.execution_id.as_str());
        let holder = self.holder(key, stage);
        let latest = match records.runtime(key).stage_latest.get(stage) {
            None if holder.is_none() => StageLatest::Never,
            // A newer execution let in but not started yet holds the lock already.
            Some(l) if l == id && holder.as_deref().is_none_or(|h| h == id) => StageLatest::This,
            _ => StageLatest::Other,
        };
        let rec = records.execution_of(key, id);
        let spec = rec
            .as_ref()
            .and_then(|r| records.spec(key, r.pipeline_version));
        let runs = records.actions_of_execution(id);
        let stage_spec = spec
            .as_ref()
            .and_then(|s| s.stages.iter().find(|s| s.name == stage));
        let facts = RetryFacts {
            latest,
            execution: rec
                .as_ref()
                .map_or(PipelineExecutionStatus::Failed, |r| r.status),
            stage: rec
                .as_ref()
                .and_then(|r| r.stages.get(stage))
                .map(|r| r.status),
            retry_running: rec
                .as_ref()
                .and_then(|r| r.retry.as_ref())
                .is_some_and(|r| r.stage == stage),
            rollback_running: self.rollback_in_flight(key, stage),
            winding_down: self.executions.contains_key(id),
            same_version: rec
                .as_ref()
                .is_some_and(|r| r.pipeline_version == msg.current_version),
            anything_to_retry: stage_spec.is_some_and(|s| plan::anything_to_retry(s, &runs)),
        };
        decide_retry(&facts).map_err(|r| retry_refusal(r, &msg))?;
        let (Some(rec), Some(spec)) = (rec, spec) else {
            // decide_retry accepts only the stage's latest execution, which has a record and
            // a spec; a record without its spec cannot run again.
            return Err(EngineError::StageNotRetryable(format!(
                "The pipeline version of execution {id} is no longer known"
            )));
        };
        let limit = shared.config.max_in_flight_per_pipeline;
        let in_flight = records.in_flight_count(key);
        if in_flight >= limit {
            return Err(EngineError::LimitExceeded(format!(
                "The pipeline {} already has {in_flight} executions in progress (the limit is {limit})",
                key.name
            )));
        }
        let discarded = plan::retry_discards(&runs, stage, msg.mode);
        let now = Timestamp::now();
        let rec = records
            .update_execution(&rec.id, |r| {
                r.status = PipelineExecutionStatus::InProgress;
                r.status_summary = None;
                r.stop_mode = None;
                r.stop_reason = None;
                r.error_details = None;
                r.stage = Some(stage.to_string());
                r.waiting = false;
                if let Some(run) = r.stages.get_mut(stage) {
                    run.status = StageExecutionStatus::InProgress;
                    run.updated = now;
                    run.manual_retries += 1;
                    run.latest_retry_trigger = Some(RetryTrigger::ManualStageRetry);
                }
                r.retry = Some(StageRetry {
                    stage: stage.to_string(),
                    mode: msg.mode,
                    discarded,
                });
            })
            .ok_or_else(|| EngineError::ExecutionNotFound(id.to_string()))?;
        tracing::info!(execution = %id, pipeline = %key.name, stage, mode = ?msg.mode, "retrying a stage");
        if rec.execution_mode != ExecutionMode::Parallel {
            self.gate_mut(key, stage).occupant = Some(id.to_string());
        }
        let addr = ExecutionActor::retried(shared.clone(), spec, rec).start();
        self.executions.insert(id.to_string(), addr);
        self.execution_keys.insert(id.to_string(), key.clone());
        Ok(())
    }

    fn rollback(&mut self, msg: RollbackStage) -> Result<String, EngineError> {
        let shared = self.shared().clone();
        let records = &shared.records;
        let (key, spec, stage) = (&msg.key, msg.spec.clone(), msg.stage.as_str());
        let idx = spec
            .stages
            .iter()
            .position(|s| s.name == stage)
            .ok_or_else(|| {
                EngineError::StageNotFound(format!(
                    "Stage '{stage}' not found in pipeline '{}'",
                    key.name
                ))
            })?;
        let (target, leaving) = match &msg.target {
            RollbackTo::Execution(id) => (records.execution_of(key, id), None),
            RollbackTo::LastSuccess { failed } => {
                let all = records.executions_of(key);
                let target = plan::last_success(&all, stage, spec.version).cloned();
                (target, Some(failed.as_str()))
            }
        };
        let live = self.live(key);
        let stage_running = self
            .holder(key, stage)
            .into_iter()
            .chain(
                live.iter()
                    .filter(|r| r.stage.as_deref() == Some(stage) && !r.waiting)
                    .map(|r| r.id.clone()),
            )
            .any(|id| Some(id.as_str()) != leaving);
        let facts = RollbackFacts {
            pipeline_allows: spec.v2 && spec.execution_mode != ExecutionMode::Parallel,
            first_stage: idx == 0,
            target: target.as_ref().map(|t| RollbackTarget {
                is_rollback: t.rollback.is_some(),
                stage: t.stages.get(stage).map(|r| r.status),
                same_version: t.pipeline_version == spec.version,
            }),
            stage_running,
            rollback_running: self.rollback_in_flight(key, stage),
        };
        decide_rollback(&facts).map_err(|r| rollback_refusal(r, &msg))?;
        let target =
            target.ok_or_else(|| rollback_refusal(RollbackRefusal::TargetNotFound, &msg))?;
        let id = uuid::Uuid::new_v4().to_string();
        let rec = records.begin_execution(key, &spec, |seq| {
            let mut rec = execution::new_record(
                key,
                &spec,
                id.clone(),
                seq,
                msg.trigger,
                target.variables.clone(),
                None,
                BTreeMap::new(),
            );
            rec.execution_type = "ROLLBACK".into();
            rec.rollback = Some(RollbackOf {
                target: target.id.clone(),
                stage: stage.to_string(),
            });
            rec.artifact_revisions = target.artifact_revisions.clone();
            rec.stage = Some(stage.to_string());
            rec.waiting = true;
            rec
        });
        let seq = rec.seq;
        tracing::info!(execution = %id, pipeline = %key.name, stage, target = %target.id, "rolling a stage back");
        let mode = rec.execution_mode;
        let addr = ExecutionActor::new(shared.clone(), spec, rec).start();
        self.executions.insert(id.clone(), addr);
        self.execution_keys.insert(id.clone(), key.clone());
        self.place_first(key, stage, &id, seq, mode);
        Ok(id)
    }

    /// Lets a rollback into its stage now, or puts it first among the executions waiting in
    /// front of it (the failed execution that asked for it releases the lock right after).
    fn place_first(
        &mut self,
        key: &PipelineKey,
        stage: &str,
        id: &str,
        seq: u64,
        mode: ExecutionMode,
    ) {
        let enabled = self.shared().records.transition_enabled(key, stage);
        if enabled && self.holder(key, stage).is_none() {
            self.grant(key, stage, id, seq, mode);
        } else {
            let gate = self.gate_mut(key, stage);
            gate.waiting.push_front((seq, id.to_string(), mode));
            self.publish_inbound(key, stage);
        }
    }
}

fn retry_refusal(r: RetryRefusal, msg: &RetryStage) -> EngineError {
    let (stage, id) = (&msg.stage, &msg.execution_id);
    match r {
        RetryRefusal::NeverRan => EngineError::StageNotRetryable(format!(
            "Stage {stage} has not run in pipeline {}, so it cannot be retried",
            msg.key.name
        )),
        RetryRefusal::NotLatest => EngineError::NotLatestExecution(format!(
            "Pipeline execution {id} is not the latest execution of stage {stage}: a later execution ran the stage since"
        )),
        RetryRefusal::RetryRunning => EngineError::Conflict(format!(
            "A retry of stage {stage} of pipeline execution {id} is already in progress"
        )),
        RetryRefusal::RollbackRunning => EngineError::Conflict(format!(
            "A rollback of stage {stage} is in progress; try again once it has finished"
        )),
        RetryRefusal::WindingDown => EngineError::Conflict(format!(
            "Pipeline execution {id} is still finishing; try again"
        )),
        RetryRefusal::InProgress => EngineError::StageNotRetryable(format!(
            "Stage {stage} of pipeline execution {id} is still in progress; it can be retried once it has failed or stopped"
        )),
        RetryRefusal::NotFailed => EngineError::StageNotRetryable(format!(
            "Stage {stage} of pipeline execution {id} did not fail and was not stopped"
        )),
        RetryRefusal::PipelineChanged => EngineError::StageNotRetryable(format!(
            "The pipeline was updated since pipeline execution {id} started; its stage {stage} cannot be retried"
        )),
        RetryRefusal::NothingToRetry => EngineError::StageNotRetryable(format!(
            "Stage {stage} of pipeline execution {id} has no failed actions to retry"
        )),
    }
}

fn rollback_refusal(r: RollbackRefusal, msg: &RollbackStage) -> EngineError {
    let stage = &msg.stage;
    let target = match &msg.target {
        RollbackTo::Execution(id) => id.clone(),
        RollbackTo::LastSuccess { .. } => "the last successful execution".into(),
    };
    match r {
        RollbackRefusal::NotSupported => EngineError::UnableToRollback(format!(
            "Stage rollback needs a V2 pipeline whose execution mode is not PARALLEL; pipeline {} cannot roll back",
            msg.key.name
        )),
        RollbackRefusal::FirstStage => EngineError::UnableToRollback(format!(
            "Stage {stage} is the source stage, which cannot be rolled back"
        )),
        RollbackRefusal::TargetNotFound => match &msg.target {
            RollbackTo::Execution(id) => EngineError::ExecutionNotFound(id.clone()),
            RollbackTo::LastSuccess { .. } => EngineError::UnableToRollback(format!(
                "No earlier execution succeeded in stage {stage}"
            )),
        },
        RollbackRefusal::RollbackRunning => EngineError::Conflict(format!(
            "A rollback of stage {stage} is already in progress"
        )),
        RollbackRefusal::TargetIsRollback => EngineError::UnableToRollback(format!(
            "Pipeline execution {target} is itself a rollback and cannot be the target of one"
        )),
        RollbackRefusal::TargetNotSucceeded => EngineError::UnableToRollback(format!(
            "Pipeline execution {target} did not succeed in stage {stage}"
        )),
        RollbackRefusal::Outdated => EngineError::ExecutionOutdated(format!(
            "Pipeline execution {target} ran an earlier version of the pipeline and cannot be the target of a rollback"
        )),
        RollbackRefusal::StageRunning => EngineError::UnableToRollback(format!(
            "Stage {stage} is running; it can be rolled back once it has finished"
        )),
    }
}

impl Handler<RetryStage> for Supervisor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: RetryStage, _ctx: &mut Context<Self>) -> Self::Result {
        self.retry(msg)
    }
}

impl Handler<RollbackStage> for Supervisor {
    type Result = Result<String, EngineError>;

    fn handle(&mut self, msg: RollbackStage, _ctx: &mut Context<Self>) -> Self::Result {
        let automated = matches!(msg.target, RollbackTo::LastSuccess { .. });
        let (pipeline, stage) = (msg.key.name.clone(), msg.stage.clone());
        let result = self.rollback(msg);
        if let (true, Err(e)) = (automated, &result) {
            tracing::warn!(pipeline = %pipeline, stage = %stage, "no automated rollback: {e}");
        }
        result
    }
}

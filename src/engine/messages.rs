//! Every message the engine's actors exchange, in one place.
//!
//! Commands are imperative (`StartExecution`, `EnterStage`); reports are past tense
//! (`StageFinished`, `ActionFinished`).

use std::collections::BTreeMap;
use std::sync::Arc;

use actix::prelude::*;

use super::conditions::{ConditionExecutionStatus, ConditionKind};
use super::errors::EngineError;
use super::providers::{ActionProgress, ActionSuccess};
use super::records::{ActionRecord, ArtifactLocation, ErrorDetails, ExecutionRecord};
use super::spec::{PipelineKey, PipelineSpec};
use super::status::{ActionExecutionStatus, StageExecutionStatus, StopMode};
use crate::clock::Timestamp;

// ---- to the supervisor ------------------------------------------------------------------------

/// Launches the actor of a new execution whose record is already written.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LaunchExecution {
    pub spec: Arc<PipelineSpec>,
    pub record: ExecutionRecord,
}

/// An execution asks to enter a stage; the supervisor answers with `EnterStage` (now or once
/// the stage is free and its transition enabled) or with `Supersede`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RequestEntry {
    pub execution_id: String,
    pub key: PipelineKey,
    pub stage: String,
    pub seq: u64,
    pub mode: super::spec::ExecutionMode,
}

/// An execution left a stage (finished it, or ended in it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReleaseStage {
    pub execution_id: String,
    pub key: PipelineKey,
    pub stage: String,
}

/// An execution ended; the supervisor forgets it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ExecutionEnded {
    pub execution_id: String,
    pub key: PipelineKey,
}

#[derive(Message)]
#[rtype(result = "Result<(), EngineError>")]
pub struct Stop {
    pub key: PipelineKey,
    pub execution_id: String,
    pub abandon: bool,
    pub reason: Option<String>,
}

#[derive(Message)]
#[rtype(result = "Result<(), EngineError>")]
pub struct SetTransition {
    pub key: PipelineKey,
    pub stage: String,
    pub enabled: bool,
    pub reason: Option<String>,
    pub changed_by: String,
}

#[derive(Message)]
#[rtype(result = "Result<Timestamp, EngineError>")]
pub struct Approve {
    pub key: PipelineKey,
    pub stage: String,
    pub action: String,
    pub token: String,
    pub approved: bool,
    pub summary: Option<String>,
    pub by: String,
}

/// Retries a stage of an execution that failed or was stopped there (RetryStageExecution).
#[derive(Message)]
#[rtype(result = "Result<(), EngineError>")]
pub struct RetryStage {
    pub key: PipelineKey,
    pub stage: String,
    pub execution_id: String,
    pub mode: super::status::RetryMode,
    /// The pipeline's current version (a retry of an execution of another one is refused).
    pub current_version: i64,
}

/// Starts a ROLLBACK execution of one stage (RollbackStage, or a stage's `onFailure`
/// ROLLBACK result); answers the new execution's id.
#[derive(Message)]
#[rtype(result = "Result<String, EngineError>")]
pub struct RollbackStage {
    pub key: PipelineKey,
    /// The version the rollback runs (the current one; for an automated rollback, the version
    /// the failed execution ran).
    pub spec: Arc<PipelineSpec>,
    pub stage: String,
    pub target: RollbackTo,
    pub trigger: super::records::Trigger,
}

/// The execution a rollback returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackTo {
    /// The one RollbackStage names.
    Execution(String),
    /// The newest that succeeded in the stage (automated rollback), asked by the execution
    /// that just failed there and is about to leave the stage.
    LastSuccess { failed: String },
}

/// OverrideStageCondition: the supervisor checks that the execution is the stage's latest and
/// that the condition is evaluating, then hands the same message to the execution, which
/// answers whether it overrode it.
#[derive(Message, Clone)]
#[rtype(result = "Result<(), EngineError>")]
pub struct OverrideCondition {
    pub key: PipelineKey,
    pub stage: String,
    pub execution_id: String,
    pub kind: ConditionKind,
    /// The caller (recorded on the condition and its abandoned rule).
    pub by: String,
}

/// A pipeline was deleted (its records are already gone): its executions are abandoned.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ForgetPipeline {
    pub key: PipelineKey,
}

/// Everything is being wiped: abandon every live execution and forget all gates.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ResetAll;

/// An action actor announces itself (so approvals can reach it) or leaves.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ActionLive {
    pub action_execution_id: String,
    pub addr: Option<Addr<super::action::ActionActor>>,
}

// ---- to an execution ---------------------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "()")]
pub struct EnterStage {
    pub stage: String,
}

/// The execution is waiting in front of a stage (for GetPipelineState's inbound executions).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Supersede;

#[derive(Message)]
#[rtype(result = "()")]
pub struct StopExecution {
    pub mode: StopMode,
    pub reason: Option<String>,
}

/// What a stage produced, handed up when it finishes.
#[derive(Debug, Clone, Default)]
pub struct StageOutputs {
    pub artifacts: Vec<ArtifactLocation>,
    /// Output variables by namespace.
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    pub revisions: Vec<super::records::ArtifactRevision>,
    pub failure: Option<ErrorDetails>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct StageFinished {
    pub stage: String,
    pub status: StageExecutionStatus,
    pub outputs: StageOutputs,
}

/// A condition actor decided its condition (Succeeded, Failed or Errored).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ConditionFinished {
    /// The evaluation (`ConditionRun::id`) that finished.
    pub run: String,
    pub status: ConditionExecutionStatus,
    pub summary: Option<String>,
}

// ---- to a condition ----------------------------------------------------------------------------

/// The execution no longer waits for the condition (overridden, or the execution is being
/// stopped): the rule in progress is abandoned and the actor stops without reporting.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopCondition {
    pub summary: String,
    pub by: Option<String>,
}

/// One evaluation of the current rule of a condition (a `Commands` rule's: its build ended).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RuleEvaluated {
    pub rule_execution_id: String,
    pub verdict: super::conditions::rules::Verdict,
}

// ---- to a stage --------------------------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "()")]
pub struct StopStage {
    pub mode: StopMode,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct ActionFinished {
    pub action: String,
    pub status: ActionExecutionStatus,
    pub record: ActionRecord,
}

// ---- to an action ------------------------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "()")]
pub enum ProviderReport {
    Progress(ActionProgress),
    Succeeded(ActionSuccess),
    Failed(ErrorDetails),
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Abandon;

#[derive(Message)]
#[rtype(result = "Result<Timestamp, EngineError>")]
pub struct ApprovalResult {
    pub token: String,
    pub approved: bool,
    pub summary: Option<String>,
    pub by: String,
}

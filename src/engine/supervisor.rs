//! The execution supervisor: one per server. It owns the registry of running executions, the
//! stage locks, the queues in front of stages, transitions, and the execution modes:
//!
//! - SUPERSEDED: one execution per stage; at most one waits in front of a stage, and a newer
//!   arrival supersedes an older waiting one (an older arrival behind a newer one that already
//!   passed is superseded too). A running stage always finishes.
//! - QUEUED: one execution per stage; waiting executions enter in start order.
//! - PARALLEL: no locks; only a disabled transition holds executions (decision: each waits
//!   until the transition is enabled again, then all enter).
//!
//! Retries and rollbacks of a stage are handled in `rerun.rs`. A ROLLBACK execution holds the
//! stage's lock like any execution but does not count as "newer" for supersession.

use std::collections::{HashMap, VecDeque};

use actix::prelude::*;

use super::action::ActionActor;
use super::errors::EngineError;
use super::execution::ExecutionActor;
use super::messages::*;
use super::records::TransitionState;
use super::spec::{ExecutionMode, PipelineKey};
use super::status::{decide_stop, StopRefusal};
use super::Shared;
use crate::clock::Timestamp;

#[derive(Default)]
pub(super) struct Gate {
    pub(super) occupant: Option<String>,
    /// Waiting executions: (seq, id, mode), in arrival order.
    pub(super) waiting: VecDeque<(u64, String, ExecutionMode)>,
    /// The newest execution (by start order) that has entered this stage.
    newest_entered: u64,
}

/// A pipeline's gates by stage name: a short list (a pipeline has a few stages), a lot smaller
/// than a map for each of a thousand pipelines.
pub(super) type StageGates = Vec<(String, Gate)>;

pub(super) fn stage_gate<'a>(gates: &'a StageGates, stage: &str) -> Option<&'a Gate> {
    gates.iter().find(|(s, _)| s == stage).map(|(_, g)| g)
}

pub(super) fn stage_gate_mut<'a>(gates: &'a mut StageGates, stage: &str) -> Option<&'a mut Gate> {
    gates.iter_mut().find(|(s, _)| s == stage).map(|(_, g)| g)
}

pub struct Supervisor {
    shared: Option<Shared>,
    pub(super) executions: HashMap<String, Addr<ExecutionActor>>,
    /// The pipeline of each live execution.
    pub(super) execution_keys: HashMap<String, PipelineKey>,
    actions: HashMap<String, Addr<ActionActor>>,
    /// Gates by pipeline, then by stage name.
    pub(super) gates: HashMap<PipelineKey, StageGates>,
    /// Answers for approvals whose action actor is being re-attached after a restart.
    early_answers: HashMap<String, Vec<PendingAnswer>>,
}

type PendingAnswer = (
    ApprovalResult,
    tokio::sync::oneshot::Sender<Result<Timestamp, EngineError>>,
);

impl Supervisor {
    pub fn new() -> Self {
        Supervisor {
            shared: None,
            executions: HashMap::new(),
            execution_keys: HashMap::new(),
            actions: HashMap::new(),
            gates: HashMap::new(),
            early_answers: HashMap::new(),
        }
    }

    pub(super) fn shared(&self) -> &Shared {
        self.shared
            .as_ref()
            .expect("the supervisor is initialised before use")
    }

    pub(super) fn publish_inbound(&self, key: &PipelineKey, stage: &str) {
        let ids: Vec<String> = self
            .gates
            .get(key)
            .and_then(|m| stage_gate(m, stage))
            .map(|g| g.waiting.iter().map(|(_, id, _)| id.clone()).collect())
            .unwrap_or_default();
        if self.shared().records.inbound(key, stage) == ids {
            return;
        }
        let stage = stage.to_string();
        self.shared().records.update_runtime(key, |rt| {
            if ids.is_empty() {
                rt.inbound.remove(&stage);
            } else {
                rt.inbound.insert(stage, ids);
            }
        });
    }

    pub(super) fn grant(
        &mut self,
        key: &PipelineKey,
        stage: &str,
        id: &str,
        seq: u64,
        mode: ExecutionMode,
    ) {
        let rollback = self
            .shared()
            .records
            .execution(id)
            .is_some_and(|r| r.rollback.is_some());
        let gate = self.gate_mut(key, stage);
        if mode != ExecutionMode::Parallel {
            gate.occupant = Some(id.to_string());
        }
        if !rollback {
            gate.newest_entered = gate.newest_entered.max(seq);
        }
        if let Some(addr) = self.executions.get(id) {
            addr.do_send(EnterStage {
                stage: stage.to_string(),
            });
        }
    }

    pub(super) fn gate_mut(&mut self, key: &PipelineKey, stage: &str) -> &mut Gate {
        if !self.gates.contains_key(key) {
            self.gates.insert(key.clone(), StageGates::new());
        }
        let stages = self.gates.get_mut(key).expect("inserted above");
        let i = match stages.iter().position(|(s, _)| s == stage) {
            Some(i) => i,
            None => {
                stages.push((stage.to_string(), Gate::default()));
                stages.len() - 1
            }
        };
        &mut stages[i].1
    }

    fn supersede(&mut self, id: &str) {
        if let Some(addr) = self.executions.get(id) {
            addr.do_send(Supersede);
        }
    }

    /// Lets waiting executions in, as far as the stage's lock and transition allow.
    fn admit(&mut self, key: &PipelineKey, stage: &str) {
        if !self.shared().records.transition_enabled(key, stage) {
            return;
        }
        while let Some(gate) = self
            .gates
            .get_mut(key)
            .and_then(|m| stage_gate_mut(m, stage))
        {
            if gate.occupant.is_some() {
                break;
            }
            let Some((seq, id, mode)) = gate.waiting.pop_front() else {
                break;
            };
            self.grant(key, stage, &id, seq, mode);
            if mode != ExecutionMode::Parallel {
                break;
            }
        }
        self.publish_inbound(key, stage);
    }

    fn drop_waiting(&mut self, key: &PipelineKey, id: &str) {
        let mut touched = Vec::new();
        for (stage, gate) in self.gates.get_mut(key).into_iter().flatten() {
            let before = gate.waiting.len();
            gate.waiting.retain(|(_, w, _)| w != id);
            if gate.waiting.len() != before {
                touched.push(stage.clone());
            }
        }
        for stage in touched {
            self.publish_inbound(key, &stage);
        }
    }

    fn release(&mut self, key: &PipelineKey, stage: &str, id: &str) {
        if let Some(gate) = self
            .gates
            .get_mut(key)
            .and_then(|m| stage_gate_mut(m, stage))
        {
            if gate.occupant.as_deref() == Some(id) {
                gate.occupant = None;
            }
        }
        self.admit(key, stage);
    }

    /// Restarts executions that were in flight when the server stopped.
    fn resume_all(
        &mut self,
        in_flight: Vec<super::records::ExecutionRecord>,
        ctx: &mut Context<Self>,
    ) {
        let shared = self.shared().clone();
        // Executions inside a stage hold its lock again before any waiting one asks.
        for rec in &in_flight {
            if let (Some(stage), false) = (&rec.stage, rec.waiting) {
                let gate = self.gate_mut(&rec.key, stage);
                if rec.execution_mode != ExecutionMode::Parallel {
                    gate.occupant = Some(rec.id.clone());
                }
                if rec.rollback.is_none() {
                    gate.newest_entered = gate.newest_entered.max(rec.seq);
                }
            }
        }
        for rec in in_flight {
            let Some(spec) = shared.records.spec(&rec.key, rec.pipeline_version) else {
                let id = rec.id.clone();
                let _ = shared.records.update_execution(&id, |r| {
                    r.status = super::status::PipelineExecutionStatus::Failed;
                    r.status_summary = Some("The execution could not be resumed after a restart: its pipeline version is unknown".into());
                });
                continue;
            };
            tracing::info!(execution = %rec.id, pipeline = %rec.key.name, "resuming an execution after a restart");
            let id = rec.id.clone();
            self.execution_keys.insert(id.clone(), rec.key.clone());
            let actor = ExecutionActor::resumed(shared.clone(), spec, rec);
            let addr = actor.start();
            self.executions.insert(id, addr);
        }
        let _ = ctx;
    }
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

/// Hands the supervisor its shared state and the executions that were in flight when the
/// store was loaded (taken then, so that executions started since are not resumed twice).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Init(pub Shared, pub Vec<super::records::ExecutionRecord>);

impl Handler<Init> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: Init, ctx: &mut Context<Self>) {
        self.shared = Some(msg.0);
        self.resume_all(msg.1, ctx);
    }
}

impl Handler<LaunchExecution> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: LaunchExecution, _ctx: &mut Context<Self>) {
        let id = msg.record.id.clone();
        self.execution_keys
            .insert(id.clone(), msg.record.key.clone());
        let addr = ExecutionActor::new(self.shared().clone(), msg.spec, msg.record).start();
        self.executions.insert(id, addr);
    }
}

impl Handler<RequestEntry> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: RequestEntry, _ctx: &mut Context<Self>) {
        let enabled = self
            .shared()
            .records
            .transition_enabled(&msg.key, &msg.stage);
        let gate = self.gate_mut(&msg.key, &msg.stage);
        match msg.mode {
            ExecutionMode::Parallel => {
                if enabled {
                    self.grant(&msg.key, &msg.stage, &msg.execution_id, msg.seq, msg.mode);
                } else {
                    gate.waiting
                        .push_back((msg.seq, msg.execution_id, msg.mode));
                    self.publish_inbound(&msg.key, &msg.stage);
                }
            }
            ExecutionMode::Queued => {
                if enabled && gate.occupant.is_none() && gate.waiting.is_empty() {
                    self.grant(&msg.key, &msg.stage, &msg.execution_id, msg.seq, msg.mode);
                } else {
                    // Served in start order.
                    let pos = gate
                        .waiting
                        .iter()
                        .position(|(s, _, _)| *s > msg.seq)
                        .unwrap_or(gate.waiting.len());
                    gate.waiting
                        .insert(pos, (msg.seq, msg.execution_id, msg.mode));
                    self.publish_inbound(&msg.key, &msg.stage);
                }
            }
            ExecutionMode::Superseded => {
                if gate.newest_entered > msg.seq {
                    // A newer execution already passed this point: never overtake backwards.
                    self.supersede(&msg.execution_id);
                    return;
                }
                if enabled && gate.occupant.is_none() && gate.waiting.is_empty() {
                    self.grant(&msg.key, &msg.stage, &msg.execution_id, msg.seq, msg.mode);
                    return;
                }
                let mut superseded = Vec::new();
                let mut keep_new = true;
                gate.waiting.retain(|(seq, id, _)| {
                    if *seq < msg.seq {
                        superseded.push(id.clone());
                        false
                    } else {
                        keep_new = false;
                        true
                    }
                });
                if keep_new {
                    gate.waiting
                        .push_back((msg.seq, msg.execution_id.clone(), msg.mode));
                } else {
                    superseded.push(msg.execution_id.clone());
                }
                for id in superseded {
                    self.supersede(&id);
                }
                self.publish_inbound(&msg.key, &msg.stage);
                // The lock may be free with only the transition holding them.
                if enabled {
                    self.admit(&msg.key, &msg.stage);
                }
            }
        }
    }
}

impl Handler<ReleaseStage> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ReleaseStage, _ctx: &mut Context<Self>) {
        self.release(&msg.key, &msg.stage, &msg.execution_id);
    }
}

impl Handler<ExecutionEnded> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ExecutionEnded, _ctx: &mut Context<Self>) {
        self.executions.remove(&msg.execution_id);
        self.execution_keys.remove(&msg.execution_id);
        self.drop_waiting(&msg.key, &msg.execution_id);
        // An execution that ended inside a stage (failed, stopped) frees its lock.
        let held: Vec<String> = self
            .gates
            .get(&msg.key)
            .into_iter()
            .flatten()
            .filter(|(_, g)| g.occupant.as_deref() == Some(msg.execution_id.as_str()))
            .map(|(s, _)| s.clone())
            .collect();
        for stage in held {
            self.release(&msg.key, &stage, &msg.execution_id);
        }
    }
}

impl Handler<Stop> for Supervisor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: Stop, _ctx: &mut Context<Self>) -> Self::Result {
        let rec = self
            .shared()
            .records
            .execution_of(&msg.key, &msg.execution_id)
            .ok_or_else(|| EngineError::ExecutionNotFound(msg.execution_id.clone()))?;
        let mode = decide_stop(rec.status, rec.stop_mode, msg.abandon).map_err(|r| match r {
            StopRefusal::NotStoppable => EngineError::NotStoppable(msg.execution_id.clone()),
            StopRefusal::Duplicated => EngineError::DuplicatedStop(msg.execution_id.clone()),
        })?;
        let addr = self
            .executions
            .get(&msg.execution_id)
            .cloned()
            .ok_or_else(|| EngineError::NotStoppable(msg.execution_id.clone()))?;
        self.drop_waiting(&msg.key, &msg.execution_id);
        addr.do_send(StopExecution {
            mode,
            reason: msg.reason,
        });
        Ok(())
    }
}

impl Handler<SetTransition> for Supervisor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: SetTransition, _ctx: &mut Context<Self>) -> Self::Result {
        let now = Timestamp::now();
        let state = TransitionState {
            enabled: msg.enabled,
            last_changed_by: Some(msg.changed_by),
            last_changed_at: Some(now),
            disabled_reason: if msg.enabled { None } else { msg.reason },
        };
        let stage = msg.stage.clone();
        self.shared().records.update_runtime(&msg.key, |rt| {
            rt.transitions.insert(stage, state);
        });
        if msg.enabled {
            self.admit_after_enable(&msg.key, &msg.stage);
        }
        Ok(())
    }
}

impl Supervisor {
    /// On enable: SUPERSEDED lets the newest waiting execution in (older ones were already
    /// superseded on arrival), QUEUED the head of the queue, PARALLEL all of them.
    fn admit_after_enable(&mut self, key: &PipelineKey, stage: &str) {
        self.admit(key, stage);
    }
}

impl Handler<Approve> for Supervisor {
    type Result = ResponseFuture<Result<Timestamp, EngineError>>;

    fn handle(&mut self, msg: Approve, _ctx: &mut Context<Self>) -> Self::Result {
        let latest = self
            .shared()
            .records
            .latest_action(&msg.key, &msg.stage, &msg.action);
        let invalid = |msg: &Approve| {
            EngineError::InvalidApprovalToken(format!(
                "The approval token {} is not valid for action {} in stage {}",
                msg.token, msg.action, msg.stage
            ))
        };
        let Some(latest) = latest else {
            let e = invalid(&msg);
            return Box::pin(async move { Err(e) });
        };
        if latest.token.as_deref() != Some(msg.token.as_str()) {
            let e = invalid(&msg);
            return Box::pin(async move { Err(e) });
        }
        if latest.status != super::status::ActionExecutionStatus::InProgress {
            return Box::pin(async move {
                Err(EngineError::ApprovalAlreadyCompleted(
                    "The approval request has already been answered or has expired".into(),
                ))
            });
        }
        let answer = ApprovalResult {
            token: msg.token,
            approved: msg.approved,
            summary: msg.summary,
            by: msg.by,
        };
        let Some(addr) = self.actions.get(&latest.id).cloned() else {
            if self.executions.contains_key(&latest.pipeline_execution_id) {
                // The execution is live but its action actor is still being re-attached:
                // the answer is delivered as soon as it announces itself.
                let (tx, rx) = tokio::sync::oneshot::channel();
                self.early_answers
                    .entry(latest.id.clone())
                    .or_default()
                    .push((answer, tx));
                return Box::pin(async move {
                    rx.await.unwrap_or_else(|_| {
                        Err(EngineError::ApprovalAlreadyCompleted(
                            "The approval request is no longer pending".into(),
                        ))
                    })
                });
            }
            return Box::pin(async move {
                Err(EngineError::ApprovalAlreadyCompleted(
                    "The approval request is no longer pending".into(),
                ))
            });
        };
        Box::pin(async move { addr.send(answer).await? })
    }
}

impl Handler<OverrideCondition> for Supervisor {
    type Result = ResponseFuture<Result<(), EngineError>>;

    fn handle(&mut self, msg: OverrideCondition, _ctx: &mut Context<Self>) -> Self::Result {
        let records = &self.shared().records;
        let latest = records
            .runtime(&msg.key)
            .stage_latest
            .get(&msg.stage)
            .cloned();
        if latest.as_deref() != Some(msg.execution_id.as_str()) {
            let e = EngineError::NotLatestExecution(format!(
                "Pipeline execution {} is not the latest execution of stage {}",
                msg.execution_id, msg.stage
            ));
            return Box::pin(async move { Err(e) });
        }
        let evaluating = records
            .execution_of(&msg.key, &msg.execution_id)
            .and_then(|r| r.stages.get(&msg.stage).cloned())
            .and_then(|run| run.conditions.get(&msg.kind).map(|c| c.status))
            == Some(super::conditions::ConditionExecutionStatus::InProgress);
        let addr = self.executions.get(&msg.execution_id).cloned();
        match (evaluating, addr) {
            (true, Some(addr)) => Box::pin(async move { addr.send(msg).await? }),
            _ => {
                let e = super::execution::not_overridable(&msg);
                Box::pin(async move { Err(e) })
            }
        }
    }
}

impl Handler<ActionLive> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ActionLive, _ctx: &mut Context<Self>) {
        match msg.addr {
            Some(addr) => {
                for (answer, tx) in self
                    .early_answers
                    .remove(&msg.action_execution_id)
                    .unwrap_or_default()
                {
                    let addr = addr.clone();
                    actix::spawn(async move {
                        let result = addr.send(answer).await.unwrap_or_else(|e| Err(e.into()));
                        let _ = tx.send(result);
                    });
                }
                self.actions.insert(msg.action_execution_id, addr);
            }
            None => {
                self.actions.remove(&msg.action_execution_id);
                self.early_answers.remove(&msg.action_execution_id);
            }
        }
    }
}

impl Handler<ForgetPipeline> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ForgetPipeline, _ctx: &mut Context<Self>) {
        // Decision: deleting a pipeline abandons its running executions (their provider work
        // is cancelled) and forgets them with their history.
        let ids: Vec<String> = self
            .execution_keys
            .iter()
            .filter(|(_, k)| **k == msg.key)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.execution_keys.remove(&id);
            if let Some(addr) = self.executions.remove(&id) {
                addr.do_send(StopExecution {
                    mode: super::status::StopMode::Abandon,
                    reason: Some("The pipeline was deleted".into()),
                });
            }
        }
        self.gates.remove(&msg.key);
    }
}

impl Handler<ResetAll> for Supervisor {
    type Result = ();

    fn handle(&mut self, _: ResetAll, _ctx: &mut Context<Self>) {
        for (_, addr) in self.executions.drain() {
            addr.do_send(StopExecution {
                mode: super::status::StopMode::Abandon,
                reason: Some("All state was reset".into()),
            });
        }
        self.execution_keys.clear();
        self.gates.clear();
        self.early_answers.clear();
    }
}

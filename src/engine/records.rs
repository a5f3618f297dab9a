//! The engine's typed state: executions, action executions and per-pipeline runtime state
//! (transitions, latest execution per stage and action, executions waiting at a stage).
//!
//! Every change is queued for the store (in order, under this state's lock) as it becomes
//! visible in memory, so reads (`GetPipelineState`, `ListPipelineExecutions`, ...) come from
//! here and never wait on an actor. The engine does not wait for its writes to commit: the
//! store commits them together, and a client is answered only once what it may have seen is
//! durable (the router waits for `Store::durable`). A crash loses at most progress that no
//! client was told of; the execution resumes from the last committed state.
//! Each record has one writer: an execution's record is written by its execution actor (or by
//! the supervisor when it accepts a retry of an execution that no actor runs any more), an
//! action execution's by its action actor, runtime state by the supervisor (and the "latest"
//! pointers by whoever starts the stage or action, under the same lock).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::conditions::{ConditionExecutionStatus, ConditionKind, RuleExecutionStatus};
use super::small_map::SmallMap;
use super::spec::{ActionTypeSpec, ExecutionMode, PipelineKey, PipelineSpec};
use super::status::{
    ActionExecutionStatus, PipelineExecutionStatus, RetryMode, RetryTrigger, StageExecutionStatus,
    StopMode,
};
use crate::clock::Timestamp;
use crate::store::{Batch, Store, StoreError};

const EXECUTIONS: &str = "codepipeline.executions";
const ACTIONS: &str = "codepipeline.action_executions";
const RUNTIME: &str = "codepipeline.runtime";
const SPECS: &str = "codepipeline.execution_specs";
const RULES: &str = "codepipeline.rule_executions";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Trigger {
    pub trigger_type: String,
    pub trigger_detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorDetails {
    pub code: String,
    pub message: String,
}

/// A source revision as executions report it (`artifactRevisions`, `sourceRevisions`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArtifactRevision {
    pub name: String,
    pub action_name: String,
    pub revision_id: String,
    pub revision_change_identifier: Option<String>,
    pub revision_summary: Option<String>,
    pub created: Option<Timestamp>,
    pub revision_url: Option<String>,
}

/// An artifact in the artifact store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArtifactLocation {
    pub name: String,
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageRun {
    pub status: StageExecutionStatus,
    pub started: Timestamp,
    pub updated: Timestamp,
    /// Retries of the stage in this execution (`retryStageMetadata`).
    #[serde(default)]
    pub manual_retries: u32,
    #[serde(default)]
    pub auto_retries: u32,
    #[serde(default)]
    pub latest_retry_trigger: Option<RetryTrigger>,
    /// The latest evaluation of each of the stage's conditions in this execution.
    #[serde(default)]
    pub conditions: BTreeMap<ConditionKind, ConditionRun>,
}

/// One evaluation of a stage condition (`StageConditionState`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConditionRun {
    /// Identifies the evaluation; its rule executions carry it.
    pub id: String,
    pub status: ConditionExecutionStatus,
    pub summary: Option<String>,
    pub last_status_change: Timestamp,
}

/// A retry of a stage that has not finished yet: which earlier action executions of the stage
/// no longer count (so that a restart in the middle of it resumes the retry, not the old run).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageRetry {
    pub stage: String,
    pub mode: RetryMode,
    pub discarded: Vec<String>,
}

/// What a ROLLBACK execution rolls back (`rollbackMetadata`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RollbackOf {
    /// The execution whose artifacts and variables the stage runs with again.
    pub target: String,
    /// The one stage the rollback runs.
    pub stage: String,
}

/// One pipeline execution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExecutionRecord {
    pub key: PipelineKey,
    pub id: String,
    pub pipeline_version: i64,
    /// Start order within the pipeline ("newer" means a larger number).
    pub seq: u64,
    pub status: PipelineExecutionStatus,
    pub status_summary: Option<String>,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    pub trigger: Trigger,
    pub stop_reason: Option<String>,
    pub stop_mode: Option<StopMode>,
    pub execution_mode: ExecutionMode,
    pub execution_type: String,
    pub variables: Vec<(String, String)>,
    pub artifact_revisions: Vec<ArtifactRevision>,
    /// The stage the execution is in, or waits to enter (with `waiting`).
    pub stage: Option<String>,
    pub waiting: bool,
    /// A sorted list (a map node would have room for eleven entries; most executions run two
    /// or three stages).
    pub stages: SmallMap<StageRun>,
    pub error_details: Option<ErrorDetails>,
    pub client_request_token: Option<String>,
    /// Source revisions pinned at start: action name -> (revision type, value).
    pub source_overrides: BTreeMap<String, (String, String)>,
    /// Set while a retry of a stage runs (cleared when that stage finishes).
    #[serde(default)]
    pub retry: Option<StageRetry>,
    /// Set on ROLLBACK executions.
    #[serde(default)]
    pub rollback: Option<RollbackOf>,
}

/// One run of one action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionRecord {
    pub key: PipelineKey,
    pub pipeline_execution_id: String,
    pub id: String,
    pub pipeline_version: i64,
    pub stage: String,
    pub action: String,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    pub status: ActionExecutionStatus,
    pub summary: Option<String>,
    /// The approval token while a Manual approval waits.
    pub token: Option<String>,
    pub updated_by: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    /// The CloudWatch Logs stream of the action's compute (Commands actions).
    #[serde(default)]
    pub log_stream_arn: Option<String>,
    pub percent_complete: Option<i64>,
    pub error_details: Option<ErrorDetails>,
    pub action_type: ActionTypeSpec,
    pub configuration: SmallMap<String>,
    /// Empty when it equals `configuration` (nothing to resolve): read it with `resolved`.
    pub resolved_configuration: SmallMap<String>,
    pub role_arn: Option<String>,
    pub region: String,
    pub namespace: Option<String>,
    pub input_artifacts: Vec<ArtifactLocation>,
    pub output_artifacts: Vec<ArtifactLocation>,
    pub output_variables: BTreeMap<String, String>,
    pub current_revision: Option<ArtifactRevision>,
}

impl ActionRecord {
    /// The configuration the action ran with, its `#{...}` references resolved.
    pub fn resolved(&self) -> &SmallMap<String> {
        if self.resolved_configuration.is_empty() {
            &self.configuration
        } else {
            &self.resolved_configuration
        }
    }
}

/// One evaluation of one rule of a stage condition (`RuleExecutionDetail`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleRecord {
    pub key: PipelineKey,
    pub pipeline_execution_id: String,
    pub id: String,
    pub pipeline_version: i64,
    pub stage: String,
    pub condition: ConditionKind,
    /// The condition evaluation (`ConditionRun::id`) this rule execution belongs to.
    pub condition_run: String,
    pub rule: String,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    pub status: RuleExecutionStatus,
    pub summary: Option<String>,
    /// The token of this rule execution's request (shown while it is in progress).
    #[serde(default)]
    pub token: Option<String>,
    pub updated_by: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    pub error_details: Option<ErrorDetails>,
    pub rule_type: ActionTypeSpec,
    pub configuration: SmallMap<String>,
    pub resolved_configuration: SmallMap<String>,
    pub role_arn: Option<String>,
    pub region: String,
    pub input_artifacts: Vec<ArtifactLocation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TransitionState {
    pub enabled: bool,
    pub last_changed_by: Option<String>,
    pub last_changed_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
}

/// Per-pipeline state that outlives single executions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PipelineRuntime {
    /// Inbound transitions by stage name; a stage not listed is enabled.
    pub transitions: SmallMap<TransitionState>,
    /// The last execution that entered each stage.
    pub stage_latest: SmallMap<String>,
    /// The latest action execution of each `stage/action`.
    pub action_latest: SmallMap<String>,
    /// Executions waiting in front of each stage, in the order they will enter.
    pub inbound: SmallMap<Vec<String>>,
    pub next_seq: u64,
}

impl PipelineRuntime {
    pub fn transition_enabled(&self, stage: &str) -> bool {
        self.transitions
            .get(stage)
            .map(|t| t.enabled)
            .unwrap_or(true)
    }
}

#[derive(Default)]
struct Inner {
    // Records are boxed: a map's table holds a pointer per slot, not a whole record, so
    // its spare slots cost little.
    executions: HashMap<String, Box<ExecutionRecord>>,
    /// Execution ids of each pipeline in start order.
    by_pipeline: HashMap<PipelineKey, Vec<String>>,
    actions: HashMap<String, Box<ActionRecord>>,
    /// Action execution ids of each pipeline execution in start order.
    actions_by_execution: HashMap<String, Vec<String>>,
    rules: HashMap<String, Box<RuleRecord>>,
    /// Rule execution ids of each pipeline execution in start order.
    rules_by_execution: HashMap<String, Vec<String>>,
    runtime: HashMap<PipelineKey, PipelineRuntime>,
    specs: HashMap<(PipelineKey, i64), Arc<PipelineSpec>>,
    /// Executions not yet ended, per pipeline (kept in step with every status change).
    in_flight: HashMap<PipelineKey, usize>,
}

/// Shared, persisted engine state.
#[derive(Clone)]
pub struct Records {
    inner: Arc<RwLock<Inner>>,
    store: Arc<Store>,
}

fn exec_key(key: &PipelineKey, id: &str) -> String {
    format!("{}{id}", key.store_prefix())
}

impl Records {
    /// Loads every stored record.
    pub fn load(store: Arc<Store>) -> Result<Records, StoreError> {
        let mut inner = Inner::default();
        let mut executions: Vec<ExecutionRecord> = store
            .load::<ExecutionRecord>(EXECUTIONS)?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        executions.sort_by_key(|e| e.seq);
        for e in executions {
            if !e.status.is_terminal() {
                *inner.in_flight.entry(e.key.clone()).or_default() += 1;
            }
            inner
                .by_pipeline
                .entry(e.key.clone())
                .or_default()
                .push(e.id.clone());
            inner.executions.insert(e.id.clone(), Box::new(e));
        }
        let mut actions: Vec<ActionRecord> = store
            .load::<ActionRecord>(ACTIONS)?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        actions.sort_by_key(|a| (a.start_time, a.id.clone()));
        for a in actions {
            inner
                .actions_by_execution
                .entry(a.pipeline_execution_id.clone())
                .or_default()
                .push(a.id.clone());
            inner.actions.insert(a.id.clone(), Box::new(a));
        }
        let mut rules: Vec<RuleRecord> = store
            .load::<RuleRecord>(RULES)?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        rules.sort_by_key(|r| (r.start_time, r.id.clone()));
        for r in rules {
            inner
                .rules_by_execution
                .entry(r.pipeline_execution_id.clone())
                .or_default()
                .push(r.id.clone());
            inner.rules.insert(r.id.clone(), Box::new(r));
        }
        for (_, (key, runtime)) in store.load::<(PipelineKey, PipelineRuntime)>(RUNTIME)? {
            inner.runtime.insert(key, runtime);
        }
        for (_, spec_row) in store.load::<(PipelineKey, PipelineSpec)>(SPECS)? {
            let (key, spec) = spec_row;
            inner.specs.insert((key, spec.version), Arc::new(spec));
        }
        Ok(Records {
            inner: Arc::new(RwLock::new(inner)),
            store,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns once every write queued so far is committed (`Store::durable`).
    pub fn durable(&self) -> Result<(), crate::store::StoreError> {
        self.store.durable()
    }

    pub fn spec(&self, key: &PipelineKey, version: i64) -> Option<Arc<PipelineSpec>> {
        self.read().specs.get(&(key.clone(), version)).cloned()
    }

    /// Starts an execution in one write: the spec it runs (once per pipeline version), the
    /// pipeline's next start sequence number, and the record `build` makes with it.
    pub fn begin_execution(
        &self,
        key: &PipelineKey,
        spec: &Arc<PipelineSpec>,
        build: impl FnOnce(u64) -> ExecutionRecord,
    ) -> ExecutionRecord {
        let mut inner = self.write();
        let mut batch = Batch::new();
        let spec_id = (key.clone(), spec.version);
        let new_spec = !inner.specs.contains_key(&spec_id);
        if new_spec {
            batch.put(
                SPECS,
                format!("{}{}", key.store_prefix(), spec.version),
                &(key, spec.as_ref()),
            );
        }
        let mut runtime = inner.runtime.get(key).cloned().unwrap_or_default();
        runtime.next_seq += 1;
        batch.put(RUNTIME, key.store_prefix(), &(key, &runtime));
        let rec = build(runtime.next_seq);
        batch.put(EXECUTIONS, exec_key(&rec.key, &rec.id), &rec);
        self.store.apply_later(batch);
        if new_spec {
            inner.specs.insert(spec_id, spec.clone());
        }
        inner.runtime.insert(key.clone(), runtime);
        Self::index_execution(&mut inner, rec.clone());
        rec
    }

    fn index_execution(inner: &mut Inner, rec: ExecutionRecord) {
        if !rec.status.is_terminal() {
            *inner.in_flight.entry(rec.key.clone()).or_default() += 1;
        }
        inner
            .by_pipeline
            .entry(rec.key.clone())
            .or_default()
            .push(rec.id.clone());
        inner.executions.insert(rec.id.clone(), Box::new(rec));
    }

    /// Changes an execution (its write queued); returns the new record.
    pub fn update_execution(
        &self,
        id: &str,
        f: impl FnOnce(&mut ExecutionRecord),
    ) -> Option<ExecutionRecord> {
        self.update_execution_and_runtime(id, f, None::<fn(&mut PipelineRuntime)>)
    }

    /// Changes an execution and, when `runtime` is given, its pipeline's runtime state, in
    /// one write; returns the new execution record.
    pub fn update_execution_and_runtime(
        &self,
        id: &str,
        f: impl FnOnce(&mut ExecutionRecord),
        runtime: Option<impl FnOnce(&mut PipelineRuntime)>,
    ) -> Option<ExecutionRecord> {
        let mut inner = self.write();
        let current = inner.executions.get(id)?;
        let was_in_flight = !current.status.is_terminal();
        let mut next = ExecutionRecord::clone(current);
        f(&mut next);
        next.last_update_time = Timestamp::now();
        let mut batch = Batch::new();
        batch.put(EXECUTIONS, exec_key(&next.key, id), &next);
        let runtime = runtime.map(|g| {
            let mut rt = inner.runtime.get(&next.key).cloned().unwrap_or_default();
            g(&mut rt);
            batch.put(RUNTIME, next.key.store_prefix(), &(&next.key, &rt));
            rt
        });
        self.store.apply_later(batch);
        if let Some(rt) = runtime {
            inner.runtime.insert(next.key.clone(), rt);
        }
        if was_in_flight && next.status.is_terminal() {
            if let Some(n) = inner.in_flight.get_mut(&next.key) {
                *n = n.saturating_sub(1);
            }
        } else if !was_in_flight && !next.status.is_terminal() {
            // A retried execution is in flight again.
            *inner.in_flight.entry(next.key.clone()).or_default() += 1;
        }
        inner
            .executions
            .insert(id.to_string(), Box::new(next.clone()));
        Some(next)
    }

    /// Writes an action execution (new or changed) and points the action's "latest" at it.
    pub fn put_action(&self, rec: &ActionRecord) {
        let mut inner = self.write();
        // A late write for an execution that was forgotten (pipeline deleted) is dropped.
        if !inner.executions.contains_key(&rec.pipeline_execution_id) {
            return;
        }
        let is_new = !inner.actions.contains_key(&rec.id);
        let slot = format!("{}/{}", rec.stage, rec.action);
        // Progress updates of the same action execution leave the runtime state alone: only
        // a new action execution moves the "latest" pointer (and is worth a copy and a write).
        let latest_changed = inner
            .runtime
            .get(&rec.key)
            .is_none_or(|r| r.action_latest.get(&slot) != Some(&rec.id));
        let runtime = latest_changed.then(|| {
            let mut runtime = inner.runtime.get(&rec.key).cloned().unwrap_or_default();
            runtime.action_latest.insert(slot, rec.id.clone());
            runtime
        });
        let mut batch = Batch::new();
        batch.put(
            ACTIONS,
            format!(
                "{}{}/{}",
                rec.key.store_prefix(),
                rec.pipeline_execution_id,
                rec.id
            ),
            rec,
        );
        if let Some(runtime) = &runtime {
            batch.put(RUNTIME, rec.key.store_prefix(), &(&rec.key, runtime));
        }
        self.store.apply_later(batch);
        if is_new {
            inner
                .actions_by_execution
                .entry(rec.pipeline_execution_id.clone())
                .or_default()
                .push(rec.id.clone());
        }
        inner.actions.insert(rec.id.clone(), Box::new(rec.clone()));
        if let Some(runtime) = runtime {
            inner.runtime.insert(rec.key.clone(), runtime);
        }
    }

    /// Writes a rule execution (new or changed). A late write for an execution that was
    /// forgotten (pipeline deleted) is dropped.
    pub fn put_rule(&self, rec: &RuleRecord) {
        let mut inner = self.write();
        if !inner.executions.contains_key(&rec.pipeline_execution_id) {
            return;
        }
        let mut batch = Batch::new();
        batch.put(
            RULES,
            format!(
                "{}{}/{}",
                rec.key.store_prefix(),
                rec.pipeline_execution_id,
                rec.id
            ),
            rec,
        );
        self.store.apply_later(batch);
        if !inner.rules.contains_key(&rec.id) {
            inner
                .rules_by_execution
                .entry(rec.pipeline_execution_id.clone())
                .or_default()
                .push(rec.id.clone());
        }
        inner.rules.insert(rec.id.clone(), Box::new(rec.clone()));
    }

    /// The rule executions of one pipeline execution, oldest first.
    pub fn rules_of_execution(&self, execution_id: &str) -> Vec<RuleRecord> {
        let inner = self.read();
        inner
            .rules_by_execution
            .get(execution_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| inner.rules.get(id).map(|r| (**r).clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn update_runtime(
        &self,
        key: &PipelineKey,
        f: impl FnOnce(&mut PipelineRuntime),
    ) -> PipelineRuntime {
        let mut inner = self.write();
        let mut runtime = inner.runtime.get(key).cloned().unwrap_or_default();
        f(&mut runtime);
        let mut batch = Batch::new();
        batch.put(RUNTIME, key.store_prefix(), &(key, &runtime));
        self.store.apply_later(batch);
        inner.runtime.insert(key.clone(), runtime.clone());
        runtime
    }

    /// Whether a stage's inbound transition is enabled (without copying the runtime state).
    pub fn transition_enabled(&self, key: &PipelineKey, stage: &str) -> bool {
        self.read()
            .runtime
            .get(key)
            .is_none_or(|r| r.transition_enabled(stage))
    }

    /// The executions waiting in front of a stage, as last published.
    pub fn inbound(&self, key: &PipelineKey, stage: &str) -> Vec<String> {
        self.read()
            .runtime
            .get(key)
            .and_then(|r| r.inbound.get(stage).cloned())
            .unwrap_or_default()
    }

    pub fn runtime(&self, key: &PipelineKey) -> PipelineRuntime {
        self.read().runtime.get(key).cloned().unwrap_or_default()
    }

    pub fn execution(&self, id: &str) -> Option<ExecutionRecord> {
        self.read().executions.get(id).map(|r| (**r).clone())
    }

    /// An execution of this pipeline (an id of another pipeline is not found).
    pub fn execution_of(&self, key: &PipelineKey, id: &str) -> Option<ExecutionRecord> {
        self.execution(id).filter(|e| &e.key == key)
    }

    /// The executions of a pipeline, newest first.
    pub fn executions_of(&self, key: &PipelineKey) -> Vec<ExecutionRecord> {
        let inner = self.read();
        inner
            .by_pipeline
            .get(key)
            .map(|ids| {
                ids.iter()
                    .rev()
                    .filter_map(|id| inner.executions.get(id).map(|r| (**r).clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many executions of a pipeline have not ended.
    pub fn in_flight_count(&self, key: &PipelineKey) -> usize {
        self.read().in_flight.get(key).copied().unwrap_or(0)
    }

    /// One page of a pipeline's executions, newest first, of those `keep` accepts: the page
    /// starts after the execution `after` (an id from an earlier page). Returns the page and
    /// whether more follow; `None` when `after` is not an execution of this pipeline. Only the
    /// page is cloned.
    pub fn executions_page(
        &self,
        key: &PipelineKey,
        keep: impl Fn(&ExecutionRecord) -> bool,
        after: Option<&str>,
        max: usize,
    ) -> Option<(Vec<ExecutionRecord>, bool)> {
        let inner = self.read();
        let Some(ids) = inner.by_pipeline.get(key) else {
            return after.is_none().then(|| (Vec::new(), false));
        };
        let mut iter = ids.iter().rev();
        if let Some(after) = after {
            iter.by_ref().find(|id| id.as_str() == after)?;
        }
        let mut page = Vec::new();
        for id in iter {
            let Some(rec) = inner.executions.get(id) else {
                continue;
            };
            if !keep(rec) {
                continue;
            }
            if page.len() == max {
                return Some((page, true));
            }
            page.push(ExecutionRecord::clone(rec));
        }
        Some((page, false))
    }

    /// Executions not yet ended, oldest first (for resuming after a restart).
    pub fn in_flight(&self) -> Vec<ExecutionRecord> {
        let inner = self.read();
        let mut v: Vec<_> = inner
            .executions
            .values()
            .filter(|e| !e.status.is_terminal())
            .map(|e| ExecutionRecord::clone(e))
            .collect();
        v.sort_by_key(|e| e.seq);
        v
    }

    pub fn action(&self, id: &str) -> Option<ActionRecord> {
        self.read().actions.get(id).map(|r| (**r).clone())
    }

    /// The action executions of one pipeline execution, oldest first.
    pub fn actions_of_execution(&self, execution_id: &str) -> Vec<ActionRecord> {
        let inner = self.read();
        inner
            .actions_by_execution
            .get(execution_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| inner.actions.get(id).map(|r| (**r).clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The latest action execution of `stage/action` in this pipeline.
    pub fn latest_action(
        &self,
        key: &PipelineKey,
        stage: &str,
        action: &str,
    ) -> Option<ActionRecord> {
        let inner = self.read();
        let id = inner
            .runtime
            .get(key)?
            .action_latest
            .get(&format!("{stage}/{action}"))?;
        inner.actions.get(id).map(|r| (**r).clone())
    }

    /// The execution that used a client request token, if any.
    pub fn execution_by_token(&self, key: &PipelineKey, token: &str) -> Option<ExecutionRecord> {
        let inner = self.read();
        inner.by_pipeline.get(key)?.iter().rev().find_map(|id| {
            inner
                .executions
                .get(id)
                .filter(|e| e.client_request_token.as_deref() == Some(token))
                .map(|e| ExecutionRecord::clone(e))
        })
    }

    /// Forgets a deleted pipeline: its executions, action executions and runtime state.
    pub fn remove_pipeline(&self, key: &PipelineKey) {
        let mut inner = self.write();
        let prefix = key.store_prefix();
        let mut batch = Batch::new();
        batch
            .delete_prefix(EXECUTIONS, prefix.clone())
            .delete_prefix(ACTIONS, prefix.clone())
            .delete_prefix(RULES, prefix.clone())
            .delete_prefix(SPECS, prefix.clone())
            .delete(RUNTIME, prefix);
        self.store.apply_later(batch);
        if let Some(ids) = inner.by_pipeline.remove(key) {
            for id in ids {
                inner.executions.remove(&id);
                if let Some(actions) = inner.actions_by_execution.remove(&id) {
                    for a in actions {
                        inner.actions.remove(&a);
                    }
                }
                if let Some(rules) = inner.rules_by_execution.remove(&id) {
                    for r in rules {
                        inner.rules.remove(&r);
                    }
                }
            }
        }
        inner.runtime.remove(key);
        inner.in_flight.remove(key);
        inner.specs.retain(|(k, _), _| k != key);
    }

    /// Forgets everything in memory (`/_simfra/reset`; the store is wiped separately).
    pub fn clear(&self) {
        *self.write() = Inner::default();
    }
}

//! The job queue of job-worker actions: custom actions (owner `Custom`, polled with
//! `PollForJobs`) and partner actions (owner `ThirdParty`, polled with
//! `PollForThirdPartyJobs`).
//!
//! When such an action starts, its provider (`providers/jobs.rs`) puts a job here; a worker
//! polls it (the job becomes `Dispatched` with a fresh nonce), acknowledges it (`InProgress`)
//! and answers with a success or a failure, which this queue hands to the action actor
//! through the action's sink (messages, never polling). A success with a continuation token
//! ends the job but not the action: a new job with the same data and that token is queued.
//! Abandoning or timing out the action invalidates its jobs (`cancel_action`).
//!
//! It owns job state and the protocol's rules (nonces, client tokens, which results a job
//! still accepts); it does not know the wire shapes nor whether an action type exists (the
//! CodePipeline service checks that). Jobs live in memory only: after a restart the engine
//! runs interrupted actions again as new action executions, which queue new jobs.
//!
//! Lookups are by job id (a map); a poll walks only the pending jobs of the polled action
//! type, in creation order. A dispatched job that is not acknowledged within the dispatch
//! timeout is handed out again by the next poll (with a new nonce); no timer is involved.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::messages::ProviderReport;
use super::providers::{ActionProgress, ActionSuccess};
use super::records::{ArtifactRevision, ErrorDetails};
use super::spec::ActionTypeSpec;

mod types;

pub use types::*;

/// How long a polled job may stay unacknowledged before a poll hands it out again. AWS does
/// not document its value; a worker acknowledges right after polling, so one minute only
/// matters for a worker that died in between.
pub const DEFAULT_DISPATCH_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest total size of a job's output variables (keys and values), as AWS.
pub const MAX_OUTPUT_VARIABLES_BYTES: usize = 122_880;
/// How long an ended job is remembered (results for it answer InvalidJobState, not
/// JobNotFound), and how many at most.
const RETENTION: Duration = Duration::from_secs(3600);
const MAX_ENDED: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Queued,
    Dispatched(Instant),
    InProgress,
    Succeeded,
    Failed,
    /// The action ended without this job's answer (abandoned, stopped, timed out).
    Cancelled,
}

impl State {
    fn status(self) -> JobStatus {
        match self {
            State::Queued => JobStatus::Queued,
            State::Dispatched(_) => JobStatus::Dispatched,
            State::InProgress => JobStatus::InProgress,
            State::Succeeded => JobStatus::Succeeded,
            State::Failed => JobStatus::Failed,
            State::Cancelled => JobStatus::TimedOut,
        }
    }

    fn ended(self) -> bool {
        matches!(self, State::Succeeded | State::Failed | State::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TypeKey {
    kind: JobKind,
    account: String,
    region: String,
    action_type: ActionTypeSpec,
}

struct Job {
    key: TypeKey,
    seq: u64,
    client_id: String,
    data: Arc<JobData>,
    nonce: Option<String>,
    state: State,
}

/// A running action and its jobs.
struct ActionEntry {
    sink: Sink,
    key: TypeKey,
    client_id: String,
    template: Arc<JobData>,
    jobs: Vec<String>,
}

#[derive(Default)]
struct Inner {
    jobs: HashMap<String, Job>,
    /// Queued or dispatched-but-unacknowledged jobs, by action type, in creation order.
    pending: HashMap<TypeKey, BTreeMap<u64, String>>,
    actions: HashMap<String, ActionEntry>,
    ended: VecDeque<(Instant, String)>,
    seq: u64,
}

/// The job queue (shared by the engine's job provider and the CodePipeline service).
pub struct JobQueue {
    inner: Mutex<Inner>,
    dispatch_timeout: Duration,
}

impl Default for JobQueue {
    fn default() -> Self {
        JobQueue::new(DEFAULT_DISPATCH_TIMEOUT)
    }
}

/// A random decimal number (AWS's nonces are numbers sent as strings).
fn new_nonce() -> String {
    let b = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]).to_string()
}

impl JobQueue {
    pub fn new(dispatch_timeout: Duration) -> Self {
        JobQueue {
            inner: Mutex::new(Inner::default()),
            dispatch_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps behind (every mutation is a
        // single insert or remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a starting action and queues its first job; returns the job's id. The job
    /// is visible to the very next poll.
    pub fn start_action(&self, a: NewAction) -> String {
        let action_id = a.data.action_execution_id.clone();
        let key = TypeKey {
            kind: a.kind,
            account: a.account,
            region: a.region,
            action_type: a.data.action_type.clone(),
        };
        let template = Arc::new(a.data);
        let mut inner = self.lock();
        let id = inner.queue_job(&key, &a.client_id, template.clone());
        inner.actions.insert(
            action_id,
            ActionEntry {
                sink: a.sink,
                key,
                client_id: a.client_id,
                template,
                jobs: vec![id.clone()],
            },
        );
        id
    }

    /// PollForJobs / PollForThirdPartyJobs: up to `max` jobs of this action type (and, when
    /// `query` is given, whose configuration has that value for that property), oldest first.
    #[allow(clippy::too_many_arguments)]
    pub fn poll(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        action_type: &ActionTypeSpec,
        max: usize,
        query: Option<(&str, &str)>,
    ) -> Vec<Dispatched> {
        self.poll_at(
            kind,
            account,
            region,
            action_type,
            max,
            query,
            Instant::now(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn poll_at(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        action_type: &ActionTypeSpec,
        max: usize,
        query: Option<(&str, &str)>,
        now: Instant,
    ) -> Vec<Dispatched> {
        let key = TypeKey {
            kind,
            account: account.to_string(),
            region: region.to_string(),
            action_type: action_type.clone(),
        };
        let mut guard = self.lock();
        let Inner { jobs, pending, .. } = &mut *guard;
        let Some(waiting) = pending.get(&key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in waiting.values() {
            if out.len() >= max {
                break;
            }
            let Some(job) = jobs.get_mut(id) else {
                continue;
            };
            let available = match job.state {
                State::Queued => true,
                State::Dispatched(at) => now.saturating_duration_since(at) >= self.dispatch_timeout,
                _ => false,
            };
            let matches = query.is_none_or(|(prop, value)| {
                job.data.configuration.get(prop).map(String::as_str) == Some(value)
            });
            if !available || !matches {
                continue;
            }
            let nonce = new_nonce();
            job.nonce = Some(nonce.clone());
            job.state = State::Dispatched(now);
            out.push(Dispatched {
                id: id.clone(),
                nonce,
                account: job.key.account.clone(),
                client_id: job.client_id.clone(),
                data: job.data.clone(),
            });
        }
        out
    }

    /// AcknowledgeJob / AcknowledgeThirdPartyJob. Acknowledging again with the same nonce
    /// is allowed and answers the job's current status.
    pub fn acknowledge(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        nonce: &str,
        client_token: Option<&str>,
    ) -> Result<JobStatus, JobError> {
        let mut inner = self.lock();
        let job = inner.find(kind, account, region, id, client_token)?;
        if job.nonce.as_deref() != Some(nonce) {
            return Err(JobError::InvalidNonce(id.to_string()));
        }
        if let State::Dispatched(_) = job.state {
            job.state = State::InProgress;
            let (key, seq) = (job.key.clone(), job.seq);
            inner.unpend(&key, seq);
        }
        Ok(inner.jobs[id].state.status())
    }

    /// GetJobDetails / GetThirdPartyJobDetails (ended jobs still answer while remembered).
    pub fn details(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        client_token: Option<&str>,
    ) -> Result<JobView, JobError> {
        let mut inner = self.lock();
        let job = inner.find(kind, account, region, id, client_token)?;
        Ok(JobView {
            id: id.to_string(),
            account: job.key.account.clone(),
            nonce: job.nonce.clone(),
            status: job.state.status(),
            data: job.data.clone(),
        })
    }

    /// PutJobSuccessResult / PutThirdPartyJobSuccessResult. With a continuation token the
    /// action stays in progress and a new job with the same data and that token is queued.
    #[allow(clippy::too_many_arguments)]
    pub fn succeed(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        client_token: Option<&str>,
        result: JobSuccess,
    ) -> Result<(), JobError> {
        if result.continuation_token.is_some() && !result.output_variables.is_empty() {
            return Err(JobError::Validation(
                "outputVariables can be given only when there is no continuationToken".into(),
            ));
        }
        let size: usize = result
            .output_variables
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        if size > MAX_OUTPUT_VARIABLES_BYTES {
            return Err(JobError::OutputVariablesTooLarge(id.to_string()));
        }
        let mut inner = self.lock();
        let action_id = inner.end_job(kind, account, region, id, client_token, true)?;
        let progress = ActionProgress {
            summary: result.summary.clone(),
            external_execution_id: result.external_execution_id.clone(),
            percent_complete: result.percent_complete,
            ..Default::default()
        };
        let Some(token) = result.continuation_token else {
            let Some(entry) = inner.actions.remove(&action_id) else {
                return Ok(());
            };
            drop(inner);
            let revision = result.revision.map(|r| ArtifactRevision {
                name: entry
                    .template
                    .output_artifacts
                    .first()
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                action_name: entry.template.action.clone(),
                revision_id: r.revision,
                revision_change_identifier: Some(r.change_identifier),
                revision_summary: r.summary,
                created: r.created,
                revision_url: None,
            });
            if progress.percent_complete.is_some() {
                (entry.sink)(ProviderReport::Progress(progress));
            }
            (entry.sink)(ProviderReport::Succeeded(ActionSuccess {
                summary: result.summary,
                external_execution_id: result.external_execution_id,
                output_variables: result.output_variables,
                revision,
                ..Default::default()
            }));
            return Ok(());
        };
        let Some(entry) = inner.actions.get(&action_id) else {
            return Ok(());
        };
        let mut data = (*entry.template).clone();
        data.continuation_token = Some(token);
        let (key, client_id) = (entry.key.clone(), entry.client_id.clone());
        let next = inner.queue_job(&key, &client_id, Arc::new(data));
        if let Some(entry) = inner.actions.get_mut(&action_id) {
            entry.jobs.push(next);
            (entry.sink)(ProviderReport::Progress(progress));
        }
        Ok(())
    }

    /// PutJobFailureResult / PutThirdPartyJobFailureResult: the action fails with the
    /// failure's type as its error code and its message.
    pub fn fail(
        &self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        client_token: Option<&str>,
        failure: JobFailure,
    ) -> Result<(), JobError> {
        let mut inner = self.lock();
        let action_id = inner.end_job(kind, account, region, id, client_token, false)?;
        let Some(entry) = inner.actions.remove(&action_id) else {
            return Ok(());
        };
        drop(inner);
        if failure.external_execution_id.is_some() {
            (entry.sink)(ProviderReport::Progress(ActionProgress {
                external_execution_id: failure.external_execution_id,
                ..Default::default()
            }));
        }
        (entry.sink)(ProviderReport::Failed(ErrorDetails {
            code: failure.code,
            message: failure.message,
        }));
        Ok(())
    }

    /// The action ended without its jobs' answer (abandoned, stopped, timed out): its jobs
    /// are no longer handed out and results for them are refused.
    pub fn cancel_action(&self, action_execution_id: &str) {
        let mut inner = self.lock();
        let Some(entry) = inner.actions.remove(action_execution_id) else {
            return;
        };
        let now = Instant::now();
        for id in entry.jobs {
            let Some(job) = inner.jobs.get_mut(&id) else {
                continue;
            };
            if job.state.ended() {
                continue;
            }
            job.state = State::Cancelled;
            let (key, seq) = (job.key.clone(), job.seq);
            inner.unpend(&key, seq);
            inner.ended.push_back((now, id));
        }
        inner.prune(now);
    }

    /// Forgets every job (`/_simfra/reset`).
    pub fn clear(&self) {
        *self.lock() = Inner::default();
    }

    /// Jobs remembered (live and recently ended), for tests and benchmarks.
    pub fn len(&self) -> usize {
        self.lock().jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn queue_job(&mut self, key: &TypeKey, client_id: &str, data: Arc<JobData>) -> String {
        self.seq += 1;
        let id = uuid::Uuid::new_v4().to_string();
        self.pending
            .entry(key.clone())
            .or_default()
            .insert(self.seq, id.clone());
        self.jobs.insert(
            id.clone(),
            Job {
                key: key.clone(),
                seq: self.seq,
                client_id: client_id.to_string(),
                data,
                nonce: None,
                state: State::Queued,
            },
        );
        id
    }

    fn unpend(&mut self, key: &TypeKey, seq: u64) {
        if let Some(waiting) = self.pending.get_mut(key) {
            waiting.remove(&seq);
            if waiting.is_empty() {
                self.pending.remove(key);
            }
        }
    }

    /// The job, if it is of this kind, account and region, and the client token (partner
    /// jobs) is the job's.
    fn find(
        &mut self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        client_token: Option<&str>,
    ) -> Result<&mut Job, JobError> {
        let job = self
            .jobs
            .get_mut(id)
            .filter(|j| j.key.kind == kind && j.key.account == account && j.key.region == region)
            .ok_or_else(|| JobError::NotFound(id.to_string()))?;
        if kind == JobKind::ThirdParty && client_token != Some(job.client_id.as_str()) {
            return Err(JobError::InvalidClientToken(id.to_string()));
        }
        Ok(job)
    }

    /// Ends a live job with a result; returns its action execution id.
    fn end_job(
        &mut self,
        kind: JobKind,
        account: &str,
        region: &str,
        id: &str,
        client_token: Option<&str>,
        succeeded: bool,
    ) -> Result<String, JobError> {
        let job = self.find(kind, account, region, id, client_token)?;
        match job.state {
            State::Succeeded | State::Failed => {
                return Err(JobError::InvalidState(format!(
                    "Job {id} has already ended ({}); it accepts no further result",
                    job.state.status().as_str()
                )))
            }
            State::Cancelled => {
                return Err(JobError::InvalidState(format!(
                    "The action of job {id} is no longer running (it was stopped, abandoned or timed out)"
                )))
            }
            _ => {}
        }
        job.state = if succeeded {
            State::Succeeded
        } else {
            State::Failed
        };
        let (key, seq) = (job.key.clone(), job.seq);
        let action_id = job.data.action_execution_id.clone();
        self.unpend(&key, seq);
        let now = Instant::now();
        self.ended.push_back((now, id.to_string()));
        self.prune(now);
        Ok(action_id)
    }

    fn prune(&mut self, now: Instant) {
        while let Some((at, id)) = self.ended.front() {
            if now.saturating_duration_since(*at) < RETENTION && self.ended.len() <= MAX_ENDED {
                break;
            }
            if self.jobs.get(id).is_some_and(|j| j.state.ended()) {
                self.jobs.remove(id);
            }
            self.ended.pop_front();
        }
    }
}

#[cfg(test)]
mod tests;

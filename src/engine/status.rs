//! The status state machine: pure functions deciding what an execution, a stage or a runOrder
//! group does next, and which stop, retry and rollback requests are allowed. Unit-tested
//! without actors.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PipelineExecutionStatus {
    Cancelled,
    InProgress,
    Stopped,
    Stopping,
    Succeeded,
    Superseded,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageExecutionStatus {
    Cancelled,
    InProgress,
    Failed,
    Stopped,
    Stopping,
    Succeeded,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionExecutionStatus {
    InProgress,
    Abandoned,
    Succeeded,
    Failed,
}

impl PipelineExecutionStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::InProgress | Self::Stopping)
    }

    /// The `state` of the pipeline event for this status (events spell `CANCELED`).
    pub fn event_state(self) -> &'static str {
        match self {
            Self::Cancelled => "CANCELED",
            Self::InProgress => "STARTED",
            Self::Stopped => "STOPPED",
            Self::Stopping => "STOPPING",
            Self::Succeeded => "SUCCEEDED",
            Self::Superseded => "SUPERSEDED",
            Self::Failed => "FAILED",
        }
    }
}

impl StageExecutionStatus {
    pub fn event_state(self) -> &'static str {
        match self {
            Self::Cancelled => "CANCELED",
            Self::InProgress => "STARTED",
            Self::Failed => "FAILED",
            Self::Stopped => "STOPPED",
            Self::Stopping => "STOPPING",
            Self::Succeeded => "SUCCEEDED",
            Self::Skipped => "SKIPPED",
        }
    }
}

impl ActionExecutionStatus {
    pub fn event_state(self) -> &'static str {
        match self {
            Self::InProgress => "STARTED",
            Self::Abandoned => "ABANDONED",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }
}

/// How an execution is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopMode {
    /// Running actions finish; nothing new starts.
    Wait,
    /// Running actions are abandoned at once.
    Abandon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRefusal {
    /// The execution already ended.
    NotStoppable,
    /// The same kind of stop was already requested.
    Duplicated,
}

/// Whether a stop request is allowed: `InProgress` may be stopped either way; a `Stopping`
/// execution stopped with "wait" may still be abandoned; anything else is refused.
pub fn decide_stop(
    status: PipelineExecutionStatus,
    pending: Option<StopMode>,
    abandon: bool,
) -> Result<StopMode, StopRefusal> {
    let requested = if abandon {
        StopMode::Abandon
    } else {
        StopMode::Wait
    };
    match (status, pending) {
        (s, _) if s.is_terminal() => Err(StopRefusal::NotStoppable),
        (_, None) => Ok(requested),
        (_, Some(StopMode::Wait)) if abandon => Ok(StopMode::Abandon),
        (_, Some(_)) => Err(StopRefusal::Duplicated),
    }
}

/// Where a runOrder group stands, from its actions' latest statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOutcome {
    Running,
    Succeeded,
    /// At least one action failed (or was abandoned) and none is running any more.
    Failed,
}

pub fn group_outcome(statuses: &[ActionExecutionStatus]) -> GroupOutcome {
    if statuses.contains(&ActionExecutionStatus::InProgress) {
        GroupOutcome::Running
    } else if statuses
        .iter()
        .all(|s| *s == ActionExecutionStatus::Succeeded)
    {
        GroupOutcome::Succeeded
    } else {
        GroupOutcome::Failed
    }
}

/// What a stage does once a group has settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageStep {
    StartGroup(usize),
    Finish(StageExecutionStatus),
}

/// A group settled: a failure fails the stage (no later group starts); a stop request ends it
/// as Stopped; otherwise the next group starts, or the stage succeeds after the last one.
pub fn after_group(
    group: usize,
    groups: usize,
    outcome: GroupOutcome,
    stopping: bool,
) -> StageStep {
    match outcome {
        GroupOutcome::Running => unreachable_running(),
        GroupOutcome::Failed if stopping => StageStep::Finish(StageExecutionStatus::Stopped),
        GroupOutcome::Failed => StageStep::Finish(StageExecutionStatus::Failed),
        GroupOutcome::Succeeded if stopping => StageStep::Finish(StageExecutionStatus::Stopped),
        GroupOutcome::Succeeded if group + 1 < groups => StageStep::StartGroup(group + 1),
        GroupOutcome::Succeeded => StageStep::Finish(StageExecutionStatus::Succeeded),
    }
}

fn unreachable_running() -> StageStep {
    // Callers only ask once nothing runs; treat a confused caller as "no progress" safely.
    StageStep::Finish(StageExecutionStatus::Failed)
}

/// What an execution does once a stage has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStep {
    EnterStage(usize),
    Finish(PipelineExecutionStatus),
}

pub fn after_stage(
    stage: usize,
    stages: usize,
    result: StageExecutionStatus,
    stopping: bool,
) -> ExecutionStep {
    match result {
        StageExecutionStatus::Succeeded | StageExecutionStatus::Skipped if stopping => {
            ExecutionStep::Finish(PipelineExecutionStatus::Stopped)
        }
        StageExecutionStatus::Succeeded | StageExecutionStatus::Skipped if stage + 1 < stages => {
            ExecutionStep::EnterStage(stage + 1)
        }
        StageExecutionStatus::Succeeded | StageExecutionStatus::Skipped => {
            ExecutionStep::Finish(PipelineExecutionStatus::Succeeded)
        }
        StageExecutionStatus::Stopped | StageExecutionStatus::Stopping => {
            ExecutionStep::Finish(PipelineExecutionStatus::Stopped)
        }
        StageExecutionStatus::Cancelled => {
            ExecutionStep::Finish(PipelineExecutionStatus::Cancelled)
        }
        StageExecutionStatus::Failed | StageExecutionStatus::InProgress => {
            ExecutionStep::Finish(PipelineExecutionStatus::Failed)
        }
    }
}

/// The scope of a stage retry (`retryMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryMode {
    /// Failed, abandoned and never-run actions run again; succeeded ones keep their results.
    FailedActions,
    /// Every action runs again, from the lowest runOrder.
    AllActions,
}

/// What started the latest retry of a stage (`latestRetryTrigger`, AWS's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryTrigger {
    ManualStageRetry,
    AutomatedStageRetry,
}

impl RetryTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManualStageRetry => "ManualStageRetry",
            Self::AutomatedStageRetry => "AutomatedStageRetry",
        }
    }
}

/// Which execution ran a stage last, as seen from a retry request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageLatest {
    /// No execution has entered the stage.
    Never,
    /// The execution the request names.
    This,
    /// A newer one (it entered, or was let in, after the named execution).
    Other,
}

/// What a RetryStageExecution request is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryFacts {
    pub latest: StageLatest,
    pub execution: PipelineExecutionStatus,
    /// The named execution's latest run of the stage.
    pub stage: Option<StageExecutionStatus>,
    /// That run is itself a retry that has not finished.
    pub retry_running: bool,
    /// A rollback of this pipeline is in flight.
    pub rollback_running: bool,
    /// The execution ended a moment ago and its actor has not yet gone.
    pub winding_down: bool,
    /// The execution ran the pipeline's current version.
    pub same_version: bool,
    /// An action of the stage did not succeed (failed, abandoned or never ran).
    pub anything_to_retry: bool,
}

/// Why a retry is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRefusal {
    /// StageNotRetryable: the stage never ran.
    NeverRan,
    /// NotLatestPipelineExecution: a newer execution ran the stage since.
    NotLatest,
    /// Conflict: a retry of this stage is already running.
    RetryRunning,
    /// Conflict: a rollback of the pipeline is running.
    RollbackRunning,
    /// Conflict: the execution is still winding down; try again.
    WindingDown,
    /// StageNotRetryable: the stage (or the execution) is still in progress.
    InProgress,
    /// StageNotRetryable: the stage's latest run neither failed nor was stopped.
    NotFailed,
    /// StageNotRetryable: the pipeline was updated since the execution started.
    PipelineChanged,
    /// StageNotRetryable: every action of the stage succeeded.
    NothingToRetry,
}

/// Whether a stage may be retried. Only the stage's latest execution may be, in every
/// execution mode, once its run of the stage has settled as Failed or Stopped with something
/// left to run. A retry already running (or a rollback) is a conflict; so is an execution
/// whose actor is still winding down.
pub fn decide_retry(f: &RetryFacts) -> Result<(), RetryRefusal> {
    if f.rollback_running {
        return Err(RetryRefusal::RollbackRunning);
    }
    match f.latest {
        StageLatest::Never => return Err(RetryRefusal::NeverRan),
        StageLatest::Other => return Err(RetryRefusal::NotLatest),
        StageLatest::This => {}
    }
    let settled = matches!(
        f.stage,
        Some(StageExecutionStatus::Failed | StageExecutionStatus::Stopped)
    );
    if f.retry_running && !settled {
        return Err(RetryRefusal::RetryRunning);
    }
    if !f.execution.is_terminal()
        || matches!(
            f.stage,
            Some(StageExecutionStatus::InProgress | StageExecutionStatus::Stopping)
        )
    {
        return Err(RetryRefusal::InProgress);
    }
    if !settled {
        return Err(RetryRefusal::NotFailed);
    }
    if f.winding_down {
        return Err(RetryRefusal::WindingDown);
    }
    if !f.same_version {
        return Err(RetryRefusal::PipelineChanged);
    }
    if !f.anything_to_retry {
        return Err(RetryRefusal::NothingToRetry);
    }
    Ok(())
}

/// What a RollbackStage request (or an automated rollback) is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackFacts {
    /// A V2 pipeline not in PARALLEL mode.
    pub pipeline_allows: bool,
    /// The stage is the first (source) stage.
    pub first_stage: bool,
    /// The target execution, if it is one of this pipeline.
    pub target: Option<RollbackTarget>,
    /// An execution is inside the stage (or let in and about to start it).
    pub stage_running: bool,
    /// Another rollback of this pipeline is in flight.
    pub rollback_running: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackTarget {
    pub is_rollback: bool,
    /// The target's latest run of the stage.
    pub stage: Option<StageExecutionStatus>,
    /// The target ran the version the rollback will run.
    pub same_version: bool,
}

/// Why a rollback is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackRefusal {
    /// UnableToRollbackStage: V1 pipelines and PARALLEL mode have no stage rollback.
    NotSupported,
    /// UnableToRollbackStage: the source stage cannot be rolled back.
    FirstStage,
    /// PipelineExecutionNotFound.
    TargetNotFound,
    /// Conflict: a rollback is already running.
    RollbackRunning,
    /// UnableToRollbackStage: the target is itself a rollback.
    TargetIsRollback,
    /// UnableToRollbackStage: the target did not succeed in the stage.
    TargetNotSucceeded,
    /// PipelineExecutionOutdated: the target ran another pipeline version.
    Outdated,
    /// UnableToRollbackStage: an execution is running the stage.
    StageRunning,
}

pub fn decide_rollback(f: &RollbackFacts) -> Result<(), RollbackRefusal> {
    if !f.pipeline_allows {
        return Err(RollbackRefusal::NotSupported);
    }
    if f.first_stage {
        return Err(RollbackRefusal::FirstStage);
    }
    let Some(target) = f.target else {
        return Err(RollbackRefusal::TargetNotFound);
    };
    if f.rollback_running {
        return Err(RollbackRefusal::RollbackRunning);
    }
    if target.is_rollback {
        return Err(RollbackRefusal::TargetIsRollback);
    }
    if target.stage != Some(StageExecutionStatus::Succeeded) {
        return Err(RollbackRefusal::TargetNotSucceeded);
    }
    if !target.same_version {
        return Err(RollbackRefusal::Outdated);
    }
    if f.stage_running {
        return Err(RollbackRefusal::StageRunning);
    }
    Ok(())
}

/// A stage's declared `onFailure` result, as the engine applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailurePolicy {
    /// Roll the stage back to the last execution that succeeded in it.
    Rollback,
    /// Run the stage again, once (AWS allows one automatic retry).
    Retry(RetryMode),
}

/// What happens after a stage failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// The execution fails.
    End,
    /// The stage runs again at once (the execution stays InProgress).
    Retry(RetryMode),
    /// The execution fails and a rollback of the stage is started.
    EndAndRollback,
}

/// How many automatic retries a stage gets per execution (AWS: one attempt).
pub const AUTO_RETRY_LIMIT: u32 = 1;

/// Applies a stage's `onFailure` result. Only a Failed stage engages it (a stopped one does
/// not), never in a ROLLBACK execution (no rollback of a rollback), and a retry only while
/// automatic attempts remain.
pub fn after_failure(
    policy: Option<FailurePolicy>,
    stage: StageExecutionStatus,
    stopping: bool,
    rollback_execution: bool,
    auto_retries: u32,
) -> AfterFailure {
    if stage != StageExecutionStatus::Failed || stopping || rollback_execution {
        return AfterFailure::End;
    }
    match policy {
        Some(FailurePolicy::Retry(mode)) if auto_retries < AUTO_RETRY_LIMIT => {
            AfterFailure::Retry(mode)
        }
        Some(FailurePolicy::Rollback) => AfterFailure::EndAndRollback,
        _ => AfterFailure::End,
    }
}

#[cfg(test)]
mod tests {
    use super::ActionExecutionStatus as A;
    use super::PipelineExecutionStatus as P;
    use super::StageExecutionStatus as S;
    use super::*;

    #[test]
    fn stop_rules() {
        assert_eq!(decide_stop(P::InProgress, None, false), Ok(StopMode::Wait));
        assert_eq!(
            decide_stop(P::InProgress, None, true),
            Ok(StopMode::Abandon)
        );
        assert_eq!(
            decide_stop(P::Stopping, Some(StopMode::Wait), true),
            Ok(StopMode::Abandon)
        );
        assert_eq!(
            decide_stop(P::Stopping, Some(StopMode::Wait), false),
            Err(StopRefusal::Duplicated)
        );
        assert_eq!(
            decide_stop(P::Stopping, Some(StopMode::Abandon), true),
            Err(StopRefusal::Duplicated)
        );
        for terminal in [
            P::Succeeded,
            P::Failed,
            P::Stopped,
            P::Superseded,
            P::Cancelled,
        ] {
            assert_eq!(
                decide_stop(terminal, None, true),
                Err(StopRefusal::NotStoppable)
            );
        }
    }

    #[test]
    fn groups_settle() {
        assert_eq!(
            group_outcome(&[A::Succeeded, A::InProgress]),
            GroupOutcome::Running
        );
        assert_eq!(
            group_outcome(&[A::Succeeded, A::Succeeded]),
            GroupOutcome::Succeeded
        );
        assert_eq!(
            group_outcome(&[A::Succeeded, A::Failed]),
            GroupOutcome::Failed
        );
        assert_eq!(group_outcome(&[A::Abandoned]), GroupOutcome::Failed);
    }

    #[test]
    fn a_failure_skips_later_groups() {
        assert_eq!(
            after_group(0, 3, GroupOutcome::Failed, false),
            StageStep::Finish(S::Failed)
        );
        assert_eq!(
            after_group(0, 3, GroupOutcome::Succeeded, false),
            StageStep::StartGroup(1)
        );
        assert_eq!(
            after_group(2, 3, GroupOutcome::Succeeded, false),
            StageStep::Finish(S::Succeeded)
        );
        assert_eq!(
            after_group(0, 3, GroupOutcome::Succeeded, true),
            StageStep::Finish(S::Stopped)
        );
    }

    #[test]
    fn executions_advance_through_stages() {
        assert_eq!(
            after_stage(0, 2, S::Succeeded, false),
            ExecutionStep::EnterStage(1)
        );
        assert_eq!(
            after_stage(1, 2, S::Succeeded, false),
            ExecutionStep::Finish(P::Succeeded)
        );
        assert_eq!(
            after_stage(0, 2, S::Failed, false),
            ExecutionStep::Finish(P::Failed)
        );
        assert_eq!(
            after_stage(0, 2, S::Succeeded, true),
            ExecutionStep::Finish(P::Stopped)
        );
        assert_eq!(
            after_stage(0, 2, S::Stopped, true),
            ExecutionStep::Finish(P::Stopped)
        );
    }

    #[test]
    fn event_states_use_aws_spelling() {
        assert_eq!(P::Cancelled.event_state(), "CANCELED");
        assert_eq!(S::InProgress.event_state(), "STARTED");
        assert_eq!(A::Abandoned.event_state(), "ABANDONED");
    }

    fn retry_facts() -> RetryFacts {
        RetryFacts {
            latest: StageLatest::This,
            execution: P::Failed,
            stage: Some(S::Failed),
            retry_running: false,
            rollback_running: false,
            winding_down: false,
            same_version: true,
            anything_to_retry: true,
        }
    }

    #[test]
    fn retry_rules() {
        let ok = retry_facts();
        assert_eq!(decide_retry(&ok), Ok(()));
        let stopped = RetryFacts {
            execution: P::Stopped,
            stage: Some(S::Stopped),
            ..ok
        };
        assert_eq!(decide_retry(&stopped), Ok(()));
        let cases = [
            (
                RetryFacts {
                    latest: StageLatest::Other,
                    ..ok
                },
                RetryRefusal::NotLatest,
            ),
            (
                RetryFacts {
                    latest: StageLatest::Never,
                    stage: None,
                    ..ok
                },
                RetryRefusal::NeverRan,
            ),
            (
                RetryFacts {
                    execution: P::InProgress,
                    stage: Some(S::InProgress),
                    ..ok
                },
                RetryRefusal::InProgress,
            ),
            (
                RetryFacts {
                    execution: P::InProgress,
                    stage: Some(S::InProgress),
                    retry_running: true,
                    ..ok
                },
                RetryRefusal::RetryRunning,
            ),
            (
                RetryFacts {
                    execution: P::Succeeded,
                    stage: Some(S::Succeeded),
                    ..ok
                },
                RetryRefusal::NotFailed,
            ),
            (
                RetryFacts {
                    winding_down: true,
                    ..ok
                },
                RetryRefusal::WindingDown,
            ),
            (
                RetryFacts {
                    same_version: false,
                    ..ok
                },
                RetryRefusal::PipelineChanged,
            ),
            (
                RetryFacts {
                    anything_to_retry: false,
                    ..ok
                },
                RetryRefusal::NothingToRetry,
            ),
            (
                RetryFacts {
                    rollback_running: true,
                    ..ok
                },
                RetryRefusal::RollbackRunning,
            ),
        ];
        for (facts, refusal) in cases {
            assert_eq!(decide_retry(&facts), Err(refusal), "{facts:?}");
        }
    }

    #[test]
    fn rollback_rules() {
        let target = RollbackTarget {
            is_rollback: false,
            stage: Some(S::Succeeded),
            same_version: true,
        };
        let ok = RollbackFacts {
            pipeline_allows: true,
            first_stage: false,
            target: Some(target),
            stage_running: false,
            rollback_running: false,
        };
        assert_eq!(decide_rollback(&ok), Ok(()));
        let cases = [
            (
                RollbackFacts {
                    pipeline_allows: false,
                    ..ok
                },
                RollbackRefusal::NotSupported,
            ),
            (
                RollbackFacts {
                    first_stage: true,
                    ..ok
                },
                RollbackRefusal::FirstStage,
            ),
            (
                RollbackFacts { target: None, ..ok },
                RollbackRefusal::TargetNotFound,
            ),
            (
                RollbackFacts {
                    rollback_running: true,
                    ..ok
                },
                RollbackRefusal::RollbackRunning,
            ),
            (
                RollbackFacts {
                    target: Some(RollbackTarget {
                        is_rollback: true,
                        ..target
                    }),
                    ..ok
                },
                RollbackRefusal::TargetIsRollback,
            ),
            (
                RollbackFacts {
                    target: Some(RollbackTarget {
                        stage: Some(S::Failed),
                        ..target
                    }),
                    ..ok
                },
                RollbackRefusal::TargetNotSucceeded,
            ),
            (
                RollbackFacts {
                    target: Some(RollbackTarget {
                        same_version: false,
                        ..target
                    }),
                    ..ok
                },
                RollbackRefusal::Outdated,
            ),
            (
                RollbackFacts {
                    stage_running: true,
                    ..ok
                },
                RollbackRefusal::StageRunning,
            ),
        ];
        for (facts, refusal) in cases {
            assert_eq!(decide_rollback(&facts), Err(refusal), "{facts:?}");
        }
    }

    #[test]
    fn failure_policies() {
        let retry = Some(FailurePolicy::Retry(RetryMode::AllActions));
        assert_eq!(
            after_failure(retry, S::Failed, false, false, 0),
            AfterFailure::Retry(RetryMode::AllActions)
        );
        assert_eq!(
            after_failure(retry, S::Failed, false, false, AUTO_RETRY_LIMIT),
            AfterFailure::End
        );
        let rollback = Some(FailurePolicy::Rollback);
        assert_eq!(
            after_failure(rollback, S::Failed, false, false, 0),
            AfterFailure::EndAndRollback
        );
        assert_eq!(
            after_failure(rollback, S::Failed, false, true, 0),
            AfterFailure::End,
            "a rollback is never rolled back"
        );
        assert_eq!(
            after_failure(rollback, S::Stopped, true, false, 0),
            AfterFailure::End
        );
        assert_eq!(
            after_failure(None, S::Failed, false, false, 0),
            AfterFailure::End
        );
    }
}

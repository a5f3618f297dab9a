//! The status state machine: pure functions deciding what an execution, a stage or a runOrder
//! group does next, and which stop requests are allowed. Unit-tested without actors.

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
}

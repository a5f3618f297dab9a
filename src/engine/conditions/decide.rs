//! The pure decisions of stage conditions: whether a condition is evaluated at all, and what
//! the execution does once it is decided. Unit-tested without actors.
//!
//! Decisions where AWS leaves room (reference 12.9; also in the README):
//! - Every hook engages its result when its condition is not met (a rule failed), as AWS's
//!   guide says of conditions in general ("the stage performs the specified result only when
//!   the condition fails"); for `onFailure` that means the result (RETRY, ROLLBACK) engages
//!   only when its rules are not all met, and a met condition leaves the stage failed.
//! - An `onFailure` condition's result is its own `result`, else the `onFailure` `result`.
//!   It is not evaluated when its result could not engage anyway (a RETRY with no automatic
//!   attempt left, a ROLLBACK in a ROLLBACK execution, a FAIL).
//! - ROLLBACK executions evaluate no conditions (they restore a known-good state).
//! - An overridden condition counts as met. A stop request while a condition is evaluating
//!   cancels it (stop and wait: Cancelled; stop and abandon: Abandoned) and ends the execution
//!   Stopped.
//! - `onSuccess` FAIL and ROLLBACK fail the stage; the stage's `onFailure` does not engage
//!   then (a stage's failure is handled once).

use super::ConditionKind;
use crate::engine::spec::ConditionResult;
use crate::engine::status::{RetryMode, AUTO_RETRY_LIMIT};

/// How a condition's evaluation ended, as far as the execution is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every rule succeeded.
    Met,
    /// A rule failed (or errored, or timed out).
    NotMet,
    /// OverrideStageCondition: treated as met.
    Overridden,
    /// A stop request cancelled the evaluation.
    Cancelled,
}

/// What the execution knows when it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// This is a ROLLBACK execution.
    pub rollback_execution: bool,
    /// Automatic retries of the stage in this execution so far.
    pub auto_retries: u32,
}

/// The execution's next step once a condition is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `beforeEntry` passed: the stage's actions run.
    RunStage,
    /// `beforeEntry` SKIP: the stage is Skipped and the execution goes on.
    SkipStage,
    /// `onSuccess` passed: the stage succeeds.
    StageSucceeded,
    /// The stage fails, and the execution with it.
    StageFailed,
    /// The stage fails and an automated rollback of it starts.
    StageFailedAndRollback,
    /// The failed stage runs again at once (`onFailure` RETRY).
    RetryStage(RetryMode),
    /// A stop cancelled the evaluation: the execution ends Stopped.
    Stop,
}

/// Whether a stage's condition is evaluated. A ROLLBACK execution evaluates none; an
/// `onFailure` condition only when its result could engage.
pub fn evaluates(kind: ConditionKind, result: ConditionResult, facts: Facts) -> bool {
    if facts.rollback_execution {
        return false;
    }
    match kind {
        ConditionKind::BeforeEntry | ConditionKind::OnSuccess => true,
        ConditionKind::OnFailure => match result {
            ConditionResult::Retry(_) => facts.auto_retries < AUTO_RETRY_LIMIT,
            ConditionResult::Rollback => true,
            ConditionResult::Fail | ConditionResult::Skip => false,
        },
    }
}

/// The next step after a condition of `kind` whose result is `result` ended with `outcome`.
pub fn after_condition(
    kind: ConditionKind,
    result: ConditionResult,
    outcome: Outcome,
    facts: Facts,
) -> Step {
    let met = match outcome {
        Outcome::Cancelled => return Step::Stop,
        Outcome::Met | Outcome::Overridden => true,
        Outcome::NotMet => false,
    };
    match (kind, met) {
        (ConditionKind::BeforeEntry, true) => Step::RunStage,
        (ConditionKind::OnSuccess, true) => Step::StageSucceeded,
        (ConditionKind::OnFailure, true) => Step::StageFailed,
        (_, false) => engage(kind, result, facts),
    }
}

fn engage(kind: ConditionKind, result: ConditionResult, facts: Facts) -> Step {
    match (kind, result) {
        (ConditionKind::BeforeEntry, ConditionResult::Skip) => Step::SkipStage,
        (ConditionKind::OnSuccess | ConditionKind::OnFailure, ConditionResult::Rollback)
            if !facts.rollback_execution =>
        {
            Step::StageFailedAndRollback
        }
        (ConditionKind::OnFailure, ConditionResult::Retry(mode))
            if !facts.rollback_execution && facts.auto_retries < AUTO_RETRY_LIMIT =>
        {
            Step::RetryStage(mode)
        }
        // FAIL everywhere, and results a hook cannot take (validation refuses them).
        _ => Step::StageFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::ConditionKind::*;
    use super::ConditionResult as R;
    use super::*;

    const FRESH: Facts = Facts {
        rollback_execution: false,
        auto_retries: 0,
    };

    #[test]
    fn before_entry() {
        for result in [R::Fail, R::Skip] {
            assert_eq!(
                after_condition(BeforeEntry, result, Outcome::Met, FRESH),
                Step::RunStage
            );
            assert_eq!(
                after_condition(BeforeEntry, result, Outcome::Overridden, FRESH),
                Step::RunStage
            );
        }
        assert_eq!(
            after_condition(BeforeEntry, R::Fail, Outcome::NotMet, FRESH),
            Step::StageFailed
        );
        assert_eq!(
            after_condition(BeforeEntry, R::Skip, Outcome::NotMet, FRESH),
            Step::SkipStage
        );
        assert_eq!(
            after_condition(BeforeEntry, R::Skip, Outcome::Cancelled, FRESH),
            Step::Stop
        );
    }

    #[test]
    fn on_success() {
        assert_eq!(
            after_condition(OnSuccess, R::Rollback, Outcome::Met, FRESH),
            Step::StageSucceeded
        );
        assert_eq!(
            after_condition(OnSuccess, R::Rollback, Outcome::NotMet, FRESH),
            Step::StageFailedAndRollback
        );
        assert_eq!(
            after_condition(OnSuccess, R::Fail, Outcome::NotMet, FRESH),
            Step::StageFailed
        );
        assert_eq!(
            after_condition(OnSuccess, R::Fail, Outcome::Overridden, FRESH),
            Step::StageSucceeded
        );
    }

    #[test]
    fn on_failure_engages_only_when_its_rules_are_not_met() {
        let retry = R::Retry(RetryMode::FailedActions);
        assert_eq!(
            after_condition(OnFailure, retry, Outcome::NotMet, FRESH),
            Step::RetryStage(RetryMode::FailedActions)
        );
        assert_eq!(
            after_condition(OnFailure, retry, Outcome::Met, FRESH),
            Step::StageFailed
        );
        assert_eq!(
            after_condition(OnFailure, R::Rollback, Outcome::NotMet, FRESH),
            Step::StageFailedAndRollback
        );
        let retried = Facts {
            auto_retries: AUTO_RETRY_LIMIT,
            ..FRESH
        };
        assert_eq!(
            after_condition(OnFailure, retry, Outcome::NotMet, retried),
            Step::StageFailed,
            "automatic retries are capped"
        );
    }

    #[test]
    fn what_is_evaluated() {
        let rollback = Facts {
            rollback_execution: true,
            ..FRESH
        };
        for kind in [BeforeEntry, OnSuccess, OnFailure] {
            assert!(!evaluates(kind, R::Rollback, rollback), "{kind:?}");
        }
        assert!(evaluates(BeforeEntry, R::Skip, FRESH));
        assert!(evaluates(OnSuccess, R::Fail, FRESH));
        assert!(evaluates(OnFailure, R::Rollback, FRESH));
        assert!(evaluates(OnFailure, R::Retry(RetryMode::AllActions), FRESH));
        assert!(!evaluates(
            OnFailure,
            R::Retry(RetryMode::AllActions),
            Facts {
                auto_retries: 1,
                ..FRESH
            }
        ));
        assert!(!evaluates(OnFailure, R::Fail, FRESH));
        assert_eq!(
            after_condition(OnSuccess, R::Rollback, Outcome::NotMet, rollback),
            Step::StageFailed,
            "no rollback of a rollback"
        );
    }
}

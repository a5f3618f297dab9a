//! V2 stage conditions (reference 3.11): a stage's `beforeEntry`, `onSuccess` and `onFailure`
//! conditions, each an ordered set of rules. A condition is met when all of its rules succeed
//! (they are evaluated in order, and the first that fails decides); when it is not met, its
//! result engages.
//!
//! - `rules.rs` evaluates one rule, purely: `VariableCheck`, `DeploymentWindow` (with its
//!   schedule in `cron.rs`: cron fields, IANA or fixed-offset time zones), and the providers
//!   simfra does not run (`LambdaInvoke`, `CloudWatchAlarm`: they fail, saying so).
//! - `commands.rs` is the `Commands` rule's pure part: the rule as a build request on the
//!   Commands action's build port, and the build's end as a verdict.
//! - `decide.rs` is the pure decision: from a condition's outcome to the execution's next step.
//! - `actor.rs` is the condition actor: one evaluation of one condition, rule after rule, each
//!   rule's verdict arriving as a message; a rule outside its deployment window stays
//!   InProgress and is evaluated again by a timer when the window opens (never by polling),
//!   bounded by the rule's timeout; a `Commands` rule's build reports its end as a message,
//!   and is stopped when the evaluation is stopped, overridden or times out.
//!
//! The execution actor starts a condition actor where the stage's hook says, hears its
//! `ConditionFinished`, and applies the decision; it also handles overrides and stops.

use serde::{Deserialize, Serialize};

pub mod actor;
pub mod commands;
pub mod cron;
pub mod decide;
pub mod rules;

/// Where a condition sits in its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConditionKind {
    BeforeEntry,
    OnSuccess,
    OnFailure,
}

impl ConditionKind {
    /// The declaration's name of the hook.
    pub fn hook(self) -> &'static str {
        match self {
            Self::BeforeEntry => "beforeEntry",
            Self::OnSuccess => "onSuccess",
            Self::OnFailure => "onFailure",
        }
    }
}

/// `ConditionExecutionStatus` (AWS's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConditionExecutionStatus {
    InProgress,
    Failed,
    Errored,
    Succeeded,
    Cancelled,
    Abandoned,
    Overridden,
}

/// `RuleExecutionStatus` (AWS's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleExecutionStatus {
    InProgress,
    Abandoned,
    Succeeded,
    Failed,
}

#[cfg(test)]
mod tests;

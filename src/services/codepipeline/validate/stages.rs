//! The stage rules of a pipeline declaration: stage names and sizes, blockers, and stage
//! conditions with their rules (reference 2.3 and 3.11), answered with
//! `InvalidStageDeclarationException` or `InvalidBlockerDeclarationException`.

use std::collections::HashSet;

use super::region_label;
use super::structure::{Context, Position, MAX_ACTIONS_PER_STAGE};
use crate::engine::conditions::cron::Schedule;
use crate::services::codepipeline::catalog::{self, VARIABLE_CHECK_OPERATORS};
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{
    Condition, ConditionResult, PipelineDeclaration, RuleDeclaration, StageDeclaration,
};

fn stage_err(msg: impl Into<String>) -> CodePipelineError {
    CodePipelineError::InvalidStageDeclaration(msg.into())
}

pub(super) fn uses_rollback(s: &StageDeclaration) -> bool {
    let rollback = |c: &Condition| c.result == Some(ConditionResult::Rollback);
    s.on_failure.as_ref().is_some_and(|f| {
        f.result == Some(ConditionResult::Rollback) || f.conditions.iter().flatten().any(rollback)
    }) || s
        .on_success
        .as_ref()
        .is_some_and(|c| c.conditions.iter().any(rollback))
}

/// The stage's conditions as (hook name, allowed results, position, condition).
pub(super) fn stage_conditions(
    s: &StageDeclaration,
    stage: usize,
) -> Vec<(
    &'static str,
    &'static [ConditionResult],
    Position,
    &Condition,
)> {
    const ENTRY: &[ConditionResult] = &[ConditionResult::Fail, ConditionResult::Skip];
    const SUCCESS: &[ConditionResult] = &[ConditionResult::Rollback, ConditionResult::Fail];
    const FAILURE: &[ConditionResult] = &[
        ConditionResult::Rollback,
        ConditionResult::Retry,
        ConditionResult::Fail,
    ];
    let mut out = Vec::new();
    if let Some(c) = &s.before_entry {
        out.extend(
            c.conditions
                .iter()
                .map(|c| ("beforeEntry", ENTRY, (stage, 0), c)),
        );
    }
    if let Some(c) = &s.on_success {
        out.extend(
            c.conditions
                .iter()
                .map(|c| ("onSuccess", SUCCESS, (stage, 1000), c)),
        );
    }
    if let Some(f) = &s.on_failure {
        out.extend(
            f.conditions
                .iter()
                .flatten()
                .map(|c| ("onFailure", FAILURE, (stage, 1000), c)),
        );
    }
    out
}

pub(super) fn stage_rules(s: &StageDeclaration, stage: usize) -> Vec<(Position, &RuleDeclaration)> {
    stage_conditions(s, stage)
        .into_iter()
        .flat_map(|(_, _, pos, c)| c.rules.iter().flatten().map(move |r| (pos, r)))
        .collect()
}

pub(super) fn check_stages(p: &PipelineDeclaration, cx: &Context) -> Result<()> {
    let mut names = HashSet::new();
    for (i, s) in p.stages.iter().enumerate() {
        if !names.insert(s.name.as_str()) {
            return Err(stage_err(format!(
                "Stage name '{}' is used more than once: stage names must be unique in a pipeline",
                s.name
            )));
        }
        if s.actions.is_empty() {
            return Err(stage_err(format!(
                "Stage '{}' must contain at least one action",
                s.name
            )));
        }
        if s.actions.len() > MAX_ACTIONS_PER_STAGE {
            return Err(stage_err(format!(
                "Stage '{}' has {} actions: a stage may contain at most {MAX_ACTIONS_PER_STAGE}",
                s.name,
                s.actions.len()
            )));
        }
        if s.blockers.as_ref().is_some_and(|b| !b.is_empty()) {
            return Err(CodePipelineError::InvalidBlockerDeclaration(format!(
                "Stage '{}' declares blockers, which are reserved and cannot be used",
                s.name
            )));
        }
        check_conditions(s, i, cx)?;
    }
    Ok(())
}

/// Stage conditions (reference 3.11). Decision (12.9): beforeEntry may FAIL or SKIP, onSuccess
/// may ROLLBACK or FAIL, onFailure may ROLLBACK, RETRY or FAIL; any other result, an onFailure
/// without a result or conditions, retry settings without RETRY, and rule errors are
/// InvalidStageDeclarationException (conditions belong to the stage).
fn check_conditions(s: &StageDeclaration, stage: usize, cx: &Context) -> Result<()> {
    if let Some(f) = &s.on_failure {
        if f.result.is_none() && f.conditions.is_none() {
            return Err(stage_err(format!(
                "onFailure of stage '{}' must declare a result or conditions",
                s.name
            )));
        }
        if let Some(r) = &f.result {
            if *r == ConditionResult::Skip {
                return Err(stage_err(format!(
                    "onFailure of stage '{}' cannot have the result SKIP",
                    s.name
                )));
            }
        }
        if f.retry_configuration.is_some() && f.result != Some(ConditionResult::Retry) {
            return Err(stage_err(format!(
                "onFailure of stage '{}' declares retryConfiguration without the result RETRY",
                s.name
            )));
        }
    }
    for (hook, allowed, _, c) in stage_conditions(s, stage) {
        if let Some(r) = &c.result {
            if !allowed.contains(r) {
                let names: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
                return Err(stage_err(format!(
                    "A {hook} condition of stage '{}' cannot have the result {r}: allowed results are {}",
                    s.name,
                    names.join(", ")
                )));
            }
        }
        let mut rule_names = HashSet::new();
        for r in c.rules.iter().flatten() {
            if !rule_names.insert(r.name.as_str()) {
                return Err(stage_err(format!(
                    "Rule name '{}' is used more than once in a condition of stage '{}'",
                    r.name, s.name
                )));
            }
            check_rule(r, s, cx)?;
        }
    }
    Ok(())
}

fn check_rule(r: &RuleDeclaration, s: &StageDeclaration, cx: &Context) -> Result<()> {
    let id = &r.rule_type_id;
    let Some(rt) = catalog::find_rule(id) else {
        return Err(stage_err(format!(
            "RuleType (Category: '{}', Provider: '{}', Owner: '{}', Version: '{}') in rule '{}' is not available in region '{}'",
            id.category,
            id.provider,
            id.owner.as_ref().map(|o| o.to_string()).unwrap_or_else(|| "AWS".into()),
            id.version.as_deref().unwrap_or("1"),
            r.name,
            region_label(cx.region)
        )));
    };
    let config = r.configuration.clone().unwrap_or_default();
    for prop in rt.properties.iter().filter(|p| p.required) {
        if !config.contains_key(prop.name) {
            return Err(stage_err(format!(
                "Rule configuration for rule '{}' in stage '{}' is missing required configuration '{}'",
                r.name, s.name, prop.name
            )));
        }
    }
    if let Some(key) = config
        .keys()
        .find(|k| !rt.properties.iter().any(|p| p.name == *k))
    {
        return Err(stage_err(format!(
            "Rule configuration for rule '{}' in stage '{}' contains unknown configuration '{key}'",
            r.name, s.name
        )));
    }
    if rt.provider == "VariableCheck" {
        let op = config
            .get("Operator")
            .map(String::as_str)
            .unwrap_or_default();
        if !VARIABLE_CHECK_OPERATORS.contains(&op) {
            return Err(stage_err(format!(
                "Rule '{}' has Operator '{op}': VariableCheck takes one of {}",
                r.name,
                VARIABLE_CHECK_OPERATORS.join(", ")
            )));
        }
    }
    // A window given through `#{...}` references is checked when the rule runs.
    if rt.provider == "DeploymentWindow" && !config.values().any(|v| v.contains("#{")) {
        let cron = config.get("Cron").map(String::as_str).unwrap_or_default();
        let zone = config.get("TimeZone").map(String::as_str);
        if let Err(e) = Schedule::parse(cron, zone) {
            return Err(stage_err(format!(
                "Rule '{}' in stage '{}' has an invalid deployment window: {e}",
                r.name, s.name
            )));
        }
    }
    if rt.needs_commands && r.commands.as_ref().is_none_or(|c| c.is_empty()) {
        return Err(stage_err(format!(
            "Rule {} must have a non-empty commands field",
            r.name
        )));
    }
    // As for the Commands action: multi-line formats are not supported.
    if rt.needs_commands
        && r.commands
            .iter()
            .flatten()
            .any(|c| !super::is_single_line(c))
    {
        return Err(stage_err(format!(
            "Rule {} has a multi-line command: the Commands rule takes one single-line command per entry of commands",
            r.name
        )));
    }
    if !rt.needs_commands && r.commands.is_some() {
        return Err(stage_err(format!(
            "Rule '{}' declares commands, which only the Commands rule takes",
            r.name
        )));
    }
    let n = r.input_artifacts.as_ref().map_or(0, Vec::len) as i64;
    if n < rt.inputs.0 || n > rt.inputs.1 {
        return Err(stage_err(format!(
            "Rule '{}' has {n} input artifacts: rule type {} takes between {} and {}",
            r.name, rt.provider, rt.inputs.0, rt.inputs.1
        )));
    }
    Ok(())
}

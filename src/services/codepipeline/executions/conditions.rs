//! Stage conditions on the execution side: the engine's view of a stage's declared conditions,
//! the thin handlers of OverrideStageCondition and ListRuleExecutions, and the condition states
//! of GetPipelineState. The engine evaluates and decides (`engine::conditions`).
//!
//! Decisions where AWS leaves room (also in the README):
//! - A condition without rules is no condition (an `onFailure` result then always engages).
//! - A `beforeEntry` or `onSuccess` condition without a `result` fails the stage when it is
//!   not met; an `onFailure` condition without one takes the `onFailure` `result`.
//! - OverrideStageCondition on an execution that is not the stage's latest (or is unknown):
//!   NotLatestPipelineExecutionException (the operation declares no not-found error); on a
//!   condition that is not evaluating: ConditionNotOverridableException.

use std::collections::HashSet;
use std::sync::Arc;

use super::condition_model::*;
use super::model::{ArtifactDetail, Empty, ErrorDetails, S3Location};
use super::{
    find_stage, finish, max_results, page, validate_execution_id, validate_name, Executions,
};
use crate::engine::conditions::ConditionKind;
use crate::engine::records::{ExecutionRecord, RuleRecord};
use crate::engine::spec::{
    ActionTypeSpec, ConditionResult, ConditionSpec, RuleSpec, StageConditions, StageSpec,
};
use crate::engine::status::RetryMode;
use crate::engine::Records;
use crate::protocol::validate::Violations;
use crate::protocol::{JsonService, RequestContext};
use crate::services::codepipeline::errors::CodePipelineError as E;
use crate::services::codepipeline::model::{
    self as decl, Condition, RuleDeclaration, StageDeclaration, StageRetryMode,
};

// ---- declaration -> engine ---------------------------------------------------------------------

fn result_of(
    r: &decl::ConditionResult,
    retry: Option<&decl::RetryConfiguration>,
) -> ConditionResult {
    match r {
        decl::ConditionResult::Rollback => ConditionResult::Rollback,
        decl::ConditionResult::Skip => ConditionResult::Skip,
        decl::ConditionResult::Retry => {
            let mode = retry.and_then(|r| r.retry_mode.as_ref());
            ConditionResult::Retry(match mode {
                Some(StageRetryMode::AllActions) => RetryMode::AllActions,
                _ => RetryMode::FailedActions,
            })
        }
        _ => ConditionResult::Fail,
    }
}

fn rule_of(r: &RuleDeclaration) -> RuleSpec {
    RuleSpec {
        name: r.name.clone(),
        rule_type: ActionTypeSpec {
            category: "Rule".into(),
            owner: "AWS".into(),
            provider: r.rule_type_id.provider.clone(),
            version: r.rule_type_id.version.clone().unwrap_or_else(|| "1".into()),
        },
        configuration: r.configuration.clone().unwrap_or_default(),
        commands: r.commands.clone().unwrap_or_default(),
        input_artifacts: r
            .input_artifacts
            .iter()
            .flatten()
            .map(|a| a.name.clone())
            .collect(),
        role_arn: r.role_arn.clone(),
        region: r.region.clone(),
        timeout_in_minutes: r.timeout_in_minutes,
    }
}

/// The first condition of a hook that has rules (the model allows one condition per hook).
fn with_rules(conditions: &[Condition]) -> Option<&Condition> {
    conditions
        .iter()
        .find(|c| c.rules.as_ref().is_some_and(|r| !r.is_empty()))
}

fn condition_of(c: &Condition, result: ConditionResult) -> ConditionSpec {
    ConditionSpec {
        result,
        rules: c.rules.iter().flatten().map(rule_of).collect(),
    }
}

/// Whether a stage's `onFailure` has a condition with rules (its result then depends on them).
pub fn on_failure_has_rules(stage: &StageDeclaration) -> bool {
    stage
        .on_failure
        .as_ref()
        .and_then(|f| f.conditions.as_deref())
        .and_then(with_rules)
        .is_some()
}

/// The engine's view of a stage's conditions with rules.
pub fn stage_conditions(stage: &StageDeclaration) -> StageConditions {
    let plain = |c: &Condition| {
        let result = c
            .result
            .as_ref()
            .map_or(ConditionResult::Fail, |r| result_of(r, None));
        condition_of(c, result)
    };
    StageConditions {
        before_entry: stage
            .before_entry
            .as_ref()
            .and_then(|b| with_rules(&b.conditions))
            .map(plain),
        on_success: stage
            .on_success
            .as_ref()
            .and_then(|s| with_rules(&s.conditions))
            .map(plain),
        on_failure: stage.on_failure.as_ref().and_then(|f| {
            let c = with_rules(f.conditions.as_deref()?)?;
            let result = c
                .result
                .as_ref()
                .or(f.result.as_ref())
                .map_or(ConditionResult::Fail, |r| {
                    result_of(r, f.retry_configuration.as_ref())
                });
            Some(condition_of(c, result))
        }),
    }
}

// ---- handlers ----------------------------------------------------------------------------------

pub async fn override_stage_condition(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: OverrideStageConditionInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    validate_execution_id(&mut v, "pipelineExecutionId", &input.pipeline_execution_id);
    v.enumeration("conditionType", &input.condition_type);
    finish(v)?;
    let kind = match input.condition_type {
        ConditionType::OnSuccess => ConditionKind::OnSuccess,
        _ => ConditionKind::BeforeEntry,
    };
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    find_stage(&spec, &input.stage_name, &input.pipeline_name)?;
    ex.engine
        .override_condition(
            &key,
            &input.stage_name,
            &input.pipeline_execution_id,
            kind,
            ctx.caller_arn(),
        )
        .await?;
    Ok(Empty {})
}

pub fn list_rule_executions(
    ex: &Executions,
    ctx: &RequestContext,
    input: ListRuleExecutionsInput,
) -> Result<ListRuleExecutionsOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    let max = max_results(&mut v, input.max_results);
    if let Some(t) = &input.next_token {
        v.length("nextToken", t, 1, 2048);
    }
    let filter = input.filter.unwrap_or_default();
    super::validate_filter(&mut v, &filter);
    finish(v)?;
    let (executions, latest_only) =
        super::filtered_executions(ex, ctx, &input.pipeline_name, &filter)?;
    let records = ex.engine.records();
    let mut all = Vec::new();
    for id in &executions {
        let mut rules = records.rules_of_execution(id);
        rules.reverse();
        if latest_only {
            let mut seen = HashSet::new();
            rules.retain(|r| seen.insert((r.stage.clone(), r.condition, r.rule.clone())));
        }
        all.extend(rules);
    }
    let (items, next_token) = page(all, |r| r.id.as_str(), max, input.next_token.as_deref())?;
    Ok(ListRuleExecutionsOutput {
        rule_execution_details: items.iter().map(rule_execution_detail).collect(),
        next_token,
    })
}

/// Registers the condition operations (replacing their "not yet" entries).
pub fn register(mut json: JsonService, ex: &Arc<Executions>) -> JsonService {
    let e = ex.clone();
    json = json.op("ListRuleExecutions", move |ctx, input| {
        list_rule_executions(&e, ctx, input)
    });
    let e = ex.clone();
    json = json.op_async("OverrideStageCondition", move |ctx, input| {
        override_stage_condition(e.clone(), ctx, input)
    });
    json
}

// ---- records -> wire ---------------------------------------------------------------------------

fn errors(e: &Option<crate::engine::records::ErrorDetails>) -> Option<ErrorDetails> {
    e.as_ref().map(|e| ErrorDetails {
        code: e.code.clone(),
        message: e.message.clone(),
    })
}

pub fn rule_execution_detail(r: &RuleRecord) -> RuleExecutionDetail {
    RuleExecutionDetail {
        pipeline_execution_id: r.pipeline_execution_id.clone(),
        rule_execution_id: r.id.clone(),
        pipeline_version: r.pipeline_version,
        stage_name: r.stage.clone(),
        rule_name: r.rule.clone(),
        start_time: r.start_time,
        last_update_time: r.last_update_time,
        updated_by: r.updated_by.clone(),
        status: r.status,
        input: RuleExecutionInput {
            rule_type_id: RuleTypeIdOut {
                category: r.rule_type.category.clone(),
                owner: r.rule_type.owner.clone(),
                provider: r.rule_type.provider.clone(),
                version: r.rule_type.version.clone(),
            },
            configuration: r.configuration.to_btree(),
            resolved_configuration: r.resolved_configuration.to_btree(),
            role_arn: r.role_arn.clone(),
            region: r.region.clone(),
            input_artifacts: r
                .input_artifacts
                .iter()
                .map(|a| ArtifactDetail {
                    name: a.name.clone(),
                    s3location: S3Location {
                        bucket: a.bucket.clone(),
                        key: a.key.clone(),
                    },
                })
                .collect(),
        },
        output: RuleExecutionOutput {
            execution_result: RuleExecutionResult {
                external_execution_id: r.external_execution_id.clone(),
                external_execution_summary: r.summary.clone(),
                external_execution_url: r.external_execution_url.clone(),
                error_details: errors(&r.error_details),
            },
        },
    }
}

fn rule_execution(r: &RuleRecord) -> RuleExecution {
    RuleExecution {
        rule_execution_id: r.id.clone(),
        status: r.status,
        summary: r.summary.clone(),
        last_status_change: r.last_update_time,
        // Decision: like an approval's token, the rule's shows while it is in progress.
        token: r
            .token
            .clone()
            .filter(|_| r.status == crate::engine::conditions::RuleExecutionStatus::InProgress),
        last_updated_by: r.updated_by.clone(),
        external_execution_id: r.external_execution_id.clone(),
        external_execution_url: r.external_execution_url.clone(),
        error_details: errors(&r.error_details),
    }
}

/// The state of one of a stage's conditions in its latest execution (`rec`): `None` when
/// that execution has not evaluated it.
pub fn stage_condition_state(
    rec: &ExecutionRecord,
    stage: &StageSpec,
    kind: ConditionKind,
    records: &Records,
) -> Option<StageConditionState> {
    let run = rec.stages.get(&stage.name)?.conditions.get(&kind)?;
    let rules: Vec<RuleRecord> = records
        .rules_of_execution(&rec.id)
        .into_iter()
        .filter(|r| r.condition_run == run.id)
        .collect();
    // The declared rules, in order (or, for a condition since removed, those that ran).
    let mut names: Vec<String> = stage
        .conditions
        .get(kind)
        .map(|c| c.rules.iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    if names.is_empty() {
        for r in &rules {
            if !names.contains(&r.rule) {
                names.push(r.rule.clone());
            }
        }
    }
    let rule_states = names
        .into_iter()
        .map(|name| RuleState {
            latest_execution: rules
                .iter()
                .rev()
                .find(|r| r.rule == name)
                .map(rule_execution),
            rule_name: name,
        })
        .collect();
    Some(StageConditionState {
        latest_execution: Some(StageConditionsExecution {
            status: run.status,
            summary: run.summary.clone(),
        }),
        condition_states: vec![ConditionState {
            latest_execution: Some(ConditionExecution {
                status: run.status,
                summary: run.summary.clone(),
                last_status_change: run.last_status_change,
            }),
            rule_states,
        }],
    })
}

//! The execution side of CodePipeline: starting, stopping, retrying, rolling back and
//! observing executions, manual approvals and stage transitions. Thin handlers over the engine
//! (`crate::engine`), which runs the executions; reads come from the engine's records, never
//! from an actor.
//!
//! Decisions where AWS is ambiguous (also in the README):
//! - `Outbound` transitions of stage N are the `Inbound` transition of stage N+1; the first
//!   stage has no inbound transition and the last none outbound (ValidationException).
//! - UpdatePipeline does not touch running executions: they finish on the version they
//!   started with (AWS cancels them once their running actions finish).
//! - DeletePipeline abandons the pipeline's running executions and forgets their history.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::errors::CodePipelineError as E;
use super::model::{PipelineDeclaration, PipelineMetadata};
use super::CodePipeline;
use crate::engine::spec::{
    ActionSpec, ActionTypeSpec, CommandsSpec, ExecutionMode, PipelineKey, PipelineSpec, StageSpec,
    VariableSpec,
};
use crate::engine::status::{FailurePolicy, RetryMode};
use crate::engine::{Engine, StartRequest, Trigger};
use crate::protocol::validate::{CharClass, Violations};
use crate::protocol::{AwsEnum, JsonService, RequestContext};

pub mod condition_model;
pub mod conditions;
pub mod job_model;
pub mod jobs;
pub mod model;
pub mod rerun;
pub mod revision;
pub mod targets;
pub mod views;

use model::*;

const NAME: CharClass = CharClass::new("[A-Za-z0-9.@\\-_]+", ".@-_");
const REASON: CharClass = CharClass::new("[a-zA-Z0-9!@ \\(\\)\\.\\*\\?\\-]+", "!@ ().*?-");

/// The engine's view of a declaration.
pub fn spec_of(decl: &PipelineDeclaration, version: i64, region: &str) -> PipelineSpec {
    let artifact_bucket = match (&decl.artifact_store, &decl.artifact_stores) {
        (Some(store), _) => store.location.clone(),
        (None, Some(stores)) => stores
            .get(region)
            .or_else(|| stores.values().next())
            .map(|s| s.location.clone())
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    let execution_mode = match decl.execution_mode.as_ref().map(|m| m.as_str()) {
        Some("QUEUED") => ExecutionMode::Queued,
        Some("PARALLEL") => ExecutionMode::Parallel,
        _ => ExecutionMode::Superseded,
    };
    PipelineSpec {
        name: decl.name.clone(),
        version,
        role_arn: decl.role_arn.clone(),
        execution_mode,
        v2: decl.pipeline_type.as_ref().map(|t| t.as_str()) == Some("V2"),
        artifact_bucket,
        stages: decl
            .stages
            .iter()
            .map(|s| StageSpec {
                name: s.name.clone(),
                on_failure: failure_policy(s),
                conditions: conditions::stage_conditions(s),
                actions: s
                    .actions
                    .iter()
                    .map(|a| ActionSpec {
                        name: a.name.clone(),
                        action_type: ActionTypeSpec {
                            category: a.action_type_id.category.as_str().to_string(),
                            owner: a.action_type_id.owner.as_str().to_string(),
                            provider: a.action_type_id.provider.clone(),
                            version: a.action_type_id.version.clone(),
                        },
                        run_order: a.run_order.unwrap_or(1).clamp(1, 999) as u32,
                        configuration: a.configuration.clone().unwrap_or_default(),
                        input_artifacts: a.input_artifacts.iter().map(|i| i.name.clone()).collect(),
                        output_artifacts: a
                            .output_artifacts
                            .iter()
                            .map(|o| o.name.clone())
                            .collect(),
                        namespace: a.namespace.clone(),
                        region: a.region.clone(),
                        role_arn: a.role_arn.clone(),
                        timeout_in_minutes: a.timeout_in_minutes,
                        commands: commands_of(a),
                    })
                    .collect(),
            })
            .collect(),
        variables: decl
            .variables
            .iter()
            .flatten()
            .map(|v| VariableSpec {
                name: v.name.clone(),
                default_value: v.default_value.clone(),
            })
            .collect(),
    }
}

/// The members of a Commands action outside its configuration (validation lets only the
/// Commands action declare `commands`).
fn commands_of(a: &super::model::ActionDeclaration) -> Option<CommandsSpec> {
    let commands = a.commands.clone()?;
    Some(CommandsSpec {
        commands,
        output_variables: a.output_variables.clone().unwrap_or_default(),
        environment_variables: a
            .environment_variables
            .iter()
            .flatten()
            .map(|e| {
                let ty = e.variable_type.as_ref().map_or("PLAINTEXT", |t| t.as_str());
                (e.name.clone(), e.value.clone(), ty.to_string())
            })
            .collect(),
        output_files: a
            .output_artifacts
            .first()
            .and_then(|o| o.files.clone())
            .unwrap_or_default(),
    })
}

/// A stage's `onFailure` result when it has no rules (it then always engages; with rules the
/// engine decides by them, `conditions.rs`). RETRY without a `retryConfiguration` retries the
/// failed actions.
fn failure_policy(stage: &super::model::StageDeclaration) -> Option<FailurePolicy> {
    use super::model::{ConditionResult, StageRetryMode};
    let on_failure = stage.on_failure.as_ref()?;
    if conditions::on_failure_has_rules(stage) {
        return None;
    }
    match on_failure.result.as_ref()? {
        ConditionResult::Rollback => Some(FailurePolicy::Rollback),
        ConditionResult::Retry => {
            let mode = on_failure
                .retry_configuration
                .as_ref()
                .and_then(|r| r.retry_mode.as_ref());
            Some(FailurePolicy::Retry(match mode {
                Some(StageRetryMode::AllActions) => RetryMode::AllActions,
                _ => RetryMode::FailedActions,
            }))
        }
        _ => None,
    }
}

/// The execution side, bound to the control plane (declarations) and the engine.
pub struct Executions {
    pub cp: Arc<CodePipeline>,
    pub engine: Engine,
}

impl Executions {
    fn current(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(PipelineKey, Arc<PipelineSpec>, PipelineMetadata), E> {
        let (decl, meta) = self
            .cp
            .pipeline(&ctx.account_id, &ctx.region, name)
            .ok_or_else(|| E::PipelineNotFound {
                account: ctx.account_id.clone(),
                name: name.to_string(),
            })?;
        let version = decl.version.unwrap_or(1);
        let key = PipelineKey::new(&ctx.account_id, &ctx.region, name);
        // The engine keeps the spec it runs; reuse it when this version already ran.
        let spec = self
            .engine
            .records()
            .spec(&key, version)
            .unwrap_or_else(|| Arc::new(spec_of(&decl, version, &ctx.region)));
        Ok((key, spec, meta))
    }

    /// Starts an execution of the pipeline's current version.
    pub fn start(
        &self,
        ctx: &RequestContext,
        name: &str,
        trigger: Trigger,
        overrides: &[PipelineVariable],
        token: Option<String>,
        source_overrides: BTreeMap<String, (String, String)>,
    ) -> Result<String, E> {
        let (key, spec, _) = self.current(ctx, name)?;
        if !spec.v2 && !overrides.is_empty() {
            return Err(E::Validation(
                "Pipeline variables can only be passed to V2 pipelines".into(),
            ));
        }
        let mut resolved = Vec::new();
        for declared in &spec.variables {
            let value = overrides
                .iter()
                .find(|o| o.name == declared.name)
                .map(|o| o.value.clone())
                .or_else(|| declared.default_value.clone());
            match value {
                Some(v) => resolved.push((declared.name.clone(), v)),
                None => {
                    return Err(E::Validation(format!(
                        "The pipeline variable '{}' has no default value and was not given a value",
                        declared.name
                    )))
                }
            }
        }
        for o in overrides {
            if !spec.variables.iter().any(|d| d.name == o.name) {
                return Err(E::Validation(format!(
                    "The pipeline {name} declares no variable named '{}'",
                    o.name
                )));
            }
        }
        let id = self.engine.start_execution(StartRequest {
            key,
            spec,
            trigger,
            variables: resolved,
            client_request_token: token,
            source_overrides,
        })?;
        Ok(id)
    }
}

fn validate_name(v: &mut Violations, path: &str, value: &str) {
    v.name(path, value, 1, 100, NAME);
}

fn validate_execution_id(v: &mut Violations, path: &str, value: &str) {
    v.pattern(
        path,
        value,
        |s| uuid::Uuid::parse_str(s).is_ok() && s.len() == 36,
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    );
}

fn finish(v: Violations) -> Result<(), E> {
    v.finish().map_err(|e| E::Validation(e.message))
}

pub fn start_pipeline_execution(
    ex: &Executions,
    ctx: &RequestContext,
    input: StartPipelineExecutionInput,
) -> Result<StartPipelineExecutionOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "name", &input.name);
    if let Some(token) = &input.client_request_token {
        v.length("clientRequestToken", token, 1, 128);
    }
    let variables = input.variables.unwrap_or_default();
    v.list_len("variables", variables.len(), 0, 50);
    for (i, var) in variables.iter().enumerate() {
        let path = crate::protocol::validate::member("variables", i);
        v.name(
            &format!("{path}.name"),
            &var.name,
            1,
            128,
            CharClass::new("[A-Za-z0-9@\\-_]+", "@-_"),
        );
        v.length(&format!("{path}.value"), &var.value, 1, 1000);
    }
    let mut overrides = BTreeMap::new();
    for (i, o) in input.source_revisions.iter().flatten().enumerate() {
        let path = crate::protocol::validate::member("sourceRevisions", i);
        v.enumeration(&format!("{path}.revisionType"), &o.revision_type);
        v.length(&format!("{path}.revisionValue"), &o.revision_value, 1, 1500);
        overrides.insert(
            o.action_name.clone(),
            (
                o.revision_type.as_str().to_string(),
                o.revision_value.clone(),
            ),
        );
    }
    finish(v)?;
    // A source revision override must name a source action of the pipeline.
    if !overrides.is_empty() {
        let (_, spec, _) = ex.current(ctx, &input.name)?;
        for action in overrides.keys() {
            let is_source = spec
                .stages
                .first()
                .is_some_and(|s| s.actions.iter().any(|a| &a.name == action));
            if !is_source {
                return Err(E::Validation(format!(
                    "The source revision override names '{action}', which is not a source action of the pipeline"
                )));
            }
        }
    }
    let id = ex.start(
        ctx,
        &input.name,
        Trigger {
            trigger_type: "StartPipelineExecution".into(),
            trigger_detail: ctx.caller_arn(),
        },
        &variables,
        input.client_request_token,
        overrides,
    )?;
    Ok(StartPipelineExecutionOutput {
        pipeline_execution_id: id,
    })
}

pub async fn stop_pipeline_execution(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: StopPipelineExecutionInput,
) -> Result<StopPipelineExecutionOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_execution_id(&mut v, "pipelineExecutionId", &input.pipeline_execution_id);
    if let Some(reason) = &input.reason {
        v.length("reason", reason, 0, 200);
    }
    finish(v)?;
    let (key, _, _) = ex.current(&ctx, &input.pipeline_name)?;
    ex.engine
        .stop_execution(
            &key,
            &input.pipeline_execution_id,
            input.abandon.unwrap_or(false),
            input.reason,
        )
        .await?;
    Ok(StopPipelineExecutionOutput {
        pipeline_execution_id: input.pipeline_execution_id,
    })
}

pub fn get_pipeline_state(
    ex: &Executions,
    ctx: &RequestContext,
    input: GetPipelineStateInput,
) -> Result<GetPipelineStateOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "name", &input.name);
    finish(v)?;
    let (key, spec, meta) = ex.current(ctx, &input.name)?;
    Ok(views::pipeline_state(
        &key,
        &spec,
        meta.created,
        meta.updated,
        ex.engine.records(),
    ))
}

pub fn get_pipeline_execution(
    ex: &Executions,
    ctx: &RequestContext,
    input: GetPipelineExecutionInput,
) -> Result<GetPipelineExecutionOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_execution_id(&mut v, "pipelineExecutionId", &input.pipeline_execution_id);
    finish(v)?;
    let (key, _, _) = ex.current(ctx, &input.pipeline_name)?;
    let rec = ex
        .engine
        .records()
        .execution_of(&key, &input.pipeline_execution_id)
        .ok_or_else(|| {
            E::PipelineExecutionNotFound(not_found(
                &input.pipeline_execution_id,
                &input.pipeline_name,
            ))
        })?;
    Ok(GetPipelineExecutionOutput {
        pipeline_execution: views::pipeline_execution(&rec),
    })
}

fn not_found(id: &str, pipeline: &str) -> String {
    format!("Pipeline execution with id '{id}' not found in pipeline '{pipeline}'")
}

/// Pages a newest-first list by the id of the last item returned (an opaque token).
fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    max: usize,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), E> {
    let start = match token {
        None => 0,
        Some(t) => {
            let last = decode_token(t).ok_or(E::InvalidNextToken)?;
            items
                .iter()
                .position(|i| id(i) == last)
                .map(|p| p + 1)
                .ok_or(E::InvalidNextToken)?
        }
    };
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let next = (start + out.len() < total)
        .then(|| out.last().map(|i| encode_token(id(i))))
        .flatten();
    Ok((out, next))
}

fn encode_token(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(t: &str) -> Option<String> {
    if !t.len().is_multiple_of(2) || t.len() > 512 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

fn max_results(v: &mut Violations, m: Option<i64>) -> usize {
    match m {
        Some(n) => {
            v.range("maxResults", n, 1, 100);
            n.clamp(1, 100) as usize
        }
        None => 100,
    }
}

pub fn list_pipeline_executions(
    ex: &Executions,
    ctx: &RequestContext,
    input: ListPipelineExecutionsInput,
) -> Result<ListPipelineExecutionsOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    let max = max_results(&mut v, input.max_results);
    finish(v)?;
    let (key, _, _) = ex.current(ctx, &input.pipeline_name)?;
    let stage_filter = input
        .filter
        .and_then(|f| f.succeeded_in_stage)
        .and_then(|s| s.stage_name);
    let after = match input.next_token.as_deref() {
        Some(t) => Some(decode_token(t).ok_or(E::InvalidNextToken)?),
        None => None,
    };
    let keep = |e: &crate::engine::ExecutionRecord| match &stage_filter {
        Some(stage) => e
            .stages
            .get(stage)
            .is_some_and(|s| s.status == crate::engine::status::StageExecutionStatus::Succeeded),
        None => true,
    };
    let (items, more) = ex
        .engine
        .records()
        .executions_page(&key, keep, after.as_deref(), max)
        .ok_or(E::InvalidNextToken)?;
    let next_token = more
        .then(|| items.last().map(|e| encode_token(&e.id)))
        .flatten();
    Ok(ListPipelineExecutionsOutput {
        pipeline_execution_summaries: items.iter().map(views::execution_summary).collect(),
        next_token,
    })
}

/// The checks of an action or rule execution listing's filter.
fn validate_filter(v: &mut Violations, filter: &ActionExecutionFilter) {
    if let Some(id) = &filter.pipeline_execution_id {
        validate_execution_id(v, "filter.pipelineExecutionId", id);
    }
    if let Some(latest) = &filter.latest_in_pipeline_execution {
        validate_execution_id(
            v,
            "filter.latestInPipelineExecution.pipelineExecutionId",
            &latest.pipeline_execution_id,
        );
        v.enumeration(
            "filter.latestInPipelineExecution.startTimeRange",
            &latest.start_time_range,
        );
    }
}

/// The executions an action or rule execution listing covers (newest first), and whether
/// only the latest execution of each action or rule is wanted. The same filter serves
/// ListActionExecutions and ListRuleExecutions.
pub(super) fn filtered_executions(
    ex: &Executions,
    ctx: &RequestContext,
    pipeline_name: &str,
    filter: &ActionExecutionFilter,
) -> Result<(Vec<String>, bool), E> {
    let (key, _, _) = ex.current(ctx, pipeline_name)?;
    let records = ex.engine.records();
    let executions = match (
        &filter.pipeline_execution_id,
        &filter.latest_in_pipeline_execution,
    ) {
        (Some(id), _)
        | (
            None,
            Some(LatestInPipelineExecutionFilter {
                pipeline_execution_id: id,
                ..
            }),
        ) => {
            records
                .execution_of(&key, id)
                .ok_or_else(|| E::PipelineExecutionNotFound(not_found(id, pipeline_name)))?;
            vec![id.clone()]
        }
        (None, None) => records
            .executions_of(&key)
            .into_iter()
            .map(|e| e.id)
            .collect(),
    };
    let latest_only = filter
        .latest_in_pipeline_execution
        .as_ref()
        .is_some_and(|f| f.start_time_range == StartTimeRange::Latest);
    Ok((executions, latest_only))
}

pub fn list_action_executions(
    ex: &Executions,
    ctx: &RequestContext,
    input: ListActionExecutionsInput,
) -> Result<ListActionExecutionsOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    let max = max_results(&mut v, input.max_results);
    let filter = input.filter.unwrap_or_default();
    validate_filter(&mut v, &filter);
    finish(v)?;
    let (executions, latest_only) = filtered_executions(ex, ctx, &input.pipeline_name, &filter)?;
    let records = ex.engine.records();
    let mut all = Vec::new();
    for id in &executions {
        let mut actions = records.actions_of_execution(id);
        actions.reverse();
        if latest_only {
            let mut seen = std::collections::HashSet::new();
            actions.retain(|a| seen.insert((a.stage.clone(), a.action.clone())));
        }
        all.extend(actions);
    }
    let (items, next_token) = page(all, |a| a.id.as_str(), max, input.next_token.as_deref())?;
    Ok(ListActionExecutionsOutput {
        action_execution_details: items.iter().map(views::action_execution_detail).collect(),
        next_token,
    })
}

fn find_stage<'a>(
    spec: &'a PipelineSpec,
    stage: &str,
    pipeline: &str,
) -> Result<(usize, &'a StageSpec), E> {
    spec.stages
        .iter()
        .enumerate()
        .find(|(_, s)| s.name == stage)
        .ok_or_else(|| {
            E::StageNotFound(format!(
                "Stage '{stage}' not found in pipeline '{pipeline}'"
            ))
        })
}

pub async fn put_approval_result(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: PutApprovalResultInput,
) -> Result<PutApprovalResultOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    validate_name(&mut v, "actionName", &input.action_name);
    v.length("result.summary", &input.result.summary, 0, 512);
    v.enumeration("result.status", &input.result.status);
    validate_execution_id(&mut v, "token", &input.token);
    finish(v)?;
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    let (_, stage) = find_stage(&spec, &input.stage_name, &input.pipeline_name)?;
    let action = stage
        .actions
        .iter()
        .find(|a| a.name == input.action_name)
        .ok_or_else(|| {
            E::ActionNotFound(format!(
                "Action '{}' not found in stage '{}'",
                input.action_name, input.stage_name
            ))
        })?;
    if action.action_type.category != "Approval" || action.action_type.provider != "Manual" {
        return Err(E::Validation(format!(
            "Action '{}' is not a manual approval action",
            input.action_name
        )));
    }
    let approved_at = ex
        .engine
        .put_approval_result(
            &key,
            &input.stage_name,
            &input.action_name,
            &input.token,
            input.result.status == ApprovalStatus::Approved,
            Some(input.result.summary),
            ctx.caller_arn(),
        )
        .await?;
    Ok(PutApprovalResultOutput { approved_at })
}

/// The stage whose inbound transition a request names (Outbound on N is Inbound on N+1).
fn transition_stage(
    spec: &PipelineSpec,
    stage: &str,
    kind: &StageTransitionType,
    pipeline: &str,
) -> Result<String, E> {
    let (idx, _) = find_stage(spec, stage, pipeline)?;
    let target = match kind {
        StageTransitionType::Outbound => idx + 1,
        _ => idx,
    };
    if target == 0 {
        return Err(E::Validation(format!(
            "Stage '{stage}' is the first stage of the pipeline and has no inbound transition"
        )));
    }
    spec.stages
        .get(target)
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            E::Validation(format!(
                "Stage '{stage}' is the last stage of the pipeline and has no outbound transition"
            ))
        })
}

pub async fn disable_stage_transition(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: DisableStageTransitionInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    v.enumeration("transitionType", &input.transition_type);
    v.name("reason", &input.reason, 1, 300, REASON);
    finish(v)?;
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    let stage = transition_stage(
        &spec,
        &input.stage_name,
        &input.transition_type,
        &input.pipeline_name,
    )?;
    ex.engine
        .set_transition(&key, &stage, false, Some(input.reason), ctx.caller_arn())
        .await?;
    Ok(Empty {})
}

pub async fn enable_stage_transition(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: EnableStageTransitionInput,
) -> Result<Empty, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    v.enumeration("transitionType", &input.transition_type);
    finish(v)?;
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    let stage = transition_stage(
        &spec,
        &input.stage_name,
        &input.transition_type,
        &input.pipeline_name,
    )?;
    ex.engine
        .set_transition(&key, &stage, true, None, ctx.caller_arn())
        .await?;
    Ok(Empty {})
}

/// Registers the execution operations (replacing their "not yet" entries).
pub fn register(mut json: JsonService, ex: &Arc<Executions>) -> JsonService {
    // Synchronous operations read records or start an execution; asynchronous ones wait for
    // the engine's answer (stop, approvals, transitions, retries, rollbacks).
    macro_rules! sync_ops {
        ($($name:literal => $handler:path),+ $(,)?) => {$(
            let e = ex.clone();
            json = json.op($name, move |ctx, input| $handler(&e, ctx, input));
        )+};
    }
    macro_rules! async_ops {
        ($($name:literal => $handler:path),+ $(,)?) => {$(
            let e = ex.clone();
            json = json.op_async($name, move |ctx, input| $handler(e.clone(), ctx, input));
        )+};
    }
    sync_ops!(
        "StartPipelineExecution" => start_pipeline_execution,
        "GetPipelineState" => get_pipeline_state,
        "GetPipelineExecution" => get_pipeline_execution,
        "ListPipelineExecutions" => list_pipeline_executions,
        "ListActionExecutions" => list_action_executions,
        "PutActionRevision" => revision::put_action_revision,
        "ListDeployActionExecutionTargets" => targets::list_deploy_action_execution_targets,
    );
    async_ops!(
        "StopPipelineExecution" => stop_pipeline_execution,
        "PutApprovalResult" => put_approval_result,
        "DisableStageTransition" => disable_stage_transition,
        "EnableStageTransition" => enable_stage_transition,
        "RetryStageExecution" => rerun::retry_stage_execution,
        "RollbackStage" => rerun::rollback_stage,
    );
    json = jobs::register(json, ex);
    json = conditions::register(json, ex);
    json
}

/// Hears the control plane: a created pipeline starts its first execution (as on AWS); a
/// deleted one is forgotten by the engine.
pub struct Observer(pub std::sync::Weak<Executions>);

impl super::PipelineObserver for Observer {
    fn pipeline_created(
        &self,
        ctx: &RequestContext,
        pipeline: &Arc<PipelineDeclaration>,
        _metadata: &PipelineMetadata,
    ) {
        let Some(ex) = self.0.upgrade() else { return };
        let trigger = Trigger {
            trigger_type: "CreatePipeline".into(),
            trigger_detail: ctx.caller_arn(),
        };
        if let Err(e) = ex.start(ctx, &pipeline.name, trigger, &[], None, BTreeMap::new()) {
            tracing::warn!(pipeline = %pipeline.name, "the first execution could not start: {e}");
        }
    }

    fn pipeline_deleted(&self, account: &str, region: &str, name: &str) {
        let Some(ex) = self.0.upgrade() else { return };
        ex.engine
            .forget_pipeline(&PipelineKey::new(account, region, name));
    }
}

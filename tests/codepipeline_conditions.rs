//! V2 stage conditions through the official SDK: each result (beforeEntry FAIL and SKIP,
//! onSuccess ROLLBACK, onFailure RETRY decided by a VariableCheck rule), a closed deployment
//! window overridden with OverrideStageCondition (and one stopped), a window in an IANA time
//! zone that waits until `SIMFRA_RULE_TIMEOUT_SECONDS` fails it, ListRuleExecutions,
//! GetPipelineState's condition states, and invalid windows and rules refused at
//! CreatePipeline. Also pipeline variables overridden at start and read across three stages.
//! (Commands rules run builds: `codepipeline_commands.rs`.)

#[allow(dead_code)]
mod codepipeline_jobs_support;
mod codepipeline_support;
mod common;

use std::time::Duration;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionExecutionFilter, ActionOwner, ApprovalResult,
    ApprovalStatus, BeforeEntryConditions, Condition, ConditionExecutionStatus, ConditionType,
    ExecutionMode, FailureConditions, PipelineDeclaration, PipelineExecutionStatus, PipelineType,
    PipelineVariable, PipelineVariableDeclaration, Result as On, RetryConfiguration, RuleCategory,
    RuleDeclaration, RuleExecutionFilter, RuleExecutionStatus, RuleOwner, RuleTypeId,
    StageDeclaration, StageRetryMode, StageState, SuccessConditions,
};
use aws_sdk_codepipeline::Client;
use codepipeline_jobs_support::{
    ack, build, builder_type, create, create_builder_type, next_job, s3_deploy, s3_source,
    seed_buckets, succeed, wait_status,
};
use codepipeline_support::{action, code, stage, store, type_id, ROLE};

const CALLER: &str = "arn:aws:iam::000000000000:root";

fn rule(name: &str, provider: &str, config: &[(&str, &str)]) -> RuleDeclaration {
    let mut b = RuleDeclaration::builder().name(name).rule_type_id(
        RuleTypeId::builder()
            .category(RuleCategory::Rule)
            .owner(RuleOwner::Aws)
            .provider(provider)
            .version("1")
            .build()
            .unwrap(),
    );
    for (k, v) in config {
        b = b.configuration(*k, *v);
    }
    b.build().unwrap()
}

/// A VariableCheck rule: `#{variables.<var>}` EQ `value`.
fn var_is(name: &str, var: &str, value: &str) -> RuleDeclaration {
    rule(
        name,
        "VariableCheck",
        &[
            ("Variable", &format!("#{{variables.{var}}}")),
            ("Operator", "EQ"),
            ("Value", value),
        ],
    )
}

fn condition(result: On, rules: Vec<RuleDeclaration>) -> Condition {
    Condition::builder()
        .result(result)
        .set_rules(Some(rules))
        .build()
}

fn before_entry(result: On, rules: Vec<RuleDeclaration>) -> BeforeEntryConditions {
    BeforeEntryConditions::builder()
        .conditions(condition(result, rules))
        .build()
        .unwrap()
}

fn approval() -> ActionDeclaration {
    action(
        "Approve",
        type_id(ActionCategory::Approval, ActionOwner::Aws, "Manual"),
        &[],
        &[],
        &[],
    )
}

/// A V2 pipeline: the S3 source, then `stages`, with pipeline variables (name, default).
fn pipeline(
    name: &str,
    vars: &[(&str, &str)],
    stages: Vec<StageDeclaration>,
) -> PipelineDeclaration {
    let mut b = PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .pipeline_type(PipelineType::V2)
        .execution_mode(ExecutionMode::Superseded)
        .stages(stage("Source", vec![s3_source()]));
    for s in stages {
        b = b.stages(s);
    }
    for (n, d) in vars {
        b = b.variables(
            PipelineVariableDeclaration::builder()
                .name(*n)
                .default_value(*d)
                .build()
                .unwrap(),
        );
    }
    b.build().unwrap()
}

fn deploy_stage(name: &str, key: &str) -> StageDeclaration {
    let mut deploy = s3_deploy("SourceOutput", key);
    deploy.name = format!("{name}Action");
    stage(name, vec![deploy])
}

async fn start(cp: &Client, pipeline: &str, vars: &[(&str, &str)]) -> String {
    let mut req = cp.start_pipeline_execution().name(pipeline);
    for (n, v) in vars {
        req = req.variables(
            PipelineVariable::builder()
                .name(*n)
                .value(*v)
                .build()
                .unwrap(),
        );
    }
    req.send()
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_string()
}

async fn stage_state(cp: &Client, pipeline: &str, stage: &str) -> StageState {
    let state = cp.get_pipeline_state().name(pipeline).send().await.unwrap();
    state
        .stage_states()
        .iter()
        .find(|s| s.stage_name() == Some(stage))
        .unwrap()
        .clone()
}

/// Polls (test side only) until `f` holds for the stage's state; returns that state.
async fn until_stage(
    cp: &Client,
    pipeline: &str,
    stage: &str,
    what: &str,
    f: impl Fn(&StageState) -> bool,
) -> StageState {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = stage_state(cp, pipeline, stage).await;
        if f(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn stage_status(s: &StageState) -> &str {
    s.latest_execution().unwrap().status().as_str()
}

fn condition_status(c: Option<&aws_sdk_codepipeline::types::StageConditionState>) -> &str {
    c.and_then(|c| c.latest_execution())
        .and_then(|e| e.status())
        .map_or("none", |s| s.as_str())
}

async fn rule_executions(
    cp: &Client,
    pipeline: &str,
    id: &str,
) -> Vec<aws_sdk_codepipeline::types::RuleExecutionDetail> {
    cp.list_rule_executions()
        .pipeline_name(pipeline)
        .filter(
            RuleExecutionFilter::builder()
                .pipeline_execution_id(id)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .rule_execution_details()
        .to_vec()
}

async fn actions_of(
    cp: &Client,
    pipeline: &str,
    id: &str,
) -> Vec<aws_sdk_codepipeline::types::ActionExecutionDetail> {
    cp.list_action_executions()
        .pipeline_name(pipeline)
        .filter(
            ActionExecutionFilter::builder()
                .pipeline_execution_id(id)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .action_execution_details()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_entry_fail_and_skip() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let mut gated = deploy_stage("Deploy", "site");
    gated.before_entry = Some(before_entry(
        On::Fail,
        vec![var_is("EnvIsProd", "env", "prod")],
    ));
    let first = create(&cp, pipeline("gate", &[("env", "dev")], vec![gated])).await;
    wait_status(&cp, "gate", &first, PipelineExecutionStatus::Failed).await;
    let deploy = stage_state(&cp, "gate", "Deploy").await;
    assert_eq!(stage_status(&deploy), "Failed");
    let state = deploy.before_entry_condition_state().unwrap();
    assert_eq!(condition_status(Some(state)), "Failed");
    let rule_state = &state.condition_states()[0].rule_states()[0];
    assert_eq!(rule_state.rule_name(), Some("EnvIsProd"));
    let latest = rule_state.latest_execution().unwrap();
    assert_eq!(latest.status(), Some(&RuleExecutionStatus::Failed));
    assert!(latest.summary().unwrap().contains("'dev'"), "{latest:?}");
    assert!(
        latest.token().is_none(),
        "no token once decided: {latest:?}"
    );
    assert!(deploy.on_success_condition_state().is_none());
    assert!(
        actions_of(&cp, "gate", &first)
            .await
            .iter()
            .all(|a| a.stage_name() == Some("Source")),
        "the stage's action never ran"
    );
    let summary = cp
        .list_pipeline_executions()
        .pipeline_name("gate")
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()[0]
        .status_summary()
        .unwrap()
        .to_string();
    assert!(summary.contains("beforeEntry"), "{summary}");

    let second = start(&cp, "gate", &[("env", "prod")]).await;
    wait_status(&cp, "gate", &second, PipelineExecutionStatus::Succeeded).await;
    let deploy = stage_state(&cp, "gate", "Deploy").await;
    assert_eq!(
        condition_status(deploy.before_entry_condition_state()),
        "Succeeded"
    );

    // ListRuleExecutions: newest first, paged, filtered.
    let all = cp
        .list_rule_executions()
        .pipeline_name("gate")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = all
        .rule_execution_details()
        .iter()
        .map(|r| r.pipeline_execution_id().unwrap().to_string())
        .collect();
    assert_eq!(ids, [second.clone(), first.clone()]);
    let detail = &all.rule_execution_details()[0];
    assert_eq!(detail.stage_name(), Some("Deploy"));
    assert_eq!(detail.rule_name(), Some("EnvIsProd"));
    assert_eq!(detail.pipeline_version(), Some(1));
    assert_eq!(detail.status(), Some(&RuleExecutionStatus::Succeeded));
    let input = detail.input().unwrap();
    assert_eq!(input.rule_type_id().unwrap().provider(), "VariableCheck");
    assert_eq!(
        input.configuration().unwrap()["Variable"],
        "#{variables.env}"
    );
    assert_eq!(input.resolved_configuration().unwrap()["Variable"], "prod");
    assert_eq!(input.region(), Some("us-east-1"));
    let result = detail.output().unwrap().execution_result().unwrap();
    assert!(result
        .external_execution_summary()
        .unwrap()
        .contains("'prod'"));
    let page = cp
        .list_rule_executions()
        .pipeline_name("gate")
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.rule_execution_details().len(), 1);
    let next = cp
        .list_rule_executions()
        .pipeline_name("gate")
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.rule_execution_details()[0].pipeline_execution_id(),
        Some(first.as_str())
    );
    assert!(next.next_token().is_none());
    assert_eq!(rule_executions(&cp, "gate", &first).await.len(), 1);
    let unknown = cp
        .list_rule_executions()
        .pipeline_name("gate")
        .filter(
            RuleExecutionFilter::builder()
                .pipeline_execution_id("00000000-0000-4000-8000-000000000000")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown), "PipelineExecutionNotFoundException");
    let bad_token = cp
        .list_rule_executions()
        .pipeline_name("gate")
        .next_token("zz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_token), "InvalidNextTokenException");

    // SKIP: the stage is Skipped and the execution goes on.
    let mut skipped = deploy_stage("Deploy", "skipped");
    skipped.before_entry = Some(before_entry(
        On::Skip,
        vec![var_is("EnvIsProd", "env", "prod")],
    ));
    let id = create(
        &cp,
        pipeline(
            "skip",
            &[("env", "dev")],
            vec![skipped, deploy_stage("Verify", "verified")],
        ),
    )
    .await;
    wait_status(&cp, "skip", &id, PipelineExecutionStatus::Succeeded).await;
    let deploy = stage_state(&cp, "skip", "Deploy").await;
    assert_eq!(stage_status(&deploy), "Skipped");
    assert_eq!(
        condition_status(deploy.before_entry_condition_state()),
        "Failed"
    );
    assert_eq!(
        stage_status(&stage_state(&cp, "skip", "Verify").await),
        "Succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_success_rollback_returns_to_the_last_success() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let mut deploy = deploy_stage("Deploy", "site");
    deploy.on_success = Some(
        SuccessConditions::builder()
            .conditions(condition(
                On::Rollback,
                vec![var_is("Healthy", "healthy", "yes")],
            ))
            .build()
            .unwrap(),
    );
    let good = create(&cp, pipeline("rb", &[("healthy", "yes")], vec![deploy])).await;
    wait_status(&cp, "rb", &good, PipelineExecutionStatus::Succeeded).await;
    let state = stage_state(&cp, "rb", "Deploy").await;
    assert_eq!(
        condition_status(state.on_success_condition_state()),
        "Succeeded"
    );

    let bad = start(&cp, "rb", &[("healthy", "no")]).await;
    wait_status(&cp, "rb", &bad, PipelineExecutionStatus::Failed).await;
    let rules = rule_executions(&cp, "rb", &bad).await;
    assert_eq!(rules[0].status(), Some(&RuleExecutionStatus::Failed));
    // The automated rollback returns the stage to the last execution that succeeded in it.
    let mut back = None;
    for _ in 0..2000 {
        let list = cp
            .list_pipeline_executions()
            .pipeline_name("rb")
            .send()
            .await
            .unwrap();
        let newest = list.pipeline_execution_summaries()[0].clone();
        if newest.execution_type().map(|t| t.as_str()) == Some("ROLLBACK") {
            back = Some(newest);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let back = back.expect("a rollback execution");
    assert_eq!(
        back.trigger().unwrap().trigger_type().unwrap().as_str(),
        "AutomatedRollback"
    );
    assert_eq!(
        back.rollback_metadata()
            .unwrap()
            .rollback_target_pipeline_execution_id(),
        Some(good.as_str())
    );
    let back = back.pipeline_execution_id().unwrap().to_string();
    wait_status(&cp, "rb", &back, PipelineExecutionStatus::Succeeded).await;
    assert!(rule_executions(&cp, "rb", &back).await.is_empty());
}

/// The token of the Gate stage's pending approval (a newer one than `not`).
async fn approval_token(cp: &Client, pipeline: &str, not: Option<&str>) -> String {
    let state = until_stage(cp, pipeline, "Gate", "an approval", |s| {
        s.action_states()[0]
            .latest_execution()
            .and_then(|e| e.token())
            .is_some_and(|t| Some(t) != not)
    })
    .await;
    state.action_states()[0]
        .latest_execution()
        .unwrap()
        .token()
        .unwrap()
        .to_string()
}

async fn answer(cp: &Client, pipeline: &str, token: &str, status: ApprovalStatus) {
    cp.put_approval_result()
        .pipeline_name(pipeline)
        .stage_name("Gate")
        .action_name("Approve")
        .token(token)
        .result(
            ApprovalResult::builder()
                .status(status)
                .summary("reviewed")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_failure_retry_engages_when_its_rule_fails() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let mut gate = stage("Gate", vec![approval()]);
    // RETRY unless the run says `retry = no`.
    gate.on_failure = Some(
        FailureConditions::builder()
            .result(On::Retry)
            .retry_configuration(
                RetryConfiguration::builder()
                    .retry_mode(StageRetryMode::FailedActions)
                    .build(),
            )
            .conditions(condition(On::Retry, vec![var_is("NoRetry", "retry", "no")]))
            .build(),
    );
    let id = create(&cp, pipeline("rt", &[("retry", "yes")], vec![gate])).await;
    let first = approval_token(&cp, "rt", None).await;
    answer(&cp, "rt", &first, ApprovalStatus::Rejected).await;
    // The rule fails (retry is "yes"), so RETRY engages: a new approval waits.
    let second = approval_token(&cp, "rt", Some(&first)).await;
    let gate = stage_state(&cp, "rt", "Gate").await;
    assert_eq!(
        condition_status(gate.on_failure_condition_state()),
        "Failed"
    );
    let meta = gate.retry_stage_metadata().unwrap();
    assert_eq!(meta.auto_stage_retry_attempt(), Some(1));
    assert_eq!(
        meta.latest_retry_trigger().map(|t| t.as_str()),
        Some("AutomatedStageRetry")
    );
    answer(&cp, "rt", &second, ApprovalStatus::Approved).await;
    wait_status(&cp, "rt", &id, PipelineExecutionStatus::Succeeded).await;

    // With retry = no the rule is met: the result does not engage and the stage stays failed.
    let kept = start(&cp, "rt", &[("retry", "no")]).await;
    let token = approval_token(&cp, "rt", Some(&second)).await;
    answer(&cp, "rt", &token, ApprovalStatus::Rejected).await;
    wait_status(&cp, "rt", &kept, PipelineExecutionStatus::Failed).await;
    let gate = stage_state(&cp, "rt", "Gate").await;
    assert_eq!(
        condition_status(gate.on_failure_condition_state()),
        "Succeeded"
    );
    assert_eq!(stage_status(&gate), "Failed");
    assert!(gate.retry_stage_metadata().is_none());
}

/// Creates pipeline `name` whose Deploy stage waits on a deployment window of 2199 (weekdays
/// 09:00-17:59 in `zone`, with `result` when it fails); returns its first execution's id and
/// the Deploy stage once its rule says what it waits for.
async fn waiting_for_a_window(
    cp: &Client,
    name: &str,
    zone: &str,
    result: On,
) -> (String, StageState) {
    let window = rule(
        "Window",
        "DeploymentWindow",
        &[("Cron", "0 0 9-17 ? * MON-FRI 2199"), ("TimeZone", zone)],
    );
    let mut deploy = deploy_stage("Deploy", "site");
    deploy.before_entry = Some(before_entry(result, vec![window]));
    let id = create(cp, pipeline(name, &[], vec![deploy])).await;
    let waiting = until_stage(cp, name, "Deploy", "the window rule waits", |s| {
        s.before_entry_condition_state()
            .and_then(|c| c.condition_states()[0].rule_states()[0].latest_execution())
            .is_some_and(|r| r.summary().is_some())
    })
    .await;
    (id, waiting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_deployment_window_is_overridden_or_stopped() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let (id, waiting) = waiting_for_a_window(&cp, "win", "UTC+02:00", On::Fail).await;
    assert_eq!(stage_status(&waiting), "InProgress");
    let state = waiting.before_entry_condition_state().unwrap();
    assert_eq!(condition_status(Some(state)), "InProgress");
    let rule = state.condition_states()[0].rule_states()[0]
        .latest_execution()
        .unwrap();
    assert_eq!(rule.status(), Some(&RuleExecutionStatus::InProgress));
    // The rule's request token shows while it is in progress.
    assert_eq!(rule.token().map(str::len), Some(36), "{rule:?}");
    assert!(
        rule.summary().unwrap().contains("2199-01-01T07:00:00Z"),
        "{rule:?}"
    );
    let over = |stage: &str, exec: &str, kind: ConditionType, pipeline: &str| {
        cp.override_stage_condition()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .pipeline_execution_id(exec)
            .condition_type(kind)
            .send()
    };
    for (stage, exec, kind, pipeline, want) in [
        (
            "Deploy",
            id.as_str(),
            ConditionType::OnSuccess,
            "win",
            "ConditionNotOverridableException",
        ),
        (
            "Source",
            id.as_str(),
            ConditionType::BeforeEntry,
            "win",
            "ConditionNotOverridableException",
        ),
        (
            "Nope",
            id.as_str(),
            ConditionType::BeforeEntry,
            "win",
            "StageNotFoundException",
        ),
        (
            "Deploy",
            "00000000-0000-4000-8000-000000000000",
            ConditionType::BeforeEntry,
            "win",
            "NotLatestPipelineExecutionException",
        ),
        (
            "Deploy",
            id.as_str(),
            ConditionType::BeforeEntry,
            "nope",
            "PipelineNotFoundException",
        ),
    ] {
        let e = over(stage, exec, kind, pipeline).await.unwrap_err();
        assert_eq!(code(&e), want, "{stage} {exec} {pipeline}");
    }
    over("Deploy", &id, ConditionType::BeforeEntry, "win")
        .await
        .unwrap();
    wait_status(&cp, "win", &id, PipelineExecutionStatus::Succeeded).await;
    let deploy = stage_state(&cp, "win", "Deploy").await;
    assert_eq!(
        condition_status(deploy.before_entry_condition_state()),
        "Overridden"
    );
    assert_eq!(stage_status(&deploy), "Succeeded");
    let rules = rule_executions(&cp, "win", &id).await;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].status(), Some(&RuleExecutionStatus::Abandoned));
    assert_eq!(rules[0].updated_by(), Some(CALLER));
    assert_eq!(
        rules[0].input().unwrap().configuration().unwrap()["TimeZone"],
        "UTC+02:00"
    );
    let again = over("Deploy", &id, ConditionType::BeforeEntry, "win")
        .await
        .unwrap_err();
    assert_eq!(code(&again), "ConditionNotOverridableException");
    // The AWS CLI reads the same shapes.
    let out = common::cli(
        &server.url(),
        &[
            "codepipeline",
            "list-rule-executions",
            "--pipeline-name",
            "win",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["ruleExecutionDetails"][0]["status"], "Abandoned");
    let out = common::cli(
        &server.url(),
        &["codepipeline", "get-pipeline-state", "--name", "win"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        state["stageStates"][1]["beforeEntryConditionState"]["latestExecution"]["status"],
        "Overridden"
    );

    // Stopping an execution whose window is closed: abandoned, nothing left waiting.
    let stopped = start(&cp, "win", &[]).await;
    until_stage(&cp, "win", "Deploy", "the second execution waits", |s| {
        s.latest_execution().map(|e| e.pipeline_execution_id()) == Some(stopped.as_str())
            && condition_status(s.before_entry_condition_state()) == "InProgress"
    })
    .await;
    cp.stop_pipeline_execution()
        .pipeline_name("win")
        .pipeline_execution_id(&stopped)
        .abandon(true)
        .send()
        .await
        .unwrap();
    wait_status(&cp, "win", &stopped, PipelineExecutionStatus::Stopped).await;
    let deploy = stage_state(&cp, "win", "Deploy").await;
    assert_eq!(
        deploy
            .before_entry_condition_state()
            .and_then(|c| c.latest_execution())
            .and_then(|e| e.status()),
        Some(&ConditionExecutionStatus::Abandoned)
    );
    assert_eq!(stage_status(&deploy), "Stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_york_window_waits_until_the_rule_timeout_setting_fails_it() {
    let mut settings = simfra::Settings::for_tests();
    settings.rule_timeout_seconds = 2;
    let server = common::start_with(settings);
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let (id, waiting) = waiting_for_a_window(&cp, "ny", "America/New_York", On::Skip).await;
    let summary = waiting
        .before_entry_condition_state()
        .unwrap()
        .condition_states()[0]
        .rule_states()[0]
        .latest_execution()
        .unwrap()
        .summary()
        .unwrap()
        .to_string();
    // Tuesday 2199-01-01, 09:00 in New York's winter (UTC-5).
    assert!(
        summary.contains("2199-01-01T14:00:00Z") && summary.contains("(America/New_York)"),
        "{summary}"
    );
    // Without timeoutInMinutes the rule fails after SIMFRA_RULE_TIMEOUT_SECONDS: SKIP engages.
    wait_status(&cp, "ny", &id, PipelineExecutionStatus::Succeeded).await;
    let deploy = stage_state(&cp, "ny", "Deploy").await;
    assert_eq!(stage_status(&deploy), "Skipped");
    let rules = rule_executions(&cp, "ny", &id).await;
    assert_eq!(rules[0].status(), Some(&RuleExecutionStatus::Failed));
    let result = rules[0].output().unwrap().execution_result().unwrap();
    assert!(
        result
            .external_execution_summary()
            .unwrap()
            .contains("timeout"),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_deployment_windows_are_refused() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let with = |name: &str, cron: &str, zone: &str| {
        let mut deploy = deploy_stage("Deploy", "site");
        deploy.before_entry = Some(before_entry(
            On::Fail,
            vec![rule(
                "Window",
                "DeploymentWindow",
                &[("Cron", cron), ("TimeZone", zone)],
            )],
        ));
        pipeline(name, &[], vec![deploy])
    };
    for (cron, zone, says) in [
        ("0 9 * * ?", "UTC", "5 fields"),
        ("0 9 ? * MON-FRI *", "UTC", "hours"),
        ("cron(0 9 ? * MON-FRI *)", "UTC", "without cron(...)"),
        ("0 0 25 ? * MON-FRI *", "UTC", "hours"),
        (
            "0 0 9 ? * MON-FRI *",
            "Mars/Olympus",
            "not a time zone simfra knows",
        ),
        (
            "0 0 9 ? * MON-FRI *",
            "america/new_york",
            "not a time zone simfra knows",
        ),
    ] {
        let e = cp
            .create_pipeline()
            .pipeline(with("bad", cron, zone))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(&e),
            "InvalidStageDeclarationException",
            "{cron} {zone}"
        );
        let message = e
            .as_service_error()
            .and_then(|x| x.message())
            .unwrap_or_default();
        assert!(message.contains(says), "{cron} {zone}: {message}");
    }
    cp.create_pipeline()
        .pipeline(with("ok", "0 0 9-17 ? * MON-FRI *", "PST"))
        .send()
        .await
        .unwrap();
    for (name, zone) in [
        ("ok-ny", "America/New_York"),
        ("ok-berlin", "Europe/Berlin"),
        ("ok-kolkata", "Asia/Kolkata"),
    ] {
        cp.create_pipeline()
            .pipeline(with(name, "0 0 9 ? * MON-FRI *", zone))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{zone}: {e:?}"));
    }
    // A Commands rule takes single-line commands, as the Commands action does.
    let mut deploy = deploy_stage("Deploy", "site");
    let mut multi = rule("Smoke", "Commands", &[]);
    multi.commands = Some(vec!["echo one\necho two".into()]);
    deploy.before_entry = Some(before_entry(On::Fail, vec![multi]));
    let e = cp
        .create_pipeline()
        .pipeline(pipeline("multi", &[], vec![deploy]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStageDeclarationException");
    let message = e
        .as_service_error()
        .and_then(|x| x.message())
        .unwrap_or_default();
    assert!(message.contains("multi-line command"), "{message}");
    let e = cp
        .update_pipeline()
        .pipeline(with("ok", "0 0 9 ? * MON-FRI * *", "PST"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStageDeclarationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_across_three_stages_with_pipeline_level_overrides() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    create_builder_type(&cp).await;
    let mut source = s3_source();
    source.namespace = Some("SourceVariables".into());
    // Stage 2: the job worker's build (namespace BuildVariables), and a preview deploy that
    // reads the source's namespace and a pipeline variable.
    let mut compile = action(
        "Compile",
        builder_type(),
        &[("ProjectName", "alpha")],
        &["SourceOutput"],
        &["BuiltOutput"],
    );
    compile.namespace = Some("BuildVariables".into());
    let mut preview = s3_deploy(
        "SourceOutput",
        "preview/#{variables.env}/#{SourceVariables.VersionId}",
    );
    preview.name = "Preview".into();
    // Stage 3 reads all three, and is entered only when its check of them passes.
    let mut ship = s3_deploy(
        "BuiltOutput",
        "releases/#{variables.env}/#{BuildVariables.Version}/#{SourceVariables.VersionId}",
    );
    ship.name = "Ship".into();
    let mut release = stage("Release", vec![ship]);
    release.before_entry = Some(before_entry(
        On::Fail,
        vec![rule(
            "KnownEnv",
            "VariableCheck",
            &[
                ("Variable", "#{variables.env}-#{BuildVariables.Version}"),
                ("Operator", "MATCHES"),
                ("Value", "(staging|prod)-[0-9.]+"),
            ],
        )],
    ));
    let decl = PipelineDeclaration::builder()
        .name("vars3")
        .role_arn(ROLE)
        .artifact_store(store())
        .pipeline_type(PipelineType::V2)
        .variables(
            PipelineVariableDeclaration::builder()
                .name("env")
                .default_value("staging")
                .build()
                .unwrap(),
        )
        .variables(
            PipelineVariableDeclaration::builder()
                .name("channel")
                .default_value("stable")
                .build()
                .unwrap(),
        )
        .stages(stage("Source", vec![source]))
        .stages(stage("Build", vec![compile, preview]))
        .stages(release)
        .build()
        .unwrap();
    // The first execution (CreatePipeline's) runs with the defaults.
    let first = create(&cp, decl).await;
    let job = next_job(&cp, "alpha").await;
    ack(&cp, &job).await;
    build(&server, &job).await;
    succeed(&cp, &job, &[("Version", "1.0")], None).await;
    wait_status(&cp, "vars3", &first, PipelineExecutionStatus::Succeeded).await;

    // An override at start: this run goes to prod (channel keeps its default).
    let second = start(&cp, "vars3", &[("env", "prod")]).await;
    let job = next_job(&cp, "alpha").await;
    ack(&cp, &job).await;
    build(&server, &job).await;
    succeed(&cp, &job, &[("Version", "2.0")], None).await;
    wait_status(&cp, "vars3", &second, PipelineExecutionStatus::Succeeded).await;

    let actions = actions_of(&cp, "vars3", &second).await;
    let find = |name: &str| {
        actions
            .iter()
            .find(|a| a.action_name() == Some(name))
            .unwrap()
            .clone()
    };
    let version_id =
        find("Source").output().unwrap().output_variables().unwrap()["VersionId"].clone();
    assert_eq!(
        find("Compile")
            .output()
            .unwrap()
            .output_variables()
            .unwrap()["Version"],
        "2.0"
    );
    let preview = find("Preview");
    let input = preview.input().unwrap();
    assert_eq!(
        input.configuration().unwrap()["ObjectKey"],
        "preview/#{variables.env}/#{SourceVariables.VersionId}"
    );
    assert_eq!(
        input.resolved_configuration().unwrap()["ObjectKey"],
        format!("preview/prod/{version_id}")
    );
    let ship = find("Ship");
    assert_eq!(
        ship.input().unwrap().resolved_configuration().unwrap()["ObjectKey"],
        format!("releases/prod/2.0/{version_id}")
    );
    let rules = rule_executions(&cp, "vars3", &second).await;
    assert_eq!(
        rules[0].input().unwrap().resolved_configuration().unwrap()["Variable"],
        "prod-2.0"
    );
    assert_eq!(rules[0].status(), Some(&RuleExecutionStatus::Succeeded));
    // The first execution kept its own values.
    let ship = actions_of(&cp, "vars3", &first)
        .await
        .into_iter()
        .find(|a| a.action_name() == Some("Ship"))
        .unwrap();
    assert!(
        ship.input().unwrap().resolved_configuration().unwrap()["ObjectKey"]
            .starts_with("releases/staging/1.0/")
    );
    let exec = cp
        .get_pipeline_execution()
        .pipeline_name("vars3")
        .pipeline_execution_id(&second)
        .send()
        .await
        .unwrap();
    let vars: Vec<_> = exec
        .pipeline_execution()
        .unwrap()
        .variables()
        .iter()
        .map(|v| {
            (
                v.name().unwrap().to_string(),
                v.resolved_value().unwrap().to_string(),
            )
        })
        .collect();
    assert!(vars.contains(&("env".into(), "prod".into())), "{vars:?}");
    assert!(
        vars.contains(&("channel".into(), "stable".into())),
        "{vars:?}"
    );
}

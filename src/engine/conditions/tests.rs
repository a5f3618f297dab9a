//! Engine tests of stage conditions, on real actors: rules read the pipeline variable `Rev`
//! (the source action emits it as `Src.Out`), so a test decides which execution meets a
//! condition; deployment windows that never open now keep a rule in progress until an
//! override, a stop or the rule's timeout. `Commands` rules: `tests_commands.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{ConditionExecutionStatus as C, ConditionKind, RuleExecutionStatus as R};
use crate::bus::EventBus;
use crate::engine::providers::Providers;
use crate::engine::records::RuleRecord;
use crate::engine::spec::*;
use crate::engine::status::*;
use crate::engine::tests::{action, key, run, spec, until, Failing, Instant};
use crate::engine::*;
use crate::store::Store;

/// Never open before 2199.
const CLOSED: &str = "* * * * * ? 2199";
/// Always open.
const OPEN: &str = "* * * * * ?";

fn engine_with(store: Store, config: EngineConfig) -> Engine {
    let mut providers = Providers::new();
    providers.register("Build", "AWS", "Instant", Arc::new(Instant));
    providers.register("Build", "AWS", "Failing", Arc::new(Failing));
    Engine::start(Arc::new(store), EventBus::default(), providers, config).unwrap()
}

fn engine() -> Engine {
    engine_with(Store::memory().unwrap(), EngineConfig::default())
}

fn rule(name: &str, provider: &str, config: &[(&str, &str)]) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        rule_type: ActionTypeSpec {
            category: "Rule".into(),
            owner: "AWS".into(),
            provider: provider.into(),
            version: "1".into(),
        },
        configuration: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        commands: vec![],
        input_artifacts: vec![],
        role_arn: None,
        region: None,
        timeout_in_minutes: None,
    }
}

/// `#{Src.Out}` (the run's `Rev`) compared with `value`.
fn rev_is(value: &str) -> RuleSpec {
    rule(
        "RevCheck",
        "VariableCheck",
        &[
            ("Variable", "#{Src.Out}"),
            ("Operator", "EQ"),
            ("Value", value),
        ],
    )
}

fn window(cron: &str) -> RuleSpec {
    rule("Window", "DeploymentWindow", &[("Cron", cron)])
}

fn cond(result: ConditionResult, rules: Vec<RuleSpec>) -> Option<ConditionSpec> {
    Some(ConditionSpec { result, rules })
}

fn source() -> (&'static str, Vec<ActionSpec>) {
    let mut src = action("src", "Instant", 1);
    src.configuration
        .insert("Value".into(), "#{variables.Rev}".into());
    src.namespace = Some("Src".into());
    src.output_artifacts = vec!["Out".into()];
    ("Source", vec![src])
}

/// Source, then `Deploy` (one instant action `d`) with `conditions`, then `Verify`.
fn pipeline(conditions: StageConditions) -> Arc<PipelineSpec> {
    let mut d = action("d", "Instant", 1);
    d.configuration.insert("Value".into(), "#{Src.Out}".into());
    d.namespace = Some("Dep".into());
    let mut s = spec(
        ExecutionMode::Superseded,
        vec![
            source(),
            ("Deploy", vec![d]),
            ("Verify", vec![action("v", "Instant", 1)]),
        ],
    );
    Arc::make_mut(&mut s).stages[1].conditions = conditions;
    s
}

async fn start(e: &Engine, s: &Arc<PipelineSpec>, rev: &str) -> String {
    e.start_execution(StartRequest {
        key: key(),
        spec: s.clone(),
        trigger: Trigger {
            trigger_type: "StartPipelineExecution".into(),
            trigger_detail: "test".into(),
        },
        variables: vec![("Rev".into(), rev.into())],
        client_request_token: None,
        source_overrides: BTreeMap::new(),
    })
    .unwrap()
}

async fn until_status(e: &Engine, id: &str, want: PipelineExecutionStatus) {
    until(e, &format!("{id} {want:?}"), |r| {
        r.execution(id).unwrap().status == want
    })
    .await;
}

fn stage_status(e: &Engine, id: &str, stage: &str) -> Option<StageExecutionStatus> {
    let rec = e.records().execution(id)?;
    rec.stages.get(stage).map(|r| r.status)
}

fn condition(e: &Engine, id: &str, stage: &str, kind: ConditionKind) -> Option<C> {
    let rec = e.records().execution(id)?;
    Some(rec.stages.get(stage)?.conditions.get(&kind)?.status)
}

fn rules(e: &Engine, id: &str) -> Vec<RuleRecord> {
    e.records().rules_of_execution(id)
}

fn ran(e: &Engine, id: &str, action: &str) -> usize {
    e.records()
        .actions_of_execution(id)
        .iter()
        .filter(|a| a.action == action)
        .count()
}

async fn rule_in_progress(e: &Engine, id: &str) -> RuleRecord {
    until(e, "a rule in progress", |r| {
        r.rules_of_execution(id)
            .iter()
            .any(|x| x.status == R::InProgress && x.summary.is_some())
    })
    .await;
    rules(e, id).pop().unwrap()
}

#[test]
fn before_entry_fail_stops_the_execution_at_the_stage() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Fail, vec![rev_is("good")]),
            ..Default::default()
        });
        let bad = start(&e, &s, "bad").await;
        until_status(&e, &bad, PipelineExecutionStatus::Failed).await;
        assert_eq!(
            stage_status(&e, &bad, "Deploy"),
            Some(StageExecutionStatus::Failed)
        );
        assert_eq!(ran(&e, &bad, "d"), 0, "the stage's actions never ran");
        assert_eq!(
            condition(&e, &bad, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Failed)
        );
        let r = &rules(&e, &bad)[0];
        assert_eq!((r.status, r.rule.as_str()), (R::Failed, "RevCheck"));
        assert_eq!(r.resolved_configuration["Variable"], "bad");
        assert_eq!(r.configuration["Variable"], "#{Src.Out}");
        let summary = e.records().execution(&bad).unwrap().status_summary.unwrap();
        assert!(
            summary.contains("beforeEntry") && summary.contains("not equal to 'good'"),
            "{summary}"
        );
        let good = start(&e, &s, "good").await;
        until_status(&e, &good, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            condition(&e, &good, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Succeeded)
        );
        assert_eq!(rules(&e, &good)[0].status, R::Succeeded);
    });
}

#[test]
fn before_entry_skip_skips_the_stage_and_goes_on() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Skip, vec![rev_is("deploy")]),
            ..Default::default()
        });
        let mut rx = e.bus().subscribe();
        let id = start(&e, &s, "docs-only").await;
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            stage_status(&e, &id, "Deploy"),
            Some(StageExecutionStatus::Skipped)
        );
        assert_eq!(ran(&e, &id, "d"), 0);
        assert_eq!(ran(&e, &id, "v"), 1, "the next stage ran");
        let mut states = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            if ev.detail["stage"] == "Deploy" {
                states.push(ev.detail["state"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(states, ["STARTED", "SKIPPED"]);
    });
}

#[test]
fn on_success_reads_the_stage_variables_and_rolls_back() {
    run(async {
        let e = engine();
        let check = rule(
            "Deployed",
            "VariableCheck",
            &[
                ("Variable", "#{Dep.Out}"),
                ("Operator", "MATCHES"),
                ("Value", "v[0-9]+"),
            ],
        );
        let s = pipeline(StageConditions {
            on_success: cond(ConditionResult::Rollback, vec![check]),
            ..Default::default()
        });
        let first = start(&e, &s, "v1").await;
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            condition(&e, &first, "Deploy", ConditionKind::OnSuccess),
            Some(C::Succeeded)
        );
        let second = start(&e, &s, "broken").await;
        until_status(&e, &second, PipelineExecutionStatus::Failed).await;
        assert_eq!(
            stage_status(&e, &second, "Deploy"),
            Some(StageExecutionStatus::Failed)
        );
        assert_eq!(
            ran(&e, &second, "d"),
            1,
            "the actions ran; the condition failed the stage"
        );
        assert_eq!(ran(&e, &second, "v"), 0);
        until(&e, "an automated rollback", |r| {
            r.executions_of(&key()).len() == 3
        })
        .await;
        let back = e.records().executions_of(&key())[0].clone();
        assert_eq!(back.trigger.trigger_type, "AutomatedRollback");
        assert_eq!(back.rollback.as_ref().unwrap().target, first);
        until_status(&e, &back.id, PipelineExecutionStatus::Succeeded).await;
        assert!(
            rules(&e, &back.id).is_empty(),
            "a rollback evaluates no conditions"
        );
    });
}

#[test]
fn on_success_fail_fails_without_rollback() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            on_success: cond(ConditionResult::Fail, vec![rev_is("v1")]),
            ..Default::default()
        });
        let first = start(&e, &s, "v1").await;
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        let second = start(&e, &s, "v2").await;
        until_status(&e, &second, PipelineExecutionStatus::Failed).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(e.records().executions_of(&key()).len(), 2, "no rollback");
    });
}

#[test]
fn on_failure_result_engages_only_when_its_rules_fail() {
    run(async {
        let e = engine();
        let mut s = spec(
            ExecutionMode::Queued,
            vec![source(), ("Deploy", vec![action("bad", "Failing", 1)])],
        );
        // RETRY unless the revision is "final".
        Arc::make_mut(&mut s).stages[1].conditions = StageConditions {
            on_failure: cond(
                ConditionResult::Retry(RetryMode::FailedActions),
                vec![rev_is("final")],
            ),
            ..Default::default()
        };
        let retried = start(&e, &s, "v1").await;
        until_status(&e, &retried, PipelineExecutionStatus::Failed).await;
        assert_eq!(ran(&e, &retried, "bad"), 2, "retried once, automatically");
        let run = &e.records().execution(&retried).unwrap().stages["Deploy"];
        assert_eq!(run.auto_retries, 1);
        assert_eq!(run.conditions[&ConditionKind::OnFailure].status, C::Failed);
        assert_eq!(
            rules(&e, &retried).len(),
            1,
            "no second evaluation: no retry left"
        );
        let kept = start(&e, &s, "final").await;
        until_status(&e, &kept, PipelineExecutionStatus::Failed).await;
        assert_eq!(ran(&e, &kept, "bad"), 1, "the condition was met: no retry");
        assert_eq!(
            condition(&e, &kept, "Deploy", ConditionKind::OnFailure),
            Some(C::Succeeded)
        );
        let summary = e
            .records()
            .execution(&kept)
            .unwrap()
            .status_summary
            .unwrap();
        assert!(summary.contains("scripted failure"), "{summary}");
    });
}

#[test]
fn a_closed_window_waits_until_overridden() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Fail, vec![rev_is("v1"), window(CLOSED)]),
            ..Default::default()
        });
        let id = start(&e, &s, "v1").await;
        let waiting = rule_in_progress(&e, &id).await;
        assert_eq!(waiting.rule, "Window");
        assert!(
            waiting
                .summary
                .as_deref()
                .unwrap()
                .contains("2199-01-01T00:00:00Z"),
            "{:?}",
            waiting.summary
        );
        assert_eq!(rules(&e, &id)[0].status, R::Succeeded, "rules run in order");
        assert_eq!(
            stage_status(&e, &id, "Deploy"),
            Some(StageExecutionStatus::InProgress)
        );
        assert_eq!(
            e.records().execution(&id).unwrap().status,
            PipelineExecutionStatus::InProgress
        );
        // Refusals: another hook, another execution.
        let wrong = e
            .override_condition(&key(), "Deploy", &id, ConditionKind::OnSuccess, "me".into())
            .await;
        assert!(
            matches!(wrong, Err(EngineError::ConditionNotOverridable(_))),
            "{wrong:?}"
        );
        let other = e
            .override_condition(
                &key(),
                "Deploy",
                "00000000-0000-4000-8000-000000000000",
                ConditionKind::BeforeEntry,
                "me".into(),
            )
            .await;
        assert!(
            matches!(other, Err(EngineError::NotLatestExecution(_))),
            "{other:?}"
        );
        e.override_condition(
            &key(),
            "Deploy",
            &id,
            ConditionKind::BeforeEntry,
            "me".into(),
        )
        .await
        .unwrap();
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Overridden)
        );
        let w = rules(&e, &id).pop().unwrap();
        assert_eq!(
            (w.status, w.updated_by.as_deref()),
            (R::Abandoned, Some("me"))
        );
        let again = e
            .override_condition(
                &key(),
                "Deploy",
                &id,
                ConditionKind::BeforeEntry,
                "me".into(),
            )
            .await;
        assert!(
            matches!(again, Err(EngineError::ConditionNotOverridable(_))),
            "{again:?}"
        );
    });
}

#[test]
fn stopping_while_a_condition_evaluates_leaves_nothing_stuck() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Fail, vec![window(CLOSED)]),
            ..Default::default()
        });
        let first = start(&e, &s, "v1").await;
        rule_in_progress(&e, &first).await;
        e.stop_execution(&key(), &first, false, Some("enough".into()))
            .await
            .unwrap();
        until_status(&e, &first, PipelineExecutionStatus::Stopped).await;
        assert_eq!(
            condition(&e, &first, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Cancelled)
        );
        assert_eq!(
            stage_status(&e, &first, "Deploy"),
            Some(StageExecutionStatus::Stopped)
        );
        until(&e, "the rule abandoned", |r| {
            r.rules_of_execution(&first)[0].status == R::Abandoned
        })
        .await;
        // The stage is free: the next execution enters it and is abandoned in turn.
        let second = start(&e, &s, "v2").await;
        rule_in_progress(&e, &second).await;
        e.stop_execution(&key(), &second, true, None).await.unwrap();
        until_status(&e, &second, PipelineExecutionStatus::Stopped).await;
        assert_eq!(
            condition(&e, &second, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Abandoned)
        );
        let third = start(&e, &s, "v3").await;
        rule_in_progress(&e, &third).await;
        assert_eq!(e.records().runtime(&key()).stage_latest["Deploy"], third);
    });
}

#[test]
fn a_rule_that_waits_past_its_timeout_fails() {
    run(async {
        let config = EngineConfig {
            rule_timeout: Duration::from_millis(200),
            ..EngineConfig::default()
        };
        let e = engine_with(Store::memory().unwrap(), config);
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Skip, vec![window(CLOSED)]),
            ..Default::default()
        });
        let id = start(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            stage_status(&e, &id, "Deploy"),
            Some(StageExecutionStatus::Skipped)
        );
        let w = &rules(&e, &id)[0];
        assert_eq!(w.status, R::Failed);
        assert!(
            w.summary.as_deref().unwrap().contains("timeout"),
            "{:?}",
            w.summary
        );
    });
}

#[test]
fn open_windows_pass_and_unsupported_rules_error() {
    run(async {
        let e = engine();
        let s = pipeline(StageConditions {
            before_entry: cond(ConditionResult::Fail, vec![window(OPEN)]),
            on_success: cond(
                ConditionResult::Fail,
                vec![rule("Alarm", "CloudWatchAlarm", &[("AlarmName", "a")])],
            ),
            ..Default::default()
        });
        let id = start(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Succeeded)
        );
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::OnSuccess),
            Some(C::Errored)
        );
        let alarm = rules(&e, &id).pop().unwrap();
        assert_eq!(alarm.status, R::Failed);
        assert_eq!(alarm.error_details.unwrap().code, "ConfigurationError");
        assert!(alarm
            .summary
            .unwrap()
            .contains("does not support the CloudWatchAlarm"));
    });
}

#[test]
fn a_waiting_rule_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("simfra-conditions-{}", uuid::Uuid::new_v4()));
    let s = pipeline(StageConditions {
        on_success: cond(ConditionResult::Fail, vec![rev_is("v1"), window(CLOSED)]),
        ..Default::default()
    });
    let (id, waiting) = {
        let (dir, s) = (dir.clone(), s.clone());
        std::thread::spawn(move || {
            let mut out = None;
            actix::System::new().block_on(async {
                let e = engine_with(Store::open(&dir).unwrap(), EngineConfig::default());
                let id = start(&e, &s, "v1").await;
                let waiting = rule_in_progress(&e, &id).await;
                e.shutdown();
                out = Some((id, waiting));
            });
            out.unwrap()
        })
        .join()
        .unwrap()
    };
    run(async {
        let e = engine_with(Store::open(&dir).unwrap(), EngineConfig::default());
        until(&e, "the same rule waits again", |r| {
            r.rules_of_execution(&id)
                .iter()
                .any(|x| x.id == waiting.id && x.status == R::InProgress)
        })
        .await;
        // Re-attached: the rule that had succeeded is not run again, nor the stage's action.
        assert_eq!(rules(&e, &id).len(), 2);
        assert_eq!(ran(&e, &id, "d"), 1);
        // The condition actor re-attaches once the stage has finished again from its runs.
        until(&e, "the condition evaluating", |r| {
            r.execution(&id).unwrap().stages["Deploy"].conditions[&ConditionKind::OnSuccess].status
                == C::InProgress
        })
        .await;
        let mut attempt = 0;
        loop {
            let r = e
                .override_condition(&key(), "Deploy", &id, ConditionKind::OnSuccess, "me".into())
                .await;
            match r {
                Ok(()) => break,
                Err(EngineError::ConditionNotOverridable(_)) if attempt < 100 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(ran(&e, &id, "v"), 1);
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[path = "tests_commands.rs"]
mod commands;

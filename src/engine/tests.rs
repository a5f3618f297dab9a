//! Engine tests without HTTP: real actors on a real actix system, providers scripted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::providers::{
    ActionJob, ActionSuccess, NothingToCancel, Provider, Providers, Reporter, RunningAction,
};
use super::spec::*;
use super::status::*;
use super::*;
use crate::bus::EventBus;
use crate::store::Store;

/// Succeeds at once, emitting `Out=<configuration Value>`.
pub(super) struct Instant;
impl Provider for Instant {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let mut vars = BTreeMap::new();
        vars.insert(
            "Out".to_string(),
            job.configuration.get("Value").cloned().unwrap_or_default(),
        );
        reporter.succeeded(ActionSuccess {
            output_variables: vars,
            ..Default::default()
        });
        Box::new(NothingToCancel)
    }
}

/// Fails at once.
pub(super) struct Failing;
impl Provider for Failing {
    fn start(&self, _job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        reporter.failed("JobFailed", "scripted failure");
        Box::new(NothingToCancel)
    }
}

pub(super) fn action(name: &str, provider: &str, run_order: u32) -> ActionSpec {
    let category = if provider == "Manual" {
        "Approval"
    } else {
        "Build"
    };
    ActionSpec {
        name: name.into(),
        action_type: ActionTypeSpec {
            category: category.into(),
            owner: "AWS".into(),
            provider: provider.into(),
            version: "1".into(),
        },
        run_order,
        configuration: Default::default(),
        input_artifacts: vec![],
        output_artifacts: vec![],
        namespace: None,
        region: None,
        role_arn: None,
        timeout_in_minutes: None,
        commands: None,
    }
}

pub(super) fn spec(mode: ExecutionMode, stages: Vec<(&str, Vec<ActionSpec>)>) -> Arc<PipelineSpec> {
    Arc::new(PipelineSpec {
        name: "p".into(),
        version: 1,
        role_arn: "arn:aws:iam::000000000000:role/r".into(),
        execution_mode: mode,
        v2: true,
        artifact_bucket: "artifacts".into(),
        stages: stages
            .into_iter()
            .map(|(name, actions)| StageSpec {
                name: name.into(),
                actions,
                on_failure: None,
                conditions: Default::default(),
            })
            .collect(),
        variables: vec![],
    })
}

pub(super) fn engine() -> Engine {
    let mut providers = Providers::new();
    providers.register("Build", "AWS", "Instant", Arc::new(Instant));
    providers.register("Build", "AWS", "Failing", Arc::new(Failing));
    Engine::start(
        Arc::new(Store::memory().unwrap()),
        EventBus::default(),
        providers,
        EngineConfig::default(),
    )
    .unwrap()
}

pub(super) fn key() -> PipelineKey {
    PipelineKey::new("000000000000", "us-east-1", "p")
}

pub(super) async fn start(engine: &Engine, spec: &Arc<PipelineSpec>) -> String {
    engine
        .start_execution(StartRequest {
            key: key(),
            spec: spec.clone(),
            trigger: Trigger {
                trigger_type: "StartPipelineExecution".into(),
                trigger_detail: "test".into(),
            },
            variables: vec![],
            client_request_token: None,
            source_overrides: BTreeMap::new(),
        })
        .unwrap()
}

/// Waits until `f` holds for the records: woken by events, and re-checked every few
/// milliseconds for changes that publish none (queues in front of stages). What was seen is
/// then made durable, as the router does before it answers a client.
pub(super) async fn until(engine: &Engine, what: &str, f: impl Fn(&Records) -> bool) {
    let mut rx = engine.bus().subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !f(engine.records()) {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for: {what}");
        }
        let _ = tokio::time::timeout(Duration::from_millis(5), rx.recv()).await;
    }
    engine.durable().unwrap();
}

pub(super) fn status(engine: &Engine, id: &str) -> PipelineExecutionStatus {
    engine.records().execution(id).unwrap().status
}

pub(super) fn token(engine: &Engine, stage: &str, action: &str) -> Option<String> {
    engine
        .records()
        .latest_action(&key(), stage, action)
        .filter(|a| a.status == ActionExecutionStatus::InProgress)
        .and_then(|a| a.token)
}

pub(super) async fn approve(engine: &Engine, stage: &str, action: &str) {
    let t = token(engine, stage, action).expect("an approval is pending");
    engine
        .put_approval_result(&key(), stage, action, &t, true, None, "me".into())
        .await
        .unwrap();
}

pub(super) fn run<F: std::future::Future<Output = ()>>(f: F) {
    actix::System::new().block_on(f);
}

#[test]
fn runs_groups_in_order_and_passes_variables() {
    run(async {
        let e = engine();
        let mut a1 = action("a1", "Instant", 1);
        a1.namespace = Some("First".into());
        a1.configuration
            .insert("Value".into(), "#{codepipeline.PipelineExecutionId}".into());
        let mut a2 = action("a2", "Instant", 2);
        a2.configuration
            .insert("Value".into(), "got-#{First.Out}".into());
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Build", vec![a1, a2]),
            ],
        );
        let id = start(&e, &s).await;
        until(&e, "succeeded", |r| {
            r.execution(&id).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
        let a2 = e.records().latest_action(&key(), "Build", "a2").unwrap();
        assert_eq!(a2.resolved_configuration["Value"], format!("got-{id}"));
    });
}

#[test]
fn a_failure_fails_the_stage_and_skips_later_groups() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                (
                    "Build",
                    vec![action("bad", "Failing", 1), action("later", "Instant", 2)],
                ),
            ],
        );
        let id = start(&e, &s).await;
        until(&e, "failed", |r| {
            r.execution(&id).unwrap().status == PipelineExecutionStatus::Failed
        })
        .await;
        assert!(e
            .records()
            .latest_action(&key(), "Build", "later")
            .is_none());
        let rec = e.records().execution(&id).unwrap();
        assert_eq!(rec.error_details.unwrap().code, "JobFailed");
        assert_eq!(rec.stages["Build"].status, StageExecutionStatus::Failed);
    });
}

#[test]
fn unbuilt_providers_fail_clearly() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Nope", 1)]),
                ("B", vec![action("x", "Instant", 1)]),
            ],
        );
        let id = start(&e, &s).await;
        until(&e, "failed", |r| {
            r.execution(&id).unwrap().status == PipelineExecutionStatus::Failed
        })
        .await;
        let a = e.records().latest_action(&key(), "Source", "src").unwrap();
        assert!(a
            .error_details
            .unwrap()
            .message
            .contains("not supported by simfra yet"));
    });
}

#[test]
fn superseded_mode_supersedes_the_older_waiting_execution() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Gate", vec![action("ok", "Manual", 1)]),
            ],
        );
        let first = start(&e, &s).await;
        until(&e, "first waits for approval", |_| {
            token(&e, "Gate", "ok").is_some()
        })
        .await;
        let second = start(&e, &s).await;
        until(&e, "second waits", |r| {
            r.runtime(&key())
                .inbound
                .get("Gate")
                .is_some_and(|v| v.contains(&second))
        })
        .await;
        let third = start(&e, &s).await;
        until(&e, "second superseded", |r| {
            r.execution(&second).unwrap().status == PipelineExecutionStatus::Superseded
        })
        .await;
        approve(&e, "Gate", "ok").await;
        until(&e, "first succeeded", |r| {
            r.execution(&first).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
        until(&e, "third at approval", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&third)
                && token(&e, "Gate", "ok").is_some()
        })
        .await;
        approve(&e, "Gate", "ok").await;
        until(&e, "third succeeded", |r| {
            r.execution(&third).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
        assert_eq!(status(&e, &second), PipelineExecutionStatus::Superseded);
    });
}

#[test]
fn queued_mode_keeps_order() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Queued,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Gate", vec![action("ok", "Manual", 1)]),
            ],
        );
        let ids = [
            start(&e, &s).await,
            start(&e, &s).await,
            start(&e, &s).await,
        ];
        for id in &ids {
            until(&e, "next at approval", |r| {
                r.runtime(&key()).stage_latest.get("Gate") == Some(id)
                    && token(&e, "Gate", "ok").is_some()
            })
            .await;
            approve(&e, "Gate", "ok").await;
            until(&e, "succeeded", |r| {
                r.execution(id).unwrap().status == PipelineExecutionStatus::Succeeded
            })
            .await;
        }
        for id in &ids {
            assert_eq!(status(&e, id), PipelineExecutionStatus::Succeeded);
        }
    });
}

#[test]
fn parallel_mode_runs_side_by_side() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Parallel,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Gate", vec![action("ok", "Manual", 1)]),
            ],
        );
        let ids = [
            start(&e, &s).await,
            start(&e, &s).await,
            start(&e, &s).await,
        ];
        until(&e, "all three wait at the approval at once", |r| {
            r.actions_of_execution(&ids[0]).len() == 2
                && r.actions_of_execution(&ids[1]).len() == 2
                && r.actions_of_execution(&ids[2]).len() == 2
        })
        .await;
        for id in &ids {
            assert_eq!(status(&e, id), PipelineExecutionStatus::InProgress);
        }
    });
}

#[test]
fn disabled_transition_holds_and_enable_releases() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Deploy", vec![action("d", "Instant", 1)]),
            ],
        );
        e.set_transition(&key(), "Deploy", false, Some("freeze".into()), "me".into())
            .await
            .unwrap();
        let id = start(&e, &s).await;
        until(&e, "waits at Deploy", |r| {
            r.runtime(&key())
                .inbound
                .get("Deploy")
                .is_some_and(|v| v.contains(&id))
        })
        .await;
        assert_eq!(status(&e, &id), PipelineExecutionStatus::InProgress);
        e.set_transition(&key(), "Deploy", true, None, "me".into())
            .await
            .unwrap();
        until(&e, "succeeded", |r| {
            r.execution(&id).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
    });
}

#[test]
fn stop_wait_and_abandon() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Parallel,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                (
                    "Gate",
                    vec![action("ok", "Manual", 1), action("later", "Instant", 2)],
                ),
            ],
        );
        let waiting = start(&e, &s).await;
        until(&e, "approval pending", |r| {
            r.actions_of_execution(&waiting).len() == 2
        })
        .await;
        e.stop_execution(&key(), &waiting, false, Some("wait".into()))
            .await
            .unwrap();
        until(&e, "stopping", |r| {
            r.execution(&waiting).unwrap().status == PipelineExecutionStatus::Stopping
        })
        .await;
        let dup = e
            .stop_execution(&key(), &waiting, false, None)
            .await
            .unwrap_err();
        assert!(matches!(dup, EngineError::DuplicatedStop(_)));
        // The pending approval still finishes the group, then nothing else starts.
        approve(&e, "Gate", "ok").await;
        until(&e, "stopped", |r| {
            r.execution(&waiting).unwrap().status == PipelineExecutionStatus::Stopped
        })
        .await;
        assert!(e
            .records()
            .actions_of_execution(&waiting)
            .iter()
            .all(|a| a.action != "later"));

        let abandoned = start(&e, &s).await;
        until(&e, "approval pending", |r| {
            r.actions_of_execution(&abandoned).len() == 2
        })
        .await;
        e.stop_execution(&key(), &abandoned, true, None)
            .await
            .unwrap();
        until(&e, "stopped", |r| {
            r.execution(&abandoned).unwrap().status == PipelineExecutionStatus::Stopped
        })
        .await;
        let a = e.records().actions_of_execution(&abandoned);
        assert_eq!(
            a.iter().find(|x| x.action == "ok").unwrap().status,
            ActionExecutionStatus::Abandoned
        );
        let again = e
            .stop_execution(&key(), &abandoned, true, None)
            .await
            .unwrap_err();
        assert!(matches!(again, EngineError::NotStoppable(_)));
    });
}

#[test]
fn approvals_reject_and_check_tokens() {
    run(async {
        let e = engine();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                ("Gate", vec![action("ok", "Manual", 1)]),
            ],
        );
        let id = start(&e, &s).await;
        until(&e, "pending", |_| token(&e, "Gate", "ok").is_some()).await;
        let wrong = e
            .put_approval_result(
                &key(),
                "Gate",
                "ok",
                "00000000-0000-0000-0000-000000000000",
                true,
                None,
                "me".into(),
            )
            .await
            .unwrap_err();
        assert!(matches!(wrong, EngineError::InvalidApprovalToken(_)));
        let t = token(&e, "Gate", "ok").unwrap();
        e.put_approval_result(
            &key(),
            "Gate",
            "ok",
            &t,
            false,
            Some("no".into()),
            "me".into(),
        )
        .await
        .unwrap();
        until(&e, "failed", |r| {
            r.execution(&id).unwrap().status == PipelineExecutionStatus::Failed
        })
        .await;
        let twice = e
            .put_approval_result(&key(), "Gate", "ok", &t, true, None, "me".into())
            .await
            .unwrap_err();
        assert!(matches!(twice, EngineError::ApprovalAlreadyCompleted(_)));
    });
}

#[test]
fn an_approval_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("simfra-engine-restart-{}", uuid::Uuid::new_v4()));
    let s = spec(
        ExecutionMode::Queued,
        vec![
            ("Source", vec![action("src", "Instant", 1)]),
            ("Gate", vec![action("ok", "Manual", 1)]),
        ],
    );
    let start_on = |dir: &std::path::Path| {
        Engine::start(
            Arc::new(Store::open(dir).unwrap()),
            EventBus::default(),
            {
                let mut p = Providers::new();
                p.register("Build", "AWS", "Instant", Arc::new(Instant));
                p
            },
            EngineConfig::default(),
        )
        .unwrap()
    };
    let (first, queued, pending_token) = {
        let dir = dir.clone();
        let s = s.clone();
        std::thread::spawn(move || {
            let mut out = None;
            actix::System::new().block_on(async {
                let e = start_on(&dir);
                let first = start(&e, &s).await;
                until(&e, "pending", |_| token(&e, "Gate", "ok").is_some()).await;
                let queued = start(&e, &s).await;
                until(&e, "queued", |r| {
                    r.runtime(&key())
                        .inbound
                        .get("Gate")
                        .is_some_and(|v| v.contains(&queued))
                })
                .await;
                out = Some((first, queued, token(&e, "Gate", "ok").unwrap()));
            });
            out.unwrap()
        })
        .join()
        .unwrap()
    };
    // A new system on the same data directory: the execution is still waiting, same token.
    run(async {
        let e = start_on(&dir);
        until(&e, "resumed with the same token", |_| {
            token(&e, "Gate", "ok").as_deref() == Some(pending_token.as_str())
        })
        .await;
        assert_eq!(status(&e, &first), PipelineExecutionStatus::InProgress);
        approve(&e, "Gate", "ok").await;
        until(&e, "first succeeded", |r| {
            r.execution(&first).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
        until(&e, "queued one enters", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&queued)
                && token(&e, "Gate", "ok").is_some()
        })
        .await;
        approve(&e, "Gate", "ok").await;
        until(&e, "queued succeeded", |r| {
            r.execution(&queued).unwrap().status == PipelineExecutionStatus::Succeeded
        })
        .await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn events_arrive_once_each_in_causal_order() {
    run(async {
        let e = engine();
        let mut rx = e.bus().subscribe();
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                ("Source", vec![action("src", "Instant", 1)]),
                (
                    "Build",
                    vec![action("b1", "Instant", 1), action("b2", "Instant", 2)],
                ),
            ],
        );
        let id = start(&e, &s).await;
        let mut seen = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(ev.source, "aws.codepipeline");
            assert_eq!(ev.detail["execution-id"], id.as_str());
            let d = &ev.detail;
            let label = match ev.detail_type.as_str() {
                "CodePipeline Pipeline Execution State Change" => {
                    format!("pipeline {}", d["state"].as_str().unwrap())
                }
                "CodePipeline Stage Execution State Change" => {
                    format!(
                        "stage {} {}",
                        d["stage"].as_str().unwrap(),
                        d["state"].as_str().unwrap()
                    )
                }
                _ => format!(
                    "action {} {}",
                    d["action"].as_str().unwrap(),
                    d["state"].as_str().unwrap()
                ),
            };
            let done = label == "pipeline SUCCEEDED";
            seen.push(label);
            if done {
                break;
            }
        }
        assert_eq!(
            seen,
            [
                "pipeline STARTED",
                "stage Source STARTED",
                "action src STARTED",
                "action src SUCCEEDED",
                "stage Source SUCCEEDED",
                "stage Build STARTED",
                "action b1 STARTED",
                "action b1 SUCCEEDED",
                "action b2 STARTED",
                "action b2 SUCCEEDED",
                "stage Build SUCCEEDED",
                "pipeline SUCCEEDED",
            ]
        );
    });
}

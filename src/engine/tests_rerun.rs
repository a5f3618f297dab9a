//! Engine tests of stage retries and rollbacks (manual and from `onFailure`), on real actors
//! with scripted providers: a `Flaky` action fails while its resolved `Value` has failures
//! left, so a test decides which execution fails and when the cause is fixed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::providers::{ActionJob, Provider, Providers, Reporter, RunningAction};
use super::spec::*;
use super::status::*;
use super::tests::{action, key, run, spec, status, token, until, Instant};
use super::*;
use crate::bus::EventBus;
use crate::store::Store;

/// Emits `Out=<Value>` like `Instant`, but fails while `Value` has failures left.
#[derive(Default, Clone)]
struct Flaky {
    fails: Arc<Mutex<HashMap<String, u32>>>,
}

impl Flaky {
    fn fail(&self, value: &str, times: u32) {
        self.fails.lock().unwrap().insert(value.into(), times);
    }

    fn fix(&self, value: &str) {
        self.fails.lock().unwrap().remove(value);
    }
}

impl Provider for Flaky {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let value = job.configuration.get("Value").cloned().unwrap_or_default();
        let fail = match self.fails.lock().unwrap().get_mut(&value) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        if fail {
            reporter.failed("JobFailed", format!("scripted failure for {value}"));
            return Box::new(super::providers::NothingToCancel);
        }
        Instant.start(job, reporter)
    }
}

fn engine_on(store: Store, flaky: &Flaky) -> Engine {
    let mut providers = Providers::new();
    providers.register("Build", "AWS", "Instant", Arc::new(Instant));
    providers.register("Build", "AWS", "Flaky", Arc::new(flaky.clone()));
    Engine::start(
        Arc::new(store),
        EventBus::default(),
        providers,
        EngineConfig::default(),
    )
    .unwrap()
}

fn engine(flaky: &Flaky) -> Engine {
    engine_on(Store::memory().unwrap(), flaky)
}

fn with(mut a: ActionSpec, f: impl FnOnce(&mut ActionSpec)) -> ActionSpec {
    f(&mut a);
    a
}

fn value(a: ActionSpec, v: &str) -> ActionSpec {
    with(a, |a| {
        a.configuration.insert("Value".into(), v.into());
    })
}

/// A source stage whose action emits `Src.Out = #{variables.Rev}` and artifact `Out`.
fn source() -> (&'static str, Vec<ActionSpec>) {
    let src = with(
        value(action("src", "Instant", 1), "#{variables.Rev}"),
        |a| {
            a.namespace = Some("Src".into());
            a.output_artifacts = vec!["Out".into()];
        },
    );
    ("Source", vec![src])
}

async fn start_rev(e: &Engine, s: &Arc<PipelineSpec>, rev: &str) -> String {
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

/// Runs of `action` in execution `id`, oldest first.
fn runs(e: &Engine, id: &str, action: &str) -> Vec<records::ActionRecord> {
    e.records()
        .actions_of_execution(id)
        .into_iter()
        .filter(|a| a.action == action)
        .collect()
}

async fn retry(e: &Engine, id: &str, stage: &str, mode: RetryMode) -> Result<(), EngineError> {
    e.retry_stage(&key(), stage, id, mode, 1).await
}

async fn rollback(
    e: &Engine,
    s: &Arc<PipelineSpec>,
    stage: &str,
    target: &str,
) -> Result<String, EngineError> {
    let trigger = Trigger {
        trigger_type: "ManualRollback".into(),
        trigger_detail: "test".into(),
    };
    e.rollback_stage(&key(), s.clone(), stage, target, trigger)
        .await
}

/// Build: `ok` (namespace First) and `flaky` in group 1, `later` (reads First.Out) in group 2.
fn build_stage() -> (&'static str, Vec<ActionSpec>) {
    let ok = with(value(action("ok", "Instant", 1), "#{Src.Out}"), |a| {
        a.namespace = Some("First".into());
    });
    let flaky = value(action("flaky", "Flaky", 1), "#{Src.Out}");
    let later = value(action("later", "Instant", 2), "got-#{First.Out}");
    ("Build", vec![ok, flaky, later])
}

fn labels(events: &[Arc<crate::bus::Event>]) -> Vec<String> {
    events
        .iter()
        .map(|ev| {
            let d = &ev.detail;
            let what = d["action"]
                .as_str()
                .or(d["stage"].as_str())
                .unwrap_or("pipeline");
            format!("{what} {}", d["state"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn failed_actions_retry_keeps_succeeded_runs_and_their_outputs() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = spec(
            ExecutionMode::Superseded,
            vec![
                source(),
                build_stage(),
                ("Deploy", vec![action("d", "Instant", 1)]),
            ],
        );
        flaky.fail("v1", u32::MAX);
        let id = start_rev(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        assert!(runs(&e, &id, "later").is_empty(), "group 2 never started");
        flaky.fix("v1");
        let mut rx = e.bus().subscribe();
        retry(&e, &id, "Build", RetryMode::FailedActions)
            .await
            .unwrap();
        // The same execution is no longer failed (its instant actions may even be done).
        assert_ne!(status(&e, &id), PipelineExecutionStatus::Failed);
        let mut events = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
                .unwrap();
            let done = ev.detail["state"] == "SUCCEEDED" && ev.detail.get("stage").is_none();
            events.push(ev);
            if done {
                break;
            }
        }
        assert_eq!(status(&e, &id), PipelineExecutionStatus::Succeeded);
        assert_eq!(
            runs(&e, &id, "ok").len(),
            1,
            "the succeeded action did not run again"
        );
        assert_eq!(runs(&e, &id, "flaky").len(), 2);
        let later = runs(&e, &id, "later");
        assert_eq!(later.len(), 1);
        assert_eq!(
            later[0].resolved_configuration["Value"], "got-v1",
            "the kept run's variables are still there"
        );
        let rec = e.records().execution(&id).unwrap();
        assert_eq!(rec.stages["Build"].manual_retries, 1);
        assert_eq!(
            rec.stages["Build"].latest_retry_trigger,
            Some(RetryTrigger::ManualStageRetry)
        );
        assert!(rec.retry.is_none() && rec.error_details.is_none());
        // The failed end is written before its events are published: they may still arrive
        // after the record showed it. The retry's own events start with the resumption.
        let seen = labels(&events);
        let resumed = seen.iter().position(|l| l == "pipeline RESUMED").unwrap();
        assert_eq!(
            seen[resumed..],
            [
                "pipeline RESUMED",
                "Build RESUMED",
                "flaky STARTED",
                "flaky SUCCEEDED",
                "later STARTED",
                "later SUCCEEDED",
                "Build SUCCEEDED",
                "Deploy STARTED",
                "d STARTED",
                "d SUCCEEDED",
                "Deploy SUCCEEDED",
                "pipeline SUCCEEDED",
            ]
        );
    });
}

#[test]
fn all_actions_retry_runs_every_action_again() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = spec(ExecutionMode::Queued, vec![source(), build_stage()]);
        flaky.fail("v1", 1);
        let id = start_rev(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        retry(&e, &id, "Build", RetryMode::AllActions)
            .await
            .unwrap();
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(runs(&e, &id, "ok").len(), 2);
        assert_eq!(runs(&e, &id, "flaky").len(), 2);
        assert_eq!(
            runs(&e, &id, "src").len(),
            1,
            "earlier stages are not run again"
        );
        // The stage's latest action executions are the new ones.
        let ok = e.records().latest_action(&key(), "Build", "ok").unwrap();
        assert_eq!(ok.id, runs(&e, &id, "ok")[1].id);
    });
}

#[test]
fn a_stopped_stage_can_be_retried() {
    run(async {
        let e = engine(&Flaky::default());
        let s = spec(
            ExecutionMode::Parallel,
            vec![source(), ("Gate", vec![action("ok", "Manual", 1)])],
        );
        let id = start_rev(&e, &s, "v1").await;
        until(&e, "approval pending", |_| {
            token(&e, "Gate", "ok").is_some()
        })
        .await;
        e.stop_execution(&key(), &id, true, Some("enough".into()))
            .await
            .unwrap();
        until_status(&e, &id, PipelineExecutionStatus::Stopped).await;
        retry(&e, &id, "Gate", RetryMode::FailedActions)
            .await
            .unwrap();
        let rec = e.records().execution(&id).unwrap();
        assert!(rec.stop_reason.is_none() && rec.stop_mode.is_none());
        until(&e, "a new approval", |_| token(&e, "Gate", "ok").is_some()).await;
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        let gate = runs(&e, &id, "ok");
        assert_eq!(gate.len(), 2);
        assert_eq!(gate[0].status, ActionExecutionStatus::Abandoned);
    });
}

#[test]
fn retry_refusals() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = spec(
            ExecutionMode::Queued,
            vec![
                source(),
                (
                    "Build",
                    vec![value(action("flaky", "Flaky", 1), "#{Src.Out}")],
                ),
                ("Gate", vec![action("ok", "Manual", 1)]),
            ],
        );
        let never = retry(
            &e,
            "00000000-0000-4000-8000-000000000000",
            "Build",
            RetryMode::FailedActions,
        )
        .await;
        assert!(
            matches!(never, Err(EngineError::StageNotRetryable(_))),
            "{never:?}"
        );
        flaky.fail("v1", u32::MAX);
        flaky.fail("v2", u32::MAX);
        let first = start_rev(&e, &s, "v1").await;
        until_status(&e, &first, PipelineExecutionStatus::Failed).await;
        // The succeeded source stage has nothing to retry.
        let ok_stage = retry(&e, &first, "Source", RetryMode::AllActions).await;
        assert!(
            matches!(ok_stage, Err(EngineError::StageNotRetryable(_))),
            "{ok_stage:?}"
        );
        // A stage it never reached.
        let unreached = retry(&e, &first, "Gate", RetryMode::AllActions).await;
        assert!(
            matches!(unreached, Err(EngineError::StageNotRetryable(_))),
            "{unreached:?}"
        );
        // An execution of another pipeline version.
        let changed = e
            .retry_stage(&key(), "Build", &first, RetryMode::AllActions, 2)
            .await;
        assert!(
            matches!(changed, Err(EngineError::StageNotRetryable(_))),
            "{changed:?}"
        );
        // A newer execution fails in the same stage: the first is no longer the latest.
        let second = start_rev(&e, &s, "v2").await;
        until_status(&e, &second, PipelineExecutionStatus::Failed).await;
        let stale = retry(&e, &first, "Build", RetryMode::FailedActions).await;
        assert!(
            matches!(stale, Err(EngineError::NotLatestExecution(_))),
            "{stale:?}"
        );
        let unknown = retry(
            &e,
            "00000000-0000-4000-8000-000000000000",
            "Build",
            RetryMode::FailedActions,
        )
        .await;
        assert!(
            matches!(unknown, Err(EngineError::NotLatestExecution(_))),
            "{unknown:?}"
        );
        // The second is retried, passes Build and waits at the approval: in progress there.
        flaky.fix("v2");
        retry(&e, &second, "Build", RetryMode::FailedActions)
            .await
            .unwrap();
        until(&e, "approval pending", |_| {
            token(&e, "Gate", "ok").is_some()
        })
        .await;
        let running = retry(&e, &second, "Build", RetryMode::FailedActions).await;
        assert!(
            matches!(running, Err(EngineError::StageNotRetryable(_))),
            "{running:?}"
        );
        // A rejection fails Gate; its retry waits at a new approval, and a second retry of the
        // same stage meanwhile is a conflict.
        let t = token(&e, "Gate", "ok").unwrap();
        e.put_approval_result(&key(), "Gate", "ok", &t, false, None, "me".into())
            .await
            .unwrap();
        until_status(&e, &second, PipelineExecutionStatus::Failed).await;
        retry(&e, &second, "Gate", RetryMode::FailedActions)
            .await
            .unwrap();
        let again = retry(&e, &second, "Gate", RetryMode::FailedActions).await;
        assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");
        until(&e, "new approval", |_| {
            token(&e, "Gate", "ok").is_some_and(|n| n != t)
        })
        .await;
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &second, PipelineExecutionStatus::Succeeded).await;
        let done = retry(&e, &second, "Gate", RetryMode::FailedActions).await;
        assert!(
            matches!(done, Err(EngineError::StageNotRetryable(_))),
            "{done:?}"
        );
    });
}

#[test]
fn a_retry_takes_its_stage_back_before_executions_waiting_in_front_of_it() {
    run(async {
        let e = engine(&Flaky::default());
        let s = spec(
            ExecutionMode::Queued,
            vec![source(), ("Gate", vec![action("ok", "Manual", 1)])],
        );
        let first = start_rev(&e, &s, "v1").await;
        until(&e, "first at the approval", |_| {
            token(&e, "Gate", "ok").is_some()
        })
        .await;
        e.set_transition(&key(), "Gate", false, Some("hold".into()), "me".into())
            .await
            .unwrap();
        let second = start_rev(&e, &s, "v2").await;
        until(&e, "second waits", |r| {
            r.runtime(&key())
                .inbound
                .get("Gate")
                .is_some_and(|v| v.contains(&second))
        })
        .await;
        let t = token(&e, "Gate", "ok").unwrap();
        e.put_approval_result(&key(), "Gate", "ok", &t, false, None, "me".into())
            .await
            .unwrap();
        until_status(&e, &first, PipelineExecutionStatus::Failed).await;
        // The transition is disabled, yet the retry re-enters: it never left the stage.
        retry(&e, &first, "Gate", RetryMode::FailedActions)
            .await
            .unwrap();
        e.set_transition(&key(), "Gate", true, None, "me".into())
            .await
            .unwrap();
        until(&e, "first's new approval", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&first)
                && token(&e, "Gate", "ok").is_some_and(|n| n != t)
        })
        .await;
        assert_eq!(
            e.records().inbound(&key(), "Gate"),
            std::slice::from_ref(&second)
        );
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        until(&e, "second enters", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&second)
        })
        .await;
    });
}

#[test]
fn a_retry_in_progress_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("simfra-retry-restart-{}", uuid::Uuid::new_v4()));
    let flaky = Flaky::default();
    // Gate: an approval, then `c` and `f` together; f fails the first time.
    let s = spec(
        ExecutionMode::Superseded,
        vec![
            source(),
            (
                "Gate",
                vec![
                    action("ok", "Manual", 1),
                    value(action("c", "Instant", 2), "#{Src.Out}"),
                    value(action("f", "Flaky", 2), "#{Src.Out}"),
                ],
            ),
        ],
    );
    flaky.fail("v1", 1);
    let (id, pending) = {
        let (dir, s, flaky) = (dir.clone(), s.clone(), flaky.clone());
        std::thread::spawn(move || {
            let mut out = None;
            actix::System::new().block_on(async {
                let e = engine_on(Store::open(&dir).unwrap(), &flaky);
                let id = start_rev(&e, &s, "v1").await;
                until(&e, "approval", |_| token(&e, "Gate", "ok").is_some()).await;
                super::tests::approve(&e, "Gate", "ok").await;
                until_status(&e, &id, PipelineExecutionStatus::Failed).await;
                retry(&e, &id, "Gate", RetryMode::AllActions).await.unwrap();
                until(&e, "new approval", |_| {
                    token(&e, "Gate", "ok").is_some() && runs(&e, &id, "ok").len() == 2
                })
                .await;
                out = Some((id, token(&e, "Gate", "ok").unwrap()));
            });
            out.unwrap()
        })
        .join()
        .unwrap()
    };
    run(async {
        let e = engine_on(Store::open(&dir).unwrap(), &flaky);
        until(&e, "the same approval waits", |_| {
            token(&e, "Gate", "ok").as_deref() == Some(pending.as_str())
        })
        .await;
        assert_eq!(status(&e, &id), PipelineExecutionStatus::InProgress);
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        // ALL_ACTIONS: c ran again although its first run had succeeded.
        assert_eq!(runs(&e, &id, "c").len(), 2);
        assert_eq!(runs(&e, &id, "f").len(), 2);
        assert_eq!(runs(&e, &id, "ok").len(), 2);
        assert!(e.records().execution(&id).unwrap().retry.is_none());
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Source, then Deploy: `d` (Flaky) deploys artifact `Out` with `Value = #{Src.Out}`.
fn rollback_spec(mode: ExecutionMode, on_failure: Option<FailurePolicy>) -> Arc<PipelineSpec> {
    let d = with(value(action("d", "Flaky", 1), "#{Src.Out}"), |a| {
        a.input_artifacts = vec!["Out".into()];
    });
    let mut s = spec(mode, vec![source(), ("Deploy", vec![d])]);
    Arc::make_mut(&mut s).stages[1].on_failure = on_failure;
    s
}

#[test]
fn rollback_runs_the_stage_again_with_the_target_artifacts_and_variables() {
    run(async {
        let e = engine(&Flaky::default());
        let s = rollback_spec(ExecutionMode::Superseded, None);
        let first = start_rev(&e, &s, "v1").await;
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        let second = start_rev(&e, &s, "v2").await;
        until_status(&e, &second, PipelineExecutionStatus::Succeeded).await;
        let back = rollback(&e, &s, "Deploy", &first).await.unwrap();
        until_status(&e, &back, PipelineExecutionStatus::Succeeded).await;
        let rec = e.records().execution(&back).unwrap();
        assert_eq!(rec.execution_type, "ROLLBACK");
        assert_eq!(rec.trigger.trigger_type, "ManualRollback");
        assert_eq!(rec.rollback.as_ref().unwrap().target, first);
        assert!(!rec.stages.contains_key("Source"), "only the stage is run");
        let d = runs(&e, &back, "d");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].resolved_configuration["Value"], "v1");
        let first_out = &runs(&e, &first, "src")[0].output_artifacts[0];
        assert_eq!(
            &d[0].input_artifacts[0], first_out,
            "the target's artifact is deployed"
        );
        assert_eq!(
            e.records().runtime(&key()).stage_latest["Deploy"],
            back,
            "the stage's latest run is the rollback"
        );
        // A rollback is not a target, and the first stage cannot be rolled back.
        let of_rollback = rollback(&e, &s, "Deploy", &back).await;
        assert!(
            matches!(of_rollback, Err(EngineError::UnableToRollback(_))),
            "{of_rollback:?}"
        );
        let source = rollback(&e, &s, "Source", &first).await;
        assert!(
            matches!(source, Err(EngineError::UnableToRollback(_))),
            "{source:?}"
        );
    });
}

#[test]
fn rollback_refusals() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = rollback_spec(ExecutionMode::Queued, None);
        let missing = rollback(&e, &s, "Deploy", "00000000-0000-4000-8000-000000000000").await;
        assert!(
            matches!(missing, Err(EngineError::ExecutionNotFound(_))),
            "{missing:?}"
        );
        flaky.fail("v1", u32::MAX);
        let failed = start_rev(&e, &s, "v1").await;
        until_status(&e, &failed, PipelineExecutionStatus::Failed).await;
        let not_ok = rollback(&e, &s, "Deploy", &failed).await;
        assert!(
            matches!(not_ok, Err(EngineError::UnableToRollback(_))),
            "{not_ok:?}"
        );
        let good = start_rev(&e, &s, "v2").await;
        until_status(&e, &good, PipelineExecutionStatus::Succeeded).await;
        // The pipeline was updated since: the target is outdated.
        let mut v2 = (*s).clone();
        v2.version = 2;
        let outdated = rollback(&e, &Arc::new(v2), "Deploy", &good).await;
        assert!(
            matches!(outdated, Err(EngineError::ExecutionOutdated(_))),
            "{outdated:?}"
        );
        // V1 pipelines and PARALLEL mode have no rollback.
        let mut v1 = (*s).clone();
        v1.v2 = false;
        let v1 = rollback(&e, &Arc::new(v1), "Deploy", &good).await;
        assert!(
            matches!(v1, Err(EngineError::UnableToRollback(_))),
            "{v1:?}"
        );
        let mut parallel = (*s).clone();
        parallel.execution_mode = ExecutionMode::Parallel;
        let parallel = rollback(&e, &Arc::new(parallel), "Deploy", &good).await;
        assert!(
            matches!(parallel, Err(EngineError::UnableToRollback(_))),
            "{parallel:?}"
        );
    });
}

#[test]
fn rollback_is_refused_while_the_stage_runs() {
    run(async {
        let e = engine(&Flaky::default());
        let s = spec(
            ExecutionMode::Superseded,
            vec![source(), ("Gate", vec![action("ok", "Manual", 1)])],
        );
        let first = start_rev(&e, &s, "v1").await;
        until(&e, "approval", |_| token(&e, "Gate", "ok").is_some()).await;
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        let second = start_rev(&e, &s, "v2").await;
        until(&e, "second at the approval", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&second)
                && token(&e, "Gate", "ok").is_some()
        })
        .await;
        let busy = rollback(&e, &s, "Gate", &first).await;
        assert!(
            matches!(busy, Err(EngineError::UnableToRollback(_))),
            "{busy:?}"
        );
        // Once the stage is free, the rollback runs it (its approval waits) and a second
        // rollback of the same stage meanwhile conflicts.
        e.stop_execution(&key(), &second, true, None).await.unwrap();
        until_status(&e, &second, PipelineExecutionStatus::Stopped).await;
        let back = rollback(&e, &s, "Gate", &first).await.unwrap();
        let twice = rollback(&e, &s, "Gate", &first).await;
        assert!(matches!(twice, Err(EngineError::Conflict(_))), "{twice:?}");
        // And so does a retry of the stopped execution.
        let retried = retry(&e, &second, "Gate", RetryMode::FailedActions).await;
        assert!(
            matches!(retried, Err(EngineError::Conflict(_))),
            "{retried:?}"
        );
        until(&e, "rollback's approval", |r| {
            r.runtime(&key()).stage_latest.get("Gate") == Some(&back)
                && token(&e, "Gate", "ok").is_some()
        })
        .await;
        super::tests::approve(&e, "Gate", "ok").await;
        until_status(&e, &back, PipelineExecutionStatus::Succeeded).await;
    });
}

#[test]
fn on_failure_rollback_returns_to_the_last_success() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = rollback_spec(ExecutionMode::Superseded, Some(FailurePolicy::Rollback));
        let good = start_rev(&e, &s, "v1").await;
        until_status(&e, &good, PipelineExecutionStatus::Succeeded).await;
        flaky.fail("v2", u32::MAX);
        let bad = start_rev(&e, &s, "v2").await;
        until_status(&e, &bad, PipelineExecutionStatus::Failed).await;
        until(&e, "a rollback started", |r| {
            r.executions_of(&key()).len() == 3
        })
        .await;
        let back = e.records().executions_of(&key())[0].clone();
        assert_eq!(back.trigger.trigger_type, "AutomatedRollback");
        assert_eq!(back.trigger.trigger_detail, bad);
        assert_eq!(back.rollback.as_ref().unwrap().target, good);
        until_status(&e, &back.id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(
            runs(&e, &back.id, "d")[0].resolved_configuration["Value"],
            "v1"
        );
        // A failed rollback is not rolled back again.
        flaky.fail("v1", u32::MAX);
        let again = rollback(&e, &s, "Deploy", &good).await.unwrap();
        until_status(&e, &again, PipelineExecutionStatus::Failed).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(e.records().executions_of(&key()).len(), 4);
        // A failed rollback can be retried: it runs again with its target's artifacts.
        flaky.fix("v1");
        retry_ok(&e, &again).await;
        until_status(&e, &again, PipelineExecutionStatus::Succeeded).await;
        let d = runs(&e, &again, "d");
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].resolved_configuration["Value"], "v1");
        assert_eq!(d[1].input_artifacts, d[0].input_artifacts);
    });
}

#[test]
fn on_failure_without_an_earlier_success_only_fails() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let s = rollback_spec(ExecutionMode::Queued, Some(FailurePolicy::Rollback));
        flaky.fail("v1", u32::MAX);
        let bad = start_rev(&e, &s, "v1").await;
        until_status(&e, &bad, PipelineExecutionStatus::Failed).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(e.records().executions_of(&key()).len(), 1);
    });
}

#[test]
fn on_failure_retry_runs_the_stage_once_more() {
    run(async {
        let flaky = Flaky::default();
        let e = engine(&flaky);
        let retry = Some(FailurePolicy::Retry(RetryMode::FailedActions));
        let s = rollback_spec(ExecutionMode::Superseded, retry);
        flaky.fail("v1", 1);
        let healed = start_rev(&e, &s, "v1").await;
        until_status(&e, &healed, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(runs(&e, &healed, "d").len(), 2);
        let run = &e.records().execution(&healed).unwrap().stages["Deploy"];
        assert_eq!((run.auto_retries, run.manual_retries), (1, 0));
        assert_eq!(
            run.latest_retry_trigger,
            Some(RetryTrigger::AutomatedStageRetry)
        );
        flaky.fail("v2", 2);
        let broken = start_rev(&e, &s, "v2").await;
        until_status(&e, &broken, PipelineExecutionStatus::Failed).await;
        assert_eq!(runs(&e, &broken, "d").len(), 2, "one automatic retry only");
        // A manual retry still works afterwards.
        retry_ok(&e, &broken).await;
        until_status(&e, &broken, PipelineExecutionStatus::Succeeded).await;
    });
}

async fn retry_ok(e: &Engine, id: &str) {
    retry(e, id, "Deploy", RetryMode::FailedActions)
        .await
        .unwrap();
}

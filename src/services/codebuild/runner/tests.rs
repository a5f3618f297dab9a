//! Runner tests on the scripted fake runtime: builds go through `CodeBuild::start` (or the
//! pipeline port) into a real `Runner` with an in-memory store, CloudWatch Logs, S3 and an
//! event bus, and each test waits for the build through `Runner::when_done` (a callback, never
//! a polling loop). This file has the harness, a successful build and the restart; failing
//! commands, early ends and the pipeline port have files of their own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};

use super::{Runner, RunnerConfig};
use crate::bus::{Event, EventBus};
use crate::runtime::fake::FakeRuntime;
use crate::runtime::ContainerRuntime;
use crate::services::codebuild::model::*;
use crate::services::codebuild::state::State;
use crate::services::codebuild::CodeBuild;
use crate::services::logs::storage::{Key, Take};
use crate::services::logs::Logs;
use crate::services::s3;
use crate::store::Store;

#[path = "tests_commands.rs"]
mod commands;
#[path = "tests_failures.rs"]
mod failures;
#[path = "tests_interrupts.rs"]
mod interrupts;
#[path = "tests_pipeline.rs"]
mod pipeline;
#[path = "tests_rules.rs"]
mod rules;

pub(super) const ACCOUNT: &str = "123456789012";
pub(super) const REGION: &str = "us-east-1";
/// The local image `aws/codebuild/*` images map to.
pub(super) const LOCAL_IMAGE: &str = "simfra/codebuild-test:local";

pub(super) struct Harness {
    pub cb: CodeBuild,
    pub fake: Arc<FakeRuntime>,
    pub logs: Arc<Logs>,
    pub s3: s3::ObjectStore,
    pub events: broadcast::Receiver<Arc<Event>>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(
            Arc::new(Store::memory().unwrap()),
            FakeRuntime::new(),
            Duration::from_secs(60),
        )
    }

    /// A runner on `store` driving `fake`; `minute` is how long a minute of timeout lasts.
    pub fn with(store: Arc<Store>, fake: FakeRuntime, minute: Duration) -> Harness {
        let fake = Arc::new(fake);
        Harness::wrapped(store, fake.clone(), fake, minute)
    }

    /// A runner driving `runtime`, which wraps `fake`.
    pub fn wrapped(
        store: Arc<Store>,
        fake: Arc<FakeRuntime>,
        runtime: Arc<dyn ContainerRuntime>,
        minute: Duration,
    ) -> Harness {
        let logs = Arc::new(Logs::new(store.clone()).unwrap());
        let s3 = s3::ObjectStore::open(store.clone(), REGION, ACCOUNT).unwrap();
        let bus = EventBus::default();
        let events = bus.subscribe();
        let state = Arc::new(State::load(store.clone()).unwrap());
        let config = RunnerConfig {
            container_endpoint: None,
            docker_unavailable: None,
            codebuild_image: Some(LOCAL_IMAGE.into()),
            minute,
            work_dir: store.blob_root().join("codebuild-work"),
            network: None,
            extra_hosts: Vec::new(),
        };
        let runner = Runner::start(
            state.clone(),
            logs.clone(),
            Arc::new(s3.clone()),
            None,
            Some(runtime),
            bus,
            config,
        )
        .unwrap();
        Harness {
            cb: CodeBuild { state, runner },
            fake,
            logs,
            s3,
            events,
        }
    }

    /// Creates a project whose source is `source` (NO_SOURCE, CODEPIPELINE, ...).
    pub fn project(&self, name: &str, source: ProjectSource) {
        let pipeline = source.r#type == "CODEPIPELINE";
        self.cb
            .state
            .create_project(ACCOUNT, REGION, project(name, source, pipeline))
            .unwrap();
    }

    /// A NO_SOURCE project running `buildspec`, built once; the finished build.
    pub async fn run(&self, name: &str, buildspec: &str) -> Build {
        self.project(name, no_source());
        let b = self.start(name, buildspec, None);
        self.done(&b.id).await
    }

    pub fn start(&self, name: &str, buildspec: &str, timeout: Option<i64>) -> Build {
        let input = StartBuildInput {
            project_name: name.into(),
            buildspec_override: Some(buildspec.into()),
            timeout_in_minutes_override: timeout,
            ..Default::default()
        };
        self.cb
            .start(ACCOUNT, REGION, input, None, "tester".into())
            .unwrap()
    }

    /// The build once it is complete (through `when_done`, never by polling).
    pub async fn done(&self, id: &str) -> Build {
        let (tx, rx) = oneshot::channel();
        self.cb.runner.when_done(
            ACCOUNT,
            REGION,
            id,
            Box::new(move |b| {
                let _ = tx.send(b.clone());
            }),
        );
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the build did not finish")
            .expect("the waiter was dropped")
    }

    /// The build's log messages, in order.
    pub fn log(&self, b: &Build) -> Vec<String> {
        let (_, stream) = self
            .logs
            .state
            .stream(ACCOUNT, REGION, &b.logs.group_name, &b.logs.stream_name)
            .unwrap();
        let all = Take {
            from_end: false,
            max_events: usize::MAX,
            max_bytes: usize::MAX,
        };
        let slice = stream.events.range(Key::MIN, Key::MAX, all).unwrap();
        slice
            .read()
            .unwrap()
            .into_iter()
            .map(|r| r.message)
            .collect()
    }

    /// The events published so far about build `arn`.
    pub fn events(&mut self, arn: &str) -> Vec<Arc<Event>> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            if e.resources.iter().any(|r| r == arn) {
                out.push(e);
            }
        }
        out
    }
}

pub(super) fn project(name: &str, source: ProjectSource, pipeline: bool) -> Project {
    Project {
        name: name.into(),
        arn: format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{name}"),
        source,
        artifacts: ProjectArtifacts {
            r#type: if pipeline {
                "CODEPIPELINE"
            } else {
                "NO_ARTIFACTS"
            }
            .into(),
            ..Default::default()
        },
        cache: ProjectCache {
            r#type: "NO_CACHE".into(),
            ..Default::default()
        },
        environment: ProjectEnvironment {
            r#type: "LINUX_CONTAINER".into(),
            image: "aws/codebuild/standard:7.0".into(),
            compute_type: "BUILD_GENERAL1_SMALL".into(),
            ..Default::default()
        },
        service_role: format!("arn:aws:iam::{ACCOUNT}:role/codebuild"),
        timeout_in_minutes: 60,
        queued_timeout_in_minutes: 480,
        logs_config: LogsConfig {
            cloud_watch_logs: Some(CloudWatchLogsConfig {
                status: "ENABLED".into(),
                ..Default::default()
            }),
            s3_logs: None,
        },
        ..Default::default()
    }
}

pub(super) fn no_source() -> ProjectSource {
    ProjectSource {
        r#type: "NO_SOURCE".into(),
        ..Default::default()
    }
}

/// `PHASE STATUS` per phase (just `PHASE` while it has no status).
pub(super) fn phases(b: &Build) -> Vec<String> {
    b.phases
        .iter()
        .map(|p| match &p.phase_status {
            Some(s) => format!("{} {s}", p.phase_type),
            None => p.phase_type.clone(),
        })
        .collect()
}

/// The phases every build walks before the buildspec's, all successful.
pub(super) const START: [&str; 4] = [
    "SUBMITTED SUCCEEDED",
    "QUEUED SUCCEEDED",
    "PROVISIONING SUCCEEDED",
    "DOWNLOAD_SOURCE SUCCEEDED",
];

/// `START` followed by `rest`.
pub(super) fn walk(rest: &[&str]) -> Vec<String> {
    START.iter().chain(rest).map(|s| s.to_string()).collect()
}

/// The first context of a phase: (status code, message).
pub(super) fn context(b: &Build, phase: &str) -> (String, String) {
    let p = b
        .phases
        .iter()
        .find(|p| p.phase_type == phase)
        .unwrap_or_else(|| panic!("no phase {phase} in {:?}", phases(b)));
    let c = &p.contexts.as_ref().expect("the phase has no contexts")[0];
    (c.status_code.clone(), c.message.clone())
}

/// The text of the agent's `[Container] <date> <time> text` lines.
pub(super) fn agent_lines(log: &[String]) -> Vec<String> {
    log.iter()
        .filter_map(|l| l.strip_prefix("[Container] "))
        .filter_map(|l| l.splitn(3, ' ').nth(2))
        .map(str::to_string)
        .collect()
}

pub(super) const ALL_PHASES: &str = r#"version: 0.2
env:
  variables:
    GREETING: hello
  exported-variables:
    - OUT
    - GREETING
    - NEVER_SET
phases:
  install:
    commands:
      - echo installing
  pre_build:
    commands:
      - export OUT=pre
  build:
    commands:
      - echo "$GREETING from build"
      - export OUT=built
    finally:
      - echo finally ran
  post_build:
    commands:
      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"
"#;

#[tokio::test]
async fn a_buildspec_with_every_phase_succeeds() {
    let mut h = Harness::new();
    let b = h.run("all-phases", ALL_PHASES).await;

    assert_eq!(b.build_status, "SUCCEEDED");
    assert!(b.build_complete && b.end_time.is_some());
    assert_eq!(b.current_phase, "COMPLETED");
    let mut expected = walk(&[
        "INSTALL SUCCEEDED",
        "PRE_BUILD SUCCEEDED",
        "BUILD SUCCEEDED",
        "POST_BUILD SUCCEEDED",
        "UPLOAD_ARTIFACTS SUCCEEDED",
        "FINALIZING SUCCEEDED",
    ]);
    expected.push("COMPLETED".into());
    assert_eq!(phases(&b), expected);
    let exported: Vec<(&str, &str)> = b
        .exported_environment_variables
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        exported,
        [("OUT", "built"), ("GREETING", "hello"), ("NEVER_SET", "")]
    );

    // The container: the local image for aws/codebuild/*, labelled, and gone at the end.
    let specs = h.fake.started_specs();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].image, LOCAL_IMAGE);
    assert_eq!(
        specs[0].labels.get("simfra.build-id").map(String::as_str),
        Some(b.id.as_str())
    );
    assert!(specs[0]
        .env
        .contains(&("CODEBUILD_BUILD_ARN".into(), b.arn.clone())));
    assert!(h.fake.live_containers().is_empty());

    // The log: the agent's lines and the commands' output, in order.
    let log = h.log(&b);
    let output: Vec<&str> = log
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with("[Container] "))
        .collect();
    assert_eq!(
        output,
        [
            "installing",
            "hello from build",
            "finally ran",
            "succeeding=1"
        ]
    );
    let agent = agent_lines(&log);
    for line in [
        format!("Using the local image {LOCAL_IMAGE} for aws/codebuild/standard:7.0"),
        "Entering phase BUILD".into(),
        "Running command echo \"$GREETING from build\"".into(),
        "Running command echo finally ran".into(),
        "Phase complete: BUILD State: SUCCEEDED".into(),
        "YAML location is /codebuild/readonly/buildspec.yml".into(),
    ] {
        assert!(agent.contains(&line), "no {line:?} in {agent:#?}");
    }
    let entering: Vec<&str> = agent
        .iter()
        .filter_map(|l| l.strip_prefix("Entering phase "))
        .collect();
    assert_eq!(
        entering,
        [
            "PROVISIONING",
            "DOWNLOAD_SOURCE",
            "INSTALL",
            "PRE_BUILD",
            "BUILD",
            "POST_BUILD",
            "UPLOAD_ARTIFACTS",
            "FINALIZING"
        ]
    );

    // The events: IN_PROGRESS at the start, one per finished phase, the status at the end.
    let events = h.events(&b.arn);
    let (first, last) = (&events[0], &events[events.len() - 1]);
    for (e, status) in [(first, "IN_PROGRESS"), (last, "SUCCEEDED")] {
        assert_eq!(e.source, "aws.codebuild");
        assert_eq!(e.detail_type, "CodeBuild Build State Change");
        assert_eq!(e.detail["build-status"], status);
        assert_eq!(e.detail["build-id"], b.arn.as_str());
        assert_eq!(e.detail["project-name"], "all-phases");
        assert_eq!((e.account.as_str(), e.region.as_str()), (ACCOUNT, REGION));
    }
    assert_eq!(
        last.detail["additional-information"]["build-complete"],
        true
    );
    let changes = &events[1..events.len() - 1];
    let completed: Vec<String> = changes
        .iter()
        .map(|e| {
            assert_eq!(e.detail_type, "CodeBuild Build Phase Change");
            assert_eq!(e.detail["build-id"], b.arn.as_str());
            assert_eq!(e.detail["project-name"], "all-phases");
            format!(
                "{} {}",
                e.detail["completed-phase"].as_str().unwrap(),
                e.detail["completed-phase-status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(completed, expected[..expected.len() - 1]);
}

#[tokio::test]
async fn a_build_left_running_by_a_stopped_server_ends_as_fault_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let id = "left:00000000-0000-0000-0000-000000000001";
    {
        let state = State::load(Arc::new(Store::open(dir.path()).unwrap())).unwrap();
        state
            .create_project(ACCOUNT, REGION, project("left", no_source(), false))
            .unwrap();
        let open = |t: &str, status: Option<&str>| BuildPhase {
            phase_type: t.into(),
            phase_status: status.map(str::to_string),
            ..Default::default()
        };
        let build = Build {
            id: id.into(),
            arn: format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{id}"),
            project_name: "left".into(),
            current_phase: "BUILD".into(),
            build_status: "IN_PROGRESS".into(),
            phases: vec![
                open("SUBMITTED", Some("SUCCEEDED")),
                open("QUEUED", Some("SUCCEEDED")),
                open("PROVISIONING", Some("SUCCEEDED")),
                open("DOWNLOAD_SOURCE", Some("SUCCEEDED")),
                open("BUILD", None),
            ],
            ..Default::default()
        };
        state.put_build(ACCOUNT, REGION, &build).unwrap();
    }

    let store = Arc::new(Store::open(dir.path()).unwrap());
    let h = Harness::with(store, FakeRuntime::new(), Duration::from_secs(60));
    let b = h.cb.state.build(ACCOUNT, REGION, id).unwrap();
    assert_eq!(b.build_status, "FAULT");
    assert!(b.build_complete && b.end_time.is_some());
    assert_eq!(b.current_phase, "COMPLETED");
    assert_eq!(
        phases(&b)[3..],
        ["DOWNLOAD_SOURCE SUCCEEDED", "BUILD FAULT", "COMPLETED"]
    );
    let (code, message) = context(&b, "BUILD");
    assert_eq!(code, "CLIENT_ERROR");
    assert!(message.contains("cannot be resumed"), "{message}");

    // `when_done` on it runs at once, before this call returns.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    h.cb.runner.when_done(
        ACCOUNT,
        REGION,
        id,
        Box::new(move |b| {
            assert_eq!(b.build_status, "FAULT");
            seen.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!h.cb.runner.is_running(id));
    assert!(h.fake.started_specs().is_empty());
    // The ending was written through: the store has it too.
    let reloaded = State::load(Arc::new(Store::open(dir.path()).unwrap())).unwrap();
    assert_eq!(reloaded.build(ACCOUNT, REGION, id).unwrap(), b);
}

#[tokio::test]
async fn a_buildspec_asking_for_reports_says_they_are_not_collected() {
    let h = Harness::new();
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nreports:\n  unit-tests:\n    files:\n      - 'report.xml'\n";
    let b = h.run("reports", spec).await;
    assert_eq!(b.build_status, "SUCCEEDED");
    let log = h.log(&b).join("\n");
    assert!(
        log.contains("Report groups are not supported by simfra yet: the reports unit-tests"),
        "{log}"
    );
}

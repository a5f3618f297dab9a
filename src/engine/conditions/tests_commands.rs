//! `Commands` rules on real actors with a scripted build service: a rule whose commands exit 0
//! lets the stage run, one that exits non-zero engages its result, and a build still running is
//! stopped when the condition is overridden, stopped or times out.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use crate::engine::ports::{
    BuildLog, BuildRequest, BuildResult, BuildService, CommandsRequest, CommandsStarted,
    PhaseFailure, PortError,
};

type Done = Box<dyn FnOnce(BuildResult) + Send>;

/// Runs commands at once: `exit N` ends them with status N, `sleep` runs until stopped.
#[derive(Default)]
struct ScriptedBuilds {
    started: Mutex<Vec<CommandsRequest>>,
    running: Mutex<HashMap<String, (BuildLog, Done)>>,
    stopped: Mutex<Vec<String>>,
}

fn log_of(req: &CommandsRequest) -> BuildLog {
    let group = format!("/aws/codepipeline/{}", req.pipeline);
    let stream = format!("{}/{}/{}", req.stage, req.action, req.action_execution_id);
    BuildLog {
        url: format!("https://console.example/#logEvent:group={group};stream={stream}"),
        arn: format!(
            "arn:aws:logs:{}:{}:log-group:{group}:log-stream:{stream}",
            req.region, req.account
        ),
        group,
        stream,
    }
}

impl BuildService for ScriptedBuilds {
    fn start_build(&self, _: BuildRequest, _: Done) -> Result<String, PortError> {
        Err(PortError::Other("not in these tests".into()))
    }

    fn start_commands(
        &self,
        req: CommandsRequest,
        done: Done,
    ) -> Result<CommandsStarted, PortError> {
        let mut started = self.started.lock().unwrap();
        let build_id = format!("codepipeline-{}:b-{}", req.pipeline, started.len() + 1);
        let log = log_of(&req);
        let exit = req
            .commands
            .iter()
            .find_map(|c| c.strip_prefix("exit ").and_then(|n| n.parse::<i32>().ok()))
            .unwrap_or(0);
        if req.commands.iter().any(|c| c.starts_with("sleep")) {
            self.running
                .lock()
                .unwrap()
                .insert(build_id.clone(), (log.clone(), done));
        } else {
            let result = BuildResult {
                build_id: build_id.clone(),
                status: if exit == 0 { "SUCCEEDED" } else { "FAILED" }.into(),
                exported: vec![],
                failure: (exit != 0).then(|| PhaseFailure {
                    phase: "BUILD".into(),
                    code: "COMMAND_EXECUTION_ERROR".into(),
                    message: format!(
                        "Error while executing command: exit {exit}. Reason: exit status {exit}"
                    ),
                }),
                log: log.clone(),
            };
            // The end arrives later, from another thread, as a real build's does.
            std::thread::spawn(move || done(result));
        }
        started.push(req);
        Ok(CommandsStarted { build_id, log })
    }

    fn stop_build(&self, _account: &str, _region: &str, build_id: &str) {
        self.stopped.lock().unwrap().push(build_id.to_string());
        if let Some((log, done)) = self.running.lock().unwrap().remove(build_id) {
            done(BuildResult {
                build_id: build_id.to_string(),
                status: "STOPPED".into(),
                exported: vec![],
                failure: None,
                log,
            });
        }
    }
}

fn engine_with_builds(builds: Arc<ScriptedBuilds>, config: EngineConfig) -> Engine {
    let mut providers = Providers::new();
    providers.register("Build", "AWS", "Instant", Arc::new(Instant));
    providers.set_rule_builds(builds);
    Engine::start(
        Arc::new(Store::memory().unwrap()),
        EventBus::default(),
        providers,
        config,
    )
    .unwrap()
}

/// A `Commands` rule reading the source's artifact `Out`.
fn commands(name: &str, lines: &[&str]) -> RuleSpec {
    let mut r = rule(name, "Commands", &[]);
    r.commands = lines.iter().map(|c| c.to_string()).collect();
    r.input_artifacts = vec!["Out".into()];
    r
}

fn gated(rules: Vec<RuleSpec>) -> Arc<PipelineSpec> {
    pipeline(StageConditions {
        before_entry: cond(ConditionResult::Fail, rules),
        ..Default::default()
    })
}

#[test]
fn commands_that_exit_0_let_the_stage_run() {
    run(async {
        let builds = Arc::new(ScriptedBuilds::default());
        let e = engine_with_builds(builds.clone(), EngineConfig::default());
        let s = gated(vec![commands("Smoke", &["echo #{Src.Out}", "make check"])]);
        let id = start(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(ran(&e, &id, "d"), 1, "the stage ran");
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Succeeded)
        );
        let r = &rules(&e, &id)[0];
        assert_eq!(r.status, R::Succeeded);
        assert_eq!(
            r.external_execution_id.as_deref(),
            Some("codepipeline-p:b-1")
        );
        let url = r.external_execution_url.as_deref().unwrap();
        assert!(
            url.contains(&format!("stream=Deploy/Smoke/{}", r.id)),
            "{url}"
        );
        assert!(r.summary.as_deref().unwrap().contains("exited 0"), "{r:?}");
        assert_eq!(r.input_artifacts[0].name, "Out");
        // What ran: the resolved commands, on the source's artifact, for this rule execution.
        let req = builds.started.lock().unwrap()[0].clone();
        assert_eq!(req.commands, ["echo v1", "make check"]);
        assert_eq!(
            (req.stage.as_str(), req.action.as_str()),
            ("Deploy", "Smoke")
        );
        assert_eq!(req.action_execution_id, r.id);
        assert_eq!(req.inputs.len(), 1);
        assert_eq!(req.inputs[0].0, "Out");
        assert_eq!(req.inputs[0].2, r.input_artifacts[0].key);
    });
}

#[test]
fn a_command_that_exits_non_zero_engages_fail() {
    run(async {
        let builds = Arc::new(ScriptedBuilds::default());
        let e = engine_with_builds(builds.clone(), EngineConfig::default());
        let s = gated(vec![
            rev_is("v1"),
            commands("Smoke", &["echo checking", "exit 3"]),
        ]);
        let id = start(&e, &s, "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        assert_eq!(ran(&e, &id, "d"), 0, "the stage's action never ran");
        assert_eq!(
            stage_status(&e, &id, "Deploy"),
            Some(StageExecutionStatus::Failed)
        );
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Failed),
            "a failing command is a failed check, not an error"
        );
        let r = rules(&e, &id).pop().unwrap();
        assert_eq!((r.rule.as_str(), r.status), ("Smoke", R::Failed));
        assert!(r.error_details.is_none());
        let summary = r.summary.unwrap();
        assert!(
            summary.contains("FAILED")
                && summary.contains("in BUILD")
                && summary.contains("exit status 3"),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("stream Deploy/Smoke/{}", r.id)),
            "{summary}"
        );
        let status = e.records().execution(&id).unwrap().status_summary.unwrap();
        assert!(status.contains("exit status 3"), "{status}");
    });
}

#[test]
fn a_running_build_is_stopped_by_an_override_a_stop_or_the_timeout() {
    run(async {
        let builds = Arc::new(ScriptedBuilds::default());
        let e = engine_with_builds(builds.clone(), EngineConfig::default());
        let s = gated(vec![commands("Soak", &["sleep 600"])]);
        let running = |e: &Engine, id: &str| {
            let id = id.to_string();
            let e = e.clone();
            async move {
                until(&e, "the build runs", |r| {
                    r.rules_of_execution(&id)
                        .iter()
                        .any(|x| x.status == R::InProgress && x.external_execution_id.is_some())
                })
                .await;
                rules(&e, &id).pop().unwrap().external_execution_id.unwrap()
            }
        };
        // Overridden: the build stops, the rule is abandoned, the stage runs.
        let first = start(&e, &s, "v1").await;
        let build = running(&e, &first).await;
        e.override_condition(
            &key(),
            "Deploy",
            &first,
            ConditionKind::BeforeEntry,
            "me".into(),
        )
        .await
        .unwrap();
        until_status(&e, &first, PipelineExecutionStatus::Succeeded).await;
        assert_eq!(builds.stopped.lock().unwrap().as_slice(), [build]);
        assert_eq!(rules(&e, &first)[0].status, R::Abandoned);
        assert_eq!(ran(&e, &first, "d"), 1);

        // Stopped with the execution.
        let second = start(&e, &s, "v2").await;
        let build = running(&e, &second).await;
        e.stop_execution(&key(), &second, true, None).await.unwrap();
        until_status(&e, &second, PipelineExecutionStatus::Stopped).await;
        until(&e, "the rule abandoned", |r| {
            r.rules_of_execution(&second)[0].status == R::Abandoned
        })
        .await;
        assert_eq!(builds.stopped.lock().unwrap().last(), Some(&build));
        assert!(builds.running.lock().unwrap().is_empty());
    });
    run(async {
        let builds = Arc::new(ScriptedBuilds::default());
        let config = EngineConfig {
            rule_timeout: Duration::from_millis(200),
            ..EngineConfig::default()
        };
        let e = engine_with_builds(builds.clone(), config);
        let id = start(&e, &gated(vec![commands("Soak", &["sleep 600"])]), "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        let r = &rules(&e, &id)[0];
        assert_eq!(r.status, R::Failed);
        assert!(r.summary.as_deref().unwrap().contains("timeout"), "{r:?}");
        assert_eq!(
            builds.stopped.lock().unwrap().as_slice(),
            [r.external_execution_id.clone().unwrap()]
        );
    });
}

#[test]
fn a_commands_rule_that_cannot_run_fails_and_says_why() {
    run(async {
        let builds = Arc::new(ScriptedBuilds::default());
        let e = engine_with_builds(builds.clone(), EngineConfig::default());
        let mut missing = commands("Smoke", &["true"]);
        missing.input_artifacts = vec!["Nope".into()];
        let id = start(&e, &gated(vec![missing]), "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        let r = &rules(&e, &id)[0];
        assert_eq!(r.error_details.as_ref().unwrap().code, "ConfigurationError");
        assert!(
            r.summary
                .as_deref()
                .unwrap()
                .contains("input artifact Nope"),
            "{r:?}"
        );
        assert!(builds.started.lock().unwrap().is_empty());
        assert_eq!(
            condition(&e, &id, "Deploy", ConditionKind::BeforeEntry),
            Some(C::Errored)
        );

        // Without a build service (an engine on its own), the rule fails saying so.
        let e = engine();
        let id = start(&e, &gated(vec![commands("Smoke", &["true"])]), "v1").await;
        until_status(&e, &id, PipelineExecutionStatus::Failed).await;
        let r = &rules(&e, &id)[0];
        assert!(
            r.summary.as_deref().unwrap().contains("no build service"),
            "{r:?}"
        );
    });
}

//! A stage condition's `Commands` rule through the whole path, on the scripted fake runtime: an
//! execution of the engine whose `beforeEntry` rule runs its commands as a managed build of
//! this runner (the Commands action's port), on the artifact an earlier stage made. Commands
//! that exit 0 let the stage run; a command that exits non-zero engages FAIL.

use std::collections::BTreeMap;

use super::*;
use crate::engine::conditions::{ConditionKind, RuleExecutionStatus};
use crate::engine::ports::{BuildService, ObjectStore as _};
use crate::engine::providers::{
    ActionJob, ActionSuccess, NothingToCancel, Provider, Providers, Reporter, RunningAction,
};
use crate::engine::records::RuleRecord;
use crate::engine::spec::*;
use crate::engine::status::*;
use crate::engine::{Engine, EngineConfig, PipelineKey, StartRequest, Trigger};

const ARTIFACTS: &str = "pipe-artifacts";

/// Writes a zip holding `input.txt` to its output artifact.
struct Emit {
    s3: s3::ObjectStore,
}

impl Provider for Emit {
    fn start(&self, job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        let out = &job.output_artifacts[0];
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(src.join("input.txt"), "from the source\n").unwrap();
        let zip = dir.path().join("out.zip");
        crate::archive::zip_dir(&src, &zip).unwrap();
        let mut file = std::fs::File::open(&zip).unwrap();
        crate::engine::ports::ObjectStore::put_object_file(
            &self.s3,
            &out.bucket,
            &out.key,
            &mut file,
            Default::default(),
        )
        .unwrap();
        reporter.succeeded(ActionSuccess::default());
        Box::new(NothingToCancel)
    }
}

/// Succeeds at once.
struct Done;

impl Provider for Done {
    fn start(&self, _job: ActionJob, reporter: Reporter) -> Box<dyn RunningAction> {
        reporter.succeeded(ActionSuccess::default());
        Box::new(NothingToCancel)
    }
}

fn action(name: &str, provider: &str, outputs: &[&str], inputs: &[&str]) -> ActionSpec {
    ActionSpec {
        name: name.into(),
        action_type: ActionTypeSpec {
            category: "Build".into(),
            owner: "AWS".into(),
            provider: provider.into(),
            version: "1".into(),
        },
        run_order: 1,
        configuration: Default::default(),
        input_artifacts: inputs.iter().map(|s| s.to_string()).collect(),
        output_artifacts: outputs.iter().map(|s| s.to_string()).collect(),
        namespace: None,
        region: None,
        role_arn: None,
        timeout_in_minutes: None,
        commands: None,
    }
}

/// Source (makes `SourceOut`), then `Deploy`, entered only when the Commands rule passes.
fn pipeline(commands: &[&str]) -> Arc<PipelineSpec> {
    let rule = RuleSpec {
        name: "Smoke".into(),
        rule_type: ActionTypeSpec {
            category: "Rule".into(),
            owner: "AWS".into(),
            provider: "Commands".into(),
            version: "1".into(),
        },
        configuration: Default::default(),
        commands: commands.iter().map(|c| c.to_string()).collect(),
        input_artifacts: vec!["SourceOut".into()],
        role_arn: None,
        region: None,
        timeout_in_minutes: None,
    };
    let stage = |name: &str, actions: Vec<ActionSpec>| StageSpec {
        name: name.into(),
        actions,
        on_failure: None,
        conditions: Default::default(),
    };
    let mut deploy = stage("Deploy", vec![action("Ship", "Done", &[], &["SourceOut"])]);
    deploy.conditions.before_entry = Some(ConditionSpec {
        result: ConditionResult::Fail,
        rules: vec![rule],
    });
    Arc::new(PipelineSpec {
        name: "pipe".into(),
        version: 1,
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/r"),
        execution_mode: ExecutionMode::Queued,
        v2: true,
        artifact_bucket: ARTIFACTS.into(),
        stages: vec![
            stage("Source", vec![action("Src", "Emit", &["SourceOut"], &[])]),
            deploy,
        ],
        variables: vec![],
    })
}

fn engine(h: &Harness) -> Engine {
    if !h.s3.bucket_exists(ARTIFACTS) {
        h.s3.create_bucket(ARTIFACTS, REGION, ACCOUNT).unwrap();
    }
    let builds: Arc<dyn BuildService> = Arc::new(CodeBuild {
        state: h.cb.state.clone(),
        runner: h.cb.runner.clone(),
    });
    let mut providers = Providers::new();
    providers.register("Build", "AWS", "Emit", Arc::new(Emit { s3: h.s3.clone() }));
    providers.register("Build", "AWS", "Done", Arc::new(Done));
    providers.set_rule_builds(builds);
    Engine::start(
        Arc::new(Store::memory().unwrap()),
        crate::bus::EventBus::default(),
        providers,
        EngineConfig::default(),
    )
    .unwrap()
}

/// Runs one execution of `spec` to its end; its status and its rule execution.
async fn run(
    e: &Engine,
    spec: &Arc<PipelineSpec>,
) -> (PipelineExecutionStatus, RuleRecord, String) {
    let id = e
        .start_execution(StartRequest {
            key: PipelineKey::new(ACCOUNT, REGION, "pipe"),
            spec: spec.clone(),
            trigger: Trigger {
                trigger_type: "StartPipelineExecution".into(),
                trigger_detail: "test".into(),
            },
            variables: vec![],
            client_request_token: None,
            source_overrides: BTreeMap::new(),
        })
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = e.records().execution(&id).unwrap().status;
        if !matches!(
            status,
            PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping
        ) {
            let rule = e.records().rules_of_execution(&id).pop().unwrap();
            return (status, rule, id);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the execution did not end"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ran_ship(e: &Engine, id: &str) -> bool {
    e.records()
        .actions_of_execution(id)
        .iter()
        .any(|a| a.action == "Ship")
}

#[tokio::test]
async fn a_commands_rule_that_exits_0_lets_the_stage_run() {
    let h = Harness::new();
    let e = engine(&h);
    let (status, rule, id) = run(&e, &pipeline(&["cat input.txt", "echo gate open"])).await;
    assert_eq!(status, PipelineExecutionStatus::Succeeded, "{rule:?}");
    assert!(ran_ship(&e, &id));
    assert_eq!(rule.status, RuleExecutionStatus::Succeeded);
    assert_eq!(rule.condition, ConditionKind::BeforeEntry);
    // The rule's build: a managed build of this runner, its log in the pipeline's group.
    let build_id = rule.external_execution_id.clone().unwrap();
    assert!(build_id.starts_with("codepipeline-pipe:"), "{build_id}");
    let b = h.cb.state.build(ACCOUNT, REGION, &build_id).unwrap();
    assert_eq!(b.build_status, "SUCCEEDED");
    assert_eq!(b.logs.group_name, "/aws/codepipeline/pipe");
    assert_eq!(b.logs.stream_name, format!("Deploy/Smoke/{}", rule.id));
    assert_eq!(
        rule.external_execution_url.as_deref(),
        Some(b.logs.deep_link.as_str())
    );
    let log = h.log(&b);
    assert!(log.contains(&"from the source".to_string()), "{log:?}");
    assert!(log.contains(&"gate open".to_string()), "{log:?}");
    assert!(
        h.cb.state.builds(ACCOUNT, REGION).is_empty(),
        "hidden from the API"
    );
    assert!(h.fake.live_containers().is_empty());
}

#[tokio::test]
async fn a_commands_rule_that_exits_non_zero_engages_fail() {
    let h = Harness::new();
    let e = engine(&h);
    let (status, rule, id) = run(&e, &pipeline(&["cat input.txt", "exit 3", "echo never"])).await;
    assert_eq!(status, PipelineExecutionStatus::Failed);
    assert!(!ran_ship(&e, &id), "the stage's action never ran");
    let stage = &e.records().execution(&id).unwrap().stages["Deploy"];
    assert_eq!(stage.status, StageExecutionStatus::Failed);
    assert_eq!(
        stage.conditions[&ConditionKind::BeforeEntry].status,
        crate::engine::conditions::ConditionExecutionStatus::Failed
    );
    assert_eq!(rule.status, RuleExecutionStatus::Failed);
    let summary = rule.summary.clone().unwrap();
    assert!(
        summary.starts_with("The commands ended FAILED: COMMAND_EXECUTION_ERROR in BUILD")
            && summary.contains('3'),
        "{summary}"
    );
    let b =
        h.cb.state
            .build(
                ACCOUNT,
                REGION,
                rule.external_execution_id.as_deref().unwrap(),
            )
            .unwrap();
    assert!(!h.log(&b).contains(&"never".to_string()));
    assert!(h.fake.live_containers().is_empty());
}

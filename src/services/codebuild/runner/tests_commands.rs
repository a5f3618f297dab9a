//! The Commands port: `BuildService::start_commands` runs an action's commands as a build
//! without a project (managed): the first input artifact is the source, the action's variables
//! are set, the output variables and the output artifact's files come back, the log goes to
//! the pipeline's group, and the CodeBuild API and events do not show the build.

use super::*;
use crate::engine::ports::{
    BuildResult, BuildService, CommandsRequest, CommandsStarted, ObjectStore as _,
};

const BUCKET: &str = "pipeline-artifacts";

/// Stores a zip of `files` as an input artifact; its (name, bucket, key).
fn input(h: &Harness, name: &str, files: &[(&str, &str)]) -> (String, String, String) {
    if !h.s3.bucket_exists(BUCKET) {
        h.s3.create_bucket(BUCKET, REGION, ACCOUNT).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (path, text) in files {
        std::fs::write(src.join(path), text).unwrap();
    }
    let zip = dir.path().join("in.zip");
    crate::archive::zip_dir(&src, &zip).unwrap();
    let key = format!("pipe/{name}/in.zip");
    h.s3.put_object_file(BUCKET, &key, &zip, Default::default())
        .unwrap();
    (name.into(), BUCKET.into(), key)
}

fn request(h: &Harness, commands: &[&str]) -> CommandsRequest {
    CommandsRequest {
        account: ACCOUNT.into(),
        region: REGION.into(),
        pipeline: "pipe".into(),
        stage: "Build".into(),
        action: "Run".into(),
        action_execution_id: "a1b2c3".into(),
        commands: commands.iter().map(|c| c.to_string()).collect(),
        inputs: vec![input(h, "SourceOut", &[("input.txt", "from the source\n")])],
        compute_type: "BUILD_GENERAL1_SMALL".into(),
        ..Default::default()
    }
}

/// Starts the commands through the port; what `start_commands` answered and the result handed
/// to the callback (called exactly once).
async fn through_port(h: &Harness, req: CommandsRequest) -> (CommandsStarted, BuildResult) {
    let (tx, rx) = oneshot::channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let started =
        h.cb.start_commands(
            req,
            Box::new(move |r| {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(r);
            }),
        )
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("the build did not finish")
        .unwrap();
    assert_eq!(result.build_id, started.build_id);
    assert_eq!(result.log, started.log);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    (started, result)
}

#[tokio::test]
async fn commands_run_on_the_inputs_and_return_variables_and_files() {
    let mut h = Harness::new();
    let mut req = request(
        &h,
        &[
            "cat input.txt",
            "cat \"$CODEBUILD_SRC_DIR_ConfigOut/settings.txt\"",
            "mkdir -p dist",
            "write dist/app.txt built for $STAGE_NAME",
            "write notes.txt not in the artifact",
            "export VERSION=1.2.3",
        ],
    );
    req.inputs
        .push(input(&h, "ConfigOut", &[("settings.txt", "answer=42\n")]));
    req.variables = vec![("STAGE_NAME".into(), "prod".into(), "PLAINTEXT".into())];
    req.exported = vec!["VERSION".into(), "CODEBUILD_BUILD_ID".into()];
    req.output = Some(("RunOut".into(), BUCKET.into(), "pipe/RunOut/out.zip".into()));
    req.files = vec!["dist/".into()];
    let (started, result) = through_port(&h, req).await;

    assert_eq!(result.status, "SUCCEEDED", "{:?}", result.failure);
    let id = started.build_id.clone();
    assert!(id.starts_with("codepipeline-pipe:"), "{id}");
    assert_eq!(
        result.exported,
        [
            ("VERSION".to_string(), "1.2.3".to_string()),
            ("CODEBUILD_BUILD_ID".to_string(), id.clone())
        ]
    );
    // The log: the pipeline's group, one stream per action execution, with the output.
    assert_eq!(started.log.group, "/aws/codepipeline/pipe");
    assert_eq!(started.log.stream, "Build/Run/a1b2c3");
    assert!(started
        .log
        .url
        .contains("group=/aws/codepipeline/pipe;stream=Build/Run/a1b2c3"));
    let b = h.cb.state.build(ACCOUNT, REGION, &id).unwrap();
    let log = h.log(&b);
    assert!(log.contains(&"from the source".to_string()), "{log:?}");
    assert!(log.contains(&"answer=42".to_string()), "{log:?}");
    assert!(agent_lines(&log).contains(&"Running command export VERSION=1.2.3".to_string()));
    // The image of Commands actions, mapped to the local one; AWS's time limit.
    assert_eq!(
        b.environment.image,
        crate::services::codebuild::managed::COMMANDS_IMAGE
    );
    assert_eq!(h.fake.started_specs()[0].image, LOCAL_IMAGE);
    assert_eq!(b.timeout_in_minutes, 55);
    assert_eq!(b.initiator, "codepipeline/pipe");
    // The output artifact holds what `files` names, from the working directory.
    let obj =
        crate::engine::ports::ObjectStore::get_object(&h.s3, BUCKET, "pipe/RunOut/out.zip", None)
            .unwrap();
    let out = tempfile::tempdir().unwrap();
    crate::archive::unzip_from(obj.file, out.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.path().join("dist/app.txt")).unwrap(),
        "built for prod\n"
    );
    assert!(!out.path().join("notes.txt").exists());
    assert!(!out.path().join("input.txt").exists());
    // Not a build of the account's CodeBuild: hidden from the API, no events.
    assert!(h.cb.state.visible_build(ACCOUNT, REGION, &id).is_none());
    assert!(h.cb.state.builds(ACCOUNT, REGION).is_empty());
    assert!(h.events(&b.arn).is_empty());
    assert!(h.cb.stop(ACCOUNT, REGION, &id).await.is_err());
    assert!(h.cb.retry(ACCOUNT, REGION, &id).is_err());
    assert!(h.fake.live_containers().is_empty());
}

#[tokio::test]
async fn without_an_output_artifact_nothing_is_uploaded() {
    let h = Harness::new();
    let (_, result) = through_port(&h, request(&h, &["write out.txt x"])).await;
    assert_eq!(result.status, "SUCCEEDED", "{:?}", result.failure);
    assert!(result.exported.is_empty());
}

#[tokio::test]
async fn a_failing_command_fails_the_build_and_says_which() {
    let h = Harness::new();
    let (_, result) =
        through_port(&h, request(&h, &["echo one", "fail-with 3", "echo never"])).await;

    assert_eq!(result.status, "FAILED");
    assert_eq!(
        result.message().as_deref(),
        Some(
            "COMMAND_EXECUTION_ERROR in BUILD: Error while executing command: fail-with 3. \
             Reason: exit status 3"
        )
    );
    assert!(!h.fake.commands().iter().any(|c| c.contains("never")));
}

#[tokio::test]
async fn a_secrets_manager_variable_fails_provisioning_clearly() {
    let h = Harness::new();
    let mut req = request(&h, &["echo $TOKEN"]);
    req.variables = vec![("TOKEN".into(), "secret-id".into(), "SECRETS_MANAGER".into())];
    let (_, result) = through_port(&h, req).await;

    assert_eq!(result.status, "FAILED");
    let message = result.message().unwrap();
    assert!(
        message.starts_with("CLIENT_ERROR in PROVISIONING"),
        "{message}"
    );
    assert!(message.contains("TOKEN"), "{message}");
}

#[tokio::test]
async fn stopping_the_build_through_the_port_stops_the_commands() {
    let h = Harness::new();
    let fake = h.fake.clone();
    let (tx, rx) = oneshot::channel();
    let started =
        h.cb.start_commands(
            request(&h, &["sleep 30", "echo never"]),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )
        .unwrap();
    fake.wait_for_command("sleep 30").await;
    h.cb.stop_build(ACCOUNT, REGION, &started.build_id);
    let result = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("the build did not stop")
        .unwrap();

    assert_eq!(result.status, "STOPPED");
    assert_eq!(
        result.message().as_deref(),
        Some("BUILD_TIMED_OUT_OR_STOPPED in BUILD: Build was stopped")
    );
    assert!(h.fake.live_containers().is_empty());
    assert!(!h.fake.commands().iter().any(|c| c.contains("never")));
}

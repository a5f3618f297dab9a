//! The pipeline port: `BuildService::start_build` runs a CODEPIPELINE build from input
//! artifacts in S3 and calls back once with the status, the exported variables and, when the
//! build did not succeed, the failing phase.

use super::*;
use crate::engine::ports::{BuildRequest, BuildResult, BuildService, ObjectStore as _};

const PIPELINE_SPEC: &str = r#"version: 0.2
env:
  exported-variables:
    - RESULT
    - FROM_PIPELINE
phases:
  build:
    commands:
      - cat input.txt
      - write out/result.txt built $FROM_PIPELINE
      - export RESULT=done
artifacts:
  files:
    - out/result.txt
"#;

const BUCKET: &str = "pipeline-artifacts";

/// A pipeline's request for a build of `project`, with a zip holding `input.txt` as input.
fn pipeline_request(h: &Harness, project: &str) -> BuildRequest {
    if !h.s3.bucket_exists(BUCKET) {
        h.s3.create_bucket(BUCKET, REGION, ACCOUNT).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("input.txt"), "from the source\n").unwrap();
    let zip = dir.path().join("in.zip");
    crate::archive::zip_dir(&src, &zip).unwrap();
    let input_key = format!("pipe/SourceOut/{project}.zip");
    h.s3.put_object_file(BUCKET, &input_key, &zip, Default::default())
        .unwrap();
    BuildRequest {
        account: ACCOUNT.into(),
        region: REGION.into(),
        pipeline: "pipe".into(),
        project: project.into(),
        variables: vec![("FROM_PIPELINE".into(), "yes".into(), "PLAINTEXT".into())],
        inputs: vec![("SourceOutput".into(), BUCKET.into(), input_key)],
        primary: 0,
        outputs: vec![(
            "BuildOutput".into(),
            BUCKET.into(),
            format!("pipe/BuildOutp/{project}.zip"),
        )],
        source_revision: Some("4f0c2a1b9e".into()),
    }
}

/// Starts a build through the pipeline port; the result handed to the callback, and how many
/// times it was called.
async fn through_port(h: &Harness, req: BuildRequest) -> (BuildResult, Arc<AtomicUsize>) {
    let (tx, rx) = oneshot::channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let id =
        h.cb.start_build(
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
    assert_eq!(result.build_id, id);
    (result, calls)
}

fn pipeline_source(spec: &str) -> ProjectSource {
    ProjectSource {
        r#type: "CODEPIPELINE".into(),
        buildspec: Some(spec.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_pipeline_port_reports_success_with_the_exported_variables() {
    let h = Harness::new();
    h.project("piped", pipeline_source(PIPELINE_SPEC));
    let req = pipeline_request(&h, "piped");
    let (result, calls) = through_port(&h, req).await;

    assert_eq!(result.status, "SUCCEEDED");
    assert_eq!(result.failure, None);
    assert_eq!(
        result.exported,
        [
            ("RESULT".to_string(), "done".to_string()),
            ("FROM_PIPELINE".to_string(), "yes".to_string())
        ]
    );
    let b = h.cb.state.build(ACCOUNT, REGION, &result.build_id).unwrap();
    assert_eq!(b.initiator, "codepipeline/pipe");
    // The source revision the pipeline passed is the build's resolved source version.
    assert_eq!(b.resolved_source_version.as_deref(), Some("4f0c2a1b9e"));
    assert!(h.log(&b).contains(&"from the source".to_string()));
    // The output artifact is a zip of the buildspec's files in the artifact store.
    let obj = crate::engine::ports::ObjectStore::get_object(
        &h.s3,
        BUCKET,
        "pipe/BuildOutp/piped.zip",
        None,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    crate::archive::unzip_from(obj.file, out.path()).unwrap();
    let result_file = std::fs::read_to_string(out.path().join("out/result.txt")).unwrap();
    assert_eq!(result_file, "built yes\n");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(h.fake.live_containers().is_empty());
}

const FAILS_IN_BUILD: &str = r#"version: 0.2
phases:
  build:
    commands:
      - fail-with 2
artifacts:
  files:
    - '**/*'
"#;

#[tokio::test]
async fn the_pipeline_port_names_the_failing_phase() {
    let h = Harness::new();
    h.project("piped-fails", pipeline_source(FAILS_IN_BUILD));
    let req = pipeline_request(&h, "piped-fails");
    let (result, calls) = through_port(&h, req).await;

    assert_eq!(result.status, "FAILED");
    assert_eq!(
        result.message().as_deref(),
        Some(
            "COMMAND_EXECUTION_ERROR in BUILD: Error while executing command: fail-with 2. \
             Reason: exit status 2"
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

const SLEEPS: &str = r#"version: 0.2
phases:
  build:
    commands:
      - sleep 30
"#;

#[tokio::test]
async fn a_build_stopped_through_the_port_still_calls_back_once() {
    let h = Harness::new();
    h.project("piped-stops", pipeline_source(SLEEPS));
    let req = pipeline_request(&h, "piped-stops");
    let fake = h.fake.clone();
    let stopper = async {
        fake.wait_for_command("sleep 30").await;
        let b = h.cb.state.builds(ACCOUNT, REGION).pop().unwrap();
        h.cb.stop_build(ACCOUNT, REGION, &b.id);
    };
    let ((result, calls), ()) = tokio::join!(through_port(&h, req), stopper);

    assert_eq!(result.status, "STOPPED");
    assert_eq!(
        result.message().as_deref(),
        Some("BUILD_TIMED_OUT_OR_STOPPED in BUILD: Build was stopped")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(h.fake.live_containers().is_empty());
}

//! A pipeline whose build stage runs a real CodeBuild build in Docker (skipped with a message
//! when there is no daemon or test image; a failure under `CI=true`): two S3 sources feed one
//! build with two input artifacts (the buildspec is read from the primary one, the other is in
//! `CODEBUILD_SRC_DIR_<name>`), the build produces two output artifacts, both are deployed to
//! S3, and a variable the build exports reaches the deploy action through its namespace; a
//! CodeCommit source with `CODEBUILD_CLONE_REF` gives the build a full clone.

mod codepipeline_support;
mod common;

use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, SourceType,
};
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, PipelineDeclaration, PipelineExecutionStatus,
};
use aws_sdk_s3::primitives::ByteStream;
use codepipeline_support::{
    action, clone_ref_source, latest_execution_id, stage, store, type_id, ROLE,
};
use common::docker::{docker_available, TEST_IMAGE};
use common::git::git;

const BUILDSPEC: &str = r#"version: 0.2
env:
  exported-variables:
    - VERSION
    - RESOLVED
phases:
  build:
    commands:
      - export VERSION="$(cat version.txt)"
      - export RESOLVED="$CODEBUILD_RESOLVED_SOURCE_VERSION"
      - mkdir -p bin docs
      - cp "$CODEBUILD_SRC_DIR_ConfigOut/settings.txt" bin/
      - echo "$GREETING from $CODEBUILD_INITIATOR" > docs/greeting.txt
artifacts:
  files:
    - '**/*'
  secondary-artifacts:
    BinOut:
      base-directory: bin
      files:
        - '**/*'
    DocsOut:
      base-directory: docs
      files:
        - '**/*'
"#;

/// A project for pipeline builds in the test image; `buildspec` inline, else the input's.
async fn pipeline_project(cb: &aws_sdk_codebuild::Client, name: &str, buildspec: Option<&str>) {
    let mut source = ProjectSource::builder().r#type(SourceType::Codepipeline);
    if let Some(spec) = buildspec {
        source = source.buildspec(spec);
    }
    cb.create_project()
        .name(name)
        .source(source.build().unwrap())
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::Codepipeline)
                .build()
                .unwrap(),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image(TEST_IMAGE)
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role(ROLE)
        .send()
        .await
        .unwrap();
}

/// Waits for the execution to end; its status.
async fn ended(
    cp: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    id: &str,
) -> PipelineExecutionStatus {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let e = cp
            .get_pipeline_execution()
            .pipeline_name(pipeline)
            .pipeline_execution_id(id)
            .send()
            .await
            .unwrap();
        let s = e.pipeline_execution().unwrap().status().unwrap().clone();
        if !matches!(s, PipelineExecutionStatus::InProgress) {
            return s;
        }
        assert!(Instant::now() < deadline, "the execution did not end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn pipeline() -> PipelineDeclaration {
    let s3_source = |name: &str, key: &str, out: &str| {
        action(
            name,
            type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
            &[
                ("S3Bucket", "sources"),
                ("S3ObjectKey", key),
                ("PollForSourceChanges", "false"),
            ],
            &[],
            &[out],
        )
    };
    let mut build = action(
        "Compile",
        type_id(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"),
        &[
            ("ProjectName", "two-in-two-out"),
            ("PrimarySource", "AppOut"),
            (
                "EnvironmentVariables",
                r#"[{"name":"GREETING","value":"hello","type":"PLAINTEXT"}]"#,
            ),
        ],
        &["AppOut", "ConfigOut"],
        &["BinOut", "DocsOut"],
    );
    build.namespace = Some("BuildVars".into());
    let deploy = |name: &str, input: &str, key: &str| {
        action(
            name,
            type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
            &[
                ("BucketName", "site"),
                ("Extract", "true"),
                ("ObjectKey", key),
            ],
            &[input],
            &[],
        )
    };
    PipelineDeclaration::builder()
        .name("built-for-real")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage(
            "Source",
            vec![
                s3_source("App", "app.zip", "AppOut"),
                s3_source("Config", "config.zip", "ConfigOut"),
            ],
        ))
        .stages(stage("Build", vec![build]))
        .stages(stage(
            "Deploy",
            vec![
                deploy("Bin", "BinOut", "bin"),
                deploy("Docs", "DocsOut", "release-#{BuildVars.VERSION}"),
            ],
        ))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_builds_with_two_inputs_and_two_outputs() {
    if !docker_available() {
        return;
    }
    let server = common::docker::server();
    let s3 = common::s3(&server);
    let cb = common::codebuild(&server);
    let cp = common::codepipeline(&server);

    for b in ["sources", "site"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket("sources")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let app = common::zip_files(&[("buildspec.yml", BUILDSPEC), ("version.txt", "1.2.3\n")]);
    let config = common::zip_files(&[("settings.txt", "answer=42\n")]);
    let mut versions = Vec::new();
    for (key, body) in [("app.zip", app), ("config.zip", config)] {
        let put = s3
            .put_object()
            .bucket("sources")
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        versions.push(put.version_id().unwrap().to_string());
    }
    pipeline_project(&cb, "two-in-two-out", None).await;
    cp.create_pipeline()
        .pipeline(pipeline())
        .send()
        .await
        .unwrap();
    let id = cp
        .start_pipeline_execution()
        .name("built-for-real")
        .send()
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_string();

    let status = ended(&cp, "built-for-real", &id).await;
    let actions = cp
        .list_action_executions()
        .pipeline_name("built-for-real")
        .send()
        .await
        .unwrap();
    if status != PipelineExecutionStatus::Succeeded {
        let ids = cb.list_builds().send().await.unwrap().ids().to_vec();
        let builds = cb
            .batch_get_builds()
            .set_ids(Some(ids))
            .send()
            .await
            .unwrap();
        panic!(
            "the execution ended {status:?}: {:#?}\n{:#?}",
            actions.action_execution_details(),
            builds.builds()
        );
    }

    let compile = actions
        .action_execution_details()
        .iter()
        .find(|a| a.action_name() == Some("Compile"))
        .unwrap();
    let output = compile.output().unwrap();
    let build_id = output
        .execution_result()
        .unwrap()
        .external_execution_id()
        .unwrap()
        .to_string();
    assert!(build_id.starts_with("two-in-two-out:"), "{build_id}");
    assert_eq!(
        output
            .output_variables()
            .unwrap()
            .get("VERSION")
            .map(String::as_str),
        Some("1.2.3")
    );
    // The primary input's source revision (the version of app.zip the S3 source read) is
    // the build's resolved source version, inside the build and in BatchGetBuilds.
    assert_eq!(
        output
            .output_variables()
            .unwrap()
            .get("RESOLVED")
            .map(String::as_str),
        Some(versions[0].as_str())
    );
    let build = cb
        .batch_get_builds()
        .ids(&build_id)
        .send()
        .await
        .unwrap()
        .builds()[0]
        .clone();
    assert_eq!(build.initiator(), Some("codepipeline/built-for-real"));
    assert_eq!(build.resolved_source_version(), Some(versions[0].as_str()));
    assert!(build
        .source_version()
        .unwrap()
        .starts_with("arn:aws:s3:::artifacts-bucket/built-for-real/AppOut/"));

    let read = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            let body = s3
                .get_object()
                .bucket("site")
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{key}: {e:?}"))
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    assert_eq!(read("bin/settings.txt").await, "answer=42\n");
    assert_eq!(
        read("release-1.2.3/greeting.txt").await,
        "hello from codepipeline/built-for-real\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoning_the_execution_stops_its_build() {
    if !docker_available() {
        return;
    }
    let server = common::docker::server();
    let s3 = common::s3(&server);
    let cb = common::codebuild(&server);
    let cp = common::codepipeline(&server);
    common::versioned_bucket(&s3, "sources").await;
    s3.put_object()
        .bucket("sources")
        .key("app.zip")
        .body(ByteStream::from(common::zip_files(&[("a.txt", "a")])))
        .send()
        .await
        .unwrap();
    pipeline_project(
        &cb,
        "sleeper",
        Some("version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 600\n"),
    )
    .await;
    let pipeline = PipelineDeclaration::builder()
        .name("abandoned")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage(
            "Source",
            vec![action(
                "App",
                type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
                &[
                    ("S3Bucket", "sources"),
                    ("S3ObjectKey", "app.zip"),
                    ("PollForSourceChanges", "false"),
                ],
                &[],
                &["AppOut"],
            )],
        ))
        .stages(stage(
            "Build",
            vec![action(
                "Sleep",
                type_id(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"),
                &[("ProjectName", "sleeper")],
                &["AppOut"],
                &[],
            )],
        ))
        .build()
        .unwrap();
    // CreatePipeline starts the first execution.
    cp.create_pipeline()
        .pipeline(pipeline)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let build_id = loop {
        let ids = cb
            .list_builds_for_project()
            .project_name("sleeper")
            .send()
            .await
            .unwrap()
            .ids()
            .to_vec();
        if let Some(id) = ids.first() {
            let b = cb.batch_get_builds().ids(id).send().await.unwrap().builds()[0].clone();
            if b.current_phase() == Some("BUILD") {
                break id.clone();
            }
        }
        assert!(Instant::now() < deadline, "the build never reached BUILD");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let execution = latest_execution_id(&cp, "abandoned").await;
    cp.stop_pipeline_execution()
        .pipeline_name("abandoned")
        .pipeline_execution_id(&execution)
        .abandon(true)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let b = cb
            .batch_get_builds()
            .ids(&build_id)
            .send()
            .await
            .unwrap()
            .builds()[0]
            .clone();
        if b.build_complete() {
            assert_eq!(
                b.build_status(),
                Some(&aws_sdk_codebuild::types::StatusType::Stopped)
            );
            break;
        }
        assert!(Instant::now() < deadline, "the build was not stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=simfra.build-id={build_id}"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
}

const CLONE_SPEC: &str = r#"version: 0.2
env:
  exported-variables:
    - HEAD_FILE
    - ORIGIN
phases:
  build:
    commands:
      - export HEAD_FILE="$(cat .git/HEAD)"
      - export ORIGIN="$(sed -n 's/^[[:space:]]*url = //p' .git/config)"
artifacts:
  files:
    - '**/*'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_ref_source_gives_the_build_a_full_clone() {
    if !docker_available() {
        return;
    }
    let server = common::docker::server();
    let s3 = common::s3(&server);
    let cb = common::codebuild(&server);
    let cp = common::codepipeline(&server);
    let cc = common::codecommit(&server);

    // A repository with two commits on main.
    cc.create_repository()
        .repository_name("cloned")
        .send()
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    std::fs::write(work.join("buildspec.yml"), CLONE_SPEC).unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "first"]);
    std::fs::write(work.join("app.txt"), "v2\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "second"]);
    let head = git(&work, &["rev-parse", "HEAD"]);
    let url = format!("http://{}/v1/repos/cloned", server.addr);
    git(&work, &["push", "-q", &url, "main"]);

    pipeline_project(&cb, "clone-build", None).await;
    let source = clone_ref_source("cloned", "Ref");
    let build = action(
        "Build",
        type_id(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"),
        &[("ProjectName", "clone-build")],
        &["Ref"],
        &["Tree"],
    );
    let declaration = PipelineDeclaration::builder()
        .name("full-clone")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source]))
        .stages(stage("Build", vec![build]))
        .build()
        .unwrap();
    cp.create_pipeline()
        .pipeline(declaration)
        .send()
        .await
        .unwrap();
    let id = latest_execution_id(&cp, "full-clone").await;
    let status = ended(&cp, "full-clone", &id).await;
    let actions = cp
        .list_action_executions()
        .pipeline_name("full-clone")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status,
        PipelineExecutionStatus::Succeeded,
        "{:#?}",
        actions.action_execution_details()
    );
    let output_of = |name: &str| {
        actions
            .action_execution_details()
            .iter()
            .find(|a| a.action_name() == Some(name))
            .unwrap()
            .output()
            .unwrap()
            .clone()
    };
    let read = |location: &aws_sdk_codepipeline::types::S3Location| {
        let (s3, bucket, key) = (
            s3.clone(),
            location.bucket().unwrap().to_string(),
            location.key().unwrap().to_string(),
        );
        async move {
            s3.get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes()
        }
    };
    // The source's artifact is the clone reference, naming the server's own address.
    let checkout = output_of("Checkout");
    let reference: serde_json::Value =
        serde_json::from_slice(&read(checkout.output_artifacts()[0].s3_location().unwrap()).await)
            .unwrap();
    assert_eq!(reference["CommitId"], head.as_str());
    assert_eq!(reference["FullRepositoryName"], "cloned");
    assert_eq!(
        reference["CloneUrl"],
        format!("http://{}/v1/repos/cloned", server.addr).as_str()
    );
    let built = output_of("Build");
    // HEAD is detached at the pushed commit, and origin is the repository on simfra.
    let vars = built.output_variables().unwrap();
    assert_eq!(vars.get("HEAD_FILE"), Some(&head));
    let origin = vars.get("ORIGIN").unwrap();
    assert!(origin.ends_with("/v1/repos/cloned"), "{origin}");

    // The build's output holds the whole clone: both commits are there, the tree is clean.
    let zip = read(built.output_artifacts()[0].s3_location().unwrap()).await;
    let zip_path = tmp.path().join("tree.zip");
    std::fs::write(&zip_path, &zip).unwrap();
    let tree = tmp.path().join("tree");
    simfra::archive::unzip_to(&zip_path, &tree).unwrap();
    assert_eq!(git(&tree, &["log", "--format=%s"]), "second\nfirst");
    assert_eq!(git(&tree, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&tree, &["status", "--porcelain"]), "");
}

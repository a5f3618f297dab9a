//! CodeCommit as a pipeline source: a push starts the pipeline by itself (change detection),
//! the source artifact is the pushed tree, the execution names the pushed commit, and the
//! source action's variables are recorded; a `CODEBUILD_CLONE_REF` artifact fails any consumer
//! but CodeBuild, saying so. Also: repositories survive `kill -9`.

mod codepipeline_support;
mod common;

use std::time::{Duration, Instant};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, PipelineDeclaration, PipelineExecutionStatus,
};
use codepipeline_support::{action, clone_ref_source, stage, store, type_id, ROLE};
use common::git::git;
use common::process::Simfra;

fn pipeline(name: &str, poll: Option<&str>) -> PipelineDeclaration {
    let mut config = vec![("RepositoryName", "web"), ("BranchName", "main")];
    if let Some(p) = poll {
        config.push(("PollForSourceChanges", p));
    }
    let mut source = action(
        "Checkout",
        type_id(ActionCategory::Source, ActionOwner::Aws, "CodeCommit"),
        &config,
        &[],
        &["SourceOutput"],
    );
    source.namespace = Some("SourceVariables".into());
    let deploy = action(
        "Deploy",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[
            ("BucketName", "web-site"),
            ("Extract", "true"),
            ("CacheControl", "max-age=60"),
        ],
        &["SourceOutput"],
        &[],
    );
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source]))
        .stages(stage("Deploy", vec![deploy]))
        .build()
        .unwrap()
}

async fn executions(
    cp: &aws_sdk_codepipeline::Client,
    name: &str,
) -> Vec<aws_sdk_codepipeline::types::PipelineExecutionSummary> {
    cp.list_pipeline_executions()
        .pipeline_name(name)
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()
        .to_vec()
}

/// The deploy bucket `web-site` and the empty repository `web`; CodePipeline and S3 clients.
async fn web_site(
    server: &simfra::server::TestServer,
) -> (aws_sdk_codepipeline::Client, aws_sdk_s3::Client) {
    let s3 = common::s3(server);
    s3.create_bucket().bucket("web-site").send().await.unwrap();
    common::codecommit(server)
        .create_repository()
        .repository_name("web")
        .send()
        .await
        .unwrap();
    (common::codepipeline(server), s3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_starts_the_pipeline_and_deploys_the_pushed_tree() {
    let server = common::start();
    let (cp, s3) = web_site(&server).await;
    cp.create_pipeline()
        .pipeline(pipeline("web-release", None))
        .send()
        .await
        .unwrap();
    cp.create_pipeline()
        .pipeline(pipeline("web-manual", Some("false")))
        .send()
        .await
        .unwrap();

    // The first execution (CreatePipeline) fails: the repository has no branch yet.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ex = executions(&cp, "web-release").await;
        if ex.first().and_then(|e| e.status()) == Some(&PipelineExecutionStatus::Failed) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first execution did not fail: {ex:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Push a tree.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    std::fs::create_dir_all(work.join("assets")).unwrap();
    git(&work, &["init", "-q"]);
    std::fs::write(work.join("index.html"), "<h1>v1</h1>\n").unwrap();
    std::fs::write(work.join("assets/app.js"), "run()\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "Release v1"]);
    let commit = git(&work, &["rev-parse", "HEAD"]);
    let url = format!("http://{}/v1/repos/web", server.addr);
    git(&work, &["push", "-q", &url, "main"]);

    // The push starts the polling pipeline by itself, and it succeeds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let ex = executions(&cp, "web-release").await;
        let pushed = ex.iter().find(|e| {
            e.trigger()
                .and_then(|t| t.trigger_type())
                .map(|t| t.as_str())
                == Some("PollForSourceChanges")
        });
        if let Some(e) = pushed {
            if e.status() == Some(&PipelineExecutionStatus::Succeeded) {
                break e.clone();
            }
            assert_ne!(e.status(), Some(&PipelineExecutionStatus::Failed), "{e:?}");
        }
        assert!(
            Instant::now() < deadline,
            "the push did not start a run: {ex:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run.trigger().unwrap().trigger_detail(), Some("Checkout"));
    let revs = run.source_revisions();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].revision_id(), Some(commit.as_str()));
    let detail = cp
        .get_pipeline_execution()
        .pipeline_name("web-release")
        .pipeline_execution_id(run.pipeline_execution_id().unwrap())
        .send()
        .await
        .unwrap();
    let arts = detail.pipeline_execution().unwrap().artifact_revisions();
    assert_eq!(arts[0].revision_id(), Some(commit.as_str()));
    assert_eq!(arts[0].revision_summary(), Some("Release v1"));

    // The deploy bucket holds exactly the pushed tree.
    let listed = s3
        .list_objects_v2()
        .bucket("web-site")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    assert_eq!(keys, vec!["assets/app.js", "index.html"]);
    let body = s3
        .get_object()
        .bucket("web-site")
        .key("index.html")
        .send()
        .await
        .unwrap();
    // Served as a site: content types by extension, the action's Cache-Control.
    assert_eq!(body.content_type(), Some("text/html"));
    assert_eq!(body.cache_control(), Some("max-age=60"));
    assert_eq!(
        body.body.collect().await.unwrap().into_bytes().as_ref(),
        b"<h1>v1</h1>\n"
    );
    let script = s3
        .head_object()
        .bucket("web-site")
        .key("assets/app.js")
        .send()
        .await
        .unwrap();
    assert_eq!(script.content_type(), Some("application/javascript"));

    // The source action's variables.
    let actions = cp
        .list_action_executions()
        .pipeline_name("web-release")
        .send()
        .await
        .unwrap();
    let source = actions
        .action_execution_details()
        .iter()
        .find(|a| {
            a.action_name() == Some("Checkout")
                && a.pipeline_execution_id() == run.pipeline_execution_id()
        })
        .unwrap();
    let vars = source.output().unwrap().output_variables().unwrap();
    assert_eq!(vars.get("CommitId"), Some(&commit));
    assert_eq!(
        vars.get("CommitMessage").map(String::as_str),
        Some("Release v1")
    );
    assert_eq!(vars.get("BranchName").map(String::as_str), Some("main"));
    assert_eq!(vars.get("RepositoryName").map(String::as_str), Some("web"));
    assert!(vars.get("AuthorDate").unwrap().ends_with('Z'));

    // The PollForSourceChanges=false pipeline was not started by the push.
    let manual = executions(&cp, "web-manual").await;
    assert!(
        manual.iter().all(|e| e
            .trigger()
            .and_then(|t| t.trigger_type())
            .map(|t| t.as_str())
            != Some("PollForSourceChanges")),
        "{manual:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories_and_branches_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    std::fs::create_dir_all(&work).unwrap();
    let commit;
    {
        let simfra = Simfra::start(data.path());
        let cc = aws_sdk_codecommit::Client::new(&common::sdk_config(&simfra.url()));
        cc.create_repository()
            .repository_name("durable")
            .repository_description("kept")
            .send()
            .await
            .unwrap();
        git(&work, &["init", "-q"]);
        std::fs::write(work.join("a.txt"), "a\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-qm", "one"]);
        commit = git(&work, &["rev-parse", "HEAD"]);
        let url = format!("{}/v1/repos/durable", simfra.url());
        git(&work, &["push", "-q", &url, "main"]);
        git(&work, &["push", "-q", &url, "main:release"]);
        simfra.kill_9();
    }
    let simfra = Simfra::start(data.path());
    let cc = aws_sdk_codecommit::Client::new(&common::sdk_config(&simfra.url()));
    let repo = cc
        .get_repository()
        .repository_name("durable")
        .send()
        .await
        .unwrap();
    let md = repo.repository_metadata().unwrap();
    assert_eq!(md.repository_description(), Some("kept"));
    assert_eq!(md.default_branch(), Some("main"));
    let list = cc
        .list_branches()
        .repository_name("durable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.branches(),
        &["main".to_string(), "release".to_string()]
    );
    let b = cc
        .get_branch()
        .repository_name("durable")
        .branch_name("release")
        .send()
        .await
        .unwrap();
    assert_eq!(b.branch().unwrap().commit_id(), Some(commit.as_str()));
    let clone = tmp.path().join("c");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            &format!("{}/v1/repos/durable", simfra.url()),
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read_to_string(clone.join("a.txt")).unwrap(), "a\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_reference_is_for_codebuild_only() {
    let server = common::start();
    let (cp, s3) = web_site(&server).await;
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    std::fs::write(work.join("index.html"), "<h1>v1</h1>\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "v1"]);
    let commit = git(&work, &["rev-parse", "HEAD"]);
    git(
        &work,
        &[
            "push",
            "-q",
            &format!("http://{}/v1/repos/web", server.addr),
            "main",
        ],
    );

    // A clone reference handed to an S3 deploy fails it, naming why (as on AWS).
    let source = clone_ref_source("web", "Ref");
    let deploy = action(
        "Deploy",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[("BucketName", "web-site"), ("Extract", "true")],
        &["Ref"],
        &[],
    );
    let declaration = PipelineDeclaration::builder()
        .name("ref-to-s3")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source]))
        .stages(stage("Deploy", vec![deploy]))
        .build()
        .unwrap();
    cp.create_pipeline()
        .pipeline(declaration)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let ex = executions(&cp, "ref-to-s3").await;
        if let Some(e) = ex
            .first()
            .filter(|e| e.status() != Some(&PipelineExecutionStatus::InProgress))
        {
            break e.clone();
        }
        assert!(Instant::now() < deadline, "the execution did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(run.status(), Some(&PipelineExecutionStatus::Failed));
    let actions = cp
        .list_action_executions()
        .pipeline_name("ref-to-s3")
        .send()
        .await
        .unwrap();
    let failed = actions
        .action_execution_details()
        .iter()
        .find(|a| a.action_name() == Some("Deploy"))
        .unwrap();
    let message = failed
        .output()
        .unwrap()
        .execution_result()
        .unwrap()
        .external_execution_summary()
        .unwrap_or_default()
        .to_string();
    let state = cp
        .get_pipeline_state()
        .name("ref-to-s3")
        .send()
        .await
        .unwrap();
    let error = state.stage_states()[1].action_states()[0]
        .latest_execution()
        .unwrap()
        .error_details()
        .unwrap()
        .message()
        .unwrap()
        .to_string();
    assert!(
        error.contains("only a CodeBuild action can use it") && error.contains(&commit),
        "{error} / {message}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket("web-site")
        .send()
        .await
        .unwrap();
    assert!(listed.contents().is_empty());
}

//! The CodePipeline guide's reference pipeline, end to end, with real git, real Docker and the
//! AWS CLI (skipped with a message when there is no daemon or test image; a failure under
//! `CI=true`): `examples/pipeline.json` exactly as the guide writes it (CodeCommit source ->
//! CodeBuild -> CodeDeploy, V2, QUEUED), created with `aws codepipeline create-pipeline
//! --cli-input-json`; a `git push` starts it; the build's output ends up served by a process
//! that the deployment's ApplicationStart hook started in the target container.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::docker::{docker_available, TEST_IMAGE};
use common::git::git;

fn write(dir: &Path, path: &str, body: &str, exec: bool) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    if exec {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

const BUILDSPEC: &str = r#"version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist/site
      - echo "<h1>shop $(cat VERSION)</h1>" > dist/site/index.html
      - echo "<p>$CODEBUILD_RESOLVED_SOURCE_VERSION</p>" >> dist/site/index.html
      - cp appspec.yml dist/
      - cp -r scripts dist/
artifacts:
  base-directory: dist
  files:
    - '**/*'
"#;

const APPSPEC: &str = r#"version: 0.0
os: linux
files:
  - source: site
    destination: /srv/shop
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 30
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
  ValidateService:
    - location: scripts/validate.sh
      timeout: 30
"#;

const STOP: &str = "#!/bin/sh\nif [ -f /tmp/shop.pid ]; then kill \"$(cat /tmp/shop.pid)\" 2>/dev/null || true; rm -f /tmp/shop.pid; fi\n";
const START: &str = "#!/bin/sh\ncd /srv/shop\nnohup python3 -m http.server 8080 >/dev/null 2>&1 &\necho $! > /tmp/shop.pid\n";
const VALIDATE: &str = "#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10; do\n  if python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/index.html').read().decode())\"; then exit 0; fi\n  sleep 0.5\ndone\nexit 1\n";

struct Target(String);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn served(target: &Target) -> String {
    let out = Command::new("docker")
        .args([
            "exec",
            &target.0,
            "python3",
            "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/index.html').read().decode(), end='')",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_execution(url: &str, previous: usize) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let list = common::cli_json(
            url,
            &[
                "codepipeline",
                "list-pipeline-executions",
                "--pipeline-name",
                "my-pipeline",
            ],
        );
        let all = list["pipelineExecutionSummaries"]
            .as_array()
            .unwrap()
            .clone();
        if all.len() > previous {
            let newest = &all[0];
            let status = newest["status"].as_str().unwrap_or_default();
            if !matches!(status, "InProgress" | "Stopping") {
                return newest.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the pipeline did not finish: {all:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn the_guides_pipeline_builds_and_deploys_what_was_pushed() {
    if !docker_available() {
        return;
    }
    let tag = format!("shop-{}", std::process::id());
    let out = Command::new("docker")
        .args([
            "run",
            "-d",
            "--label",
            &format!("simfra.ec2.tag.Name={tag}"),
            TEST_IMAGE,
            "sleep",
            "infinity",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let target = Target(String::from_utf8_lossy(&out.stdout).trim().to_string());

    let mut settings = common::docker::settings();
    // The project names AWS's own image; simfra runs the local test image in its place.
    settings.codebuild_image = Some(TEST_IMAGE.to_string());
    let server = common::start_with(settings);
    let url = server.url();
    let cli = |args: &[&str]| common::cli_json(&url, args);

    cli(&[
        "codecommit",
        "create-repository",
        "--repository-name",
        "my-app",
    ]);
    cli(&[
        "codebuild",
        "create-project",
        "--name",
        "my-build",
        "--source",
        r#"{"type":"CODEPIPELINE"}"#,
        "--artifacts",
        r#"{"type":"CODEPIPELINE"}"#,
        "--environment",
        r#"{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL"}"#,
        "--service-role",
        "arn:aws:iam::000000000000:role/codebuild-role",
    ]);
    cli(&[
        "deploy",
        "create-application",
        "--application-name",
        "my-app",
    ]);
    cli(&[
        "deploy",
        "create-deployment-group",
        "--application-name",
        "my-app",
        "--deployment-group-name",
        "prod",
        "--service-role-arn",
        "arn:aws:iam::000000000000:role/codedeploy-role",
        "--ec2-tag-filters",
        &format!("Key=Name,Value={tag},Type=KEY_AND_VALUE"),
    ]);

    // The application's first version, pushed before the pipeline exists.
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("my-app");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo, "VERSION", "1.0", false);
    write(&repo, "buildspec.yml", BUILDSPEC, false);
    write(&repo, "appspec.yml", APPSPEC, false);
    write(&repo, "scripts/stop.sh", STOP, true);
    write(&repo, "scripts/start.sh", START, true);
    write(&repo, "scripts/validate.sh", VALIDATE, true);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "shop 1.0"]);
    let remote = format!("http://{}/v1/repos/my-app", server.addr);
    git(&repo, &["push", "-q", &remote, "main"]);

    // The guide's pipeline, as written; creating it starts the first execution.
    let pipeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipeline.json");
    cli(&[
        "codepipeline",
        "create-pipeline",
        "--cli-input-json",
        &format!("file://{}", pipeline.display()),
    ]);
    let first = wait_execution(&url, 0);
    assert_eq!(first["status"], "Succeeded", "{first}");
    // The page names the commit it was built from (CODEBUILD_RESOLVED_SOURCE_VERSION).
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    assert_eq!(
        served(&target),
        format!("<h1>shop 1.0</h1>\n<p>{commit}</p>")
    );

    // A push starts the pipeline again; the new version replaces the old one.
    write(&repo, "VERSION", "1.1", false);
    git(&repo, &["commit", "-q", "-am", "shop 1.1"]);
    git(&repo, &["push", "-q", &remote, "main"]);
    let second = wait_execution(&url, 1);
    assert_eq!(second["status"], "Succeeded", "{second}");
    assert_eq!(
        second["trigger"]["triggerType"], "PollForSourceChanges",
        "{second}"
    );
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    assert_eq!(
        served(&target),
        format!("<h1>shop 1.1</h1>\n<p>{commit}</p>")
    );

    let state = cli(&[
        "codepipeline",
        "get-pipeline-state",
        "--name",
        "my-pipeline",
    ]);
    for stage in state["stageStates"].as_array().unwrap() {
        assert_eq!(stage["latestExecution"]["status"], "Succeeded", "{stage}");
    }

    // The deploy action's targets: the tagged container, walked through the lifecycle.
    let deploy_id = state["stageStates"][2]["actionStates"][0]["latestExecution"]
        ["actionExecutionId"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = cli(&[
        "codepipeline",
        "list-deploy-action-execution-targets",
        "--pipeline-name",
        "my-pipeline",
        "--action-execution-id",
        &deploy_id,
    ]);
    let targets = listed["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{listed}");
    assert_eq!(targets[0]["targetType"], "EC2", "{listed}");
    assert_eq!(targets[0]["status"], "Succeeded", "{listed}");
    assert!(targets[0]["endTime"].is_number(), "{listed}");
    let events: Vec<&str> = targets[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(events.first(), Some(&"ApplicationStop"), "{listed}");
    assert_eq!(events.last(), Some(&"ValidateService"), "{listed}");
    let failed_only = cli(&[
        "codepipeline",
        "list-deploy-action-execution-targets",
        "--action-execution-id",
        &deploy_id,
        "--filters",
        "name=TARGET_STATUS,values=Failed",
    ]);
    assert_eq!(
        failed_only["targets"],
        serde_json::json!([]),
        "{failed_only}"
    );
}

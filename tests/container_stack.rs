//! simfra's own container image and its compose stack, with real Docker (skipped with a message
//! when there is no daemon, base images or compose tool; a failure under `CI=true`):
//! - `docker/Dockerfile` builds offline from the locally made base images
//!   (`docker/base-images.sh`), runs as an unprivileged user and answers `/_simfra/health`;
//!   without a usable Docker socket the health says why;
//! - `docker/docker-compose.yml` comes up, `examples/quickstart.sh` runs against it and its
//!   pipeline succeeds, the sample app answers from the stack's app container, the build
//!   reached simfra's S3; a restart and a kill of simfra lose nothing, and a new push runs the
//!   pipeline again.
//!
//! The image is built once per run, with the `dev` profile (CI's time budget; users build
//! `release`).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::docker::{docker_available, TEST_IMAGE};

const IMAGE: &str = "simfra-test/simfra:ci";
const RUNTIME_BASE: &str = "simfra-base/runtime:bookworm";
const BUILDER_BASE: &str = "simfra-base/rust:bookworm";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command starts")
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn docker(args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.args(args);
    c
}

/// Whether these tests can run here; says why not (and fails under `CI=true`).
fn ready() -> bool {
    if !docker_available() {
        return false;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for base in [RUNTIME_BASE, BUILDER_BASE] {
        if !run(docker(&["image", "inspect", base]).stdout(Stdio::null()))
            .status
            .success()
        {
            let why = format!(
                "the base image {base} is missing (make it with `bash docker/base-images.sh`)"
            );
            assert!(!ci, "CI=true and the container tests cannot run: {why}");
            eprintln!("skipping a container test: {why}");
            return false;
        }
    }
    true
}

/// Builds simfra's image once for the whole run (offline: base images and crates are local).
fn image() -> &'static str {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let started = Instant::now();
        let out = run(docker(&[
            "build",
            "-q",
            "-f",
            "docker/Dockerfile",
            "--build-arg",
            &format!("BUILDER_IMAGE={BUILDER_BASE}"),
            "--build-arg",
            &format!("RUNTIME_IMAGE={RUNTIME_BASE}"),
            "--build-arg",
            "CARGO_NET_OFFLINE=true",
            "--build-arg",
            "CARGO_PROFILE=dev",
            "-t",
            IMAGE,
            ".",
        ])
        .current_dir(root())
        .env("DOCKER_BUILDKIT", "0"));
        eprintln!("docker build took {:?}", started.elapsed());
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = built {
        panic!("the image did not build: {e}");
    }
    IMAGE
}

/// A container removed when the test ends, however it ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", "-v", &self.0]).output();
    }
}

fn published_port(container: &str) -> u16 {
    let p = ok(&mut docker(&["port", container, "4599/tcp"]));
    p.lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no published port in {p:?}"))
}

/// `/_simfra/health` of the server on `port`, once it answers (within `limit`).
fn health(port: u16, limit: Duration) -> serde_json::Value {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(body) = http_get(port, "/_simfra/health") {
            return serde_json::from_str(&body).expect("health is JSON");
        }
        assert!(
            Instant::now() < deadline,
            "nothing answered on port {port} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The body of a 200 answer to `GET path` on loopback, or None.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    head.contains(" 200 ").then(|| body.to_string())
}

fn socket_gid() -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/var/run/docker.sock")
        .map(|m| m.gid().to_string())
        .unwrap_or_else(|_| "0".into())
}

#[test]
fn the_image_builds_offline_runs_unprivileged_and_answers_health() {
    if !ready() {
        return;
    }
    let image = image();
    let size: u64 = ok(&mut docker(&["image", "inspect", "-f", "{{.Size}}", image]))
        .parse()
        .unwrap();
    eprintln!("image size: {:.1} MiB", size as f64 / 1048576.0);

    // Plain `docker run`, no Docker: answers health, as user 10001, with its data volume.
    let id = ok(&mut docker(&[
        "run",
        "-d",
        "-p",
        "127.0.0.1::4599",
        "--label",
        "simfra-test=container_stack",
        image,
    ]));
    let c = Container(id);
    let port = published_port(&c.0);
    let h = health(port, Duration::from_secs(20));
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["docker"]["enabled"], false, "{h}");
    assert_eq!(ok(&mut docker(&["exec", &c.0, "id", "-u"])), "10001");
    let probe = ok(&mut docker(&["exec", &c.0, "simfra", "health"]));
    assert!(probe.contains("\"status\":\"ok\""), "{probe}");
    // Docker's own health check turns healthy.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = ok(&mut docker(&[
            "inspect",
            "-f",
            "{{.State.Health.Status}}",
            &c.0,
        ]));
        if s == "healthy" {
            break;
        }
        assert!(Instant::now() < deadline, "the health check says {s}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(c);

    // SIMFRA_DOCKER=true without the socket: simfra starts and says why Docker is unavailable.
    let c = Container(ok(&mut docker(&[
        "run",
        "-d",
        "-p",
        "127.0.0.1::4599",
        "-e",
        "SIMFRA_DOCKER=true",
        image,
    ])));
    let h = health(published_port(&c.0), Duration::from_secs(20));
    assert_eq!(h["docker"]["enabled"], true, "{h}");
    assert_eq!(h["docker"]["available"], false, "{h}");
    assert!(
        h["docker"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("does not exist"),
        "{h}"
    );
    drop(c);

    // The socket mounted, but its group not given: the reason names the group to add.
    let gid = socket_gid();
    if gid != "0" {
        let c = Container(ok(&mut docker(&[
            "run",
            "-d",
            "-p",
            "127.0.0.1::4599",
            "-e",
            "SIMFRA_DOCKER=true",
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            image,
        ])));
        let h = health(published_port(&c.0), Duration::from_secs(20));
        let why = h["docker"]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            why.contains(&format!("group {gid}")) && why.contains("--group-add"),
            "{h}"
        );
    }
}

/// The compose tool: `docker compose` when the plugin is there, else `docker-compose`.
fn compose_cmd() -> Option<Vec<String>> {
    let works = |args: &[&str]| {
        Command::new(args[0])
            .args(&args[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works(&["docker", "compose", "version"]) {
        Some(vec!["docker".into(), "compose".into()])
    } else if works(&["docker-compose", "version"]) {
        Some(vec!["docker-compose".into()])
    } else {
        None
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A compose project, brought down with its volumes when the test ends.
struct Stack {
    tool: Vec<String>,
    project: String,
    env: Vec<(String, String)>,
}

impl Stack {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.tool[0]);
        c.args(&self.tool[1..])
            .args(["-p", &self.project, "-f", "docker/docker-compose.yml"])
            .args(args)
            .current_dir(root());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn container(&self, service: &str) -> String {
        ok(&mut self.cmd(&["ps", "-q", service]))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.cmd(&["down", "-v", "-t", "10"]).output();
    }
}

fn quickstart(url: &str, app_port: u16) -> String {
    let out = run(Command::new("bash")
        .arg(root().join("examples/quickstart.sh"))
        .env("SIMFRA_URL", url)
        .env("QUICKSTART_APP_URL", format!("http://127.0.0.1:{app_port}"))
        .env("QUICKSTART_TIMEOUT", "300")
        .env_remove("AWS_PROFILE"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "the quick start failed:\n{text}");
    text
}

fn served_version(app_port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(page) = http_get(app_port, "/index.html") {
            return page;
        }
        assert!(Instant::now() < deadline, "the app does not answer");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_compose_stack_runs_the_quickstart_and_keeps_everything_across_restarts() {
    if !ready() {
        return;
    }
    let Some(tool) = compose_cmd() else {
        let why = "no compose tool (`docker compose` or `docker-compose`)";
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and the compose test cannot run: {why}"
        );
        eprintln!("skipping the compose test: {why}");
        return;
    };
    // One compose test at a time on a machine (they share the Docker daemon).
    static ONE: Mutex<()> = Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let image = image();
    let (port, app_port) = (free_port(), free_port());
    let stack = Stack {
        tool,
        project: format!("simfraci{}", std::process::id()),
        env: vec![
            ("SIMFRA_IMAGE".into(), image.into()),
            ("SIMFRA_APP_IMAGE".into(), TEST_IMAGE.into()),
            ("SIMFRA_CODEBUILD_IMAGE".into(), TEST_IMAGE.into()),
            ("DOCKER_GID".into(), socket_gid()),
            ("SIMFRA_PUBLISH".into(), format!("127.0.0.1:{port}")),
            ("SIMFRA_APP_PUBLISH".into(), format!("127.0.0.1:{app_port}")),
            ("SIMFRA_LOG".into(), "info".into()),
        ],
    };
    let started = Instant::now();
    ok(&mut stack.cmd(&["up", "-d", "--no-build"]));
    let h = health(port, Duration::from_secs(30));
    eprintln!("compose up -> healthy: {:?}", started.elapsed());
    assert_eq!(h["docker"]["available"], true, "{h}");
    let network = h["docker"]["network"].as_str().unwrap_or_default();
    assert!(network.ends_with("_stack"), "{h}");

    let url = format!("http://127.0.0.1:{port}");
    let first = quickstart(&url, app_port);
    assert!(first.contains(": Succeeded"), "{first}");
    assert!(served_version(app_port).contains("sample-app 1.0"));
    // The build's `aws s3 cp` reached simfra.
    let reports = common::cli_json(
        &url,
        &["s3api", "list-objects-v2", "--bucket", "quickstart-reports"],
    );
    assert!(
        reports["Contents"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{reports}"
    );

    let executions = |url: &str| {
        common::cli_json(
            url,
            &[
                "codepipeline",
                "list-pipeline-executions",
                "--pipeline-name",
                "my-pipeline",
            ],
        )["pipelineExecutionSummaries"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = executions(&url);

    // A restart of simfra loses nothing.
    ok(&mut stack.cmd(&["restart", "simfra"]));
    health(port, Duration::from_secs(30));
    assert_eq!(executions(&url), before);
    common::cli_json(
        &url,
        &[
            "codecommit",
            "get-repository",
            "--repository-name",
            "my-app",
        ],
    );

    // Nor does a kill; the next push runs the pipeline again and deploys the new version.
    let simfra = stack.container("simfra");
    ok(&mut docker(&["kill", &simfra]));
    ok(&mut stack.cmd(&["up", "-d", "--no-build"]));
    health(port, Duration::from_secs(30));
    assert_eq!(executions(&url), before);
    let second = quickstart(&url, app_port);
    assert!(second.contains(": Succeeded"), "{second}");
    assert_eq!(executions(&url), before + 1);
    let page = served_version(app_port);
    assert!(!page.contains("sample-app 1.0<"), "{page}");

    // Down: simfra removes the build containers it started.
    ok(&mut stack.cmd(&["stop", "-t", "20", "simfra"]));
    let left = ok(&mut docker(&[
        "ps",
        "-aq",
        "--filter",
        "label=simfra.managed",
        "--filter",
        &format!("network={}", network),
    ]));
    assert!(left.is_empty(), "containers left behind: {left}");
}

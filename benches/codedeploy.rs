//! CodeDeploy benchmark against a running simfra with Docker: an in-place deployment of a
//! 10-file revision with a trivial hook (`#!/bin/sh` + `true`) for each hooked lifecycle event,
//! to 1 and to 8 targets (AllAtOnce), timed from CreateDeployment to Succeeded, beside the bare
//! `docker` CLI calls that the same work needs, measured in the same run as the bound.
//!
//! ```text
//! cargo build --release && SIMFRA_DOCKER=true SIMFRA_LOG=warn target/release/simfra --port 4599 &
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench codedeploy
//! ```
//!
//! Without `SIMFRA_BENCH_URL` the bench says so and skips. It needs a server started with
//! `SIMFRA_DOCKER=true` on this machine and the `docker` CLI. It starts 8 target containers
//! itself (`docker run -d --label simfra.ec2.tag.Name=<unique> IMAGE sleep infinity`, image
//! `simfra-test/build:1` or `SIMFRA_BENCH_IMAGE`; never pulled) and removes them at the end,
//! also when it fails. The revision (`appspec.yml`, `app/` with 10 files going to `/srv/app`,
//! one executable hook script for each of ApplicationStop, BeforeInstall, AfterInstall,
//! ApplicationStart and ValidateService) is uploaded as a zip to simfra's S3. Application and
//! groups are created with raw JSON 1.1 requests: group `bench-one` matches container 0 and
//! group `bench-all` all 8, both `CodeDeployDefault.AllAtOnce`.
//!
//! Each of `SIMFRA_BENCH_RUNS` rounds (default 10) measures, after one warm-up of each that is
//! not counted (it also gives every later deployment a previous revision, whose
//! ApplicationStop hook then runs):
//!
//! - (a) a deployment to 1 target: CreateDeployment sent -> GetDeployment shows Succeeded,
//!   polled every 10 ms (`SIMFRA_BENCH_POLL_MS`); fileExistsBehavior OVERWRITE;
//! - (b) the bound for 1 target: what a minimal agent does with the `docker` CLI, one call
//!   after the other: `docker exec` of the previous revision's ApplicationStop script,
//!   `docker cp` of the unpacked revision into a new directory of the container, `docker exec`
//!   of the BeforeInstall script, one `docker exec ... cp -r` that puts `app/` in place, and
//!   `docker exec` of each of the AfterInstall, ApplicationStart and ValidateService scripts;
//! - (c) a deployment to 8 targets, timed as (a);
//! - (d) the bound for 8 targets: (b) for all 8 containers at once (a thread each), until the
//!   last has finished.
//!
//! (a)/(b) and (c)/(d) alternate their order from round to round so that machine noise hits
//! both sides. The report gives median and p90 of each, the ratios against the 2x target,
//! CPU times (server, Docker daemon, the bench's `docker` CLI children), and where the time
//! goes inside the deployments from GetDeploymentTarget (each lifecycle event's `startTime`
//! and `endTime`). The server's state is reset (`POST /_simfra/reset`) before and after.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    env_or, json_request, load_average, millis, ms, pct, pids_named, plain_request, process_cpu,
    sorted, Conn,
};
use serde_json::{json, Value};

const CD: &str = "CodeDeploy_20141006";
const APP: &str = "bench-app";
const GROUP_ONE: &str = "bench-one";
const GROUP_ALL: &str = "bench-all";
const BUCKET: &str = "simfra-bench-codedeploy";
const KEY: &str = "revision.zip";
const DEFAULT_IMAGE: &str = "simfra-test/build:1";
/// Target containers the bench starts (group `bench-all` matches all of them).
const TARGETS: usize = 8;
/// Files under `app/` in the revision.
const APP_FILES: usize = 10;
/// The label every container of the bench carries (the clean-up check filters on it).
const BENCH_LABEL: &str = "simfra.bench=codedeploy";
/// Where the bound puts its copies of the revision in a container.
const BOUND_ROOT: &str = "/opt/bench-bound";
/// How long one deployment may take before the bench gives up.
const GIVE_UP: Duration = Duration::from_secs(180);
/// The target of the issue: simfra at most this many times the bare `docker` calls.
const TARGET: f64 = 2.0;
const HOOK_SCRIPT: &str = "#!/bin/sh\ntrue\n";
/// The hooked events and their scripts, in the order a deployment runs them.
const HOOKS: [(&str, &str); 5] = [
    ("ApplicationStop", "scripts/application-stop.sh"),
    ("BeforeInstall", "scripts/before-install.sh"),
    ("AfterInstall", "scripts/after-install.sh"),
    ("ApplicationStart", "scripts/application-start.sh"),
    ("ValidateService", "scripts/validate-service.sh"),
];
/// A Server in-place deployment's lifecycle events, in order.
const EVENTS: [&str; 7] = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
];

fn main() {
    let Ok(url) = std::env::var("SIMFRA_BENCH_URL") else {
        println!(
            "codedeploy bench: skipped. It needs a simfra started with SIMFRA_DOCKER=true on this \
             machine: SIMFRA_DOCKER=true target/release/simfra --port 4599 & then \
             SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench codedeploy"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // `run` owns the containers: they are removed before it returns, whatever the outcome.
    if let Err(e) = rt.block_on(run(url)) {
        eprintln!("codedeploy bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// The revision

/// The revision's files: (path, content, mode).
fn revision_files() -> Vec<(String, Vec<u8>, u32)> {
    let mut appspec = String::from(
        "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\nhooks:\n",
    );
    for (event, script) in HOOKS {
        appspec.push_str(&format!(
            "  {event}:\n    - location: {script}\n      timeout: 60\n"
        ));
    }
    let mut files = vec![("appspec.yml".to_string(), appspec.into_bytes(), 0o644)];
    for i in 0..APP_FILES {
        let body = format!("file {i} of the benchmark revision\n").repeat(32);
        files.push((format!("app/file-{i:02}.txt"), body.into_bytes(), 0o644));
    }
    for (_, script) in HOOKS {
        files.push((script.to_string(), HOOK_SCRIPT.as_bytes().to_vec(), 0o755));
    }
    files
}

fn revision_zip(files: &[(String, Vec<u8>, u32)]) -> Result<Vec<u8>, String> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, body, mode) in files {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        z.start_file(path.as_str(), options)
            .map_err(|e| format!("zip: {e}"))?;
        z.write_all(body).map_err(|e| format!("zip: {e}"))?;
    }
    Ok(z.finish().map_err(|e| format!("zip: {e}"))?.into_inner())
}

/// The revision unpacked on the host (what the bound copies into the containers).
fn write_tree(dir: &Path, files: &[(String, Vec<u8>, u32)]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    for (path, body, mode) in files {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&p, body).map_err(|e| format!("{}: {e}", p.display()))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode))
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The target containers and the bound

/// Runs `docker args...`; stdout is returned, a failure is an error with its stderr.
fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("the docker CLI: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker {}: {} {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The containers playing EC2 instances; removed when dropped (success, error or panic).
struct Targets {
    ids: Vec<String>,
    /// The value of their `simfra.ec2.tag.Name` label, unique to this run.
    tag: String,
    image: String,
}

impl Targets {
    /// Starts `n` containers; container 0 also carries `simfra.ec2.tag.Single=<tag>`.
    fn start(image: &str, n: usize) -> Result<Targets, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut targets = Targets {
            ids: Vec::with_capacity(n),
            tag: format!("simfra-bench-cd-{}-{nanos:08x}", std::process::id()),
            image: image.to_string(),
        };
        for i in 0..n {
            let name = format!("simfra.ec2.tag.Name={}", targets.tag);
            let single = format!("simfra.ec2.tag.Single={}", targets.tag);
            let run = format!("simfra.bench.run={}", targets.tag);
            let mut args = vec!["run", "-d", "--label", BENCH_LABEL, "--label", &run];
            args.extend(["--label", &name]);
            if i == 0 {
                args.extend(["--label", &single]);
            }
            args.extend([image, "sleep", "infinity"]);
            let id = docker(&args)?.trim().to_string();
            targets.ids.push(id);
        }
        for id in &targets.ids {
            docker(&["exec", id, "mkdir", "-p", BOUND_ROOT])?;
        }
        Ok(targets)
    }

    /// Removes the containers now (also done on drop); returns what is left with our label.
    fn remove(&mut self) -> Result<String, String> {
        if !self.ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(self.ids.iter().map(String::as_str));
            docker(&args)?;
            self.ids.clear();
        }
        docker(&[
            "ps",
            "-a",
            "-q",
            "--filter",
            &format!("label=simfra.bench.run={}", self.tag),
        ])
    }
}

impl Drop for Targets {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            eprintln!("codedeploy bench: removing the target containers: {e}");
        }
    }
}

/// One `docker` call of the bound, timed as a process (spawn -> exit).
fn timed(args: &[&str]) -> Result<Duration, String> {
    let t0 = Instant::now();
    docker(args)?;
    Ok(t0.elapsed())
}

/// The steps of the bound, in order (for the per-step times of (b)).
const BOUND_STEPS: [&str; 7] = [
    "exec ApplicationStop (previous revision)",
    "cp the unpacked revision in",
    "exec BeforeInstall",
    "exec cp -r app /srv/",
    "exec AfterInstall",
    "exec ApplicationStart",
    "exec ValidateService",
];

/// The bare work of one deployment on one target, with the `docker` CLI; `seq` names this
/// copy's directory, `prev` the previous one (whose ApplicationStop script runs first).
fn bound_target(
    container: &str,
    rev: &Path,
    seq: u64,
    prev: Option<u64>,
) -> Result<Vec<Duration>, String> {
    let dir = format!("{BOUND_ROOT}/{seq}");
    let hook = |dir: &str, (event, script): (&str, &str)| {
        let env = format!("LIFECYCLE_EVENT={event}");
        let path = format!("./{script}");
        timed(&["exec", "-w", dir, "-e", &env, container, &path])
    };
    let mut steps = Vec::with_capacity(BOUND_STEPS.len());
    steps.push(match prev {
        Some(p) => hook(&format!("{BOUND_ROOT}/{p}"), HOOKS[0])?,
        None => Duration::ZERO,
    });
    let rev = rev.to_string_lossy();
    steps.push(timed(&["cp", &rev, &format!("{container}:{dir}")])?);
    steps.push(hook(&dir, HOOKS[1])?);
    steps.push(timed(&[
        "exec",
        container,
        "cp",
        "-r",
        &format!("{dir}/app"),
        "/srv/",
    ])?);
    for h in &HOOKS[2..] {
        steps.push(hook(&dir, *h)?);
    }
    Ok(steps)
}

/// The bound for the containers `which` at once (a thread each), until the last is done.
/// Returns the wall time and the steps of each container.
fn bound(
    targets: &Targets,
    which: &[usize],
    rev: &Path,
    seq: &mut u64,
    prev: &mut [Option<u64>],
) -> Result<(Duration, Vec<Vec<Duration>>), String> {
    let mut jobs = Vec::with_capacity(which.len());
    for &i in which {
        *seq += 1;
        jobs.push((i, *seq, prev[i]));
    }
    let t0 = Instant::now();
    let results: Vec<Result<Vec<Duration>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(i, n, p)| {
                let id = targets.ids[i].as_str();
                s.spawn(move || bound_target(id, rev, n, p))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a bound thread panicked".into()))
            })
            .collect()
    });
    let elapsed = t0.elapsed();
    let mut steps = Vec::with_capacity(results.len());
    for ((i, n, _), r) in jobs.into_iter().zip(results) {
        steps.push(r?);
        prev[i] = Some(n);
    }
    Ok((elapsed, steps))
}

// ---------------------------------------------------------------------------------------------
// simfra

struct Ctx {
    addr: SocketAddr,
    host: String,
    poll: Duration,
    /// The server's pid (for its CPU time).
    pid: Option<u32>,
    /// dockerd and containerd, when this user can read their `/proc` entries.
    daemons: Vec<u32>,
}

/// One measured deployment.
struct Deployed {
    elapsed: Duration,
    /// `deploymentInfo` as GetDeployment returned it at the end.
    info: Value,
    /// Each target's `instanceTarget` from GetDeploymentTarget.
    targets: Vec<Value>,
}

fn s3_request(host: &str, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=bench/20261128/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

impl Ctx {
    async fn connect(&self) -> Result<Conn, String> {
        Conn::connect(self.addr)
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.host))
    }

    async fn call(&self, conn: &mut Conn, op: &str, body: &Value) -> Result<Value, String> {
        let target = format!("{CD}.{op}");
        let r = conn
            .send(&json_request(&self.host, &target, &body.to_string()))
            .await
            .map_err(|e| format!("{op}: {e}"))?;
        if r.status != 200 {
            return Err(format!("{op}: {} {}", r.status, r.text()));
        }
        Ok(r.json())
    }

    async fn reset(&self) -> Result<(), String> {
        let mut conn = self.connect().await?;
        let r = conn
            .send(&plain_request(&self.host, "POST", "/_simfra/reset"))
            .await
            .map_err(|e| format!("reset: {e}"))?;
        if r.status != 200 {
            return Err(format!("reset: {} {}", r.status, r.text()));
        }
        Ok(())
    }

    /// The bucket, the revision, the application and the two groups.
    async fn set_up(&self, zip: &[u8], tag: &str) -> Result<(), String> {
        let mut conn = self.connect().await?;
        for (path, body) in [
            (format!("/{BUCKET}"), &[][..]),
            (format!("/{BUCKET}/{KEY}"), zip),
        ] {
            let r = conn
                .send(&s3_request(&self.host, "PUT", &path, body))
                .await
                .map_err(|e| format!("S3 PUT {path}: {e}"))?;
            if r.status != 200 {
                return Err(format!("S3 PUT {path}: {} {}", r.status, r.text()));
            }
        }
        self.call(
            &mut conn,
            "CreateApplication",
            &json!({"applicationName": APP, "computePlatform": "Server"}),
        )
        .await?;
        for (group, key) in [(GROUP_ONE, "Single"), (GROUP_ALL, "Name")] {
            self.call(
                &mut conn,
                "CreateDeploymentGroup",
                &json!({
                    "applicationName": APP,
                    "deploymentGroupName": group,
                    "serviceRoleArn": "arn:aws:iam::000000000000:role/bench",
                    "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
                    "ec2TagFilters": [{"Key": key, "Value": tag, "Type": "KEY_AND_VALUE"}]
                }),
            )
            .await?;
        }
        Ok(())
    }

    /// One deployment to `group`: CreateDeployment, then GetDeployment every `poll` until it
    /// has ended; it must have Succeeded on `expected` targets. The targets' records are read
    /// after the clock has stopped.
    async fn deploy(&self, group: &str, expected: usize) -> Result<Deployed, String> {
        let mut conn = self.connect().await?;
        let create = json_request(
            &self.host,
            &format!("{CD}.CreateDeployment"),
            &json!({
                "applicationName": APP,
                "deploymentGroupName": group,
                "revision": {
                    "revisionType": "S3",
                    "s3Location": {"bucket": BUCKET, "key": KEY, "bundleType": "zip"}
                },
                "fileExistsBehavior": "OVERWRITE"
            })
            .to_string(),
        );
        let t0 = Instant::now();
        let r = conn
            .send(&create)
            .await
            .map_err(|e| format!("CreateDeployment: {e}"))?;
        if r.status != 200 {
            return Err(format!("CreateDeployment: {} {}", r.status, r.text()));
        }
        let id = r.json()["deploymentId"]
            .as_str()
            .ok_or_else(|| format!("CreateDeployment answered without an id: {}", r.text()))?
            .to_string();
        let get = json_request(
            &self.host,
            &format!("{CD}.GetDeployment"),
            &json!({ "deploymentId": id }).to_string(),
        );
        let (elapsed, info) = loop {
            let r = conn
                .send(&get)
                .await
                .map_err(|e| format!("GetDeployment: {e}"))?;
            if r.status != 200 {
                return Err(format!("GetDeployment: {} {}", r.status, r.text()));
            }
            let v = r.json();
            let status = v["deploymentInfo"]["status"].as_str().unwrap_or("");
            if matches!(status, "Succeeded" | "Failed" | "Stopped") {
                break (t0.elapsed(), v["deploymentInfo"].clone());
            }
            if t0.elapsed() > GIVE_UP {
                return Err(format!(
                    "deployment {id} did not end within {GIVE_UP:?} (status {status})"
                ));
            }
            tokio::time::sleep(self.poll).await;
        };
        let listed = self
            .call(
                &mut conn,
                "ListDeploymentTargets",
                &json!({ "deploymentId": id }),
            )
            .await?;
        let mut targets = Vec::new();
        for t in listed["targetIds"].as_array().into_iter().flatten() {
            let v = self
                .call(
                    &mut conn,
                    "GetDeploymentTarget",
                    &json!({ "deploymentId": id, "targetId": t }),
                )
                .await?;
            targets.push(v["deploymentTarget"]["instanceTarget"].clone());
        }
        if info["status"] != "Succeeded" {
            return Err(format!(
                "deployment {id} to {group} ended {}: {}; {}",
                info["status"],
                info["errorInformation"],
                failures(&targets)
            ));
        }
        if targets.len() != expected {
            return Err(format!(
                "deployment {id} to {group} had {} targets, not {expected}: another container \
                 carries this run's labels?",
                targets.len()
            ));
        }
        Ok(Deployed {
            elapsed,
            info,
            targets,
        })
    }

    fn server_cpu(&self) -> Duration {
        self.pid.and_then(process_cpu).unwrap_or_default()
    }

    fn daemons_cpu(&self) -> Duration {
        self.daemons.iter().filter_map(|&p| process_cpu(p)).sum()
    }
}

/// The failed events of the targets, with their diagnostics, for error messages.
fn failures(targets: &[Value]) -> String {
    let mut out = Vec::new();
    for t in targets {
        for e in t["lifecycleEvents"].as_array().into_iter().flatten() {
            if e["status"] == "Failed" {
                out.push(format!(
                    "{} {}: {}",
                    t["targetId"].as_str().unwrap_or("?"),
                    e["lifecycleEventName"].as_str().unwrap_or("?"),
                    e["diagnostics"]
                ));
            }
        }
    }
    if out.is_empty() {
        "no failed lifecycle event".into()
    } else {
        out.join("; ")
    }
}

// ---------------------------------------------------------------------------------------------
// Figures

/// The rows of the breakdown, in the order they are printed.
const ROWS: [&str; 14] = [
    "create -> start (deployment)",
    "start -> first event (target)",
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "between events (target)",
    "first event -> last event's end (target)",
    "last target's end -> complete (deployment)",
    "server: create -> complete",
    "client: CreateDeployment -> Succeeded seen",
];

/// Adds one deployment's figures (ms) to `rows`: deployment-level ones once, target-level
/// ones once per target.
fn breakdown(d: &Deployed, rows: &mut BTreeMap<&'static str, Vec<f64>>) {
    let create = millis(&d.info["createTime"]);
    let start = millis(&d.info["startTime"]);
    let complete = millis(&d.info["completeTime"]);
    let mut add = |row: &'static str, v: Option<f64>| {
        if let Some(v) = v {
            rows.entry(row).or_default().push(v);
        }
    };
    add(ROWS[0], start.zip(create).map(|(s, c)| s - c));
    add(ROWS[12], complete.zip(create).map(|(e, c)| e - c));
    add(ROWS[13], Some(ms(d.elapsed)));
    let mut last_end: Option<f64> = None;
    for t in &d.targets {
        let events: Vec<&Value> = t["lifecycleEvents"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let mut first: Option<f64> = None;
        let mut prev_end: Option<f64> = None;
        let mut gaps = 0.0;
        for e in &events {
            let (s, f) = (millis(&e["startTime"]), millis(&e["endTime"]));
            first = first.or(s);
            if let (Some(p), Some(s)) = (prev_end, s) {
                gaps += (s - p).max(0.0);
            }
            if let Some(k) = EVENTS.iter().position(|n| e["lifecycleEventName"] == *n) {
                // ROWS[2..9] are the events, in EVENTS' order.
                add(ROWS[2 + k], s.zip(f).map(|(s, f)| f - s));
            }
            prev_end = f.or(prev_end);
        }
        add(ROWS[1], first.zip(start).map(|(f, s)| f - s));
        add(ROWS[9], Some(gaps));
        add(ROWS[10], prev_end.zip(first).map(|(e, f)| e - f));
        last_end = match (last_end, prev_end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    add(ROWS[11], complete.zip(last_end).map(|(c, e)| c - e));
}

fn print_breakdown(title: &str, deployed: &[Deployed]) {
    let mut rows = BTreeMap::new();
    for d in deployed {
        breakdown(d, &mut rows);
    }
    println!(
        "    {title} ({} deployments, {} targets), ms median / p90:",
        deployed.len(),
        deployed.iter().map(|d| d.targets.len()).sum::<usize>()
    );
    for row in ROWS {
        if let Some(v) = rows.remove(row) {
            let v = sorted(v);
            println!(
                "      {row:<42} {:>7.0} {:>7.0}",
                pct(&v, 0.5),
                pct(&v, 0.9)
            );
        }
    }
}

/// One deployment's timeline: each target's events as start-end in ms from `createTime`.
fn print_timeline(title: &str, d: &Deployed) {
    let Some(create) = millis(&d.info["createTime"]) else {
        return;
    };
    let at = |v: &Value| millis(v).map_or("-".to_string(), |t| format!("{:.0}", t - create));
    println!(
        "    {title}: ms from createTime (start {}, complete {}); per target, event start-end:",
        at(&d.info["startTime"]),
        at(&d.info["completeTime"])
    );
    for t in &d.targets {
        let events: Vec<String> = t["lifecycleEvents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let name: String = e["lifecycleEventName"]
                    .as_str()
                    .unwrap_or("?")
                    .chars()
                    .filter(|c| c.is_ascii_uppercase())
                    .collect();
                format!("{name} {}-{}", at(&e["startTime"]), at(&e["endTime"]))
            })
            .collect();
        println!(
            "      {}: {}",
            t["targetId"].as_str().unwrap_or("?"),
            events.join(", ")
        );
    }
}

/// CPU time of this process's waited-for children (`cutime` + `cstime`, 10 ms ticks): the
/// `docker` CLI processes of the bound.
fn children_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return Duration::ZERO;
    };
    // `after` starts at field 3 (state): cutime is field 16, cstime field 17.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    match (tick(13), tick(14)) {
        (Some(u), Some(s)) => Duration::from_millis((u + s) * 10),
        _ => Duration::ZERO,
    }
}

// ---------------------------------------------------------------------------------------------
// The run

async fn run(url: String) -> Result<(), String> {
    let runs: usize = env_or("SIMFRA_BENCH_RUNS", 10usize).max(1);
    let poll = Duration::from_millis(env_or("SIMFRA_BENCH_POLL_MS", 10u64));
    let image = std::env::var("SIMFRA_BENCH_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.into());
    let (addr, host) = common::parse_url(&url)?;

    // The image must be here: nothing is pulled.
    docker(&["image", "inspect", "--format", "{{.Id}}", &image]).map_err(|e| {
        format!(
            "the image {image} is not present locally (build it with tests/images/build.sh, or \
             name another with SIMFRA_BENCH_IMAGE): {e}"
        )
    })?;
    let mut ctx = Ctx {
        addr,
        host,
        poll,
        pid: None,
        daemons: pids_named(&["dockerd", "containerd"]),
    };
    let mut conn = ctx.connect().await?;
    let health = conn
        .send(&plain_request(&ctx.host, "GET", "/_simfra/health"))
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .json();
    if health["docker"]["enabled"] != true {
        return Err(format!(
            "the server at {url} runs without Docker: start it with SIMFRA_DOCKER=true \
             (health: {health})"
        ));
    }
    ctx.pid = health["pid"].as_u64().map(|p| p as u32);

    let files = revision_files();
    let zip = revision_zip(&files)?;
    let tmp = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let rev: PathBuf = tmp.path().join("revision");
    write_tree(&rev, &files)?;

    let mut targets = Targets::start(&image, TARGETS)?;
    let measured = measure(&ctx, &targets, &rev, &zip, runs).await;
    // Installed by both sides: the 10 files must be in place on every target.
    let check = if measured.is_ok() {
        let mut bad = Vec::new();
        for id in &targets.ids {
            let n = docker(&["exec", id, "sh", "-c", "ls /srv/app | wc -l"])?;
            if n.trim() != APP_FILES.to_string() {
                bad.push(format!("{}: {} files", &id[..12], n.trim()));
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!("/srv/app is not as expected: {}", bad.join(", ")))
        }
    } else {
        Ok(())
    };
    let left = targets.remove()?;
    let reset = ctx.reset().await;
    measured?;
    check?;
    reset?;
    if left.trim().is_empty() {
        println!(
            "    target containers removed: none left with label simfra.bench.run={}",
            targets.tag
        );
        Ok(())
    } else {
        Err(format!("containers left behind: {}", left.trim()))
    }
}

async fn measure(
    ctx: &Ctx,
    targets: &Targets,
    rev: &Path,
    zip: &[u8],
    runs: usize,
) -> Result<(), String> {
    ctx.reset().await?;
    ctx.set_up(zip, &targets.tag).await?;
    let all: Vec<usize> = (0..TARGETS).collect();
    let mut seq = 0u64;
    let mut prev: Vec<Option<u64>> = vec![None; TARGETS];

    println!(
        "codedeploy: image {}, {} targets, revision of {} files ({} app files, {} hooks; zip {} \
         bytes), {runs} rounds, GetDeployment every {} ms; load {}",
        targets.image,
        targets.ids.len(),
        revision_files().len(),
        APP_FILES,
        HOOKS.len(),
        zip.len(),
        ctx.poll.as_millis(),
        load_average()
    );
    // Warm-up (not counted): the server's first Docker calls; every later deployment (and
    // bound) then has a previous revision on its targets, whose ApplicationStop runs.
    let w1 = ctx.deploy(GROUP_ONE, 1).await?;
    let w8 = ctx.deploy(GROUP_ALL, TARGETS).await?;
    let (b1, _) = bound(targets, &[0], rev, &mut seq, &mut prev)?;
    let (b8, _) = bound(targets, &all, rev, &mut seq, &mut prev)?;
    println!(
        "    warm-up: 1 target {:.0} ms, bound {:.0} ms; {TARGETS} targets {:.0} ms, bound {:.0} ms",
        ms(w1.elapsed),
        ms(b1),
        ms(w8.elapsed),
        ms(b8)
    );

    let (mut one, mut bare_one, mut many, mut bare_many) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut one_d, mut many_d) = (Vec::new(), Vec::new());
    let mut one_steps: Vec<Vec<Duration>> = Vec::new();
    let mut many_steps: Vec<Vec<Duration>> = Vec::new();
    // CPU: server; dockerd + containerd for (a) (b) (c) (d); the bound's docker CLI processes.
    let (mut cpu_one, mut cpu_many) = (Duration::ZERO, Duration::ZERO);
    let mut dcpu = [Duration::ZERO; 4];
    let (mut cli_one, mut cli_many) = (Duration::ZERO, Duration::ZERO);
    for r in 0..runs {
        for step in 0..2 {
            if (step + r) % 2 == 0 {
                let (c0, d0) = (ctx.server_cpu(), ctx.daemons_cpu());
                let d = ctx.deploy(GROUP_ONE, 1).await?;
                cpu_one += ctx.server_cpu().saturating_sub(c0);
                dcpu[0] += ctx.daemons_cpu().saturating_sub(d0);
                one.push(ms(d.elapsed));
                one_d.push(d);
            } else {
                let (k0, d0) = (children_cpu(), ctx.daemons_cpu());
                let (t, steps) = bound(targets, &[0], rev, &mut seq, &mut prev)?;
                dcpu[1] += ctx.daemons_cpu().saturating_sub(d0);
                cli_one += children_cpu().saturating_sub(k0);
                bare_one.push(ms(t));
                one_steps.extend(steps);
            }
        }
        for step in 0..2 {
            if (step + r) % 2 == 0 {
                let (c0, d0) = (ctx.server_cpu(), ctx.daemons_cpu());
                let d = ctx.deploy(GROUP_ALL, TARGETS).await?;
                cpu_many += ctx.server_cpu().saturating_sub(c0);
                dcpu[2] += ctx.daemons_cpu().saturating_sub(d0);
                many.push(ms(d.elapsed));
                many_d.push(d);
            } else {
                let (k0, d0) = (children_cpu(), ctx.daemons_cpu());
                let (t, steps) = bound(targets, &all, rev, &mut seq, &mut prev)?;
                dcpu[3] += ctx.daemons_cpu().saturating_sub(d0);
                cli_many += children_cpu().saturating_sub(k0);
                bare_many.push(ms(t));
                many_steps.extend(steps);
            }
        }
        println!(
            "    round {r}: 1 target {:.0} ms, bound {:.0} ms; {TARGETS} targets {:.0} ms, bound {:.0} ms",
            one[r], bare_one[r], many[r], bare_many[r]
        );
    }

    let (one, bare_one, many, bare_many) = (
        sorted(one),
        sorted(bare_one),
        sorted(many),
        sorted(bare_many),
    );
    let ratio = |a: &[f64], b: &[f64], q: f64| pct(a, q) / pct(b, q);
    let verdict = |r: f64| if r <= TARGET { "met" } else { "NOT met" };
    println!("    results, ms (median / p90), {runs} rounds:");
    for (label, v) in [
        ("(a) 1 target, CreateDeployment -> Succeeded seen", &one),
        ("(b) bound: 7 docker calls on 1 target", &bare_one),
        ("(c) 8 targets, CreateDeployment -> Succeeded seen", &many),
        (
            "(d) bound: 7 docker calls on each of 8, at once",
            &bare_many,
        ),
    ] {
        println!(
            "      {label:<52} {:>7.0} / {:>7.0}",
            pct(v, 0.5),
            pct(v, 0.9)
        );
    }
    let r1 = ratio(&one, &bare_one, 0.5);
    let r8 = ratio(&many, &bare_many, 0.5);
    println!(
        "    1 target / bound: {r1:.2}x (p90 {:.2}x): target <= {TARGET}x {}",
        ratio(&one, &bare_one, 0.9),
        verdict(r1)
    );
    println!(
        "    {TARGETS} targets / bound: {r8:.2}x (p90 {:.2}x): target <= {TARGET}x {}",
        ratio(&many, &bare_many, 0.9),
        verdict(r8)
    );

    let per = |d: Duration, n: usize| ms(d) / n as f64;
    println!(
        "    server CPU per deployment: {:.0} ms (1 target), {:.0} ms ({TARGETS} targets) (10 ms ticks)",
        per(cpu_one, runs),
        per(cpu_many, runs)
    );
    if ctx.daemons.is_empty() {
        println!("    Docker daemon CPU: not readable from /proc");
    } else {
        println!(
            "    dockerd+containerd CPU per target: deployment {:.0} ms, bound {:.0} ms; \
             with {TARGETS} at once: deployment {:.0} ms, bound {:.0} ms",
            per(dcpu[0], runs),
            per(dcpu[1], runs),
            per(dcpu[2], runs * TARGETS),
            per(dcpu[3], runs * TARGETS)
        );
    }
    println!(
        "    docker CLI CPU of the bound per target: {:.0} ms alone, {:.0} ms with {TARGETS} at once",
        per(cli_one, runs),
        per(cli_many, runs * TARGETS)
    );
    for (title, steps) in [
        ("(b) 1 target", &one_steps),
        ("(d) 8 at once, over all targets", &many_steps),
    ] {
        println!("    bound steps, {title}, ms median / p90:");
        for (i, name) in BOUND_STEPS.iter().enumerate() {
            let v = sorted(
                steps
                    .iter()
                    .filter_map(|s| s.get(i))
                    .map(|d| ms(*d))
                    .collect(),
            );
            println!(
                "      {name:<42} {:>7.0} {:>7.0}",
                pct(&v, 0.5),
                pct(&v, 0.9)
            );
        }
    }
    println!("    lifecycle events (GetDeploymentTarget startTime/endTime):");
    print_breakdown("(a) 1 target", &one_d);
    print_breakdown(&format!("(c) {TARGETS} targets"), &many_d);
    if let Some(d) = one_d.last() {
        print_timeline("the last (a) deployment", d);
    }
    if let Some(d) = many_d.last() {
        print_timeline("the last (c) deployment", d);
    }
    println!("    load at the end: {}", load_average());
    Ok(())
}

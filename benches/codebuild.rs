//! CodeBuild benchmark against a running simfra with Docker: a trivial build (`echo hello`)
//! from StartBuild to SUCCEEDED, beside `docker run --rm <same image> sh -c 'echo hello'`
//! measured in the same run as the physical bound; and N builds started at once beside N
//! `docker run --rm` started at once.
//!
//! ```text
//! cargo build --release && SIMFRA_DOCKER=true SIMFRA_LOG=warn target/release/simfra &
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench codebuild
//! ```
//!
//! Without `SIMFRA_BENCH_URL` the bench says so and skips (it needs a server started with
//! `SIMFRA_DOCKER=true` on this machine, and the `docker` CLI for the bound). The project is
//! NO_SOURCE with an inline buildspec whose only command is `echo hello`, NO_ARTIFACTS, image
//! `simfra-test/build:1` (`SIMFRA_BENCH_IMAGE` to change it; it must be present locally: the
//! bench never pulls). Each of `SIMFRA_BENCH_RUNS` rounds (default 10) measures, after one
//! warm-up of each that is not counted:
//!
//! - (a) one build: StartBuild sent -> BatchGetBuilds shows `buildComplete` with SUCCEEDED,
//!   polled every 10 ms (`SIMFRA_BENCH_POLL_MS`) by the client; nothing is subtracted;
//! - (b) `docker run --rm IMAGE sh -c 'echo hello'`, timed as a process (spawn -> exit);
//! - (c) `SIMFRA_BENCH_CONCURRENCY` builds (default 8) started at once (one connection each)
//!   -> all complete;
//! - (d) as many `docker run --rm` started at once -> all exited.
//!
//! (a)/(b) and (c)/(d) alternate their order from round to round so that machine noise hits
//! both sides. The report gives median and p90 of each, the ratios against the 1.5x targets,
//! the server's and the Docker daemon's CPU time per build (from `/proc`), and the per-phase
//! breakdown of the builds from their phases' `startTime`/`endTime`. The server's state is
//! reset before and after; every build is checked to have SUCCEEDED and every `docker run` to
//! have printed `hello`.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    env_or, json_request, load_average, millis, ms, pct, pids_named, plain_request, process_cpu,
    sorted, Conn,
};
use serde_json::{json, Value};

const CB: &str = "CodeBuild_20161006";
const PROJECT: &str = "bench-echo";
const DEFAULT_IMAGE: &str = "simfra-test/build:1";
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello\n";
/// How long one build (or one batch) may take before the bench gives up.
const GIVE_UP: Duration = Duration::from_secs(120);
/// The target of the issue: simfra at most this many times the bare `docker run`.
const TARGET: f64 = 1.5;
/// The phases in the order a build walks them.
const PHASES: [&str; 11] = [
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
];

fn main() {
    let Ok(url) = std::env::var("SIMFRA_BENCH_URL") else {
        println!(
            "codebuild bench: skipped. It needs a simfra started with SIMFRA_DOCKER=true on this \
             machine: SIMFRA_DOCKER=true target/release/simfra & then \
             SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench codebuild"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(run(url)) {
        eprintln!("codebuild bench: {e}");
        std::process::exit(1);
    }
}

struct Ctx {
    addr: SocketAddr,
    host: String,
    image: String,
    poll: Duration,
    /// The server's pid (for its CPU time).
    pid: Option<u32>,
    /// dockerd and containerd, when this user can read their `/proc` entries.
    daemons: Vec<u32>,
}

/// What one measured batch of builds saw.
struct Builds {
    elapsed: Duration,
    /// Every build record as BatchGetBuilds last returned it.
    records: Vec<Value>,
}

impl Ctx {
    async fn connect(&self) -> Result<Conn, String> {
        Conn::connect(self.addr)
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.host))
    }

    async fn call(&self, conn: &mut Conn, op: &str, body: &Value) -> Result<Value, String> {
        let target = format!("{CB}.{op}");
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

    async fn create_project(&self) -> Result<(), String> {
        let mut conn = self.connect().await?;
        let body = json!({
            "name": PROJECT,
            "source": {"type": "NO_SOURCE", "buildspec": BUILDSPEC},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": "LINUX_CONTAINER",
                "image": self.image,
                "computeType": "BUILD_GENERAL1_SMALL"
            },
            "serviceRole": "arn:aws:iam::000000000000:role/bench"
        });
        self.call(&mut conn, "CreateProject", &body).await?;
        Ok(())
    }

    /// Starts `n` builds at once (one connection each, connected before the clock starts)
    /// and polls BatchGetBuilds until every one is complete.
    async fn builds(&self, n: usize) -> Result<Builds, String> {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            conns.push(self.connect().await?);
        }
        let mut poller = self.connect().await?;
        let start = json_request(
            &self.host,
            &format!("{CB}.StartBuild"),
            &json!({ "projectName": PROJECT }).to_string(),
        );
        let t0 = Instant::now();
        let mut tasks = Vec::with_capacity(n);
        for mut conn in conns {
            let start = start.clone();
            tasks.push(tokio::spawn(async move { conn.send(&start).await }));
        }
        let mut ids = Vec::with_capacity(n);
        for t in tasks {
            let r = t
                .await
                .map_err(|e| format!("StartBuild: {e}"))?
                .map_err(|e| format!("StartBuild: {e}"))?;
            if r.status != 200 {
                return Err(format!("StartBuild: {} {}", r.status, r.text()));
            }
            let id = r.json()["build"]["id"]
                .as_str()
                .ok_or_else(|| format!("StartBuild answered without a build id: {}", r.text()))?
                .to_string();
            ids.push(id);
        }
        let query = json!({ "ids": ids });
        loop {
            let v = self.call(&mut poller, "BatchGetBuilds", &query).await?;
            let records = v["builds"].as_array().cloned().unwrap_or_default();
            let done = records.len() == n
                && records
                    .iter()
                    .all(|b| b["buildComplete"].as_bool() == Some(true));
            if done {
                let elapsed = t0.elapsed();
                for b in &records {
                    if b["buildStatus"] != "SUCCEEDED" {
                        return Err(format!(
                            "build {} ended {}: {}",
                            b["id"],
                            b["buildStatus"],
                            phase_contexts(b)
                        ));
                    }
                }
                return Ok(Builds { elapsed, records });
            }
            if t0.elapsed() > GIVE_UP {
                return Err(format!(
                    "builds {ids:?} did not complete within {GIVE_UP:?}"
                ));
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// `n` `docker run --rm IMAGE sh -c 'echo hello'` spawned back to back, until the last
    /// has exited; each must print `hello`.
    fn docker_runs(&self, n: usize) -> Result<Duration, String> {
        let t0 = Instant::now();
        let mut children = Vec::with_capacity(n);
        for _ in 0..n {
            let child = Command::new("docker")
                .args(["run", "--rm", &self.image, "sh", "-c", "echo hello"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("docker run: {e}"))?;
            children.push(child);
        }
        let mut failures = Vec::new();
        for child in children {
            let out = child
                .wait_with_output()
                .map_err(|e| format!("docker run: {e}"))?;
            if !out.status.success() || out.stdout != b"hello\n" {
                failures.push(format!(
                    "{}: {:?} {}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        let elapsed = t0.elapsed();
        if let Some(f) = failures.first() {
            return Err(format!("docker run failed: {f}"));
        }
        Ok(elapsed)
    }

    fn server_cpu(&self) -> Duration {
        self.pid.and_then(process_cpu).unwrap_or_default()
    }

    fn daemons_cpu(&self) -> Duration {
        self.daemons.iter().filter_map(|&p| process_cpu(p)).sum()
    }
}

/// Each phase with its status and context, for failure messages.
fn phase_contexts(b: &Value) -> String {
    b["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}:{} {}",
                p["phaseType"].as_str().unwrap_or("?"),
                p["phaseStatus"].as_str().unwrap_or("-"),
                p["contexts"]
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Per phase: milliseconds from its `startTime` to its `endTime` (phases without an end, i.e.
/// COMPLETED, are left out); plus "server total" (the build's `startTime` -> `endTime`) and
/// "gaps" (the sum of time between one phase's end and the next one's start).
fn phase_millis(b: &Value) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    let phases = b["phases"].as_array().cloned().unwrap_or_default();
    let mut prev_end: Option<f64> = None;
    let mut gaps = 0.0;
    for p in &phases {
        let Some(name) = PHASES.iter().find(|n| p["phaseType"] == **n) else {
            continue;
        };
        let start = millis(&p["startTime"]);
        if let (Some(prev), Some(start)) = (prev_end, start) {
            gaps += (start - prev).max(0.0);
        }
        let end = millis(&p["endTime"]);
        if let (Some(s), Some(e)) = (start, end) {
            out.insert(*name, e - s);
        }
        prev_end = end;
    }
    out.insert("(between phases)", gaps);
    if let (Some(s), Some(e)) = (millis(&b["startTime"]), millis(&b["endTime"])) {
        out.insert("(server: startTime -> endTime)", e - s);
    }
    out
}

/// Median/p90 of the phase breakdowns of `records`, one line per phase.
fn print_phases(title: &str, records: &[Value]) {
    let mut by_phase: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for b in records {
        for (k, v) in phase_millis(b) {
            by_phase.entry(k).or_default().push(v);
        }
    }
    println!("    {title} ({} builds), ms median / p90:", records.len());
    let order = PHASES
        .iter()
        .copied()
        .chain(["(between phases)", "(server: startTime -> endTime)"]);
    for name in order {
        if let Some(v) = by_phase.remove(name) {
            let v = sorted(v);
            println!(
                "      {name:<31} {:>7.0} {:>7.0}",
                pct(&v, 0.5),
                pct(&v, 0.9)
            );
        }
    }
}

async fn run(url: String) -> Result<(), String> {
    let runs: usize = env_or("SIMFRA_BENCH_RUNS", 10usize).max(1);
    let n: usize = env_or("SIMFRA_BENCH_CONCURRENCY", 8usize).max(1);
    let poll = Duration::from_millis(env_or("SIMFRA_BENCH_POLL_MS", 10u64));
    let image = std::env::var("SIMFRA_BENCH_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.into());
    let (addr, host) = common::parse_url(&url)?;

    // The image must be here: nothing is pulled.
    let inspected = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", &image])
        .output()
        .map_err(|e| format!("the docker CLI: {e}"))?;
    if !inspected.status.success() {
        return Err(format!(
            "the image {image} is not present locally (build it with tests/images/build.sh, \
             or name another with SIMFRA_BENCH_IMAGE): {}",
            String::from_utf8_lossy(&inspected.stderr).trim()
        ));
    }

    let mut ctx = Ctx {
        addr,
        host,
        image,
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
    ctx.reset().await?;
    ctx.create_project().await?;

    println!(
        "codebuild: image {}, {runs} rounds, {n} at once, BatchGetBuilds every {} ms; load {}",
        ctx.image,
        poll.as_millis(),
        load_average()
    );
    // Warm-up (not counted): the server's first Docker call agrees the API version; caches.
    let warm = ctx.builds(1).await?;
    let warm_run = ctx.docker_runs(1)?;
    println!(
        "    warm-up: one build {:.0} ms, one docker run {:.0} ms",
        ms(warm.elapsed),
        ms(warm_run)
    );

    let (mut one, mut bare_one, mut many, mut bare_many) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut one_records = Vec::new();
    let mut many_records = Vec::new();
    let (mut cpu_one, mut cpu_many) = (Duration::ZERO, Duration::ZERO);
    let (mut dcpu_one, mut dcpu_bare_one, mut dcpu_many, mut dcpu_bare_many) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    for r in 0..runs {
        // (a) and (b), in alternating order.
        for step in 0..2 {
            if (step + r) % 2 == 0 {
                let (c0, d0) = (ctx.server_cpu(), ctx.daemons_cpu());
                let b = ctx.builds(1).await?;
                cpu_one += ctx.server_cpu().saturating_sub(c0);
                dcpu_one += ctx.daemons_cpu().saturating_sub(d0);
                one.push(ms(b.elapsed));
                one_records.extend(b.records);
            } else {
                let d0 = ctx.daemons_cpu();
                bare_one.push(ms(ctx.docker_runs(1)?));
                dcpu_bare_one += ctx.daemons_cpu().saturating_sub(d0);
            }
        }
        // (c) and (d), in alternating order.
        for step in 0..2 {
            if (step + r) % 2 == 0 {
                let (c0, d0) = (ctx.server_cpu(), ctx.daemons_cpu());
                let b = ctx.builds(n).await?;
                cpu_many += ctx.server_cpu().saturating_sub(c0);
                dcpu_many += ctx.daemons_cpu().saturating_sub(d0);
                many.push(ms(b.elapsed));
                many_records.extend(b.records);
            } else {
                let d0 = ctx.daemons_cpu();
                bare_many.push(ms(ctx.docker_runs(n)?));
                dcpu_bare_many += ctx.daemons_cpu().saturating_sub(d0);
            }
        }
        println!(
            "    round {r}: build {:.0} ms, docker run {:.0} ms; {n} builds {:.0} ms, {n} docker runs {:.0} ms",
            one[r], bare_one[r], many[r], bare_many[r]
        );
    }

    let (one, bare_one, many, bare_many) = (
        sorted(one),
        sorted(bare_one),
        sorted(many),
        sorted(bare_many),
    );
    let ratio_one = pct(&one, 0.5) / pct(&bare_one, 0.5);
    let ratio_many = pct(&many, 0.5) / pct(&bare_many, 0.5);
    let verdict = |r: f64| {
        if r <= TARGET {
            "met"
        } else {
            "NOT met"
        }
    };
    println!("    results, ms (median / p90), {runs} rounds:");
    println!(
        "      (a) one build, StartBuild -> SUCCEEDED seen      {:>7.0} / {:>7.0}",
        pct(&one, 0.5),
        pct(&one, 0.9)
    );
    println!(
        "      (b) docker run --rm, one                         {:>7.0} / {:>7.0}",
        pct(&bare_one, 0.5),
        pct(&bare_one, 0.9)
    );
    println!(
        "      (c) {n} builds at once, all SUCCEEDED seen        {:>7.0} / {:>7.0}",
        pct(&many, 0.5),
        pct(&many, 0.9)
    );
    println!(
        "      (d) {n} docker run --rm at once, all exited       {:>7.0} / {:>7.0}",
        pct(&bare_many, 0.5),
        pct(&bare_many, 0.9)
    );
    println!(
        "    one build / docker run: {ratio_one:.2}x (p90 {:.2}x): target <= {TARGET}x {}",
        pct(&one, 0.9) / pct(&bare_one, 0.9),
        verdict(ratio_one)
    );
    println!(
        "    {n} builds / {n} docker runs: {ratio_many:.2}x (p90 {:.2}x): target <= {TARGET}x {}",
        pct(&many, 0.9) / pct(&bare_many, 0.9),
        verdict(ratio_many)
    );
    let per = |d: Duration, count: usize| ms(d) / count as f64;
    println!(
        "    server CPU per build: {:.1} ms alone, {:.1} ms in batches of {n} (10 ms ticks)",
        per(cpu_one, runs),
        per(cpu_many, runs * n)
    );
    if ctx.daemons.is_empty() {
        println!("    Docker daemon CPU: not readable from /proc");
    } else {
        println!(
            "    dockerd+containerd CPU per container: build {:.1} ms, docker run {:.1} ms; \
             in batches of {n}: build {:.1} ms, docker run {:.1} ms",
            per(dcpu_one, runs),
            per(dcpu_bare_one, runs),
            per(dcpu_many, runs * n),
            per(dcpu_bare_many, runs * n)
        );
    }
    println!("    phases (from the builds' startTime/endTime):");
    print_phases("(a) one build at a time", &one_records);
    print_phases(&format!("(c) {n} builds at once"), &many_records);
    if let Some(b) = one_records.last() {
        println!("    the last (a) build, phase by phase (ms):");
        let t0 = millis(&b["startTime"]).unwrap_or(0.0);
        for p in b["phases"].as_array().into_iter().flatten() {
            let start = millis(&p["startTime"]).map(|s| s - t0);
            let end = millis(&p["endTime"]).map(|e| e - t0);
            println!(
                "      {:<17} {:>6} -> {:>6}",
                p["phaseType"].as_str().unwrap_or("?"),
                start.map_or("-".into(), |s| format!("{s:.0}")),
                end.map_or("-".into(), |e| format!("{e:.0}"))
            );
        }
    }
    println!("    load at the end: {}", load_average());
    ctx.reset().await?;
    Ok(())
}

//! Execution-engine benchmark: real executions of an S3 source -> S3 deploy pipeline (no
//! containers), driven over AWS JSON 1.1 against a running simfra.
//!
//! ```text
//! cargo build --release && target/release/simfra &                  # in memory
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench engine
//! SIMFRA_DATA_DIR=$(mktemp -d) target/release/simfra &               # persisted
//! ```
//!
//! Measures (a) StartPipelineExecution -> Succeeded latency over 500 runs (client-observed,
//! with a tight GetPipelineExecution loop, and server-side from the execution's own
//! timestamps); (b) sustained executions/s with 32 clients each starting an execution and
//! waiting for it (PARALLEL); (c) 1,000 PARALLEL executions started at once: time until all
//! succeeded and peak resident memory; (d) 200 QUEUED executions: order kept, total time;
//! (e) a custom action answered by job workers that poll continuously (`engine/jobs.rs`).
//! Environment: `SIMFRA_BENCH_URL`, `SIMFRA_BENCH_SECS` (run (b), default 20). The server's
//! state is reset before and after.

mod common;
#[path = "engine/jobs.rs"]
mod jobs;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{json_request, mib, plain_request, process_rss, Conn};

const CP: &str = "CodePipeline_20150709";

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(run()) {
        eprintln!("engine bench: {e}");
        std::process::exit(1);
    }
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

fn pipeline(name: &str, mode: &str) -> String {
    serde_json::json!({"pipeline": {
        "name": name, "roleArn": "arn:aws:iam::000000000000:role/bench",
        "pipelineType": "V2", "executionMode": mode,
        "artifactStore": {"type": "S3", "location": "bench-artifacts"},
        "stages": [
            {"name": "Source", "actions": [{"name": "Source",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": "bench-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "Src"}]}]},
            {"name": "Deploy", "actions": [{"name": "Deploy",
                "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"BucketName": "bench-site", "Extract": "true"},
                "inputArtifacts": [{"name": "Src"}]}]}
        ]}})
    .to_string()
}

struct Ctx {
    addr: SocketAddr,
    host: String,
}

impl Ctx {
    async fn call(
        &self,
        conn: &mut Conn,
        target: &str,
        body: &str,
    ) -> Result<serde_json::Value, String> {
        let r = conn
            .send(&json_request(&self.host, &format!("{CP}.{target}"), body))
            .await
            .map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!("{target}: {} {}", r.status, r.text()));
        }
        Ok(r.json())
    }

    async fn start(&self, conn: &mut Conn, pipeline: &str) -> Result<String, String> {
        let v = self
            .call(
                conn,
                "StartPipelineExecution",
                &format!("{{\"name\":\"{pipeline}\"}}"),
            )
            .await?;
        Ok(v["pipelineExecutionId"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Status, start and last update (epoch seconds) of an execution.
    async fn execution(
        &self,
        conn: &mut Conn,
        pipeline: &str,
        id: &str,
    ) -> Result<(String, f64), String> {
        let v = self
            .call(
                conn,
                "GetPipelineExecution",
                &format!("{{\"pipelineName\":\"{pipeline}\",\"pipelineExecutionId\":\"{id}\"}}"),
            )
            .await?;
        Ok((
            v["pipelineExecution"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            0.0,
        ))
    }

    /// Waits for an execution, polling every `pause` (zero: back to back).
    async fn wait_every(
        &self,
        conn: &mut Conn,
        pipeline: &str,
        id: &str,
        pause: Duration,
    ) -> Result<(), String> {
        loop {
            let (status, _) = self.execution(conn, pipeline, id).await?;
            match status.as_str() {
                "Succeeded" => return Ok(()),
                "InProgress" if pause.is_zero() => tokio::task::yield_now().await,
                "InProgress" => tokio::time::sleep(pause).await,
                other => return Err(format!("execution {id} ended {other}")),
            }
        }
    }

    async fn wait(&self, conn: &mut Conn, pipeline: &str, id: &str) -> Result<(), String> {
        self.wait_every(conn, pipeline, id, Duration::ZERO).await
    }

    /// Server-side duration (ms) of every execution of a pipeline, from its own timestamps.
    async fn server_durations(&self, conn: &mut Conn, pipeline: &str) -> Result<Vec<f64>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let body = match &token {
                Some(t) => format!("{{\"pipelineName\":\"{pipeline}\",\"nextToken\":\"{t}\"}}"),
                None => format!("{{\"pipelineName\":\"{pipeline}\"}}"),
            };
            let v = self.call(conn, "ListPipelineExecutions", &body).await?;
            for s in v["pipelineExecutionSummaries"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if s["status"] == "Succeeded" {
                    let start = s["startTime"].as_f64().unwrap_or(0.0);
                    let end = s["lastUpdateTime"].as_f64().unwrap_or(0.0);
                    out.push((end - start) * 1000.0);
                }
            }
            match v["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        Ok(out)
    }
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn run() -> Result<(), String> {
    let url = std::env::var("SIMFRA_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:4599".into());
    let secs: u64 = std::env::var("SIMFRA_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (addr, host) = common::parse_url(&url)?;
    let ctx = Arc::new(Ctx {
        addr,
        host: host.clone(),
    });
    let mut conn = Conn::connect(addr)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let health = conn
        .send(&plain_request(&host, "GET", "/_simfra/health"))
        .await
        .map_err(|e| e.to_string())?
        .json();
    let pid = health["pid"]
        .as_u64()
        .ok_or("the server did not report its pid")? as u32;
    conn.send(&plain_request(&host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;

    // Buckets and the source object (a small zip with two files).
    let zip = {
        let dir = std::env::temp_dir().join(format!("simfra-bench-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/index.html"), "<h1>bench</h1>").map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/app.js"), "console.log('bench')")
            .map_err(|e| e.to_string())?;
        simfra::archive::zip_dir(&dir.join("src"), &dir.join("app.zip"))
            .map_err(|e| e.to_string())?;
        let bytes = std::fs::read(dir.join("app.zip")).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&dir);
        bytes
    };
    for req in [
        s3_request(&host, "PUT", "/bench-source", b""),
        s3_request(&host, "PUT", "/bench-site", b""),
        s3_request(&host, "PUT", "/bench-artifacts", b""),
        s3_request(
            &host,
            "PUT",
            "/bench-source?versioning",
            b"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>",
        ),
        s3_request(&host, "PUT", "/bench-source/app.zip", &zip),
    ] {
        let r = conn.send(&req).await.map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!("S3 set-up failed: {} {}", r.status, r.text()));
        }
    }

    // (a) latency, one execution at a time.
    ctx.call(
        &mut conn,
        "CreatePipeline",
        &pipeline("latency", "SUPERSEDED"),
    )
    .await?;
    let first = ctx
        .call(
            &mut conn,
            "ListPipelineExecutions",
            "{\"pipelineName\":\"latency\"}",
        )
        .await?["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ctx.wait(&mut conn, "latency", &first).await?;
    let mut client_ms = Vec::new();
    for _ in 0..500 {
        let t0 = Instant::now();
        let id = ctx.start(&mut conn, "latency").await?;
        ctx.wait(&mut conn, "latency", &id).await?;
        client_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    client_ms.sort_by(|a, b| a.total_cmp(b));
    let mut server_ms = ctx.server_durations(&mut conn, "latency").await?;
    server_ms.sort_by(|a, b| a.total_cmp(b));
    println!("(a) StartPipelineExecution -> Succeeded, 500 runs, one at a time");
    println!(
        "    client-observed: p50 {:.2} ms, p99 {:.2} ms   server-side (record timestamps): p50 {:.1} ms, p99 {:.1} ms",
        pct(&client_ms, 0.5),
        pct(&client_ms, 0.99),
        pct(&server_ms, 0.5),
        pct(&server_ms, 0.99)
    );

    // (b) sustained: 32 clients, each starting an execution and waiting for it.
    ctx.call(
        &mut conn,
        "CreatePipeline",
        &pipeline("sustained", "PARALLEL"),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(ctx.addr).await.map_err(|e| e.to_string())?;
            let mut done = 0u64;
            while Instant::now() < deadline {
                let id = ctx.start(&mut conn, "sustained").await?;
                // 32 clients polling back to back would mostly measure the polling.
                ctx.wait_every(&mut conn, "sustained", &id, Duration::from_millis(2))
                    .await?;
                done += 1;
            }
            Ok::<u64, String>(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("(b) sustained, 32 clients, PARALLEL: {total} executions in {elapsed:.1} s = {:.0} executions/s", total as f64 / elapsed);

    // (c) 1,000 PARALLEL executions started at once. (A fresh connection: the server closes
    // keep-alive connections that sat idle during (b).)
    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    ctx.call(&mut conn, "CreatePipeline", &pipeline("burst", "PARALLEL"))
        .await?;
    // CreatePipeline starts a first execution: let it end, so that the 1,000 below fit the
    // pipeline's limit of 1,000 executions in progress.
    loop {
        let v = ctx
            .call(
                &mut conn,
                "ListPipelineExecutions",
                "{\"pipelineName\":\"burst\"}",
            )
            .await?;
        let first = &v["pipelineExecutionSummaries"][0]["status"];
        if first != "InProgress" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rss_before = process_rss(pid).unwrap_or(0);
    let t0 = Instant::now();
    let mut ids = Vec::with_capacity(1000);
    let mut starters = Vec::new();
    for _ in 0..8 {
        let ctx = ctx.clone();
        starters.push(tokio::spawn(async move {
            let mut conn = Conn::connect(ctx.addr).await.map_err(|e| e.to_string())?;
            let mut ids = Vec::new();
            for _ in 0..125 {
                ids.push(ctx.start(&mut conn, "burst").await?);
            }
            Ok::<_, String>(ids)
        }));
    }
    for s in starters {
        ids.extend(s.await.map_err(|e| e.to_string())??);
    }
    let started_all = t0.elapsed();
    let mut peak = rss_before;
    loop {
        peak = peak.max(process_rss(pid).unwrap_or(0));
        let v = ctx
            .call(
                &mut conn,
                "ListPipelineExecutions",
                "{\"pipelineName\":\"burst\",\"maxResults\":100}",
            )
            .await?;
        let all_done = v["pipelineExecutionSummaries"]
            .as_array()
            .is_some_and(|a| a.iter().all(|s| s["status"] == "Succeeded"));
        if all_done {
            // The first page holds the newest; confirm every one.
            let mut ok = 0;
            for id in &ids {
                if ctx.execution(&mut conn, "burst", id).await?.0 == "Succeeded" {
                    ok += 1;
                }
            }
            if ok == ids.len() {
                break;
            }
        }
        if t0.elapsed() > Duration::from_secs(120) {
            return Err("(c) did not finish within 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "(c) 1,000 PARALLEL executions started in {:.2} s, all Succeeded after {:.2} s; resident memory {} before, peak {}",
        started_all.as_secs_f64(),
        t0.elapsed().as_secs_f64(),
        mib(rss_before),
        mib(peak)
    );

    // (d) 200 QUEUED executions: entered in start order.
    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    ctx.call(&mut conn, "CreatePipeline", &pipeline("queued", "QUEUED"))
        .await?;
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(ctx.start(&mut conn, "queued").await?);
    }
    for id in &ids {
        ctx.wait(&mut conn, "queued", id).await?;
    }
    let total = t0.elapsed();
    // Order: each execution's Deploy action started after the previous one's.
    let mut starts = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let body = match &token {
            Some(t) => format!("{{\"pipelineName\":\"queued\",\"nextToken\":\"{t}\"}}"),
            None => "{\"pipelineName\":\"queued\"}".to_string(),
        };
        let v = ctx.call(&mut conn, "ListActionExecutions", &body).await?;
        for d in v["actionExecutionDetails"].as_array().into_iter().flatten() {
            if d["actionName"] == "Deploy" {
                starts.push((
                    d["pipelineExecutionId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    d["startTime"].as_f64().unwrap_or(0.0),
                ));
            }
        }
        match v["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    // Kept when, in start order, each execution's Deploy began no earlier than the one
    // started before it (start times have millisecond resolution: equal times are ties, not
    // reorderings).
    let time_of = |id: &str| starts.iter().find(|(i, _)| i == id).map(|(_, t)| *t);
    let times: Vec<Option<f64>> = ids.iter().map(|id| time_of(id)).collect();
    let kept = times.iter().all(Option::is_some)
        && times
            .windows(2)
            .all(|w| w[0].unwrap_or(0.0) <= w[1].unwrap_or(0.0));
    println!(
        "(d) 200 QUEUED executions: {:.2} s in total, order kept: {kept}",
        total.as_secs_f64()
    );

    jobs::run(&ctx).await?;

    conn.send(&plain_request(&host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;
    if !kept {
        return Err("QUEUED order was not kept".into());
    }
    Ok(())
}

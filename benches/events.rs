//! EventBridge benchmark against a running simfra: rule matching throughput and the latency of
//! a CodePipeline state-change event to an API destination served by the bench.
//!
//! ```text
//! cargo build --release && SIMFRA_LOG=warn target/release/simfra &
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench events
//! ```
//!
//! (a) 100 rules on the default bus with varied patterns (prefix, suffix, numeric,
//! anything-but, exists, nested, `$or`, equals-ignore-case, wildcard, exact); 94 of them never
//! match the traffic (but most must look into `detail` to find out), 5 match 6% of it and
//! forward to an event bus without rules (no network), and one matches only the last event
//! and delivers it to a loopback listener of the bench. 10,000 events go through PutEvents in
//! batches of 10 over 4 connections; events are matched by the server's single delivery task
//! in arrival order, so the last event's arrival at the listener means all were matched. The
//! figure is 10,000 / (first PutEvents sent -> last event delivered), with the server's CPU
//! time (`/proc/<pid>/stat`) per event. The 600 expected deliveries are checked.
//! (b) A pipeline whose S3 source bucket does not exist (each execution fails at once), a rule
//! on "CodePipeline Pipeline Execution State Change" (STARTED and FAILED) delivering to the
//! loopback listener through an API destination; 200 executions one after the other, each
//! waited for (its FAILED event) before the next. Latency: StartPipelineExecution returning
//! -> arrival of the event at the listener (STARTED may arrive before the call returns: then
//! the figure is negative).
//! Environment: `SIMFRA_BENCH_URL`. The server's state is reset before and after.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{json_request, plain_request, process_cpu, thousands, Conn, CpuSource};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

const EV: &str = "AWSEvents";
const CP: &str = "CodePipeline_20150709";
const EVENTS: usize = 10_000;
const EXECUTIONS: usize = 200;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(run()) {
        eprintln!("events bench: {e}");
        std::process::exit(1);
    }
}

/// What the loopback listener received: (key, arrival) where the key is
/// `<source>|<execution-id or seq>|<state>`.
#[derive(Default)]
struct Arrivals {
    seen: Mutex<HashMap<String, Instant>>,
    notify: Notify,
}

impl Arrivals {
    async fn wait_for(&self, key: &str, within: Duration) -> Result<Instant, String> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.notify.notified();
            if let Some(t) = self.seen.lock().unwrap().get(key) {
                return Ok(*t);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{key} was not delivered within {within:?}"));
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

fn key_of(event: &Value) -> String {
    let d = &event["detail"];
    let id = d["execution-id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| d["seq"].as_u64().map(|n| n.to_string()))
        .unwrap_or_default();
    format!(
        "{}|{}|{}",
        event["source"].as_str().unwrap_or(""),
        id,
        d["state"].as_str().unwrap_or("")
    )
}

/// A keep-alive HTTP/1.1 listener on loopback that answers 200 and records arrivals.
async fn listener(arrivals: Arc<Arrivals>) -> Result<u16, String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let _ = sock.set_nodelay(true);
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    let split = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < split + 4 + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let at = Instant::now();
                    if let Ok(v) = serde_json::from_slice::<Value>(&buf[split + 4..split + 4 + len])
                    {
                        arrivals.seen.lock().unwrap().insert(key_of(&v), at);
                        arrivals.notify.notify_waiters();
                    }
                    buf.drain(..split + 4 + len);
                    if sock
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(port)
}

async fn call(conn: &mut Conn, host: &str, target: &str, body: &str) -> Result<Value, String> {
    let r = conn
        .send(&json_request(host, target, body))
        .await
        .map_err(|e| format!("{target}: {e}"))?;
    if r.status != 200 {
        return Err(format!("{target}: {} {}", r.status, r.text()));
    }
    Ok(r.json())
}

/// The 100 rules: (name, pattern, matches traffic?).
fn rules() -> Vec<(String, Value, bool)> {
    let mut out = Vec::new();
    // Rules that match part of the traffic (6% of events in all).
    let hits = [
        json!({"source": ["bench.shop"], "detail": {"bucket": [{"numeric": ["=", 0]}]}}),
        json!({"source": ["bench.shop"], "detail": {"tag": [{"prefix": "t-17"}]}}),
        json!({"$or": [{"detail": {"bucket": [33]}}, {"detail": {"bucket": [66]}}]}),
        json!({"detail-type": ["Order Placed"], "detail": {"customer": {"tier": ["platinum"]}}}),
        json!({"source": [{"prefix": "bench."}], "detail": {"coupon": [{"exists": true}]}}),
    ];
    for (i, p) in hits.into_iter().enumerate() {
        out.push((format!("hit-{i}"), p, true));
    }
    // Rules that never match it, most only after looking into `detail`.
    for j in 0..94 {
        let p = match j % 10 {
            0 => {
                json!({"source": ["bench.shop"], "detail": {"sku": [{"prefix": format!("ZZ-{j}")}]}})
            }
            1 => {
                json!({"source": ["bench.shop"], "detail": {"amount": [{"numeric": [">", 1_000_000 + j]}]}})
            }
            2 => {
                json!({"source": ["bench.shop"], "detail": {"region": [{"anything-but": ["eu-west-1", "us-east-1", format!("x-{j}")]}]}})
            }
            3 => {
                json!({"source": ["bench.shop"], "detail": {"seq": [{"exists": false}], "bucket": [j]}})
            }
            4 => {
                json!({"detail": {"customer": {"tier": [format!("diamond-{j}")], "address": {"country": ["NZ"]}}}})
            }
            5 => json!({"$or": [
                {"detail": {"bucket": [{"numeric": [">=", 100 + j]}]}},
                {"detail": {"sku": [{"suffix": format!("-none{j}")}]}}
            ]}),
            6 => json!({"source": [format!("other.service{j}")]}),
            7 => json!({"detail-type": [{"equals-ignore-case": format!("order shipped {j}")}]}),
            8 => {
                json!({"source": ["bench.shop"], "detail": {"sku": [{"wildcard": format!("SKU-*-{j}x")}]}})
            }
            _ => {
                json!({"source": ["bench.shop"], "detail-type": ["Order Placed"], "detail": {"amount": [{"numeric": [">", 0, "<", 10]}], "status": ["void"]}})
            }
        };
        out.push((format!("miss-{j}"), p, false));
    }
    out
}

fn event_entry(i: usize) -> Value {
    let bucket = i % 100;
    let mut detail = json!({
        "seq": i,
        "bucket": bucket,
        "tag": format!("t-{bucket:02}"),
        "sku": format!("SKU-{:05}", (i * 7919) % 100_000),
        "amount": 10 + (i * 37) % 5000,
        "region": if i.is_multiple_of(2) { "eu-west-1" } else { "us-east-1" },
        "status": "new",
        "customer": {"id": format!("c-{}", i % 977), "tier": if bucket == 99 { "platinum" } else { "silver" },
                     "address": {"country": "DE", "city": "Berlin"}},
        "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]
    });
    if bucket == 50 {
        detail["coupon"] = json!("WELCOME");
    }
    let source = if i == EVENTS - 1 {
        "bench.sentinel"
    } else {
        "bench.shop"
    };
    json!({"Source": source, "DetailType": "Order Placed", "Detail": detail.to_string()})
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn run() -> Result<(), String> {
    let url = std::env::var("SIMFRA_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:4599".into());
    let (addr, host) = common::parse_url(&url)?;
    let host = host.as_str();
    let mut conn = Conn::connect(addr)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let health = conn
        .send(&plain_request(host, "GET", "/_simfra/health"))
        .await
        .map_err(|e| e.to_string())?
        .json();
    let pid = health["pid"]
        .as_u64()
        .ok_or("the server did not report its pid")? as u32;
    conn.send(&plain_request(host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;

    let arrivals = Arc::new(Arrivals::default());
    let port = listener(arrivals.clone()).await?;

    // Connection and API destination to the listener; a bus without rules as a sink.
    let connection = call(
        &mut conn,
        host,
        &format!("{EV}.CreateConnection"),
        &json!({"Name": "bench", "AuthorizationType": "API_KEY",
                "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "bench"}}})
        .to_string(),
    )
    .await?["ConnectionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let dest = call(
        &mut conn,
        host,
        &format!("{EV}.CreateApiDestination"),
        &json!({"Name": "listener", "ConnectionArn": connection, "HttpMethod": "POST",
                "InvocationEndpoint": format!("http://127.0.0.1:{port}/hook"),
                "InvocationRateLimitPerSecond": 300})
        .to_string(),
    )
    .await?["ApiDestinationArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sink = call(
        &mut conn,
        host,
        &format!("{EV}.CreateEventBus"),
        "{\"Name\":\"bench-sink\"}",
    )
    .await?["EventBusArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // (a) 100 rules.
    let mut all = rules();
    all.push((
        "sentinel".into(),
        json!({"source": ["bench.sentinel"]}),
        false,
    ));
    assert_eq!(all.len(), 100);
    for (name, pattern, hit) in &all {
        call(
            &mut conn,
            host,
            &format!("{EV}.PutRule"),
            &json!({"Name": name, "EventPattern": pattern.to_string()}).to_string(),
        )
        .await?;
        let arn = if name == "sentinel" {
            dest.clone()
        } else if *hit {
            sink.clone()
        } else {
            "arn:aws:sqs:us-east-1:000000000000:bench-never".to_string()
        };
        call(
            &mut conn,
            host,
            &format!("{EV}.PutTargets"),
            &json!({"Rule": name, "Targets": [{"Id": "t", "Arn": arn}]}).to_string(),
        )
        .await?;
    }
    let requests: Vec<Vec<u8>> = (0..EVENTS / 10)
        .map(|b| {
            let entries: Vec<Value> = (b * 10..b * 10 + 10).map(event_entry).collect();
            json_request(
                host,
                &format!("{EV}.PutEvents"),
                &json!({ "Entries": entries }).to_string(),
            )
        })
        .collect();
    let cpu = CpuSource::Process(pid);
    let cpu0 = process_cpu(pid).unwrap_or_default();
    let t0 = Instant::now();
    let (put_wall, _, failed) = common::run_batch(addr, requests, 4, &cpu)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(f) = failed.first() {
        return Err(format!(
            "PutEvents failed ({} of them): {} {}",
            failed.len(),
            f.status,
            f.text()
        ));
    }
    let last = arrivals
        .wait_for(
            &format!("bench.sentinel|{}|", EVENTS - 1),
            Duration::from_secs(60),
        )
        .await?;
    let matched_in = last.duration_since(t0);
    let server_cpu = process_cpu(pid).unwrap_or_default().saturating_sub(cpu0);
    // Deliveries to the sink bus are recorded asynchronously; give them a moment.
    let mut hits = 0;
    for _ in 0..100 {
        let v = call(&mut conn, host, "SimfraEvents.ListDeliveries", "{}").await?;
        hits = v["Deliveries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["RuleArn"].as_str().is_some_and(|a| a.contains("/hit-"))
                    && d["Status"] == "DELIVERED"
            })
            .count();
        if hits >= 600 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "(a) 100 rules, {} events in batches of 10 over 4 connections",
        thousands(EVENTS as f64)
    );
    println!(
        "    PutEvents calls done in {:.3} s; all matched (last delivered) after {:.3} s = {} events/s matched",
        put_wall.as_secs_f64(),
        matched_in.as_secs_f64(),
        thousands(EVENTS as f64 / matched_in.as_secs_f64())
    );
    println!(
        "    server CPU {:.2} s = {:.1} us/event (HTTP + parsing + matching + 600 deliveries); deliveries by the 5 matching rules: {hits} (expected 600)",
        server_cpu.as_secs_f64(),
        server_cpu.as_secs_f64() * 1e6 / EVENTS as f64
    );

    // (b) pipeline state change -> API destination.
    let pipeline = json!({"pipeline": {
    "name": "bench-broken", "roleArn": "arn:aws:iam::000000000000:role/bench",
    "pipelineType": "V2", "executionMode": "QUEUED",
    "artifactStore": {"type": "S3", "location": "bench-artifacts"},
    "stages": [
        {"name": "Source", "actions": [{"name": "Source",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"S3Bucket": "no-such-bucket", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
            "outputArtifacts": [{"name": "Src"}]}]},
        {"name": "Deploy", "actions": [{"name": "Deploy",
            "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"BucketName": "bench-site", "Extract": "true"},
            "inputArtifacts": [{"name": "Src"}]}]}
    ]}});
    call(
        &mut conn,
        host,
        &format!("{EV}.PutRule"),
        &json!({"Name": "pipeline-state", "EventPattern": json!({
            "source": ["aws.codepipeline"],
            "detail-type": ["CodePipeline Pipeline Execution State Change"],
            "detail": {"pipeline": ["bench-broken"], "state": ["STARTED", "FAILED"]}
        }).to_string()})
        .to_string(),
    )
    .await?;
    call(
        &mut conn,
        host,
        &format!("{EV}.PutTargets"),
        &json!({"Rule": "pipeline-state", "Targets": [{"Id": "hook", "Arn": dest}]}).to_string(),
    )
    .await?;
    call(
        &mut conn,
        host,
        &format!("{CP}.CreatePipeline"),
        &pipeline.to_string(),
    )
    .await?;
    // The execution CreatePipeline starts: wait for it to finish.
    let first = call(
        &mut conn,
        host,
        &format!("{CP}.ListPipelineExecutions"),
        "{\"pipelineName\":\"bench-broken\"}",
    )
    .await?["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !first.is_empty() {
        arrivals
            .wait_for(
                &format!("aws.codepipeline|{first}|FAILED"),
                Duration::from_secs(10),
            )
            .await?;
    }
    let mut started_ms = Vec::new();
    let mut failed_ms = Vec::new();
    let mut call_ms = Vec::new();
    for _ in 0..EXECUTIONS {
        let t_call = Instant::now();
        let v = call(
            &mut conn,
            host,
            &format!("{CP}.StartPipelineExecution"),
            "{\"name\":\"bench-broken\"}",
        )
        .await?;
        let returned = Instant::now();
        let id = v["pipelineExecutionId"].as_str().unwrap_or_default();
        let s = arrivals
            .wait_for(
                &format!("aws.codepipeline|{id}|STARTED"),
                Duration::from_secs(10),
            )
            .await?;
        let f = arrivals
            .wait_for(
                &format!("aws.codepipeline|{id}|FAILED"),
                Duration::from_secs(10),
            )
            .await?;
        let signed = |t: Instant| {
            if t >= returned {
                t.duration_since(returned).as_secs_f64() * 1000.0
            } else {
                -(returned.duration_since(t).as_secs_f64() * 1000.0)
            }
        };
        started_ms.push(signed(s));
        failed_ms.push(signed(f));
        call_ms.push(returned.duration_since(t_call).as_secs_f64() * 1000.0);
    }
    for v in [&mut started_ms, &mut failed_ms, &mut call_ms] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    println!("(b) {EXECUTIONS} executions one after the other, each failing in its S3 source; events to a loopback API destination");
    println!(
        "    StartPipelineExecution call itself: p50 {:.2} ms, p99 {:.2} ms",
        pct(&call_ms, 0.5),
        pct(&call_ms, 0.99)
    );
    println!(
        "    call returned -> STARTED delivered: p50 {:.2} ms, p99 {:.2} ms",
        pct(&started_ms, 0.5),
        pct(&started_ms, 0.99)
    );
    println!(
        "    call returned -> FAILED delivered:  p50 {:.2} ms, p99 {:.2} ms",
        pct(&failed_ms, 0.5),
        pct(&failed_ms, 0.99)
    );

    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    conn.send(&plain_request(host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

//! Part (e) of the engine benchmark: executions whose second stage is a custom action
//! (`Custom/Build/BenchWorker`) answered by job workers that poll continuously over AWS JSON
//! 1.1 (PollForJobs with `maxBatchSize` 10, AcknowledgeJob, PutJobSuccessResult).
//!
//! (e1) one execution at a time, 300 runs, one worker: StartPipelineExecution -> the job
//! reaches the worker, and -> Succeeded (client-observed). (e2) 500 PARALLEL executions
//! started at once, 4 workers: time until all succeeded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::common::Conn;
use super::{pct, Ctx};

const TYPE_ID: &str =
    r#"{"category":"Build","owner":"Custom","provider":"BenchWorker","version":"1"}"#;

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
            {"name": "Build", "actions": [{"name": "Build",
                "actionTypeId": {"category": "Build", "owner": "Custom", "provider": "BenchWorker", "version": "1"},
                "inputArtifacts": [{"name": "Src"}]}]}
        ]}})
    .to_string()
}

/// A worker: polls back to back, acknowledges and answers every job, and reports the
/// pipeline execution id of each job it received (with when it received it).
fn spawn_worker(
    ctx: Arc<Ctx>,
    stop: Arc<AtomicBool>,
    seen: mpsc::UnboundedSender<(String, Instant)>,
) -> tokio::task::JoinHandle<Result<u64, String>> {
    tokio::spawn(async move {
        let mut conn = Conn::connect(ctx.addr).await.map_err(|e| e.to_string())?;
        let poll = format!("{{\"actionTypeId\":{TYPE_ID},\"maxBatchSize\":10}}");
        let mut answered = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let out = ctx.call(&mut conn, "PollForJobs", &poll).await?;
            let jobs = out["jobs"].as_array().cloned().unwrap_or_default();
            if jobs.is_empty() {
                tokio::task::yield_now().await;
                continue;
            }
            let now = Instant::now();
            for job in jobs {
                let id = job["id"].as_str().unwrap_or_default();
                let nonce = job["nonce"].as_str().unwrap_or_default();
                let exec = job["data"]["pipelineContext"]["pipelineExecutionId"]
                    .as_str()
                    .unwrap_or_default();
                let _ = seen.send((exec.to_string(), now));
                let ack = format!("{{\"jobId\":\"{id}\",\"nonce\":\"{nonce}\"}}");
                ctx.call(&mut conn, "AcknowledgeJob", &ack).await?;
                let done = format!("{{\"jobId\":\"{id}\"}}");
                ctx.call(&mut conn, "PutJobSuccessResult", &done).await?;
                answered += 1;
            }
        }
        Ok(answered)
    })
}

pub async fn run(ctx: &Arc<Ctx>) -> Result<(), String> {
    let mut conn = Conn::connect(ctx.addr).await.map_err(|e| e.to_string())?;
    let custom_type = r#"{"category":"Build","provider":"BenchWorker","version":"1",
        "inputArtifactDetails":{"minimumCount":0,"maximumCount":1},
        "outputArtifactDetails":{"minimumCount":0,"maximumCount":0}}"#;
    ctx.call(&mut conn, "CreateCustomActionType", custom_type)
        .await?;

    // (e1) one at a time, one worker.
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut seen) = mpsc::unbounded_channel();
    let worker = spawn_worker(ctx.clone(), stop.clone(), tx);
    ctx.call(
        &mut conn,
        "CreatePipeline",
        &pipeline("jobs-latency", "SUPERSEDED"),
    )
    .await?;
    let first = ctx
        .call(
            &mut conn,
            "ListPipelineExecutions",
            "{\"pipelineName\":\"jobs-latency\"}",
        )
        .await?["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ctx.wait(&mut conn, "jobs-latency", &first).await?;
    let (mut to_worker, mut to_done) = (Vec::new(), Vec::new());
    for _ in 0..300 {
        let t0 = Instant::now();
        let id = ctx.start(&mut conn, "jobs-latency").await?;
        loop {
            let (exec, at) = seen.recv().await.ok_or("the worker stopped")?;
            if exec == id {
                to_worker.push(at.saturating_duration_since(t0).as_secs_f64() * 1000.0);
                break;
            }
        }
        ctx.wait(&mut conn, "jobs-latency", &id).await?;
        to_done.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    stop.store(true, Ordering::Relaxed);
    worker.await.map_err(|e| e.to_string())??;
    to_worker.sort_by(|a, b| a.total_cmp(b));
    to_done.sort_by(|a, b| a.total_cmp(b));
    println!("(e1) custom action with a polling job worker, 300 runs, one at a time");
    println!(
        "    Start -> job at the worker: p50 {:.2} ms, p99 {:.2} ms   Start -> Succeeded: p50 {:.2} ms, p99 {:.2} ms",
        pct(&to_worker, 0.5),
        pct(&to_worker, 0.99),
        pct(&to_done, 0.5),
        pct(&to_done, 0.99)
    );

    // (e2) 500 PARALLEL executions started at once, 4 workers.
    let mut conn = Conn::connect(ctx.addr).await.map_err(|e| e.to_string())?;
    ctx.call(
        &mut conn,
        "CreatePipeline",
        &pipeline("jobs-burst", "PARALLEL"),
    )
    .await?;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, _seen) = mpsc::unbounded_channel();
    let workers: Vec<_> = (0..4)
        .map(|_| spawn_worker(ctx.clone(), stop.clone(), tx.clone()))
        .collect();
    let t0 = Instant::now();
    let mut ids = Vec::with_capacity(500);
    for _ in 0..500 {
        ids.push(ctx.start(&mut conn, "jobs-burst").await?);
    }
    let started = t0.elapsed();
    for id in &ids {
        ctx.wait_every(&mut conn, "jobs-burst", id, Duration::from_millis(2))
            .await?;
    }
    let all_done = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for w in workers {
        answered += w.await.map_err(|e| e.to_string())??;
    }
    println!(
        "(e2) 500 PARALLEL executions with a custom action, 4 polling workers: started in {:.2} s, all Succeeded after {:.2} s ({answered} jobs answered, the first execution's included)",
        started.as_secs_f64(),
        all_done.as_secs_f64()
    );
    Ok(())
}

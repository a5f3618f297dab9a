//! Control-plane benchmark: CodePipeline's GetPipeline/ListPipelines/CreatePipeline over real
//! AWS JSON 1.1 requests against a running simfra, beside a bare actix-web endpoint started in
//! this process that answers the same bytes (the bound for what HTTP alone costs).
//!
//! ```text
//! cargo build --release && target/release/simfra &          # the server under test
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench control_plane
//! ```
//!
//! Environment: `SIMFRA_BENCH_URL` (default `http://127.0.0.1:4599`), `SIMFRA_BENCH_SECS`
//! (seconds per load run, default 3), `SIMFRA_BENCH_CLIENT_THREADS` (client runtime threads,
//! default 1), `SIMFRA_BENCH_LARGE` (pipelines for the page-cost run, default 10000).
//! The server's state is reset (`POST /_simfra/reset`) before and after: never point this at a
//! server whose pipelines you want to keep.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    json_request, json_request_in, mib, plain_request, process_rss, run_batch, run_load, thousands,
    Conn, CpuSource, LoadResult,
};

const TARGET_PREFIX: &str = "CodePipeline_20150709";
const CONCURRENCIES: [usize; 2] = [1, 32];

struct Bench {
    addr: SocketAddr,
    host: String,
    pid: u32,
    cpu: CpuSource,
    warmup: Duration,
    duration: Duration,
    rows: Vec<Row>,
    notes: Vec<String>,
}

/// One line of the load table.
struct Row {
    what: String,
    result: LoadResult,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("control_plane bench: {e}");
        std::process::exit(1);
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run() -> Result<(), String> {
    // `cargo bench` passes `--bench`; with a filter argument, nothing here is filtered.
    let url = std::env::var("SIMFRA_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:4599".into());
    let secs: f64 = env_or("SIMFRA_BENCH_SECS", 3.0);
    let client_threads: usize = env_or("SIMFRA_BENCH_CLIENT_THREADS", 1);
    let large: usize = env_or("SIMFRA_BENCH_LARGE", 10_000);
    let (addr, host) = common::parse_url(&url)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads.max(1))
        .thread_name("bench-client")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    runtime.block_on(async move {
        let health = get_json(addr, &plain_request(&host, "GET", "/_simfra/health"))
            .await
            .map_err(|e| {
                format!("no simfra answers at {url} ({e}); start one with `cargo run --release`")
            })?;
        let pid = health["pid"]
            .as_u64()
            .ok_or("/_simfra/health reports no pid")? as u32;
        if process_rss(pid).is_none() {
            return Err(format!(
                "the server's pid {pid} is not visible in /proc: run the bench on the server's machine"
            ));
        }
        println!("simfra control-plane benchmark");
        println!(
            "server {url} (pid {pid}, version {}), {secs} s per load run after 0.5 s warm-up, {client_threads} client thread(s), {} cores",
            health["version"].as_str().unwrap_or("?"),
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        );
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "load average before the run: {} (anything else busy on these cores lowers every figure)",
            loadavg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
        let mut bench = Bench {
            addr,
            host,
            pid,
            cpu: CpuSource::Process(pid),
            warmup: Duration::from_millis(500),
            duration: Duration::from_secs_f64(secs),
            rows: Vec::new(),
            notes: Vec::new(),
        };
        bench.all(large).await?;
        bench.report();
        Ok(())
    })
}

impl Bench {
    async fn all(&mut self, large: usize) -> Result<(), String> {
        self.reset().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss_idle = process_rss(self.pid).unwrap_or(0);

        // 1,000 pipelines, one after another on one connection (what a script does).
        let (t_seq, cpu_seq, refused) = self.create_many("bench", 1000, 1).await?;
        if refused > 0 {
            return Err(format!("the server refused {refused} of 1,000 pipelines"));
        }
        let busy_after = self.settle().await;
        let rss_1000 = process_rss(self.pid).unwrap_or(0);
        self.note(format!(
            "CreatePipeline x1000, concurrency 1: {:.3} s ({:.0} µs/pipeline, server CPU {:.0} µs/pipeline)",
            t_seq.as_secs_f64(),
            t_seq.as_secs_f64() * 1e6 / 1000.0,
            cpu_seq.as_secs_f64() * 1e6 / 1000.0
        ));
        self.note(format!(
            "the server stayed busy {:.1} s after the last CreatePipeline returned (the first executions)",
            busy_after.as_secs_f64()
        ));
        self.note(format!(
            "resident memory: idle {}, after 1,000 pipelines {} (+{})",
            mib(rss_idle),
            mib(rss_1000),
            mib(rss_1000.saturating_sub(rss_idle))
        ));

        // Paging through all of them.
        for page in [100usize, 1000] {
            let started = Instant::now();
            let (count, pages) = self.page_all(page).await?;
            let took = started.elapsed();
            if count != 1000 {
                return Err(format!(
                    "ListPipelines paged {count} pipelines in {pages} pages, expected 1000"
                ));
            }
            self.note(format!(
                "ListPipelines through 1,000 with maxResults {page}: {pages} pages in {:.2} ms",
                took.as_secs_f64() * 1e3
            ));
        }

        // Steady load.
        let get = Arc::new(self.call("GetPipeline", r#"{"name":"bench-00000"}"#));
        let get_body = self.check_once(&get, "GetPipeline").await?;
        for c in CONCURRENCIES {
            self.load("GetPipeline", get.clone(), c).await?;
        }
        let list = Arc::new(self.call("ListPipelines", r#"{"maxResults":10}"#));
        self.check_once(&list, "ListPipelines").await?;
        for c in CONCURRENCIES {
            self.load("ListPipelines (page of 10 of 1,000)", list.clone(), c)
                .await?;
        }

        // The bare endpoint: same bytes, no simfra.
        let bare = bare::start(get_body)?;
        let bare_req = Arc::new(json_request(
            &bare.to_string(),
            &format!("{TARGET_PREFIX}.GetPipeline"),
            r#"{"name":"bench-00000"}"#,
        ));
        let own = CpuSource::OwnThreads(vec!["actix-server", "bare-endpoint", "actix-rt"]);
        for c in CONCURRENCIES {
            let result = run_load(bare, bare_req.clone(), c, self.warmup, self.duration, &own)
                .await
                .map_err(|e| format!("bare endpoint: {e}"))?;
            self.rows.push(Row {
                what: "bare actix-web, same bytes".into(),
                result,
            });
        }

        // 1,000 more, concurrently.
        self.reset().await?;
        let (t_par, _, _) = self.create_many("bench", 1000, 32).await?;
        self.settle().await;
        self.note(format!(
            "CreatePipeline x1000, concurrency 32: {:.3} s",
            t_par.as_secs_f64()
        ));

        // Page cost with few and with many pipelines stored.
        for stored in [10usize, large] {
            self.reset().await?;
            let (took, listed) = self.store_many(stored).await?;
            self.settle().await;
            let counted = self.count_all().await?;
            if counted != listed {
                return Err(format!(
                    "ListPipelines lists {counted} pipelines in us-east-1, {listed} were created there"
                ));
            }
            if stored > 1000 {
                self.note(format!(
                    "CreatePipeline x{stored}, concurrency 32: {:.3} s",
                    took.as_secs_f64()
                ));
            }
            let first = Arc::new(self.call("ListPipelines", r#"{"maxResults":10}"#));
            self.load(
                &format!("ListPipelines page 1 of 10, {stored} stored"),
                first,
                1,
            )
            .await?;
            if listed > 20 {
                let token = self.token_after(listed / 2).await?;
                let body = serde_json::json!({"maxResults": 10, "nextToken": token}).to_string();
                let middle = Arc::new(self.call("ListPipelines", &body));
                self.check_once(&middle, "ListPipelines with nextToken")
                    .await?;
                self.load(
                    &format!("ListPipelines middle page of 10, {stored} stored"),
                    middle,
                    1,
                )
                .await?;
            }
        }
        self.reset().await?;
        Ok(())
    }

    /// Waits until the server is idle (no CPU used over 300 ms, at most 60 s): each created
    /// pipeline starts an execution that the engine runs after the call returned, and that work
    /// must not be counted against the next measurement.
    async fn settle(&self) -> Duration {
        let started = Instant::now();
        let mut last = self.cpu.read();
        while started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = self.cpu.read();
            if now.saturating_sub(last) <= Duration::from_millis(10) {
                break;
            }
            last = now;
        }
        started.elapsed()
    }

    fn note(&mut self, line: String) {
        println!("  {line}");
        self.notes.push(line);
    }

    fn call(&self, op: &str, body: &str) -> Vec<u8> {
        json_request(&self.host, &format!("{TARGET_PREFIX}.{op}"), body)
    }

    async fn reset(&self) -> Result<(), String> {
        let mut conn = Conn::connect(self.addr).await.map_err(|e| e.to_string())?;
        let r = conn
            .send(&plain_request(&self.host, "POST", "/_simfra/reset"))
            .await
            .map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!("reset failed: {} {}", r.status, r.text()));
        }
        Ok(())
    }

    /// Sends a request once and insists on a 200; returns the body.
    async fn check_once(&self, request: &[u8], what: &str) -> Result<Vec<u8>, String> {
        let mut conn = Conn::connect(self.addr).await.map_err(|e| e.to_string())?;
        let r = conn.send(request).await.map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!(
                "{what} answered {}: {} (is the CodePipeline control plane built?)",
                r.status,
                r.text()
            ));
        }
        Ok(r.body)
    }

    async fn load(&mut self, what: &str, request: Arc<Vec<u8>>, c: usize) -> Result<(), String> {
        let result = run_load(self.addr, request, c, self.warmup, self.duration, &self.cpu)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        if let Some(err) = &result.first_error {
            return Err(format!("{what}: {} errors, first: {err}", result.errors));
        }
        self.rows.push(Row {
            what: what.to_string(),
            result,
        });
        Ok(())
    }

    /// Creates `n` pipelines `{prefix}-0000...` in us-east-1 over `concurrency` connections;
    /// returns the wall time, the server CPU time and how many the pipeline limit refused.
    async fn create_many(
        &self,
        prefix: &str,
        n: usize,
        concurrency: usize,
    ) -> Result<(Duration, Duration, usize), String> {
        self.create_in("us-east-1", prefix, 0..n, concurrency).await
    }

    async fn create_in(
        &self,
        region: &str,
        prefix: &str,
        range: std::ops::Range<usize>,
        concurrency: usize,
    ) -> Result<(Duration, Duration, usize), String> {
        let requests = range
            .map(|i| {
                json_request_in(
                    &self.host,
                    region,
                    &format!("{TARGET_PREFIX}.CreatePipeline"),
                    &declaration(&format!("{prefix}-{i:05}")),
                )
            })
            .collect();
        let (took, cpu, failed) = run_batch(self.addr, requests, concurrency, &self.cpu)
            .await
            .map_err(|e| e.to_string())?;
        let mut limited = 0;
        for response in &failed {
            let text = response.text();
            if !text.contains("LimitExceededException") {
                return Err(format!(
                    "CreatePipeline answered {}: {text} (is the CodePipeline control plane built?)",
                    response.status
                ));
            }
            limited += 1;
        }
        Ok((took, cpu, limited))
    }

    /// Stores `n` pipelines: all in us-east-1 if the server allows it, otherwise as many as
    /// the per-region limit allows there and the rest in other regions, 1,000 per region (the
    /// store then holds `n`, the listing in us-east-1 sees the limit). Returns the wall time
    /// and how many are listed in us-east-1.
    async fn store_many(&mut self, n: usize) -> Result<(Duration, usize), String> {
        const REGIONS: [&str; 15] = [
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-north-1",
            "ap-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ca-central-1",
            "sa-east-1",
        ];
        let (mut took, _, limited) = self.create_many("page", n, 32).await?;
        let listed = n - limited;
        if limited > 0 {
            let mut next = n;
            let mut left = limited;
            for region in REGIONS {
                if left == 0 {
                    break;
                }
                let batch = left.min(1000);
                let (t, _, refused) = self
                    .create_in(region, "page", next..next + batch, 32)
                    .await?;
                took += t;
                next += batch;
                left -= batch - refused;
            }
            self.note(format!(
                "{n} pipelines stored: {listed} in us-east-1 (the per-region limit refused the rest there), {} in {} other regions",
                n - listed - left,
                REGIONS.len().min(limited.div_ceil(1000))
            ));
        }
        Ok((took, listed))
    }

    /// Pages through every pipeline; returns (pipelines, pages).
    async fn page_all(&self, max_results: usize) -> Result<(usize, usize), String> {
        let mut conn = Conn::connect(self.addr).await.map_err(|e| e.to_string())?;
        let mut token: Option<String> = None;
        let (mut count, mut pages) = (0, 0);
        loop {
            let mut body = serde_json::json!({ "maxResults": max_results });
            if let Some(t) = &token {
                body["nextToken"] = t.clone().into();
            }
            let r = conn
                .send(&self.call("ListPipelines", &body.to_string()))
                .await
                .map_err(|e| e.to_string())?;
            if r.status != 200 {
                return Err(format!("ListPipelines answered {}: {}", r.status, r.text()));
            }
            let v = r.json();
            count += v["pipelines"].as_array().map_or(0, Vec::len);
            pages += 1;
            match v["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok((count, pages)),
            }
            if pages > 100_000 {
                return Err("ListPipelines never stops paging".into());
            }
        }
    }

    async fn count_all(&self) -> Result<usize, String> {
        Ok(self.page_all(1000).await?.0)
    }

    /// The token that continues a listing after `skip` pipelines (pages of 10).
    async fn token_after(&self, skip: usize) -> Result<String, String> {
        let mut conn = Conn::connect(self.addr).await.map_err(|e| e.to_string())?;
        let mut token: Option<String> = None;
        let mut seen = 0;
        while seen < skip {
            let mut body = serde_json::json!({ "maxResults": 10 });
            if let Some(t) = &token {
                body["nextToken"] = t.clone().into();
            }
            let r = conn
                .send(&self.call("ListPipelines", &body.to_string()))
                .await
                .map_err(|e| e.to_string())?;
            let v = r.json();
            seen += v["pipelines"].as_array().map_or(0, Vec::len);
            token = Some(
                v["nextToken"]
                    .as_str()
                    .ok_or("the listing ended early")?
                    .to_string(),
            );
        }
        token.ok_or_else(|| "no token".to_string())
    }

    fn report(&self) {
        println!();
        println!(
            "| {:<46} | {:>4} | {:>9} | {:>9} | {:>8} | {:>8} | {:>14} |",
            "load", "conc", "requests", "req/s", "p50 µs", "p99 µs", "server CPU/req"
        );
        println!(
            "|{}|{}|{}|{}|{}|{}|{}|",
            "-".repeat(48),
            "-".repeat(6),
            "-".repeat(11),
            "-".repeat(11),
            "-".repeat(10),
            "-".repeat(10),
            "-".repeat(16)
        );
        for row in &self.rows {
            let r = &row.result;
            println!(
                "| {:<46} | {:>4} | {:>9} | {:>9} | {:>8.1} | {:>8.1} | {:>11.1} µs |",
                row.what,
                r.concurrency,
                thousands(r.requests as f64),
                thousands(r.throughput()),
                r.latency_us(0.5),
                r.latency_us(0.99),
                r.cpu_us_per_request()
            );
        }
        println!();
        for note in &self.notes {
            println!("- {note}");
        }
        let find = |what: &str, c: usize| {
            self.rows
                .iter()
                .find(|r| r.what.starts_with(what) && r.result.concurrency == c)
                .map(|r| &r.result)
        };
        if let (Some(get), Some(bare)) = (find("GetPipeline", 32), find("bare", 32)) {
            println!(
                "- GetPipeline at concurrency 32: {} req/s = {:.0}% of the bare endpoint's {} req/s; {:.1} µs server CPU per request (bare: {:.1} µs)",
                thousands(get.throughput()),
                100.0 * get.throughput() / bare.throughput(),
                thousands(bare.throughput()),
                get.cpu_us_per_request(),
                bare.cpu_us_per_request()
            );
        }
    }
}

async fn get_json(addr: SocketAddr, request: &[u8]) -> std::io::Result<serde_json::Value> {
    let mut conn = Conn::connect(addr).await?;
    Ok(conn.send(request).await?.json())
}

/// The smallest valid pipeline: an S3 source feeding an S3 deploy.
fn declaration(name: &str) -> String {
    serde_json::json!({
        "pipeline": {
            "name": name,
            "roleArn": "arn:aws:iam::000000000000:role/bench",
            "artifactStore": {"type": "S3", "location": "bench-artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [{
                        "name": "Source",
                        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                        "configuration": {"S3Bucket": "bench-source", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
                        "outputArtifacts": [{"name": "App"}]
                    }]
                },
                {
                    "name": "Deploy",
                    "actions": [{
                        "name": "Deploy",
                        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                        "configuration": {"BucketName": "bench-site", "Extract": "true"},
                        "inputArtifacts": [{"name": "App"}]
                    }]
                }
            ]
        }
    })
    .to_string()
}

/// A bare actix-web endpoint: two workers, one handler answering fixed bytes with the headers
/// simfra sends. What it costs is what HTTP costs; simfra cannot beat it.
mod bare {
    use std::net::SocketAddr;

    use actix_web::{web, App, HttpResponse, HttpServer};

    pub fn start(body: Vec<u8>) -> Result<SocketAddr, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("bare-endpoint".into())
            .spawn(move || {
                let body = web::Bytes::from(body);
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        let body = body.clone();
                        // The request body is read, as simfra reads it: an unread body
                        // makes actix close the connection instead of keeping it alive.
                        App::new().default_service(web::to(move |_request: web::Bytes| {
                            let body = body.clone();
                            async move {
                                HttpResponse::Ok()
                                    .insert_header(("Content-Type", "application/x-amz-json-1.1"))
                                    .insert_header((
                                        "x-amzn-RequestId",
                                        "00000000-0000-4000-8000-000000000000",
                                    ))
                                    .body(body)
                            }
                        }))
                    })
                    .workers(2)
                    .disable_signals()
                    .bind("127.0.0.1:0");
                    match server {
                        Ok(server) => {
                            let addr = server.addrs()[0];
                            let _ = tx.send(Ok(addr));
                            let _ = server.run().await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e.to_string()));
                        }
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        rx.recv().map_err(|e| e.to_string())?
    }
}

//! CodeCommit benchmark against a running simfra: `git push` and `git clone` of a large
//! repository over simfra's git smart HTTP, beside the same against a `file://` bare
//! repository (the bound), and the time from `git push` returning to the pipeline execution
//! it starts existing.
//!
//! ```text
//! cargo build --release && SIMFRA_LOG=warn target/release/simfra &
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench codecommit
//! ```
//!
//! (a) A repository of 10,000 files (~50 MiB, deterministic pseudo-random text in 100
//! directories, one commit, packed before the timing) is pushed to a fresh simfra repository
//! and to a fresh `file://` bare repository, and cloned from each: a full clone (after an
//! untimed warm-up clone, in alternating order: see the comment in the loop) and a bare clone
//! (the transfer alone); `SIMFRA_BENCH_RUNS` rounds (default 3), each figure the median.
//! (b) A pipeline with a CodeCommit source on `main` and a manual approval; 30 pushes of one
//! small commit each:
//! `git push` returning -> a new execution listed by ListPipelineExecutions (polled back to
//! back), and -> listed with the pushed commit as its source revision (once the source action
//! has read it). The server's state is reset before and after.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{json_request, plain_request, Conn};
use serde_json::{json, Value};

const FILES: usize = 10_000;
const FILE_BYTES: usize = 5 * 1024 + 100;
const PUSHES: usize = 30;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = rt.block_on(run()) {
        eprintln!("codecommit bench: {e}");
        std::process::exit(1);
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn timed_git(dir: &Path, args: &[&str]) -> Result<Duration, String> {
    let t0 = Instant::now();
    git(dir, args)?;
    Ok(t0.elapsed())
}

/// Deterministic text: words from a xorshift generator, in lines.
fn content(seed: u64, len: usize) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "let", "fn", "value", "return", "match", "self", "impl", "struct", "pipeline", "event",
        "commit", "branch", "artifact", "stage", "0x1f", "42",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 16);
    let mut col = 0;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x.is_multiple_of(5) {
            // An identifier that does not repeat much.
            out.extend_from_slice(format!("id_{:x}", x >> 40).as_bytes());
        } else {
            out.extend_from_slice(WORDS[(x >> 32) as usize % WORDS.len()].as_bytes());
        }
        col += 1;
        if col == 10 {
            out.push(b'\n');
            col = 0;
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len);
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
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

async fn run() -> Result<(), String> {
    let url = std::env::var("SIMFRA_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:4599".into());
    let runs: usize = std::env::var("SIMFRA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let (addr, host) = common::parse_url(&url)?;
    let host = host.as_str();
    let mut conn = Conn::connect(addr)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    conn.send(&plain_request(host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;

    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = tmp.path().join("work");
    for d in 0..100 {
        std::fs::create_dir_all(work.join(format!("dir{d:02}"))).map_err(|e| e.to_string())?;
    }
    let mut total = 0u64;
    for i in 0..FILES {
        let len = FILE_BYTES - 512 + (i * 131) % 1024;
        total += len as u64;
        std::fs::write(
            work.join(format!("dir{:02}/file{i:05}.txt", i % 100)),
            content(i as u64 + 1, len),
        )
        .map_err(|e| e.to_string())?;
    }
    git(&work, &["init", "-q"])?;
    git(&work, &["add", "."])?;
    // No background `gc --auto` (10,000 loose objects start one) racing the timed pushes:
    // pack once, in the foreground, as a long-lived repository would be.
    git(
        &work,
        &["-c", "gc.auto=0", "commit", "-qm", "Ten thousand files"],
    )?;
    git(&work, &["repack", "-adq"])?;
    let counted = git(&work, &["count-objects", "-v"])?;
    let pack_kib = counted
        .lines()
        .find_map(|l| l.strip_prefix("size-pack: "))
        .unwrap_or("?")
        .to_string();
    println!(
        "(a) {FILES} files, {} of content (pack {pack_kib} KiB), one commit; {runs} rounds, medians",
        common::mib(total)
    );

    let (mut sp, mut sc, mut fp, mut fc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut st, mut ft) = (Vec::new(), Vec::new());
    for r in 0..runs {
        let name = format!("bench-big-{r}");
        // A fresh connection: the server closes keep-alive connections left idle.
        conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
        call(
            &mut conn,
            host,
            "CodeCommit_20150413.CreateRepository",
            &json!({ "repositoryName": name }).to_string(),
        )
        .await?;
        let remote = format!("http://{host}/v1/repos/{name}");
        let bare = tmp.path().join(format!("bare-{r}.git"));
        git(
            tmp.path(),
            &["init", "-q", "--bare", bare.to_str().unwrap_or_default()],
        )?;
        let file_url = format!("file://{}", bare.display());
        sp.push(timed_git(&work, &["push", "-q", &remote, "main"])?);
        fp.push(timed_git(&work, &["push", "-q", &file_url, "main"])?);

        // The first checkout of 10,000 files after clones were deleted is several times slower
        // than the next, whatever the transport (the filesystem catching up): an untimed clone
        // takes that cost, then the two timed clones run, in alternating order, and nothing is
        // deleted until the round's end.
        let scratch = tmp.path().join(format!("warm-up-{r}"));
        git(
            tmp.path(),
            &[
                "clone",
                "-q",
                &file_url,
                scratch.to_str().unwrap_or_default(),
            ],
        )?;
        let simfra_dest = tmp.path().join(format!("clone-simfra-{r}"));
        let file_dest = tmp.path().join(format!("clone-file-{r}"));
        let clone = |url: &str, dest: &Path, args: &[&str]| {
            let mut a = vec!["clone", "-q"];
            a.extend_from_slice(args);
            a.extend([url, dest.to_str().unwrap_or_default()]);
            timed_git(tmp.path(), &a)
        };
        if r % 2 == 0 {
            sc.push(clone(&remote, &simfra_dest, &[])?);
            fc.push(clone(&file_url, &file_dest, &[])?);
        } else {
            fc.push(clone(&file_url, &file_dest, &[])?);
            sc.push(clone(&remote, &simfra_dest, &[])?);
        }
        // Check the clone from simfra is whole.
        let head = git(&simfra_dest, &["rev-parse", "HEAD"])?;
        if head != git(&work, &["rev-parse", "HEAD"])? {
            return Err("the clone from simfra has another HEAD".into());
        }
        // The transfer alone (negotiation, pack, index-pack; no checkout).
        let simfra_bare = tmp.path().join(format!("transfer-simfra-{r}.git"));
        let file_bare = tmp.path().join(format!("transfer-file-{r}.git"));
        st.push(clone(&remote, &simfra_bare, &["--bare"])?);
        ft.push(clone(&file_url, &file_bare, &["--bare"])?);
        for d in [&scratch, &simfra_dest, &file_dest, &simfra_bare, &file_bare] {
            let _ = std::fs::remove_dir_all(d);
        }
        println!(
            "    round {r}: simfra push {:.2} s, clone {:.2} s, transfer {:.2} s; file:// push {:.2} s, clone {:.2} s, transfer {:.2} s",
            sp[r].as_secs_f64(),
            sc[r].as_secs_f64(),
            st[r].as_secs_f64(),
            fp[r].as_secs_f64(),
            fc[r].as_secs_f64(),
            ft[r].as_secs_f64()
        );
    }
    for (what, simfra, bound) in [
        ("push", sp, fp),
        ("clone", sc, fc),
        ("clone --bare (transfer only)", st, ft),
    ] {
        let (s, f) = (median(simfra), median(bound));
        println!(
            "    {what}: simfra {:.2} s, file:// {:.2} s = {:.2}x the bound",
            s.as_secs_f64(),
            f.as_secs_f64(),
            s.as_secs_f64() / f.as_secs_f64()
        );
    }

    // (b) push -> pipeline execution.
    conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    call(
        &mut conn,
        host,
        "CodeCommit_20150413.CreateRepository",
        "{\"repositoryName\":\"bench-trigger\"}",
    )
    .await?;
    let pipeline = json!({"pipeline": {
    "name": "bench-trigger", "roleArn": "arn:aws:iam::000000000000:role/bench",
    "pipelineType": "V2",
    "artifactStore": {"type": "S3", "location": "bench-artifacts"},
    "stages": [
        {"name": "Source", "actions": [{"name": "Checkout",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
            "configuration": {"RepositoryName": "bench-trigger", "BranchName": "main"},
            "outputArtifacts": [{"name": "Src"}]}]},
        {"name": "Approve", "actions": [{"name": "Ok",
            "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}
    ]}});
    call(
        &mut conn,
        host,
        "CodePipeline_20150709.CreatePipeline",
        &pipeline.to_string(),
    )
    .await?;
    let small = tmp.path().join("small");
    std::fs::create_dir_all(&small).map_err(|e| e.to_string())?;
    git(&small, &["init", "-q"])?;
    let remote = format!("http://{host}/v1/repos/bench-trigger");
    let mut exist_ms = Vec::new();
    let mut ms = Vec::new();
    let mut push_ms = Vec::new();
    let list = "{\"pipelineName\":\"bench-trigger\",\"maxResults\":5}";
    let ids = |v: &Value| -> Vec<String> {
        v["pipelineExecutionSummaries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["pipelineExecutionId"].as_str().map(str::to_string))
            .collect()
    };
    for i in 0..PUSHES {
        std::fs::write(small.join("index.html"), format!("<h1>v{i}</h1>\n"))
            .map_err(|e| e.to_string())?;
        git(&small, &["add", "."])?;
        git(&small, &["commit", "-qm", &format!("v{i}")])?;
        let commit = git(&small, &["rev-parse", "HEAD"])?;
        conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
        let known = ids(&call(
            &mut conn,
            host,
            "CodePipeline_20150709.ListPipelineExecutions",
            list,
        )
        .await?);
        let t_push = Instant::now();
        git(&small, &["push", "-q", &remote, "main"])?;
        let returned = Instant::now();
        push_ms.push(returned.duration_since(t_push).as_secs_f64() * 1000.0);
        let mut exists: Option<Instant> = None;
        let found = loop {
            let v = call(
                &mut conn,
                host,
                "CodePipeline_20150709.ListPipelineExecutions",
                list,
            )
            .await?;
            if exists.is_none() && ids(&v).iter().any(|id| !known.contains(id)) {
                exists = Some(Instant::now());
            }
            let hit = v["pipelineExecutionSummaries"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| {
                    s["sourceRevisions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|r| r["revisionId"] == commit.as_str())
                });
            if hit {
                break Instant::now();
            }
            if returned.elapsed() > Duration::from_secs(10) {
                return Err(format!("push {i}: no execution of {commit} within 10 s"));
            }
            tokio::task::yield_now().await;
        };
        let exists = exists.unwrap_or(found);
        exist_ms.push(exists.saturating_duration_since(returned).as_secs_f64() * 1000.0);
        ms.push(found.duration_since(returned).as_secs_f64() * 1000.0);
    }
    for v in [&mut exist_ms, &mut ms, &mut push_ms] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    println!("(b) {PUSHES} pushes of one small commit to a repository watched by a CodeCommit source -> manual approval pipeline");
    println!(
        "    git push itself: p50 {:.1} ms, p99 {:.1} ms",
        pct(&push_ms, 0.5),
        pct(&push_ms, 0.99)
    );
    println!(
        "    push returned -> new execution listed: p50 {:.2} ms, p99 {:.2} ms (0 = it existed at the first poll)",
        pct(&exist_ms, 0.5),
        pct(&exist_ms, 0.99)
    );
    println!(
        "    push returned -> listed with the pushed commit as source revision: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );

    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    conn.send(&plain_request(host, "POST", "/_simfra/reset"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

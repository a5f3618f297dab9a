//! The real binary and a 100 MiB file over git smart HTTP: the push and the clone stream
//! through the server, whose resident memory stays well under the file's size; a client that
//! goes away in the middle of a clone stops the server's git processes (none is left running
//! or unreaped); and the repository stays consistent (`git fsck`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::git::git;
use common::process::Simfra;

const MIB: usize = 1024 * 1024;
const FILE_MIB: usize = 100;

/// Incompressible bytes (xorshift), so the pack is as large as the file.
fn write_random(path: &Path, mib: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut block = vec![0u8; MIB];
    for _ in 0..mib {
        for word in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples a process's resident memory every 20 ms until stopped; returns the peak.
struct Sampler {
    running: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let running = Arc::new(AtomicBool::new(true));
        let r = running.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while r.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        Sampler { running, thread }
    }

    fn peak(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// Processes whose parent is `pid` (zombies included): `(pid, state, name)`.
fn children_of(pid: u32) -> Vec<(u32, char, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let mut rest = stat[close + 1..].split_whitespace();
        let (Some(state), Some(ppid)) = (rest.next(), rest.next()) else {
            continue;
        };
        if ppid.parse::<u32>().ok() == Some(pid) {
            out.push((
                stat[..open].trim().parse().unwrap_or(0),
                state.chars().next().unwrap_or('?'),
                stat[open + 1..close].to_string(),
            ));
        }
    }
    out
}

/// Processes working inside `dir` (git runs in the repository it serves).
fn working_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) {
            if cwd.starts_with(dir) {
                let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                out.push(String::from_utf8_lossy(&cmd).replace('\0', " "));
            }
        }
    }
    out
}

/// The bare repository of a repository id under the data directory.
fn repository_dir(root: &Path, id: &str) -> PathBuf {
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                if e.file_name() == id {
                    return e.path();
                }
                stack.push(e.path());
            }
        }
    }
    panic!("no directory for repository {id} under {}", root.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_file_streams_through_in_flat_memory() {
    let data = tempfile::tempdir().unwrap();
    let server = Simfra::start(data.path());
    let pid = server.pid();
    let cc = aws_sdk_codecommit::Client::new(&common::sdk_config(&server.url()));
    let created = cc
        .create_repository()
        .repository_name("big")
        .send()
        .await
        .unwrap();
    let id = created
        .repository_metadata()
        .unwrap()
        .repository_id()
        .unwrap()
        .to_string();
    let repo_dir = repository_dir(data.path(), &id);

    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    write_random(&work.join("big.bin"), FILE_MIB);
    std::fs::write(work.join("README"), "a large file\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "a 100 MiB file"]);
    let commit = git(&work, &["rev-parse", "HEAD"]);
    let blob = git(&work, &["rev-parse", "HEAD:big.bin"]);

    let url = format!("{}/v1/repos/big", server.url());
    let baseline = rss_kib(pid);
    let sampler = Sampler::start(pid);
    let t0 = Instant::now();
    git(&work, &["push", "-q", &url, "main"]);
    let push_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    git(tmp.path(), &["clone", "-q", &url, "copy"]);
    let clone_secs = t0.elapsed().as_secs_f64();
    let peak = sampler.peak();
    eprintln!(
        "{FILE_MIB} MiB file: push {push_secs:.1} s, clone {clone_secs:.1} s; server RSS {baseline} KiB before, {peak} KiB peak"
    );

    let copy = tmp.path().join("copy");
    assert_eq!(git(&copy, &["rev-parse", "HEAD"]), commit);
    assert_eq!(git(&copy, &["rev-parse", "HEAD:big.bin"]), blob);
    assert_eq!(
        std::fs::metadata(copy.join("big.bin")).unwrap().len(),
        (FILE_MIB * MIB) as u64
    );
    git(&copy, &["fsck", "--full", "--strict"]);
    let server_git = repo_dir.to_str().unwrap();
    git(
        tmp.path(),
        &["--git-dir", server_git, "fsck", "--full", "--strict"],
    );
    let branch = cc
        .get_branch()
        .repository_name("big")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    assert_eq!(branch.branch().unwrap().commit_id(), Some(commit.as_str()));

    assert!(peak > 0, "VmRSS was readable");
    // A buffering server holds the pack at least once (over 100 MiB); a streaming one grows by
    // its buffers only.
    let grown = peak.saturating_sub(baseline);
    assert!(
        grown < 32 * 1024,
        "server RSS grew by {grown} KiB during a {FILE_MIB} MiB push and clone"
    );

    // A client that goes away in the middle of a clone: the server's git stops and is reaped.
    let port = server.port;
    let want = format!("want {commit}\n");
    let body = format!("{:04x}{want}00000009done\n", want.len() + 4);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /v1/repos/big/git-upload-pack HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-git-upload-pack-request\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut some = [0u8; 4096];
    reader.read_exact(&mut some).unwrap();
    // The server is now generating the pack.
    assert!(
        !working_in(&repo_dir).is_empty() || !children_of(pid).is_empty(),
        "git is serving the clone"
    );
    drop(reader);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let children = children_of(pid);
        let busy = working_in(&repo_dir);
        if children.is_empty() && busy.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "30 s after the client left: children {children:?}, processes in the repository {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The repository is untouched and still served.
    git(
        tmp.path(),
        &["--git-dir", server_git, "fsck", "--full", "--strict"],
    );
    let refs = git(tmp.path(), &["ls-remote", &url]);
    assert!(
        refs.contains(&format!("{commit}\trefs/heads/main")),
        "{refs}"
    );
}

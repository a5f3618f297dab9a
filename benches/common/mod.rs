//! Shared benchmark machinery: a small HTTP/1.1 keep-alive client on tokio's `TcpStream`,
//! AWS JSON 1.1 request building (with a SigV4-shaped `Authorization` header), a closed-loop
//! load runner with latency percentiles, and CPU/memory readings from `/proc`.
//!
//! Deliberately small and allocation-light: the client shares two cores with the server it
//! measures, so every microsecond it spends is one the server does not get.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------------------------
// Requests

/// A complete AWS JSON 1.1 request (`POST /` with `X-Amz-Target`) in us-east-1, ready to write.
pub fn json_request(host: &str, target: &str, body: &str) -> Vec<u8> {
    json_request_in(host, "us-east-1", target, body)
}

/// The same in another region: the region travels in the SigV4 credential scope. The
/// signature is SigV4-shaped (as botocore sends it) and fixed; servers here do not verify it.
pub fn json_request_in(host: &str, region: &str, target: &str, body: &str) -> Vec<u8> {
    let service = target.split('_').next().unwrap_or("").to_ascii_lowercase();
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Date: 20261128T135441Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=bench/20261128/{region}/{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=ba9c71e2f0d4c3b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918\r\nUser-Agent: simfra-bench\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A request without body (admin endpoints).
pub fn plain_request(host: &str, method: &str, path: &str) -> Vec<u8> {
    format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

// ---------------------------------------------------------------------------------------------
// The client

/// One response: status and body (headers are parsed for framing only).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed by earlier responses.
    start: usize,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
        })
    }

    /// Sends one request and reads its response.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        let mut response = Response {
            status: 0,
            body: Vec::new(),
        };
        self.send_into(request, &mut response).await?;
        Ok(response)
    }

    /// Sends one request and reads its response into `out` (reusing its allocation).
    pub async fn send_into(&mut self, request: &[u8], out: &mut Response) -> io::Result<()> {
        self.stream.write_all(request).await?;
        // Head.
        let head_end = loop {
            if let Some(pos) = find(&self.buf[self.start..], b"\r\n\r\n") {
                break self.start + pos + 4;
            }
            self.fill().await?;
        };
        let head = &self.buf[self.start..head_end];
        let (status, framing) = parse_head(head)?;
        out.status = status;
        out.body.clear();
        self.start = head_end;
        match framing {
            Framing::Length(len) => {
                while self.buf.len() - self.start < len {
                    self.fill().await?;
                }
                out.body
                    .extend_from_slice(&self.buf[self.start..self.start + len]);
                self.start += len;
            }
            Framing::Chunked => loop {
                let line_end = loop {
                    if let Some(pos) = find(&self.buf[self.start..], b"\r\n") {
                        break self.start + pos;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[self.start..line_end])
                    .map_err(|_| bad("chunk size is not text"))?;
                let size_text = size_text.split(';').next().unwrap_or("").trim();
                let size =
                    usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
                self.start = line_end + 2;
                while self.buf.len() - self.start < size + 2 {
                    self.fill().await?;
                }
                out.body
                    .extend_from_slice(&self.buf[self.start..self.start + size]);
                self.start += size + 2;
                if size == 0 {
                    break;
                }
            },
        }
        // Keep the buffer from growing: move any pipelined rest to the front.
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 32 * 1024 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(())
    }

    async fn fill(&mut self) -> io::Result<()> {
        if self.buf.capacity() - self.buf.len() < 16 * 1024 {
            self.buf.reserve(64 * 1024);
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }
}

enum Framing {
    Length(usize),
    Chunked,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> io::Result<(u16, Framing)> {
    let text = std::str::from_utf8(head).map_err(|_| bad("response head is not text"))?;
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let mut framing = Framing::Length(0);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            let len = value
                .trim()
                .parse()
                .map_err(|_| bad("bad content-length"))?;
            framing = Framing::Length(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        }
    }
    Ok((status, framing))
}

/// Resolves `http://host:port` (the only form the benchmarks take) to an address and the
/// `Host` header value.
pub fn parse_url(url: &str) -> Result<(SocketAddr, String), String> {
    use std::net::ToSocketAddrs;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let host = rest.trim_end_matches('/');
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("{url}: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: no address"))?;
    Ok((addr, host.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Load

/// What a closed-loop load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Sorted latencies in nanoseconds.
    pub latencies: Vec<u32>,
    /// Server CPU time (user + system) over the measured window.
    pub server_cpu: Duration,
    /// The first unexpected response, if any.
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile (0..=1) of latency, in microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i] as f64 / 1000.0
    }

    pub fn cpu_us_per_request(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        self.server_cpu.as_secs_f64() * 1e6 / self.requests as f64
    }
}

/// Where to read the server's CPU time from.
#[derive(Clone)]
pub enum CpuSource {
    /// A whole process (`/proc/<pid>/stat`).
    Process(u32),
    /// Threads of this process whose names start with one of these prefixes.
    OwnThreads(Vec<&'static str>),
}

impl CpuSource {
    pub fn read(&self) -> Duration {
        match self {
            CpuSource::Process(pid) => process_cpu(*pid).unwrap_or_default(),
            CpuSource::OwnThreads(prefixes) => own_threads_cpu(prefixes),
        }
    }
}

/// `concurrency` connections, each sending `request` back to back (closed loop) for
/// `duration`, after `warmup` of the same load that is not counted.
pub async fn run_load(
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    cpu: &CpuSource,
) -> io::Result<LoadResult> {
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        conns.push(Conn::connect(addr).await?);
    }
    // Warm-up: connections, caches, allocator.
    let warm_deadline = Instant::now() + warmup;
    let mut tasks = Vec::new();
    for mut conn in conns {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut response = Response {
                status: 0,
                body: Vec::new(),
            };
            while Instant::now() < warm_deadline {
                conn.send_into(&request, &mut response).await?;
            }
            Ok::<Conn, io::Error>(conn)
        }));
    }
    let mut conns = Vec::with_capacity(concurrency);
    for t in tasks {
        conns.push(t.await.map_err(io::Error::other)??);
    }

    let cpu_before = cpu.read();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for mut conn in conns {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut first_error = None;
            let mut response = Response {
                status: 0,
                body: Vec::new(),
            };
            loop {
                let t0 = Instant::now();
                if t0 >= deadline {
                    break;
                }
                conn.send_into(&request, &mut response).await?;
                let ns = t0.elapsed().as_nanos().min(u32::MAX as u128) as u32;
                latencies.push(ns);
                if response.status != 200 {
                    errors += 1;
                    if first_error.is_none() {
                        first_error = Some(format!("{} {}", response.status, response.text()));
                    }
                }
            }
            Ok::<_, io::Error>((latencies, errors, first_error))
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (l, e, f) = t.await.map_err(io::Error::other)??;
        latencies.extend(l);
        errors += e;
        first_error = first_error.or(f);
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu.read().saturating_sub(cpu_before);
    latencies.sort_unstable();
    Ok(LoadResult {
        concurrency,
        requests: latencies.len() as u64,
        errors,
        elapsed,
        latencies,
        server_cpu,
        first_error,
    })
}

/// Sends `requests` (each exactly once) over `concurrency` connections; returns the wall time,
/// the server CPU time and every response that was not a 200.
pub async fn run_batch(
    addr: SocketAddr,
    requests: Vec<Vec<u8>>,
    concurrency: usize,
    cpu: &CpuSource,
) -> io::Result<(Duration, Duration, Vec<Response>)> {
    let requests = Arc::new(requests);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        conns.push(Conn::connect(addr).await?);
    }
    let cpu_before = cpu.read();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut conn in conns {
        let requests = requests.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut failed = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(req) = requests.get(i) else { break };
                let r = conn.send(req).await?;
                if r.status != 200 {
                    failed.push(r);
                }
            }
            Ok::<_, io::Error>(failed)
        }));
    }
    let mut failed = Vec::new();
    for t in tasks {
        failed.extend(t.await.map_err(io::Error::other)??);
    }
    let elapsed = started.elapsed();
    Ok((elapsed, cpu.read().saturating_sub(cpu_before), failed))
}

// ---------------------------------------------------------------------------------------------
// /proc

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on every Linux we run on).
const TICKS_PER_SECOND: u64 = 100;

/// utime + stime (fields 14 and 15) of a `stat` line; the command name may hold spaces, so
/// fields are counted after its closing parenthesis.
fn stat_cpu(stat: &str) -> Option<Duration> {
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU time (user + system, all threads) a process has used so far.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    stat_cpu(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time used by this process's threads whose names start with one of `prefixes`.
pub fn own_threads_cpu(prefixes: &[&str]) -> Duration {
    let mut total = Duration::ZERO;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return total;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if prefixes.iter().any(|p| comm.starts_with(p)) {
            if let Some(cpu) = std::fs::read_to_string(path.join("stat"))
                .ok()
                .and_then(|s| stat_cpu(&s))
            {
                total += cpu;
            }
        }
    }
    total
}

/// Resident memory (`VmRSS`) of a process, in bytes.
pub fn process_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

// ---------------------------------------------------------------------------------------------
// Formatting

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn thousands(n: f64) -> String {
    let n = n.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Helpers of the container benchmarks (builds and deployments)

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Epoch seconds (with fractional milliseconds) as milliseconds.
pub fn millis(v: &serde_json::Value) -> Option<f64> {
    v.as_f64().map(|s| (s * 1000.0).round())
}

pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// The `q` quantile of sorted values, interpolated between the two nearest ranks (the median
/// of an even count is the mean of the middle two).
pub fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// pids of the processes whose command name is one of `names` (readable `/proc` entries only).
pub fn pids_named(names: &[&str]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| names.contains(&c.trim()))
        })
        .collect()
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

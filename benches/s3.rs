//! S3 data-plane benchmark against a running simfra: PutObject and GetObject throughput for
//! 4 KiB objects (requests per second at concurrency 32, keep-alive connections) and for
//! 256 MiB objects (MiB/s over one connection, and as the AWS CLI uploads such a file: a
//! multipart upload of 8 MiB parts on 10 connections), beside `cp` of the same 256 MiB on the
//! local disk (the bound a local object store can hope to approach) and MD5 of the same bytes
//! in one thread (the ETag every PUT computes: the bound for single-stream uploads).
//!
//! ```text
//! cargo build --release && SIMFRA_LOG=warn target/release/simfra &     # the server under test
//! SIMFRA_BENCH_URL=http://127.0.0.1:4599 cargo bench --bench s3
//! ```
//!
//! Environment: `SIMFRA_BENCH_URL` (default `http://127.0.0.1:4599`), `SIMFRA_BENCH_SECS`
//! (seconds per small-object run, default 5), `SIMFRA_BENCH_LARGE_RUNS` (256 MiB transfers of
//! each kind, default 3; the best is reported). Creates and fills the bucket `simfra-bench-s3`.
//!
//! The client is a few lines of blocking HTTP/1.1 over `std::net::TcpStream`, one thread per
//! connection: no HTTP client crate, so its own cost stays small and visible.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BUCKET: &str = "simfra-bench-s3";
const SMALL: usize = 4 * 1024;
const LARGE: usize = 256 * 1024 * 1024;
const CONCURRENCY: usize = 32;
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::with_capacity(256 * 1024, stream),
            host: addr.to_string(),
        })
    }

    /// Sends a request with a body written by `body` (length given), returns the status and
    /// the response body length (the body is read and dropped).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        len: usize,
        body: impl FnOnce(&mut TcpStream) -> std::io::Result<()>,
    ) -> std::io::Result<(u16, u64)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {AUTH}\r\nContent-Length: {len}\r\n\r\n",
            self.host
        );
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        body(stream)?;
        self.read_response()
    }

    fn read_response(&mut self) -> std::io::Result<(u16, u64)> {
        let r = self.read_full(false)?;
        Ok((r.status, r.length))
    }

    /// Like `request`, keeping the response's ETag and (small) body.
    fn request_full(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {AUTH}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        self.read_full(true)
    }

    fn read_full(&mut self, keep_body: bool) -> std::io::Result<Response> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0u64;
        let mut etag = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("etag") {
                    etag = v.trim().to_string();
                }
            }
        }
        let mut body = Vec::new();
        let mut left = length;
        while left > 0 {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(std::io::Error::other("connection closed mid-body"));
            }
            let n = buf.len().min(left as usize);
            if keep_body {
                body.extend_from_slice(&buf[..n]);
            }
            self.reader.consume(n);
            left -= n as u64;
        }
        Ok(Response {
            status,
            length,
            etag,
            body,
        })
    }
}

struct Response {
    status: u16,
    length: u64,
    etag: String,
    body: Vec<u8>,
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8)
        .collect()
}

/// Runs PUTs or GETs of 4 KiB objects on `CONCURRENCY` connections for `secs`; requests/s.
fn small_run(addr: SocketAddr, get: bool, secs: f64, keys_per_conn: &[AtomicU64]) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let body = Arc::new(pattern(SMALL));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|s| {
        for (t, written) in keys_per_conn.iter().enumerate() {
            let stop = stop.clone();
            let body = body.clone();
            let done = done.clone();
            s.spawn(move || {
                let mut conn = Conn::open(addr).expect("connect");
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let (status, _) = if get {
                        let n = written.load(Ordering::Relaxed).max(1);
                        conn.request("GET", &format!("/{BUCKET}/small/{t}/{}", i % n), 0, |_| {
                            Ok(())
                        })
                    } else {
                        conn.request("PUT", &format!("/{BUCKET}/small/{t}/{i}"), SMALL, |s| {
                            s.write_all(&body)
                        })
                    }
                    .expect("request");
                    assert_eq!(status, 200, "small {}", if get { "GET" } else { "PUT" });
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                if !get {
                    written.store(i, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One 256 MiB PUT or GET; MiB/s.
fn large_run(addr: SocketAddr, get: bool, data: &[u8]) -> f64 {
    let mut conn = Conn::open(addr).expect("connect");
    let started = Instant::now();
    let (status, len) = if get {
        conn.request("GET", &format!("/{BUCKET}/large.bin"), 0, |_| Ok(()))
    } else {
        conn.request("PUT", &format!("/{BUCKET}/large.bin"), data.len(), |s| {
            s.write_all(data)
        })
    }
    .expect("request");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(status, 200);
    if get {
        assert_eq!(len as usize, data.len());
    }
    data.len() as f64 / (1024.0 * 1024.0) / secs
}

/// The AWS CLI's way with a 256 MiB file: a multipart upload of 8 MiB parts on 10
/// connections (its defaults), then the completion; MiB/s over the whole upload.
fn multipart_run(addr: SocketAddr, data: &[u8]) -> f64 {
    const PART: usize = 8 * 1024 * 1024;
    const CONNECTIONS: usize = 10;
    let key = format!("/{BUCKET}/multipart.bin");
    let started = Instant::now();
    let mut conn = Conn::open(addr).expect("connect");
    let created = conn
        .request_full("POST", &format!("{key}?uploads"), &[])
        .expect("CreateMultipartUpload");
    assert_eq!(created.status, 200);
    let text = String::from_utf8_lossy(&created.body);
    let upload_id = text
        .split("<UploadId>")
        .nth(1)
        .and_then(|s| s.split("</UploadId>").next())
        .expect("an upload id")
        .to_string();
    let parts: Vec<&[u8]> = data.chunks(PART).collect();
    let next = AtomicU64::new(0);
    let etags: Vec<std::sync::Mutex<String>> =
        parts.iter().map(|_| std::sync::Mutex::default()).collect();
    std::thread::scope(|s| {
        for _ in 0..CONNECTIONS {
            s.spawn(|| {
                let mut conn = Conn::open(addr).expect("connect");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(part) = parts.get(i) else { break };
                    let r = conn
                        .request_full(
                            "PUT",
                            &format!("{key}?partNumber={}&uploadId={upload_id}", i + 1),
                            part,
                        )
                        .expect("UploadPart");
                    assert_eq!(r.status, 200, "UploadPart");
                    *etags[i].lock().unwrap() = r.etag;
                }
            });
        }
    });
    let mut complete = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        complete.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            etag.lock().unwrap()
        ));
    }
    complete.push_str("</CompleteMultipartUpload>");
    let done = conn
        .request_full(
            "POST",
            &format!("{key}?uploadId={upload_id}"),
            complete.as_bytes(),
        )
        .expect("CompleteMultipartUpload");
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    data.len() as f64 / (1024.0 * 1024.0) / started.elapsed().as_secs_f64()
}

/// `cp` of the same bytes, file to file in the temp directory (where an in-memory server also
/// keeps its blobs); MiB/s.
fn disk_copy(data: &[u8]) -> f64 {
    let dir = std::env::temp_dir().join(format!("simfra-bench-s3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join("src.bin");
    let dst = dir.join("dst.bin");
    std::fs::write(&src, data).expect("write source");
    let started = Instant::now();
    let ok = std::process::Command::new("cp")
        .arg(&src)
        .arg(&dst)
        .status()
        .expect("cp runs")
        .success();
    let secs = started.elapsed().as_secs_f64();
    assert!(ok, "cp failed");
    let _ = std::fs::remove_dir_all(&dir);
    data.len() as f64 / (1024.0 * 1024.0) / secs
}

/// MD5 of the same bytes in this process: every PutObject computes it for the ETag, and MD5
/// cannot be spread over cores, so it bounds single-stream uploads; MiB/s.
fn md5_speed(data: &[u8]) -> f64 {
    use md5::Digest;
    let started = Instant::now();
    let mut h = md5::Md5::new();
    for c in data.chunks(64 * 1024) {
        h.update(c);
    }
    std::hint::black_box(h.finalize());
    data.len() as f64 / (1024.0 * 1024.0) / started.elapsed().as_secs_f64()
}

fn best(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| f()).fold(0.0, f64::max)
}

fn main() {
    let url = std::env::var("SIMFRA_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:4599".into());
    let secs: f64 = std::env::var("SIMFRA_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let runs: usize = std::env::var("SIMFRA_BENCH_LARGE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let addr = host
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("SIMFRA_BENCH_URL must be http://host:port, got {url}"));
    let mut conn = match Conn::open(addr) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("s3 bench: no server at {url} ({e}); start one first (see the module docs)");
            std::process::exit(1);
        }
    };
    let (status, _) = conn
        .request("PUT", &format!("/{BUCKET}"), 0, |_| Ok(()))
        .expect("create the bucket");
    assert!(
        status == 200 || status == 409,
        "CreateBucket answered {status}"
    );

    eprintln!(
        "s3 bench against {url}: 4 KiB objects at concurrency {CONCURRENCY}, {secs}s per run"
    );
    let written: Vec<AtomicU64> = (0..CONCURRENCY).map(|_| AtomicU64::new(0)).collect();
    let put_small = small_run(addr, false, secs, &written);
    let get_small = small_run(addr, true, secs, &written);

    eprintln!("256 MiB objects, best of {runs}");
    let data = pattern(LARGE);
    let put_large = best(runs, || large_run(addr, false, &data));
    let multipart = best(runs, || multipart_run(addr, &data));
    let get_large = best(runs, || large_run(addr, true, &data));
    let cp = best(runs, || disk_copy(&data));
    let md5 = best(runs, || md5_speed(&data));

    println!("| operation | result |");
    println!("|---|---|");
    println!("| PutObject 4 KiB, concurrency {CONCURRENCY} | {put_small:.0} req/s |");
    println!("| GetObject 4 KiB, concurrency {CONCURRENCY} | {get_small:.0} req/s |");
    println!(
        "| PutObject 256 MiB, one stream | {put_large:.0} MiB/s ({:.0}% of cp) |",
        100.0 * put_large / cp
    );
    println!(
        "| Multipart upload of 256 MiB, 8 MiB parts on 10 connections (the CLI's way) | {multipart:.0} MiB/s ({:.0}% of cp) |",
        100.0 * multipart / cp
    );
    println!(
        "| GetObject 256 MiB, one stream | {get_large:.0} MiB/s ({:.0}% of cp) |",
        100.0 * get_large / cp
    );
    println!("| `cp` 256 MiB on the local disk (bound) | {cp:.0} MiB/s |");
    println!("| MD5 of 256 MiB in one thread (the ETag's cost, bound for PUT) | {md5:.0} MiB/s |");
}

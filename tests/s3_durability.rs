//! S3 with the real binary: every object and version survives `kill -9` and a restart on the
//! same `SIMFRA_DATA_DIR`, and a 1 GiB upload and download stream through the server with its
//! resident memory staying under 100 MiB.

mod common;
mod s3_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use s3_support::{get, pattern, S3_AUTH};

/// The real binary on a free port.
struct Binary {
    child: Child,
    port: u16,
}

impl Binary {
    fn start(data_dir: Option<&Path>) -> Binary {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simfra"));
        cmd.env("SIMFRA_PORT", port.to_string())
            .env("SIMFRA_HOST", "127.0.0.1")
            .env("SIMFRA_LOG", "warn")
            .env_remove("SIMFRA_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(d) = data_dir {
            cmd.env("SIMFRA_DATA_DIR", d);
        }
        let child = cmd.spawn().expect("the simfra binary starts");
        let b = Binary { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        b
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_versions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let big = pattern(3 * 1024 * 1024 + 17, 11);
    let (v1, v2, upload_id);
    {
        let server = Binary::start(Some(dir.path()));
        let s3 = common::s3_at(&server.url());
        s3.create_bucket().bucket("keep").send().await.unwrap();
        s3.put_bucket_versioning()
            .bucket("keep")
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let put = |key: &'static str, body: Vec<u8>| {
            let s3 = s3.clone();
            async move {
                s3.put_object()
                    .bucket("keep")
                    .key(key)
                    .metadata("n", key)
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .unwrap()
                    .version_id()
                    .unwrap()
                    .to_string()
            }
        };
        v1 = put("doc", b"first".to_vec()).await;
        v2 = put("doc", b"second".to_vec()).await;
        put("big.bin", big.clone()).await;
        put("gone", b"x".to_vec()).await;
        s3.delete_object()
            .bucket("keep")
            .key("gone")
            .send()
            .await
            .unwrap();
        upload_id = s3
            .create_multipart_upload()
            .bucket("keep")
            .key("pending")
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_string();
        s3.upload_part()
            .bucket("keep")
            .key("pending")
            .upload_id(&upload_id)
            .part_number(1)
            .body(ByteStream::from_static(b"part one"))
            .send()
            .await
            .unwrap();
        server.kill();
    }
    // A blob no record references (as a crash between rename and commit would leave).
    let orphan = dir
        .path()
        .join("blobs/s3/data/ab/abababababababababababababababab");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"orphan").unwrap();

    let server = Binary::start(Some(dir.path()));
    let s3 = common::s3_at(&server.url());
    assert_eq!(get(&s3, "keep", "doc").await, b"second");
    assert_eq!(get(&s3, "keep", "big.bin").await, big);
    let old = s3
        .get_object()
        .bucket("keep")
        .key("doc")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(old.metadata().unwrap()["n"], "doc");
    assert_eq!(
        old.body.collect().await.unwrap().into_bytes().as_ref(),
        b"first"
    );
    let versions = s3
        .list_object_versions()
        .bucket("keep")
        .send()
        .await
        .unwrap();
    let doc_ids: Vec<_> = versions
        .versions()
        .iter()
        .filter(|v| v.key() == Some("doc"))
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(doc_ids, vec![v2.as_str(), v1.as_str()]);
    assert_eq!(versions.delete_markers().len(), 1);
    let v = s3
        .get_bucket_versioning()
        .bucket("keep")
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let parts = s3
        .list_parts()
        .bucket("keep")
        .key("pending")
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 1);
    assert!(
        !orphan.exists(),
        "unreferenced blobs are collected at start-up"
    );
    // New writes after the restart get fresh sequence numbers and stay ordered.
    let v3 = s3
        .put_object()
        .bucket("keep")
        .key("doc")
        .body(ByteStream::from_static(b"third"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_string();
    assert_eq!(get(&s3, "keep", "doc").await, b"third");
    let versions = s3
        .list_object_versions()
        .bucket("keep")
        .prefix("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions()[0].version_id(), Some(v3.as_str()));
    assert_eq!(versions.versions().len(), 3);
}

const GIB: u64 = 1024 * 1024 * 1024;
const BLOCK: usize = 1024 * 1024;

/// Block `i` of the generated object: a fixed pattern stamped with its index.
fn block(base: &[u8], i: u64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(base);
    out[..8].copy_from_slice(&i.to_le_bytes());
    let j = (i as usize * 7919) % (BLOCK - 8);
    out[j..j + 8].copy_from_slice(&(!i).to_le_bytes());
}

fn read_head(reader: &mut BufReader<TcpStream>) -> (u16, Vec<String>) {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let status = lines[0].split(' ').nth(1).unwrap().parse().unwrap();
    (status, lines)
}

#[test]
fn one_gib_streams_through_in_flat_memory() {
    // A data directory of the test's own, so the gibibyte goes with it even after a SIGKILL.
    let dir = tempfile::tempdir().unwrap();
    let server = Binary::start(Some(dir.path()));
    let port = server.port;
    let r = s3_support::raw_to(
        &server.url(),
        "PUT",
        "/huge",
        &[("Authorization", S3_AUTH)],
        b"",
    );
    assert_eq!(r.0, 200);
    let base = pattern(BLOCK, 5);
    let baseline = server.rss_kib();

    // Sample the server's resident memory while the transfers run.
    let pid = server.child.id();
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kib) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak = peak.max(kib);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };

    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "PUT /huge/one-gib.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {S3_AUTH}\r\nContent-Length: {GIB}\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::with_capacity(BLOCK);
    for i in 0..GIB / BLOCK as u64 {
        block(&base, i, &mut buf);
        stream.write_all(&buf).unwrap();
    }
    let mut reader = BufReader::new(stream);
    let (status, head) = read_head(&mut reader);
    assert_eq!(status, 200, "{head:?}");
    let upload_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut stream = reader.into_inner();
    write!(
        stream,
        "GET /huge/one-gib.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {S3_AUTH}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::with_capacity(BLOCK, stream);
    let (status, head) = read_head(&mut reader);
    assert_eq!(status, 200, "{head:?}");
    assert!(head
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&format!("content-length: {GIB}"))));
    let mut got = vec![0u8; BLOCK];
    for i in 0..GIB / BLOCK as u64 {
        reader.read_exact(&mut got).unwrap();
        block(&base, i, &mut buf);
        assert!(got == buf, "block {i} differs");
    }
    assert_eq!(
        reader.read(&mut got).unwrap(),
        0,
        "nothing after the object"
    );
    let download_secs = started.elapsed().as_secs_f64();

    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    eprintln!(
        "1 GiB: upload {upload_secs:.1}s, download {download_secs:.1}s, server RSS {baseline} KiB idle, {peak} KiB peak"
    );
    assert!(peak > 0, "VmRSS was readable");
    assert!(peak < 100 * 1024, "server RSS peaked at {peak} KiB");
}

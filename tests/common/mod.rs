//! Shared test harness: an in-process server on port 0, SDK clients pointed at it, the AWS CLI,
//! and a raw HTTP helper for protocol-level checks.
#![allow(dead_code)]

pub mod docker;
pub mod git;
pub mod process;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};

use aws_credential_types::Credentials;
use aws_types::region::Region;
use aws_types::SdkConfig;
use simfra::server::TestServer;
use simfra::Settings;

/// An in-memory server on a free port.
pub fn start() -> TestServer {
    TestServer::start(Settings::for_tests()).expect("server starts")
}

/// A server with the given settings.
pub fn start_with(settings: Settings) -> TestServer {
    TestServer::start(settings).expect("server starts")
}

/// The shared SDK configuration for a server (region us-east-1, dummy credentials, plain HTTP).
pub fn sdk_config(url: &str) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new().build_http();
    SdkConfig::builder()
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "static",
            )),
        )
        .http_client(http)
        .behavior_version(
            aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
        )
        .build()
}

pub fn codepipeline(server: &TestServer) -> aws_sdk_codepipeline::Client {
    aws_sdk_codepipeline::Client::new(&sdk_config(&server.url()))
}

pub fn events(server: &TestServer) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&sdk_config(&server.url()))
}

pub fn codecommit(server: &TestServer) -> aws_sdk_codecommit::Client {
    aws_sdk_codecommit::Client::new(&sdk_config(&server.url()))
}

/// An S3 client for the server (path-style addressing: `http://127.0.0.1:port/bucket/key`).
pub fn s3(server: &TestServer) -> aws_sdk_s3::Client {
    s3_at(&server.url())
}

/// An S3 client for a server at `url` (path-style addressing).
pub fn s3_at(url: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&sdk_config(url))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Runs the AWS CLI against the server; returns its output (stdout is JSON for most calls).
pub fn cli(url: &str, args: &[&str]) -> Output {
    Command::new("aws")
        .arg("--endpoint-url")
        .arg(url)
        .arg("--region")
        .arg("us-east-1")
        .arg("--output")
        .arg("json")
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("the aws CLI runs (is it installed? .ci/run installs it)")
}

/// Runs the CLI and parses its JSON stdout, panicking with stderr if it failed.
pub fn cli_json(url: &str, args: &[&str]) -> serde_json::Value {
    let out = cli(url, args);
    assert!(
        out.status.success(),
        "aws {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("CLI output is JSON")
}

/// A raw HTTP/1.1 response.
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("response body is JSON")
    }
}

/// Sends one raw request (connection closed afterwards) and reads the whole response.
pub fn raw(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.addr,
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw_bytes(server, &bytes)
}

/// Writes `request` as it is (head and any body, the caller's framing) on a new connection and
/// reads one response.
pub fn raw_bytes(server: &TestServer, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    // A server that never answers fails the test instead of hanging it.
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    // The server may answer (and close) before reading a body it refuses.
    let _ = stream.write_all(request);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !response_complete(&buf) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    parse_response(&buf)
}

/// Whether `buf` holds a whole response. The server may keep the connection open after it
/// answered without reading all of a request's body, so the end is found by framing.
fn response_complete(buf: &[u8]) -> bool {
    let Some(split) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let body = &buf[split + 4..];
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    // Without a length (or for HEAD, whose length describes no body) the close ends it.
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .is_some_and(|n| n > 0 && body.len() >= n)
}

/// A signed-looking JSON 1.1 call: `target` is e.g. `CodePipeline_20150709.GetPipeline`.
pub fn raw_json(server: &TestServer, target: &str, body: &[u8]) -> RawResponse {
    raw(
        server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target),
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/codepipeline/aws4_request, SignedHeaders=host, Signature=00",
            ),
        ],
        body,
    )
}

fn parse_response(buf: &[u8]) -> RawResponse {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[pos + 2..pos + 2 + size]);
        data = &data[pos + 4 + size..];
    }
    out
}

pub fn codebuild(server: &TestServer) -> aws_sdk_codebuild::Client {
    aws_sdk_codebuild::Client::new(&sdk_config(&server.url()))
}

/// A CloudWatch Logs client for the server.
pub fn logs(server: &TestServer) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&sdk_config(&server.url()))
}

/// A CodeDeploy client for the server.
pub fn codedeploy(server: &TestServer) -> aws_sdk_codedeploy::Client {
    aws_sdk_codedeploy::Client::new(&sdk_config(&server.url()))
}

/// A zip archive of `(name, body, unix mode)` entries, names written as given (even `../x`).
pub fn zip_of(files: &[(&str, &str, u32)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, body, mode) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
            z.start_file(*name, options).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

/// A zip archive of plain (0644) files.
pub fn zip_files(files: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<(&str, &str, u32)> = files.iter().map(|(n, b)| (*n, *b, 0o644)).collect();
    zip_of(&entries)
}

/// Creates a bucket with versioning enabled (what an S3 pipeline source needs).
pub async fn versioned_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

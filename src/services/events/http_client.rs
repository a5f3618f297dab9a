//! A minimal HTTP/1.1 client for API destinations: one request per connection, `http://`
//! only, a hard timeout on the whole exchange. Enough to reach local services and test
//! listeners; `https://` endpoints fail the delivery with a clear reason.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a request did not get a response, and whether retrying may help.
#[derive(Debug)]
pub struct Failure {
    pub reason: String,
    pub retryable: bool,
}

#[derive(Debug)]
struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, Failure> {
    let fail = |reason: String| Failure {
        reason,
        retryable: false,
    };
    if url.starts_with("https://") {
        return Err(fail(format!(
            "{url}: https endpoints are not supported by simfra's API destinations (use http://)"
        )));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| fail(format!("{url} is not an http:// URL")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || p.parse::<u16>().is_ok() => (
            h.to_string(),
            p.parse::<u16>()
                .map_err(|_| fail(format!("{url} has an invalid port")))?,
        ),
        _ => (authority.to_string(), 80),
    };
    if host.is_empty() {
        return Err(fail(format!("{url} has no host")));
    }
    Ok(Url {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        path: path.to_string(),
    })
}

/// Sends the request; returns the response status.
pub async fn send(req: Request<'_>, timeout: Duration) -> Result<u16, Failure> {
    let url = parse_url(req.url)?;
    match tokio::time::timeout(timeout, exchange(&url, &req)).await {
        Ok(r) => r,
        Err(_) => Err(Failure {
            reason: format!(
                "{} did not answer within {} ms",
                req.url,
                timeout.as_millis()
            ),
            retryable: true,
        }),
    }
}

async fn exchange(url: &Url, req: &Request<'_>) -> Result<u16, Failure> {
    let io = |what: &str, e: std::io::Error| Failure {
        reason: format!("{what} {}:{}: {e}", url.host, url.port),
        retryable: true,
    };
    let mut stream = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| io("connecting to", e))?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method,
        url.path,
        url.host,
        url.port,
        req.body.len()
    );
    for (k, v) in &req.headers {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| io("writing to", e))?;
    stream
        .write_all(&req.body)
        .await
        .map_err(|e| io("writing to", e))?;
    // Only the status line matters.
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    loop {
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&buf[..end]).to_string();
            return line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or(Failure {
                    reason: format!("the response status line '{line}' is not HTTP"),
                    retryable: false,
                });
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| io("reading from", e))?;
        if n == 0 || buf.len() > 8192 {
            return Err(Failure {
                reason: format!(
                    "{}:{} closed the connection without a response",
                    url.host, url.port
                ),
                retryable: true,
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://127.0.0.1:8080/hook?a=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/hook?a=1")
        );
        let u = parse_url("http://example.local").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        assert!(parse_url("https://x/")
            .unwrap_err()
            .reason
            .contains("https"));
        assert!(parse_url("ftp://x/").is_err());
    }
}

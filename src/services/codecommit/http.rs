//! Git smart HTTP at `/v1/repos/<name>/...` for the real `git` client: clone, fetch, push,
//! shallow and protocol v2, served by `git http-backend` run as a CGI program.
//!
//! Any credentials are accepted (the server never asks for them). The request body is read
//! whole (gzip-encoded bodies, which git sends for large fetch negotiations, are inflated
//! first), handed to the CGI on stdin, and its output is parsed (`Status:` and headers) into
//! the response. A push runs under the repository's lock, so the refs it changed are observed
//! exactly: each change is published as a `CodeCommit Repository State Change` event.
//! Concurrent pushes to one branch are decided by git's own ref locking: one wins, the other
//! is told to fetch first.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use super::{git, validate, CodeCommit};
use crate::protocol::router::read_body;
use crate::protocol::{RequestContext, RestService};

/// The largest request body a push may send.
const MAX_BODY: usize = 2 * 1024 * 1024 * 1024;

pub struct GitHttp {
    pub svc: Arc<CodeCommit>,
}

impl RestService for GitHttp {
    fn matches(&self, req: &HttpRequest, _ctx: &RequestContext) -> bool {
        req.path().starts_with("/v1/repos/")
    }

    fn handle(
        &self,
        req: HttpRequest,
        payload: web::Payload,
        ctx: RequestContext,
    ) -> LocalBoxFuture<'static, HttpResponse> {
        let svc = self.svc.clone();
        Box::pin(serve(svc, req, payload, ctx))
    }
}

fn plain(status: StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Content-Type", "text/plain; charset=utf-8"))
        .body(format!("{text}\n"))
}

/// The git service a request is for, when it is one git's smart protocol uses.
fn git_operation(method: &str, tail: &str, query: &str) -> Option<&'static str> {
    match (method, tail) {
        ("GET", "info/refs") => {
            if query.split('&').any(|kv| kv == "service=git-receive-pack") {
                Some("receive-pack")
            } else if query.split('&').any(|kv| kv == "service=git-upload-pack") {
                Some("upload-pack")
            } else {
                None
            }
        }
        ("POST", "git-upload-pack") => Some("upload-pack"),
        ("POST", "git-receive-pack") => Some("receive-pack-post"),
        _ => None,
    }
}

async fn serve(
    svc: Arc<CodeCommit>,
    req: HttpRequest,
    payload: web::Payload,
    ctx: RequestContext,
) -> HttpResponse {
    let rest = req.path().trim_start_matches("/v1/repos/").to_string();
    let (name, tail) = match rest.split_once('/') {
        Some((n, t)) => (n.to_string(), t.to_string()),
        None => (rest.clone(), String::new()),
    };
    let name = name.trim_end_matches(".git").to_string();
    let not_found = || plain(StatusCode::NOT_FOUND, "Repository not found");
    if validate::repository_name(Some(&name)).is_err() {
        return not_found();
    }
    let Some(record) = svc.state.get(&ctx.account_id, &ctx.region, &name) else {
        return not_found();
    };
    let method = req.method().as_str().to_string();
    let query = req.query_string().to_string();
    let Some(op) = git_operation(&method, &tail, &query) else {
        return plain(
            StatusCode::FORBIDDEN,
            "Only git's smart HTTP protocol is served here",
        );
    };
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let gzip = header("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let content_type = header("content-type").unwrap_or_default();
    let protocol = header("git-protocol");
    let body = match read_body(payload, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e.message),
    };
    let push = op == "receive-pack-post";
    // A push holds the repository's lock while it runs, so its ref changes are exact.
    let lock = svc.state.lock(&record.id);
    let _guard = if push { Some(lock.lock().await) } else { None };
    let cgi = Cgi {
        project_root: svc.state.region_dir(&record.account, &record.region),
        path_info: format!("/{}/{tail}", record.id),
        method,
        query,
        content_type,
        protocol,
    };
    let worker_svc = svc.clone();
    let caller = super::caller(&ctx);
    let result = tokio::task::spawn_blocking(move || {
        let body = if gzip {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .map_err(|e| format!("the gzip request body could not be read: {e}"))?;
            out
        } else {
            body.to_vec()
        };
        let dir = worker_svc.state.dir(&record);
        let before = if push {
            Some(git::refs(&dir).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let out = cgi.run(&body)?;
        if let Some(before) = before {
            worker_svc.refs_changed(&record, &before, &caller);
        }
        Ok::<_, String>(out)
    })
    .await;
    match result {
        Ok(Ok(out)) => cgi_response(&out),
        Ok(Err(e)) => {
            tracing::warn!(repository = %name, "git request failed: {e}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, &e)
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// One `git http-backend` invocation.
struct Cgi {
    project_root: std::path::PathBuf,
    path_info: String,
    method: String,
    query: String,
    content_type: String,
    protocol: Option<String>,
}

impl Cgi {
    fn run(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut cmd = git::base_command();
        cmd.arg("http-backend")
            .env("GIT_PROJECT_ROOT", &self.project_root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", &self.path_info)
            .env("REQUEST_METHOD", &self.method)
            .env("QUERY_STRING", &self.query)
            .env("CONTENT_TYPE", &self.content_type)
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_ADDR", "127.0.0.1")
            .env("REMOTE_USER", "simfra")
            .env("GIT_CONFIG_COUNT", "3")
            .env("GIT_CONFIG_KEY_0", "http.receivepack")
            .env("GIT_CONFIG_VALUE_0", "true")
            .env("GIT_CONFIG_KEY_1", "uploadpack.allowFilter")
            .env("GIT_CONFIG_VALUE_1", "true")
            .env("GIT_CONFIG_KEY_2", "receive.fsckObjects")
            .env("GIT_CONFIG_VALUE_2", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = &self.protocol {
            cmd.env("GIT_PROTOCOL", p);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("git http-backend could not start: {e}"))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = body.to_vec();
        let writer = std::thread::spawn(move || {
            // The backend may stop reading early (e.g. an error); that is not our failure.
            let _ = stdin.write_all(&input);
        });
        let out = child
            .wait_with_output()
            .map_err(|e| format!("git http-backend failed: {e}"))?;
        let _ = writer.join();
        if out.stdout.is_empty() {
            return Err(format!(
                "git http-backend produced no response: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    }
}

/// Turns CGI output (headers, a blank line, the body) into a response.
fn cgi_response(out: &[u8]) -> HttpResponse {
    let (head, body) = match find(out, b"\r\n\r\n") {
        Some(i) => (&out[..i], &out[i + 4..]),
        None => match find(out, b"\n\n") {
            Some(i) => (&out[..i], &out[i + 2..]),
            None => (&out[..0], out),
        },
    };
    let head = String::from_utf8_lossy(head);
    let mut status = StatusCode::OK;
    let mut builder_headers = Vec::new();
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("status") {
            if let Some(code) = v
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
            {
                status = code;
            }
        } else {
            builder_headers.push((k.to_string(), v.to_string()));
        }
    }
    let mut resp = HttpResponse::build(status);
    for (k, v) in builder_headers {
        resp.insert_header((k, v));
    }
    resp.body(body.to_vec())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_recognised() {
        assert_eq!(
            git_operation("GET", "info/refs", "service=git-upload-pack"),
            Some("upload-pack")
        );
        assert_eq!(
            git_operation("POST", "git-receive-pack", ""),
            Some("receive-pack-post")
        );
        assert_eq!(git_operation("GET", "info/refs", ""), None);
        assert_eq!(git_operation("GET", "objects/info/packs", ""), None);
    }

    #[test]
    fn cgi_output_is_parsed() {
        let r = cgi_response(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = cgi_response(b"Content-Type: application/x-git-upload-pack-advertisement\n\nbody");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers().get("content-type").unwrap(),
            "application/x-git-upload-pack-advertisement"
        );
    }
}

//! Git smart HTTP at `/v1/repos/<name>/...` for the real `git` client: clone, fetch, push,
//! shallow and protocol v2, served by `git http-backend` run as a CGI program.
//!
//! Any credentials are accepted (the server never asks for them). Both directions stream, so
//! memory stays flat whatever the size of a push or a clone:
//! - the request body is piped into the CGI's stdin as it arrives, its size counted against
//!   the limit on the way (a gzip-encoded body is passed on as such, with
//!   `HTTP_CONTENT_ENCODING`: `git http-backend` inflates it itself);
//! - the CGI's stdout is parsed for its header block (`Status:` and the rest), and what follows
//!   is the response body, sent while git still writes the pack.
//!
//! A client that goes away, or a body over the limit, stops the CGI: SIGTERM to its process
//! group (git removes its lock files on it), SIGKILL if it lingers, and the child is reaped.
//! Whatever the CGI writes on stderr is logged.
//!
//! A push runs under the repository's lock, held until the CGI has exited, so the refs it
//! changed are observed exactly (before and after). Each change is published as a
//! `CodeCommit Repository State Change` event before the response's end goes out, so a
//! pipeline's execution already exists when `git push` returns. Pushes to one repository
//! therefore run one at a time: of two concurrent pushes to one branch, the second is a
//! non-fast-forward and git rejects it.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::{watch, OwnedMutexGuard};

use super::state::RepoRecord;
use super::{git, validate, CodeCommit};
use crate::protocol::{RequestContext, RestService};

/// The largest request body a push may send.
const MAX_BODY: u64 = 2 * 1024 * 1024 * 1024;
/// The largest CGI header block accepted.
const MAX_HEAD: usize = 64 * 1024;
/// How much of the CGI's output one read takes (and one response chunk holds at most).
const CHUNK: usize = 64 * 1024;
/// How long a stopped CGI has to exit after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(5);
/// How much of the CGI's stderr is kept to explain a failure (all of it is logged).
const STDERR_KEPT: usize = 4096;

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

/// Why the request body stopped before its end.
#[derive(Debug, Clone, PartialEq)]
enum Abort {
    TooLarge,
    Body(String),
}

impl Abort {
    fn status(&self) -> StatusCode {
        match self {
            Abort::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Abort::Body(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn message(&self) -> String {
        match self {
            Abort::TooLarge => {
                format!("The request body is larger than the limit of {MAX_BODY} bytes")
            }
            Abort::Body(e) => format!("reading the request body failed: {e}"),
        }
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
    let content_length = match header("content-length").map(|v| v.trim().parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "The Content-Length header is not a number",
            )
        }
    };
    if content_length.is_some_and(|n| n > MAX_BODY) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, &Abort::TooLarge.message());
    }
    let push = if op == "receive-pack-post" {
        match PushWatch::start(&svc, &record, &ctx).await {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::error!(repository = %name, "{e}");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, &e);
            }
        }
    } else {
        None
    };
    let cgi = Cgi {
        project_root: svc.state.region_dir(&record.account, &record.region),
        path_info: format!("/{}/{tail}", record.id),
        method,
        query,
        content_type: header("content-type").unwrap_or_default(),
        content_length,
        content_encoding: header("content-encoding"),
        protocol: header("git-protocol"),
    };
    let mut child = match cgi.command().spawn() {
        Ok(c) => c,
        Err(e) => {
            let e = format!("git http-backend could not start: {e}");
            tracing::error!(repository = %name, "{e}");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, &e);
        }
    };
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let e = "git http-backend started without its standard streams";
        tracing::error!(repository = %name, "{e}");
        terminate(child, &name).await;
        return plain(StatusCode::INTERNAL_SERVER_ERROR, e);
    };
    let mut proc = Proc {
        child: Some(child),
        push,
        repo: name.clone(),
    };
    let stderr_head = actix_web::rt::spawn(log_stderr(stderr, name.clone()));
    let (abort_tx, abort_rx) = watch::channel(None);
    actix_web::rt::spawn(pump(payload, stdin, abort_tx));
    let mut reader = Reader {
        stdout,
        abort: abort_rx,
    };

    let (status, headers, first) = match read_head(&mut reader).await {
        Ok(head) => head,
        Err(HeadError::Aborted(a)) => {
            proc.stop().await;
            return plain(a.status(), &a.message());
        }
        Err(HeadError::Bad(e)) => {
            // The CGI said nothing usable: let it finish, then explain with its stderr.
            if let Some(mut child) = proc.child.take() {
                if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
                    terminate(child, &name).await;
                }
            }
            proc.report().await;
            let said = tokio::time::timeout(Duration::from_secs(1), stderr_head)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            let e = match said.trim() {
                "" => e,
                s => format!("{e}: {s}"),
            };
            tracing::warn!(repository = %name, "git request failed: {e}");
            return plain(StatusCode::BAD_GATEWAY, &e);
        }
    };
    let mut resp = HttpResponse::build(status);
    for h in headers {
        resp.append_header(h);
    }
    let body = Body {
        reader,
        first: Some(first),
        proc,
        done: false,
    };
    resp.streaming(futures_util::stream::unfold(body, |mut b| async move {
        let item = b.next().await?;
        Some((item, b))
    }))
}

/// A push's view of its repository: the refs before it, and the lock that keeps them exact
/// until the CGI has exited and the changes are reported.
struct PushWatch {
    svc: Arc<CodeCommit>,
    record: RepoRecord,
    before: BTreeMap<String, String>,
    caller: String,
    _guard: OwnedMutexGuard<()>,
}

impl PushWatch {
    async fn start(
        svc: &Arc<CodeCommit>,
        record: &RepoRecord,
        ctx: &RequestContext,
    ) -> Result<PushWatch, String> {
        let guard = svc.state.lock(&record.id).lock_owned().await;
        let dir = svc.state.dir(record);
        let before = tokio::task::spawn_blocking(move || git::refs(&dir))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("reading the repository's refs failed: {e}"))?;
        Ok(PushWatch {
            svc: svc.clone(),
            record: record.clone(),
            before,
            caller: super::caller(ctx),
            _guard: guard,
        })
    }

    /// Publishes the ref changes (blocking: it runs git); the lock goes with `self`.
    fn report(self) {
        self.svc
            .refs_changed(&self.record, &self.before, &self.caller);
    }
}

/// The running CGI and, for a push, what to report once it has exited. Dropped before that
/// (the client went away), it stops and reaps the CGI and reports in a task of its own.
struct Proc {
    child: Option<Child>,
    push: Option<PushWatch>,
    repo: String,
}

impl Proc {
    /// Waits for the CGI to exit by itself, then reports a push's ref changes.
    async fn finish(&mut self) {
        if let Some(mut child) = self.child.take() {
            match child.wait().await {
                Ok(s) if s.success() => {}
                Ok(s) => {
                    tracing::warn!(repository = %self.repo, "git http-backend exited with {s}")
                }
                Err(e) => {
                    tracing::warn!(repository = %self.repo, "waiting for git http-backend failed: {e}")
                }
            }
        }
        self.report().await;
    }

    /// Stops the CGI, then reports a push's ref changes (git may have moved refs already).
    async fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            terminate(child, &self.repo).await;
        }
        self.report().await;
    }

    async fn report(&mut self) {
        if let Some(p) = self.push.take() {
            if let Err(e) = tokio::task::spawn_blocking(move || p.report()).await {
                tracing::error!(repository = %self.repo, "reporting a push's ref changes failed: {e}");
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.is_none() && self.push.is_none() {
            return;
        }
        let (child, push, repo) = (self.child.take(), self.push.take(), self.repo.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Some(child) = child {
                        terminate(child, &repo).await;
                    }
                    if let Some(p) = push {
                        let _ = tokio::task::spawn_blocking(move || p.report()).await;
                    }
                });
            }
            Err(_) => {
                // No runtime left (shutting down): the child is killed as it is dropped.
                drop(child);
                if let Some(p) = push {
                    p.report();
                }
            }
        }
    }
}

/// Sends `signal` to the CGI's process group (it leads one of its own), so git's own children
/// get it too.
fn signal_group(child: &Child, signal: libc::c_int) {
    // `id()` is `None` once the child is reaped: its pid (the group's id) cannot have been
    // reused while we still hold it unreaped.
    if let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: killpg takes plain integers and touches no memory of ours.
        unsafe {
            libc::killpg(pid, signal);
        }
    }
}

/// Stops the CGI: SIGTERM (git then removes its lock files and temporary packs), SIGKILL
/// after [`GRACE`]; and reaps it.
async fn terminate(mut child: Child, repo: &str) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal_group(&child, libc::SIGTERM);
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        tracing::warn!(repository = %repo, "git http-backend ignored SIGTERM; killing it");
        signal_group(&child, libc::SIGKILL);
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
}

/// Copies the request body into the CGI's stdin as it arrives, counting it against the
/// limit; says why when the body stops early. Closing stdin at the end is git's end of input.
async fn pump(
    mut payload: web::Payload,
    mut stdin: ChildStdin,
    abort: watch::Sender<Option<Abort>>,
) {
    let mut total = 0u64;
    while let Some(chunk) = payload.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = abort.send(Some(Abort::Body(e.to_string())));
                return;
            }
        };
        total += chunk.len() as u64;
        if total > MAX_BODY {
            let _ = abort.send(Some(Abort::TooLarge));
            return;
        }
        if stdin.write_all(&chunk).await.is_err() {
            // The CGI stopped reading: it answers without the rest (an error, usually).
            return;
        }
    }
}

/// Logs the CGI's stderr line by line; returns its beginning.
async fn log_stderr(mut stderr: ChildStderr, repo: String) -> String {
    let mut kept = String::new();
    let mut line = Vec::new();
    let mut buf = [0u8; 4096];
    let mut flush = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if !text.is_empty() {
            tracing::warn!(repository = %repo, "git http-backend: {text}");
            if kept.len() < STDERR_KEPT {
                kept.push_str(text);
                kept.push('\n');
            }
        }
        line.clear();
    };
    loop {
        let n = match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                flush(&mut line);
            } else if line.len() < STDERR_KEPT {
                line.push(b);
            }
        }
    }
    flush(&mut line);
    kept
}

/// The CGI's stdout, read until the request body's pump says it gave up.
struct Reader {
    stdout: ChildStdout,
    abort: watch::Receiver<Option<Abort>>,
}

enum Read {
    Data,
    Eof,
    Aborted(Abort),
    Failed(std::io::Error),
}

impl Reader {
    fn aborted(&self) -> Option<Abort> {
        self.abort.borrow().clone()
    }

    async fn read(&mut self, buf: &mut BytesMut) -> Read {
        if let Some(a) = self.aborted() {
            return Read::Aborted(a);
        }
        buf.reserve(CHUNK);
        loop {
            tokio::select! {
                r = self.stdout.read_buf(buf) => return match r {
                    Ok(0) => Read::Eof,
                    Ok(_) => Read::Data,
                    Err(e) => Read::Failed(e),
                },
                // An error here means the pump finished normally: this branch is then disabled.
                Ok(()) = self.abort.changed() => {
                    if let Some(a) = self.abort.borrow().clone() {
                        return Read::Aborted(a);
                    }
                }
            }
        }
    }
}

enum HeadError {
    Aborted(Abort),
    Bad(String),
}

type Head = (StatusCode, Vec<(HeaderName, HeaderValue)>, Bytes);

/// Reads the CGI's header block; returns the status, the headers and the body bytes that came
/// with them.
async fn read_head(reader: &mut Reader) -> Result<Head, HeadError> {
    let mut buf = BytesMut::with_capacity(CHUNK);
    loop {
        if let Some((head_len, body_at)) = split_head(&buf) {
            let (status, headers) = parse_head(&buf[..head_len]).map_err(HeadError::Bad)?;
            let body = buf.split_off(body_at).freeze();
            return Ok((status, headers, body));
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::Bad(
                "git http-backend wrote no end of its headers".into(),
            ));
        }
        match reader.read(&mut buf).await {
            Read::Data => {}
            Read::Eof if buf.is_empty() => {
                return Err(HeadError::Bad(
                    "git http-backend produced no response".into(),
                ))
            }
            Read::Eof => {
                return Err(HeadError::Bad(
                    "git http-backend's response ended inside its headers".into(),
                ))
            }
            Read::Aborted(a) => return Err(HeadError::Aborted(a)),
            Read::Failed(e) => {
                return Err(HeadError::Bad(format!(
                    "reading git http-backend's response failed: {e}"
                )))
            }
        }
    }
}

/// Where the CGI header block ends: `(length of the headers, offset of the body)`.
fn split_head(out: &[u8]) -> Option<(usize, usize)> {
    let crlf = find(out, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = find(out, b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// CGI headers: `Status: <code> <reason>` and the response's own headers.
fn parse_head(head: &[u8]) -> Result<(StatusCode, Vec<(HeaderName, HeaderValue)>), String> {
    let bad = |what: &str| format!("git http-backend wrote a bad header: {what}");
    let head = std::str::from_utf8(head).map_err(|_| bad("not UTF-8"))?;
    let mut status = StatusCode::OK;
    let mut headers = Vec::new();
    for line in head.lines() {
        let (k, v) = line.split_once(':').ok_or_else(|| bad(line))?;
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("status") {
            status = v
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| bad(line))?;
        } else if k.eq_ignore_ascii_case("content-length") {
            // The body is streamed (chunked); its length is the stream's.
        } else {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| bad(line))?;
            let value = HeaderValue::from_str(v).map_err(|_| bad(line))?;
            headers.push((name, value));
        }
    }
    Ok((status, headers))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The response body: what the CGI writes after its headers, until it closes its stdout; then
/// the CGI is reaped and a push's ref changes reported before the body ends.
struct Body {
    reader: Reader,
    first: Option<Bytes>,
    proc: Proc,
    done: bool,
}

impl Body {
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        if let Some(b) = self.first.take().filter(|b| !b.is_empty()) {
            return Some(Ok(b));
        }
        let mut buf = BytesMut::with_capacity(CHUNK);
        let failure = match self.reader.read(&mut buf).await {
            Read::Data => return Some(Ok(buf.freeze())),
            Read::Eof => {
                self.done = true;
                self.proc.finish().await;
                // The body may have stopped early after the CGI had written its last byte.
                let a = self.reader.aborted()?;
                a.message()
            }
            Read::Aborted(a) => {
                self.done = true;
                self.proc.stop().await;
                a.message()
            }
            Read::Failed(e) => {
                self.done = true;
                self.proc.stop().await;
                format!("reading git http-backend's response failed: {e}")
            }
        };
        tracing::warn!(repository = %self.proc.repo, "git request failed: {failure}");
        // An error ends the response without its last chunk: the client sees it broken.
        Some(Err(std::io::Error::other(failure)))
    }
}

/// One `git http-backend` invocation.
struct Cgi {
    project_root: std::path::PathBuf,
    path_info: String,
    method: String,
    query: String,
    content_type: String,
    content_length: Option<u64>,
    content_encoding: Option<String>,
    protocol: Option<String>,
}

impl Cgi {
    fn command(&self) -> tokio::process::Command {
        let mut cmd = git::base_command();
        cmd.arg("http-backend")
            .env("GIT_PROJECT_ROOT", &self.project_root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", &self.path_info)
            .env("REQUEST_METHOD", &self.method)
            .env("QUERY_STRING", &self.query)
            .env("CONTENT_TYPE", &self.content_type)
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
        // Without a length git reads the body to its end (a chunked upload).
        match self.content_length {
            Some(n) => cmd.env("CONTENT_LENGTH", n.to_string()),
            None => cmd.env_remove("CONTENT_LENGTH"),
        };
        match &self.content_encoding {
            Some(e) => cmd.env("HTTP_CONTENT_ENCODING", e),
            None => cmd.env_remove("HTTP_CONTENT_ENCODING"),
        };
        match &self.protocol {
            Some(p) => cmd.env("GIT_PROTOCOL", p),
            None => cmd.env_remove("GIT_PROTOCOL"),
        };
        // A group of its own, so that stopping it reaches the git processes it starts.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd
    }
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
    fn cgi_headers_are_parsed() {
        let out = b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope";
        let (len, at) = split_head(out).unwrap();
        assert_eq!(&out[at..], b"nope");
        let (status, headers) = parse_head(&out[..len]).unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].1, "text/plain");

        let out = b"Content-Type: application/x-git-upload-pack-advertisement\n\nbody\r\n\r\n";
        let (len, at) = split_head(out).unwrap();
        assert_eq!(&out[at..], b"body\r\n\r\n");
        let (status, headers) = parse_head(&out[..len]).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[0].0, "content-type");
        assert_eq!(headers[0].1, "application/x-git-upload-pack-advertisement");

        // A length the CGI gives is dropped: the body is streamed.
        let (_, headers) = parse_head(b"Content-Length: 12\r\nExpires: never").unwrap();
        assert_eq!(headers.len(), 1);
        assert!(split_head(b"Status: 200 OK\r\n").is_none());
    }

    #[test]
    fn bad_cgi_headers_are_refused() {
        assert!(parse_head(b"no colon here").is_err());
        assert!(parse_head(b"Status: banana").is_err());
        assert!(parse_head(b"Status: 99").is_err());
        assert!(parse_head(b"Bad Name: x").is_err());
        assert!(parse_head(b"X-Ok: bad\x01value").is_err());
        assert!(parse_head(&[0xff, b':', b'x']).is_err());
    }
}

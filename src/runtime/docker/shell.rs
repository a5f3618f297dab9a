//! Shell sessions in Docker containers: one `docker exec` of the shell, stdin attached, no
//! TTY. It owns the framing of commands and the reading of their output; opening the exec is
//! the runtime's. Each command is written to the shell's stdin wrapped as
//!
//! ```text
//! { eval "$(cat <<'SIMFRA_<nonce>_<seq>'
//! <command>
//! SIMFRA_<nonce>_<seq>
//! )
//! "; } </dev/null
//! printf '\036SIMFRA-<nonce>-<seq>:%d\n' "$?"
//! printf '\036SIMFRA-<nonce>-<seq>:e\n' >&2
//! ```
//!
//! so the command runs in the shell itself (`cd` and variables carry over), cannot read the
//! rest of the script from stdin, and cannot break out of the quoting (a here-document with a
//! random delimiter; an unbalanced quote is a syntax error inside `eval` rather than a shell
//! waiting for more input). The marker on stdout carries the exit status; the one on stderr
//! tells that all of the command's stderr has arrived (Docker copies the two streams
//! independently). Output is split into lines as it arrives; a marker after text without a
//! newline ends that text as a line.
//!
//! When the shell exits during a command (`exit 3`, `set -e`, a syntax error that ends a POSIX
//! `sh`), the exec's exit code, read with `inspect_exec`, is returned as that command's status
//! (`Ok(3)`), and every later call on the session fails with [`RuntimeError::Failed`]. When the
//! container itself went away (removed, stopped), the call fails with
//! [`RuntimeError::ContainerGone`].

use std::pin::Pin;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{classify, container_error, random_hex};
use crate::runtime::{BoxFuture, OutputLine, RuntimeError, ShellSession};

/// Longest line handed out in one piece; longer lines arrive in pieces of this size.
const MAX_LINE: usize = 256 * 1024;
/// What a partial marker at the end of the buffer may take (it is never split off).
const MARKER_SLACK: usize = 128;

/// A shell process in a container, fed through its stdin (see the module docs).
pub(super) struct DockerShell {
    client: bollard::Docker,
    container: String,
    exec_id: String,
    input: Pin<Box<dyn AsyncWrite + Send>>,
    output: Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>,
    /// Random per session: the markers and here-document delimiters carry it.
    nonce: String,
    /// Number of the current command: a marker of an earlier command (one whose `run` was
    /// cancelled) is recognised and dropped.
    seq: u64,
    stdout: Lines,
    stderr: Lines,
    /// Why the session can no longer be used.
    ended: Option<RuntimeError>,
}

impl DockerShell {
    pub(super) fn new(
        client: bollard::Docker,
        container: &str,
        exec_id: String,
        input: Pin<Box<dyn AsyncWrite + Send>>,
        output: Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>,
    ) -> DockerShell {
        DockerShell {
            client,
            container: container.to_string(),
            exec_id,
            input,
            output,
            nonce: random_hex(16),
            seq: 0,
            stdout: Lines::new(crate::runtime::Stream::Stdout),
            stderr: Lines::new(crate::runtime::Stream::Stderr),
            ended: None,
        }
    }

    fn script(&self, command: &str, seq: u64) -> String {
        let nonce = &self.nonce;
        let delim = format!("SIMFRA_{nonce}_{seq}");
        format!(
            "{{ eval \"$(cat <<'{delim}'\n{command}\n{delim}\n)\n\"; }} </dev/null\n\
             printf '\\036SIMFRA-{nonce}-{seq}:%d\\n' \"$?\"\n\
             printf '\\036SIMFRA-{nonce}-{seq}:e\\n' >&2\n"
        )
    }

    async fn run_command(
        &mut self,
        command: &str,
        out: &mut (dyn FnMut(OutputLine) + Send),
    ) -> Result<i64, RuntimeError> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        self.seq += 1;
        let seq = self.seq;
        let script = self.script(command, seq);
        let written = async {
            self.input.write_all(script.as_bytes()).await?;
            self.input.flush().await
        }
        .await;
        if written.is_err() {
            return self.session_ended(out).await;
        }
        let prefix = format!("\x1eSIMFRA-{}-", self.nonce).into_bytes();
        let own = format!("{seq}:");
        let mut status: Option<i64> = None;
        let mut stderr_done = false;
        while status.is_none() || !stderr_done {
            let frame = match self.output.next().await {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => {
                    tracing::debug!(exec = %self.exec_id, "shell output stream failed: {e}");
                    return self.session_ended(out).await;
                }
                None => return self.session_ended(out).await,
            };
            match frame {
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    for marker in self.stdout.feed(&message, &prefix, out) {
                        if let Some(code) = marker.strip_prefix(&own) {
                            status = Some(code.trim().parse().unwrap_or(-1));
                        }
                    }
                }
                LogOutput::StdErr { message } => {
                    for marker in self.stderr.feed(&message, &prefix, out) {
                        if marker.strip_prefix(&own) == Some("e") {
                            stderr_done = true;
                        }
                    }
                }
                LogOutput::StdIn { .. } => {}
            }
        }
        Ok(status.unwrap_or(-1))
    }

    /// The output ended before the command's markers: the shell exited, or the container
    /// went away. Returns the shell's exit code in the first case (see the module docs).
    async fn session_ended(
        &mut self,
        out: &mut (dyn FnMut(OutputLine) + Send),
    ) -> Result<i64, RuntimeError> {
        self.stdout.flush(out);
        self.stderr.flush(out);
        let gone = |message: String| RuntimeError::ContainerGone {
            op: "exec",
            message,
        };
        let mut exit_code = None;
        // The daemon may report the exec as running for a moment after its output ended.
        for _ in 0..40 {
            match self.client.inspect_exec(&self.exec_id).await {
                Ok(exec) if exec.running == Some(true) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(exec) => {
                    exit_code = exec.exit_code;
                    break;
                }
                Err(e) => {
                    let e = container_error("exec", e);
                    self.ended = Some(e.clone());
                    return Err(e);
                }
            }
        }
        // A shell killed by a signal usually means the container is being killed (removal):
        // give the daemon a moment to say so before blaming the command.
        let killed = exit_code.is_some_and(|c| c > 128);
        let mut running = true;
        for attempt in 0..20 {
            running = match self.client.inspect_container(&self.container, None).await {
                Ok(c) => c.state.and_then(|s| s.running).unwrap_or(false),
                Err(BollardError::DockerResponseServerError {
                    status_code: 404, ..
                }) => false,
                Err(e) => {
                    let e = classify("inspect container", e);
                    self.ended = Some(e.clone());
                    return Err(e);
                }
            };
            if !running || !killed || attempt == 19 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !running {
            let e = gone(format!(
                "container {} stopped while a command ran",
                self.container
            ));
            self.ended = Some(e.clone());
            return Err(e);
        }
        let Some(code) = exit_code else {
            let e = RuntimeError::Failed {
                op: "exec",
                message: "the shell's output ended but the shell is still running".into(),
            };
            self.ended = Some(e.clone());
            return Err(e);
        };
        self.ended = Some(RuntimeError::Failed {
            op: "shell session",
            message: format!("the shell session has ended (its shell exited with status {code})"),
        });
        Ok(code)
    }
}

impl ShellSession for DockerShell {
    fn run<'a>(
        &'a mut self,
        command: &'a str,
        out: &'a mut (dyn FnMut(OutputLine) + Send),
    ) -> BoxFuture<'a, Result<i64, RuntimeError>> {
        Box::pin(self.run_command(command, out))
    }

    fn read_var<'a>(
        &'a mut self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, RuntimeError>> {
        Box::pin(async move {
            const OP: &str = "read variable";
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(RuntimeError::Failed {
                    op: OP,
                    message: format!("{name:?} is not a shell variable name"),
                });
            }
            // Hex through od: any value (newlines, quotes, control characters) survives, and
            // every image with a POSIX userland has od.
            let command = format!(
                "if [ -n \"${{{name}+x}}\" ]; then echo set; printf '%s' \"${name}\" | od -An -v -tx1; \
                 else echo unset; fi"
            );
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            let status = self
                .run_command(&command, &mut |line| match line.stream {
                    crate::runtime::Stream::Stdout => stdout.push(line.text),
                    crate::runtime::Stream::Stderr => stderr.push(line.text),
                })
                .await?;
            let failed = |why: String| RuntimeError::Failed {
                op: OP,
                message: why,
            };
            if status != 0 {
                return Err(failed(format!("status {status}: {}", stderr.join("\n"))));
            }
            match stdout.first().map(String::as_str) {
                Some("unset") => Ok(None),
                Some("set") => {
                    let mut bytes = Vec::new();
                    for word in stdout[1..].iter().flat_map(|l| l.split_ascii_whitespace()) {
                        let byte = u8::from_str_radix(word, 16)
                            .map_err(|_| failed(format!("unexpected od output {word:?}")))?;
                        bytes.push(byte);
                    }
                    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
                }
                _ => Err(failed(format!("unexpected output {stdout:?}"))),
            }
        })
    }
}

/// Splits one output stream into lines and finds the session's markers in it.
struct Lines {
    stream: crate::runtime::Stream,
    buf: Vec<u8>,
}

impl Lines {
    fn new(stream: crate::runtime::Stream) -> Lines {
        Lines {
            stream,
            buf: Vec::new(),
        }
    }

    /// Hands out one line, in pieces of at most [`MAX_LINE`] bytes.
    fn emit(&self, bytes: &[u8], out: &mut (dyn FnMut(OutputLine) + Send)) {
        let mut rest = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        loop {
            let end = piece_end(rest);
            out(OutputLine {
                stream: self.stream,
                text: String::from_utf8_lossy(&rest[..end]).into_owned(),
            });
            rest = &rest[end..];
            if rest.is_empty() {
                return;
            }
        }
    }

    /// Adds `data`; hands each complete line to `out`, and returns what follows `prefix` on
    /// each marker line (text before a marker is a line of its own).
    fn feed(
        &mut self,
        data: &[u8],
        prefix: &[u8],
        out: &mut (dyn FnMut(OutputLine) + Send),
    ) -> Vec<String> {
        self.buf.extend_from_slice(data);
        let mut markers = Vec::new();
        let mut start = 0;
        while let Some(len) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let line = &self.buf[start..start + len];
            start += len + 1;
            match find_marker(line, prefix) {
                Some(at) => {
                    if at > 0 {
                        self.emit(&line[..at], out);
                    }
                    let rest = &line[at + prefix.len()..];
                    markers.push(String::from_utf8_lossy(rest).into_owned());
                }
                None => self.emit(line, out),
            }
        }
        // A very long unfinished line goes out in pieces (never cutting a marker).
        while self.buf.len() - start > MAX_LINE + MARKER_SLACK {
            let end = start + piece_end(&self.buf[start..]);
            self.emit(&self.buf[start..end], out);
            start = end;
        }
        self.buf.drain(..start);
        markers
    }

    /// Hands out what is left (output that ended without a newline).
    fn flush(&mut self, out: &mut (dyn FnMut(OutputLine) + Send)) {
        if !self.buf.is_empty() {
            self.emit(&self.buf, out);
            self.buf.clear();
        }
    }
}

/// Where the first piece of `bytes` ends: at most [`MAX_LINE`] bytes, on a character boundary.
fn piece_end(bytes: &[u8]) -> usize {
    if bytes.len() <= MAX_LINE {
        return bytes.len();
    }
    let mut end = MAX_LINE;
    while end > MAX_LINE - 4 && (bytes[end] & 0b1100_0000) == 0b1000_0000 {
        end -= 1;
    }
    end
}

fn find_marker(line: &[u8], prefix: &[u8]) -> Option<usize> {
    // Cheap test first: the marker starts with a control character lines rarely have.
    if !line.contains(&prefix[0]) {
        return None;
    }
    line.windows(prefix.len()).position(|w| w == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Stream;

    fn feed_all(lines: &mut Lines, chunks: &[&[u8]], prefix: &[u8]) -> (Vec<String>, Vec<String>) {
        let mut got = Vec::new();
        let mut markers = Vec::new();
        for chunk in chunks {
            markers.extend(lines.feed(chunk, prefix, &mut |l| got.push(l.text)));
        }
        (got, markers)
    }

    #[test]
    fn lines_are_split_across_frames_and_markers_found_after_text() {
        let mut lines = Lines::new(Stream::Stdout);
        let (got, markers) = feed_all(
            &mut lines,
            &[b"hel", b"lo\r\nwor", b"ld\npartial\x1eSIM-x-1:0\nnext"],
            b"\x1eSIM-x-",
        );
        assert_eq!(got, ["hello", "world", "partial"]);
        assert_eq!(markers, ["1:0"]);
        let mut rest = Vec::new();
        lines.flush(&mut |l| rest.push(l.text));
        assert_eq!(rest, ["next"]);
    }

    #[test]
    fn long_lines_arrive_in_pieces_on_character_boundaries() {
        let mut lines = Lines::new(Stream::Stderr);
        let long = "é".repeat(MAX_LINE); // two bytes each
        let data = format!("{long}\n");
        let (got, _) = feed_all(&mut lines, &[data.as_bytes()], b"\x1eM");
        assert!(got.len() >= 2);
        assert!(got.iter().all(|l| l.len() <= MAX_LINE));
        assert_eq!(got.concat(), long);
    }
}

//! A build's log: the agent's own lines (`[Container] 2026/01/03 10:15:30.123456 ...`) and the
//! commands' output, appended to the build's CloudWatch Logs stream in small batches so that
//! the log is readable while the build runs without one write per line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::services::logs::Logs;

/// How long a line may wait in the batch before it is written.
const FLUSH_AFTER: Duration = Duration::from_millis(50);
const BATCH_LINES: usize = 512;

pub struct LogWriter {
    logs: Arc<Logs>,
    /// (account, region, group, stream); None when CloudWatch Logs are disabled for the build.
    target: Option<(String, String, String, String)>,
    batch: Vec<(i64, String)>,
    last_flush: Instant,
}

impl LogWriter {
    pub fn new(logs: Arc<Logs>, target: Option<(String, String, String, String)>) -> Self {
        if let Some((account, region, group, stream)) = &target {
            if let Err(e) = logs.ensure_stream(account, region, group, stream) {
                tracing::warn!("could not create the build's log stream: {e}");
            }
        }
        LogWriter {
            logs,
            target,
            batch: Vec::new(),
            last_flush: Instant::now(),
        }
    }

    /// A line of command output.
    pub fn line(&mut self, text: String) {
        if self.target.is_none() {
            return;
        }
        self.batch
            .push((chrono::Utc::now().timestamp_millis(), text));
        if self.batch.len() >= BATCH_LINES || self.last_flush.elapsed() >= FLUSH_AFTER {
            self.flush();
        }
    }

    /// A line of the agent's own, with its `[Container]` prefix; written at once.
    pub fn agent(&mut self, text: impl AsRef<str>) {
        let now = chrono::Utc::now();
        self.line(format!(
            "[Container] {} {}",
            now.format("%Y/%m/%d %H:%M:%S%.6f"),
            text.as_ref()
        ));
        self.flush();
    }

    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.batch.is_empty() {
            return;
        }
        let Some((account, region, group, stream)) = &self.target else {
            self.batch.clear();
            return;
        };
        let batch = std::mem::take(&mut self.batch);
        if let Err(e) = self.logs.append(account, region, group, stream, &batch) {
            tracing::warn!("writing build log lines failed: {e}");
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

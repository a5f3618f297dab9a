//! CloudWatch Logs (`Logs_20140328`): log groups, log streams and their events, built for
//! build logs of 100 MiB that are read while they are written.
//!
//! Group and stream metadata live in memory and are written through to the store
//! (`state.rs`); each stream's events live in an append-only file with a compact in-memory
//! index (`storage.rs`), so reads seek instead of loading a stream. Other services write
//! through the internal API of [`Logs`] ([`Logs::ensure_stream`], [`Logs::append`]); CodeBuild
//! streams every output line of a build through it.
//!
//! Layout: `handlers.rs` (groups, streams), `group_settings.rs` (tags, retention, deletion
//! protection), `log_events.rs` (PutLogEvents, GetLogEvents, FilterLogEvents), `search.rs`
//! (FilterLogEvents' merge of streams), `filter.rs` (filter patterns), `paging.rs` (tokens),
//! `state.rs`, `storage.rs` (a stream's event file and index), `records.rs` (the record
//! format), `files.rs` (open handles and the index memory budget), `not_yet.rs`, `model.rs`,
//! `errors.rs`, `validate.rs`.
//!
//! Not offered: metric and subscription filters, Insights queries, Live Tail, deliveries,
//! exports, policies, KMS association (those operations answer `UnknownOperationException`),
//! and expiry of stored events (a retention policy is kept and applied at ingestion only).

pub mod errors;
pub mod event_target;
pub mod files;
pub mod filter;
pub mod group_settings;
pub mod handlers;
pub mod log_events;
pub mod model;
pub mod not_yet;
pub mod paging;
pub mod records;
pub mod search;
pub mod state;
pub mod storage;
pub mod validate;

use std::sync::Arc;

use crate::protocol::validate::Violations;
use crate::protocol::{JsonService, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

use errors::{LogsError, Result};
use state::{GroupRecord, State, Stream};
use storage::StorageError;

/// The largest event message, in bytes (AWS: 1 MiB per event, 26 bytes of it overhead).
pub const MAX_MESSAGE_BYTES: usize = 1_048_576 - 26;

/// The CloudWatch Logs service.
pub struct Logs {
    pub state: State,
}

/// Now, in epoch milliseconds (the unit of every time in this API).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new group's record with AWS's defaults.
pub fn group_record(account: &str, region: &str, name: &str, now: i64) -> GroupRecord {
    GroupRecord {
        id: uuid::Uuid::new_v4().to_string(),
        account: account.to_string(),
        region: region.to_string(),
        name: name.to_string(),
        created: now,
        retention_in_days: None,
        kms_key_id: None,
        class: "STANDARD".to_string(),
        deletion_protection: false,
        tags: Default::default(),
    }
}

/// `message` cut to at most [`MAX_MESSAGE_BYTES`], on a character boundary.
fn truncated(message: &str) -> &str {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

impl Logs {
    pub fn new(store: Arc<Store>) -> Result<Logs> {
        Ok(Logs {
            state: State::load(store)?,
        })
    }

    fn ensure(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
    ) -> Result<Arc<Stream>> {
        let mut v = Violations::new();
        validate::group_name(&mut v, "logGroupName", Some(group));
        validate::stream_name(&mut v, "logStreamName", Some(stream));
        validate::check(v)?;
        let now = now_ms();
        self.state.ensure(account, region, group, stream, now, || {
            group_record(account, region, group, now)
        })
    }

    /// Creates the group and the stream when they do not exist (no error if they do).
    pub fn ensure_stream(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
    ) -> Result<()> {
        self.ensure(account, region, group, stream).map(|_| ())
    }

    /// Appends events (timestamp in epoch ms, message) to a stream, creating group/stream when
    /// missing. Cheap to call once per line (one positional write); thread safe. Unlike
    /// PutLogEvents it takes events in any order, empty messages, and any age; negative times
    /// count as 0 and messages over 1 MiB are cut.
    pub fn append(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
        events: &[(i64, String)],
    ) -> Result<()> {
        if events.is_empty() {
            return self.ensure_stream(account, region, group, stream);
        }
        let batch: Vec<(i64, &str)> = events
            .iter()
            .map(|(ts, m)| ((*ts).max(0), truncated(m)))
            .collect();
        // A stream deleted between the look-up and the write is created again.
        for _ in 0..3 {
            let s = self.ensure(account, region, group, stream)?;
            match s.events.append(&batch, now_ms()) {
                Err(StorageError::Deleted) => continue,
                other => return other.map_err(LogsError::from),
            }
        }
        Err(LogsError::stream_missing())
    }
}

struct Handle(Arc<Logs>);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "logs"
    }
    fn reset(&self) {
        self.0.state.reset();
    }
}

/// The operation table.
pub fn service(svc: &Arc<Logs>) -> JsonService {
    let json = JsonService::new("Logs_20140328", "logs");
    let json = handlers::register(json, svc);
    let json = group_settings::register(json, svc);
    let json = log_events::register(json, svc);
    not_yet::register(json)
}

/// Builds the service, registers its JSON table and ServiceHandle, returns it.
pub fn register(
    router: &mut Router,
    _settings: &Settings,
    store: Arc<Store>,
) -> std::result::Result<Arc<Logs>, String> {
    let svc = Arc::new(Logs::new(store).map_err(|e| format!("loading CloudWatch Logs: {e}"))?);
    router.add_json(service(&svc));
    router.add_service(Arc::new(Handle(svc.clone())));
    Ok(svc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs() -> Logs {
        Logs::new(Arc::new(Store::memory().unwrap())).unwrap()
    }

    #[test]
    fn append_creates_group_and_stream() {
        let l = logs();
        let events = vec![
            (1, "one".to_string()),
            (2, String::new()),
            (-5, "neg".to_string()),
        ];
        l.append(
            "000000000000",
            "us-east-1",
            "/aws/codebuild/p",
            "b1",
            &events,
        )
        .unwrap();
        let (g, s) = l
            .state
            .stream("000000000000", "us-east-1", "/aws/codebuild/p", "b1")
            .unwrap();
        assert_eq!(g.name, "/aws/codebuild/p");
        let stats = s.events.stats().unwrap();
        assert_eq!(
            (stats.count, stats.first_ts, stats.last_ts),
            (3, Some(0), Some(2))
        );
        l.ensure_stream("000000000000", "us-east-1", "/aws/codebuild/p", "b1")
            .unwrap();
        l.ensure_stream("000000000000", "us-east-1", "/aws/codebuild/p", "b2")
            .unwrap();
        assert_eq!(
            l.state
                .streams("000000000000", "us-east-1", "/aws/codebuild/p")
                .unwrap()
                .1
                .len(),
            2
        );
    }

    #[test]
    fn append_validates_names_and_survives_deletion() {
        let l = logs();
        let e = l.ensure_stream("0", "r", "bad name", "s").unwrap_err();
        assert_eq!(e.code(), "InvalidParameterException");
        assert!(l.ensure_stream("0", "r", "g", "a:b").is_err());
        l.append("0", "r", "g", "s", &[(1, "x".into())]).unwrap();
        l.state.delete_stream("0", "r", "g", "s").unwrap();
        l.append("0", "r", "g", "s", &[(2, "y".into())]).unwrap();
        let (_, s) = l.state.stream("0", "r", "g", "s").unwrap();
        assert_eq!(s.events.stats().unwrap().count, 1);
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = truncated(&long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES && cut.len() >= MAX_MESSAGE_BYTES - 1);
        assert_eq!(truncated("short"), "short");
    }
}

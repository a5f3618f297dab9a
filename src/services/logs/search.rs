//! FilterLogEvents' search: the selected streams of a group read in time order, merged (by
//! timestamp, then stream name, then place in the stream), filtered by the pattern, cut into
//! pages of at most 10,000 events / 1 MiB.
//!
//! Each stream is read through a cursor that takes its events in small chunks (never a whole
//! stream in memory). A request reads at most [`SCAN_BYTES`] of events: when a pattern matches
//! little of a big group, the page comes back short (possibly empty) with a `nextToken`, as AWS
//! allows ("partially full or empty pages don't mean pagination is finished"). No `nextToken`
//! means every selected stream was searched to the end of the time range.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use super::errors::Result;
use super::filter::FilterPattern;
use super::model::{FilterLogEventsOutput, FilteredLogEvent, SearchedLogStream};
use super::paging::{filter_token, FilterPlace};
use super::state::Stream;
use super::storage::{Key, Record, StorageError, Take};

/// Bytes of events one request reads at most before answering with a token.
pub const SCAN_BYTES: usize = 32 << 20;

/// How much of a stream a cursor reads at once.
const CHUNK: Take = Take {
    from_end: false,
    max_events: 1024,
    max_bytes: 256 << 10,
};

/// What to search.
pub struct Search {
    pub streams: Vec<Arc<Stream>>,
    /// Events with `lo <= key < hi`.
    pub lo: Key,
    pub hi: Key,
    pub pattern: FilterPattern,
    /// The place of the last event of the previous page.
    pub resume: Option<FilterPlace>,
    pub max_events: usize,
    pub max_bytes: usize,
    /// Bytes of events read at most ([`SCAN_BYTES`] for a request).
    pub scan_bytes: usize,
}

struct Cursor {
    stream: Arc<Stream>,
    lo: Key,
    hi: Key,
    buf: VecDeque<Record>,
    /// No events of the range are left beyond `buf`.
    done: bool,
}

impl Cursor {
    fn refill(&mut self) -> Result<()> {
        if !self.buf.is_empty() || self.done {
            return Ok(());
        }
        let slice = match self.stream.events.range(self.lo, self.hi, CHUNK) {
            Ok(slice) => slice,
            // Deleted while we search: it has nothing more to give.
            Err(StorageError::Deleted) => {
                self.done = true;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let records = slice.read()?;
        if let Some(last) = records.last() {
            self.lo = last.key.after();
        }
        self.done = slice.rest == 0;
        self.buf.extend(records);
        Ok(())
    }

    fn head(&self, i: usize) -> Option<Reverse<(i64, usize, u64)>> {
        self.buf
            .front()
            .map(|r| Reverse((r.key.ts, i, r.key.offset)))
    }
}

/// A stable event id: digits of the timestamp, the stream and the place in the stream.
fn event_id(stream_id: &str, key: Key) -> String {
    // FNV-1a: stable across builds and restarts (unlike std's hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stream_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:020}{h:020}{:020}", key.ts.max(0), key.offset)
}

pub fn search(mut s: Search) -> Result<FilterLogEventsOutput> {
    // Cursor order is name order, so (timestamp, cursor, offset) is the merged order.
    s.streams.sort_by(|a, b| a.record.name.cmp(&b.record.name));
    let mut cursors: Vec<Cursor> = s
        .streams
        .into_iter()
        .map(|stream| {
            let lo = match &s.resume {
                Some(place) => s.lo.max(place.resume_key(&stream.record.name)),
                None => s.lo,
            };
            Cursor {
                stream,
                lo,
                hi: s.hi,
                buf: VecDeque::new(),
                done: false,
            }
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, c) in cursors.iter_mut().enumerate() {
        c.refill()?;
        heap.extend(c.head(i));
    }
    let mut events = Vec::new();
    let (mut bytes, mut scanned) = (0usize, 0usize);
    let mut last: Option<FilterPlace> = None;
    let mut stopped = false;
    while let Some(Reverse((_, i, _))) = heap.pop() {
        let c = &mut cursors[i];
        let Some(record) = c.buf.front() else {
            continue;
        };
        let size = record.message.len() + 26;
        let matches = s.pattern.matches(&record.message);
        let full = matches
            && (events.len() >= s.max_events || (!events.is_empty() && bytes + size > s.max_bytes));
        if full || scanned >= s.scan_bytes {
            stopped = true;
            break;
        }
        let Some(record) = c.buf.pop_front() else {
            continue;
        };
        scanned += size;
        let name = &c.stream.record.name;
        last = Some(FilterPlace {
            ts: record.key.ts,
            stream: name.clone(),
            offset: record.key.offset,
        });
        if matches {
            bytes += size;
            events.push(FilteredLogEvent {
                log_stream_name: name.clone(),
                timestamp: record.key.ts,
                event_id: event_id(&c.stream.record.id, record.key),
                message: record.message,
                ingestion_time: record.ingestion,
            });
        }
        c.refill()?;
        heap.extend(c.head(i));
    }
    let searched_log_streams = cursors
        .iter()
        .map(|c| SearchedLogStream {
            log_stream_name: c.stream.record.name.clone(),
            searched_completely: c.done && c.buf.is_empty(),
        })
        .collect();
    Ok(FilterLogEventsOutput {
        events,
        searched_log_streams,
        next_token: last.filter(|_| stopped).map(|p| filter_token(&p)),
    })
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;

//! The record format of event files and what is read back: a record is
//! `timestamp i64 LE | ingestion time i64 LE | message length u32 LE | message (UTF-8)`; an
//! index [`Entry`] (16 bytes) locates one; a [`Key`] orders events in a stream; a [`Slice`]
//! is a run of entries taken under the stream's lock and read outside it.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::storage::StorageError;

/// Bytes before each message: timestamp, ingestion time, length.
pub const HEADER: u64 = 20;
/// The largest message a record holds (the length is packed in 24 bits of the index).
pub const MAX_LEN: usize = (1 << 24) - 1;
/// Reads of consecutive records are merged up to this many bytes.
const RUN_BYTES: u64 = 4 << 20;

/// Where an event sorts in its stream: timestamp, then file offset (unique per event). Also
/// used as a boundary between events: `Key { ts, offset: last.offset + 1 }` sorts right after
/// `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub ts: i64,
    pub offset: u64,
}

impl Key {
    pub const MIN: Key = Key {
        ts: i64::MIN,
        offset: 0,
    };
    pub const MAX: Key = Key {
        ts: i64::MAX,
        offset: u64::MAX,
    };

    /// The first boundary at or after time `ts`.
    pub fn at(ts: i64) -> Key {
        Key { ts, offset: 0 }
    }

    /// The boundary right after this event.
    pub fn after(self) -> Key {
        Key {
            ts: self.ts,
            offset: self.offset.saturating_add(1),
        }
    }
}

/// One event in the index: its timestamp, and its record's offset (40 bits) and message length
/// (24 bits) in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub ts: i64,
    loc: u64,
}

impl Entry {
    pub(super) fn new(ts: i64, offset: u64, len: usize) -> Entry {
        Entry {
            ts,
            loc: (offset << 24) | len as u64,
        }
    }
    pub fn offset(&self) -> u64 {
        self.loc >> 24
    }
    pub fn len(&self) -> usize {
        (self.loc & 0xff_ffff) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn key(&self) -> Key {
        Key {
            ts: self.ts,
            offset: self.offset(),
        }
    }
}

/// One event read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Key,
    pub ingestion: i64,
    pub message: String,
}

/// Which entries of a range to take: from its start or its end, how many, and how many bytes
/// (message bytes plus 26 per event, as AWS counts a response).
#[derive(Debug, Clone, Copy)]
pub struct Take {
    pub from_end: bool,
    pub max_events: usize,
    pub max_bytes: usize,
}

/// Entries taken from a range (ascending), the handle to read them with, and how many entries
/// of the range were left.
pub struct Slice {
    pub entries: Vec<Entry>,
    pub rest: usize,
    pub(super) file: Option<Arc<File>>,
}

impl Slice {
    /// Reads the taken events, merging reads of records that follow each other in the file.
    pub fn read(&self) -> Result<Vec<Record>, StorageError> {
        let (Some(file), entries) = (&self.file, &self.entries) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(entries.len());
        let mut i = 0;
        while i < entries.len() {
            let start = entries[i].offset();
            let mut end = start + HEADER + entries[i].len() as u64;
            let mut j = i + 1;
            while j < entries.len() && entries[j].offset() == end && end - start < RUN_BYTES {
                end += HEADER + entries[j].len() as u64;
                j += 1;
            }
            let mut buf = vec![0u8; (end - start) as usize];
            file.read_exact_at(&mut buf, start)?;
            for e in &entries[i..j] {
                let at = (e.offset() - start) as usize;
                let ingestion =
                    i64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap_or_default());
                let body = &buf[at + HEADER as usize..at + HEADER as usize + e.len()];
                out.push(Record {
                    key: e.key(),
                    ingestion,
                    message: String::from_utf8_lossy(body).into_owned(),
                });
            }
            i = j;
        }
        Ok(out)
    }
}

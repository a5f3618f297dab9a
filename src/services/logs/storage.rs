//! The events of one log stream on disk: an append-only file of records and a compact
//! in-memory index, so that reads seek to what they need instead of loading a stream (a build
//! may print 100 MiB while someone reads it).
//!
//! A file (`<blob root>/logs/<stream id>.events`) is a sequence of records:
//! `timestamp i64 LE | ingestion time i64 LE | message length u32 LE | message (UTF-8)`.
//! The index holds 16 bytes per event (timestamp; offset and length packed in one word), sorted
//! by [`Key`] (timestamp, then file offset), which is the order AWS returns events in; an event
//! older than the newest one (allowed across batches) is inserted at its place.
//!
//! The index is built from the file the first time a stream is used after start-up, not at
//! start-up; a record cut short by a crash (the last one) is cut off then. It is dropped again
//! when the indexes of all streams pass their memory budget and it is among the least recently
//! used (`files.rs`). Appends write the whole batch with one positional write before they
//! return (no fsync: a killed process loses nothing, a power cut may lose the last writes).
//!
//! Concurrency: one `RwLock` per stream. Appends take it for writing; readers take it for
//! reading only to copy the entries they need and a file handle, then read outside the lock
//! (records never move once written). Handles are shared through [`Files`], which keeps a
//! bounded number open. The record format is in `records.rs`. Not here: stream metadata
//! (`state.rs`), paging tokens (`paging.rs`).

use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub use super::files::Files;
use super::files::Unload;
pub use super::records::{Entry, Key, Record, Slice, Take, HEADER, MAX_LEN};

/// Offsets are packed in 40 bits: a stream holds at most 1 TiB.
const MAX_OFFSET: u64 = 1 << 40;

/// What DescribeLogStreams shows of a stream's events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub last_ingestion: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the log stream was deleted")]
    Deleted,
    #[error("a log event is larger than {MAX_LEN} bytes")]
    TooLarge,
    #[error("the log stream is full (1 TiB)")]
    Full,
    #[error("I/O error on a log event file: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Default)]
struct Index {
    entries: Vec<Entry>,
    /// Bytes of complete records in the file.
    len: u64,
    last_ingestion: Option<i64>,
}

enum Slot {
    Unloaded,
    Loaded(Index),
    Deleted,
}

/// The part of an event file that the shared index budget may unload.
struct Shared {
    slot: RwLock<Slot>,
    used: AtomicU64,
}

impl Unload for Shared {
    fn last_used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn try_unload(&self) -> usize {
        let Ok(mut slot) = self.slot.try_write() else {
            return 0;
        };
        let Slot::Loaded(ix) = &*slot else { return 0 };
        let n = ix.entries.len();
        *slot = Slot::Unloaded;
        n
    }
}

/// One stream's event file and its index.
pub struct EventFile {
    path: PathBuf,
    files: Arc<Files>,
    shared: Arc<Shared>,
    /// The file's size, known without loading the index (a group's `storedBytes`).
    size: AtomicU64,
}

impl EventFile {
    pub fn new(path: PathBuf, files: Arc<Files>) -> EventFile {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        EventFile {
            path,
            files,
            shared: Arc::new(Shared {
                slot: RwLock::new(Slot::Unloaded),
                used: AtomicU64::new(0),
            }),
            size: AtomicU64::new(size),
        }
    }

    pub fn stored_bytes(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        self.shared.used.store(self.files.tick(), Ordering::Relaxed);
    }

    /// Loads the index into an unloaded slot (under its write lock) and counts it.
    fn load_into(&self, slot: &mut Slot) -> Result<(), StorageError> {
        if matches!(slot, Slot::Unloaded) {
            let ix = self.load()?;
            self.files.grew(ix.entries.len());
            *slot = Slot::Loaded(ix);
            let me: Arc<dyn Unload> = self.shared.clone();
            self.files.register(Arc::downgrade(&me));
        }
        Ok(())
    }

    /// Keeps the loaded indexes within budget, never unloading this one.
    fn enforce_budget(&self) {
        let me: Arc<dyn Unload> = self.shared.clone();
        self.files.enforce(&me);
    }

    /// Runs `f` on the index, loading it first when needed.
    fn with_index<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R, StorageError> {
        self.touch();
        {
            let slot = self.shared.slot.read().unwrap_or_else(|p| p.into_inner());
            match &*slot {
                Slot::Loaded(ix) => return Ok(f(ix)),
                Slot::Deleted => return Err(StorageError::Deleted),
                Slot::Unloaded => {}
            }
        }
        let out = {
            let mut slot = self.shared.slot.write().unwrap_or_else(|p| p.into_inner());
            self.load_into(&mut slot)?;
            match &*slot {
                Slot::Loaded(ix) => f(ix),
                _ => return Err(StorageError::Deleted),
            }
        };
        self.enforce_budget();
        Ok(out)
    }

    /// Builds the index from the file, cutting off a torn last record.
    fn load(&self) -> Result<Index, StorageError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Index::default()),
            Err(e) => return Err(e.into()),
        };
        let file_len = file.metadata()?.len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut ix = Index::default();
        let mut sorted = true;
        let mut head = [0u8; HEADER as usize];
        while file_len - ix.len >= HEADER {
            reader.read_exact(&mut head)?;
            let ts = i64::from_le_bytes(head[0..8].try_into().unwrap_or_default());
            let ingestion = i64::from_le_bytes(head[8..16].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(head[16..20].try_into().unwrap_or_default()) as usize;
            if len > MAX_LEN || ix.len + HEADER + len as u64 > file_len {
                break;
            }
            reader.seek_relative(len as i64)?;
            sorted &= ix.entries.last().is_none_or(|l| l.ts <= ts);
            ix.entries.push(Entry::new(ts, ix.len, len));
            ix.last_ingestion = ix.last_ingestion.max(Some(ingestion));
            ix.len += HEADER + len as u64;
        }
        if ix.len < file_len {
            tracing::warn!(path = %self.path.display(), "cutting off a torn record at the end of a log event file");
            OpenOptions::new()
                .write(true)
                .open(&self.path)?
                .set_len(ix.len)?;
        }
        if !sorted {
            ix.entries.sort_unstable_by_key(Entry::key);
        }
        self.size.store(ix.len, Ordering::Relaxed);
        Ok(ix)
    }

    /// Appends events (timestamp, message) with one write; they are readable once it returns.
    pub fn append(&self, events: &[(i64, &str)], ingestion: i64) -> Result<(), StorageError> {
        if events.is_empty() {
            return Ok(());
        }
        let total: usize = events.iter().map(|(_, m)| HEADER as usize + m.len()).sum();
        let mut buf = Vec::with_capacity(total);
        for (ts, msg) in events {
            if msg.len() > MAX_LEN {
                return Err(StorageError::TooLarge);
            }
            buf.extend_from_slice(&ts.to_le_bytes());
            buf.extend_from_slice(&ingestion.to_le_bytes());
            buf.extend_from_slice(&(msg.len() as u32).to_le_bytes());
            buf.extend_from_slice(msg.as_bytes());
        }
        self.touch();
        let mut slot = self.shared.slot.write().unwrap_or_else(|p| p.into_inner());
        self.load_into(&mut slot)?;
        let Slot::Loaded(ix) = &mut *slot else {
            return Err(StorageError::Deleted);
        };
        let start = ix.len;
        if start + buf.len() as u64 >= MAX_OFFSET {
            return Err(StorageError::Full);
        }
        let file = self.files.get(&self.path)?;
        if let Err(e) = file.write_all_at(&buf, start) {
            let _ = file.set_len(start);
            return Err(e.into());
        }
        let old = ix.entries.len();
        let newest = ix.entries.last().map(|e| e.ts);
        let mut offset = start;
        for (ts, msg) in events {
            ix.entries.push(Entry::new(*ts, offset, msg.len()));
            offset += HEADER + msg.len() as u64;
        }
        // An event older than the newest one: only the tail from its place on is re-sorted.
        let oldest_new = events.iter().map(|(ts, _)| *ts).min().unwrap_or(i64::MAX);
        let batch_sorted = events.windows(2).all(|w| w[0].0 <= w[1].0);
        if !batch_sorted || newest.is_some_and(|n| oldest_new < n) {
            let from = ix.entries[..old].partition_point(|e| e.ts <= oldest_new);
            ix.entries[from..].sort_unstable_by_key(Entry::key);
        }
        ix.len = offset;
        ix.last_ingestion = ix.last_ingestion.max(Some(ingestion));
        self.size.store(offset, Ordering::Relaxed);
        self.files.grew(events.len());
        drop(slot);
        self.enforce_budget();
        Ok(())
    }

    pub fn stats(&self) -> Result<Stats, StorageError> {
        self.with_index(|ix| Stats {
            count: ix.entries.len() as u64,
            first_ts: ix.entries.first().map(|e| e.ts),
            last_ts: ix.entries.last().map(|e| e.ts),
            last_ingestion: ix.last_ingestion,
        })
    }

    /// Takes entries with `lo <= key < hi`, from the start or the end of that range.
    pub fn range(&self, lo: Key, hi: Key, take: Take) -> Result<Slice, StorageError> {
        self.with_index(|ix| {
            let a = ix.entries.partition_point(|e| e.key() < lo);
            let b = ix.entries.partition_point(|e| e.key() < hi).max(a);
            let range = &ix.entries[a..b];
            let n = count_taken(range, take);
            let entries = if take.from_end {
                range[range.len() - n..].to_vec()
            } else {
                range[..n].to_vec()
            };
            // The handle is taken under the lock: a stream deleted meanwhile is not re-created.
            let file = match entries.is_empty() {
                true => None,
                false => Some(self.files.get(&self.path)?),
            };
            Ok(Slice {
                entries,
                rest: range.len() - n,
                file,
            })
        })?
    }

    /// Marks the stream deleted (later appends and reads fail) and removes its file.
    pub fn delete(&self) {
        let mut slot = self.shared.slot.write().unwrap_or_else(|p| p.into_inner());
        if let Slot::Loaded(ix) = &*slot {
            self.files.shrank(ix.entries.len());
        }
        *slot = Slot::Deleted;
        self.files.forget(&self.path);
        let _ = std::fs::remove_file(&self.path);
        self.size.store(0, Ordering::Relaxed);
    }
}

/// How many entries of `range` a `take` takes (at least one when there is one).
fn count_taken(range: &[Entry], take: Take) -> usize {
    let mut bytes = 0usize;
    let mut n = 0usize;
    let mut next = |e: &Entry| {
        bytes += e.len() + 26;
        let ok = n == 0 || (n < take.max_events && bytes <= take.max_bytes);
        n += usize::from(ok);
        ok
    };
    if take.from_end {
        range.iter().rev().take_while(|e| next(e)).count();
    } else {
        range.iter().take_while(|e| next(e)).count();
    }
    n.min(take.max_events.max(1)).min(range.len())
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;

//! The store: persistence, and nothing of actors or HTTP.
//!
//! Services keep their typed state in memory (reads never touch the store) and write every
//! mutation through to the store. Without a data directory the store keeps nothing (state
//! lives only in the services' memory); with `SIMFRA_DATA_DIR` it is an SQLite database
//! (`simfra.db`, WAL journal), so that a `kill -9` loses no acknowledged write.
//!
//! Rows are `(table, key) -> value`, the value being a serde-encoded typed record. A [`Batch`]
//! lands whole or not at all.
//!
//! One writer thread owns the database's writes and commits what is queued together (group
//! commit, `writer.rs`): a write waited for with [`Store::apply`] (API writes, whose errors
//! the caller answers) shares its transaction with every write queued before it. The
//! engine's progress is queued with [`Store::apply_later`] and not waited for; what may have
//! been observed is made durable before anyone is told: the router waits for
//! [`Store::durable`] before it answers a request.

mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The schema this build reads and writes. A database with a newer one is refused; an older
/// one is brought up to it at start-up.
///
/// 1: `records` keyed by `(tbl, key)` without a rowid. 2: a rowid table with a unique index
/// on `(tbl, key)`. Records are about 1 KiB: without a rowid most spilled into an overflow
/// page (a b-tree keyed by its rows keeps at most ~1,000 bytes of a row in the leaf), so
/// each write rewrote a leaf, an overflow page and the free list; a rowid table keeps rows
/// up to ~4,000 bytes whole in the leaf, and new rows of every table append to the same
/// last leaf.
pub const SCHEMA_VERSION: i64 = 2;

const CREATE_RECORDS: &str = "
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL
    );
    CREATE UNIQUE INDEX records_key ON records (tbl, key);";

/// Creates the schema, or brings a database of an older one (`found`) up to this one, in
/// one transaction.
fn migrate(conn: &Connection, found: i64) -> Result<(), StoreError> {
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let has_records: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records')",
        [],
        |r| r.get(0),
    )?;
    let sql = if has_records {
        format!(
            "BEGIN;
             ALTER TABLE records RENAME TO records_v1;
             {CREATE_RECORDS}
             INSERT INTO records (tbl, key, value) SELECT tbl, key, value FROM records_v1;
             DROP TABLE records_v1;
             PRAGMA user_version = {SCHEMA_VERSION};
             COMMIT;"
        )
    } else {
        format!("BEGIN; {CREATE_RECORDS} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    };
    conn.execute_batch(&sql)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not encode or decode a stored record: {0}")]
    Codec(#[from] serde_json::Error),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store's writer thread has stopped")]
    WriterGone,
    #[error("the store is closed (the server is stopping)")]
    Closed,
    #[error("earlier changes could not be written to the data directory ({0}); simfra keeps trying, and answers fail until they are written")]
    NotPersisted(String),
    #[error("the data directory holds schema version {found}, newer than this simfra knows ({known}); use a newer simfra or another SIMFRA_DATA_DIR")]
    NewerSchema { found: i64, known: i64 },
}

/// Whether a persistent store was ever opened in this process. Until one is, batches skip
/// encoding their records (an in-memory store applies nothing); a batch is always built after
/// the store it goes to was opened.
static PERSISTENT: AtomicBool = AtomicBool::new(false);

/// Persistent storage, or none (in-memory mode).
pub struct Store {
    writer: Option<writer::Writer>,
    blob_root: PathBuf,
    /// The temporary directory (holding `blob_root`) we created and must remove, and its
    /// owner file, locked while this store lives.
    temp: Option<(PathBuf, std::fs::File)>,
}

/// Temporary directories of stores without a data directory are `simfra-<uuid>` in the
/// system's temporary directory, holding `blobs/` and this file, locked by the live store.
const OWNER_FILE: &str = "owner.lock";

/// One write: puts and deletes applied in a single transaction.
#[derive(Default)]
pub struct Batch {
    ops: Vec<Op>,
}

enum Op {
    Put(&'static str, String, Vec<u8>),
    Delete(&'static str, String),
    DeletePrefix(&'static str, String),
    /// Every record of every table (`/_simfra/reset`).
    DeleteAll,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put<T: Serialize>(
        &mut self,
        table: &'static str,
        key: impl Into<String>,
        value: &T,
    ) -> &mut Self {
        // Encoding typed records cannot fail (no maps with non-string keys are stored). A
        // process without a persistent store never reads the bytes: they are not made.
        let bytes = if PERSISTENT.load(Ordering::Relaxed) {
            serde_json::to_vec(value).unwrap_or_default()
        } else {
            Vec::new()
        };
        self.ops.push(Op::Put(table, key.into(), bytes));
        self
    }

    pub fn delete(&mut self, table: &'static str, key: impl Into<String>) -> &mut Self {
        self.ops.push(Op::Delete(table, key.into()));
        self
    }

    pub fn delete_prefix(&mut self, table: &'static str, prefix: impl Into<String>) -> &mut Self {
        self.ops.push(Op::DeletePrefix(table, prefix.into()));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl Store {
    /// No persistence: state lives in the services' memory; blobs go to a temporary directory.
    ///
    /// Temporary directories that a store killed before it could remove them left behind
    /// (their owner file is not locked) are removed first.
    pub fn memory() -> Result<Self, StoreError> {
        remove_abandoned_temp_dirs(&std::env::temp_dir());
        let root = std::env::temp_dir().join(format!("simfra-{}", uuid::Uuid::new_v4()));
        let blob_root = root.join("blobs");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(&blob_root).map_err(io(&blob_root))?;
        // The owner file is locked before it gets its name: another store's sweep never
        // sees it unlocked (it would take the directory for abandoned).
        let pending = root.join("owner.lock.new");
        let owner = std::fs::File::create(&pending).map_err(io(&pending))?;
        owner.try_lock().map_err(|e| StoreError::Io {
            path: pending.clone(),
            source: e.into(),
        })?;
        let owner_path = root.join(OWNER_FILE);
        std::fs::rename(&pending, &owner_path).map_err(io(&owner_path))?;
        Ok(Store {
            writer: None,
            blob_root,
            temp: Some((root, owner)),
        })
    }

    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let blob_root = dir.join("blobs");
        std::fs::create_dir_all(&blob_root).map_err(io(&blob_root))?;
        PERSISTENT.store(true, Ordering::Relaxed);
        let conn = Connection::open(dir.join("simfra.db"))?;
        // WAL with synchronous=NORMAL: a committed transaction survives a process crash
        // (kill -9); only a power loss may lose the last commits.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        // The services keep their state in memory and read the database only at start-up:
        // a small page cache (512 KiB, the default is 2 MiB) serves the writes.
        conn.pragma_update(None, "cache_size", -512)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                known: SCHEMA_VERSION,
            });
        }
        migrate(&conn, found)?;
        Ok(Store {
            writer: Some(writer::Writer::start(conn).map_err(io(dir))?),
            blob_root,
            temp: None,
        })
    }

    pub fn is_persistent(&self) -> bool {
        self.writer.is_some()
    }

    /// Where services keep large files (object bytes, git repositories).
    pub fn blob_root(&self) -> &Path {
        &self.blob_root
    }

    /// Writes a batch and waits until it is committed (a no-op in memory mode). Its
    /// transaction may hold other queued batches; a batch that fails is rolled back alone.
    pub fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        match &self.writer {
            Some(w) if !batch.ops.is_empty() => w.apply(batch.ops),
            _ => Ok(()),
        }
    }

    /// Queues a batch without waiting for its commit (a no-op in memory mode): the writer
    /// commits it after everything queued before it. A batch whose commit fails is held and
    /// written again (`writer.rs`). For writes whose caller cannot answer an error anyway (the
    /// engine's progress); [`Store::durable`] makes them durable before a client is told about
    /// them, and fails while some are held.
    pub fn apply_later(&self, batch: Batch) {
        if let Some(w) = &self.writer {
            if !batch.ops.is_empty() {
                w.enqueue(batch.ops);
            }
        }
    }

    /// Returns once every write queued so far is committed (at once in memory mode, or when
    /// nothing is pending): committed on this thread if no commit is running. Fails with
    /// [`StoreError::NotPersisted`] while queued writes that failed are held (see
    /// `writer.rs`): what a client would be told is then not on disk.
    pub fn durable(&self) -> Result<(), StoreError> {
        match &self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }

    /// Commits what is queued and closes the database, releasing the data directory (a
    /// stopping server; another may open the directory next). Later writes fail.
    /// Without a data directory, the temporary directory of blobs is removed.
    pub fn close(&self) {
        if let Some(w) = &self.writer {
            w.close();
        }
        if let Some((root, _)) = &self.temp {
            let _ = std::fs::remove_dir_all(root);
        }
    }

    /// Every record of a table, in key order (start-up loading).
    pub fn load<T: DeserializeOwned>(&self, table: &str) -> Result<Vec<(String, T)>, StoreError> {
        let Some(w) = &self.writer else {
            return Ok(Vec::new());
        };
        w.flush()?;
        let guard = w.conn();
        let Some(conn) = guard.as_ref() else {
            return Err(StoreError::Closed);
        };
        let mut stmt =
            conn.prepare("SELECT key, value FROM records WHERE tbl = ?1 ORDER BY key")?;
        let rows = stmt.query_map(params![table], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (k, v) = row?;
            out.push((k, serde_json::from_slice(&v)?));
        }
        Ok(out)
    }

    /// One record.
    pub fn get<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let Some(w) = &self.writer else {
            return Ok(None);
        };
        w.flush()?;
        let guard = w.conn();
        let Some(conn) = guard.as_ref() else {
            return Err(StoreError::Closed);
        };
        let v: Option<Vec<u8>> = conn
            .query_row(
                "SELECT value FROM records WHERE tbl = ?1 AND key = ?2",
                params![table, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match v {
            Some(v) => Some(serde_json::from_slice(&v)?),
            None => None,
        })
    }

    /// Wipes every record and blob (`/_simfra/reset`).
    pub fn wipe(&self) -> Result<(), StoreError> {
        if let Some(w) = &self.writer {
            w.apply(vec![Op::DeleteAll])?;
        }
        if let Ok(entries) = std::fs::read_dir(&self.blob_root) {
            for entry in entries.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((root, _)) = &self.temp {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

/// Removes the `simfra-<uuid>` directories in `tmp` whose owner file nobody holds locked:
/// their store was killed (`kill -9`) before it could remove them. A live store's lock
/// (held as long as its process runs) keeps its directory; directories without an owner file
/// are not ours to judge and stay.
fn remove_abandoned_temp_dirs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_prefix("simfra-")) else {
            continue;
        };
        if uuid::Uuid::parse_str(id).is_err() {
            continue;
        }
        let dir = entry.path();
        let Ok(owner) = std::fs::File::open(dir.join(OWNER_FILE)) else {
            continue;
        };
        if owner.try_lock().is_ok() {
            tracing::info!(
                "removing {}, left by a simfra that was killed",
                dir.display()
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_persist_and_reload() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        {
            let store = Store::open(&dir).unwrap();
            let mut b = Batch::new();
            b.put("t", "a/1", &"one")
                .put("t", "a/2", &"two")
                .put("t", "b/1", &"three");
            store.apply(b).unwrap();
            let mut b = Batch::new();
            b.delete_prefix("t", "a/");
            store.apply(b).unwrap();
        }
        let store = Store::open(&dir).unwrap();
        let rows: Vec<(String, String)> = store.load("t").unwrap();
        assert_eq!(rows, vec![("b/1".to_string(), "three".to_string())]);
        assert_eq!(
            store.get::<String>("t", "b/1").unwrap().as_deref(),
            Some("three")
        );
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_database_is_brought_up_to_date() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("simfra.db")).unwrap();
            conn.execute_batch(
                "CREATE TABLE records (
                    tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (tbl, key)
                 ) WITHOUT ROWID;
                 INSERT INTO records VALUES ('t', 'a', CAST('\"old\"' AS BLOB));
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        {
            let store = Store::open(&dir).unwrap();
            let rows: Vec<(String, String)> = store.load("t").unwrap();
            assert_eq!(rows, vec![("a".to_string(), "old".to_string())]);
            let mut b = Batch::new();
            b.put("t", "a", &"new").put("t", "b", &"two");
            store.apply(b).unwrap();
        }
        let store = Store::open(&dir).unwrap();
        let rows: Vec<(String, String)> = store.load("t").unwrap();
        assert_eq!(
            rows,
            vec![
                ("a".to_string(), "new".to_string()),
                ("b".to_string(), "two".to_string())
            ]
        );
        let version: i64 = store
            .writer
            .as_ref()
            .unwrap()
            .conn()
            .as_ref()
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn queued_writes_are_committed_in_order_and_awaited() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        {
            let store = Store::open(&dir).unwrap();
            for i in 0..100 {
                let mut b = Batch::new();
                b.put("t", "k", &i);
                store.apply_later(b);
            }
            // What the router waits for before an answer: the queued writes, committed.
            store.durable().unwrap();
            let guard = store.writer.as_ref().unwrap().conn();
            let value: Vec<u8> = guard
                .as_ref()
                .unwrap()
                .query_row(
                    "SELECT value FROM records WHERE tbl = 't' AND key = 'k'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(value, b"99");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closing_commits_what_is_queued_and_refuses_later_writes() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir).unwrap();
        let mut b = Batch::new();
        b.put("t", "k", &"queued");
        store.apply_later(b);
        store.close();
        let mut b = Batch::new();
        b.put("t", "k", &"late");
        assert!(matches!(store.apply(b), Err(StoreError::Closed)));
        let reopened = Store::open(&dir).unwrap();
        let rows: Vec<(String, String)> = reopened.load("t").unwrap();
        assert_eq!(rows, vec![("k".to_string(), "queued".to_string())]);
        drop((store, reopened));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closing_a_memory_store_removes_its_temporary_directory() {
        let store = Store::memory().unwrap();
        let root = store.blob_root().parent().unwrap().to_path_buf();
        std::fs::write(store.blob_root().join("blob"), b"x").unwrap();
        store.close();
        assert!(!root.exists());
    }

    #[test]
    fn abandoned_temporary_directories_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let make = |locked: bool| {
            let dir = tmp.path().join(format!("simfra-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(dir.join("blobs")).unwrap();
            std::fs::write(dir.join("blobs/b"), b"x").unwrap();
            let owner = std::fs::File::create(dir.join(OWNER_FILE)).unwrap();
            if locked {
                owner.try_lock().unwrap();
            }
            (dir, owner)
        };
        // A killed store's directory: the file exists, nobody holds its lock.
        let (abandoned, file) = make(false);
        drop(file);
        // A live store's directory: its lock is held (here by this process, through another
        // open file, which conflicts as another process's would).
        let (live, _held) = make(true);
        // Not ours: no owner file, or not a simfra-<uuid> name.
        let foreign = tmp.path().join(format!("simfra-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&foreign).unwrap();
        let other = tmp.path().join("simfra-store-test-x");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::File::create(other.join(OWNER_FILE)).unwrap();

        remove_abandoned_temp_dirs(tmp.path());
        assert!(!abandoned.exists());
        assert!(live.join("blobs/b").exists());
        assert!(foreign.exists());
        assert!(other.exists());
    }

    #[test]
    fn queued_writes_that_fail_are_held_and_written_again_in_order() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir).unwrap();
        // The disk refuses writes to table "t" (as a full disk would), through a trigger set
        // by a second connection.
        let side = Connection::open(dir.join("simfra.db")).unwrap();
        side.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.tbl = 't'
             BEGIN SELECT RAISE(ABORT, 'no space left'); END;",
        )
        .unwrap();
        let put = |table: &'static str, key: &str, value: i32| {
            let mut b = Batch::new();
            b.put(table, key, &value);
            b
        };
        store.apply_later(put("t", "a", 1));
        store.apply_later(put("u", "b", 1));
        // Nothing is answered as durable, and a waiting writer fails too: the held writes
        // come first.
        let err = store.durable().unwrap_err();
        assert!(
            matches!(&err, StoreError::NotPersisted(m) if m.contains("no space left")),
            "{err}"
        );
        assert!(store.apply(put("u", "c", 1)).is_err());
        store.apply_later(put("u", "b", 2));
        assert!(store.durable().is_err());

        // The disk recovers: the held writes go in, in their order (b ends as 2).
        side.execute_batch("DROP TRIGGER refuse").unwrap();
        store.durable().unwrap();
        store.apply(put("u", "c", 3)).unwrap();
        let t: Vec<(String, i32)> = store.load("t").unwrap();
        let u: Vec<(String, i32)> = store.load("u").unwrap();
        assert_eq!(t, vec![("a".to_string(), 1)]);
        assert_eq!(u, vec![("b".to_string(), 2), ("c".to_string(), 3)]);
        drop((store, side));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn held_writes_are_retried_without_new_ones() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir).unwrap();
        let side = Connection::open(dir.join("simfra.db")).unwrap();
        side.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON records
             BEGIN SELECT RAISE(ABORT, 'I/O error'); END;",
        )
        .unwrap();
        let mut b = Batch::new();
        b.put("t", "k", &"v");
        store.apply_later(b);
        assert!(store.durable().is_err());
        side.execute_batch("DROP TRIGGER refuse").unwrap();
        // The background thread writes it again by itself, within about a second.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found: Option<String> = side
                .query_row(
                    "SELECT value FROM records WHERE tbl = 't' AND key = 'k'",
                    [],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .ok()
                .map(|v| String::from_utf8(v).unwrap());
            if found.is_some() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the held write was not retried"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        store.durable().unwrap();
        drop((store, side));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = std::env::temp_dir().join(format!("simfra-store-test-{}", uuid::Uuid::new_v4()));
        drop(Store::open(&dir).unwrap());
        {
            let conn = Connection::open(dir.join("simfra.db")).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let err = Store::open(&dir).err().unwrap();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

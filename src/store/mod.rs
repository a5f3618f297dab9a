//! The store: persistence, and nothing of actors or HTTP.
//!
//! Services keep their typed state in memory (reads never touch the store) and write every
//! mutation through to the store before it becomes visible. Without a data directory the store
//! keeps nothing (state lives only in the services' memory); with `SIMFRA_DATA_DIR` it is an
//! SQLite database (`simfra.db`, WAL journal), so that a `kill -9` loses no acknowledged write.
//!
//! Rows are `(table, key) -> value`, the value being a serde-encoded typed record. A [`Batch`]
//! is applied in one transaction: a request's changes land together or not at all.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The schema this build reads and writes. A database with a newer one is refused.
pub const SCHEMA_VERSION: i64 = 1;

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
    #[error("the data directory holds schema version {found}, newer than this simfra knows ({known}); use a newer simfra or another SIMFRA_DATA_DIR")]
    NewerSchema { found: i64, known: i64 },
}

/// Whether a persistent store was ever opened in this process. Until one is, batches skip
/// encoding their records (an in-memory store applies nothing); a batch is always built after
/// the store it goes to was opened.
static PERSISTENT: AtomicBool = AtomicBool::new(false);

/// Persistent storage, or none (in-memory mode).
pub struct Store {
    db: Option<Mutex<Connection>>,
    blob_root: PathBuf,
    /// A temporary blob directory we created and must remove.
    temp_blobs: bool,
}

/// One write: puts and deletes applied in a single transaction.
#[derive(Default)]
pub struct Batch {
    ops: Vec<Op>,
}

enum Op {
    Put(&'static str, String, Vec<u8>),
    Delete(&'static str, String),
    DeletePrefix(&'static str, String),
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
    pub fn memory() -> Result<Self, StoreError> {
        let blob_root = std::env::temp_dir().join(format!("simfra-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&blob_root).map_err(|source| StoreError::Io {
            path: blob_root.clone(),
            source,
        })?;
        Ok(Store {
            db: None,
            blob_root,
            temp_blobs: true,
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
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS records (
                tbl TEXT NOT NULL,
                key TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (tbl, key)
            ) WITHOUT ROWID;",
        )?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store {
            db: Some(Mutex::new(conn)),
            blob_root,
            temp_blobs: false,
        })
    }

    pub fn is_persistent(&self) -> bool {
        self.db.is_some()
    }

    /// Where services keep large files (object bytes, git repositories).
    pub fn blob_root(&self) -> &Path {
        &self.blob_root
    }

    /// Applies a batch in one transaction (a no-op in memory mode).
    pub fn apply(&self, batch: &Batch) -> Result<(), StoreError> {
        let Some(db) = &self.db else { return Ok(()) };
        if batch.ops.is_empty() {
            return Ok(());
        }
        let mut conn = db.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO records (tbl, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tbl, key) DO UPDATE SET value = excluded.value",
            )?;
            let mut del = tx.prepare_cached("DELETE FROM records WHERE tbl = ?1 AND key = ?2")?;
            let mut del_prefix = tx.prepare_cached(
                "DELETE FROM records WHERE tbl = ?1 AND key >= ?2 AND key < ?2 || char(1114111)",
            )?;
            for op in &batch.ops {
                match op {
                    Op::Put(t, k, v) => put.execute(params![t, k, v])?,
                    Op::Delete(t, k) => del.execute(params![t, k])?,
                    Op::DeletePrefix(t, p) => del_prefix.execute(params![t, p])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every record of a table, in key order (start-up loading).
    pub fn load<T: DeserializeOwned>(&self, table: &str) -> Result<Vec<(String, T)>, StoreError> {
        let Some(db) = &self.db else {
            return Ok(Vec::new());
        };
        let conn = db.lock().unwrap_or_else(|p| p.into_inner());
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
        let Some(db) = &self.db else { return Ok(None) };
        let conn = db.lock().unwrap_or_else(|p| p.into_inner());
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
        if let Some(db) = &self.db {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute("DELETE FROM records", [])?;
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
        if self.temp_blobs {
            let _ = std::fs::remove_dir_all(&self.blob_root);
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
            store.apply(&b).unwrap();
            let mut b = Batch::new();
            b.delete_prefix("t", "a/");
            store.apply(&b).unwrap();
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

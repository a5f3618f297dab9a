//! What every stream's event file shares: open file handles, a bounded number at a time (a
//! server holding thousands of build logs must not run out of file descriptors), and the memory
//! budget of the indexes (16 bytes per event): past it, the indexes used least recently are
//! dropped, and built again from their files when next used.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// An index that can be dropped from memory.
pub(super) trait Unload: Send + Sync {
    /// When it was last used (a [`Files::tick`]).
    fn last_used(&self) -> u64;
    /// Drops the index unless someone is using it right now; the entries it held.
    fn try_unload(&self) -> usize;
}

/// Open event files and loaded indexes, shared by every stream. At most `cap` files stay open
/// (least recently used are closed; readers holding a handle keep it until they are done).
pub struct Files {
    cap: usize,
    pub(super) open: Mutex<HashMap<PathBuf, (Arc<File>, u64)>>,
    clock: AtomicU64,
    /// Index entries kept in memory at most (one stream's own index may exceed it).
    budget: usize,
    pub(super) loaded: AtomicUsize,
    indexes: Mutex<Vec<Weak<dyn Unload>>>,
}

impl Files {
    pub fn new(cap: usize, budget: usize) -> Files {
        Files {
            cap: cap.max(1),
            open: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            budget,
            loaded: AtomicUsize::new(0),
            indexes: Mutex::new(Vec::new()),
        }
    }

    /// A moment in the use of files and indexes (for least-recently-used choices).
    pub(super) fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Records a newly loaded index (once per index) and its entries.
    pub(super) fn register(&self, index: Weak<dyn Unload>) {
        let mut indexes = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        indexes.push(index);
    }

    pub(super) fn grew(&self, entries: usize) {
        self.loaded.fetch_add(entries, Ordering::Relaxed);
    }

    pub(super) fn shrank(&self, entries: usize) {
        self.loaded.fetch_sub(entries, Ordering::Relaxed);
    }

    /// Past the budget, drops the least recently used indexes (never `keep`, the one in use)
    /// until three quarters of it remain. Indexes in use right now are skipped, not waited for.
    pub(super) fn enforce(&self, keep: &Arc<dyn Unload>) {
        if self.loaded.load(Ordering::Relaxed) <= self.budget {
            return;
        }
        let mut indexes = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        indexes.retain(|w| w.strong_count() > 0);
        let mut live: Vec<Arc<dyn Unload>> = indexes.iter().filter_map(Weak::upgrade).collect();
        drop(indexes);
        live.sort_by_key(|i| i.last_used());
        let keep = Arc::as_ptr(keep) as *const ();
        for index in live {
            if self.loaded.load(Ordering::Relaxed) <= self.budget / 4 * 3 {
                break;
            }
            if Arc::as_ptr(&index) as *const () != keep {
                self.shrank(index.try_unload());
            }
        }
    }

    pub(super) fn get(&self, path: &Path) -> std::io::Result<Arc<File>> {
        let now = self.tick();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((file, used)) = open.get_mut(path) {
            *used = now;
            return Ok(file.clone());
        }
        let opts = || {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .clone()
        };
        let file = match opts().open(path) {
            // The directory goes away on reset; it comes back with the next append.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                opts().open(path)?
            }
            other => other?,
        };
        let file = Arc::new(file);
        if open.len() >= self.cap {
            if let Some(oldest) = open
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(p, _)| p.clone())
            {
                open.remove(&oldest);
            }
        }
        open.insert(path.to_path_buf(), (file.clone(), now));
        Ok(file)
    }

    pub(super) fn forget(&self, path: &Path) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }

    /// Closes every file and forgets every index (reset).
    pub fn clear(&self) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

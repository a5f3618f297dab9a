//! Group commit: every batch queued while a transaction is being written goes into the next
//! one, so a burst of N writes costs one commit, not N.
//!
//! Whoever needs the queue committed (a caller of `apply`, an answer waiting for `flush`)
//! commits it on its own thread unless a commit is already running, in which case it waits
//! for that one and, if its batch was not in it, commits the rest. Batches nobody waits for
//! (the engine's progress) are committed by a background thread, which gathers what arrives
//! within a short window first.
//!
//! Order is the queue's: a batch is committed with or after every batch queued before it.
//! A transaction that fails is rolled back and its batches are written one by one, so that
//! each waiting caller gets its own batch's outcome.
//!
//! A batch nobody waits for cannot be failed back to anyone. When one fails (disk full, I/O
//! error), it and every batch after it are held: they are written again, in their order,
//! before anything newer, by the next commit and every second by the background thread.
//! While batches are held, waiting writers fail and `flush` reports the failure, so that no
//! client is answered with a change that is not on disk; the first commit that succeeds
//! ends it.

use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection};

use super::{Op, StoreError};

/// How long the background thread lets writes nobody waits for gather: the engine's
/// progress arrives one small write at a time, and one transaction for all that arrives in
/// this window costs a fraction of one per write.
const GATHER: Duration = Duration::from_millis(2);

/// Past this many queued batches, a batch queued without waiting is committed at once: the
/// queue cannot outgrow the disk.
const QUEUE_LIMIT: usize = 4096;

/// How often the background thread writes held batches again while nothing new arrives.
const RETRY: Duration = Duration::from_secs(1);

pub(super) struct Writer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    /// `None` once the store is closed.
    conn: Mutex<Option<Connection>>,
    queue: Mutex<Queue>,
    /// Wakes the background thread (writes queued, or closing).
    work: Condvar,
    /// Wakes those waiting for a running commit.
    done: Condvar,
}

#[derive(Default)]
struct Queue {
    items: Vec<Item>,
    /// The sequence number of the last queued batch.
    queued: u64,
    /// The sequence number of the last batch whose transaction ended.
    committed: u64,
    /// A commit is running (its batches are out of `items`).
    committing: bool,
    /// The background thread is to stop.
    closed: bool,
    /// The database is closed: nothing more is queued.
    shut: bool,
    /// Batches nobody waits for whose commit failed, oldest first: written again before
    /// anything newer.
    held: Vec<Item>,
    /// Why they failed, while some are held.
    failure: Option<String>,
}

struct Item {
    ops: Vec<Op>,
    /// The caller waiting for this batch's outcome, if any.
    reply: Option<mpsc::SyncSender<Result<(), StoreError>>>,
}

impl Writer {
    pub(super) fn start(conn: Connection) -> std::io::Result<Writer> {
        let shared = Arc::new(Shared {
            conn: Mutex::new(Some(conn)),
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let thread = std::thread::Builder::new()
            .name("simfra-store".into())
            .spawn({
                let shared = shared.clone();
                move || shared.background()
            })?;
        Ok(Writer {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `ops` and returns once the transaction holding them ended, with its outcome.
    pub(super) fn apply(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let (seq, _) = self.shared.push(ops, Some(tx));
        self.shared.commit_through(seq);
        rx.recv().unwrap_or(Err(StoreError::WriterGone))
    }

    /// Queues `ops` without waiting for their commit.
    pub(super) fn enqueue(&self, ops: Vec<Op>) {
        let (seq, queued) = self.shared.push(ops, None);
        if queued >= QUEUE_LIMIT {
            self.shared.commit_through(seq);
        }
    }

    /// Returns once everything queued so far is committed (at once if it is), or with the
    /// failure that holds some of it back (see the module docs).
    pub(super) fn flush(&self) -> Result<(), StoreError> {
        let target = self.shared.lock_queue().queued;
        self.shared.commit_through(target);
        match &self.shared.lock_queue().failure {
            Some(reason) => Err(StoreError::NotPersisted(reason.clone())),
            None => Ok(()),
        }
    }

    /// The connection, for reads (start-up loading); `None` once closed.
    pub(super) fn conn(&self) -> MutexGuard<'_, Option<Connection>> {
        self.shared.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits what is queued, stops the background thread and closes the database (its
    /// lock released). Later writes fail with `StoreError::Closed`.
    pub(super) fn close(&self) {
        let _ = self.flush();
        self.shared.lock_queue().closed = true;
        self.shared.work.notify_one();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        // Whatever was queued between the flush and the close is committed by this.
        let target = self.shared.lock_queue().queued;
        self.shared.commit_through(target);
        let mut queue = self.shared.lock_queue();
        queue.shut = true;
        let mut left = std::mem::take(&mut queue.held);
        left.append(&mut queue.items);
        if let Some(reason) = queue.failure.take() {
            tracing::error!(
                "closing the store with {} change(s) that could not be written: {reason}",
                left.len()
            );
        }
        drop(queue);
        for item in left {
            answer(item, Err(StoreError::Closed));
        }
        self.conn().take();
    }
}

impl Drop for Writer {
    /// Commits what is still queued, then stops the background thread.
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a batch; returns its sequence number and how many batches are queued.
    fn push(
        &self,
        ops: Vec<Op>,
        reply: Option<mpsc::SyncSender<Result<(), StoreError>>>,
    ) -> (u64, usize) {
        let mut queue = self.lock_queue();
        if queue.shut {
            // A closed store takes nothing more (a stopped server's last stragglers).
            if let Some(reply) = reply {
                let _ = reply.send(Err(StoreError::Closed));
            }
            return (0, 0);
        }
        queue.queued += 1;
        let seq = queue.queued;
        let was_empty = queue.items.is_empty();
        queue.items.push(Item { ops, reply });
        let queued = queue.items.len();
        drop(queue);
        // The background thread sleeps until a write arrives: only the first one wakes it.
        if was_empty {
            self.work.notify_one();
        }
        (seq, queued)
    }

    /// Returns once batch `seq` and all before it had their transaction: commits the queue on
    /// this thread, or waits for the commit that is running. Held batches are tried once more.
    fn commit_through(&self, seq: u64) {
        let mut queue = self.lock_queue();
        let mut tried = false;
        loop {
            if queue.committed >= seq && (queue.held.is_empty() || tried) {
                return;
            }
            if queue.committing {
                queue = self.done.wait(queue).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            queue = self.commit_queued(queue);
            tried = true;
        }
    }

    /// Commits the held and every queued batch (the queue lock is released meanwhile).
    fn commit_queued<'a>(&'a self, mut queue: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
        let mut items = std::mem::take(&mut queue.held);
        items.append(&mut queue.items);
        let last = queue.queued;
        queue.committing = true;
        drop(queue);
        let ending = Ending { shared: self, last };
        let mut held = Vec::new();
        let mut failure: Option<String> = None;
        {
            let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            let conn = &mut *guard;
            let single = items.len() == 1;
            match commit(conn, &items) {
                Ok(()) => {
                    for item in items {
                        answer(item, Ok(()));
                    }
                }
                // One batch spoiled the transaction: each is written alone (a lone one is
                // not tried twice), and each waiting caller hears about its own. From the
                // first failing batch nobody waits for on, the rest are held, in order.
                Err(e) => {
                    let mut first = Some(e);
                    for item in items {
                        if let Some(reason) = &failure {
                            match item.reply {
                                Some(_) => {
                                    answer(item, Err(StoreError::NotPersisted(reason.clone())))
                                }
                                None => held.push(item),
                            }
                            continue;
                        }
                        let outcome = match first.take() {
                            Some(e) if single => Err(e),
                            _ => commit(conn, std::slice::from_ref(&item)),
                        };
                        match outcome {
                            Err(e) if item.reply.is_none() => {
                                failure = Some(e.to_string());
                                held.push(item);
                            }
                            outcome => answer(item, outcome),
                        }
                    }
                }
            }
        }
        {
            // `held` of the queue is empty: taken above, and only a commit fills it.
            let mut queue = self.lock_queue();
            match failure {
                Some(reason) => {
                    if queue.failure.is_none() {
                        tracing::error!(
                            "could not write {} queued change(s) to the data directory: {reason}; \
                             they are kept and written again, and answers fail until they are",
                            held.len()
                        );
                    }
                    queue.held = held;
                    queue.failure = Some(reason);
                    // The background thread may be asleep for want of work: it retries.
                    self.work.notify_one();
                }
                None => {
                    if queue.failure.take().is_some() {
                        tracing::info!(
                            "the held changes are written: the data directory is in step again"
                        );
                    }
                }
            }
        }
        drop(ending);
        self.lock_queue()
    }

    /// The background thread: commits writes nobody waits for, a short while after the
    /// first of them arrived.
    fn background(&self) {
        let mut queue = self.lock_queue();
        loop {
            while queue.items.is_empty() && queue.held.is_empty() && !queue.closed {
                queue = self.work.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
            if queue.closed && queue.items.is_empty() {
                return;
            }
            if !queue.closed {
                // Held batches alone are tried again after a pause; new ones are gathered.
                let pause = if queue.items.is_empty() {
                    RETRY
                } else {
                    GATHER
                };
                queue = self
                    .work
                    .wait_timeout(queue, pause)
                    .map(|(q, _)| q)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            if queue.items.is_empty() && queue.held.is_empty() {
                continue;
            }
            if queue.committing {
                // Someone else commits: what they leave is picked up on the next round.
                queue = self.done.wait(queue).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            queue = self.commit_queued(queue);
        }
    }
}

/// Ends a commit, also when it panicked: the queue is never left committing for good (every
/// later writer would wait for it); the waiters of a batch lost to a panic hear `WriterGone`.
struct Ending<'a> {
    shared: &'a Shared,
    last: u64,
}

impl Drop for Ending<'_> {
    fn drop(&mut self) {
        let mut queue = self.shared.lock_queue();
        queue.committing = false;
        queue.committed = queue.committed.max(self.last);
        self.shared.done.notify_all();
    }
}

fn answer(item: Item, outcome: Result<(), StoreError>) {
    match item.reply {
        Some(reply) => {
            let _ = reply.send(outcome);
        }
        None => {
            if let Err(e) = outcome {
                tracing::error!("could not persist a queued write: {e}");
            }
        }
    }
}

/// Applies the items' operations in one transaction.
fn commit(conn: &mut Option<Connection>, items: &[Item]) -> Result<(), StoreError> {
    if items.iter().all(|i| i.ops.is_empty()) {
        return Ok(());
    }
    let Some(conn) = conn else {
        return Err(StoreError::Closed);
    };
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
        for op in items.iter().flat_map(|i| &i.ops) {
            match op {
                Op::Put(t, k, v) => put.execute(params![t, k, v])?,
                Op::Delete(t, k) => del.execute(params![t, k])?,
                Op::DeletePrefix(t, p) => del_prefix.execute(params![t, p])?,
                Op::DeleteAll => tx.execute("DELETE FROM records", [])?,
            };
        }
    }
    tx.commit()?;
    Ok(())
}

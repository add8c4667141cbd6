//! The writer thread: owns the write connection and commits writes in groups.
//!
//! Callers queue [`WriteRequest`]s on a channel. The thread takes the first one,
//! drains whatever else is already queued (up to `max_batch`), applies them all
//! in one SQLite transaction and commits once, so a burst of concurrent writes
//! costs one fsync instead of one each. Every write still gets its own revision,
//! and a write whose compare fails only fails itself: it is checked before it
//! changes anything, so the other writes of the batch are unaffected. Only after
//! the commit is durable are the events published to watchers and the callers
//! answered.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use rusqlite::{params, Connection, TransactionBehavior};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::db::{self, HistoryRow};
use super::watch::CommitBatch;
use crate::{DeleteResponse, Event, KeyValue, Revision, StoreError};

/// A write, as queued for the writer thread.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
    Compact {
        revision: Revision,
    },
}

/// What a successful write produced.
#[derive(Debug)]
pub(crate) enum WriteOutcome {
    Put(KeyValue),
    Deleted(DeleteResponse),
    Compacted,
}

pub(crate) struct WriteRequest {
    pub op: WriteOp,
    pub reply: oneshot::Sender<Result<WriteOutcome, StoreError>>,
}

pub(crate) enum Message {
    Write(WriteRequest),
    /// Commit what is queued before this message, then stop.
    Shutdown,
}

/// State shared by the store handle, the writer thread and the watchers.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The revision of the last commit. Updated before the commit's events are
    /// published, so a watcher that subscribes and then reads it misses nothing.
    pub revision: AtomicI64,
    pub compacted: AtomicI64,
    pub commits: AtomicU64,
    pub writes: AtomicU64,
}

pub(crate) struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    events: broadcast::Sender<Arc<CommitBatch>>,
    queue: mpsc::Receiver<Message>,
    max_batch: usize,
    revision: Revision,
    compacted: Revision,
}

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        shared: Arc<Shared>,
        events: broadcast::Sender<Arc<CommitBatch>>,
        queue: mpsc::Receiver<Message>,
        max_batch: usize,
    ) -> Result<Self, StoreError> {
        let (revision, compacted) = db::read_meta(&conn)?;
        shared.revision.store(revision, Ordering::SeqCst);
        shared.compacted.store(compacted, Ordering::SeqCst);
        Ok(Writer {
            conn,
            shared,
            events,
            queue,
            max_batch: max_batch.max(1),
            revision,
            compacted,
        })
    }

    /// Runs until the store is closed or every handle to it is dropped.
    pub(crate) fn run(mut self) {
        let mut batch = Vec::with_capacity(self.max_batch);
        while let Some(first) = self.queue.blocking_recv() {
            let mut shutdown = false;
            match first {
                Message::Write(request) => batch.push(request),
                Message::Shutdown => shutdown = true,
            }
            while !shutdown && batch.len() < self.max_batch {
                match self.queue.try_recv() {
                    Ok(Message::Write(request)) => batch.push(request),
                    Ok(Message::Shutdown) => shutdown = true,
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                self.commit(&mut batch);
            }
            if shutdown {
                break;
            }
        }
        // Requests still queued are dropped, and their callers see `Closed`.
        self.queue.close();
        tracing::debug!("sqlite store writer stopped");
    }

    /// Applies and commits one batch, then answers every request in it.
    fn commit(&mut self, batch: &mut Vec<WriteRequest>) {
        let mut revision = self.revision;
        let mut compacted = self.compacted;
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(batch.len());
        let outcome = (|| -> Result<(), rusqlite::Error> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for request in batch.iter() {
                match apply(&tx, &request.op, &mut revision, &mut compacted, &mut events) {
                    Ok(outcome) => results.push(Ok(outcome)),
                    Err(StoreError::Sqlite(error)) => return Err(error),
                    Err(other) => results.push(Err(other)),
                }
            }
            if revision != self.revision {
                db::write_meta(&tx, "revision", revision)?;
            }
            if compacted != self.compacted {
                db::write_meta(&tx, "compacted", compacted)?;
            }
            tx.commit()
        })();

        if let Err(error) = outcome {
            // Nothing of the batch was committed (the transaction rolled back).
            tracing::error!(%error, "sqlite store commit failed");
            for request in batch.drain(..) {
                let _ = request
                    .reply
                    .send(Err(StoreError::Sqlite(db::copy_error(&error))));
            }
            return;
        }

        let writes = (revision - self.revision) as u64;
        self.revision = revision;
        self.compacted = compacted;
        self.shared.revision.store(revision, Ordering::SeqCst);
        self.shared.compacted.store(compacted, Ordering::SeqCst);
        self.shared.commits.fetch_add(1, Ordering::Relaxed);
        self.shared.writes.fetch_add(writes, Ordering::Relaxed);
        if !events.is_empty() {
            // No receivers is fine: nobody watches.
            let _ = self.events.send(Arc::new(CommitBatch { revision, events }));
        }
        for (request, result) in batch.drain(..).zip(results) {
            let _ = request.reply.send(result);
        }
    }
}

/// Applies one write inside the batch's transaction. Compare failures return
/// before anything is written; SQLite errors abort the whole batch.
fn apply(
    conn: &Connection,
    op: &WriteOp,
    revision: &mut Revision,
    compacted: &mut Revision,
    events: &mut Vec<Event>,
) -> Result<WriteOutcome, StoreError> {
    match op {
        WriteOp::Create { key, value } => {
            if db::latest(conn, key)?.is_some() {
                return Err(StoreError::AlreadyExists { key: key.clone() });
            }
            let rev = *revision + 1;
            let row = HistoryRow {
                rev,
                key: key.clone(),
                value: value.clone(),
                create_rev: rev,
                prev_rev: 0,
                deleted: false,
            };
            insert(conn, &row)?;
            *revision = rev;
            let kv = row.key_value();
            events.push(db::event_of(&row, None));
            Ok(WriteOutcome::Put(kv))
        }
        WriteOp::Update {
            key,
            value,
            expected,
        } => {
            let current = checked_latest(conn, key, Some(*expected))?;
            let rev = *revision + 1;
            let row = HistoryRow {
                rev,
                key: key.clone(),
                value: value.clone(),
                create_rev: current.create_rev,
                prev_rev: current.rev,
                deleted: false,
            };
            insert(conn, &row)?;
            *revision = rev;
            let kv = row.key_value();
            events.push(db::event_of(&row, Some(current.key_value())));
            Ok(WriteOutcome::Put(kv))
        }
        WriteOp::Delete { key, expected } => {
            let current = checked_latest(conn, key, *expected)?;
            let rev = *revision + 1;
            let row = HistoryRow {
                rev,
                key: key.clone(),
                value: Bytes::new(),
                create_rev: 0,
                prev_rev: current.rev,
                deleted: true,
            };
            insert(conn, &row)?;
            *revision = rev;
            let prev_kv = current.key_value();
            events.push(db::event_of(&row, Some(prev_kv.clone())));
            Ok(WriteOutcome::Deleted(DeleteResponse {
                revision: rev,
                prev_kv,
            }))
        }
        WriteOp::Compact { revision: target } => {
            compact(conn, *target, *revision, compacted)?;
            Ok(WriteOutcome::Compacted)
        }
    }
}

/// The live row of `key`, checked against the expected mod revision.
fn checked_latest(
    conn: &Connection,
    key: &str,
    expected: Option<Revision>,
) -> Result<HistoryRow, StoreError> {
    let Some(current) = db::latest(conn, key)? else {
        return Err(StoreError::NotFound {
            key: key.to_string(),
        });
    };
    match expected {
        Some(expected) if expected != current.rev => Err(StoreError::Conflict {
            key: key.to_string(),
            expected,
            current: Some(Box::new(current.key_value())),
        }),
        _ => Ok(current),
    }
}

/// Appends a history row and points `current` at it (or drops the key from
/// `current` for a tombstone).
fn insert(conn: &Connection, row: &HistoryRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO kv (rev, key, value, create_rev, prev_rev, deleted) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        row.rev,
        row.key.as_bytes(),
        row.value.as_ref(),
        row.create_rev,
        row.prev_rev,
        row.deleted
    ])?;
    if row.deleted {
        conn.prepare_cached("DELETE FROM current WHERE key = ?1")?
            .execute([row.key.as_bytes()])?;
    } else {
        conn.prepare_cached("INSERT OR REPLACE INTO current (key, rev) VALUES (?1, ?2)")?
            .execute(params![row.key.as_bytes(), row.rev])?;
    }
    Ok(())
}

/// Forgets history before `target`: for every key, only its latest row at
/// `target` is kept (and not even that if it is a tombstone), along with every
/// row after `target`. Compacting at or below the compacted revision does nothing.
fn compact(
    conn: &Connection,
    target: Revision,
    revision: Revision,
    compacted: &mut Revision,
) -> Result<(), StoreError> {
    if target > revision {
        return Err(StoreError::FutureRevision {
            requested: target,
            current: revision,
        });
    }
    if target <= *compacted {
        return Ok(());
    }
    // A row is superseded at `target` exactly when a later row of its key at or
    // before `target` names it as `prev_rev`, or when it is a tombstone. Rows
    // superseded by rows before the previous compaction are already gone.
    conn.prepare_cached(
        "DELETE FROM kv WHERE rev IN \
         (SELECT prev_rev FROM kv WHERE rev > ?1 AND rev <= ?2 AND prev_rev != 0)",
    )?
    .execute(params![*compacted, target])?;
    conn.prepare_cached("DELETE FROM kv WHERE rev > ?1 AND rev <= ?2 AND deleted = 1")?
        .execute(params![*compacted, target])?;
    *compacted = target;
    Ok(())
}

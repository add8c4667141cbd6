//! The embedded backend: one SQLite file in WAL mode, written by one thread with
//! group commit, read by a small pool of connections.
//!
//! Start with [`SqliteStore::open`]. Durability: every commit runs with
//! `synchronous=FULL`, so a write is acknowledged only once its transaction is
//! in the fsynced WAL; a crash at any moment loses no acknowledged write, and
//! SQLite's recovery leaves the file consistent.
//!
//! Layout (see `sqlite/db.rs`): a history table with one row per revision, a
//! `current` table pointing every live key at its latest row, and the store and
//! compacted revisions in `meta`. Writes go through the writer thread
//! (`sqlite/writer.rs`), watches replay history and then follow the writer's
//! broadcast (`sqlite/watch.rs`), reads use `sqlite/pool.rs`.
//!
//! Revisions are etcd's: an empty store is at revision 1 and its first write
//! gets revision 2.

mod db;
mod pool;
mod watch;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot};

use self::db::KeyBounds;
use self::pool::ReadPool;
use self::watch::{CommitBatch, WatchContext};
use self::writer::{Message, Shared, WriteOp, WriteOutcome, WriteRequest, Writer};
use crate::{
    DeleteResponse, GetResponse, KeyValue, RangeRequest, RangeResponse, Result, Revision, Store,
    StoreError, WatchStream,
};

/// Tuning of the SQLite backend. Nothing here depends on the file's location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The most writes committed in one transaction. Default 256: large enough
    /// that a burst shares one fsync, small enough that one commit stays short.
    pub max_batch: usize,
    /// Writes that may wait for the writer before callers are held back.
    /// Default 4096.
    pub queue_capacity: usize,
    /// Reads that run at once, each on its own connection. Default 4.
    pub read_connections: usize,
    /// Committed transactions buffered for each watcher. A watcher that falls
    /// further behind reads the missed history back from the database. Default 1024.
    pub watch_buffer: usize,
    /// Events per batch when a watch replays history. Default 1000.
    pub replay_batch: usize,
    /// How often an idle watcher gets a progress batch. Default 1 s, about as
    /// often as the etcd backend asks etcd for progress.
    pub progress_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_batch: 256,
            queue_capacity: 4096,
            read_connections: 4,
            watch_buffer: 1024,
            replay_batch: 1000,
            progress_interval: Duration::from_secs(1),
        }
    }
}

impl Config {
    #[must_use]
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch;
        self
    }

    #[must_use]
    pub fn with_watch_buffer(mut self, watch_buffer: usize) -> Self {
        self.watch_buffer = watch_buffer;
        self
    }

    #[must_use]
    pub fn with_progress_interval(mut self, progress_interval: Duration) -> Self {
        self.progress_interval = progress_interval;
        self
    }

    /// Checks that every knob is usable.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("max_batch", self.max_batch),
            ("queue_capacity", self.queue_capacity),
            ("read_connections", self.read_connections),
            ("watch_buffer", self.watch_buffer),
            ("replay_batch", self.replay_batch),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(StoreError::InvalidRequest(format!(
                    "sqlite config {name} must be positive"
                )));
            }
        }
        if self.progress_interval.is_zero() {
            return Err(StoreError::InvalidRequest(
                "sqlite config progress_interval must be positive".to_string(),
            ));
        }
        Ok(())
    }
}

/// Counters of the writer, for tests and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Transactions committed.
    pub commits: u64,
    /// Writes committed (each with its own revision).
    pub writes: u64,
}

/// The embedded store. Cloning gives another handle to the same store; the
/// writer thread stops once [`SqliteStore::close`] is called or the last
/// handle is dropped (after committing the writes already queued).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: Config,
    queue: mpsc::Sender<Message>,
    shared: Arc<Shared>,
    /// Kept to subscribe watchers; taken on close so that watches end.
    events: Mutex<Option<broadcast::Sender<Arc<CommitBatch>>>>,
    reads: Arc<ReadPool>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the SQLite file at `path` and
    /// starts its writer thread.
    pub fn open(path: &Path, config: Config) -> Result<SqliteStore> {
        config.validate()?;
        let conn = db::open_writer(path)?;
        let shared = Arc::new(Shared::default());
        let (events, _) = broadcast::channel(config.watch_buffer);
        let (queue, receiver) = mpsc::channel(config.queue_capacity);
        let writer = Writer::new(
            conn,
            Arc::clone(&shared),
            events.clone(),
            receiver,
            config.max_batch,
        )?;
        let writer = std::thread::Builder::new()
            .name("store-sqlite-writer".to_string())
            .spawn(move || writer.run())
            .map_err(|source| StoreError::Io {
                path: path.display().to_string(),
                source,
            })?;
        tracing::info!(path = %path.display(), "sqlite store opened");
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                reads: Arc::new(ReadPool::new(path.to_path_buf(), config.read_connections)),
                config,
                queue,
                shared,
                events: Mutex::new(Some(events)),
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The writer's counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            commits: self.inner.shared.commits.load(Ordering::Relaxed),
            writes: self.inner.shared.writes.load(Ordering::Relaxed),
        }
    }

    /// Commits the writes already queued, stops the writer thread and ends
    /// every watch (with `Closed`). Later writes fail with `Closed`; reads
    /// still work. Closing twice is harmless.
    pub async fn close(&self) -> Result<()> {
        // If the writer is gone already, there is nothing to stop.
        let _ = self.inner.queue.send(Message::Shutdown).await;
        let writer = self.inner.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(writer) = writer {
            tokio::task::spawn_blocking(move || writer.join())
                .await
                .map_err(|_| StoreError::Closed)?
                .map_err(|_| StoreError::Closed)?;
        }
        if let Ok(mut events) = self.inner.events.lock() {
            events.take();
        }
        Ok(())
    }

    async fn write(&self, op: WriteOp) -> Result<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .queue
            .send(Message::Write(WriteRequest { op, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn put(&self, op: WriteOp) -> Result<KeyValue> {
        match self.write(op).await? {
            WriteOutcome::Put(kv) => Ok(kv),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(outcome: WriteOutcome) -> StoreError {
    StoreError::InvalidRequest(format!("sqlite writer answered {outcome:?}"))
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(StoreError::InvalidRequest(
            "key must not be empty".to_string(),
        ));
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.inner.shared.revision.load(Ordering::SeqCst))
    }

    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        check_key(key)?;
        let key = key.to_string();
        self.inner
            .reads
            .run(move |conn| {
                let (current, compacted) = db::read_meta(conn)?;
                let row = if revision == 0 {
                    db::latest(conn, &key)?
                } else {
                    db::check_revision(revision, current, compacted)?;
                    db::at_revision(conn, &key, revision)?
                };
                Ok(GetResponse {
                    kv: row.map(|row| row.key_value()),
                    revision: if revision == 0 { current } else { revision },
                })
            })
            .await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        check_key(key)?;
        self.put(WriteOp::Create {
            key: key.to_string(),
            value,
        })
        .await
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue> {
        check_key(key)?;
        self.put(WriteOp::Update {
            key: key.to_string(),
            value,
            expected: expected_mod_revision,
        })
        .await
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<DeleteResponse> {
        check_key(key)?;
        let op = WriteOp::Delete {
            key: key.to_string(),
            expected: expected_mod_revision,
        };
        match self.write(op).await? {
            WriteOutcome::Deleted(response) => Ok(response),
            other => Err(unexpected(other)),
        }
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse> {
        if let Some(start) = &request.start_key {
            if !start.starts_with(&request.prefix) {
                return Err(StoreError::InvalidRequest(format!(
                    "start key {start} is outside prefix {}",
                    request.prefix
                )));
            }
        }
        if request.revision < 0 {
            return Err(StoreError::InvalidRequest(format!(
                "negative revision {}",
                request.revision
            )));
        }
        let bounds = KeyBounds::prefix(&request.prefix, request.start_key.as_deref());
        self.inner
            .reads
            .run(move |conn| {
                let (current, compacted) = db::read_meta(conn)?;
                let at = match request.revision {
                    0 => None,
                    revision => {
                        db::check_revision(revision, current, compacted)?;
                        (revision < current).then_some(revision)
                    }
                };
                let (kvs, count) = db::range(conn, &bounds, at, request.limit)?;
                Ok(RangeResponse {
                    more: (kvs.len() as i64) < count,
                    kvs,
                    count,
                    revision: at.unwrap_or(current),
                })
            })
            .await
    }

    async fn count(&self, prefix: &str) -> Result<i64> {
        let bounds = KeyBounds::prefix(prefix, None);
        self.inner
            .reads
            .run(move |conn| db::count_latest(conn, &bounds))
            .await
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        if after < 0 {
            return Err(StoreError::InvalidRequest(format!(
                "negative revision {after}"
            )));
        }
        let live = self
            .inner
            .events
            .lock()
            .ok()
            .and_then(|events| events.as_ref().map(broadcast::Sender::subscribe))
            .ok_or(StoreError::Closed)?;
        let context = WatchContext {
            live,
            reads: Arc::clone(&self.inner.reads),
            shared: Arc::clone(&self.inner.shared),
            progress_interval: self.inner.config.progress_interval,
            replay_batch: self.inner.config.replay_batch,
        };
        watch::watch(context, prefix, after).await
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        if revision < 1 {
            return Err(StoreError::InvalidRequest(format!(
                "cannot compact at revision {revision}"
            )));
        }
        match self.write(WriteOp::Compact { revision }).await? {
            WriteOutcome::Compacted => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}

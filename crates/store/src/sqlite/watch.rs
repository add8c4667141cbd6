//! Watches on the SQLite store: replay history from the database, then follow
//! the writer's live events, without gaps or duplicates.
//!
//! A watcher subscribes to the writer's broadcast of committed batches *before*
//! it reads anything, and remembers `delivered`, the revision up to which every
//! change under its prefix has been delivered. History is read in chunks from
//! the database up to the snapshot's revision; live batches at or below
//! `delivered` are then skipped, and those above it are filtered by prefix and
//! passed on. A watcher whose consumer is too slow for the broadcast buffer
//! does not lose events: it goes back to reading history from `delivered`,
//! and fails with `Compacted` only if that history is gone.
//!
//! An idle watcher yields a progress batch (no events, `revision` =
//! `delivered`, which is the latest committed revision once the broadcast is
//! drained) every `progress_interval`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::time::Instant;

use super::db::{self, KeyBounds};
use super::pool::ReadPool;
use super::writer::Shared;
use crate::{Event, Revision, StoreError, WatchBatch, WatchStream};

/// The events of one committed transaction, as the writer publishes them.
#[derive(Debug)]
pub(crate) struct CommitBatch {
    /// The revision of the last write of the transaction.
    pub revision: Revision,
    pub events: Vec<Event>,
}

/// What a watch needs from the store.
pub(crate) struct WatchContext {
    pub live: broadcast::Receiver<Arc<CommitBatch>>,
    pub reads: Arc<ReadPool>,
    pub shared: Arc<Shared>,
    pub progress_interval: Duration,
    pub replay_batch: usize,
}

/// Starts a watch of `prefix` after revision `after` (0 = from now). The
/// context's receiver must have subscribed before this is called.
pub(crate) async fn watch(
    context: WatchContext,
    prefix: &str,
    after: Revision,
) -> Result<WatchStream, StoreError> {
    let bounds = KeyBounds::prefix(prefix, None);
    let (delivered, replaying) = if after == 0 {
        // Subscribed already, and the writer updates the revision before it
        // publishes, so every commit after this revision reaches the receiver.
        (context.shared.revision.load(Ordering::SeqCst), false)
    } else {
        let (current, compacted) = context.reads.run(db::read_meta).await?;
        db::check_revision(after, current, compacted)?;
        (after, true)
    };
    let watcher = Watcher {
        bounds,
        next_progress: Instant::now() + context.progress_interval,
        context,
        delivered,
        replaying,
        done: false,
    };
    Ok(futures::stream::unfold(watcher, |mut watcher| async move {
        let item = watcher.next().await?;
        Some((item, watcher))
    })
    .boxed())
}

struct Watcher {
    context: WatchContext,
    bounds: KeyBounds,
    /// Every change under the prefix up to this revision has been delivered.
    delivered: Revision,
    /// History after `delivered` must be read from the database first.
    replaying: bool,
    next_progress: Instant,
    done: bool,
}

impl Watcher {
    async fn next(&mut self) -> Option<Result<WatchBatch, StoreError>> {
        if self.done {
            return None;
        }
        let item = self.next_item().await;
        match &item {
            Err(_) => self.done = true,
            Ok(_) => self.next_progress = Instant::now() + self.context.progress_interval,
        }
        Some(item)
    }

    async fn next_item(&mut self) -> Result<WatchBatch, StoreError> {
        loop {
            if self.replaying {
                if let Some(batch) = self.replay_chunk().await? {
                    return Ok(batch);
                }
                continue;
            }
            tokio::select! {
                received = self.context.live.recv() => match received {
                    Ok(commit) => {
                        if let Some(batch) = self.filter(&commit) {
                            return Ok(batch);
                        }
                    }
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::debug!(skipped, "sqlite watcher fell behind; replaying history");
                        self.replaying = true;
                    }
                    Err(RecvError::Closed) => return Err(StoreError::Closed),
                },
                () = tokio::time::sleep_until(self.next_progress) => {
                    // Take in what is already published, so that the progress
                    // revision is the latest one.
                    loop {
                        match self.context.live.try_recv() {
                            Ok(commit) => {
                                if let Some(batch) = self.filter(&commit) {
                                    return Ok(batch);
                                }
                            }
                            Err(TryRecvError::Empty) => {
                                return Ok(WatchBatch {
                                    revision: self.delivered,
                                    events: Vec::new(),
                                });
                            }
                            Err(TryRecvError::Lagged(_)) => {
                                self.replaying = true;
                                break;
                            }
                            Err(TryRecvError::Closed) => return Err(StoreError::Closed),
                        }
                    }
                }
            }
        }
    }

    /// The events of a live commit that this watcher has not seen, under its prefix.
    fn filter(&mut self, commit: &CommitBatch) -> Option<WatchBatch> {
        if commit.revision <= self.delivered {
            return None;
        }
        let events: Vec<Event> = commit
            .events
            .iter()
            .filter(|event| {
                event.revision() > self.delivered && self.bounds.contains(&event.kv.key)
            })
            .cloned()
            .collect();
        self.delivered = commit.revision;
        (!events.is_empty()).then(|| WatchBatch {
            revision: commit.revision,
            events,
        })
    }

    /// Reads the next chunk of history after `delivered`. `None` when there was
    /// nothing to deliver; replay ends once a chunk reaches the snapshot's revision.
    async fn replay_chunk(&mut self) -> Result<Option<WatchBatch>, StoreError> {
        let bounds = self.bounds.clone();
        let after = self.delivered;
        let limit = self.context.replay_batch.max(1);
        let (snapshot, events) = self
            .context
            .reads
            .run(move |conn| {
                let (current, compacted) = db::read_meta(conn)?;
                if after < compacted {
                    return Err(StoreError::Compacted {
                        requested: after,
                        compacted,
                    });
                }
                let events = db::history(conn, &bounds, after, current, limit)?;
                Ok((current, events))
            })
            .await?;
        let complete = events.len() < limit;
        let revision = match events.last() {
            Some(last) if !complete => last.revision(),
            _ => snapshot,
        };
        self.delivered = revision.max(self.delivered);
        if complete {
            self.replaying = false;
        }
        Ok((!events.is_empty()).then_some(WatchBatch { revision, events }))
    }
}

//! Watches on etcd: one gRPC watch stream per watch, with `prev_kv` and
//! progress notifications, turned into the store's [`WatchStream`].
//!
//! etcd itself guarantees that a watch started at `start_revision` delivers
//! every later event once and in order. What this module adds:
//! - it waits for etcd to confirm the watch, so the watch is in place when
//!   [`crate::Store::watch`] returns, and maps a compacted start to `Compacted`;
//! - it turns responses without events into progress batches. Those come from
//!   etcd's own periodic notifications (`progress_notify`, sent only to watchers
//!   that are up to date, so always truthful) and, when the server answers them
//!   correctly, from progress requests the watch sends after
//!   `progress_interval` without any batch (see `ProgressRequests`);
//! - it ends the stream with an error item when etcd cancels the watch (for
//!   example because the watcher fell behind a compaction).

use std::time::Duration;

use bytes::Bytes;
use etcd_client::{Client, EventType, WatchOptions, WatchResponse, WatchResponseStream};
use futures::StreamExt;
use tokio::time::Instant;

use super::key_value;
use crate::{Event, EventKind, KeyValue, Revision, StoreError, WatchBatch, WatchStream};

/// How a watch asks for progress.
#[derive(Clone, Copy, Debug)]
pub(super) struct Settings {
    pub progress_interval: Duration,
    pub request_progress: bool,
}

/// The watch id etcd gives progress responses that answer a progress request
/// on behalf of every watch of the stream.
const BROADCAST_WATCH_ID: i64 = -1;

/// Watches `[key, end)` from revision `after + 1` on.
pub(super) async fn watch(
    client: &Client,
    key: Vec<u8>,
    end: Vec<u8>,
    after: Revision,
    settings: Settings,
) -> Result<WatchStream, StoreError> {
    let options = WatchOptions::new()
        .with_range(end)
        .with_start_revision(after + 1)
        .with_prev_key()
        .with_progress_notify();
    let (sender, mut responses) = client
        .watch_client()
        .watch(key, Some(options))
        .await?
        .split();
    // etcd confirms the watch before anything else.
    loop {
        match responses.next().await {
            Some(Ok(response)) if response.created() => break,
            Some(Ok(response)) if response.canceled() => {
                return Err(cancelled(&response, after));
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(StoreError::Etcd(error)),
            None => return Err(StoreError::Closed),
        }
    }
    let watcher = Watcher {
        sender,
        responses,
        delivered: after,
        settings,
        next_progress: Instant::now() + settings.progress_interval,
        done: false,
    };
    Ok(futures::stream::unfold(watcher, |mut watcher| async move {
        let item = watcher.next().await?;
        Some((item, watcher))
    })
    .boxed())
}

struct Watcher {
    /// The request side, for progress requests; etcd ends the watch when it closes.
    sender: etcd_client::WatchRequestSender,
    responses: WatchResponseStream,
    /// Every change up to this revision has been delivered.
    delivered: Revision,
    settings: Settings,
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
            Ok(_) => self.next_progress = Instant::now() + self.settings.progress_interval,
        }
        Some(item)
    }

    async fn next_item(&mut self) -> Result<WatchBatch, StoreError> {
        loop {
            tokio::select! {
                response = self.responses.next() => {
                    let response = match response {
                        Some(Ok(response)) => response,
                        Some(Err(error)) => return Err(StoreError::Etcd(error)),
                        None => return Err(StoreError::Closed),
                    };
                    if let Some(batch) = self.handle(&response)? {
                        return Ok(batch);
                    }
                }
                () = tokio::time::sleep_until(self.next_progress), if self.settings.request_progress => {
                    self.next_progress = Instant::now() + self.settings.progress_interval;
                    self.sender.request_progress().await?;
                }
            }
        }
    }

    /// The batch a response stands for, if any.
    fn handle(&mut self, response: &WatchResponse) -> Result<Option<WatchBatch>, StoreError> {
        if response.canceled() {
            return Err(cancelled(response, self.delivered));
        }
        if response.created() {
            return Ok(None);
        }
        if response.events().is_empty() {
            // A progress notification. Answers to progress requests are only
            // trusted from servers that send them in order (see `ProgressRequests`).
            if response.watch_id() == BROADCAST_WATCH_ID && !self.settings.request_progress {
                return Ok(None);
            }
            let revision = response.header().map(|h| h.revision()).unwrap_or(0);
            if revision < self.delivered {
                return Ok(None);
            }
            self.delivered = revision;
            return Ok(Some(WatchBatch {
                revision,
                events: Vec::new(),
            }));
        }
        let mut events = Vec::with_capacity(response.events().len());
        for event in response.events() {
            let event = convert(event)?;
            if event.revision() <= self.delivered {
                // Already delivered; etcd never does this, but a duplicate
                // would break the contract, so it is dropped.
                continue;
            }
            self.delivered = event.revision();
            events.push(event);
        }
        if events.is_empty() {
            return Ok(None);
        }
        Ok(Some(WatchBatch {
            revision: self.delivered,
            events,
        }))
    }
}

/// The error for a watch etcd cancelled.
fn cancelled(response: &WatchResponse, delivered: Revision) -> StoreError {
    if response.compact_revision() > 0 {
        StoreError::Compacted {
            requested: delivered,
            compacted: response.compact_revision(),
        }
    } else {
        StoreError::Etcd(etcd_client::Error::WatchError(format!(
            "etcd cancelled the watch: {}",
            response.cancel_reason()
        )))
    }
}

fn convert(event: &etcd_client::Event) -> Result<Event, StoreError> {
    let Some(kv) = event.kv() else {
        return Err(StoreError::Etcd(etcd_client::Error::WatchError(
            "etcd sent an event without a key-value".to_string(),
        )));
    };
    let prev_kv = event.prev_kv().map(key_value).transpose()?;
    let kv = key_value(kv)?;
    Ok(match event.event_type() {
        EventType::Put => Event {
            kind: EventKind::Put,
            kv,
            prev_kv,
        },
        EventType::Delete => Event {
            kind: EventKind::Delete,
            kv: KeyValue {
                value: Bytes::new(),
                create_revision: 0,
                ..kv
            },
            prev_kv,
        },
    })
}

/// The oldest revision etcd still keeps, learned by watching from revision 1:
/// etcd cancels such a watch with the compacted revision if there is one. 0
/// when nothing is compacted (or etcd does not say within a second).
pub(super) async fn compacted_revision(client: &Client) -> Revision {
    let probe = async {
        let options = WatchOptions::new().with_start_revision(1);
        let (_sender, mut responses) = client
            .watch_client()
            .watch(vec![0], Some(options))
            .await
            .ok()?
            .split();
        while let Some(Ok(response)) = responses.next().await {
            if response.canceled() {
                return Some(response.compact_revision());
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(1), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
}

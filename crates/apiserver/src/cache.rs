//! The watch cache: every object of the store held in memory, fed by one store
//! watch over the whole registry prefix.
//!
//! It serves LIST, GET with `resourceVersion=0` and every WATCH, so that a thousand
//! watchers cost one store watch (upstream's cacher). It keeps a window of recent
//! events so a watch from a recent resourceVersion replays what happened since;
//! older ones get 410 Gone. Watchers receive events through one broadcast channel,
//! and each event is encoded once for all of them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use store::{EventKind, KeyValue, RangeRequest, Revision, Store, StoreError};
use tokio::sync::{broadcast, watch};

use crate::codec;

/// The root of every key the API server writes.
pub const REGISTRY_PREFIX: &str = "/registry/";

/// Sizes of the cache.
#[derive(Clone, Debug)]
pub struct Config {
    /// At most this many recent events are kept for watches that start in
    /// the past.
    pub event_window: usize,
    /// Events older than this are dropped (upstream's watch cache keeps
    /// about 75 s of history, `eventFreshDuration`) ...
    pub event_max_age: Duration,
    /// ... except the newest `event_min` of them.
    pub event_min: usize,
    /// How many events a slow watcher may fall behind before it is closed.
    pub broadcast_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            event_window: 50_000,
            event_max_age: Duration::from_secs(75),
            event_min: 1_000,
            broadcast_capacity: 100_000,
        }
    }
}

/// An object as cached: the decoded value (with `resourceVersion` set) and its
/// JSON encoding, made once on first use.
#[derive(Debug)]
pub struct CachedObject {
    pub value: Value,
    json: OnceLock<Bytes>,
}

impl CachedObject {
    pub fn new(value: Value) -> Arc<Self> {
        Arc::new(CachedObject {
            value,
            json: OnceLock::new(),
        })
    }

    /// The object as JSON.
    pub fn json(&self) -> &Bytes {
        self.json
            .get_or_init(|| Bytes::from(serde_json::to_vec(&self.value).unwrap_or_default()))
    }
}

/// The type of a watch event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One change of one object.
#[derive(Debug)]
pub struct CacheEvent {
    pub revision: Revision,
    /// The resource prefix of the key ("/registry/core/pods/").
    pub prefix: String,
    pub key: String,
    pub event_type: WatchEventType,
    /// The new object; for a deletion the last state, with the deletion's
    /// resourceVersion.
    pub object: Arc<CachedObject>,
    /// The object before the change, if it existed.
    pub prev: Option<Arc<CachedObject>>,
    /// The event's watch line as it is, encoded once for every watcher.
    line: OnceLock<Bytes>,
    /// When the cache received it.
    received: std::time::Instant,
}

impl CacheEvent {
    fn new(
        revision: Revision,
        prefix: String,
        key: String,
        event_type: WatchEventType,
        object: Arc<CachedObject>,
        prev: Option<Arc<CachedObject>>,
    ) -> Self {
        CacheEvent {
            revision,
            prefix,
            key,
            event_type,
            object,
            prev,
            line: OnceLock::new(),
            received: std::time::Instant::now(),
        }
    }

    /// The encoded watch line, made by `encode` on first use.
    pub fn line(&self, encode: impl FnOnce() -> Bytes) -> &Bytes {
        self.line.get_or_init(encode)
    }
}

/// The state behind the lock.
struct State {
    /// Every event up to and including this revision has been applied.
    revision: Revision,
    /// Objects by resource prefix, then by key.
    resources: HashMap<String, BTreeMap<String, Arc<CachedObject>>>,
    /// Recent events, oldest first.
    events: VecDeque<Arc<CacheEvent>>,
    /// Every event after this revision is in `events`.
    window_start: Revision,
    sender: broadcast::Sender<Arc<CacheEvent>>,
}

/// The cache. Cheap to share behind an `Arc`.
pub struct Cache {
    state: RwLock<State>,
    revision: watch::Sender<Revision>,
    config: Config,
}

/// What a watch starts with: the events to send first, then a receiver of live
/// events (all with revisions after the last initial one).
pub struct Subscription {
    pub initial: Vec<Arc<CacheEvent>>,
    pub revision: Revision,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
}

/// Why a watch cannot start where asked.
#[derive(Debug, PartialEq, Eq)]
pub struct TooOld {
    pub requested: Revision,
    pub oldest: Revision,
}

/// The resource prefix of a key: `/registry/{group}/{resource}/`.
pub fn resource_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(REGISTRY_PREFIX)?;
    let group_end = rest.find('/')?;
    let resource_end = rest[group_end + 1..].find('/')?;
    Some(&key[..REGISTRY_PREFIX.len() + group_end + 1 + resource_end + 1])
}

impl Cache {
    pub fn new(config: Config) -> Arc<Self> {
        let (sender, _) = broadcast::channel(config.broadcast_capacity.max(16));
        Arc::new(Cache {
            state: RwLock::new(State {
                revision: 0,
                resources: HashMap::new(),
                events: VecDeque::new(),
                window_start: 0,
                sender,
            }),
            revision: watch::channel(0).0,
            config,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The revision the cache has caught up to.
    pub fn revision(&self) -> Revision {
        *self.revision.borrow()
    }

    /// Waits until the cache has caught up to `revision`, at most `timeout`.
    pub async fn wait_for(&self, revision: Revision, timeout: Duration) -> bool {
        let mut receiver = self.revision.subscribe();
        tokio::time::timeout(timeout, receiver.wait_for(|current| *current >= revision))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false)
    }

    /// One object, by key.
    pub fn get(&self, key: &str) -> (Option<Arc<CachedObject>>, Revision) {
        let state = self.read();
        let object = resource_prefix(key)
            .and_then(|prefix| state.resources.get(prefix))
            .and_then(|objects| objects.get(key).cloned());
        (object, state.revision)
    }

    /// Objects whose key starts with `prefix` (a resource prefix, or one narrowed
    /// to a namespace), in key order, from `start` (inclusive) on, keeping those
    /// `keep` accepts, at most `limit` (0 = all). Returns them, whether more
    /// follow, and the revision they were read at.
    pub fn list(
        &self,
        prefix: &str,
        start: Option<&str>,
        limit: usize,
        keep: impl Fn(&CachedObject) -> bool,
    ) -> (Vec<Arc<CachedObject>>, bool, Revision) {
        let state = self.read();
        let mut out = Vec::new();
        let mut more = false;
        if let Some(objects) = resource_prefix(prefix).and_then(|p| state.resources.get(p)) {
            let from = start.unwrap_or(prefix).to_string();
            for (key, object) in objects.range(from..) {
                if !key.starts_with(prefix) {
                    break;
                }
                if !keep(object) {
                    continue;
                }
                if limit > 0 && out.len() == limit {
                    more = true;
                    break;
                }
                out.push(object.clone());
            }
        }
        (out, more, state.revision)
    }

    /// How many objects under `prefix` sort after the key `after`.
    pub fn count_after(&self, prefix: &str, after: &str) -> usize {
        let state = self.read();
        resource_prefix(prefix)
            .and_then(|p| state.resources.get(p))
            .map(|objects| {
                objects
                    .range(format!("{after}\0")..)
                    .take_while(|(key, _)| key.starts_with(prefix))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Starts a watch of the resource `prefix`. With `after` = `None`, the initial
    /// events are the current objects as ADDED; with `Some(rv)`, the recorded
    /// events after `rv` (or `TooOld`).
    pub fn subscribe(&self, prefix: &str, after: Option<Revision>) -> Result<Subscription, TooOld> {
        let state = self.read();
        let live = state.sender.subscribe();
        let resource = resource_prefix(prefix).unwrap_or(prefix);
        let initial = match after {
            None => state
                .resources
                .get(resource)
                .map(|objects| {
                    objects
                        .range(prefix.to_string()..)
                        .take_while(|(key, _)| key.starts_with(prefix))
                        .map(|(key, object)| {
                            Arc::new(CacheEvent::new(
                                codec::resource_version(&object.value),
                                resource.to_string(),
                                key.clone(),
                                WatchEventType::Added,
                                object.clone(),
                                None,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(after) if after >= state.revision => Vec::new(),
            Some(after) if after >= state.window_start => {
                let skip = state.events.partition_point(|e| e.revision <= after);
                state
                    .events
                    .iter()
                    .skip(skip)
                    .filter(|e| e.key.starts_with(prefix))
                    .cloned()
                    .collect()
            }
            Some(after) => {
                return Err(TooOld {
                    requested: after,
                    oldest: state.window_start + 1,
                })
            }
        };
        Ok(Subscription {
            initial,
            revision: state.revision,
            live,
        })
    }

    /// Replaces the whole content (after a list of the store at `revision`).
    /// Watchers of the old content are disconnected: they must start again.
    fn reset(&self, revision: Revision, kvs: Vec<KeyValue>) {
        let mut resources: HashMap<String, BTreeMap<String, Arc<CachedObject>>> = HashMap::new();
        for kv in kvs {
            let Some(prefix) = resource_prefix(&kv.key) else {
                continue;
            };
            match codec::decode_stored(&kv.value, kv.mod_revision) {
                Ok(value) => {
                    resources
                        .entry(prefix.to_string())
                        .or_default()
                        .insert(kv.key, CachedObject::new(value));
                }
                Err(error) => tracing::error!(key = %kv.key, %error, "skipping undecodable object"),
            }
        }
        let mut state = self.write();
        let (sender, _) = broadcast::channel(self.config.broadcast_capacity.max(16));
        *state = State {
            revision,
            resources,
            events: VecDeque::new(),
            window_start: revision,
            sender,
        };
        drop(state);
        self.revision.send_replace(revision);
    }

    /// Applies one batch of store events.
    fn apply(&self, batch: store::WatchBatch) {
        let mut state = self.write();
        for event in batch.events {
            let revision = event.revision();
            if revision <= state.revision {
                continue;
            }
            let key = event.kv.key.clone();
            let Some(prefix) = resource_prefix(&key).map(str::to_string) else {
                continue;
            };
            let objects = state.resources.entry(prefix.clone()).or_default();
            let prev = objects.get(&key).cloned();
            let cache_event = match event.kind {
                EventKind::Put => {
                    let value = match codec::decode_stored(&event.kv.value, revision) {
                        Ok(value) => value,
                        Err(error) => {
                            tracing::error!(%key, %error, "skipping undecodable object");
                            continue;
                        }
                    };
                    let object = CachedObject::new(value);
                    objects.insert(key.clone(), object.clone());
                    let event_type = if prev.is_some() {
                        WatchEventType::Modified
                    } else {
                        WatchEventType::Added
                    };
                    CacheEvent::new(revision, prefix, key, event_type, object, prev)
                }
                EventKind::Delete => {
                    objects.remove(&key);
                    let last = match (&prev, &event.prev_kv) {
                        (Some(prev), _) => Some(prev.value.clone()),
                        (None, Some(kv)) => codec::decode_stored(&kv.value, kv.mod_revision).ok(),
                        (None, None) => None,
                    };
                    let Some(mut last) = last else { continue };
                    codec::set_resource_version(&mut last, revision);
                    CacheEvent::new(
                        revision,
                        prefix,
                        key,
                        WatchEventType::Deleted,
                        CachedObject::new(last),
                        prev,
                    )
                }
            };
            let cache_event = Arc::new(cache_event);
            state.events.push_back(cache_event.clone());
            self.trim(&mut state);
            // No receivers is fine: nobody watches.
            let _ = state.sender.send(cache_event);
            state.revision = revision;
        }
        if batch.revision > state.revision {
            state.revision = batch.revision;
        }
        let revision = state.revision;
        drop(state);
        self.revision.send_if_modified(|current| {
            if *current < revision {
                *current = revision;
                true
            } else {
                false
            }
        });
    }

    /// Drops the events beyond the window's size or age. Each event holds
    /// its object (and the one before), so the window is most of the
    /// memory the cache takes beyond the objects themselves.
    fn trim(&self, state: &mut State) {
        while state.events.len() > self.config.event_min {
            let too_many = state.events.len() > self.config.event_window;
            let too_old = state
                .events
                .front()
                .is_some_and(|e| e.received.elapsed() > self.config.event_max_age);
            if !too_many && !too_old {
                break;
            }
            if let Some(oldest) = state.events.pop_front() {
                state.window_start = oldest.revision;
            }
        }
    }

    /// Fills the cache from the store and keeps it current until `shutdown` fires.
    /// Returns after the first fill completes through `ready`.
    pub async fn run(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        ready: tokio::sync::oneshot::Sender<()>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut ready = Some(ready);
        loop {
            match self
                .fill_and_follow(&store, &mut ready, &mut shutdown)
                .await
            {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "watch cache lost its store watch; relisting");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    }

    async fn fill_and_follow(
        &self,
        store: &Arc<dyn Store>,
        ready: &mut Option<tokio::sync::oneshot::Sender<()>>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        use futures::StreamExt;
        let (revision, kvs) = list_all(store.as_ref(), REGISTRY_PREFIX).await?;
        let mut stream = store.watch(REGISTRY_PREFIX, revision).await?;
        self.reset(revision, kvs);
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        // Old events also go when nothing is written.
        let mut trim = tokio::time::interval(Duration::from_secs(5));
        trim.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(batch)) => self.apply(batch),
                    Some(Err(error)) => return Err(error),
                    None => return Err(StoreError::Closed),
                },
                _ = trim.tick() => self.trim(&mut self.write()),
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }
}

/// Reads every key under `prefix` at one revision, in pages.
pub async fn list_all(
    store: &dyn Store,
    prefix: &str,
) -> Result<(Revision, Vec<KeyValue>), StoreError> {
    let mut out = Vec::new();
    let mut request = RangeRequest {
        prefix: prefix.to_string(),
        limit: 10_000,
        ..RangeRequest::default()
    };
    loop {
        let page = store.range(request.clone()).await?;
        request.revision = page.revision;
        let more = page.more;
        if let Some(last) = page.kvs.last() {
            request.start_key = Some(format!("{}\0", last.key));
        }
        out.extend(page.kvs);
        if !more {
            return Ok((request.revision, out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_keys() {
        assert_eq!(
            resource_prefix("/registry/core/pods/ns/a"),
            Some("/registry/core/pods/")
        );
        assert_eq!(
            resource_prefix("/registry/core/nodes/n1"),
            Some("/registry/core/nodes/")
        );
        assert_eq!(
            resource_prefix("/registry/core/pods/"),
            Some("/registry/core/pods/")
        );
        assert_eq!(resource_prefix("/other/x"), None);
    }

    fn put(revision: Revision, name: &str) -> store::Event {
        let value = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "d"},
        });
        store::Event {
            kind: EventKind::Put,
            kv: KeyValue {
                key: format!("/registry/core/configmaps/d/{name}"),
                value: Bytes::from(serde_json::to_vec(&value).unwrap()),
                create_revision: revision,
                mod_revision: revision,
            },
            prev_kv: None,
        }
    }

    #[test]
    fn the_event_window_is_bounded_by_size_and_age() {
        let prefix = "/registry/core/configmaps/";
        let cache = Cache::new(Config {
            event_window: 4,
            event_max_age: Duration::from_secs(3600),
            event_min: 2,
            ..Config::default()
        });
        cache.reset(1, Vec::new());
        for revision in 2..=7 {
            cache.apply(store::WatchBatch {
                revision,
                events: vec![put(revision, &format!("c{revision}"))],
            });
        }
        // Four events kept (4..=7): a watch from 3 replays them, from 2 is too old.
        assert_eq!(
            cache
                .subscribe(prefix, Some(3))
                .map(|s| s.initial.len())
                .ok(),
            Some(4)
        );
        assert!(cache.subscribe(prefix, Some(2)).is_err());

        let cache = Cache::new(Config {
            event_window: 100,
            event_max_age: Duration::ZERO,
            event_min: 2,
            ..Config::default()
        });
        cache.reset(1, Vec::new());
        for revision in 2..=7 {
            cache.apply(store::WatchBatch {
                revision,
                events: vec![put(revision, &format!("c{revision}"))],
            });
        }
        // Every event is too old, but the newest two stay.
        assert_eq!(
            cache
                .subscribe(prefix, Some(5))
                .map(|s| s.initial.len())
                .ok(),
            Some(2)
        );
        assert!(cache.subscribe(prefix, Some(4)).is_err());
    }
}

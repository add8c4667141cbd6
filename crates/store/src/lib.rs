//! Revisioned key-value store with watch: the contract the API server relies on.
//!
//! The model is etcd v3's. The whole store has one revision counter that grows by
//! one with every committed write (create, update or delete). Every key remembers
//! the revision that created it (`create_revision`) and the revision that last
//! changed it (`mod_revision`); the API server turns `mod_revision` into an
//! object's `resourceVersion`, and compares on it for optimistic concurrency.
//!
//! Two backends implement [`Store`]:
//! - [`sqlite::SqliteStore`], the embedded default: one SQLite file, writes grouped
//!   into shared transactions, acknowledged only once the transaction is durable;
//! - [`etcd::EtcdStore`], a real etcd cluster through the etcd v3 gRPC API.
//!
//! Both run the same conformance suite (`testing`, behind the `test-util`
//! feature), so the API server never needs to know which one it has.
//! [`etcd_server`] starts real etcd members on loopback, for tests and benchmarks.
//!
//! Only the `apiserver` crate may depend on this crate (see ARCHITECTURE.md).

pub mod etcd;
pub mod etcd_server;
pub mod sqlite;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

/// A revision of the whole store. Revisions start at 1 for an empty store and
/// grow by exactly one per committed write.
pub type Revision = i64;

/// One key and the value it holds at some revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// The revision of the write that created this key (since its last deletion).
    pub create_revision: Revision,
    /// The revision of the write that last changed this key.
    pub mod_revision: Revision,
}

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The key was created or updated.
    Put,
    /// The key was deleted.
    Delete,
}

/// One change, as delivered by a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// For `Put`, the new key-value. For `Delete`, the key with an empty value,
    /// `mod_revision` set to the revision of the delete and `create_revision` 0.
    pub kv: KeyValue,
    /// The key-value before this change, when the key existed. Always present for
    /// `Delete` and for a `Put` that updated an existing key.
    pub prev_kv: Option<KeyValue>,
}

impl Event {
    /// The revision at which this change was committed.
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// A batch of changes delivered by a watch, all committed at or before `revision`.
///
/// A batch with no events is a progress notification: every change under the
/// watched prefix up to and including `revision` has been delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchBatch {
    pub revision: Revision,
    pub events: Vec<Event>,
}

/// The stream a watch returns. It ends with an error item (and then `None`) if the
/// backend can no longer deliver every change, for example because the watcher fell
/// behind a compaction; the caller must then re-list and watch again.
pub type WatchStream = BoxStream<'static, Result<WatchBatch, StoreError>>;

/// Reading a range of keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeRequest {
    /// Keys that start with this prefix are in the range.
    pub prefix: String,
    /// Start at this key (inclusive) instead of the prefix's first key; it must start
    /// with `prefix`. Continuation uses the last key returned plus `"\0"`.
    pub start_key: Option<String>,
    /// At most this many keys (0 means no limit).
    pub limit: usize,
    /// Read at this revision instead of the latest (0 means latest).
    pub revision: Revision,
}

/// The answer to a [`RangeRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResponse {
    /// The key-values in key order (byte order of the keys).
    pub kvs: Vec<KeyValue>,
    /// True if the limit cut the range short: more keys follow the last one returned.
    pub more: bool,
    /// The number of keys from the start key to the end of the prefix at `revision`,
    /// including those returned (so `count - kvs.len()` keys remain).
    pub count: i64,
    /// The revision the range was read at.
    pub revision: Revision,
}

/// The answer to a get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetResponse {
    pub kv: Option<KeyValue>,
    /// The revision the key was read at.
    pub revision: Revision,
}

/// The answer to a successful delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteResponse {
    /// The revision of the delete.
    pub revision: Revision,
    /// The key-value that was deleted.
    pub prev_kv: KeyValue,
}

/// Errors of every backend. Conflicts and absences are ordinary outcomes that the
/// API server maps to 409 and 404; the rest are failures of the backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key {key} already exists")]
    AlreadyExists { key: String },
    #[error("key {key} not found")]
    NotFound { key: String },
    /// The key's `mod_revision` differs from the expected one. `current` is the
    /// key-value as it is now (`None` if it no longer exists).
    #[error("key {key} was modified: expected mod revision {expected}")]
    Conflict {
        key: String,
        expected: Revision,
        current: Option<Box<KeyValue>>,
    },
    /// The requested revision is older than the oldest one still kept.
    #[error("revision {requested} has been compacted (oldest kept is {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    /// The requested revision has not been written yet.
    #[error("revision {requested} is in the future (current is {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("etcd: {0}")]
    Etcd(#[from] etcd_client::Error),
    #[error("io on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The backend is shutting down or its worker stopped.
    #[error("store is closed")]
    Closed,
}

/// Result of every store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A revisioned key-value store with watch, with etcd v3 semantics.
///
/// Every write that returns `Ok` is durable: it survives a crash of the process
/// (and, for etcd, of a minority of the cluster).
///
/// Keys must not be empty (`InvalidRequest`), as in etcd.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The current revision of the whole store.
    async fn current_revision(&self) -> Result<Revision>;

    /// Reads one key, at the latest revision or at `revision` when it is not 0.
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse>;

    /// Creates `key` if it does not exist; `AlreadyExists` otherwise.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue>;

    /// Replaces the value of `key` if its `mod_revision` is `expected_mod_revision`;
    /// `NotFound` if it does not exist, `Conflict` if it was modified.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue>;

    /// Deletes `key`, if `expected_mod_revision` is `Some`, only when its
    /// `mod_revision` matches; `NotFound` if it does not exist, `Conflict` if it
    /// was modified.
    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<DeleteResponse>;

    /// Reads keys under a prefix in key order, consistent at one revision.
    async fn range(&self, request: RangeRequest) -> Result<RangeResponse>;

    /// The number of keys under a prefix at the latest revision.
    async fn count(&self, prefix: &str) -> Result<i64>;

    /// Watches every change under `prefix` committed after revision `after`, each
    /// exactly once and in revision order. `after` = 0 means from now on.
    /// `Compacted` if changes after `after` are no longer kept, that is if `after`
    /// is below the compacted revision; `FutureRevision` if `after` is above the
    /// current revision. An idle watch yields a progress batch about once a second.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;

    /// Forgets the history before `revision`: reads and watches at older
    /// revisions fail with `Compacted`. The latest value of every key is kept.
    /// Compacting at or below the compacted revision does nothing;
    /// `FutureRevision` if `revision` is above the current revision.
    async fn compact(&self, revision: Revision) -> Result<()>;
}

/// The end of the key range that holds every key starting with `prefix`, as etcd
/// computes it: the prefix with its last byte incremented (trailing 0xff bytes dropped).
pub fn prefix_range_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // An empty prefix (or all 0xff) means "every key": etcd spells that as "\0".
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_end_of_prefix() {
        assert_eq!(
            prefix_range_end("/registry/pods/"),
            b"/registry/pods0".to_vec()
        );
        assert_eq!(prefix_range_end("a"), b"b".to_vec());
        assert_eq!(prefix_range_end(""), vec![0]);
    }
}

//! The etcd v3 backend: the [`Store`] contract over a real etcd cluster.
//!
//! Start with [`EtcdStore::connect`]. Every operation maps onto one etcd
//! request, so etcd's guarantees carry over unchanged (linearizable reads,
//! writes acknowledged once a quorum has them):
//! - create: `txn(create_revision(key) == 0) { put }`;
//! - update: `txn(mod_revision(key) == expected && version(key) > 0) { put } else { get }`,
//!   the `get` telling `NotFound` from `Conflict` (with the current value);
//! - delete: the same shape with `delete(prev_kv)`;
//! - range and count: one range request (limit, revision, count);
//! - watch: one gRPC watch stream per watch, see `etcd/watch.rs`;
//! - compact: a physical compaction.
//!
//! Keys are used as they are (no prefix is added); give each cluster to one rkube.

mod watch;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, CompactionOptions, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions,
    PutOptions, Txn, TxnOp, TxnOpResponse, TxnResponse,
};

use crate::{
    prefix_range_end, DeleteResponse, GetResponse, KeyValue, RangeRequest, RangeResponse, Result,
    Revision, Store, StoreError, WatchStream,
};

/// When to ask etcd for watch progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressRequests {
    /// Ask only servers known to answer progress requests correctly: etcd
    /// 3.4.31+, 3.5.13+ and 3.6+ (the versions Kubernetes requires for
    /// `ConsistentListFromCache`). Older servers may answer a progress request
    /// with a revision whose events they have not sent yet (etcd issue 15220),
    /// so with them only etcd's own periodic notifications are used; run such
    /// servers with `--experimental-watch-progress-notify-interval=1s`.
    #[default]
    Auto,
    /// Always ask, whatever the server version.
    Always,
    /// Never ask; rely on the server's periodic notifications.
    Never,
}

/// Settings of the etcd client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long to wait for a connection to an endpoint. Default 5 s.
    pub connect_timeout: Duration,
    /// HTTP/2 keep-alive ping interval, so a dead connection is noticed.
    /// Default 10 s.
    pub keep_alive_interval: Duration,
    /// How long a keep-alive ping may go unanswered. Default 5 s.
    pub keep_alive_timeout: Duration,
    /// How long a watch may be idle before it asks etcd for progress. Default
    /// 1 s, as often as the SQLite backend sends progress batches.
    pub progress_interval: Duration,
    /// Whether idle watches ask etcd for progress. Default [`ProgressRequests::Auto`].
    pub progress_requests: ProgressRequests,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(5),
            keep_alive_interval: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            progress_interval: Duration::from_secs(1),
            progress_requests: ProgressRequests::Auto,
        }
    }
}

impl Config {
    #[must_use]
    pub fn with_progress_requests(mut self, progress_requests: ProgressRequests) -> Self {
        self.progress_requests = progress_requests;
        self
    }

    #[must_use]
    pub fn with_progress_interval(mut self, progress_interval: Duration) -> Self {
        self.progress_interval = progress_interval;
        self
    }

    /// Checks that every duration is usable.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("keep_alive_interval", self.keep_alive_interval),
            ("keep_alive_timeout", self.keep_alive_timeout),
            ("progress_interval", self.progress_interval),
        ] {
            if value.is_zero() {
                return Err(StoreError::InvalidRequest(format!(
                    "etcd config {name} must be positive"
                )));
            }
        }
        Ok(())
    }
}

/// A store on an etcd cluster. Cloning shares the connection.
#[derive(Clone)]
pub struct EtcdStore {
    client: Client,
    config: Config,
    /// Whether idle watches send progress requests (see [`ProgressRequests`]).
    request_progress: bool,
    server_version: String,
}

impl EtcdStore {
    /// Connects to the cluster at `endpoints` (such as `http://127.0.0.1:2379`)
    /// and checks that it answers.
    pub async fn connect(endpoints: &[String], config: Config) -> Result<EtcdStore> {
        config.validate()?;
        if endpoints.is_empty() {
            return Err(StoreError::InvalidRequest("no etcd endpoints".to_string()));
        }
        let options = ConnectOptions::new()
            .with_connect_timeout(config.connect_timeout)
            .with_keep_alive(config.keep_alive_interval, config.keep_alive_timeout);
        let mut client = Client::connect(endpoints, Some(options)).await?;
        let status = client.status().await?;
        let server_version = status.version().to_string();
        let request_progress = match config.progress_requests {
            ProgressRequests::Always => true,
            ProgressRequests::Never => false,
            ProgressRequests::Auto => progress_requests_are_safe(&server_version),
        };
        if !request_progress {
            tracing::info!(
                version = %server_version,
                "etcd watches rely on the server's progress notifications \
                 (--experimental-watch-progress-notify-interval)"
            );
        }
        Ok(EtcdStore {
            client,
            config,
            request_progress,
            server_version,
        })
    }

    /// The version the server reported when connecting, such as `3.4.23`.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// Whether idle watches ask the server for progress (see [`ProgressRequests`]).
    pub fn requests_progress(&self) -> bool {
        self.request_progress
    }

    /// Turns an etcd error of a read at `requested` into the store's error.
    async fn read_error(&self, error: etcd_client::Error, requested: Revision) -> StoreError {
        match classify(&error) {
            Some(ServerError::Compacted) => StoreError::Compacted {
                requested,
                compacted: watch::compacted_revision(&self.client).await,
            },
            Some(ServerError::FutureRevision) => StoreError::FutureRevision {
                requested,
                current: self.current_revision().await.unwrap_or(0),
            },
            None => StoreError::Etcd(error),
        }
    }

    async fn txn(&self, txn: Txn) -> Result<(TxnResponse, Revision)> {
        let response = self.client.kv_client().txn(txn).await?;
        let revision = response.header().map(|h| h.revision()).unwrap_or(0);
        Ok((response, revision))
    }

    /// Why a compare failed: the key is gone, or it holds something else.
    fn failed_compare(response: &TxnResponse, key: &str, expected: Revision) -> StoreError {
        let current = response.op_responses().into_iter().find_map(|op| match op {
            TxnOpResponse::Get(get) => get.kvs().first().cloned(),
            _ => None,
        });
        match current {
            None => StoreError::NotFound {
                key: key.to_string(),
            },
            Some(kv) => match key_value(&kv) {
                Ok(current) => StoreError::Conflict {
                    key: key.to_string(),
                    expected,
                    current: Some(Box::new(current)),
                },
                Err(error) => error,
            },
        }
    }
}

/// Whether a server of this version answers progress requests only once it has
/// sent every event up to the announced revision.
fn progress_requests_are_safe(version: &str) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|part| part.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    match (major, minor) {
        (3, 4) => patch >= 31,
        (3, 5) => patch >= 13,
        (3, minor) => minor >= 6,
        (major, _) => major > 3,
    }
}

/// The etcd server errors the store distinguishes.
#[derive(Debug, PartialEq, Eq)]
enum ServerError {
    Compacted,
    FutureRevision,
}

fn classify(error: &etcd_client::Error) -> Option<ServerError> {
    let etcd_client::Error::GRpcStatus(status) = error else {
        return None;
    };
    let message = status.message();
    if message.contains("required revision has been compacted") {
        Some(ServerError::Compacted)
    } else if message.contains("required revision is a future revision") {
        Some(ServerError::FutureRevision)
    } else {
        None
    }
}

/// Converts an etcd key-value, whose key must be UTF-8.
fn key_value(kv: &etcd_client::KeyValue) -> Result<KeyValue> {
    let key = std::str::from_utf8(kv.key())
        .map_err(|error| StoreError::Etcd(etcd_client::Error::Utf8Error(error)))?;
    Ok(KeyValue {
        key: key.to_string(),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    })
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(StoreError::InvalidRequest(
            "key must not be empty".to_string(),
        ));
    }
    Ok(())
}

/// The first key and the range end of `prefix` as etcd spells them; the empty
/// prefix is every key (`"\0"` to `"\0"`).
fn prefix_range(prefix: &str, start: Option<&str>) -> (Vec<u8>, Vec<u8>) {
    let start = start.unwrap_or(prefix);
    let key = if start.is_empty() {
        vec![0]
    } else {
        start.as_bytes().to_vec()
    };
    (key, prefix_range_end(prefix))
}

#[async_trait]
impl Store for EtcdStore {
    async fn current_revision(&self) -> Result<Revision> {
        let response = self
            .client
            .kv_client()
            .get(vec![0], Some(GetOptions::new().with_count_only()))
            .await?;
        Ok(response.header().map(|h| h.revision()).unwrap_or(0))
    }

    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        check_key(key)?;
        let options = GetOptions::new().with_revision(revision);
        let response = match self.client.kv_client().get(key, Some(options)).await {
            Ok(response) => response,
            Err(error) => return Err(self.read_error(error, revision).await),
        };
        let kv = response.kvs().first().map(key_value).transpose()?;
        let current = response.header().map(|h| h.revision()).unwrap_or(0);
        Ok(GetResponse {
            kv,
            revision: if revision == 0 { current } else { revision },
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        check_key(key)?;
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value.to_vec(), None)]);
        let (response, revision) = self.txn(txn).await?;
        if !response.succeeded() {
            return Err(StoreError::AlreadyExists {
                key: key.to_string(),
            });
        }
        Ok(KeyValue {
            key: key.to_string(),
            value,
            create_revision: revision,
            mod_revision: revision,
        })
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue> {
        check_key(key)?;
        let txn = Txn::new()
            .when([
                Compare::mod_revision(key, CompareOp::Equal, expected_mod_revision),
                Compare::version(key, CompareOp::Greater, 0),
            ])
            .and_then([TxnOp::put(
                key,
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let (response, revision) = self.txn(txn).await?;
        if !response.succeeded() {
            return Err(Self::failed_compare(&response, key, expected_mod_revision));
        }
        let create_revision = response
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Put(put) => put.prev_key().map(|prev| prev.create_revision()),
                _ => None,
            })
            .unwrap_or(0);
        Ok(KeyValue {
            key: key.to_string(),
            value,
            create_revision,
            mod_revision: revision,
        })
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<DeleteResponse> {
        check_key(key)?;
        let mut compares = vec![Compare::version(key, CompareOp::Greater, 0)];
        if let Some(expected) = expected_mod_revision {
            compares.push(Compare::mod_revision(key, CompareOp::Equal, expected));
        }
        let txn = Txn::new()
            .when(compares)
            .and_then([TxnOp::delete(
                key,
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let (response, revision) = self.txn(txn).await?;
        if !response.succeeded() {
            let expected = expected_mod_revision.unwrap_or(0);
            return Err(Self::failed_compare(&response, key, expected));
        }
        let prev_kv = response.op_responses().into_iter().find_map(|op| match op {
            TxnOpResponse::Delete(delete) => delete.prev_kvs().first().cloned(),
            _ => None,
        });
        let Some(prev_kv) = prev_kv else {
            // The compare saw the key, so etcd deleted it; it must say what it was.
            return Err(StoreError::Etcd(etcd_client::Error::InvalidArgs(format!(
                "etcd deleted {key} without returning its previous value"
            ))));
        };
        Ok(DeleteResponse {
            revision,
            prev_kv: key_value(&prev_kv)?,
        })
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
        let (key, end) = prefix_range(&request.prefix, request.start_key.as_deref());
        let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
        let options = GetOptions::new()
            .with_range(end)
            .with_limit(limit)
            .with_revision(request.revision);
        let response = match self.client.kv_client().get(key, Some(options)).await {
            Ok(response) => response,
            Err(error) => return Err(self.read_error(error, request.revision).await),
        };
        let kvs = response
            .kvs()
            .iter()
            .map(key_value)
            .collect::<Result<Vec<_>>>()?;
        let current = response.header().map(|h| h.revision()).unwrap_or(0);
        Ok(RangeResponse {
            kvs,
            more: response.more(),
            count: response.count(),
            revision: if request.revision == 0 {
                current
            } else {
                request.revision
            },
        })
    }

    async fn count(&self, prefix: &str) -> Result<i64> {
        let (key, end) = prefix_range(prefix, None);
        let options = GetOptions::new().with_range(end).with_count_only();
        let response = self.client.kv_client().get(key, Some(options)).await?;
        Ok(response.count())
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        if after < 0 {
            return Err(StoreError::InvalidRequest(format!(
                "negative revision {after}"
            )));
        }
        // Read at `after` first: it fails exactly as a read would (compacted or
        // future), and for a watch from now it names the revision to start after.
        let (key, end) = prefix_range(prefix, None);
        let options = GetOptions::new()
            .with_range(end.clone())
            .with_count_only()
            .with_revision(after);
        let start_after = match self
            .client
            .kv_client()
            .get(key.clone(), Some(options))
            .await
        {
            Ok(response) if after == 0 => response.header().map(|h| h.revision()).unwrap_or(0),
            Ok(_) => after,
            Err(error) => return Err(self.read_error(error, after).await),
        };
        let settings = watch::Settings {
            progress_interval: self.config.progress_interval,
            request_progress: self.request_progress,
        };
        watch::watch(&self.client, key, end, start_after, settings).await
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        if revision < 1 {
            return Err(StoreError::InvalidRequest(format!(
                "cannot compact at revision {revision}"
            )));
        }
        let options = CompactionOptions::new().with_physical();
        match self
            .client
            .kv_client()
            .compact(revision, Some(options))
            .await
        {
            Ok(_) => Ok(()),
            // Compacting at or below the compacted revision does nothing, as in SQLite.
            Err(error) => match classify(&error) {
                Some(ServerError::Compacted) => Ok(()),
                Some(ServerError::FutureRevision) => Err(StoreError::FutureRevision {
                    requested: revision,
                    current: self.current_revision().await.unwrap_or(0),
                }),
                None => Err(StoreError::Etcd(error)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_requests_are_trusted_from_fixed_versions() {
        let cases = [
            ("3.4.23", false),
            ("3.4.31", true),
            ("3.5.12", false),
            ("3.5.13", true),
            ("3.6.0", true),
            ("3.6.0-rc.1", true),
            ("4.0.0", true),
            ("3.3.27", false),
            ("garbage", false),
        ];
        for (version, expected) in cases {
            assert_eq!(progress_requests_are_safe(version), expected, "{version}");
        }
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(
            prefix_range("/a/", None),
            (b"/a/".to_vec(), b"/a0".to_vec())
        );
        assert_eq!(prefix_range("", None), (vec![0], vec![0]));
        assert_eq!(
            prefix_range("/a/", Some("/a/b\0")),
            (b"/a/b\0".to_vec(), b"/a0".to_vec())
        );
    }
}

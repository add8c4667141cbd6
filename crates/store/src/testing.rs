//! The conformance suite: one set of checks that every backend runs unchanged.
//!
//! Each check is a public async function taking the store as `Arc<dyn Store>`
//! and working under its own key prefix (`/conformance/<check>/`), so the
//! checks can share one store. [`run_all`] runs them in a fixed order on a
//! *fresh* store: [`empty_store`] must see the store empty, and [`compaction`]
//! (which compacts the whole store) comes last among the checks that read old
//! revisions. Other crates' tests may run single checks.
//!
//! The etcd test harness, which starts real etcd members on loopback, is in
//! [`etcd_server`].
//!
//! Checks panic (with the check's name in the message) on the first violation.

mod concurrency;
pub mod etcd_server;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};

pub use self::concurrency::{concurrent_cas_counter, concurrent_creates};
pub use self::watch::{compaction, watch_from_now, watch_progress, watch_resume};
use crate::{Event, RangeRequest, Revision, Store, StoreError, WatchStream};

/// One named check of the suite.
pub type Check = fn(Arc<dyn Store>) -> BoxFuture<'static, ()>;

/// Every check, in the order [`run_all`] runs them.
pub fn checks() -> Vec<(&'static str, Check)> {
    vec![
        ("empty_store", |s| empty_store(s).boxed()),
        ("revisions_increment", |s| revisions_increment(s).boxed()),
        ("create_if_absent", |s| create_if_absent(s).boxed()),
        ("update_compare_and_swap", |s| {
            update_compare_and_swap(s).boxed()
        }),
        ("delete_with_and_without_compare", |s| {
            delete_with_and_without_compare(s).boxed()
        }),
        ("get_at_revision", |s| get_at_revision(s).boxed()),
        ("range_pages_at_one_revision", |s| {
            range_pages_at_one_revision(s).boxed()
        }),
        ("count_per_prefix", |s| count_per_prefix(s).boxed()),
        ("watch_from_now", |s| watch_from_now(s).boxed()),
        ("watch_resume", |s| watch_resume(s).boxed()),
        ("watch_progress", |s| watch_progress(s).boxed()),
        ("concurrent_cas_counter", |s| {
            concurrent_cas_counter(s).boxed()
        }),
        ("concurrent_creates", |s| concurrent_creates(s).boxed()),
        ("compaction", |s| compaction(s).boxed()),
    ]
}

/// Runs every check on `store`, which must be fresh (never written).
pub async fn run_all(store: Arc<dyn Store>) {
    for (name, check) in checks() {
        eprintln!("conformance: {name}");
        let started = std::time::Instant::now();
        check(Arc::clone(&store)).await;
        eprintln!("conformance: {name} ok in {:?}", started.elapsed());
    }
}

/// How long any single wait of a check may take before the check fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub(crate) fn bytes(text: &str) -> Bytes {
    Bytes::from(text.to_string())
}

/// Reads a watch, checking the stream's invariants on every batch: no error,
/// events in strictly increasing revision order (so none twice), and each
/// batch's revision at least that of its events.
pub struct Collector {
    stream: WatchStream,
    /// The revision of the last event or batch seen.
    pub seen: Revision,
    /// How many progress batches (batches without events) were seen.
    pub progress_batches: usize,
}

impl Collector {
    pub fn new(stream: WatchStream) -> Self {
        Collector {
            stream,
            seen: 0,
            progress_batches: 0,
        }
    }

    /// A collector for a watch that starts after revision `after`: events at or
    /// before it are a violation.
    pub fn after(stream: WatchStream, after: Revision) -> Self {
        Collector {
            seen: after,
            ..Collector::new(stream)
        }
    }

    /// The events of the next batch (empty for a progress batch).
    pub async fn next_batch(&mut self) -> Vec<Event> {
        let item = tokio::time::timeout(WAIT, self.stream.next())
            .await
            .expect("the watch delivered nothing in time")
            .expect("the watch ended");
        let batch = item.expect("the watch failed");
        for event in &batch.events {
            assert!(
                event.revision() > self.seen,
                "event at revision {} delivered after revision {}",
                event.revision(),
                self.seen
            );
            assert!(
                batch.revision >= event.revision(),
                "batch revision {} is below its event at {}",
                batch.revision,
                event.revision()
            );
            self.seen = event.revision();
        }
        if batch.events.is_empty() {
            self.progress_batches += 1;
        }
        self.seen = self.seen.max(batch.revision);
        batch.events
    }

    /// Every event up to and including revision `until`.
    pub async fn until(&mut self, until: Revision) -> Vec<Event> {
        let mut events = Vec::new();
        while self.seen < until {
            events.extend(self.next_batch().await);
        }
        events
    }
}

/// An empty store is at revision 1 and its first write gets revision 2, as in etcd.
pub async fn empty_store(store: Arc<dyn Store>) {
    assert_eq!(
        store.current_revision().await.unwrap(),
        1,
        "an empty store is at revision 1 (as etcd); was the store fresh?"
    );
    let key = "/conformance/empty_store/k";
    let got = store.get(key, 0).await.unwrap();
    assert_eq!((got.kv, got.revision), (None, 1));
    let all = store.range(RangeRequest::default()).await.unwrap();
    assert_eq!((all.kvs.len(), all.count, all.revision), (0, 0, 1));
    let kv = store.create(key, bytes("v")).await.unwrap();
    assert_eq!(
        (kv.create_revision, kv.mod_revision),
        (2, 2),
        "the first write gets revision 2"
    );
    assert_eq!(store.current_revision().await.unwrap(), 2);
}

/// Every successful write, on any key, adds exactly one to the revision; failed writes add nothing.
pub async fn revisions_increment(store: Arc<dyn Store>) {
    let p = "/conformance/revisions_increment";
    let r0 = store.current_revision().await.unwrap();
    let a = store.create(&format!("{p}/a"), bytes("1")).await.unwrap();
    assert_eq!(a.mod_revision, r0 + 1);
    let b = store.create(&format!("{p}/b"), bytes("1")).await.unwrap();
    assert_eq!(b.mod_revision, r0 + 2);
    let a2 = store
        .update(&a.key, bytes("2"), a.mod_revision)
        .await
        .unwrap();
    assert_eq!(a2.mod_revision, r0 + 3);
    let deleted = store.delete(&b.key, None).await.unwrap();
    assert_eq!(deleted.revision, r0 + 4);
    let other = store
        .create("/conformance/revisions_increment_other/c", bytes("1"))
        .await
        .unwrap();
    assert_eq!(other.mod_revision, r0 + 5);
    assert_eq!(store.current_revision().await.unwrap(), r0 + 5);

    // Failed writes leave the revision alone.
    assert!(store.create(&a.key, bytes("x")).await.is_err());
    assert!(store
        .update(&a.key, bytes("x"), a.mod_revision)
        .await
        .is_err());
    assert!(store
        .update(&b.key, bytes("x"), b.mod_revision)
        .await
        .is_err());
    assert!(store.delete(&b.key, None).await.is_err());
    assert!(store.delete(&a.key, Some(a.mod_revision)).await.is_err());
    assert_eq!(store.current_revision().await.unwrap(), r0 + 5);
}

/// `create` succeeds only when the key is absent.
pub async fn create_if_absent(store: Arc<dyn Store>) {
    let key = "/conformance/create_if_absent/k";
    let first = store.create(key, bytes("v1")).await.unwrap();
    assert_eq!(first.key, key);
    assert_eq!(first.value, bytes("v1"));
    assert_eq!(first.create_revision, first.mod_revision);
    match store.create(key, bytes("v2")).await {
        Err(StoreError::AlreadyExists { key: k }) => assert_eq!(k, key),
        other => panic!("second create: expected AlreadyExists, got {other:?}"),
    }
    let got = store.get(key, 0).await.unwrap().kv.unwrap();
    assert_eq!(got, first, "a failed create changes nothing");

    store.delete(key, None).await.unwrap();
    let again = store.create(key, bytes("v3")).await.unwrap();
    assert!(again.create_revision > first.create_revision);
    assert_eq!(again.create_revision, again.mod_revision);

    assert!(matches!(
        store.create("", bytes("x")).await,
        Err(StoreError::InvalidRequest(_))
    ));
}

/// `update` compares the mod revision and reports the current value on conflict.
pub async fn update_compare_and_swap(store: Arc<dyn Store>) {
    let key = "/conformance/update_compare_and_swap/k";
    let v1 = store.create(key, bytes("v1")).await.unwrap();
    let v2 = store
        .update(key, bytes("v2"), v1.mod_revision)
        .await
        .unwrap();
    assert_eq!(v2.value, bytes("v2"));
    assert_eq!(
        v2.create_revision, v1.create_revision,
        "an update keeps the create revision"
    );
    assert!(v2.mod_revision > v1.mod_revision);
    assert_eq!(store.get(key, 0).await.unwrap().kv, Some(v2.clone()));

    for stale in [v1.mod_revision, 0, v2.mod_revision + 1000] {
        match store.update(key, bytes("v3"), stale).await {
            Err(StoreError::Conflict {
                key: k,
                expected,
                current,
            }) => {
                assert_eq!((k.as_str(), expected), (key, stale));
                assert_eq!(
                    current.as_deref(),
                    Some(&v2),
                    "a conflict carries the current value"
                );
            }
            other => panic!("update at {stale}: expected Conflict, got {other:?}"),
        }
    }
    assert_eq!(store.get(key, 0).await.unwrap().kv, Some(v2.clone()));

    let absent = "/conformance/update_compare_and_swap/absent";
    assert!(matches!(
        store.update(absent, bytes("x"), 0).await,
        Err(StoreError::NotFound { key }) if key == absent
    ));
    store.delete(key, None).await.unwrap();
    assert!(matches!(
        store.update(key, bytes("x"), v2.mod_revision).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// `delete` with and without a compare; `NotFound` for absent keys.
pub async fn delete_with_and_without_compare(store: Arc<dyn Store>) {
    let p = "/conformance/delete_with_and_without_compare";
    let k1 = format!("{p}/k1");
    let kv1 = store.create(&k1, bytes("v")).await.unwrap();
    let deleted = store.delete(&k1, None).await.unwrap();
    assert_eq!(deleted.prev_kv, kv1);
    assert_eq!(deleted.revision, store.current_revision().await.unwrap());
    assert!(store.get(&k1, 0).await.unwrap().kv.is_none());
    assert!(
        matches!(store.delete(&k1, None).await, Err(StoreError::NotFound { key }) if key == k1)
    );

    let k2 = format!("{p}/k2");
    let old = store.create(&k2, bytes("v1")).await.unwrap();
    let latest = store
        .update(&k2, bytes("v2"), old.mod_revision)
        .await
        .unwrap();
    match store.delete(&k2, Some(old.mod_revision)).await {
        Err(StoreError::Conflict {
            expected, current, ..
        }) => {
            assert_eq!(expected, old.mod_revision);
            assert_eq!(current.as_deref(), Some(&latest));
        }
        other => panic!("stale delete: expected Conflict, got {other:?}"),
    }
    assert!(
        store.get(&k2, 0).await.unwrap().kv.is_some(),
        "a failed delete deletes nothing"
    );
    let deleted = store.delete(&k2, Some(latest.mod_revision)).await.unwrap();
    assert_eq!(deleted.prev_kv, latest);
    assert!(store.get(&k2, 0).await.unwrap().kv.is_none());
    assert!(matches!(
        store.delete(&format!("{p}/absent"), Some(5)).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// `get` at old revisions sees each key as it was then.
pub async fn get_at_revision(store: Arc<dyn Store>) {
    let key = "/conformance/get_at_revision/k";
    let v1 = store.create(key, bytes("v1")).await.unwrap();
    let v2 = store
        .update(key, bytes("v2"), v1.mod_revision)
        .await
        .unwrap();
    let deleted = store.delete(key, None).await.unwrap();
    let v3 = store.create(key, bytes("v3")).await.unwrap();
    let current = store.current_revision().await.unwrap();

    let at = |revision| {
        let store = Arc::clone(&store);
        async move { store.get(key, revision).await.unwrap() }
    };
    assert_eq!(
        at(v1.mod_revision - 1).await.kv,
        None,
        "before its creation"
    );
    let got = at(v1.mod_revision).await;
    assert_eq!((got.kv, got.revision), (Some(v1.clone()), v1.mod_revision));
    assert_eq!(at(v2.mod_revision).await.kv, Some(v2.clone()));
    assert_eq!(at(deleted.revision).await.kv, None, "at its deletion");
    assert_eq!(at(v3.mod_revision).await.kv, Some(v3.clone()));
    let latest = at(0).await;
    assert_eq!((latest.kv, latest.revision), (Some(v3), current));
    match store.get(key, current + 100).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, current + 100),
        other => panic!("get in the future: expected FutureRevision, got {other:?}"),
    }
}

/// Paging through a prefix at one revision sees that revision only, while writes go on.
pub async fn range_pages_at_one_revision(store: Arc<dyn Store>) {
    let p = "/conformance/range/items/";
    let mut originals = Vec::new();
    for i in 0..25 {
        originals.push(
            store
                .create(&format!("{p}{i:02}"), bytes(&format!("v{i}")))
                .await
                .unwrap(),
        );
    }
    for outside in [
        "/conformance/range/items",
        "/conformance/range/itemsx",
        "/conformance/range/other/1",
    ] {
        store.create(outside, bytes("x")).await.unwrap();
    }
    let first = store
        .range(RangeRequest {
            prefix: p.to_string(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((first.kvs.len(), first.more, first.count), (10, true, 25));
    assert_eq!(first.kvs, originals[..10]);
    let revision = first.revision;
    assert_eq!(revision, store.current_revision().await.unwrap());

    // Writes under the prefix go on while the client pages.
    let writer = {
        let store = Arc::clone(&store);
        let originals = originals.clone();
        tokio::spawn(async move {
            for (i, kv) in originals.iter().enumerate().step_by(3) {
                store
                    .update(&kv.key, bytes("changed"), kv.mod_revision)
                    .await
                    .unwrap();
                store
                    .create(&format!("{p}{i:02}-new"), bytes("new"))
                    .await
                    .unwrap();
            }
            store.delete(&originals[24].key, None).await.unwrap();
        })
    };
    let mut pages = vec![first.kvs];
    let mut start = format!("{}\0", pages[0].last().unwrap().key);
    for (expected_count, expected_more) in [(15, true), (5, false)] {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let page = store
            .range(RangeRequest {
                prefix: p.to_string(),
                start_key: Some(start.clone()),
                limit: 10,
                revision,
            })
            .await
            .unwrap();
        assert_eq!(
            (page.count, page.more, page.revision),
            (expected_count, expected_more, revision)
        );
        start = format!("{}\0", page.kvs.last().unwrap().key);
        pages.push(page.kvs);
    }
    writer.await.unwrap();
    assert_eq!(
        pages.concat(),
        originals,
        "pages at one revision see only that revision"
    );

    let latest = store
        .range(RangeRequest {
            prefix: p.to_string(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(latest.count, 25 - 1 + 9);
    assert_eq!(latest.kvs.len() as i64, latest.count);
    assert!(!latest.more);
    assert!(
        latest.kvs.windows(2).all(|w| w[0].key < w[1].key),
        "keys in order"
    );
    assert!(latest.kvs.iter().all(|kv| kv.key.starts_with(p)));
    let again = store
        .range(RangeRequest {
            prefix: p.to_string(),
            revision,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again.kvs, originals, "a revision can be read again later");

    let outside = RangeRequest {
        prefix: p.to_string(),
        start_key: Some("/conformance/other".to_string()),
        ..Default::default()
    };
    assert!(matches!(
        store.range(outside).await,
        Err(StoreError::InvalidRequest(_))
    ));
}

/// `count` counts the live keys under each prefix.
pub async fn count_per_prefix(store: Arc<dyn Store>) {
    let p = "/conformance/count";
    for key in ["a/1", "a/2", "b/1", "ab/1"] {
        store
            .create(&format!("{p}/{key}"), bytes("v"))
            .await
            .unwrap();
    }
    let count = |prefix: String| {
        let store = Arc::clone(&store);
        async move { store.count(&prefix).await.unwrap() }
    };
    assert_eq!(count(format!("{p}/a/")).await, 2);
    assert_eq!(count(format!("{p}/b/")).await, 1);
    assert_eq!(count(format!("{p}/a")).await, 3);
    assert_eq!(count(format!("{p}/")).await, 4);
    assert_eq!(count(format!("{p}/zz/")).await, 0);
    store.delete(&format!("{p}/a/1"), None).await.unwrap();
    assert_eq!(count(format!("{p}/a/")).await, 1);
    assert_eq!(count(format!("{p}/")).await, 3);
}

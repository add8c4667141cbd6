//! Unit tests of the SQLite backend's own machinery: group commit, isolation of
//! failed compares within a batch, persistence, compaction of rows, watcher lag
//! recovery and closing. The behaviour shared with etcd is in `crate::testing`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use super::{Config, SqliteStore};
use crate::{EventKind, Store, StoreError};

fn open(dir: &tempfile::TempDir, config: Config) -> SqliteStore {
    SqliteStore::open(&dir.path().join("store.db"), config).unwrap()
}

fn value(text: &str) -> Bytes {
    Bytes::from(text.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default());
    let writes = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { store.create(&format!("/k/{i:03}"), value("v")).await })
    });
    let results = futures::future::join_all(writes).await;
    let mut revisions: Vec<_> = results
        .into_iter()
        .map(|result| result.unwrap().unwrap().mod_revision)
        .collect();
    revisions.sort_unstable();
    assert_eq!(revisions, (2..202).collect::<Vec<_>>());
    let stats = store.stats();
    eprintln!("200 concurrent creates took {} commits", stats.commits);
    assert_eq!(stats.writes, 200);
    assert!(
        stats.commits < 200,
        "200 concurrent writes took {} commits: group commit does not group",
        stats.commits
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_compares_do_not_affect_their_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default());
    let writes = (0..100).map(|i| {
        let store = store.clone();
        // Even writes race for one key, odd ones each have their own.
        let key = if i % 2 == 0 {
            "/dup".to_string()
        } else {
            format!("/own/{i}")
        };
        tokio::spawn(async move { store.create(&key, value("v")).await })
    });
    let results = futures::future::join_all(writes).await;
    let mut won = 0;
    let mut revisions = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result.unwrap() {
            Ok(kv) => {
                won += usize::from(i % 2 == 0);
                revisions.push(kv.mod_revision);
            }
            Err(StoreError::AlreadyExists { key }) => assert_eq!(key, "/dup"),
            Err(other) => panic!("write {i} failed: {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one create of /dup succeeds");
    revisions.sort_unstable();
    assert_eq!(
        revisions,
        (2..53).collect::<Vec<_>>(),
        "no revision is skipped"
    );
    assert_eq!(store.current_revision().await.unwrap(), 52);
}

#[tokio::test]
async fn reopening_keeps_data_and_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default());
    store.create("/a", value("1")).await.unwrap();
    let kv = store.create("/b", value("2")).await.unwrap();
    store.delete("/a", None).await.unwrap();
    store.compact(kv.mod_revision).await.unwrap();
    store.close().await.unwrap();
    drop(store);

    let store = open(&dir, Config::default());
    assert_eq!(store.current_revision().await.unwrap(), 4);
    assert!(store.get("/a", 0).await.unwrap().kv.is_none());
    assert_eq!(store.get("/b", 0).await.unwrap().kv, Some(kv.clone()));
    assert!(matches!(
        store.get("/b", 2).await,
        Err(StoreError::Compacted {
            requested: 2,
            compacted: 3
        })
    ));
    let next = store.create("/c", value("3")).await.unwrap();
    assert_eq!(next.mod_revision, 5);
}

#[tokio::test]
async fn compaction_deletes_superseded_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default());
    let mut kv = store.create("/kept", value("0")).await.unwrap();
    for i in 1..10 {
        kv = store
            .update("/kept", value(&i.to_string()), kv.mod_revision)
            .await
            .unwrap();
    }
    store.create("/gone", value("x")).await.unwrap();
    store.delete("/gone", None).await.unwrap();
    let later = store.create("/later", value("y")).await.unwrap();
    store
        .update("/later", value("z"), later.mod_revision)
        .await
        .unwrap();
    // Compact just before the update of /later: its first row must stay.
    store.compact(later.mod_revision).await.unwrap();

    let conn = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    let rows = |key: &str| -> i64 {
        conn.query_row(
            "SELECT count(*) FROM kv WHERE key = ?1",
            [key.as_bytes()],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!(rows("/kept"), 1);
    assert_eq!(rows("/gone"), 0);
    assert_eq!(rows("/later"), 2);
    assert_eq!(
        store.get("/kept", 0).await.unwrap().kv.unwrap().value,
        value("9")
    );
    let old = store.get("/later", later.mod_revision).await.unwrap();
    assert_eq!(old.kv.unwrap().value, value("y"));
}

#[tokio::test]
async fn a_lagging_watcher_replays_instead_of_losing_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default().with_watch_buffer(4));
    let mut watch = store.watch("/lag/", 0).await.unwrap();
    for i in 0..100 {
        store
            .create(&format!("/lag/{i:03}"), value("v"))
            .await
            .unwrap();
    }
    let mut revisions = Vec::new();
    while revisions.len() < 100 {
        let batch = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("watch stalled")
            .expect("watch ended")
            .expect("watch failed");
        for event in batch.events {
            assert_eq!(event.kind, EventKind::Put);
            revisions.push(event.revision());
        }
    }
    assert_eq!(revisions, (2..102).collect::<Vec<_>>());
}

#[tokio::test]
async fn closing_ends_watches_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Config::default());
    let mut watch = store.watch("/", 0).await.unwrap();
    store.create("/a", value("1")).await.unwrap();
    store.close().await.unwrap();
    store.close().await.unwrap();
    let mut ended = false;
    while let Some(item) = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("watch did not end")
    {
        if let Err(error) = item {
            assert!(matches!(error, StoreError::Closed), "{error}");
            ended = true;
        }
    }
    assert!(ended, "the watch ends with Closed");
    assert!(matches!(
        store.create("/b", value("2")).await,
        Err(StoreError::Closed)
    ));
    assert!(matches!(store.watch("/", 0).await, Err(StoreError::Closed)));
    // Reads still work on a closed store.
    assert!(store.get("/a", 0).await.unwrap().kv.is_some());
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir, Config::default()));
    let mut watch = store.watch("/", 0).await.unwrap();
    store.create("/a", value("1")).await.unwrap();
    drop(store);
    let mut last = None;
    while let Some(item) = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("watch did not end after the store was dropped")
    {
        last = Some(item);
    }
    assert!(matches!(last, Some(Err(StoreError::Closed))));
}

#[test]
fn config_validation() {
    assert!(Config::default().validate().is_ok());
    assert!(Config::default().with_max_batch(0).validate().is_err());
    assert!(Config::default()
        .with_progress_interval(Duration::ZERO)
        .validate()
        .is_err());
}

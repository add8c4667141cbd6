//! Conformance checks under concurrency: compare-and-swap loses no update, and
//! concurrent creates are all acknowledged, stored and watched exactly once.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{bytes, Collector};
use crate::{EventKind, RangeRequest, Store, StoreError};

const TASKS: usize = 32;
const INCREMENTS: usize = 20;

/// 32 tasks each increment one counter 20 times by compare-and-swap, retrying
/// on `Conflict` with the current value it carries: the counter ends at 640.
pub async fn concurrent_cas_counter(store: Arc<dyn Store>) {
    let key = "/conformance/concurrent_cas_counter/counter";
    let start = store.create(key, bytes("0")).await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let store = Arc::clone(&store);
            let mut seen = start.clone();
            tokio::spawn(async move {
                let mut conflicts = 0usize;
                for _ in 0..INCREMENTS {
                    loop {
                        let n: usize = std::str::from_utf8(&seen.value).unwrap().parse().unwrap();
                        let next = bytes(&(n + 1).to_string());
                        match store.update(key, next, seen.mod_revision).await {
                            Ok(kv) => {
                                seen = kv;
                                break;
                            }
                            Err(StoreError::Conflict {
                                current: Some(current),
                                ..
                            }) => {
                                conflicts += 1;
                                seen = *current;
                            }
                            Err(other) => panic!("increment failed: {other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let end = store.get(key, 0).await.unwrap().kv.unwrap();
    assert_eq!(
        end.value,
        bytes(&(TASKS * INCREMENTS).to_string()),
        "an update was lost"
    );
    assert_eq!(
        end.mod_revision - start.mod_revision,
        (TASKS * INCREMENTS) as i64,
        "one revision per successful increment"
    );
    eprintln!(
        "conformance: {} increments met {conflicts} conflicts",
        TASKS * INCREMENTS
    );
}

/// Many tasks create distinct keys at once: every create is acknowledged with
/// its own revision, every key is stored, and a watch sees each exactly once.
pub async fn concurrent_creates(store: Arc<dyn Store>) {
    const WRITERS: usize = 16;
    const EACH: usize = 25;
    let p = "/conformance/concurrent_creates/";
    let mut watch = Collector::new(store.watch(p, 0).await.unwrap());
    let tasks: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..EACH {
                    let key = format!("{p}{writer:02}/{i:02}");
                    let kv = store.create(&key, bytes(&key)).await.unwrap();
                    assert_eq!(kv.key, key);
                    acknowledged.push(kv);
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    let total = WRITERS * EACH;
    let revisions: BTreeSet<_> = acknowledged.iter().map(|kv| kv.mod_revision).collect();
    assert_eq!(revisions.len(), total, "every create has its own revision");

    assert_eq!(store.count(p).await.unwrap(), total as i64);
    let stored = store
        .range(RangeRequest {
            prefix: p.to_string(),
            ..Default::default()
        })
        .await
        .unwrap();
    acknowledged.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(
        stored.kvs, acknowledged,
        "every acknowledged create is stored as acknowledged"
    );

    let last = revisions.iter().next_back().copied().unwrap();
    let events = watch.until(last).await;
    assert!(events
        .iter()
        .all(|e| e.kind == EventKind::Put && e.prev_kv.is_none()));
    let watched: Vec<_> = events.iter().map(|e| e.revision()).collect();
    assert_eq!(
        watched,
        revisions.into_iter().collect::<Vec<_>>(),
        "the watch sees each create once"
    );
}

//! Conformance checks of watches and compaction.

use std::sync::Arc;
use std::time::Duration;

use super::{bytes, Collector, WAIT};
use crate::{Event, EventKind, KeyValue, RangeRequest, Revision, Store, StoreError};

fn assert_put(event: &Event, kv: &KeyValue, prev: Option<&KeyValue>) {
    assert_eq!(event.kind, EventKind::Put, "{event:?}");
    assert_eq!(&event.kv, kv);
    assert_eq!(event.prev_kv.as_ref(), prev, "prev_kv of {event:?}");
}

fn assert_delete(event: &Event, key: &str, revision: Revision, prev: &KeyValue) {
    assert_eq!(event.kind, EventKind::Delete, "{event:?}");
    assert_eq!(event.kv.key, key);
    assert!(event.kv.value.is_empty());
    assert_eq!(
        (event.kv.create_revision, event.kv.mod_revision),
        (0, revision)
    );
    assert_eq!(event.prev_kv.as_ref(), Some(prev), "prev_kv of {event:?}");
}

/// A watch from now sees later changes under its prefix, in order, with prev_kv,
/// and nothing from other prefixes.
pub async fn watch_from_now(store: Arc<dyn Store>) {
    let p = "/conformance/watch_from_now/watched/";
    let before = store
        .create(&format!("{p}before"), bytes("old"))
        .await
        .unwrap();
    let mut watch = Collector::new(store.watch(p, 0).await.unwrap());

    let a1 = store.create(&format!("{p}a"), bytes("1")).await.unwrap();
    store
        .create("/conformance/watch_from_now/watched-not/a", bytes("x"))
        .await
        .unwrap();
    store
        .create("/conformance/watch_from_now/other/a", bytes("x"))
        .await
        .unwrap();
    let a2 = store
        .update(&a1.key, bytes("2"), a1.mod_revision)
        .await
        .unwrap();
    let deleted = store.delete(&a1.key, None).await.unwrap();
    let b = store
        .update(&before.key, bytes("new"), before.mod_revision)
        .await
        .unwrap();

    let events = watch.until(b.mod_revision).await;
    assert_eq!(events.len(), 4, "{events:#?}");
    assert_put(&events[0], &a1, None);
    assert_put(&events[1], &a2, Some(&a1));
    assert_delete(&events[2], &a1.key, deleted.revision, &a2);
    assert_put(&events[3], &b, Some(&before));
}

/// A watch from an old revision replays exactly the changes since, then goes on live.
pub async fn watch_resume(store: Arc<dyn Store>) {
    let p = "/conformance/watch_resume/watched/";
    let other = "/conformance/watch_resume/other/x";
    let mut written: Vec<Event> = Vec::new();
    let mut kv = store.create(&format!("{p}a"), bytes("0")).await.unwrap();
    written.push(Event {
        kind: EventKind::Put,
        kv: kv.clone(),
        prev_kv: None,
    });
    let mut other_kv = store.create(other, bytes("0")).await.unwrap();
    for i in 1..8 {
        let next = store
            .update(&kv.key, bytes(&i.to_string()), kv.mod_revision)
            .await
            .unwrap();
        written.push(Event {
            kind: EventKind::Put,
            kv: next.clone(),
            prev_kv: Some(kv),
        });
        kv = next;
        other_kv = store
            .update(other, bytes(&i.to_string()), other_kv.mod_revision)
            .await
            .unwrap();
    }
    let deleted = store.delete(&kv.key, None).await.unwrap();
    written.push(Event {
        kind: EventKind::Delete,
        kv: KeyValue {
            key: kv.key.clone(),
            value: bytes::Bytes::new(),
            create_revision: 0,
            mod_revision: deleted.revision,
        },
        prev_kv: Some(kv),
    });
    let resume_points = [
        written[3].revision(),
        written[0].revision() - 1,
        deleted.revision,
    ];
    for resume_at in resume_points {
        let mut watch = Collector::after(store.watch(p, resume_at).await.unwrap(), resume_at);
        let last = written.last().map(Event::revision).unwrap_or(resume_at);
        let replayed = watch.until(last).await;
        let expected: Vec<Event> = written
            .iter()
            .filter(|e| e.revision() > resume_at)
            .cloned()
            .collect();
        assert_eq!(replayed, expected, "replay after revision {resume_at}");

        // Then live, without repeating anything.
        let live = store
            .create(&format!("{p}live-{resume_at}"), bytes("l"))
            .await
            .unwrap();
        let events = watch.until(live.mod_revision).await;
        assert_eq!(events.len(), 1, "{events:#?}");
        assert_put(&events[0], &live, None);
        written.push(events[0].clone());
    }

    let future = store.current_revision().await.unwrap() + 10;
    match store.watch(p, future).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, future),
        Err(other) => panic!("watch from the future: expected FutureRevision, got {other}"),
        Ok(_) => panic!("watch from the future: expected FutureRevision, got a watch"),
    }
}

/// An idle watch gets progress batches that reach the current revision, even
/// when the only writes are under other prefixes.
pub async fn watch_progress(store: Arc<dyn Store>) {
    let p = "/conformance/watch_progress/idle/";
    let mut watch = Collector::new(store.watch(p, 0).await.unwrap());
    let elsewhere = store
        .create("/conformance/watch_progress/busy/x", bytes("x"))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while watch.seen < elsewhere.mod_revision {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress batch reached revision {} in time",
            elsewhere.mod_revision
        );
        let events = watch.next_batch().await;
        assert!(events.is_empty(), "unexpected events {events:#?}");
    }
    assert!(watch.progress_batches > 0);
    // And they keep coming, about once a second.
    let started = tokio::time::Instant::now();
    let seen = watch.progress_batches;
    while watch.progress_batches < seen + 2 {
        assert!(watch.next_batch().await.is_empty());
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "two progress batches took {:?}",
        started.elapsed()
    );
}

/// A watch still behind when its history is compacted either delivers every
/// change (a backend may have sent them already) or fails with `Compacted`;
/// it never skips any.
async fn behind_compaction(stream: crate::WatchStream, last: Revision) {
    use futures::StreamExt;
    let mut stream = stream;
    let mut revisions = Vec::new();
    while revisions.last().is_none_or(|&seen| seen < last) {
        let item = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("the watch behind compaction delivered nothing in time")
            .expect("the watch behind compaction ended without an error");
        match item {
            Ok(batch) => revisions.extend(batch.events.iter().map(Event::revision)),
            Err(StoreError::Compacted { .. }) => return,
            Err(other) => panic!("watch behind compaction: expected Compacted, got {other}"),
        }
    }
    // Six changes under the prefix: v1, v2, gone (put, delete), kept, v3.
    assert_eq!(
        revisions.len(),
        6,
        "the watch behind compaction skipped {revisions:?}"
    );
    assert!(revisions.windows(2).all(|w| w[0] < w[1]));
}

/// Compaction forgets old revisions for reads and watches, keeping latest values.
pub async fn compaction(store: Arc<dyn Store>) {
    let p = "/conformance/compaction/";
    let k = format!("{p}k");
    let v1 = store.create(&k, bytes("v1")).await.unwrap();
    let v2 = store
        .update(&k, bytes("v2"), v1.mod_revision)
        .await
        .unwrap();
    let gone = store.create(&format!("{p}gone"), bytes("g")).await.unwrap();
    store.delete(&gone.key, None).await.unwrap();
    let kept = store.create(&format!("{p}kept"), bytes("k")).await.unwrap();
    let at = store.current_revision().await.unwrap();
    let v3 = store
        .update(&k, bytes("v3"), v2.mod_revision)
        .await
        .unwrap();

    let mut early = Collector::after(store.watch(p, at).await.unwrap(), at);
    let behind = store.watch(p, v1.mod_revision - 1).await.unwrap();
    store.compact(at).await.unwrap();
    behind_compaction(behind, v3.mod_revision).await;

    match store.get(&k, v1.mod_revision).await {
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => {
            assert_eq!((requested, compacted), (v1.mod_revision, at));
        }
        other => panic!("get before compaction: expected Compacted, got {other:?}"),
    }
    let old_range = RangeRequest {
        prefix: p.to_string(),
        revision: at - 1,
        ..Default::default()
    };
    assert!(matches!(
        store.range(old_range).await,
        Err(StoreError::Compacted { .. })
    ));
    match store.watch(p, v1.mod_revision).await {
        Err(StoreError::Compacted { .. }) => {}
        Err(other) => panic!("watch before compaction: expected Compacted, got {other}"),
        Ok(_) => panic!("watch before compaction: expected Compacted, got a watch"),
    }

    // The compacted revision itself is still readable, and latest values stay.
    assert_eq!(store.get(&k, at).await.unwrap().kv, Some(v2.clone()));
    assert_eq!(store.get(&gone.key, at).await.unwrap().kv, None);
    let at_compaction = store
        .range(RangeRequest {
            prefix: p.to_string(),
            revision: at,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(at_compaction.kvs, vec![v2.clone(), kept.clone()]);
    assert_eq!(store.get(&k, 0).await.unwrap().kv, Some(v3.clone()));
    assert_eq!(
        store.get(&kept.key, 0).await.unwrap().kv,
        Some(kept.clone())
    );

    // Watches from the compacted revision on still see everything after it.
    let mut late = Collector::after(store.watch(p, at).await.unwrap(), at);
    for watch in [&mut early, &mut late] {
        let events = watch.until(v3.mod_revision).await;
        assert_eq!(events.len(), 1, "{events:#?}");
        assert_put(&events[0], &v3, Some(&v2));
    }

    // Compacting again, or below, does nothing; the future cannot be compacted.
    store.compact(at).await.unwrap();
    store.compact(v1.mod_revision).await.unwrap();
    let future = store.current_revision().await.unwrap() + 10;
    assert!(matches!(
        store.compact(future).await,
        Err(StoreError::FutureRevision { requested, .. }) if requested == future
    ));
}

//! The conformance suite against real etcd: one member, and a three-member
//! cluster on loopback. Fails when etcd is missing unless `RKUBE_SKIP_ETCD=1`.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use store::etcd::{Config, EtcdStore, ProgressRequests};
use store::testing::etcd_server::{etcd_binary_or_skip, EtcdCluster};
use store::Store;

async fn conformance(members: usize) {
    let Some(binary) = etcd_binary_or_skip() else {
        return;
    };
    let cluster = EtcdCluster::start(&binary, members)
        .await
        .unwrap_or_else(|error| panic!("cannot start etcd: {error}"));
    let store = EtcdStore::connect(cluster.endpoints(), Config::default())
        .await
        .unwrap();
    eprintln!(
        "etcd {} with {members} member(s); progress requests: {}",
        store.server_version(),
        store.requests_progress()
    );
    store::testing::run_all(Arc::new(store) as Arc<dyn Store>).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_member() {
    conformance(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members() {
    conformance(3).await;
}

/// With progress requests on, an idle watch gets progress batches although the
/// server's own notifications are far apart (10 minutes here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_requests_are_answered() {
    let Some(binary) = etcd_binary_or_skip() else {
        return;
    };
    let cluster = EtcdCluster::start_with(&binary, 1, Duration::from_secs(600))
        .await
        .unwrap_or_else(|error| panic!("cannot start etcd: {error}"));
    let config = Config::default()
        .with_progress_requests(ProgressRequests::Always)
        .with_progress_interval(Duration::from_millis(200));
    let store = EtcdStore::connect(cluster.endpoints(), config)
        .await
        .unwrap();
    assert!(store.requests_progress());
    let mut watch = store.watch("/progress/idle/", 0).await.unwrap();
    let elsewhere = store
        .create("/progress/busy", bytes::Bytes::from_static(b"x"))
        .await
        .unwrap();
    loop {
        let batch = tokio::time::timeout(Duration::from_secs(20), watch.next())
            .await
            .expect("no progress batch in time")
            .expect("the watch ended")
            .expect("the watch failed");
        assert!(batch.events.is_empty(), "{batch:?}");
        if batch.revision >= elsewhere.mod_revision {
            break;
        }
    }
}

//! Pod creates: small valid pods (one container) POSTed by concurrent clients,
//! each of which must answer 201 Created.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;

use super::client::Client;

/// How a batch of creates went.
pub struct Creates {
    pub count: usize,
    pub elapsed: Duration,
    /// Each create's time from sending to the 201, in no particular order.
    pub latencies: Vec<Duration>,
}

impl Creates {
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
}

/// Creates the namespace `name`.
pub async fn namespace(client: &Client, name: &str) -> Result<()> {
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
    });
    client
        .create("/api/v1/namespaces", Bytes::from(body.to_string()))
        .await
        .with_context(|| format!("creating namespace {name}"))?;
    // Pods need their namespace's `default` service account (ServiceAccount
    // admission), which only the controller manager creates: an API server
    // measured alone has none.
    let account = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "default", "namespace": name},
    });
    let path = format!("/api/v1/namespaces/{name}/serviceaccounts");
    match client.create(&path, Bytes::from(account.to_string())).await {
        Err(e) if !e.to_string().contains("409") => {
            Err(e).with_context(|| format!("creating service account {name}/default"))
        }
        _ => Ok(()),
    }
}

/// The name of the `index`th pod of a batch.
pub fn pod_name(prefix: &str, index: usize) -> String {
    format!("{prefix}-{index:06}")
}

/// A small valid pod: one container, nothing else.
fn pod(namespace: &str, name: &str) -> Bytes {
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]},
    });
    Bytes::from(body.to_string())
}

/// Creates the pods `prefix-000000` .. `prefix-{count-1}` in `namespace` with
/// `clients` concurrent clients taking the next index as they finish; fails on
/// the first answer that is not 201.
pub async fn create_pods(
    client: &Arc<Client>,
    namespace: &str,
    prefix: &str,
    count: usize,
    clients: usize,
) -> Result<Creates> {
    let path = format!("/api/v1/namespaces/{namespace}/pods");
    let (namespace, prefix) = (namespace.to_string(), prefix.to_string());
    create_many(client, &path, count, clients, move |index| {
        pod(&namespace, &pod_name(&prefix, index))
    })
    .await
}

/// POSTs `body(0)` .. `body(count-1)` to `path` with `clients` concurrent
/// clients taking the next index as they finish; fails on the first answer
/// that is not 201.
pub async fn create_many(
    client: &Arc<Client>,
    path: &str,
    count: usize,
    clients: usize,
    body: impl Fn(usize) -> Bytes + Send + Sync + 'static,
) -> Result<Creates> {
    let next = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(body);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (client, next, path) = (client.clone(), next.clone(), path.to_string());
        let body = body.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let body = body(index);
                let sent = Instant::now();
                client.create(&path, body).await?;
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut latencies = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined.context("a create task panicked")??);
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(
        latencies.len() == count,
        "{} of {count} creates answered",
        latencies.len()
    );
    Ok(Creates {
        count,
        elapsed,
        latencies,
    })
}

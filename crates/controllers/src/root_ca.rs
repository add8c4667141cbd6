//! The root CA publisher: the `kube-root-ca.crt` ConfigMap (key `ca.crt`, the
//! cluster CA in PEM) in every namespace, recreated if deleted and corrected if
//! changed, as upstream's `pkg/controller/certificates/rootcacertpublisher`.
//! Pods use it to verify the API server.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};
use serde_json::json;

use crate::queue::WorkQueue;
use crate::Error;

/// The published ConfigMap.
const NAME: &str = "kube-root-ca.crt";
/// Its key holding the certificate.
const KEY: &str = "ca.crt";
/// The description upstream puts on the ConfigMap.
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";
/// How soon a failed namespace is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// Runs the publisher until the watches end; without a CA it does nothing.
pub async fn run(client: Client, ca_pem: Option<String>) -> Result<(), Error> {
    let Some(ca_pem) = ca_pem else {
        tracing::warn!("root CA publisher: no cluster CA; kube-root-ca.crt is not published");
        return std::future::pending().await;
    };
    let queue: WorkQueue<String> = WorkQueue::new();
    let (namespaces, writer) = reflector::store::<Namespace>();
    let worker = {
        let (queue, client, namespaces) = (queue.clone(), client.clone(), namespaces.clone());
        tokio::spawn(async move { work(client, queue, namespaces, ca_pem).await })
    };
    let namespace_events = watcher::watcher(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .reflect(writer);
    let map_events = watcher::watcher(
        Api::<ConfigMap>::all(client),
        watcher::Config::default().fields(&format!("metadata.name={NAME}")),
    )
    .default_backoff();
    let mut namespace_events = std::pin::pin!(namespace_events);
    let mut map_events = std::pin::pin!(map_events);
    loop {
        tokio::select! {
            Some(event) = namespace_events.next() => {
                if let Ok(watcher::Event::Apply(ns) | watcher::Event::InitApply(ns)) = event {
                    if let Some(name) = ns.metadata.name {
                        queue.add(name);
                    }
                }
            }
            Some(event) = map_events.next() => {
                if let Ok(watcher::Event::Apply(map) | watcher::Event::Delete(map)) = event {
                    if let Some(namespace) = map.metadata.namespace {
                        queue.add(namespace);
                    }
                }
            }
            else => break,
        }
    }
    worker.abort();
    Ok(())
}

async fn work(
    client: Client,
    queue: WorkQueue<String>,
    namespaces: Store<Namespace>,
    ca_pem: String,
) {
    let _ = namespaces.wait_until_ready().await;
    loop {
        let name = queue.next().await;
        let Some(namespace) = namespaces.get(&ObjectRef::new(&name)) else {
            continue;
        };
        if namespace.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if let Err(error) = ensure(&client, &name, &ca_pem).await {
            tracing::debug!(namespace = %name, %error, "root CA publisher: retrying");
            queue.add_after(name, RETRY);
        }
    }
}

async fn ensure(client: &Client, namespace: &str, ca_pem: &str) -> Result<(), Error> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let data = BTreeMap::from([(KEY.to_string(), ca_pem.to_string())]);
    match api.get_opt(NAME).await? {
        Some(map) => {
            let described = map
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/description"))
                .is_some();
            if map.data.as_ref() == Some(&data) && described {
                return Ok(());
            }
            // Other keys are removed (null in a merge patch): the map holds the CA only.
            let mut patch_data = serde_json::Map::new();
            for key in map.data.iter().flatten().map(|(k, _)| k) {
                patch_data.insert(key.clone(), serde_json::Value::Null);
            }
            patch_data.insert(KEY.to_string(), json!(ca_pem));
            let patch = json!({
                "metadata": {"annotations": {"kubernetes.io/description": DESCRIPTION}},
                "data": patch_data,
            });
            api.patch(NAME, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            Ok(())
        }
        None => {
            let map = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(NAME.to_string()),
                    namespace: Some(namespace.to_string()),
                    annotations: Some(BTreeMap::from([(
                        "kubernetes.io/description".to_string(),
                        DESCRIPTION.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                data: Some(data),
                ..ConfigMap::default()
            };
            match api.create(&PostParams::default(), &map).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.code == 409 || status.code == 403 => Ok(()),
                Err(error) => Err(error.into()),
            }
        }
    }
}

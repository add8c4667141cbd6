//! The ResourceQuota controller (upstream `pkg/controller/resourcequota`):
//! keeps every quota's `status.hard` equal to its `spec.hard` and recounts
//! `status.used` from the objects of its namespace, with the accounting the
//! API server's quota admission charges by (`api::quota`).
//!
//! A quota is recounted when it is created, when its `spec.hard` changes or
//! its status lacks usage for a limited resource (not when only `status.used`
//! changes: that is the API server charging a creation the controller may not
//! have seen yet), when something it counts is freed (a pod deleted or
//! finished, a service, config map, secret, claim or replication controller
//! deleted), and every [`RESYNC`] for everything else. Status is written with
//! the quota's resourceVersion, so a charge made meanwhile is never lost: the
//! write fails and the quota is recounted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ResourceQuota;
use kube::api::{ApiResource, DynamicObject, ListParams, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};
use serde_json::Value;

use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::{ApiResources, Error};

/// How often every quota is recounted (upstream's `--resource-quota-sync-period`
/// is 5 minutes; deletions of kinds not watched here are noticed by it).
const RESYNC: Duration = Duration::from_secs(30);
/// How soon a quota is recounted after a failed sync.
const RETRY: Duration = Duration::from_secs(1);
/// Core kinds whose deletion frees quota at once, besides pods.
const REPLENISHED: [(&str, &str); 5] = [
    ("services", "Service"),
    ("configmaps", "ConfigMap"),
    ("secrets", "Secret"),
    ("persistentvolumeclaims", "PersistentVolumeClaim"),
    ("replicationcontrollers", "ReplicationController"),
];

type Key = (String, String);

struct Controller {
    client: Client,
    quotas: Informer<ResourceQuota>,
    informers: Informers,
    queue: WorkQueue<Key>,
    /// Served resources, for `count/<resource>.<group>`; refreshed on a miss.
    resources: tokio::sync::Mutex<Option<(ApiResources, tokio::time::Instant)>>,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let quotas: Informer<ResourceQuota> = Informer::new();
    let controller = Arc::new(Controller {
        client: client.clone(),
        quotas: quotas.clone(),
        informers: informers.clone(),
        queue: WorkQueue::new(),
        resources: tokio::sync::Mutex::new(None),
    });
    let quota_notices = quotas.subscribe();
    let pod_notices = informers.pods.subscribe();
    let _quota_informer = AbortOnDrop(tokio::spawn(quotas.clone().run(Api::all(client.clone()))));
    quotas.wait_synced().await;
    informers.pods.wait_synced().await;
    tokio::select! {
        () = watch_quotas(controller.clone(), quota_notices) => {}
        () = watch_pods(controller.clone(), pod_notices) => {}
        () = watch_deletions(controller.clone()) => {}
        () = resync(controller.clone()) => {}
        () = work(controller.clone()) => {}
    }
    Ok(())
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn key_of(quota: &ResourceQuota) -> Key {
    (
        quota.metadata.namespace.clone().unwrap_or_default(),
        quota.metadata.name.clone().unwrap_or_default(),
    )
}

impl Controller {
    /// Queues every quota of a namespace.
    fn enqueue_namespace(&self, namespace: &str) {
        for quota in self.quotas.in_namespace(namespace) {
            self.queue.add(key_of(&quota));
        }
    }
}

/// Whether a quota needs a recount: new, limits changed, or usage unknown.
fn needs_sync(old: Option<&ResourceQuota>, new: &ResourceQuota) -> bool {
    let hard = |q: &ResourceQuota| q.spec.as_ref().and_then(|s| s.hard.clone());
    let Some(old) = old else {
        return true;
    };
    if hard(old) != hard(new) {
        return true;
    }
    let status = new.status.clone().unwrap_or_default();
    let spec_hard = hard(new).unwrap_or_default();
    if status.hard.unwrap_or_default() != spec_hard {
        return true;
    }
    let used = status.used.unwrap_or_default();
    spec_hard
        .keys()
        .any(|name| api::quota::resource_of(name).is_some() && !used.contains_key(name))
}

async fn watch_quotas(
    controller: Arc<Controller>,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice<ResourceQuota>>,
) {
    while let Some(notice) = notices.recv().await {
        if let Notice::Applied { old, new } = notice {
            if needs_sync(old.as_deref(), &new) {
                controller.queue.add(key_of(&new));
            }
        }
    }
}

/// Now, in Unix seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn counts(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    serde_json::to_value(pod)
        .map(|v| api::quota::counts_pod(&v, unix_now()))
        .unwrap_or(true)
}

async fn watch_pods(
    controller: Arc<Controller>,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice<k8s_openapi::api::core::v1::Pod>>,
) {
    while let Some(notice) = notices.recv().await {
        let freed = match &notice {
            Notice::Deleted(pod) => Some(pod.clone()),
            Notice::Applied {
                old: Some(old),
                new,
            } if counts(old) && !counts(new) => Some(new.clone()),
            _ => None,
        };
        if let Some(pod) = freed {
            controller.enqueue_namespace(pod.metadata.namespace.as_deref().unwrap_or_default());
        }
    }
}

/// Deletions of the core kinds quotas count.
async fn watch_deletions(controller: Arc<Controller>) {
    let watches = REPLENISHED.iter().map(|(plural, kind)| {
        let controller = controller.clone();
        async move {
            let resource = ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: kind.to_string(),
                plural: plural.to_string(),
            };
            let api: Api<DynamicObject> = Api::all_with(controller.client.clone(), &resource);
            let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if let Ok(watcher::Event::Delete(object)) = event {
                    if let Some(namespace) = object.metadata.namespace.as_deref() {
                        controller.enqueue_namespace(namespace);
                    }
                }
            }
        }
    });
    futures::future::join_all(watches).await;
}

async fn resync(controller: Arc<Controller>) {
    loop {
        tokio::time::sleep(RESYNC).await;
        for quota in controller.quotas.list() {
            controller.queue.add(key_of(&quota));
        }
    }
}

async fn work(controller: Arc<Controller>) {
    loop {
        let key = controller.queue.next().await;
        if let Err(error) = sync(&controller, &key).await {
            tracing::debug!(namespace = %key.0, name = %key.1, %error, "resourcequota: sync failed");
            controller.queue.add_after(key, RETRY);
        }
    }
}

/// The served resource `plural.group` at its preferred version.
async fn api_resource(
    controller: &Controller,
    group: &str,
    plural: &str,
) -> Result<Option<ApiResource>, Error> {
    if group.is_empty() {
        return Ok(Some(ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: String::new(),
            plural: plural.to_string(),
        }));
    }
    let mut cached = controller.resources.lock().await;
    let find = |resources: &ApiResources| {
        resources
            .iter()
            .find(|r| r.api.group == group && r.api.plural == plural)
            .map(|r| r.api.clone())
    };
    if let Some((resources, _)) = cached.as_ref() {
        if let Some(found) = find(resources) {
            return Ok(Some(found));
        }
    }
    let stale = cached
        .as_ref()
        .is_none_or(|(_, at)| at.elapsed() > Duration::from_secs(10));
    if stale {
        let resources = ApiResources::discover(&controller.client).await?;
        let found = find(&resources);
        *cached = Some((resources, tokio::time::Instant::now()));
        return Ok(found);
    }
    Ok(None)
}

/// The objects of one resource in a namespace, as JSON.
async fn objects(
    controller: &Controller,
    namespace: &str,
    group: &str,
    plural: &str,
) -> Result<Vec<Value>, Error> {
    if group.is_empty() && plural == "pods" {
        return Ok(controller
            .informers
            .pods
            .in_namespace(namespace)
            .iter()
            .filter_map(|pod| serde_json::to_value(pod.as_ref()).ok())
            .collect());
    }
    let Some(resource) = api_resource(controller, group, plural).await? else {
        return Ok(Vec::new());
    };
    let api: Api<DynamicObject> =
        Api::namespaced_with(controller.client.clone(), namespace, &resource);
    let list = api.list(&ListParams::default()).await?;
    Ok(list
        .items
        .iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect())
}

/// What a quota uses now: for each resource it limits, the sum over the
/// objects it selects.
async fn calculate(
    controller: &Controller,
    quota: &Value,
    namespace: &str,
) -> Result<api::quota::ResourceList, Error> {
    let hard = api::quota::from_json(quota.pointer("/spec/hard"));
    let mut kinds: Vec<(String, String)> = hard
        .keys()
        .filter_map(|name| api::quota::resource_of(name))
        .collect();
    kinds.sort();
    kinds.dedup();
    let now = unix_now();
    let mut used = api::quota::ResourceList::new();
    for (group, plural) in kinds {
        let objects = objects(controller, namespace, &group, &plural).await?;
        let usage = api::quota::usage_of(quota, &group, &plural, objects.iter(), now);
        used = api::quota::add(&used, &usage);
    }
    Ok(used)
}

async fn sync(controller: &Controller, key: &Key) -> Result<(), Error> {
    let (namespace, name) = key;
    let Some(quota) = controller.quotas.get(namespace, name) else {
        return Ok(());
    };
    let value = serde_json::to_value(quota.as_ref())?;
    let used = calculate(controller, &value, namespace).await?;
    let spec_hard = quota
        .spec
        .as_ref()
        .and_then(|s| s.hard.clone())
        .unwrap_or_default();
    let status = quota.status.clone().unwrap_or_default();
    let current_used = api::quota::from_json(value.pointer("/status/used"));
    if status.hard.as_ref() == Some(&spec_hard) && current_used == used {
        return Ok(());
    }
    let mut updated = quota.as_ref().clone();
    let used_json: BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity> = used
        .iter()
        .map(|(name, q)| {
            (
                name.clone(),
                k8s_openapi::apimachinery::pkg::api::resource::Quantity(api::quota::format(
                    name, *q,
                )),
            )
        })
        .collect();
    updated.status = Some(k8s_openapi::api::core::v1::ResourceQuotaStatus {
        hard: Some(spec_hard),
        used: Some(used_json),
    });
    let api: Api<ResourceQuota> = Api::namespaced(controller.client.clone(), namespace);
    match api
        .replace_status(name, &PostParams::default(), &updated)
        .await
    {
        Ok(_) => Ok(()),
        // Someone (the API server charging a creation) changed it: recount.
        Err(kube::Error::Api(status)) if status.code == 409 => {
            controller
                .queue
                .add_after(key.clone(), Duration::from_millis(100));
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ResourceQuotaSpec, ResourceQuotaStatus};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn quota(hard: &[(&str, &str)], used: Option<&[(&str, &str)]>) -> ResourceQuota {
        let list = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                .collect::<BTreeMap<_, _>>()
        };
        ResourceQuota {
            spec: Some(ResourceQuotaSpec {
                hard: Some(list(hard)),
                ..Default::default()
            }),
            status: used.map(|used| ResourceQuotaStatus {
                hard: Some(list(hard)),
                used: Some(list(used)),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn syncs_on_new_changed_or_unknown_usage_only() {
        let counted = quota(&[("pods", "2")], Some(&[("pods", "1")]));
        assert!(needs_sync(None, &counted));
        // Only the usage changed (the API server charged a creation).
        let charged = quota(&[("pods", "2")], Some(&[("pods", "2")]));
        assert!(!needs_sync(Some(&counted), &charged));
        let raised = quota(&[("pods", "3")], Some(&[("pods", "2")]));
        assert!(needs_sync(Some(&counted), &raised));
        let fresh = quota(&[("pods", "2")], None);
        assert!(needs_sync(Some(&fresh), &fresh));
        let missing = quota(&[("pods", "2"), ("services", "1")], Some(&[("pods", "1")]));
        assert!(needs_sync(Some(&missing), &missing));
    }
}

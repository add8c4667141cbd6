//! The EndpointSlice controller, as upstream's `pkg/controller/endpointslice`:
//! every Service with a selector gets `discovery.k8s.io/v1` EndpointSlices
//! (`<service>-<random>`, owned by the service, labelled with its name and
//! this controller) holding its pods as endpoints with their ready, serving
//! and terminating conditions, node and zone, at most 100 to a slice. The plan
//! of each sync is made in [`reconcile`], which reuses existing slices.
//!
//! Not done: mirroring user-managed Endpoints of selector-less services into
//! slices (upstream's separate endpointslicemirroring controller), topology
//! hints.

mod reconcile;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, PostParams};
use kube::Api;

use crate::endpoints::common::{self, Key, TriggerTimes, LAST_CHANGE_TRIGGER_TIME};
use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::{Client, Error};
use reconcile::{CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MAX_ENDPOINTS_PER_SLICE};

/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);
/// How soon a sync that found the slice cache behind its own writes looks again.
const STALE_RETRY: Duration = Duration::from_millis(100);
/// How long the controller waits for its own writes to show in the cache.
const STALE_LIMIT: Duration = Duration::from_secs(10);

struct Controller {
    client: Client,
    informers: Informers,
    services: Informer<Service>,
    slices: Informer<EndpointSlice>,
    queue: WorkQueue<Key>,
    trigger_times: TriggerTimes,
    written: Written,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let controller = Arc::new(Controller {
        client: client.clone(),
        informers,
        services: Informer::new(),
        slices: Informer::new(),
        queue: WorkQueue::new(),
        trigger_times: TriggerTimes::default(),
        written: Written::default(),
    });
    let mut services = controller.services.subscribe();
    let mut slices = controller.slices.subscribe();
    let mut pods = controller.informers.pods.subscribe();
    let mut nodes = controller.informers.nodes.subscribe();
    let services_run = controller.services.clone().run(Api::all(client.clone()));
    let slices_run = controller.slices.clone().run(Api::all(client));
    let worker = controller.clone().work();
    let events = async {
        loop {
            tokio::select! {
                Some(notice) = services.recv() => {
                    let service = match &notice {
                        Notice::Applied { new, .. } => new,
                        Notice::Deleted(old) => old,
                    };
                    controller.queue.add(key_of(&service.metadata));
                }
                Some(notice) = slices.recv() => {
                    let slice = match &notice {
                        Notice::Applied { new, .. } => new,
                        Notice::Deleted(old) => old,
                    };
                    if let Some(service) = managed_service_of(slice) {
                        let namespace = slice.metadata.namespace.clone().unwrap_or_default();
                        controller.queue.add((namespace, service.to_string()));
                    }
                }
                Some(notice) = pods.recv() => {
                    common::queue_services_of_pod(&notice, &controller.services, &controller.queue);
                }
                Some(notice) = nodes.recv() => {
                    // A node's zone, or a node appearing, changes the endpoints on it.
                    let relevant = match &notice {
                        Notice::Applied { old: None, .. } | Notice::Deleted(_) => true,
                        Notice::Applied { old: Some(old), new } => old.metadata.labels != new.metadata.labels,
                    };
                    if relevant {
                        for service in controller.services.list() {
                            controller.queue.add(key_of(&service.metadata));
                        }
                    }
                }
                else => break,
            }
        }
    };
    tokio::select! {
        () = services_run => {}
        () = slices_run => {}
        () = worker => {}
        () = events => {}
    }
    Ok(())
}

fn key_of(meta: &kube::api::ObjectMeta) -> Key {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The service a slice this controller manages belongs to.
fn managed_service_of(slice: &EndpointSlice) -> Option<&str> {
    let labels = slice.metadata.labels.as_ref()?;
    if labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(CONTROLLER_NAME) {
        return None;
    }
    labels.get(LABEL_SERVICE_NAME).map(String::as_str)
}

impl Controller {
    async fn work(self: Arc<Self>) {
        self.services.wait_synced().await;
        self.slices.wait_synced().await;
        self.informers.pods.wait_synced().await;
        self.informers.nodes.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(None) => {}
                Ok(Some(after)) => self.queue.add_after(key, after),
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "endpointslice controller: retrying");
                    let delay = if error.status() == Some(409) {
                        STALE_RETRY
                    } else {
                        RETRY
                    };
                    self.queue.add_after(key, delay);
                }
            }
        }
    }

    /// One pass over a service; returns when to look again, if it must.
    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let result = self.try_sync(key).await;
        if result.is_ok() {
            self.trigger_times.commit(key);
        }
        result
    }

    async fn try_sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(service) = self.services.get(&key.0, &key.1) else {
            // Its slices go with it through their owner reference.
            self.trigger_times.forget(key);
            self.written.forget(key);
            return Ok(None);
        };
        if common::selector_of(&service).is_none() {
            return Ok(None);
        }
        let existing: Vec<Arc<EndpointSlice>> = self
            .slices
            .in_namespace(&key.0)
            .into_iter()
            .filter(|s| managed_service_of(s) == Some(key.1.as_str()))
            .filter(|s| s.metadata.deletion_timestamp.is_none())
            .collect();
        if self.written.stale(key, &self.slices) {
            return Ok(Some(STALE_RETRY));
        }
        let pods = common::pods_of(&service, &self.informers.pods);
        let trigger = self.trigger_times.compute(key, &service, &pods);
        let ipv6 = common::ipv6_service(&service);
        let address_type = if ipv6 { "IPv6" } else { "IPv4" };
        let nodes = &self.informers.nodes;
        let (desired, missing_node) =
            reconcile::desired(&service, &pods, |name| nodes.get("", name), ipv6);
        let plan = reconcile::plan(
            &service,
            desired,
            &existing,
            address_type,
            MAX_ENDPOINTS_PER_SLICE,
        );
        let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), &key.0);
        let stamp = |slice: &mut EndpointSlice| {
            let mut annotations = slice.metadata.annotations.take().unwrap_or_default();
            match trigger {
                Some(at) => {
                    annotations.insert(
                        LAST_CHANGE_TRIGGER_TIME.to_string(),
                        common::rfc3339_nano(at),
                    );
                }
                None => {
                    annotations.remove(LAST_CHANGE_TRIGGER_TIME);
                }
            }
            slice.metadata.annotations = (!annotations.is_empty()).then_some(annotations);
        };
        // No new slices for a service being deleted: the garbage collector
        // would race with them.
        if service.metadata.deletion_timestamp.is_none() {
            for mut slice in plan.create {
                stamp(&mut slice);
                let created = api.create(&PostParams::default(), &slice).await?;
                self.written.wrote(key, &created);
            }
        }
        for mut slice in plan.update {
            stamp(&mut slice);
            let name = slice.metadata.name.clone().unwrap_or_default();
            let updated = api.replace(&name, &PostParams::default(), &slice).await?;
            self.written.wrote(key, &updated);
        }
        for slice in plan.delete {
            let name = slice.metadata.name.clone().unwrap_or_default();
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => self.written.deleted(key, &slice),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(missing_node.then_some(Duration::from_secs(5)))
    }
}

fn version_of(slice: &EndpointSlice) -> u64 {
    slice
        .metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The slices this controller wrote and has not yet seen in its cache
/// (upstream's `EndpointSliceTracker`): syncing a service before its slice
/// cache shows them would create duplicates.
#[derive(Default)]
struct Written {
    pending: Mutex<HashMap<Key, HashMap<String, Pending>>>,
}

struct Pending {
    /// The resourceVersion written (the store's revision); None for a
    /// deletion. (The API server does not keep generations for slices.)
    version: Option<u64>,
    uid: Option<String>,
    at: Instant,
}

impl Written {
    fn wrote(&self, key: &Key, slice: &EndpointSlice) {
        self.note(key, slice, Some(version_of(slice)));
    }

    fn deleted(&self, key: &Key, slice: &EndpointSlice) {
        self.note(key, slice, None);
    }

    fn note(&self, key: &Key, slice: &EndpointSlice, version: Option<u64>) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.entry(key.clone()).or_default().insert(
                slice.metadata.name.clone().unwrap_or_default(),
                Pending {
                    version,
                    uid: slice.metadata.uid.clone(),
                    at: Instant::now(),
                },
            );
        }
    }

    fn forget(&self, key: &Key) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(key);
        }
    }

    /// Whether the cache is still behind a write; writes it shows are forgotten.
    fn stale(&self, key: &Key, slices: &Informer<EndpointSlice>) -> bool {
        let Ok(mut pending) = self.pending.lock() else {
            return false;
        };
        let Some(names) = pending.get_mut(key) else {
            return false;
        };
        names.retain(|name, write| {
            if write.at.elapsed() > STALE_LIMIT {
                return false;
            }
            let cached = slices.get(&key.0, name);
            let seen = match (write.version, cached) {
                (None, None) => true,
                (None, Some(slice)) => slice.metadata.uid != write.uid,
                (Some(_), None) => false,
                (Some(version), Some(slice)) => {
                    slice.metadata.uid != write.uid || version_of(&slice) >= version
                }
            };
            !seen
        });
        let stale = !names.is_empty();
        if !stale {
            pending.remove(key);
        }
        stale
    }
}

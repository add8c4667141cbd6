//! The Endpoints controller, as upstream's `pkg/controller/endpoint`: every
//! Service with a selector gets an Endpoints object of the same name listing
//! the IPs of its pods (ready ones in `addresses`, the others in
//! `notReadyAddresses`) with the ports the service's target ports resolve to
//! on each pod. Services without a selector keep user-managed Endpoints; the
//! Endpoints of a deleted service are deleted.

pub(crate) mod common;
pub(crate) mod subsets;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Endpoints, Service};
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::Api;

use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::{Client, Error};
use common::{Key, TriggerTimes, HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME};

/// The annotation on Endpoints cut down to [`subsets::MAX_CAPACITY`].
const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
/// The label that marks Endpoints this controller manages (upstream 1.33).
const MANAGED_BY_LABEL: &str = "endpoints.kubernetes.io/managed-by";
const CONTROLLER_NAME: &str = "endpoint-controller";
/// Endpoints of the leader-election records of other components are never
/// cleaned up.
const LEADER_ANNOTATION: &str = "control-plane.alpha.kubernetes.io/leader";
/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);
/// How soon a sync that lost a race (409) is retried.
const CONFLICT_RETRY: Duration = Duration::from_millis(100);

struct Controller {
    client: Client,
    informers: Informers,
    services: Informer<Service>,
    endpoints: Informer<Endpoints>,
    queue: WorkQueue<Key>,
    trigger_times: TriggerTimes,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let controller = Arc::new(Controller {
        client: client.clone(),
        informers,
        services: Informer::new(),
        endpoints: Informer::new(),
        queue: WorkQueue::new(),
        trigger_times: TriggerTimes::default(),
    });
    let mut services = controller.services.subscribe();
    let mut endpoints = controller.endpoints.subscribe();
    let mut pods = controller.informers.pods.subscribe();
    let services_run = controller.services.clone().run(Api::all(client.clone()));
    let endpoints_run = controller.endpoints.clone().run(Api::all(client));
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
                Some(notice) = endpoints.recv() => {
                    // Startup and deletions: recreate, or clean up leftovers.
                    match &notice {
                        Notice::Applied { old: None, new } if !is_leader_record(new) => {
                            controller.queue.add(key_of(&new.metadata));
                        }
                        Notice::Deleted(old) => controller.queue.add(key_of(&old.metadata)),
                        _ => {}
                    }
                }
                Some(notice) = pods.recv() => {
                    common::queue_services_of_pod(&notice, &controller.services, &controller.queue);
                }
                else => break,
            }
        }
    };
    tokio::select! {
        () = services_run => {}
        () = endpoints_run => {}
        () = worker => {}
        () = events => {}
    }
    Ok(())
}

fn key_of(meta: &ObjectMeta) -> Key {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn is_leader_record(endpoints: &Endpoints) -> bool {
    endpoints
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(LEADER_ANNOTATION))
}

impl Controller {
    async fn work(self: Arc<Self>) {
        self.services.wait_synced().await;
        self.endpoints.wait_synced().await;
        self.informers.pods.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            if let Err(error) = self.sync(&key).await {
                tracing::debug!(namespace = %key.0, name = %key.1, %error, "endpoints controller: retrying");
                // A conflict is a cache behind this controller's own write.
                let delay = if error.status() == Some(409) {
                    CONFLICT_RETRY
                } else {
                    RETRY
                };
                self.queue.add_after(key, delay);
            }
        }
    }

    async fn sync(&self, key: &Key) -> Result<(), Error> {
        let result = self.try_sync(key).await;
        if result.is_ok() {
            self.trigger_times.commit(key);
        }
        result
    }

    async fn try_sync(&self, key: &Key) -> Result<(), Error> {
        let api: Api<Endpoints> = Api::namespaced(self.client.clone(), &key.0);
        let Some(service) = self.services.get(&key.0, &key.1) else {
            self.trigger_times.forget(key);
            let current = self.endpoints.get(&key.0, &key.1);
            if current.as_deref().is_some_and(is_leader_record) || current.is_none() {
                return Ok(());
            }
            return match api.delete(&key.1, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
                Err(error) => Err(error.into()),
            };
        };
        if common::selector_of(&service).is_none() {
            return Ok(());
        }
        let pods = common::pods_of(&service, &self.informers.pods);
        let trigger = self.trigger_times.compute(key, &service, &pods);
        let mut wanted = subsets::desired_subsets(&service, &pods);
        let current = self.endpoints.get(&key.0, &key.1);
        let service_labels = service.metadata.labels.clone().unwrap_or_default();
        if let Some(current) = &current {
            let mut labels = current.metadata.labels.clone().unwrap_or_default();
            labels.remove(HEADLESS_LABEL);
            labels.remove(MANAGED_BY_LABEL);
            let over = current
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(OVER_CAPACITY));
            let current_subsets = current.subsets.clone().unwrap_or_default();
            let (ready, not_ready) = subsets::count(&current_subsets);
            let capacity_ok = ready + not_ready <= subsets::MAX_CAPACITY && !over;
            if subsets::same_subsets(&current_subsets, &wanted)
                && labels == service_labels
                && capacity_ok
            {
                return Ok(());
            }
        }
        let mut metadata = current
            .as_ref()
            .map(|c| c.metadata.clone())
            .unwrap_or_else(|| ObjectMeta {
                name: Some(key.1.clone()),
                namespace: Some(key.0.clone()),
                ..Default::default()
            });
        let mut annotations = metadata.annotations.take().unwrap_or_default();
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
        if subsets::truncate(&mut wanted) {
            annotations.insert(OVER_CAPACITY.to_string(), "truncated".to_string());
        } else {
            annotations.remove(OVER_CAPACITY);
        }
        let mut labels: BTreeMap<String, String> = service_labels;
        if common::service_ip_set(&service) {
            labels.remove(HEADLESS_LABEL);
        } else {
            labels.insert(HEADLESS_LABEL.to_string(), String::new());
        }
        labels.insert(MANAGED_BY_LABEL.to_string(), CONTROLLER_NAME.to_string());
        metadata.annotations = (!annotations.is_empty()).then_some(annotations);
        metadata.labels = (!labels.is_empty()).then_some(labels);
        let object = Endpoints {
            metadata,
            subsets: (!wanted.is_empty()).then_some(wanted),
        };
        let result = match &current {
            None => api.create(&PostParams::default(), &object).await,
            Some(_) => api.replace(&key.1, &PostParams::default(), &object).await,
        };
        match result {
            Ok(_) => Ok(()),
            // Creating in a namespace being deleted: nothing to do.
            Err(kube::Error::Api(status))
                if current.is_none()
                    && status.code == 403
                    && status.message.contains("being terminated") =>
            {
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

//! The Deployment controller: rolls a Deployment's pod template out through
//! ReplicaSets, as upstream's `pkg/controller/deployment`.
//!
//! Each template gets a ReplicaSet named `<deployment>-<pod-template-hash>`
//! (`deployment/util.rs`); the strategy moves replicas from the old sets to
//! the new one (`rolling.rs`, `recreate.rs`), a scaling of the deployment is
//! spread over its sets (`sync.rs`), and the status, Available and
//! Progressing conditions follow (`progress.rs`). Rollback is kubectl's job:
//! `kubectl rollout undo` copies an old ReplicaSet's template back into the
//! deployment, and the matching set becomes the new one with a new revision.
//! ReplicaSets are changed through guarded patches on the resourceVersion
//! read, so a decision made from a stale cache is refused and made again.

mod progress;
mod recreate;
mod rolling;
mod sync;
pub mod util;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::core::{Selector, SelectorExt};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};

use crate::events::{EventType, Occurrence, Recorder};
use crate::queue::WorkQueue;
use crate::replicaset::{
    adopt, controller_of, has_controller, key_of, object_reference_of, release, Key,
};
use crate::Error;

/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);

pub struct DeploymentController {
    client: Client,
    queue: WorkQueue<Key>,
    events: Recorder,
    deployments: Store<Deployment>,
    sets: Store<ReplicaSet>,
}

impl DeploymentController {
    /// Runs the controller until the watches end.
    pub async fn run(client: Client) -> Result<(), Error> {
        let (deployments, deployments_writer) = reflector::store::<Deployment>();
        let (sets, sets_writer) = reflector::store::<ReplicaSet>();
        let controller = Arc::new(DeploymentController {
            events: Recorder::new(client.clone(), "deployment-controller"),
            queue: WorkQueue::new(),
            client: client.clone(),
            deployments,
            sets,
        });
        let deployment_events = watcher::watcher(
            Api::<Deployment>::all(client.clone()),
            watcher::Config::default(),
        )
        .default_backoff()
        .reflect(deployments_writer);
        let set_events =
            watcher::watcher(Api::<ReplicaSet>::all(client), watcher::Config::default())
                .default_backoff()
                .reflect(sets_writer);
        let mut deployment_events = std::pin::pin!(deployment_events);
        let mut set_events = std::pin::pin!(set_events);
        let worker = {
            let controller = controller.clone();
            tokio::spawn(async move { controller.work().await })
        };
        loop {
            tokio::select! {
                Some(event) = deployment_events.next() => {
                    if let Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) = event {
                        controller.queue.add(key_of(&d.metadata));
                    }
                }
                Some(event) = set_events.next() => match event {
                    Ok(watcher::Event::Apply(rs) | watcher::Event::InitApply(rs) | watcher::Event::Delete(rs)) => {
                        controller.replica_set_changed(&rs);
                    }
                    Ok(_) => {}
                    Err(error) => tracing::debug!(%error, "deployment controller: watch failed"),
                },
                else => break,
            }
        }
        worker.abort();
        Ok(())
    }

    /// A ReplicaSet changed: its deployment, or for an orphan every deployment
    /// whose selector matches it, needs a sync.
    fn replica_set_changed(&self, rs: &ReplicaSet) {
        let namespace = rs.metadata.namespace.clone().unwrap_or_default();
        if let Some(owner) = controller_of(&rs.metadata, "Deployment") {
            self.queue.add((namespace, owner.name.clone()));
            return;
        }
        if has_controller(&rs.metadata) {
            return;
        }
        let labels = rs.metadata.labels.clone().unwrap_or_default();
        for d in self.deployments.state() {
            if d.metadata.namespace.as_deref() == Some(namespace.as_str())
                && selector_of(&d).is_some_and(|s| s.matches(&labels))
            {
                self.queue.add(key_of(&d.metadata));
            }
        }
    }

    async fn work(self: Arc<Self>) {
        let _ = self.deployments.wait_until_ready().await;
        let _ = self.sets.wait_until_ready().await;
        loop {
            let key = self.queue.next().await;
            match self.sync_deployment(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "deployment controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    /// One pass over a deployment (upstream's `syncDeployment`); returns when
    /// to look again, if time alone can change something.
    async fn sync_deployment(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(d) = self.deployments.get(&ObjectRef::new(&key.1).within(&key.0)) else {
            return Ok(None);
        };
        let d = (*d).clone();
        if selector_of(&d).is_none() {
            // An empty selector would select every pod; upstream refuses it too.
            return Ok(None);
        }
        let sets = self.claim_replica_sets(&d).await?;
        if d.metadata.deletion_timestamp.is_some() {
            return self.sync_status_only(d, sets).await;
        }
        let d = self.check_paused_conditions(d).await?;
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused || sync::is_scaling_event(&d, &sets) {
            return self.sync(d, sets).await;
        }
        if util::is_rolling(&d) {
            self.rollout_rolling(d, sets).await
        } else {
            self.rollout_recreate(d, sets).await
        }
    }

    /// The deployment's ReplicaSets: those it controls and still selects, plus
    /// orphans it selects (adopted); controlled ones it no longer selects are
    /// released.
    async fn claim_replica_sets(&self, d: &Deployment) -> Result<Vec<ReplicaSet>, Error> {
        let namespace = d.metadata.namespace.clone().unwrap_or_default();
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let selector = selector_of(d);
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &namespace);
        let mut owned = Vec::new();
        for rs in self.sets.state() {
            if rs.metadata.namespace.as_deref() != Some(namespace.as_str()) {
                continue;
            }
            let labels = rs.metadata.labels.clone().unwrap_or_default();
            let matches = selector.as_ref().is_some_and(|s| s.matches(&labels));
            match controller_of(&rs.metadata, "Deployment") {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        owned.push((*rs).clone());
                    } else {
                        release(&api, &*rs, &uid).await?;
                    }
                }
                Some(_) => {}
                None => {
                    let orphan = matches
                        && !has_controller(&rs.metadata)
                        && d.metadata.deletion_timestamp.is_none();
                    if orphan && adopt(&api, &*rs, &owner_reference(d)).await? {
                        owned.push((*rs).clone());
                    }
                }
            }
        }
        Ok(owned)
    }

    fn replica_sets_api(&self, d: &Deployment) -> Api<ReplicaSet> {
        Api::namespaced(
            self.client.clone(),
            d.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    fn deployments_api(&self, d: &Deployment) -> Api<Deployment> {
        Api::namespaced(
            self.client.clone(),
            d.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    async fn record(
        &self,
        d: &Deployment,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let reference = object_reference_of("Deployment", "apps/v1", &d.metadata);
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "deployment controller: recording an event failed");
        }
    }
}

/// The controller reference a deployment puts on its ReplicaSets.
fn owner_reference(d: &Deployment) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_string(),
        kind: "Deployment".to_string(),
        name: d.metadata.name.clone().unwrap_or_default(),
        uid: d.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn selector_of(d: &Deployment) -> Option<Selector> {
    let selector = d.spec.as_ref()?.selector.clone();
    let selector = Selector::try_from(selector).ok()?;
    (!selector.selects_all()).then_some(selector)
}

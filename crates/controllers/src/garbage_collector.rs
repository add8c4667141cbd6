//! The garbage collector: deletes objects whose owners are gone, and carries
//! out foreground and orphan deletion, as upstream's garbage collector does.
//!
//! It watches every listable resource (but events), keeps an ownership graph of
//! their metadata, and works through a queue of objects to examine:
//! - an object whose owners all no longer exist is deleted (background);
//! - an owner being deleted in the foreground (finalizer `foregroundDeletion`)
//!   has its dependents deleted, and loses the finalizer once no dependent with
//!   `blockOwnerDeletion` remains, which lets the API server remove it;
//! - an owner being deleted with orphaning (finalizer `orphan`) has its
//!   reference removed from every dependent, then loses the finalizer.
//!
//! Before deleting anything, an owner that is not in the graph is looked up
//! through the API, so a dependent is never deleted because a watch lagged.

mod graph;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{
    DeleteParams, DynamicObject, ObjectMeta, PartialObjectMeta, Preconditions, PropagationPolicy,
};
use kube::core::ApiResource;
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::discovery::ApiResources;
use crate::queue::WorkQueue;
use crate::{patch, Error};
use graph::{Graph, Node, FOREGROUND, ORPHAN};

/// How often the served resources are discovered again (new CRDs, say).
const REDISCOVERY: Duration = Duration::from_secs(30);
/// How soon a failed or waiting item is examined again.
const RETRY: Duration = Duration::from_secs(2);
/// Resources the collector does not watch, as upstream ignores them.
const IGNORED: &[(&str, &str)] = &[("", "events"), ("events.k8s.io", "events")];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Work {
    /// Delete the object if its owners are gone; finish its foreground deletion.
    AttemptToDelete(String),
    /// Orphan the dependents of an owner deleted with the `orphan` finalizer.
    AttemptToOrphan(String),
}

/// The owner of a dependent, as found.
enum OwnerState {
    /// Exists and is not waiting for its dependents.
    Solid,
    /// Exists, being deleted in the foreground.
    Waiting,
    /// Does not exist (or another object now has its name).
    Dangling,
}

pub struct GarbageCollector {
    client: Client,
    graph: Arc<Mutex<Graph>>,
    queue: WorkQueue<Work>,
    resources: Mutex<ApiResources>,
}

impl GarbageCollector {
    pub fn new(client: Client) -> Arc<Self> {
        Arc::new(GarbageCollector {
            client,
            graph: Arc::new(Mutex::new(Graph::default())),
            queue: WorkQueue::new(),
            resources: Mutex::new(ApiResources::default()),
        })
    }

    /// Watches and collects until dropped or an unrecoverable error.
    pub async fn run(self: Arc<Self>) -> Result<(), Error> {
        let worker = {
            let gc = self.clone();
            tokio::spawn(async move { gc.work().await })
        };
        let mut watches: HashMap<(String, String), JoinHandle<()>> = HashMap::new();
        let result = loop {
            match ApiResources::discover(&self.client).await {
                Ok(found) => {
                    self.watch_new(&found, &mut watches);
                    if let Ok(mut resources) = self.resources.lock() {
                        *resources = found;
                    }
                }
                Err(error) => tracing::warn!(%error, "garbage collector: discovery failed"),
            }
            if worker.is_finished() {
                break Ok(());
            }
            tokio::time::sleep(REDISCOVERY).await;
        };
        for handle in watches.values() {
            handle.abort();
        }
        worker.abort();
        result
    }

    /// Starts a watch for each resource not watched yet, and stops the watches
    /// of resources no longer served.
    fn watch_new(
        self: &Arc<Self>,
        found: &ApiResources,
        watches: &mut HashMap<(String, String), JoinHandle<()>>,
    ) {
        let mut served = HashSet::new();
        for resource in found.watchable() {
            let key = (resource.api.group.clone(), resource.api.plural.clone());
            if IGNORED.contains(&(key.0.as_str(), key.1.as_str())) {
                continue;
            }
            served.insert(key.clone());
            if watches.contains_key(&key) {
                continue;
            }
            let gc = self.clone();
            let api = resource.api.clone();
            watches.insert(key, tokio::spawn(async move { gc.watch(api).await }));
        }
        watches.retain(|key, handle| {
            let keep = served.contains(key);
            if !keep {
                handle.abort();
            }
            keep
        });
    }

    /// Feeds one resource's objects into the graph.
    async fn watch(self: Arc<Self>, resource: ApiResource) {
        // Only metadata matters to the graph: a metadata-only watch, as
        // upstream's garbage collector uses metadata informers.
        let api: Api<PartialObjectMeta<DynamicObject>> =
            Api::all_with(self.client.clone(), &resource);
        let mut stream = std::pin::pin!(watcher::watcher(api, watcher::Config::default()));
        // Objects listed since the last (re)start of the watch: at the end of
        // the list, those the graph has but the list lacks were deleted unseen.
        let mut listed: Option<HashSet<String>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(watcher::Event::Init) => listed = Some(HashSet::new()),
                Ok(watcher::Event::InitApply(object)) => {
                    if let Some(uid) = &object.metadata.uid {
                        if let Some(seen) = listed.as_mut() {
                            seen.insert(uid.clone());
                        }
                    }
                    self.observe(&resource, &object.metadata);
                }
                Ok(watcher::Event::InitDone) => {
                    let seen = listed.take().unwrap_or_default();
                    let gone: Vec<String> = match self.graph.lock() {
                        Ok(graph) => graph
                            .uids_of(&resource)
                            .into_iter()
                            .filter(|uid| !seen.contains(uid))
                            .collect(),
                        Err(_) => Vec::new(),
                    };
                    for uid in gone {
                        self.forget(&uid);
                    }
                }
                Ok(watcher::Event::Apply(object)) => self.observe(&resource, &object.metadata),
                Ok(watcher::Event::Delete(object)) => {
                    if let Some(uid) = &object.metadata.uid {
                        self.forget(uid);
                    }
                }
                Err(error) => {
                    tracing::debug!(resource = %resource.plural, %error, "garbage collector: watch failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    /// An object was added or changed.
    fn observe(&self, resource: &ApiResource, meta: &ObjectMeta) {
        let Some(node) = Node::from_meta(resource, meta) else {
            return;
        };
        let Ok(mut graph) = self.graph.lock() else {
            return;
        };
        let previous = graph.upsert(node.clone());
        let owners_changed = previous
            .as_ref()
            .is_none_or(|p| p.meta.owner_references != node.meta.owner_references);
        if !node.owners().is_empty() && owners_changed {
            self.queue.add(Work::AttemptToDelete(node.uid.clone()));
        }
        // Owners this object no longer names may have been waiting for it.
        if let Some(previous) = &previous {
            for owner in previous.owners() {
                if node.owner_ref(&owner.uid).is_none() {
                    self.queue.add(Work::AttemptToDelete(owner.uid.clone()));
                }
            }
        }
        if node.deleting() {
            if node.has_finalizer(ORPHAN) {
                self.queue.add(Work::AttemptToOrphan(node.uid.clone()));
            }
            if node.has_finalizer(FOREGROUND) {
                self.queue.add(Work::AttemptToDelete(node.uid.clone()));
                for dependent in graph.dependents(&node.uid) {
                    self.queue.add(Work::AttemptToDelete(dependent.uid));
                }
            }
            // An owner waiting in the foreground looks at its dependents again.
            for owner in node.owners() {
                self.queue.add(Work::AttemptToDelete(owner.uid.clone()));
            }
        }
    }

    /// An object is gone: its dependents may now be garbage, and owners waiting
    /// for it in the foreground may go.
    fn forget(&self, uid: &str) {
        let Ok(mut graph) = self.graph.lock() else {
            return;
        };
        let Some(node) = graph.remove(uid) else {
            return;
        };
        for dependent in graph.dependents(uid) {
            self.queue.add(Work::AttemptToDelete(dependent.uid));
        }
        for owner in node.owners() {
            if graph
                .get(&owner.uid)
                .is_some_and(Node::waiting_for_dependents)
            {
                self.queue.add(Work::AttemptToDelete(owner.uid.clone()));
            }
        }
    }

    async fn work(self: Arc<Self>) {
        loop {
            let item = self.queue.next().await;
            let result = match &item {
                Work::AttemptToDelete(uid) => self.attempt_to_delete(uid).await,
                Work::AttemptToOrphan(uid) => self.attempt_to_orphan(uid).await,
            };
            match result {
                Ok(true) => {}
                Ok(false) => self.queue.add_after(item, RETRY),
                Err(error) => {
                    tracing::debug!(?item, %error, "garbage collector: retrying");
                    self.queue.add_after(item, RETRY);
                }
            }
        }
    }

    fn node(&self, uid: &str) -> Option<Node> {
        self.graph.lock().ok()?.get(uid).cloned()
    }

    fn dependents(&self, uid: &str) -> Vec<Node> {
        self.graph
            .lock()
            .map(|g| g.dependents(uid))
            .unwrap_or_default()
    }

    fn api(&self, node: &Node) -> Api<DynamicObject> {
        match &node.namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, &node.resource),
            None => Api::all_with(self.client.clone(), &node.resource),
        }
    }

    /// Examines one object. `Ok(false)` asks to look again later.
    async fn attempt_to_delete(&self, uid: &str) -> Result<bool, Error> {
        let Some(node) = self.node(uid) else {
            return Ok(true);
        };
        if node.deleting() {
            if !node.has_finalizer(FOREGROUND) {
                return Ok(true);
            }
            return self.finish_foreground(&node).await;
        }
        if node.owners().is_empty() {
            return Ok(true);
        }
        let mut solid = Vec::new();
        let mut dangling = Vec::new();
        let mut waiting = Vec::new();
        for owner in node.owners() {
            match self.owner_state(&node, owner).await? {
                Some(OwnerState::Solid) => solid.push(owner),
                Some(OwnerState::Waiting) => waiting.push(owner),
                Some(OwnerState::Dangling) => dangling.push(owner),
                // Owner of a kind nobody serves: leave the object alone.
                None => return Ok(true),
            }
        }
        if !solid.is_empty() {
            if dangling.is_empty() && waiting.is_empty() {
                return Ok(true);
            }
            // Keep the object, without its references to owners that are gone
            // or that wait for it.
            let drop: HashSet<&str> = dangling
                .iter()
                .chain(&waiting)
                .map(|r| r.uid.as_str())
                .collect();
            let kept: Vec<Value> = node
                .owners()
                .iter()
                .filter(|r| !drop.contains(r.uid.as_str()))
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            patch::set_metadata_list(
                &self.api(&node),
                &node.name,
                &node.meta,
                "ownerReferences",
                true,
                kept,
            )
            .await?;
            return Ok(true);
        }
        let has_dependents = self
            .graph
            .lock()
            .map(|g| g.has_dependents(&node.uid))
            .unwrap_or(false);
        let policy = if !waiting.is_empty() && has_dependents {
            PropagationPolicy::Foreground
        } else if node.has_finalizer(ORPHAN) {
            PropagationPolicy::Orphan
        } else if node.has_finalizer(FOREGROUND) {
            PropagationPolicy::Foreground
        } else {
            PropagationPolicy::Background
        };
        tracing::info!(
            resource = %node.resource.plural,
            namespace = node.namespace.as_deref().unwrap_or(""),
            name = %node.name,
            ?policy,
            "garbage collector: deleting an object whose owners are gone"
        );
        self.delete(&node, policy).await
    }

    /// Whether `owner` of `node` exists: from the graph, else from the API.
    async fn owner_state(
        &self,
        node: &Node,
        owner: &OwnerReference,
    ) -> Result<Option<OwnerState>, Error> {
        if let Some(known) = self.node(&owner.uid) {
            return Ok(Some(if known.waiting_for_dependents() {
                OwnerState::Waiting
            } else {
                OwnerState::Solid
            }));
        }
        let resource = {
            let resources = match self.resources.lock() {
                Ok(resources) => resources,
                Err(_) => return Ok(None),
            };
            resources.by_kind(&owner.api_version, &owner.kind).cloned()
        };
        let Some(resource) = resource else {
            return Ok(None);
        };
        let api: Api<DynamicObject> = if resource.namespaced {
            match &node.namespace {
                Some(namespace) => {
                    Api::namespaced_with(self.client.clone(), namespace, &resource.api)
                }
                // A cluster-scoped object cannot have a namespaced owner.
                None => return Ok(Some(OwnerState::Dangling)),
            }
        } else {
            Api::all_with(self.client.clone(), &resource.api)
        };
        match api.get_opt(&owner.name).await? {
            None => Ok(Some(OwnerState::Dangling)),
            Some(found) if found.metadata.uid.as_deref() != Some(owner.uid.as_str()) => {
                Ok(Some(OwnerState::Dangling))
            }
            Some(found) => {
                let deleting = found.metadata.deletion_timestamp.is_some();
                let foreground = found
                    .metadata
                    .finalizers
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|f| f == FOREGROUND);
                Ok(Some(if deleting && foreground {
                    OwnerState::Waiting
                } else {
                    OwnerState::Solid
                }))
            }
        }
    }

    /// An owner waiting for its dependents: have them deleted, and drop the
    /// `foregroundDeletion` finalizer once none blocks it.
    async fn finish_foreground(&self, node: &Node) -> Result<bool, Error> {
        let dependents = self.dependents(&node.uid);
        let blocking = dependents.iter().any(|d| {
            d.owner_ref(&node.uid)
                .and_then(|r| r.block_owner_deletion)
                .unwrap_or(false)
        });
        if !blocking {
            self.remove_finalizer(node, FOREGROUND).await?;
            return Ok(true);
        }
        for dependent in dependents {
            if !dependent.deleting() {
                self.queue.add(Work::AttemptToDelete(dependent.uid));
            }
        }
        // The dependents' deletions bring this owner back; look again anyway.
        Ok(false)
    }

    /// An owner deleted with orphaning: remove its reference from every
    /// dependent, then drop the `orphan` finalizer.
    async fn attempt_to_orphan(&self, uid: &str) -> Result<bool, Error> {
        let Some(node) = self.node(uid) else {
            return Ok(true);
        };
        if !node.deleting() || !node.has_finalizer(ORPHAN) {
            return Ok(true);
        }
        for dependent in self.dependents(uid) {
            let kept: Vec<Value> = dependent
                .owners()
                .iter()
                .filter(|r| r.uid != uid)
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            match patch::set_metadata_list(
                &self.api(&dependent),
                &dependent.name,
                &dependent.meta,
                "ownerReferences",
                true,
                kept,
            )
            .await
            {
                Ok(()) => {}
                Err(error) if error.status() == Some(404) => {}
                Err(error) => return Err(error),
            }
        }
        self.remove_finalizer(&node, ORPHAN).await?;
        Ok(true)
    }

    async fn remove_finalizer(&self, node: &Node, finalizer: &str) -> Result<(), Error> {
        let kept: Vec<Value> = node
            .meta
            .finalizers
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|f| f.as_str() != finalizer)
            .map(|f| Value::String(f.clone()))
            .collect();
        match patch::set_metadata_list(
            &self.api(node),
            &node.name,
            &node.meta,
            "finalizers",
            true,
            kept,
        )
        .await
        {
            Err(error) if error.status() == Some(404) => Ok(()),
            other => other,
        }
    }

    async fn delete(&self, node: &Node, policy: PropagationPolicy) -> Result<bool, Error> {
        let params = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(Preconditions {
                uid: Some(node.uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match self.api(node).delete(&node.name, &params).await {
            Ok(_) => Ok(true),
            // Already gone, or replaced by another object of that name.
            Err(error) => match Error::from(error) {
                e if matches!(e.status(), Some(404 | 409)) => Ok(true),
                e => Err(e),
            },
        }
    }
}

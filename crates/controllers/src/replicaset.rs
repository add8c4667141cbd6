//! The ReplicaSet controller: keeps `spec.replicas` pods matching a
//! ReplicaSet's selector alive, as upstream's `pkg/controller/replicaset`.
//!
//! Pods and ReplicaSets are followed through reflectors. Each sync of a
//! ReplicaSet claims its pods (adopting orphans that match the selector,
//! releasing owned pods that no longer do), creates or deletes pods to match
//! `spec.replicas`, and writes the status. Creations and deletions in flight are
//! remembered as expectations (`controller_utils.go`): until the watch has shown
//! them all, a ReplicaSet is not managed again, so it never overshoots.
//! Creations go in slow-start batches (1, 2, 4, ...), stopping at the first
//! failure; deletions pick the pods ranked first by [`deletion_order`].

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::{Selector, SelectorExt};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};
use serde_json::json;

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::Error;

/// At most this many pods are created or deleted in one sync (upstream's
/// `BurstReplicas`).
const BURST_REPLICAS: usize = 500;
/// The first slow-start batch (upstream's `SlowStartInitialBatchSize`).
const SLOW_START_INITIAL_BATCH: usize = 1;
/// Expectations not met within this time are dropped (upstream: 5 minutes).
const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);

/// `namespace/name` of an object.
pub(crate) type Key = (String, String);

pub struct ReplicaSetController {
    client: Client,
    queue: WorkQueue<Key>,
    expectations: Expectations,
    events: Recorder,
    sets: Store<ReplicaSet>,
    pods: Informer<Pod>,
}

impl ReplicaSetController {
    /// Runs the controller until the watches end.
    pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
        let (sets, sets_writer) = reflector::store::<ReplicaSet>();
        let pods = informers.pods.clone();
        let mut pod_events = pods.subscribe();
        let controller = Arc::new(ReplicaSetController {
            events: Recorder::new(client.clone(), "replicaset-controller"),
            queue: WorkQueue::new(),
            expectations: Expectations::default(),
            client: client.clone(),
            sets,
            pods,
        });
        let set_events = watcher::watcher(
            Api::<ReplicaSet>::all(client.clone()),
            watcher::Config::default(),
        )
        .default_backoff()
        .reflect(sets_writer);
        let mut set_events = std::pin::pin!(set_events);
        let worker = {
            let controller = controller.clone();
            tokio::spawn(async move { controller.work().await })
        };
        loop {
            tokio::select! {
                Some(event) = set_events.next() => match event {
                    Ok(watcher::Event::Apply(rs) | watcher::Event::InitApply(rs)) => {
                        controller.queue.add(key_of(&rs.metadata));
                    }
                    Ok(watcher::Event::Delete(rs)) => {
                        controller.expectations.forget(&key_of(&rs.metadata));
                    }
                    Ok(_) => {}
                    Err(error) => tracing::debug!(%error, "replicaset controller: watch failed"),
                },
                Some(notice) = pod_events.recv() => match notice {
                    Notice::Applied { old, new } => controller.pod_changed(&new, old.is_none()),
                    Notice::Deleted(pod) => controller.pod_deleted(&pod),
                },
                else => break,
            }
        }
        worker.abort();
        Ok(())
    }

    /// A pod appeared or changed: its owner (or, for an orphan, every set whose
    /// selector matches it) needs a sync.
    fn pod_changed(&self, pod: &Pod, added: bool) {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        if let Some(owner) = controller_of(&pod.metadata, "ReplicaSet") {
            let key = (namespace, owner.name.clone());
            if added {
                self.expectations.creation_observed(&key);
            }
            if pod.metadata.deletion_timestamp.is_some() {
                self.expectations
                    .deletion_observed(&key, pod.metadata.uid.as_deref().unwrap_or_default());
            }
            self.queue.add(key);
            return;
        }
        if pod.metadata.deletion_timestamp.is_some() || has_controller(&pod.metadata) {
            return;
        }
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        for rs in self.sets.state() {
            if rs.metadata.namespace.as_deref() == Some(namespace.as_str())
                && selector_of(&rs).is_some_and(|s| s.matches(&labels))
            {
                self.queue.add(key_of(&rs.metadata));
            }
        }
    }

    fn pod_deleted(&self, pod: &Pod) {
        if let Some(owner) = controller_of(&pod.metadata, "ReplicaSet") {
            let key = (
                pod.metadata.namespace.clone().unwrap_or_default(),
                owner.name.clone(),
            );
            self.expectations
                .deletion_observed(&key, pod.metadata.uid.as_deref().unwrap_or_default());
            self.queue.add(key);
        }
    }

    async fn work(self: Arc<Self>) {
        let _ = self.sets.wait_until_ready().await;
        self.pods.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "replicaset controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    /// One pass over a ReplicaSet; returns when to look again, if it must.
    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(rs) = self
            .sets
            .get(&reflector::ObjectRef::new(&key.1).within(&key.0))
        else {
            self.expectations.forget(key);
            return Ok(None);
        };
        let Some(selector) = selector_of(&rs) else {
            return Ok(None);
        };
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &key.0);
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let mut owned: Vec<Arc<Pod>> = Vec::new();
        for pod in self.pods.in_namespace(&key.0) {
            if !is_active(&pod) {
                continue;
            }
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let matches = selector.matches(&labels);
            match controller_of(&pod.metadata, "ReplicaSet") {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        owned.push(pod);
                    } else {
                        release(&api, &pod, &uid).await?;
                    }
                }
                Some(_) => {}
                None => {
                    let orphan = matches
                        && !has_controller(&pod.metadata)
                        && rs.metadata.deletion_timestamp.is_none();
                    if orphan && adopt(&api, &*pod, &owner_reference(&rs)).await? {
                        owned.push(pod);
                    }
                }
            }
        }
        let mut failure = None;
        if self.expectations.satisfied(key) && rs.metadata.deletion_timestamp.is_none() {
            failure = self.manage(&rs, key, &owned, &api).await;
        }
        let min_ready = rs
            .spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0);
        let status = calculate_status(&rs, &owned, failure, Timestamp::now());
        if rs.status.as_ref() != Some(&status) {
            let sets: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &key.0);
            let mut body = serde_json::to_value(&status)?;
            // A merge patch clears what it names as null; absent would keep old values.
            for field in [
                "fullyLabeledReplicas",
                "readyReplicas",
                "availableReplicas",
                "conditions",
            ] {
                if body.get(field).is_none() {
                    body[field] = serde_json::Value::Null;
                }
            }
            let patch = json!({"status": body});
            sets.patch_status(&key.1, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        }
        // Pods ready but not yet available become available with time alone.
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            return Ok(Some(Duration::from_secs(min_ready as u64)));
        }
        Ok(None)
    }

    /// Creates or deletes pods; returns the failure to report, if any.
    async fn manage(
        &self,
        rs: &ReplicaSet,
        key: &Key,
        owned: &[Arc<Pod>],
        api: &Api<Pod>,
    ) -> Option<(String, String)> {
        let wanted = rs
            .spec
            .as_ref()
            .and_then(|s| s.replicas)
            .unwrap_or(1)
            .max(0) as usize;
        let reference = object_reference(rs);
        if owned.len() < wanted {
            let count = (wanted - owned.len()).min(BURST_REPLICAS);
            self.expectations.expect_creations(key, count);
            let pod = pod_from_template(rs);
            let create_params = PostParams::default();
            let mut attempted = 0;
            let mut error = None;
            for batch in slow_start_batches(count) {
                if error.is_some() {
                    break;
                }
                let results =
                    futures::future::join_all((0..batch).map(|_| api.create(&create_params, &pod)))
                        .await;
                attempted += batch;
                let mut notes = Vec::new();
                for result in results {
                    match result {
                        Ok(pod) => {
                            let name = pod.metadata.name.unwrap_or_default();
                            notes.push((
                                EventType::Normal,
                                "SuccessfulCreate",
                                format!("Created pod: {name}"),
                            ));
                        }
                        Err(e) => {
                            self.expectations.creation_observed(key);
                            let message = api_message(&e);
                            notes.push((
                                EventType::Warning,
                                "FailedCreate",
                                format!("Error creating: {message}"),
                            ));
                            error = Some(("FailedCreate".to_string(), message));
                        }
                    }
                }
                futures::future::join_all(notes.into_iter().map(|(type_, reason, note)| {
                    self.record(&reference, type_, reason, "Create", note)
                }))
                .await;
            }
            // The batches never sent will never be observed.
            for _ in attempted..count {
                self.expectations.creation_observed(key);
            }
            return error;
        }
        if owned.len() > wanted {
            let count = (owned.len() - wanted).min(BURST_REPLICAS);
            let victims = pods_to_delete(owned, count, Timestamp::now());
            let uids: Vec<String> = victims
                .iter()
                .map(|p| p.metadata.uid.clone().unwrap_or_default())
                .collect();
            self.expectations.expect_deletions(key, &uids);
            let delete_params = DeleteParams::default();
            let results = futures::future::join_all(victims.iter().map(|pod| {
                api.delete(
                    pod.metadata.name.as_deref().unwrap_or_default(),
                    &delete_params,
                )
            }))
            .await;
            let mut failure = None;
            for (pod, result) in victims.iter().zip(results) {
                let name = pod.metadata.name.clone().unwrap_or_default();
                match result {
                    Ok(_) => {
                        self.record(
                            &reference,
                            EventType::Normal,
                            "SuccessfulDelete",
                            "Delete",
                            format!("Deleted pod: {name}"),
                        )
                        .await;
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 => {
                        self.expectations.deletion_observed(
                            key,
                            pod.metadata.uid.as_deref().unwrap_or_default(),
                        );
                    }
                    Err(e) => {
                        self.expectations.deletion_observed(
                            key,
                            pod.metadata.uid.as_deref().unwrap_or_default(),
                        );
                        let message = api_message(&e);
                        self.record(
                            &reference,
                            EventType::Warning,
                            "FailedDelete",
                            "Delete",
                            format!("Error deleting: {message}"),
                        )
                        .await;
                        failure = Some(("FailedDelete".to_string(), message));
                    }
                }
            }
            return failure;
        }
        None
    }

    async fn record(
        &self,
        reference: &ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(reference, occurrence).await {
            tracing::debug!(%error, "replicaset controller: recording an event failed");
        }
    }
}

/// The sizes of the creation batches for `count` pods: 1, 2, 4, ... as
/// upstream's `slowStartBatch`, the last one what is left.
fn slow_start_batches(count: usize) -> Vec<usize> {
    let mut batches = Vec::new();
    let mut batch = SLOW_START_INITIAL_BATCH;
    let mut left = count;
    while left > 0 {
        let size = batch.min(left);
        batches.push(size);
        left -= size;
        batch *= 2;
    }
    batches
}

/// The status a ReplicaSet should show for these owned active pods.
fn calculate_status(
    rs: &ReplicaSet,
    owned: &[Arc<Pod>],
    failure: Option<(String, String)>,
    now: Timestamp,
) -> ReplicaSetStatus {
    let template_labels = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let min_ready = rs
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut status = ReplicaSetStatus {
        replicas: owned.len() as i32,
        observed_generation: rs.metadata.generation,
        ..ReplicaSetStatus::default()
    };
    let (mut fully_labeled, mut ready, mut available) = (0, 0, 0);
    for pod in owned {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        if template_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
        {
            fully_labeled += 1;
        }
        if is_ready(pod) {
            ready += 1;
            if is_available(pod, min_ready, now) {
                available += 1;
            }
        }
    }
    status.fully_labeled_replicas = Some(fully_labeled);
    status.ready_replicas = Some(ready);
    status.available_replicas = Some(available);
    let mut conditions: Vec<ReplicaSetCondition> = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let existing = conditions.iter().position(|c| c.type_ == "ReplicaFailure");
    match (failure, existing) {
        (Some((reason, message)), None) => conditions.push(ReplicaSetCondition {
            type_: "ReplicaFailure".to_string(),
            status: "True".to_string(),
            reason: Some(reason),
            message: Some(message),
            last_transition_time: Some(Time(now)),
        }),
        (Some((reason, message)), Some(index)) => {
            conditions[index].reason = Some(reason);
            conditions[index].message = Some(message);
        }
        (None, Some(index)) => {
            conditions.remove(index);
        }
        (None, None) => {}
    }
    status.conditions = (!conditions.is_empty()).then_some(conditions);
    // Keep the zero values as the API server shows them (omitted).
    if status.fully_labeled_replicas == Some(0) {
        status.fully_labeled_replicas = None;
    }
    if status.ready_replicas == Some(0) {
        status.ready_replicas = None;
    }
    if status.available_replicas == Some(0) {
        status.available_replicas = None;
    }
    status
}

/// A new pod for this ReplicaSet, named by the API server (`<rs>-<5 chars>`).
fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let name = rs.metadata.name.clone().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: rs.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![owner_reference(rs)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// The controller reference a ReplicaSet puts on its pods.
fn owner_reference(rs: &ReplicaSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_string(),
        kind: "ReplicaSet".to_string(),
        name: rs.metadata.name.clone().unwrap_or_default(),
        uid: rs.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

pub(crate) fn object_reference_of(
    kind: &str,
    api_version: &str,
    meta: &ObjectMeta,
) -> ObjectReference {
    ObjectReference {
        api_version: Some(api_version.to_string()),
        kind: Some(kind.to_string()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        ..ObjectReference::default()
    }
}

fn object_reference(rs: &ReplicaSet) -> ObjectReference {
    object_reference_of("ReplicaSet", "apps/v1", &rs.metadata)
}

pub(crate) fn key_of(meta: &ObjectMeta) -> Key {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The owner reference with `controller: true` of this kind, if any.
pub(crate) fn controller_of<'a>(meta: &'a ObjectMeta, kind: &str) -> Option<&'a OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true) && r.kind == kind)
}

/// Any controller reference at all.
pub(crate) fn has_controller(meta: &ObjectMeta) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|r| r.controller == Some(true))
}

fn selector_of(rs: &ReplicaSet) -> Option<Selector> {
    let selector = rs.spec.as_ref()?.selector.clone();
    let selector = Selector::try_from(selector).ok()?;
    // An empty selector selects nothing for a controller, as upstream.
    (!selector.selects_all()).then_some(selector)
}

/// Sets `ownerReferences` to add `reference`, only if the pod is still an
/// orphan as read. False when the pod changed meanwhile.
pub(crate) async fn adopt<K>(
    api: &Api<K>,
    meta_of: &K,
    reference: &OwnerReference,
) -> Result<bool, Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let meta = meta_of.meta();
    let mut references = meta.owner_references.clone().unwrap_or_default();
    references.push(reference.clone());
    let ops = json!([
        {"op": "test", "path": "/metadata/uid", "value": meta.uid},
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta.resource_version},
        {"op": "add", "path": "/metadata/ownerReferences", "value": references},
    ]);
    patch_guarded(api, meta.name.as_deref().unwrap_or_default(), ops).await
}

/// Removes the owner reference to `owner_uid`, only from the object as read.
pub(crate) async fn release<K>(api: &Api<K>, object: &K, owner_uid: &str) -> Result<bool, Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let meta = object.meta();
    let references: Vec<OwnerReference> = meta
        .owner_references
        .iter()
        .flatten()
        .filter(|r| r.uid != owner_uid)
        .cloned()
        .collect();
    let ops = json!([
        {"op": "test", "path": "/metadata/uid", "value": meta.uid},
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta.resource_version},
        {"op": "add", "path": "/metadata/ownerReferences", "value": references},
    ]);
    patch_guarded(api, meta.name.as_deref().unwrap_or_default(), ops).await
}

async fn patch_guarded<K>(api: &Api<K>, name: &str, ops: serde_json::Value) -> Result<bool, Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let patch: json_patch::Patch = serde_json::from_value(ops)?;
    match api
        .patch(name, &PatchParams::default(), &Patch::<()>::Json(patch))
        .await
    {
        Ok(_) => Ok(true),
        // Gone, or changed since it was read (a failed test): the next event
        // brings the object back to a sync.
        Err(kube::Error::Api(status)) if [404, 409, 422].contains(&status.code) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// What the API server said, as upstream's events quote it (the Status
/// message), or the client error.
fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// Neither finished nor being deleted (upstream's `IsPodActive`).
fn is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed")) && pod.metadata.deletion_timestamp.is_none()
}

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

pub(crate) fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// Ready for at least `min_ready_seconds` (upstream's `IsPodAvailable`).
pub(crate) fn is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    let Some(condition) = ready_condition(pod).filter(|c| c.status == "True") else {
        return false;
    };
    if min_ready_seconds <= 0 {
        return true;
    }
    match &condition.last_transition_time {
        Some(Time(at)) => at.as_second() + i64::from(min_ready_seconds) <= now.as_second(),
        None => false,
    }
}

/// The `count` pods to delete first, as upstream's `ActivePodsWithRanks`
/// orders them; the rank of a pod is how many of the set's pods share its node.
fn pods_to_delete(pods: &[Arc<Pod>], count: usize, now: Timestamp) -> Vec<Arc<Pod>> {
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for pod in pods {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            *per_node.entry(node).or_default() += 1;
        }
    }
    let mut ranked: Vec<(usize, &Arc<Pod>)> = pods
        .iter()
        .map(|pod| {
            let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
            (
                node.and_then(|n| per_node.get(n)).copied().unwrap_or(0),
                pod,
            )
        })
        .collect();
    ranked.sort_by(|a, b| deletion_order((a.0, a.1), (b.0, b.1), now));
    ranked
        .into_iter()
        .take(count)
        .map(|(_, pod)| pod.clone())
        .collect()
}

/// Which of two pods goes first when scaling down: unassigned before
/// assigned; Pending before Unknown before Running; not ready before ready;
/// more pods on the same node before fewer; ready for less time before more
/// (in log2 buckets, upstream's LogarithmicScaleDown); more restarts before
/// fewer; newer before older.
pub(crate) fn deletion_order(a: (usize, &Pod), b: (usize, &Pod), now: Timestamp) -> Ordering {
    let (rank_a, a) = a;
    let (rank_b, b) = b;
    let assigned = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty())
    };
    let phase = |p: &Pod| match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") | None => 0,
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 3,
    };
    let ready_since = |p: &Pod| {
        ready_condition(p)
            .filter(|c| c.status == "True")
            .and_then(|c| c.last_transition_time.as_ref())
            .map(|t| t.0.as_second())
    };
    let restarts = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
            .unwrap_or(0)
    };
    let created = |p: &Pod| {
        p.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .unwrap_or(0)
    };
    let bucket = |since: i64| {
        let age = (now.as_second() - since).max(0) as u64;
        if age == 0 {
            0
        } else {
            64 - age.leading_zeros()
        }
    };
    assigned(a)
        .cmp(&assigned(b))
        .then(phase(a).cmp(&phase(b)))
        .then(is_ready(a).cmp(&is_ready(b)))
        .then(rank_b.cmp(&rank_a))
        .then_with(|| match (ready_since(a), ready_since(b)) {
            (Some(x), Some(y)) => bucket(x).cmp(&bucket(y)),
            _ => Ordering::Equal,
        })
        .then(restarts(b).cmp(&restarts(a)))
        .then_with(|| bucket(created(a)).cmp(&bucket(created(b))))
        .then(created(b).cmp(&created(a)))
}

/// Creations and deletions a controller is waiting to see through its watch
/// (upstream's `UIDTrackingControllerExpectations`).
#[derive(Default)]
pub(crate) struct Expectations {
    pending: Mutex<HashMap<Key, Pending>>,
}

struct Pending {
    creations: i64,
    deletions: HashSet<String>,
    since: Instant,
}

impl Expectations {
    pub(crate) fn expect_creations(&self, key: &Key, count: usize) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(
                key.clone(),
                Pending {
                    creations: count as i64,
                    deletions: HashSet::new(),
                    since: Instant::now(),
                },
            );
        }
    }

    pub(crate) fn expect_deletions(&self, key: &Key, uids: &[String]) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(
                key.clone(),
                Pending {
                    creations: 0,
                    deletions: uids.iter().cloned().collect(),
                    since: Instant::now(),
                },
            );
        }
    }

    /// Expects both `count` creations and the deletions of `uids`.
    pub(crate) fn expect(&self, key: &Key, count: usize, uids: &[String]) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(
                key.clone(),
                Pending {
                    creations: count as i64,
                    deletions: uids.iter().cloned().collect(),
                    since: Instant::now(),
                },
            );
        }
    }

    pub(crate) fn creation_observed(&self, key: &Key) {
        if let Ok(mut pending) = self.pending.lock() {
            if let Some(p) = pending.get_mut(key) {
                p.creations -= 1;
            }
        }
    }

    pub(crate) fn deletion_observed(&self, key: &Key, uid: &str) {
        if let Ok(mut pending) = self.pending.lock() {
            if let Some(p) = pending.get_mut(key) {
                p.deletions.remove(uid);
            }
        }
    }

    pub(crate) fn satisfied(&self, key: &Key) -> bool {
        let Ok(pending) = self.pending.lock() else {
            return true;
        };
        match pending.get(key) {
            None => true,
            Some(p) => {
                (p.creations <= 0 && p.deletions.is_empty())
                    || p.since.elapsed() > EXPECTATIONS_TIMEOUT
            }
        }
    }

    pub(crate) fn forget(&self, key: &Key) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};

    fn pod(
        name: &str,
        node: Option<&str>,
        phase: &str,
        ready_at: Option<i64>,
        created: i64,
    ) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                creation_timestamp: Some(Time(Timestamp::from_second(created).unwrap())),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                node_name: node.map(str::to_string),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.to_string()),
                conditions: ready_at.map(|at| {
                    vec![PodCondition {
                        type_: "Ready".to_string(),
                        status: "True".to_string(),
                        last_transition_time: Some(Time(Timestamp::from_second(at).unwrap())),
                        ..PodCondition::default()
                    }]
                }),
                ..PodStatus::default()
            }),
        }
    }

    fn names(pods: &[Arc<Pod>]) -> Vec<String> {
        pods.iter()
            .map(|p| p.metadata.name.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn deletion_ranks_unscheduled_pending_unready_then_newest() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let pods: Vec<Arc<Pod>> = vec![
            Arc::new(pod("old-ready", Some("n1"), "Running", Some(1_000), 100)),
            Arc::new(pod(
                "new-ready",
                Some("n2"),
                "Running",
                Some(999_990),
                999_000,
            )),
            Arc::new(pod("not-ready", Some("n3"), "Running", None, 50)),
            Arc::new(pod("pending", Some("n4"), "Pending", None, 60)),
            Arc::new(pod("unscheduled", None, "Pending", None, 70)),
        ];
        let order = pods_to_delete(&pods, 5, now);
        assert_eq!(
            names(&order),
            [
                "unscheduled",
                "pending",
                "not-ready",
                "new-ready",
                "old-ready"
            ]
        );
    }

    #[test]
    fn deletion_prefers_doubled_up_nodes_then_newer() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let pods: Vec<Arc<Pod>> = vec![
            Arc::new(pod("alone", Some("n1"), "Running", Some(10), 10)),
            Arc::new(pod("shared-a", Some("n2"), "Running", Some(10), 10)),
            Arc::new(pod("shared-b", Some("n2"), "Running", Some(10), 20)),
        ];
        assert_eq!(names(&pods_to_delete(&pods, 1, now)), ["shared-b"]);
    }

    #[test]
    fn creations_start_slow_and_double() {
        assert_eq!(slow_start_batches(0), Vec::<usize>::new());
        assert_eq!(slow_start_batches(1), [1]);
        assert_eq!(slow_start_batches(10), [1, 2, 4, 3]);
        assert_eq!(slow_start_batches(500).iter().sum::<usize>(), 500);
    }

    #[test]
    fn availability_waits_for_min_ready_seconds() {
        let now = Timestamp::from_second(1_000).unwrap();
        let p = pod("p", Some("n"), "Running", Some(995), 0);
        assert!(is_available(&p, 0, now));
        assert!(is_available(&p, 5, now));
        assert!(!is_available(&p, 6, now));
    }

    #[test]
    fn expectations_hold_until_observed() {
        let expectations = Expectations::default();
        let key = ("ns".to_string(), "rs".to_string());
        assert!(expectations.satisfied(&key));
        expectations.expect_creations(&key, 2);
        expectations.creation_observed(&key);
        assert!(!expectations.satisfied(&key));
        expectations.creation_observed(&key);
        assert!(expectations.satisfied(&key));
        expectations.expect_deletions(&key, &["a".to_string()]);
        assert!(!expectations.satisfied(&key));
        expectations.deletion_observed(&key, "a");
        assert!(expectations.satisfied(&key));
    }
}

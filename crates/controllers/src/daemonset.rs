//! The DaemonSet controller: one pod per eligible node, as upstream's
//! `pkg/controller/daemon`.
//!
//! Which nodes are eligible is [`placement`]: the template's nodeName,
//! nodeSelector and required node affinity, and the node's NoSchedule and
//! NoExecute taints against the template's tolerations plus the tolerations
//! every daemon pod gets. As upstream since 1.12 the controller does not bind:
//! each pod carries a required node affinity `metadata.name In [node]` and the
//! scheduler places it. Templates are recorded as ControllerRevisions
//! (`history.rs`); pods carry `controller-revision-hash` and
//! `pod-template-generation`. Updates follow `spec.updateStrategy`:
//! RollingUpdate replaces old pods within maxUnavailable or, with maxSurge,
//! starts the new pod first; OnDelete waits for the user to delete pods.

pub(crate) mod claim;
pub mod placement;
mod rolling;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{json, Value};

use crate::events::{EventType, Occurrence, Recorder};
use crate::history::{self, History};
use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::replicaset::{controller_of, is_available, is_ready, key_of, Expectations, Key};
use crate::Error;

/// The label with the DaemonSet's template generation on its pods.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// The annotation apps/v1 DaemonSets carry their template generation in.
const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";
const RETRY: Duration = Duration::from_secs(1);

struct Controller {
    client: Client,
    informers: Informers,
    sets: Informer<DaemonSet>,
    history: History,
    queue: WorkQueue<Key>,
    expectations: Expectations,
    failed_backoff: Backoff,
    events: Recorder,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let sets: Informer<DaemonSet> = Informer::new();
    tokio::spawn(sets.clone().run(Api::all(client.clone())));
    let controller = Arc::new(Controller {
        history: History::start(client.clone()),
        events: Recorder::new(client.clone(), "daemonset-controller"),
        client,
        informers,
        sets,
        queue: WorkQueue::new(),
        expectations: Expectations::default(),
        failed_backoff: Backoff::default(),
    });
    let mut set_notices = controller.sets.subscribe();
    let mut pod_notices = controller.informers.pods.subscribe();
    let mut node_notices = controller.informers.nodes.subscribe();
    let worker = {
        let controller = controller.clone();
        tokio::spawn(async move { controller.work().await })
    };
    loop {
        tokio::select! {
            Some(notice) = set_notices.recv() => match notice {
                Notice::Applied { new, .. } => controller.queue.add(key_of(&new.metadata)),
                Notice::Deleted(ds) => controller.expectations.forget(&key_of(&ds.metadata)),
            },
            Some(notice) = pod_notices.recv() => controller.pod_changed(notice),
            Some(notice) = node_notices.recv() => {
                let relevant = match &notice {
                    Notice::Applied { old: Some(old), new } => node_changed(old, new),
                    _ => true,
                };
                if relevant {
                    for ds in controller.sets.list() {
                        controller.queue.add(key_of(&ds.metadata));
                    }
                }
            }
            else => break,
        }
    }
    worker.abort();
    Ok(())
}

/// Whether a node change can change where daemon pods should run.
fn node_changed(old: &Node, new: &Node) -> bool {
    let conditions = |n: &Node| {
        n.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .map(|cs| {
                cs.iter()
                    .map(|c| (c.type_.clone(), c.status.clone()))
                    .collect::<Vec<_>>()
            })
    };
    old.metadata.labels != new.metadata.labels
        || old.spec != new.spec
        || conditions(old) != conditions(new)
}

impl Controller {
    fn pod_changed(&self, notice: Notice<Pod>) {
        let (pod, created, deleted) = match &notice {
            Notice::Applied { old, new } => (new, old.is_none(), false),
            Notice::Deleted(pod) => (pod, false, true),
        };
        let Some(owner) = controller_of(&pod.metadata, "DaemonSet") else {
            // An orphan: every set that could adopt it looks again.
            if !deleted {
                let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
                for ds in self.sets.list() {
                    let selects = ds
                        .spec
                        .as_ref()
                        .is_some_and(|s| claim::orphan_matches(&s.selector, pod));
                    if ds.metadata.namespace.as_deref() == Some(namespace) && selects {
                        self.queue.add(key_of(&ds.metadata));
                    }
                }
            }
            return;
        };
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            owner.name.clone(),
        );
        if created {
            self.expectations.creation_observed(&key);
        }
        if deleted || pod.metadata.deletion_timestamp.is_some() {
            self.expectations
                .deletion_observed(&key, pod.metadata.uid.as_deref().unwrap_or_default());
        }
        self.queue.add(key);
    }

    async fn work(self: Arc<Self>) {
        self.sets.wait_synced().await;
        self.informers.pods.wait_synced().await;
        self.informers.nodes.wait_synced().await;
        self.history.informer.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "daemonset controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(ds) = self.sets.get(&key.0, &key.1) else {
            self.expectations.forget(key);
            return Ok(None);
        };
        if ds.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let spec = ds.spec.clone().unwrap_or_default();
        let (revision_hash, revisions) = self.revisions(&ds).await?;
        let nodes = self.informers.nodes.list();
        let pods = claim::claim_pods(
            &self.client,
            &self.informers.pods,
            &key.0,
            &owner_reference(&ds),
            claim::selector_of(&spec.selector).as_ref(),
            ds.metadata.deletion_timestamp.is_some(),
            |_| true,
        )
        .await?;
        let by_node = pods_by_node(&pods);
        let template = placement::with_daemon_tolerations(&spec.template);
        let generation = template_generation(&ds);
        let now = Timestamp::now();
        let min_ready = spec.min_ready_seconds.unwrap_or(0);

        if self.expectations.satisfied(key) {
            let mut plan = Plan::default();
            let surge = rolling::max_surge_configured(&ds);
            for node in &nodes {
                let name = node.metadata.name.clone().unwrap_or_default();
                let on_node = by_node.get(&name).cloned().unwrap_or_default();
                let fit = placement::placement(node, &template);
                self.plan_node(&ds, &name, fit, &on_node, &revision_hash, surge, &mut plan)
                    .await;
            }
            // Pods on nodes that no longer exist.
            let known: BTreeSet<String> = nodes
                .iter()
                .filter_map(|n| n.metadata.name.clone())
                .collect();
            for (node, on_node) in &by_node {
                if !known.contains(node) {
                    plan.delete.extend(
                        on_node
                            .iter()
                            .filter(|p| p.metadata.deletion_timestamp.is_none())
                            .cloned(),
                    );
                }
            }
            let mut changed = !plan.create.is_empty() || !plan.delete.is_empty();
            self.apply(&ds, key, plan, &revision_hash, generation.as_deref())
                .await?;
            if !changed && is_rolling(&ds) {
                let desired = desired_nodes(&nodes, &template);
                let plan = rolling::plan(
                    &ds,
                    &desired,
                    &by_node,
                    &revision_hash,
                    generation.as_deref(),
                    now,
                );
                changed = !plan.create.is_empty() || !plan.delete.is_empty();
                let plan = Plan {
                    create: plan.create,
                    delete: plan.delete,
                };
                self.apply(&ds, key, plan, &revision_hash, generation.as_deref())
                    .await?;
            }
            if !changed {
                self.cleanup_history(&ds, &revisions, &pods, &revision_hash)
                    .await?;
            }
        }

        let status = calculate_status(
            &ds,
            &nodes,
            &template,
            &by_node,
            &revision_hash,
            generation.as_deref(),
            now,
        );
        if ds.status.as_ref() != Some(&status) {
            let api: Api<DaemonSet> = Api::namespaced(self.client.clone(), &key.0);
            let mut body = serde_json::to_value(&status)?;
            for field in [
                "numberAvailable",
                "numberUnavailable",
                "updatedNumberScheduled",
                "collisionCount",
            ] {
                if body.get(field).is_none() {
                    body[field] = Value::Null;
                }
            }
            api.patch_status(
                &key.1,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "status": body })),
            )
            .await?;
        }
        if min_ready > 0 && status.number_available.unwrap_or(0) < status.number_ready {
            return Ok(Some(Duration::from_secs(min_ready as u64)));
        }
        Ok(None)
    }

    /// The current revision (created if new) and all the set's revisions.
    async fn revisions(
        &self,
        ds: &DaemonSet,
    ) -> Result<(String, Vec<Arc<ControllerRevision>>), Error> {
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let namespace = ds.metadata.namespace.clone().unwrap_or_default();
        let name = ds.metadata.name.clone().unwrap_or_default();
        let spec = ds.spec.clone().unwrap_or_default();
        let data = history::template_patch(&spec.template)?;
        let owned = self.history.owned(&uid);
        let labels: BTreeMap<String, String> = spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let old_collisions = ds
            .status
            .as_ref()
            .and_then(|s| s.collision_count)
            .unwrap_or(0);
        let mut collisions = old_collisions;
        let current = self
            .history
            .ensure(
                &namespace,
                &name,
                &owner_reference(ds),
                labels,
                &data,
                &owned,
                &mut collisions,
            )
            .await?;
        if collisions != old_collisions {
            let api: Api<DaemonSet> = Api::namespaced(self.client.clone(), &namespace);
            api.patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": {"collisionCount": collisions}})),
            )
            .await?;
        }
        let hash = current
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(history::HASH_LABEL).cloned())
            .unwrap_or_else(|| history::hash(&data, Some(collisions)));
        Ok((hash, owned))
    }

    /// Deletes revisions beyond `revisionHistoryLimit` that no pod uses.
    async fn cleanup_history(
        &self,
        ds: &DaemonSet,
        revisions: &[Arc<ControllerRevision>],
        pods: &[Arc<Pod>],
        current_hash: &str,
    ) -> Result<(), Error> {
        let limit = ds
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(history::DEFAULT_HISTORY_LIMIT);
        let mut live_hashes: BTreeSet<String> = pods
            .iter()
            .filter_map(|p| {
                p.metadata
                    .labels
                    .as_ref()?
                    .get(history::HASH_LABEL)
                    .cloned()
            })
            .collect();
        live_hashes.insert(current_hash.to_string());
        let live: BTreeSet<String> = revisions
            .iter()
            .filter(|r| {
                r.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(history::HASH_LABEL))
                    .is_some_and(|h| live_hashes.contains(h))
            })
            .filter_map(|r| r.metadata.name.clone())
            .collect();
        for revision in history::to_prune(revisions, &live, limit) {
            self.history.delete(&revision).await?;
        }
        Ok(())
    }

    /// What to do on one node (upstream's `podsShouldBeOnNode`).
    #[allow(clippy::too_many_arguments)]
    async fn plan_node(
        &self,
        ds: &DaemonSet,
        node: &str,
        fit: placement::Placement,
        on_node: &[Arc<Pod>],
        hash: &str,
        surge: bool,
        plan: &mut Plan,
    ) {
        if fit.should_run && on_node.is_empty() {
            plan.create.push(node.to_string());
            return;
        }
        if !fit.should_continue_running {
            plan.delete.extend(
                on_node
                    .iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .cloned(),
            );
            return;
        }
        let mut running: Vec<Arc<Pod>> = Vec::new();
        for pod in on_node {
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            match phase(pod) {
                "Failed" => {
                    // Killing failed pods is where a DaemonSet fights a
                    // kubelet that rejects them: back off per node.
                    let backoff_key = (key_of(&ds.metadata), node.to_string());
                    if let Some(wait) = self.failed_backoff.wait(&backoff_key) {
                        self.queue.add_after(backoff_key.0, wait);
                        continue;
                    }
                    let note = format!(
                        "Found failed daemon pod {}/{} on node {node}, will try to kill it",
                        pod.metadata.namespace.as_deref().unwrap_or_default(),
                        pod.metadata.name.as_deref().unwrap_or_default()
                    );
                    self.record(ds, EventType::Warning, "FailedDaemonPod", "Delete", note)
                        .await;
                    plan.delete.push(pod.clone());
                }
                "Succeeded" => plan.delete.push(pod.clone()),
                _ => running.push(pod.clone()),
            }
        }
        if running.len() <= 1 {
            if running.is_empty() && fit.should_run && surge {
                plan.create.push(node.to_string());
            }
            return;
        }
        running.sort_by(|a, b| creation_order(a, b));
        if !surge {
            plan.delete.extend(running.into_iter().skip(1));
            return;
        }
        // With surge two pods may share the node only while the newest
        // (updated) one is not ready and the old one is.
        let updated = running.iter().find(|p| pod_hash(p) == Some(hash)).cloned();
        let old = running.iter().find(|p| pod_hash(p) != Some(hash)).cloned();
        let keep: Vec<Arc<Pod>> = match (updated, old) {
            (Some(new), Some(old)) if !is_ready(&new) && is_ready(&old) => vec![new, old],
            (Some(new), _) => vec![new],
            (None, Some(old)) => vec![old],
            (None, None) => Vec::new(),
        };
        plan.delete.extend(
            running
                .into_iter()
                .filter(|p| !keep.iter().any(|k| Arc::ptr_eq(k, p))),
        );
    }

    /// Creates and deletes what `plan` says, with expectations.
    async fn apply(
        &self,
        ds: &DaemonSet,
        key: &Key,
        plan: Plan,
        hash: &str,
        generation: Option<&str>,
    ) -> Result<(), Error> {
        if plan.create.is_empty() && plan.delete.is_empty() {
            return Ok(());
        }
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &key.0);
        let uids: Vec<String> = plan
            .delete
            .iter()
            .map(|p| p.metadata.uid.clone().unwrap_or_default())
            .collect();
        self.expectations.expect(key, plan.create.len(), &uids);
        let mut failure = None;
        let creates = plan.create.iter().map(|node| {
            let pod = new_pod(ds, node, hash, generation);
            let api = api.clone();
            async move { (api.create(&PostParams::default(), &pod).await, node) }
        });
        for (result, node) in futures::future::join_all(creates).await {
            match result {
                Ok(pod) => {
                    let name = pod.metadata.name.unwrap_or_default();
                    self.record(
                        ds,
                        EventType::Normal,
                        "SuccessfulCreate",
                        "Create",
                        format!("Created pod: {name}"),
                    )
                    .await;
                }
                Err(error) => {
                    self.expectations.creation_observed(key);
                    let message = api_message(&error);
                    tracing::debug!(%node, %message, "daemonset controller: create failed");
                    self.record(
                        ds,
                        EventType::Warning,
                        "FailedCreate",
                        "Create",
                        format!("Error creating: {message}"),
                    )
                    .await;
                    failure = Some(error);
                }
            }
        }
        let deletes = plan.delete.iter().map(|pod| {
            let api = api.clone();
            async move {
                let name = pod.metadata.name.clone().unwrap_or_default();
                (api.delete(&name, &DeleteParams::default()).await, pod)
            }
        });
        for (result, pod) in futures::future::join_all(deletes).await {
            let name = pod.metadata.name.clone().unwrap_or_default();
            match result {
                Ok(_) => {
                    self.record(
                        ds,
                        EventType::Normal,
                        "SuccessfulDelete",
                        "Delete",
                        format!("Deleted pod: {name}"),
                    )
                    .await
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    self.expectations
                        .deletion_observed(key, pod.metadata.uid.as_deref().unwrap_or_default());
                }
                Err(error) => {
                    self.expectations
                        .deletion_observed(key, pod.metadata.uid.as_deref().unwrap_or_default());
                    let message = api_message(&error);
                    self.record(
                        ds,
                        EventType::Warning,
                        "FailedDelete",
                        "Delete",
                        format!("Error deleting: {message}"),
                    )
                    .await;
                    failure = Some(error);
                }
            }
        }
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    async fn record(
        &self,
        ds: &DaemonSet,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let reference = object_reference(ds);
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "daemonset controller: recording an event failed");
        }
    }
}

/// Per DaemonSet and node, when failed pods may next be killed: 1 s,
/// doubling to 15 minutes (upstream's `failedPodsBackoff`).
#[derive(Default)]
struct Backoff {
    entries: std::sync::Mutex<HashMap<(Key, String), (std::time::Instant, Duration)>>,
}

const BACKOFF_INITIAL: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

impl Backoff {
    /// None (and the next step taken) when the key may act now; else how
    /// long it must still wait.
    fn wait(&self, key: &(Key, String)) -> Option<Duration> {
        let Ok(mut entries) = self.entries.lock() else {
            return None;
        };
        let now = std::time::Instant::now();
        // Entries idle for twice the maximum are forgotten.
        entries.retain(|_, (at, _)| now.duration_since(*at) < 2 * BACKOFF_MAX);
        match entries.get_mut(key) {
            Some((at, step)) => {
                let ready = *at + *step;
                if now < ready {
                    return Some(ready - now);
                }
                *at = now;
                *step = (*step * 2).min(BACKOFF_MAX);
                None
            }
            None => {
                entries.insert(key.clone(), (now, BACKOFF_INITIAL));
                None
            }
        }
    }
}

/// Pods to create (by node) and to delete.
#[derive(Default)]
struct Plan {
    create: Vec<String>,
    delete: Vec<Arc<Pod>>,
}

fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn creation_order(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    a.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0)
        .cmp(&b.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .then(a.metadata.name.cmp(&b.metadata.name))
}

pub(crate) fn pod_hash(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(history::HASH_LABEL)
        .map(String::as_str)
}

/// Whether a pod runs the current template (upstream's `IsPodUpdated`).
pub(crate) fn is_updated(pod: &Pod, hash: &str, generation: Option<&str>) -> bool {
    let labels = pod.metadata.labels.as_ref();
    let by_hash = !hash.is_empty() && pod_hash(pod) == Some(hash);
    let by_generation = generation.is_some_and(|g| {
        labels
            .and_then(|l| l.get(TEMPLATE_GENERATION_LABEL))
            .is_some_and(|v| v == g)
    });
    by_hash || by_generation
}

fn is_rolling(ds: &DaemonSet) -> bool {
    ds.spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate"
}

fn template_generation(ds: &DaemonSet) -> Option<String> {
    ds.metadata
        .annotations
        .as_ref()?
        .get(TEMPLATE_GENERATION_ANNOTATION)
        .cloned()
}

/// The names of the nodes that should run a daemon pod.
fn desired_nodes(
    nodes: &[Arc<Node>],
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| placement::placement(n, template).should_run)
        .filter_map(|n| n.metadata.name.clone())
        .collect()
}

/// Daemon pods grouped by the node they are (or will be) on.
fn pods_by_node(pods: &[Arc<Pod>]) -> HashMap<String, Vec<Arc<Pod>>> {
    let mut by_node: HashMap<String, Vec<Arc<Pod>>> = HashMap::new();
    for pod in pods {
        if let Some(node) = placement::target_node(pod) {
            by_node.entry(node).or_default().push(pod.clone());
        }
    }
    by_node
}

/// A new daemon pod for `node`.
fn new_pod(ds: &DaemonSet, node: &str, hash: &str, generation: Option<&str>) -> Pod {
    let spec = ds.spec.clone().unwrap_or_default();
    let template = placement::with_daemon_tolerations(&spec.template);
    let meta = template.metadata.unwrap_or_default();
    let mut labels = meta.labels.unwrap_or_default();
    labels.insert(history::HASH_LABEL.to_string(), hash.to_string());
    if let Some(generation) = generation {
        labels.insert(
            TEMPLATE_GENERATION_LABEL.to_string(),
            generation.to_string(),
        );
    }
    let mut pod_spec = template.spec.unwrap_or_default();
    placement::pin_to_node(&mut pod_spec, node);
    let name = ds.metadata.name.clone().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: ds.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![owner_reference(ds)]),
            ..ObjectMeta::default()
        },
        spec: Some(pod_spec),
        status: None,
    }
}

fn owner_reference(ds: &DaemonSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_string(),
        kind: "DaemonSet".to_string(),
        name: ds.metadata.name.clone().unwrap_or_default(),
        uid: ds.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn object_reference(ds: &DaemonSet) -> ObjectReference {
    crate::replicaset::object_reference_of("DaemonSet", "apps/v1", &ds.metadata)
}

/// The status for these nodes and pods (upstream's `updateDaemonSetStatus`).
fn calculate_status(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
    by_node: &HashMap<String, Vec<Arc<Pod>>>,
    hash: &str,
    generation: Option<&str>,
    now: Timestamp,
) -> DaemonSetStatus {
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut status = DaemonSetStatus {
        observed_generation: ds.metadata.generation,
        collision_count: ds.status.as_ref().and_then(|s| s.collision_count),
        conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        ..DaemonSetStatus::default()
    };
    let (mut available, mut updated) = (0, 0);
    for node in nodes {
        let name = node.metadata.name.clone().unwrap_or_default();
        let fit = placement::placement(node, template);
        let mut pods: Vec<&Arc<Pod>> = by_node
            .get(&name)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        pods.sort_by(|a, b| creation_order(a, b));
        if fit.should_run {
            status.desired_number_scheduled += 1;
            if let Some(pod) = pods.first() {
                status.current_number_scheduled += 1;
                if is_ready(pod) {
                    status.number_ready += 1;
                    if is_available(pod, min_ready, now) {
                        available += 1;
                    }
                }
                if pods.iter().any(|p| is_updated(p, hash, generation)) {
                    updated += 1;
                }
            }
        } else if !pods.is_empty() {
            status.number_misscheduled += 1;
        }
    }
    let unavailable = status.desired_number_scheduled - available;
    status.number_available = (available > 0).then_some(available);
    status.updated_number_scheduled = (updated > 0).then_some(updated);
    status.number_unavailable = (unavailable > 0).then_some(unavailable);
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    pub(super) fn daemon_pod(name: &str, node: &str, hash: &str, ready: bool) -> Arc<Pod> {
        let mut spec = k8s_openapi::api::core::v1::PodSpec::default();
        placement::pin_to_node(&mut spec, node);
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some([(history::HASH_LABEL.to_string(), hash.to_string())].into()),
                creation_timestamp: Some(Time(Timestamp::from_second(100).unwrap())),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            status: Some(PodStatus {
                phase: Some("Running".to_string()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".to_string(),
                    status: if ready { "True" } else { "False" }.to_string(),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
        })
    }

    #[test]
    fn failed_pod_kills_back_off() {
        let backoff = Backoff::default();
        let key = (("ns".to_string(), "ds".to_string()), "n1".to_string());
        assert_eq!(backoff.wait(&key), None);
        let wait = backoff.wait(&key).expect("in backoff");
        assert!(wait <= BACKOFF_INITIAL);
        let other = (key.0.clone(), "n2".to_string());
        assert_eq!(backoff.wait(&other), None);
    }

    #[test]
    fn status_counts_per_node() {
        let nodes: Vec<Arc<Node>> = ["n1", "n2", "n3"]
            .iter()
            .map(|n| {
                Arc::new(Node {
                    metadata: ObjectMeta {
                        name: Some(n.to_string()),
                        ..ObjectMeta::default()
                    },
                    ..Node::default()
                })
            })
            .collect();
        let pods = vec![
            daemon_pod("a", "n1", "new", true),
            daemon_pod("b", "n2", "old", false),
        ];
        let ds = DaemonSet {
            metadata: ObjectMeta {
                generation: Some(3),
                ..ObjectMeta::default()
            },
            ..DaemonSet::default()
        };
        let template = Default::default();
        let status = calculate_status(
            &ds,
            &nodes,
            &template,
            &pods_by_node(&pods),
            "new",
            None,
            Timestamp::from_second(1000).unwrap(),
        );
        assert_eq!(status.desired_number_scheduled, 3);
        assert_eq!(status.current_number_scheduled, 2);
        assert_eq!(status.number_ready, 1);
        assert_eq!(status.number_available, Some(1));
        assert_eq!(status.number_unavailable, Some(2));
        assert_eq!(status.updated_number_scheduled, Some(1));
        assert_eq!(status.observed_generation, Some(3));
    }
}

//! The node lifecycle controller, as upstream's `pkg/controller/nodelifecycle`
//! with its NoExecute taint manager (`pkg/controller/tainteviction`).
//!
//! Every monitor period it looks at every node: a node whose kubelet has not
//! renewed its Lease (`kube-node-lease/<node>`) nor posted a new Ready
//! heartbeat for the grace period gets its Ready and pressure conditions set
//! to Unknown ("Kubelet stopped posting node status."), a `NodeNotReady`
//! event, and its pods' Ready condition set False. The conditions are
//! mirrored into NoSchedule taints at once (`not-ready`, `unreachable`,
//! pressure, `unschedulable`), and into the NoExecute `unreachable` or
//! `not-ready` taint at a rate limited per zone ([`zones`]); a node that is
//! Ready again loses them. The taint manager deletes the pods of a node with
//! NoExecute taints when their tolerations run out (at once without a
//! matching toleration), with a `TaintManagerEviction` event and a
//! `DisruptionTarget` condition; their controllers create replacements.
//!
//! One task owns all the state: node, pod and lease notices, the monitor
//! tick, the tainting tick and the eviction tick are handled in turn.

mod health;
mod taints;
mod zones;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, ObjectReference, Pod, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::Api;
use serde_json::{json, Value};

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informer, Informers, Notice};
use crate::{Client, Error};

use health::Health;
use zones::{ZoneQueue, ZoneState};

/// The namespace of node leases.
const LEASE_NAMESPACE: &str = "kube-node-lease";
/// How often queued NoExecute taints and due evictions are looked at
/// (upstream's nodeEvictionPeriod).
const TAINT_PERIOD: Duration = Duration::from_millis(100);

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a node may go unheard before it is marked Unknown (upstream's
    /// `--node-monitor-grace-period`, 40 s).
    pub grace_period: Duration,
    /// How long a node that never posted status gets (upstream's
    /// `--node-startup-grace-period`, 60 s).
    pub startup_grace_period: Duration,
    /// How often nodes are checked (upstream's `--node-monitor-period`, 5 s).
    pub monitor_period: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options::with_grace_period(Duration::from_secs(40))
    }
}

impl Options {
    /// Upstream's timings scaled to `grace`: startup grace 1.5 times it, and
    /// a monitor period of a quarter of it, at most 5 s.
    pub fn with_grace_period(grace: Duration) -> Self {
        Options {
            grace_period: grace,
            startup_grace_period: grace.mul_f64(1.5),
            monitor_period: (grace / 4).clamp(Duration::from_millis(200), Duration::from_secs(5)),
        }
    }
}

/// Runs the controller with upstream's timings until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    run_with(client, informers, Options::default()).await
}

/// Runs the controller with `options` until the process ends.
pub async fn run_with(client: Client, informers: Informers, options: Options) -> Result<(), Error> {
    let leases: Informer<Lease> = Informer::new();
    let _lease_task = AbortOnDrop(tokio::spawn(
        leases
            .clone()
            .run(Api::namespaced(client.clone(), LEASE_NAMESPACE)),
    ));
    Controller::new(client, informers, leases, options)
        .run()
        .await
}

/// Aborts a task when dropped (when the controller's future is dropped).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A pod's scheduled deletion.
struct Eviction {
    uid: String,
    at: Instant,
}

struct Controller {
    client: Client,
    informers: Informers,
    leases: Informer<Lease>,
    options: Options,
    recorder: Recorder,
    health: HashMap<String, Health>,
    /// Nodes whose pods still have to be marked not ready.
    mark_pods_retry: HashMap<String, ()>,
    zone_states: HashMap<String, ZoneState>,
    /// Per zone, nodes waiting for their NoExecute taint.
    tainters: HashMap<String, ZoneQueue>,
    all_disrupted: bool,
    evictions: HashMap<(String, String), Eviction>,
}

impl Controller {
    fn new(
        client: Client,
        informers: Informers,
        leases: Informer<Lease>,
        options: Options,
    ) -> Self {
        Controller {
            recorder: Recorder::new(client.clone(), "rkube.io/node-lifecycle-controller"),
            client,
            informers,
            leases,
            options,
            health: HashMap::new(),
            mark_pods_retry: HashMap::new(),
            zone_states: HashMap::new(),
            tainters: HashMap::new(),
            all_disrupted: false,
            evictions: HashMap::new(),
        }
    }

    async fn run(mut self) -> Result<(), Error> {
        let mut node_notices = self.informers.nodes.subscribe();
        let mut pod_notices = self.informers.pods.subscribe();
        self.informers.nodes.wait_synced().await;
        self.informers.pods.wait_synced().await;
        self.leases.wait_synced().await;
        let mut monitor = tokio::time::interval(self.options.monitor_period);
        monitor.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tainting = tokio::time::interval(TAINT_PERIOD);
        tainting.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = monitor.tick() => self.monitor().await,
                _ = tainting.tick() => {
                    self.taint_pass().await;
                    self.evict_due().await;
                }
                Some(notice) = node_notices.recv() => self.node_changed(notice).await,
                Some(notice) = pod_notices.recv() => self.pod_changed(notice).await,
                else => return Ok(()),
            }
        }
    }

    // ----- node health -----

    /// upstream's monitorNodeHealth: every node's health, then the zones.
    async fn monitor(&mut self) {
        let nodes = self.informers.nodes.list();
        let names: HashSet<String> = nodes
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        self.health.retain(|name, _| names.contains(name));
        self.mark_pods_retry.retain(|name, _| names.contains(name));
        let mut zone_readiness: HashMap<String, (usize, usize)> = HashMap::new();
        for node in nodes {
            let Some(name) = node.metadata.name.clone() else {
                continue;
            };
            let node = match self.check_node(&name, node).await {
                Ok(node) => node,
                Err(error) => {
                    tracing::debug!(node = %name, %error, "node lifecycle: checking the node failed");
                    continue;
                }
            };
            let status = node.status.as_ref();
            let ready =
                health::condition(status.and_then(|s| s.conditions.as_ref()), "Ready").cloned();
            let zone = zones::zone_of(node.metadata.labels.as_ref());
            let counts = zone_readiness.entry(zone.clone()).or_default();
            if ready.as_ref().is_some_and(|c| c.status == "True") {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            let node = match self.no_schedule_taints(&node).await {
                Some(written) => Arc::new(written),
                None => node.clone(),
            };
            self.no_execute_taints(&node, &zone, ready.as_ref()).await;
        }
        self.handle_disruption(&zone_readiness).await;
    }

    /// Observes one node; marks it Unknown when unheard for too long, then
    /// records the NodeNotReady event and marks its pods not ready when
    /// Ready stops being True. Returns the node as it is now.
    async fn check_node(&mut self, name: &str, node: Arc<Node>) -> Result<Arc<Node>, Error> {
        let now = Instant::now();
        let wall = Timestamp::now();
        let conditions = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let observed_ready = conditions.iter().find(|c| c.type_ == "Ready").cloned();
        let created = node
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| instant_of(t.0, wall, now))
            .unwrap_or(now);
        let lease_renewed = self
            .leases
            .get(LEASE_NAMESPACE, name)
            .and_then(|l| l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0));
        let mut health = health::observe(
            self.health.get(name),
            observed_ready.as_ref(),
            lease_renewed,
            created,
            now,
        );
        let grace = if observed_ready.is_some() {
            self.options.grace_period
        } else {
            self.options.startup_grace_period
        };
        let mut current = node.clone();
        if health::expired(&health, grace, now) {
            if let Some(updated) = health::unknown_conditions(
                &conditions,
                node.metadata.creation_timestamp.as_ref(),
                wall,
            ) {
                let mut changed = (*node).clone();
                if let Some(status) = changed.status.as_mut() {
                    status.conditions = Some(updated);
                } else {
                    changed.status = Some(k8s_openapi::api::core::v1::NodeStatus {
                        conditions: Some(updated),
                        ..Default::default()
                    });
                }
                let api: Api<Node> = Api::all(self.client.clone());
                // A PUT with the resourceVersion read: a conflict means the
                // kubelet just reported, which the next pass sees.
                match api
                    .replace_status(name, &Default::default(), &changed)
                    .await
                {
                    Ok(written) => {
                        tracing::info!(node = %name, "node lifecycle: node stopped posting status; marked Unknown");
                        health.ready = health::condition(
                            written.status.as_ref().and_then(|s| s.conditions.as_ref()),
                            "Ready",
                        )
                        .cloned();
                        current = Arc::new(written);
                    }
                    Err(error) => {
                        self.health.insert(name.to_string(), health);
                        return Err(error.into());
                    }
                }
            }
        }
        self.health.insert(name.to_string(), health);
        let current_ready = health::condition(
            current.status.as_ref().and_then(|s| s.conditions.as_ref()),
            "Ready",
        );
        if let Some(current_ready) = current_ready {
            let became_not_ready = current_ready.status != "True"
                && observed_ready.as_ref().is_some_and(|c| c.status == "True");
            if became_not_ready {
                self.node_event(
                    &current,
                    "NodeNotReady",
                    format!("Node {name} status is now: NodeNotReady"),
                )
                .await;
            }
            let retry = self.mark_pods_retry.contains_key(name);
            if became_not_ready || (retry && current_ready.status != "True") {
                if self.mark_pods_not_ready(name).await {
                    self.mark_pods_retry.remove(name);
                } else {
                    self.mark_pods_retry.insert(name.to_string(), ());
                }
            } else if current_ready.status == "True" {
                self.mark_pods_retry.remove(name);
            }
        }
        Ok(current)
    }

    async fn node_event(&self, node: &Node, reason: &str, note: String) {
        let regarding = ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Node".to_string()),
            name: node.metadata.name.clone(),
            uid: node.metadata.uid.clone(),
            ..ObjectReference::default()
        };
        let occurrence = Occurrence {
            type_: EventType::Normal,
            reason,
            action: "NodeNotReady",
            note,
        };
        if let Err(error) = self.recorder.record(&regarding, occurrence).await {
            tracing::debug!(%error, "node lifecycle: event not recorded");
        }
    }

    /// upstream's MarkPodsNotReady: the Ready condition of every pod on the
    /// node turns False. True when all of them were written.
    async fn mark_pods_not_ready(&self, node: &str) -> bool {
        let mut all = true;
        for pod in self.pods_on(node) {
            if !pod_ready_is(&pod, "True") {
                continue;
            }
            if let Err(error) = self.set_pod_not_ready(&pod).await {
                tracing::debug!(%error, "node lifecycle: marking a pod not ready failed");
                all = false;
            }
        }
        all
    }

    async fn set_pod_not_ready(&self, pod: &Pod) -> Result<(), Error> {
        let (Some(namespace), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
            return Ok(());
        };
        let mut conditions = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        for condition in conditions.iter_mut().filter(|c| c.type_ == "Ready") {
            condition.status = "False".to_string();
            condition.last_transition_time = Some(Time(Timestamp::now()));
        }
        let mut ops = guards(&pod.metadata);
        ops.push(json!({"op": "replace", "path": "/status/conditions", "value": conditions}));
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        match api
            .patch_status(name, &PatchParams::default(), &json_patch(ops)?)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    fn pods_on(&self, node: &str) -> Vec<Arc<Pod>> {
        self.informers
            .pods
            .list()
            .into_iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
            .collect()
    }

    // ----- taints -----

    /// The NoSchedule taints that mirror the node's conditions.
    /// Returns the node as written, if it was.
    async fn no_schedule_taints(&self, node: &Node) -> Option<Node> {
        let conditions = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let unschedulable = node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        let wanted = taints::no_schedule_keys(&conditions, unschedulable);
        let current = node_taints(node);
        let next = taints::reconcile_no_schedule(&current, &wanted, Timestamp::now())?;
        match self.write_taints(node, &next).await {
            Ok(written) => written,
            Err(error) => {
                tracing::debug!(node = ?node.metadata.name, %error, "node lifecycle: NoSchedule taints not written");
                None
            }
        }
    }

    /// upstream's processTaintBaseEviction: a not-ready or unreachable node
    /// has its NoExecute taint swapped at once if it carries the other one,
    /// or is queued for it; a ready node loses both.
    async fn no_execute_taints(&mut self, node: &Node, zone: &str, ready: Option<&NodeCondition>) {
        let Some(name) = node.metadata.name.clone() else {
            return;
        };
        let current = node_taints(node);
        let (wanted, other) = match ready.map(|c| c.status.as_str()) {
            Some("False") => (taints::NOT_READY, taints::UNREACHABLE),
            Some("Unknown") => (taints::UNREACHABLE, taints::NOT_READY),
            Some("True") => {
                self.mark_reachable(node).await;
                return;
            }
            _ => return,
        };
        if taints::has_no_execute(&current, wanted) {
            return;
        }
        if taints::has_no_execute(&current, other) {
            if let Some(next) = taints::set_no_execute(&current, Some(wanted), Timestamp::now()) {
                if let Err(error) = self.write_taints(node, &next).await {
                    tracing::debug!(node = %name, %error, "node lifecycle: swapping the NoExecute taint failed");
                }
            }
            return;
        }
        let now = Instant::now();
        let state = self
            .zone_states
            .get(zone)
            .copied()
            .unwrap_or(ZoneState::Normal);
        let qps = if self.all_disrupted {
            0.0
        } else {
            zones::zone_qps(state, 1)
        };
        self.tainters
            .entry(zone.to_string())
            .or_insert_with(|| ZoneQueue::new(qps, now))
            .add(&name);
    }

    /// Removes the NoExecute taints of a node and takes it out of the queues.
    async fn mark_reachable(&mut self, node: &Node) {
        if let Some(name) = node.metadata.name.as_deref() {
            for queue in self.tainters.values_mut() {
                queue.remove(name);
            }
        }
        let current = node_taints(node);
        if let Some(next) = taints::set_no_execute(&current, None, Timestamp::now()) {
            if let Err(error) = self.write_taints(node, &next).await {
                tracing::debug!(node = ?node.metadata.name, %error, "node lifecycle: removing NoExecute taints failed");
            }
        }
    }

    /// The rate-limited NoExecute tainting of queued nodes.
    async fn taint_pass(&mut self) {
        let now = Instant::now();
        let mut due = Vec::new();
        for (zone, queue) in self.tainters.iter_mut() {
            if queue.is_empty() {
                continue;
            }
            for name in queue.take_due(now) {
                due.push((zone.clone(), name));
            }
        }
        for (zone, name) in due {
            let Some(node) = self.informers.nodes.get("", &name) else {
                continue;
            };
            let ready = health::condition(
                node.status.as_ref().and_then(|s| s.conditions.as_ref()),
                "Ready",
            );
            let key = match ready.map(|c| c.status.as_str()) {
                Some("False") => taints::NOT_READY,
                Some("Unknown") => taints::UNREACHABLE,
                _ => continue,
            };
            let current = node_taints(&node);
            let Some(next) = taints::set_no_execute(&current, Some(key), Timestamp::now()) else {
                continue;
            };
            match self.write_taints(&node, &next).await {
                Ok(_) => {
                    tracing::info!(node = %name, taint = key, "node lifecycle: NoExecute taint added")
                }
                Err(error) => {
                    tracing::debug!(node = %name, %error, "node lifecycle: NoExecute taint not written; retrying");
                    if let Some(queue) = self.tainters.get_mut(&zone) {
                        queue.add(&name);
                    }
                }
            }
        }
    }

    /// upstream's handleDisruption: new zone states set the zones' rates;
    /// when every zone is fully disrupted, tainting stops and NoExecute
    /// taints are removed (the controller is more likely cut off than every
    /// node down).
    async fn handle_disruption(&mut self, readiness: &HashMap<String, (usize, usize)>) {
        let now = Instant::now();
        let new_states: HashMap<String, ZoneState> = readiness
            .iter()
            .map(|(zone, (ready, not_ready))| {
                (
                    zone.clone(),
                    zones::zone_state(*ready, *not_ready, zones::UNHEALTHY_ZONE_THRESHOLD),
                )
            })
            .collect();
        let all_now =
            !new_states.is_empty() && new_states.values().all(|s| *s == ZoneState::FullDisruption);
        let all_before = self.all_disrupted;
        if all_now && !all_before {
            tracing::warn!(
                "node lifecycle: no node is ready; entering disruption mode (no NoExecute taints)"
            );
            self.all_disrupted = true;
            for node in self.informers.nodes.list() {
                self.mark_reachable(&node).await;
            }
            for queue in self.tainters.values_mut() {
                queue.swap_limiter(0.0, now);
            }
        } else if !all_now && all_before {
            tracing::info!("node lifecycle: some node is ready; leaving disruption mode");
            self.all_disrupted = false;
            // Nodes get a fresh grace period, as upstream resets their probes.
            for health in self.health.values_mut() {
                health.probe = now;
                health.ready_transition = now;
            }
            for (zone, state) in &new_states {
                let size = readiness.get(zone).map_or(0, |(r, n)| r + n);
                self.tainters
                    .entry(zone.clone())
                    .or_insert_with(|| ZoneQueue::new(0.0, now))
                    .swap_limiter(zones::zone_qps(*state, size), now);
            }
        } else if !all_now {
            for (zone, state) in &new_states {
                let size = readiness.get(zone).map_or(0, |(r, n)| r + n);
                if self.zone_states.get(zone) != Some(state) {
                    tracing::info!(zone = %zone, state = ?state, "node lifecycle: zone state changed");
                }
                self.tainters
                    .entry(zone.clone())
                    .or_insert_with(|| ZoneQueue::new(0.0, now))
                    .swap_limiter(zones::zone_qps(*state, size), now);
            }
        }
        self.zone_states = new_states;
    }

    /// Replaces the node's taints, guarded by the resourceVersion read.
    /// Replaces the node's taints; returns the node as written.
    async fn write_taints(&self, node: &Node, next: &[Taint]) -> Result<Option<Node>, Error> {
        let Some(name) = node.metadata.name.as_deref() else {
            return Ok(None);
        };
        let mut ops = guards(&node.metadata);
        let present = node.spec.as_ref().and_then(|s| s.taints.as_ref()).is_some();
        let spec_present = node.spec.is_some();
        if !spec_present {
            ops.push(json!({"op": "add", "path": "/spec", "value": {}}));
        }
        if next.is_empty() {
            if present {
                ops.push(json!({"op": "remove", "path": "/spec/taints"}));
            }
        } else {
            ops.push(json!({"op": if present { "replace" } else { "add" }, "path": "/spec/taints", "value": next}));
        }
        let api: Api<Node> = Api::all(self.client.clone());
        let written = api
            .patch(name, &PatchParams::default(), &json_patch(ops)?)
            .await?;
        Ok(Some(written))
    }

    // ----- notices -----

    async fn node_changed(&mut self, notice: Notice<Node>) {
        match notice {
            Notice::Applied { old, new } => {
                let before = old.as_deref().map(no_execute_of).unwrap_or_default();
                let after = no_execute_of(&new);
                if before != after {
                    if let Some(name) = new.metadata.name.as_deref() {
                        for pod in self.pods_on(name) {
                            self.schedule_eviction(&pod, Some(&new));
                        }
                    }
                }
                // NoSchedule taints follow conditions without waiting for the
                // next monitor pass (upstream's doNoScheduleTaintingPass on
                // every node change).
                let conditions_changed = old.as_deref().is_none_or(|o| {
                    o.status.as_ref().map(|s| &s.conditions)
                        != new.status.as_ref().map(|s| &s.conditions)
                        || o.spec.as_ref().and_then(|s| s.unschedulable)
                            != new.spec.as_ref().and_then(|s| s.unschedulable)
                });
                if conditions_changed {
                    let _ = self.no_schedule_taints(&new).await;
                }
            }
            Notice::Deleted(node) => {
                if let Some(name) = node.metadata.name.as_deref() {
                    self.health.remove(name);
                    for queue in self.tainters.values_mut() {
                        queue.remove(name);
                    }
                }
            }
        }
    }

    async fn pod_changed(&mut self, notice: Notice<Pod>) {
        match notice {
            Notice::Applied { new, .. } => {
                let Some(node_name) = new.spec.as_ref().and_then(|s| s.node_name.clone()) else {
                    return;
                };
                let node = self.informers.nodes.get("", &node_name);
                self.schedule_eviction(&new, node.as_deref());
                // upstream's processPod: a pod on a node that is not ready is
                // marked not ready too.
                let ready = node.as_deref().and_then(|n| {
                    health::condition(
                        n.status.as_ref().and_then(|s| s.conditions.as_ref()),
                        "Ready",
                    )
                    .cloned()
                });
                if ready.is_some_and(|c| c.status != "True") && pod_ready_is(&new, "True") {
                    if let Err(error) = self.set_pod_not_ready(&new).await {
                        tracing::debug!(%error, "node lifecycle: marking a pod not ready failed");
                    }
                }
            }
            Notice::Deleted(pod) => {
                self.evictions.remove(&pod_key(&pod));
            }
        }
    }

    // ----- the taint manager -----

    /// Schedules, keeps or cancels the deletion of `pod` given its node's
    /// NoExecute taints (upstream's processPodOnNode: a deletion already
    /// scheduled keeps its time).
    fn schedule_eviction(&mut self, pod: &Pod, node: Option<&Node>) {
        let key = pod_key(pod);
        if pod.metadata.deletion_timestamp.is_some() {
            self.evictions.remove(&key);
            return;
        }
        let no_execute = node.map(no_execute_of).unwrap_or_default();
        if no_execute.is_empty() {
            self.evictions.remove(&key);
            return;
        }
        let tolerations = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.clone())
            .unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        match taints::toleration_time(&no_execute, &tolerations) {
            None => {
                self.evictions.remove(&key);
            }
            Some(delay) => {
                if self.evictions.get(&key).is_some_and(|e| e.uid == uid) {
                    return;
                }
                self.evictions.insert(
                    key,
                    Eviction {
                        uid,
                        at: Instant::now() + delay,
                    },
                );
            }
        }
    }

    async fn evict_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(String, String)> = self
            .evictions
            .iter()
            .filter(|(_, e)| e.at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some(eviction) = self.evictions.remove(&key) else {
                continue;
            };
            let Some(pod) = self.informers.pods.get(&key.0, &key.1) else {
                continue;
            };
            if pod.metadata.uid.as_deref() != Some(eviction.uid.as_str()) {
                continue;
            }
            if let Err(error) = self.evict(&pod).await {
                tracing::debug!(pod = %format!("{}/{}", key.0, key.1), %error, "node lifecycle: eviction failed; retrying");
                self.evictions.insert(
                    key,
                    Eviction {
                        uid: eviction.uid,
                        at: now + Duration::from_secs(1),
                    },
                );
            }
        }
    }

    /// Deletes a pod whose NoExecute tolerations ran out.
    async fn evict(&self, pod: &Pod) -> Result<(), Error> {
        let (Some(namespace), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
            return Ok(());
        };
        let regarding = ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Pod".to_string()),
            namespace: Some(namespace.clone()),
            name: Some(name.clone()),
            uid: pod.metadata.uid.clone(),
            ..ObjectReference::default()
        };
        let occurrence = Occurrence {
            type_: EventType::Normal,
            reason: "TaintManagerEviction",
            action: "Delete",
            note: format!("Marking for deletion Pod {namespace}/{name}"),
        };
        if let Err(error) = self.recorder.record(&regarding, occurrence).await {
            tracing::debug!(%error, "node lifecycle: event not recorded");
        }
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        // The DisruptionTarget condition says why the pod goes (upstream's
        // PodDisruptionConditions); a failure here does not stop the deletion.
        let condition = json!({"status": {"conditions": [{
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
            "lastTransitionTime": Time(Timestamp::now()),
        }]}});
        if let Err(error) = api
            .patch_status(name, &PatchParams::default(), &Patch::Strategic(condition))
            .await
        {
            tracing::debug!(%error, "node lifecycle: DisruptionTarget condition not written");
        }
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(name, &params).await {
            Ok(_) => {
                tracing::info!(pod = %format!("{namespace}/{name}"), "node lifecycle: pod deleted by the taint manager");
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

fn node_taints(node: &Node) -> Vec<Taint> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
}

fn no_execute_of(node: &Node) -> Vec<Taint> {
    node_taints(node)
        .into_iter()
        .filter(|t| t.effect == taints::NO_EXECUTE)
        .collect()
}

fn pod_key(pod: &Pod) -> (String, String) {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

fn pod_ready_is(pod: &Pod, status: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == status)
}

/// The `test` operations that pin a JSON patch to the object as read.
fn guards(meta: &kube::api::ObjectMeta) -> Vec<Value> {
    let mut ops = Vec::new();
    if let Some(uid) = &meta.uid {
        ops.push(json!({"op": "test", "path": "/metadata/uid", "value": uid}));
    }
    if let Some(rv) = &meta.resource_version {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops
}

fn json_patch(ops: Vec<Value>) -> Result<Patch<()>, Error> {
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))?;
    Ok(Patch::Json(patch))
}

/// The instant (our clock) of wall-clock time `at`, given that `wall` is `now`.
fn instant_of(at: Timestamp, wall: Timestamp, now: Instant) -> Instant {
    let ago = wall.duration_since(at);
    let ago = Duration::try_from(ago).unwrap_or(Duration::ZERO);
    now.checked_sub(ago).unwrap_or(now)
}

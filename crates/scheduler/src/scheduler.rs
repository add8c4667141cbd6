//! The scheduler's loops: watches that feed the cache and the queue, the
//! scheduling loop (one pod at a time against the cache, as upstream's
//! `scheduleOne`), and the background work that follows a decision (binding,
//! preemption, reporting a failure).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Binding, Node, ObjectReference, Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{DeleteParams, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};

use controllers::events::{EventType, Occurrence, Recorder};

use crate::cache::{pod_key, Cache};
use crate::framework::{FitError, Framework, PodState, NO_NODES_AVAILABLE};
use crate::preemption::{self, Outcome};
use crate::queue::{QueuedPod, SchedulingQueue};
use crate::{Config, Error};

/// What the scheduler's tasks share.
struct Shared {
    client: Client,
    cache: Mutex<Cache>,
    queue: SchedulingQueue,
    /// Each profile's plugins and event recorder, by scheduler name.
    profiles: HashMap<String, (Framework, Recorder)>,
    random: Mutex<u64>,
    /// Where the next cycle starts looking for feasible nodes, so that with
    /// many nodes every node gets its turn (upstream `nextStartNodeIndex`).
    next_start: Mutex<usize>,
    /// Bindings (and their events) in flight at once. The client speaks
    /// HTTP/1.1, so each concurrent request holds a connection of its own;
    /// unbounded, a burst of decisions opened (and TLS-handshook) hundreds.
    binding_slots: tokio::sync::Semaphore,
}

/// How many bindings may be in flight at once.
const BINDING_SLOTS: usize = 32;

impl Shared {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// xorshift64: enough to break score ties fairly.
    fn random_below(&self, bound: usize) -> usize {
        let mut state = self.random.lock().unwrap_or_else(|e| e.into_inner());
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state % bound.max(1) as u64) as usize
    }
}

/// Runs the scheduler until `shutdown` completes or a watch fails for good.
pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let shared = Arc::new(Shared {
        profiles: config
            .profiles
            .iter()
            .map(|p| {
                let recorder = Recorder::new(client.clone(), &p.scheduler_name);
                (p.scheduler_name.clone(), (p.framework(), recorder))
            })
            .collect(),
        queue: SchedulingQueue::new(config.queue.clone()),
        client: client.clone(),
        cache: Mutex::new(Cache::default()),
        binding_slots: tokio::sync::Semaphore::new(BINDING_SLOTS),
        random: Mutex::new(seed),
        next_start: Mutex::new(0),
    });
    let (synced_tx, synced_rx) = tokio::sync::watch::channel((false, false));
    let flusher = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                shared.queue.flush();
            }
        })
    };
    let scheduling = {
        let shared = shared.clone();
        let mut synced = synced_rx;
        tokio::spawn(async move {
            if synced
                .wait_for(|(nodes, pods)| *nodes && *pods)
                .await
                .is_err()
            {
                return;
            }
            loop {
                let popped = shared.queue.pop().await;
                schedule_one(&shared, popped);
            }
        })
    };
    let node_events =
        watcher::watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
            .default_backoff();
    let pod_events =
        watcher::watcher(Api::<Pod>::all(client), watcher::Config::default()).default_backoff();
    let mut node_events = std::pin::pin!(node_events);
    let mut pod_events = std::pin::pin!(pod_events);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut listed_nodes: HashSet<String> = HashSet::new();
    let mut listed_pods: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            Some(event) = node_events.next() => match event {
                Ok(event) => on_node_event(&shared, event, &mut listed_nodes, &synced_tx),
                Err(error) => tracing::debug!(%error, "scheduler: node watch"),
            },
            Some(event) = pod_events.next() => match event {
                Ok(event) => on_pod_event(&shared, event, &mut listed_pods, &synced_tx),
                Err(error) => tracing::debug!(%error, "scheduler: pod watch"),
            },
            () = &mut shutdown => break,
            else => break,
        }
    }
    flusher.abort();
    scheduling.abort();
    Ok(())
}

fn on_node_event(
    shared: &Shared,
    event: watcher::Event<Node>,
    listed: &mut HashSet<String>,
    synced: &tokio::sync::watch::Sender<(bool, bool)>,
) {
    match event {
        watcher::Event::Init => listed.clear(),
        watcher::Event::InitApply(node) => {
            listed.insert(node.metadata.name.clone().unwrap_or_default());
            shared.cache().set_node(Arc::new(node));
        }
        watcher::Event::InitDone => {
            {
                let mut cache = shared.cache();
                let gone: Vec<String> = cache
                    .nodes()
                    .map(|n| n.name().to_string())
                    .filter(|name| !listed.contains(name))
                    .collect();
                for name in gone {
                    cache.remove_node(&name);
                }
            }
            shared.queue.move_all();
            synced.send_modify(|(nodes, _)| *nodes = true);
        }
        watcher::Event::Apply(node) => {
            if shared.cache().set_node(Arc::new(node)) {
                shared.queue.move_all();
            }
        }
        watcher::Event::Delete(node) => {
            shared
                .cache()
                .remove_node(node.metadata.name.as_deref().unwrap_or_default());
        }
    }
}

fn on_pod_event(
    shared: &Shared,
    event: watcher::Event<Pod>,
    listed: &mut HashSet<String>,
    synced: &tokio::sync::watch::Sender<(bool, bool)>,
) {
    match event {
        watcher::Event::Init => listed.clear(),
        watcher::Event::InitApply(pod) => {
            listed.insert(pod_key(&pod));
            on_pod(shared, pod);
        }
        watcher::Event::InitDone => {
            // Pods deleted while the watch was down.
            shared.cache().retain_pods(|key| listed.contains(key));
            synced.send_modify(|(_, pods)| *pods = true);
        }
        watcher::Event::Apply(pod) => on_pod(shared, pod),
        watcher::Event::Delete(pod) => {
            let key = pod_key(&pod);
            let was_bound = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some();
            shared.cache().remove_pod(&key);
            shared.queue.delete(&key);
            if was_bound {
                shared.queue.move_all();
            }
        }
    }
}

/// Files a pod seen by the watch: bound pods in the cache, unbound pods of
/// ours in the queue.
fn on_pod(shared: &Shared, pod: Pod) {
    let key = pod_key(&pod);
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let spec = pod.spec.as_ref();
    if matches!(phase, Some("Succeeded" | "Failed")) {
        // A finished pod holds nothing on its node.
        let was_placed = shared.cache().remove_pod_if_placed(&key);
        shared.queue.delete(&key);
        if was_placed {
            shared.queue.move_all();
        }
        return;
    }
    if spec
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
    {
        shared.cache().add_bound_pod(Arc::new(pod));
        shared.queue.delete(&key);
        return;
    }
    let ours = shared.profiles.contains_key(scheduler_name(&pod));
    if !ours || pod.metadata.deletion_timestamp.is_some() {
        shared.queue.delete(&key);
        return;
    }
    // An assumed pod's binding is in flight; the watch has not caught up.
    if shared.cache().is_assumed(&key) {
        return;
    }
    shared.queue.add(Arc::new(pod));
}

/// The decision for one pod: a node (assumed, then bound in the background),
/// a preemption, or a failure.
fn schedule_one(shared: &Arc<Shared>, popped: QueuedPod) {
    let pod = popped.pod.clone();
    let decision = {
        let mut cache = shared.cache();
        if cache.is_assumed(&popped.key) {
            shared.queue.done(&popped.key);
            return;
        }
        let decision = decide(shared, &pod, &cache);
        if let Ok(node) = &decision {
            cache.assume(pod.clone(), node);
        }
        decision
    };
    match decision {
        Ok(node) => {
            let shared = shared.clone();
            tokio::spawn(async move { bind(&shared, popped, node).await });
        }
        Err((message, preempt)) => {
            shared.queue.failed(&popped, true);
            let shared = shared.clone();
            tokio::spawn(async move {
                if let Some((node, victims)) = preempt {
                    preempt_victims(&shared, &pod, &node, victims).await;
                }
                report_failure(&shared, &pod, "Unschedulable", &message).await;
            });
        }
    }
}

/// Runs the framework (and preemption when nothing fits) for `pod` against
/// the cache: the chosen node, or the failure message and any preemption.
#[allow(clippy::type_complexity, reason = "one private call site")]
fn decide(
    shared: &Shared,
    pod: &Pod,
    cache: &Cache,
) -> Result<String, (String, Option<(String, Vec<Arc<Pod>>)>)> {
    if cache.node_count() == 0 {
        return Err((NO_NODES_AVAILABLE.to_string(), None));
    }
    let state = PodState::new(pod)
        .with_nodes(cache.nodes().collect())
        .with_summary(cache.summary());
    let nodes = &state.nodes;
    let start = {
        let mut next = shared.next_start.lock().unwrap_or_else(|e| e.into_inner());
        let start = *next;
        *next = next.wrapping_add(crate::framework::feasible_nodes_to_find(nodes.len()));
        start
    };
    let Some((framework, _)) = profile(shared, pod) else {
        return Err((NO_NODES_AVAILABLE.to_string(), None));
    };
    match framework.find_feasible(&state, nodes, start) {
        Ok(feasible) => framework
            .select_host(&state, &feasible, nodes, |n| shared.random_below(n))
            .map(|n| n.name().to_string())
            .ok_or_else(|| (NO_NODES_AVAILABLE.to_string(), None)),
        Err(mut fit) => match preemption::evaluate(framework, &state, nodes, &fit) {
            Outcome::Unhelpful(message) => {
                fit.post_filter_message = Some(message);
                Err((fit_message(&fit), None))
            }
            Outcome::Preempt { node, victims } => Err((fit_message(&fit), Some((node, victims)))),
        },
    }
}

/// The pod's `spec.schedulerName`, defaulted.
fn scheduler_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.scheduler_name.as_deref())
        .unwrap_or(crate::DEFAULT_SCHEDULER_NAME)
}

/// The profile of `pod`, or of the first scheduler name for a pod no longer
/// ours.
fn profile<'s>(shared: &'s Shared, pod: &Pod) -> Option<&'s (Framework, Recorder)> {
    shared
        .profiles
        .get(scheduler_name(pod))
        .or_else(|| shared.profiles.values().next())
}

/// Records an event about `regarding` with the recorder of `pod`'s profile.
async fn record(shared: &Shared, pod: &Pod, regarding: &Pod, occurrence: Occurrence<'_>) {
    let Some((_, recorder)) = profile(shared, pod) else {
        return;
    };
    if let Err(error) = recorder.record(&reference(regarding), occurrence).await {
        tracing::debug!(%error, "scheduler: recording an event");
    }
}

fn fit_message(fit: &FitError) -> String {
    fit.to_string()
}

fn reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".to_string()),
        kind: Some("Pod".to_string()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

fn pods_api(shared: &Shared, pod: &Pod) -> Api<Pod> {
    Api::namespaced(
        shared.client.clone(),
        pod.metadata.namespace.as_deref().unwrap_or("default"),
    )
}

async fn bind(shared: &Shared, popped: QueuedPod, node: String) {
    // The semaphore is never closed; without a permit, bind anyway.
    let _slot = shared.binding_slots.acquire().await.ok();
    let pod = &popped.pod;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let binding = Binding {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: pod.metadata.namespace.clone(),
            uid: pod.metadata.uid.clone(),
            ..ObjectMeta::default()
        },
        target: ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Node".to_string()),
            name: Some(node.clone()),
            ..ObjectReference::default()
        },
    };
    let result: Result<serde_json::Value, kube::Error> = pods_api(shared, pod)
        .create_subresource("binding", &name, &PostParams::default(), &binding)
        .await;
    match result {
        Ok(_) => {
            shared.queue.done(&popped.key);
            let note = format!(
                "Successfully assigned {}/{} to {node}",
                pod.metadata.namespace.as_deref().unwrap_or_default(),
                name
            );
            let occurrence = Occurrence {
                type_: EventType::Normal,
                reason: "Scheduled",
                action: "Binding",
                note,
            };
            record(shared, pod, pod, occurrence).await;
        }
        Err(error) => {
            tracing::debug!(pod = %popped.key, %node, %error, "scheduler: binding failed");
            shared.cache().forget(&popped.key);
            shared.queue.failed(&popped, false);
            if let kube::Error::Api(status) = &error {
                // Bound meanwhile (by someone else) or gone: nothing to report.
                if status.code == 409 || status.code == 404 {
                    return;
                }
            }
            let message = format!("Binding rejected: {error}");
            report_failure(shared, pod, "SchedulerError", &message).await;
        }
    }
}

/// Evicts `victims` so `pod` fits on `node` later, and records the node as
/// the pod's `status.nominatedNodeName`.
async fn preempt_victims(shared: &Shared, pod: &Pod, node: &str, victims: Vec<Arc<Pod>>) {
    let preemptor = format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    );
    for victim in victims {
        let name = victim.metadata.name.clone().unwrap_or_default();
        match pods_api(shared, &victim)
            .delete(&name, &DeleteParams::default())
            .await
        {
            Ok(_) => {
                let occurrence = Occurrence {
                    type_: EventType::Normal,
                    reason: "Preempted",
                    action: "Preempting",
                    note: format!("Preempted by pod {preemptor} on node {node}"),
                };
                record(shared, pod, &victim, occurrence).await;
            }
            Err(error) => {
                tracing::debug!(pod = %name, %error, "scheduler: preemption delete failed")
            }
        }
    }
    let api = pods_api(shared, pod);
    let name = pod.metadata.name.clone().unwrap_or_default();
    if let Ok(mut current) = api.get(&name).await {
        if current.metadata.uid != pod.metadata.uid {
            return;
        }
        let status = current.status.get_or_insert_with(PodStatus::default);
        if status.nominated_node_name.as_deref() == Some(node) {
            return;
        }
        status.nominated_node_name = Some(node.to_string());
        if let Err(error) = api
            .replace_status(&name, &PostParams::default(), &current)
            .await
        {
            tracing::debug!(pod = %name, %error, "scheduler: nominating a node failed");
        }
    }
}

/// Sets PodScheduled=False with `reason` and `message` (unless the pod was
/// bound or replaced meanwhile) and records a FailedScheduling event, as
/// upstream's `handleSchedulingFailure`.
async fn report_failure(shared: &Shared, pod: &Pod, reason: &str, message: &str) {
    let api = pods_api(shared, pod);
    let name = pod.metadata.name.clone().unwrap_or_default();
    let Ok(mut current) = api.get(&name).await else {
        return;
    };
    let bound = current
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    if bound || current.metadata.uid != pod.metadata.uid {
        return;
    }
    let status = current.status.get_or_insert_with(PodStatus::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let existing = conditions.iter_mut().find(|c| c.type_ == "PodScheduled");
    let unchanged = existing.as_ref().is_some_and(|c| {
        c.status == "False"
            && c.reason.as_deref() == Some(reason)
            && c.message.as_deref() == Some(message)
    });
    if !unchanged {
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let condition = PodCondition {
            type_: "PodScheduled".to_string(),
            status: "False".to_string(),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            last_transition_time: Some(now),
            ..PodCondition::default()
        };
        match existing {
            Some(existing) => {
                let transition = if existing.status == "False" {
                    existing.last_transition_time.clone()
                } else {
                    condition.last_transition_time.clone()
                };
                *existing = PodCondition {
                    last_transition_time: transition,
                    ..condition
                };
            }
            None => conditions.push(condition),
        }
        // With the resourceVersion just read: a binding in between wins.
        if let Err(error) = api
            .replace_status(&name, &PostParams::default(), &current)
            .await
        {
            tracing::debug!(pod = %name, %error, "scheduler: pod condition update failed");
        }
    }
    let occurrence = Occurrence {
        type_: EventType::Warning,
        reason: "FailedScheduling",
        action: "Scheduling",
        note: message.to_string(),
    };
    record(shared, pod, pod, occurrence).await;
}

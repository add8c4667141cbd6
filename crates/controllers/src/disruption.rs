//! The PodDisruptionBudget status (disruption) controller, as upstream's
//! `pkg/controller/disruption`: for every budget it counts the selected pods
//! that are healthy, works out how many are expected (the scale of their
//! controllers: ReplicaSet or the Deployment above it, StatefulSet,
//! ReplicationController, or any resource through its `/scale` subresource)
//! and must stay healthy, and writes `disruptionsAllowed` with the
//! `DisruptionAllowed` condition. The API server's eviction handler reads
//! that status, takes one disruption and records the pod in `disruptedPods`;
//! this controller counts such pods as unhealthy until they are deleted or
//! two minutes have passed, then drops them.
//!
//! Status writes are full updates at the resourceVersion read, so they never
//! overwrite an eviction's decrement they have not seen.

mod status;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DynamicObject, ObjectMeta, PostParams};
use kube::core::{GroupVersionKind, Selector, SelectorExt};
use kube::Api;

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::{Client, Error};

/// `namespace/name` of a budget.
type Key = (String, String);

/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);
/// How often a budget counted from its controllers' scale is synced again.
const SCALE_RESYNC: Duration = Duration::from_secs(10);

struct Controller {
    client: Client,
    informers: Informers,
    budgets: Informer<PodDisruptionBudget>,
    queue: WorkQueue<Key>,
    events: Recorder,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let controller = Arc::new(Controller {
        client: client.clone(),
        informers,
        budgets: Informer::new(),
        queue: WorkQueue::new(),
        events: Recorder::new(client.clone(), "disruption-controller"),
    });
    let mut budgets = controller.budgets.subscribe();
    let mut pods = controller.informers.pods.subscribe();
    let budgets_run = controller.budgets.clone().run(Api::all(client));
    let worker = controller.clone().work();
    let events = async {
        loop {
            tokio::select! {
                Some(notice) = budgets.recv() => {
                    if let Notice::Applied { new, .. } = &notice {
                        controller.queue.add(key_of(&new.metadata));
                    }
                }
                Some(notice) = pods.recv() => controller.pod_changed(&notice),
                else => break,
            }
        }
    };
    tokio::select! {
        () = budgets_run => {}
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

/// The budget's selector (policy/v1: none selects nothing, empty selects
/// every pod of the namespace).
fn selector_of(pdb: &PodDisruptionBudget) -> Result<Option<Selector>, String> {
    let Some(selector) = pdb.spec.as_ref().and_then(|s| s.selector.clone()) else {
        return Ok(None);
    };
    let selector: LabelSelector = selector;
    Selector::try_from(selector)
        .map(Some)
        .map_err(|e| e.to_string())
}

impl Controller {
    /// Queues the budgets selecting the pod before or after the change.
    fn pod_changed(&self, notice: &Notice<Pod>) {
        let (old, new) = match notice {
            Notice::Applied { old, new } => (old.as_deref(), new.as_ref()),
            Notice::Deleted(pod) => (None, pod.as_ref()),
        };
        let namespace = new.metadata.namespace.clone().unwrap_or_default();
        let labels = |p: &Pod| p.metadata.labels.clone().unwrap_or_default();
        for pdb in self.budgets.in_namespace(&namespace) {
            let Ok(Some(selector)) = selector_of(&pdb) else {
                continue;
            };
            let before = old.is_some_and(|o| selector.matches(&labels(o)));
            if before || selector.matches(&labels(new)) {
                self.queue.add(key_of(&pdb.metadata));
            }
        }
    }

    async fn work(self: Arc<Self>) {
        self.budgets.wait_synced().await;
        self.informers.pods.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "disruption controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(pdb) = self.budgets.get(&key.0, &key.1) else {
            return Ok(None);
        };
        match self.try_sync(&pdb).await {
            Ok(recheck) => Ok(recheck),
            // A conflict only means the budget changed: sync again.
            Err(Failure::Api(error)) if error.status() == Some(409) => Err(error),
            Err(failure) => {
                let message = match &failure {
                    Failure::Api(error) => error.to_string(),
                    Failure::Count(message) => message.clone(),
                };
                let status = status::fail_safe_status(&pdb, message, Timestamp::now());
                // Written only when it changes, or every write would bring
                // the budget back here.
                if pdb.status.as_ref() != Some(&status) {
                    self.write_status(&pdb, status).await?;
                }
                match failure {
                    Failure::Api(error) => Err(error),
                    Failure::Count(_) => Ok(Some(Duration::from_secs(5))),
                }
            }
        }
    }

    /// One pass (upstream's `trySync`); returns when to look again.
    async fn try_sync(&self, pdb: &PodDisruptionBudget) -> Result<Option<Duration>, Failure> {
        let namespace = pdb.metadata.namespace.clone().unwrap_or_default();
        let selector = selector_of(pdb).map_err(Failure::Count)?;
        let mut pods: Vec<Arc<Pod>> = match &selector {
            None => Vec::new(),
            Some(selector) => self
                .informers
                .pods
                .in_namespace(&namespace)
                .into_iter()
                .filter(|p| selector.matches(&p.metadata.labels.clone().unwrap_or_default()))
                .collect(),
        };
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        if pods.is_empty() {
            self.event(
                pdb,
                EventType::Normal,
                "NoPods",
                "No matching pods found".into(),
            )
            .await;
        }
        let spec = pdb.spec.clone().unwrap_or_default();
        let mut scale = 0;
        if status::needs_scale(&spec) {
            let (total, unmanaged) = match self.expected_scale(&namespace, &pods).await {
                Ok(found) => found,
                Err(failure) => {
                    let message = match &failure {
                        Failure::Api(e) => e.to_string(),
                        Failure::Count(m) => m.clone(),
                    };
                    self.event(
                        pdb,
                        EventType::Warning,
                        "CalculateExpectedPodCountFailed",
                        format!("Failed to calculate the number of expected pods: {message}"),
                    )
                    .await;
                    return Err(failure);
                }
            };
            if !unmanaged.is_empty() {
                self.event(
                    pdb,
                    EventType::Warning,
                    "UnmanagedPods",
                    "Pods selected by this PodDisruptionBudget were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.".into(),
                )
                .await;
            }
            scale = total;
        }
        let (expected, desired) = status::expected_and_desired(&spec, pods.len() as i32, scale)
            .map_err(Failure::Count)?;
        let now = Timestamp::now();
        let recorded = pdb.status.as_ref().and_then(|s| s.disrupted_pods.as_ref());
        let (disrupted, recheck) = status::live_disruptions(&pods, recorded, now);
        let healthy = status::count_healthy(&pods, &disrupted, now);
        if let Some(status) = status::next_status(pdb, healthy, desired, expected, disrupted, now) {
            self.write_status(pdb, status).await.map_err(Failure::Api)?;
        }
        let mut again = recheck.map(|at| {
            let wait = at.duration_since(now).as_millis().max(0) as u64;
            Duration::from_millis(wait + 100)
        });
        // A controller's scale can change without any pod changing (a
        // custom resource scaled down to the pods it has): look again.
        if status::needs_scale(&spec) {
            again = Some(again.map_or(SCALE_RESYNC, |a| a.min(SCALE_RESYNC)));
        }
        Ok(again)
    }

    async fn write_status(
        &self,
        pdb: &PodDisruptionBudget,
        status: k8s_openapi::api::policy::v1::PodDisruptionBudgetStatus,
    ) -> Result<(), Error> {
        let namespace = pdb.metadata.namespace.clone().unwrap_or_default();
        let name = pdb.metadata.name.clone().unwrap_or_default();
        let api: Api<PodDisruptionBudget> = Api::namespaced(self.client.clone(), &namespace);
        let mut body = pdb.clone();
        body.status = Some(status);
        body.metadata.managed_fields = None;
        api.replace_status(&name, &PostParams::default(), &body)
            .await?;
        Ok(())
    }

    /// The summed scale of the controllers of the pods, and the pods without
    /// a controller (upstream's `getExpectedScale`).
    async fn expected_scale(
        &self,
        namespace: &str,
        pods: &[Arc<Pod>],
    ) -> Result<(i32, Vec<String>), Failure> {
        let mut scales: HashMap<String, i32> = HashMap::new();
        let mut seen_refs: BTreeMap<String, ()> = BTreeMap::new();
        let mut unmanaged = Vec::new();
        for pod in pods {
            let Some(owner) = controller_ref(&pod.metadata) else {
                unmanaged.push(pod.metadata.name.clone().unwrap_or_default());
                continue;
            };
            if seen_refs.insert(owner.uid.clone(), ()).is_some() {
                continue;
            }
            match self.find_scale(namespace, owner).await? {
                Some((uid, replicas)) => {
                    scales.insert(uid, replicas);
                }
                None => {
                    return Err(Failure::Count(format!(
                        "found no controllers for pod {:?}",
                        pod.metadata.name.as_deref().unwrap_or_default()
                    )))
                }
            }
        }
        Ok((scales.values().sum(), unmanaged))
    }

    /// The controller and its scale for a pod's controller reference: a
    /// ReplicaSet (or the Deployment controlling it), StatefulSet,
    /// ReplicationController, or any kind with a `/scale` subresource.
    async fn find_scale(
        &self,
        namespace: &str,
        owner: &OwnerReference,
    ) -> Result<Option<(String, i32)>, Failure> {
        let group = owner.api_version.split_once('/').map_or("", |(g, _)| g);
        let client = self.client.clone();
        match (group, owner.kind.as_str()) {
            ("apps", "ReplicaSet") => {
                let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
                let Some(rs) = get_opt(&api, &owner.name).await? else {
                    return Ok(None);
                };
                if rs.metadata.uid.as_deref() != Some(owner.uid.as_str()) {
                    return Ok(None);
                }
                if let Some(deployment_ref) = controller_ref(&rs.metadata) {
                    if deployment_ref.kind == "Deployment" {
                        let api: Api<Deployment> = Api::namespaced(client, namespace);
                        let Some(deployment) = get_opt(&api, &deployment_ref.name).await? else {
                            return Ok(None);
                        };
                        if deployment.metadata.uid.as_deref() != Some(deployment_ref.uid.as_str()) {
                            return Ok(None);
                        }
                        let replicas = deployment.spec.and_then(|s| s.replicas).unwrap_or(1);
                        return Ok(Some((deployment_ref.uid.clone(), replicas)));
                    }
                }
                let replicas = rs.spec.and_then(|s| s.replicas).unwrap_or(1);
                Ok(Some((owner.uid.clone(), replicas)))
            }
            ("apps", "StatefulSet") => {
                let api: Api<StatefulSet> = Api::namespaced(client, namespace);
                let found = get_opt(&api, &owner.name).await?;
                Ok(found
                    .filter(|s| s.metadata.uid.as_deref() == Some(owner.uid.as_str()))
                    .map(|s| {
                        (
                            owner.uid.clone(),
                            s.spec.and_then(|s| s.replicas).unwrap_or(1),
                        )
                    }))
            }
            ("", "ReplicationController") => {
                let api: Api<ReplicationController> = Api::namespaced(client, namespace);
                let found = get_opt(&api, &owner.name).await?;
                Ok(found
                    .filter(|s| s.metadata.uid.as_deref() == Some(owner.uid.as_str()))
                    .map(|s| {
                        (
                            owner.uid.clone(),
                            s.spec.and_then(|s| s.replicas).unwrap_or(1),
                        )
                    }))
            }
            _ => self.find_custom_scale(namespace, owner).await,
        }
    }

    /// Any other controller through its scale subresource.
    async fn find_custom_scale(
        &self,
        namespace: &str,
        owner: &OwnerReference,
    ) -> Result<Option<(String, i32)>, Failure> {
        let (group, version) = match owner.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", owner.api_version.as_str()),
        };
        let gvk = GroupVersionKind::gvk(group, version, &owner.kind);
        let resource = match kube::discovery::pinned_kind(&self.client, &gvk).await {
            Ok((resource, _)) => resource,
            // A kind the server does not serve controls nothing we can count.
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
            Err(kube::Error::Discovery(_)) => return Ok(None),
            Err(error) => return Err(Failure::Api(error.into())),
        };
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &resource);
        let scale = match api.get_scale(&owner.name).await {
            Ok(scale) => scale,
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
            Err(error) => return Err(Failure::Api(error.into())),
        };
        if let Some(uid) = scale.metadata.uid.as_deref().filter(|u| !u.is_empty()) {
            if uid != owner.uid {
                return Ok(None);
            }
        }
        let replicas = scale.spec.and_then(|s| s.replicas).unwrap_or(0);
        Ok(Some((owner.uid.clone(), replicas)))
    }

    async fn event(&self, pdb: &PodDisruptionBudget, type_: EventType, reason: &str, note: String) {
        let reference = crate::replicaset::object_reference_of(
            "PodDisruptionBudget",
            "policy/v1",
            &pdb.metadata,
        );
        let occurrence = Occurrence {
            type_,
            reason,
            action: "Sync",
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "disruption controller: recording an event failed");
        }
    }
}

/// Why a sync failed: an API error, or a budget whose counts cannot be made.
enum Failure {
    Api(Error),
    Count(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Api(error)
    }
}

fn controller_ref(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

async fn get_opt<K>(api: &Api<K>, name: &str) -> Result<Option<K>, Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.get(name).await {
        Ok(object) => Ok(Some(object)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(error) => Err(error.into()),
    }
}

//! The StatefulSet controller, as upstream's `pkg/controller/statefulset`:
//! pods with stable names `<set>-<ordinal>`, hostnames and subdomains,
//! PersistentVolumeClaims `<claim>-<set>-<ordinal>` from the claim templates,
//! OrderedReady or Parallel management, RollingUpdate (partition,
//! maxUnavailable) and OnDelete updates through ControllerRevisions.
//!
//! What to do next is the pure [`plan::plan`]; this module reads the caches,
//! resolves the revisions, carries the actions out and writes the status.

pub mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    ObjectReference, PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod,
    PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams, Preconditions};
use kube::{Api, Client};
use serde_json::{json, Value};

use crate::daemonset::claim;
use crate::events::{EventType, Occurrence, Recorder};
use crate::history::{self, History};
use crate::informer::{Informer, Informers, Notice};
use crate::queue::WorkQueue;
use crate::replicaset::{controller_of, is_available, key_of, Key};
use crate::Error;
use plan::{Action, Params};

/// The label with a pod's name, for per-pod services.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// The label with a pod's ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
const RETRY: Duration = Duration::from_secs(1);

struct Controller {
    client: Client,
    informers: Informers,
    sets: Informer<StatefulSet>,
    claims: Informer<PersistentVolumeClaim>,
    history: History,
    queue: WorkQueue<Key>,
    events: Recorder,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let sets: Informer<StatefulSet> = Informer::new();
    tokio::spawn(sets.clone().run(Api::all(client.clone())));
    let claims: Informer<PersistentVolumeClaim> = Informer::new();
    tokio::spawn(claims.clone().run(Api::all(client.clone())));
    let controller = Arc::new(Controller {
        history: History::start(client.clone()),
        events: Recorder::new(client.clone(), "statefulset-controller"),
        client,
        informers,
        sets,
        claims,
        queue: WorkQueue::new(),
    });
    let mut set_notices = controller.sets.subscribe();
    let mut pod_notices = controller.informers.pods.subscribe();
    let worker = {
        let controller = controller.clone();
        tokio::spawn(async move { controller.work().await })
    };
    loop {
        tokio::select! {
            Some(notice) = set_notices.recv() => {
                if let Notice::Applied { new, .. } = notice {
                    controller.queue.add(key_of(&new.metadata));
                }
            }
            Some(notice) = pod_notices.recv() => {
                let pod = match &notice {
                    Notice::Applied { new, .. } => new,
                    Notice::Deleted(pod) => pod,
                };
                if let Some(owner) = controller_of(&pod.metadata, "StatefulSet") {
                    controller.queue.add((
                        pod.metadata.namespace.clone().unwrap_or_default(),
                        owner.name.clone(),
                    ));
                } else if let Notice::Applied { new: pod, .. } = &notice {
                    // An orphan: every set that could adopt it looks again.
                    for set in controller.sets.list() {
                        let selects = set
                            .spec
                            .as_ref()
                            .is_some_and(|s| claim::orphan_matches(&s.selector, pod));
                        if set.metadata.namespace == pod.metadata.namespace && selects {
                            controller.queue.add(key_of(&set.metadata));
                        }
                    }
                }
            }
            else => break,
        }
    }
    worker.abort();
    Ok(())
}

impl Controller {
    async fn work(self: Arc<Self>) {
        self.sets.wait_synced().await;
        self.claims.wait_synced().await;
        self.informers.pods.wait_synced().await;
        self.history.informer.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "statefulset controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(set) = self.sets.get(&key.0, &key.1) else {
            return Ok(None);
        };
        if set.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let spec = set.spec.clone().unwrap_or_default();
        let pods: Vec<Arc<Pod>> = claim::claim_pods(
            &self.client,
            &self.informers.pods,
            &key.0,
            &owner_reference(&set),
            claim::selector_of(&spec.selector).as_ref(),
            false,
            |pod| {
                pod.metadata
                    .name
                    .as_deref()
                    .and_then(|n| plan::ordinal_of(&key.1, n))
                    .is_some()
            },
        )
        .await?
        .into_iter()
        .filter(|p| {
            p.metadata
                .name
                .as_deref()
                .and_then(|n| plan::ordinal_of(&key.1, n))
                .is_some()
        })
        .collect();
        self.repair_identity(&set, &pods).await?;
        let (current, update, revisions, collisions) = self.revisions(&set).await?;
        let current_name = current.metadata.name.clone().unwrap_or_default();
        let update_name = update.metadata.name.clone().unwrap_or_default();
        let params = params_of(&set, &current_name, &update_name);
        let now = Timestamp::now();

        self.claim_owners(&set, &pods, &params).await?;
        let actions = plan::plan(&params, &pods, now);
        let mut failure = None;
        if params.parallel {
            let results = futures::future::join_all(
                actions
                    .iter()
                    .map(|action| self.act(&set, action, &current, &update)),
            )
            .await;
            failure = results.into_iter().find_map(Result::err);
        } else {
            for action in &actions {
                if let Err(error) = self.act(&set, action, &current, &update).await {
                    failure = Some(error);
                    break;
                }
            }
        }

        let status = calculate_status(&set, &pods, &params, collisions, now);
        if set.status.as_ref() != Some(&status) {
            let api: Api<StatefulSet> = Api::namespaced(self.client.clone(), &key.0);
            let mut body = serde_json::to_value(&status)?;
            for field in [
                "readyReplicas",
                "currentReplicas",
                "updatedReplicas",
                "availableReplicas",
                "currentRevision",
                "updateRevision",
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
        if let Some(error) = failure {
            return Err(error);
        }
        if actions.is_empty() {
            self.cleanup_history(&set, &revisions, &pods, &current_name, &update_name)
                .await?;
        }
        if params.min_ready_seconds > 0
            && status.available_replicas.unwrap_or(0) < status.ready_replicas.unwrap_or(0)
        {
            return Ok(Some(Duration::from_secs(params.min_ready_seconds as u64)));
        }
        Ok(None)
    }

    /// The current and update revisions (creating the update revision if
    /// new), every revision of the set, and the collision count.
    async fn revisions(
        &self,
        set: &StatefulSet,
    ) -> Result<
        (
            ControllerRevision,
            ControllerRevision,
            Vec<Arc<ControllerRevision>>,
            i32,
        ),
        Error,
    > {
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let name = set.metadata.name.clone().unwrap_or_default();
        let spec = set.spec.clone().unwrap_or_default();
        let data = history::template_patch(&spec.template)?;
        let owned = self.history.owned(&uid);
        let labels = spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let mut collisions = set
            .status
            .as_ref()
            .and_then(|s| s.collision_count)
            .unwrap_or(0);
        let update = self
            .history
            .ensure(
                &namespace,
                &name,
                &owner_reference(set),
                labels,
                &data,
                &owned,
                &mut collisions,
            )
            .await?;
        let update_name = update.metadata.name.clone();
        let wanted = set.status.as_ref().and_then(|s| s.current_revision.clone());
        let current = match wanted {
            Some(wanted) if Some(&wanted) != update_name.as_ref() => owned
                .iter()
                .find(|r| r.metadata.name.as_deref() == Some(wanted.as_str()))
                .map(|r| (**r).clone())
                .unwrap_or_else(|| update.clone()),
            _ => update.clone(),
        };
        Ok((current, update, owned, collisions))
    }

    async fn cleanup_history(
        &self,
        set: &StatefulSet,
        revisions: &[Arc<ControllerRevision>],
        pods: &[Arc<Pod>],
        current: &str,
        update: &str,
    ) -> Result<(), Error> {
        let limit = set
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(history::DEFAULT_HISTORY_LIMIT);
        let mut live: BTreeSet<String> = pods
            .iter()
            .filter_map(|p| plan::revision_of(p).map(str::to_string))
            .collect();
        live.insert(current.to_string());
        live.insert(update.to_string());
        for revision in history::to_prune(revisions, &live, limit) {
            self.history.delete(&revision).await?;
        }
        Ok(())
    }

    /// Carries out one action.
    async fn act(
        &self,
        set: &StatefulSet,
        action: &Action,
        current: &ControllerRevision,
        update: &ControllerRevision,
    ) -> Result<(), Error> {
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        match action {
            Action::Create { ordinal, revision } => {
                let from = if current.metadata.name.as_ref() == Some(revision) {
                    current
                } else {
                    update
                };
                let template = history::template_of(from)
                    .or_else(|| set.spec.as_ref().map(|s| s.template.clone()))
                    .unwrap_or_default();
                let pod = new_pod(set, &template, *ordinal, revision);
                let pod_name = pod.metadata.name.clone().unwrap_or_default();
                self.create_claims(set, &pod_name, *ordinal).await?;
                match api.create(&PostParams::default(), &pod).await {
                    Ok(_) => {
                        self.record(
                            set,
                            EventType::Normal,
                            "SuccessfulCreate",
                            "Create",
                            format!("create Pod {pod_name} in StatefulSet {set_name} successful"),
                        )
                        .await;
                        Ok(())
                    }
                    // Created already; the watch has not shown it yet.
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
                    Err(error) => {
                        self.record(
                            set,
                            EventType::Warning,
                            "FailedCreate",
                            "Create",
                            format!(
                                "create Pod {pod_name} in StatefulSet {set_name} failed error: {}",
                                api_message(&error)
                            ),
                        )
                        .await;
                        Err(error.into())
                    }
                }
            }
            Action::Delete { name, uid } => {
                let params = DeleteParams {
                    preconditions: Some(Preconditions {
                        uid: Some(uid.clone()),
                        resource_version: None,
                    }),
                    ..DeleteParams::default()
                };
                match api.delete(name, &params).await {
                    Ok(_) => {
                        self.record(
                            set,
                            EventType::Normal,
                            "SuccessfulDelete",
                            "Delete",
                            format!("delete Pod {name} in StatefulSet {set_name} successful"),
                        )
                        .await;
                        Ok(())
                    }
                    Err(kube::Error::Api(status)) if [404, 409].contains(&status.code) => Ok(()),
                    Err(error) => {
                        self.record(
                            set,
                            EventType::Warning,
                            "FailedDelete",
                            "Delete",
                            format!(
                                "delete Pod {name} in StatefulSet {set_name} failed error: {}",
                                api_message(&error)
                            ),
                        )
                        .await;
                        Err(error.into())
                    }
                }
            }
        }
    }

    /// Creates the claims of pod `pod_name` that do not exist yet.
    async fn create_claims(
        &self,
        set: &StatefulSet,
        pod_name: &str,
        ordinal: i32,
    ) -> Result<(), Error> {
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &namespace);
        let params = params_of(set, "", "");
        for claim in new_claims(set, pod_name, ordinal, &params) {
            let claim_name = claim.metadata.name.clone().unwrap_or_default();
            if self.claims.get(&namespace, &claim_name).is_some() {
                continue;
            }
            match api.create(&PostParams::default(), &claim).await {
                Ok(_) => {
                    self.record(
                        set,
                        EventType::Normal,
                        "SuccessfulCreate",
                        "Create",
                        format!(
                            "create Claim {claim_name} Pod {pod_name} in StatefulSet {set_name} success"
                        ),
                    )
                    .await
                }
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(error) => {
                    self.record(
                        set,
                        EventType::Warning,
                        "FailedCreate",
                        "Create",
                        format!(
                            "create Claim {claim_name} for Pod {pod_name} in StatefulSet {set_name} failed error: {}",
                            api_message(&error)
                        ),
                    )
                    .await;
                    return Err(error.into());
                }
            }
        }
        Ok(())
    }

    /// Gives pods that lost them their identity labels back (upstream's
    /// `updateIdentity`, for what can change on a live pod).
    async fn repair_identity(&self, set: &StatefulSet, pods: &[Arc<Pod>]) -> Result<(), Error> {
        let set_name = set.metadata.name.clone().unwrap_or_default();
        for pod in pods {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let Some(ordinal) = plan::ordinal_of(&set_name, &name) else {
                continue;
            };
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let index = ordinal.to_string();
            if labels.get(POD_NAME_LABEL) == Some(&name)
                && labels.get(POD_INDEX_LABEL) == Some(&index)
            {
                continue;
            }
            let api: Api<Pod> = Api::namespaced(
                self.client.clone(),
                pod.metadata.namespace.as_deref().unwrap_or_default(),
            );
            let patch = json!({"metadata": {
                "labels": {POD_NAME_LABEL: name, POD_INDEX_LABEL: index},
                "resourceVersion": pod.metadata.resource_version,
            }});
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if [404, 409].contains(&status.code) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Keeps the owner references of the pods' claims as the retention
    /// policy says (upstream's `updateClaimOwnerRefForSetAndPod`).
    async fn claim_owners(
        &self,
        set: &StatefulSet,
        pods: &[Arc<Pod>],
        params: &Params,
    ) -> Result<(), Error> {
        let templates = claim_templates(set);
        if templates.is_empty() {
            return Ok(());
        }
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let set_uid = set.metadata.uid.clone().unwrap_or_default();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &namespace);
        for pod in pods {
            let pod_name = pod.metadata.name.clone().unwrap_or_default();
            let Some(ordinal) = plan::ordinal_of(&set_name, &pod_name) else {
                continue;
            };
            let pod_uid = pod.metadata.uid.clone().unwrap_or_default();
            let wanted = claim_owner_references(set, params, ordinal, pod);
            for template in &templates {
                let claim_name = claim_name(template, &set_name, ordinal);
                let Some(claim) = self.claims.get(&namespace, &claim_name) else {
                    continue;
                };
                let mut references: Vec<OwnerReference> = claim
                    .metadata
                    .owner_references
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| r.uid != set_uid && r.uid != pod_uid)
                    .collect();
                references.extend(wanted.iter().cloned());
                let have = claim.metadata.owner_references.clone().unwrap_or_default();
                if same_references(&have, &references) {
                    continue;
                }
                let patch = json!({"metadata": {
                    "ownerReferences": references,
                    "resourceVersion": claim.metadata.resource_version,
                }});
                match api
                    .patch(&claim_name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if [404, 409].contains(&status.code) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
    }

    async fn record(
        &self,
        set: &StatefulSet,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let reference = object_reference(set);
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "statefulset controller: recording an event failed");
        }
    }
}

fn same_references(a: &[OwnerReference], b: &[OwnerReference]) -> bool {
    let uids = |list: &[OwnerReference]| -> BTreeSet<String> {
        list.iter().map(|r| r.uid.clone()).collect()
    };
    a.len() == b.len() && uids(a) == uids(b)
}

fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// The set's spec as the planner needs it.
fn params_of(set: &StatefulSet, current: &str, update: &str) -> Params {
    let spec = set.spec.clone().unwrap_or_default();
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let rolling = strategy.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate";
    let rolling_update = strategy.rolling_update.unwrap_or_default();
    let max_unavailable = match rolling_update.max_unavailable {
        None => 1,
        Some(IntOrString::Int(n)) => n,
        Some(IntOrString::String(s)) => match s.strip_suffix('%').map(str::parse::<i64>) {
            Some(Ok(percent)) => ((percent * i64::from(replicas) + 99) / 100) as i32,
            _ => 1,
        },
    }
    .max(1);
    Params {
        name: set.metadata.name.clone().unwrap_or_default(),
        start: spec.ordinals.and_then(|o| o.start).unwrap_or(0).max(0),
        replicas,
        parallel: spec.pod_management_policy.as_deref() == Some("Parallel"),
        rolling,
        partition: rolling_update.partition.unwrap_or(0).max(0),
        max_unavailable,
        min_ready_seconds: spec.min_ready_seconds.unwrap_or(0),
        current_revision: current.to_string(),
        update_revision: update.to_string(),
    }
}

fn claim_templates(set: &StatefulSet) -> Vec<PersistentVolumeClaim> {
    set.spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.clone())
        .unwrap_or_default()
}

fn claim_name(template: &PersistentVolumeClaim, set: &str, ordinal: i32) -> String {
    format!(
        "{}-{set}-{ordinal}",
        template.metadata.name.as_deref().unwrap_or_default()
    )
}

/// Whether the policy deletes claims when the set is deleted / scaled down.
fn retention(set: &StatefulSet) -> (bool, bool) {
    let policy = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.clone())
        .unwrap_or_default();
    (
        policy.when_deleted.as_deref() == Some("Delete"),
        policy.when_scaled.as_deref() == Some("Delete"),
    )
}

/// The owners a claim of this pod should have: the set when the policy
/// deletes claims with the set; the pod when it is condemned and the policy
/// deletes claims on scale-down (then the claim goes with the pod).
fn claim_owner_references(
    set: &StatefulSet,
    params: &Params,
    ordinal: i32,
    pod: &Pod,
) -> Vec<OwnerReference> {
    let (when_deleted, when_scaled) = retention(set);
    let condemned = ordinal < params.start || ordinal >= params.start + params.replicas;
    let mut references = Vec::new();
    if when_scaled && condemned {
        references.push(OwnerReference {
            api_version: "v1".to_string(),
            kind: "Pod".to_string(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            controller: None,
            block_owner_deletion: None,
        });
    } else if when_deleted {
        references.push(OwnerReference {
            controller: None,
            block_owner_deletion: None,
            ..owner_reference(set)
        });
    }
    references
}

/// The claims of the pod `pod_name`.
fn new_claims(
    set: &StatefulSet,
    pod_name: &str,
    ordinal: i32,
    params: &Params,
) -> Vec<PersistentVolumeClaim> {
    let set_name = set.metadata.name.clone().unwrap_or_default();
    let selector_labels = set
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    let placeholder = Pod {
        metadata: ObjectMeta {
            name: Some(pod_name.to_string()),
            ..ObjectMeta::default()
        },
        ..Pod::default()
    };
    let references = claim_owner_references(set, params, ordinal, &placeholder)
        .into_iter()
        .filter(|r| r.kind != "Pod")
        .collect::<Vec<_>>();
    claim_templates(set)
        .into_iter()
        .map(|template| {
            let mut labels = template.metadata.labels.clone().unwrap_or_default();
            labels.extend(selector_labels.clone());
            PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(claim_name(&template, &set_name, ordinal)),
                    namespace: set.metadata.namespace.clone(),
                    labels: (!labels.is_empty()).then_some(labels),
                    annotations: template.metadata.annotations.clone(),
                    owner_references: (!references.is_empty()).then(|| references.clone()),
                    ..ObjectMeta::default()
                },
                spec: template.spec.clone(),
                status: None,
            }
        })
        .collect()
}

/// The pod of `ordinal` from `template` at `revision`.
fn new_pod(set: &StatefulSet, template: &PodTemplateSpec, ordinal: i32, revision: &str) -> Pod {
    let set_name = set.metadata.name.clone().unwrap_or_default();
    let name = format!("{set_name}-{ordinal}");
    let meta = template.metadata.clone().unwrap_or_default();
    let mut labels: BTreeMap<String, String> = meta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.to_string(), name.clone());
    labels.insert(POD_INDEX_LABEL.to_string(), ordinal.to_string());
    labels.insert(history::HASH_LABEL.to_string(), revision.to_string());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    if let Some(service) = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty())
    {
        spec.subdomain = Some(service);
    }
    let claims = claim_templates(set);
    if !claims.is_empty() {
        let volumes = spec.volumes.get_or_insert_with(Vec::new);
        for claim in &claims {
            let volume_name = claim.metadata.name.clone().unwrap_or_default();
            volumes.retain(|v| v.name != volume_name);
            volumes.push(Volume {
                name: volume_name,
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(claim, &set_name, ordinal),
                    read_only: None,
                }),
                ..Volume::default()
            });
        }
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![owner_reference(set)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

fn owner_reference(set: &StatefulSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_string(),
        kind: "StatefulSet".to_string(),
        name: set.metadata.name.clone().unwrap_or_default(),
        uid: set.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn object_reference(set: &StatefulSet) -> ObjectReference {
    crate::replicaset::object_reference_of("StatefulSet", "apps/v1", &set.metadata)
}

/// The status for these pods (upstream's `computeReplicaStatus` and
/// `completeRollingUpdate`).
fn calculate_status(
    set: &StatefulSet,
    pods: &[Arc<Pod>],
    params: &Params,
    collisions: i32,
    now: Timestamp,
) -> StatefulSetStatus {
    let (mut ready, mut available, mut current, mut updated) = (0, 0, 0, 0);
    for pod in pods {
        if plan::running_and_ready(pod) {
            ready += 1;
            if is_available(pod, params.min_ready_seconds, now) {
                available += 1;
            }
        }
        if pod.metadata.deletion_timestamp.is_none() {
            let revision = plan::revision_of(pod);
            if revision == Some(params.current_revision.as_str()) {
                current += 1;
            }
            if revision == Some(params.update_revision.as_str()) {
                updated += 1;
            }
        }
    }
    let replicas = pods.len() as i32;
    let mut current_revision = params.current_revision.clone();
    if params.rolling && updated == replicas && ready == replicas {
        current = updated;
        current_revision = params.update_revision.clone();
    }
    let some = |n: i32| (n > 0).then_some(n);
    StatefulSetStatus {
        observed_generation: set.metadata.generation,
        replicas,
        ready_replicas: some(ready),
        available_replicas: some(available),
        current_replicas: some(current),
        updated_replicas: some(updated),
        current_revision: Some(current_revision),
        update_revision: Some(params.update_revision.clone()),
        collision_count: (collisions > 0).then_some(collisions),
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(value: Value) -> StatefulSet {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn pods_get_identity_and_claims() {
        let set = set(json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
            "spec": {
                "serviceName": "nginx",
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": "1Gi"}}}}],
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}
            }
        }));
        let template = set.spec.as_ref().unwrap().template.clone();
        let pod = new_pod(&set, &template, 2, "web-abc");
        assert_eq!(pod.metadata.name.as_deref(), Some("web-2"));
        let labels = pod.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[POD_NAME_LABEL], "web-2");
        assert_eq!(labels[POD_INDEX_LABEL], "2");
        assert_eq!(labels[history::HASH_LABEL], "web-abc");
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let volume = &spec.volumes.as_ref().unwrap()[0];
        assert_eq!(
            volume.persistent_volume_claim.as_ref().unwrap().claim_name,
            "www-web-2"
        );
        let params = params_of(&set, "a", "a");
        let claims = new_claims(&set, "web-2", 2, &params);
        assert_eq!(claims[0].metadata.name.as_deref(), Some("www-web-2"));
        assert_eq!(claims[0].metadata.labels.as_ref().unwrap()["app"], "web");
        let owners = claims[0].metadata.owner_references.as_ref().unwrap();
        assert_eq!(owners[0].uid, "u1");
    }

    #[test]
    fn retention_owners_follow_the_policy() {
        let mut s = set(json!({
            "metadata": {"name": "web", "uid": "u1"},
            "spec": {"replicas": 2, "selector": {}, "template": {},
                     "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"}}
        }));
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("web-3".into()),
                uid: Some("p3".into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        };
        let params = params_of(&s, "", "");
        let owners = claim_owner_references(&s, &params, 3, &pod);
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].uid, "p3");
        assert!(claim_owner_references(&s, &params, 1, &pod).is_empty());
        s.spec
            .as_mut()
            .unwrap()
            .persistent_volume_claim_retention_policy = None;
        assert!(claim_owner_references(&s, &params, 3, &pod).is_empty());
    }

    #[test]
    fn status_completes_a_rolling_update() {
        let s = set(json!({"metadata": {"name": "web", "generation": 4},
                            "spec": {"replicas": 1, "selector": {}, "template": {}}}));
        let pod: Arc<Pod> = Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": "web-0", "labels": {"controller-revision-hash": "web-b"}},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
            }))
            .unwrap(),
        );
        let params = params_of(&s, "web-a", "web-b");
        let status = calculate_status(&s, &[pod], &params, 0, Timestamp::from_second(10).unwrap());
        assert_eq!(status.current_revision.as_deref(), Some("web-b"));
        assert_eq!(status.current_replicas, Some(1));
        assert_eq!(status.updated_replicas, Some(1));
        assert_eq!(status.ready_replicas, Some(1));
        assert_eq!(status.observed_generation, Some(4));
    }
}

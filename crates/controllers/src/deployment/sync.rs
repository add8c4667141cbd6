//! Finding and creating a deployment's new ReplicaSet, revisions, scaling
//! (also proportional scaling during a rollout), history cleanup and the
//! status, as upstream's `pkg/controller/deployment/sync.go`.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

use super::util::{self, HASH_LABEL, REVISION, REVISION_HISTORY};
use super::{owner_reference, DeploymentController};
use crate::events::EventType;
use crate::Error;

/// A deployment's ReplicaSets: the one running its current template, if any,
/// and the others.
pub(super) struct Sets {
    pub new: Option<ReplicaSet>,
    pub old: Vec<ReplicaSet>,
    /// The new set was created by this sync.
    pub created: bool,
}

impl Sets {
    pub fn all(&self) -> Vec<&ReplicaSet> {
        self.old.iter().chain(self.new.as_ref()).collect()
    }
}

/// Some active set was sized for another `replicas` (upstream's
/// `isScalingEvent`).
pub(super) fn is_scaling_event(d: &Deployment, sets: &[ReplicaSet]) -> bool {
    let wanted = util::replicas(d).to_string();
    sets.iter()
        .filter(|rs| util::spec_replicas(rs) > 0)
        .any(|rs| {
            util::annotation(&rs.metadata, util::DESIRED_REPLICAS).is_some_and(|r| r != wanted)
        })
}

fn created_at(rs: &ReplicaSet) -> (i64, String) {
    (
        rs.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .unwrap_or(0),
        rs.metadata.name.clone().unwrap_or_default(),
    )
}

/// Oldest first.
pub(super) fn by_creation(sets: &mut [ReplicaSet]) {
    sets.sort_by_key(created_at);
}

impl DeploymentController {
    /// Splits the sets into new and old, creating the new one if asked, and
    /// brings revisions up to date (upstream's `getAllReplicaSetsAndSyncRevision`).
    pub(super) async fn get_all_replica_sets(
        &self,
        d: &mut Deployment,
        mut sets: Vec<ReplicaSet>,
        create: bool,
    ) -> Result<Sets, Error> {
        let template = d
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        by_creation(&mut sets);
        let position = sets.iter().position(|rs| {
            rs.spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| util::equal_ignore_hash(t, &template))
        });
        let new = position.map(|i| sets.remove(i));
        let old = sets;
        let new_revision = old.iter().map(util::revision).max().unwrap_or(0) + 1;
        let api = self.replica_sets_api(d);
        if let Some(rs) = new {
            let mut annotations = util::copy_annotations(d, rs.metadata.annotations.as_ref());
            let current = util::revision(&rs);
            if current < new_revision {
                if current > 0 {
                    let history = match annotations.get(REVISION_HISTORY) {
                        Some(h) if !h.is_empty() => format!("{h},{current}"),
                        _ => current.to_string(),
                    };
                    annotations.insert(REVISION_HISTORY.to_string(), history);
                }
                annotations.insert(REVISION.to_string(), new_revision.to_string());
            }
            // minReadySeconds follows the deployment's, as upstream's getNewReplicaSet.
            let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
            let rs = if min_ready != rs.spec.as_ref().and_then(|s| s.min_ready_seconds) {
                patch_min_ready_seconds(&api, &rs, min_ready.unwrap_or(0)).await?
            } else {
                rs
            };
            let rs = if Some(&annotations) != rs.metadata.annotations.as_ref() {
                patch_replica_set(&api, &rs, None, &annotations).await?
            } else {
                rs
            };
            self.set_deployment_revision(d, util::revision(&rs)).await?;
            return Ok(Sets {
                new: Some(rs),
                old,
                created: false,
            });
        }
        if !create {
            return Ok(Sets {
                new: None,
                old,
                created: false,
            });
        }
        let collision_count = d.status.as_ref().and_then(|s| s.collision_count);
        let hash = util::compute_hash(&template, collision_count);
        let mut new_template = template.clone();
        new_template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(HASH_LABEL.to_string(), hash.clone());
        let spec = d.spec.clone().unwrap_or_default();
        let mut selector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(HASH_LABEL.to_string(), hash.clone());
        let old_refs: Vec<&ReplicaSet> = old.iter().collect();
        let replicas = util::new_rs_new_replicas(d, &old_refs, 0);
        let mut annotations = util::copy_annotations(d, None);
        annotations = util::with_replicas_annotations(d, Some(&annotations));
        annotations.insert(REVISION.to_string(), new_revision.to_string());
        let name = format!("{}-{hash}", d.metadata.name.as_deref().unwrap_or_default());
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: d.metadata.namespace.clone(),
                labels: new_template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![owner_reference(d)]),
                ..ObjectMeta::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(new_template),
            }),
            status: None,
        };
        let created = match api.create(&PostParams::default(), &rs).await {
            Ok(created) => created,
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let existing = api.get(&name).await?;
                let ours = existing
                    .metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| Some(&r.uid) == d.metadata.uid.as_ref() && r.controller == Some(true));
                let same = existing
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .is_some_and(|t| util::equal_ignore_hash(t, &template));
                if ours && same {
                    // Our cache had not seen it yet: the next sync will.
                    return Err(Error::Api(kube::Error::Api(status)));
                }
                // A hash collision: the next name comes from a bumped count.
                let mut status_now = d.status.clone().unwrap_or_default();
                status_now.collision_count = Some(collision_count.unwrap_or(0) + 1);
                let patch = json!({"status": {"collisionCount": status_now.collision_count}});
                self.deployments_api(d)
                    .patch_status(
                        d.metadata.name.as_deref().unwrap_or_default(),
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await?;
                return Err(Error::Api(kube::Error::Api(status)));
            }
            Err(error) => return Err(error.into()),
        };
        if replicas > 0 {
            let note = format!("Scaled up replica set {name} from 0 to {replicas}");
            self.record(d, EventType::Normal, "ScalingReplicaSet", "Scale", note)
                .await;
        }
        self.set_deployment_revision(d, new_revision).await?;
        Ok(Sets {
            new: Some(created),
            old,
            created: true,
        })
    }

    /// The deployment's revision annotation follows its new set's.
    async fn set_deployment_revision(
        &self,
        d: &mut Deployment,
        revision: i64,
    ) -> Result<(), Error> {
        let revision = revision.to_string();
        if util::annotation(&d.metadata, REVISION) == Some(revision.as_str()) {
            return Ok(());
        }
        let ops = json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": d.metadata.resource_version},
            {"op": "add", "path": "/metadata/annotations", "value":
                d.metadata.annotations.clone().unwrap_or_default().into_iter()
                    .chain([(REVISION.to_string(), revision)])
                    .collect::<BTreeMap<_, _>>()},
        ]);
        let patch: json_patch::Patch = serde_json::from_value(ops)?;
        *d = self
            .deployments_api(d)
            .patch_status(
                d.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::<()>::Json(patch),
            )
            .await?;
        Ok(())
    }

    /// Sets a set's replicas and replica annotations; true when the size
    /// changed. Records the ScalingReplicaSet event as upstream words it.
    pub(super) async fn scale_replica_set(
        &self,
        d: &Deployment,
        rs: &ReplicaSet,
        new_scale: i32,
    ) -> Result<(bool, ReplicaSet), Error> {
        let old_scale = util::spec_replicas(rs);
        let annotations = util::with_replicas_annotations(d, rs.metadata.annotations.as_ref());
        let resize = old_scale != new_scale;
        if !resize && Some(&annotations) == rs.metadata.annotations.as_ref() {
            return Ok((false, rs.clone()));
        }
        let updated =
            patch_replica_set(&self.replica_sets_api(d), rs, Some(new_scale), &annotations).await?;
        if resize {
            let direction = if new_scale > old_scale { "up" } else { "down" };
            let name = rs.metadata.name.as_deref().unwrap_or_default();
            let note =
                format!("Scaled {direction} replica set {name} from {old_scale} to {new_scale}");
            self.record(d, EventType::Normal, "ScalingReplicaSet", "Scale", note)
                .await;
        }
        Ok((resize, updated))
    }

    /// Scales the sets when the deployment was scaled: the one active set
    /// takes it all; during a rollout the change is spread in proportion
    /// (upstream's `scale`).
    pub(super) async fn scale(&self, d: &Deployment, sets: &mut Sets) -> Result<(), Error> {
        let wanted = util::replicas(d);
        if let Some(target) = active_or_latest(sets) {
            let rs = target.clone();
            if util::spec_replicas(&rs) == wanted {
                return Ok(());
            }
            let (_, updated) = self.scale_replica_set(d, &rs, wanted).await?;
            replace(sets, updated);
            return Ok(());
        }
        if sets.new.as_ref().is_some_and(|rs| is_saturated(d, rs)) {
            for rs in sets.old.clone() {
                if util::spec_replicas(&rs) > 0 {
                    let (_, updated) = self.scale_replica_set(d, &rs, 0).await?;
                    replace(sets, updated);
                }
            }
            return Ok(());
        }
        if !util::is_rolling(d) {
            return Ok(());
        }
        let mut active: Vec<ReplicaSet> = sets
            .all()
            .into_iter()
            .filter(|rs| util::spec_replicas(rs) > 0)
            .cloned()
            .collect();
        let current: i32 = active.iter().map(util::spec_replicas).sum();
        let allowed = if wanted > 0 {
            wanted + util::max_surge(d)
        } else {
            0
        };
        let to_add = allowed - current;
        // Larger first; among equals newer first when adding, older first when removing.
        active.sort_by(|a, b| {
            util::spec_replicas(b)
                .cmp(&util::spec_replicas(a))
                .then_with(|| {
                    if to_add > 0 {
                        created_at(b).cmp(&created_at(a))
                    } else {
                        created_at(a).cmp(&created_at(b))
                    }
                })
        });
        let mut sizes: Vec<i32> = Vec::new();
        let mut added = 0;
        for rs in &active {
            let proportion = proportion(rs, d, to_add, added);
            sizes.push(util::spec_replicas(rs) + proportion);
            added += proportion;
        }
        if let Some(first) = sizes.first_mut() {
            *first = (*first + to_add - added).max(0);
        }
        for (rs, size) in active.iter().zip(sizes) {
            let (_, updated) = self.scale_replica_set(d, rs, size.max(0)).await?;
            replace(sets, updated);
        }
        Ok(())
    }

    /// Deletes the oldest unused sets beyond `revisionHistoryLimit`.
    pub(super) async fn cleanup(&self, d: &Deployment, old: &[ReplicaSet]) -> Result<(), Error> {
        let Some(limit) = d.spec.as_ref().and_then(|s| s.revision_history_limit) else {
            return Ok(());
        };
        let mut candidates: Vec<&ReplicaSet> = old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .collect();
        let excess = candidates.len() as i64 - i64::from(limit);
        if excess <= 0 {
            return Ok(());
        }
        candidates.sort_by_key(|rs| (util::revision(rs), created_at(rs)));
        let api = self.replica_sets_api(d);
        for rs in candidates.into_iter().take(excess as usize) {
            let settled =
                rs.status.as_ref().and_then(|s| s.observed_generation) >= rs.metadata.generation;
            if util::status_replicas(rs) != 0 || util::spec_replicas(rs) != 0 || !settled {
                continue;
            }
            let name = rs.metadata.name.as_deref().unwrap_or_default();
            match api.delete(name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Scaling only, for paused deployments and scaling events (upstream's `sync`).
    pub(super) async fn sync(
        &self,
        mut d: Deployment,
        sets: Vec<ReplicaSet>,
    ) -> Result<Option<Duration>, Error> {
        let mut sets = self.get_all_replica_sets(&mut d, sets, false).await?;
        self.scale(&d, &mut sets).await?;
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused {
            self.cleanup(&d, &sets.old).await?;
        }
        let status = calculate_status(&d, &sets);
        self.write_status(&d, status).await?;
        Ok(None)
    }

    pub(super) async fn sync_status_only(
        &self,
        mut d: Deployment,
        sets: Vec<ReplicaSet>,
    ) -> Result<Option<Duration>, Error> {
        let sets = self.get_all_replica_sets(&mut d, sets, false).await?;
        let status = calculate_status(&d, &sets);
        self.write_status(&d, status).await?;
        Ok(None)
    }

    /// Progressing=Unknown with DeploymentPaused/DeploymentResumed when the
    /// deployment is paused or resumed (upstream's `checkPausedConditions`).
    pub(super) async fn check_paused_conditions(&self, d: Deployment) -> Result<Deployment, Error> {
        if !util::has_progress_deadline(&d) {
            return Ok(d);
        }
        let reason = condition(&d.status.clone().unwrap_or_default(), "Progressing")
            .and_then(|c| c.reason.clone());
        if reason.as_deref() == Some("ProgressDeadlineExceeded") {
            return Ok(d);
        }
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let paused_shown = reason.as_deref() == Some("DeploymentPaused");
        let (reason, message) = match (paused, paused_shown) {
            (true, false) => ("DeploymentPaused", "Deployment is paused"),
            (false, true) => ("DeploymentResumed", "Deployment is resumed"),
            _ => return Ok(d),
        };
        let mut status = d.status.clone().unwrap_or_default();
        set_condition(
            &mut status,
            new_condition("Progressing", "Unknown", reason, message.to_string()),
        );
        self.write_status(&d, status).await
    }

    /// Writes the status if it changed, with the resourceVersion read.
    pub(super) async fn write_status(
        &self,
        d: &Deployment,
        status: DeploymentStatus,
    ) -> Result<Deployment, Error> {
        if d.status.as_ref() == Some(&status) {
            return Ok(d.clone());
        }
        let mut updated = d.clone();
        updated.status = Some(status);
        Ok(self
            .deployments_api(d)
            .replace_status(
                d.metadata.name.as_deref().unwrap_or_default(),
                &PostParams::default(),
                &updated,
            )
            .await?)
    }
}

/// A guarded patch of a set's replicas (if given) and annotations.
async fn patch_replica_set(
    api: &kube::Api<ReplicaSet>,
    rs: &ReplicaSet,
    replicas: Option<i32>,
    annotations: &BTreeMap<String, String>,
) -> Result<ReplicaSet, Error> {
    let mut ops = vec![
        json!({"op": "test", "path": "/metadata/uid", "value": rs.metadata.uid}),
        json!({"op": "test", "path": "/metadata/resourceVersion", "value": rs.metadata.resource_version}),
        json!({"op": "add", "path": "/metadata/annotations", "value": annotations}),
    ];
    if let Some(replicas) = replicas {
        ops.push(json!({"op": "add", "path": "/spec/replicas", "value": replicas}));
    }
    let patch: json_patch::Patch = serde_json::from_value(serde_json::Value::Array(ops))?;
    Ok(api
        .patch(
            rs.metadata.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::<()>::Json(patch),
        )
        .await?)
}

async fn patch_min_ready_seconds(
    api: &kube::Api<ReplicaSet>,
    rs: &ReplicaSet,
    min_ready: i32,
) -> Result<ReplicaSet, Error> {
    let ops = json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": rs.metadata.resource_version},
        {"op": "add", "path": "/spec/minReadySeconds", "value": min_ready},
    ]);
    let patch: json_patch::Patch = serde_json::from_value(ops)?;
    Ok(api
        .patch(
            rs.metadata.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::<()>::Json(patch),
        )
        .await?)
}

/// Puts an updated set in place of the one with its name.
fn replace(sets: &mut Sets, updated: ReplicaSet) {
    let name = updated.metadata.name.clone();
    if let Some(rs) = sets.new.as_mut().filter(|rs| rs.metadata.name == name) {
        *rs = updated;
        return;
    }
    if let Some(rs) = sets.old.iter_mut().find(|rs| rs.metadata.name == name) {
        *rs = updated;
    }
}

/// The only active set, or the newest when none is active; none when several
/// are active (upstream's `FindActiveOrLatest`).
fn active_or_latest(sets: &Sets) -> Option<&ReplicaSet> {
    let all = sets.all();
    if all.is_empty() {
        return None;
    }
    let active: Vec<&ReplicaSet> = all
        .iter()
        .copied()
        .filter(|rs| util::spec_replicas(rs) > 0)
        .collect();
    match active.len() {
        0 => sets
            .new
            .as_ref()
            .or_else(|| sets.old.iter().max_by_key(|rs| created_at(rs))),
        1 => Some(active[0]),
        _ => None,
    }
}

/// The new set runs all replicas, available (upstream's `IsSaturated`).
fn is_saturated(d: &Deployment, rs: &ReplicaSet) -> bool {
    let wanted = util::replicas(d);
    util::annotation(&rs.metadata, util::DESIRED_REPLICAS) == Some(wanted.to_string().as_str())
        && util::spec_replicas(rs) == wanted
        && util::available(rs) == wanted
}

/// How many of `to_add` a set takes in proportional scaling (upstream's
/// `getProportion` and `getReplicaSetFraction`).
fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if util::spec_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = {
        let wanted = util::replicas(d);
        if wanted == 0 {
            -util::spec_replicas(rs)
        } else {
            let deployment_replicas = wanted + util::max_surge(d);
            let annotated = util::annotation(&rs.metadata, util::MAX_REPLICAS)
                .and_then(|v| v.parse::<i32>().ok())
                .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
            if annotated == 0 {
                0
            } else {
                let size = f64::from(util::spec_replicas(rs)) * f64::from(deployment_replicas)
                    / f64::from(annotated);
                size.round() as i32 - util::spec_replicas(rs)
            }
        }
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// The status the sets show, keeping conditions other than Available
/// (upstream's `calculateStatus`).
pub(super) fn calculate_status(d: &Deployment, sets: &Sets) -> DeploymentStatus {
    let all = sets.all();
    let available: i32 = all.iter().map(|rs| util::available(rs)).sum();
    let total: i32 = all.iter().map(|rs| util::spec_replicas(rs)).sum();
    let nonzero = |n: i32| (n != 0).then_some(n);
    let old = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: nonzero(all.iter().map(|rs| util::status_replicas(rs)).sum()),
        updated_replicas: nonzero(sets.new.as_ref().map(util::status_replicas).unwrap_or(0)),
        ready_replicas: nonzero(all.iter().map(|rs| util::ready(rs)).sum()),
        available_replicas: nonzero(available),
        unavailable_replicas: nonzero((total - available).max(0)),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
        ..DeploymentStatus::default()
    };
    let condition = if available >= util::replicas(d) - util::max_unavailable(d) {
        new_condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".to_string(),
        )
    } else {
        new_condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".to_string(),
        )
    };
    set_condition(&mut status, condition);
    status
}

pub(super) fn condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

pub(super) fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
) -> DeploymentCondition {
    let now = Time(Timestamp::now());
    DeploymentCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_update_time: Some(now.clone()),
        last_transition_time: Some(now),
    }
}

/// Sets a condition unless one with the same status and reason is there,
/// keeping the transition time when the status is unchanged (upstream's
/// `SetDeploymentCondition`).
pub(super) fn set_condition(status: &mut DeploymentStatus, mut condition: DeploymentCondition) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if let Some(current) = conditions.iter().find(|c| c.type_ == condition.type_) {
        if current.status == condition.status && current.reason == condition.reason {
            return;
        }
        if current.status == condition.status {
            condition.last_transition_time = current.last_transition_time.clone();
        }
    }
    conditions.retain(|c| c.type_ != condition.type_);
    conditions.push(condition);
}

pub(super) fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(replicas: i32, max_surge: i32) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": 0}},
                "template": {},
            },
        }))
        .unwrap()
    }

    fn replica_set(replicas: i32, max_replicas: i32) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": "web-x", "annotations": {util::MAX_REPLICAS: max_replicas.to_string()}},
            "spec": {"replicas": replicas, "selector": {}},
        }))
        .unwrap()
    }

    #[test]
    fn scaling_during_a_rollout_is_proportional() {
        // 10 replicas + 3 surge were spread 8/5; the deployment goes to 20 (+3).
        let d = deployment(20, 3);
        let (a, b) = (replica_set(8, 13), replica_set(5, 13));
        let to_add = 23 - 13;
        let for_a = proportion(&a, &d, to_add, 0);
        let for_b = proportion(&b, &d, to_add, for_a);
        assert_eq!((for_a, for_b), (6, 4));
        // Scaling down to 0 removes everything.
        let d = deployment(0, 3);
        assert_eq!(proportion(&a, &d, -13, 0), -8);
    }

    #[test]
    fn conditions_keep_their_transition_time() {
        let mut status = DeploymentStatus::default();
        let mut first = new_condition("Available", "True", "A", "m".to_string());
        first.last_transition_time = Some(Time(Timestamp::from_second(1).unwrap()));
        set_condition(&mut status, first);
        set_condition(
            &mut status,
            new_condition("Available", "True", "B", "n".to_string()),
        );
        let current = condition(&status, "Available").unwrap();
        assert_eq!(current.reason.as_deref(), Some("B"));
        assert_eq!(
            current.last_transition_time.as_ref().unwrap().0.as_second(),
            1
        );
        set_condition(
            &mut status,
            new_condition("Available", "False", "C", "o".to_string()),
        );
        let current = condition(&status, "Available").unwrap();
        assert_ne!(
            current.last_transition_time.as_ref().unwrap().0.as_second(),
            1
        );
        assert_eq!(status.conditions.as_ref().unwrap().len(), 1);
    }
}

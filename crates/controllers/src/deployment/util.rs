//! Pure helpers of the deployment controller, as upstream's
//! `pkg/controller/deployment/util/deployment_util.go`: the pod template hash,
//! maxSurge/maxUnavailable arithmetic, revisions and annotations.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

/// The label that tells a deployment's ReplicaSets (and their pods) apart.
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations of a deployment that are not copied to its ReplicaSets.
const NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// A stable hash of a pod template (and the collision count, when there was
/// a collision), encoded as upstream encodes `ComputeHash`: FNV-32a, printed
/// in decimal, each digit mapped through the safe alphabet.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    crate::history::fnv_hash(&template_value(template), collision_count)
}

/// A template as JSON without empty objects, lists and nulls, so that
/// `resources: {}` sent by one client and absent from another compare equal,
/// as Go's semantic equality of the typed structs has them.
fn normalized(template: &PodTemplateSpec) -> Value {
    crate::history::normalized(&template_value(template))
}

fn template_value(template: &PodTemplateSpec) -> Value {
    serde_json::to_value(template).unwrap_or(Value::Null)
}

/// Whether two templates are equal once the hash label is ignored (upstream's
/// `EqualIgnoreHash`).
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(HASH_LABEL);
        }
        normalized(&t)
    };
    strip(a) == strip(b)
}

/// An absolute number or a percentage of `total`, rounded up or down.
pub fn scaled_value(value: Option<&IntOrString>, default: &str, total: i32, round_up: bool) -> i32 {
    let value = value
        .cloned()
        .unwrap_or_else(|| IntOrString::String(default.to_string()));
    match value {
        IntOrString::Int(n) => n,
        IntOrString::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(percent) => {
                let product = percent * i64::from(total);
                let scaled = if round_up {
                    (product + 99).div_euclid(100)
                } else {
                    product.div_euclid(100)
                };
                scaled as i32
            }
            None => s.parse().unwrap_or(0),
        },
    }
}

/// maxSurge (rounded up) and maxUnavailable (rounded down) for `desired`
/// replicas; both zero would stall a rollout, so maxUnavailable becomes 1
/// (upstream's `ResolveFenceposts`).
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> (i32, i32) {
    let surge = scaled_value(max_surge, "25%", desired, true);
    let mut unavailable = scaled_value(max_unavailable, "25%", desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn is_rolling(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .is_none_or(|t| t == "RollingUpdate")
}

fn fenceposts(d: &Deployment) -> (i32, i32) {
    let rolling = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    resolve_fenceposts(
        rolling.and_then(|r| r.max_surge.as_ref()),
        rolling.and_then(|r| r.max_unavailable.as_ref()),
        replicas(d),
    )
}

/// How many pods a rolling update may add above `replicas` (0 for Recreate).
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling(d) {
        return 0;
    }
    fenceposts(d).0
}

/// How many pods may be unavailable during a rolling update (upstream's
/// `MaxUnavailable`: 0 for Recreate or no replicas, at most `replicas`).
pub fn max_unavailable(d: &Deployment) -> i32 {
    let wanted = replicas(d);
    if !is_rolling(d) || wanted == 0 {
        return 0;
    }
    fenceposts(d).1.min(wanted)
}

pub fn annotation<'a>(meta: &'a kube::api::ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

pub fn revision(rs: &ReplicaSet) -> i64 {
    annotation(&rs.metadata, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

pub fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map(|s| s.replicas).unwrap_or(0)
}

pub fn available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

pub fn ready(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

/// `existing` with the deployment's own annotations copied in (less the
/// controller's own keys), as upstream's `copyDeploymentAnnotationsToReplicaSet`.
pub fn copy_annotations(
    d: &Deployment,
    existing: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut annotations = existing.cloned().unwrap_or_default();
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if !NOT_COPIED.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    annotations
}

/// `existing` with the desired and max replica counts of `d` (upstream's
/// `SetReplicasAnnotations`).
pub fn with_replicas_annotations(
    d: &Deployment,
    existing: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut annotations = existing.cloned().unwrap_or_default();
    annotations.insert(DESIRED_REPLICAS.to_string(), replicas(d).to_string());
    annotations.insert(
        MAX_REPLICAS.to_string(),
        (replicas(d) + max_surge(d)).to_string(),
    );
    annotations
}

/// A progress deadline is set (not nil and not MaxInt32).
pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .is_some_and(|s| s != i32::MAX)
}

/// Replicas of a ReplicaSet of `d` on its creation or scale-up (upstream's
/// `NewRSNewReplicas`): for RollingUpdate as many as maxSurge allows over all
/// sets' replicas, never more than `replicas`; for Recreate `replicas`.
pub fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_replicas: i32) -> i32 {
    let wanted = replicas(d);
    if !is_rolling(d) {
        return wanted;
    }
    let current: i32 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let max_total = wanted + max_surge(d);
    if current >= max_total {
        return new_replicas;
    }
    let scale_up = (max_total - current).min(wanted - new_replicas);
    new_replicas + scale_up.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i32) -> IntOrString {
        IntOrString::Int(n)
    }

    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.to_string())
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        let check = |surge: IntOrString, unavailable: IntOrString, desired, expected| {
            assert_eq!(
                resolve_fenceposts(Some(&surge), Some(&unavailable), desired),
                expected
            );
        };
        check(pct("25%"), pct("25%"), 10, (3, 2));
        check(pct("25%"), pct("25%"), 1, (1, 0));
        check(pct("0%"), pct("0%"), 10, (0, 1));
        check(int(0), int(0), 3, (0, 1));
        check(int(2), int(0), 3, (2, 0));
        check(pct("50%"), pct("50%"), 5, (3, 2));
        check(pct("100%"), int(1), 4, (4, 1));
        assert_eq!(resolve_fenceposts(None, None, 4), (1, 1));
    }

    #[test]
    fn hash_is_stable_and_changes_with_template_and_collisions() {
        let template: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "metadata": {"labels": {"app": "web", "tier": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}
        }))
        .unwrap();
        let reordered: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "spec": {"containers": [{"image": "nginx:1", "name": "c"}]},
            "metadata": {"labels": {"tier": "a", "app": "web"}}
        }))
        .unwrap();
        let hash = compute_hash(&template, None);
        assert!(!hash.is_empty() && hash.len() <= 10);
        assert!(hash
            .bytes()
            .all(|b| crate::history::SAFE_ALPHABET.contains(&b)));
        assert_eq!(hash, compute_hash(&reordered, None));
        assert_ne!(hash, compute_hash(&template, Some(1)));
        let mut other = template.clone();
        other.spec.as_mut().unwrap().containers[0].image = Some("nginx:2".to_string());
        assert_ne!(hash, compute_hash(&other, None));
    }

    #[test]
    fn templates_compare_without_the_hash_label() {
        let template: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "metadata": {"labels": {"app": "web"}},
        }))
        .unwrap();
        let mut hashed = template.clone();
        hashed
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap()
            .insert(HASH_LABEL.to_string(), "abc".to_string());
        assert!(equal_ignore_hash(&template, &hashed));
        let bare: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "spec": {"containers": [{"name": "c"}]},
        }))
        .unwrap();
        let empty_resources: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "metadata": {},
            "spec": {"containers": [{"name": "c", "resources": {}}]},
        }))
        .unwrap();
        assert!(equal_ignore_hash(&bare, &empty_resources));
        assert_eq!(
            compute_hash(&bare, None),
            compute_hash(&empty_resources, None)
        );
    }
}

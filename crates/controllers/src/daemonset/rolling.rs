//! The RollingUpdate strategy of DaemonSets, as upstream's `rollingUpdate`
//! (`pkg/controller/daemon/update.go`): without maxSurge, old pods are
//! deleted (the manage pass then creates the new one) while at most
//! maxUnavailable nodes lack an available daemon pod, unavailable old pods
//! going first; with maxSurge, the new pod starts beside the old one on at
//! most maxSurge nodes and the old one goes once the new one is available.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::is_updated;
use crate::replicaset::is_available;

/// Nodes to give a new pod and old pods to delete.
#[derive(Debug, Default)]
pub struct RollingPlan {
    pub create: Vec<String>,
    pub delete: Vec<Arc<Pod>>,
}

/// An absolute number or a percentage of `total`, rounded up.
fn scaled(value: Option<&IntOrString>, default: i32, total: i32) -> i32 {
    match value {
        None => default,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => match s.strip_suffix('%').map(str::parse::<i64>) {
            Some(Ok(percent)) => ((percent * i64::from(total) + 99) / 100) as i32,
            _ => s.parse().unwrap_or(default),
        },
    }
}

/// maxSurge and maxUnavailable for `desired` nodes (upstream's
/// `updatedDesiredNodeCounts`): both rounded up, and never both zero.
pub fn budgets(ds: &DaemonSet, desired: i32) -> (i32, i32) {
    let rolling = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.rolling_update.as_ref());
    let surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), 0, desired).max(0);
    let mut unavailable =
        scaled(rolling.and_then(|r| r.max_unavailable.as_ref()), 1, desired).max(0);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// Whether the strategy surges (upstream's `AllowsSurge`).
pub fn max_surge_configured(ds: &DaemonSet) -> bool {
    super::is_rolling(ds) && budgets(ds, 1).0 > 0
}

/// The updated and the old pod of one node, either possibly absent.
type NewAndOld<'a> = (Option<&'a Arc<Pod>>, Option<&'a Arc<Pod>>);

/// The new and old pod on a node; None when there are several of one kind
/// (the manage pass sorts that out first).
fn split<'a>(pods: &'a [Arc<Pod>], hash: &str, generation: Option<&str>) -> Option<NewAndOld<'a>> {
    let (mut new, mut old) = (None, None);
    for pod in pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
    {
        let slot = if is_updated(pod, hash, generation) {
            &mut new
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(pod);
    }
    Some((new, old))
}

/// One step of a rolling update over the nodes that should run the pod.
pub fn plan(
    ds: &DaemonSet,
    desired: &[String],
    by_node: &HashMap<String, Vec<Arc<Pod>>>,
    hash: &str,
    generation: Option<&str>,
    now: Timestamp,
) -> RollingPlan {
    let (max_surge, max_unavailable) = budgets(ds, desired.len() as i32);
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let available = |p: &Pod| is_available(p, min_ready, now);
    let empty = Vec::new();
    let mut plan = RollingPlan::default();
    if max_surge == 0 {
        let mut unavailable = 0;
        let mut replace_now = Vec::new();
        let mut candidates = Vec::new();
        for node in desired {
            let pods = by_node.get(node).unwrap_or(&empty);
            let Some((new, old)) = split(pods, hash, generation) else {
                unavailable += 1;
                continue;
            };
            match (new, old) {
                // The manage pass creates or deletes there first.
                (None, None) | (Some(_), Some(_)) => unavailable += 1,
                (Some(new), None) => {
                    if !available(new) {
                        unavailable += 1;
                    }
                }
                (None, Some(old)) => {
                    if !available(old) {
                        replace_now.push(old.clone());
                    } else {
                        candidates.push(old.clone());
                    }
                }
            }
        }
        // Unavailable old pods are replaced at once; available ones within
        // the budget, in node order.
        let room = (max_unavailable - unavailable - replace_now.len() as i32).max(0) as usize;
        plan.delete = replace_now;
        plan.delete.extend(candidates.into_iter().take(room));
        return plan;
    }
    let mut surging = 0;
    let mut create_now = Vec::new();
    let mut candidates = Vec::new();
    for node in desired {
        let pods = by_node.get(node).unwrap_or(&empty);
        let Some((new, old)) = split(pods, hash, generation) else {
            continue;
        };
        match (new, old) {
            (_, None) => {}
            (None, Some(old)) => {
                if !available(old) {
                    create_now.push(node.clone());
                } else {
                    candidates.push(node.clone());
                }
            }
            (Some(new), Some(old)) => {
                if available(new) {
                    plan.delete.push(old.clone());
                } else {
                    surging += 1;
                }
            }
        }
    }
    let room = (max_surge - surging).max(0) as usize;
    plan.create = create_now;
    plan.create.extend(candidates.into_iter().take(room));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemonset::tests::daemon_pod;
    use serde_json::json;

    fn ds(rolling: serde_json::Value) -> DaemonSet {
        serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"selector": {}, "template": {},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}
        }))
        .unwrap()
    }

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    fn names(pods: &[Arc<Pod>]) -> Vec<String> {
        pods.iter()
            .map(|p| p.metadata.name.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn budgets_round_up_and_are_never_both_zero() {
        assert_eq!(budgets(&ds(json!({})), 10), (0, 1));
        assert_eq!(budgets(&ds(json!({"maxUnavailable": "25%"})), 10), (0, 3));
        assert_eq!(
            budgets(&ds(json!({"maxUnavailable": 0, "maxSurge": "10%"})), 5),
            (1, 0)
        );
        assert_eq!(
            budgets(&ds(json!({"maxUnavailable": 0, "maxSurge": 0})), 5),
            (0, 1)
        );
        assert!(max_surge_configured(&ds(
            json!({"maxUnavailable": 0, "maxSurge": 1})
        )));
        assert!(!max_surge_configured(&ds(json!({}))));
    }

    #[test]
    fn without_surge_deletes_within_max_unavailable() {
        let now = Timestamp::from_second(1000).unwrap();
        let mut by_node = HashMap::new();
        by_node.insert("n0".to_string(), vec![daemon_pod("a", "n0", "old", true)]);
        by_node.insert("n1".to_string(), vec![daemon_pod("b", "n1", "old", true)]);
        by_node.insert("n2".to_string(), vec![daemon_pod("c", "n2", "old", false)]);
        let plan = plan(
            &ds(json!({"maxUnavailable": 1})),
            &nodes(3),
            &by_node,
            "new",
            None,
            now,
        );
        // The unavailable old pod goes at once and uses the budget.
        assert_eq!(names(&plan.delete), ["c"]);
        by_node.insert("n2".to_string(), vec![daemon_pod("c2", "n2", "new", false)]);
        let plan2 = super::plan(
            &ds(json!({"maxUnavailable": 1})),
            &nodes(3),
            &by_node,
            "new",
            None,
            now,
        );
        assert!(plan2.delete.is_empty(), "a new pod is still unavailable");
        by_node.insert("n2".to_string(), vec![daemon_pod("c2", "n2", "new", true)]);
        let plan3 = super::plan(
            &ds(json!({"maxUnavailable": 2})),
            &nodes(3),
            &by_node,
            "new",
            None,
            now,
        );
        assert_eq!(names(&plan3.delete), ["a", "b"]);
        assert!(plan3.create.is_empty());
    }

    #[test]
    fn with_surge_starts_new_pods_first() {
        let now = Timestamp::from_second(1000).unwrap();
        let strategy = ds(json!({"maxUnavailable": 0, "maxSurge": 1}));
        let mut by_node = HashMap::new();
        by_node.insert("n0".to_string(), vec![daemon_pod("a", "n0", "old", true)]);
        by_node.insert("n1".to_string(), vec![daemon_pod("b", "n1", "old", true)]);
        let first = plan(&strategy, &nodes(2), &by_node, "new", None, now);
        assert_eq!(first.create, ["n0"]);
        assert!(first.delete.is_empty());
        by_node
            .get_mut("n0")
            .unwrap()
            .push(daemon_pod("a2", "n0", "new", false));
        let waiting = plan(&strategy, &nodes(2), &by_node, "new", None, now);
        assert!(waiting.create.is_empty() && waiting.delete.is_empty());
        by_node.insert(
            "n0".to_string(),
            vec![
                daemon_pod("a", "n0", "old", true),
                daemon_pod("a2", "n0", "new", true),
            ],
        );
        let next = plan(&strategy, &nodes(2), &by_node, "new", None, now);
        assert_eq!(names(&next.delete), ["a"]);
        assert_eq!(next.create, ["n1"]);
    }
}

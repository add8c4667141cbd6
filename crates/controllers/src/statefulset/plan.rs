//! What a StatefulSet should do next, as a pure function of its pods, after
//! upstream's `updateStatefulSet` (`stateful_set_control.go`):
//!
//! 1. replicas `[start, start+replicas)` in ascending order: a missing pod is
//!    created (from the current revision below the partition, else from the
//!    update revision), a failed or succeeded one deleted to be recreated;
//!    with OrderedReady the pass stops at the first action or at the first pod
//!    that is not Running, Ready and available;
//! 2. condemned pods (ordinals outside the range) are deleted, highest first,
//!    one at a time with OrderedReady;
//! 3. with RollingUpdate, pods at ordinal >= partition not at the update
//!    revision are deleted (to be recreated), highest first, while fewer than
//!    maxUnavailable of them are unavailable.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use crate::history::HASH_LABEL;
use crate::replicaset::{is_available, is_ready};

/// What the set's spec says, resolved.
#[derive(Clone, Debug)]
pub struct Params {
    pub name: String,
    pub start: i32,
    pub replicas: i32,
    pub parallel: bool,
    pub rolling: bool,
    pub partition: i32,
    pub max_unavailable: i32,
    pub min_ready_seconds: i32,
    pub current_revision: String,
    pub update_revision: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create the pod of this ordinal from this revision (by name).
    Create { ordinal: i32, revision: String },
    /// Delete this pod (name, uid) because it failed, is condemned, or is
    /// outdated.
    Delete { name: String, uid: String },
}

/// The ordinal of a pod named `<set>-<ordinal>`.
pub fn ordinal_of(set: &str, pod: &str) -> Option<i32> {
    let rest = pod.strip_prefix(set)?.strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

pub fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(HASH_LABEL)
        .map(String::as_str)
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

pub fn running_and_ready(pod: &Pod) -> bool {
    phase(pod) == "Running" && is_ready(pod)
}

fn healthy(pod: &Pod, params: &Params, now: Timestamp) -> bool {
    !terminating(pod) && running_and_ready(pod) && is_available(pod, params.min_ready_seconds, now)
}

fn delete(pod: &Pod) -> Action {
    Action::Delete {
        name: pod.metadata.name.clone().unwrap_or_default(),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
    }
}

/// The next actions for the set's pods (those with an ordinal).
pub fn plan(params: &Params, pods: &[Arc<Pod>], now: Timestamp) -> Vec<Action> {
    let end = params.start + params.replicas.max(0);
    let mut replicas: BTreeMap<i32, &Arc<Pod>> = BTreeMap::new();
    let mut condemned: Vec<(i32, &Arc<Pod>)> = Vec::new();
    for pod in pods {
        let Some(ordinal) = pod
            .metadata
            .name
            .as_deref()
            .and_then(|n| ordinal_of(&params.name, n))
        else {
            continue;
        };
        if ordinal >= params.start && ordinal < end {
            replicas.insert(ordinal, pod);
        } else {
            condemned.push((ordinal, pod));
        }
    }
    condemned.sort_by_key(|(ordinal, _)| std::cmp::Reverse(*ordinal));
    let monotonic = !params.parallel;
    let mut actions = Vec::new();

    for ordinal in params.start..end {
        let Some(pod) = replicas.get(&ordinal) else {
            let revision = if params.rolling && ordinal < params.start + params.partition {
                &params.current_revision
            } else {
                &params.update_revision
            };
            actions.push(Action::Create {
                ordinal,
                revision: revision.clone(),
            });
            if monotonic {
                return actions;
            }
            continue;
        };
        if matches!(phase(pod), "Failed" | "Succeeded") && !terminating(pod) {
            actions.push(delete(pod));
            if monotonic {
                return actions;
            }
            continue;
        }
        if monotonic && !healthy(pod, params, now) {
            return actions;
        }
    }

    for (index, (_, pod)) in condemned.iter().enumerate() {
        if terminating(pod) {
            if monotonic {
                return actions;
            }
            continue;
        }
        // With OrderedReady an unhealthy pod blocks the deletion of any
        // other condemned pod but itself (it is the next to go anyway).
        if monotonic
            && condemned
                .iter()
                .skip(index + 1)
                .any(|(_, other)| !healthy(other, params, now))
        {
            return actions;
        }
        actions.push(delete(pod));
        if monotonic {
            return actions;
        }
    }

    if !params.rolling {
        return actions;
    }
    let update_min = params.start + params.partition.max(0);
    let targets: Vec<&Arc<Pod>> = replicas
        .range(update_min..end)
        .rev()
        .map(|(_, pod)| *pod)
        .collect();
    let mut unavailable = targets
        .iter()
        .filter(|pod| !healthy(pod, params, now))
        .count() as i32;
    // Pods already being replaced this pass count as unavailable too.
    unavailable += actions.len() as i32;
    for pod in targets {
        if unavailable >= params.max_unavailable.max(1) {
            break;
        }
        if revision_of(pod) != Some(params.update_revision.as_str()) && !terminating(pod) {
            let was_healthy = healthy(pod, params, now);
            actions.push(delete(pod));
            if was_healthy {
                unavailable += 1;
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use kube::api::ObjectMeta;

    fn pod(name: &str, revision: &str, ready: bool) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                uid: Some(format!("uid-{name}")),
                labels: Some([(HASH_LABEL.to_string(), revision.to_string())].into()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some(if ready { "Running" } else { "Pending" }.to_string()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".to_string(),
                    status: if ready { "True" } else { "False" }.to_string(),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
        })
    }

    fn params(replicas: i32) -> Params {
        Params {
            name: "web".to_string(),
            start: 0,
            replicas,
            parallel: false,
            rolling: true,
            partition: 0,
            max_unavailable: 1,
            min_ready_seconds: 0,
            current_revision: "web-a".to_string(),
            update_revision: "web-a".to_string(),
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1000).unwrap()
    }

    fn deleted(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Delete { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ordinals_parse_only_for_the_set() {
        assert_eq!(ordinal_of("web", "web-0"), Some(0));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-x"), None);
        assert_eq!(ordinal_of("web", "webby-1"), None);
        assert_eq!(ordinal_of("web", "web-"), None);
    }

    #[test]
    fn ordered_ready_creates_one_at_a_time_in_order() {
        let p = params(3);
        let create = |ordinal| Action::Create {
            ordinal,
            revision: "web-a".to_string(),
        };
        assert_eq!(plan(&p, &[], now()), [create(0)]);
        // web-0 exists but is not ready: wait.
        assert!(plan(&p, &[pod("web-0", "web-a", false)], now()).is_empty());
        assert_eq!(plan(&p, &[pod("web-0", "web-a", true)], now()), [create(1)]);
        // A hole is filled first.
        let pods = [pod("web-0", "web-a", true), pod("web-2", "web-a", true)];
        assert_eq!(plan(&p, &pods, now()), [create(1)]);
        let mut start = params(2);
        start.start = 5;
        assert_eq!(plan(&start, &[], now()), [create(5)]);
    }

    #[test]
    fn parallel_creates_and_deletes_all_at_once() {
        let mut p = params(3);
        p.parallel = true;
        assert_eq!(plan(&p, &[], now()).len(), 3);
        p.replicas = 1;
        let pods = [
            pod("web-0", "web-a", true),
            pod("web-1", "web-a", false),
            pod("web-2", "web-a", true),
        ];
        assert_eq!(deleted(&plan(&p, &pods, now())), ["web-2", "web-1"]);
    }

    #[test]
    fn scale_down_goes_in_reverse_order_one_at_a_time() {
        let p = params(1);
        let pods = [
            pod("web-0", "web-a", true),
            pod("web-1", "web-a", true),
            pod("web-2", "web-a", true),
        ];
        assert_eq!(deleted(&plan(&p, &pods, now())), ["web-2"]);
        // An unhealthy lower condemned pod blocks the higher one.
        let pods = [
            pod("web-0", "web-a", true),
            pod("web-1", "web-a", false),
            pod("web-2", "web-a", true),
        ];
        assert!(plan(&p, &pods, now()).is_empty());
    }

    #[test]
    fn rolling_update_respects_the_partition_highest_first() {
        let mut p = params(4);
        p.update_revision = "web-b".to_string();
        p.partition = 2;
        let mut pods: Vec<Arc<Pod>> = (0..4)
            .map(|i| pod(&format!("web-{i}"), "web-a", true))
            .collect();
        assert_eq!(deleted(&plan(&p, &pods, now())), ["web-3"]);
        pods[3] = pod("web-3", "web-b", false);
        assert!(plan(&p, &pods, now()).is_empty(), "waits for web-3");
        pods[3] = pod("web-3", "web-b", true);
        assert_eq!(deleted(&plan(&p, &pods, now())), ["web-2"]);
        pods[2] = pod("web-2", "web-b", true);
        assert!(plan(&p, &pods, now()).is_empty(), "web-0 and web-1 stay");
        // A missing pod below the partition comes back at the current revision.
        pods.remove(0);
        assert_eq!(
            plan(&p, &pods, now()),
            [Action::Create {
                ordinal: 0,
                revision: "web-a".to_string()
            }]
        );
        // maxUnavailable 2 replaces two at once (Parallel keeps going).
        let mut q = params(4);
        q.update_revision = "web-b".to_string();
        q.max_unavailable = 2;
        let pods: Vec<Arc<Pod>> = (0..4)
            .map(|i| pod(&format!("web-{i}"), "web-a", true))
            .collect();
        assert_eq!(deleted(&plan(&q, &pods, now())), ["web-3", "web-2"]);
        q.rolling = false;
        assert!(plan(&q, &pods, now()).is_empty(), "OnDelete waits");
    }
}

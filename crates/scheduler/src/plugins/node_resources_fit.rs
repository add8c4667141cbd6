//! NodeResourcesFit: a pod fits a node when the node's allocatable covers
//! what the pods there request plus what this one does, and it has room for
//! one more pod; its score (the default LeastAllocated strategy, cpu and
//! memory weighted 1 each) prefers the emptiest nodes. Upstream
//! `plugins/noderesources/fit.go` and `least_allocated.go`.

use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, ScorePlugin, Status, MAX_NODE_SCORE};
use crate::resources::Resources;

pub struct NodeResourcesFit;

/// The reasons a node is short, in upstream's order and wording.
pub fn insufficient_resources(requests: &Resources, node: &NodeInfo) -> Vec<String> {
    let mut reasons = Vec::new();
    if node.pods.len() as i64 + 1 > node.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    if requests.is_zero() {
        return reasons;
    }
    let free = |allocatable: i64, requested: i64| allocatable - requested;
    if requests.milli_cpu > 0
        && requests.milli_cpu > free(node.allocatable.milli_cpu, node.requested.milli_cpu)
    {
        reasons.push("Insufficient cpu".to_string());
    }
    if requests.memory > 0 && requests.memory > free(node.allocatable.memory, node.requested.memory)
    {
        reasons.push("Insufficient memory".to_string());
    }
    if requests.ephemeral_storage > 0
        && requests.ephemeral_storage
            > free(
                node.allocatable.ephemeral_storage,
                node.requested.ephemeral_storage,
            )
    {
        reasons.push("Insufficient ephemeral-storage".to_string());
    }
    for (name, wanted) in &requests.scalar {
        if *wanted == 0 {
            continue;
        }
        let allocatable = node.allocatable.scalar.get(name).copied().unwrap_or(0);
        let requested = node.requested.scalar.get(name).copied().unwrap_or(0);
        if *wanted > free(allocatable, requested) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    reasons
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        let reasons = insufficient_resources(&state.requests, node);
        if reasons.is_empty() {
            Status::success()
        } else {
            Status {
                code: crate::framework::Code::Unschedulable,
                reasons,
            }
        }
    }
}

fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        let pairs = [
            (
                node.non_zero_requested.milli_cpu + state.non_zero_requests.milli_cpu,
                node.allocatable.milli_cpu,
            ),
            (
                node.non_zero_requested.memory + state.non_zero_requests.memory,
                node.allocatable.memory,
            ),
        ];
        let (mut total, mut weights) = (0, 0);
        for (requested, allocatable) in pairs {
            if allocatable == 0 {
                continue;
            }
            total += least_requested(requested, allocatable);
            weights += 1;
        }
        if weights == 0 {
            0
        } else {
            total / weights
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PlacedPod;
    use crate::test_util::{node, node_info, pod};
    use std::sync::Arc;

    #[test]
    fn filter_reports_every_shortage() {
        let mut info = node_info(node("n", "2", "1Gi"));
        info.add_pod(
            "default/x".into(),
            PlacedPod::new(Arc::new(pod("x", "1500m", "512Mi"))),
        );
        let check = |info: &NodeInfo, cpu: &str, memory: &str, expected: &[&str]| {
            let p = pod("p", cpu, memory);
            let status = NodeResourcesFit.filter(&PodState::new(&p), info);
            assert_eq!(status.reasons, expected, "{cpu} {memory}");
        };
        check(&info, "500m", "512Mi", &[]);
        check(&info, "501m", "512Mi", &["Insufficient cpu"]);
        check(
            &info,
            "1",
            "1Gi",
            &["Insufficient cpu", "Insufficient memory"],
        );
        check(&info, "0", "0", &[]);
        info.allowed_pods = 1;
        check(&info, "0", "0", &["Too many pods"]);
    }

    #[test]
    fn least_allocated_prefers_emptier_nodes() {
        let empty = node_info(node("a", "4", "8Gi"));
        let mut busy = node_info(node("b", "4", "8Gi"));
        busy.add_pod(
            "default/x".into(),
            PlacedPod::new(Arc::new(pod("x", "2", "4Gi"))),
        );
        let p = pod("p", "1", "2Gi");
        let state = PodState::new(&p);
        // cpu (4-1)/4 = 75, memory (8-2)/8 = 75.
        assert_eq!(NodeResourcesFit.score(&state, &empty), 75);
        // cpu (4-3)/4 = 25, memory (8-6)/8 = 25.
        assert_eq!(NodeResourcesFit.score(&state, &busy), 25);
    }
}

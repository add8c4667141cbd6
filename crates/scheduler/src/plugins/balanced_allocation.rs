//! NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would
//! be used in equal fractions once the pod is there. Upstream
//! `plugins/noderesources/balanced_allocation.go`; like upstream it skips
//! pods that request nothing.

use crate::cache::NodeInfo;
use crate::framework::{PodState, ScorePlugin, MAX_NODE_SCORE};

pub struct BalancedAllocation;

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        if state.requests.milli_cpu == 0 && state.requests.memory == 0 {
            return 0;
        }
        let pairs = [
            (
                node.requested.milli_cpu + state.requests.milli_cpu,
                node.allocatable.milli_cpu,
            ),
            (
                node.requested.memory + state.requests.memory,
                node.allocatable.memory,
            ),
        ];
        let fractions: Vec<f64> = pairs
            .iter()
            .filter(|(_, allocatable)| *allocatable != 0)
            .map(|(requested, allocatable)| (*requested as f64 / *allocatable as f64).min(1.0))
            .collect();
        let deviation = match fractions.as_slice() {
            [a, b] => ((a - b) / 2.0).abs(),
            _ => 0.0,
        };
        ((1.0 - deviation) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};

    #[test]
    fn balanced_nodes_score_higher() {
        let node = node_info(node("a", "4", "4Gi"));
        let check = |cpu: &str, memory: &str, expected: i64| {
            let p = pod("p", cpu, memory);
            assert_eq!(
                BalancedAllocation.score(&PodState::new(&p), &node),
                expected,
                "{cpu} {memory}"
            );
        };
        check("2", "2Gi", 100);
        // cpu 1.0, memory 0.0: deviation 0.5.
        check("4", "0", 50);
        check("0", "0", 0);
    }
}

//! The scheduling framework, as upstream's `pkg/scheduler/framework`: for one
//! pod, PreFilter plugins compute what the pod asks, Filter plugins drop the
//! nodes it cannot run on, Score plugins rank the rest (each normalized to
//! 0..=100 and weighted), and the best node wins, ties broken at random.
//! When no node fits, the reasons are counted into upstream's message
//! (`0/3 nodes are available: 3 Insufficient cpu.`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use crate::cache::NodeInfo;
use crate::resources::{host_ports, pod_requests, HostPort, Resources};

/// The highest score a plugin gives a node (upstream `MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// How a filter judged a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    /// Might fit if other pods went away (preemption could help).
    Unschedulable,
    /// Will not fit whatever is removed.
    UnschedulableAndUnresolvable,
}

/// A filter's verdict with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Status {
    pub fn success() -> Status {
        Status {
            code: Code::Success,
            reasons: Vec::new(),
        }
    }

    pub fn unschedulable(reason: impl Into<String>) -> Status {
        Status {
            code: Code::Unschedulable,
            reasons: vec![reason.into()],
        }
    }

    pub fn unresolvable(reason: impl Into<String>) -> Status {
        Status {
            code: Code::UnschedulableAndUnresolvable,
            reasons: vec![reason.into()],
        }
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
}

/// What PreFilter computes once per pod for the filters and scorers.
#[derive(Clone, Debug)]
pub struct PodState<'a> {
    pub pod: &'a Pod,
    /// Requests as the fit filter counts them.
    pub requests: Resources,
    /// Requests with the scoring defaults for unset cpu/memory.
    pub non_zero_requests: Resources,
    pub ports: Vec<HostPort>,
    /// Every node of the cycle's snapshot, for plugins that count across the
    /// cluster (PodTopologySpread).
    pub nodes: Vec<&'a NodeInfo>,
    /// The cluster as a whole, when known: lets plugins skip what nothing in
    /// it calls for (unknown: they look at every node).
    pub cluster: Option<crate::cache::Summary>,
    /// PodTopologySpread's counts, computed on first use.
    pub spread: std::sync::OnceLock<crate::plugins::pod_topology_spread::Counts>,
    /// InterPodAffinity's counts, computed on first use.
    pub pod_affinity: std::sync::OnceLock<crate::plugins::inter_pod_affinity::Counts>,
}

impl<'a> PodState<'a> {
    pub fn new(pod: &'a Pod) -> PodState<'a> {
        PodState {
            pod,
            requests: pod_requests(pod, false),
            non_zero_requests: pod_requests(pod, true),
            ports: host_ports(pod),
            nodes: Vec::new(),
            cluster: None,
            spread: std::sync::OnceLock::new(),
            pod_affinity: std::sync::OnceLock::new(),
        }
    }

    /// The state with the cycle's nodes.
    #[must_use]
    pub fn with_nodes(mut self, nodes: Vec<&'a NodeInfo>) -> PodState<'a> {
        self.nodes = nodes;
        self
    }

    /// The state with what the cache knows of the cluster as a whole.
    #[must_use]
    pub fn with_summary(mut self, summary: crate::cache::Summary) -> PodState<'a> {
        self.cluster = Some(summary);
        self
    }
}

/// A plugin at the Filter extension point (and, optionally, PreFilter).
pub trait FilterPlugin: Send + Sync {
    fn name(&self) -> &'static str;
    /// Rejects the pod for every node before any is looked at; the message
    /// becomes the first part of the failure message.
    fn pre_filter(&self, _state: &PodState<'_>) -> Result<(), String> {
        Ok(())
    }
    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status;
}

/// A plugin at the Score extension point (with its NormalizeScore).
pub trait ScorePlugin: Send + Sync {
    fn name(&self) -> &'static str;
    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64;
    /// Scores `feasible` in order; plugins that look across the cluster
    /// (ImageLocality) override this and read `all` nodes.
    fn score_nodes(
        &self,
        state: &PodState<'_>,
        feasible: &[&NodeInfo],
        _all: &[&NodeInfo],
    ) -> Vec<i64> {
        feasible.iter().map(|n| self.score(state, n)).collect()
    }
    /// Brings the raw scores into 0..=`MAX_NODE_SCORE`; by default they
    /// already are.
    fn normalize(&self, _scores: &mut [i64]) {}
}

/// Upstream's `helper.DefaultNormalizeScore`: scales scores so the highest
/// becomes `MAX_NODE_SCORE`, reversed if `reverse` (fewest is best).
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for score in scores.iter_mut() {
        let scaled = MAX_NODE_SCORE * *score / max;
        *score = if reverse {
            MAX_NODE_SCORE - scaled
        } else {
            scaled
        };
    }
}

/// A profile: the plugins one scheduler name runs.
pub struct Framework {
    pub filters: Vec<Box<dyn FilterPlugin>>,
    pub scorers: Vec<(Box<dyn ScorePlugin>, i64)>,
}

/// Why a pod fits no node: upstream's `FitError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitError {
    pub num_all_nodes: usize,
    pub pre_filter_message: Option<String>,
    /// Each rejected node's status, by node name.
    pub node_statuses: BTreeMap<String, Status>,
    pub post_filter_message: Option<String>,
}

/// Formats `0/N nodes are available: <reasons>.` as upstream's `FitError.Error`.
pub fn nodes_available_message(
    num_all_nodes: usize,
    statuses: &BTreeMap<String, Status>,
) -> String {
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for status in statuses.values() {
        for reason in &status.reasons {
            *histogram.entry(reason).or_default() += 1;
        }
    }
    let mut reasons: Vec<String> = histogram
        .into_iter()
        .map(|(reason, count)| format!("{count} {reason}"))
        .collect();
    reasons.sort();
    let mut message = format!("0/{num_all_nodes} nodes are available:");
    if !reasons.is_empty() {
        message.push_str(&format!(" {}.", reasons.join(", ")));
    }
    message
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.pre_filter_message {
            Some(pre) => write!(f, "0/{} nodes are available: {pre}.", self.num_all_nodes)?,
            None => write!(
                f,
                "{}",
                nodes_available_message(self.num_all_nodes, &self.node_statuses)
            )?,
        }
        if let Some(post) = &self.post_filter_message {
            write!(f, " {post}")?;
        }
        Ok(())
    }
}

/// How many feasible nodes are enough to score, as upstream's adaptive
/// `percentageOfNodesToScore`: every node up to 100, then a share falling from
/// 50 % by 1 % per 125 nodes, at least 5 % and at least 100 nodes.
pub fn feasible_nodes_to_find(all: usize) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
    if all < MIN_FEASIBLE_NODES_TO_FIND {
        return all;
    }
    let percentage = 50usize.saturating_sub(all / 125).max(5);
    (all * percentage / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// The message when the cluster has no node at all (upstream `ErrNoNodesAvailable`).
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

impl Framework {
    /// Runs the filters over `nodes`, from `start` round the list, until enough
    /// fit (see [`feasible_nodes_to_find`]); the nodes that fit, or why none does.
    pub fn find_feasible<'n>(
        &self,
        state: &PodState<'_>,
        nodes: &[&'n NodeInfo],
        start: usize,
    ) -> Result<Vec<&'n NodeInfo>, FitError> {
        for plugin in &self.filters {
            if let Err(message) = plugin.pre_filter(state) {
                return Err(FitError {
                    num_all_nodes: nodes.len(),
                    pre_filter_message: Some(message),
                    node_statuses: BTreeMap::new(),
                    post_filter_message: None,
                });
            }
        }
        let mut feasible = Vec::new();
        let mut node_statuses = BTreeMap::new();
        let wanted = feasible_nodes_to_find(nodes.len());
        let start = start % nodes.len().max(1);
        for node in nodes[start..].iter().chain(&nodes[..start]) {
            match self.filter_node(state, node) {
                None => feasible.push(*node),
                Some(status) => {
                    node_statuses.insert(node.name().to_string(), status);
                }
            }
            if feasible.len() >= wanted {
                break;
            }
        }
        if feasible.is_empty() {
            return Err(FitError {
                num_all_nodes: nodes.len(),
                pre_filter_message: None,
                node_statuses,
                post_filter_message: None,
            });
        }
        Ok(feasible)
    }

    /// The first failing filter's status, or `None` when the node fits.
    pub fn filter_node(&self, state: &PodState<'_>, node: &NodeInfo) -> Option<Status> {
        self.filters
            .iter()
            .map(|plugin| plugin.filter(state, node))
            .find(|status| !status.is_success())
    }

    /// Weighted, normalized totals for `nodes`, in their order.
    pub fn score(&self, state: &PodState<'_>, nodes: &[&NodeInfo], all: &[&NodeInfo]) -> Vec<i64> {
        let mut totals = vec![0; nodes.len()];
        for (plugin, weight) in &self.scorers {
            let mut scores = plugin.score_nodes(state, nodes, all);
            plugin.normalize(&mut scores);
            for (total, score) in totals.iter_mut().zip(scores) {
                *total += score * weight;
            }
        }
        totals
    }

    /// Picks the node with the highest total; `random` chooses among ties
    /// (given the number of tied nodes, returns an index below it).
    pub fn select_host<'n>(
        &self,
        state: &PodState<'_>,
        feasible: &[&'n NodeInfo],
        all: &[&NodeInfo],
        random: impl FnOnce(usize) -> usize,
    ) -> Option<&'n NodeInfo> {
        if feasible.len() == 1 {
            return feasible.first().copied();
        }
        let scores = self.score(state, feasible, all);
        let best = scores.iter().copied().max()?;
        let tied: Vec<&NodeInfo> = feasible
            .iter()
            .zip(&scores)
            .filter(|(_, score)| **score == best)
            .map(|(node, _)| *node)
            .collect();
        let index = random(tied.len()).min(tied.len() - 1);
        tied.get(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_counts_reasons_sorted() {
        let mut statuses = BTreeMap::new();
        statuses.insert("a".into(), Status::unschedulable("Insufficient cpu"));
        statuses.insert("b".into(), Status::unschedulable("Insufficient cpu"));
        statuses.insert(
            "c".into(),
            Status::unresolvable("node(s) had untolerated taint {k: v}"),
        );
        let error = FitError {
            num_all_nodes: 3,
            pre_filter_message: None,
            node_statuses: statuses,
            post_filter_message: Some(
                "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
                    .into(),
            ),
        };
        assert_eq!(
            error.to_string(),
            "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. \
             preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn nodes_to_find() {
        assert_eq!(feasible_nodes_to_find(50), 50);
        assert_eq!(feasible_nodes_to_find(150), 100);
        assert_eq!(feasible_nodes_to_find(1000), 420);
        assert_eq!(feasible_nodes_to_find(5000), 500);
    }

    #[test]
    fn normalize() {
        let mut scores = vec![0, 5, 10];
        default_normalize(&mut scores, false);
        assert_eq!(scores, vec![0, 50, 100]);
        let mut scores = vec![0, 5, 10];
        default_normalize(&mut scores, true);
        assert_eq!(scores, vec![100, 50, 0]);
        let mut scores = vec![0, 0];
        default_normalize(&mut scores, true);
        assert_eq!(scores, vec![100, 100]);
    }
}

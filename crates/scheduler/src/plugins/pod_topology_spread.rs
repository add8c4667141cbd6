//! PodTopologySpread: `topologySpreadConstraints` keep the pods a selector
//! matches evenly spread over topology domains (nodes sharing a label value).
//! DoNotSchedule constraints filter nodes whose domain would exceed `maxSkew`
//! over the emptiest domain; ScheduleAnyway constraints score nodes with
//! fewer matching pods higher. Upstream `plugins/podtopologyspread` (without
//! the cluster-level default constraints, which need Services and workloads).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::node_affinity::required_matches;
use super::taint_toleration::TaintToleration;
use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, ScorePlugin, Status, MAX_NODE_SCORE};

pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

pub struct PodTopologySpread;

/// One constraint with its matching pods per domain.
#[derive(Clone, Debug)]
pub struct ConstraintCounts {
    pub topology_key: String,
    pub max_skew: i64,
    /// DoNotSchedule (filter) rather than ScheduleAnyway (score).
    pub hard: bool,
    pub min_domains: Option<i64>,
    /// 1 when the incoming pod matches its own selector.
    pub self_match: i64,
    /// Domain value → matching pods, over the nodes the constraint considers.
    pub per_domain: BTreeMap<String, i64>,
}

/// The counts of every constraint of the pod, in its order.
#[derive(Clone, Debug, Default)]
pub struct Counts(pub Vec<ConstraintCounts>);

/// Whether `labels` satisfy `selector` (`matchLabels` and `matchExpressions`).
pub fn selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let get = |key: &str| labels.and_then(|l| l.get(key));
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| get(k) == Some(v));
    let expressions_ok = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => !get(&e.key).is_some_and(|v| values.contains(v)),
            "Exists" => get(&e.key).is_some(),
            "DoesNotExist" => get(&e.key).is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

fn constraints(pod: &Pod) -> &[TopologySpreadConstraint] {
    pod.spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_deref())
        .unwrap_or_default()
}

/// The constraint's selector with `matchLabelKeys` folded in; none matches
/// nothing, as upstream.
fn selector(constraint: &TopologySpreadConstraint, pod: &Pod) -> Option<LabelSelector> {
    let mut selector = constraint.label_selector.clone()?;
    for key in constraint.match_label_keys.iter().flatten() {
        if let Some(value) = pod.metadata.labels.as_ref().and_then(|l| l.get(key)) {
            selector
                .match_expressions
                .get_or_insert_with(Vec::new)
                .push(LabelSelectorRequirement {
                    key: key.clone(),
                    operator: "In".to_string(),
                    values: Some(vec![value.clone()]),
                });
        }
    }
    Some(selector)
}

fn label<'n>(node: &'n NodeInfo, key: &str) -> Option<&'n String> {
    node.node.metadata.labels.as_ref().and_then(|l| l.get(key))
}

/// Counts matching pods per domain for every constraint (upstream PreFilter
/// and PreScore state).
pub fn count(state: &PodState<'_>) -> Counts {
    let pod = state.pod;
    let namespace = pod.metadata.namespace.as_deref();
    let mut result = Vec::new();
    for constraint in constraints(pod) {
        let selector = selector(constraint, pod);
        let honor_affinity = constraint.node_affinity_policy.as_deref() != Some("Ignore");
        let honor_taints = constraint.node_taints_policy.as_deref() == Some("Honor");
        let mut per_domain = BTreeMap::new();
        for node in &state.nodes {
            let Some(value) = label(node, &constraint.topology_key) else {
                continue;
            };
            if honor_affinity && !required_matches(state, &node.node) {
                continue;
            }
            if honor_taints && !TaintToleration.filter(state, node).is_success() {
                continue;
            }
            let matching = node
                .pods
                .values()
                .filter(|placed| {
                    let other = &placed.pod;
                    other.metadata.namespace.as_deref() == namespace
                        && other.metadata.deletion_timestamp.is_none()
                        && selector
                            .as_ref()
                            .is_some_and(|s| selector_matches(s, other.metadata.labels.as_ref()))
                })
                .count() as i64;
            *per_domain.entry(value.clone()).or_insert(0) += matching;
        }
        let self_match = selector
            .as_ref()
            .is_some_and(|s| selector_matches(s, pod.metadata.labels.as_ref()));
        result.push(ConstraintCounts {
            topology_key: constraint.topology_key.clone(),
            max_skew: i64::from(constraint.max_skew),
            hard: constraint.when_unsatisfiable != "ScheduleAnyway",
            min_domains: constraint.min_domains.map(i64::from),
            self_match: i64::from(self_match),
            per_domain,
        });
    }
    Counts(result)
}

fn counts<'s>(state: &'s PodState<'_>) -> &'s Counts {
    state.spread.get_or_init(|| count(state))
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        if constraints(state.pod).is_empty() {
            return Status::success();
        }
        for constraint in counts(state).0.iter().filter(|c| c.hard) {
            let Some(value) = label(node, &constraint.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let mut min = constraint.per_domain.values().copied().min().unwrap_or(0);
            if constraint
                .min_domains
                .is_some_and(|m| (constraint.per_domain.len() as i64) < m)
            {
                min = 0;
            }
            let here = constraint.per_domain.get(value).copied().unwrap_or(0);
            if here + constraint.self_match - min > constraint.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        self.score_nodes(state, &[node], &[node])[0]
    }

    /// Raw scores (matching pods in the node's domain, weighted by the log of
    /// the number of domains, plus `maxSkew - 1`), normalized so the fewest
    /// matching pods score 100; nodes missing a key score 0.
    fn score_nodes(
        &self,
        state: &PodState<'_>,
        feasible: &[&NodeInfo],
        _all: &[&NodeInfo],
    ) -> Vec<i64> {
        let soft: Vec<&ConstraintCounts> = if constraints(state.pod).is_empty() {
            Vec::new()
        } else {
            counts(state).0.iter().filter(|c| !c.hard).collect()
        };
        if soft.is_empty() {
            return vec![0; feasible.len()];
        }
        let raw: Vec<Option<i64>> = feasible
            .iter()
            .map(|node| {
                let mut score = 0.0;
                for constraint in &soft {
                    let value = label(node, &constraint.topology_key)?;
                    let domains = feasible
                        .iter()
                        .filter_map(|n| label(n, &constraint.topology_key))
                        .collect::<std::collections::BTreeSet<_>>()
                        .len();
                    let weight = ((domains + 2) as f64).ln();
                    let here = constraint.per_domain.get(value).copied().unwrap_or(0);
                    score += here as f64 * weight + (constraint.max_skew - 1) as f64;
                }
                Some(score.round() as i64)
            })
            .collect();
        let present = raw.iter().flatten().copied();
        let (min, max) = (
            present.clone().min().unwrap_or(0),
            present.max().unwrap_or(0),
        );
        raw.into_iter()
            .map(|score| match score {
                None => 0,
                Some(_) if max == 0 => MAX_NODE_SCORE,
                Some(s) => MAX_NODE_SCORE * (max + min - s) / max,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PlacedPod;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;
    use std::sync::Arc;

    fn zone_node(name: &str, zone: &str, app_pods: usize) -> NodeInfo {
        let mut n = node(name, "8", "8Gi");
        n.metadata.labels = serde_json::from_value(json!({"zone": zone})).unwrap();
        let mut info = node_info(n);
        for i in 0..app_pods {
            let mut p = pod(&format!("{name}-{i}"), "0", "0");
            p.metadata.labels = serde_json::from_value(json!({"app": "web"})).unwrap();
            info.add_pod(format!("default/{name}-{i}"), PlacedPod::new(Arc::new(p)));
        }
        info
    }

    fn spread_pod(when: &str) -> Pod {
        let mut p = pod("new", "0", "0");
        p.metadata.labels = serde_json::from_value(json!({"app": "web"})).unwrap();
        p.spec.as_mut().unwrap().topology_spread_constraints = serde_json::from_value(json!([{
            "maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "web"}}
        }]))
        .unwrap();
        p
    }

    #[test]
    fn do_not_schedule_keeps_the_skew() {
        let nodes = [zone_node("a", "z1", 2), zone_node("b", "z2", 1), {
            let mut info = node_info(node("c", "8", "8Gi"));
            info.node = Arc::new(node("c", "8", "8Gi"));
            info
        }];
        let p = spread_pod("DoNotSchedule");
        let state = PodState::new(&p).with_nodes(nodes.iter().collect());
        // z1: 2 + 1 - 1 = 2 > 1; z2: 1 + 1 - 1 = 1.
        assert_eq!(
            PodTopologySpread.filter(&state, &nodes[0]),
            Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        );
        assert!(PodTopologySpread.filter(&state, &nodes[1]).is_success());
        assert_eq!(
            PodTopologySpread.filter(&state, &nodes[2]),
            Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
        );
    }

    #[test]
    fn schedule_anyway_prefers_emptier_domains() {
        let nodes = [zone_node("a", "z1", 3), zone_node("b", "z2", 0)];
        let p = spread_pod("ScheduleAnyway");
        let refs: Vec<&NodeInfo> = nodes.iter().collect();
        let state = PodState::new(&p).with_nodes(refs.clone());
        assert!(PodTopologySpread.filter(&state, &nodes[0]).is_success());
        let scores = PodTopologySpread.score_nodes(&state, &refs, &refs);
        assert!(scores[1] > scores[0], "{scores:?}");
        assert_eq!(scores[1], MAX_NODE_SCORE);
    }

    #[test]
    fn selectors() {
        let selector: LabelSelector = serde_json::from_value(json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]
        }))
        .unwrap();
        let labels = |v: serde_json::Value| -> BTreeMap<String, String> {
            serde_json::from_value(v).unwrap()
        };
        assert!(selector_matches(
            &selector,
            Some(&labels(json!({"app": "web"})))
        ));
        assert!(!selector_matches(
            &selector,
            Some(&labels(json!({"app": "web", "tier": "db"})))
        ));
        assert!(!selector_matches(&selector, None));
    }
}

//! NodeAffinity: `spec.nodeSelector` and required node affinity filter nodes;
//! preferred node affinity scores them by the weights of the terms they match.
//! Upstream `plugins/nodeaffinity` and `component-helpers/scheduling/corev1/nodeaffinity`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm};

use crate::cache::NodeInfo;
use crate::framework::{default_normalize, FilterPlugin, PodState, ScorePlugin, Status};

pub const ERR_REASON: &str = "node(s) didn't match Pod's node affinity/selector";

pub struct NodeAffinity;

fn requirement_matches(
    requirement: &NodeSelectorRequirement,
    value_of: impl Fn(&str) -> Option<String>,
) -> bool {
    let actual = value_of(&requirement.key);
    let values = requirement.values.as_deref().unwrap_or_default();
    let as_number = |text: &str| text.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => actual.is_some_and(|v| values.contains(&v)),
        "NotIn" => !actual.is_some_and(|v| values.contains(&v)),
        "Exists" => actual.is_some(),
        "DoesNotExist" => actual.is_none(),
        "Gt" | "Lt" => {
            let (Some(actual), [bound]) = (actual.as_deref().and_then(as_number), values) else {
                return false;
            };
            let Some(bound) = as_number(bound) else {
                return false;
            };
            if requirement.operator == "Gt" {
                actual > bound
            } else {
                actual < bound
            }
        }
        _ => false,
    }
}

/// Whether `node` matches `term`: all its label expressions and field
/// expressions (only `metadata.name` exists); an empty term matches nothing.
pub fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node.metadata.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).cloned();
    let field = |key: &str| {
        (key == "metadata.name")
            .then(|| node.metadata.name.clone())
            .flatten()
    };
    expressions.iter().all(|r| requirement_matches(r, label))
        && fields.iter().all(|r| requirement_matches(r, field))
}

fn selector_matches(selector: &BTreeMap<String, String>, node: &Node) -> bool {
    let labels = node.metadata.labels.as_ref();
    selector
        .iter()
        .all(|(key, value)| labels.and_then(|l| l.get(key)) == Some(value))
}

/// Whether `node` satisfies the pod's nodeSelector and required node affinity.
pub fn required_matches(state: &PodState<'_>, node: &Node) -> bool {
    let Some(spec) = state.pod.spec.as_ref() else {
        return true;
    };
    if let Some(selector) = spec.node_selector.as_ref() {
        if !selector_matches(selector, node) {
            return false;
        }
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    match required {
        Some(selector) => selector
            .node_selector_terms
            .iter()
            .any(|term| term_matches(term, node)),
        None => true,
    }
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        if required_matches(state, &node.node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        state
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .into_iter()
            .flatten()
            .filter(|term| term.weight != 0 && term_matches(&term.preference, &node.node))
            .map(|term| i64::from(term.weight))
            .sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;

    fn labelled(name: &str, labels: serde_json::Value) -> NodeInfo {
        let mut n = node(name, "1", "1Gi");
        n.metadata.labels = serde_json::from_value(labels).unwrap();
        node_info(n)
    }

    fn with_affinity(affinity: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
        let mut p = pod("p", "0", "0");
        p.spec.as_mut().unwrap().affinity = serde_json::from_value(affinity).unwrap();
        p
    }

    #[test]
    fn node_selector() {
        let node = labelled("n", json!({"disk": "ssd", "zone": "a"}));
        let mut p = pod("p", "0", "0");
        p.spec.as_mut().unwrap().node_selector =
            serde_json::from_value(json!({"disk": "ssd"})).unwrap();
        assert!(NodeAffinity.filter(&PodState::new(&p), &node).is_success());
        p.spec.as_mut().unwrap().node_selector =
            serde_json::from_value(json!({"disk": "hdd"})).unwrap();
        assert_eq!(
            NodeAffinity.filter(&PodState::new(&p), &node),
            Status::unresolvable(ERR_REASON)
        );
    }

    #[test]
    fn required_affinity_operators() {
        let node = labelled("n1", json!({"zone": "a", "cores": "8"}));
        let check = |expressions: serde_json::Value, fits: bool| {
            let p = with_affinity(json!({"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": expressions.clone()}]
                }
            }}));
            assert_eq!(
                NodeAffinity.filter(&PodState::new(&p), &node).is_success(),
                fits,
                "{expressions}"
            );
        };
        check(
            json!([{"key": "zone", "operator": "In", "values": ["a", "b"]}]),
            true,
        );
        check(
            json!([{"key": "zone", "operator": "In", "values": ["b"]}]),
            false,
        );
        check(
            json!([{"key": "zone", "operator": "NotIn", "values": ["b"]}]),
            true,
        );
        check(
            json!([{"key": "gpu", "operator": "NotIn", "values": ["x"]}]),
            true,
        );
        check(json!([{"key": "zone", "operator": "Exists"}]), true);
        check(json!([{"key": "zone", "operator": "DoesNotExist"}]), false);
        check(
            json!([{"key": "cores", "operator": "Gt", "values": ["4"]}]),
            true,
        );
        check(
            json!([{"key": "cores", "operator": "Lt", "values": ["4"]}]),
            false,
        );
        check(
            json!([{"key": "zone", "operator": "Gt", "values": ["4"]}]),
            false,
        );
        check(json!([]), false);
        // Terms are ORed; fields match the node name.
        let p = with_affinity(json!({"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z"]}]},
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
            ]}
        }}));
        assert!(NodeAffinity.filter(&PodState::new(&p), &node).is_success());
    }

    #[test]
    fn preferred_affinity_scores_weights() {
        let p = with_affinity(json!({"nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
                {"weight": 30, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}
            ]
        }}));
        let state = PodState::new(&p);
        let nodes = [
            labelled("a", json!({"zone": "a"})),
            labelled("b", json!({"zone": "a", "disk": "ssd"})),
            labelled("c", json!({})),
        ];
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| NodeAffinity.score(&state, n))
            .collect();
        assert_eq!(scores, vec![10, 40, 0]);
        NodeAffinity.normalize(&mut scores);
        assert_eq!(scores, vec![25, 100, 0]);
    }
}

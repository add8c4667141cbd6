//! InterPodAffinity: required pod affinity and anti-affinity (the incoming
//! pod's, and existing pods' anti-affinity against it) filter nodes by
//! topology domain; preferred terms (both ways) score them. Upstream
//! `plugins/interpodaffinity`. `namespaceSelector` is honoured only when empty
//! (all namespaces), as namespace labels are not watched.

use std::collections::{HashMap, HashSet};

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm};

use super::pod_topology_spread::selector_matches;
use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, ScorePlugin, Status, MAX_NODE_SCORE};

pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

pub struct InterPodAffinity;

/// What the filter and the scorer need, counted once per cycle.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Per required affinity term of the incoming pod: domain → matching pods.
    affinity: Vec<HashMap<String, i64>>,
    /// Whether any pod in the cluster matches all required affinity terms.
    affinity_any: bool,
    /// Per required anti-affinity term of the incoming pod: domain → matching pods.
    anti_affinity: Vec<HashMap<String, i64>>,
    /// Topology key → the values (domains) where an existing pod's required
    /// anti-affinity forbids the incoming pod. By key, so that a node is
    /// checked with one lookup per key rather than a pass over every pair.
    forbidden: HashMap<String, HashSet<String>>,
    /// Topology key → value → preference score for the incoming pod.
    preference: HashMap<String, HashMap<String, i64>>,
}

fn affinity_terms(pod: &Pod) -> (&[PodAffinityTerm], &[PodAffinityTerm]) {
    let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
    let required = affinity
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    let anti = affinity
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    (required, anti)
}

/// Weighted preferred terms: affinity positive, anti-affinity negative.
fn preferred_terms(pod: &Pod) -> Vec<(i64, &PodAffinityTerm)> {
    let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
    let mut terms = Vec::new();
    for term in affinity
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
    {
        terms.push((i64::from(term.weight), &term.pod_affinity_term));
    }
    for term in affinity
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
    {
        terms.push((-i64::from(term.weight), &term.pod_affinity_term));
    }
    terms
}

/// Whether `pod` has pod affinity or anti-affinity terms, required or
/// preferred: only such pods constrain where others go.
pub fn has_terms(pod: &Pod) -> bool {
    let (required, anti) = affinity_terms(pod);
    !required.is_empty() || !anti.is_empty() || !preferred_terms(pod).is_empty()
}

/// Whether `term`, written in `owner`'s pod, selects `target`.
fn term_matches(term: &PodAffinityTerm, owner: &Pod, target: &Pod) -> bool {
    let target_namespace = target.metadata.namespace.as_deref().unwrap_or_default();
    let namespaces = term.namespaces.as_deref().unwrap_or_default();
    let all_namespaces = term.namespace_selector.as_ref().is_some_and(|s| {
        s.match_labels.as_ref().is_none_or(|l| l.is_empty())
            && s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    });
    let namespace_ok = all_namespaces
        || if namespaces.is_empty() && term.namespace_selector.is_none() {
            owner.metadata.namespace.as_deref().unwrap_or_default() == target_namespace
        } else {
            namespaces.iter().any(|n| n == target_namespace)
        };
    namespace_ok
        && term
            .label_selector
            .as_ref()
            .is_some_and(|s| selector_matches(s, target.metadata.labels.as_ref()))
}

fn label<'n>(node: &'n NodeInfo, key: &str) -> Option<&'n String> {
    node.node.metadata.labels.as_ref().and_then(|l| l.get(key))
}

/// Counts, over every placed pod, what the pod's terms and existing pods'
/// terms say about each topology domain.
pub fn count(state: &PodState<'_>) -> Counts {
    let pod = state.pod;
    let (required, anti) = affinity_terms(pod);
    let preferred = preferred_terms(pod);
    let mut counts = Counts {
        affinity: vec![HashMap::new(); required.len()],
        anti_affinity: vec![HashMap::new(); anti.len()],
        ..Counts::default()
    };
    // Without terms of its own, the incoming pod is only constrained by
    // existing pods that have terms (upstream keeps the same lists per node).
    let own_terms = !required.is_empty() || !anti.is_empty() || !preferred.is_empty();
    if !own_terms && state.cluster.is_some_and(|c| c.pods_with_affinity == 0) {
        return counts;
    }
    for node in &state.nodes {
        if !own_terms && node.pods_with_affinity == 0 {
            continue;
        }
        for placed in node.pods.values() {
            let other = &placed.pod;
            if other.metadata.deletion_timestamp.is_some() || (!own_terms && !placed.has_affinity) {
                continue;
            }
            if !required.is_empty() && required.iter().all(|t| term_matches(t, pod, other)) {
                counts.affinity_any = true;
            }
            for (i, term) in required.iter().enumerate() {
                if let Some(value) = label(node, &term.topology_key) {
                    if term_matches(term, pod, other) {
                        *counts.affinity[i].entry(value.clone()).or_default() += 1;
                    }
                }
            }
            for (i, term) in anti.iter().enumerate() {
                if let Some(value) = label(node, &term.topology_key) {
                    if term_matches(term, pod, other) {
                        *counts.anti_affinity[i].entry(value.clone()).or_default() += 1;
                    }
                }
            }
            for (weight, term) in &preferred {
                if let Some(value) = label(node, &term.topology_key) {
                    if term_matches(term, pod, other) {
                        *counts
                            .preference
                            .entry(term.topology_key.clone())
                            .or_default()
                            .entry(value.clone())
                            .or_default() += weight;
                    }
                }
            }
            // Existing pods' terms about the incoming pod.
            let (their_required, their_anti) = affinity_terms(other);
            for term in their_anti {
                if let Some(value) = label(node, &term.topology_key) {
                    if term_matches(term, other, pod) {
                        counts
                            .forbidden
                            .entry(term.topology_key.clone())
                            .or_default()
                            .insert(value.clone());
                    }
                }
            }
            // Their required affinity counts as a preference of weight 1
            // (upstream `hardPodAffinityWeight`), and their preferences too.
            let theirs = their_required
                .iter()
                .map(|t| (1, t))
                .chain(preferred_terms(other));
            for (weight, term) in theirs {
                if let Some(value) = label(node, &term.topology_key) {
                    if term_matches(term, other, pod) {
                        *counts
                            .preference
                            .entry(term.topology_key.clone())
                            .or_default()
                            .entry(value.clone())
                            .or_default() += weight;
                    }
                }
            }
        }
    }
    counts
}

fn counts<'s>(state: &'s PodState<'_>) -> &'s Counts {
    state.pod_affinity.get_or_init(|| count(state))
}

impl FilterPlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        let counts = counts(state);
        let (required, anti) = affinity_terms(state.pod);
        // Affinity: every term has a matching pod in this node's domain, or no
        // pod matches anywhere and the pod matches its own terms (the first
        // of a group).
        let in_domain = |i: usize, term: &PodAffinityTerm| {
            label(node, &term.topology_key)
                .is_some_and(|v| counts.affinity[i].get(v).copied().unwrap_or(0) > 0)
        };
        let satisfied = required.iter().enumerate().all(|(i, t)| in_domain(i, t))
            || (!counts.affinity_any
                && required.iter().all(|t| {
                    label(node, &t.topology_key).is_some() && term_matches(t, state.pod, state.pod)
                }));
        if !required.is_empty() && !satisfied {
            return Status::unresolvable(ERR_REASON_AFFINITY);
        }
        let anti_violated = anti.iter().enumerate().any(|(i, term)| {
            label(node, &term.topology_key)
                .is_some_and(|v| counts.anti_affinity[i].get(v).copied().unwrap_or(0) > 0)
        });
        if anti_violated {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
        }
        let forbidden = counts
            .forbidden
            .iter()
            .any(|(key, values)| label(node, key).is_some_and(|v| values.contains(v)));
        if forbidden {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
        }
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        counts(state)
            .preference
            .iter()
            .filter_map(|(key, scores)| scores.get(label(node, key)?))
            .sum()
    }

    /// Upstream: `(s - min) / (max - min)` scaled to 100, 0 when all equal.
    fn normalize(&self, scores: &mut [i64]) {
        let min = scores.iter().copied().min().unwrap_or(0);
        let max = scores.iter().copied().max().unwrap_or(0);
        for score in scores.iter_mut() {
            *score = if max > min {
                MAX_NODE_SCORE * (*score - min) / (max - min)
            } else {
                0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PlacedPod;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;
    use std::sync::Arc;

    fn host(name: &str, app: Option<&str>, affinity: serde_json::Value) -> NodeInfo {
        let mut n = node(name, "8", "8Gi");
        n.metadata.labels =
            serde_json::from_value(json!({"kubernetes.io/hostname": name})).unwrap();
        let mut info = node_info(n);
        if let Some(app) = app {
            let mut p = pod(&format!("{name}-pod"), "0", "0");
            p.metadata.labels = serde_json::from_value(json!({"app": app})).unwrap();
            p.spec.as_mut().unwrap().affinity = serde_json::from_value(affinity).unwrap();
            info.add_pod(format!("default/{name}-pod"), PlacedPod::new(Arc::new(p)));
        }
        info
    }

    fn incoming(affinity: serde_json::Value) -> Pod {
        let mut p = pod("new", "0", "0");
        p.metadata.labels = serde_json::from_value(json!({"app": "web"})).unwrap();
        p.spec.as_mut().unwrap().affinity = serde_json::from_value(affinity).unwrap();
        p
    }

    fn term(kind: &str, app: &str) -> serde_json::Value {
        json!({kind: {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": {"app": app}},
            "topologyKey": "kubernetes.io/hostname"
        }]}})
    }

    fn verdicts(nodes: &[NodeInfo], p: &Pod) -> Vec<Status> {
        let state = PodState::new(p).with_nodes(nodes.iter().collect());
        nodes
            .iter()
            .map(|n| InterPodAffinity.filter(&state, n))
            .collect()
    }

    #[test]
    fn required_affinity_and_anti_affinity() {
        let nodes = [
            host("a", Some("db"), json!(null)),
            host("b", None, json!(null)),
        ];
        let with_db = incoming(term("podAffinity", "db"));
        assert_eq!(
            verdicts(&nodes, &with_db),
            [Status::success(), Status::unresolvable(ERR_REASON_AFFINITY)]
        );
        let away_from_db = incoming(term("podAntiAffinity", "db"));
        assert_eq!(
            verdicts(&nodes, &away_from_db),
            [
                Status::unschedulable(ERR_REASON_ANTI_AFFINITY),
                Status::success()
            ]
        );
        // The first pod of a group that wants its own kind may go anywhere.
        let with_web = incoming(term("podAffinity", "web"));
        assert!(verdicts(&nodes, &with_web).iter().all(Status::is_success));
    }

    #[test]
    fn existing_anti_affinity_is_symmetric() {
        let nodes = [
            host("a", Some("db"), term("podAntiAffinity", "web")),
            host("b", None, json!(null)),
        ];
        let p = incoming(json!(null));
        assert_eq!(
            verdicts(&nodes, &p),
            [
                Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY),
                Status::success()
            ]
        );
    }

    #[test]
    fn preferred_terms_score() {
        let nodes = [
            host("a", Some("db"), json!(null)),
            host("b", None, json!(null)),
        ];
        let p = incoming(
            json!({"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 5,
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}
            }]}}),
        );
        let state = PodState::new(&p).with_nodes(nodes.iter().collect());
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| InterPodAffinity.score(&state, n))
            .collect();
        assert_eq!(scores, [5, 0]);
        InterPodAffinity.normalize(&mut scores);
        assert_eq!(scores, [100, 0]);
    }
}

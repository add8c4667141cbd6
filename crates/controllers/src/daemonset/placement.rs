//! Which nodes should run a daemon pod, as upstream's `NodeShouldRunDaemonPod`
//! and `predicates`: the template's nodeName, nodeSelector and required node
//! affinity, and the node's taints against the pod's tolerations (with the
//! tolerations every daemon pod gets, `AddOrUpdateDaemonPodTolerations`).

use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodSpec, PodTemplateSpec, Taint, Toleration,
};

/// Where a daemon pod belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// A daemon pod should be created on the node if none is there.
    pub should_run: bool,
    /// A daemon pod already there may stay (an untolerated NoSchedule taint
    /// keeps new pods away but does not evict).
    pub should_continue_running: bool,
}

const NOWHERE: Placement = Placement {
    should_run: false,
    should_continue_running: false,
};

/// The tolerations upstream adds to every daemon pod.
fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut list = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        list.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    list.into_iter()
        .map(|(key, effect)| Toleration {
            key: Some(key.to_string()),
            operator: Some("Exists".to_string()),
            effect: Some(effect.to_string()),
            ..Toleration::default()
        })
        .collect()
}

/// The template with the daemon tolerations added (replacing any toleration
/// of the same key and effect, as upstream's `AddOrUpdateTolerationInPodSpec`).
pub fn with_daemon_tolerations(template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut template = template.clone();
    let spec = template.spec.get_or_insert_with(PodSpec::default);
    let host_network = spec.host_network.unwrap_or(false);
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for added in daemon_tolerations(host_network) {
        tolerations.retain(|t| !(t.key == added.key && t.effect == added.effect));
        tolerations.push(added);
    }
    template
}

/// Whether `toleration` tolerates `taint` (upstream's `ToleratesTaint`).
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect.as_deref().filter(|e| !e.is_empty()) {
        if effect != taint.effect {
            return false;
        }
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            !key.is_empty()
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

fn requirement_matches(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => !value.is_some_and(|v| values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if requirement.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node.metadata.labels.clone().unwrap_or_default();
    expressions
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            let value = (r.key == "metadata.name")
                .then_some(node.metadata.name.as_deref())
                .flatten();
            r.key == "metadata.name" && requirement_matches(r, value)
        })
}

/// Whether the node matches a required node selector (terms ORed).
pub fn selector_matches(selector: &NodeSelector, node: &Node) -> bool {
    selector
        .node_selector_terms
        .iter()
        .any(|term| term_matches(term, node))
}

/// Where a daemon pod of this template (with the daemon tolerations
/// already added) belongs with respect to `node`.
pub fn placement(node: &Node, template: &PodTemplateSpec) -> Placement {
    let default_spec = PodSpec::default();
    let spec = template.spec.as_ref().unwrap_or(&default_spec);
    let name = node.metadata.name.as_deref().unwrap_or_default();
    if let Some(wanted) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        if wanted != name {
            return NOWHERE;
        }
    }
    let labels = node.metadata.labels.clone().unwrap_or_default();
    if let Some(selector) = &spec.node_selector {
        if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            return NOWHERE;
        }
    }
    if let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
    {
        if !selector_matches(required, node) {
            return NOWHERE;
        }
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let mut fit = Placement {
        should_run: true,
        should_continue_running: true,
    };
    for taint in node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default()
    {
        if taint.effect != "NoSchedule" && taint.effect != "NoExecute" {
            continue;
        }
        if tolerations.iter().any(|t| tolerates(t, taint)) {
            continue;
        }
        fit.should_run = false;
        if taint.effect == "NoExecute" {
            fit.should_continue_running = false;
        }
    }
    fit
}

/// Makes the pod require `node` by name, replacing the required node
/// affinity terms (the node was already found to match them), as upstream's
/// `ReplaceDaemonSetPodNodeNameNodeAffinity`.
pub fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let term = NodeSelectorTerm {
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".to_string(),
            operator: "In".to_string(),
            values: Some(vec![node.to_string()]),
        }]),
        match_expressions: None,
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
        node_selector_terms: vec![term],
    });
}

/// The node a daemon pod runs on, or is pinned to (upstream's
/// `GetTargetNodeName`).
pub fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(node.to_string());
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().find_map(|term| {
        term.match_fields.as_ref()?.iter().find_map(|r| {
            let values = r.values.as_deref().unwrap_or_default();
            (r.key == "metadata.name" && r.operator == "In" && values.len() == 1)
                .then(|| values[0].clone())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(value: serde_json::Value) -> Node {
        serde_json::from_value(value).unwrap()
    }

    fn template(spec: serde_json::Value) -> PodTemplateSpec {
        with_daemon_tolerations(&serde_json::from_value(json!({"spec": spec})).unwrap())
    }

    const RUN: Placement = Placement {
        should_run: true,
        should_continue_running: true,
    };

    #[test]
    fn selector_and_affinity_choose_nodes() {
        let ssd = node(json!({"metadata": {"name": "a", "labels": {"disk": "ssd", "rank": "5"}}}));
        let hdd = node(json!({"metadata": {"name": "b", "labels": {"disk": "hdd"}}}));
        let by_selector = template(json!({"nodeSelector": {"disk": "ssd"}, "containers": []}));
        assert_eq!(placement(&ssd, &by_selector), RUN);
        assert_eq!(placement(&hdd, &by_selector), NOWHERE);
        let by_affinity = template(json!({"containers": [], "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "rank", "operator": "Gt", "values": ["3"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]}
        ]}}}}));
        assert_eq!(placement(&ssd, &by_affinity), RUN);
        assert_eq!(placement(&hdd, &by_affinity), RUN);
        let nowhere = template(json!({"containers": [], "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "disk", "operator": "NotIn", "values": ["ssd", "hdd"]}]}
        ]}}}}));
        assert_eq!(placement(&ssd, &nowhere), NOWHERE);
        let named = template(json!({"containers": [], "nodeName": "b"}));
        assert_eq!(placement(&ssd, &named), NOWHERE);
        assert_eq!(placement(&hdd, &named), RUN);
    }

    #[test]
    fn taints_keep_pods_away_unless_tolerated() {
        let no_schedule = node(json!({"metadata": {"name": "a"}, "spec": {"taints": [
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}}));
        let no_execute = node(json!({"metadata": {"name": "b"}, "spec": {"taints": [
            {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]}}));
        let prefer = node(json!({"metadata": {"name": "c"}, "spec": {"taints": [
            {"key": "dedicated", "effect": "PreferNoSchedule"}]}}));
        let plain = template(json!({"containers": []}));
        assert_eq!(
            placement(&no_schedule, &plain),
            Placement {
                should_run: false,
                should_continue_running: true
            }
        );
        assert_eq!(placement(&no_execute, &plain), NOWHERE);
        assert_eq!(placement(&prefer, &plain), RUN);
        let tolerant = template(json!({"containers": [], "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "gpu"}]}));
        assert_eq!(placement(&no_schedule, &tolerant), RUN);
        assert_eq!(placement(&no_execute, &tolerant), RUN);
        let wrong_value = template(json!({"containers": [], "tolerations": [
            {"key": "dedicated", "value": "cpu", "effect": "NoSchedule"}]}));
        assert!(!placement(&no_schedule, &wrong_value).should_run);
    }

    #[test]
    fn daemon_pods_tolerate_node_conditions() {
        let cordoned = node(
            json!({"metadata": {"name": "a"}, "spec": {"unschedulable": true, "taints": [
            {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}]}}),
        );
        assert_eq!(
            placement(&cordoned, &template(json!({"containers": []}))),
            RUN
        );
        let no_network = node(json!({"metadata": {"name": "a"}, "spec": {"taints": [
            {"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]}}));
        assert!(!placement(&no_network, &template(json!({"containers": []}))).should_run);
        assert!(
            placement(
                &no_network,
                &template(json!({"containers": [], "hostNetwork": true}))
            )
            .should_run
        );
        let t = template(json!({"containers": [], "tolerations": [
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]}));
        let count = t
            .spec
            .unwrap()
            .tolerations
            .unwrap()
            .iter()
            .filter(|t| t.key.as_deref() == Some("node.kubernetes.io/unschedulable"))
            .count();
        assert_eq!(count, 1);
    }

    #[test]
    fn pods_are_pinned_by_affinity() {
        let mut spec: PodSpec = serde_json::from_value(json!({"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "preference": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}]}}})).unwrap();
        pin_to_node(&mut spec, "n7");
        let affinity = spec
            .affinity
            .as_ref()
            .unwrap()
            .node_affinity
            .as_ref()
            .unwrap();
        assert!(affinity
            .preferred_during_scheduling_ignored_during_execution
            .is_some());
        let pod = Pod {
            spec: Some(spec),
            ..Pod::default()
        };
        assert_eq!(target_node(&pod).as_deref(), Some("n7"));
    }
}

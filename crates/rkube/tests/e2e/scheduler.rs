//! The scheduler inside `rkube server`: pods land on nodes that match their
//! selectors, affinity, tolerations and requests, spread by least allocation,
//! and a pod that fits nowhere stays Pending with upstream's FailedScheduling
//! message until a node that fits appears. Nodes are plain Node objects whose
//! status the test writes through nodes/status, as a kubelet would.

use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(30);

/// Creates node `name` with `labels` and `spec` (YAML mappings), then reports
/// it Ready with `cpu` cores, 8Gi of memory and room for 110 pods.
fn node(cluster: &Cluster, name: &str, cpu: &str, labels: &str, spec: &str) {
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}{labels}}}\nspec: {spec}\n"
        ),
    );
    let resources = format!(r#"{{"cpu":"{cpu}","memory":"8Gi","pods":"110"}}"#);
    let status = format!(
        r#"{{"status":{{"capacity":{resources},"allocatable":{resources},"conditions":[{{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status"}}]}}}}"#
    );
    let (code, body) = cluster.http().send(
        "PATCH",
        &format!("/api/v1/nodes/{name}/status"),
        "application/merge-patch+json",
        Some(status.as_bytes()),
    );
    assert_eq!(code, 200, "{body}");
}

/// Creates pod `name` requesting `cpu` with extra `spec` lines (indented by 2).
fn pod(cluster: &Cluster, name: &str, cpu: &str, spec: &str) {
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{spec}  containers:\n  - name: c\n    image: busybox\n    resources:\n      requests: {{cpu: {cpu}, memory: 256Mi}}\n"
        ),
    );
}

fn node_of(cluster: &Cluster, pod: &str) -> String {
    cluster.jsonpath("default", "pod", pod, "{.spec.nodeName}")
}

#[track_caller]
fn wait_scheduled(cluster: &Cluster, pod: &str) -> String {
    let mut node = String::new();
    wait_until(&format!("pod {pod} scheduled"), WAIT, || {
        node = node_of(cluster, pod);
        !node.is_empty()
    });
    node
}

/// Waits for the PodScheduled=False condition and the FailedScheduling event
/// of an unschedulable pod, and checks both carry `message`.
#[track_caller]
fn wait_unschedulable(cluster: &Cluster, pod: &str, message: &str) {
    let condition = |field: &str| {
        cluster.jsonpath(
            "default",
            "pod",
            pod,
            &format!("{{.status.conditions[?(@.type==\"PodScheduled\")].{field}}}"),
        )
    };
    let mut seen = String::new();
    wait_until(&format!("pod {pod} unschedulable: {message}"), WAIT, || {
        seen = condition("message");
        seen == message
    });
    assert_eq!(condition("status"), "False");
    assert_eq!(condition("reason"), "Unschedulable");
    assert_eq!(node_of(cluster, pod), "");
    wait_until(&format!("FailedScheduling event of {pod}"), WAIT, || {
        let described = cluster.ok(&["describe", "pod", pod, "-n", "default"]);
        let events = described.split("Events:").nth(1).unwrap_or_default();
        events.contains("FailedScheduling")
            && events.contains("default-scheduler")
            && events.contains(message)
    });
}

#[test]
fn placement_follows_selectors_taints_affinity_and_requests() {
    let cluster = Cluster::start();
    node(&cluster, "n1", "2", ", disk: ssd", "{}");
    node(
        &cluster,
        "n2",
        "2",
        "",
        "{taints: [{key: dedicated, value: db, effect: NoSchedule}]}",
    );
    node(&cluster, "n3", "2", "", "{unschedulable: true}");

    // nodeSelector.
    pod(&cluster, "ssd", "100m", "  nodeSelector: {disk: ssd}\n");
    assert_eq!(wait_scheduled(&cluster, "ssd"), "n1");
    assert_eq!(
        cluster.jsonpath(
            "default",
            "pod",
            "ssd",
            "{.status.conditions[?(@.type==\"PodScheduled\")].status}"
        ),
        "True"
    );
    // A toleration opens the tainted node; required affinity picks it.
    let to_n2 = "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: kubernetes.io/hostname, operator: In, values: [n2]}\n";
    pod(
        &cluster,
        "db",
        "100m",
        &format!("  tolerations: [{{key: dedicated, operator: Equal, value: db, effect: NoSchedule}}]\n{to_n2}"),
    );
    assert_eq!(wait_scheduled(&cluster, "db"), "n2");
    // A cordoned node takes pods tolerating the unschedulable taint.
    pod(
        &cluster,
        "cordoned",
        "100m",
        "  tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists}]\n  nodeSelector: {kubernetes.io/hostname: n3}\n",
    );
    assert_eq!(wait_scheduled(&cluster, "cordoned"), "n3");

    // Without the toleration, nothing fits.
    pod(&cluster, "untolerated", "100m", to_n2);
    wait_unschedulable(
        &cluster,
        "untolerated",
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
         1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable. \
         preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    // Too much cpu for the one open node.
    pod(&cluster, "big", "3", "");
    wait_unschedulable(
        &cluster,
        "big",
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}, \
         1 node(s) were unschedulable. preemption: 0/3 nodes are available: \
         1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );

    // A node that fits appears: the pending pod is placed there.
    node(&cluster, "n4", "4", "", "{}");
    assert_eq!(wait_scheduled(&cluster, "big"), "n4");
    assert_eq!(node_of(&cluster, "untolerated"), "");
}

#[test]
fn pods_spread_by_least_allocation_without_double_booking() {
    let cluster = Cluster::start();
    node(&cluster, "a", "2", "", "{}");
    node(&cluster, "b", "2", "", "{}");
    // Four pods of 900m: two fit on each node, created at once, so the
    // scheduler places them back to back on its assumed view.
    let pods: String = (0..4)
        .map(|i| {
            format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    resources:\n      requests: {{cpu: 900m, memory: 256Mi}}\n"
            )
        })
        .collect();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], &pods);
    let mut per_node = std::collections::BTreeMap::new();
    for i in 0..4 {
        *per_node
            .entry(wait_scheduled(&cluster, &format!("p{i}")))
            .or_insert(0) += 1;
    }
    assert_eq!(
        per_node,
        [("a".to_string(), 2), ("b".to_string(), 2)].into()
    );
    // A fifth does not fit anywhere.
    pod(&cluster, "p4", "900m", "");
    wait_unschedulable(
        &cluster,
        "p4",
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: \
         2 No preemption victims found for incoming pod.",
    );
    // Deleting a pod frees room: the pending one takes it.
    let freed = node_of(&cluster, "p0");
    // Forced: with no kubelet to finish a graceful deletion, a terminating
    // pod keeps its place, as upstream.
    cluster.ok(&[
        "delete",
        "pod",
        "p0",
        "-n",
        "default",
        "--grace-period=0",
        "--force",
    ]);
    assert_eq!(wait_scheduled(&cluster, "p4"), freed);
}

#[test]
fn a_higher_priority_pod_preempts_a_lower_one() {
    let cluster = Cluster::start();
    node(&cluster, "solo", "1", "", "{}");
    pod(&cluster, "low", "800m", "");
    assert_eq!(wait_scheduled(&cluster, "low"), "solo");
    // The Priority admission plugin resolves the class to spec.priority.
    cluster.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n",
    );
    pod(&cluster, "high", "800m", "  priorityClassName: high\n");
    wait_until("the low-priority pod preempted", WAIT, || {
        !cluster
            .jsonpath("default", "pod", "low", "{.metadata.deletionTimestamp}")
            .is_empty()
    });
    wait_until("the preemptor nominated to the node", WAIT, || {
        cluster.jsonpath("default", "pod", "high", "{.status.nominatedNodeName}") == "solo"
    });
    let events = cluster.ok(&["get", "events", "-n", "default"]);
    assert!(
        events.contains("Preempted by pod default/high on node solo"),
        "{events}"
    );
    // What the kubelet would do once the victim's containers stopped.
    cluster.ok(&[
        "delete",
        "pod",
        "low",
        "-n",
        "default",
        "--grace-period=0",
        "--force",
    ]);
    assert_eq!(wait_scheduled(&cluster, "high"), "solo");
}

#[test]
fn topology_spread_constraints_spread_and_refuse() {
    let cluster = Cluster::start();
    // Least allocation alone would put everything on the big node.
    node(&cluster, "big", "8", ", zone: z1", "{}");
    node(&cluster, "small", "2", ", zone: z2", "{}");
    let spread = "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {matchLabels: {app: web}}\n";
    let mut per_node = std::collections::BTreeMap::new();
    for i in 0..4 {
        let name = format!("web-{i}");
        cluster.ok_stdin(
            &["apply", "-n", "default", "-f", "-"],
            &format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n{spread}  containers:\n  - name: c\n    image: busybox\n    resources:\n      requests: {{cpu: 100m, memory: 64Mi}}\n"
            ),
        );
        *per_node.entry(wait_scheduled(&cluster, &name)).or_insert(0) += 1;
    }
    assert_eq!(
        per_node,
        [("big".to_string(), 2), ("small".to_string(), 2)].into()
    );
    // A key no node has: nothing fits.
    pod(
        &cluster,
        "rack",
        "100m",
        "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: rack\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {matchLabels: {app: web}}\n",
    );
    wait_unschedulable(
        &cluster,
        "rack",
        "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints (missing required label). \
         preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
}

#[test]
fn pod_anti_affinity_keeps_replicas_apart() {
    let cluster = Cluster::start();
    node(&cluster, "a", "4", "", "{}");
    node(&cluster, "b", "4", "", "{}");
    let apart = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n        topologyKey: kubernetes.io/hostname\n";
    let mut nodes = Vec::new();
    for i in 0..3 {
        let name = format!("web-{i}");
        cluster.ok_stdin(
            &["apply", "-n", "default", "-f", "-"],
            &format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n{apart}  containers:\n  - name: c\n    image: busybox\n"
            ),
        );
        if i < 2 {
            nodes.push(wait_scheduled(&cluster, &name));
        }
    }
    nodes.sort();
    assert_eq!(nodes, ["a", "b"]);
    wait_unschedulable(
        &cluster,
        "web-2",
        "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. \
         preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    );
}

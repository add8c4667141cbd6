//! DaemonSets on `rkube server --hollow-nodes 3`: one pod per eligible node
//! (taints against tolerations, nodeSelector, nodes relabelled), pods pinned
//! by node affinity and bound by the scheduler, ControllerRevisions, a rolling
//! update followed by `kubectl rollout status`, `rollout history` and
//! `rollout undo`.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(60);

fn daemonset(name: &str, image: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {{maxUnavailable: 1}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n{extra_spec}      containers:\n      - name: c\n        image: {image}\n"
    )
}

/// node name → image of the running, ready pods of DaemonSet `name`.
fn pods_by_node(cluster: &Cluster, name: &str) -> Vec<(String, String, String)> {
    let out = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        &format!("app={name}"),
        "-o",
        "jsonpath={range .items[*]}{.spec.nodeName} {.spec.containers[0].image} {.status.phase}{'\\n'}{end}",
    ]);
    out.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.next()?.to_string(),
                parts.next()?.to_string(),
            ))
        })
        .collect()
}

fn nodes_running(cluster: &Cluster, name: &str, image: &str) -> BTreeSet<String> {
    pods_by_node(cluster, name)
        .into_iter()
        .filter(|(_, i, phase)| i == image && phase == "Running")
        .map(|(node, _, _)| node)
        .collect()
}

#[track_caller]
fn wait_for_nodes(cluster: &Cluster, name: &str, image: &str, nodes: &[&str]) {
    let wanted: BTreeSet<String> = nodes.iter().map(|n| n.to_string()).collect();
    let mut last = Vec::new();
    let what = format!("daemonset {name} ({image}) on exactly {wanted:?}");
    wait_until(&what, WAIT, || {
        last = pods_by_node(cluster, name);
        last.len() == wanted.len()
            && last
                .iter()
                .all(|(_, i, phase)| i == image && phase == "Running")
            && nodes_running(cluster, name, image) == wanted
    });
}

#[test]
fn daemonset_follows_nodes_taints_selectors_and_rolls_out() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "3"]);
    wait_until("3 hollow nodes", WAIT, || {
        cluster.ok(&["get", "nodes", "-o", "name"]).lines().count() == 3
    });
    let nodes: Vec<String> = cluster
        .ok(&["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let (n0, n1, n2) = (nodes[0].as_str(), nodes[1].as_str(), nodes[2].as_str());
    cluster.ok(&["taint", "nodes", n2, "dedicated=infra:NoSchedule"]);

    // Untolerated NoSchedule taint: two nodes only.
    cluster.ok_stdin(&["apply", "-f", "-"], &daemonset("agent", "busybox:1", ""));
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n0, n1]);
    wait_until("agent status", WAIT, || {
        cluster.jsonpath(
            "default",
            "ds",
            "agent",
            "{.status.desiredNumberScheduled}/{.status.currentNumberScheduled}/{.status.numberReady}/{.status.numberAvailable}/{.status.updatedNumberScheduled}/{.status.observedGeneration}",
        ) == "2/2/2/2/2/1"
    });
    // The pods are pinned by affinity, carry the daemon tolerations and the
    // revision labels.
    let pod = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        "app=agent",
        "-o",
        "jsonpath={.items[0]}",
    ]);
    let pod: serde_json::Value = serde_json::from_str(&pod).expect("pod JSON");
    let term = &pod["spec"]["affinity"]["nodeAffinity"]
        ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
    assert_eq!(term["matchFields"][0]["key"], "metadata.name", "{pod}");
    assert_eq!(
        term["matchFields"][0]["values"][0], pod["spec"]["nodeName"],
        "{pod}"
    );
    let tolerations = pod["spec"]["tolerations"].to_string();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ] {
        assert!(tolerations.contains(key), "{key} missing: {tolerations}");
    }
    assert_eq!(pod["metadata"]["labels"]["pod-template-generation"], "1");
    let hash = pod["metadata"]["labels"]["controller-revision-hash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!hash.is_empty(), "{pod}");
    assert_eq!(
        cluster.jsonpath(
            "default",
            "controllerrevision",
            &format!("agent-{hash}"),
            "{.revision}"
        ),
        "1"
    );

    // Tolerating the taint: all three nodes.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &daemonset(
            "tolerant",
            "busybox:1",
            "      tolerations:\n      - {key: dedicated, operator: Equal, value: infra, effect: NoSchedule}\n",
        ),
    );
    wait_for_nodes(&cluster, "tolerant", "busybox:1", &[n0, n1, n2]);

    // nodeSelector: pods follow the label.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &daemonset("ssd", "busybox:1", "      nodeSelector: {disk: ssd}\n"),
    );
    wait_until("ssd status", WAIT, || {
        cluster.jsonpath("default", "ds", "ssd", "{.status.observedGeneration}") == "1"
    });
    assert!(pods_by_node(&cluster, "ssd").is_empty());
    cluster.ok(&["label", "nodes", n1, "disk=ssd"]);
    wait_for_nodes(&cluster, "ssd", "busybox:1", &[n1]);
    cluster.ok(&["label", "nodes", n1, "disk-"]);
    wait_for_nodes(&cluster, "ssd", "busybox:1", &[]);
    // Removing the taint lets the first one in.
    cluster.ok(&["taint", "nodes", n2, "dedicated-"]);
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n0, n1, n2]);

    // Rolling update of the image, followed by kubectl.
    cluster.ok(&["set", "image", "ds/agent", "c=busybox:2"]);
    let status = cluster.ok(&["rollout", "status", "ds/agent", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
    wait_for_nodes(&cluster, "agent", "busybox:2", &[n0, n1, n2]);
    assert_eq!(
        cluster.jsonpath(
            "default",
            "ds",
            "agent",
            "{.status.updatedNumberScheduled}/{.status.numberMisscheduled}"
        ),
        "3/0"
    );
    let generation = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        "app=agent",
        "-o",
        "jsonpath={.items[*].metadata.labels.pod-template-generation}",
    ]);
    assert_eq!(
        generation.split_whitespace().collect::<Vec<_>>(),
        ["2", "2", "2"]
    );
    let history = cluster.ok(&["rollout", "history", "ds/agent"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    let detail = cluster.ok(&["rollout", "history", "ds/agent", "--revision=1"]);
    assert!(detail.contains("busybox:1"), "{detail}");

    // Undo: back to the first template, as revision 3.
    let undo = cluster.ok(&["rollout", "undo", "ds/agent"]);
    assert!(undo.contains("rolled back"), "{undo}");
    let status = cluster.ok(&["rollout", "status", "ds/agent", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n0, n1, n2]);
    let history = cluster.ok(&["rollout", "history", "ds/agent"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["2", "3"], "{history}");

    // Events like upstream's.
    let events = cluster.ok(&[
        "get",
        "events",
        "-n",
        "default",
        "-o",
        "jsonpath={range .items[*]}{.involvedObject.kind}/{.involvedObject.name} {.reason}: {.message}{'\\n'}{end}",
    ]);
    let events: String = events
        .lines()
        .filter_map(|l| l.strip_prefix("DaemonSet/agent "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        events.contains("SuccessfulCreate: Created pod: agent-"),
        "{events}"
    );
    assert!(
        events.contains("SuccessfulDelete: Deleted pod: agent-"),
        "{events}"
    );

    // Surge: the new pod starts beside the old one, which goes once the new
    // one is available; the rollout completes.
    cluster.ok(&[
        "patch",
        "ds",
        "tolerant",
        "-n",
        "default",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}"#,
    ]);
    cluster.ok(&["set", "image", "ds/tolerant", "c=busybox:3"]);
    let status = cluster.ok(&["rollout", "status", "ds/tolerant", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
    wait_for_nodes(&cluster, "tolerant", "busybox:3", &[n0, n1, n2]);

    // An untolerated NoExecute taint evicts the daemon pod.
    cluster.ok(&["taint", "nodes", n0, "evict=now:NoExecute"]);
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n1, n2]);
    wait_until("agent status after eviction", WAIT, || {
        cluster.jsonpath(
            "default",
            "ds",
            "agent",
            "{.status.desiredNumberScheduled}/{.status.numberMisscheduled}",
        ) == "2/0"
    });
    cluster.ok(&["taint", "nodes", n0, "evict-"]);
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n0, n1, n2]);

    // OnDelete: a new template waits until the pod is deleted.
    cluster.ok(&[
        "patch",
        "ds",
        "tolerant",
        "-n",
        "default",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/updateStrategy","value":{"type":"OnDelete"}}]"#,
    ]);
    cluster.ok(&["set", "image", "ds/tolerant", "c=busybox:4"]);
    wait_until("tolerant observed generation", WAIT, || {
        let seen = cluster.jsonpath(
            "default",
            "ds",
            "tolerant",
            "{.metadata.generation} {.status.observedGeneration} {.status.updatedNumberScheduled}",
        );
        let parts: Vec<&str> = seen.split_whitespace().collect();
        parts.len() == 2 && parts[0] == parts[1]
    });
    let on_n1 = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        "app=tolerant",
        "--field-selector",
        &format!("spec.nodeName={n1}"),
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    cluster.ok(&["delete", "pod", "-n", "default", &on_n1, "--wait=false"]);
    wait_until("tolerant pod on n1 replaced with busybox:4", WAIT, || {
        pods_by_node(&cluster, "tolerant")
            .iter()
            .any(|(node, image, phase)| node == n1 && image == "busybox:4" && phase == "Running")
    });
    assert!(nodes_running(&cluster, "tolerant", "busybox:3").contains(n2));

    // A deleted daemon pod comes back.
    let victim = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        "app=agent",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    cluster.ok(&["delete", "pod", "-n", "default", &victim, "--wait=false"]);
    wait_until("the daemon pod replaced", WAIT, || {
        let names = cluster.ok(&[
            "get",
            "pods",
            "-n",
            "default",
            "-l",
            "app=agent",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ]);
        !names.split_whitespace().any(|n| n == victim) && names.split_whitespace().count() == 3
    });
    wait_for_nodes(&cluster, "agent", "busybox:1", &[n0, n1, n2]);
}

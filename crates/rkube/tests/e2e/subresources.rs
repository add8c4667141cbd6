//! Pod subresources: binding (the scheduler's), eviction (kubectl drain's,
//! within PodDisruptionBudgets) and log.

use std::time::Duration;

use crate::support::{reason, wait_until, Cluster};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers:\n  - name: c\n    image: busybox\n";

fn bind(cluster: &Cluster, pod: &str, node: &str) -> (u16, String) {
    cluster.http().post_json(
        &format!("/api/v1/namespaces/default/pods/{pod}/binding"),
        &format!(
            r#"{{"apiVersion":"v1","kind":"Binding","metadata":{{"name":"{pod}"}},"target":{{"apiVersion":"v1","kind":"Node","name":"{node}"}}}}"#
        ),
    )
}

#[test]
fn binding_assigns_a_node_once() {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], POD);
    let (code, body) = bind(&cluster, "web", "n1");
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        cluster.jsonpath("default", "pod", "web", "{.spec.nodeName}"),
        "n1"
    );
    assert_eq!(
        cluster.jsonpath(
            "default",
            "pod",
            "web",
            "{.status.conditions[?(@.type==\"PodScheduled\")].status}"
        ),
        "True"
    );
    let (code, body) = bind(&cluster, "web", "n2");
    assert_eq!((code, reason(&body).as_str()), (409, "Conflict"), "{body}");
    assert!(
        body.contains("pod web is already assigned to node \\\"n1\\\""),
        "{body}"
    );
    // The name in the Binding must be the pod's; the target needs a name.
    let (code, body) = cluster.http().post_json(
        "/api/v1/namespaces/default/pods/web/binding",
        r#"{"metadata":{"name":"other"},"target":{"name":"n1"}}"#,
    );
    assert_eq!(
        (code, reason(&body).as_str()),
        (400, "BadRequest"),
        "{body}"
    );
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        &POD.replace("name: web", "name: second"),
    );
    let (code, body) = cluster.http().post_json(
        "/api/v1/namespaces/default/pods/second/binding",
        r#"{"metadata":{"name":"second"},"target":{"kind":"Node"}}"#,
    );
    assert_eq!((code, reason(&body).as_str()), (422, "Invalid"), "{body}");
    let (code, body) = bind(&cluster, "missing", "n1");
    assert_eq!((code, reason(&body).as_str()), (404, "NotFound"), "{body}");
}

/// Marks the pod Running and Ready, and sets the budget's minAvailable so
/// that the disruption controller allows `allowed` disruptions (of 1 pod).
fn set_state(cluster: &Cluster, allowed: i64) {
    let http = cluster.http();
    let (code, body) = http.send(
        "PATCH",
        "/api/v1/namespaces/default/pods/web/status",
        "application/merge-patch+json",
        Some(br#"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#),
    );
    assert_eq!(code, 200, "{body}");
    let spec = format!(r#"{{"spec":{{"minAvailable":{}}}}}"#, 1 - allowed);
    cluster.ok(&[
        "patch",
        "pdb",
        "web",
        "-n",
        "default",
        "--type=merge",
        "-p",
        &spec,
    ]);
    wait_until("the budget's status", Duration::from_secs(30), || {
        let out = cluster.ok(&[
            "get",
            "pdb",
            "web",
            "-n",
            "default",
            "-o",
            "jsonpath={.metadata.generation} {.status.observedGeneration} {.status.currentHealthy} {.status.disruptionsAllowed}",
        ]);
        let cells: Vec<&str> = out.split_whitespace().collect();
        cells.len() == 4
            && cells[0] == cells[1]
            && cells[2] == "1"
            && cells[3] == allowed.to_string()
    });
}

fn evict(cluster: &Cluster) -> (u16, String) {
    cluster.http().post_json(
        "/api/v1/namespaces/default/pods/web/eviction",
        r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web","namespace":"default"},"deleteOptions":{"gracePeriodSeconds":0}}"#,
    )
}

#[test]
fn eviction_respects_the_disruption_budget() {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], POD);
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n",
    );
    let (code, body) = bind(&cluster, "web", "n1");
    assert_eq!(code, 201, "{body}");
    set_state(&cluster, 0);
    let (code, body) = evict(&cluster);
    assert_eq!(
        (code, reason(&body).as_str()),
        (429, "TooManyRequests"),
        "{body}"
    );
    assert!(
        body.contains("Cannot evict pod as it would violate the pod's disruption budget.")
            && body.contains("The disruption budget web needs 1 healthy pods and has 1 currently"),
        "{body}"
    );
    cluster.ok(&["get", "pod", "web", "-n", "default"]);

    set_state(&cluster, 1);
    let (code, body) = evict(&cluster);
    assert_eq!(code, 201, "{body}");
    let err = cluster.fails(&["get", "pod", "web", "-n", "default"]);
    assert!(err.contains("not found"), "{err}");
    assert_eq!(
        cluster.ok(&[
            "get",
            "pdb",
            "web",
            "-n",
            "default",
            "-o",
            "jsonpath={.status.disruptionsAllowed}"
        ]),
        "0"
    );
}

#[test]
fn kubectl_drain_evicts_the_pods_of_a_node() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n",
    );
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], POD);
    let (code, body) = bind(&cluster, "web", "n1");
    assert_eq!(code, 201, "{body}");
    cluster.ok(&[
        "drain",
        "n1",
        "--force",
        "--grace-period=0",
        "--timeout=30s",
    ]);
    assert_eq!(
        cluster.ok(&["get", "node", "n1", "-o", "jsonpath={.spec.unschedulable}"]),
        "true"
    );
    let err = cluster.fails(&["get", "pod", "web", "-n", "default"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn logs_need_a_node() {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], POD);
    // An unscheduled pod has no logs yet: 204 and nothing printed, as upstream.
    assert_eq!(cluster.ok(&["logs", "web", "-n", "default"]), "");
    let err = cluster.fails(&["logs", "web", "-n", "default", "-c", "nope"]);
    assert!(
        err.contains("container nope is not valid for pod web"),
        "{err}"
    );
}

//! Hollow nodes (`rkube server --hollow-nodes N`): nodes that register, stay
//! Ready through their leases, and play the pods bound to them through their
//! lifecycle without containers.

use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(30);

/// A pod no scheduler picks up (the test binds it itself).
fn pod(name: &str, extra_metadata: &str, restart_policy: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{extra_metadata}spec:\n  schedulerName: by-hand\n  restartPolicy: {restart_policy}\n  containers:\n  - name: c\n    image: busybox\n"
    )
}

fn bind(cluster: &Cluster, pod: &str, node: &str) {
    let (code, body) = cluster.http().post_json(
        &format!("/api/v1/namespaces/default/pods/{pod}/binding"),
        &format!(
            r#"{{"apiVersion":"v1","kind":"Binding","metadata":{{"name":"{pod}"}},"target":{{"apiVersion":"v1","kind":"Node","name":"{node}"}}}}"#
        ),
    );
    assert_eq!(code, 201, "{body}");
}

/// The `kubectl get pod` row of `name`, split into cells.
fn pod_row(cluster: &Cluster, name: &str) -> Vec<String> {
    let run = cluster.kubectl(&["get", "pod", name, "-n", "default", "--no-headers"]);
    run.stdout.split_whitespace().map(str::to_string).collect()
}

#[test]
fn hollow_nodes_are_ready_and_renew_their_leases() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "3"]);
    wait_until("3 Ready nodes", WAIT, || {
        let run = cluster.kubectl(&["get", "nodes", "--no-headers"]);
        run.stdout.lines().filter(|l| l.contains(" Ready ")).count() == 3
    });
    let out = cluster.ok(&["get", "nodes", "-o", "wide"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ],
        "{out}"
    );
    let first: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(first[..3], ["hollow-node-0", "Ready", "<none>"], "{out}");
    assert_eq!(first[4..6], ["v1.33.0", "10.200.0.1"], "{out}");
    assert_eq!(first.last().copied(), Some("hollow://1.0"), "{out}");
    assert_eq!(
        cluster.ok(&[
            "get",
            "node",
            "hollow-node-2",
            "-o",
            "jsonpath={.status.capacity.cpu} {.status.allocatable.pods} {.metadata.labels.node\\.kubernetes\\.io/instance-type} {.spec.podCIDR}"
        ]),
        "4 110 hollow 10.244.2.0/24"
    );

    let leases = cluster.ok(&["get", "leases", "-n", "kube-node-lease", "--no-headers"]);
    for node in ["hollow-node-0", "hollow-node-1", "hollow-node-2"] {
        assert!(leases.contains(node), "{leases}");
    }
    let renew_time = || {
        cluster.jsonpath(
            "kube-node-lease",
            "lease",
            "hollow-node-1",
            "{.spec.holderIdentity} {.spec.leaseDurationSeconds} {.spec.renewTime}",
        )
    };
    let before = renew_time();
    assert!(before.starts_with("hollow-node-1 40 "), "{before}");
    wait_until("the lease to be renewed", WAIT, || renew_time() != before);
}

#[test]
fn pods_on_hollow_nodes_run_finish_and_go() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "3"]);
    wait_until("3 nodes", WAIT, || {
        cluster
            .kubectl(&["get", "nodes", "--no-headers"])
            .stdout
            .lines()
            .count()
            == 3
    });

    cluster.ok_stdin(&["create", "-f", "-"], &pod("web", "", "Always"));
    bind(&cluster, "web", "hollow-node-1");
    wait_until("web Running 1/1", WAIT, || {
        let row = pod_row(&cluster, "web");
        row.get(1).map(String::as_str) == Some("1/1")
            && row.get(2).map(String::as_str) == Some("Running")
    });
    let status = cluster.jsonpath(
        "default",
        "pod",
        "web",
        "{.status.podIP} {.status.hostIP} {.status.containerStatuses[0].restartCount} {.status.conditions[?(@.type==\"Ready\")].status}",
    );
    assert_eq!(status, "10.244.1.1 10.200.0.2 0 True");
    let wide = cluster.ok(&["get", "pod", "web", "-o", "wide", "--no-headers"]);
    assert!(
        wide.contains("10.244.1.1") && wide.contains("hollow-node-1"),
        "{wide}"
    );

    // Pods that may finish do, by their annotation's exit code.
    let finishing = |name: &str, code: u8| {
        let metadata = format!("  annotations:\n    rkube.io/hollow-exit-code: \"{code}\"\n");
        cluster.ok_stdin(&["create", "-f", "-"], &pod(name, &metadata, "Never"));
        bind(&cluster, name, "hollow-node-0");
    };
    finishing("done", 0);
    finishing("broken", 3);
    wait_until("done Completed", WAIT, || {
        pod_row(&cluster, "done").get(2).map(String::as_str) == Some("Completed")
    });
    wait_until("broken Error", WAIT, || {
        pod_row(&cluster, "broken").get(2).map(String::as_str) == Some("Error")
    });
    assert_eq!(
        cluster.jsonpath(
            "default",
            "pod",
            "broken",
            "{.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}"
        ),
        "Failed 3"
    );

    // Deleting a running pod: the hollow kubelet stops it and removes it.
    cluster.ok(&["delete", "pod", "web", "-n", "default", "--wait=false"]);
    wait_until("web gone", WAIT, || {
        let run = cluster.kubectl(&["get", "pod", "web", "-n", "default"]);
        !run.success && run.stderr.contains("NotFound")
    });
}

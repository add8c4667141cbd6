//! Garbage collection by ownerReferences and namespace deletion, carried out by
//! the controller manager inside `rkube server`, driven with kubectl.

use std::time::Duration;

use crate::support::{wait_until, Cluster};

const GC_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates a configmap named `name` owned by the configmap `owner`.
fn dependent(cluster: &Cluster, name: &str, owner: &str, extra_meta: &str) {
    let uid = cluster.jsonpath("default", "cm", owner, "{.metadata.uid}");
    let manifest = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: {owner}\n    uid: {uid}\n    blockOwnerDeletion: true\n{extra_meta}"
    );
    cluster.ok_stdin(&["create", "-n", "default", "-f", "-"], &manifest);
}

fn exists(cluster: &Cluster, name: &str) -> bool {
    cluster
        .kubectl(&["get", "cm", name, "-n", "default", "-o", "name"])
        .success
}

#[test]
fn background_deletion_removes_dependents() {
    let cluster = Cluster::start();
    cluster.configmap("default", "owner", &[]);
    dependent(&cluster, "child", "owner", "");
    // A dependent whose owner never existed is collected too.
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: ghost\n    uid: 00000000-0000-0000-0000-000000000000\n";
    cluster.ok_stdin(&["create", "-n", "default", "-f", "-"], manifest);
    cluster.ok(&["delete", "cm", "owner", "-n", "default"]);
    wait_until("the dependent to be collected", GC_TIMEOUT, || {
        !exists(&cluster, "child")
    });
    wait_until("the stray dependent to be collected", GC_TIMEOUT, || {
        !exists(&cluster, "stray")
    });
}

#[test]
fn orphan_deletion_keeps_dependents() {
    let cluster = Cluster::start();
    cluster.configmap("default", "owner", &[]);
    dependent(&cluster, "child", "owner", "");
    cluster.ok(&[
        "delete",
        "cm",
        "owner",
        "-n",
        "default",
        "--cascade=orphan",
        "--wait=true",
        "--timeout=30s",
    ]);
    assert!(!exists(&cluster, "owner"));
    assert!(exists(&cluster, "child"));
    assert_eq!(
        cluster.jsonpath("default", "cm", "child", "{.metadata.ownerReferences}"),
        ""
    );
}

#[test]
fn foreground_deletion_waits_for_blocking_dependents() {
    let cluster = Cluster::start();
    cluster.configmap("default", "owner", &[]);
    dependent(
        &cluster,
        "child",
        "owner",
        "  finalizers: [example.com/hold]\n",
    );
    cluster.ok(&[
        "delete",
        "cm",
        "owner",
        "-n",
        "default",
        "--cascade=foreground",
        "--wait=false",
    ]);
    // The owner waits, marked, while its dependent is being deleted.
    wait_until(
        "the dependent to be marked for deletion",
        GC_TIMEOUT,
        || {
            !cluster
                .jsonpath("default", "cm", "child", "{.metadata.deletionTimestamp}")
                .is_empty()
        },
    );
    assert_eq!(
        cluster.jsonpath("default", "cm", "owner", "{.metadata.finalizers}"),
        r#"["foregroundDeletion"]"#
    );
    assert!(!cluster
        .jsonpath("default", "cm", "owner", "{.metadata.deletionTimestamp}")
        .is_empty());
    // Releasing the dependent lets both go.
    cluster.ok(&[
        "patch",
        "cm",
        "child",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    wait_until("the owner to be deleted", GC_TIMEOUT, || {
        !exists(&cluster, "owner") && !exists(&cluster, "child")
    });
}

#[test]
fn namespace_waits_for_finalized_content() {
    let cluster = Cluster::start();
    cluster.namespace("held");
    cluster.ok_stdin(
        &["create", "-n", "held", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  finalizers: [example.com/hold]\n",
    );
    cluster.configmap("held", "plain", &[]);
    cluster.ok(&["delete", "namespace", "held", "--wait=false"]);
    wait_until(
        "the namespace to report its remaining content",
        GC_TIMEOUT,
        || {
            cluster
                .ok(&[
                    "get",
                    "ns",
                    "held",
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"NamespaceFinalizersRemaining\")].message}",
                ])
                .contains("example.com/hold in 1 resource instances")
        },
    );
    assert_eq!(
        cluster.ok(&["get", "ns", "held", "-o", "jsonpath={.status.phase}"]),
        "Terminating"
    );
    // The namespace controller says why, in an event about the namespace.
    wait_until("an event about the namespace", GC_TIMEOUT, || {
        cluster
            .ok(&[
                "get",
                "events",
                "-n",
                "default",
                "--field-selector",
                "involvedObject.kind=Namespace,involvedObject.name=held",
                "-o",
                "jsonpath={.items[*].reason}",
            ])
            .contains("NamespaceContentRemaining")
    });
    assert_eq!(
        crate::support::without_root_ca(&cluster.ok(&["get", "cm", "-n", "held", "-o", "name"]))
            .trim(),
        "configmap/kept"
    );
    // New objects are refused while it terminates.
    let refused = cluster.kubectl_stdin(
        &["apply", "-n", "held", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n"),
    );
    assert!(
        !refused.success && refused.stderr.contains("because it is being terminated"),
        "{}",
        refused.stderr
    );
    cluster.ok(&[
        "patch",
        "cm",
        "kept",
        "-n",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    wait_until("the namespace to go", GC_TIMEOUT, || {
        !cluster.kubectl(&["get", "ns", "held"]).success
    });
}

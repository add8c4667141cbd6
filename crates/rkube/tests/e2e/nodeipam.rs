//! The node IPAM controller through kubectl: nodes created with `kubectl
//! create -f` get distinct podCIDRs from `--cluster-cidr`, nodes that bring
//! their own keep them, a restarted server keeps what was given and hands a
//! new node a fresh range, an exhausted range is reported with a
//! CIDRNotAvailable event, and a deleted node's range goes to a waiting node.
//!
//! Whether the server runs a real kubelet (whose node takes a range too) does
//! not matter: the assertions are about the nodes this test creates and about
//! every node's range being distinct.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use crate::support::{run, wait_until, Cluster};

/// 10.99.0.0/21 cut into /24s: eight ranges, 10.99.0.0/24 ... 10.99.7.0/24.
const CLUSTER_CIDR: &str = "10.99.0.0/21";
const RANGES: usize = 8;
const WAIT: Duration = Duration::from_secs(30);

fn create_node(cluster: &Cluster, name: &str, pod_cidr: Option<&str>) {
    let spec = match pod_cidr {
        Some(cidr) => format!("spec:\n  podCIDR: {cidr}\n  podCIDRs: [{cidr}]\n"),
        None => String::new(),
    };
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n{spec}"),
    );
}

/// Every node's podCIDR (empty when it has none).
fn pod_cidrs(cluster: &Cluster) -> BTreeMap<String, String> {
    let out = cluster.ok(&[
        "get",
        "nodes",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{\"\\n\"}{end}",
    ]);
    out.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, cidr)| (name.to_string(), cidr.to_string()))
        .collect()
}

fn pod_cidr(cluster: &Cluster, node: &str) -> String {
    cluster.jsonpath("", "node", node, "{.spec.podCIDR}")
}

/// One of the eight /24s of the cluster CIDR.
fn in_range(cidr: &str) -> bool {
    (0..RANGES).any(|i| cidr == format!("10.99.{i}.0/24"))
}

/// The ranges of the cluster CIDR held by nodes; fails if two nodes share one.
#[track_caller]
fn held(cidrs: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (node, cidr) in cidrs.iter().filter(|(_, c)| in_range(c)) {
        assert!(seen.insert(cidr.clone()), "{node} shares {cidr}: {cidrs:?}");
    }
    seen
}

/// Nodes named in CIDRNotAvailable warning events.
fn cidr_not_available(cluster: &Cluster) -> BTreeSet<String> {
    let out = cluster.ok(&["get", "events", "-A", "-o", "json"]);
    let events: serde_json::Value = serde_json::from_str(&out).expect("events JSON");
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["reason"] == "CIDRNotAvailable" && e["type"] == "Warning")
        .filter(|e| e["involvedObject"]["kind"] == "Node")
        .filter_map(|e| e["involvedObject"]["name"].as_str().map(String::from))
        .collect()
}

#[test]
fn nodes_get_distinct_pod_cidrs_kept_across_restarts_and_reused_after_deletion() {
    let mut cluster = Cluster::start_with(&[
        "--cluster-cidr",
        CLUSTER_CIDR,
        "--node-cidr-mask-size",
        "24",
    ]);
    // A node bringing a range outside the cluster CIDR, and one inside it.
    create_node(&cluster, "outside", Some("192.168.50.0/24"));
    create_node(&cluster, "pinned", Some("10.99.7.0/24"));
    create_node(&cluster, "a", None);
    create_node(&cluster, "b", None);
    wait_until("podCIDRs for a and b", WAIT, || {
        !pod_cidr(&cluster, "a").is_empty() && !pod_cidr(&cluster, "b").is_empty()
    });
    let a = pod_cidr(&cluster, "a");
    let b = pod_cidr(&cluster, "b");
    assert!(in_range(&a) && in_range(&b), "{a} {b}");
    assert_ne!(a, b);
    assert_ne!(a, "10.99.7.0/24");
    assert_ne!(b, "10.99.7.0/24");
    // Both fields, in one write.
    assert_eq!(
        cluster.jsonpath("", "node", "a", "{.spec.podCIDRs}"),
        format!("[\"{a}\"]")
    );
    assert_eq!(pod_cidr(&cluster, "outside"), "192.168.50.0/24");
    assert_eq!(pod_cidr(&cluster, "pinned"), "10.99.7.0/24");
    held(&pod_cidrs(&cluster));

    // A restarted controller rebuilds what is used before giving anything out.
    cluster.restart();
    create_node(&cluster, "c", None);
    wait_until("a podCIDR for c", WAIT, || {
        !pod_cidr(&cluster, "c").is_empty()
    });
    let c = pod_cidr(&cluster, "c");
    assert!(in_range(&c), "{c}");
    let all = pod_cidrs(&cluster);
    held(&all);
    assert_eq!(all["a"], a);
    assert_eq!(all["b"], b);

    // More nodes than ranges left: the range runs out.
    let fillers: Vec<String> = (0..RANGES).map(|i| format!("fill-{i}")).collect();
    for name in &fillers {
        create_node(&cluster, name, None);
    }
    let mut waiting = BTreeSet::new();
    wait_until(
        "every range taken and a CIDRNotAvailable event",
        WAIT,
        || {
            let all = pod_cidrs(&cluster);
            if held(&all).len() < RANGES {
                return false;
            }
            let reported = cidr_not_available(&cluster);
            waiting = fillers
                .iter()
                .filter(|n| all.get(*n).is_some_and(String::is_empty) && reported.contains(*n))
                .cloned()
                .collect();
            !waiting.is_empty()
        },
    );

    // Deleting a node frees its range for a node that waits for one.
    cluster.ok(&["delete", "node", "a"]);
    wait_until("a's range reused by a waiting node", WAIT, || {
        let all = pod_cidrs(&cluster);
        held(&all);
        fillers.iter().any(|n| all.get(n) == Some(&a))
    });
    let all = pod_cidrs(&cluster);
    assert_eq!(held(&all).len(), RANGES);
    assert_eq!(all["outside"], "192.168.50.0/24");
}

#[test]
fn bad_flags_stop_the_server_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (flags, message) in [
        (
            &[
                "--cluster-cidr",
                "10.42.0.0/16",
                "--node-cidr-mask-size",
                "8",
            ][..],
            "must be less than or equal to --node-cidr-mask-size",
        ),
        (
            &["--cluster-cidr", "10.42.0.0"][..],
            "invalid --cluster-cidr",
        ),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rkube"));
        command
            .arg("server")
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--bind-address", "127.0.0.1", "--secure-port", "0"])
            .args(flags)
            .env("RKUBE_LOG", "warn");
        let out = run(&mut command, None, Duration::from_secs(30));
        assert!(!out.success, "{flags:?} started: {}", out.stderr);
        assert!(out.stderr.contains(message), "{flags:?}: {}", out.stderr);
    }
}

//! Version, discovery, health and authentication.

use crate::support::{run, Cluster};
use std::process::Command;
use std::time::Duration;

#[test]
fn kubectl_version_has_no_skew_warning() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["version"]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("Server Version: v1.33"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("WARNING"), "{}", run.stderr);
}

#[test]
fn api_resources_lists_the_builtin_kinds() {
    let cluster = Cluster::start();
    let out = cluster.ok(&["api-resources"]);
    for expected in [
        "pods",
        "services",
        "configmaps",
        "secrets",
        "namespaces",
        "nodes",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "leases",
        "endpointslices",
        "ingresses",
        "networkpolicies",
        "roles",
        "clusterrolebindings",
        "poddisruptionbudgets",
        "horizontalpodautoscalers",
        "priorityclasses",
        "storageclasses",
        "persistentvolumeclaims",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{expected} "))),
            "{expected} missing:\n{out}"
        );
    }
    // Short names as upstream.
    assert!(
        out.lines()
            .any(|l| l.starts_with("deployments ") && l.contains(" deploy ")),
        "{out}"
    );
    let versions = cluster.ok(&["api-versions"]);
    for gv in [
        "v1",
        "apps/v1",
        "batch/v1",
        "autoscaling/v2",
        "autoscaling/v1",
        "events.k8s.io/v1",
    ] {
        assert!(
            versions.lines().any(|l| l == gv),
            "{gv} missing:\n{versions}"
        );
    }
}

#[test]
fn system_namespaces_exist() {
    let cluster = Cluster::start();
    let out = cluster.ok(&["get", "ns", "-o", "name"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(out.contains(&format!("namespace/{ns}")), "{out}");
    }
    let svc = cluster.ok(&[
        "get",
        "svc",
        "kubernetes",
        "-n",
        "default",
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    assert_eq!(svc, "10.43.0.1");
}

#[test]
fn requests_without_credentials_get_401() {
    let cluster = Cluster::start();
    let url = format!("https://127.0.0.1:{}/api/v1/namespaces", cluster.port);
    let out = run(
        Command::new("curl").args(["-sk", "-w", "\n%{http_code}", &url]),
        None,
        Duration::from_secs(20),
    );
    assert!(out.stdout.ends_with("401"), "{}", out.stdout);
    assert!(
        out.stdout.contains("\"reason\":\"Unauthorized\""),
        "{}",
        out.stdout
    );
    // Health is public, as upstream's system:public-info-viewer.
    let health = format!("https://127.0.0.1:{}/readyz", cluster.port);
    let out = run(
        Command::new("curl").args(["-sk", &health]),
        None,
        Duration::from_secs(20),
    );
    assert_eq!(out.stdout, "ok");
}

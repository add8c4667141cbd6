//! Server-side apply through the scale subresource: the Scale's
//! `.spec.replicas` is owned by the parent's managers of its replicas field,
//! an apply to `/scale` conflicts with them unless forced, and its manager
//! then owns the parent's replicas field (with subresource `scale`), as
//! upstream. kubectl cannot apply to `/scale`, so this goes through curl.

use serde_json::{json, Value};

use crate::support::Cluster;

const APPLY: &str = "application/apply-patch+yaml";

fn workload(kind: &str, name: &str) -> String {
    let service = if kind == "StatefulSet" {
        format!("  serviceName: {name}\n")
    } else {
        String::new()
    };
    format!(
        "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n{service}  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1\n"
    )
}

fn scale_config(name: &str, replicas: i64) -> String {
    format!("apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n")
}

/// PATCHes `path` with an apply configuration; the status and the answer.
fn apply(cluster: &Cluster, path: &str, config: &str) -> (u16, Value) {
    let (code, text) = cluster
        .http()
        .send("PATCH", path, APPLY, Some(config.as_bytes()));
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, value)
}

/// The managed fields entry of `manager` on the object at `path`.
fn entry(cluster: &Cluster, path: &str, manager: &str) -> Option<Value> {
    let (code, text) = cluster.http().get(path);
    assert_eq!(code, 200, "{text}");
    let object: Value = serde_json::from_str(&text).expect("json");
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["manager"] == manager)
        .cloned()
}

/// Applies replicas through `/scale` of the object at `path` (first
/// conflicting with kubectl's ownership, then forced) and checks who owns
/// what on the parent.
#[track_caller]
fn scale_by_apply(cluster: &Cluster, path: &str, name: &str, api_version: &str) {
    let scale = format!("{path}/scale?fieldManager=scaler");
    let (code, status) = apply(cluster, &scale, &scale_config(name, 5));
    assert_eq!(code, 409, "{status}");
    assert_eq!(status["reason"], "Conflict", "{status}");
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas",
        "{status}"
    );
    assert_eq!(status["details"]["causes"][0]["field"], ".spec.replicas");

    let (code, answer) = apply(
        cluster,
        &format!("{scale}&force=true"),
        &scale_config(name, 5),
    );
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["kind"], "Scale", "{answer}");
    assert_eq!(answer["spec"]["replicas"], 5, "{answer}");
    let (_, parent) = cluster.http().get(path);
    let parent: Value = serde_json::from_str(&parent).expect("json");
    assert_eq!(parent["spec"]["replicas"], 5, "{parent}");

    let scaler = entry(cluster, path, "scaler").expect("an entry for the scaler");
    assert_eq!(scaler["operation"], "Apply", "{scaler}");
    assert_eq!(scaler["apiVersion"], api_version, "{scaler}");
    assert_eq!(scaler["subresource"], "scale", "{scaler}");
    assert_eq!(
        scaler["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}}),
        "{scaler}"
    );
    let kubectl = entry(cluster, path, "kubectl").expect("kubectl keeps the rest");
    assert!(
        kubectl["fieldsV1"]["f:spec"].get("f:replicas").is_none(),
        "{kubectl}"
    );
    assert!(
        kubectl["fieldsV1"]["f:spec"]
            .as_object()
            .is_some_and(|spec| !spec.is_empty()),
        "{kubectl}"
    );

    // Applying the same again conflicts with no one and keeps the entry.
    let (code, answer) = apply(cluster, &scale, &scale_config(name, 5));
    assert_eq!(code, 200, "{answer}");
    assert_eq!(entry(cluster, path, "scaler"), Some(scaler));
}

#[test]
fn apply_through_scale_moves_the_ownership_of_replicas() {
    let cluster = crate::crd::with_crd();
    for (kind, plural) in [
        ("Deployment", "deployments"),
        ("ReplicaSet", "replicasets"),
        ("StatefulSet", "statefulsets"),
    ] {
        let name = format!("{plural}-web");
        cluster.ok_stdin(
            &["apply", "--server-side", "-f", "-"],
            &workload(kind, &name),
        );
        let path = format!("/apis/apps/v1/namespaces/default/{plural}/{name}");
        scale_by_apply(&cluster, &path, &name, "apps/v1");
    }

    // kubectl's next apply of the replicas now conflicts with the scaler.
    let again = cluster.kubectl_stdin(
        &["apply", "--server-side", "-f", "-"],
        Some(&workload("Deployment", "deployments-web")),
    );
    assert!(!again.success, "{}", again.stdout);
    assert!(
        again.stderr.contains(
            "Apply failed with 1 conflict: conflict with \"scaler\" with subresource \"scale\": .spec.replicas"
        ),
        "{}",
        again.stderr
    );
    // A configuration without the replicas gives them up.
    let without = workload("Deployment", "deployments-web").replace("  replicas: 2\n", "");
    cluster.ok_stdin(&["apply", "--server-side", "-f", "-"], &without);
    assert_eq!(
        cluster.jsonpath(
            "default",
            "deployment",
            "deployments-web",
            "{.spec.replicas}"
        ),
        "5"
    );

    // A custom resource's scale subresource, at the path its CRD declares.
    cluster.ok_stdin(
        &["apply", "--server-side", "-f", "-"],
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: default\nspec:\n  size: 3\n  replicas: 2\n",
    );
    scale_by_apply(
        &cluster,
        "/apis/example.com/v1/namespaces/default/widgets/w1",
        "w1",
        "example.com/v1",
    );

    // The apply options are checked as on the object itself, and only a
    // Scale is applied to /scale.
    let path = "/apis/apps/v1/namespaces/default/deployments/deployments-web/scale";
    let (code, status) = apply(&cluster, path, &scale_config("deployments-web", 1));
    assert_eq!(code, 422, "{status}");
    let (code, status) = apply(
        &cluster,
        &format!("{path}?fieldManager=scaler"),
        &workload("Deployment", "deployments-web"),
    );
    assert_eq!(code, 400, "{status}");
}

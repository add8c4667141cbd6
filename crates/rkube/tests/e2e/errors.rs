//! Bad input gets upstream's status code, Status reason and a precise message;
//! nothing is written and the server stays up.

use crate::support::{reason, Cluster};

#[test]
fn invalid_objects_are_refused_with_422() {
    let cluster = Cluster::start();
    let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c"}]}}"#;
    let (code, body) = cluster
        .http()
        .post_json("/api/v1/namespaces/default/pods", pod);
    assert_eq!((code, reason(&body).as_str()), (422, "Invalid"), "{body}");
    assert!(
        body.contains("metadata.name: Invalid value: \\\"Bad_Name\\\""),
        "{body}"
    );
    assert!(
        body.contains("spec.containers[0].image: Required value"),
        "{body}"
    );
    let no_containers =
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"empty"},"spec":{"containers":[]}}"#;
    let (code, body) = cluster
        .http()
        .post_json("/api/v1/namespaces/default/pods", no_containers);
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("spec.containers: Required value"), "{body}");
    // Nothing was written.
    assert_eq!(
        cluster.ok(&["get", "pods", "-n", "default", "-o", "name"]),
        ""
    );
    // kubectl words it from the Status details, as it does against upstream.
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: b}\n    spec:\n      containers:\n      - name: c\n        image: i\n";
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], Some(manifest));
    assert!(!run.success);
    assert!(
        run.stderr.contains("The Deployment \"d\" is invalid")
            && run.stderr.contains("spec.template.metadata.labels"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_and_oversized_bodies() {
    let cluster = Cluster::start();
    let http = cluster.http();
    let (code, body) = http.post_json("/api/v1/namespaces/default/configmaps", "{not json");
    assert_eq!(
        (code, reason(&body).as_str()),
        (400, "BadRequest"),
        "{body}"
    );
    let wrong_type =
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":1}}"#;
    let (code, body) = http.post_json("/api/v1/namespaces/default/configmaps", wrong_type);
    assert_eq!(
        (code, reason(&body).as_str()),
        (400, "BadRequest"),
        "{body}"
    );
    let big = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"big"}},"data":{{"a":"{}"}}}}"#,
        "x".repeat(4 * 1024 * 1024)
    );
    let (code, body) = http.post_json("/api/v1/namespaces/default/configmaps", &big);
    assert_eq!(
        (code, reason(&body).as_str()),
        (413, "RequestEntityTooLarge"),
        "{body}"
    );
    let (code, body) = http.send(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "text/plain",
        Some(b"hello"),
    );
    assert_eq!(
        (code, reason(&body).as_str()),
        (415, "UnsupportedMediaType"),
        "{body}"
    );
    let (code, body) = http.send(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/none",
        "application/merge-patch+json",
        Some(b"{}"),
    );
    assert_eq!((code, reason(&body).as_str()), (404, "NotFound"), "{body}");
    let (code, body) = http.get("/api/v1/namespaces/default/widgets");
    assert_eq!((code, reason(&body).as_str()), (404, "NotFound"), "{body}");
    let (code, _) = http.send(
        "POST",
        "/api/v1/namespaces/default/configmaps/x",
        "application/json",
        Some(b"{}"),
    );
    assert_eq!(code, 405);
    let (code, body) = http.send(
        "POST",
        "/api/v1/namespaces/default/pods",
        "application/json",
        Some(br#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}"#),
    );
    assert_eq!(
        (code, reason(&body).as_str()),
        (400, "BadRequest"),
        "{body}"
    );
    // Creating in a namespace that does not exist.
    let (code, body) = http.post_json(
        "/api/v1/namespaces/nowhere/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#,
    );
    assert_eq!((code, reason(&body).as_str()), (404, "NotFound"), "{body}");
    assert!(
        body.contains("namespaces \\\"nowhere\\\" not found"),
        "{body}"
    );
    // Strict field validation, as kubectl --validate=strict asks.
    let unknown = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: 1\n";
    let run = cluster.kubectl_stdin(&["apply", "--validate=strict", "-f", "-"], Some(unknown));
    assert!(!run.success);
    assert!(
        run.stderr.contains("unknown field \"bogus\""),
        "{}",
        run.stderr
    );
    // Nothing was written and the server still answers.
    assert_eq!(
        crate::support::without_root_ca(&cluster.ok(&["get", "cm", "-n", "default", "-o", "name"])),
        ""
    );
}

#[test]
fn stale_updates_conflict() {
    let cluster = Cluster::start();
    cluster.configmap("default", "c", &[("a", "1")]);
    let current: serde_json::Value =
        serde_json::from_str(&cluster.ok(&["get", "cm", "c", "-o", "json"])).unwrap();
    let mut first = current.clone();
    first["data"]["a"] = "2".into();
    let (code, _) = cluster.http().send(
        "PUT",
        "/api/v1/namespaces/default/configmaps/c",
        "application/json",
        Some(first.to_string().as_bytes()),
    );
    assert_eq!(code, 200);
    let mut second = current;
    second["data"]["a"] = "3".into();
    let (code, body) = cluster.http().send(
        "PUT",
        "/api/v1/namespaces/default/configmaps/c",
        "application/json",
        Some(second.to_string().as_bytes()),
    );
    assert_eq!((code, reason(&body).as_str()), (409, "Conflict"), "{body}");
    assert_eq!(
        cluster.ok(&["get", "cm", "c", "-o", "jsonpath={.data.a}"]),
        "2"
    );
}

//! The answers of writes in the form asked for: create, update, patch and
//! delete with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` answer a
//! one-row Table, as upstream; a Status stays a Status.

use serde_json::{json, Value};

use crate::support::Cluster;

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
const METADATA: &str = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io";
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// Sends a JSON body (or none) accepting `accept`; returns the status and the
/// parsed answer.
fn call(
    cluster: &Cluster,
    method: &str,
    path: &str,
    content_type: &str,
    accept: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let (code, text) = cluster.http().send_with(
        method,
        path,
        &[("Content-Type", content_type), ("Accept", accept)],
        body.map(|b| b.to_string().into_bytes()),
    );
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, value)
}

#[track_caller]
fn assert_one_row(table: &Value, name: &str, object_kind: &str) {
    assert_eq!(table["kind"], "Table", "{table}");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1", "{table}");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("column definitions")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, ["Name", "Data", "Age"], "{table}");
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{table}");
    assert_eq!(rows[0]["cells"][0], name, "{table}");
    assert_eq!(rows[0]["object"]["kind"], object_kind, "{table}");
    assert_eq!(rows[0]["object"]["metadata"]["name"], name, "{table}");
    assert!(table["metadata"]["resourceVersion"].is_string(), "{table}");
}

#[test]
fn writes_answer_tables_when_asked() {
    let cluster = Cluster::start();
    let config = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "tabled"}, "data": {"a": "1"}});
    let (code, created) = call(
        &cluster,
        "POST",
        CONFIGMAPS,
        "application/json",
        TABLE,
        Some(config.clone()),
    );
    assert_eq!(code, 201, "{created}");
    assert_one_row(&created, "tabled", "PartialObjectMetadata");
    assert_eq!(created["rows"][0]["cells"][1], 1);

    // Update with the whole object in the row.
    let path = format!("{CONFIGMAPS}/tabled");
    let mut updated = config.clone();
    updated["data"]["b"] = json!("2");
    let (code, table) = call(
        &cluster,
        "PUT",
        &format!("{path}?includeObject=Object"),
        "application/json",
        TABLE,
        Some(updated),
    );
    assert_eq!(code, 200, "{table}");
    assert_one_row(&table, "tabled", "ConfigMap");
    assert_eq!(table["rows"][0]["object"]["data"]["b"], "2");
    assert_eq!(table["rows"][0]["cells"][1], 2);

    // Patches of every kind, server-side apply included.
    let (code, table) = call(
        &cluster,
        "PATCH",
        &path,
        "application/merge-patch+json",
        TABLE,
        Some(json!({"data": {"c": "3"}})),
    );
    assert_eq!(code, 200, "{table}");
    assert_one_row(&table, "tabled", "PartialObjectMetadata");
    assert_eq!(table["rows"][0]["cells"][1], 3);
    let (code, table) = call(
        &cluster,
        "PATCH",
        &format!("{path}?fieldManager=tester&includeObject=None"),
        "application/apply-patch+yaml",
        TABLE,
        Some(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tabled"}, "data": {"d": "4"}}),
        ),
    );
    assert_eq!(code, 200, "{table}");
    assert_eq!(table["kind"], "Table", "{table}");
    assert!(table["rows"][0]["object"].is_null(), "{table}");

    // Metadata only, when that is what is asked.
    let (code, partial) = call(
        &cluster,
        "PATCH",
        &path,
        "application/merge-patch+json",
        METADATA,
        Some(json!({"data": {"e": "5"}})),
    );
    assert_eq!(code, 200, "{partial}");
    assert_eq!(partial["kind"], "PartialObjectMetadata", "{partial}");
    assert_eq!(partial["metadata"]["name"], "tabled");
    assert!(partial.get("data").is_none(), "{partial}");

    // A deletion that leaves the object (a finalizer) answers a row; one that
    // removes it answers its Status.
    let (code, _) = call(
        &cluster,
        "PATCH",
        &path,
        "application/merge-patch+json",
        "application/json",
        Some(json!({"metadata": {"finalizers": ["example.com/hold"]}})),
    );
    assert_eq!(code, 200);
    let (code, table) = call(&cluster, "DELETE", &path, "application/json", TABLE, None);
    assert_eq!(code, 200, "{table}");
    assert_one_row(&table, "tabled", "PartialObjectMetadata");
    assert!(
        table["rows"][0]["object"]["metadata"]["deletionTimestamp"].is_string(),
        "{table}"
    );
    let (code, _) = call(
        &cluster,
        "PATCH",
        &path,
        "application/merge-patch+json",
        "application/json",
        Some(json!({"metadata": {"finalizers": null}})),
    );
    assert_eq!(code, 200);
    let (code, created) = call(
        &cluster,
        "POST",
        CONFIGMAPS,
        "application/json",
        "application/json",
        Some(config),
    );
    assert_eq!(code, 201, "{created}");
    let (code, status) = call(&cluster, "DELETE", &path, "application/json", TABLE, None);
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["kind"], "Status", "{status}");
    assert_eq!(status["status"], "Success", "{status}");

    // A delete of a collection answers a row per object deleted.
    for name in ["one", "two"] {
        let labeled = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"batch": "x"}}});
        let (code, _) = call(
            &cluster,
            "POST",
            CONFIGMAPS,
            "application/json",
            "application/json",
            Some(labeled),
        );
        assert_eq!(code, 201);
    }
    let (code, table) = call(
        &cluster,
        "DELETE",
        &format!("{CONFIGMAPS}?labelSelector=batch%3Dx"),
        "application/json",
        TABLE,
        None,
    );
    assert_eq!(code, 200, "{table}");
    assert_eq!(table["kind"], "Table", "{table}");
    let names: Vec<&Value> = table["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["cells"][0])
        .collect();
    assert_eq!(names, [&json!("one"), &json!("two")], "{table}");

    // Errors stay Status, and an unknown includeObject is refused before
    // anything is written.
    let (code, status) = call(&cluster, "DELETE", &path, "application/json", TABLE, None);
    assert_eq!(code, 404, "{status}");
    assert_eq!(status["reason"], "NotFound");
    let (code, status) = call(
        &cluster,
        "POST",
        &format!("{CONFIGMAPS}?includeObject=Everything"),
        "application/json",
        TABLE,
        Some(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "never"}})),
    );
    assert_eq!(code, 400, "{status}");
    assert!(!cluster.kubectl(&["get", "configmap", "never"]).success);
}

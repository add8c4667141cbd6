//! Tests of the three patch types.

use serde_json::{json, Value};

use super::*;
use crate::resource::lookup;

#[test]
fn merge_patches() {
    let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
    merge_patch(
        &mut target,
        &json!({"a": null, "b": {"c": 5}, "l": [3], "n": "x"}),
    );
    assert_eq!(target, json!({"b": {"c": 5, "d": 3}, "l": [3], "n": "x"}));
}

fn check_json(target: Value, patch: Value, expected: Result<Value, PatchError>) {
    assert_eq!(json_patch(&target, &patch), expected, "{patch}");
}

#[test]
fn json_patches() {
    let doc = json!({"spec": {"replicas": 1, "list": ["a"]}});
    check_json(
        doc.clone(),
        json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/list/-", "value": "b"},
            {"op": "copy", "from": "/spec/replicas", "path": "/spec/copy"},
            {"op": "move", "from": "/spec/copy", "path": "/spec/moved"},
            {"op": "remove", "path": "/spec/list/0"}
        ]),
        Ok(json!({"spec": {"replicas": 3, "list": ["b"], "moved": 3}})),
    );
    check_json(
        doc.clone(),
        json!([{"op": "test", "path": "/spec/replicas", "value": 2}]),
        Err(PatchError::Failed(
            "testing value /spec/replicas failed: test failed".into(),
        )),
    );
    check_json(
        doc.clone(),
        json!([{"op": "replace", "path": "/spec/x", "value": 2}]),
        Err(PatchError::Failed(
            "replace operation does not apply: doc is missing key: /spec/x: missing value".into(),
        )),
    );
    check_json(
        doc.clone(),
        json!([{"op": "remove", "path": "/spec/x"}]),
        Err(PatchError::Failed(
            "remove operation does not apply: doc is missing path: \"/spec/x\": missing value"
                .into(),
        )),
    );
    check_json(
        doc.clone(),
        json!({"op": "add"}),
        Err(PatchError::Malformed(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into(),
        )),
    );
    assert!(matches!(
        json_patch(&doc, &json!([{"op": "frobnicate", "path": "/a"}])),
        Err(PatchError::Malformed(_))
    ));
}

fn check_strategic(group: &str, plural: &str, target: Value, patch: Value, expected: Value) {
    let resource = lookup(group, "v1", plural).expect("resource");
    assert_eq!(
        strategic_merge_patch(resource, &target, &patch),
        Ok(expected),
        "{patch}"
    );
}

fn pod(spec: Value) -> Value {
    json!({"metadata": {"name": "p"}, "spec": spec})
}

#[test]
fn strategic_merges_lists_by_key() {
    check_strategic(
        "",
        "pods",
        pod(
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "name": "http"}]}, {"name": "b", "image": "y"}],
            "tolerations": [{"key": "k1"}]}),
        ),
        json!({"spec": {"containers": [{"name": "a", "image": "z", "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81}]}],
            "tolerations": [{"key": "k2"}]}}),
        pod(
            json!({"containers": [{"name": "a", "image": "z", "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}, {"containerPort": 81}]}, {"name": "b", "image": "y"}],
            "tolerations": [{"key": "k2"}]}),
        ),
    );
    // A new element goes after the patched ones, before later server-only ones.
    check_strategic(
        "",
        "pods",
        pod(json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})),
        json!({"spec": {"containers": [{"name": "b", "image": "i"}, {"name": "d"}]}}),
        pod(
            json!({"containers": [{"name": "a"}, {"name": "b", "image": "i"}, {"name": "d"}, {"name": "c"}]}),
        ),
    );
    check_strategic(
        "apps",
        "deployments",
        json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]}}}}),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "3"}]}]}}}}),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "3"}]}]}}}}),
    );
    check_strategic(
        "",
        "services",
        json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
        json!({"spec": {"ports": [{"port": 443}]}}),
        // As upstream's mergeSortedSlice, items only in the patch come first.
        json!({"spec": {"ports": [{"port": 443}, {"port": 80, "targetPort": 8080}]}}),
    );
}

#[test]
fn strategic_directives() {
    // null deletes; $patch: delete removes a list element by key.
    check_strategic(
        "",
        "pods",
        pod(json!({"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n"})),
        json!({"spec": {"nodeName": null, "containers": [{"name": "a", "$patch": "delete"}]}}),
        pod(json!({"containers": [{"name": "b"}]})),
    );
    // $patch: replace on a list element replaces the whole list.
    check_strategic(
        "",
        "pods",
        pod(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
        json!({"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}),
        pod(json!({"containers": [{"name": "c"}]})),
    );
    // $patch: replace in a map replaces the map; $patch: delete empties it.
    check_strategic(
        "",
        "pods",
        pod(
            json!({"securityContext": {"runAsUser": 1, "runAsGroup": 2}, "dnsConfig": {"nameservers": ["1.1.1.1"]}}),
        ),
        json!({"spec": {"securityContext": {"$patch": "replace", "fsGroup": 3}, "dnsConfig": {"$patch": "delete"}}}),
        pod(json!({"securityContext": {"fsGroup": 3}, "dnsConfig": {}})),
    );
    // Finalizers merge as a set; $deleteFromPrimitiveList removes.
    check_strategic(
        "",
        "configmaps",
        json!({"metadata": {"finalizers": ["a/x", "b/y"]}}),
        json!({"metadata": {"finalizers": ["c/z"], "$deleteFromPrimitiveList/finalizers": ["a/x"]}}),
        json!({"metadata": {"finalizers": ["b/y", "c/z"]}}),
    );
    // $retainKeys drops the fields it does not list.
    check_strategic(
        "apps",
        "deployments",
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
        json!({"spec": {"strategy": {"type": "Recreate"}}}),
    );
    // $setElementOrder orders the merged list.
    check_strategic(
        "",
        "pods",
        pod(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
        json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "i"}]}}),
        pod(json!({"containers": [{"name": "b"}, {"name": "a", "image": "i"}]})),
    );
    // Maps merge; owner references merge by uid.
    check_strategic(
        "",
        "configmaps",
        json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}, "data": {"k": "v"}}),
        json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}, "data": {"k2": "v2"}}),
        json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}, {"uid": "1", "name": "a"}]}, "data": {"k": "v", "k2": "v2"}}),
    );
}

#[test]
fn strategic_errors() {
    let resource = lookup("", "v1", "pods").expect("pods");
    let target = pod(json!({"containers": [{"name": "a"}]}));
    assert_eq!(
        strategic_merge_patch(
            resource,
            &target,
            &json!({"spec": {"containers": [{"image": "x"}]}})
        ),
        Err(PatchError::Failed(
            "map: map[image:x] does not contain declared merge key: name".into()
        ))
    );
    assert_eq!(
        strategic_merge_patch(resource, &target, &json!([])),
        Err(PatchError::Malformed(
            "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
        ))
    );
    assert_eq!(
        strategic_merge_patch(
            resource,
            &target,
            &json!({"spec": {"$retainKeys": ["a"], "b": 1}})
        ),
        Err(PatchError::Malformed(
            "invalid patch format of retainKeys".into()
        ))
    );
}

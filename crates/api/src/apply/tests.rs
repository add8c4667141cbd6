use serde_json::{json, Value};

use super::*;
use crate::resource::lookup;

const NOW: &str = "2025-01-01T00:00:00Z";
const LATER: &str = "2025-01-01T00:01:00Z";

fn deployments() -> &'static ResourceInfo {
    lookup("apps", "v1", "deployments").expect("deployments")
}

fn request<'a>(resource: &'a ResourceInfo, manager: &'a str, now: &'a str) -> Request<'a> {
    Request {
        resource,
        manager,
        subresource: "",
        now,
    }
}

fn deployment(replicas: i64, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
        },
    })
}

/// The stored form of an object: as if the server had created it.
fn stored(mut obj: Value) -> Value {
    obj["metadata"]["uid"] = json!("u-1");
    obj
}

/// The fields a manager owns, as paths.
fn owned(obj: &Value, manager: &str, operation: &str) -> Vec<String> {
    let entries = obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let entry = entries
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .unwrap_or_else(|| panic!("no {operation} entry of {manager}: {entries:?}"));
    let set = Set::from_fields_v1(&entry["fieldsV1"]).expect("fieldsV1");
    set.paths().iter().map(|p| path_string(p)).collect()
}

fn managers(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_string(),
                e["operation"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn fields_v1_round_trip() {
    let fields = json!({
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {
                    ".": {},
                    "f:image": {},
                    "f:ports": {
                        "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}},
                    },
                },
            }}},
        },
        "f:finalizers": {"v:\"a/b\"": {}},
        "f:args": {"i:0": {}},
    });
    let set = Set::from_fields_v1(&fields).expect("decodes");
    assert_eq!(set.to_fields_v1(), fields);
    assert!(set.has(&[field("spec"), field("replicas")]));
    assert!(set.has(&[field("metadata"), field("labels")]));
    assert!(!set.has(&[field("metadata")]));
    let paths: Vec<String> = set.paths().iter().map(|p| path_string(p)).collect();
    assert!(paths.contains(&".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"].containerPort".to_string()), "{paths:?}");
    assert!(
        paths.contains(&".finalizers[=\"a/b\"]".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&".args[0]".to_string()), "{paths:?}");
    // Unknown element types are skipped; malformed ones rejected.
    let with_unknown = Set::from_fields_v1(&json!({"x:what": {}, "f:a": {}})).unwrap();
    assert_eq!(with_unknown.to_fields_v1(), json!({"f:a": {}}));
    assert!(Set::from_fields_v1(&json!({"k:{": {}})).is_err());
    assert!(Set::from_fields_v1(&json!({"f": {}})).is_err());
}

#[test]
fn set_operations() {
    let a = Set::of(&[
        &[field("a"), field("b")],
        &[field("a"), field("c")],
        &[field("d")],
    ]);
    let b = Set::of(&[&[field("a")], &[field("a"), field("b")]]);
    assert_eq!(
        a.difference(&b),
        Set::of(&[&[field("a"), field("c")], &[field("d")]])
    );
    assert_eq!(a.recursive_difference(&b), Set::of(&[&[field("d")]]));
    assert_eq!(a.intersection(&b), Set::of(&[&[field("a"), field("b")]]));
    assert!(a.union(&b).has(&[field("a")]));
    assert!(a.intersection(&Set::new()).is_empty());
}

#[test]
fn applied_configuration_fields() {
    let schema = Schema::of(deployments());
    let config = deployment(
        2,
        json!([{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]),
    );
    let set = to_field_set(schema.root(), &config);
    assert_eq!(
        set.to_fields_v1(),
        json!({
            "f:apiVersion": {},
            "f:kind": {},
            "f:metadata": {"f:name": {}, "f:namespace": {}},
            "f:spec": {
                "f:replicas": {},
                // LabelSelector is an atomic struct.
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        // The key takes the default protocol.
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                            ".": {},
                            "f:containerPort": {},
                        }},
                    }}},
                },
            },
        })
    );
}

#[test]
fn apply_creates_and_owns_the_configuration() {
    let config = deployment(2, json!([{"name": "web", "image": "nginx"}]));
    let new = apply(
        &request(deployments(), "kubectl", NOW),
        None,
        &config,
        false,
    )
    .unwrap();
    assert_eq!(new["spec"]["replicas"], 2);
    let entries = new["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["manager"], "kubectl");
    assert_eq!(entries[0]["operation"], "Apply");
    assert_eq!(entries[0]["apiVersion"], "apps/v1");
    assert_eq!(entries[0]["fieldsType"], "FieldsV1");
    assert_eq!(entries[0]["time"], NOW);
    assert!(entries[0].get("subresource").is_none());
    let fields = owned(&new, "kubectl", "Apply");
    assert!(fields.contains(&".spec.replicas".to_string()), "{fields:?}");
    assert!(
        !fields.iter().any(|f| f.starts_with(".metadata.name")),
        "{fields:?}"
    );
    assert!(!fields.contains(&".apiVersion".to_string()), "{fields:?}");
}

#[test]
fn updates_own_what_they_change() {
    let resource = deployments();
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-create", NOW),
        None,
        &mut created,
    );
    let fields = created["metadata"]["managedFields"][0]["fieldsV1"].clone();
    // As upstream: new maps and list items are members themselves ("."),
    // structs that Go's zero object already has are not.
    assert_eq!(
        fields,
        json!({
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                    }}},
                },
            },
        })
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["manager"],
        "kubectl-create"
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["operation"],
        "Update"
    );

    // Another manager changes the image: it owns it, the creator no longer does.
    let live = stored(created);
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut edited,
    );
    let image = ".spec.template.spec.containers[name=\"web\"].image".to_string();
    assert_eq!(
        owned(&edited, "kubectl-edit", "Update"),
        std::slice::from_ref(&image)
    );
    assert!(!owned(&edited, "kubectl-create", "Update").contains(&image));
    // Status written through the main resource is nobody's.
    let mut with_status = stored(edited.clone());
    with_status["status"] = json!({"replicas": 3});
    let live = stored(edited);
    record_update(
        &request(resource, "other", LATER),
        Some(&live),
        &mut with_status,
    );
    assert!(!managers(&with_status).contains(&("other".into(), "Update".into())));
}

#[test]
fn updates_without_changes_record_nothing() {
    let resource = deployments();
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-create", NOW),
        None,
        &mut created,
    );
    let live = stored(created);
    let mut same = live.clone();
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut same,
    );
    assert_eq!(same, live);
    // An untracked object stays untracked until applied to.
    let mut untracked = live.clone();
    untracked["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let mut changed = untracked.clone();
    changed["spec"]["replicas"] = json!(5);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&untracked),
        &mut changed,
    );
    assert!(changed["metadata"].get("managedFields").is_none());
}

#[test]
fn managed_fields_sent_with_an_update_replace_or_reset() {
    let resource = deployments();
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-create", NOW),
        None,
        &mut created,
    );
    let live = stored(created);
    let mut reset = live.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut reset,
    );
    assert!(reset["metadata"].get("managedFields").is_none(), "{reset}");

    let mut replaced = live.clone();
    replaced["metadata"]["managedFields"] = json!([{
        "manager": "someone", "operation": "Apply", "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}},
    }]);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut replaced,
    );
    assert_eq!(
        managers(&replaced),
        [("someone".to_string(), "Apply".to_string())]
    );

    // Invalid entries are ignored: the stored ones stay.
    let mut invalid = live.clone();
    invalid["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Delete"}]);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut invalid,
    );
    assert_eq!(
        invalid["metadata"]["managedFields"],
        live["metadata"]["managedFields"]
    );
}

#[test]
fn conflicts_name_each_field_and_manager() {
    let resource = deployments();
    let config = deployment(2, json!([{"name": "web", "image": "nginx"}]));
    let live = stored(apply(&request(resource, "alice", NOW), None, &config, false).unwrap());
    // Same values: shared ownership, no conflict.
    let shared = stored(
        apply(
            &request(resource, "bob", LATER),
            Some(&live),
            &config,
            false,
        )
        .unwrap(),
    );
    assert!(owned(&shared, "bob", "Apply").contains(&".spec.replicas".to_string()));
    assert!(owned(&shared, "alice", "Apply").contains(&".spec.replicas".to_string()));

    let changed = deployment(3, json!([{"name": "web", "image": "nginx:2"}]));
    let err = apply(
        &request(resource, "carol", LATER),
        Some(&live),
        &changed,
        false,
    )
    .unwrap_err();
    let ApplyError::Conflict { message, causes } = err else {
        panic!("not a conflict: {err:?}");
    };
    assert_eq!(
        message,
        "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
    );
    assert_eq!(
        causes[0],
        (
            ".spec.replicas".to_string(),
            "conflict with \"alice\"".to_string()
        )
    );

    let one = deployment(3, json!([{"name": "web", "image": "nginx"}]));
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-client-side-apply", NOW),
        None,
        &mut created,
    );
    let err = apply(
        &request(resource, "kubectl", LATER),
        Some(&stored(created)),
        &one,
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
    );
}

#[test]
fn force_takes_ownership() {
    let resource = deployments();
    let config = deployment(2, json!([{"name": "web", "image": "nginx"}]));
    let live = stored(apply(&request(resource, "alice", NOW), None, &config, false).unwrap());
    let changed = deployment(3, json!([{"name": "web", "image": "nginx"}]));
    let forced = apply(
        &request(resource, "bob", LATER),
        Some(&live),
        &changed,
        true,
    )
    .unwrap();
    assert_eq!(forced["spec"]["replicas"], 3);
    assert!(owned(&forced, "bob", "Apply").contains(&".spec.replicas".to_string()));
    assert!(!owned(&forced, "alice", "Apply").contains(&".spec.replicas".to_string()));
}

#[test]
fn dropping_a_field_removes_it_unless_someone_else_owns_it() {
    let resource = deployments();
    let mut config = deployment(2, json!([{"name": "web", "image": "nginx"}]));
    config["metadata"]["labels"] = json!({"team": "a", "tier": "web"});
    let live = stored(apply(&request(resource, "alice", NOW), None, &config, false).unwrap());

    let mut dropped = config.clone();
    dropped["metadata"]["labels"] = json!({"team": "a"});
    dropped["spec"].as_object_mut().unwrap().remove("replicas");
    let new = apply(
        &request(resource, "alice", LATER),
        Some(&live),
        &dropped,
        false,
    )
    .unwrap();
    assert_eq!(new["metadata"]["labels"], json!({"team": "a"}));
    assert!(new["spec"].get("replicas").is_none(), "{new}");

    // Co-owned by bob, the label stays.
    let bobs = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"tier": "web"}}});
    let co_owned =
        stored(apply(&request(resource, "bob", LATER), Some(&live), &bobs, false).unwrap());
    let new = apply(
        &request(resource, "alice", LATER),
        Some(&co_owned),
        &dropped,
        false,
    )
    .unwrap();
    assert_eq!(
        new["metadata"]["labels"],
        json!({"team": "a", "tier": "web"})
    );
    // Updated by someone else after alice applied it, the field is theirs.
    let mut edited = live.clone();
    edited["spec"]["replicas"] = json!(7);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut edited,
    );
    let new = apply(
        &request(resource, "alice", LATER),
        Some(&stored(edited)),
        &dropped,
        false,
    )
    .unwrap();
    assert_eq!(new["spec"]["replicas"], 7);
}

#[test]
fn two_appliers_share_a_map_list() {
    let resource = deployments();
    let first = deployment(1, json!([{"name": "a", "image": "one"}]));
    let live = stored(apply(&request(resource, "alice", NOW), None, &first, false).unwrap());
    let mut second = deployment(1, json!([{"name": "b", "image": "two"}]));
    second["spec"].as_object_mut().unwrap().remove("replicas");
    let both = stored(
        apply(
            &request(resource, "bob", LATER),
            Some(&live),
            &second,
            false,
        )
        .unwrap(),
    );
    let names: Vec<&str> = both["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(owned(&both, "bob", "Apply")
        .contains(&".spec.template.spec.containers[name=\"b\"].image".to_string()));
    // Bob drops his container: only it goes.
    let mut without = second.clone();
    without["spec"]["template"]["spec"]["containers"] = json!([]);
    let new = apply(
        &request(resource, "bob", LATER),
        Some(&both),
        &without,
        false,
    )
    .unwrap();
    let names: Vec<&str> = new["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a"]);
}

#[test]
fn set_lists_merge_by_value() {
    let resource = lookup("", "v1", "configmaps").unwrap();
    let config = |finalizers: Value| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "finalizers": finalizers}})
    };
    let live = stored(
        apply(
            &request(resource, "alice", NOW),
            None,
            &config(json!(["a/x"])),
            false,
        )
        .unwrap(),
    );
    let both = stored(
        apply(
            &request(resource, "bob", LATER),
            Some(&live),
            &config(json!(["b/y"])),
            false,
        )
        .unwrap(),
    );
    assert_eq!(both["metadata"]["finalizers"], json!(["a/x", "b/y"]));
    assert_eq!(
        owned(&both, "bob", "Apply"),
        [".metadata.finalizers[=\"b/y\"]"]
    );
    let dropped = apply(
        &request(resource, "alice", LATER),
        Some(&both),
        &config(json!([])),
        false,
    )
    .unwrap();
    assert_eq!(dropped["metadata"]["finalizers"], json!(["b/y"]));
}

#[test]
fn atomic_lists_are_replaced_whole() {
    let resource = deployments();
    let with_args =
        |args: Value| deployment(1, json!([{"name": "web", "image": "i", "args": args}]));
    let live = stored(
        apply(
            &request(resource, "alice", NOW),
            None,
            &with_args(json!(["a", "b"])),
            false,
        )
        .unwrap(),
    );
    let new = apply(
        &request(resource, "alice", LATER),
        Some(&live),
        &with_args(json!(["c"])),
        false,
    )
    .unwrap();
    assert_eq!(
        new["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["c"])
    );
    assert!(owned(&new, "alice", "Apply")
        .contains(&".spec.template.spec.containers[name=\"web\"].args".to_string()));
}

#[test]
fn list_merge_order() {
    let schema = Schema::of(deployments());
    let ty = schema.root();
    let containers = |names: &[&str]| {
        let list: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
        deployment(1, Value::Array(list))
    };
    let names = |obj: &Value| -> Vec<String> {
        obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let merged = merge(ty, &containers(&["a", "b", "c"]), &containers(&["d", "b"]));
    assert_eq!(names(&merged), ["a", "d", "b", "c"]);
    let merged = merge(ty, &containers(&["a", "b"]), &containers(&["b", "a"]));
    assert_eq!(names(&merged), ["b", "a"]);
}

#[test]
fn first_apply_to_an_untracked_object() {
    let resource = deployments();
    let live = stored(deployment(1, json!([{"name": "web", "image": "nginx"}])));
    let config = deployment(4, json!([{"name": "web", "image": "nginx"}]));
    let err = apply(
        &request(resource, "alice", NOW),
        Some(&live),
        &config,
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: .spec.replicas"
    );
    let same = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    let new = apply(&request(resource, "alice", NOW), Some(&live), &same, false).unwrap();
    assert_eq!(
        managers(&new),
        [
            ("alice".to_string(), "Apply".to_string()),
            ("before-first-apply".to_string(), "Update".to_string())
        ]
    );
}

#[test]
fn kubectl_takes_over_what_client_side_apply_set() {
    let resource = deployments();
    let applied = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    let mut created = applied.clone();
    created["metadata"]["annotations"] =
        json!({LAST_APPLIED: serde_json::to_string(&applied).unwrap()});
    record_update(
        &request(resource, "kubectl-client-side-apply", NOW),
        None,
        &mut created,
    );
    let live = stored(created);
    let changed = deployment(2, json!([{"name": "web", "image": "nginx"}]));
    // Any other manager conflicts.
    assert!(apply(
        &request(resource, "other", LATER),
        Some(&live),
        &changed,
        false
    )
    .is_err());
    let new = apply(
        &request(resource, "kubectl", LATER),
        Some(&live),
        &changed,
        false,
    )
    .unwrap();
    assert_eq!(new["spec"]["replicas"], 2);
    assert!(owned(&new, "kubectl", "Apply").contains(&".spec.replicas".to_string()));
    // The server keeps the annotation up to date for kubectl.
    let annotation = new["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .unwrap();
    let recorded: Value = serde_json::from_str(annotation).unwrap();
    assert_eq!(recorded, changed);
    assert!(annotation.ends_with('\n'));
    // A field the live object no longer holds as applied is not taken over.
    let mut edited = live.clone();
    edited["spec"]["replicas"] = json!(9);
    record_update(
        &request(resource, "kubectl-edit", LATER),
        Some(&live),
        &mut edited,
    );
    let err = apply(
        &request(resource, "kubectl", LATER),
        Some(&stored(edited)),
        &changed,
        false,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("\"kubectl-edit\" using apps/v1"),
        "{err}"
    );
}

#[test]
fn bad_configurations() {
    let resource = deployments();
    let mut other_kind = deployment(1, json!([]));
    other_kind["kind"] = json!("StatefulSet");
    assert_eq!(
        apply(&request(resource, "m", NOW), None, &other_kind, false).unwrap_err(),
        ApplyError::BadRequest("invalid object type: apps/v1, Kind=StatefulSet".into())
    );
    let configmaps = lookup("", "v1", "configmaps").unwrap();
    assert_eq!(
        apply(
            &request(configmaps, "m", NOW),
            None,
            &json!({"metadata": {"name": "x"}}),
            false
        )
        .unwrap_err()
        .to_string(),
        "invalid object type: /, Kind="
    );
    let mut unknown = deployment(1, json!([{"name": "web", "image": "i", "bogus": 1}]));
    unknown["spec"]["foo"] = json!(1);
    let err = apply(&request(resource, "m", NOW), None, &unknown, false).unwrap_err();
    assert_eq!(
        err,
        ApplyError::Internal("failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n  .spec.foo: field not declared in schema\n  .spec.template.spec.containers[name=\"web\"].bogus: field not declared in schema".into())
    );
    let duplicated = deployment(1, json!([{"name": "a"}, {"name": "a"}]));
    let err = apply(&request(resource, "m", NOW), None, &duplicated, false).unwrap_err();
    assert!(
        err.to_string()
            .ends_with(".spec.template.spec.containers: duplicate entries for key [name=\"a\"]"),
        "{err}"
    );
    let mut with_managed = deployment(1, json!([]));
    with_managed["metadata"]["managedFields"] = json!([]);
    assert_eq!(
        apply(&request(resource, "m", NOW), None, &with_managed, false).unwrap_err(),
        ApplyError::BadRequest("metadata.managedFields must be nil".into())
    );
}

#[test]
fn subresource_writes_are_their_own_managers() {
    let resource = deployments();
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-create", NOW),
        None,
        &mut created,
    );
    let live = stored(created);
    let mut new = live.clone();
    new["status"] = json!({"replicas": 1});
    new["spec"]["replicas"] = json!(8);
    let status = Request {
        subresource: "status",
        ..request(resource, "kubelet", LATER)
    };
    record_update(&status, Some(&live), &mut new);
    let entry = new["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "kubelet")
        .cloned()
        .unwrap();
    assert_eq!(entry["subresource"], "status");
    // Through status, spec is nobody's.
    assert_eq!(
        entry["fieldsV1"],
        json!({"f:status": {".": {}, "f:replicas": {}}})
    );
}

#[test]
fn update_entries_are_capped() {
    let resource = lookup("", "v1", "configmaps").unwrap();
    let mut live =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}});
    record_update(&request(resource, "creator", NOW), None, &mut live);
    let mut live = stored(live);
    for i in 0..12 {
        let mut new = live.clone();
        new["data"][format!("k{i}")] = json!("v");
        let time = format!("2025-01-01T00:00:{i:02}Z");
        let manager = format!("m{i}");
        record_update(&request(resource, &manager, &time), Some(&live), &mut new);
        live = new;
    }
    let list = managers(&live);
    assert!(list.len() <= MAX_UPDATE_MANAGERS, "{list:?}");
    assert!(
        list.contains(&("ancient-changes".to_string(), "Update".to_string())),
        "{list:?}"
    );
}

#[test]
fn unchanged_times_are_kept() {
    let resource = deployments();
    let mut created = deployment(1, json!([{"name": "web", "image": "nginx"}]));
    record_update(
        &request(resource, "kubectl-create", NOW),
        None,
        &mut created,
    );
    let old = stored(created);
    let mut new = old.clone();
    new["metadata"]["managedFields"][0]["time"] = json!(LATER);
    keep_unchanged_times(&mut new, &old);
    assert_eq!(new, old);
    new["metadata"]["managedFields"][0]["time"] = json!(LATER);
    new["spec"]["replicas"] = json!(2);
    keep_unchanged_times(&mut new, &old);
    assert_eq!(new["metadata"]["managedFields"][0]["time"], LATER);
}

use serde_json::{json, Value};

use super::*;

const VERSION: &str = "v1.33.0";

fn core() -> Value {
    v3_document("", "v1", VERSION).expect("core/v1 is served")
}

fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "{name} missing");
    schema
}

#[test]
fn kinds_are_named_as_upstream_with_their_group_version_kind() {
    let document = core();
    assert_eq!(document["openapi"], "3.0.0");
    assert_eq!(document["info"]["version"], VERSION);
    let pod = schema(&document, "io.k8s.api.core.v1.Pod");
    assert_eq!(
        pod["x-kubernetes-group-version-kind"],
        json!([{"group": "", "version": "v1", "kind": "Pod"}])
    );
    assert!(pod["description"]
        .as_str()
        .unwrap()
        .starts_with("Pod is a collection of containers"));
    // metadata is not required, and references with siblings are wrapped in allOf.
    assert!(pod.get("required").is_none(), "{pod}");
    assert_eq!(
        pod["properties"]["spec"]["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}])
    );
    assert_eq!(pod["properties"]["spec"]["default"], json!({}));
    let list = schema(&document, "io.k8s.api.core.v1.PodList");
    assert_eq!(
        list["x-kubernetes-group-version-kind"][0]["kind"],
        "PodList"
    );
    assert_eq!(
        list["properties"]["items"]["items"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Pod"
    );
}

#[test]
fn every_reference_resolves() {
    for (group, version) in group_versions() {
        let document = v3_document(group, version, VERSION).unwrap();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let mut references = Vec::new();
        collect_references(&document, &mut references);
        assert!(!references.is_empty());
        for reference in references {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{reference} is not a v3 reference"));
            assert!(schemas.contains_key(name), "{group}/{version}: {name}");
        }
    }
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                assert_eq!(object.len(), 1, "a $ref with siblings: {value}");
                out.push(reference.clone());
            }
            object.values().for_each(|v| collect_references(v, out));
        }
        Value::Array(values) => values.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

#[test]
fn extensions_follow_the_go_types() {
    let document = core();
    let container = &schema(&document, "io.k8s.api.core.v1.Container")["properties"];
    assert_eq!(
        container["ports"]["x-kubernetes-patch-merge-key"],
        "containerPort"
    );
    assert_eq!(container["ports"]["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(container["ports"]["x-kubernetes-list-type"], "map");
    assert_eq!(
        container["ports"]["x-kubernetes-list-map-keys"],
        json!(["containerPort", "protocol"])
    );
    assert_eq!(container["name"]["default"], "");
    assert_eq!(container["args"]["items"]["default"], "");
    assert_eq!(
        container["imagePullPolicy"]["enum"],
        json!(["Always", "IfNotPresent", "Never"])
    );
    let spec = &schema(&document, "io.k8s.api.core.v1.PodSpec")["properties"];
    assert_eq!(
        spec["volumes"]["x-kubernetes-patch-strategy"],
        "merge,retainKeys"
    );
    assert_eq!(spec["containers"]["items"]["default"], json!({}));
    let port = &schema(&document, "io.k8s.api.core.v1.ContainerPort")["properties"];
    assert_eq!(port["protocol"]["default"], "TCP");
    let meta = &schema(&document, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")["properties"];
    assert_eq!(meta["finalizers"]["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(
        meta["ownerReferences"]["x-kubernetes-patch-merge-key"],
        "uid"
    );
    let selector = schema(
        &document,
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    );
    assert_eq!(selector["x-kubernetes-map-type"], "atomic");
    let int_or_string = schema(&document, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assert_eq!(int_or_string["format"], "int-or-string");
    assert!(int_or_string["oneOf"].is_array());

    let apps = v3_document("apps", "v1", VERSION).unwrap();
    let strategy = &schema(&apps, "io.k8s.api.apps.v1.DeploymentSpec")["properties"]["strategy"];
    assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
}

#[test]
fn patch_operations_declare_field_validation_and_strategic_merge() {
    let apps = v3_document("apps", "v1", VERSION).unwrap();
    let item = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment"})
    );
    assert!(patch["requestBody"]["content"]["application/strategic-merge-patch+json"].is_object());
    let names: Vec<&str> = patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"fieldValidation") && names.contains(&"dryRun"),
        "{names:?}"
    );
    let scale = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["get"]["x-kubernetes-group-version-kind"]["kind"],
        "Scale"
    );
    assert!(apps["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].is_object());
    // Namespaces cannot be deleted as a collection.
    let core = core();
    assert!(core["paths"]["/api/v1/namespaces"].get("delete").is_none());
    assert!(core["paths"]["/api/v1/namespaces/{namespace}/pods"]["delete"].is_object());
    assert_eq!(
        core["paths"]["/api/v1/pods"]["get"]["operationId"],
        "listCoreV1PodForAllNamespaces"
    );
    let rbac = v3_document("rbac.authorization.k8s.io", "v1", VERSION).unwrap();
    assert_eq!(
        rbac["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["get"]["operationId"],
        "listRbacAuthorizationV1ClusterRole"
    );
}

#[test]
fn unknown_group_versions_have_no_document() {
    assert!(v3_document("apps", "v1beta1", VERSION).is_none());
    assert_eq!(parse_v3_path("apis/apps/v1"), Some(("apps", "v1")));
    assert_eq!(parse_v3_path("api/v1"), Some(("", "v1")));
    assert_eq!(parse_v3_path("apis/nope/v1"), None);
    assert_eq!(v3_path("", "v1"), "api/v1");
}

#[test]
fn every_builtin_resource_is_documented() {
    for resource in crate::resource::builtin() {
        let document = v3_document(resource.group, resource.version, VERSION).unwrap();
        let name = definitions::kind_definition(resource);
        assert!(
            document["components"]["schemas"][&name].is_object(),
            "{name} missing: add its type to `kind_type` in openapi/definitions.rs"
        );
    }
    // Create-only kinds have only their collection's POST.
    let review = v3_document("authorization.k8s.io", "v1", VERSION);
    if let Some(review) = review {
        let paths = review["paths"].as_object().unwrap();
        assert!(
            paths.keys().all(|p| !p.ends_with("{name}")),
            "{:?}",
            paths.keys()
        );
    }
}

#[test]
fn swagger_uses_definitions_and_body_parameters() {
    let document = v2_document(VERSION);
    assert_eq!(document["swagger"], "2.0");
    let definitions = document["definitions"].as_object().unwrap();
    let pod = &definitions["io.k8s.api.core.v1.Pod"];
    assert_eq!(
        pod["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.core.v1.PodSpec"
    );
    assert!(pod["properties"]["spec"].get("allOf").is_none());
    assert_eq!(
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"],
        "string"
    );
    let text = document.to_string();
    assert!(!text.contains("#/components/schemas/"));
    let patch = &document["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"];
    assert_eq!(patch["parameters"][0]["in"], "body");
    assert!(patch["consumes"]
        .as_array()
        .unwrap()
        .contains(&json!("application/strategic-merge-patch+json")));
    let field_validation = patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "fieldValidation")
        .unwrap();
    assert_eq!(field_validation["type"], "string");
    assert_eq!(field_validation["in"], "query");
    // Every group version's paths are there.
    assert!(document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"].is_object());
    assert!(document["paths"]["/apis/batch/v1/namespaces/{namespace}/jobs"].is_object());
}

#[test]
fn swagger_protobuf_has_the_definitions() {
    use protobuf::decode::{fields, Field};
    let document = v2_document(VERSION);
    let bytes = v2_protobuf(&document);
    let top = fields(&bytes);
    let swagger = top.iter().find(|(n, _)| *n == 1).unwrap();
    assert!(matches!(swagger.1, Field::Bytes(b"2.0")));
    let Some((_, Field::Bytes(definitions))) = top.iter().find(|(n, _)| *n == 9) else {
        panic!("no definitions");
    };
    let named = fields(definitions);
    assert_eq!(
        named.len(),
        document["definitions"].as_object().unwrap().len()
    );
    // Find Pod and its group-version-kind extension.
    let pod = named
        .iter()
        .find_map(|(_, field)| {
            let Field::Bytes(bytes) = field else {
                return None;
            };
            let inner = fields(bytes);
            match inner.first() {
                Some((1, Field::Bytes(b"io.k8s.api.core.v1.Pod"))) => Some(inner),
                _ => None,
            }
        })
        .expect("Pod definition");
    let Some((2, Field::Bytes(schema))) = pod.get(1) else {
        panic!("no schema");
    };
    let schema_fields = fields(schema);
    let extension = schema_fields
        .iter()
        .find_map(|(n, f)| match (n, f) {
            (31, Field::Bytes(b)) => Some(fields(b)),
            _ => None,
        })
        .expect("vendor extension");
    assert!(matches!(
        extension[0].1,
        Field::Bytes(b"x-kubernetes-group-version-kind")
    ));
    let Field::Bytes(any) = extension[1].1 else {
        panic!()
    };
    let yaml = fields(any);
    let Field::Bytes(text) = yaml[0].1 else {
        panic!()
    };
    let value: Value = serde_json::from_slice(text).unwrap();
    assert_eq!(
        value,
        json!([{"group": "", "kind": "Pod", "version": "v1"}])
    );
}

//! The schemas of a set of resources and of everything they refer to, in the
//! shape of upstream's OpenAPI v3 `components.schemas`.
//!
//! `k8s-openapi`'s `schemars` impls give each type's schema with upstream's
//! name (`io.k8s.api.core.v1.Pod`) and descriptions, and a `$ref` for every
//! named type it uses. Upstream's generator (kube-openapi) differs in a few
//! ways that this module undoes: a `$ref` never has siblings (the description
//! and default go beside an `allOf` of the one reference), `metadata` is never
//! required, `IntOrString` and `Quantity` are `oneOf`s, list kinds exist, and
//! kinds carry `x-kubernetes-group-version-kind`.

use k8s_openapi::schemars::generate::SchemaSettings;
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::extensions;
use crate::resource::{ResourceInfo, Subresource};

/// Where references point in a v3 document.
pub(super) const V3_PREFIX: &str = "#/components/schemas/";

const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(super) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";
pub(super) const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";
const JSON_SCHEMA_PROPS_OR: &str =
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOr";

/// The definitions of `resources` (kinds and their lists), of the meta types
/// every path uses (Status, DeleteOptions, WatchEvent, Patch, APIResourceList),
/// of `autoscaling/v1` Scale when a resource has a scale subresource, and of
/// everything these refer to.
pub(super) fn build(resources: &[&'static ResourceInfo]) -> Map<String, Value> {
    let mut settings = SchemaSettings::default();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = SchemaGenerator::new(settings);
    let mut kinds = Vec::new();
    for resource in resources {
        if let Some(name) = add_resource_type(&mut generator, resource) {
            kinds.push((name, *resource));
        }
    }
    add_meta_types(&mut generator);
    if resources
        .iter()
        .any(|r| r.has_subresource(Subresource::Scale))
    {
        generator.subschema_for::<k8s_openapi::api::autoscaling::v1::Scale>();
    }
    let mut definitions = generator.take_definitions(false);

    let table = extensions::load();
    for (name, schema) in definitions.iter_mut() {
        shape(&table, name, schema);
    }
    for (name, resource) in &kinds {
        set_gvk(
            &mut definitions,
            name,
            &[gvk(resource.group, resource.version, resource.kind)],
        );
        // Create-only kinds (reviews) have no list.
        if resource.verbs.contains(&"list") {
            let list = list_schema(name, resource, &definitions);
            definitions.insert(list_name(name), list);
            set_gvk(
                &mut definitions,
                &list_name(name),
                &[gvk(resource.group, resource.version, &resource.list_kind())],
            );
        }
    }
    for resource in resources {
        add_custom_definitions(&mut definitions, resource);
    }
    set_gvk(
        &mut definitions,
        SCALE,
        &[gvk("autoscaling", "v1", "Scale")],
    );
    set_gvk(&mut definitions, STATUS, &[gvk("", "v1", "Status")]);
    // DeleteOptions and WatchEvent are kinds of every group version, as upstream
    // registers them in each.
    let group_versions = super::group_versions();
    for (definition, kind) in [
        (DELETE_OPTIONS, "DeleteOptions"),
        (WATCH_EVENT, "WatchEvent"),
    ] {
        let all: Vec<Value> = group_versions
            .iter()
            .map(|(group, version)| gvk(group, version, kind))
            .collect();
        set_gvk(&mut definitions, definition, &all);
    }
    definitions
}

fn list_name(kind_definition: &str) -> String {
    format!("{kind_definition}List")
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

fn set_gvk(definitions: &mut Map<String, Value>, name: &str, gvks: &[Value]) {
    if let Some(Value::Object(schema)) = definitions.get_mut(name) {
        schema.insert(
            "x-kubernetes-group-version-kind".to_string(),
            Value::Array(gvks.to_vec()),
        );
    }
}

/// The `k8s-openapi` type of a resource, as the two functions these documents
/// need: one adds its schema (and everything it refers to) to a generator, the
/// other names its definition.
pub(super) struct KindType {
    pub(super) add: fn(&mut SchemaGenerator) -> Schema,
    pub(super) name: fn() -> std::borrow::Cow<'static, str>,
}

/// The `KindType` of `T`.
macro_rules! kind_type {
    ($type:ty) => {
        KindType {
            add: SchemaGenerator::subschema_for::<$type>,
            name: <$type as JsonSchema>::schema_name,
        }
    };
}

/// The upstream type of a resource, or `None` for one that has none here.
pub(super) fn kind_type(resource: &ResourceInfo) -> Option<KindType> {
    use k8s_openapi::api::{
        apps, authentication, authorization, autoscaling, batch, coordination, core, discovery,
        events, networking, policy, rbac, scheduling, storage,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
    let kind = match (resource.group, resource.version, resource.kind) {
        ("", "v1", "ConfigMap") => kind_type!(core::v1::ConfigMap),
        ("", "v1", "Endpoints") => kind_type!(core::v1::Endpoints),
        ("", "v1", "Event") => kind_type!(core::v1::Event),
        ("", "v1", "LimitRange") => kind_type!(core::v1::LimitRange),
        ("", "v1", "Namespace") => kind_type!(core::v1::Namespace),
        ("", "v1", "Node") => kind_type!(core::v1::Node),
        ("", "v1", "PersistentVolumeClaim") => kind_type!(core::v1::PersistentVolumeClaim),
        ("", "v1", "PersistentVolume") => kind_type!(core::v1::PersistentVolume),
        ("", "v1", "Pod") => kind_type!(core::v1::Pod),
        ("", "v1", "PodTemplate") => kind_type!(core::v1::PodTemplate),
        ("", "v1", "ReplicationController") => kind_type!(core::v1::ReplicationController),
        ("", "v1", "ResourceQuota") => kind_type!(core::v1::ResourceQuota),
        ("", "v1", "Secret") => kind_type!(core::v1::Secret),
        ("", "v1", "ServiceAccount") => kind_type!(core::v1::ServiceAccount),
        ("", "v1", "Service") => kind_type!(core::v1::Service),
        ("apps", "v1", "ControllerRevision") => kind_type!(apps::v1::ControllerRevision),
        ("apps", "v1", "DaemonSet") => kind_type!(apps::v1::DaemonSet),
        ("apps", "v1", "Deployment") => kind_type!(apps::v1::Deployment),
        ("apps", "v1", "ReplicaSet") => kind_type!(apps::v1::ReplicaSet),
        ("apps", "v1", "StatefulSet") => kind_type!(apps::v1::StatefulSet),
        ("events.k8s.io", "v1", "Event") => kind_type!(events::v1::Event),
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => {
            kind_type!(autoscaling::v2::HorizontalPodAutoscaler)
        }
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => {
            kind_type!(autoscaling::v1::HorizontalPodAutoscaler)
        }
        ("batch", "v1", "CronJob") => kind_type!(batch::v1::CronJob),
        ("batch", "v1", "Job") => kind_type!(batch::v1::Job),
        ("networking.k8s.io", "v1", "IngressClass") => kind_type!(networking::v1::IngressClass),
        ("networking.k8s.io", "v1", "Ingress") => kind_type!(networking::v1::Ingress),
        ("networking.k8s.io", "v1", "NetworkPolicy") => kind_type!(networking::v1::NetworkPolicy),
        ("policy", "v1", "PodDisruptionBudget") => kind_type!(policy::v1::PodDisruptionBudget),
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            kind_type!(rbac::v1::ClusterRoleBinding)
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => kind_type!(rbac::v1::ClusterRole),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => kind_type!(rbac::v1::RoleBinding),
        ("rbac.authorization.k8s.io", "v1", "Role") => kind_type!(rbac::v1::Role),
        ("storage.k8s.io", "v1", "StorageClass") => kind_type!(storage::v1::StorageClass),
        ("scheduling.k8s.io", "v1", "PriorityClass") => kind_type!(scheduling::v1::PriorityClass),
        ("coordination.k8s.io", "v1", "Lease") => kind_type!(coordination::v1::Lease),
        ("discovery.k8s.io", "v1", "EndpointSlice") => kind_type!(discovery::v1::EndpointSlice),
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => {
            kind_type!(apiextensions::v1::CustomResourceDefinition)
        }
        ("authentication.k8s.io", "v1", "TokenReview") => {
            kind_type!(authentication::v1::TokenReview)
        }
        ("authentication.k8s.io", "v1", "SelfSubjectReview") => {
            kind_type!(authentication::v1::SelfSubjectReview)
        }
        ("authorization.k8s.io", "v1", "LocalSubjectAccessReview") => {
            kind_type!(authorization::v1::LocalSubjectAccessReview)
        }
        ("authorization.k8s.io", "v1", "SelfSubjectAccessReview") => {
            kind_type!(authorization::v1::SelfSubjectAccessReview)
        }
        ("authorization.k8s.io", "v1", "SelfSubjectRulesReview") => {
            kind_type!(authorization::v1::SelfSubjectRulesReview)
        }
        ("authorization.k8s.io", "v1", "SubjectAccessReview") => {
            kind_type!(authorization::v1::SubjectAccessReview)
        }
        _ => return None,
    };
    Some(kind)
}

/// Adds the type of a resource to `generator`; its definition's name, or
/// `None` for a resource that has no upstream type here.
fn add_resource_type(generator: &mut SchemaGenerator, resource: &ResourceInfo) -> Option<String> {
    let kind = kind_type(resource)?;
    (kind.add)(generator);
    Some((kind.name)().into_owned())
}

fn add_meta_types(generator: &mut SchemaGenerator) {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
    generator.subschema_for::<meta::Status>();
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::WatchEvent<meta::Status>>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<meta::APIResourceList>();
    generator.subschema_for::<meta::ListMeta>();
    generator.subschema_for::<meta::ObjectMeta>();
}

/// Puts one generated definition into upstream's shape.
fn shape(table: &Map<String, Value>, name: &str, schema: &mut Value) {
    if let Some(special) = special_definition(name, schema) {
        *schema = special;
        return;
    }
    let Value::Object(object) = schema else {
        return;
    };
    // The Rust types make every field with a default mandatory, `metadata`
    // included; the table has upstream's `required` (kube-openapi's rule: a
    // field is required unless `omitempty` or `+optional`).
    if object_property_ref(object, "metadata").as_deref() == Some(OBJECT_META) {
        if let Some(Value::Array(required)) = object.get_mut("required") {
            required.retain(|field| field != "metadata");
        }
    }
    extensions::apply(table, name, object);
    if matches!(object.get("required"), Some(Value::Array(r)) if r.is_empty()) {
        object.remove("required");
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for property in properties.values_mut() {
            wrap_references(property);
        }
    }
}

fn object_property_ref(object: &Map<String, Value>, property: &str) -> Option<String> {
    object
        .get("properties")?
        .get(property)?
        .get("$ref")?
        .as_str()?
        .strip_prefix(V3_PREFIX)
        .map(str::to_string)
}

/// A `$ref` with siblings becomes an `allOf` of that one reference beside them,
/// in a property and in the schemas of its items and values.
fn wrap_references(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            wrap_references(inner);
        }
    }
    if object.len() > 1 {
        if let Some(reference) = object.remove("$ref") {
            object.insert("allOf".to_string(), json!([{"$ref": reference}]));
        }
    }
}

/// Upstream's own shapes for the types whose JSON is not what their Go struct says.
fn special_definition(name: &str, generated: &Value) -> Option<Value> {
    let description = generated.get("description").cloned().unwrap_or(Value::Null);
    let shape = match name {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => json!({
            "format": "int-or-string",
            "oneOf": [{"type": "integer"}, {"type": "string"}],
        }),
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => json!({
            "oneOf": [{"type": "string"}, {"type": "number"}],
        }),
        // Go types with their own JSON form, which upstream leaves untyped.
        name if name.starts_with(JSON_SCHEMA_PROPS_OR)
            || name.ends_with("apiextensions.v1.JSON") =>
        {
            json!({})
        }
        _ => return None,
    };
    let mut shape = shape;
    if !description.is_null() {
        shape["description"] = description;
    }
    Some(shape)
}

/// The list kind of a resource (`PodList`), shaped as upstream's.
fn list_schema(
    kind_definition: &str,
    resource: &ResourceInfo,
    definitions: &Map<String, Value>,
) -> Value {
    let kind_schema = definitions.get(kind_definition);
    let property = |name: &str| {
        kind_schema
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}))
    };
    let list_kind = resource.list_kind();
    json!({
        "description": format!("{list_kind} is a list of {} objects.", resource.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": property("apiVersion"),
            "items": {
                "description": format!("List of {}.", resource.plural),
                "type": "array",
                "items": {"default": {}, "allOf": [{"$ref": format!("{V3_PREFIX}{kind_definition}")}]},
            },
            "kind": property("kind"),
            "metadata": {
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "default": {},
                "allOf": [{"$ref": format!("{V3_PREFIX}{LIST_META}")}],
            },
        },
    })
}

/// The definitions of a custom resource's kind and list, from the schema of
/// its CRD version: what the CRD declares, plus `apiVersion`, `kind` and
/// `metadata` as upstream's apiextensions-apiserver adds them.
fn add_custom_definitions(definitions: &mut Map<String, Value>, resource: &ResourceInfo) {
    let Some(schema) = crate::resource::custom::version_of(resource).and_then(|v| v.schema.clone())
    else {
        return;
    };
    let name = kind_definition(resource);
    let mut schema = schema;
    if let Value::Object(object) = &mut schema {
        object.insert("type".into(), json!("object"));
        let properties = object.entry("properties").or_insert_with(|| json!({}));
        if let Value::Object(properties) = properties {
            properties.insert(
                "apiVersion".into(),
                json!({"description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources", "type": "string"}),
            );
            properties.insert(
                "kind".into(),
                json!({"description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds", "type": "string"}),
            );
            properties.insert(
                "metadata".into(),
                json!({"description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", "allOf": [{"$ref": format!("{V3_PREFIX}{OBJECT_META}")}]}),
            );
        }
    }
    definitions.insert(name.clone(), schema);
    set_gvk(
        definitions,
        &name,
        &[gvk(resource.group, resource.version, resource.kind)],
    );
    let list = list_schema(&name, resource, definitions);
    definitions.insert(list_name(&name), list);
    set_gvk(
        definitions,
        &list_name(&name),
        &[gvk(resource.group, resource.version, &resource.list_kind())],
    );
}

/// The definition name of a resource's kind (`io.k8s.api.core.v1.Pod`); a
/// custom resource's is its reversed group, version and kind
/// (`com.example.v1.Widget`), as upstream names it; another resource without
/// an upstream type gets the name such a type would have.
pub(super) fn kind_definition(resource: &ResourceInfo) -> String {
    if crate::resource::custom::is_custom(resource) {
        let reversed: Vec<&str> = resource.group.split('.').rev().collect();
        return format!(
            "{}.{}.{}",
            reversed.join("."),
            resource.version,
            resource.kind
        );
    }
    match kind_type(resource) {
        Some(kind) => (kind.name)().into_owned(),
        None => {
            let package = match resource.group {
                "" => "core",
                group => group.split('.').next().unwrap_or(group),
            };
            format!(
                "io.k8s.api.{package}.{}.{}",
                resource.version, resource.kind
            )
        }
    }
}

/// The definition name of a resource's list kind.
pub(super) fn list_definition(resource: &ResourceInfo) -> String {
    list_name(&kind_definition(resource))
}

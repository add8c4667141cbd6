//! OpenAPI documents of the built-in resources, as kube-apiserver publishes them:
//! one OpenAPI v3 document per group version (`/openapi/v3/apis/apps/v1`) and one
//! Swagger 2.0 document for everything (`/openapi/v2`), as JSON or as the
//! protobuf form kubectl asks for.
//!
//! The schemas come from the `k8s-openapi` types (their `schemars` impls carry
//! upstream's descriptions, types and formats) and are then put into upstream's
//! shape ([`definitions`]): `$ref`s with siblings wrapped in `allOf`, `metadata`
//! no longer required, `IntOrString` and `Quantity` as kube-openapi writes them,
//! list kinds added, and `x-kubernetes-group-version-kind` on every kind. What the
//! Rust types cannot say — defaults, enums, list and map types, strategic merge
//! patch keys and strategies — comes from a table derived from the struct tags
//! and markers of k8s.io/api 1.33 ([`extensions`]). kubectl reads the patch
//! keys of these documents when it computes `apply` patches, the
//! `fieldValidation` parameter of each PATCH operation to decide whether the
//! server validates fields, and the schemas for `explain`.
//!
//! Every function here is pure; the API server generates a document the first
//! time it is asked for and keeps the encoded bytes.

mod definitions;
mod extensions;
mod paths;
mod protobuf;
mod v2;

use serde_json::{json, Map, Value};

use crate::resource::{self, ResourceInfo};

pub use protobuf::encode_v2 as v2_protobuf;

/// Where a group version's document lives under `/openapi/v3/`: `api/v1` for
/// the core group, `apis/{group}/{version}` otherwise.
pub fn v3_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The group and version of a `/openapi/v3/` path, if it names one that is served.
pub fn parse_v3_path(path: &str) -> Option<(&'static str, &'static str)> {
    let (group, version) = match path.trim_matches('/').split('/').collect::<Vec<_>>()[..] {
        ["api", version] => ("", version),
        ["apis", group, version] => (group, version),
        _ => return None,
    };
    group_versions()
        .into_iter()
        .find(|(g, v)| *g == group && *v == version)
}

/// Every group version with a document, in discovery order.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for group in resource::groups() {
        for version in group.versions {
            if resource::resources_of(group.group, version).any(documented) {
                out.push((group.group, version));
            }
        }
    }
    out
}

/// True for the resources these documents describe: those with an upstream
/// type, and custom resources with a schema.
fn documented(resource: &ResourceInfo) -> bool {
    definitions::kind_type(resource).is_some()
        || resource::custom::version_of(resource).is_some_and(|v| v.schema.is_some())
}

/// The OpenAPI v3 document of one group version (`None` if it is not served);
/// `server_version` is what `info.version` says (`v1.33.0`).
/// The schemas (`components/schemas`) of a group version's OpenAPI v3
/// document without its paths, for those who need only the shapes.
pub(crate) fn v3_schemas(group: &str, version: &str) -> Option<Map<String, Value>> {
    let resources: Vec<&'static ResourceInfo> = resource::resources_of(group, version)
        .filter(|r| documented(r))
        .collect();
    if resources.is_empty() {
        return None;
    }
    Some(definitions::build(&resources))
}

pub fn v3_document(group: &str, version: &str, server_version: &str) -> Option<Value> {
    let resources: Vec<&'static ResourceInfo> = resource::resources_of(group, version)
        .filter(|r| documented(r))
        .collect();
    if resources.is_empty() {
        return None;
    }
    let schemas = definitions::build(&resources);
    let mut paths = Map::new();
    paths::add_discovery(&mut paths, group, version);
    for resource in &resources {
        paths::add_resource(&mut paths, resource);
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": server_version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                },
            },
        },
        "security": [{"BearerToken": []}],
    }))
}

/// The Swagger 2.0 document of every served group version, custom resources
/// included (their schemas made v2-compatible as upstream's apiextensions
/// server does).
pub fn v2_document(server_version: &str) -> Value {
    let resources: Vec<&'static ResourceInfo> = resource::all()
        .into_iter()
        .filter(|r| documented(r))
        .collect();
    let mut schemas = definitions::build(&resources);
    for custom in resources.iter().filter(|r| resource::custom::is_custom(r)) {
        if let Some(schema) = schemas.get_mut(&definitions::kind_definition(custom)) {
            v2::make_structural_v2(schema);
        }
    }
    let mut paths = Map::new();
    for (group, version) in group_versions() {
        paths::add_discovery(&mut paths, group, version);
        for resource in resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
        {
            paths::add_resource(&mut paths, resource);
        }
    }
    v2::document(schemas, paths, server_version)
}

#[cfg(test)]
mod tests;

//! The operations of each resource, as upstream's OpenAPI v3 `paths` lists them
//! (the v2 document is converted from these).
//!
//! Every operation carries `x-kubernetes-action` and
//! `x-kubernetes-group-version-kind`; PATCH lists the patch media types in its
//! request body and the `fieldValidation`, `fieldManager` and `dryRun` query
//! parameters: kubectl reads exactly these to choose between client- and
//! server-side validation and to compute strategic merge patches from the
//! schemas.

use serde_json::{json, Map, Value};

use super::definitions::{
    kind_definition, list_definition, API_RESOURCE_LIST, DELETE_OPTIONS, PATCH, SCALE, STATUS,
    V3_PREFIX,
};
use crate::resource::{ResourceInfo, Subresource};

/// The media types of responses with an object.
const RESPONSE_TYPES: &[&str] = &["application/json", "application/yaml"];
/// The media types of list responses, which may also be watched.
const LIST_RESPONSE_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/json;stream=watch",
];
/// The media types of PATCH request bodies.
const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// `GET /api/v1/` or `/apis/{group}/{version}/`: the group version's resources.
pub(super) fn add_discovery(paths: &mut Map<String, Value>, group: &str, version: &str) {
    let names = Names::of(group, version);
    paths.insert(
        format!("{}/", names.base),
        json!({
            "get": {
                "tags": [names.tag],
                "description": "get available resources",
                "operationId": format!("get{}APIResources", names.prefix),
                "responses": responses(&[("200", "OK", Some(API_RESOURCE_LIST))], RESPONSE_TYPES),
            },
        }),
    );
}

/// The paths of one resource: its collection (list, create, delete collection),
/// its objects (read, replace, patch, delete), the `status` and `scale`
/// subresources it has, and for namespaced resources the list across namespaces.
pub(super) fn add_resource(paths: &mut Map<String, Value>, resource: &ResourceInfo) {
    let names = Names::of(resource.group, resource.version);
    let kind = resource.kind;
    let object = kind_definition(resource);
    let list = list_definition(resource);
    let gvk = json!({"group": resource.group, "version": resource.version, "kind": kind});
    let scope = if resource.namespaced {
        "Namespaced"
    } else {
        ""
    };
    let collection = if resource.namespaced {
        format!(
            "{}/namespaces/{{namespace}}/{}",
            names.base, resource.plural
        )
    } else {
        format!("{}/{}", names.base, resource.plural)
    };
    let can = |verb: &str| resource.verbs.contains(&verb);
    let operation = |action: &str, description: String, id: String| {
        json!({
            "tags": [names.tag],
            "description": description,
            "operationId": id,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };
    let mut scope_parameters = Vec::new();
    if resource.namespaced {
        scope_parameters.push(path_parameter(
            "namespace",
            "object name and auth scope, such as for teams and projects",
        ));
    }

    // The collection.
    let mut item = Map::new();
    if can("list") {
        let mut get = operation(
            "list",
            format!("list or watch objects of kind {kind}"),
            format!("list{}{scope}{kind}", names.prefix),
        );
        get["parameters"] = list_parameters();
        get["responses"] = responses(&[("200", "OK", Some(&list))], LIST_RESPONSE_TYPES);
        item.insert("get".into(), get);
    }
    if can("create") {
        let mut post = operation(
            "post",
            format!("create a {kind}"),
            format!("create{}{scope}{kind}", names.prefix),
        );
        post["parameters"] = write_parameters(false);
        post["requestBody"] = request_body(&["*/*"], &object);
        post["responses"] = responses(
            &[
                ("200", "OK", Some(&object)),
                ("201", "Created", Some(&object)),
                ("202", "Accepted", Some(&object)),
            ],
            RESPONSE_TYPES,
        );
        item.insert("post".into(), post);
    }
    if can("deletecollection") {
        let mut delete = operation(
            "deletecollection",
            format!("delete collection of {kind}"),
            format!("delete{}Collection{scope}{kind}", names.prefix),
        );
        let mut parameters = delete_parameters();
        if let (Value::Array(all), Value::Array(list)) = (&mut parameters, list_parameters()) {
            all.extend(
                list.into_iter().filter(|p| {
                    !matches!(p["name"].as_str(), Some("watch" | "allowWatchBookmarks"))
                }),
            );
        }
        delete["parameters"] = parameters;
        delete["requestBody"] = request_body(&["*/*"], DELETE_OPTIONS);
        delete["responses"] = responses(&[("200", "OK", Some(STATUS))], RESPONSE_TYPES);
        item.insert("delete".into(), delete);
    }
    let mut parameters = scope_parameters.clone();
    parameters.push(pretty_parameter());
    item.insert("parameters".into(), Value::Array(parameters));
    paths.insert(collection.clone(), Value::Object(item));

    // One object.
    let mut item = Map::new();
    let name_parameter = path_parameter("name", &format!("name of the {kind}"));
    if can("get") {
        let mut get = operation(
            "get",
            format!("read the specified {kind}"),
            format!("read{}{scope}{kind}", names.prefix),
        );
        get["responses"] = responses(&[("200", "OK", Some(&object))], RESPONSE_TYPES);
        item.insert("get".into(), get);
    }
    if can("update") {
        item.insert(
            "put".into(),
            replace(
                &operation,
                &object,
                format!("replace the specified {kind}"),
                format!("replace{}{scope}{kind}", names.prefix),
            ),
        );
    }
    if can("patch") {
        item.insert(
            "patch".into(),
            patch(
                &operation,
                &object,
                format!("partially update the specified {kind}"),
                format!("patch{}{scope}{kind}", names.prefix),
            ),
        );
    }
    if can("delete") {
        let mut delete = operation(
            "delete",
            format!("delete a {kind}"),
            format!("delete{}{scope}{kind}", names.prefix),
        );
        delete["parameters"] = delete_parameters();
        delete["requestBody"] = request_body(&["*/*"], DELETE_OPTIONS);
        delete["responses"] = responses(
            &[
                ("200", "OK", Some(&object)),
                ("202", "Accepted", Some(&object)),
            ],
            RESPONSE_TYPES,
        );
        item.insert("delete".into(), delete);
    }
    let mut parameters = vec![name_parameter.clone()];
    parameters.extend(scope_parameters.iter().cloned());
    parameters.push(pretty_parameter());
    // Create-only kinds (reviews) have no object paths.
    if !item.is_empty() {
        item.insert("parameters".into(), Value::Array(parameters.clone()));
        paths.insert(format!("{collection}/{{name}}"), Value::Object(item));
    }

    // Subresources.
    for subresource in resource.subresources {
        let (name, definition, what, gvk) = match subresource {
            Subresource::Status => ("status", object.clone(), "status", gvk.clone()),
            Subresource::Scale => (
                "scale",
                SCALE.to_string(),
                "scale",
                json!({"group": "autoscaling", "version": "v1", "kind": "Scale"}),
            ),
        };
        let suffix = format!("{}{scope}{kind}{}", names.prefix, capitalize(name));
        let operation = |action: &str, description: String, id: String| {
            json!({
                "tags": [names.tag],
                "description": description,
                "operationId": id,
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        let mut get = operation(
            "get",
            format!("read {what} of the specified {kind}"),
            format!("read{suffix}"),
        );
        get["responses"] = responses(&[("200", "OK", Some(&definition))], RESPONSE_TYPES);
        let put = replace(
            &operation,
            &definition,
            format!("replace {what} of the specified {kind}"),
            format!("replace{suffix}"),
        );
        let patch = patch(
            &operation,
            &definition,
            format!("partially update {what} of the specified {kind}"),
            format!("patch{suffix}"),
        );
        paths.insert(
            format!("{collection}/{{name}}/{name}"),
            json!({"get": get, "put": put, "patch": patch, "parameters": parameters}),
        );
    }

    // Namespaced resources are also listed across namespaces.
    if resource.namespaced && can("list") {
        let mut get = operation(
            "list",
            format!("list or watch objects of kind {kind}"),
            format!("list{}{kind}ForAllNamespaces", names.prefix),
        );
        get["responses"] = responses(&[("200", "OK", Some(&list))], LIST_RESPONSE_TYPES);
        let mut parameters = match list_parameters() {
            Value::Array(parameters) => parameters,
            _ => Vec::new(),
        };
        parameters.push(pretty_parameter());
        paths.insert(
            format!("{}/{}", names.base, resource.plural),
            json!({"get": get, "parameters": parameters}),
        );
    }
}

/// The PUT of an object or subresource.
fn replace(
    operation: &dyn Fn(&str, String, String) -> Value,
    definition: &str,
    description: String,
    id: String,
) -> Value {
    let mut put = operation("put", description, id);
    put["parameters"] = write_parameters(false);
    put["requestBody"] = request_body(&["*/*"], definition);
    put["responses"] = responses(
        &[
            ("200", "OK", Some(definition)),
            ("201", "Created", Some(definition)),
        ],
        RESPONSE_TYPES,
    );
    put
}

/// The PATCH of an object or subresource, with every patch media type.
fn patch(
    operation: &dyn Fn(&str, String, String) -> Value,
    definition: &str,
    description: String,
    id: String,
) -> Value {
    let mut patch = operation("patch", description, id);
    patch["parameters"] = write_parameters(true);
    patch["requestBody"] = request_body(PATCH_TYPES, PATCH);
    patch["responses"] = responses(
        &[
            ("200", "OK", Some(definition)),
            ("201", "Created", Some(definition)),
        ],
        RESPONSE_TYPES,
    );
    patch
}

/// How a group version is named in paths, tags and operation ids.
struct Names {
    /// `/api/v1` or `/apis/{group}/{version}`.
    base: String,
    /// `core_v1`, `apps_v1`, `rbacAuthorization_v1`.
    tag: String,
    /// `CoreV1`, `AppsV1`, `RbacAuthorizationV1`.
    prefix: String,
}

impl Names {
    fn of(group: &str, version: &str) -> Names {
        // Upstream names a group by its labels before `.k8s.io`, camel-cased.
        let trimmed = group.strip_suffix(".k8s.io").unwrap_or(group);
        let words: Vec<&str> = if group.is_empty() {
            vec!["core"]
        } else {
            trimmed.split('.').collect()
        };
        let camel: String = words.iter().map(|w| capitalize(w)).collect();
        let mut tag = camel.clone();
        if let Some(first) = tag.get(..1) {
            tag = first.to_lowercase() + &tag[1..];
        }
        Names {
            base: if group.is_empty() {
                format!("/api/{version}")
            } else {
                format!("/apis/{group}/{version}")
            },
            tag: format!("{tag}_{version}"),
            prefix: format!("{camel}{}", capitalize(version)),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn reference(definition: &str) -> Value {
    json!({"$ref": format!("{V3_PREFIX}{definition}")})
}

fn responses(codes: &[(&str, &str, Option<&str>)], media_types: &[&str]) -> Value {
    let mut out = Map::new();
    for (code, description, definition) in codes {
        let mut response = json!({"description": description});
        if let Some(definition) = definition {
            let content: Map<String, Value> = media_types
                .iter()
                .map(|media| (media.to_string(), json!({"schema": reference(definition)})))
                .collect();
            response["content"] = Value::Object(content);
        }
        out.insert(code.to_string(), response);
    }
    out.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(out)
}

fn request_body(media_types: &[&str], definition: &str) -> Value {
    let content: Map<String, Value> = media_types
        .iter()
        .map(|media| (media.to_string(), json!({"schema": reference(definition)})))
        .collect();
    json!({"content": content, "required": true})
}

fn path_parameter(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "description": description,
        "required": true,
        "schema": {"type": "string", "uniqueItems": true},
    })
}

fn query_parameter(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind, "uniqueItems": true},
    })
}

fn pretty_parameter() -> Value {
    query_parameter(
        "pretty",
        "string",
        "If 'true', the output is pretty printed.",
    )
}

/// The query parameters of a write (create, update, patch).
fn write_parameters(patch: bool) -> Value {
    let mut parameters = vec![
        query_parameter(
            "dryRun",
            "string",
            "When present, the request is processed but nothing is persisted. The only valid value is All.",
        ),
        query_parameter(
            "fieldManager",
            "string",
            "The name of the actor making these changes.",
        ),
        query_parameter(
            "fieldValidation",
            "string",
            "What the server does with unknown or duplicate fields in the object: Ignore drops them, Warn drops them with a warning header for each, Strict fails the request with a BadRequest naming them all.",
        ),
    ];
    if patch {
        parameters.push(query_parameter(
            "force",
            "boolean",
            "Re-acquires fields owned by other managers in an apply request; must be unset for other patches.",
        ));
    }
    Value::Array(parameters)
}

/// The query parameters of a delete.
fn delete_parameters() -> Value {
    json!([
        query_parameter(
            "dryRun",
            "string",
            "When present, the request is processed but nothing is persisted. The only valid value is All.",
        ),
        query_parameter(
            "gracePeriodSeconds",
            "integer",
            "Seconds before the object is deleted; zero deletes at once, unset uses the kind's default.",
        ),
        query_parameter(
            "orphanDependents",
            "boolean",
            "Deprecated: use propagationPolicy. Whether dependents are orphaned.",
        ),
        query_parameter(
            "propagationPolicy",
            "string",
            "How dependents are garbage collected: Orphan, Background or Foreground.",
        ),
    ])
}

/// The query parameters of a list or watch.
fn list_parameters() -> Value {
    json!([
        query_parameter(
            "allowWatchBookmarks",
            "boolean",
            "Asks a watch for BOOKMARK events; ignored by lists.",
        ),
        query_parameter(
            "continue",
            "string",
            "The continue token of the previous page of a paginated list.",
        ),
        query_parameter(
            "fieldSelector",
            "string",
            "Restricts the returned objects by their fields. Defaults to everything.",
        ),
        query_parameter(
            "labelSelector",
            "string",
            "Restricts the returned objects by their labels. Defaults to everything.",
        ),
        query_parameter(
            "limit",
            "integer",
            "The most objects to return; the list metadata's continue token then leads to the rest.",
        ),
        query_parameter(
            "resourceVersion",
            "string",
            "Which state of the objects is served, or where a watch starts.",
        ),
        query_parameter(
            "resourceVersionMatch",
            "string",
            "How resourceVersion applies to a list: Exact or NotOlderThan.",
        ),
        query_parameter(
            "sendInitialEvents",
            "boolean",
            "Asks a watch to start with the current objects as ADDED events.",
        ),
        query_parameter(
            "timeoutSeconds",
            "integer",
            "Ends the call after this many seconds.",
        ),
        query_parameter(
            "watch",
            "boolean",
            "Watches for changes to the described objects and returns them as a stream of events.",
        ),
    ])
}

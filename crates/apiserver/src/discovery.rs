//! Discovery: `/version`, the legacy documents (`/api`, `/apis`, `/apis/{group}`,
//! resource lists), the aggregated ones (`aggregated.rs`) and the OpenAPI v3
//! and v2 documents (`openapi.rs`), with the `ETag` / `If-None-Match` handling
//! they share.
//!
//! [`serve`] answers every discovery route; documents that never change while
//! the server runs are encoded once, on first request, and kept.

mod aggregated;
mod openapi;

use api::resource::{self, ResourceInfo, Subresource};
use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, VARY};
use http::{HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{full, respond, Body};
use crate::request::{Query, Route};

/// Answers a discovery route (`None` for any other route). Legacy documents
/// are negotiated as JSON or YAML; aggregated discovery and the OpenAPI
/// documents by their own media types.
pub async fn serve(
    route: &Route,
    headers: &HeaderMap,
    query: &Query,
) -> Option<Result<Response<Body>, ApiError>> {
    let legacy = |value: Option<Value>| {
        let value = value.ok_or(ApiError::NoRoute)?;
        let format = crate::http::negotiate(headers)?;
        Ok(respond(StatusCode::OK, format, &value))
    };
    let response = match route {
        Route::CoreVersions | Route::Groups => {
            let core = matches!(route, Route::CoreVersions);
            match aggregated::wanted(headers) {
                Some(version) => Ok(aggregated::respond(core, version, headers)),
                None if core => legacy(Some(core_versions())),
                None => legacy(Some(groups())),
            }
        }
        Route::Group(name) => legacy(group(name)),
        Route::Resources { group, version } => legacy(resources(group, version)),
        Route::OpenApiV3(None) => openapi::v3_index(headers).await,
        Route::OpenApiV3(Some(path)) => openapi::v3_document(path, query, headers).await,
        Route::OpenApiV2 => openapi::v2_document(headers).await,
        _ => return None,
    };
    Some(response)
}

/// A quoted entity tag from a hash of `bytes`.
fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", hash(bytes))
}

/// A short, stable hash of a document (the `?hash=` of OpenAPI URLs and the
/// entity tags): stable for the life of the binary, which is all a cache key
/// for generated documents needs.
fn hash(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:016X}", hasher.finish())
}

/// True if the request's `If-None-Match` names `etag` (or is `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// A cacheable document: 304 Not Modified when the client has it, else 200
/// with its entity tag; `Vary: Accept` since the media type picks the form.
fn cached(
    headers: &HeaderMap,
    content_type: &str,
    bytes: Bytes,
    etag: &str,
    extra: &[(http::HeaderName, &str)],
) -> Response<Body> {
    let not_modified = not_modified(headers, etag);
    let mut response = Response::new(full(if not_modified { Bytes::new() } else { bytes }));
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let out = response.headers_mut();
    for (name, value) in [(ETAG, etag), (VARY, "Accept"), (CONTENT_TYPE, content_type)]
        .into_iter()
        .chain(extra.iter().map(|(n, v)| (n.clone(), *v)))
    {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    }
    response
}

/// A permanent redirect to `location`.
fn moved(location: &str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// `Cache-Control` for a URL whose content never changes.
const IMMUTABLE: (http::HeaderName, &str) = (CACHE_CONTROL, "public, immutable");

/// The Kubernetes version rkube reports: kubectl 1.32 and 1.33 accept it without
/// a skew warning.
pub const KUBE_MAJOR: &str = "1";
pub const KUBE_MINOR: &str = "33";
pub const KUBE_GIT_VERSION: &str = "v1.33.0+rkube";

pub fn version() -> Value {
    json!({
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "gitVersion": KUBE_GIT_VERSION,
        "gitCommit": env!("CARGO_PKG_VERSION"),
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    })
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [],
    })
}

fn group_json(group: &resource::GroupVersions) -> Value {
    let versions: Vec<Value> = group
        .versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{}/{v}", group.group), "version": v}))
        .collect();
    json!({
        "name": group.group,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
    })
}

pub fn groups() -> Value {
    let groups: Vec<Value> = resource::groups()
        .iter()
        .filter(|g| !g.group.is_empty())
        .map(group_json)
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(name: &str) -> Option<Value> {
    resource::groups()
        .iter()
        .find(|g| g.group == name && !name.is_empty())
        .map(|g| {
            let mut doc = group_json(g);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            doc
        })
}

fn in_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    resource::resources_of(group, version)
}

/// The APIResourceList of a group version, or `None` if it is not served.
pub fn resources(group: &str, version: &str) -> Option<Value> {
    let mut list = Vec::new();
    for r in in_group_version(group, version) {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        list.push(entry);
        for sub in r.subresources {
            let mut entry = json!({
                "name": format!("{}/{}", r.plural, subresource_name(*sub)),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "patch", "update"],
            });
            if *sub == Subresource::Scale {
                entry["group"] = json!("autoscaling");
                entry["version"] = json!("v1");
                entry["kind"] = json!("Scale");
            }
            list.push(entry);
        }
        for op in operations(r) {
            let mut entry = json!({
                "name": format!("{}/{}", r.plural, op.subresource),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": op.kind,
                "verbs": op.verbs,
            });
            // Upstream names the group and version only when they differ
            // from the resource's.
            if op.group != r.group || op.version != r.version {
                entry["group"] = json!(op.group);
                entry["version"] = json!(op.version);
            }
            list.push(entry);
        }
    }
    if list.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": list,
    }))
}

/// A subresource that is an operation with its own kind rather than a view
/// of the object (upstream lists them in discovery with that kind).
pub struct Operation {
    pub subresource: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// The operation subresources of a resource: the pods' `attach`, `binding`,
/// `exec`, `log` and `portforward`, `pods/eviction` (kubectl drain
/// looks for it to evict within disruption budgets rather than delete) and
/// `serviceaccounts/token` (TokenRequest, `kubectl create token`).
pub fn operations(r: &ResourceInfo) -> Vec<Operation> {
    if !r.group.is_empty() {
        return Vec::new();
    }
    match r.plural {
        "pods" => vec![
            Operation {
                subresource: "attach",
                group: "",
                version: "v1",
                kind: "PodAttachOptions",
                verbs: &["create", "get"],
            },
            Operation {
                subresource: "binding",
                group: "",
                version: "v1",
                kind: "Binding",
                verbs: &["create"],
            },
            Operation {
                subresource: "eviction",
                group: "policy",
                version: "v1",
                kind: "Eviction",
                verbs: &["create"],
            },
            Operation {
                subresource: "exec",
                group: "",
                version: "v1",
                kind: "PodExecOptions",
                verbs: &["create", "get"],
            },
            Operation {
                subresource: "log",
                group: "",
                version: "v1",
                kind: "Pod",
                verbs: &["get"],
            },
            Operation {
                subresource: "portforward",
                group: "",
                version: "v1",
                kind: "PodPortForwardOptions",
                verbs: &["create", "get"],
            },
        ],
        "serviceaccounts" => vec![Operation {
            subresource: "token",
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
            verbs: &["create"],
        }],
        _ => Vec::new(),
    }
}

pub fn subresource_name(sub: Subresource) -> &'static str {
    match sub {
        Subresource::Status => "status",
        Subresource::Scale => "scale",
    }
}

//! Aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1): `/api` and
//! `/apis` answer, in one document each, every group with every version and
//! resource, when the client asks for `APIGroupDiscoveryList` in its `Accept`
//! header (kubectl since 1.26 does, before the legacy JSON).
//!
//! The documents follow upstream's `apidiscovery/v2` types and its handler in
//! `k8s.io/apiserver/pkg/endpoints/discovery/aggregated`: versions in order of
//! preference, all `Current`; the response's `Content-Type` carries the
//! `g`, `v` and `as` parameters of the version served, and an `ETag` from a
//! hash of the body answers `If-None-Match` with 304.

use api::resource::{self, ResourceInfo, Subresource};
use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderMap, Response};
use serde_json::{json, Value};

use super::{cached, etag_of, operations, subresource_name};
use crate::http::Body;

const GROUP: &str = "apidiscovery.k8s.io";
const KIND: &str = "APIGroupDiscoveryList";

/// A version of `apidiscovery.k8s.io`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V2,
    V2Beta1,
}

impl Version {
    fn name(self) -> &'static str {
        match self {
            Version::V2 => "v2",
            Version::V2Beta1 => "v2beta1",
        }
    }

    fn content_type(self) -> String {
        format!("application/json;g={GROUP};v={};as={KIND}", self.name())
    }
}

/// The aggregated version the `Accept` header asks for, if it asks for one
/// before anything the legacy documents satisfy (`application/json`, `*/*`).
/// Parameters may come in any order; protobuf forms are not served and are
/// passed over.
pub fn wanted(headers: &HeaderMap) -> Option<Version> {
    let accept = headers.get(ACCEPT)?.to_str().ok()?;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim())
        };
        match media {
            "application/json" => {
                let aggregated = param("g") == Some(GROUP) && param("as") == Some(KIND);
                match (aggregated, param("v")) {
                    (true, Some("v2")) => return Some(Version::V2),
                    (true, Some("v2beta1")) => return Some(Version::V2Beta1),
                    (true, _) => continue,
                    (false, _) if param("as").is_none() => return None,
                    (false, _) => continue,
                }
            }
            "*/*" | "application/*" => return None,
            _ => continue,
        }
    }
    None
}

/// The aggregated document of `/api` (`core`) or `/apis`, with its entity tag.
/// It is built on each request (a few kilobytes, from the resource table), so
/// resources that come and go are seen at once.
pub fn respond(core: bool, version: Version, headers: &HeaderMap) -> Response<Body> {
    let bytes = Bytes::from(serde_json::to_vec(&document(core, version)).unwrap_or_default());
    let etag = etag_of(&bytes);
    cached(headers, &version.content_type(), bytes, &etag, &[])
}

/// The `APIGroupDiscoveryList` of the core group (`core`) or of the named groups.
pub fn document(core: bool, version: Version) -> Value {
    let items: Vec<Value> = resource::groups()
        .iter()
        .filter(|g| g.group.is_empty() == core)
        .map(|g| {
            let versions: Vec<Value> = g
                .versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = resource::resources_of(g.group, v)
                        .map(resource_entry)
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            let mut metadata = json!({"creationTimestamp": null});
            if !g.group.is_empty() {
                metadata["name"] = json!(g.group);
            }
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({
        "kind": KIND,
        "apiVersion": format!("{GROUP}/{}", version.name()),
        "metadata": {},
        "items": items,
    })
}

fn resource_entry(r: &ResourceInfo) -> Value {
    let mut entry = json!({
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        entry["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        entry["categories"] = json!(r.categories);
    }
    let mut subresources: Vec<Value> = r
        .subresources
        .iter()
        .map(|sub| {
            let kind = match sub {
                Subresource::Status => {
                    json!({"group": r.group, "version": r.version, "kind": r.kind})
                }
                Subresource::Scale => {
                    json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
                }
            };
            json!({
                "subresource": subresource_name(*sub),
                "responseKind": kind,
                "verbs": ["get", "patch", "update"],
            })
        })
        .collect();
    for op in operations(r) {
        subresources.push(json!({
            "subresource": op.subresource,
            "responseKind": {"group": op.group, "version": op.version, "kind": op.kind},
            "verbs": op.verbs,
        }));
    }
    if !subresources.is_empty() {
        entry["subresources"] = json!(subresources);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn accept(value: &str) -> Option<Version> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        wanted(&headers)
    }

    #[test]
    fn negotiation() {
        // What client-go 1.32 sends.
        assert_eq!(
            accept("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"),
            Some(Version::V2)
        );
        assert_eq!(
            accept("application/json; as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io"),
            Some(Version::V2Beta1)
        );
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
            Some(Version::V2)
        );
        assert_eq!(accept("application/json, */*"), None);
        assert_eq!(
            accept("application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
            None
        );
        assert_eq!(
            accept("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),
            None
        );
    }

    #[test]
    fn core_document() {
        let doc = document(true, Version::V2);
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
        let items = doc["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0]["metadata"].get("name").is_none());
        let v1 = &items[0]["versions"][0];
        assert_eq!(v1["version"], "v1");
        assert_eq!(v1["freshness"], "Current");
        let pods = v1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "pods")
            .unwrap();
        assert_eq!(pods["scope"], "Namespaced");
        assert_eq!(pods["singularResource"], "pod");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(
            pods["responseKind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
        assert_eq!(pods["subresources"][0]["subresource"], "status");
    }

    #[test]
    fn groups_document() {
        let doc = document(false, Version::V2Beta1);
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        let items = doc["items"].as_array().unwrap();
        assert_eq!(items[0]["metadata"]["name"], "apps");
        let autoscaling = items
            .iter()
            .find(|g| g["metadata"]["name"] == "autoscaling")
            .unwrap();
        // Preferred version first.
        assert_eq!(autoscaling["versions"][0]["version"], "v2");
        assert_eq!(autoscaling["versions"][1]["version"], "v1");
        let deployments = items[0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        let scale = deployments["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(
            scale["responseKind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
        let namespaces = document(true, Version::V2)["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "namespaces")
            .cloned()
            .unwrap();
        assert_eq!(namespaces["scope"], "Cluster");
    }
}

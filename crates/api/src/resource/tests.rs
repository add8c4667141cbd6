//! Tests of the resource table.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::*;
use crate::strategy::types::{visit_type, TypeVisitor};

/// The `k8s-openapi` type's group, version, kind and plural.
struct Identity;

impl TypeVisitor for Identity {
    type Output = (&'static str, &'static str, &'static str, &'static str);

    fn visit<T>(self) -> Self::Output
    where
        T: k8s_openapi::Resource + DeserializeOwned + Serialize,
    {
        (T::GROUP, T::VERSION, T::KIND, T::URL_PATH_SEGMENT)
    }
}

#[test]
fn every_resource_has_its_upstream_type() {
    for r in builtin() {
        let identity = visit_type(r, Identity);
        assert_eq!(
            identity,
            Some((r.group, r.version, r.kind, r.plural)),
            "{}/{}",
            r.api_version(),
            r.plural
        );
    }
}

#[test]
fn lookups_find_every_resource() {
    for r in builtin() {
        let found = lookup(r.group, r.version, r.plural).expect("lookup");
        assert!(std::ptr::eq(found, r));
        let by_kind = lookup_kind(&r.api_version(), r.kind).expect("lookup_kind");
        assert!(std::ptr::eq(by_kind, r));
        let storage = r.storage();
        assert!(storage.is_storage_version(), "{}", r.plural);
        assert!(builtin().iter().any(|b| std::ptr::eq(b, storage)));
        assert_eq!(r.is_storage_version(), std::ptr::eq(storage, r));
    }
    assert!(lookup("", "v1", "nothings").is_none());
}

#[test]
fn shared_storage() {
    let events = lookup("events.k8s.io", "v1", "events").expect("events");
    assert!(std::ptr::eq(
        events.storage(),
        lookup("", "v1", "events").expect("core")
    ));
    let hpa = lookup("autoscaling", "v1", "horizontalpodautoscalers").expect("hpa");
    assert_eq!(hpa.storage().version, "v2");
}

#[test]
fn groups_in_discovery_order() {
    // Unit tests elsewhere register custom resources in `*.example.com` groups.
    let groups: Vec<(&str, Vec<&str>)> = groups()
        .into_iter()
        .filter(|g| !g.group.ends_with(".example.com"))
        .map(|g| (g.group, g.versions))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("", vec!["v1"]),
            ("apps", vec!["v1"]),
            ("events.k8s.io", vec!["v1"]),
            ("authentication.k8s.io", vec!["v1"]),
            ("authorization.k8s.io", vec!["v1"]),
            ("autoscaling", vec!["v2", "v1"]),
            ("batch", vec!["v1"]),
            ("networking.k8s.io", vec!["v1"]),
            ("policy", vec!["v1"]),
            ("rbac.authorization.k8s.io", vec!["v1"]),
            ("storage.k8s.io", vec!["v1"]),
            ("apiextensions.k8s.io", vec!["v1"]),
            ("scheduling.k8s.io", vec!["v1"]),
            ("coordination.k8s.io", vec!["v1"]),
            ("discovery.k8s.io", vec!["v1"]),
        ]
    );
}

#[test]
fn upstream_details() {
    let ns = lookup("", "v1", "namespaces").expect("namespaces");
    assert!(!ns.verbs.contains(&"deletecollection"));
    assert!(!ns.namespaced);
    let pods = lookup("", "v1", "pods").expect("pods");
    assert_eq!(pods.short_names, ["po"]);
    assert_eq!(pods.categories, ["all"]);
    assert!(pods.has_subresource(Subresource::Status));
    assert!(!pods.has_subresource(Subresource::Scale));
    let deploy = lookup("apps", "v1", "deployments").expect("deployments");
    assert!(deploy.has_subresource(Subresource::Scale));
    assert_eq!(
        lookup_short_name("deploy").map(|r| r.plural),
        Some("deployments")
    );
    assert_eq!(deploy.list_kind(), "DeploymentList");
}

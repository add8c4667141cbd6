//! Resources defined at run time by CustomResourceDefinitions.
//!
//! The API server registers each established CRD here; from then on
//! [`lookup`](super::lookup), [`groups`](super::groups) and the rest of this
//! module's siblings find its served versions beside the built-in resources.
//! A [`ResourceInfo`] is `'static` everywhere in the code base, so the entries of
//! custom resources are leaked, once per distinct entry (re-registering an
//! unchanged CRD reuses them), which bounds the leak by the number of distinct
//! definitions a process ever serves.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use serde_json::Value;

use super::{ResourceInfo, Subresource};

/// Where the scale subresource of a custom resource reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalePaths {
    /// JSON path of the desired replicas, as `.spec.replicas`.
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// One served version of a custom resource.
#[derive(Debug)]
pub struct CustomVersion {
    pub resource: &'static ResourceInfo,
    /// The name of the CRD (`plural.group`).
    pub crd: String,
    /// `openAPIV3Schema` of this version, if it has one.
    pub schema: Option<Value>,
    pub scale: Option<ScalePaths>,
    /// `additionalPrinterColumns`, as written in the CRD.
    pub printer_columns: Vec<Value>,
}

#[derive(Default)]
struct Registry {
    /// CRD name → its served versions, preferred first.
    by_crd: BTreeMap<String, Vec<Arc<CustomVersion>>>,
    /// Bumped on every change, so that caches of discovery documents can tell.
    generation: u64,
}

fn registry() -> &'static RwLock<Registry> {
    static REGISTRY: OnceLock<RwLock<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(Registry::default()))
}

fn read() -> std::sync::RwLockReadGuard<'static, Registry> {
    registry()
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write() -> std::sync::RwLockWriteGuard<'static, Registry> {
    registry()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a CRD cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrdError {
    #[error("the CustomResourceDefinition has no {0}")]
    Missing(&'static str),
    #[error("the CustomResourceDefinition has no storage version")]
    NoStorageVersion,
}

/// Serves the versions of `crd` (a CustomResourceDefinition object), replacing
/// what was served for it before.
pub fn register(crd: &Value) -> Result<(), CrdError> {
    let versions = versions_of(crd)?;
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or(CrdError::Missing("metadata.name"))?
        .to_string();
    let mut registry = write();
    let unchanged = registry.by_crd.get(&name).is_some_and(|old| {
        old.len() == versions.len()
            && old.iter().zip(&versions).all(|(a, b)| {
                std::ptr::eq(a.resource, b.resource)
                    && a.schema == b.schema
                    && a.scale == b.scale
                    && a.printer_columns == b.printer_columns
            })
    });
    if !unchanged {
        registry.by_crd.insert(name, versions);
        registry.generation += 1;
    }
    Ok(())
}

/// Stops serving the resource of the CRD named `name`.
pub fn unregister(name: &str) {
    let mut registry = write();
    if registry.by_crd.remove(name).is_some() {
        registry.generation += 1;
    }
}

/// Changes whenever the set of custom resources changes.
pub fn generation() -> u64 {
    read().generation
}

/// Every served version of every custom resource, CRDs by name, versions in
/// preference order.
pub fn all() -> Vec<&'static ResourceInfo> {
    read()
        .by_crd
        .values()
        .flatten()
        .map(|v| v.resource)
        .collect()
}

/// The custom resource version behind `resource`, if it is one.
pub fn version_of(resource: &ResourceInfo) -> Option<Arc<CustomVersion>> {
    read()
        .by_crd
        .values()
        .flatten()
        .find(|v| {
            v.resource.group == resource.group
                && v.resource.version == resource.version
                && v.resource.plural == resource.plural
        })
        .cloned()
}

/// True when `resource` is defined by a CRD.
pub fn is_custom(resource: &ResourceInfo) -> bool {
    version_of(resource).is_some()
}

/// The served versions of a CRD, preferred first (upstream's version priority).
fn versions_of(crd: &Value) -> Result<Vec<Arc<CustomVersion>>, CrdError> {
    let spec = crd.get("spec").ok_or(CrdError::Missing("spec"))?;
    let text = |pointer: &str, what: &'static str| -> Result<&'static str, CrdError> {
        spec.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(intern)
            .ok_or(CrdError::Missing(what))
    };
    let group = text("/group", "spec.group")?;
    let kind = text("/names/kind", "spec.names.kind")?;
    let plural = text("/names/plural", "spec.names.plural")?;
    let singular = spec
        .pointer("/names/singular")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(intern)
        .unwrap_or_else(|| intern(&kind.to_ascii_lowercase()));
    let strings = |pointer: &str| -> &'static [&'static str] {
        let list: Vec<&'static str> = spec
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).map(intern).collect())
            .unwrap_or_default();
        intern_list(list)
    };
    let short_names = strings("/names/shortNames");
    let categories = strings("/names/categories");
    let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
    let all_versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or(CrdError::Missing("spec.versions"))?;
    let storage_version = all_versions
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
        .map(intern)
        .ok_or(CrdError::NoStorageVersion)?;
    let crd_name = format!("{plural}.{group}");
    let mut versions = Vec::new();
    for version in all_versions {
        if version.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let Some(name) = version.get("name").and_then(Value::as_str) else {
            continue;
        };
        let status = version.pointer("/subresources/status").is_some();
        let scale = version.pointer("/subresources/scale").map(|scale| {
            let path = |key: &str| scale.get(key).and_then(Value::as_str).map(str::to_string);
            ScalePaths {
                spec_replicas: path("specReplicasPath").unwrap_or_default(),
                status_replicas: path("statusReplicasPath").unwrap_or_default(),
                label_selector: path("labelSelectorPath"),
            }
        });
        let subresources: &'static [Subresource] = match (status, scale.is_some()) {
            (true, true) => &[Subresource::Status, Subresource::Scale],
            (true, false) => &[Subresource::Status],
            (false, true) => &[Subresource::Scale],
            (false, false) => &[],
        };
        let resource = intern_resource(ResourceInfo {
            group,
            version: intern(name),
            kind,
            plural,
            singular,
            namespaced,
            short_names,
            categories,
            verbs: super::table::VERBS,
            subresources,
            storage_group: group,
            storage_version,
            storage_plural: plural,
        });
        versions.push(Arc::new(CustomVersion {
            resource,
            crd: crd_name.clone(),
            schema: version.pointer("/schema/openAPIV3Schema").cloned(),
            scale,
            printer_columns: version
                .get("additionalPrinterColumns")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }));
    }
    versions.sort_by(|a, b| compare_versions(a.resource.version, b.resource.version));
    Ok(versions)
}

/// Upstream's version priority: GA before beta before alpha before anything
/// else; higher numbers first; non-Kubernetes versions by name.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    fn parse(v: &str) -> Option<(u32, u8, u32)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let major: u32 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((major, 3, 0));
        }
        let (stage, minor) = if let Some(n) = tail.strip_prefix("beta") {
            (2, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (1, n)
        } else {
            return None;
        };
        Some((major, stage, minor.parse().ok()?))
    }
    match (parse(a), parse(b)) {
        (Some((ma, sa, na)), Some((mb, sb, nb))) => sb.cmp(&sa).then(mb.cmp(&ma)).then(nb.cmp(&na)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn intern(text: &str) -> &'static str {
    static STRINGS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut strings = STRINGS
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = strings.get(text) {
        return found;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    strings.insert(leaked);
    leaked
}

fn intern_list(list: Vec<&'static str>) -> &'static [&'static str] {
    static LISTS: OnceLock<Mutex<Vec<&'static [&'static str]>>> = OnceLock::new();
    if list.is_empty() {
        return &[];
    }
    let mut lists = LISTS
        .get_or_init(|| Mutex::new(Vec::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = lists.iter().find(|l| **l == list.as_slice()) {
        return found;
    }
    let leaked: &'static [&'static str] = Box::leak(list.into_boxed_slice());
    lists.push(leaked);
    leaked
}

fn intern_resource(info: ResourceInfo) -> &'static ResourceInfo {
    static RESOURCES: OnceLock<Mutex<Vec<&'static ResourceInfo>>> = OnceLock::new();
    let mut resources = RESOURCES
        .get_or_init(|| Mutex::new(Vec::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = resources.iter().find(|r| ***r == info) {
        return found;
    }
    let leaked: &'static ResourceInfo = Box::leak(Box::new(info));
    resources.push(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn crd(group: &str, versions: Value) -> Value {
        json!({
            "metadata": {"name": format!("widgets.{group}")},
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList", "shortNames": ["wd"], "categories": ["all"]},
                "versions": versions,
            }
        })
    }

    #[test]
    fn versions_are_served_in_priority_order() {
        let group = "order.test.example.com";
        register(&crd(
            group,
            json!([
                {"name": "v1alpha1", "served": true, "storage": false},
                {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
                {"name": "v2beta1", "served": true, "storage": false, "subresources": {"scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}},
                {"name": "v0", "served": false, "storage": false},
            ]),
        ))
        .expect("registers");
        let versions: Vec<&str> = super::super::resources_in_group(group)
            .iter()
            .map(|r| r.version)
            .collect();
        assert_eq!(versions, vec!["v1", "v2beta1", "v1alpha1"]);
        let v1 = super::super::lookup(group, "v1", "widgets").expect("v1 served");
        assert!(v1.has_subresource(Subresource::Status));
        assert_eq!(v1.short_names, &["wd"]);
        let beta = super::super::lookup(group, "v2beta1", "widgets").expect("beta served");
        assert_eq!(beta.storage_version, "v1");
        assert_eq!(
            version_of(beta)
                .and_then(|v| v.scale.clone())
                .map(|s| s.spec_replicas),
            Some(".spec.replicas".to_string())
        );
        // Registering the same definition again reuses the entries.
        let before = generation();
        register(&crd(
            group,
            json!([
                {"name": "v1alpha1", "served": true, "storage": false},
                {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
                {"name": "v2beta1", "served": true, "storage": false, "subresources": {"scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}},
            ]),
        ))
        .expect("registers");
        assert_eq!(generation(), before);
        unregister(&format!("widgets.{group}"));
        assert!(super::super::lookup(group, "v1", "widgets").is_none());
    }

    #[test]
    fn version_priority() {
        let mut versions = vec!["v1beta1", "v1", "foo", "v2alpha1", "v2", "v1beta2", "v10"];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            versions,
            vec!["v10", "v2", "v1", "v1beta2", "v1beta1", "v2alpha1", "foo"]
        );
    }
}

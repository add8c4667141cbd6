//! Which resources the API server serves, from its discovery documents: the
//! garbage collector watches them all and the namespace controller empties them.

use std::collections::HashMap;

use kube::discovery::{verbs, ApiCapabilities, ApiResource, Discovery, Scope};
use kube::Client;

/// One resource at its preferred version.
#[derive(Clone, Debug)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Resource {
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// `plural.group` (or `plural` for the core group), as upstream names resources.
    pub fn qualified(&self) -> String {
        if self.api.group.is_empty() {
            self.api.plural.clone()
        } else {
            format!("{}.{}", self.api.plural, self.api.group)
        }
    }
}

/// Every resource served, at the preferred version of its group.
#[derive(Clone, Debug, Default)]
pub struct ApiResources {
    resources: Vec<Resource>,
    by_kind: HashMap<(String, String), usize>,
}

impl ApiResources {
    pub async fn discover(client: &Client) -> Result<Self, kube::Error> {
        let discovery = Discovery::new(client.clone()).run().await?;
        let mut found = ApiResources::default();
        for group in discovery.groups() {
            for (api, capabilities) in group.recommended_resources() {
                found.insert(api, &capabilities);
            }
        }
        Ok(found)
    }

    fn insert(&mut self, api: ApiResource, capabilities: &ApiCapabilities) {
        let key = (api.group.clone(), api.kind.clone());
        self.resources.push(Resource {
            namespaced: capabilities.scope == Scope::Namespaced,
            verbs: capabilities.operations.clone(),
            api,
        });
        self.by_kind.insert(key, self.resources.len() - 1);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter()
    }

    /// The resource of objects of `kind` in the group of `api_version`
    /// (an owner reference names its owner this way).
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        let group = match api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        };
        self.by_kind
            .get(&(group.to_string(), kind.to_string()))
            .map(|&i| &self.resources[i])
    }

    /// Resources that can be listed and watched (what an informer needs).
    pub fn watchable(&self) -> impl Iterator<Item = &Resource> {
        self.resources
            .iter()
            .filter(|r| r.supports(verbs::LIST) && r.supports(verbs::WATCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources() -> ApiResources {
        let mut all = ApiResources::default();
        let caps = |scope, ops: &[&str]| ApiCapabilities {
            scope,
            subresources: Vec::new(),
            operations: ops.iter().map(|s| s.to_string()).collect(),
        };
        all.insert(
            ApiResource::from_gvk_with_plural(
                &kube::api::GroupVersionKind::gvk("apps", "v1", "ReplicaSet"),
                "replicasets",
            ),
            &caps(Scope::Namespaced, &["list", "watch", "delete"]),
        );
        all.insert(
            ApiResource::from_gvk_with_plural(
                &kube::api::GroupVersionKind::gvk("", "v1", "Namespace"),
                "namespaces",
            ),
            &caps(Scope::Cluster, &["get"]),
        );
        all
    }

    #[test]
    fn owners_resolve_by_group_and_kind() {
        let all = resources();
        let rs = all
            .by_kind("apps/v1beta2", "ReplicaSet")
            .expect("replicasets");
        assert_eq!(rs.qualified(), "replicasets.apps");
        assert!(rs.namespaced);
        assert_eq!(
            all.by_kind("v1", "Namespace").map(Resource::qualified),
            Some("namespaces".to_string())
        );
        assert!(all.by_kind("v1", "ReplicaSet").is_none());
        assert_eq!(all.watchable().count(), 1);
    }
}

//! The garbage collector's view of ownership: every watched object's identity,
//! owner references and deletion state, indexed both ways.

use std::collections::{HashMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::ObjectMeta;
use kube::core::ApiResource;

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

/// One object as the collector knows it.
#[derive(Clone, Debug)]
pub struct Node {
    pub resource: ApiResource,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
    pub meta: ObjectMeta,
}

impl Node {
    pub fn from_meta(resource: &ApiResource, meta: &ObjectMeta) -> Option<Node> {
        Some(Node {
            resource: resource.clone(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone()?,
            uid: meta.uid.clone()?,
            meta: ObjectMeta {
                namespace: meta.namespace.clone(),
                name: meta.name.clone(),
                uid: meta.uid.clone(),
                resource_version: meta.resource_version.clone(),
                owner_references: meta.owner_references.clone(),
                finalizers: meta.finalizers.clone(),
                deletion_timestamp: meta.deletion_timestamp.clone(),
                ..ObjectMeta::default()
            },
        })
    }

    pub fn owners(&self) -> &[OwnerReference] {
        self.meta.owner_references.as_deref().unwrap_or_default()
    }

    pub fn deleting(&self) -> bool {
        self.meta.deletion_timestamp.is_some()
    }

    pub fn has_finalizer(&self, finalizer: &str) -> bool {
        self.meta
            .finalizers
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|f| f == finalizer)
    }

    /// Being deleted in the foreground: waiting for its dependents to go.
    pub fn waiting_for_dependents(&self) -> bool {
        self.deleting() && self.has_finalizer(FOREGROUND)
    }

    /// This object's reference to the owner with `uid`.
    pub fn owner_ref(&self, uid: &str) -> Option<&OwnerReference> {
        self.owners().iter().find(|r| r.uid == uid)
    }
}

#[derive(Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    /// Owner uid → uids of objects naming it as owner (the owner may be unseen).
    dependents: HashMap<String, HashSet<String>>,
}

impl Graph {
    pub fn get(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    /// Records `node`; returns the node it replaces.
    pub fn upsert(&mut self, node: Node) -> Option<Node> {
        let previous = self.nodes.remove(&node.uid);
        if let Some(previous) = &previous {
            self.unlink(previous);
        }
        for owner in node.owners() {
            self.dependents
                .entry(owner.uid.clone())
                .or_default()
                .insert(node.uid.clone());
        }
        self.nodes.insert(node.uid.clone(), node);
        previous
    }

    pub fn remove(&mut self, uid: &str) -> Option<Node> {
        let node = self.nodes.remove(uid)?;
        self.unlink(&node);
        Some(node)
    }

    fn unlink(&mut self, node: &Node) {
        for owner in node.owners() {
            if let Some(set) = self.dependents.get_mut(&owner.uid) {
                set.remove(&node.uid);
                if set.is_empty() {
                    self.dependents.remove(&owner.uid);
                }
            }
        }
    }

    /// The known objects naming `uid` as an owner.
    pub fn dependents(&self, uid: &str) -> Vec<Node> {
        self.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|d| self.nodes.get(d).cloned())
            .collect()
    }

    pub fn has_dependents(&self, uid: &str) -> bool {
        self.dependents.get(uid).is_some_and(|d| !d.is_empty())
    }

    /// Uids of known objects of `resource`.
    pub fn uids_of(&self, resource: &ApiResource) -> Vec<String> {
        self.nodes
            .values()
            .filter(|n| n.resource.group == resource.group && n.resource.plural == resource.plural)
            .map(|n| n.uid.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::DynamicObject;

    fn node(uid: &str, owners: &[&str]) -> Node {
        let resource = ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("", "v1", "ConfigMap"),
            "configmaps",
        );
        let mut object = DynamicObject::new(uid, &resource);
        object.metadata.uid = Some(uid.to_string());
        object.metadata.owner_references = Some(
            owners
                .iter()
                .map(|o| OwnerReference {
                    api_version: "v1".into(),
                    kind: "ConfigMap".into(),
                    name: o.to_string(),
                    uid: o.to_string(),
                    ..OwnerReference::default()
                })
                .collect(),
        );
        Node::from_meta(&resource, &object.metadata).expect("named")
    }

    #[test]
    fn dependents_follow_owner_references() {
        let mut graph = Graph::default();
        graph.upsert(node("child", &["a", "b"]));
        graph.upsert(node("a", &[]));
        assert_eq!(graph.dependents("a").len(), 1);
        assert_eq!(graph.dependents("b").len(), 1);
        graph.upsert(node("child", &["b"]));
        assert!(!graph.has_dependents("a"));
        assert!(graph.has_dependents("b"));
        graph.remove("child");
        assert!(!graph.has_dependents("b"));
        assert_eq!(
            graph.uids_of(&graph.get("a").expect("a").resource.clone()),
            vec!["a"]
        );
    }
}

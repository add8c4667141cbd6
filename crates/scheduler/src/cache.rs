//! The scheduler's picture of the cluster: nodes and the pods on them, as
//! upstream's `internal/cache`. A pod counts on its node from the moment the
//! scheduler assumes it there (before the binding is written) until the watch
//! confirms the binding, or until the binding fails and it is forgotten, so
//! pods scheduled back to back never double-book a node.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::resources::{host_ports, pod_requests, HostPort, Resources};

/// What the scheduler keeps of a pod placed on a node.
#[derive(Clone, Debug)]
pub struct PlacedPod {
    pub pod: Arc<Pod>,
    /// Whether the pod has pod affinity or anti-affinity terms.
    pub has_affinity: bool,
    pub requests: Resources,
    pub non_zero_requests: Resources,
    pub ports: Vec<HostPort>,
}

impl PlacedPod {
    pub fn new(pod: Arc<Pod>) -> PlacedPod {
        PlacedPod {
            requests: pod_requests(&pod, false),
            non_zero_requests: pod_requests(&pod, true),
            ports: host_ports(&pod),
            has_affinity: crate::plugins::inter_pod_affinity::has_terms(&pod),
            pod,
        }
    }
}

/// A node and what is placed on it, as upstream's `framework.NodeInfo`.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub node: Arc<Node>,
    /// Pods by `namespace/name`.
    pub pods: BTreeMap<String, PlacedPod>,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub allocatable: Resources,
    /// `status.allocatable.pods`.
    pub allowed_pods: i64,
    /// Image name → size, from `status.images`.
    pub images: HashMap<String, i64>,
    /// Placed pods with pod affinity or anti-affinity terms of their own:
    /// only these can constrain where other pods go.
    pub pods_with_affinity: usize,
}

impl NodeInfo {
    pub fn new(node: Arc<Node>) -> NodeInfo {
        let mut info = NodeInfo::default();
        info.set_node(node);
        info
    }

    pub fn name(&self) -> &str {
        self.node.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn set_node(&mut self, node: Arc<Node>) {
        let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
        self.allocatable = Resources::from_map(allocatable);
        self.allowed_pods = allocatable
            .and_then(|a| a.get("pods"))
            .and_then(|q| crate::resources::parse_quantity(&q.0, 0))
            .unwrap_or(0);
        self.images = crate::plugins::image_locality::node_images(&node);
        self.node = node;
    }

    pub fn add_pod(&mut self, key: String, placed: PlacedPod) {
        self.remove_pod(&key);
        self.pods_with_affinity += usize::from(placed.has_affinity);
        self.requested.add(&placed.requests);
        self.non_zero_requested.add(&placed.non_zero_requests);
        self.pods.insert(key, placed);
    }

    pub fn remove_pod(&mut self, key: &str) -> Option<PlacedPod> {
        let placed = self.pods.remove(key)?;
        self.pods_with_affinity -= usize::from(placed.has_affinity);
        self.requested.sub(&placed.requests);
        self.non_zero_requested.sub(&placed.non_zero_requests);
        Some(placed)
    }

    pub fn used_ports(&self) -> impl Iterator<Item = &HostPort> {
        self.pods.values().flat_map(|p| p.ports.iter())
    }
}

/// What a cycle can learn about the whole cluster without visiting every
/// node: lets plugins skip work nothing in the cluster calls for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Placed pods with pod affinity or anti-affinity terms.
    pub pods_with_affinity: usize,
    /// Nodes that report images.
    pub nodes_with_images: usize,
}

/// Nodes, placed pods and assumptions.
#[derive(Debug, Default)]
pub struct Cache {
    /// Every node, in one contiguous list: each cycle walks it, and a walk of
    /// a tree of 5,000 nodes cost more than some plugins.
    nodes: Vec<NodeInfo>,
    /// Node name → its place in `nodes`.
    node_index: HashMap<String, usize>,
    /// Kept up to date with every change of `nodes`.
    summary: Summary,
    /// Where each placed pod is (`namespace/name` → node), for pods whose node
    /// object is not (yet) known too.
    pod_nodes: HashMap<String, String>,
    /// Pods the scheduler placed whose binding the watch has not yet shown.
    assumed: HashMap<String, String>,
    /// Pods on nodes the cache does not know, kept until the node appears.
    orphans: HashMap<String, (String, PlacedPod)>,
}

/// `namespace/name` of a pod.
pub fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

impl Cache {
    fn node_mut(&mut self, name: &str) -> Option<&mut NodeInfo> {
        let index = *self.node_index.get(name)?;
        self.nodes.get_mut(index)
    }

    /// Adds or replaces a node; returns whether anything scheduling depends on
    /// changed (labels, taints, unschedulable, allocatable), or it is new.
    pub fn set_node(&mut self, node: Arc<Node>) -> bool {
        let name = node.metadata.name.clone().unwrap_or_default();
        match self.node_mut(&name) {
            Some(info) => {
                let relevant = info.node.metadata.labels != node.metadata.labels
                    || info.node.spec != node.spec
                    || info.node.status.as_ref().map(|s| &s.allocatable)
                        != node.status.as_ref().map(|s| &s.allocatable);
                let had_images = !info.images.is_empty();
                info.set_node(node);
                let has_images = !info.images.is_empty();
                self.summary.nodes_with_images += usize::from(has_images);
                self.summary.nodes_with_images -= usize::from(had_images);
                relevant
            }
            None => {
                let mut info = NodeInfo::new(node);
                let orphans: Vec<String> = self
                    .orphans
                    .iter()
                    .filter(|(_, (node, _))| *node == name)
                    .map(|(key, _)| key.clone())
                    .collect();
                for key in orphans {
                    if let Some((_, placed)) = self.orphans.remove(&key) {
                        info.add_pod(key, placed);
                    }
                }
                self.summary.pods_with_affinity += info.pods_with_affinity;
                self.summary.nodes_with_images += usize::from(!info.images.is_empty());
                self.node_index.insert(name, self.nodes.len());
                self.nodes.push(info);
                true
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(index) = self.node_index.remove(name) else {
            return;
        };
        let info = self.nodes.swap_remove(index);
        if let Some(moved) = self.nodes.get(index) {
            self.node_index.insert(moved.name().to_string(), index);
        }
        self.summary.pods_with_affinity -= info.pods_with_affinity;
        self.summary.nodes_with_images -= usize::from(!info.images.is_empty());
        for (key, placed) in info.pods {
            self.orphans.insert(key, (name.to_string(), placed));
        }
    }

    /// Records `pod` on `node_name` (from the watch, or assumed).
    fn place(&mut self, key: String, node_name: &str, placed: PlacedPod) {
        self.unplace(&key);
        self.pod_nodes.insert(key.clone(), node_name.to_string());
        let has_affinity = placed.has_affinity;
        match self.node_mut(node_name) {
            Some(info) => {
                info.add_pod(key, placed);
                self.summary.pods_with_affinity += usize::from(has_affinity);
            }
            None => {
                self.orphans.insert(key, (node_name.to_string(), placed));
            }
        }
    }

    fn unplace(&mut self, key: &str) {
        if let Some(node) = self.pod_nodes.remove(key) {
            let removed = self.node_mut(&node).and_then(|info| info.remove_pod(key));
            if let Some(placed) = removed {
                self.summary.pods_with_affinity -= usize::from(placed.has_affinity);
            }
        }
        self.orphans.remove(key);
    }

    /// A bound, non-terminal pod seen by the watch; confirms an assumption.
    pub fn add_bound_pod(&mut self, pod: Arc<Pod>) {
        let key = pod_key(&pod);
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
        self.assumed.remove(&key);
        self.place(key, &node, PlacedPod::new(pod));
    }

    /// A pod gone from the cluster (deleted, or finished).
    pub fn remove_pod(&mut self, key: &str) {
        self.assumed.remove(key);
        self.unplace(key);
    }

    /// Removes a finished pod; whether it held a place on a node.
    pub fn remove_pod_if_placed(&mut self, key: &str) -> bool {
        let placed = self.pod_nodes.contains_key(key);
        self.remove_pod(key);
        placed
    }

    /// Keeps only the placed pods `keep` accepts (after a re-list), and the
    /// assumed ones whose bindings are still in flight.
    pub fn retain_pods(&mut self, keep: impl Fn(&str) -> bool) {
        let gone: Vec<String> = self
            .pod_nodes
            .keys()
            .filter(|key| !keep(key) && !self.assumed.contains_key(*key))
            .cloned()
            .collect();
        for key in gone {
            self.unplace(&key);
        }
    }

    /// Counts `pod` on `node_name` before its binding is written.
    pub fn assume(&mut self, pod: Arc<Pod>, node_name: &str) {
        let key = pod_key(&pod);
        self.assumed.insert(key.clone(), node_name.to_string());
        self.place(key, node_name, PlacedPod::new(pod));
    }

    /// Drops an assumption whose binding failed.
    pub fn forget(&mut self, key: &str) {
        if self.assumed.remove(key).is_some() {
            self.unplace(key);
        }
    }

    pub fn is_assumed(&self, key: &str) -> bool {
        self.assumed.contains_key(key)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes.iter()
    }

    /// What the known nodes hold, as a whole.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, pod};

    #[test]
    fn assumed_pods_count_until_confirmed_or_forgotten() {
        let mut cache = Cache::default();
        cache.set_node(Arc::new(node("n1", "4", "8Gi")));
        let first = Arc::new(pod("a", "1", "1Gi"));
        cache.assume(first.clone(), "n1");
        let requested = |cache: &Cache| cache.nodes().next().unwrap().requested.milli_cpu;
        assert_eq!(requested(&cache), 1000);
        assert!(cache.is_assumed("default/a"));
        // The watch shows the binding: still counted once.
        let mut bound = (*first).clone();
        bound.spec.as_mut().unwrap().node_name = Some("n1".into());
        cache.add_bound_pod(Arc::new(bound));
        assert!(!cache.is_assumed("default/a"));
        assert_eq!(requested(&cache), 1000);
        cache.forget("default/a");
        assert_eq!(requested(&cache), 1000);
        cache.remove_pod("default/a");
        assert_eq!(requested(&cache), 0);
        // A failed binding is forgotten.
        cache.assume(Arc::new(pod("b", "2", "1Gi")), "n1");
        assert_eq!(requested(&cache), 2000);
        cache.forget("default/b");
        assert_eq!(requested(&cache), 0);
    }

    #[test]
    fn the_summary_follows_nodes_and_pods() {
        let mut cache = Cache::default();
        cache.set_node(Arc::new(node("n1", "4", "8Gi")));
        cache.set_node(Arc::new(node("n2", "4", "8Gi")));
        assert_eq!(cache.summary(), Summary::default());
        let mut with_images = node("n2", "4", "8Gi");
        with_images.status.as_mut().unwrap().images =
            serde_json::from_value(serde_json::json!([{"names": ["app:1"], "sizeBytes": 100}]))
                .unwrap();
        cache.set_node(Arc::new(with_images));
        assert_eq!(cache.summary().nodes_with_images, 1);
        let mut picky = pod("a", "1", "1Gi");
        picky.spec.as_mut().unwrap().affinity = serde_json::from_value(serde_json::json!({
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {}, "topologyKey": "kubernetes.io/hostname"}
            ]}
        }))
        .unwrap();
        cache.assume(Arc::new(picky.clone()), "n2");
        cache.assume(Arc::new(pod("b", "1", "1Gi")), "n2");
        assert_eq!(cache.summary().pods_with_affinity, 1);
        // Placed again (the watch confirms it): still one.
        picky.spec.as_mut().unwrap().node_name = Some("n2".into());
        cache.add_bound_pod(Arc::new(picky));
        assert_eq!(cache.summary().pods_with_affinity, 1);
        // The node goes (its pods wait as orphans), and comes back.
        cache.remove_node("n2");
        assert_eq!(cache.summary(), Summary::default());
        assert_eq!(cache.node_count(), 1);
        assert_eq!(cache.nodes().next().unwrap().name(), "n1");
        cache.set_node(Arc::new(node("n2", "4", "8Gi")));
        assert_eq!(cache.summary().pods_with_affinity, 1);
        cache.remove_pod("default/a");
        assert_eq!(cache.summary(), Summary::default());
    }

    #[test]
    fn pods_on_unknown_nodes_wait_for_the_node() {
        let mut cache = Cache::default();
        let mut bound = pod("a", "1", "1Gi");
        bound.spec.as_mut().unwrap().node_name = Some("n1".into());
        cache.add_bound_pod(Arc::new(bound));
        cache.set_node(Arc::new(node("n1", "4", "8Gi")));
        assert_eq!(cache.nodes().next().unwrap().pods.len(), 1);
    }
}

//! The in-tree plugins, one file each, and the default profile that wires
//! them with upstream's order and score weights (`getDefaultPlugins` in
//! `pkg/scheduler/apis/config/v1/default_plugins.go`).

pub mod balanced_allocation;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

use crate::framework::Framework;

/// The default profile: filters in upstream's order, scorers with upstream's
/// weights (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1,
/// PodTopologySpread 2, InterPodAffinity 2, NodeResourcesBalancedAllocation 1,
/// ImageLocality 1).
pub fn default_framework() -> Framework {
    Framework {
        filters: vec![
            Box::new(node_unschedulable::NodeUnschedulable),
            Box::new(node_name::NodeName),
            Box::new(taint_toleration::TaintToleration),
            Box::new(node_affinity::NodeAffinity),
            Box::new(node_ports::NodePorts),
            Box::new(node_resources_fit::NodeResourcesFit),
            Box::new(pod_topology_spread::PodTopologySpread),
            Box::new(inter_pod_affinity::InterPodAffinity),
        ],
        scorers: vec![
            (Box::new(taint_toleration::TaintToleration), 3),
            (Box::new(node_affinity::NodeAffinity), 2),
            (Box::new(node_resources_fit::NodeResourcesFit), 1),
            (Box::new(pod_topology_spread::PodTopologySpread), 2),
            (Box::new(inter_pod_affinity::InterPodAffinity), 2),
            (Box::new(balanced_allocation::BalancedAllocation), 1),
            (Box::new(image_locality::ImageLocality), 1),
        ],
    }
}

//! Pods and nodes for the unit tests.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::json;

use crate::cache::NodeInfo;

/// A node with allocatable `cpu`, `memory` and 110 pods.
pub fn node(name: &str, cpu: &str, memory: &str) -> Node {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}}
    }))
    .unwrap()
}

pub fn node_info(node: Node) -> NodeInfo {
    NodeInfo::new(Arc::new(node))
}

/// A pod in `default` whose one container requests `cpu` and `memory`
/// ("0" leaves the request out).
pub fn pod(name: &str, cpu: &str, memory: &str) -> Pod {
    let mut requests = serde_json::Map::new();
    if cpu != "0" {
        requests.insert("cpu".into(), json!(cpu));
    }
    if memory != "0" {
        requests.insert("memory".into(), json!(memory));
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"requests": requests}}]}
    }))
    .unwrap()
}

//! ImageLocality: prefers nodes that already hold the pod's container images
//! (`status.images`), weighing each image by its size and by how widely it
//! is spread across the cluster, so one node with a popular image does not
//! attract everything. Upstream `plugins/imagelocality`.

use std::collections::HashMap;

use crate::cache::NodeInfo;
use crate::framework::{PodState, ScorePlugin, MAX_NODE_SCORE};

const MB: i64 = 1024 * 1024;
/// Below this sum an image is not worth a preference (upstream `minThreshold`).
const MIN_THRESHOLD: i64 = 23 * MB;
/// The most one container's images can count (upstream `maxContainerThreshold`).
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

pub struct ImageLocality;

/// The name the kubelet reports an image under: `:latest` when untagged
/// (upstream `normalizedImageName`).
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// Image name → size on `node` (`status.images`), read once per Node update.
pub fn node_images(node: &k8s_openapi::api::core::v1::Node) -> HashMap<String, i64> {
    let mut images = HashMap::new();
    for image in node
        .status
        .as_ref()
        .and_then(|s| s.images.as_ref())
        .into_iter()
        .flatten()
    {
        for name in image.names.iter().flatten() {
            images.insert(name.clone(), image.size_bytes.unwrap_or(0));
        }
    }
    images
}

fn pod_images(state: &PodState<'_>) -> Vec<String> {
    let Some(spec) = state.pod.spec.as_ref() else {
        return Vec::new();
    };
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .filter_map(|c| c.image.as_deref())
        .map(normalized_image_name)
        .collect()
}

impl ScorePlugin for ImageLocality {
    fn name(&self) -> &'static str {
        "ImageLocality"
    }

    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        self.score_nodes(state, &[node], &[node])[0]
    }

    fn score_nodes(
        &self,
        state: &PodState<'_>,
        feasible: &[&NodeInfo],
        all: &[&NodeInfo],
    ) -> Vec<i64> {
        let images = pod_images(state);
        let no_images = state.cluster.is_some_and(|c| c.nodes_with_images == 0);
        if images.is_empty() || all.is_empty() || no_images {
            return vec![0; feasible.len()];
        }
        let spread: HashMap<&str, usize> = images
            .iter()
            .map(|image| {
                let count = all.iter().filter(|n| n.images.contains_key(image)).count();
                (image.as_str(), count)
            })
            .collect();
        if spread.values().all(|&count| count == 0) {
            return vec![0; feasible.len()];
        }
        let containers = state
            .pod
            .spec
            .as_ref()
            .map(|s| s.containers.len() + s.init_containers.as_ref().map_or(0, Vec::len))
            .unwrap_or(0) as i64;
        let max_threshold = MAX_CONTAINER_THRESHOLD * containers.max(1);
        feasible
            .iter()
            .map(|node| {
                let sum: i64 = images
                    .iter()
                    .filter_map(|image| {
                        let size = node.images.get(image)?;
                        let nodes_with = spread.get(image.as_str()).copied().unwrap_or(0) as f64;
                        Some((*size as f64 * nodes_with / all.len() as f64) as i64)
                    })
                    .sum();
                let clamped = sum.clamp(MIN_THRESHOLD, max_threshold);
                MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;

    fn with_images(name: &str, images: serde_json::Value) -> NodeInfo {
        let mut n = node(name, "1", "1Gi");
        n.status.as_mut().unwrap().images = serde_json::from_value(images).unwrap();
        node_info(n)
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(normalized_image_name("busybox"), "busybox:latest");
        assert_eq!(normalized_image_name("busybox:1.36"), "busybox:1.36");
        assert_eq!(
            normalized_image_name("registry:5000/app"),
            "registry:5000/app:latest"
        );
        assert_eq!(normalized_image_name("app@sha256:abc"), "app@sha256:abc");
    }

    #[test]
    fn nodes_holding_big_images_score_higher() {
        let p = pod("p", "0", "0");
        let state = PodState::new(&p);
        let a = with_images(
            "a",
            json!([{"names": ["busybox:latest"], "sizeBytes": 523 * MB}]),
        );
        let b = with_images("b", json!([]));
        let nodes = [&a, &b];
        // 523 MiB on one node of two counts 261.5 MiB: (261-23)/(1000-23).
        assert_eq!(
            ImageLocality.score_nodes(&state, &nodes, &nodes),
            vec![24, 0]
        );
    }
}

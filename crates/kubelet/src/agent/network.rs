//! Pod networking on this node: once the node IPAM controller has given the
//! Node its podCIDR, the CNI configuration for it is written where the
//! runtime reads it (and rewritten if the podCIDR ever changes). Until then
//! sandboxes fail with the runtime's "cni config uninitialized", and their
//! pods stay ContainerCreating, as upstream.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;

use super::Shared;

pub(super) async fn configure(shared: Arc<Shared>) {
    let nodes: Api<Node> = Api::all(shared.client.clone());
    let mut cni = shared.options.cni.clone();
    loop {
        match nodes.get(&shared.options.node_name).await {
            Ok(node) => {
                if let Some(cidr) = node.spec.and_then(|s| s.pod_cidr) {
                    if cidr != cni.pod_cidr {
                        cni.pod_cidr = cidr;
                        match crate::cni::write(&cni) {
                            Ok(_) => tracing::info!(cidr = %cni.pod_cidr, "pod network configured"),
                            Err(error) => tracing::error!("writing the CNI configuration: {error}"),
                        }
                    }
                }
            }
            Err(error) => tracing::warn!("reading this node: {error}"),
        }
        let wait = if cni.pod_cidr.is_empty() { 1 } else { 30 };
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
}

//! The kubelet's own Node: registration with the machine's capacity, the
//! status it keeps fresh (conditions, addresses, images, nodeInfo) and the
//! Lease it renews every 10 s, as upstream's kubelet does.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use super::Shared;
use crate::cri::api as cri;
use crate::hollow::node::{arch, conditions, micro_time, KUBELET_VERSION, LEASE_NAMESPACE};
use crate::Error;

/// How often the Lease is renewed (upstream: a quarter of its 40 s duration).
const LEASE_RENEW: Duration = Duration::from_secs(10);
/// How often the status is posted (upstream's nodeStatusUpdateFrequency).
const STATUS_EVERY: Duration = Duration::from_secs(10);

/// Resources as the node reports them: capacity, and allocatable (the same,
/// less nothing reserved: rkube reserves no system or kube share).
pub(super) fn resources(shared: &Shared) -> Value {
    let machine = &shared.machine;
    json!({
        "cpu": machine.cpus.to_string(),
        "memory": format!("{}Ki", machine.memory_bytes / 1024),
        "ephemeral-storage": format!("{}Ki", machine.ephemeral_storage_bytes / 1024),
        "pods": shared.options.max_pods.to_string(),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    })
}

/// The node's whole status at `now`.
pub(super) fn status(shared: &Shared, now: Timestamp, image_list: &[cri::Image]) -> Value {
    let machine = &shared.machine;
    let resources = resources(shared);
    json!({
        "capacity": resources,
        "allocatable": resources,
        "conditions": conditions(now, shared.started),
        "addresses": [
            {"type": "InternalIP", "address": shared.options.node_ip.to_string()},
            {"type": "Hostname", "address": shared.options.node_name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": shared.kubelet_port()}},
        "nodeInfo": {
            "machineID": machine.machine_id,
            "systemUUID": machine.machine_id,
            "bootID": machine.boot_id,
            "kernelVersion": machine.kernel_version,
            "osImage": machine.os_image,
            "containerRuntimeVersion": shared.runtime_version,
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": arch(),
        },
        "images": serde_json::to_value(crate::images::node_images(image_list)).unwrap_or_default(),
    })
}

/// Registers the Node (or takes over the existing one of the same name).
pub(super) async fn register(shared: &Shared) -> Result<Node, Error> {
    let name = &shared.options.node_name;
    let nodes: Api<Node> = Api::all(shared.client.clone());
    let node = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": arch(),
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch(),
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
    });
    let node: Node = serde_json::from_value(node)?;
    match nodes.create(&PostParams::default(), &node).await {
        Ok(_) => tracing::info!(node = %name, "node registered"),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            tracing::info!(node = %name, "node already registered; taking it over")
        }
        Err(error) => return Err(error.into()),
    }
    post_status(shared).await?;
    Ok(nodes.get(name).await?)
}

/// Posts the node's status now.
pub(super) async fn post_status(shared: &Shared) -> Result<(), Error> {
    let image_list = shared
        .cri
        .images()
        .list_images(cri::ListImagesRequest { filter: None })
        .await
        .map(|r| r.into_inner().images)
        .unwrap_or_default();
    let mut status = status(shared, Timestamp::now(), &image_list);
    if let Some(message) = network_not_ready(shared).await {
        // As upstream: the node is not Ready while the runtime's network is
        // not (no CNI configuration yet), so no pod is placed on it.
        if let Some(ready) = status["conditions"]
            .as_array_mut()
            .and_then(|c| c.iter_mut().find(|c| c["type"] == "Ready"))
        {
            ready["status"] = json!("False");
            ready["reason"] = json!("KubeletNotReady");
            ready["message"] = json!(message);
        }
    }
    let nodes: Api<Node> = Api::all(shared.client.clone());
    nodes
        .patch_status(
            &shared.options.node_name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": status})),
        )
        .await?;
    Ok(())
}

/// The Ready condition's message when the runtime reports its network not
/// ready (CRI Status), as upstream's kubelet words it.
async fn network_not_ready(shared: &Shared) -> Option<String> {
    let status = shared
        .cri
        .runtime()
        .status(cri::StatusRequest { verbose: false })
        .await
        .ok()?
        .into_inner()
        .status?;
    let network = status
        .conditions
        .iter()
        .find(|c| c.r#type == "NetworkReady")?;
    (!network.status).then(|| {
        format!(
            "container runtime network not ready: NetworkReady=false reason:{} message:{}",
            network.reason, network.message
        )
    })
}

async fn renew_lease(shared: &Shared, node_uid: Option<&str>) -> Result<(), Error> {
    let name = &shared.options.node_name;
    let leases: Api<Lease> = Api::namespaced(shared.client.clone(), LEASE_NAMESPACE);
    let renew = json!({"spec": {
        "holderIdentity": name,
        "leaseDurationSeconds": 40,
        "renewTime": micro_time(Timestamp::now()),
    }});
    match leases
        .patch(name, &PatchParams::default(), &Patch::Merge(&renew))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let owners = match node_uid {
                Some(uid) => {
                    json!([{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}])
                }
                None => json!([]),
            };
            let mut lease = renew;
            lease["apiVersion"] = json!("coordination.k8s.io/v1");
            lease["kind"] = json!("Lease");
            lease["metadata"] =
                json!({"name": name, "namespace": LEASE_NAMESPACE, "ownerReferences": owners});
            let lease: Lease = serde_json::from_value(lease)?;
            leases.create(&PostParams::default(), &lease).await?;
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Renews the Lease every 10 s and posts the status every 10 s, until the
/// agent stops. Errors are logged and retried on the next tick.
pub(super) async fn heartbeat(shared: Arc<Shared>, node_uid: Option<String>) {
    let mut lease_tick = tokio::time::interval(LEASE_RENEW);
    let mut status_tick = tokio::time::interval(STATUS_EVERY);
    loop {
        tokio::select! {
            _ = lease_tick.tick() => {
                if let Err(error) = renew_lease(&shared, node_uid.as_deref()).await {
                    tracing::warn!("renewing the node lease: {error}");
                }
            }
            _ = status_tick.tick() => {
                if let Err(error) = post_status(&shared).await {
                    tracing::warn!("posting the node status: {error}");
                }
            }
        }
    }
}

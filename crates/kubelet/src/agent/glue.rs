//! Where the worker meets the kubelet's other modules: volumes
//! (`crate::volumes`), container environment (`crate::env`), lifecycle
//! hooks (`crate::hooks`) and probes (`crate::probes`). Each function turns
//! their errors into the message upstream's kubelet shows.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use tokio::sync::mpsc;

use super::{spec, Shared};
use crate::cri::api as cri;
use crate::env::NodeInfo;
use crate::probes::{ContainerProbes, ProbeEvent, ProbeResult, Target};
use crate::volumes::PodVolumes;

/// What env and volumes may show of this node: its IP and allocatable.
pub fn node_info(shared: &Shared) -> NodeInfo {
    let resources = super::node::resources(shared);
    let allocatable = resources
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), Quantity(v.to_string()))))
        .collect();
    NodeInfo {
        host_ips: vec![shared.options.node_ip.to_string()],
        allocatable,
    }
}

/// Sets up (or, after a failure, finishes setting up) the pod's volumes;
/// the error is the FailedMount events' text, one line per volume.
pub async fn setup_volumes(
    shared: &Shared,
    pod: &Pod,
    volumes: &mut Option<PodVolumes>,
) -> Result<(), Vec<String>> {
    if volumes.is_none() {
        let dir = shared.options.pod_dir(spec::uid(pod));
        *volumes =
            Some(PodVolumes::new(&dir, &node_info(shared)).map_err(|e| vec![e.to_string()])?);
    }
    let Some(set) = volumes.as_mut() else {
        return Ok(());
    };
    set.set_up_all(&shared.client, pod).await.map_err(|error| {
        let lines: Vec<String> = error.failures().iter().map(|f| f.to_string()).collect();
        if lines.is_empty() {
            vec![error.to_string()]
        } else {
            lines
        }
    })
}

/// Rewrites configMap, secret, downwardAPI and projected volumes whose
/// sources changed (running containers see the new files).
pub async fn refresh_volumes(shared: &Shared, pod: &Pod, volumes: &mut PodVolumes) {
    if let Err(error) = volumes.refresh(&shared.client, pod).await {
        tracing::debug!(pod = spec::name(pod), "refreshing volumes: {error}");
    }
}

/// Unmounts and removes the pod's directory.
pub async fn teardown_volumes(shared: &Shared, uid: &str) {
    let dir = shared.options.pod_dir(uid);
    if dir.exists() {
        if let Err(error) = crate::volumes::teardown(&dir).await {
            tracing::warn!(pod = uid, "removing the pod's volumes: {error}");
        }
    }
}

/// The container's CRI mounts.
pub fn mounts(
    volumes: &PodVolumes,
    container: &Container,
    env: &[(String, String)],
) -> Result<Vec<cri::Mount>, String> {
    volumes.mounts(container, env).map_err(|e| e.to_string())
}

/// The container's environment, or the CreateContainerConfigError message.
pub async fn container_env(
    shared: &Shared,
    pod: &Pod,
    container: &Container,
    pod_ip: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    let ips: Vec<String> = pod_ip.map(|ip| vec![ip.to_string()]).unwrap_or_default();
    crate::env::resolve(&shared.client, pod, container, &ips, &node_info(shared))
        .await
        .map_err(|e| e.to_string())
}

/// The pod's DNS: none configured yet, so the runtime gives the host's.
pub fn dns_config(_shared: &Shared, _pod: &Pod) -> Option<cri::DnsConfig> {
    None
}

fn target(
    shared: &Shared,
    pod: &Pod,
    container: &Container,
    id: &str,
    pod_ip: Option<&str>,
) -> Target {
    Target {
        cri: shared.cri.clone(),
        container_id: id.to_string(),
        pod_ip: pod_ip.map(str::to_string),
        container: container.clone(),
        pod_name: spec::name(pod).to_string(),
        pod_namespace: spec::namespace(pod).to_string(),
        pod_uid: spec::uid(pod).to_string(),
    }
}

/// Runs a postStart or preStop handler; the error is the event's message.
pub async fn run_hook(
    shared: &Shared,
    handler: &LifecycleHandler,
    pod: &Pod,
    container_id: &str,
    container: &Container,
    pod_ip: Option<&str>,
) -> Result<(), String> {
    let target = target(shared, pod, container, container_id, pod_ip);
    crate::hooks::run(handler, &target)
        .await
        .map_err(|e| e.to_string())
}

/// Starts the container's probes (startup first, then liveness and
/// readiness); results and events come back on the worker's channels.
pub fn spawn_probes(
    shared: &Arc<Shared>,
    pod: &Pod,
    container: &Container,
    container_id: &str,
    pod_ip: Option<&str>,
    results: mpsc::Sender<ProbeResult>,
    events: mpsc::Sender<ProbeEvent>,
) -> ContainerProbes {
    let target = target(shared, pod, container, container_id, pod_ip);
    crate::probes::spawn_container_with_events(target, results, events)
}

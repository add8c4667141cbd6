//! Where the worker meets the kubelet's other modules: volumes, container
//! environment, DNS, lifecycle hooks and probes. Each function turns their
//! errors into the message upstream's kubelet shows.

use k8s_openapi::api::core::v1::{Container, LifecycleHandler, Pod};
use tokio::sync::mpsc;

use super::worker::ProbeVerdict;
use super::Shared;
use crate::cri::api as cri;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// A running probe; dropping it stops the probe.
pub struct ProbeTask(tokio::task::JoinHandle<()>);

impl Drop for ProbeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The pod's volumes as set up on the node.
pub struct Volumes {}

pub async fn setup_volumes(_shared: &Shared, _pod: &Pod) -> Result<Volumes, String> {
    Ok(Volumes {})
}

pub async fn refresh_volumes(_shared: &Shared, _pod: &Pod, _volumes: &mut Volumes) {}

pub async fn teardown_volumes(_volumes: Volumes) {}

pub fn mounts(
    _volumes: &Volumes,
    _pod: &Pod,
    _container: &Container,
    _env: &[cri::KeyValue],
) -> Result<Vec<cri::Mount>, String> {
    Ok(vec![])
}

pub async fn container_env(
    _shared: &Shared,
    _pod: &Pod,
    container: &Container,
    _pod_ip: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    Ok(container
        .env
        .iter()
        .flatten()
        .filter_map(|e| e.value.clone().map(|v| (e.name.clone(), v)))
        .collect())
}

/// The pod's DNS: none configured yet, so the runtime gives the host's.
pub fn dns_config(_shared: &Shared, _pod: &Pod) -> Option<cri::DnsConfig> {
    None
}

pub async fn run_hook(
    shared: &Shared,
    handler: &LifecycleHandler,
    container_id: &str,
    _container: &Container,
    _pod_ip: Option<&str>,
) -> Result<(), String> {
    if let Some(exec) = &handler.exec {
        let response = shared
            .cri
            .runtime()
            .exec_sync(cri::ExecSyncRequest {
                container_id: container_id.to_string(),
                cmd: exec.command.clone().unwrap_or_default(),
                timeout: 30,
            })
            .await
            .map_err(|s| s.message().to_string())?
            .into_inner();
        if response.exit_code != 0 {
            return Err(format!(
                "Exec lifecycle hook ({:?}) for Container failed - error: command exited with {}, message: {:?}",
                exec.command.clone().unwrap_or_default(),
                response.exit_code,
                String::from_utf8_lossy(&response.stdout)
            ));
        }
    }
    if let Some(sleep) = &handler.sleep {
        tokio::time::sleep(std::time::Duration::from_secs(sleep.seconds.max(0) as u64)).await;
    }
    Ok(())
}

pub fn spawn_probes(
    _shared: &std::sync::Arc<Shared>,
    _pod: &Pod,
    _container: &Container,
    _container_id: &str,
    _pod_ip: Option<&str>,
    _tx: mpsc::UnboundedSender<ProbeVerdict>,
) -> Vec<ProbeTask> {
    vec![]
}

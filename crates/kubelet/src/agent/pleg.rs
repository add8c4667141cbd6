//! The pod lifecycle event generator, as upstream's: every second one
//! relist of all sandboxes and containers; a pod whose containers changed
//! state has its worker woken. Sandboxes of pods this kubelet no longer
//! has (deleted while it was down) are stopped and removed, once the pod
//! watch has listed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::worker::Handle;
use super::Shared;
use crate::cri::api as cri;
use crate::cri::labels;

const PERIOD: Duration = Duration::from_secs(1);

static SYNCED: AtomicBool = AtomicBool::new(false);

/// The pod watch has listed: sandboxes of unknown pods are orphans now.
pub fn mark_synced(_shared: &Shared) {
    SYNCED.store(true, Ordering::Relaxed);
}

pub async fn run(shared: Arc<Shared>, workers: Arc<Mutex<HashMap<String, Handle>>>) {
    let mut seen: HashMap<String, Vec<(String, i32)>> = HashMap::new();
    let mut tick = tokio::time::interval(PERIOD);
    loop {
        tick.tick().await;
        let runtime = shared.cri.runtime();
        let Ok(containers) = runtime
            .clone()
            .list_containers(cri::ListContainersRequest { filter: None })
            .await
        else {
            continue;
        };
        let Ok(sandboxes) = runtime
            .clone()
            .list_pod_sandbox(cri::ListPodSandboxRequest { filter: None })
            .await
        else {
            continue;
        };
        let mut now: HashMap<String, Vec<(String, i32)>> = HashMap::new();
        for c in containers.into_inner().containers {
            if let Some(uid) = c.labels.get(labels::POD_UID) {
                now.entry(uid.clone()).or_default().push((c.id, c.state));
            }
        }
        let sandboxes = sandboxes.into_inner().items;
        for s in &sandboxes {
            if let Some(uid) = s.labels.get(labels::POD_UID) {
                now.entry(uid.clone()).or_default().push((s.id.clone(), 100 + s.state));
            }
        }
        for list in now.values_mut() {
            list.sort();
        }
        let changed: Vec<String> = now
            .iter()
            .filter(|(uid, list)| seen.get(*uid) != Some(list))
            .map(|(uid, _)| uid.clone())
            .chain(seen.keys().filter(|uid| !now.contains_key(*uid)).cloned())
            .collect();
        let orphans: Vec<String> = {
            let Ok(workers) = workers.lock() else {
                continue;
            };
            for uid in &changed {
                if let Some(handle) = workers.get(uid) {
                    handle.wake.notify_one();
                }
            }
            if SYNCED.load(Ordering::Relaxed) {
                sandboxes
                    .iter()
                    .filter(|s| {
                        s.labels
                            .get(labels::POD_UID)
                            .is_some_and(|uid| !workers.contains_key(uid))
                    })
                    .map(|s| s.id.clone())
                    .collect()
            } else {
                Vec::new()
            }
        };
        for id in orphans {
            tracing::info!(sandbox = %id, "removing the sandbox of a pod this node no longer has");
            let _ = runtime
                .clone()
                .stop_pod_sandbox(cri::StopPodSandboxRequest {
                    pod_sandbox_id: id.clone(),
                })
                .await;
            let _ = runtime
                .clone()
                .remove_pod_sandbox(cri::RemovePodSandboxRequest { pod_sandbox_id: id })
                .await;
        }
        seen = now;
    }
}

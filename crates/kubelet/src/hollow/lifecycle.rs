//! Playing pods bound to hollow nodes through their lifecycle: one watch of
//! all bound pods (filtered here by node name, rather than one watch per node
//! as upstream's kubelet has), a work queue keyed by pod, and a pool of
//! workers that write statuses through pods/status and finally delete pods
//! being deleted. What to do next is decided by `pods.rs`.
//!
//! Per pod only a small record is kept (uid, node, IP host, how far it got),
//! so that a late watch event of an older status never moves a pod back; a
//! pod object is held only while its key waits in the queue.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::watcher;
use kube::Api;
use serde_json::json;

use super::node::{node_ip, pod_host, pod_ip};
use super::pods::{self, Step};
use super::queue::WorkQueue;
use super::Shared;
use crate::Error;

/// How soon a failed pod update is retried.
const RETRY: Duration = Duration::from_secs(1);

/// How far a pod got, as this kubelet wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Seen,
    Created,
    Running,
    Finished,
    Deleting,
}

struct Tracked {
    uid: String,
    node: u32,
    /// The host part of the pod IP in the node's /24 (0: none).
    host: u8,
    stage: Stage,
}

struct Lifecycle {
    shared: Arc<Shared>,
    queue: WorkQueue,
    /// The latest object of each queued pod.
    latest: Mutex<HashMap<String, Pod>>,
    tracked: Mutex<HashMap<String, Tracked>>,
}

fn key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

pub(super) async fn run(shared: Arc<Shared>) {
    let lifecycle = Arc::new(Lifecycle {
        shared,
        queue: WorkQueue::default(),
        latest: Mutex::new(HashMap::new()),
        tracked: Mutex::new(HashMap::new()),
    });
    let mut tasks = Vec::new();
    {
        let lifecycle = lifecycle.clone();
        tasks.push(tokio::spawn(
            async move { lifecycle.queue.run_timers().await },
        ));
    }
    for _ in 0..lifecycle.shared.options.max_requests_in_flight.max(1) {
        let lifecycle = lifecycle.clone();
        tasks.push(tokio::spawn(async move { lifecycle.work().await }));
    }
    lifecycle.watch().await;
    for task in tasks {
        task.abort();
    }
}

impl Lifecycle {
    fn node_of(&self, pod: &Pod) -> Option<u32> {
        let name = pod.spec.as_ref()?.node_name.as_deref()?;
        self.shared.index(name)
    }

    /// Follows every bound pod; queues those of live hollow nodes with
    /// something to do.
    async fn watch(&self) {
        let pods: Api<Pod> = Api::all(self.shared.client.clone());
        let config = watcher::Config::default().fields("spec.nodeName!=");
        let mut events = std::pin::pin!(watcher::watcher(pods, config));
        // Keys seen during a relist: tracked pods not among them are gone.
        let mut relisted: Option<HashSet<String>> = None;
        while let Some(event) = events.next().await {
            match event {
                Ok(watcher::Event::Init) => relisted = Some(HashSet::new()),
                Ok(watcher::Event::InitApply(pod)) => {
                    if let Some(seen) = relisted.as_mut() {
                        seen.insert(key(&pod));
                    }
                    self.observe(pod);
                }
                Ok(watcher::Event::InitDone) => {
                    if let Some(seen) = relisted.take() {
                        let gone: Vec<String> = self
                            .tracked
                            .lock()
                            .map(|t| t.keys().filter(|k| !seen.contains(*k)).cloned().collect())
                            .unwrap_or_default();
                        for key in gone {
                            self.forget(&key);
                        }
                    }
                }
                Ok(watcher::Event::Apply(pod)) => self.observe(pod),
                Ok(watcher::Event::Delete(pod)) => self.forget(&key(&pod)),
                Err(error) => {
                    tracing::debug!(%error, "hollow nodes: pod watch failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    fn observe(&self, pod: Pod) {
        let Some(node) = self.node_of(&pod) else {
            return;
        };
        if self.shared.is_stopped(node) {
            return;
        }
        let key = key(&pod);
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if let Ok(mut tracked) = self.tracked.lock() {
            let entry = tracked.entry(key.clone());
            let known = matches!(&entry, std::collections::hash_map::Entry::Occupied(e) if e.get().uid == uid);
            if !known {
                // A pod this process has not seen (or a new pod of the same
                // name): take over the IP its status already shows.
                let host = pod
                    .status
                    .as_ref()
                    .and_then(|s| s.pod_ip.as_deref())
                    .and_then(|ip| pod_host(node, ip))
                    .unwrap_or(0);
                let stage = match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
                    Some("Running") => Stage::Running,
                    Some("Succeeded" | "Failed") => Stage::Finished,
                    _ => Stage::Seen,
                };
                let host = if stage == Stage::Running { host } else { 0 };
                if host != 0 {
                    if let Ok(mut state) = self.shared.state.lock() {
                        set_host(&mut state.pod_ips[node as usize], host, true);
                    }
                }
                entry.insert_entry(Tracked {
                    uid,
                    node,
                    host,
                    stage,
                });
            }
        }
        if pods::next_step(&pod, Timestamp::now()) == Step::Nothing {
            return;
        }
        if let Ok(mut latest) = self.latest.lock() {
            latest.insert(key.clone(), pod);
        }
        self.queue.add(key);
    }

    /// The pod is gone: free its IP and forget it.
    fn forget(&self, key: &str) {
        let removed = self.tracked.lock().ok().and_then(|mut t| t.remove(key));
        if let Some(Tracked { node, host, .. }) = removed {
            self.release(node, host);
        }
        if let Ok(mut latest) = self.latest.lock() {
            latest.remove(key);
        }
    }

    fn release(&self, node: u32, host: u8) {
        if host == 0 {
            return;
        }
        if let Ok(mut state) = self.shared.state.lock() {
            if let Some(bits) = state.pod_ips.get_mut(node as usize) {
                set_host(bits, host, false);
            }
        }
    }

    async fn work(&self) {
        loop {
            let key = self.queue.next().await;
            if let Err(error) = self.sync(&key).await {
                match error.status() {
                    Some(404) => self.forget(&key),
                    _ => {
                        tracing::debug!(pod = %key, %error, "hollow nodes: pod update failed; retrying");
                        self.queue.add_after(key.clone(), RETRY);
                    }
                }
            }
            self.queue.done(&key);
        }
    }

    fn stage(&self, key: &str) -> Option<(u32, u8, Stage)> {
        let tracked = self.tracked.lock().ok()?;
        tracked.get(key).map(|t| (t.node, t.host, t.stage))
    }

    fn set_stage(&self, key: &str, stage: Stage, host: Option<u8>) {
        if let Ok(mut tracked) = self.tracked.lock() {
            if let Some(t) = tracked.get_mut(key) {
                t.stage = stage;
                if let Some(host) = host {
                    t.host = host;
                }
            }
        }
    }

    /// Takes the pod as far as it can go now.
    async fn sync(&self, key: &str) -> Result<(), Error> {
        let (namespace, name) = key.split_once('/').unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.shared.client.clone(), namespace);
        let queued = self.latest.lock().ok().and_then(|mut l| l.remove(key));
        let mut pod = match queued {
            Some(pod) => pod,
            // Queued by a timer: read the pod as it is now.
            None => api.get(name).await?,
        };
        loop {
            let Some(node) = self.node_of(&pod) else {
                return Ok(());
            };
            if self.shared.is_stopped(node) {
                return Ok(());
            }
            let Some((_, host, stage)) = self.stage(key) else {
                return Ok(());
            };
            let now = Timestamp::now();
            let host_ip = node_ip(node).to_string();
            let status = match pods::next_step(&pod, now) {
                Step::Nothing => return Ok(()),
                Step::Create if stage < Stage::Created => {
                    self.set_stage(key, Stage::Created, None);
                    pods::creating(&pod, &host_ip, now)
                }
                Step::Run if stage < Stage::Running => {
                    let host = if host == 0 { self.allocate(node) } else { host };
                    self.set_stage(key, Stage::Running, Some(host));
                    pods::running(&pod, &host_ip, &pod_ip(node, host).to_string(), now)
                }
                Step::Finish { exit_code, at } if stage < Stage::Finished => {
                    if at > now {
                        let wait = now.duration_until(at).unsigned_abs();
                        self.queue.add_after(key.to_string(), wait);
                        return Ok(());
                    }
                    self.set_stage(key, Stage::Finished, Some(0));
                    self.release(node, host);
                    pods::finished(&pod, exit_code, now)
                }
                Step::Terminate if stage < Stage::Deleting => {
                    self.set_stage(key, Stage::Deleting, Some(0));
                    self.release(node, host);
                    let started = pod
                        .status
                        .as_ref()
                        .is_some_and(|s| s.container_statuses.is_some());
                    if started {
                        // The containers stop (they exit 0 on SIGTERM).
                        let patch = json!({"status": pods::finished(&pod, 0, now)});
                        api.patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
                            .await?;
                    }
                    return self.delete(&api, &pod).await;
                }
                Step::Delete => return self.delete(&api, &pod).await,
                // Already done: a late event of an older status.
                _ => return Ok(()),
            };
            let patch = json!({"status": status});
            pod = api
                .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
                .await?;
        }
    }

    /// Deletes the pod for good, as the kubelet does once its containers stopped.
    async fn delete(&self, api: &Api<Pod>, pod: &Pod) -> Result<(), Error> {
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        match api.delete(name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// A free host of the node's pod /24 (the lowest; .254 again if all are taken).
    fn allocate(&self, node: u32) -> u8 {
        let Ok(mut state) = self.shared.state.lock() else {
            return 254;
        };
        let Some(bits) = state.pod_ips.get_mut(node as usize) else {
            return 254;
        };
        let host = first_free(bits).unwrap_or(254);
        set_host(bits, host, true);
        host
    }
}

/// The lowest free host (1..=254) in a /24's bitmap.
fn first_free(bits: &[u64; 4]) -> Option<u8> {
    (1..=254u8).find(|&h| bits[usize::from(h / 64)] & (1 << (h % 64)) == 0)
}

fn set_host(bits: &mut [u64; 4], host: u8, used: bool) {
    let word = &mut bits[usize::from(host / 64)];
    if used {
        *word |= 1 << (host % 64);
    } else {
        *word &= !(1 << (host % 64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ip_hosts() {
        let mut bits = [0; 4];
        assert_eq!(first_free(&bits), Some(1));
        set_host(&mut bits, 1, true);
        set_host(&mut bits, 2, true);
        assert_eq!(first_free(&bits), Some(3));
        set_host(&mut bits, 1, false);
        assert_eq!(first_free(&bits), Some(1));
        for host in 1..=254 {
            set_host(&mut bits, host, true);
        }
        assert_eq!(first_free(&bits), None);
        set_host(&mut bits, 200, false);
        assert_eq!(first_free(&bits), Some(200));
    }
}

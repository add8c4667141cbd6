//! The real kubelet: registers its Node with the machine's capacity, keeps
//! its Lease, and runs the pods bound to it through CRI.
//!
//! - `machine`: what the node reports about the machine;
//! - `node`: registration, status and Lease heartbeats;
//! - `pods` (here): one watch of the pods bound to this node, dispatched to
//!   one `worker` per pod; `pleg` relists the runtime every second and wakes
//!   the workers of pods whose containers changed (upstream's PLEG);
//! - `spec`: the CRI configurations of a pod; `observe`: what CRI holds for
//!   a pod; `status`: the pod status computed from both; `backoff`: restart
//!   and pull back-off; `glue`: volumes, env, hooks and probes for the worker.

mod backoff;
mod glue;
pub mod machine;
mod network;
mod node;
mod observe;
mod pleg;
pub mod spec;
mod status;
mod worker;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Api, Client};
use tokio::task::JoinHandle;

use crate::cri::Cri;
use crate::Error;

/// How the kubelet runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub node_name: String,
    /// The node's InternalIP, where the API server reaches the kubelet.
    pub node_ip: IpAddr,
    /// The kubelet's own directory: pods/, logs/, cni/.
    pub data_dir: PathBuf,
    /// The root of the pods' cgroups (cgroupfs), e.g. `/rkube`.
    pub cgroup_root: String,
    /// `status.capacity.pods`.
    pub max_pods: u32,
    /// The CNI configuration to write once the Node has its podCIDR.
    pub cni: crate::cni::Config,
}

impl Options {
    /// Where container logs go (upstream: /var/log/pods).
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs").join("pods")
    }

    /// A pod's own directory (upstream: /var/lib/kubelet/pods/UID).
    pub fn pod_dir(&self, uid: &str) -> PathBuf {
        self.data_dir.join("pods").join(uid)
    }
}

/// What the agent's tasks share.
pub struct Shared {
    pub(crate) client: Client,
    pub(crate) cri: Cri,
    pub(crate) options: Options,
    pub(crate) machine: machine::Machine,
    pub(crate) started: Timestamp,
    /// `containerd://1.6.20`.
    pub(crate) runtime_version: String,
    /// `containerd`.
    pub(crate) runtime_name: String,
    pub(crate) recorder: Recorder,
    kubelet_port: AtomicU16,
    /// The pods this kubelet runs, with their last computed status (for /pods).
    pods: Mutex<HashMap<String, Pod>>,
}

impl Shared {
    pub fn kubelet_port(&self) -> u16 {
        self.kubelet_port.load(Ordering::Relaxed)
    }

    pub fn node_name(&self) -> String {
        self.options.node_name.clone()
    }

    pub fn set_kubelet_port(&self, port: u16) {
        self.kubelet_port.store(port, Ordering::Relaxed);
    }

    pub(crate) fn remember_pod(&self, uid: &str, pod: Pod) {
        if let Ok(mut pods) = self.pods.lock() {
            pods.insert(uid.to_string(), pod);
        }
    }

    pub(crate) fn forget_pod(&self, uid: &str) {
        if let Ok(mut pods) = self.pods.lock() {
            pods.remove(uid);
        }
    }

    /// The pods this kubelet runs now.
    pub fn pods(&self) -> Vec<Pod> {
        self.pods
            .lock()
            .map(|pods| pods.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// A running kubelet; dropping it stops its tasks (the pods keep running
/// in the runtime, as they do when upstream's kubelet stops).
pub struct Agent {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Agent {
    /// Registers the node and starts running its pods.
    pub async fn start(client: Client, cri: Cri, options: Options) -> Result<Agent, Error> {
        let version = cri.version().await.map_err(Error::Runtime)?;
        let machine = machine::Machine::read(&options.data_dir);
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: "kubelet".into(),
                instance: Some(options.node_name.clone()),
            },
        );
        std::fs::create_dir_all(options.log_dir()).map_err(|source| Error::Io {
            path: options.log_dir(),
            source,
        })?;
        let shared = Arc::new(Shared {
            client,
            cri,
            machine,
            started: Timestamp::now(),
            runtime_version: format!("{}://{}", version.runtime_name, version.runtime_version),
            runtime_name: version.runtime_name,
            recorder,
            kubelet_port: AtomicU16::new(0),
            pods: Mutex::new(HashMap::new()),
            options,
        });
        Ok(Agent {
            shared,
            tasks: Vec::new(),
        })
    }

    /// What the kubelet server needs.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Registers the Node and starts the heartbeat, the pod watch and the
    /// runtime relist. Call after the kubelet server has its port.
    pub async fn run(&mut self) -> Result<(), Error> {
        let node = node::register(&self.shared).await?;
        let uid = node.metadata.uid.clone();
        let workers: Arc<Mutex<HashMap<String, worker::Handle>>> = Arc::default();
        self.tasks
            .push(tokio::spawn(node::heartbeat(self.shared.clone(), uid)));
        self.tasks
            .push(tokio::spawn(dispatch(self.shared.clone(), workers.clone())));
        self.tasks
            .push(tokio::spawn(pleg::run(self.shared.clone(), workers)));
        self.tasks
            .push(tokio::spawn(network::configure(self.shared.clone())));
        Ok(())
    }
}

/// Watches the pods bound to this node and hands each to its worker.
async fn dispatch(shared: Arc<Shared>, workers: Arc<Mutex<HashMap<String, worker::Handle>>>) {
    let pods: Api<Pod> = Api::all(shared.client.clone());
    let config =
        watcher::Config::default().fields(&format!("spec.nodeName={}", shared.options.node_name));
    let mut stream = watcher(pods, config).boxed();
    let mut listed: Option<Vec<String>> = None;
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!("watching pods: {error}");
                continue;
            }
        };
        match event {
            watcher::Event::Init => listed = Some(Vec::new()),
            watcher::Event::InitApply(pod) | watcher::Event::Apply(pod) => {
                let uid = spec::uid(&pod).to_string();
                if let Some(listed) = listed.as_mut() {
                    listed.push(uid.clone());
                }
                deliver(&shared, &workers, uid, Some(pod));
            }
            watcher::Event::Delete(pod) => {
                deliver(&shared, &workers, spec::uid(&pod).to_string(), None);
            }
            watcher::Event::InitDone => {
                // Pods gone while the watch was down.
                let listed = listed.take().unwrap_or_default();
                let gone: Vec<String> = workers
                    .lock()
                    .map(|w| {
                        w.keys()
                            .filter(|uid| !listed.contains(uid))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                for uid in gone {
                    deliver(&shared, &workers, uid, None);
                }
                pleg::mark_synced(&shared);
            }
        }
    }
}

fn deliver(
    shared: &Arc<Shared>,
    workers: &Mutex<HashMap<String, worker::Handle>>,
    uid: String,
    pod: Option<Pod>,
) {
    let Ok(mut workers) = workers.lock() else {
        return;
    };
    if let Some(handle) = workers.get(&uid) {
        if handle.pod.send(pod.clone()).is_ok() {
            if pod.is_none() {
                workers.remove(&uid);
            }
            return;
        }
        // The worker ended (the pod was terminated); a new one starts
        // only for a pod that is still there and not being deleted.
        workers.remove(&uid);
    }
    if let Some(pod) = pod {
        workers.insert(uid.clone(), worker::spawn(shared.clone(), uid, pod));
    }
}

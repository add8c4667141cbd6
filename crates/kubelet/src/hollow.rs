//! Hollow nodes: fake nodes whose kubelet registers the Node, keeps its Lease
//! and status fresh on upstream's schedule, and plays the pods bound to it
//! through their lifecycle without running anything (kubemark, KWOK).
//!
//! Built to run thousands of nodes in one process with few API calls: one
//! heartbeat task renews every node's Lease, spread evenly over the renew
//! interval; one watch of all pods, filtered here by node name, feeds one
//! pool of workers; one watch of hollow nodes notices a Ready condition
//! someone else changed. Per node there is no task, only an index, a stop
//! flag, a pod-IP bitmap and the time it became Ready.
//!
//! Start with [`HollowNodes::start`]; `node.rs` builds the objects,
//! `heartbeat.rs` keeps nodes alive, `pods.rs` decides and builds pod
//! statuses, `lifecycle.rs` applies them.

mod heartbeat;
mod lifecycle;
pub mod node;
pub mod pods;
mod queue;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::Error;

/// How hollow nodes look and how often they talk to the API server.
#[derive(Clone, Debug)]
pub struct Options {
    /// Nodes are named `{name_prefix}-{index}`.
    pub name_prefix: String,
    /// Capacity (and allocatable) of every node.
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    pub ephemeral_storage: String,
    /// `spec.leaseDurationSeconds` of node leases (upstream: 40).
    pub lease_duration_seconds: i32,
    /// How often each Lease is renewed (upstream: a quarter of the duration, 10 s).
    pub lease_renew_interval: Duration,
    /// How often an unchanged node status is reported (upstream's
    /// nodeStatusReportFrequency: 5 min).
    pub status_report_frequency: Duration,
    /// API requests in flight at once, for all nodes together.
    pub max_requests_in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name_prefix: "hollow-node".to_string(),
            cpu: "4".to_string(),
            memory: "16Gi".to_string(),
            pods: "110".to_string(),
            ephemeral_storage: "100Gi".to_string(),
            lease_duration_seconds: 40,
            lease_renew_interval: Duration::from_secs(10),
            status_report_frequency: Duration::from_secs(5 * 60),
            max_requests_in_flight: 32,
        }
    }
}

/// Running hollow nodes. Dropping this stops them all (their nodes then look
/// failed to the control plane).
pub struct HollowNodes {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// What the heartbeat, the pod lifecycle and the handle share.
struct Shared {
    client: Client,
    options: Options,
    count: u32,
    /// Per node: heartbeats and pod updates stopped.
    stopped: Vec<AtomicBool>,
    state: Mutex<State>,
    /// Nodes whose status must be reported now.
    report_now: mpsc::UnboundedSender<u32>,
}

struct State {
    /// Per node: which hosts of its pod /24 are in use (bit h for .h).
    pod_ips: Vec<[u64; 4]>,
    /// Per node: when Ready last became True.
    ready_since: Vec<Timestamp>,
}

impl HollowNodes {
    /// Registers `count` nodes (or takes over existing ones of the same
    /// names), then keeps them alive and runs their pods until stopped.
    pub async fn start(client: Client, count: u32, options: Options) -> Result<Self, Error> {
        let (report_now, reports) = mpsc::unbounded_channel();
        let now = Timestamp::now();
        let shared = Arc::new(Shared {
            client,
            count,
            stopped: (0..count).map(|_| AtomicBool::new(false)).collect(),
            state: Mutex::new(State {
                pod_ips: vec![[0; 4]; count as usize],
                ready_since: vec![now; count as usize],
            }),
            report_now,
            options,
        });
        let failed = futures::stream::iter(0..count)
            .map(|index| {
                let shared = shared.clone();
                async move { shared.register(index).await }
            })
            .buffer_unordered(shared.options.max_requests_in_flight.max(1))
            .filter(|r| std::future::ready(r.is_err()))
            .count()
            .await;
        if failed == count as usize && count > 0 {
            // Nothing could be registered: report why rather than run blind.
            shared.register(0).await?;
        } else if failed > 0 {
            tracing::warn!(
                failed,
                "hollow nodes: some nodes not registered yet; retrying with heartbeats"
            );
        }
        tracing::info!(count, prefix = %shared.options.name_prefix, "hollow nodes registered");
        let tasks = vec![
            tokio::spawn(heartbeat::run(shared.clone(), reports)),
            tokio::spawn(heartbeat::watch_nodes(shared.clone())),
            tokio::spawn(lifecycle::run(shared.clone())),
        ];
        Ok(HollowNodes { shared, tasks })
    }

    /// The names of the nodes.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.shared.count).map(|i| self.shared.name(i))
    }

    /// Stops the heartbeats and pod updates of node `name`, as if its kubelet
    /// died. False if no such hollow node.
    pub fn stop_node(&self, name: &str) -> bool {
        self.shared.set_stopped(name, true)
    }

    /// Brings a stopped node back: heartbeats resume and Ready is reported now.
    pub fn resume_node(&self, name: &str) -> bool {
        self.shared.set_stopped(name, false)
    }

    /// Stops every node.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for HollowNodes {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Shared {
    fn name(&self, index: u32) -> String {
        format!("{}-{index}", self.options.name_prefix)
    }

    /// The index of hollow node `name`.
    fn index(&self, name: &str) -> Option<u32> {
        let digits = name
            .strip_prefix(self.options.name_prefix.as_str())?
            .strip_prefix('-')?;
        let index: u32 = digits.parse().ok()?;
        (index < self.count && index.to_string() == digits).then_some(index)
    }

    fn is_stopped(&self, index: u32) -> bool {
        self.stopped
            .get(index as usize)
            .is_none_or(|s| s.load(Ordering::Relaxed))
    }

    fn set_stopped(&self, name: &str, stopped: bool) -> bool {
        let Some(index) = self.index(name) else {
            return false;
        };
        self.stopped[index as usize].store(stopped, Ordering::Relaxed);
        if !stopped {
            if let Ok(mut state) = self.state.lock() {
                state.ready_since[index as usize] = Timestamp::now();
            }
            let _ = self.report_now.send(index);
        }
        true
    }

    fn ready_since(&self, index: u32) -> Timestamp {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.ready_since.get(index as usize).copied())
            .unwrap_or_else(Timestamp::now)
    }

    /// Creates the node (or refreshes the status of an existing one) and its Lease.
    async fn register(&self, index: u32) -> Result<(), Error> {
        let name = self.name(index);
        let now = Timestamp::now();
        let nodes: Api<Node> = Api::all(self.client.clone());
        let node: Node = serde_json::from_value(node::node(&name, index, &self.options, now))?;
        let created = match nodes.create(&PostParams::default(), &node).await {
            Ok(node) => node,
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let status =
                    node::status(&name, index, &self.options, now, self.ready_since(index));
                nodes
                    .patch_status(
                        &name,
                        &PatchParams::default(),
                        &Patch::Merge(json!({"status": status})),
                    )
                    .await?
            }
            Err(error) => return Err(error.into()),
        };
        let leases: Api<Lease> = Api::namespaced(self.client.clone(), node::LEASE_NAMESPACE);
        let uid = created.metadata.uid.as_deref();
        let lease: Lease = serde_json::from_value(node::lease(&name, uid, &self.options, now))?;
        match leases.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

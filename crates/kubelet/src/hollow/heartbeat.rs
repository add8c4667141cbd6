//! Keeping hollow nodes alive: one task renews every node's Lease each renew
//! interval and reports every node's status each report period, spreading
//! the nodes evenly over time slots so that the API server sees a steady
//! trickle, not bursts; one watch of hollow nodes reports a node's status at
//! once when someone else (the node lifecycle controller) changed its Ready
//! condition.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::watcher;
use kube::Api;
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};

use super::node::{self, conditions, micro_time};
use super::Shared;
use crate::Error;

/// Time slots per renew interval (10 s / 100 = one slot every 100 ms).
const SLOTS: u64 = 100;

/// One heartbeat duty of one node.
#[derive(Clone, Copy)]
enum Duty {
    RenewLease(u32),
    ReportStatus(u32),
}

/// Renews leases and reports statuses on schedule, and statuses on demand.
pub(super) async fn run(shared: Arc<Shared>, mut reports: mpsc::UnboundedReceiver<u32>) {
    let slot = shared.options.lease_renew_interval / SLOTS as u32;
    let status_slots =
        (shared.options.status_report_frequency.as_nanos() / slot.as_nanos().max(1)).max(1) as u64;
    let mut ticks = tokio::time::interval(slot);
    // A slot that took longer than its time is caught up at once, so that
    // every lease is still renewed once per interval on average.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let count = u64::from(shared.count);
    let mut tick: u64 = 0;
    let in_flight = Arc::new(Semaphore::new(shared.options.max_requests_in_flight.max(1)));
    loop {
        let mut duties = Vec::new();
        tokio::select! {
            _ = ticks.tick() => {
                // Node i renews in slot i mod SLOTS, and reports its status
                // in slot i mod status_slots (after a first full period: it
                // registered with a fresh status).
                let mut index = tick % SLOTS;
                while index < count {
                    duties.push(Duty::RenewLease(index as u32));
                    index += SLOTS;
                }
                if tick >= status_slots {
                    let mut index = tick % status_slots;
                    while index < count {
                        duties.push(Duty::ReportStatus(index as u32));
                        index += status_slots;
                    }
                }
                tick += 1;
            }
            Some(index) = reports.recv() => duties.push(Duty::ReportStatus(index)),
        }
        // Duties of consecutive slots overlap, up to the in-flight limit, so
        // that API latency does not stretch the renew interval.
        for duty in duties {
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                perform(&shared, duty).await;
                drop(permit);
            });
        }
    }
}

async fn perform(shared: &Shared, duty: Duty) {
    let index = match duty {
        Duty::RenewLease(index) | Duty::ReportStatus(index) => index,
    };
    if shared.is_stopped(index) {
        return;
    }
    let result = match duty {
        Duty::RenewLease(index) => renew_lease(shared, index).await,
        Duty::ReportStatus(index) => report_status(shared, index).await,
    };
    match result {
        Ok(()) => {}
        // The node or its lease is gone (deleted, or never registered):
        // register again, as a restarted kubelet would.
        Err(error) if error.status() == Some(404) => {
            if let Err(error) = shared.register(index).await {
                tracing::debug!(node = %shared.name(index), %error, "hollow node: registering failed");
            }
        }
        Err(error) => {
            tracing::debug!(node = %shared.name(index), %error, "hollow node: heartbeat failed");
        }
    }
}

/// Renews the node's Lease: one merge patch of `renewTime`.
async fn renew_lease(shared: &Shared, index: u32) -> Result<(), Error> {
    let leases: Api<Lease> = Api::namespaced(shared.client.clone(), node::LEASE_NAMESPACE);
    let patch = json!({"spec": {"renewTime": micro_time(Timestamp::now())}});
    leases
        .patch(
            &shared.name(index),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await?;
    Ok(())
}

/// Reports the node's conditions with a fresh heartbeat time.
async fn report_status(shared: &Shared, index: u32) -> Result<(), Error> {
    let nodes: Api<Node> = Api::all(shared.client.clone());
    let patch =
        json!({"status": {"conditions": conditions(Timestamp::now(), shared.ready_since(index))}});
    nodes
        .patch_status(
            &shared.name(index),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await?;
    Ok(())
}

/// Watches hollow nodes; a live node whose Ready condition is not True (the
/// node lifecycle controller marks it Unknown when its lease ran out) is
/// reported Ready again at once, as the kubelet's next status update would.
pub(super) async fn watch_nodes(shared: Arc<Shared>) {
    let nodes: Api<Node> = Api::all(shared.client.clone());
    let config = watcher::Config::default().labels(&format!(
        "node.kubernetes.io/instance-type={}",
        node::INSTANCE_TYPE
    ));
    let mut events = std::pin::pin!(watcher::watcher(nodes, config));
    while let Some(event) = events.next().await {
        let node = match event {
            Ok(watcher::Event::Apply(node) | watcher::Event::InitApply(node)) => node,
            Ok(_) => continue,
            Err(error) => {
                tracing::debug!(%error, "hollow nodes: node watch failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(index) = node.metadata.name.as_deref().and_then(|n| shared.index(n)) else {
            continue;
        };
        if shared.is_stopped(index) || is_ready(&node) {
            continue;
        }
        if let Ok(mut state) = shared.state.lock() {
            state.ready_since[index as usize] = Timestamp::now();
        }
        let _ = shared.report_now.send(index);
    }
}

fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

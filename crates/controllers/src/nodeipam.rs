//! The node IPAM controller with upstream's range allocator
//! (`pkg/controller/nodeipam`, `--allocate-node-cidrs` with the `RangeAllocator`
//! type): every Node without `spec.podCIDR` gets the next free range of the
//! node mask size (`--node-cidr-mask-size`, /24 by default) out of
//! `--cluster-cidr`, written to `spec.podCIDR` and `spec.podCIDRs` in one
//! patch. The kubelet turns it into its CNI configuration.
//!
//! What is used is rebuilt from the Nodes at start, before anything is handed
//! out, so a restarted controller never gives out a range a node holds. A
//! Node that already has a podCIDR keeps it (the API forbids changing it);
//! inside the cluster CIDR its range is marked used, outside it is left alone.
//! A deleted (or deleting) Node's range is released. When no range is left,
//! the Node gets a `CIDRNotAvailable` warning event, as upstream, and is tried
//! again when a range is released (and every 30 s). Upstream's range allocator
//! sets no node condition (`NetworkUnavailable` belongs to network plugins),
//! and neither does this one. Ranges overlapping the service CIDR are never
//! handed out.

pub mod cidrset;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, ObjectReference};
use kube::api::{Patch, PatchParams};
use kube::Api;
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

pub use cidrset::{Cidr, CidrError, CidrSet};

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informers, Notice};
use crate::queue::WorkQueue;
use crate::{Client, Error};

/// How soon a node whose write failed is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How often a node waiting for a free range is tried again (it is also
/// tried at once whenever a range is released).
const RETRY_EXHAUSTED: Duration = Duration::from_secs(30);
/// The most node ranges one cluster CIDR may be cut into (a bitmap of 2 MiB);
/// upstream allows at most 16 bits of difference for IPv6.
const MAX_DIFF_IPV4: u8 = 24;
const MAX_DIFF_IPV6: u8 = 16;

/// The controller's settings, from `--cluster-cidr` and
/// `--node-cidr-mask-size` (and the service CIDR, kept out of node ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub cluster_cidr: Cidr,
    pub node_mask_size: u8,
    pub service_cidr: Option<Cidr>,
}

/// A bad `--cluster-cidr` or `--node-cidr-mask-size`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("invalid --cluster-cidr: {0}")]
    ClusterCidr(CidrError),
    #[error("invalid --cluster-cidr {0:?}: only one CIDR is supported (dual-stack is not)")]
    DualStack(String),
    #[error(
        "invalid --cluster-cidr {cluster}: its mask size ({prefix}) must be less than or equal to \
         --node-cidr-mask-size ({mask})"
    )]
    MaskTooSmall { cluster: Cidr, prefix: u8, mask: u8 },
    #[error("invalid --node-cidr-mask-size {mask}: larger than the {bits} bits of an address of --cluster-cidr {cluster}")]
    MaskTooLarge { cluster: Cidr, mask: u8, bits: u8 },
    #[error(
        "--node-cidr-mask-size {mask} cuts --cluster-cidr {cluster} into too many ranges \
         (at most {max} bits between their mask sizes)"
    )]
    TooManyRanges { cluster: Cidr, mask: u8, max: u8 },
    #[error("invalid service CIDR: {0}")]
    ServiceCidr(CidrError),
}

impl Config {
    /// Checks the flags: `cluster_cidr` empty turns the controller off
    /// (None); the mask defaults to 24 for IPv4 and 64 for IPv6, as upstream.
    pub fn new(
        cluster_cidr: &str,
        node_cidr_mask_size: Option<u8>,
    ) -> Result<Option<Config>, ConfigError> {
        let text = cluster_cidr.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.contains(',') {
            return Err(ConfigError::DualStack(text.to_string()));
        }
        let cluster: Cidr = text.parse().map_err(ConfigError::ClusterCidr)?;
        let bits = cluster.bits();
        let mask = node_cidr_mask_size.unwrap_or(if bits == 32 { 24 } else { 64 });
        if mask > bits {
            return Err(ConfigError::MaskTooLarge {
                cluster,
                mask,
                bits,
            });
        }
        if cluster.prefix() > mask {
            return Err(ConfigError::MaskTooSmall {
                cluster,
                prefix: cluster.prefix(),
                mask,
            });
        }
        let max = if bits == 32 {
            MAX_DIFF_IPV4
        } else {
            MAX_DIFF_IPV6
        };
        if mask - cluster.prefix() > max {
            return Err(ConfigError::TooManyRanges { cluster, mask, max });
        }
        Ok(Some(Config {
            cluster_cidr: cluster,
            node_mask_size: mask,
            service_cidr: None,
        }))
    }

    /// Keeps the service IP range (the API server's `--service-cidr`) out of
    /// the node ranges, should the two overlap.
    pub fn with_service_cidr(mut self, service_cidr: &str) -> Result<Config, ConfigError> {
        self.service_cidr = Some(service_cidr.parse().map_err(ConfigError::ServiceCidr)?);
        Ok(self)
    }
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers, config: Config) -> Result<(), Error> {
    let mut notices = informers.nodes.subscribe();
    informers.nodes.wait_synced().await;
    let mut controller = Controller::new(client, config);
    // Every range a Node holds is marked before anything is handed out.
    for node in informers.nodes.list() {
        controller.adopt(&node);
    }
    tracing::info!(
        cluster_cidr = %controller.config.cluster_cidr,
        node_mask_size = controller.config.node_mask_size,
        used = controller.set.used(),
        capacity = controller.set.capacity(),
        "node IPAM controller: range allocator started"
    );
    controller.run(&informers, &mut notices).await;
    Ok(())
}

/// What a Node holds of the cluster CIDR, as this controller counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Held {
    uid: Option<String>,
    cidrs: Vec<Cidr>,
}

struct Controller {
    client: Client,
    config: Config,
    set: CidrSet,
    /// Node name → the ranges marked used for it (those inside the cluster
    /// CIDR), including one just written and not yet seen by the informer.
    held: HashMap<String, Held>,
    /// Nodes that found no free range.
    waiting: BTreeSet<String>,
    queue: WorkQueue<String>,
    events: Recorder,
}

/// What a sync decided.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    /// Nothing to write.
    Done,
    /// Write this range to the node.
    Assign(Cidr),
    /// No free range.
    Exhausted,
}

impl Controller {
    fn new(client: Client, config: Config) -> Controller {
        let mut set = CidrSet::new(config.cluster_cidr, config.node_mask_size);
        if let Some(service) = &config.service_cidr {
            // Only when they overlap, as upstream's filterOutServiceRange.
            if config.cluster_cidr.overlaps(service) {
                let _ = set.occupy(service);
            }
        }
        Controller {
            events: Recorder::new(client.clone(), "cidrAllocator"),
            client,
            config,
            set,
            held: HashMap::new(),
            waiting: BTreeSet::new(),
            queue: WorkQueue::new(),
        }
    }

    async fn run(&mut self, informers: &Informers, notices: &mut UnboundedReceiver<Notice<Node>>) {
        loop {
            tokio::select! {
                notice = notices.recv() => match notice {
                    Some(Notice::Applied { new, .. }) => {
                        if let Some(name) = &new.metadata.name {
                            self.queue.add(name.clone());
                        }
                    }
                    Some(Notice::Deleted(node)) => {
                        if let Some(name) = &node.metadata.name {
                            self.forget(name);
                        }
                    }
                    None => return,
                },
                name = self.queue.next() => {
                    let Some(node) = informers.nodes.get("", &name) else {
                        continue;
                    };
                    self.sync(&node).await;
                }
            }
        }
    }

    /// Marks the ranges of a Node that has a podCIDR as used (at start).
    fn adopt(&mut self, node: &Node) {
        // Nodes without one are left to the syncs, which write what they get.
        if node.metadata.deletion_timestamp.is_none() && !node_cidrs(node).is_empty() {
            let _ = self.decide(node);
        }
    }

    /// The Node is gone: its ranges are free again, and the nodes waiting
    /// for one are tried at once.
    fn forget(&mut self, name: &str) {
        if let Some(held) = self.held.remove(name) {
            for cidr in &held.cidrs {
                let _ = self.set.release(cidr);
            }
            tracing::debug!(node = name, cidrs = ?held.cidrs, "node IPAM controller: released");
            if !held.cidrs.is_empty() {
                for waiting in std::mem::take(&mut self.waiting) {
                    self.queue.add(waiting);
                }
            }
        }
        self.waiting.remove(name);
    }

    /// Brings the bookkeeping in line with `node` and says what to do.
    fn decide(&mut self, node: &Node) -> Action {
        let Some(name) = node.metadata.name.clone() else {
            return Action::Done;
        };
        let uid = node.metadata.uid.clone();
        let cidrs = node_cidrs(node);
        let held = self.held.get(&name).cloned();
        if let Some(held) = &held {
            if held.uid != uid {
                // A new Node under the same name (its predecessor's deletion
                // was missed): the old one's ranges are free.
                self.forget(&name);
            }
        }
        let held = self.held.get(&name).cloned();
        if !cidrs.is_empty() {
            self.waiting.remove(&name);
            // The Node's own podCIDRs win over whatever was counted for it.
            let mut inside = Vec::new();
            for text in &cidrs {
                match text.parse::<Cidr>() {
                    Ok(cidr) if self.config.cluster_cidr.overlaps(&cidr) => inside.push(cidr),
                    Ok(cidr) => tracing::debug!(
                        node = %name, %cidr, cluster_cidr = %self.config.cluster_cidr,
                        "node IPAM controller: podCIDR outside the cluster CIDR, kept as it is"
                    ),
                    Err(error) => tracing::warn!(
                        node = %name, %error, "node IPAM controller: unreadable podCIDR, ignored"
                    ),
                }
            }
            if held.as_ref().map(|h| &h.cidrs) == Some(&inside) {
                return Action::Done;
            }
            if let Some(held) = held {
                for cidr in &held.cidrs {
                    let _ = self.set.release(cidr);
                }
            }
            for cidr in &inside {
                if self.set.is_occupied(cidr) {
                    tracing::warn!(node = %name, %cidr, "node IPAM controller: podCIDR already used by another node");
                }
                let _ = self.set.occupy(cidr);
            }
            self.held.insert(name, Held { uid, cidrs: inside });
            return Action::Done;
        }
        if held.is_some() {
            // Written by this controller; the informer has not seen it yet.
            return Action::Done;
        }
        match self.set.allocate_next() {
            Some(cidr) => {
                self.held.insert(
                    name,
                    Held {
                        uid,
                        cidrs: vec![cidr],
                    },
                );
                Action::Assign(cidr)
            }
            None => {
                self.waiting.insert(name);
                Action::Exhausted
            }
        }
    }

    /// One node: occupy, allocate and write, or report exhaustion.
    async fn sync(&mut self, node: &Node) {
        let Some(name) = node.metadata.name.clone() else {
            return;
        };
        if node.metadata.deletion_timestamp.is_some() {
            // As upstream: a deleting Node's ranges are released at once.
            self.forget(&name);
            return;
        }
        match self.decide(node) {
            Action::Done => {}
            Action::Exhausted => {
                tracing::warn!(node = %name, cluster_cidr = %self.config.cluster_cidr, "node IPAM controller: no free range for the node");
                self.record(node, "CIDRNotAvailable").await;
                self.queue.add_after(name, RETRY_EXHAUSTED);
            }
            Action::Assign(cidr) => match self.write(node, cidr).await {
                Ok(()) => {
                    tracing::info!(node = %name, pod_cidr = %cidr, "node IPAM controller: set the node's podCIDR");
                }
                Err(error) => {
                    // Back to the pool; the node is read again.
                    let _ = self.set.release(&cidr);
                    self.held.remove(&name);
                    match error.status() {
                        Some(404) => {}
                        Some(409 | 422) => self.queue.add_after(name, RETRY),
                        _ => {
                            tracing::warn!(node = %name, %error, "node IPAM controller: setting the podCIDR failed");
                            self.record(node, "CIDRAssignmentFailed").await;
                            self.queue.add_after(name, RETRY);
                        }
                    }
                }
            },
        }
    }

    /// Sets `spec.podCIDR` and `spec.podCIDRs` in one patch, on this Node
    /// only (same uid; same resourceVersion when it has no spec at all).
    async fn write(&self, node: &Node, cidr: Cidr) -> Result<(), Error> {
        let name = node.metadata.name.clone().unwrap_or_default();
        let patch: json_patch::Patch = serde_json::from_value(assign_patch(node, cidr))?;
        let api: Api<Node> = Api::all(self.client.clone());
        api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await?;
        Ok(())
    }

    /// An event about the node, as upstream's `RecordNodeStatusChange`.
    async fn record(&self, node: &Node, status: &str) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let regarding = ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Node".to_string()),
            name: Some(name.clone()),
            // Upstream's node events carry the node's name as its uid, which
            // `kubectl describe node` looks for.
            uid: Some(name.clone()),
            ..ObjectReference::default()
        };
        let occurrence = Occurrence {
            type_: EventType::Warning,
            reason: status,
            action: "AllocateCIDR",
            note: format!("Node {name} status is now: {status}"),
        };
        if let Err(error) = self.events.record(&regarding, occurrence).await {
            tracing::debug!(node = %name, %error, "node IPAM controller: recording an event failed");
        }
    }
}

/// The Node's podCIDRs (`spec.podCIDRs`, else `spec.podCIDR`).
fn node_cidrs(node: &Node) -> Vec<String> {
    let Some(spec) = &node.spec else {
        return Vec::new();
    };
    match (&spec.pod_cidrs, &spec.pod_cidr) {
        (Some(list), _) if !list.is_empty() => list.clone(),
        (_, Some(one)) if !one.is_empty() => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The JSON patch that gives `node` the range `cidr`.
fn assign_patch(node: &Node, cidr: Cidr) -> Value {
    let text = cidr.to_string();
    let mut ops = Vec::new();
    if let Some(uid) = &node.metadata.uid {
        ops.push(json!({"op": "test", "path": "/metadata/uid", "value": uid}));
    }
    if node.spec.is_some() {
        ops.push(json!({"op": "add", "path": "/spec/podCIDR", "value": text}));
        ops.push(json!({"op": "add", "path": "/spec/podCIDRs", "value": [text]}));
    } else {
        if let Some(rv) = &node.metadata.resource_version {
            ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
        }
        ops.push(
            json!({"op": "add", "path": "/spec", "value": {"podCIDR": text, "podCIDRs": [text]}}),
        );
    }
    Value::Array(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::NodeSpec;
    use kube::api::ObjectMeta;

    fn config(cluster: &str, mask: Option<u8>) -> Config {
        Config::new(cluster, mask).unwrap().unwrap()
    }

    fn node(name: &str, uid: &str, cidr: Option<&str>) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                uid: Some(uid.into()),
                resource_version: Some("7".into()),
                ..ObjectMeta::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: cidr.map(Into::into),
                pod_cidrs: cidr.map(|c| vec![c.into()]),
                ..NodeSpec::default()
            }),
            status: None,
        }
    }

    /// A controller whose client is never used (the decisions are pure).
    fn controller(config: Config) -> Controller {
        let url = "http://127.0.0.1:9".parse().unwrap();
        let client = Client::try_from(kube::Config::new(url)).unwrap();
        Controller::new(client, config)
    }

    fn assigned(action: Action) -> String {
        match action {
            Action::Assign(cidr) => cidr.to_string(),
            other => panic!("expected an assignment, got {other:?}"),
        }
    }

    #[test]
    fn flags_are_checked() {
        let c = config("10.42.0.0/16", None);
        assert_eq!(c.cluster_cidr.to_string(), "10.42.0.0/16");
        assert_eq!(c.node_mask_size, 24);
        assert_eq!(config("fd00:42::/56", None).node_mask_size, 64);
        assert_eq!(Config::new("", Some(24)), Ok(None));
        assert!(matches!(
            Config::new("10.42.0.0", None),
            Err(ConfigError::ClusterCidr(_))
        ));
        assert!(matches!(
            Config::new("banana/16", None),
            Err(ConfigError::ClusterCidr(_))
        ));
        let err = Config::new("10.42.0.0/16", Some(8)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --cluster-cidr 10.42.0.0/16: its mask size (16) must be less than or \
             equal to --node-cidr-mask-size (8)"
        );
        assert!(matches!(
            Config::new("10.42.0.0/16", Some(33)),
            Err(ConfigError::MaskTooLarge { .. })
        ));
        assert!(matches!(
            Config::new("fd00::/48", Some(120)),
            Err(ConfigError::TooManyRanges { .. })
        ));
        assert!(matches!(
            Config::new("10.42.0.0/16,fd00::/48", None),
            Err(ConfigError::DualStack(_))
        ));
        assert!(c.with_service_cidr("10.43.0.0/16").is_ok());
    }

    #[tokio::test]
    async fn nodes_get_distinct_ranges_and_keep_their_own() {
        let mut c = controller(config("10.42.0.0/16", None));
        // Existing nodes first (as at start): one inside, one outside.
        c.adopt(&node("old", "u0", Some("10.42.0.0/24")));
        c.adopt(&node("hollow", "u1", Some("10.244.3.0/24")));
        c.adopt(&node("new", "u2", None));
        assert_eq!(c.set.used(), 1);
        assert!(!c.held.contains_key("new"));
        assert_eq!(assigned(c.decide(&node("a", "ua", None))), "10.42.1.0/24");
        assert_eq!(assigned(c.decide(&node("b", "ub", None))), "10.42.2.0/24");
        // Seen again before the informer caught up with the write: nothing.
        assert_eq!(c.decide(&node("a", "ua", None)), Action::Done);
        // Then with the range written.
        assert_eq!(
            c.decide(&node("a", "ua", Some("10.42.1.0/24"))),
            Action::Done
        );
        assert_eq!(c.set.used(), 3);
    }

    #[tokio::test]
    async fn deleted_nodes_free_their_range_for_waiting_nodes() {
        let mut c = controller(config("10.42.0.0/23", Some(24)));
        assert_eq!(assigned(c.decide(&node("a", "ua", None))), "10.42.0.0/24");
        assert_eq!(assigned(c.decide(&node("b", "ub", None))), "10.42.1.0/24");
        assert_eq!(c.decide(&node("c", "uc", None)), Action::Exhausted);
        assert!(c.waiting.contains("c"));
        c.forget("a");
        assert!(c.waiting.is_empty());
        assert_eq!(c.queue.next().await, "c");
        assert_eq!(assigned(c.decide(&node("c", "uc", None))), "10.42.0.0/24");
    }

    #[tokio::test]
    async fn a_node_recreated_under_the_same_name_starts_afresh() {
        let mut c = controller(config("10.42.0.0/23", Some(24)));
        assert_eq!(assigned(c.decide(&node("a", "u1", None))), "10.42.0.0/24");
        c.decide(&node("a", "u1", Some("10.42.0.0/24")));
        // Its deletion was missed; the new one has no range.
        assert_eq!(assigned(c.decide(&node("a", "u2", None))), "10.42.1.0/24");
        assert_eq!(c.set.used(), 1);
    }

    #[tokio::test]
    async fn a_node_set_by_someone_else_wins() {
        let mut c = controller(config("10.42.0.0/16", None));
        assert_eq!(assigned(c.decide(&node("a", "ua", None))), "10.42.0.0/24");
        // The user set another range first.
        c.decide(&node("a", "ua", Some("10.42.9.0/24")));
        assert_eq!(c.set.used(), 1);
        assert!(c.set.is_occupied(&"10.42.9.0/24".parse().unwrap()));
        assert!(!c.set.is_occupied(&"10.42.0.0/24".parse().unwrap()));
    }

    #[tokio::test]
    async fn the_service_range_is_never_handed_out() {
        let c = config("10.42.0.0/22", Some(24))
            .with_service_cidr("10.42.0.0/24")
            .unwrap();
        let mut c = controller(c);
        assert_eq!(assigned(c.decide(&node("a", "ua", None))), "10.42.1.0/24");
    }

    #[test]
    fn the_patch_sets_both_fields_on_this_node_only() {
        let cidr: Cidr = "10.42.3.0/24".parse().unwrap();
        let patch = assign_patch(&node("a", "ua", None), cidr);
        assert_eq!(
            patch,
            json!([
                {"op": "test", "path": "/metadata/uid", "value": "ua"},
                {"op": "add", "path": "/spec/podCIDR", "value": "10.42.3.0/24"},
                {"op": "add", "path": "/spec/podCIDRs", "value": ["10.42.3.0/24"]},
            ])
        );
        let mut bare = node("a", "ua", None);
        bare.spec = None;
        assert_eq!(
            assign_patch(&bare, cidr),
            json!([
                {"op": "test", "path": "/metadata/uid", "value": "ua"},
                {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
                {"op": "add", "path": "/spec", "value": {"podCIDR": "10.42.3.0/24", "podCIDRs": ["10.42.3.0/24"]}},
            ])
        );
    }
}

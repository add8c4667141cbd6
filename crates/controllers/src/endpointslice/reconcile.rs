//! What the EndpointSlices of a service should become, as upstream's
//! endpointslice reconciler (staging `k8s.io/endpointslice`) plans it: the
//! desired endpoints grouped by the ports they resolve to, then for each group
//! the existing slices kept where they still hold desired endpoints, filled up
//! before new slices are made, and deletions turned into updates of the same
//! name where a slice is to be made anyway, so that a change touches as few
//! slices as possible.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::ObjectMeta;

use crate::endpoints::common::{
    find_port, is_headless, is_ready, pod_ips, protocol, service_ip_set, should_be_in_endpoints,
    should_set_hostname, HEADLESS_LABEL,
};

/// Upstream's default `--max-endpoints-per-slice`.
pub(crate) const MAX_ENDPOINTS_PER_SLICE: usize = 100;
pub(crate) const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub(crate) const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub(crate) const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The identity of an endpoint across syncs (upstream's endpoint hash): its
/// sorted addresses, hostname and pod.
type EndpointKey = (Vec<String>, Option<String>, Option<String>, Option<String>);

/// The desired endpoints sharing one set of ports.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub ports: Vec<EndpointPort>,
    pub endpoints: BTreeMap<EndpointKey, Endpoint>,
}

/// The desired endpoints of a service, by the key of their ports, and whether
/// a pod was left out because its node is unknown (worth a retry).
pub(crate) fn desired(
    service: &Service,
    pods: &[Arc<Pod>],
    node: impl Fn(&str) -> Option<Arc<Node>>,
    ipv6: bool,
) -> (BTreeMap<String, Group>, bool) {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut missing_node = false;
    for pod in pods {
        if !should_be_in_endpoints(pod, true) {
            continue;
        }
        let ports = endpoint_ports(service, pod);
        let group = groups.entry(ports_key(&ports)).or_insert_with(|| Group {
            ports,
            endpoints: BTreeMap::new(),
        });
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let node = node_name.as_deref().and_then(&node);
        if node.is_none() && !publish_not_ready {
            missing_node = true;
            continue;
        }
        let endpoint = pod_to_endpoint(pod, node.as_deref(), service, ipv6);
        if !endpoint.addresses.is_empty() {
            group.endpoints.insert(endpoint_key(&endpoint), endpoint);
        }
    }
    (groups, missing_node)
}

/// The ports of a service as they resolve on one pod (upstream's
/// `getEndpointPorts`).
pub(crate) fn endpoint_ports(service: &Service, pod: &Pod) -> Vec<EndpointPort> {
    let ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    if ports.is_empty() && is_headless(service) {
        return Vec::new();
    }
    ports
        .iter()
        .filter_map(|port| {
            let number = find_port(pod, port)?;
            Some(EndpointPort {
                name: Some(port.name.clone().unwrap_or_default()),
                port: Some(number),
                protocol: Some(protocol(port.protocol.as_ref()).to_string()),
                app_protocol: port.app_protocol.clone(),
            })
        })
        .collect()
}

/// A key equal for equal sets of ports, whatever their order.
pub(crate) fn ports_key(ports: &[EndpointPort]) -> String {
    let mut keys: Vec<String> = ports
        .iter()
        .map(|p| {
            format!(
                "{}/{}/{}/{}",
                p.name.as_deref().unwrap_or_default(),
                p.port.unwrap_or_default(),
                p.protocol.as_deref().unwrap_or_default(),
                p.app_protocol.as_deref().unwrap_or_default()
            )
        })
        .collect();
    keys.sort();
    keys.join(",")
}

fn endpoint_key(endpoint: &Endpoint) -> EndpointKey {
    let mut addresses = endpoint.addresses.clone();
    addresses.sort();
    let target = endpoint.target_ref.as_ref();
    (
        addresses,
        endpoint.hostname.clone(),
        target.and_then(|t| t.namespace.clone()),
        target.and_then(|t| t.name.clone()),
    )
}

/// An endpoint with the resourceVersion of its target cleared, to compare.
fn normalized(endpoint: &Endpoint) -> Endpoint {
    let mut endpoint = endpoint.clone();
    endpoint.addresses.sort();
    if let Some(target) = endpoint.target_ref.as_mut() {
        target.resource_version = None;
    }
    endpoint
}

/// One pod as an endpoint (upstream's `podToEndpoint`).
pub(crate) fn pod_to_endpoint(
    pod: &Pod,
    node: Option<&Node>,
    service: &Service,
    ipv6: bool,
) -> Endpoint {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let serving = is_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    // Never ready while terminating, unless not-ready addresses are published.
    let ready = publish_not_ready || (serving && !terminating);
    Endpoint {
        addresses: pod_ips(pod, ipv6),
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        }),
        node_name: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty()),
        zone: node
            .and_then(|n| n.metadata.labels.as_ref())
            .and_then(|l| l.get(ZONE_LABEL))
            .filter(|z| !z.is_empty())
            .cloned(),
        hostname: should_set_hostname(pod, service)
            .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
            .flatten(),
        ..Default::default()
    }
}

/// The labels a slice of this service carries: the service's own (but the
/// reserved ones), the headless label for a service without cluster IP, the
/// service name and the managing controller.
pub(crate) fn slice_labels(service: &Service) -> BTreeMap<String, String> {
    let reserved = [LABEL_SERVICE_NAME, LABEL_MANAGED_BY, HEADLESS_LABEL];
    let mut labels: BTreeMap<String, String> = service
        .metadata
        .labels
        .iter()
        .flatten()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !service_ip_set(service) {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    }
    labels.insert(
        LABEL_SERVICE_NAME.into(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
    labels
}

/// Whether the slice's controller owner is this service.
pub(crate) fn owned_by(slice: &EndpointSlice, service: &Service) -> bool {
    let Some(uid) = service.metadata.uid.as_deref() else {
        return false;
    };
    slice
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|r| r.uid == uid && r.kind == "Service" && r.controller == Some(true))
}

/// A new, empty slice of this service for these ports (named by the API
/// server from `<service>-`).
pub(crate) fn new_slice(
    service: &Service,
    ports: Vec<EndpointPort>,
    address_type: &str,
) -> EndpointSlice {
    let name = service.metadata.name.clone().unwrap_or_default();
    // generateName leaves room for 5 random characters within 63.
    let mut prefix = format!("{name}-");
    if prefix.len() > 58 {
        prefix.truncate(57);
        prefix.push('-');
    }
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(prefix),
            namespace: service.metadata.namespace.clone(),
            labels: Some(slice_labels(service)),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Service".into(),
                name,
                uid: service.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        address_type: address_type.into(),
        endpoints: Vec::new(),
        ports: Some(ports),
    }
}

/// The writes that bring a service's slices of one address type to the
/// desired state.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<EndpointSlice>,
}

/// Plans the slices of `service` (upstream's `reconcileByAddressType`):
/// `existing` are the slices that name the service and this controller.
pub(crate) fn plan(
    service: &Service,
    mut desired: BTreeMap<String, Group>,
    existing: &[Arc<EndpointSlice>],
    address_type: &str,
    max_per_slice: usize,
) -> Plan {
    let mut plan = Plan::default();
    let mut existing_by_ports: BTreeMap<String, Vec<&EndpointSlice>> = BTreeMap::new();
    for slice in existing {
        if owned_by(slice, service) && slice.address_type == address_type {
            existing_by_ports
                .entry(ports_key(slice.ports.as_deref().unwrap_or_default()))
                .or_default()
                .push(slice);
        } else {
            plan.delete.push((**slice).clone());
        }
    }
    let labels = slice_labels(service);
    for (key, group) in desired.iter_mut() {
        let slices = existing_by_ports.get(key).cloned().unwrap_or_default();
        let (create, update, delete) = plan_ports(
            service,
            &labels,
            group,
            &slices,
            address_type,
            max_per_slice,
        );
        plan.create.extend(create);
        plan.update.extend(update);
        plan.delete.extend(delete);
    }
    for (key, slices) in &existing_by_ports {
        if !desired.contains_key(key) {
            plan.delete.extend(slices.iter().map(|s| (*s).clone()));
        }
    }
    // A service without endpoints still has one (empty) slice.
    if existing.len() == plan.delete.len() && plan.create.is_empty() {
        let placeholder = new_slice(service, Vec::new(), address_type);
        let keep =
            plan.delete.len() == 1 && is_placeholder_of(&plan.delete[0], &placeholder, service);
        if keep {
            plan.delete.clear();
        } else {
            plan.create.push(placeholder);
        }
    }
    // Reuse the names of slices to delete for slices to create.
    let mut i = 0;
    while i < plan.delete.len() && !plan.create.is_empty() {
        let old = &plan.delete[i];
        if old.address_type == address_type && owned_by(old, service) {
            let old = plan.delete.remove(i);
            if let Some(mut slice) = plan.create.pop() {
                slice.metadata.name = old.metadata.name.clone();
                slice.metadata.generate_name = None;
                slice.metadata.resource_version = old.metadata.resource_version.clone();
                slice.metadata.uid = old.metadata.uid.clone();
                slice.metadata.annotations = old.metadata.annotations.clone();
                plan.update.push(slice);
            }
        } else {
            i += 1;
        }
    }
    plan
}

fn is_placeholder_of(
    slice: &EndpointSlice,
    placeholder: &EndpointSlice,
    service: &Service,
) -> bool {
    owned_by(slice, service)
        && slice.endpoints.is_empty()
        && slice.ports.as_deref().unwrap_or_default().is_empty()
        && slice.address_type == placeholder.address_type
        && slice.metadata.labels == placeholder.metadata.labels
}

/// Creates, updates and deletes for one set of ports (upstream's
/// `reconcileByPortMapping`).
fn plan_ports(
    service: &Service,
    labels: &BTreeMap<String, String>,
    group: &mut Group,
    existing: &[&EndpointSlice],
    address_type: &str,
    max_per_slice: usize,
) -> (Vec<EndpointSlice>, Vec<EndpointSlice>, Vec<EndpointSlice>) {
    let mut by_name: BTreeMap<String, EndpointSlice> = BTreeMap::new();
    let mut unchanged: BTreeSet<String> = BTreeSet::new();
    let mut to_update: BTreeSet<String> = BTreeSet::new();
    let mut to_delete: BTreeSet<String> = BTreeSet::new();
    let wanted = &mut group.endpoints;
    // 1. Keep the desired endpoints where they are, drop the others.
    for slice in existing {
        let name = slice.metadata.name.clone().unwrap_or_default();
        let mut kept = Vec::new();
        let mut changed = false;
        for endpoint in &slice.endpoints {
            if let Some(want) = wanted.remove(&endpoint_key(endpoint)) {
                if normalized(&want) != normalized(endpoint) {
                    changed = true;
                }
                kept.push(want);
            }
        }
        let labels_changed = slice.metadata.labels.as_ref() != Some(labels);
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                to_delete.insert(name.clone());
                by_name.insert(name, (*slice).clone());
            } else {
                let mut copy = (*slice).clone();
                copy.endpoints = kept;
                copy.metadata.labels = Some(labels.clone());
                to_update.insert(name.clone());
                by_name.insert(name, copy);
            }
        } else if labels_changed {
            let mut copy = (*slice).clone();
            copy.metadata.labels = Some(labels.clone());
            to_update.insert(name.clone());
            by_name.insert(name, copy);
        } else {
            unchanged.insert(name.clone());
            by_name.insert(name, (*slice).clone());
        }
    }
    let pop = |wanted: &mut BTreeMap<EndpointKey, Endpoint>| wanted.pop_first().map(|(_, e)| e);
    // 2. Fill the slices being updated anyway, fullest first.
    if !wanted.is_empty() && !to_update.is_empty() {
        let mut names: Vec<String> = to_update.iter().cloned().collect();
        names.sort_by_key(|n| std::cmp::Reverse(by_name.get(n).map_or(0, |s| s.endpoints.len())));
        for name in names {
            if let Some(slice) = by_name.get_mut(&name) {
                while slice.endpoints.len() < max_per_slice {
                    let Some(endpoint) = pop(wanted) else { break };
                    slice.endpoints.push(endpoint);
                }
            }
        }
    }
    // 3. The rest: into the unchanged slice they fit best, else new slices.
    let mut create = Vec::new();
    while !wanted.is_empty() {
        let mut target: Option<String> = None;
        if wanted.len() < max_per_slice {
            let mut closest = max_per_slice;
            for name in &unchanged {
                let len = by_name.get(name).map_or(0, |s| s.endpoints.len());
                if wanted.len() + len <= max_per_slice {
                    let diff = max_per_slice - (wanted.len() + len);
                    if diff < closest {
                        closest = diff;
                        target = Some(name.clone());
                    }
                }
            }
        }
        match target.and_then(|name| by_name.get_mut(&name).map(|s| (name, s))) {
            Some((name, slice)) => {
                while slice.endpoints.len() < max_per_slice {
                    let Some(endpoint) = pop(wanted) else { break };
                    slice.endpoints.push(endpoint);
                }
                unchanged.remove(&name);
                to_update.insert(name);
            }
            None => {
                let mut slice = new_slice(service, group.ports.clone(), address_type);
                while slice.endpoints.len() < max_per_slice {
                    let Some(endpoint) = pop(wanted) else { break };
                    slice.endpoints.push(endpoint);
                }
                create.push(slice);
            }
        }
    }
    let update = to_update
        .iter()
        .filter_map(|n| by_name.get(n).cloned())
        .collect();
    let delete = to_delete
        .iter()
        .filter_map(|n| by_name.get(n).cloned())
        .collect();
    (create, update, delete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus, ServicePort, ServiceSpec};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn service() -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("ns".into()),
                uid: Some("svc-uid".into()),
                labels: Some([("team".to_string(), "a".to_string())].into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                selector: Some([("app".to_string(), "web".to_string())].into()),
                cluster_ip: Some("10.96.0.10".into()),
                ports: Some(vec![ServicePort {
                    name: Some("http".into()),
                    port: 80,
                    target_port: Some(IntOrString::Int(8080)),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn pod(i: usize) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(format!("p{i:04}")),
                namespace: Some("ns".into()),
                uid: Some(format!("uid-{i}")),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("node-1".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some(format!("10.1.{}.{}", i / 250, i % 250 + 1)),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    fn node(_: &str) -> Option<Arc<Node>> {
        let mut node = Node::default();
        node.metadata.labels = Some([(ZONE_LABEL.to_string(), "zone-a".to_string())].into());
        Some(Arc::new(node))
    }

    /// Applies a plan as the API server would, naming new slices.
    fn apply(
        existing: &[Arc<EndpointSlice>],
        plan: Plan,
        next: &mut usize,
    ) -> Vec<Arc<EndpointSlice>> {
        let mut by_name: BTreeMap<String, EndpointSlice> = existing
            .iter()
            .map(|s| (s.metadata.name.clone().unwrap_or_default(), (**s).clone()))
            .collect();
        for slice in plan.delete {
            by_name.remove(slice.metadata.name.as_deref().unwrap_or_default());
        }
        for slice in plan.update {
            by_name.insert(slice.metadata.name.clone().unwrap_or_default(), slice);
        }
        for mut slice in plan.create {
            *next += 1;
            let name = format!("web-{next}");
            slice.metadata.name = Some(name.clone());
            by_name.insert(name, slice);
        }
        by_name.into_values().map(Arc::new).collect()
    }

    fn sync(pods: &[Arc<Pod>], existing: &[Arc<EndpointSlice>]) -> Plan {
        let svc = service();
        let (groups, missing) = desired(&svc, pods, node, false);
        assert!(!missing);
        plan(&svc, groups, existing, "IPv4", MAX_ENDPOINTS_PER_SLICE)
    }

    #[test]
    fn endpoints_are_packed_by_100_with_conditions_zone_and_labels() {
        let pods: Vec<_> = (0..250).map(pod).collect();
        let plan = sync(&pods, &[]);
        assert_eq!(plan.create.len(), 3);
        assert!(plan.update.is_empty() && plan.delete.is_empty());
        let sizes: Vec<usize> = plan.create.iter().map(|s| s.endpoints.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let slice = &plan.create[0];
        assert_eq!(slice.metadata.generate_name.as_deref(), Some("web-"));
        let labels = slice.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels[LABEL_SERVICE_NAME], "web");
        assert_eq!(labels[LABEL_MANAGED_BY], CONTROLLER_NAME);
        assert_eq!(labels["team"], "a");
        let endpoint = &slice.endpoints[0];
        assert_eq!(endpoint.zone.as_deref(), Some("zone-a"));
        assert_eq!(endpoint.node_name.as_deref(), Some("node-1"));
        let conditions = endpoint.conditions.clone().unwrap_or_default();
        assert_eq!(
            (conditions.ready, conditions.serving, conditions.terminating),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(slice.ports.as_ref().unwrap()[0].port, Some(8080));
    }

    #[test]
    fn a_steady_state_needs_no_writes_and_small_changes_touch_one_slice() {
        let mut next = 0;
        let pods: Vec<_> = (0..250).map(pod).collect();
        let slices = apply(&[], sync(&pods, &[]), &mut next);
        let again = sync(&pods, &slices);
        assert!(again.create.is_empty() && again.update.is_empty() && again.delete.is_empty());
        // One pod gone, one added: the emptied place is refilled in one update.
        let mut changed = pods.clone();
        changed.remove(10);
        changed.push(pod(300));
        let plan = sync(&changed, &slices);
        assert!(plan.create.is_empty() && plan.delete.is_empty());
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].endpoints.len(), 100);
        // A few new pods fit in the slice that has room.
        let mut more = pods.clone();
        more.extend((400..405).map(pod));
        let plan = sync(&more, &slices);
        assert!(plan.create.is_empty());
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].endpoints.len(), 55);
    }

    #[test]
    fn no_endpoints_leave_one_placeholder_and_emptied_slices_are_reused() {
        let mut next = 0;
        let plan = sync(&[], &[]);
        assert_eq!(plan.create.len(), 1);
        assert!(plan.create[0].endpoints.is_empty());
        let slices = apply(&[], plan, &mut next);
        let plan = sync(&[], &slices);
        assert!(plan.create.is_empty() && plan.update.is_empty() && plan.delete.is_empty());
        // Pods appear: the placeholder (other ports) becomes the real slice.
        let pods: Vec<_> = (0..3).map(pod).collect();
        let plan = sync(&pods, &slices);
        assert!(plan.create.is_empty() && plan.delete.is_empty());
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].metadata.name, slices[0].metadata.name);
        assert_eq!(plan.update[0].endpoints.len(), 3);
        let slices = apply(&slices, plan, &mut next);
        // And all pods gone: back to an empty slice of the same name.
        let plan = sync(&[], &slices);
        assert_eq!(plan.update.len(), 1);
        assert!(plan.update[0].endpoints.is_empty());
        assert!(plan.create.is_empty() && plan.delete.is_empty());
    }

    #[test]
    fn slices_of_another_owner_are_deleted() {
        let mut stale = new_slice(&service(), Vec::new(), "IPv4");
        stale.metadata.name = Some("web-old".into());
        if let Some(refs) = stale.metadata.owner_references.as_mut() {
            refs[0].uid = "old-uid".into();
        }
        let plan = sync(&[pod(1)], &[Arc::new(stale)]);
        assert_eq!(plan.delete.len(), 1);
        assert_eq!(plan.create.len(), 1);
    }
}

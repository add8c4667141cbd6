//! The subsets of a service's Endpoints, computed from its pods as upstream's
//! endpoints controller does: one address per pod and port, then repacked so
//! that addresses offering the same ports share a subset (pods that resolve a
//! named target port to different numbers end up in different subsets), and
//! truncated to 1000 addresses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, ObjectReference, Pod, Service,
};

use super::common::{
    find_port, ipv6_service, is_headless, is_ready, pod_ips, protocol, should_be_in_endpoints,
    should_set_hostname,
};

/// At most this many addresses in one Endpoints object (upstream's
/// `maxCapacity`).
pub(crate) const MAX_CAPACITY: usize = 1000;

/// The subsets for `service` from the pods its selector selects.
pub(crate) fn desired_subsets(service: &Service, pods: &[Arc<Pod>]) -> Vec<EndpointSubset> {
    let spec = service.spec.clone().unwrap_or_default();
    let publish_not_ready = spec.publish_not_ready_addresses.unwrap_or(false);
    let ipv6 = ipv6_service(service);
    let service_ports = spec.ports.unwrap_or_default();
    let mut subsets = Vec::new();
    for pod in pods {
        if !should_be_in_endpoints(pod, publish_not_ready) {
            continue;
        }
        let Some(ip) = pod_ips(pod, ipv6).into_iter().next() else {
            continue;
        };
        let address = EndpointAddress {
            ip,
            hostname: should_set_hostname(pod, service)
                .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
                .flatten(),
            node_name: Some(
                pod.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .unwrap_or_default(),
            ),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                namespace: pod.metadata.namespace.clone(),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
                ..Default::default()
            }),
        };
        let ready = publish_not_ready || is_ready(pod);
        if service_ports.is_empty() {
            if is_headless(service) {
                subsets.push(one_address(address.clone(), None, ready));
            }
            continue;
        }
        for port in &service_ports {
            let Some(number) = find_port(pod, port) else {
                continue;
            };
            let endpoint_port = EndpointPort {
                name: port.name.clone().filter(|n| !n.is_empty()),
                port: number,
                protocol: Some(protocol(port.protocol.as_ref()).to_string()),
                app_protocol: port.app_protocol.clone(),
            };
            subsets.push(one_address(address.clone(), Some(endpoint_port), ready));
        }
    }
    repack(subsets)
}

fn one_address(
    address: EndpointAddress,
    port: Option<EndpointPort>,
    ready: bool,
) -> EndpointSubset {
    let (addresses, not_ready) = if ready {
        (Some(vec![address]), None)
    } else {
        (None, Some(vec![address]))
    };
    EndpointSubset {
        addresses,
        not_ready_addresses: not_ready,
        ports: port.map(|p| vec![p]),
    }
}

/// A port as a sortable key: name, number, protocol, app protocol.
type PortKey = (Option<String>, i32, Option<String>, Option<String>);
/// An address as upstream tells them apart: IP and the pod's uid.
type AddressKey = (String, String);
/// A port (None: no port) with the addresses offering it and their readiness.
type PortAddresses = BTreeMap<Option<PortKey>, (Option<EndpointPort>, BTreeMap<AddressKey, bool>)>;

fn port_key(port: &EndpointPort) -> PortKey {
    (
        port.name.clone(),
        port.port,
        port.protocol.clone(),
        port.app_protocol.clone(),
    )
}

fn address_key(address: &EndpointAddress) -> AddressKey {
    (
        address.ip.clone(),
        address
            .target_ref
            .as_ref()
            .and_then(|r| r.uid.clone())
            .unwrap_or_default(),
    )
}

/// Regroups subsets so that each set of addresses (with their readiness)
/// appears once, with all the ports it offers (upstream's `RepackSubsets`).
/// A ready address wins over the same address not ready.
pub(crate) fn repack(subsets: Vec<EndpointSubset>) -> Vec<EndpointSubset> {
    let mut all: BTreeMap<AddressKey, EndpointAddress> = BTreeMap::new();
    // Port (None: the no-port sentinel) → address → ready.
    let mut by_port: PortAddresses = BTreeMap::new();
    for subset in &subsets {
        let ports: Vec<Option<&EndpointPort>> = match subset.ports.as_deref() {
            None | Some([]) => vec![None],
            Some(ports) => ports.iter().map(Some).collect(),
        };
        for port in ports {
            let entry = by_port
                .entry(port.map(port_key))
                .or_insert_with(|| (port.cloned(), BTreeMap::new()));
            for address in subset.addresses.iter().flatten() {
                if address.ip.is_empty() {
                    continue;
                }
                let key = address_key(address);
                all.entry(key.clone()).or_insert_with(|| address.clone());
                entry.1.insert(key, true);
            }
            for address in subset.not_ready_addresses.iter().flatten() {
                if address.ip.is_empty() {
                    continue;
                }
                let key = address_key(address);
                all.entry(key.clone()).or_insert_with(|| address.clone());
                entry.1.entry(key).or_insert(false);
            }
        }
    }
    // Address set → ports offered by exactly that set.
    let mut by_addresses: BTreeMap<Vec<(AddressKey, bool)>, BTreeSet<PortKey>> = BTreeMap::new();
    let mut ports: BTreeMap<PortKey, EndpointPort> = BTreeMap::new();
    for (key, (port, addresses)) in by_port {
        let set: Vec<(AddressKey, bool)> = addresses.into_iter().collect();
        let entry = by_addresses.entry(set).or_default();
        if let (Some(key), Some(port)) = (key, port) {
            ports.insert(key.clone(), port);
            entry.insert(key);
        }
    }
    by_addresses
        .into_iter()
        .filter(|(set, _)| !set.is_empty())
        .map(|(set, port_keys)| {
            let pick = |ready: bool| -> Vec<EndpointAddress> {
                set.iter()
                    .filter(|(_, r)| *r == ready)
                    .filter_map(|(k, _)| all.get(k).cloned())
                    .collect()
            };
            let ready = pick(true);
            let not_ready = pick(false);
            let ports: Vec<EndpointPort> = port_keys
                .iter()
                .filter_map(|k| ports.get(k).cloned())
                .collect();
            EndpointSubset {
                addresses: (!ready.is_empty()).then_some(ready),
                not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                ports: (!ports.is_empty()).then_some(ports),
            }
        })
        .collect()
}

/// Ready and not-ready addresses in all subsets.
pub(crate) fn count(subsets: &[EndpointSubset]) -> (usize, usize) {
    subsets.iter().fold((0, 0), |(r, n), s| {
        (
            r + s.addresses.as_ref().map_or(0, Vec::len),
            n + s.not_ready_addresses.as_ref().map_or(0, Vec::len),
        )
    })
}

/// Cuts the subsets down to [`MAX_CAPACITY`] addresses, ready ones first,
/// each subset keeping its share (rounded up) of what remains, as upstream's
/// `truncateEndpoints`. True when something was cut.
pub(crate) fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let (ready, not_ready) = count(subsets);
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready {
        (MAX_CAPACITY, ready)
    } else {
        (MAX_CAPACITY - ready, not_ready)
    };
    let mut left = max;
    for subset in subsets.iter_mut() {
        let here = if truncate_ready {
            subset.addresses.as_ref().map_or(0, Vec::len)
        } else {
            subset.not_ready_addresses.as_ref().map_or(0, Vec::len)
        };
        let share = ((here as f64 / total as f64) * max as f64).ceil() as usize;
        let keep = share.min(left);
        if truncate_ready {
            if let Some(addresses) = subset.addresses.as_mut() {
                addresses.truncate(keep);
                left -= addresses.len();
            }
            subset.not_ready_addresses = None;
        } else if let Some(addresses) = subset.not_ready_addresses.as_mut() {
            addresses.truncate(keep);
            left -= addresses.len();
        }
    }
    true
}

/// Equal apart from the resourceVersion of target references.
pub(crate) fn same_subsets(a: &[EndpointSubset], b: &[EndpointSubset]) -> bool {
    let strip = |subsets: &[EndpointSubset]| -> Vec<EndpointSubset> {
        subsets
            .iter()
            .cloned()
            .map(|mut s| {
                for address in s
                    .addresses
                    .iter_mut()
                    .flatten()
                    .chain(s.not_ready_addresses.iter_mut().flatten())
                {
                    if let Some(r) = address.target_ref.as_mut() {
                        r.resource_version = None;
                    }
                }
                s
            })
            .collect()
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Container, ContainerPort, PodCondition, PodSpec, PodStatus, ServicePort, ServiceSpec,
    };
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use kube::api::ObjectMeta;

    fn pod(name: &str, ip: &str, ready: bool, http_port: i32) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                uid: Some(format!("uid-{name}")),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("node-1".into()),
                containers: vec![Container {
                    name: "c".into(),
                    ports: Some(vec![ContainerPort {
                        name: Some("http".into()),
                        container_port: http_port,
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some(ip.into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    fn service(ports: Vec<ServicePort>, cluster_ip: &str) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                selector: Some([("app".to_string(), "web".to_string())].into()),
                cluster_ip: Some(cluster_ip.into()),
                ports: Some(ports),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn named_port() -> ServicePort {
        ServicePort {
            name: Some("web".into()),
            port: 80,
            target_port: Some(IntOrString::String("http".into())),
            protocol: Some("TCP".into()),
            ..Default::default()
        }
    }

    fn ips(addresses: &Option<Vec<EndpointAddress>>) -> Vec<&str> {
        addresses.iter().flatten().map(|a| a.ip.as_str()).collect()
    }

    #[test]
    fn named_ports_with_different_numbers_make_separate_subsets() {
        let pods = vec![
            pod("a", "10.0.0.1", true, 8080),
            pod("b", "10.0.0.2", true, 8080),
            pod("c", "10.0.0.3", true, 9090),
            pod("d", "10.0.0.4", false, 8080),
        ];
        let subsets = desired_subsets(&service(vec![named_port()], "10.96.0.10"), &pods);
        assert_eq!(subsets.len(), 2);
        let on_8080 = subsets
            .iter()
            .find(|s| s.ports.as_ref().is_some_and(|p| p[0].port == 8080))
            .expect("8080 subset");
        assert_eq!(ips(&on_8080.addresses), ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(ips(&on_8080.not_ready_addresses), ["10.0.0.4"]);
        let on_9090 = subsets
            .iter()
            .find(|s| s.ports.as_ref().is_some_and(|p| p[0].port == 9090))
            .expect("9090 subset");
        assert_eq!(ips(&on_9090.addresses), ["10.0.0.3"]);
        let address = &on_8080.addresses.as_ref().unwrap()[0];
        assert_eq!(address.node_name.as_deref(), Some("node-1"));
        assert_eq!(
            address.target_ref.as_ref().and_then(|r| r.name.as_deref()),
            Some("a")
        );
    }

    #[test]
    fn addresses_offering_several_ports_share_one_subset() {
        let numbered = ServicePort {
            name: Some("metrics".into()),
            port: 9100,
            target_port: Some(IntOrString::Int(9100)),
            ..Default::default()
        };
        let pods = vec![
            pod("a", "10.0.0.1", true, 8080),
            pod("b", "10.0.0.2", true, 8080),
        ];
        let subsets = desired_subsets(&service(vec![named_port(), numbered], "10.96.0.10"), &pods);
        assert_eq!(subsets.len(), 1);
        assert_eq!(subsets[0].ports.as_ref().map(Vec::len), Some(2));
        assert_eq!(ips(&subsets[0].addresses), ["10.0.0.1", "10.0.0.2"]);
    }

    #[test]
    fn publish_not_ready_and_terminating_and_headless_without_ports() {
        let mut svc = service(vec![], "None");
        let mut gone = (*pod("t", "10.0.0.9", true, 80)).clone();
        gone.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        let pods = vec![pod("a", "10.0.0.1", false, 80), Arc::new(gone)];
        let subsets = desired_subsets(&svc, &pods);
        assert_eq!(subsets.len(), 1);
        assert_eq!(ips(&subsets[0].not_ready_addresses), ["10.0.0.1"]);
        assert!(subsets[0].ports.is_none());
        svc.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
        let subsets = desired_subsets(&svc, &pods);
        // Published not ready: the terminating pod too, both as ready.
        assert_eq!(ips(&subsets[0].addresses), ["10.0.0.1", "10.0.0.9"]);
    }

    #[test]
    fn truncation_keeps_ready_addresses_first_in_proportion() {
        let address = |i: usize| EndpointAddress {
            ip: format!("10.1.{}.{}", i / 256, i % 256),
            ..Default::default()
        };
        let mut subsets = vec![
            EndpointSubset {
                addresses: Some((0..600).map(address).collect()),
                not_ready_addresses: Some((600..700).map(address).collect()),
                ports: None,
            },
            EndpointSubset {
                addresses: Some((700..1300).map(address).collect()),
                not_ready_addresses: None,
                ports: None,
            },
        ];
        assert!(truncate(&mut subsets));
        assert_eq!(count(&subsets), (1000, 0));
        assert_eq!(subsets[0].addresses.as_ref().map(Vec::len), Some(500));
        let mut small = vec![EndpointSubset {
            addresses: Some((0..900).map(address).collect()),
            not_ready_addresses: Some((900..1100).map(address).collect()),
            ports: None,
        }];
        assert!(truncate(&mut small));
        assert_eq!(count(&small), (900, 100));
        let mut fine = small.clone();
        assert!(!truncate(&mut fine));
    }
}

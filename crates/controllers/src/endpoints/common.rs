//! What the Endpoints and EndpointSlice controllers share, as upstream's
//! `endpointslice/util` and `pkg/api/v1/pod` helpers: which pods a service
//! selects, which pods belong in its endpoints, how a service port resolves
//! on a pod, and the last-change trigger time of a service's endpoints.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use crate::informer::{Informer, Notice};
use crate::queue::WorkQueue;

/// `namespace/name` of a service.
pub(crate) type Key = (String, String);

/// The annotation with the time of the change that led to this write.
pub(crate) const LAST_CHANGE_TRIGGER_TIME: &str =
    "endpoints.kubernetes.io/last-change-trigger-time";
/// The label on the endpoints of a service without a cluster IP.
pub(crate) const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";

/// The service's selector, when it has one this controller acts on (a
/// selector-less service gets user-managed endpoints). An empty selector is
/// the same as none: Go drops an empty map when it writes the object.
pub(crate) fn selector_of(service: &Service) -> Option<&BTreeMap<String, String>> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.selector.as_ref().filter(|s| !s.is_empty())
}

/// Whether a selector (a plain label map) selects these labels.
pub(crate) fn selects(
    selector: &BTreeMap<String, String>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// The pods of the service's namespace its selector selects.
pub(crate) fn pods_of(service: &Service, pods: &Informer<Pod>) -> Vec<Arc<Pod>> {
    let Some(selector) = selector_of(service) else {
        return Vec::new();
    };
    let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
    let mut selected: Vec<Arc<Pod>> = pods
        .in_namespace(namespace)
        .into_iter()
        .filter(|pod| selects(selector, pod.metadata.labels.as_ref()))
        .collect();
    selected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    selected
}

/// Queues every service of the pod's namespace whose selector selects the
/// pod's labels before or after the change.
pub(crate) fn queue_services_of_pod(
    notice: &Notice<Pod>,
    services: &Informer<Service>,
    queue: &WorkQueue<Key>,
) {
    let (old, new) = match notice {
        Notice::Applied { old, new } => (old.as_deref(), new.as_ref()),
        Notice::Deleted(pod) => (None, pod.as_ref()),
    };
    if let Some(old) = old {
        if !endpoints_relevant_change(old, new) {
            return;
        }
    }
    let namespace = new.metadata.namespace.clone().unwrap_or_default();
    for service in services.in_namespace(&namespace) {
        let Some(selector) = selector_of(&service) else {
            continue;
        };
        let before = old.is_some_and(|o| selects(selector, o.metadata.labels.as_ref()));
        let now = selects(selector, new.metadata.labels.as_ref());
        if before || now {
            queue.add((
                namespace.clone(),
                service.metadata.name.clone().unwrap_or_default(),
            ));
        }
    }
}

/// Whether a pod update can change any endpoints (upstream's
/// `podEndpointsChanged` plus label changes): a resync that changes nothing
/// else is skipped.
fn endpoints_relevant_change(old: &Pod, new: &Pod) -> bool {
    let ips = |p: &Pod| {
        p.status
            .as_ref()
            .map(|s| (s.pod_ip.clone(), s.pod_ips.clone(), s.phase.clone()))
    };
    let spec = |p: &Pod| {
        p.spec.as_ref().map(|s| {
            (
                s.node_name.clone(),
                s.hostname.clone(),
                s.subdomain.clone(),
                s.containers
                    .iter()
                    .map(|c| c.ports.clone())
                    .collect::<Vec<_>>(),
            )
        })
    };
    old.metadata.labels != new.metadata.labels
        || old.metadata.deletion_timestamp != new.metadata.deletion_timestamp
        || is_ready(old) != is_ready(new)
        || ips(old) != ips(new)
        || spec(old) != spec(new)
}

/// The pod's Ready condition is True (upstream's `IsPodReady`).
pub(crate) fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// Whether the pod belongs in a service's endpoints at all (upstream's
/// `ShouldPodBeInEndpoints`): it has an IP, is not finished, and is not
/// terminating unless terminating pods are included.
pub(crate) fn should_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    let Some(status) = pod.status.as_ref() else {
        return false;
    };
    let has_ip = status.pod_ip.as_deref().is_some_and(|ip| !ip.is_empty())
        || status.pod_ips.as_ref().is_some_and(|ips| !ips.is_empty());
    if !has_ip {
        return false;
    }
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// Whether the pod's hostname is published for this service: it has one and
/// names the service as its subdomain (upstream's `ShouldSetHostname`).
pub(crate) fn should_set_hostname(pod: &Pod, service: &Service) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    spec.hostname.as_deref().is_some_and(|h| !h.is_empty())
        && spec.subdomain.is_some()
        && spec.subdomain == service.metadata.name
        && pod.metadata.namespace == service.metadata.namespace
}

/// Whether the service has a cluster IP (not headless).
pub(crate) fn service_ip_set(service: &Service) -> bool {
    service
        .spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_some_and(|ip| !ip.is_empty() && ip != "None")
}

/// Whether the service is headless (`clusterIP: None`).
pub(crate) fn is_headless(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

/// The service's IP family: its first `ipFamilies`, else that of its cluster
/// IP, else IPv4.
pub(crate) fn ipv6_service(service: &Service) -> bool {
    let Some(spec) = service.spec.as_ref() else {
        return false;
    };
    if let Some(first) = spec.ip_families.as_ref().and_then(|f| f.first()) {
        return first == "IPv6";
    }
    spec.cluster_ip
        .as_deref()
        .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
}

/// The pod's IPs of one family (upstream's `getEndpointAddresses`).
pub(crate) fn pod_ips(pod: &Pod, ipv6: bool) -> Vec<String> {
    let Some(status) = pod.status.as_ref() else {
        return Vec::new();
    };
    let mut all: Vec<String> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.clone())
        .collect();
    if all.is_empty() {
        all.extend(status.pod_ip.clone());
    }
    all.into_iter()
        .filter(|ip| match ip.parse::<std::net::IpAddr>() {
            Ok(addr) => addr.is_ipv6() == ipv6,
            Err(_) => false,
        })
        .collect()
}

/// The protocol of a port, defaulted as the API server does.
pub(crate) fn protocol(p: Option<&String>) -> &str {
    p.map(String::as_str).unwrap_or("TCP")
}

/// The number a service port's target resolves to on this pod (upstream's
/// `FindPort`): a number as is, a name through the ports of the pod's
/// containers (and restartable init containers) with the same protocol.
pub(crate) fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(n)) if *n == 0 => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            if let Ok(n) = name.parse::<i32>() {
                return Some(n);
            }
            let spec = pod.spec.as_ref()?;
            let sidecars = spec
                .init_containers
                .iter()
                .flatten()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"));
            spec.containers
                .iter()
                .chain(sidecars)
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| {
                    p.name.as_deref() == Some(name.as_str())
                        && protocol(p.protocol.as_ref()) == protocol(port.protocol.as_ref())
                })
                .map(|p| p.container_port)
        }
    }
}

/// Remembers, per service, the state its endpoints were last computed from,
/// to stamp each write with the time of the change that triggered it
/// (upstream's `TriggerTimeTracker`): the earliest Ready transition among
/// the pods that changed since, or the service's creation.
///
/// A computed state only counts once [`TriggerTimes::commit`] says the write
/// it stamped succeeded, so a retried sync stamps the same time again.
#[derive(Default)]
pub(crate) struct TriggerTimes {
    state: Mutex<HashMap<Key, Seen>>,
    pending: Mutex<HashMap<Key, Seen>>,
}

/// Per pod: the Ready condition's status and transition time. (The status
/// too: a pod can go from not ready to ready within the second its condition
/// times are written in.)
type PodReadiness = (Option<String>, Option<Timestamp>);

struct Seen {
    service: Option<Timestamp>,
    pods: HashMap<String, PodReadiness>,
}

impl TriggerTimes {
    /// The trigger time of this sync (None: nothing changed that has one).
    pub(crate) fn compute(
        &self,
        key: &Key,
        service: &Service,
        pods: &[Arc<Pod>],
    ) -> Option<Timestamp> {
        let service_time = service.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let pod_times: HashMap<String, PodReadiness> = pods
            .iter()
            .map(|pod| {
                let condition = ready_condition(pod);
                let at = condition
                    .and_then(|c| c.last_transition_time.as_ref())
                    .map(|t| t.0);
                let status = condition.map(|c| c.status.clone());
                (pod.metadata.name.clone().unwrap_or_default(), (status, at))
            })
            .collect();
        let Ok(state) = self.state.lock() else {
            return None;
        };
        let previous = state.get(key);
        let mut earliest: Option<Timestamp> = None;
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t {
                earliest = Some(earliest.map_or(t, |e: Timestamp| e.min(t)));
            }
        };
        match previous {
            None => consider(service_time),
            Some(seen) => {
                if seen.service != service_time {
                    consider(service_time);
                }
            }
        }
        for (name, readiness) in &pod_times {
            let changed = previous.is_none_or(|seen| seen.pods.get(name) != Some(readiness));
            if changed {
                consider(readiness.1);
            }
        }
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(
                key.clone(),
                Seen {
                    service: service_time,
                    pods: pod_times,
                },
            );
        }
        earliest
    }

    /// The last computed state of this service is what its endpoints show.
    pub(crate) fn commit(&self, key: &Key) {
        let seen = match self.pending.lock() {
            Ok(mut pending) => pending.remove(key),
            Err(_) => None,
        };
        if let (Some(seen), Ok(mut state)) = (seen, self.state.lock()) {
            state.insert(key.clone(), seen);
        }
    }

    /// Forgets a deleted service.
    pub(crate) fn forget(&self, key: &Key) {
        if let Ok(mut state) = self.state.lock() {
            state.remove(key);
        }
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(key);
        }
    }
}

/// RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` writes UTC times.
pub(crate) fn rfc3339_nano(t: Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};

    fn pod_with_ports(ports: &[(&str, i32, &str)]) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    ports: Some(
                        ports
                            .iter()
                            .map(|(name, number, proto)| ContainerPort {
                                name: Some(name.to_string()),
                                container_port: *number,
                                protocol: Some(proto.to_string()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn named_target_ports_resolve_by_name_and_protocol() {
        let pod = pod_with_ports(&[("http", 8080, "TCP"), ("dns", 53, "UDP")]);
        let port = |target: IntOrString, proto: &str| ServicePort {
            port: 80,
            target_port: Some(target),
            protocol: Some(proto.into()),
            ..Default::default()
        };
        assert_eq!(
            find_port(&pod, &port(IntOrString::String("http".into()), "TCP")),
            Some(8080)
        );
        assert_eq!(
            find_port(&pod, &port(IntOrString::String("http".into()), "UDP")),
            None
        );
        assert_eq!(
            find_port(&pod, &port(IntOrString::String("dns".into()), "UDP")),
            Some(53)
        );
        assert_eq!(
            find_port(&pod, &port(IntOrString::String("nope".into()), "TCP")),
            None
        );
        assert_eq!(
            find_port(&pod, &port(IntOrString::Int(9000), "TCP")),
            Some(9000)
        );
    }

    fn ready_pod(status: &str, at: i64) -> Arc<Pod> {
        use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        Arc::new(Pod {
            metadata: kube::api::ObjectMeta {
                name: Some("p".into()),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: status.into(),
                    last_transition_time: Some(Time(Timestamp::from_second(at).unwrap())),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn trigger_times_follow_ready_changes_and_count_once_committed() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        let times = TriggerTimes::default();
        let key = ("ns".to_string(), "svc".to_string());
        let mut service = Service::default();
        service.metadata.creation_timestamp = Some(Time(Timestamp::from_second(100).unwrap()));
        let at = |s: i64| Some(Timestamp::from_second(s).unwrap());
        // First sight: the service's creation is the earliest change.
        assert_eq!(
            times.compute(&key, &service, &[ready_pod("False", 200)]),
            at(100)
        );
        times.commit(&key);
        assert_eq!(
            times.compute(&key, &service, &[ready_pod("False", 200)]),
            None
        );
        times.commit(&key);
        // Ready within the same second: still a change, at that time.
        assert_eq!(
            times.compute(&key, &service, &[ready_pod("True", 200)]),
            at(200)
        );
        // Not committed (the write failed): the retry stamps it again.
        assert_eq!(
            times.compute(&key, &service, &[ready_pod("True", 200)]),
            at(200)
        );
        times.commit(&key);
        assert_eq!(
            times.compute(&key, &service, &[ready_pod("True", 200)]),
            None
        );
    }

    #[test]
    fn selectors_are_label_subsets() {
        let selector: BTreeMap<String, String> = [("app".to_string(), "web".to_string())].into();
        let mut labels = selector.clone();
        labels.insert("tier".into(), "x".into());
        assert!(selects(&selector, Some(&labels)));
        assert!(!selects(&selector, None));
    }
}

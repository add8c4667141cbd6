//! Printers of core/v1 kinds other than pods: services, endpoints, nodes,
//! namespaces, events, config maps, secrets, service accounts, volumes and
//! claims, resource quotas, pod templates and replication controllers, as
//! upstream's.

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    age, array_at, containers_and_images, format_labels, int_at, map_len, name, opt_str, or,
    quantity, since, str_at, text, typed, wide, Column, Row, AGE, CONTAINERS_DESCRIPTION,
    IMAGES_DESCRIPTION, NAME,
};

pub(super) const POD_TEMPLATE: &[Column] = &[
    NAME,
    text("Containers", CONTAINERS_DESCRIPTION),
    text("Images", IMAGES_DESCRIPTION),
    text(
        "Pod Labels",
        "The labels of the pods made from the template.",
    ),
];

pub(super) fn pod_template(obj: &Value, _now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/template/spec"));
    Row::new(vec![
        name(obj),
        containers,
        images,
        json!(format_labels(obj.pointer("/template/metadata/labels"))),
    ])
}

pub(super) const REPLICATION_CONTROLLER: &[Column] = &[
    NAME,
    typed("Desired", "integer", "The number of pods wanted."),
    typed("Current", "integer", "The number of pods last observed."),
    typed("Ready", "integer", "The number of ready pods."),
    AGE,
    wide("Containers", CONTAINERS_DESCRIPTION),
    wide("Images", IMAGES_DESCRIPTION),
    wide(
        "Selector",
        "The labels of the pods this controller manages.",
    ),
];

pub(super) fn replication_controller(obj: &Value, now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(int_at(obj, "/spec/replicas")),
        json!(int_at(obj, "/status/replicas")),
        json!(int_at(obj, "/status/readyReplicas")),
        age(obj, now),
        containers,
        images,
        json!(format_labels(obj.pointer("/spec/selector"))),
    ])
}

pub(super) const SERVICE: &[Column] = &[
    NAME,
    text("Type", "How the service is exposed."),
    text("Cluster-IP", "The virtual IP address of the service."),
    text(
        "External-IP",
        "Addresses outside the cluster the service is reached at.",
    ),
    text(
        "Port(s)",
        "The ports of the service, with their node ports.",
    ),
    AGE,
    wide(
        "Selector",
        "The labels of the pods the service sends traffic to.",
    ),
];

pub(super) fn service(obj: &Value, now: Timestamp) -> Row {
    let cluster_ip = opt_str(obj, "/spec/clusterIPs/0")
        .or_else(|| opt_str(obj, "/spec/clusterIP"))
        .filter(|ip| !ip.is_empty())
        .unwrap_or("<none>");
    let ports: Vec<String> = array_at(obj, "/spec/ports")
        .iter()
        .map(|port| {
            let protocol = str_at(port, "/protocol");
            let node_port = int_at(port, "/nodePort");
            if node_port > 0 {
                format!("{}:{node_port}/{protocol}", int_at(port, "/port"))
            } else {
                format!("{}/{protocol}", int_at(port, "/port"))
            }
        })
        .collect();
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/spec/type")),
        json!(cluster_ip),
        json!(external_ip(obj)),
        json!(or(&ports.join(","), "<none>")),
        age(obj, now),
        json!(format_labels(obj.pointer("/spec/selector"))),
    ])
}

/// The EXTERNAL-IP cell by service type, unclipped (the server prints wide).
fn external_ip(obj: &Value) -> String {
    let external_ips: Vec<&str> = array_at(obj, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match str_at(obj, "/spec/type") {
        "ClusterIP" | "NodePort" => or(&external_ips.join(","), "<none>").to_string(),
        "LoadBalancer" => {
            let balancers: BTreeSet<&str> = array_at(obj, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| or(str_at(i, "/ip"), str_at(i, "/hostname")))
                .filter(|a| !a.is_empty())
                .collect();
            let mut all: Vec<&str> = balancers.into_iter().collect();
            all.extend(external_ips);
            or(&all.join(","), "<pending>").to_string()
        }
        "ExternalName" => str_at(obj, "/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    }
}

pub(super) const ENDPOINTS: &[Column] = &[
    NAME,
    text("Endpoints", "Addresses and ports of the endpoints."),
    AGE,
];

pub(super) fn endpoints(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![name(obj), json!(format_endpoints(obj)), age(obj, now)])
}

/// Up to three `ip:port` endpoints, then how many more, as upstream's
/// `formatEndpoints`.
fn format_endpoints(obj: &Value) -> String {
    const MAX: usize = 3;
    let subsets = array_at(obj, "/subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list = Vec::new();
    let mut count = 0;
    for subset in subsets {
        let addresses = array_at(subset, "/addresses");
        let ports = array_at(subset, "/ports");
        if ports.is_empty() {
            // A headless service may have no ports.
            count += addresses.len();
            list.extend(
                addresses
                    .iter()
                    .take(MAX.saturating_sub(list.len()))
                    .map(|a| str_at(a, "/ip").to_string()),
            );
            continue;
        }
        for port in ports {
            count += addresses.len();
            let number = int_at(port, "/port");
            list.extend(
                addresses
                    .iter()
                    .take(MAX.saturating_sub(list.len()))
                    .map(|a| join_host_port(str_at(a, "/ip"), number)),
            );
        }
    }
    let shown = list.join(",");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else {
        shown
    }
}

/// `host:port`, with brackets around an IPv6 address, as Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(super) const NODE: &[Column] = &[
    NAME,
    text("Status", "Whether the node is ready and schedulable."),
    text("Roles", "The roles named by the node's labels."),
    AGE,
    text("Version", "The version of the node's kubelet."),
    wide("Internal-IP", "An address of the node."),
    wide("External-IP", "An address of the node."),
    wide("OS-Image", "The operating system of the node."),
    wide("Kernel-Version", "The kernel release of the node."),
    wide(
        "Container-Runtime",
        "The container runtime of the node and its version.",
    ),
];

pub(super) fn node(obj: &Value, now: Timestamp) -> Row {
    let ready = array_at(obj, "/status/conditions")
        .iter()
        .rev()
        .find(|c| str_at(c, "/type") == "Ready");
    let mut status = vec![match ready {
        Some(c) if str_at(c, "/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if obj.pointer("/spec/unschedulable") == Some(&Value::Bool(true)) {
        status.push("SchedulingDisabled");
    }
    let address = |kind: &str| {
        array_at(obj, "/status/addresses")
            .iter()
            .find(|a| str_at(a, "/type") == kind)
            .map_or("<none>", |a| str_at(a, "/address"))
    };
    let info = |field: &str| {
        or(
            str_at(obj, &format!("/status/nodeInfo/{field}")),
            "<unknown>",
        )
    };
    Row::new(vec![
        name(obj),
        json!(status.join(",")),
        json!(node_roles(obj)),
        age(obj, now),
        json!(str_at(obj, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ])
}

/// The roles of a node from its `node-role.kubernetes.io/<role>` and
/// `kubernetes.io/role` labels, sorted; "<none>" without any.
fn node_roles(obj: &Value) -> String {
    let mut roles = BTreeSet::new();
    if let Some(labels) = crate::meta::labels(obj) {
        for (key, value) in labels {
            if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role.to_string());
                }
            } else if key == "kubernetes.io/role" {
                let value = value.as_str().unwrap_or("");
                if !value.is_empty() {
                    roles.insert(value.to_string());
                }
            }
        }
    }
    let roles: Vec<String> = roles.into_iter().collect();
    or(&roles.join(","), "<none>").to_string()
}

pub(super) const EVENT: &[Column] = &[
    text("Last Seen", "How long ago the event last happened."),
    text("Type", "Normal or Warning."),
    text("Reason", "Why the event happened, in one word."),
    text("Object", "The object the event is about."),
    wide("Subobject", "The part of the object the event is about."),
    wide(
        "Source",
        "The component that reported the event, and its host.",
    ),
    text("Message", "What happened, for people."),
    wide("First Seen", "How long ago the event first happened."),
    wide("Count", "How many times the event happened."),
    Column {
        format: "name",
        ..wide("Name", super::NAME_DESCRIPTION)
    },
];

/// A core/v1 Event (the storage version of both event APIs).
pub(super) fn event(obj: &Value, now: Timestamp) -> Row {
    let present = |pointer: &str| opt_str(obj, pointer).is_some_and(|t| !t.is_empty());
    let first_seen = if present("/firstTimestamp") {
        since(obj, "/firstTimestamp", now)
    } else {
        since(obj, "/eventTime", now)
    };
    let mut last_seen = if present("/lastTimestamp") {
        since(obj, "/lastTimestamp", now)
    } else {
        first_seen.clone()
    };
    let mut count = int_at(obj, "/count");
    if obj.get("series").is_some_and(|s| !s.is_null()) {
        last_seen = since(obj, "/series/lastObservedTime", now);
        count = int_at(obj, "/series/count");
    } else if count == 0 {
        // Singleton events of the new API carry no count.
        count = 1;
    }
    let kind = str_at(obj, "/involvedObject/kind").to_lowercase();
    let involved_name = str_at(obj, "/involvedObject/name");
    let target = if involved_name.is_empty() {
        kind
    } else {
        format!("{kind}/{involved_name}")
    };
    let component = or(
        str_at(obj, "/source/component"),
        str_at(obj, "/reportingComponent"),
    );
    let instance = or(
        str_at(obj, "/source/host"),
        str_at(obj, "/reportingInstance"),
    );
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    Row::new(vec![
        json!(last_seen),
        json!(str_at(obj, "/type")),
        json!(str_at(obj, "/reason")),
        json!(target),
        json!(str_at(obj, "/involvedObject/fieldPath")),
        json!(source),
        json!(str_at(obj, "/message").trim()),
        json!(first_seen),
        json!(count),
        name(obj),
    ])
}

pub(super) const NAMESPACE: &[Column] = &[NAME, text("Status", "Active, or Terminating."), AGE];

pub(super) fn namespace(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/status/phase")),
        age(obj, now),
    ])
}

pub(super) const SECRET: &[Column] = &[
    NAME,
    text("Type", "The kind of data the secret holds."),
    text("Data", "The number of keys of the secret."),
    AGE,
];

pub(super) fn secret(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/type")),
        json!(map_len(obj, "/data")),
        age(obj, now),
    ])
}

pub(super) const SERVICE_ACCOUNT: &[Column] = &[
    NAME,
    text(
        "Secrets",
        "The number of secrets listed by the service account.",
    ),
    AGE,
];

pub(super) fn service_account(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(array_at(obj, "/secrets").len()),
        age(obj, now),
    ])
}

pub(super) const CONFIG_MAP: &[Column] = &[
    NAME,
    text("Data", "The number of keys of the config map."),
    AGE,
];

pub(super) fn config_map(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(map_len(obj, "/data") + map_len(obj, "/binaryData")),
        age(obj, now),
    ])
}

pub(super) const PERSISTENT_VOLUME: &[Column] = &[
    NAME,
    text("Capacity", "The storage size of the volume."),
    text("Access Modes", "How the volume can be mounted."),
    text(
        "Reclaim Policy",
        "What happens to the volume once its claim is gone.",
    ),
    text("Status", "Available, Bound, Released or Failed."),
    text("Claim", "The claim bound to the volume."),
    text("StorageClass", "The storage class of the volume."),
    text(
        "VolumeAttributesClass",
        "The volume attributes class of the volume.",
    ),
    text("Reason", "Why the volume failed, if it did."),
    AGE,
    wide("VolumeMode", "Filesystem or Block."),
];

pub(super) fn persistent_volume(obj: &Value, now: Timestamp) -> Row {
    let claim = match obj.pointer("/spec/claimRef") {
        Some(claim) if !claim.is_null() => {
            format!("{}/{}", str_at(claim, "/namespace"), str_at(claim, "/name"))
        }
        _ => String::new(),
    };
    let class = opt_str(
        obj,
        "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
    )
    .unwrap_or_else(|| str_at(obj, "/spec/storageClassName"));
    Row::new(vec![
        name(obj),
        json!(quantity(obj.pointer("/spec/capacity/storage"))),
        json!(access_modes(array_at(obj, "/spec/accessModes"))),
        json!(str_at(obj, "/spec/persistentVolumeReclaimPolicy")),
        json!(phase_or_terminating(obj)),
        json!(claim),
        json!(class),
        json!(opt_str(obj, "/spec/volumeAttributesClassName").unwrap_or("<unset>")),
        json!(str_at(obj, "/status/reason")),
        age(obj, now),
        json!(opt_str(obj, "/spec/volumeMode").unwrap_or("<unset>")),
    ])
}

pub(super) const PERSISTENT_VOLUME_CLAIM: &[Column] = &[
    NAME,
    text("Status", "Pending, Bound or Lost."),
    text("Volume", "The volume bound to the claim."),
    text("Capacity", "The storage size of the bound volume."),
    text("Access Modes", "How the bound volume can be mounted."),
    text("StorageClass", "The storage class of the claim."),
    text(
        "VolumeAttributesClass",
        "The volume attributes class of the claim.",
    ),
    AGE,
    wide("VolumeMode", "Filesystem or Block."),
];

pub(super) fn persistent_volume_claim(obj: &Value, now: Timestamp) -> Row {
    let volume = str_at(obj, "/spec/volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(obj.pointer("/status/capacity/storage")),
            access_modes(array_at(obj, "/status/accessModes")),
        )
    };
    let class = opt_str(
        obj,
        "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
    )
    .or_else(|| opt_str(obj, "/spec/storageClassName"))
    .unwrap_or("");
    Row::new(vec![
        name(obj),
        json!(phase_or_terminating(obj)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(class),
        json!(opt_str(obj, "/spec/volumeAttributesClassName").unwrap_or("<unset>")),
        age(obj, now),
        json!(opt_str(obj, "/spec/volumeMode").unwrap_or("<unset>")),
    ])
}

fn phase_or_terminating(obj: &Value) -> &str {
    if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        "Terminating"
    } else {
        str_at(obj, "/status/phase")
    }
}

/// Access modes abbreviated in upstream's fixed order: RWO, ROX, RWX, RWOP.
fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

pub(super) const RESOURCE_QUOTA: &[Column] = &[
    NAME,
    text(
        "Request",
        "Used and hard quota of requests and object counts.",
    ),
    text("Limit", "Used and hard quota of limits."),
    AGE,
];

pub(super) fn resource_quota(obj: &Value, now: Timestamp) -> Row {
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    if let Some(hard) = obj.pointer("/status/hard").and_then(Value::as_object) {
        let mut names: Vec<&String> = hard.keys().collect();
        names.sort();
        for resource in names {
            let used = quantity(
                obj.pointer("/status/used")
                    .and_then(|u| u.get(resource.as_str())),
            );
            let entry = format!("{resource}: {used}/{}", quantity(hard.get(resource)));
            if resource.split('.').next() == Some("limits") && resource.contains('.') {
                limits.push(entry);
            } else {
                requests.push(entry);
            }
        }
    }
    Row::new(vec![
        name(obj),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        age(obj, now),
    ])
}

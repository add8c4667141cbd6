//! The Node and Lease a hollow node registers, the status it reports, and the
//! fake addresses it hands out. Pure functions of a node's index and the time.

use std::net::Ipv4Addr;

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::Options;

/// The kubelet version hollow nodes report.
pub const KUBELET_VERSION: &str = "v1.33.0";
/// The container runtime hollow nodes report.
pub const RUNTIME_VERSION: &str = "hollow://1.0";
/// The label that marks a hollow node's instance type.
pub const INSTANCE_TYPE: &str = "hollow";
/// The namespace of node leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// The kubelet's port, advertised in `status.daemonEndpoints`.
const KUBELET_PORT: u16 = 10250;

/// `2024-01-01T00:00:00Z`, as metav1.Time.
pub fn time(now: Timestamp) -> String {
    k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", now).unwrap_or_default()
}

/// `2024-01-01T00:00:00.000000Z`, as metav1.MicroTime.
pub fn micro_time(now: Timestamp) -> String {
    k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%S%.6fZ", now).unwrap_or_default()
}

/// The node's InternalIP: 10.200.0.1 onward, skipping .0 and .255 of each /24.
pub fn node_ip(index: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(10, 200, 0, 0));
    Ipv4Addr::from(base + (index / 254) * 256 + index % 254 + 1)
}

/// The first address of the node's pod /24: node 0 has 10.244.0.0/24, node 1
/// 10.244.1.0/24, ...; the first 256 nodes fill 10.244.0.0/16 and later ones
/// go on upward through 10.0.0.0/8, wrapping after 10.255.255.0/24.
pub fn pod_cidr_base(index: u32) -> Ipv4Addr {
    let subnet = (244 * 256 + index) % 65536;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 0)) + subnet * 256)
}

/// The pod address `host` (1..=254) of the node's /24.
pub fn pod_ip(index: u32, host: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(pod_cidr_base(index)) + u32::from(host))
}

/// The host part of `ip` if it lies in the node's /24.
pub fn pod_host(index: u32, ip: &str) -> Option<u8> {
    let ip: Ipv4Addr = ip.parse().ok()?;
    let offset = u32::from(ip).checked_sub(u32::from(pod_cidr_base(index)))?;
    u8::try_from(offset).ok().filter(|h| (1..=254).contains(h))
}

/// The kubernetes.io/arch value of this machine.
pub fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The node's conditions: not under pressure and Ready, as a healthy kubelet
/// reports them (upstream's order and wording). `ready_since` is when Ready
/// last became True.
pub fn conditions(now: Timestamp, ready_since: Timestamp) -> Value {
    let heartbeat = time(now);
    let since = time(ready_since);
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({
            "type": kind,
            "status": status,
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": since,
            "reason": reason,
            "message": message,
        })
    };
    json!([
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// The whole status of a hollow node.
pub fn status(
    name: &str,
    index: u32,
    options: &Options,
    now: Timestamp,
    ready_since: Timestamp,
) -> Value {
    let resources = json!({
        "cpu": options.cpu,
        "memory": options.memory,
        "pods": options.pods,
        "ephemeral-storage": options.ephemeral_storage,
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    });
    let id = format!("{:032x}", u128::from(index) + 1);
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..]
    );
    json!({
        "capacity": resources,
        "allocatable": resources,
        "conditions": conditions(now, ready_since),
        "addresses": [
            {"type": "InternalIP", "address": node_ip(index).to_string()},
            {"type": "Hostname", "address": name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
        "nodeInfo": {
            "machineID": id,
            "systemUUID": uuid,
            "bootID": uuid,
            "kernelVersion": "6.1.0-hollow",
            "osImage": "Hollow Linux (rkube)",
            "containerRuntimeVersion": RUNTIME_VERSION,
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": arch(),
        },
    })
}

/// The Node a hollow node registers, with its status.
pub fn node(name: &str, index: u32, options: &Options, now: Timestamp) -> Value {
    let cidr = format!("{}/24", pod_cidr_base(index));
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": arch(),
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch(),
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": INSTANCE_TYPE,
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": status(name, index, options, now, now),
    })
}

/// The node's Lease in kube-node-lease, owned by the node (so that it goes when
/// the node goes), as upstream's lease controller creates it.
pub fn lease(name: &str, node_uid: Option<&str>, options: &Options, now: Timestamp) -> Value {
    let owners = match node_uid {
        Some(uid) => json!([{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}]),
        None => json!([]),
    };
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": LEASE_NAMESPACE, "ownerReferences": owners},
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": options.lease_duration_seconds,
            "renewTime": micro_time(now),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn addresses() {
        let check = |index: u32, node: &str, cidr: &str| {
            assert_eq!(node_ip(index).to_string(), node, "node {index}");
            assert_eq!(pod_cidr_base(index).to_string(), cidr, "node {index}");
        };
        check(0, "10.200.0.1", "10.244.0.0");
        check(1, "10.200.0.2", "10.244.1.0");
        check(253, "10.200.0.254", "10.244.253.0");
        check(254, "10.200.1.1", "10.244.254.0");
        check(256, "10.200.1.3", "10.245.0.0");
        check(4999, "10.200.19.174", "10.7.135.0");
        assert_eq!(pod_ip(1, 7).to_string(), "10.244.1.7");
        assert_eq!(pod_host(1, "10.244.1.7"), Some(7));
        assert_eq!(pod_host(1, "10.244.2.7"), None);
        assert_eq!(pod_host(1, "10.244.1.0"), None);
        assert_eq!(pod_host(1, "nonsense"), None);
    }

    #[test]
    fn node_object() {
        let now = at("2026-01-02T03:04:05Z");
        let node = node("hollow-node-3", 3, &Options::default(), now);
        assert_eq!(
            node["metadata"]["labels"]["kubernetes.io/hostname"],
            "hollow-node-3"
        );
        assert_eq!(
            node["metadata"]["labels"]["node.kubernetes.io/instance-type"],
            "hollow"
        );
        assert_eq!(node["spec"]["podCIDR"], "10.244.3.0/24");
        let status = &node["status"];
        assert_eq!(status["capacity"]["cpu"], "4");
        assert_eq!(status["allocatable"]["memory"], "16Gi");
        assert_eq!(status["capacity"]["pods"], "110");
        assert_eq!(
            status["addresses"][0],
            json!({"type": "InternalIP", "address": "10.200.0.4"})
        );
        assert_eq!(status["nodeInfo"]["kubeletVersion"], "v1.33.0");
        assert_eq!(
            status["nodeInfo"]["containerRuntimeVersion"],
            "hollow://1.0"
        );
        assert_eq!(status["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
        let ready = &status["conditions"][3];
        assert_eq!(
            (&ready["type"], &ready["status"], &ready["reason"]),
            (&json!("Ready"), &json!("True"), &json!("KubeletReady"))
        );
        assert_eq!(ready["lastHeartbeatTime"], "2026-01-02T03:04:05Z");
        // The typed Node accepts it.
        let typed: k8s_openapi::api::core::v1::Node = serde_json::from_value(node).expect("a Node");
        assert_eq!(typed.metadata.name.as_deref(), Some("hollow-node-3"));
    }

    #[test]
    fn lease_object() {
        let now = at("2026-01-02T03:04:05.5Z");
        let lease = lease("n", Some("u1"), &Options::default(), now);
        assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
        assert_eq!(lease["spec"]["renewTime"], "2026-01-02T03:04:05.500000Z");
        assert_eq!(lease["metadata"]["ownerReferences"][0]["uid"], "u1");
        let _: k8s_openapi::api::coordination::v1::Lease =
            serde_json::from_value(lease).expect("a Lease");
    }
}

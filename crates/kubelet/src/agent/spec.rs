//! What a pod becomes in CRI terms: the sandbox configuration (metadata,
//! labels, log directory, port mappings, namespaces, cgroup parent) and each
//! container's configuration (image, command, resources, labels, log path).
//! Pure functions of the pod; the worker adds env and mounts.

use std::collections::HashMap;
use std::path::Path;

use api::quota::Quantity;
use k8s_openapi::api::core::v1::{Container, Pod};

use crate::cri::api as cri;
use crate::cri::labels;

/// The CPU period CFS quotas are counted in (upstream: 100 ms).
const CPU_PERIOD: i64 = 100_000;

pub fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

pub fn namespace(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("default")
}

pub fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

fn pod_labels(pod: &Pod) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = pod
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.insert(labels::POD_NAME.into(), name(pod).into());
    labels.insert(labels::POD_NAMESPACE.into(), namespace(pod).into());
    labels.insert(labels::POD_UID.into(), uid(pod).into());
    labels
}

/// The pod's QoS class (Guaranteed, Burstable, BestEffort), as the API server
/// computed it, or computed here for a pod that lacks it.
pub fn qos_class(pod: &Pod) -> String {
    if let Some(class) = pod.status.as_ref().and_then(|s| s.qos_class.clone()) {
        return class;
    }
    serde_json::to_value(pod)
        .map(|value| api::strategy::pod_qos_class(&value).to_string())
        .unwrap_or_else(|_| "BestEffort".into())
}

/// The pod's cgroup under the node's root, as upstream's cgroupfs layout:
/// `/<root>/kubepods[/burstable|/besteffort]/pod<uid>`.
pub fn cgroup_parent(root: &str, pod: &Pod) -> String {
    let qos = match qos_class(pod).as_str() {
        "Guaranteed" => String::new(),
        "Burstable" => "/burstable".into(),
        _ => "/besteffort".into(),
    };
    format!("{root}/kubepods{qos}/pod{}", uid(pod))
}

/// The directory of the pod's container logs (upstream: /var/log/pods/NS_NAME_UID).
pub fn log_directory(logs: &Path, pod: &Pod) -> String {
    logs.join(format!("{}_{}_{}", namespace(pod), name(pod), uid(pod)))
        .display()
        .to_string()
}

fn host_network(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false)
}

fn all_containers(pod: &Pod) -> impl Iterator<Item = &Container> {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .chain(spec.map(|s| &s.containers).into_iter().flatten())
}

/// The sandbox configuration of `pod`, attempt `attempt`.
pub fn sandbox_config(
    pod: &Pod,
    attempt: u32,
    logs: &Path,
    cgroup_root: &str,
    dns: Option<cri::DnsConfig>,
) -> cri::PodSandboxConfig {
    let spec = pod.spec.as_ref();
    let hostname = spec
        .and_then(|s| s.hostname.clone())
        .unwrap_or_else(|| name(pod).to_string());
    let hostname = if host_network(pod) {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or(hostname)
    } else {
        hostname
    };
    let port_mappings = all_containers(pod)
        .flat_map(|c| c.ports.iter().flatten())
        .filter(|p| p.host_port.unwrap_or(0) > 0)
        .map(|p| cri::PortMapping {
            protocol: match p.protocol.as_deref() {
                Some("UDP") => cri::Protocol::Udp as i32,
                Some("SCTP") => cri::Protocol::Sctp as i32,
                _ => cri::Protocol::Tcp as i32,
            },
            container_port: p.container_port,
            host_port: p.host_port.unwrap_or(0),
            host_ip: p.host_ip.clone().unwrap_or_default(),
        })
        .collect();
    let security = spec.and_then(|s| s.security_context.as_ref());
    let namespace_mode = |host: bool| {
        if host {
            cri::NamespaceMode::Node as i32
        } else {
            cri::NamespaceMode::Pod as i32
        }
    };
    let options = cri::NamespaceOption {
        network: namespace_mode(host_network(pod)),
        pid: if spec.and_then(|s| s.host_pid).unwrap_or(false) {
            cri::NamespaceMode::Node as i32
        } else if spec
            .and_then(|s| s.share_process_namespace)
            .unwrap_or(false)
        {
            cri::NamespaceMode::Pod as i32
        } else {
            cri::NamespaceMode::Container as i32
        },
        ipc: namespace_mode(spec.and_then(|s| s.host_ipc).unwrap_or(false)),
        ..Default::default()
    };
    let annotations = pod
        .metadata
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    cri::PodSandboxConfig {
        metadata: Some(cri::PodSandboxMetadata {
            name: name(pod).into(),
            uid: uid(pod).into(),
            namespace: namespace(pod).into(),
            attempt,
        }),
        hostname,
        log_directory: log_directory(logs, pod),
        dns_config: dns,
        port_mappings,
        labels: pod_labels(pod),
        annotations,
        linux: Some(cri::LinuxPodSandboxConfig {
            cgroup_parent: cgroup_parent(cgroup_root, pod),
            security_context: Some(cri::LinuxSandboxSecurityContext {
                namespace_options: Some(options),
                run_as_user: security
                    .and_then(|s| s.run_as_user)
                    .map(|value| cri::Int64Value { value }),
                run_as_group: security
                    .and_then(|s| s.run_as_group)
                    .map(|value| cri::Int64Value { value }),
                supplemental_groups: security
                    .and_then(|s| s.supplemental_groups.clone())
                    .unwrap_or_default(),
                ..Default::default()
            }),
            sysctls: security
                .and_then(|s| s.sysctls.as_ref())
                .into_iter()
                .flatten()
                .map(|s| (s.name.clone(), s.value.clone()))
                .collect(),
            ..Default::default()
        }),
        windows: None,
    }
}

fn quantity(
    list: Option<&std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    name: &str,
) -> Option<Quantity> {
    list.and_then(|map| map.get(name))
        .and_then(|q| Quantity::parse(&q.0))
}

/// Requests and limits as CRI Linux resources: CPU shares from the request
/// (2 at least, as upstream), a CFS quota from the limit, the memory limit,
/// and the OOM score adjustment of the pod's QoS class.
pub fn linux_resources(pod: &Pod, container: &Container) -> cri::LinuxContainerResources {
    let resources = container.resources.as_ref();
    let requests = resources.and_then(|r| r.requests.as_ref());
    let limits = resources.and_then(|r| r.limits.as_ref());
    let milli = |q: Quantity| i64::try_from(q.0 / 1_000_000).unwrap_or(i64::MAX);
    let bytes = |q: Quantity| i64::try_from(q.0 / 1_000_000_000).unwrap_or(i64::MAX);
    let cpu_limit = quantity(limits, "cpu").map(milli);
    // Without a request, the request is the limit (the API server defaults
    // it so; done again here for pods from elsewhere).
    let cpu_request = quantity(requests, "cpu").map(milli).or(cpu_limit);
    let memory_limit = quantity(limits, "memory").map(bytes);
    let memory_request = quantity(requests, "memory")
        .map(bytes)
        .or(memory_limit);
    let cpu_shares = match cpu_request {
        Some(m) if m > 0 => (m * 1024 / 1000).max(2),
        _ => 2,
    };
    let (cpu_period, cpu_quota) = match cpu_limit {
        Some(m) if m > 0 => (CPU_PERIOD, (m * CPU_PERIOD / 1000).max(1000)),
        _ => (0, 0),
    };
    let oom_score_adj = match qos_class(pod).as_str() {
        "Guaranteed" => -997,
        "BestEffort" => 1000,
        _ => {
            // Burstable: 1000 - 1000 * request / node memory, clamped to
            // [3, 999] (upstream's formula, per container).
            let total = super::machine::mem_total(
                &std::fs::read_to_string("/proc/meminfo").unwrap_or_default(),
            )
            .unwrap_or(1 << 30) as i64;
            let request = memory_request.unwrap_or(0);
            (1000 - 1000 * request / total.max(1)).clamp(3, 999)
        }
    };
    cri::LinuxContainerResources {
        cpu_period,
        cpu_quota,
        cpu_shares,
        memory_limit_in_bytes: memory_limit.unwrap_or(0),
        oom_score_adj,
        ..Default::default()
    }
}

/// The container configuration, without env and mounts (the worker adds
/// them once resolved).
pub fn container_config(
    pod: &Pod,
    container: &Container,
    attempt: u32,
    image: &str,
) -> cri::ContainerConfig {
    let mut labels = HashMap::new();
    labels.insert(labels::POD_NAME.to_string(), name(pod).to_string());
    labels.insert(labels::POD_NAMESPACE.to_string(), namespace(pod).to_string());
    labels.insert(labels::POD_UID.to_string(), uid(pod).to_string());
    labels.insert(labels::CONTAINER_NAME.to_string(), container.name.clone());
    let mut annotations = HashMap::new();
    annotations.insert(
        "io.kubernetes.container.terminationMessagePath".to_string(),
        container
            .termination_message_path
            .clone()
            .unwrap_or_else(|| "/dev/termination-log".into()),
    );
    let pod_security = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    let security = container.security_context.as_ref();
    let run_as_user = security
        .and_then(|s| s.run_as_user)
        .or(pod_security.and_then(|s| s.run_as_user));
    let run_as_group = security
        .and_then(|s| s.run_as_group)
        .or(pod_security.and_then(|s| s.run_as_group));
    let privileged = security.and_then(|s| s.privileged).unwrap_or(false);
    let capabilities = security.and_then(|s| s.capabilities.as_ref());
    let host_network = host_network(pod);
    cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata {
            name: container.name.clone(),
            attempt,
        }),
        image: Some(cri::ImageSpec {
            image: image.to_string(),
            ..Default::default()
        }),
        command: container.command.clone().unwrap_or_default(),
        args: container.args.clone().unwrap_or_default(),
        working_dir: container.working_dir.clone().unwrap_or_default(),
        labels,
        annotations,
        log_path: format!("{}/{attempt}.log", container.name),
        stdin: container.stdin.unwrap_or(false),
        stdin_once: container.stdin_once.unwrap_or(false),
        tty: container.tty.unwrap_or(false),
        linux: Some(cri::LinuxContainerConfig {
            resources: Some(linux_resources(pod, container)),
            security_context: Some(cri::LinuxContainerSecurityContext {
                capabilities: capabilities.map(|c| cri::Capability {
                    add_capabilities: c.add.clone().unwrap_or_default(),
                    drop_capabilities: c.drop.clone().unwrap_or_default(),
                    ..Default::default()
                }),
                privileged,
                namespace_options: Some(cri::NamespaceOption {
                    network: if host_network {
                        cri::NamespaceMode::Node as i32
                    } else {
                        cri::NamespaceMode::Pod as i32
                    },
                    pid: if pod.spec.as_ref().and_then(|s| s.host_pid).unwrap_or(false) {
                        cri::NamespaceMode::Node as i32
                    } else if pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.share_process_namespace)
                        .unwrap_or(false)
                    {
                        cri::NamespaceMode::Pod as i32
                    } else {
                        cri::NamespaceMode::Container as i32
                    },
                    ipc: if pod.spec.as_ref().and_then(|s| s.host_ipc).unwrap_or(false) {
                        cri::NamespaceMode::Node as i32
                    } else {
                        cri::NamespaceMode::Pod as i32
                    },
                    ..Default::default()
                }),
                run_as_user: run_as_user.map(|value| cri::Int64Value { value }),
                run_as_group: run_as_group.map(|value| cri::Int64Value { value }),
                readonly_rootfs: security
                    .and_then(|s| s.read_only_root_filesystem)
                    .unwrap_or(false),
                no_new_privs: !security
                    .and_then(|s| s.allow_privilege_escalation)
                    .unwrap_or(true),
                masked_paths: if privileged {
                    vec![]
                } else {
                    DEFAULT_MASKED.iter().map(|s| s.to_string()).collect()
                },
                readonly_paths: if privileged {
                    vec![]
                } else {
                    DEFAULT_READONLY.iter().map(|s| s.to_string()).collect()
                },
                ..Default::default()
            }),
        }),
        ..Default::default()
    }
}

/// The paths upstream masks in unprivileged containers.
const DEFAULT_MASKED: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
];

/// The paths upstream makes read-only in unprivileged containers.
const DEFAULT_READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(resources: serde_json::Value, qos: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": resources,
                "ports": [{"containerPort": 80, "hostPort": 8080}]}]},
            "status": {"qosClass": qos},
        }))
        .expect("pod")
    }

    #[test]
    fn resources_become_shares_quota_and_memory_limit() {
        let p = pod(
            json!({"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}),
            "Burstable",
        );
        let r = linux_resources(&p, &p.spec.as_ref().expect("spec").containers[0]);
        assert_eq!(r.cpu_shares, 256);
        assert_eq!((r.cpu_period, r.cpu_quota), (100_000, 50_000));
        assert_eq!(r.memory_limit_in_bytes, 128 << 20);
        assert!((3..=999).contains(&r.oom_score_adj));
        let p = pod(json!({}), "BestEffort");
        let r = linux_resources(&p, &p.spec.as_ref().expect("spec").containers[0]);
        assert_eq!((r.cpu_shares, r.cpu_quota, r.memory_limit_in_bytes), (2, 0, 0));
        assert_eq!(r.oom_score_adj, 1000);
    }

    #[test]
    fn sandbox_carries_labels_ports_and_cgroup() {
        let p = pod(json!({}), "BestEffort");
        let config = sandbox_config(&p, 0, Path::new("/logs"), "/rkube", None);
        assert_eq!(config.labels[labels::POD_UID], "u1");
        assert_eq!(config.labels["app"], "a");
        assert_eq!(config.log_directory, "/logs/ns_p_u1");
        assert_eq!(config.port_mappings[0].host_port, 8080);
        assert_eq!(
            config.linux.as_ref().map(|l| l.cgroup_parent.as_str()),
            Some("/rkube/kubepods/besteffort/podu1")
        );
        let c = container_config(&p, &p.spec.as_ref().expect("spec").containers[0], 2, "busybox");
        assert_eq!(c.log_path, "c/2.log");
        assert_eq!(c.labels[labels::CONTAINER_NAME], "c");
    }
}

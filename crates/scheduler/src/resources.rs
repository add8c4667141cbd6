//! Resource quantities and what a pod asks of a node: its requests (containers,
//! init containers and sidecars as upstream's `resourcehelper.PodRequests`,
//! plus overhead) and its host ports.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The cpu a container without a cpu request counts as when scoring
/// (upstream `DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// The memory a container without a memory request counts as when scoring
/// (upstream `DefaultMemoryRequest`, 200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of the resources the scheduler accounts for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Extended resources (`example.com/gpu`, `hugepages-2Mi`, ...), in units.
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    /// Reads a `resources.requests` / `allocatable` map.
    pub fn from_map(map: Option<&BTreeMap<String, Quantity>>) -> Resources {
        let mut resources = Resources::default();
        for (name, quantity) in map.into_iter().flatten() {
            resources.set(name, quantity);
        }
        resources
    }

    fn set(&mut self, name: &str, quantity: &Quantity) {
        match name {
            "cpu" => self.milli_cpu = parse_quantity(&quantity.0, 3).unwrap_or(0),
            "memory" => self.memory = parse_quantity(&quantity.0, 0).unwrap_or(0),
            "ephemeral-storage" => {
                self.ephemeral_storage = parse_quantity(&quantity.0, 0).unwrap_or(0)
            }
            "pods" => {}
            _ => {
                self.scalar.insert(
                    name.to_string(),
                    parse_quantity(&quantity.0, 0).unwrap_or(0),
                );
            }
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() += value;
        }
    }

    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() -= value;
        }
    }

    fn max(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, value) in &other.scalar {
            let entry = self.scalar.entry(name.clone()).or_default();
            *entry = (*entry).max(*value);
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// Parses a Kubernetes quantity (`100m`, `1.5`, `512Mi`, `1G`, `1e3`) and
/// returns it times 10^`scale`, rounded up (`scale` 3 gives milli-units).
pub fn parse_quantity(text: &str, scale: i32) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut mantissa: i128 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(c.to_digit(10)? as i128)?;
    }
    let mut exponent = -(fraction.len() as i32) + scale;
    let mut binary: i128 = 1;
    match suffix {
        "" => {}
        "Ki" => binary = 1 << 10,
        "Mi" => binary = 1 << 20,
        "Gi" => binary = 1 << 30,
        "Ti" => binary = 1 << 40,
        "Pi" => binary = 1 << 50,
        "Ei" => binary = 1 << 60,
        "n" => exponent -= 9,
        "u" => exponent -= 6,
        "m" => exponent -= 3,
        "k" => exponent += 3,
        "M" => exponent += 6,
        "G" => exponent += 9,
        "T" => exponent += 12,
        "P" => exponent += 15,
        "E" => exponent += 18,
        other => {
            let power = other.strip_prefix(['e', 'E'])?;
            exponent += power.parse::<i32>().ok()?;
        }
    }
    let mut value = mantissa.checked_mul(binary)?;
    if exponent >= 0 {
        value = value.checked_mul(10i128.checked_pow(exponent as u32)?)?;
    } else {
        let divisor = 10i128.checked_pow((-exponent) as u32)?;
        value = (value + divisor - 1) / divisor;
    }
    let value = i64::try_from(value).ok()?;
    Some(if negative { -value } else { value })
}

fn container_requests(container: &Container, non_zero: bool) -> Resources {
    let requests = container
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    let mut resources = Resources::from_map(requests);
    if non_zero {
        let has = |name: &str| requests.is_some_and(|r| r.contains_key(name));
        if !has("cpu") {
            resources.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has("memory") {
            resources.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    resources
}

/// What `pod` requests of its node: the larger of its containers plus
/// sidecars and of each init container (plus the sidecars started before it),
/// plus the pod overhead. With `non_zero`, containers that request no cpu or
/// memory count the scoring defaults instead, as upstream's `NonZeroRequested`.
pub fn pod_requests(pod: &Pod, non_zero: bool) -> Resources {
    let Some(spec) = pod.spec.as_ref() else {
        return Resources::default();
    };
    let mut total = Resources::default();
    for container in &spec.containers {
        total.add(&container_requests(container, non_zero));
    }
    let mut sidecars = Resources::default();
    let mut init_max = Resources::default();
    for init in spec.init_containers.iter().flatten() {
        let requests = container_requests(init, non_zero);
        if init.restart_policy.as_deref() == Some("Always") {
            sidecars.add(&requests);
            init_max.max(&sidecars);
        } else {
            let mut during = sidecars.clone();
            during.add(&requests);
            init_max.max(&during);
        }
    }
    total.add(&sidecars);
    total.max(&init_max);
    if let Some(overhead) = spec.overhead.as_ref() {
        total.add(&Resources::from_map(Some(overhead)));
    }
    total
}

/// One host port a pod binds on its node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

impl HostPort {
    /// Two host ports clash on the same protocol and port when either binds all
    /// addresses or both bind the same one.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// The host ports `pod`'s containers ask for.
pub fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers
        .iter()
        .chain(sidecars)
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|port| {
            let host_port = port.host_port.filter(|p| *p > 0)?;
            Some(HostPort {
                ip: port
                    .host_ip
                    .clone()
                    .filter(|ip| !ip.is_empty())
                    .unwrap_or_else(|| "0.0.0.0".to_string()),
                protocol: port.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                port: host_port,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        let check = |text: &str, scale: i32, expected: Option<i64>| {
            assert_eq!(parse_quantity(text, scale), expected, "{text}");
        };
        check("100m", 3, Some(100));
        check("0.1", 3, Some(100));
        check("1", 3, Some(1000));
        check("1.5", 3, Some(1500));
        check("512Mi", 0, Some(512 << 20));
        check("1G", 0, Some(1_000_000_000));
        check("1e3", 0, Some(1000));
        check("1k", 0, Some(1000));
        check("1n", 3, Some(1));
        check("abc", 0, None);
    }

    #[test]
    fn requests_take_init_containers_sidecars_and_overhead() {
        let pod: Pod = serde_json::from_value(json!({
            "spec": {
                "overhead": {"cpu": "10m"},
                "initContainers": [
                    {"name": "i1", "resources": {"requests": {"cpu": "2", "memory": "1Mi"}}},
                    {"name": "s1", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}}
                ],
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "64Mi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "250m"}}}
                ]
            }
        }))
        .unwrap();
        let requests = pod_requests(&pod, false);
        assert_eq!(requests.milli_cpu, 2010);
        assert_eq!(requests.memory, 64 << 20);
        let non_zero = pod_requests(&pod, true);
        assert_eq!(non_zero.memory, (64 << 20) + 2 * DEFAULT_MEMORY_REQUEST);
    }
}

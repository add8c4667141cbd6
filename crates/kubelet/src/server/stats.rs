//! Resource usage, as upstream's kubelet reports it: `/stats/summary` (the
//! `stats/v1alpha1` Summary: the node and its pods with their containers'
//! cpu and memory), `/metrics/resource` (the Prometheus metrics metrics-server
//! scrapes) and `/metrics` (a few of the kubelet's own metrics).
//!
//! Containers' figures come from CRI (`ListContainerStats`, which containerd
//! reads from the containers' cgroups); the node's from `/proc` and the root
//! memory cgroup.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value};

use crate::cri::{api, labels, Cri, CriError};

/// One running container's usage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerUsage {
    pub namespace: String,
    pub pod: String,
    pub pod_uid: String,
    pub container: String,
    /// Nanoseconds since the epoch.
    pub start_time: i64,
    /// When the figures were read, nanoseconds since the epoch.
    pub timestamp: i64,
    pub cpu_core_nanoseconds: Option<u64>,
    pub cpu_nano_cores: Option<u64>,
    pub memory_working_set: Option<u64>,
    pub memory_usage: Option<u64>,
    pub memory_available: Option<u64>,
    pub memory_rss: Option<u64>,
    pub page_faults: Option<u64>,
    pub major_page_faults: Option<u64>,
}

/// The node's usage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeUsage {
    /// Nanoseconds since the epoch.
    pub timestamp: i64,
    /// Boot time, seconds since the epoch.
    pub boot_time: i64,
    pub cpu_core_nanoseconds: u64,
    pub cpu_nano_cores: Option<u64>,
    pub memory_total: u64,
    pub memory_usage: u64,
    pub memory_working_set: u64,
    pub memory_rss: Option<u64>,
    pub page_faults: Option<u64>,
    pub major_page_faults: Option<u64>,
}

/// Everything one scrape reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub node: NodeUsage,
    pub containers: Vec<ContainerUsage>,
    /// Whether reading the containers' figures failed.
    pub scrape_error: bool,
}

fn value(v: &Option<api::UInt64Value>) -> Option<u64> {
    v.as_ref().map(|v| v.value)
}

/// The usage of every running container the runtime knows, with the labels
/// that name its pod.
pub async fn containers(cri: &Cri) -> Result<Vec<ContainerUsage>, CriError> {
    let running = api::ContainerFilter {
        state: Some(api::ContainerStateValue {
            state: api::ContainerState::ContainerRunning as i32,
        }),
        ..Default::default()
    };
    let listed = cri
        .runtime()
        .list_containers(api::ListContainersRequest {
            filter: Some(running),
        })
        .await?
        .into_inner()
        .containers;
    let created: BTreeMap<String, i64> = listed.into_iter().map(|c| (c.id, c.created_at)).collect();
    let stats = cri
        .runtime()
        .list_container_stats(api::ListContainerStatsRequest { filter: None })
        .await?
        .into_inner()
        .stats;
    let mut out = Vec::new();
    for stat in stats {
        let Some(attributes) = &stat.attributes else {
            continue;
        };
        let Some(start_time) = created.get(&attributes.id) else {
            continue;
        };
        let label = |name: &str| attributes.labels.get(name).cloned().unwrap_or_default();
        let container = attributes
            .metadata
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| label(labels::CONTAINER_NAME));
        let cpu = stat.cpu.as_ref();
        let memory = stat.memory.as_ref();
        out.push(ContainerUsage {
            namespace: label(labels::POD_NAMESPACE),
            pod: label(labels::POD_NAME),
            pod_uid: label(labels::POD_UID),
            container,
            start_time: *start_time,
            timestamp: cpu
                .map(|c| c.timestamp)
                .or(memory.map(|m| m.timestamp))
                .unwrap_or_default(),
            cpu_core_nanoseconds: cpu.and_then(|c| value(&c.usage_core_nano_seconds)),
            cpu_nano_cores: cpu.and_then(|c| value(&c.usage_nano_cores)),
            memory_working_set: memory.and_then(|m| value(&m.working_set_bytes)),
            memory_usage: memory.and_then(|m| value(&m.usage_bytes)),
            memory_available: memory.and_then(|m| value(&m.available_bytes)),
            memory_rss: memory.and_then(|m| value(&m.rss_bytes)),
            page_faults: memory.and_then(|m| value(&m.page_faults)),
            major_page_faults: memory.and_then(|m| value(&m.major_page_faults)),
        });
    }
    out.sort_by(|a, b| {
        (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
    });
    Ok(out)
}

/// `key value` lines of a file such as `/proc/meminfo` or `memory.stat`
/// (a trailing `kB` multiplies by 1024).
fn key_values(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let key = parts.next()?.trim_end_matches(':').to_string();
            let number: u64 = parts.next()?.parse().ok()?;
            let factor = if parts.next() == Some("kB") { 1024 } else { 1 };
            Some((key, number * factor))
        })
        .collect()
}

/// The node's cpu time (all cpus, everything but idle and iowait) and boot
/// time from `/proc/stat`.
pub fn parse_proc_stat(text: &str) -> (u64, i64) {
    // USER_HZ is 100 on every Linux the kubelet runs on.
    const TICK_NS: u64 = 10_000_000;
    let mut cpu = 0;
    let mut boot = 0;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("cpu") => {
                let ticks: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
                // user nice system idle iowait irq softirq steal ...
                cpu = [0, 1, 2, 5, 6, 7]
                    .iter()
                    .filter_map(|i| ticks.get(*i))
                    .sum::<u64>()
                    * TICK_NS;
            }
            Some("btime") => boot = fields.next().and_then(|b| b.parse().ok()).unwrap_or(0),
            _ => {}
        }
    }
    (cpu, boot)
}

/// Reads the node's usage now; `previous` (the last reading) gives the cpu rate.
pub fn node(previous: Option<&NodeUsage>) -> NodeUsage {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let (cpu, boot) = std::fs::read_to_string("/proc/stat")
        .map(|t| parse_proc_stat(&t))
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .map(|t| key_values(&t))
        .unwrap_or_default();
    let total = meminfo.get("MemTotal").copied().unwrap_or(0);
    let mut usage = NodeUsage {
        timestamp: now,
        boot_time: boot,
        cpu_core_nanoseconds: cpu,
        memory_total: total,
        memory_usage: total.saturating_sub(meminfo.get("MemFree").copied().unwrap_or(0)),
        memory_working_set: total.saturating_sub(meminfo.get("MemAvailable").copied().unwrap_or(0)),
        ..Default::default()
    };
    // cgroup v1: the root memory cgroup, as cAdvisor reads it.
    let root = std::path::Path::new("/sys/fs/cgroup/memory");
    if let (Ok(used), Ok(stat)) = (
        std::fs::read_to_string(root.join("memory.usage_in_bytes")),
        std::fs::read_to_string(root.join("memory.stat")),
    ) {
        if let Ok(used) = used.trim().parse::<u64>() {
            let stat = key_values(&stat);
            usage.memory_usage = used;
            usage.memory_working_set =
                used.saturating_sub(stat.get("total_inactive_file").copied().unwrap_or(0));
            usage.memory_rss = stat.get("total_rss").copied();
            usage.page_faults = stat.get("total_pgfault").copied();
            usage.major_page_faults = stat.get("total_pgmajfault").copied();
        }
    }
    if let Some(previous) = previous {
        let elapsed = usage.timestamp.saturating_sub(previous.timestamp);
        if elapsed > 0 && usage.cpu_core_nanoseconds >= previous.cpu_core_nanoseconds {
            let used = (usage.cpu_core_nanoseconds - previous.cpu_core_nanoseconds) as f64;
            usage.cpu_nano_cores = Some((used / elapsed as f64 * 1e9) as u64);
        }
    }
    usage
}

fn time(nanos: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn insert(map: &mut serde_json::Map<String, Value>, key: &str, value: Option<u64>) {
    if let Some(value) = value {
        map.insert(key.to_string(), json!(value));
    }
}

fn cpu_json(timestamp: i64, nano_cores: Option<u64>, core_ns: Option<u64>) -> Value {
    let mut cpu = serde_json::Map::new();
    cpu.insert("time".into(), json!(time(timestamp)));
    insert(&mut cpu, "usageNanoCores", nano_cores);
    insert(&mut cpu, "usageCoreNanoSeconds", core_ns);
    Value::Object(cpu)
}

#[allow(clippy::too_many_arguments)]
fn memory_json(
    timestamp: i64,
    available: Option<u64>,
    usage: Option<u64>,
    working_set: Option<u64>,
    rss: Option<u64>,
    faults: Option<u64>,
    major: Option<u64>,
) -> Value {
    let mut memory = serde_json::Map::new();
    memory.insert("time".into(), json!(time(timestamp)));
    insert(&mut memory, "availableBytes", available);
    insert(&mut memory, "usageBytes", usage);
    insert(&mut memory, "workingSetBytes", working_set);
    insert(&mut memory, "rssBytes", rss);
    insert(&mut memory, "pageFaults", faults);
    insert(&mut memory, "majorPageFaults", major);
    Value::Object(memory)
}

fn sum(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    values.fold(None, |total, v| match (total, v) {
        (None, v) => v,
        (Some(t), Some(v)) => Some(t + v),
        (t, None) => t,
    })
}

/// The Summary (`stats/v1alpha1`) of the node and its pods; a pod's start
/// time is its status' when `pods` knows it.
pub fn summary(node_name: &str, snapshot: &Snapshot, pods: &[Pod]) -> Value {
    let node = &snapshot.node;
    let mut by_pod: BTreeMap<(&str, &str, &str), Vec<&ContainerUsage>> = BTreeMap::new();
    for c in &snapshot.containers {
        by_pod
            .entry((&c.namespace, &c.pod, &c.pod_uid))
            .or_default()
            .push(c);
    }
    let pod_stats: Vec<Value> = by_pod
        .into_iter()
        .map(|((namespace, name, uid), containers)| {
            let status_start = pods
                .iter()
                .find(|p| {
                    p.metadata.namespace.as_deref() == Some(namespace)
                        && p.metadata.name.as_deref() == Some(name)
                })
                .and_then(|p| p.status.as_ref()?.start_time.as_ref())
                .map(|t| t.0.to_string());
            let earliest = containers.iter().map(|c| c.start_time).min().unwrap_or(0);
            let latest = containers.iter().map(|c| c.timestamp).max().unwrap_or(0);
            let container_stats: Vec<Value> = containers
                .iter()
                .map(|c| {
                    json!({
                        "name": c.container,
                        "startTime": time(c.start_time),
                        "cpu": cpu_json(c.timestamp, c.cpu_nano_cores, c.cpu_core_nanoseconds),
                        "memory": memory_json(c.timestamp, c.memory_available, c.memory_usage,
                            c.memory_working_set, c.memory_rss, c.page_faults, c.major_page_faults),
                    })
                })
                .collect();
            json!({
                "podRef": {"name": name, "namespace": namespace, "uid": uid},
                "startTime": status_start.unwrap_or_else(|| time(earliest)),
                "containers": container_stats,
                "cpu": cpu_json(
                    latest,
                    sum(containers.iter().map(|c| c.cpu_nano_cores)),
                    sum(containers.iter().map(|c| c.cpu_core_nanoseconds)),
                ),
                "memory": memory_json(
                    latest,
                    None,
                    sum(containers.iter().map(|c| c.memory_usage)),
                    sum(containers.iter().map(|c| c.memory_working_set)),
                    sum(containers.iter().map(|c| c.memory_rss)),
                    sum(containers.iter().map(|c| c.page_faults)),
                    sum(containers.iter().map(|c| c.major_page_faults)),
                ),
            })
        })
        .collect();
    json!({
        "node": {
            "nodeName": node_name,
            "systemContainers": [],
            "startTime": time(node.boot_time.saturating_mul(1_000_000_000)),
            "cpu": cpu_json(node.timestamp, node.cpu_nano_cores, Some(node.cpu_core_nanoseconds)),
            "memory": memory_json(
                node.timestamp,
                Some(node.memory_total.saturating_sub(node.memory_working_set)),
                Some(node.memory_usage),
                Some(node.memory_working_set),
                node.memory_rss,
                node.page_faults,
                node.major_page_faults,
            ),
        },
        "pods": pod_stats,
    })
}

/// A Prometheus label value, escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} [STABLE] {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `/metrics/resource`: upstream's resource metrics, with the time of each
/// reading in milliseconds.
pub fn resource_metrics(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let ms = |nanos: i64| nanos / 1_000_000;
    let containers = &snapshot.containers;
    let label = |c: &ContainerUsage| {
        format!(
            "container=\"{}\",namespace=\"{}\",pod=\"{}\"",
            escape(&c.container),
            escape(&c.namespace),
            escape(&c.pod)
        )
    };
    header(
        &mut out,
        "container_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the container in core-seconds",
    );
    for c in containers {
        if let Some(ns) = c.cpu_core_nanoseconds {
            let _ = writeln!(
                out,
                "container_cpu_usage_seconds_total{{{}}} {} {}",
                label(c),
                ns as f64 / 1e9,
                ms(c.timestamp)
            );
        }
    }
    header(
        &mut out,
        "container_memory_working_set_bytes",
        "gauge",
        "Current working set of the container in bytes",
    );
    for c in containers {
        if let Some(bytes) = c.memory_working_set {
            let _ = writeln!(
                out,
                "container_memory_working_set_bytes{{{}}} {bytes} {}",
                label(c),
                ms(c.timestamp)
            );
        }
    }
    header(
        &mut out,
        "container_start_time_seconds",
        "gauge",
        "Start time of the container since unix epoch in seconds",
    );
    for c in containers {
        let _ = writeln!(
            out,
            "container_start_time_seconds{{{}}} {} {}",
            label(c),
            c.start_time as f64 / 1e9,
            ms(c.start_time)
        );
    }
    let node = &snapshot.node;
    header(
        &mut out,
        "node_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the node in core-seconds",
    );
    let _ = writeln!(
        out,
        "node_cpu_usage_seconds_total {} {}",
        node.cpu_core_nanoseconds as f64 / 1e9,
        ms(node.timestamp)
    );
    header(
        &mut out,
        "node_memory_working_set_bytes",
        "gauge",
        "Current working set of the node in bytes",
    );
    let _ = writeln!(
        out,
        "node_memory_working_set_bytes {} {}",
        node.memory_working_set,
        ms(node.timestamp)
    );
    // Per pod: cpu core-nanoseconds, working set bytes, latest reading.
    type PodTotals = (Option<u64>, Option<u64>, i64);
    let mut pods: BTreeMap<(&str, &str), PodTotals> = BTreeMap::new();
    for c in containers {
        let entry = pods.entry((&c.namespace, &c.pod)).or_default();
        entry.0 = sum([entry.0, c.cpu_core_nanoseconds].into_iter());
        entry.1 = sum([entry.1, c.memory_working_set].into_iter());
        entry.2 = entry.2.max(c.timestamp);
    }
    header(
        &mut out,
        "pod_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the pod in core-seconds",
    );
    for ((namespace, pod), (cpu, _, at)) in &pods {
        if let Some(cpu) = cpu {
            let _ = writeln!(
                out,
                "pod_cpu_usage_seconds_total{{namespace=\"{}\",pod=\"{}\"}} {} {}",
                escape(namespace),
                escape(pod),
                *cpu as f64 / 1e9,
                ms(*at)
            );
        }
    }
    header(
        &mut out,
        "pod_memory_working_set_bytes",
        "gauge",
        "Current working set of the pod in bytes",
    );
    for ((namespace, pod), (_, memory, at)) in &pods {
        if let Some(memory) = memory {
            let _ = writeln!(
                out,
                "pod_memory_working_set_bytes{{namespace=\"{}\",pod=\"{}\"}} {memory} {}",
                escape(namespace),
                escape(pod),
                ms(*at)
            );
        }
    }
    header(
        &mut out,
        "resource_scrape_error",
        "gauge",
        "1 if there was an error while getting container metrics, 0 otherwise",
    );
    let _ = writeln!(
        out,
        "resource_scrape_error {}",
        u8::from(snapshot.scrape_error)
    );
    out
}

/// What `/metrics` reports about the kubelet itself.
#[derive(Clone, Debug, Default)]
pub struct KubeletMetrics {
    pub node_name: String,
    pub running_pods: usize,
    /// Containers by CRI state name (`running`, `exited`, `created`, `unknown`).
    pub containers: BTreeMap<&'static str, usize>,
    /// Requests served, by method and first path segment.
    pub requests: BTreeMap<(String, String), u64>,
    /// Process start, seconds since the epoch.
    pub start_time: f64,
}

/// The name upstream's `kubelet_running_containers` uses for a CRI state.
pub fn state_name(state: i32) -> &'static str {
    match api::ContainerState::try_from(state) {
        Ok(api::ContainerState::ContainerCreated) => "created",
        Ok(api::ContainerState::ContainerRunning) => "running",
        Ok(api::ContainerState::ContainerExited) => "exited",
        _ => "unknown",
    }
}

/// `/metrics`: the kubelet's own metrics, Prometheus text.
pub fn kubelet_metrics(metrics: &KubeletMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP kubelet_node_name [ALPHA] The node's name. The count is always 1."
    );
    let _ = writeln!(out, "# TYPE kubelet_node_name gauge");
    let _ = writeln!(
        out,
        "kubelet_node_name{{node=\"{}\"}} 1",
        escape(&metrics.node_name)
    );
    let _ = writeln!(
        out,
        "# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox"
    );
    let _ = writeln!(out, "# TYPE kubelet_running_pods gauge");
    let _ = writeln!(out, "kubelet_running_pods {}", metrics.running_pods);
    let _ = writeln!(
        out,
        "# HELP kubelet_running_containers [ALPHA] Number of containers currently running"
    );
    let _ = writeln!(out, "# TYPE kubelet_running_containers gauge");
    for (state, count) in &metrics.containers {
        let _ = writeln!(
            out,
            "kubelet_running_containers{{container_state=\"{state}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP kubelet_http_requests_total [ALPHA] Number of the http requests received since the server started"
    );
    let _ = writeln!(out, "# TYPE kubelet_http_requests_total counter");
    for ((method, path), count) in &metrics.requests {
        let _ = writeln!(
            out,
            "kubelet_http_requests_total{{method=\"{}\",path=\"{}\",server_type=\"readwrite\"}} {count}",
            escape(method),
            escape(path)
        );
    }
    let _ = writeln!(
        out,
        "# HELP process_start_time_seconds [ALPHA] Start time of the process since unix epoch in seconds."
    );
    let _ = writeln!(out, "# TYPE process_start_time_seconds gauge");
    let _ = writeln!(out, "process_start_time_seconds {}", metrics.start_time);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        let container = |name: &str, cpu: u64, memory: u64| ContainerUsage {
            namespace: "default".into(),
            pod: "web".into(),
            pod_uid: "uid-1".into(),
            container: name.into(),
            start_time: 1_700_000_000_000_000_000,
            timestamp: 1_700_000_100_000_000_000,
            cpu_core_nanoseconds: Some(cpu),
            cpu_nano_cores: Some(1000),
            memory_working_set: Some(memory),
            memory_usage: Some(memory * 2),
            ..Default::default()
        };
        Snapshot {
            node: NodeUsage {
                timestamp: 1_700_000_100_000_000_000,
                boot_time: 1_690_000_000,
                cpu_core_nanoseconds: 5_000_000_000,
                memory_total: 1000,
                memory_usage: 600,
                memory_working_set: 400,
                ..Default::default()
            },
            containers: vec![
                container("app", 1_500_000_000, 100),
                container("side", 500_000_000, 50),
            ],
            scrape_error: false,
        }
    }

    #[test]
    fn resource_metrics_sum_pods() {
        let text = resource_metrics(&sample());
        assert!(text.contains(
            "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\",pod=\"web\"} 1.5 1700000100000\n"
        ));
        assert!(text.contains(
            "pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} 2 1700000100000\n"
        ));
        assert!(text.contains(
            "pod_memory_working_set_bytes{namespace=\"default\",pod=\"web\"} 150 1700000100000\n"
        ));
        assert!(text.contains("node_cpu_usage_seconds_total 5 1700000100000\n"));
        assert!(text.contains("node_memory_working_set_bytes 400 "));
        assert!(text.contains("resource_scrape_error 0\n"));
        assert!(text.contains("# TYPE container_memory_working_set_bytes gauge\n"));
    }

    #[test]
    fn summary_shape() {
        let summary = summary("node-1", &sample(), &[]);
        assert_eq!(summary["node"]["nodeName"], "node-1");
        assert_eq!(summary["node"]["memory"]["availableBytes"], 600);
        assert_eq!(
            summary["node"]["cpu"]["usageCoreNanoSeconds"],
            5_000_000_000u64
        );
        let pod = &summary["pods"][0];
        assert_eq!(
            pod["podRef"],
            json!({"name": "web", "namespace": "default", "uid": "uid-1"})
        );
        assert_eq!(pod["containers"].as_array().unwrap().len(), 2);
        assert_eq!(pod["cpu"]["usageNanoCores"], 2000);
        assert_eq!(pod["memory"]["workingSetBytes"], 150);
        assert_eq!(pod["startTime"], "2023-11-14T22:13:20Z");
    }

    #[test]
    fn proc_stat() {
        let text = "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3\nbtime 1690000000\n";
        let (cpu, boot) = parse_proc_stat(text);
        assert_eq!(cpu, (100 + 5 + 50 + 1 + 2 + 3) * 10_000_000);
        assert_eq!(boot, 1_690_000_000);
        let meminfo = key_values("MemTotal:  2048 kB\nMemAvailable: 1024 kB\n");
        assert_eq!(meminfo["MemTotal"], 2048 * 1024);
    }

    #[test]
    fn kubelet_metrics_text() {
        let metrics = KubeletMetrics {
            node_name: "n".into(),
            running_pods: 2,
            containers: [("running", 3)].into(),
            requests: [(("GET".to_string(), "healthz".to_string()), 4)].into(),
            start_time: 12.0,
        };
        let text = kubelet_metrics(&metrics);
        assert!(text.contains("kubelet_running_pods 2\n"));
        assert!(text.contains("kubelet_running_containers{container_state=\"running\"} 3\n"));
        assert!(text.contains("kubelet_http_requests_total{method=\"GET\",path=\"healthz\",server_type=\"readwrite\"} 4\n"));
    }
}

//! `rkube bench-pods`: pod start-up on one real node. A fresh `rkube server`
//! with its kubelet and its own containerd, inside a network namespace the
//! benchmark creates (so its bridge, addresses and iptables rules stay
//! there); the busybox image imported at start; then N pods created at once.
//! The figures: per pod, the time from its create request until a watch sees
//! it Ready (p50, p99, max), and the server's resident memory with no pod and
//! with the N pods running (containerd and the shims are separate processes,
//! reported apart).

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use serde_json::json;

use super::client::Client;
use super::podwatch;
use super::server::ServerProcess;
use crate::cli::BenchPodsArgs;

const NAMESPACE: &str = "default";
const NODE: &str = "bench-node";
const IMAGE: &str = "rkube.local/busybox:bench";
const NODE_DEADLINE: Duration = Duration::from_secs(120);
const PODS_DEADLINE: Duration = Duration::from_secs(600);
const MIB: f64 = 1024.0 * 1024.0;
/// Set in the re-executed benchmark that runs inside the namespace.
const INSIDE: &str = "RKUBE_BENCH_NETNS";

/// Creates the network namespace, runs the benchmark inside it, removes it.
pub async fn run(args: BenchPodsArgs) -> Result<()> {
    ensure!(
        args.pods > 0 && args.pods <= 110,
        "--pods must be 1..=110 (one node)"
    );
    if std::env::var_os(INSIDE).is_some() {
        return inside(args).await;
    }
    let netns = format!("rkbench-{}", std::process::id());
    let status = std::process::Command::new("ip")
        .args(["netns", "add", &netns])
        .status()
        .context("ip netns add")?;
    ensure!(
        status.success(),
        "ip netns add {netns} failed (run as root)"
    );
    let _ = std::process::Command::new("ip")
        .args(["-n", &netns, "link", "set", "lo", "up"])
        .status();
    let binary = std::env::current_exe().context("finding this binary")?;
    let status = tokio::process::Command::new("nsenter")
        .arg(format!("--net=/run/netns/{netns}"))
        .arg("--")
        .arg(&binary)
        .args(["bench-pods", "--pods", &args.pods.to_string()])
        .env(INSIDE, &netns)
        .status()
        .await
        .context("running the benchmark in its network namespace")?;
    let _ = std::process::Command::new("ip")
        .args(["netns", "del", &netns])
        .status();
    ensure!(status.success(), "the benchmark failed ({status})");
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory of the processes whose command line contains `needle`.
fn resident_of(needle: &str) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmdline).contains(needle) {
            continue;
        }
        if let Ok(status) = std::fs::read_to_string(path.join("status")) {
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024;
        }
    }
    total
}

async fn node_ready(client: &Client) -> Result<bool> {
    let reply = client
        .request(http::Method::GET, &format!("/api/v1/nodes/{NODE}"), None)
        .await?;
    if reply.status != http::StatusCode::OK {
        return Ok(false);
    }
    let node: serde_json::Value = serde_json::from_slice(&reply.body)?;
    Ok(node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

fn pod(name: &str) -> Bytes {
    Bytes::from(
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{
                    "name": "main",
                    "image": IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sleep", "3600"],
                }],
            },
        })
        .to_string(),
    )
}

async fn inside(args: BenchPodsArgs) -> Result<()> {
    let data_dir = tempfile::Builder::new()
        .prefix("rkube-bench-pods-")
        .tempdir()
        .context("creating a temporary data directory")?;
    let images = data_dir.path().join("images");
    std::fs::create_dir_all(&images)?;
    std::fs::write(images.join("busybox.tar"), kubelet::images::busybox(IMAGE)?)?;
    let node_args: Vec<String> = [
        "--node-name",
        NODE,
        "--node-ip",
        "127.0.0.1",
        "--kubelet-port",
        "0",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    eprintln!("bench-pods: starting rkube server with its kubelet");
    let mut server = ServerProcess::start_node(&node_args, data_dir).await?;
    // containerd's command line names its configuration, the shims' its
    // socket: both under the node's directory.
    let node_dir = server.data_dir().join("agent").display().to_string();
    let data_path = server.data_dir().to_path_buf();
    let client = Arc::new(Client::connect(server.port, &server.tls_dir(), 2).await?);
    let started = Instant::now();
    while !node_ready(&client).await? {
        ensure!(
            started.elapsed() < NODE_DEADLINE,
            "the node is not Ready after {NODE_DEADLINE:?}"
        );
        server.check_running()?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The first pod's sandbox waits for the CNI configuration, written once
    // the node has its podCIDR; give it that time before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.settle().await?;
    let rss_idle = server.resident_bytes()?;
    let runtime_idle = resident_of(&node_dir);
    let (resource_version, _) = super::list::checked_list(&client, NAMESPACE, 0).await?;
    let watch_client = Arc::new(Client::connect(server.port, &server.tls_dir(), 1).await?);
    let (seen, watch) = podwatch::start(watch_client, NAMESPACE, &resource_version).await?;
    eprintln!("bench-pods: creating {} pods", args.pods);
    let mut created = std::collections::HashMap::new();
    let mut requests = Vec::new();
    for i in 0..args.pods {
        let name = format!("p{i:03}");
        let client = client.clone();
        requests.push(tokio::spawn(async move {
            let at = Instant::now();
            client
                .create(&format!("/api/v1/namespaces/{NAMESPACE}/pods"), pod(&name))
                .await
                .map(|()| (name, at))
        }));
    }
    for request in requests {
        let (name, at) = request.await??;
        created.insert(name, at);
    }
    let deadline = Instant::now() + PODS_DEADLINE;
    loop {
        let snapshot = seen.snapshot();
        let ready = snapshot.values().filter(|s| s.ready_at.is_some()).count();
        if ready >= args.pods {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{ready} of {} pods Ready after {PODS_DEADLINE:?}",
                args.pods
            );
        }
        server.check_running()?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let snapshot = seen.snapshot();
    let mut latencies: Vec<Duration> = created
        .iter()
        .filter_map(|(name, at)| {
            snapshot
                .get(name)
                .and_then(|s| s.ready_at)
                .map(|r| r.saturating_duration_since(*at))
        })
        .collect();
    latencies.sort();
    server.settle().await?;
    let rss_pods = server.resident_bytes()?;
    let runtime_pods = resident_of(&node_dir);
    watch.abort();
    let mut table = String::new();
    let _ = writeln!(table, "| measure | value |");
    let _ = writeln!(table, "|---|---|");
    let _ = writeln!(table, "| pods | {} on one node |", args.pods);
    for (label, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
        let _ = writeln!(
            table,
            "| create → Ready (watch), {label} | {:.2} s |",
            percentile(&latencies, p).as_secs_f64()
        );
    }
    let _ = writeln!(
        table,
        "| rkube server RSS, no pods | {:.1} MiB |",
        rss_idle as f64 / MIB
    );
    let _ = writeln!(
        table,
        "| rkube server RSS, {} pods running | {:.1} MiB |",
        args.pods,
        rss_pods as f64 / MIB
    );
    let _ = writeln!(
        table,
        "| containerd + shims RSS, no pods / {} pods | {:.1} / {:.1} MiB |",
        args.pods,
        runtime_idle as f64 / MIB,
        runtime_pods as f64 / MIB
    );
    std::io::stdout()
        .write_all(table.as_bytes())
        .context("writing the table")?;
    // Clean up: the pods first (their containers and sandboxes go through
    // the kubelet), then the server.
    eprintln!("bench-pods: deleting the pods");
    let _ = client
        .request(
            http::Method::DELETE,
            &format!("/api/v1/namespaces/{NAMESPACE}/pods"),
            None,
        )
        .await;
    let cleanup = Instant::now() + Duration::from_secs(120);
    while Instant::now() < cleanup {
        let body = client
            .get_ok(&format!("/api/v1/namespaces/{NAMESPACE}/pods"))
            .await?;
        let list: serde_json::Value = serde_json::from_slice(&body)?;
        if list["items"].as_array().is_none_or(|i| i.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(server);
    let _ = std::process::Command::new("pkill")
        .args(["-KILL", "-f", &node_dir])
        .status();
    clean_up(&data_path);
    Ok(())
}

/// Unmounts what the node left under its data directory (sandboxes not yet
/// removed when the server stopped), removes it and the node's cgroups.
fn clean_up(data_dir: &std::path::Path) {
    let prefix = data_dir.display().to_string();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = std::process::Command::new("umount")
            .args(["-l", point])
            .status();
    }
    let _ = std::fs::remove_dir_all(data_dir);
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
    {
        let root = hierarchy.path().join("rkube").join(NODE);
        let _ = std::process::Command::new("find")
            .arg(&root)
            .args(["-depth", "-type", "d", "-exec", "rmdir", "{}", ";"])
            .status();
    }
}

//! `rkube bench-scheduler`: scheduling throughput as upstream's scheduler_perf
//! measures it. A fresh `rkube apiserver` gets N nodes (Node objects with
//! capacity, as scheduler_perf creates them, no kubelets) and P pending pods;
//! then `rkube scheduler` starts as its own process and the pods it binds are
//! followed by a watch. The figure is pods bound per second after a warm-up
//! (the first 10 % of the bindings), plus the whole run's average; every pod
//! must be bound, and with anti-affinity no two on one node.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use serde_json::json;

use super::client::Client;
use super::creates::{create_many, namespace};
use super::podwatch;
use super::server::ServerProcess;
use crate::cli::BenchSchedulerArgs;

const NAMESPACE: &str = "bench-sched";
/// How long the scheduler may take for all the pods.
const DEADLINE: Duration = Duration::from_secs(900);
/// The share of the bindings counted as warm-up.
const WARM_UP: f64 = 0.1;
const ZONES: usize = 3;

/// One scenario's figures.
struct Outcome {
    name: String,
    nodes: usize,
    pods: usize,
    steady: f64,
    average: f64,
    total: Duration,
}

pub async fn run(args: BenchSchedulerArgs) -> Result<()> {
    ensure!(args.nodes > 0, "--nodes must be at least 1");
    let mut outcomes = Vec::new();
    if args.pods > 0 {
        outcomes.push(scenario(&args, "default plugins", args.pods, false).await?);
    }
    if args.anti_affinity_pods > 0 {
        ensure!(
            args.anti_affinity_pods <= args.nodes,
            "--anti-affinity-pods cannot exceed --nodes (one pod per node)"
        );
        outcomes.push(
            scenario(
                &args,
                "required pod anti-affinity (hostname)",
                args.anti_affinity_pods,
                true,
            )
            .await?,
        );
    }
    let mut out = String::new();
    writeln!(out, "| scenario | nodes | pods | pods/s after warm-up (target ≥ 1,000 basic) | pods/s whole run | first to last binding |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for o in &outcomes {
        writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} s |",
            o.name,
            o.nodes,
            o.pods,
            o.steady,
            o.average,
            o.total.as_secs_f64()
        )?;
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("writing the report")?;
    Ok(())
}

async fn scenario(
    args: &BenchSchedulerArgs,
    name: &str,
    pods: usize,
    anti_affinity: bool,
) -> Result<Outcome> {
    eprintln!("bench-scheduler: {name}: starting rkube apiserver");
    let server = ServerProcess::start("apiserver", &[]).await?;
    let client = Arc::new(Client::connect(server.port, &server.tls_dir(), 1).await?);
    eprintln!("bench-scheduler: {name}: {} nodes", args.nodes);
    create_many(&client, "/api/v1/nodes", args.nodes, args.clients, node).await?;
    namespace(&client, NAMESPACE).await?;
    eprintln!("bench-scheduler: {name}: {pods} pending pods");
    let path = format!("/api/v1/namespaces/{NAMESPACE}/pods");
    create_many(&client, &path, pods, args.clients, move |i| {
        pod(i, anti_affinity)
    })
    .await?;
    let (resource_version, _) = super::list::checked_list(&client, NAMESPACE, pods).await?;
    let watch_client = Arc::new(Client::connect(server.port, &server.tls_dir(), 1).await?);
    let (seen, watch) = podwatch::start(watch_client, NAMESPACE, &resource_version).await?;

    eprintln!("bench-scheduler: {name}: starting rkube scheduler");
    let mut scheduler = Scheduler::start(&server)?;
    let started = Instant::now();
    loop {
        let (bound, _) = seen.counts();
        if bound >= pods {
            break;
        }
        if let Some(status) = scheduler.0.try_wait().context("checking the scheduler")? {
            anyhow::bail!("the scheduler exited with {status} after {bound} of {pods} bindings");
        }
        ensure!(
            started.elapsed() < DEADLINE,
            "{bound} of {pods} pods bound after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(scheduler);
    watch.abort();
    let snapshot = seen.snapshot();
    let mut times: Vec<Instant> = snapshot.values().filter_map(|p| p.bound_at).collect();
    times.sort();
    ensure!(times.len() == pods, "{} of {pods} pods bound", times.len());
    if anti_affinity {
        let nodes: HashSet<&str> = snapshot
            .values()
            .filter_map(|p| p.node.as_deref())
            .collect();
        ensure!(
            nodes.len() == pods,
            "anti-affinity broken: {pods} pods on {} nodes",
            nodes.len()
        );
    }
    let first = times[0];
    let last = times[pods - 1];
    let warm = times[((pods as f64 * WARM_UP) as usize).min(pods - 1)];
    let counted = pods - ((pods as f64 * WARM_UP) as usize).min(pods - 1) - 1;
    let rate = |count: usize, from: Instant| {
        let seconds = last.saturating_duration_since(from).as_secs_f64();
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            f64::INFINITY
        }
    };
    Ok(Outcome {
        name: name.to_string(),
        nodes: args.nodes,
        pods,
        steady: rate(counted, warm),
        average: rate(pods - 1, first),
        total: last.saturating_duration_since(first),
    })
}

/// A node as scheduler_perf's default: 4 cpu, 32 GiB, 110 pods, Ready, spread
/// over three zones.
fn node(index: usize) -> Bytes {
    let name = format!("node-{index:05}");
    let body = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": format!("zone-{}", index % ZONES),
            },
        },
        "status": {
            "capacity": {"cpu": "4", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    });
    Bytes::from(body.to_string())
}

/// A pod as scheduler_perf's pod-default (100m cpu, 500Mi), or with required
/// anti-affinity to its own kind by hostname.
fn pod(index: usize, anti_affinity: bool) -> Bytes {
    let mut body = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": format!("pod-{index:06}"), "labels": {"color": "green"}},
        "spec": {"containers": [{
            "name": "pause",
            "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}},
        }]},
    });
    if anti_affinity {
        body["spec"]["affinity"] = json!({"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"color": "green"}},
                "topologyKey": "kubernetes.io/hostname",
            }],
        }});
    }
    Bytes::from(body.to_string())
}

/// `rkube scheduler` against the benchmark's API server, stopped on drop.
struct Scheduler(Child);

impl Scheduler {
    fn start(server: &ServerProcess) -> Result<Scheduler> {
        let binary = std::env::current_exe().context("finding this binary")?;
        let child = Command::new(binary)
            .arg("scheduler")
            .arg("--kubeconfig")
            .arg(server.kubeconfig())
            .env("RKUBE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting rkube scheduler")?;
        Ok(Scheduler(child))
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

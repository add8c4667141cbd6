//! `rkube bench-deployment`: the whole control plane end to end. A fresh
//! `rkube server --hollow-nodes N` (the API server, the controllers, the
//! scheduler and N hollow kubelets in one process); once every node is Ready,
//! `kubectl apply` of a Deployment of R replicas; the figure is the time from
//! the apply until a watch has seen every pod Running, with the server's
//! resident memory sampled all along.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{bail, ensure, Context, Result};
use serde::Deserialize;

use super::client::Client;
use super::podwatch;
use super::server::ServerProcess;
use crate::cli::BenchDeploymentArgs;

const NAMESPACE: &str = "default";
/// How long the nodes may take to register, and the pods to run.
const NODES_DEADLINE: Duration = Duration::from_secs(300);
const PODS_DEADLINE: Duration = Duration::from_secs(1800);
const MIB: f64 = 1024.0 * 1024.0;

pub async fn run(args: BenchDeploymentArgs) -> Result<()> {
    ensure!(args.nodes > 0, "--nodes must be at least 1");
    ensure!(args.replicas > 0, "--replicas must be at least 1");
    eprintln!(
        "bench-deployment: starting rkube server --hollow-nodes {}",
        args.nodes
    );
    let mut server =
        ServerProcess::start("server", &["--hollow-nodes".into(), args.nodes.to_string()]).await?;
    let client = Arc::new(Client::connect(server.port, &server.tls_dir(), 1).await?);
    let started = Instant::now();
    loop {
        let ready = ready_nodes(&client).await?;
        if ready >= args.nodes {
            break;
        }
        ensure!(
            started.elapsed() < NODES_DEADLINE,
            "{ready} of {} nodes Ready after {NODES_DEADLINE:?}",
            args.nodes
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "bench-deployment: {} nodes Ready after {:.1} s",
        args.nodes,
        started.elapsed().as_secs_f64()
    );
    server.settle().await?;
    let rss_before = server.resident_bytes()?;
    let (resource_version, _) = super::list::checked_list(&client, NAMESPACE, 0).await?;
    let watch_client = Arc::new(Client::connect(server.port, &server.tls_dir(), 1).await?);
    let (seen, watch) = podwatch::start(watch_client, NAMESPACE, &resource_version).await?;

    let manifest = tempfile::NamedTempFile::new().context("a temporary manifest")?;
    std::fs::write(manifest.path(), deployment(args.replicas)).context("writing the manifest")?;
    eprintln!(
        "bench-deployment: kubectl apply of a Deployment of {} replicas",
        args.replicas
    );
    let applied = Instant::now();
    let output = tokio::process::Command::new(&args.kubectl)
        .arg("apply")
        .arg("-f")
        .arg(manifest.path())
        .env("KUBECONFIG", server.kubeconfig())
        .output()
        .await
        .with_context(|| format!("running {}", args.kubectl))?;
    if !output.status.success() {
        bail!(
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut peak = rss_before;
    let mut last_report = Instant::now();
    let running_after = loop {
        peak = peak.max(server.resident_bytes()?);
        let (bound, running) = seen.counts();
        if running >= args.replicas {
            break applied.elapsed();
        }
        server.check_running()?;
        ensure!(
            applied.elapsed() < PODS_DEADLINE,
            "{running} of {} pods Running ({bound} bound) after {PODS_DEADLINE:?}",
            args.replicas
        );
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "bench-deployment: {:.0} s: {bound} bound, {running} running",
                applied.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    watch.abort();
    let snapshot = seen.snapshot();
    let mut bound: Vec<Duration> = snapshot
        .values()
        .filter_map(|p| p.bound_at.map(|t| t.saturating_duration_since(applied)))
        .collect();
    bound.sort();
    let all_bound = bound.last().copied().unwrap_or_default();
    server.settle().await?;
    let rss_after = server.resident_bytes()?;
    let mut out = String::new();
    writeln!(out, "| measure | value |")?;
    writeln!(out, "|---|---|")?;
    writeln!(
        out,
        "| `kubectl apply` of a Deployment of {} replicas on {} hollow nodes until every pod is Running | {:.1} s |",
        super::report::thousands(args.replicas),
        super::report::thousands(args.nodes),
        running_after.as_secs_f64()
    )?;
    writeln!(
        out,
        "| … until every pod is bound to a node | {:.1} s |",
        all_bound.as_secs_f64()
    )?;
    writeln!(
        out,
        "| `rkube server` resident memory: nodes Ready, before the apply / peak during the run / idle after | {:.0} / {:.0} / {:.0} MiB |",
        rss_before as f64 / MIB,
        peak as f64 / MIB,
        rss_after as f64 / MIB
    )?;
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("writing the report")?;
    Ok(())
}

/// Nodes whose Ready condition is True.
async fn ready_nodes(client: &Client) -> Result<usize> {
    #[derive(Deserialize)]
    struct NodeList {
        items: Vec<NodeView>,
    }
    #[derive(Deserialize)]
    struct NodeView {
        #[serde(default)]
        status: Option<NodeStatus>,
    }
    #[derive(Deserialize)]
    struct NodeStatus {
        #[serde(default)]
        conditions: Vec<Condition>,
    }
    #[derive(Deserialize)]
    struct Condition {
        #[serde(rename = "type")]
        type_: String,
        status: String,
    }
    let body = client.get_ok("/api/v1/nodes").await?;
    let list: NodeList = serde_json::from_slice(&body).context("the node list")?;
    Ok(list
        .items
        .iter()
        .filter(|n| {
            n.status.as_ref().is_some_and(|s| {
                s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
            })
        })
        .count())
}

fn deployment(replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: bench
  namespace: {NAMESPACE}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: bench
  template:
    metadata:
      labels:
        app: bench
    spec:
      containers:
      - name: main
        image: registry.k8s.io/pause:3.10
        resources:
          requests:
            cpu: 10m
            memory: 16Mi
"
    )
}

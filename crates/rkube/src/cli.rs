//! The command line: every flag of every subcommand, read in this one module.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rkube",
    version,
    about = "A Kubernetes-compatible orchestrator in one binary"
)]
pub struct Cli {
    /// Log filter, as RUST_LOG (e.g. "info", "apiserver=debug").
    #[arg(long, global = true, env = "RKUBE_LOG", default_value = "info")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a whole cluster in one process: the control plane on the embedded store
    /// (or on etcd with --etcd-endpoints).
    Server(ControlPlaneArgs),
    /// Run the API server alone.
    Apiserver(ControlPlaneArgs),
    /// Measure a real `rkube server` (start, memory, creates, LIST, watch fan-out)
    /// and print a Markdown table.
    Bench(BenchArgs),
    /// Measure scheduling throughput as upstream's scheduler_perf: a fresh API
    /// server with N nodes and P pending pods, then `rkube scheduler`.
    BenchScheduler(BenchSchedulerArgs),
    /// Measure the control plane end to end: `kubectl apply` of a large
    /// Deployment on hollow nodes until every pod runs, and the memory it takes.
    BenchDeployment(BenchDeploymentArgs),
    /// Run the scheduler alone against an API server.
    Scheduler(SchedulerArgs),
    /// Register fake nodes that keep their leases and run bound pods without
    /// containers (like kubemark/KWOK), against any API server.
    HollowNodes(HollowNodesArgs),
}

#[derive(Debug, Args)]
pub struct ControlPlaneArgs {
    /// Where the store, certificates and kubeconfig live [default: /var/lib/rkube
    /// as root, ~/.rkube otherwise].
    #[arg(long, env = "RKUBE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTPS port of the API server (0 picks a free port).
    #[arg(long, default_value_t = 6443)]
    pub secure_port: u16,
    /// Address the API server listens on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_address: IpAddr,
    /// Use this etcd cluster (comma-separated client URLs) instead of the embedded store.
    #[arg(long, value_delimiter = ',')]
    pub etcd_endpoints: Vec<String>,
    /// Extra names or addresses for the serving certificate.
    #[arg(long, value_delimiter = ',')]
    pub tls_san: Vec<String>,
    /// Service IP range.
    #[arg(long, default_value = "10.43.0.0/16")]
    pub service_cidr: String,
    /// Seconds between compactions of the store's history (0 = never).
    #[arg(long, default_value_t = 300)]
    pub compaction_interval_seconds: u64,
    /// Seconds to let requests in flight finish on SIGTERM.
    #[arg(long, default_value_t = 10)]
    pub shutdown_grace_seconds: u64,
    /// Hollow nodes to run in process (`rkube server` only).
    #[arg(long, default_value_t = 0)]
    pub hollow_nodes: u32,
}

#[derive(Debug, Args)]
pub struct HollowNodesArgs {
    /// How many nodes.
    #[arg(long)]
    pub count: u32,
    /// Nodes are named PREFIX-0 ... PREFIX-(N-1).
    #[arg(long, default_value = "hollow-node")]
    pub name_prefix: String,
    /// The kubeconfig to use [default: $KUBECONFIG, ~/.kube/config].
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The API server URL (overrides the kubeconfig's).
    #[arg(long)]
    pub server: Option<String>,
    /// CA bundle of the API server's certificate (with --server).
    #[arg(long)]
    pub certificate_authority: Option<PathBuf>,
    /// Client certificate and key (with --server).
    #[arg(long)]
    pub client_certificate: Option<PathBuf>,
    #[arg(long)]
    pub client_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// The kubeconfig to reach the API server with.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// A KubeSchedulerConfiguration file (profiles, plugins, score weights).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which subcommand the measured process runs: `server` (the API server with
    /// the controllers and the scheduler), `apiserver` (the API server alone),
    /// or both in turn.
    #[arg(long, value_enum, default_value_t = BenchCommand::Server)]
    pub command: BenchCommand,
    /// Which store the measured server runs on.
    #[arg(long, value_enum, default_value_t = BenchStore::Both)]
    pub store: BenchStore,
    /// Pods created in the create-throughput scenario.
    #[arg(long, default_value_t = 20_000)]
    pub creates: usize,
    /// Concurrent clients writing pods.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// HTTP/2 connections the writing clients share.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Pods in the namespace that is LISTed.
    #[arg(long, default_value_t = 10_000)]
    pub list_pods: usize,
    /// Timed LIST requests.
    #[arg(long, default_value_t = 20)]
    pub list_runs: usize,
    /// Concurrent watchers of one namespace's pods.
    #[arg(long, default_value_t = 1_000)]
    pub watchers: usize,
    /// Pod creates in the burst every watcher must receive.
    #[arg(long, default_value_t = 1_000)]
    pub watch_writes: usize,
    /// The etcd binary [default: $RKUBE_ETCD_BIN, /usr/bin/etcd, or etcd on the PATH].
    #[arg(long)]
    pub etcd_binary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchSchedulerArgs {
    /// Nodes (Node objects with capacity, no kubelets).
    #[arg(long, default_value_t = 5_000)]
    pub nodes: usize,
    /// Pods of the default-plugins scenario (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub pods: usize,
    /// Pods of the required-anti-affinity scenario, at most one per node (0 skips it).
    #[arg(long, default_value_t = 2_000)]
    pub anti_affinity_pods: usize,
    /// Concurrent clients creating the nodes and pods.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
}

#[derive(Debug, Args)]
pub struct BenchDeploymentArgs {
    /// Hollow nodes run by the measured `rkube server`.
    #[arg(long, default_value_t = 1_000)]
    pub nodes: usize,
    /// Replicas of the Deployment.
    #[arg(long, default_value_t = 10_000)]
    pub replicas: usize,
    /// The kubectl that applies the Deployment.
    #[arg(long, default_value = "kubectl")]
    pub kubectl: String,
}

/// The subcommand of the measured process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchCommand {
    /// `rkube server`.
    Server,
    /// `rkube apiserver`.
    Apiserver,
    /// `rkube server`, then `rkube apiserver`.
    Both,
}

/// The store under the measured server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchStore {
    /// The embedded SQLite store.
    Embedded,
    /// A single-member etcd on loopback, started for the run.
    Etcd,
    /// Embedded, then etcd.
    Both,
}

//! The command line: every flag of every subcommand, read in this one module.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Measure pod start-up on one real node (rkube server with its kubelet and
    /// containerd, in a network namespace of its own): create → Ready latency
    /// of N pods and the server's memory with 0 and N pods.
    BenchPods(BenchPodsArgs),
    /// Run the scheduler alone against an API server.
    Scheduler(SchedulerArgs),
    /// Run every controller alone against an API server (kube-controller-manager).
    ControllerManager(ControllerManagerArgs),
    /// Register fake nodes that keep their leases and run bound pods without
    /// containers (like kubemark/KWOK), against any API server.
    HollowNodes(HollowNodesArgs),
    /// Build image tarballs, import them into the node's container runtime,
    /// and list the images it holds (no registry needed).
    Images(crate::images::ImagesArgs),
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
    /// How long a node may go without renewing its Lease or posting status
    /// before the node lifecycle controller marks it Unknown (`rkube server`).
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    pub node_monitor_grace_period: Duration,
    /// The pod IP range each node's podCIDR is cut from by the node IPAM
    /// controller (empty: podCIDRs are not assigned).
    #[arg(long, default_value = "10.42.0.0/16")]
    pub cluster_cidr: String,
    /// The prefix length of each node's podCIDR [default: 24 for IPv4, 64 for IPv6].
    #[arg(long)]
    pub node_cidr_mask_size: Option<u8>,
    #[command(flatten)]
    pub leader_election: LeaderElectionArgs,
    #[command(flatten)]
    pub kubelet: KubeletArgs,
}

/// The kubelet `rkube server` runs for its own machine (and `rkube agent`).
#[derive(Debug, Args, Clone)]
pub struct KubeletArgs {
    /// Do not run a kubelet next to the control plane (`rkube server` only).
    #[arg(long)]
    pub disable_agent: bool,
    /// The Node's name [default: the host name].
    #[arg(long, env = "RKUBE_NODE_NAME")]
    pub node_name: Option<String>,
    /// The Node's InternalIP, where the API server reaches the kubelet
    /// [default: the address of the interface of the default route].
    #[arg(long)]
    pub node_ip: Option<IpAddr>,
    /// A running CRI runtime's unix socket; without it rkube runs its own containerd.
    #[arg(long)]
    pub container_runtime_endpoint: Option<PathBuf>,
    /// The kubelet's HTTPS port (0 picks a free one).
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,
    /// Pods this node accepts (`status.capacity.pods`).
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
}

/// Leader election of a control-plane component (upstream's flags).
#[derive(Debug, Args, Clone)]
pub struct LeaderElectionArgs {
    /// Run only while holding the component's Lease in kube-system, so that
    /// several copies can run for availability [default: true; for `rkube
    /// server`, true on etcd and false on the embedded store, which no other
    /// server can share].
    #[arg(long, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub leader_elect: Option<bool>,
    /// How long non-leaders wait after the last renewal they saw before taking over.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub leader_elect_lease_duration: Duration,
    /// How long the leader keeps trying to renew before it stops leading.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub leader_elect_renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub leader_elect_retry_period: Duration,
    /// The Lease's name [default: kube-controller-manager, kube-scheduler]
    /// (a second scheduler with its own profiles needs its own).
    #[arg(long)]
    pub leader_elect_resource_name: Option<String>,
    /// The Lease's namespace.
    #[arg(long, default_value = "kube-system")]
    pub leader_elect_resource_namespace: String,
}

#[derive(Debug, Args)]
pub struct ControllerManagerArgs {
    /// The kubeconfig to reach the API server with.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// The cluster CA (PEM) published as kube-root-ca.crt [default: the
    /// kubeconfig's certificate authority].
    #[arg(long)]
    pub root_ca_file: Option<PathBuf>,
    /// How long a node may go without renewing its Lease or posting status
    /// before it is marked Unknown.
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    pub node_monitor_grace_period: Duration,
    /// The pod IP range each node's podCIDR is cut from by the node IPAM
    /// controller (empty: podCIDRs are not assigned).
    #[arg(long, default_value = "10.42.0.0/16")]
    pub cluster_cidr: String,
    /// The prefix length of each node's podCIDR [default: 24 for IPv4, 64 for IPv6].
    #[arg(long)]
    pub node_cidr_mask_size: Option<u8>,
    #[command(flatten)]
    pub leader_election: LeaderElectionArgs,
}

/// A Go-style duration: `40s`, `500ms`, `1m30s`, `2h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string());
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err("empty duration".to_string());
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("duration {text:?} lacks a unit"))?;
        let number: f64 = rest[..number_end]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            unit => return Err(format!("unknown unit {unit:?} in duration {text:?}")),
        };
        total += number * factor;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).map_err(|e| e.to_string())
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
    /// `spec.leaseDurationSeconds` of the node Leases; they are renewed every
    /// quarter of it (the kubelet's nodeLeaseDurationSeconds).
    #[arg(long, default_value_t = 40)]
    pub node_lease_duration_seconds: u32,
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// The kubeconfig to reach the API server with.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// A KubeSchedulerConfiguration file (profiles, plugins, score weights).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub leader_election: LeaderElectionArgs,
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
    /// An extra argument for the measured process (repeatable), such as
    /// `--server-arg=--leader-elect=false`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
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

#[derive(Debug, Args)]
pub struct BenchPodsArgs {
    /// Pods created at once on the node.
    #[arg(long, default_value_t = 100)]
    pub pods: usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("40s"), Ok(Duration::from_secs(40)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn leader_election_flags() {
        let cli = Cli::try_parse_from([
            "rkube",
            "controller-manager",
            "--kubeconfig",
            "k",
            "--leader-elect=false",
            "--leader-elect-lease-duration",
            "4s",
        ])
        .expect("parses");
        let Command::ControllerManager(args) = cli.command else {
            panic!("controller-manager");
        };
        assert_eq!(args.leader_election.leader_elect, Some(false));
        assert_eq!(
            args.leader_election.leader_elect_lease_duration,
            Duration::from_secs(4)
        );
        assert_eq!(args.node_monitor_grace_period, Duration::from_secs(40));
        let cli =
            Cli::try_parse_from(["rkube", "scheduler", "--kubeconfig", "k", "--leader-elect"])
                .expect("parses");
        let Command::Scheduler(args) = cli.command else {
            panic!("scheduler");
        };
        assert_eq!(args.leader_election.leader_elect, Some(true));
    }
}

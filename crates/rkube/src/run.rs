//! Boot and supervision: open the store, start the API server, serve until a
//! signal, then drain. The only place with `anyhow`.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use store::Store;

use crate::cli::{Cli, Command, ControlPlaneArgs, ControllerManagerArgs, LeaderElectionArgs};

pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn main(cli: Cli) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Some arguments below (the stop signal) spawn tasks as they are built.
    let _runtime_context = runtime.enter();
    match cli.command {
        Command::Server(args) => runtime.block_on(control_plane(args, Components::All)),
        Command::Apiserver(args) => runtime.block_on(control_plane(args, Components::ApiServer)),
        Command::Bench(args) => runtime.block_on(crate::bench::run(args)),
        Command::BenchScheduler(args) => runtime.block_on(crate::bench::scheduler::run(args)),
        Command::BenchDeployment(args) => runtime.block_on(crate::bench::deployment::run(args)),
        Command::BenchPods(args) => runtime.block_on(crate::bench::pods::run(args)),
        Command::Scheduler(args) => runtime.block_on(scheduler_alone(
            args.kubeconfig,
            args.config,
            election(&args.leader_election, "kube-scheduler", true),
            Stop::on_signal(),
            true,
        )),
        Command::ControllerManager(args) => runtime.block_on(controller_manager(args)),
        Command::HollowNodes(args) => runtime.block_on(hollow_nodes(args)),
        Command::Images(args) => runtime.block_on(crate::images::run(args)),
    }
}

pub(crate) fn default_data_dir() -> PathBuf {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    match std::env::var_os("HOME") {
        Some(home) if !is_root => PathBuf::from(home).join(".rkube"),
        _ => PathBuf::from("/var/lib/rkube"),
    }
}

fn parse_cidr(text: &str) -> Result<(Ipv4Addr, u8)> {
    let (ip, bits) = text
        .split_once('/')
        .with_context(|| format!("service CIDR {text} has no prefix length"))?;
    let ip: Ipv4Addr = ip.parse().with_context(|| format!("service CIDR {text}"))?;
    let bits: u8 = bits
        .parse()
        .with_context(|| format!("service CIDR {text}"))?;
    if !(8..=30).contains(&bits) {
        bail!("service CIDR {text}: prefix length must be between 8 and 30");
    }
    Ok((ip, bits))
}

async fn open_store(args: &ControlPlaneArgs, data_dir: &std::path::Path) -> Result<Arc<dyn Store>> {
    if args.etcd_endpoints.is_empty() {
        let dir = data_dir.join("db");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("state.db");
        let store = store::sqlite::SqliteStore::open(&path, store::sqlite::Config::default())
            .with_context(|| format!("opening the embedded store {}", path.display()))?;
        Ok(Arc::new(store))
    } else {
        let store =
            store::etcd::EtcdStore::connect(&args.etcd_endpoints, store::etcd::Config::default())
                .await
                .with_context(|| {
                    format!("connecting to etcd at {}", args.etcd_endpoints.join(","))
                })?;
        Ok(Arc::new(store))
    }
}

/// Which parts of the control plane a command runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Components {
    /// `rkube server`: the API server and the controller manager.
    All,
    /// `rkube apiserver`: the API server alone.
    ApiServer,
}

async fn control_plane(args: ControlPlaneArgs, components: Components) -> Result<()> {
    // Leader election matters only where several servers can share a store:
    // on etcd. On the embedded store it is off unless asked for.
    let elect = !args.etcd_endpoints.is_empty();
    check_election(&election(
        &args.leader_election,
        "kube-controller-manager",
        elect,
    ))?;
    let node_ipam =
        controllers::nodeipam::Config::new(&args.cluster_cidr, args.node_cidr_mask_size)?
            .map(|c| c.with_service_cidr(&args.service_cidr))
            .transpose()?;
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let store = open_store(&args, &data_dir).await?;
    let config = apiserver::Config {
        bind_address: args.bind_address,
        secure_port: args.secure_port,
        data_dir: data_dir.clone(),
        extra_sans: args.tls_san.clone(),
        admission: apiserver::AdmissionConfig {
            service_cidr: parse_cidr(&args.service_cidr)?,
            ..apiserver::AdmissionConfig::default()
        },
        compaction_interval: Duration::from_secs(args.compaction_interval_seconds),
        ..apiserver::Config::default()
    };
    let server = apiserver::Server::start(config, store)
        .await
        .context("starting the API server")?;
    tracing::info!(port = server.port(), "API server listening");
    eprintln!(
        "rkube: API server on https://127.0.0.1:{}; kubeconfig written to {}",
        server.port(),
        server.kubeconfig_path().display()
    );
    eprintln!(
        "rkube: export KUBECONFIG={}",
        server.kubeconfig_path().display()
    );
    // The controllers reach the API server as any client does: through the
    // kubeconfig, over HTTPS. With leader election they run only while this
    // server holds the kube-controller-manager Lease (several servers on one
    // etcd take turns). A lost lease ends the server with an error, as it
    // ends upstream's components (and k3s): the controllers' background
    // tasks cannot be trusted to have stopped otherwise.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (fatal_tx, mut fatal_rx) = tokio::sync::mpsc::unbounded_channel::<anyhow::Error>();
    let stop = Stop(stop_rx);
    let identity = server_identity(&data_dir);
    let controllers = (components == Components::All).then(|| {
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        let config = controllers::Config {
            root_ca_pem: std::fs::read_to_string(data_dir.join("tls/ca.crt")).ok(),
            leader_election: election(&args.leader_election, "kube-controller-manager", elect)
                .map(|e| with_identity(e, &identity)),
            node_monitor_grace_period: Some(args.node_monitor_grace_period),
            node_ipam,
        };
        let stop = stop.clone();
        let fatal = fatal_tx.clone();
        tokio::spawn(async move {
            if let Err(error) = controller_manager_loop(&kubeconfig, config, stop).await {
                if error.downcast_ref::<LeaseLost>().is_some() {
                    let _ = fatal.send(error);
                } else {
                    tracing::error!("controller manager stopped: {error:#}");
                }
            }
        })
    });
    // Hollow nodes, as any kubelet, reach the API server through the kubeconfig.
    let hollow = (components == Components::All && args.hollow_nodes > 0).then(|| {
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        let connection = kubelet::Connection {
            kubeconfig: Some(kubeconfig),
            ..Default::default()
        };
        tokio::spawn(run_hollow_nodes(
            connection,
            args.hollow_nodes,
            Default::default(),
            std::future::pending(),
        ))
    });
    let scheduler = (components == Components::All).then(|| {
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        let election = election(&args.leader_election, "kube-scheduler", elect)
            .map(|e| with_identity(e, &identity));
        let stop = stop.clone();
        let fatal = fatal_tx.clone();
        tokio::spawn(async move {
            if let Err(error) = scheduler_alone(kubeconfig, None, election, stop, false).await {
                if error.downcast_ref::<LeaseLost>().is_some() {
                    let _ = fatal.send(error);
                } else {
                    tracing::error!("scheduler stopped: {error:#}");
                }
            }
        })
    });
    // The kubelet for this machine, as k3s runs one beside its server. It
    // starts once the API server serves (below); if it cannot start, the
    // server stops with its error, as k3s does.
    let node: Arc<tokio::sync::Mutex<Option<crate::node::Node>>> = Arc::default();
    if components == Components::All && !args.kubelet.disable_agent {
        let kubelet = args.kubelet.clone();
        let data_dir = data_dir.clone();
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        let fatal = fatal_tx.clone();
        let slot = node.clone();
        let cluster_cidr = Some(args.cluster_cidr.clone()).filter(|c| !c.is_empty());
        tokio::spawn(async move {
            match crate::node::start(&kubelet, &data_dir, &kubeconfig, cluster_cidr).await {
                Ok(started) => *slot.lock().await = Some(started),
                Err(error) => {
                    let _ = fatal.send(error.context(
                        "starting this machine's kubelet (--disable-agent runs the control plane alone)",
                    ));
                }
            }
        });
    }
    drop(fatal_tx);
    let failure = Arc::new(std::sync::Mutex::new(None));
    let failed = failure.clone();
    let shutdown = async move {
        tokio::select! {
            () = shutdown_signal() => {}
            Some(error) = fatal_rx.recv() => {
                tracing::error!("{error:#}; stopping");
                if let Ok(mut failed) = failed.lock() {
                    *failed = Some(error);
                }
            }
        }
        if let Some(hollow) = hollow {
            hollow.abort();
        }
        if let Some(node) = node.lock().await.take() {
            node.stop().await;
        }
        // The scheduler and the controllers stop first (releasing their
        // leases while the API server still serves), so that their watches
        // do not hold the drain.
        let _ = stop_tx.send(true);
        for task in [scheduler, controllers].into_iter().flatten() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    };
    server
        .serve(shutdown, Duration::from_secs(args.shutdown_grace_seconds))
        .await;
    tracing::info!("stopped");
    let failure = failure.lock().ok().and_then(|mut f| f.take());
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// `rkube hollow-nodes`: fake nodes against any API server, until a signal.
async fn hollow_nodes(args: crate::cli::HollowNodesArgs) -> Result<()> {
    let connection = kubelet::Connection {
        kubeconfig: args.kubeconfig,
        server: args.server,
        certificate_authority: args.certificate_authority,
        client_certificate: args.client_certificate,
        client_key: args.client_key,
        insecure_skip_tls_verify: false,
    };
    let lease_seconds = args.node_lease_duration_seconds.max(1);
    let options = kubelet::hollow::Options {
        name_prefix: args.name_prefix,
        lease_duration_seconds: i32::try_from(lease_seconds).unwrap_or(i32::MAX),
        // The kubelet renews its lease every quarter of its duration.
        lease_renew_interval: Duration::from_secs(u64::from(lease_seconds)) / 4,
        ..Default::default()
    };
    run_hollow_nodes(connection, args.count, options, shutdown_signal()).await
}

/// Runs `count` hollow nodes until `shutdown` completes.
async fn run_hollow_nodes(
    connection: kubelet::Connection,
    count: u32,
    options: kubelet::hollow::Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let result = async {
        let client = connection
            .client()
            .await
            .context("connecting to the API server")?;
        kubelet::hollow::HollowNodes::start(client, count, options)
            .await
            .context("registering hollow nodes")
    }
    .await;
    match result {
        Ok(nodes) => {
            shutdown.await;
            nodes.stop();
            Ok(())
        }
        Err(error) => {
            tracing::error!("hollow nodes: {error:#}");
            Err(error)
        }
    }
}

/// A stop signal many tasks can wait for.
#[derive(Clone)]
struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    /// A stop on the first SIGTERM or SIGINT.
    fn on_signal() -> Stop {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        Stop(rx)
    }

    async fn wait(mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// A component lost its leader lease: it must stop acting at once (upstream
/// components exit with "leaderelection lost").
#[derive(Debug)]
struct LeaseLost(&'static str);

impl std::fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: leaderelection lost", self.0)
    }
}

impl std::error::Error for LeaseLost {}

/// The leader election of `lease` in kube-system, if the flags ask for it.
/// The leader election `args` ask for, on by default (`by_default`) or not.
fn election(
    args: &LeaderElectionArgs,
    lease: &str,
    by_default: bool,
) -> Option<controllers::leader::Config> {
    args.leader_elect
        .unwrap_or(by_default)
        .then(|| controllers::leader::Config {
            namespace: args.leader_elect_resource_namespace.clone(),
            lease_duration: args.leader_elect_lease_duration,
            renew_deadline: args.leader_elect_renew_deadline,
            retry_period: args.leader_elect_retry_period,
            ..controllers::leader::Config::new(
                args.leader_elect_resource_name.as_deref().unwrap_or(lease),
            )
        })
}

/// The leader election identity of `rkube server`: `<hostname>_<uuid>`
/// kept in the data directory, so that a server restarted on the same data
/// finds its own leases and takes them back at once instead of waiting for
/// them to expire (servers sharing an etcd have their own data directories,
/// hence their own identities).
fn server_identity(data_dir: &std::path::Path) -> String {
    let path = data_dir.join("leader-election-identity");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        if !text.is_empty() {
            return text.to_string();
        }
    }
    let identity = controllers::leader::identity();
    if let Err(error) = std::fs::write(&path, format!("{identity}\n")) {
        tracing::warn!(%error, "leader election identity not saved");
    }
    identity
}

fn with_identity(
    election: controllers::leader::Config,
    identity: &str,
) -> controllers::leader::Config {
    controllers::leader::Config {
        identity: identity.to_string(),
        ..election
    }
}

/// Checks client-go's constraints on the leader election timings.
fn check_election(election: &Option<controllers::leader::Config>) -> Result<()> {
    if let Some(e) = election {
        if e.lease_duration <= e.renew_deadline {
            bail!(
                "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline"
            );
        }
        if e.renew_deadline.as_secs_f64() <= 1.2 * e.retry_period.as_secs_f64() {
            bail!("--leader-elect-renew-deadline must be greater than 1.2 times --leader-elect-retry-period");
        }
    }
    Ok(())
}

/// `rkube controller-manager`: every controller against the API server of
/// the kubeconfig, until a signal; a lost leader lease ends it with an error.
async fn controller_manager(args: ControllerManagerArgs) -> Result<()> {
    let root_ca_pem = match &args.root_ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => controllers::root_ca_from_kubeconfig(&args.kubeconfig)
            .await
            .with_context(|| format!("reading {}", args.kubeconfig.display()))?,
    };
    let config = controllers::Config {
        root_ca_pem,
        leader_election: election(&args.leader_election, "kube-controller-manager", true),
        node_monitor_grace_period: Some(args.node_monitor_grace_period),
        node_ipam: controllers::nodeipam::Config::new(
            &args.cluster_cidr,
            args.node_cidr_mask_size,
        )?,
    };
    check_election(&config.leader_election)?;
    if let Some(e) = &config.leader_election {
        eprintln!(
            "rkube: controller manager {} campaigning for {}/{}",
            e.identity, e.namespace, e.name
        );
    }
    controller_manager_loop(&args.kubeconfig, config, Stop::on_signal()).await
}

/// Runs the controllers until `stop`; a lost lease is a [`LeaseLost`] error.
async fn controller_manager_loop(
    kubeconfig: &std::path::Path,
    config: controllers::Config,
    stop: Stop,
) -> Result<()> {
    let client = controllers::client_from_kubeconfig(kubeconfig)
        .await
        .with_context(|| format!("reading {}", kubeconfig.display()))?;
    match controllers::run(client, config, stop.wait()).await {
        Err(controllers::Error::LeaderElectionLost) => {
            Err(anyhow::Error::new(LeaseLost("controller manager")))
        }
        result => result.context("controller manager"),
    }
}

/// Runs the scheduler against the API server of `kubeconfig` until `stop`,
/// with the profiles of the `config` file if one is given, while holding
/// the kube-scheduler lease when `election` is set.
async fn scheduler_alone(
    kubeconfig: PathBuf,
    config: Option<PathBuf>,
    election: Option<controllers::leader::Config>,
    stop: Stop,
    announce: bool,
) -> Result<()> {
    check_election(&election)?;
    let mut scheduler_config = scheduler::Config::default();
    if let Some(path) = config {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        scheduler_config.profiles = scheduler::profile::profiles_from_config(&text)
            .with_context(|| format!("loading {}", path.display()))?;
    }
    let client = controllers::client_for(&kubeconfig, "kube-scheduler")
        .await
        .with_context(|| format!("reading {}", kubeconfig.display()))?;
    let Some(election) = election else {
        return scheduler::run(client, scheduler_config, stop.wait())
            .await
            .context("scheduler");
    };
    if announce {
        eprintln!(
            "rkube: scheduler {} campaigning for {}/{}",
            election.identity, election.namespace, election.name
        );
    }
    let work = || {
        Box::pin(scheduler::run(
            client.clone(),
            scheduler_config.clone(),
            std::future::pending(),
        ))
    };
    let outcome = controllers::leader::run(client.clone(), election, stop.wait(), work)
        .await
        .context("scheduler leader election")?;
    match outcome {
        controllers::leader::Outcome::Finished(result) => result.context("scheduler"),
        controllers::leader::Outcome::Shutdown => Ok(()),
        controllers::leader::Outcome::Lost => Err(anyhow::Error::new(LeaseLost("scheduler"))),
    }
}

/// Completes on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: draining"),
        _ = int.recv() => tracing::info!("SIGINT: draining"),
    }
}

//! Boot and supervision: open the store, start the API server, serve until a
//! signal, then drain. The only place with `anyhow`.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use store::Store;

use crate::cli::{Cli, Command, ControlPlaneArgs};

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
    match cli.command {
        Command::Server(args) => runtime.block_on(control_plane(args, Components::All)),
        Command::Apiserver(args) => runtime.block_on(control_plane(args, Components::ApiServer)),
        Command::Bench(args) => runtime.block_on(crate::bench::run(args)),
        Command::BenchScheduler(args) => runtime.block_on(crate::bench::scheduler::run(args)),
        Command::BenchDeployment(args) => runtime.block_on(crate::bench::deployment::run(args)),
        Command::Scheduler(args) => runtime.block_on(scheduler_alone(args.kubeconfig, args.config)),
        Command::HollowNodes(args) => runtime.block_on(hollow_nodes(args)),
    }
}

fn default_data_dir() -> PathBuf {
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
    // kubeconfig, over HTTPS.
    let controllers = (components == Components::All).then(|| {
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        let config = controllers::Config {
            root_ca_pem: std::fs::read_to_string(data_dir.join("tls/ca.crt")).ok(),
        };
        tokio::spawn(async move {
            let client = match controllers::client_from_kubeconfig(&kubeconfig).await {
                Ok(client) => client,
                Err(error) => {
                    tracing::error!(%error, "controller manager: no API client");
                    return;
                }
            };
            if let Err(error) = controllers::run(client, config, std::future::pending()).await {
                tracing::error!(%error, "controller manager stopped");
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
        tokio::spawn(async move {
            if let Err(error) = scheduler_alone(kubeconfig, None).await {
                tracing::error!(%error, "scheduler stopped");
            }
        })
    });
    let shutdown = async move {
        shutdown_signal().await;
        if let Some(scheduler) = scheduler {
            scheduler.abort();
        }
        if let Some(hollow) = hollow {
            hollow.abort();
        }
        // Stop the controllers first so their watches do not hold the drain.
        if let Some(controllers) = controllers {
            controllers.abort();
        }
    };
    server
        .serve(shutdown, Duration::from_secs(args.shutdown_grace_seconds))
        .await;
    tracing::info!("stopped");
    Ok(())
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
    let options = kubelet::hollow::Options {
        name_prefix: args.name_prefix,
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

/// Runs the scheduler against the API server of `kubeconfig` until a signal,
/// with the profiles of the `config` file if one is given.
async fn scheduler_alone(kubeconfig: PathBuf, config: Option<PathBuf>) -> Result<()> {
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
    scheduler::run(client, scheduler_config, shutdown_signal())
        .await
        .context("scheduler")
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

//! The controller manager: controllers that drive actual state toward desired
//! state, as upstream's kube-controller-manager does.
//!
//! Every controller is an ordinary API client (kube-rs): it learns through
//! list+watch and acts through API writes, never through the store, so it runs
//! the same inside `rkube server` and on its own against a remote API server.

pub mod clusterrole_aggregation;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
mod discovery;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
mod error;
pub mod events;
pub mod garbage_collector;
pub mod history;
pub mod informer;
pub mod job;
pub mod leader;
pub mod namespace;
pub mod node_lifecycle;
pub mod nodeipam;
mod patch;
mod queue;
pub mod replicaset;
pub mod resourcequota;
pub mod root_ca;
pub mod serviceaccount;
pub mod statefulset;
pub mod ttl_after_finished;

use std::future::Future;

pub use discovery::{ApiResources, Resource};
pub use error::Error;
pub use kube::Client;

/// What the controllers need beyond an API client.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The cluster CA certificate (PEM) published as `kube-root-ca.crt` in
    /// every namespace; without it that controller does not run.
    pub root_ca_pem: Option<String>,
    /// Run the controllers only while holding this Lease (upstream's
    /// `--leader-elect`); None runs them at once.
    pub leader_election: Option<leader::Config>,
    /// The node lifecycle controller's `--node-monitor-grace-period`
    /// (None: upstream's 40 s).
    pub node_monitor_grace_period: Option<std::time::Duration>,
    /// The node IPAM controller's `--cluster-cidr` and `--node-cidr-mask-size`
    /// (upstream's `--allocate-node-cidrs`); None: it does not run.
    pub node_ipam: Option<nodeipam::Config>,
}

/// Runs every controller until `shutdown` completes. With leader election,
/// the controllers run only while this process holds the lease; losing it
/// stops them and returns [`Error::LeaderElectionLost`], after which the
/// process should exit, as upstream's kube-controller-manager does (tasks
/// the controllers spawned may outlive their dropped futures); on shutdown
/// the lease is released.
pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let Some(election) = config.leader_election.clone() else {
        return tokio::select! {
            result = Box::pin(run_controllers(client, config)) => result,
            () = shutdown => Ok(()),
        };
    };
    // Boxed: the futures of all the controllers together are large.
    let work = || Box::pin(run_controllers(client.clone(), config));
    match leader::run(client.clone(), election, shutdown, work).await? {
        leader::Outcome::Finished(result) => result,
        leader::Outcome::Shutdown => Ok(()),
        leader::Outcome::Lost => Err(Error::LeaderElectionLost),
    }
}

/// Every controller, until one fails.
async fn run_controllers(client: Client, config: Config) -> Result<(), Error> {
    let gc = garbage_collector::GarbageCollector::new(client.clone());
    let namespaces = namespace::NamespaceController::new(client.clone());
    let informers = informer::Informers::default();
    let node_lifecycle_options = config
        .node_monitor_grace_period
        .map(node_lifecycle::Options::with_grace_period)
        .unwrap_or_default();
    tokio::select! {
        () = informers.clone().run(client.clone()) => Ok(()),
        result = gc.run() => result,
        result = namespaces.run() => result,
        result = clusterrole_aggregation::run(client.clone()) => result,
        result = replicaset::ReplicaSetController::run(client.clone(), informers.clone()) => result,
        result = deployment::DeploymentController::run(client.clone()) => result,
        result = serviceaccount::run(client.clone()) => result,
        result = root_ca::run(client.clone(), config.root_ca_pem) => result,
        result = job::run(client.clone(), informers.clone()) => result,
        result = cronjob::run(client.clone(), informers.clone()) => result,
        result = ttl_after_finished::run(client.clone(), informers.clone()) => result,
        result = daemonset::run(client.clone(), informers.clone()) => result,
        result = statefulset::run(client.clone(), informers.clone()) => result,
        result = endpoints::run(client.clone(), informers.clone()) => result,
        result = endpointslice::run(client.clone(), informers.clone()) => result,
        result = disruption::run(client.clone(), informers.clone()) => result,
        result = resourcequota::run(client.clone(), informers.clone()) => result,
        result = Box::pin(node_lifecycle::run_with(client.clone(), informers.clone(), node_lifecycle_options)) => result,
        result = async {
            match config.node_ipam {
                Some(node_ipam) => nodeipam::run(client.clone(), informers.clone(), node_ipam).await,
                None => std::future::pending().await,
            }
        } => result,
    }
}

/// The cluster CA (PEM) of the kubeconfig at `path` (its current cluster's
/// certificate-authority or certificate-authority-data), for the root CA
/// publisher of a controller manager that runs on its own.
pub async fn root_ca_from_kubeconfig(path: &std::path::Path) -> Result<Option<String>, Error> {
    let kubeconfig = kube::config::Kubeconfig::read_from(path)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    if let Some(file) = &config.root_cert_file {
        return Ok(std::fs::read_to_string(file).ok());
    }
    Ok(config.root_cert.map(|certs| {
        certs
            .iter()
            .map(|der| pem("CERTIFICATE", der))
            .collect::<String>()
    }))
}

/// `der` as a PEM block.
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A client for the API server described by the kubeconfig at `path`.
pub async fn client_from_kubeconfig(path: &std::path::Path) -> Result<Client, Error> {
    client_for(path, "kube-controller-manager").await
}

/// A client for the API server described by the kubeconfig at `path`, that
/// names itself `component` in its User-Agent (the API server's default field
/// manager, as upstream components do).
pub async fn client_for(path: &std::path::Path, component: &str) -> Result<Client, Error> {
    let kubeconfig = kube::config::Kubeconfig::read_from(path)?;
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let agent = format!("{component}/v1.33.0 (linux/amd64) rkube");
    if let Ok(value) = http::HeaderValue::from_str(&agent) {
        config.headers.push((http::header::USER_AGENT, value));
    }
    Ok(Client::try_from(config)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pem_blocks() {
        assert_eq!(
            super::pem("X", b"hello"),
            "-----BEGIN X-----\naGVsbG8=\n-----END X-----\n"
        );
        assert_eq!(
            super::pem("X", b"abc"),
            "-----BEGIN X-----\nYWJj\n-----END X-----\n"
        );
        assert_eq!(
            super::pem("X", b"ab"),
            "-----BEGIN X-----\nYWI=\n-----END X-----\n"
        );
    }
}

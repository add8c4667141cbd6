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
pub mod history;
pub mod events;
pub mod garbage_collector;
pub mod informer;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
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
}

/// Runs every controller until `shutdown` completes.
pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let gc = garbage_collector::GarbageCollector::new(client.clone());
    let namespaces = namespace::NamespaceController::new(client.clone());
    let informers = informer::Informers::default();
    tokio::select! {
        () = informers.clone().run(client.clone()) => Ok(()),
        result = gc.run() => result,
        result = namespaces.run() => result,
        result = clusterrole_aggregation::run(client.clone()) => result,
        result = replicaset::ReplicaSetController::run(client.clone()) => result,
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
        result = node_lifecycle::run(client.clone(), informers.clone()) => result,
        () = shutdown => Ok(()),
    }
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

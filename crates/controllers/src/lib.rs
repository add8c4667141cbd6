//! The controller manager: controllers that drive actual state toward desired
//! state, as upstream's kube-controller-manager does.
//!
//! Every controller is an ordinary API client (kube-rs): it learns through
//! list+watch and acts through API writes, never through the store, so it runs
//! the same inside `rkube server` and on its own against a remote API server.

mod discovery;
mod error;
pub mod events;
pub mod garbage_collector;
pub mod namespace;
mod patch;
mod queue;

use std::future::Future;

pub use discovery::{ApiResources, Resource};
pub use error::Error;
pub use kube::Client;

/// Runs every controller until `shutdown` completes.
pub async fn run(client: Client, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    let gc = garbage_collector::GarbageCollector::new(client.clone());
    let namespaces = namespace::NamespaceController::new(client.clone());
    tokio::select! {
        result = gc.run() => result,
        result = namespaces.run() => result,
        () = shutdown => Ok(()),
    }
}

/// A client for the API server described by the kubeconfig at `path`.
pub async fn client_from_kubeconfig(path: &std::path::Path) -> Result<Client, Error> {
    let kubeconfig = kube::config::Kubeconfig::read_from(path)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    Ok(Client::try_from(config)?)
}

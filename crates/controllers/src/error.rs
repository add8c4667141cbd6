//! The controllers' errors.

/// What can stop a controller or fail one reconciliation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API request failed: {0}")]
    Api(#[from] kube::Error),
    #[error("reading the kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("watching {resource}: {source}")]
    Watch {
        resource: String,
        source: kube::runtime::watcher::Error,
    },
    #[error("encoding a request: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("leader election lost")]
    LeaderElectionLost,
}

impl Error {
    /// The HTTP status of an API error response, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(kube::Error::Api(status)) => Some(status.code),
            _ => None,
        }
    }
}

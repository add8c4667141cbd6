//! The kubelet's errors.

/// What can stop the kubelet or fail one API call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API request failed: {0}")]
    Api(#[from] kube::Error),
    #[error("reading the kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("no kubeconfig: {0}")]
    Infer(#[from] kube::config::InferConfigError),
    #[error("encoding a request: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Runtime(crate::cri::CriError),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
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

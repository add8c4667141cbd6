//! How the kubelet reaches the API server: a kubeconfig, or a server URL with
//! certificate files (kubectl's flags), or the usual inference
//! (`$KUBECONFIG`, `~/.kube/config`, in-cluster).

use std::path::PathBuf;

use kube::Client;
use serde_json::json;

use crate::Error;

/// Where the API server is and who the kubelet is to it.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// A kubeconfig file; its current context is used.
    pub kubeconfig: Option<PathBuf>,
    /// The API server URL; overrides the kubeconfig's server.
    pub server: Option<String>,
    /// The CA bundle that signs the server's certificate.
    pub certificate_authority: Option<PathBuf>,
    /// The client certificate and its key.
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Skip checking the server's certificate (tests only).
    pub insecure_skip_tls_verify: bool,
}

impl Connection {
    /// A client for the API server this connection names.
    pub async fn client(&self) -> Result<Client, Error> {
        let config = match (&self.kubeconfig, &self.server) {
            (Some(path), server) => {
                let mut kubeconfig = kube::config::Kubeconfig::read_from(path)?;
                if let Some(server) = server {
                    for named in &mut kubeconfig.clusters {
                        if let Some(cluster) = named.cluster.as_mut() {
                            cluster.server = Some(server.clone());
                        }
                    }
                }
                kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
            }
            (None, Some(server)) => {
                let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
                let kubeconfig = json!({
                    "clusters": [{"name": "c", "cluster": {
                        "server": server,
                        "certificate-authority": path(&self.certificate_authority),
                        "insecure-skip-tls-verify": self.insecure_skip_tls_verify,
                    }}],
                    "users": [{"name": "u", "user": {
                        "client-certificate": path(&self.client_certificate),
                        "client-key": path(&self.client_key),
                    }}],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "c",
                });
                let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(kubeconfig)?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
            }
            (None, None) => kube::Config::infer().await?,
        };
        Ok(Client::try_from(config)?)
    }
}

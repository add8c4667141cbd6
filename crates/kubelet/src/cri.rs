//! The kubelet's only way to the container runtime: CRI, gRPC over a unix
//! socket (`runtime.v1`). Works with containerd and any other CRI runtime.
//!
//! [`Cri`] is cheap to clone: both service clients share one HTTP/2
//! connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

pub use k8s_cri::v1 as api;

/// The labels the kubelet puts on sandboxes and containers, as upstream's
/// kubelet does, so that anything holding the runtime (the kubelet after a
/// restart, the streaming server) finds a pod's containers by name.
pub mod labels {
    pub const POD_NAME: &str = "io.kubernetes.pod.name";
    pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
    pub const POD_UID: &str = "io.kubernetes.pod.uid";
    pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
}

/// A failed CRI call or connection.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("connecting to the container runtime at {path}: {source}")]
    Connect {
        path: PathBuf,
        source: tonic::transport::Error,
    },
    #[error("container runtime: {0}")]
    Call(#[from] tonic::Status),
}

impl CriError {
    /// The gRPC code of a failed call.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            CriError::Call(status) => Some(status.code()),
            CriError::Connect { .. } => None,
        }
    }

    /// Whether the runtime said the thing asked about does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(tonic::Code::NotFound)
    }
}

/// A connection to a CRI runtime.
#[derive(Clone, Debug)]
pub struct Cri {
    socket: PathBuf,
    channel: Channel,
}

impl Cri {
    /// Connects to the runtime listening on the unix socket `socket`.
    pub async fn connect(socket: &Path) -> Result<Cri, CriError> {
        let path = socket.to_path_buf();
        let connector_path = path.clone();
        // The URI is required by tonic and ignored by the connector.
        let channel =
            Endpoint::from_static("http://cri.local")
                .connect_timeout(Duration::from_secs(5))
                .connect_with_connector(tower::service_fn(move |_: Uri| {
                    let path = connector_path.clone();
                    async move {
                        Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?))
                    }
                }))
                .await
                .map_err(|source| CriError::Connect {
                    path: path.clone(),
                    source,
                })?;
        Ok(Cri {
            socket: path,
            channel,
        })
    }

    /// The socket this connection goes to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The runtime service: sandboxes, containers, exec, logs' paths, stats.
    pub fn runtime(&self) -> RuntimeServiceClient<Channel> {
        RuntimeServiceClient::new(self.channel.clone()).max_decoding_message_size(16 << 20)
    }

    /// The image service: list, status, pull, remove.
    pub fn images(&self) -> ImageServiceClient<Channel> {
        ImageServiceClient::new(self.channel.clone()).max_decoding_message_size(16 << 20)
    }

    /// The runtime's name and version (`containerd`, `1.6.20`).
    pub async fn version(&self) -> Result<api::VersionResponse, CriError> {
        Ok(self
            .runtime()
            .version(api::VersionRequest {
                version: "v1".to_string(),
            })
            .await?
            .into_inner())
    }

    /// Every container of the pod with this UID (all attempts, all states).
    pub async fn pod_containers(&self, uid: &str) -> Result<Vec<api::Container>, CriError> {
        let filter = api::ContainerFilter {
            label_selector: [(labels::POD_UID.to_string(), uid.to_string())].into(),
            ..Default::default()
        };
        Ok(self
            .runtime()
            .list_containers(api::ListContainersRequest {
                filter: Some(filter),
            })
            .await?
            .into_inner()
            .containers)
    }

    /// The newest container named `container` of the pod `namespace/name`,
    /// with the one before it (for `--previous`).
    pub async fn find_container(
        &self,
        namespace: &str,
        name: &str,
        container: &str,
    ) -> Result<(Option<api::Container>, Option<api::Container>), CriError> {
        let filter = api::ContainerFilter {
            label_selector: [
                (labels::POD_NAMESPACE.to_string(), namespace.to_string()),
                (labels::POD_NAME.to_string(), name.to_string()),
                (labels::CONTAINER_NAME.to_string(), container.to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let mut containers = self
            .runtime()
            .list_containers(api::ListContainersRequest {
                filter: Some(filter),
            })
            .await?
            .into_inner()
            .containers;
        containers.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        let mut newest = containers.into_iter();
        Ok((newest.next(), newest.next()))
    }
}

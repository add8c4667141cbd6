//! exec and attach: kubectl's remote-command protocols (WebSocket v5 and
//! v4, SPDY) answered from the runtime's streaming server.
//!
//! The API server proxies the client's upgrade request unchanged; the
//! kubelet finds the container through its CRI labels, asks the runtime for
//! a streaming URL (CRI Exec or Attach with the request's streams) and then
//! either hands a SPDY upgrade on to that URL byte for byte, or translates a
//! WebSocket session into a SPDY one (`remotecommand`).

use http::{Request, Response};
use hyper::body::Incoming;

use super::remotecommand::{self, Options, Protocol};
use super::upgrade::{self, Requested, StreamError};
use super::Body;
use crate::cri::{api, labels, Cri};

/// Which CRI call gives the streaming URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Exec,
    Attach,
}

/// Serves `GET|POST /exec/{namespace}/{pod}/{container}?command=...&stdin=..`
/// (the upgrade request kubectl exec and kubectl cp send through the API
/// server). Always answers: 101 when the stream is set up, a `Status`
/// otherwise.
pub async fn exec(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    container: &str,
    request: Request<Incoming>,
) -> Response<Body> {
    serve(cri, namespace, pod, container, Kind::Exec, request)
        .await
        .unwrap_or_else(StreamError::into_response)
}

/// Serves `GET|POST /attach/{namespace}/{pod}/{container}?stdin=..` (kubectl
/// attach, and kubectl run -i).
pub async fn attach(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    container: &str,
    request: Request<Incoming>,
) -> Response<Body> {
    serve(cri, namespace, pod, container, Kind::Attach, request)
        .await
        .unwrap_or_else(StreamError::into_response)
}

async fn serve(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    container: &str,
    kind: Kind,
    request: Request<Incoming>,
) -> Result<Response<Body>, StreamError> {
    let options = Options::from_query(request.uri().query())?;
    if kind == Kind::Exec && options.command.is_empty() {
        return Err(StreamError::BadRequest(
            "you must specify at least one command for the container".into(),
        ));
    }
    // Decide before asking the runtime, so that a WebSocket offer the
    // kubelet cannot serve costs nothing (kubectl then falls back to SPDY).
    let protocol = match upgrade::requested(request.headers()) {
        Some(Requested::Spdy) => None,
        Some(Requested::WebSocket(offered)) => {
            Some(Protocol::choose(&offered).ok_or_else(|| {
                StreamError::BadRequest(format!(
                    "none of the WebSocket subprotocols {offered:?} is spoken here (only {} and {})",
                    remotecommand::V5,
                    remotecommand::V4
                ))
            })?)
        }
        None => {
            return Err(StreamError::BadRequest(
                "Upgrade request required (SPDY/3.1 or websocket)".into(),
            ))
        }
    };
    let container_id = container_id(cri, namespace, pod, container).await?;
    let url = match kind {
        Kind::Exec => {
            cri.runtime()
                .exec(api::ExecRequest {
                    container_id,
                    cmd: options.command.clone(),
                    tty: options.tty,
                    stdin: options.stdin,
                    stdout: options.stdout,
                    stderr: options.stderr,
                })
                .await
                .map_err(|status| StreamError::Cri(status.into()))?
                .into_inner()
                .url
        }
        Kind::Attach => {
            cri.runtime()
                .attach(api::AttachRequest {
                    container_id,
                    stdin: options.stdin,
                    tty: options.tty,
                    stdout: options.stdout,
                    stderr: options.stderr,
                })
                .await
                .map_err(|status| StreamError::Cri(status.into()))?
                .into_inner()
                .url
        }
    };
    match protocol {
        None => upgrade::forward_spdy(request, &url).await,
        Some(protocol) => remotecommand::translate(request, &url, options, protocol).await,
    }
}

/// The runtime's id of the newest container named `container` of the pod;
/// with no name, of the pod's only running container.
async fn container_id(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<String, StreamError> {
    if !container.is_empty() {
        let (newest, _) = cri.find_container(namespace, pod, container).await?;
        return newest.map(|c| c.id).ok_or_else(|| {
            StreamError::NotFound(format!(
                "container {container:?} not found in pod {namespace}/{pod}"
            ))
        });
    }
    let filter = api::ContainerFilter {
        label_selector: [
            (labels::POD_NAMESPACE.to_string(), namespace.to_string()),
            (labels::POD_NAME.to_string(), pod.to_string()),
        ]
        .into(),
        state: Some(api::ContainerStateValue {
            state: api::ContainerState::ContainerRunning as i32,
        }),
        ..Default::default()
    };
    let running = cri
        .runtime()
        .list_containers(api::ListContainersRequest {
            filter: Some(filter),
        })
        .await
        .map_err(|status| StreamError::Cri(status.into()))?
        .into_inner()
        .containers;
    match running.as_slice() {
        [only] => Ok(only.id.clone()),
        [] => Err(StreamError::NotFound(format!(
            "pod {namespace}/{pod} has no running container"
        ))),
        _ => Err(StreamError::BadRequest(format!(
            "pod {namespace}/{pod} has several containers: a container name must be given"
        ))),
    }
}

//! port-forward: kubectl's port-forward protocols answered from the
//! runtime's streaming server.
//!
//! Both are one SPDY session (`portforward.k8s.io`) between kubectl and the
//! runtime, in which kubectl opens an error and a data stream per
//! connection, with the port in their headers. kubectl 1.31 and later first
//! try it tunnelled through WebSocket (subprotocol
//! `SPDY/3.1+portforward.k8s.io`, SPDY bytes in binary messages): the
//! kubelet accepts that WebSocket, opens a plain SPDY upgrade to the runtime
//! and carries the bytes between them, as upstream's API server does. A
//! plain SPDY upgrade (older kubectl, or the fallback) is handed on to the
//! runtime unchanged. The older WebSocket port-forward protocol
//! (`v4.channel.k8s.io` with ports in the query) is not served: it is
//! answered with a non-101 status.

use http::{Method, Request, Response};
use hyper::body::Incoming;

use super::upgrade::{self, Requested, StreamError};
use super::websocket::{self, SPDY_TUNNEL_PORT_FORWARD};
use super::Body;
use crate::cri::{api, labels, Cri};

/// The SPDY protocol version of port-forward.
pub const PORT_FORWARD_PROTOCOL: &str = "portforward.k8s.io";

/// Serves `GET|POST /portForward/{namespace}/{pod}` (kubectl port-forward
/// through the API server). Always answers: 101 when the stream is set up,
/// a `Status` otherwise.
pub async fn port_forward(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    request: Request<Incoming>,
) -> Response<Body> {
    serve(cri, namespace, pod, request)
        .await
        .unwrap_or_else(StreamError::into_response)
}

async fn serve(
    cri: &Cri,
    namespace: &str,
    pod: &str,
    request: Request<Incoming>,
) -> Result<Response<Body>, StreamError> {
    let tunnel = match upgrade::requested(request.headers()) {
        Some(Requested::Spdy) => false,
        Some(Requested::WebSocket(offered)) => {
            if !offered.iter().any(|p| p == SPDY_TUNNEL_PORT_FORWARD) {
                return Err(StreamError::BadRequest(format!(
                    "none of the WebSocket subprotocols {offered:?} is spoken here \
                     (only {SPDY_TUNNEL_PORT_FORWARD})"
                )));
            }
            true
        }
        None => {
            return Err(StreamError::BadRequest(
                "Upgrade request required (SPDY/3.1 or websocket)".into(),
            ))
        }
    };
    let ports = ports(request.uri().query())?;
    let pod_sandbox_id = sandbox_id(cri, namespace, pod).await?;
    let url = cri
        .runtime()
        .port_forward(api::PortForwardRequest {
            pod_sandbox_id,
            port: ports,
        })
        .await
        .map_err(|status| StreamError::Cri(status.into()))?
        .into_inner()
        .url;
    if !tunnel {
        return upgrade::forward_spdy(request, &url).await;
    }
    let answer = websocket::accept(request.headers(), SPDY_TUNNEL_PORT_FORWARD)?;
    let dialed = upgrade::dial(
        &url,
        Method::POST,
        upgrade::spdy_request_headers(&[PORT_FORWARD_PROTOCOL]),
    )
    .await?;
    let client = hyper::upgrade::on(request);
    tokio::spawn(async move {
        match client.await {
            Ok(upgraded) => {
                let socket = websocket::server(upgraded).await;
                websocket::tunnel(socket, dialed.io).await;
            }
            Err(err) => tracing::debug!(error = %err, "client connection was not upgraded"),
        }
    });
    Ok(upgrade::switching_protocols(answer))
}

/// The ports of the query (`ports=8080&ports=9090` or `ports=8080,9090`),
/// optional: with SPDY, kubectl names the port in each stream's headers.
fn ports(query: Option<&str>) -> Result<Vec<i32>, StreamError> {
    let mut ports = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name != "ports" {
            continue;
        }
        for port in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match port.parse::<u16>() {
                Ok(p) if p > 0 => ports.push(i32::from(p)),
                _ => {
                    return Err(StreamError::BadRequest(format!(
                        "invalid port {port:?}: ports must be between 1 and 65535"
                    )))
                }
            }
        }
    }
    Ok(ports)
}

/// The runtime's id of the pod's newest ready sandbox.
async fn sandbox_id(cri: &Cri, namespace: &str, pod: &str) -> Result<String, StreamError> {
    let filter = api::PodSandboxFilter {
        label_selector: [
            (labels::POD_NAMESPACE.to_string(), namespace.to_string()),
            (labels::POD_NAME.to_string(), pod.to_string()),
        ]
        .into(),
        ..Default::default()
    };
    let mut sandboxes = cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest {
            filter: Some(filter),
        })
        .await
        .map_err(|status| StreamError::Cri(status.into()))?
        .into_inner()
        .items;
    if sandboxes.is_empty() {
        return Err(StreamError::NotFound(format!(
            "pod {namespace}/{pod} not found on this node"
        )));
    }
    sandboxes.retain(|s| s.state == api::PodSandboxState::SandboxReady as i32);
    sandboxes
        .into_iter()
        .max_by_key(|s| s.created_at)
        .map(|s| s.id)
        .ok_or_else(|| StreamError::BadRequest(format!("pod {namespace}/{pod} is not running")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_optional_and_checked() {
        assert_eq!(ports(None).unwrap(), Vec::<i32>::new());
        assert_eq!(
            ports(Some("ports=8080&ports=9090,53")).unwrap(),
            vec![8080, 9090, 53]
        );
        assert!(ports(Some("ports=0")).is_err());
        assert!(ports(Some("ports=70000")).is_err());
        assert!(ports(Some("ports=http")).is_err());
    }
}

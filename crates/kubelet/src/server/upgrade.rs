//! HTTP/1.1 connection upgrades, the ground every streaming protocol stands
//! on: telling which protocol a client asks to upgrade to (SPDY/3.1 or
//! WebSocket), dialing the container runtime's streaming server with an
//! upgrade of the kubelet's own, bridging two upgraded connections byte for
//! byte, and the answer (a `Status`, never a 101) when a request cannot be
//! served.
//!
//! The kubelet's HTTP server must serve connections with upgrades enabled
//! (`serve_connection(..).with_upgrades()` in hyper) for any of this to
//! work: the response with status 101 is written by hyper, and only then
//! does `hyper::upgrade::on` hand over the connection.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HOST, UPGRADE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Body;
use crate::cri::CriError;

/// The header that negotiates the version of a SPDY streaming protocol
/// (`v4.channel.k8s.io`, `portforward.k8s.io`).
pub const STREAM_PROTOCOL_VERSION: &str = "x-stream-protocol-version";

/// How long connecting to the runtime's streaming server and its answer may
/// take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

/// What a client asked to upgrade its connection to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requested {
    /// `Upgrade: SPDY/3.1`.
    Spdy,
    /// `Upgrade: websocket`, with the subprotocols offered, in the client's
    /// order of preference.
    WebSocket(Vec<String>),
}

/// Which upgrade the request asks for, if any.
pub fn requested(headers: &HeaderMap) -> Option<Requested> {
    let connection_upgrade = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    if !connection_upgrade {
        return None;
    }
    let upgrade = headers.get(UPGRADE)?.to_str().ok()?.trim();
    if upgrade.eq_ignore_ascii_case("SPDY/3.1") {
        Some(Requested::Spdy)
    } else if upgrade.eq_ignore_ascii_case("websocket") {
        let protocols = headers
            .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        Some(Requested::WebSocket(protocols))
    } else {
        None
    }
}

/// Why a streaming request was not upgraded.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Cri(#[from] CriError),
    #[error("connecting to the container runtime's streaming server at {url}: {reason}")]
    Dial { url: String, reason: String },
    /// The runtime's streaming server answered the upgrade with something
    /// other than 101; its status and message are passed on.
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
}

impl StreamError {
    /// The HTTP status and `Status` reason of this error, as upstream's
    /// kubelet and API server give them.
    fn code(&self) -> (StatusCode, &'static str) {
        match self {
            StreamError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
            StreamError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            StreamError::Cri(err) => match err.code() {
                Some(tonic::Code::NotFound) => (StatusCode::NOT_FOUND, "NotFound"),
                Some(tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition) => {
                    (StatusCode::BAD_REQUEST, "BadRequest")
                }
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
            },
            StreamError::Dial { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
            StreamError::Refused { status, .. } => (*status, reason_of(*status)),
        }
    }

    /// The answer to the client: a `Status` with this error's code. Any
    /// status but 101 makes kubectl give up on a WebSocket attempt and
    /// fall back to SPDY.
    pub fn into_response(self) -> Response<Body> {
        let (code, reason) = self.code();
        tracing::debug!(%code, error = %self, "streaming request not upgraded");
        status_response(code, reason, &self.to_string())
    }
}

/// The `Status` reason upstream gives with an HTTP status.
fn reason_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "NotFound",
        s if s.is_client_error() => "BadRequest",
        _ => "InternalError",
    }
}

/// A `metav1.Status` failure answer.
pub fn status_response(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    let status = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    });
    let mut response = Response::new(full(Bytes::from(status.to_string())));
    *response.status_mut() = code;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An empty body.
pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// A body of these bytes.
pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// An answer with status 101 and these headers, which hyper writes before
/// handing the connection over.
pub fn switching_protocols(headers: HeaderMap) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *response.headers_mut() = headers;
    response
}

/// A connection to the runtime's streaming server, upgraded.
pub struct Dialed {
    /// The headers of the runtime's 101 answer.
    pub headers: HeaderMap,
    pub io: TokioIo<Upgraded>,
}

/// Opens an upgrade request to `url` (an `http://` URL from the runtime's
/// Exec, Attach or PortForward answer) with these headers (Upgrade and
/// Connection included) and returns the upgraded connection once the
/// runtime has answered 101.
pub async fn dial(url: &str, method: Method, headers: HeaderMap) -> Result<Dialed, StreamError> {
    let dial_error = |reason: String| StreamError::Dial {
        url: url.to_string(),
        reason,
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| dial_error(e.to_string()))?;
    if uri.scheme_str() != Some("http") {
        return Err(dial_error(
            "only http:// streaming URLs are supported".into(),
        ));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| dial_error("the URL has no host".into()))?
        .clone();
    let port = authority.port_u16().unwrap_or(80);
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());

    let exchange = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| dial_error(e.to_string()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| dial_error(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(err) = connection.with_upgrades().await {
                tracing::debug!(error = %err, "streaming connection to the runtime ended");
            }
        });
        let mut request = Request::new(Empty::<Bytes>::new());
        *request.method_mut() = method;
        *request.uri_mut() = path
            .parse()
            .map_err(|e: http::uri::InvalidUri| dial_error(e.to_string()))?;
        *request.headers_mut() = headers;
        let host_header =
            HeaderValue::from_str(authority.as_str()).map_err(|e| dial_error(e.to_string()))?;
        request.headers_mut().insert(HOST, host_header);
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| dial_error(e.to_string()))?;
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            let status = response.status();
            let body = Limited::new(response.into_body(), 64 * 1024)
                .collect()
                .await
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).trim().to_string())
                .unwrap_or_default();
            return Err(StreamError::Refused {
                status,
                message: refusal_message(status, &body),
            });
        }
        let headers = response.headers().clone();
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(|e| dial_error(e.to_string()))?;
        Ok(Dialed {
            headers,
            io: TokioIo::new(upgraded),
        })
    };
    tokio::time::timeout(DIAL_TIMEOUT, exchange)
        .await
        .map_err(|_| dial_error(format!("no answer within {} s", DIAL_TIMEOUT.as_secs())))?
}

/// The message of a refused upgrade: the `message` of a `Status` body, or
/// the body itself.
fn refusal_message(status: StatusCode, body: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string());
    if message.is_empty() {
        format!("the container runtime refused the stream ({status})")
    } else {
        message
    }
}

/// Copies bytes both ways between the client's connection (once hyper has
/// written the 101 answer) and the runtime's, until both directions end.
pub fn bridge(client: OnUpgrade, mut runtime: TokioIo<Upgraded>) {
    tokio::spawn(async move {
        let upgraded = match client.await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                tracing::debug!(error = %err, "client connection was not upgraded");
                return;
            }
        };
        let mut client = TokioIo::new(upgraded);
        match tokio::io::copy_bidirectional(&mut client, &mut runtime).await {
            Ok((up, down)) => tracing::debug!(up, down, "stream bridge closed"),
            Err(err) => tracing::debug!(error = %err, "stream bridge ended"),
        }
    });
}

/// Serves a SPDY upgrade by handing it on, unchanged, to the runtime's
/// streaming server at `url`: the same method and upgrade headers (with
/// the client's `X-Stream-Protocol-Version` offers), the runtime's 101 (with
/// the version it chose) back to the client, then the bytes both ways. The
/// SPDY session is between the client and the runtime.
pub async fn forward_spdy(
    request: Request<Incoming>,
    url: &str,
) -> Result<Response<Body>, StreamError> {
    let mut headers = HeaderMap::new();
    for name in [CONNECTION, UPGRADE] {
        for value in request.headers().get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    for value in request.headers().get_all(STREAM_PROTOCOL_VERSION) {
        headers.append(STREAM_PROTOCOL_VERSION, value.clone());
    }
    let method = request.method().clone();
    let dialed = dial(url, method, headers).await?;
    let mut answer = HeaderMap::new();
    answer.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    answer.insert(UPGRADE, HeaderValue::from_static("SPDY/3.1"));
    if let Some(version) = dialed.headers.get(STREAM_PROTOCOL_VERSION) {
        answer.insert(STREAM_PROTOCOL_VERSION, version.clone());
    }
    bridge(hyper::upgrade::on(request), dialed.io);
    Ok(switching_protocols(answer))
}

/// The headers of a SPDY upgrade request offering these protocol versions.
pub fn spdy_request_headers(versions: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("SPDY/3.1"));
    for version in versions {
        if let Ok(value) = HeaderValue::from_str(version) {
            headers.append(STREAM_PROTOCOL_VERSION, value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn spdy_upgrades_are_recognised() {
        let h = headers(&[("connection", "Upgrade"), ("upgrade", "SPDY/3.1")]);
        assert_eq!(requested(&h), Some(Requested::Spdy));
    }

    #[test]
    fn websocket_upgrades_list_their_subprotocols() {
        let h = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
            (
                "sec-websocket-protocol",
                "v5.channel.k8s.io, v4.channel.k8s.io",
            ),
            ("sec-websocket-protocol", "channel.k8s.io"),
        ]);
        assert_eq!(
            requested(&h),
            Some(Requested::WebSocket(vec![
                "v5.channel.k8s.io".into(),
                "v4.channel.k8s.io".into(),
                "channel.k8s.io".into()
            ]))
        );
    }

    #[test]
    fn plain_requests_ask_for_nothing() {
        assert_eq!(requested(&headers(&[("upgrade", "websocket")])), None);
        assert_eq!(
            requested(&headers(&[("connection", "upgrade"), ("upgrade", "h2c")])),
            None
        );
    }

    #[test]
    fn refusals_carry_the_runtime_message() {
        assert_eq!(
            refusal_message(
                StatusCode::BAD_REQUEST,
                r#"{"kind":"Status","message":"container not running"}"#
            ),
            "container not running"
        );
        assert_eq!(
            refusal_message(StatusCode::NOT_FOUND, "not found"),
            "not found"
        );
        assert!(refusal_message(StatusCode::BAD_GATEWAY, "").contains("502"));
    }

    #[tokio::test]
    async fn errors_become_statuses() {
        let response = StreamError::NotFound("container \"x\" not found".into()).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status["reason"], "NotFound");
        assert_eq!(status["code"], 404);
        assert_eq!(status["message"], "container \"x\" not found");
    }
}

//! The pod subresources the node's kubelet serves, proxied to it as
//! upstream's API server does: `pods/log` (`/containerLogs/...`, the body
//! streamed through as it comes, for `kubectl logs -f`) and `pods/exec`,
//! `pods/attach`, `pods/portforward` (`/exec/...`, `/attach/...`,
//! `/portForward/...`: the client's connection upgrade, WebSocket or SPDY,
//! is forwarded, the kubelet's `101 Switching Protocols` returned, then the
//! bytes are copied both ways until either side closes).
//!
//! The kubelet is reached at its node's InternalIP (else another address)
//! and `status.daemonEndpoints.kubeletEndpoint.Port`, over TLS with the API
//! server's kubelet client certificate. Its serving certificate is not
//! verified, as upstream without `--kubelet-certificate-authority`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE, HOST, UPGRADE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{json, Value};

use super::Context;
use crate::certs::Pki;
use crate::codec;
use crate::error::{ApiError, Result};
use crate::http::{respond, Body, Format};
use crate::request::RequestInfo;
use crate::server::State;
use crate::tls::TlsError;

/// The port kubelets listen on when the node does not say (upstream's default).
pub const DEFAULT_KUBELET_PORT: u16 = 10250;
/// How long connecting to a kubelet may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts any serving certificate (upstream's `InsecureSkipVerify` to
/// kubelets without `--kubelet-certificate-authority`), while still checking
/// the handshake's signatures.
#[derive(Debug)]
struct AnyServerCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How the API server connects to kubelets.
pub struct KubeletClient {
    connector: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for KubeletClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubeletClient")
    }
}

impl KubeletClient {
    /// A client presenting the PKI's kubelet client certificate, speaking
    /// HTTP/1.1 (upgrades need it).
    pub fn new(pki: &Pki) -> std::result::Result<KubeletClient, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = rustls_pemfile::certs(&mut pki.kubelet_client_cert_pem.as_bytes())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate("apiserver-kubelet-client.crt"));
        }
        let key = rustls_pemfile::private_key(&mut pki.kubelet_client_key_pem.as_bytes())?
            .ok_or(TlsError::NoKey("apiserver-kubelet-client.key"))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServerCertificate(provider)))
            .with_client_auth_cert(certs, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(KubeletClient {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Sends `request` to the kubelet at `host:port` on a connection of its
    /// own (kept open for an upgrade), answering the kubelet's response.
    async fn send(
        &self,
        host: &str,
        port: u16,
        request: Request<Body>,
    ) -> std::result::Result<Response<Incoming>, String> {
        let address = join_host_port(host, port);
        let tcp = tokio::time::timeout(DIAL_TIMEOUT, tokio::net::TcpStream::connect(&address))
            .await
            .map_err(|_| format!("dial tcp {address}: i/o timeout"))?
            .map_err(|error| format!("dial tcp {address}: {error}"))?;
        let _ = tcp.set_nodelay(true);
        let name = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(host.to_string())
                .map_err(|error| format!("invalid kubelet host {host:?}: {error}"))?,
        };
        let tls = tokio::time::timeout(DIAL_TIMEOUT, self.connector.connect(name, tcp))
            .await
            .map_err(|_| format!("tls handshake with {address}: i/o timeout"))?
            .map_err(|error| format!("tls handshake with {address}: {error}"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tls))
                .await
                .map_err(|error| format!("connecting to {address}: {error}"))?;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                tracing::debug!(%error, "kubelet connection ended with an error");
            }
        });
        sender
            .send_request(request)
            .await
            .map_err(|error| error.to_string())
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// Where a node's kubelet listens: an address of the node (InternalIP
/// first) and its kubelet endpoint port.
pub fn kubelet_location(node: &Value) -> Option<(String, u16)> {
    let addresses = node
        .pointer("/status/addresses")
        .and_then(Value::as_array)?;
    let host = [
        "InternalIP",
        "Hostname",
        "InternalDNS",
        "ExternalIP",
        "ExternalDNS",
    ]
    .iter()
    .find_map(|kind| {
        addresses
            .iter()
            .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|a| a.get("address").and_then(Value::as_str))
            .filter(|a| !a.is_empty())
    })?;
    let port = node
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .unwrap_or(DEFAULT_KUBELET_PORT);
    Some((host.to_string(), port))
}

/// The names of a pod's containers in upstream's visiting order: init
/// containers, containers, ephemeral containers.
fn container_names(pod: &Value) -> Vec<&str> {
    [
        "/spec/initContainers",
        "/spec/containers",
        "/spec/ephemeralContainers",
    ]
    .iter()
    .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
    .flatten()
    .filter_map(|c| c.get("name").and_then(Value::as_str))
    .collect()
}

/// The container a request is about, as upstream's `validateContainer`: the
/// only container when none is named, else the named one if the pod has it.
pub fn validate_container(pod: &Value, name: &str, container: &str) -> Result<String> {
    if !container.is_empty() {
        if container_names(pod).contains(&container) {
            return Ok(container.to_string());
        }
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let containers: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    match containers.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {name}"
        ))),
        _ => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            container_names(pod).join(" ")
        ))),
    }
}

async fn read_object(state: &State, resource: &str, namespace: &str, name: &str) -> Result<Value> {
    let info = api::resource::lookup("", "v1", resource)
        .ok_or_else(|| ApiError::internal(format!("no resource {resource}")))?;
    let response = state
        .store
        .get(&super::key(info, namespace, name), 0)
        .await?;
    let kv = response.kv.ok_or_else(|| ApiError::NotFound {
        resource: resource.to_string(),
        name: name.to_string(),
    })?;
    codec::decode_stored(&kv.value, kv.mod_revision).map_err(ApiError::internal)
}

/// The kubelet of the node a pod runs on.
async fn pod_kubelet(state: &State, node: &str) -> Result<(String, u16)> {
    let node_object = read_object(state, "nodes", "", node).await?;
    kubelet_location(&node_object).ok_or_else(|| {
        ApiError::internal(format!(
            "node {node} has no addresses to reach its kubelet at"
        ))
    })
}

/// A query string of `pairs`, percent-encoded.
fn encode_query(pairs: &[(&str, String)]) -> String {
    fn encode(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(byte as char)
                }
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        out
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every value of every key of a raw query, in order, decoded.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                crate::request::parse_query(Some(&format!("k={s}")))
                    .remove("k")
                    .unwrap_or_default()
            };
            (decode(key), decode(value))
        })
        .collect()
}

fn is_true(value: &str) -> bool {
    matches!(value, "true" | "1" | "True" | "TRUE" | "t" | "T")
}

/// The error a kubelet's non-success answer becomes, as upstream's
/// `GenericHttpResponseChecker`.
fn kubelet_error(code: StatusCode, body: &[u8], name: &str) -> Response<Body> {
    let text = String::from_utf8_lossy(body).into_owned();
    let error = match code.as_u16() {
        400 => Some(ApiError::bad_request(text.clone())),
        500 => Some(ApiError::internal(format!(
            "Internal error occurred: {text}"
        ))),
        _ => None,
    };
    if let Some(error) = error {
        return crate::http::error_response(&error);
    }
    let (reason, message) = match code.as_u16() {
        401 => ("Unauthorized", "the server has asked for the client to provide credentials"),
        403 => ("Forbidden", "the server does not allow access to the requested resource"),
        404 => ("NotFound", "the server could not find the requested resource"),
        409 => ("Conflict", "the server reported a conflict"),
        422 => ("Invalid", "the server rejected our request due to an error in our request"),
        429 => ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
        503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
        504 => ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request"),
        _ => ("", "an error on the server has prevented the request from succeeding"),
    };
    let mut status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": format!("{message} ( pods/log {name})"),
        "reason": reason,
        "details": {"name": name, "kind": "pods/log"},
        "code": code.as_u16(),
    });
    if !text.is_empty() {
        status["details"]["causes"] =
            json!([{"reason": "UnexpectedServerResponse", "message": text}]);
    }
    respond(code, Format::Json, &status)
}

/// `GET pods/NAME/log`: the container checked as upstream, then the node's
/// kubelet asked; its answer is streamed through. A pod without a node has
/// no logs yet: 204, as upstream.
pub async fn log(ctx: &Context) -> Result<Response<Body>> {
    let name = &ctx.info.name;
    let pod = read_object(&ctx.state, "pods", &ctx.info.namespace, name).await?;
    let asked = ctx.query.get("container").map(String::as_str).unwrap_or("");
    let container = validate_container(&pod, name, asked)?;
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() {
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return Ok(response);
    }
    let (host, port) = pod_kubelet(&ctx.state, node).await?;
    let mut params = Vec::new();
    for flag in ["follow", "previous", "timestamps"] {
        if ctx.query.get(flag).is_some_and(|v| is_true(v)) {
            params.push((flag, "true".to_string()));
        }
    }
    for number in ["sinceSeconds", "sinceTime", "tailLines", "limitBytes"] {
        if let Some(value) = ctx.query.get(number).filter(|v| !v.is_empty()) {
            params.push((number, value.clone()));
        }
    }
    let namespace = &ctx.info.namespace;
    let mut path = format!("/containerLogs/{namespace}/{name}/{container}");
    if !params.is_empty() {
        path = format!("{path}?{}", encode_query(&params));
    }
    let request = Request::builder()
        .method(Method::GET)
        .uri(&path)
        .header(HOST, join_host_port(&host, port))
        .body(empty())
        .map_err(ApiError::internal)?;
    let response = ctx
        .state
        .kubelet
        .send(&host, port, request)
        .await
        .map_err(|error| {
            ApiError::internal(format!(
                "Get \"https://{}{path}\": {error}",
                join_host_port(&host, port)
            ))
        })?;
    let status = response.status();
    if !status.is_success() {
        let body = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let limit = body.len().min(50_000);
        return Ok(kubelet_error(status, &body[..limit], name));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/plain"));
    let body = response.into_body().map_err(std::io::Error::other).boxed();
    let mut out = Response::new(body);
    out.headers_mut().insert(CONTENT_TYPE, content_type);
    Ok(out)
}

/// Whether a routed request is one of the upgrading pod subresources this
/// module proxies (`exec`, `attach`, `portforward`).
pub fn streams(info: &RequestInfo) -> bool {
    info.group.is_empty()
        && info.resource == "pods"
        && !info.name.is_empty()
        && matches!(info.subresource.as_str(), "exec" | "attach" | "portforward")
}

/// Request headers the upgrade needs on the kubelet's side.
fn forwarded(name: &HeaderName) -> bool {
    let name = name.as_str();
    name == "upgrade"
        || name == "connection"
        || name == "user-agent"
        || name == "origin"
        || name == "content-type"
        || name == "x-stream-protocol-version"
        || name.starts_with("sec-websocket-")
}

/// `pods/exec`, `pods/attach` (GET or POST) and `pods/portforward`: the
/// parameters re-encoded as upstream sends them to kubelets, the upgrade
/// forwarded, the kubelet's answer returned and, on `101`, both
/// connections spliced.
pub async fn stream(
    state: &Arc<State>,
    info: RequestInfo,
    request: Request<Incoming>,
) -> Result<Response<Body>> {
    if !matches!(*request.method(), Method::GET | Method::POST) {
        return Err(ApiError::MethodNotAllowed);
    }
    if info.namespace.is_empty() || info.version != "v1" {
        return Err(ApiError::NoRoute);
    }
    let name = &info.name;
    let namespace = &info.namespace;
    let pod = read_object(state, "pods", namespace, name).await?;
    let pairs = query_pairs(request.uri().query());
    let value = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    let (kind, container) = match info.subresource.as_str() {
        "portforward" => ("portForward", None),
        sub => {
            let container = validate_container(&pod, name, value("container").unwrap_or(""))?;
            for flag in ["stdin", "stdout", "stderr", "tty"] {
                if value(flag).is_some_and(is_true) {
                    params.push((flag, "1".to_string()));
                }
            }
            if sub == "exec" {
                for (_, command) in pairs.iter().filter(|(k, _)| k == "command") {
                    params.push(("command", command.clone()));
                }
            }
            (
                if sub == "exec" { "exec" } else { "attach" },
                Some(container),
            )
        }
    };
    if kind == "portForward" {
        let ports: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "ports")
            .map(|(_, v)| v.as_str())
            .collect();
        if !ports.is_empty() {
            params.push(("ports", ports.join(",")));
        }
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let (host, port) = pod_kubelet(state, node).await?;
    let mut path = match &container {
        Some(container) => format!("/{kind}/{namespace}/{name}/{container}"),
        None => format!("/{kind}/{namespace}/{name}"),
    };
    if !params.is_empty() {
        path = format!("{path}?{}", encode_query(&params));
    }
    let mut upstream = Request::builder()
        .method(request.method().clone())
        .uri(&path)
        .header(HOST, join_host_port(&host, port));
    for (header, value) in request.headers() {
        if forwarded(header) {
            upstream = upstream.header(header, value);
        }
    }
    let upstream = upstream.body(empty()).map_err(ApiError::internal)?;
    let upgrading = request.headers().contains_key(UPGRADE);
    let response = state
        .kubelet
        .send(&host, port, upstream)
        .await
        .map_err(|error| ApiError::internal(format!("error dialing backend: {error}")))?;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS || !upgrading {
        // Not upgraded: the kubelet's answer as it is.
        let (parts, body) = response.into_parts();
        return Ok(Response::from_parts(
            parts,
            body.map_err(std::io::Error::other).boxed(),
        ));
    }
    let mut answer = Response::new(empty());
    *answer.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (header, value) in response.headers() {
        answer.headers_mut().append(header, value.clone());
    }
    if !answer.headers().contains_key(CONNECTION) {
        answer
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    }
    tokio::spawn(splice(request, response));
    Ok(answer)
}

/// Copies bytes both ways between the client's and the kubelet's upgraded
/// connections until either side closes.
async fn splice(client: Request<Incoming>, kubelet: Response<Incoming>) {
    let (client, kubelet) =
        match tokio::join!(hyper::upgrade::on(client), hyper::upgrade::on(kubelet)) {
            (Ok(client), Ok(kubelet)) => (client, kubelet),
            (Err(error), _) | (_, Err(error)) => {
                tracing::debug!(%error, "a connection upgrade to a kubelet failed");
                return;
            }
        };
    let mut client = TokioIo::new(client);
    let mut kubelet = TokioIo::new(kubelet);
    if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut kubelet).await {
        tracing::debug!(%error, "a stream to a kubelet ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_as_upstream_validates_them() {
        let pod = json!({"spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "a"}, {"name": "b"}],
        }});
        assert_eq!(
            validate_container(&pod, "p", "").unwrap_err().to_string(),
            "a container name must be specified for pod p, choose one of: [init a b]"
        );
        assert_eq!(
            validate_container(&pod, "p", "x").unwrap_err().to_string(),
            "container x is not valid for pod p"
        );
        assert_eq!(validate_container(&pod, "p", "init").unwrap(), "init");
        let one = json!({"spec": {"containers": [{"name": "only"}]}});
        assert_eq!(validate_container(&one, "p", "").unwrap(), "only");
    }

    #[test]
    fn kubelet_addresses() {
        let node = json!({"status": {
            "addresses": [{"type": "Hostname", "address": "n1"}, {"type": "InternalIP", "address": "10.0.0.2"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 12345}},
        }});
        assert_eq!(kubelet_location(&node), Some(("10.0.0.2".into(), 12345)));
        let node = json!({"status": {"addresses": [{"type": "Hostname", "address": "n1"}]}});
        assert_eq!(kubelet_location(&node), Some(("n1".into(), 10250)));
        assert_eq!(kubelet_location(&json!({})), None);
        assert_eq!(join_host_port("::1", 1), "[::1]:1");
    }

    #[test]
    fn queries() {
        let pairs = query_pairs(Some("command=sh&command=-c&command=echo+a%26b&stdin=true"));
        assert_eq!(pairs[2], ("command".to_string(), "echo a&b".to_string()));
        assert_eq!(
            encode_query(&[("command", "echo a&b".into()), ("stdin", "1".into())]),
            "command=echo+a%26b&stdin=1"
        );
    }

    #[test]
    fn kubelet_errors_as_upstream_checks_them() {
        let response = kubelet_error(
            StatusCode::BAD_REQUEST,
            b"previous terminated container \"c\" in pod \"p\" not found",
            "p",
        );
        assert_eq!(response.status(), 400);
        let response = kubelet_error(StatusCode::NOT_FOUND, b"pod \"p_ns\" does not exist\n", "p");
        assert_eq!(response.status(), 404);
    }
}

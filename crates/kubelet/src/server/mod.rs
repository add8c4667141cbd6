//! The kubelet HTTPS server: healthz, pods, logs, exec, attach, port-forward,
//! metrics and stats, which the API server proxies pods/log, pods/exec,
//! pods/attach and pods/portforward to.
//!
//! Every client must present a certificate signed by the cluster CA (the API
//! server presents its kubelet client certificate); a request without one is
//! answered 401, and one whose certificate is neither in `system:masters`
//! nor the API server's kubelet client is answered 403 (upstream's kubelet
//! asks the API server through SubjectAccessReviews instead).
//!
//! HTTP/1.1 with connection upgrades (exec, attach and port-forward switch
//! protocols) and HTTP/2 are served on one port.

pub mod exec;
mod logs;
pub mod portforward;
pub mod remotecommand;
pub mod spdy;
pub mod stats;
pub mod tls;
pub mod upgrade;
pub mod websocket;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use k8s_openapi::api::core::v1::Pod;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::cri::{api, Cri};

pub use logs::{LogOptions, OptionsError};
pub use tls::{serving_certificate, CertifiedKey, Identity, TlsError};

/// The body of every kubelet server response.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// The pods the agent runs, asked on each request that needs them (`/pods`,
/// logs, the summary). The agent hands over a closure reading its own state.
pub type PodSource = Arc<dyn Fn() -> Vec<Pod> + Send + Sync>;

/// The user of the API server's kubelet client certificate (as kubeadm names it).
pub const APISERVER_KUBELET_CLIENT: &str = "kube-apiserver-kubelet-client";
/// The group whose members may do anything.
pub const MASTERS_GROUP: &str = "system:masters";

/// How the server runs.
#[derive(Clone)]
pub struct Config {
    /// Where to listen (upstream `--address`/`--port`, 0.0.0.0:10250).
    pub address: SocketAddr,
    pub node_name: String,
    /// The serving certificate ([`serving_certificate`]).
    pub serving: CertifiedKey,
    /// The CA that signs client certificates (the cluster CA).
    pub client_ca_pem: String,
    pub cri: Cri,
    pub pods: PodSource,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("kubelet server tls: {0}")]
    Tls(#[from] TlsError),
    #[error("kubelet server listening on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// What every request shares.
struct Shared {
    node_name: String,
    cri: Cri,
    pods: PodSource,
    /// The node's last reading, for its cpu rate.
    previous_node: Mutex<Option<stats::NodeUsage>>,
    requests: Mutex<BTreeMap<(String, String), u64>>,
    start_time: f64,
}

/// A serving kubelet server; stops when dropped or [`Server::stop`]ped.
pub struct Server {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Binds the address and serves in the background.
    pub async fn start(config: Config) -> Result<Server, ServerError> {
        let tls = tokio_rustls::TlsAcceptor::from(tls::server_config(
            &config.serving,
            &config.client_ca_pem,
        )?);
        let listener =
            TcpListener::bind(config.address)
                .await
                .map_err(|source| ServerError::Bind {
                    address: config.address,
                    source,
                })?;
        let address = listener.local_addr().map_err(|source| ServerError::Bind {
            address: config.address,
            source,
        })?;
        let shared = Arc::new(Shared {
            node_name: config.node_name,
            cri: config.cri,
            pods: config.pods,
            previous_node: Mutex::new(None),
            requests: Mutex::new(BTreeMap::new()),
            start_time: chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, tls, shared, stopped));
        tracing::info!(%address, "kubelet server listening");
        Ok(Server {
            address,
            stop,
            task: Some(task),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Stops accepting and ends the open connections.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept(
    listener: TcpListener,
    tls: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "kubelet server: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let tls = tls.clone();
        let shared = shared.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(Duration::from_secs(10), tls.accept(stream));
            let stream = match handshake.await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "kubelet server: tls handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let identity = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(tls::identity);
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                let identity = identity.clone();
                async move { Ok::<_, Infallible>(handle(shared, identity, request).await) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "kubelet server: connection ended with an error");
                    }
                }
                _ = stopped.changed() => {}
            }
        });
    }
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A plain-text answer, as upstream's kubelet writes errors.
fn text(code: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = code;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json(value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(serde_json::to_vec(value).unwrap_or_default()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn prometheus(body: String) -> Response<Body> {
    let mut response = Response::new(full(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Whether a verified client may use the kubelet's API.
fn authorized(identity: &Identity) -> bool {
    identity.user == APISERVER_KUBELET_CLIENT || identity.groups.iter().any(|g| g == MASTERS_GROUP)
}

/// The verb and subresource of `nodes/*` upstream's kubelet authorizes a
/// path as.
fn attributes(method: &Method, path: &str) -> (&'static str, &'static str) {
    let verb = match *method {
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "get",
    };
    let subresource = if path.starts_with("/stats") {
        "stats"
    } else if path.starts_with("/metrics") {
        "metrics"
    } else if path.starts_with("/logs") {
        "log"
    } else {
        "proxy"
    };
    (verb, subresource)
}

async fn handle(
    shared: Arc<Shared>,
    identity: Option<Identity>,
    request: Request<Incoming>,
) -> Response<Body> {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let Some(identity) = identity else {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    if !authorized(&identity) {
        let (verb, subresource) = attributes(&method, &path);
        return text(
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden (user={}, verb={verb}, resource=nodes, subresource={subresource})",
                identity.user
            ),
        );
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Ok(mut requests) = shared.requests.lock() {
        let first = segments.first().copied().unwrap_or("").to_string();
        *requests.entry((method.to_string(), first)).or_default() += 1;
    }
    let get = method == Method::GET || method == Method::HEAD;
    let streaming = method == Method::GET || method == Method::POST;
    match segments.as_slice() {
        ["healthz", ..] if get => text(StatusCode::OK, "ok"),
        ["pods"] if get => pods(&shared),
        ["containerLogs", namespace, pod, container] if get => {
            let query = query(request.uri().query());
            container_logs(&shared, namespace, pod, container, &query).await
        }
        ["exec", namespace, pod, container] | ["exec", namespace, pod, _, container]
            if streaming =>
        {
            let (namespace, pod, container) = (
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            );
            exec::exec(&shared.cri, &namespace, &pod, &container, request).await
        }
        ["attach", namespace, pod, container] | ["attach", namespace, pod, _, container]
            if streaming =>
        {
            let (namespace, pod, container) = (
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            );
            exec::attach(&shared.cri, &namespace, &pod, &container, request).await
        }
        ["portForward", namespace, pod] | ["portForward", namespace, pod, _] if streaming => {
            let (namespace, pod) = (namespace.to_string(), pod.to_string());
            portforward::port_forward(&shared.cri, &namespace, &pod, request).await
        }
        ["metrics"] if get => metrics(&shared).await,
        ["metrics", "resource"] if get => {
            let snapshot = snapshot(&shared).await;
            prometheus(stats::resource_metrics(&snapshot))
        }
        ["stats", "summary"] if get => {
            let snapshot = snapshot(&shared).await;
            json(&stats::summary(
                &shared.node_name,
                &snapshot,
                &(shared.pods)(),
            ))
        }
        _ => text(StatusCode::NOT_FOUND, "404 page not found\n"),
    }
}

/// Decodes a query string (percent-encoding, `+` as space); the last value
/// of a repeated key wins.
fn query(raw: Option<&str>) -> std::collections::HashMap<String, String> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                other => out.push(other),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn pods(shared: &Shared) -> Response<Body> {
    let items: Vec<serde_json::Value> = (shared.pods)()
        .iter()
        .filter_map(|pod| serde_json::to_value(pod).ok())
        .map(|mut pod| {
            if let Some(object) = pod.as_object_mut() {
                object.insert("apiVersion".into(), "v1".into());
                object.insert("kind".into(), "Pod".into());
            }
            pod
        })
        .collect();
    json(&serde_json::json!({
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {},
        "items": items,
    }))
}

async fn snapshot(shared: &Shared) -> stats::Snapshot {
    let previous = shared.previous_node.lock().ok().and_then(|p| p.clone());
    let node = stats::node(previous.as_ref());
    if let Ok(mut slot) = shared.previous_node.lock() {
        *slot = Some(node.clone());
    }
    let (containers, scrape_error) = match stats::containers(&shared.cri).await {
        Ok(containers) => (containers, false),
        Err(error) => {
            tracing::warn!(%error, "kubelet server: reading container stats");
            (Vec::new(), true)
        }
    };
    stats::Snapshot {
        node,
        containers,
        scrape_error,
    }
}

async fn metrics(shared: &Shared) -> Response<Body> {
    let mut containers = BTreeMap::new();
    if let Ok(listed) = shared
        .cri
        .runtime()
        .list_containers(api::ListContainersRequest { filter: None })
        .await
    {
        for container in listed.into_inner().containers {
            *containers
                .entry(stats::state_name(container.state))
                .or_default() += 1;
        }
    }
    let running_pods = shared
        .cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest {
            filter: Some(api::PodSandboxFilter {
                state: Some(api::PodSandboxStateValue {
                    state: api::PodSandboxState::SandboxReady as i32,
                }),
                ..Default::default()
            }),
        })
        .await
        .map(|r| r.into_inner().items.len())
        .unwrap_or(0);
    let metrics = stats::KubeletMetrics {
        node_name: shared.node_name.clone(),
        running_pods,
        containers,
        requests: shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default(),
        start_time: shared.start_time,
    };
    prometheus(stats::kubelet_metrics(&metrics))
}

/// The container a log request reads, as upstream's
/// `validateContainerLogStatus` picks it from the pod's status.
fn container_from_status(
    pod: &Pod,
    container: &str,
    previous: bool,
) -> Result<Option<String>, String> {
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let Some(status) = pod.status.as_ref().and_then(|status| {
        [
            &status.container_statuses,
            &status.init_container_statuses,
            &status.ephemeral_container_statuses,
        ]
        .into_iter()
        .flatten()
        .flatten()
        .find(|s| s.name == container)
    }) else {
        // Not reported yet: ask the runtime.
        return Ok(None);
    };
    let strip = |id: &str| id.split_once("://").map_or(id, |(_, id)| id).to_string();
    let last_terminated = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    let state = status.state.as_ref();
    if previous {
        return match last_terminated.and_then(|t| t.container_id.as_deref()) {
            Some(id) if !id.is_empty() => Ok(Some(strip(id))),
            _ => Err(format!(
                "previous terminated container \"{container}\" in pod \"{name}\" not found"
            )),
        };
    }
    if state.and_then(|s| s.running.as_ref()).is_some() {
        return Ok(status.container_id.as_deref().map(strip));
    }
    let terminated = state
        .and_then(|s| s.terminated.as_ref())
        .or(last_terminated);
    if let Some(terminated) = terminated {
        return match terminated.container_id.as_deref() {
            Some(id) if !id.is_empty() => Ok(Some(strip(id))),
            _ => Err(format!(
                "container \"{container}\" in pod \"{name}\" is terminated"
            )),
        };
    }
    match state.and_then(|s| s.waiting.as_ref()) {
        Some(waiting) => {
            let reason = waiting.reason.as_deref().unwrap_or("");
            Err(match reason {
                "ErrImagePull" => format!(
                    "container \"{container}\" in pod \"{name}\" is waiting to start: image can't be pulled"
                ),
                "ImagePullBackOff" => format!(
                    "container \"{container}\" in pod \"{name}\" is waiting to start: trying and failing to pull image"
                ),
                reason => format!(
                    "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
                ),
            })
        }
        None => Err(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start - no logs yet"
        )),
    }
}

fn has_container(pod: &Pod, container: &str) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    spec.containers.iter().any(|c| c.name == container)
        || spec
            .init_containers
            .iter()
            .flatten()
            .any(|c| c.name == container)
        || spec
            .ephemeral_containers
            .iter()
            .flatten()
            .any(|c| c.name == container)
}

/// `GET /containerLogs/{namespace}/{pod}/{container}`.
async fn container_logs(
    shared: &Shared,
    namespace: &str,
    name: &str,
    container: &str,
    query: &std::collections::HashMap<String, String>,
) -> Response<Body> {
    let options = match LogOptions::from_query(query, chrono::Utc::now()) {
        Ok(options) => options,
        Err(error @ OptionsError::Decode) => {
            return text(StatusCode::BAD_REQUEST, error.to_string())
        }
        Err(error @ OptionsError::Invalid) => {
            return text(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
        }
    };
    let full_name = format!("{name}_{namespace}");
    let known = (shared.pods)().into_iter().find(|p| {
        p.metadata.namespace.as_deref() == Some(namespace)
            && p.metadata.name.as_deref() == Some(name)
    });
    let mut id = None;
    if let Some(pod) = &known {
        if !has_container(pod, container) {
            return text(
                StatusCode::NOT_FOUND,
                format!("container \"{container}\" not found in pod \"{full_name}\"\n"),
            );
        }
        match container_from_status(pod, container, options.previous) {
            Ok(found) => id = found,
            Err(message) => return text(StatusCode::BAD_REQUEST, message),
        }
    }
    if id.is_none() {
        let (newest, before) = match shared.cri.find_container(namespace, name, container).await {
            Ok(found) => found,
            Err(error) => return text(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
        };
        if known.is_none() && newest.is_none() {
            return text(
                StatusCode::NOT_FOUND,
                format!("pod \"{full_name}\" does not exist\n"),
            );
        }
        let chosen = if options.previous { before } else { newest };
        match chosen {
            Some(found) => id = Some(found.id),
            None if options.previous => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "previous terminated container \"{container}\" in pod \"{name}\" not found"
                    ),
                )
            }
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("container \"{container}\" in pod \"{name}\" is not available"),
                )
            }
        }
    }
    let Some(id) = id else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("container \"{container}\" in pod \"{name}\" is not available"),
        );
    };
    let status = shared
        .cri
        .runtime()
        .container_status(api::ContainerStatusRequest {
            container_id: id.clone(),
            verbose: false,
        })
        .await
        .map(|r| r.into_inner().status);
    let path = match status {
        Ok(Some(status)) if !status.log_path.is_empty() => status.log_path,
        Ok(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("container \"{container}\" in pod \"{name}\" has no log file"),
            )
        }
        Err(error) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("failed to get container status {id:?}: {}", error.message()),
            )
        }
    };
    let file = match logs::LogFile::open(std::path::Path::new(&path), &options).await {
        Ok(file) => file,
        Err(error) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("failed to open log file {path:?}: {error}"),
            )
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(logs::stream(shared.cri.clone(), id, file, options, tx));
    let frames = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, std::io::Error>(Frame::data(chunk)), rx))
    });
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
        ContainerStatus, PodStatus,
    };

    fn pod(status: ContainerStatus) -> Pod {
        Pod {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("p".into()),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            status: Some(PodStatus {
                container_statuses: Some(vec![status]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn status(state: ContainerState, last: Option<ContainerState>) -> ContainerStatus {
        ContainerStatus {
            name: "c".into(),
            container_id: Some("containerd://abc".into()),
            state: Some(state),
            last_state: last,
            ..Default::default()
        }
    }

    #[test]
    fn log_container_from_status() {
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..Default::default()
        };
        let p = pod(status(running.clone(), None));
        assert_eq!(
            container_from_status(&p, "c", false),
            Ok(Some("abc".into()))
        );
        assert_eq!(
            container_from_status(&p, "c", true),
            Err("previous terminated container \"c\" in pod \"p\" not found".into())
        );
        let last = ContainerState {
            terminated: Some(ContainerStateTerminated {
                container_id: Some("containerd://old".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let p = pod(status(running, Some(last)));
        assert_eq!(container_from_status(&p, "c", true), Ok(Some("old".into())));
        let waiting = ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some("ContainerCreating".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let p = pod(status(waiting, None));
        assert_eq!(
            container_from_status(&p, "c", false),
            Err("container \"c\" in pod \"p\" is waiting to start: ContainerCreating".into())
        );
        assert_eq!(container_from_status(&p, "other", false), Ok(None));
    }

    #[test]
    fn queries_and_attributes() {
        let q = query(Some("follow=true&sinceTime=2024-01-01T00%3A00%3A00Z&x"));
        assert_eq!(q["follow"], "true");
        assert_eq!(q["sinceTime"], "2024-01-01T00:00:00Z");
        assert_eq!(q["x"], "");
        assert_eq!(
            attributes(&Method::POST, "/exec/a/b/c"),
            ("create", "proxy")
        );
        assert_eq!(attributes(&Method::GET, "/stats/summary"), ("get", "stats"));
        let admin = Identity {
            user: "system:admin".into(),
            groups: vec![MASTERS_GROUP.into()],
        };
        assert!(authorized(&admin));
        let node = Identity {
            user: "system:node:n".into(),
            groups: vec!["system:nodes".into()],
        };
        assert!(!authorized(&node));
    }
}

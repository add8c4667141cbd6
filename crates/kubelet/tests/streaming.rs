//! exec, attach and port-forward against a real containerd: the kubelet's
//! streaming functions served by a plain HTTP/1.1 server on 127.0.0.1, driven
//! by a WebSocket v5 client (what kubectl 1.32 tries first), by raw SPDY
//! upgrades (kubectl's fallback, handed on to containerd unchanged) and by
//! port-forward's SPDY-over-WebSocket tunnel.
//!
//! The pod runs with host networking (no CNI needed); what listens in it
//! binds 127.0.0.1 only. Needs root and containerd/runc on PATH (skipped,
//! with a message, otherwise). Everything it starts is stopped at the end,
//! also when a check fails.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, SinkExt, StreamExt};
use http::{Request, StatusCode};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kubelet::containerd::{CgroupDriver, Config, Containerd};
use kubelet::cri::{api, labels, Cri};
use kubelet::images;
use kubelet::server::remotecommand::channel;
use kubelet::server::{exec, portforward, spdy, websocket};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const NAMESPACE: &str = "default";
const POD: &str = "streaming";
const UID: &str = "0d7c3a52-streaming-test";
const BUSYBOX: &str = "rkube.local/busybox:streaming-test";
/// The bound on every exchange with the server.
const LIMIT: Duration = Duration::from_secs(60);

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[path = "streaming/kubectl.rs"]
mod kubectl;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

fn runnable() -> bool {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root || !on_path("containerd") || !on_path("runc") || !Path::new(images::BUSYBOX).exists() {
        eprintln!(
            "streaming test skipped: needs root, containerd, runc and {}",
            images::BUSYBOX
        );
        return false;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_attach_and_port_forward_through_containerd() {
    if !runnable() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        dir: dir.path().join("containerd"),
        sandbox_image: images::pause::REFERENCE.to_string(),
        cni_bin_dir: "/usr/lib/cni".into(),
        cni_conf_dir: dir.path().join("cni"),
        cgroup_driver: CgroupDriver::detect(),
    };
    let (containerd, cri) = Containerd::start(&config).await.expect("containerd starts");

    let outcome = std::panic::AssertUnwindSafe(async {
        import(&config, dir.path()).await?;
        let pod = Pod::run(&cri, dir.path()).await?;
        let checks = std::panic::AssertUnwindSafe(checks(&cri))
            .catch_unwind()
            .await;
        pod.remove(&cri).await;
        match checks {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
    .catch_unwind()
    .await;
    containerd.stop().await;
    if !matches!(outcome, Ok(Ok(()))) {
        let log = std::fs::read_to_string(config.dir.join("containerd.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        eprintln!("containerd.log, last lines:");
        for line in tail.iter().rev() {
            eprintln!("  {line}");
        }
    }
    match outcome {
        Ok(result) => result.expect("streaming checks"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Imports the pause and busybox images into the runtime.
async fn import(config: &Config, dir: &Path) -> TestResult {
    let socket = config.socket();
    images::ensure_pause(&socket, dir).await?;
    images::import_bytes(&socket, dir, "busybox", &images::busybox(BUSYBOX)?).await?;
    Ok(())
}

/// The test's pod: a host-network sandbox with a `sleep 3600` container
/// (`main`) and one printing a line a second (`ticker`).
struct Pod {
    sandbox: String,
}

impl Pod {
    async fn run(cri: &Cri, dir: &Path) -> Result<Pod, Box<dyn std::error::Error + Send + Sync>> {
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let pod_labels: HashMap<String, String> = [
            (labels::POD_NAME.to_string(), POD.to_string()),
            (labels::POD_NAMESPACE.to_string(), NAMESPACE.to_string()),
            (labels::POD_UID.to_string(), UID.to_string()),
        ]
        .into();
        let sandbox_config = api::PodSandboxConfig {
            metadata: Some(api::PodSandboxMetadata {
                name: POD.into(),
                uid: UID.into(),
                namespace: NAMESPACE.into(),
                attempt: 0,
            }),
            log_directory: logs.display().to_string(),
            labels: pod_labels.clone(),
            linux: Some(api::LinuxPodSandboxConfig {
                security_context: Some(api::LinuxSandboxSecurityContext {
                    namespace_options: Some(api::NamespaceOption {
                        network: api::NamespaceMode::Node as i32,
                        pid: api::NamespaceMode::Container as i32,
                        ipc: api::NamespaceMode::Pod as i32,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let sandbox = cri
            .runtime()
            .run_pod_sandbox(api::RunPodSandboxRequest {
                config: Some(sandbox_config.clone()),
                runtime_handler: String::new(),
            })
            .await?
            .into_inner()
            .pod_sandbox_id;
        let pod = Pod { sandbox };
        for (name, command) in [
            ("main", vec!["sleep", "3600"]),
            (
                "ticker",
                vec!["sh", "-c", "while true; do echo tick; sleep 1; done"],
            ),
        ] {
            let mut container_labels = pod_labels.clone();
            container_labels.insert(labels::CONTAINER_NAME.into(), name.into());
            let created = cri
                .runtime()
                .create_container(api::CreateContainerRequest {
                    pod_sandbox_id: pod.sandbox.clone(),
                    config: Some(api::ContainerConfig {
                        metadata: Some(api::ContainerMetadata {
                            name: name.into(),
                            attempt: 0,
                        }),
                        image: Some(api::ImageSpec {
                            image: BUSYBOX.into(),
                            ..Default::default()
                        }),
                        command: command.iter().map(|s| s.to_string()).collect(),
                        labels: container_labels,
                        log_path: format!("{name}.log"),
                        ..Default::default()
                    }),
                    sandbox_config: Some(sandbox_config.clone()),
                })
                .await;
            let id = match created {
                Ok(created) => created.into_inner().container_id,
                Err(err) => {
                    pod.remove(cri).await;
                    return Err(err.into());
                }
            };
            if let Err(err) = cri
                .runtime()
                .start_container(api::StartContainerRequest { container_id: id })
                .await
            {
                pod.remove(cri).await;
                return Err(err.into());
            }
        }
        Ok(pod)
    }

    async fn remove(&self, cri: &Cri) {
        let id = self.sandbox.clone();
        let _ = cri
            .runtime()
            .stop_pod_sandbox(api::StopPodSandboxRequest {
                pod_sandbox_id: id.clone(),
            })
            .await;
        if let Err(err) = cri
            .runtime()
            .remove_pod_sandbox(api::RemovePodSandboxRequest { pod_sandbox_id: id })
            .await
        {
            eprintln!("removing the test sandbox: {err}");
        }
    }
}

/// Serves the streaming functions as the kubelet's server routes them.
async fn serve(cri: Cri) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let cri = cri.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let cri = cri.clone();
                    async move { Ok::<_, Infallible>(route(&cri, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok((address, task))
}

async fn route(cri: &Cri, request: Request<Incoming>) -> http::Response<kubelet::server::Body> {
    let path = request.uri().path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["exec", ns, pod, container] => exec::exec(cri, ns, pod, container, request).await,
        ["attach", ns, pod, container] => exec::attach(cri, ns, pod, container, request).await,
        ["portForward", ns, pod] => portforward::port_forward(cri, ns, pod, request).await,
        _ => {
            kubelet::server::upgrade::status_response(StatusCode::NOT_FOUND, "NotFound", "no route")
        }
    }
}

async fn checks(cri: &Cri) -> TestResult {
    let (address, server) = serve(cri.clone()).await?;
    let result = async {
        tokio::time::timeout(LIMIT, exec_exit_code(address)).await??;
        tokio::time::timeout(LIMIT, exec_stdin_is_closed(address)).await??;
        tokio::time::timeout(LIMIT, exec_tty_resize(address)).await??;
        tokio::time::timeout(LIMIT, exec_over_spdy(address)).await??;
        tokio::time::timeout(LIMIT, unsupported_websocket_is_refused(address)).await??;
        tokio::time::timeout(LIMIT, attach_reads_output(address)).await??;
        let port = tokio::time::timeout(LIMIT, port_forward(address)).await??;
        if on_path("kubectl") {
            kubectl::checks(cri, port).await?;
        } else {
            eprintln!("kubectl checks skipped: no kubectl on PATH");
        }
        Ok(())
    }
    .await;
    server.abort();
    result
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// What a v5 session gave back: stdout, stderr and the error channel.
#[derive(Debug, Default)]
struct Session {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    error: Vec<u8>,
}

impl Session {
    fn status(&self) -> serde_json::Value {
        serde_json::from_slice(&self.error).unwrap_or(serde_json::Value::Null)
    }
}

/// Runs a WebSocket v5 session as client-go does: stdin (if any) then the
/// close signal for channel 0, and everything the server sends until its
/// close frame.
async fn ws_session(
    address: SocketAddr,
    path: &str,
    stdin: Option<&[u8]>,
) -> Result<Session, Box<dyn std::error::Error + Send + Sync>> {
    ws_session_with(address, path, &[], stdin).await
}

/// [`ws_session`], sending these channel messages first.
async fn ws_session_with(
    address: SocketAddr,
    path: &str,
    first: &[(u8, &[u8])],
    stdin: Option<&[u8]>,
) -> Result<Session, Box<dyn std::error::Error + Send + Sync>> {
    let mut request = format!("ws://{address}{path}").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "v5.channel.k8s.io".parse()?);
    let tcp = TcpStream::connect(address).await?;
    let (mut socket, response) = tokio_tungstenite::client_async(request, tcp).await?;
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "v5.channel.k8s.io"
    );
    for (channel, data) in first {
        socket
            .send(websocket::channel_message(*channel, data))
            .await?;
    }
    if let Some(stdin) = stdin {
        socket
            .send(websocket::channel_message(channel::STDIN, stdin))
            .await?;
        socket
            .send(websocket::channel_message(
                channel::CLOSE,
                &[channel::STDIN],
            ))
            .await?;
    }
    let mut session = Session::default();
    while let Some(message) = socket.next().await {
        match message? {
            Message::Binary(payload) => match websocket::split_channel(&payload) {
                Some((channel::STDOUT, data)) => session.stdout.extend_from_slice(data),
                Some((channel::STDERR, data)) => session.stderr.extend_from_slice(data),
                Some((channel::ERROR, data)) => session.error.extend_from_slice(data),
                _ => {}
            },
            Message::Close(frame) => {
                let code = frame.map(|f| u16::from(f.code));
                assert_eq!(code, Some(1000), "a normal close ends the session");
                break;
            }
            _ => {}
        }
    }
    Ok(session)
}

async fn exec_exit_code(address: SocketAddr) -> TestResult {
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[
            ("command", "sh"),
            ("command", "-c"),
            ("command", "echo out; echo err >&2; exit 3"),
            ("stdout", "true"),
            ("stderr", "true"),
        ])
    );
    let session = ws_session(address, &path, None).await?;
    assert_eq!(session.stdout, b"out\n");
    assert_eq!(session.stderr, b"err\n");
    let status = session.status();
    assert_eq!(status["status"], "Failure", "{status}");
    assert_eq!(status["reason"], "NonZeroExitCode", "{status}");
    assert_eq!(
        status["details"]["causes"][0]["reason"], "ExitCode",
        "{status}"
    );
    assert_eq!(status["details"]["causes"][0]["message"], "3", "{status}");
    Ok(())
}

async fn exec_stdin_is_closed(address: SocketAddr) -> TestResult {
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[
            ("command", "sh"),
            ("command", "-c"),
            ("command", "cat; echo done"),
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "true"),
        ])
    );
    let session = ws_session(address, &path, Some(b"through stdin\n")).await?;
    assert_eq!(session.stdout, b"through stdin\ndone\n");
    assert_eq!(session.status()["status"], "Success", "{:?}", session);
    Ok(())
}

/// A terminal gets the size the client sends on the resize channel (the
/// command waits until the size has arrived: the resize and the process
/// start race in the runtime).
async fn exec_tty_resize(address: SocketAddr) -> TestResult {
    let script = "for i in $(seq 100); do s=$(stty size); [ \"$s\" = \"30 100\" ] && break; sleep 0.1; done; echo \"size $s\"";
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[
            ("command", "sh"),
            ("command", "-c"),
            ("command", script),
            ("stdout", "true"),
            ("stderr", "true"),
            ("tty", "true"),
        ])
    );
    let resize: &[u8] = br#"{"Width":100,"Height":30}"#;
    let session = ws_session_with(address, &path, &[(channel::RESIZE, resize)], None).await?;
    let stdout = String::from_utf8_lossy(&session.stdout);
    assert!(stdout.contains("size 30 100"), "{stdout:?}");
    assert!(session.stderr.is_empty(), "a terminal has no stderr");
    assert_eq!(session.status()["status"], "Success", "{session:?}");
    Ok(())
}

/// Opens a SPDY upgrade to `path` offering `version`; the 101's chosen
/// version and the upgraded connection.
async fn spdy_upgrade(
    address: SocketAddr,
    path: &str,
    version: &str,
) -> Result<(String, TokioIo<hyper::upgrade::Upgraded>), Box<dyn std::error::Error + Send + Sync>> {
    let tcp = TcpStream::connect(address).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(connection.with_upgrades());
    let request = Request::post(path)
        .header("host", address.to_string())
        .header("connection", "Upgrade")
        .header("upgrade", "SPDY/3.1")
        .header("x-stream-protocol-version", version)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let chosen = response
        .headers()
        .get("x-stream-protocol-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let upgraded = hyper::upgrade::on(response).await?;
    Ok((chosen, TokioIo::new(upgraded)))
}

/// Reads SPDY frames, gathering each stream's data, until `until` ends
/// (FIN or reset) or the session does.
async fn spdy_collect<R: AsyncRead + Unpin>(
    reader: &mut R,
    until: Option<u32>,
) -> Result<HashMap<u32, Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
    let mut data: HashMap<u32, Vec<u8>> = HashMap::new();
    while let Some(frame) = spdy::read_frame(reader).await? {
        match frame {
            spdy::Frame::Data {
                stream,
                fin,
                data: bytes,
            } => {
                data.entry(stream).or_default().extend_from_slice(&bytes);
                if fin && Some(stream) == until {
                    break;
                }
            }
            spdy::Frame::RstStream { stream, .. } if Some(stream) == until => break,
            spdy::Frame::GoAway { .. } => break,
            _ => {}
        }
    }
    Ok(data)
}

/// kubectl's fallback: the SPDY session goes to containerd unchanged.
async fn exec_over_spdy(address: SocketAddr) -> TestResult {
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[("command", "echo"), ("command", "spdy"), ("stdout", "true")])
    );
    let (chosen, mut io) = spdy_upgrade(address, &path, "v4.channel.k8s.io").await?;
    assert_eq!(chosen, "v4.channel.k8s.io");
    let mut encoder = spdy::Encoder::new();
    let mut opening = encoder.syn_stream(1, &[("streamtype", "error")], false)?;
    opening.extend(encoder.syn_stream(3, &[("streamtype", "stdout")], false)?);
    io.write_all(&opening).await?;
    io.flush().await?;
    let data = spdy_collect(&mut io, None).await?;
    assert_eq!(data.get(&3).map(Vec::as_slice), Some(&b"spdy\n"[..]));
    let status: serde_json::Value =
        serde_json::from_slice(data.get(&1).map_or(&[][..], Vec::as_slice))?;
    assert_eq!(status["status"], "Success");
    Ok(())
}

/// A WebSocket offer the kubelet does not speak gets a non-101 answer,
/// which is what makes kubectl fall back to SPDY.
async fn unsupported_websocket_is_refused(address: SocketAddr) -> TestResult {
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[("command", "true"), ("stdout", "true")])
    );
    let mut request = format!("ws://{address}{path}").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "base64.channel.k8s.io".parse()?);
    let tcp = TcpStream::connect(address).await?;
    match tokio_tungstenite::client_async(request, tcp).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        }
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    Ok(())
}

async fn attach_reads_output(address: SocketAddr) -> TestResult {
    let path = format!(
        "/attach/{NAMESPACE}/{POD}/ticker?{}",
        query(&[("stdout", "true"), ("stderr", "true")])
    );
    let mut request = format!("ws://{address}{path}").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "v5.channel.k8s.io".parse()?);
    let tcp = TcpStream::connect(address).await?;
    let (mut socket, _) = tokio_tungstenite::client_async(request, tcp).await?;
    let mut stdout = Vec::new();
    while !stdout.ends_with(b"tick\n") {
        match socket.next().await.ok_or("attach ended early")?? {
            Message::Binary(payload) => {
                if let Some((channel::STDOUT, data)) = websocket::split_channel(&payload) {
                    stdout.extend_from_slice(data);
                }
            }
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    socket.close(None).await?;
    Ok(())
}

/// Starts busybox httpd on 127.0.0.1 in the (host-network) pod, then fetches
/// its page through both port-forward protocols.
async fn port_forward(
    address: SocketAddr,
) -> Result<u16, Box<dyn std::error::Error + Send + Sync>> {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let script = format!(
        "mkdir -p /www && echo hello-port-forward > /www/index.html && httpd -p 127.0.0.1:{port} -h /www"
    );
    let path = format!(
        "/exec/{NAMESPACE}/{POD}/main?{}",
        query(&[
            ("command", "sh"),
            ("command", "-c"),
            ("command", &script),
            ("stdout", "true")
        ])
    );
    let session = ws_session(address, &path, None).await?;
    assert_eq!(session.status()["status"], "Success", "{session:?}");

    let path = format!("/portForward/{NAMESPACE}/{POD}");
    // SPDY, handed on to containerd.
    let (chosen, mut io) = spdy_upgrade(address, &path, portforward::PORT_FORWARD_PROTOCOL).await?;
    assert_eq!(chosen, portforward::PORT_FORWARD_PROTOCOL);
    let page = fetch_through(&mut io, port).await?;
    assert!(page.contains("hello-port-forward"), "{page}");

    // SPDY tunnelled through WebSocket, as kubectl 1.32 tries first.
    let mut request = format!("ws://{address}{path}").into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        websocket::SPDY_TUNNEL_PORT_FORWARD.parse()?,
    );
    let tcp = TcpStream::connect(address).await?;
    let (socket, _) = tokio_tungstenite::client_async(request, tcp).await?;
    let (mut near, far) = tokio::io::duplex(64 * 1024);
    let tunnel = tokio::spawn(websocket::tunnel(socket, far));
    let page = fetch_through(&mut near, port).await?;
    assert!(page.contains("hello-port-forward"), "{page}");
    drop(near);
    let _ = tokio::time::timeout(LIMIT, tunnel).await;
    Ok(port)
}

/// One port-forward connection in a SPDY session, as client-go opens it:
/// an error and a data stream with the port and request id, an HTTP/1.0
/// request on the data stream, and the answer until the data stream ends.
async fn fetch_through<IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut IO,
    port: u16,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let port = port.to_string();
    let mut encoder = spdy::Encoder::new();
    let mut frames = encoder.syn_stream(
        1,
        &[("streamtype", "error"), ("port", &port), ("requestid", "0")],
        false,
    )?;
    frames.extend(encoder.syn_stream(
        3,
        &[("streamtype", "data"), ("port", &port), ("requestid", "0")],
        false,
    )?);
    frames.extend(spdy::data(3, b"GET / HTTP/1.0\r\n\r\n", false));
    io.write_all(&frames).await?;
    io.flush().await?;
    let data = spdy_collect(io, Some(3)).await?;
    if let Some(error) = data.get(&1) {
        return Err(String::from_utf8_lossy(error).into_owned().into());
    }
    Ok(String::from_utf8_lossy(data.get(&3).map_or(&[][..], Vec::as_slice)).into_owned())
}

//! The test pod driven by the real kubectl (1.32 here) through a stand-in
//! API server: just enough of one (discovery, the pod, and the exec, attach
//! and portforward subresources handed to the kubelet's functions with the
//! request unchanged, as rkube's API server proxies them) for kubectl exec,
//! cp, attach and port-forward. Which upgrade each streaming request asked
//! for is recorded, to show that kubectl's first choice (WebSocket) is the
//! one served, with no fallback to SPDY.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kubelet::cri::Cri;
use kubelet::server::{exec, portforward, upgrade, Body};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{TestResult, BUSYBOX, LIMIT, NAMESPACE, POD, UID};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Upgrades = Arc<Mutex<Vec<String>>>;

/// Runs kubectl exec (exit code, piped stdin), cp both ways, attach and
/// port-forward (to the httpd listening on `port` in the pod), first as
/// kubectl 1.32 runs by default (WebSocket), then with SPDY only.
pub async fn checks(cri: &Cri, port: u16) -> TestResult {
    let dir = tempfile::tempdir()?;
    let upgrades: Upgrades = Arc::default();
    let (address, server) = serve(cri.clone(), upgrades.clone()).await?;
    std::fs::write(dir.path().join("kubeconfig"), kubeconfig(address))?;
    std::fs::create_dir_all(dir.path().join("cache"))?;
    let result = async {
        // As kubectl 1.32 runs by default: WebSocket first.
        let websocket = Kubectl {
            dir: dir.path(),
            spdy_only: false,
        };
        all(&websocket, port).await?;
        expect_upgrades(&upgrades, "websocket");
        // With its WebSocket transports off: SPDY, as older kubectl.
        let spdy = Kubectl {
            dir: dir.path(),
            spdy_only: true,
        };
        all(&spdy, port).await?;
        expect_upgrades(&upgrades, "spdy/3.1");
        Ok::<(), Error>(())
    }
    .await;
    server.abort();
    result
}

async fn all(kubectl: &Kubectl<'_>, port: u16) -> TestResult {
    named("kubectl exec", exec_exit_code(kubectl)).await?;
    named("kubectl exec -i", exec_piped_stdin(kubectl)).await?;
    named("kubectl cp", copy_both_ways(kubectl)).await?;
    named("kubectl attach", attach(kubectl)).await?;
    named("kubectl port-forward", port_forward(kubectl, port)).await
}

/// Every streaming request since the last call asked for `upgrade`: no
/// fallback happened.
fn expect_upgrades(upgrades: &Upgrades, upgrade: &str) {
    let seen = upgrades
        .lock()
        .map(|mut u| std::mem::take(&mut *u))
        .unwrap_or_default();
    assert!(!seen.is_empty());
    for asked in &seen {
        assert!(asked.ends_with(&format!(" {upgrade}")), "{seen:?}");
    }
}

/// The check's outcome, its error prefixed with `name`.
async fn named(name: &str, check: impl std::future::Future<Output = TestResult>) -> TestResult {
    check.await.map_err(|err| format!("{name}: {err}").into())
}

fn kubeconfig(address: SocketAddr) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: http://{address}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: {NAMESPACE}\n\
         current-context: test\nusers:\n- name: test\n  user: {{}}\n"
    )
}

/// How kubectl is run: its directory (kubeconfig, cache) and whether its
/// WebSocket transports are turned off (then it speaks SPDY only, as
/// kubectl before 1.30 did).
struct Kubectl<'a> {
    dir: &'a Path,
    spdy_only: bool,
}

fn command(kubectl: &Kubectl<'_>, args: &[&str]) -> tokio::process::Command {
    let dir = kubectl.dir;
    let mut command = tokio::process::Command::new("kubectl");
    if kubectl.spdy_only {
        command
            .env("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")
            .env("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false");
    }
    command
        .arg("--kubeconfig")
        .arg(dir.join("kubeconfig"))
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Runs kubectl to its end (within the limit), with `stdin` as its input.
async fn kubectl(
    dir: &Kubectl<'_>,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<std::process::Output, Error> {
    let mut command = command(dir, args);
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn()?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().ok_or("no stdin pipe")?;
        pipe.write_all(input).await?;
        drop(pipe);
    }
    Ok(tokio::time::timeout(LIMIT, child.wait_with_output()).await??)
}

/// Runs a kubectl that does not end by itself until a line of its output
/// contains `wanted`; returns that output, the process still running (it
/// is killed when dropped).
async fn kubectl_until(
    dir: &Kubectl<'_>,
    args: &[&str],
    wanted: &str,
) -> Result<tokio::process::Child, Error> {
    let mut child = command(dir, args).spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(LIMIT, async {
        while let Some(line) = lines.next_line().await? {
            if line.contains(wanted) {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await??;
    if found {
        // Keep reading: kubectl dies of SIGPIPE writing to a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    } else {
        let output = child.wait_with_output().await?;
        return Err(format!(
            "kubectl {args:?} ended without {wanted:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(child)
}

async fn exec_exit_code(dir: &Kubectl<'_>) -> TestResult {
    let output = kubectl(
        dir,
        &[
            "exec",
            POD,
            "-c",
            "main",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
        None,
    )
    .await?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(output.stdout, b"out\n");
    assert!(stderr.starts_with("err\n"), "{stderr}");
    Ok(())
}

async fn exec_piped_stdin(dir: &Kubectl<'_>) -> TestResult {
    let output = kubectl(
        dir,
        &["exec", "-i", POD, "-c", "main", "--", "cat"],
        Some(b"piped\n"),
    )
    .await?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, b"piped\n");
    Ok(())
}

async fn copy_both_ways(dir: &Kubectl<'_>) -> TestResult {
    let local = dir.dir.join("local.txt");
    std::fs::write(&local, "copied by kubectl cp\n")?;
    let local = local.display().to_string();
    let remote = format!("{POD}:/tmp/copied.txt");
    let output = kubectl(dir, &["cp", &local, &remote, "-c", "main"], None).await?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = kubectl(
        dir,
        &["exec", POD, "-c", "main", "--", "cat", "/tmp/copied.txt"],
        None,
    )
    .await?;
    assert_eq!(output.stdout, b"copied by kubectl cp\n");
    let back = dir.dir.join("back.txt");
    let output = kubectl(
        dir,
        &["cp", &remote, &back.display().to_string(), "-c", "main"],
        None,
    )
    .await?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(back)?, "copied by kubectl cp\n");
    Ok(())
}

async fn attach(dir: &Kubectl<'_>) -> TestResult {
    let mut child = kubectl_until(dir, &["attach", POD, "-c", "ticker"], "tick").await?;
    child.kill().await?;
    Ok(())
}

async fn port_forward(dir: &Kubectl<'_>, port: u16) -> TestResult {
    let local = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let forward = format!("{local}:{port}");
    let child = kubectl_until(
        dir,
        &["port-forward", &format!("pod/{POD}"), &forward],
        "Forwarding from",
    )
    .await?;
    let fetched = tokio::time::timeout(LIMIT, async {
        let mut tcp = TcpStream::connect(("127.0.0.1", local)).await?;
        tcp.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
        let mut page = String::new();
        tcp.read_to_string(&mut page).await?;
        Ok::<String, std::io::Error>(page)
    })
    .await;
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .await;
    }
    let output = tokio::time::timeout(LIMIT, child.wait_with_output()).await??;
    let said = String::from_utf8_lossy(&output.stderr);
    match fetched {
        Ok(Ok(page)) if page.contains("hello-port-forward") => {}
        other => return Err(format!("{other:?}; kubectl ({}) said: {said}", output.status).into()),
    }
    Ok(())
}

/// The stand-in API server on 127.0.0.1.
async fn serve(
    cri: Cri,
    upgrades: Upgrades,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let cri = cri.clone();
            let upgrades = upgrades.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let cri = cri.clone();
                    let upgrades = upgrades.clone();
                    async move { Ok::<_, Infallible>(route(&cri, &upgrades, request).await) }
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

fn json(value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(upgrade::full(Bytes::from(value.to_string())));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

async fn route(cri: &Cri, upgrades: &Upgrades, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let pod_path = format!("/api/v1/namespaces/{NAMESPACE}/pods/{POD}");
    let subresource = path
        .strip_prefix(&pod_path)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_string);
    if let Some(subresource) = subresource {
        let asked = request
            .headers()
            .get(http::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_ascii_lowercase();
        if let Ok(mut upgrades) = upgrades.lock() {
            upgrades.push(format!("{subresource} {asked}"));
        }
        let container = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .find(|(name, _)| name == "container")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        return match subresource.as_str() {
            "exec" => exec::exec(cri, NAMESPACE, POD, &container, request).await,
            "attach" => exec::attach(cri, NAMESPACE, POD, &container, request).await,
            "portforward" => portforward::port_forward(cri, NAMESPACE, POD, request).await,
            _ => upgrade::status_response(StatusCode::NOT_FOUND, "NotFound", "no such subresource"),
        };
    }
    match path.as_str() {
        "/api" => json(serde_json::json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        })),
        "/apis" => {
            json(serde_json::json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}))
        }
        "/api/v1" => {
            let subresource = |name: &str, kind: &str| serde_json::json!({"name": name, "singularName": "", "namespaced": true, "kind": kind, "verbs": ["create", "get"]});
            json(serde_json::json!({
                "kind": "APIResourceList",
                "groupVersion": "v1",
                "resources": [
                    {"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod", "verbs": ["get", "list"], "shortNames": ["po"]},
                    subresource("pods/attach", "PodAttachOptions"),
                    subresource("pods/exec", "PodExecOptions"),
                    subresource("pods/portforward", "PodPortForwardOptions"),
                ],
            }))
        }
        p if p == pod_path => json(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": POD, "namespace": NAMESPACE, "uid": UID, "resourceVersion": "1"},
            "spec": {"containers": [
                {"name": "main", "image": BUSYBOX},
                {"name": "ticker", "image": BUSYBOX},
            ]},
            "status": {"phase": "Running"},
        })),
        _ => upgrade::status_response(StatusCode::NOT_FOUND, "NotFound", "not served here"),
    }
}

//! pods/log and pods/exec through the API server to a real kubelet server:
//! `rkube server`, a Node whose InternalIP and kubelet port point at a
//! kubelet `Server` started here (its serving certificate signed by the
//! cluster's CA, the cluster's CA required of clients) over a containerd of
//! this test, and a pod bound to that node whose containers were started
//! through CRI with the pod's labels. Then the real kubectl: `logs` (with
//! `-c`, `--tail`, `--timestamps`, `--previous`, `-f`) and `exec` (with and
//! without stdin), RBAC's `create` on `pods/exec`, and the logs of an
//! unscheduled pod.
//!
//! Needs root and the Debian packages containerd, runc, busybox-static and
//! containernetworking-plugins; skipped (with a message) without them. The
//! sandbox uses the host's network namespace; everything listens on
//! 127.0.0.1.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kubelet::containerd::{CgroupDriver, Config, Containerd};
use kubelet::cri::{api, labels, Cri};
use kubelet::images;
use kubelet::server::{self, Server};

use crate::support::Cluster;

const BUSYBOX: &str = "rkube.local/busybox:e2e-kubelet-server";
const NODE: &str = "e2e-kubelet-node";
const POD: &str = "web";
const UID: &str = "00000000-0000-0000-0000-0000000000e2";

fn missing_prerequisite() -> Option<String> {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !is_root {
        return Some("not root".into());
    }
    for program in ["/usr/bin/containerd", "/usr/bin/ctr", images::BUSYBOX] {
        if !Path::new(program).exists() {
            return Some(format!("{program} is absent"));
        }
    }
    if !Path::new("/usr/lib/cni/loopback").exists() {
        return Some("the CNI plugins are absent".into());
    }
    None
}

/// containerd with the sandbox and containers of the pod, and the kubelet
/// server in front of it.
struct Node {
    containerd: Containerd,
    cri: Cri,
    server: Server,
}

async fn start_container(
    cri: &Cri,
    sandbox: &str,
    sandbox_config: &api::PodSandboxConfig,
    name: &str,
    script: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let id = cri
        .runtime()
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox.to_string(),
            config: Some(api::ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: name.into(),
                    attempt: 0,
                }),
                image: Some(api::ImageSpec {
                    image: BUSYBOX.into(),
                    ..Default::default()
                }),
                command: vec!["sh".into(), "-c".into(), script.into()],
                log_path: format!("{name}/0.log"),
                stdin: true,
                labels: [
                    (labels::POD_NAME.to_string(), POD.to_string()),
                    (labels::POD_NAMESPACE.to_string(), "default".to_string()),
                    (labels::POD_UID.to_string(), UID.to_string()),
                    (labels::CONTAINER_NAME.to_string(), name.to_string()),
                ]
                .into(),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox_config.clone()),
        })
        .await?
        .into_inner()
        .container_id;
    cri.runtime()
        .start_container(api::StartContainerRequest {
            container_id: id.clone(),
        })
        .await?;
    Ok(id)
}

/// Starts containerd in `dir`, the pod's sandbox and containers (`c` prints
/// two lines and sleeps, `f` prints one line, then another a second later,
/// `h` serves HTTP on 127.0.0.1:`http_port`), and the kubelet server with
/// the cluster's CA.
async fn start_node(
    dir: &Path,
    tls: &Path,
    http_port: u16,
) -> Result<Node, Box<dyn std::error::Error>> {
    let config = Config {
        dir: dir.join("containerd"),
        sandbox_image: images::pause::REFERENCE.to_string(),
        cni_bin_dir: PathBuf::from("/usr/lib/cni"),
        cni_conf_dir: dir.join("net.d"),
        cgroup_driver: CgroupDriver::detect(),
    };
    std::fs::create_dir_all(&config.cni_conf_dir)?;
    std::fs::write(
        config.cni_conf_dir.join("10-loopback.conflist"),
        r#"{"cniVersion": "0.4.0", "name": "rkube-test", "plugins": [{"type": "loopback"}]}"#,
    )?;
    let (containerd, cri) = Containerd::start(&config).await?;
    images::ensure_pause(containerd.socket(), dir).await?;
    images::import_bytes(
        containerd.socket(),
        dir,
        "busybox",
        &images::busybox(BUSYBOX)?,
    )
    .await?;
    let pod_labels = [
        (labels::POD_NAME.to_string(), POD.to_string()),
        (labels::POD_NAMESPACE.to_string(), "default".to_string()),
        (labels::POD_UID.to_string(), UID.to_string()),
    ];
    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: POD.into(),
            uid: UID.into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        log_directory: dir.join("logs").display().to_string(),
        labels: pod_labels.into(),
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
    // The pause keeps the two lines in order (stdout and stderr are copied
    // concurrently).
    start_container(
        &cri,
        &sandbox,
        &sandbox_config,
        "c",
        "echo one; sleep 0.2; echo two >&2; exec sleep 3600",
    )
    .await?;
    start_container(
        &cri,
        &sandbox,
        &sandbox_config,
        "f",
        "echo a; sleep 1; echo b",
    )
    .await?;
    // A web server in the pod (on the host's network) for port-forward.
    start_container(
        &cri,
        &sandbox,
        &sandbox_config,
        "h",
        &format!("mkdir -p /www && echo hello-pf > /www/index.html && exec httpd -f -p 127.0.0.1:{http_port} -h /www"),
    )
    .await?;
    let ca_cert = std::fs::read_to_string(tls.join("ca.crt"))?;
    let ca_key = std::fs::read_to_string(tls.join("ca.key"))?;
    let serving =
        server::serving_certificate(NODE, &["127.0.0.1".parse()?], Some((&ca_cert, &ca_key)))?;
    let server = Server::start(server::Config {
        address: "127.0.0.1:0".parse()?,
        node_name: NODE.into(),
        serving,
        client_ca_pem: ca_cert,
        cri: cri.clone(),
        pods: Arc::new(Vec::new),
    })
    .await?;
    Ok(Node {
        containerd,
        cri,
        server,
    })
}

/// Removes every sandbox (and so every container and shim), then stops
/// containerd.
async fn stop_node(cri: &Cri, containerd: Containerd) {
    if let Ok(response) = cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest { filter: None })
        .await
    {
        for sandbox in response.into_inner().items {
            let _ = cri
                .runtime()
                .stop_pod_sandbox(api::StopPodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await;
            let _ = cri
                .runtime()
                .remove_pod_sandbox(api::RemovePodSandboxRequest {
                    pod_sandbox_id: sandbox.id,
                })
                .await;
        }
    }
    containerd.stop().await;
}

#[test]
fn kubectl_logs_and_exec_reach_the_kubelet() {
    if let Some(reason) = missing_prerequisite() {
        eprintln!("skipped: {reason}");
        return;
    }
    let cluster = Cluster::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let node_dir = tempfile::tempdir().expect("temp dir");
    let tls = cluster.dir.path().join("tls");
    let http_port = free_port();
    let node = runtime
        .block_on(async {
            tokio::time::timeout(
                Duration::from_secs(120),
                start_node(node_dir.path(), &tls, http_port),
            )
            .await
        })
        .expect("the node did not start in time")
        .expect("starting the node");
    let port = node.server.port();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drive(&cluster, port, http_port);
    }));
    let Node {
        containerd,
        cri,
        server,
    } = node;
    runtime.block_on(async {
        server.stop().await;
        stop_node(&cri, containerd).await;
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A loopback port free at the time of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// `kubectl port-forward` to the pod's web server, and one HTTP GET through it.
fn port_forward(cluster: &Cluster, http_port: u16) -> String {
    use std::io::{BufRead, Read, Write};
    let local = free_port();
    let mut child = cluster
        .kubectl_command(&[
            "port-forward",
            &format!("pod/{POD}"),
            &format!("{local}:{http_port}"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kubectl port-forward");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let ready = rx
        .recv_timeout(Duration::from_secs(30))
        .map(|line| line.contains("Forwarding from"));
    let mut answer = String::new();
    if ready == Ok(true) {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", local)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = stream.write_all(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n");
            let _ = stream.read_to_string(&mut answer);
        }
    }
    let _ = child.kill();
    if !answer.contains("200 OK") {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        answer = format!("ready: {ready:?}; answer: {answer:?}; kubectl: {stderr}");
    }
    let _ = child.wait();
    answer
}

fn drive(cluster: &Cluster, port: u16, http_port: u16) {
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {NODE}\n"),
    );
    cluster.ok(&[
        "patch",
        "node",
        NODE,
        "--subresource=status",
        "--type=merge",
        "-p",
        &format!(
            r#"{{"status": {{"addresses": [{{"type": "InternalIP", "address": "127.0.0.1"}}, {{"type": "Hostname", "address": "{NODE}"}}], "daemonEndpoints": {{"kubeletEndpoint": {{"Port": {port}}}}}}}}}"#
        ),
    ]);
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {POD}\n  namespace: default\nspec:\n  nodeName: {NODE}\n  containers:\n  - name: c\n    image: {BUSYBOX}\n  - name: f\n    image: {BUSYBOX}\n  - name: h\n    image: {BUSYBOX}\n"
        ),
    );

    // Logs.
    assert_eq!(cluster.ok(&["logs", POD, "-c", "c"]), "one\ntwo\n");
    assert_eq!(cluster.ok(&["logs", POD, "-c", "c", "--tail=1"]), "two\n");
    let stamped = cluster.ok(&["logs", POD, "-c", "c", "--timestamps"]);
    let lines: Vec<&str> = stamped.lines().collect();
    assert_eq!(lines.len(), 2, "{stamped}");
    assert!(
        lines[0].ends_with(" one") && lines[0].starts_with("20"),
        "{stamped}"
    );
    let err = cluster.fails(&["logs", POD, "-c", "c", "--previous"]);
    assert!(
        err.contains("previous terminated container \"c\" in pod \"web\" not found"),
        "{err}"
    );
    // Follows until the container exits.
    assert_eq!(cluster.ok(&["logs", POD, "-c", "f", "-f"]), "a\nb\n");
    // kubectl defaults to the first container; the API server itself asks
    // for a name.
    let raw = cluster.kubectl(&["get", "--raw", "/api/v1/namespaces/default/pods/web/log"]);
    assert!(!raw.success);
    assert!(
        raw.stderr
            .contains("a container name must be specified for pod web, choose one of: [c f h]"),
        "{}",
        raw.stderr
    );

    // Exec, without and with stdin.
    assert_eq!(
        cluster.ok(&["exec", POD, "-c", "c", "--", "echo", "hello"]),
        "hello\n"
    );
    assert_eq!(
        cluster.ok_stdin(&["exec", "-i", POD, "-c", "c", "--", "cat"], "from stdin\n"),
        "from stdin\n"
    );
    let run = cluster.kubectl(&["exec", POD, "-c", "c", "--", "sh", "-c", "exit 3"]);
    assert!(!run.success);
    assert!(run.stderr.contains("exit code 3"), "{}", run.stderr);

    // exec needs create on pods/exec, even over a WebSocket's GET.
    cluster.ok(&[
        "create",
        "role",
        "exec-reader",
        "--verb=get",
        "--resource=pods,pods/exec",
    ]);
    cluster.ok(&[
        "create",
        "rolebinding",
        "exec-reader",
        "--role=exec-reader",
        "--user=alice",
    ]);
    let err = cluster.fails(&["exec", "--as=alice", POD, "-c", "c", "--", "true"]);
    assert!(err.contains("pods/exec"), "{err}");

    // Port-forward (kubectl wants a Running pod, which no agent reports here).
    cluster.ok(&[
        "patch",
        "pod",
        POD,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status": {"phase": "Running"}}"#,
    ]);
    let answer = port_forward(cluster, http_port);
    assert!(answer.contains("hello-pf"), "{answer}");

    // A pod not yet scheduled has no logs: nothing, no error.
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: pending\n  namespace: default\nspec:\n  schedulerName: nobody\n  containers:\n  - name: c\n    image: {BUSYBOX}\n"),
    );
    assert_eq!(cluster.ok(&["logs", "pending"]), "");
}

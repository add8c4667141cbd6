//! The kubelet's HTTPS server against a real containerd: client
//! certificates of a test CA are required (401 without, 403 for a client
//! that is not the API server), and `/containerLogs` reads the CRI log of a
//! real busybox container with upstream's options and error texts; `/pods`,
//! `/metrics`, `/metrics/resource` and `/stats/summary` answer.
//!
//! Needs root and the Debian packages containerd, runc, busybox-static and
//! containernetworking-plugins; skipped (with a message) without them. The
//! sandbox uses the host's network namespace and the server listens on
//! 127.0.0.1 only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
use kubelet::containerd::{CgroupDriver, Config, Containerd};
use kubelet::cri::{api, labels, Cri};
use kubelet::images;
use kubelet::server::{self, Server};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

const BUSYBOX: &str = "rkube.local/busybox:server-test";
const NAMESPACE: &str = "default";
const POD: &str = "logs-test";
const UID: &str = "00000000-0000-0000-0000-0000000000b1";

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

/// A test CA and certificates it signs.
struct Pki {
    ca_cert: String,
    ca_key: String,
}

impl Pki {
    fn new() -> Pki {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "test-ca");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Pki {
            ca_cert: cert.pem(),
            ca_key: key.serialize_pem(),
        }
    }

    /// A client certificate (PEM cert, PEM key) for `user` in `group`.
    fn client(&self, user: &str, group: &str) -> (String, String) {
        let ca_key = KeyPair::from_pem(&self.ca_key).unwrap();
        let issuer = Issuer::from_ca_cert_pem(&self.ca_cert, &ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, user);
        name.push(DnType::OrganizationName, group);
        params.distinguished_name = name;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// One HTTPS GET to the server, verifying it against the test CA, with an
/// optional client certificate; answers the status and the whole body.
async fn get(
    address: std::net::SocketAddr,
    ca: &str,
    client: Option<&(String, String)>,
    path: &str,
) -> (u16, String) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match client {
        Some((cert, key)) => {
            let certs = rustls_pemfile::certs(&mut cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = rustls_pemfile::private_key(&mut key.as_bytes())
                .unwrap()
                .unwrap();
            builder.with_client_auth_cert(certs, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(address.ip().into());
    let tls = connector.connect(name, tcp).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let request = http::Request::get(path)
        .header(http::header::HOST, address.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    driver.abort();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn pod() -> Pod {
    Pod {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(POD.into()),
            namespace: Some(NAMESPACE.into()),
            uid: Some(UID.into()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![
                Container {
                    name: "c".into(),
                    ..Default::default()
                },
                Container {
                    name: "follow".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn serves_logs_and_requires_client_certificates() {
    if let Some(reason) = missing_prerequisite() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        dir: dir.path().join("containerd"),
        sandbox_image: images::pause::REFERENCE.to_string(),
        cni_bin_dir: PathBuf::from("/usr/lib/cni"),
        cni_conf_dir: dir.path().join("net.d"),
        cgroup_driver: CgroupDriver::detect(),
    };
    std::fs::create_dir_all(&config.cni_conf_dir).unwrap();
    std::fs::write(
        config.cni_conf_dir.join("10-loopback.conflist"),
        r#"{"cniVersion": "0.4.0", "name": "rkube-test", "plugins": [{"type": "loopback"}]}"#,
    )
    .unwrap();
    let (containerd, cri) = Containerd::start(&config).await.unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(180),
        run(&cri, containerd.socket(), dir.path()),
    )
    .await;
    remove_all_sandboxes(&cri).await;
    containerd.stop().await;
    if !matches!(outcome, Ok(Ok(()))) {
        let log = std::fs::read_to_string(config.dir.join("containerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("{}", lines[lines.len().saturating_sub(40)..].join("\n"));
    }
    outcome.expect("the test timed out").unwrap();
}

/// Creates and starts a container of the sandbox; answers its id.
async fn start_container(
    cri: &Cri,
    sandbox: &str,
    sandbox_config: &api::PodSandboxConfig,
    name: &str,
    script: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let container_labels = [
        (labels::POD_NAME.to_string(), POD.to_string()),
        (labels::POD_NAMESPACE.to_string(), NAMESPACE.to_string()),
        (labels::POD_UID.to_string(), UID.to_string()),
        (labels::CONTAINER_NAME.to_string(), name.to_string()),
    ];
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
                labels: container_labels.into(),
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

async fn wait_exited(cri: &Cri, id: &str) -> Result<(), Box<dyn std::error::Error>> {
    for _ in 0..300 {
        let status = cri
            .runtime()
            .container_status(api::ContainerStatusRequest {
                container_id: id.to_string(),
                verbose: false,
            })
            .await?
            .into_inner()
            .status
            .ok_or("no container status")?;
        if status.state == api::ContainerState::ContainerExited as i32 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the container did not exit".into())
}

async fn run(cri: &Cri, socket: &Path, data_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    images::ensure_pause(socket, data_dir).await?;
    let busybox = images::busybox(BUSYBOX)?;
    images::import_bytes(socket, data_dir, "busybox", &busybox).await?;

    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: POD.into(),
            uid: UID.into(),
            namespace: NAMESPACE.into(),
            attempt: 0,
        }),
        log_directory: data_dir.join("logs").display().to_string(),
        labels: [
            (labels::POD_NAME.to_string(), POD.to_string()),
            (labels::POD_NAMESPACE.to_string(), NAMESPACE.to_string()),
            (labels::POD_UID.to_string(), UID.to_string()),
        ]
        .into(),
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
    // The pause between the two lines keeps their order in the log file
    // (containerd copies stdout and stderr concurrently).
    let done = start_container(
        cri,
        &sandbox,
        &sandbox_config,
        "c",
        "echo one; sleep 0.2; echo two >&2",
    )
    .await?;
    wait_exited(cri, &done).await?;

    let pki = Pki::new();
    let serving = server::serving_certificate(
        "test-node",
        &["127.0.0.1".parse()?],
        Some((&pki.ca_cert, &pki.ca_key)),
    )?;
    let pods: server::PodSource = Arc::new(|| vec![pod()]);
    let server = Server::start(server::Config {
        address: "127.0.0.1:0".parse()?,
        node_name: "test-node".into(),
        serving,
        client_ca_pem: pki.ca_cert.clone(),
        cri: cri.clone(),
        pods,
    })
    .await?;
    let address = server.address();
    let apiserver = pki.client(server::APISERVER_KUBELET_CLIENT, "system:masters");
    let node = pki.client("system:node:other", "system:nodes");
    let ca = pki.ca_cert.as_str();
    let call = |path: &'static str| get(address, ca, Some(&apiserver), path);

    // Who may ask.
    assert_eq!(
        get(address, ca, None, "/healthz").await,
        (401, "Unauthorized".into())
    );
    let (code, body) = get(address, ca, Some(&node), "/healthz").await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body,
        "Forbidden (user=system:node:other, verb=get, resource=nodes, subresource=proxy)"
    );
    assert_eq!(call("/healthz").await, (200, "ok".into()));

    // Logs.
    let logs = "/containerLogs/default/logs-test/c";
    assert_eq!(
        get(address, ca, Some(&apiserver), logs).await,
        (200, "one\ntwo\n".into())
    );
    let (code, body) = call("/containerLogs/default/logs-test/c?timestamps=true").await;
    assert_eq!(code, 200, "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    for (line, text) in lines.iter().zip(["one", "two"]) {
        let (time, rest) = line.split_once(' ').ok_or("no timestamp")?;
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{line}");
        assert_eq!(rest, text);
    }
    assert_eq!(
        call("/containerLogs/default/logs-test/c?tailLines=1").await,
        (200, "two\n".into())
    );
    assert_eq!(
        call("/containerLogs/default/logs-test/c?limitBytes=2").await,
        (200, "on".into())
    );
    assert_eq!(
        call("/containerLogs/default/logs-test/c?sinceTime=2100-01-01T00:00:00Z").await,
        (200, "".into())
    );
    // The container has exited: following ends with what it wrote.
    assert_eq!(
        call("/containerLogs/default/logs-test/c?follow=true").await,
        (200, "one\ntwo\n".into())
    );
    assert_eq!(
        call("/containerLogs/default/logs-test/c?previous=true").await,
        (
            400,
            "previous terminated container \"c\" in pod \"logs-test\" not found".into()
        )
    );
    assert_eq!(
        call("/containerLogs/default/logs-test/nope").await,
        (
            404,
            "container \"nope\" not found in pod \"logs-test_default\"\n".into()
        )
    );
    assert_eq!(
        call("/containerLogs/default/ghost/c").await,
        (404, "pod \"ghost_default\" does not exist\n".into())
    );
    assert_eq!(
        call("/containerLogs/default/logs-test/c?tailLines=-1").await,
        (422, "{\"message\": \"Invalid request.\"}".into())
    );

    // Following a running container: lines as they come, to its end.
    let running = start_container(
        cri,
        &sandbox,
        &sandbox_config,
        "follow",
        "echo a; sleep 1; echo b",
    )
    .await?;
    assert_eq!(
        call("/containerLogs/default/logs-test/follow?follow=true").await,
        (200, "a\nb\n".into())
    );
    wait_exited(cri, &running).await?;

    // The pods, metrics and stats.
    let (code, body) = call("/pods").await;
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["items"][0]["metadata"]["name"], POD);
    let (code, body) = call("/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("kubelet_running_pods 1\n"), "{body}");
    assert!(
        body.contains("kubelet_node_name{node=\"test-node\"} 1\n"),
        "{body}"
    );
    let (code, body) = call("/metrics/resource").await;
    assert_eq!(code, 200);
    assert!(body.contains("resource_scrape_error 0\n"), "{body}");
    assert!(body.contains("node_memory_working_set_bytes "), "{body}");
    let (code, body) = call("/stats/summary").await;
    assert_eq!(code, 200);
    let summary: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(summary["node"]["nodeName"], "test-node");
    assert!(summary["node"]["memory"]["workingSetBytes"].as_u64() > Some(0));
    assert_eq!(call("/nothing").await.0, 404);

    server.stop().await;
    cri.runtime()
        .stop_pod_sandbox(api::StopPodSandboxRequest {
            pod_sandbox_id: sandbox.clone(),
        })
        .await?;
    cri.runtime()
        .remove_pod_sandbox(api::RemovePodSandboxRequest {
            pod_sandbox_id: sandbox,
        })
        .await?;
    Ok(())
}

async fn remove_all_sandboxes(cri: &Cri) {
    let Ok(response) = cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest { filter: None })
        .await
    else {
        return;
    };
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

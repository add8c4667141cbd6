//! Probes and hooks against a real container: rkube's own containerd in a
//! tempdir, the pause and busybox images imported, a sandbox on
//! the host network and a container running `sleep 3600`. Everything is
//! removed at the end, before the assertions, so a failure leaves nothing
//! running.

use std::path::Path;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, ExecAction, LifecycleHandler, Probe, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{run_once, Outcome, Target};
use crate::containerd::{CgroupDriver, Config, Containerd};
use crate::cri::{api, Cri};
use crate::images;

const BUSYBOX: &str = "rkube.local/busybox:probes-test";

fn exec(command: &[&str], timeout: i32) -> Probe {
    Probe {
        exec: Some(ExecAction {
            command: Some(command.iter().map(|s| s.to_string()).collect()),
        }),
        timeout_seconds: Some(timeout),
        ..Default::default()
    }
}

fn sandbox_config(logs: &Path) -> api::PodSandboxConfig {
    api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "probes".into(),
            uid: "probes-uid".into(),
            namespace: "test".into(),
            attempt: 0,
        }),
        log_directory: logs.display().to_string(),
        linux: Some(api::LinuxPodSandboxConfig {
            security_context: Some(api::LinuxSandboxSecurityContext {
                namespace_options: Some(api::NamespaceOption {
                    network: api::NamespaceMode::Node as i32,
                    // The kubelet's defaults without shareProcessNamespace.
                    pid: api::NamespaceMode::Container as i32,
                    ipc: api::NamespaceMode::Pod as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Starts the sandbox and the container; returns the container's id.
async fn start_pod(cri: &Cri, logs: &Path) -> Result<String, tonic::Status> {
    let config = sandbox_config(logs);
    let sandbox = cri
        .runtime()
        .run_pod_sandbox(api::RunPodSandboxRequest {
            config: Some(config.clone()),
            runtime_handler: String::new(),
        })
        .await?
        .into_inner()
        .pod_sandbox_id;
    let container = cri
        .runtime()
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox.clone(),
            config: Some(api::ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: "app".into(),
                    attempt: 0,
                }),
                image: Some(api::ImageSpec {
                    image: BUSYBOX.into(),
                    ..Default::default()
                }),
                command: vec!["sleep".into(), "3600".into()],
                log_path: "app.log".into(),
                ..Default::default()
            }),
            sandbox_config: Some(config),
        })
        .await?
        .into_inner()
        .container_id;
    cri.runtime()
        .start_container(api::StartContainerRequest {
            container_id: container.clone(),
        })
        .await?;
    Ok(container)
}

/// Stops and removes every sandbox of this (private) containerd.
async fn remove_pods(cri: &Cri) {
    let Ok(sandboxes) = cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest { filter: None })
        .await
    else {
        return;
    };
    for sandbox in sandboxes.into_inner().items {
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

#[tokio::test]
async fn exec_probes_and_hooks_in_a_real_container() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        dir: dir.path().join("containerd"),
        sandbox_image: images::pause::REFERENCE.into(),
        cni_bin_dir: "/usr/lib/cni".into(),
        cni_conf_dir: dir.path().join("cni"),
        cgroup_driver: CgroupDriver::detect(),
    };
    let (containerd, cri) = Containerd::start(&config).await.unwrap();
    images::import::ensure_pause(containerd.socket(), dir.path())
        .await
        .unwrap();
    let busybox = images::busybox(BUSYBOX).unwrap();
    images::import::import_bytes(containerd.socket(), dir.path(), "busybox", &busybox)
        .await
        .unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // A port on the host network (the sandbox shares it) for tcpSocket by name.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let container_id = match start_pod(&cri, &logs).await {
        Ok(id) => id,
        Err(e) => {
            remove_pods(&cri).await;
            containerd.stop().await;
            panic!("starting the pod: {e}");
        }
    };

    let target = Target {
        cri: cri.clone(),
        container_id: container_id.clone(),
        pod_ip: Some("127.0.0.1".into()),
        container: Container {
            name: "app".into(),
            env: Some(vec![EnvVar {
                name: "WANT".into(),
                value: Some("yes".into()),
                ..Default::default()
            }]),
            ports: Some(vec![ContainerPort {
                name: Some("svc".into()),
                container_port: i32::from(port),
                ..Default::default()
            }]),
            ..Default::default()
        },
        pod_name: "probes".into(),
        pod_namespace: "test".into(),
        pod_uid: "probes-uid".into(),
    };

    let exit3 = run_once(&target, &exec(&["sh", "-c", "exit 3"], 1)).await;
    let output = run_once(
        &target,
        &exec(&["sh", "-c", "echo out; echo err >&2; exit 1"], 1),
    )
    .await;
    let ok = run_once(&target, &exec(&["true"], 1)).await;
    let expanded = run_once(&target, &exec(&["test", "$(WANT)", "=", "yes"], 1)).await;
    let slow = run_once(&target, &exec(&["sleep", "5"], 1)).await;
    let tcp = run_once(
        &target,
        &Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("svc".into()),
                host: None,
            }),
            ..Default::default()
        },
    )
    .await;
    let hook = |command: &[&str]| LifecycleHandler {
        exec: Some(ExecAction {
            command: Some(command.iter().map(|s| s.to_string()).collect()),
        }),
        ..Default::default()
    };
    let hook_ok =
        crate::hooks::run(&hook(&["sh", "-c", "echo started > /tmp/hook"]), &target).await;
    let hook_saw = run_once(&target, &exec(&["cat", "/tmp/hook"], 1)).await;
    let hook_failed = crate::hooks::run(
        &hook(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
        &target,
    )
    .await;
    let gone = run_once(
        &Target {
            container_id: "no-such-container".into(),
            ..target.clone()
        },
        &exec(&["true"], 1),
    )
    .await;

    remove_pods(&cri).await;
    containerd.stop().await;
    drop(listener);

    assert_eq!(exit3, Outcome::Failure(String::new()));
    assert_eq!(output, Outcome::Failure("out\nerr\n".into()));
    assert_eq!(ok, Outcome::Success);
    assert_eq!(expanded, Outcome::Success);
    assert_eq!(
        slow,
        Outcome::Failure("command timed out: \"sleep 5\" timed out after 1s".into())
    );
    assert_eq!(tcp, Outcome::Success);
    assert!(hook_ok.is_ok(), "{hook_ok:?}");
    assert_eq!(hook_saw, Outcome::Success);
    assert_eq!(
        hook_failed.unwrap_err().to_string(),
        "Exec lifecycle hook ([sh -c echo out; echo err >&2; exit 3]) for Container \"app\" \
         in Pod \"probes_test(probes-uid)\" failed - error: command 'sh -c echo out; echo err >&2; \
         exit 3' exited with 3: err\n, message: \"out\\nerr\\n\""
    );
    assert!(
        matches!(&gone, Outcome::Unknown(m) if m.starts_with("rpc error: code = NotFound")),
        "{gone:?}"
    );
}

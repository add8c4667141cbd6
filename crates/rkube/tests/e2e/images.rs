//! `rkube images`: `busybox` and `build` write image tarballs, `import` loads
//! them into a containerd the test starts where `rkube server` runs its own
//! (DATA_DIR/agent/containerd), `ls` lists them; an image built from a
//! directory then runs through CRI with its entrypoint and command.
//!
//! Needs root and the Debian packages containerd, runc, busybox-static and
//! containernetworking-plugins; skipped (with a message) without them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kubelet::containerd::{CgroupDriver, Config, Containerd};
use kubelet::cri::{api, Cri};

use crate::support::run;

const TIMEOUT: Duration = Duration::from_secs(120);

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
    for path in [
        "/usr/bin/containerd",
        "/usr/bin/ctr",
        "/bin/busybox",
        "/usr/lib/cni/loopback",
    ] {
        if !Path::new(path).exists() {
            return Some(format!("{path} is absent"));
        }
    }
    None
}

/// `rkube images ARGS...`, which must succeed; its standard output.
fn images_ok(args: &[&str]) -> String {
    let outcome = run(
        Command::new(env!("CARGO_BIN_EXE_rkube"))
            .arg("images")
            .args(args),
        None,
        TIMEOUT,
    );
    assert!(
        outcome.success,
        "rkube images {args:?} failed: {}",
        outcome.stderr
    );
    outcome.stdout
}

/// `rkube images ARGS...`, which must fail; its standard error.
fn images_fails(args: &[&str]) -> String {
    let outcome = run(
        Command::new(env!("CARGO_BIN_EXE_rkube"))
            .arg("images")
            .args(args),
        None,
        TIMEOUT,
    );
    assert!(!outcome.success, "rkube images {args:?} succeeded");
    outcome.stderr
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

#[test]
fn images_are_built_imported_listed_and_run() {
    if let Some(reason) = missing_prerequisite() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("data");
    let config = Config {
        dir: data_dir.join("agent/containerd"),
        sandbox_image: kubelet::images::pause::REFERENCE.to_string(),
        cni_bin_dir: PathBuf::from("/usr/lib/cni"),
        cni_conf_dir: data_dir.join("net.d"),
        cgroup_driver: CgroupDriver::detect(),
    };
    std::fs::create_dir_all(&config.cni_conf_dir).expect("CNI directory");
    std::fs::write(
        config.cni_conf_dir.join("10-loopback.conflist"),
        r#"{"cniVersion": "0.4.0", "name": "rkube-e2e", "plugins": [{"type": "loopback"}]}"#,
    )
    .expect("CNI configuration");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("async runtime");
    let (containerd, cri) = runtime
        .block_on(Containerd::start(&config))
        .expect("containerd starts");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drive(&runtime, &cri, &data_dir)
    }));
    // Whatever happened, leave no sandbox (and so no shim) behind.
    runtime.block_on(async {
        remove_all_sandboxes(&cri).await;
        containerd.stop().await;
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn drive(runtime: &tokio::runtime::Runtime, cri: &Cri, data_dir: &Path) {
    let work = data_dir.parent().expect("the data directory's parent");
    let data = text(data_dir);

    // busybox: a tarball written by rkube from busybox-static.
    let busybox = work.join("busybox.tar");
    images_ok(&["busybox", "--tag", "e2e/busybox:1", "-o", text(&busybox)]);
    assert!(std::fs::metadata(&busybox).expect("busybox.tar").len() > 1_000_000);

    // build: a directory tree with an entrypoint and a command.
    let rootfs = work.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).expect("rootfs");
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).expect("copy busybox");
    for applet in ["sh", "cat"] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).expect("link");
    }
    std::fs::write(rootfs.join("greeting"), "hello from rkube images build\n").expect("file");
    let app = work.join("app.tar");
    images_ok(&[
        "build",
        "--rootfs",
        text(&rootfs),
        "--tag",
        "example.com/e2e/app:2",
        "--entrypoint",
        r#"["/bin/sh", "-c"]"#,
        "--cmd",
        r#"["cat /greeting; echo $GREETED"]"#,
        "--env",
        "PATH=/bin",
        "--env",
        "GREETED=world",
        "-o",
        text(&app),
    ]);

    // import, then ls.
    let imported = images_ok(&["import", "--data-dir", data, text(&busybox), text(&app)]);
    let imported: Vec<&str> = imported.lines().collect();
    assert_eq!(
        imported,
        ["docker.io/e2e/busybox:1", "example.com/e2e/app:2"]
    );
    let table = images_ok(&["ls", "--data-dir", data]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines
        .next()
        .expect("a header")
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(header, ["IMAGE", "TAG", "IMAGE ID", "SIZE"], "{table}");
    let rows: Vec<Vec<&str>> = lines
        .map(|line| line.split_whitespace().collect())
        .collect();
    for (repository, tag) in [("docker.io/e2e/busybox", "1"), ("example.com/e2e/app", "2")] {
        let row = rows
            .iter()
            .find(|row| row[0] == repository)
            .unwrap_or_else(|| panic!("{repository} is not listed:\n{table}"));
        assert_eq!(row[1], tag, "{table}");
        assert_eq!(row[2].len(), 12, "{table}");
        assert!(row[2].chars().all(|c| c.is_ascii_hexdigit()), "{table}");
        assert!(row[3].ends_with('B'), "{table}");
    }
    let socket = format!(
        "unix://{}",
        data_dir.join("agent/containerd/containerd.sock").display()
    );
    let ids = images_ok(&["ls", "-q", "--container-runtime-endpoint", &socket]);
    assert_eq!(ids.lines().count(), 2, "{ids}");
    assert!(ids.lines().all(|id| id.starts_with("sha256:")), "{ids}");

    // Errors say what is wrong.
    let stderr = images_fails(&["import", "--data-dir", data, "/nonexistent/image.tar"]);
    assert!(stderr.contains("/nonexistent/image.tar"), "{stderr}");
    let stderr = images_fails(&["ls", "--data-dir", text(&work.join("nowhere"))]);
    assert!(stderr.contains("no container runtime"), "{stderr}");

    // The built image runs with its entrypoint, command and environment.
    let pause = runtime.block_on(kubelet::images::ensure_pause(
        &data_dir.join("agent/containerd/containerd.sock"),
        data_dir,
    ));
    pause.expect("the pause image imports");
    let logs = work.join("logs");
    let output = runtime.block_on(run_to_completion(cri, "example.com/e2e/app:2", &logs));
    assert!(
        output.contains("stdout F hello from rkube images build"),
        "{output}"
    );
    assert!(output.contains("stdout F world"), "{output}");
}

/// Runs one container of `image` in a sandbox on the host network until it
/// exits; returns its CRI log.
async fn run_to_completion(cri: &Cri, image: &str, logs: &Path) -> String {
    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "images-e2e".into(),
            uid: "00000000-0000-0000-0000-0000000000e2".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        log_directory: logs.display().to_string(),
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
        .await
        .expect("RunPodSandbox")
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
                    image: image.into(),
                    ..Default::default()
                }),
                log_path: "app.log".into(),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox_config),
        })
        .await
        .expect("CreateContainer")
        .into_inner()
        .container_id;
    cri.runtime()
        .start_container(api::StartContainerRequest {
            container_id: container.clone(),
        })
        .await
        .expect("StartContainer");
    let mut exited = false;
    for _ in 0..300 {
        let status = cri
            .runtime()
            .container_status(api::ContainerStatusRequest {
                container_id: container.clone(),
                verbose: false,
            })
            .await
            .expect("ContainerStatus")
            .into_inner()
            .status
            .expect("a container status");
        if status.state == api::ContainerState::ContainerExited as i32 {
            assert_eq!(status.exit_code, 0, "{status:?}");
            exited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exited, "the container did not exit");
    std::fs::read_to_string(logs.join("app.log")).unwrap_or_default()
}

/// Stops and removes every sandbox (with its containers).
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

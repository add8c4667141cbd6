//! Images against a real containerd: rkube's pause and busybox images are
//! imported through `ctr`, CRI lists them under their references, a pod
//! sandbox runs on the pause image and a container on the busybox image.
//!
//! Needs root and the Debian packages containerd, runc, busybox-static and
//! containernetworking-plugins; skipped (with a message) without them. The
//! sandbox uses the host's network namespace, so no CNI network is made;
//! the CNI directory holds a loopback-only configuration so that the CRI
//! plugin reports itself ready.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kubelet::containerd::{CgroupDriver, Config, Containerd};
use kubelet::cri::{api, Cri};
use kubelet::images;

const BUSYBOX: &str = "rkube.local/busybox:test";
const DOCKER_ARCHIVE: &str = "docker-archive-test:1";

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

fn config(dir: &Path) -> Config {
    Config {
        dir: dir.join("containerd"),
        sandbox_image: images::pause::REFERENCE.to_string(),
        cni_bin_dir: PathBuf::from("/usr/lib/cni"),
        cni_conf_dir: dir.join("net.d"),
        cgroup_driver: CgroupDriver::detect(),
    }
}

#[tokio::test]
async fn imported_images_are_listed_and_run() {
    if let Some(reason) = missing_prerequisite() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    std::fs::create_dir_all(&config.cni_conf_dir).unwrap();
    std::fs::write(
        config.cni_conf_dir.join("10-loopback.conflist"),
        r#"{"cniVersion": "0.4.0", "name": "rkube-test", "plugins": [{"type": "loopback"}]}"#,
    )
    .unwrap();
    let (containerd, cri) = Containerd::start(&config).await.unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(180),
        import_list_and_run(&cri, containerd.socket(), dir.path()),
    )
    .await;
    // Whatever happened, leave no sandbox (and so no shim) behind.
    remove_all_sandboxes(&cri).await;
    containerd.stop().await;
    if !matches!(outcome, Ok(Ok(()))) {
        // containerd's own account of what failed.
        let log = std::fs::read_to_string(config.dir.join("containerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("{}", lines[lines.len().saturating_sub(40)..].join("\n"));
    }
    outcome.expect("the test timed out").unwrap();
}

async fn import_list_and_run(
    cri: &Cri,
    socket: &Path,
    data_dir: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    images::ensure_pause(socket, data_dir).await?;
    let busybox = images::busybox(BUSYBOX)?;
    let imported = images::import_bytes(socket, data_dir, "busybox", &busybox).await?;
    assert_eq!(imported, [BUSYBOX]);

    // `<data-dir>/images/`: a gzip-compressed docker-archive (as `docker
    // save | gzip` writes) and a file that is no image, which is skipped.
    let dir = data_dir.join("images");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("archive.tar.gz"),
        gzip(&docker_archive(DOCKER_ARCHIVE)?)?,
    )?;
    std::fs::write(dir.join("broken.tar"), b"not a tarball")?;
    let imported = images::import_dir(socket, data_dir).await;
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(
        imported[0].images,
        ["docker.io/library/docker-archive-test:1"]
    );

    let listed = images::list(cri).await?;
    let names: Vec<String> = listed
        .iter()
        .map(|row| format!("{}:{}", row.repository, row.tag))
        .collect();
    assert!(
        names.contains(&images::pause::REFERENCE.to_string()),
        "{names:?}"
    );
    assert!(names.contains(&BUSYBOX.to_string()), "{names:?}");
    assert!(
        names.contains(&"docker.io/library/docker-archive-test:1".to_string()),
        "{names:?}"
    );
    assert!(listed
        .iter()
        .all(|row| row.id.starts_with("sha256:") && row.size > 0));

    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "images-test".into(),
            uid: "00000000-0000-0000-0000-0000000000a1".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        // The host network namespace comes with the host's UTS namespace,
        // whose name a sandbox may not set (runc refuses).
        log_directory: data_dir.join("logs").display().to_string(),
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
    let status = cri
        .runtime()
        .pod_sandbox_status(api::PodSandboxStatusRequest {
            pod_sandbox_id: sandbox.clone(),
            verbose: false,
        })
        .await?
        .into_inner()
        .status
        .ok_or("no sandbox status")?;
    assert_eq!(status.state, api::PodSandboxState::SandboxReady as i32);

    // A container of the busybox image exits with the status its shell gives.
    let container = cri
        .runtime()
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox.clone(),
            config: Some(api::ContainerConfig {
                metadata: Some(api::ContainerMetadata {
                    name: "shell".into(),
                    attempt: 0,
                }),
                image: Some(api::ImageSpec {
                    image: BUSYBOX.into(),
                    ..Default::default()
                }),
                command: vec![
                    "sh".into(),
                    "-c".into(),
                    "test -x /bin/wget && exit 3".into(),
                ],
                log_path: "shell.log".into(),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox_config),
        })
        .await?
        .into_inner()
        .container_id;
    cri.runtime()
        .start_container(api::StartContainerRequest {
            container_id: container.clone(),
        })
        .await?;
    let mut exit_code = None;
    for _ in 0..300 {
        let status = cri
            .runtime()
            .container_status(api::ContainerStatusRequest {
                container_id: container.clone(),
                verbose: false,
            })
            .await?
            .into_inner()
            .status
            .ok_or("no container status")?;
        if status.state == api::ContainerState::ContainerExited as i32 {
            exit_code = Some(status.exit_code);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(exit_code, Some(3));

    cri.runtime()
        .remove_container(api::RemoveContainerRequest {
            container_id: container,
        })
        .await?;
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
    let left = cri
        .runtime()
        .list_pod_sandbox(api::ListPodSandboxRequest { filter: None })
        .await?
        .into_inner()
        .items;
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}

/// Stops and removes every sandbox (with its containers), so that no shim
/// outlives the test's containerd.
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

/// A docker-archive tarball (the `docker save` format: `manifest.json`
/// naming the config and an uncompressed layer by `RepoTags`) of a tiny
/// image, made from the blobs of an OCI one.
fn docker_archive(tag: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let entries = [images::oci::Entry::bytes("/hello.txt", "hello", 0o644)];
    let built = images::oci::build(tag, &entries, &images::oci::ImageConfig::default())?;
    let mut blobs = std::collections::HashMap::new();
    let mut outer = tar::Archive::new(&built.tarball[..]);
    for entry in outer.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        blobs.insert(path, bytes);
    }
    let blob = |digest: &str| blobs.get(&format!("blobs/{}", digest.replace(':', "/")));
    let config = blob(&built.config.digest).ok_or("no config blob")?;
    let mut layer = Vec::new();
    flate2::read::GzDecoder::new(&blob(&built.layer.digest).ok_or("no layer blob")?[..])
        .read_to_end(&mut layer)?;
    let config_name = format!("{}.json", built.config.digest.trim_start_matches("sha256:"));
    let layer_name = format!("{}/layer.tar", built.diff_id.trim_start_matches("sha256:"));
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": config_name,
        "RepoTags": [tag],
        "Layers": [layer_name],
    }]))?;
    let mut archive = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        (config_name.as_str(), &config[..]),
        (layer_name.as_str(), &layer[..]),
        ("manifest.json", &manifest[..]),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(bytes.len() as u64);
        archive.append_data(&mut header, name, bytes)?;
    }
    Ok(archive.into_inner()?)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes)?;
    encoder.finish()
}

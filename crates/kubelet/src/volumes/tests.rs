use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, HostPathVolumeSource, PodSpec, ResourceRequirements,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use super::*;

fn q(text: &str) -> ApiQuantity {
    ApiQuantity(text.into())
}

fn with_memory(name: &str, limit: Option<&str>) -> Container {
    Container {
        name: name.into(),
        resources: Some(ResourceRequirements {
            limits: limit.map(|l| BTreeMap::from([("memory".to_string(), q(l))])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod(containers: Vec<Container>, init: Vec<Container>, volumes: Vec<Volume>) -> Pod {
    Pod {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("web".into()),
            namespace: Some("shop".into()),
            uid: Some("u1".into()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers,
            init_containers: Some(init),
            volumes: Some(volumes),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn node(memory: &str) -> NodeInfo {
    NodeInfo {
        host_ips: vec![],
        allocatable: BTreeMap::from([("memory".to_string(), q(memory))]),
    }
}

#[test]
fn memory_volume_sizes() {
    let mi = 1024 * 1024;
    // No pod limit (a container without one): the node's allocatable.
    let p = pod(
        vec![with_memory("a", Some("64Mi")), with_memory("b", None)],
        vec![],
        vec![],
    );
    assert_eq!(pod_memory_limit(&p), None);
    assert_eq!(tmpfs_size(&p, None, &node("1Gi")), Some(1024 * mi));
    assert_eq!(
        tmpfs_size(&p, Some(&q("10Mi")), &node("1Gi")),
        Some(10 * mi)
    );
    // All limited: the sum, or a larger init container; sidecars add up.
    let mut sidecar = with_memory("side", Some("16Mi"));
    sidecar.restart_policy = Some("Always".into());
    let p = pod(
        vec![
            with_memory("a", Some("64Mi")),
            with_memory("b", Some("32Mi")),
        ],
        vec![with_memory("init", Some("100Mi")), sidecar],
        vec![],
    );
    assert_eq!(pod_memory_limit(&p), Some(112 * mi));
    assert_eq!(tmpfs_size(&p, None, &node("1Gi")), Some(112 * mi));
    assert_eq!(
        tmpfs_size(&p, Some(&q("2Gi")), &node("1Gi")),
        Some(112 * mi)
    );
    assert_eq!(tmpfs_size(&p, Some(&q("1Mi")), &node("1Gi")), Some(mi));
    assert_eq!(tmpfs_size(&p, None, &NodeInfo::default()), Some(112 * mi));
}

/// Unmounts whatever a failed test left mounted under a directory.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        if let Ok(points) = mount::mounts_under(&self.0) {
            for point in points {
                let _ = std::process::Command::new("umount").arg(&point).status();
            }
        }
    }
}

fn offline_client() -> Client {
    // Never contacted: emptyDir and hostPath volumes read nothing.
    let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
    Client::try_from(config).unwrap()
}

#[tokio::test]
async fn empty_dir_and_host_path_setup_and_teardown() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let _guard = Unmount(root.clone());
    let pod_dir = root.join("pods/u1");
    let host = root.join("host/data");
    let can_mount = is_root();
    let mut volumes = vec![
        Volume {
            name: "cache".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: None,
                size_limit: Some(q("1Gi")),
            }),
            ..Default::default()
        },
        Volume {
            name: "host".into(),
            host_path: Some(HostPathVolumeSource {
                path: host.to_string_lossy().into_owned(),
                type_: Some("DirectoryOrCreate".into()),
            }),
            ..Default::default()
        },
    ];
    if can_mount {
        volumes.push(Volume {
            name: "scratch".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: Some(q("8Mi")),
            }),
            ..Default::default()
        });
    }
    let container = Container {
        name: "app".into(),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "cache".into(),
                mount_path: "/cache".into(),
                ..Default::default()
            },
            VolumeMount {
                name: "host".into(),
                mount_path: "/host".into(),
                read_only: Some(true),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let p = pod(vec![container.clone()], vec![], volumes);
    let client = offline_client();
    let set_up = PodVolumes::setup(&client, &p, &pod_dir, &node("1Gi"))
        .await
        .unwrap();
    let cache = volume_dir(&pod_dir, plugin::EMPTY_DIR, "cache");
    assert!(cache.is_dir());
    assert_eq!(
        fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o777
    );
    assert!(host.is_dir());
    assert_eq!(
        set_up.empty_dir_limits(),
        [DiskLimit {
            volume: "cache".into(),
            path: cache.clone(),
            bytes: 1 << 30,
        }]
    );
    let mounts = set_up.mounts(&container, &[]).unwrap();
    assert_eq!(mounts[0].host_path, cache.to_string_lossy());
    assert!(!mounts[0].readonly);
    assert_eq!(mounts[1].host_path, host.to_string_lossy());
    assert!(mounts[1].readonly);

    let scratch = volume_dir(&pod_dir, plugin::EMPTY_DIR, "scratch");
    if can_mount {
        assert!(mount::is_mount_point(&scratch).unwrap());
        let table = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let line = table
            .lines()
            .find(|l| l.contains(&*scratch.to_string_lossy()))
            .unwrap();
        assert!(line.contains("size=8192k"), "{line}");
        fs::write(scratch.join("f"), "kept").unwrap();
        // Setting up again (a kubelet restart) keeps contents and mounts once.
        PodVolumes::setup(&client, &p, &pod_dir, &node("1Gi"))
            .await
            .unwrap();
        assert_eq!(fs::read_to_string(scratch.join("f")).unwrap(), "kept");
        assert_eq!(mount::mounts_under(&pod_dir).unwrap().len(), 1);
    }

    teardown(&pod_dir).await.unwrap();
    assert!(!pod_dir.exists());
    assert!(host.is_dir(), "hostPath contents are never removed");
    assert!(mount::mounts_under(&root).unwrap().is_empty());
    // Tearing down what is gone is fine.
    teardown(&pod_dir).await.unwrap();
}

#[tokio::test]
async fn failures_name_their_volume() {
    let tmp = tempfile::tempdir().unwrap();
    let pod_dir = tmp.path().join("pods/u2");
    let missing = tmp.path().join("nothing-here");
    let p = pod(
        vec![],
        vec![],
        vec![
            Volume {
                name: "must-exist".into(),
                host_path: Some(HostPathVolumeSource {
                    path: missing.to_string_lossy().into_owned(),
                    type_: Some("Directory".into()),
                }),
                ..Default::default()
            },
            Volume {
                name: "fine".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            },
        ],
    );
    let err = PodVolumes::setup(&offline_client(), &p, &pod_dir, &NodeInfo::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.failures(),
        [SetUpFailure {
            volume: "must-exist".into(),
            message: format!(
                "hostPath type check failed: {} is not a directory",
                missing.display()
            ),
        }]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "MountVolume.SetUp failed for volume \"must-exist\" : hostPath type check failed: {} is not a directory",
            missing.display()
        )
    );
    // The other volume was set up all the same.
    assert!(volume_dir(&pod_dir, plugin::EMPTY_DIR, "fine").is_dir());
    teardown(&pod_dir).await.unwrap();
}

/// Whether this test process may mount (root); tmpfs checks are skipped
/// otherwise.
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

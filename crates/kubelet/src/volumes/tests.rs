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
    // Kept volumes set up again once the cause is gone.
    let client = offline_client();
    let mut kept = PodVolumes::new(&pod_dir, &NodeInfo::default()).unwrap();
    assert!(kept.set_up_all(&client, &p).await.is_err());
    assert!(kept.host_path("fine").is_some());
    assert!(kept.host_path("must-exist").is_none());
    fs::create_dir(&missing).unwrap();
    kept.set_up_all(&client, &p).await.unwrap();
    assert_eq!(kept.host_path("must-exist"), Some(missing.as_path()));
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

/// A stand-in API server for the fetching layer: answers GETs of the
/// objects it holds (404 otherwise) and token requests, on loopback, one
/// request per connection. Stopped when dropped.
pub(crate) mod mock_api {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    pub struct MockApi {
        pub url: String,
        pub objects: Arc<Mutex<HashMap<String, String>>>,
        pub tokens_issued: Arc<Mutex<u32>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for MockApi {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl MockApi {
        pub async fn start() -> MockApi {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let objects = Arc::new(Mutex::new(HashMap::new()));
            let tokens_issued = Arc::new(Mutex::new(0));
            let (o, t) = (objects.clone(), tokens_issued.clone());
            let task = tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, o.clone(), t.clone()));
                }
            });
            MockApi {
                url,
                objects,
                tokens_issued,
                task,
            }
        }

        pub fn put(&self, path: &str, body: serde_json::Value) {
            if let Ok(mut objects) = self.objects.lock() {
                objects.insert(path.to_string(), body.to_string());
            }
        }
    }

    async fn serve(
        mut stream: TcpStream,
        objects: Arc<Mutex<HashMap<String, String>>>,
        tokens: Arc<Mutex<u32>>,
    ) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())
                    .flatten()
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let mut words = head.split_whitespace();
        let method = words.next().unwrap_or("").to_string();
        let path = words
            .next()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let (status, body) = if method == "POST" && path.ends_with("/token") {
            let n = {
                let mut issued = tokens.lock().unwrap();
                *issued += 1;
                *issued
            };
            let request: serde_json::Value =
                serde_json::from_slice(&buf[head_end..]).unwrap_or_default();
            let mut answer = request.clone();
            answer["spec"]["expirationSeconds"] = serde_json::json!(3607);
            answer["status"] = serde_json::json!({
                "token": format!("tok-{n}"),
                "expirationTimestamp": "2099-01-01T00:00:00Z",
            });
            (201, answer.to_string())
        } else {
            match objects.lock().unwrap().get(&path) {
                Some(body) => (200, body.clone()),
                None => (
                    404,
                    serde_json::json!({
                        "kind": "Status", "apiVersion": "v1", "status": "Failure",
                        "reason": "NotFound", "code": 404,
                        "message": format!("{path} not found"),
                    })
                    .to_string(),
                ),
            }
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

#[tokio::test]
async fn api_backed_volumes_follow_updates() {
    if !is_root() {
        return;
    }
    use k8s_openapi::api::core::v1::{
        ConfigMapProjection, ConfigMapVolumeSource, DownwardAPIProjection, DownwardAPIVolumeFile,
        KeyToPath, ObjectFieldSelector, ProjectedVolumeSource, SecretVolumeSource,
        ServiceAccountTokenProjection, VolumeProjection,
    };
    use serde_json::json;

    let api = mock_api::MockApi::start().await;
    let client = Client::try_from(kube::Config::new(api.url.parse().unwrap())).unwrap();
    let cm_path = "/api/v1/namespaces/shop/configmaps/settings";
    api.put(
        cm_path,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "settings", "namespace": "shop"},
               "data": {"mode": "blue"}}),
    );
    api.put(
        "/api/v1/namespaces/shop/configmaps/kube-root-ca.crt",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "kube-root-ca.crt", "namespace": "shop"},
               "data": {"ca.crt": "CA"}}),
    );
    api.put(
        "/api/v1/namespaces/shop/secrets/creds",
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "creds", "namespace": "shop"},
               "data": {"password": "aHVudGVyMg=="}}),
    );

    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let _guard = Unmount(root.clone());
    let pod_dir = root.join("pods/u3");
    let token_source = |path: &str| VolumeProjection {
        service_account_token: Some(ServiceAccountTokenProjection {
            audience: None,
            expiration_seconds: Some(3607),
            path: path.into(),
        }),
        ..Default::default()
    };
    let volumes = vec![
        Volume {
            name: "settings".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "settings".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "creds".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some("creds".into()),
                default_mode: Some(0o400),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "kube-api-access-abcde".into(),
            projected: Some(ProjectedVolumeSource {
                default_mode: Some(0o644),
                sources: Some(vec![
                    token_source("token"),
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: "kube-root-ca.crt".into(),
                            items: Some(vec![KeyToPath {
                                key: "ca.crt".into(),
                                path: "ca.crt".into(),
                                mode: None,
                            }]),
                            optional: None,
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        downward_api: Some(DownwardAPIProjection {
                            items: Some(vec![DownwardAPIVolumeFile {
                                path: "namespace".into(),
                                field_ref: Some(ObjectFieldSelector {
                                    api_version: Some("v1".into()),
                                    field_path: "metadata.namespace".into(),
                                }),
                                ..Default::default()
                            }]),
                        }),
                        ..Default::default()
                    },
                ]),
            }),
            ..Default::default()
        },
    ];
    let p = pod(vec![], vec![], volumes);
    let mut set_up = PodVolumes::setup(&client, &p, &pod_dir, &node("1Gi"))
        .await
        .unwrap();

    let settings = volume_dir(&pod_dir, plugin::CONFIG_MAP, "settings");
    let creds = volume_dir(&pod_dir, plugin::SECRET, "creds");
    let access = volume_dir(&pod_dir, plugin::PROJECTED, "kube-api-access-abcde");
    assert_eq!(fs::read_to_string(settings.join("mode")).unwrap(), "blue");
    assert_eq!(
        fs::read_to_string(creds.join("password")).unwrap(),
        "hunter2"
    );
    assert_eq!(
        fs::metadata(creds.join("password"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o400
    );
    assert_eq!(fs::read_to_string(access.join("token")).unwrap(), "tok-1");
    assert_eq!(fs::read_to_string(access.join("ca.crt")).unwrap(), "CA");
    assert_eq!(
        fs::read_to_string(access.join("namespace")).unwrap(),
        "shop"
    );
    assert!(mount::is_mount_point(&creds).unwrap());
    assert!(mount::is_mount_point(&access).unwrap());
    assert!(!mount::is_mount_point(&settings).unwrap());

    // An update reaches the same user-visible path; the token is kept.
    api.put(
        cm_path,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "settings", "namespace": "shop"},
               "data": {"mode": "green", "extra": "1"}}),
    );
    set_up.refresh(&client, &p).await.unwrap();
    assert_eq!(fs::read_to_string(settings.join("mode")).unwrap(), "green");
    assert_eq!(fs::read_to_string(settings.join("extra")).unwrap(), "1");
    assert_eq!(fs::read_to_string(access.join("token")).unwrap(), "tok-1");
    assert_eq!(*api.tokens_issued.lock().unwrap(), 1);

    // A missing ConfigMap that is not optional fails as upstream reports it.
    let missing = pod(
        vec![],
        vec![],
        vec![Volume {
            name: "cfg".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "absent".into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
    );
    let err = PodVolumes::setup(&client, &missing, &root.join("pods/u4"), &node("1Gi"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "MountVolume.SetUp failed for volume \"cfg\" : configmap \"absent\" not found"
    );

    teardown(&pod_dir).await.unwrap();
    teardown(&root.join("pods/u4")).await.unwrap();
    assert!(mount::mounts_under(&root).unwrap().is_empty());
    assert!(!pod_dir.exists());
}

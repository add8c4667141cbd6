//! The files of configMap, secret, downwardAPI and projected volumes, from
//! the objects they show (pure: objects in, payload out), as upstream's
//! plugins make them (`MakePayload`, `CollectData`, `collectData`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, Secret,
};

use super::atomic_writer::{FileProjection, Payload};
use crate::env::{fieldpath, resource, Allocatable};

/// The default mode of volume files (0644), as the API defaults it.
pub const DEFAULT_MODE: i32 = 0o644;

fn mode(mode: Option<i32>, default_mode: i32) -> u32 {
    mode.unwrap_or(default_mode) as u32 & 0o7777
}

/// The files of a configMap volume (or projection): every key of `data`
/// and `binaryData` or just `items`. A missing optional ConfigMap is `None`
/// and gives no files.
pub fn config_map(
    items: Option<&[KeyToPath]>,
    config_map: Option<&ConfigMap>,
    default_mode: i32,
    optional: bool,
) -> Result<Payload, String> {
    let empty = BTreeMap::new();
    let data = config_map.and_then(|c| c.data.as_ref()).unwrap_or(&empty);
    let empty_binary = BTreeMap::new();
    let binary = config_map
        .and_then(|c| c.binary_data.as_ref())
        .unwrap_or(&empty_binary);
    let mut payload = Payload::new();
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (key, value) in data {
                payload.insert(
                    key.clone(),
                    file(value.as_bytes(), mode(None, default_mode)),
                );
            }
            for (key, value) in binary {
                payload.insert(key.clone(), file(&value.0, mode(None, default_mode)));
            }
        }
        Some(items) => {
            for item in items {
                let content = match (data.get(&item.key), binary.get(&item.key)) {
                    (Some(text), _) => text.as_bytes(),
                    (None, Some(bytes)) => &bytes.0[..],
                    (None, None) if optional => continue,
                    (None, None) => {
                        return Err(format!(
                            "configmap references non-existent config key: {}",
                            item.key
                        ))
                    }
                };
                payload.insert(
                    item.path.clone(),
                    file(content, mode(item.mode, default_mode)),
                );
            }
        }
    }
    Ok(payload)
}

/// The files of a secret volume (or projection): every key of `data`
/// (already base64-decoded) or just `items`.
pub fn secret(
    items: Option<&[KeyToPath]>,
    secret: Option<&Secret>,
    default_mode: i32,
    optional: bool,
) -> Result<Payload, String> {
    let empty = BTreeMap::new();
    let data = secret.and_then(|s| s.data.as_ref()).unwrap_or(&empty);
    let mut payload = Payload::new();
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (key, value) in data {
                payload.insert(key.clone(), file(&value.0, mode(None, default_mode)));
            }
        }
        Some(items) => {
            for item in items {
                let Some(content) = data.get(&item.key) else {
                    if optional {
                        continue;
                    }
                    return Err(format!("references non-existent secret key: {}", item.key));
                };
                payload.insert(
                    item.path.clone(),
                    file(&content.0, mode(item.mode, default_mode)),
                );
            }
        }
    }
    Ok(payload)
}

/// The files of a downwardAPI volume (or projection): pod metadata fields
/// and container resources.
pub fn downward_api(
    items: &[DownwardAPIVolumeFile],
    pod: &Pod,
    allocatable: &Allocatable,
    default_mode: i32,
) -> Result<Payload, String> {
    let mut payload = Payload::new();
    let mut errors = Vec::new();
    for item in items {
        let value = if let Some(field) = &item.field_ref {
            fieldpath::metadata_value(pod, &field.field_path)
        } else if let Some(field) = &item.resource_field_ref {
            resource::value(field, pod, None, allocatable)
        } else {
            Ok(String::new())
        };
        match value {
            Ok(value) => {
                payload.insert(
                    clean(&item.path),
                    file(value.as_bytes(), mode(item.mode, default_mode)),
                );
            }
            Err(e) => errors.push(e),
        }
    }
    aggregate(errors).map(|()| payload)
}

/// What a projected volume's sources were found to be, fetched beforehand:
/// by name, `Ok(None)` for an object that does not exist and `Err` for one
/// that could not be read; service account tokens by the source's path.
#[derive(Debug, Default)]
pub struct Fetched {
    pub config_maps: BTreeMap<String, Result<Option<ConfigMap>, String>>,
    pub secrets: BTreeMap<String, Result<Option<Secret>, String>>,
    pub tokens: BTreeMap<String, Result<String, String>>,
}

fn lookup<'a, T>(
    found: &'a BTreeMap<String, Result<Option<T>, String>>,
    kind: &str,
    name: &str,
    optional: bool,
) -> Result<Option<&'a T>, String> {
    match found.get(name) {
        Some(Ok(Some(object))) => Ok(Some(object)),
        Some(Err(e)) => Err(e.clone()),
        Some(Ok(None)) | None if optional => Ok(None),
        Some(Ok(None)) | None => Err(format!("{kind} \"{name}\" not found")),
    }
}

/// The files of a projected volume. `owned` says whether the pod sets an
/// fsGroup (or fsUser): token files are then 0600 (0640 once the group is
/// applied), as upstream.
pub fn projected(
    source: &ProjectedVolumeSource,
    pod: &Pod,
    allocatable: &Allocatable,
    fetched: &Fetched,
    owned: bool,
) -> Result<Payload, String> {
    let default_mode = source.default_mode.unwrap_or(DEFAULT_MODE);
    let mut payload = Payload::new();
    let mut errors = Vec::new();
    for projection in source.sources.iter().flatten() {
        let part = if let Some(s) = &projection.secret {
            let optional = s.optional.unwrap_or(false);
            lookup(&fetched.secrets, "secret", &s.name, optional)
                .and_then(|found| secret(s.items.as_deref(), found, default_mode, optional))
        } else if let Some(c) = &projection.config_map {
            let optional = c.optional.unwrap_or(false);
            lookup(&fetched.config_maps, "configmap", &c.name, optional)
                .and_then(|found| config_map(c.items.as_deref(), found, default_mode, optional))
        } else if let Some(d) = &projection.downward_api {
            downward_api(
                d.items.as_deref().unwrap_or(&[]),
                pod,
                allocatable,
                default_mode,
            )
        } else if let Some(t) = &projection.service_account_token {
            let mode = if owned {
                0o600
            } else {
                default_mode as u32 & 0o7777
            };
            match fetched.tokens.get(&t.path) {
                Some(Ok(token)) => Ok(Payload::from([(
                    t.path.clone(),
                    file(token.as_bytes(), mode),
                )])),
                Some(Err(e)) => Err(e.clone()),
                None => Err(format!("no token was requested for {}", t.path)),
            }
        } else if projection.cluster_trust_bundle.is_some() {
            Err("clusterTrustBundle projections are not supported by this kubelet".to_string())
        } else {
            Ok(Payload::new())
        };
        match part {
            Ok(part) => payload.extend(part),
            Err(e) => errors.push(e),
        }
    }
    aggregate(errors).map(|()| payload)
}

fn file(data: &[u8], mode: u32) -> FileProjection {
    FileProjection {
        data: data.to_vec(),
        mode,
    }
}

/// `a//b/./c` → `a/b/c`, as Go's `filepath.Clean` for relative paths.
fn clean(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Upstream's error aggregate: one error as itself, several as `[a, b]`.
fn aggregate(errors: Vec<String>) -> Result<(), String> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.into_iter().next().unwrap_or_default()),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ConfigMapProjection, DownwardAPIProjection, ObjectFieldSelector, PodSpec,
        ResourceFieldSelector, ServiceAccountTokenProjection, VolumeProjection,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use k8s_openapi::ByteString;

    fn cm() -> ConfigMap {
        ConfigMap {
            data: Some(BTreeMap::from([
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "2".to_string()),
            ])),
            binary_data: Some(BTreeMap::from([(
                "bin".to_string(),
                ByteString(vec![0, 159, 146, 150]),
            )])),
            ..Default::default()
        }
    }

    fn item(key: &str, path: &str, mode: Option<i32>) -> KeyToPath {
        KeyToPath {
            key: key.into(),
            path: path.into(),
            mode,
        }
    }

    fn pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("shop".into()),
                labels: Some(BTreeMap::from([("app".to_string(), "web".to_string())])),
                ..Default::default()
            },
            spec: Some(PodSpec::default()),
            ..Default::default()
        }
    }

    #[test]
    fn config_map_all_keys_or_items() {
        let all = config_map(None, Some(&cm()), 0o644, false).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["a", "b", "bin"]);
        assert_eq!(all["bin"].data, vec![0, 159, 146, 150]);
        assert_eq!(all["a"].mode, 0o644);

        let items = [
            item("a", "dir/first", Some(0o400)),
            item("bin", "raw", None),
        ];
        let some = config_map(Some(&items), Some(&cm()), 0o440, false).unwrap();
        assert_eq!(some.keys().collect::<Vec<_>>(), ["dir/first", "raw"]);
        assert_eq!(some["dir/first"].mode, 0o400);
        assert_eq!(some["raw"].mode, 0o440);

        let missing = [item("zzz", "z", None)];
        assert_eq!(
            config_map(Some(&missing), Some(&cm()), 0o644, false).unwrap_err(),
            "configmap references non-existent config key: zzz"
        );
        assert!(config_map(Some(&missing), Some(&cm()), 0o644, true)
            .unwrap()
            .is_empty());
        assert!(config_map(None, None, 0o644, true).unwrap().is_empty());
    }

    #[test]
    fn secret_keys_are_decoded_bytes() {
        let s = Secret {
            data: Some(BTreeMap::from([(
                "password".to_string(),
                ByteString(b"hunter2".to_vec()),
            )])),
            ..Default::default()
        };
        let all = secret(None, Some(&s), 0o400, false).unwrap();
        assert_eq!(all["password"].data, b"hunter2");
        assert_eq!(all["password"].mode, 0o400);
        assert_eq!(
            secret(Some(&[item("x", "x", None)]), Some(&s), 0o644, false).unwrap_err(),
            "references non-existent secret key: x"
        );
    }

    #[test]
    fn projected_service_account_volume() {
        let source = ProjectedVolumeSource {
            default_mode: Some(0o644),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        audience: None,
                        expiration_seconds: Some(3607),
                        path: "token".into(),
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![item("ca.crt", "ca.crt", None)]),
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
        };
        let root_ca = ConfigMap {
            data: Some(BTreeMap::from([(
                "ca.crt".to_string(),
                "-----BEGIN CERTIFICATE-----\n".to_string(),
            )])),
            ..Default::default()
        };
        let mut fetched = Fetched::default();
        fetched
            .config_maps
            .insert("kube-root-ca.crt".into(), Ok(Some(root_ca)));
        fetched
            .tokens
            .insert("token".into(), Ok("eyJ.token".into()));
        let payload = projected(&source, &pod(), &Allocatable::new(), &fetched, false).unwrap();
        assert_eq!(
            payload.keys().collect::<Vec<_>>(),
            ["ca.crt", "namespace", "token"]
        );
        assert_eq!(payload["token"].data, b"eyJ.token");
        assert_eq!(payload["token"].mode, 0o644);
        assert_eq!(payload["namespace"].data, b"shop");
        let owned = projected(&source, &pod(), &Allocatable::new(), &fetched, true).unwrap();
        assert_eq!(owned["token"].mode, 0o600);

        // A missing ConfigMap and a failed token request are both reported.
        fetched
            .config_maps
            .insert("kube-root-ca.crt".into(), Ok(None));
        fetched
            .tokens
            .insert("token".into(), Err("forbidden".into()));
        assert_eq!(
            projected(&source, &pod(), &Allocatable::new(), &fetched, false).unwrap_err(),
            "[forbidden, configmap \"kube-root-ca.crt\" not found]"
        );
    }

    #[test]
    fn downward_api_fields_and_resources() {
        let items = [
            DownwardAPIVolumeFile {
                path: "labels".into(),
                field_ref: Some(ObjectFieldSelector {
                    api_version: None,
                    field_path: "metadata.labels".into(),
                }),
                mode: Some(0o400),
                ..Default::default()
            },
            DownwardAPIVolumeFile {
                path: "./cpu".into(),
                resource_field_ref: Some(ResourceFieldSelector {
                    container_name: Some("app".into()),
                    resource: "limits.cpu".into(),
                    divisor: None,
                }),
                ..Default::default()
            },
        ];
        let mut pod = pod();
        pod.spec = Some(PodSpec {
            containers: vec![k8s_openapi::api::core::v1::Container {
                name: "app".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        let allocatable = Allocatable::from([(
            "cpu".to_string(),
            k8s_openapi::apimachinery::pkg::api::resource::Quantity("3".into()),
        )]);
        let payload = downward_api(&items, &pod, &allocatable, 0o644).unwrap();
        assert_eq!(payload["labels"].data, b"app=\"web\"");
        assert_eq!(payload["labels"].mode, 0o400);
        assert_eq!(payload["cpu"].data, b"3");
        assert_eq!(payload["cpu"].mode, 0o644);
    }
}

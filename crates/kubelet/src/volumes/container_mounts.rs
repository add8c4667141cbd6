//! A container's `volumeMounts` as CRI mounts, as upstream's `makeMounts`
//! makes them: the volume's host path (or a `subPath` in it, with
//! `subPathExpr` expanded from the container's environment), read-only when
//! the mount or the volume kind says so, and the mount propagation.
//!
//! A subPath is resolved (symlinks followed) to the real path on the host
//! and must stay inside the volume; the runtime bind-mounts that path, so,
//! as upstream, a subPath mount of a configMap or secret volume keeps the
//! content it had when the container started.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, VolumeMount};

use super::VolumeError;
use crate::cri::api::{Mount, MountPropagation};
use crate::env::expansion;

/// A volume as a container mount sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountedVolume {
    /// Where the volume is on the node.
    pub host_path: PathBuf,
    /// Whether every mount of it is read-only (configMap, secret,
    /// downwardAPI and projected volumes).
    pub read_only: bool,
}

fn mount_error(message: String) -> VolumeError {
    VolumeError::Mount(message)
}

/// `subPathExpr` expanded from the container's environment; every name it
/// uses must have a non-empty value (`ExpandContainerVolumeMounts`).
fn expand_sub_path(expr: &str, env: &[(String, String)]) -> Result<String, VolumeError> {
    let vars: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let missing = RefCell::new(BTreeSet::new());
    let expanded = expansion::expand(expr, |name| match vars.get(name) {
        Some(value) if !value.is_empty() => Some(value.to_string()),
        _ => {
            missing.borrow_mut().insert(name.to_string());
            Some(String::new())
        }
    });
    let missing = missing.into_inner();
    if !missing.is_empty() {
        let names: Vec<String> = missing.into_iter().collect();
        return Err(mount_error(format!(
            "missing value for {}",
            names.join(", ")
        )));
    }
    Ok(expanded)
}

fn propagation(mode: Option<&str>) -> Result<MountPropagation, VolumeError> {
    match mode {
        None | Some("None") => Ok(MountPropagation::PropagationPrivate),
        Some("HostToContainer") => Ok(MountPropagation::PropagationHostToContainer),
        Some("Bidirectional") => Ok(MountPropagation::PropagationBidirectional),
        Some(other) => Err(mount_error(format!(
            "invalid MountPropagation mode: {other:?}"
        ))),
    }
}

/// Creates the missing directories of `sub_path` under `volume` without
/// following a symlink out of it, with the volume root's mode.
fn make_sub_dirs(volume: &Path, sub_path: &str) -> std::io::Result<()> {
    let mode = fs::metadata(volume)?.permissions().mode() & 0o7777;
    let mut current = volume.to_path_buf();
    for part in Path::new(sub_path).components() {
        let Component::Normal(part) = part else {
            continue;
        };
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() => {}
            // An existing symlink or file: the rest is checked once resolved.
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::DirBuilder::new().mode(mode).create(&current)?;
                fs::set_permissions(&current, fs::Permissions::from_mode(mode))?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The host path of a subPath mount: created when missing, resolved, and
/// inside the volume.
fn sub_path_host(
    volume: &Path,
    sub_path: &str,
    mount: &VolumeMount,
    container: &str,
) -> Result<PathBuf, VolumeError> {
    let joined = volume.join(sub_path);
    if fs::symlink_metadata(&joined).is_err() {
        make_sub_dirs(volume, sub_path).map_err(|e| {
            tracing::warn!(volume = %volume.display(), sub_path, "creating a subPath: {e}");
            mount_error(format!(
                "failed to create subPath directory for volumeMount {:?} of container {container:?}",
                mount.name
            ))
        })?;
    }
    let prepare_error = || {
        mount_error(format!(
            "failed to prepare subPath for volumeMount {:?} of container {container:?}",
            mount.name
        ))
    };
    let root = fs::canonicalize(volume).map_err(|_| prepare_error())?;
    let resolved = fs::canonicalize(&joined).map_err(|_| prepare_error())?;
    if !resolved.starts_with(&root) {
        tracing::warn!(path = %joined.display(), "subPath resolves outside its volume");
        return Err(prepare_error());
    }
    Ok(resolved)
}

/// The CRI mounts of `container`'s `volumeMounts`, given the pod's volumes
/// and the container's environment (for `subPathExpr`).
pub fn container_mounts(
    volumes: &BTreeMap<String, MountedVolume>,
    container: &Container,
    env: &[(String, String)],
) -> Result<Vec<Mount>, VolumeError> {
    let mut mounts = Vec::new();
    for mount in container.volume_mounts.iter().flatten() {
        let volume = volumes
            .get(&mount.name)
            .ok_or_else(|| VolumeError::NotFound {
                volume: mount.name.clone(),
                container: container.name.clone(),
            })?;
        let mut sub_path = mount.sub_path.clone().unwrap_or_default();
        if let Some(expr) = mount.sub_path_expr.as_deref().filter(|e| !e.is_empty()) {
            sub_path = expand_sub_path(expr, env)?;
        }
        let host_path = if sub_path.is_empty() {
            volume.host_path.clone()
        } else {
            if sub_path.starts_with('/') {
                return Err(mount_error(format!(
                    "error SubPath `{sub_path}` must not be an absolute path"
                )));
            }
            if sub_path.split('/').any(|p| p == "..") {
                return Err(mount_error(format!(
                    "unable to provision SubPath `{sub_path}`: must not contain '..'"
                )));
            }
            sub_path_host(&volume.host_path, &sub_path, mount, &container.name)?
        };
        let read_only = mount.read_only.unwrap_or(false) || volume.read_only;
        let recursive = match mount.recursive_read_only.as_deref() {
            None | Some("Disabled") | Some("IfPossible") => false,
            Some("Enabled") => {
                return Err(mount_error(format!(
                    "failed to resolve recursive read-only mode: volumeMount {:?} requested recursive read-only mode, but it is not supported by the runtime",
                    mount.name
                )))
            }
            Some(other) => {
                return Err(mount_error(format!(
                    "failed to resolve recursive read-only mode: unknown recursive read-only mode {other:?}"
                )))
            }
        };
        mounts.push(Mount {
            container_path: mount.mount_path.clone(),
            host_path: host_path.to_string_lossy().into_owned(),
            readonly: read_only,
            selinux_relabel: false,
            propagation: propagation(mount.mount_propagation.as_deref())? as i32,
            recursive_read_only: recursive,
            ..Default::default()
        });
    }
    Ok(mounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn vm(name: &str, path: &str) -> VolumeMount {
        VolumeMount {
            name: name.into(),
            mount_path: path.into(),
            ..Default::default()
        }
    }

    #[test]
    fn maps_mounts() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let config = tmp.path().join("config");
        fs::create_dir(&data).unwrap();
        fs::create_dir(&config).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o777)).unwrap();
        fs::create_dir(config.join("..v1")).unwrap();
        fs::write(config.join("..v1/key"), "1").unwrap();
        symlink("..v1", config.join("..data")).unwrap();
        symlink("..data/key", config.join("key")).unwrap();
        symlink("/etc", data.join("escape")).unwrap();
        let volumes = BTreeMap::from([
            (
                "data".to_string(),
                MountedVolume {
                    host_path: data.clone(),
                    read_only: false,
                },
            ),
            (
                "config".to_string(),
                MountedVolume {
                    host_path: config.clone(),
                    read_only: true,
                },
            ),
        ]);
        let container = Container {
            name: "app".into(),
            volume_mounts: Some(vec![
                VolumeMount {
                    read_only: Some(true),
                    mount_propagation: Some("HostToContainer".into()),
                    ..vm("data", "/data")
                },
                VolumeMount {
                    sub_path_expr: Some("pods/$(POD_NAME)".into()),
                    ..vm("data", "/mine")
                },
                vm("config", "/etc/config"),
                VolumeMount {
                    sub_path: Some("key".into()),
                    ..vm("config", "/etc/key")
                },
            ]),
            ..Default::default()
        };
        let env = [("POD_NAME".to_string(), "web-0".to_string())];
        let mounts = container_mounts(&volumes, &container, &env).unwrap();
        assert_eq!(mounts.len(), 4);
        assert_eq!(mounts[0].host_path, data.to_string_lossy());
        assert_eq!(mounts[0].container_path, "/data");
        assert!(mounts[0].readonly);
        assert_eq!(
            mounts[0].propagation,
            MountPropagation::PropagationHostToContainer as i32
        );
        let mine = fs::canonicalize(&data).unwrap().join("pods/web-0");
        assert_eq!(mounts[1].host_path, mine.to_string_lossy());
        assert!(mine.is_dir());
        assert_eq!(
            fs::metadata(&mine).unwrap().permissions().mode() & 0o777,
            0o777
        );
        assert!(!mounts[1].readonly);
        assert_eq!(
            mounts[1].propagation,
            MountPropagation::PropagationPrivate as i32
        );
        assert!(mounts[2].readonly);
        // A subPath of an atomic-writer volume is the file itself, resolved.
        let key = fs::canonicalize(config.join("..v1/key")).unwrap();
        assert_eq!(mounts[3].host_path, key.to_string_lossy());

        let err = |mount: VolumeMount, env: &[(String, String)]| {
            let container = Container {
                name: "app".into(),
                volume_mounts: Some(vec![mount]),
                ..Default::default()
            };
            container_mounts(&volumes, &container, env)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(vm("nope", "/x"), &env),
            "cannot find volume \"nope\" to mount into container \"app\""
        );
        assert_eq!(
            err(
                VolumeMount {
                    sub_path_expr: Some("$(A)/$(POD_NAME)/$(B)".into()),
                    ..vm("data", "/x")
                },
                &env
            ),
            "missing value for A, B"
        );
        assert_eq!(
            err(
                VolumeMount {
                    sub_path: Some("/abs".into()),
                    ..vm("data", "/x")
                },
                &env
            ),
            "error SubPath `/abs` must not be an absolute path"
        );
        assert_eq!(
            err(
                VolumeMount {
                    sub_path: Some("a/../../b".into()),
                    ..vm("data", "/x")
                },
                &env
            ),
            "unable to provision SubPath `a/../../b`: must not contain '..'"
        );
        assert_eq!(
            err(
                VolumeMount {
                    sub_path: Some("escape".into()),
                    ..vm("data", "/x")
                },
                &env
            ),
            "failed to prepare subPath for volumeMount \"data\" of container \"app\""
        );
        assert_eq!(
            err(
                VolumeMount {
                    mount_propagation: Some("Sideways".into()),
                    ..vm("data", "/x")
                },
                &env
            ),
            "invalid MountPropagation mode: \"Sideways\""
        );
    }
}

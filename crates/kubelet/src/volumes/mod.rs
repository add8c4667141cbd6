//! A pod's volumes on the node, as upstream's kubelet lays them out and
//! fills them: `<pod-dir>/volumes/kubernetes.io~<plugin>/<name>`.
//!
//! - emptyDir: a directory (mode 0777); medium `Memory` is a tmpfs sized by
//!   the smallest of `sizeLimit`, the pod's memory limit and the node's
//!   allocatable memory. A disk `sizeLimit` is only recorded
//!   ([`PodVolumes::empty_dir_limits`]) for eviction to enforce.
//! - configMap (on disk), secret, downwardAPI and projected (each on its own
//!   tmpfs, so that secrets never touch the disk): files written by the
//!   [`atomic_writer`], so that [`PodVolumes::refresh`] updates them in
//!   place and running containers see new contents.
//! - hostPath: the node's path, checked against its `type`.
//!
//! The pieces are pure where they can be ([`projection`] makes files from
//! objects, [`container_mounts`] maps volumeMounts to CRI mounts,
//! [`host_path`] checks types); [`fetch`] is the only API client; [`mount`]
//! runs `mount`/`umount` for tmpfs.

pub mod atomic_writer;
pub mod container_mounts;
pub mod fetch;
pub mod host_path;
pub mod mount;
pub mod ownership;
pub mod projection;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use api::quota::Quantity;
use k8s_openapi::api::core::v1::{Container, Pod, Volume};
use kube::Client;

use crate::cri::api::Mount;
use crate::env::NodeInfo;
pub use container_mounts::MountedVolume;
use projection::{Fetched, DEFAULT_MODE};

/// The plugin directory names upstream uses under `volumes/`.
pub mod plugin {
    pub const EMPTY_DIR: &str = "kubernetes.io~empty-dir";
    pub const CONFIG_MAP: &str = "kubernetes.io~configmap";
    pub const SECRET: &str = "kubernetes.io~secret";
    pub const DOWNWARD_API: &str = "kubernetes.io~downward-api";
    pub const PROJECTED: &str = "kubernetes.io~projected";
}

/// One volume that could not be set up, shown as upstream's FailedMount
/// event message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetUpFailure {
    pub volume: String,
    pub message: String,
}

impl fmt::Display for SetUpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MountVolume.SetUp failed for volume \"{}\" : {}",
            self.volume, self.message
        )
    }
}

fn join_failures(failures: &[SetUpFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why volumes could not be set up, mounted into a container, or removed.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// Volumes that could not be set up: one FailedMount event each; the pod
    /// stays ContainerCreating and setup is tried again later.
    #[error("{}", join_failures(.0))]
    SetUp(Vec<SetUpFailure>),
    #[error("cannot find volume {volume:?} to mount into container {container:?}")]
    NotFound { volume: String, container: String },
    /// A volumeMount that cannot be made (subPath, propagation, ...): the
    /// container's CreateContainerConfigError message.
    #[error("{0}")]
    Mount(String),
    #[error("tearing down {}: {message}", .path.display())]
    Teardown { path: PathBuf, message: String },
}

impl VolumeError {
    /// The volumes that failed to set up, for FailedMount events.
    pub fn failures(&self) -> &[SetUpFailure] {
        match self {
            VolumeError::SetUp(failures) => failures,
            _ => &[],
        }
    }
}

/// An emptyDir on disk with a `sizeLimit`, for eviction to watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskLimit {
    pub volume: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// The volumes of one pod, set up on the node.
#[derive(Debug)]
pub struct PodVolumes {
    pod_dir: PathBuf,
    node: NodeInfo,
    volumes: BTreeMap<String, MountedVolume>,
    disk_limits: Vec<DiskLimit>,
    /// Service account tokens by (volume, path in the volume).
    tokens: HashMap<(String, String), fetch::Token>,
}

/// The directory of volume `name` of plugin `plugin` in a pod's directory.
pub fn volume_dir(pod_dir: &Path, plugin: &str, name: &str) -> PathBuf {
    pod_dir.join("volumes").join(plugin).join(name)
}

/// Creates `dir` (and parents) and gives it `mode` (whatever the umask).
fn ensure_dir(dir: &Path, mode: u32) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let meta = fs::metadata(dir).map_err(|e| format!("stat {}: {e}", dir.display()))?;
    if meta.permissions().mode() & 0o777 != mode {
        // Only the permission bits: a tmpfs root keeps its sticky bit.
        let keep = meta.permissions().mode() & 0o7000;
        fs::set_permissions(dir, fs::Permissions::from_mode(keep | mode))
            .map_err(|e| format!("chmod {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Ensures a tmpfs of at most `size` bytes is mounted at `dir` (mode 0777).
async fn ensure_tmpfs(dir: &Path, size: Option<u64>) -> Result<(), String> {
    ensure_dir(dir, 0o777)?;
    let mounted =
        mount::is_mount_point(dir).map_err(|e| format!("reading the mount table: {e}"))?;
    if !mounted {
        mount::mount_tmpfs(dir, size)
            .await
            .map_err(|e| e.to_string())?;
    }
    ensure_dir(dir, 0o777)
}

/// Bytes of a quantity, rounded up (`Quantity.Value`).
fn bytes(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Option<u64> {
    let nanos = Quantity::parse(&q.0)?.0;
    let whole = nanos / 1_000_000_000 + i128::from(nanos % 1_000_000_000 > 0);
    u64::try_from(whole).ok()
}

fn memory_limit(container: &Container) -> Option<u64> {
    container
        .resources
        .as_ref()?
        .limits
        .as_ref()?
        .get("memory")
        .and_then(bytes)
        .filter(|b| *b > 0)
}

/// The pod's memory limit as its cgroup gets it: only when every container
/// has one; the larger of the app containers (with sidecars) and any init
/// container, plus the pod overhead.
fn pod_memory_limit(pod: &Pod) -> Option<u64> {
    let spec = pod.spec.as_ref()?;
    let mut running: u64 = 0;
    for c in &spec.containers {
        running = running.saturating_add(memory_limit(c)?);
    }
    let mut init_max: u64 = 0;
    for c in spec.init_containers.iter().flatten() {
        let limit = memory_limit(c)?;
        if c.restart_policy.as_deref() == Some("Always") {
            running = running.saturating_add(limit);
        } else {
            init_max = init_max.max(limit);
        }
    }
    let overhead = spec
        .overhead
        .as_ref()
        .and_then(|o| o.get("memory"))
        .and_then(bytes)
        .unwrap_or(0);
    Some(running.max(init_max).saturating_add(overhead))
}

/// The size of a memory-backed volume: the smallest of the node's
/// allocatable memory, the pod's memory limit and the volume's own limit.
fn tmpfs_size(
    pod: &Pod,
    size_limit: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    node: &NodeInfo,
) -> Option<u64> {
    let candidates = [
        node.allocatable.get("memory").and_then(bytes),
        pod_memory_limit(pod),
        size_limit.and_then(bytes),
    ];
    candidates.into_iter().flatten().filter(|b| *b > 0).min()
}

fn fs_group(pod: &Pod) -> (Option<i64>, Option<String>) {
    let context = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    (
        context.and_then(|c| c.fs_group),
        context.and_then(|c| c.fs_group_change_policy.clone()),
    )
}

fn apply_fs_group(pod: &Pod, dir: &Path, read_only: bool) -> Result<(), String> {
    let (group, policy) = fs_group(pod);
    ownership::set(dir, group, policy.as_deref(), read_only)
        .map_err(|e| format!("applying fsGroup to {}: {e}", dir.display()))
}

fn write_payload(dir: &Path, payload: &atomic_writer::Payload) -> Result<(), String> {
    atomic_writer::write(dir, payload)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn not_found(kind: &str, name: &str) -> String {
    format!("{kind} \"{name}\" not found")
}

impl PodVolumes {
    /// Sets up every volume of `pod` under `pod_dir` (the agent's
    /// `<data-dir>/pods/<uid>`): [`PodVolumes::new`], then
    /// [`PodVolumes::set_up_all`]. Safe to call again for a pod already set
    /// up (after a kubelet restart): existing contents are kept, mounts are
    /// not repeated. Fails with [`VolumeError::SetUp`] listing the volumes
    /// that could not be set up (the others are).
    pub async fn setup(
        client: &Client,
        pod: &Pod,
        pod_dir: &Path,
        node: &NodeInfo,
    ) -> Result<PodVolumes, VolumeError> {
        let mut volumes = PodVolumes::new(pod_dir, node)?;
        volumes.set_up_all(client, pod).await?;
        Ok(volumes)
    }

    /// The volumes of a pod whose directory is `pod_dir`, none set up yet;
    /// creates `<pod_dir>/volumes`. An agent that keeps this across failed
    /// [`PodVolumes::set_up_all`] attempts also keeps the service account
    /// tokens already issued.
    pub fn new(pod_dir: &Path, node: &NodeInfo) -> Result<PodVolumes, VolumeError> {
        let failed = |message: String| {
            VolumeError::SetUp(vec![SetUpFailure {
                volume: String::new(),
                message,
            }])
        };
        ensure_dir(&pod_dir.join("volumes"), 0o750).map_err(failed)?;
        // The mount table names real paths.
        let pod_dir = fs::canonicalize(pod_dir)
            .map_err(|e| failed(format!("resolving {}: {e}", pod_dir.display())))?;
        Ok(PodVolumes {
            pod_dir,
            node: node.clone(),
            volumes: BTreeMap::new(),
            disk_limits: Vec::new(),
            tokens: HashMap::new(),
        })
    }

    /// Sets up every volume of `pod` (again: idempotent). On failure the
    /// volumes that could be set up are, and can be mounted.
    pub async fn set_up_all(&mut self, client: &Client, pod: &Pod) -> Result<(), VolumeError> {
        let mut failures = Vec::new();
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            match self.set_up(client, pod, volume, true).await {
                Ok(mounted) => {
                    self.volumes.insert(volume.name.clone(), mounted);
                }
                Err(message) => failures.push(SetUpFailure {
                    volume: volume.name.clone(),
                    message,
                }),
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(VolumeError::SetUp(failures))
        }
    }

    /// Rewrites the configMap, secret, downwardAPI and projected volumes
    /// from the current objects (and `pod`'s current labels and
    /// annotations), renewing service account tokens near their expiry.
    /// Unchanged contents are left alone. The agent calls this periodically
    /// (upstream: about every minute) for running pods.
    pub async fn refresh(&mut self, client: &Client, pod: &Pod) -> Result<(), VolumeError> {
        let mut failures = Vec::new();
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            if volume.empty_dir.is_some() || volume.host_path.is_some() {
                continue;
            }
            if let Err(message) = self.set_up(client, pod, volume, false).await {
                failures.push(SetUpFailure {
                    volume: volume.name.clone(),
                    message,
                });
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(VolumeError::SetUp(failures))
        }
    }

    /// The CRI mounts of `container`'s volumeMounts; `env` is its
    /// environment (from [`crate::env::resolve`]) for `subPathExpr`.
    pub fn mounts(
        &self,
        container: &Container,
        env: &[(String, String)],
    ) -> Result<Vec<Mount>, VolumeError> {
        container_mounts::container_mounts(&self.volumes, container, env)
    }

    /// Where volume `name` is on the node.
    pub fn host_path(&self, name: &str) -> Option<&Path> {
        self.volumes.get(name).map(|v| v.host_path.as_path())
    }

    /// The pod's directory.
    pub fn pod_dir(&self) -> &Path {
        &self.pod_dir
    }

    /// emptyDir volumes on disk with a sizeLimit.
    pub fn empty_dir_limits(&self) -> &[DiskLimit] {
        &self.disk_limits
    }

    /// Sets up (or, with `initial` false, refreshes) one volume.
    async fn set_up(
        &mut self,
        client: &Client,
        pod: &Pod,
        volume: &Volume,
        initial: bool,
    ) -> Result<MountedVolume, String> {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let name = &volume.name;
        let pod_dir = self.pod_dir.clone();
        let mounted = |plugin: &str, read_only: bool| MountedVolume {
            host_path: volume_dir(&pod_dir, plugin, name),
            read_only,
        };

        if let Some(source) = &volume.empty_dir {
            let v = mounted(plugin::EMPTY_DIR, false);
            match source.medium.as_deref().unwrap_or("") {
                "" => {
                    ensure_dir(&v.host_path, 0o777)?;
                    if let Some(limit) = source.size_limit.as_ref().and_then(bytes) {
                        self.disk_limits.retain(|l| l.volume != *name);
                        self.disk_limits.push(DiskLimit {
                            volume: name.clone(),
                            path: v.host_path.clone(),
                            bytes: limit,
                        });
                    }
                }
                "Memory" => {
                    let size = tmpfs_size(pod, source.size_limit.as_ref(), &self.node);
                    ensure_tmpfs(&v.host_path, size).await?;
                }
                other => {
                    return Err(format!(
                        "emptyDir medium {other:?} is not supported by this kubelet"
                    ))
                }
            }
            apply_fs_group(pod, &v.host_path, false)?;
            return Ok(v);
        }

        if let Some(source) = &volume.host_path {
            let path = PathBuf::from(&source.path);
            if initial {
                host_path::check(&path, source.type_.as_deref())?;
            }
            return Ok(MountedVolume {
                host_path: path,
                read_only: false,
            });
        }

        if let Some(source) = &volume.config_map {
            let optional = source.optional.unwrap_or(false);
            let found = fetch::config_map(client, namespace, &source.name).await?;
            if found.is_none() && !optional {
                return Err(not_found("configmap", &source.name));
            }
            let v = mounted(plugin::CONFIG_MAP, true);
            ensure_dir(&v.host_path, 0o777)?;
            let payload = projection::config_map(
                source.items.as_deref(),
                found.as_ref(),
                source.default_mode.unwrap_or(DEFAULT_MODE),
                optional,
            )?;
            write_payload(&v.host_path, &payload)?;
            apply_fs_group(pod, &v.host_path, true)?;
            return Ok(v);
        }

        if let Some(source) = &volume.secret {
            let optional = source.optional.unwrap_or(false);
            let secret_name = source.secret_name.as_deref().unwrap_or("");
            let found = fetch::secret(client, namespace, secret_name).await?;
            if found.is_none() && !optional {
                return Err(not_found("secret", secret_name));
            }
            let v = mounted(plugin::SECRET, true);
            ensure_tmpfs(&v.host_path, tmpfs_size(pod, None, &self.node)).await?;
            let payload = projection::secret(
                source.items.as_deref(),
                found.as_ref(),
                source.default_mode.unwrap_or(DEFAULT_MODE),
                optional,
            )?;
            write_payload(&v.host_path, &payload)?;
            apply_fs_group(pod, &v.host_path, true)?;
            return Ok(v);
        }

        if let Some(source) = &volume.downward_api {
            let v = mounted(plugin::DOWNWARD_API, true);
            let payload = projection::downward_api(
                source.items.as_deref().unwrap_or(&[]),
                pod,
                &self.node.allocatable,
                source.default_mode.unwrap_or(DEFAULT_MODE),
            )?;
            ensure_tmpfs(&v.host_path, tmpfs_size(pod, None, &self.node)).await?;
            write_payload(&v.host_path, &payload)?;
            apply_fs_group(pod, &v.host_path, true)?;
            return Ok(v);
        }

        if let Some(source) = &volume.projected {
            let fetched = self.fetch_projected(client, pod, volume).await;
            let owned = fs_group(pod).0.is_some();
            let payload =
                projection::projected(source, pod, &self.node.allocatable, &fetched, owned)?;
            let v = mounted(plugin::PROJECTED, true);
            ensure_tmpfs(&v.host_path, tmpfs_size(pod, None, &self.node)).await?;
            write_payload(&v.host_path, &payload)?;
            apply_fs_group(pod, &v.host_path, true)?;
            return Ok(v);
        }

        Err(format!(
            "volume {name:?}: this kubelet supports emptyDir, hostPath, configMap, secret, downwardAPI and projected volumes only"
        ))
    }

    /// Reads what a projected volume's sources name, and the tokens it
    /// needs (kept ones while fresh).
    async fn fetch_projected(&mut self, client: &Client, pod: &Pod, volume: &Volume) -> Fetched {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let mut fetched = Fetched::default();
        let sources = volume
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten());
        let mut config_maps = BTreeSet::new();
        let mut secrets = BTreeSet::new();
        for source in sources {
            if let Some(c) = &source.config_map {
                config_maps.insert(c.name.clone());
            }
            if let Some(s) = &source.secret {
                secrets.insert(s.name.clone());
            }
            if let Some(t) = &source.service_account_token {
                let audience = t.audience.as_deref().unwrap_or("");
                let key = (volume.name.clone(), t.path.clone());
                let kept = self
                    .tokens
                    .get(&key)
                    .filter(|token| token.fresh_for(audience, t.expiration_seconds));
                let token = match kept {
                    Some(token) => Ok(token.token.clone()),
                    None => match fetch::request_token(client, pod, audience, t.expiration_seconds)
                        .await
                    {
                        Ok(token) => {
                            let text = token.token.clone();
                            self.tokens.insert(key, token);
                            Ok(text)
                        }
                        Err(e) => Err(e),
                    },
                };
                fetched.tokens.insert(t.path.clone(), token);
            }
        }
        for name in config_maps {
            let found = fetch::config_map(client, namespace, &name).await;
            fetched.config_maps.insert(name, found);
        }
        for name in secrets {
            let found = fetch::secret(client, namespace, &name).await;
            fetched.secrets.insert(name, found);
        }
        fetched
    }
}

/// Removes a pod's directory once its containers are gone: unmounts every
/// mount under it (tmpfs volumes), deepest first, then deletes it. Refuses
/// to delete anything while a mount remains.
pub async fn teardown(pod_dir: &Path) -> Result<(), VolumeError> {
    let failed = |message: String| VolumeError::Teardown {
        path: pod_dir.to_path_buf(),
        message,
    };
    if fs::symlink_metadata(pod_dir).is_err() {
        return Ok(());
    }
    // The mount table names real paths.
    let pod_dir = &fs::canonicalize(pod_dir).map_err(|e| failed(e.to_string()))?;
    let mounts = mount::mounts_under(pod_dir)
        .map_err(|e| failed(format!("reading the mount table: {e}")))?;
    for point in &mounts {
        mount::unmount(point)
            .await
            .map_err(|e| failed(e.to_string()))?;
    }
    let left = mount::mounts_under(pod_dir)
        .map_err(|e| failed(format!("reading the mount table: {e}")))?;
    if let Some(point) = left.first() {
        return Err(failed(format!("{} is still mounted", point.display())));
    }
    fs::remove_dir_all(pod_dir).map_err(|e| failed(e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests;

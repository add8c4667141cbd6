//! rkube's own containerd: when no `--container-runtime-endpoint` is given,
//! the kubelet writes a configuration under its data directory (state, root,
//! socket, CRI with the sandbox image and the CNI directories, the cgroup
//! driver) and runs `containerd` as its child until it stops.
//!
//! The child is started through `setpriv --pdeathsig KILL` so that it dies
//! with rkube even when rkube is killed. The containers themselves live on
//! (their shims are not containerd's children), as they do when upstream's
//! kubelet restarts: the next kubelet finds them through CRI.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::cri::{Cri, CriError};

/// Where containerd keeps everything and what it is told.
#[derive(Clone, Debug)]
pub struct Config {
    /// `<data-dir>/containerd`: config, root, state, socket, log.
    pub dir: PathBuf,
    /// The image every pod sandbox runs (the pause image).
    pub sandbox_image: String,
    /// Where the CNI plugins are (`/usr/lib/cni` from Debian's package).
    pub cni_bin_dir: PathBuf,
    /// Where the kubelet writes the CNI configuration.
    pub cni_conf_dir: PathBuf,
    /// `cgroupfs` or `systemd`.
    pub cgroup_driver: CgroupDriver,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupDriver {
    Cgroupfs,
    Systemd,
}

impl CgroupDriver {
    /// What this machine uses: systemd when it is the init system and the
    /// unified hierarchy is mounted, cgroupfs otherwise (as kubeadm and k3s
    /// decide).
    pub fn detect() -> CgroupDriver {
        let systemd = Path::new("/run/systemd/system").is_dir();
        let unified = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        if systemd && unified {
            CgroupDriver::Systemd
        } else {
            CgroupDriver::Cgroupfs
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CgroupDriver::Cgroupfs => "cgroupfs",
            CgroupDriver::Systemd => "systemd",
        }
    }
}

/// Why containerd could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ContainerdError {
    #[error(
        "containerd is not installed (no `containerd` on PATH); install the Debian packages \
         containerd, runc and containernetworking-plugins (apt-get install containerd runc \
         containernetworking-plugins), or point --container-runtime-endpoint at a running CRI runtime"
    )]
    Missing,
    #[error("runc is not installed; install the Debian package runc")]
    MissingRunc,
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("containerd exited before it answered on {socket} ({status}); see {log}")]
    Exited {
        socket: PathBuf,
        status: std::process::ExitStatus,
        log: PathBuf,
    },
    #[error("containerd did not answer on {socket} within {seconds} s; see {log}")]
    Timeout {
        socket: PathBuf,
        seconds: u64,
        log: PathBuf,
    },
    #[error(transparent)]
    Cri(#[from] CriError),
}

/// A running containerd, stopped when dropped.
pub struct Containerd {
    child: Child,
    socket: PathBuf,
}

impl Config {
    pub fn socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("containerd.log")
    }

    /// containerd's configuration file (version 2, as containerd 1.6 and 1.7 read).
    pub fn render(&self) -> String {
        let dir = self.dir.display();
        let systemd = self.cgroup_driver == CgroupDriver::Systemd;
        // Without CAP_SYS_RESOURCE (some VMs and containers) runc cannot give
        // a sandbox the negative oom_score_adj CRI asks for (-998) and every
        // sandbox fails; containerd then keeps scores at or above its own.
        let restrict_oom = !has_sys_resource();
        format!(
            r#"# Written by rkube at every start; edits are lost.
version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{dir}/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  restrict_oom_score_adj = {restrict_oom}
  # Pod network namespaces under the state directory, so that everything
  # of this node lives under its data directory.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = {systemd}
"#,
            socket = self.socket().display(),
            sandbox = self.sandbox_image,
            cni_bin = self.cni_bin_dir.display(),
            cni_conf = self.cni_conf_dir.display(),
        )
    }
}

/// Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff), which
/// lowering an oom_score_adj needs.
fn has_sys_resource() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("CapEff:"))?;
            u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << 24) != 0)
}

/// Whether `program` is an executable file on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

impl Containerd {
    /// Writes the configuration and starts containerd, then waits until it
    /// answers CRI calls.
    pub async fn start(config: &Config) -> Result<(Containerd, Cri), ContainerdError> {
        if !on_path("containerd") {
            return Err(ContainerdError::Missing);
        }
        if !on_path("runc") {
            return Err(ContainerdError::MissingRunc);
        }
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| ContainerdError::Io { what, path, source }
        };
        for dir in [&config.dir, &config.cni_conf_dir] {
            std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        let file = config.dir.join("config.toml");
        std::fs::write(&file, config.render()).map_err(io("writing", &file))?;
        let socket = config.socket();
        // A socket left by a containerd that died with an earlier rkube.
        let _ = std::fs::remove_file(&socket);
        let log_path = config.log();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io("opening", &log_path))?;
        let log_err = log.try_clone().map_err(io("opening", &log_path))?;
        let mut command = if on_path("setpriv") {
            let mut command = Command::new("setpriv");
            command.args(["--pdeathsig", "KILL", "--", "containerd"]);
            command
        } else {
            Command::new("containerd")
        };
        command
            .arg("--config")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(io("starting containerd with", &file))?;
        tracing::info!(socket = %socket.display(), log = %log_path.display(), "containerd started");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().map_err(io("waiting for", &file))? {
                return Err(ContainerdError::Exited {
                    socket,
                    status,
                    log: log_path,
                });
            }
            if socket.exists() {
                if let Ok(cri) = Cri::connect(&socket).await {
                    if cri.version().await.is_ok() {
                        return Ok((Containerd { child, socket }, cri));
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ContainerdError::Timeout {
                    socket,
                    seconds: 30,
                    log: log_path,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Stops containerd (TERM, then KILL after 5 s). Containers keep running.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
            if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_names_the_data_directory_sandbox_and_cni() {
        let config = Config {
            dir: PathBuf::from("/var/lib/rkube/containerd"),
            sandbox_image: "rkube.local/pause:1".into(),
            cni_bin_dir: PathBuf::from("/usr/lib/cni"),
            cni_conf_dir: PathBuf::from("/var/lib/rkube/cni/net.d"),
            cgroup_driver: CgroupDriver::Cgroupfs,
        };
        let text = config.render();
        assert!(text.contains(r#"address = "/var/lib/rkube/containerd/containerd.sock""#));
        assert!(text.contains(r#"root = "/var/lib/rkube/containerd/root""#));
        assert!(text.contains(r#"sandbox_image = "rkube.local/pause:1""#));
        assert!(text.contains(r#"conf_dir = "/var/lib/rkube/cni/net.d""#));
        assert!(text.contains("SystemdCgroup = false"));
    }
}

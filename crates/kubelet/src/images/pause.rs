//! rkube's own sandbox (pause) image: `pause/pause.c`, compiled statically
//! by the crate's build script, as `/pause` in a one-layer image. The
//! kubelet imports it at start (`import::ensure_pause`) and names it as
//! containerd's `sandbox_image`, so pods run without any registry.

use super::oci::{self, Entry, ImageConfig};
use super::ImageError;

/// The reference the pause image is imported under.
pub const REFERENCE: &str = "rkube.local/pause:3.10";

/// The static pause executable built from `pause/pause.c`.
pub const BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pause"));

/// The OCI image-layout tarball of the pause image, named [`REFERENCE`].
pub fn tarball() -> Vec<u8> {
    match build() {
        Ok(tarball) => tarball,
        // Everything in it is fixed at compile time, and the unit test
        // below builds it: this cannot fail at run time.
        Err(error) => unreachable!("the pause image is fixed: {error}"),
    }
}

fn build() -> Result<Vec<u8>, ImageError> {
    let entries = [Entry::bytes("/pause", BINARY, 0o755)];
    let config = ImageConfig {
        entrypoint: vec!["/pause".to_string()],
        ..ImageConfig::default()
    };
    oci::write(REFERENCE, &entries, &config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command};
    use std::time::{Duration, Instant};

    /// The pause binary written to an executable file.
    fn installed(dir: &Path) -> PathBuf {
        let path = dir.join("pause");
        std::fs::write(&path, BINARY).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        path
    }

    /// Spawns `command`, trying again while another test's fork briefly
    /// holds the new executable open for writing (ETXTBSY).
    fn spawn(command: &mut Command) -> Child {
        let mut attempts = 0;
        loop {
            match command.spawn() {
                Err(error) if error.raw_os_error() == Some(26) && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                result => return result.unwrap(),
            }
        }
    }

    fn signal(pid: u32, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most 10 s) for `child` to exit, killing it otherwise.
    fn wait(mut child: Child) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        panic!("pause did not exit");
    }

    /// The processes whose parent is `pid`, with their states (`S`, `Z`).
    fn children(pid: u32) -> Vec<(u32, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...; comm may hold spaces and parentheses.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let child = head.split_whitespace().next().and_then(|p| p.parse().ok());
            if let (Some(child), Some(state), Some(ppid)) = (child, fields.first(), fields.get(1)) {
                if ppid.parse::<u32>().ok() == Some(pid) {
                    found.push((child, state.to_string()));
                }
            }
        }
        found
    }

    fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if check() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("timed out waiting for {what}");
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .map(|status| {
                status.lines().any(|line| {
                    line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0")
                })
            })
            .unwrap_or(false)
    }

    #[test]
    fn the_image_builds_and_the_binary_runs() {
        assert!(build().is_ok());
        assert!(BINARY.starts_with(b"\x7fELF"));
        let dir = tempfile::tempdir().unwrap();
        let output = spawn(
            Command::new(installed(dir.path()))
                .arg("-v")
                .stdout(std::process::Stdio::piped()),
        )
        .wait_with_output()
        .unwrap();
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("rkube-pause"));
    }

    #[test]
    fn term_and_int_end_it_successfully() {
        let dir = tempfile::tempdir().unwrap();
        let pause = installed(dir.path());
        for name in ["TERM", "INT"] {
            let child = spawn(Command::new(&pause).stderr(std::process::Stdio::null()));
            // The handlers are installed before pause() is first reached;
            // wait until it sleeps there (state S) before signalling.
            let pid = child.id();
            wait_for("pause to sleep", || {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .map(|stat| {
                        stat.rsplit_once(')')
                            .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'))
                    })
                    .unwrap_or(false)
            });
            signal(pid, name);
            let status = wait(child);
            assert_eq!(status.code(), Some(0), "after SIG{name}");
        }
    }

    #[test]
    fn as_pid_1_it_reaps_orphans() {
        if !is_root() || !Path::new(crate::images::BUSYBOX).exists() {
            eprintln!("skipped: needs root (a PID namespace) and /bin/busybox");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pause = installed(dir.path());
        // unshare forks pause as PID 1 of a new PID namespace.
        let unshare = spawn(
            Command::new("unshare")
                .args(["--pid", "--fork", "--"])
                .arg(&pause),
        );
        let mut pause_pid = None;
        wait_for("pause to start in its namespace", || {
            pause_pid = children(unshare.id()).first().map(|(pid, _)| *pid);
            pause_pid.is_some()
        });
        let pause_pid = pause_pid.unwrap();
        // A shell in the namespace leaves a sleeping child behind: orphaned,
        // it becomes pause's child, and pause must reap it when it exits.
        let status = Command::new("nsenter")
            .args(["--target", &pause_pid.to_string(), "--pid", "--"])
            .args([crate::images::BUSYBOX, "sh", "-c"])
            .arg(format!("{} sleep 1 & exit 0", crate::images::BUSYBOX))
            .status()
            .unwrap();
        assert!(status.success());
        wait_for("the orphan to become pause's child", || {
            !children(pause_pid).is_empty()
        });
        wait_for("pause to reap the orphan", || {
            children(pause_pid).is_empty()
        });
        signal(pause_pid, "TERM");
        assert!(wait(unshare).success());
    }
}

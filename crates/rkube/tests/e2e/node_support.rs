//! Test support for tests that run real pods: `rkube server` with its
//! kubelet and its own containerd, inside a network namespace the test
//! creates (so bridges, pod addresses and iptables rules stay in it), with
//! the busybox image imported at start. Everything the node started is
//! killed and unmounted when the cluster is dropped.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::support::{wait_until, Cluster};

/// The image every pod test runs.
pub const BUSYBOX: &str = "rkube.local/busybox:1";

/// Waits for this test's turn to run a node (one at a time: each runs its own
/// containerd and pods on a machine of two cores).
pub fn node_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A network namespace created by a test, deleted with its cluster.
pub struct Netns {
    pub name: String,
    pub node: String,
}

impl Netns {
    fn create() -> Netns {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("rkt-{}-{n}", std::process::id());
        let status = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("ip netns add");
        assert!(status.success(), "ip netns add {name}");
        let _ = Command::new("ip")
            .args(["-n", &name, "link", "set", "lo", "up"])
            .status();
        Netns {
            node: format!("node-{}-{n}", std::process::id()),
            name,
        }
    }

    /// Kills what the node left (containers, shims), unmounts what it
    /// mounted under its data directory, and deletes the namespace.
    pub fn clean_up(self, dir: &Path) {
        let socket = dir.join("agent/containerd/containerd.sock");
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &socket.display().to_string()])
            .status();
        for hierarchy in ["pids", "memory", "cpu", "freezer"] {
            let root = Path::new("/sys/fs/cgroup")
                .join(hierarchy)
                .join("rkube")
                .join(&self.node);
            kill_cgroup(&root);
        }
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let prefix = dir.display().to_string();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&prefix))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for point in points {
            let _ = Command::new("umount").args(["-l", point]).status();
        }
        for hierarchy in [
            "pids", "memory", "cpu", "cpuacct", "cpuset", "blkio", "devices", "freezer", "systemd",
        ] {
            let root = Path::new("/sys/fs/cgroup")
                .join(hierarchy)
                .join("rkube")
                .join(&self.node);
            remove_cgroups(&root);
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// SIGKILL every process in a cgroup subtree, a few rounds (forks race).
fn kill_cgroup(root: &Path) {
    for _ in 0..5 {
        let mut any = false;
        walk(root, &mut |dir| {
            let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
            for pid in procs.lines() {
                any = true;
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        });
        if !any {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn remove_cgroups(root: &Path) {
    let mut dirs = Vec::new();
    walk(root, &mut |dir| dirs.push(dir.to_path_buf()));
    dirs.sort_by_key(|d| std::cmp::Reverse(d.as_os_str().len()));
    for dir in dirs {
        let _ = std::fs::remove_dir(dir);
    }
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    if !dir.is_dir() {
        return;
    }
    visit(dir);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            walk(&entry.path(), visit);
        }
    }
}

impl Cluster {
    /// Starts `rkube server` with its kubelet in a network namespace of its
    /// own, with the busybox image imported, and waits for its Node to be Ready.
    pub fn start_node(args: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let images = dir.path().join("images");
        std::fs::create_dir_all(&images).expect("images dir");
        let tarball = kubelet::images::busybox(BUSYBOX).expect("the busybox image");
        std::fs::write(images.join("busybox.tar"), tarball).expect("writing the busybox image");
        let netns = Netns::create();
        let mut extra: Vec<String> = vec![
            "--node-name".into(),
            netns.node.clone(),
            "--node-ip".into(),
            "127.0.0.1".into(),
            "--kubelet-port".into(),
            "0".into(),
        ];
        extra.extend(args.iter().map(ToString::to_string));
        let node = netns.node.clone();
        let cluster = Cluster::boot_with_node(dir, extra, netns);
        wait_until("the node is Ready", Duration::from_secs(60), || {
            cluster
                .kubectl(&[
                    "get",
                    "node",
                    &node,
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
                ])
                .stdout
                == "True"
        });
        cluster
    }

    /// The Node of a cluster started with `start_node`.
    pub fn node_name(&self) -> String {
        self.netns
            .as_ref()
            .map(|n| n.node.clone())
            .unwrap_or_default()
    }

    /// A command that runs in the cluster's network namespace (if any).
    pub fn in_netns(&self, program: &str) -> Command {
        match &self.netns {
            Some(netns) => {
                let mut command = Command::new("nsenter");
                command
                    .arg(format!("--net=/run/netns/{}", netns.name))
                    .arg("--")
                    .arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// Waits until `kubectl get pod NAME -o jsonpath=PATH` prints `want`.
    #[track_caller]
    pub fn wait_pod(&self, namespace: &str, name: &str, path: &str, want: &str, timeout: Duration) {
        let mut last = String::new();
        let found = super::support::poll(timeout, || {
            last = self
                .kubectl(&[
                    "get",
                    "pod",
                    "-n",
                    namespace,
                    name,
                    "-o",
                    &format!("jsonpath={path}"),
                ])
                .stdout;
            last == want
        });
        assert!(
            found,
            "pod {namespace}/{name}: {path} is {last:?}, not {want:?} after {timeout:?}\n{}\nevents:\n{}",
            self.kubectl(&["get", "pod", "-n", namespace, name, "-o", "yaml"])
                .stdout,
            self.kubectl(&[
                "get",
                "events",
                "-n",
                namespace,
                "--field-selector",
                &format!("involvedObject.name={name}"),
            ])
            .stdout
        );
    }
}

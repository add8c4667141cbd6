//! Real etcd members on loopback: one or a cluster of several, for tests and
//! for `rkube bench`.
//!
//! [`EtcdCluster::start`] picks free ports, gives each member a data directory
//! in a temporary directory, starts `etcd` (from `/usr/bin/etcd`, the Debian
//! package `etcd-server`; `RKUBE_ETCD_BIN` overrides), and waits until every
//! member answers a linearizable read. Dropping the cluster kills and reaps
//! every member. Members run with a 1 s progress-notification interval (the
//! setting the etcd backend documents for servers before 3.4.31/3.5.13)
//! unless [`EtcdCluster::start_with`] says otherwise.
//!
//! Tests use it through `testing::etcd_server`, which adds the skip rule.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the etcd binary to use.
pub const ETCD_BINARY_ENV: &str = "RKUBE_ETCD_BIN";
/// Where the Debian package `etcd-server` installs etcd.
pub const DEFAULT_ETCD_BINARY: &str = "/usr/bin/etcd";

/// How long members may take to start and elect a leader.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts with fresh ports, in case another process took a port meanwhile.
const ATTEMPTS: usize = 3;

/// The etcd binary, if there is one: `RKUBE_ETCD_BIN` when set (and only if
/// it names a file), else `/usr/bin/etcd`, else `etcd` on the PATH.
pub fn etcd_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ETCD_BINARY_ENV) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let default = Path::new(DEFAULT_ETCD_BINARY);
    if default.exists() {
        return Some(default.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("etcd"))
            .find(|candidate| candidate.is_file())
    })
}

/// Running etcd members, killed when dropped.
pub struct EtcdCluster {
    members: Vec<Member>,
    endpoints: Vec<String>,
    // Dropped after the members (fields drop in order), so data outlives them.
    dir: tempfile::TempDir,
}

struct Member {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EtcdCluster {
    /// Starts `size` members of one new cluster with `binary` and waits until
    /// all of them serve linearizable reads.
    pub async fn start(binary: &Path, size: usize) -> Result<EtcdCluster, String> {
        Self::start_with(binary, size, Duration::from_secs(1)).await
    }

    /// Like [`EtcdCluster::start`], with the members' periodic watch progress
    /// notifications every `progress_notify_interval`
    /// (`--experimental-watch-progress-notify-interval`).
    pub async fn start_with(
        binary: &Path,
        size: usize,
        progress_notify_interval: Duration,
    ) -> Result<EtcdCluster, String> {
        let mut last_error = String::new();
        for attempt in 1..=ATTEMPTS {
            match Self::try_start(binary, size, progress_notify_interval).await {
                Ok(cluster) => return Ok(cluster),
                Err(error) => {
                    eprintln!("etcd start attempt {attempt} failed: {error}");
                    last_error = error;
                }
            }
        }
        Err(last_error)
    }

    /// The client URLs of the members, such as `http://127.0.0.1:40123`.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The directory holding the members' data and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    async fn try_start(
        binary: &Path,
        size: usize,
        progress_notify_interval: Duration,
    ) -> Result<EtcdCluster, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let ports = free_ports(2 * size)?;
        let (client_ports, peer_ports) = ports.split_at(size);
        let peer_url = |i: usize| format!("http://127.0.0.1:{}", peer_ports[i]);
        let endpoints: Vec<String> = client_ports
            .iter()
            .map(|port| format!("http://127.0.0.1:{port}"))
            .collect();
        let initial_cluster = (0..size)
            .map(|i| format!("m{i}={}", peer_url(i)))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!(
            "rkube-etcd-{}-{}",
            std::process::id(),
            ports.first().copied().unwrap_or(0)
        );
        let mut members = Vec::with_capacity(size);
        for (i, endpoint) in endpoints.iter().enumerate() {
            let name = format!("m{i}");
            let log = dir.path().join(format!("{name}.log"));
            let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
            let log_err = log_file
                .try_clone()
                .map_err(|e| format!("{}: {e}", log.display()))?;
            let mut command = Command::new(binary);
            // Settings from the environment (ETCD_*) would override the flags.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("ETCD_") {
                    command.env_remove(key);
                }
            }
            command
                .arg("--name")
                .arg(&name)
                .arg("--data-dir")
                .arg(dir.path().join(&name))
                .arg("--listen-client-urls")
                .arg(endpoint)
                .arg("--advertise-client-urls")
                .arg(endpoint)
                .arg("--listen-peer-urls")
                .arg(peer_url(i))
                .arg("--initial-advertise-peer-urls")
                .arg(peer_url(i))
                .arg("--initial-cluster")
                .arg(&initial_cluster)
                .arg("--initial-cluster-token")
                .arg(&token)
                .arg("--initial-cluster-state")
                .arg("new")
                // Twice etcd's defaults, so that a loaded machine does not
                // trigger needless elections.
                .arg("--heartbeat-interval")
                .arg("200")
                .arg("--election-timeout")
                .arg("2000")
                .arg("--experimental-watch-progress-notify-interval")
                .arg(format!("{}ms", progress_notify_interval.as_millis()))
                .stdin(Stdio::null())
                .stdout(Stdio::from(log_file))
                .stderr(Stdio::from(log_err));
            let child = command
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            members.push(Member { name, child, log });
        }
        let mut cluster = EtcdCluster {
            members,
            endpoints,
            dir,
        };
        cluster.wait_healthy().await?;
        Ok(cluster)
    }

    /// Waits until every member serves a linearizable read (so a leader is elected).
    async fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut healthy = vec![false; self.members.len()];
        loop {
            for (i, member) in self.members.iter_mut().enumerate() {
                if let Ok(Some(status)) = member.child.try_wait() {
                    return Err(format!(
                        "etcd member {} exited with {status}:\n{}",
                        member.name,
                        log_tail(&member.log)
                    ));
                }
                if !healthy[i] {
                    healthy[i] = answers(&self.endpoints[i]).await;
                }
            }
            if healthy.iter().all(|&ok| ok) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = self
                    .members
                    .iter()
                    .map(|m| format!("--- {} ---\n{}", m.name, log_tail(&m.log)))
                    .collect();
                return Err(format!(
                    "etcd did not become healthy within {START_TIMEOUT:?}:\n{}",
                    logs.join("\n")
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Whether the member at `endpoint` answers a linearizable read.
async fn answers(endpoint: &str) -> bool {
    let options = etcd_client::ConnectOptions::new()
        .with_connect_timeout(Duration::from_millis(500))
        .with_timeout(Duration::from_secs(2));
    let Ok(mut client) = etcd_client::Client::connect([endpoint], Some(options)).await else {
        return false;
    };
    client.get("/health-probe", None).await.is_ok()
}

/// Ports free on 127.0.0.1 right now (held together, so all distinct).
fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot find free ports: {e}"))?;
    listeners
        .iter()
        .map(|listener| listener.local_addr().map(|addr| addr.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot find free ports: {e}"))
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

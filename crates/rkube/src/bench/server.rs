//! The measured server: this very binary run as `rkube server` in a child process
//! on a fresh temporary data directory, killed when dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use http::StatusCode;

use super::client::Client;

/// How long the server may take to print its address and answer `/readyz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`ServerProcess::settle`] waits for the server to go idle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How many of the server's last log lines an error shows.
const LOG_TAIL: usize = 30;

/// A running `rkube server`.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
    /// From spawning the process to the first `/readyz` that answered 200.
    pub ready_after: Duration,
    log: Arc<Mutex<VecDeque<String>>>,
    data_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `rkube COMMAND` (`server` or `apiserver`) on a fresh data
    /// directory and loopback, with `extra_args` (such as `--etcd-endpoints`),
    /// and waits for `/readyz`.
    pub async fn start(command: &str, extra_args: &[String]) -> Result<ServerProcess> {
        let data_dir = tempfile::Builder::new()
            .prefix("rkube-bench-")
            .tempdir()
            .context("creating a temporary data directory")?;
        ServerProcess::spawn(command, extra_args, data_dir, command == "server").await
    }

    /// Starts `rkube server` with its kubelet, on `data_dir` (which may hold
    /// images to import in `images/`).
    pub async fn start_node(
        extra_args: &[String],
        data_dir: tempfile::TempDir,
    ) -> Result<ServerProcess> {
        ServerProcess::spawn("server", extra_args, data_dir, false).await
    }

    async fn spawn(
        command: &str,
        extra_args: &[String],
        data_dir: tempfile::TempDir,
        disable_agent: bool,
    ) -> Result<ServerProcess> {
        let binary = std::env::current_exe().context("finding this binary")?;
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .arg(command)
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--bind-address", "127.0.0.1", "--secure-port", "0"])
            .args(extra_args)
            // The control-plane benchmarks measure no kubelet.
            .args(disable_agent.then_some("--disable-agent"))
            .env("RKUBE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {} {command}", binary.display()))?;
        let stderr = child.stderr.take().context("the server's stderr")?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let log_lines = log.clone();
        // Keeps reading the log for the whole run, so the server never blocks on
        // a full pipe; remembers its tail for error messages.
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = parse_port(&line) {
                    if let Some(tx) = port_tx.take() {
                        let _ = tx.send(port);
                    }
                }
                let mut tail = log_lines.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == LOG_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let mut server = ServerProcess {
            child,
            port: 0,
            ready_after: Duration::ZERO,
            log,
            data_dir,
        };
        let port = match tokio::time::timeout(START_TIMEOUT, port_rx).await {
            Ok(Ok(port)) => port,
            _ => bail!(
                "the server did not print its address within {START_TIMEOUT:?}:\n{}",
                server.log_tail()
            ),
        };
        server.port = port;
        server.ready_after = server.wait_ready(started).await?;
        Ok(server)
    }

    /// Polls `/readyz` until it answers 200; returns the time since `started`.
    async fn wait_ready(&mut self, started: Instant) -> Result<Duration> {
        let client = Client::connect(self.port, &self.tls_dir(), 1).await?;
        loop {
            if let Ok(reply) = client.request(http::Method::GET, "/readyz", None).await {
                if reply.status == StatusCode::OK {
                    return Ok(started.elapsed());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("the server exited with {status}:\n{}", self.log_tail());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "/readyz did not answer 200 within {START_TIMEOUT:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The admin kubeconfig the server wrote.
    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir.path().join("kubeconfig.yaml")
    }

    /// Where the server keeps its CA and the admin certificate.
    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.path().join("tls")
    }

    /// The server's resident memory (VmRSS), in bytes.
    pub fn resident_bytes(&self) -> Result<u64> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        parse_vm_rss(&status).with_context(|| format!("no VmRSS in {path}"))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// The process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the server is idle: under 5 % of a core over a quarter of a
    /// second (in `rkube server`, the scheduler and the controllers may still be
    /// working through the pods of the previous scenario). Gives up after
    /// `SETTLE_TIMEOUT`, saying so.
    pub async fn settle(&self) -> Result<()> {
        const WINDOW: Duration = Duration::from_millis(250);
        let started = Instant::now();
        let mut before = cpu_time(self.pid())?;
        loop {
            tokio::time::sleep(WINDOW).await;
            let now = cpu_time(self.pid())?;
            if now.saturating_sub(before) * 20 <= WINDOW {
                return Ok(());
            }
            if started.elapsed() > SETTLE_TIMEOUT {
                eprintln!("bench: the server is still busy after {SETTLE_TIMEOUT:?}; going on");
                return Ok(());
            }
            before = now;
        }
    }

    /// Fails if the server is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!("the server exited with {status}:\n{}", self.log_tail());
        }
        Ok(())
    }

    fn log_tail(&self) -> String {
        let tail = self.log.lock().unwrap_or_else(|e| e.into_inner());
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A server that ended by itself says why in its log.
        if let Ok(Some(status)) = self.child.try_wait() {
            eprintln!(
                "bench: the server had exited with {status}; its last log lines:\n{}",
                self.log_tail()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in `rkube: API server on https://127.0.0.1:PORT; kubeconfig ...`.
fn parse_port(line: &str) -> Option<u16> {
    let rest = line
        .strip_prefix("rkube: API server on https://")?
        .split_once(':')?
        .1;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// CPU time used by the server and by this process (the benchmark's clients),
/// which share the machine's cores.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTimes {
    pub server: Duration,
    pub client: Duration,
}

impl CpuTimes {
    /// The CPU both have used so far.
    pub fn now(server_pid: u32) -> Result<CpuTimes> {
        Ok(CpuTimes {
            server: cpu_time(server_pid)?,
            client: cpu_time(std::process::id())?,
        })
    }

    /// The CPU both have used since `earlier`.
    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            server: self.server.saturating_sub(earlier.server),
            client: self.client.saturating_sub(earlier.client),
        }
    }
}

/// The CPU time (user and system, of every thread, living or gone) of process
/// `pid` so far, from /proc/PID/stat.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_cpu_time(&stat).with_context(|| format!("no CPU times in {path}"))
}

/// utime + stime (fields 14 and 15) of a /proc/PID/stat line. They count
/// USER_HZ ticks, which Linux fixes at 100 per second for user space.
fn parse_cpu_time(stat: &str) -> Option<Duration> {
    const USER_HZ: u64 = 100;
    // The command name (field 2) is in parentheses and may hold spaces.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / USER_HZ))
}

/// `VmRSS:   12345 kB` in /proc/PID/status, in bytes.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_from_the_start_line() {
        let check = |line: &str, expected: Option<u16>| assert_eq!(parse_port(line), expected);
        check(
            "rkube: API server on https://127.0.0.1:40123; kubeconfig written to /tmp/x/kubeconfig.yaml",
            Some(40123),
        );
        check("rkube: export KUBECONFIG=/tmp/x/kubeconfig.yaml", None);
        check(
            "2026-01-01T00:00:00Z  WARN something https://127.0.0.1:1",
            None,
        );
    }

    #[test]
    fn cpu_time_from_proc_stat() {
        let stat =
            "4242 (rkube (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 9 0 1000 1 1";
        assert_eq!(parse_cpu_time(stat), Some(Duration::from_millis(2870)));
        assert_eq!(parse_cpu_time("4242 (rkube) S 1"), None);
    }

    #[test]
    fn resident_memory_from_proc_status() {
        let status = "Name:\trkube\nVmPeak:\t  900 kB\nVmRSS:\t   20480 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vm_rss(status), Some(20 * 1024 * 1024));
        assert_eq!(parse_vm_rss("Name:\trkube\n"), None);
    }
}

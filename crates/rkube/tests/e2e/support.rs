//! Test support: a real `rkube server` on a free loopback port in a temporary
//! directory, the real kubectl pointed at it, and bounded waits.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any one kubectl call may take before the test fails.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `rkube server`, stopped (SIGKILL) when dropped.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    extra_args: Vec<String>,
    /// Whether the server runs its kubelet (off unless a test asks for a node).
    agent: bool,
    /// The network namespace the server (and its pods) run in, for node tests.
    pub(crate) netns: Option<super::node_support::Netns>,
    /// Node tests run one at a time: each runs a containerd and its pods.
    _node_turn: Option<std::sync::MutexGuard<'static, ()>>,
}

impl Cluster {
    /// Starts a server on the embedded store.
    pub fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// Starts a server with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cluster = Cluster {
            dir,
            port: 0,
            child: None,
            extra_args: args.iter().map(ToString::to_string).collect(),
            agent: false,
            netns: None,
            _node_turn: None,
        };
        cluster.boot(0);
        cluster
    }

    /// A cluster whose server runs its kubelet in `netns` (see node_support).
    pub fn boot_with_node(
        dir: tempfile::TempDir,
        args: Vec<String>,
        netns: super::node_support::Netns,
    ) -> Cluster {
        let mut cluster = Cluster {
            dir,
            port: 0,
            child: None,
            extra_args: args,
            agent: true,
            netns: Some(netns),
            _node_turn: Some(super::node_support::node_turn()),
        };
        cluster.boot(0);
        cluster
    }

    fn boot(&mut self, port: u16) {
        let mut child = self
            .in_netns(env!("CARGO_BIN_EXE_rkube"))
            .arg("server")
            .arg("--data-dir")
            .arg(self.dir.path())
            .args([
                "--bind-address",
                "127.0.0.1",
                "--secure-port",
                &port.to_string(),
            ])
            .args(&self.extra_args)
            .args((!self.agent).then_some("--disable-agent"))
            .env("RKUBE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rkube");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("https://127.0.0.1:").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(Ok(port));
                } else {
                    let _ = tx.send(Err(line.clone()));
                }
                eprintln!("[rkube] {line}");
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Ok(port)) => {
                    self.port = port.parse().expect("port");
                    break;
                }
                Ok(Err(_)) => continue,
                Err(_) => {
                    let _ = child.kill();
                    panic!("rkube server did not start within {START_TIMEOUT:?}");
                }
            }
        }
        self.child = Some(child);
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig.yaml")
    }

    /// Kills the server with SIGKILL and starts it again on the same data and port.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.boot(port);
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs kubectl with these arguments.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.kubectl_stdin(args, None)
    }

    /// Runs kubectl, feeding `stdin`.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = self.kubectl_command(args);
        run(&mut command, stdin, KUBECTL_TIMEOUT)
    }

    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut command = self.in_netns("kubectl");
        command
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"));
        command
    }

    /// Runs kubectl and requires success; returns stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.kubectl(args);
        assert!(
            run.success,
            "kubectl {} failed:\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// One field of one object, by a kubectl JSONPath expression (`{.data.k}`).
    #[track_caller]
    pub fn jsonpath(&self, namespace: &str, object: &str, name: &str, path: &str) -> String {
        self.ok(&[
            "get",
            object,
            name,
            "-n",
            namespace,
            "-o",
            &format!("jsonpath={path}"),
        ])
    }

    /// Runs kubectl with stdin and requires success; returns stdout.
    #[track_caller]
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let run = self.kubectl_stdin(args, Some(stdin));
        assert!(
            run.success,
            "kubectl {} failed:\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// Runs kubectl and requires failure; returns stderr.
    #[track_caller]
    pub fn fails(&self, args: &[&str]) -> String {
        let run = self.kubectl(args);
        assert!(
            !run.success,
            "kubectl {} succeeded but should not have:\n{}",
            args.join(" "),
            run.stdout
        );
        run.stderr
    }

    /// GET of a raw API path through kubectl; returns the JSON.
    #[track_caller]
    pub fn raw(&self, path: &str) -> serde_json::Value {
        let out = self.ok(&["get", "--raw", path]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {out}"))
    }

    /// Creates a namespace through `kubectl create -f` (JSON on the wire).
    #[track_caller]
    pub fn namespace(&self, name: &str) {
        self.ok_stdin(
            &["create", "-f", "-"],
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"),
        );
    }

    /// Creates a configmap through `kubectl create -f` (JSON on the wire).
    #[track_caller]
    pub fn configmap(&self, namespace: &str, name: &str, data: &[(&str, &str)]) {
        let data: String = data
            .iter()
            .map(|(k, v)| format!("  {k}: \"{v}\"\n"))
            .collect();
        let data = if data.is_empty() {
            "data: {}\n".to_string()
        } else {
            format!("data:\n{data}")
        };
        self.ok_stdin(
            &["create", "-f", "-"],
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{data}"),
        );
    }

    /// A file in the cluster's temporary directory with these contents.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill();
        if let Some(netns) = self.netns.take() {
            netns.clean_up(self.dir.path());
        }
    }
}

/// The outcome of a command.
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion, killing it after `timeout`.
pub fn run(command: &mut Command, stdin: Option<&str>, timeout: Duration) -> Run {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn command");
    // Read the output while the command runs, so that a large output cannot
    // fill a pipe and stall it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buffer);
            }
            buffer
        })
    };
    let stdout_reader = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr_reader = drain(child.stderr.take().map(|p| Box::new(p) as _));
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                break child.wait().expect("wait");
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stdout = stdout_reader.join().unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    Run {
        success: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Polls `check` until it returns true, failing the test after `timeout`.
#[track_caller]
pub fn wait_until(what: &str, timeout: Duration, check: impl FnMut() -> bool) {
    if !poll(timeout, check) {
        panic!("timed out after {timeout:?} waiting for {what}");
    }
}

/// Calls `check` every 100 ms until it holds (true) or `timeout` passes (false).
pub fn poll(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The path of a test fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// An HTTP request straight to the API server with the admin certificate, for
/// status codes and bodies kubectl does not show.
pub struct Http<'a> {
    pub cluster: &'a Cluster,
}

impl Cluster {
    pub fn http(&self) -> Http<'_> {
        Http { cluster: self }
    }
}

impl Http<'_> {
    /// Sends `method path` with an optional body and content type; returns the
    /// status code and the body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&[u8]>,
    ) -> (u16, String) {
        self.send_with(
            method,
            path,
            &[("Content-Type", content_type)],
            body.map(<[u8]>::to_vec),
        )
    }

    /// Sends `method path` with these request headers and an optional body;
    /// returns the status code and the body.
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> (u16, String) {
        let tls = self.cluster.dir.path().join("tls");
        let url = format!("https://127.0.0.1:{}{path}", self.cluster.port);
        let mut command = self.cluster.in_netns("curl");
        command
            .args([
                "-s",
                "-X",
                method,
                "-w",
                "\n%{http_code}",
                "--max-time",
                "30",
            ])
            .arg("--cacert")
            .arg(tls.join("ca.crt"))
            .arg("--cert")
            .arg(tls.join("admin.crt"))
            .arg("--key")
            .arg(tls.join("admin.key"));
        for (name, value) in headers {
            command.args(["-H", &format!("{name}: {value}")]);
        }
        let body_file;
        if let Some(body) = body {
            body_file = self
                .cluster
                .dir
                .path()
                .join(format!("body-{}", std::process::id()));
            std::fs::write(&body_file, body).expect("write body");
            command
                .arg("--data-binary")
                .arg(format!("@{}", body_file.display()));
        }
        command.arg(&url);
        let out = run(&mut command, None, Duration::from_secs(40));
        let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.send("GET", path, "application/json", None)
    }

    pub fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        self.send("POST", path, "application/json", Some(body.as_bytes()))
    }
}

/// The `reason` of a Status body.
pub fn reason(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `kubectl get -o name` output without the `kube-root-ca.crt` ConfigMap that
/// the controller manager publishes in every namespace, as upstream does.
pub fn without_root_ca(names: &str) -> String {
    names
        .lines()
        .filter(|line| *line != "configmap/kube-root-ca.crt")
        .map(|line| format!("{line}\n"))
        .collect()
}

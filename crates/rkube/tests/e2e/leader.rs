//! Leader election: `rkube apiserver` with two `rkube controller-manager`
//! processes; only the holder of the kube-system/kube-controller-manager
//! Lease acts, a killed leader is replaced once its lease expires, and a
//! leader stopped cleanly releases the lease for a fast handover.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{run, wait_until, Run};

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rkube` with `args`, and returns it with the first stderr line
/// containing `marker`.
fn start(args: &[&str], marker: &str) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rkube"))
        .args(args)
        .args((args.first() == Some(&"server")).then_some("--disable-agent"))
        .env("RKUBE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rkube");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let marker = marker.to_string();
    let name = args.first().copied().unwrap_or_default().to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&marker) {
                let _ = tx.send(line.clone());
            }
            eprintln!("[{name}] {line}");
        }
    });
    let process = Process(child);
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the process announced itself");
    (process, line)
}

struct ApiServer {
    dir: tempfile::TempDir,
    _process: Process,
}

impl ApiServer {
    fn start() -> ApiServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().to_string_lossy().into_owned();
        let (process, _) = start(
            &[
                "apiserver",
                "--data-dir",
                &data,
                "--bind-address",
                "127.0.0.1",
                "--secure-port",
                "0",
            ],
            "https://127.0.0.1:",
        );
        ApiServer {
            dir,
            _process: process,
        }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig.yaml")
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = Command::new("kubectl");
        command
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"));
        run(&mut command, stdin, Duration::from_secs(60))
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args, None);
        assert!(
            out.success,
            "kubectl {args:?}: {}{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// holderIdentity/leaseTransitions of the controller manager's lease.
    fn lease(&self) -> (String, String) {
        let out = self
            .kubectl(
                &[
                    "get",
                    "lease",
                    "-n",
                    "kube-system",
                    "kube-controller-manager",
                    "-o",
                    "jsonpath={.spec.holderIdentity}/{.spec.leaseTransitions}",
                ],
                None,
            )
            .stdout;
        let (holder, transitions) = out.split_once('/').unwrap_or(("", ""));
        (holder.to_string(), transitions.to_string())
    }

    fn count(&self, kind: &str) -> usize {
        self.kubectl(&["get", kind, "-l", "app=lead", "-o", "name"], None)
            .stdout
            .lines()
            .count()
    }

    /// A controller manager with short leases; returns it and its identity.
    fn controller_manager(&self) -> (Process, String) {
        let kubeconfig = self.kubeconfig().to_string_lossy().into_owned();
        let (process, line) = start(
            &[
                "controller-manager",
                "--kubeconfig",
                &kubeconfig,
                "--leader-elect-lease-duration",
                "4s",
                "--leader-elect-renew-deadline",
                "3s",
                "--leader-elect-retry-period",
                "1s",
            ],
            "campaigning for",
        );
        let identity = line
            .split("controller manager ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("identity")
            .to_string();
        (process, identity)
    }
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: lead
  labels: {app: lead}
spec:
  replicas: 2
  selector:
    matchLabels: {app: lead}
  template:
    metadata:
      labels: {app: lead}
    spec:
      containers:
      - name: c
        image: nginx
"#;

#[test]
fn one_controller_manager_leads_and_hands_over() {
    let api = ApiServer::start();
    let (mut a, id_a) = api.controller_manager();
    let (b, id_b) = api.controller_manager();
    assert_ne!(id_a, id_b);
    let mut holder = String::new();
    wait_until(
        "a controller manager leads",
        Duration::from_secs(20),
        || {
            holder = api.lease().0;
            holder == id_a || holder == id_b
        },
    );
    assert_eq!(api.lease().1, "0");
    // The deployment is reconciled once: one ReplicaSet, two pods.
    let out = api.kubectl(&["apply", "-f", "-"], Some(DEPLOYMENT));
    assert!(out.success, "{}", out.stderr);
    wait_until("two pods", Duration::from_secs(30), || {
        api.count("pods") == 2
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(api.count("replicasets"), 1);
    assert_eq!(api.count("pods"), 2);
    assert_eq!(api.lease().0, holder, "the leader keeps its lease");
    let events = api.ok(&["get", "events", "-n", "kube-system", "-o", "json"]);
    assert!(
        events.contains(&format!("{holder} became leader")),
        "{events}"
    );

    // SIGKILL the leader: the other takes over once the lease expires.
    let (mut leader, follower, follower_id) = if holder == id_a {
        (a, b, id_b.clone())
    } else {
        (b, a, id_a.clone())
    };
    let _ = leader.0.kill();
    let _ = leader.0.wait();
    drop(leader);
    wait_until("the follower takes over", Duration::from_secs(20), || {
        api.lease() == (follower_id.clone(), "1".to_string())
    });
    // ... and acts: a scale is carried out.
    api.ok(&["scale", "deployment", "lead", "--replicas", "3"]);
    wait_until("three pods", Duration::from_secs(30), || {
        api.count("pods") == 3
    });

    // A clean stop releases the lease: a new candidate gets it at once.
    let (c, id_c) = api.controller_manager();
    a = follower;
    let status = Command::new("kill")
        .args(["-TERM", &a.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exited = a.0.wait().expect("wait");
    assert!(exited.success(), "a clean stop exits 0: {exited:?}");
    wait_until(
        "the new candidate takes the released lease",
        Duration::from_secs(6),
        || api.lease() == (id_c.clone(), "2".to_string()),
    );
    // A leader that finds someone else holding its lease stops at once,
    // with an error, as upstream's components do.
    let mut c = c;
    api.ok(&[
        "patch",
        "lease",
        "-n",
        "kube-system",
        "kube-controller-manager",
        "--type=merge",
        "-p",
        r#"{"spec":{"holderIdentity":"intruder","leaseDurationSeconds":60}}"#,
    ]);
    let mut status = None;
    wait_until("the deposed leader exits", Duration::from_secs(10), || {
        status = c.0.try_wait().expect("try_wait");
        status.is_some()
    });
    assert!(
        !status.expect("exited").success(),
        "a lost lease is an error"
    );
}

/// A child process started without waiting for any output.
fn spawn(args: &[&str]) -> Process {
    Process(
        Command::new(env!("CARGO_BIN_EXE_rkube"))
            .args(args)
            .args((args.first() == Some(&"server")).then_some("--disable-agent"))
            .env("RKUBE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rkube"),
    )
}

/// `rkube scheduler` alone against `rkube apiserver`, with its pods run by a
/// separate `rkube hollow-nodes`: it takes the kube-scheduler lease and binds.
#[test]
fn standalone_scheduler_binds_pods() {
    let api = ApiServer::start();
    let kubeconfig = api.kubeconfig().to_string_lossy().into_owned();
    let _nodes = spawn(&["hollow-nodes", "--count", "1", "--kubeconfig", &kubeconfig]);
    let mut scheduler = spawn(&["scheduler", "--kubeconfig", &kubeconfig]);
    // No controller manager: the namespace's default service account by hand.
    api.ok(&["create", "serviceaccount", "default"]);
    api.ok(&["run", "solo", "--image=nginx"]);
    wait_until("the pod is bound", Duration::from_secs(30), || {
        api.kubectl(
            &["get", "pod", "solo", "-o", "jsonpath={.spec.nodeName}"],
            None,
        )
        .stdout
            == "hollow-node-0"
    });
    let holder = api
        .kubectl(
            &[
                "get",
                "lease",
                "-n",
                "kube-system",
                "kube-scheduler",
                "-o",
                "jsonpath={.spec.holderIdentity}",
            ],
            None,
        )
        .stdout;
    assert!(!holder.is_empty(), "the scheduler holds its lease");
    assert!(
        scheduler.0.try_wait().expect("scheduler status").is_none(),
        "the scheduler keeps running"
    );
}

//! The node lifecycle controller: a node whose hollow kubelet dies is marked
//! Unknown and tainted, its pods are marked not ready and evicted after their
//! tolerationSeconds, their Deployment recreates them on a live node, and the
//! taints go when the kubelet comes back.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{wait_until, Cluster};

/// A `rkube hollow-nodes` process, killed when dropped.
struct Kubelet(Child);

impl Kubelet {
    fn start(cluster: &Cluster, prefix: &str) -> Kubelet {
        let child = Command::new(env!("CARGO_BIN_EXE_rkube"))
            .args(["hollow-nodes", "--count", "1", "--name-prefix", prefix])
            .arg("--kubeconfig")
            .arg(cluster.kubeconfig())
            // Leases renewed every second, well within the 5 s grace period.
            .args(["--node-lease-duration-seconds", "4"])
            .env("RKUBE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rkube hollow-nodes");
        Kubelet(child)
    }

    /// SIGKILL, as a crashed kubelet.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Kubelet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ready_status(cluster: &Cluster, node: &str) -> String {
    cluster
        .kubectl(&[
            "get",
            "node",
            node,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ])
        .stdout
}

fn taints(cluster: &Cluster, node: &str) -> String {
    cluster
        .kubectl(&[
            "get",
            "node",
            node,
            "-o",
            "jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}",
        ])
        .stdout
}

/// name=node of the pods of app `app`.
fn pods_of(cluster: &Cluster, app: &str) -> String {
    cluster
        .kubectl(&[
            "get",
            "pods",
            "-l",
            &format!("app={app}"),
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.spec.nodeName}={.status.phase}={.metadata.deletionTimestamp} {end}",
        ])
        .stdout
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
"#;

/// A pod bound to doomed-0 that tolerates the unreachable taint forever: it
/// stays, but is marked not ready.
const STICKY: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: sticky
  labels: {app: sticky}
spec:
  nodeName: doomed-0
  containers:
  - name: c
    image: busybox
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute}
"#;

#[test]
fn unreachable_nodes_are_tainted_and_their_pods_evicted() {
    // Leader election is off by default on the embedded store; asked for here.
    let cluster = Cluster::start_with(&["--node-monitor-grace-period", "5s", "--leader-elect"]);
    let doomed = Kubelet::start(&cluster, "doomed");
    wait_until("doomed-0 is Ready", Duration::from_secs(30), || {
        ready_status(&cluster, "doomed-0") == "True"
    });
    cluster.ok_stdin(&["apply", "-f", "-"], DEPLOYMENT);
    cluster.ok_stdin(&["apply", "-f", "-"], STICKY);
    let mut first = String::new();
    wait_until(
        "the web pod runs on doomed-0",
        Duration::from_secs(30),
        || {
            first = pods_of(&cluster, "web");
            first.trim().ends_with("=doomed-0=Running=") && first.split_whitespace().count() == 1
        },
    );
    let first_name = first.split('=').next().unwrap_or_default().to_string();
    wait_until("sticky runs", Duration::from_secs(30), || {
        pods_of(&cluster, "sticky").contains("=Running")
    });
    // A second node, alive throughout, to take the evicted pod.
    let _steady = Kubelet::start(&cluster, "steady");
    wait_until("steady-0 is Ready", Duration::from_secs(30), || {
        ready_status(&cluster, "steady-0") == "True"
    });
    // Healthy nodes are not tainted.
    assert_eq!(taints(&cluster, "steady-0").trim(), "");
    // The server's controllers and scheduler hold their leases under the
    // identity kept in its data directory.
    let identity = std::fs::read_to_string(cluster.dir.path().join("leader-election-identity"))
        .expect("identity file");
    for lease in ["kube-controller-manager", "kube-scheduler"] {
        let holder = cluster.jsonpath("kube-system", "lease", lease, "{.spec.holderIdentity}");
        assert_eq!(holder, identity.trim(), "{lease}");
    }

    doomed.kill();
    wait_until("doomed-0 goes Unknown", Duration::from_secs(30), || {
        ready_status(&cluster, "doomed-0") == "Unknown"
    });
    let reason = cluster.ok(&[
        "get",
        "node",
        "doomed-0",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}/{.status.conditions[?(@.type==\"Ready\")].message}/{.status.conditions[?(@.type==\"MemoryPressure\")].status}",
    ]);
    assert_eq!(
        reason,
        "NodeStatusUnknown/Kubelet stopped posting node status./Unknown"
    );
    wait_until(
        "doomed-0 has the unreachable taints",
        Duration::from_secs(20),
        || {
            let t = taints(&cluster, "doomed-0");
            t.contains("node.kubernetes.io/unreachable:NoExecute")
                && t.contains("node.kubernetes.io/unreachable:NoSchedule")
        },
    );
    let added = cluster.ok(&[
        "get",
        "node",
        "doomed-0",
        "-o",
        "jsonpath={.spec.taints[?(@.effect==\"NoExecute\")].timeAdded}",
    ]);
    assert!(!added.trim().is_empty(), "timeAdded on the NoExecute taint");

    // The web pod is deleted after its 2 s (it stays Terminating until its
    // kubelet confirms, as upstream) and replaced on steady-0.
    let mut pods = String::new();
    wait_until(
        "web is recreated on steady-0",
        Duration::from_secs(40),
        || {
            pods = pods_of(&cluster, "web");
            let old_deleted = pods
                .split_whitespace()
                .filter(|p| p.starts_with(&format!("{first_name}=")))
                .all(|p| !p.ends_with('='));
            old_deleted && pods.contains("=steady-0=Running=")
        },
    );
    eprintln!("pods after the eviction: {pods}");
    let events = cluster.ok(&["get", "events", "-A", "-o", "json"]);
    assert!(events.contains("TaintManagerEviction"), "{events}");
    assert!(
        events.contains(&format!("Marking for deletion Pod default/{first_name}")),
        "{events}"
    );
    assert!(events.contains("NodeNotReady"), "{events}");
    // The pod that tolerates the taint forever stays, marked not ready.
    wait_until("sticky is not ready", Duration::from_secs(20), || {
        cluster
            .kubectl(&[
                "get",
                "pod",
                "sticky",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
            ])
            .stdout
            == "False"
    });
    assert!(pods_of(&cluster, "sticky").contains("sticky=doomed-0="));

    // The kubelet comes back: Ready, no taints.
    let _doomed = Kubelet::start(&cluster, "doomed");
    wait_until(
        "doomed-0 is Ready again, untainted",
        Duration::from_secs(30),
        || {
            ready_status(&cluster, "doomed-0") == "True"
                && taints(&cluster, "doomed-0").trim().is_empty()
        },
    );
}

/// The current time as metav1.Time.
fn now() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Reports the Ready condition of node `name` as its kubelet would.
fn report_ready(cluster: &Cluster, name: &str, status: &str, since: &str) {
    let patch = format!(
        r#"{{"status":{{"conditions":[{{"type":"Ready","status":"{status}","reason":"KubeletNotReady","message":"test","lastHeartbeatTime":"{}","lastTransitionTime":"{since}"}}]}}}}"#,
        now()
    );
    cluster.ok(&[
        "patch",
        "node",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch,
    ]);
}

#[test]
fn nodes_reporting_not_ready_get_not_ready_taints() {
    let cluster = Cluster::start();
    for name in ["good", "bad"] {
        cluster.ok_stdin(
            &["apply", "-f", "-"],
            &format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n"),
        );
    }
    let start = now();
    report_ready(&cluster, "good", "True", &start);
    report_ready(&cluster, "bad", "False", &start);
    wait_until(
        "bad has the not-ready taints",
        Duration::from_secs(20),
        || {
            let t = taints(&cluster, "bad");
            t.contains("node.kubernetes.io/not-ready:NoSchedule")
                && t.contains("node.kubernetes.io/not-ready:NoExecute")
        },
    );
    assert_eq!(taints(&cluster, "good").trim(), "");
    // Cordoning is a taint too.
    cluster.ok(&["cordon", "good"]);
    wait_until(
        "good has the unschedulable taint",
        Duration::from_secs(20),
        || taints(&cluster, "good").contains("node.kubernetes.io/unschedulable:NoSchedule"),
    );
    // Ready again: the taints go.
    report_ready(&cluster, "bad", "True", &now());
    wait_until("bad loses its taints", Duration::from_secs(20), || {
        taints(&cluster, "bad").trim().is_empty()
    });
}

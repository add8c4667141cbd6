//! Real pods on the kubelet of `rkube server`, through containerd: the pod
//! lifecycle as upstream reports it, driven by the real kubectl.

use std::time::Duration;

use super::node_support::BUSYBOX;
use super::support::{wait_until, Cluster};

const START: Duration = Duration::from_secs(60);

fn pod_yaml(name: &str, policy: &str, command: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", {command:?}]
{extra}"#
    )
}

#[test]
fn a_pod_runs_gets_an_address_and_goes_when_deleted() {
    let cluster = Cluster::start_node(&[]);
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("web", "Always", "sleep 3600", ""),
    );
    cluster.wait_pod("default", "web", "{.status.phase}", "Running", START);
    cluster.wait_pod(
        "default",
        "web",
        "{.status.conditions[?(@.type==\"Ready\")].status}",
        "True",
        START,
    );
    let status = cluster.ok(&["get", "pod", "web", "-o", "jsonpath={.status.containerStatuses[0].containerID} {.status.podIP} {.status.hostIP} {.spec.nodeName}"]);
    let fields: Vec<&str> = status.split(' ').collect();
    assert!(fields[0].starts_with("containerd://"), "{status}");
    assert!(
        fields[1].starts_with("10.42."),
        "pod IP from the node's podCIDR: {status}"
    );
    assert_eq!(fields[2], "127.0.0.1");
    assert_eq!(fields[3], cluster.node_name());
    let conditions = cluster.ok(&[
        "get",
        "pod",
        "web",
        "-o",
        "jsonpath={range .status.conditions[*]}{.type}={.status} {end}",
    ]);
    for condition in [
        "PodReadyToStartContainers=True",
        "Initialized=True",
        "ContainersReady=True",
        "Ready=True",
        "PodScheduled=True",
    ] {
        assert!(
            conditions.contains(condition),
            "{condition} in {conditions}"
        );
    }
    // `sleep` as PID 1 ignores TERM: the kubelet kills it after the grace period.
    cluster.ok(&[
        "delete",
        "pod",
        "web",
        "--grace-period=2",
        "--wait=true",
        "--timeout=60s",
    ]);
    let events = cluster.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=web",
        "-o",
        "jsonpath={range .items[*]}{.reason} {end}",
    ]);
    for reason in ["Scheduled", "Created", "Started", "Killing"] {
        assert!(events.contains(reason), "{reason} in {events}");
    }
}

#[test]
fn exit_codes_restart_policies_and_crash_loop_back_off() {
    let cluster = Cluster::start_node(&[]);
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("fails", "Never", "exit 3", ""),
    );
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("done", "OnFailure", "echo ok", ""),
    );
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("crash", "Always", "exit 1", ""),
    );
    cluster.wait_pod("default", "fails", "{.status.phase}", "Failed", START);
    cluster.wait_pod(
        "default",
        "fails",
        "{.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}",
        "3 Error",
        START,
    );
    cluster.wait_pod("default", "done", "{.status.phase}", "Succeeded", START);
    cluster.wait_pod(
        "default",
        "done",
        "{.status.containerStatuses[0].state.terminated.reason}",
        "Completed",
        START,
    );
    cluster.wait_pod(
        "default",
        "crash",
        "{.status.containerStatuses[0].state.waiting.reason}",
        "CrashLoopBackOff",
        START,
    );
    let crash = cluster.ok(&["get", "pod", "crash", "-o", "jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.exitCode} {.status.phase}"]);
    let fields: Vec<&str> = crash.split(' ').collect();
    assert!(fields[0].parse::<u32>().unwrap_or(0) >= 1, "{crash}");
    assert_eq!(&fields[1..], ["1", "Running"], "{crash}");
    let table = cluster.ok(&["get", "pod", "crash"]);
    assert!(table.contains("CrashLoopBackOff"), "{table}");
}

#[test]
fn init_containers_run_in_order_before_the_containers() {
    let cluster = Cluster::start_node(&[]);
    let init = format!(
        r#"  initContainers:
  - name: first
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "sleep 1"]
  - name: second
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: ["true"]
"#
    );
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("inits", "Always", "sleep 3600", &init),
    );
    cluster.wait_pod("default", "inits", "{.status.phase}", "Running", START);
    cluster.wait_pod(
        "default",
        "inits",
        "{.status.initContainerStatuses[*].state.terminated.reason}",
        "Completed Completed",
        START,
    );
    let failing = format!(
        r#"  initContainers:
  - name: broken
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exit 7"]
"#
    );
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("badinit", "Never", "sleep 3600", &failing),
    );
    cluster.wait_pod("default", "badinit", "{.status.phase}", "Failed", START);
    cluster.wait_pod(
        "default",
        "badinit",
        "{.status.initContainerStatuses[0].state.terminated.exitCode}",
        "7",
        START,
    );
    let table = cluster.ok(&["get", "pod", "badinit"]);
    assert!(table.contains("Init:Error"), "{table}");
}

#[test]
fn a_memory_limit_ends_in_oom_killed() {
    let cluster = Cluster::start_node(&[]);
    let resources = r#"    resources:
      limits:
        memory: 16Mi
"#;
    let yaml = pod_yaml("hog", "Never", "tail /dev/zero", "")
        .replace("    command:", &format!("{resources}    command:"));
    cluster.ok_stdin(&["apply", "-f", "-"], &yaml);
    cluster.wait_pod(
        "default",
        "hog",
        "{.status.containerStatuses[0].state.terminated.reason}",
        "OOMKilled",
        START,
    );
    cluster.wait_pod("default", "hog", "{.status.phase}", "Failed", START);
}

#[test]
fn graceful_termination_sends_term_first() {
    let cluster = Cluster::start_node(&[]);
    // The container exits 0 on TERM: the pod goes well before its 30 s grace.
    let yaml = pod_yaml(
        "polite",
        "Always",
        "trap 'exit 0' TERM; while true; do sleep 0.2; done",
        "",
    )
    .replace(
        "terminationGracePeriodSeconds: 5",
        "terminationGracePeriodSeconds: 30",
    );
    cluster.ok_stdin(&["apply", "-f", "-"], &yaml);
    cluster.wait_pod("default", "polite", "{.status.phase}", "Running", START);
    let started = std::time::Instant::now();
    cluster.ok(&["delete", "pod", "polite", "--wait=true", "--timeout=60s"]);
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "TERM ended the container before the grace period"
    );
}

#[test]
fn a_restarted_server_keeps_its_pods_running() {
    let mut cluster = Cluster::start_node(&[]);
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("steady", "Always", "sleep 3600", ""),
    );
    cluster.wait_pod("default", "steady", "{.status.phase}", "Running", START);
    let before = cluster.ok(&[
        "get",
        "pod",
        "steady",
        "-o",
        "jsonpath={.status.containerStatuses[0].containerID}",
    ]);
    cluster.restart();
    wait_until("the API server answers", START, || {
        cluster.kubectl(&["get", "pod", "steady"]).success
    });
    // The new kubelet finds the container through CRI and leaves it be.
    std::thread::sleep(Duration::from_secs(5));
    cluster.wait_pod(
        "default",
        "steady",
        "{.status.containerStatuses[0].containerID}",
        &before,
        START,
    );
    cluster.wait_pod(
        "default",
        "steady",
        "{.status.containerStatuses[0].restartCount}",
        "0",
        START,
    );
    cluster.wait_pod("default", "steady", "{.status.phase}", "Running", START);
}

#[test]
fn environment_volumes_probes_logs_and_exec_through_kubectl() {
    let cluster = Cluster::start_node(&[]);
    cluster.ok(&[
        "create",
        "configmap",
        "cfg",
        "--from-literal=greeting=hello",
    ]);
    cluster.ok(&[
        "create",
        "secret",
        "generic",
        "sec",
        "--from-literal=password=s3cret",
    ]);
    let yaml = format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: full
  labels: {{app: full}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo $GREETING $MY_POD $(cat /sec/password); mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www"]
    env:
    - name: GREETING
      valueFrom: {{configMapKeyRef: {{name: cfg, key: greeting}}}}
    - name: MY_POD
      valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
    volumeMounts:
    - {{name: cfg, mountPath: /cfg}}
    - {{name: sec, mountPath: /sec}}
    - {{name: scratch, mountPath: /scratch}}
    readinessProbe:
      httpGet: {{path: /index.html, port: 8080}}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {{port: 8080}}
      periodSeconds: 2
  volumes:
  - name: cfg
    configMap: {{name: cfg}}
  - name: sec
    secret: {{secretName: sec}}
  - name: scratch
    emptyDir: {{medium: Memory}}
"#
    );
    cluster.ok_stdin(&["apply", "-f", "-"], &yaml);
    cluster.wait_pod(
        "default",
        "full",
        "{.status.conditions[?(@.type==\"Ready\")].status}",
        "True",
        START,
    );
    wait_until("the pod's log", START, || {
        cluster
            .kubectl(&["logs", "full"])
            .stdout
            .contains("hello full s3cret")
    });
    assert_eq!(
        cluster.ok(&["exec", "full", "--", "cat", "/cfg/greeting"]),
        "hello"
    );
    let token = cluster.ok(&[
        "exec",
        "full",
        "--",
        "ls",
        "/var/run/secrets/kubernetes.io/serviceaccount",
    ]);
    for file in ["ca.crt", "namespace", "token"] {
        assert!(token.contains(file), "{file} in {token}");
    }
    let failed = cluster.kubectl(&["exec", "full", "--", "sh", "-c", "exit 3"]);
    assert!(!failed.success, "a non-zero exit fails kubectl exec");
    assert_eq!(
        cluster.ok_stdin(
            &[
                "exec",
                "-i",
                "full",
                "--",
                "sh",
                "-c",
                "cat > /scratch/in; cat /scratch/in"
            ],
            "from stdin"
        ),
        "from stdin"
    );
    // A configMap change reaches the running container's files.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {greeting: changed}\n",
    );
    wait_until(
        "the updated configMap file",
        Duration::from_secs(120),
        || {
            cluster
                .kubectl(&["exec", "full", "--", "cat", "/cfg/greeting"])
                .stdout
                == "changed"
        },
    );
}

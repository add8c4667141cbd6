//! Workload controllers: ReplicaSets keep their pods, Deployments roll out
//! through ReplicaSets (kubectl scale, set image, rollout status, history and
//! undo), and every namespace gets a `default` service account and the
//! `kube-root-ca.crt` ConfigMap.
//!
//! No scheduler or kubelet runs pods here, so [`make_ready`] plays both: it
//! binds each pending pod and reports it Running and Ready.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(60);

const REPLICA_SET: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1
";

/// The pods of namespace `ns` matching `selector`, as JSON.
fn pods(cluster: &Cluster, ns: &str, selector: &str) -> Vec<Value> {
    let out = cluster.ok(&["get", "pods", "-n", ns, "-l", selector, "-o", "json"]);
    let list: Value = serde_json::from_str(&out).expect("pod list");
    list["items"].as_array().cloned().unwrap_or_default()
}

/// Pods not being deleted.
fn live(pods: &[Value]) -> Vec<&Value> {
    pods.iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect()
}

fn name(pod: &Value) -> String {
    pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// Binds `pod` to a node and reports it Running and Ready.
fn make_pod_ready(cluster: &Cluster, ns: &str, pod: &str) {
    let http = cluster.http();
    let _ = http.post_json(
        &format!("/api/v1/namespaces/{ns}/pods/{pod}/binding"),
        &format!(r#"{{"metadata":{{"name":"{pod}"}},"target":{{"kind":"Node","name":"node-1"}}}}"#),
    );
    let now = k8s_now();
    let status = format!(
        r#"{{"status":{{"phase":"Running","conditions":[{{"type":"PodScheduled","status":"True"}},{{"type":"Ready","status":"True","lastTransitionTime":"{now}"}}]}}}}"#
    );
    let _ = http.send(
        "PATCH",
        &format!("/api/v1/namespaces/{ns}/pods/{pod}/status"),
        "application/merge-patch+json",
        Some(status.as_bytes()),
    );
}

/// Now, as RFC 3339 seconds.
fn k8s_now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Makes every live pod matching `selector` ready; returns how many it touched.
fn make_ready(cluster: &Cluster, ns: &str, selector: &str) -> usize {
    let mut touched = 0;
    for pod in live(&pods(cluster, ns, selector)) {
        if !is_ready(pod) {
            make_pod_ready(cluster, ns, &name(pod));
            touched += 1;
        }
    }
    touched
}

/// Runs `body` while a helper thread keeps making matching pods ready.
fn with_ready_pods<T>(cluster: &Cluster, ns: &str, selector: &str, body: impl FnOnce() -> T) -> T {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                make_ready(cluster, ns, selector);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let result = body();
        stop.store(true, Ordering::Relaxed);
        result
    })
}

#[track_caller]
fn wait_for_live_pods(cluster: &Cluster, ns: &str, selector: &str, count: usize) -> Vec<Value> {
    let mut last = Vec::new();
    wait_until(&format!("{count} pods {selector}"), WAIT, || {
        last = pods(cluster, ns, selector);
        live(&last).len() == count
    });
    live(&last).into_iter().cloned().collect()
}

#[test]
fn replicaset_creates_replaces_and_scales_down_its_pods() {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], REPLICA_SET);
    let created = wait_for_live_pods(&cluster, "default", "app=web", 3);
    let uid = cluster.jsonpath("default", "rs", "web", "{.metadata.uid}");
    for pod in &created {
        let pod_name = name(pod);
        assert!(
            pod_name.starts_with("web-") && pod_name.len() == 9,
            "{pod_name}"
        );
        let owner = &pod["metadata"]["ownerReferences"][0];
        assert_eq!(owner["uid"], uid.as_str(), "{pod}");
        assert_eq!(owner["kind"], "ReplicaSet");
        assert_eq!(owner["controller"], true);
        assert_eq!(owner["blockOwnerDeletion"], true);
    }
    make_ready(&cluster, "default", "app=web");
    wait_until("3 ready replicas", WAIT, || {
        cluster.jsonpath(
            "default",
            "rs",
            "web",
            "{.status.readyReplicas}/{.status.availableReplicas}/{.status.fullyLabeledReplicas}",
        ) == "3/3/3"
    });
    let events = cluster.ok(&["get", "events", "-n", "default"]);
    assert!(events.contains("SuccessfulCreate"), "{events}");
    assert!(events.contains("Created pod: web-"), "{events}");

    // A deleted pod is replaced.
    let victim = name(&created[0]);
    cluster.ok(&["delete", "pod", &victim, "-n", "default", "--wait=false"]);
    let now = wait_for_live_pods(&cluster, "default", "app=web", 3);
    let replacement: Vec<String> = now
        .iter()
        .map(name)
        .filter(|n| !created.iter().any(|c| &name(c) == n))
        .collect();
    assert_eq!(replacement.len(), 1, "{now:?}");
    assert!(!is_ready(
        now.iter().find(|p| name(p) == replacement[0]).unwrap()
    ));

    // Scaling down deletes the pod that is not ready first.
    cluster.ok(&["scale", "rs", "web", "-n", "default", "--replicas=2"]);
    let left = wait_for_live_pods(&cluster, "default", "app=web", 2);
    assert!(left.iter().all(|p| name(p) != replacement[0]), "{left:?}");
    assert!(left.iter().all(is_ready), "{left:?}");
    wait_until("status replicas 2", WAIT, || {
        cluster.jsonpath("default", "rs", "web", "{.status.replicas}") == "2"
    });
    let events = cluster.ok(&["get", "events", "-n", "default"]);
    assert!(
        events.contains(&format!("Deleted pod: {}", replacement[0])),
        "{events}"
    );
}

#[test]
fn replicaset_pods_become_available_after_min_ready_seconds() {
    let cluster = Cluster::start();
    let manifest = REPLICA_SET.replace("  replicas: 3\n", "  replicas: 2\n  minReadySeconds: 3\n");
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], &manifest);
    wait_for_live_pods(&cluster, "default", "app=web", 2);
    make_ready(&cluster, "default", "app=web");
    wait_until("2 ready replicas", WAIT, || {
        cluster.jsonpath("default", "rs", "web", "{.status.readyReplicas}") == "2"
    });
    assert_eq!(
        cluster.jsonpath("default", "rs", "web", "{.status.availableReplicas}"),
        ""
    );
    wait_until("2 available replicas", WAIT, || {
        cluster.jsonpath("default", "rs", "web", "{.status.availableReplicas}") == "2"
    });
}

#[test]
fn replicaset_adopts_orphans_and_releases_pods_that_stop_matching() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: orphan\n  labels: {app: web}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n",
    );
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        &REPLICA_SET.replace("replicas: 3", "replicas: 1"),
    );
    let uid = cluster.jsonpath("default", "rs", "web", "{.metadata.uid}");
    wait_until("the orphan adopted", WAIT, || {
        cluster.jsonpath(
            "default",
            "pod",
            "orphan",
            "{.metadata.ownerReferences[0].uid}",
        ) == uid
    });
    // Adopted, so no pod was created.
    std::thread::sleep(Duration::from_secs(1));
    let all = pods(&cluster, "default", "app=web");
    assert_eq!(all.len(), 1, "{all:?}");

    // Relabelled, it is released and replaced.
    cluster.ok(&[
        "label",
        "pod",
        "orphan",
        "-n",
        "default",
        "app=other",
        "--overwrite",
    ]);
    wait_until("the pod released", WAIT, || {
        cluster
            .jsonpath("default", "pod", "orphan", "{.metadata.ownerReferences}")
            .is_empty()
    });
    wait_for_live_pods(&cluster, "default", "app=web", 1);
}

#[test]
fn deployment_rolls_out_scales_and_rolls_back() {
    let cluster = Cluster::start();
    let ns = "default";
    with_ready_pods(&cluster, ns, "app=web", || {
        cluster.ok_stdin(&["apply", "-n", ns, "-f", "-"], DEPLOYMENT);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
    });
    let first = cluster.ok(&["get", "rs", "-n", ns, "-l", "app=web", "-o", "name"]);
    let first: Vec<&str> = first.lines().collect();
    assert_eq!(first.len(), 1, "{first:?}");
    let rs_name = first[0].trim_start_matches("replicaset.apps/").to_string();
    let hash = cluster.jsonpath(ns, "rs", &rs_name, "{.metadata.labels.pod-template-hash}");
    assert_eq!(rs_name, format!("web-{hash}"));
    assert_eq!(
        cluster.jsonpath(
            ns,
            "rs",
            &rs_name,
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "1"
    );
    assert_eq!(
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.status.availableReplicas}/{.status.updatedReplicas}/{.status.readyReplicas}"
        ),
        "3/3/3"
    );
    assert_eq!(
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.status.conditions[?(@.type==\"Available\")].status}"
        ),
        "True"
    );
    assert_eq!(
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.status.conditions[?(@.type==\"Progressing\")].reason}"
        ),
        "NewReplicaSetAvailable"
    );

    // kubectl scale.
    with_ready_pods(&cluster, ns, "app=web", || {
        cluster.ok(&["scale", "deploy/web", "-n", ns, "--replicas=4"]);
        wait_until("4 available", WAIT, || {
            cluster.jsonpath(ns, "deploy", "web", "{.status.availableReplicas}") == "4"
        });
    });

    // kubectl set image: a new ReplicaSet, never fewer than 4 ready pods.
    let dropped = AtomicBool::new(false);
    with_ready_pods(&cluster, ns, "app=web", || {
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    let all = pods(&cluster, ns, "app=web");
                    let ready = live(&all).into_iter().filter(|p| is_ready(p)).count();
                    if ready < 4 {
                        dropped.store(true, Ordering::Relaxed);
                    }
                }
            });
            cluster.ok(&["set", "image", "deploy/web", "-n", ns, "c=nginx:2"]);
            cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
            done.store(true, Ordering::Relaxed);
        });
    });
    assert!(
        !dropped.load(Ordering::Relaxed),
        "fewer than 4 ready pods during the rollout"
    );
    let sets = cluster.ok(&[
        "get",
        "rs",
        "-n",
        ns,
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}",
    ]);
    assert!(sets.contains(&format!("{rs_name}=0")), "{sets}");
    assert_eq!(sets.split_whitespace().count(), 2, "{sets}");
    let images: Vec<String> = live(&pods(&cluster, ns, "app=web"))
        .iter()
        .map(|p| {
            p["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(images, vec!["nginx:2"; 4]);
    let events = cluster.ok(&["get", "events", "-n", ns]);
    assert!(events.contains("ScalingReplicaSet"), "{events}");
    assert!(
        events.contains(&format!("Scaled down replica set {rs_name} from 4 to 3")),
        "{events}"
    );

    let history = cluster.ok(&["rollout", "history", "deploy/web", "-n", ns]);
    assert!(history.contains("REVISION"), "{history}");
    let revisions: Vec<&str> = history
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    let detail = cluster.ok(&["rollout", "history", "deploy/web", "-n", ns, "--revision=2"]);
    assert!(detail.contains("nginx:2"), "{detail}");

    // kubectl rollout undo brings nginx:1 back as revision 3, on the first set.
    with_ready_pods(&cluster, ns, "app=web", || {
        cluster.ok(&["rollout", "undo", "deploy/web", "-n", ns]);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
    });
    assert_eq!(
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "nginx:1"
    );
    assert_eq!(
        cluster.jsonpath(
            ns,
            "rs",
            &rs_name,
            "{.spec.replicas}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "4/3"
    );
    let history = cluster.ok(&["rollout", "history", "deploy/web", "-n", ns]);
    let revisions: Vec<&str> = history
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["2", "3"], "{history}");
}

#[test]
fn paused_deployment_scales_but_does_not_roll_out() {
    let cluster = Cluster::start();
    let ns = "default";
    with_ready_pods(&cluster, ns, "app=web", || {
        cluster.ok_stdin(&["apply", "-n", ns, "-f", "-"], DEPLOYMENT);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
        cluster.ok(&["rollout", "pause", "deploy/web", "-n", ns]);
        cluster.ok(&["set", "image", "deploy/web", "-n", ns, "c=nginx:2"]);
        cluster.ok(&["scale", "deploy/web", "-n", ns, "--replicas=5"]);
        wait_until("5 available", WAIT, || {
            cluster.jsonpath(ns, "deploy", "web", "{.status.availableReplicas}") == "5"
        });
        assert_eq!(
            cluster.jsonpath(
                ns,
                "deploy",
                "web",
                "{.status.conditions[?(@.type==\"Progressing\")].reason}"
            ),
            "DeploymentPaused"
        );
        let sets = cluster.ok(&["get", "rs", "-n", ns, "-o", "name"]);
        assert_eq!(sets.lines().count(), 1, "{sets}");
        cluster.ok(&["rollout", "resume", "deploy/web", "-n", ns]);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
    });
    let sets = cluster.ok(&["get", "rs", "-n", ns, "-o", "name"]);
    assert_eq!(sets.lines().count(), 2, "{sets}");
}

#[test]
fn recreate_deployment_replaces_all_pods_at_once() {
    let cluster = Cluster::start();
    let ns = "default";
    let manifest = DEPLOYMENT.replace(
        "rollingUpdate: {maxSurge: 1, maxUnavailable: 0}",
        "type: Recreate",
    );
    with_ready_pods(&cluster, ns, "app=web", || {
        cluster.ok_stdin(&["apply", "-n", ns, "-f", "-"], &manifest);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
        cluster.ok(&["set", "image", "deploy/web", "-n", ns, "c=nginx:2"]);
        cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
    });
    let images: Vec<String> = live(&pods(&cluster, ns, "app=web"))
        .iter()
        .map(|p| {
            p["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(images, vec!["nginx:2"; 3]);
}

#[test]
fn deployment_on_hollow_nodes_becomes_available_and_heals() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "3"]);
    let ns = "default";
    cluster.ok_stdin(&["apply", "-n", ns, "-f", "-"], DEPLOYMENT);
    cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
    assert_eq!(
        cluster.jsonpath(ns, "deploy", "web", "{.status.availableReplicas}"),
        "3"
    );
    let before = wait_for_live_pods(&cluster, ns, "app=web", 3);
    let victim = name(&before[0]);
    cluster.ok(&["delete", "pod", &victim, "-n", ns]);
    wait_until("a ready replacement", WAIT, || {
        let all = pods(&cluster, ns, "app=web");
        let ready = live(&all).into_iter().filter(|p| is_ready(p)).count();
        ready == 3 && all.iter().all(|p| name(p) != victim)
    });
}

#[test]
fn stalled_deployment_exceeds_its_progress_deadline_and_history_is_limited() {
    let cluster = Cluster::start();
    let ns = "default";
    // Nobody makes these pods ready: the rollout stalls.
    let manifest = DEPLOYMENT.replace(
        "  replicas: 3\n",
        "  replicas: 3\n  progressDeadlineSeconds: 2\n  revisionHistoryLimit: 1\n",
    );
    cluster.ok_stdin(&["apply", "-n", ns, "-f", "-"], &manifest);
    wait_until("ProgressDeadlineExceeded", WAIT, || {
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        ) == "ProgressDeadlineExceeded"
    });
    let message = cluster.jsonpath(
        ns,
        "deploy",
        "web",
        "{.status.conditions[?(@.type==\"Progressing\")].message}",
    );
    assert!(message.ends_with("has timed out progressing."), "{message}");
    let error = cluster.fails(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=20s"]);
    assert!(error.contains("exceeded its progress deadline"), "{error}");
    // Three templates rolled out; one old set is kept besides the current one.
    with_ready_pods(&cluster, ns, "app=web", || {
        for image in ["c=nginx:2", "c=nginx:3"] {
            cluster.ok(&["set", "image", "deploy/web", "-n", ns, image]);
            cluster.ok(&["rollout", "status", "deploy/web", "-n", ns, "--timeout=60s"]);
        }
        wait_until("history cut to one old set", WAIT, || {
            cluster
                .ok(&["get", "rs", "-n", ns, "-o", "name"])
                .lines()
                .count()
                == 2
        });
    });
    assert_eq!(
        cluster.jsonpath(
            ns,
            "deploy",
            "web",
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        ),
        "NewReplicaSetAvailable"
    );
}

#[test]
fn namespaces_get_a_default_service_account_and_the_root_ca() {
    let cluster = Cluster::start();
    cluster.namespace("team");
    wait_until("the default service account", WAIT, || {
        cluster
            .kubectl(&["get", "serviceaccount", "default", "-n", "team"])
            .success
    });
    let ca = std::fs::read_to_string(cluster.dir.path().join("tls/ca.crt")).expect("ca.crt");
    wait_until("kube-root-ca.crt", WAIT, || {
        cluster
            .kubectl(&["get", "configmap", "kube-root-ca.crt", "-n", "team"])
            .success
    });
    let published = cluster.jsonpath("team", "configmap", "kube-root-ca.crt", "{.data.ca\\.crt}");
    assert_eq!(published.trim(), ca.trim());
    // Both come back when deleted.
    cluster.ok(&["delete", "serviceaccount", "default", "-n", "team"]);
    cluster.ok(&["delete", "configmap", "kube-root-ca.crt", "-n", "team"]);
    wait_until("the service account recreated", WAIT, || {
        cluster
            .kubectl(&["get", "serviceaccount", "default", "-n", "team"])
            .success
    });
    wait_until("the config map recreated", WAIT, || {
        cluster
            .kubectl(&["get", "configmap", "kube-root-ca.crt", "-n", "team"])
            .success
    });
}

//! StatefulSets on `rkube server --hollow-nodes 3`: stable names, hostnames
//! and claims, OrderedReady creation in order (seen through a watch),
//! Parallel management, scaling up and down in reverse order, a deleted pod
//! recreated under its name, a partitioned rolling update followed by
//! `kubectl rollout status`, `rollout history` and `rollout undo`.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(60);

fn statefulset(name: &str, replicas: u32, image: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  serviceName: {name}-svc\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n{extra_spec}  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: c\n        image: {image}\n"
    )
}

/// `name image phase ready` of the set's pods, by name.
fn pods(cluster: &Cluster, app: &str) -> Vec<(String, String, String)> {
    let out = cluster.ok(&[
        "get",
        "pods",
        "-n",
        "default",
        "-l",
        &format!("app={app}"),
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.spec.containers[0].image} {.status.phase}{'\\n'}{end}",
    ]);
    let mut list: Vec<(String, String, String)> = out
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.next()?.to_string(),
                parts.next().unwrap_or("").to_string(),
            ))
        })
        .collect();
    list.sort();
    list
}

#[track_caller]
fn wait_for_pods(cluster: &Cluster, app: &str, wanted: &[(&str, &str)]) {
    let mut last = Vec::new();
    let what = format!("pods of {app}: {wanted:?}");
    let ok = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < ok {
        last = pods(cluster, app);
        let matches = last.len() == wanted.len()
            && last
                .iter()
                .zip(wanted)
                .all(|((n, i, phase), (wn, wi))| n == wn && i == wi && phase == "Running");
        if matches {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}; last: {last:?}");
}

fn revisions(history: &str) -> Vec<String> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .map(str::to_string)
        .collect()
}

/// Events of StatefulSet `name` (`Reason: message`) in the order they happened.
fn events(cluster: &Cluster, name: &str) -> Vec<String> {
    let list = cluster.raw("/apis/events.k8s.io/v1/namespaces/default/events");
    let mut items: Vec<(String, String)> = list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["regarding"]["kind"] == "StatefulSet" && e["regarding"]["name"] == name)
        .map(|e| {
            (
                e["series"]["lastObservedTime"]
                    .as_str()
                    .or(e["eventTime"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                format!(
                    "{}: {}",
                    e["reason"].as_str().unwrap_or_default(),
                    e["note"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, e)| e).collect()
}

#[test]
fn statefulset_orders_scales_updates_and_rolls_back() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "3"]);
    wait_until("3 hollow nodes", WAIT, || {
        cluster.ok(&["get", "nodes", "-o", "name"]).lines().count() == 3
    });

    // Watch the pods while the set is created: with OrderedReady each pod
    // appears only once the one before it is Running and Ready.
    let mut watch = cluster
        .kubectl_command(&[
            "get",
            "pods",
            "-n",
            "default",
            "-l",
            "app=web",
            "--watch",
            "--no-headers",
            "-o",
            "custom-columns=NAME:.metadata.name,READY:.status.containerStatuses[0].ready",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl watch");
    std::thread::sleep(Duration::from_millis(500));
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &statefulset(
            "web",
            3,
            "nginx:1",
            "  volumeClaimTemplates:\n  - metadata: {name: www}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n",
        ),
    );
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:1"),
            ("web-1", "nginx:1"),
            ("web-2", "nginx:1"),
        ],
    );
    wait_until("web ready", WAIT, || {
        cluster.jsonpath("default", "sts", "web", "{.status.readyReplicas}") == "3"
    });
    std::thread::sleep(Duration::from_millis(500));
    let _ = watch.kill();
    let mut seen = String::new();
    if let Some(mut out) = watch.stdout.take() {
        let _ = out.read_to_string(&mut seen);
    }
    let _ = watch.wait();
    let lines: Vec<(&str, &str)> = seen
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?, parts.next().unwrap_or("")))
        })
        .collect();
    for (before, after) in [("web-0", "web-1"), ("web-1", "web-2")] {
        let ready = lines
            .iter()
            .position(|(n, r)| *n == before && *r == "true")
            .unwrap_or_else(|| panic!("{before} never ready in the watch:\n{seen}"));
        let appeared = lines
            .iter()
            .position(|(n, _)| *n == after)
            .unwrap_or_else(|| panic!("{after} never seen in the watch:\n{seen}"));
        assert!(
            ready < appeared,
            "{after} appeared before {before} was ready:\n{seen}"
        );
    }

    // Identity: hostname, subdomain, labels, claims.
    let pod: serde_json::Value =
        serde_json::from_str(&cluster.ok(&["get", "pod", "web-1", "-n", "default", "-o", "json"]))
            .expect("pod JSON");
    assert_eq!(pod["spec"]["hostname"], "web-1");
    assert_eq!(pod["spec"]["subdomain"], "web-svc");
    assert_eq!(
        pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "web-1"
    );
    assert_eq!(
        pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"],
        "1"
    );
    let revision1 = cluster.jsonpath("default", "sts", "web", "{.status.updateRevision}");
    assert_eq!(
        pod["metadata"]["labels"]["controller-revision-hash"],
        revision1.as_str()
    );
    assert_eq!(
        cluster.jsonpath("default", "sts", "web", "{.status.currentRevision}"),
        revision1
    );
    let volumes = pod["spec"]["volumes"].to_string();
    assert!(volumes.contains("www-web-1"), "{volumes}");
    let claims = cluster.ok(&["get", "pvc", "-n", "default", "-o", "name"]);
    for claim in ["www-web-0", "www-web-1", "www-web-2"] {
        assert!(claims.contains(claim), "{claims}");
    }
    assert_eq!(
        cluster.jsonpath("default", "pvc", "www-web-0", "{.metadata.labels.app}"),
        "web"
    );
    let created = events(&cluster, "web");
    let pod_creates: Vec<&String> = created
        .iter()
        .filter(|e| e.starts_with("SuccessfulCreate: create Pod"))
        .collect();
    assert_eq!(
        pod_creates,
        [
            "SuccessfulCreate: create Pod web-0 in StatefulSet web successful",
            "SuccessfulCreate: create Pod web-1 in StatefulSet web successful",
            "SuccessfulCreate: create Pod web-2 in StatefulSet web successful",
        ],
        "{created:?}"
    );
    assert!(
        created.iter().any(|e| e
            == "SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        "{created:?}"
    );

    // A deleted pod comes back under its name.
    let uid = cluster.jsonpath("default", "pod", "web-1", "{.metadata.uid}");
    cluster.ok(&["delete", "pod", "web-1", "-n", "default", "--wait=false"]);
    wait_until("web-1 recreated", WAIT, || {
        let run = cluster.kubectl(&[
            "get",
            "pod",
            "web-1",
            "-n",
            "default",
            "-o",
            "jsonpath={.metadata.uid} {.status.phase}",
        ]);
        run.success && !run.stdout.starts_with(&uid) && run.stdout.ends_with("Running")
    });

    // Scale up, then down in reverse order; claims are retained.
    cluster.ok(&["scale", "sts", "web", "--replicas=5"]);
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:1"),
            ("web-1", "nginx:1"),
            ("web-2", "nginx:1"),
            ("web-3", "nginx:1"),
            ("web-4", "nginx:1"),
        ],
    );
    cluster.ok(&["scale", "sts", "web", "--replicas=2"]);
    wait_for_pods(
        &cluster,
        "web",
        &[("web-0", "nginx:1"), ("web-1", "nginx:1")],
    );
    let deletes: Vec<String> = events(&cluster, "web")
        .into_iter()
        .filter(|e| e.starts_with("SuccessfulDelete: delete Pod web-"))
        .collect();
    assert_eq!(
        deletes,
        [
            "SuccessfulDelete: delete Pod web-4 in StatefulSet web successful",
            "SuccessfulDelete: delete Pod web-3 in StatefulSet web successful",
            "SuccessfulDelete: delete Pod web-2 in StatefulSet web successful",
        ]
    );
    let claims = cluster.ok(&["get", "pvc", "-n", "default", "-o", "name"]);
    assert!(claims.contains("www-web-4"), "whenScaled Retain: {claims}");
    cluster.ok(&["scale", "sts", "web", "--replicas=3"]);
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:1"),
            ("web-1", "nginx:1"),
            ("web-2", "nginx:1"),
        ],
    );

    // Partitioned rolling update: only ordinals >= 1 move.
    cluster.ok(&[
        "patch",
        "sts",
        "web",
        "-n",
        "default",
        "-p",
        r#"{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":1}}}}"#,
    ]);
    cluster.ok(&["set", "image", "sts/web", "c=nginx:2"]);
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:1"),
            ("web-1", "nginx:2"),
            ("web-2", "nginx:2"),
        ],
    );
    let status = cluster.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert!(status.contains("partitioned roll out complete"), "{status}");
    let revision2 = cluster.jsonpath("default", "sts", "web", "{.status.updateRevision}");
    assert_ne!(revision1, revision2);
    assert_eq!(
        cluster.jsonpath("default", "sts", "web", "{.status.currentRevision}"),
        revision1
    );
    assert_eq!(
        cluster.jsonpath(
            "default",
            "sts",
            "web",
            "{.status.currentReplicas}/{.status.updatedReplicas}"
        ),
        "1/2"
    );
    // web-2 was replaced before web-1 (a repeated event moves its series).
    let updates = events(&cluster, "web");
    let (two, one) = (
        updates
            .iter()
            .rposition(|e| e.contains("delete Pod web-2 ")),
        updates
            .iter()
            .rposition(|e| e.contains("delete Pod web-1 ")),
    );
    assert!(two.is_some() && one.is_some() && two < one, "{updates:?}");

    // Partition 0: the rest follows; the update completes.
    cluster.ok(&[
        "patch",
        "sts",
        "web",
        "-n",
        "default",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
    ]);
    let status = cluster.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert!(status.contains("roll out complete"), "{status}");
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:2"),
            ("web-1", "nginx:2"),
            ("web-2", "nginx:2"),
        ],
    );
    wait_until("currentRevision moves", WAIT, || {
        cluster.jsonpath("default", "sts", "web", "{.status.currentRevision}") == revision2
    });
    let history = cluster.ok(&["rollout", "history", "sts/web"]);
    assert_eq!(revisions(&history), ["1", "2"], "{history}");

    // Undo: back to nginx:1 as revision 3.
    let undo = cluster.ok(&["rollout", "undo", "sts/web"]);
    assert!(undo.contains("rolled back"), "{undo}");
    let status = cluster.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert!(status.contains("roll out complete"), "{status}");
    wait_for_pods(
        &cluster,
        "web",
        &[
            ("web-0", "nginx:1"),
            ("web-1", "nginx:1"),
            ("web-2", "nginx:1"),
        ],
    );
    let history = cluster.ok(&["rollout", "history", "sts/web"]);
    assert_eq!(revisions(&history), ["2", "3"], "{history}");
    assert_eq!(
        cluster.jsonpath("default", "sts", "web", "{.status.updateRevision}"),
        revision1,
        "the first revision is reused"
    );

    // Parallel: all pods at once, all gone at once.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &statefulset("par", 3, "nginx:1", "  podManagementPolicy: Parallel\n"),
    );
    wait_for_pods(
        &cluster,
        "par",
        &[
            ("par-0", "nginx:1"),
            ("par-1", "nginx:1"),
            ("par-2", "nginx:1"),
        ],
    );
    cluster.ok(&["scale", "sts", "par", "--replicas=0"]);
    wait_for_pods(&cluster, "par", &[]);
    // An orphan that matches is adopted, and goes as a condemned ordinal.
    cluster.ok(&[
        "run",
        "par-4",
        "-n",
        "default",
        "--image=nginx:1",
        "--labels=app=par",
    ]);
    wait_until("orphan par-4 adopted and deleted", WAIT, || {
        events(&cluster, "par")
            .iter()
            .any(|e| e == "SuccessfulDelete: delete Pod par-4 in StatefulSet par successful")
    });
    wait_for_pods(&cluster, "par", &[]);

    // Claims deleted with the set and on scale-down, as the policy says;
    // OnDelete updates a pod only once it is deleted.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &statefulset(
            "db",
            2,
            "postgres:1",
            "  podManagementPolicy: Parallel\n  updateStrategy: {type: OnDelete}\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n",
        ),
    );
    wait_for_pods(
        &cluster,
        "db",
        &[("db-0", "postgres:1"), ("db-1", "postgres:1")],
    );
    let owner = cluster.jsonpath(
        "default",
        "pvc",
        "data-db-0",
        "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}",
    );
    assert_eq!(owner, "StatefulSet/db");
    cluster.ok(&["set", "image", "sts/db", "c=postgres:2"]);
    wait_until("db update revision", WAIT, || {
        let revisions = cluster.jsonpath(
            "default",
            "sts",
            "db",
            "{.status.currentRevision} {.status.updateRevision}",
        );
        let mut parts = revisions.split_whitespace();
        matches!((parts.next(), parts.next()), (Some(a), Some(b)) if a != b)
    });
    std::thread::sleep(Duration::from_secs(2));
    wait_for_pods(
        &cluster,
        "db",
        &[("db-0", "postgres:1"), ("db-1", "postgres:1")],
    );
    cluster.ok(&["delete", "pod", "db-0", "-n", "default", "--wait=false"]);
    wait_for_pods(
        &cluster,
        "db",
        &[("db-0", "postgres:2"), ("db-1", "postgres:1")],
    );
    cluster.ok(&["scale", "sts", "db", "--replicas=1"]);
    wait_for_pods(&cluster, "db", &[("db-0", "postgres:2")]);
    wait_until("data-db-1 deleted with db-1", WAIT, || {
        !cluster
            .ok(&["get", "pvc", "-n", "default", "-o", "name"])
            .contains("data-db-1")
    });
    cluster.ok(&["delete", "sts", "db", "-n", "default"]);
    wait_until("data-db-0 deleted with the set", WAIT, || {
        !cluster
            .ok(&["get", "pvc", "-n", "default", "-o", "name"])
            .contains("data-db-0")
    });
    assert!(cluster
        .ok(&["get", "pvc", "-n", "default", "-o", "name"])
        .contains("www-web-0"));
}

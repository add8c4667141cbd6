//! Server-side printing: `kubectl get` asks for a `meta.k8s.io` Table and lays
//! out upstream's columns; the server fills them. Pods here are never run by a
//! kubelet, so their status is set through the status subresource.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{run, Cluster};

/// What kubectl sends for `get`.
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// The cells of a kubectl table line: kubectl separates columns by at least
/// three spaces, and cells ("NOMINATED NODE", "3 (5s ago)") hold single ones.
fn columns(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every line of kubectl's table output, split into cells.
fn table(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(columns)
        .collect()
}

/// True if `age` reads like a short upstream age ("0s" .. "59s", "2m3s").
fn is_age(age: &str) -> bool {
    let digits = age.trim_end_matches(['s', 'm', 'h', 'd']);
    !digits.is_empty() && age.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn pod(cluster: &Cluster, namespace: &str, name: &str, labels: &str) {
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels: {{{labels}}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n"
        ),
    );
}

/// Replaces a pod's status through `PATCH .../status`.
fn set_status(cluster: &Cluster, namespace: &str, name: &str, status: Value) {
    let (code, body) = cluster.http().send(
        "PATCH",
        &format!("/api/v1/namespaces/{namespace}/pods/{name}/status"),
        "application/merge-patch+json",
        Some(json!({"status": status}).to_string().as_bytes()),
    );
    assert_eq!(code, 200, "{body}");
}

/// A GET with an `Accept` header; returns the status code and the body.
fn get_as(cluster: &Cluster, accept: &str, path: &str) -> (u16, String) {
    let tls = cluster.dir.path().join("tls");
    let mut command = Command::new("curl");
    command
        .args(["-s", "-w", "\n%{http_code}", "--max-time", "30"])
        .arg("--cacert")
        .arg(tls.join("ca.crt"))
        .arg("--cert")
        .arg(tls.join("admin.crt"))
        .arg("--key")
        .arg(tls.join("admin.key"))
        .args(["-H", &format!("Accept: {accept}")])
        .arg(format!("https://127.0.0.1:{}{path}", cluster.port));
    let out = run(&mut command, None, Duration::from_secs(40));
    let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// The UTC time `seconds` ago in RFC 3339.
fn rfc3339_ago(seconds: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - seconds;
    let (days, rest) = ((now / 86_400) as i64, now % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn get_pods_prints_upstream_columns() {
    let cluster = Cluster::start();
    pod(&cluster, "default", "web-0", "app: web, tier: front");

    let out = table(&cluster.ok(&["get", "pods"]));
    assert_eq!(out[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert_eq!(out[1][..4], ["web-0", "0/1", "Pending", "0"]);
    assert!(is_age(&out[1][4]), "{:?}", out[1]);
    assert_eq!(out.len(), 2);

    let wide = table(&cluster.ok(&["get", "pods", "-o", "wide"]));
    assert_eq!(
        wide[0],
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ]
    );
    assert_eq!(wide[1][5..], ["<none>", "<none>", "<none>", "<none>"]);

    let labels = table(&cluster.ok(&["get", "pods", "--show-labels"]));
    assert_eq!(labels[0].last().unwrap(), "LABELS");
    assert_eq!(labels[1].last().unwrap(), "app=web,tier=front");

    let label_columns = table(&cluster.ok(&["get", "pods", "-L", "app", "-L", "zone"]));
    assert_eq!(label_columns[0][5..], ["APP", "ZONE"]);
    assert_eq!(label_columns[1][5..], ["web"]);

    // A single object is a one-row table.
    let one = table(&cluster.ok(&["get", "pod", "web-0", "--no-headers"]));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0][..3], ["web-0", "0/1", "Pending"]);
}

#[test]
fn sorted_and_across_namespaces() {
    let cluster = Cluster::start();
    cluster.namespace("other");
    pod(&cluster, "default", "charlie", "");
    pod(&cluster, "default", "alpha", "");
    pod(&cluster, "other", "bravo", "");

    // --sort-by asks for whole objects (includeObject=Object) to sort on.
    let sorted = table(&cluster.ok(&["get", "pods", "-A", "--sort-by=.metadata.name"]));
    assert_eq!(
        sorted[0],
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    let names: Vec<(&str, &str)> = sorted[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("default", "alpha"),
            ("other", "bravo"),
            ("default", "charlie")
        ]
    );
    let other = table(&cluster.ok(&["get", "pods", "-n", "other"]));
    assert_eq!(other.len(), 2);
    assert_eq!(other[1][0], "bravo");
}

#[test]
fn pod_status_from_the_status_subresource() {
    let cluster = Cluster::start();
    for name in ["running", "done", "crashing", "starting"] {
        pod(&cluster, "default", name, "");
    }
    set_status(
        &cluster,
        "default",
        "running",
        json!({"phase": "Running", "podIP": "10.42.0.7", "podIPs": [{"ip": "10.42.0.7"}],
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "app", "image": "nginx:1.27", "imageID": "",
                   "ready": true, "restartCount": 0,
                   "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}),
    );
    set_status(
        &cluster,
        "default",
        "done",
        json!({"phase": "Succeeded",
               "containerStatuses": [{"name": "app", "image": "nginx:1.27", "imageID": "",
                   "ready": false, "restartCount": 0,
                   "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
    );
    // The last restart was ten minutes ago.
    let finished = rfc3339_ago(600);
    set_status(
        &cluster,
        "default",
        "crashing",
        json!({"phase": "Running",
               "containerStatuses": [{"name": "app", "image": "nginx:1.27", "imageID": "",
                   "ready": false, "restartCount": 5,
                   "state": {"waiting": {"reason": "CrashLoopBackOff",
                                         "message": "back-off 5m0s restarting failed container"}},
                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                       "finishedAt": finished}}}]}),
    );
    set_status(
        &cluster,
        "default",
        "starting",
        json!({"phase": "Pending",
               "containerStatuses": [{"name": "app", "image": "nginx:1.27", "imageID": "",
                   "ready": false, "restartCount": 0,
                   "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
    );
    let out = table(&cluster.ok(&["get", "pods", "-o", "wide"]));
    let row = |name: &str| {
        out.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no row {name}: {out:?}"))
            .clone()
    };
    assert_eq!(row("running")[1..4], ["1/1", "Running", "0"]);
    assert_eq!(row("running")[5], "10.42.0.7");
    assert_eq!(row("done")[1..4], ["0/1", "Completed", "0"]);
    assert_eq!(
        row("crashing")[1..4],
        ["0/1", "CrashLoopBackOff", "5 (10m ago)"]
    );
    assert_eq!(row("starting")[1..3], ["0/1", "ContainerCreating"]);
}

#[test]
fn deployments_services_and_config_maps() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["create", "-f", "-"],
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx:1.27}
      - {name: log, image: busybox:1.36}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1", b: "2"}
binaryData: {c: AA==}
"#,
    );
    // The deployment controller has made the ReplicaSet (nothing runs its pods).
    crate::support::wait_until("the deployment's status", Duration::from_secs(30), || {
        cluster.jsonpath("default", "deploy", "web", "{.status.updatedReplicas}") == "2"
    });
    let out = cluster.ok(&[
        "get",
        "deploy,svc,cm",
        "--field-selector",
        "metadata.name!=kube-root-ca.crt",
    ]);
    let blocks: Vec<Vec<Vec<String>>> = out.split("\n\n").map(table).collect();
    assert_eq!(blocks.len(), 3, "{out}");

    let deployments = &blocks[0];
    assert_eq!(
        deployments[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(
        deployments[1][..4],
        ["deployment.apps/web", "0/2", "2", "0"]
    );

    let services = &blocks[1];
    assert_eq!(
        services[0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    let kubernetes = services
        .iter()
        .find(|r| r[0] == "service/kubernetes")
        .unwrap();
    assert_eq!(kubernetes[1], "ClusterIP");
    assert_eq!(kubernetes[3..5], ["<none>", "443/TCP"]);
    let web = services.iter().find(|r| r[0] == "service/web").unwrap();
    assert_eq!(web[1], "NodePort");
    assert!(web[2].parse::<std::net::Ipv4Addr>().is_ok(), "{web:?}");
    assert_eq!(web[3..5], ["<none>", "80:30080/TCP"]);

    let config_maps = &blocks[2];
    assert_eq!(config_maps[0], ["NAME", "DATA", "AGE"]);
    let cfg = config_maps
        .iter()
        .find(|r| r[0] == "configmap/cfg")
        .unwrap();
    assert_eq!(cfg[1], "3");

    let wide = table(&cluster.ok(&["get", "deploy", "-o", "wide"]));
    assert_eq!(
        wide[0],
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert_eq!(
        wide[1][5..],
        ["app,log", "nginx:1.27,busybox:1.36", "app=web"]
    );
    let services = table(&cluster.ok(&["get", "svc", "web", "-o", "wide"]));
    assert_eq!(services[0].last().unwrap(), "SELECTOR");
    assert_eq!(services[1].last().unwrap(), "app=web");
}

#[test]
fn other_kinds_print_their_own_columns() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["create", "-f", "-"],
        r#"
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {user: admin, password: hunter2}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"#,
    );
    let jobs = table(&cluster.ok(&["get", "jobs"]));
    assert_eq!(
        jobs[0],
        ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    );
    assert_eq!(jobs[1][..3], ["pi", "Running", "0/3"]);
    let secrets = table(&cluster.ok(&["get", "secrets"]));
    assert_eq!(secrets[0], ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(secrets[1][..3], ["creds", "Opaque", "2"]);
    let namespaces = table(&cluster.ok(&["get", "namespaces"]));
    assert_eq!(namespaces[0], ["NAME", "STATUS", "AGE"]);
    let default = namespaces.iter().find(|r| r[0] == "default").unwrap();
    assert_eq!(default[1], "Active");
    // Roles have no printer upstream: the default table.
    let roles = table(&cluster.ok(&["get", "roles"]));
    assert_eq!(roles[0], ["NAME", "CREATED AT"]);
    assert_eq!(roles[1][0], "reader");
    assert!(roles[1][1].ends_with('Z'), "{:?}", roles[1]);
}

#[test]
fn kubectl_get_watch_prints_rows() {
    let cluster = Cluster::start();
    pod(&cluster, "default", "first", "");
    let mut command = cluster.kubectl_command(&["get", "pods", "-w"]);
    // The watch runs until the support's timeout ends it.
    let watcher = std::thread::spawn(move || run(&mut command, None, Duration::from_secs(8)));
    std::thread::sleep(Duration::from_secs(3));
    pod(&cluster, "default", "second", "");
    let out = watcher.join().unwrap();
    let lines = table(&out.stdout);
    assert_eq!(
        lines[0],
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(lines[1][..3], ["first", "0/1", "Pending"]);
    assert_eq!(
        lines[2][..3],
        ["second", "0/1", "Pending"],
        "{}",
        out.stdout
    );
}

#[test]
fn table_responses_on_the_wire() {
    let cluster = Cluster::start();
    for name in ["a", "b", "c"] {
        cluster.configmap("default", name, &[("k", "v")]);
    }
    let path = "/api/v1/namespaces/default/configmaps";
    // Lists leave out the kube-root-ca.crt the controller manager publishes.
    let list_path = format!("{path}?fieldSelector=metadata.name%21%3Dkube-root-ca.crt");

    // Metadata by default: PartialObjectMetadata rows.
    let (code, body) = get_as(&cluster, TABLE, &list_path);
    assert_eq!(code, 200, "{body}");
    let list = json(&body);
    assert_eq!(list["kind"], "Table");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    assert!(list["metadata"]["resourceVersion"].is_string());
    let names: Vec<&str> = list["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Name", "Data", "Age"]);
    assert_eq!(list["columnDefinitions"][0]["format"], "name");
    assert_eq!(list["rows"].as_array().unwrap().len(), 3);
    assert_eq!(list["rows"][0]["cells"][0], "a");
    assert_eq!(list["rows"][0]["cells"][1], 1);
    let object = &list["rows"][0]["object"];
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(object["metadata"]["name"], "a");
    assert!(object.get("data").is_none());

    // The whole object, none, and a paginated list that keeps its continue token.
    let (_, body) = get_as(
        &cluster,
        TABLE,
        &format!("{list_path}&includeObject=Object"),
    );
    assert_eq!(json(&body)["rows"][1]["object"]["data"]["k"], "v");
    let (_, body) = get_as(&cluster, TABLE, &format!("{list_path}&includeObject=None"));
    assert!(json(&body)["rows"][0].get("object").is_none());
    let (_, body) = get_as(&cluster, TABLE, &format!("{list_path}&limit=2"));
    let page = json(&body);
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let token = page["metadata"]["continue"].as_str().unwrap().to_string();
    let (_, body) = get_as(
        &cluster,
        TABLE,
        &format!("{list_path}&limit=2&continue={token}"),
    );
    let rest = json(&body);
    assert_eq!(rest["rows"][0]["cells"][0], "c");
    assert!(rest["metadata"].get("continue").is_none());

    // One object; the v1beta1 Table when only that is offered.
    let beta = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    let (code, body) = get_as(&cluster, beta, &format!("{path}/b"));
    assert_eq!(code, 200, "{body}");
    let one = json(&body);
    assert_eq!(one["apiVersion"], "meta.k8s.io/v1beta1");
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    assert!(one["metadata"]["resourceVersion"].is_string());

    // Errors stay Status; an unknown Table version is not acceptable.
    let (code, body) = get_as(&cluster, TABLE, &format!("{path}/missing"));
    assert_eq!((code, json(&body)["kind"].clone()), (404, json!("Status")));
    let (code, body) = get_as(
        &cluster,
        "application/json;as=Table;v=v2;g=meta.k8s.io",
        path,
    );
    assert_eq!(
        (code, json(&body)["reason"].clone()),
        (406, json!("NotAcceptable"))
    );
    let (code, body) = get_as(&cluster, TABLE, &format!("{path}?includeObject=All"));
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        json(&body)["message"],
        "Unable to convert to Table as requested: includeObject: Unsupported value: \"All\": supported values: \"Metadata\", \"None\", \"Object\""
    );

    // A watch: a one-row Table per event, column definitions on the first only.
    let (code, body) = get_as(
        &cluster,
        TABLE,
        &format!("{list_path}&watch=1&resourceVersion=0&timeoutSeconds=1"),
    );
    assert_eq!(code, 200, "{body}");
    let events: Vec<Value> = body.lines().map(json).collect();
    assert_eq!(events.len(), 3, "{body}");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["type"], "ADDED");
        assert_eq!(event["object"]["kind"], "Table");
        assert_eq!(event["object"]["rows"].as_array().unwrap().len(), 1);
        assert_eq!(event["object"]["columnDefinitions"].is_array(), i == 0);
    }
}

/// Metadata-only responses, as client-go's metadata client and kube-rs
/// `metadata_watcher` ask for them: PartialObjectMetadata for an object and
/// each watch event, PartialObjectMetadataList for a list.
#[test]
fn partial_object_metadata() {
    let cluster = Cluster::start();
    cluster.ok(&["create", "configmap", "meta", "--from-literal=secret=value"]);
    let path = "/api/v1/namespaces/default/configmaps";
    let single = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    let list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

    let (code, body) = get_as(&cluster, single, &format!("{path}/meta"));
    assert_eq!(code, 200, "{body}");
    let object = json(&body);
    assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["metadata"]["name"], "meta");
    assert!(object.get("data").is_none(), "{body}");

    let (code, body) = get_as(&cluster, list, path);
    assert_eq!(code, 200, "{body}");
    let listed = json(&body);
    assert_eq!(listed["kind"], "PartialObjectMetadataList");
    assert!(listed["metadata"]["resourceVersion"].is_string());
    let items = listed["items"].as_array().expect("items");
    assert!(items.iter().any(|i| i["metadata"]["name"] == "meta"));
    assert!(items
        .iter()
        .all(|i| i["kind"] == "PartialObjectMetadata" && i.get("data").is_none()));

    let (code, body) = get_as(
        &cluster,
        single,
        &format!(
            "{path}?watch=1&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name=meta"
        ),
    );
    assert_eq!(code, 200, "{body}");
    let event = json(body.lines().next().expect("an event"));
    assert_eq!(event["type"], "ADDED");
    assert_eq!(event["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(event["object"]["metadata"]["name"], "meta");
    assert!(event["object"].get("data").is_none());
}

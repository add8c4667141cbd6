use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::*;
use crate::resource::lookup;

/// 2024-03-01T12:00:00Z, the "now" of every test.
fn now() -> Timestamp {
    "2024-03-01T12:00:00Z".parse().unwrap()
}

/// A time `seconds` before now, in RFC 3339.
fn ago(seconds: i64) -> String {
    Timestamp::from_second(now().as_second() - seconds)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn resource(group: &str, version: &str, plural: &str) -> &'static ResourceInfo {
    lookup(group, version, plural).unwrap()
}

fn headers(group: &str, version: &str, plural: &str) -> Vec<(&'static str, i32)> {
    columns(resource(group, version, plural))
        .iter()
        .map(|c| (c.name, c.priority))
        .collect()
}

/// The cells of one object's row.
fn cells(group: &str, version: &str, plural: &str, obj: Value) -> Vec<Value> {
    let resource = resource(group, version, plural);
    let row = row(resource, &obj, now());
    assert_eq!(
        row.cells.len(),
        columns(resource).len(),
        "one cell per column for {plural}"
    );
    row.cells
}

/// The cells of a pod row, as the strings kubectl prints.
fn pod_cells(pod: Value) -> Vec<String> {
    cells("", "v1", "pods", pod)
        .into_iter()
        .map(|c| match c {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn human_durations_as_upstream() {
    let s = |seconds: i128| human_duration(seconds * 1_000_000_000);
    assert_eq!(s(-5), "<invalid>");
    assert_eq!(human_duration(-1_500_000_000), "0s");
    assert_eq!(s(0), "0s");
    assert_eq!(s(5), "5s");
    assert_eq!(s(119), "119s");
    assert_eq!(s(120), "2m");
    assert_eq!(s(182), "3m2s");
    assert_eq!(s(600), "10m");
    assert_eq!(s(179 * 60), "179m");
    assert_eq!(s(3 * 3600), "3h");
    assert_eq!(s(4 * 3600 + 30 * 60), "4h30m");
    assert_eq!(s(8 * 3600 + 59 * 60), "8h");
    assert_eq!(s(47 * 3600), "47h");
    assert_eq!(s(3 * 86400), "3d");
    assert_eq!(s(3 * 86400 + 5 * 3600), "3d5h");
    assert_eq!(s(30 * 86400), "30d");
    assert_eq!(s(2 * 365 * 86400), "2y");
    assert_eq!(s((2 * 365 + 30) * 86400), "2y30d");
    assert_eq!(s(10 * 365 * 86400), "10y");
}

#[test]
fn include_object_values() {
    assert_eq!(IncludeObject::parse(None), Ok(IncludeObject::Metadata));
    assert_eq!(IncludeObject::parse(Some("None")), Ok(IncludeObject::None));
    assert_eq!(
        IncludeObject::parse(Some("Object")),
        Ok(IncludeObject::Object)
    );
    assert_eq!(
        IncludeObject::parse(Some("All")).unwrap_err().to_string(),
        "includeObject: Unsupported value: \"All\": supported values: \"Metadata\", \"None\", \"Object\""
    );
}

fn pod(status: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": ago(300),
                     "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        "status": status,
    })
}

#[test]
fn pod_columns() {
    assert_eq!(
        headers("", "v1", "pods"),
        [
            ("Name", 0),
            ("Ready", 0),
            ("Status", 0),
            ("Restarts", 0),
            ("Age", 0),
            ("IP", 1),
            ("Node", 1),
            ("Nominated Node", 1),
            ("Readiness Gates", 1),
        ]
    );
}

#[test]
fn pod_pending_without_a_kubelet() {
    assert_eq!(
        pod_cells(pod(json!({"phase": "Pending", "qosClass": "BestEffort"}))),
        ["web-0", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]
    );
}

#[test]
fn pod_running_and_ready() {
    let mut running = pod(json!({
        "phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                               "state": {"running": {"startedAt": ago(200)}}}],
    }));
    running["spec"]["nodeName"] = json!("node-1");
    assert_eq!(
        pod_cells(running),
        ["web-0", "1/1", "Running", "0", "5m", "10.0.0.5", "node-1", "<none>", "<none>"]
    );
}

#[test]
fn pod_crash_loop_with_restarts_ago() {
    let cells = pod_cells(pod(json!({
        "phase": "Running",
        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(65)}}}],
    })));
    assert_eq!(cells[1..4], ["0/1", "CrashLoopBackOff", "5 (65s ago)"]);
}

#[test]
fn pod_completed_has_a_row_condition() {
    let obj = pod(json!({
        "phase": "Succeeded",
        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
    }));
    let row = row(resource("", "v1", "pods"), &obj, now());
    assert_eq!(row.cells[2], json!("Completed"));
    assert_eq!(row.cells[1], json!("0/1"));
    assert_eq!(
        row.conditions,
        Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                     "message": "The pod has completed successfully."}])
        )
    );
}

#[test]
fn pod_terminated_without_reason_shows_exit_code_or_signal() {
    let status = |terminated: Value| {
        pod_cells(pod(json!({"phase": "Failed", "containerStatuses": [
            {"name": "app", "restartCount": 0, "state": {"terminated": terminated}}]})))[2]
            .clone()
    };
    assert_eq!(status(json!({"exitCode": 3})), "ExitCode:3");
    assert_eq!(status(json!({"exitCode": 137, "signal": 9})), "Signal:9");
    assert_eq!(status(json!({"exitCode": 1, "reason": "Error"})), "Error");
}

#[test]
fn pod_creating_and_pulling() {
    let waiting = |reason: &str| {
        pod_cells(pod(json!({"phase": "Pending", "containerStatuses": [
            {"name": "app", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": reason}}}]})))[2]
            .clone()
    };
    assert_eq!(waiting("ContainerCreating"), "ContainerCreating");
    assert_eq!(waiting("ImagePullBackOff"), "ImagePullBackOff");
}

#[test]
fn pod_init_containers() {
    let mut obj = pod(json!({
        "phase": "Pending",
        "conditions": [{"type": "Initialized", "status": "False"}],
        "initContainerStatuses": [
            {"name": "migrate", "ready": false, "restartCount": 0,
             "state": {"running": {"startedAt": ago(10)}}},
            {"name": "seed", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": "PodInitializing"}}}],
        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "PodInitializing"}}}],
    }));
    obj["spec"]["initContainers"] = json!([
        {"name": "migrate", "image": "busybox"}, {"name": "seed", "image": "busybox"}]);
    assert_eq!(pod_cells(obj.clone())[1..3], ["0/1", "Init:0/2"]);

    obj["status"]["initContainerStatuses"][0]["state"] =
        json!({"terminated": {"exitCode": 0, "reason": "Completed"}});
    obj["status"]["initContainerStatuses"][1]["state"] =
        json!({"waiting": {"reason": "CrashLoopBackOff"}});
    obj["status"]["initContainerStatuses"][1]["restartCount"] = json!(2);
    assert_eq!(pod_cells(obj.clone())[2..4], ["Init:CrashLoopBackOff", "2"]);

    obj["status"]["initContainerStatuses"][1]["state"] = json!({"terminated": {"exitCode": 2}});
    assert_eq!(pod_cells(obj)[2], "Init:ExitCode:2");
}

#[test]
fn pod_sidecar_counts_as_a_container() {
    let mut obj = pod(json!({
        "phase": "Running",
        "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
        "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true, "restartCount": 1,
            "state": {"running": {}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(3600)}}}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
            "state": {"running": {}}}],
    }));
    obj["spec"]["initContainers"] =
        json!([{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]);
    assert_eq!(pod_cells(obj)[1..4], ["2/2", "Running", "1 (60m ago)"]);
}

#[test]
fn pod_terminating_gated_and_node_lost() {
    let mut obj = pod(json!({"phase": "Running"}));
    obj["metadata"]["deletionTimestamp"] = json!(ago(1));
    assert_eq!(pod_cells(obj.clone())[2], "Terminating");
    obj["status"]["reason"] = json!("NodeLost");
    assert_eq!(pod_cells(obj)[2], "Unknown");

    let gated = pod(json!({"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}));
    assert_eq!(pod_cells(gated)[2], "SchedulingGated");

    let mut evicted = pod(json!({"phase": "Failed", "reason": "Evicted"}));
    evicted["metadata"]["deletionTimestamp"] = json!(ago(1));
    assert_eq!(pod_cells(evicted)[2], "Evicted");
}

#[test]
fn pod_completed_container_beside_a_running_one() {
    let obj = |ready: &str| {
        let mut obj = pod(json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": ready}],
            "containerStatuses": [
                {"name": "app", "ready": true, "restartCount": 0, "state": {"running": {}}},
                {"name": "job", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
        }));
        obj["spec"]["containers"] = json!([{"name": "app"}, {"name": "job"}]);
        obj
    };
    assert_eq!(pod_cells(obj("True"))[1..3], ["1/2", "Running"]);
    assert_eq!(pod_cells(obj("False"))[2], "NotReady");
}

#[test]
fn pod_readiness_gates_and_nominated_node() {
    let mut obj = pod(json!({
        "phase": "Pending", "nominatedNodeName": "node-2",
        "conditions": [{"type": "example.com/lb", "status": "True"}],
    }));
    obj["spec"]["readinessGates"] =
        json!([{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]);
    assert_eq!(pod_cells(obj)[7..9], ["node-2", "1/2"]);
}

fn meta(name: &str) -> Value {
    json!({"name": name, "namespace": "default", "creationTimestamp": ago(3 * 86400 + 4000)})
}

#[test]
fn deployments_replica_sets_stateful_and_daemon_sets() {
    let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
        {"name": "app", "image": "nginx"}, {"name": "log", "image": "fluentd"}]}});
    assert_eq!(
        headers("apps", "v1", "deployments"),
        [
            ("Name", 0),
            ("Ready", 0),
            ("Up-to-date", 0),
            ("Available", 0),
            ("Age", 0),
            ("Containers", 1),
            ("Images", 1),
            ("Selector", 1)
        ]
    );
    assert_eq!(
        cells(
            "apps",
            "v1",
            "deployments",
            json!({"metadata": meta("web"),
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}})
        ),
        [
            json!("web"),
            json!("2/3"),
            json!(3),
            json!(2),
            json!("3d1h"),
            json!("app,log"),
            json!("nginx,fluentd"),
            json!("app=web")
        ]
    );
    assert_eq!(
        cells(
            "apps",
            "v1",
            "replicasets",
            json!({"metadata": meta("web-7d4b9"),
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d4b9"}},
                     "template": template},
            "status": {"replicas": 3, "readyReplicas": 1}})
        ),
        [
            json!("web-7d4b9"),
            json!(3),
            json!(3),
            json!(1),
            json!("3d1h"),
            json!("app,log"),
            json!("nginx,fluentd"),
            json!("app=web,pod-template-hash=7d4b9")
        ]
    );
    assert_eq!(
        headers("apps", "v1", "statefulsets")
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>(),
        ["Name", "Ready", "Age", "Containers", "Images"]
    );
    assert_eq!(
        cells(
            "apps",
            "v1",
            "statefulsets",
            json!({"metadata": meta("db"),
            "spec": {"replicas": 2, "template": template}, "status": {"readyReplicas": 2}})
        )[1],
        json!("2/2")
    );
    let ds = cells(
        "apps",
        "v1",
        "daemonsets",
        json!({"metadata": meta("agent"),
        "spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
                 "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                       "containers": [{"name": "agent", "image": "agent:1"}]}}},
        "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1,
                   "updatedNumberScheduled": 2, "numberAvailable": 1}}),
    );
    assert_eq!(
        ds,
        [
            json!("agent"),
            json!(2),
            json!(2),
            json!(1),
            json!(2),
            json!(1),
            json!("kubernetes.io/os=linux"),
            json!("3d1h"),
            json!("agent"),
            json!("agent:1"),
            json!("tier in (a,b)")
        ]
    );
}

#[test]
fn controller_revisions_name_their_owner() {
    let cells = cells(
        "apps",
        "v1",
        "controllerrevisions",
        json!({
        "metadata": {"name": "db-5c8f", "namespace": "default", "creationTimestamp": ago(10),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db",
                                 "uid": "u", "controller": true}]},
        "revision": 2}),
    );
    assert_eq!(
        cells,
        [
            json!("db-5c8f"),
            json!("statefulset.apps/db"),
            json!(2),
            json!("10s")
        ]
    );
}

#[test]
fn jobs_and_cron_jobs() {
    assert_eq!(
        headers("batch", "v1", "jobs")
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>(),
        [
            "Name",
            "Status",
            "Completions",
            "Duration",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let job = |spec: Value, status: Value| {
        cells(
            "batch",
            "v1",
            "jobs",
            json!({"metadata": meta("pi"), "spec": spec, "status": status}),
        )
    };
    let done = job(
        json!({"completions": 1, "parallelism": 1}),
        json!({"succeeded": 1, "startTime": ago(100), "completionTime": ago(40),
               "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                              {"type": "Complete", "status": "True"}]}),
    );
    assert_eq!(done[1..4], [json!("Complete"), json!("1/1"), json!("60s")]);
    let running = job(
        json!({"parallelism": 3}),
        json!({"active": 3, "startTime": ago(125)}),
    );
    assert_eq!(
        running[1..4],
        [json!("Running"), json!("0/1 of 3"), json!("2m5s")]
    );
    let suspended = job(
        json!({"completions": 5, "suspend": true}),
        json!({"conditions": [{"type": "Suspended", "status": "True"}]}),
    );
    assert_eq!(
        suspended[1..4],
        [json!("Suspended"), json!("0/5"), json!("")]
    );
    let failed = job(
        json!({"completions": 1}),
        json!({"failed": 1, "conditions": [{"type": "FailureTarget", "status": "True"},
                                           {"type": "Failed", "status": "True"}]}),
    );
    assert_eq!(failed[1], json!("Failed"));

    let cron = cells(
        "batch",
        "v1",
        "cronjobs",
        json!({"metadata": meta("nightly"),
        "spec": {"schedule": "0 3 * * *", "suspend": false, "jobTemplate": {"spec": {"template":
            {"spec": {"containers": [{"name": "backup", "image": "backup:2"}]}}}}},
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(7200)}}),
    );
    assert_eq!(
        cron,
        [
            json!("nightly"),
            json!("0 3 * * *"),
            json!("<none>"),
            json!("False"),
            json!(1),
            json!("120m"),
            json!("3d1h"),
            json!("backup"),
            json!("backup:2"),
            json!("<none>")
        ]
    );
}

#[test]
fn services_by_type() {
    assert_eq!(
        headers("", "v1", "services")
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>(),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    let svc = |spec: Value, status: Value| {
        cells(
            "",
            "v1",
            "services",
            json!({"metadata": meta("web"), "spec": spec, "status": status}),
        )
    };
    assert_eq!(
        svc(
            json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                   "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                   "selector": {"app": "web"}}),
            json!({})
        ),
        [
            json!("web"),
            json!("ClusterIP"),
            json!("10.96.0.10"),
            json!("<none>"),
            json!("80/TCP,53/UDP"),
            json!("3d1h"),
            json!("app=web")
        ]
    );
    let node_port = svc(
        json!({"type": "NodePort", "clusterIPs": ["10.96.3.4"],
               "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}),
        json!({}),
    );
    assert_eq!(node_port[3..5], [json!("<none>"), json!("80:30080/TCP")]);
    assert_eq!(node_port[6], json!("<none>"));
    let pending = svc(
        json!({"type": "LoadBalancer", "clusterIPs": ["10.96.3.5"], "ports": []}),
        json!({"loadBalancer": {}}),
    );
    assert_eq!(pending[3..5], [json!("<pending>"), json!("<none>")]);
    let balanced = svc(
        json!({"type": "LoadBalancer", "clusterIPs": ["10.96.3.5"], "externalIPs": ["192.0.2.9"]}),
        json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}, {"hostname": "lb.example.com"}]}}),
    );
    assert_eq!(balanced[3], json!("203.0.113.7,lb.example.com,192.0.2.9"));
    let headless = svc(
        json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}),
        json!({}),
    );
    assert_eq!(headless[2], json!("None"));
    let external = svc(
        json!({"type": "ExternalName", "externalName": "db.example.com"}),
        json!({}),
    );
    assert_eq!(external[2..4], [json!("<none>"), json!("db.example.com")]);
}

#[test]
fn endpoints_and_endpoint_slices() {
    let ep = cells(
        "",
        "v1",
        "endpoints",
        json!({"metadata": meta("web"), "subsets": [
        {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 8080}, {"port": 9090}]}]}),
    );
    assert_eq!(
        ep[1],
        json!("10.0.0.1:8080,10.0.0.2:8080,10.0.0.1:9090 + 1 more...")
    );
    let none = cells("", "v1", "endpoints", json!({"metadata": meta("web")}));
    assert_eq!(none[1], json!("<none>"));
    let v6 = cells(
        "",
        "v1",
        "endpoints",
        json!({"metadata": meta("web"), "subsets": [
        {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]}),
    );
    assert_eq!(v6[1], json!("[fd00::1]:80"));

    let slice = cells(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        json!({"metadata": meta("web-abc"),
        "addressType": "IPv4", "ports": [{"name": "http", "port": 80}, {"name": "metrics"}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]}),
    );
    assert_eq!(
        slice,
        [
            json!("web-abc"),
            json!("IPv4"),
            json!("80,metrics"),
            json!("10.0.0.1,10.0.0.2"),
            json!("3d1h")
        ]
    );
    let empty = cells(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        json!({"metadata": meta("web-abc"), "addressType": "IPv4", "endpoints": []}),
    );
    assert_eq!(empty[2..4], [json!("<unset>"), json!("<unset>")]);
}

#[test]
fn nodes() {
    let node = json!({
        "metadata": {"name": "node-1", "creationTimestamp": ago(86400 * 10),
            "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "",
                       "kubernetes.io/role": "worker"}},
        "spec": {"unschedulable": true},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "node-1"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.24"}}});
    assert_eq!(
        cells("", "v1", "nodes", node),
        [
            json!("node-1"),
            json!("Ready,SchedulingDisabled"),
            json!("control-plane,worker"),
            json!("10d"),
            json!("v1.33.0"),
            json!("192.168.1.10"),
            json!("<none>"),
            json!("Debian GNU/Linux 12 (bookworm)"),
            json!("6.1.0"),
            json!("containerd://1.7.24")
        ]
    );
    let bare = cells(
        "",
        "v1",
        "nodes",
        json!({"metadata": {"name": "n", "creationTimestamp": ago(5)}}),
    );
    assert_eq!(
        bare,
        [
            json!("n"),
            json!("Unknown"),
            json!("<none>"),
            json!("5s"),
            json!(""),
            json!("<none>"),
            json!("<none>"),
            json!("<unknown>"),
            json!("<unknown>"),
            json!("<unknown>")
        ]
    );
}

#[test]
fn namespaces_config_maps_secrets_and_service_accounts() {
    assert_eq!(
        cells(
            "",
            "v1",
            "namespaces",
            json!({"metadata": {"name": "prod", "creationTimestamp": ago(45)},
            "status": {"phase": "Active"}})
        ),
        [json!("prod"), json!("Active"), json!("45s")]
    );
    assert_eq!(
        cells(
            "",
            "v1",
            "configmaps",
            json!({"metadata": meta("cfg"),
            "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}})
        ),
        [json!("cfg"), json!(3), json!("3d1h")]
    );
    assert_eq!(
        cells(
            "",
            "v1",
            "secrets",
            json!({"metadata": meta("tls"), "type": "kubernetes.io/tls",
            "data": {"tls.crt": "", "tls.key": ""}})
        ),
        [
            json!("tls"),
            json!("kubernetes.io/tls"),
            json!(2),
            json!("3d1h")
        ]
    );
    assert_eq!(
        cells(
            "",
            "v1",
            "serviceaccounts",
            json!({"metadata": meta("default")})
        ),
        [json!("default"), json!(0), json!("3d1h")]
    );
}

#[test]
fn events_in_both_versions() {
    let core = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "web-0.17b", "namespace": "default", "creationTimestamp": ago(300)},
        "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default",
                           "fieldPath": "spec.containers{app}"},
        "reason": "Pulled", "message": "Successfully pulled image \"nginx\"\n", "type": "Normal",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(300), "lastTimestamp": ago(30), "count": 4,
    });
    assert_eq!(
        headers("", "v1", "events"),
        [
            ("Last Seen", 0),
            ("Type", 0),
            ("Reason", 0),
            ("Object", 0),
            ("Subobject", 1),
            ("Source", 1),
            ("Message", 0),
            ("First Seen", 1),
            ("Count", 1),
            ("Name", 1)
        ]
    );
    let expected = [
        json!("30s"),
        json!("Normal"),
        json!("Pulled"),
        json!("pod/web-0"),
        json!("spec.containers{app}"),
        json!("kubelet, node-1"),
        json!("Successfully pulled image \"nginx\""),
        json!("5m"),
        json!(4),
        json!("web-0.17b"),
    ];
    assert_eq!(cells("", "v1", "events", core.clone()), expected);
    // The same event read through events.k8s.io/v1 prints the same row.
    let events_v1 =
        crate::convert::convert(core, resource("events.k8s.io", "v1", "events")).unwrap();
    assert_eq!(cells("events.k8s.io", "v1", "events", events_v1), expected);

    let new_api = json!({
        "metadata": {"name": "e", "namespace": "default", "creationTimestamp": ago(20)},
        "involvedObject": {"kind": "Node", "name": ""}, "type": "Warning", "reason": "Rebooted",
        "eventTime": "2024-03-01T11:59:40.123456Z", "reportingComponent": "kubelet",
        "reportingInstance": "node-1", "series": {"count": 7, "lastObservedTime": ago(3)},
    });
    let row = cells("", "v1", "events", new_api);
    assert_eq!(row[0], json!("3s"));
    assert_eq!(row[3], json!("node"));
    assert_eq!(row[5], json!("kubelet, node-1"));
    assert_eq!(row[7], json!("19s"));
    assert_eq!(row[8], json!(7));
}

#[test]
fn volumes_and_claims() {
    let pv = cells(
        "",
        "v1",
        "persistentvolumes",
        json!({
        "metadata": {"name": "pv-1", "creationTimestamp": ago(60)},
        "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                 "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "fast",
                 "claimRef": {"namespace": "default", "name": "data"}, "hostPath": {"path": "/d"}},
        "status": {"phase": "Bound"}}),
    );
    assert_eq!(
        pv,
        [
            json!("pv-1"),
            json!("10Gi"),
            json!("RWO,RWX"),
            json!("Retain"),
            json!("Bound"),
            json!("default/data"),
            json!("fast"),
            json!("<unset>"),
            json!(""),
            json!("60s"),
            json!("<unset>")
        ]
    );
    assert_eq!(
        headers("", "v1", "persistentvolumes")[10],
        ("VolumeMode", 1)
    );
    let pending = cells(
        "",
        "v1",
        "persistentvolumeclaims",
        json!({"metadata": meta("data"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}}),
    );
    assert_eq!(
        pending,
        [
            json!("data"),
            json!("Pending"),
            json!(""),
            json!(""),
            json!(""),
            json!(""),
            json!("<unset>"),
            json!("3d1h"),
            json!("Filesystem")
        ]
    );
    let mut bound = json!({
        "metadata": {"name": "data", "namespace": "default", "creationTimestamp": ago(60),
                     "annotations": {"volume.beta.kubernetes.io/storage-class": "legacy"}},
        "spec": {"volumeName": "pv-1", "storageClassName": "fast"},
        "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOncePod"]}});
    assert_eq!(
        cells("", "v1", "persistentvolumeclaims", bound.clone())[1..6],
        [
            json!("Bound"),
            json!("pv-1"),
            json!("10Gi"),
            json!("RWOP"),
            json!("legacy")
        ]
    );
    bound["metadata"]["deletionTimestamp"] = json!(ago(1));
    assert_eq!(
        cells("", "v1", "persistentvolumeclaims", bound)[1],
        json!("Terminating")
    );
}

#[test]
fn quotas_templates_and_replication_controllers() {
    let quota = cells(
        "",
        "v1",
        "resourcequotas",
        json!({"metadata": meta("compute"),
        "status": {"hard": {"requests.cpu": "2", "pods": "10", "limits.memory": "4Gi", "limits.cpu": "4"},
                   "used": {"requests.cpu": "500m", "pods": "3", "limits.cpu": "1"}}}),
    );
    assert_eq!(
        quota,
        [
            json!("compute"),
            json!("pods: 3/10, requests.cpu: 500m/2"),
            json!("limits.cpu: 1/4, limits.memory: 0/4Gi"),
            json!("3d1h")
        ]
    );
    assert_eq!(
        cells(
            "",
            "v1",
            "podtemplates",
            json!({"metadata": meta("tpl"), "template": {
            "metadata": {"labels": {"b": "2", "a": "1"}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}}})
        ),
        [json!("tpl"), json!("app"), json!("nginx"), json!("a=1,b=2")]
    );
    assert_eq!(
        cells(
            "",
            "v1",
            "replicationcontrollers",
            json!({"metadata": meta("rc"),
            "spec": {"replicas": 2, "selector": {"app": "old"},
                     "template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
            "status": {"replicas": 2, "readyReplicas": 2}})
        ),
        [
            json!("rc"),
            json!(2),
            json!(2),
            json!(2),
            json!("3d1h"),
            json!("app"),
            json!("nginx"),
            json!("app=old")
        ]
    );
}

#[test]
fn autoscalers_and_disruption_budgets() {
    let hpa_v2 = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("web"),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 10,
                 "metrics": [
                     {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                     {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
                     {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]},
        "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 35, "averageValue": "70m"}}}]}});
    assert_eq!(
        cells("autoscaling", "v2", "horizontalpodautoscalers", hpa_v2),
        [
            json!("web"),
            json!("Deployment/web"),
            json!("cpu: 35%/80%, memory: <unknown>/500Mi + 1 more..."),
            json!("1"),
            json!(10),
            json!(2),
            json!("3d1h")
        ]
    );
    // autoscaling/v1 objects print as their v2 storage form.
    let hpa_v1 = json!({
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": meta("api"),
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 3,
                 "targetCPUUtilizationPercentage": 50},
        "status": {"currentReplicas": 1, "desiredReplicas": 1}});
    assert_eq!(
        cells("autoscaling", "v1", "horizontalpodautoscalers", hpa_v1)[2..4],
        [json!("cpu: <unknown>/50%"), json!("<unset>")]
    );
    assert_eq!(
        cells(
            "policy",
            "v1",
            "poddisruptionbudgets",
            json!({"metadata": meta("web"),
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1}})
        ),
        [
            json!("web"),
            json!("50%"),
            json!("N/A"),
            json!(1),
            json!("3d1h")
        ]
    );
    assert_eq!(
        cells(
            "policy",
            "v1",
            "poddisruptionbudgets",
            json!({"metadata": meta("db"),
            "spec": {"maxUnavailable": 1}})
        )[1..4],
        [json!("N/A"), json!("1"), json!(0)]
    );
}

#[test]
fn networking_kinds() {
    let ingress = cells(
        "networking.k8s.io",
        "v1",
        "ingresses",
        json!({"metadata": meta("web"),
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"]}],
                 "rules": [{"host": "a.example.com"}, {}, {"host": "b.example.com"},
                           {"host": "c.example.com"}, {"host": "d.example.com"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}}),
    );
    assert_eq!(
        ingress,
        [
            json!("web"),
            json!("nginx"),
            json!("a.example.com,b.example.com,c.example.com + 2 more..."),
            json!("10.0.0.9"),
            json!("80, 443"),
            json!("3d1h")
        ]
    );
    let plain = cells(
        "networking.k8s.io",
        "v1",
        "ingresses",
        json!({"metadata": meta("any"), "spec": {"defaultBackend": {"service": {"name": "web"}}}}),
    );
    assert_eq!(
        plain[1..5],
        [json!("<none>"), json!("*"), json!(""), json!("80")]
    );
    assert_eq!(
        cells(
            "networking.k8s.io",
            "v1",
            "ingressclasses",
            json!({
            "metadata": {"name": "nginx", "creationTimestamp": ago(60)},
            "spec": {"controller": "k8s.io/ingress-nginx",
                     "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"}}})
        ),
        [
            json!("nginx"),
            json!("k8s.io/ingress-nginx"),
            json!("IngressParameters.k8s.example.com/p"),
            json!("60s")
        ]
    );
    assert_eq!(
        cells(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            json!({"metadata": meta("deny"),
            "spec": {"podSelector": {}}})
        ),
        [json!("deny"), json!("<none>"), json!("3d1h")]
    );
}

#[test]
fn rbac_storage_scheduling_and_coordination() {
    let binding = json!({"metadata": meta("read"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                     {"kind": "ServiceAccount", "name": "ci", "namespace": "tools"},
                     {"kind": "User", "name": "bob"}]});
    let expected = [
        json!("read"),
        json!("ClusterRole/view"),
        json!("3d1h"),
        json!("alice, bob"),
        json!("devs"),
        json!("tools/ci"),
    ];
    assert_eq!(
        cells(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            binding.clone()
        ),
        expected
    );
    assert_eq!(
        cells(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            binding
        ),
        expected
    );
    assert_eq!(
        cells(
            "storage.k8s.io",
            "v1",
            "storageclasses",
            json!({
            "metadata": {"name": "standard", "creationTimestamp": ago(60),
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"})
        ),
        [
            json!("standard (default)"),
            json!("rancher.io/local-path"),
            json!("Delete"),
            json!("WaitForFirstConsumer"),
            json!(false),
            json!("60s")
        ]
    );
    assert_eq!(
        cells(
            "scheduling.k8s.io",
            "v1",
            "priorityclasses",
            json!({
            "metadata": {"name": "system-node-critical", "creationTimestamp": ago(60)},
            "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"})
        ),
        [
            json!("system-node-critical"),
            json!(2000001000),
            json!(false),
            json!("60s"),
            json!("PreemptLowerPriority")
        ]
    );
    assert_eq!(
        cells(
            "coordination.k8s.io",
            "v1",
            "leases",
            json!({"metadata": meta("node-1"),
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}})
        ),
        [json!("node-1"), json!("node-1"), json!("3d1h")]
    );
}

#[test]
fn kinds_without_a_printer_get_the_default_table() {
    for (group, plural) in [
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("", "limitranges"),
    ] {
        let version = "v1";
        assert_eq!(
            headers(group, version, plural),
            [("Name", 0), ("Created At", 0)]
        );
        assert_eq!(
            cells(
                group,
                version,
                plural,
                json!({"metadata": {
                "name": "x", "creationTimestamp": "2024-02-29T08:15:00.000Z"}})
            ),
            [json!("x"), json!("2024-02-29T08:15:00Z")]
        );
    }
    assert_eq!(
        columns(resource("", "v1", "limitranges"))[1].data_type,
        "date"
    );
}

#[test]
fn whole_tables() {
    let pods = resource("", "v1", "pods");
    let a = pod(json!({"phase": "Pending"}));
    let options = TableOptions {
        now: now(),
        include_object: IncludeObject::Metadata,
        no_headers: false,
        api_version: "meta.k8s.io/v1",
    };
    let table = table(
        pods,
        &[&a],
        json!({"resourceVersion": "42", "continue": "abc"}),
        &options,
    );
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        table["metadata"],
        json!({"resourceVersion": "42", "continue": "abc"})
    );
    assert_eq!(
        table["columnDefinitions"][0],
        json!({"name": "Name", "type": "string", "format": "name",
               "description": "The name of the object.", "priority": 0})
    );
    assert_eq!(table["columnDefinitions"][5]["priority"], 1);
    assert_eq!(
        table["rows"][0]["object"],
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
               "metadata": a["metadata"]})
    );
    assert!(table["rows"][0].get("conditions").is_none());

    let whole = super::table(
        pods,
        &[&a],
        json!({}),
        &TableOptions {
            include_object: IncludeObject::Object,
            no_headers: true,
            api_version: "meta.k8s.io/v1beta1",
            ..options
        },
    );
    assert_eq!(whole["rows"][0]["object"], a);
    assert_eq!(whole["columnDefinitions"], Value::Null);
    assert_eq!(whole["apiVersion"], "meta.k8s.io/v1beta1");

    let bare = super::table(
        pods,
        &[],
        json!({"resourceVersion": "1"}),
        &TableOptions {
            include_object: IncludeObject::None,
            ..options
        },
    );
    assert_eq!(bare["rows"], json!([]));
    let one = super::table(
        pods,
        &[&a],
        json!({}),
        &TableOptions {
            include_object: IncludeObject::None,
            ..options
        },
    );
    assert!(one["rows"][0].get("object").is_none());
}

#[test]
fn every_builtin_resource_has_one_cell_per_column() {
    for resource in crate::resource::builtin() {
        let obj = json!({"metadata": {"name": "x", "namespace": "default",
                                      "creationTimestamp": ago(1)}});
        let row = row(resource, &obj, now());
        assert_eq!(
            row.cells.len(),
            columns(resource).len(),
            "{}/{} {}",
            resource.group,
            resource.version,
            resource.plural
        );
    }
}

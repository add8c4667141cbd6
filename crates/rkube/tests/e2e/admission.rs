//! Admission plugins through the real kubectl: DefaultTolerationSeconds,
//! Priority, ServiceAccount, LimitRanger and ResourceQuota (with the
//! ResourceQuota controller recounting usage), each with upstream's refusal.

use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(30);

fn pod_yaml(name: &str, spec: &str, resources: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{spec}  containers:\n  - name: c\n    image: busybox\n{resources}"
    )
}

/// Creates a pod in `namespace`; returns kubectl's success and stderr.
fn create_pod(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    spec: &str,
    resources: &str,
) -> (bool, String) {
    let run = cluster.kubectl_stdin(
        &["create", "-n", namespace, "-f", "-"],
        Some(&pod_yaml(name, spec, resources)),
    );
    (run.success, run.stderr)
}

#[track_caller]
fn refused(result: (bool, String), message: &str) {
    assert!(!result.0, "created, but should be refused with {message}");
    assert!(
        result.1.contains("Error from server (Forbidden)") && result.1.contains(message),
        "expected Forbidden with {message:?}, got: {}",
        result.1
    );
}

fn pod_json(cluster: &Cluster, namespace: &str, name: &str) -> serde_json::Value {
    let out = cluster.ok(&["get", "pod", name, "-n", namespace, "-o", "json"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn pods_get_tolerations_priority_and_service_account() {
    let c = Cluster::start();
    // Tolerations, the default priority, the default service account and its volume.
    assert!(create_pod(&c, "default", "plain", "", "").0);
    let pod = pod_json(&c, "default", "plain");
    let spec = &pod["spec"];
    assert_eq!(
        spec["tolerations"],
        serde_json::json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ])
    );
    assert_eq!(spec["priority"], 0);
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(spec["serviceAccountName"], "default");
    let volume = &spec["volumes"][0];
    let volume_name = volume["name"].as_str().unwrap_or_default();
    assert!(
        volume_name.starts_with("kube-api-access-") && volume_name.len() == 21,
        "{volume}"
    );
    assert_eq!(
        volume["projected"],
        serde_json::json!({"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ]})
    );
    assert_eq!(
        spec["containers"][0]["volumeMounts"],
        serde_json::json!([{"name": volume_name, "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}])
    );
    // A pod that tolerates everything gets no more tolerations; one that
    // opts out of the token gets no volume.
    assert!(
        create_pod(
            &c,
            "default",
            "quiet",
            "  automountServiceAccountToken: false\n  tolerations:\n  - operator: Exists\n",
            ""
        )
        .0
    );
    let pod = pod_json(&c, "default", "quiet");
    assert_eq!(
        pod["spec"]["tolerations"],
        serde_json::json!([{"operator": "Exists"}])
    );
    assert!(pod["spec"].get("volumes").is_none(), "{pod}");
    refused(
        create_pod(&c, "default", "ghost", "  serviceAccountName: ghost\n", ""),
        "pods \"ghost\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found",
    );

    // The system classes exist; a class name resolves to its priority.
    let classes = c.ok(&["get", "priorityclasses"]);
    assert!(
        classes.contains("system-node-critical") && classes.contains("2000001000"),
        "{classes}"
    );
    assert!(
        create_pod(
            &c,
            "default",
            "critical",
            "  priorityClassName: system-cluster-critical\n",
            ""
        )
        .0
    );
    assert_eq!(
        c.jsonpath("default", "pod", "critical", "{.spec.priority}"),
        "2000000000"
    );
    refused(
        create_pod(&c, "default", "x", "  priorityClassName: foo\n", ""),
        "pods \"x\" is forbidden: no PriorityClass with name foo was found",
    );
    // A global default applies to pods without a class; only one may exist.
    c.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\nglobalDefault: true\npreemptionPolicy: Never\n",
    );
    let second = c.kubectl_stdin(
        &["create", "-f", "-"],
        Some("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: other\nvalue: 5\nglobalDefault: true\n"),
    );
    assert!(
        !second.success
            && second.stderr.contains(
                "PriorityClass high is already marked as default. Only one default can exist"
            ),
        "{}",
        second.stderr
    );
    assert!(create_pod(&c, "default", "defaulted", "", "").0);
    let pod = pod_json(&c, "default", "defaulted");
    assert_eq!(pod["spec"]["priorityClassName"], "high");
    assert_eq!(pod["spec"]["priority"], 1000);
    assert_eq!(pod["spec"]["preemptionPolicy"], "Never");
    refused(
        create_pod(&c, "default", "liar", "  priorityClassName: high\n  priority: 5\n", ""),
        "pods \"liar\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name",
    );
}

#[test]
fn limit_ranges_default_and_bound_containers() {
    let c = Cluster::start();
    c.namespace("limits");
    c.ok_stdin(
        &["create", "-n", "limits", "-f", "-"],
        "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: lr\nspec:\n  limits:\n  - type: Container\n    default: {cpu: 500m, memory: 128Mi}\n    defaultRequest: {cpu: 100m}\n    max: {cpu: \"1\"}\n",
    );
    assert!(create_pod(&c, "limits", "small", "", "").0);
    let yaml = c.ok(&["get", "pod", "small", "-n", "limits", "-o", "yaml"]);
    assert!(yaml.contains("kubernetes.io/limit-ranger:"), "{yaml}");
    let pod = pod_json(&c, "limits", "small");
    assert_eq!(
        pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c"
    );
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        serde_json::json!({"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}})
    );
    assert_eq!(pod["status"]["qosClass"], "Burstable");
    refused(
        create_pod(
            &c,
            "limits",
            "big",
            "",
            "    resources:\n      limits: {cpu: \"2\"}\n",
        ),
        "pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2",
    );
}

/// `status.used[resource]` of quota `name`, once the controller has counted it.
fn used(c: &Cluster, namespace: &str, name: &str, resource: &str) -> String {
    let path = format!("{{.status.used.{}}}", resource.replace('.', "\\."));
    c.jsonpath(namespace, "resourcequota", name, &path)
}

#[track_caller]
fn wait_used(c: &Cluster, namespace: &str, name: &str, resource: &str, value: &str) {
    wait_until(
        &format!("quota {name} using {resource}={value}"),
        WAIT,
        || used(c, namespace, name, resource) == value,
    );
}

#[test]
fn quotas_refuse_charge_and_free() {
    let c = Cluster::start();
    c.namespace("q");
    // The root CA publisher's config map first, so the quota counts it from the start.
    wait_until("kube-root-ca.crt in q", WAIT, || {
        c.kubectl(&["get", "configmap", "kube-root-ca.crt", "-n", "q"])
            .success
    });
    c.ok(&[
        "create",
        "quota",
        "q",
        "-n",
        "q",
        "--hard=pods=2,count/deployments.apps=1,count/configmaps=4,services.nodeports=1",
    ]);
    wait_used(&c, "q", "q", "pods", "0");
    // kube-root-ca.crt is a config map of the namespace too.
    wait_used(&c, "q", "q", "count/configmaps", "1");
    assert!(create_pod(&c, "q", "a", "", "").0);
    assert!(create_pod(&c, "q", "b", "", "").0);
    refused(
        create_pod(&c, "q", "x", "", ""),
        "pods \"x\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2",
    );
    let table = c.ok(&["get", "quota", "q", "-n", "q"]);
    assert!(table.contains("pods: 2/2"), "{table}");
    let described = c.ok(&["describe", "quota", "q", "-n", "q"]);
    assert!(
        described.contains("count/deployments.apps  0     1"),
        "{described}"
    );
    // A deleted pod frees its share.
    c.ok(&["delete", "pod", "a", "-n", "q", "--wait=false"]);
    wait_used(&c, "q", "q", "pods", "1");
    assert!(create_pod(&c, "q", "c", "", "").0);

    // Object counts of any resource.
    c.ok(&[
        "create",
        "deployment",
        "d1",
        "-n",
        "q",
        "--image=busybox",
        "--replicas=0",
    ]);
    let second = c.kubectl(&[
        "create",
        "deployment",
        "d2",
        "-n",
        "q",
        "--image=busybox",
        "--replicas=0",
    ]);
    assert!(
        !second.success && second.stderr.contains("deployments.apps \"d2\" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"),
        "{}",
        second.stderr
    );
    // An update is charged what it adds: two node ports exceed the one left.
    c.ok(&[
        "create",
        "service",
        "clusterip",
        "s",
        "-n",
        "q",
        "--tcp=80:80,443:443",
    ]);
    let patched = c.kubectl(&[
        "patch",
        "service",
        "s",
        "-n",
        "q",
        "-p",
        r#"{"spec":{"type":"NodePort"}}"#,
    ]);
    assert!(
        !patched.success && patched.stderr.contains("services \"s\" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1"),
        "{}",
        patched.stderr
    );
    // Concurrent creations cannot overrun the quota: 3 config maps are left.
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let mut command =
                c.kubectl_command(&["create", "configmap", &format!("cm{i}"), "-n", "q"]);
            std::thread::spawn(move || {
                command
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
            })
        })
        .collect();
    let created = handles
        .into_iter()
        .map(|h| h.join().unwrap_or(false))
        .filter(|ok| *ok)
        .count();
    assert_eq!(created, 3);
    wait_used(&c, "q", "q", "count/configmaps", "4");
    // A deleted config map is noticed at once (well before the 30 s resync).
    let names = c.ok(&["get", "configmaps", "-n", "q", "-o", "name"]);
    let victim = names
        .lines()
        .find(|n| n.starts_with("configmap/cm"))
        .unwrap_or_default()
        .to_string();
    c.ok(&["delete", &victim, "-n", "q"]);
    wait_until(
        "the deleted config map freed",
        Duration::from_secs(10),
        || used(&c, "q", "q", "count/configmaps") == "3",
    );
}

#[test]
fn compute_and_scoped_quotas() {
    let c = Cluster::start();
    c.namespace("cq");
    c.ok(&[
        "create",
        "quota",
        "compute",
        "-n",
        "cq",
        "--hard=requests.cpu=1,limits.cpu=2,requests.memory=1Gi",
    ]);
    c.namespace("be");
    c.ok(&[
        "create",
        "quota",
        "best-effort",
        "-n",
        "be",
        "--hard=pods=1",
        "--scopes=BestEffort",
    ]);
    wait_used(&c, "cq", "compute", "requests.cpu", "0");
    wait_used(&c, "be", "best-effort", "pods", "0");
    refused(
        create_pod(
            &c,
            "cq",
            "nolimit",
            "",
            "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n",
        ),
        "pods \"nolimit\" is forbidden: failed quota: compute: must specify limits.cpu for: c",
    );
    let sized =
        "    resources:\n      requests: {cpu: 600m, memory: 256Mi}\n      limits: {cpu: \"1\"}\n";
    assert!(create_pod(&c, "cq", "one", "", sized).0);
    refused(
        create_pod(&c, "cq", "two", "", sized),
        "pods \"two\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1",
    );
    assert_eq!(used(&c, "cq", "compute", "requests.memory"), "256Mi");
    // The BestEffort quota counts only pods without requests or limits.
    assert!(create_pod(&c, "be", "free", "", "").0);
    refused(
        create_pod(&c, "be", "free2", "", ""),
        "pods \"free2\" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1",
    );
    assert!(create_pod(&c, "be", "paid", "", sized).0);
    assert_eq!(used(&c, "be", "best-effort", "pods"), "1");
    // Raising the limit reaches the status through the controller.
    c.ok(&[
        "patch",
        "quota",
        "compute",
        "-n",
        "cq",
        "-p",
        r#"{"spec":{"hard":{"requests.cpu":"2"}}}"#,
    ]);
    wait_until("the new hard limit in the status", WAIT, || {
        c.jsonpath("cq", "quota", "compute", "{.status.hard.requests\\.cpu}") == "2"
    });
    assert!(create_pod(&c, "cq", "two", "", sized).0);
    assert_eq!(used(&c, "cq", "compute", "requests.cpu"), "1200m");
    c.ok(&["delete", "pod", "one", "-n", "cq", "--wait=false"]);
    wait_used(&c, "cq", "compute", "requests.cpu", "600m");
}

//! Tests of the strategy pipeline: decode, default, prepare and validate, as the
//! API server runs them.

use serde_json::{json, Value};

use super::*;
use crate::resource::lookup;

fn resource(group: &str, plural: &str) -> &'static ResourceInfo {
    let version = if group == "autoscaling" { "v2" } else { "v1" };
    lookup(group, version, plural).unwrap_or_else(|| panic!("{group}/{plural}"))
}

/// Runs a create as the server does; returns the stored object and the errors.
fn create(group: &str, plural: &str, body: Value) -> (Value, Vec<String>) {
    let resource = resource(group, plural);
    let mut object = decode(resource, body).expect("decodes").object;
    default(resource, &mut object);
    prepare_for_create(resource, &mut object);
    let errors = validate_create(resource, &object)
        .iter()
        .map(ToString::to_string)
        .collect();
    (object, errors)
}

/// Runs an update of `old` (already stored) to `body`.
fn update(group: &str, plural: &str, old: &Value, body: Value) -> (Value, Vec<String>) {
    let resource = resource(group, plural);
    let mut object = decode(resource, body).expect("decodes").object;
    default(resource, &mut object);
    prepare_for_update(resource, &mut object, old);
    let errors = validate_update(resource, &object, old)
        .iter()
        .map(ToString::to_string)
        .collect();
    (object, errors)
}

fn check_errors(group: &str, plural: &str, body: Value, expected: &[&str]) {
    let (_, errors) = create(group, plural, body.clone());
    assert_eq!(errors, expected, "{body}");
}

fn pod(spec: Value) -> Value {
    json!({"metadata": {"name": "p", "namespace": "default"}, "spec": spec})
}

#[test]
fn pod_defaults_and_status() {
    let (pod, errors) = create(
        "",
        "pods",
        pod(
            json!({"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}),
        ),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        pod["spec"],
        json!({
            "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Always",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {}, "terminationGracePeriodSeconds": 30
        })
    );
    assert_eq!(
        pod["status"],
        json!({"phase": "Pending", "qosClass": "Guaranteed"})
    );
    let (pod, _) = create("", "pods", pod_body_with_image("nginx:1.25"));
    assert_eq!(
        pod["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert_eq!(pod["status"]["qosClass"], "BestEffort");
}

fn pod_body_with_image(image: &str) -> Value {
    pod(json!({"containers": [{"name": "c", "image": image}]}))
}

#[test]
fn pod_validation() {
    check_errors(
        "",
        "pods",
        pod(json!({})),
        &["spec.containers: Required value"],
    );
    check_errors(
        "",
        "pods",
        pod(json!({"containers": [{"name": "c"}, {"name": "c", "image": "x"}]})),
        &[
            "spec.containers[0].image: Required value",
            "spec.containers[1].name: Duplicate value: \"c\"",
        ],
    );
    check_errors(
        "",
        "pods",
        pod(json!({"restartPolicy": "Sometimes", "containers": [{"name": "C", "image": "x", "ports": [{"containerPort": 70000, "name": "http"}, {"containerPort": 81, "name": "http"}]}]})),
        &[
            "spec.containers[0].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
        ],
    );
    check_errors(
        "",
        "pods",
        pod(json!({"containers": [{"name": "c", "image": "x", "volumeMounts": [{"name": "v", "mountPath": "/a"}],
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]})),
        &[
            "spec.containers[0].volumeMounts[0].name: Not found: \"v\"",
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
        ],
    );
    check_errors(
        "",
        "pods",
        json!({"metadata": {"name": "Bad_Name", "namespace": "default"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}),
        &["metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
    );
}

#[test]
fn pod_volumes_and_probes() {
    check_errors(
        "",
        "pods",
        pod(json!({"volumes": [{"name": "cfg", "configMap": {"items": [{"key": "k", "path": "/abs"}]}}, {"name": "cfg"}],
            "containers": [{"name": "c", "image": "x", "livenessProbe": {"httpGet": {}}, "readinessProbe": {}}]})),
        &[
            "spec.volumes[0].configMap.name: Required value",
            "spec.volumes[0].configMap.items[0].path: Invalid value: \"/abs\": must be a relative path",
            "spec.volumes[1].name: Duplicate value: \"cfg\"",
            "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.containers[0].readinessProbe: Required value: must specify a handler type",
        ],
    );
}

#[test]
fn pod_update() {
    let (old, _) = create("", "pods", pod_body_with_image("nginx"));
    let mut body = old.clone();
    body["spec"]["containers"][0]["image"] = json!("nginx:2");
    body["status"] = json!({"phase": "Running"});
    let (new, errors) = update("", "pods", &old, body);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(new["status"], old["status"]);
    let mut body = old.clone();
    body["spec"]["restartPolicy"] = json!("Never");
    let (_, errors) = update("", "pods", &old, body);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("spec: Forbidden: pod updates may not change fields other than"),
        "{errors:?}"
    );
    assert!(
        errors[0].ends_with("changed: spec.restartPolicy"),
        "{errors:?}"
    );
}

fn deployment(labels: Value, selector: Value) -> Value {
    json!({"metadata": {"name": "d", "namespace": "default"}, "spec": {"selector": selector,
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
}

#[test]
fn deployments() {
    let (d, errors) = create(
        "apps",
        "deployments",
        deployment(json!({"app": "a"}), json!({"matchLabels": {"app": "a"}})),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(
        d["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["status"], json!({}));
    check_errors(
        "apps",
        "deployments",
        deployment(json!({"app": "b"}), json!({"matchLabels": {"app": "a"}})),
        &["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`"],
    );
    check_errors(
        "apps",
        "deployments",
        json!({"metadata": {"name": "d", "namespace": "default"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}),
        &["spec.selector: Required value", "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"],
    );

    let mut body = d.clone();
    body["spec"]["replicas"] = json!(3);
    let (scaled, errors) = update("apps", "deployments", &d, body);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(scaled["metadata"]["generation"], 2);
    let mut body = scaled.clone();
    body["metadata"]["labels"] = json!({"x": "y"});
    let (relabelled, _) = update("apps", "deployments", &scaled, body);
    assert_eq!(relabelled["metadata"]["generation"], 2);
    let mut body = scaled.clone();
    body["spec"]["selector"] = json!({"matchLabels": {"app": "a", "b": "c"}});
    body["spec"]["template"]["metadata"]["labels"] = json!({"app": "a", "b": "c"});
    let (_, errors) = update("apps", "deployments", &scaled, body);
    assert_eq!(
        errors,
        ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"a\", \"b\":\"c\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
    );
}

#[test]
fn jobs() {
    let body = json!({"metadata": {"name": "j", "namespace": "default", "uid": "u1"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}});
    let (_, errors) = create("batch", "jobs", body.clone());
    assert_eq!(errors, ["spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""]);
    let mut body = body;
    body["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    let (job, errors) = create("batch", "jobs", body);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        job["spec"]["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}})
    );
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["job-name"],
        "j"
    );
    assert_eq!(job["spec"]["backoffLimit"], 6);
    assert_eq!(job["spec"]["completions"], 1);
}

#[test]
fn services() {
    let (svc, errors) = create(
        "",
        "services",
        json!({"metadata": {"name": "s", "namespace": "default"}, "spec": {"selector": {"app": "a"}, "ports": [{"port": 80}]}}),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        svc["spec"],
        json!({"selector": {"app": "a"}, "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]})
    );
    check_errors(
        "",
        "services",
        json!({"metadata": {"name": "s", "namespace": "default"}, "spec": {"type": "Fancy"}}),
        &["spec.ports: Required value", "spec.type: Unsupported value: \"Fancy\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""],
    );
    check_errors(
        "",
        "services",
        json!({"metadata": {"name": "1s", "namespace": "default"}, "spec": {"clusterIP": "None"}}),
        &["metadata.name: Invalid value: \"1s\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    );
    let mut stored = svc.clone();
    stored["spec"]["clusterIP"] = json!("10.0.0.5");
    stored["spec"]["clusterIPs"] = json!(["10.0.0.5"]);
    let mut body = svc;
    body["spec"]["ports"][0]["port"] = json!(81);
    let (updated, errors) = update("", "services", &stored, body.clone());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(updated["spec"]["clusterIP"], "10.0.0.5");
    body["spec"]["clusterIP"] = json!("10.0.0.6");
    body["spec"]["clusterIPs"] = json!(["10.0.0.6"]);
    let (_, errors) = update("", "services", &stored, body);
    assert_eq!(
        errors,
        [
            "spec.clusterIP: Invalid value: \"10.0.0.6\": field is immutable",
            "spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.6\"}: may not change once set"
        ]
    );
}

#[test]
fn config_and_secrets() {
    check_errors(
        "",
        "configmaps",
        json!({"metadata": {"name": "c", "namespace": "default"}, "data": {"a b": "x"}}),
        &["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
    );
    let (secret, errors) = create(
        "",
        "secrets",
        json!({"metadata": {"name": "s", "namespace": "default"}, "stringData": {"k": "hello"}, "immutable": true}),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(secret["data"], json!({"k": "aGVsbG8="}));
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret.get("stringData"), None);
    let mut body = secret.clone();
    body["data"] = json!({"k": "aGk="});
    let (_, errors) = update("", "secrets", &secret, body);
    assert_eq!(
        errors,
        ["data: Forbidden: field is immutable when `immutable` is set"]
    );
    check_errors(
        "",
        "secrets",
        json!({"metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/tls"}),
        &[
            "data[tls.crt]: Required value",
            "data[tls.key]: Required value",
        ],
    );
}

#[test]
fn namespaces() {
    let (ns, errors) = create("", "namespaces", json!({"metadata": {"name": "team-a"}}));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        ns["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "team-a"})
    );
    assert_eq!(ns["spec"], json!({"finalizers": ["kubernetes"]}));
    assert_eq!(ns["status"], json!({"phase": "Active"}));
    check_errors(
        "",
        "namespaces",
        json!({"metadata": {"name": "a.b"}}),
        &["metadata.name: Invalid value: \"a.b\": must not contain dots"],
    );
}

#[test]
fn status_update_keeps_spec() {
    let (d, _) = create(
        "apps",
        "deployments",
        deployment(json!({"app": "a"}), json!({"matchLabels": {"app": "a"}})),
    );
    let resource = resource("apps", "deployments");
    let mut body = d.clone();
    body["spec"]["replicas"] = json!(5);
    body["status"] = json!({"replicas": 1});
    prepare_for_status_update(resource, &mut body, &d);
    assert_eq!(body["spec"], d["spec"]);
    assert_eq!(body["status"], json!({"replicas": 1}));
}

#[test]
fn rbac_names_are_path_segments() {
    check_errors(
        "rbac.authorization.k8s.io",
        "clusterroles",
        json!({"metadata": {"name": "system:admin"}}),
        &[],
    );
    check_errors(
        "rbac.authorization.k8s.io",
        "clusterroles",
        json!({"metadata": {"name": "a/b"}}),
        &["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
    );
}

#[test]
fn rbac_bindings() {
    let binding = json!({"metadata": {"name": "b", "namespace": "default"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa"}]});
    let (stored, errors) = create("rbac.authorization.k8s.io", "rolebindings", binding);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stored["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
    assert_eq!(
        stored["subjects"][0]["apiGroup"],
        "rbac.authorization.k8s.io"
    );
    let mut body = stored.clone();
    body["roleRef"]["name"] = json!("other");
    let (_, errors) = update("rbac.authorization.k8s.io", "rolebindings", &stored, body);
    assert_eq!(
        errors,
        ["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef"]
    );
    check_errors(
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        json!({"metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}),
        &[
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
            "subjects[0].namespace: Required value",
        ],
    );
    check_errors(
        "rbac.authorization.k8s.io",
        "roles",
        json!({"metadata": {"name": "r", "namespace": "default"}, "rules": [{"resources": ["pods"]}]}),
        &[
            "rules[0].verbs: Required value: verbs must contain at least one value",
            "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        ],
    );
}

#[test]
fn other_kinds() {
    check_errors(
        "networking.k8s.io",
        "ingresses",
        json!({"metadata": {"name": "i", "namespace": "default"}, "spec": {"rules": [{"host": "a.example.com", "http": {"paths": [
            {"path": "x", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}},
            {"path": "/", "backend": {"service": {"name": "s"}}}
        ]}}]}}),
        &[
            "spec.rules[0].http.paths[0].path: Invalid value: \"x\": must be an absolute path",
            "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
            "spec.rules[0].http.paths[1].backend.service.port: Required value: port name or number is required",
        ],
    );
    check_errors(
        "",
        "persistentvolumeclaims",
        json!({"metadata": {"name": "c", "namespace": "default"}, "spec": {}}),
        &[
            "spec.accessModes: Required value: at least 1 access mode is required",
            "spec.resources[storage]: Required value",
        ],
    );
    check_errors(
        "",
        "events",
        json!({"metadata": {"name": "e.1", "namespace": "default"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"}}),
        &["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"],
    );
    let (pc, errors) = create(
        "scheduling.k8s.io",
        "priorityclasses",
        json!({"metadata": {"name": "high"}, "value": 1000}),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(pc["preemptionPolicy"], "PreemptLowerPriority");
    let mut body = pc.clone();
    body["value"] = json!(5);
    let (_, errors) = update("scheduling.k8s.io", "priorityclasses", &pc, body);
    assert_eq!(
        errors,
        ["value: Forbidden: may not be changed in an update."]
    );
}

#[test]
fn kubectl_generated_manifest() {
    // `kubectl create deployment web --image=nginx --dry-run=client -o json`.
    let body = json!({
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": null, "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}},
            "strategy": {}},
        "status": {}
    });
    let resource = resource("apps", "deployments");
    let decoded = decode(resource, body.clone()).expect("decodes");
    assert!(
        decoded.unknown_fields.is_empty(),
        "{:?}",
        decoded.unknown_fields
    );
    let (d, errors) = create("apps", "deployments", body);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["resources"],
        json!({})
    );
    assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
}

//! `kubectl apply`: server-side apply with its field ownership
//! (`metadata.managedFields`, conflicts, `--force-conflicts`), the classic
//! client-side three-way apply, the two together, and `kubectl diff`.

use serde_json::Value;

use crate::support::{reason, Cluster};

const NS: &str = "ssa";

fn cluster() -> Cluster {
    let cluster = Cluster::start();
    cluster.namespace(NS);
    cluster
}

/// A deployment manifest with these replicas, labels and containers
/// (`name=image:port`, port optional).
fn deployment(replicas: u32, labels: &[(&str, &str)], containers: &[&str]) -> String {
    let labels: String = labels
        .iter()
        .map(|(k, v)| format!("    {k}: {v}\n"))
        .collect();
    let containers: String = containers
        .iter()
        .map(|c| {
            let (name, rest) = c.split_once('=').expect("name=image");
            let (image, port) = match rest.split_once(':') {
                Some((image, port)) => (image, Some(port)),
                None => (rest, None),
            };
            let mut out = format!("      - name: {name}\n        image: {image}\n");
            if let Some(port) = port {
                out.push_str(&format!(
                    "        ports:\n        - containerPort: {port}\n"
                ));
            }
            out
        })
        .collect();
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {NS}\n  labels:\n{labels}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n{containers}"
    )
}

fn object(cluster: &Cluster) -> Value {
    cluster.raw(&format!("/apis/apps/v1/namespaces/{NS}/deployments/web"))
}

fn entries(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The `fieldsV1` of one manager's entry for one operation.
#[track_caller]
fn fields(obj: &Value, manager: &str, operation: &str) -> Value {
    entries(obj)
        .into_iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .unwrap_or_else(|| panic!("no {operation} entry of {manager}: {}", obj["metadata"]))
        ["fieldsV1"]
        .clone()
}

/// Managers of the writes the controller manager makes (it sends no
/// User-Agent yet, so its manager is upstream's fallback).
const CONTROLLERS: &[&str] = &["unknown", "kube-controller-manager"];

/// `manager/operation` of each entry but the controllers'.
fn managers(obj: &Value) -> Vec<String> {
    entries(obj)
        .iter()
        .filter(|e| !CONTROLLERS.contains(&e["manager"].as_str().unwrap_or_default()))
        .map(|e| {
            format!(
                "{}/{}",
                e["manager"].as_str().unwrap_or(""),
                e["operation"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn container_names(obj: &Value) -> Vec<String> {
    obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn server_side_apply_creates_updates_and_drops_fields() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(2, &[("app", "web"), ("tier", "front")], &["web=nginx:80"]),
    );
    let file = file.to_str().unwrap();
    let out = cluster.ok(&["apply", "--server-side", "-f", file]);
    assert_eq!(out.trim(), "deployment.apps/web serverside-applied");

    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 2);
    assert_eq!(managers(&obj), ["kubectl/Apply"]);
    let entry = &entries(&obj)[0];
    assert_eq!(entry["apiVersion"], "apps/v1");
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(
        entry["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );
    let owned = &entry["fieldsV1"];
    assert_eq!(owned["f:spec"]["f:replicas"], serde_json::json!({}));
    assert_eq!(owned["f:spec"]["f:selector"], serde_json::json!({}));
    assert_eq!(
        owned["f:metadata"]["f:labels"]["f:tier"],
        serde_json::json!({})
    );
    let container =
        &owned["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"];
    assert_eq!(container["."], serde_json::json!({}));
    assert_eq!(container["f:image"], serde_json::json!({}));
    assert!(
        container["f:ports"]
            .get("k:{\"containerPort\":80,\"protocol\":\"TCP\"}")
            .is_some(),
        "{container}"
    );
    // Defaults are the server's, not the applier's.
    assert!(owned["f:spec"].get("f:strategy").is_none(), "{owned}");

    // kubectl hides managed fields unless asked.
    let yaml = cluster.ok(&["get", "deploy", "web", "-n", NS, "-o", "yaml"]);
    assert!(!yaml.contains("managedFields"), "{yaml}");
    let yaml = cluster.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        NS,
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    assert!(yaml.contains("managedFields:"), "{yaml}");
    assert!(yaml.contains("manager: kubectl"), "{yaml}");
    assert!(yaml.contains("operation: Apply"), "{yaml}");
    assert!(yaml.contains("f:replicas: {}"), "{yaml}");

    // Change a field and drop a label and the port: the dropped fields go.
    cluster.file(
        "web.yaml",
        &deployment(3, &[("app", "web")], &["web=nginx"]),
    );
    let out = cluster.ok(&["apply", "--server-side", "-f", file]);
    assert_eq!(out.trim(), "deployment.apps/web serverside-applied");
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 3);
    assert_eq!(obj["metadata"]["labels"], serde_json::json!({"app": "web"}));
    assert!(
        obj["spec"]["template"]["spec"]["containers"][0]
            .get("ports")
            .is_none(),
        "{}",
        obj["spec"]
    );
    assert_eq!(managers(&obj), ["kubectl/Apply"]);
}

#[test]
fn conflicts_name_the_manager_and_force_takes_over() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    let file = file.to_str().unwrap();
    let out = cluster.ok(&["apply", "-f", file]);
    assert_eq!(out.trim(), "deployment.apps/web created");
    assert_eq!(
        managers(&object(&cluster)),
        ["kubectl-client-side-apply/Update"]
    );

    // Another manager changing what client-side apply set conflicts.
    cluster.file(
        "web.yaml",
        &deployment(3, &[("app", "web")], &["web=nginx"]),
    );
    let err = cluster.fails(&[
        "apply",
        "--server-side",
        "--field-manager=team-b",
        "-f",
        file,
    ]);
    assert!(
        err.contains("error: Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"),
        "{err}"
    );
    assert!(err.contains("--force-conflicts"), "{err}");
    assert_eq!(object(&cluster)["spec"]["replicas"], 1);

    // The same value is shared ownership, not a conflict. (kubectl then
    // moves what client-side apply owned to the new manager, as upstream's
    // kubectl does for any server-side apply.)
    cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    for manager in ["--field-manager=team-b", "--field-manager=team-d"] {
        cluster.ok(&["apply", "--server-side", manager, "-f", file]);
    }
    let list = managers(&object(&cluster));
    assert!(list.contains(&"team-b/Apply".to_string()), "{list:?}");
    assert!(list.contains(&"team-d/Apply".to_string()), "{list:?}");

    // Several conflicts are listed by manager.
    cluster.file(
        "web.yaml",
        &deployment(4, &[("app", "web")], &["web=httpd"]),
    );
    let err = cluster.fails(&[
        "apply",
        "--server-side",
        "--field-manager=team-c",
        "-f",
        file,
    ]);
    assert!(err.contains("error: Apply failed with 4 conflicts: conflicts with \"team-b\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image\nconflicts with \"team-d\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"), "{err}");

    let out = cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager=team-c",
        "--force-conflicts",
        "-f",
        file,
    ]);
    assert_eq!(out.trim(), "deployment.apps/web serverside-applied");
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 4);
    assert!(fields(&obj, "team-c", "Apply")["f:spec"]
        .get("f:replicas")
        .is_some());
    assert!(fields(&obj, "team-b", "Apply")["f:spec"]
        .get("f:replicas")
        .is_none());
    assert!(
        !managers(&obj).contains(&"kubectl-client-side-apply/Update".to_string()),
        "{:?}",
        managers(&obj)
    );

    // The 409 itself, as upstream: reason Conflict, a cause per field.
    let body = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 9},
    });
    let (code, status) = cluster.http().send(
        "PATCH",
        &format!("/apis/apps/v1/namespaces/{NS}/deployments/web?fieldManager=other"),
        "application/apply-patch+yaml",
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(code, 409, "{status}");
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"team-c\": .spec.replicas"
    );
    assert_eq!(
        status["details"]["causes"],
        serde_json::json!([{"reason": "FieldManagerConflict", "message": "conflict with \"team-c\"", "field": ".spec.replicas"}])
    );
}

#[test]
fn two_managers_share_the_containers_list() {
    let cluster = cluster();
    let a = cluster.file("a.yaml", &deployment(1, &[("app", "web")], &["a=nginx"]));
    cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager=a",
        "-f",
        a.to_str().unwrap(),
    ]);
    let sidecar = |containers: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {NS}\nspec:\n  template:\n    spec:\n      containers:{containers}\n"
        )
    };
    let b = cluster.file(
        "b.yaml",
        &sidecar("\n      - name: b\n        image: busybox"),
    );
    cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager=b",
        "-f",
        b.to_str().unwrap(),
    ]);
    let obj = object(&cluster);
    assert_eq!(container_names(&obj), ["a", "b"]);
    let b_fields = fields(&obj, "b", "Apply");
    assert_eq!(
        b_fields["f:spec"]["f:template"]["f:spec"]["f:containers"],
        serde_json::json!({"k:{\"name\":\"b\"}": {".": {}, "f:image": {}, "f:name": {}}})
    );
    // A changes its own container: no conflict with b.
    cluster.file("a.yaml", &deployment(1, &[("app", "web")], &["a=httpd"]));
    cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager=a",
        "-f",
        a.to_str().unwrap(),
    ]);
    assert_eq!(container_names(&object(&cluster)), ["a", "b"]);
    // B stops applying its container: only that one goes.
    cluster.file("b.yaml", &sidecar(" []"));
    cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager=b",
        "-f",
        b.to_str().unwrap(),
    ]);
    let obj = object(&cluster);
    assert_eq!(container_names(&obj), ["a"]);
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"][0]["image"],
        "httpd"
    );
}

#[test]
fn client_side_then_server_side_apply() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web"), ("tier", "front")], &["web=nginx"]),
    );
    let file = file.to_str().unwrap();
    cluster.ok(&["apply", "-f", file]);
    // kubectl takes over what it applied client-side: no conflict, and the
    // dropped label goes once kubectl has migrated the ownership.
    cluster.file(
        "web.yaml",
        &deployment(2, &[("app", "web")], &["web=nginx"]),
    );
    let run = cluster.kubectl(&["apply", "--server-side", "-f", file]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.trim(), "deployment.apps/web serverside-applied");
    assert!(!run.stderr.contains("Warning"), "{}", run.stderr);
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 2);
    assert_eq!(obj["metadata"]["labels"], serde_json::json!({"app": "web"}));
    let list = managers(&obj);
    assert!(list.contains(&"kubectl/Apply".to_string()), "{list:?}");
    assert!(
        !list.contains(&"kubectl-client-side-apply/Update".to_string()),
        "{list:?}"
    );
    // The server keeps the last-applied annotation up to date for kubectl.
    let last = obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap_or_default();
    let last: Value = serde_json::from_str(last).unwrap();
    assert_eq!(last["spec"]["replicas"], 2);

    // And back: client-side apply still works from that annotation.
    cluster.file(
        "web.yaml",
        &deployment(5, &[("app", "web")], &["web=nginx"]),
    );
    let out = cluster.ok(&["apply", "-f", file]);
    assert_eq!(out.trim(), "deployment.apps/web configured");
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 5);
    assert!(
        fields(&obj, "kubectl-client-side-apply", "Update")["f:spec"]
            .get("f:replicas")
            .is_some()
    );
    assert!(fields(&obj, "kubectl", "Apply")["f:spec"]
        .get("f:replicas")
        .is_none());
}

#[test]
fn server_side_then_client_side_apply() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    let file = file.to_str().unwrap();
    cluster.ok(&["apply", "--server-side", "-f", file]);
    cluster.file(
        "web.yaml",
        &deployment(2, &[("app", "web")], &["web=nginx"]),
    );
    let run = cluster.kubectl(&["apply", "-f", file]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.trim(), "deployment.apps/web configured");
    // As upstream, kubectl warns that the annotation was missing, and adds it.
    assert!(
        run.stderr
            .contains("missing the kubectl.kubernetes.io/last-applied-configuration annotation"),
        "{}",
        run.stderr
    );
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 2);
    assert!(
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
    assert!(
        fields(&obj, "kubectl-client-side-apply", "Update")["f:spec"]
            .get("f:replicas")
            .is_some()
    );
    assert!(fields(&obj, "kubectl", "Apply")["f:spec"]
        .get("f:replicas")
        .is_none());
    let out = cluster.ok(&["apply", "-f", file]);
    assert_eq!(out.trim(), "deployment.apps/web unchanged");
}

#[test]
fn every_write_records_its_manager() {
    let cluster = cluster();
    let cm = |name: &str| format!("/api/v1/namespaces/{NS}/configmaps/{name}");
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: {NS}\ndata:\n  a: b\n"),
    );
    let obj = cluster.raw(&cm("c"));
    assert_eq!(managers(&obj), ["kubectl-create/Update"]);
    assert_eq!(
        fields(&obj, "kubectl-create", "Update"),
        serde_json::json!({"f:data": {".": {}, "f:a": {}}})
    );
    cluster.ok(&["label", "configmap", "c", "-n", NS, "team=x"]);
    cluster.ok(&[
        "patch",
        "configmap",
        "c",
        "-n",
        NS,
        "--type=merge",
        "-p",
        "{\"data\":{\"p\":\"q\"}}",
    ]);
    let obj = cluster.raw(&cm("c"));
    assert_eq!(
        fields(&obj, "kubectl-label", "Update"),
        serde_json::json!({"f:metadata": {"f:labels": {".": {}, "f:team": {}}}})
    );
    assert_eq!(
        fields(&obj, "kubectl-patch", "Update"),
        serde_json::json!({"f:data": {"f:p": {}}})
    );
    // --field-manager names the manager of any write.
    cluster.ok(&[
        "label",
        "configmap",
        "c",
        "-n",
        NS,
        "owner=y",
        "--field-manager=labeller",
    ]);
    assert!(managers(&cluster.raw(&cm("c"))).contains(&"labeller/Update".to_string()));
    // Through the scale subresource, with `subresource: scale`.
    cluster.ok_stdin(
        &["create", "-f", "-"],
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    cluster.ok(&["scale", "deployment", "web", "-n", NS, "--replicas=2"]);
    // kubectl scale sends no fieldManager: the User-Agent names it.
    let scaled_obj = object(&cluster);
    let scaled = entries(&scaled_obj)
        .into_iter()
        .find(|e| e["subresource"] == "scale")
        .unwrap_or_else(|| panic!("no scale entry: {}", scaled_obj["metadata"]));
    assert_eq!(scaled["manager"], "kubectl");
    assert_eq!(scaled["operation"], "Update");
    assert_eq!(
        scaled["fieldsV1"],
        serde_json::json!({"f:spec": {"f:replicas": {}}})
    );

    // An apply that changes nothing writes nothing.
    let applied = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  namespace: {NS}\ndata:\n  k: v\n"
    );
    cluster.ok_stdin(&["apply", "--server-side", "-f", "-"], &applied);
    let before = cluster.raw(&cm("s"))["metadata"]["resourceVersion"].clone();
    cluster.ok_stdin(&["apply", "--server-side", "-f", "-"], &applied);
    assert_eq!(cluster.raw(&cm("s"))["metadata"]["resourceVersion"], before);

    // managedFields in a body replace the entries; [{}] resets them.
    cluster.ok(&[
        "patch",
        "configmap",
        "c",
        "-n",
        NS,
        "--type=merge",
        "-p",
        "{\"metadata\":{\"managedFields\":[{}]}}",
    ]);
    assert!(cluster.raw(&cm("c"))["metadata"]
        .get("managedFields")
        .is_none());
    // The first apply to an untracked object finds its fields owned by
    // `before-first-apply`.
    let err = cluster.kubectl_stdin(
        &["apply", "--server-side", "-f", "-"],
        Some(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: {NS}\ndata:\n  a: changed\n")),
    );
    assert!(!err.success);
    assert!(
        err.stderr.contains(
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a"
        ),
        "{}",
        err.stderr
    );
}

#[test]
fn dry_run_server_stores_nothing() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    let file = file.to_str().unwrap();
    let out = cluster.ok(&["apply", "--server-side", "--dry-run=server", "-f", file]);
    assert_eq!(
        out.trim(),
        "deployment.apps/web serverside-applied (server dry run)"
    );
    let err = cluster.fails(&["get", "deployment", "web", "-n", NS]);
    assert!(err.contains("not found"), "{err}");

    cluster.ok(&["apply", "--server-side", "-f", file]);
    let before = object(&cluster);
    cluster.file(
        "web.yaml",
        &deployment(7, &[("app", "web")], &["web=nginx"]),
    );
    let out = cluster.ok(&[
        "apply",
        "--server-side",
        "--dry-run=server",
        "-f",
        file,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(out, "7");
    // (The deployment controller may write status meanwhile.)
    let after = object(&cluster);
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(
        fields(&after, "kubectl", "Apply"),
        fields(&before, "kubectl", "Apply")
    );
    assert_eq!(
        entries(&after)
            .iter()
            .find(|e| e["manager"] == "kubectl")
            .map(|e| e["time"].clone()),
        entries(&before)
            .iter()
            .find(|e| e["manager"] == "kubectl")
            .map(|e| e["time"].clone())
    );
}

#[test]
fn bad_apply_requests() {
    let cluster = cluster();
    let http = cluster.http();
    let path = format!("/apis/apps/v1/namespaces/{NS}/deployments/web?fieldManager=m");
    let apply = |path: &str, body: &str| {
        http.send(
            "PATCH",
            path,
            "application/apply-patch+yaml",
            Some(body.as_bytes()),
        )
    };
    let message = |body: &str| -> String {
        serde_json::from_str::<Value>(body).unwrap()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    let (code, body) = apply(&path, "- a\n- b\n");
    assert_eq!(code, 400, "{body}");
    assert_eq!(message(&body), "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}");

    let (code, body) = apply(
        &path,
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n",
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        message(&body),
        "invalid object type: apps/v1, Kind=StatefulSet"
    );

    let other_name = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n  namespace: {NS}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
    );
    let (code, body) = apply(&path, &other_name);
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        message(&body),
        "the name of the object (other) does not match the name on the URL (web)"
    );

    let (code, body) = apply(
        &path.replace("?fieldManager=m", ""),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(
        message(&body),
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );

    let (code, body) = apply(
        &path,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  bogus: 1\n",
    );
    assert_eq!(code, 500, "{body}");
    assert_eq!(
        message(&body),
        "failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema"
    );

    cluster.configmap(NS, "c", &[("a", "b")]);
    let (code, body) = http.send(
        "PATCH",
        &format!("/api/v1/namespaces/{NS}/configmaps/c?force=true"),
        "application/merge-patch+json",
        Some(b"{\"data\":{\"a\":\"c\"}}"),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(reason(&body), "Invalid");
    assert_eq!(
        message(&body),
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
    );

    let long = "m".repeat(129);
    let err = cluster.fails(&[
        "create",
        "configmap",
        "d",
        "-n",
        NS,
        &format!("--field-manager={long}"),
    ]);
    assert!(
        err.contains(
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"
        ),
        "{err}"
    );

    // Apply through status: the entry says so, and only status changes
    // (the deployment controller owns the status fields it writes).
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web")], &["web=nginx"]),
    );
    cluster.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let (code, body) = apply(
        &format!("/apis/apps/v1/namespaces/{NS}/deployments/web/status?fieldManager=status-writer"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nstatus:\n  collisionCount: 1\n",
    );
    assert_eq!(code, 200, "{body}");
    let obj = object(&cluster);
    assert_eq!(obj["status"]["collisionCount"], 1);
    let entry = entries(&obj)
        .into_iter()
        .find(|e| e["manager"] == "status-writer")
        .expect("status-writer entry");
    assert_eq!(entry["operation"], "Apply");
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        entry["fieldsV1"],
        serde_json::json!({"f:status": {"f:collisionCount": {}}})
    );
}

#[test]
fn client_side_apply_three_way_and_diff() {
    let cluster = cluster();
    let file = cluster.file(
        "web.yaml",
        &deployment(1, &[("app", "web"), ("tier", "front")], &["web=nginx:80"]),
    );
    let file = file.to_str().unwrap();
    assert_eq!(
        cluster.ok(&["apply", "-f", file]).trim(),
        "deployment.apps/web created"
    );
    // No difference: diff exits 0 and prints nothing.
    let run = cluster.kubectl(&["diff", "-f", file]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");

    // Edit a field, drop a label, remove the container port.
    cluster.file(
        "web.yaml",
        &deployment(2, &[("app", "web")], &["web=nginx"]),
    );
    let mut diff = cluster.kubectl_command(&["diff", "-f", file]);
    let out = diff.output().expect("kubectl diff");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-  replicas: 1") && text.contains("+  replicas: 2"),
        "{text}"
    );
    assert!(text.contains("-    tier: front"), "{text}");
    // The diff hides managed fields, as kubectl does by default.
    assert!(!text.contains("managedFields"), "{text}");
    assert_eq!(object(&cluster)["spec"]["replicas"], 1);

    assert_eq!(
        cluster.ok(&["apply", "-f", file]).trim(),
        "deployment.apps/web configured"
    );
    let obj = object(&cluster);
    assert_eq!(obj["spec"]["replicas"], 2);
    assert_eq!(obj["metadata"]["labels"], serde_json::json!({"app": "web"}));
    assert!(obj["spec"]["template"]["spec"]["containers"][0]
        .get("ports")
        .is_none());
    assert_eq!(
        cluster.ok(&["apply", "-f", file]).trim(),
        "deployment.apps/web unchanged"
    );
    let run = cluster.kubectl(&["diff", "-f", file]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);

    // Server-side diff too.
    cluster.file(
        "web.yaml",
        &deployment(4, &[("app", "web")], &["web=nginx"]),
    );
    let mut diff =
        cluster.kubectl_command(&["diff", "--server-side", "--force-conflicts", "-f", file]);
    let out = diff.output().expect("kubectl diff");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("+  replicas: 4"));
    assert_eq!(object(&cluster)["spec"]["replicas"], 2);
}

#[test]
fn custom_resources_merge_by_their_schemas_list_keys() {
    let cluster = cluster();
    cluster.ok_stdin(
        &["apply", "--server-side", "-f", "-"],
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {plural: widgets, singular: widget, kind: Widget}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              size: {type: integer}\n              items:\n                type: array\n                x-kubernetes-list-type: map\n                x-kubernetes-list-map-keys: [name]\n                items:\n                  type: object\n                  required: [name]\n                  properties:\n                    name: {type: string}\n                    value: {type: string}\n",
    );
    crate::support::wait_until("widgets served", std::time::Duration::from_secs(20), || {
        cluster.kubectl(&["get", "widgets", "-n", NS]).success
    });
    let widget = |spec: &str| {
        format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {NS}\nspec:\n{spec}")
    };
    cluster.ok_stdin(
        &["apply", "--server-side", "--field-manager=one", "-f", "-"],
        &widget("  size: 1\n  items:\n  - {name: a, value: \"1\"}\n"),
    );
    cluster.ok_stdin(
        &["apply", "--server-side", "--field-manager=two", "-f", "-"],
        &widget("  items:\n  - {name: b, value: \"2\"}\n"),
    );
    let obj = cluster.raw(&format!("/apis/example.com/v1/namespaces/{NS}/widgets/w"));
    assert_eq!(
        obj["spec"],
        serde_json::json!({"size": 1, "items": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]})
    );
    assert_eq!(
        fields(&obj, "two", "Apply"),
        serde_json::json!({"f:spec": {"f:items": {"k:{\"name\":\"b\"}": {".": {}, "f:name": {}, "f:value": {}}}}})
    );
    let run = cluster.kubectl_stdin(
        &["apply", "--server-side", "--field-manager=two", "-f", "-"],
        Some(&widget("  size: 3\n")),
    );
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("Apply failed with 1 conflict: conflict with \"one\": .spec.size"),
        "{}",
        run.stderr
    );
}

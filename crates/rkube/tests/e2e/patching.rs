//! kubectl patch with each patch type, server-side dry runs, client-side dry
//! runs piped into apply, and kustomize (`apply -k`).

use crate::support::Cluster;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 2}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: a
        image: a:1
        ports:
        - containerPort: 80
        env:
        - {name: X, value: "1"}
      - name: b
        image: b:1
"#;

fn with_deployment() -> Cluster {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], DEPLOYMENT);
    cluster
}

fn get(cluster: &Cluster, path: &str) -> String {
    cluster.jsonpath("default", "deploy", "web", path)
}

fn patch(cluster: &Cluster, kind: &str, body: &str) {
    cluster.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "default",
        &format!("--type={kind}"),
        "-p",
        body,
    ]);
}

#[test]
fn strategic_merge_patches_merge_lists_by_key() {
    let cluster = with_deployment();
    // Containers merge by name, ports by containerPort, env by name.
    patch(
        &cluster,
        "strategic",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":443}],"env":[{"name":"Y","value":"2"}]},{"name":"b","image":"b:2"}]}}}}"#,
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[*].name}"),
        "a b"
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[1].image}"),
        "b:2"
    );
    assert_eq!(
        get(
            &cluster,
            "{.spec.template.spec.containers[0].ports[*].containerPort}"
        ),
        "443 80"
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[0].env[*].name}"),
        "Y X"
    );
    // `$patch: delete` removes one element; `$retainKeys` drops what it omits.
    patch(
        &cluster,
        "strategic",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}}}"#,
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[*].name}"),
        "a"
    );
    patch(
        &cluster,
        "strategic",
        r#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#,
    );
    assert_eq!(get(&cluster, "{.spec.strategy.type}"), "Recreate");
    assert_eq!(get(&cluster, "{.spec.strategy.rollingUpdate}"), "");
}

#[test]
fn merge_and_json_patches() {
    let cluster = with_deployment();
    // A merge patch replaces lists whole and deletes with null.
    patch(
        &cluster,
        "merge",
        r#"{"metadata":{"labels":{"tier":"web"}},"spec":{"template":{"spec":{"containers":[{"name":"only","image":"o:1"}]}}}}"#,
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[*].name}"),
        "only"
    );
    patch(
        &cluster,
        "merge",
        r#"{"metadata":{"labels":{"tier":null}}}"#,
    );
    assert_eq!(get(&cluster, "{.metadata.labels}"), "");
    // Every RFC 6902 operation.
    patch(
        &cluster,
        "json",
        r#"[
          {"op":"add","path":"/metadata/annotations","value":{"a":"1"}},
          {"op":"copy","from":"/metadata/annotations/a","path":"/metadata/annotations/b"},
          {"op":"move","from":"/metadata/annotations/a","path":"/metadata/annotations/c"},
          {"op":"replace","path":"/spec/replicas","value":3},
          {"op":"test","path":"/spec/replicas","value":3},
          {"op":"remove","path":"/metadata/annotations/b"}
        ]"#,
    );
    // (The deployment controller adds its revision annotation beside them.)
    assert_eq!(
        get(
            &cluster,
            "{.metadata.annotations.a}/{.metadata.annotations.b}/{.metadata.annotations.c}"
        ),
        "//1"
    );
    assert_eq!(get(&cluster, "{.spec.replicas}"), "3");
    // A failing test operation rejects the whole patch.
    let run = cluster.kubectl(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "default",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":9},{"op":"test","path":"/spec/replicas","value":5}]"#,
    ]);
    assert!(!run.success, "{}", run.stdout);
    assert!(
        run.stderr.contains("(Invalid)") || run.stderr.contains("test"),
        "{}",
        run.stderr
    );
    assert_eq!(get(&cluster, "{.spec.replicas}"), "3");
}

#[test]
fn server_side_dry_runs_change_nothing() {
    let cluster = with_deployment();
    let created = cluster.ok(&[
        "create",
        "configmap",
        "dry",
        "-n",
        "default",
        "--from-literal=k=v",
        "--dry-run=server",
        "-o",
        "jsonpath={.data.k}/{.metadata.uid}",
    ]);
    assert!(created.starts_with("v/") && created.len() > 2, "{created}");
    assert!(
        !cluster
            .kubectl(&["get", "cm", "dry", "-n", "default"])
            .success
    );
    cluster.ok_stdin(
        &["apply", "-n", "default", "--dry-run=server", "-f", "-"],
        &DEPLOYMENT.replace("image: a:1", "image: a:2"),
    );
    assert_eq!(
        get(&cluster, "{.spec.template.spec.containers[0].image}"),
        "a:1"
    );
    let patched = cluster.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "default",
        "--dry-run=server",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":7}}"#,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(patched, "7");
    assert_eq!(get(&cluster, "{.spec.replicas}"), "1");
    cluster.ok(&[
        "delete",
        "deploy",
        "web",
        "-n",
        "default",
        "--dry-run=server",
    ]);
    assert_eq!(get(&cluster, "{.metadata.name}"), "web");
}

#[test]
fn client_dry_run_output_applies() {
    let cluster = Cluster::start();
    let manifest = cluster.ok(&[
        "create",
        "deployment",
        "gen",
        "--image=nginx",
        "--replicas=2",
        "--dry-run=client",
        "-o",
        "yaml",
    ]);
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], &manifest);
    assert_eq!(
        cluster.jsonpath("default", "deploy", "gen", "{.spec.replicas}"),
        "2"
    );
    // Applied again it changes nothing (kubectl reports `configured` because
    // of the `creationTimestamp: null` it wrote, as against upstream).
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], &manifest);
    assert_eq!(
        cluster.jsonpath("default", "deploy", "gen", "{.metadata.generation}"),
        "1"
    );
}

#[test]
fn kustomize_directories_apply() {
    let cluster = Cluster::start();
    cluster.file(
        "kustomize/kustomization.yaml",
        "namespace: default\nnamePrefix: dev-\nlabels:\n- pairs: {env: dev}\n  includeSelectors: true\nresources:\n- deployment.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [mode=fast]\n",
    );
    cluster.file("kustomize/deployment.yaml", DEPLOYMENT);
    let dir = cluster.dir.path().join("kustomize");
    let dir = dir.to_string_lossy();
    cluster.ok(&["apply", "-k", &dir]);
    assert_eq!(
        cluster.jsonpath(
            "default",
            "deploy",
            "dev-web",
            "{.spec.selector.matchLabels.env}"
        ),
        "dev"
    );
    let configmaps = cluster.ok(&["get", "cm", "-n", "default", "-l", "env=dev", "-o", "name"]);
    assert!(
        configmaps.contains("configmap/dev-settings-"),
        "{configmaps}"
    );
    cluster.ok(&["delete", "-k", &dir]);
    assert!(
        !cluster
            .kubectl(&["get", "deploy", "dev-web", "-n", "default"])
            .success
    );
}

//! The everyday kubectl commands on stored objects.

use crate::support::{fixture, Cluster};

fn with_namespace(name: &str) -> Cluster {
    let cluster = Cluster::start();
    cluster.namespace(name);
    cluster
}

/// The typed `kubectl create` commands send protobuf request bodies, which the
/// server does not decode yet.
#[test]
#[ignore = "kubectl's typed create commands send application/vnd.kubernetes.protobuf bodies; protobuf decoding is not built yet"]
fn kubectl_create_typed_commands() {
    let cluster = Cluster::start();
    cluster.ok(&["create", "namespace", "typed"]);
    cluster.ok(&[
        "create",
        "configmap",
        "c",
        "-n",
        "typed",
        "--from-literal=a=b",
    ]);
    cluster.ok(&[
        "create",
        "deployment",
        "d",
        "-n",
        "typed",
        "--image=busybox",
    ]);
    cluster.ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        "typed",
        "--from-literal=x=y",
    ]);
}

#[test]
fn create_namespace_and_configmap() {
    let cluster = with_namespace("team-a");
    let out = cluster.ok(&["get", "ns", "team-a", "-o", "jsonpath={.status.phase}"]);
    assert_eq!(out, "Active");
    cluster.configmap("team-a", "settings", &[("color", "blue"), ("size", "L")]);
    let color = cluster.jsonpath("team-a", "cm", "settings", "{.data.color}");
    assert_eq!(color, "blue");
    assert_eq!(
        cluster
            .ok(&["get", "cm", "-n", "team-a", "-o", "name"])
            .trim(),
        "configmap/settings"
    );
    let yaml = cluster.ok(&["get", "cm", "settings", "-n", "team-a", "-o", "yaml"]);
    assert!(
        yaml.contains("size: L") && yaml.contains("resourceVersion:") && yaml.contains("uid:"),
        "{yaml}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cluster.ok(&["get", "cm", "settings", "-n", "team-a", "-o", "json"]))
            .unwrap();
    assert_eq!(json["metadata"]["namespace"], "team-a");
    assert!(json["metadata"]["creationTimestamp"].is_string());
    let duplicate =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\n";
    let err = cluster
        .kubectl_stdin(&["create", "-f", "-"], Some(duplicate))
        .stderr;
    assert!(
        err.contains("(AlreadyExists)") && err.contains("configmaps \"settings\" already exists"),
        "{err}"
    );
}

#[test]
fn apply_manifests_then_get_select_and_delete() {
    let cluster = with_namespace("shop");
    let file = fixture("workloads.yaml");
    let file = file.to_str().unwrap();
    let out = cluster.ok(&["apply", "-n", "shop", "-f", file]);
    for line in [
        "configmap/web-config created",
        "secret/web-secret created",
        "pod/web-pod created",
        "deployment.apps/web created",
        "service/web created",
    ] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
    // Applying the same file again changes nothing.
    let again = cluster.ok(&["apply", "-n", "shop", "-f", file]);
    assert!(again.contains("pod/web-pod unchanged"), "{again}");
    // Defaults and allocations as upstream.
    assert_eq!(
        cluster.jsonpath("shop", "pod", "web-pod", "{.spec.restartPolicy}"),
        "Always"
    );
    assert_eq!(
        cluster.jsonpath("shop", "pod", "web-pod", "{.status.phase}"),
        "Pending"
    );
    let ip = cluster.jsonpath("shop", "svc", "web", "{.spec.clusterIP}");
    assert!(ip.starts_with("10.43."), "{ip}");
    let secret = cluster.jsonpath("shop", "secret", "web-secret", "{.data.password}");
    assert_eq!(secret, "czNjcmV0");
    assert_eq!(
        cluster.jsonpath("shop", "deploy", "web", "{.spec.strategy.type}"),
        "RollingUpdate"
    );

    // Label selectors with every operator, field selectors.
    let names = |args: &[&str]| {
        let mut all = vec!["get", "-n", "shop", "-o", "name"];
        all.extend_from_slice(args);
        let mut lines: Vec<String> = cluster.ok(&all).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(
        names(&["pods,cm", "-l", "app=web"]),
        ["configmap/web-config", "pod/web-pod"]
    );
    assert_eq!(
        names(&["pods", "-l", "tier in (frontend,backend)"]),
        ["pod/web-pod"]
    );
    assert!(names(&["pods", "-l", "tier notin (frontend)"]).is_empty());
    assert_eq!(names(&["cm", "-l", "!tier,app"]), ["configmap/web-config"]);
    assert_eq!(
        names(&["pods", "--field-selector", "status.phase=Pending"]),
        ["pod/web-pod"]
    );
    assert!(names(&["pods", "--field-selector", "metadata.name!=web-pod"]).is_empty());
    assert_eq!(
        names(&["cm", "--field-selector", "metadata.name=web-config"]),
        ["configmap/web-config"]
    );
    let err = cluster.fails(&[
        "get",
        "pods",
        "-n",
        "shop",
        "--field-selector",
        "spec.bogus=1",
    ]);
    assert!(
        err.contains("field label not supported: spec.bogus"),
        "{err}"
    );

    // Scale through the scale subresource.
    cluster.ok(&["scale", "deployment/web", "-n", "shop", "--replicas=5"]);
    assert_eq!(
        cluster.jsonpath("shop", "deploy", "web", "{.spec.replicas}"),
        "5"
    );

    // Delete waits until the object is gone.
    cluster.ok(&[
        "delete",
        "pod",
        "web-pod",
        "-n",
        "shop",
        "--wait=true",
        "--timeout=30s",
    ]);
    let err = cluster.fails(&["get", "pod", "web-pod", "-n", "shop"]);
    assert!(err.contains("pods \"web-pod\" not found"), "{err}");
    cluster.ok(&[
        "delete",
        "-n",
        "shop",
        "-f",
        file,
        "--ignore-not-found",
        "--wait=true",
        "--timeout=30s",
    ]);
    assert_eq!(
        cluster.ok(&["get", "deploy,svc,cm,secret", "-n", "shop", "-o", "name"]),
        ""
    );
}

#[test]
fn label_annotate_edit_replace() {
    let cluster = with_namespace("edits");
    cluster.configmap("edits", "cfg", &[("k", "v1")]);
    cluster.ok(&["label", "cm", "cfg", "-n", "edits", "env=prod"]);
    cluster.ok(&["annotate", "cm", "cfg", "-n", "edits", "owner=alice"]);
    assert_eq!(
        cluster
            .ok(&["get", "cm", "-n", "edits", "-l", "env=prod", "-o", "name"])
            .trim(),
        "configmap/cfg"
    );
    assert_eq!(
        cluster.jsonpath("edits", "cm", "cfg", "{.metadata.annotations.owner}"),
        "alice"
    );
    // Overwriting a label needs --overwrite, then removing it with key-.
    cluster.fails(&["label", "cm", "cfg", "-n", "edits", "env=dev"]);
    cluster.ok(&[
        "label",
        "cm",
        "cfg",
        "-n",
        "edits",
        "env=dev",
        "--overwrite",
    ]);
    cluster.ok(&["label", "cm", "cfg", "-n", "edits", "env-"]);
    assert_eq!(
        cluster.jsonpath("edits", "cm", "cfg", "{.metadata.labels}"),
        ""
    );

    // kubectl edit with a scripted editor.
    let editor = cluster.file("editor.sh", "#!/bin/sh\nsed -i 's/k: v1/k: v2/' \"$1\"\n");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let mut command = cluster.kubectl_command(&["edit", "cm", "cfg", "-n", "edits"]);
    command.env("KUBE_EDITOR", &editor);
    let run = crate::support::run(&mut command, None, std::time::Duration::from_secs(60));
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    assert_eq!(cluster.jsonpath("edits", "cm", "cfg", "{.data.k}"), "v2");

    // kubectl replace with the current object, then with a stale resourceVersion.
    let current = cluster.ok(&["get", "cm", "cfg", "-n", "edits", "-o", "yaml"]);
    let replaced = current.replace("k: v2", "k: v3");
    cluster.ok_stdin(&["replace", "-f", "-"], &replaced);
    assert_eq!(cluster.jsonpath("edits", "cm", "cfg", "{.data.k}"), "v3");
    let stale = current.replace("k: v2", "k: v4");
    let run = cluster.kubectl_stdin(&["replace", "-f", "-"], Some(&stale));
    assert!(!run.success);
    assert!(
        run.stderr.contains("(Conflict)") && run.stderr.contains("the object has been modified"),
        "{}",
        run.stderr
    );
    assert_eq!(cluster.jsonpath("edits", "cm", "cfg", "{.data.k}"), "v3");
}

#[test]
fn namespace_deletion_removes_its_objects() {
    let cluster = with_namespace("doomed");
    cluster.configmap("doomed", "a", &[]);
    cluster.ok_stdin(
        &["apply", "-n", "doomed", "-f", "-"],
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nstringData:\n  x: value\n",
    );
    cluster.ok(&[
        "delete",
        "namespace",
        "doomed",
        "--wait=true",
        "--timeout=60s",
    ]);
    let err = cluster.fails(&["get", "ns", "doomed"]);
    assert!(err.contains("not found"), "{err}");
    // A namespace of the same name starts empty.
    cluster.namespace("doomed");
    assert_eq!(
        cluster.ok(&["get", "cm,secret", "-n", "doomed", "-o", "name"]),
        ""
    );
}

#[test]
fn versions_sharing_storage_convert() {
    let cluster = Cluster::start();
    let hpa = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: 70\n";
    cluster.ok_stdin(&["create", "-f", "-"], hpa);
    let v2 = cluster.raw("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/h");
    assert_eq!(
        v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    cluster.ok(&[
        "patch",
        "hpa.v1.autoscaling",
        "h",
        "--type=merge",
        "-p",
        r#"{"spec":{"maxReplicas":5}}"#,
    ]);
    let v1 = cluster.raw("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/h");
    assert_eq!(
        (
            v1["spec"]["maxReplicas"].clone(),
            v1["spec"]["targetCPUUtilizationPercentage"].clone()
        ),
        (5.into(), 70.into())
    );
}

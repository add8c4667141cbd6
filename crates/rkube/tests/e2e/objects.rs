//! The everyday kubectl commands on stored objects.

use crate::support::{fixture, Cluster};

fn with_namespace(name: &str) -> Cluster {
    let cluster = Cluster::start();
    cluster.namespace(name);
    cluster
}

/// The typed `kubectl create` commands, `kubectl run` and `kubectl expose` send
/// protobuf request bodies (application/vnd.kubernetes.protobuf).
#[test]
fn kubectl_create_typed_commands() {
    let cluster = Cluster::start();
    let ns = "typed";
    let get = |object: &str, name: &str, path: &str| cluster.jsonpath(ns, object, name, path);
    cluster.ok(&["create", "namespace", ns]);
    assert_eq!(get("namespace", ns, "{.status.phase}"), "Active");

    cluster.ok(&["create", "configmap", "c", "-n", ns, "--from-literal=a=b"]);
    assert_eq!(get("configmap", "c", "{.data.a}"), "b");
    cluster.ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        ns,
        "--from-literal=x=y",
    ]);
    assert_eq!(get("secret", "s", "{.data.x}"), "eQ==");
    assert_eq!(get("secret", "s", "{.type}"), "Opaque");
    cluster.ok(&["create", "serviceaccount", "sa", "-n", ns]);
    assert_eq!(get("serviceaccount", "sa", "{.metadata.name}"), "sa");

    // A pointer field sent as zero stays zero; an unset one is defaulted.
    cluster.ok(&[
        "create",
        "deployment",
        "zero",
        "-n",
        ns,
        "--image=busybox",
        "--replicas=0",
    ]);
    assert_eq!(get("deployment", "zero", "{.spec.replicas}"), "0");
    cluster.ok(&[
        "create",
        "deployment",
        "d",
        "-n",
        ns,
        "--image=busybox",
        "--replicas=3",
        "--port=8080",
    ]);
    assert_eq!(get("deployment", "d", "{.spec.replicas}"), "3");
    assert_eq!(
        get(
            "deployment",
            "d",
            "{.spec.template.spec.containers[0].image}"
        ),
        "busybox"
    );
    assert_eq!(
        get("deployment", "d", "{.spec.selector.matchLabels.app}"),
        "d"
    );
    assert_eq!(
        get("deployment", "d", "{.spec.strategy.type}"),
        "RollingUpdate"
    );

    cluster.ok(&[
        "create",
        "service",
        "clusterip",
        "s",
        "-n",
        ns,
        "--tcp=80:8080",
    ]);
    assert_eq!(get("service", "s", "{.spec.ports[0].port}"), "80");
    assert_eq!(get("service", "s", "{.spec.ports[0].targetPort}"), "8080");
    assert_eq!(get("service", "s", "{.spec.type}"), "ClusterIP");
    assert!(!get("service", "s", "{.spec.clusterIP}").is_empty());
    cluster.ok(&[
        "expose",
        "deployment",
        "d",
        "-n",
        ns,
        "--port=80",
        "--target-port=8080",
    ]);
    assert_eq!(get("service", "d", "{.spec.selector.app}"), "d");
    assert_eq!(get("service", "d", "{.spec.ports[0].targetPort}"), "8080");

    // PriorityClass.value is not omitempty upstream: a zero is sent and kept.
    cluster.ok(&["create", "priorityclass", "p", "--value=0"]);
    assert_eq!(get("priorityclass", "p", "{.value}"), "0");

    cluster.ok(&["create", "job", "j", "-n", ns, "--image=busybox"]);
    assert_eq!(
        get("job", "j", "{.spec.template.spec.restartPolicy}"),
        "Never"
    );
    cluster.ok(&[
        "create",
        "cronjob",
        "cj",
        "-n",
        ns,
        "--image=busybox",
        "--schedule=*/5 * * * *",
    ]);
    assert_eq!(get("cronjob", "cj", "{.spec.schedule}"), "*/5 * * * *");
    assert_eq!(
        get(
            "cronjob",
            "cj",
            "{.spec.jobTemplate.spec.template.spec.restartPolicy}"
        ),
        "OnFailure"
    );

    cluster.ok(&[
        "create",
        "role",
        "r",
        "-n",
        ns,
        "--verb=get,list",
        "--resource=pods",
    ]);
    assert_eq!(get("role", "r", "{.rules[0].verbs}"), r#"["get","list"]"#);
    assert_eq!(get("role", "r", "{.rules[0].apiGroups}"), r#"[""]"#);
    cluster.ok(&[
        "create",
        "rolebinding",
        "rb",
        "-n",
        ns,
        "--role=r",
        "--user=alice",
    ]);
    assert_eq!(get("rolebinding", "rb", "{.roleRef.name}"), "r");
    assert_eq!(get("rolebinding", "rb", "{.subjects[0].name}"), "alice");
    cluster.ok(&[
        "create",
        "clusterrole",
        "cr",
        "--verb=get",
        "--resource=nodes",
    ]);
    assert_eq!(
        get("clusterrole", "cr", "{.rules[0].resources[0]}"),
        "nodes"
    );
    cluster.ok(&[
        "create",
        "clusterrolebinding",
        "crb",
        "--clusterrole=cr",
        "--group=devs",
    ]);
    assert_eq!(
        get("clusterrolebinding", "crb", "{.subjects[0].name}"),
        "devs"
    );

    cluster.ok(&["create", "quota", "q", "-n", ns, "--hard=pods=2,cpu=1"]);
    assert_eq!(get("resourcequota", "q", "{.spec.hard.pods}"), "2");
    assert_eq!(get("resourcequota", "q", "{.spec.hard.cpu}"), "1");
    cluster.ok(&[
        "create",
        "poddisruptionbudget",
        "pdb",
        "-n",
        ns,
        "--selector=app=d",
        "--min-available=1",
    ]);
    assert_eq!(
        get("poddisruptionbudget", "pdb", "{.spec.minAvailable}"),
        "1"
    );
    cluster.ok(&[
        "create",
        "ingress",
        "ing",
        "-n",
        ns,
        "--rule=foo.com/bar=s:80",
    ]);
    assert_eq!(get("ingress", "ing", "{.spec.rules[0].host}"), "foo.com");
    assert_eq!(
        get(
            "ingress",
            "ing",
            "{.spec.rules[0].http.paths[0].backend.service.port.number}"
        ),
        "80"
    );

    // The quota limits cpu, so ResourceQuota admission would refuse a pod
    // without a cpu request (as upstream): it has been checked, remove it.
    cluster.ok(&["delete", "quota", "q", "-n", ns]);
    cluster.ok(&["run", "p", "-n", ns, "--image=busybox", "--restart=Never"]);
    assert_eq!(get("pod", "p", "{.spec.restartPolicy}"), "Never");
    assert_eq!(get("pod", "p", "{.spec.containers[0].image}"), "busybox");
    assert_eq!(get("pod", "p", "{.metadata.labels.run}"), "p");
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
        crate::support::without_root_ca(&cluster.ok(&["get", "cm", "-n", "team-a", "-o", "name"]))
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
        crate::support::without_root_ca(&cluster.ok(&[
            "get",
            "deploy,svc,cm,secret",
            "-n",
            "shop",
            "-o",
            "name"
        ])),
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
        crate::support::without_root_ca(&cluster.ok(&[
            "get",
            "cm,secret",
            "-n",
            "doomed",
            "-o",
            "name"
        ])),
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

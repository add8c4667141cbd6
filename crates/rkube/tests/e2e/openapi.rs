//! Aggregated discovery and the OpenAPI documents, through the real kubectl
//! (the linked 1.32 and the versioned 1.33 copy beside it) and curl.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::support::{run, Cluster, Run};

const AGGREGATED_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
const PROTOBUF_V2: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// The kubectl binaries to drive: the one on PATH (1.32) and 1.33 beside its
/// link target, when it is there.
fn kubectls() -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("kubectl")];
    let linked = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v kubectl)\""])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(dir) = linked.as_deref().and_then(|p| p.parent()) {
        let versioned = dir.join("kubectl.1.33");
        if versioned.exists() {
            out.push(versioned);
        }
    }
    out
}

/// Runs `binary` against the cluster, with a cache directory of its own.
fn kubectl_with(cluster: &Cluster, binary: &PathBuf, args: &[&str]) -> Run {
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("KUBECONFIG", cluster.kubeconfig())
        .env(
            "KUBECACHEDIR",
            cluster.dir.path().join(format!("cache-{name}")),
        );
    run(&mut command, None, Duration::from_secs(60))
}

#[track_caller]
fn ok_with(cluster: &Cluster, binary: &PathBuf, args: &[&str]) -> String {
    let out = kubectl_with(cluster, binary, args);
    assert!(
        out.success,
        "{} {} failed:\n{}{}",
        binary.display(),
        args.join(" "),
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr.trim().is_empty(),
        "{} {} wrote to stderr:\n{}",
        binary.display(),
        args.join(" "),
        out.stderr
    );
    out.stdout
}

/// A response seen by curl: status, headers (lower-case names) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// GET `path` with the admin certificate and these request headers.
fn get(cluster: &Cluster, path: &str, headers: &[(&str, &str)]) -> Answer {
    let tls = cluster.dir.path().join("tls");
    let head = cluster.dir.path().join("curl-headers");
    let body = cluster.dir.path().join("curl-body");
    // curl leaves the file alone when the answer has no body.
    let _ = std::fs::remove_file(&body);
    let mut command = Command::new("curl");
    command
        .args(["-s", "--max-time", "30", "-D"])
        .arg(&head)
        .arg("-o")
        .arg(&body)
        .arg("--cacert")
        .arg(tls.join("ca.crt"))
        .arg("--cert")
        .arg(tls.join("admin.crt"))
        .arg("--key")
        .arg(tls.join("admin.key"));
    for (name, value) in headers {
        command.args(["-H", &format!("{name}: {value}")]);
    }
    command.arg(format!("https://127.0.0.1:{}{path}", cluster.port));
    let out = run(&mut command, None, Duration::from_secs(40));
    assert!(out.success, "curl {path}: {}", out.stderr);
    let head = std::fs::read_to_string(&head).expect("headers");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: std::fs::read(&body).unwrap_or_default(),
    }
}

#[test]
fn aggregated_discovery_carries_its_media_type_and_etag() {
    let cluster = Cluster::start();
    for (path, groups) in [("/api", 1), ("/apis", 2)] {
        let answer = get(
            &cluster,
            path,
            &[("Accept", &format!("{AGGREGATED_V2},application/json"))],
        );
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-type"), Some(AGGREGATED_V2));
        let doc = answer.json();
        assert_eq!(doc["kind"], "APIGroupDiscoveryList");
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
        assert!(doc["items"].as_array().unwrap().len() >= groups, "{doc}");
        let etag = answer.header("etag").expect("etag").to_string();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let again = get(
            &cluster,
            path,
            &[("Accept", AGGREGATED_V2), ("If-None-Match", &etag)],
        );
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        let changed = get(
            &cluster,
            path,
            &[("Accept", AGGREGATED_V2), ("If-None-Match", "\"other\"")],
        );
        assert_eq!(changed.status, 200);
    }
    let core = get(&cluster, "/api", &[("Accept", AGGREGATED_V2)]).json();
    let pods = core["items"][0]["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "pods")
        .cloned()
        .unwrap();
    assert_eq!(pods["shortNames"], serde_json::json!(["po"]));
    assert_eq!(pods["categories"], serde_json::json!(["all"]));
    assert_eq!(pods["scope"], "Namespaced");
    assert_eq!(pods["subresources"][0]["subresource"], "status");

    let beta = get(&cluster, "/apis", &[("Accept", AGGREGATED_V2BETA1)]);
    assert_eq!(beta.header("content-type"), Some(AGGREGATED_V2BETA1));
    assert_eq!(beta.json()["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    // Without asking, the legacy documents.
    let legacy = get(&cluster, "/api", &[("Accept", "application/json")]);
    assert_eq!(legacy.header("content-type"), Some("application/json"));
    assert_eq!(legacy.json()["kind"], "APIVersions");
    assert_eq!(get(&cluster, "/apis", &[]).json()["kind"], "APIGroupList");
}

#[test]
fn api_resources_shows_short_names_verbs_and_categories() {
    let cluster = Cluster::start();
    for kubectl in kubectls() {
        let wide = ok_with(&cluster, &kubectl, &["api-resources", "-o", "wide"]);
        let line = |name: &str, api_version: &str| {
            wide.lines()
                .find(|l| l.starts_with(&format!("{name} ")) && l.contains(api_version))
                .unwrap_or_else(|| panic!("{name} missing:\n{wide}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            line("deployments", "apps/v1"),
            "deployments deploy apps/v1 true Deployment create,delete,deletecollection,get,list,patch,update,watch all"
        );
        assert_eq!(
            line("namespaces", "v1"),
            "namespaces ns v1 false Namespace create,delete,get,list,patch,update,watch"
        );
        assert_eq!(
            line("horizontalpodautoscalers", "autoscaling/v2"),
            "horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler create,delete,deletecollection,get,list,patch,update,watch all"
        );
        assert!(line("events", "events.k8s.io/v1").contains(" ev "));

        let apps = ok_with(
            &cluster,
            &kubectl,
            &["api-resources", "--api-group=apps", "-o", "name"],
        );
        let mut names: Vec<&str> = apps.lines().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "controllerrevisions.apps",
                "daemonsets.apps",
                "deployments.apps",
                "replicasets.apps",
                "statefulsets.apps"
            ]
        );
        let cluster_scoped = ok_with(
            &cluster,
            &kubectl,
            &["api-resources", "--namespaced=false", "-o", "name"],
        );
        for expected in [
            "namespaces",
            "nodes",
            "persistentvolumes",
            "clusterroles.rbac.authorization.k8s.io",
            "storageclasses.storage.k8s.io",
        ] {
            assert!(
                cluster_scoped.lines().any(|l| l == expected),
                "{expected}:\n{cluster_scoped}"
            );
        }
        assert!(
            !cluster_scoped.lines().any(|l| l == "pods"),
            "{cluster_scoped}"
        );
    }
}

#[test]
fn get_all_lists_the_all_category() {
    let cluster = Cluster::start();
    cluster.namespace("every");
    cluster.configmap("every", "settings", &[("a", "b")]);
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: every\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: every\nspec:\n  ports:\n  - port: 80\n",
    );
    for kubectl in kubectls() {
        let all = ok_with(
            &cluster,
            &kubectl,
            &["get", "all", "-n", "every", "-o", "name"],
        );
        assert!(all.lines().any(|l| l == "deployment.apps/web"), "{all}");
        assert!(all.lines().any(|l| l == "service/web"), "{all}");
        assert!(!all.contains("configmap"), "{all}");
    }
}

#[test]
fn explain_shows_upstream_fields_and_types() {
    let cluster = Cluster::start();
    for kubectl in kubectls() {
        let containers = ok_with(
            &cluster,
            &kubectl,
            &["explain", "pods.spec.containers", "--recursive"],
        );
        assert!(
            containers.contains("FIELD: containers <[]Container>"),
            "{containers}"
        );
        assert!(
            containers.contains("List of containers belonging to the pod."),
            "{containers}"
        );
        for field in [
            "  ports\t<[]ContainerPort>",
            "    containerPort\t<integer> -required-",
            "  name\t<string> -required-",
            "  resources\t<ResourceRequirements>",
            "        port\t<IntOrString> -required-",
        ] {
            assert!(
                containers.contains(field),
                "{field:?} missing:\n{containers}"
            );
        }
        let strategy = ok_with(&cluster, &kubectl, &["explain", "deployment.spec.strategy"]);
        assert!(strategy.contains("GROUP:      apps"), "{strategy}");
        assert!(
            strategy.contains("FIELD: strategy <DeploymentStrategy>"),
            "{strategy}"
        );
        assert!(
            strategy.contains("rollingUpdate\t<RollingUpdateDeployment>"),
            "{strategy}"
        );
        assert!(strategy.contains("Recreate, RollingUpdate"), "{strategy}");
        let service = ok_with(&cluster, &kubectl, &["explain", "svc", "--api-version=v1"]);
        assert!(service.contains("KIND:       Service"), "{service}");
        assert!(service.contains("spec\t<ServiceSpec>"), "{service}");
        assert!(
            service.contains("Service is a named abstraction of software service"),
            "{service}"
        );
        // The v2 document, which kubectl reads as protobuf.
        let v2 = ok_with(
            &cluster,
            &kubectl,
            &[
                "explain",
                "deployments.spec.template.spec",
                "--output=plaintext-openapiv2",
            ],
        );
        assert!(v2.contains("RESOURCE: spec <Object>"), "{v2}");
        assert!(v2.contains("containers\t<[]Object> -required-"), "{v2}");
    }
}

#[test]
fn apply_computes_patches_from_the_openapi_merge_keys() {
    let cluster = Cluster::start();
    cluster.namespace("merge");
    let manifest = |value: &str, image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: merge\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: {image}\n        env:\n        - {{name: MODE, value: \"{value}\"}}\n        ports:\n        - containerPort: 80\n"
        )
    };
    for (round, kubectl) in kubectls().iter().enumerate() {
        let file = cluster.file("web.yaml", &manifest(&format!("v{round}"), "nginx"));
        let file = file.to_string_lossy().into_owned();
        ok_with(&cluster, kubectl, &["apply", "-f", &file]);
        // A field set by someone else survives apply only if the patch merges
        // the env list by its key instead of replacing it.
        cluster.ok(&[
            "set",
            "env",
            "deployment/web",
            "-n",
            "merge",
            &format!("EXTRA{round}=yes"),
        ]);
        let file = cluster.file("web.yaml", &manifest(&format!("w{round}"), "nginx:2"));
        let out = kubectl_with(
            &cluster,
            kubectl,
            &["apply", "-f", &file.to_string_lossy(), "-v=6"],
        );
        assert!(out.success, "{}", out.stderr);
        assert!(
            out.stderr.contains("/openapi/v3/apis/apps/v1?hash="),
            "the patch was not computed from the v3 document:\n{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("Warning:") && !out.stderr.contains("error calculating patch"),
            "{}",
            out.stderr
        );
        let env = cluster.jsonpath(
            "merge",
            "deployment",
            "web",
            "{range .spec.template.spec.containers[0].env[*]}{.name}={.value} {end}",
        );
        assert!(env.contains(&format!("MODE=w{round}")), "{env}");
        assert!(env.contains(&format!("EXTRA{round}=yes")), "{env}");
        ok_with(
            &cluster,
            kubectl,
            &["delete", "deployment", "web", "-n", "merge"],
        );
    }
}

#[test]
fn openapi_documents_are_cached_by_hash() {
    let cluster = Cluster::start();
    let index = get(&cluster, "/openapi/v3", &[]);
    assert_eq!(index.status, 200);
    let index = index.json();
    let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("apps/v1 in the index")
        .to_string();
    assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="), "{url}");
    assert!(index["paths"]["api/v1"].is_object());

    let document = get(&cluster, &url, &[]);
    assert_eq!(document.status, 200);
    assert_eq!(document.header("cache-control"), Some("public, immutable"));
    let etag = document.header("etag").expect("etag").to_string();
    let body = document.json();
    assert_eq!(body["openapi"], "3.0.0");
    let deployment = &body["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"][0]["kind"],
        "Deployment"
    );
    // Without the hash: no immutable caching, but the ETag still answers 304.
    let plain = get(
        &cluster,
        "/openapi/v3/apis/apps/v1",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(plain.status, 304);
    assert_eq!(plain.header("cache-control"), None);
    // A stale hash is sent to the current one.
    let stale = get(&cluster, "/openapi/v3/apis/apps/v1?hash=0", &[]);
    assert_eq!(stale.status, 301);
    assert_eq!(stale.header("location"), Some(url.as_str()));
    assert_eq!(get(&cluster, "/openapi/v3/apis/nope/v1", &[]).status, 404);

    let swagger = get(&cluster, "/openapi/v2", &[("Accept", "application/json")]);
    assert_eq!(swagger.status, 200);
    assert_eq!(swagger.json()["swagger"], "2.0");
    let protobuf = get(&cluster, "/openapi/v2", &[("Accept", PROTOBUF_V2)]);
    assert_eq!(protobuf.status, 200);
    assert_eq!(
        protobuf.header("content-type"),
        Some("application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
    );
    // Field 1 (swagger), length 3, "2.0".
    assert_eq!(&protobuf.body[..5], b"\x0a\x032.0");
    let etag = protobuf.header("etag").expect("etag").to_string();
    let again = get(
        &cluster,
        "/openapi/v2",
        &[("Accept", PROTOBUF_V2), ("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
}

#[test]
fn swagger_carries_custom_resources_while_their_definition_exists() {
    let cluster = crate::crd::with_crd();
    let swagger = get(&cluster, "/openapi/v2", &[("Accept", "application/json")]);
    assert_eq!(swagger.status, 200);
    let etag = swagger.header("etag").expect("etag").to_string();
    let doc = swagger.json();
    let widget = &doc["definitions"]["com.example.v1.Widget"];
    assert_eq!(
        widget["x-kubernetes-group-version-kind"],
        serde_json::json!([{"group": "example.com", "version": "v1", "kind": "Widget"}])
    );
    assert_eq!(
        widget["properties"]["spec"]["properties"]["size"]["type"],
        "integer"
    );
    assert_eq!(
        widget["properties"]["metadata"]["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert_eq!(
        doc["definitions"]["com.example.v1.WidgetList"]["x-kubernetes-group-version-kind"][0]
            ["kind"],
        "WidgetList"
    );
    assert!(doc["definitions"]["com.example.v1beta1.Widget"].is_object());
    let path = &doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"];
    assert_eq!(
        path["get"]["responses"]["200"]["schema"]["$ref"],
        "#/definitions/com.example.v1.Widget"
    );
    assert!(
        doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/scale"]
            .is_object()
    );
    // The protobuf form carries it too, and kubectl still reads both.
    let protobuf = get(&cluster, "/openapi/v2", &[("Accept", PROTOBUF_V2)]);
    assert_eq!(protobuf.status, 200);
    assert!(
        protobuf
            .body
            .windows(21)
            .any(|w| w == b"com.example.v1.Widget"),
        "no Widget definition in the protobuf document"
    );
    for binary in kubectls() {
        let explained = ok_with(&cluster, &binary, &["explain", "widgets.spec"]);
        assert!(
            explained.contains("size") && explained.contains("<integer>"),
            "{explained}"
        );
        // kubectl's Swagger 2.0 reader (the protobuf document).
        let explained = ok_with(
            &cluster,
            &binary,
            &["explain", "widgets.spec", "--output=plaintext-openapiv2"],
        );
        assert!(
            explained.contains("size\t<integer> -required-"),
            "{explained}"
        );
        let explained = ok_with(&cluster, &binary, &["explain", "deployments.spec.replicas"]);
        assert!(explained.contains("<integer>"), "{explained}");
    }
    cluster.ok_stdin(
        &["apply", "--validate=strict", "-f", "-"],
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n",
    );

    // Deleting the definition takes it out, under a new entity tag.
    cluster.ok(&["delete", "crd", "widgets.example.com"]);
    crate::support::wait_until(
        "the CRD is gone from /openapi/v2",
        Duration::from_secs(30),
        || {
            let swagger = get(&cluster, "/openapi/v2", &[("Accept", "application/json")]);
            swagger.status == 200
                && swagger.json()["definitions"]["com.example.v1.Widget"].is_null()
        },
    );
    let swagger = get(&cluster, "/openapi/v2", &[("Accept", "application/json")]);
    assert_ne!(swagger.header("etag"), Some(etag.as_str()));
    assert!(
        swagger.json()["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets"].is_null()
    );
    assert!(swagger.json()["definitions"]["io.k8s.api.apps.v1.Deployment"].is_object());
}

#[test]
fn token_requests_are_in_discovery() {
    let cluster = Cluster::start();
    let legacy = get(&cluster, "/api/v1", &[("Accept", "application/json")]).json();
    let token = legacy["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "serviceaccounts/token")
        .cloned()
        .expect("serviceaccounts/token in /api/v1");
    assert_eq!(
        token,
        serde_json::json!({
            "name": "serviceaccounts/token",
            "singularName": "",
            "namespaced": true,
            "group": "authentication.k8s.io",
            "version": "v1",
            "kind": "TokenRequest",
            "verbs": ["create"],
        })
    );
    let aggregated = get(&cluster, "/api", &[("Accept", AGGREGATED_V2)]).json();
    let accounts = aggregated["items"][0]["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "serviceaccounts")
        .cloned()
        .unwrap();
    let token = accounts["subresources"]
        .as_array()
        .expect("subresources of serviceaccounts")
        .iter()
        .find(|s| s["subresource"] == "token")
        .cloned()
        .expect("token subresource");
    assert_eq!(
        token,
        serde_json::json!({
            "subresource": "token",
            "responseKind": {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"},
            "verbs": ["create"],
        })
    );
    // kubectl finds it and makes a token for the default service account.
    crate::support::wait_until(
        "the default service account",
        Duration::from_secs(30),
        || {
            cluster
                .kubectl(&["get", "serviceaccount", "default"])
                .success
        },
    );
    let token = cluster.ok(&["create", "token", "default"]);
    assert_eq!(token.trim().split('.').count(), 3, "{token}");
}

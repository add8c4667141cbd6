//! Endpoints, EndpointSlices and PodDisruptionBudget status, through the real
//! kubectl on `rkube server --hollow-nodes 2`: services expose their pods'
//! IPs and resolved ports, and budgets show (and make `kubectl drain` keep)
//! how many pods may be disrupted.

use std::time::Duration;

use serde_json::Value;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(40);

fn get_json(cluster: &Cluster, args: &[&str]) -> Option<Value> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", "json"]);
    let run = cluster.kubectl(&all);
    if !run.success {
        return None;
    }
    serde_json::from_str(&run.stdout).ok()
}

/// `ip:port` of every ready address of an Endpoints object, sorted.
fn ready_endpoints(cluster: &Cluster, name: &str) -> Vec<String> {
    let Some(endpoints) = get_json(cluster, &["get", "endpoints", name]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for subset in endpoints["subsets"].as_array().into_iter().flatten() {
        for address in subset["addresses"].as_array().into_iter().flatten() {
            for port in subset["ports"].as_array().into_iter().flatten() {
                out.push(format!(
                    "{}:{}",
                    address["ip"].as_str().unwrap_or_default(),
                    port["port"]
                ));
            }
        }
    }
    out.sort();
    out
}

/// The slices of a service.
fn slices(cluster: &Cluster, service: &str) -> Vec<Value> {
    let selector = format!("kubernetes.io/service-name={service}");
    get_json(cluster, &["get", "endpointslices", "-l", &selector])
        .and_then(|list| list["items"].as_array().cloned())
        .unwrap_or_default()
}

/// Addresses of every ready endpoint in the slices of a service, sorted.
fn slice_addresses(cluster: &Cluster, service: &str) -> Vec<String> {
    let mut out: Vec<String> = slices(cluster, service)
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["conditions"]["ready"] == Value::Bool(true))
        .filter_map(|e| e["addresses"][0].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

fn pod_ips(cluster: &Cluster, selector: &str) -> Vec<String> {
    let out = cluster.ok(&[
        "get",
        "pods",
        "-l",
        selector,
        "-o",
        "jsonpath={range .items[*]}{.status.podIP}{\"\\n\"}{end}",
    ]);
    let mut ips: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    ips.sort();
    ips
}

#[test]
fn exposed_deployment_gets_endpoints_and_slices_that_follow_scaling() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "2"]);
    cluster.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=2",
        "--port=8080",
    ]);
    cluster.ok(&[
        "expose",
        "deployment",
        "web",
        "--port=80",
        "--target-port=8080",
    ]);
    wait_until("2 ready endpoints", WAIT, || {
        ready_endpoints(&cluster, "web").len() == 2
    });
    let ips = pod_ips(&cluster, "app=web");
    let expected: Vec<String> = ips.iter().map(|ip| format!("{ip}:8080")).collect();
    assert_eq!(ready_endpoints(&cluster, "web"), expected);
    // kubectl's table shows them as ip:port.
    let table = cluster.ok(&["get", "endpoints", "web"]);
    assert!(table.contains(&format!("{}:8080", ips[0])), "{table}");
    let endpoints = get_json(&cluster, &["get", "endpoints", "web"]).expect("endpoints");
    assert!(
        endpoints["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
            .is_string(),
        "{endpoints}"
    );
    assert_eq!(endpoints["metadata"]["labels"]["app"], "web");
    assert_eq!(
        endpoints["metadata"]["labels"]["endpoints.kubernetes.io/managed-by"],
        "endpoint-controller"
    );
    let address = &endpoints["subsets"][0]["addresses"][0];
    assert_eq!(address["targetRef"]["kind"], "Pod");
    assert!(address["nodeName"].is_string(), "{address}");

    // One slice, owned by the service, with both pods ready and serving.
    wait_until("the slice with 2 endpoints", WAIT, || {
        slice_addresses(&cluster, "web") == ips
    });
    let all = slices(&cluster, "web");
    assert_eq!(all.len(), 1);
    let slice = &all[0];
    assert!(slice["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("web-") && n.len() == "web-".len() + 5));
    assert_eq!(slice["addressType"], "IPv4");
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(slice["metadata"]["ownerReferences"][0]["kind"], "Service");
    assert_eq!(slice["metadata"]["ownerReferences"][0]["name"], "web");
    assert_eq!(slice["ports"][0]["port"], 8080);
    let endpoint = &slice["endpoints"][0];
    assert_eq!(endpoint["conditions"]["serving"], true);
    assert_eq!(endpoint["conditions"]["terminating"], false);
    assert_eq!(endpoint["targetRef"]["kind"], "Pod");
    assert!(endpoint["nodeName"].is_string());
    let table = cluster.ok(&[
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=web",
    ]);
    assert!(table.contains("IPv4") && table.contains("8080"), "{table}");
    let slice_name = slice["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // Scaling up and down changes both, in the same slice.
    cluster.ok(&["scale", "deployment", "web", "--replicas=3"]);
    wait_until("3 ready endpoints", WAIT, || {
        ready_endpoints(&cluster, "web").len() == 3 && slice_addresses(&cluster, "web").len() == 3
    });
    cluster.ok(&["scale", "deployment", "web", "--replicas=1"]);
    wait_until("1 ready endpoint", WAIT, || {
        ready_endpoints(&cluster, "web").len() == 1 && slice_addresses(&cluster, "web").len() == 1
    });
    assert_eq!(ready_endpoints(&cluster, "web"), {
        let ips = pod_ips(&cluster, "app=web");
        ips.iter()
            .map(|ip| format!("{ip}:8080"))
            .collect::<Vec<_>>()
    });
    let all = slices(&cluster, "web");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["metadata"]["name"], slice_name.as_str());

    // Deleting the service deletes its Endpoints and (by owner) its slices.
    cluster.ok(&["delete", "service", "web"]);
    wait_until("endpoints and slices gone", WAIT, || {
        !cluster.kubectl(&["get", "endpoints", "web"]).success && slices(&cluster, "web").is_empty()
    });
}

const NAMED_PORTS: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: alpha
  labels: {app: named}
spec:
  hostname: alpha
  subdomain: named-headless
  containers:
  - name: c
    image: nginx
    ports:
    - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Pod
metadata:
  name: beta
  labels: {app: named}
spec:
  containers:
  - name: c
    image: nginx
    ports:
    - {name: http, containerPort: 9090}
---
apiVersion: v1
kind: Service
metadata:
  name: named
  labels: {team: blue}
spec:
  selector: {app: named}
  ports:
  - {name: web, port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: named-headless
spec:
  clusterIP: None
  selector: {app: named}
  ports:
  - {name: web, port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: manual
spec:
  ports:
  - {port: 80}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: manual
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 80}]
"#;

#[test]
fn named_target_ports_headless_services_and_user_managed_endpoints() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "2"]);
    cluster.ok_stdin(&["apply", "-f", "-"], NAMED_PORTS);
    let alpha_ip = || cluster.jsonpath("default", "pod", "alpha", "{.status.podIP}");
    let beta_ip = || cluster.jsonpath("default", "pod", "beta", "{.status.podIP}");
    wait_until("both pods in the endpoints", WAIT, || {
        ready_endpoints(&cluster, "named").len() == 2
    });
    // The name resolves per pod: two subsets, one per port number.
    let mut expected = vec![
        format!("{}:8080", alpha_ip()),
        format!("{}:9090", beta_ip()),
    ];
    expected.sort();
    assert_eq!(ready_endpoints(&cluster, "named"), expected);
    let endpoints = get_json(&cluster, &["get", "endpoints", "named"]).expect("endpoints");
    assert_eq!(endpoints["subsets"].as_array().map(Vec::len), Some(2));
    assert_eq!(endpoints["subsets"][0]["ports"][0]["name"], "web");
    assert_eq!(endpoints["metadata"]["labels"]["team"], "blue");
    assert!(endpoints["metadata"]["labels"]
        .get("service.kubernetes.io/headless")
        .is_none());
    // Slices: one per distinct set of resolved ports.
    wait_until("two slices", WAIT, || {
        slices(&cluster, "named").len() == 2 && slice_addresses(&cluster, "named").len() == 2
    });
    let mut ports: Vec<i64> = slices(&cluster, "named")
        .iter()
        .filter_map(|s| s["ports"][0]["port"].as_i64())
        .collect();
    ports.sort();
    assert_eq!(ports, [8080, 9090]);

    // The headless service: labelled, and alpha's hostname published.
    wait_until("headless endpoints", WAIT, || {
        ready_endpoints(&cluster, "named-headless").len() == 2
    });
    let headless = get_json(&cluster, &["get", "endpoints", "named-headless"]).expect("endpoints");
    assert_eq!(
        headless["metadata"]["labels"]["service.kubernetes.io/headless"],
        ""
    );
    let hostnames: Vec<&str> = headless["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["hostname"].as_str().map(|_| "x"))
        .collect();
    assert_eq!(hostnames.len(), 1, "{headless}");
    let alpha_entry = headless["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .find(|a| a["hostname"] == "alpha")
        .expect("alpha's hostname");
    assert_eq!(alpha_entry["ip"], alpha_ip().as_str());
    wait_until("headless slices", WAIT, || {
        slice_addresses(&cluster, "named-headless").len() == 2
    });
    let headless_slices = slices(&cluster, "named-headless");
    assert_eq!(
        headless_slices[0]["metadata"]["labels"]["service.kubernetes.io/headless"],
        ""
    );
    assert!(headless_slices
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .any(|e| e["hostname"] == "alpha"));

    // A pod deleted leaves the endpoints.
    cluster.ok(&["delete", "pod", "beta", "--wait=false"]);
    wait_until("beta gone from the endpoints", WAIT, || {
        ready_endpoints(&cluster, "named") == [format!("{}:8080", alpha_ip())]
    });
    wait_until("beta gone from the slices", WAIT, || {
        slice_addresses(&cluster, "named") == [alpha_ip()]
    });

    // A numeric target port: alpha alone on 7070, in one of the slices
    // there were (the other is deleted).
    let before: Vec<String> = slices(&cluster, "named")
        .iter()
        .filter_map(|s| s["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    cluster.ok(&[
        "patch",
        "service",
        "named",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/ports/0/targetPort","value":7070}]"#,
    ]);
    wait_until("the endpoints on 7070", WAIT, || {
        ready_endpoints(&cluster, "named") == [format!("{}:7070", alpha_ip())]
    });
    wait_until("one slice on 7070", WAIT, || {
        let all = slices(&cluster, "named");
        all.len() == 1 && all[0]["ports"][0]["port"] == 7070
    });
    let after = slices(&cluster, "named");
    let name = after[0]["metadata"]["name"].as_str().unwrap_or_default();
    assert!(before.iter().any(|b| b == name), "{before:?} {name}");

    // The selector-less service keeps the Endpoints its user wrote.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(ready_endpoints(&cluster, "manual"), ["192.0.2.10:80"]);
    assert!(slices(&cluster, "manual").is_empty());
}

fn pdb_status(cluster: &Cluster) -> Value {
    get_json(cluster, &["get", "pdb", "web"]).map_or(Value::Null, |p| p["status"].clone())
}

/// The ALLOWED DISRUPTIONS cell of `kubectl get pdb web`.
fn allowed_disruptions(cluster: &Cluster) -> String {
    let out = cluster.ok(&["get", "pdb", "web"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let column = header.iter().position(|h| *h == "ALLOWED DISRUPTIONS");
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    column
        .and_then(|c| row.get(c))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

#[test]
fn disruption_budget_status_and_drain() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "2"]);
    cluster.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=2",
    ]);
    cluster.ok(&[
        "create",
        "pdb",
        "web",
        "--selector=app=web",
        "--min-available=2",
    ]);
    wait_until("2 healthy pods in the budget", WAIT, || {
        let status = pdb_status(&cluster);
        status["currentHealthy"] == 2 && status["observedGeneration"] == 1
    });
    let status = pdb_status(&cluster);
    assert_eq!(status["desiredHealthy"], 2);
    assert_eq!(status["expectedPods"], 2);
    assert_eq!(status["disruptionsAllowed"], 0);
    assert_eq!(status["conditions"][0]["type"], "DisruptionAllowed");
    assert_eq!(status["conditions"][0]["status"], "False");
    assert_eq!(status["conditions"][0]["reason"], "InsufficientPods");
    assert_eq!(allowed_disruptions(&cluster), "0");

    // No disruption allowed: drain cannot evict and gives up.
    let node = cluster.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[0].spec.nodeName}",
    ]);
    assert!(!node.is_empty());
    let run = cluster.kubectl(&["drain", &node, "--ignore-daemonsets", "--timeout=8s"]);
    assert!(!run.success, "{}", run.stdout);
    assert!(
        run.stderr.contains("disruption budget") || run.stdout.contains("disruption budget"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        cluster
            .ok(&["get", "pods", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        2
    );
    cluster.ok(&["uncordon", &node]);

    // maxUnavailable 50% of the deployment's 2 replicas: one may go.
    cluster.ok(&[
        "patch",
        "pdb",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"minAvailable":null,"maxUnavailable":"50%"}}"#,
    ]);
    wait_until("one disruption allowed", WAIT, || {
        let status = pdb_status(&cluster);
        status["disruptionsAllowed"] == 1 && status["observedGeneration"] == 2
    });
    let status = pdb_status(&cluster);
    assert_eq!(status["expectedPods"], 2);
    assert_eq!(status["desiredHealthy"], 1);
    assert_eq!(status["conditions"][0]["reason"], "SufficientPods");
    assert_eq!(allowed_disruptions(&cluster), "1");

    // The deployment's scale counts, not the pods there are: 4 replicas
    // keep 2 (50% rounded up may be unavailable).
    cluster.ok(&["scale", "deployment", "web", "--replicas=4"]);
    wait_until("4 expected pods, 2 allowed", WAIT, || {
        let status = pdb_status(&cluster);
        status["expectedPods"] == 4
            && status["currentHealthy"] == 4
            && status["disruptionsAllowed"] == 2
    });
    cluster.ok(&["scale", "deployment", "web", "--replicas=2"]);
    wait_until("back to 2 pods", WAIT, || {
        let status = pdb_status(&cluster);
        status["expectedPods"] == 2
            && status["currentHealthy"] == 2
            && status["disruptionsAllowed"] == 1
    });

    // Now drain succeeds, one eviction at a time within the budget.
    let run = cluster.kubectl(&["drain", &node, "--ignore-daemonsets", "--timeout=60s"]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("evicted"), "{}", run.stdout);
    // The replacement lands on the other node; the budget recovers and
    // forgets the evicted pod.
    wait_until("the budget recovered", WAIT, || {
        let status = pdb_status(&cluster);
        status["currentHealthy"] == 2
            && status["disruptionsAllowed"] == 1
            && status
                .get("disruptedPods")
                .is_none_or(|d| d.as_object().is_none_or(|m| m.is_empty()))
    });
    let nodes = cluster.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].spec.nodeName}",
    ]);
    assert!(!nodes.split_whitespace().any(|n| n == node), "{nodes}");
}

const SCALABLE_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: pools.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: pools, singular: pool, kind: Pool}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {replicas: {type: integer}}}
          status: {type: object, properties: {replicas: {type: integer}}}
"#;

/// A pod controlled by the pool with this uid.
fn pool_pod(name: &str, uid: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: pool}}\n  ownerReferences:\n  - {{apiVersion: example.com/v1, kind: Pool, name: p1, uid: {uid}, controller: true}}\nspec:\n  containers:\n  - {{name: c, image: nginx}}\n"
    )
}

#[test]
fn disruption_budget_counts_custom_controllers_through_their_scale() {
    let cluster = Cluster::start_with(&["--hollow-nodes", "2"]);
    cluster.ok_stdin(&["apply", "-f", "-"], SCALABLE_CRD);
    wait_until("the pools resource", WAIT, || {
        cluster.kubectl(&["get", "pools"]).success
    });
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: example.com/v1\nkind: Pool\nmetadata:\n  name: p1\nspec:\n  replicas: 4\n",
    );
    let uid = cluster.jsonpath("default", "pool", "p1", "{.metadata.uid}");
    for name in ["pool-a", "pool-b"] {
        cluster.ok_stdin(&["apply", "-f", "-"], &pool_pod(name, &uid));
    }
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  maxUnavailable: 25%\n  selector:\n    matchLabels: {app: pool}\n",
    );
    // Scale 4 (not the 2 pods there are), 25% of 4 may be unavailable: 3
    // must stay healthy, and with 2 healthy none may go.
    wait_until("the pool's scale in the budget", WAIT, || {
        let status = pdb_status(&cluster);
        status["expectedPods"] == 4 && status["currentHealthy"] == 2
    });
    let status = pdb_status(&cluster);
    assert_eq!(status["desiredHealthy"], 3);
    assert_eq!(status["disruptionsAllowed"], 0);
    cluster.ok(&["scale", "pool", "p1", "--replicas=2"]);
    wait_until("scale 2: one may go", WAIT, || {
        let status = pdb_status(&cluster);
        status["expectedPods"] == 2
            && status["desiredHealthy"] == 1
            && status["disruptionsAllowed"] == 1
    });
    assert_eq!(allowed_disruptions(&cluster), "1");

    // A selected pod whose controller cannot be found: the budget cannot be
    // counted and fails safe.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        &pool_pod("pool-lost", "00000000-0000-0000-0000-000000000000")
            .replace("name: p1", "name: ghost"),
    );
    wait_until("the budget failing safe", WAIT, || {
        let status = pdb_status(&cluster);
        status["disruptionsAllowed"] == 0 && status["conditions"][0]["reason"] == "SyncFailed"
    });
    let status = pdb_status(&cluster);
    assert_eq!(status["conditions"][0]["status"], "False");
    assert!(
        status["conditions"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("found no controllers for pod")),
        "{status}"
    );
}

#[test]
fn terminating_pods_leave_endpoints_but_stay_in_slices_as_terminating() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {topology.kubernetes.io/zone: zone-a}\n",
    );
    // A pod on a node without kubelet: the test plays its status.
    cluster.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: held\n  labels: {app: held}\n  finalizers: [example.com/hold]\nspec:\n  nodeName: n1\n  containers:\n  - {name: c, image: nginx}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: held\nspec:\n  selector: {app: held}\n  ports:\n  - {port: 80, targetPort: 8080}\n",
    );
    let (code, body) = cluster.http().send(
        "PATCH",
        "/api/v1/namespaces/default/pods/held/status",
        "application/merge-patch+json",
        Some(
            br#"{"status":{"phase":"Running","podIP":"10.9.0.1","podIPs":[{"ip":"10.9.0.1"}],"conditions":[{"type":"Ready","status":"True"}]}}"#,
        ),
    );
    assert_eq!(code, 200, "{body}");
    wait_until("the pod in the endpoints", WAIT, || {
        ready_endpoints(&cluster, "held") == ["10.9.0.1:8080"]
    });
    wait_until("the pod in the slice", WAIT, || {
        slice_addresses(&cluster, "held") == ["10.9.0.1"]
    });
    let endpoint = slices(&cluster, "held")[0]["endpoints"][0].clone();
    assert_eq!(endpoint["zone"], "zone-a");
    assert_eq!(endpoint["nodeName"], "n1");

    // Deleted but held by its finalizer: terminating.
    cluster.ok(&["delete", "pod", "held", "--wait=false"]);
    wait_until("the pod out of the endpoints", WAIT, || {
        ready_endpoints(&cluster, "held").is_empty()
    });
    wait_until("the pod terminating in the slice", WAIT, || {
        let all = slices(&cluster, "held");
        let conditions = &all[0]["endpoints"][0]["conditions"];
        conditions["terminating"] == true
            && conditions["ready"] == false
            && conditions["serving"] == true
    });
}

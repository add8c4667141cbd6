//! Resource quota accounting shared by the API server's ResourceQuota admission
//! and the ResourceQuota controller, as upstream's `pkg/quota/v1` and its core
//! evaluators (`pkg/quota/v1/evaluator/core`): what an object uses of which
//! quota resource, which quota resources an object's kind is charged for,
//! whether a quota's scopes select an object, and the compute-resource
//! constraints a pod must meet when a quota tracks cpu or memory.
//!
//! Objects are the JSON of their storage version; quantities are
//! [`Quantity`] values and print in upstream's canonical form.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use crate::strategy::quantity::Quantity;

/// Quota resource name → amount.
pub type ResourceList = BTreeMap<String, Quantity>;

const NANOS: i128 = 1_000_000_000;

/// The canonical text of a quantity: binary suffixes (`Ki` .. `Ei`) for
/// memory-like resources whose value is a multiple of 1Ki, else the decimal
/// form upstream prints (`500m`, `2`, `1k`, `3G`).
pub fn format(name: &str, q: Quantity) -> String {
    let memory_like = name.contains("memory") || name.contains("storage");
    let n = q.0;
    if n == 0 {
        return "0".into();
    }
    let (sign, n) = if n < 0 { ("-", -n) } else { ("", n) };
    if n % NANOS == 0 {
        let whole = n / NANOS;
        if memory_like && whole % 1024 == 0 {
            let mut value = whole;
            let mut suffix = 0;
            while value % 1024 == 0 && suffix < 6 {
                value /= 1024;
                suffix += 1;
            }
            const BINARY: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            return format!("{sign}{value}{}", BINARY[suffix]);
        }
        let mut value = whole;
        let mut suffix = 0;
        while value % 1000 == 0 && suffix < 6 {
            value /= 1000;
            suffix += 1;
        }
        const DECIMAL: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
        return format!("{sign}{value}{}", DECIMAL[suffix]);
    }
    if n % 1_000_000 == 0 {
        format!("{sign}{}m", n / 1_000_000)
    } else if n % 1000 == 0 {
        format!("{sign}{}u", n / 1000)
    } else {
        format!("{sign}{n}n")
    }
}

/// A resource list as JSON (`{"pods": "2", "requests.cpu": "500m"}`).
pub fn to_json(list: &ResourceList) -> Value {
    Value::Object(
        list.iter()
            .map(|(name, q)| (name.clone(), Value::String(format(name, *q))))
            .collect(),
    )
}

/// A JSON resource list (`spec.hard`, `status.used`, container requests);
/// unparsable quantities are left out.
pub fn from_json(value: Option<&Value>) -> ResourceList {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, q)| Some((name.clone(), Quantity::parse(q.as_str()?)?)))
        .collect()
}

/// Upstream's `prettyPrint`: `name=quantity` pairs by name, comma-separated.
pub fn pretty(list: &ResourceList) -> String {
    list.iter()
        .map(|(name, q)| format!("{name}={}", format(name, *q)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The sum of two lists (names of either).
pub fn add(a: &ResourceList, b: &ResourceList) -> ResourceList {
    let mut out = a.clone();
    for (name, q) in b {
        let entry = out.entry(name.clone()).or_insert(Quantity(0));
        *entry = *entry + *q;
    }
    out
}

/// The entries of `list` whose names are in `names`.
pub fn mask<'a>(list: &ResourceList, names: impl IntoIterator<Item = &'a String>) -> ResourceList {
    names
        .into_iter()
        .filter_map(|name| list.get(name).map(|q| (name.clone(), *q)))
        .collect()
}

/// Upstream's `LessThanOrEqual`: whether every entry of `a` that `b` limits is
/// within it, and the names that are not.
pub fn exceeded(a: &ResourceList, b: &ResourceList) -> Vec<String> {
    a.iter()
        .filter(|(name, q)| b.get(*name).is_some_and(|limit| *q > limit))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The resource names a pod is charged for.
fn is_pod_resource(name: &str) -> bool {
    matches!(
        name,
        "pods" | "count/pods" | "cpu" | "memory" | "ephemeral-storage"
    ) || name.starts_with("requests.")
        || name.starts_with("limits.")
        || name.starts_with("hugepages-")
}

/// The compute resources whose quota makes every container state them
/// (upstream's pod evaluator `validationSet`).
const VALIDATED: [&str; 6] = [
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// The legacy quota names of object counts, by core resource.
fn legacy_count_name(plural: &str) -> Option<&'static str> {
    Some(match plural {
        "pods" => "pods",
        "services" => "services",
        "configmaps" => "configmaps",
        "secrets" => "secrets",
        "persistentvolumeclaims" => "persistentvolumeclaims",
        "replicationcontrollers" => "replicationcontrollers",
        "resourcequotas" => "resourcequotas",
        _ => return None,
    })
}

/// `count/<plural>` for core resources, `count/<plural>.<group>` otherwise.
pub fn count_name(group: &str, plural: &str) -> String {
    if group.is_empty() {
        format!("count/{plural}")
    } else {
        format!("count/{plural}.{group}")
    }
}

/// Of a quota's `hard` names, those an object of this resource is charged for
/// (upstream's evaluator `MatchingResources`).
pub fn matching_resources<'a>(
    group: &str,
    plural: &str,
    names: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    let count = count_name(group, plural);
    let core = group.is_empty();
    names
        .into_iter()
        .filter(|name| {
            let name = name.as_str();
            if name == count {
                return true;
            }
            if !core {
                return false;
            }
            if legacy_count_name(plural) == Some(name) {
                return true;
            }
            match plural {
                "pods" => is_pod_resource(name),
                "services" => matches!(name, "services.loadbalancers" | "services.nodeports"),
                "persistentvolumeclaims" => {
                    name == "requests.storage"
                        || name.ends_with(".storageclass.storage.k8s.io/requests.storage")
                        || name.ends_with(".storageclass.storage.k8s.io/persistentvolumeclaims")
                }
                _ => false,
            }
        })
        .cloned()
        .collect()
}

/// Which resource (group, plural) a quota resource name charges: `None` for
/// names of no resource rkube accounts.
pub fn resource_of(name: &str) -> Option<(String, String)> {
    if let Some(rest) = name.strip_prefix("count/") {
        return Some(match rest.split_once('.') {
            Some((plural, group)) => (group.to_string(), plural.to_string()),
            None => (String::new(), rest.to_string()),
        });
    }
    if let Some(plural) = legacy_count_name(name) {
        return Some((String::new(), plural.to_string()));
    }
    if matches!(name, "services.loadbalancers" | "services.nodeports") {
        return Some((String::new(), "services".into()));
    }
    if name == "requests.storage" || name.contains(".storageclass.storage.k8s.io/") {
        return Some((String::new(), "persistentvolumeclaims".into()));
    }
    if is_pod_resource(name) {
        return Some((String::new(), "pods".into()));
    }
    None
}

fn one() -> Quantity {
    Quantity(NANOS)
}

/// What one object uses (upstream's evaluators' `Usage`). `now` is the time
/// used to tell pods whose deletion grace period is over (Unix seconds).
pub fn usage(group: &str, plural: &str, obj: &Value, now: i64) -> ResourceList {
    let mut out = ResourceList::new();
    out.insert(count_name(group, plural), one());
    if !group.is_empty() {
        return out;
    }
    if plural != "pods" {
        if let Some(legacy) = legacy_count_name(plural) {
            out.insert(legacy.into(), one());
        }
    }
    match plural {
        "pods" if counts_pod(obj, now) => {
            out = add(&out, &pod_compute_usage(obj));
        }
        "services" => {
            let service_type = obj
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let ports = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let count = |n: usize| Quantity(n as i128 * NANOS);
            match service_type {
                "NodePort" => {
                    out.insert("services.nodeports".into(), count(ports.len()));
                }
                "LoadBalancer" => {
                    let allocate = obj
                        .pointer("/spec/allocateLoadBalancerNodePorts")
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    let n = if allocate {
                        ports.len()
                    } else {
                        ports
                            .iter()
                            .filter(|p| p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0)
                            .count()
                    };
                    out.insert("services.nodeports".into(), count(n));
                    out.insert("services.loadbalancers".into(), one());
                }
                _ => {}
            }
        }
        "persistentvolumeclaims" => {
            let class = obj
                .pointer("/spec/storageClassName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !class.is_empty() {
                out.insert(
                    format!("{class}.storageclass.storage.k8s.io/persistentvolumeclaims"),
                    one(),
                );
            }
            if let Some(storage) = obj
                .pointer("/spec/resources/requests/storage")
                .and_then(Value::as_str)
                .and_then(Quantity::parse)
            {
                out.insert("requests.storage".into(), storage);
                if !class.is_empty() {
                    out.insert(
                        format!("{class}.storageclass.storage.k8s.io/requests.storage"),
                        storage,
                    );
                }
            }
        }
        _ => {}
    }
    out
}

/// Upstream's `QuotaV1Pod`: terminal pods and pods past their deletion grace
/// period use no compute resources (nor `pods`).
pub fn counts_pod(pod: &Value, now: i64) -> bool {
    if matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    ) {
        return false;
    }
    let deleted = pod
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let grace = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64);
    if let (Some(deleted), Some(grace)) = (deleted, grace) {
        if now > deleted.timestamp() + grace {
            return false;
        }
    }
    true
}

fn container_list(container: &Value, kind: &str) -> ResourceList {
    from_json(container.pointer(&format!("/resources/{kind}")))
}

fn max_into(total: &mut ResourceList, other: &ResourceList) {
    for (name, q) in other {
        let entry = total.entry(name.clone()).or_insert(*q);
        if *q > *entry {
            *entry = *q;
        }
    }
}

/// A pod's effective requests or limits (`kind`): the containers' sum with the
/// sidecars', or the largest init container with the sidecars started before
/// it if that is more, plus the pod overhead (upstream's `PodRequests`/`PodLimits`).
pub fn pod_resources(pod: &Value, kind: &str) -> ResourceList {
    let containers = |key: &str| {
        pod.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let mut total = ResourceList::new();
    for container in containers("containers") {
        total = add(&total, &container_list(container, kind));
    }
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for container in containers("initContainers") {
        let own = container_list(container, kind);
        if container.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            sidecars = add(&sidecars, &own);
            max_into(&mut init_max, &sidecars);
        } else {
            max_into(&mut init_max, &add(&own, &sidecars));
        }
    }
    total = add(&total, &sidecars);
    max_into(&mut total, &init_max);
    if let Some(overhead) = pod.pointer("/spec/overhead") {
        let overhead = from_json(Some(overhead));
        // Limits take the overhead only for resources some container limits.
        let overhead = if kind == "limits" {
            mask(&overhead, total.keys())
        } else {
            overhead
        };
        total = add(&total, &overhead);
    }
    total
}

/// Upstream's `podComputeUsageHelper` over a pod's requests and limits.
fn pod_compute_usage(pod: &Value) -> ResourceList {
    let requests = pod_resources(pod, "requests");
    let limits = pod_resources(pod, "limits");
    compute_usage(&requests, &limits)
}

fn compute_usage(requests: &ResourceList, limits: &ResourceList) -> ResourceList {
    let mut out = ResourceList::new();
    out.insert("pods".into(), one());
    for name in ["cpu", "memory", "ephemeral-storage"] {
        if let Some(q) = requests.get(name) {
            out.insert(name.into(), *q);
            out.insert(format!("requests.{name}"), *q);
        }
        if let Some(q) = limits.get(name) {
            out.insert(format!("limits.{name}"), *q);
        }
    }
    for (name, q) in requests {
        if name.starts_with("hugepages-") {
            out.insert(name.clone(), *q);
            out.insert(format!("requests.{name}"), *q);
        } else if name.contains('/') && !name.starts_with("kubernetes.io/") {
            // Extended resources are quota'd as `requests.<name>` only.
            out.insert(format!("requests.{name}"), *q);
        }
    }
    out
}

/// Upstream's pod evaluator `Constraints`: when a quota tracks cpu or memory
/// (`required`), every container must state them. The error text follows
/// `must specify`.
pub fn pod_constraints(pod: &Value, required: &[String]) -> Result<(), String> {
    let required: BTreeSet<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|name| VALIDATED.contains(name))
        .collect();
    if required.is_empty() {
        return Ok(());
    }
    let mut missing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for key in ["containers", "initContainers"] {
        for container in pod
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let usage = compute_usage(
                &container_list(container, "requests"),
                &container_list(container, "limits"),
            );
            let name = container
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            for resource in &required {
                if !usage.contains_key(*resource) {
                    missing
                        .entry(resource)
                        .or_default()
                        .insert(name.to_string());
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|(resource, containers)| {
            format!(
                "{resource} for: {}",
                containers.iter().cloned().collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    Err(format!("must specify {}", parts.join("; ")))
}

/// Whether a pod has no cpu or memory requests or limits (QoS BestEffort).
pub fn is_best_effort(pod: &Value) -> bool {
    for key in ["containers", "initContainers"] {
        for container in pod
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for kind in ["requests", "limits"] {
                let list = container_list(container, kind);
                if ["cpu", "memory"]
                    .iter()
                    .any(|n| list.get(*n).is_some_and(|q| q.0 > 0))
                {
                    return false;
                }
            }
        }
    }
    true
}

/// One scope of a quota: a name (`Terminating`, `BestEffort`, ...) with, for
/// a scope selector, its operator and values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// A quota's scopes: `spec.scopes` (operator Exists) and
/// `spec.scopeSelector.matchExpressions`.
pub fn scopes(quota: &Value) -> Vec<Scope> {
    let mut out: Vec<Scope> = quota
        .pointer("/spec/scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|name| Scope {
            name: name.into(),
            operator: "Exists".into(),
            values: Vec::new(),
        })
        .collect();
    for expression in quota
        .pointer("/spec/scopeSelector/matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |key: &str| {
            expression
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        out.push(Scope {
            name: text("scopeName"),
            operator: text("operator"),
            values: expression
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        });
    }
    out
}

/// Whether a pod is in one scope (upstream's `podMatchesScopeFunc`).
fn pod_in_scope(pod: &Value, scope: &Scope) -> bool {
    let terminating = pod
        .pointer("/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|s| s >= 0);
    match scope.name.as_str() {
        "Terminating" => terminating,
        "NotTerminating" => !terminating,
        "BestEffort" => is_best_effort(pod),
        "NotBestEffort" => !is_best_effort(pod),
        "PriorityClass" => {
            let class = pod
                .pointer("/spec/priorityClassName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match scope.operator.as_str() {
                "Exists" => !class.is_empty(),
                "In" => scope.values.iter().any(|v| v == class),
                "NotIn" => !scope.values.iter().any(|v| v == class),
                // The selector always has the key, possibly empty.
                _ => false,
            }
        }
        "CrossNamespacePodAffinity" => {
            let affinity = pod.pointer("/spec/affinity");
            let terms = |kind: &str| {
                ["requiredDuringSchedulingIgnoredDuringExecution"]
                    .iter()
                    .flat_map(|k| {
                        affinity
                            .and_then(|a| a.pointer(&format!("/{kind}/{k}")))
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .chain(
                        affinity
                            .and_then(|a| {
                                a.pointer(&format!(
                                    "/{kind}/preferredDuringSchedulingIgnoredDuringExecution"
                                ))
                            })
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|w| w.get("podAffinityTerm").cloned()),
                    )
                    .collect::<Vec<_>>()
            };
            ["podAffinity", "podAntiAffinity"].iter().any(|kind| {
                terms(kind).iter().any(|term| {
                    term.get("namespaceSelector").is_some()
                        || term
                            .get("namespaces")
                            .and_then(Value::as_array)
                            .is_some_and(|n| !n.is_empty())
                })
            })
        }
        _ => false,
    }
}

/// Whether a quota's scopes select the object: every scope must hold; only
/// pods can be in a scope (upstream's `MatchesNoScopeFunc` for other kinds).
pub fn scopes_match(quota: &Value, group: &str, plural: &str, obj: &Value) -> bool {
    let scopes = scopes(quota);
    if scopes.is_empty() {
        return true;
    }
    if !(group.is_empty() && plural == "pods") {
        return false;
    }
    scopes.iter().all(|scope| pod_in_scope(obj, scope))
}

/// The usage a quota should show for these objects of one resource: the sum
/// of what the objects in its scopes use, of the names it limits.
pub fn usage_of<'a>(
    quota: &Value,
    group: &str,
    plural: &str,
    objects: impl IntoIterator<Item = &'a Value>,
    now: i64,
) -> ResourceList {
    let hard = from_json(quota.pointer("/spec/hard"));
    let names = matching_resources(group, plural, hard.keys());
    let mut total: ResourceList = names.iter().map(|n| (n.clone(), Quantity(0))).collect();
    for obj in objects {
        if !scopes_match(quota, group, plural, obj) {
            continue;
        }
        total = add(&total, &mask(&usage(group, plural, obj, now), names.iter()));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(format("pods", q("2")), "2");
        assert_eq!(format("requests.cpu", q("500m")), "500m");
        assert_eq!(format("requests.cpu", q("1.5")), "1500m");
        assert_eq!(format("requests.cpu", q("1000m")), "1");
        assert_eq!(format("requests.memory", q("64Mi")), "64Mi");
        assert_eq!(format("requests.memory", q("128Mi") + q("128Mi")), "256Mi");
        assert_eq!(format("requests.memory", q("1G")), "1G");
        assert_eq!(format("count/pods", q("0")), "0");
    }

    fn pod(containers: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": containers}, "status": {"phase": "Pending"}})
    }

    #[test]
    fn pod_usage_and_terminal_pods() {
        let p = pod(json!([
            {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m"}}},
            {"name": "b", "resources": {"requests": {"cpu": "300m"}}}
        ]));
        let used = usage("", "pods", &p, 0);
        assert_eq!(pretty(&used), "count/pods=1,cpu=400m,limits.cpu=200m,memory=64Mi,pods=1,requests.cpu=400m,requests.memory=64Mi");
        let mut done = p.clone();
        done["status"]["phase"] = json!("Succeeded");
        assert_eq!(pretty(&usage("", "pods", &done, 0)), "count/pods=1");
        let mut deleted = p.clone();
        deleted["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
        deleted["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        assert!(counts_pod(&deleted, 1_704_067_200 + 10));
        assert!(!counts_pod(&deleted, 1_704_067_200 + 31));
    }

    #[test]
    fn init_containers_and_sidecars() {
        let p = json!({"spec": {
            "initContainers": [
                {"name": "i", "resources": {"requests": {"cpu": "2"}}},
                {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}}
            ],
            "containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}});
        assert_eq!(pretty(&pod_resources(&p, "requests")), "cpu=2");
        let p = json!({"spec": {
            "initContainers": [{"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}}],
            "containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}});
        assert_eq!(pretty(&pod_resources(&p, "requests")), "cpu=600m");
    }

    #[test]
    fn constraints_name_missing_containers() {
        let p = pod(json!([
            {"name": "a", "resources": {"requests": {"cpu": "1"}}},
            {"name": "b", "resources": {}}
        ]));
        let required = vec![
            "limits.cpu".to_string(),
            "requests.cpu".into(),
            "pods".into(),
        ];
        assert_eq!(
            pod_constraints(&p, &required),
            Err("must specify limits.cpu for: a,b; requests.cpu for: b".into())
        );
        assert_eq!(pod_constraints(&p, &["pods".to_string()]), Ok(()));
    }

    #[test]
    fn matching_and_scopes() {
        let hard: Vec<String> = [
            "pods",
            "count/deployments.apps",
            "services.nodeports",
            "requests.cpu",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            matching_resources("", "pods", &hard),
            vec!["pods", "requests.cpu"]
        );
        assert_eq!(
            matching_resources("apps", "deployments", &hard),
            vec!["count/deployments.apps"]
        );
        assert_eq!(
            matching_resources("", "services", &hard),
            vec!["services.nodeports"]
        );
        assert_eq!(
            resource_of("count/deployments.apps"),
            Some(("apps".into(), "deployments".into()))
        );
        assert_eq!(
            resource_of("limits.memory"),
            Some(("".into(), "pods".into()))
        );

        let quota =
            json!({"spec": {"hard": {"pods": "1"}, "scopes": ["BestEffort", "NotTerminating"]}});
        let best_effort = pod(json!([{"name": "a"}]));
        let burstable = pod(json!([{"name": "a", "resources": {"requests": {"cpu": "1"}}}]));
        assert!(scopes_match(&quota, "", "pods", &best_effort));
        assert!(!scopes_match(&quota, "", "pods", &burstable));
        assert!(!scopes_match(&quota, "", "services", &json!({})));
        let by_class = json!({"spec": {"scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}});
        let mut high = best_effort.clone();
        high["spec"]["priorityClassName"] = json!("high");
        assert!(scopes_match(&by_class, "", "pods", &high));
        assert!(!scopes_match(&by_class, "", "pods", &best_effort));
    }

    #[test]
    fn services_and_exceeding() {
        let svc = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(
            pretty(&usage("", "services", &svc, 0)),
            "count/services=1,services=1,services.nodeports=2"
        );
        let used = from_json(Some(&json!({"pods": "2", "services": "1"})));
        let hard = from_json(Some(&json!({"pods": "2", "services": "5"})));
        let requested = from_json(Some(&json!({"pods": "1", "services": "1"})));
        assert_eq!(exceeded(&add(&used, &requested), &hard), vec!["pods"]);
    }
}

//! LimitRanger (upstream `plugin/pkg/admission/limitranger`): the namespace's
//! LimitRanges give containers the requests (`defaultRequest`) and limits
//! (`default`) they lack, noted in the `kubernetes.io/limit-ranger`
//! annotation, then bound containers and pods (`min`, `max`,
//! `maxLimitRequestRatio`) and claims' storage requests, with upstream's messages.

use api::quota::{format, from_json, pod_resources, ResourceList};
use serde_json::{json, Map, Value};

use super::{cached_list, forbidden};
use crate::error::Result;
use crate::handlers::Context;

const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// Defaults, then checks, a pod against every LimitRange of its namespace.
pub fn admit(ctx: &Context, pod: &mut Value) -> Result<()> {
    let ranges = cached_list(ctx, "", "limitranges", &ctx.info.namespace);
    for range in &ranges {
        apply_defaults(range, pod);
    }
    for range in &ranges {
        let errors = validate_pod(range, pod);
        if !errors.is_empty() {
            return Err(forbidden(ctx, pod, aggregate(&errors)));
        }
    }
    Ok(())
}

/// Checks a claim's storage request against `PersistentVolumeClaim` limits.
pub fn admit_claim(ctx: &Context, claim: &Value) -> Result<()> {
    for range in cached_list(ctx, "", "limitranges", &ctx.info.namespace) {
        let requests = from_json(claim.pointer("/spec/resources/requests"));
        let mut errors = Vec::new();
        for item in items(&range, "PersistentVolumeClaim") {
            for (name, enforced) in from_json(item.get("min")) {
                errors.extend(min(
                    "PersistentVolumeClaim",
                    &name,
                    enforced,
                    &requests,
                    &ResourceList::new(),
                ));
            }
            for (name, enforced) in from_json(item.get("max")) {
                let shown = format(&name, enforced);
                match requests.get(&name) {
                    None => errors.push(format!(
                        "maximum {name} usage per PersistentVolumeClaim is {shown}.  No request is specified"
                    )),
                    Some(request) if *request > enforced => errors.push(format!(
                        "maximum {name} usage per PersistentVolumeClaim is {shown}, but request is {}",
                        format(&name, *request)
                    )),
                    _ => {}
                }
            }
        }
        if !errors.is_empty() {
            return Err(forbidden(ctx, claim, aggregate(&errors)));
        }
    }
    Ok(())
}

/// Upstream's `utilerrors.NewAggregate(...).Error()`.
fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn items<'a>(range: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    range
        .pointer("/spec/limits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |item| item.get("type").and_then(Value::as_str) == Some(kind))
}

/// Upstream's `mergePodResourceRequirements`.
fn apply_defaults(range: &Value, pod: &mut Value) {
    let mut default_requests = Map::new();
    let mut default_limits = Map::new();
    for item in items(range, "Container") {
        for (from, into) in [
            ("defaultRequest", &mut default_requests),
            ("default", &mut default_limits),
        ] {
            if let Some(values) = item.get(from).and_then(Value::as_object) {
                for (name, q) in values {
                    into.insert(name.clone(), q.clone());
                }
            }
        }
    }
    if default_requests.is_empty() && default_limits.is_empty() {
        return;
    }
    let mut notes: Vec<String> = Vec::new();
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    for (key, label) in [
        ("containers", "container"),
        ("initContainers", "init container"),
    ] {
        for container in spec
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let name = container
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(container) = container.as_object_mut() else {
                continue;
            };
            let resources = container.entry("resources").or_insert_with(|| json!({}));
            let Some(resources) = resources.as_object_mut() else {
                continue;
            };
            let mut set = |kind: &str, defaults: &Map<String, Value>| -> Vec<String> {
                let mut names = Vec::new();
                let list = resources.entry(kind).or_insert_with(|| json!({}));
                if let Some(list) = list.as_object_mut() {
                    for (resource, q) in defaults {
                        if !list.contains_key(resource) {
                            list.insert(resource.clone(), q.clone());
                            names.push(resource.clone());
                        }
                    }
                }
                names.sort();
                names
            };
            let limits = set("limits", &default_limits);
            let requests = set("requests", &default_requests);
            for kind in ["limits", "requests"] {
                let empty = resources
                    .get(kind)
                    .and_then(Value::as_object)
                    .is_some_and(Map::is_empty);
                if empty {
                    resources.remove(kind);
                }
            }
            if !requests.is_empty() {
                notes.push(format!(
                    "{} request for {label} {name}",
                    requests.join(", ")
                ));
            }
            if !limits.is_empty() {
                notes.push(format!("{} limit for {label} {name}", limits.join(", ")));
            }
        }
    }
    if notes.is_empty() {
        return;
    }
    let meta = api::meta::metadata_mut(pod);
    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.insert(
            ANNOTATION.into(),
            json!(format!("LimitRanger plugin set: {}", notes.join("; "))),
        );
    }
}

fn min(
    kind: &str,
    name: &str,
    enforced: api::quota::Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Option<String> {
    let shown = format(name, enforced);
    let Some(request) = requests.get(name) else {
        return Some(format!(
            "minimum {name} usage per {kind} is {shown}.  No request is specified"
        ));
    };
    if *request < enforced {
        return Some(format!(
            "minimum {name} usage per {kind} is {shown}, but request is {}",
            format(name, *request)
        ));
    }
    match limits.get(name) {
        Some(limit) if *limit < enforced => Some(format!(
            "minimum {name} usage per {kind} is {shown}, but limit is {}",
            format(name, *limit)
        )),
        _ => None,
    }
}

fn max(
    kind: &str,
    name: &str,
    enforced: api::quota::Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Option<String> {
    let shown = format(name, enforced);
    let Some(limit) = limits.get(name) else {
        return Some(format!(
            "maximum {name} usage per {kind} is {shown}.  No limit is specified"
        ));
    };
    if *limit > enforced {
        return Some(format!(
            "maximum {name} usage per {kind} is {shown}, but limit is {}",
            format(name, *limit)
        ));
    }
    match requests.get(name) {
        Some(request) if *request > enforced => Some(format!(
            "maximum {name} usage per {kind} is {shown}, but request is {}",
            format(name, *request)
        )),
        _ => None,
    }
}

fn ratio(
    kind: &str,
    name: &str,
    enforced: api::quota::Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Option<String> {
    let shown = format(name, enforced);
    let request = requests.get(name).filter(|q| !q.is_zero());
    let Some(request) = request else {
        return Some(format!("{name} max limit to request ratio per {kind} is {shown}, but no request is specified or request is 0"));
    };
    let limit = limits.get(name).filter(|q| !q.is_zero());
    let Some(limit) = limit else {
        return Some(format!("{name} max limit to request ratio per {kind} is {shown}, but no limit is specified or limit is 0"));
    };
    let observed = limit.0 as f64 / request.0 as f64;
    let allowed = enforced.0 as f64 / 1e9;
    if observed > allowed {
        return Some(format!(
            "{name} max limit to request ratio per {kind} is {shown}, but provided ratio is {observed:.6}"
        ));
    }
    None
}

type Check = fn(&str, &str, api::quota::Quantity, &ResourceList, &ResourceList) -> Option<String>;

fn check_item(
    item: &Value,
    kind: &str,
    requests: &ResourceList,
    limits: &ResourceList,
    errors: &mut Vec<String>,
) {
    let checks: [(&str, Check); 3] = [("min", min), ("max", max), ("maxLimitRequestRatio", ratio)];
    for (field, check) in checks {
        for (name, enforced) in from_json(item.get(field)) {
            errors.extend(check(kind, &name, enforced, requests, limits));
        }
    }
}

/// Upstream's `PodValidateLimitFunc`.
fn validate_pod(range: &Value, pod: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for item in range
        .pointer("/spec/limits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match item.get("type").and_then(Value::as_str) {
            Some("Container") => {
                for key in ["containers", "initContainers"] {
                    for container in pod
                        .pointer(&format!("/spec/{key}"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let requests = from_json(container.pointer("/resources/requests"));
                        let limits = from_json(container.pointer("/resources/limits"));
                        check_item(item, "Container", &requests, &limits, &mut errors);
                    }
                }
            }
            Some("Pod") => {
                let mut without_overhead = pod.clone();
                if let Some(spec) = without_overhead
                    .get_mut("spec")
                    .and_then(Value::as_object_mut)
                {
                    spec.remove("overhead");
                }
                let requests = pod_resources(&without_overhead, "requests");
                let limits = pod_resources(&without_overhead, "limits");
                check_item(item, "Pod", &requests, &limits, &mut errors);
            }
            _ => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(limits: Value) -> Value {
        json!({"spec": {"limits": limits}})
    }

    #[test]
    fn defaults_containers_and_annotates() {
        let lr = range(json!([{"type": "Container",
            "default": {"cpu": "500m", "memory": "128Mi"},
            "defaultRequest": {"cpu": "100m"}}]));
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "web", "resources": {"limits": {"memory": "64Mi"}}}
        ]}});
        apply_defaults(&lr, &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["resources"],
            json!({"limits": {"memory": "64Mi", "cpu": "500m"}, "requests": {"cpu": "100m"}})
        );
        assert_eq!(
            pod["metadata"]["annotations"][ANNOTATION],
            json!("LimitRanger plugin set: cpu request for container web; cpu limit for container web")
        );
    }

    #[test]
    fn bounds_with_upstream_messages() {
        let lr =
            range(json!([{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "64Mi"}}]));
        let pod = json!({"spec": {"containers": [{"name": "c", "resources": {
            "limits": {"cpu": "2", "memory": "128Mi"}, "requests": {"cpu": "2", "memory": "128Mi"}}}]}});
        assert_eq!(
            validate_pod(&lr, &pod),
            vec!["maximum cpu usage per Container is 1, but limit is 2".to_string()]
        );
        let pod = json!({"spec": {"containers": [{"name": "c"}]}});
        assert_eq!(
            aggregate(&validate_pod(&lr, &pod)),
            "[minimum memory usage per Container is 64Mi.  No request is specified, maximum cpu usage per Container is 1.  No limit is specified]"
        );
        let lr = range(json!([{"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}}]));
        let pod = json!({"spec": {"containers": [{"name": "c", "resources": {
            "limits": {"cpu": "3"}, "requests": {"cpu": "1"}}}]}});
        assert_eq!(
            validate_pod(&lr, &pod),
            vec![
                "cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000"
                    .to_string()
            ]
        );
    }
}

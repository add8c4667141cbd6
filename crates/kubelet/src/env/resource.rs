//! Container resources by name (`resourceFieldRef`), as upstream's
//! `ExtractContainerResourceValue` gives them to env variables and downward
//! API volume files: `limits.cpu`, `requests.memory`, ... divided by the
//! selector's divisor and rounded up. A container without a limit on cpu,
//! memory or ephemeral-storage is given the node's allocatable amount as its
//! limit first, as upstream's kubelet does (`MergeContainerResourceLimits`).

use std::collections::BTreeMap;

use api::quota::Quantity;
use k8s_openapi::api::core::v1::{Container, Pod, ResourceFieldSelector};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

/// A node's allocatable resources, as `Node.status.allocatable` holds them.
pub type Allocatable = BTreeMap<String, ApiQuantity>;

const NANOS: i128 = 1_000_000_000;

/// The value a `resourceFieldRef` names. `container` is the container whose
/// variable is being resolved (used when the selector names none); `pod`
/// gives the container the selector names.
pub fn value(
    selector: &ResourceFieldSelector,
    pod: &Pod,
    container: Option<&Container>,
    allocatable: &Allocatable,
) -> Result<String, String> {
    let named = selector.container_name.as_deref().unwrap_or("");
    let container = if named.is_empty() {
        container.ok_or_else(|| "no container named by the resourceFieldRef".to_string())?
    } else {
        find_container(pod, named)?
    };
    container_value(selector, container, allocatable)
}

fn find_container<'a>(pod: &'a Pod, name: &str) -> Result<&'a Container, String> {
    let spec = pod.spec.as_ref();
    spec.into_iter()
        .flat_map(|s| s.containers.iter())
        .chain(
            spec.into_iter()
                .flat_map(|s| s.init_containers.iter().flatten()),
        )
        .find(|c| c.name == name)
        .ok_or_else(|| format!("container {name} not found"))
}

/// The container's amount of one resource after limits are defaulted from
/// the node's allocatable, zero when absent.
fn amount(
    container: &Container,
    allocatable: &Allocatable,
    kind: &str,
    resource: &str,
) -> Result<i128, String> {
    let resources = container.resources.as_ref();
    let list = match kind {
        "limits" => resources.and_then(|r| r.limits.as_ref()),
        _ => resources.and_then(|r| r.requests.as_ref()),
    };
    let given = match list.and_then(|l| l.get(resource)) {
        Some(q) => parse(&q.0)?,
        None => 0,
    };
    let defaulted = kind == "limits"
        && given == 0
        && matches!(resource, "cpu" | "memory" | "ephemeral-storage");
    if defaulted {
        if let Some(q) = allocatable.get(resource) {
            return parse(&q.0);
        }
    }
    Ok(given)
}

fn parse(text: &str) -> Result<i128, String> {
    Quantity::parse(text)
        .map(|q| q.0)
        .ok_or_else(|| format!("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}"))
}

/// Upstream's `ExtractContainerResourceValue` on a container whose limits
/// are defaulted from `allocatable`.
pub fn container_value(
    selector: &ResourceFieldSelector,
    container: &Container,
    allocatable: &Allocatable,
) -> Result<String, String> {
    let divisor = match &selector.divisor {
        Some(q) => parse(&q.0)?,
        None => 0,
    };
    // A zero divisor means 1.
    let divisor = if divisor == 0 { NANOS } else { divisor };
    let (kind, resource) = selector
        .resource
        .split_once('.')
        .filter(|(kind, _)| matches!(*kind, "limits" | "requests"))
        .ok_or_else(|| format!("unsupported container resource : {}", selector.resource))?;
    let value = amount(container, allocatable, kind, resource)?;
    match resource {
        "cpu" => Ok(ceil_div(milli_value(value), milli_value(divisor)).to_string()),
        "memory" | "ephemeral-storage" => {
            Ok(ceil_div(whole_value(value), whole_value(divisor)).to_string())
        }
        r if r.starts_with("hugepages-") => {
            Ok(ceil_div(whole_value(value), whole_value(divisor)).to_string())
        }
        _ => Err(format!(
            "unsupported container resource : {}",
            selector.resource
        )),
    }
}

/// The quantity in thousandths, rounded up (`Quantity.MilliValue`).
fn milli_value(nanos: i128) -> i128 {
    ceil_div(nanos, 1_000_000)
}

/// The quantity in units, rounded up (`Quantity.Value`).
fn whole_value(nanos: i128) -> i128 {
    ceil_div(nanos, NANOS)
}

/// `ceil(a / b)`; a zero divisor gives 0 rather than a panic (validation
/// does not let one through).
fn ceil_div(a: i128, b: i128) -> i128 {
    if b == 0 {
        return 0;
    }
    let q = a / b;
    if a % b != 0 && ((a < 0) == (b < 0)) {
        q + 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodSpec, ResourceRequirements};

    fn q(text: &str) -> ApiQuantity {
        ApiQuantity(text.to_string())
    }

    fn container(limits: &[(&str, &str)], requests: &[(&str, &str)]) -> Container {
        let list = |items: &[(&str, &str)]| {
            Some(
                items
                    .iter()
                    .map(|(k, v)| (k.to_string(), q(v)))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        Container {
            name: "app".into(),
            resources: Some(ResourceRequirements {
                limits: list(limits),
                requests: list(requests),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn selector(resource: &str, divisor: Option<&str>) -> ResourceFieldSelector {
        ResourceFieldSelector {
            container_name: None,
            resource: resource.into(),
            divisor: divisor.map(q),
        }
    }

    fn node() -> Allocatable {
        BTreeMap::from([
            ("cpu".to_string(), q("2")),
            ("memory".to_string(), q("8Gi")),
            ("ephemeral-storage".to_string(), q("100G")),
        ])
    }

    fn get(c: &Container, resource: &str, divisor: Option<&str>) -> String {
        container_value(&selector(resource, divisor), c, &node()).unwrap()
    }

    #[test]
    fn divisors_round_up() {
        let c = container(
            &[("cpu", "500m"), ("memory", "64Mi")],
            &[
                ("cpu", "250m"),
                ("memory", "32Mi"),
                ("ephemeral-storage", "1Gi"),
            ],
        );
        assert_eq!(get(&c, "limits.cpu", None), "1");
        assert_eq!(get(&c, "limits.cpu", Some("1")), "1");
        assert_eq!(get(&c, "limits.cpu", Some("1m")), "500");
        assert_eq!(get(&c, "requests.cpu", Some("1m")), "250");
        assert_eq!(get(&c, "requests.cpu", Some("0")), "1");
        assert_eq!(get(&c, "limits.memory", None), "67108864");
        assert_eq!(get(&c, "limits.memory", Some("1Mi")), "64");
        assert_eq!(get(&c, "limits.memory", Some("1M")), "68");
        assert_eq!(get(&c, "requests.memory", Some("1Ki")), "32768");
        assert_eq!(get(&c, "requests.ephemeral-storage", Some("1Mi")), "1024");
    }

    #[test]
    fn missing_limits_default_to_allocatable() {
        let c = container(&[], &[("cpu", "100m")]);
        assert_eq!(get(&c, "limits.cpu", None), "2");
        assert_eq!(get(&c, "limits.cpu", Some("1m")), "2000");
        assert_eq!(get(&c, "limits.memory", Some("1Gi")), "8");
        assert_eq!(get(&c, "limits.ephemeral-storage", Some("1G")), "100");
        // Requests are not defaulted.
        assert_eq!(get(&c, "requests.memory", None), "0");
    }

    #[test]
    fn hugepages_and_unsupported() {
        let c = container(&[("hugepages-2Mi", "4Mi")], &[]);
        assert_eq!(get(&c, "limits.hugepages-2Mi", Some("1Mi")), "4");
        assert_eq!(
            container_value(&selector("limits.gpu", None), &c, &node()).unwrap_err(),
            "unsupported container resource : limits.gpu"
        );
        assert_eq!(
            container_value(&selector("cpu", None), &c, &node()).unwrap_err(),
            "unsupported container resource : cpu"
        );
    }

    #[test]
    fn named_container() {
        let pod = Pod {
            spec: Some(PodSpec {
                containers: vec![container(&[("cpu", "3")], &[])],
                init_containers: Some(vec![Container {
                    name: "init".into(),
                    ..container(&[("memory", "1Gi")], &[])
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut s = selector("limits.memory", Some("1Mi"));
        s.container_name = Some("init".into());
        assert_eq!(value(&s, &pod, None, &node()).unwrap(), "1024");
        s.container_name = Some("nope".into());
        assert_eq!(
            value(&s, &pod, None, &node()).unwrap_err(),
            "container nope not found"
        );
    }
}

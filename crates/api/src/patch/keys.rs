//! Which lists of the built-in types merge in a strategic merge patch, and by
//! which key: upstream's `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api,
//! as a table looked up by the field's name and where it sits.

use crate::ResourceInfo;

/// How a list field is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ListStrategy {
    /// The patch's list replaces the object's (lists without a patch strategy).
    Replace,
    /// A list of scalars merged as a set (`finalizers`).
    MergeScalars,
    /// A list of objects merged by the value of this key.
    MergeByKey(&'static str),
}

/// Fields whose parent is a container (`containers[*]`, ...).
const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The strategy of the list at `path` (field names from the object's root,
/// without list indices) in an object of `resource`.
pub(super) fn list_strategy(resource: &ResourceInfo, path: &[&str]) -> ListStrategy {
    use ListStrategy::{MergeByKey, MergeScalars, Replace};
    let Some((field, parents)) = path.split_last() else {
        return Replace;
    };
    let parent = parents.last().copied().unwrap_or("");
    let in_container = CONTAINER_LISTS.contains(&parent);
    let in_metadata = parent == "metadata";
    let in_status = parents.contains(&"status");
    let builtin = crate::strategy::types::is_builtin(resource);
    if in_metadata {
        return match *field {
            "finalizers" => MergeScalars,
            "ownerReferences" => MergeByKey("uid"),
            _ => Replace,
        };
    }
    if !builtin {
        return Replace;
    }
    if in_container {
        return match *field {
            "ports" => MergeByKey("containerPort"),
            "env" => MergeByKey("name"),
            "volumeMounts" => MergeByKey("mountPath"),
            "volumeDevices" => MergeByKey("devicePath"),
            _ => Replace,
        };
    }
    if in_status {
        return match *field {
            "conditions" => MergeByKey("type"),
            "podIPs" | "hostIPs" => MergeByKey("ip"),
            "resourceClaimStatuses" => MergeByKey("name"),
            "addresses" if resource.kind == "Node" => MergeByKey("type"),
            _ => Replace,
        };
    }
    // Pod specs: of pods, templates, and job templates of cron jobs.
    let in_pod_spec = parent == "spec"
        && (resource.kind == "Pod"
            || parents.len() >= 2 && parents[parents.len() - 2] == "template");
    if in_pod_spec {
        return match *field {
            "containers" | "initContainers" | "ephemeralContainers" => MergeByKey("name"),
            "volumes" => MergeByKey("name"),
            "imagePullSecrets" => MergeByKey("name"),
            "hostAliases" => MergeByKey("ip"),
            "topologySpreadConstraints" => MergeByKey("topologyKey"),
            "schedulingGates" => MergeByKey("name"),
            "resourceClaims" => MergeByKey("name"),
            _ => Replace,
        };
    }
    match (resource.kind, path) {
        ("Service", ["spec", "ports"]) => MergeByKey("port"),
        ("Node", ["spec", "podCIDRs"]) => MergeScalars,
        ("ServiceAccount", ["secrets"]) => MergeByKey("name"),
        _ => Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::lookup;

    #[test]
    fn strategies() {
        let check = |group: &str, plural: &str, path: &[&str], expected: ListStrategy| {
            let resource = lookup(group, "v1", plural).expect("resource");
            assert_eq!(list_strategy(resource, path), expected, "{plural} {path:?}");
        };
        check(
            "",
            "pods",
            &["spec", "containers"],
            ListStrategy::MergeByKey("name"),
        );
        check(
            "",
            "pods",
            &["spec", "containers", "ports"],
            ListStrategy::MergeByKey("containerPort"),
        );
        check("", "pods", &["spec", "tolerations"], ListStrategy::Replace);
        check(
            "",
            "pods",
            &["metadata", "finalizers"],
            ListStrategy::MergeScalars,
        );
        check(
            "",
            "pods",
            &["status", "conditions"],
            ListStrategy::MergeByKey("type"),
        );
        check(
            "apps",
            "deployments",
            &["spec", "template", "spec", "volumes"],
            ListStrategy::MergeByKey("name"),
        );
        check(
            "apps",
            "deployments",
            &["spec", "template", "spec", "containers", "env"],
            ListStrategy::MergeByKey("name"),
        );
        check(
            "batch",
            "cronjobs",
            &[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "spec",
                "containers",
            ],
            ListStrategy::MergeByKey("name"),
        );
        check(
            "",
            "services",
            &["spec", "ports"],
            ListStrategy::MergeByKey("port"),
        );
        check(
            "",
            "endpoints",
            &["subsets", "ports"],
            ListStrategy::Replace,
        );
        check(
            "discovery.k8s.io",
            "endpointslices",
            &["ports"],
            ListStrategy::Replace,
        );
        check(
            "",
            "nodes",
            &["status", "addresses"],
            ListStrategy::MergeByKey("type"),
        );
    }
}

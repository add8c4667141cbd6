//! The table of built-in resources, as upstream's discovery documents them.
//!
//! Groups are in the order of kube-apiserver's `/apis` (the aggregator's group
//! priorities: core, apps, events.k8s.io, authentication.k8s.io,
//! authorization.k8s.io, autoscaling, batch, networking.k8s.io,
//! policy, rbac.authorization.k8s.io, storage.k8s.io, scheduling.k8s.io,
//! coordination.k8s.io, discovery.k8s.io); within a group the preferred version
//! comes first, and within a version resources are sorted by plural as upstream
//! lists them.

use std::sync::{Mutex, OnceLock};

use super::{ResourceInfo, Subresource};

/// The verbs of an ordinary resource stored in the generic registry.
pub(super) const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Namespaces cannot be deleted as a collection upstream.
const VERBS_NO_DELETECOLLECTION: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// Reviews (access, rules, tokens) are created and answered, never stored.
const CREATE_ONLY: &[&str] = &["create"];

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];
const STATUS: &[Subresource] = &[Subresource::Status];
const STATUS_SCALE: &[Subresource] = &[Subresource::Status, Subresource::Scale];
const NO_SUBRESOURCES: &[Subresource] = &[];

/// One entry stored in its own version under its own plural.
#[allow(clippy::too_many_arguments, reason = "a table row, read positionally")]
const fn res(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
) -> ResourceInfo {
    ResourceInfo {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        categories,
        verbs: VERBS,
        subresources,
        storage_group: group,
        storage_version: version,
        storage_plural: plural,
    }
}

const fn stored_in(
    info: ResourceInfo,
    group: &'static str,
    version: &'static str,
    plural: &'static str,
) -> ResourceInfo {
    ResourceInfo {
        storage_group: group,
        storage_version: version,
        storage_plural: plural,
        ..info
    }
}

const NAMESPACED: bool = true;
const CLUSTER: bool = false;

#[rustfmt::skip]
pub(super) static BUILTIN: &[ResourceInfo] = &[
    // core/v1
    res("", "v1", "ConfigMap", "configmaps", "configmap", NAMESPACED, &["cm"], NONE, NO_SUBRESOURCES),
    res("", "v1", "Endpoints", "endpoints", "endpoints", NAMESPACED, &["ep"], NONE, NO_SUBRESOURCES),
    res("", "v1", "Event", "events", "event", NAMESPACED, &["ev"], NONE, NO_SUBRESOURCES),
    res("", "v1", "LimitRange", "limitranges", "limitrange", NAMESPACED, &["limits"], NONE, NO_SUBRESOURCES),
    ResourceInfo {
        verbs: VERBS_NO_DELETECOLLECTION,
        ..res("", "v1", "Namespace", "namespaces", "namespace", CLUSTER, &["ns"], NONE, STATUS)
    },
    res("", "v1", "Node", "nodes", "node", CLUSTER, &["no"], NONE, STATUS),
    res("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", NAMESPACED, &["pvc"], NONE, STATUS),
    res("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", CLUSTER, &["pv"], NONE, STATUS),
    res("", "v1", "Pod", "pods", "pod", NAMESPACED, &["po"], ALL, STATUS),
    res("", "v1", "PodTemplate", "podtemplates", "podtemplate", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    res("", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", NAMESPACED, &["rc"], ALL, STATUS_SCALE),
    res("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", NAMESPACED, &["quota"], NONE, STATUS),
    res("", "v1", "Secret", "secrets", "secret", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    res("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", NAMESPACED, &["sa"], NONE, NO_SUBRESOURCES),
    res("", "v1", "Service", "services", "service", NAMESPACED, &["svc"], ALL, STATUS),
    // apps/v1
    res("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    res("apps", "v1", "DaemonSet", "daemonsets", "daemonset", NAMESPACED, &["ds"], ALL, STATUS),
    res("apps", "v1", "Deployment", "deployments", "deployment", NAMESPACED, &["deploy"], ALL, STATUS_SCALE),
    res("apps", "v1", "ReplicaSet", "replicasets", "replicaset", NAMESPACED, &["rs"], ALL, STATUS_SCALE),
    res("apps", "v1", "StatefulSet", "statefulsets", "statefulset", NAMESPACED, &["sts"], ALL, STATUS_SCALE),
    // events.k8s.io/v1 shares the storage of core/v1 events.
    stored_in(
        res("events.k8s.io", "v1", "Event", "events", "event", NAMESPACED, &["ev"], NONE, NO_SUBRESOURCES),
        "", "v1", "events",
    ),
    // authentication.k8s.io/v1 and authorization.k8s.io/v1: reviews only.
    ResourceInfo { verbs: CREATE_ONLY, ..res("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview", CLUSTER, NONE, NONE, NO_SUBRESOURCES) },
    ResourceInfo { verbs: CREATE_ONLY, ..res("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", "tokenreview", CLUSTER, NONE, NONE, NO_SUBRESOURCES) },
    ResourceInfo { verbs: CREATE_ONLY, ..res("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", "localsubjectaccessreview", NAMESPACED, NONE, NONE, NO_SUBRESOURCES) },
    ResourceInfo { verbs: CREATE_ONLY, ..res("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "selfsubjectaccessreview", CLUSTER, NONE, NONE, NO_SUBRESOURCES) },
    ResourceInfo { verbs: CREATE_ONLY, ..res("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", "selfsubjectrulesreview", CLUSTER, NONE, NONE, NO_SUBRESOURCES) },
    ResourceInfo { verbs: CREATE_ONLY, ..res("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", "subjectaccessreview", CLUSTER, NONE, NONE, NO_SUBRESOURCES) },
    // autoscaling: v2 is preferred and is the storage version; v1 is converted.
    res("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", NAMESPACED, &["hpa"], ALL, STATUS),
    stored_in(
        res("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", NAMESPACED, &["hpa"], ALL, STATUS),
        "autoscaling", "v2", "horizontalpodautoscalers",
    ),
    // batch/v1
    res("batch", "v1", "CronJob", "cronjobs", "cronjob", NAMESPACED, &["cj"], ALL, STATUS),
    res("batch", "v1", "Job", "jobs", "job", NAMESPACED, NONE, ALL, STATUS),
    // networking.k8s.io/v1
    res("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", CLUSTER, NONE, NONE, NO_SUBRESOURCES),
    res("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", NAMESPACED, &["ing"], NONE, STATUS),
    res("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", NAMESPACED, &["netpol"], NONE, NO_SUBRESOURCES),
    // policy/v1
    res("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", NAMESPACED, &["pdb"], NONE, STATUS),
    // rbac.authorization.k8s.io/v1
    res("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", CLUSTER, NONE, NONE, NO_SUBRESOURCES),
    res("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", CLUSTER, NONE, NONE, NO_SUBRESOURCES),
    res("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    res("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    // storage.k8s.io/v1
    res("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", CLUSTER, &["sc"], NONE, NO_SUBRESOURCES),
    // apiextensions.k8s.io/v1
    res("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", CLUSTER, &["crd", "crds"], &["api-extensions"], STATUS),
    // scheduling.k8s.io/v1
    res("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", CLUSTER, &["pc"], NONE, NO_SUBRESOURCES),
    // coordination.k8s.io/v1
    res("coordination.k8s.io", "v1", "Lease", "leases", "lease", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
    // discovery.k8s.io/v1
    res("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", NAMESPACED, NONE, NONE, NO_SUBRESOURCES),
];

/// The storage of a resource that is not in [`BUILTIN`] (one built elsewhere, for
/// example for a custom resource): a `'static` copy of the entry it names, made
/// once per storage and kept for the life of the process.
pub(super) fn foreign_storage(info: &ResourceInfo) -> &'static ResourceInfo {
    static FOREIGN: OnceLock<Mutex<Vec<&'static ResourceInfo>>> = OnceLock::new();
    let mut known = FOREIGN
        .get_or_init(|| Mutex::new(Vec::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let same = |r: &&&ResourceInfo| {
        r.group == info.storage_group
            && r.version == info.storage_version
            && r.plural == info.storage_plural
    };
    if let Some(found) = known.iter().find(same) {
        return found;
    }
    let copy: &'static ResourceInfo = Box::leak(Box::new(ResourceInfo {
        group: info.storage_group,
        version: info.storage_version,
        plural: info.storage_plural,
        ..*info
    }));
    known.push(copy);
    copy
}

//! Printers of the other API groups: ingresses, ingress classes and network
//! policies, endpoint slices, role bindings, storage classes, priority classes
//! and leases, as upstream's.

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    age, array_at, format_label_selector, int_at, list_with_more, name, opt_str, or, str_at, text,
    typed, wide, Column, Row, AGE, NAME,
};

pub(super) const INGRESS: &[Column] = &[
    NAME,
    text("Class", "The IngressClass that handles this ingress."),
    text("Hosts", "The hosts the rules of this ingress match."),
    text(
        "Address",
        "Where the load balancer of this ingress can be reached.",
    ),
    text(
        "Ports",
        "The ports this ingress serves: 80, and 443 with TLS.",
    ),
    AGE,
];

pub(super) fn ingress(obj: &Value, now: Timestamp) -> Row {
    let rules = array_at(obj, "/spec/rules");
    // Up to three hosts, counting the rules left over past them.
    const MAX: usize = 3;
    let mut hosts = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = str_at(rule, "/host");
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len() - MAX)
    } else {
        hosts.join(",")
    };
    let addresses: BTreeSet<&str> = array_at(obj, "/status/loadBalancer/ingress")
        .iter()
        .map(|i| or(str_at(i, "/ip"), str_at(i, "/hostname")))
        .filter(|a| !a.is_empty())
        .collect();
    let addresses: Vec<&str> = addresses.into_iter().collect();
    let ports = if array_at(obj, "/spec/tls").is_empty() {
        "80"
    } else {
        "80, 443"
    };
    Row::new(vec![
        name(obj),
        json!(opt_str(obj, "/spec/ingressClassName").unwrap_or("<none>")),
        json!(hosts),
        json!(addresses.join(",")),
        json!(ports),
        age(obj, now),
    ])
}

pub(super) const INGRESS_CLASS: &[Column] = &[
    NAME,
    text("Controller", "The controller that implements this class."),
    text(
        "Parameters",
        "The object holding further configuration of this class.",
    ),
    AGE,
];

pub(super) fn ingress_class(obj: &Value, now: Timestamp) -> Row {
    let parameters = match obj.pointer("/spec/parameters") {
        Some(p) if !p.is_null() => {
            let mut kind = str_at(p, "/kind").to_string();
            if let Some(group) = opt_str(p, "/apiGroup") {
                kind = format!("{kind}.{group}");
            }
            format!("{kind}/{}", str_at(p, "/name"))
        }
        _ => "<none>".to_string(),
    };
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/spec/controller")),
        json!(parameters),
        age(obj, now),
    ])
}

pub(super) const NETWORK_POLICY: &[Column] = &[
    NAME,
    text("Pod-Selector", "The pods this policy applies to."),
    AGE,
];

pub(super) fn network_policy(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(format_label_selector(obj.pointer("/spec/podSelector"))),
        age(obj, now),
    ])
}

pub(super) const ENDPOINT_SLICE: &[Column] = &[
    NAME,
    text(
        "AddressType",
        "The kind of address in this slice: IPv4, IPv6 or FQDN.",
    ),
    text("Ports", "The ports of the endpoints of this slice."),
    text("Endpoints", "The addresses of the endpoints of this slice."),
    AGE,
];

pub(super) fn endpoint_slice(obj: &Value, now: Timestamp) -> Row {
    let ports: Vec<String> = array_at(obj, "/ports")
        .iter()
        .map(|port| match port.get("port").and_then(Value::as_i64) {
            Some(number) => number.to_string(),
            None => opt_str(port, "/name").unwrap_or("*").to_string(),
        })
        .collect();
    let addresses: Vec<String> = array_at(obj, "/endpoints")
        .iter()
        .flat_map(|e| array_at(e, "/addresses"))
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect();
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/addressType")),
        json!(list_with_more(&ports, 3)),
        json!(list_with_more(&addresses, 3)),
        age(obj, now),
    ])
}

pub(super) const ROLE_BINDING: &[Column] = &[
    NAME,
    text("Role", "The role this binding grants."),
    AGE,
    wide("Users", "Users in the roleBinding"),
    wide("Groups", "Groups in the roleBinding"),
    wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
];

pub(super) const CLUSTER_ROLE_BINDING: &[Column] = &[
    NAME,
    text("Role", "The cluster role this binding grants."),
    AGE,
    wide("Users", "Users in the clusterRoleBinding"),
    wide("Groups", "Groups in the clusterRoleBinding"),
    wide(
        "ServiceAccounts",
        "ServiceAccounts in the clusterRoleBinding",
    ),
];

/// A RoleBinding or a ClusterRoleBinding: the same cells.
pub(super) fn role_binding(obj: &Value, now: Timestamp) -> Row {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut service_accounts = Vec::new();
    for subject in array_at(obj, "/subjects") {
        let subject_name = str_at(subject, "/name");
        match str_at(subject, "/kind") {
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{subject_name}", str_at(subject, "/namespace")))
            }
            "User" => users.push(subject_name.to_string()),
            "Group" => groups.push(subject_name.to_string()),
            _ => {}
        }
    }
    Row::new(vec![
        name(obj),
        json!(format!(
            "{}/{}",
            str_at(obj, "/roleRef/kind"),
            str_at(obj, "/roleRef/name")
        )),
        age(obj, now),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(service_accounts.join(", ")),
    ])
}

pub(super) const STORAGE_CLASS: &[Column] = &[
    NAME,
    text(
        "Provisioner",
        "The volume plugin that provisions volumes of this class.",
    ),
    text(
        "ReclaimPolicy",
        "What happens to provisioned volumes once released.",
    ),
    text(
        "VolumeBindingMode",
        "When volumes of this class are bound and provisioned.",
    ),
    text(
        "AllowVolumeExpansion",
        "Whether volumes of this class can be expanded.",
    ),
    AGE,
];

pub(super) fn storage_class(obj: &Value, now: Timestamp) -> Row {
    let is_default = [
        "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
        "/metadata/annotations/storageclass.beta.kubernetes.io~1is-default-class",
    ]
    .iter()
    .any(|pointer| str_at(obj, pointer) == "true");
    let mut class_name = crate::meta::name(obj).to_string();
    if is_default {
        class_name.push_str(" (default)");
    }
    Row::new(vec![
        json!(class_name),
        json!(str_at(obj, "/provisioner")),
        json!(opt_str(obj, "/reclaimPolicy").unwrap_or("Delete")),
        json!(opt_str(obj, "/volumeBindingMode").unwrap_or("Immediate")),
        json!(obj
            .get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        age(obj, now),
    ])
}

pub(super) const PRIORITY_CLASS: &[Column] = &[
    NAME,
    typed("Value", "integer", "The priority of pods of this class."),
    typed(
        "Global-Default",
        "boolean",
        "Whether pods without a priority class get this one.",
    ),
    AGE,
    // Upstream gives this column priority 0 although it fills it only when wide.
    text(
        "PreemptionPolicy",
        "Whether pods of this class may preempt pods of lower priority.",
    ),
];

pub(super) fn priority_class(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(int_at(obj, "/value")),
        json!(obj
            .get("globalDefault")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        age(obj, now),
        json!(str_at(obj, "/preemptionPolicy")),
    ])
}

pub(super) const LEASE: &[Column] = &[
    NAME,
    text("Holder", "The identity of the current holder of the lease."),
    AGE,
];

pub(super) fn lease(obj: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/spec/holderIdentity")),
        age(obj, now),
    ])
}

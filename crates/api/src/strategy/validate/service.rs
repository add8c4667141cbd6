//! Validation of Services (upstream `ValidateService`, `validateServicePort`,
//! `ValidateServiceUpdate`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::container::validate_protocol;
use crate::validation::{
    child, index, is_dns1123_label, is_dns1123_subdomain, is_valid_ip, is_valid_port_name,
    is_valid_port_num, validate_labels, FieldError,
};

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const SESSION_AFFINITIES: &[&str] = &["ClientIP", "None"];

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn is_headless(spec: &Value) -> bool {
    let ips = strings(spec.get("clusterIPs"));
    text(spec, "clusterIP") == "None" || (ips.len() == 1 && ips[0] == "None")
}

pub(super) fn validate_service(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let service_type = text(spec, "type");
    let ports = spec
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ports.is_empty() && !is_headless(spec) && service_type != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    if service_type == "ExternalName" {
        if !strings(spec.get("clusterIPs")).is_empty() {
            errs.push(FieldError::forbidden(
                "spec.clusterIPs",
                "may not be set for ExternalName services",
            ));
        }
        let name = text(spec, "externalName");
        let cname = name.strip_suffix('.').unwrap_or(name);
        if cname.is_empty() {
            errs.push(FieldError::required("spec.externalName", ""));
        } else {
            for message in is_dns1123_subdomain(cname) {
                errs.push(FieldError::invalid("spec.externalName", cname, message));
            }
        }
    }
    if is_headless(spec) && matches!(service_type, "NodePort" | "LoadBalancer") {
        errs.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            "None",
            format!("may not be set to 'None' for {service_type} services"),
        ));
    }
    let external_policy = text(spec, "externalTrafficPolicy");
    let externally_accessible = matches!(service_type, "NodePort" | "LoadBalancer")
        || (service_type == "ClusterIP" && !strings(spec.get("externalIPs")).is_empty());
    if !external_policy.is_empty() {
        if !externally_accessible {
            errs.push(FieldError::invalid(
                "spec.externalTrafficPolicy",
                external_policy,
                "may only be set for externally-accessible services",
            ));
        } else if external_policy != "Cluster" && external_policy != "Local" {
            errs.push(FieldError::not_supported(
                "spec.externalTrafficPolicy",
                external_policy,
                &["Cluster", "Local"],
            ));
        }
    }
    let cluster_ip = text(spec, "clusterIP");
    if !cluster_ip.is_empty() && cluster_ip != "None" {
        for message in is_valid_ip(cluster_ip) {
            errs.push(FieldError::invalid("spec.clusterIP", cluster_ip, message));
        }
    }
    let mut names = BTreeSet::new();
    let require_name = ports.len() > 1;
    for (i, port) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            port,
            require_name,
            &mut names,
            &index("spec.ports", i),
        ));
    }
    errs.extend(validate_labels(
        spec.get("selector").and_then(Value::as_object),
        "spec.selector",
    ));
    match text(spec, "sessionAffinity") {
        "" => errs.push(FieldError::required("spec.sessionAffinity", "")),
        affinity if !SESSION_AFFINITIES.contains(&affinity) => {
            errs.push(FieldError::not_supported(
                "spec.sessionAffinity",
                affinity,
                SESSION_AFFINITIES,
            ));
        }
        _ => {}
    }
    match service_type {
        "" => errs.push(FieldError::required("spec.type", "")),
        t if !SERVICE_TYPES.contains(&t) => {
            errs.push(FieldError::not_supported("spec.type", t, SERVICE_TYPES))
        }
        _ => {}
    }
    if service_type == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    child(&index("spec.ports", i), "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let protocol = text(port, "protocol").to_string();
        let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
        if !seen.insert((protocol.clone(), number)) {
            errs.push(FieldError::invalid_go(
                index("spec.ports", i),
                format!("core.ServicePort{{Name:\"\", Protocol:\"{protocol}\", AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"),
                "",
            ));
            if let Some(last) = errs.last_mut() {
                last.error_type = crate::ErrorType::Duplicate;
            }
        }
    }
    errs
}

fn validate_service_port(
    port: &Value,
    require_name: bool,
    names: &mut BTreeSet<String>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = text(port, "name");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(child(path, "name"), ""));
    } else if !name.is_empty() {
        for message in is_dns1123_label(name) {
            errs.push(FieldError::invalid(child(path, "name"), name, message));
        }
        if !names.insert(name.to_string()) {
            errs.push(FieldError::duplicate(child(path, "name"), name));
        }
    }
    let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
    for message in is_valid_port_num(number) {
        errs.push(FieldError::invalid(child(path, "port"), number, message));
    }
    errs.extend(validate_protocol(port, &child(path, "protocol")));
    match port.get("targetPort") {
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            for message in is_valid_port_num(n) {
                errs.push(FieldError::invalid(child(path, "targetPort"), n, message));
            }
        }
        Some(Value::String(s)) => {
            for message in is_valid_port_name(s) {
                errs.push(FieldError::invalid(
                    child(path, "targetPort"),
                    s.as_str(),
                    message,
                ));
            }
        }
        _ => {}
    }
    if let Some(node_port) = port.get("nodePort").and_then(Value::as_i64) {
        if node_port != 0 {
            for message in is_valid_port_num(node_port) {
                errs.push(FieldError::invalid(
                    child(path, "nodePort"),
                    node_port,
                    message,
                ));
            }
        }
    }
    errs
}

/// The cluster IPs may not change once set, except to or from ExternalName.
pub(super) fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let new_spec = new.get("spec").unwrap_or(&Value::Null);
    let old_spec = old.get("spec").unwrap_or(&Value::Null);
    if text(new_spec, "type") == "ExternalName" || text(old_spec, "type") == "ExternalName" {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let old_ips = strings(old_spec.get("clusterIPs"));
    let new_ips = strings(new_spec.get("clusterIPs"));
    let old_ip = text(old_spec, "clusterIP");
    let new_ip = text(new_spec, "clusterIP");
    if !old_ip.is_empty() && new_ip != old_ip {
        errs.push(FieldError::invalid(
            "spec.clusterIP",
            new_ip,
            "field is immutable",
        ));
    }
    if let (Some(old_first), Some(new_first)) = (old_ips.first(), new_ips.first()) {
        if old_first != new_first {
            errs.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                Value::from(new_ips.clone()),
                "may not change once set",
            ));
        }
    }
    errs
}

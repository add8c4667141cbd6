//! Validation of Ingresses, IngressClasses, NetworkPolicies, Endpoints and
//! EndpointSlices (upstream `pkg/apis/networking/validation`,
//! `pkg/apis/discovery/validation` and core's `ValidateEndpoints`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::container::validate_protocol;
use super::controller::validate_label_selector;
use crate::validation::{
    child, index, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_valid_ip,
    is_valid_port_name, is_valid_port_num, FieldError,
};

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

const PATH_TYPES: &[&str] = &["Exact", "ImplementationSpecific", "Prefix"];

pub(super) fn validate_ingress(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    let rules = items(spec.get("rules"));
    let default_backend = spec.get("defaultBackend").filter(|b| !b.is_null());
    if rules.is_empty() && default_backend.is_none() {
        errs.push(FieldError::invalid_go(
            "spec",
            "[]networking.IngressRule(nil)",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(backend) = default_backend {
        errs.extend(validate_backend(backend, "spec.defaultBackend"));
    }
    for (i, rule) in rules.iter().enumerate() {
        let rule_path = index("spec.rules", i);
        let host = text(rule, "host");
        if !host.is_empty() {
            if host.parse::<std::net::IpAddr>().is_ok() {
                errs.push(FieldError::invalid(
                    child(&rule_path, "host"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            } else {
                let checked = host.strip_prefix("*.").unwrap_or(host);
                for message in is_dns1123_subdomain(checked) {
                    errs.push(FieldError::invalid(
                        child(&rule_path, "host"),
                        host,
                        message,
                    ));
                }
            }
        }
        let Some(http) = rule.get("http").filter(|h| !h.is_null()) else {
            continue;
        };
        let http_path = child(&rule_path, "http");
        let paths = items(http.get("paths"));
        if paths.is_empty() {
            errs.push(FieldError::required(child(&http_path, "paths"), ""));
        }
        for (j, path) in paths.iter().enumerate() {
            let path_path = index(&child(&http_path, "paths"), j);
            let value = text(path, "path");
            match text(path, "pathType") {
                "" => errs.push(FieldError::required(
                    child(&path_path, "pathType"),
                    "pathType must be specified",
                )),
                "Exact" | "Prefix" => {
                    if !value.starts_with('/') {
                        errs.push(FieldError::invalid(
                            child(&path_path, "path"),
                            value,
                            "must be an absolute path",
                        ));
                    }
                }
                "ImplementationSpecific" => {
                    if !value.is_empty() && !value.starts_with('/') {
                        errs.push(FieldError::invalid(
                            child(&path_path, "path"),
                            value,
                            "must be an absolute path",
                        ));
                    }
                }
                other => errs.push(FieldError::not_supported(
                    child(&path_path, "pathType"),
                    other,
                    PATH_TYPES,
                )),
            }
            match path.get("backend") {
                Some(backend) => {
                    errs.extend(validate_backend(backend, &child(&path_path, "backend")))
                }
                None => errs.push(FieldError::required(child(&path_path, "backend"), "")),
            }
        }
    }
    let class = text(spec, "ingressClassName");
    if !class.is_empty() {
        for message in is_dns1123_subdomain(class) {
            errs.push(FieldError::invalid("spec.ingressClassName", class, message));
        }
    }
    errs
}

fn validate_backend(backend: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let service = backend.get("service").filter(|s| !s.is_null());
    let resource = backend.get("resource").filter(|r| !r.is_null());
    match (service, resource) {
        (Some(_), Some(_)) => {
            errs.push(FieldError::invalid(
                path,
                "",
                "cannot set both resource and service backends",
            ));
        }
        (None, None) => errs.push(FieldError::invalid(
            path,
            "",
            "resource or service backend is required",
        )),
        (None, Some(_)) => {}
        (Some(service), None) => {
            let service_path = child(path, "service");
            let name = text(service, "name");
            if name.is_empty() {
                errs.push(FieldError::required(child(&service_path, "name"), ""));
            } else {
                for message in is_dns1035_label(name) {
                    errs.push(FieldError::invalid(
                        child(&service_path, "name"),
                        name,
                        message,
                    ));
                }
            }
            let port = service.get("port").unwrap_or(&Value::Null);
            let port_path = child(&service_path, "port");
            let port_name = text(port, "name");
            let number = port.get("number").and_then(Value::as_i64).unwrap_or(0);
            match (port_name.is_empty(), number == 0) {
                (false, false) => errs.push(FieldError::invalid(
                    port_path,
                    "",
                    "cannot set both port name & port number",
                )),
                (true, true) => errs.push(FieldError::required(
                    port_path,
                    "port name or number is required",
                )),
                (false, true) => {
                    for message in is_valid_port_name(port_name) {
                        errs.push(FieldError::invalid(
                            child(&port_path, "name"),
                            port_name,
                            message,
                        ));
                    }
                }
                (true, false) => {
                    for message in is_valid_port_num(number) {
                        errs.push(FieldError::invalid(
                            child(&port_path, "number"),
                            number,
                            message,
                        ));
                    }
                }
            }
        }
    }
    errs
}

pub(super) fn validate_ingress_class(obj: &Value) -> Vec<FieldError> {
    let controller = obj
        .pointer("/spec/controller")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = "spec.controller";
    if controller.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    if controller.len() > 250 {
        return vec![FieldError::too_long(path, 250)];
    }
    // A domain-prefixed path, as upstream's `IsDomainPrefixedPath`.
    let Some((host, rest)) = controller
        .split_once('/')
        .filter(|(h, r)| !h.is_empty() && !r.is_empty())
    else {
        return vec![FieldError::invalid(
            path,
            controller,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    };
    let mut errs: Vec<FieldError> = is_dns1123_subdomain(host)
        .into_iter()
        .map(|message| FieldError::invalid(path, host, message))
        .collect();
    let path_chars = |c: char| c.is_ascii_alphanumeric() || "/-._~%!$&'()*+,;=:".contains(c);
    if !rest.chars().all(path_chars) {
        errs.push(FieldError::invalid(
            path,
            rest,
            "a valid path must consist of letters, digits and the characters /-._~%!$&'()*+,;=: (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
        ));
    }
    errs
}

pub(super) fn validate_network_policy(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = validate_label_selector(
        spec.get("podSelector").unwrap_or(&Value::Null),
        "spec.podSelector",
    );
    for direction in ["ingress", "egress"] {
        for (i, rule) in items(spec.get(direction)).iter().enumerate() {
            let rule_path = index(&child("spec", direction), i);
            for (j, port) in items(rule.get("ports")).iter().enumerate() {
                let port_path = index(&child(&rule_path, "ports"), j);
                if !text(port, "protocol").is_empty() {
                    errs.extend(validate_protocol(port, &child(&port_path, "protocol")));
                }
                match port.get("port") {
                    Some(Value::Number(n)) => {
                        let n = n.as_i64().unwrap_or(0);
                        for message in is_valid_port_num(n) {
                            errs.push(FieldError::invalid(child(&port_path, "port"), n, message));
                        }
                    }
                    Some(Value::String(s)) => {
                        for message in is_valid_port_name(s) {
                            errs.push(FieldError::invalid(
                                child(&port_path, "port"),
                                s.as_str(),
                                message,
                            ));
                        }
                    }
                    _ => {}
                }
            }
            let peers = if direction == "ingress" { "from" } else { "to" };
            for (j, peer) in items(rule.get(peers)).iter().enumerate() {
                let peer_path = index(&child(&rule_path, peers), j);
                for selector in ["podSelector", "namespaceSelector"] {
                    if let Some(s) = peer.get(selector).filter(|s| !s.is_null()) {
                        errs.extend(validate_label_selector(s, &child(&peer_path, selector)));
                    }
                }
            }
        }
    }
    let types = items(spec.get("policyTypes"));
    for (i, policy_type) in types.iter().enumerate() {
        let value = policy_type.as_str().unwrap_or_default();
        if value != "Ingress" && value != "Egress" {
            errs.push(FieldError::not_supported(
                index("spec.policyTypes", i),
                value,
                &["Egress", "Ingress"],
            ));
        }
    }
    if types.len() > 2 {
        errs.push(FieldError::invalid(
            "spec.policyTypes",
            Value::Array(types.to_vec()),
            "may not have more than 2 items",
        ));
    }
    errs
}

pub(super) fn validate_endpoints(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, subset) in items(obj.get("subsets")).iter().enumerate() {
        let subset_path = index("subsets", i);
        for field in ["addresses", "notReadyAddresses"] {
            for (j, address) in items(subset.get(field)).iter().enumerate() {
                let ip = text(address, "ip");
                for message in is_valid_ip(ip) {
                    errs.push(FieldError::invalid(
                        child(&index(&child(&subset_path, field), j), "ip"),
                        ip,
                        message,
                    ));
                }
            }
        }
        let ports = items(subset.get("ports"));
        let mut names = BTreeSet::new();
        for (j, port) in ports.iter().enumerate() {
            let port_path = index(&child(&subset_path, "ports"), j);
            let name = text(port, "name");
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(child(&port_path, "name"), ""));
            } else if !name.is_empty() {
                for message in is_dns1123_label(name) {
                    errs.push(FieldError::invalid(
                        child(&port_path, "name"),
                        name,
                        message,
                    ));
                }
                if !names.insert(name) {
                    errs.push(FieldError::duplicate(child(&port_path, "name"), name));
                }
            }
            let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
            for message in is_valid_port_num(number) {
                errs.push(FieldError::invalid(
                    child(&port_path, "port"),
                    number,
                    message,
                ));
            }
            errs.extend(validate_protocol(port, &child(&port_path, "protocol")));
        }
    }
    errs
}

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];

pub(super) fn validate_endpoint_slice(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let address_type = text(obj, "addressType");
    if address_type.is_empty() {
        errs.push(FieldError::required("addressType", ""));
    } else if !ADDRESS_TYPES.contains(&address_type) {
        errs.push(FieldError::not_supported(
            "addressType",
            address_type,
            ADDRESS_TYPES,
        ));
    }
    for (i, endpoint) in items(obj.get("endpoints")).iter().enumerate() {
        let path = index("endpoints", i);
        let addresses = items(endpoint.get("addresses"));
        if addresses.is_empty() || addresses.len() > 100 {
            errs.push(FieldError::invalid(
                child(&path, "addresses"),
                Value::Array(addresses.to_vec()),
                "must contain at least 1 and at most 100 addresses",
            ));
        }
        for (j, address) in addresses.iter().enumerate() {
            let address = address.as_str().unwrap_or_default();
            let problems = match address_type {
                "IPv4" if address.parse::<std::net::Ipv4Addr>().is_err() => {
                    vec!["must be a valid IPv4 address".to_string()]
                }
                "IPv6" if address.parse::<std::net::Ipv6Addr>().is_err() => {
                    vec!["must be a valid IPv6 address".to_string()]
                }
                "FQDN" => is_dns1123_subdomain(address),
                _ => Vec::new(),
            };
            for message in problems {
                errs.push(FieldError::invalid(
                    index(&child(&path, "addresses"), j),
                    address,
                    message,
                ));
            }
        }
    }
    for (i, port) in items(obj.get("ports")).iter().enumerate() {
        let path = index("ports", i);
        if let Some(number) = port.get("port").and_then(Value::as_i64) {
            for message in is_valid_port_num(number) {
                errs.push(FieldError::invalid(child(&path, "port"), number, message));
            }
        }
        if !text(port, "protocol").is_empty() {
            errs.extend(validate_protocol(port, &child(&path, "protocol")));
        }
    }
    errs
}

//! Validation of containers: names, images, policies, ports, env, volume
//! mounts, resources and probes (upstream `validateContainers` and friends).

use std::collections::BTreeSet;

use serde_json::Value;

use super::pod::{text, PORT_PROTOCOLS};
use crate::strategy::quantity::Quantity;
use crate::validation::{
    child, index, is_dns1123_label, is_env_var_name, is_qualified_name, is_valid_port_name,
    is_valid_port_num, key, validate_nonnegative, FieldError,
};

const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const TERMINATION_MESSAGE_POLICIES: &[&str] = &["FallbackToLogsOnError", "File"];

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// One container: name, image, policies, ports, env, mounts, resources, probes.
pub(super) fn validate_container(
    container: &Value,
    path: &str,
    volume_names: &BTreeSet<String>,
    all_names: &mut BTreeSet<String>,
    is_init_or_ephemeral: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    // Only init containers may restart on their own (as sidecars).
    match container.get("restartPolicy").and_then(Value::as_str) {
        None => {}
        Some(_) if !is_init_or_ephemeral => errs.push(FieldError::forbidden(
            child(path, "restartPolicy"),
            "may not be set for non-init containers",
        )),
        Some("Always") => {}
        Some(other) => errs.push(FieldError::not_supported(
            child(path, "restartPolicy"),
            other,
            &["Always"],
        )),
    }
    let name = text(container, "name");
    if name.is_empty() {
        errs.push(FieldError::required(child(path, "name"), ""));
    } else {
        for message in is_dns1123_label(name) {
            errs.push(FieldError::invalid(child(path, "name"), name, message));
        }
        if !all_names.insert(name.to_string()) {
            errs.push(FieldError::duplicate(child(path, "name"), name));
        }
    }
    if text(container, "image").is_empty() {
        errs.push(FieldError::required(child(path, "image"), ""));
    }
    match text(container, "imagePullPolicy") {
        "" => errs.push(FieldError::required(child(path, "imagePullPolicy"), "")),
        policy if !PULL_POLICIES.contains(&policy) => {
            errs.push(FieldError::not_supported(
                child(path, "imagePullPolicy"),
                policy,
                PULL_POLICIES,
            ));
        }
        _ => {}
    }
    match text(container, "terminationMessagePolicy") {
        "" => errs.push(FieldError::required(
            child(path, "terminationMessagePolicy"),
            "",
        )),
        policy if !TERMINATION_MESSAGE_POLICIES.contains(&policy) => {
            errs.push(FieldError::not_supported(
                child(path, "terminationMessagePolicy"),
                policy,
                TERMINATION_MESSAGE_POLICIES,
            ))
        }
        _ => {}
    }
    errs.extend(validate_container_ports(
        items(container.get("ports")),
        &child(path, "ports"),
    ));
    errs.extend(validate_env(
        items(container.get("env")),
        &child(path, "env"),
    ));
    errs.extend(validate_volume_mounts(
        items(container.get("volumeMounts")),
        volume_names,
        &child(path, "volumeMounts"),
    ));
    if let Some(resources) = container.get("resources") {
        errs.extend(validate_resources(resources, &child(path, "resources")));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(value) = container.get(probe).filter(|v| !v.is_null()) else {
            continue;
        };
        let probe_path = child(path, probe);
        if is_init_or_ephemeral
            && container.get("restartPolicy").and_then(Value::as_str) != Some("Always")
        {
            errs.push(FieldError::forbidden(
                probe_path.clone(),
                "may not be set for init containers without restartPolicy=Always",
            ));
            continue;
        }
        errs.extend(validate_probe(
            value,
            &probe_path,
            probe != "readinessProbe",
        ));
    }
    errs
}

fn validate_container_ports(ports: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = index(path, i);
        let name = text(port, "name");
        if !name.is_empty() {
            let problems = is_valid_port_name(name);
            if !problems.is_empty() {
                for message in problems {
                    errs.push(FieldError::invalid(
                        child(&port_path, "name"),
                        name,
                        message,
                    ));
                }
            } else if !names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(child(&port_path, "name"), name));
            }
        }
        let container_port = port
            .get("containerPort")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if container_port == 0 {
            errs.push(FieldError::required(child(&port_path, "containerPort"), ""));
        } else {
            for message in is_valid_port_num(container_port) {
                errs.push(FieldError::invalid(
                    child(&port_path, "containerPort"),
                    container_port,
                    message,
                ));
            }
        }
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_port != 0 {
            for message in is_valid_port_num(host_port) {
                errs.push(FieldError::invalid(
                    child(&port_path, "hostPort"),
                    host_port,
                    message,
                ));
            }
        }
        errs.extend(validate_protocol(port, &child(&port_path, "protocol")));
    }
    errs
}

/// `protocol` is required and one of SCTP, TCP, UDP.
pub(crate) fn validate_protocol(port: &Value, path: &str) -> Vec<FieldError> {
    match text(port, "protocol") {
        "" => vec![FieldError::required(path, "")],
        protocol if !PORT_PROTOCOLS.contains(&protocol) => {
            vec![FieldError::not_supported(path, protocol, PORT_PROTOCOLS)]
        }
        _ => Vec::new(),
    }
}

fn validate_env(env: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, var) in env.iter().enumerate() {
        let var_path = index(path, i);
        let name = text(var, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&var_path, "name"), ""));
        } else {
            for message in is_env_var_name(name) {
                errs.push(FieldError::invalid(child(&var_path, "name"), name, message));
            }
        }
        let Some(value_from) = var.get("valueFrom").filter(|v| !v.is_null()) else {
            continue;
        };
        let from_path = child(&var_path, "valueFrom");
        let sources = [
            "fieldRef",
            "resourceFieldRef",
            "configMapKeyRef",
            "secretKeyRef",
            "fileKeyRef",
        ]
        .iter()
        .filter(|s| value_from.get(**s).is_some_and(|v| !v.is_null()))
        .count();
        if !text(var, "value").is_empty() {
            errs.push(FieldError::invalid(
                from_path.clone(),
                "",
                "may not be specified when `value` is not empty",
            ));
        }
        match sources {
            0 => errs.push(FieldError::invalid(from_path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")),
            1 => {}
            _ => errs.push(FieldError::invalid(from_path, "", "may not have more than one field specified at a time")),
        }
    }
    errs
}

fn validate_volume_mounts(
    mounts: &[Value],
    volume_names: &BTreeSet<String>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut paths = BTreeSet::new();
    for (i, mount) in mounts.iter().enumerate() {
        let mount_path = index(path, i);
        let name = text(mount, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&mount_path, "name"), ""));
        } else if !volume_names.contains(name) {
            errs.push(FieldError::not_found(child(&mount_path, "name"), name));
        }
        let target = text(mount, "mountPath");
        if target.is_empty() {
            errs.push(FieldError::required(child(&mount_path, "mountPath"), ""));
        } else if !paths.insert(target.to_string()) {
            errs.push(FieldError::invalid(
                child(&mount_path, "mountPath"),
                target,
                "must be unique",
            ));
        }
        let sub_path = text(mount, "subPath");
        if sub_path.starts_with('/') {
            errs.push(FieldError::invalid(
                child(&mount_path, "subPath"),
                sub_path,
                "must be a relative path",
            ));
        }
        if sub_path.split('/').any(|part| part == "..") {
            errs.push(FieldError::invalid(
                child(&mount_path, "subPath"),
                sub_path,
                "must not contain '..'",
            ));
        }
    }
    errs
}

/// Resource names are standard or qualified, quantities non-negative, and
/// requests at most limits.
fn validate_resources(resources: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let list = |kind: &str| {
        resources
            .get(kind)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let limits = list("limits");
    let requests = list("requests");
    for (kind, values) in [("limits", &limits), ("requests", &requests)] {
        for (name, quantity) in values {
            let field = key(&child(path, kind), name);
            for message in is_qualified_name(name) {
                errs.push(FieldError::invalid(field.clone(), name.as_str(), message));
            }
            let text = quantity.as_str().unwrap_or_default();
            match Quantity::parse(text) {
                Some(q) if q.is_negative() => {
                    errs.push(FieldError::invalid(
                        field,
                        text,
                        "must be greater than or equal to 0",
                    ));
                }
                Some(_) => {}
                None => errs.push(FieldError::invalid(field, text, "must be a valid quantity")),
            }
        }
    }
    for (name, request) in &requests {
        let (Some(request_text), Some(limit_text)) =
            (request.as_str(), limits.get(name).and_then(Value::as_str))
        else {
            continue;
        };
        if let (Some(request_q), Some(limit_q)) =
            (Quantity::parse(request_text), Quantity::parse(limit_text))
        {
            if request_q > limit_q {
                errs.push(FieldError::invalid(
                    key(&child(path, "requests"), name),
                    request_text,
                    format!("must be less than or equal to {name} limit of {limit_text}"),
                ));
            }
        }
    }
    errs
}

fn validate_probe(probe: &Value, path: &str, success_must_be_one: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let handlers = ["exec", "httpGet", "tcpSocket", "grpc"]
        .iter()
        .filter(|h| probe.get(**h).is_some_and(|v| !v.is_null()))
        .count();
    if handlers == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    } else if handlers > 1 {
        errs.push(FieldError::forbidden(
            path,
            "may not specify more than 1 handler type",
        ));
    }
    for handler in ["httpGet", "tcpSocket"] {
        let Some(action) = probe.get(handler).filter(|v| !v.is_null()) else {
            continue;
        };
        let port_path = child(&child(path, handler), "port");
        match action.get("port") {
            Some(Value::String(name)) => {
                for message in is_valid_port_name(name) {
                    errs.push(FieldError::invalid(
                        port_path.clone(),
                        name.as_str(),
                        message,
                    ));
                }
            }
            other => {
                let number = other.and_then(Value::as_i64).unwrap_or(0);
                for message in is_valid_port_num(number) {
                    errs.push(FieldError::invalid(port_path.clone(), number, message));
                }
            }
        }
    }
    if let Some(exec) = probe.get("exec").filter(|v| !v.is_null()) {
        if exec
            .get("command")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            errs.push(FieldError::required(
                child(&child(path, "exec"), "command"),
                "",
            ));
        }
    }
    for field in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        errs.extend(validate_nonnegative(probe.get(field), &child(path, field)));
    }
    if success_must_be_one {
        if let Some(threshold) = probe.get("successThreshold").and_then(Value::as_i64) {
            if threshold != 1 {
                errs.push(FieldError::invalid(
                    child(path, "successThreshold"),
                    threshold,
                    "must be 1",
                ));
            }
        }
    }
    errs
}

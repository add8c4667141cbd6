//! Validation of PodDisruptionBudgets and HorizontalPodAutoscalers (upstream
//! `pkg/apis/policy/validation` and `pkg/apis/autoscaling/validation`).

use serde_json::Value;

use super::controller::{
    int, not_more_than_100_percent, spec, text, validate_int_or_percent, validate_label_selector,
};
use crate::validation::{child, FieldError};

pub(super) fn validate_pod_disruption_budget(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = Vec::new();
    let min_available = spec.get("minAvailable").filter(|v| !v.is_null());
    let max_unavailable = spec.get("maxUnavailable").filter(|v| !v.is_null());
    if min_available.is_some() && max_unavailable.is_some() {
        errs.push(FieldError::invalid(
            "spec",
            spec.clone(),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for (field, value) in [
        ("minAvailable", min_available),
        ("maxUnavailable", max_unavailable),
    ] {
        let path = child("spec", field);
        errs.extend(validate_int_or_percent(value, &path).0);
        errs.extend(not_more_than_100_percent(value, &path));
    }
    if let Some(selector) = spec.get("selector").filter(|s| !s.is_null()) {
        errs.extend(validate_label_selector(selector, "spec.selector"));
    }
    match text(spec, "unhealthyPodEvictionPolicy") {
        "" | "IfHealthyBudget" | "AlwaysAllow" => {}
        other => errs.push(FieldError::not_supported(
            "spec.unhealthyPodEvictionPolicy",
            other,
            &["AlwaysAllow", "IfHealthyBudget"],
        )),
    }
    errs
}

pub(super) fn validate_horizontal_pod_autoscaler(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = Vec::new();
    let target = spec.get("scaleTargetRef").unwrap_or(&Value::Null);
    for field in ["kind", "name"] {
        if text(target, field).is_empty() {
            errs.push(FieldError::required(
                child("spec.scaleTargetRef", field),
                "",
            ));
        }
    }
    let min = int(spec, "minReplicas");
    if let Some(min) = min {
        if min < 1 {
            errs.push(FieldError::invalid(
                "spec.minReplicas",
                min,
                "must be greater than or equal to 1",
            ));
        }
    }
    let max = int(spec, "maxReplicas").unwrap_or(0);
    if max < 1 {
        errs.push(FieldError::invalid(
            "spec.maxReplicas",
            max,
            "must be greater than 0",
        ));
    }
    if let Some(min) = min {
        if max < min {
            errs.push(FieldError::invalid(
                "spec.maxReplicas",
                max,
                "must be greater than or equal to `minReplicas`",
            ));
        }
    }
    if let Some(target) = int(spec, "targetCPUUtilizationPercentage") {
        if target < 1 {
            errs.push(FieldError::invalid(
                "spec.targetCPUUtilizationPercentage",
                target,
                "must be greater than 0",
            ));
        }
    }
    errs
}

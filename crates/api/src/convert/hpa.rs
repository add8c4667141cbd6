//! autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscalers, as upstream's
//! `pkg/apis/autoscaling/v1/conversion.go`.
//!
//! v1 has only `targetCPUUtilizationPercentage` (a Resource metric on cpu with
//! an Utilization target) and `currentCPUUtilizationPercentage`; everything else
//! of v2 travels in annotations: other metrics in
//! `autoscaling.alpha.kubernetes.io/metrics` and `.../current-metrics` (in the
//! alpha metric shape), conditions in `.../conditions` and the behavior in
//! `.../behavior`.

use serde_json::{json, Map, Value};

const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";

fn object(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn list(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// Sets `key` unless the value is null.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        map.insert(key.to_string(), value);
    }
}

fn annotations(metadata: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let slot = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

/// Takes the JSON list kept in an annotation, removing the annotation.
fn take_annotation(metadata: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let annotations = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)?;
    let text = annotations.remove(key)?;
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
    serde_json::from_str(text.as_str()?).ok()
}

fn is_cpu_utilization(metric: &Value, state: &str) -> bool {
    metric.get("type").and_then(Value::as_str) == Some("Resource")
        && metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
        && metric
            .pointer(&format!("/resource/{state}/averageUtilization"))
            .is_some_and(|v| !v.is_null())
}

pub(super) fn v2_to_v1(mut hpa: Map<String, Value>) -> Map<String, Value> {
    let mut metadata = object(hpa.remove("metadata"));
    let mut spec = object(hpa.remove("spec"));
    let mut status = object(hpa.remove("status"));
    let mut out_spec = Map::new();
    put(
        &mut out_spec,
        "scaleTargetRef",
        spec.remove("scaleTargetRef"),
    );
    put(&mut out_spec, "minReplicas", spec.remove("minReplicas"));
    put(&mut out_spec, "maxReplicas", spec.remove("maxReplicas"));
    let mut other_metrics = Vec::new();
    for metric in list(spec.remove("metrics")) {
        if is_cpu_utilization(&metric, "target")
            && !out_spec.contains_key("targetCPUUtilizationPercentage")
        {
            put(
                &mut out_spec,
                "targetCPUUtilizationPercentage",
                metric
                    .pointer("/resource/target/averageUtilization")
                    .cloned(),
            );
        } else if !is_cpu_utilization(&metric, "target") {
            other_metrics.push(metric_spec_to_alpha(&metric));
        }
    }
    if !other_metrics.is_empty() {
        annotations(&mut metadata).insert(
            METRICS.into(),
            Value::String(Value::Array(other_metrics).to_string()),
        );
    }
    if let Some(behavior) = spec.remove("behavior").filter(|b| !b.is_null()) {
        annotations(&mut metadata).insert(BEHAVIOR.into(), Value::String(behavior.to_string()));
    }
    let mut out_status = Map::new();
    for field in [
        "observedGeneration",
        "lastScaleTime",
        "currentReplicas",
        "desiredReplicas",
    ] {
        put(&mut out_status, field, status.remove(field));
    }
    let mut other_current = Vec::new();
    for metric in list(status.remove("currentMetrics")) {
        if is_cpu_utilization(&metric, "current") {
            if !out_status.contains_key("currentCPUUtilizationPercentage") {
                put(
                    &mut out_status,
                    "currentCPUUtilizationPercentage",
                    metric
                        .pointer("/resource/current/averageUtilization")
                        .cloned(),
                );
            }
        } else {
            other_current.push(metric_status_to_alpha(&metric));
        }
    }
    if !other_current.is_empty() {
        annotations(&mut metadata).insert(
            CURRENT_METRICS.into(),
            Value::String(Value::Array(other_current).to_string()),
        );
    }
    let conditions = list(status.remove("conditions"));
    if !conditions.is_empty() {
        annotations(&mut metadata).insert(
            CONDITIONS.into(),
            Value::String(Value::Array(conditions).to_string()),
        );
    }
    // Go always writes v1's two replica counts.
    out_status.entry("currentReplicas").or_insert(json!(0));
    out_status.entry("desiredReplicas").or_insert(json!(0));
    let mut out = hpa;
    out.insert("metadata".into(), Value::Object(metadata));
    out.insert("spec".into(), Value::Object(out_spec));
    out.insert("status".into(), Value::Object(out_status));
    out
}

pub(super) fn v1_to_v2(mut hpa: Map<String, Value>) -> Map<String, Value> {
    let mut metadata = object(hpa.remove("metadata"));
    let mut spec = object(hpa.remove("spec"));
    let mut status = object(hpa.remove("status"));
    let mut out_spec = Map::new();
    put(
        &mut out_spec,
        "scaleTargetRef",
        spec.remove("scaleTargetRef"),
    );
    put(&mut out_spec, "minReplicas", spec.remove("minReplicas"));
    put(&mut out_spec, "maxReplicas", spec.remove("maxReplicas"));
    let mut metrics = Vec::new();
    if let Some(target) = spec
        .remove("targetCPUUtilizationPercentage")
        .filter(|t| !t.is_null())
    {
        metrics.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}));
    }
    if let Some(Value::Array(others)) = take_annotation(&mut metadata, METRICS) {
        metrics.extend(others.iter().map(alpha_to_metric_spec));
    }
    if !metrics.is_empty() {
        out_spec.insert("metrics".into(), Value::Array(metrics));
    }
    if let Some(behavior) = take_annotation(&mut metadata, BEHAVIOR) {
        put(&mut out_spec, "behavior", Some(behavior));
    }
    let mut out_status = Map::new();
    for field in [
        "observedGeneration",
        "lastScaleTime",
        "currentReplicas",
        "desiredReplicas",
    ] {
        put(&mut out_status, field, status.remove(field));
    }
    let mut current = Vec::new();
    if let Some(cpu) = status
        .remove("currentCPUUtilizationPercentage")
        .filter(|c| !c.is_null())
    {
        current.push(json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu}}}));
    }
    if let Some(Value::Array(others)) = take_annotation(&mut metadata, CURRENT_METRICS) {
        current.extend(others.iter().map(alpha_to_metric_status));
    }
    if !current.is_empty() {
        out_status.insert("currentMetrics".into(), Value::Array(current));
    }
    if let Some(Value::Array(conditions)) = take_annotation(&mut metadata, CONDITIONS) {
        out_status.insert("conditions".into(), Value::Array(conditions));
    }
    let mut out = hpa;
    out.insert("metadata".into(), Value::Object(metadata));
    out.insert("spec".into(), Value::Object(out_spec));
    if !out_status.is_empty() {
        out.insert("status".into(), Value::Object(out_status));
    }
    out
}

fn at(value: &Value, pointer: &str) -> Option<Value> {
    value.pointer(pointer).filter(|v| !v.is_null()).cloned()
}

/// A v2 MetricSpec in the alpha shape of the v1 annotation.
fn metric_spec_to_alpha(metric: &Value) -> Value {
    let kind = metric
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut source = Map::new();
    let key = match kind {
        "Resource" => {
            put(&mut source, "name", at(metric, "/resource/name"));
            put(
                &mut source,
                "targetAverageUtilization",
                at(metric, "/resource/target/averageUtilization"),
            );
            put(
                &mut source,
                "targetAverageValue",
                at(metric, "/resource/target/averageValue"),
            );
            "resource"
        }
        "ContainerResource" => {
            put(&mut source, "name", at(metric, "/containerResource/name"));
            put(
                &mut source,
                "container",
                at(metric, "/containerResource/container"),
            );
            put(
                &mut source,
                "targetAverageUtilization",
                at(metric, "/containerResource/target/averageUtilization"),
            );
            put(
                &mut source,
                "targetAverageValue",
                at(metric, "/containerResource/target/averageValue"),
            );
            "containerResource"
        }
        "Pods" => {
            put(&mut source, "metricName", at(metric, "/pods/metric/name"));
            put(&mut source, "selector", at(metric, "/pods/metric/selector"));
            put(
                &mut source,
                "targetAverageValue",
                at(metric, "/pods/target/averageValue"),
            );
            "pods"
        }
        "Object" => {
            put(&mut source, "target", at(metric, "/object/describedObject"));
            put(&mut source, "metricName", at(metric, "/object/metric/name"));
            put(
                &mut source,
                "selector",
                at(metric, "/object/metric/selector"),
            );
            put(
                &mut source,
                "targetValue",
                at(metric, "/object/target/value"),
            );
            put(
                &mut source,
                "averageValue",
                at(metric, "/object/target/averageValue"),
            );
            "object"
        }
        "External" => {
            put(
                &mut source,
                "metricName",
                at(metric, "/external/metric/name"),
            );
            put(
                &mut source,
                "metricSelector",
                at(metric, "/external/metric/selector"),
            );
            put(
                &mut source,
                "targetValue",
                at(metric, "/external/target/value"),
            );
            put(
                &mut source,
                "targetAverageValue",
                at(metric, "/external/target/averageValue"),
            );
            "external"
        }
        _ => return metric.clone(),
    };
    json!({"type": kind, key: source})
}

/// A metric target from alpha fields: utilization, value or average value.
fn target(utilization: Option<Value>, value: Option<Value>, average: Option<Value>) -> Value {
    let mut target = Map::new();
    if let Some(u) = utilization {
        target.insert("type".into(), "Utilization".into());
        target.insert("averageUtilization".into(), u);
    } else if let Some(v) = value {
        target.insert("type".into(), "Value".into());
        target.insert("value".into(), v);
    } else {
        target.insert("type".into(), "AverageValue".into());
        put(&mut target, "averageValue", average);
    }
    Value::Object(target)
}

/// An alpha metric of the v1 annotation as a v2 MetricSpec.
fn alpha_to_metric_spec(metric: &Value) -> Value {
    let kind = metric
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "Resource" => json!({"type": kind, "resource": {
            "name": at(metric, "/resource/name"),
            "target": target(at(metric, "/resource/targetAverageUtilization"), None, at(metric, "/resource/targetAverageValue")),
        }}),
        "ContainerResource" => json!({"type": kind, "containerResource": {
            "name": at(metric, "/containerResource/name"),
            "container": at(metric, "/containerResource/container"),
            "target": target(at(metric, "/containerResource/targetAverageUtilization"), None, at(metric, "/containerResource/targetAverageValue")),
        }}),
        "Pods" => json!({"type": kind, "pods": {
            "metric": metric_identifier(at(metric, "/pods/metricName"), at(metric, "/pods/selector")),
            "target": target(None, None, at(metric, "/pods/targetAverageValue")),
        }}),
        "Object" => json!({"type": kind, "object": {
            "describedObject": at(metric, "/object/target"),
            "metric": metric_identifier(at(metric, "/object/metricName"), at(metric, "/object/selector")),
            "target": target(None, at(metric, "/object/targetValue"), at(metric, "/object/averageValue")),
        }}),
        "External" => json!({"type": kind, "external": {
            "metric": metric_identifier(at(metric, "/external/metricName"), at(metric, "/external/metricSelector")),
            "target": target(None, at(metric, "/external/targetValue"), at(metric, "/external/targetAverageValue")),
        }}),
        _ => metric.clone(),
    }
}

fn metric_identifier(name: Option<Value>, selector: Option<Value>) -> Value {
    let mut identifier = Map::new();
    put(&mut identifier, "name", name);
    put(&mut identifier, "selector", selector);
    Value::Object(identifier)
}

/// A v2 MetricStatus in the alpha shape of the v1 annotation.
fn metric_status_to_alpha(metric: &Value) -> Value {
    let kind = metric
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut source = Map::new();
    let key = match kind {
        "Resource" | "ContainerResource" => {
            let base = if kind == "Resource" {
                "/resource"
            } else {
                "/containerResource"
            };
            put(&mut source, "name", at(metric, &format!("{base}/name")));
            put(
                &mut source,
                "container",
                at(metric, &format!("{base}/container")),
            );
            put(
                &mut source,
                "currentAverageUtilization",
                at(metric, &format!("{base}/current/averageUtilization")),
            );
            put(
                &mut source,
                "currentAverageValue",
                at(metric, &format!("{base}/current/averageValue")),
            );
            if kind == "Resource" {
                "resource"
            } else {
                "containerResource"
            }
        }
        "Pods" => {
            put(&mut source, "metricName", at(metric, "/pods/metric/name"));
            put(&mut source, "selector", at(metric, "/pods/metric/selector"));
            put(
                &mut source,
                "currentAverageValue",
                at(metric, "/pods/current/averageValue"),
            );
            "pods"
        }
        "Object" => {
            put(&mut source, "target", at(metric, "/object/describedObject"));
            put(&mut source, "metricName", at(metric, "/object/metric/name"));
            put(
                &mut source,
                "selector",
                at(metric, "/object/metric/selector"),
            );
            put(
                &mut source,
                "currentValue",
                at(metric, "/object/current/value"),
            );
            put(
                &mut source,
                "averageValue",
                at(metric, "/object/current/averageValue"),
            );
            "object"
        }
        "External" => {
            put(
                &mut source,
                "metricName",
                at(metric, "/external/metric/name"),
            );
            put(
                &mut source,
                "metricSelector",
                at(metric, "/external/metric/selector"),
            );
            put(
                &mut source,
                "currentValue",
                at(metric, "/external/current/value"),
            );
            put(
                &mut source,
                "currentAverageValue",
                at(metric, "/external/current/averageValue"),
            );
            "external"
        }
        _ => return metric.clone(),
    };
    json!({"type": kind, key: source})
}

fn current(utilization: Option<Value>, value: Option<Value>, average: Option<Value>) -> Value {
    let mut current = Map::new();
    put(&mut current, "averageUtilization", utilization);
    put(&mut current, "value", value);
    put(&mut current, "averageValue", average);
    Value::Object(current)
}

/// An alpha metric status of the v1 annotation as a v2 MetricStatus.
fn alpha_to_metric_status(metric: &Value) -> Value {
    let kind = metric
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "Resource" => json!({"type": kind, "resource": {
            "name": at(metric, "/resource/name"),
            "current": current(at(metric, "/resource/currentAverageUtilization"), None, at(metric, "/resource/currentAverageValue")),
        }}),
        "ContainerResource" => json!({"type": kind, "containerResource": {
            "name": at(metric, "/containerResource/name"),
            "container": at(metric, "/containerResource/container"),
            "current": current(at(metric, "/containerResource/currentAverageUtilization"), None, at(metric, "/containerResource/currentAverageValue")),
        }}),
        "Pods" => json!({"type": kind, "pods": {
            "metric": metric_identifier(at(metric, "/pods/metricName"), at(metric, "/pods/selector")),
            "current": current(None, None, at(metric, "/pods/currentAverageValue")),
        }}),
        "Object" => json!({"type": kind, "object": {
            "describedObject": at(metric, "/object/target"),
            "metric": metric_identifier(at(metric, "/object/metricName"), at(metric, "/object/selector")),
            "current": current(None, at(metric, "/object/currentValue"), at(metric, "/object/averageValue")),
        }}),
        "External" => json!({"type": kind, "external": {
            "metric": metric_identifier(at(metric, "/external/metricName"), at(metric, "/external/metricSelector")),
            "current": current(None, at(metric, "/external/currentValue"), at(metric, "/external/currentAverageValue")),
        }}),
        _ => metric.clone(),
    }
}

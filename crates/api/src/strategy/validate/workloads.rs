//! Validation of workload controllers (upstream `pkg/apis/apps/validation`,
//! `pkg/apis/batch/validation`, `pkg/apis/policy/validation`,
//! `pkg/apis/autoscaling/validation` and the ReplicationController rules of core).

use serde_json::Value;

use super::pod::validate_pod_template_spec;
use crate::selector::LabelSelector;
use crate::validation::{
    child, go_label_selector, go_string_map, index, is_qualified_name, is_valid_label_value,
    validate_immutable, validate_labels, validate_nonnegative, FieldError, FIELD_IMMUTABLE,
};

fn spec(obj: &Value) -> &Value {
    obj.get("spec").unwrap_or(&Value::Null)
}

fn int(value: &Value, field: &str) -> Option<i64> {
    value.get(field).and_then(Value::as_i64)
}

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn nonnegative(spec: &Value, path: &str, fields: &[&str]) -> Vec<FieldError> {
    fields
        .iter()
        .flat_map(|f| validate_nonnegative(spec.get(*f), &child(path, f)))
        .collect()
}

/// Upstream's `ValidateLabelSelector` of `metav1.LabelSelector`.
pub(crate) fn validate_label_selector(selector: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = validate_labels(
        selector.get("matchLabels").and_then(Value::as_object),
        &child(path, "matchLabels"),
    );
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    for (i, expression) in expressions.into_iter().flatten().enumerate() {
        let expression_path = index(&child(path, "matchExpressions"), i);
        let values = expression
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match text(expression, "operator") {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        child(&expression_path, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        child(&expression_path, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => errs.push(FieldError::invalid(
                child(&expression_path, "operator"),
                other,
                "not a valid selector operator",
            )),
        }
        let key = text(expression, "key");
        for message in is_qualified_name(key) {
            errs.push(FieldError::invalid(
                child(&expression_path, "key"),
                key,
                message,
            ));
        }
        for (j, value) in values.iter().enumerate() {
            let value = value.as_str().unwrap_or_default();
            for message in is_valid_label_value(value) {
                errs.push(FieldError::invalid(
                    index(&child(&expression_path, "values"), j),
                    value,
                    message,
                ));
            }
        }
    }
    errs
}

/// How a controller's pod template is constrained.
struct TemplateRules {
    /// The kind in "activeDeadlineSeconds in X is not Supported".
    kind: &'static str,
    /// The restart policies the template may have.
    restart_policies: &'static [&'static str],
}

/// The selector is required, non-empty and valid, and the template's labels
/// match it; the template is a valid pod template with the controller's rules.
fn validate_selector_and_template(
    spec: &Value,
    path: &str,
    empty_word: &str,
    rules: &TemplateRules,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let selector = spec.get("selector").filter(|s| !s.is_null());
    let selector_path = child(path, "selector");
    let mut parsed = None;
    match selector {
        None => {
            errs.push(FieldError::required(selector_path.clone(), ""));
            // Upstream's missing selector selects nothing, so no template matches.
            parsed = Some(LabelSelector::nothing());
        }
        Some(selector) => {
            errs.extend(validate_label_selector(selector, &selector_path));
            let labels = selector
                .get("matchLabels")
                .and_then(Value::as_object)
                .map_or(0, |m| m.len());
            let expressions = selector
                .get("matchExpressions")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if labels + expressions == 0 {
                errs.push(FieldError::invalid_go(
                    selector_path.clone(),
                    go_label_selector(selector),
                    format!("empty selector is invalid for {empty_word}"),
                ));
            }
            match LabelSelector::from_api(selector) {
                Ok(s) => parsed = Some(s),
                Err(_) => errs.push(FieldError::invalid_go(
                    selector_path.clone(),
                    go_label_selector(selector),
                    "invalid label selector",
                )),
            }
        }
    }
    let template_path = child(path, "template");
    let Some(template) = spec.get("template").filter(|t| !t.is_null()) else {
        errs.push(FieldError::required(template_path, ""));
        return errs;
    };
    let labels_value = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(selector) = parsed.filter(|s| !s.is_empty()) {
        if !selector.matches(labels_value.as_object()) {
            errs.push(FieldError::invalid_go(
                child(&child(&template_path, "metadata"), "labels"),
                go_string_map(&labels_value),
                "`selector` does not match template `labels`",
            ));
        }
    }
    errs.extend(validate_template_rules(template, &template_path, rules));
    errs
}

/// The template is a valid pod template with the controller's restart
/// policies and no `activeDeadlineSeconds`.
fn validate_template_rules(
    template: &Value,
    template_path: &str,
    rules: &TemplateRules,
) -> Vec<FieldError> {
    let mut errs = validate_pod_template_spec(template, template_path);
    let pod_spec_path = child(template_path, "spec");
    let restart_policy = template
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !restart_policy.is_empty() && !rules.restart_policies.contains(&restart_policy) {
        errs.push(FieldError::not_supported(
            child(&pod_spec_path, "restartPolicy"),
            restart_policy,
            rules.restart_policies,
        ));
    }
    if rules.restart_policies == ["Always"]
        && template
            .pointer("/spec/activeDeadlineSeconds")
            .is_some_and(|v| !v.is_null())
    {
        errs.push(FieldError::forbidden(
            child(&pod_spec_path, "activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {} is not Supported", rules.kind),
        ));
    }
    errs
}

pub(super) fn validate_deployment(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = nonnegative(
        spec,
        "spec",
        &[
            "replicas",
            "minReadySeconds",
            "revisionHistoryLimit",
            "progressDeadlineSeconds",
        ],
    );
    errs.extend(validate_selector_and_template(
        spec,
        "spec",
        "deployment",
        &TemplateRules {
            kind: "Deployment",
            restart_policies: &["Always"],
        },
    ));
    let strategy = spec.get("strategy").unwrap_or(&Value::Null);
    let strategy_path = "spec.strategy";
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match text(strategy, "type") {
        "Recreate" => {
            if rolling.is_some() {
                errs.push(FieldError::forbidden(
                    child(strategy_path, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match rolling {
            None => errs.push(FieldError::required(
                child(strategy_path, "rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(rolling) => errs.extend(validate_rolling_update(
                rolling,
                &child(strategy_path, "rollingUpdate"),
            )),
        },
        other => errs.push(FieldError::not_supported(
            strategy_path,
            other,
            &["Recreate", "RollingUpdate"],
        )),
    }
    if let (Some(deadline), min_ready) = (
        int(spec, "progressDeadlineSeconds"),
        int(spec, "minReadySeconds").unwrap_or(0),
    ) {
        if deadline <= min_ready {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// An int-or-percent value: a non-negative number or `N%`; its value for the
/// zero check.
fn validate_int_or_percent(value: Option<&Value>, path: &str) -> (Vec<FieldError>, i64) {
    match value {
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()) {
            Some(percent) if percent >= 0 => (Vec::new(), percent),
            _ => (
                vec![FieldError::invalid(
                    path,
                    s.as_str(),
                    "must be an integer or percentage (e.g '5%')",
                )],
                0,
            ),
        },
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            (validate_nonnegative(Some(&Value::from(n)), path), n)
        }
        _ => (Vec::new(), 0),
    }
}

fn not_more_than_100_percent(value: Option<&Value>, path: &str) -> Vec<FieldError> {
    match value
        .and_then(Value::as_str)
        .and_then(|s| s.strip_suffix('%'))
        .and_then(|n| n.parse::<i64>().ok())
    {
        Some(percent) if percent > 100 => {
            vec![FieldError::invalid(
                path,
                format!("{percent}%"),
                "must not be greater than 100%",
            )]
        }
        _ => Vec::new(),
    }
}

fn validate_rolling_update(rolling: &Value, path: &str) -> Vec<FieldError> {
    let unavailable_path = child(path, "maxUnavailable");
    let (mut errs, unavailable) =
        validate_int_or_percent(rolling.get("maxUnavailable"), &unavailable_path);
    let (surge_errs, surge) =
        validate_int_or_percent(rolling.get("maxSurge"), &child(path, "maxSurge"));
    errs.extend(surge_errs);
    if unavailable == 0 && surge == 0 {
        errs.push(FieldError::invalid(
            unavailable_path.clone(),
            rolling
                .get("maxUnavailable")
                .cloned()
                .unwrap_or(Value::Null),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    errs.extend(not_more_than_100_percent(
        rolling.get("maxUnavailable"),
        &unavailable_path,
    ));
    errs
}

pub(super) fn validate_replica_set(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = nonnegative(spec, "spec", &["replicas", "minReadySeconds"]);
    errs.extend(validate_selector_and_template(
        spec,
        "spec",
        "deployment",
        &TemplateRules {
            kind: "ReplicaSet",
            restart_policies: &["Always"],
        },
    ));
    errs
}

pub(super) fn validate_replication_controller(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = nonnegative(spec, "spec", &["minReadySeconds"]);
    let selector = spec
        .get("selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty());
    if selector.is_none() {
        errs.push(FieldError::required("spec.selector", ""));
    }
    errs.extend(nonnegative(spec, "spec", &["replicas"]));
    let Some(template) = spec.get("template").filter(|t| !t.is_null()) else {
        errs.push(FieldError::required("spec.template", ""));
        return errs;
    };
    if let Some(selector) = selector {
        let labels = template
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or(Value::Null);
        if !LabelSelector::from_labels(selector).matches(labels.as_object()) {
            errs.push(FieldError::invalid_go(
                "spec.template.metadata.labels",
                go_string_map(&labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    errs.extend(validate_template_rules(
        template,
        "spec.template",
        &TemplateRules {
            kind: "ReplicationController",
            restart_policies: &["Always"],
        },
    ));
    errs
}

pub(super) fn validate_stateful_set(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = Vec::new();
    match text(spec, "podManagementPolicy") {
        "OrderedReady" | "Parallel" => {}
        "" => errs.push(FieldError::required("spec.podManagementPolicy", "")),
        other => errs.push(FieldError::invalid(
            "spec.podManagementPolicy",
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match text(strategy, "type") {
        "" => errs.push(FieldError::required("spec.updateStrategy", "")),
        "OnDelete" => {
            if rolling.is_some() {
                errs.push(FieldError::invalid(
                    "spec.updateStrategy.rollingUpdate",
                    text(strategy, "type"),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(rolling) = rolling {
                errs.extend(nonnegative(
                    rolling,
                    "spec.updateStrategy.rollingUpdate",
                    &["partition"],
                ));
            }
        }
        other => errs.push(FieldError::invalid(
            "spec.updateStrategy",
            other,
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    errs.extend(nonnegative(
        spec,
        "spec",
        &["replicas", "minReadySeconds", "revisionHistoryLimit"],
    ));
    errs.extend(validate_selector_and_template(
        spec,
        "spec",
        "statefulset",
        &TemplateRules {
            kind: "StatefulSet",
            restart_policies: &["Always"],
        },
    ));
    errs
}

pub(super) fn validate_stateful_set_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let strip = |obj: &Value| {
        let mut spec = spec(obj).as_object().cloned().unwrap_or_default();
        for mutable in [
            "replicas",
            "template",
            "updateStrategy",
            "minReadySeconds",
            "ordinals",
            "revisionHistoryLimit",
            "persistentVolumeClaimRetentionPolicy",
        ] {
            spec.remove(mutable);
        }
        spec
    };
    if strip(new) == strip(old) {
        Vec::new()
    } else {
        vec![FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        )]
    }
}

pub(super) fn validate_daemon_set(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = validate_selector_and_template(
        spec,
        "spec",
        "daemonset",
        &TemplateRules {
            kind: "DaemonSet",
            restart_policies: &["Always"],
        },
    );
    errs.extend(nonnegative(
        spec,
        "spec",
        &["minReadySeconds", "revisionHistoryLimit"],
    ));
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    match text(strategy, "type") {
        "OnDelete" => {}
        "RollingUpdate" => {
            if let Some(rolling) = strategy.get("rollingUpdate").filter(|r| !r.is_null()) {
                let path = "spec.updateStrategy.rollingUpdate";
                let (mut rolling_errs, unavailable) = validate_int_or_percent(
                    rolling.get("maxUnavailable"),
                    &child(path, "maxUnavailable"),
                );
                let (surge_errs, surge) =
                    validate_int_or_percent(rolling.get("maxSurge"), &child(path, "maxSurge"));
                rolling_errs.extend(surge_errs);
                if unavailable == 0 && surge == 0 {
                    rolling_errs.push(FieldError::invalid(
                        child(path, "maxUnavailable"),
                        rolling
                            .get("maxUnavailable")
                            .cloned()
                            .unwrap_or(Value::Null),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                errs.extend(rolling_errs);
            }
        }
        "" => errs.push(FieldError::required("spec.updateStrategy.type", "")),
        other => errs.push(FieldError::not_supported(
            "spec.updateStrategy",
            other,
            &["OnDelete", "RollingUpdate"],
        )),
    }
    errs
}

/// The selector of apps/v1 controllers may not change.
pub(super) fn validate_selector_immutable(new: &Value, old: &Value) -> Vec<FieldError> {
    let new_selector = new.pointer("/spec/selector");
    let old_selector = old.pointer("/spec/selector");
    if new_selector == old_selector {
        return Vec::new();
    }
    vec![FieldError::invalid_go(
        "spec.selector",
        go_label_selector(new_selector.unwrap_or(&Value::Null)),
        FIELD_IMMUTABLE,
    )]
}

const JOB_RESTART_POLICIES: &[&str] = &["OnFailure", "Never"];

/// A Job's or a CronJob's job template's spec.
fn validate_job_spec(spec: &Value, path: &str, needs_selector: bool) -> Vec<FieldError> {
    let mut errs = nonnegative(
        spec,
        path,
        &[
            "parallelism",
            "completions",
            "backoffLimit",
            "ttlSecondsAfterFinished",
        ],
    );
    if let Some(deadline) = int(spec, "activeDeadlineSeconds") {
        if deadline <= 0 {
            errs.push(FieldError::invalid(
                child(path, "activeDeadlineSeconds"),
                deadline,
                "must be greater than 0",
            ));
        }
    }
    match text(spec, "completionMode") {
        "" | "NonIndexed" => {}
        "Indexed" => {
            if int(spec, "completions").is_none() {
                errs.push(FieldError::required(
                    child(path, "completions"),
                    "when completion mode is Indexed",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            child(path, "completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        )),
    }
    let template_path = child(path, "template");
    let rules = TemplateRules {
        kind: "Job",
        restart_policies: JOB_RESTART_POLICIES,
    };
    if needs_selector {
        errs.extend(validate_selector_and_template(spec, path, "job", &rules));
    } else if let Some(template) = spec.get("template") {
        errs.extend(validate_template_rules(template, &template_path, &rules));
    }
    let restart_policy = spec
        .pointer("/template/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if restart_policy.is_empty() {
        errs.push(FieldError::not_supported(
            child(&child(&template_path, "spec"), "restartPolicy"),
            restart_policy,
            JOB_RESTART_POLICIES,
        ));
    }
    errs
}

pub(super) fn validate_job(obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_job_spec(spec(obj), "spec", true);
    // The job's name becomes a label value of its pods.
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let manual = obj
        .pointer("/spec/manualSelector")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !manual && !name.is_empty() {
        for message in is_valid_label_value(name) {
            errs.push(FieldError::invalid(
                "spec.template.metadata.labels",
                name,
                message,
            ));
        }
    }
    errs.dedup();
    errs
}

pub(super) fn validate_job_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for field in ["selector", "completionMode"] {
        errs.extend(validate_immutable(
            new.pointer(&format!("/spec/{field}")),
            old.pointer(&format!("/spec/{field}")),
            &format!("spec.{field}"),
        ));
    }
    let elastic = new.pointer("/spec/completionMode").and_then(Value::as_str) == Some("Indexed")
        && new.pointer("/spec/completions") == new.pointer("/spec/parallelism");
    if !elastic {
        errs.extend(validate_immutable(
            new.pointer("/spec/completions"),
            old.pointer("/spec/completions"),
            "spec.completions",
        ));
    }
    // A suspended job's template may still change (its scheduling directives).
    let suspended = new
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !suspended && new.pointer("/spec/template") != old.pointer("/spec/template") {
        errs.push(FieldError::invalid_go(
            "spec.template",
            "core.PodTemplateSpec{...}",
            FIELD_IMMUTABLE,
        ));
    }
    errs
}

pub(super) fn validate_cron_job(obj: &Value) -> Vec<FieldError> {
    let spec = spec(obj);
    let mut errs = Vec::new();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.len() > 52 {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be no more than 52 characters",
        ));
    }
    let schedule = text(spec, "schedule");
    if schedule.is_empty() {
        errs.push(FieldError::required("spec.schedule", ""));
    } else if let Err(problem) = check_cron_schedule(schedule) {
        errs.push(FieldError::invalid("spec.schedule", schedule, problem));
    }
    match text(spec, "concurrencyPolicy") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => errs.push(FieldError::required("spec.concurrencyPolicy", "")),
        other => errs.push(FieldError::not_supported(
            "spec.concurrencyPolicy",
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    errs.extend(nonnegative(
        spec,
        "spec",
        &[
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        ],
    ));
    if let Some(job_spec) = spec.pointer("/jobTemplate/spec") {
        errs.extend(validate_job_spec(job_spec, "spec.jobTemplate.spec", false));
    }
    errs
}

/// A cron schedule: five fields, or a `@` descriptor, optionally after
/// `TZ=`/`CRON_TZ=` (which upstream rejects in favour of `timeZone`).
fn check_cron_schedule(schedule: &str) -> Result<(), String> {
    if schedule.contains("TZ") {
        return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".to_string());
    }
    if let Some(descriptor) = schedule.strip_prefix('@') {
        return match descriptor {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            d if d.starts_with("every ") => Ok(()),
            _ => Err(format!("unrecognized descriptor: {schedule}")),
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {schedule}",
            fields.len()
        ));
    }
    let valid_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?');
    for field in fields {
        if !field.chars().all(valid_char) {
            return Err(format!("failed to parse int from {field}"));
        }
    }
    Ok(())
}

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

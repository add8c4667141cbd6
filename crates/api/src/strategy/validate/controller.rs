//! What workload controllers share: label selectors, the pod template and its
//! match with the selector, and int-or-percent values (upstream
//! `ValidateLabelSelector`, `ValidatePodTemplateSpecForReplicaSet`, ...).

use serde_json::Value;

use super::pod::validate_pod_template_spec;
use crate::selector::LabelSelector;
use crate::validation::{
    child, go_label_selector, go_string_map, index, is_qualified_name, is_valid_label_value,
    validate_labels, validate_nonnegative, FieldError,
};

pub(super) fn spec(obj: &Value) -> &Value {
    obj.get("spec").unwrap_or(&Value::Null)
}

pub(super) fn int(value: &Value, field: &str) -> Option<i64> {
    value.get(field).and_then(Value::as_i64)
}

pub(super) fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn nonnegative(spec: &Value, path: &str, fields: &[&str]) -> Vec<FieldError> {
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
pub(super) struct TemplateRules {
    /// The kind in "activeDeadlineSeconds in X is not Supported".
    pub(super) kind: &'static str,
    /// The restart policies the template may have.
    pub(super) restart_policies: &'static [&'static str],
}

/// The selector is required, non-empty and valid, and the template's labels
/// match it; the template is a valid pod template with the controller's rules.
pub(super) fn validate_selector_and_template(
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
pub(super) fn validate_template_rules(
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

/// An int-or-percent value: a non-negative number or `N%`; its value for the
/// zero check.
pub(super) fn validate_int_or_percent(value: Option<&Value>, path: &str) -> (Vec<FieldError>, i64) {
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

pub(super) fn not_more_than_100_percent(value: Option<&Value>, path: &str) -> Vec<FieldError> {
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

pub(super) fn validate_rolling_update(rolling: &Value, path: &str) -> Vec<FieldError> {
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

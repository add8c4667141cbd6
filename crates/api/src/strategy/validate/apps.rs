//! Validation of apps/v1 controllers and ReplicationControllers (upstream
//! `pkg/apis/apps/validation` and core's `ValidateReplicationController`).

use serde_json::Value;

use super::controller::{
    int, nonnegative, spec, text, validate_int_or_percent, validate_rolling_update,
    validate_selector_and_template, validate_template_rules, TemplateRules,
};
use crate::selector::LabelSelector;
use crate::validation::{child, go_label_selector, go_string_map, FieldError, FIELD_IMMUTABLE};

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

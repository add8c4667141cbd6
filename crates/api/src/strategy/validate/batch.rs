//! Validation of Jobs and CronJobs (upstream `pkg/apis/batch/validation`).

use serde_json::Value;

use super::controller::{
    int, nonnegative, spec, text, validate_selector_and_template, validate_template_rules,
    TemplateRules,
};
use crate::validation::{
    child, is_valid_label_value, validate_immutable, FieldError, FIELD_IMMUTABLE,
};

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

//! Printers of workload controllers and what steers them: deployments, replica
//! sets, stateful sets, daemon sets, controller revisions, jobs, cron jobs,
//! horizontal pod autoscalers and pod disruption budgets, as upstream's.

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    age, array_at, containers_and_images, format_label_selector, format_labels, human_duration,
    int_at, int_or_string, name, opt_str, parse_time, quantity, selector_string, str_at, text,
    typed, wide, Column, Row, AGE, CONTAINERS_DESCRIPTION, IMAGES_DESCRIPTION, NAME,
};

const CONTAINERS: Column = wide("Containers", CONTAINERS_DESCRIPTION);
const IMAGES: Column = wide("Images", IMAGES_DESCRIPTION);
const SELECTOR: Column = wide(
    "Selector",
    "The label selector of the pods this object manages.",
);

pub(super) const DEPLOYMENT: &[Column] = &[
    NAME,
    text("Ready", "Ready pods out of the desired number."),
    text("Up-to-date", "Pods that run the current pod template."),
    text("Available", "Pods ready for at least minReadySeconds."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(super) fn deployment(obj: &Value, now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(format!(
            "{}/{}",
            int_at(obj, "/status/readyReplicas"),
            int_at(obj, "/spec/replicas")
        )),
        json!(int_at(obj, "/status/updatedReplicas")),
        json!(int_at(obj, "/status/availableReplicas")),
        age(obj, now),
        containers,
        images,
        json!(selector_string(obj.pointer("/spec/selector"))),
    ])
}

pub(super) const REPLICA_SET: &[Column] = &[
    NAME,
    typed("Desired", "integer", "The number of pods wanted."),
    typed("Current", "integer", "The number of pods last observed."),
    typed("Ready", "integer", "The number of ready pods."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(super) fn replica_set(obj: &Value, now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(int_at(obj, "/spec/replicas")),
        json!(int_at(obj, "/status/replicas")),
        json!(int_at(obj, "/status/readyReplicas")),
        age(obj, now),
        containers,
        images,
        json!(format_label_selector(obj.pointer("/spec/selector"))),
    ])
}

pub(super) const STATEFUL_SET: &[Column] = &[
    NAME,
    text("Ready", "Ready pods out of the desired number."),
    AGE,
    CONTAINERS,
    IMAGES,
];

pub(super) fn stateful_set(obj: &Value, now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(format!(
            "{}/{}",
            int_at(obj, "/status/readyReplicas"),
            int_at(obj, "/spec/replicas")
        )),
        age(obj, now),
        containers,
        images,
    ])
}

pub(super) const DAEMON_SET: &[Column] = &[
    NAME,
    typed(
        "Desired",
        "integer",
        "Nodes that should run the daemon pod.",
    ),
    typed(
        "Current",
        "integer",
        "Nodes that should run the daemon pod and do.",
    ),
    typed("Ready", "integer", "Nodes whose daemon pod is ready."),
    typed(
        "Up-to-date",
        "integer",
        "Nodes whose daemon pod runs the current template.",
    ),
    typed(
        "Available",
        "integer",
        "Nodes whose daemon pod is available.",
    ),
    text("Node Selector", "The node labels the daemon pods require."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(super) fn daemon_set(obj: &Value, now: Timestamp) -> Row {
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(int_at(obj, "/status/desiredNumberScheduled")),
        json!(int_at(obj, "/status/currentNumberScheduled")),
        json!(int_at(obj, "/status/numberReady")),
        json!(int_at(obj, "/status/updatedNumberScheduled")),
        json!(int_at(obj, "/status/numberAvailable")),
        json!(format_labels(
            obj.pointer("/spec/template/spec/nodeSelector")
        )),
        age(obj, now),
        containers,
        images,
        json!(format_label_selector(obj.pointer("/spec/selector"))),
    ])
}

pub(super) const CONTROLLER_REVISION: &[Column] = &[
    NAME,
    text("Controller", "The object that owns this revision."),
    text(
        "Revision",
        "The revision number of the state this object holds.",
    ),
    AGE,
];

pub(super) fn controller_revision(obj: &Value, now: Timestamp) -> Row {
    let controller = array_at(obj, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller") == Some(&Value::Bool(true)));
    let controller = match controller {
        Some(owner) => {
            let group = str_at(owner, "/apiVersion")
                .rsplit_once('/')
                .map_or("", |(group, _)| group);
            let kind = str_at(owner, "/kind");
            let group_kind = if group.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}.{group}")
            };
            if group_kind.is_empty() {
                str_at(owner, "/name").to_string()
            } else {
                format!("{}/{}", group_kind.to_lowercase(), str_at(owner, "/name"))
            }
        }
        None => "<none>".to_string(),
    };
    Row::new(vec![
        name(obj),
        json!(controller),
        json!(int_at(obj, "/revision")),
        age(obj, now),
    ])
}

pub(super) const JOB: &[Column] = &[
    NAME,
    text("Status", "Status of the job."),
    text(
        "Completions",
        "Succeeded pods out of the completions wanted.",
    ),
    text("Duration", "How long the job ran, or has been running."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "The label selector of the pods of the job."),
];

pub(super) fn job(obj: &Value, now: Timestamp) -> Row {
    let succeeded = int_at(obj, "/status/succeeded");
    let completions = match obj.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => {
            let parallelism = int_at(obj, "/spec/parallelism");
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = opt_str(obj, "/status/startTime").and_then(parse_time);
    let completion = opt_str(obj, "/status/completionTime").and_then(parse_time);
    let duration = match (start, completion) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.as_nanosecond() - start.as_nanosecond()),
        (Some(start), Some(end)) => human_duration(end.as_nanosecond() - start.as_nanosecond()),
    };
    let conditions = array_at(obj, "/status/conditions");
    let has = |kind: &str| {
        conditions
            .iter()
            .find(|c| str_at(c, "/type") == kind)
            .is_some_and(|c| str_at(c, "/status") == "True")
    };
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (containers, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    Row::new(vec![
        name(obj),
        json!(status),
        json!(completions),
        json!(duration),
        age(obj, now),
        containers,
        images,
        json!(format_label_selector(obj.pointer("/spec/selector"))),
    ])
}

pub(super) const CRON_JOB: &[Column] = &[
    NAME,
    text("Schedule", "When jobs are created, in cron syntax."),
    text("Timezone", "The time zone of the schedule."),
    typed("Suspend", "boolean", "Whether new jobs are held back."),
    typed("Active", "integer", "The number of jobs running now."),
    text("Last Schedule", "How long ago a job was last scheduled."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "The label selector of the pods of the job."),
];

pub(super) fn cron_job(obj: &Value, now: Timestamp) -> Row {
    let last_schedule = if opt_str(obj, "/status/lastScheduleTime").is_some() {
        super::since(obj, "/status/lastScheduleTime", now)
    } else {
        "<none>".to_string()
    };
    let suspend = match obj.pointer("/spec/suspend").and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let job_spec = obj.pointer("/spec/jobTemplate/spec");
    let (containers, images) =
        containers_and_images(job_spec.and_then(|s| s.pointer("/template/spec")));
    Row::new(vec![
        name(obj),
        json!(str_at(obj, "/spec/schedule")),
        json!(opt_str(obj, "/spec/timeZone").unwrap_or("<none>")),
        json!(suspend),
        json!(array_at(obj, "/status/active").len()),
        json!(last_schedule),
        age(obj, now),
        containers,
        images,
        json!(format_label_selector(
            job_spec.and_then(|s| s.get("selector"))
        )),
    ])
}

pub(super) const HORIZONTAL_POD_AUTOSCALER: &[Column] = &[
    NAME,
    text("Reference", "The object this autoscaler scales."),
    text("Targets", "Current and target values of the metrics."),
    text("MinPods", "The fewest replicas the autoscaler keeps."),
    text("MaxPods", "The most replicas the autoscaler sets."),
    text("Replicas", "The number of replicas now."),
    AGE,
];

/// An autoscaling/v2 HorizontalPodAutoscaler (its storage version).
pub(super) fn horizontal_pod_autoscaler(obj: &Value, now: Timestamp) -> Row {
    let reference = format!(
        "{}/{}",
        str_at(obj, "/spec/scaleTargetRef/kind"),
        str_at(obj, "/spec/scaleTargetRef/name")
    );
    let min_pods = match obj.pointer("/spec/minReplicas").and_then(Value::as_i64) {
        Some(min) => min.to_string(),
        None => "<unset>".to_string(),
    };
    Row::new(vec![
        name(obj),
        json!(reference),
        json!(hpa_metrics(
            array_at(obj, "/spec/metrics"),
            array_at(obj, "/status/currentMetrics")
        )),
        json!(min_pods),
        json!(int_at(obj, "/spec/maxReplicas")),
        json!(int_at(obj, "/status/currentReplicas")),
        age(obj, now),
    ])
}

/// The TARGETS cell: "current/target" per metric, at most two, as upstream's
/// `formatHPAMetrics`.
fn hpa_metrics(specs: &[Value], statuses: &[Value]) -> String {
    const MAX: usize = 2;
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let quantity_at = |value: &Value, pointer: &str| quantity(value.pointer(pointer));
    let mut list = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        // The status of the same source type, if the metric at this index has one.
        let current = |source: &str| status.and_then(|s| s.get(source));
        let entry = match str_at(spec, "/type") {
            kind @ ("External" | "Object") => {
                let source = if kind == "External" {
                    "external"
                } else {
                    "object"
                };
                let target = spec.pointer(&format!("/{source}/target"));
                match target.and_then(|t| t.get("averageValue")) {
                    Some(average) => {
                        let now = current(source)
                            .and_then(|c| c.pointer("/current/averageValue"))
                            .map_or("<unknown>".to_string(), |v| quantity(Some(v)));
                        format!("{now}/{} (avg)", quantity(Some(average)))
                    }
                    None => {
                        let now = current(source).map_or("<unknown>".to_string(), |c| {
                            quantity_at(c, "/current/value")
                        });
                        let target = target.map_or("0".to_string(), |t| quantity_at(t, "/value"));
                        format!("{now}/{target}")
                    }
                }
            }
            "Pods" => {
                let now = current("pods").map_or("<unknown>".to_string(), |c| {
                    quantity_at(c, "/current/averageValue")
                });
                format!("{now}/{}", quantity_at(spec, "/pods/target/averageValue"))
            }
            kind @ ("Resource" | "ContainerResource") => {
                let source = if kind == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let resource_name = str_at(spec, &format!("/{source}/name"));
                let target = spec.pointer(&format!("/{source}/target"));
                match target.and_then(|t| t.get("averageValue")) {
                    Some(average) => {
                        let now = current(source).map_or("<unknown>".to_string(), |c| {
                            quantity_at(c, "/current/averageValue")
                        });
                        format!("{resource_name}: {now}/{}", quantity(Some(average)))
                    }
                    None => {
                        let now = current(source)
                            .and_then(|c| c.pointer("/current/averageUtilization"))
                            .and_then(Value::as_i64)
                            .map_or("<unknown>".to_string(), |u| format!("{u}%"));
                        let target = target
                            .and_then(|t| t.get("averageUtilization"))
                            .and_then(Value::as_i64)
                            .map_or("<auto>".to_string(), |u| format!("{u}%"));
                        format!("{resource_name}: {now}/{target}")
                    }
                }
            }
            _ => "<unknown type>".to_string(),
        };
        list.push(entry);
    }
    let count = list.len();
    if count > MAX {
        format!("{} + {} more...", list[..MAX].join(", "), count - MAX)
    } else {
        list.join(", ")
    }
}

pub(super) const POD_DISRUPTION_BUDGET: &[Column] = &[
    NAME,
    text("Min Available", "How many pods must stay available."),
    text("Max Unavailable", "How many pods may be unavailable."),
    typed(
        "Allowed Disruptions",
        "integer",
        "How many pods may be disrupted now.",
    ),
    AGE,
];

pub(super) fn pod_disruption_budget(obj: &Value, now: Timestamp) -> Row {
    let bound = |pointer: &str| {
        obj.pointer(pointer)
            .filter(|v| !v.is_null())
            .map_or("N/A".to_string(), int_or_string)
    };
    Row::new(vec![
        name(obj),
        json!(bound("/spec/minAvailable")),
        json!(bound("/spec/maxUnavailable")),
        json!(int_at(obj, "/status/disruptionsAllowed")),
        age(obj, now),
    ])
}

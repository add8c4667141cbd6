//! The pod printer: READY, the STATUS a user reads (phase, or the reason of the
//! container that explains it), RESTARTS with the time of the last one.
//!
//! Follows upstream's `printPod` (`pkg/printers/internalversion/printers.go`),
//! restartable init containers (sidecars) included.

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    age, array_at, human_duration, int_at, name, opt_str, or, parse_time, str_at, text, wide,
    Column, Row, AGE, NAME,
};

pub(super) const COLUMNS: &[Column] = &[
    NAME,
    text("Ready", "Ready containers out of all long-running ones."),
    text(
        "Status",
        "The phase of the pod, or the state of the container that explains it.",
    ),
    text(
        "Restarts",
        "How many times containers restarted, and how long ago the last did.",
    ),
    AGE,
    wide(
        "IP",
        "The IP address allocated to the pod, routable at least within the cluster.",
    ),
    wide("Node", "The node this pod is scheduled onto."),
    wide(
        "Nominated Node",
        "The node the scheduler expects this pod to run on once the pods it preempts are gone.",
    ),
    wide(
        "Readiness Gates",
        "How many of the pod's readiness gates are true, of all of them.",
    ),
];

/// Upstream's `NodeUnreachablePodReason`: the node controller marks pods of an
/// unreachable node with it.
const NODE_LOST: &str = "NodeLost";

pub(super) fn row(pod: &Value, now: Timestamp) -> Row {
    let phase = str_at(pod, "/status/phase");
    let mut reason = or(str_at(pod, "/status/reason"), phase).to_string();
    let conditions = array_at(pod, "/status/conditions");
    if conditions
        .iter()
        .any(|c| str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".to_string();
    }
    let init_containers = array_at(pod, "/spec/initContainers");
    let restartable = |container_name: &str| {
        init_containers.iter().any(|c| {
            str_at(c, "/name") == container_name && str_at(c, "/restartPolicy") == "Always"
        })
    };
    let mut total = array_at(pod, "/spec/containers").len();
    total += init_containers
        .iter()
        .filter(|c| str_at(c, "/restartPolicy") == "Always")
        .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut sidecar_restarts = 0;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let mut initializing = false;
    for (i, status) in array_at(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let count = int_at(status, "/restartCount");
        restarts += count;
        let finished = last_termination(status);
        later(&mut last_restart, finished);
        let sidecar = restartable(str_at(status, "/name"));
        if sidecar {
            sidecar_restarts += count;
            later(&mut last_sidecar_restart, finished);
        }
        let terminated = status.pointer("/state/terminated");
        let waiting_reason = str_at(status, "/state/waiting/reason");
        match terminated {
            Some(t) if int_at(t, "/exitCode") == 0 => continue,
            _ if sidecar && status.get("started") == Some(&Value::Bool(true)) => {
                if status.get("ready") == Some(&Value::Bool(true)) {
                    ready += 1;
                }
                continue;
            }
            Some(t) => {
                reason = format!("Init:{}", termination_reason(t));
            }
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                reason = format!("Init:{waiting_reason}");
            }
            None => {
                reason = format!("Init:{i}/{}", init_containers.len());
            }
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in array_at(pod, "/status/containerStatuses").iter().rev() {
            restarts += int_at(status, "/restartCount");
            later(&mut last_restart, last_termination(status));
            let waiting_reason = str_at(status, "/state/waiting/reason");
            let terminated = status.pointer("/state/terminated");
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = termination_reason(t);
            } else if status.get("ready") == Some(&Value::Bool(true))
                && status.pointer("/state/running").is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed while another still runs is running.
        if reason == "Completed" && has_running {
            reason = if condition_true(conditions, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null());
    if deleting && str_at(pod, "/status/reason") == NODE_LOST {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(when) if restarts != 0 => format!(
            "{restarts} ({} ago)",
            human_duration(now.as_nanosecond() - when.as_nanosecond())
        ),
        _ => restarts.to_string(),
    };

    // The first pod IP: `podIP` is authoritative over `podIPs`, as upstream's
    // conversion makes it.
    let ip = opt_str(pod, "/status/podIP")
        .filter(|ip| !ip.is_empty())
        .or_else(|| opt_str(pod, "/status/podIPs/0/ip"))
        .unwrap_or("");
    let gates = array_at(pod, "/spec/readinessGates");
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_gates = gates
            .iter()
            .filter(|gate| {
                let wanted = str_at(gate, "/conditionType");
                conditions
                    .iter()
                    .find(|c| str_at(c, "/type") == wanted)
                    .is_some_and(|c| str_at(c, "/status") == "True")
            })
            .count();
        format!("{true_gates}/{}", gates.len())
    };

    let mut row = Row::new(vec![
        name(pod),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        age(pod, now),
        json!(or(ip, "<none>")),
        json!(or(str_at(pod, "/spec/nodeName"), "<none>")),
        json!(or(str_at(pod, "/status/nominatedNodeName"), "<none>")),
        json!(readiness_gates),
    ]);
    row.conditions = match phase {
        "Succeeded" => Some(completed(
            "Succeeded",
            "The pod has completed successfully.",
        )),
        "Failed" => Some(completed("Failed", "The pod failed.")),
        _ => None,
    };
    row
}

fn completed(reason: &str, message: &str) -> Value {
    json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}])
}

/// The reason of a terminated container state, or its signal or exit code.
fn termination_reason(terminated: &Value) -> String {
    let reason = str_at(terminated, "/reason");
    if !reason.is_empty() {
        return reason.to_string();
    }
    let signal = int_at(terminated, "/signal");
    if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", int_at(terminated, "/exitCode"))
    }
}

/// When the container last terminated, if it did.
fn last_termination(status: &Value) -> Option<Timestamp> {
    opt_str(status, "/lastState/terminated/finishedAt").and_then(parse_time)
}

/// Keeps the later of two times.
fn later(latest: &mut Option<Timestamp>, candidate: Option<Timestamp>) {
    if let Some(candidate) = candidate {
        if latest.is_none_or(|l| l < candidate) {
            *latest = Some(candidate);
        }
    }
}

/// True if the pod condition of this type is "True".
fn condition_true(conditions: &[Value], kind: &str) -> bool {
    conditions
        .iter()
        .find(|c| str_at(c, "/type") == kind)
        .is_some_and(|c| str_at(c, "/status") == "True")
}

//! The pod status the kubelet reports, computed from what the runtime holds
//! (`Observed`) and what the worker remembers (waiting reasons, probe
//! results): container states with upstream's reasons, lastState, restart
//! counts, readiness, phase and conditions. Pure; the worker posts it.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use serde_json::{json, Map, Value};

use super::observe::{Attempt, Observed, State};

/// What the worker knows of a container beyond the runtime's view.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// Why the container is not running now (reason, message), e.g.
    /// (`CrashLoopBackOff`, `back-off 10s restarting failed ...`).
    pub waiting: Option<(String, String)>,
    /// The readiness probe's last result for the current attempt.
    pub ready: bool,
    /// Whether the startup probe (if any) has succeeded for the current attempt.
    pub started: bool,
}

/// Everything `compute` needs besides the pod.
pub struct Inputs<'a> {
    pub observed: &'a Observed,
    pub memory: &'a HashMap<String, Memory>,
    pub host_ip: &'a str,
    pub pod_ip: Option<&'a str>,
    /// `containerd` in `containerd://ID`.
    pub runtime: &'a str,
    /// metav1.Time of now, for new transitions.
    pub now: &'a str,
}

/// metav1.Time of nanoseconds since the epoch.
pub fn time_of(nanos: i64) -> Option<String> {
    if nanos <= 0 {
        return None;
    }
    let ts = k8s_openapi::jiff::Timestamp::from_nanosecond(i128::from(nanos)).ok()?;
    Some(crate::hollow::node::time(ts))
}

fn terminated(attempt: &Attempt, runtime: &str) -> Value {
    let reason =
        if !attempt.reason.is_empty() && attempt.reason != "Completed" && attempt.reason != "Error"
        {
            attempt.reason.clone()
        } else if attempt.exit_code == 0 {
            "Completed".to_string()
        } else {
            "Error".to_string()
        };
    let mut value = json!({
        "exitCode": attempt.exit_code,
        "reason": reason,
        "containerID": format!("{runtime}://{}", attempt.id),
    });
    if let Some(t) = time_of(attempt.started_at) {
        value["startedAt"] = json!(t);
    }
    if let Some(t) = time_of(attempt.finished_at) {
        value["finishedAt"] = json!(t);
    }
    if !attempt.message.is_empty() {
        value["message"] = json!(attempt.message);
    }
    json!({ "terminated": value })
}

/// Whether an init container is a sidecar (restartPolicy Always).
pub fn is_sidecar(container: &Container) -> bool {
    container.restart_policy.as_deref() == Some("Always")
}

fn has_probe(container: &Container, startup: bool) -> bool {
    if startup {
        container.startup_probe.is_some()
    } else {
        container.readiness_probe.is_some()
    }
}

/// One container's status.
fn container_status(
    container: &Container,
    observed: &Observed,
    memory: Option<&Memory>,
    runtime: &str,
    default_waiting: &str,
) -> Value {
    let latest = observed.latest(&container.name);
    let previous = observed.previous(&container.name);
    let memory = memory.cloned().unwrap_or_default();
    let mut status = json!({
        "name": container.name,
        "image": container.image.clone().unwrap_or_default(),
        "imageID": "",
        "ready": false,
        "restartCount": latest.map(|a| a.attempt).unwrap_or(0),
        "started": false,
    });
    let waiting = |reason: &str, message: &str| {
        let mut w = json!({ "reason": reason });
        if !message.is_empty() {
            w["message"] = json!(message);
        }
        json!({ "waiting": w })
    };
    match latest {
        Some(attempt) => {
            status["containerID"] = json!(format!("{runtime}://{}", attempt.id));
            status["imageID"] = json!(attempt.image_ref);
            match attempt.state {
                State::Running => {
                    let mut running = json!({});
                    if let Some(t) = time_of(attempt.started_at) {
                        running["startedAt"] = json!(t);
                    }
                    status["state"] = json!({ "running": running });
                    let started = !has_probe(container, true) || memory.started;
                    status["started"] = json!(started);
                    status["ready"] =
                        json!(started && (!has_probe(container, false) || memory.ready));
                    if let Some(previous) = previous.filter(|p| p.state == State::Exited) {
                        status["lastState"] = terminated(previous, runtime);
                    }
                }
                State::Exited => match &memory.waiting {
                    Some((reason, message)) => {
                        status["state"] = waiting(reason, message);
                        status["lastState"] = terminated(attempt, runtime);
                    }
                    None => {
                        status["state"] = terminated(attempt, runtime);
                        if let Some(previous) = previous.filter(|p| p.state == State::Exited) {
                            status["lastState"] = terminated(previous, runtime);
                        }
                    }
                },
                State::Created | State::Unknown => {
                    let (reason, message) = memory
                        .waiting
                        .clone()
                        .unwrap_or_else(|| ("ContainerCreating".into(), String::new()));
                    status["state"] = waiting(&reason, &message);
                    if let Some(previous) = previous.filter(|p| p.state == State::Exited) {
                        status["lastState"] = terminated(previous, runtime);
                    }
                }
            }
        }
        None => {
            let (reason, message) = memory
                .waiting
                .clone()
                .unwrap_or_else(|| (default_waiting.to_string(), String::new()));
            status["state"] = waiting(&reason, &message);
        }
    }
    if status.get("lastState").is_none() {
        status["lastState"] = json!({});
    }
    status
}

/// How far the pod's init containers are.
#[derive(Debug, PartialEq, Eq)]
pub enum Init {
    /// Every init container has succeeded (sidecars: started).
    Done,
    /// Still running or waiting.
    Pending,
    /// One failed and will not be restarted (restartPolicy Never).
    Failed,
}

pub fn restart_policy(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always")
}

pub fn init_state(pod: &Pod, observed: &Observed) -> Init {
    let policy = restart_policy(pod);
    for container in pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
    {
        let latest = observed.latest(&container.name);
        if is_sidecar(container) {
            if latest.map(|a| a.state) != Some(State::Running)
                && !observed.containers.contains_key(&container.name)
            {
                return Init::Pending;
            }
            continue;
        }
        match latest {
            Some(a) if a.state == State::Exited && a.exit_code == 0 => continue,
            Some(a) if a.state == State::Exited && policy == "Never" => return Init::Failed,
            _ => return Init::Pending,
        }
    }
    Init::Done
}

/// The pod's phase from its containers, as upstream's getPhase.
pub fn phase(pod: &Pod, observed: &Observed) -> &'static str {
    match init_state(pod, observed) {
        Init::Failed => return "Failed",
        Init::Pending => return "Pending",
        Init::Done => {}
    }
    let policy = restart_policy(pod);
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for container in pod
        .spec
        .as_ref()
        .map(|s| &s.containers)
        .into_iter()
        .flatten()
    {
        match observed.latest(&container.name) {
            Some(a) if a.state == State::Running => running += 1,
            Some(a) if a.state == State::Exited => {
                stopped += 1;
                if a.exit_code == 0 {
                    succeeded += 1;
                }
            }
            _ => waiting += 1,
        }
    }
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        if policy == "Always" {
            "Running"
        } else if stopped == succeeded {
            "Succeeded"
        } else if policy == "Never" {
            "Failed"
        } else {
            "Running"
        }
    } else {
        "Pending"
    }
}

/// The whole status, keeping conditions the kubelet does not own
/// (PodScheduled, DisruptionTarget, ...) and transition times that did not
/// change.
pub fn compute(pod: &Pod, inputs: &Inputs) -> Value {
    let old = pod
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or_else(|| json!({}));
    let spec = pod.spec.as_ref();
    let observed = inputs.observed;
    let init = init_state(pod, observed);
    let init_statuses: Vec<Value> = spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .map(|c| {
            container_status(
                c,
                observed,
                inputs.memory.get(&c.name),
                inputs.runtime,
                "PodInitializing",
            )
        })
        .collect();
    let regular_default = if init == Init::Done {
        "ContainerCreating"
    } else {
        "PodInitializing"
    };
    let statuses: Vec<Value> = spec
        .map(|s| &s.containers)
        .into_iter()
        .flatten()
        .map(|c| {
            container_status(
                c,
                observed,
                inputs.memory.get(&c.name),
                inputs.runtime,
                regular_default,
            )
        })
        .collect();
    let phase = phase(pod, observed);
    let unready: Vec<&str> = statuses
        .iter()
        .filter(|s| s["ready"] != json!(true))
        .filter_map(|s| s["name"].as_str())
        .collect();
    let incomplete: Vec<&str> = spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| match observed.latest(&c.name) {
            Some(a) if is_sidecar(c) => a.state != State::Running,
            Some(a) => !(a.state == State::Exited && a.exit_code == 0),
            None => true,
        })
        .map(|c| c.name.as_str())
        .collect();
    let sandbox_ready = observed.sandbox().map(|s| s.ready).unwrap_or(false);
    let terminal = phase == "Succeeded" || phase == "Failed";
    let list = |names: &[&str]| format!("[{}]", names.join(" "));
    let mut conditions: Vec<(&str, bool, Option<&str>, Option<String>)> =
        vec![("PodReadyToStartContainers", sandbox_ready, None, None)];
    let initialized = init == Init::Done || (terminal && incomplete.is_empty());
    conditions.push(if initialized {
        (
            "Initialized",
            true,
            if terminal && phase == "Succeeded" {
                Some("PodCompleted")
            } else {
                None
            },
            None,
        )
    } else {
        (
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: {}",
                list(&incomplete)
            )),
        )
    });
    let ready = unready.is_empty() && !terminal;
    let not_ready_reason = if terminal {
        "PodCompleted"
    } else {
        "ContainersNotReady"
    };
    let not_ready_message =
        (!terminal).then(|| format!("containers with unready status: {}", list(&unready)));
    for kind in ["Ready", "ContainersReady"] {
        conditions.push(if ready {
            (kind, true, None, None)
        } else {
            (
                kind,
                false,
                Some(not_ready_reason),
                not_ready_message.clone(),
            )
        });
    }
    let old_conditions: Vec<Value> = old["conditions"].as_array().cloned().unwrap_or_default();
    let mut out: Vec<Value> = Vec::new();
    for (kind, status, reason, message) in conditions {
        let status = if status { "True" } else { "False" };
        let previous = old_conditions.iter().find(|c| c["type"] == kind);
        let since = match previous {
            Some(p) if p["status"] == status => p["lastTransitionTime"].clone(),
            _ => json!(inputs.now),
        };
        let mut condition = json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(reason) = reason {
            condition["reason"] = json!(reason);
        }
        if let Some(message) = message {
            condition["message"] = json!(message);
        }
        out.push(condition);
    }
    for condition in &old_conditions {
        let kind = condition["type"].as_str().unwrap_or("");
        if ![
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
        ]
        .contains(&kind)
        {
            out.push(condition.clone());
        }
    }
    // Upstream's order: PodReadyToStartContainers, Initialized, Ready,
    // ContainersReady, PodScheduled.
    let mut status = Map::new();
    status.insert("phase".into(), json!(phase));
    status.insert("conditions".into(), Value::Array(out));
    status.insert("hostIP".into(), json!(inputs.host_ip));
    status.insert("hostIPs".into(), json!([{"ip": inputs.host_ip}]));
    if let Some(ip) = inputs.pod_ip {
        status.insert("podIP".into(), json!(ip));
        status.insert("podIPs".into(), json!([{"ip": ip}]));
    }
    status.insert(
        "startTime".into(),
        old.get("startTime")
            .cloned()
            .filter(|v| !v.is_null())
            .unwrap_or_else(|| json!(inputs.now)),
    );
    if !init_statuses.is_empty() {
        status.insert("initContainerStatuses".into(), Value::Array(init_statuses));
    }
    status.insert("containerStatuses".into(), Value::Array(statuses));
    if let Some(qos) = old.get("qosClass") {
        status.insert("qosClass".into(), qos.clone());
    }
    Value::Object(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(policy: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"restartPolicy": policy, "containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i"}]},
            "status": {"qosClass": "BestEffort", "conditions": [{"type": "PodScheduled", "status": "True"}]},
        }))
        .expect("pod")
    }

    fn attempt(name: &str, attempt: u32, state: State, exit: i32) -> Attempt {
        Attempt {
            id: format!("{name}{attempt}"),
            name: name.into(),
            attempt,
            state,
            exit_code: exit,
            started_at: 1_700_000_000_000_000_000,
            finished_at: if state == State::Exited {
                1_700_000_001_000_000_000
            } else {
                0
            },
            ..Default::default()
        }
    }

    fn observed(attempts: Vec<Attempt>) -> Observed {
        let mut o = Observed::default();
        for a in attempts {
            o.containers.entry(a.name.clone()).or_default().push(a);
        }
        for list in o.containers.values_mut() {
            list.sort_by_key(|a| std::cmp::Reverse(a.attempt));
        }
        o.sandboxes.push(super::super::observe::Sandbox {
            id: "s".into(),
            attempt: 0,
            ready: true,
        });
        o
    }

    #[test]
    fn phases_follow_upstream() {
        let both_ok = observed(vec![
            attempt("a", 0, State::Exited, 0),
            attempt("b", 0, State::Exited, 0),
        ]);
        assert_eq!(phase(&pod("Never"), &both_ok), "Succeeded");
        assert_eq!(phase(&pod("OnFailure"), &both_ok), "Succeeded");
        assert_eq!(phase(&pod("Always"), &both_ok), "Running");
        let one_failed = observed(vec![
            attempt("a", 0, State::Exited, 1),
            attempt("b", 0, State::Exited, 0),
        ]);
        assert_eq!(phase(&pod("Never"), &one_failed), "Failed");
        assert_eq!(phase(&pod("OnFailure"), &one_failed), "Running");
        let running = observed(vec![
            attempt("a", 0, State::Running, 0),
            attempt("b", 0, State::Running, 0),
        ]);
        assert_eq!(phase(&pod("Always"), &running), "Running");
        let half = observed(vec![attempt("a", 0, State::Running, 0)]);
        assert_eq!(phase(&pod("Always"), &half), "Pending");
    }

    #[test]
    fn crash_loop_shows_waiting_with_last_state() {
        let p = pod("Always");
        let o = observed(vec![
            attempt("a", 0, State::Exited, 1),
            attempt("a", 1, State::Exited, 2),
            attempt("b", 0, State::Running, 0),
        ]);
        let mut memory = HashMap::new();
        memory.insert(
            "a".to_string(),
            Memory {
                waiting: Some(("CrashLoopBackOff".into(), "back-off 10s".into())),
                ..Default::default()
            },
        );
        memory.insert(
            "b".to_string(),
            Memory {
                ready: true,
                started: true,
                ..Default::default()
            },
        );
        let status = compute(
            &p,
            &Inputs {
                observed: &o,
                memory: &memory,
                host_ip: "10.0.0.1",
                pod_ip: Some("10.42.0.5"),
                runtime: "containerd",
                now: "2026-01-01T00:00:00Z",
            },
        );
        let a = &status["containerStatuses"][0];
        assert_eq!(a["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(a["lastState"]["terminated"]["exitCode"], 2);
        assert_eq!(a["lastState"]["terminated"]["reason"], "Error");
        assert_eq!(a["restartCount"], 1);
        let b = &status["containerStatuses"][1];
        assert_eq!(b["ready"], true);
        assert_eq!(b["containerID"], "containerd://b0");
        assert_eq!(status["phase"], "Running");
        assert_eq!(status["podIP"], "10.42.0.5");
        let ready = status["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .find(|c| c["type"] == "Ready")
            .cloned()
            .expect("Ready");
        assert_eq!(ready["status"], "False");
        assert_eq!(ready["message"], "containers with unready status: [a]");
        assert!(status["conditions"]
            .as_array()
            .expect("c")
            .iter()
            .any(|c| c["type"] == "PodScheduled"));
    }
}

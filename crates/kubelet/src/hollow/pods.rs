//! What a hollow kubelet does next with a pod bound to it, and the statuses
//! it writes: pure functions of the pod and the time.
//!
//! The lifecycle, as the kubelet reports it upstream: Pending with every
//! container waiting in ContainerCreating; Running with a pod IP, every
//! container running and ready (readiness is immediate); and, for pods that
//! may finish (restartPolicy Never or OnFailure) and carry
//! [`EXIT_CODE_ANNOTATION`], Succeeded or Failed after
//! [`RUN_SECONDS_ANNOTATION`]. A pod being deleted has its containers
//! terminated, then is deleted for good.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use serde_json::{json, Map, Value};

use super::node::time;

/// The exit code every container of the pod finishes with.
pub const EXIT_CODE_ANNOTATION: &str = "rkube.io/hollow-exit-code";
/// How long the pod runs before it finishes (default 0).
pub const RUN_SECONDS_ANNOTATION: &str = "rkube.io/hollow-run-seconds";

/// The next thing to do with a pod.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Nothing, until the pod changes.
    Nothing,
    /// Report Pending with containers being created.
    Create,
    /// Report Running.
    Run,
    /// Report the containers terminated with this exit code, at `at`.
    Finish { exit_code: i32, at: Timestamp },
    /// The pod is being deleted: report its containers terminated, then delete it.
    Terminate,
    /// The pod is being deleted and has finished: delete it.
    Delete,
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

fn annotation<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

/// The exit code this pod finishes with, if it finishes at all.
pub fn exit_code(pod: &Pod) -> Option<i32> {
    let restart = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    if restart == "Always" {
        return None;
    }
    annotation(pod, EXIT_CODE_ANNOTATION)?.trim().parse().ok()
}

/// When the pod's containers started (its `startTime`), or `now`.
fn started(pod: &Pod, now: Timestamp) -> Timestamp {
    pod.status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .map_or(now, |t| t.0)
}

/// The next step for `pod`, from what its status says.
pub fn next_step(pod: &Pod, now: Timestamp) -> Step {
    if pod.metadata.deletion_timestamp.is_some() {
        return if is_terminal(pod) {
            Step::Delete
        } else {
            Step::Terminate
        };
    }
    if is_terminal(pod) {
        return Step::Nothing;
    }
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref());
    match (phase(pod), statuses) {
        ("Pending", None) => Step::Create,
        ("Pending", Some(_)) => Step::Run,
        ("Running", _) => match exit_code(pod) {
            Some(exit_code) => {
                let seconds = annotation(pod, RUN_SECONDS_ANNOTATION)
                    .and_then(|s| s.trim().parse::<i64>().ok())
                    .unwrap_or(0)
                    .max(0);
                let at = started(pod, now)
                    .checked_add(SignedDuration::from_secs(seconds))
                    .unwrap_or(now);
                Step::Finish { exit_code, at }
            }
            None => Step::Nothing,
        },
        _ => Step::Nothing,
    }
}

/// A fake container ID, stable for a pod's container.
fn container_id(pod: &Pod, container: &str) -> String {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in uid.bytes().chain(container.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("hollow://{hash:016x}")
}

/// A condition, keeping its transition time if it had this status before.
fn condition(pod: &Pod, kind: &str, status: &str, reason: Option<&str>, now: &str) -> Value {
    let previous = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == kind));
    let since = match previous {
        Some(p) if p.status == status => p
            .last_transition_time
            .as_ref()
            .map_or_else(|| now.to_string(), |t| time(t.0)),
        _ => now.to_string(),
    };
    let mut condition = json!({"type": kind, "status": status, "lastTransitionTime": since});
    if let Some(reason) = reason {
        condition["reason"] = json!(reason);
    }
    condition
}

/// What every container looks like in one phase of the pod's life.
enum Containers<'a> {
    Waiting(&'a str),
    Running,
    Terminated(i32),
}

fn container_statuses(pod: &Pod, init: bool, state: &Containers, now: Timestamp) -> Value {
    let Some(spec) = pod.spec.as_ref() else {
        return json!([]);
    };
    let containers = if init {
        spec.init_containers.as_deref().unwrap_or_default()
    } else {
        &spec.containers
    };
    let started = time(started(pod, now));
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let image = c.image.clone().unwrap_or_default();
            let mut status = json!({
                "name": c.name,
                "image": image,
                "imageID": "",
                "ready": false,
                "restartCount": 0,
                "started": false,
            });
            let fields = status.as_object_mut().expect("an object");
            // Init containers have all run to completion once the pod runs.
            let state = match state {
                Containers::Waiting(_) if init => Containers::Waiting("PodInitializing"),
                Containers::Running | Containers::Terminated(_) if init => {
                    Containers::Terminated(0)
                }
                Containers::Waiting(reason) => Containers::Waiting(reason),
                Containers::Running => Containers::Running,
                Containers::Terminated(code) => Containers::Terminated(*code),
            };
            match state {
                Containers::Waiting(reason) => {
                    fields.insert("state".into(), json!({"waiting": {"reason": reason}}));
                }
                Containers::Running => {
                    fields.insert("imageID".into(), json!(format!("{image}@hollow")));
                    fields.insert("containerID".into(), json!(container_id(pod, &c.name)));
                    fields.insert("ready".into(), json!(true));
                    fields.insert("started".into(), json!(true));
                    fields.insert("state".into(), json!({"running": {"startedAt": started}}));
                }
                Containers::Terminated(code) => {
                    fields.insert("imageID".into(), json!(format!("{image}@hollow")));
                    fields.insert("containerID".into(), json!(container_id(pod, &c.name)));
                    let reason = if code == 0 { "Completed" } else { "Error" };
                    fields.insert(
                        "state".into(),
                        json!({"terminated": {
                            "exitCode": code,
                            "reason": reason,
                            "startedAt": started,
                            "finishedAt": time(now),
                            "containerID": container_id(pod, &c.name),
                        }}),
                    );
                }
            }
            status
        })
        .collect();
    json!(statuses)
}

fn names(pod: &Pod) -> String {
    let names: Vec<&str> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    format!("[{}]", names.join(" "))
}

fn with_init(
    mut status: Map<String, Value>,
    pod: &Pod,
    state: &Containers,
    now: Timestamp,
) -> Value {
    let has_init = pod
        .spec
        .as_ref()
        .is_some_and(|s| s.init_containers.as_ref().is_some_and(|i| !i.is_empty()));
    if has_init {
        status.insert(
            "initContainerStatuses".into(),
            container_statuses(pod, true, state, now),
        );
    }
    status.insert(
        "containerStatuses".into(),
        container_statuses(pod, false, state, now),
    );
    Value::Object(status)
}

/// Pending, containers being created: the first status a kubelet reports.
pub fn creating(pod: &Pod, host_ip: &str, now: Timestamp) -> Value {
    let at = time(now);
    let not_ready = format!("containers with unready status: {}", names(pod));
    let mut ready = condition(pod, "Ready", "False", Some("ContainersNotReady"), &at);
    ready["message"] = json!(not_ready);
    let mut containers_ready = condition(
        pod,
        "ContainersReady",
        "False",
        Some("ContainersNotReady"),
        &at,
    );
    containers_ready["message"] = json!(not_ready);
    let status = json!({
        "phase": "Pending",
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": at,
        "conditions": [
            condition(pod, "PodReadyToStartContainers", "False", None, &at),
            condition(pod, "Initialized", "True", None, &at),
            ready,
            containers_ready,
            condition(pod, "PodScheduled", "True", None, &at),
        ],
    });
    with_init(
        status.as_object().cloned().unwrap_or_default(),
        pod,
        &Containers::Waiting("ContainerCreating"),
        now,
    )
}

/// Running with `pod_ip`, every container running and ready.
pub fn running(pod: &Pod, host_ip: &str, pod_ip: &str, now: Timestamp) -> Value {
    let at = time(now);
    let status = json!({
        "phase": "Running",
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": time(started(pod, now)),
        "conditions": [
            condition(pod, "PodReadyToStartContainers", "True", None, &at),
            condition(pod, "Initialized", "True", None, &at),
            condition(pod, "Ready", "True", None, &at),
            condition(pod, "ContainersReady", "True", None, &at),
            condition(pod, "PodScheduled", "True", None, &at),
        ],
    });
    with_init(
        status.as_object().cloned().unwrap_or_default(),
        pod,
        &Containers::Running,
        now,
    )
}

/// Every container terminated with `exit_code`: Succeeded for 0, else Failed.
/// The pod keeps its IPs, as upstream's do.
pub fn finished(pod: &Pod, exit_code: i32, now: Timestamp) -> Value {
    let at = time(now);
    let phase = if exit_code == 0 {
        "Succeeded"
    } else {
        "Failed"
    };
    let reason = if exit_code == 0 {
        "PodCompleted"
    } else {
        "PodFailed"
    };
    let status = json!({
        "phase": phase,
        "startTime": time(started(pod, now)),
        "conditions": [
            condition(pod, "PodReadyToStartContainers", "False", None, &at),
            condition(pod, "Initialized", "True", None, &at),
            condition(pod, "Ready", "False", Some(reason), &at),
            condition(pod, "ContainersReady", "False", Some(reason), &at),
            condition(pod, "PodScheduled", "True", None, &at),
        ],
    });
    with_init(
        status.as_object().cloned().unwrap_or_default(),
        pod,
        &Containers::Terminated(exit_code),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn pod(value: Value) -> Pod {
        let mut base = json!({
            "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], "nodeName": "n"},
            "status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]},
        });
        merge(&mut base, value);
        serde_json::from_value(base).expect("a Pod")
    }

    fn merge(base: &mut Value, patch: Value) {
        match (base, patch) {
            (Value::Object(base), Value::Object(patch)) => {
                for (key, value) in patch {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
            (base, patch) => *base = patch,
        }
    }

    #[test]
    fn steps() {
        let now = at("2026-01-01T00:01:00Z");
        let check = |patch: Value, expected: Step| {
            assert_eq!(next_step(&pod(patch.clone()), now), expected, "{patch}");
        };
        check(json!({}), Step::Create);
        check(json!({"status": {"containerStatuses": []}}), Step::Run);
        check(json!({"status": {"phase": "Running"}}), Step::Nothing);
        check(json!({"status": {"phase": "Succeeded"}}), Step::Nothing);
        let job = json!({
            "metadata": {"annotations": {EXIT_CODE_ANNOTATION: "3", RUN_SECONDS_ANNOTATION: "30"}},
            "spec": {"restartPolicy": "Never"},
            "status": {"phase": "Running", "startTime": "2026-01-01T00:00:50Z"},
        });
        check(
            job.clone(),
            Step::Finish {
                exit_code: 3,
                at: at("2026-01-01T00:01:20Z"),
            },
        );
        // restartPolicy Always never finishes.
        let mut always = job.clone();
        always["spec"]["restartPolicy"] = json!("Always");
        check(always, Step::Nothing);
        let mut deleting = job.clone();
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:01:00Z");
        check(deleting.clone(), Step::Terminate);
        deleting["status"]["phase"] = json!("Failed");
        check(deleting, Step::Delete);
    }

    #[test]
    fn creating_then_running_then_finished() {
        let now = at("2026-01-01T00:01:00Z");
        let p = pod(json!({}));
        let status = creating(&p, "10.200.0.1", now);
        assert_eq!(status["phase"], "Pending");
        assert_eq!(
            status["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
        assert_eq!(
            status["conditions"][2]["message"],
            "containers with unready status: [c]"
        );
        // PodScheduled keeps the time the binding set.
        assert_eq!(
            status["conditions"][4]["lastTransitionTime"],
            "2026-01-01T00:00:00Z"
        );

        let p = pod(json!({"status": status}));
        let later = at("2026-01-01T00:01:01Z");
        let status = running(&p, "10.200.0.1", "10.244.0.5", later);
        assert_eq!(status["phase"], "Running");
        assert_eq!(status["podIP"], "10.244.0.5");
        assert_eq!(status["podIPs"], json!([{"ip": "10.244.0.5"}]));
        assert_eq!(status["startTime"], "2026-01-01T00:01:00Z");
        let c = &status["containerStatuses"][0];
        assert_eq!(
            (c["ready"].clone(), c["restartCount"].clone()),
            (json!(true), json!(0))
        );
        assert_eq!(c["state"]["running"]["startedAt"], "2026-01-01T00:01:00Z");
        for condition in status["conditions"].as_array().expect("conditions") {
            assert_eq!(condition["status"], "True", "{condition}");
        }
        // Initialized stayed True since creation; Ready just turned True.
        assert_eq!(
            status["conditions"][1]["lastTransitionTime"],
            "2026-01-01T00:01:00Z"
        );
        assert_eq!(
            status["conditions"][2]["lastTransitionTime"],
            "2026-01-01T00:01:01Z"
        );

        let p = pod(json!({"status": status}));
        let status = finished(&p, 0, later);
        assert_eq!(status["phase"], "Succeeded");
        let terminated = &status["containerStatuses"][0]["state"]["terminated"];
        assert_eq!(
            (terminated["exitCode"].clone(), terminated["reason"].clone()),
            (json!(0), json!("Completed"))
        );
        assert_eq!(finished(&p, 2, later)["phase"], "Failed");
        let typed: k8s_openapi::api::core::v1::PodStatus =
            serde_json::from_value(status).expect("a PodStatus");
        assert_eq!(typed.phase.as_deref(), Some("Succeeded"));
    }

    #[test]
    fn init_containers() {
        let now = at("2026-01-01T00:01:00Z");
        let p = pod(json!({"spec": {"initContainers": [{"name": "i", "image": "busybox"}]}}));
        let status = creating(&p, "10.200.0.1", now);
        assert_eq!(
            status["initContainerStatuses"][0]["state"]["waiting"]["reason"],
            "PodInitializing"
        );
        let status = running(&p, "10.200.0.1", "10.244.0.5", now);
        assert_eq!(
            status["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );
    }
}

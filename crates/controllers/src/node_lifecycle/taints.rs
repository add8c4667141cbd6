//! The taints the controller manages and how pods tolerate them: NoSchedule
//! taints that mirror node conditions (upstream's taint-by-condition),
//! NoExecute taints for unreachable and not-ready nodes, and how long a pod
//! may stay on a node with NoExecute taints (the taint manager).

use std::time::Duration;

use k8s_openapi::api::core::v1::{NodeCondition, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
const DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
const NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
const PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";

pub const NO_SCHEDULE: &str = "NoSchedule";
pub const NO_EXECUTE: &str = "NoExecute";

/// Keys of the NoSchedule taints the controller owns.
pub const NO_SCHEDULE_KEYS: [&str; 7] = [
    NOT_READY,
    UNREACHABLE,
    MEMORY_PRESSURE,
    DISK_PRESSURE,
    NETWORK_UNAVAILABLE,
    PID_PRESSURE,
    UNSCHEDULABLE,
];

/// A taint added now.
pub fn taint(key: &str, effect: &str, now: Timestamp) -> Taint {
    Taint {
        key: key.to_string(),
        effect: effect.to_string(),
        time_added: Some(Time(now)),
        value: None,
    }
}

/// The NoSchedule taint keys the node's conditions and cordon call for.
pub fn no_schedule_keys(conditions: &[NodeCondition], unschedulable: bool) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for condition in conditions {
        let key = match (condition.type_.as_str(), condition.status.as_str()) {
            ("Ready", "False") => NOT_READY,
            ("Ready", "Unknown") => UNREACHABLE,
            ("MemoryPressure", "True") => MEMORY_PRESSURE,
            ("DiskPressure", "True") => DISK_PRESSURE,
            ("NetworkUnavailable", "True") => NETWORK_UNAVAILABLE,
            ("PIDPressure", "True") => PID_PRESSURE,
            _ => continue,
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if unschedulable {
        keys.push(UNSCHEDULABLE);
    }
    keys
}

/// `taints` with the controller-owned NoSchedule taints made to be exactly
/// `wanted` (existing ones keep their timeAdded); None when nothing changes.
pub fn reconcile_no_schedule(
    taints: &[Taint],
    wanted: &[&str],
    now: Timestamp,
) -> Option<Vec<Taint>> {
    let owned = |t: &Taint| t.effect == NO_SCHEDULE && NO_SCHEDULE_KEYS.contains(&t.key.as_str());
    let mut result: Vec<Taint> = taints
        .iter()
        .filter(|t| !owned(t) || wanted.contains(&t.key.as_str()))
        .cloned()
        .collect();
    for key in wanted {
        if !result
            .iter()
            .any(|t| t.effect == NO_SCHEDULE && t.key == *key)
        {
            result.push(taint(key, NO_SCHEDULE, now));
        }
    }
    (result.len() != taints.len() || result.iter().zip(taints).any(|(a, b)| a != b))
        .then_some(result)
}

/// `taints` with the NoExecute taint `key` present (when `Some`) and the
/// other controller NoExecute taint gone; None when nothing changes.
pub fn set_no_execute(taints: &[Taint], key: Option<&str>, now: Timestamp) -> Option<Vec<Taint>> {
    let ours = |t: &Taint| t.effect == NO_EXECUTE && (t.key == NOT_READY || t.key == UNREACHABLE);
    let mut result: Vec<Taint> = taints
        .iter()
        .filter(|t| !ours(t) || Some(t.key.as_str()) == key)
        .cloned()
        .collect();
    if let Some(key) = key {
        if !result
            .iter()
            .any(|t| t.effect == NO_EXECUTE && t.key == key)
        {
            result.push(taint(key, NO_EXECUTE, now));
        }
    }
    (result.len() != taints.len() || result.iter().zip(taints).any(|(a, b)| a != b))
        .then_some(result)
}

/// Whether the node carries NoExecute taint `key`.
pub fn has_no_execute(taints: &[Taint], key: &str) -> bool {
    taints
        .iter()
        .any(|t| t.effect == NO_EXECUTE && t.key == key)
}

/// Whether `toleration` tolerates `taint` (upstream's `ToleratesTaint`).
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if toleration
        .effect
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != taint.effect)
    {
        return false;
    }
    if toleration
        .key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != taint.key)
    {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("") {
        "" | "Equal" => {
            toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        "Exists" => true,
        _ => false,
    }
}

/// How long a pod with `tolerations` may stay on a node with the NoExecute
/// `taints`: `Some(Duration::ZERO)` when some taint is not tolerated (evict
/// now), `None` when every taint is tolerated forever, otherwise the least
/// tolerationSeconds of the first toleration matching each taint (negative
/// seconds count as zero).
pub fn toleration_time(taints: &[Taint], tolerations: &[Toleration]) -> Option<Duration> {
    let mut least: Option<u64> = None;
    for taint in taints.iter().filter(|t| t.effect == NO_EXECUTE) {
        let Some(toleration) = tolerations.iter().find(|t| tolerates(t, taint)) else {
            return Some(Duration::ZERO);
        };
        if let Some(seconds) = toleration.toleration_seconds {
            let seconds = seconds.max(0) as u64;
            least = Some(least.map_or(seconds, |l| l.min(seconds)));
        }
    }
    least.map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().expect("time")
    }

    fn condition(kind: &str, status: &str) -> NodeCondition {
        NodeCondition {
            type_: kind.into(),
            status: status.into(),
            ..Default::default()
        }
    }

    fn toleration(key: &str, effect: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some(effect.into()),
            toleration_seconds: seconds,
            value: None,
        }
    }

    #[test]
    fn conditions_map_to_no_schedule_taints() {
        let keys = no_schedule_keys(
            &[
                condition("Ready", "Unknown"),
                condition("MemoryPressure", "True"),
                condition("DiskPressure", "False"),
            ],
            true,
        );
        assert_eq!(keys, vec![UNREACHABLE, MEMORY_PRESSURE, UNSCHEDULABLE]);
        assert_eq!(
            no_schedule_keys(&[condition("Ready", "False")], false),
            vec![NOT_READY]
        );
        assert!(no_schedule_keys(&[condition("Ready", "True")], false).is_empty());
    }

    #[test]
    fn no_schedule_taints_are_reconciled_keeping_others() {
        let foreign = Taint {
            key: "dedicated".into(),
            effect: NO_SCHEDULE.into(),
            value: Some("x".into()),
            time_added: None,
        };
        let start = vec![foreign.clone(), taint(NOT_READY, NO_SCHEDULE, now())];
        let next = reconcile_no_schedule(&start, &[UNREACHABLE], now()).expect("changed");
        assert_eq!(next.len(), 2);
        assert_eq!(next[0], foreign);
        assert_eq!(next[1].key, UNREACHABLE);
        assert!(reconcile_no_schedule(&next, &[UNREACHABLE], now()).is_none());
        let cleared = reconcile_no_schedule(&next, &[], now()).expect("changed");
        assert_eq!(cleared, vec![foreign]);
    }

    #[test]
    fn no_execute_taints_swap() {
        let unreachable = set_no_execute(&[], Some(UNREACHABLE), now()).expect("added");
        assert!(has_no_execute(&unreachable, UNREACHABLE));
        let not_ready = set_no_execute(&unreachable, Some(NOT_READY), now()).expect("swapped");
        assert_eq!(not_ready.len(), 1);
        assert!(has_no_execute(&not_ready, NOT_READY));
        assert!(set_no_execute(&not_ready, Some(NOT_READY), now()).is_none());
        assert_eq!(set_no_execute(&not_ready, None, now()), Some(vec![]));
        assert!(set_no_execute(&[], None, now()).is_none());
    }

    #[test]
    fn toleration_times() {
        let taints = vec![
            taint(UNREACHABLE, NO_EXECUTE, now()),
            taint(NOT_READY, NO_SCHEDULE, now()),
        ];
        // Not tolerated: now.
        assert_eq!(toleration_time(&taints, &[]), Some(Duration::ZERO));
        // NoSchedule taints are no matter; tolerated for 2 s.
        let two = toleration(UNREACHABLE, NO_EXECUTE, Some(2));
        assert_eq!(
            toleration_time(&taints, std::slice::from_ref(&two)),
            Some(Duration::from_secs(2))
        );
        // Forever.
        let forever = toleration(UNREACHABLE, NO_EXECUTE, None);
        assert_eq!(
            toleration_time(&taints, std::slice::from_ref(&forever)),
            None
        );
        // The first matching toleration of each taint counts.
        assert_eq!(toleration_time(&taints, &[forever, two.clone()]), None);
        // The least of several taints' times.
        let both = vec![
            taint(UNREACHABLE, NO_EXECUTE, now()),
            taint(NOT_READY, NO_EXECUTE, now()),
        ];
        let five = toleration(NOT_READY, NO_EXECUTE, Some(5));
        assert_eq!(
            toleration_time(&both, &[five.clone(), two]),
            Some(Duration::from_secs(2))
        );
        assert_eq!(toleration_time(&both, &[five]), Some(Duration::ZERO));
        // An empty key with Exists tolerates everything; wrong effect nothing.
        let all = Toleration {
            operator: Some("Exists".into()),
            ..Default::default()
        };
        assert_eq!(toleration_time(&both, &[all]), None);
        let wrong = toleration(UNREACHABLE, NO_SCHEDULE, None);
        assert_eq!(toleration_time(&taints, &[wrong]), Some(Duration::ZERO));
        // Equal compares values.
        let equal = Toleration {
            key: Some(UNREACHABLE.into()),
            operator: Some("Equal".into()),
            value: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(toleration_time(&taints, &[equal]), Some(Duration::ZERO));
    }
}

//! The arithmetic of a PodDisruptionBudget's status, as upstream's disruption
//! controller does it: how many pods are expected and must stay healthy
//! (`minAvailable` / `maxUnavailable`, numbers or percentages of the
//! controllers' scale, rounded up), which recorded disruptions still count,
//! how many pods are healthy, and the `DisruptionAllowed` condition.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{
    PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// How long an eviction's pod may take to be deleted before the budget stops
/// counting it as disrupted (upstream's `DeletionTimeout`).
pub(crate) const DELETION_TIMEOUT: SignedDuration = SignedDuration::from_secs(2 * 60);
pub(crate) const CONDITION: &str = "DisruptionAllowed";
pub(crate) const SUFFICIENT_PODS: &str = "SufficientPods";
pub(crate) const INSUFFICIENT_PODS: &str = "InsufficientPods";
pub(crate) const SYNC_FAILED: &str = "SyncFailed";

/// A number or a percentage of `total` (upstream's
/// `GetScaledValueFromIntOrPercent`); percentages round up or down.
pub(crate) fn scaled_value(value: &IntOrString, total: i32, round_up: bool) -> Result<i32, String> {
    match value {
        IntOrString::Int(n) => Ok(*n),
        IntOrString::String(text) => {
            let Some(number) = text.strip_suffix('%') else {
                return Err("invalid type: string is not a percentage".to_string());
            };
            let percent: i64 = number
                .parse()
                .map_err(|e| format!("invalid value {text:?}: {e}"))?;
            let scaled = percent as f64 * f64::from(total) / 100.0;
            Ok(if round_up {
                scaled.ceil()
            } else {
                scaled.floor()
            } as i32)
        }
    }
}

/// Whether the budget needs the scale of the pods' controllers: for
/// `maxUnavailable`, and for a percentage `minAvailable`.
pub(crate) fn needs_scale(spec: &PodDisruptionBudgetSpec) -> bool {
    spec.max_unavailable.is_some() || matches!(spec.min_available, Some(IntOrString::String(_)))
}

/// `(expectedPods, desiredHealthy)` from the spec, the number of selected
/// pods and (when [`needs_scale`]) the summed scale of their controllers.
pub(crate) fn expected_and_desired(
    spec: &PodDisruptionBudgetSpec,
    pods: i32,
    scale: i32,
) -> Result<(i32, i32), String> {
    if let Some(max_unavailable) = &spec.max_unavailable {
        let unavailable = scaled_value(max_unavailable, scale, true)?;
        return Ok((scale, (scale - unavailable).max(0)));
    }
    match &spec.min_available {
        Some(IntOrString::Int(n)) => Ok((pods, *n)),
        Some(percent @ IntOrString::String(_)) => Ok((scale, scaled_value(percent, scale, true)?)),
        None => Ok((0, 0)),
    }
}

/// The recorded disruptions that still count: pods still there, not yet
/// being deleted, evicted less than [`DELETION_TIMEOUT`] ago; and when the
/// earliest of them expires (to look again then).
pub(crate) fn live_disruptions(
    pods: &[Arc<Pod>],
    recorded: Option<&BTreeMap<String, Time>>,
    now: Timestamp,
) -> (BTreeMap<String, Time>, Option<Timestamp>) {
    let mut live = BTreeMap::new();
    let mut recheck: Option<Timestamp> = None;
    let Some(recorded) = recorded else {
        return (live, None);
    };
    for pod in pods {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(at) = recorded.get(&name) else {
            continue;
        };
        let expires = at.0 + DELETION_TIMEOUT;
        if expires < now {
            continue;
        }
        recheck = Some(recheck.map_or(expires, |r| r.min(expires)));
        live.insert(name, at.clone());
    }
    (live, recheck)
}

/// Selected pods that are ready, neither being deleted nor recently evicted.
pub(crate) fn count_healthy(
    pods: &[Arc<Pod>],
    disrupted: &BTreeMap<String, Time>,
    now: Timestamp,
) -> i32 {
    pods.iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| {
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            disrupted
                .get(name)
                .is_none_or(|at| at.0 + DELETION_TIMEOUT <= now)
        })
        .filter(|pod| crate::endpoints::common::is_ready(pod))
        .count() as i32
}

/// Sets a condition as apimachinery's `SetStatusCondition`: the transition
/// time changes only with the status.
pub(crate) fn set_condition(conditions: &mut Vec<Condition>, mut new: Condition, now: Timestamp) {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(existing) => {
            if existing.status != new.status {
                existing.status = new.status;
                existing.last_transition_time = Time(now);
            }
            existing.reason = new.reason;
            existing.message = new.message;
            existing.observed_generation = new.observed_generation;
        }
        None => {
            new.last_transition_time = Time(now);
            conditions.push(new);
        }
    }
}

fn allowed_condition(
    allowed: bool,
    observed_generation: Option<i64>,
    message: String,
) -> Condition {
    let (status, reason) = if allowed {
        ("True", SUFFICIENT_PODS)
    } else {
        ("False", INSUFFICIENT_PODS)
    };
    Condition {
        type_: CONDITION.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        observed_generation,
        last_transition_time: Time(Timestamp::UNIX_EPOCH),
    }
}

/// Whether the condition agrees with the status (upstream's
/// `ConditionsAreUpToDate`).
fn conditions_up_to_date(pdb: &PodDisruptionBudget) -> bool {
    let Some(status) = pdb.status.as_ref() else {
        return false;
    };
    let Some(condition) = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == CONDITION)
    else {
        return false;
    };
    if status.observed_generation != pdb.metadata.generation {
        return false;
    }
    if status.disruptions_allowed > 0 {
        condition.status == "True" && condition.reason == SUFFICIENT_PODS
    } else {
        condition.status == "False" && condition.reason == INSUFFICIENT_PODS
    }
}

/// The status to write, or None when the budget already shows it (upstream's
/// `updatePdbStatus`). No disruption is allowed while no pod is expected.
pub(crate) fn next_status(
    pdb: &PodDisruptionBudget,
    current_healthy: i32,
    desired_healthy: i32,
    expected: i32,
    disrupted: BTreeMap<String, Time>,
    now: Timestamp,
) -> Option<PodDisruptionBudgetStatus> {
    let mut allowed = current_healthy - desired_healthy;
    if expected <= 0 || allowed <= 0 {
        allowed = 0;
    }
    let old = pdb.status.clone().unwrap_or_default();
    let old_disrupted = old.disrupted_pods.clone().unwrap_or_default();
    if old.current_healthy == current_healthy
        && old.desired_healthy == desired_healthy
        && old.expected_pods == expected
        && old.disruptions_allowed == allowed
        && old_disrupted == disrupted
        && old.observed_generation == pdb.metadata.generation
        && conditions_up_to_date(pdb)
    {
        return None;
    }
    let mut conditions = old.conditions.unwrap_or_default();
    set_condition(
        &mut conditions,
        allowed_condition(allowed > 0, pdb.metadata.generation, String::new()),
        now,
    );
    Some(PodDisruptionBudgetStatus {
        current_healthy,
        desired_healthy,
        expected_pods: expected,
        disruptions_allowed: allowed,
        disrupted_pods: (!disrupted.is_empty()).then_some(disrupted),
        observed_generation: pdb.metadata.generation,
        conditions: Some(conditions),
    })
}

/// The status after a failed sync (upstream's `failSafe`): no disruption
/// allowed, the condition False with `SyncFailed` and the error.
pub(crate) fn fail_safe_status(
    pdb: &PodDisruptionBudget,
    message: String,
    now: Timestamp,
) -> PodDisruptionBudgetStatus {
    let mut status = pdb.status.clone().unwrap_or_default();
    status.disruptions_allowed = 0;
    let mut conditions = status.conditions.take().unwrap_or_default();
    let mut condition = allowed_condition(false, status.observed_generation, message);
    condition.reason = SYNC_FAILED.into();
    set_condition(&mut conditions, condition, now);
    status.conditions = Some(conditions);
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use kube::api::ObjectMeta;

    fn int(n: i32) -> IntOrString {
        IntOrString::Int(n)
    }

    fn pct(p: &str) -> IntOrString {
        IntOrString::String(p.into())
    }

    #[test]
    fn percentages_round_up_as_upstream() {
        assert_eq!(scaled_value(&pct("50%"), 5, true), Ok(3));
        assert_eq!(scaled_value(&pct("50%"), 5, false), Ok(2));
        assert_eq!(scaled_value(&pct("34%"), 3, true), Ok(2));
        assert_eq!(scaled_value(&pct("0%"), 7, true), Ok(0));
        assert_eq!(scaled_value(&pct("100%"), 7, true), Ok(7));
        assert_eq!(scaled_value(&int(4), 7, true), Ok(4));
        assert!(scaled_value(&pct("50"), 7, true).is_err());
        assert!(scaled_value(&pct("x%"), 7, true).is_err());
    }

    #[test]
    fn expected_and_desired_from_min_available_and_max_unavailable() {
        let spec = |min: Option<IntOrString>, max: Option<IntOrString>| PodDisruptionBudgetSpec {
            min_available: min,
            max_unavailable: max,
            ..Default::default()
        };
        // minAvailable as a number counts the selected pods, not the scale.
        let s = spec(Some(int(2)), None);
        assert!(!needs_scale(&s));
        assert_eq!(expected_and_desired(&s, 3, 0), Ok((3, 2)));
        // minAvailable 50% of a scale of 5: 3 (rounded up).
        let s = spec(Some(pct("50%")), None);
        assert!(needs_scale(&s));
        assert_eq!(expected_and_desired(&s, 4, 5), Ok((5, 3)));
        // maxUnavailable 1 of 3: 2 must stay.
        assert_eq!(
            expected_and_desired(&spec(None, Some(int(1))), 3, 3),
            Ok((3, 2))
        );
        // maxUnavailable 30% of 5 rounds up to 2 unavailable: 3 must stay.
        assert_eq!(
            expected_and_desired(&spec(None, Some(pct("30%"))), 5, 5),
            Ok((5, 3))
        );
        // More unavailable than pods: none need stay.
        assert_eq!(
            expected_and_desired(&spec(None, Some(int(9))), 3, 3),
            Ok((3, 0))
        );
        assert!(expected_and_desired(&spec(None, Some(pct("3"))), 3, 3).is_err());
    }

    fn pod(name: &str, ready: bool, deleting: bool) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                deletion_timestamp: deleting.then_some(Time(Timestamp::UNIX_EPOCH)),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn disruptions_count_until_deleted_or_expired() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let pods = vec![
            pod("a", true, false),
            pod("b", true, false),
            pod("c", true, false),
            pod("d", true, true),
            pod("e", false, false),
        ];
        let recorded: BTreeMap<String, Time> = [
            ("a".to_string(), Time(now - SignedDuration::from_secs(10))),
            ("b".to_string(), Time(now - SignedDuration::from_secs(500))),
            ("d".to_string(), Time(now)),
            ("gone".to_string(), Time(now)),
        ]
        .into();
        let (live, recheck) = live_disruptions(&pods, Some(&recorded), now);
        assert_eq!(live.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(recheck, Some(now + SignedDuration::from_secs(110)));
        // a (disrupted), d (deleting) and e (not ready) are not healthy.
        assert_eq!(count_healthy(&pods, &live, now), 2);
    }

    #[test]
    fn status_and_condition_follow_the_counts() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let mut pdb = PodDisruptionBudget {
            metadata: ObjectMeta {
                generation: Some(2),
                ..Default::default()
            },
            ..Default::default()
        };
        let status = next_status(&pdb, 3, 2, 3, BTreeMap::new(), now).expect("a change");
        assert_eq!(status.disruptions_allowed, 1);
        assert_eq!(status.observed_generation, Some(2));
        let condition = &status.conditions.as_ref().unwrap()[0];
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            ("True", SUFFICIENT_PODS)
        );
        pdb.status = Some(status);
        assert!(next_status(&pdb, 3, 2, 3, BTreeMap::new(), now).is_none());
        let later = now + SignedDuration::from_secs(5);
        let status = next_status(&pdb, 2, 2, 3, BTreeMap::new(), later).expect("a change");
        assert_eq!(status.disruptions_allowed, 0);
        let condition = &status.conditions.as_ref().unwrap()[0];
        assert_eq!(condition.reason, INSUFFICIENT_PODS);
        assert_eq!(condition.last_transition_time, Time(later));
        // No expected pods: nothing allowed, however many are healthy.
        let status = next_status(&pdb, 3, 0, 0, BTreeMap::new(), now).expect("a change");
        assert_eq!(status.disruptions_allowed, 0);
        let failed = fail_safe_status(&pdb, "boom".into(), now);
        assert_eq!(failed.disruptions_allowed, 0);
        let condition = &failed.conditions.as_ref().unwrap()[0];
        assert_eq!(
            (condition.reason.as_str(), condition.message.as_str()),
            (SYNC_FAILED, "boom")
        );
    }
}

//! A node's health as the controller sees it (upstream's `nodeHealthData`):
//! when it last heard from the kubelet (a new Ready heartbeat or a renewed
//! Lease), and the conditions it writes when it has heard nothing for the
//! grace period. Pure functions of what was read and the time.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::NodeCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// The conditions the controller turns Unknown (upstream's list).
pub const MANAGED_CONDITIONS: [&str; 4] =
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// What the controller remembers of one node.
#[derive(Clone, Debug)]
pub struct Health {
    /// The Ready condition as last seen (its heartbeat time tells a new report).
    pub ready: Option<NodeCondition>,
    /// The Lease's renewTime as last seen.
    pub lease_renewed: Option<Timestamp>,
    /// When the kubelet was last heard from (our clock).
    pub probe: Instant,
    /// When the Ready condition last changed (our clock).
    pub ready_transition: Instant,
}

/// The health after observing the node's Ready condition `ready` and its
/// Lease's `lease_renewed` at `now`; `created` is when the node was created
/// (our clock), the probe time of a node that never reported.
pub fn observe(
    saved: Option<&Health>,
    ready: Option<&NodeCondition>,
    lease_renewed: Option<Timestamp>,
    created: Instant,
    now: Instant,
) -> Health {
    let mut health = match saved {
        None => Health {
            ready: ready.cloned(),
            lease_renewed: None,
            probe: if ready.is_some() { now } else { created },
            ready_transition: if ready.is_some() { now } else { created },
        },
        Some(saved) => {
            let mut health = saved.clone();
            match (&saved.ready, ready) {
                (None, Some(_)) | (Some(_), None) => {
                    health.probe = now;
                    health.ready_transition = now;
                }
                (Some(old), Some(new)) if old.last_heartbeat_time != new.last_heartbeat_time => {
                    health.probe = now;
                    if old.last_transition_time != new.last_transition_time {
                        health.ready_transition = now;
                    }
                }
                _ => {}
            }
            health.ready = ready.cloned();
            health
        }
    };
    if let Some(renewed) = lease_renewed {
        if health.lease_renewed.is_none_or(|seen| seen < renewed) {
            health.lease_renewed = Some(renewed);
            health.probe = now;
        }
    }
    health
}

/// Whether the node has not been heard from for longer than `grace`.
pub fn expired(health: &Health, grace: Duration, now: Instant) -> bool {
    now > health.probe + grace
}

/// The conditions of a node not heard from: Ready and the pressure
/// conditions Unknown ("Kubelet stopped posting node status."), missing ones
/// added ("Kubelet never posted node status."), others kept. None when they
/// already say so.
pub fn unknown_conditions(
    conditions: &[NodeCondition],
    created: Option<&Time>,
    now: Timestamp,
) -> Option<Vec<NodeCondition>> {
    let mut result = conditions.to_vec();
    let mut changed = false;
    for kind in MANAGED_CONDITIONS {
        match result.iter_mut().find(|c| c.type_ == kind) {
            None => {
                result.push(NodeCondition {
                    type_: kind.to_string(),
                    status: "Unknown".to_string(),
                    reason: Some("NodeStatusNeverUpdated".to_string()),
                    message: Some("Kubelet never posted node status.".to_string()),
                    last_heartbeat_time: created.cloned(),
                    last_transition_time: Some(Time(now)),
                });
                changed = true;
            }
            Some(condition) if condition.status != "Unknown" => {
                condition.status = "Unknown".to_string();
                condition.reason = Some("NodeStatusUnknown".to_string());
                condition.message = Some("Kubelet stopped posting node status.".to_string());
                condition.last_transition_time = Some(Time(now));
                changed = true;
            }
            Some(_) => {}
        }
    }
    changed.then_some(result)
}

/// The condition of `kind` among `conditions`.
pub fn condition<'a>(
    conditions: Option<&'a Vec<NodeCondition>>,
    kind: &str,
) -> Option<&'a NodeCondition> {
    conditions?.iter().find(|c| c.type_ == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(status: &str, heartbeat: &str, transition: &str) -> NodeCondition {
        NodeCondition {
            type_: "Ready".into(),
            status: status.into(),
            last_heartbeat_time: Some(Time(heartbeat.parse().expect("time"))),
            last_transition_time: Some(Time(transition.parse().expect("time"))),
            reason: Some("KubeletReady".into()),
            message: None,
        }
    }

    #[test]
    fn heartbeats_and_lease_renewals_refresh_the_probe() {
        let t0 = Instant::now();
        let c1 = ready("True", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        let h = observe(None, Some(&c1), None, t0, t0);
        assert_eq!(h.probe, t0);
        // Same heartbeat later: nothing heard.
        let t1 = t0 + Duration::from_secs(30);
        let h = observe(Some(&h), Some(&c1), None, t0, t1);
        assert_eq!(h.probe, t0);
        assert!(!expired(&h, Duration::from_secs(40), t1));
        assert!(expired(&h, Duration::from_secs(20), t1));
        // A renewed lease counts.
        let renewed: Timestamp = "2026-01-01T00:00:30Z".parse().expect("time");
        let h = observe(Some(&h), Some(&c1), Some(renewed), t0, t1);
        assert_eq!(h.probe, t1);
        // The same renewTime again does not.
        let t2 = t1 + Duration::from_secs(10);
        let h = observe(Some(&h), Some(&c1), Some(renewed), t0, t2);
        assert_eq!(h.probe, t1);
        // A new heartbeat with a transition moves both.
        let c2 = ready("False", "2026-01-01T00:00:40Z", "2026-01-01T00:00:40Z");
        let h = observe(Some(&h), Some(&c2), Some(renewed), t0, t2);
        assert_eq!((h.probe, h.ready_transition), (t2, t2));
    }

    #[test]
    fn a_node_that_never_reported_counts_from_its_creation() {
        let created = Instant::now();
        let now = created + Duration::from_secs(5);
        let h = observe(None, None, None, created, now);
        assert_eq!(h.probe, created);
    }

    #[test]
    fn silent_nodes_get_unknown_conditions_once() {
        let now: Timestamp = "2026-01-01T00:01:00Z".parse().expect("time");
        let conditions = vec![ready(
            "True",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
        )];
        let updated = unknown_conditions(&conditions, None, now).expect("changed");
        assert_eq!(updated.len(), 4);
        let r = &updated[0];
        assert_eq!(r.status, "Unknown");
        assert_eq!(r.reason.as_deref(), Some("NodeStatusUnknown"));
        assert_eq!(
            r.message.as_deref(),
            Some("Kubelet stopped posting node status.")
        );
        assert_eq!(r.last_transition_time, Some(Time(now)));
        // The heartbeat stays the kubelet's last.
        assert_eq!(r.last_heartbeat_time, conditions[0].last_heartbeat_time);
        assert_eq!(updated[1].reason.as_deref(), Some("NodeStatusNeverUpdated"));
        assert!(unknown_conditions(&updated, None, now).is_none());
    }
}

//! DefaultPreemption's decision, as upstream's `plugins/defaultpreemption` and
//! `framework/preemption`: when a pod fits nowhere, find nodes where evicting
//! lower-priority pods would let it fit, keep as few victims as possible
//! (reprieving the most important first), and pick the node whose victims
//! matter least. When there is none, the reasons per node make the
//! `preemption: 0/N nodes are available: ...` part of the failure message.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::cache::{NodeInfo, PlacedPod};
use crate::framework::{nodes_available_message, Code, FitError, Framework, PodState, Status};

/// Why preemption cannot help a node (upstream's wording).
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// What preemption decided for a pod that fits nowhere.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// No eviction helps; the post-filter message (`preemption: ...`).
    Unhelpful(String),
    /// Evict `victims` from `node`, then the pod fits there.
    Preempt {
        node: String,
        victims: Vec<Arc<Pod>>,
    },
}

fn priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// Whether the pod may preempt at all: not with `preemptionPolicy: Never`,
/// nor while victims of an earlier preemption still terminate on its
/// nominated node (upstream `PodEligibleToPreemptOthers`).
fn eligible(pod: &Pod, nodes: &[&NodeInfo]) -> Result<(), String> {
    if pod
        .spec
        .as_ref()
        .and_then(|s| s.preemption_policy.as_deref())
        == Some("Never")
    {
        return Err("not eligible due to preemptionPolicy=Never.".to_string());
    }
    let nominated = pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref())
        .filter(|n| !n.is_empty());
    if let Some(node) = nominated.and_then(|n| nodes.iter().find(|info| info.name() == n)) {
        let own = priority(pod);
        let terminating = node.pods.values().any(|placed| {
            placed.pod.metadata.deletion_timestamp.is_some() && priority(&placed.pod) < own
        });
        if terminating {
            return Err("not eligible due to a terminating pod on the nominated node.".to_string());
        }
    }
    Ok(())
}

/// The fewest victims on `node` that let the pod fit, or why none do.
fn select_victims(
    framework: &Framework,
    state: &PodState<'_>,
    node: &NodeInfo,
) -> Result<Vec<PlacedPod>, Status> {
    let own = priority(state.pod);
    let mut trial = node.clone();
    let mut potential: Vec<(String, PlacedPod)> = node
        .pods
        .iter()
        .filter(|(_, placed)| priority(&placed.pod) < own)
        .map(|(key, placed)| (key.clone(), placed.clone()))
        .collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    for (key, _) in &potential {
        trial.remove_pod(key);
    }
    if let Some(status) = framework.filter_node(state, &trial) {
        return Err(status);
    }
    // Reprieve the most important pods first (higher priority, then older).
    potential.sort_by(|(_, a), (_, b)| {
        priority(&b.pod).cmp(&priority(&a.pod)).then_with(|| {
            let created = |p: &PlacedPod| p.pod.metadata.creation_timestamp.clone();
            created(a).cmp(&created(b))
        })
    });
    let mut victims = Vec::new();
    for (key, placed) in potential {
        trial.add_pod(key.clone(), placed.clone());
        if framework.filter_node(state, &trial).is_some() {
            trial.remove_pod(&key);
            victims.push(placed);
        }
    }
    Ok(victims)
}

/// Runs preemption's dry run for a pod whose filters failed on every node.
pub fn evaluate(
    framework: &Framework,
    state: &PodState<'_>,
    nodes: &[&NodeInfo],
    fit: &FitError,
) -> Outcome {
    if let Err(message) = eligible(state.pod, nodes) {
        return Outcome::Unhelpful(format!("preemption: {message}"));
    }
    let mut statuses: BTreeMap<String, Status> = BTreeMap::new();
    let mut best: Option<(String, Vec<PlacedPod>)> = None;
    for node in nodes {
        let name = node.name().to_string();
        let helpful = fit.pre_filter_message.is_none()
            && fit
                .node_statuses
                .get(&name)
                .is_some_and(|s| s.code == Code::Unschedulable);
        if !helpful {
            statuses.insert(name, Status::unresolvable(NOT_HELPFUL));
            continue;
        }
        match select_victims(framework, state, node) {
            Err(status) => {
                statuses.insert(name, status);
            }
            Ok(victims) => {
                if best
                    .as_ref()
                    .is_none_or(|(_, current)| better(&victims, current))
                {
                    best = Some((name, victims));
                }
            }
        }
    }
    match best {
        Some((node, victims)) => Outcome::Preempt {
            node,
            victims: victims.into_iter().map(|v| v.pod).collect(),
        },
        None => Outcome::Unhelpful(format!(
            "preemption: {}",
            nodes_available_message(nodes.len(), &statuses)
        )),
    }
}

/// Upstream's `pickOneNodeForPreemption` criteria, in order: the lowest
/// highest-priority victim, the lowest priority sum, the fewest victims.
fn better(candidate: &[PlacedPod], current: &[PlacedPod]) -> bool {
    let key = |victims: &[PlacedPod]| {
        (
            victims
                .iter()
                .map(|v| priority(&v.pod))
                .max()
                .unwrap_or(i32::MIN),
            victims
                .iter()
                .map(|v| i64::from(priority(&v.pod)) + i64::from(i32::MAX) + 1)
                .sum::<i64>(),
            victims.len(),
        )
    };
    key(candidate) < key(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::default_framework;
    use crate::test_util::{node, node_info, pod};

    fn with_priority(name: &str, cpu: &str, priority: i32) -> Pod {
        let mut p = pod(name, cpu, "0");
        p.spec.as_mut().unwrap().priority = Some(priority);
        p
    }

    fn run(nodes: &[NodeInfo], incoming: &Pod) -> Outcome {
        let framework = default_framework();
        let state = PodState::new(incoming);
        let refs: Vec<&NodeInfo> = nodes.iter().collect();
        let fit = framework.find_feasible(&state, &refs, 0).unwrap_err();
        evaluate(&framework, &state, &refs, &fit)
    }

    fn filled(name: &str, pods: &[(&str, &str, i32)]) -> NodeInfo {
        let mut info = node_info(node(name, "2", "4Gi"));
        for (pod_name, cpu, priority) in pods {
            info.add_pod(
                format!("default/{pod_name}"),
                PlacedPod::new(Arc::new(with_priority(pod_name, cpu, *priority))),
            );
        }
        info
    }

    #[test]
    fn no_victims_message() {
        let nodes = [
            filled("a", &[("x", "2", 100)]),
            filled("b", &[("y", "2", 100)]),
        ];
        let Outcome::Unhelpful(message) = run(&nodes, &with_priority("p", "1", 100)) else {
            panic!("expected no preemption");
        };
        assert_eq!(
            message,
            "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn evicts_the_fewest_least_important_pods() {
        let nodes = [
            filled("a", &[("a1", "1", 50), ("a2", "1", 10)]),
            filled("b", &[("b1", "1", 5), ("b2", "1", 5)]),
        ];
        let Outcome::Preempt { node, victims } = run(&nodes, &with_priority("p", "1", 100)) else {
            panic!("expected preemption");
        };
        assert_eq!(node, "b");
        assert_eq!(victims.len(), 1);
        let never = {
            let mut p = with_priority("p", "1", 100);
            p.spec.as_mut().unwrap().preemption_policy = Some("Never".into());
            p
        };
        let Outcome::Unhelpful(message) = run(&nodes, &never) else {
            panic!("expected no preemption");
        };
        assert_eq!(
            message,
            "preemption: not eligible due to preemptionPolicy=Never."
        );
    }
}

//! TaintToleration: a node's NoSchedule and NoExecute taints keep off pods
//! that do not tolerate them; PreferNoSchedule taints lower the score.
//! Upstream `plugins/tainttoleration` and `v1helper.TolerationsTolerateTaint`.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::cache::NodeInfo;
use crate::framework::{default_normalize, FilterPlugin, PodState, ScorePlugin, Status};

pub struct TaintToleration;

/// Whether `toleration` tolerates `taint` (upstream `Toleration.ToleratesTaint`).
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect.as_deref().filter(|e| !e.is_empty()) {
        if effect != taint.effect {
            return false;
        }
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            // An empty key with Equal matches nothing (validation forbids it).
            !key.is_empty()
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

pub fn tolerations<'a>(state: &PodState<'a>) -> &'a [Toleration] {
    state
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or_default()
}

fn taints(node: &NodeInfo) -> &[Taint] {
    node.node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default()
}

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        let tolerations = tolerations(state);
        let untolerated = taints(node).iter().find(|taint| {
            (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
                && !tolerations.iter().any(|t| tolerates(t, taint))
        });
        match untolerated {
            Some(taint) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or_default()
            )),
            None => Status::success(),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    /// The number of PreferNoSchedule taints not tolerated by the pod's
    /// PreferNoSchedule (or effect-less) tolerations.
    fn score(&self, state: &PodState<'_>, node: &NodeInfo) -> i64 {
        let tolerations: Vec<&Toleration> = tolerations(state)
            .iter()
            .filter(|t| {
                matches!(
                    t.effect.as_deref(),
                    None | Some("") | Some("PreferNoSchedule")
                )
            })
            .collect();
        taints(node)
            .iter()
            .filter(|taint| taint.effect == "PreferNoSchedule")
            .filter(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;

    fn tainted(name: &str, taints: serde_json::Value) -> NodeInfo {
        let mut n = node(name, "1", "1Gi");
        n.spec = Some(serde_json::from_value(json!({ "taints": taints })).unwrap());
        node_info(n)
    }

    fn tolerating(tolerations: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
        let mut p = pod("p", "0", "0");
        p.spec.as_mut().unwrap().tolerations = serde_json::from_value(tolerations).unwrap();
        p
    }

    #[test]
    fn filter_checks_no_schedule_and_no_execute() {
        let node = tainted(
            "n",
            json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
        );
        let plain = pod("p", "0", "0");
        assert_eq!(
            TaintToleration.filter(&PodState::new(&plain), &node),
            Status::unresolvable("node(s) had untolerated taint {dedicated: db}")
        );
        let check = |tolerations: serde_json::Value, fits: bool| {
            let p = tolerating(tolerations.clone());
            assert_eq!(
                TaintToleration
                    .filter(&PodState::new(&p), &node)
                    .is_success(),
                fits,
                "{tolerations}"
            );
        };
        check(
            json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
            true,
        );
        check(json!([{"key": "dedicated", "operator": "Exists"}]), true);
        check(json!([{"operator": "Exists"}]), true);
        check(json!([{"key": "dedicated", "value": "web"}]), false);
        check(
            json!([{"key": "dedicated", "value": "db", "effect": "NoExecute"}]),
            false,
        );
        let soft = tainted("n", json!([{"key": "k", "effect": "PreferNoSchedule"}]));
        assert!(TaintToleration
            .filter(&PodState::new(&plain), &soft)
            .is_success());
    }

    #[test]
    fn score_prefers_fewer_intolerable_soft_taints() {
        let plain = pod("p", "0", "0");
        let state = PodState::new(&plain);
        let nodes = [
            tainted("a", json!([])),
            tainted("b", json!([{"key": "k", "effect": "PreferNoSchedule"}])),
            tainted(
                "c",
                json!([{"key": "k", "effect": "PreferNoSchedule"}, {"key": "j", "effect": "PreferNoSchedule"}]),
            ),
        ];
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| TaintToleration.score(&state, n))
            .collect();
        assert_eq!(scores, vec![0, 1, 2]);
        TaintToleration.normalize(&mut scores);
        assert_eq!(scores, vec![100, 50, 0]);
    }
}

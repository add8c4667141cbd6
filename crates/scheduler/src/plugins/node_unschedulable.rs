//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take only pods
//! that tolerate the `node.kubernetes.io/unschedulable:NoSchedule` taint.
//! Upstream `plugins/nodeunschedulable`.

use k8s_openapi::api::core::v1::Taint;

use super::taint_toleration::{tolerates, tolerations};
use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, Status};

pub const ERR_REASON: &str = "node(s) were unschedulable";
/// The taint a cordoned node is treated as having (upstream `TaintNodeUnschedulable`).
pub const TAINT_KEY: &str = "node.kubernetes.io/unschedulable";

pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        let cordoned = node
            .node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        if !cordoned {
            return Status::success();
        }
        let taint = Taint {
            key: TAINT_KEY.to_string(),
            effect: "NoSchedule".to_string(),
            ..Taint::default()
        };
        if tolerations(state).iter().any(|t| tolerates(t, &taint)) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;

    #[test]
    fn cordoned_nodes_take_only_tolerating_pods() {
        let mut cordoned = node("n", "1", "1Gi");
        cordoned.spec = Some(serde_json::from_value(json!({"unschedulable": true})).unwrap());
        let cordoned = node_info(cordoned);
        let plain = pod("p", "0", "0");
        assert_eq!(
            NodeUnschedulable.filter(&PodState::new(&plain), &cordoned),
            Status::unresolvable(ERR_REASON)
        );
        let mut tolerant = pod("p", "0", "0");
        tolerant.spec.as_mut().unwrap().tolerations = serde_json::from_value(json!([
            {"key": TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
        ]))
        .unwrap();
        assert!(NodeUnschedulable
            .filter(&PodState::new(&tolerant), &cordoned)
            .is_success());
        assert!(NodeUnschedulable
            .filter(&PodState::new(&plain), &node_info(node("m", "1", "1Gi")))
            .is_success());
    }
}

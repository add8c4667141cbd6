//! NodePorts: a pod asking for a host port fits only nodes where no placed pod
//! holds that port (same protocol, overlapping address). Upstream
//! `plugins/nodeports`.

use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, Status};

pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

pub struct NodePorts;

impl FilterPlugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        if state.ports.is_empty() {
            return Status::success();
        }
        let clash = node
            .used_ports()
            .any(|used| state.ports.iter().any(|wanted| wanted.conflicts(used)));
        if clash {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PlacedPod;
    use crate::test_util::{node, node_info, pod};
    use serde_json::json;
    use std::sync::Arc;

    fn with_port(name: &str, port: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
        let mut p = pod(name, "0", "0");
        p.spec.as_mut().unwrap().containers[0].ports =
            Some(vec![serde_json::from_value(port).unwrap()]);
        p
    }

    #[test]
    fn host_ports_clash() {
        let mut info = node_info(node("n", "1", "1Gi"));
        info.add_pod(
            "default/x".into(),
            PlacedPod::new(Arc::new(with_port(
                "x",
                json!({"containerPort": 80, "hostPort": 8080}),
            ))),
        );
        let check = |port: serde_json::Value, fits: bool| {
            let p = with_port("p", port.clone());
            assert_eq!(
                NodePorts.filter(&PodState::new(&p), &info).is_success(),
                fits,
                "{port}"
            );
        };
        check(json!({"containerPort": 80, "hostPort": 8080}), false);
        check(
            json!({"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}),
            false,
        );
        check(
            json!({"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}),
            true,
        );
        check(json!({"containerPort": 80, "hostPort": 8081}), true);
        check(json!({"containerPort": 8080}), true);
    }
}

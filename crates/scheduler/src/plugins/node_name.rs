//! NodeName: a pod that names its node (`spec.nodeName` is never set on a pod
//! the scheduler sees, but the filter is kept as upstream's) fits only there.
//! Upstream `plugins/nodename`.

use crate::cache::NodeInfo;
use crate::framework::{FilterPlugin, PodState, Status};

pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn filter(&self, state: &PodState<'_>, node: &NodeInfo) -> Status {
        match state.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            Some(wanted) if !wanted.is_empty() && wanted != node.name() => {
                Status::unresolvable(ERR_REASON)
            }
            _ => Status::success(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{node, node_info, pod};

    #[test]
    fn only_the_named_node_fits() {
        let mut named = pod("p", "0", "0");
        named.spec.as_mut().unwrap().node_name = Some("n1".into());
        let state = PodState::new(&named);
        assert!(NodeName
            .filter(&state, &node_info(node("n1", "1", "1Gi")))
            .is_success());
        assert_eq!(
            NodeName.filter(&state, &node_info(node("n2", "1", "1Gi"))),
            Status::unresolvable(ERR_REASON)
        );
        let free = pod("q", "0", "0");
        assert!(NodeName
            .filter(&PodState::new(&free), &node_info(node("n2", "1", "1Gi")))
            .is_success());
    }
}

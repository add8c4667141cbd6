//! Claiming pods, as upstream's `PodControllerRefManager.ClaimPods`: a
//! workload keeps the pods it controls that still match its selector,
//! releases those that stopped matching, and adopts orphans that match
//! (unless it is being deleted). Shared by the DaemonSet and StatefulSet
//! controllers.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
use kube::core::{Selector, SelectorExt};
use kube::{Api, Client};

use crate::informer::Informer;
use crate::replicaset::{adopt, has_controller, release};
use crate::Error;

/// A workload's selector; an empty one selects nothing, as upstream.
pub(crate) fn selector_of(selector: &LabelSelector) -> Option<Selector> {
    let selector = Selector::try_from(selector.clone()).ok()?;
    (!selector.selects_all()).then_some(selector)
}

fn matches(selector: &Selector, pod: &Pod) -> bool {
    selector.matches(&pod.metadata.labels.clone().unwrap_or_default())
}

/// The pods `owner` should manage in `namespace`; `member` narrows which
/// orphans may be adopted (a StatefulSet adopts only `<set>-<ordinal>`).
pub(crate) async fn claim_pods(
    client: &Client,
    pods: &Informer<Pod>,
    namespace: &str,
    owner: &OwnerReference,
    selector: Option<&Selector>,
    deleting: bool,
    member: impl Fn(&Pod) -> bool,
) -> Result<Vec<Arc<Pod>>, Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut claimed = Vec::new();
    for pod in pods.controlled_by(&owner.uid) {
        if pod.metadata.namespace.as_deref() != Some(namespace) {
            continue;
        }
        match selector {
            Some(selector)
                if !matches(selector, &pod) && pod.metadata.deletion_timestamp.is_none() =>
            {
                release(&api, &*pod, &owner.uid).await?;
            }
            _ => claimed.push(pod),
        }
    }
    let Some(selector) = selector.filter(|_| !deleting) else {
        return Ok(claimed);
    };
    for pod in pods.in_namespace(namespace) {
        if has_controller(&pod.metadata)
            || pod.metadata.deletion_timestamp.is_some()
            || !matches(selector, &pod)
            || !member(&pod)
        {
            continue;
        }
        if adopt(&api, &*pod, owner).await? {
            claimed.push(pod);
        }
    }
    Ok(claimed)
}

/// Whether an orphan pod may belong to a workload with this selector.
pub(crate) fn orphan_matches(selector: &LabelSelector, pod: &Pod) -> bool {
    !has_controller(&pod.metadata)
        && pod.metadata.deletion_timestamp.is_none()
        && selector_of(selector).is_some_and(|s| matches(&s, pod))
}

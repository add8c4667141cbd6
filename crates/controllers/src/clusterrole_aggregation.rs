//! The cluster role aggregation controller: a ClusterRole with an
//! `aggregationRule` gets as `rules` the union of the rules of the cluster roles
//! its selectors match, as upstream's `pkg/controller/clusterroleaggregation`.
//!
//! This is how the default `admin`, `edit` and `view` roles get their rules
//! (from the `system:aggregate-to-*` roles and from each other), and how a
//! custom role labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"`
//! extends `view`. Roles are matched in name order and a rule already present
//! is not repeated. Chains (view into edit into admin) settle because every
//! change of a cluster role is another event.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use kube::api::{Patch, PatchParams};
use kube::core::{Selector, SelectorExt};
use kube::runtime::watcher;
use kube::{Api, Client};

use crate::Error;

/// How long a failed watch waits before it is started again.
const RETRY: Duration = Duration::from_secs(2);

/// Runs the controller until its client is gone.
pub async fn run(client: Client) -> Result<(), Error> {
    let api: Api<ClusterRole> = Api::all(client);
    let mut roles: BTreeMap<String, ClusterRole> = BTreeMap::new();
    let mut initial: Option<BTreeMap<String, ClusterRole>> = None;
    let mut stream = std::pin::pin!(watcher::watcher(api.clone(), watcher::Config::default()));
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => {
                initial = Some(BTreeMap::new());
                continue;
            }
            Ok(watcher::Event::InitApply(role)) => {
                if let (Some(initial), Some(name)) = (initial.as_mut(), role.metadata.name.clone())
                {
                    initial.insert(name, role);
                }
                continue;
            }
            Ok(watcher::Event::InitDone) => roles = initial.take().unwrap_or_default(),
            Ok(watcher::Event::Apply(role)) => {
                if let Some(name) = role.metadata.name.clone() {
                    roles.insert(name, role);
                }
            }
            Ok(watcher::Event::Delete(role)) => {
                if let Some(name) = &role.metadata.name {
                    roles.remove(name);
                }
            }
            Err(error) => {
                tracing::debug!(%error, "cluster role aggregation: watch failed; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        }
        for (name, rules) in changes(&roles) {
            let patch = serde_json::json!({"rules": rules});
            if let Err(error) = api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                tracing::warn!(%name, %error, "cluster role aggregation: update failed");
            }
        }
    }
    Ok(())
}

/// The aggregated roles whose rules are not what their selectors gather, with
/// the rules they should have.
fn changes(roles: &BTreeMap<String, ClusterRole>) -> Vec<(String, Vec<PolicyRule>)> {
    let mut out = Vec::new();
    for (name, role) in roles {
        let Some(rule) = &role.aggregation_rule else {
            continue;
        };
        let selectors: Vec<Selector> = rule
            .cluster_role_selectors
            .iter()
            .flatten()
            .filter_map(|s| Selector::try_from(s.clone()).ok())
            .collect();
        let mut rules: Vec<PolicyRule> = Vec::new();
        for (other_name, other) in roles {
            if other_name == name {
                continue;
            }
            let labels = other.metadata.labels.clone().unwrap_or_default();
            if !selectors.iter().any(|s| s.matches(&labels)) {
                continue;
            }
            for other_rule in other.rules.iter().flatten() {
                if !rules.contains(other_rule) {
                    rules.push(other_rule.clone());
                }
            }
        }
        if role.rules.clone().unwrap_or_default() != rules {
            out.push((name.clone(), rules));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::rbac::v1::AggregationRule;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    use kube::api::ObjectMeta;

    fn rule(verb: &str, resource: &str) -> PolicyRule {
        PolicyRule {
            verbs: vec![verb.into()],
            api_groups: Some(vec![String::new()]),
            resources: Some(vec![resource.into()]),
            ..PolicyRule::default()
        }
    }

    fn role(
        name: &str,
        labels: &[&str],
        rules: Vec<PolicyRule>,
        aggregates: Option<&str>,
    ) -> (String, ClusterRole) {
        let role = ClusterRole {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|l| (l.to_string(), "true".to_string()))
                        .collect(),
                ),
                ..ObjectMeta::default()
            },
            rules: Some(rules),
            aggregation_rule: aggregates.map(|label| AggregationRule {
                cluster_role_selectors: Some(vec![LabelSelector {
                    match_labels: Some([(label.to_string(), "true".to_string())].into()),
                    ..LabelSelector::default()
                }]),
            }),
        };
        (name.into(), role)
    }

    #[test]
    fn unions_in_name_order_without_repeats() {
        let roles: BTreeMap<String, ClusterRole> = [
            role("view", &[], vec![], Some("to-view")),
            role(
                "b-extra",
                &["to-view"],
                vec![rule("get", "pods"), rule("list", "pods")],
                None,
            ),
            role("a-base", &["to-view"], vec![rule("get", "pods")], None),
            role("other", &[], vec![rule("get", "secrets")], None),
        ]
        .into();
        let changes = changes(&roles);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, "view");
        assert_eq!(
            changes[0].1,
            vec![rule("get", "pods"), rule("list", "pods")]
        );

        // Once applied, nothing changes.
        let mut settled = roles.clone();
        if let Some(view) = settled.get_mut("view") {
            view.rules = Some(changes[0].1.clone());
        }
        assert!(super::changes(&settled).is_empty());
    }
}

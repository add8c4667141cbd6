//! Objects every cluster starts with: the system namespaces, the `kubernetes`
//! service that points at the API server, and the default RBAC policy
//! (`api::bootstrap_policy`), reconciled as upstream's RBAC post-start hook.

use serde_json::{json, Value};

use crate::codec;
use crate::handlers::key;
use crate::server::State;

/// Creates what is missing; leaves what exists alone.
pub async fn ensure(state: &State) -> Result<(), store::StoreError> {
    let now = crate::handlers::now();
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let obj = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": now,
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        create_if_absent(state, "namespaces", "", name, obj).await?;
    }
    let ip = state.config.admission.kubernetes_service_ip().to_string();
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "uid": uuid::Uuid::new_v4().to_string(),
            "creationTimestamp": now,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip,
            "clusterIPs": [ip],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": state.config.secure_port}],
        },
        "status": {"loadBalancer": {}},
    });
    create_if_absent(state, "services", "default", "kubernetes", service).await?;
    crate::admission::priority::ensure_system_classes(state).await?;
    for role in api::bootstrap_policy::cluster_roles() {
        reconcile(state, "clusterroles", role, &now, reconcile_role).await?;
    }
    for binding in api::bootstrap_policy::cluster_role_bindings() {
        reconcile(
            state,
            "clusterrolebindings",
            binding,
            &now,
            reconcile_binding,
        )
        .await?;
    }
    // Requests are authorized from the cache: it must hold the policy before
    // the first one is served.
    let revision = state.store.current_revision().await?;
    if !state
        .cache
        .wait_for(revision, std::time::Duration::from_secs(30))
        .await
    {
        tracing::warn!(
            revision,
            "the watch cache has not caught up with the default RBAC policy"
        );
    }
    Ok(())
}

/// Creates a default RBAC object, or adds what the existing one lacks (upstream
/// reconciles with `rbac.authorization.kubernetes.io/autoupdate`; `"false"`
/// keeps an administrator's changes).
async fn reconcile(
    state: &State,
    plural: &str,
    expected: Value,
    now: &str,
    merge: fn(&mut Value, &Value) -> bool,
) -> Result<(), store::StoreError> {
    let Some(resource) = api::resource::lookup("rbac.authorization.k8s.io", "v1", plural) else {
        return Ok(());
    };
    let name = expected
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = key(resource, "", name);
    for _ in 0..5 {
        let Some(kv) = state.store.get(&key, 0).await?.kv else {
            let mut object = expected.clone();
            object["metadata"]["uid"] = json!(uuid::Uuid::new_v4().to_string());
            object["metadata"]["creationTimestamp"] = json!(now);
            match state
                .store
                .create(&key, codec::encode_stored(&object))
                .await
            {
                Ok(_) => return Ok(()),
                Err(store::StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e),
            }
        };
        let Ok(mut current) = codec::decode_stored(&kv.value, kv.mod_revision) else {
            return Ok(());
        };
        let annotation = current
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(api::bootstrap_policy::AUTOUPDATE_ANNOTATION))
            .and_then(Value::as_str);
        if annotation == Some("false") || !merge(&mut current, &expected) {
            return Ok(());
        }
        tracing::info!(%key, "reconciling a default RBAC object");
        match state
            .store
            .update(&key, codec::encode_stored(&current), kv.mod_revision)
            .await
        {
            Ok(_) => return Ok(()),
            Err(store::StoreError::Conflict { .. } | store::StoreError::NotFound { .. }) => {
                continue
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Adds the labels and annotations of `expected` that `current` lacks; true if
/// any was.
fn merge_metadata(current: &mut Value, expected: &Value) -> bool {
    let mut changed = false;
    for field in ["labels", "annotations"] {
        let Some(wanted) = expected["metadata"][field].as_object() else {
            continue;
        };
        if !current["metadata"][field].is_object() {
            current["metadata"][field] = json!({});
        }
        for (k, v) in wanted {
            if current["metadata"][field].get(k).is_none() {
                current["metadata"][field][k] = v.clone();
                changed = true;
            }
        }
    }
    changed
}

/// Appends to `current[field]` the items of `expected[field]` that `missing`
/// says it lacks; true if any was.
fn append_missing(
    current: &mut Value,
    expected: &Value,
    field: &str,
    missing: impl Fn(&[Value], &Value) -> bool,
) -> bool {
    let wanted = expected[field].as_array().cloned().unwrap_or_default();
    let mut have = current[field].as_array().cloned().unwrap_or_default();
    let before = have.len();
    for item in wanted {
        if missing(&have, &item) {
            have.push(item);
        }
    }
    let changed = have.len() != before;
    if changed {
        current[field] = Value::Array(have);
    }
    changed
}

/// A default ClusterRole gains the rules it does not cover and the aggregation
/// selectors it lacks; an aggregated role's rules are the aggregation
/// controller's.
fn reconcile_role(current: &mut Value, expected: &Value) -> bool {
    let mut changed = merge_metadata(current, expected);
    if expected.get("aggregationRule").is_some() {
        let mut rule = current
            .get("aggregationRule")
            .cloned()
            .unwrap_or_else(|| json!({}));
        changed |= append_missing(
            &mut rule,
            &expected["aggregationRule"],
            "clusterRoleSelectors",
            |have, s| !have.contains(s),
        );
        current["aggregationRule"] = rule;
    }
    if current.get("aggregationRule").is_none() || expected.get("aggregationRule").is_none() {
        changed |= append_missing(current, expected, "rules", |have, rule| {
            !crate::auth::authz::covers(have, rule)
        });
    }
    changed
}

/// A default ClusterRoleBinding gains the subjects it lacks and points at its
/// default role.
fn reconcile_binding(current: &mut Value, expected: &Value) -> bool {
    let mut changed = merge_metadata(current, expected);
    if current["roleRef"] != expected["roleRef"] {
        current["roleRef"] = expected["roleRef"].clone();
        changed = true;
    }
    changed |= append_missing(current, expected, "subjects", |have, subject| {
        !have.iter().any(|s| {
            s["kind"] == subject["kind"]
                && s["name"] == subject["name"]
                && s.get("namespace") == subject.get("namespace")
        })
    });
    changed
}

async fn create_if_absent(
    state: &State,
    plural: &str,
    namespace: &str,
    name: &str,
    obj: Value,
) -> Result<(), store::StoreError> {
    let Some(resource) = api::resource::lookup("", "v1", plural) else {
        return Ok(());
    };
    match state
        .store
        .create(&key(resource, namespace, name), codec::encode_stored(&obj))
        .await
    {
        Ok(_) | Err(store::StoreError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciling_adds_what_is_missing_only() {
        let expected = json!({
            "metadata": {"name": "r", "labels": {"a": "1"}, "annotations": {"x": "true"}},
            "rules": [
                {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
                {"verbs": ["create"], "apiGroups": [""], "resources": ["configmaps"]},
            ],
        });
        let mut current = json!({
            "metadata": {"name": "r", "labels": {"a": "changed"}},
            "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
        });
        assert!(reconcile_role(&mut current, &expected));
        assert_eq!(current["metadata"]["labels"]["a"], "changed");
        assert_eq!(current["metadata"]["annotations"]["x"], "true");
        assert_eq!(current["rules"].as_array().map(Vec::len), Some(2));
        assert!(!reconcile_role(&mut current, &expected));

        let expected = json!({
            "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "r"},
            "subjects": [{"kind": "Group", "name": "g"}],
        });
        let mut current = json!({
            "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}],
        });
        assert!(reconcile_binding(&mut current, &expected));
        assert_eq!(current["subjects"].as_array().map(Vec::len), Some(2));
        assert!(!reconcile_binding(&mut current, &expected));
    }
}

//! RBAC escalation prevention, as upstream's RBAC registry
//! (`pkg/registry/rbac`): a user may write a Role or ClusterRole only with
//! rules they hold themselves (or with the `escalate` verb on it), and bind a
//! role only if they hold all of its rules (or have the `bind` verb on it).
//! Members of `system:masters` may do anything. Writes that only touch what
//! the garbage collector changes (owner references, finalizers) are not
//! checked, so that dependents can always be cleaned up.
//!
//! Refusals are 403 with upstream's messages: `user "u" (groups=["g"]) is
//! attempting to grant RBAC permissions not currently held:` followed by the
//! missing rules, one per line, in upstream's compact form.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use api::bootstrap_policy::PRIVILEGED_GROUP;
use api::validation::go_quote;
use serde_json::{json, Value};

use super::authz::{self, Attributes};
use super::User;
use crate::cache::Cache;
use crate::error::ApiError;
use crate::server::State;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// What a write to an RBAC object is checked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
}

impl Kind {
    fn of(group: &str, plural: &str) -> Option<Kind> {
        if group != RBAC_GROUP {
            return None;
        }
        match plural {
            "roles" => Some(Kind::Role),
            "clusterroles" => Some(Kind::ClusterRole),
            "rolebindings" => Some(Kind::RoleBinding),
            "clusterrolebindings" => Some(Kind::ClusterRoleBinding),
            _ => None,
        }
    }
}

/// [`confirm`], and when it refuses while the cache is behind the store (a
/// role or binding written a moment ago), once more after the cache caught
/// up.
pub async fn confirm_fresh(
    state: &State,
    user: &User,
    group: &str,
    plural: &str,
    new: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let refused = match confirm(&state.cache, user, group, plural, new, old) {
        Ok(()) => return Ok(()),
        Err(refused) => refused,
    };
    match state.store.current_revision().await {
        Ok(revision)
            if revision > state.cache.revision()
                && state.cache.wait_for(revision, Duration::from_secs(2)).await =>
        {
            confirm(&state.cache, user, group, plural, new, old)
        }
        _ => Err(refused),
    }
}

/// Checks a create (`old` is `None`) or update of an object of
/// `group`/`plural` by `user`: Ok for anything but roles and bindings.
pub fn confirm(
    cache: &Cache,
    user: &User,
    group: &str,
    plural: &str,
    new: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let Some(kind) = Kind::of(group, plural) else {
        return Ok(());
    };
    if user.groups.iter().any(|g| g == PRIVILEGED_GROUP) {
        return Ok(());
    }
    if old.is_some_and(|old| only_gc_fields_change(new, old)) {
        return Ok(());
    }
    let namespace = text(new, "/metadata/namespace");
    let name = text(new, "/metadata/name");
    let forbidden = |detail: String| ApiError::Forbidden {
        message: format!(
            "{plural}.{RBAC_GROUP} {} is forbidden: {detail}",
            go_quote(name)
        ),
    };
    let allowed = |verb: &str, resource: &str, object: &str| {
        let attributes = Attributes::resource(verb, RBAC_GROUP, resource, "", namespace, object);
        authz::authorize(cache, user, &attributes).allowed
    };
    let rules: Vec<Value> = match kind {
        Kind::Role | Kind::ClusterRole => {
            if allowed("escalate", plural, name) {
                return Ok(());
            }
            let rules = new
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            missing(cache, user, namespace, &rules).map_err(forbidden)?;
            if kind == Kind::ClusterRole && new.get("aggregationRule").is_some_and(|a| !a.is_null())
            {
                let full = [
                    json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
                    json!({"verbs": ["*"], "nonResourceURLs": ["*"]}),
                ];
                missing(cache, user, namespace, &full).map_err(|_| {
                    forbidden(
                        "must have cluster-admin privileges to use the aggregationRule".into(),
                    )
                })?;
            }
            return Ok(());
        }
        Kind::RoleBinding | Kind::ClusterRoleBinding => {
            let role_kind = text(new, "/roleRef/kind");
            let role_name = text(new, "/roleRef/name");
            let role_resource = match role_kind {
                "ClusterRole" => "clusterroles",
                _ => "roles",
            };
            if allowed("bind", role_resource, role_name) {
                return Ok(());
            }
            referenced_rules(cache, role_kind, role_name, namespace).map_err(forbidden)?
        }
    };
    missing(cache, user, namespace, &rules).map_err(forbidden)
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The rules of the role a binding refers to, or upstream's error for it.
fn referenced_rules(
    cache: &Cache,
    kind: &str,
    name: &str,
    namespace: &str,
) -> Result<Vec<Value>, String> {
    let (plural, role_namespace, what) = match kind {
        "ClusterRole" => ("clusterroles", "", "clusterrole"),
        "Role" => ("roles", namespace, "role"),
        other => {
            return Err(format!(
                "unsupported role reference kind: {}",
                go_quote(other)
            ))
        }
    };
    let key = match api::resource::lookup(RBAC_GROUP, "v1", plural) {
        Some(resource) => crate::handlers::key(resource, role_namespace, name),
        None => return Err(format!("{what}.{RBAC_GROUP} {} not found", go_quote(name))),
    };
    let role = cache
        .get(&key)
        .0
        .ok_or_else(|| format!("{what}.{RBAC_GROUP} {} not found", go_quote(name)))?;
    Ok(role
        .value
        .get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Ok if `user` holds every rule of `rules` in `namespace`; else upstream's
/// message naming what is missing.
fn missing(cache: &Cache, user: &User, namespace: &str, rules: &[Value]) -> Result<(), String> {
    let (owner, errors) = authz::owner_rules(cache, user, namespace);
    let uncovered: Vec<Value> = rules
        .iter()
        .flat_map(breakdown)
        .filter(|rule| !authz::covers(&owner, rule))
        .collect();
    if uncovered.is_empty() {
        return Ok(());
    }
    let groups: Vec<String> = user.groups.iter().map(|g| go_quote(g)).collect();
    let mut message = format!(
        "user {} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
        go_quote(&user.name),
        groups.join(" "),
        describe(&uncovered)
    );
    if !errors.is_empty() {
        message.push_str(&format!("; resolution errors: [{}]", errors.join(" ")));
    }
    Err(message)
}

fn strings(rule: &Value, key: &str) -> Vec<String> {
    rule.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// A rule cut into rules of one group, resource, verb and name (or one URL
/// and verb), as upstream's `BreakdownRule`.
fn breakdown(rule: &Value) -> Vec<Value> {
    let verbs = strings(rule, "verbs");
    let names = strings(rule, "resourceNames");
    let mut out = Vec::new();
    for group in strings(rule, "apiGroups") {
        for resource in strings(rule, "resources") {
            for verb in &verbs {
                let one = json!({"apiGroups": [group], "resources": [resource], "verbs": [verb]});
                if names.is_empty() {
                    out.push(one);
                    continue;
                }
                for name in &names {
                    let mut named = one.clone();
                    named["resourceNames"] = json!([name]);
                    out.push(named);
                }
            }
        }
    }
    for url in strings(rule, "nonResourceURLs") {
        for verb in &verbs {
            out.push(json!({"nonResourceURLs": [url], "verbs": [verb]}));
        }
    }
    out
}

/// The missing rules as upstream lists them: rules of one group and
/// resource (and at most one name) merged with their verbs, each in Go's
/// compact form, sorted, one per line.
fn describe(rules: &[Value]) -> String {
    let mut simple: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut lines = BTreeSet::new();
    for rule in rules {
        let groups = strings(rule, "apiGroups");
        let resources = strings(rule, "resources");
        let names = strings(rule, "resourceNames");
        match (groups.as_slice(), resources.as_slice(), names.len()) {
            ([group], [resource], 0 | 1) if strings(rule, "nonResourceURLs").is_empty() => {
                let name = names.first().cloned().unwrap_or_default();
                simple
                    .entry((group.clone(), resource.clone(), name))
                    .or_default()
                    .extend(strings(rule, "verbs"));
            }
            _ => {
                lines.insert(compact(rule));
            }
        }
    }
    for ((group, resource, name), verbs) in simple {
        let mut rule = json!({"apiGroups": [group], "resources": [resource], "verbs": verbs});
        if !name.is_empty() {
            rule["resourceNames"] = json!([name]);
        }
        lines.insert(compact(&rule));
    }
    lines.into_iter().collect::<Vec<_>>().join("\n")
}

/// Upstream's `CompactString` of a rule: `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`.
fn compact(rule: &Value) -> String {
    let parts: Vec<String> = [
        ("APIGroups", "apiGroups"),
        ("Resources", "resources"),
        ("NonResourceURLs", "nonResourceURLs"),
        ("ResourceNames", "resourceNames"),
        ("Verbs", "verbs"),
    ]
    .into_iter()
    .filter_map(|(label, key)| {
        let values = strings(rule, key);
        (!values.is_empty()).then(|| {
            let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
            format!("{label}:[{}]", quoted.join(" "))
        })
    })
    .collect();
    format!("{{{}}}", parts.join(", "))
}

/// True when `new` differs from `old` only in what the garbage collector
/// writes (owner references and finalizers) and in server-kept metadata, as
/// upstream's `IsOnlyMutatingGCFields`.
fn only_gc_fields_change(new: &Value, old: &Value) -> bool {
    let strip = |object: &Value| {
        let mut object = object.clone();
        if let Some(Value::Object(meta)) = object.get_mut("metadata") {
            for field in [
                "ownerReferences",
                "finalizers",
                "managedFields",
                "resourceVersion",
                "generation",
            ] {
                meta.remove(field);
            }
        }
        object
    };
    strip(new) == strip(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_broken_down_and_described_as_upstream() {
        let rule =
            json!({"apiGroups": ["", "apps"], "resources": ["pods"], "verbs": ["get", "list"]});
        let pieces = breakdown(&rule);
        assert_eq!(pieces.len(), 4);
        assert_eq!(
            describe(&pieces),
            "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\"]}\n{APIGroups:[\"apps\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\"]}"
        );
        let named = json!({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]});
        let urls = json!({"nonResourceURLs": ["/metrics"], "verbs": ["get"]});
        let mut all = breakdown(&named);
        all.extend(breakdown(&urls));
        assert_eq!(
            describe(&all),
            "{APIGroups:[\"\"], Resources:[\"secrets\"], ResourceNames:[\"a\"], Verbs:[\"get\"]}\n{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}"
        );
    }

    #[test]
    fn garbage_collector_writes_are_not_checked() {
        let old = json!({"metadata": {"name": "r", "resourceVersion": "1"}, "rules": []});
        let mut new = old.clone();
        new["metadata"]["finalizers"] = json!(["foregroundDeletion"]);
        new["metadata"]["ownerReferences"] = json!([{"name": "o"}]);
        assert!(only_gc_fields_change(&new, &old));
        new["rules"] = json!([{"verbs": ["*"]}]);
        assert!(!only_gc_fields_change(&new, &old));
    }
}

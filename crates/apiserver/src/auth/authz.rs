//! Authorization: members of `system:masters` may do anything (upstream's
//! privileged-group authorizer); everyone else is checked against RBAC, as
//! upstream's `plugin/pkg/auth/authorizer/rbac`.
//!
//! The Roles, ClusterRoles, RoleBindings and ClusterRoleBindings are read from
//! the watch cache. A request is allowed when a rule of a role bound to the user
//! (by a ClusterRoleBinding, or by a RoleBinding in the request's namespace)
//! matches its verb, API group, resource (`resource/subresource`, `*`,
//! `*/subresource`) and name, or its non-resource URL (`/path`, `/prefix*`,
//! `*`). A denial becomes upstream's 403 message ([`forbidden`]), with the
//! role resolution errors (a binding to a missing role) as its reason.

use std::time::Duration;

use api::bootstrap_policy::PRIVILEGED_GROUP;
use api::validation::go_quote;
use http::Method;
use serde_json::{json, Value};

use super::User;
use crate::cache::Cache;
use crate::error::ApiError;
use crate::request::{Query, Route, Verb};
use crate::server::State;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// What a request asks to do, as upstream's `authorizer.Attributes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, ... for resources; the lower-case HTTP method for paths.
    pub verb: String,
    pub target: Target,
}

/// What a request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        resource: String,
        subresource: String,
        namespace: String,
        name: String,
    },
    NonResource {
        path: String,
    },
}

/// The answer for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Why: the binding that allowed it, or the errors met while denying.
    pub reason: String,
}

impl Attributes {
    /// A resource request.
    pub fn resource(
        verb: &str,
        group: &str,
        resource: &str,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> Attributes {
        Attributes {
            verb: verb.to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: subresource.to_string(),
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
        }
    }

    /// What an HTTP request asks, as upstream's RequestInfoFactory sees it.
    pub fn of_request(method: &Method, path: &str, route: &Route, query: &Query) -> Attributes {
        let Route::Resource(info) = route else {
            return Attributes {
                verb: method.as_str().to_ascii_lowercase(),
                target: Target::NonResource {
                    path: path.to_string(),
                },
            };
        };
        let mut namespace = info.namespace.clone();
        let mut name = info.name.clone();
        // A namespace is in its own namespace: a RoleBinding there may grant
        // `get` on it.
        if info.group.is_empty() && info.resource == "namespaces" && !name.is_empty() {
            namespace = name.clone();
        }
        // A list or watch of one name by field selector is about that name.
        if name.is_empty() && matches!(info.verb, Verb::List | Verb::Watch) {
            if let Some(selected) = query.get("fieldSelector").and_then(|s| selected_name(s)) {
                name = selected;
            }
        }
        Attributes {
            verb: info.verb.as_str().to_string(),
            target: Target::Resource {
                group: info.group.clone(),
                resource: info.resource.clone(),
                subresource: info.subresource.clone(),
                namespace,
                name,
            },
        }
    }

    /// The namespace whose RoleBindings apply ("" for cluster scope and paths).
    fn namespace(&self) -> &str {
        match &self.target {
            Target::Resource { namespace, .. } => namespace,
            Target::NonResource { .. } => "",
        }
    }
}

/// The name a field selector requires exactly (`metadata.name=x`), if any.
fn selected_name(selector: &str) -> Option<String> {
    selector.split(',').find_map(|requirement| {
        let (field, value) = requirement
            .split_once("==")
            .or_else(|| requirement.split_once('='))?;
        (field.trim() == "metadata.name").then(|| value.trim().to_string())
    })
}

/// Decides one request from the cache's RBAC objects.
pub fn authorize(cache: &Cache, user: &User, attributes: &Attributes) -> Decision {
    if user.groups.iter().any(|g| g == PRIVILEGED_GROUP) {
        return Decision {
            allowed: true,
            reason: String::new(),
        };
    }
    let mut allowed_by = None;
    let errors = visit_rules(cache, user, attributes.namespace(), &mut |source, rule| {
        if rule_allows(rule, attributes) {
            allowed_by = Some(source.describe());
            false
        } else {
            true
        }
    });
    match allowed_by {
        Some(source) => Decision {
            allowed: true,
            reason: format!("RBAC: allowed by {source}"),
        },
        None if errors.is_empty() => Decision::default(),
        None => Decision {
            allowed: false,
            reason: format!("RBAC: {}", aggregate(&errors)),
        },
    }
}

/// [`authorize`], and when it denies while the cache is behind the store (a
/// binding written a moment ago), once more after the cache caught up.
pub async fn authorize_fresh(state: &State, user: &User, attributes: &Attributes) -> Decision {
    let decision = authorize(&state.cache, user, attributes);
    if decision.allowed {
        return decision;
    }
    match state.store.current_revision().await {
        Ok(revision)
            if revision > state.cache.revision()
                && state.cache.wait_for(revision, Duration::from_secs(2)).await =>
        {
            authorize(&state.cache, user, attributes)
        }
        _ => decision,
    }
}

/// The rules that apply to `user` in `namespace`, as a SelfSubjectRulesReview
/// reports them: resource rules, non-resource rules, and the errors met.
pub fn rules_for(cache: &Cache, user: &User, namespace: &str) -> (Vec<Value>, Vec<Value>, String) {
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    let errors = visit_rules(cache, user, namespace, &mut |_, rule| {
        let strings = |key: &str| rule.get(key).cloned().unwrap_or_else(|| json!([]));
        if !is_empty_list(rule.get("resources")) {
            let mut out = json!({
                "verbs": strings("verbs"),
                "apiGroups": strings("apiGroups"),
                "resources": strings("resources"),
            });
            if !is_empty_list(rule.get("resourceNames")) {
                out["resourceNames"] = strings("resourceNames");
            }
            resource_rules.push(out);
        }
        if !is_empty_list(rule.get("nonResourceURLs")) {
            non_resource_rules.push(json!({
                "verbs": strings("verbs"),
                "nonResourceURLs": strings("nonResourceURLs"),
            }));
        }
        true
    });
    (resource_rules, non_resource_rules, aggregate(&errors))
}

/// Every rule that applies to `user` in `namespace` (cluster-wide ones
/// included), with the errors met resolving roles, as upstream's
/// `RulesFor`.
pub fn owner_rules(cache: &Cache, user: &User, namespace: &str) -> (Vec<Value>, Vec<String>) {
    let mut rules = Vec::new();
    let errors = visit_rules(cache, user, namespace, &mut |_, rule| {
        rules.push(rule.clone());
        true
    });
    (rules, errors)
}

fn is_empty_list(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_array)
        .is_none_or(|items| items.is_empty())
}

/// Upstream's aggregate error text: one message as is, several deduplicated
/// in brackets.
fn aggregate(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for error in errors {
        if !seen.contains(&error.as_str()) {
            seen.push(error);
        }
    }
    match seen.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Where a rule came from.
struct Source<'a> {
    /// "ClusterRoleBinding" or "RoleBinding".
    kind: &'static str,
    binding: &'a Value,
    subject: &'a Value,
}

impl Source<'_> {
    /// As upstream's describers: `ClusterRoleBinding "b" of ClusterRole "r" to
    /// Group "g"`; a RoleBinding is named `name/namespace`.
    fn describe(&self) -> String {
        let text = |value: &Value, pointer: &str| {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let namespace = text(self.binding, "/metadata/namespace");
        let mut name = text(self.binding, "/metadata/name");
        if self.kind == "RoleBinding" {
            name = format!("{name}/{namespace}");
        }
        let subject_kind = text(self.subject, "/kind");
        let mut subject_name = text(self.subject, "/name");
        if subject_kind == "ServiceAccount" {
            let subject_namespace = text(self.subject, "/namespace");
            let subject_namespace = if subject_namespace.is_empty() {
                namespace
            } else {
                subject_namespace
            };
            subject_name = format!("{subject_name}/{subject_namespace}");
        }
        format!(
            "{} {} of {} {} to {} {}",
            self.kind,
            go_quote(&name),
            text(self.binding, "/roleRef/kind"),
            go_quote(&text(self.binding, "/roleRef/name")),
            subject_kind,
            go_quote(&subject_name)
        )
    }
}

fn rbac_prefix(plural: &str, namespace: &str) -> String {
    match api::resource::lookup(RBAC_GROUP, "v1", plural) {
        Some(resource) => crate::handlers::prefix(resource, namespace),
        None => format!("/registry/{RBAC_GROUP}/{plural}/"),
    }
}

/// Calls `visitor` with every rule that applies to `user` in `namespace`
/// (ClusterRoleBindings first, then the namespace's RoleBindings, each in name
/// order) until it returns false; returns the errors met resolving roles.
fn visit_rules(
    cache: &Cache,
    user: &User,
    namespace: &str,
    visitor: &mut dyn FnMut(&Source<'_>, &Value) -> bool,
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut bindings = vec![("ClusterRoleBinding", rbac_prefix("clusterrolebindings", ""))];
    if !namespace.is_empty() {
        bindings.push(("RoleBinding", rbac_prefix("rolebindings", namespace)));
    }
    for (kind, prefix) in bindings {
        let (objects, _, _) = cache.list(&prefix, None, 0, |_| true);
        for object in objects {
            let binding = &object.value;
            let binding_namespace = if kind == "RoleBinding" { namespace } else { "" };
            let Some(subject) =
                binding
                    .get("subjects")
                    .and_then(Value::as_array)
                    .and_then(|subjects| {
                        subjects
                            .iter()
                            .find(|s| applies_to(user, s, binding_namespace))
                    })
            else {
                continue;
            };
            let role = match role_rules(cache, binding, binding_namespace) {
                Ok(role) => role,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            };
            let source = Source {
                kind,
                binding,
                subject,
            };
            for rule in role
                .value
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !visitor(&source, rule) {
                    return errors;
                }
            }
        }
    }
    errors
}

/// The role a binding refers to, or upstream's error for it.
fn role_rules(
    cache: &Cache,
    binding: &Value,
    namespace: &str,
) -> Result<std::sync::Arc<crate::cache::CachedObject>, String> {
    let text = |pointer: &str| {
        binding
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let name = text("/roleRef/name");
    let (key, what) = match text("/roleRef/kind") {
        "ClusterRole" => (
            format!("{}{name}", rbac_prefix("clusterroles", "")),
            "clusterrole",
        ),
        "Role" if !namespace.is_empty() => {
            (format!("{}{name}", rbac_prefix("roles", namespace)), "role")
        }
        other => {
            return Err(format!(
                "unsupported role reference kind: {}",
                go_quote(other)
            ))
        }
    };
    cache
        .get(&key)
        .0
        .ok_or_else(|| format!("{what}.{RBAC_GROUP} {} not found", go_quote(name)))
}

/// Whether a binding subject is `user`; a service account subject without a
/// namespace is in the binding's.
fn applies_to(user: &User, subject: &Value, binding_namespace: &str) -> bool {
    let text = |key: &str| subject.get(key).and_then(Value::as_str).unwrap_or("");
    match text("kind") {
        "User" => user.name == text("name"),
        "Group" => user.groups.iter().any(|g| g == text("name")),
        "ServiceAccount" => {
            let namespace = match text("namespace") {
                "" => binding_namespace,
                namespace => namespace,
            };
            !namespace.is_empty()
                && user.name == super::token::service_account_username(namespace, text("name"))
        }
        _ => false,
    }
}

fn strings<'a>(rule: &'a Value, key: &str) -> impl Iterator<Item = &'a str> + use<'a> {
    rule.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Whether one policy rule allows the request (upstream's `RuleAllows`).
pub fn rule_allows(rule: &Value, attributes: &Attributes) -> bool {
    let verb = attributes.verb.as_str();
    if !strings(rule, "verbs").any(|v| v == "*" || v == verb) {
        return false;
    }
    match &attributes.target {
        Target::Resource {
            group,
            resource,
            subresource,
            name,
            ..
        } => {
            let combined = if subresource.is_empty() {
                resource.clone()
            } else {
                format!("{resource}/{subresource}")
            };
            strings(rule, "apiGroups").any(|g| g == "*" || g == group)
                && strings(rule, "resources").any(|r| {
                    r == "*"
                        || r == combined
                        || (!subresource.is_empty()
                            && r.strip_prefix("*/") == Some(subresource.as_str()))
                })
                && (is_empty_list(rule.get("resourceNames"))
                    || strings(rule, "resourceNames").any(|n| n == name))
        }
        Target::NonResource { path } => strings(rule, "nonResourceURLs").any(|url| {
            url == "*"
                || url == path
                || url
                    .strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
        }),
    }
}

/// Whether `owner` rules grant everything `rule` grants (upstream's
/// `validation.Covers` for one rule): each verb, group, resource and name of
/// `rule`, `*` included literally, must be allowed by some owner rule.
pub fn covers(owner: &[Value], rule: &Value) -> bool {
    let allowed = |attributes: &Attributes| owner.iter().any(|o| rule_allows(o, attributes));
    let verbs: Vec<&str> = strings(rule, "verbs").collect();
    let urls: Vec<&str> = strings(rule, "nonResourceURLs").collect();
    for verb in &verbs {
        for path in &urls {
            let attributes = Attributes {
                verb: (*verb).to_string(),
                target: Target::NonResource {
                    path: (*path).to_string(),
                },
            };
            if !allowed(&attributes) {
                return false;
            }
        }
        let names: Vec<&str> = strings(rule, "resourceNames").collect();
        let names = if names.is_empty() { vec![""] } else { names };
        for group in strings(rule, "apiGroups") {
            for resource in strings(rule, "resources") {
                let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
                for name in &names {
                    let attributes =
                        Attributes::resource(verb, group, resource, subresource, "", name);
                    if !allowed(&attributes) {
                        return false;
                    }
                }
            }
        }
    }
    true
}

/// The 403 of a denied request, worded as upstream's
/// `responsewriters.Forbidden`: `pods "p" is forbidden: User "u" cannot get
/// resource "pods" in API group "" in the namespace "default"`.
pub fn forbidden(user: &User, attributes: &Attributes, reason: &str) -> ApiError {
    let who = go_quote(&user.name);
    let verb = &attributes.verb;
    let (subject, detail) = match &attributes.target {
        Target::NonResource { path } => (
            "forbidden".to_string(),
            format!("User {who} cannot {verb} path {}", go_quote(path)),
        ),
        Target::Resource {
            group,
            resource,
            subresource,
            namespace,
            name,
            ..
        } => {
            let qualified = if group.is_empty() {
                resource.clone()
            } else {
                format!("{resource}.{group}")
            };
            let subject = if name.is_empty() {
                format!("{qualified} is forbidden")
            } else {
                format!("{qualified} {} is forbidden", go_quote(name))
            };
            let full = if subresource.is_empty() {
                resource.clone()
            } else {
                format!("{resource}/{subresource}")
            };
            let scope = if namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace {}", go_quote(namespace))
            };
            (
                subject,
                format!(
                    "User {who} cannot {verb} resource {} in API group {} {scope}",
                    go_quote(&full),
                    go_quote(group)
                ),
            )
        }
    };
    let message = if reason.is_empty() {
        format!("{subject}: {detail}")
    } else {
        format!("{subject}: {detail}: {reason}")
    };
    ApiError::Forbidden { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa_user() -> User {
        User {
            name: "system:serviceaccount:default:sa".into(),
            uid: String::new(),
            groups: vec![
                "system:serviceaccounts".into(),
                "system:serviceaccounts:default".into(),
                "system:authenticated".into(),
            ],
            extra: Default::default(),
        }
    }

    fn check(rule: Value, attributes: Attributes, expected: bool) {
        assert_eq!(
            rule_allows(&rule, &attributes),
            expected,
            "{rule} {attributes:?}"
        );
    }

    #[test]
    fn rule_matching() {
        let pods = |verb: &str, sub: &str, name: &str| {
            Attributes::resource(verb, "", "pods", sub, "default", name)
        };
        let rule = |verbs: Value, groups: Value, resources: Value| json!({"verbs": verbs, "apiGroups": groups, "resources": resources});
        check(
            rule(json!(["get"]), json!([""]), json!(["pods"])),
            pods("get", "", "p"),
            true,
        );
        check(
            rule(json!(["get"]), json!([""]), json!(["pods"])),
            pods("list", "", ""),
            false,
        );
        check(
            rule(json!(["*"]), json!(["*"]), json!(["*"])),
            pods("delete", "", "p"),
            true,
        );
        check(
            rule(json!(["get"]), json!(["apps"]), json!(["pods"])),
            pods("get", "", "p"),
            false,
        );
        // Subresources are only matched by name or `*/sub`.
        check(
            rule(json!(["get"]), json!([""]), json!(["pods"])),
            pods("get", "log", "p"),
            false,
        );
        check(
            rule(json!(["get"]), json!([""]), json!(["pods/log"])),
            pods("get", "log", "p"),
            true,
        );
        check(
            rule(json!(["get"]), json!([""]), json!(["*/log"])),
            pods("get", "log", "p"),
            true,
        );
        check(
            rule(json!(["get"]), json!([""]), json!(["*/status"])),
            pods("get", "log", "p"),
            false,
        );
        // Resource names narrow a rule, and never match a request without a name.
        let named = json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]});
        check(named.clone(), pods("get", "", "a"), true);
        check(named.clone(), pods("get", "", "b"), false);
        check(named, pods("list", "", ""), false);
        // Non-resource URLs: exact, prefix with `*`, or everything.
        let urls = json!({"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]});
        let path = |p: &str| Attributes {
            verb: "get".into(),
            target: Target::NonResource { path: p.into() },
        };
        check(urls.clone(), path("/healthz"), true);
        check(urls.clone(), path("/healthz/etcd"), false);
        check(urls.clone(), path("/apis/apps/v1"), true);
        check(urls.clone(), pods("get", "", "p"), false);
        check(
            json!({"verbs": ["*"], "nonResourceURLs": ["*"]}),
            path("/anything"),
            true,
        );
    }

    #[test]
    fn coverage() {
        let owner = vec![
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"]}),
            json!({"verbs": ["get"], "nonResourceURLs": ["/api/*"]}),
        ];
        let covered = json!({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]});
        let wider = json!({"verbs": ["*"], "apiGroups": [""], "resources": ["pods"]});
        assert!(covers(&owner, &covered));
        assert!(!covers(&owner, &wider));
        assert!(covers(
            &owner,
            &json!({"verbs": ["get"], "nonResourceURLs": ["/api/v1"]})
        ));
        assert!(!covers(
            &owner,
            &json!({"verbs": ["get"], "nonResourceURLs": ["/apis"]})
        ));
    }

    #[test]
    fn forbidden_messages() {
        let user = sa_user();
        let message = |attributes: Attributes, reason: &str| {
            forbidden(&user, &attributes, reason).to_string()
        };
        assert_eq!(
            message(
                Attributes::resource("list", "", "pods", "", "default", ""),
                ""
            ),
            r#"pods is forbidden: User "system:serviceaccount:default:sa" cannot list resource "pods" in API group "" in the namespace "default""#
        );
        assert_eq!(
            message(
                Attributes::resource("get", "apps", "deployments", "scale", "", "web"),
                ""
            ),
            r#"deployments.apps "web" is forbidden: User "system:serviceaccount:default:sa" cannot get resource "deployments/scale" in API group "apps" at the cluster scope"#
        );
        assert_eq!(
            message(
                Attributes {
                    verb: "get".into(),
                    target: Target::NonResource {
                        path: "/api".into()
                    }
                },
                ""
            ),
            r#"forbidden: User "system:serviceaccount:default:sa" cannot get path "/api""#
        );
        assert_eq!(
            message(
                Attributes::resource("list", "", "pods", "", "default", ""),
                r#"RBAC: clusterrole.rbac.authorization.k8s.io "view" not found"#
            ),
            r#"pods is forbidden: User "system:serviceaccount:default:sa" cannot list resource "pods" in API group "" in the namespace "default": RBAC: clusterrole.rbac.authorization.k8s.io "view" not found"#
        );
        assert_eq!(
            forbidden(
                &user,
                &Attributes::resource("get", "", "pods", "", "", ""),
                ""
            )
            .code(),
            403
        );
    }

    #[test]
    fn subjects_and_sources() {
        let user = sa_user();
        assert!(applies_to(
            &user,
            &json!({"kind": "ServiceAccount", "name": "sa"}),
            "default"
        ));
        assert!(!applies_to(
            &user,
            &json!({"kind": "ServiceAccount", "name": "sa"}),
            ""
        ));
        assert!(applies_to(
            &user,
            &json!({"kind": "ServiceAccount", "name": "sa", "namespace": "default"}),
            ""
        ));
        assert!(applies_to(
            &user,
            &json!({"kind": "Group", "name": "system:authenticated"}),
            ""
        ));
        assert!(!applies_to(
            &user,
            &json!({"kind": "User", "name": "sa"}),
            ""
        ));
        let binding = json!({
            "metadata": {"name": "read", "namespace": "default"},
            "roleRef": {"kind": "ClusterRole", "name": "view"},
        });
        let subject = json!({"kind": "ServiceAccount", "name": "sa"});
        let source = Source {
            kind: "RoleBinding",
            binding: &binding,
            subject: &subject,
        };
        assert_eq!(
            source.describe(),
            r#"RoleBinding "read/default" of ClusterRole "view" to ServiceAccount "sa/default""#
        );
        assert_eq!(aggregate(&["a".into(), "b".into(), "a".into()]), "[a, b]");
        assert_eq!(aggregate(&["a".into(), "a".into()]), "a");
    }

    #[test]
    fn request_attributes() {
        let query = crate::request::parse_query(Some("fieldSelector=metadata.name%3Dweb"));
        let route = crate::request::route(&Method::GET, "/api/v1/namespaces/default/pods", &query);
        let attributes = Attributes::of_request(
            &Method::GET,
            "/api/v1/namespaces/default/pods",
            &route,
            &query,
        );
        assert_eq!(
            attributes,
            Attributes::resource("list", "", "pods", "", "default", "web")
        );
        let query = Query::new();
        let route = crate::request::route(&Method::GET, "/api/v1/namespaces/team", &query);
        let attributes =
            Attributes::of_request(&Method::GET, "/api/v1/namespaces/team", &route, &query);
        assert_eq!(
            attributes,
            Attributes::resource("get", "", "namespaces", "", "team", "team")
        );
        let route = crate::request::route(&Method::GET, "/apis", &query);
        let attributes = Attributes::of_request(&Method::GET, "/apis", &route, &query);
        assert_eq!(
            attributes,
            Attributes {
                verb: "get".into(),
                target: Target::NonResource {
                    path: "/apis".into()
                }
            }
        );
    }
}

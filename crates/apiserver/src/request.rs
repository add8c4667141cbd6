//! Turning a request path, method and query into what is asked (upstream's RequestInfo).

use std::collections::HashMap;

use http::Method;

/// What a request under `/api` or `/apis` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub verb: Verb,
    /// "" for the core group.
    pub group: String,
    pub version: String,
    /// "" for cluster-scoped requests and lists across namespaces.
    pub namespace: String,
    /// The plural resource name; "" for discovery of a group version.
    pub resource: String,
    pub name: String,
    pub subresource: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verb {
    #[default]
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: every group.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`: the resources of a group version.
    Resources {
        group: String,
        version: String,
    },
    /// A resource request.
    Resource(RequestInfo),
    Version,
    /// `/healthz`, `/livez`, `/readyz` and their `/…/{check}` forms.
    Health,
    OpenApiV2,
    /// `/openapi/v3`, or `/openapi/v3/{api/v1 | apis/group/version}`.
    OpenApiV3(Option<String>),
    NotFound,
}

/// The query parameters of a request, decoded.
pub type Query = HashMap<String, String>;

/// Decodes a query string (`a=b&c=d`, percent-encoded, `+` as space).
pub fn parse_query(query: Option<&str>) -> Query {
    let mut out = Query::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(key), percent_decode(value));
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

fn is_true(query: &Query, key: &str) -> bool {
    matches!(query.get(key).map(String::as_str), Some("true" | "1"))
}

/// Routes a request by method, path and query.
pub fn route(method: &Method, path: &str, query: &Query) -> Route {
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", version] => Route::Resources {
            group: String::new(),
            version: version.to_string(),
        },
        ["apis", group, version] => Route::Resources {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource_route(method, "", version, rest, query),
        ["apis", group, version, rest @ ..] => resource_route(method, group, version, rest, query),
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiV3(None),
        ["openapi", "v3", rest @ ..] => Route::OpenApiV3(Some(rest.join("/"))),
        _ => Route::NotFound,
    }
}

fn resource_route(
    method: &Method,
    group: &str,
    version: &str,
    rest: &[&str],
    query: &Query,
) -> Route {
    let mut parts = rest;
    let mut watch = false;
    if parts.first() == Some(&"watch") {
        watch = true;
        parts = &parts[1..];
    }
    let mut info = RequestInfo {
        group: group.to_string(),
        version: version.to_string(),
        ..RequestInfo::default()
    };
    // /namespaces/{ns}/{resource}... except the namespace's own subresources.
    if parts.len() >= 2 && parts[0] == "namespaces" {
        info.namespace = parts[1].to_string();
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts = &parts[2..];
        }
    }
    match parts {
        [resource] => info.resource = resource.to_string(),
        [resource, name] => {
            info.resource = resource.to_string();
            info.name = name.to_string();
        }
        [resource, name, subresource] => {
            info.resource = resource.to_string();
            info.name = name.to_string();
            info.subresource = subresource.to_string();
        }
        _ => return Route::NotFound,
    }
    // The namespace object itself: /api/v1/namespaces/{name}[/status].
    if info.resource == "namespaces" && !info.namespace.is_empty() && info.name == info.namespace {
        info.namespace.clear();
    }
    let named = !info.name.is_empty();
    info.verb = match *method {
        Method::GET | Method::HEAD => {
            if watch || is_true(query, "watch") {
                Verb::Watch
            } else if named {
                Verb::Get
            } else {
                Verb::List
            }
        }
        Method::POST => Verb::Create,
        Method::PUT => Verb::Update,
        Method::PATCH => Verb::Patch,
        Method::DELETE if named => Verb::Delete,
        Method::DELETE => Verb::DeleteCollection,
        _ => return Route::NotFound,
    };
    // A WebSocket exec, attach or port-forward starts with a GET but creates
    // a session: it needs `create`, as SPDY's POST does (upstream's
    // AuthorizePodWebsocketUpgradeCreatePermission).
    if info.verb == Verb::Get
        && info.group.is_empty()
        && info.resource == "pods"
        && matches!(info.subresource.as_str(), "exec" | "attach" | "portforward")
    {
        info.verb = Verb::Create;
    }
    Route::Resource(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        method: Method,
        path: &str,
        query: &str,
        expected: (Verb, &str, &str, &str, &str, &str),
    ) {
        let query = parse_query(Some(query));
        let Route::Resource(info) = route(&method, path, &query) else {
            panic!("{path} is not a resource route");
        };
        let (verb, group, namespace, resource, name, subresource) = expected;
        assert_eq!(
            (
                info.verb,
                info.group.as_str(),
                info.namespace.as_str(),
                info.resource.as_str(),
                info.name.as_str(),
                info.subresource.as_str()
            ),
            (verb, group, namespace, resource, name, subresource),
            "{method} {path}"
        );
    }

    #[test]
    fn resource_paths() {
        check(
            Method::GET,
            "/api/v1/pods",
            "",
            (Verb::List, "", "", "pods", "", ""),
        );
        check(
            Method::GET,
            "/api/v1/namespaces/default/pods",
            "watch=true",
            (Verb::Watch, "", "default", "pods", "", ""),
        );
        check(
            Method::GET,
            "/api/v1/watch/namespaces/default/pods/a",
            "",
            (Verb::Watch, "", "default", "pods", "a", ""),
        );
        check(
            Method::PUT,
            "/api/v1/namespaces/default/pods/a/status",
            "",
            (Verb::Update, "", "default", "pods", "a", "status"),
        );
        check(
            Method::GET,
            "/api/v1/namespaces/kube-system",
            "",
            (Verb::Get, "", "", "namespaces", "kube-system", ""),
        );
        check(
            Method::PUT,
            "/api/v1/namespaces/x/finalize",
            "",
            (Verb::Update, "", "", "namespaces", "x", "finalize"),
        );
        check(
            Method::DELETE,
            "/apis/apps/v1/namespaces/n/deployments",
            "",
            (Verb::DeleteCollection, "apps", "n", "deployments", "", ""),
        );
        check(
            Method::PATCH,
            "/apis/apps/v1/namespaces/n/deployments/d/scale",
            "",
            (Verb::Patch, "apps", "n", "deployments", "d", "scale"),
        );
        check(
            Method::POST,
            "/api/v1/namespaces",
            "",
            (Verb::Create, "", "", "namespaces", "", ""),
        );
        check(
            Method::GET,
            "/api/v1/nodes/n1",
            "",
            (Verb::Get, "", "", "nodes", "n1", ""),
        );
        check(
            Method::GET,
            "/api/v1/namespaces/n/pods/p/exec",
            "command=sh",
            (Verb::Create, "", "n", "pods", "p", "exec"),
        );
        check(
            Method::GET,
            "/api/v1/namespaces/n/pods/p/log",
            "",
            (Verb::Get, "", "n", "pods", "p", "log"),
        );
    }

    #[test]
    fn other_paths() {
        let q = Query::new();
        assert_eq!(route(&Method::GET, "/api", &q), Route::CoreVersions);
        assert_eq!(
            route(&Method::GET, "/apis/apps", &q),
            Route::Group("apps".into())
        );
        assert_eq!(
            route(&Method::GET, "/openapi/v3/apis/apps/v1", &q),
            Route::OpenApiV3(Some("apis/apps/v1".into()))
        );
        assert_eq!(route(&Method::GET, "/nope", &q), Route::NotFound);
    }

    #[test]
    fn query_decoding() {
        let q = parse_query(Some("labelSelector=app%3Dweb%2Ctier+in+(a)&limit=5"));
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert_eq!(q["limit"], "5");
    }
}

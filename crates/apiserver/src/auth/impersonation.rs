//! Impersonation: `Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid`
//! and `Impersonate-Extra-<key>` headers make the request act as another user
//! when the requester may `impersonate` each of them, as upstream's
//! impersonation filter (`staging/src/k8s.io/apiserver/pkg/endpoints/filters`).
//! kubectl's `--as` and `--as-group` send them.
//!
//! Each asked thing is authorized separately: users (`users`, or
//! `serviceaccounts` in their namespace for a service account name), groups
//! (`groups`), uids (`uids.authentication.k8s.io`) and extras
//! (`userextras/<key>.authentication.k8s.io`).

use api::bootstrap_policy::{ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS};
use http::HeaderMap;

use super::authz::{self, Attributes};
use super::{token, User};
use crate::error::ApiError;
use crate::server::State;

const USER_HEADER: &str = "impersonate-user";
const GROUP_HEADER: &str = "impersonate-group";
const UID_HEADER: &str = "impersonate-uid";
const EXTRA_PREFIX: &str = "impersonate-extra-";

/// One thing to impersonate, with the attributes its `impersonate` check uses.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    User(String),
    ServiceAccount { namespace: String, name: String },
    Group(String),
    Uid(String),
    Extra { key: String, value: String },
}

impl Request {
    fn attributes(&self) -> Attributes {
        let (group, resource, subresource, namespace, name) = match self {
            Request::User(name) => ("", "users", "", "", name.as_str()),
            Request::ServiceAccount { namespace, name } => {
                ("", "serviceaccounts", "", namespace.as_str(), name.as_str())
            }
            Request::Group(name) => ("", "groups", "", "", name.as_str()),
            Request::Uid(uid) => ("authentication.k8s.io", "uids", "", "", uid.as_str()),
            Request::Extra { key, value } => (
                "authentication.k8s.io",
                "userextras",
                key.as_str(),
                "",
                value.as_str(),
            ),
        };
        Attributes::resource("impersonate", group, resource, subresource, namespace, name)
    }
}

fn values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// The impersonation a request asks for, in upstream's order.
fn requests(headers: &HeaderMap) -> Result<Vec<Request>, ApiError> {
    let mut out = Vec::new();
    let user = values(headers, USER_HEADER).next();
    if let Some(user) = user {
        out.push(match token::split_service_account_username(user) {
            Some((namespace, name)) => Request::ServiceAccount {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
            None => Request::User(user.to_string()),
        });
    }
    out.extend(values(headers, GROUP_HEADER).map(|g| Request::Group(g.to_string())));
    let mut extras: Vec<Request> = Vec::new();
    for (name, value) in headers {
        let Some(key) = name.as_str().strip_prefix(EXTRA_PREFIX) else {
            continue;
        };
        if let Ok(value) = value.to_str() {
            // Header names cannot hold every key character; keys are sent
            // percent-encoded.
            let key = crate::request::parse_query(Some(key))
                .into_keys()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            extras.push(Request::Extra {
                key,
                value: value.to_string(),
            });
        }
    }
    out.extend(extras);
    out.extend(values(headers, UID_HEADER).map(|u| Request::Uid(u.to_string())));
    if user.is_none() && !out.is_empty() {
        return Err(ApiError::internal(
            "requested impersonation of groups, uids or extras without impersonating a user",
        ));
    }
    Ok(out)
}

/// The user a request acts as: `requester`, or whom it impersonates when it may.
pub async fn impersonate(
    state: &State,
    requester: User,
    headers: &HeaderMap,
) -> Result<User, ApiError> {
    let requests = requests(headers)?;
    if requests.is_empty() {
        return Ok(requester);
    }
    let groups_given = requests.iter().any(|r| matches!(r, Request::Group(_)));
    let mut user = User::default();
    for request in &requests {
        let attributes = request.attributes();
        let decision = authz::authorize_fresh(state, &requester, &attributes).await;
        if !decision.allowed {
            return Err(authz::forbidden(&requester, &attributes, &decision.reason));
        }
        match request {
            Request::User(name) => user.name = name.clone(),
            Request::ServiceAccount { namespace, name } => {
                user.name = token::service_account_username(namespace, name);
                if !groups_given {
                    user.groups = vec![
                        "system:serviceaccounts".to_string(),
                        format!("system:serviceaccounts:{namespace}"),
                    ];
                }
            }
            Request::Group(group) => user.groups.push(group.clone()),
            Request::Uid(uid) => user.uid = uid.clone(),
            Request::Extra { key, value } => {
                user.extra
                    .entry(key.clone())
                    .or_default()
                    .push(value.clone());
            }
        }
    }
    // The impersonated user is authenticated, unless it is anonymous or the
    // groups asked say otherwise.
    let (marker, exclusive) = if user.name == ANONYMOUS {
        (ALL_UNAUTHENTICATED, ALL_UNAUTHENTICATED)
    } else {
        (ALL_AUTHENTICATED, ALL_UNAUTHENTICATED)
    };
    if !user.groups.iter().any(|g| g == marker || g == exclusive) {
        user.groups.push(marker.to_string());
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    #[test]
    fn requests_in_order() {
        let asked = requests(&headers(&[
            ("Impersonate-User", "system:serviceaccount:ns:sa"),
            ("Impersonate-Group", "a"),
            ("Impersonate-Group", "b"),
            ("Impersonate-Extra-Scopes", "view"),
        ]))
        .unwrap();
        assert_eq!(
            asked,
            [
                Request::ServiceAccount {
                    namespace: "ns".into(),
                    name: "sa".into()
                },
                Request::Group("a".into()),
                Request::Group("b".into()),
                Request::Extra {
                    key: "scopes".into(),
                    value: "view".into()
                },
            ]
        );
        assert_eq!(
            asked[0].attributes(),
            Attributes::resource("impersonate", "", "serviceaccounts", "", "ns", "sa")
        );
        assert_eq!(
            asked[3].attributes(),
            Attributes::resource(
                "impersonate",
                "authentication.k8s.io",
                "userextras",
                "scopes",
                "",
                "view"
            )
        );
        assert!(requests(&HeaderMap::new()).unwrap().is_empty());
        assert!(requests(&headers(&[("Impersonate-Group", "a")])).is_err());
    }
}

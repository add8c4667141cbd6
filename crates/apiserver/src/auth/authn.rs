//! Authentication: who makes a request. A verified client certificate names
//! its user (CN) and groups (O), as today; otherwise an `Authorization: Bearer`
//! service account token is checked (signature, issuer, audience, times) and
//! its service account, and the object it is bound to, must still exist with
//! the uid in the token, as upstream's service account token authenticator
//! does. A request with neither is anonymous (`system:anonymous`, in
//! `system:unauthenticated`); a token that fails is 401.

use std::collections::BTreeMap;

use api::bootstrap_policy::{ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS};
use http::HeaderMap;
use serde_json::{json, Value};

use super::token::{self, ObjectRef, ServiceAccountClaims, TokenError};
use crate::error::ApiError;
use crate::server::State;
use crate::tls::UserInfo;

/// The keys of a service account user's `extra`, as upstream's
/// `k8s.io/apiserver/pkg/authentication/serviceaccount`.
pub const POD_NAME_KEY: &str = "authentication.kubernetes.io/pod-name";
pub const POD_UID_KEY: &str = "authentication.kubernetes.io/pod-uid";
pub const NODE_NAME_KEY: &str = "authentication.kubernetes.io/node-name";
pub const NODE_UID_KEY: &str = "authentication.kubernetes.io/node-uid";
pub const CREDENTIAL_ID_KEY: &str = "authentication.kubernetes.io/credential-id";

/// Who made a request, as upstream's `user.Info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl User {
    /// The user of a request without credentials.
    pub fn anonymous() -> User {
        User {
            name: ANONYMOUS.to_string(),
            groups: vec![ALL_UNAUTHENTICATED.to_string()],
            ..User::default()
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.name == ANONYMOUS
    }

    /// The user a verified client certificate names.
    pub fn from_certificate(info: UserInfo) -> User {
        User {
            name: info.name,
            groups: info.groups,
            ..User::default()
        }
    }

    /// The user of a valid service account token.
    fn service_account(claims: &ServiceAccountClaims) -> User {
        let namespace = &claims.namespace;
        let mut extra = BTreeMap::new();
        if let Some(pod) = claims
            .pod
            .as_ref()
            .filter(|p| !p.name.is_empty() && !p.uid.is_empty())
        {
            extra.insert(POD_NAME_KEY.to_string(), vec![pod.name.clone()]);
            extra.insert(POD_UID_KEY.to_string(), vec![pod.uid.clone()]);
        }
        if !claims.id.is_empty() {
            extra.insert(
                CREDENTIAL_ID_KEY.to_string(),
                vec![format!("JTI={}", claims.id)],
            );
        }
        if let Some(node) = claims.node.as_ref().filter(|n| !n.name.is_empty()) {
            extra.insert(NODE_NAME_KEY.to_string(), vec![node.name.clone()]);
            if !node.uid.is_empty() {
                extra.insert(NODE_UID_KEY.to_string(), vec![node.uid.clone()]);
            }
        }
        User {
            name: token::service_account_username(namespace, &claims.service_account.name),
            uid: claims.service_account.uid.clone(),
            groups: vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{namespace}"),
                ALL_AUTHENTICATED.to_string(),
            ],
            extra,
        }
    }

    /// The `UserInfo` of reviews (`username`, `uid`, `groups`, `extra`).
    pub fn to_json(&self) -> Value {
        let mut out = json!({"username": self.name});
        if !self.uid.is_empty() {
            out["uid"] = json!(self.uid);
        }
        if !self.groups.is_empty() {
            out["groups"] = json!(self.groups);
        }
        if !self.extra.is_empty() {
            out["extra"] = json!(self.extra);
        }
        out
    }
}

/// Why a token does not authenticate anyone; the messages are upstream's, as a
/// TokenReview reports them.
#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{resource} {name:?} not found")]
    NotFound {
        resource: &'static str,
        name: String,
    },
    #[error("service account UID ({actual}) does not match claim ({claimed})")]
    ServiceAccountUid { actual: String, claimed: String },
    #[error("service account {namespace}/{name} has been deleted")]
    ServiceAccountDeleted { namespace: String, name: String },
    #[error("{what} UID ({actual}) does not match service account {what} ref claim ({claimed})")]
    BoundUid {
        what: &'static str,
        actual: String,
        claimed: String,
    },
    #[error("service account token has been invalidated")]
    Invalidated,
    #[error("reading {key}: {source}")]
    Store {
        key: String,
        #[source]
        source: store::StoreError,
    },
}

/// The bearer token of a request, if it sends one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who makes a request: the client certificate's user, else the bearer
/// token's (401 when it is not valid), else anonymous.
pub async fn authenticate(
    state: &State,
    certificate: Option<UserInfo>,
    headers: &HeaderMap,
) -> Result<User, ApiError> {
    if let Some(info) = certificate {
        return Ok(User::from_certificate(info));
    }
    let Some(token) = bearer_token(headers) else {
        return Ok(User::anonymous());
    };
    match authenticate_token(state, token, &state.auth.config.api_audiences).await {
        Ok((user, _)) => Ok(user),
        Err(error) => {
            tracing::debug!(%error, "bearer token rejected");
            Err(ApiError::Unauthorized)
        }
    }
}

/// The user of a service account token meant for one of `audiences`, and the
/// audiences of the token among them.
pub async fn authenticate_token(
    state: &State,
    token: &str,
    audiences: &[String],
) -> Result<(User, Vec<String>), AuthnError> {
    let claims = state.auth.signer.verify(token)?;
    let now = chrono::Utc::now().timestamp();
    let subject = token::validate(&claims, &state.auth.config.issuer, audiences, now)?;
    check_bound_objects(state, &subject, now).await?;
    let token_audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let matched = audiences
        .iter()
        .filter(|a| token_audiences.contains(a))
        .cloned()
        .collect();
    Ok((User::service_account(&subject), matched))
}

/// The service account of a token, and the pod, secret or node it is bound
/// to, must exist with the uids the token names and not be long deleted.
async fn check_bound_objects(
    state: &State,
    subject: &ServiceAccountClaims,
    now: i64,
) -> Result<(), AuthnError> {
    let namespace = subject.namespace.as_str();
    let account = &subject.service_account;
    let Some(service_account) = object(state, "serviceaccounts", namespace, &account.name).await?
    else {
        return Err(AuthnError::NotFound {
            resource: "serviceaccounts",
            name: account.name.clone(),
        });
    };
    let actual = uid(&service_account);
    if actual != account.uid {
        return Err(AuthnError::ServiceAccountUid {
            actual,
            claimed: account.uid.clone(),
        });
    }
    if deleted_before(&service_account, now - token::LEEWAY_SECONDS) {
        return Err(AuthnError::ServiceAccountDeleted {
            namespace: namespace.to_string(),
            name: account.name.clone(),
        });
    }
    let bound: [(&Option<ObjectRef>, &str, &'static str); 3] = [
        (&subject.secret, "secrets", "secret"),
        (&subject.pod, "pods", "pod"),
        // The node of a pod-bound token is information only; a token bound to a
        // node checks it.
        (
            if subject.pod.is_none() {
                &subject.node
            } else {
                &None
            },
            "nodes",
            "node",
        ),
    ];
    for (reference, plural, what) in bound {
        let Some(reference) = reference else { continue };
        let object_namespace = if plural == "nodes" { "" } else { namespace };
        let Some(found) = object(state, plural, object_namespace, &reference.name).await? else {
            return Err(AuthnError::Invalidated);
        };
        let actual = uid(&found);
        if actual != reference.uid {
            return Err(AuthnError::BoundUid {
                what,
                actual,
                claimed: reference.uid.clone(),
            });
        }
        if deleted_before(&found, now - token::LEEWAY_SECONDS) {
            return Err(AuthnError::Invalidated);
        }
    }
    Ok(())
}

fn uid(object: &Value) -> String {
    object
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// True if the object's deletion started before `limit` (seconds since the epoch).
fn deleted_before(object: &Value, limit: i64) -> bool {
    object
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t.timestamp() < limit)
}

/// A core/v1 object by name: from the cache, or from the store when the cache
/// has not seen it (yet), as upstream's token getter falls back to a live read.
pub async fn object(
    state: &State,
    plural: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<Value>, AuthnError> {
    let Some(resource) = api::resource::lookup("", "v1", plural) else {
        return Ok(None);
    };
    let key = crate::handlers::key(resource, namespace, name);
    if let Some(cached) = state.cache.get(&key).0 {
        return Ok(Some(cached.value.clone()));
    }
    let response = state
        .store
        .get(&key, 0)
        .await
        .map_err(|source| AuthnError::Store {
            key: key.clone(),
            source,
        })?;
    match response.kv {
        Some(kv) => crate::codec::decode_stored(&kv.value, kv.mod_revision)
            .map(Some)
            .map_err(|_| AuthnError::Invalidated),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(http::header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(http::header::AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(http::header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
        headers.insert(http::header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }

    #[test]
    fn service_account_users() {
        let claims = ServiceAccountClaims {
            namespace: "ns".into(),
            service_account: ObjectRef {
                name: "sa".into(),
                uid: "u1".into(),
            },
            pod: Some(ObjectRef {
                name: "p".into(),
                uid: "u2".into(),
            }),
            node: Some(ObjectRef {
                name: "n".into(),
                uid: String::new(),
            }),
            secret: None,
            id: "j".into(),
        };
        let user = User::service_account(&claims);
        assert_eq!(user.name, "system:serviceaccount:ns:sa");
        assert_eq!(user.uid, "u1");
        assert_eq!(
            user.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ns",
                "system:authenticated"
            ]
        );
        assert_eq!(user.extra[CREDENTIAL_ID_KEY], ["JTI=j"]);
        assert_eq!(user.extra[POD_NAME_KEY], ["p"]);
        assert_eq!(user.extra[NODE_NAME_KEY], ["n"]);
        assert!(!user.extra.contains_key(NODE_UID_KEY));
        assert_eq!(
            User::anonymous().to_json(),
            json!({"username": "system:anonymous", "groups": ["system:unauthenticated"]})
        );
    }

    #[test]
    fn deletion_leeway() {
        let object = json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}});
        let at = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .timestamp();
        assert!(deleted_before(&object, at + 1));
        assert!(!deleted_before(&object, at));
        assert!(!deleted_before(&json!({}), at));
    }
}

//! What volumes read from the API, through kube-rs: ConfigMaps and Secrets
//! of the pod's namespace, and service account tokens from the TokenRequest
//! API (`POST serviceaccounts/NAME/token`, bound to the pod), kept until 80%
//! of their lifetime or 24 hours have passed, as upstream's token manager.

use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::Client;

/// An API failure as upstream shows it: the Status message for an error
/// the API server answered, the error otherwise.
fn message(error: kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message,
        other => other.to_string(),
    }
}

/// A ConfigMap of `namespace`, `None` when it does not exist.
pub async fn config_map(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Option<ConfigMap>, String> {
    if name.is_empty() {
        return Err("a configMap volume must name its ConfigMap".to_string());
    }
    Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(message)
}

/// A Secret of `namespace`, `None` when it does not exist.
pub async fn secret(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Option<Secret>, String> {
    if name.is_empty() {
        return Err("a secret volume must name its Secret".to_string());
    }
    Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(message)
}

/// The longest a token is kept, whatever its lifetime.
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// A service account token and when it was issued.
#[derive(Clone, Debug)]
pub struct Token {
    pub token: String,
    /// Which request it answers: audience and asked expiration.
    key: (String, Option<i64>),
    issued: Instant,
    ttl: Duration,
}

impl Token {
    /// Whether a new token should replace this one for the same request.
    pub fn fresh_for(&self, audience: &str, expiration_seconds: Option<i64>) -> bool {
        let elapsed = self.issued.elapsed();
        self.key == (audience.to_string(), expiration_seconds)
            && elapsed < self.ttl.mul_f64(0.8)
            && elapsed < MAX_TTL
    }
}

/// Asks for a token of the pod's service account, for `audience` (the API
/// server's when empty), bound to the pod.
pub async fn request_token(
    client: &Client,
    pod: &Pod,
    audience: &str,
    expiration_seconds: Option<i64>,
) -> Result<Token, String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let account = pod
        .spec
        .as_ref()
        .and_then(|s| s.service_account_name.as_deref())
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: if audience.is_empty() {
                Vec::new()
            } else {
                vec![audience.to_string()]
            },
            expiration_seconds,
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
            }),
        },
        ..Default::default()
    };
    let issued = Instant::now();
    let answer = Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create_token_request(account, &PostParams::default(), &request)
        .await
        .map_err(message)?;
    let status = answer
        .status
        .ok_or_else(|| "the token request was answered without a token".to_string())?;
    let seconds = answer
        .spec
        .expiration_seconds
        .or(expiration_seconds)
        .unwrap_or(3600)
        .max(0);
    Ok(Token {
        token: status.token,
        key: (audience.to_string(), expiration_seconds),
        issued,
        ttl: Duration::from_secs(u64::try_from(seconds).unwrap_or(3600)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_after_most_of_their_life() {
        let token = Token {
            token: "t".into(),
            key: (String::new(), Some(3607)),
            issued: Instant::now(),
            ttl: Duration::from_secs(3607),
        };
        assert!(token.fresh_for("", Some(3607)));
        assert!(!token.fresh_for("vault", Some(3607)));
        assert!(!token.fresh_for("", Some(600)));
        let old = Token {
            ttl: Duration::ZERO,
            ..token
        };
        assert!(!old.fresh_for("", Some(3607)));
    }
}

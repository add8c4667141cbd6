//! Who may do what: every request is authenticated ([`authn`]: client
//! certificate, service account bearer token, or anonymous), may act as
//! another user ([`impersonation`]), and is authorized ([`authz`]: the
//! `system:masters` group, then RBAC from the watch cache) before it is routed,
//! in the order of upstream's filter chain.
//!
//! Service account tokens are made by `POST serviceaccounts/NAME/token`
//! (`handlers/token.rs`) and signed and checked by [`token`]; the review
//! resources (`kubectl auth can-i`, `auth whoami`) are answered by [`reviews`].
//! Writes of roles and bindings are checked for escalation by [`escalation`].
//!
//! Anonymous requests are served only where RBAC lets `system:unauthenticated`
//! in (health and version, through `system:public-info-viewer`); elsewhere they
//! get 401, where upstream with `--anonymous-auth` answers 403.

pub mod authn;
pub mod authz;
pub mod escalation;
mod impersonation;
pub mod proto;
pub mod reviews;
pub mod token;

use std::time::Duration;

use http::request::Parts;

use crate::error::ApiError;
use crate::request::{Query, Route};
use crate::server::State;
use crate::tls::UserInfo;

pub use authn::User;

/// The issuer kubeadm configures, and the audience tokens default to.
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// How service account tokens are issued and accepted.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `iss` of the tokens made and the only one accepted (upstream
    /// `--service-account-issuer`; kubeadm's value).
    pub issuer: String,
    /// The audiences the API server accepts and tokens default to (upstream
    /// `--api-audiences`, default the issuer).
    pub api_audiences: Vec<String>,
    /// The longest lifetime a TokenRequest is granted; longer requests are
    /// shortened (upstream `--service-account-max-token-expiration`, default
    /// none).
    pub max_token_expiration: Option<Duration>,
    /// Pod-bound tokens asking for 3607 seconds (what kubelets ask for the
    /// projected token) live a year, warning after the hour (upstream
    /// `--service-account-extend-token-expiration`, default true).
    pub extend_token_expiration: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: DEFAULT_ISSUER.to_string(),
            api_audiences: vec![DEFAULT_ISSUER.to_string()],
            max_token_expiration: None,
            extend_token_expiration: true,
        }
    }
}

/// What authentication needs at run time: its configuration and the key.
#[derive(Debug)]
pub struct Auth {
    pub config: Config,
    pub signer: token::Signer,
}

impl Auth {
    /// The authenticator for a configuration and the service account key PEM.
    pub fn new(config: Config, service_account_key_pem: &str) -> Result<Auth, token::TokenError> {
        Ok(Auth {
            config,
            signer: token::Signer::from_pem(service_account_key_pem)?,
        })
    }
}

/// Authenticates, impersonates and authorizes one request; returns the user it
/// acts as, or the 401/403 to answer.
pub async fn admit(
    state: &State,
    certificate: Option<UserInfo>,
    parts: &Parts,
    route: &Route,
    query: &Query,
) -> Result<User, ApiError> {
    let requester = authn::authenticate(state, certificate, &parts.headers).await?;
    let anonymous = requester.is_anonymous();
    let deny = |error: ApiError| {
        if anonymous {
            ApiError::Unauthorized
        } else {
            error
        }
    };
    let user = impersonation::impersonate(state, requester, &parts.headers)
        .await
        .map_err(deny)?;
    let attributes = authz::Attributes::of_request(&parts.method, parts.uri.path(), route, query);
    let decision = authz::authorize_fresh(state, &user, &attributes).await;
    if decision.allowed {
        Ok(user)
    } else {
        Err(deny(authz::forbidden(&user, &attributes, &decision.reason)))
    }
}

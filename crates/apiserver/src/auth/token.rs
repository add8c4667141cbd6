//! Service account tokens: JWTs signed with ES256 by the cluster's service
//! account key, carrying upstream's claims (`pkg/serviceaccount/claims.go`):
//! `iss`, `sub` (`system:serviceaccount:NS:NAME`), `aud`, `exp`, `iat`, `nbf`,
//! `jti`, and the private `kubernetes.io` claim with the namespace, the service
//! account and the object the token is bound to (pod, secret or node).
//!
//! The [`Signer`] signs and checks signatures; [`validate`] checks the
//! registered claims (issuer, audience, times with upstream's one-minute
//! leeway) and reads the private claim. Whether the service account and the
//! bound object still exist is the caller's question (`authn.rs`), since it
//! needs the cluster's state.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Map, Value};

/// The clock tolerance of time claims (go-jose's `DefaultLeeway`, which
/// upstream uses).
pub const LEEWAY_SECONDS: i64 = 60;

/// The prefix of the public key info (SPKI DER) of every P-256 key, followed by
/// the 65-byte uncompressed point: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING }.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why a token was not accepted or not made. The messages of the claim checks
/// are upstream's, as TokenReview reports them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the service account key: {0}")]
    Key(String),
    #[error("signing the token failed")]
    Sign,
    #[error("token is malformed")]
    Malformed,
    #[error("token uses the unsupported signing algorithm {0:?}")]
    Algorithm(String),
    #[error("token signature is invalid")]
    Signature,
    #[error("token issuer {0:?} is not this API server's")]
    Issuer(String),
    #[error("token audiences {token:?} is invalid for the target audiences {target:?}")]
    Audience {
        token: Vec<String>,
        target: Vec<String>,
    },
    #[error("service account token has expired")]
    Expired,
    #[error("service account token is not valid yet")]
    NotValidYet,
    #[error("service account token is issued in the future")]
    IssuedInTheFuture,
    #[error("service account token claims could not be validated: {0}")]
    Claims(&'static str),
}

/// Signs and verifies tokens with the service account key.
pub struct Signer {
    key: EcdsaKeyPair,
    /// The `kid` header: base64url of the SHA-256 of the public key info, as
    /// upstream's `keyIDFromPublicKey`.
    key_id: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for a PKCS#8 PEM P-256 key (`tls/service-account.key`).
    pub fn from_pem(pem: &str) -> Result<Signer, TokenError> {
        let key = rustls_pemfile::private_key(&mut pem.as_bytes())
            .map_err(|e| TokenError::Key(e.to_string()))?
            .ok_or_else(|| TokenError::Key("no private key in the PEM".into()))?;
        let rustls::pki_types::PrivateKeyDer::Pkcs8(pkcs8) = key else {
            return Err(TokenError::Key("the key is not PKCS#8".into()));
        };
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.secret_pkcs8_der(),
            &rng,
        )
        .map_err(|e| TokenError::Key(format!("not an ECDSA P-256 key: {e}")))?;
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(key.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &spki));
        Ok(Signer { key, key_id, rng })
    }

    /// The `kid` of the tokens this signer makes.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A compact JWS of `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, TokenError> {
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| TokenError::Sign)?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }

    /// The claims of a token whose signature this key made; the claims are not
    /// checked yet (see [`validate`]).
    pub fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| TokenError::Malformed)
        };
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
        match header.get("alg").and_then(Value::as_str) {
            Some("ES256") => {}
            other => return Err(TokenError::Algorithm(other.unwrap_or("").to_string())),
        }
        let signing_input_len = token.len() - signature.len() - 1;
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.key.public_key());
        public
            .verify(&token.as_bytes()[..signing_input_len], &decode(signature)?)
            .map_err(|_| TokenError::Signature)?;
        let claims: Value =
            serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
        if !claims.is_object() {
            return Err(TokenError::Malformed);
        }
        Ok(claims)
    }
}

/// A reference to an object in the private claim.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectRef {
    pub name: String,
    pub uid: String,
}

impl ObjectRef {
    fn to_json(&self) -> Value {
        let mut out = Map::new();
        if !self.name.is_empty() {
            out.insert("name".into(), json!(self.name));
        }
        if !self.uid.is_empty() {
            out.insert("uid".into(), json!(self.uid));
        }
        Value::Object(out)
    }

    fn from_json(value: Option<&Value>) -> Option<ObjectRef> {
        let value = value?.as_object()?;
        let field = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Some(ObjectRef {
            name: field("name"),
            uid: field("uid"),
        })
    }
}

/// What a service account token says about its holder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceAccountClaims {
    pub namespace: String,
    pub service_account: ObjectRef,
    pub pod: Option<ObjectRef>,
    pub secret: Option<ObjectRef>,
    pub node: Option<ObjectRef>,
    /// The token's `jti`.
    pub id: String,
}

/// What goes into a new token.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub subject: ServiceAccountClaims,
    /// Seconds since the epoch.
    pub now: i64,
    pub expiration_seconds: i64,
    /// For pod-bound tokens whose lifetime was extended: when they would have
    /// expired (`kubernetes.io.warnafter`).
    pub warn_after_seconds: Option<i64>,
}

/// The claims of a new token, keys in the order go-jose writes them.
pub fn claims(new: &NewToken) -> Value {
    let subject = &new.subject;
    let mut private = Map::new();
    private.insert("namespace".into(), json!(subject.namespace));
    if let Some(node) = &subject.node {
        private.insert("node".into(), node.to_json());
    }
    if let Some(pod) = &subject.pod {
        private.insert("pod".into(), pod.to_json());
    }
    if let Some(secret) = &subject.secret {
        private.insert("secret".into(), secret.to_json());
    }
    private.insert("serviceaccount".into(), subject.service_account.to_json());
    if let Some(warn_after) = new.warn_after_seconds {
        private.insert("warnafter".into(), json!(new.now + warn_after));
    }
    json!({
        "aud": new.audiences,
        "exp": new.now + new.expiration_seconds,
        "iat": new.now,
        "iss": new.issuer,
        "jti": subject.id,
        "kubernetes.io": private,
        "nbf": new.now,
        "sub": service_account_username(&subject.namespace, &subject.service_account.name),
    })
}

/// `system:serviceaccount:NS:NAME`.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// The namespace and name of a service account user name, if it is one.
pub fn split_service_account_username(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix("system:serviceaccount:")?;
    let (namespace, name) = rest.split_once(':')?;
    if namespace.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((namespace, name))
}

/// Checks the registered claims of a verified token at `now` (seconds since
/// the epoch): the issuer, that one of `audiences` is among the token's, and
/// the times; then reads the private claim.
pub fn validate(
    claims: &Value,
    issuer: &str,
    audiences: &[String],
    now: i64,
) -> Result<ServiceAccountClaims, TokenError> {
    let token_issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if token_issuer != issuer {
        return Err(TokenError::Issuer(token_issuer.to_string()));
    }
    // `aud` is a list, or one string.
    let token_audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if !token_audiences.iter().any(|a| audiences.contains(a)) {
        return Err(TokenError::Audience {
            token: token_audiences,
            target: audiences.to_vec(),
        });
    }
    let time = |key: &str| claims.get(key).and_then(Value::as_i64);
    if let Some(exp) = time("exp") {
        if now - LEEWAY_SECONDS > exp {
            return Err(TokenError::Expired);
        }
    }
    if let Some(nbf) = time("nbf") {
        if now + LEEWAY_SECONDS < nbf {
            return Err(TokenError::NotValidYet);
        }
    }
    if let Some(iat) = time("iat") {
        if now + LEEWAY_SECONDS < iat {
            return Err(TokenError::IssuedInTheFuture);
        }
    }
    let private = claims
        .get("kubernetes.io")
        .ok_or(TokenError::Claims("no kubernetes.io claim"))?;
    let namespace = private
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let service_account = ObjectRef::from_json(private.get("serviceaccount"))
        .ok_or(TokenError::Claims("no service account"))?;
    if namespace.is_empty() || service_account.name.is_empty() {
        return Err(TokenError::Claims("no service account"));
    }
    let subject = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    if subject != service_account_username(&namespace, &service_account.name) {
        return Err(TokenError::Claims("the subject is not the service account"));
    }
    Ok(ServiceAccountClaims {
        namespace,
        service_account,
        pod: ObjectRef::from_json(private.get("pod")),
        secret: ObjectRef::from_json(private.get("secret")),
        node: ObjectRef::from_json(private.get("node")),
        id: claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

    fn signer() -> Signer {
        let key = rcgen::KeyPair::generate().unwrap();
        Signer::from_pem(&key.serialize_pem()).unwrap()
    }

    fn new_token(now: i64, audiences: &[&str]) -> NewToken {
        NewToken {
            issuer: ISSUER.into(),
            audiences: audiences.iter().map(ToString::to_string).collect(),
            subject: ServiceAccountClaims {
                namespace: "default".into(),
                service_account: ObjectRef {
                    name: "sa".into(),
                    uid: "u-1".into(),
                },
                pod: Some(ObjectRef {
                    name: "p".into(),
                    uid: "u-2".into(),
                }),
                secret: None,
                node: None,
                id: "j-1".into(),
            },
            now,
            expiration_seconds: 3600,
            warn_after_seconds: None,
        }
    }

    fn audiences() -> Vec<String> {
        vec![ISSUER.to_string()]
    }

    #[test]
    fn round_trip() {
        let signer = signer();
        let new = new_token(1_000_000, &[ISSUER]);
        let token = signer.sign(&claims(&new)).unwrap();
        let verified = signer.verify(&token).unwrap();
        assert_eq!(verified["sub"], "system:serviceaccount:default:sa");
        assert_eq!(verified["aud"], json!([ISSUER]));
        assert_eq!(verified["exp"], 1_003_600);
        assert_eq!(verified["kubernetes.io"]["pod"]["name"], "p");
        let subject = validate(&verified, ISSUER, &audiences(), 1_000_010).unwrap();
        assert_eq!(subject, new.subject);
        // The header names the key.
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        let header: Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": signer.key_id()}));
    }

    #[test]
    fn times_with_leeway() {
        let signer = signer();
        let token = signer
            .sign(&claims(&new_token(1_000_000, &[ISSUER])))
            .unwrap();
        let verified = signer.verify(&token).unwrap();
        let check = |now| validate(&verified, ISSUER, &audiences(), now).map(|_| ());
        assert_eq!(check(1_003_600 + LEEWAY_SECONDS), Ok(()));
        assert_eq!(
            check(1_003_600 + LEEWAY_SECONDS + 1),
            Err(TokenError::Expired)
        );
        assert_eq!(check(1_000_000 - LEEWAY_SECONDS), Ok(()));
        assert_eq!(
            check(1_000_000 - LEEWAY_SECONDS - 1),
            Err(TokenError::NotValidYet)
        );
    }

    #[test]
    fn audience_and_issuer() {
        let signer = signer();
        let token = signer
            .sign(&claims(&new_token(1_000_000, &["vault"])))
            .unwrap();
        let verified = signer.verify(&token).unwrap();
        assert!(matches!(
            validate(&verified, ISSUER, &audiences(), 1_000_000),
            Err(TokenError::Audience { .. })
        ));
        assert!(validate(&verified, ISSUER, &["vault".into()], 1_000_000).is_ok());
        assert_eq!(
            validate(&verified, "https://other", &["vault".into()], 1_000_000),
            Err(TokenError::Issuer(ISSUER.into()))
        );
    }

    #[test]
    fn tampering_is_caught() {
        let signer = signer();
        let token = signer
            .sign(&claims(&new_token(1_000_000, &[ISSUER])))
            .unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        // Claims rewritten to another service account, signature kept.
        let mut forged = new_token(1_000_000, &[ISSUER]);
        forged.subject.service_account.name = "admin".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(claims(&forged).to_string());
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(signer.verify(&tampered), Err(TokenError::Signature));
        // Another key's signature.
        assert_eq!(self::signer().verify(&token), Err(TokenError::Signature));
        // "none" is not an algorithm.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(
            signer.verify(&none),
            Err(TokenError::Algorithm("none".into()))
        );
        assert_eq!(signer.verify("a.b"), Err(TokenError::Malformed));
        assert_eq!(signer.verify("%%.%%.%%"), Err(TokenError::Malformed));
    }

    #[test]
    fn service_account_usernames() {
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:sa"),
            Some(("ns", "sa"))
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns"),
            None
        );
        assert_eq!(split_service_account_username("alice"), None);
    }
}

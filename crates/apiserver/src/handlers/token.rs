//! `POST serviceaccounts/NAME/token`: a TokenRequest (authentication.k8s.io/v1)
//! answered with a signed service account token, as upstream's
//! `pkg/registry/core/serviceaccount/storage/token.go`. `kubectl create token`
//! sends one.
//!
//! The spec's `audiences` default to the API server's, `expirationSeconds` to
//! an hour (at least ten minutes, at most 2^32 seconds; shortened to the
//! configured maximum); `boundObjectRef` ties the token to a pod, secret or
//! node that must exist, and the token stops working when it is gone.

use http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::write::current;
use super::Context;
use crate::auth::authn;
use crate::auth::token::{claims, NewToken, ObjectRef, ServiceAccountClaims};
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body, Format};

const GROUP: &str = "authentication.k8s.io";
const API_VERSION: &str = "authentication.k8s.io/v1";
const KIND: &str = "TokenRequest";

/// The default lifetime of a token (upstream `SetDefaults_TokenRequestSpec`).
const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// The shortest lifetime that may be asked for.
const MIN_EXPIRATION_SECONDS: i64 = 600;
/// What kubelets ask for projected tokens; such pod-bound tokens are extended.
const WARN_ONLY_EXPIRATION_SECONDS: i64 = 3607;
/// How long an extended token lives: a year.
const EXTENDED_EXPIRATION_SECONDS: i64 = 365 * 24 * 3600;

fn invalid(name: &str, errors: Vec<api::FieldError>) -> ApiError {
    ApiError::Invalid {
        kind: KIND.to_string(),
        group: GROUP.to_string(),
        name: name.to_string(),
        errors,
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Reads the body: JSON, YAML, or kubectl's protobuf.
async fn read_request(ctx: &Context, body: hyper::body::Incoming) -> Result<Value> {
    let bytes = read_body(body).await?;
    let media_type = content_type(&ctx.headers);
    let request = if media_type == api::protobuf::MEDIA_TYPE {
        crate::auth::proto::decode(&bytes).map_err(|e| ApiError::bad_request(e.to_string()))?
    } else {
        decode_body(&media_type, &bytes)?
    };
    for (field, expected) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match request.get(field).and_then(Value::as_str) {
            None | Some("") => {}
            Some(given) if given == expected => {}
            Some(given) => {
                return Err(ApiError::bad_request(format!(
                    "the body of the request is a {field} {given:?}, expected {expected:?}"
                )))
            }
        }
    }
    Ok(request)
}

pub async fn create(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let mut request = read_request(ctx, body).await?;
    let name = ctx.info.name.clone();
    let namespace = ctx.info.namespace.clone();
    let auth = &ctx.state.auth;
    for (field, url, what) in [
        ("name", &name, "name"),
        ("namespace", &namespace, "namespace"),
    ] {
        let given = text(&request, &format!("/metadata/{field}"));
        if !given.is_empty() && given != url {
            return Err(invalid(
                &name,
                vec![api::FieldError::invalid(
                    format!("metadata.{field}"),
                    given,
                    format!("must match the service account {what} if specified"),
                )],
            ));
        }
    }
    let (service_account, _) = current(ctx, &ctx.key(&name)).await?;

    let now = chrono::Utc::now();
    let mut spec = request.get("spec").cloned().unwrap_or_else(|| json!({}));
    if !spec.is_object() {
        spec = json!({});
    }
    let mut audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    if audiences.is_empty() {
        audiences = auth.config.api_audiences.clone();
    }
    spec["audiences"] = json!(audiences);
    let mut expiration = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
        Some(value) => value
            .as_i64()
            .ok_or_else(|| ApiError::bad_request("spec.expirationSeconds must be an integer"))?,
    };
    let mut field_errors = Vec::new();
    if expiration < MIN_EXPIRATION_SECONDS {
        field_errors.push(api::FieldError::invalid(
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration less than 10 minutes",
        ));
    }
    if expiration > 1 << 32 {
        field_errors.push(api::FieldError::invalid(
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration larger than 2^32 seconds",
        ));
    }
    if !field_errors.is_empty() {
        return Err(invalid("", field_errors));
    }

    let mut subject = ServiceAccountClaims {
        namespace: namespace.clone(),
        service_account: ObjectRef {
            name: name.clone(),
            uid: text(&service_account, "/metadata/uid").to_string(),
        },
        id: uuid::Uuid::new_v4().to_string(),
        ..ServiceAccountClaims::default()
    };
    if let Some(reference) = spec.get("boundObjectRef").filter(|r| r.is_object()) {
        bind(ctx, reference, &mut subject).await?;
    }

    let mut warning = None;
    if let Some(max) = auth.config.max_token_expiration {
        let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
        if max > 0 && expiration > max {
            warning = Some(format!(
                "requested expiration of {expiration} seconds shortened to {max} seconds"
            ));
            expiration = max;
        }
    }
    spec["expirationSeconds"] = json!(expiration);
    // Projected tokens of pods keep working for a year, warning after the hour
    // asked, while workloads learn to reread them (upstream's safe rollout of
    // bound tokens).
    let (token_seconds, warn_after_seconds) = if auth.config.extend_token_expiration
        && subject.pod.is_some()
        && expiration == WARN_ONLY_EXPIRATION_SECONDS
        && audiences
            .iter()
            .all(|a| auth.config.api_audiences.contains(a))
    {
        (EXTENDED_EXPIRATION_SECONDS, Some(expiration))
    } else {
        (expiration, None)
    };
    let token = auth
        .signer
        .sign(&claims(&NewToken {
            issuer: auth.config.issuer.clone(),
            audiences,
            subject,
            now: now.timestamp(),
            expiration_seconds: token_seconds,
            warn_after_seconds,
        }))
        .map_err(ApiError::internal)?;

    let format_time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if !request.get("metadata").is_some_and(Value::is_object) {
        request["metadata"] = json!({});
    }
    request["apiVersion"] = json!(API_VERSION);
    request["kind"] = json!(KIND);
    request["metadata"]["name"] = json!(name);
    request["metadata"]["namespace"] = json!(namespace);
    request["metadata"]["creationTimestamp"] = json!(format_time(now));
    request["spec"] = spec;
    request["status"] = json!({
        "token": token,
        "expirationTimestamp": format_time(now + chrono::Duration::seconds(expiration)),
    });
    let mut response = respond(StatusCode::CREATED, Format::Json, &request);
    if let Some(warning) = warning {
        if let Ok(value) = HeaderValue::from_str(&format!("299 - {warning:?}")) {
            response.headers_mut().insert(http::header::WARNING, value);
        }
    }
    Ok(response)
}

/// Binds the token to the object `reference` names: it must exist (and have the
/// uid given, if one is), and a pod must run as the service account.
async fn bind(ctx: &Context, reference: &Value, subject: &mut ServiceAccountClaims) -> Result<()> {
    let kind = text(reference, "/kind");
    let api_version = text(reference, "/apiVersion");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let name = text(reference, "/name").to_string();
    let namespace = ctx.info.namespace.as_str();
    let object = match (group, kind) {
        ("", "Pod") => {
            let pod = get(ctx, "pods", namespace, &name).await?;
            if text(&pod, "/spec/serviceAccountName") != ctx.info.name {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token for serviceaccount {:?} to pod running with different serviceaccount name.",
                    ctx.info.name
                )));
            }
            // The pod's node goes into the token too, by name even when the
            // node object is gone.
            let node_name = text(&pod, "/spec/nodeName");
            if !node_name.is_empty() {
                let node = authn::object(&ctx.state, "nodes", "", node_name)
                    .await
                    .map_err(ApiError::internal)?;
                subject.node = Some(ObjectRef {
                    name: node_name.to_string(),
                    uid: node
                        .as_ref()
                        .map(|n| text(n, "/metadata/uid").to_string())
                        .unwrap_or_default(),
                });
            }
            subject.pod = Some(object_ref(&pod));
            pod
        }
        ("", "Secret") => {
            let secret = get(ctx, "secrets", namespace, &name).await?;
            subject.secret = Some(object_ref(&secret));
            secret
        }
        ("", "Node") => {
            let node = get(ctx, "nodes", "", &name).await?;
            subject.node = Some(object_ref(&node));
            node
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind}"
            )))
        }
    };
    let asked_uid = text(reference, "/uid");
    if !asked_uid.is_empty() && asked_uid != text(&object, "/metadata/uid") {
        return Err(ApiError::Conflict {
            resource: kind.to_string(),
            name,
            detail: format!(
                "the UID in the bound object reference ({asked_uid}) does not match the UID in record. The object might have been deleted and then recreated"
            ),
        });
    }
    Ok(())
}

/// A core/v1 object the token is bound to; 404 when it does not exist.
async fn get(ctx: &Context, plural: &str, namespace: &str, name: &str) -> Result<Value> {
    match authn::object(&ctx.state, plural, namespace, name).await {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(ApiError::NotFound {
            resource: plural.to_string(),
            name: name.to_string(),
        }),
        Err(error) => Err(ApiError::internal(error)),
    }
}

fn object_ref(object: &Value) -> ObjectRef {
    ObjectRef {
        name: text(object, "/metadata/name").to_string(),
        uid: text(object, "/metadata/uid").to_string(),
    }
}

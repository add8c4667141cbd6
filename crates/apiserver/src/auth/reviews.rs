//! The review resources: objects created only to be answered, never stored
//! (upstream's `pkg/registry/authorization` and
//! `pkg/registry/authentication`).
//!
//! - `selfsubjectreviews` (kubectl auth whoami): who am I;
//! - `selfsubjectaccessreviews` (kubectl auth can-i): may I;
//! - `subjectaccessreviews`, `localsubjectaccessreviews`: may someone;
//! - `selfsubjectrulesreviews` (kubectl auth can-i --list): what may I;
//! - `tokenreviews`: whose is this token.
//!
//! Creating a review is itself authorized (`system:basic-user` grants the self
//! reviews to every authenticated user). Each answers 201 with the request
//! object and its `status`.

use std::collections::BTreeMap;

use api::FieldError;
use http::{HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

use super::authz::{self, Attributes, Target};
use super::{authn, proto, User};
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body, Format};
use crate::request::{RequestInfo, Verb};
use crate::server::State;

const AUTHENTICATION: &str = "authentication.k8s.io";
const AUTHORIZATION: &str = "authorization.k8s.io";

/// True for a request that creates a review.
pub fn serves(info: &RequestInfo) -> bool {
    let known = match info.group.as_str() {
        AUTHENTICATION => matches!(
            info.resource.as_str(),
            "selfsubjectreviews" | "tokenreviews"
        ),
        AUTHORIZATION => match info.resource.as_str() {
            "selfsubjectaccessreviews" | "selfsubjectrulesreviews" | "subjectaccessreviews" => {
                info.namespace.is_empty()
            }
            "localsubjectaccessreviews" => !info.namespace.is_empty(),
            _ => false,
        },
        _ => false,
    };
    known
        && info.version == "v1"
        && info.verb == Verb::Create
        && info.name.is_empty()
        && info.subresource.is_empty()
}

/// Answers a review created by `user`.
pub async fn create(
    state: &State,
    user: &User,
    info: &RequestInfo,
    headers: &HeaderMap,
    body: hyper::body::Incoming,
) -> Result<Response<Body>> {
    let Some(resource) = api::resource::lookup(&info.group, &info.version, &info.resource) else {
        return Err(ApiError::NoRoute);
    };
    let bytes = read_body(body).await?;
    let media_type = content_type(headers);
    let mut review = if media_type == api::protobuf::MEDIA_TYPE {
        proto::decode(&bytes).map_err(|e| ApiError::bad_request(e.to_string()))?
    } else {
        decode_body(&media_type, &bytes)?
    };
    let api_version = resource.api_version();
    for (field, expected) in [
        ("apiVersion", api_version.as_str()),
        ("kind", resource.kind),
    ] {
        match review.get(field).and_then(Value::as_str) {
            None | Some("") => review[field] = json!(expected),
            Some(given) if given == expected => {}
            Some(given) => {
                return Err(ApiError::bad_request(format!(
                    "the body of the request is a {field} {given:?}, expected {expected:?}"
                )))
            }
        }
    }
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match info.resource.as_str() {
        "selfsubjectreviews" => json!({"userInfo": user.to_json()}),
        "tokenreviews" => token_review(state, &spec).await?,
        "selfsubjectaccessreviews" => {
            let attributes = attributes(&spec, resource.kind)?;
            access_status(authz::authorize_fresh(state, user, &attributes).await)
        }
        "subjectaccessreviews" | "localsubjectaccessreviews" => {
            if info.resource == "localsubjectaccessreviews" {
                check_local(&mut review, &info.namespace)?;
            }
            let subject = subject(&spec, resource.kind)?;
            let attributes = attributes(&spec, resource.kind)?;
            access_status(authz::authorize_fresh(state, &subject, &attributes).await)
        }
        "selfsubjectrulesreviews" => rules_review(state, user, &spec)?,
        _ => return Err(ApiError::NoRoute),
    };
    if !review.get("metadata").is_some_and(Value::is_object) {
        review["metadata"] = json!({});
    }
    review["metadata"]["creationTimestamp"] = Value::Null;
    review["spec"] = spec;
    review["status"] = status;
    Ok(respond(StatusCode::CREATED, Format::Json, &review))
}

fn invalid(kind: &str, errors: Vec<FieldError>) -> ApiError {
    ApiError::Invalid {
        kind: kind.to_string(),
        group: AUTHORIZATION.to_string(),
        name: String::new(),
        errors,
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Go's `%v` of a `*NonResourceAttributes` in a field error.
fn go_non_resource(value: &Value) -> String {
    format!(
        "&authorization.NonResourceAttributes{{Path:{}, Verb:{}}}",
        api::validation::go_quote(text(value, "path")),
        api::validation::go_quote(text(value, "verb"))
    )
}

/// The attributes a (self) subject access review asks about; 422 unless
/// exactly one of resource and non-resource attributes is given.
fn attributes(spec: &Value, kind: &str) -> Result<Attributes> {
    let resource = spec.get("resourceAttributes").filter(|v| v.is_object());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| v.is_object());
    match (resource, non_resource) {
        (Some(_), Some(non_resource)) => Err(invalid(
            kind,
            vec![FieldError::invalid_go(
                "spec.nonResourceAttributes",
                go_non_resource(non_resource),
                "cannot be specified in combination with resourceAttributes",
            )],
        )),
        (None, None) => Err(invalid(
            kind,
            vec![FieldError::invalid(
                "spec.resourceAttributes",
                Value::Null,
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )],
        )),
        (Some(resource), None) => Ok(Attributes::resource(
            text(resource, "verb"),
            text(resource, "group"),
            text(resource, "resource"),
            text(resource, "subresource"),
            text(resource, "namespace"),
            text(resource, "name"),
        )),
        (None, Some(non_resource)) => Ok(Attributes {
            verb: text(non_resource, "verb").to_string(),
            target: Target::NonResource {
                path: text(non_resource, "path").to_string(),
            },
        }),
    }
}

/// The user a subject access review asks about; 422 without user or groups.
fn subject(spec: &Value, kind: &str) -> Result<User> {
    let strings = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let user = User {
        name: text(spec, "user").to_string(),
        uid: text(spec, "uid").to_string(),
        groups: strings(spec.get("groups")),
        extra: spec
            .get("extra")
            .and_then(Value::as_object)
            .map(|extra| {
                extra
                    .iter()
                    .map(|(k, v)| (k.clone(), strings(Some(v))))
                    .collect::<BTreeMap<_, _>>()
            })
            .unwrap_or_default(),
    };
    if user.name.is_empty() && user.groups.is_empty() {
        return Err(invalid(
            kind,
            vec![FieldError::invalid(
                "spec.user",
                "",
                "at least one of user or group must be specified",
            )],
        ));
    }
    Ok(user)
}

/// A local review is about its own namespace only.
fn check_local(review: &mut Value, namespace: &str) -> Result<()> {
    let given = review
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if given.is_empty() {
        if !review.get("metadata").is_some_and(Value::is_object) {
            review["metadata"] = json!({});
        }
        review["metadata"]["namespace"] = json!(namespace);
    } else if given != namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let spec = review.get("spec").cloned().unwrap_or_default();
    let mut errors = Vec::new();
    if let Some(resource) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        let asked = text(resource, "namespace");
        if asked != namespace {
            errors.push(FieldError::invalid(
                "spec.resourceAttributes.namespace",
                asked,
                "must match metadata.namespace",
            ));
        }
    }
    if let Some(non_resource) = spec.get("nonResourceAttributes").filter(|v| v.is_object()) {
        errors.push(FieldError::invalid_go(
            "spec.nonResourceAttributes",
            go_non_resource(non_resource),
            "disallowed on this kind of request",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid("LocalSubjectAccessReview", errors))
    }
}

fn access_status(decision: authz::Decision) -> Value {
    let mut status = json!({"allowed": decision.allowed});
    if !decision.reason.is_empty() {
        status["reason"] = json!(decision.reason);
    }
    status
}

fn rules_review(state: &State, user: &User, spec: &Value) -> Result<Value> {
    let namespace = text(spec, "namespace");
    if namespace.is_empty() {
        return Err(ApiError::bad_request("no namespace on request"));
    }
    let (resource_rules, non_resource_rules, error) =
        authz::rules_for(&state.cache, user, namespace);
    let mut status = json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": false,
    });
    if !error.is_empty() {
        status["evaluationError"] = json!(error);
    }
    Ok(status)
}

async fn token_review(state: &State, spec: &Value) -> Result<Value> {
    let token = text(spec, "token");
    if token.is_empty() {
        return Err(ApiError::bad_request(
            "token is required for TokenReview in authentication",
        ));
    }
    let audiences: Vec<String> = match spec.get("audiences").and_then(Value::as_array) {
        Some(given) if !given.is_empty() => given
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => state.auth.config.api_audiences.clone(),
    };
    Ok(
        match authn::authenticate_token(state, token, &audiences).await {
            Ok((user, audiences)) => json!({
                "authenticated": true,
                "user": user.to_json(),
                "audiences": audiences,
            }),
            Err(error) => json!({"user": {}, "error": error.to_string()}),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_requests() {
        let info = |group: &str, resource: &str, namespace: &str| RequestInfo {
            verb: Verb::Create,
            group: group.into(),
            version: "v1".into(),
            namespace: namespace.into(),
            resource: resource.into(),
            ..RequestInfo::default()
        };
        assert!(serves(&info(AUTHORIZATION, "selfsubjectaccessreviews", "")));
        assert!(serves(&info(AUTHENTICATION, "selfsubjectreviews", "")));
        assert!(serves(&info(
            AUTHORIZATION,
            "localsubjectaccessreviews",
            "ns"
        )));
        assert!(!serves(&info(
            AUTHORIZATION,
            "localsubjectaccessreviews",
            ""
        )));
        assert!(!serves(&info("", "pods", "ns")));
        let mut list = info(AUTHORIZATION, "subjectaccessreviews", "");
        list.verb = Verb::List;
        assert!(!serves(&list));
    }

    #[test]
    fn access_review_validation() {
        let message = |spec: Value| match attributes(&spec, "SelfSubjectAccessReview") {
            Ok(_) => String::new(),
            Err(error) => error.to_string(),
        };
        assert_eq!(
            message(json!({})),
            r#"SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified"#
        );
        assert_eq!(
            message(
                json!({"resourceAttributes": {}, "nonResourceAttributes": {"path": "/api", "verb": "get"}})
            ),
            r#"SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: &authorization.NonResourceAttributes{Path:"/api", Verb:"get"}: cannot be specified in combination with resourceAttributes"#
        );
        assert_eq!(
            attributes(&json!({"resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "n"}}), "X").unwrap(),
            Attributes::resource("get", "", "pods", "", "n", "")
        );
        let error = subject(&json!({}), "SubjectAccessReview").unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified"#
        );
        let mut local = json!({"spec": {"resourceAttributes": {"namespace": "other"}}});
        assert_eq!(check_local(&mut local, "ns").unwrap_err().code(), 422);
        assert_eq!(local["metadata"]["namespace"], "ns");
    }
}

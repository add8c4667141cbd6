//! Server-side apply and managed fields in the write handlers: the manager of
//! a write (`fieldManager`, else the User-Agent), the validation of the write
//! options, the `Update` entry every non-apply write records, and PATCH with
//! `application/apply-patch+yaml`, which creates the object when it does not
//! exist. The logic itself is in [`api::apply`].

use api::apply::{self as ssa, ApplyError};
use api::FieldError;
use http::{Response, StatusCode};
use serde_json::Value;

use super::write::{self, create_object, decode_object, with_warnings, write_with_retries};
use super::Context;
use crate::error::{ApiError, Result};
use crate::http::{content_type, respond, Body};
use crate::request::Verb;

/// The media type of apply patches.
pub(super) const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// The patch types a resource accepts, in upstream's order.
pub(super) const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    APPLY_PATCH,
];

/// True for a PATCH whose body is an apply configuration.
pub(super) fn is_apply(ctx: &Context) -> bool {
    ctx.info.verb == Verb::Patch && content_type(&ctx.headers) == APPLY_PATCH
}

/// The manager of a write: the `fieldManager` parameter, else what precedes
/// the first `/` of the User-Agent (`kubectl`), printable characters only,
/// at most 128 bytes, as upstream's `managerOrUserAgent`.
pub(super) fn manager(ctx: &Context) -> String {
    if let Some(manager) = ctx.query.get("fieldManager").filter(|m| !m.is_empty()) {
        return manager.clone();
    }
    let agent = ctx
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let product = agent.split('/').next().unwrap_or_default();
    let mut out = String::new();
    for c in product.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > ssa::MAX_MANAGER_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

/// Upstream's validation of `CreateOptions`, `UpdateOptions` or
/// `PatchOptions` (`options`): 422 for a `fieldManager` too long or with
/// unprintable characters, for `force` on a patch that is not an apply, and
/// for an apply without a `fieldManager`.
pub(super) fn validate_options(ctx: &Context, options: &str) -> Result<()> {
    let mut errors = Vec::new();
    let field_manager = ctx
        .query
        .get("fieldManager")
        .map(String::as_str)
        .unwrap_or_default();
    if options == "PatchOptions" {
        if is_apply(ctx) {
            if field_manager.is_empty() {
                errors.push(FieldError::required(
                    "fieldManager",
                    "is required for apply patch",
                ));
            }
        } else if ctx.query.contains_key("force") {
            errors.push(FieldError::forbidden(
                "force",
                "may not be specified for non-apply patch",
            ));
        }
    }
    if field_manager.len() > ssa::MAX_MANAGER_LENGTH {
        errors.push(FieldError::too_long(
            "fieldManager",
            ssa::MAX_MANAGER_LENGTH,
        ));
    }
    for (position, c) in field_manager.char_indices().filter(|(_, c)| c.is_control()) {
        errors.push(FieldError::invalid(
            "fieldManager",
            field_manager,
            format!(
                "invalid character U+{:04X} (at position {position})",
                c as u32
            ),
        ));
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::Invalid {
        kind: options.to_string(),
        group: "meta.k8s.io".into(),
        name: String::new(),
        errors,
    })
}

/// Records a non-apply write of `new` over `live` (`None` on create) in
/// `new`'s managed fields; an apply has recorded itself already.
pub(super) fn record_update(ctx: &Context, live: Option<&Value>, new: &mut Value) {
    if is_apply(ctx) {
        return;
    }
    let manager = manager(ctx);
    let now = write::now();
    let request = ssa::Request {
        resource: ctx.resource,
        manager: &manager,
        subresource: &ctx.info.subresource,
        now: &now,
    };
    ssa::record_update(&request, live, new);
}

/// Keeps the stored managed fields when a write changes nothing but their
/// times, so that it stays a no-op.
pub(super) fn keep_unchanged_times(new: &mut Value, old: &Value) {
    ssa::keep_unchanged_times(new, old);
}

/// The object the apply configuration `config` makes of `live` (`None` when
/// it creates it), with its managed fields; not yet decoded, defaulted or
/// validated.
pub(super) fn apply_to(ctx: &Context, live: Option<&Value>, config: &Value) -> Result<Value> {
    apply_as(ctx, ctx.resource, live, config)
}

/// [`apply_to`] for objects of `resource`: the request's resource, or the
/// Scale of a write through `/scale` (`handlers/scale.rs`).
pub(super) fn apply_as(
    ctx: &Context,
    resource: &api::ResourceInfo,
    live: Option<&Value>,
    config: &Value,
) -> Result<Value> {
    let manager = manager(ctx);
    let now = write::now();
    let request = ssa::Request {
        resource,
        manager: &manager,
        subresource: &ctx.info.subresource,
        now: &now,
    };
    let force = ctx.query.get("force").is_some_and(|f| f == "true");
    let merged = ssa::apply(&request, live, config, force).map_err(|e| match e {
        ApplyError::BadRequest(message) => ApiError::BadRequest { message },
        ApplyError::Conflict { message, causes } => ApiError::ApplyConflict { message, causes },
        ApplyError::Internal(message) => ApiError::Internal { message },
    })?;
    let name = api::meta::name(&merged);
    if name != ctx.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            ctx.info.name
        )));
    }
    Ok(merged)
}

/// 415 naming the patch types accepted.
pub(super) fn unsupported_media_type(accepted: &[&str]) -> ApiError {
    ApiError::UnsupportedMediaType {
        message: format!(
            "the body of the request was in an unknown format - accepted media types include: {}",
            accepted.join(", ")
        ),
    }
}

/// Reads an apply patch: YAML (or JSON) holding one object.
pub(super) fn parse_config(bytes: &[u8]) -> Result<Value> {
    let parsed: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(_) => serde_yaml::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!(
                "error decoding YAML: error converting YAML to JSON: yaml: {e}"
            ))
        })?,
    };
    let kind = match &parsed {
        Value::Object(_) => return Ok(parsed),
        Value::Null => return Ok(Value::Object(Default::default())),
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
    };
    Err(ApiError::bad_request(format!(
        "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    )))
}

/// PATCH with an apply configuration: applied to the stored object, or, if
/// there is none, creating it (201).
pub(super) async fn patch(
    ctx: &Context,
    bytes: &[u8],
    subresource: Option<api::resource::Subresource>,
) -> Result<Response<Body>> {
    let config = parse_config(bytes)?;
    // A resourceVersion in the configuration is a precondition.
    let requested_rv = config
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|rv| rv.parse::<i64>().ok());
    let key = ctx.key(&ctx.info.name);
    let is_this_object = |e: &ApiError| {
        matches!(e, ApiError::NotFound { resource, name }
            if *name == ctx.info.name && *resource == ctx.qualified())
    };
    // One retry covers the object appearing or vanishing between the read
    // and the write.
    for _ in 0..2 {
        let exists = ctx.state.store.get(&key, 0).await?.kv.is_some();
        if !exists && subresource.is_none() && ctx.info.subresource.is_empty() {
            let created = apply_to(ctx, None, &config)?;
            let (created, warnings) = decode_object(ctx, created)?;
            match create_object(ctx, created, warnings).await {
                Err(ApiError::AlreadyExists { .. }) => continue,
                other => return other,
            }
        }
        let warnings = std::sync::Mutex::new(Vec::new());
        let written = write_with_retries(ctx, subresource, requested_rv, |old| {
            let merged = apply_to(ctx, Some(old), &config)?;
            let (obj, w) = decode_object(ctx, merged)?;
            if let Ok(mut all) = warnings.lock() {
                *all = w;
            }
            Ok(obj)
        })
        .await;
        match written {
            Err(e) if is_this_object(&e) && subresource.is_none() => continue,
            Err(e) => return Err(e),
            Ok(written) => {
                let warnings = warnings.into_inner().unwrap_or_default();
                let response = respond(StatusCode::OK, ctx.format, &ctx.output(written)?);
                return Ok(with_warnings(response, &warnings));
            }
        }
    }
    Err(ctx.not_found(&ctx.info.name))
}

//! CREATE, UPDATE and PATCH: decode, default, admit, validate, then write with
//! compare-and-swap on the object's resourceVersion.

use api::resource::Subresource;
use http::{Response, StatusCode};
use serde_json::{json, Value};
use store::{KeyValue, StoreError};

use super::Context;
use crate::admission;
use crate::codec;
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body};

/// How often an unconditional update or a patch retries after losing a race.
const MAX_CONFLICT_RETRIES: usize = 8;

/// What `fieldValidation` asks for unknown fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

fn field_validation(ctx: &Context) -> Result<FieldValidation> {
    match ctx.query.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
        Some("Ignore") => Ok(FieldValidation::Ignore),
        Some("Strict") => Ok(FieldValidation::Strict),
        Some(other) => Err(ApiError::bad_request(format!(
            "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got {other:?}"
        ))),
    }
}

/// Decodes a body into the resource's normal form, checking apiVersion and kind
/// against the URL and unknown fields against `fieldValidation`. Returns the
/// object and the warnings to send.
pub(super) fn decode_object(ctx: &Context, mut body: Value) -> Result<(Value, Vec<String>)> {
    let expected_version = ctx.resource.api_version();
    match body.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => body["apiVersion"] = json!(expected_version),
        Some(v) if v == expected_version => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({expected_version})"
            )))
        }
    }
    match body.get("kind").and_then(Value::as_str) {
        None | Some("") => body["kind"] = json!(ctx.resource.kind),
        Some(k) if k == ctx.resource.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                ctx.resource.kind
            )))
        }
    }
    let validation = field_validation(ctx)?;
    let decoded = api::strategy::decode(ctx.resource, body).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            ctx.resource.kind, ctx.resource.version, ctx.resource.kind
        ))
    })?;
    let unknown: Vec<String> = decoded
        .unknown_fields
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    let warnings = match validation {
        FieldValidation::Strict if !unknown.is_empty() => {
            return Err(ApiError::bad_request(format!(
                "strict decoding error: {}",
                unknown.join(", ")
            )))
        }
        FieldValidation::Warn => unknown,
        _ => Vec::new(),
    };
    Ok((decoded.object, warnings))
}

fn invalid(ctx: &Context, name: &str, errors: Vec<api::FieldError>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::Invalid {
        kind: ctx.resource.kind.to_string(),
        group: ctx.resource.group.to_string(),
        name: name.to_string(),
        errors,
    })
}

/// Adds `Warning` headers, as upstream does for unknown fields under `Warn`.
pub(super) fn with_warnings(mut response: Response<Body>, warnings: &[String]) -> Response<Body> {
    for warning in warnings {
        let text = format!("299 - \"{}\"", warning.replace('"', "\\\""));
        if let Ok(value) = http::HeaderValue::from_str(&text) {
            response.headers_mut().append(http::header::WARNING, value);
        }
    }
    response
}

async fn read_object(ctx: &Context, body: hyper::body::Incoming) -> Result<Value> {
    let content_type = content_type(&ctx.headers);
    let bytes = read_body(body).await?;
    decode_body(&content_type, &bytes)
}

pub async fn create(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    super::apply::validate_options(ctx, "CreateOptions")?;
    let body = read_object(ctx, body).await?;
    let (obj, warnings) = decode_object(ctx, body)?;
    create_object(ctx, obj, warnings).await
}

/// Creates a decoded object (from a POST, or from an apply patch of an
/// object that does not exist).
pub(super) async fn create_object(
    ctx: &Context,
    mut obj: Value,
    warnings: Vec<String>,
) -> Result<Response<Body>> {
    let namespace = &ctx.info.namespace;
    {
        let meta = api::meta::metadata_mut(&mut obj);
        if ctx.resource.namespaced {
            match meta.get("namespace").and_then(Value::as_str) {
                None | Some("") => {
                    meta.insert("namespace".into(), json!(namespace));
                }
                Some(ns) if ns == namespace => {}
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
            }
        } else {
            meta.remove("namespace");
        }
        if meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        let name_missing = meta
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if name_missing {
            if let Some(base) = meta
                .get("generateName")
                .and_then(Value::as_str)
                .filter(|g| !g.is_empty())
            {
                let name = generate_name(base);
                meta.insert("name".into(), json!(name));
            } else {
                return Err(ApiError::Invalid {
                    kind: ctx.resource.kind.to_string(),
                    group: ctx.resource.group.to_string(),
                    name: String::new(),
                    errors: vec![api::FieldError {
                        error_type: api::ErrorType::Required,
                        field: "metadata.name".into(),
                        bad_value: None,
                        detail: "name or generateName is required".into(),
                    }],
                });
            }
        }
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now()));
        for cleared in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            meta.remove(cleared);
        }
    }
    let name = api::meta::name(&obj).to_string();
    api::strategy::default(ctx.resource, &mut obj);
    api::strategy::prepare_for_create(ctx.resource, &mut obj);
    super::apply::record_update(ctx, None, &mut obj);
    invalid(
        ctx,
        &name,
        api::strategy::validate_create(ctx.resource, &obj),
    )?;
    ctx.confirm_no_escalation(&obj, None).await?;
    admission::admit_create(ctx, &mut obj).await?;
    invalid(
        ctx,
        &name,
        api::strategy::validate_create(ctx.resource, &obj),
    )?;
    let key = ctx.key(&name);
    if ctx.dry_run()? {
        if ctx.state.store.get(&key, 0).await?.kv.is_some() {
            return Err(ApiError::AlreadyExists {
                resource: ctx.qualified(),
                name,
            });
        }
        return Ok(with_warnings(
            respond(StatusCode::CREATED, ctx.format, &ctx.output(obj)?),
            &warnings,
        ));
    }
    let stored = ctx.to_storage(obj.clone())?;
    let kv = match ctx
        .state
        .store
        .create(&key, codec::encode_stored(&stored))
        .await
    {
        Ok(kv) => kv,
        Err(StoreError::AlreadyExists { .. }) => {
            return Err(ApiError::AlreadyExists {
                resource: ctx.qualified(),
                name,
            })
        }
        Err(e) => return Err(e.into()),
    };
    codec::set_resource_version(&mut obj, kv.mod_revision);
    crate::crd::written(ctx, &obj);
    Ok(with_warnings(
        respond(StatusCode::CREATED, ctx.format, &ctx.output(obj)?),
        &warnings,
    ))
}

/// RFC 3339 time of now, in seconds, as Kubernetes writes timestamps.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `generateName` plus five random characters from upstream's alphabet.
fn generate_name(base: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let base: String = base.chars().take(63 - 5).collect();
    let random = uuid::Uuid::new_v4();
    let suffix: String = random.as_bytes()[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{base}{suffix}")
}

/// Reads the current stored object.
pub(super) async fn current(ctx: &Context, key: &str) -> Result<(Value, KeyValue)> {
    let response = ctx.state.store.get(key, 0).await?;
    let kv = response.kv.ok_or_else(|| ctx.not_found(&ctx.info.name))?;
    let value = codec::decode_stored(&kv.value, kv.mod_revision).map_err(ApiError::internal)?;
    Ok((value, kv))
}

fn conflict(ctx: &Context) -> ApiError {
    ApiError::Conflict {
        resource: ctx.qualified(),
        name: ctx.info.name.clone(),
        detail: "the object has been modified; please apply your changes to the latest version and try again".into(),
    }
}

pub async fn update(
    ctx: &Context,
    body: hyper::body::Incoming,
    subresource: Option<Subresource>,
) -> Result<Response<Body>> {
    super::apply::validate_options(ctx, "UpdateOptions")?;
    let body = read_object(ctx, body).await?;
    let (new, warnings) = decode_object(ctx, body)?;
    if api::meta::name(&new) != ctx.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({})",
            api::meta::name(&new),
            ctx.info.name
        )));
    }
    let requested_rv = new
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|rv| !rv.is_empty())
        .map(|rv| {
            rv.parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion: {rv}")))
        })
        .transpose()?;
    let written =
        write_with_retries(ctx, subresource, requested_rv, |_old| Ok(new.clone())).await?;
    let response = respond(StatusCode::OK, ctx.format, &ctx.output(written)?);
    Ok(with_warnings(response, &warnings))
}

/// The patch types upstream accepts, by Content-Type.
pub(super) fn apply_patch(
    ctx: &Context,
    content_type: &str,
    old: &Value,
    patch: &Value,
) -> Result<Value> {
    let failed = |e: api::patch::PatchError| match e {
        api::patch::PatchError::Malformed(m) => ApiError::bad_request(m),
        api::patch::PatchError::Failed(m) => ApiError::Invalid {
            kind: ctx.resource.kind.to_string(),
            group: ctx.resource.group.to_string(),
            name: ctx.info.name.clone(),
            errors: vec![api::FieldError {
                error_type: api::ErrorType::Invalid,
                field: "patch".into(),
                bad_value: None,
                detail: m,
            }],
        },
    };
    match content_type {
        "application/merge-patch+json" => {
            let mut target = old.clone();
            api::patch::merge_patch(&mut target, patch);
            Ok(target)
        }
        "application/json-patch+json" => api::patch::json_patch(old, patch).map_err(failed),
        "application/strategic-merge-patch+json" => {
            api::patch::strategic_merge_patch(ctx.resource, old, patch).map_err(failed)
        }
        super::apply::APPLY_PATCH => super::apply::apply_to(ctx, Some(old), patch),
        _ => Err(super::apply::unsupported_media_type(
            super::apply::PATCH_TYPES,
        )),
    }
}

pub async fn patch(
    ctx: &Context,
    body: hyper::body::Incoming,
    subresource: Option<Subresource>,
) -> Result<Response<Body>> {
    let content_type = content_type(&ctx.headers);
    if super::apply::PATCH_TYPES.contains(&content_type.as_str()) {
        super::apply::validate_options(ctx, "PatchOptions")?;
    }
    let bytes = read_body(body).await?;
    if content_type == super::apply::APPLY_PATCH {
        return super::apply::patch(ctx, &bytes, subresource).await;
    }
    let patch: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    if content_type != "application/json-patch+json" && !patch.is_object() {
        return Err(ApiError::bad_request("the patch must be a JSON object"));
    }
    // A patch may carry a resourceVersion precondition.
    let requested_rv = patch
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|rv| rv.parse::<i64>().ok());
    let warnings = std::sync::Mutex::new(Vec::new());
    let written = write_with_retries(ctx, subresource, requested_rv, |old| {
        let patched = apply_patch(ctx, &content_type, old, &patch)?;
        let (obj, w) = decode_object(ctx, patched)?;
        if let Ok(mut all) = warnings.lock() {
            *all = w;
        }
        Ok(obj)
    })
    .await?;
    let warnings = warnings.into_inner().unwrap_or_default();
    let response = respond(StatusCode::OK, ctx.format, &ctx.output(written)?);
    Ok(with_warnings(response, &warnings))
}

/// Reads the current object, lets `make` build the new one from it, prepares and
/// validates it, and writes it with compare-and-swap. Without a requested
/// resourceVersion, a lost race is retried on the fresh object.
pub(super) async fn write_with_retries(
    ctx: &Context,
    subresource: Option<Subresource>,
    requested_rv: Option<i64>,
    make: impl Fn(&Value) -> Result<Value>,
) -> Result<Value> {
    let key = ctx.key(&ctx.info.name);
    for _ in 0..MAX_CONFLICT_RETRIES {
        let (old, kv) = current(ctx, &key).await?;
        // Work in the request's version; store in the storage version.
        let old = ctx.output(old)?;
        if requested_rv.is_some_and(|rv| rv != kv.mod_revision) {
            return Err(conflict(ctx));
        }
        let mut new = make(&old)?;
        carry_over_metadata(&mut new, &old, ctx)?;
        match subresource {
            Some(Subresource::Status) => {
                api::strategy::prepare_for_status_update(ctx.resource, &mut new, &old)
            }
            _ if ctx.info.subresource == "finalize" => finalize_only(&mut new, &old),
            _ => {
                api::strategy::default(ctx.resource, &mut new);
                api::strategy::prepare_for_update(ctx.resource, &mut new, &old);
            }
        }
        super::apply::record_update(ctx, Some(&old), &mut new);
        invalid(
            ctx,
            &ctx.info.name,
            api::strategy::validate_update(ctx.resource, &new, &old),
        )?;
        ctx.confirm_no_escalation(&new, Some(&old)).await?;
        admission::admit_update(ctx, &mut new, &old).await?;
        codec::set_resource_version(&mut new, kv.mod_revision);
        super::apply::keep_unchanged_times(&mut new, &old);
        if new == old || ctx.dry_run()? {
            return Ok(new);
        }
        if should_delete_during_update(&new) {
            match ctx.state.store.delete(&key, Some(kv.mod_revision)).await {
                Ok(deleted) => {
                    codec::set_resource_version(&mut new, deleted.revision);
                    return Ok(new);
                }
                Err(StoreError::Conflict { .. }) if requested_rv.is_none() => continue,
                Err(StoreError::Conflict { .. }) => return Err(conflict(ctx)),
                Err(StoreError::NotFound { .. }) => return Err(ctx.not_found(&ctx.info.name)),
                Err(e) => return Err(e.into()),
            }
        }
        match ctx
            .state
            .store
            .update(
                &key,
                codec::encode_stored(&ctx.to_storage(new.clone())?),
                kv.mod_revision,
            )
            .await
        {
            Ok(written) => {
                codec::set_resource_version(&mut new, written.mod_revision);
                crate::crd::written(ctx, &new);
                return Ok(new);
            }
            Err(StoreError::Conflict { .. }) if requested_rv.is_none() => continue,
            Err(StoreError::Conflict { .. }) => return Err(conflict(ctx)),
            Err(StoreError::NotFound { .. }) => return Err(ctx.not_found(&ctx.info.name)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(conflict(ctx))
}

/// An object being deleted is removed by the update that takes its last
/// finalizer away, unless it is a pod still in its grace period (its kubelet
/// deletes it) or a namespace whose own finalizers (`spec.finalizers`) remain.
fn should_delete_during_update(new: &Value) -> bool {
    let empty = |pointer: &str| {
        new.pointer(pointer)
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    new.pointer("/metadata/deletionTimestamp").is_some()
        && empty("/metadata/finalizers")
        && empty("/spec/finalizers")
        && new
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .is_none_or(|grace| grace == 0)
}

/// An update through `namespaces/NAME/finalize` changes only `spec.finalizers`.
fn finalize_only(new: &mut Value, old: &Value) {
    let finalizers = new.pointer("/spec/finalizers").cloned();
    let mut kept = old.clone();
    if let Some(metadata) = new.get("metadata") {
        kept["metadata"] = metadata.clone();
    }
    match finalizers {
        Some(finalizers) => kept["spec"]["finalizers"] = finalizers,
        None => {
            if let Some(spec) = kept.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("finalizers");
            }
        }
    }
    *new = kept;
}

/// Keeps the server-owned metadata of the stored object on an update.
fn carry_over_metadata(new: &mut Value, old: &Value, ctx: &Context) -> Result<()> {
    let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let meta = api::meta::metadata_mut(new);
    if let Some(uid) = meta
        .get("uid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    {
        if Some(uid) != old_meta.get("uid").and_then(Value::as_str) {
            return Err(ApiError::Conflict {
                resource: ctx.qualified(),
                name: ctx.info.name.clone(),
                detail: format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    old_meta.get("uid").and_then(Value::as_str).unwrap_or("")
                ),
            });
        }
    }
    if ctx.resource.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            None | Some("") => {
                meta.insert("namespace".into(), json!(ctx.info.namespace));
            }
            Some(ns) if ns == ctx.info.namespace => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
        }
    }
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        match old_meta.get(field) {
            Some(value) => {
                meta.insert(field.into(), value.clone());
            }
            None => {
                meta.remove(field);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names() {
        let name = generate_name("web-");
        assert_eq!(name.len(), 9);
        assert!(name.starts_with("web-"));
        assert!(name[4..]
            .chars()
            .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
        assert_eq!(generate_name(&"a".repeat(80)).len(), 63);
    }
}

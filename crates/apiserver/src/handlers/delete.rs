//! DELETE and DELETECOLLECTION: preconditions, finalizers, graceful deletion of
//! pods, and namespace termination.

use http::{Response, StatusCode};
use serde_json::{json, Value};
use store::StoreError;

use super::write::{current, now};
use super::Context;
use crate::codec;
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body};

/// `DeleteOptions`, from the body and the query.
#[derive(Clone, Debug, Default)]
pub(super) struct DeleteOptions {
    grace_period: Option<i64>,
    uid: Option<String>,
    resource_version: Option<i64>,
    propagation: Option<Propagation>,
    /// `dryRun: ["All"]` in the body (kubectl sends it there for deletes).
    dry_run: bool,
}

/// How a deletion treats the object's dependents (`propagationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Propagation {
    /// The garbage collector deletes dependents after the owner is gone.
    Background,
    /// The owner stays (finalizer `foregroundDeletion`) until its blocking
    /// dependents are gone.
    Foreground,
    /// Dependents lose their owner reference (finalizer `orphan`) and stay.
    Orphan,
}

const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
const ORPHAN_FINALIZER: &str = "orphan";

async fn options(ctx: &Context, body: hyper::body::Incoming) -> Result<DeleteOptions> {
    let bytes = read_body(body).await?;
    let mut opts = DeleteOptions::default();
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let value = decode_body(&content_type(&ctx.headers), &bytes)?;
        opts = DeleteOptions::from_value(&value)?;
    }
    if let Some(grace) = ctx.query.get("gracePeriodSeconds") {
        opts.grace_period =
            Some(grace.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid gracePeriodSeconds: {grace}"))
            })?);
    }
    if let Some(policy) = ctx.query.get("propagationPolicy") {
        opts.propagation = Some(check_policy(policy)?);
    }
    Ok(opts)
}

impl DeleteOptions {
    /// Options from a `DeleteOptions` object (a request body, or an eviction's).
    pub(super) fn from_value(value: &Value) -> Result<DeleteOptions> {
        let mut opts = DeleteOptions {
            grace_period: value.get("gracePeriodSeconds").and_then(Value::as_i64),
            uid: value
                .pointer("/preconditions/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            resource_version: value
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .and_then(|rv| rv.parse().ok()),
            propagation: None,
            dry_run: false,
        };
        if let Some(values) = value.get("dryRun").and_then(Value::as_array) {
            for v in values {
                match v.as_str() {
                    Some("All") => opts.dry_run = true,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid dry run value: {}; supported values: All",
                            other.unwrap_or_default()
                        )))
                    }
                }
            }
        }
        if let Some(orphan) = value.get("orphanDependents").and_then(Value::as_bool) {
            opts.propagation = Some(if orphan {
                Propagation::Orphan
            } else {
                Propagation::Background
            });
        }
        if let Some(policy) = value.get("propagationPolicy").and_then(Value::as_str) {
            if opts.propagation.is_some() && value.get("orphanDependents").is_some() {
                return Err(ApiError::Invalid {
                    kind: "DeleteOptions".into(),
                    group: String::new(),
                    name: String::new(),
                    errors: vec![api::FieldError {
                        error_type: api::ErrorType::Invalid,
                        field: "propagationPolicy".into(),
                        bad_value: Some(json!(policy)),
                        detail: "orphanDependents and deletionPropagation cannot be both set"
                            .into(),
                    }],
                });
            }
            opts.propagation = Some(check_policy(policy)?);
        }
        Ok(opts)
    }
}

fn check_policy(policy: &str) -> Result<Propagation> {
    match policy {
        "Background" => Ok(Propagation::Background),
        "Foreground" => Ok(Propagation::Foreground),
        "Orphan" => Ok(Propagation::Orphan),
        other => Err(ApiError::bad_request(format!(
            "DeletionPropagation: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
        ))),
    }
}

fn returns_object(ctx: &Context) -> bool {
    ctx.resource.group.is_empty()
        && matches!(ctx.resource.plural, "pods" | "services" | "namespaces")
}

pub async fn delete(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let opts = options(ctx, body).await?;
    let name = ctx.info.name.clone();
    let deleted = delete_one(ctx, &name, &opts).await?;
    if returns_object(ctx) || deleted.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(respond(StatusCode::OK, ctx.format, &ctx.output(deleted)?));
    }
    let mut details =
        json!({"name": name, "kind": ctx.resource.plural, "uid": deleted.pointer("/metadata/uid")});
    if !ctx.resource.group.is_empty() {
        details["group"] = json!(ctx.resource.group);
    }
    let status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    });
    Ok(respond(StatusCode::OK, ctx.format, &status))
}

/// Deletes one object, or marks it for deletion when finalizers or a grace period
/// hold it. Returns the object as it was deleted or as it now is.
pub(super) async fn delete_one(ctx: &Context, name: &str, opts: &DeleteOptions) -> Result<Value> {
    let key = ctx.key(name);
    let dry_run = ctx.dry_run()? || opts.dry_run;
    loop {
        let (mut obj, kv) = match current(ctx, &key).await {
            Ok(found) => found,
            Err(ApiError::NotFound { .. }) => return Err(ctx.not_found(name)),
            Err(e) => return Err(e),
        };
        let uid = obj
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(expected) = &opts.uid {
            if *expected != uid {
                return Err(ApiError::Conflict {
                    resource: ctx.qualified(),
                    name: name.into(),
                    detail: format!("Precondition failed: UID in precondition: {expected}, UID in object meta: {uid}"),
                });
            }
        }
        if let Some(expected) = opts.resource_version {
            if expected != kv.mod_revision {
                return Err(ApiError::Conflict {
                    resource: ctx.qualified(),
                    name: name.into(),
                    detail: format!(
                        "Precondition failed: ResourceVersion in precondition: {expected}, ResourceVersion in object meta: {}",
                        kv.mod_revision
                    ),
                });
            }
        }
        if let Some(marked) = mark_for_deletion(ctx, &obj, opts) {
            if dry_run || marked == obj {
                return Ok(marked);
            }
            match ctx
                .state
                .store
                .update(&key, codec::encode_stored(&marked), kv.mod_revision)
                .await
            {
                Ok(written) => {
                    let mut marked = marked;
                    codec::set_resource_version(&mut marked, written.mod_revision);
                    return Ok(marked);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotFound { .. }) => return Err(ctx.not_found(name)),
                Err(e) => return Err(e.into()),
            }
        }
        if dry_run {
            return Ok(obj);
        }
        match ctx.state.store.delete(&key, Some(kv.mod_revision)).await {
            Ok(deleted) => {
                codec::set_resource_version(&mut obj, deleted.revision);
                return Ok(obj);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(StoreError::NotFound { .. }) => return Err(ctx.not_found(name)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// The object marked for deletion, when it may not go at once: it has finalizers
/// (among them the garbage collector's, for foreground and orphan propagation),
/// it is a namespace whose content must go first, or it is a pod running on a
/// node with a grace period to wait out.
fn mark_for_deletion(ctx: &Context, obj: &Value, opts: &DeleteOptions) -> Option<Value> {
    let core = ctx.resource.group.is_empty();
    let already = obj.pointer("/metadata/deletionTimestamp").is_some();
    let mut marked = obj.clone();
    if !already {
        match opts.propagation {
            Some(Propagation::Foreground) => add_finalizer(&mut marked, FOREGROUND_FINALIZER),
            Some(Propagation::Orphan) => add_finalizer(&mut marked, ORPHAN_FINALIZER),
            Some(Propagation::Background) | None => {}
        }
        // A definition stays, Terminating, until its objects are gone.
        if ctx.resource.group == "apiextensions.k8s.io"
            && ctx.resource.kind == "CustomResourceDefinition"
        {
            add_finalizer(&mut marked, crate::crd::CLEANUP_FINALIZER);
            let condition = json!({
                "type": "Terminating",
                "status": "True",
                "lastTransitionTime": now(),
                "reason": "InstanceDeletionInProgress",
                "message": "CustomResource deletion is in progress",
            });
            if let Some(conditions) = marked
                .pointer_mut("/status/conditions")
                .and_then(Value::as_array_mut)
            {
                conditions.retain(|c| c["type"] != "Terminating");
                conditions.push(condition);
            }
        }
    }
    let has = |obj: &Value, pointer: &str| {
        obj.pointer(pointer)
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty())
    };
    if core && ctx.resource.plural == "namespaces" {
        // The namespace controller empties it, then takes `kubernetes` out of
        // spec.finalizers; without finalizers it goes at once.
        if !has(&marked, "/spec/finalizers") && !has(&marked, "/metadata/finalizers") {
            return None;
        }
        if !already {
            let meta = api::meta::metadata_mut(&mut marked);
            meta.insert("deletionTimestamp".into(), json!(now()));
            meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        }
        marked["status"]["phase"] = json!("Terminating");
        return Some(marked);
    }
    if core && ctx.resource.plural == "pods" {
        let phase = obj
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        let bound = obj
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        let grace = opts.grace_period.unwrap_or_else(|| {
            obj.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30)
        });
        if bound && grace > 0 && !matches!(phase, "Succeeded" | "Failed") {
            let current = obj
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64);
            if current.is_some_and(|c| c <= grace) {
                return Some(obj.clone());
            }
            let meta = api::meta::metadata_mut(&mut marked);
            let at = chrono::Utc::now() + chrono::Duration::seconds(grace);
            meta.insert(
                "deletionTimestamp".into(),
                json!(at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            );
            meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
            return Some(marked);
        }
    }
    if has(&marked, "/metadata/finalizers") {
        if !already {
            let meta = api::meta::metadata_mut(&mut marked);
            meta.insert("deletionTimestamp".into(), json!(now()));
            meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        }
        return Some(marked);
    }
    None
}

/// Adds `finalizer` to the object's finalizers unless it is there.
fn add_finalizer(obj: &mut Value, finalizer: &str) {
    let meta = api::meta::metadata_mut(obj);
    let list = meta
        .entry("finalizers")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = list {
        if !items.iter().any(|f| f.as_str() == Some(finalizer)) {
            items.push(json!(finalizer));
        }
    }
}

pub async fn delete_collection(
    ctx: &Context,
    body: hyper::body::Incoming,
) -> Result<Response<Body>> {
    let opts = options(ctx, body).await?;
    let selectors = super::read::Selectors::parse(ctx)?;
    let prefix = super::prefix(ctx.resource, &ctx.info.namespace);
    let (items, _, _) = ctx.cache().list(&prefix, None, 0, |o| {
        selectors.is_empty() || selectors.matches(ctx, &o.value)
    });
    let mut deleted = Vec::new();
    for item in items {
        let name = api::meta::name(&item.value).to_string();
        match delete_one(ctx, &name, &opts).await {
            Ok(obj) => deleted.push(ctx.output(obj)?),
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": ctx.resource.list_kind(),
        "apiVersion": ctx.resource.api_version(),
        "metadata": {},
        "items": deleted,
    });
    Ok(respond(StatusCode::OK, ctx.format, &list))
}

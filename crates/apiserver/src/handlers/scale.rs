//! The scale subresource (`autoscaling/v1` Scale) of workloads, used by
//! `kubectl scale`; server-side apply through it moves the ownership of the
//! replicas between the Scale and the parent (`api::apply::scale`).

use http::{Response, StatusCode};
use serde_json::{json, Value};

use api::apply::scale::{self as managed_scale, SCALE};
use api::apply::{ManagedFields, Path};

use super::apply;
use super::write::{apply_patch, current, write_with_retries};
use super::Context;
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body};

/// Where a resource keeps what Scale shows: fixed for the built-in workloads,
/// declared by the CRD (`.spec.replicas` paths) for custom resources.
struct Paths {
    spec_replicas: String,
    status_replicas: String,
    /// A path to the selector in its string form (custom resources only).
    label_selector: Option<String>,
}

/// A CRD's JSON path (`.spec.replicas`) as a JSON pointer (`/spec/replicas`).
fn pointer(path: &str) -> String {
    path.replace('.', "/")
}

fn paths(ctx: &Context) -> Paths {
    match api::resource::custom::version_of(ctx.resource).and_then(|v| v.scale.clone()) {
        Some(scale) => Paths {
            spec_replicas: pointer(&scale.spec_replicas),
            status_replicas: pointer(&scale.status_replicas),
            label_selector: scale.label_selector.as_deref().map(pointer),
        },
        None => Paths {
            spec_replicas: "/spec/replicas".into(),
            status_replicas: "/status/replicas".into(),
            label_selector: None,
        },
    }
}

/// The Scale view of a workload.
fn to_scale(ctx: &Context, obj: &Value) -> Value {
    let paths = paths(ctx);
    let selector = match &paths.label_selector {
        Some(path) => obj
            .pointer(path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        None if api::resource::custom::is_custom(ctx.resource) => String::new(),
        None => selector_string(obj.pointer("/spec/selector")),
    };
    let meta = &obj["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": obj.pointer(&paths.spec_replicas).cloned().unwrap_or(json!(0))},
        "status": {
            "replicas": obj.pointer(&paths.status_replicas).cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

/// A label selector in its string form (`app=web,tier in (a,b)`).
fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for expr in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr["key"].as_str().unwrap_or("");
        let values: Vec<&str> = expr["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match expr["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    parts.join(",")
}

/// Sets the value at a JSON pointer, making the objects on the way.
fn set_path(obj: &mut Value, pointer: &str, value: Value) {
    let mut slot = obj;
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        if !slot.is_object() {
            *slot = json!({});
        }
        slot = &mut slot[part];
    }
    *slot = value;
}

pub async fn get(ctx: &Context) -> Result<Response<Body>> {
    let (obj, _) = current(ctx, &ctx.key(&ctx.info.name)).await?;
    Ok(respond(StatusCode::OK, ctx.format, &to_scale(ctx, &obj)))
}

fn replicas_of(scale: &Value) -> Result<i64> {
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::Invalid {
            kind: "Scale".into(),
            group: "autoscaling".into(),
            name: scale
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            errors: vec![api::FieldError {
                error_type: api::ErrorType::Invalid,
                field: "spec.replicas".into(),
                bad_value: Some(json!(replicas)),
                detail: "must be greater than or equal to 0".into(),
            }],
        });
    }
    Ok(replicas)
}

async fn write_replicas(
    ctx: &Context,
    requested_rv: Option<i64>,
    replicas: impl Fn(&Value) -> Result<i64>,
) -> Result<Response<Body>> {
    let written = write_with_retries(ctx, None, requested_rv, |old| {
        let mut new = old.clone();
        set_path(&mut new, &paths(ctx).spec_replicas, json!(replicas(old)?));
        Ok(new)
    })
    .await?;
    Ok(respond(
        StatusCode::OK,
        ctx.format,
        &to_scale(ctx, &written),
    ))
}

pub async fn update(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let bytes = read_body(body).await?;
    let scale = decode_body(&content_type(&ctx.headers), &bytes)?;
    let replicas = replicas_of(&scale)?;
    let requested_rv = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|rv| rv.parse().ok());
    write_replicas(ctx, requested_rv, |_| Ok(replicas)).await
}

pub async fn patch(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let content_type = content_type(&ctx.headers);
    if apply::PATCH_TYPES.contains(&content_type.as_str()) {
        apply::validate_options(ctx, "PatchOptions")?;
    }
    let bytes = read_body(body).await?;
    if content_type == apply::APPLY_PATCH {
        return server_side_apply(ctx, &bytes).await;
    }
    let patch: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    write_replicas(ctx, None, |old| {
        let patched = apply_patch(ctx, &content_type, &to_scale(ctx, old), &patch)?;
        replicas_of(&patched)
    })
    .await
}

/// Where the resource keeps its replicas in an API version of its group
/// (`None`: a version it is not served in; `Some(None)`: one without scale).
fn replicas_path(ctx: &Context, api_version: &str) -> Option<Option<Path>> {
    let version = match api_version.rsplit_once('/') {
        Some((group, version)) if group == ctx.resource.group => version,
        None if ctx.resource.group.is_empty() => api_version,
        _ => return None,
    };
    let resource = api::resource::lookup(ctx.resource.group, version, ctx.resource.plural)?;
    if !api::resource::custom::is_custom(resource) {
        return Some(Some(managed_scale::path_of_pointer("/spec/replicas")));
    }
    let scale = api::resource::custom::version_of(resource).and_then(|v| v.scale.clone());
    Some(scale.map(|scale| managed_scale::path_of_pointer(&pointer(&scale.spec_replicas))))
}

fn managed_fields_of(obj: &Value) -> Result<ManagedFields> {
    ManagedFields::decode(obj.pointer("/metadata/managedFields"))
        .map_err(|e| ApiError::internal(format!("failed to decode managed fields: {e}")))
}

/// PATCH with an apply configuration of a Scale: applied to the Scale view,
/// with the managers of the parent's replicas as its managers, and the
/// outcome (replicas and owners) carried back to the parent, as upstream's
/// scale subresources do.
async fn server_side_apply(ctx: &Context, bytes: &[u8]) -> Result<Response<Body>> {
    let config = apply::parse_config(bytes)?;
    let requested_rv = config
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|rv| rv.parse().ok());
    let replicas = |api_version: &str| replicas_path(ctx, api_version);
    let written = write_with_retries(ctx, None, requested_rv, |old| {
        let parent_managed = managed_fields_of(old)?;
        let mut live = to_scale(ctx, old);
        if let Some(entries) = managed_scale::to_scale(&parent_managed, &replicas).encode() {
            live["metadata"]["managedFields"] = entries;
        }
        let applied = apply::apply_as(ctx, &SCALE, Some(&live), &config)?;
        let count = replicas_of(&applied)?;
        let managed = managed_scale::to_parent(
            &parent_managed,
            &managed_fields_of(&applied)?,
            &replicas,
            &ctx.resource.api_version(),
        );
        let mut new = old.clone();
        set_path(&mut new, &paths(ctx).spec_replicas, json!(count));
        let meta = api::meta::metadata_mut(&mut new);
        match managed.encode() {
            Some(entries) => meta.insert("managedFields".into(), entries),
            None => meta.remove("managedFields"),
        };
        Ok(new)
    })
    .await?;
    Ok(respond(
        StatusCode::OK,
        ctx.format,
        &to_scale(ctx, &written),
    ))
}

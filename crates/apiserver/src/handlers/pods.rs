//! The pod subresources schedulers, kubectl and controllers use:
//! `pods/binding` (assign a node), `pods/eviction` (delete within the pod's
//! disruption budget); `pods/log` and the streaming subresources are proxied
//! to the node's kubelet by `proxy.rs`.

use http::{Response, StatusCode};
use serde_json::{json, Value};
use store::StoreError;

use super::delete::{delete_one, DeleteOptions};
use super::write::{current, now};
use super::Context;
use crate::codec;
use crate::error::{ApiError, Result};
use crate::http::{content_type, decode_body, read_body, respond, Body};

/// How often a lost compare-and-swap is retried on the fresh object.
const RETRIES: usize = 5;

/// The `Status` a successful binding or eviction answers with.
fn created() -> Response<Body> {
    respond(
        StatusCode::CREATED,
        crate::http::Format::Json,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    )
}

async fn read_json(ctx: &Context, body: hyper::body::Incoming) -> Result<Value> {
    let bytes = read_body(body).await?;
    let value = decode_body(&content_type(&ctx.headers), &bytes)?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be an object"));
    }
    Ok(value)
}

/// Checks that a subresource body names the pod of the URL.
fn check_name(ctx: &Context, body: &Value, kind: &str) -> Result<()> {
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name != ctx.info.name {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in {kind} object"
        )));
    }
    Ok(())
}

/// `POST pods/NAME/binding`: sets `spec.nodeName` once, as the scheduler does.
pub async fn bind(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let binding = read_json(ctx, body).await?;
    check_name(ctx, &binding, "Binding")?;
    let key = ctx.key(&ctx.info.name);
    for _ in 0..RETRIES {
        let (mut pod, kv) = current(ctx, &key).await?;
        if let Some(uid) = binding.pointer("/metadata/uid").and_then(Value::as_str) {
            if pod.pointer("/metadata/uid").and_then(Value::as_str) != Some(uid) {
                return Err(conflict(
                    ctx,
                    format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        pod.pointer("/metadata/uid")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    ),
                ));
            }
        }
        api::strategy::bind_pod(&mut pod, &binding, &now()).map_err(|error| match error {
            api::strategy::BindError::Invalid(errors) => ApiError::Invalid {
                kind: "Binding".into(),
                group: String::new(),
                name: ctx.info.name.clone(),
                errors,
            },
            api::strategy::BindError::Conflict(detail) => conflict(ctx, detail),
        })?;
        if ctx.dry_run()? {
            return Ok(created());
        }
        match ctx
            .state
            .store
            .update(&key, codec::encode_stored(&pod), kv.mod_revision)
            .await
        {
            Ok(_) => return Ok(created()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(StoreError::NotFound { .. }) => return Err(ctx.not_found(&ctx.info.name)),
            Err(error) => return Err(error.into()),
        }
    }
    Err(conflict(
        ctx,
        "the object has been modified; please apply your changes to the latest version and try again".into(),
    ))
}

fn conflict(ctx: &Context, detail: String) -> ApiError {
    ApiError::Conflict {
        resource: ctx.qualified(),
        name: ctx.info.name.clone(),
        detail,
    }
}

/// `POST pods/NAME/eviction`: deletes the pod unless that would break its
/// PodDisruptionBudget, whose allowance it then uses up.
pub async fn evict(ctx: &Context, body: hyper::body::Incoming) -> Result<Response<Body>> {
    let eviction = read_json(ctx, body).await?;
    check_name(ctx, &eviction, "Eviction")?;
    let opts = match eviction.get("deleteOptions") {
        Some(options) if options.is_object() => DeleteOptions::from_value(options)?,
        _ => DeleteOptions::default(),
    };
    let key = ctx.key(&ctx.info.name);
    let (pod, _) = current(ctx, &key).await?;
    if !ignores_budget(&pod) {
        use_budget(ctx, &pod).await?;
    }
    delete_one(ctx, &ctx.info.name, &opts).await?;
    Ok(created())
}

/// Pods that are done, not yet running or already going can be evicted without
/// asking their budget, as upstream does.
fn ignores_budget(pod: &Value) -> bool {
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    matches!(phase, "Succeeded" | "Failed" | "Pending")
        || pod.pointer("/metadata/deletionTimestamp").is_some()
}

/// Finds the pod's disruption budget and takes one disruption from it, or
/// answers 429 as upstream does when none is allowed.
async fn use_budget(ctx: &Context, pod: &Value) -> Result<()> {
    let Some(budgets) = api::resource::lookup("policy", "v1", "poddisruptionbudgets") else {
        return Ok(());
    };
    let namespace = &ctx.info.namespace;
    let labels = pod
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let prefix = super::prefix(budgets, namespace);
    for _ in 0..RETRIES {
        let (matching, _, _) = ctx
            .cache()
            .list(&prefix, None, 0, |o| budget_selects(&o.value, &labels));
        let budget = match matching.as_slice() {
            [] => return Ok(()),
            [one] => one.value.clone(),
            _ => {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ))
            }
        };
        let name = api::meta::name(&budget).to_string();
        let refuse = |cause: String| ApiError::TooManyRequests {
            message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
            causes: vec![("DisruptionBudget".into(), cause)],
        };
        let generation = budget
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let observed = budget
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if observed < generation {
            return Err(refuse(format!(
                "The disruption budget {name} is still being processed by the server."
            )));
        }
        let allowed = budget
            .pointer("/status/disruptionsAllowed")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if allowed <= 0 {
            let desired = budget
                .pointer("/status/desiredHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let healthy = budget
                .pointer("/status/currentHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            return Err(refuse(format!(
                "The disruption budget {name} needs {desired} healthy pods and has {healthy} currently"
            )));
        }
        if ctx.dry_run()? {
            return Ok(());
        }
        // Take one disruption and note the pod, so the disruption controller
        // does not hand the same allowance out twice.
        let budget_key = super::key(budgets, namespace, &name);
        let Ok(response) = ctx.state.store.get(&budget_key, 0).await else {
            continue;
        };
        let Some(kv) = response.kv else {
            continue;
        };
        let mut stored =
            codec::decode_stored(&kv.value, kv.mod_revision).map_err(ApiError::internal)?;
        stored["status"]["disruptionsAllowed"] = json!(allowed - 1);
        stored["status"]["disruptedPods"][api::meta::name(pod)] = json!(now());
        match ctx
            .state
            .store
            .update(&budget_key, codec::encode_stored(&stored), kv.mod_revision)
            .await
        {
            Ok(_) => return Ok(()),
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::TooManyRequests {
        message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
        causes: Vec::new(),
    })
}

/// Whether a budget's selector selects pods with `labels`; a budget without a
/// selector, or with an empty one, selects nothing (policy/v1).
fn budget_selects(budget: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    let Some(selector) = budget.pointer("/spec/selector") else {
        return false;
    };
    let empty = selector.as_object().is_none_or(|s| s.is_empty());
    if empty {
        return false;
    }
    api::selector::LabelSelector::from_api(selector)
        .map(|s| s.matches(Some(labels)))
        .unwrap_or(false)
}

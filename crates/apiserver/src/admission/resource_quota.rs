//! ResourceQuota admission (upstream `apiserver/pkg/admission/plugin/resourcequota`),
//! the last plugin: an object is measured against every quota of its
//! namespace that tracks its kind and whose scopes select it (`api::quota`);
//! a creation that would take a quota's usage past its hard limit is refused
//! with upstream's `exceeded quota` message, pods that leave a tracked
//! compute resource unstated with `must specify`. An admitted creation is
//! charged to each such quota's `status.used` by compare-and-swap on the
//! quota in the store before the object is written, so concurrent creations
//! cannot overrun a quota; the ResourceQuota controller later recounts usage
//! from the objects (freeing what deleted objects used).

use std::collections::HashSet;

use api::quota::{
    add, exceeded, from_json, mask, matching_resources, pod_constraints, pretty, scopes_match,
    to_json, usage,
};
use serde_json::Value;
use store::StoreError;

use super::{cached_list, forbidden};
use crate::codec;
use crate::error::{ApiError, Result};
use crate::handlers::Context;

/// How often the charge is retried after losing a race on a quota.
const MAX_ATTEMPTS: usize = 16;

/// A quota an admitted object is charged to.
struct Charge {
    name: String,
    key: String,
    quota: Value,
    revision: store::Revision,
}

pub async fn admit(ctx: &Context, obj: &Value) -> Result<()> {
    let delta = usage(
        ctx.resource.group,
        ctx.resource.plural,
        obj,
        chrono::Utc::now().timestamp(),
    );
    charge(ctx, obj, delta).await
}

/// An update is charged what it adds: services that gain node ports or a
/// load balancer, claims that grow (upstream's evaluators that handle
/// updates); other kinds are charged on create only.
pub async fn admit_update(ctx: &Context, new: &Value, old: &Value) -> Result<()> {
    let (group, plural) = (ctx.resource.group, ctx.resource.plural);
    if !(group.is_empty() && matches!(plural, "services" | "persistentvolumeclaims")) {
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp();
    let before = usage(group, plural, old, now);
    let delta: api::quota::ResourceList = usage(group, plural, new, now)
        .into_iter()
        .filter_map(|(name, q)| {
            let grown = q.0 - before.get(&name).map_or(0, |b| b.0);
            (grown > 0).then_some((name, api::quota::Quantity(grown)))
        })
        .collect();
    if delta.is_empty() {
        return Ok(());
    }
    charge(ctx, new, delta).await
}

async fn charge(ctx: &Context, obj: &Value, delta: api::quota::ResourceList) -> Result<()> {
    let namespace = &ctx.info.namespace;
    let quotas = cached_list(ctx, "", "resourcequotas", namespace);
    if quotas.is_empty() {
        return Ok(());
    }
    let Some(quota_resource) = api::resource::lookup("", "v1", "resourcequotas") else {
        return Ok(());
    };
    let group = ctx.resource.group;
    let plural = ctx.resource.plural;
    let names: Vec<String> = quotas
        .iter()
        .map(|q| api::meta::name(q).to_string())
        .collect();
    let dry_run = ctx.dry_run()?;
    let mut charged: HashSet<String> = HashSet::new();
    for _ in 0..MAX_ATTEMPTS {
        let mut charges = Vec::new();
        for name in names.iter().filter(|n| !charged.contains(*n)) {
            let key = crate::handlers::key(quota_resource, namespace, name);
            let Some(kv) = ctx.state.store.get(&key, 0).await?.kv else {
                continue;
            };
            let Ok(quota) = codec::decode_stored(&kv.value, kv.mod_revision) else {
                continue;
            };
            let hard = from_json(quota.pointer("/status/hard"));
            let restricted = matching_resources(group, plural, hard.keys());
            if restricted.is_empty() || !scopes_match(&quota, group, plural, obj) {
                continue;
            }
            if group.is_empty() && plural == "pods" {
                pod_constraints(obj, &restricted)
                    .map_err(|e| forbidden(ctx, obj, format!("failed quota: {name}: {e}")))?;
            }
            let used = from_json(quota.pointer("/status/used"));
            if restricted.iter().any(|r| !used.contains_key(r)) {
                let mut sorted = restricted.clone();
                sorted.sort();
                return Err(forbidden(
                    ctx,
                    obj,
                    format!(
                        "status unknown for quota: {name}, resources: {}",
                        sorted.join(",")
                    ),
                ));
            }
            let requested = mask(&delta, hard.keys());
            if requested.is_empty() {
                continue;
            }
            let new_usage = add(&used, &requested);
            let over = exceeded(&mask(&new_usage, requested.keys()), &hard);
            if !over.is_empty() {
                return Err(forbidden(
                    ctx,
                    obj,
                    format!(
                        "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                        pretty(&mask(&requested, over.iter())),
                        pretty(&mask(&used, over.iter())),
                        pretty(&mask(&hard, over.iter())),
                    ),
                ));
            }
            let mut quota = quota;
            quota["status"]["used"] = to_json(&new_usage);
            charges.push(Charge {
                name: name.clone(),
                key,
                quota,
                revision: kv.mod_revision,
            });
        }
        if dry_run {
            return Ok(());
        }
        let mut lost_race = false;
        for charge in charges {
            match ctx
                .state
                .store
                .update(
                    &charge.key,
                    codec::encode_stored(&charge.quota),
                    charge.revision,
                )
                .await
            {
                Ok(_) => {
                    charged.insert(charge.name);
                }
                Err(StoreError::Conflict { .. }) => lost_race = true,
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !lost_race {
            return Ok(());
        }
    }
    Err(ApiError::internal("resource quota evaluation timed out"))
}

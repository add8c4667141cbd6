//! GET and LIST: from the watch cache when it is fresh enough for the asked
//! resourceVersion, from the store for paginated continuations at an old revision.

use std::time::Duration;

use api::selector::{FieldSelector, LabelSelector};
use base64::Engine;
use bytes::{BufMut, BytesMut};
use http::{Response, StatusCode};
use serde_json::{json, Value};
use store::{RangeRequest, Revision, StoreError};

use super::Context;
use crate::cache::CachedObject;
use crate::codec;
use crate::error::{ApiError, Result};
use crate::http::{respond, respond_bytes, Body, Format};

/// How long a read waits for the cache to reach the revision it needs.
const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// What `resourceVersion` asks of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAt {
    /// Unset: the latest state (a consistent read).
    Latest,
    /// "0": any state the server has.
    Any,
    /// At least this revision.
    NotOlderThan(Revision),
}

pub fn read_at(ctx: &Context) -> Result<ReadAt> {
    match ctx.query.get("resourceVersion").map(String::as_str) {
        None | Some("") => Ok(ReadAt::Latest),
        Some("0") => Ok(ReadAt::Any),
        Some(rv) => rv
            .parse::<Revision>()
            .map(ReadAt::NotOlderThan)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}"))),
    }
}

/// Waits until the cache has every write up to what `at` asks. False if it did
/// not catch up in time.
pub async fn cache_fresh(ctx: &Context, at: ReadAt) -> Result<bool> {
    let needed = match at {
        ReadAt::Any => return Ok(true),
        ReadAt::NotOlderThan(rv) => rv,
        ReadAt::Latest => ctx.state.store.current_revision().await?,
    };
    if ctx.cache().wait_for(needed, FRESHNESS_WAIT).await {
        return Ok(true);
    }
    match at {
        ReadAt::NotOlderThan(rv) => Err(ApiError::Timeout {
            message: format!(
                "Too large resource version: {rv}, current: {}",
                ctx.cache().revision()
            ),
        }),
        _ => Ok(false),
    }
}

pub async fn get(ctx: &Context) -> Result<Response<Body>> {
    let name = &ctx.info.name;
    let key = ctx.key(name);
    let at = read_at(ctx)?;
    let object = if at == ReadAt::Latest {
        // A consistent read of one key is cheapest from the store itself.
        let response = ctx.state.store.get(&key, 0).await?;
        match response.kv {
            Some(kv) => {
                Some(codec::decode_stored(&kv.value, kv.mod_revision).map_err(ApiError::internal)?)
            }
            None => None,
        }
    } else {
        cache_fresh(ctx, at).await?;
        ctx.cache().get(&key).0.map(|o| o.value.clone())
    };
    let object = ctx.output(object.ok_or_else(|| ctx.not_found(name))?)?;
    if let Some(printer) = super::table::Printer::for_request(ctx)? {
        return Ok(super::table::object(&printer, &object));
    }
    if ctx.format == Format::PartialObjectMetadata {
        return Ok(respond(
            StatusCode::OK,
            Format::Json,
            &super::metadata::partial(&object),
        ));
    }
    Ok(respond(StatusCode::OK, ctx.format, &object))
}

/// The selectors of a list or watch request.
pub struct Selectors {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selectors {
    pub fn parse(ctx: &Context) -> Result<Self> {
        let labels = match ctx.query.get("labelSelector") {
            Some(text) => {
                LabelSelector::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))?
            }
            None => LabelSelector::default(),
        };
        let fields = match ctx.query.get("fieldSelector") {
            Some(text) => {
                FieldSelector::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))?
            }
            None => FieldSelector::default(),
        };
        // Refuse field labels the resource does not support before scanning.
        let probe = json!({"metadata": {}});
        for field in fields.fields() {
            if let Err(label) = api::strategy::field_label(ctx.resource, &probe, field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {label}"
                )));
            }
        }
        Ok(Selectors { labels, fields })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    pub fn matches(&self, ctx: &Context, obj: &Value) -> bool {
        self.labels.matches(api::meta::labels(obj))
            && self
                .fields
                .matches(|field| api::strategy::field_label(ctx.resource, obj, field).ok())
    }
}

/// The continue token: the revision of the first page and the key to start from,
/// in upstream's shape (base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"..."}`).
fn encode_continue(revision: Revision, start: &str) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": revision, "start": start});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str, prefix: &str) -> Result<(Revision, String)> {
    let invalid = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let bytes = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(token))
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let revision = value["rv"]
        .as_i64()
        .filter(|rv| *rv > 0)
        .ok_or_else(invalid)?;
    let start = value["start"].as_str().ok_or_else(invalid)?;
    if start.contains("..") || start.starts_with('/') {
        return Err(invalid());
    }
    Ok((revision, format!("{prefix}{start}")))
}

/// One page of a list.
struct Page {
    items: Vec<std::sync::Arc<CachedObject>>,
    revision: Revision,
    /// The key after which the next page starts, if more follow.
    next: Option<String>,
    /// How many objects follow this page, for an unfiltered list.
    remaining: Option<i64>,
}

pub async fn list(ctx: &Context) -> Result<Response<Body>> {
    let selectors = Selectors::parse(ctx)?;
    let limit: usize = match ctx.query.get("limit") {
        Some(l) if !l.is_empty() => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?
            .max(0) as usize,
        _ => 0,
    };
    let prefix = super::prefix(ctx.resource, &ctx.info.namespace);
    let page = match ctx.query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let (revision, start) = decode_continue(token, &prefix)?;
            list_from_store(ctx, &selectors, &prefix, Some(start), limit, revision).await?
        }
        None => {
            let at = read_at(ctx)?;
            if cache_fresh(ctx, at).await? {
                let (items, more, revision) = ctx.cache().list(&prefix, None, limit, |o| {
                    selectors.is_empty() || selectors.matches(ctx, &o.value)
                });
                let next = if more {
                    items.last().map(|o| key_of(ctx, &o.value))
                } else {
                    None
                };
                let remaining = next
                    .as_ref()
                    .filter(|_| selectors.is_empty())
                    .map(|last| ctx.cache().count_after(&prefix, last) as i64);
                Page {
                    items,
                    revision,
                    next,
                    remaining,
                }
            } else {
                list_from_store(ctx, &selectors, &prefix, None, limit, 0).await?
            }
        }
    };
    let continue_token = page
        .next
        .as_ref()
        .map(|last| encode_continue(page.revision, &format!("{}\0", &last[prefix.len()..])));
    list_response(ctx, page, continue_token)
}

fn key_of(ctx: &Context, obj: &Value) -> String {
    super::key(
        ctx.resource,
        api::meta::namespace(obj),
        api::meta::name(obj),
    )
}

/// Reads a page from the store at `revision` (0 = latest), scanning on until
/// `limit` objects match the selectors.
async fn list_from_store(
    ctx: &Context,
    selectors: &Selectors,
    prefix: &str,
    start: Option<String>,
    limit: usize,
    revision: Revision,
) -> Result<Page> {
    let mut request = RangeRequest {
        prefix: prefix.to_string(),
        start_key: start,
        limit: if limit == 0 { 0 } else { limit.max(100) },
        revision,
    };
    let mut items = Vec::new();
    loop {
        let response = ctx.state.store.range(request.clone()).await.map_err(|e| match e {
            StoreError::Compacted { .. } => ApiError::Expired {
                message: "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to list a continuation with a consistent snapshot.".to_string(),
            },
            other => other.into(),
        })?;
        request.revision = response.revision;
        for (index, kv) in response.kvs.iter().enumerate() {
            let value =
                codec::decode_stored(&kv.value, kv.mod_revision).map_err(ApiError::internal)?;
            if !selectors.is_empty() && !selectors.matches(ctx, &value) {
                continue;
            }
            if limit > 0 && items.len() == limit {
                let last = items
                    .last()
                    .map(|o: &std::sync::Arc<CachedObject>| key_of(ctx, &o.value));
                // `count` runs from this response's first key: all from
                // `index` on remain.
                let remaining = selectors.is_empty().then(|| response.count - index as i64);
                return Ok(Page {
                    items,
                    revision: response.revision,
                    next: last,
                    remaining,
                });
            }
            items.push(CachedObject::new(value));
        }
        match (response.more, response.kvs.last()) {
            (true, Some(last)) => request.start_key = Some(format!("{}\0", last.key)),
            _ => {
                return Ok(Page {
                    items,
                    revision: response.revision,
                    next: None,
                    remaining: None,
                })
            }
        }
    }
}

fn list_response(
    ctx: &Context,
    page: Page,
    continue_token: Option<String>,
) -> Result<Response<Body>> {
    let mut metadata = json!({"resourceVersion": page.revision.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
        if let Some(remaining) = page.remaining {
            metadata["remainingItemCount"] = json!(remaining);
        }
    }
    if let Some(printer) = super::table::Printer::for_request(ctx)? {
        let items = page.items.iter().map(|o| &o.value);
        return super::table::list(ctx, &printer, items, metadata);
    }
    if ctx.format == Format::PartialObjectMetadata {
        let items = page.items.iter().map(|o| &o.value);
        return Ok(respond(
            StatusCode::OK,
            Format::Json,
            &super::metadata::list(items, metadata),
        ));
    }
    let api_version = ctx.resource.api_version();
    let kind = ctx.resource.list_kind();
    // The common case, JSON in the storage version, is assembled from the cached
    // encodings of the items without re-encoding them.
    if ctx.format != Format::Yaml && ctx.resource.is_storage_version() {
        let mut out = BytesMut::with_capacity(
            256 + page.items.iter().map(|o| o.json().len() + 1).sum::<usize>(),
        );
        out.put_slice(
            format!(
                "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{},\"items\":[",
                json!(kind),
                json!(api_version),
                metadata
            )
            .as_bytes(),
        );
        for (i, item) in page.items.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            out.put_slice(item.json());
        }
        out.put_slice(b"]}");
        return Ok(respond_bytes(
            StatusCode::OK,
            "application/json",
            out.freeze(),
        ));
    }
    let items = page
        .items
        .iter()
        .map(|o| ctx.output(o.value.clone()))
        .collect::<Result<Vec<_>>>()?;
    let list =
        json!({"kind": kind, "apiVersion": api_version, "metadata": metadata, "items": items});
    Ok(respond(StatusCode::OK, ctx.format, &list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let token = encode_continue(42, "ns/b\0");
        assert_eq!(
            decode_continue(&token, "/registry/core/pods/").unwrap(),
            (42, "/registry/core/pods/ns/b\0".to_string())
        );
        assert_eq!(decode_continue("garbage", "/p/").unwrap_err().code(), 400);
    }
}

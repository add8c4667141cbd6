//! Serving the OpenAPI documents of `api::openapi`: the v3 index, the v3
//! document of each group version, and the v2 document as JSON or protobuf,
//! as kube-openapi's `handler3` and `handler` serve them.
//!
//! Documents are generated on first request, on a blocking thread, and only
//! their encoded bytes are kept, so an idle server holds none of them. The
//! index needs every v3 document's hash: it generates each, keeps the hash and
//! drops the document. A `?hash=` that matches is answered with
//! `Cache-Control: public, immutable`; a stale one is redirected (301) to the
//! current URL; every answer carries an `ETag` and honours `If-None-Match`.
//! Everything kept is dropped when the set of served resources changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderMap, Response};
use serde_json::{json, Map};

use super::{cached, etag_of, hash, moved, IMMUTABLE, KUBE_GIT_VERSION};
use crate::error::ApiError;
use crate::http::Body;

/// The media type kubectl asks `/openapi/v2` for, and the one upstream answers with.
const PROTOBUF_ASKED: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// An encoded document with its hash and entity tag.
struct Encoded {
    bytes: Bytes,
    hash: String,
    etag: String,
}

impl Encoded {
    fn new(bytes: Vec<u8>) -> Arc<Encoded> {
        Arc::new(Encoded {
            hash: hash(&bytes),
            etag: etag_of(&bytes),
            bytes: Bytes::from(bytes),
        })
    }
}

/// What is kept, for one set of served resources.
#[derive(Default)]
struct Kept {
    fingerprint: String,
    index: Option<Arc<Encoded>>,
    v3: HashMap<String, Arc<Encoded>>,
    v2_json: Option<Arc<Encoded>>,
    v2_protobuf: Option<Arc<Encoded>>,
}

/// The kept documents, emptied first if the served resources changed.
fn kept() -> MutexGuard<'static, Kept> {
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    let fingerprint = fingerprint();
    let mut kept = KEPT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if kept.fingerprint != fingerprint {
        *kept = Kept {
            fingerprint,
            ..Kept::default()
        };
    }
    kept
}

/// What the documents are made from: every served group version's resources.
fn fingerprint() -> String {
    // A CRD's schema can change without its resources changing.
    let mut text = format!("{};", api::resource::custom::generation());
    for group in api::resource::groups() {
        for version in &group.versions {
            for r in api::resource::resources_of(group.group, version) {
                text.push_str(&format!(
                    "{}/{}/{}/{}/{}/{:?}/{:?};",
                    r.group, r.version, r.plural, r.kind, r.namespaced, r.verbs, r.subresources
                ));
            }
        }
    }
    hash(text.as_bytes())
}

/// Runs a generator off the async threads.
async fn generate<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::internal(format!("generating the OpenAPI document: {error}")))
}

fn v3_bytes(group: &str, version: &str) -> Option<Vec<u8>> {
    let document = api::openapi::v3_document(group, version, KUBE_GIT_VERSION)?;
    serde_json::to_vec(&document).ok()
}

/// `/openapi/v3`: where each group version's document is, with its hash.
pub async fn v3_index(headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
    let known = kept().index.clone();
    let index = match known {
        Some(index) => index,
        None => {
            let index = generate(|| {
                let paths: Map<String, serde_json::Value> = api::openapi::group_versions()
                    .into_iter()
                    .filter_map(|(group, version)| {
                        let path = api::openapi::v3_path(group, version);
                        let hash = hash(&v3_bytes(group, version)?);
                        let url = format!("/openapi/v3/{path}?hash={hash}");
                        Some((path, json!({ "serverRelativeURL": url })))
                    })
                    .collect();
                Encoded::new(serde_json::to_vec(&json!({ "paths": paths })).unwrap_or_default())
            })
            .await?;
            kept().index.get_or_insert(index).clone()
        }
    };
    Ok(cached(
        headers,
        "application/json",
        index.bytes.clone(),
        &index.etag,
        &[],
    ))
}

/// `/openapi/v3/{api/v1 | apis/group/version}[?hash=...]`.
pub async fn v3_document(
    path: &str,
    query: &crate::request::Query,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let Some((group, version)) = api::openapi::parse_v3_path(path) else {
        return Err(ApiError::NoRoute);
    };
    if preferred(headers, &["application/json"]).is_none() {
        return Err(not_acceptable("application/json"));
    }
    let path = api::openapi::v3_path(group, version);
    let known = kept().v3.get(&path).cloned();
    let document = match known {
        Some(document) => document,
        None => {
            let document = generate(move || v3_bytes(group, version).map(Encoded::new))
                .await?
                .ok_or(ApiError::NoRoute)?;
            kept().v3.entry(path.clone()).or_insert(document).clone()
        }
    };
    let extra: &[_] = match query.get("hash") {
        Some(asked) if *asked != document.hash => {
            return Ok(moved(&format!("/openapi/v3/{path}?hash={}", document.hash)))
        }
        Some(_) => &[IMMUTABLE],
        None => &[],
    };
    Ok(cached(
        headers,
        "application/json",
        document.bytes.clone(),
        &document.etag,
        extra,
    ))
}

/// `/openapi/v2`: JSON, or gnostic protobuf when asked for.
pub async fn v2_document(headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
    let protobuf = match preferred(headers, &["application/json", PROTOBUF_ASKED, PROTOBUF]) {
        Some(media) => media != "application/json",
        None => return Err(not_acceptable(&format!("application/json, {PROTOBUF}"))),
    };
    let known = v2_slot(&mut kept(), protobuf).clone();
    let encoded = match known {
        Some(encoded) => encoded,
        None => {
            let encoded = generate(move || {
                let document = api::openapi::v2_document(KUBE_GIT_VERSION);
                if protobuf {
                    Encoded::new(api::openapi::v2_protobuf(&document))
                } else {
                    Encoded::new(serde_json::to_vec(&document).unwrap_or_default())
                }
            })
            .await?;
            v2_slot(&mut kept(), protobuf)
                .get_or_insert(encoded)
                .clone()
        }
    };
    let content_type = if protobuf {
        PROTOBUF
    } else {
        "application/json"
    };
    Ok(cached(
        headers,
        content_type,
        encoded.bytes.clone(),
        &encoded.etag,
        &[],
    ))
}

fn v2_slot(kept: &mut Kept, protobuf: bool) -> &mut Option<Arc<Encoded>> {
    if protobuf {
        &mut kept.v2_protobuf
    } else {
        &mut kept.v2_json
    }
}

/// The first of `offered` that the `Accept` header allows, in the header's
/// order (`*/*` and `application/*` allow the first offered); no header
/// allows anything.
fn preferred(headers: &HeaderMap, offered: &[&'static str]) -> Option<&'static str> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return offered.first().copied();
    };
    if accept.trim().is_empty() {
        return offered.first().copied();
    }
    let mut items: Vec<(f32, &str)> = accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next()?;
            let quality = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, media))
        })
        .collect();
    // Stable: equal qualities keep the header's order.
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    items.into_iter().find_map(|(_, media)| match media {
        "*/*" | "application/*" => offered.first().copied(),
        media => offered.iter().find(|o| **o == media).copied(),
    })
}

fn not_acceptable(types: &str) -> ApiError {
    ApiError::NotAcceptable {
        message: format!("only the following media types are accepted: {types}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).unwrap());
        headers
    }

    #[test]
    fn media_type_preference() {
        let offered = ["application/json", PROTOBUF_ASKED, PROTOBUF];
        assert_eq!(
            preferred(&headers(PROTOBUF_ASKED), &offered),
            Some(PROTOBUF_ASKED)
        );
        assert_eq!(
            preferred(&headers("application/json"), &offered),
            Some("application/json")
        );
        assert_eq!(
            preferred(&headers("application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf"), &offered),
            Some(PROTOBUF)
        );
        assert_eq!(preferred(&headers("text/html"), &offered), None);
        assert_eq!(
            preferred(&HeaderMap::new(), &offered),
            Some("application/json")
        );
        assert_eq!(
            preferred(&headers("*/*"), &offered),
            Some("application/json")
        );
    }
}

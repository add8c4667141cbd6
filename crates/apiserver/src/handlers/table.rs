//! Server-side printing: GET, LIST and WATCH answered as a `meta.k8s.io` Table
//! when the client asks for one (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`,
//! what `kubectl get` sends).
//!
//! The columns and cells come from [`api::printing`]; this module picks the
//! Table version and `includeObject`, measures ages against the clock, and
//! fills the list metadata, as upstream's `transformResponseObject`, `asTable`
//! and watch encoder do (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go`).
//! A watch sends the column definitions with its first event only.

use std::sync::atomic::{AtomicBool, Ordering};

use api::printing::{IncludeObject, TableOptions};
use api::ResourceInfo;
use http::{HeaderMap, Response, StatusCode};
use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::Context;
use crate::error::{ApiError, Result};
use crate::http::{respond, Body, Format};

/// How the tables of one request are built.
#[derive(Debug)]
pub struct Printer {
    resource: &'static ResourceInfo,
    include_object: IncludeObject,
    /// "meta.k8s.io/v1", or "meta.k8s.io/v1beta1" when that was asked first.
    api_version: &'static str,
    /// Set once a table with column definitions went out (watch events after
    /// the first carry none).
    headers_sent: AtomicBool,
}

impl Printer {
    /// The printer of a request that asked for a Table; `None` for any other
    /// format. 400 for an unknown `includeObject`.
    pub fn for_request(ctx: &Context) -> Result<Option<Printer>> {
        if ctx.format != Format::Table {
            return Ok(None);
        }
        let include_object =
            api::printing::IncludeObject::parse(ctx.query.get("includeObject").map(String::as_str))
                .map_err(|error| {
                    ApiError::bad_request(format!(
                        "Unable to convert to Table as requested: {error}"
                    ))
                })?;
        Ok(Some(Printer {
            resource: ctx.resource,
            include_object,
            api_version: table_version(&ctx.headers),
            headers_sent: AtomicBool::new(false),
        }))
    }

    /// The table of `objects` (in the version of the request) with this list
    /// metadata.
    pub fn table(&self, objects: &[&Value], metadata: Value) -> Value {
        let options = TableOptions {
            now: now(),
            include_object: self.include_object,
            no_headers: self.headers_sent.swap(true, Ordering::Relaxed),
            api_version: self.api_version,
        };
        api::printing::table(self.resource, objects, metadata, &options)
    }

    /// The one-row table of a single object; its metadata carries the object's
    /// resourceVersion.
    pub fn object_table(&self, object: &Value) -> Value {
        let mut metadata = json!({});
        if let Some(rv) = object.pointer("/metadata/resourceVersion") {
            metadata["resourceVersion"] = rv.clone();
        }
        self.table(&[object], metadata)
    }
}

/// GET as a Table: one row.
pub fn object(printer: &Printer, object: &Value) -> Response<Body> {
    respond(StatusCode::OK, Format::Json, &printer.object_table(object))
}

/// LIST as a Table: a row per item (given in the storage version), with the
/// list's metadata (`resourceVersion`, `continue`, `remainingItemCount`).
pub fn list<'a>(
    ctx: &Context,
    printer: &Printer,
    items: impl Iterator<Item = &'a Value>,
    metadata: Value,
) -> Result<Response<Body>> {
    let converted: Vec<Value>;
    let objects: Vec<&Value> = if ctx.resource.is_storage_version() {
        items.collect()
    } else {
        converted = items
            .map(|item| ctx.output(item.clone()))
            .collect::<Result<_>>()?;
        converted.iter().collect()
    };
    Ok(respond(
        StatusCode::OK,
        Format::Json,
        &printer.table(&objects, metadata),
    ))
}

/// The Table version the client asked for: that of the first `as=Table` media
/// type offered (negotiation accepts only meta.k8s.io v1 and v1beta1).
fn table_version(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for item in accept.split(',') {
        let params: Vec<(&str, &str)> = item
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        if param("as") != Some("Table") || param("g") != Some("meta.k8s.io") {
            continue;
        }
        match param("v") {
            Some("v1") => return "meta.k8s.io/v1",
            Some("v1beta1") => return "meta.k8s.io/v1beta1",
            _ => continue,
        }
    }
    "meta.k8s.io/v1"
}

/// The time ages are measured against.
fn now() -> Timestamp {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    Timestamp::from_nanosecond(i128::from(nanos)).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderValue, ACCEPT};

    fn version(accept: &str) -> &'static str {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).unwrap());
        table_version(&headers)
    }

    #[test]
    fn table_versions() {
        assert_eq!(
            version("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
            "meta.k8s.io/v1"
        );
        assert_eq!(
            version("application/json; as=Table; v=v1beta1; g=meta.k8s.io"),
            "meta.k8s.io/v1beta1"
        );
        assert_eq!(
            version("application/json;as=Table;v=v2;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io"),
            "meta.k8s.io/v1beta1"
        );
    }
}

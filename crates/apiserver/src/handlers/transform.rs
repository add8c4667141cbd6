//! The answers of writes (create, update, patch, delete, and delete of a
//! collection) in the form the client asked for: a Table (`as=Table`, one
//! row per object) or PartialObjectMetadata(List),
//! as upstream's `transformResponseObject` does for every verb. A Status
//! (an immediate deletion) and objects of another kind (a Scale) go out as
//! they are.

use http::Response;
use serde_json::Value;

use super::table::Printer;
use super::Context;
use crate::error::Result;
use crate::http::{full, read_body, Body, Format};

/// How a write's answer is transformed.
pub enum Transform {
    Table(Printer),
    Metadata,
}

impl Transform {
    /// What the request's `Accept` asks of a write's answer (`None`: the
    /// object as it is); 400 for an unknown `includeObject`, before anything
    /// is written.
    pub fn for_request(ctx: &Context) -> Result<Option<Transform>> {
        match ctx.format {
            Format::Table => Ok(Printer::for_request(ctx)?.map(Transform::Table)),
            Format::PartialObjectMetadata => Ok(Some(Transform::Metadata)),
            Format::Json | Format::Yaml => Ok(None),
        }
    }

    /// The transformed answer; errors and answers that are not objects of
    /// the resource's kind are left alone.
    pub async fn apply(&self, ctx: &Context, response: Response<Body>) -> Result<Response<Body>> {
        if !response.status().is_success() {
            return Ok(response);
        }
        let (mut parts, body) = response.into_parts();
        let bytes = read_body(body).await?;
        let object = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let transformed = if kind == ctx.resource.kind {
            match self {
                Transform::Table(printer) => printer.object_table(&object),
                Transform::Metadata => super::metadata::partial(&object),
            }
        } else if kind == ctx.resource.list_kind() {
            // What a delete of a collection deleted.
            let items: Vec<&Value> = object
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            let metadata = object.get("metadata").cloned().unwrap_or(Value::Null);
            match self {
                Transform::Table(printer) => printer.table(&items, metadata),
                Transform::Metadata => super::metadata::list(items.into_iter(), metadata),
            }
        } else {
            return Ok(Response::from_parts(parts, full(bytes)));
        };
        let bytes = serde_json::to_vec(&transformed).unwrap_or_default();
        parts.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        parts.headers.remove(http::header::CONTENT_LENGTH);
        Ok(Response::from_parts(parts, full(bytes)))
    }
}

//! HTTP plumbing: response bodies, content negotiation, reading request bodies,
//! and turning errors into Status responses.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use serde_json::Value;

use crate::error::{ApiError, Result};

/// The body of every response.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Upstream's limit on request bodies (3 MiB).
pub const MAX_REQUEST_BODY: usize = 3 * 1024 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// How a response is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    /// `application/json;as=Table;g=meta.k8s.io;v=v1`
    Table,
    /// `application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` (or
    /// `PartialObjectMetadataList`): the objects' metadata only, what
    /// metadata-only informers ask for.
    PartialObjectMetadata,
}

/// Picks the response format from an `Accept` header; 406 if nothing offered is served.
pub fn negotiate(headers: &HeaderMap) -> Result<Format> {
    let Some(accept) = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(Format::Json);
    };
    if accept.trim().is_empty() {
        return Ok(Format::Json);
    }
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        match media {
            "application/json" => match param("as") {
                None => return Ok(Format::Json),
                // Tables exist in meta.k8s.io v1 and v1beta1 only; any other
                // group or version is skipped, as upstream skips it.
                Some("Table")
                    if param("g") == Some("meta.k8s.io")
                        && matches!(param("v"), Some("v1" | "v1beta1")) =>
                {
                    return Ok(Format::Table)
                }
                Some("PartialObjectMetadata" | "PartialObjectMetadataList")
                    if param("g") == Some("meta.k8s.io")
                        && matches!(param("v"), Some("v1" | "v1beta1")) =>
                {
                    return Ok(Format::PartialObjectMetadata)
                }
                Some(_) => continue,
            },
            "application/yaml" if param("as").is_none() => return Ok(Format::Yaml),
            "*/*" | "application/*" => return Ok(Format::Json),
            _ => continue,
        }
    }
    Err(ApiError::NotAcceptable {
        message: format!(
            "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io (asked for {accept})"
        ),
    })
}

/// A response with `value` encoded as `format` asks. Tables are built by the
/// handlers that print (`handlers/table.rs`: get, list, watch); any other value
/// asked for as a Table (a Status, a written object) is sent as JSON.
pub fn respond(code: StatusCode, format: Format, value: &Value) -> Response<Body> {
    let (content_type, bytes) = match format {
        Format::Yaml => (
            "application/yaml",
            serde_yaml::to_string(value)
                .unwrap_or_default()
                .into_bytes(),
        ),
        Format::Json | Format::Table | Format::PartialObjectMetadata => (
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        ),
    };
    respond_bytes(code, content_type, bytes)
}

pub fn respond_bytes(
    code: StatusCode,
    content_type: &'static str,
    bytes: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The Status response for an error.
pub fn error_response(error: &ApiError) -> Response<Body> {
    let code = StatusCode::from_u16(error.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond(code, Format::Json, &error.status())
}

/// Reads a whole request body, refusing more than [`MAX_REQUEST_BODY`] bytes.
pub async fn read_body<B>(body: B) -> Result<Bytes>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    // Read frame by frame; past the limit keep draining (up to a bound) so the
    // client finishes sending and reads the 413 instead of a reset connection.
    const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
    let mut body = std::pin::pin!(body);
    let mut buffer = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|error| ApiError::bad_request(format!("reading the request body: {error}")))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total <= MAX_REQUEST_BODY {
                buffer.extend_from_slice(&data);
            } else if total > DRAIN_LIMIT {
                break;
            }
        }
    }
    if total > MAX_REQUEST_BODY {
        return Err(ApiError::RequestEntityTooLarge {
            limit: MAX_REQUEST_BODY,
        });
    }
    Ok(buffer.freeze())
}

/// The media type of the request body, without parameters.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Decodes an object body sent as JSON, YAML or protobuf (kubectl's typed
/// commands); 415 for other media types, 400 for malformed documents.
pub fn decode_body(content_type: &str, bytes: &[u8]) -> Result<Value> {
    let value: Value = match content_type {
        "application/json" | "" => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("json: {e}")))?,
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("yaml: {e}")))?
        }
        api::protobuf::MEDIA_TYPE => api::protobuf::decode_envelope(bytes)
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        other => {
            return Err(ApiError::UnsupportedMediaType {
                message: format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {other})"
                ),
            })
        }
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON or YAML object",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Result<Format> {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn negotiation() {
        assert_eq!(accept("application/json").unwrap(), Format::Json);
        assert_eq!(
            accept("application/json;as=Table;v=v1;g=meta.k8s.io,application/json").unwrap(),
            Format::Table
        );
        assert_eq!(accept("application/yaml").unwrap(), Format::Yaml);
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf, */*").unwrap(),
            Format::Json
        );
        assert_eq!(accept("text/html").unwrap_err().code(), 406);
        assert_eq!(
            accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io").unwrap(),
            Format::Table
        );
        assert_eq!(
            accept("application/json;as=Table;v=v2;g=meta.k8s.io")
                .unwrap_err()
                .code(),
            406
        );
        assert_eq!(
            accept("application/json;as=Table;g=meta.k8s.io")
                .unwrap_err()
                .code(),
            406
        );
        assert_eq!(
            accept("application/json;as=Table;v=v1;g=example.com, application/json").unwrap(),
            Format::Json
        );
        assert_eq!(
            accept("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").unwrap(),
            Format::PartialObjectMetadata
        );
        assert_eq!(
            accept("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1").unwrap(),
            Format::PartialObjectMetadata
        );
    }

    #[test]
    fn bodies() {
        assert!(decode_body("application/yaml", b"a: 1").is_ok());
        assert_eq!(
            decode_body("application/json", b"{").unwrap_err().code(),
            400
        );
        assert_eq!(decode_body("text/plain", b"{}").unwrap_err().code(), 415);
        // A Namespace named "n": the prefix, then runtime.Unknown with typeMeta
        // {apiVersion: v1, kind: Namespace} and raw {metadata {name: n}}.
        let namespace = b"k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x05\x0a\x03\x0a\x01n";
        assert_eq!(
            decode_body("application/vnd.kubernetes.protobuf", namespace).unwrap(),
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
        );
        let error = decode_body("application/vnd.kubernetes.protobuf", b"{}").unwrap_err();
        assert_eq!(error.code(), 400);
        assert_eq!(
            decode_body("application/json", b"[1]").unwrap_err().code(),
            400
        );
    }
}

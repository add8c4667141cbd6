//! gzip of large responses, as upstream's compression filter does: when the
//! client accepts gzip and a complete (non-streaming) body is at least
//! 128 KiB, it is sent compressed at the fastest level. Watches stream and are
//! never compressed.

use std::io::Write;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, VARY};
use http::{HeaderMap, Response};
use http_body_util::BodyExt;
use hyper::body::Body as _;

use crate::http::{full, Body};

/// Upstream's threshold for compressing a response.
pub const THRESHOLD: u64 = 128 * 1024;

/// Whether the request's `Accept-Encoding` allows gzip.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// The response, gzipped if the client accepts it and it is large and complete.
pub async fn maybe_gzip(accepts: bool, response: Response<Body>) -> Response<Body> {
    let size = response.body().size_hint().exact();
    if !accepts || size.is_none_or(|s| s < THRESHOLD) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Response::from_parts(parts, full(Bytes::new())),
    };
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    let compressed = match encoder.write_all(&bytes).and_then(|()| encoder.finish()) {
        Ok(compressed) => compressed,
        Err(_) => return Response::from_parts(parts, full(bytes)),
    };
    parts
        .headers
        .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, full(compressed))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("header"),
        );
        headers
    }

    #[test]
    fn reads_accept_encoding() {
        assert!(accepts_gzip(&headers("gzip")));
        assert!(accepts_gzip(&headers("deflate, gzip;q=1.0, *;q=0.5")));
        assert!(!accepts_gzip(&headers("gzip;q=0")));
        assert!(!accepts_gzip(&headers("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn compresses_only_large_bodies() {
        let small = maybe_gzip(true, Response::new(full(vec![b'a'; 100]))).await;
        assert!(small.headers().get(CONTENT_ENCODING).is_none());
        let data = vec![b'a'; THRESHOLD as usize];
        let large = maybe_gzip(true, Response::new(full(data.clone()))).await;
        assert_eq!(large.headers()[CONTENT_ENCODING], "gzip");
        let body = large.into_body().collect().await.expect("body").to_bytes();
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut decoded)
            .expect("gunzip");
        assert_eq!(decoded, data);
        let refused = maybe_gzip(false, Response::new(full(data))).await;
        assert!(refused.headers().get(CONTENT_ENCODING).is_none());
    }
}

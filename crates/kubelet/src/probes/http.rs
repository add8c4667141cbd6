//! The httpGet action, as upstream's prober sends it: one GET per attempt
//! without keep-alive or compression, `User-Agent: kube-probe/1.33` and
//! `Accept: */*` unless the probe sets them, the `Host` header taken from
//! the probe's headers, HTTPS without verifying the certificate, and
//! redirects followed only while they stay on the same host (a redirect
//! elsewhere ends the probe with a warning, which counts as a success).
//! 2xx and 3xx are successes. Lifecycle hooks use the same request with
//! `kube-lifecycle/1.33`, following every redirect (Go's default client).
//!
//! Failures read as Go's `net/http` client writes them:
//! `Get "http://10.42.0.5:8080/healthz": dial tcp 10.42.0.5:8080: connect:
//! connection refused`, `... context deadline exceeded (Client.Timeout
//! exceeded while awaiting headers)`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::{Container, HTTPGetAction};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{join_host_port, resolve_port, tcp, Outcome, KUBE_VERSION};

/// Upstream reads at most this much of a probe's response body.
const MAX_BODY: usize = 10 * 1024;

/// Go's client stops after this many requests in one chain of redirects.
const MAX_REQUESTS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// Where a request goes: scheme, host, port, and path with query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Starts with `/`.
    pub path: String,
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(
            f,
            "{scheme}://{}{}",
            join_host_port(&self.host, self.port),
            self.path
        )
    }
}

impl Url {
    /// The target of a redirect's `Location`, and whether it was relative
    /// (Go keeps a custom `Host` header only through relative redirects).
    fn resolve(&self, location: &str) -> Option<(Url, bool)> {
        if location.contains("://") {
            return Url::parse_absolute(location).map(|u| (u, false));
        }
        if let Some(rest) = location.strip_prefix("//") {
            let scheme = match self.scheme {
                Scheme::Http => "http",
                Scheme::Https => "https",
            };
            return Url::parse_absolute(&format!("{scheme}://{rest}")).map(|u| (u, false));
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else if location.starts_with('?') {
            let base = self.path.split('?').next().unwrap_or("/");
            format!("{base}{location}")
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        Some((
            Url {
                path,
                ..self.clone()
            },
            true,
        ))
    }

    fn parse_absolute(text: &str) -> Option<Url> {
        let uri: http::Uri = text.parse().ok()?;
        let scheme = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("http") => Scheme::Http,
            s if s.eq_ignore_ascii_case("https") => Scheme::Https,
            _ => return None,
        };
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .filter(|p| p.starts_with('/'))
            .unwrap_or_else(|| "/".to_string());
        Some(Url {
            scheme,
            host: host.to_string(),
            port,
            path,
        })
    }
}

/// A GET as upstream builds it from an `HTTPGetAction`.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub url: Url,
    /// Sent as given, after `Host` was taken out.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A `Host` header of the probe, sent instead of the URL's authority.
    pub host_header: Option<String>,
}

impl Request {
    /// The request for an httpGet action: host defaults to `pod_ip`, the
    /// port resolves by number or name, `purpose` makes the user agent
    /// (`probe` → `kube-probe/1.33`, `lifecycle` → `kube-lifecycle/1.33`).
    pub(crate) fn for_action(
        action: &HTTPGetAction,
        container: &Container,
        pod_ip: Option<&str>,
        purpose: &str,
    ) -> Result<Request, String> {
        let scheme = match action
            .scheme
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("") | Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(other) => return Err(format!("unsupported protocol scheme {other:?}")),
        };
        let host = super::host_or_pod_ip(action.host.as_deref(), pod_ip)?;
        let port = resolve_port(&action.port, container)?;
        let path = action.path.clone().unwrap_or_default();
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        let mut headers = Vec::new();
        let mut host_header = None;
        let mut user_agent = false;
        let mut accept = None::<bool>;
        for header in action.http_headers.iter().flatten() {
            let name = HeaderName::from_bytes(header.name.as_bytes())
                .map_err(|_| format!("net/http: invalid header field name {:?}", header.name))?;
            let value = HeaderValue::from_str(&header.value).map_err(|_| {
                format!("net/http: invalid header field value for {:?}", header.name)
            })?;
            if name == http::header::HOST {
                host_header.get_or_insert_with(|| header.value.clone());
                continue;
            }
            if name == http::header::USER_AGENT {
                user_agent = true;
            }
            if name == http::header::ACCEPT && accept.is_none() {
                accept = Some(!header.value.is_empty());
            }
            headers.push((name, value));
        }
        if !user_agent {
            let agent = format!("kube-{purpose}/{KUBE_VERSION}");
            if let Ok(value) = HeaderValue::from_str(&agent) {
                headers.push((http::header::USER_AGENT, value));
            }
        }
        match accept {
            None => headers.push((http::header::ACCEPT, HeaderValue::from_static("*/*"))),
            // Set but empty: upstream removes it.
            Some(false) => headers.retain(|(name, _)| name != http::header::ACCEPT),
            Some(true) => {}
        }
        Ok(Request {
            url: Url {
                scheme,
                host,
                port,
                path,
            },
            headers,
            host_header: host_header.filter(|h| !h.is_empty()),
        })
    }
}

/// What came back: the status and the start of the body.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: String,
}

/// Which redirects are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Redirects {
    /// Probes: only to the same host name; another host ends the chain.
    SameHost,
    /// Hooks: all of them (Go's default client).
    Any,
}

/// One attempt of an httpGet probe within `timeout`.
pub(crate) async fn probe(request: &Request, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, get(request, Redirects::SameHost)).await {
        Err(_) => Outcome::Failure(format!(
            "Get {:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            request.url.to_string()
        )),
        Ok(Err(message)) => Outcome::Failure(message),
        Ok(Ok(response)) => match response.status {
            200..=299 => Outcome::Success,
            300..=399 => Outcome::Warning(format!(
                "Probe terminated redirects, Response body: {}",
                response.body
            )),
            status => Outcome::Failure(format!("HTTP probe failed with statuscode: {status}")),
        },
    }
}

/// Sends the request, following redirects as `redirects` says. Errors are
/// Go's `*url.Error` text: `Get "URL": cause`.
pub(crate) async fn get(request: &Request, redirects: Redirects) -> Result<Response, String> {
    let mut url = request.url.clone();
    let mut host_header = request.host_header.clone();
    let mut sent = 0;
    loop {
        let (status, location, body) =
            send(&url, &request.headers, host_header.as_deref())
                .await
                .map_err(|cause| format!("Get {:?}: {cause}", url.to_string()))?;
        sent += 1;
        let next = match location {
            Some(location) if matches!(status, 301 | 302 | 303 | 307 | 308) => {
                url.resolve(&location)
            }
            _ => None,
        };
        let Some((next, relative)) = next else {
            return Ok(Response { status, body });
        };
        if redirects == Redirects::SameHost && !next.host.eq_ignore_ascii_case(&request.url.host) {
            return Ok(Response { status, body });
        }
        if sent >= MAX_REQUESTS {
            return Err(format!(
                "Get {:?}: stopped after {MAX_REQUESTS} redirects",
                next.to_string()
            ));
        }
        if !relative {
            host_header = None;
        }
        url = next;
    }
}

/// One request on a fresh connection: status, `Location`, body (at most
/// 10 KiB). The error is the cause part of Go's message.
async fn send(
    url: &Url,
    headers: &[(HeaderName, HeaderValue)],
    host_header: Option<&str>,
) -> Result<(u16, Option<String>, String), String> {
    let authority = join_host_port(&url.host, url.port);
    let mut builder = http::Request::get(url.path.as_str())
        .header(http::header::HOST, host_header.unwrap_or(&authority))
        .header(http::header::CONNECTION, "close");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let request = builder
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("net/http: {e}"))?;
    let stream = tcp::dial_unbounded(&url.host, url.port).await?;
    match url.scheme {
        Scheme::Http => exchange(stream, request).await,
        Scheme::Https => {
            let connector = tokio_rustls::TlsConnector::from(insecure_tls()?);
            let name = ServerName::try_from(url.host.clone())
                .map_err(|e| format!("tls: invalid server name: {e}"))?;
            let tls = connector
                .connect(name, stream)
                .await
                .map_err(|e| tls_error(&e))?;
            exchange(tls, request).await
        }
    }
}

/// HTTP/1.1 over an open connection.
async fn exchange<S>(
    stream: S,
    request: http::Request<Empty<Bytes>>,
) -> Result<(u16, Option<String>, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| hyper_error(&e))?;
    let _driver = AbortOnDrop(tokio::spawn(connection));
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| hyper_error(&e))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = response.into_body();
    let mut data = Vec::new();
    while data.len() < MAX_BODY {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(chunk) = frame.data_ref() {
                    data.extend_from_slice(chunk);
                }
            }
            // A body cut short is not fatal: upstream keeps what it read.
            Some(Err(_)) | None => break,
        }
    }
    data.truncate(MAX_BODY);
    Ok((
        status,
        location,
        String::from_utf8_lossy(&data).into_owned(),
    ))
}

/// Aborts the connection task when the request is done or abandoned.
pub(crate) struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn hyper_error(e: &hyper::Error) -> String {
    if e.is_incomplete_message() || e.is_closed() {
        "EOF".to_string()
    } else {
        e.to_string()
    }
}

/// A failed TLS handshake as Go words it; a plain HTTP answer to the
/// ClientHello is the one lifecycle hooks retry over HTTP.
fn tls_error(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidMessage(_)) => HTTP_RESPONSE_TO_HTTPS.to_string(),
        Some(tls) => format!("tls: {tls}"),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => "EOF".to_string(),
        None => e.to_string(),
    }
}

/// Go's message when a server answers HTTPS with plain HTTP.
pub(crate) const HTTP_RESPONSE_TO_HTTPS: &str = "http: server gave HTTP response to HTTPS client";

/// A TLS client that accepts any certificate, as upstream's prober
/// (`InsecureSkipVerify`): pods serve self-signed certificates.
fn insecure_tls() -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Skips the certificate check but still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use http::{Response as HttpResponse, StatusCode};
    use http_body_util::Full;
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use k8s_openapi::api::core::v1::{ContainerPort, HTTPHeader};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use std::sync::Mutex;
    use tokio::net::TcpListener;

    /// What the test server saw of the last request.
    #[derive(Clone, Default)]
    pub(crate) struct Seen(pub Arc<Mutex<Vec<(String, http::HeaderMap)>>>);

    /// A test server on 127.0.0.1: `/ok`, `/fail` (500), `/slow` (answers
    /// after 5 s), `/moved` (302 to `/ok`), `/away` (302 to another host),
    /// `/loop` (302 to itself). Runs until the returned task is aborted.
    pub(crate) async fn server(tls: bool) -> (u16, Seen, AbortOnDrop<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Seen::default();
        let acceptor = tls.then(test_acceptor);
        let record = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let record = record.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let record = record.clone();
                        async move {
                            record
                                .0
                                .lock()
                                .unwrap()
                                .push((req.uri().to_string(), req.headers().clone()));
                            let (status, location, body) = match req.uri().path() {
                                "/ok" => (StatusCode::OK, None, "fine"),
                                "/fail" => (StatusCode::INTERNAL_SERVER_ERROR, None, "broken"),
                                "/slow" => {
                                    tokio::time::sleep(Duration::from_secs(5)).await;
                                    (StatusCode::OK, None, "late")
                                }
                                "/moved" => (StatusCode::FOUND, Some("/ok"), ""),
                                "/away" => (
                                    StatusCode::FOUND,
                                    Some("http://elsewhere.invalid/ok"),
                                    "gone elsewhere",
                                ),
                                "/loop" => (StatusCode::FOUND, Some("loop"), ""),
                                _ => (StatusCode::NOT_FOUND, None, "no"),
                            };
                            let mut response = HttpResponse::builder().status(status);
                            if let Some(location) = location {
                                response = response.header("location", location);
                            }
                            Ok::<_, std::convert::Infallible>(
                                response.body(Full::new(Bytes::from(body))).unwrap(),
                            )
                        }
                    });
                    let builder = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        });
        (port, seen, AbortOnDrop(task))
    }

    fn test_acceptor() -> tokio_rustls::TlsAcceptor {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }

    fn action(scheme: &str, port: u16, path: &str) -> HTTPGetAction {
        HTTPGetAction {
            scheme: Some(scheme.to_string()),
            port: IntOrString::Int(i32::from(port)),
            path: Some(path.to_string()),
            ..Default::default()
        }
    }

    async fn probe_path(scheme: &str, port: u16, path: &str, timeout: u64) -> Outcome {
        let request = Request::for_action(
            &action(scheme, port, path),
            &Container::default(),
            Some("127.0.0.1"),
            "probe",
        )
        .unwrap();
        probe(&request, Duration::from_secs(timeout)).await
    }

    #[tokio::test]
    async fn statuses_redirects_and_timeouts_as_upstream() {
        let (port, seen, _server) = server(false).await;
        assert_eq!(probe_path("HTTP", port, "/ok", 1).await, Outcome::Success);
        assert_eq!(
            probe_path("HTTP", port, "/fail", 1).await,
            Outcome::Failure("HTTP probe failed with statuscode: 500".into())
        );
        assert_eq!(
            probe_path("HTTP", port, "/nothing", 1).await,
            Outcome::Failure("HTTP probe failed with statuscode: 404".into())
        );
        // Same host: followed.
        assert_eq!(
            probe_path("HTTP", port, "/moved", 1).await,
            Outcome::Success
        );
        // Another host: not followed, a warning (a success).
        assert_eq!(
            probe_path("HTTP", port, "/away", 1).await,
            Outcome::Warning("Probe terminated redirects, Response body: gone elsewhere".into())
        );
        assert_eq!(
            probe_path("HTTP", port, "/loop", 1).await,
            Outcome::Failure(format!(
                "Get \"http://127.0.0.1:{port}/loop\": stopped after 10 redirects"
            ))
        );
        assert_eq!(
            probe_path("HTTP", port, "/slow", 1).await,
            Outcome::Failure(format!(
                "Get \"http://127.0.0.1:{port}/slow\": context deadline exceeded \
                 (Client.Timeout exceeded while awaiting headers)"
            ))
        );
        let seen = seen.0.lock().unwrap().clone();
        let (uri, headers) = &seen[0];
        assert_eq!(uri, "/ok");
        assert_eq!(headers["user-agent"], "kube-probe/1.33");
        assert_eq!(headers["accept"], "*/*");
        assert_eq!(headers["host"], format!("127.0.0.1:{port}").as_str());
    }

    #[tokio::test]
    async fn https_skips_certificate_verification() {
        let (port, _seen, _server) = server(true).await;
        assert_eq!(probe_path("HTTPS", port, "/ok", 2).await, Outcome::Success);
        assert_eq!(
            probe_path("HTTPS", port, "/fail", 2).await,
            Outcome::Failure("HTTP probe failed with statuscode: 500".into())
        );
    }

    #[tokio::test]
    async fn refused_connections_read_as_go_writes_them() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert_eq!(
            probe_path("HTTP", port, "/healthz", 1).await,
            Outcome::Failure(format!(
                "Get \"http://127.0.0.1:{port}/healthz\": dial tcp 127.0.0.1:{port}: \
                 connect: connection refused"
            ))
        );
    }

    #[tokio::test]
    async fn headers_named_ports_and_host() {
        let (port, seen, _server) = server(false).await;
        let container = Container {
            ports: Some(vec![ContainerPort {
                name: Some("web".into()),
                container_port: i32::from(port),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let action = HTTPGetAction {
            port: IntOrString::String("web".into()),
            path: Some("ok".into()),
            http_headers: Some(vec![
                HTTPHeader {
                    name: "Host".into(),
                    value: "example.test".into(),
                },
                HTTPHeader {
                    name: "X-Custom".into(),
                    value: "yes".into(),
                },
                HTTPHeader {
                    name: "user-agent".into(),
                    value: "mine".into(),
                },
                HTTPHeader {
                    name: "Accept".into(),
                    value: "".into(),
                },
            ]),
            ..Default::default()
        };
        let request =
            Request::for_action(&action, &container, Some("127.0.0.1"), "lifecycle").unwrap();
        assert_eq!(
            request.url.to_string(),
            format!("http://127.0.0.1:{port}/ok")
        );
        assert_eq!(
            probe(&request, Duration::from_secs(1)).await,
            Outcome::Success
        );
        let seen = seen.0.lock().unwrap().clone();
        let headers = &seen[0].1;
        assert_eq!(headers["host"], "example.test");
        assert_eq!(headers["x-custom"], "yes");
        assert_eq!(headers["user-agent"], "mine");
        assert!(headers.get("accept").is_none());

        let defaults = Request::for_action(
            &HTTPGetAction {
                port: IntOrString::Int(80),
                ..Default::default()
            },
            &container,
            Some("10.42.0.5"),
            "lifecycle",
        )
        .unwrap();
        assert_eq!(defaults.url.to_string(), "http://10.42.0.5:80/");
        assert!(defaults
            .headers
            .iter()
            .any(|(n, v)| n == http::header::USER_AGENT && v == "kube-lifecycle/1.33"));
    }

    #[test]
    fn redirect_locations_resolve_against_the_request() {
        let base = Url {
            scheme: Scheme::Http,
            host: "10.0.0.1".into(),
            port: 8080,
            path: "/a/b?x=1".into(),
        };
        let (u, rel) = base.resolve("c").unwrap();
        assert_eq!(
            (u.to_string(), rel),
            ("http://10.0.0.1:8080/a/c".to_string(), true)
        );
        let (u, _) = base.resolve("/d").unwrap();
        assert_eq!(u.to_string(), "http://10.0.0.1:8080/d");
        let (u, _) = base.resolve("?y=2").unwrap();
        assert_eq!(u.to_string(), "http://10.0.0.1:8080/a/b?y=2");
        let (u, rel) = base.resolve("https://[::1]/z").unwrap();
        assert_eq!(
            (u.to_string(), rel),
            ("https://[::1]:443/z".to_string(), false)
        );
        let (u, _) = base.resolve("//other:81").unwrap();
        assert_eq!(u.to_string(), "http://other:81/");
    }
}

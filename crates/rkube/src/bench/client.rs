//! A small HTTPS client for the benchmarks: TLS with the admin client certificate,
//! and HTTP/2 streams multiplexed over a few connections, as client-go does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// How long one request (until its response head, or its whole body) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Go's HTTP/2 transport windows, which client-go uses: 4 MiB per stream,
/// 1 GiB per connection.
const STREAM_WINDOW: u32 = 4 << 20;
const CONNECTION_WINDOW: u32 = 1 << 30;

/// A response read to its end.
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Reply {
    /// The body as text, for error messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// HTTP/2 connections to one API server; requests go round-robin over them.
pub struct Client {
    connections: Vec<SendRequest<Full<Bytes>>>,
    next: AtomicUsize,
    base: String,
}

impl Client {
    /// Opens `connections` HTTP/2 connections to `127.0.0.1:port`, trusting the
    /// CA and presenting the admin certificate under `tls_dir` (the server's
    /// `DATA_DIR/tls`).
    pub async fn connect(port: u16, tls_dir: &Path, connections: usize) -> Result<Client> {
        let connector = tokio_rustls::TlsConnector::from(tls_config(tls_dir)?);
        let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let mut senders = Vec::with_capacity(connections.max(1));
        for _ in 0..connections.max(1) {
            senders.push(open(&connector, address).await?);
        }
        Ok(Client {
            connections: senders,
            next: AtomicUsize::new(0),
            base: format!("https://{address}"),
        })
    }

    fn sender(&self) -> SendRequest<Full<Bytes>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[i].clone()
    }

    /// Sends a request and returns the response head; the body streams.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Response<Incoming>> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::ACCEPT, "application/json");
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(body.unwrap_or_default()))
            .context("building a request")?;
        let mut sender = self.sender();
        let response = tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request))
            .await
            .with_context(|| format!("{path}: no answer within {REQUEST_TIMEOUT:?}"))?
            .with_context(|| format!("{path}: request failed"))?;
        Ok(response)
    }

    /// Sends a request and reads the whole response.
    pub async fn request(&self, method: Method, path: &str, body: Option<Bytes>) -> Result<Reply> {
        let response = self.send(method, path, body).await?;
        let status = response.status();
        let body = tokio::time::timeout(REQUEST_TIMEOUT, response.into_body().collect())
            .await
            .with_context(|| format!("{path}: body not read within {REQUEST_TIMEOUT:?}"))?
            .with_context(|| format!("{path}: reading the body"))?
            .to_bytes();
        Ok(Reply { status, body })
    }

    /// GET that must answer 200; returns the body.
    pub async fn get_ok(&self, path: &str) -> Result<Bytes> {
        let reply = self.request(Method::GET, path, None).await?;
        if reply.status != StatusCode::OK {
            bail!("GET {path}: {} {}", reply.status, reply.text());
        }
        Ok(reply.body)
    }

    /// POST of a JSON object that must answer 201 Created.
    pub async fn create(&self, path: &str, body: Bytes) -> Result<()> {
        let reply = self.request(Method::POST, path, Some(body)).await?;
        if reply.status != StatusCode::CREATED {
            bail!("POST {path}: {} {}", reply.status, reply.text());
        }
        Ok(())
    }
}

/// One TLS connection speaking HTTP/2 (negotiated by ALPN), its driver spawned.
async fn open(
    connector: &tokio_rustls::TlsConnector,
    address: SocketAddr,
) -> Result<SendRequest<Full<Bytes>>> {
    let tcp = TcpStream::connect(address)
        .await
        .with_context(|| format!("connecting to {address}"))?;
    tcp.set_nodelay(true).context("TCP_NODELAY")?;
    let tls = connector
        .connect(ServerName::IpAddress(address.ip().into()), tcp)
        .await
        .with_context(|| format!("TLS handshake with {address}"))?;
    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        bail!("{address} did not agree to HTTP/2");
    }
    let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake(TokioIo::new(tls))
        .await
        .with_context(|| format!("HTTP/2 handshake with {address}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "benchmark connection ended");
        }
    });
    Ok(sender)
}

/// Trust `ca.crt`; present `admin.crt` and `admin.key`; offer only HTTP/2.
fn tls_config(tls_dir: &Path) -> Result<Arc<rustls::ClientConfig>> {
    let read = |name: &str| {
        let path = tls_dir.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut read("ca.crt")?.as_slice()) {
        roots.add(cert.context("ca.crt")?).context("ca.crt")?;
    }
    let certs = rustls_pemfile::certs(&mut read("admin.crt")?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .context("admin.crt")?;
    let key = rustls_pemfile::private_key(&mut read("admin.key")?.as_slice())
        .context("admin.key")?
        .context("no private key in admin.key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .context("the admin client certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

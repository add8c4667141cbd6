//! The server: configuration, start-up (certificates, kubeconfig, watch cache,
//! bootstrap objects), the TLS accept loop and the routing of each request.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cache::{self, Cache};
use crate::certs::{self, CertError};
use crate::discovery;
use crate::error::ApiError;
use crate::http::{error_response, negotiate, respond, respond_bytes, Body, Format};
use crate::request::{parse_query, route, Route};
use crate::tls::{self, TlsError, UserInfo};

/// How the API server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (upstream `--bind-address`, default all interfaces).
    pub bind_address: IpAddr,
    /// Port for HTTPS (upstream `--secure-port`, default 6443; 0 picks a free one).
    pub secure_port: u16,
    /// Where certificates and the admin kubeconfig live.
    pub data_dir: PathBuf,
    /// Extra names and addresses for the serving certificate.
    pub extra_sans: Vec<String>,
    /// Service IPs and node ports.
    pub admission: crate::admission::Config,
    pub cache: cache::Config,
    /// Service account tokens: issuer, audiences, lifetimes.
    pub auth: crate::auth::Config,
    /// How often old revisions are compacted away (upstream
    /// `--etcd-compaction-interval`, default 5 minutes). Each compaction keeps at
    /// least one interval of history.
    pub compaction_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            secure_port: 6443,
            data_dir: PathBuf::from("/var/lib/rkube"),
            extra_sans: Vec::new(),
            admission: crate::admission::Config::default(),
            cache: cache::Config::default(),
            auth: crate::auth::Config::default(),
            compaction_interval: Duration::from_secs(300),
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("certificates: {0}")]
    Certs(#[from] CertError),
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    #[error("listening on {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("the watch cache stopped before it was filled")]
    CacheNotReady,
}

/// What every request handler shares.
pub struct State {
    pub store: Arc<dyn Store>,
    pub cache: Arc<Cache>,
    pub config: Config,
    pub auth: crate::auth::Auth,
    /// How pods/log, exec, attach and port-forward reach kubelets.
    pub kubelet: crate::handlers::proxy::KubeletClient,
}

/// A started server: listening, with a filled cache, not yet serving.
pub struct Server {
    state: Arc<State>,
    listener: TcpListener,
    tls: tokio_rustls::TlsAcceptor,
    kubeconfig: PathBuf,
    stop_cache: watch::Sender<bool>,
    cache_task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Loads or makes the certificates, binds the port, writes the admin
    /// kubeconfig, fills the watch cache and creates the bootstrap objects.
    pub async fn start(config: Config, store: Arc<dyn Store>) -> Result<Server, ServerError> {
        let pki = certs::load_or_create(&config.data_dir, &config.extra_sans)?;
        let auth = crate::auth::Auth::new(config.auth.clone(), &pki.service_account_key_pem)
            .map_err(|_| CertError::Pem(pki.dir.join("service-account.key")))?;
        let tls = tokio_rustls::TlsAcceptor::from(tls::server_config(&pki)?);
        let kubelet = crate::handlers::proxy::KubeletClient::new(&pki)?;
        let address = SocketAddr::new(config.bind_address, config.secure_port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| ServerError::Bind { address, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?
            .port();
        let mut config = config;
        config.secure_port = port;
        let kubeconfig = config.data_dir.join("kubeconfig.yaml");
        certs::write_kubeconfig(&pki, &format!("https://127.0.0.1:{port}"), &kubeconfig)?;

        let cache = Cache::new(config.cache.clone());
        let (stop_cache, stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let cache_task = tokio::spawn(cache.clone().run(store.clone(), ready_tx, stop_rx));
        let state = Arc::new(State {
            store,
            cache,
            config,
            auth,
            kubelet,
        });
        crate::bootstrap::ensure(&state).await?;
        ready_rx.await.map_err(|_| ServerError::CacheNotReady)?;
        crate::crd::register_stored(&state);
        tokio::spawn(crate::crd::run(state.clone()));
        tokio::spawn(compact_periodically(state.clone(), stop_cache.subscribe()));
        Ok(Server {
            state,
            listener,
            tls,
            kubeconfig,
            stop_cache,
            cache_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.state.config.secure_port
    }

    /// Where the admin kubeconfig was written.
    pub fn kubeconfig_path(&self) -> &std::path::Path {
        &self.kubeconfig
    }

    /// Serves until `shutdown` completes, then stops accepting, lets requests in
    /// flight finish for up to `grace`, and returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()>, grace: Duration) {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let acceptor = self.tls.clone();
            let state = self.state.clone();
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let tls =
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "tls handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                let user = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .and_then(tls::user_from_certificate);
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    let user = user.clone();
                    async move { Ok::<_, Infallible>(handle(state, user, request).await) }
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                if let Err(error) = watcher.watch(connection.into_owned()).await {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight after the grace period");
        }
        let _ = self.stop_cache.send(true);
        let _ = self.cache_task.await;
    }
}

/// Every interval, compacts to the revision seen one interval earlier.
async fn compact_periodically(state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let interval = state.config.compaction_interval;
    if interval.is_zero() {
        return;
    }
    let mut previous: Option<store::Revision> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        if let Some(revision) = previous {
            if let Err(error) = state.store.compact(revision).await {
                tracing::warn!(revision, %error, "compaction failed");
            }
        }
        previous = state.store.current_revision().await.ok();
    }
}

async fn handle(
    state: Arc<State>,
    user: Option<UserInfo>,
    request: Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let gzip = crate::compress::accepts_gzip(request.headers());
    // A bug in one handler answers 500 and leaves the server up, as upstream's
    // panic recovery filter does.
    use futures::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(dispatch(state, user, request))
        .catch_unwind()
        .await;
    let response = match outcome {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => error_response(&error),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%method, %path, panic = %what, "handler panicked");
            error_response(&ApiError::internal(format!(
                "an error on the server (\"{what}\") has prevented the request from succeeding"
            )))
        }
    };
    let response = crate::compress::maybe_gzip(gzip, response).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "request");
    response
}

async fn dispatch(
    state: Arc<State>,
    user: Option<UserInfo>,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let (parts, body) = request.into_parts();
    let query = parse_query(parts.uri.query());
    let route = route(&parts.method, parts.uri.path(), &query);
    let user = crate::auth::admit(&state, user, &parts, &route, &query).await?;
    // Health and version are public, as upstream's system:public-info-viewer.
    match route {
        Route::Health => {
            return Ok(respond_bytes(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                "ok",
            ))
        }
        Route::Version => return Ok(respond(StatusCode::OK, Format::Json, &discovery::version())),
        _ => {}
    }
    if let Some(response) = discovery::serve(&route, &parts.headers, &query).await {
        return response;
    }
    // Upgrading subresources need the whole request (its upgrade).
    if let Route::Resource(info) = &route {
        if crate::handlers::proxy::streams(info) {
            let request = Request::from_parts(parts, body);
            return crate::handlers::proxy::stream(&state, info.clone(), request).await;
        }
    }
    let format = negotiate(&parts.headers)?;
    match route {
        Route::Resource(info) if crate::auth::reviews::serves(&info) => {
            crate::auth::reviews::create(&state, &user, &info, &parts.headers, body).await
        }
        Route::Resource(info) => {
            crate::handlers::handle(state, info, query, parts.headers, format, user, body).await
        }
        _ => Err(ApiError::NoRoute),
    }
}

//! The kubelet HTTPS server: healthz, pods, logs, exec, attach, port-forward,
//! metrics and stats, which the API server proxies pods/log, pods/exec,
//! pods/attach and pods/portforward to.

pub mod exec;
pub mod portforward;
pub mod remotecommand;
pub mod spdy;
pub mod upgrade;
pub mod websocket;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;

/// The body of every kubelet server response.
pub type Body = BoxBody<Bytes, std::io::Error>;

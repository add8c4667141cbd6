//! The kubelet: the node agent. It runs the pods bound to its node through
//! CRI (`cri`) on containerd (`containerd` starts rkube's own when no runtime
//! endpoint is given), with CNI networking (`cni`), volumes, environment,
//! probes and the streaming server (`server`) the API server proxies
//! logs, exec, attach and port-forward to; `agent` ties them together.
//!
//! It also holds the hollow mode (`hollow`), which registers fake nodes and
//! plays the pods bound to them through their lifecycle without running
//! containers, as kubemark and KWOK do, so that the control plane can run
//! and be measured on one machine.
//!
//! Like every component it is an ordinary API client (kube-rs): it learns
//! through watches and acts through API writes.

pub mod agent;
pub mod cni;
mod connection;
pub mod containerd;
pub mod cri;
pub mod env;
mod error;
pub mod hollow;
pub mod hooks;
pub mod images;
pub mod probes;
pub mod server;
pub mod volumes;

pub use connection::Connection;
pub use error::Error;
pub use kube::Client;

//! The kubelet: the node agent. For now it holds only the hollow mode
//! (`hollow`), which registers fake nodes and plays the pods bound to them
//! through their lifecycle without running containers, as kubemark and KWOK
//! do, so that the control plane can run and be measured on one machine.
//!
//! Like every component it is an ordinary API client (kube-rs): it learns
//! through watches and acts through API writes.

mod connection;
mod error;
pub mod hollow;

pub use connection::Connection;
pub use error::Error;
pub use kube::Client;

//! The rkube API server: the only component that touches the store.
//!
//! A request flows through [`server`] (TLS, routing by [`request`]), [`auth`]
//! (authentication, impersonation, RBAC), then either [`discovery`] or
//! [`handlers`], which decode and
//! check objects with the `api` crate, admit them ([`admission`]) and write them to
//! the store with compare-and-swap. Reads and watches are served by the [`cache`],
//! which follows the store through one watch over the whole registry.
//!
//! Start at [`server::Server::start`].

mod admission;
mod auth;
mod bootstrap;
pub mod cache;
pub mod certs;
mod codec;
mod compress;
mod crd;
mod discovery;
mod error;
mod handlers;
mod http;
mod request;
pub mod server;
mod tls;

pub use admission::Config as AdmissionConfig;
pub use auth::Config as AuthConfig;
pub use error::ApiError;
pub use server::{Config, Server, ServerError};

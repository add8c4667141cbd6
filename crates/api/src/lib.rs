//! The object model shared by all rkube components, with no I/O.
//!
//! Objects travel through the API server as `serde_json::Value` in their upstream
//! JSON shape; this crate knows, for every built-in resource:
//! - what it is ([`resource::ResourceInfo`]: group, version, kind, plural, scope,
//!   short names, verbs, subresources, storage version);
//! - how to check and normalise a request body against the upstream types from
//!   `k8s-openapi` ([`strategy::decode`]), default it, validate it and prepare it for
//!   storage on create, update and status update ([`strategy`]);
//! - how to convert between the versions that share one storage ([`convert`]);
//! - how to select objects by labels and fields ([`selector`]);
//! - how to apply JSON merge, JSON and strategic merge patches ([`patch`]).
//!
//! Start at [`resource`], then [`strategy`].

pub mod convert;
pub mod meta;
pub mod patch;
pub mod resource;
pub mod selector;
pub mod strategy;
pub mod validation;

pub use resource::ResourceInfo;
pub use validation::{ErrorType, FieldError};

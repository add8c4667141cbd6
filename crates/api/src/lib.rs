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
//! - how to apply JSON merge, JSON and strategic merge patches ([`patch`]);
//! - who owns which fields, and how server-side apply merges ([`apply`]);
//! - how `kubectl get` shows it: the columns and cells of its Table ([`printing`]);
//! - how to read protobuf request bodies as that JSON ([`protobuf`]);
//! - how they are described in OpenAPI v3 and v2 documents ([`openapi`]).
//!
//! Start at [`resource`], then [`strategy`].
//!
//! The API server runs a write as: [`strategy::decode`] (types checked against
//! `k8s-openapi`, unknown fields collected), [`strategy::default`], then
//! [`strategy::prepare_for_create`] or [`strategy::prepare_for_update`] (or
//! [`strategy::prepare_for_status_update`]), then [`strategy::validate_create`]
//! or [`strategy::validate_update`], whose [`FieldError`]s display exactly as
//! upstream's. Patches are applied before decoding ([`patch`]); objects of a
//! version other than the storage version go through [`convert::convert`] both
//! ways. Pod subresources with their own rules are [`strategy::bind_pod`] and
//! [`strategy::prepare_for_ephemeral_containers_update`].
//!
//! Upstream Kubernetes is the specification: each module names the upstream
//! source it follows (validation messages, defaults, registry strategies,
//! strategic merge patch), and behaviour that differs is documented where it is.

pub mod apply;
pub mod bootstrap_policy;
pub mod convert;
pub mod meta;
pub mod openapi;
pub mod patch;
pub mod printing;
pub mod protobuf;
pub mod quota;
pub mod resource;
pub mod schema;
pub mod selector;
pub mod strategy;
pub mod validation;

pub use resource::ResourceInfo;
pub use validation::{ErrorType, FieldError};

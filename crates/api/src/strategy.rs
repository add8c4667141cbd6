//! Per-kind strategy: decoding against the upstream types, defaulting, validation,
//! and preparing objects for storage on create, update and status update.

use serde_json::Value;

use crate::{FieldError, ResourceInfo};

pub use pods::{
    bind_pod, prepare_for_ephemeral_containers_update, validate_binding,
    validate_ephemeral_containers_update, BindError,
};

mod crd;
mod decode;
mod defaults;
mod deserializer;
mod fields;
pub(crate) mod json;
mod omit_empty;
mod pods;
mod prepare;
pub mod quantity;
pub(crate) mod types;
mod validate;

/// Why a request body does not decode as the resource's type (400 BadRequest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// A body decoded as the resource's upstream type.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The object in normal form: as the upstream type serialises it (unknown
    /// fields dropped, empty optionals omitted), with `apiVersion` and `kind` set.
    pub object: Value,
    /// Paths of fields the type does not know (`spec.foo`, `spec.containers[0].bar`),
    /// for `fieldValidation=Strict|Warn`.
    pub unknown_fields: Vec<String>,
}

/// Decodes `body` as an object of `resource` (checking field types) and normalises it.
///
/// As upstream's codec, an absent `apiVersion` or `kind` defaults to the
/// resource's; one naming another resource is an error. A field of the wrong
/// type gives upstream's detail (`json: cannot unmarshal string into Go struct
/// field PodSpec.spec.containers of type array`), which the API server prefixes
/// with `Pod in version "v1" cannot be handled as a Pod: `.
pub fn decode(resource: &ResourceInfo, body: Value) -> Result<Decoded, DecodeError> {
    decode::decode(resource, body)
}

/// Applies upstream's defaults (the `SetDefaults_*` functions) to a decoded object.
pub fn default(resource: &ResourceInfo, obj: &mut Value) {
    defaults::default(resource, obj);
    if let Some(schema) =
        crate::resource::custom::version_of(resource).and_then(|v| v.schema.clone())
    {
        crate::schema::apply_defaults(&schema, obj);
    }
}

/// Prepares a new object for storage: drops `status` for resources with a status
/// subresource (as upstream's `PrepareForCreate`), sets `metadata.generation` to 1.
pub fn prepare_for_create(resource: &ResourceInfo, obj: &mut Value) {
    prepare::prepare_for_create(resource, obj);
}

/// A pod's QoS class (`status.qosClass`) from its containers' resources.
pub fn pod_qos_class(pod: &Value) -> &'static str {
    prepare::pod_qos(pod.get("spec"))
}

/// Prepares an update of the main resource: keeps the old `status` for resources
/// with a status subresource, and bumps `metadata.generation` when anything but
/// metadata and status changed.
pub fn prepare_for_update(resource: &ResourceInfo, new: &mut Value, old: &Value) {
    prepare::prepare_for_update(resource, new, old);
}

/// Prepares an update through the status subresource: only `status` (and, as
/// upstream, nothing of spec) changes.
pub fn prepare_for_status_update(resource: &ResourceInfo, new: &mut Value, old: &Value) {
    prepare::prepare_for_status_update(resource, new, old);
}

/// Validates a new object, metadata included.
pub fn validate_create(resource: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    validate::validate_create(resource, obj)
}

/// Validates an update, including upstream's immutable fields.
pub fn validate_update(resource: &ResourceInfo, new: &Value, old: &Value) -> Vec<FieldError> {
    validate::validate_update(resource, new, old)
}

/// The value of a field label for field selectors, `Err` naming the label if
/// `resource` does not support it (`metadata.name` and `metadata.namespace` for
/// all; `spec.nodeName`, `status.phase`, ... as upstream per kind).
pub fn field_label(resource: &ResourceInfo, obj: &Value, label: &str) -> Result<String, String> {
    fields::field_label(resource, obj, label)
}

#[cfg(test)]
mod tests;

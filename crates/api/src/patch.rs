//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

use serde_json::Value;

use crate::ResourceInfo;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch document is not of the patch type's form (400 BadRequest upstream).
    #[error("{0}")]
    Malformed(String),
    /// The patch could not be applied, for example a failed `test` operation or a
    /// path that does not exist (422 Invalid upstream, message as upstream).
    #[error("{0}")]
    Failed(String),
}

/// Applies an RFC 7386 JSON merge patch in place.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let _ = (target, patch);
    unimplemented!()
}

/// Applies an RFC 6902 JSON patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let _ = (target, patch);
    unimplemented!()
}

/// Applies a strategic merge patch to an object of `resource`.
pub fn strategic_merge_patch(
    resource: &ResourceInfo,
    target: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let _ = (resource, target, patch);
    unimplemented!()
}

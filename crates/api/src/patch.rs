//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.
//!
//! The strategic merge patch is in `patch/strategic.rs`, and the table of which
//! lists merge by which key in `patch/keys.rs`.

use serde_json::Value;

use crate::ResourceInfo;

mod keys;
mod strategic;

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
    json_patch::merge(target, patch);
}

/// Applies an RFC 6902 JSON patch.
///
/// A document that is not a list of operations is [`PatchError::Malformed`]; an
/// operation that does not apply is [`PatchError::Failed`], with the message of
/// upstream's JSON patch library (`testing value /spec/replicas failed: test failed`,
/// `replace operation does not apply: doc is missing key: /spec/x: missing value`).
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(operations) = patch else {
        return Err(PatchError::Malformed(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            json_kind(patch)
        )));
    };
    let mut parsed = Vec::with_capacity(operations.len());
    for operation in operations {
        let op: json_patch::PatchOperation =
            serde_json::from_value(operation.clone()).map_err(|e| {
                PatchError::Malformed(format!("invalid JSON patch operation {operation}: {e}"))
            })?;
        parsed.push(op);
    }
    let mut document = target.clone();
    json_patch::patch(&mut document, &parsed).map_err(|error| {
        let operation = parsed.get(error.operation);
        PatchError::Failed(json_patch_message(operation, &error))
    })?;
    Ok(document)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The message evanphx/json-patch (upstream's library) gives for a failed operation.
fn json_patch_message(
    operation: Option<&json_patch::PatchOperation>,
    error: &json_patch::PatchError,
) -> String {
    use json_patch::{PatchErrorKind, PatchOperation};
    let path = error.path.to_string();
    match (&error.kind, operation) {
        (PatchErrorKind::TestFailed, _) | (_, Some(PatchOperation::Test(_))) => {
            format!("testing value {path} failed: test failed")
        }
        (PatchErrorKind::CannotMoveInsideItself, _) => {
            format!("move operation does not apply: cannot move {path} inside itself")
        }
        (PatchErrorKind::InvalidFromPointer, Some(PatchOperation::Move(op))) => {
            format!(
                "move operation does not apply: doc is missing from path: {}: missing value",
                op.from
            )
        }
        (PatchErrorKind::InvalidFromPointer, Some(PatchOperation::Copy(op))) => {
            format!(
                "copy operation does not apply: doc is missing from path: {}: missing value",
                op.from
            )
        }
        (_, Some(PatchOperation::Add(_))) => {
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        (_, Some(PatchOperation::Remove(_))) => {
            format!(
                "remove operation does not apply: doc is missing path: \"{path}\": missing value"
            )
        }
        (_, Some(PatchOperation::Replace(_))) => {
            format!("replace operation does not apply: doc is missing key: {path}: missing value")
        }
        (_, Some(PatchOperation::Move(_))) => {
            format!("move operation does not apply: doc is missing destination path: {path}: missing value")
        }
        (_, Some(PatchOperation::Copy(_))) => {
            format!("copy operation does not apply: doc is missing destination path: {path}: missing value")
        }
        (kind, None) => format!("{kind}: {path}"),
    }
}

/// Applies a strategic merge patch to an object of `resource`.
///
/// Maps merge; lists merge by the patch merge key upstream's types declare for
/// them (containers by `name`, container ports by `containerPort`, ...) or are
/// replaced; the directives `$patch` (`replace`, `delete`, `merge`),
/// `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`
/// are honoured; `null` deletes a field.
pub fn strategic_merge_patch(
    resource: &ResourceInfo,
    target: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    strategic::apply(resource, target, patch)
}

#[cfg(test)]
mod tests;

//! Guarded metadata edits: JSON patches that apply only to the object as it was
//! read (same uid and resourceVersion), so a controller never overwrites a
//! change it has not seen; a failed guard means "read again and retry".

use kube::api::{DynamicObject, ObjectMeta, Patch, PatchParams};
use kube::Api;
use serde_json::{json, Value};

use crate::Error;

/// The `test` operations that pin the object to what was read.
fn guards(meta: &ObjectMeta) -> Vec<Value> {
    let mut ops = Vec::new();
    if let Some(uid) = &meta.uid {
        ops.push(json!({"op": "test", "path": "/metadata/uid", "value": uid}));
    }
    if let Some(rv) = &meta.resource_version {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops
}

/// Sets `/metadata/<field>` to `value`, or removes it when `value` is empty.
pub async fn set_metadata_list(
    api: &Api<DynamicObject>,
    name: &str,
    meta: &ObjectMeta,
    field: &str,
    present: bool,
    value: Vec<Value>,
) -> Result<(), Error> {
    let mut ops = guards(meta);
    let path = format!("/metadata/{field}");
    if value.is_empty() {
        if present {
            ops.push(json!({"op": "remove", "path": path}));
        } else {
            return Ok(());
        }
    } else {
        ops.push(
            json!({"op": if present { "replace" } else { "add" }, "path": path, "value": value}),
        );
    }
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))?;
    api.patch(name, &PatchParams::default(), &Patch::<()>::Json(patch))
        .await?;
    Ok(())
}

//! How objects are stored: JSON without `metadata.resourceVersion`, which is the
//! key's mod revision, set again when an object is read back.

use bytes::Bytes;
use serde_json::Value;
use store::Revision;

/// The stored form of an object.
pub fn encode_stored(obj: &Value) -> Bytes {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    Bytes::from(serde_json::to_vec(&obj).unwrap_or_default())
}

/// An object read from the store at `mod_revision`.
pub fn decode_stored(bytes: &[u8], mod_revision: Revision) -> Result<Value, serde_json::Error> {
    let mut value: Value = serde_json::from_slice(bytes)?;
    set_resource_version(&mut value, mod_revision);
    Ok(value)
}

pub fn set_resource_version(obj: &mut Value, revision: Revision) {
    api::meta::metadata_mut(obj).insert(
        "resourceVersion".to_string(),
        Value::String(revision.to_string()),
    );
}

/// `metadata.resourceVersion` as a revision (0 when absent or not a number).
pub fn resource_version(obj: &Value) -> Revision {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_version_is_not_stored() {
        let obj = json!({"metadata": {"name": "a", "resourceVersion": "7"}});
        let stored = encode_stored(&obj);
        assert!(!String::from_utf8_lossy(&stored).contains("resourceVersion"));
        let back = decode_stored(&stored, 9).unwrap();
        assert_eq!(resource_version(&back), 9);
    }
}

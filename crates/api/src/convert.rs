//! Conversion between versions of one resource that share storage.
//!
//! Two resources are served in two versions over one storage:
//! `horizontalpodautoscalers` (autoscaling/v2, stored, and autoscaling/v1, see
//! `convert/hpa.rs`) and `events` (core/v1, stored, and events.k8s.io/v1, see
//! `convert/event.rs`). Both follow upstream's conversion functions.

use serde_json::{Map, Value};

use crate::ResourceInfo;

mod event;
mod hpa;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert to {to}: {reason}")]
pub struct ConvertError {
    pub to: String,
    pub reason: String,
}

/// Converts `obj`, in any version served for `to`'s storage, into `to`'s version
/// (setting `apiVersion` and `kind`). Objects already in that version pass unchanged.
/// An object without `apiVersion` is taken to be in the storage version.
pub fn convert(obj: Value, to: &ResourceInfo) -> Result<Value, ConvertError> {
    let target = to.api_version();
    let from = match obj.get("apiVersion").and_then(Value::as_str) {
        Some(version) if !version.is_empty() => version.to_string(),
        _ => to.storage().api_version(),
    };
    let Value::Object(map) = obj else {
        return Err(ConvertError {
            to: target,
            reason: "the object is not a JSON object".to_string(),
        });
    };
    let mut converted = match (from.as_str(), target.as_str(), to.kind) {
        (from, target, _) if from == target => map,
        ("autoscaling/v2", "autoscaling/v1", "HorizontalPodAutoscaler") => hpa::v2_to_v1(map),
        ("autoscaling/v1", "autoscaling/v2", "HorizontalPodAutoscaler") => hpa::v1_to_v2(map),
        ("v1", "events.k8s.io/v1", "Event") => event::core_to_events(map),
        ("events.k8s.io/v1", "v1", "Event") => event::events_to_core(map),
        // Versions of a custom resource convert with the `None` strategy:
        // only the apiVersion changes.
        (from, target, _)
            if group_of(from) == group_of(target) && crate::resource::custom::is_custom(to) =>
        {
            map
        }
        (from, _, _) => {
            return Err(ConvertError {
                to: target,
                reason: format!("no conversion from {from}"),
            })
        }
    };
    set_type_meta(&mut converted, &target, to.kind);
    Ok(Value::Object(converted))
}

/// The group of an apiVersion ("" for the core group).
fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

fn set_type_meta(map: &mut Map<String, Value>, api_version: &str, kind: &str) {
    map.insert("apiVersion".into(), Value::String(api_version.to_string()));
    map.insert("kind".into(), Value::String(kind.to_string()));
}

/// Moves `from` of `source` to `to` of `target`, if present.
pub(crate) fn move_field(
    source: &mut Map<String, Value>,
    from: &str,
    target: &mut Map<String, Value>,
    to: &str,
) {
    if let Some(value) = source.remove(from) {
        if !value.is_null() {
            target.insert(to.to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests;

//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.
//!
//! Strategic merge patch merges maps like a JSON merge patch, but merges lists
//! of objects element by element by their upstream patch merge key (containers by
//! `name`, container ports by `containerPort`, ...) and honours the directives
//! `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<f>`
//! and `$setElementOrder/<f>`. Lists without a merge key are replaced.

use serde_json::{Map, Value};

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
    json_patch::merge(target, patch);
}

/// Applies an RFC 6902 JSON patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let operations: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| PatchError::Malformed(format!("error decoding patch: {e}")))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &operations).map_err(|e| PatchError::Failed(e.to_string()))?;
    Ok(out)
}

/// The patch merge key of a list field, by the field's name and, where one name
/// means different lists, its parent field (upstream's `patchMergeKey` tags).
fn merge_key(parent: &str, field: &str) -> Option<&'static str> {
    Some(match (parent, field) {
        // A Service's `spec.ports` merge by port; container ports sit under a container.
        ("spec", "ports") => "port",
        (_, "containers" | "initContainers" | "ephemeralContainers") => "name",
        (_, "ports") => "containerPort",
        (_, "env") => "name",
        (_, "volumes") => "name",
        (_, "volumeMounts") => "mountPath",
        (_, "volumeDevices") => "devicePath",
        (_, "imagePullSecrets") => "name",
        (_, "hostAliases") => "ip",
        (_, "conditions") => "type",
        (_, "ownerReferences") => "uid",
        (_, "topologySpreadConstraints") => "topologyKey",
        (_, "resourceClaims") => "name",
        (_, "schedulingGates") => "name",
        (_, "readinessGates") => "conditionType",
        (_, "addresses") => "type",
        _ => return None,
    })
}

/// Lists of primitives that merge as sets rather than being replaced.
fn merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

/// Applies a strategic merge patch to an object of `resource`.
pub fn strategic_merge_patch(
    resource: &ResourceInfo,
    target: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let _ = resource;
    let Some(patch) = patch.as_object() else {
        return Err(PatchError::Malformed(
            "the patch must be a JSON object".into(),
        ));
    };
    let mut out = target.clone();
    if !out.is_object() {
        out = Value::Object(Map::new());
    }
    merge_map(&mut out, patch, "")?;
    Ok(out)
}

fn merge_map(
    target: &mut Value,
    patch: &Map<String, Value>,
    parent: &str,
) -> Result<(), PatchError> {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return Ok(());
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        return Ok(());
    };
    if let Some(retain) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
        map.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (key, value) in patch {
        if key == "$patch" || key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let remove: Vec<&Value> = value
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            if let Some(Value::Array(list)) = map.get_mut(field) {
                list.retain(|item| !remove.contains(&item));
            }
            continue;
        }
        if value.is_null() {
            map.remove(key);
            continue;
        }
        match value {
            Value::Object(sub) => {
                if sub.get("$patch").and_then(Value::as_str) == Some("delete") {
                    map.remove(key);
                    continue;
                }
                let entry = map
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                merge_map(entry, sub, key)?;
            }
            Value::Array(items) => {
                let merged = merge_list(map.get(key), items, parent, key)?;
                map.insert(key.clone(), merged);
            }
            other => {
                map.insert(key.clone(), other.clone());
            }
        }
    }
    // Honour the element order the client asked for.
    for (key, order) in patch {
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            if let (Some(Value::Array(list)), Some(order)) = (map.get_mut(field), order.as_array())
            {
                reorder(list, order, merge_key(parent, field));
            }
        }
    }
    Ok(())
}

fn merge_list(
    current: Option<&Value>,
    patch: &[Value],
    parent: &str,
    field: &str,
) -> Result<Value, PatchError> {
    let current: Vec<Value> = current
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // A `{"$patch": "replace"}` element replaces the whole list.
    if patch
        .iter()
        .any(|p| p.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(Value::Array(
            patch
                .iter()
                .filter(|p| p.get("$patch").is_none())
                .cloned()
                .collect(),
        ));
    }
    if merges_primitives(field) && patch.iter().all(|p| !p.is_object()) {
        let mut out = current;
        for item in patch {
            if !out.contains(item) {
                out.push(item.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    let Some(key) = merge_key(parent, field) else {
        return Ok(Value::Array(patch.to_vec()));
    };
    let mut out = current;
    for item in patch {
        let Some(object) = item.as_object() else {
            return Err(PatchError::Malformed(format!(
                "{field}: a list merged by {key} must hold objects"
            )));
        };
        let id = object.get(key);
        let position = out
            .iter()
            .position(|existing| existing.get(key) == id && id.is_some());
        if object.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(position) = position {
                out.remove(position);
            }
            continue;
        }
        match position {
            Some(position) => merge_map(&mut out[position], object, field)?,
            None => {
                let mut fresh = Value::Object(Map::new());
                merge_map(&mut fresh, object, field)?;
                out.push(fresh);
            }
        }
    }
    Ok(Value::Array(out))
}

fn reorder(list: &mut [Value], order: &[Value], key: Option<&str>) {
    let rank = |item: &Value| {
        order
            .iter()
            .position(|o| match key {
                Some(k) => o.get(k).is_some() && o.get(k) == item.get(k),
                None => o == item,
            })
            .unwrap_or(usize::MAX)
    };
    list.sort_by_key(rank);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> &'static ResourceInfo {
        crate::resource::lookup("", "v1", "pods").expect("pods")
    }

    fn check(target: Value, patch: Value, expected: Value) {
        assert_eq!(
            strategic_merge_patch(pods(), &target, &patch).unwrap(),
            expected
        );
    }

    #[test]
    fn containers_merge_by_name() {
        check(
            json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}),
            json!({"spec": {"containers": [{"name": "b", "image": "z"}]}}),
            json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]}}),
        );
    }

    #[test]
    fn directives() {
        check(
            json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
            json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
            json!({"spec": {"containers": [{"name": "b"}]}}),
        );
        check(
            json!({"metadata": {"finalizers": ["x", "y"]}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}),
            json!({"metadata": {"finalizers": ["y"]}}),
        );
        check(
            json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
        );
        check(
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            json!({"metadata": {"labels": {"a": null}}}),
            json!({"metadata": {"labels": {"b": "2"}}}),
        );
    }

    #[test]
    fn rfc_patches() {
        let mut target = json!({"a": {"b": 1, "c": 2}});
        merge_patch(&mut target, &json!({"a": {"b": null, "d": 3}}));
        assert_eq!(target, json!({"a": {"c": 2, "d": 3}}));
        let ops = json!([{"op": "test", "path": "/a/c", "value": 9}]);
        assert!(matches!(
            json_patch(&target, &ops),
            Err(PatchError::Failed(_))
        ));
        let ops = json!([{"op": "replace", "path": "/a/c", "value": 9}]);
        assert_eq!(json_patch(&target, &ops).unwrap()["a"]["c"], 9);
        assert!(matches!(
            json_patch(&target, &json!({"op": 1})),
            Err(PatchError::Malformed(_))
        ));
    }
}

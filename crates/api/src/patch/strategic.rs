//! Strategic merge patch, as upstream's `apimachinery/pkg/util/strategicpatch`
//! applies it on the server (`MergeParallelList` and `IgnoreUnmatchedNulls` on).

use serde_json::{Map, Value};

use super::keys::{list_strategy, ListStrategy};
use super::PatchError;
use crate::ResourceInfo;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

pub(super) fn apply(
    resource: &ResourceInfo,
    target: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::Malformed(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            super::json_kind(patch)
        )));
    };
    let original = target.as_object().cloned().unwrap_or_default();
    let merger = Merger { resource };
    let merged = merger.merge_map(original, patch.clone(), &mut Vec::new())?;
    Ok(Value::Object(merged))
}

struct Merger<'r> {
    resource: &'r ResourceInfo,
}

impl Merger<'_> {
    /// Upstream's `mergeMap`.
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.remove(DIRECTIVE) {
            match directive.as_str() {
                // The map is replaced by the patch, its own directives applied.
                Some("replace") => return self.merge_map(Map::new(), patch, path),
                Some("delete") => return Ok(Map::new()),
                Some("merge") => {}
                _ => {
                    return Err(PatchError::Failed(format!(
                        "unknown patch type: {} in map: {}",
                        go_text(&directive),
                        go_text(&Value::Object(patch)),
                    )))
                }
            }
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.merge_ordered_lists(&mut original, &mut patch, path)?;
        for (key, patch_value) in patch {
            if key.starts_with(SET_ELEMENT_ORDER) {
                continue;
            }
            if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                let Value::Array(removed) = patch_value else {
                    return Err(PatchError::Malformed(
                        "invalid patch format of primitive list".to_string(),
                    ));
                };
                if let Some(Value::Array(list)) = original.get_mut(field) {
                    list.retain(|item| !removed.contains(item));
                }
                continue;
            }
            if patch_value.is_null() {
                original.remove(&key);
                continue;
            }
            path.push(key.clone());
            let merged = match original.remove(&key) {
                Some(Value::Object(existing)) if patch_value.is_object() => {
                    let Value::Object(patch_map) = patch_value else {
                        unreachable!("checked to be an object")
                    };
                    Value::Object(self.merge_map(existing, patch_map, path)?)
                }
                Some(Value::Array(existing)) if patch_value.is_array() => {
                    let Value::Array(patch_list) = patch_value else {
                        unreachable!("checked to be an array")
                    };
                    Value::Array(self.merge_list_field(existing, patch_list, path)?)
                }
                // Absent, or of another type: the patch's value, with its own
                // directives applied and its nulls dropped.
                _ => self.fresh(patch_value, path)?,
            };
            path.pop();
            original.insert(key, merged);
        }
        Ok(original)
    }

    /// A patch value for a field the object does not have (or of another type).
    fn fresh(&self, value: Value, path: &mut Vec<String>) -> Result<Value, PatchError> {
        match value {
            Value::Object(map) => Ok(Value::Object(self.merge_map(Map::new(), map, path)?)),
            Value::Array(list) => Ok(Value::Array(self.merge_list_field(
                Vec::new(),
                list,
                path,
            )?)),
            other => Ok(other),
        }
    }

    fn strategy(&self, path: &[String]) -> ListStrategy {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        list_strategy(self.resource, &names)
    }

    /// Merges a list field by its strategy (upstream's `mergeSliceHandler`).
    fn merge_list_field(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        match self.strategy(path) {
            ListStrategy::Replace => {
                // Elements are taken whole, with their own directives applied.
                patch
                    .into_iter()
                    .filter(|item| item.get(DIRECTIVE).is_none())
                    .map(|item| self.fresh(item, path))
                    .collect()
            }
            ListStrategy::MergeScalars => {
                let mut merged = original;
                for item in patch {
                    if !merged.contains(&item) {
                        merged.push(item);
                    }
                }
                Ok(merged)
            }
            ListStrategy::MergeByKey(key) => self.merge_list_by_key(original, patch, key, path),
        }
    }

    /// Upstream's `mergeSlice` for lists of maps: `$patch` elements first
    /// (delete by key, replace all), then each element merged into the one with
    /// its key or appended, then the order normalised.
    fn merge_list_by_key(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let mut plain = Vec::new();
        let mut replace = false;
        for item in patch {
            let Some(directive) = item.get(DIRECTIVE) else {
                plain.push(item);
                continue;
            };
            match directive.as_str() {
                Some("delete") => {
                    let Some(value) = item.get(key) else {
                        return Err(no_merge_key(&item, key));
                    };
                    original.retain(|o| o.get(key) != Some(value));
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(PatchError::Failed(
                        "merging lists cannot yet be specified in the patch".to_string(),
                    ))
                }
                _ => {
                    return Err(PatchError::Failed(format!(
                        "unknown patch type: {} in map: {}",
                        go_text(directive),
                        go_text(&item)
                    )))
                }
            }
        }
        if replace {
            return plain
                .into_iter()
                .map(|item| self.fresh(item, path))
                .collect();
        }
        let server_order = original.clone();
        let mut merged = original;
        for item in &plain {
            let Some(value) = item.get(key) else {
                return Err(no_merge_key(item, key));
            };
            let Value::Object(item_map) = item.clone() else {
                return Err(no_merge_key(item, key));
            };
            match merged.iter_mut().find(|o| o.get(key) == Some(value)) {
                Some(existing) => {
                    let existing_map = existing.as_object().cloned().unwrap_or_default();
                    *existing = Value::Object(self.merge_map(existing_map, item_map, path)?);
                }
                None => merged.push(Value::Object(self.merge_map(Map::new(), item_map, path)?)),
            }
        }
        Ok(normalize_order(merged, &plain, &server_order, Some(key)))
    }

    /// Upstream's `mergePatchIntoOriginal`: each `$setElementOrder/<field>`
    /// merges `<field>` now and orders the result as the directive lists it.
    fn merge_ordered_lists(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Result<(), PatchError> {
        let directives: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for directive in directives {
            let field = directive[SET_ELEMENT_ORDER.len()..].to_string();
            let Some(Value::Array(order)) = patch.remove(&directive) else {
                return Err(PatchError::Malformed(
                    "invalid patch format of setElementOrder list".to_string(),
                ));
            };
            let patch_list = patch.remove(&field);
            let original_list = original.get(&field).cloned();
            let patch_items = match &patch_list {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Null) => {
                    original.remove(&field);
                    continue;
                }
                Some(_) => {
                    return Err(PatchError::Malformed(
                        "invalid patch format of setElementOrder list".to_string(),
                    ))
                }
                None => Vec::new(),
            };
            let server = match original_list {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            if patch_list.is_none() && server.is_empty() {
                continue;
            }
            path.push(field.clone());
            let strategy = self.strategy(path);
            let merged = match (patch_list.is_some(), server.is_empty()) {
                (false, _) => server.clone(),
                (true, true) => self.merge_list_field(Vec::new(), patch_items, path)?,
                (true, false) => self.merge_list_field(server.clone(), patch_items, path)?,
            };
            path.pop();
            let key = match strategy {
                ListStrategy::MergeByKey(key) => Some(key),
                _ => None,
            };
            original.insert(
                field,
                Value::Array(normalize_order(merged, &order, &server, key)),
            );
        }
        Ok(())
    }
}

/// Upstream's `applyRetainKeysDirective`: fields not listed are dropped from the
/// object, and the patch may only set listed fields.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let bad = || PatchError::Malformed("invalid patch format of retainKeys".to_string());
    let Value::Array(retain) = retain else {
        return Err(bad());
    };
    let retained: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
    for (key, value) in patch.iter() {
        let directive =
            key.starts_with(DELETE_FROM_PRIMITIVE_LIST) || key.starts_with(SET_ELEMENT_ORDER);
        if !value.is_null() && !directive && !retained.contains(&key.as_str()) {
            return Err(bad());
        }
    }
    original.retain(|key, _| retained.contains(&key.as_str()));
    Ok(())
}

/// The identity of a list item for ordering: its merge key's value, or itself.
fn identity<'v>(item: &'v Value, key: Option<&str>) -> Option<&'v Value> {
    match key {
        Some(key) => item.get(key),
        None => Some(item),
    }
}

fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key)?;
    list.iter()
        .position(|other| identity(other, key) == Some(id))
}

/// Upstream's `normalizeElementOrder`: the items named by `patch_order` come in
/// that order, the others (server-only) in their order in `server_order`, and
/// the two are interleaved as `mergeSortedSlice` does.
fn normalize_order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut patch_items, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position(patch_order, item, key).is_some());
    let rank = |list: &[Value], item: &Value| position(list, item, key).map_or(-1, |p| p as i64);
    patch_items.sort_by_key(|item| rank(patch_order, item));
    server_only.sort_by_key(|item| rank(server_order, item));
    let (left, right) = (server_only, patch_items);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() || j < right.len() {
        if i >= left.len() {
            out.push(right[j].clone());
            j += 1;
        } else if j >= right.len() {
            out.push(left[i].clone());
            i += 1;
        } else {
            let (l, r) = (rank(server_order, &left[i]), rank(server_order, &right[j]));
            if l >= 0 && r >= 0 && l < r {
                out.push(left[i].clone());
                i += 1;
            } else {
                out.push(right[j].clone());
                j += 1;
            }
        }
    }
    out
}

fn no_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::Failed(format!(
        "map: {} does not contain declared merge key: {key}",
        go_text(item)
    ))
}

/// A value as Go's `%v` prints decoded JSON: `map[a:1 b:[x y]]`.
fn go_text(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => format!(
            "map[{}]",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", go_text(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

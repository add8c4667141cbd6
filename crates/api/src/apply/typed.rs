//! Walks of values against their [`Type`]: the set of fields a value sets,
//! the comparison of two values, the merge of an applied configuration into
//! an object, and the removal of a set of fields, each following
//! structured-merge-diff's `typed` package.
//!
//! Atomic lists and maps, and scalars, are leaves: they are owned, compared
//! and replaced whole. Granular maps own their entries; map-like and set-like
//! lists own their items (and, below them, the items' fields).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::fieldpath::{path_string, values_equal, Path, PathElement, Set};
use super::schema::{ListType, Shape, Type};

/// What a value is, decided by its schema or, where the schema is silent or
/// disagrees with the value, by the value.
enum Node<'s> {
    Leaf,
    List { items: Type<'s>, list: ListType },
    Map(Type<'s>),
}

fn node<'s>(ty: Type<'s>, sample: Option<&Value>) -> Node<'s> {
    let deduced = || match sample {
        Some(Value::Object(_)) => Node::Map(ty),
        _ => Node::Leaf,
    };
    match (ty.shape(), sample) {
        (Shape::Untyped, _) => deduced(),
        (Shape::Scalar, _) | (Shape::Map { atomic: true }, _) => Node::Leaf,
        (Shape::List(ListType::Atomic), _) => Node::Leaf,
        (Shape::List(list), None | Some(Value::Array(_) | Value::Null)) => Node::List {
            items: ty.items(),
            list,
        },
        (Shape::Map { atomic: false }, None | Some(Value::Object(_) | Value::Null)) => {
            Node::Map(ty)
        }
        _ => deduced(),
    }
}

/// The first of the values that is neither absent nor null.
fn sample<'v>(values: &[Option<&'v Value>]) -> Option<&'v Value> {
    values
        .iter()
        .flatten()
        .copied()
        .find(|v| !v.is_null())
        .or(values.iter().flatten().copied().next())
}

fn items_of(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn entries_of(value: Option<&Value>) -> Option<&Map<String, Value>> {
    match value {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The path element of a list item: its key fields (with their schema
/// defaults) for a map-like list, its value for a set.
pub(super) fn item_element(
    items: Type<'_>,
    list: &ListType,
    item: &Value,
) -> Result<PathElement, String> {
    match list {
        ListType::Map(keys) => {
            let Value::Object(fields) = item else {
                return Err(if item.is_null() {
                    "associative list with keys may not have a null element".to_string()
                } else {
                    "associative list with keys may not have non-map elements".to_string()
                });
            };
            let mut key: Vec<(String, Value)> = keys
                .iter()
                .filter_map(|name| {
                    let value = fields.get(name).or_else(|| items.key_default(name))?;
                    Some((name.clone(), value.clone()))
                })
                .collect();
            if key.is_empty() {
                let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
                return Err(format!(
                    "associative list with keys has an element that omits all key fields [{}] (and doesn't have default values for any key fields)",
                    quoted.join(" ")
                ));
            }
            key.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(PathElement::Key(key))
        }
        ListType::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".to_string())
            }
            Value::Array(_) => {
                Err("not supported: associative list with lists as elements".to_string())
            }
            Value::Null => Err(
                "associative list without keys has an element that's an explicit null".to_string(),
            ),
            scalar => Ok(PathElement::Value(scalar.clone())),
        },
        ListType::Atomic => Err("invalid indexing of non-associative list".to_string()),
    }
}

/// The path elements of a list's items. An item whose element cannot be
/// computed (only possible in stored objects, which were validated
/// differently) is given its index, so it is kept and never matched.
fn elements(items: Type<'_>, list: &ListType, values: &[Value]) -> Vec<PathElement> {
    values
        .iter()
        .enumerate()
        .map(|(i, item)| item_element(items, list, item).unwrap_or(PathElement::Index(i)))
        .collect()
}

/// The fields `value` sets: its leaves, the items of its map-like and set-like
/// lists, and its empty or null fields and map entries.
pub fn to_field_set(ty: Type<'_>, value: &Value) -> Set {
    let mut set = Set::new();
    field_set(ty, value, &mut Vec::new(), &mut set);
    set
}

fn field_set(ty: Type<'_>, value: &Value, path: &mut Path, set: &mut Set) {
    match node(ty, Some(value)) {
        Node::Leaf => set.insert(path),
        Node::List { items, list } => {
            let values = items_of(Some(value));
            let elements = elements(items, &list, values);
            let mut seen = BTreeSet::new();
            let mut duplicated = BTreeSet::new();
            for element in &elements {
                if !seen.insert(element) {
                    duplicated.insert(element);
                }
            }
            for element in &duplicated {
                path.push((*element).clone());
                set.insert(path);
                path.pop();
            }
            for (element, item) in elements.iter().zip(values) {
                if duplicated.contains(element) {
                    continue;
                }
                path.push(element.clone());
                field_set(items, item, path, set);
                set.insert(path);
                path.pop();
            }
        }
        Node::Map(ty) => {
            let Some(entries) = entries_of(Some(value)) else {
                return;
            };
            for (name, child) in entries {
                path.push(PathElement::Field(name.clone()));
                field_set(ty.field_or_untyped(name), child, path, set);
                let empty = child.is_null() || child.as_object().is_some_and(Map::is_empty);
                if empty || !ty.declares(name) {
                    set.insert(path);
                }
                path.pop();
            }
        }
    }
}

/// What changed from one value to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    pub added: Set,
    pub modified: Set,
    pub removed: Set,
}

impl Comparison {
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// Drops `fields` and everything below them from all three sets.
    pub fn exclude(&mut self, fields: &Set) {
        self.added = self.added.recursive_difference(fields);
        self.modified = self.modified.recursive_difference(fields);
        self.removed = self.removed.recursive_difference(fields);
    }
}

/// Compares `old` with `new`: fields only `new` has are added (with every
/// container that appears), fields only `old` has removed, leaves that
/// differ modified.
pub fn compare(ty: Type<'_>, old: &Value, new: &Value) -> Comparison {
    let mut out = Comparison::default();
    compare_node(ty, Some(old), Some(new), &mut Vec::new(), &mut out);
    out
}

fn compare_leaf(old: Option<&Value>, new: Option<&Value>, path: &Path, out: &mut Comparison) {
    match (old, new) {
        (None, Some(_)) => out.added.insert(path),
        (Some(_), None) => out.removed.insert(path),
        (Some(a), Some(b)) if !values_equal(a, b) => out.modified.insert(path),
        _ => {}
    }
}

fn compare_node(
    ty: Type<'_>,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &mut Path,
    out: &mut Comparison,
) {
    match node(ty, sample(&[new, old])) {
        Node::Leaf => return compare_leaf(old, new, path, out),
        Node::List { items, list } => {
            let (old_items, new_items) = (items_of(old), items_of(new));
            if old_items.is_empty() && new_items.is_empty() {
                return compare_leaf(old, new, path, out);
            }
            compare_items(items, &list, old_items, new_items, path, out);
        }
        Node::Map(ty) => {
            let (old_map, new_map) = (entries_of(old), entries_of(new));
            if old_map.is_none_or(Map::is_empty) && new_map.is_none_or(Map::is_empty) {
                return compare_leaf(old, new, path, out);
            }
            let mut names: BTreeSet<&String> = BTreeSet::new();
            names.extend(old_map.into_iter().flat_map(Map::keys));
            names.extend(new_map.into_iter().flat_map(Map::keys));
            for name in names {
                path.push(PathElement::Field(name.clone()));
                compare_node(
                    ty.field_or_untyped(name),
                    old_map.and_then(|m| m.get(name)),
                    new_map.and_then(|m| m.get(name)),
                    path,
                    out,
                );
                path.pop();
            }
        }
    }
    match (old, new) {
        (None, Some(_)) => out.added.insert(path),
        (Some(_), None) => out.removed.insert(path),
        _ => {}
    }
}

/// Items grouped by element, elements in order of first appearance.
fn group(elements: Vec<PathElement>, values: &[Value]) -> BTreeMap<PathElement, Vec<&Value>> {
    let mut grouped: BTreeMap<PathElement, Vec<&Value>> = BTreeMap::new();
    for (element, value) in elements.into_iter().zip(values) {
        grouped.entry(element).or_default().push(value);
    }
    grouped
}

fn compare_items(
    items: Type<'_>,
    list: &ListType,
    old: &[Value],
    new: &[Value],
    path: &mut Path,
    out: &mut Comparison,
) {
    let old_groups = group(elements(items, list, old), old);
    let new_groups = group(elements(items, list, new), new);
    let all: BTreeSet<&PathElement> = old_groups.keys().chain(new_groups.keys()).collect();
    for element in all {
        let before = old_groups.get(element).map(Vec::as_slice).unwrap_or(&[]);
        let after = new_groups.get(element).map(Vec::as_slice).unwrap_or(&[]);
        path.push(element.clone());
        match (before.len(), after.len()) {
            (0 | 1, 0 | 1) => compare_node(
                items,
                before.first().copied(),
                after.first().copied(),
                path,
                out,
            ),
            // Duplicates on both sides compare as one atomic value.
            (_, 2..) if before.len() >= 2 => {
                let same = before.len() == after.len()
                    && before.iter().zip(after).all(|(a, b)| values_equal(a, b));
                if !same {
                    out.modified.insert(path);
                }
            }
            (2.., _) => {
                if let Some(single) = after.first() {
                    compare_node(items, None, Some(single), path, out);
                }
                out.removed.insert(path);
            }
            (_, _) => {
                if let Some(single) = before.first() {
                    compare_node(items, Some(single), None, path, out);
                }
                out.added.insert(path);
            }
        }
        path.pop();
    }
}

/// Merges `config` into `live`: every leaf of `config` wins, map-like and
/// set-like lists merge item by item (live items keep their places, the
/// configuration's items come in its order), atomic values are replaced.
pub fn merge(ty: Type<'_>, live: &Value, config: &Value) -> Value {
    merge_node(ty, Some(live), Some(config)).unwrap_or(Value::Null)
}

fn merge_node(ty: Type<'_>, live: Option<&Value>, config: Option<&Value>) -> Option<Value> {
    let keep = || config.or(live).cloned();
    match node(ty, sample(&[config, live])) {
        Node::Leaf => keep(),
        Node::List { items, list } => {
            let (live_items, config_items) = (items_of(live), items_of(config));
            if live_items.is_empty() && config_items.is_empty() {
                return keep();
            }
            Some(Value::Array(merge_items(
                items,
                &list,
                live_items,
                config_items,
            )))
        }
        Node::Map(ty) => {
            let (live_map, config_map) = (entries_of(live), entries_of(config));
            if live_map.is_none_or(Map::is_empty) && config_map.is_none_or(Map::is_empty) {
                return keep();
            }
            let mut names: BTreeSet<&String> = BTreeSet::new();
            names.extend(live_map.into_iter().flat_map(Map::keys));
            names.extend(config_map.into_iter().flat_map(Map::keys));
            let mut out = Map::new();
            for name in names {
                let merged = merge_node(
                    ty.field_or_untyped(name),
                    live_map.and_then(|m| m.get(name)),
                    config_map.and_then(|m| m.get(name)),
                );
                if let Some(merged) = merged {
                    out.insert(name.clone(), merged);
                }
            }
            Some(Value::Object(out))
        }
    }
}

/// Upstream's list merge order: live items the configuration does not name
/// stay where they were; the configuration's items come in its order, each
/// merged with the live item of the same key; a live item the configuration
/// also names waits until the configuration reaches it.
fn merge_items(items: Type<'_>, list: &ListType, live: &[Value], config: &[Value]) -> Vec<Value> {
    let live_elements = elements(items, list, live);
    let config_elements = elements(items, list, config);
    // A live element seen twice is not merged with the configuration's item.
    let mut live_by_element: BTreeMap<&PathElement, Option<&Value>> = BTreeMap::new();
    for (element, value) in live_elements.iter().zip(live) {
        live_by_element
            .entry(element)
            .and_modify(|v| *v = None)
            .or_insert(Some(value));
    }
    let config_by_element: BTreeMap<&PathElement, &Value> =
        config_elements.iter().zip(config).collect();
    let mut shared = config_elements
        .iter()
        .filter(|e| live_by_element.contains_key(e))
        .peekable();
    let mut merged_elements: BTreeSet<&PathElement> = BTreeSet::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let live_of = |element: &PathElement| live_by_element.get(element).copied().flatten();
    let (mut l, mut c) = (0, 0);
    while l < live.len() || c < config.len() {
        if l < live.len() && c < config.len() {
            let element = &live_elements[l];
            if *element == config_elements[c] {
                merged_elements.insert(element);
                out.extend(merge_node(items, live_of(element), Some(&config[c])));
                l += 1;
                c += 1;
                shared.next();
                continue;
            }
            let in_config = config_by_element.contains_key(element);
            if in_config && shared.peek().is_some_and(|next| *next != element) {
                l += 1;
                continue;
            }
        }
        if l < live.len() {
            let element = &live_elements[l];
            if !config_by_element.contains_key(element) {
                out.extend(merge_node(items, Some(&live[l]), None));
                l += 1;
                continue;
            } else if merged_elements.contains(element) {
                l += 1;
            }
        }
        if c < config.len() {
            let element = &config_elements[c];
            merged_elements.insert(element);
            out.extend(merge_node(items, live_of(element), Some(&config[c])));
            c += 1;
            if shared.peek().is_some_and(|next| *next == element) {
                shared.next();
            }
        }
    }
    out
}

/// `value` without the fields of `set` (a member removes the field and all
/// below it). A map or list left empty becomes null, as upstream.
pub fn remove_items(ty: Type<'_>, value: &Value, set: &Set) -> Value {
    match node(ty, Some(value)) {
        Node::Leaf => match value {
            Value::Array(_) | Value::Object(_) => Value::Null,
            scalar => scalar.clone(),
        },
        Node::List { items, list } => {
            let values = items_of(Some(value));
            let mut out = Vec::new();
            for (element, item) in elements(items, &list, values).iter().zip(values) {
                if set.is_member(element) {
                    continue;
                }
                match set.child(element) {
                    Some(below) => out.push(remove_items(items, item, below)),
                    None => out.push(item.clone()),
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::Array(out)
            }
        }
        Node::Map(ty) => {
            let mut out = Map::new();
            for (name, child) in entries_of(Some(value)).into_iter().flatten() {
                let element = PathElement::Field(name.clone());
                if set.is_member(&element) {
                    continue;
                }
                let kept = match set.child(&element) {
                    Some(below) => remove_items(ty.field_or_untyped(name), child, below),
                    None => child.clone(),
                };
                out.insert(name.clone(), kept);
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
    }
}

/// `set` with every struct field that has owned fields below it made a
/// member too (but not map entries), so that removing the set removes
/// emptied structs.
pub fn ensure_named_fields_are_members(ty: Type<'_>, set: &Set) -> Set {
    let mut members: BTreeSet<PathElement> = set.members().cloned().collect();
    let mut children = BTreeMap::new();
    for (element, child) in set.children() {
        let child_type = match element {
            PathElement::Field(name) => {
                if ty.declares(name) {
                    members.insert(element.clone());
                }
                ty.field_or_untyped(name)
            }
            PathElement::Key(_) => ty.items(),
            _ => ty.untyped(),
        };
        children.insert(
            element.clone(),
            ensure_named_fields_are_members(child_type, child),
        );
    }
    Set::from_parts(members, children)
}

/// Checks an applied configuration as upstream's conversion to a typed value
/// does: no undeclared fields, list items with their keys and no duplicates.
/// Returns upstream's message (`.spec.foo: field not declared in schema`).
pub fn validate(ty: Type<'_>, value: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    validate_node(ty, value, &mut Vec::new(), &mut errors);
    match errors.as_slice() {
        [] => Ok(()),
        [one] => Err(one.clone()),
        many => {
            let mut lines = vec!["errors:".to_string()];
            lines.extend(many.iter().map(|e| format!("  {e}")));
            Err(lines.join("\n"))
        }
    }
}

fn validate_node(ty: Type<'_>, value: &Value, path: &mut Path, errors: &mut Vec<String>) {
    match node(ty, Some(value)) {
        Node::Leaf => {}
        Node::List { items, list } => {
            let mut seen = BTreeSet::new();
            for (i, item) in items_of(Some(value)).iter().enumerate() {
                match item_element(items, &list, item) {
                    Err(e) => errors.push(format!("{}: element {i}: {e}", path_string(path))),
                    Ok(element) => {
                        if !seen.insert(element.clone()) {
                            errors.push(format!(
                                "{}: duplicate entries for key {element}",
                                path_string(path)
                            ));
                            continue;
                        }
                        path.push(element);
                        validate_node(items, item, path, errors);
                        path.pop();
                    }
                }
            }
        }
        Node::Map(ty) => {
            for (name, child) in entries_of(Some(value)).into_iter().flatten() {
                path.push(PathElement::Field(name.clone()));
                match ty.field(name) {
                    Some(field) => validate_node(field, child, path, errors),
                    None => errors.push(format!(
                        "{}: field not declared in schema",
                        path_string(path)
                    )),
                }
                path.pop();
            }
        }
    }
}

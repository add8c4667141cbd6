//! Field paths and sets of them, as structured-merge-diff's `fieldpath`
//! package models them, with upstream's `FieldsV1` encoding.
//!
//! A path is a list of [`PathElement`]s: a field name (`f:spec`), the key of an
//! item of a map-like list (`k:{"name":"c"}`), the value of an item of a set
//! (`v:"x"`), or an index into an atomic list (`i:0`). A [`Set`] is a tree of
//! them: its *members* are the paths that end at this node, its *children* the
//! subtrees below it. In `FieldsV1` a member with no children is `{}`, and a
//! node that is both a member and has children says so with a `"."` entry.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Clone, Debug)]
pub enum PathElement {
    /// A field of a struct or a key of a map.
    Field(String),
    /// The item of a map-like list whose key fields have these values, sorted
    /// by field name.
    Key(Vec<(String, Value)>),
    /// The item of a set-like list with this value.
    Value(Value),
    /// An item of an atomic list, by position (never produced for ownership, but
    /// readable from `FieldsV1`).
    Index(usize),
}

impl PathElement {
    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    /// The `FieldsV1` form: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`.
    pub fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| {
                        format!("{}:{}", json(&Value::from(name.as_str())), json(value))
                    })
                    .collect();
                format!("k:{{{}}}", parts.join(","))
            }
            PathElement::Value(value) => format!("v:{}", json(value)),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    /// Reads the `FieldsV1` form; `Ok(None)` for an element type this version
    /// does not know, which upstream skips rather than rejects.
    pub fn decode(text: &str) -> Result<Option<PathElement>, String> {
        let Some((kind, rest)) = text.split_at_checked(2) else {
            return Err(format!("key must be 2 characters long: {text}"));
        };
        if !kind.ends_with(':') {
            return Err(format!("missing colon: {text}"));
        }
        let element = match &kind[..1] {
            "f" => PathElement::Field(rest.to_string()),
            "v" => {
                PathElement::Value(serde_json::from_str(rest).map_err(|e| format!("{text}: {e}"))?)
            }
            "k" => {
                let fields: Map<String, Value> =
                    serde_json::from_str(rest).map_err(|e| format!("{text}: {e}"))?;
                PathElement::Key(fields.into_iter().collect())
            }
            "i" => PathElement::Index(rest.parse().map_err(|e| format!("{text}: {e}"))?),
            _ => return Ok(None),
        };
        Ok(Some(element))
    }
}

fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// How upstream writes an element in a path: `.spec`, `[name="c"]`, `[="x"]`, `[0]`.
impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={}", json(value)))
                    .collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(value) => write!(f, "[={}]", json(value)),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((name_a, value_a), (name_b, value_b)) in a.iter().zip(b) {
                    let order = name_a
                        .cmp(name_b)
                        .then_with(|| compare_values(value_a, value_b));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

/// A total order on JSON values, as structured-merge-diff's `value.Compare`:
/// numbers (compared numerically, integers with floats), then strings,
/// booleans, lists, maps and null.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (x, y) in x.iter().zip(y) {
                let order = compare_values(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            for ((kx, vx), (ky, vy)) in x.iter().zip(y) {
                let order = kx.cmp(ky).then_with(|| compare_values(vx, vy));
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Equality of JSON values with numbers compared numerically (`1` equals `1.0`).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    compare_values(a, b) == Ordering::Equal
}

/// A field path.
pub type Path = Vec<PathElement>;

/// How upstream writes a path in messages: `.spec.template.spec.containers[name="c"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A set of field paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    members: BTreeSet<PathElement>,
    /// Never holds an empty set.
    children: BTreeMap<PathElement, Set>,
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    /// A set of these paths.
    pub fn of(paths: &[&[PathElement]]) -> Set {
        let mut set = Set::new();
        for path in paths {
            set.insert(path);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    /// Adds a path; the empty path adds nothing.
    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// The subtree below `element` (paths without the prefix).
    pub fn child(&self, element: &PathElement) -> Option<&Set> {
        self.children.get(element)
    }

    pub fn is_member(&self, element: &PathElement) -> bool {
        self.members.contains(element)
    }

    pub(crate) fn members(&self) -> impl Iterator<Item = &PathElement> {
        self.members.iter()
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = (&PathElement, &Set)> {
        self.children.iter()
    }

    pub(crate) fn from_parts(
        members: BTreeSet<PathElement>,
        children: BTreeMap<PathElement, Set>,
    ) -> Set {
        let children = children
            .into_iter()
            .filter(|(_, c)| !c.is_empty())
            .collect();
        Set { members, children }
    }

    pub fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (element, child) in &other.children {
            let merged = match out.children.get(element) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(element.clone(), merged);
        }
        out
    }

    pub fn intersection(&self, other: &Set) -> Set {
        let members = self.members.intersection(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .filter_map(|(element, child)| {
                let theirs = other.children.get(element)?;
                Some((element.clone(), child.intersection(theirs)))
            })
            .collect();
        Set::from_parts(members, children)
    }

    /// The paths of `self` that `other` does not hold; a member of `other`
    /// removes only that path, not what is below it.
    pub fn difference(&self, other: &Set) -> Set {
        let members = self.members.difference(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .map(|(element, child)| match other.children.get(element) {
                Some(theirs) => (element.clone(), child.difference(theirs)),
                None => (element.clone(), child.clone()),
            })
            .collect();
        Set::from_parts(members, children)
    }

    /// As [`Set::difference`], but a member of `other` also removes everything
    /// below it.
    pub fn recursive_difference(&self, other: &Set) -> Set {
        let members = self.members.difference(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .filter(|(element, _)| !other.members.contains(element))
            .map(|(element, child)| match other.children.get(element) {
                Some(theirs) => (element.clone(), child.recursive_difference(theirs)),
                None => (element.clone(), child.clone()),
            })
            .collect();
        Set::from_parts(members, children)
    }

    /// Every path, members of a node before its children's paths, each in order.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for member in &self.members {
            let mut path = prefix.clone();
            path.push(member.clone());
            out.push(path);
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// The `FieldsV1` object of this set.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.fields_v1_entries(false))
    }

    fn fields_v1_entries(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        for member in &self.members {
            if !self.children.contains_key(member) {
                out.insert(member.encode(), Value::Object(Map::new()));
            }
        }
        for (element, child) in &self.children {
            let entries = child.fields_v1_entries(self.members.contains(element));
            out.insert(element.encode(), Value::Object(entries));
        }
        out
    }

    /// Reads a `FieldsV1` object.
    pub fn from_fields_v1(fields: &Value) -> Result<Set, String> {
        let Value::Object(entries) = fields else {
            return Err(format!("FieldsV1 must be an object, got {fields}"));
        };
        let (set, _) = read_fields_v1(entries)?;
        Ok(set)
    }
}

/// The set below one `FieldsV1` node, and whether the node itself is a member:
/// it is when it says so with `"."`, or when nothing (known) is below it.
fn read_fields_v1(entries: &Map<String, Value>) -> Result<(Set, bool), String> {
    let mut set = Set::new();
    let mut is_member = false;
    for (key, value) in entries {
        if key == "." {
            is_member = true;
            continue;
        }
        let Some(element) = PathElement::decode(key)? else {
            continue;
        };
        let empty = Map::new();
        let inner = value.as_object().unwrap_or(&empty);
        let (child, child_is_member) = read_fields_v1(inner)?;
        if child_is_member {
            set.members.insert(element.clone());
        }
        if !child.is_empty() {
            set.children.insert(element, child);
        }
    }
    if set.is_empty() {
        is_member = true;
    }
    Ok((set, is_member))
}

/// Shorthand for a field element.
pub fn field(name: &str) -> PathElement {
    PathElement::Field(name.to_string())
}

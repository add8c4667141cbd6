//! The shape of an object for server-side apply: which values are structs or
//! maps (granular or atomic), which lists are atomic, sets, or maps keyed by
//! some of their items' fields, and which values are scalars.
//!
//! Upstream converts the OpenAPI models of the built-in types into a
//! structured-merge-diff schema (kube-openapi's `schemaconv`). This module
//! reads the same facts straight from the OpenAPI v3 schemas that
//! [`crate::openapi`] publishes: `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys` and `x-kubernetes-map-type`, falling back, for
//! lists without a list type, to the strategic merge patch strategy (`merge`
//! with a merge key is a map keyed by it). Custom resources take the schemas
//! of their CRD versions from the same documents. Values no schema describes
//! (custom resources without one, `x-kubernetes-preserve-unknown-fields`)
//! are *deduced* from the value itself: objects are granular maps, arrays
//! atomic lists.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use crate::resource::{self, ResourceInfo};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The schemas of one kind: every definition its schema refers to, and the
/// root (the kind's own schema).
#[derive(Debug)]
pub struct Schema {
    definitions: Definitions,
    root: Value,
    /// [`Type::zero`] of the root, built on first use (every create compares
    /// against it).
    zero: OnceLock<Value>,
}

/// Schemas by name.
type Definitions = Arc<Map<String, Value>>;

/// Entries built for one generation of the custom resources (which change
/// the documents of their groups), dropped when it changes.
struct Cache<T> {
    generation: u64,
    entries: HashMap<String, T>,
}

impl<T: Clone> Cache<T> {
    fn get_or_build(
        cell: &'static OnceLock<Mutex<Cache<T>>>,
        key: String,
        build: impl FnOnce() -> T,
    ) -> T {
        let generation = resource::custom::generation();
        let cache = cell.get_or_init(|| {
            Mutex::new(Cache {
                generation,
                entries: HashMap::new(),
            })
        });
        if let Ok(mut cache) = cache.lock() {
            if cache.generation != generation {
                cache.generation = generation;
                cache.entries.clear();
            }
            if let Some(found) = cache.entries.get(&key) {
                return found.clone();
            }
        }
        let built = build();
        if let Ok(mut cache) = cache.lock() {
            if cache.generation == generation {
                cache.entries.insert(key, built.clone());
            }
        }
        built
    }
}

/// The definitions of a group version's OpenAPI v3 document.
fn group_version_definitions(group: &str, version: &str) -> Option<Definitions> {
    static CACHE: OnceLock<Mutex<Cache<Option<Definitions>>>> = OnceLock::new();
    Cache::get_or_build(&CACHE, format!("{group}/{version}"), || {
        let mut schemas = crate::openapi::v3_schemas(group, version)?;
        for schema in schemas.values_mut() {
            strip_documentation(schema);
        }
        Some(Arc::new(schemas))
    })
}

/// Drops what only people read (`description`, `example`) from a schema: most
/// of its size, and nothing server-side apply looks at.
fn strip_documentation(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.remove("description");
            map.remove("example");
            // `properties` names fields, which may be called "description".
            for (key, value) in map.iter_mut() {
                if key == "properties" {
                    if let Value::Object(fields) = value {
                        fields.values_mut().for_each(strip_documentation);
                    }
                } else {
                    strip_documentation(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_documentation),
        _ => {}
    }
}

impl Schema {
    /// The schema of `resource`'s kind, from the OpenAPI document of its
    /// group version (built-in kinds and custom resources with a schema);
    /// for others, typed metadata and everything else deduced.
    pub fn of(resource: &ResourceInfo) -> Arc<Schema> {
        static CACHE: OnceLock<Mutex<Cache<Arc<Schema>>>> = OnceLock::new();
        let key = format!("{}/{}/{}", resource.group, resource.version, resource.kind);
        Cache::get_or_build(&CACHE, key, || Arc::new(Schema::build(resource)))
    }

    fn build(resource: &ResourceInfo) -> Schema {
        let Some(definitions) = group_version_definitions(resource.group, resource.version) else {
            return Schema::deduced_with_metadata();
        };
        let name = definitions.iter().find_map(|(name, schema)| {
            let gvks = schema.get("x-kubernetes-group-version-kind")?.as_array()?;
            gvks.iter()
                .any(|gvk| {
                    gvk["group"] == resource.group
                        && gvk["version"] == resource.version
                        && gvk["kind"] == resource.kind
                })
                .then(|| name.clone())
        });
        match name {
            Some(name) => Schema {
                definitions,
                root: json!({ "$ref": format!("#/components/schemas/{name}") }),
                zero: OnceLock::new(),
            },
            None => Schema::deduced_with_metadata(),
        }
    }

    /// Typed `apiVersion`, `kind` and `metadata`; any other field deduced.
    fn deduced_with_metadata() -> Schema {
        let definitions = group_version_definitions("", "v1").unwrap_or_default();
        Schema {
            definitions,
            root: json!({
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"$ref": format!("#/components/schemas/{OBJECT_META}")},
                },
                "x-kubernetes-preserve-unknown-fields": true,
            }),
            zero: OnceLock::new(),
        }
    }

    /// A schema from explicit definitions, rooted at `root` (for tests and
    /// tools).
    pub fn from_definitions(definitions: Map<String, Value>, root: &str) -> Schema {
        Schema {
            definitions: Arc::new(definitions),
            root: json!({ "$ref": format!("#/components/schemas/{root}") }),
            zero: OnceLock::new(),
        }
    }

    /// The root's zero value ([`Type::zero`]), computed once.
    pub fn zero(&self) -> &Value {
        self.zero.get_or_init(|| self.root().zero())
    }

    pub fn root(&self) -> Type<'_> {
        Type {
            schema: self,
            node: Some(&self.root),
        }
    }

    fn resolve<'s>(&'s self, node: &'s Value) -> &'s Value {
        let mut current = node;
        for _ in 0..8 {
            let reference = current.get("$ref").and_then(Value::as_str).or_else(|| {
                let all_of = current.get("allOf")?.as_array()?;
                match all_of.as_slice() {
                    [only] => only.get("$ref").and_then(Value::as_str),
                    _ => None,
                }
            });
            let Some(reference) = reference else {
                return current;
            };
            let name = reference.rsplit('/').next().unwrap_or(reference);
            match self.definitions.get(name) {
                Some(next) => current = next,
                None => return current,
            }
        }
        current
    }
}

/// How the items of a list relate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    /// Replaced whole, owned as one field.
    Atomic,
    /// Scalars, each item owned by its value.
    Set,
    /// Objects, each item owned by the values of these fields.
    Map(Vec<String>),
}

/// What a schema says a value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Scalar,
    List(ListType),
    /// A struct (declared fields) or a map (any keys); `atomic` ones are owned
    /// and replaced whole.
    Map {
        atomic: bool,
    },
    /// Nothing is declared: decide from the value.
    Untyped,
}

/// A place in a schema: the schema of one value, possibly unknown.
#[derive(Clone, Copy, Debug)]
pub struct Type<'s> {
    schema: &'s Schema,
    /// The schema as written where the value sits (a property, the items of a
    /// list), before following references; `None` when nothing describes it.
    node: Option<&'s Value>,
}

impl<'s> Type<'s> {
    /// The same place with nothing known about it.
    pub fn untyped(self) -> Type<'s> {
        Type {
            schema: self.schema,
            node: None,
        }
    }

    fn with(self, node: &'s Value) -> Type<'s> {
        Type {
            schema: self.schema,
            node: Some(node),
        }
    }

    fn resolved(&self) -> Option<&'s Value> {
        self.node.map(|node| self.schema.resolve(node))
    }

    /// An extension (or any keyword), from where the value sits first, then
    /// from the definition it refers to.
    fn keyword(&self, key: &str) -> Option<&'s Value> {
        let node = self.node?;
        node.get(key).or_else(|| self.resolved()?.get(key))
    }

    fn properties(&self) -> Option<&'s Map<String, Value>> {
        self.resolved()?.get("properties")?.as_object()
    }

    fn additional(&self) -> Option<&'s Value> {
        self.resolved()?.get("additionalProperties")
    }

    fn preserves_unknown(&self) -> bool {
        self.keyword("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true)
    }

    /// What the schema says this value is.
    pub fn shape(&self) -> Shape {
        let Some(resolved) = self.resolved() else {
            return Shape::Untyped;
        };
        let kind = resolved.get("type").and_then(Value::as_str);
        if kind == Some("array") || resolved.get("items").is_some() {
            return Shape::List(self.list_type());
        }
        let is_map = resolved.get("properties").is_some()
            || resolved
                .get("additionalProperties")
                .is_some_and(Value::is_object);
        if is_map {
            let atomic = self
                .keyword("x-kubernetes-map-type")
                .and_then(Value::as_str)
                == Some("atomic");
            return Shape::Map { atomic };
        }
        match kind {
            Some("string" | "integer" | "number" | "boolean") => Shape::Scalar,
            _ if resolved.get("x-kubernetes-int-or-string").is_some()
                || resolved.get("oneOf").is_some()
                || resolved.get("anyOf").is_some() =>
            {
                Shape::Scalar
            }
            _ => Shape::Untyped,
        }
    }

    fn list_type(&self) -> ListType {
        let keys = || -> Vec<String> {
            self.keyword("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        match self
            .keyword("x-kubernetes-list-type")
            .and_then(Value::as_str)
        {
            Some("set") => return ListType::Set,
            Some("map") => return ListType::Map(keys()),
            Some(_) => return ListType::Atomic,
            None => {}
        }
        // Without a list type, upstream falls back to the patch strategy.
        let merges = self
            .keyword("x-kubernetes-patch-strategy")
            .and_then(Value::as_str)
            .is_some_and(|s| s.split(',').any(|part| part == "merge"));
        if !merges {
            return ListType::Atomic;
        }
        match self
            .keyword("x-kubernetes-patch-merge-key")
            .and_then(Value::as_str)
        {
            Some(key) => ListType::Map(vec![key.to_string()]),
            None => ListType::Set,
        }
    }

    /// The schema of field `name` of a struct or map; `None` if a struct
    /// declares no such field (and takes no others).
    pub fn field(&self, name: &str) -> Option<Type<'s>> {
        if self.node.is_none() {
            return Some(*self);
        }
        if let Some(property) = self.properties().and_then(|p| p.get(name)) {
            return Some(self.with(property));
        }
        match self.additional() {
            Some(additional) if additional.is_object() => return Some(self.with(additional)),
            Some(Value::Bool(true)) => return Some(self.untyped()),
            _ => {}
        }
        if self.preserves_unknown() || self.shape() == Shape::Untyped {
            return Some(self.untyped());
        }
        None
    }

    /// The schema of field `name`, or an untyped one if it is not declared.
    pub fn field_or_untyped(&self, name: &str) -> Type<'s> {
        self.field(name).unwrap_or(self.untyped())
    }

    /// True if `name` is a field the struct declares (not a key of a map).
    pub fn declares(&self, name: &str) -> bool {
        self.properties().is_some_and(|p| p.contains_key(name))
    }

    /// The schema of a list's items.
    pub fn items(&self) -> Type<'s> {
        match self.resolved().and_then(|r| r.get("items")) {
            Some(items) => self.with(items),
            None => self.untyped(),
        }
    }

    /// The default of a key field of a list's items (`protocol` of ports is `TCP`).
    pub fn key_default(&self, key: &str) -> Option<&'s Value> {
        self.properties()?.get(key)?.get("default")
    }

    /// The value Go's zero object of this struct shows: non-pointer structs
    /// (`default: {}`) as their own zero objects, other fields that are never
    /// omitted (required lists, maps and pointers) as null.
    pub fn zero(&self) -> Value {
        self.zero_at_depth(0)
    }

    fn zero_at_depth(&self, depth: usize) -> Value {
        let mut out = Map::new();
        let Some(properties) = self.properties() else {
            return Value::Object(out);
        };
        let required: Vec<&str> = self
            .resolved()
            .and_then(|r| r.get("required"))
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in properties {
            let field = self.with(property);
            let shape = field.shape();
            let struct_default = property.get("default").is_some_and(|d| d == &json!({}));
            match shape {
                Shape::Map { .. }
                    if struct_default && field.properties().is_some() && depth < 16 =>
                {
                    out.insert(name.clone(), field.zero_at_depth(depth + 1));
                }
                Shape::Map { .. } | Shape::List(_) if required.contains(&name.as_str()) => {
                    out.insert(name.clone(), Value::Null);
                }
                _ => {}
            }
        }
        Value::Object(out)
    }
}

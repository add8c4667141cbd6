//! `metadata.managedFields`: who owns which fields, as upstream encodes it.
//!
//! Each entry names a manager, the operation it used (`Apply` or `Update`),
//! the version it wrote in, when, whether it wrote through a subresource, and
//! its fields in the `FieldsV1` format. Upstream identifies a manager by the
//! entry without its fields and time, and, for appliers, without the version
//! (an applier is the same manager whatever version it applies in); two
//! `Update` entries of one manager in two versions are two managers.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fieldpath::Set;

/// The operation a manager's fields were written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// A manager, as upstream's manager identifier distinguishes them; ordered as
/// upstream orders identifiers (by name first).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Manager {
    pub name: String,
    pub operation: Operation,
    /// The version written in, for `Update` managers only.
    pub api_version: Option<String>,
    pub subresource: Option<String>,
}

impl Manager {
    /// An applier (`subresource` "" for the main resource).
    pub fn applier(name: &str, subresource: &str) -> Manager {
        Manager {
            name: name.to_string(),
            operation: Operation::Apply,
            api_version: None,
            subresource: non_empty(subresource),
        }
    }

    /// An updater writing in `api_version`.
    pub fn updater(name: &str, api_version: &str, subresource: &str) -> Manager {
        Manager {
            name: name.to_string(),
            operation: Operation::Update,
            api_version: Some(api_version.to_string()),
            subresource: non_empty(subresource),
        }
    }

    /// How conflict messages name the manager: `"kubectl"`,
    /// `"kubectl-edit" using apps/v1`, `"x" with subresource "status" using v1`.
    pub fn describe(&self) -> String {
        let mut out = quote(&self.name);
        if let Some(subresource) = &self.subresource {
            out.push_str(&format!(" with subresource {}", quote(subresource)));
        }
        if self.operation == Operation::Update {
            out.push_str(&format!(
                " using {}",
                self.api_version.as_deref().unwrap_or_default()
            ));
        }
        out
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The fields one manager owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub set: Set,
    /// The version the fields were last written in (the paths are of it).
    pub api_version: String,
    /// RFC 3339 time of the manager's last change, if known.
    pub time: Option<String>,
}

/// Every manager of an object and what it owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManagedFields {
    pub entries: BTreeMap<Manager, Owned>,
}

impl ManagedFields {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads `metadata.managedFields` (absent or null: no managers). Fails, as
    /// upstream, on an unknown operation, a missing version, or a fields type
    /// other than `FieldsV1`.
    pub fn decode(entries: Option<&Value>) -> Result<ManagedFields, String> {
        let mut out = ManagedFields::default();
        let entries = match entries {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Array(entries)) => entries,
            Some(other) => return Err(format!("managedFields must be a list, got {other}")),
        };
        for (i, entry) in entries.iter().enumerate() {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default();
            let operation = match text("operation") {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                _ => return Err("operation must be `Apply` or `Update`".to_string()),
            };
            let api_version = text("apiVersion");
            if api_version.is_empty() {
                return Err("apiVersion must not be empty".to_string());
            }
            match text("fieldsType") {
                "FieldsV1" => {}
                "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
                other => {
                    return Err(format!(
                        "invalid fieldsType {other:?} in managed fields entry {i}"
                    ))
                }
            }
            let set = match entry.get("fieldsV1") {
                None | Some(Value::Null) => Set::new(),
                Some(fields) => {
                    Set::from_fields_v1(fields).map_err(|e| format!("error decoding set: {e}"))?
                }
            };
            let manager = Manager {
                name: text("manager").to_string(),
                operation,
                api_version: (operation == Operation::Update).then(|| api_version.to_string()),
                subresource: non_empty(text("subresource")),
            };
            let time = non_empty(text("time"));
            out.entries.insert(
                manager,
                Owned {
                    set,
                    api_version: api_version.to_string(),
                    time,
                },
            );
        }
        Ok(out)
    }

    /// `metadata.managedFields` for these managers, in upstream's order
    /// (operation, time, manager, version, subresource); `None` when there are
    /// none.
    pub fn encode(&self) -> Option<Value> {
        if self.entries.is_empty() {
            return None;
        }
        let mut entries: Vec<(&Manager, &Owned)> = self.entries.iter().collect();
        entries.sort_by(|(a, a_owned), (b, b_owned)| {
            a.operation
                .cmp(&b.operation)
                .then_with(|| a_owned.time.cmp(&b_owned.time))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a_owned.api_version.cmp(&b_owned.api_version))
                .then_with(|| a.subresource.cmp(&b.subresource))
        });
        let encoded = entries
            .into_iter()
            .map(|(manager, owned)| {
                let mut entry = Map::new();
                if !manager.name.is_empty() {
                    entry.insert("manager".into(), Value::from(manager.name.as_str()));
                }
                entry.insert("operation".into(), Value::from(manager.operation.as_str()));
                entry.insert("apiVersion".into(), Value::from(owned.api_version.as_str()));
                if let Some(time) = &owned.time {
                    entry.insert("time".into(), Value::from(time.as_str()));
                }
                entry.insert("fieldsType".into(), Value::from("FieldsV1"));
                entry.insert("fieldsV1".into(), owned.set.to_fields_v1());
                if let Some(subresource) = &manager.subresource {
                    entry.insert("subresource".into(), Value::from(subresource.as_str()));
                }
                Value::Object(entry)
            })
            .collect();
        Some(Value::Array(encoded))
    }
}

/// True if a request's `managedFields` asks to reset them: an empty list, or
/// a list of one empty entry.
pub fn is_reset(entries: Option<&Value>) -> bool {
    let empty_entry = |entry: &Value| match entry {
        Value::Object(map) => map.values().all(|v| match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        }),
        _ => false,
    };
    match entries {
        Some(Value::Array(entries)) => match entries.as_slice() {
            [] => true,
            [only] => empty_entry(only),
            _ => false,
        },
        _ => false,
    }
}

//! Server-side apply and field ownership (`metadata.managedFields`), as
//! upstream's field manager (`k8s.io/apimachinery/pkg/util/managedfields`)
//! over structured-merge-diff (KEP 555, "Server-side apply").
//!
//! Every write records who set which fields. A non-apply write (create,
//! update, any other patch) is an `Update` operation: its manager takes
//! ownership of the fields it added or changed ([`record_update`]). An apply
//! ([`apply`]) merges a partial configuration into the object, owns exactly
//! the fields of that configuration, removes the fields it owned before and
//! no longer applies (unless someone else owns them), and refuses to change
//! a field another manager owns (a conflict) unless forced.
//!
//! The pieces, bottom up: [`fieldpath`] (paths, sets, the `FieldsV1`
//! encoding), [`schema`] (which lists are atomic, sets or maps, which maps
//! are atomic, from the OpenAPI schemas), `typed` (field sets, comparison,
//! merge and removal of values of a schema), `updater` (the ownership
//! bookkeeping of one write) and `managed` (the entries of
//! `metadata.managedFields`). This file adds what upstream's field manager
//! layers on top: manager identifiers, server-owned metadata that nobody owns,
//! fields reset by the endpoint, the first owner of objects written before
//! anyone tracked them (`before-first-apply`), the cap on update entries, and
//! the migration between client-side apply (the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation) and
//! server-side apply.

pub mod fieldpath;
mod managed;
pub mod scale;
pub mod schema;
mod typed;
mod updater;

use serde_json::{json, Map, Value};

use crate::resource::{ResourceInfo, Subresource};
pub use fieldpath::{field, path_string, Path, PathElement, Set};
pub use managed::{is_reset, ManagedFields, Manager, Operation, Owned};
pub use schema::{ListType, Schema, Shape, Type};
pub use typed::{compare, merge, remove_items, to_field_set, Comparison};
pub use updater::Conflict;
use updater::Updater;

/// The annotation client-side `kubectl apply` keeps its configuration in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The manager `kubectl apply --server-side` uses by default; only its
/// applies keep the last-applied annotation up to date and may take over
/// fields client-side apply set.
pub const KUBECTL_MANAGER: &str = "kubectl";
/// The owner of everything an object held when it was first applied to
/// without any managed fields.
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";
/// The longest `fieldManager` upstream accepts, in bytes.
pub const MAX_MANAGER_LENGTH: usize = 128;
/// How many `Update` entries an object keeps before the oldest are merged.
pub const MAX_UPDATE_MANAGERS: usize = 10;
const ANCIENT_CHANGES: &str = "ancient-changes";

/// Metadata the server owns: never part of anyone's fields.
const STRIPPED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

/// One write to record.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The resource, in the version of the request (the paths of the
    /// recorded fields are of this version).
    pub resource: &'a ResourceInfo,
    /// The manager: the `fieldManager` parameter, or what the User-Agent
    /// names.
    pub manager: &'a str,
    /// The subresource written through ("" for the object itself).
    pub subresource: &'a str,
    /// The time of the write, RFC 3339.
    pub now: &'a str,
}

/// Why an apply fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// 400 BadRequest.
    #[error("{0}")]
    BadRequest(String),
    /// 409 Conflict: fields other managers own would change.
    #[error("{message}")]
    Conflict {
        message: String,
        /// `(field, message)`: `(".spec.replicas", "conflict with \"m\" using apps/v1")`.
        causes: Vec<(String, String)>,
    },
    /// 500, as upstream answers a configuration its schema cannot type.
    #[error("{0}")]
    Internal(String),
}

/// Records a non-apply write of `new` (`live` is the stored object, `None`
/// on create) in `new`'s `metadata.managedFields`.
///
/// As upstream, `managedFields` sent with the object replace the stored ones
/// (an empty list, or a list of one empty entry, resets them), except through
/// a subresource; invalid ones are ignored. An object that has no managed
/// fields and is not being created stays untracked until it is applied to.
pub fn record_update(request: &Request<'_>, live: Option<&Value>, new: &mut Value) {
    let live_managed = || {
        live.and_then(|l| ManagedFields::decode(l.pointer("/metadata/managedFields")).ok())
            .unwrap_or_default()
    };
    let sent = new.pointer("/metadata/managedFields");
    let managed = if !request.subresource.is_empty() {
        live_managed()
    } else if is_reset(sent) {
        ManagedFields::default()
    } else {
        match ManagedFields::decode(sent) {
            Ok(managed) if !managed.is_empty() => managed,
            _ => live_managed(),
        }
    };
    remove_managed_fields(new);
    let creating = live.is_none_or(|l| {
        l.pointer("/metadata/uid")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    });
    if managed.is_empty() && !creating {
        return;
    }
    let schema = Schema::of(request.resource);
    let old = match live {
        Some(live) => without_managed_fields(live),
        None => zero_object(&schema, request.resource),
    };
    let manager = Manager::updater(
        if request.manager.is_empty() {
            "unknown"
        } else {
            request.manager
        },
        &request.resource.api_version(),
        request.subresource,
    );
    let mut managed = managed;
    update_managed(request, &schema, &old, new, &mut managed, &manager);
    cap_update_managers(&mut managed);
    set_managed_fields(new, &managed);
}

/// Applies `config` (an apply patch) to `live` (`None` when the apply
/// creates the object) for `request.manager`; `force` takes over fields
/// other managers own instead of failing. Returns the new object with its
/// managed fields, not yet defaulted or validated.
pub fn apply(
    request: &Request<'_>,
    live: Option<&Value>,
    config: &Value,
    force: bool,
) -> Result<Value, ApplyError> {
    let resource = request.resource;
    check_type(resource, config)?;
    if config
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(ApplyError::BadRequest(
            "metadata.managedFields must be nil".into(),
        ));
    }
    let schema = Schema::of(resource);
    typed::validate(schema.root(), config).map_err(|e| {
        ApplyError::Internal(format!(
            "failed to create typed patch object ({}): {e}",
            describe_object(resource, config)
        ))
    })?;
    let live = match live {
        Some(live) => live.clone(),
        None => json!({"apiVersion": resource.api_version(), "kind": resource.kind}),
    };
    let managed = ManagedFields::decode(live.pointer("/metadata/managedFields"))
        .map_err(|e| ApplyError::Internal(format!("failed to decode managed fields: {e}")))?;
    let live = without_managed_fields(&live);
    let attempt =
        |force: bool| apply_managed(request, &schema, &live, config, managed.clone(), force);
    let outcome = match attempt(force) {
        // `kubectl apply --server-side` may take over what client-side apply
        // set, as long as the object still holds what it applied.
        Err(conflicts) if request.manager == KUBECTL_MANAGER => {
            match allowed_by_last_applied(&schema, resource, &live) {
                Some(allowed) => {
                    let remaining: Vec<Conflict> = conflicts
                        .into_iter()
                        .filter(|c| !allowed.has(&c.path))
                        .collect();
                    if remaining.is_empty() {
                        attempt(true)
                    } else {
                        Err(remaining)
                    }
                }
                None => Err(conflicts),
            }
        }
        other => other,
    };
    let (mut new, managed) = outcome.map_err(conflict_error)?;
    if request.manager == KUBECTL_MANAGER && !last_applied(&live).is_empty() {
        let annotations = crate::meta::metadata_mut(&mut new)
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(annotations) = annotations {
            annotations.insert(LAST_APPLIED.into(), Value::String(last_applied_of(config)));
        }
    }
    set_managed_fields(&mut new, &managed);
    Ok(new)
}

/// Keeps `old`'s managed fields on `new` when the two objects differ only in
/// the times of their managed fields, so that a write that changes nothing is
/// not a write (upstream's `IgnoreManagedFieldsTimestampsTransformer`).
pub fn keep_unchanged_times(new: &mut Value, old: &Value) {
    let (Some(Value::Array(new_entries)), Some(Value::Array(old_entries))) = (
        new.pointer("/metadata/managedFields"),
        old.pointer("/metadata/managedFields"),
    ) else {
        return;
    };
    let without_time = |entry: &Value| {
        let mut entry = entry.clone();
        if let Value::Object(map) = &mut entry {
            map.remove("time");
        }
        entry
    };
    let same_entries = new_entries.len() == old_entries.len()
        && new_entries
            .iter()
            .zip(old_entries)
            .all(|(a, b)| without_time(a) == without_time(b));
    if !same_entries {
        return;
    }
    let strip = |obj: &Value| {
        let mut obj = without_managed_fields(obj);
        if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
            meta.remove("resourceVersion");
        }
        obj
    };
    if strip(new) == strip(old) {
        let old_entries = Value::Array(old_entries.clone());
        crate::meta::metadata_mut(new).insert("managedFields".into(), old_entries);
    }
}

/// The fields an endpoint resets, which nobody owns through it: `status` of
/// a resource with a status subresource, `spec` through `status`.
pub fn reset_fields(resource: &ResourceInfo, subresource: &str) -> Set {
    match subresource {
        "status" => Set::of(&[&[field("spec")]]),
        _ if resource.has_subresource(Subresource::Status) => Set::of(&[&[field("status")]]),
        _ => Set::new(),
    }
}

/// `apply` behind the version and metadata checks: the first owner of an
/// untracked object, the merge, and the bookkeeping of the applier's entry.
fn apply_managed(
    request: &Request<'_>,
    schema: &Schema,
    live: &Value,
    config: &Value,
    mut managed: ManagedFields,
    force: bool,
) -> Result<(Value, ManagedFields), Vec<Conflict>> {
    if managed.is_empty() {
        let zero = zero_object(schema, request.resource);
        let first = Manager::updater(
            BEFORE_FIRST_APPLY,
            &request.resource.api_version(),
            request.subresource,
        );
        update_managed(request, schema, &zero, live, &mut managed, &first);
    }
    let manager = Manager::applier(request.manager, request.subresource);
    let updater = updater(request, schema);
    let changed = updater.apply(live, config, &mut managed, &manager, force)?;
    strip_server_fields(&mut managed, &manager);
    let new = match changed {
        Some(new) => {
            if let Some(owned) = managed.entries.get_mut(&manager) {
                owned.time = Some(request.now.to_string());
            }
            new
        }
        None => live.clone(),
    };
    Ok((new, managed))
}

/// An update by `manager`: what the write changed joins what it owned, at
/// this time.
fn update_managed(
    request: &Request<'_>,
    schema: &Schema,
    old: &Value,
    new: &Value,
    managed: &mut ManagedFields,
    manager: &Manager,
) {
    // Upstream computes the write's own fields under a placeholder manager
    // and merges them into the real one, so that it knows whether anything
    // changed.
    let operation = Manager {
        name: "current-operation".into(),
        operation: Operation::Update,
        api_version: None,
        subresource: None,
    };
    let new = if new.pointer("/metadata/managedFields").is_some() {
        std::borrow::Cow::Owned(without_managed_fields(new))
    } else {
        std::borrow::Cow::Borrowed(new)
    };
    updater(request, schema).update(old, &new, managed, &operation);
    strip_server_fields(managed, &operation);
    if let Some(changed) = managed.entries.remove(&operation) {
        let previous = managed
            .entries
            .remove(manager)
            .map(|p| p.set)
            .unwrap_or_default();
        managed.entries.insert(
            manager.clone(),
            Owned {
                set: changed.set.union(&previous),
                api_version: request.resource.api_version(),
                time: Some(request.now.to_string()),
            },
        );
    }
}

fn updater<'s>(request: &Request<'_>, schema: &'s Schema) -> Updater<'s> {
    Updater {
        ty: schema.root(),
        version: request.resource.api_version(),
        ignored: reset_fields(request.resource, request.subresource),
    }
}

fn strip_server_fields(managed: &mut ManagedFields, manager: &Manager) {
    let stripped = STRIPPED.iter().fold(Set::new(), |mut set, path| {
        let path: Path = path.iter().map(|name| field(name)).collect();
        set.insert(&path);
        set
    });
    if let Some(owned) = managed.entries.get_mut(manager) {
        owned.set = owned.set.difference(&stripped);
        if owned.set.is_empty() {
            managed.entries.remove(manager);
        }
    }
}

/// Merges the oldest `Update` entries into one `ancient-changes` entry per
/// version until at most [`MAX_UPDATE_MANAGERS`] remain.
fn cap_update_managers(managed: &mut ManagedFields) {
    let mut updaters: Vec<(Option<String>, Manager)> = managed
        .entries
        .iter()
        .filter(|(m, _)| m.operation == Operation::Update)
        .map(|(m, owned)| (owned.time.clone(), m.clone()))
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort();
    let mut remaining = updaters.len();
    let mut first_of_version: std::collections::BTreeMap<String, Manager> = Default::default();
    for (time, manager) in updaters {
        if remaining <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(owned) = managed.entries.get(&manager).cloned() else {
            continue;
        };
        let version = owned.api_version.clone();
        let bucket = Manager::updater(ANCIENT_CHANGES, &version, "");
        match first_of_version.get(&version) {
            None => {
                first_of_version.insert(version, manager);
            }
            Some(first) => {
                if !managed.entries.contains_key(&bucket) {
                    if let Some(first_owned) = managed.entries.remove(first) {
                        managed.entries.insert(bucket.clone(), first_owned);
                    }
                }
                managed.entries.remove(&manager);
                if let Some(bucket_owned) = managed.entries.get_mut(&bucket) {
                    bucket_owned.set = owned.set.union(&bucket_owned.set);
                    bucket_owned.api_version = version;
                    bucket_owned.time = time;
                }
                remaining -= 1;
            }
        }
    }
}

/// The conflicts of an apply as upstream's 409: one line for one conflict,
/// else grouped by manager.
fn conflict_error(conflicts: Vec<Conflict>) -> ApplyError {
    let causes = conflicts
        .iter()
        .map(|c| {
            (
                path_string(&c.path),
                format!("conflict with {}", c.manager.describe()),
            )
        })
        .collect();
    let message = match conflicts.as_slice() {
        [one] => format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            one.manager.describe(),
            path_string(&one.path)
        ),
        many => {
            let mut by_manager: std::collections::BTreeMap<&Manager, Vec<String>> =
                Default::default();
            for conflict in many {
                by_manager
                    .entry(&conflict.manager)
                    .or_default()
                    .push(path_string(&conflict.path));
            }
            let mut lines = Vec::new();
            for (manager, paths) in by_manager {
                lines.push(format!("conflicts with {}:", manager.describe()));
                lines.extend(paths.into_iter().map(|p| format!("- {p}")));
            }
            format!(
                "Apply failed with {} conflicts: {}",
                many.len(),
                lines.join("\n")
            )
        }
    };
    ApplyError::Conflict { message, causes }
}

/// The fields of the last client-side apply that the object still holds as
/// applied: `kubectl` may take them over without a conflict.
fn allowed_by_last_applied(schema: &Schema, resource: &ResourceInfo, live: &Value) -> Option<Set> {
    let text = last_applied(live);
    if text.is_empty() {
        return None;
    }
    let last: Value = serde_json::from_str(text).ok().filter(Value::is_object)?;
    if last.get("apiVersion").and_then(Value::as_str) != Some(resource.api_version().as_str()) {
        return None;
    }
    let root = schema.root();
    let set = to_field_set(root, &last);
    let comparison = compare(root, &last, live);
    Some(
        set.difference(&comparison.modified)
            .difference(&comparison.added)
            .difference(&comparison.removed),
    )
}

fn last_applied(obj: &Value) -> &str {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The annotation the server keeps for `kubectl`: the applied configuration
/// without the annotation itself, as Go's JSON encoder writes it.
fn last_applied_of(config: &Value) -> String {
    let mut config = config.clone();
    if let Some(Value::Object(annotations)) = config.pointer_mut("/metadata/annotations") {
        annotations.remove(LAST_APPLIED);
    }
    let mut text = serde_json::to_string(&config).unwrap_or_default();
    text.push('\n');
    text
}

/// Rejects a configuration of another kind or version, as upstream:
/// `invalid object type: apps/v1, Kind=StatefulSet`.
fn check_type(resource: &ResourceInfo, config: &Value) -> Result<(), ApplyError> {
    let api_version = config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = config
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api_version == resource.api_version() && kind == resource.kind {
        return Ok(());
    }
    Err(ApplyError::BadRequest(format!(
        "invalid object type: {}",
        go_gvk(api_version, kind)
    )))
}

/// Go's `GroupVersionKind.String()`: `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`.
fn go_gvk(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// `namespace/name; group/version, Kind=Kind`, as upstream names an object in
/// field manager errors.
fn describe_object(resource: &ResourceInfo, obj: &Value) -> String {
    let text = |pointer: &str| {
        obj.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!(
        "{}/{}; {}",
        text("/metadata/namespace"),
        text("/metadata/name"),
        go_gvk(&resource.api_version(), resource.kind)
    )
}

/// The object Go's zero value of the kind shows, which a create compares
/// against: non-pointer structs are there, empty.
fn zero_object(schema: &Schema, resource: &ResourceInfo) -> Value {
    let mut zero = schema.zero().clone();
    if let Value::Object(map) = &mut zero {
        map.insert("apiVersion".into(), Value::from(resource.api_version()));
        map.insert("kind".into(), Value::from(resource.kind));
    }
    zero
}

fn remove_managed_fields(obj: &mut Value) {
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        meta.remove("managedFields");
    }
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut obj = obj.clone();
    remove_managed_fields(&mut obj);
    obj
}

fn set_managed_fields(obj: &mut Value, managed: &ManagedFields) {
    match managed.encode() {
        Some(entries) => {
            crate::meta::metadata_mut(obj).insert("managedFields".into(), entries);
        }
        None => remove_managed_fields(obj),
    }
}

#[cfg(test)]
mod tests;

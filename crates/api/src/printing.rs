//! Server-side printing: objects as a `meta.k8s.io` `Table`, the columns and
//! cells `kubectl get` shows.
//!
//! Upstream builds tables in the API server (`pkg/printers/internalversion/printers.go`
//! for the built-in kinds, `staging/src/k8s.io/apiserver/pkg/registry/rest/table.go`
//! for every other resource) and kubectl only lays them out. The server always
//! produces the wide columns; a column of priority 1 is one kubectl shows only
//! with `-o wide`. Ages are rendered here, against the `now` the caller passes,
//! as upstream's `duration.HumanDuration`.
//!
//! The printers are grouped by area: `printing/pod.rs`, `printing/workloads.rs`
//! (apps, batch, autoscaling, policy), `printing/core.rs` (the rest of core/v1)
//! and `printing/cluster.rs` (networking, discovery, RBAC, storage, scheduling,
//! coordination). Cells are computed from the storage version of an object, as
//! upstream computes them from the internal version; the object a row carries is
//! the one the caller passed, in the version of the request.

use std::fmt::Write as _;

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::ResourceInfo;

mod cluster;
mod core;
mod custom;
mod pod;
mod workloads;

/// What each row carries besides its cells (`?includeObject=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` with the object's metadata (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query parameter; an unknown value is the
    /// field error upstream's `ValidateTableOptions` reports.
    pub fn parse(value: Option<&str>) -> Result<IncludeObject, crate::FieldError> {
        match value {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(crate::FieldError::not_supported(
                "includeObject",
                other,
                &["Metadata", "None", "Object"],
            )),
        }
    }
}

/// One column of a table (`metav1.TableColumnDefinition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The header, as upstream spells it ("Name", "Up-to-date"); kubectl upper-cases it.
    pub name: &'static str,
    /// An OpenAPI type: "string", "integer", "number", "boolean" or "date".
    pub data_type: &'static str,
    /// An OpenAPI format hint; "name" marks the column holding the object's name.
    pub format: &'static str,
    pub description: &'static str,
    /// 0: always shown; 1: shown with `-o wide` only.
    pub priority: i32,
}

impl Column {
    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.data_type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// A string column shown by default.
const fn text(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        data_type: "string",
        format: "",
        description,
        priority: 0,
    }
}

/// A string column shown with `-o wide` only.
const fn wide(name: &'static str, description: &'static str) -> Column {
    Column {
        priority: 1,
        ..text(name, description)
    }
}

/// A column of another type shown by default.
const fn typed(name: &'static str, data_type: &'static str, description: &'static str) -> Column {
    Column {
        data_type,
        ..text(name, description)
    }
}

const NAME_DESCRIPTION: &str = "The name of the object.";
const AGE_DESCRIPTION: &str = "How long ago the object was created.";
const CONTAINERS_DESCRIPTION: &str = "The names of the containers of the pod template.";
const IMAGES_DESCRIPTION: &str = "The images of the containers of the pod template.";

/// The name column every printer starts with.
const NAME: Column = Column {
    format: "name",
    ..text("Name", NAME_DESCRIPTION)
};
const AGE: Column = text("Age", AGE_DESCRIPTION);

/// The columns of upstream's default table, for resources without a printer.
const DEFAULT_COLUMNS: &[Column] = &[
    NAME,
    typed("Created At", "date", "When the object was created."),
];

/// One row: its cells, and row conditions (`Completed` for finished pods).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<Value>,
    pub conditions: Option<Value>,
}

impl Row {
    fn new(cells: Vec<Value>) -> Row {
        Row {
            cells,
            conditions: None,
        }
    }
}

/// How a table is built.
#[derive(Clone, Copy, Debug)]
pub struct TableOptions<'a> {
    /// The time ages are measured against.
    pub now: Timestamp,
    pub include_object: IncludeObject,
    /// Leave `columnDefinitions` out (every watch event after the first).
    pub no_headers: bool,
    /// The version of the table: "meta.k8s.io/v1" or "meta.k8s.io/v1beta1".
    pub api_version: &'a str,
}

/// The table of `objects` of `resource` (given in `resource`'s version), with
/// `metadata` as the table's list metadata (`resourceVersion`, `continue`,
/// `remainingItemCount`).
pub fn table(
    resource: &ResourceInfo,
    objects: &[&Value],
    metadata: Value,
    options: &TableOptions,
) -> Value {
    let custom = crate::resource::custom::version_of(resource);
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let row = match &custom {
                Some(custom) => custom::row(custom, object, options.now),
                None => row(resource, object, options.now),
            };
            let mut out = Map::new();
            out.insert("cells".into(), Value::Array(row.cells));
            if let Some(conditions) = row.conditions {
                out.insert("conditions".into(), conditions);
            }
            match options.include_object {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    out.insert(
                        "object".into(),
                        partial_object_metadata(object, options.api_version),
                    );
                }
                IncludeObject::Object => {
                    out.insert("object".into(), (*object).clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    let column_definitions = if options.no_headers {
        Value::Null
    } else if let Some(custom) = &custom {
        Value::Array(custom::columns(custom))
    } else {
        Value::Array(columns(resource).iter().map(|c| c.to_json()).collect())
    };
    json!({
        "kind": "Table",
        "apiVersion": options.api_version,
        "metadata": metadata,
        "columnDefinitions": column_definitions,
        "rows": rows,
    })
}

/// The `PartialObjectMetadata` of an object: its metadata alone.
pub fn partial_object_metadata(object: &Value, api_version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": api_version,
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// The columns of a resource's table, wide ones included.
pub fn columns(resource: &ResourceInfo) -> &'static [Column] {
    printer(resource).map_or(DEFAULT_COLUMNS, |p| p.columns)
}

/// The row of one object of `resource`, given in `resource`'s version.
pub fn row(resource: &ResourceInfo, object: &Value, now: Timestamp) -> Row {
    let Some(printer) = printer(resource) else {
        return Row::new(vec![
            json!(crate::meta::name(object)),
            json!(created_at(object)),
        ]);
    };
    if resource.is_storage_version() {
        return (printer.row)(object, now);
    }
    // Printers read the storage version, as upstream's read the internal one.
    match crate::convert::convert(object.clone(), resource.storage()) {
        Ok(stored) => (printer.row)(&stored, now),
        Err(_) => (printer.row)(object, now),
    }
}

/// The columns of a kind and how to fill them.
struct Printer {
    columns: &'static [Column],
    row: fn(&Value, Timestamp) -> Row,
}

/// The printer of a resource, by the group of its storage and its kind.
fn printer(resource: &ResourceInfo) -> Option<Printer> {
    let group = resource.storage_group;
    let printer = |columns, row| Some(Printer { columns, row });
    match (group, resource.kind) {
        ("", "Pod") => printer(pod::COLUMNS, pod::row),
        ("", "PodTemplate") => printer(core::POD_TEMPLATE, core::pod_template),
        ("", "ReplicationController") => {
            printer(core::REPLICATION_CONTROLLER, core::replication_controller)
        }
        ("", "Service") => printer(core::SERVICE, core::service),
        ("", "Endpoints") => printer(core::ENDPOINTS, core::endpoints),
        ("", "Node") => printer(core::NODE, core::node),
        ("", "Event") => printer(core::EVENT, core::event),
        ("", "Namespace") => printer(core::NAMESPACE, core::namespace),
        ("", "Secret") => printer(core::SECRET, core::secret),
        ("", "ServiceAccount") => printer(core::SERVICE_ACCOUNT, core::service_account),
        ("", "PersistentVolume") => printer(core::PERSISTENT_VOLUME, core::persistent_volume),
        ("", "PersistentVolumeClaim") => {
            printer(core::PERSISTENT_VOLUME_CLAIM, core::persistent_volume_claim)
        }
        ("", "ConfigMap") => printer(core::CONFIG_MAP, core::config_map),
        ("", "ResourceQuota") => printer(core::RESOURCE_QUOTA, core::resource_quota),
        ("apps", "Deployment") => printer(workloads::DEPLOYMENT, workloads::deployment),
        ("apps", "ReplicaSet") => printer(workloads::REPLICA_SET, workloads::replica_set),
        ("apps", "StatefulSet") => printer(workloads::STATEFUL_SET, workloads::stateful_set),
        ("apps", "DaemonSet") => printer(workloads::DAEMON_SET, workloads::daemon_set),
        ("apps", "ControllerRevision") => printer(
            workloads::CONTROLLER_REVISION,
            workloads::controller_revision,
        ),
        ("batch", "Job") => printer(workloads::JOB, workloads::job),
        ("batch", "CronJob") => printer(workloads::CRON_JOB, workloads::cron_job),
        ("autoscaling", "HorizontalPodAutoscaler") => printer(
            workloads::HORIZONTAL_POD_AUTOSCALER,
            workloads::horizontal_pod_autoscaler,
        ),
        ("policy", "PodDisruptionBudget") => printer(
            workloads::POD_DISRUPTION_BUDGET,
            workloads::pod_disruption_budget,
        ),
        ("networking.k8s.io", "Ingress") => printer(cluster::INGRESS, cluster::ingress),
        ("networking.k8s.io", "IngressClass") => {
            printer(cluster::INGRESS_CLASS, cluster::ingress_class)
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            printer(cluster::NETWORK_POLICY, cluster::network_policy)
        }
        ("discovery.k8s.io", "EndpointSlice") => {
            printer(cluster::ENDPOINT_SLICE, cluster::endpoint_slice)
        }
        ("rbac.authorization.k8s.io", "RoleBinding") => {
            printer(cluster::ROLE_BINDING, cluster::role_binding)
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            printer(cluster::CLUSTER_ROLE_BINDING, cluster::role_binding)
        }
        ("storage.k8s.io", "StorageClass") => {
            printer(cluster::STORAGE_CLASS, cluster::storage_class)
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            printer(cluster::PRIORITY_CLASS, cluster::priority_class)
        }
        ("coordination.k8s.io", "Lease") => printer(cluster::LEASE, cluster::lease),
        _ => None,
    }
}

/// A duration in nanoseconds as upstream's `duration.HumanDuration` writes it:
/// about two significant figures ("45s", "3m2s", "10m", "4h", "3d", "2y30d").
pub fn human_duration(nanos: i128) -> String {
    const SECOND: i128 = 1_000_000_000;
    const MINUTE: i128 = 60 * SECOND;
    const HOUR: i128 = 60 * MINUTE;
    // Go's integer conversions truncate toward zero; a clock up to two seconds
    // behind still reads as now.
    let seconds = nanos / SECOND;
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / MINUTE;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / HOUR;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

// Helpers shared by the printers: reading fields of JSON objects the way Go
// reads zero values of absent fields.

/// The string at a JSON pointer, "" when absent.
fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The string at a JSON pointer, if present.
fn opt_str<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// The integer at a JSON pointer, 0 when absent.
fn int_at(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// The array at a JSON pointer, empty when absent.
fn array_at<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The number of entries of the object (map) at a JSON pointer.
fn map_len(obj: &Value, pointer: &str) -> usize {
    obj.pointer(pointer)
        .and_then(Value::as_object)
        .map_or(0, Map::len)
}

/// `value`, or `fallback` when it is empty.
fn or<'a>(value: &'a str, fallback: &'a str) -> &'a str {
    if value.is_empty() {
        fallback
    } else {
        value
    }
}

/// An RFC 3339 time, if it parses.
fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// The time since the timestamp at a JSON pointer, "<unknown>" when absent
/// (upstream's `translateTimestampSince` of a zero time).
fn since(obj: &Value, pointer: &str, now: Timestamp) -> String {
    match opt_str(obj, pointer).and_then(parse_time) {
        Some(time) => human_duration(now.as_nanosecond() - time.as_nanosecond()),
        None => "<unknown>".to_string(),
    }
}

/// The object's age.
fn age(obj: &Value, now: Timestamp) -> Value {
    json!(since(obj, "/metadata/creationTimestamp", now))
}

/// The object's name.
fn name(obj: &Value) -> Value {
    json!(crate::meta::name(obj))
}

/// The creation time in RFC 3339 (UTC, whole seconds), as the default table shows it.
fn created_at(obj: &Value) -> String {
    match opt_str(obj, "/metadata/creationTimestamp").and_then(parse_time) {
        Some(time) => time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        // Go's zero time.
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

/// A label map as upstream's `labels.FormatLabels`: `k=v` pairs sorted by key,
/// "<none>" when empty.
fn format_labels(labels: Option<&Value>) -> String {
    let Some(labels) = labels.and_then(Value::as_object).filter(|l| !l.is_empty()) else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<(&String, &str)> = labels
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{key}={value}");
    }
    out
}

/// A `metav1.LabelSelector` as upstream's `LabelSelectorAsSelector(..).String()`:
/// "" for a missing or empty selector, "<invalid>" for one that does not parse.
fn selector_string(selector: Option<&Value>) -> String {
    match crate::selector::LabelSelector::from_api(selector.unwrap_or(&Value::Null)) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<invalid>".to_string(),
    }
}

/// A `metav1.LabelSelector` as upstream's `metav1.FormatLabelSelector`:
/// "<none>" when it selects by nothing, "<error>" when it does not parse.
fn format_label_selector(selector: Option<&Value>) -> String {
    match crate::selector::LabelSelector::from_api(selector.unwrap_or(&Value::Null)) {
        Ok(parsed) => or(&parsed.to_string(), "<none>").to_string(),
        Err(_) => "<error>".to_string(),
    }
}

/// The names and images of a pod template's containers, comma-separated.
fn containers_and_images(pod_spec: Option<&Value>) -> (Value, Value) {
    let containers = pod_spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, "/image")).collect();
    (json!(names.join(",")), json!(images.join(",")))
}

/// An int-or-string as Go's `IntOrString.String()`.
fn int_or_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// A quantity as written. Upstream prints the canonical form of a
/// `resource.Quantity`; quantities are kept as clients wrote them, which is the
/// canonical form for the usual `1Gi`, `500m`, `10`.
fn quantity(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

/// At most `max` items joined by ",", then " + N more..."; "<unset>" when
/// there are none (upstream's `listWithMoreString`).
fn list_with_more(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return "<unset>".to_string();
    }
    let shown = items[..items.len().min(max)].join(",");
    if items.len() > max {
        format!("{shown} + {} more...", items.len() - max)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests;

//! Field errors in upstream's form, and the validators shared by every kind
//! (names, labels, annotations, object metadata).
//!
//! The messages are upstream's (k8s.io/apimachinery `pkg/util/validation` and
//! `pkg/api/validation`), word for word, because clients and users match on them.

use serde_json::Value;

mod meta;
mod names;

pub use meta::{
    validate_annotations, validate_finalizers, validate_labels, validate_object_meta,
    validate_object_meta_update, validate_owner_references, TOTAL_ANNOTATION_SIZE_LIMIT,
};
pub use names::{
    is_config_map_key, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_env_var_name,
    is_qualified_name, is_valid_ip, is_valid_label_value, is_valid_path_segment_name,
    is_valid_port_name, is_valid_port_num, NameRule,
};

/// The kinds of field error upstream reports (k8s.io/apimachinery field.ErrorType).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
    TooMany,
    NotFound,
    Internal,
}

impl ErrorType {
    /// The cause reason in a Status ("FieldValueRequired", ...).
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Internal => "InternalError",
        }
    }

    /// The words upstream's messages start with ("Required value", ...).
    pub fn message(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::NotFound => "Not found",
            ErrorType::Internal => "Internal error",
        }
    }
}

/// One invalid field. Displays as upstream does, for example
/// `spec.containers[0].image: Required value` or
/// `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub error_type: ErrorType,
    /// The field path as upstream writes it (`spec.containers[0].ports[1].containerPort`).
    pub field: String,
    pub bad_value: Option<Value>,
    pub detail: String,
}

impl FieldError {
    fn new(
        error_type: ErrorType,
        field: impl Into<String>,
        bad_value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            error_type,
            field: field.into(),
            bad_value,
            detail: detail.into(),
        }
    }

    /// `field: Required value[: detail]`.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Required, field, None, detail)
    }

    /// `field: Invalid value: <value>: detail`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(ErrorType::Invalid, field, Some(value.into()), detail)
    }

    /// `field: Invalid value: <go>: detail`, where the bad value is shown as the Go
    /// text `go` (for values upstream prints with `%#v`, such as a
    /// `v1.LabelSelector{...}`). The value is kept as `{"$goValue": go}`.
    pub fn invalid_go(
        field: impl Into<String>,
        go: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let mut value = serde_json::Map::new();
        value.insert(GO_VALUE_KEY.into(), Value::String(go.into()));
        Self::new(
            ErrorType::Invalid,
            field,
            Some(Value::Object(value)),
            detail,
        )
    }

    /// `field: Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(
        field: impl Into<String>,
        value: impl Into<Value>,
        supported: &[&str],
    ) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, Some(value.into()), detail)
    }

    /// `field: Duplicate value: <value>`.
    pub fn duplicate(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::Duplicate, field, Some(value.into()), "")
    }

    /// `field: Forbidden: detail`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Forbidden, field, None, detail)
    }

    /// `field: Too long: may not be more than N bytes`.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        Self::new(
            ErrorType::TooLong,
            field,
            None,
            format!("may not be more than {max_bytes} {unit}"),
        )
    }

    /// `field: Too many: <actual>: must have at most N items`.
    pub fn too_many(field: impl Into<String>, actual: usize, max_items: usize) -> Self {
        Self::new(
            ErrorType::TooMany,
            field,
            Some(Value::from(actual)),
            format!("must have at most {max_items} items"),
        )
    }

    /// `field: Not found: <value>`.
    pub fn not_found(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::NotFound, field, Some(value.into()), "")
    }

    /// `field: Internal error: detail`.
    pub fn internal(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Internal, field, None, detail)
    }

    /// The message without the field, as a Status cause carries it.
    pub fn body(&self) -> String {
        let mut body = self.error_type.message().to_string();
        let shows_value = !matches!(
            self.error_type,
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong | ErrorType::Internal
        );
        if shows_value {
            if let Some(value) = &self.bad_value {
                body.push_str(": ");
                body.push_str(&go_value(value));
            }
        }
        if !self.detail.is_empty() {
            body.push_str(": ");
            body.push_str(&self.detail);
        }
        body
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// The key of a bad value given as Go text (see [`FieldError::invalid_go`]).
const GO_VALUE_KEY: &str = "$goValue";

/// A value as Go's `%v`/`%q` prints it in a field error: strings quoted, numbers
/// and booleans bare, a null as `"null"`, lists of strings as `[]string{"a", "b"}`,
/// maps of strings as `map[string]string{"a":"b"}`, anything else as JSON.
fn go_value(value: &Value) -> String {
    if let Some(Value::String(go)) = value.get(GO_VALUE_KEY) {
        return go.clone();
    }
    match value {
        Value::Null => go_quote("null"),
        Value::String(s) => go_quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let quoted: Vec<String> = items
                .iter()
                .map(|v| go_quote(v.as_str().unwrap_or_default()))
                .collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
        Value::Object(map) if map.values().all(Value::is_string) => go_string_map(value),
        other => other.to_string(),
    }
}

/// A `map[string]string` as Go's `%#v` prints it: `map[string]string{"a":"b", "c":"d"}`,
/// or `map[string]string(nil)` for none.
pub fn go_string_map(value: &Value) -> String {
    match value.as_object() {
        None => "map[string]string(nil)".to_string(),
        Some(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        go_quote(k),
                        go_quote(v.as_str().unwrap_or_default())
                    )
                })
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

/// A `*metav1.LabelSelector` as upstream's field errors print it:
/// `v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`.
pub fn go_label_selector(selector: &Value) -> String {
    if selector.is_null() {
        return "null".to_string();
    }
    let expressions = match selector.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    let text =
                        |k: &str| go_quote(e.get(k).and_then(Value::as_str).unwrap_or_default());
                    let values = match e.get("values").and_then(Value::as_array) {
                        None => "[]string(nil)".to_string(),
                        Some(vs) => {
                            let quoted: Vec<String> = vs
                                .iter()
                                .map(|v| go_quote(v.as_str().unwrap_or_default()))
                                .collect();
                            format!("[]string{{{}}}", quoted.join(", "))
                        }
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        text("key"),
                        text("operator")
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    let labels = go_string_map(selector.get("matchLabels").unwrap_or(&Value::Null));
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{expressions}}}")
}

/// A string as Go's `strconv.Quote` writes it.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let code = c as u32;
                if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `parent.child`, or `child` at the root.
pub fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[index]`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// `parent[key]`, as upstream's `Path.Key`.
pub fn key(parent: &str, key: &str) -> String {
    format!("{parent}[{key}]")
}

/// Upstream's message for a field that may not change.
pub const FIELD_IMMUTABLE: &str = "field is immutable";

/// Upstream's message for a negative number where none is allowed.
pub const IS_NEGATIVE: &str = "must be greater than or equal to 0";

/// `field: Invalid value: <new>: field is immutable` if `new` differs from `old`.
pub fn validate_immutable(
    new: Option<&Value>,
    old: Option<&Value>,
    field: &str,
) -> Vec<FieldError> {
    if new == old {
        return Vec::new();
    }
    vec![FieldError::invalid(
        field,
        new.cloned().unwrap_or(Value::Null),
        FIELD_IMMUTABLE,
    )]
}

/// `field: Invalid value: n: must be greater than or equal to 0` for a negative number.
pub fn validate_nonnegative(value: Option<&Value>, field: &str) -> Vec<FieldError> {
    match value.and_then(Value::as_i64) {
        Some(n) if n < 0 => vec![FieldError::invalid(field, n, IS_NEGATIVE)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;

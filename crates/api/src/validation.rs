//! Field errors in upstream's form, and the validators shared by every kind
//! (names, labels, annotations, object metadata).

use serde_json::Value;

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

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let _ = f;
        unimplemented!()
    }
}

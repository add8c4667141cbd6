//! Label and field selectors: parsing the query-string forms and matching objects.

use serde_json::{Map, Value};

/// Why a selector could not be parsed. The message is what the API server puts
/// into a 400 BadRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

/// A parsed label selector (`a=b,c!=d,e in (f,g),!h,i`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {}

impl LabelSelector {
    /// Parses the string form used in `?labelSelector=`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let _ = text;
        unimplemented!()
    }

    /// Builds one from a `metav1.LabelSelector` (matchLabels and matchExpressions).
    pub fn from_api(selector: &Value) -> Result<Self, SelectorError> {
        let _ = selector;
        unimplemented!()
    }

    /// True if it selects everything.
    pub fn is_empty(&self) -> bool {
        unimplemented!()
    }

    /// True if an object with these labels is selected.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let _ = labels;
        unimplemented!()
    }
}

/// A parsed field selector (`metadata.name=x,status.phase!=Running`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let _ = text;
        unimplemented!()
    }

    pub fn is_empty(&self) -> bool {
        unimplemented!()
    }

    /// The field labels this selector names.
    pub fn fields(&self) -> Vec<&str> {
        unimplemented!()
    }

    /// True if the object is selected; `field` gives the value of a field label.
    pub fn matches(&self, field: impl Fn(&str) -> Option<String>) -> bool {
        let _ = field;
        unimplemented!()
    }

    /// If the selector requires `field` to equal one value, that value (used to
    /// narrow `metadata.name` and `metadata.namespace` lookups).
    pub fn exact(&self, field: &str) -> Option<&str> {
        let _ = field;
        unimplemented!()
    }
}

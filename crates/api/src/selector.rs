//! Label and field selectors: parsing the query-string forms and matching objects.
//!
//! The grammar, the validation of keys and values and the error messages are
//! upstream's (k8s.io/apimachinery `pkg/labels/selector.go` and
//! `pkg/fields/selector.go`). Parsing is in `selector/label.rs` and
//! `selector/field.rs`.

use serde_json::{Map, Value};

mod field;
mod label;

/// Why a selector could not be parsed. The message is what the API server puts
/// into a 400 BadRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

/// The operator of one label requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `key in (a,b)`, and `matchExpressions` `In`.
    In,
    /// `key notin (a,b)`, and `matchExpressions` `NotIn`.
    NotIn,
    /// `key=a` (also `matchLabels`).
    Equals,
    /// `key==a`.
    DoubleEquals,
    /// `key!=a`.
    NotEquals,
    /// `key`, and `matchExpressions` `Exists`.
    Exists,
    /// `!key`, and `matchExpressions` `DoesNotExist`.
    DoesNotExist,
    /// `key>1` (integer values).
    GreaterThan,
    /// `key<1` (integer values).
    LessThan,
}

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    /// Sorted and without duplicates, as upstream keeps them.
    pub values: Vec<String>,
}

impl Requirement {
    /// True if labels satisfy this requirement.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let value = labels
            .and_then(|l| l.get(&self.key))
            .map(|v| v.as_str().unwrap_or_default());
        let contains = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(contains),
            Operator::NotIn | Operator::NotEquals => !value.is_some_and(contains),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let Some(bound) = self.values.first().and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > bound
                } else {
                    have < bound
                }
            }
        }
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values = self.values.join(",");
        match self.operator {
            Operator::In => write!(f, "{} in ({values})", self.key),
            Operator::NotIn => write!(f, "{} notin ({values})", self.key),
            Operator::Equals => write!(f, "{}={values}", self.key),
            Operator::DoubleEquals => write!(f, "{}=={values}", self.key),
            Operator::NotEquals => write!(f, "{}!={values}", self.key),
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::GreaterThan => write!(f, "{}>{values}", self.key),
            Operator::LessThan => write!(f, "{}<{values}", self.key),
        }
    }
}

/// A parsed label selector (`a=b,c!=d,e in (f,g),!h,i`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// All must match; sorted by key as upstream sorts them.
    requirements: Vec<Requirement>,
    /// Selects nothing at all (a missing `metav1.LabelSelector`).
    nothing: bool,
}

impl LabelSelector {
    /// Parses the string form used in `?labelSelector=`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let requirements = label::parse(text)?;
        Ok(LabelSelector::from_requirements(requirements))
    }

    /// Builds one from a `metav1.LabelSelector` (matchLabels and matchExpressions).
    /// A `null` selector selects nothing, an empty one everything, as upstream's
    /// `LabelSelectorAsSelector`.
    pub fn from_api(selector: &Value) -> Result<Self, SelectorError> {
        label::from_api(selector)
    }

    /// The selector of a plain label map (a Service's or a ReplicationController's
    /// `spec.selector`): every label must equal its value.
    pub fn from_labels(labels: &Map<String, Value>) -> Self {
        let requirements = labels
            .iter()
            .map(|(key, value)| Requirement {
                key: key.clone(),
                operator: Operator::Equals,
                values: vec![value.as_str().unwrap_or_default().to_string()],
            })
            .collect();
        LabelSelector::from_requirements(requirements)
    }

    /// A selector that selects nothing.
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector {
            requirements,
            nothing: false,
        }
    }

    /// True if it selects everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True if it selects nothing.
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, all of which must match.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True if an object with these labels is selected.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// One term of a field selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    /// True for `=` and `==`, false for `!=`.
    pub equals: bool,
    /// The unescaped value.
    pub value: String,
}

/// A parsed field selector (`metadata.name=x,status.phase!=Running`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// All must match; sorted as upstream sorts the terms.
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        Ok(FieldSelector {
            terms: field::parse(text)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, all of which must match.
    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// The field labels this selector names.
    pub fn fields(&self) -> Vec<&str> {
        self.terms.iter().map(|t| t.field.as_str()).collect()
    }

    /// True if the object is selected; `field` gives the value of a field label
    /// (`None` counts as the empty string, as upstream's `fields.Set`).
    pub fn matches(&self, field: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|term| {
            let value = field(&term.field).unwrap_or_default();
            (value == term.value) == term.equals
        })
    }

    /// If the selector requires `field` to equal one value, that value (used to
    /// narrow `metadata.name` and `metadata.namespace` lookups).
    pub fn exact(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.equals && t.field == field)
            .map(|t| t.value.as_str())
    }
}

impl std::fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| {
                let op = if t.equals { "=" } else { "!=" };
                format!("{}{op}{}", t.field, field::escape_value(&t.value))
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests;

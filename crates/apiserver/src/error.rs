//! Errors of request handling, and their one mapping to a Kubernetes `Status`.

use api::FieldError;
use serde_json::{json, Value};

/// Everything a request can fail with. Each variant maps to the HTTP code and
/// Status reason upstream uses for the same failure (see [`ApiError::status`]).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { message: String },
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { message: String },
    /// `kind` is the lower-case plural ("pods"), with group ("deployments.apps").
    #[error("{resource} \"{name}\" not found")]
    NotFound { resource: String, name: String },
    #[error("the server could not find the requested resource")]
    NoRoute,
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists { resource: String, name: String },
    #[error("Operation cannot be fulfilled on {resource} \"{name}\": {detail}")]
    Conflict {
        resource: String,
        name: String,
        detail: String,
    },
    /// The object is invalid; `kind` is the object's kind ("Pod").
    #[error("{kind}{} \"{name}\" is invalid: {}", group_suffix(.group), join_field_errors(.errors))]
    Invalid {
        kind: String,
        group: String,
        name: String,
        errors: Vec<FieldError>,
    },
    /// 409 of a server-side apply that would change fields other managers
    /// own; `causes` are (field, message).
    #[error("{message}")]
    ApplyConflict {
        message: String,
        causes: Vec<(String, String)>,
    },
    #[error("{message}")]
    Gone { message: String },
    /// A continue token that can no longer be served.
    #[error("{message}")]
    Expired { message: String },
    #[error("{message}")]
    NotAcceptable { message: String },
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    #[error("Request entity too large: limit is {limit}")]
    RequestEntityTooLarge { limit: usize },
    #[error("{message}")]
    Timeout { message: String },
    /// 429: a disruption budget refuses an eviction; `causes` are (reason, message).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        causes: Vec<(String, String)>,
    },
    #[error("{message}")]
    ServiceUnavailable { message: String },
    #[error("{message}")]
    Internal { message: String },
}

fn group_suffix(group: &str) -> String {
    if group.is_empty() {
        String::new()
    } else {
        format!(".{group}")
    }
}

fn join_field_errors(errors: &[FieldError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        ApiError::Internal {
            message: message.to_string(),
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } | ApiError::NoRoute => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::NotAcceptable { .. } => 406,
            ApiError::AlreadyExists { .. }
            | ApiError::Conflict { .. }
            | ApiError::ApplyConflict { .. } => 409,
            ApiError::Gone { .. } | ApiError::Expired { .. } => 410,
            ApiError::RequestEntityTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType { .. } => 415,
            ApiError::Invalid { .. } => 422,
            ApiError::Timeout { .. } => 504,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::ServiceUnavailable { .. } => 503,
            ApiError::Internal { .. } => 500,
        }
    }

    /// The Status `reason`, as upstream's `metav1.StatusReason`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "BadRequest",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::NotFound { .. } | ApiError::NoRoute => "NotFound",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::NotAcceptable { .. } => "NotAcceptable",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } | ApiError::ApplyConflict { .. } => "Conflict",
            ApiError::Gone { .. } => "Gone",
            ApiError::Expired { .. } => "Expired",
            ApiError::RequestEntityTooLarge { .. } => "RequestEntityTooLarge",
            ApiError::UnsupportedMediaType { .. } => "UnsupportedMediaType",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::Timeout { .. } => "Timeout",
            ApiError::TooManyRequests { .. } => "TooManyRequests",
            ApiError::ServiceUnavailable { .. } => "ServiceUnavailable",
            ApiError::Internal { .. } => "InternalError",
        }
    }

    /// The `details` of the Status, when upstream gives them.
    fn details(&self) -> Option<Value> {
        let (name, resource) = match self {
            ApiError::NotFound { resource, name }
            | ApiError::AlreadyExists { resource, name }
            | ApiError::Conflict { resource, name, .. } => (name, resource),
            ApiError::Invalid {
                kind,
                group,
                name,
                errors,
            } => {
                let causes: Vec<Value> = errors
                    .iter()
                    .map(|e| {
                        let full = e.to_string();
                        let message = full
                            .strip_prefix(&format!("{}: ", e.field))
                            .unwrap_or(&full)
                            .to_string();
                        json!({
                            "reason": e.error_type.cause_reason(),
                            "message": message,
                            "field": e.field,
                        })
                    })
                    .collect();
                let mut details = json!({ "name": name, "kind": kind, "causes": causes });
                if !group.is_empty() {
                    details["group"] = json!(group);
                }
                return Some(details);
            }
            ApiError::ApplyConflict { causes, .. } => {
                let causes: Vec<Value> = causes
                    .iter()
                    .map(|(field, message)| {
                        json!({"reason": "FieldManagerConflict", "message": message, "field": field})
                    })
                    .collect();
                return Some(json!({ "causes": causes }));
            }
            ApiError::TooManyRequests { causes, .. } => {
                let causes: Vec<Value> = causes
                    .iter()
                    .map(|(reason, message)| json!({"reason": reason, "message": message}))
                    .collect();
                return Some(json!({ "causes": causes }));
            }
            _ => return None,
        };
        // "deployments.apps" -> kind "deployments", group "apps".
        let (kind, group) = match resource.split_once('.') {
            Some((kind, group)) => (kind, group),
            None => (resource.as_str(), ""),
        };
        let mut details = json!({ "name": name, "kind": kind });
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        Some(details)
    }

    /// The `Status` object upstream returns for this error.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        if let Some(details) = self.details() {
            status["details"] = details;
        }
        if matches!(self, ApiError::NoRoute) {
            status["details"] = json!({});
        }
        status
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> Self {
        match error {
            store::StoreError::Compacted {
                requested,
                compacted,
            } => ApiError::Gone {
                message: format!("too old resource version: {requested} ({compacted})"),
            },
            other => ApiError::internal(other),
        }
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

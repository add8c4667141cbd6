//! Decoding request bodies against the upstream types, as the API server's
//! codec does: check `apiVersion` and `kind`, check every field's type, collect
//! unknown fields, and normalise through the typed form.

use std::cell::RefCell;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::deserializer::{self, Node, Problem};
use super::types::{visit_type, TypeVisitor};
use super::{DecodeError, Decoded};
use crate::ResourceInfo;

/// Go's description of the struct it first decodes `apiVersion` and `kind` into.
const TYPE_META_GO: &str = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;

pub(super) fn decode(resource: &ResourceInfo, body: Value) -> Result<Decoded, DecodeError> {
    let mut body = match body {
        // Go decodes `null` into an empty object.
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(map) => Value::Object(map),
        other => {
            return Err(DecodeError(format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type {TYPE_META_GO}",
                json_kind(&other)
            )))
        }
    };
    check_type_meta(resource, &body)?;
    let typed = visit_type(
        resource,
        Typed {
            resource,
            body: body.clone(),
        },
    );
    match typed {
        Some(result) => result.map(|mut decoded| {
            prune_added_empties(&mut decoded.object, &body, true);
            decoded
        }),
        None => {
            // A custom resource: what its schema does not declare is pruned.
            let unknown_fields = match crate::resource::custom::version_of(resource)
                .and_then(|v| v.schema.clone())
            {
                Some(schema) => crate::schema::prune(&schema, &mut body),
                None => Vec::new(),
            };
            if let Value::Object(map) = &mut body {
                map.insert("apiVersion".into(), Value::String(resource.api_version()));
                map.insert("kind".into(), Value::String(resource.kind.to_string()));
            }
            Ok(Decoded {
                object: body,
                unknown_fields,
            })
        }
    }
}

/// Removes the empty objects and lists the typed form added for fields the body
/// did not have. `k8s-openapi` makes fields the OpenAPI schema calls required
/// non-optional, so an absent `spec.selector` would come back as `{}`; Go keeps
/// such pointer fields nil, and validation must see them missing.
fn prune_added_empties(output: &mut Value, input: &Value, top: bool) {
    match (output, input) {
        (Value::Object(out), Value::Object(inp)) => {
            out.retain(|key, value| {
                let absent = inp.get(key).is_none_or(Value::is_null);
                let empty = matches!(value, Value::Object(m) if m.is_empty())
                    || matches!(value, Value::Array(a) if a.is_empty());
                !(absent && empty && !(top && key == "metadata"))
            });
            for (key, value) in out.iter_mut() {
                if let Some(original) = inp.get(key) {
                    prune_added_empties(value, original, false);
                }
            }
        }
        (Value::Array(out), Value::Array(inp)) if out.len() == inp.len() => {
            for (value, original) in out.iter_mut().zip(inp) {
                prune_added_empties(value, original, false);
            }
        }
        _ => {}
    }
}

/// The JSON type name Go's decoder reports for a value.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Rejects a body whose `apiVersion` or `kind` names another resource; absent
/// ones default to the resource's own, as upstream's codec defaults them from
/// the request path.
fn check_type_meta(resource: &ResourceInfo, body: &Value) -> Result<(), DecodeError> {
    let field = |name: &str| -> Result<Option<&str>, DecodeError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(DecodeError(format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go struct field .{name} of type string",
                json_kind(other)
            ))),
        }
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    let expected_version = resource.api_version();
    if let Some(kind) = kind {
        if kind != resource.kind {
            return Err(DecodeError(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                resource.kind
            )));
        }
    }
    if let Some(api_version) = api_version {
        if api_version != expected_version {
            return Err(DecodeError(format!(
                "the API version in the data ({api_version}) does not match the expected API version ({expected_version})"
            )));
        }
    }
    Ok(())
}

/// Decodes through the resource's `k8s-openapi` type.
struct Typed<'r> {
    resource: &'r ResourceInfo,
    body: Value,
}

impl TypeVisitor for Typed<'_> {
    type Output = Result<Decoded, DecodeError>;

    fn visit<T>(self) -> Self::Output
    where
        T: k8s_openapi::Resource + DeserializeOwned + Serialize,
    {
        let unknown = RefCell::new(Vec::new());
        let typed = T::deserialize(Node::root(self.body, self.resource.kind, &unknown))
            .map_err(|error| DecodeError(message(self.resource, &error)))?;
        let object = super::omit_empty::to_value(&typed).map_err(|error| {
            DecodeError(format!("{} cannot be encoded: {error}", self.resource.kind))
        })?;
        Ok(Decoded {
            object,
            unknown_fields: unknown.into_inner(),
        })
    }
}

/// Upstream's detail for a body that does not decode (`json: cannot unmarshal
/// ...`); the API server prefixes `Pod in version "v1" cannot be handled as a Pod: `.
fn message(resource: &ResourceInfo, error: &deserializer::Error) -> String {
    let detail = match (&error.problem, &error.path) {
        (Problem::Type { got, want }, Some(path)) => format!(
            "json: cannot unmarshal {got} into Go struct field {}.{} of type {want}",
            error.parent_type.as_deref().unwrap_or(resource.kind),
            go_path(path)
        ),
        (Problem::Type { got, want }, None) => {
            format!("json: cannot unmarshal {got} into Go value of type {want}")
        }
        (Problem::Other(text), Some(path)) => format!("{text} (in field {path})"),
        (Problem::Other(text), None) => text.clone(),
    };
    detail
}

/// A field path as Go's decoder writes it: without list indices.
fn go_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resource::lookup;

    fn check(plural: &str, body: Value, expected: Result<Value, &str>) {
        let resource = lookup("", "v1", plural).expect("resource");
        let got = decode(resource, body).map(|d| d.object);
        match expected {
            Ok(object) => assert_eq!(got, Ok(object)),
            Err(message) => assert_eq!(got, Err(DecodeError(message.to_string()))),
        }
    }

    #[test]
    fn normalises() {
        check(
            "configmaps",
            json!({"metadata": {"name": "a", "labels": null}, "data": {"k": "v"}, "immutable": null}),
            Ok(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}),
            ),
        );
        check(
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "x"}]}}),
            Ok(
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "", "image": "x"}]}}),
            ),
        );
    }

    #[test]
    fn type_errors() {
        check(
            "pods",
            json!({"spec": {"containers": "x"}}),
            Err("json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type array"),
        );
        check(
            "pods",
            json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 1.5}]}]}}),
            Err("json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"),
        );
        check(
            "pods",
            json!({"metadata": {"labels": {"a": 1}}}),
            Err("json: cannot unmarshal number 1 into Go struct field ObjectMeta.metadata.labels.a of type string"),
        );
        check(
            "pods",
            json!({"spec": "x"}),
            Err("json: cannot unmarshal string into Go struct field Pod.spec of type PodSpec"),
        );
        check(
            "pods",
            json!([]),
            Err(&format!("couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type {TYPE_META_GO}")),
        );
    }

    #[test]
    fn type_meta_mismatch() {
        check(
            "pods",
            json!({"apiVersion": "v1", "kind": "Service"}),
            Err("the kind in the data (Service) does not match the expected kind (Pod)"),
        );
        check(
            "pods",
            json!({"apiVersion": "apps/v1", "kind": "Pod"}),
            Err("the API version in the data (apps/v1) does not match the expected API version (v1)"),
        );
    }

    #[test]
    fn unknown_fields() {
        let resource = lookup("", "v1", "pods").expect("pods");
        let decoded = decode(
            resource,
            json!({"foo": 1, "metadata": {"bar": {}}, "spec": {"containers": [{"name": "a"}, {"name": "b", "baz": null, "qux": [1]}]}}),
        )
        .expect("decodes");
        assert_eq!(
            decoded.unknown_fields,
            vec!["foo", "metadata.bar", "spec.containers[1].qux"]
        );
    }
}

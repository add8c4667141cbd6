//! Protobuf bodies of the authentication and authorization kinds.
//!
//! kubectl sends `kubectl create token`, `auth can-i` and `auth whoami` bodies
//! as `application/vnd.kubernetes.protobuf`: the `k8s\0` prefix and a
//! `runtime.Unknown` envelope around the object. The generic decoder of the
//! `api` crate covers the stored kinds; these few create-only kinds are decoded
//! here, into the JSON Go would write for them, from a small table of their
//! field numbers (k8s.io/api `authentication/v1` and `authorization/v1`
//! `generated.proto`). Unknown fields are skipped, as gogo does.

use serde_json::{json, Map, Value};

/// Why a protobuf body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    #[error(
        "provided data does not appear to be a protobuf message, expected prefix \"k8s\\x00\""
    )]
    MissingPrefix,
    #[error("protobuf: truncated message")]
    Truncated,
    #[error("protobuf: varint overflows 64 bits")]
    Overflow,
    #[error("protobuf: unsupported wire type {0}")]
    WireType(u64),
    #[error("protobuf: field {field} has wire type {got}, expected {expected}")]
    Mismatch { field: u32, got: u64, expected: u64 },
    #[error("protobuf: a string is not UTF-8")]
    Utf8,
    #[error("no kind \"{kind}\" is registered for version \"{api_version}\" in protobuf")]
    UnknownKind { api_version: String, kind: String },
}

/// How one field of a message reads.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Strings,
    Int64,
    Message(&'static [Field]),
    /// `map<string, ExtraValue>`: entries of key (1) and a message whose
    /// field 1 is the repeated values; JSON is an object of string lists.
    StringListMap,
}

type Field = (u32, &'static str, Kind);

const OBJECT_META: &[Field] = &[
    (1, "name", Kind::Str),
    (2, "generateName", Kind::Str),
    (3, "namespace", Kind::Str),
];
const BOUND_OBJECT_REFERENCE: &[Field] = &[
    (1, "kind", Kind::Str),
    (2, "apiVersion", Kind::Str),
    (3, "name", Kind::Str),
    (4, "uid", Kind::Str),
];
const TOKEN_REQUEST_SPEC: &[Field] = &[
    (1, "audiences", Kind::Strings),
    (3, "boundObjectRef", Kind::Message(BOUND_OBJECT_REFERENCE)),
    (4, "expirationSeconds", Kind::Int64),
];
const TOKEN_REVIEW_SPEC: &[Field] = &[(1, "token", Kind::Str), (2, "audiences", Kind::Strings)];
const RESOURCE_ATTRIBUTES: &[Field] = &[
    (1, "namespace", Kind::Str),
    (2, "verb", Kind::Str),
    (3, "group", Kind::Str),
    (4, "version", Kind::Str),
    (5, "resource", Kind::Str),
    (6, "subresource", Kind::Str),
    (7, "name", Kind::Str),
];
const NON_RESOURCE_ATTRIBUTES: &[Field] = &[(1, "path", Kind::Str), (2, "verb", Kind::Str)];
const SELF_SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
    (1, "resourceAttributes", Kind::Message(RESOURCE_ATTRIBUTES)),
    (
        2,
        "nonResourceAttributes",
        Kind::Message(NON_RESOURCE_ATTRIBUTES),
    ),
];
const SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
    (1, "resourceAttributes", Kind::Message(RESOURCE_ATTRIBUTES)),
    (
        2,
        "nonResourceAttributes",
        Kind::Message(NON_RESOURCE_ATTRIBUTES),
    ),
    (3, "user", Kind::Str),
    (4, "groups", Kind::Strings),
    (5, "extra", Kind::StringListMap),
    (6, "uid", Kind::Str),
];
const SELF_SUBJECT_RULES_REVIEW_SPEC: &[Field] = &[(1, "namespace", Kind::Str)];

/// The top-level fields of a kind: metadata (1) and spec (2); status is the
/// server's to fill.
fn kind_fields(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    const fn object(spec: &'static [Field]) -> [Field; 2] {
        [
            (1, "metadata", Kind::Message(OBJECT_META)),
            (2, "spec", Kind::Message(spec)),
        ]
    }
    const TOKEN_REQUEST: [Field; 2] = object(TOKEN_REQUEST_SPEC);
    const TOKEN_REVIEW: [Field; 2] = object(TOKEN_REVIEW_SPEC);
    const SELF_SUBJECT_ACCESS_REVIEW: [Field; 2] = object(SELF_SUBJECT_ACCESS_REVIEW_SPEC);
    const SUBJECT_ACCESS_REVIEW: [Field; 2] = object(SUBJECT_ACCESS_REVIEW_SPEC);
    const SELF_SUBJECT_RULES_REVIEW: [Field; 2] = object(SELF_SUBJECT_RULES_REVIEW_SPEC);
    const SELF_SUBJECT_REVIEW: [Field; 1] = [(1, "metadata", Kind::Message(OBJECT_META))];
    match (api_version, kind) {
        ("authentication.k8s.io/v1", "TokenRequest") => Some(&TOKEN_REQUEST),
        ("authentication.k8s.io/v1", "TokenReview") => Some(&TOKEN_REVIEW),
        ("authentication.k8s.io/v1", "SelfSubjectReview") => Some(&SELF_SUBJECT_REVIEW),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => Some(&SELF_SUBJECT_ACCESS_REVIEW),
        ("authorization.k8s.io/v1", "SubjectAccessReview" | "LocalSubjectAccessReview") => {
            Some(&SUBJECT_ACCESS_REVIEW)
        }
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => Some(&SELF_SUBJECT_RULES_REVIEW),
        _ => None,
    }
}

/// A protobuf body (prefix and envelope) as the JSON object it stands for,
/// with `apiVersion` and `kind` from the envelope.
pub fn decode(bytes: &[u8]) -> Result<Value, ProtoError> {
    let envelope = bytes
        .strip_prefix(b"k8s\0".as_slice())
        .ok_or(ProtoError::MissingPrefix)?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for field in Reader(envelope) {
        let (number, value) = field?;
        match (number, value) {
            (1, Wire::Bytes(type_meta)) => {
                for field in Reader(type_meta) {
                    match field? {
                        (1, Wire::Bytes(b)) => api_version = utf8(b)?,
                        (2, Wire::Bytes(b)) => kind = utf8(b)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = bytes,
            _ => {}
        }
    }
    let fields = kind_fields(&api_version, &kind).ok_or_else(|| ProtoError::UnknownKind {
        api_version: api_version.clone(),
        kind: kind.clone(),
    })?;
    let mut object = message(raw, fields)?;
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    Ok(Value::Object(object))
}

fn utf8(bytes: &[u8]) -> Result<String, ProtoError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtoError::Utf8)
}

fn message(bytes: &[u8], fields: &[Field]) -> Result<Map<String, Value>, ProtoError> {
    let mut out = Map::new();
    for field in Reader(bytes) {
        let (number, value) = field?;
        let Some((_, name, kind)) = fields.iter().find(|(n, _, _)| *n == number) else {
            continue;
        };
        let name = (*name).to_string();
        match (kind, value) {
            (Kind::Str, Wire::Bytes(b)) => {
                let text = utf8(b)?;
                if !text.is_empty() {
                    out.insert(name, json!(text));
                }
            }
            (Kind::Strings, Wire::Bytes(b)) => {
                let entry = out.entry(name).or_insert_with(|| json!([]));
                if let Value::Array(items) = entry {
                    items.push(json!(utf8(b)?));
                }
            }
            // Go's int64 as a varint: two's complement in 64 bits.
            (Kind::Int64, Wire::Varint(v)) => {
                out.insert(name, json!(v as i64));
            }
            (Kind::Message(inner), Wire::Bytes(b)) => {
                out.insert(name, Value::Object(message(b, inner)?));
            }
            (Kind::StringListMap, Wire::Bytes(entry)) => {
                let mut key = String::new();
                let mut values = Vec::new();
                for field in Reader(entry) {
                    match field? {
                        (1, Wire::Bytes(b)) => key = utf8(b)?,
                        (2, Wire::Bytes(list)) => {
                            for item in Reader(list) {
                                if let (1, Wire::Bytes(b)) = item? {
                                    values.push(json!(utf8(b)?));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                let map = out.entry(name).or_insert_with(|| json!({}));
                map[key] = Value::Array(values);
            }
            (_, value) => {
                return Err(ProtoError::Mismatch {
                    field: number,
                    got: value.wire_type(),
                    expected: match kind {
                        Kind::Int64 => 0,
                        _ => 2,
                    },
                })
            }
        }
    }
    Ok(out)
}

/// One field's value on the wire.
enum Wire<'a> {
    Varint(u64),
    Fixed,
    Bytes(&'a [u8]),
}

impl Wire<'_> {
    fn wire_type(&self) -> u64 {
        match self {
            Wire::Varint(_) => 0,
            Wire::Fixed => 1,
            Wire::Bytes(_) => 2,
        }
    }
}

/// The fields of a message, in order.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first().ok_or(ProtoError::Truncated)?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtoError::Overflow)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ProtoError> {
        if self.0.len() < len {
            return Err(ProtoError::Truncated);
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(taken)
    }

    fn field(&mut self) -> Result<(u32, Wire<'a>), ProtoError> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| ProtoError::Overflow)?;
        let value = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| ProtoError::Overflow)?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            other => return Err(ProtoError::WireType(other)),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<(u32, Wire<'a>), ProtoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let item = self.field();
        if item.is_err() {
            // Stop after an error: what follows cannot be framed.
            self.0 = &[];
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn bytes(number: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3 | 2) as u8, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut type_meta = bytes(1, api_version.as_bytes());
        type_meta.extend(bytes(2, kind.as_bytes()));
        let mut out = b"k8s\0".to_vec();
        out.extend(bytes(1, &type_meta));
        out.extend(bytes(2, raw));
        out
    }

    #[test]
    fn token_request() {
        // spec { audiences: "vault", expirationSeconds: 600 (varint 0xd8 0x04) }
        let mut spec = bytes(1, b"vault");
        spec.extend([4 << 3, 0xd8, 0x04]);
        let mut raw = bytes(1, &[]);
        raw.extend(bytes(2, &spec));
        let body = envelope("authentication.k8s.io/v1", "TokenRequest", &raw);
        assert_eq!(
            decode(&body).unwrap(),
            json!({
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "metadata": {},
                "spec": {"audiences": ["vault"], "expirationSeconds": 600},
            })
        );
    }

    #[test]
    fn access_reviews() {
        let mut attributes = bytes(1, b"default");
        attributes.extend(bytes(2, b"list"));
        attributes.extend(bytes(5, b"pods"));
        // extra {"k": ["v"]}
        let mut entry = bytes(1, b"k");
        entry.extend(bytes(2, &bytes(1, b"v")));
        let mut spec = bytes(1, &attributes);
        spec.extend(bytes(3, b"alice"));
        spec.extend(bytes(4, b"devs"));
        spec.extend(bytes(5, &entry));
        // An unknown varint field is skipped.
        spec.extend([9 << 3, 1]);
        let raw = bytes(2, &spec);
        let body = envelope("authorization.k8s.io/v1", "SubjectAccessReview", &raw);
        assert_eq!(
            decode(&body).unwrap()["spec"],
            json!({
                "resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"},
                "user": "alice",
                "groups": ["devs"],
                "extra": {"k": ["v"]},
            })
        );
    }

    #[test]
    fn bad_bodies() {
        assert_eq!(decode(b"{}"), Err(ProtoError::MissingPrefix));
        assert!(matches!(
            decode(&envelope("v1", "Pod", &[])),
            Err(ProtoError::UnknownKind { .. })
        ));
        let truncated = envelope(
            "authorization.k8s.io/v1",
            "SelfSubjectRulesReview",
            &[0x12, 0x05, 0x0a],
        );
        assert_eq!(decode(&truncated), Err(ProtoError::Truncated));
    }
}

//! Protobuf messages to JSON, driven by the generated schema.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::schema::{KINDS, MESSAGES};
use super::wire::{Reader, WireError, WireValue};
use super::{
    DecodeError, Field, Kind, Label, Message, ProtobufError, Special, INLINE, POINTER, PREFIX,
    REQUIRED,
};

/// Go's zero `time.Time`, 0001-01-01T00:00:00Z, in Unix seconds: an unset time.
const ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// The body's object, with `apiVersion` and `kind` from the envelope.
pub(super) fn envelope(bytes: &[u8]) -> Result<Value, ProtobufError> {
    if bytes.is_empty() {
        return Err(ProtobufError::Empty);
    }
    let data = bytes
        .strip_prefix(&PREFIX)
        .ok_or(ProtobufError::MissingPrefix)?;
    if data.is_empty() {
        return Err(ProtobufError::EmptyBody);
    }
    let unknown = Unknown::decode(data).map_err(ProtobufError::Envelope)?;
    if unknown.kind.is_empty() {
        return Err(ProtobufError::MissingKind);
    }
    if unknown.api_version.is_empty() {
        return Err(ProtobufError::MissingVersion);
    }
    let message =
        lookup(&unknown.api_version, &unknown.kind).ok_or_else(|| ProtobufError::UnknownKind {
            api_version: unknown.api_version.clone(),
            kind: unknown.kind.clone(),
        })?;
    let object = decode_message(&Reader::new(unknown.raw), message).map_err(|failure| {
        ProtobufError::Field {
            kind: unknown.kind.clone(),
            path: failure.path(),
            source: failure.error,
        }
    })?;
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(unknown.api_version));
    out.insert("kind".into(), Value::String(unknown.kind));
    if let Value::Object(fields) = object {
        out.extend(fields);
    }
    Ok(Value::Object(out))
}

/// The parts of `runtime.Unknown` that matter: `contentEncoding` and
/// `contentType` are ignored, as upstream's protobuf serializer does.
struct Unknown<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
}

impl<'a> Unknown<'a> {
    fn decode(data: &'a [u8]) -> Result<Self, WireError> {
        let mut unknown = Unknown {
            api_version: String::new(),
            kind: String::new(),
            raw: &[],
        };
        let mut reader = Reader::new(data);
        while let Some((tag, value)) = reader.next_field()? {
            match (tag, value) {
                (1, WireValue::Len(type_meta)) => {
                    let mut type_meta = reader.nested(type_meta)?;
                    while let Some((tag, value)) = type_meta.next_field()? {
                        match (tag, value) {
                            (1, WireValue::Len(bytes)) => unknown.api_version = lossy(bytes),
                            (2, WireValue::Len(bytes)) => unknown.kind = lossy(bytes),
                            _ => {}
                        }
                    }
                }
                (2, WireValue::Len(raw)) => unknown.raw = raw,
                _ => {}
            }
        }
        Ok(unknown)
    }
}

/// The message of a kind: the exact apiVersion first, then kinds of any version.
fn lookup(api_version: &str, kind: &str) -> Option<&'static Message> {
    let find = |version: &str| {
        KINDS
            .iter()
            .find(|(v, k, _)| *v == version && *k == kind)
            .map(|(_, _, index)| message_at(*index))
    };
    find(api_version).or_else(|| find("*"))
}

fn message_at(index: u16) -> &'static Message {
    &MESSAGES[usize::from(index)]
}

/// A decoding error and where it happened, innermost segment first.
struct Failure {
    path: Vec<Segment>,
    error: DecodeError,
}

enum Segment {
    Field(&'static str),
    Index(usize),
    Key(String),
}

impl Failure {
    fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                // An inline field (a Volume's VolumeSource) adds no name.
                Segment::Field("") => {}
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
                Segment::Key(key) => out.push_str(&format!("[{key:?}]")),
            }
        }
        if out.is_empty() {
            out.push_str("<root>");
        }
        out
    }
}

impl<E: Into<DecodeError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            path: Vec::new(),
            error: error.into(),
        }
    }
}

type Decoded<T> = Result<T, Failure>;

/// Adds a path segment to an error on its way out.
trait At {
    fn at(self, segment: Segment) -> Self;
}

impl<T> At for Decoded<T> {
    fn at(self, segment: Segment) -> Self {
        self.map_err(|mut failure| {
            failure.path.push(segment);
            failure
        })
    }
}

fn field_segment(field: &Field) -> Segment {
    Segment::Field(field.json)
}

/// One message as JSON; `Value::Null` for the unset values Go writes as `null`.
fn decode_message(reader: &Reader<'_>, message: &'static Message) -> Decoded<Value> {
    match message.special {
        Special::None => decode_fields(reader.clone(), message),
        Special::Time => {
            let fields = collect(reader.clone())?;
            if fields.is_empty() {
                return Ok(Value::Null);
            }
            // Upstream reads the seconds only (`Time.Unmarshal` drops nanos).
            let seconds = int64(&fields, 1)?;
            if seconds == ZERO_TIME_SECONDS {
                return Ok(Value::Null);
            }
            Ok(Value::String(rfc3339(seconds, None)?))
        }
        Special::MicroTime => {
            let fields = collect(reader.clone())?;
            if fields.is_empty() {
                return Ok(Value::Null);
            }
            let seconds = int64(&fields, 1)?;
            // int32 on the wire.
            let nanos = i64::from(int64(&fields, 2)? as i32);
            let seconds = seconds.saturating_add(nanos.div_euclid(1_000_000_000));
            let micros = nanos.rem_euclid(1_000_000_000) / 1_000;
            if seconds == ZERO_TIME_SECONDS && micros == 0 {
                return Ok(Value::Null);
            }
            Ok(Value::String(rfc3339(seconds, Some(micros))?))
        }
        Special::Duration => {
            let fields = collect(reader.clone())?;
            Ok(Value::String(go_duration(int64(&fields, 1)?)))
        }
        Special::Quantity => {
            let fields = collect(reader.clone())?;
            // A zero Quantity is "0" in Go.
            Ok(string(&fields, 1)?.unwrap_or_else(|| Value::String("0".into())))
        }
        Special::IntOrString => {
            let fields = collect(reader.clone())?;
            match int64(&fields, 1)? {
                0 => Ok(Value::from(int64(&fields, 2)? as i32)),
                1 => Ok(string(&fields, 3)?.unwrap_or_else(|| Value::String(String::new()))),
                other => Err(DecodeError::IntOrStringType(other).into()),
            }
        }
        Special::RawJson => {
            let fields = collect(reader.clone())?;
            match last(&fields, 1) {
                None => Ok(Value::Null),
                Some(value) => {
                    let bytes = expect_len(value)?;
                    if bytes.is_empty() {
                        return Ok(Value::Null);
                    }
                    serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e).into())
                }
            }
        }
        Special::GroupVersion => {
            let fields = collect(reader.clone())?;
            let part = |tag| -> Decoded<String> {
                Ok(match string(&fields, tag)? {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                })
            };
            let (group, version) = (part(1)?, part(2)?);
            Ok(Value::String(if group.is_empty() {
                version
            } else {
                format!("{group}/{version}")
            }))
        }
        Special::StringList => {
            let fields = collect(reader.clone())?;
            let mut items = Vec::new();
            for (tag, value) in fields {
                if tag == 1 {
                    items.push(scalar(Kind::Str, value)?);
                }
            }
            Ok(Value::Array(items))
        }
    }
}

/// What one field has collected while its message is read.
enum Slot<'a> {
    Scalar(Option<Value>),
    /// The occurrences of a singular message field: protobuf merges them, which
    /// is decoding their concatenation.
    Chunks(Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Map<String, Value>),
}

impl Slot<'_> {
    fn for_field(field: &Field) -> Self {
        match (field.label, field.kind) {
            (Label::Single, Kind::Message(_)) => Slot::Chunks(Vec::new()),
            (Label::Single, _) => Slot::Scalar(None),
            (Label::Repeated, _) => Slot::List(Vec::new()),
            (Label::Map, _) => Slot::Map(Map::new()),
        }
    }
}

fn decode_fields(mut reader: Reader<'_>, message: &'static Message) -> Decoded<Value> {
    let fields = message.fields;
    let mut slots: Vec<Slot<'_>> = fields.iter().map(Slot::for_field).collect();
    while let Some((tag, value)) = reader.next_field()? {
        // Fields the schema does not know are skipped, as gogo does.
        let Ok(index) = fields.binary_search_by_key(&tag, |field| field.tag) else {
            continue;
        };
        let field = &fields[index];
        read_field(&reader, field, value, &mut slots[index]).at(field_segment(field))?;
    }
    let mut out = Map::new();
    for (field, slot) in fields.iter().zip(slots) {
        match slot {
            Slot::Scalar(None) => {}
            Slot::Scalar(Some(value)) => {
                if field.flags & (POINTER | REQUIRED) != 0 || !is_zero(&value) {
                    out.insert(field.json.into(), value);
                }
            }
            Slot::List(items) => {
                if !items.is_empty() {
                    out.insert(field.json.into(), Value::Array(items));
                }
            }
            Slot::Map(entries) => {
                if !entries.is_empty() {
                    out.insert(field.json.into(), Value::Object(entries));
                }
            }
            Slot::Chunks(chunks) => {
                let Kind::Message(index) = field.kind else {
                    continue;
                };
                if chunks.is_empty() {
                    continue;
                }
                let value =
                    nested_message(&reader, &chunks, message_at(index)).at(field_segment(field))?;
                match value {
                    Value::Null => {}
                    Value::Object(inner) if field.flags & INLINE != 0 => out.extend(inner),
                    value => {
                        out.insert(field.json.into(), value);
                    }
                }
            }
        }
    }
    Ok(Value::Object(out))
}

/// Decodes a message sent as one or more chunks.
fn nested_message(
    reader: &Reader<'_>,
    chunks: &[&[u8]],
    message: &'static Message,
) -> Decoded<Value> {
    let bytes: Cow<'_, [u8]> = match chunks {
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.concat()),
    };
    decode_message(&reader.nested(&bytes)?, message)
}

fn read_field<'a>(
    reader: &Reader<'a>,
    field: &'static Field,
    value: WireValue<'a>,
    slot: &mut Slot<'a>,
) -> Decoded<()> {
    match slot {
        Slot::Chunks(chunks) => chunks.push(expect_len(value)?),
        // The last occurrence of a scalar wins.
        Slot::Scalar(scalar_value) => *scalar_value = Some(scalar(field.kind, value)?),
        Slot::List(items) => match (field.kind, value) {
            (Kind::Message(index), value) => {
                let position = items.len();
                let bytes = expect_len(value)?;
                items.push(
                    decode_message(&reader.nested(bytes)?, message_at(index))
                        .at(Segment::Index(position))?,
                );
            }
            // A packed list of numbers or booleans.
            (Kind::Bool | Kind::Int32 | Kind::Int64 | Kind::Double, WireValue::Len(packed)) => {
                let mut packed = reader.nested(packed)?;
                while !packed.is_at_end() {
                    let element = if field.kind == Kind::Double {
                        WireValue::Fixed64(packed.fixed64()?)
                    } else {
                        WireValue::Varint(packed.varint()?)
                    };
                    items.push(scalar(field.kind, element)?);
                }
            }
            (kind, value) => items.push(scalar(kind, value)?),
        },
        Slot::Map(entries) => {
            let mut entry = reader.nested(expect_len(value)?)?;
            let mut key = String::new();
            let mut scalar_value = None;
            let mut chunks = Vec::new();
            while let Some((tag, value)) = entry.next_field()? {
                match tag {
                    1 => key = lossy(expect_len(value)?),
                    2 => match field.kind {
                        Kind::Message(_) => chunks.push(expect_len(value)?),
                        kind => scalar_value = Some(scalar(kind, value)?),
                    },
                    _ => {}
                }
            }
            // A missing value is the type's zero value.
            let value = match field.kind {
                Kind::Message(index) => nested_message(&entry, &chunks, message_at(index))
                    .at(Segment::Key(key.clone()))?,
                kind => scalar_value.unwrap_or_else(|| zero(kind)),
            };
            entries.insert(key, value);
        }
    }
    Ok(())
}

/// A scalar field's JSON.
fn scalar(kind: Kind, value: WireValue<'_>) -> Result<Value, DecodeError> {
    // Varints are truncated to the field's width, as Go's generated code does.
    match (kind, value) {
        (Kind::Str, WireValue::Len(bytes)) => Ok(Value::String(lossy(bytes))),
        (Kind::Bytes, WireValue::Len(bytes)) => Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        )),
        (Kind::Bool, WireValue::Varint(number)) => Ok(Value::Bool(number != 0)),
        (Kind::Int32, WireValue::Varint(number)) => Ok(Value::from(number as i32)),
        (Kind::Int64, WireValue::Varint(number)) => Ok(Value::from(number as i64)),
        (Kind::Double, WireValue::Fixed64(bits)) => double(f64::from_bits(bits)),
        (kind, value) => Err(DecodeError::WireType {
            got: value.wire_type(),
            expected: match kind {
                Kind::Bool | Kind::Int32 | Kind::Int64 => "varint",
                Kind::Double => "fixed64",
                Kind::Str | Kind::Bytes | Kind::Message(_) => "length-delimited",
            },
        }),
    }
}

/// A float64 as Go writes it: integral values without a fraction, so they read
/// back as the same JSON number.
fn double(number: f64) -> Result<Value, DecodeError> {
    if !number.is_finite() {
        return Err(DecodeError::NotFinite(number));
    }
    // Below 2^53 every integral f64 is an exact i64.
    if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
        return Ok(Value::from(number as i64));
    }
    Ok(Number::from_f64(number).map_or(Value::Null, Value::Number))
}

fn zero(kind: Kind) -> Value {
    match kind {
        Kind::Str | Kind::Bytes => Value::String(String::new()),
        Kind::Bool => Value::Bool(false),
        Kind::Int32 | Kind::Int64 | Kind::Double => Value::from(0),
        Kind::Message(_) => Value::Object(Map::new()),
    }
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(text) => text.is_empty(),
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        _ => false,
    }
}

fn expect_len<'a>(value: WireValue<'a>) -> Result<&'a [u8], DecodeError> {
    match value {
        WireValue::Len(bytes) => Ok(bytes),
        other => Err(DecodeError::WireType {
            got: other.wire_type(),
            expected: "length-delimited",
        }),
    }
}

/// Go converts bytes to strings without checking UTF-8, and its JSON encoder
/// then writes U+FFFD for invalid sequences.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every field of a small message, in order.
fn collect(mut reader: Reader<'_>) -> Decoded<Vec<(u32, WireValue<'_>)>> {
    let mut fields = Vec::new();
    while let Some(field) = reader.next_field()? {
        fields.push(field);
    }
    Ok(fields)
}

fn last<'a>(fields: &[(u32, WireValue<'a>)], tag: u32) -> Option<WireValue<'a>> {
    fields
        .iter()
        .rev()
        .find(|(number, _)| *number == tag)
        .map(|(_, value)| *value)
}

/// An integer field of a special message, 0 when absent.
fn int64(fields: &[(u32, WireValue<'_>)], tag: u32) -> Decoded<i64> {
    match last(fields, tag) {
        None => Ok(0),
        Some(WireValue::Varint(number)) => Ok(number as i64),
        Some(other) => Err(Failure::from(DecodeError::WireType {
            got: other.wire_type(),
            expected: "varint",
        })),
    }
}

/// A string field of a special message, `None` when absent.
fn string(fields: &[(u32, WireValue<'_>)], tag: u32) -> Decoded<Option<Value>> {
    last(fields, tag)
        .map(|value| scalar(Kind::Str, value))
        .transpose()
        .map_err(Failure::from)
}

/// RFC 3339 in UTC as Go's `metav1.Time` (seconds) and `metav1.MicroTime`
/// (six fractional digits) write it; Go refuses years outside 0..=9999.
fn rfc3339(seconds: i64, micros: Option<i64>) -> Result<String, DecodeError> {
    use k8s_openapi::jiff::{tz::TimeZone, Timestamp};
    let out_of_range = || DecodeError::TimeOutOfRange { seconds };
    let timestamp = Timestamp::new(seconds, 0).map_err(|_| out_of_range())?;
    let civil = timestamp.to_zoned(TimeZone::UTC).datetime();
    if civil.year() < 0 {
        return Err(out_of_range());
    }
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second()
    );
    if let Some(micros) = micros {
        out.push_str(&format!(".{micros:06}"));
    }
    out.push('Z');
    Ok(out)
}

/// Go's `time.Duration.String`: "1h0m0s", "1m30s", "1.5s", "100ms", "0s".
fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    let body = if magnitude < SECOND {
        let (unit, precision) = if magnitude < 1_000 {
            ("ns", 0)
        } else if magnitude < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        format!("{}{unit}", fraction(magnitude, precision))
    } else {
        let mut out = format!("{}s", fraction(magnitude % (60 * SECOND), 9));
        let minutes = magnitude / (60 * SECOND);
        if minutes > 0 {
            out = format!("{}m{out}", minutes % 60);
            if minutes >= 60 {
                out = format!("{}h{out}", minutes / 60);
            }
        }
        out
    };
    format!("{sign}{body}")
}

/// `value / 10^precision` with its fraction, trailing zeros trimmed.
fn fraction(value: u64, precision: u32) -> String {
    let scale = 10u64.pow(precision);
    let (whole, part) = (value / scale, value % scale);
    if part == 0 {
        return whole.to_string();
    }
    let digits = format!("{part:0width$}", width = precision as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_500, "1.5µs"),
            (100_000_000, "100ms"),
            (1_500_000_000, "1.5s"),
            (30_000_000_000, "30s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (-3_723_000_000_000, "-1h2m3s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, expected) in cases {
            assert_eq!(go_duration(nanos), expected, "{nanos}");
        }
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0, None).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_700_000_000, Some(42)).unwrap(),
            "2023-11-14T22:13:20.000042Z"
        );
        assert_eq!(
            rfc3339(ZERO_TIME_SECONDS, None).unwrap(),
            "0001-01-01T00:00:00Z"
        );
        assert!(rfc3339(i64::MAX, None).is_err());
        assert!(rfc3339(253_402_300_800, None).is_err());
    }

    #[test]
    fn doubles_keep_integers_integral() {
        assert_eq!(double(3.0).unwrap(), Value::from(3));
        assert_eq!(double(0.5).unwrap(), serde_json::json!(0.5));
        assert!(double(f64::NAN).is_err());
    }

    #[test]
    fn every_kind_has_a_normal_message() {
        for (api_version, kind, index) in KINDS {
            let message = message_at(*index);
            assert_eq!(message.special, Special::None, "{api_version} {kind}");
            assert!(
                message.name.ends_with(&format!(".{kind}"))
                    || message
                        .name
                        .to_lowercase()
                        .ends_with(&format!(".{}", kind.to_lowercase())),
                "{api_version} {kind}: {}",
                message.name
            );
        }
    }

    #[test]
    fn schema_fields_are_sorted_and_messages_exist() {
        for message in MESSAGES {
            for pair in message.fields.windows(2) {
                assert!(pair[0].tag < pair[1].tag, "{}", message.name);
            }
            for field in message.fields {
                if let Kind::Message(index) = field.kind {
                    assert!(usize::from(index) < MESSAGES.len(), "{}", message.name);
                }
                if field.flags & INLINE != 0 {
                    assert!(field.json.is_empty() && field.label == Label::Single);
                } else {
                    assert!(
                        !field.json.is_empty() || message.special != Special::None,
                        "{}",
                        message.name
                    );
                }
            }
        }
    }
}

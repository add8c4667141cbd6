//! Encoding typed objects as Go's `encoding/json` does with `omitempty`: a
//! struct field holding an empty map or an empty list is left out.
//!
//! `k8s-openapi` keeps `Some(empty)` and writes `{}` or `[]`, so removing the
//! last label with a patch would leave `labels: {}` where upstream shows no
//! `labels` at all (upstream also stores objects as protobuf, where an empty
//! map or list cannot be told from an absent one). Empty *structs* stay: an
//! `emptyDir: {}` or a `selector: {}` means something. Raw JSON held by a
//! newtype (`RawExtension`, the CRD schema's `JSON`) is kept exactly.

use serde::ser::{self, Impossible, Serialize};
use serde_json::{Map, Value};

/// `value` as JSON, without struct fields that hold empty maps or lists.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, serde_json::Error> {
    value.serialize(OmitEmpty).map(|out| out.value)
}

/// A value and whether it is an empty map or list (which a struct omits).
pub(crate) struct Out {
    value: Value,
    empty_collection: bool,
}

impl Out {
    fn plain(value: Value) -> Self {
        Out {
            value,
            empty_collection: false,
        }
    }
}

fn plain<T: Serialize + ?Sized>(value: &T) -> Result<Out, serde_json::Error> {
    serde_json::to_value(value).map(Out::plain)
}

fn unsupported(what: &str) -> serde_json::Error {
    ser::Error::custom(format!("{what} cannot be encoded as an object field"))
}

struct OmitEmpty;

impl ser::Serializer for OmitEmpty {
    type Ok = Out;
    type Error = serde_json::Error;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Impossible<Out, serde_json::Error>;
    type SerializeMap = MapOut;
    type SerializeStruct = StructOut;
    type SerializeStructVariant = Impossible<Out, serde_json::Error>;

    fn serialize_bool(self, v: bool) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_i8(self, v: i8) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_i16(self, v: i16) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_i32(self, v: i32) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_i64(self, v: i64) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_u8(self, v: u8) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_u16(self, v: u16) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_u32(self, v: u32) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_u64(self, v: u64) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_f32(self, v: f32) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_f64(self, v: f64) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_char(self, v: char) -> Result<Out, Self::Error> {
        plain(&v)
    }
    fn serialize_str(self, v: &str) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::String(v.to_string())))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Out, Self::Error> {
        plain(v)
    }
    fn serialize_none(self) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::Null))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Out, Self::Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::Null))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::Null))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::String(variant.to_string())))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Out, Self::Error> {
        // Raw JSON (RawExtension, JSON) and scalars like Quantity: as they are.
        plain(value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Out, Self::Error> {
        let mut map = Map::new();
        map.insert(variant.to_string(), to_value(value)?);
        Ok(Out::plain(Value::Object(map)))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, Self::Error> {
        Ok(Seq(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, Self::Error> {
        Ok(Seq(Vec::with_capacity(len)))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq, Self::Error> {
        Ok(Seq(Vec::with_capacity(len)))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(unsupported(name))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapOut, Self::Error> {
        Ok(MapOut {
            map: Map::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<StructOut, Self::Error> {
        Ok(StructOut(Map::new()))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(unsupported(name))
    }
}

pub(crate) struct Seq(Vec<Value>);

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        self.0.push(value.serialize(OmitEmpty)?.value);
        Ok(())
    }
    fn finish(self) -> Out {
        Out {
            empty_collection: self.0.is_empty(),
            value: Value::Array(self.0),
        }
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Out;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }
    fn end(self) -> Result<Out, Self::Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = Out;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }
    fn end(self) -> Result<Out, Self::Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq {
    type Ok = Out;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }
    fn end(self) -> Result<Out, Self::Error> {
        Ok(self.finish())
    }
}

pub(crate) struct MapOut {
    map: Map<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for MapOut {
    type Ok = Out;
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(match serde_json::to_value(key)? {
            Value::String(key) => key,
            Value::Number(number) => number.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(ser::Error::custom("map keys must be strings")),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("map value without a key"))?;
        self.map.insert(key, value.serialize(OmitEmpty)?.value);
        Ok(())
    }
    fn end(self) -> Result<Out, Self::Error> {
        Ok(Out {
            empty_collection: self.map.is_empty(),
            value: Value::Object(self.map),
        })
    }
}

pub(crate) struct StructOut(Map<String, Value>);

impl ser::SerializeStruct for StructOut {
    type Ok = Out;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        let out = value.serialize(OmitEmpty)?;
        if !out.empty_collection {
            self.0.insert(key.to_string(), out.value);
        }
        Ok(())
    }
    fn end(self) -> Result<Out, Self::Error> {
        Ok(Out::plain(Value::Object(self.0)))
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{ConfigMap, Pod};
    use serde_json::json;

    use super::*;

    #[test]
    fn struct_fields_lose_empty_maps_and_lists() {
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "a", "labels": {}, "finalizers": [], "annotations": {"k": ""}},
            "data": {}
        }))
        .expect("configmap");
        assert_eq!(
            to_value(&cm).expect("encodes"),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "annotations": {"k": ""}}})
        );
    }

    #[test]
    fn empty_structs_and_raw_json_stay() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "args": [], "resources": {}}],
                     "volumes": [{"name": "v", "emptyDir": {}}]}
        }))
        .expect("pod");
        assert_eq!(
            to_value(&pod).expect("encodes"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "c", "resources": {}}],
                            "volumes": [{"name": "v", "emptyDir": {}}]}})
        );
        let raw = k8s_openapi::apimachinery::pkg::runtime::RawExtension(json!({"a": {}, "b": []}));
        assert_eq!(to_value(&raw).expect("raw"), json!({"a": {}, "b": []}));
    }
}

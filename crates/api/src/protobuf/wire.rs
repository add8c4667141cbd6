//! The protobuf wire format: a bounds-checked reader of varints, fixed-width
//! and length-delimited fields, which limits how deeply messages nest.
//!
//! See <https://protobuf.dev/programming-guides/encoding/>. Groups (wire types 3
//! and 4) are refused: no Kubernetes message uses them.

use thiserror::Error;

/// How deeply messages may nest in one body (prost's default recursion limit).
pub(super) const MAX_DEPTH: usize = 100;

/// A malformed protobuf encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    #[error("unexpected end of data")]
    Truncated,
    #[error("varint longer than 64 bits")]
    VarintOverflow,
    #[error("invalid field number {0}")]
    InvalidFieldNumber(u64),
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u8),
    #[error("messages nested more than {MAX_DEPTH} deep")]
    TooDeep,
}

/// One field's payload as the wire carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WireValue<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(&'a [u8]),
}

impl WireValue<'_> {
    /// The wire type's name, for errors.
    pub(super) fn wire_type(&self) -> &'static str {
        match self {
            WireValue::Varint(_) => "varint",
            WireValue::Fixed64(_) => "fixed64",
            WireValue::Fixed32(_) => "fixed32",
            WireValue::Len(_) => "length-delimited",
        }
    }
}

/// Reads the fields of one message in order.
#[derive(Debug, Clone)]
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader of a top-level message.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            position: 0,
            depth: 0,
        }
    }

    /// A reader of a message nested in this one's field.
    pub(super) fn nested<'b>(&self, bytes: &'b [u8]) -> Result<Reader<'b>, WireError> {
        if self.depth >= MAX_DEPTH {
            return Err(WireError::TooDeep);
        }
        Ok(Reader {
            bytes,
            position: 0,
            depth: self.depth + 1,
        })
    }

    /// The next field number and payload, or `None` at the end of the message.
    pub(super) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>, WireError> {
        if self.position >= self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(WireError::InvalidFieldNumber(number));
        }
        let number = u32::try_from(number).map_err(|_| WireError::InvalidFieldNumber(number))?;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.take_array()?)),
            2 => {
                let length = self.varint()?;
                let length = usize::try_from(length).map_err(|_| WireError::Truncated)?;
                WireValue::Len(self.take(length)?)
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(self.take_array()?)),
            other => return Err(WireError::UnsupportedWireType(other as u8)),
        };
        Ok(Some((number, value)))
    }

    /// A base-128 varint of at most ten bytes.
    pub(super) fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for index in 0..10 {
            let byte = *self.bytes.get(self.position).ok_or(WireError::Truncated)?;
            self.position += 1;
            if index == 9 && byte > 1 {
                return Err(WireError::VarintOverflow);
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::VarintOverflow)
    }

    /// A little-endian 64-bit value (in a packed list of doubles).
    pub(super) fn fixed64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.take_array()?))
    }

    /// Whether every byte has been read.
    pub(super) fn is_at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .position
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(WireError::Truncated)?;
        let taken = &self.bytes[self.position..end];
        self.position = end;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let taken = self.take(N)?;
        taken.try_into().map_err(|_| WireError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(bytes: &[u8]) -> Result<Vec<(u32, WireValue<'_>)>, WireError> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(field) = reader.next_field()? {
            out.push(field);
        }
        Ok(out)
    }

    #[test]
    fn reads_each_wire_type() {
        let bytes = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // 2: fixed64 1
            0x1a, 0x02, b'h', b'i', // 3: "hi"
            0x25, 2, 0, 0, 0, // 4: fixed32 2
        ];
        assert_eq!(
            fields(&bytes).unwrap(),
            vec![
                (1, WireValue::Varint(150)),
                (2, WireValue::Fixed64(1)),
                (3, WireValue::Len(b"hi")),
                (4, WireValue::Fixed32(2)),
            ]
        );
    }

    #[test]
    fn negative_int32_is_ten_bytes() {
        let mut bytes = vec![0x08];
        bytes.extend([0xff; 9]);
        bytes.push(0x01);
        assert_eq!(
            fields(&bytes).unwrap(),
            vec![(1, WireValue::Varint(u64::MAX))]
        );
    }

    #[test]
    fn refuses_malformed_input() {
        assert_eq!(fields(&[0x08]), Err(WireError::Truncated));
        assert_eq!(fields(&[0x08, 0x80]), Err(WireError::Truncated));
        assert_eq!(fields(&[0x1a, 0x05, b'a']), Err(WireError::Truncated));
        assert_eq!(fields(&[0x11, 1, 2]), Err(WireError::Truncated));
        assert_eq!(fields(&[0x00, 0x01]), Err(WireError::InvalidFieldNumber(0)));
        assert_eq!(fields(&[0x0b]), Err(WireError::UnsupportedWireType(3)));
        let mut long = vec![0x08];
        long.extend([0xff; 10]);
        long.push(0x01);
        assert_eq!(fields(&long), Err(WireError::VarintOverflow));
        // A length that does not fit the buffer, however large.
        let mut huge = vec![0x1a];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(fields(&huge), Err(WireError::Truncated));
    }

    #[test]
    fn limits_nesting() {
        let mut reader = Reader::new(&[]);
        for _ in 0..MAX_DEPTH {
            reader = reader.nested(&[]).unwrap();
        }
        assert_eq!(reader.nested(&[]).unwrap_err(), WireError::TooDeep);
    }
}

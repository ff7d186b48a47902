//! Protobuf wire format, read by hand: varints, tags and the four wire types
//! Kubernetes uses (varint, fixed64, length-delimited, fixed32). There is no
//! schema here: callers decide what a field number means.
//!
//! Every read is bounds-checked and returns an error naming the offset; no
//! input can make these functions panic or allocate more than the input.

use super::DecodeError;

/// One field's value as it sits on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: bytes, a string, a nested message or a packed list.
    Len(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// A field: its number and value; `offset` is where its tag starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub number: u32,
    pub value: WireValue<'a>,
    pub offset: usize,
}

/// Largest field number protobuf allows (2^29 - 1).
pub const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

/// Reads a varint at `*pos`, advancing it. At most 10 bytes; the 10th may
/// only carry the top bit of a u64.
#[inline]
pub fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    // Tags and short lengths are one byte: most varints end here.
    if let Some(&b) = buf.get(*pos)
        && b < 0x80
    {
        *pos += 1;
        return Ok(u64::from(b));
    }
    read_varint_long(buf, pos)
}

/// [`read_varint`] past its one-byte case.
fn read_varint_long(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let start = *pos;
    let mut value: u64 = 0;
    for i in 0..10 {
        let Some(&b) = buf.get(*pos) else {
            return Err(DecodeError::Truncated {
                offset: start,
                what: "varint",
            });
        };
        *pos += 1;
        if i == 9 && b > 1 {
            return Err(DecodeError::BadVarint { offset: start });
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::BadVarint { offset: start })
}

/// Iterates over the fields of one message. After the first error the
/// iterator yields that error once and then ends.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Added to offsets in errors and fields (where `buf` sits in a larger
    /// value), so messages name the offset in the stored value.
    base: usize,
    done: bool,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Fields::with_base(buf, 0)
    }

    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Fields {
            buf,
            pos: 0,
            base,
            done: false,
        }
    }

    fn next_field(&mut self) -> Result<Field<'a>, DecodeError> {
        let start = self.pos;
        let base = self.base;
        let at = |o: usize| base + o;
        let tag = read_varint(self.buf, &mut self.pos).map_err(|e| e.shifted(self.base))?;
        let number = tag >> 3;
        if number == 0 || number > MAX_FIELD_NUMBER {
            return Err(DecodeError::BadFieldNumber {
                offset: at(start),
                number,
            });
        }
        let number = number as u32;
        let value = match tag & 7 {
            0 => WireValue::Varint(
                read_varint(self.buf, &mut self.pos).map_err(|e| e.shifted(self.base))?,
            ),
            1 => {
                let b = self.take(8, "fixed64")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                WireValue::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let len_at = self.pos;
                let len = read_varint(self.buf, &mut self.pos).map_err(|e| e.shifted(self.base))?;
                let left = self.buf.len() - self.pos;
                if len > left as u64 {
                    return Err(DecodeError::LengthPastEnd {
                        offset: at(len_at),
                        field: number,
                        claimed: len,
                        left,
                    });
                }
                WireValue::Len(self.take(len as usize, "length-delimited field")?)
            }
            5 => {
                let b = self.take(4, "fixed32")?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                WireValue::Fixed32(u32::from_le_bytes(a))
            }
            wire => {
                return Err(DecodeError::BadWireType {
                    offset: at(start),
                    wire: wire as u8,
                });
            }
        };
        Ok(Field {
            number,
            value,
            offset: at(start),
        })
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(DecodeError::Truncated {
                offset: self.base + self.pos,
                what,
            }),
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.next_field();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// The fields of one message, for readers that only need to know that
/// something is wrong, not where: no offsets, and the first error (a
/// unit) ends the walk. Accepts exactly what [`Fields`] accepts.
#[derive(Debug, Clone)]
pub struct QuickFields<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// [`QuickFields`]' error: the bytes are not a well-formed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl<'a> QuickFields<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        QuickFields { buf, pos: 0 }
    }

    #[inline]
    fn take(&mut self, n: u64) -> Result<&'a [u8], Malformed> {
        let n = usize::try_from(n).map_err(|_| Malformed)?;
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or(Malformed)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    #[inline]
    fn field(&mut self) -> Result<(u32, WireValue<'a>), Malformed> {
        let tag = read_varint(self.buf, &mut self.pos).map_err(|_| Malformed)?;
        let number = tag >> 3;
        if number == 0 || number > MAX_FIELD_NUMBER {
            return Err(Malformed);
        }
        let value = match tag & 7 {
            0 => WireValue::Varint(read_varint(self.buf, &mut self.pos).map_err(|_| Malformed)?),
            1 => {
                let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| Malformed)?;
                WireValue::Fixed64(u64::from_le_bytes(b))
            }
            2 => {
                let len = read_varint(self.buf, &mut self.pos).map_err(|_| Malformed)?;
                WireValue::Len(self.take(len)?)
            }
            5 => {
                let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| Malformed)?;
                WireValue::Fixed32(u32::from_le_bytes(b))
            }
            _ => return Err(Malformed),
        };
        Ok((number as u32, value))
    }
}

impl<'a> Iterator for QuickFields<'a> {
    type Item = Result<(u32, WireValue<'a>), Malformed>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let r = self.field();
        if r.is_err() {
            // Nothing after the damage is read.
            self.pos = self.buf.len();
        }
        Some(r)
    }
}

/// True when `buf` is a well-formed, non-empty sequence of fields (nested
/// payloads are not looked into). Allocation-free; linear in `buf`.
pub fn is_message(buf: &[u8]) -> bool {
    !buf.is_empty() && Fields::new(buf).all(|f| f.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QuickFields reads what Fields reads and fails where it fails, on
    /// every prefix and every one-byte change of a message with each wire
    /// type (and on bytes that are no message at all).
    #[test]
    fn quick_fields_agree_with_fields() {
        let msg: &[u8] = &[
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 2, 3, 4, 5, 6, 7, 8, // 2: fixed64
            0x1a, 0x03, b'a', b'b', b'c', // 3: len 3
            0x25, 9, 9, 9, 9, // 4: fixed32
            0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01, // 2^29-1: varint 1
        ];
        let mut inputs = vec![msg.to_vec()];
        for cut in 0..msg.len() {
            inputs.push(msg[..cut].to_vec());
        }
        for at in 0..msg.len() {
            for v in [0x00, 0x07, 0x80, 0xff, 0x0e, 0x03] {
                let mut m = msg.to_vec();
                m[at] = v;
                inputs.push(m);
            }
        }
        for input in inputs {
            let slow: Vec<Option<(u32, WireValue)>> = Fields::new(&input)
                .map(|f| f.ok().map(|f| (f.number, f.value)))
                .collect();
            let quick: Vec<Option<(u32, WireValue)>> =
                QuickFields::new(&input).map(Result::ok).collect();
            assert_eq!(quick, slow, "{input:02x?}");
        }
    }

    #[test]
    fn varints() {
        let mut p = 0;
        assert_eq!(read_varint(&[0x96, 0x01], &mut p).unwrap(), 150);
        assert_eq!(p, 2);
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        p = 0;
        assert_eq!(read_varint(&max, &mut p).unwrap(), u64::MAX);
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        p = 0;
        assert!(matches!(
            read_varint(&over, &mut p),
            Err(DecodeError::BadVarint { offset: 0 })
        ));
        p = 0;
        assert!(matches!(
            read_varint(&[0x80], &mut p),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn all_wire_types() {
        // 1: varint 150, 2: "hi", 3: fixed64 1, 4: fixed32 2
        let buf = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x19, 1, 0, 0, 0, 0, 0, 0, 0, 0x25, 2, 0, 0,
            0,
        ];
        let f: Vec<_> = Fields::new(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].value, WireValue::Varint(150));
        assert_eq!(f[1].value, WireValue::Len(b"hi"));
        assert_eq!(f[2].value, WireValue::Fixed64(1));
        assert_eq!(f[3].value, WireValue::Fixed32(2));
        assert_eq!(f[3].offset, 16);
        assert!(is_message(&buf));
    }

    #[test]
    fn errors_name_offsets() {
        // length 5 but only 2 bytes left
        let buf = [0x0a, 0x05, b'a', b'b'];
        let e = Fields::with_base(&buf, 100).last().unwrap().unwrap_err();
        assert_eq!(
            e,
            DecodeError::LengthPastEnd {
                offset: 101,
                field: 1,
                claimed: 5,
                left: 2
            }
        );
        // group wire types are not accepted
        assert!(matches!(
            Fields::new(&[0x0b]).next().unwrap(),
            Err(DecodeError::BadWireType { wire: 3, .. })
        ));
        // field number 0
        assert!(matches!(
            Fields::new(&[0x00, 0x00]).next().unwrap(),
            Err(DecodeError::BadFieldNumber { number: 0, .. })
        ));
        assert!(!is_message(b""));
        assert!(!is_message(b"default"));
        // the iterator stops after an error
        let mut it = Fields::new(&[0x0a, 0x09]);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }
}

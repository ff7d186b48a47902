//! A small walker over the top level of a protobuf message, written by hand
//! because prost decodes whole messages or nothing: it finds where the
//! complete top-level fields end (so a cut message still decodes up to its
//! last whole field) and thins out long repeated fields before prost sees
//! them (so a message of a million tiny entries never becomes a million
//! structs: memory stays proportional to what is shown).

use std::collections::HashMap;

/// Largest number of occurrences of one top-level field number that is
/// decoded; further ones are counted but skipped. Bounds the structs built
/// per message (`MAX_KEPT` × one element) whatever the message's length.
pub const MAX_KEPT: usize = 64;

/// Reads a varint at `pos`; None when cut short or over 10 bytes.
fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// One top-level field: its number and the byte range it spans (tag
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    pub number: u64,
    pub start: usize,
    /// Where the payload of a length-delimited field starts (after its tag
    /// and length); None for other wire types.
    pub payload: Option<usize>,
    pub end: usize,
}

/// The complete top-level fields of `buf`, in order, and whether the walk
/// stopped early (a cut or malformed field).
pub fn fields(buf: &[u8]) -> (Vec<FieldSpan>, bool) {
    let mut out = Vec::new();
    let cut = walk(buf, |s| out.push(s));
    (out, cut)
}

/// Calls `each` for every complete top-level field of `buf`, in order;
/// true when the walk stopped early (a cut or malformed field).
pub fn walk(buf: &[u8], mut each: impl FnMut(FieldSpan)) -> bool {
    let mut pos = 0usize;
    while pos < buf.len() {
        let start = pos;
        let Some(tag) = varint(buf, &mut pos) else {
            return true;
        };
        let number = tag >> 3;
        if number == 0 {
            return true;
        }
        let mut payload = None;
        let ok = match tag & 7 {
            0 => varint(buf, &mut pos).is_some(),
            1 => {
                pos += 8;
                pos <= buf.len()
            }
            2 => match varint(buf, &mut pos) {
                Some(len) => match usize::try_from(len).ok().and_then(|l| pos.checked_add(l)) {
                    Some(end) if end <= buf.len() => {
                        payload = Some(pos);
                        pos = end;
                        true
                    }
                    _ => false,
                },
                None => false,
            },
            5 => {
                pos += 4;
                pos <= buf.len()
            }
            // Groups (3, 4) are not used by etcd; 6 and 7 do not exist.
            _ => false,
        };
        if !ok {
            return true;
        }
        each(FieldSpan {
            number,
            start,
            payload,
            end: pos,
        });
    }
    false
}

/// What [`prepare`] made of a message.
#[derive(Debug, Default)]
pub struct Prepared {
    /// The bytes to hand to prost: whole fields only, at most
    /// [`MAX_KEPT`] of each number.
    pub bytes: Vec<u8>,
    /// The message was cut or malformed after its last whole field.
    pub truncated: bool,
    /// (field number, occurrences in the message) for numbers that were
    /// thinned out.
    pub thinned: Vec<(u64, usize)>,
}

impl Prepared {
    /// How many occurrences of `number` the message really had, when that
    /// field was thinned out.
    pub fn total(&self, number: u64) -> Option<usize> {
        self.thinned
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, c)| *c)
    }
}

/// Which fields of a message hold messages that may themselves be long
/// lists (transactions nest: a Txn answer holds Range answers holding
/// key-values, a Txn request may hold Txn requests). Those are thinned too,
/// down to [`MAX_DEPTH`] levels.
#[derive(Debug)]
pub struct Shape {
    pub nested: &'static [(u64, &'static Shape)],
}

/// A message whose own repeated fields are all that needs thinning.
pub static FLAT: Shape = Shape { nested: &[] };
/// `TxnRequest`: success (2) and failure (3) are RequestOps.
pub static TXN_REQUEST: Shape = Shape {
    nested: &[(2, &REQUEST_OP), (3, &REQUEST_OP)],
};
/// `RequestOp`: a nested TxnRequest (4).
static REQUEST_OP: Shape = Shape {
    nested: &[(4, &TXN_REQUEST)],
};
/// `TxnResponse`: responses (3) are ResponseOps.
pub static TXN_RESPONSE: Shape = Shape {
    nested: &[(3, &RESPONSE_OP)],
};
/// `ResponseOp`: Range (1) and DeleteRange (3) answers list key-values; a
/// nested TxnResponse (4).
static RESPONSE_OP: Shape = Shape {
    nested: &[(1, &FLAT), (3, &FLAT), (4, &TXN_RESPONSE)],
};
/// `InternalRaftRequest`: its txn (6).
pub static INTERNAL_RAFT_REQUEST: Shape = Shape {
    nested: &[(6, &TXN_REQUEST)],
};

/// Deepest nested message thinned; deeper ones are dropped.
pub const MAX_DEPTH: usize = 8;

/// Keeps the whole top-level fields of `buf`, at most [`MAX_KEPT`] of each
/// field number. The result is never longer than `buf`.
pub fn prepare(buf: &[u8]) -> Prepared {
    prepare_shaped(buf, &FLAT)
}

/// [`prepare`], also thinning the nested messages `shape` names.
pub fn prepare_shaped(buf: &[u8], shape: &Shape) -> Prepared {
    let mut out = Prepared {
        bytes: Vec::with_capacity(buf.len()),
        ..Default::default()
    };
    thin_into(buf, shape, 0, &mut out, true);
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the thinned form of `buf` to `out.bytes`; `top` says whether
/// the totals and the cut belong to the message `out` describes.
fn thin_into(buf: &[u8], shape: &Shape, depth: usize, out: &mut Prepared, top: bool) {
    // A map, not a list: hostile input may use a million field numbers.
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let mut nested_cut = false;
    let truncated = walk(buf, |s| {
        let seen = counts.entry(s.number).or_insert(0);
        *seen += 1;
        if *seen > MAX_KEPT {
            return;
        }
        let child = shape.nested.iter().find(|(n, _)| *n == s.number);
        match (child, s.payload) {
            (Some((_, child)), Some(payload)) => {
                if depth >= MAX_DEPTH {
                    return;
                }
                let (Some(tag), Some(inner)) = (buf.get(s.start..), buf.get(payload..s.end)) else {
                    return;
                };
                // Re-emit the tag, then the thinned payload with its new length.
                let mut tag_len = 0;
                while tag_len < tag.len() && tag[tag_len] & 0x80 != 0 {
                    tag_len += 1;
                }
                out.bytes
                    .extend_from_slice(&tag[..(tag_len + 1).min(tag.len())]);
                let mut sub = Prepared::default();
                thin_into(inner, child, depth + 1, &mut sub, false);
                nested_cut |= sub.truncated;
                put_varint(&mut out.bytes, sub.bytes.len() as u64);
                out.bytes.extend_from_slice(&sub.bytes);
            }
            _ => {
                if let Some(field) = buf.get(s.start..s.end) {
                    out.bytes.extend_from_slice(field);
                }
            }
        }
    });
    out.truncated |= truncated || nested_cut;
    if top {
        let mut thinned: Vec<(u64, usize)> =
            counts.into_iter().filter(|(_, c)| *c > MAX_KEPT).collect();
        thinned.sort_unstable();
        out.thinned = thinned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_fields_and_stops_at_a_cut() {
        // field 1 varint 150, field 2 bytes "hi", then a cut length-delimited field.
        let buf = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1a, 0x05, b'x'];
        let (spans, cut) = fields(&buf);
        assert!(cut);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[1].number, spans[1].start, spans[1].end), (2, 3, 7));
        let (spans, cut) = fields(&buf[..7]);
        assert!(!cut);
        assert_eq!(spans.len(), 2);
    }

    #[test]
    fn thins_long_repeated_fields() {
        let mut buf = Vec::new();
        for _ in 0..(MAX_KEPT + 10) {
            buf.extend_from_slice(&[0x12, 0x00]);
        }
        buf.extend_from_slice(&[0x08, 0x01]);
        let p = prepare(&buf);
        assert_eq!(p.bytes.len(), MAX_KEPT * 2 + 2);
        assert_eq!(p.total(2), Some(MAX_KEPT + 10));
        assert_eq!(p.total(1), None);
        assert!(!p.truncated);
    }

    #[test]
    fn rejects_field_zero_and_groups() {
        assert!(fields(&[0x00, 0x01]).1);
        assert!(fields(&[0x0b]).1);
        assert!(fields(&[0xff; 11]).1);
    }

    #[test]
    fn thins_nested_transactions() {
        // A TxnResponse (3 = ResponseOp) whose one ResponseOp holds a
        // RangeResponse (1) with many key-values (2).
        let mut range = Vec::new();
        for _ in 0..(MAX_KEPT * 3) {
            range.extend_from_slice(&[0x12, 0x00]);
        }
        let mut op = vec![0x0a];
        put_varint(&mut op, range.len() as u64);
        op.extend_from_slice(&range);
        let mut txn = vec![0x1a];
        put_varint(&mut txn, op.len() as u64);
        txn.extend_from_slice(&op);
        let p = prepare_shaped(&txn, &TXN_RESPONSE);
        // Two (tag, 2-byte length) headers, then MAX_KEPT empty kvs.
        assert_eq!(p.bytes.len(), 1 + 2 + 1 + 2 + MAX_KEPT * 2);
        assert!(!p.truncated);
        // Unshaped, the nested list is left as it is.
        assert_eq!(prepare(&txn).bytes, txn);
    }
}

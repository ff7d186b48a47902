//! A readable protobuf field tree without a schema, like
//! `protoc --decode_raw`: field numbers, varints, fixed numbers, strings,
//! and nested messages found by heuristics.
//!
//! A length-delimited payload is shown as:
//! - a string, when it is valid UTF-8 that reads as text (no control
//!   characters apart from tab/newline/CR, and not starting with one);
//! - else a nested message, when it parses completely as fields;
//! - else a string again if it is UTF-8 at all (with escapes);
//! - else bytes.
//!
//! A payload that runs past the end of a value cut short is shown as far
//! as it goes (text, or the fields before the cut), then the error.
//!
//! Messages start with a tag byte, which for field numbers 1-3 is a control
//! character, so Kubernetes' messages (whose generated code always writes
//! field 1) are never mistaken for text. Nesting is cut at [`MAX_DEPTH`];
//! the work is linear in the input times the depth.

use std::fmt::Write as _;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::wire::{Fields, WireValue, is_message, read_varint};
use super::{DecodeError, format_unix_time};

/// Nesting deeper than this is shown as bytes (and stops recursion on
/// hostile input).
pub const MAX_DEPTH: usize = 48;

/// One decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    String(String),
    Bytes(Vec<u8>),
    Message(Message),
}

/// A message: its fields in wire order. `error` is set when the bytes
/// after the last field could not be read (only at the top level; nested
/// payloads are only treated as messages when they parse completely).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    pub fields: Vec<(u32, Node)>,
    pub error: Option<DecodeError>,
}

impl Message {
    /// Decodes `buf` as a message, keeping every field before an error.
    pub fn decode(buf: &[u8]) -> Message {
        Message::decode_at(buf, 0, 0)
    }

    /// Like [`Message::decode`], with offsets in errors shifted by `base`.
    pub fn decode_at(buf: &[u8], base: usize, depth: usize) -> Message {
        let mut m = Message::default();
        for f in Fields::with_base(buf, base) {
            match f {
                Ok(f) => {
                    let node = match f.value {
                        WireValue::Varint(v) => Node::Varint(v),
                        WireValue::Fixed64(v) => Node::Fixed64(v),
                        WireValue::Fixed32(v) => Node::Fixed32(v),
                        WireValue::Len(b) => {
                            // Where the payload sits in the whole value.
                            let inner_base = base + (b.as_ptr() as usize - buf.as_ptr() as usize);
                            len_node(b, inner_base, depth + 1)
                        }
                    };
                    m.fields.push((f.number, node));
                }
                Err(e) => {
                    // A value cut short: show what there is of the last
                    // field too.
                    if let DecodeError::LengthPastEnd { offset, field, .. } = e
                        && depth < MAX_DEPTH
                        && let Some(mut pos) = offset.checked_sub(base)
                        && read_varint(buf, &mut pos).is_ok()
                        && pos < buf.len()
                    {
                        m.fields
                            .push((field, cut_node(&buf[pos..], base + pos, depth + 1)));
                    }
                    m.error = Some(e);
                }
            }
        }
        m
    }

    /// The JSON form (see the `Serialize` impl).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The first value of field `n`.
    pub fn get(&self, n: u32) -> Option<&Node> {
        self.fields.iter().find(|(k, _)| *k == n).map(|(_, v)| v)
    }

    /// The fields other than `skip`.
    pub fn without(&self, skip: &[u32]) -> Message {
        Message {
            fields: self
                .fields
                .iter()
                .filter(|(k, _)| !skip.contains(k))
                .cloned()
                .collect(),
            error: self.error.clone(),
        }
    }

    /// When this message looks like a `metav1.Time` (seconds between 2000
    /// and 2100, optional nanos): that time, RFC 3339.
    pub fn as_time(&self) -> Option<String> {
        let mut secs = None;
        let mut nanos = 0u64;
        for (k, v) in &self.fields {
            match (k, v) {
                (1, Node::Varint(s)) if secs.is_none() => secs = Some(*s),
                (2, Node::Varint(n)) if *n < 1_000_000_000 => nanos = *n,
                _ => return None,
            }
        }
        let secs = secs?;
        if !(946_684_800..4_102_444_800).contains(&secs) {
            return None;
        }
        format_unix_time(secs as i64, nanos as u32)
    }

    /// Renders the tree as indented lines (decode_raw style), each
    /// prefixed with `indent`.
    pub fn render(&self, indent: &str, out: &mut Vec<String>) {
        for (k, v) in &self.fields {
            render_field(*k, v, indent, out);
        }
        if let Some(e) = &self.error {
            out.push(format!("{indent}!! {e}"));
        }
    }
}

/// What there is of a length-delimited payload that was cut short: text,
/// the fields before the cut, or bytes.
fn cut_node(b: &[u8], base: usize, depth: usize) -> Node {
    if let Ok(s) = std::str::from_utf8(b)
        && looks_like_text(s)
    {
        return Node::String(s.to_string());
    }
    let m = Message::decode_at(b, base, depth);
    if m.fields.is_empty() {
        Node::Bytes(b.to_vec())
    } else {
        Node::Message(m)
    }
}

/// Decides what a length-delimited payload is (see the module doc).
pub fn len_node(b: &[u8], base: usize, depth: usize) -> Node {
    if b.is_empty() {
        return Node::String(String::new());
    }
    if let Ok(s) = std::str::from_utf8(b)
        && looks_like_text(s)
    {
        return Node::String(s.to_string());
    }
    if depth < MAX_DEPTH && is_message(b) {
        return Node::Message(Message::decode_at(b, base, depth));
    }
    match std::str::from_utf8(b) {
        Ok(s) => Node::String(s.to_string()),
        Err(_) => Node::Bytes(b.to_vec()),
    }
}

/// Text a person would type: no control characters but tab, newline and
/// CR, and not starting with one of those either.
pub fn looks_like_text(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if !c.is_control() => {}
        _ => return false,
    }
    chars.all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// A string as a double-quoted literal with escapes (`\n`, `\"`, `\u{1}`).
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{{{:x}}}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Bytes shown in a tree: hex, cut after 64 bytes.
fn bytes_literal(b: &[u8]) -> String {
    const SHOW: usize = 64;
    let shown = &b[..b.len().min(SHOW)];
    if b.len() > SHOW {
        format!("0x{}… ({} bytes)", hex::encode(shown), b.len())
    } else {
        format!("0x{} ({} bytes)", hex::encode(shown), b.len())
    }
}

fn scalar_text(v: &Node) -> Option<String> {
    Some(match v {
        Node::Varint(n) => {
            if *n > i64::MAX as u64 {
                format!("{} (as int64: {})", n, *n as i64)
            } else {
                n.to_string()
            }
        }
        Node::Fixed64(n) => {
            let f = f64::from_bits(*n);
            if f.is_finite() && f != 0.0 && (1e-6..1e15).contains(&f.abs()) {
                format!("0x{n:016x} (double {f})")
            } else {
                format!("0x{n:016x}")
            }
        }
        Node::Fixed32(n) => {
            let f = f32::from_bits(*n);
            if f.is_finite() && f != 0.0 && (1e-6..1e9).contains(&f.abs()) {
                format!("0x{n:08x} (float {f})")
            } else {
                format!("0x{n:08x}")
            }
        }
        Node::String(s) => quote(s),
        Node::Bytes(b) => bytes_literal(b),
        Node::Message(_) => return None,
    })
}

fn render_field(k: u32, v: &Node, indent: &str, out: &mut Vec<String>) {
    match v {
        Node::Message(m) => {
            if let Some(t) = m.as_time() {
                let inner: Vec<String> = m
                    .fields
                    .iter()
                    .filter_map(|(k, v)| scalar_text(v).map(|s| format!("{k}: {s}")))
                    .collect();
                out.push(format!("{indent}{k} {{ {} }}  # {t}", inner.join(" ")));
                return;
            }
            // Small all-scalar messages on one line: map entries
            // (`1: "key" 2: "value"`), quantities, references.
            if m.error.is_none()
                && m.fields.len() <= 3
                && m.fields.iter().all(|(_, v)| !matches!(v, Node::Message(_)))
            {
                let inner: Vec<String> = m
                    .fields
                    .iter()
                    .filter_map(|(k, v)| scalar_text(v).map(|s| format!("{k}: {s}")))
                    .collect();
                let line = inner.join(" ");
                if line.len() <= 100 {
                    out.push(format!("{indent}{k} {{ {line} }}"));
                    return;
                }
            }
            out.push(format!("{indent}{k} {{"));
            let deeper = format!("{indent}  ");
            m.render(&deeper, out);
            out.push(format!("{indent}}}"));
        }
        other => {
            if let Some(s) = scalar_text(other) {
                out.push(format!("{indent}{k}: {s}"));
            }
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Varint(n) | Node::Fixed64(n) => s.serialize_u64(*n),
            Node::Fixed32(n) => s.serialize_u32(*n),
            Node::String(t) => s.serialize_str(t),
            Node::Bytes(b) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &hex::encode(b))?;
                m.end()
            }
            Node::Message(msg) => msg.serialize(s),
        }
    }
}

/// A repeated field's values, in order.
struct Repeated<'a>(Vec<&'a Node>);

impl Serialize for Repeated<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in &self.0 {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// JSON: an object keyed by field number (in order of first appearance);
/// a field seen more than once becomes an array; bytes are `{"hex": ...}`;
/// a read error is `"error"`.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut order: Vec<u32> = Vec::new();
        for (k, _) in &self.fields {
            if !order.contains(k) {
                order.push(*k);
            }
        }
        let mut m = s.serialize_map(None)?;
        for k in order {
            let vals: Vec<&Node> = self
                .fields
                .iter()
                .filter(|(f, _)| *f == k)
                .map(|(_, v)| v)
                .collect();
            let key = k.to_string();
            if vals.len() == 1 {
                m.serialize_entry(&key, vals[0])?;
            } else {
                m.serialize_entry(&key, &Repeated(vals))?;
            }
        }
        if let Some(e) = &self.error {
            m.serialize_entry("error", &e.to_string())?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(m: &Message) -> Vec<String> {
        let mut out = Vec::new();
        m.render("", &mut out);
        out
    }

    #[test]
    fn strings_messages_bytes() {
        // 1: "pi", 2: { 1: "perl", 2: 7 }, 3: bytes ff 00
        let buf = [
            0x0a, 2, b'p', b'i', 0x12, 8, 0x0a, 4, b'p', b'e', b'r', b'l', 0x10, 7, 0x1a, 2, 0xff,
            0x00,
        ];
        let m = Message::decode(&buf);
        assert_eq!(m.get(1), Some(&Node::String("pi".into())));
        let Some(Node::Message(inner)) = m.get(2) else {
            panic!("field 2 should be a message: {m:?}");
        };
        assert_eq!(inner.get(2), Some(&Node::Varint(7)));
        assert_eq!(m.get(3), Some(&Node::Bytes(vec![0xff, 0])));
        assert_eq!(
            lines(&m),
            vec![
                "1: \"pi\"".to_string(),
                "2 { 1: \"perl\" 2: 7 }".to_string(),
                "3: 0xff00 (2 bytes)".to_string()
            ]
        );
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"1":"pi","2":{"1":"perl","2":7},"3":{"hex":"ff00"}}"#
        );
    }

    #[test]
    fn repeated_fields_are_arrays_in_json() {
        let buf = [0x08, 1, 0x08, 2, 0x10, 3];
        let m = Message::decode(&buf);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"1":[1,2],"2":3}"#);
    }

    #[test]
    fn message_starting_with_newline_is_not_text() {
        // { 1: "abcdefghij" } starts with 0x0a 0x0a: both newlines, printable,
        // but a leading control character means "message".
        let mut inner = vec![0x0a, 10];
        inner.extend_from_slice(b"abcdefghij");
        let mut buf = vec![0x12, inner.len() as u8];
        buf.extend_from_slice(&inner);
        let m = Message::decode(&buf);
        assert!(matches!(m.get(2), Some(Node::Message(_))));
    }

    #[test]
    fn time_annotation_and_negative_varints() {
        // 8: { 1: 1498581334 }
        let mut buf = vec![0x42, 6, 0x08];
        let mut v = 1_498_581_334u64;
        while v >= 0x80 {
            buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        buf.push(v as u8);
        buf[1] = (buf.len() - 2) as u8;
        // 9: -1 as int64
        buf.extend_from_slice(&[
            0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ]);
        let out = lines(&Message::decode(&buf));
        assert_eq!(out[0], "8 { 1: 1498581334 }  # 2017-06-27T16:35:34Z");
        assert_eq!(out[1], "9: 18446744073709551615 (as int64: -1)");
    }

    #[test]
    fn fixed_and_errors_kept() {
        // 1: fixed64 double 1.5, 2: fixed32 float 2.5, then a truncated field
        let mut buf = vec![0x09];
        buf.extend_from_slice(&1.5f64.to_bits().to_le_bytes());
        buf.push(0x15);
        buf.extend_from_slice(&2.5f32.to_bits().to_le_bytes());
        buf.extend_from_slice(&[0x1a, 0x09, b'x']);
        let m = Message::decode(&buf);
        assert_eq!(m.fields.len(), 3);
        let out = lines(&m);
        assert!(out[0].contains("double 1.5"), "{out:?}");
        assert!(out[1].contains("float 2.5"), "{out:?}");
        // what there is of the cut field, then where it broke
        assert_eq!(out[2], "3: \"x\"");
        assert!(out[3].starts_with("!! field 3 at offset 15"), "{out:?}");
        assert!(serde_json::to_string(&m).unwrap().contains("\"error\""));
    }

    #[test]
    fn deep_nesting_is_cut() {
        // 200 levels of { 1: { 1: ... } }
        let mut buf: Vec<u8> = vec![0x08, 0x01];
        for _ in 0..200 {
            let mut outer = vec![0x0a];
            let mut len = buf.len();
            while len >= 0x80 {
                outer.push((len as u8) | 0x80);
                len >>= 7;
            }
            outer.push(len as u8);
            outer.extend_from_slice(&buf);
            buf = outer;
        }
        let m = Message::decode(&buf);
        let mut depth = 0;
        let mut cur = &m;
        while let Some(Node::Message(inner)) = cur.get(1) {
            depth += 1;
            cur = inner;
        }
        assert!(depth < MAX_DEPTH + 1, "depth {depth}");
        assert!(matches!(cur.get(1), Some(Node::Bytes(_))));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\n\u{1}"), "\"a\\\"b\\n\\u{1}\"");
        assert!(looks_like_text("perl -wle"));
        assert!(!looks_like_text("\nabc"));
        assert!(!looks_like_text("a\u{0}b"));
    }
}

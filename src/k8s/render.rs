//! Stored protobuf objects rendered as the apiserver writes them in JSON
//! (and so as `kubectl get -o json|yaml` shows them), driven by
//! [`crate::k8s::schema`].
//!
//! Go's rules are followed field by field: a nil pointer is left out, a
//! zero value with `omitempty` is left out, a non-pointer struct is always
//! written (`lastState: {}`, `lastProbeTime: null`), a nil slice or map
//! without `omitempty` is `null`, maps are sorted by key, embedded structs
//! are inlined. Types with a JSON form of their own (Time, MicroTime,
//! Duration, Quantity, IntOrString, RawExtension, ...) are written as Go
//! writes them.
//!
//! Damaged input renders what decodes: the walk stops at the first broken
//! field of each message and says where (absolute offset in the value),
//! fields after it in that message are lost, everything before is kept.
//! Nesting is bounded ([`MAX_DEPTH`]), so no input can exhaust the stack;
//! output never exceeds a small multiple of the input.

use base64::Engine as _;

use super::schema::{self, Card, Field, Go, Scalar, Special, Ty};
use super::value::{ApiValue, Key};
use super::wire::{Fields, WireValue, read_varint};
use super::{DecodeError, format_unix_time};
use std::borrow::Cow;

/// Deepest message nesting followed (Kubernetes objects nest ~12 deep;
/// CRD schemas more).
pub const MAX_DEPTH: u32 = 100;

/// Most problems kept per object (the rest are counted).
const MAX_PROBLEMS: usize = 16;

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Show Secret values instead of `<redacted: N bytes>`.
    pub show_secrets: bool,
}

/// A rendered object and what got in the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// `apiVersion`, `kind`, then the object's fields.
    pub object: ApiValue,
    /// Where decoding stopped or what was malformed, with offsets.
    pub problems: Vec<String>,
    /// Fields the schema does not have (removed or newer than Kubernetes
    /// 1.35), skipped as the apiserver skips them.
    pub unknown: Vec<String>,
}

/// Renders the object bytes (`runtime.Unknown.raw`) of an object of
/// `api_version`/`kind`; `None` when the kind is not a built-in one
/// (k8s-pb does not know it). `base` is the offset of `raw` in the stored
/// value, for error messages.
pub fn render_object(
    api_version: &str,
    kind: &str,
    raw: &[u8],
    base: usize,
    opts: &RenderOptions,
) -> Option<Rendered> {
    let index = schema::message_for(api_version, kind)?;
    let mut ctx = Ctx::default();
    let mut entries: Vec<(Key, ApiValue)> = vec![
        (
            Cow::Borrowed("apiVersion"),
            ApiValue::Str(api_version.to_string()),
        ),
        (Cow::Borrowed("kind"), ApiValue::Str(kind.to_string())),
    ];
    entries.extend(ctx.message(raw, base, index, 0));
    let mut object = ApiValue::Obj(entries);
    if !opts.show_secrets && api_version == "v1" && kind == "Secret" {
        redact_secret(&mut object);
    }
    let mut problems = ctx.problems;
    if ctx.dropped > 0 {
        problems.push(format!("... and {} more problems", ctx.dropped));
    }
    Some(Rendered {
        object,
        problems,
        unknown: ctx.unknown,
    })
}

/// Renders the bytes of any message of the schema by its full name
/// (`api/core/v1.PodSpec`), without apiVersion/kind.
pub fn render_message(name: &str, raw: &[u8]) -> Option<Rendered> {
    let index = schema::index_of(name)?;
    let mut ctx = Ctx::default();
    let object = ApiValue::Obj(ctx.message(raw, 0, index, 0));
    Some(Rendered {
        object,
        problems: ctx.problems,
        unknown: ctx.unknown,
    })
}

/// `b` as a String, invalid UTF-8 replaced by U+FFFD (as Go's JSON
/// encoder does). Valid text, nearly always, is checked by the fast
/// validator and copied once.
fn lossy_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// The annotation kubectl apply writes: a copy of the whole object,
/// Secret values included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Replaces each value of a Secret's `data` and `stringData` (and the
/// last-applied annotation, which repeats them) with
/// `<redacted: N bytes>`.
pub fn redact_secret(object: &mut ApiValue) {
    if let Some(ApiValue::Obj(data)) = object.get_mut("data") {
        for (_, v) in data.iter_mut() {
            let n = match v {
                ApiValue::Str(s) => base64_len(s),
                _ => 0,
            };
            *v = ApiValue::Str(format!("<redacted: {n} bytes>"));
        }
    }
    if let Some(ApiValue::Obj(data)) = object.get_mut("stringData") {
        for (_, v) in data.iter_mut() {
            let n = v.as_str().map_or(0, str::len);
            *v = ApiValue::Str(format!("<redacted: {n} bytes>"));
        }
    }
    if let Some(meta) = object.get_mut("metadata")
        && let Some(ApiValue::Obj(ann)) = meta.get_mut("annotations")
    {
        for (k, v) in ann.iter_mut() {
            if k == LAST_APPLIED {
                let n = v.as_str().map_or(0, str::len);
                *v = ApiValue::Str(format!("<redacted: {n} bytes>"));
            }
        }
    }
}

/// Decoded length of standard base64 text.
fn base64_len(s: &str) -> usize {
    let pad = s.bytes().rev().take_while(|&b| b == b'=').count();
    (s.len() / 4 * 3).saturating_sub(pad)
}

/// One field's collected values, before Go's rules pick what to write.
enum Slot {
    Absent,
    One(ApiValue),
    Many(Vec<ApiValue>),
    Map(Vec<(Key, ApiValue)>),
    Inline(Vec<(Key, ApiValue)>),
}

#[derive(Default)]
struct Ctx {
    problems: Vec<String>,
    unknown: Vec<String>,
    dropped: usize,
}

impl Ctx {
    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.dropped += 1;
        }
    }

    /// The entries of message `index` read from `buf` (at absolute offset
    /// `base`), in Go's order and by Go's rules.
    fn message(&mut self, buf: &[u8], base: usize, index: u16, depth: u32) -> Vec<(Key, ApiValue)> {
        let msg = schema::message(index);
        if depth > MAX_DEPTH {
            self.problem(format!(
                "offset {base}: {} nested deeper than {MAX_DEPTH} messages: not read",
                msg.short_name()
            ));
            return Vec::new();
        }
        let mut slots: Vec<Slot> = msg.fields.iter().map(|_| Slot::Absent).collect();
        for field in Fields::with_base(buf, base) {
            let field = match field {
                Ok(f) => f,
                Err(e) => {
                    self.problem(format!("{} stops: {e}", msg.short_name()));
                    // A message cut short: render the part that is there.
                    if let DecodeError::LengthPastEnd { offset, field, .. } = e
                        && let Some((pos, f)) = msg.field(field)
                        && let Ty::Msg(child) = f.ty
                        && f.card != Card::Map
                        && let Some(mut at) = offset.checked_sub(base)
                        && read_varint(buf, &mut at).is_ok()
                        && let Some(part) = buf.get(at..)
                    {
                        if f.go == Go::Inline {
                            slots[pos] =
                                Slot::Inline(self.message(part, base + at, child, depth + 1));
                        } else {
                            let v = self.message_value(part, base + at, child, depth + 1);
                            match (&mut slots[pos], f.card) {
                                (Slot::Many(m), Card::Rep) => m.push(v),
                                (s, Card::Rep) => *s = Slot::Many(vec![v]),
                                (s, _) => *s = Slot::One(v),
                            }
                        }
                    }
                    break;
                }
            };
            let Some((pos, f)) = msg.field(field.number) else {
                if self.unknown.len() < MAX_PROBLEMS {
                    self.unknown.push(format!(
                        "offset {}: field {} of {} is not in Kubernetes 1.35's schema: skipped",
                        field.offset,
                        field.number,
                        msg.short_name()
                    ));
                }
                continue;
            };
            let at = |b: &[u8]| base + (b.as_ptr() as usize - buf.as_ptr() as usize);
            match f.card {
                Card::Map => {
                    let WireValue::Len(entry) = field.value else {
                        self.wrong_wire(field.offset, msg.short_name(), f);
                        continue;
                    };
                    let (k, v) = self.map_entry(entry, at(entry), f, depth);
                    match &mut slots[pos] {
                        Slot::Map(m) => m.push((k, v)),
                        s => *s = Slot::Map(vec![(k, v)]),
                    }
                }
                Card::Rep => {
                    let mut values = Vec::new();
                    match (f.ty, field.value) {
                        (Ty::Scalar(s), WireValue::Len(b))
                            if !matches!(s, Scalar::Str | Scalar::Bytes) =>
                        {
                            self.packed(b, at(b), s, &mut values)
                        }
                        _ => {
                            if let Some(v) = self.value(field.value, field.offset, f, depth, at) {
                                values.push(v);
                            }
                        }
                    }
                    match &mut slots[pos] {
                        Slot::Many(m) => m.extend(values),
                        s => *s = Slot::Many(values),
                    }
                }
                Card::One if f.go == Go::Inline => {
                    if let (Ty::Msg(child), WireValue::Len(b)) = (f.ty, field.value) {
                        let entries = self.message(b, at(b), child, depth + 1);
                        slots[pos] = Slot::Inline(entries);
                    } else if let Some(v) = self.value(field.value, field.offset, f, depth, at) {
                        slots[pos] = Slot::One(v);
                    }
                }
                Card::One => {
                    if let Some(v) = self.value(field.value, field.offset, f, depth, at) {
                        slots[pos] = Slot::One(v);
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(msg.fields.len());
        for (f, slot) in msg.fields.iter().zip(slots) {
            // `json:"-"`: Go never writes the field.
            if f.json.as_bytes() == b"-" {
                continue;
            }
            self.emit(f, slot, depth, &mut out);
        }
        out
    }

    /// Applies Go's encoding/json rules to one field.
    fn emit(&mut self, f: &Field, slot: Slot, depth: u32, out: &mut Vec<(Key, ApiValue)>) {
        let name: Key = Cow::Borrowed(f.json);
        match slot {
            Slot::Inline(entries) => out.extend(entries),
            Slot::Map(mut m) => {
                if m.is_empty() {
                    if f.go == Go::Always {
                        out.push((name, ApiValue::Null));
                    }
                } else {
                    // Go writes maps sorted by key; the last of equal keys wins.
                    m.sort_by(|a, b| a.0.cmp(&b.0));
                    m.reverse();
                    m.dedup_by(|a, b| a.0 == b.0);
                    m.reverse();
                    out.push((name, ApiValue::Obj(m)));
                }
            }
            Slot::Many(v) => {
                if !v.is_empty() {
                    out.push((name, ApiValue::Arr(v)));
                } else if f.go == Go::Always {
                    out.push((name, ApiValue::Null));
                }
            }
            Slot::One(v) => {
                let omit = match f.go {
                    Go::OmitEmpty => matches!(f.ty, Ty::Scalar(_)) && is_zero(&v),
                    Go::OmitZero => is_zero(&v) || v == ApiValue::obj(),
                    _ => false,
                };
                if !omit {
                    out.push((name, v));
                }
            }
            Slot::Absent => match (f.card, f.go, f.ty) {
                (Card::Map | Card::Rep, Go::Always, _) => out.push((name, ApiValue::Null)),
                (Card::Map | Card::Rep, _, _) => {}
                (_, Go::Pointer | Go::OmitZero, _) => {}
                (_, Go::Inline, Ty::Msg(child)) => {
                    let entries = self.message(&[], 0, child, depth + 1);
                    out.extend(entries);
                }
                (_, Go::Inline, Ty::Scalar(_)) => {}
                (_, Go::OmitEmpty, Ty::Scalar(_)) => {}
                (_, Go::Always, Ty::Scalar(s)) => out.push((name, zero_scalar(s))),
                // A non-pointer struct is always written, zero if unset.
                (_, Go::Always | Go::OmitEmpty, Ty::Msg(child)) => {
                    let v = self.message_value(&[], 0, child, depth + 1);
                    out.push((name, v));
                }
            },
        }
    }

    fn wrong_wire(&mut self, offset: usize, msg: &str, f: &Field) {
        self.problem(format!(
            "offset {offset}: field {} ({}) of {msg} has the wrong wire type: skipped",
            f.tag, f.json
        ));
    }

    /// One value of field `f`.
    fn value(
        &mut self,
        wire: WireValue<'_>,
        offset: usize,
        f: &Field,
        depth: u32,
        at: impl Fn(&[u8]) -> usize,
    ) -> Option<ApiValue> {
        match f.ty {
            Ty::Scalar(s) => match scalar(s, wire) {
                Some(v) => Some(v),
                None => {
                    self.problem(format!(
                        "offset {offset}: field {} ({}) has the wrong wire type for {s:?}: skipped",
                        f.tag, f.json
                    ));
                    None
                }
            },
            Ty::Msg(child) => match wire {
                WireValue::Len(b) => Some(self.message_value(b, at(b), child, depth + 1)),
                _ => {
                    self.problem(format!(
                        "offset {offset}: field {} ({}) should be a message: skipped",
                        f.tag, f.json
                    ));
                    None
                }
            },
        }
    }

    /// A map entry: key (field 1) and value (field 2).
    fn map_entry(&mut self, entry: &[u8], base: usize, f: &Field, depth: u32) -> (Key, ApiValue) {
        let mut key = String::new();
        let mut value = None;
        for e in Fields::with_base(entry, base) {
            match e {
                Ok(e) if e.number == 1 => {
                    if let Some(k) = scalar(f.key, e.value) {
                        key = match k {
                            ApiValue::Str(s) => s,
                            other => other.to_json().to_string(),
                        };
                    }
                }
                Ok(e) if e.number == 2 => {
                    let at = |b: &[u8]| base + (b.as_ptr() as usize - entry.as_ptr() as usize);
                    value = self.value(e.value, e.offset, f, depth, at);
                }
                Ok(_) => {}
                Err(err) => {
                    self.problem(format!("map {} entry stops: {err}", f.json));
                    break;
                }
            }
        }
        let value = value.unwrap_or_else(|| match f.ty {
            Ty::Scalar(s) => zero_scalar(s),
            Ty::Msg(child) => self.message_value(&[], 0, child, depth + 1),
        });
        (Cow::Owned(key), value)
    }

    /// Packed repeated scalars.
    fn packed(&mut self, b: &[u8], base: usize, s: Scalar, values: &mut Vec<ApiValue>) {
        for wire in packed_values(b, s) {
            match wire {
                Ok(wire) => values.extend(scalar(s, wire)),
                Err(e) => {
                    self.problem(format!("packed list: {}", e.shifted(base)));
                    return;
                }
            }
        }
    }

    /// A message as a JSON value: its special form, or an object.
    fn message_value(&mut self, buf: &[u8], base: usize, index: u16, depth: u32) -> ApiValue {
        match schema::special(index) {
            Some(sp) => self.special(sp, buf, base, depth),
            None => ApiValue::Obj(self.message(buf, base, index, depth)),
        }
    }

    fn special(&mut self, sp: Special, buf: &[u8], base: usize, depth: u32) -> ApiValue {
        let fields = match read_fields(buf, base) {
            Ok(f) => f,
            Err((partial, e)) => {
                self.problem(format!("{sp:?} stops: {e}"));
                partial
            }
        };
        let varint = |n: u32| {
            fields.iter().rev().find_map(|(num, w)| match (num, w) {
                (x, WireValue::Varint(v)) if *x == n => Some(*v),
                _ => None,
            })
        };
        let bytes = |n: u32| {
            fields.iter().rev().find_map(|(num, w)| match (num, w) {
                (x, WireValue::Len(b)) if *x == n => Some(*b),
                _ => None,
            })
        };
        let all_bytes = |n: u32| -> Vec<&[u8]> {
            fields
                .iter()
                .filter_map(|(num, w)| match (num, w) {
                    (x, WireValue::Len(b)) if *x == n => Some(*b),
                    _ => None,
                })
                .collect()
        };
        let schema_msg = |ctx: &mut Ctx, b: &[u8]| -> ApiValue {
            match schema_props_index(sp) {
                Some(i) => ctx.message_value(b, base, i, depth + 1),
                None => ApiValue::Null,
            }
        };
        match sp {
            Special::Time | Special::MicroTime => {
                let Some(secs) = varint(1).map(|v| v as i64) else {
                    return ApiValue::Null;
                };
                // Go's zero time (0001-01-01T00:00:00Z) is `null`.
                if secs == -62_135_596_800 {
                    return ApiValue::Null;
                }
                if sp == Special::Time {
                    // metav1.Time keeps whole seconds only (time_proto.go).
                    return format_unix_time(secs, 0)
                        .map(ApiValue::Str)
                        .unwrap_or(ApiValue::Null);
                }
                let nanos = varint(2).unwrap_or(0) as u32 % 1_000_000_000;
                micro_time(secs, nanos)
                    .map(ApiValue::Str)
                    .unwrap_or(ApiValue::Null)
            }
            Special::Duration => {
                ApiValue::Str(go_duration(varint(1).map(|v| v as i64).unwrap_or(0)))
            }
            Special::Quantity => {
                ApiValue::Str(bytes(1).map(lossy_string).unwrap_or_else(|| "0".into()))
            }
            Special::IntOrString => {
                if varint(1) == Some(1) {
                    ApiValue::Str(bytes(3).map(lossy_string).unwrap_or_default())
                } else {
                    ApiValue::Int(i64::from(varint(2).unwrap_or(0) as i32))
                }
            }
            Special::RawJson => match bytes(1) {
                None | Some([]) => ApiValue::Null,
                Some(b) => match serde_json::from_slice::<serde_json::Value>(b) {
                    Ok(v) => ApiValue::from_json(&v),
                    Err(e) => {
                        self.problem(format!(
                            "offset {base}: embedded value is not JSON ({e}): shown as base64"
                        ));
                        ApiValue::Str(base64::engine::general_purpose::STANDARD.encode(b))
                    }
                },
            },
            Special::SchemaOrArray => {
                let list = all_bytes(2);
                if !list.is_empty() {
                    ApiValue::Arr(list.into_iter().map(|b| schema_msg(self, b)).collect())
                } else if let Some(b) = bytes(1) {
                    schema_msg(self, b)
                } else {
                    ApiValue::Null
                }
            }
            Special::SchemaOrBool => match bytes(2) {
                Some(b) => schema_msg(self, b),
                None => ApiValue::Bool(varint(1).is_some_and(|v| v != 0)),
            },
            Special::SchemaOrStringArray => {
                let list = all_bytes(2);
                if !list.is_empty() {
                    ApiValue::Arr(
                        list.into_iter()
                            .map(|b| ApiValue::Str(lossy_string(b)))
                            .collect(),
                    )
                } else if let Some(b) = bytes(1) {
                    schema_msg(self, b)
                } else {
                    ApiValue::Null
                }
            }
            Special::StringList => {
                let list = all_bytes(1);
                if list.is_empty() {
                    ApiValue::Null
                } else {
                    ApiValue::Arr(
                        list.into_iter()
                            .map(|b| ApiValue::Str(lossy_string(b)))
                            .collect(),
                    )
                }
            }
        }
    }
}

/// The JSONSchemaProps message of the same apiextensions version as a
/// `JSONSchemaPropsOr*` special (v1 and v1beta1 share the layout).
fn schema_props_index(_sp: Special) -> Option<u16> {
    // Both versions encode the schema identically; v1's table serves both.
    schema::index_of("apiextensions_apiserver/pkg/apis/apiextensions/v1.JsonSchemaProps")
}

type Partial<'a> = (Vec<(u32, WireValue<'a>)>, DecodeError);

/// Every field of a small message, or those before the damage.
fn read_fields(buf: &[u8], base: usize) -> Result<Vec<(u32, WireValue<'_>)>, Partial<'_>> {
    let mut out = Vec::new();
    for f in Fields::with_base(buf, base) {
        match f {
            Ok(f) => out.push((f.number, f.value)),
            Err(e) => return Err((out, e)),
        }
    }
    Ok(out)
}

/// The values of a packed list of scalars of type `s`, as wire values: a
/// broken varint is an error (and the end); a short fixed-size value at
/// the end just ends the list.
pub(super) fn packed_values(
    b: &[u8],
    s: Scalar,
) -> impl Iterator<Item = Result<WireValue<'_>, DecodeError>> {
    let mut pos = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= b.len() {
            return None;
        }
        let fixed = |pos: &mut usize, n: usize| {
            let x = b.get(*pos..*pos + n)?;
            *pos += n;
            Some(x)
        };
        Some(match s {
            Scalar::F64 => {
                let x: [u8; 8] = fixed(&mut pos, 8)?.try_into().ok()?;
                Ok(WireValue::Fixed64(u64::from_le_bytes(x)))
            }
            Scalar::F32 => {
                let x: [u8; 4] = fixed(&mut pos, 4)?.try_into().ok()?;
                Ok(WireValue::Fixed32(u32::from_le_bytes(x)))
            }
            _ => read_varint(b, &mut pos)
                .map(WireValue::Varint)
                .inspect_err(|_| failed = true),
        })
    })
}

/// The JSON value of a message with a form of its own (Time, Quantity,
/// IntOrString, ...) read from `buf`, or `None` when reading it met a
/// problem (the caller then renders the whole object with the tree).
pub(super) fn special_value(sp: Special, buf: &[u8], depth: u32) -> Option<ApiValue> {
    let mut ctx = Ctx::default();
    let v = ctx.special(sp, buf, 0, depth);
    (ctx.problems.is_empty() && ctx.dropped == 0).then_some(v)
}

/// A scalar from its wire value; `None` on a wire type mismatch.
pub(super) fn scalar(s: Scalar, wire: WireValue<'_>) -> Option<ApiValue> {
    Some(match (s, wire) {
        (Scalar::Str, WireValue::Len(b)) => ApiValue::Str(lossy_string(b)),
        (Scalar::Bytes, WireValue::Len(b)) => {
            ApiValue::Str(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Scalar::Bool, WireValue::Varint(v)) => ApiValue::Bool(v != 0),
        (Scalar::I32, WireValue::Varint(v)) => ApiValue::Int(i64::from(v as i32)),
        (Scalar::I64, WireValue::Varint(v)) => ApiValue::Int(v as i64),
        (Scalar::U32, WireValue::Varint(v)) => ApiValue::UInt(u64::from(v as u32)),
        (Scalar::U64, WireValue::Varint(v)) => ApiValue::UInt(v),
        (Scalar::F64, WireValue::Fixed64(v)) => ApiValue::Float(f64::from_bits(v)),
        (Scalar::F32, WireValue::Fixed32(v)) => ApiValue::Float(f64::from(f32::from_bits(v))),
        (Scalar::I32 | Scalar::U32, WireValue::Fixed32(v)) => ApiValue::Int(i64::from(v as i32)),
        (Scalar::I64 | Scalar::U64, WireValue::Fixed64(v)) => ApiValue::Int(v as i64),
        _ => return None,
    })
}

/// What Go writes for an unset non-pointer scalar without `omitempty`.
pub(super) fn zero_scalar(s: Scalar) -> ApiValue {
    match s {
        Scalar::Str => ApiValue::Str(String::new()),
        // A nil []byte is `null`.
        Scalar::Bytes => ApiValue::Null,
        Scalar::Bool => ApiValue::Bool(false),
        Scalar::I32 | Scalar::I64 => ApiValue::Int(0),
        Scalar::U32 | Scalar::U64 => ApiValue::UInt(0),
        Scalar::F32 | Scalar::F64 => ApiValue::Float(0.0),
    }
}

/// Whether `omitempty` leaves the value out.
pub(super) fn is_zero(v: &ApiValue) -> bool {
    match v {
        ApiValue::Null => true,
        ApiValue::Bool(b) => !b,
        ApiValue::Int(i) => *i == 0,
        ApiValue::UInt(u) => *u == 0,
        ApiValue::Float(f) => *f == 0.0,
        ApiValue::Str(s) => s.is_empty(),
        ApiValue::Arr(a) => a.is_empty(),
        ApiValue::Obj(_) => false,
    }
}

/// metav1.MicroTime's JSON: RFC 3339 with exactly six fraction digits, UTC.
pub fn micro_time(secs: i64, nanos: u32) -> Option<String> {
    let base = format_unix_time(secs, 0)?;
    let stem = base.strip_suffix('Z')?;
    Some(format!("{stem}.{:06}Z", nanos / 1000))
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `150ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        // Sub-second: the largest unit that keeps the integer part non-zero.
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let secs_total = u / 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total / 60) % 60;
    let s_nanos = u % 60_000_000_000;
    let mut out = String::from(sign);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac(s_nanos, 1_000_000_000)));
    out
}

/// `v / div` with the fraction's trailing zeros dropped.
fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expectations from Go's time package (`time.Duration.String`,
    /// src/time/time.go and its tests).
    #[test]
    fn durations_as_go_writes_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(1), "1ns");
        assert_eq!(go_duration(1_100), "1.1µs");
        assert_eq!(go_duration(2_200_000), "2.2ms");
        assert_eq!(go_duration(3_300_000_000), "3.3s");
        assert_eq!(go_duration(4 * 60 * 1_000_000_000 + 5_000_000_000), "4m5s");
        assert_eq!(
            go_duration(4 * 60 * 1_000_000_000 + 5_001_000_000),
            "4m5.001s"
        );
        assert_eq!(
            go_duration(5 * 3600 * 1_000_000_000 + 6 * 60 * 1_000_000_000 + 7_001_000_000),
            "5h6m7.001s"
        );
        assert_eq!(go_duration(3600 * 1_000_000_000), "1h0m0s");
        assert_eq!(go_duration(-1_000_000_000), "-1s");
    }

    #[test]
    fn micro_time_has_six_digits() {
        assert_eq!(
            micro_time(1_498_581_334, 123_456_789).as_deref(),
            Some("2017-06-27T16:35:34.123456Z")
        );
        assert_eq!(
            micro_time(1_498_581_334, 0).as_deref(),
            Some("2017-06-27T16:35:34.000000Z")
        );
    }

    /// A packed list ends at a short fixed-size tail without a word, and
    /// at a broken varint with an error naming where it starts.
    #[test]
    fn packed_lists_end_as_protobuf_readers_do() {
        let mut b = 1.5f64.to_le_bytes().to_vec();
        b.extend_from_slice(&[1, 2, 3]);
        let v: Vec<_> = packed_values(&b, Scalar::F64).collect();
        assert_eq!(v, vec![Ok(WireValue::Fixed64(1.5f64.to_bits()))]);
        let v: Vec<_> = packed_values(&[0x05, 0x96, 0x01, 0x80], Scalar::I64).collect();
        assert_eq!(v.len(), 3, "{v:?}");
        assert_eq!(
            v[..2],
            [Ok(WireValue::Varint(5)), Ok(WireValue::Varint(150))]
        );
        assert!(
            matches!(v[2], Err(DecodeError::Truncated { offset: 3, .. })),
            "{v:?}"
        );
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len("YWJj"), 3);
        assert_eq!(base64_len("YWI="), 2);
        assert_eq!(base64_len("YQ=="), 1);
        assert_eq!(base64_len(""), 0);
    }
}

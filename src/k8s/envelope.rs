//! The `k8s\0` protobuf storage envelope: the four magic bytes, then a
//! `runtime.Unknown` (k8s.io/apimachinery/pkg/runtime/generated.proto):
//! 1 typeMeta {1 apiVersion, 2 kind}, 2 raw (the object's own protobuf),
//! 3 contentEncoding, 4 contentType.
//!
//! The object in `raw` has its ObjectMeta in field 1 (true of every
//! top-level Kubernetes type); that is decoded by field number, the rest
//! is shown as a generic field tree.

use serde::Serialize;

use super::DecodeError;
use super::meta::{
    ObjectMeta, TypeMeta, decode_object_meta, decode_object_meta_cut, decode_type_meta,
};
use super::render::{RenderOptions, render_object};
use super::tree::Message;
use super::value::ApiValue;
use super::wire::{Fields, WireValue, read_varint};

/// The envelope's magic prefix.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// A decoded protobuf object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProtoObject {
    #[serde(flatten)]
    pub type_meta: TypeMeta,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content_encoding: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content_type: String,
    /// Size of the object's own protobuf (`raw`).
    pub raw_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectMeta>,
    /// Every field of the object but the metadata (all of them when field
    /// 1 is not an ObjectMeta).
    pub fields: Message,
    /// What went wrong, when the envelope or object could only partly be
    /// read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The whole object as the apiserver writes it in JSON (kubectl's
    /// shape), for kinds of Kubernetes' schema; then `fields` is empty.
    /// Printed by the caller (`object` in JSON rows, YAML for people).
    #[serde(skip)]
    pub object: Option<ApiValue>,
    /// Where rendering `object` stopped or what it skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Fields not in the schema (removed, or newer), skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_fields: Vec<String>,
}

impl ProtoObject {
    /// What got in the way of reading a rendered object, a line each:
    /// the envelope's error, then where rendering stopped (its first
    /// problem not repeated when the error already names it).
    pub fn object_problems(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.error.as_deref().into_iter().collect();
        for (i, problem) in self.problems.iter().enumerate() {
            let repeated = i == 0
                && self
                    .error
                    .as_deref()
                    .and_then(|e| e.strip_prefix("object: "))
                    == Some(problem.as_str());
            if !repeated {
                out.push(problem);
            }
        }
        out
    }
}

/// Decodes a value that starts with [`MAGIC`]. Never fails: problems are
/// in `error`, with everything read before them kept.
pub fn decode(value: &[u8]) -> ProtoObject {
    decode_with(value, &RenderOptions::default())
}

/// [`decode`], rendering objects of Kubernetes' schema with `opts`
/// (Secret values redacted unless `opts.show_secrets`).
pub fn decode_with(value: &[u8], opts: &RenderOptions) -> ProtoObject {
    let mut obj = ProtoObject::default();
    let body = value.get(MAGIC.len()..).unwrap_or_default();
    let base = MAGIC.len();
    let mut raw: Option<(&[u8], usize)> = None;
    // The value ends inside the object.
    let mut cut = false;
    for f in Fields::with_base(body, base) {
        match f {
            Ok(f) => {
                let at = |b: &[u8]| base + (b.as_ptr() as usize - body.as_ptr() as usize);
                match (f.number, f.value) {
                    (1, WireValue::Len(b)) => match decode_type_meta(b, at(b)) {
                        Ok(t) => obj.type_meta = t,
                        Err(e) => {
                            obj.error = Some(format!("envelope typeMeta: {e}"));
                        }
                    },
                    (2, WireValue::Len(b)) => raw = Some((b, at(b))),
                    (3, WireValue::Len(b)) => {
                        obj.content_encoding = String::from_utf8_lossy(b).into_owned()
                    }
                    (4, WireValue::Len(b)) => {
                        obj.content_type = String::from_utf8_lossy(b).into_owned()
                    }
                    _ => {}
                }
            }
            Err(e) => {
                // A cut value: the object's bytes run past the end. Decode
                // what there is (the metadata comes first, so a value cut
                // late still names its object).
                if let DecodeError::LengthPastEnd {
                    offset, field: 2, ..
                } = e
                    && raw.is_none()
                {
                    let mut pos = offset - base;
                    if read_varint(body, &mut pos).is_ok() {
                        raw = Some((&body[pos..], base + pos));
                        cut = true;
                        obj.error = Some(format!(
                            "envelope: {e}; the object below is its first {} bytes",
                            body.len() - pos
                        ));
                        break;
                    }
                }
                obj.error = Some(format!("envelope: {e}"));
                break;
            }
        }
    }
    let Some((raw, raw_at)) = raw else {
        if obj.error.is_none() {
            obj.error = Some("envelope has no object (field 2, raw, is missing)".into());
        }
        return obj;
    };
    obj.raw_bytes = raw.len();
    if let Some(r) = render_object(
        &obj.type_meta.api_version,
        &obj.type_meta.kind,
        raw,
        raw_at,
        opts,
    ) {
        obj.object = Some(r.object);
        obj.problems = r.problems;
        obj.unknown_fields = r.unknown;
        if let Some(Ok(f)) = Fields::with_base(raw, raw_at).next()
            && let (1, WireValue::Len(b)) = (f.number, f.value)
            && let Ok(m) =
                decode_object_meta(b, raw_at + (b.as_ptr() as usize - raw.as_ptr() as usize))
        {
            obj.metadata = Some(m);
        } else if let Some(ApiValue::Obj(_)) = obj.object.as_ref().and_then(|o| o.get("metadata")) {
            // A cut value: name the object from what was rendered.
            let field = |k: &str| {
                obj.object
                    .as_ref()
                    .and_then(|o| o.pointer(&["metadata", k]))
                    .and_then(ApiValue::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let meta = ObjectMeta {
                name: field("name"),
                namespace: field("namespace"),
                uid: field("uid"),
                ..ObjectMeta::default()
            };
            obj.metadata = Some(meta);
        }
        if obj.error.is_none()
            && let Some(p) = obj.problems.first()
        {
            obj.error = Some(format!("object: {p}"));
        }
        return obj;
    }
    let tree = Message::decode_at(raw, raw_at, 0);
    // Field 1 as ObjectMeta, when it reads as one; in a cut value, as much
    // of it as there is.
    let meta = match Fields::with_base(raw, raw_at).next() {
        Some(Ok(f)) if f.number == 1 => match f.value {
            WireValue::Len(b) => Some(decode_object_meta(
                b,
                raw_at + (b.as_ptr() as usize - raw.as_ptr() as usize),
            )),
            _ => None,
        },
        Some(Err(DecodeError::LengthPastEnd {
            offset, field: 1, ..
        })) if cut => {
            let mut pos = offset - raw_at;
            read_varint(raw, &mut pos)
                .ok()
                .map(|_| Ok(decode_object_meta_cut(&raw[pos..], raw_at + pos)))
        }
        _ => None,
    };
    match meta {
        Some(Ok(meta)) => {
            obj.metadata = Some(meta);
            obj.fields = tree.without(&[1]);
        }
        Some(Err(e)) => {
            if obj.error.is_none() {
                obj.error = Some(format!("object metadata (field 1): {e}"));
            }
            obj.fields = tree;
        }
        None => obj.fields = tree,
    }
    if obj.error.is_none()
        && let Some(e) = &obj.fields.error
    {
        obj.error = Some(format!("object: {e}"));
    }
    obj
}

/// The object bytes (`runtime.Unknown.raw`) of an envelope value.
pub fn raw_of(value: &[u8]) -> Option<&[u8]> {
    let body = value.strip_prefix(MAGIC.as_slice())?;
    for f in Fields::new(body) {
        let f = f.ok()?;
        if let (2, WireValue::Len(b)) = (f.number, f.value) {
            return Some(b);
        }
    }
    None
}

/// Only the type of an envelope value (cheap; used to spot Secrets).
pub fn peek_type(value: &[u8]) -> Option<TypeMeta> {
    let body = value.strip_prefix(MAGIC.as_slice())?;
    for f in Fields::new(body) {
        let f = f.ok()?;
        if let (1, WireValue::Len(b)) = (f.number, f.value) {
            return decode_type_meta(b, 0).ok();
        }
    }
    None
}

/// Builds an envelope value (for tests, examples and the benchmark loader).
pub fn encode(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut tm = Vec::new();
    put_len(&mut tm, 1, api_version.as_bytes());
    put_len(&mut tm, 2, kind.as_bytes());
    let mut v = MAGIC.to_vec();
    put_len(&mut v, 1, &tm);
    put_len(&mut v, 2, raw);
    put_len(&mut v, 3, b"");
    put_len(&mut v, 4, b"");
    v
}

/// Appends a varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-delimited field.
pub fn put_len(out: &mut Vec<u8>, field: u32, payload: &[u8]) {
    put_varint(out, (u64::from(field) << 3) | 2);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Appends a varint field.
pub fn put_uint(out: &mut Vec<u8>, field: u32, v: u64) {
    put_varint(out, u64::from(field) << 3);
    put_varint(out, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::tree::Node;

    fn pod_raw() -> Vec<u8> {
        let mut meta = Vec::new();
        put_len(&mut meta, 1, b"web-0");
        put_len(&mut meta, 3, b"prod");
        put_len(&mut meta, 5, b"1111-2222");
        let mut time = Vec::new();
        put_uint(&mut time, 1, 1_700_000_000);
        put_len(&mut meta, 8, &time);
        let mut spec = Vec::new();
        put_len(&mut spec, 9, b"node-1");
        let mut raw = Vec::new();
        put_len(&mut raw, 1, &meta);
        put_len(&mut raw, 2, &spec);
        raw
    }

    #[test]
    fn round_trip() {
        // A kind outside the schema: the generic tree.
        let v = encode("example.com/v1", "Pod", &pod_raw());
        let o = decode(&v);
        assert_eq!(o.error, None);
        assert_eq!(o.type_meta.api_version, "example.com/v1");
        assert_eq!(o.type_meta.kind, "Pod");
        assert!(o.object.is_none());
        let m = o.metadata.as_ref().unwrap();
        assert_eq!(m.full_name(), "prod/web-0");
        assert_eq!(
            m.creation_timestamp.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        let Some(Node::Message(spec)) = o.fields.get(2) else {
            panic!("{o:?}")
        };
        assert_eq!(spec.get(9), Some(&Node::String("node-1".into())));
        assert!(o.fields.get(1).is_none());
        assert_eq!(peek_type(&v).unwrap().kind, "Pod");
    }

    #[test]
    fn truncated_keeps_type_and_says_where() {
        let v = encode("example.com/v1", "Pod", &pod_raw());
        let cut = &v[..v.len() - 8];
        let o = decode(cut);
        assert_eq!(o.type_meta.kind, "Pod");
        // The metadata was whole: still decoded.
        assert_eq!(o.metadata.as_ref().unwrap().full_name(), "prod/web-0");
        let e = o.error.unwrap();
        assert!(e.contains("envelope") && e.contains("offset"), "{e}");
        assert!(e.contains("the object below is its first"), "{e}");
        // Cut inside the metadata (in its last field, the creation time):
        // the fields before the cut.
        let cut = &v[..v.len() - 17];
        let o = decode(cut);
        let m = o.metadata.unwrap();
        assert_eq!(m.full_name(), "prod/web-0");
        assert_eq!(m.uid, "1111-2222");
        assert_eq!(m.creation_timestamp, None);
        // Cut inside the type: no metadata, the error says where.
        let o = decode(&v[..12]);
        assert!(o.metadata.is_none());
        assert!(o.error.is_some());
    }

    /// A Pod of the schema, cut short: what decodes is rendered, the
    /// error says where it stopped.
    #[test]
    fn schema_object_cut_short() {
        let v = encode("v1", "Pod", &pod_raw());
        let whole = decode(&v).object.expect("rendered");
        assert_eq!(
            whole.pointer(&["metadata", "creationTimestamp"]),
            Some(&ApiValue::Str("2023-11-14T22:13:20Z".into()))
        );
        assert_eq!(
            whole.pointer(&["spec", "serviceAccount"]),
            Some(&ApiValue::Str("node-1".into()))
        );
        let o = decode(&v[..v.len() - 7]);
        let cut = o.object.expect("still rendered");
        assert_eq!(
            cut.pointer(&["metadata", "name"]),
            Some(&ApiValue::Str("web-0".into()))
        );
        assert!(cut.pointer(&["spec", "serviceAccount"]).is_none());
        let e = o.error.expect("error");
        assert!(e.contains("offset"), "{e}");
        for n in 0..v.len() {
            let _ = decode(&v[..n]);
        }
    }

    #[test]
    fn object_without_meta() {
        let mut raw = Vec::new();
        put_uint(&mut raw, 1, 5);
        let o = decode(&encode("v1", "Thing", &raw));
        assert!(o.metadata.is_none());
        assert_eq!(o.fields.get(1), Some(&Node::Varint(5)));
        let o = decode(b"k8s\0");
        assert!(o.error.unwrap().contains("no object"));
        let o = decode(b"k8s\0\x0a\x02\x0a");
        assert!(o.error.is_some());
    }

    #[test]
    fn bad_metadata_is_reported_and_shown_generically() {
        let mut raw = Vec::new();
        let mut meta = Vec::new();
        put_len(&mut meta, 8, &[0x08]); // truncated Time
        put_len(&mut raw, 1, &meta);
        let o = decode(&encode("example.com/v1", "Pod", &raw));
        assert!(o.metadata.is_none());
        assert!(o.error.unwrap().contains("metadata"));
        assert!(o.fields.get(1).is_some());
    }
}

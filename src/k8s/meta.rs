//! `TypeMeta` and `ObjectMeta`, the parts every stored Kubernetes object
//! shares, decoded by field number from protobuf (apimachinery's
//! `k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto`) or read from a
//! JSON/CBOR object.
//!
//! Field numbers used (ObjectMeta): 1 name, 2 generateName, 3 namespace,
//! 4 selfLink, 5 uid, 6 resourceVersion, 7 generation,
//! 8 creationTimestamp, 9 deletionTimestamp, 10 deletionGracePeriodSeconds,
//! 11 labels, 12 annotations, 13 ownerReferences, 14 finalizers, 15 clusterName,
//! 17 managedFields. OwnerReference: 1 kind, 3 name, 4 uid, 5 apiVersion,
//! 6 controller, 7 blockOwnerDeletion. Time: 1 seconds, 2 nanos.
//! ManagedFieldsEntry: 1 manager, 2 operation, 3 apiVersion, 4 time,
//! 6 fieldsType, 7 fieldsV1, 8 subresource.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use super::tree::{Message, Node, len_node};
use super::wire::{Fields, WireValue};
use super::{DecodeError, format_unix_time};

/// apiVersion and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeMeta {
    pub api_version: String,
    pub kind: String,
}

/// An owner of the object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

/// One managedFields entry, without the field set itself (only its size).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManagedField {
    pub manager: String,
    pub operation: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    pub fields_bytes: usize,
}

/// The object's metadata. Empty strings and absent fields are left out of
/// JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_fields: Vec<ManagedField>,
    /// Removed in Kubernetes 1.25; older objects carry it (usually empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster_name: String,
    /// Fields this decoder does not know, as a generic tree.
    #[serde(skip_serializing_if = "is_empty_message")]
    pub other: Message,
}

fn is_empty_message(m: &Message) -> bool {
    m.fields.is_empty() && m.error.is_none()
}

impl ObjectMeta {
    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub fn full_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Decodes `runtime.TypeMeta` (1 apiVersion, 2 kind).
pub fn decode_type_meta(buf: &[u8], base: usize) -> Result<TypeMeta, DecodeError> {
    let mut t = TypeMeta::default();
    for f in Fields::with_base(buf, base) {
        let f = f?;
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => t.api_version = text(b),
            (2, WireValue::Len(b)) => t.kind = text(b),
            _ => {}
        }
    }
    Ok(t)
}

/// Decodes a `metav1.Time` into RFC 3339 with whole seconds, as the
/// apiserver shows it in JSON and YAML (the stored nanoseconds are dropped;
/// the generic tree keeps them). `seconds=N` when out of range.
pub fn decode_time(buf: &[u8], base: usize) -> Result<String, DecodeError> {
    let mut secs: i64 = 0;
    let mut nanos: u64 = 0;
    for f in Fields::with_base(buf, base) {
        let f = f?;
        match (f.number, f.value) {
            (1, WireValue::Varint(v)) => secs = v as i64,
            (2, WireValue::Varint(v)) => nanos = v,
            _ => {}
        }
    }
    let valid = nanos < 1_000_000_000;
    Ok(valid
        .then(|| format_unix_time(secs, 0))
        .flatten()
        .unwrap_or_else(|| format!("seconds={secs} nanos={nanos}")))
}

/// Decodes one map entry (1 key, 2 value) of a `map<string,string>`.
fn decode_string_pair(buf: &[u8], base: usize) -> Result<(String, String), DecodeError> {
    let mut k = String::new();
    let mut v = String::new();
    for f in Fields::with_base(buf, base) {
        let f = f?;
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => k = text(b),
            (2, WireValue::Len(b)) => v = text(b),
            _ => {}
        }
    }
    Ok((k, v))
}

fn decode_owner(buf: &[u8], base: usize) -> Result<OwnerReference, DecodeError> {
    let mut o = OwnerReference::default();
    for f in Fields::with_base(buf, base) {
        let f = f?;
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => o.kind = text(b),
            (3, WireValue::Len(b)) => o.name = text(b),
            (4, WireValue::Len(b)) => o.uid = text(b),
            (5, WireValue::Len(b)) => o.api_version = text(b),
            (6, WireValue::Varint(v)) => o.controller = Some(v != 0),
            (7, WireValue::Varint(v)) => o.block_owner_deletion = Some(v != 0),
            _ => {}
        }
    }
    Ok(o)
}

fn decode_managed(buf: &[u8], base: usize) -> Result<ManagedField, DecodeError> {
    let mut m = ManagedField::default();
    for f in Fields::with_base(buf, base) {
        let f = f?;
        let at = base + offset_in(buf, &f.value);
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => m.manager = text(b),
            (2, WireValue::Len(b)) => m.operation = text(b),
            (3, WireValue::Len(b)) => m.api_version = text(b),
            (4, WireValue::Len(b)) => m.time = Some(decode_time(b, at)?),
            (7, WireValue::Len(b)) => m.fields_bytes = b.len(),
            (8, WireValue::Len(b)) => m.subresource = text(b),
            _ => {}
        }
    }
    Ok(m)
}

/// Offset of a length-delimited payload inside `buf` (0 for other kinds).
fn offset_in(buf: &[u8], v: &WireValue<'_>) -> usize {
    match v {
        WireValue::Len(b) => b.as_ptr() as usize - buf.as_ptr() as usize,
        _ => 0,
    }
}

/// Decodes ObjectMeta from protobuf. Fields of unexpected wire types and
/// unknown field numbers go to `other`; a malformed known field is an
/// error (the caller then shows the bytes as a generic tree).
pub fn decode_object_meta(buf: &[u8], base: usize) -> Result<ObjectMeta, DecodeError> {
    decode_object_meta_with(buf, base, false)
}

/// Decodes the start of an ObjectMeta whose bytes were cut short (a
/// truncated value): every field before the cut is kept.
pub fn decode_object_meta_cut(buf: &[u8], base: usize) -> ObjectMeta {
    decode_object_meta_with(buf, base, true).unwrap_or_default()
}

/// `Ok(None)` instead of an error when `lenient`.
fn keep<T>(r: Result<T, DecodeError>, lenient: bool) -> Result<Option<T>, DecodeError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(_) if lenient => Ok(None),
        Err(e) => Err(e),
    }
}

fn decode_object_meta_with(
    buf: &[u8],
    base: usize,
    lenient: bool,
) -> Result<ObjectMeta, DecodeError> {
    let mut m = ObjectMeta::default();
    let mut other = Vec::new();
    for f in Fields::with_base(buf, base) {
        let f = match f {
            Ok(f) => f,
            Err(_) if lenient => break,
            Err(e) => return Err(e),
        };
        let at = base + offset_in(buf, &f.value);
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => m.name = text(b),
            (2, WireValue::Len(b)) => m.generate_name = text(b),
            (3, WireValue::Len(b)) => m.namespace = text(b),
            (4, WireValue::Len(b)) => m.self_link = text(b),
            (5, WireValue::Len(b)) => m.uid = text(b),
            (6, WireValue::Len(b)) => m.resource_version = text(b),
            // Kubernetes omits a zero generation (objects without spec
            // generations); so do we.
            (7, WireValue::Varint(v)) => m.generation = (v != 0).then_some(v as i64),
            (8, WireValue::Len(b)) => m.creation_timestamp = keep(decode_time(b, at), lenient)?,
            (9, WireValue::Len(b)) => m.deletion_timestamp = keep(decode_time(b, at), lenient)?,
            (10, WireValue::Varint(v)) => m.deletion_grace_period_seconds = Some(v as i64),
            (11, WireValue::Len(b)) => {
                if let Some((k, v)) = keep(decode_string_pair(b, at), lenient)? {
                    m.labels.insert(k, v);
                }
            }
            (12, WireValue::Len(b)) => {
                if let Some((k, v)) = keep(decode_string_pair(b, at), lenient)? {
                    m.annotations.insert(k, v);
                }
            }
            (13, WireValue::Len(b)) => m
                .owner_references
                .extend(keep(decode_owner(b, at), lenient)?),
            (14, WireValue::Len(b)) => m.finalizers.push(text(b)),
            (15, WireValue::Len(b)) => m.cluster_name = text(b),
            (17, WireValue::Len(b)) => m
                .managed_fields
                .extend(keep(decode_managed(b, at), lenient)?),
            _ => other.push(f),
        }
    }
    if !other.is_empty() {
        // Re-read just the unknown fields through the generic tree.
        let mut tree = Message::default();
        for f in other {
            let node = match f.value {
                WireValue::Varint(v) => Node::Varint(v),
                WireValue::Fixed64(v) => Node::Fixed64(v),
                WireValue::Fixed32(v) => Node::Fixed32(v),
                WireValue::Len(b) => len_node(b, base + offset_in(buf, &f.value), 1),
            };
            tree.fields.push((f.number, node));
        }
        m.other = tree;
    }
    Ok(m)
}

fn json_str(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn json_map(v: Option<&Json>) -> BTreeMap<String, String> {
    match v {
        Some(Json::Object(o)) => o
            .iter()
            .map(|(k, v)| (k.clone(), json_str(Some(v))))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn json_time(v: Option<&Json>) -> Option<String> {
    match v {
        Some(Json::Null) | None => None,
        Some(v) => Some(json_str(Some(v))),
    }
}

/// apiVersion and kind of a JSON/CBOR object, when it has either.
pub fn type_meta_from_json(obj: &Json) -> Option<TypeMeta> {
    let t = TypeMeta {
        api_version: json_str(obj.get("apiVersion")),
        kind: json_str(obj.get("kind")),
    };
    (!t.api_version.is_empty() || !t.kind.is_empty()).then_some(t)
}

/// ObjectMeta from the `metadata` object of a JSON/CBOR object.
pub fn object_meta_from_json(obj: &Json) -> Option<ObjectMeta> {
    let md = obj.get("metadata")?.as_object()?;
    let owners = match md.get("ownerReferences") {
        Some(Json::Array(a)) => a
            .iter()
            .map(|o| OwnerReference {
                api_version: json_str(o.get("apiVersion")),
                kind: json_str(o.get("kind")),
                name: json_str(o.get("name")),
                uid: json_str(o.get("uid")),
                controller: o.get("controller").and_then(Json::as_bool),
                block_owner_deletion: o.get("blockOwnerDeletion").and_then(Json::as_bool),
            })
            .collect(),
        _ => Vec::new(),
    };
    let finalizers = match md.get("finalizers") {
        Some(Json::Array(a)) => a.iter().map(|v| json_str(Some(v))).collect(),
        _ => Vec::new(),
    };
    let managed = match md.get("managedFields") {
        Some(Json::Array(a)) => a
            .iter()
            .map(|e| ManagedField {
                manager: json_str(e.get("manager")),
                operation: json_str(e.get("operation")),
                api_version: json_str(e.get("apiVersion")),
                time: json_time(e.get("time")),
                subresource: json_str(e.get("subresource")),
                fields_bytes: e.get("fieldsV1").map(|f| f.to_string().len()).unwrap_or(0),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ObjectMeta {
        name: json_str(md.get("name")),
        generate_name: json_str(md.get("generateName")),
        namespace: json_str(md.get("namespace")),
        self_link: json_str(md.get("selfLink")),
        uid: json_str(md.get("uid")),
        resource_version: json_str(md.get("resourceVersion")),
        generation: md.get("generation").and_then(Json::as_i64),
        creation_timestamp: json_time(md.get("creationTimestamp")),
        deletion_timestamp: json_time(md.get("deletionTimestamp")),
        deletion_grace_period_seconds: md.get("deletionGracePeriodSeconds").and_then(Json::as_i64),
        labels: json_map(md.get("labels")),
        annotations: json_map(md.get("annotations")),
        owner_references: owners,
        finalizers,
        managed_fields: managed,
        cluster_name: json_str(md.get("clusterName")),
        other: Message::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![((n << 3) | 2) as u8, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn object_meta_by_field_number() {
        let mut b = Vec::new();
        b.extend(field(1, b"pi-dqtsw"));
        b.extend(field(2, b"pi-"));
        b.extend(field(3, b"default"));
        b.extend(field(5, b"a4adc7ca"));
        b.extend_from_slice(&[0x38, 3]); // generation 3
        let mut t = vec![0x08];
        crate::k8s::envelope::put_varint(&mut t, 1_498_581_334);
        b.extend(field(8, &t));
        let mut label = field(1, b"job-name");
        label.extend(field(2, b"pi"));
        b.extend(field(11, &label));
        let mut owner = field(1, b"Job");
        owner.extend(field(3, b"pi"));
        owner.extend(field(4, b"uid-1"));
        owner.extend(field(5, b"batch/v1"));
        owner.extend_from_slice(&[0x30, 1, 0x38, 1]);
        b.extend(field(13, &owner));
        b.extend(field(14, b"foregroundDeletion"));
        b.extend_from_slice(&[0xa8, 0x01, 9]); // 21: varint 9 (unknown)
        let m = decode_object_meta(&b, 0).unwrap();
        assert_eq!(m.full_name(), "default/pi-dqtsw");
        assert_eq!(m.generate_name, "pi-");
        assert_eq!(m.uid, "a4adc7ca");
        assert_eq!(m.generation, Some(3));
        assert_eq!(
            m.creation_timestamp.as_deref(),
            Some("2017-06-27T16:35:34Z")
        );
        assert_eq!(m.labels.get("job-name").map(String::as_str), Some("pi"));
        assert_eq!(m.owner_references[0].api_version, "batch/v1");
        assert_eq!(m.owner_references[0].controller, Some(true));
        assert_eq!(m.finalizers, vec!["foregroundDeletion".to_string()]);
        assert_eq!(m.other.get(21), Some(&Node::Varint(9)));
    }

    #[test]
    fn time_out_of_range_is_shown_raw() {
        // seconds = huge
        let b = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert!(decode_time(&b, 0).unwrap().starts_with("seconds="));
        // nanos are dropped, like the apiserver's JSON
        let b = [0x08, 1, 0x10, 5];
        assert_eq!(decode_time(&b, 0).unwrap(), "1970-01-01T00:00:01Z");
        // nanos >= 1e9
        let b = [0x08, 1, 0x10, 0x80, 0x94, 0xeb, 0xdc, 0x03];
        assert!(decode_time(&b, 0).unwrap().contains("nanos="));
    }

    #[test]
    fn malformed_known_field_is_an_error() {
        // 8 (creationTimestamp) holding a truncated message
        let b = field(8, &[0x08]);
        assert!(decode_object_meta(&b, 0).is_err());
    }

    #[test]
    fn from_json() {
        let v: Json = serde_json::from_str(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"ns",
            "uid":"u","creationTimestamp":"2017-06-27T16:35:34Z","labels":{"x":"y"},
            "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"pi","uid":"j","controller":true}],
            "generation":2}}"#,
        )
        .unwrap();
        let t = type_meta_from_json(&v).unwrap();
        assert_eq!((t.api_version.as_str(), t.kind.as_str()), ("v1", "Pod"));
        let m = object_meta_from_json(&v).unwrap();
        assert_eq!(m.full_name(), "ns/a");
        assert_eq!(
            m.creation_timestamp.as_deref(),
            Some("2017-06-27T16:35:34Z")
        );
        assert_eq!(m.generation, Some(2));
        assert_eq!(m.owner_references[0].kind, "Job");
        assert!(type_meta_from_json(&serde_json::json!({"a": 1})).is_none());
        assert!(object_meta_from_json(&serde_json::json!({"metadata": 1})).is_none());
    }
}

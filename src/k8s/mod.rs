//! k8s: decoding of the values Kubernetes stores in etcd, with no
//! compiled-in Kubernetes schema.
//!
//! [`decode_value`] recognises, in this order:
//! - the `k8s\0` protobuf envelope ([`envelope`]): apiVersion and kind,
//!   the object's ObjectMeta by field number ([`meta`]), the rest as a
//!   generic field tree ([`tree`]);
//! - values encrypted at rest, `k8s:enc:<provider>:<version>:<key>:`
//!   ([`encryption`]): provider, key name, KMS v2 key id;
//! - CBOR (self-described tag `d9 d9 f7`, [`cbor`]);
//! - JSON (custom resources, older clusters): pretty-printed, with
//!   apiVersion/kind/metadata picked out;
//! - plain text;
//! - anything else: a hex/ASCII dump ([`dump`]).
//!
//! Values of Secrets (key under `/registry/secrets/`, or an object of kind
//! `v1 Secret` wherever it is) become `<redacted: N bytes>` unless the
//! caller asks for them. No input makes any of this panic; damaged values
//! decode as far as they go and say where they broke.
//!
//! [`key`] parses `/registry/...` keys into group, resource, namespace and
//! name.

pub mod cbor;
pub mod day2;
pub mod direct_yaml;
pub mod dump;
pub mod encode;
pub mod encryption;
pub mod envelope;
pub mod key;
pub mod meta;
pub mod printers;
pub mod render;
pub mod resources;
pub mod schema;
pub mod selector;
pub mod source;
pub mod state;
pub mod tree;
pub mod value;
pub mod wire;
pub mod yaml;

use serde::Serialize;
use serde_json::Value as Json;

pub use encryption::Encrypted;
pub use envelope::ProtoObject;
pub use key::{RegistryKey, display_key, is_secret_key};
pub use meta::{ObjectMeta, TypeMeta};
pub use value::ApiValue;

/// Why bytes could not be read as what they claimed to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated at offset {offset}: {what} cut short")]
    Truncated { offset: usize, what: &'static str },
    #[error("bad varint at offset {offset} (over 10 bytes or over 64 bits)")]
    BadVarint { offset: usize },
    #[error("invalid field number {number} at offset {offset}")]
    BadFieldNumber { offset: usize, number: u64 },
    #[error("unsupported protobuf wire type {wire} at offset {offset}")]
    BadWireType { offset: usize, wire: u8 },
    #[error(
        "field {field} at offset {offset}: length {claimed} runs past the end ({left} bytes left)"
    )]
    LengthPastEnd {
        offset: usize,
        field: u32,
        claimed: u64,
        left: usize,
    },
    #[error("CBOR at offset {offset}: {message}")]
    Cbor {
        offset: usize,
        message: &'static str,
    },
}

impl DecodeError {
    /// The same error with its offset moved by `base`.
    pub fn shifted(self, base: usize) -> Self {
        use DecodeError::*;
        match self {
            Truncated { offset, what } => Truncated {
                offset: offset + base,
                what,
            },
            BadVarint { offset } => BadVarint {
                offset: offset + base,
            },
            BadFieldNumber { offset, number } => BadFieldNumber {
                offset: offset + base,
                number,
            },
            BadWireType { offset, wire } => BadWireType {
                offset: offset + base,
                wire,
            },
            LengthPastEnd {
                offset,
                field,
                claimed,
                left,
            } => LengthPastEnd {
                offset: offset + base,
                field,
                claimed,
                left,
            },
            Cbor { offset, message } => Cbor {
                offset: offset + base,
                message,
            },
        }
    }
}

/// Seconds and nanoseconds since 1970 as RFC 3339 UTC
/// (`2017-06-27T16:35:34Z`); `None` outside years 0-9999.
pub fn format_unix_time(secs: i64, nanos: u32) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .replace_nanosecond(nanos)
        .ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// How to decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Decode Secrets instead of redacting them.
    pub show_secrets: bool,
    /// Most bytes a hex dump shows.
    pub dump_limit: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            show_secrets: false,
            dump_limit: 1024,
        }
    }
}

/// A JSON or CBOR object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonObject {
    /// JSON: the stored text re-indented, keys in their stored order
    /// (`object` has them sorted).
    #[serde(skip)]
    pub pretty: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub type_meta: Option<TypeMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectMeta>,
    pub object: Json,
    /// CBOR: bytes after the first item, or a decode error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A decoded value. In JSON, `format` names the variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum Decoded {
    Empty,
    /// A Secret's value, not shown.
    Redacted {
        bytes: usize,
        /// The encryption-at-rest facts, which are no secret.
        #[serde(skip_serializing_if = "Option::is_none")]
        encrypted: Option<Encrypted>,
    },
    Protobuf(ProtoObject),
    Json(JsonObject),
    Cbor(JsonObject),
    Encrypted(Encrypted),
    Text {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Binary {
        bytes: usize,
        /// The first `dump_limit` bytes, hex.
        hex: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(skip)]
        dump: Vec<String>,
    },
}

/// Decodes a stored value. `key`, when known, is used to spot Secrets.
pub fn decode_value(key: Option<&[u8]>, value: &[u8], opts: &DecodeOptions) -> Decoded {
    let decoded = decode_format(value, opts);
    if opts.show_secrets {
        return decoded;
    }
    // A Secret decoded with the schema shows everything but its values,
    // which the renderer has already replaced by `<redacted: N bytes>`.
    if let Decoded::Protobuf(p) = &decoded
        && p.object.is_some()
        && p.type_meta.api_version == "v1"
        && p.type_meta.kind == "Secret"
    {
        return decoded;
    }
    let secret_key = key.is_some_and(is_secret_key);
    let secret_type = decoded
        .type_meta()
        .is_some_and(|t| t.kind == "Secret" && t.api_version == "v1");
    if secret_key || secret_type {
        let encrypted = match decoded {
            Decoded::Encrypted(e) => Some(e),
            _ => None,
        };
        return Decoded::Redacted {
            bytes: value.len(),
            encrypted,
        };
    }
    decoded
}

fn decode_format(value: &[u8], opts: &DecodeOptions) -> Decoded {
    if value.is_empty() {
        return Decoded::Empty;
    }
    if value.starts_with(envelope::MAGIC) {
        let r = render::RenderOptions {
            show_secrets: opts.show_secrets,
        };
        return Decoded::Protobuf(envelope::decode_with(value, &r));
    }
    if value.starts_with(encryption::PREFIX) {
        return Decoded::Encrypted(encryption::decode(value));
    }
    if value.starts_with(cbor::SELF_DESCRIBED) {
        return match cbor::decode(value) {
            Ok((object, used)) => Decoded::Cbor(JsonObject {
                pretty: None,
                type_meta: meta::type_meta_from_json(&object),
                metadata: meta::object_meta_from_json(&object),
                object,
                error: (used < value.len())
                    .then(|| format!("{} bytes after the CBOR item", value.len() - used)),
            }),
            Err(e) => binary(
                value,
                opts,
                Some(format!("CBOR (self-described tag) but {e}")),
            ),
        };
    }
    let first = value.iter().find(|b| !b.is_ascii_whitespace());
    let mut json_error = None;
    if matches!(first, Some(b'{') | Some(b'[')) {
        match serde_json::from_slice::<Json>(value) {
            Ok(object) => {
                return Decoded::Json(JsonObject {
                    pretty: Some(pretty_json(value)),
                    type_meta: meta::type_meta_from_json(&object),
                    metadata: meta::object_meta_from_json(&object),
                    object,
                    error: None,
                });
            }
            Err(e) => json_error = Some(format!("looks like JSON but is not valid: {e}")),
        }
    }
    if let Ok(s) = std::str::from_utf8(value)
        && s.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    {
        return Decoded::Text {
            text: s.to_string(),
            note: json_error,
        };
    }
    binary(value, opts, json_error)
}

/// Re-indents JSON text (already known to be valid) two spaces per level,
/// keeping the stored key order; `{}` and `[]` stay on one line.
pub fn pretty_json(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth: usize = 0;
    let mut in_str = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    let next_solid = |from: usize| chars[from..].iter().find(|c| !c.is_whitespace()).copied();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if next_solid(i + 1) != Some(close) {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                let open = if c == '}' { '{' } else { '[' };
                if out.trim_end().ends_with(open) {
                    while out.ends_with(char::is_whitespace) {
                        out.pop();
                    }
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

fn binary(value: &[u8], opts: &DecodeOptions, note: Option<String>) -> Decoded {
    let shown = &value[..value.len().min(opts.dump_limit)];
    Decoded::Binary {
        bytes: value.len(),
        hex: hex::encode(shown),
        note,
        dump: dump::hex_dump(value, opts.dump_limit),
    }
}

impl Decoded {
    /// The JSON form (what `-o json` prints under `value`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
    }

    /// apiVersion and kind, when the value says.
    pub fn type_meta(&self) -> Option<&TypeMeta> {
        match self {
            Decoded::Protobuf(p) => Some(&p.type_meta),
            Decoded::Json(j) | Decoded::Cbor(j) => j.type_meta.as_ref(),
            _ => None,
        }
    }

    /// The whole object in kubectl's JSON shape, when the schema knows
    /// its kind (protobuf) or it is stored as JSON.
    pub fn object(&self) -> Option<ApiValue> {
        match self {
            Decoded::Protobuf(p) => p.object.clone(),
            Decoded::Json(j) | Decoded::Cbor(j) if j.type_meta.is_some() => {
                Some(ApiValue::from_json(&j.object))
            }
            _ => None,
        }
    }

    /// [`Decoded::object`] without a copy: a protobuf object is moved out.
    pub fn take_object(&mut self) -> Option<ApiValue> {
        match self {
            Decoded::Protobuf(p) => p.object.take(),
            other => other.object(),
        }
    }

    /// The object's metadata, when decoded.
    pub fn metadata(&self) -> Option<&ObjectMeta> {
        match self {
            Decoded::Protobuf(p) => p.metadata.as_ref(),
            Decoded::Json(j) | Decoded::Cbor(j) => j.metadata.as_ref(),
            _ => None,
        }
    }

    /// One line: `v1 Pod default/pi-dqtsw (protobuf)`, `<redacted: 12
    /// bytes>`, `encrypted at rest: aescbc v1, key "key1", ...`.
    pub fn headline(&self) -> String {
        let object = |format: &str| {
            let mut parts = Vec::new();
            if let Some(t) = self.type_meta() {
                if !t.api_version.is_empty() {
                    parts.push(t.api_version.clone());
                }
                if !t.kind.is_empty() {
                    parts.push(t.kind.clone());
                }
            }
            if let Some(m) = self.metadata() {
                let n = m.full_name();
                if !n.is_empty() {
                    parts.push(n);
                }
            }
            if parts.is_empty() {
                format!("{format} value")
            } else {
                format!("{} ({format})", parts.join(" "))
            }
        };
        match self {
            Decoded::Empty => "empty value".into(),
            Decoded::Redacted { bytes, encrypted } => match encrypted {
                Some(e) => format!("<redacted: {bytes} bytes> ({})", e.summary()),
                None => format!("<redacted: {bytes} bytes>"),
            },
            Decoded::Protobuf(_) => object("protobuf"),
            Decoded::Json(_) => object("JSON"),
            Decoded::Cbor(_) => object("CBOR"),
            Decoded::Encrypted(e) => e.summary(),
            Decoded::Text { text, .. } => format!("text, {} bytes", text.len()),
            Decoded::Binary { bytes, .. } => {
                format!("binary, {bytes} bytes (not a format kinspect knows)")
            }
        }
    }

    /// Everything, as lines for people: the headline, then details.
    pub fn render(&self) -> Vec<String> {
        let mut out = vec![self.headline()];
        match self {
            Decoded::Empty | Decoded::Redacted { .. } | Decoded::Encrypted(_) => {}
            Decoded::Protobuf(p) => {
                // Envelope problems first (the tree shows its own).
                if let Some(e) = &p.error
                    && p.fields.error.as_ref().map(|f| format!("object: {f}")) != Some(e.clone())
                {
                    out.push(format!("!! {e}"));
                }
                if let Some(object) = &p.object {
                    // The envelope's error is already out (above).
                    for problem in p
                        .object_problems()
                        .into_iter()
                        .skip(usize::from(p.error.is_some()))
                    {
                        out.push(format!("!! {problem}"));
                    }
                    for u in &p.unknown_fields {
                        out.push(format!("# {u}"));
                    }
                    out.extend(yaml::to_yaml(object).lines().map(str::to_string));
                    return out;
                }
                if let Some(m) = &p.metadata {
                    render_meta(m, &mut out);
                }
                if !p.content_type.is_empty() || !p.content_encoding.is_empty() {
                    out.push(format!(
                        "envelope: contentType {:?} contentEncoding {:?}",
                        p.content_type, p.content_encoding
                    ));
                }
                if !p.fields.fields.is_empty() {
                    out.push(format!(
                        "object fields (no schema: protobuf field numbers; {} bytes):",
                        p.raw_bytes
                    ));
                    p.fields.render("  ", &mut out);
                } else if let Some(e) = &p.fields.error {
                    out.push(format!("!! {e}"));
                }
            }
            Decoded::Json(j) | Decoded::Cbor(j) => {
                if let Some(m) = &j.metadata {
                    render_meta(m, &mut out);
                }
                if let Some(e) = &j.error {
                    out.push(format!("!! {e}"));
                }
                let pretty = match &j.pretty {
                    Some(p) => p.clone(),
                    None => serde_json::to_string_pretty(&j.object).unwrap_or_default(),
                };
                out.extend(pretty.lines().map(str::to_string));
            }
            Decoded::Text { text, note } => {
                if let Some(n) = note {
                    out.push(format!("!! {n}"));
                }
                out.extend(text.lines().map(str::to_string));
            }
            Decoded::Binary { note, dump, .. } => {
                if let Some(n) = note {
                    out.push(format!("!! {n}"));
                }
                out.extend(dump.iter().cloned());
            }
        }
        out
    }
}

/// Longest annotation value shown in full in human output.
const MAX_ANNOTATION: usize = 300;

fn shown_value(v: &str) -> String {
    let cut = if v.len() > MAX_ANNOTATION {
        let mut end = MAX_ANNOTATION;
        while !v.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &v[..end], v.len())
    } else {
        v.to_string()
    };
    if cut.chars().any(char::is_control) {
        tree::quote(&cut)
    } else {
        cut
    }
}

fn render_meta(m: &ObjectMeta, out: &mut Vec<String>) {
    let mut kv = |k: &str, v: &str| {
        if !v.is_empty() {
            out.push(format!("{:<19}{}", format!("{k}:"), v));
        }
    };
    kv("uid", &m.uid);
    kv("generateName", &m.generate_name);
    kv("selfLink", &m.self_link);
    kv("resourceVersion", &m.resource_version);
    kv(
        "generation",
        &m.generation.map(|g| g.to_string()).unwrap_or_default(),
    );
    kv(
        "creationTimestamp",
        m.creation_timestamp.as_deref().unwrap_or(""),
    );
    kv(
        "deletionTimestamp",
        m.deletion_timestamp.as_deref().unwrap_or(""),
    );
    kv(
        "deletionGracePeriodSeconds",
        &m.deletion_grace_period_seconds
            .map(|g| g.to_string())
            .unwrap_or_default(),
    );
    kv("finalizers", &m.finalizers.join(", "));
    kv("clusterName", &m.cluster_name);
    if !m.labels.is_empty() {
        out.push("labels:".into());
        for (k, v) in &m.labels {
            out.push(format!("  {k}: {}", shown_value(v)));
        }
    }
    if !m.annotations.is_empty() {
        out.push("annotations:".into());
        for (k, v) in &m.annotations {
            out.push(format!("  {k}: {}", shown_value(v)));
        }
    }
    if !m.owner_references.is_empty() {
        out.push("ownerReferences:".into());
        for o in &m.owner_references {
            let mut s = format!("  {} {} {} uid={}", o.api_version, o.kind, o.name, o.uid);
            if o.controller == Some(true) {
                s.push_str(" controller");
            }
            if o.block_owner_deletion == Some(true) {
                s.push_str(" blockOwnerDeletion");
            }
            out.push(s);
        }
    }
    if !m.managed_fields.is_empty() {
        out.push("managedFields:".into());
        for f in &m.managed_fields {
            let mut s = format!("  {} {} {}", f.manager, f.operation, f.api_version);
            if let Some(t) = &f.time {
                s.push(' ');
                s.push_str(t);
            }
            if !f.subresource.is_empty() {
                s.push_str(&format!(" subresource={}", f.subresource));
            }
            s.push_str(&format!(" ({} bytes of fields)", f.fields_bytes));
            out.push(s);
        }
    }
    if !m.other.fields.is_empty() {
        out.push("other metadata fields:".into());
        m.other.render("  ", out);
    }
}

#[cfg(test)]
mod tests {
    use super::envelope::{encode, put_len};
    use super::*;

    fn opts() -> DecodeOptions {
        DecodeOptions::default()
    }

    fn secret_value() -> Vec<u8> {
        let mut meta = Vec::new();
        put_len(&mut meta, 1, b"db-pass");
        put_len(&mut meta, 3, b"default");
        let mut data = Vec::new();
        put_len(&mut data, 1, b"password");
        put_len(&mut data, 2, b"hunter2");
        let mut raw = Vec::new();
        put_len(&mut raw, 1, &meta);
        put_len(&mut raw, 2, &data);
        encode("v1", "Secret", &raw)
    }

    #[test]
    fn formats() {
        assert_eq!(decode_value(None, b"", &opts()), Decoded::Empty);
        let d = decode_value(
            None,
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}"#,
            &opts(),
        );
        assert_eq!(d.headline(), "v1 ConfigMap n/c (JSON)");
        let d = decode_value(None, b"[1, 2]", &opts());
        assert_eq!(d.headline(), "JSON value");
        let d = decode_value(None, b"hello\n", &opts());
        assert_eq!(d.headline(), "text, 6 bytes");
        let d = decode_value(None, b"\x00\x01\x02", &opts());
        assert!(d.headline().starts_with("binary, 3 bytes"));
        assert!(d.render()[1].starts_with("00000000  00 01 02"));
        let d = decode_value(
            None,
            b"k8s:enc:aescbc:v1:key1:0123456789abcdef0123456789abcdef",
            &opts(),
        );
        assert!(matches!(d, Decoded::Encrypted(_)));
        assert!(d.headline().contains("key \"key1\""));
    }

    #[test]
    fn pretty_json_keeps_order() {
        let p = pretty_json(br#" {"kind":"Pod","apiVersion":"v1","a":[],"b":{},"s":"x,{\"y\":[1]}","n":[1,{"c":2}]}"#);
        assert_eq!(
            p,
            "{\n  \"kind\": \"Pod\",\n  \"apiVersion\": \"v1\",\n  \"a\": [],\n  \"b\": {},\n  \"s\": \"x,{\\\"y\\\":[1]}\",\n  \"n\": [\n    1,\n    {\n      \"c\": 2\n    }\n  ]\n}"
        );
    }

    #[test]
    fn broken_json_is_said() {
        let d = decode_value(None, br#"{"kind":"Pod","metadata":{"na"#, &opts());
        let r = d.render();
        assert!(
            r[1].starts_with("!! looks like JSON but is not valid"),
            "{r:?}"
        );
        let d = decode_value(None, b"{\x00\xff", &opts());
        assert!(matches!(d, Decoded::Binary { note: Some(_), .. }));
    }

    #[test]
    fn cbor_object() {
        // 55799({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}})
        let mut b = cbor::SELF_DESCRIBED.to_vec();
        b.push(0xa3);
        b.extend_from_slice(&[0x6a]);
        b.extend_from_slice(b"apiVersion");
        b.extend_from_slice(&[0x62, b'v', b'1', 0x64]);
        b.extend_from_slice(b"kind");
        b.extend_from_slice(&[0x63, b'P', b'o', b'd', 0x68]);
        b.extend_from_slice(b"metadata");
        b.extend_from_slice(&[0xa1, 0x64]);
        b.extend_from_slice(b"name");
        b.extend_from_slice(&[0x61, b'a']);
        let d = decode_value(None, &b, &opts());
        assert_eq!(d.headline(), "v1 Pod a (CBOR)");
        let mut bad = cbor::SELF_DESCRIBED.to_vec();
        bad.push(0xa3);
        let d = decode_value(None, &bad, &opts());
        assert!(matches!(d, Decoded::Binary { .. }));
        assert!(d.render()[1].contains("CBOR"));
    }

    #[test]
    fn secrets_are_redacted_by_key_and_by_type() {
        let v = secret_value();
        // A Secret of the schema: everything shown but its values.
        let d = decode_value(Some(b"/registry/secrets/default/db-pass"), &v, &opts());
        assert_eq!(d.headline(), "v1 Secret default/db-pass (protobuf)");
        let lines = d.render();
        assert!(
            lines
                .iter()
                .any(|l| l == "  password: '<redacted: 7 bytes>'"),
            "{lines:?}"
        );
        let object = serde_json::to_string(&d.object().unwrap()).unwrap();
        let json = serde_json::to_string(&d).unwrap() + &object;
        assert!(
            !json.contains("hunter2") && !json.contains("aHVudGVyMg"),
            "{json}"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("hunter2") || l.contains("aHVudGVyMg"))
        );
        // A Secret key whose value is not a schema object: all redacted.
        let d = decode_value(Some(b"/registry/secrets/default/x"), b"hunter2", &opts());
        assert!(matches!(d, Decoded::Redacted { bytes: 7, .. }));
        // shown when asked
        let show = DecodeOptions {
            show_secrets: true,
            ..opts()
        };
        let d = decode_value(Some(b"/registry/secrets/default/db-pass"), &v, &show);
        assert_eq!(d.headline(), "v1 Secret default/db-pass (protobuf)");
        assert!(d.render().iter().any(|l| l.contains("aHVudGVyMg==")));
        // encrypted secret: redacted, with the encryption facts
        let mut e = b"k8s:enc:aescbc:v1:key1:".to_vec();
        e.extend_from_slice(&[1; 48]);
        let d = decode_value(Some(b"/registry/secrets/default/db-pass"), &e, &opts());
        let h = d.headline();
        assert!(
            h.starts_with("<redacted: 71 bytes>") && h.contains("aescbc"),
            "{h}"
        );
    }

    #[test]
    fn json_shape() {
        let v = secret_value();
        let show = DecodeOptions {
            show_secrets: true,
            ..opts()
        };
        let d = decode_value(None, &v, &show);
        let j: Json = serde_json::to_value(&d).unwrap();
        assert_eq!(j["format"], "protobuf");
        assert_eq!(j["api_version"], "v1");
        assert_eq!(j["kind"], "Secret");
        assert_eq!(j["metadata"]["name"], "db-pass");
        assert_eq!(j["raw_bytes"], 41);
        let o = d.object().unwrap().to_json();
        assert_eq!(o["data"]["password"], "aHVudGVyMg==");
        let d = decode_value(None, b"\x01", &opts());
        let j: Json = serde_json::to_value(&d).unwrap();
        assert_eq!(j["format"], "binary");
        assert_eq!(j["hex"], "01");
    }

    #[test]
    fn times() {
        assert_eq!(
            format_unix_time(0, 0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            format_unix_time(1, 500_000_000).as_deref(),
            Some("1970-01-01T00:00:01.5Z")
        );
        assert_eq!(format_unix_time(i64::MAX, 0), None);
    }
}

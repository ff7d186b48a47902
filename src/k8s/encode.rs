//! Kubernetes objects in their JSON form (kubectl's `-o json|yaml`,
//! manifests) encoded as the apiserver stores them: protobuf by
//! [`crate::k8s::schema`], wrapped in the `k8s\0` envelope. The inverse
//! of [`crate::k8s::render`], so one typed model (k8s-pb, decoded from
//! these bytes) serves etcd, snapshots and files alike.
//!
//! Strict where a wrong guess would mislead (a quantity that does not
//! parse, a string where a number belongs: an error naming the path),
//! lenient where kubectl is (fields the schema does not have are listed
//! and skipped, as the apiserver's decoder drops unknown fields).

use base64::Engine as _;
use serde_json::Value as Json;

use super::envelope::{self, put_len, put_uint};
use super::schema::{self, Card, Field, Go, Scalar, Special, Ty};

/// Why an object could not be encoded; `path` is the JSON path
/// (`spec.containers[0].ports[1].containerPort`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EncodeError {
    pub path: String,
    pub message: String,
}

/// An encoded object.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub api_version: String,
    pub kind: String,
    /// The object's protobuf (`runtime.Unknown.raw`).
    pub raw: Vec<u8>,
    /// JSON fields the schema does not have (skipped), by path.
    pub unknown: Vec<String>,
}

impl Encoded {
    /// The value as an apiserver stores it in etcd.
    pub fn stored_value(&self) -> Vec<u8> {
        envelope::encode(&self.api_version, &self.kind, &self.raw)
    }
}

/// Encodes one object (it must have `apiVersion` and `kind`); `Ok(None)`
/// when its kind is not in the schema (a custom resource).
pub fn encode_object(object: &Json) -> Result<Option<Encoded>, EncodeError> {
    let field = |k: &str| object.get(k).and_then(Json::as_str).unwrap_or("");
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    if api_version.is_empty() || kind.is_empty() {
        return Err(EncodeError {
            path: String::new(),
            message: "not a Kubernetes object: apiVersion and kind are required".into(),
        });
    }
    let Some(index) = schema::message_for(api_version, kind) else {
        return Ok(None);
    };
    let mut enc = Encoder::default();
    let raw = enc.message(object, index, "", 0, true)?;
    Ok(Some(Encoded {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        raw,
        unknown: enc.unknown,
    }))
}

/// Encodes a JSON object as message `name` of the schema
/// (`api/core/v1.PodSpec`).
pub fn encode_message(name: &str, value: &Json) -> Result<Vec<u8>, EncodeError> {
    let index = schema::index_of(name).ok_or_else(|| EncodeError {
        path: String::new(),
        message: format!("no message {name} in the schema"),
    })?;
    Encoder::default().message(value, index, "", 0, false)
}

#[derive(Default)]
struct Encoder {
    unknown: Vec<String>,
}

fn err(path: &str, message: impl Into<String>) -> EncodeError {
    EncodeError {
        path: path.trim_start_matches('.').to_string(),
        message: message.into(),
    }
}

fn join(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

impl Encoder {
    fn message(
        &mut self,
        value: &Json,
        index: u16,
        path: &str,
        depth: u32,
        top: bool,
    ) -> Result<Vec<u8>, EncodeError> {
        if depth > super::render::MAX_DEPTH {
            return Err(err(path, "nested too deep"));
        }
        if let Some(sp) = schema::special(index) {
            return self.special(sp, value, path, depth);
        }
        let Json::Object(map) = value else {
            return Err(err(
                path,
                format!("expected an object, found {}", kind_of(value)),
            ));
        };
        let mut used = vec![false; map.len()];
        let out = self.fields(map, &mut used, index, path, depth)?;
        for (i, (k, _)) in map.iter().enumerate() {
            if !used[i] && !(top && (k == "apiVersion" || k == "kind")) {
                self.unknown
                    .push(join(path, k).trim_start_matches('.').to_string());
            }
        }
        Ok(out)
    }

    /// The fields of message `index` taken from `map` (inlined structs
    /// take their fields from the same map).
    fn fields(
        &mut self,
        map: &serde_json::Map<String, Json>,
        used: &mut [bool],
        index: u16,
        path: &str,
        depth: u32,
    ) -> Result<Vec<u8>, EncodeError> {
        let msg = schema::message(index);
        let mut fields: Vec<&Field> = msg.fields.iter().collect();
        fields.sort_by_key(|f| f.tag);
        let mut out = Vec::new();
        for f in fields {
            if f.go == Go::Inline {
                if let Ty::Msg(child) = f.ty {
                    let bytes = self.fields(map, used, child, path, depth + 1)?;
                    put_len(&mut out, f.tag, &bytes);
                }
                continue;
            }
            let Some(pos) = map.keys().position(|k| k == f.json) else {
                continue;
            };
            used[pos] = true;
            let v = &map[f.json];
            let p = join(path, f.json);
            if v.is_null() {
                continue;
            }
            match f.card {
                Card::One => self.one(&mut out, f, v, &p, depth)?,
                Card::Rep => {
                    let Json::Array(items) = v else {
                        return Err(err(&p, format!("expected a list, found {}", kind_of(v))));
                    };
                    for (i, item) in items.iter().enumerate() {
                        self.one(&mut out, f, item, &format!("{p}[{i}]"), depth)?;
                    }
                }
                Card::Map => {
                    let Json::Object(m) = v else {
                        return Err(err(&p, format!("expected a map, found {}", kind_of(v))));
                    };
                    for (k, item) in m {
                        let mut entry = Vec::new();
                        put_len(&mut entry, 1, k.as_bytes());
                        let ip = join(&p, k);
                        // A nil value (Go writes a nil []byte as null): the
                        // entry carries the key alone.
                        if item.is_null() {
                            put_len(&mut out, f.tag, &entry);
                            continue;
                        }
                        match f.ty {
                            Ty::Scalar(s) => put_scalar(&mut entry, 2, s, item, &ip)?,
                            Ty::Msg(child) => {
                                let b = self.message(item, child, &ip, depth + 1, false)?;
                                put_len(&mut entry, 2, &b);
                            }
                        }
                        put_len(&mut out, f.tag, &entry);
                    }
                }
            }
        }
        Ok(out)
    }

    fn one(
        &mut self,
        out: &mut Vec<u8>,
        f: &Field,
        v: &Json,
        path: &str,
        depth: u32,
    ) -> Result<(), EncodeError> {
        match f.ty {
            Ty::Scalar(s) => put_scalar(out, f.tag, s, v, path),
            Ty::Msg(child) => {
                if v.is_null() {
                    return Ok(());
                }
                let b = self.message(v, child, path, depth + 1, false)?;
                put_len(out, f.tag, &b);
                Ok(())
            }
        }
    }

    fn special(
        &mut self,
        sp: Special,
        v: &Json,
        path: &str,
        depth: u32,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        let schema_props =
            schema::index_of("apiextensions_apiserver/pkg/apis/apiextensions/v1.JsonSchemaProps");
        match sp {
            Special::Time | Special::MicroTime => match v {
                Json::Null => {}
                Json::String(s) => {
                    let t = time::OffsetDateTime::parse(
                        s,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|e| err(path, format!("{s:?} is not an RFC 3339 time: {e}")))?;
                    put_uint(&mut out, 1, t.unix_timestamp() as u64);
                    if sp == Special::MicroTime && t.nanosecond() != 0 {
                        put_uint(&mut out, 2, u64::from(t.nanosecond() / 1000 * 1000));
                    }
                }
                other => {
                    return Err(err(
                        path,
                        format!("expected a time, found {}", kind_of(other)),
                    ));
                }
            },
            Special::Duration => {
                let s = v
                    .as_str()
                    .ok_or_else(|| err(path, "expected a duration string like 1m30s"))?;
                let nanos = parse_go_duration(s)
                    .ok_or_else(|| err(path, format!("{s:?} is not a Go duration")))?;
                put_uint(&mut out, 1, nanos as u64);
            }
            Special::Quantity => {
                let s = match v {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    other => {
                        return Err(err(
                            path,
                            format!("expected a quantity, found {}", kind_of(other)),
                        ));
                    }
                };
                put_len(&mut out, 1, s.as_bytes());
            }
            Special::IntOrString => match v {
                Json::Number(n) => {
                    let i = n
                        .as_i64()
                        .and_then(|i| i32::try_from(i).ok())
                        .ok_or_else(|| err(path, format!("{n} is not a 32-bit integer")))?;
                    put_uint(&mut out, 1, 0);
                    put_uint(&mut out, 2, i as i64 as u64);
                }
                Json::String(s) => {
                    put_uint(&mut out, 1, 1);
                    put_len(&mut out, 3, s.as_bytes());
                }
                other => {
                    return Err(err(
                        path,
                        format!("expected an int or a string, found {}", kind_of(other)),
                    ));
                }
            },
            Special::RawJson => {
                if !v.is_null() {
                    let text = serde_json::to_vec(v).map_err(|e| err(path, e.to_string()))?;
                    put_len(&mut out, 1, &text);
                }
            }
            Special::SchemaOrArray => match (v, schema_props) {
                (Json::Array(items), Some(sp_i)) => {
                    for (i, item) in items.iter().enumerate() {
                        let b =
                            self.message(item, sp_i, &format!("{path}[{i}]"), depth + 1, false)?;
                        put_len(&mut out, 2, &b);
                    }
                }
                (Json::Object(_), Some(sp_i)) => {
                    let b = self.message(v, sp_i, path, depth + 1, false)?;
                    put_len(&mut out, 1, &b);
                }
                _ => {}
            },
            Special::SchemaOrBool => match (v, schema_props) {
                (Json::Bool(b), _) => put_uint(&mut out, 1, u64::from(*b)),
                (Json::Object(_), Some(sp_i)) => {
                    put_uint(&mut out, 1, 1);
                    let b = self.message(v, sp_i, path, depth + 1, false)?;
                    put_len(&mut out, 2, &b);
                }
                _ => {}
            },
            Special::SchemaOrStringArray => match (v, schema_props) {
                (Json::Array(items), _) => {
                    for item in items {
                        put_len(&mut out, 2, item.as_str().unwrap_or("").as_bytes());
                    }
                }
                (Json::Object(_), Some(sp_i)) => {
                    let b = self.message(v, sp_i, path, depth + 1, false)?;
                    put_len(&mut out, 1, &b);
                }
                _ => {}
            },
            Special::StringList => {
                if let Json::Array(items) = v {
                    for item in items {
                        put_len(&mut out, 1, item.as_str().unwrap_or("").as_bytes());
                    }
                }
            }
        }
        Ok(out)
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn put_scalar(
    out: &mut Vec<u8>,
    tag: u32,
    s: Scalar,
    v: &Json,
    path: &str,
) -> Result<(), EncodeError> {
    let bad = || err(path, format!("expected {s:?}, found {}", kind_of(v)));
    match s {
        Scalar::Str => put_len(out, tag, v.as_str().ok_or_else(bad)?.as_bytes()),
        Scalar::Bytes => {
            let text = v.as_str().ok_or_else(bad)?;
            let b = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| err(path, format!("not base64: {e}")))?;
            put_len(out, tag, &b);
        }
        Scalar::Bool => put_uint(out, tag, u64::from(v.as_bool().ok_or_else(bad)?)),
        Scalar::I32 => {
            let i = v
                .as_i64()
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(bad)?;
            put_uint(out, tag, i as i64 as u64);
        }
        Scalar::I64 => put_uint(out, tag, v.as_i64().ok_or_else(bad)? as u64),
        Scalar::U32 | Scalar::U64 => put_uint(out, tag, v.as_u64().ok_or_else(bad)?),
        Scalar::F64 => {
            let f = v.as_f64().ok_or_else(bad)?;
            envelope::put_varint(out, (u64::from(tag) << 3) | 1);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Scalar::F32 => {
            let f = v.as_f64().ok_or_else(bad)? as f32;
            envelope::put_varint(out, (u64::from(tag) << 3) | 5);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
    }
    Ok(())
}

/// Parses Go's duration syntax (`1h2m3.5s`, `150ms`, `-1.5h`) to
/// nanoseconds.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * unit;
    }
    let v = total.round();
    if v > i64::MAX as f64 {
        return None;
    }
    Some(if neg { -(v as i64) } else { v as i64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_go_duration("1h0m0s"), Some(3_600_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("150ms"), Some(150_000_000));
        assert_eq!(parse_go_duration("-2m"), Some(-120_000_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration("5x"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn errors_name_the_path() {
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": "eighty"}]}]}
        });
        let e = encode_object(&pod).unwrap_err();
        assert_eq!(e.path, "spec.containers[0].ports[0].containerPort");
    }

    /// Found by the k8s_render fuzz target: a Secret map entry without a
    /// value renders as `null` (Go's nil []byte) and must encode back.
    #[test]
    fn null_map_values_encode() {
        let s = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "data": {"": null, "a": "YQ=="}});
        let e = encode_object(&s).unwrap().unwrap();
        let r = crate::k8s::render::render_object(
            "v1",
            "Secret",
            &e.raw,
            0,
            &crate::k8s::render::RenderOptions { show_secrets: true },
        )
        .unwrap();
        assert_eq!(
            r.object.to_json()["data"],
            serde_json::json!({"": null, "a": "YQ=="})
        );
    }

    #[test]
    fn unknown_fields_are_listed() {
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "colour": "blue"},
            "spec": {"containers": []}
        });
        let e = encode_object(&pod).unwrap().unwrap();
        assert_eq!(e.unknown, vec!["metadata.colour".to_string()]);
        let crd = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget"});
        assert!(encode_object(&crd).unwrap().is_none());
    }
}

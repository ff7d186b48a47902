//! [`ApiValue`]: a Kubernetes object in its JSON form, as the apiserver
//! writes it — object keys in the Go struct's order (kubectl's `-o json`),
//! maps sorted by key (as Go writes maps). YAML output sorts every object
//! by key, as kubectl's does ([`crate::k8s::yaml`]).
//!
//! Kept apart from `serde_json::Value` because that sorts keys (this
//! crate does not enable `preserve_order`, and other output relies on it).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// One JSON value of an object.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Arr(Vec<ApiValue>),
    /// Keys in output order.
    Obj(Vec<(String, ApiValue)>),
}

impl ApiValue {
    /// An empty object.
    pub fn obj() -> ApiValue {
        ApiValue::Obj(Vec::new())
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&ApiValue> {
        match self {
            ApiValue::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` of an object, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut ApiValue> {
        match self {
            ApiValue::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ApiValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Follows a path of object keys.
    pub fn pointer(&self, path: &[&str]) -> Option<&ApiValue> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    /// Converts from serde_json (embedded raw JSON, kubectl's output).
    pub fn from_json(v: &serde_json::Value) -> ApiValue {
        use serde_json::Value as J;
        match v {
            J::Null => ApiValue::Null,
            J::Bool(b) => ApiValue::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    ApiValue::Int(i)
                } else if let Some(u) = n.as_u64() {
                    ApiValue::UInt(u)
                } else {
                    ApiValue::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            J::String(s) => ApiValue::Str(s.clone()),
            J::Array(a) => ApiValue::Arr(a.iter().map(ApiValue::from_json).collect()),
            J::Object(m) => ApiValue::Obj(
                m.iter()
                    .map(|(k, v)| (k.clone(), ApiValue::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to serde_json (keys sorted there).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for ApiValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ApiValue::Null => s.serialize_unit(),
            ApiValue::Bool(b) => s.serialize_bool(*b),
            ApiValue::Int(i) => s.serialize_i64(*i),
            ApiValue::UInt(u) => s.serialize_u64(*u),
            ApiValue::Float(f) => s.serialize_f64(*f),
            ApiValue::Str(t) => s.serialize_str(t),
            ApiValue::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            ApiValue::Obj(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

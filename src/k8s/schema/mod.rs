//! The schema of Kubernetes' built-in types: for every message k8s-pb
//! knows (Kubernetes 1.35), each field's protobuf tag and type, its JSON
//! name as the API spells it (`podIP`, `hostIPs`, `$ref`), and how Go's
//! encoding/json writes it (pointer, `omitempty`, `omitzero`, inlined).
//!
//! Why a table and not k8s-pb's structs: k8s-pb has no serde and no
//! descriptors, the JSON names cannot be derived from Rust names, and
//! kubectl's output depends on Go facts (a nil pointer is left out, a zero
//! `int32` with `omitempty` is left out, a non-pointer struct is always
//! written) that no Rust crate carries. `scripts/gen-k8s-schema` builds
//! [`table`] from k8s-pb's generated source (wire facts) and Kubernetes'
//! Go API types at the same release (JSON facts); `tests.rs` checks the
//! table against k8s-pb by decoding table-made messages with k8s-pb's own
//! types. The typed model ([`crate::k8s::state`]) uses k8s-pb directly.

#[rustfmt::skip]
mod table;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use table::GUESSED_FIELDS;

/// A protobuf scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Str,
    Bytes,
    Bool,
    I32,
    I64,
    U32,
    U64,
    F32,
    F64,
}

/// What a field holds: a scalar, or a message (index into [`messages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Scalar(Scalar),
    Msg(u16),
}

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    One,
    Rep,
    /// A map; its key type is [`Field::key`].
    Map,
}

/// How Go's encoding/json writes the field (from the Go struct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    /// No `omitempty`: always written (a nil slice or map as `null`).
    Always,
    /// `omitempty` on a value: left out when zero or empty (a struct is
    /// still written: omitempty does not apply to structs).
    OmitEmpty,
    /// `omitzero`: left out when zero, structs included.
    OmitZero,
    /// A pointer: written when set, even to a zero value.
    Pointer,
    /// An embedded struct without a JSON name: its fields are promoted
    /// into the enclosing object.
    Inline,
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub tag: u32,
    pub json: &'static str,
    pub ty: Ty,
    pub card: Card,
    pub key: Scalar,
    pub go: Go,
}

/// One message: `module.Name` as k8s-pb lays them out
/// (`api/core/v1.Pod`), fields in the Go struct's order.
#[derive(Debug)]
pub struct Message {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Message {
    /// The message's short name (`Pod`).
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('.').next().unwrap_or(self.name)
    }

    /// The module part (`api/core/v1`).
    pub fn module(&self) -> &'static str {
        self.name.split('.').next().unwrap_or("")
    }

    /// The field with protobuf tag `tag`, and its position.
    pub fn field(&self, tag: u32) -> Option<(usize, &'static Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.tag == tag)
    }

    /// The field with JSON name `json` (inlined fields not searched).
    pub fn field_by_json(&self, json: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.json == json)
    }
}

/// Every message.
pub fn messages() -> &'static [Message] {
    &table::MESSAGES
}

/// The message at `index`.
pub fn message(index: u16) -> &'static Message {
    &table::MESSAGES[usize::from(index)]
}

/// The index of a message by its full name (`api/core/v1.Pod`).
pub fn index_of(name: &str) -> Option<u16> {
    table::MESSAGES
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .and_then(|i| u16::try_from(i).ok())
}

/// The k8s-pb module of an API group (`apps` → `api/apps`,
/// `rbac.authorization.k8s.io` → `api/rbac`).
fn module_of_group(group: &str) -> Option<String> {
    let m = match group {
        "" | "core" => "api/core".to_string(),
        "apiextensions.k8s.io" => "apiextensions_apiserver/pkg/apis/apiextensions".into(),
        "apiregistration.k8s.io" => "kube_aggregator/pkg/apis/apiregistration".into(),
        "metrics.k8s.io" => "metrics/pkg/apis/metrics".into(),
        "custom.metrics.k8s.io" => "metrics/pkg/apis/custom_metrics".into(),
        "external.metrics.k8s.io" => "metrics/pkg/apis/external_metrics".into(),
        "rbac.authorization.k8s.io" => "api/rbac".into(),
        "flowcontrol.apiserver.k8s.io" => "api/flowcontrol".into(),
        "internal.apiserver.k8s.io" => "api/apiserverinternal".into(),
        g => {
            let first = g.split('.').next()?;
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_lowercase()) {
                return None;
            }
            format!("api/{first}")
        }
    };
    Some(m)
}

/// The message of a top-level object by its `apiVersion` and `kind`
/// (`apps/v1`, `Deployment`), or `None` for a kind k8s-pb does not know
/// (custom resources, newer kinds).
pub fn message_for(api_version: &str, kind: &str) -> Option<u16> {
    static BY_NAME: OnceLock<HashMap<String, u16>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut m = HashMap::new();
        for (i, msg) in table::MESSAGES.iter().enumerate() {
            if let Ok(i) = u16::try_from(i) {
                m.insert(msg.name.to_ascii_lowercase(), i);
            }
        }
        m
    });
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let module = module_of_group(group)?;
    // k8s-pb's names are prost's UpperCamelCase (`APIService` is
    // `ApiService`): compare without case.
    let name = format!("{module}/{version}.{kind}").to_ascii_lowercase();
    by_name.get(&name).copied()
}

/// Messages with a JSON form of their own (Go types with custom
/// MarshalJSON), rendered and parsed by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// metav1.Time: RFC 3339 seconds, zero is `null`.
    Time,
    /// metav1.MicroTime: RFC 3339 with microseconds.
    MicroTime,
    /// metav1.Duration: Go duration string.
    Duration,
    /// resource.Quantity (and QuantityValue): its string.
    Quantity,
    /// intstr.IntOrString: an int or a string.
    IntOrString,
    /// runtime.RawExtension, metav1.FieldsV1, apiextensions JSON: raw JSON.
    RawJson,
    /// JSONSchemaPropsOrArray: a schema or a list of schemas.
    SchemaOrArray,
    /// JSONSchemaPropsOrBool: a schema or a bool.
    SchemaOrBool,
    /// JSONSchemaPropsOrStringArray: a schema or a list of strings.
    SchemaOrStringArray,
    /// A message wrapping `repeated string items = 1` (metav1.Verbs,
    /// ExtraValue): a list of strings.
    StringList,
}

/// The special JSON form of message `index`, if it has one.
pub fn special(index: u16) -> Option<Special> {
    static SPECIALS: OnceLock<Vec<Option<Special>>> = OnceLock::new();
    let specials = SPECIALS.get_or_init(|| {
        table::MESSAGES
            .iter()
            .map(|m| special_of_name(m.name))
            .collect()
    });
    specials.get(usize::from(index)).copied().flatten()
}

fn special_of_name(name: &str) -> Option<Special> {
    let (module, short) = name.split_once('.')?;
    Some(match (module, short) {
        ("apimachinery/pkg/apis/meta/v1", "Time") => Special::Time,
        ("apimachinery/pkg/apis/meta/v1", "MicroTime") => Special::MicroTime,
        ("apimachinery/pkg/apis/meta/v1", "Duration") => Special::Duration,
        ("apimachinery/pkg/apis/meta/v1", "FieldsV1") => Special::RawJson,
        ("apimachinery/pkg/apis/meta/v1", "Verbs") => Special::StringList,
        ("apimachinery/pkg/api/resource", "Quantity" | "QuantityValue") => Special::Quantity,
        ("apimachinery/pkg/util/intstr", "IntOrString") => Special::IntOrString,
        ("apimachinery/pkg/runtime", "RawExtension") => Special::RawJson,
        (_, "ExtraValue") => Special::StringList,
        (m, "Json") if m.starts_with("apiextensions_apiserver/") => Special::RawJson,
        (m, "JsonSchemaPropsOrArray") if m.starts_with("apiextensions_apiserver/") => {
            Special::SchemaOrArray
        }
        (m, "JsonSchemaPropsOrBool") if m.starts_with("apiextensions_apiserver/") => {
            Special::SchemaOrBool
        }
        (m, "JsonSchemaPropsOrStringArray") if m.starts_with("apiextensions_apiserver/") => {
            Special::SchemaOrStringArray
        }
        _ => return None,
    })
}

//! What a `/registry/...` key names: API group, resource, namespace, name.
//!
//! Layouts the apiserver writes:
//! - `/registry/<resource>/<namespace>/<name>` (namespaced, core and most
//!   built-in groups, e.g. `/registry/pods/default/web-0`,
//!   `/registry/deployments/default/web`);
//! - `/registry/<resource>/<name>` (cluster-scoped, e.g.
//!   `/registry/namespaces/default`);
//! - `/registry/<group>/<resource>/...` for custom resources and some
//!   groups (a first segment with a dot: `apiregistration.k8s.io`,
//!   `apiextensions.k8s.io`, `cilium.io`, ...);
//! - historic oddities: `minions` (nodes), `services/specs` (services),
//!   `services/endpoints` (endpoints), `masterleases/<ip>` (apiserver
//!   endpoint leases), `ranges/serviceips` and `ranges/servicenodeports`
//!   (allocator bitmaps), `controllers` (replicationcontrollers).

use serde::Serialize;

/// The registry root Kubernetes uses by default (`--etcd-prefix`).
pub const REGISTRY: &str = "/registry";

/// A parsed registry key. `resource` is the name people use (`nodes` for
/// `minions`), `stored_as` the segment actually in the key when it differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryKey {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl RegistryKey {
    /// `group/resource`, or `resource` for the core group and built-ins.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.group, self.resource)
        }
    }
}

/// A parsed key, borrowing from it (no allocation; used per key when
/// counting). `resource` is the name people use, `stored_as` the segment
/// in the key when different.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef<'a> {
    pub group: &'a str,
    pub resource: &'a str,
    pub stored_as: Option<&'static str>,
    pub namespace: Option<&'a str>,
    /// Everything after the namespace (names cannot hold `/`, so this is
    /// one segment for keys the apiserver writes).
    pub name: Option<&'a str>,
}

/// JSON: `group` (when not core), `resource`, `stored_as`, `namespace`,
/// `name` (when present).
impl Serialize for KeyRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if !self.group.is_empty() {
            m.serialize_entry("group", self.group)?;
        }
        m.serialize_entry("resource", self.resource)?;
        if let Some(s) = self.stored_as {
            m.serialize_entry("stored_as", s)?;
        }
        if let Some(ns) = self.namespace {
            m.serialize_entry("namespace", ns)?;
        }
        if let Some(n) = self.name {
            m.serialize_entry("name", n)?;
        }
        m.end()
    }
}

fn split1(s: &str) -> (&str, Option<&str>) {
    // A byte search: `/` is ASCII, so its index is a char boundary, and
    // `str::find(char)` costs a memcmp call per match on hot paths
    // (`etcd keys --db` parses every stored key).
    match s.bytes().position(|b| b == b'/') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Parses a key under `/registry/` without allocating. `None` for keys
/// elsewhere, for `/registry` and `/registry/` themselves, and for keys
/// that are not UTF-8.
pub fn parse_ref(key: &[u8]) -> Option<KeyRef<'_>> {
    let key = std::str::from_utf8(key).ok()?;
    let rest = key.strip_prefix(REGISTRY)?.strip_prefix('/')?;
    let (first, after) = split1(rest);
    if first.is_empty() {
        return None;
    }
    let (group, resource, stored_as, tail) = match (first, after.map(split1)) {
        ("services", Some(("specs", t))) => ("", "services", Some("services/specs"), t),
        ("services", Some(("endpoints", t))) => ("", "endpoints", Some("services/endpoints"), t),
        ("minions", _) => ("", "nodes", Some("minions"), after),
        ("controllers", _) => ("", "replicationcontrollers", Some("controllers"), after),
        (g, Some((r, t))) if g.contains('.') && !r.is_empty() => (g, r, None, t),
        (r, _) => ("", r, None, after),
    };
    let (namespace, name) = match tail.map(split1) {
        None => (None, None),
        Some((name, None)) => (None, Some(name)),
        Some((ns, Some(name))) => (Some(ns), Some(name)),
    };
    Some(KeyRef {
        group,
        resource,
        stored_as,
        namespace,
        name,
    })
}

/// Parses a key under `/registry/` (see [`parse_ref`]).
pub fn parse(key: &[u8]) -> Option<RegistryKey> {
    let k = parse_ref(key)?;
    Some(RegistryKey {
        group: k.group.to_string(),
        resource: k.resource.to_string(),
        stored_as: k.stored_as.map(str::to_string),
        namespace: k.namespace.map(str::to_string),
        name: k.name.map(str::to_string),
    })
}

/// True for keys whose values are Secrets (shown redacted by default).
pub fn is_secret_key(key: &[u8]) -> bool {
    key.starts_with(b"/registry/secrets/")
}

/// The first key after every key that starts with `prefix` (etcd's
/// `range_end` for a prefix): the prefix with its last byte below 0xff
/// incremented and what follows dropped; `\0` (to the end of the key
/// space) when there is none.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(&last) = end.last() {
        if last < 0xff {
            if let Some(b) = end.last_mut() {
                *b = last + 1;
            }
            return end;
        }
        end.pop();
    }
    vec![0]
}

/// A key for display: UTF-8 as is, control characters and other bytes as
/// `\xNN` ([`crate::view::text::escape_bytes`], shared by every view).
pub fn display_key(key: &[u8]) -> String {
    crate::view::text::escape_bytes(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str) -> RegistryKey {
        parse(k.as_bytes()).unwrap_or_else(|| panic!("{k} should parse"))
    }

    #[test]
    fn namespaced_and_cluster_scoped() {
        let k = p("/registry/pods/default/pi-dqtsw");
        assert_eq!(k.group_resource(), "pods");
        assert_eq!(k.namespace.as_deref(), Some("default"));
        assert_eq!(k.name.as_deref(), Some("pi-dqtsw"));
        let k = p("/registry/namespaces/kube-system");
        assert_eq!(k.namespace, None);
        assert_eq!(k.name.as_deref(), Some("kube-system"));
        let k = p("/registry/jobs/default/pi");
        assert_eq!((k.resource.as_str(), k.group.as_str()), ("jobs", ""));
    }

    #[test]
    fn groups() {
        let k = p("/registry/apiregistration.k8s.io/apiservices/v1.apps");
        assert_eq!(k.group_resource(), "apiregistration.k8s.io/apiservices");
        assert_eq!(k.namespace, None);
        assert_eq!(k.name.as_deref(), Some("v1.apps"));
        let k = p("/registry/cilium.io/ciliumnetworkpolicies/prod/allow-dns");
        assert_eq!(k.group, "cilium.io");
        assert_eq!(k.namespace.as_deref(), Some("prod"));
        // a group with nothing after it is taken as a resource name
        let k = p("/registry/example.com");
        assert_eq!(k.resource, "example.com");
    }

    #[test]
    fn oddities() {
        let k = p("/registry/minions/node-1");
        assert_eq!(k.resource, "nodes");
        assert_eq!(k.stored_as.as_deref(), Some("minions"));
        assert_eq!(k.name.as_deref(), Some("node-1"));
        let k = p("/registry/services/specs/default/kubernetes");
        assert_eq!(k.resource, "services");
        assert_eq!(k.namespace.as_deref(), Some("default"));
        assert_eq!(k.name.as_deref(), Some("kubernetes"));
        let k = p("/registry/services/endpoints/default/kubernetes");
        assert_eq!(k.resource, "endpoints");
        assert_eq!(k.stored_as.as_deref(), Some("services/endpoints"));
        let k = p("/registry/masterleases/10.0.0.1");
        assert_eq!(
            (k.resource.as_str(), k.name.as_deref()),
            ("masterleases", Some("10.0.0.1"))
        );
        assert_eq!(k.namespace, None);
        let k = p("/registry/ranges/serviceips");
        assert_eq!(
            (k.resource.as_str(), k.name.as_deref()),
            ("ranges", Some("serviceips"))
        );
        let k = p("/registry/controllers/default/rc");
        assert_eq!(k.resource, "replicationcontrollers");
        let k = p("/registry/pods");
        assert_eq!((k.resource.as_str(), k.name.as_deref()), ("pods", None));
    }

    #[test]
    fn not_registry() {
        assert!(parse(b"/registry").is_none());
        assert!(parse(b"/registry/").is_none());
        assert!(parse(b"/registryx/pods/a/b").is_none());
        assert!(parse(b"compact_rev_key").is_none());
        assert!(parse(b"/registry/\xff").is_none());
        assert!(is_secret_key(b"/registry/secrets/default/tok"));
        assert!(!is_secret_key(b"/registry/secretsx/a"));
    }

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"/registry"), b"/registrz".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
        assert_eq!(prefix_end(b""), vec![0]);
    }

    #[test]
    fn display() {
        assert_eq!(display_key(b"/a/\xff\n"), "/a/\\xff\\x0a");
    }
}

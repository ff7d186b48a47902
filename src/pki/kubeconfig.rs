//! kubeconfig files: clusters (server, CA), users (client certificate and
//! key) and contexts, in both forms — embedded (`certificate-authority-data`,
//! `client-certificate-data`, `client-key-data`, base64) and paths
//! (`certificate-authority`, `client-certificate`, `client-key`), which
//! resolve relative to the kubeconfig's directory, or under the node root
//! when they are absolute. Key bytes are kept only to compare with the
//! certificate; `Debug` never shows them.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

use super::load::{self, Contents};
use super::node::NodeRoot;

/// Why a kubeconfig could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error(transparent)]
    Load(#[from] load::LoadError),
    #[error("{}: not a kubeconfig: {why}", path.display())]
    Yaml { path: PathBuf, why: String },
}

/// Certificate or key material named by a kubeconfig.
#[derive(Clone)]
pub enum Material {
    /// Decoded from a `*-data` field.
    Data { field: &'static str, bytes: Vec<u8> },
    /// A file path as written, and where it is read on this machine.
    File {
        field: &'static str,
        written: String,
        path: PathBuf,
    },
    /// A `*-data` field that is not base64.
    Broken { field: &'static str, why: String },
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Data { field, bytes } => write!(f, "Data({field}, {} bytes)", bytes.len()),
            Material::File { field, written, .. } => write!(f, "File({field}: {written})"),
            Material::Broken { field, why } => write!(f, "Broken({field}: {why})"),
        }
    }
}

impl Material {
    pub fn field(&self) -> &'static str {
        match self {
            Material::Data { field, .. }
            | Material::File { field, .. }
            | Material::Broken { field, .. } => field,
        }
    }

    /// The raw bytes (a file read with the size and file-type checks of
    /// [`load::read_bytes`]); errors name the file as written.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Material::Data { bytes, .. } => Ok(bytes.clone()),
            Material::File { path, written, .. } => load::read_bytes(path).map_err(|e| match e {
                load::LoadError::Io { source, .. } => {
                    format!("{written}: {}", load::io_message(&source))
                }
                other => other.to_string(),
            }),
            Material::Broken { why, .. } => Err(why.clone()),
        }
    }

    /// Reads and parses the material (PEM/DER); file errors name the file.
    pub fn contents(&self) -> Result<Contents, String> {
        match self {
            Material::Data { bytes, .. } => Ok(load::parse(bytes)),
            Material::File { path, written, .. } => load::read_file(path).map_err(|e| match e {
                load::LoadError::Io { source, .. } => {
                    format!("{written}: {}", load::io_message(&source))
                }
                other => other.to_string(),
            }),
            Material::Broken { why, .. } => Err(why.clone()),
        }
    }
}

/// A cluster entry.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub server: Option<String>,
    pub ca: Option<Material>,
    pub insecure: bool,
    /// `tls-server-name`: the name to send as SNI and verify against.
    pub tls_server_name: Option<String>,
}

/// A user entry with client certificate credentials.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub cert: Option<Material>,
    pub key: Option<Material>,
    /// How the user authenticates when not (only) with a certificate:
    /// `token` (`token`, `tokenFile`) or `exec` (a credential plugin).
    pub other_auth: Option<&'static str>,
}

/// A context entry.
#[derive(Debug, Clone)]
pub struct Context {
    pub name: String,
    pub cluster: String,
    pub user: String,
}

/// A parsed kubeconfig.
#[derive(Debug, Clone)]
pub struct Kubeconfig {
    pub path: PathBuf,
    pub current_context: Option<String>,
    pub clusters: Vec<Cluster>,
    pub users: Vec<User>,
    pub contexts: Vec<Context>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawKubeconfig {
    kind: Option<String>,
    clusters: Option<Vec<RawNamed<RawCluster>>>,
    users: Option<Vec<RawNamed<RawUser>>>,
    contexts: Option<Vec<RawNamedContext>>,
    #[serde(rename = "current-context")]
    current_context: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNamed<T: Default> {
    name: String,
    #[serde(alias = "cluster")]
    user: T,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNamedContext {
    name: String,
    context: RawContext,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawContext {
    cluster: String,
    user: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCluster {
    server: Option<String>,
    #[serde(rename = "certificate-authority")]
    ca: Option<String>,
    #[serde(rename = "certificate-authority-data")]
    ca_data: Option<String>,
    #[serde(rename = "insecure-skip-tls-verify")]
    insecure: Option<bool>,
    #[serde(rename = "tls-server-name")]
    tls_server_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUser {
    #[serde(rename = "client-certificate")]
    cert: Option<String>,
    #[serde(rename = "client-certificate-data")]
    cert_data: Option<String>,
    #[serde(rename = "client-key")]
    key: Option<String>,
    #[serde(rename = "client-key-data")]
    key_data: Option<String>,
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    exec: Option<serde_norway::Value>,
}

/// True when the bytes look like a kubeconfig (worth a full parse).
pub fn looks_like_kubeconfig(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let has = |k: &str| text.lines().any(|l| l.trim_start().starts_with(k));
    (has("clusters:") || has("users:"))
        && (has("kind: Config") || has("current-context:") || has("contexts:"))
}

/// Decodes a `*-data` field: standard base64, whitespace ignored.
pub fn decode_data(field: &'static str, value: &str) -> Material {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    let lenient = base64::engine::general_purpose::STANDARD_NO_PAD;
    match engine.decode(&compact) {
        Ok(bytes) => Material::Data { field, bytes },
        Err(e) => match lenient.decode(compact.trim_end_matches('=')) {
            Ok(bytes) => Material::Data { field, bytes },
            // The strict decoder's complaint is the one to show.
            Err(_) => Material::Broken {
                field,
                why: format!("{field} is not valid base64 ({e})"),
            },
        },
    }
}

impl Kubeconfig {
    /// Reads a kubeconfig file.
    pub fn read(path: &Path, root: &NodeRoot) -> Result<Kubeconfig, KubeconfigError> {
        let bytes = load::read_bytes(path)?;
        Self::parse(&bytes, path, root)
    }

    /// Parses kubeconfig bytes that were read from `path`.
    pub fn parse(
        bytes: &[u8],
        path: &Path,
        root: &NodeRoot,
    ) -> Result<Kubeconfig, KubeconfigError> {
        let raw: RawKubeconfig =
            serde_norway::from_slice(bytes).map_err(|e| KubeconfigError::Yaml {
                path: path.to_path_buf(),
                why: e.to_string(),
            })?;
        if raw.clusters.is_none() && raw.users.is_none() {
            return Err(KubeconfigError::Yaml {
                path: path.to_path_buf(),
                why: format!(
                    "no clusters or users (kind: {})",
                    raw.kind.as_deref().unwrap_or("none")
                ),
            });
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let file = |field: &'static str, p: &str| {
            let pb = Path::new(p);
            let host = if pb.is_absolute() {
                root.path(pb)
            } else {
                root.resolve(&dir.join(pb))
            };
            Material::File {
                field,
                written: p.to_string(),
                path: host,
            }
        };
        let pick = |data: Option<String>, p: Option<String>, data_field, path_field| match (data, p)
        {
            (Some(d), _) if !d.trim().is_empty() => Some(decode_data(data_field, &d)),
            (_, Some(p)) if !p.trim().is_empty() => Some(file(path_field, p.trim())),
            _ => None,
        };
        let clusters = raw
            .clusters
            .unwrap_or_default()
            .into_iter()
            .map(|c| Cluster {
                name: c.name,
                server: c.user.server,
                insecure: c.user.insecure.unwrap_or(false),
                tls_server_name: c.user.tls_server_name.filter(|n| !n.is_empty()),
                ca: pick(
                    c.user.ca_data,
                    c.user.ca,
                    "certificate-authority-data",
                    "certificate-authority",
                ),
            })
            .collect();
        let users = raw
            .users
            .unwrap_or_default()
            .into_iter()
            .map(|u| User {
                other_auth: if u.user.token.is_some() || u.user.token_file.is_some() {
                    Some("token")
                } else if u.user.exec.is_some() {
                    Some("exec")
                } else {
                    None
                },
                name: u.name,
                cert: pick(
                    u.user.cert_data,
                    u.user.cert,
                    "client-certificate-data",
                    "client-certificate",
                ),
                key: pick(u.user.key_data, u.user.key, "client-key-data", "client-key"),
            })
            .collect();
        let contexts = raw
            .contexts
            .unwrap_or_default()
            .into_iter()
            .map(|c| Context {
                name: c.name,
                cluster: c.context.cluster,
                user: c.context.user,
            })
            .collect();
        Ok(Kubeconfig {
            path: path.to_path_buf(),
            current_context: raw.current_context,
            clusters,
            users,
            contexts,
        })
    }

    /// The cluster a user talks to: through the current context when it
    /// names this user, else the first context that does, else the only cluster.
    pub fn cluster_for_user(&self, user: &str) -> Option<&Cluster> {
        let by_ctx = |c: &Context| self.clusters.iter().find(|cl| cl.name == c.cluster);
        let current = self
            .current_context
            .as_deref()
            .and_then(|n| self.contexts.iter().find(|c| c.name == n && c.user == user));
        current
            .or_else(|| self.contexts.iter().find(|c| c.user == user))
            .and_then(by_ctx)
            .or_else(|| (self.clusters.len() == 1).then(|| &self.clusters[0]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_broken_base64() {
        let yaml = b"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://1.2.3.4:6443\n    certificate-authority-data: '%%%'\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user:\n    client-certificate: pki/a.crt\n    client-key-data: aGVsbG8=\n";
        assert!(looks_like_kubeconfig(yaml));
        let kc = Kubeconfig::parse(yaml, Path::new("/x/kc.conf"), &NodeRoot::host()).unwrap();
        let c = kc.cluster_for_user("u").unwrap();
        assert_eq!(c.server.as_deref(), Some("https://1.2.3.4:6443"));
        assert!(matches!(
            c.ca,
            Some(Material::Broken {
                field: "certificate-authority-data",
                ..
            })
        ));
        match &kc.users[0].cert {
            Some(Material::File { path, .. }) => assert_eq!(path, Path::new("/x/pki/a.crt")),
            other => panic!("{other:?}"),
        }
        let dbg = format!("{:?}", kc.users[0].key);
        assert!(dbg.contains("5 bytes") && !dbg.contains("hello"));
    }

    #[test]
    fn not_a_kubeconfig() {
        assert!(!looks_like_kubeconfig(
            b"kind: KubeletConfiguration\nrotateCertificates: true\n"
        ));
        assert!(
            Kubeconfig::parse(b"a: [", Path::new("k"), &NodeRoot::host())
                .unwrap_err()
                .to_string()
                .starts_with("k: not a kubeconfig")
        );
    }
}

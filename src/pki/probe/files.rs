//! Trust lists, client identities and kubeconfigs read for the probe.

use super::*;

pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, ProbeError> {
    crate::fsutil::read_regular_file(
        path,
        crate::fsutil::MAX_SMALL_FILE,
        "a certificate or key file",
    )
    .map_err(|e| match e {
        crate::fsutil::FileError::Io { path, source } => ProbeError::Read { path, source },
        other => ProbeError::BadFile {
            path: other.path().to_path_buf(),
            what: other.reason(),
        },
    })
}

/// Certificates from PEM (any number of blocks, junk around them) or DER.
pub(super) fn certs_from_bytes(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        match item {
            Ok(c) => out.push(c),
            Err(e) => return Err(format!("bad PEM: {e}")),
        }
    }
    if out.is_empty() {
        if bytes.first() == Some(&0x30) && crate::pki::CertInfo::from_der(bytes).is_ok() {
            out.push(CertificateDer::from(bytes.to_vec()));
        } else {
            return Err("no certificate found (expected PEM \"BEGIN CERTIFICATE\" blocks or one DER certificate)".into());
        }
    }
    Ok(out)
}

pub(super) fn key_from_bytes(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)".to_string()
        }
        other => format!("bad private key PEM: {other}"),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Kubeconfig {
    #[serde(default)]
    pub(super) clusters: Option<Vec<NamedCluster>>,
    #[serde(default)]
    pub(super) users: Option<Vec<NamedUser>>,
    #[serde(default)]
    pub(super) contexts: Option<Vec<NamedContext>>,
    #[serde(rename = "current-context", default)]
    pub(super) current_context: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NamedCluster {
    pub(super) name: String,
    #[serde(default)]
    pub(super) cluster: Option<KubeCluster>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KubeCluster {
    pub(super) server: Option<String>,
    #[serde(rename = "certificate-authority")]
    pub(super) ca: Option<String>,
    #[serde(rename = "certificate-authority-data")]
    pub(super) ca_data: Option<String>,
    #[serde(rename = "tls-server-name")]
    pub(super) tls_server_name: Option<String>,
    #[serde(rename = "insecure-skip-tls-verify", default)]
    pub(super) insecure: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct NamedUser {
    pub(super) name: String,
    #[serde(default)]
    pub(super) user: Option<KubeUser>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KubeUser {
    #[serde(rename = "client-certificate")]
    pub(super) cert: Option<String>,
    #[serde(rename = "client-certificate-data")]
    pub(super) cert_data: Option<String>,
    #[serde(rename = "client-key")]
    pub(super) key: Option<String>,
    #[serde(rename = "client-key-data")]
    pub(super) key_data: Option<String>,
    pub(super) token: Option<serde_norway::Value>,
    #[serde(rename = "tokenFile")]
    pub(super) token_file: Option<serde_norway::Value>,
    pub(super) exec: Option<serde_norway::Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NamedContext {
    pub(super) name: String,
    #[serde(default)]
    pub(super) context: Option<KubeContext>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KubeContext {
    pub(super) cluster: Option<String>,
    pub(super) user: Option<String>,
}

/// What a kubeconfig says about reaching its cluster.
#[derive(Debug)]
pub struct KubeconfigEndpoint {
    pub context: String,
    pub cluster: String,
    pub user: Option<String>,
    pub server: Target,
    /// `tls-server-name`.
    pub sni: Option<String>,
    pub trust: Option<Trust>,
    pub client: Option<ClientIdentity>,
    /// `insecure-skip-tls-verify`.
    pub insecure: bool,
    /// Remarks for the user (a token instead of a certificate, ...).
    pub notes: Vec<String>,
}

/// Reads server, CA and client identity from a kubeconfig, for `context`
/// or the current context. Paths inside are relative to the kubeconfig.
pub fn from_kubeconfig(
    path: &Path,
    context: Option<&str>,
) -> Result<KubeconfigEndpoint, ProbeError> {
    let bad = |what: String| ProbeError::BadFile {
        path: path.to_path_buf(),
        what,
    };
    let bytes = read_file(path)?;
    let text =
        String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text: not a kubeconfig".into()))?;
    let kc: Kubeconfig =
        serde_norway::from_str(&text).map_err(|e| bad(format!("not a kubeconfig: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let contexts = kc.contexts.unwrap_or_default();
    let wanted = match context {
        Some(c) => c.to_string(),
        None => match kc.current_context.filter(|c| !c.is_empty()) {
            Some(c) => c,
            None if contexts.len() == 1 => contexts[0].name.clone(),
            None => return Err(bad("no current-context (choose one with --context)".into())),
        },
    };
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let ctx = contexts.iter().find(|c| c.name == wanted).ok_or_else(|| {
        bad(format!(
            "context {wanted:?} not found (contexts: {})",
            names(contexts.iter().map(|c| c.name.as_str()).collect())
        ))
    })?;
    let ctx_body = ctx
        .context
        .as_ref()
        .ok_or_else(|| bad(format!("context {wanted:?} is empty")))?;
    let cluster_name = ctx_body
        .cluster
        .clone()
        .ok_or_else(|| bad(format!("context {wanted:?} names no cluster")))?;
    let clusters = kc.clusters.unwrap_or_default();
    let cluster = clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| {
            bad(format!(
                "cluster {cluster_name:?} (of context {wanted:?}) not found (clusters: {})",
                names(clusters.iter().map(|c| c.name.as_str()).collect())
            ))
        })?;
    let cl = cluster
        .cluster
        .as_ref()
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} is empty")))?;
    let server_str = cl
        .server
        .as_deref()
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} has no server")))?;
    let server = Target::parse(server_str)
        .map_err(|e| bad(format!("cluster {cluster_name:?}: server: {e}")))?;

    let resolve = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let decode = |field: &str, owner: &str, data: &str| -> Result<Vec<u8>, ProbeError> {
        use base64::Engine as _;
        let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| bad(format!("{owner}: {field}: invalid base64: {e}")))
    };

    let trust = if let Some(data) = &cl.ca_data {
        let owner = format!("cluster {cluster_name:?}");
        let pem = decode("certificate-authority-data", &owner, data)?;
        let roots = certs_from_bytes(&pem)
            .map_err(|e| bad(format!("{owner}: certificate-authority-data: {e}")))?;
        Some(Trust {
            roots,
            name: "the kubeconfig's certificate-authority-data".into(),
            source: format!("{} (cluster {cluster_name})", path.display()),
        })
    } else if let Some(p) = &cl.ca {
        let full = resolve(p);
        Some(Trust::from_file(
            &full,
            "the kubeconfig's certificate-authority",
        )?)
    } else {
        None
    };

    let mut notes = Vec::new();
    let mut client = None;
    let user_name = ctx_body.user.clone();
    if let Some(un) = &user_name {
        let users = kc.users.unwrap_or_default();
        let user = users.iter().find(|u| &u.name == un).ok_or_else(|| {
            bad(format!(
                "user {un:?} (of context {wanted:?}) not found (users: {})",
                names(users.iter().map(|u| u.name.as_str()).collect())
            ))
        })?;
        let u = user.user.as_ref();
        let owner = format!("user {un:?}");
        let cert_pem = match u {
            Some(KubeUser {
                cert_data: Some(d), ..
            }) => Some((
                decode("client-certificate-data", &owner, d)?,
                format!("{} ({owner} client-certificate-data)", path.display()),
            )),
            Some(KubeUser { cert: Some(p), .. }) => {
                let full = resolve(p);
                Some((read_file(&full)?, full.display().to_string()))
            }
            _ => None,
        };
        let key_pem = match u {
            Some(KubeUser {
                key_data: Some(d), ..
            }) => Some((
                decode("client-key-data", &owner, d)?,
                format!("{owner} client-key-data"),
            )),
            Some(KubeUser { key: Some(p), .. }) => {
                let full = resolve(p);
                Some((read_file(&full)?, full.display().to_string()))
            }
            _ => None,
        };
        match (cert_pem, key_pem) {
            (Some((c, csrc)), Some((k, ksrc))) => {
                let chain = certs_from_bytes(&c)
                    .map_err(|e| bad(format!("{owner}: client certificate ({csrc}): {e}")))?;
                let key = key_from_bytes(&k)
                    .map_err(|e| bad(format!("{owner}: client key ({ksrc}): {e}")))?;
                client = Some(ClientIdentity {
                    chain,
                    key,
                    source: csrc,
                });
            }
            (Some(_), None) => {
                return Err(bad(format!(
                    "{owner} has a client certificate but no client-key"
                )));
            }
            (None, Some(_)) => {
                return Err(bad(format!(
                    "{owner} has a client-key but no client certificate"
                )));
            }
            (None, None) => {
                if let Some(u) = u {
                    if u.token.is_some() || u.token_file.is_some() {
                        notes.push(format!("{owner} authenticates with a bearer token, not a client certificate: the probe sends no certificate"));
                    } else if u.exec.is_some() {
                        notes.push(format!("{owner} authenticates through an exec plugin, not a client certificate: the probe sends no certificate"));
                    }
                }
            }
        }
    }
    Ok(KubeconfigEndpoint {
        context: wanted,
        cluster: cluster_name,
        user: user_name,
        server,
        sni: cl.tls_server_name.clone(),
        trust,
        client,
        insecure: cl.insecure,
        notes,
    })
}

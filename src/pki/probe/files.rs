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

/// Certificates from PEM (any number of blocks, junk around them) or DER,
/// read by [`crate::pki::load`] as everywhere else.
pub(super) fn certs_from_bytes(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let contents = crate::pki::load::parse(bytes);
    if contents.certs.is_empty() {
        return Err(match contents.problems.first() {
            Some(p) => p.clone(),
            None => contents.why_empty(),
        });
    }
    Ok(contents
        .certs
        .into_iter()
        .map(|c| CertificateDer::from(c.der))
        .collect())
}

pub(super) fn key_from_bytes(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)".to_string()
        }
        other => format!("bad private key PEM: {other}"),
    })
}

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

/// Reads server, CA and client identity from a kubeconfig (with
/// [`crate::pki::kubeconfig`]), for `context` or the current context.
/// Paths inside are relative to the kubeconfig.
pub fn from_kubeconfig(
    path: &Path,
    context: Option<&str>,
) -> Result<KubeconfigEndpoint, ProbeError> {
    use crate::pki::kubeconfig::{Kubeconfig, KubeconfigError, Material};
    let bad = |what: String| ProbeError::BadFile {
        path: path.to_path_buf(),
        what,
    };
    let kc = Kubeconfig::read(path, &crate::pki::node::NodeRoot::host()).map_err(|e| match e {
        KubeconfigError::Yaml { why, .. } => bad(format!("not a kubeconfig: {why}")),
        KubeconfigError::Load(crate::pki::load::LoadError::Io { path, source }) => {
            ProbeError::Read { path, source }
        }
        KubeconfigError::Load(other) => bad(other.to_string()),
    })?;
    let contexts = &kc.contexts;
    let wanted = match context {
        Some(c) => c.to_string(),
        None => match kc.current_context.clone().filter(|c| !c.is_empty()) {
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
    if ctx.cluster.is_empty() {
        return Err(bad(format!("context {wanted:?} names no cluster")));
    }
    let cluster_name = ctx.cluster.clone();
    let cl = kc
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| {
            bad(format!(
                "cluster {cluster_name:?} (of context {wanted:?}) not found (clusters: {})",
                names(kc.clusters.iter().map(|c| c.name.as_str()).collect())
            ))
        })?;
    let server_str = cl
        .server
        .as_deref()
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} has no server")))?;
    let server = Target::parse(server_str)
        .map_err(|e| bad(format!("cluster {cluster_name:?}: server: {e}")))?;
    // The bytes of a certificate, key or CA, and where they came from.
    let material = |m: &Material, owner: &str| -> Result<(Vec<u8>, String), ProbeError> {
        match m {
            Material::Broken { field, why } => {
                // pki's words are "FIELD is not valid base64 (DETAIL)".
                let detail = why
                    .split_once(" (")
                    .map_or(why.as_str(), |(_, d)| d.trim_end_matches(')'));
                Err(bad(format!("{owner}: {field}: invalid base64: {detail}")))
            }
            Material::File { path: full, .. } => Ok((read_file(full)?, full.display().to_string())),
            Material::Data { field, bytes } => Ok((
                bytes.clone(),
                format!("{} ({owner} {field})", path.display()),
            )),
        }
    };

    let cluster_owner = format!("cluster {cluster_name:?}");
    let trust = match &cl.ca {
        None => None,
        Some(Material::File { path: full, .. }) => Some(Trust::from_file(
            full,
            "the kubeconfig's certificate-authority",
        )?),
        Some(m) => {
            let (pem, _) = material(m, &cluster_owner)?;
            let roots = certs_from_bytes(&pem)
                .map_err(|e| bad(format!("{cluster_owner}: {}: {e}", m.field())))?;
            Some(Trust {
                roots,
                name: "the kubeconfig's certificate-authority-data".into(),
                source: format!("{} (cluster {cluster_name})", path.display()),
            })
        }
    };

    let mut notes = Vec::new();
    let mut client = None;
    let user_name = Some(ctx.user.clone()).filter(|u| !u.is_empty());
    if let Some(un) = &user_name {
        let user = kc.users.iter().find(|u| &u.name == un).ok_or_else(|| {
            bad(format!(
                "user {un:?} (of context {wanted:?}) not found (users: {})",
                names(kc.users.iter().map(|u| u.name.as_str()).collect())
            ))
        })?;
        let owner = format!("user {un:?}");
        let cert = user
            .cert
            .as_ref()
            .map(|m| material(m, &owner))
            .transpose()?;
        let key = user.key.as_ref().map(|m| material(m, &owner)).transpose()?;
        match (cert, key) {
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
            (None, None) => match user.other_auth {
                Some("token") => notes.push(format!("{owner} authenticates with a bearer token, not a client certificate: the probe sends no certificate")),
                Some(_) => notes.push(format!("{owner} authenticates through an exec plugin, not a client certificate: the probe sends no certificate")),
                None => {}
            },
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

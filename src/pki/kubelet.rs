//! `certs kubelet`: the kubelet's whole certificate story on one screen —
//! the client certificate it uses (from `kubelet.conf`: embedded data or
//! the path to `kubelet-client-current.pem`), the dated rotation files,
//! `rotateCertificates` / `serverTLSBootstrap` from `config.yaml`, the
//! serving certificate (`kubelet.crt` or `kubelet-server-current.pem`),
//! whether the apiserver verifies it, optionally what the live kubelet
//! presents (through [`super::probe`]), and for each certificate a verdict
//! and a one-line remedy.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::cert::CertInfo;
use super::check::Problem;
use super::finding::{Finding, Status, days, residual, span};
use super::key::{KeyMatch, PrivateKey};
use super::kubeadm::{Manifests, kubelet_rotation_file};
use super::kubeconfig::{Kubeconfig, Material};
use super::load;
use super::node::NodeRoot;
use super::verify::{Anchor, VerifyOptions, verify};
use crate::timestamp::Timestamp;

const KUBELET_CONF: &str = "/etc/kubernetes/kubelet.conf";
const BOOTSTRAP_CONF: &str = "/etc/kubernetes/bootstrap-kubelet.conf";
const CONFIG: &str = "/var/lib/kubelet/config.yaml";
const PKI: &str = "/var/lib/kubelet/pki";
const CLUSTER_CA: &str = "/etc/kubernetes/pki/ca.crt";
const APISERVER_MANIFEST_DIR: &str = "/etc/kubernetes";

/// What to inspect.
#[derive(Debug, Clone)]
pub struct KubeletOptions {
    pub root: NodeRoot,
    pub at: Timestamp,
    pub warn_days: u32,
    /// `HOST:PORT` of the live kubelet to probe.
    pub probe: Option<String>,
}

/// One of the kubelet's certificates, judged.
#[derive(Debug, Clone, Serialize)]
pub struct KubeletCert {
    /// `client`, `serving`, `client_history`, `serving_history`.
    pub role: &'static str,
    /// The node path of the file (or `kubelet.conf client-certificate-data`).
    pub path: String,
    /// How it was found (`kubelet.conf -> ... -> file`).
    pub via: String,
    /// The file the kubelet uses now (false for older rotation files).
    pub current: bool,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub residual: String,
    pub residual_days: i64,
    pub status: Status,
    pub verdict: String,
    pub findings: Vec<Finding>,
    pub remedy: Option<String>,
}

/// The kubelet settings that decide its certificate story.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KubeletSettings {
    pub config: String,
    pub config_found: bool,
    pub rotate_certificates: Option<bool>,
    pub server_tls_bootstrap: Option<bool>,
    pub tls_cert_file: Option<String>,
    pub client_ca_file: Option<String>,
    pub kubeconfig: String,
    pub kubeconfig_found: bool,
    pub bootstrap_kubeconfig_found: bool,
    /// `--kubelet-certificate-authority` in the apiserver manifest (`None`: no manifest).
    pub apiserver_verifies_kubelets: Option<bool>,
    pub node_name: Option<String>,
}

/// What the live kubelet presented.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeSummary {
    pub target: String,
    pub reachable: bool,
    pub version: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_after: Option<String>,
    pub residual: Option<String>,
    /// The presented certificate is the serving file's (`None`: no file to compare).
    pub same_as_file: Option<bool>,
    /// Verification against the cluster CA: `ok`, `failed`, `not_reached`.
    pub verification: String,
    pub findings: Vec<String>,
    pub remedy: Option<String>,
    pub problem: bool,
}

/// Everything `certs kubelet` found.
#[derive(Debug, Clone, Default)]
pub struct KubeletReport {
    pub at: Timestamp,
    pub certificates: Vec<KubeletCert>,
    pub config: KubeletSettings,
    pub probe: Option<ProbeSummary>,
    pub problems: Vec<Problem>,
}

impl KubeletReport {
    pub fn nothing_read(&self) -> bool {
        self.certificates.is_empty() && !self.config.config_found && !self.config.kubeconfig_found
    }

    /// 1 when the current client or serving certificate has a problem, or
    /// the probed kubelet does; 2 when nothing could be read.
    pub fn exit_code(&self) -> i32 {
        if self.nothing_read() {
            return 2;
        }
        let bad = self
            .certificates
            .iter()
            .filter(|c| c.current)
            .any(|c| c.status.is_problem())
            || self.probe.as_ref().is_some_and(|p| p.problem);
        i32::from(bad)
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawConfig {
    rotate_certificates: Option<bool>,
    #[serde(rename = "serverTLSBootstrap")]
    server_tls_bootstrap: Option<bool>,
    tls_cert_file: Option<String>,
    tls_private_key_file: Option<String>,
    authentication: RawAuthn,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct RawAuthn {
    x509: RawX509,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawX509 {
    #[serde(rename = "clientCAFile")]
    client_ca_file: Option<String>,
}

struct Ctx<'a> {
    opts: &'a KubeletOptions,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn host(&self, node: &str) -> PathBuf {
        self.opts.root.path(Path::new(node))
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Reads certificates and keys of a node file; problems recorded.
    fn read(&mut self, node: &str) -> Option<load::Contents> {
        let host = self.host(node);
        match load::read_file(&host) {
            Ok(c) => {
                for p in &c.problems {
                    self.problem(node, p.clone());
                }
                if c.certs.is_empty() {
                    self.problem(node, c.why_empty());
                    return None;
                }
                Some(c)
            }
            Err(load::LoadError::Io { source, .. }) => {
                self.problem(node, format!("cannot read: {}", load::io_message(&source)));
                None
            }
            Err(load::LoadError::NotRegular { kind, .. }) => {
                self.problem(node, format!("{kind}, not a regular file: not read"));
                None
            }
            Err(e) => {
                self.problem(node, e.to_string());
                None
            }
        }
    }

    /// `a -> b -> c` for a node path that is a symlink (targets as written).
    fn via_links(&self, node: &str) -> String {
        let mut s = node.to_string();
        let mut cur = PathBuf::from(node);
        for _ in 0..8 {
            let host = match self.opts.root.dir() {
                Some(d) => {
                    let parent = cur.parent().map(|p| self.opts.root.path(p));
                    match (parent, cur.file_name()) {
                        (Some(p), Some(n)) => p.join(n),
                        _ => d.join(cur.strip_prefix("/").unwrap_or(&cur)),
                    }
                }
                None => cur.clone(),
            };
            match std::fs::read_link(&host) {
                Ok(t) => {
                    s.push_str(&format!(" -> {}", t.display()));
                    cur = if t.is_absolute() {
                        t
                    } else {
                        cur.parent().unwrap_or(Path::new("/")).join(t)
                    };
                }
                Err(_) => break,
            }
        }
        s
    }
}

/// Reads the kubelet's files and judges its certificates.
pub fn inspect(opts: &KubeletOptions) -> KubeletReport {
    let mut ctx = Ctx {
        opts,
        problems: Vec::new(),
    };
    let mut settings = KubeletSettings {
        config: CONFIG.into(),
        kubeconfig: KUBELET_CONF.into(),
        ..Default::default()
    };

    // config.yaml
    let mut raw = RawConfig::default();
    let cfg_host = ctx.host(CONFIG);
    if cfg_host.exists() {
        match load::read_bytes(&cfg_host)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_norway::from_slice::<RawConfig>(&b).map_err(|e| e.to_string()))
        {
            Ok(r) => {
                settings.config_found = true;
                raw = r;
            }
            Err(e) => ctx.problem(CONFIG, format!("not a kubelet configuration: {e}")),
        }
    }
    settings.rotate_certificates = raw.rotate_certificates;
    settings.server_tls_bootstrap = raw.server_tls_bootstrap;
    settings.tls_cert_file = raw.tls_cert_file.clone();
    settings.client_ca_file = raw.authentication.x509.client_ca_file.clone();
    settings.bootstrap_kubeconfig_found = ctx.host(BOOTSTRAP_CONF).exists();
    let manifests = Manifests::read(&ctx.host(APISERVER_MANIFEST_DIR));
    settings.apiserver_verifies_kubelets = manifests
        .apiserver
        .as_ref()
        .map(|_| manifests.apiserver_verifies_kubelets());
    let rotation = settings.rotate_certificates.unwrap_or(false);
    let bootstrap = settings.server_tls_bootstrap.unwrap_or(false);

    // The cluster CA: kubeadm's pki/ca.crt, else kubelet.conf's, else clientCAFile.
    let mut anchors: Vec<Anchor> = Vec::new();
    if ctx.host(CLUSTER_CA).exists() {
        if let Some(c) = ctx.read(CLUSTER_CA) {
            anchors.extend(c.certs.into_iter().map(|c| Anchor::new(c, CLUSTER_CA)));
        }
    }

    // kubelet.conf
    let mut client: Option<ClientParts> = None;
    let kc_host = ctx.host(KUBELET_CONF);
    if kc_host.exists() {
        match Kubeconfig::read(&kc_host, &opts.root) {
            Ok(kc) => {
                settings.kubeconfig_found = true;
                let user = kc
                    .current_context
                    .as_deref()
                    .and_then(|n| kc.contexts.iter().find(|c| c.name == n))
                    .and_then(|c| kc.users.iter().find(|u| u.name == c.user))
                    .or_else(|| kc.users.first());
                if anchors.is_empty() {
                    if let Some(cl) = user.and_then(|u| kc.cluster_for_user(&u.name)) {
                        if let Some(m) = &cl.ca {
                            match m.contents() {
                                Ok(c) => anchors.extend(c.certs.into_iter().map(|cert| {
                                    Anchor::new(cert, format!("kubelet.conf {}", m.field()))
                                })),
                                Err(e) => ctx.problem(KUBELET_CONF, e),
                            }
                        }
                    }
                }
                if let Some(u) = user {
                    client = client_from_kubeconfig(&mut ctx, u.cert.as_ref(), u.key.as_ref());
                }
            }
            Err(e) => ctx.problem(KUBELET_CONF, e.to_string()),
        }
    }
    if anchors.is_empty() {
        if let Some(ca) = settings.client_ca_file.clone() {
            if let Some(c) = ctx.read(&ca) {
                anchors.extend(
                    c.certs
                        .into_iter()
                        .map(|cert| Anchor::new(cert, ca.clone())),
                );
            }
        }
    }
    let current_client = format!("{PKI}/kubelet-client-current.pem");
    if client.is_none() && ctx.host(&current_client).exists() {
        if let Some(c) = ctx.read(&current_client) {
            let via = ctx.via_links(&current_client);
            client = Some((
                c.certs,
                c.keys,
                current_client.clone(),
                via,
                current_client.clone(),
            ));
        }
    }

    let mut certs = Vec::new();
    let mut current_file: Option<PathBuf> = None;
    if let Some((chain, keys, path, via, key_display)) = &client {
        current_file = std::fs::canonicalize(opts.root.path(Path::new(path))).ok();
        if let Some(cn) = chain[0].common_name.as_deref() {
            settings.node_name = cn.strip_prefix("system:node:").map(str::to_string);
        }
        let mut c = judge(
            opts,
            "client",
            &chain[0],
            &chain[1..],
            &anchors,
            path,
            via,
            true,
            super::finding::Purpose::Client,
        );
        key_check(keys, &chain[0], key_display, &mut c.findings);
        if !rotation
            && c.findings
                .iter()
                .all(|f| !matches!(f, Finding::Expired { .. }))
        {
            c.findings.push(Finding::RotationOff {
                not_after: chain[0].not_after.rfc3339(),
            });
        }
        refresh(&mut c, chain[0].seconds_left(opts.at));
        client_verdict(&mut c, rotation, &settings);
        certs.push(c);
    }

    // Rotation history (dated files).
    let pki_host = ctx.host(PKI);
    let mut dated: Vec<(String, &'static str, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&pki_host) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some((kind, stamp)) = kubelet_rotation_file(&name) {
                dated.push((name.clone(), kind, stamp.to_string()));
            }
        }
    }
    dated.sort_by(|a, b| a.2.cmp(&b.2));
    let current_server = format!("{PKI}/kubelet-server-current.pem");
    let server_current_file =
        std::fs::canonicalize(opts.root.path(Path::new(&current_server))).ok();
    for (name, kind, _) in &dated {
        let node = format!("{PKI}/{name}");
        let canon = std::fs::canonicalize(pki_host.join(name)).ok();
        let is_current = match *kind {
            "client" => canon.is_some() && canon == current_file,
            _ => canon.is_some() && canon == server_current_file,
        };
        if is_current {
            continue;
        }
        if let Some(c) = ctx.read(&node) {
            let role = if *kind == "client" {
                "client_history"
            } else {
                "serving_history"
            };
            let purpose = if *kind == "client" {
                super::finding::Purpose::Client
            } else {
                super::finding::Purpose::Server
            };
            let mut h = judge(
                opts,
                role,
                &c.certs[0],
                &c.certs[1..],
                &anchors,
                &node,
                &node,
                false,
                purpose,
            );
            h.verdict = format!("superseded ({})", h.verdict);
            certs.push(h);
        }
    }

    // Serving certificate.
    let serving_node = if let Some(f) = &settings.tls_cert_file {
        Some(f.clone())
    } else if bootstrap || ctx.host(&current_server).exists() {
        Some(current_server.clone())
    } else {
        Some(format!("{PKI}/kubelet.crt"))
    };
    let mut serving_der: Option<Vec<u8>> = None;
    if let Some(node) = serving_node {
        if ctx.host(&node).exists() {
            if let Some(c) = ctx.read(&node) {
                let via = ctx.via_links(&node);
                let mut s = judge(
                    opts,
                    "serving",
                    &c.certs[0],
                    &c.certs[1..],
                    &anchors,
                    &node,
                    &via,
                    true,
                    super::finding::Purpose::Server,
                );
                // Self-signed serving certificates are the kubelet's default.
                let self_signed = s.findings.iter().any(|f| {
                    matches!(
                        f,
                        Finding::UnknownIssuer { .. } | Finding::SelfSignedUntrusted
                    )
                }) && ends_self_signed(&c.certs);
                if self_signed {
                    s.findings.retain(|f| {
                        !matches!(
                            f,
                            Finding::UnknownIssuer { .. } | Finding::SelfSignedUntrusted
                        )
                    });
                    s.findings.push(Finding::SelfSignedServing {
                        apiserver_verifies: settings.apiserver_verifies_kubelets.unwrap_or(false),
                    });
                }
                let keys = if c.keys.is_empty() {
                    let key_node = raw
                        .tls_private_key_file
                        .clone()
                        .unwrap_or_else(|| node.replace(".crt", ".key"));
                    if key_node != node && ctx.host(&key_node).exists() {
                        load::read_file(&ctx.host(&key_node))
                            .map(|k| (k.keys, key_node))
                            .unwrap_or_default()
                    } else {
                        (Vec::new(), String::new())
                    }
                } else {
                    (c.keys.clone(), node.clone())
                };
                key_check(&keys.0, &c.certs[0], &keys.1, &mut s.findings);
                refresh(&mut s, c.certs[0].seconds_left(opts.at));
                serving_verdict(&mut s, self_signed, bootstrap, &settings);
                serving_der = Some(c.certs[0].der.clone());
                certs.push(s);
            }
        } else if bootstrap {
            certs.push(KubeletCert {
                role: "serving",
                path: node.clone(),
                via: node.clone(),
                current: true,
                subject: String::new(),
                issuer: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                residual: String::new(),
                residual_days: 0,
                status: Status::Invalid,
                verdict: "missing: serverTLSBootstrap is on and no serving certificate was issued yet".into(),
                findings: Vec::new(),
                remedy: Some("approve the kubelet's serving CSR: kubectl get csr, then kubectl certificate approve <name> (the controller-manager never approves serving CSRs itself)".into()),
            });
        }
    }

    let probe = opts
        .probe
        .as_deref()
        .map(|t| probe_kubelet(t, opts, &anchors, serving_der.as_deref(), &settings));

    KubeletReport {
        at: opts.at,
        certificates: certs,
        config: settings,
        probe,
        problems: ctx.problems,
    }
}

fn ends_self_signed(certs: &[CertInfo]) -> bool {
    certs.last().is_some_and(|c| c.self_issued())
}

/// Client certificate chain, its keys, node path, how it was found, key display.
type ClientParts = (Vec<CertInfo>, Vec<PrivateKey>, String, String, String);

fn client_from_kubeconfig(
    ctx: &mut Ctx<'_>,
    cert: Option<&Material>,
    key: Option<&Material>,
) -> Option<ClientParts> {
    let cert = cert?;
    let (path, via) = match cert {
        Material::File { written, .. } => {
            let node = if Path::new(written).is_absolute() {
                written.clone()
            } else {
                format!("/etc/kubernetes/{written}")
            };
            let via = format!("kubelet.conf client-certificate: {}", ctx.via_links(&node));
            (node, via)
        }
        _ => (
            format!("{KUBELET_CONF} {}", cert.field()),
            format!("kubelet.conf {} (embedded)", cert.field()),
        ),
    };
    let contents = match cert.contents() {
        Ok(c) if !c.certs.is_empty() => c,
        Ok(c) => {
            ctx.problem(KUBELET_CONF, format!("{}: {}", cert.field(), c.why_empty()));
            return None;
        }
        Err(e) => {
            ctx.problem(KUBELET_CONF, e);
            return None;
        }
    };
    let (keys, key_display) = match key {
        Some(k) => {
            let display = match k {
                Material::File { written, .. } => written.clone(),
                _ => format!("kubelet.conf {}", k.field()),
            };
            match k.contents() {
                Ok(c) => (c.keys, display),
                Err(e) => {
                    ctx.problem(KUBELET_CONF, e);
                    (Vec::new(), display)
                }
            }
        }
        None => (contents.keys.clone(), path.clone()),
    };
    Some((contents.certs, keys, path, via, key_display))
}

fn key_check(keys: &[PrivateKey], cert: &CertInfo, display: &str, out: &mut Vec<Finding>) {
    if keys.is_empty() {
        return;
    }
    let results: Vec<KeyMatch> = keys.iter().map(|k| k.matches(cert)).collect();
    if results.contains(&KeyMatch::Matches) {
        return;
    }
    match results
        .into_iter()
        .find(|r| matches!(r, KeyMatch::Unknown(_)))
    {
        Some(KeyMatch::Unknown(why)) => out.push(Finding::KeyUnreadable {
            key: display.to_string(),
            why,
        }),
        _ => out.push(Finding::KeyMismatch {
            key: display.to_string(),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    opts: &KubeletOptions,
    role: &'static str,
    cert: &CertInfo,
    rest: &[CertInfo],
    anchors: &[Anchor],
    path: &str,
    via: &str,
    current: bool,
    purpose: super::finding::Purpose,
) -> KubeletCert {
    let mut o = VerifyOptions::new(anchors, opts.at);
    o.intermediates = rest;
    o.purpose = Some(purpose);
    if current {
        o.warn_days = Some(opts.warn_days);
    }
    let v = verify(cert, &o);
    let left = cert.seconds_left(opts.at);
    let findings = v.findings;
    let status = Status::of(&findings);
    let verdict = base_verdict(status, left);
    KubeletCert {
        role,
        path: path.to_string(),
        via: via.to_string(),
        current,
        subject: cert.subject.clone(),
        issuer: cert.issuer.clone(),
        not_before: cert.not_before.rfc3339(),
        not_after: cert.not_after.rfc3339(),
        residual: residual(left),
        residual_days: days(left),
        status,
        verdict,
        findings,
        remedy: None,
    }
}

fn base_verdict(status: Status, left: i64) -> String {
    match status {
        Status::Ok | Status::Warn => format!("valid, {} left", residual(left)),
        Status::Expired => format!("expired {} ago", span(left)),
        Status::NotYetValid => "not valid yet".into(),
        Status::Invalid => "invalid".into(),
    }
}

fn refresh(c: &mut KubeletCert, left: i64) {
    c.status = Status::of(&c.findings);
    c.verdict = base_verdict(c.status, left);
    if c.status == Status::Invalid {
        let codes: Vec<&str> = c
            .findings
            .iter()
            .filter(|f| f.severity() == super::finding::Severity::Error)
            .map(|f| f.code())
            .collect();
        c.verdict = format!("invalid ({})", codes.join(", "));
    }
}

fn node_name(s: &KubeletSettings) -> String {
    s.node_name.clone().unwrap_or_else(|| "<node>".into())
}

fn client_verdict(c: &mut KubeletCert, rotation: bool, s: &KubeletSettings) {
    let has = |code: &str| c.findings.iter().any(|f| f.code() == code);
    let node = node_name(s);
    c.remedy = if has("key_mismatch") {
        Some(format!(
            "the key does not belong to the certificate: restore the matching pair, or re-bootstrap the kubelet (remove {PKI}/kubelet-client-current.pem, provide {BOOTSTRAP_CONF}, systemctl restart kubelet)"
        ))
    } else if has("bad_signature") || has("unknown_issuer") || has("wrong_ca") {
        Some("the client certificate is not signed by this cluster's CA: the node belongs to another cluster or the CA was replaced; re-join the node (kubeadm reset, then kubeadm join)".into())
    } else if has("expired") && !rotation {
        Some(format!(
            "rotation is off: issue a new client certificate (on a control-plane node: kubeadm kubeconfig user --org system:nodes --client-name system:node:{node} > {KUBELET_CONF}), set rotateCertificates: true in {CONFIG}, then systemctl restart kubelet"
        ))
    } else if has("expired") {
        Some(format!(
            "rotation is on but did not renew it (the kubelet could not reach the apiserver, or its CSRs were not approved): re-bootstrap — remove {PKI}/kubelet-client-current.pem, put a bootstrap kubeconfig in {BOOTSTRAP_CONF} (kubeadm token create), systemctl restart kubelet, approve the CSR if needed"
        ))
    } else if has("not_yet_valid") {
        Some(
            "the certificate starts in the future: check the node's clock (timedatectl, NTP)"
                .into(),
        )
    } else if has("rotation_off") {
        Some(format!(
            "nothing renews this certificate: set rotateCertificates: true in {CONFIG} and systemctl restart kubelet"
        ))
    } else if has("wrong_eku") {
        Some("the certificate lacks clientAuth: the apiserver will refuse it; issue a client certificate (kubeadm kubeconfig user --org system:nodes)".into())
    } else {
        None
    };
    if c.status == Status::Ok || c.status == Status::Warn {
        c.verdict = if rotation {
            format!("{}; rotation renews it", c.verdict)
        } else {
            format!("{}; rotation is off", c.verdict)
        };
    }
}

fn serving_verdict(c: &mut KubeletCert, self_signed: bool, bootstrap: bool, s: &KubeletSettings) {
    let has = |code: &str| c.findings.iter().any(|f| f.code() == code);
    let verifies = s.apiserver_verifies_kubelets.unwrap_or(false);
    if self_signed && c.status != Status::Expired && c.status != Status::NotYetValid {
        c.verdict = if verifies {
            "self-signed, but the apiserver verifies kubelet serving certificates".into()
        } else {
            format!("self-signed (the kubelet's default), {}", c.verdict)
        };
    }
    c.remedy = if has("key_mismatch") {
        Some("the serving key does not belong to the certificate: remove both files and restart the kubelet (it makes a new pair), or enable serverTLSBootstrap".into())
    } else if self_signed && verifies {
        Some(format!(
            "set serverTLSBootstrap: true in {CONFIG}, systemctl restart kubelet, then approve its CSR: kubectl get csr; kubectl certificate approve <name>"
        ))
    } else if has("expired") && self_signed {
        Some(format!(
            "remove {PKI}/kubelet.crt and {PKI}/kubelet.key and systemctl restart kubelet (it makes a new self-signed pair), or enable serverTLSBootstrap"
        ))
    } else if has("expired") && bootstrap {
        Some("serverTLSBootstrap did not renew it: approve the pending serving CSR (kubectl get csr; kubectl certificate approve <name>)".into())
    } else if has("expired") {
        Some("renew the serving certificate and restart the kubelet".into())
    } else if has("missing_san") || has("name_mismatch") {
        Some("reissue the serving certificate with the node's name and IP in its SANs".into())
    } else {
        None
    };
}

fn normalize_hex(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn probe_kubelet(
    target: &str,
    opts: &KubeletOptions,
    anchors: &[Anchor],
    serving_der: Option<&[u8]>,
    s: &KubeletSettings,
) -> ProbeSummary {
    use super::probe::{ProbeOptions, Target, Trust, Verdict};
    let mut summary = ProbeSummary {
        target: target.to_string(),
        reachable: false,
        version: None,
        subject: None,
        issuer: None,
        not_after: None,
        residual: None,
        same_as_file: None,
        verification: "not_reached".into(),
        findings: Vec::new(),
        remedy: None,
        problem: true,
    };
    let t = match Target::parse(target) {
        Ok(t) => t,
        Err(e) => {
            summary.findings.push(e.to_string());
            return summary;
        }
    };
    let mut po = ProbeOptions::new(t);
    po.trust = Trust {
        roots: anchors
            .iter()
            .map(|a| rustls_pki_types::CertificateDer::from(a.cert.der.clone()))
            .collect(),
        name: "the cluster CA".into(),
        source: anchors
            .first()
            .map(|a| a.source.clone())
            .unwrap_or_else(|| "none".into()),
    };
    po.insecure = true;
    po.at = Some(opts.at);
    po.warn_days = opts.warn_days;
    po.alpn = Vec::new();
    let report = match super::probe::probe(&po) {
        Ok(r) => r,
        Err(e) => {
            summary.findings.push(e.to_string());
            return summary;
        }
    };
    summary.reachable = report.verdict != Verdict::Unreachable;
    summary.version = report.version.clone();
    summary.verification = report.verification.status.to_string();
    summary.findings = report.findings.iter().map(|f| f.message.clone()).collect();
    if let Some(c) = report.certificates.first() {
        summary.subject = Some(c.subject.clone());
        summary.issuer = Some(c.issuer.clone());
        summary.not_after = Some(c.not_after.clone());
        summary.residual = Some(c.residual.clone());
        if let Some(der) = serving_der {
            use sha2::Digest;
            let file_hash = hex::encode(sha2::Sha256::digest(der));
            summary.same_as_file = Some(normalize_hex(&c.sha256) == file_hash);
        }
    }
    let verifies = s.apiserver_verifies_kubelets.unwrap_or(false);
    let expired = report
        .certificates
        .first()
        .is_some_and(|c| c.status == "expired" || c.status == "not_yet_valid");
    summary.problem =
        !summary.reachable || expired || (verifies && report.verification.status != "ok");
    summary.remedy = if !summary.reachable {
        Some("nothing answers there: is the kubelet running (systemctl status kubelet) and listening on 10250?".into())
    } else if summary.same_as_file == Some(false) {
        Some("the kubelet presents a different certificate than its file: it has not been restarted since the file changed (systemctl restart kubelet)".into())
    } else if expired {
        Some("the live kubelet presents an expired certificate: see the serving certificate's remedy".into())
    } else {
        None
    };
    summary
}

/// The human screen.
pub fn render(r: &KubeletReport) -> Vec<String> {
    let mut v = Vec::new();
    let s = &r.config;
    let onoff = |b: Option<bool>| match b {
        Some(true) => "on",
        Some(false) => "off",
        None => "not set (off)",
    };
    v.push(format!("kubelet certificates, judged at {}", r.at));
    v.push(String::new());
    v.push("CONFIGURATION".into());
    v.push(format!(
        "  {}: {}",
        s.config,
        if s.config_found { "found" } else { "not found" }
    ));
    v.push(format!(
        "    rotateCertificates:  {}",
        onoff(s.rotate_certificates)
    ));
    v.push(format!(
        "    serverTLSBootstrap:  {}",
        onoff(s.server_tls_bootstrap)
    ));
    if let Some(f) = &s.tls_cert_file {
        v.push(format!("    tlsCertFile:         {f}"));
    }
    v.push(format!(
        "  {}: {}",
        s.kubeconfig,
        if s.kubeconfig_found {
            "found"
        } else {
            "not found"
        }
    ));
    v.push(format!(
        "  {BOOTSTRAP_CONF}: {}",
        if s.bootstrap_kubeconfig_found {
            "found"
        } else {
            "not found"
        }
    ));
    v.push(format!(
        "  apiserver verifies kubelet serving certificates: {}",
        match s.apiserver_verifies_kubelets {
            Some(true) => "yes (--kubelet-certificate-authority)",
            Some(false) => "no (no --kubelet-certificate-authority)",
            None => "unknown (no kube-apiserver.yaml)",
        }
    ));
    if let Some(n) = &s.node_name {
        v.push(format!("  node: {n}"));
    }
    for (title, role) in [
        ("CLIENT CERTIFICATE", "client"),
        ("CLIENT ROTATION HISTORY", "client_history"),
        ("SERVING CERTIFICATE", "serving"),
        ("SERVING ROTATION HISTORY", "serving_history"),
    ] {
        let certs: Vec<&KubeletCert> = r.certificates.iter().filter(|c| c.role == role).collect();
        if certs.is_empty() {
            if role == "client" || role == "serving" {
                v.push(String::new());
                v.push(title.into());
                v.push("  none found".into());
            }
            continue;
        }
        v.push(String::new());
        v.push(title.into());
        for c in certs {
            v.push(format!("  {}", c.via));
            if !c.subject.is_empty() {
                v.push(format!("    subject   {}", c.subject));
                v.push(format!("    issuer    {}", c.issuer));
                v.push(format!(
                    "    valid     {} .. {} ({})",
                    c.not_before, c.not_after, c.residual
                ));
            }
            if c.current {
                v.push(format!("    verdict   {}: {}", c.status, c.verdict));
                for f in &c.findings {
                    let sev = match f.severity() {
                        super::finding::Severity::Error => "error",
                        super::finding::Severity::Warn => "warn",
                        super::finding::Severity::Info => "note",
                    };
                    v.push(format!("    {sev:<9} {f}"));
                }
            } else {
                v.push(format!("    {}", c.verdict));
            }
            if let Some(rem) = &c.remedy {
                v.push(format!("    remedy    {rem}"));
            }
        }
    }
    if let Some(p) = &r.probe {
        v.push(String::new());
        v.push(format!("LIVE KUBELET {}", p.target));
        if !p.reachable {
            v.push("  not reachable".into());
        }
        if let Some(ver) = &p.version {
            v.push(format!("  TLS       {ver}"));
        }
        if let Some(sub) = &p.subject {
            v.push(format!(
                "  presents  {sub} (issuer {})",
                p.issuer.clone().unwrap_or_default()
            ));
            v.push(format!(
                "  expires   {} ({})",
                p.not_after.clone().unwrap_or_default(),
                p.residual.clone().unwrap_or_default()
            ));
        }
        match p.same_as_file {
            Some(true) => v.push("  same certificate as the serving file".into()),
            Some(false) => v.push("  a DIFFERENT certificate than the serving file".into()),
            None => {}
        }
        v.push(format!(
            "  verification against the cluster CA: {}",
            p.verification
        ));
        for f in &p.findings {
            v.push(format!("  - {f}"));
        }
        if let Some(rem) = &p.remedy {
            v.push(format!("  remedy    {rem}"));
        }
    }
    v
}

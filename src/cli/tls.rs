//! `kinspect tls probe HOST:PORT`: connect with rustls, show what the
//! server presents (version, cipher, ALPN, client-certificate request, the
//! whole chain) and explain in words why verification or the handshake
//! fails. The work is done by [`crate::pki::probe`]; this file maps flags
//! to [`ProbeOptions`] and renders the report as a table or one JSON line.
//!
//! Exit codes: 0 verified, 1 reachable but failing, 2 unreachable or usage
//! error.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::{Common, parse_duration, usage_error};
use crate::pki::probe::{self, ClientIdentity, ProbeOptions, ProbeReport, Severity, Target, Trust};
use crate::view::Format;

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Connect and show the chain the server presents, verified separately
    #[command(after_help = "Examples:\n  \
        kinspect tls probe 127.0.0.1:6443 --cacert /etc/kubernetes/pki/ca.crt\n  \
        kinspect tls probe 127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt \\\n      \
        --cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key\n  \
        kinspect tls probe --kubeconfig /etc/kubernetes/admin.conf\n  \
        kinspect tls probe node1:10250 --insecure\n\n\
        Exit codes: 0 verified, 1 reachable but failing, 2 unreachable or usage error.")]
    Probe(ProbeArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ProbeArgs {
    /// HOST:PORT, [IPv6]:PORT or https://HOST:PORT (default: the kubeconfig's server)
    #[arg(value_name = "HOST:PORT")]
    pub target: Option<String>,
    /// Name to send as SNI and to check the certificate against (default: HOST)
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// CA certificates to verify the server with (PEM bundle or DER) [default: the kubeconfig's CA, else the system roots]
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Client certificate for mutual TLS (etcd, kubelet, apiserver)
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Client key (read to sign the handshake; never printed)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Take server, CA and client certificate from this kubeconfig (flags override it)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: current-context)
    #[arg(long, value_name = "NAME", requires = "kubeconfig")]
    pub context: Option<String>,
    /// ALPN protocols to offer, comma-separated; `none` offers none
    #[arg(long, value_name = "LIST", default_value = "h2,http/1.1")]
    pub alpn: String,
    /// Complete the handshake even when verification fails (the result is still reported)
    #[arg(long)]
    pub insecure: bool,
    /// Time limit for connecting and the handshake, e.g. 5s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub judge: super::JudgeArgs,
}

pub fn run(cmd: TlsCommand, common: &Common) -> i32 {
    match cmd {
        TlsCommand::Probe(args) => run_probe(&args, common),
    }
}

/// Builds the probe options from flags and an optional kubeconfig; extra
/// notes for the user come back beside them.
pub fn options(args: &ProbeArgs, common: &Common) -> Result<(ProbeOptions, Vec<String>), String> {
    let mut notes = Vec::new();
    let kube = match &args.kubeconfig {
        Some(path) => {
            Some(probe::from_kubeconfig(path, args.context.as_deref()).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let target = match (&args.target, &kube) {
        (Some(t), _) => Target::parse(t).map_err(|e| e.to_string())?,
        (None, Some(k)) => k.server.clone(),
        (None, None) => {
            return Err(
                "tls probe: give HOST:PORT (or --kubeconfig FILE to take the server from it)"
                    .into(),
            );
        }
    };
    let mut opts = ProbeOptions::new(target);
    let mut insecure = args.insecure;
    let mut sni = args.sni.clone();
    let mut trust: Option<Trust> = None;
    let mut client: Option<ClientIdentity> = None;
    if let Some(k) = kube {
        notes.push(format!(
            "kubeconfig: context {}, cluster {}, user {}",
            k.context,
            k.cluster,
            k.user.as_deref().unwrap_or("(none)")
        ));
        notes.extend(k.notes);
        if sni.is_none() {
            sni = k.sni;
        }
        trust = k.trust;
        client = k.client;
        if k.insecure && !insecure {
            notes.push(
                "the kubeconfig sets insecure-skip-tls-verify: probing with --insecure".into(),
            );
            insecure = true;
        }
    }
    if let Some(path) = &args.cacert {
        trust = Some(Trust::from_file(path, "--cacert").map_err(|e| e.to_string())?);
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        client = Some(ClientIdentity::from_files(cert, key).map_err(|e| e.to_string())?);
    }
    if let Some(t) = trust {
        opts.trust = t;
    }
    opts.client = client;
    opts.sni = sni;
    opts.insecure = insecure;
    opts.alpn = if args.alpn.trim().eq_ignore_ascii_case("none") || args.alpn.trim().is_empty() {
        Vec::new()
    } else {
        args.alpn
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    opts.at = common.at;
    opts.warn_days = common.warn_days;
    opts.timeout = args.timeout;
    Ok((opts, notes))
}

fn run_probe(args: &ProbeArgs, common: &Common) -> i32 {
    let (opts, notes) = match options(args, common) {
        Ok(x) => x,
        Err(e) => return usage_error(e),
    };
    let report = match probe::probe(&opts) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    for n in &notes {
        eprintln!("kinspect: note: {n}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match common.output {
        Format::Json => match serde_json::to_string(&report) {
            Ok(s) => writeln!(out, "{s}"),
            Err(e) => return usage_error(format!("cannot encode the report: {e}")),
        },
        _ => out.write_all(escape_lines(&render(&report)).as_bytes()),
    };
    // A closed pipe is not an error: the verdict still decides the exit code.
    let _ = written.and_then(|()| out.flush());
    report.exit_code()
}

/// The human form of a report.
pub fn render(r: &ProbeReport) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| {
        s.push_str(&format!("{k:<13}{v}\n"));
    };
    let at = if r.at_given {
        format!(", judged at {}", r.judged_at)
    } else {
        String::new()
    };
    line(
        "probe",
        format!(
            "{} (SNI {}, name {}, CA {}: {} certificate{}{at})",
            r.target,
            r.sni.as_deref().unwrap_or("none"),
            r.verify_name,
            r.trust,
            r.trust_certificates,
            if r.trust_certificates == 1 { "" } else { "s" }
        ),
    );
    if let (Some(addr), Some(ms)) = (&r.address, r.connect_ms) {
        line("connected", format!("{addr} in {ms:.1}ms"));
    }
    match r.handshake {
        probe::HandshakeState::NotStarted => {}
        probe::HandshakeState::Failed => line("handshake", "failed".into()),
        probe::HandshakeState::Complete => {
            let alpn = match (&r.alpn, r.alpn_offered.is_empty()) {
                (Some(p), _) => format!("ALPN {p}"),
                (None, true) => "no ALPN offered".into(),
                (None, false) => format!("no ALPN (offered {})", r.alpn_offered.join(",")),
            };
            let then = match (r.client_auth.result, &r.client_auth.alert) {
                ("rejected" | "required", Some(a)) if r.version.as_deref() == Some("TLSv1.3") => {
                    format!(" (then the server sent alert {a})")
                }
                _ => String::new(),
            };
            line(
                "handshake",
                format!(
                    "complete in {:.1}ms{then}: {}, {}{}, {alpn}",
                    r.handshake_ms.unwrap_or_default(),
                    r.version.as_deref().unwrap_or("?"),
                    r.cipher.as_deref().unwrap_or("?"),
                    r.key_exchange
                        .as_deref()
                        .map(|g| format!(", {g}"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    let ca = &r.client_auth;
    match ca.requested {
        None if r.certificates.is_empty() => {}
        None => line(
            "client cert",
            "unknown (the handshake stopped before the server could ask)".into(),
        ),
        Some(false) => line("client cert", "not requested".into()),
        Some(true) => {
            let cas = if ca.acceptable_cas.is_empty() {
                "any CA (no names sent)".to_string()
            } else {
                ca.acceptable_cas.join("; ")
            };
            line("client cert", format!("requested; accepted CAs: {cas}"));
            let alert = ca
                .alert
                .as_deref()
                .map(|a| format!(" with alert {a}"))
                .unwrap_or_default();
            let ours = match (&ca.sent, ca.result) {
                (None, "none_sent") => {
                    "we sent none; the server went on without one (optional client certificates)"
                        .to_string()
                }
                (None, "required") => format!("we sent none: refused{alert}"),
                (None, _) => "we sent none".to_string(),
                (Some(sub), "accepted") => format!("sent {sub}: accepted"),
                (Some(sub), "rejected") => format!("sent {sub}: rejected{alert}"),
                (Some(sub), _) => format!("sent {sub}: no answer from the server yet"),
            };
            line("", ours);
        }
    }
    let v = &r.verification;
    let verified = match (v.status, v.enforced) {
        ("ok", _) => format!("yes (webpki against {})", r.trust),
        ("failed", true) => format!("no: {}", v.error.as_deref().unwrap_or("")),
        ("failed", false) => format!(
            "no (handshake went on: --insecure): {}",
            v.error.as_deref().unwrap_or("")
        ),
        _ => "not reached (the server sent no certificate)".into(),
    };
    line("verified", verified);

    if !r.certificates.is_empty() {
        s.push_str(&format!(
            "\ncertificates ({} sent by the server)\n",
            r.certificates.len()
        ));
        for c in &r.certificates {
            let mut tags = Vec::new();
            if c.is_ca {
                tags.push("CA");
            }
            if c.self_signed {
                tags.push("self-signed");
            }
            match c.status {
                "expired" => tags.push("EXPIRED"),
                "not_yet_valid" => tags.push("NOT YET VALID"),
                "invalid" => tags.push("INVALID"),
                _ => {}
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", tags.join(", "))
            };
            s.push_str(&format!("  #{} {}{tags}\n", c.index, c.subject));
            if c.status == "invalid" {
                continue;
            }
            let field = |s: &mut String, k: &str, v: &str| {
                s.push_str(&format!("     {k:<11}{v}\n"));
            };
            field(&mut s, "issuer", &c.issuer);
            let residual = match c.status {
                "expired" => format!("expired {} ago", c.residual.trim_start_matches('-')),
                "not_yet_valid" => "not yet valid".to_string(),
                _ => format!("{} left", c.residual),
            };
            field(
                &mut s,
                "valid",
                &format!("{} to {} ({residual})", c.not_before, c.not_after),
            );
            if !c.sans.is_empty() {
                field(&mut s, "SAN", &c.sans.join(", "));
            }
            if !c.extended_key_usage.is_empty() {
                field(&mut s, "usage", &c.extended_key_usage.join(", "));
            }
            field(
                &mut s,
                "key",
                &format!("{}, signed with {}", c.key, c.signature_algorithm),
            );
            let by = match (c.signed_by.kind, &c.signed_by.subject) {
                ("next", Some(sub)) => format!("#{} {sub}: {}", c.index + 1, c.signed_by.detail),
                ("next", None) => format!("#{}: {}", c.index + 1, c.signed_by.detail),
                ("self", _) => c.signed_by.detail.clone(),
                ("anchor", _) => c.signed_by.detail.clone(),
                (_, Some(sub)) => format!("{sub}: {}", c.signed_by.detail),
                _ => c.signed_by.detail.clone(),
            };
            field(&mut s, "signed by", &by);
            field(&mut s, "sha256", &c.sha256);
        }
    }

    s.push_str("\ndiagnosis\n");
    if r.findings.is_empty() {
        s.push_str(&format!(
            "  ok: verified for {} against {}\n",
            r.verify_name, r.trust
        ));
    }
    for f in &r.findings {
        let tag = match f.severity {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
            Severity::Info => "note",
        };
        s.push_str(&format!("  {tag}: {}\n", f.message));
        if let Some(h) = &f.hint {
            s.push_str(&format!("        hint: {h}\n"));
        }
    }
    if !r.findings.is_empty()
        && !r.findings.iter().any(|f| f.severity == Severity::Fail)
        && r.verdict == probe::Verdict::Verified
    {
        s.push_str(&format!(
            "  ok: verified for {} against {}\n",
            r.verify_name, r.trust
        ));
    }
    s
}

/// Text lines for a terminal: each line's control characters escaped
/// ([`crate::view::text::escape_control`]), the newlines between lines kept.
fn escape_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        // On a terminal a long value wraps under itself (the labels are
        // 13 columns wide).
        let body = crate::view::text::escape_control(body);
        let parts = crate::view::fit::wrap_line(&body, 13);
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            out.push_str(part);
            out.push_str(if i < last { "\n" } else { nl });
        }
    }
    out
}

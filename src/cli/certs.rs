//! `kinspect certs check|show|verify|kubelet`: the command line over
//! [`crate::pki`] — argument definitions, tables, JSON Lines, Prometheus
//! text, and exit codes (0 fine, 1 a certificate problem, 2 nothing could
//! be read or bad usage).
//!
//! `-o prometheus` (for `certs check` only) is [`render_prometheus`].

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Common, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, usage_error};
use crate::pki::cert::CertInfo;
use crate::pki::check::{self, CheckOptions, Kind, Report};
use crate::pki::finding::{Purpose, Severity, Status, residual};
use crate::pki::kubeconfig::{Kubeconfig, looks_like_kubeconfig};
use crate::pki::kubelet::{self, KubeletOptions};
use crate::pki::load;
use crate::pki::node::NodeRoot;
use crate::pki::verify::{Anchor, Role, Signature, VerifyOptions, verify};
use crate::timestamp::Timestamp;
use crate::view::style::{Style, status_tone};
use crate::view::{Format, Out};

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Expiry and problems of every certificate: kubeadm PKI, kubeconfigs, kubelet
    #[command(after_help = "Examples:\n  \
        kinspect certs check                    # /etc/kubernetes, /var/lib/kubelet\n  \
        kinspect certs check --root /mnt/node1  # a copied node tree\n  \
        kinspect certs check --problems         # only what is not ok\n  \
        kinspect certs check /etc/kubernetes/pki --at 2027-01-01\n  \
        kinspect certs check -o json | jq 'select(.status != \"ok\")'")]
    Check(CheckArgs),
    /// Every field of each certificate in the files, decoded
    Show(ShowArgs),
    /// Verify one chain like `openssl verify`, with reasons
    Verify(VerifyArgs),
    /// The kubelet's certificates: client, rotation, serving, config
    Kubelet(KubeletArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories (default: /etc/kubernetes and /var/lib/kubelet)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read a node's files from DIR (DIR/etc/kubernetes, DIR/var/lib/kubelet); PATHs are inside it
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Show only certificates that are not ok, and findings that are not notes
    #[arg(long)]
    pub problems: bool,
    #[command(flatten)]
    pub judge: super::JudgeArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Certificate files (PEM, DER, bundles) or kubeconfigs
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub at: super::AtArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The certificate to verify (more certificates in the file are intermediates)
    #[arg(value_name = "LEAF")]
    pub leaf: PathBuf,
    /// Trusted CA certificates (default: the system bundle); `--cacert` as in openssl/curl
    #[arg(long, value_name = "FILE", visible_alias = "cacert")]
    pub roots: Vec<PathBuf>,
    /// Untrusted certificates that may complete the chain; `--untrusted` as in openssl verify
    #[arg(long, value_name = "FILE", visible_alias = "untrusted")]
    pub intermediates: Vec<PathBuf>,
    /// A DNS name or IP address the certificate must be valid for
    #[arg(long, value_name = "HOST|IP")]
    pub name: Option<String>,
    /// What the certificate is used for (checks the extended key usage)
    #[arg(long, value_enum)]
    pub purpose: Option<Purpose>,
    #[command(flatten)]
    pub at: super::AtArgs,
}

#[derive(Debug, Args)]
pub struct KubeletArgs {
    /// Read the node's files from DIR (DIR/etc/kubernetes, DIR/var/lib/kubelet)
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also connect to the live kubelet and show the serving certificate it presents
    #[arg(long, value_name = "HOST:PORT")]
    pub probe: Option<String>,
    #[command(flatten)]
    pub judge: super::JudgeArgs,
}

pub fn run(cmd: CertsCommand, common: &Common) -> i32 {
    match cmd {
        CertsCommand::Check(a) => run_check(a, common),
        CertsCommand::Show(a) => run_show(a, common),
        CertsCommand::Verify(a) => run_verify(a, common),
        CertsCommand::Kubelet(a) => run_kubelet(a, common),
    }
}

/// The time certificates are judged at: `--at`, else now.
pub fn judge_time(common: &Common) -> Timestamp {
    common.at.unwrap_or_else(Timestamp::now)
}

fn stdout_out() -> Out<std::io::BufWriter<std::io::Stdout>> {
    Out::new(std::io::BufWriter::new(std::io::stdout()))
}

fn finish(out: Out<std::io::BufWriter<std::io::Stdout>>, code: i32) -> i32 {
    match out.finish() {
        Ok(_) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => usage_error(format!("writing output: {e}")),
    }
}

/// Left-aligned columns, two spaces apart, widths from the content; on a
/// terminal, fitted to its width ([`crate::view::fit::layout`]: status
/// words are never shortened, other cells in the middle).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    use crate::view::fit::{self, Give, layout};
    let give = |h: &[&str]| -> Vec<Give> {
        h.iter()
            .map(|h| match *h {
                "STATUS" | "SEVERITY" | "RESIDUAL TIME" | "RESIDUAL" | "EXPIRES" => Give::Keep,
                _ => Give::Middle,
            })
            .collect()
    };
    let lines = layout(header, &give(header), rows);
    let Some(limit) = fit::limit() else {
        return lines;
    };
    if lines.iter().all(|l| fit::width(l) <= limit) {
        return lines;
    }
    // Narrow terminal: kubeadm's long headers in short, and the expiry
    // date without its time (`-o wide` or a pipe shows them whole).
    let short: Vec<&str> = header
        .iter()
        .map(|h| match *h {
            "CERTIFICATE AUTHORITY" => "CA",
            "EXTERNALLY MANAGED" => "EXTERNAL",
            "RESIDUAL TIME" => "RESIDUAL",
            h => h,
        })
        .collect();
    let expires = header.iter().position(|h| *h == "EXPIRES");
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(cell) = expires.and_then(|i| r.get_mut(i)) {
                if let Some((date, _)) = cell.split_once('T') {
                    *cell = date.to_string();
                }
            }
            r
        })
        .collect();
    layout(&short, &give(&short), &rows)
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "-".into(),
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warn => "warn",
        Severity::Info => "note",
    }
}

// ---------------------------------------------------------------------------
// certs check

fn run_check(a: CheckArgs, common: &Common) -> i32 {
    let opts = CheckOptions {
        paths: a.paths,
        root: a.root.map(NodeRoot::under).unwrap_or_default(),
        at: judge_time(common),
        warn_days: common.warn_days,
    };
    let report = check::check(&opts);
    let nothing = report.rows.is_empty();
    for p in &report.problems {
        let level = if nothing { "error" } else { "warning" };
        eprintln!("kinspect: {level}: {}: {}", p.path, p.message);
    }
    for n in &report.notes {
        eprintln!("kinspect: note: {n}");
    }
    if nothing {
        if report.problems.is_empty() {
            eprintln!("kinspect: error: no certificate found");
        }
        return EXIT_USAGE;
    }
    let mut out = stdout_out();
    match common.output {
        Format::Table | Format::Wide => {
            // The summary first, then problems before the rest.
            let style = common.style();
            let mut head = vec![summary(&report, opts.at)];
            paint_summary(&mut head, style);
            for l in &head {
                out.wrapped(l, 2);
            }
            out.line("");
            let lines = render_check_table(&report, a.problems);
            let findings = lines.iter().position(|l| l == "FINDINGS");
            let mut lines = lines;
            paint_check_table(&mut lines, style);
            for (i, l) in lines.iter().enumerate() {
                if findings.is_some_and(|f| i > f) {
                    out.wrapped(l, 7);
                } else {
                    out.line(l);
                }
            }
        }
        Format::Prometheus => out.raw(render_prometheus(&report, opts.at).as_bytes()),
        Format::Json | Format::Yaml => {
            for r in report.rows.iter().filter(|r| !a.problems || is_problem(r)) {
                out.json(r);
            }
            eprintln!("{}", summary(&report, opts.at));
        }
    }
    finish(out, report.exit_code())
}

/// How much a row's status matters: failures, then warnings, then ok.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Expired | Status::NotYetValid | Status::Invalid => 0,
        Status::Warn => 1,
        Status::Ok => 2,
    }
}

/// A row `--problems` keeps: anything but ok.
fn is_problem(r: &check::Row) -> bool {
    r.status != Status::Ok
}

/// The summary's counts in their colours (only when they are not zero).
fn paint_summary(lines: &mut [String], style: Style) {
    use crate::view::style::Tone;
    for l in lines.iter_mut() {
        for (word, tone) in [
            ("expired", Tone::Bad),
            ("not yet valid", Tone::Bad),
            ("invalid", Tone::Bad),
            ("warn", Tone::Warn),
        ] {
            if let Some(i) = l.find(&format!(" {word}")) {
                let n = l[..i].rsplit(' ').next().unwrap_or("0");
                if n != "0" && n.parse::<u32>().is_ok() {
                    let from = i - n.len();
                    let to = i + 1 + word.len();
                    let painted = style.paint(&l[from..to], tone);
                    l.replace_range(from..to, &painted);
                }
            }
        }
    }
}

/// kubeadm's two tables (plus STATUS), then the findings; in each,
/// failures first, then warnings, then the rest (kubeadm's order within
/// each). `problems`: only rows that are not ok, findings that are not
/// notes.
pub fn render_check_table(report: &Report, problems: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut ordered: Vec<&check::Row> = report
        .rows
        .iter()
        .filter(|r| !problems || is_problem(r))
        .collect();
    ordered.sort_by_key(|r| status_rank(r.status));
    let leaves: Vec<Vec<String>> = ordered
        .iter()
        .filter(|r| r.kind == Kind::Certificate)
        .map(|r| {
            vec![
                r.name.clone(),
                r.not_after.clone(),
                r.residual.clone(),
                r.ca.clone(),
                yes_no(r.externally_managed),
                r.status.to_string(),
            ]
        })
        .collect();
    if !leaves.is_empty() {
        lines.extend(table(
            &[
                "CERTIFICATE",
                "EXPIRES",
                "RESIDUAL TIME",
                "CERTIFICATE AUTHORITY",
                "EXTERNALLY MANAGED",
                "STATUS",
            ],
            &leaves,
        ));
    }
    let cas: Vec<Vec<String>> = ordered
        .iter()
        .filter(|r| r.kind == Kind::Ca)
        .map(|r| {
            vec![
                r.name.clone(),
                r.not_after.clone(),
                r.residual.clone(),
                yes_no(r.externally_managed),
                r.status.to_string(),
            ]
        })
        .collect();
    if !cas.is_empty() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(table(
            &[
                "CERTIFICATE AUTHORITY",
                "EXPIRES",
                "RESIDUAL TIME",
                "EXTERNALLY MANAGED",
                "STATUS",
            ],
            &cas,
        ));
    }
    let mut findings: Vec<(Severity, String)> = ordered
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                let line = format!("{:<5}  {}: {f}", severity_word(f.severity()), r.name);
                (f.severity(), line)
            })
        })
        .filter(|(sev, _)| !problems || *sev != Severity::Info)
        .collect();
    findings.sort_by_key(|(sev, _)| match sev {
        Severity::Error => 0,
        Severity::Warn => 1,
        Severity::Info => 2,
    });
    let findings: Vec<String> = findings.into_iter().map(|(_, l)| l).collect();
    if !findings.is_empty() {
        lines.push(String::new());
        lines.push("FINDINGS".into());
        lines.extend(findings);
    }
    lines
}

/// Colours the STATUS columns and the severities of the FINDINGS section.
fn paint_check_table(lines: &mut [String], style: Style) {
    style.paint_column(lines, "STATUS", status_tone);
    let findings = lines.iter().position(|l| l == "FINDINGS");
    for l in lines
        .iter_mut()
        .skip(findings.map_or(usize::MAX, |i| i + 1))
    {
        if let Some((word, rest)) = l.split_once(' ') {
            *l = format!("{} {rest}", style.status(word));
        }
    }
}

fn summary(report: &Report, at: Timestamp) -> String {
    let count = |s: &str| {
        report
            .rows
            .iter()
            .filter(|r| r.status.as_str() == s)
            .count()
    };
    let leaves = report
        .rows
        .iter()
        .filter(|r| r.kind == Kind::Certificate)
        .count();
    let cas = report.rows.len() - leaves;
    format!(
        "{leaves} certificates, {cas} CAs: {} ok, {} warn, {} expired, {} not yet valid, {} invalid; {} unreadable; judged at {at}",
        count("ok"),
        count("warn"),
        count("expired"),
        count("not_yet_valid"),
        count("invalid"),
        report.problems.len()
    )
}

/// A metric: name, help text, value of a row at the judging time.
type Metric = (
    &'static str,
    &'static str,
    fn(&check::Row, Timestamp) -> i64,
);

fn prom_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Prometheus text exposition in x509-certificate-exporter's style:
/// `x509_cert_not_before`, `x509_cert_not_after` (Unix seconds),
/// `x509_cert_expired` (0/1 at the judging time), `x509_read_errors`.
pub fn render_prometheus(report: &Report, at: Timestamp) -> String {
    let mut s = String::new();
    let labels = |r: &check::Row| {
        format!(
            "path=\"{}\",name=\"{}\",subject=\"{}\",issuer=\"{}\",serial_number=\"{}\",status=\"{}\"",
            prom_escape(&r.path),
            prom_escape(&r.name),
            prom_escape(&r.subject),
            prom_escape(&r.issuer),
            prom_escape(&r.serial),
            r.status
        )
    };
    let metrics: [Metric; 3] = [
        (
            "x509_cert_not_before",
            "The date before which the certificate is not valid, as Unix time.",
            |r, _| r.cert.not_before.unix,
        ),
        (
            "x509_cert_not_after",
            "The date after which the certificate expires, as Unix time.",
            |r, _| r.cert.not_after.unix,
        ),
        (
            "x509_cert_expired",
            "1 when the certificate is expired at the judging time.",
            |r, at| i64::from(r.cert.seconds_left(at) < 0),
        ),
    ];
    for (name, help, value) in metrics {
        s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for r in &report.rows {
            s.push_str(&format!("{name}{{{}}} {}\n", labels(r), value(r, at)));
        }
    }
    s.push_str("# HELP x509_read_errors Files or fields that could not be read.\n# TYPE x509_read_errors gauge\n");
    s.push_str(&format!("x509_read_errors {}\n", report.problems.len()));
    s
}

// ---------------------------------------------------------------------------
// certs show

#[derive(Serialize)]
struct ShowJson<'a> {
    path: String,
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(flatten)]
    cert: &'a CertInfo,
    residual: String,
    residual_days: i64,
}

fn run_show(a: ShowArgs, common: &Common) -> i32 {
    let at = judge_time(common);
    let mut out = stdout_out();
    let mut shown = 0usize;
    for path in &a.paths {
        let bytes = match load::read_bytes(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("kinspect: error: {e}");
                continue;
            }
        };
        // (certificates, where in the file, private keys seen)
        let mut groups: Vec<(Vec<CertInfo>, Option<String>, usize)> = Vec::new();
        if looks_like_kubeconfig(&bytes) {
            match Kubeconfig::parse(&bytes, path, &NodeRoot::host()) {
                Ok(kc) => {
                    for cl in &kc.clusters {
                        if let Some(m) = &cl.ca {
                            match m.contents() {
                                Ok(c) => groups.push((
                                    c.certs,
                                    Some(format!("clusters[{}].{}", cl.name, m.field())),
                                    0,
                                )),
                                Err(e) => eprintln!(
                                    "kinspect: error: {}: clusters[{}]: {e}",
                                    path.display(),
                                    cl.name
                                ),
                            }
                        }
                    }
                    for u in &kc.users {
                        if let Some(m) = &u.cert {
                            let keys = u
                                .key
                                .as_ref()
                                .and_then(|k| k.contents().ok())
                                .map(|c| c.keys.len())
                                .unwrap_or(0);
                            match m.contents() {
                                Ok(c) => groups.push((
                                    c.certs,
                                    Some(format!("users[{}].{}", u.name, m.field())),
                                    keys,
                                )),
                                Err(e) => eprintln!(
                                    "kinspect: error: {}: users[{}]: {e}",
                                    path.display(),
                                    u.name
                                ),
                            }
                        }
                    }
                }
                Err(e) => {
                    eprintln!("kinspect: error: {e}");
                    continue;
                }
            }
        } else {
            let c = load::parse(&bytes);
            for p in &c.problems {
                eprintln!("kinspect: error: {}: {p}", path.display());
            }
            if c.certs.is_empty() {
                if c.problems.is_empty() {
                    eprintln!("kinspect: error: {}: {}", path.display(), c.why_empty());
                }
                continue;
            }
            let keys = c.keys.len();
            groups.push((c.certs, None, keys));
        }
        for (certs, field, keys) in groups {
            let n = certs.len();
            for (i, cert) in certs.iter().enumerate() {
                shown += 1;
                let left = cert.seconds_left(at);
                match common.output {
                    Format::Table | Format::Wide => {
                        if shown > 1 {
                            out.line("");
                        }
                        let place = match &field {
                            Some(f) => format!("{} {f}", path.display()),
                            None => path.display().to_string(),
                        };
                        out.line(&format!("== {place} (certificate {} of {n})", i + 1));
                        for l in describe(cert, at) {
                            out.wrapped(&l, 21);
                        }
                        if i == 0 && keys > 0 {
                            out.line(&format!(
                                "{:<21}{keys} in the same source (not shown)",
                                "Private key:"
                            ));
                        }
                    }
                    _ => out.json(&ShowJson {
                        path: path.display().to_string(),
                        index: i,
                        field: field.clone(),
                        cert,
                        residual: residual(left),
                        residual_days: crate::pki::finding::days(left),
                    }),
                }
            }
        }
    }
    // Exit 2 only when nothing at all could be shown.
    let code = if shown == 0 { EXIT_USAGE } else { EXIT_OK };
    finish(out, code)
}

fn critical(cert: &CertInfo, oid: &str) -> &'static str {
    if cert.extensions.iter().any(|e| e.oid == oid && e.critical) {
        " (critical)"
    } else {
        ""
    }
}

/// `certs show` lines for one certificate.
pub fn describe(c: &CertInfo, at: Timestamp) -> Vec<String> {
    let mut v = Vec::new();
    let mut kv = |k: &str, val: String| v.push(format!("{:<21}{val}", format!("{k}:")));
    kv("Subject", c.subject.clone());
    kv("Issuer", c.issuer.clone());
    kv("Serial", c.serial.clone());
    kv("Version", c.version.to_string());
    kv("Not before", c.not_before.rfc3339());
    let left = c.seconds_left(at);
    let state = match c.validity_at(at) {
        crate::pki::cert::Validity::Expired => {
            format!("expired {} ago", crate::pki::finding::span(left))
        }
        crate::pki::cert::Validity::NotYetValid => "not valid yet".into(),
        crate::pki::cert::Validity::Valid => format!("{} left", residual(left)),
    };
    kv(
        "Not after",
        format!("{}  ({state} at {at})", c.not_after.rfc3339()),
    );
    kv("Public key", c.key.to_string());
    kv("Signature algorithm", c.signature_algorithm.clone());
    if !c.sans.is_empty() {
        kv(
            "Subject alt names",
            format!("{}{}", c.san_strings().join(", "), critical(c, "2.5.29.17")),
        );
    }
    if let Some(ku) = &c.key_usage {
        kv(
            "Key usage",
            format!("{}{}", ku.join(", "), critical(c, "2.5.29.15")),
        );
    }
    if let Some(eku) = &c.ext_key_usage {
        let names: Vec<String> = eku.iter().map(|e| e.to_string()).collect();
        kv(
            "Extended key usage",
            format!("{}{}", names.join(", "), critical(c, "2.5.29.37")),
        );
    }
    if c.basic_constraints {
        let pl = c
            .path_len
            .map(|p| format!(", pathlen:{p}"))
            .unwrap_or_default();
        kv(
            "Basic constraints",
            format!(
                "CA:{}{pl}{}",
                if c.is_ca { "TRUE" } else { "FALSE" },
                critical(c, "2.5.29.19")
            ),
        );
    }
    if let Some(k) = &c.subject_key_id {
        kv("Subject key id", crate::pki::cert::colon_hex(k));
    }
    if let Some(k) = &c.authority_key_id {
        kv("Authority key id", crate::pki::cert::colon_hex(k));
    }
    kv("SHA-256 fingerprint", c.fingerprint());
    kv("SHA-1 fingerprint", crate::pki::cert::colon_hex(&c.sha1));
    if c.self_issued() {
        kv("Self-issued", "yes (subject = issuer)".into());
    }
    let exts: Vec<String> = c
        .extensions
        .iter()
        .map(|e| {
            format!(
                "{} {}{}",
                e.oid,
                e.name,
                if e.critical { " (critical)" } else { "" }
            )
        })
        .collect();
    if !exts.is_empty() {
        kv("Extensions", exts.join("; "));
    }
    v
}

// ---------------------------------------------------------------------------
// certs verify

#[derive(Serialize)]
struct ChainJson {
    depth: usize,
    role: Role,
    subject: String,
    issuer: String,
    not_before: String,
    not_after: String,
    source: Option<String>,
    signature: Option<Signature>,
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    path: String,
    valid: bool,
    status: crate::pki::Status,
    chain: Vec<ChainJson>,
    findings: Vec<String>,
    webpki: Option<String>,
    judged_at: &'a str,
}

const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn load_all(paths: &[PathBuf], what: &str) -> Result<Vec<(CertInfo, String)>, String> {
    let mut v = Vec::new();
    for p in paths {
        let c = load::read_file(p).map_err(|e| e.to_string())?;
        for prob in &c.problems {
            eprintln!("kinspect: warning: {}: {prob}", p.display());
        }
        if c.certs.is_empty() {
            return Err(format!("{}: {what}: {}", p.display(), c.why_empty()));
        }
        v.extend(
            c.certs
                .into_iter()
                .map(|cert| (cert, p.display().to_string())),
        );
    }
    Ok(v)
}

fn run_verify(a: VerifyArgs, common: &Common) -> i32 {
    let at = judge_time(common);
    let leaf_certs = match load::load_certs(&a.leaf) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let mut roots_paths = a.roots.clone();
    if roots_paths.is_empty() {
        if let Some(p) = SYSTEM_BUNDLES.iter().find(|p| Path::new(p).exists()) {
            roots_paths.push(PathBuf::from(p));
        }
    }
    let roots = match load_all(&roots_paths, "--roots") {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let extra = match load_all(&a.intermediates, "--intermediates") {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let anchors: Vec<Anchor> = roots
        .into_iter()
        .map(|(c, src)| Anchor::new(c, src))
        .collect();
    let mut intermediates: Vec<CertInfo> = leaf_certs[1..].to_vec();
    intermediates.extend(extra.into_iter().map(|(c, _)| c));
    let leaf = &leaf_certs[0];
    let mut opts = VerifyOptions::new(&anchors, at);
    opts.intermediates = &intermediates;
    opts.name = a.name.as_deref();
    opts.purpose = a.purpose;
    let v = verify(leaf, &opts);
    let valid = v.is_valid();
    let display = a.leaf.display().to_string();
    let mut out = stdout_out();
    match common.output {
        Format::Table | Format::Wide => {
            out.line(&format!(
                "{display}: {}",
                if valid { "OK" } else { "INVALID" }
            ));
            out.line("chain:");
            for (i, l) in v.chain.iter().enumerate() {
                let role = match l.role {
                    Role::Leaf => "leaf".to_string(),
                    Role::Intermediate => "intermediate".to_string(),
                    Role::Anchor => format!(
                        "trust anchor from {}",
                        l.source.as_deref().unwrap_or("--roots")
                    ),
                };
                out.line(&format!("  {i} {}  ({role})", l.cert.subject));
                out.line(&format!(
                    "      valid {} .. {}, {}, {}",
                    l.cert.not_before.rfc3339(),
                    l.cert.not_after.rfc3339(),
                    l.cert.key,
                    l.cert.signature_algorithm
                ));
                if !l.cert.sans.is_empty() {
                    out.wrapped(
                        &format!("      SAN {}", l.cert.san_strings().join(", ")),
                        10,
                    );
                }
                match &l.signed_by_next {
                    Some(Signature::Valid) => {
                        out.line(&format!("      signed by {}: signature verified", i + 1))
                    }
                    Some(Signature::Invalid) => {
                        out.line(&format!("      signed by {}: signature INVALID", i + 1))
                    }
                    Some(Signature::Unsupported(w)) => out.line(&format!(
                        "      signed by {}: signature not checked ({w})",
                        i + 1
                    )),
                    None if l.role == Role::Leaf && v.chain.len() == 1 && v.anchored => {
                        out.line("      trusted itself (it is among --roots)")
                    }
                    None => {}
                }
            }
            if !v.findings.is_empty() {
                out.line("findings:");
                for f in &v.findings {
                    out.wrapped(&format!("  {:<5}  {f}", severity_word(f.severity())), 9);
                }
            }
            match &v.webpki {
                Some(Ok(())) => out.line("webpki: verifies the same chain"),
                Some(Err(e)) => out.line(&format!("webpki: rejects it ({e})")),
                None => {}
            }
            out.line(&format!("judged at {at}"));
        }
        _ => {
            let at_s = at.to_string();
            out.json(&VerifyJson {
                path: display,
                valid,
                status: v.status(),
                chain: v
                    .chain
                    .iter()
                    .enumerate()
                    .map(|(i, l)| ChainJson {
                        depth: i,
                        role: l.role,
                        subject: l.cert.subject.clone(),
                        issuer: l.cert.issuer.clone(),
                        not_before: l.cert.not_before.rfc3339(),
                        not_after: l.cert.not_after.rfc3339(),
                        source: l.source.clone(),
                        signature: l.signed_by_next.clone(),
                    })
                    .collect(),
                findings: v.findings.iter().map(|f| f.to_string()).collect(),
                webpki: v.webpki.as_ref().map(|r| match r {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.clone(),
                }),
                judged_at: &at_s,
            });
        }
    }
    finish(out, if valid { EXIT_OK } else { EXIT_PROBLEM })
}

// ---------------------------------------------------------------------------
// certs kubelet

fn run_kubelet(a: KubeletArgs, common: &Common) -> i32 {
    let opts = KubeletOptions {
        root: a.root.map(NodeRoot::under).unwrap_or_default(),
        at: judge_time(common),
        warn_days: common.warn_days,
        probe: a.probe,
    };
    let report = kubelet::inspect(&opts);
    for p in &report.problems {
        eprintln!("kinspect: warning: {}: {}", p.path, p.message);
    }
    if report.nothing_read() {
        eprintln!("kinspect: error: no kubelet certificate or configuration found");
        return EXIT_USAGE;
    }
    let mut out = stdout_out();
    match common.output {
        Format::Table | Format::Wide => {
            for l in kubelet::render(&report) {
                out.wrapped(&l, 4);
            }
        }
        _ => {
            // One object per line, told apart by `type`.
            let typed = |t: &str, v: serde_json::Result<serde_json::Value>| {
                let mut v = v.unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("type".into(), t.into());
                }
                v
            };
            for c in &report.certificates {
                out.json(&typed("certificate", serde_json::to_value(c)));
            }
            out.json(&typed("config", serde_json::to_value(&report.config)));
            if let Some(p) = &report.probe {
                out.json(&typed("probe", serde_json::to_value(p)));
            }
        }
    }
    finish(out, report.exit_code())
}

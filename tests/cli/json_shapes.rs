//! The JSON Lines contract (DESIGN.md, "JSON output": field names are
//! snake_case and stable): every object `-o json` prints for `pcap flows`,
//! `pcap tls`, `pcap rpc`, `pcap election`, `certs check` and `doctor`, on
//! every capture of `captures/` and every scenario of `certs/`, is read into
//! a typed mirror that refuses unknown fields. A field renamed, dropped,
//! added or changed in type fails here and has to be changed on purpose,
//! in this file and in the docs. Closed sets the docs list (`end`,
//! `component`, statuses) are enums, so a new value fails too.

// The mirrors' fields are there for serde to check, not to be read.
#![allow(dead_code)]

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A field that is always written, maybe as `null`. Unlike `Option`, which
/// serde lets go missing, a missing `Nullable` field is an error.
#[derive(Debug)]
struct Nullable<T>(Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `Value` asks for any value, which a missing field is not.
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(Nullable(None)),
            v => serde_json::from_value(v)
                .map(|t| Nullable(Some(t)))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `component` (DESIGN.md: the control-plane component on the server side).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum Component {
    EtcdClient,
    EtcdPeer,
    KubeApiserver,
    Kubelet,
    ControllerManager,
    Scheduler,
    KubeProxy,
    Other,
}

/// `end` of a flow (src/event.rs `End`).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum End {
    Fin,
    Rst,
    Open,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Flow {
    client: String,
    server: String,
    component: Component,
    protocol: String,
    protocol_by: String,
    packets: u64,
    bytes: u64,
    client_bytes: u64,
    server_bytes: u64,
    start: String,
    duration_ms: f64,
    end: End,
    gap_bytes: u64,
    client_packets: u64,
    server_packets: u64,
    client_frame_bytes: u64,
    server_frame_bytes: u64,
    retransmitted_bytes: u64,
    handshake: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsCertificate {
    subject: String,
    issuer: String,
    serial: String,
    not_before: String,
    not_after: String,
    sans: Vec<String>,
    expired_at_capture: bool,
    not_yet_valid_at_capture: bool,
    self_signed: bool,
    findings: Vec<String>,
    sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsAlert {
    from: String,
    level: String,
    description: String,
    encrypted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsDirection {
    records: u64,
    application_data_records: u64,
    application_data_bytes: u64,
    decrypted_bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartTls {
    protocol: Nullable<String>,
    command: Nullable<String>,
    client_prefix_bytes: u64,
    server_prefix_bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsSession {
    client: String,
    server: String,
    sni: Nullable<String>,
    alpn: Vec<String>,
    version: Nullable<String>,
    cipher: Nullable<String>,
    ja3: Nullable<String>,
    ja4: Nullable<String>,
    certificates: Vec<TlsCertificate>,
    alerts: Vec<TlsAlert>,
    verdict: String,
    component: Component,
    alpn_negotiated: Nullable<String>,
    ja3s: Nullable<String>,
    ja4s: Nullable<String>,
    client_certificates: Vec<TlsCertificate>,
    client_certificate_requested: bool,
    resumed: bool,
    hello_retry_request: bool,
    decrypted: bool,
    inferred: bool,
    evidence: Vec<String>,
    client_to_server: TlsDirection,
    server_to_client: TlsDirection,
    skipped_bytes: u64,
    /// Only after a plaintext exchange (STARTTLS, SSLRequest).
    starttls: Option<StartTls>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RpcRow {
    method: String,
    protocol: String,
    calls: u64,
    errors: u64,
    p50_ms: Nullable<f64>,
    p90_ms: Nullable<f64>,
    p99_ms: Nullable<f64>,
    max_ms: Nullable<f64>,
}

/// `reason` of a leader change (src/view/election.rs).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum ElectionReason {
    Election,
    Transfer,
    Observed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaderChange {
    ts: String,
    term: u64,
    leader: String,
    previous_leader: Nullable<String>,
    no_leader_ms: Nullable<f64>,
    reason: ElectionReason,
    // Present only when known.
    leader_name: Option<String>,
    leader_peer_url: Option<String>,
    previous_leader_name: Option<String>,
    previous_term: Option<u64>,
    campaign_started: Option<String>,
    campaigners: Vec<String>,
    votes_granted: Vec<String>,
    votes_rejected: Vec<String>,
    // Present only when not empty.
    #[serde(default)]
    pre_campaigners: Vec<String>,
    #[serde(default)]
    pre_votes_granted: Vec<String>,
    #[serde(default)]
    pre_votes_rejected: Vec<String>,
    #[serde(default)]
    failed_terms: Vec<u64>,
}

/// `status` of a certificate (DESIGN.md, `certs check`).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum CertStatus {
    Ok,
    Warn,
    Expired,
    NotYetValid,
    Invalid,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckedCert {
    name: String,
    path: String,
    kind: String,
    subject: String,
    issuer: String,
    serial: String,
    not_before: String,
    not_after: String,
    residual: String,
    residual_days: i64,
    ca: String,
    /// `null` where kubeadm's notion does not apply.
    externally_managed: Nullable<bool>,
    status: CertStatus,
    findings: Vec<String>,
}

/// `status` of a doctor finding (DESIGN.md, `doctor`).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum FindingStatus {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    check: String,
    status: FindingStatus,
    file: Nullable<String>,
    line: Nullable<u64>,
    endpoint: Nullable<String>,
    message: String,
    fix: Nullable<String>,
}

/// Every key of `v`, at any depth, is snake_case (lower-case ASCII, digits
/// and `_`).
fn keys_are_snake_case(v: &serde_json::Value, at: &str) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{at}: key {k:?} is not snake_case"
                );
                keys_are_snake_case(v, at);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys_are_snake_case(v, at)),
        _ => {}
    }
}

/// Each line of `args`' stdout read as `T`; fails naming the command, the
/// line and serde's reason (the unknown or missing field).
fn rows<T: DeserializeOwned>(args: &[&str]) -> Vec<T> {
    let run = common::kinspect_in(args, Path::new(ROOT)).finished();
    let what = format!("kinspect {}", args.join(" "));
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{what}: exit {:?}\n{}",
        run.code,
        run.stderr
    );
    common::json_lines(&what, &run.stdout)
        .into_iter()
        .map(|value| {
            keys_are_snake_case(&value, &what);
            serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("{what}: {e}\nin the object: {value}"))
        })
        .collect()
}

/// The repository's captures, each with its key log when it has one.
fn captures() -> Vec<(String, Option<String>)> {
    let root = Path::new(ROOT);
    let found = common::captures_under(root, &root.join("captures"));
    assert!(found.len() >= 8, "only {} captures", found.len());
    found
        .into_iter()
        .map(|capture| {
            let keys = Path::new(&capture).with_extension("keys");
            let keys = root
                .join(&keys)
                .is_file()
                .then(|| keys.display().to_string());
            (capture, keys)
        })
        .collect()
}

/// `pcap VIEW -o json` on every capture (with its key log), all rows.
fn pcap_rows<T: DeserializeOwned>(view: &str) -> Vec<T> {
    let mut all = Vec::new();
    for (capture, keys) in captures() {
        let mut args = vec!["pcap", view, "-o", "json"];
        if let Some(k) = &keys {
            args.extend(["--keylog", k.as_str()]);
        }
        args.push(&capture);
        all.extend(rows::<T>(&args));
    }
    all
}

#[test]
fn flow_rows_have_the_documented_fields() {
    let flows: Vec<Flow> = pcap_rows("flows");
    assert!(flows.len() > 1000, "{} flows", flows.len());
    // Each closed set shows more than one of its values on these captures.
    assert!(flows.iter().any(|f| f.end == End::Fin));
    assert!(flows.iter().any(|f| f.end == End::Rst));
    assert!(flows.iter().any(|f| f.component == Component::EtcdPeer));
    assert!(flows.iter().any(|f| f.component == Component::EtcdClient));
}

#[test]
fn tls_sessions_have_the_documented_fields() {
    let sessions: Vec<TlsSession> = pcap_rows("tls");
    assert!(sessions.len() >= 10, "{} sessions", sessions.len());
    assert!(sessions.iter().any(|s| s.decrypted));
    assert!(sessions.iter().any(|s| !s.alerts.is_empty()));
    assert!(sessions.iter().any(|s| !s.certificates.is_empty()));
}

#[test]
fn rpc_rows_have_the_documented_fields() {
    let rpcs: Vec<RpcRow> = pcap_rows("rpc");
    assert!(rpcs.iter().any(|r| r.calls > 0 && r.p50_ms.0.is_some()));
}

#[test]
fn leader_changes_have_the_documented_fields() {
    let changes: Vec<LeaderChange> = pcap_rows("election");
    assert!(changes.iter().any(|c| c.reason == ElectionReason::Election));
    assert!(changes.iter().any(|c| c.reason == ElectionReason::Transfer));
}

/// Every folder of `certs/` (certs/README.md says what each shows), with
/// whether it is a node tree (`etc/kubernetes`, `var/lib/kubelet`) or a
/// folder of loose files.
fn scenarios() -> Vec<(String, bool)> {
    let mut dirs: Vec<(String, bool)> = std::fs::read_dir(Path::new(ROOT).join("certs"))
        .expect("certs/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (format!("certs/{name}"), p.join("etc/kubernetes").is_dir())
        })
        .collect();
    dirs.sort();
    assert!(
        dirs.iter().filter(|(_, tree)| *tree).count() >= 8,
        "too few node trees in {dirs:?}"
    );
    dirs
}

/// Judged on one date, so that the statuses stay what they are.
const AT: &str = "2026-06-01T00:00:00Z";

#[test]
fn certificate_rows_have_the_documented_fields() {
    let mut all = Vec::new();
    for (dir, tree) in scenarios() {
        let mut args = vec!["certs", "check", "-o", "json", "--at", AT];
        if tree {
            args.push("--root");
        }
        args.push(&dir);
        all.extend(rows::<CheckedCert>(&args));
    }
    assert!(all.len() > 100, "{} certificates", all.len());
    for status in [
        CertStatus::Ok,
        CertStatus::Warn,
        CertStatus::Expired,
        CertStatus::NotYetValid,
        CertStatus::Invalid,
    ] {
        assert!(all.iter().any(|c| c.status == status), "no {status:?}");
    }
    assert!(all.iter().any(|c| c.externally_managed.0.is_none()));
}

#[test]
fn doctor_findings_have_the_documented_fields() {
    let mut all = Vec::new();
    for (dir, _) in scenarios().into_iter().filter(|(_, tree)| *tree) {
        all.extend(rows::<Finding>(&[
            "doctor", "-o", "json", "--root", &dir, "--at", AT,
        ]));
    }
    assert!(all.len() > 50, "{} findings", all.len());
    assert!(all.iter().any(|f| f.status == FindingStatus::Ok));
    assert!(all.iter().any(|f| f.status != FindingStatus::Ok));
    assert!(all.iter().any(|f| f.line.0.is_some()));
}

//! Certificates seen in a capture, judged at the packet's timestamp with
//! `pki`: expired or not yet valid at capture time, self-signed, chain
//! order, issuer absent from the presented chain (a capture has no trust
//! store, so nothing is called "untrusted"), signatures between presented
//! certificates, and the SNI against the leaf's SANs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;

use crate::pki::cert::{CertInfo, Validity};
use crate::pki::finding::Purpose;
use crate::pki::verify::{Signature, ca_as_end_entity, check_signature, name_matches};
use crate::timestamp::{Timestamp, human_duration};

/// Certificates judged per message at most (a chain longer than this is
/// cut and said to be).
pub const MAX_CHAIN: usize = 16;

/// One presented certificate and what is wrong with it at capture time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub sans: Vec<String>,
    pub expired_at_capture: bool,
    pub not_yet_valid_at_capture: bool,
    pub self_signed: bool,
    /// Sentences: "expired at capture time (...)", "issuer not in the presented chain: ...".
    pub findings: Vec<String>,
    /// SHA-256 of the DER, hex.
    pub sha256: String,
}

impl CertSummary {
    /// The common name if any, else the subject.
    pub fn short_subject(&self) -> &str {
        self.subject
            .split(',')
            .find_map(|rdn| rdn.strip_prefix("CN="))
            .unwrap_or(&self.subject)
    }
}

/// Parsed certificates kept for reuse: the same server certificate comes
/// back in every connection to that server, and parsing is most of the
/// cost of a handshake. Bounded: at most this many entries, then cleared.
const PARSED_CACHE_MAX: usize = 512;

type ParsedCache = HashMap<Vec<u8>, Arc<CertInfo>>;

fn parsed_cache() -> &'static Mutex<ParsedCache> {
    static CACHE: OnceLock<Mutex<ParsedCache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `CertInfo::from_der` through the cache.
fn parse_cached(der: &[u8]) -> Result<Arc<CertInfo>, crate::pki::cert::CertError> {
    if let Ok(cache) = parsed_cache().lock() {
        if let Some(hit) = cache.get(der) {
            return Ok(hit.clone());
        }
    }
    let info = Arc::new(CertInfo::from_der(der)?);
    if let Ok(mut cache) = parsed_cache().lock() {
        if cache.len() >= PARSED_CACHE_MAX {
            cache.clear();
        }
        cache.insert(der.to_vec(), info.clone());
    }
    Ok(info)
}

type SignatureCache = HashMap<(Vec<u8>, Vec<u8>), Signature>;

/// `check_signature` results by (certificate, issuer) SHA-256, for the same
/// reason and with the same bound as the parse cache.
fn signature_cached(cert: &CertInfo, issuer: &CertInfo) -> Signature {
    static CACHE: OnceLock<Mutex<SignatureCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (cert.sha256.clone(), issuer.sha256.clone());
    if let Ok(c) = cache.lock() {
        if let Some(hit) = c.get(&key) {
            return hit.clone();
        }
    }
    let result = check_signature(cert, issuer);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= PARSED_CACHE_MAX {
            c.clear();
        }
        c.insert(key, result.clone());
    }
    result
}

/// Parses and judges a presented chain (leaf first), sent by the server
/// (`used_as` [`Purpose::Server`]) or the client. `sni` is checked against
/// the leaf when the chain was sent by the server. A leaf that is a CA is
/// judged by the same rule as `certs verify` and `tls probe`
/// ([`ca_as_end_entity`]).
pub fn judge_chain(
    ders: &[Vec<u8>],
    at: Timestamp,
    sni: Option<&str>,
    used_as: Purpose,
) -> Vec<CertSummary> {
    let mut infos: Vec<Option<Arc<CertInfo>>> = Vec::new();
    let mut out = Vec::new();
    for der in ders.iter().take(MAX_CHAIN) {
        match parse_cached(der) {
            Ok(info) => {
                out.push(summary_of(&info, at));
                infos.push(Some(info));
            }
            Err(e) => {
                out.push(CertSummary {
                    subject: "<unparsable certificate>".into(),
                    issuer: String::new(),
                    serial: String::new(),
                    not_before: String::new(),
                    not_after: String::new(),
                    sans: Vec::new(),
                    expired_at_capture: false,
                    not_yet_valid_at_capture: false,
                    self_signed: false,
                    findings: vec![format!("cannot parse ({} bytes): {e}", der.len())],
                    sha256: String::new(),
                });
                infos.push(None);
            }
        }
    }
    if ders.len() > MAX_CHAIN {
        if let Some(last) = out.last_mut() {
            last.findings.push(format!(
                "chain has {} certificates; only the first {MAX_CHAIN} are judged",
                ders.len()
            ));
        }
    }
    // Chain order and issuers, between presented certificates only.
    for i in 0..infos.len() {
        let Some(cert) = &infos[i] else { continue };
        if cert.self_issued() {
            continue;
        }
        let next = infos.get(i + 1).and_then(Option::as_ref);
        let next_is_issuer = next.is_some_and(|n| n.subject_der == cert.issuer_der);
        if next_is_issuer {
            if let Some(n) = next {
                if signature_cached(cert, n) == Signature::Invalid {
                    out[i].findings.push(format!(
                        "signature not made by the next certificate's key ({})",
                        n.subject
                    ));
                }
            }
            continue;
        }
        let elsewhere = infos
            .iter()
            .enumerate()
            .find(|(j, c)| *j != i && c.as_ref().is_some_and(|c| c.subject_der == cert.issuer_der));
        match elsewhere {
            Some((j, _)) => out[i].findings.push(format!(
                "chain order wrong: issuer is certificate #{j}, expected right after this one (#{})",
                i + 1
            )),
            None if i + 1 == infos.len() => {
                // The last certificate's issuer being absent is normal when
                // the server leaves out the root; still say so plainly.
                out[i].findings.push(format!(
                    "issuer not in the presented chain: {}",
                    cert.issuer
                ));
            }
            None => out[i].findings.push(format!(
                "issuer not in the presented chain: {} (next certificate is {})",
                cert.issuer,
                next.map(|n| n.subject.as_str()).unwrap_or("unparsable")
            )),
        }
    }
    if let (Some(Some(leaf)), Some(leaf_summary)) = (infos.first(), out.first_mut()) {
        if let Some(f) = ca_as_end_entity(leaf, used_as) {
            leaf_summary.findings.push(f.to_string());
        }
    }
    if let (Some(name), Some(Some(leaf)), Some(leaf_summary)) =
        (sni, infos.first(), out.first_mut())
    {
        if !name_matches(leaf, name) {
            let sans = if leaf.sans.is_empty() {
                "no SANs".to_string()
            } else {
                leaf.san_strings().join(", ")
            };
            leaf_summary
                .findings
                .push(format!("SNI {name} not covered by the SANs ({sans})"));
        }
    }
    out
}

fn summary_of(info: &CertInfo, at: Timestamp) -> CertSummary {
    let validity = info.validity_at(at);
    let mut findings = Vec::new();
    let at_secs = at.0.div_euclid(1_000_000_000);
    match validity {
        Validity::Expired => findings.push(format!(
            "expired at capture time (notAfter {}, {} before the capture)",
            info.not_after.rfc3339(),
            human_duration(
                at_secs
                    .saturating_sub(info.not_after.unix)
                    .saturating_mul(1_000_000_000)
            )
        )),
        Validity::NotYetValid => findings.push(format!(
            "not yet valid at capture time (notBefore {}, {} after the capture)",
            info.not_before.rfc3339(),
            human_duration(
                info.not_before
                    .unix
                    .saturating_sub(at_secs)
                    .saturating_mul(1_000_000_000)
            )
        )),
        Validity::Valid => {}
    }
    let self_signed = info.self_issued() && signature_cached(info, info) == Signature::Valid;
    if self_signed {
        findings.push("self-signed".into());
    } else if info.self_issued() {
        findings.push(
            "self-issued (subject = issuer) but its signature does not verify with its own key"
                .into(),
        );
    }
    CertSummary {
        subject: info.subject.clone(),
        issuer: info.issuer.clone(),
        serial: info.serial.clone(),
        not_before: info.not_before.rfc3339(),
        not_after: info.not_after.rfc3339(),
        sans: info.san_strings(),
        expired_at_capture: validity == Validity::Expired,
        not_yet_valid_at_capture: validity == Validity::NotYetValid,
        self_signed,
        findings,
        sha256: hex::encode(&info.sha256),
    }
}

//! Chain building and verification, with reasons.
//!
//! [`verify`] walks from a leaf to a trust anchor by issuer name, checks
//! each signature with *ring* (including RSA keys under 2048 bits and SHA-1,
//! so old lab PKIs are judged instead of refused), then judges every link
//! at the given time — **trust anchors included**, which webpki never
//! does: a kubeadm CA at the end of its ten years is an outage — together
//! with CA flags, key usage, path length, the leaf's extended key usage,
//! its SANs, key strength and signature algorithm. Dates before 1970 and
//! after 2049 are handled (webpki calls them `BadDerTime`).
//!
//! rustls-webpki then gives a second opinion on the same chain when the
//! dates allow; its result is kept in [`Verification::webpki`] and turned
//! into a [`Finding::Rejected`] only for what the checks above do not
//! cover (name constraints, unknown critical extensions, malformed DER).

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Serialize;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::cert::{CertInfo, KeyAlgorithm, San, Validity};
use super::finding::{Finding, Purpose, Severity, Status, span};
use crate::timestamp::Timestamp;

/// A certificate trusted as the end of a chain, and where it came from
/// (named in messages: "does not verify against pki/ca.crt").
#[derive(Debug, Clone)]
pub struct Anchor {
    pub cert: CertInfo,
    pub source: String,
}

impl Anchor {
    pub fn new(cert: CertInfo, source: impl Into<String>) -> Anchor {
        Anchor {
            cert,
            source: source.into(),
        }
    }
}

/// What to verify against and for what.
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    pub anchors: &'a [Anchor],
    /// Certificates that may complete the chain (sent by a server, or
    /// `--intermediates`), in any order.
    pub intermediates: &'a [CertInfo],
    /// The time to judge at.
    pub at: Timestamp,
    /// A DNS name or IP address the leaf must be valid for.
    pub name: Option<&'a str>,
    /// The extended key usage the leaf needs.
    pub purpose: Option<Purpose>,
    /// Warn when the leaf expires within this many days.
    pub warn_days: Option<u32>,
    /// An anchor (by SHA-256) to ignore: `certs check` judges each CA
    /// against the pool of all the others without copying the pool.
    pub skip_anchor: Option<&'a [u8]>,
}

impl<'a> VerifyOptions<'a> {
    /// Anchors and a time; no name, purpose or warning window.
    pub fn new(anchors: &'a [Anchor], at: Timestamp) -> Self {
        VerifyOptions {
            anchors,
            intermediates: &[],
            at,
            name: None,
            purpose: None,
            warn_days: None,
            skip_anchor: None,
        }
    }
}

/// The result of checking that `issuer` signed `cert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signature {
    Valid,
    Invalid,
    /// The algorithm (or key size) is one *ring* cannot check.
    Unsupported(String),
}

/// Where a link of the chain came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Leaf,
    Intermediate,
    Anchor,
}

/// One certificate of the built chain (leaf first).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub cert: CertInfo,
    pub role: Role,
    /// For anchors: the file or field it came from.
    pub source: Option<String>,
    /// Whether the next link's key made this certificate's signature
    /// (`None` for the last link, or a self-signed anchor).
    pub signed_by_next: Option<Signature>,
}

/// The verdict on one chain.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub chain: Vec<Link>,
    /// The chain reaches a trust anchor with every signature valid.
    pub anchored: bool,
    pub findings: Vec<Finding>,
    /// rustls-webpki's opinion (`None` when it could not be asked: no
    /// anchor, dates outside its range, the leaf itself an anchor).
    pub webpki: Option<Result<(), String>>,
}

impl Verification {
    pub fn status(&self) -> Status {
        Status::of(&self.findings)
    }

    /// No finding of severity error.
    pub fn is_valid(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| f.severity() == Severity::Error)
    }

    /// The anchor the chain ends at.
    pub fn anchor(&self) -> Option<&Link> {
        self.chain.last().filter(|l| l.role == Role::Anchor)
    }
}

/// Checks that `issuer`'s key made `cert`'s signature.
pub fn check_signature(cert: &CertInfo, issuer: &CertInfo) -> Signature {
    use ring::signature as sig;
    let Ok((_, parsed)) = X509Certificate::from_der(&cert.der) else {
        return Signature::Invalid;
    };
    let Ok((_, issuer_parsed)) = X509Certificate::from_der(&issuer.der) else {
        return Signature::Invalid;
    };
    let spki = issuer_parsed.public_key();
    let oid = parsed.signature_algorithm.algorithm.to_id_string();
    let rsa_bits = match issuer.key.algorithm {
        KeyAlgorithm::Rsa => issuer.key.bits,
        _ => 0,
    };
    let curve = match &issuer.key.algorithm {
        KeyAlgorithm::Ec(c) => c.as_str(),
        _ => "",
    };
    let alg: &dyn sig::VerificationAlgorithm = match (oid.as_str(), rsa_bits, curve) {
        ("1.2.840.113549.1.1.11", 2048.., _) => &sig::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.11", 1024.., _) => {
            &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        ("1.2.840.113549.1.1.12", 2048.., _) => &sig::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", 2048.., _) => &sig::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.113549.1.1.13", 1024.., _) => {
            &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        ("1.2.840.113549.1.1.5" | "1.3.14.3.2.29", 1024.., _) => {
            &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        ("1.2.840.10045.4.3.2", _, "P-256") => &sig::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", _, "P-256") => &sig::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", _, "P-384") => &sig::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", _, "P-384") => &sig::ECDSA_P384_SHA384_ASN1,
        ("1.3.101.112", _, _) => &sig::ED25519,
        ("1.2.840.113549.1.1.10", _, _) => {
            // RSA-PSS: x509-parser reads the parameters.
            return match parsed.verify_signature(Some(spki)) {
                Ok(()) => Signature::Valid,
                Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
                    Signature::Unsupported(cert.signature_algorithm.clone())
                }
                Err(_) => Signature::Invalid,
            };
        }
        _ => {
            let what = if rsa_bits > 0 && rsa_bits < 2048 {
                format!("{} with a {rsa_bits}-bit key", cert.signature_algorithm)
            } else {
                cert.signature_algorithm.clone()
            };
            return Signature::Unsupported(what);
        }
    };
    let key = sig::UnparsedPublicKey::new(alg, spki.subject_public_key.data.as_ref());
    match key.verify(
        parsed.tbs_certificate.as_ref(),
        parsed.signature_value.data.as_ref(),
    ) {
        Ok(()) => Signature::Valid,
        Err(_) => Signature::Invalid,
    }
}

/// True when `name` (a DNS name or an IP address) is in the certificate's
/// SANs. The common name is not looked at (Go stopped in 1.15).
pub fn name_matches(cert: &CertInfo, name: &str) -> bool {
    let trimmed = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        return cert
            .sans
            .iter()
            .any(|s| matches!(s, San::Ip(a) if *a == ip));
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    cert.sans.iter().any(|s| match s {
        San::Dns(d) => dns_matches(&d.trim_end_matches('.').to_ascii_lowercase(), &name),
        _ => false,
    })
}

fn dns_matches(pattern: &str, name: &str) -> bool {
    if pattern == name {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix("*.") {
        if let Some((first, rest)) = name.split_once('.') {
            return !first.is_empty() && rest == suffix && suffix.contains('.');
        }
    }
    false
}

/// Issuer candidates tried per chain step (same name; key identifiers that
/// agree first). Real PKIs have one or two (a CA being rotated).
const MAX_CANDIDATES: usize = 16;

/// Builds the chain of `leaf` and judges it. Never fails: whatever is
/// wrong is a [`Finding`].
pub fn verify(leaf: &CertInfo, opts: &VerifyOptions<'_>) -> Verification {
    let mut chain = vec![Link {
        cert: leaf.clone(),
        role: Role::Leaf,
        source: None,
        signed_by_next: None,
    }];
    let mut findings = Vec::new();
    let mut anchored = false;
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    seen.insert(leaf.sha256.clone());

    // The leaf may itself be trusted (openssl verify -CAfile x x).
    let skip = |a: &&Anchor| opts.skip_anchor != Some(a.cert.sha256.as_slice());
    if let Some(a) = opts
        .anchors
        .iter()
        .filter(skip)
        .find(|a| a.cert.sha256 == leaf.sha256)
    {
        chain[0].source = Some(a.source.clone());
        anchored = true;
    }

    while !anchored && chain.len() < 10 {
        let current = chain
            .last()
            .map(|l| l.cert.clone())
            .unwrap_or_else(|| leaf.clone());
        // Candidates by name: anchors first, then intermediates. Borrowed,
        // and at most MAX_CANDIDATES are tried: a bundle of thousands of
        // certificates with one name must not cost thousands of copies and
        // signature checks per certificate.
        let mut candidates: Vec<(&CertInfo, Option<&str>)> = Vec::new();
        for a in opts.anchors.iter().filter(skip) {
            if names_equal(&a.cert, &current) && a.cert.sha256 != current.sha256 {
                candidates.push((&a.cert, Some(a.source.as_str())));
            }
        }
        for i in opts.intermediates {
            if names_equal(i, &current) && !seen.contains(&i.sha256) {
                candidates.push((i, None));
            }
        }
        // Key identifiers that agree first.
        candidates.sort_by_key(|(c, src)| {
            let kid = match (&current.authority_key_id, &c.subject_key_id) {
                (Some(a), Some(s)) if a == s => 0,
                (Some(_), Some(_)) => 2,
                _ => 1,
            };
            (kid, src.is_none())
        });
        candidates.truncate(MAX_CANDIDATES);

        if candidates.is_empty() {
            if current.self_issued() {
                if chain.len() == 1 {
                    findings.push(Finding::SelfSignedUntrusted);
                } else {
                    findings.push(Finding::UnknownIssuer {
                        issuer: current.subject.clone(),
                    });
                }
            } else {
                findings.push(Finding::UnknownIssuer {
                    issuer: current.issuer.clone(),
                });
            }
            break;
        }

        let mut chosen = None;
        let mut unsupported = None;
        for (c, src) in &candidates {
            match check_signature(&current, c) {
                Signature::Valid => {
                    chosen = Some((*c, *src, Signature::Valid));
                    break;
                }
                Signature::Unsupported(what) => {
                    if unsupported.is_none() {
                        unsupported = Some((*c, *src, Signature::Unsupported(what)));
                    }
                }
                Signature::Invalid => {}
            }
        }
        let Some((issuer, source, sig)) = chosen.or(unsupported) else {
            let (c, src) = &candidates[0];
            findings.push(Finding::BadSignature {
                issuer: c.subject.clone(),
                ca_source: src.map_or_else(|| "the intermediate sent".into(), str::to_string),
            });
            break;
        };
        let (issuer, source) = (issuer.clone(), source.map(str::to_string));
        if let Signature::Unsupported(what) = &sig {
            findings.push(Finding::UnsupportedSignature {
                algorithm: what.clone(),
            });
        }
        if let Some(last) = chain.last_mut() {
            last.signed_by_next = Some(sig);
        }
        let is_anchor = source.is_some();
        seen.insert(issuer.sha256.clone());
        chain.push(Link {
            cert: issuer,
            role: if is_anchor {
                Role::Anchor
            } else {
                Role::Intermediate
            },
            source,
            signed_by_next: None,
        });
        if is_anchor {
            anchored = true;
        }
    }
    if chain.len() >= 10 && !anchored {
        findings.push(Finding::UnknownIssuer {
            issuer: chain
                .last()
                .map(|l| l.cert.issuer.clone())
                .unwrap_or_default(),
        });
    }
    judge(leaf, &chain, opts, &mut findings);

    let webpki = if anchored && chain.len() > 1 {
        webpki_opinion(leaf, opts)
    } else {
        None
    };
    if let Some(Err(reason)) = &webpki {
        let ours_fail = findings.iter().any(|f| f.severity() == Severity::Error);
        if !ours_fail && webpki_only(reason) {
            findings.push(Finding::Rejected {
                reason: reason.clone(),
            });
        }
    }
    Verification {
        chain,
        anchored,
        findings,
        webpki,
    }
}

/// A CA certificate used as an end entity (a server or client
/// certificate): [`Finding::CaAsEndEntity`]. webpki refuses such a leaf
/// (`CaUsedAsEndEntity`, rustls-webpki `src/verify_cert.rs`); openssl
/// `verify -purpose sslserver` accepts it. Every command that judges a
/// presented leaf asks this one function.
pub fn ca_as_end_entity(leaf: &CertInfo, used_as: Purpose) -> Option<Finding> {
    leaf.is_ca.then_some(Finding::CaAsEndEntity {
        role: match used_as {
            Purpose::Server => "server",
            Purpose::Client => "client",
        },
    })
}

fn names_equal(issuer: &CertInfo, cert: &CertInfo) -> bool {
    issuer.subject_der == cert.issuer_der
        || (!issuer.subject.is_empty() && issuer.subject.eq_ignore_ascii_case(&cert.issuer))
}

fn judge(leaf: &CertInfo, chain: &[Link], opts: &VerifyOptions<'_>, out: &mut Vec<Finding>) {
    let at = opts.at;
    let now_secs = at.0.div_euclid(1_000_000_000);
    match leaf.validity_at(at) {
        Validity::Expired => out.push(Finding::Expired {
            not_after: leaf.not_after.rfc3339(),
            ago: span(now_secs.saturating_sub(leaf.not_after.unix)),
        }),
        Validity::NotYetValid => out.push(Finding::NotYetValid {
            not_before: leaf.not_before.rfc3339(),
            in_: span(leaf.not_before.unix.saturating_sub(now_secs)),
        }),
        Validity::Valid => {
            if let Some(days) = opts.warn_days {
                let left = leaf.seconds_left(at);
                if left < i64::from(days) * 86_400 {
                    out.push(Finding::ExpiresSoon {
                        not_after: leaf.not_after.rfc3339(),
                        left: span(left),
                    });
                }
            }
        }
    }
    let mut intermediates_below = 0u32;
    for (i, link) in chain.iter().enumerate().skip(1) {
        let ca = &link.cert;
        let name = ca.subject.clone();
        match ca.validity_at(at) {
            Validity::Expired => out.push(Finding::CaExpired {
                ca: name.clone(),
                not_after: ca.not_after.rfc3339(),
                ago: span(now_secs.saturating_sub(ca.not_after.unix)),
            }),
            Validity::NotYetValid => out.push(Finding::CaNotYetValid {
                ca: name.clone(),
                not_before: ca.not_before.rfc3339(),
            }),
            Validity::Valid => {
                if ca.not_after.unix < leaf.not_after.unix {
                    out.push(Finding::CaExpiresFirst {
                        ca: name.clone(),
                        ca_not_after: ca.not_after.rfc3339(),
                        not_after: leaf.not_after.rfc3339(),
                    });
                }
            }
        }
        let v1_root = link.role == Role::Anchor && ca.version < 3;
        if !ca.is_ca && !v1_root {
            out.push(Finding::IssuerNotCa {
                issuer: name.clone(),
            });
        }
        if let Some(ku) = &ca.key_usage {
            if !ku.iter().any(|k| k == "Certificate Sign") {
                out.push(Finding::IssuerCannotSign {
                    issuer: name.clone(),
                });
            }
        }
        if let Some(pl) = ca.path_len {
            if intermediates_below > pl {
                out.push(Finding::PathTooLong {
                    issuer: name.clone(),
                    path_len: pl,
                });
            }
        }
        if i >= 1 && !ca.self_issued() {
            intermediates_below += 1;
        }
    }
    if let Some(purpose) = opts.purpose {
        if !leaf.allows(&purpose.eku()) {
            out.push(Finding::WrongEku {
                needed: purpose,
                has: leaf
                    .ext_key_usage
                    .iter()
                    .flatten()
                    .map(|e| e.to_string())
                    .collect(),
                role: match purpose {
                    Purpose::Server => "a TLS server".into(),
                    Purpose::Client => "a TLS client".into(),
                },
            });
        }
    }
    // Used as an end entity when a purpose or a name is asked for.
    let used_as = opts.purpose.or(opts.name.map(|_| Purpose::Server));
    if let Some(f) = used_as.and_then(|p| ca_as_end_entity(leaf, p)) {
        out.push(f);
    }
    if let Some(name) = opts.name {
        if !name_matches(leaf, name) {
            out.push(Finding::NameMismatch {
                name: name.to_string(),
                sans: leaf.san_strings(),
            });
        }
    }
    if leaf.key.algorithm == KeyAlgorithm::Rsa && leaf.key.bits < 2048 {
        out.push(Finding::WeakKey {
            bits: leaf.key.bits,
        });
    }
    let self_signed_anchor = chain.len() == 1 && leaf.self_issued();
    if leaf.weak_signature() && !self_signed_anchor {
        out.push(Finding::WeakSignature {
            algorithm: leaf.signature_algorithm.clone(),
        });
    }
}

/// webpki's error name without its (long) context: `CertExpired`,
/// `UnsupportedSignatureAlgorithmContext`.
fn short_error(e: &webpki::Error) -> String {
    let s = format!("{e:?}");
    let end = s.find([' ', '(', '{']).unwrap_or(s.len());
    s[..end].to_string()
}

/// webpki errors that none of our own checks explain.
fn webpki_only(reason: &str) -> bool {
    [
        "NameConstraintViolation",
        "UnsupportedCriticalExtension",
        "UnsupportedCertVersion",
        "MalformedExtensions",
        "ExtensionValueInvalid",
        "EmptyEkuExtension",
        "InvalidCertValidity",
        "BadDer",
        "TrailingData",
        "MaximumPathDepthExceeded",
        "SignatureAlgorithmMismatch",
        "MalformedDnsIdentifier",
        "MalformedNameConstraint",
    ]
    .iter()
    .any(|k| reason.starts_with(k) && !reason.starts_with("BadDerTime"))
}

fn webpki_opinion(leaf: &CertInfo, opts: &VerifyOptions<'_>) -> Option<Result<(), String>> {
    let secs = u64::try_from(opts.at.0.div_euclid(1_000_000_000)).ok()?;
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let ee = match webpki::EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return Some(Err(short_error(&e))),
    };
    let anchor_ders: Vec<CertificateDer<'_>> = opts
        .anchors
        .iter()
        .filter(|a| opts.skip_anchor != Some(a.cert.sha256.as_slice()))
        .map(|a| CertificateDer::from(a.cert.der.as_slice()))
        .collect();
    let anchors: Vec<_> = anchor_ders
        .iter()
        .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
        .collect();
    if anchors.is_empty() {
        return None;
    }
    let inter: Vec<CertificateDer<'_>> = opts
        .intermediates
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let purpose = opts
        .purpose
        .unwrap_or(if leaf.allows(&Purpose::Server.eku()) {
            Purpose::Server
        } else {
            Purpose::Client
        });
    let usage = match purpose {
        Purpose::Server => webpki::KeyUsage::server_auth(),
        Purpose::Client => webpki::KeyUsage::client_auth(),
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(secs));
    let r = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &inter,
        time,
        usage,
        None,
        None,
    );
    if let Err(e) = r {
        return Some(Err(short_error(&e)));
    }
    if let Some(name) = opts.name {
        let trimmed = name.trim_start_matches('[').trim_end_matches(']');
        if let Ok(sn) = rustls_pki_types::ServerName::try_from(trimmed) {
            if let Err(e) = ee.verify_is_valid_for_subject_name(&sn) {
                return Some(Err(short_error(&e)));
            }
        }
    }
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(dns_matches("kubernetes", "kubernetes"));
    }

    #[test]
    fn webpki_reasons_we_do_not_explain() {
        assert!(webpki_only("NameConstraintViolation"));
        assert!(!webpki_only("BadDerTime"));
        assert!(!webpki_only("UnknownIssuer"));
        assert!(!webpki_only("CaUsedAsEndEntity"));
    }
}

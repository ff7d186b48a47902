//! The chain the server sent, judged by [`crate::pki::verify()`] (the same
//! judgement as `certs verify`, `pcap tls` and `doctor`: dates of every
//! link including the trust anchor, CA flags, the name, serverAuth, a CA
//! used as the server's certificate) and said in the probe's words: each
//! certificate's report (from [`CertInfo`]) and who signed it, and one
//! finding per problem with a hint. Nothing here decodes or judges a
//! certificate itself.

use super::*;

use crate::pki::cert::{CertInfo, Validity};
use crate::pki::finding::{Finding as CertFinding, Severity as CertSeverity};
use crate::pki::verify::{Anchor, Role, Signature, VerifyOptions, check_signature, verify};

pub(super) struct Analysis {
    pub(super) certs: Vec<CertReport>,
    pub(super) findings: Vec<Finding>,
}

/// The subject, or words for an empty one.
fn subject(c: &CertInfo) -> String {
    if c.subject.is_empty() {
        "(empty name)".into()
    } else {
        c.subject.clone()
    }
}

pub(super) fn subject_of(der: &CertificateDer<'_>) -> String {
    CertInfo::from_der(der)
        .map(|c| subject(&c))
        .unwrap_or_else(|_| "(unparseable certificate)".into())
}

/// A distinguished name from a CertificateRequest (with or without its
/// outer SEQUENCE, depending on the encoder), in the words of
/// [`CertInfo::subject`].
pub(super) fn dn_string(der: &[u8]) -> String {
    let name = |n: &X509Name<'_>| {
        let s = crate::pki::cert::rfc2253(n);
        if s.is_empty() {
            "(empty name)".to_string()
        } else {
            s
        }
    };
    if let Ok((_, n)) = X509Name::from_der(der) {
        return name(&n);
    }
    let mut wrapped = vec![0x30];
    let len = der.len();
    if len < 0x80 {
        wrapped.push(len as u8);
    } else if len < 0x100 {
        wrapped.extend([0x81, len as u8]);
    } else {
        wrapped.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    wrapped.extend_from_slice(der);
    match X509Name::from_der(&wrapped) {
        Ok((_, n)) => name(&n),
        Err(_) => format!("(undecodable name, {} bytes)", der.len()),
    }
}

fn self_signed(c: &CertInfo) -> bool {
    c.self_issued() && check_signature(c, c) == Signature::Valid
}

/// RFC 3339 without fractions for certificate dates.
pub(super) fn date(secs: i64) -> String {
    Timestamp(secs.saturating_mul(1_000_000_000))
        .to_string()
        .replace(".000000Z", "Z")
}

/// `10 days`, `1 day`, or `5h12m` under a day.
pub(super) fn span_words(secs: i64) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    match days {
        0 => human_duration(secs.saturating_mul(1_000_000_000)),
        1 => "1 day".into(),
        d => format!("{d} days"),
    }
}

fn ts(secs: i64) -> Timestamp {
    Timestamp(secs.saturating_mul(1_000_000_000))
}

/// The trust list as [`Anchor`]s named after it (`--cacert`).
pub(super) fn anchors_of(roots: &[CertificateDer<'_>], trust: &str) -> Vec<Anchor> {
    roots
        .iter()
        .filter_map(|r| CertInfo::from_der(r).ok())
        .map(|c| Anchor::new(c, trust))
        .collect()
}

/// A trust anchor that is expired or not yet valid at `at`: webpki never
/// looks at anchor dates; [`verify()`] does. `None` when the chain does
/// not reach an anchor or the anchor is fine.
pub(super) fn anchor_problem(
    chain: &[CertificateDer<'_>],
    roots: &[CertificateDer<'_>],
    at: i64,
) -> Option<String> {
    let sent: Vec<CertInfo> = chain
        .iter()
        .filter_map(|c| CertInfo::from_der(c).ok())
        .collect();
    let (leaf, rest) = sent.split_first()?;
    let anchors = anchors_of(roots, "");
    let mut o = VerifyOptions::new(&anchors, ts(at));
    o.intermediates = rest;
    let v = verify(leaf, &o);
    let anchor = v.chain.iter().find(|l| l.role == Role::Anchor)?;
    let a = &anchor.cert;
    match a.validity_at(ts(at)) {
        Validity::Expired => Some(format!(
            "trust anchor {} expired {} ago",
            subject(a),
            span_words(at - a.not_after.unix)
        )),
        Validity::NotYetValid => Some(format!(
            "trust anchor {} is not valid until {}",
            subject(a),
            date(a.not_before.unix)
        )),
        Validity::Valid => None,
    }
}

fn describe_cert(index: usize, c: &CertInfo, at: i64) -> CertReport {
    let status = match c.validity_at(ts(at)) {
        Validity::Expired => "expired",
        Validity::NotYetValid => "not_yet_valid",
        Validity::Valid => "ok",
    };
    let residual_secs = c.not_after.unix.saturating_sub(at);
    CertReport {
        index,
        subject: subject(c),
        issuer: c.issuer.clone(),
        serial: c.serial.clone(),
        not_before: date(c.not_before.unix),
        not_after: date(c.not_after.unix),
        residual: human_duration(residual_secs.saturating_mul(1_000_000_000)),
        residual_days: residual_secs.div_euclid(86_400),
        status,
        sans: c.san_strings(),
        key: c.key.to_string(),
        key_bits: c.key.bits as usize,
        signature_algorithm: c.signature_algorithm.clone(),
        is_ca: c.is_ca,
        self_signed: self_signed(c),
        extended_key_usage: c
            .ext_key_usage
            .iter()
            .flatten()
            .map(|e| e.to_string())
            .collect(),
        sha256: hex::encode(&c.sha256),
        signed_by: SignedBy {
            kind: "unknown",
            subject: None,
            verified: false,
            detail: String::new(),
        },
    }
}

fn unparseable(i: usize, der: &[u8], err: String, findings: &mut Vec<Finding>) -> CertReport {
    findings.push(Finding {
        severity: Severity::Fail,
        code: "unparseable",
        message: format!("certificate #{i} cannot be parsed: {err}"),
        hint: None,
    });
    CertReport {
        index: i,
        subject: "(unparseable certificate)".into(),
        issuer: String::new(),
        serial: String::new(),
        not_before: String::new(),
        not_after: String::new(),
        residual: String::new(),
        residual_days: 0,
        status: "invalid",
        sans: Vec::new(),
        key: String::new(),
        key_bits: 0,
        signature_algorithm: String::new(),
        is_ca: false,
        self_signed: false,
        extended_key_usage: Vec::new(),
        sha256: hex::encode(Sha256::digest(der)),
        signed_by: SignedBy {
            kind: "unknown",
            subject: None,
            verified: false,
            detail: "unparseable".into(),
        },
    }
}

/// Who signed certificate `i`: the next one sent, a trust anchor, itself.
fn signed_by(
    i: usize,
    c: &CertInfo,
    sent: &[Option<CertInfo>],
    anchors: &[Anchor],
    trust: &str,
    findings: &mut Vec<Finding>,
) -> SignedBy {
    match sent.get(i + 1) {
        Some(Some(next)) => {
            let name_ok = next.subject_der == c.issuer_der;
            let sig_ok = check_signature(c, next) == Signature::Valid;
            let detail = match (name_ok, sig_ok) {
                (true, true) => "yes".to_string(),
                (false, true) => "yes, but its subject differs from the issuer name".to_string(),
                (true, false) => {
                    "no: the name matches but its key did not sign this certificate".to_string()
                }
                (false, false) => format!("no: issuer is {}", c.issuer),
            };
            if !sig_ok {
                findings.push(Finding {
                    severity: Severity::Warn,
                    code: "chain_order",
                    message: format!(
                        "certificate #{} {} did not sign #{i} {} (it should: servers send each certificate followed by its issuer)",
                        i + 1,
                        subject(next),
                        subject(c)
                    ),
                    hint: None,
                });
            }
            SignedBy {
                kind: "next",
                subject: Some(subject(next)),
                verified: sig_ok,
                detail,
            }
        }
        Some(None) => SignedBy {
            kind: "next",
            subject: None,
            verified: false,
            detail: "no: the next certificate is unparseable".into(),
        },
        None if self_signed(c) => {
            let trusted = anchors.iter().any(|a| a.cert.sha256 == c.sha256);
            SignedBy {
                kind: "self",
                subject: Some(subject(c)),
                verified: true,
                detail: if trusted {
                    format!("itself (self-signed; in {trust})")
                } else {
                    format!("itself (self-signed; not in {trust})")
                },
            }
        }
        None => {
            let by_name: Vec<&Anchor> = anchors
                .iter()
                .filter(|a| a.cert.subject_der == c.issuer_der)
                .collect();
            if let Some(a) = by_name
                .iter()
                .find(|a| check_signature(c, &a.cert) == Signature::Valid)
            {
                SignedBy {
                    kind: "anchor",
                    subject: Some(subject(&a.cert)),
                    verified: true,
                    detail: format!("yes: {} in {trust}", subject(&a.cert)),
                }
            } else if let Some(a) = by_name.first() {
                SignedBy {
                    kind: "anchor",
                    subject: Some(subject(&a.cert)),
                    verified: false,
                    detail: format!("no: {} in {trust} has another key", subject(&a.cert)),
                }
            } else {
                SignedBy {
                    kind: "unknown",
                    subject: Some(c.issuer.clone()),
                    verified: false,
                    detail: format!("not sent and not in {trust}"),
                }
            }
        }
    }
}

/// The first names of the trust list, for hints.
fn listed(anchors: &[Anchor]) -> String {
    let names: Vec<String> = anchors.iter().take(5).map(|a| subject(&a.cert)).collect();
    let more = anchors.len().saturating_sub(5);
    if names.is_empty() {
        "nothing".to_string()
    } else if more > 0 {
        format!("{} and {more} more", names.join("; "))
    } else {
        names.join("; ")
    }
}

fn severity(f: &CertFinding) -> Severity {
    match f.severity() {
        CertSeverity::Error => Severity::Fail,
        CertSeverity::Warn => Severity::Warn,
        CertSeverity::Info => Severity::Info,
    }
}

/// One finding of [`verify()`] in the probe's words, with a hint.
fn words_for(
    f: &CertFinding,
    v: &crate::pki::Verification,
    leaf: &CertInfo,
    anchors: &[Anchor],
    trust: &str,
    at: i64,
) -> Finding {
    let who = format!("leaf {}", subject(leaf));
    let link = |name: &str| v.chain.iter().skip(1).find(|l| l.cert.subject == name);
    let last = v.chain.last().map(|l| &l.cert).unwrap_or(leaf);
    let same_name = |c: &CertInfo| {
        anchors
            .iter()
            .any(|a| a.cert.subject_der == c.subject_der && a.cert.sha256 != c.sha256)
    };
    let mut out = Finding {
        severity: severity(f),
        code: f.code(),
        message: format!("{who}: {f}"),
        hint: None,
    };
    match f {
        CertFinding::Expired { .. } => {
            out.message = format!(
                "{who} expired {} ago (not after {})",
                span_words(at - leaf.not_after.unix),
                date(leaf.not_after.unix)
            );
            out.hint = Some("renew the server's certificate (kubeadm: kubeadm certs renew <name>, then restart the component)".into());
        }
        CertFinding::NotYetValid { .. } => {
            out.message = format!(
                "{who} is not valid until {} (in {})",
                date(leaf.not_before.unix),
                span_words(leaf.not_before.unix - at)
            );
            out.hint =
                Some("check the clocks of this machine and of the machine that issued it".into());
        }
        CertFinding::ExpiresSoon { .. } => {
            out.message = format!(
                "{who} expires in {} ({})",
                span_words(leaf.not_after.unix - at),
                date(leaf.not_after.unix)
            );
        }
        CertFinding::CaExpired { ca, .. } | CertFinding::CaNotYetValid { ca, .. } => {
            let expired = matches!(f, CertFinding::CaExpired { .. });
            if let Some(l) = link(ca) {
                let c = &l.cert;
                let (what, code) = match (l.role == Role::Anchor, expired) {
                    (true, true) => (format!("trust anchor {ca} in {trust}"), "anchor_expired"),
                    (true, false) => (
                        format!("trust anchor {ca} in {trust}"),
                        "anchor_not_yet_valid",
                    ),
                    (false, true) => (format!("intermediate {ca}"), "expired"),
                    (false, false) => (format!("intermediate {ca}"), "not_yet_valid"),
                };
                out.code = code;
                out.message = if expired {
                    format!(
                        "{what} expired {} ago (not after {})",
                        span_words(at - c.not_after.unix),
                        date(c.not_after.unix)
                    )
                } else {
                    format!("{what} is not valid until {}", date(c.not_before.unix))
                };
                out.hint = Some(if l.role == Role::Anchor && expired {
                    "webpki does not check a trust anchor's dates, Go clients (kubectl, kubelet, apiserver) do: renew the CA".into()
                } else {
                    "renew this CA certificate and re-sign what it issued".into()
                });
            }
        }
        CertFinding::UnknownIssuer { issuer } => {
            if v.chain.len() > 1 && last.self_issued() {
                let c = subject(last);
                out.code = "untrusted_root";
                out.message = if same_name(last) {
                    format!(
                        "root {c} is self-signed and not in {trust}: {trust} holds another certificate with that name (a regenerated CA?)"
                    )
                } else {
                    format!("root {c} sent by the server is not in {trust}")
                };
                out.hint = Some(format!("{trust} holds: {}", listed(anchors)));
            } else {
                out.code = "issuer_unknown";
                out.message = format!("issuer {issuer} not sent and not in {trust}");
                out.hint = Some(format!(
                    "if {issuer} is an intermediate CA, the server must send it after its own certificate; otherwise {trust} is the wrong CA (it holds: {})",
                    listed(anchors)
                ));
            }
        }
        CertFinding::SelfSignedUntrusted => {
            let c = subject(leaf);
            out.code = "untrusted_root";
            out.message = if same_name(leaf) {
                format!(
                    "leaf {c} is self-signed and not in {trust}: {trust} holds another certificate with that name (a regenerated CA?)"
                )
            } else {
                format!("leaf {c} is self-signed and not in {trust}")
            };
            out.hint = Some(format!("{trust} holds: {}", listed(anchors)));
        }
        CertFinding::BadSignature { issuer, .. } => {
            out.code = "issuer_key_mismatch";
            out.message = format!(
                "issuer {issuer} is in {trust}, but its key did not sign {}: a different CA with the same name",
                subject(last)
            );
            out.hint =
                Some("the CA was regenerated, or the CA file is from another cluster".into());
        }
        CertFinding::NameMismatch { name, sans } => {
            if sans.is_empty() {
                out.code = "no_san";
                out.message = format!(
                    "{name} not in SAN: the certificate has no subjectAltName ({} alone is ignored by Go and rustls clients)",
                    subject(leaf)
                );
                out.hint = Some(format!(
                    "reissue the certificate with {name} in its subjectAltName"
                ));
            } else {
                out.message = format!("{name} not in SAN [{}]", sans.join(", "));
                out.hint = Some(format!(
                    "probe with --sni set to one of those names, or reissue the certificate with {name} in its SAN"
                ));
            }
        }
        CertFinding::WrongEku { has, .. } => {
            out.code = "not_for_server";
            out.message = format!(
                "{who} is not a server certificate: its extended key usage [{}] lacks serverAuth",
                has.join(", ")
            );
            out.hint = Some(
                "the server presents a client-only certificate: reissue it with serverAuth".into(),
            );
        }
        CertFinding::WeakKey { bits } => {
            out.message =
                format!("{who} has a weak key: RSA {bits} bits (at least RSA 2048 is needed)");
        }
        CertFinding::CaAsEndEntity { .. } => {
            out.message = f.to_string();
            out.hint = Some(
                "issue the server a certificate of its own (basicConstraints CA:FALSE), signed by the CA".into(),
            );
        }
        _ => {}
    }
    out
}

pub(super) fn analyze(
    chain: &[CertificateDer<'static>],
    opts: &ProbeOptions,
    name: &str,
    at: i64,
) -> Analysis {
    let mut findings = Vec::new();
    let trust = opts.trust.name.as_str();
    let anchors = anchors_of(&opts.trust.roots, trust);
    let sent: Vec<Option<CertInfo>> = chain.iter().map(|c| CertInfo::from_der(c).ok()).collect();

    let mut certs = Vec::new();
    for (i, (der, parsed)) in chain.iter().zip(&sent).enumerate() {
        let Some(c) = parsed else {
            let err = CertInfo::from_der(der)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            certs.push(unparseable(i, der, err, &mut findings));
            continue;
        };
        let mut r = describe_cert(i, c, at);
        r.signed_by = signed_by(i, c, &sent, &anchors, trust, &mut findings);
        certs.push(r);
    }

    // The judgement: pki::verify on the leaf, the rest as intermediates.
    if let Some(Some(leaf)) = sent.first() {
        let intermediates: Vec<CertInfo> = sent.iter().skip(1).flatten().cloned().collect();
        let mut o = VerifyOptions::new(&anchors, ts(at));
        o.intermediates = &intermediates;
        o.name = Some(name);
        o.purpose = Some(Purpose::Server);
        o.warn_days = Some(opts.warn_days);
        let v = verify(leaf, &o);
        for f in &v.findings {
            findings.push(words_for(f, &v, leaf, &anchors, trust, at));
        }
        // The probe also warns of a trust anchor about to expire.
        if let Some(a) = v.anchor().filter(|l| l.role == Role::Anchor) {
            let left = a.cert.not_after.unix - at;
            if left >= 0 && left < i64::from(opts.warn_days) * 86_400 {
                findings.push(Finding {
                    severity: Severity::Warn,
                    code: "expires_soon",
                    message: format!(
                        "trust anchor {} in {trust} expires in {} ({})",
                        subject(&a.cert),
                        span_words(left),
                        date(a.cert.not_after.unix)
                    ),
                    hint: None,
                });
            }
        }
    }
    Analysis { certs, findings }
}

/// Our own client certificate: expired, or issued by a CA the server
/// does not list.
pub(super) fn client_cert_findings(
    our: &CertificateDer<'_>,
    seen: &Seen,
    at: i64,
    out: &mut Vec<Finding>,
) {
    let Ok(c) = CertInfo::from_der(our) else {
        return;
    };
    let who = subject(&c);
    match c.validity_at(ts(at)) {
        Validity::Expired => out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_expired",
            message: format!(
                "our client certificate {who} expired {} ago (not after {})",
                span_words(at - c.not_after.unix),
                date(c.not_after.unix)
            ),
            hint: None,
        }),
        Validity::NotYetValid => out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_not_yet_valid",
            message: format!(
                "our client certificate {who} is not valid until {}",
                date(c.not_before.unix)
            ),
            hint: None,
        }),
        Validity::Valid => {}
    }
    if seen.client_auth_requested && !seen.acceptable_cas.is_empty() {
        let issuer = c.issuer_der.as_slice();
        let listed = seen
            .acceptable_cas
            .iter()
            .any(|n| n.as_slice() == issuer || issuer.len() > n.len() && issuer.ends_with(n));
        if !listed {
            let names: Vec<String> = seen.acceptable_cas.iter().map(|n| dn_string(n)).collect();
            out.push(Finding {
                severity: Severity::Warn,
                code: "client_cert_wrong_ca",
                message: format!(
                    "our client certificate is issued by {}, which is not among the CAs the server accepts [{}]",
                    c.issuer,
                    names.join("; ")
                ),
                hint: None,
            });
        }
    }
}

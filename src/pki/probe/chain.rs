//! The chain the server sent, judged by [`crate::pki::verify()`] (the same
//! judgement as `certs verify`, `pcap tls` and `doctor`) and said in the
//! probe's words: each certificate's report and who signed it, and one
//! finding per problem with a hint.

use super::*;

pub(super) struct Analysis {
    pub(super) certs: Vec<CertReport>,
    pub(super) findings: Vec<Finding>,
}

pub(super) fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

pub(super) fn name_str(n: &X509Name<'_>) -> String {
    let s = n.to_string();
    if s.is_empty() {
        "(empty name)".into()
    } else {
        s
    }
}

pub(super) fn subject_of(der: &CertificateDer<'_>) -> String {
    parse(der)
        .map(|c| name_str(c.subject()))
        .unwrap_or_else(|| "(unparseable certificate)".into())
}

/// A distinguished name from a CertificateRequest (with or without its
/// outer SEQUENCE, depending on the encoder).
pub(super) fn dn_string(der: &[u8]) -> String {
    if let Ok((_, n)) = X509Name::from_der(der) {
        return name_str(&n);
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
        Ok((_, n)) => name_str(&n),
        Err(_) => format!("(undecodable name, {} bytes)", der.len()),
    }
}

pub(super) fn signs(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    cert.verify_signature(Some(issuer.public_key())).is_ok()
}

pub(super) fn is_self_signed(c: &X509Certificate<'_>) -> bool {
    c.subject().as_raw() == c.issuer().as_raw() && signs(c, c)
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

pub(super) fn role(index: usize, c: &X509Certificate<'_>) -> &'static str {
    if index == 0 {
        "leaf"
    } else if is_self_signed(c) {
        "root"
    } else {
        "intermediate"
    }
}

pub(super) fn sans_of(c: &X509Certificate<'_>) -> Option<Vec<String>> {
    let ext = c.subject_alternative_name().ok().flatten()?;
    Some(
        ext.value
            .general_names
            .iter()
            .map(|g| match g {
                GeneralName::DNSName(d) => format!("DNS:{d}"),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => format!(
                        "IP:{}",
                        IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())
                    ),
                    16 => format!(
                        "IP:{}",
                        IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())
                    ),
                    _ => format!("IP:(bad length {})", b.len()),
                },
                GeneralName::URI(u) => format!("URI:{u}"),
                GeneralName::RFC822Name(e) => format!("email:{e}"),
                GeneralName::DirectoryName(n) => format!("DirName:{}", name_str(n)),
                other => format!("{other:?}"),
            })
            .collect(),
    )
}

/// True when `name` (a DNS name or an IP) is covered by the SAN entries.
pub fn name_in_sans(name: &str, sans: &[String]) -> bool {
    if let Ok(ip) = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return sans.iter().any(|s| {
            s.strip_prefix("IP:")
                .and_then(|v| v.parse::<IpAddr>().ok())
                .is_some_and(|v| v == ip)
        });
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    sans.iter()
        .filter_map(|s| s.strip_prefix("DNS:"))
        .any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            if let Some(suffix) = pattern.strip_prefix("*.") {
                match name.split_once('.') {
                    Some((label, rest)) => !label.is_empty() && rest == suffix,
                    None => false,
                }
            } else {
                pattern == name
            }
        })
}

pub(super) fn key_of(c: &X509Certificate<'_>) -> (String, usize) {
    let spki = c.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return ("Ed25519".into(), 256),
        "1.3.101.113" => return ("Ed448".into(), 456),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let start = m.iter().position(|b| *b != 0).unwrap_or(m.len());
            let m = &m[start..];
            let bits = match m.first() {
                Some(b) => m.len() * 8 - b.leading_zeros() as usize,
                None => 0,
            };
            (format!("RSA {bits}"), bits)
        }
        Ok(PublicKey::EC(p)) => {
            let bits = p.key_size();
            let curve = match bits {
                256 => "P-256".to_string(),
                384 => "P-384".to_string(),
                528 | 521 => "P-521".to_string(),
                b => format!("{b}-bit curve"),
            };
            let bits = if bits == 528 { 521 } else { bits };
            (format!("EC {curve}"), bits)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".into(), 0),
        _ => (format!("unknown key ({alg})"), 0),
    }
}

pub(super) fn sig_alg_name(c: &X509Certificate<'_>) -> String {
    let oid = c.signature_algorithm.algorithm.to_id_string();
    let known = match oid.as_str() {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => "",
    };
    if known.is_empty() {
        oid
    } else {
        known.to_string()
    }
}

pub(super) fn eku_of(c: &X509Certificate<'_>) -> Option<Vec<String>> {
    let ext = c.extended_key_usage().ok().flatten()?;
    let e = ext.value;
    let mut v = Vec::new();
    for (on, name) in [
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.code_signing, "codeSigning"),
        (e.email_protection, "emailProtection"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
        (e.any, "anyExtendedKeyUsage"),
    ] {
        if on {
            v.push(name.to_string());
        }
    }
    v.extend(e.other.iter().map(|o| o.to_id_string()));
    Some(v)
}

/// How a certificate's path ends, following issuers through what the
/// server sent, then the trust list.
pub(super) enum PathEnd {
    /// Signed by this certificate of the trust list.
    Anchor(usize),
    /// Ends at a self-signed certificate the server sent; `true` when the
    /// trust list holds it too.
    SelfSigned { index: usize, trusted: bool },
    /// The issuer of this sent certificate is nowhere.
    Missing { index: usize },
    /// The issuer's name is in the trust list but its key did not sign.
    WrongKey { index: usize, anchor: usize },
}

pub(super) fn build_path(
    sent: &[Option<X509Certificate<'_>>],
    roots: &[Option<X509Certificate<'_>>],
) -> PathEnd {
    let mut cur = 0usize;
    let mut used = vec![false; sent.len()];
    if let Some(u) = used.first_mut() {
        *u = true;
    }
    loop {
        let Some(c) = sent.get(cur).and_then(|c| c.as_ref()) else {
            return PathEnd::Missing { index: cur };
        };
        // The trust list first: a root the server also sent is fine.
        if let Some(a) = roots.iter().position(|r| {
            r.as_ref()
                .is_some_and(|r| r.subject().as_raw() == c.issuer().as_raw() && signs(r, c))
        }) {
            if is_self_signed(c) {
                return PathEnd::SelfSigned {
                    index: cur,
                    trusted: true,
                };
            }
            return PathEnd::Anchor(a);
        }
        if is_self_signed(c) {
            let trusted = roots
                .iter()
                .any(|r| r.as_ref().is_some_and(|r| r.as_raw() == c.as_raw()));
            return PathEnd::SelfSigned {
                index: cur,
                trusted,
            };
        }
        let next = sent.iter().enumerate().position(|(j, s)| {
            !used[j]
                && s.as_ref()
                    .is_some_and(|s| s.subject().as_raw() == c.issuer().as_raw() && signs(s, c))
        });
        match next {
            Some(j) => {
                used[j] = true;
                cur = j;
            }
            None => {
                if let Some(a) = roots.iter().position(|r| {
                    r.as_ref()
                        .is_some_and(|r| r.subject().as_raw() == c.issuer().as_raw())
                }) {
                    return PathEnd::WrongKey {
                        index: cur,
                        anchor: a,
                    };
                }
                return PathEnd::Missing { index: cur };
            }
        }
    }
}

/// An expired or not-yet-valid trust anchor (webpki does not check them).
pub(super) fn anchor_problem(
    chain: &[CertificateDer<'_>],
    roots: &[CertificateDer<'_>],
    at: i64,
) -> Option<String> {
    let sent: Vec<_> = chain.iter().map(|c| parse(c)).collect();
    let parsed_roots: Vec<_> = roots.iter().map(|c| parse(c)).collect();
    let anchor = match build_path(&sent, &parsed_roots) {
        PathEnd::Anchor(a) => parsed_roots.get(a)?.as_ref()?,
        _ => return None,
    };
    let nb = anchor.validity().not_before.timestamp();
    let na = anchor.validity().not_after.timestamp();
    if at > na {
        Some(format!(
            "trust anchor {} expired {} ago",
            name_str(anchor.subject()),
            span_words(at - na)
        ))
    } else if at < nb {
        Some(format!(
            "trust anchor {} is not valid until {}",
            name_str(anchor.subject()),
            date(nb)
        ))
    } else {
        None
    }
}

pub(super) fn describe_cert(
    index: usize,
    c: &X509Certificate<'_>,
    der: &[u8],
    at: i64,
) -> CertReport {
    let nb = c.validity().not_before.timestamp();
    let na = c.validity().not_after.timestamp();
    let status = if at > na {
        "expired"
    } else if at < nb {
        "not_yet_valid"
    } else {
        "ok"
    };
    let residual_secs = na - at;
    let (key, key_bits) = key_of(c);
    CertReport {
        index,
        subject: name_str(c.subject()),
        issuer: name_str(c.issuer()),
        serial: hex::encode(c.raw_serial()),
        not_before: date(nb),
        not_after: date(na),
        residual: human_duration(residual_secs.saturating_mul(1_000_000_000)),
        residual_days: residual_secs.div_euclid(86_400),
        status,
        sans: sans_of(c).unwrap_or_default(),
        key,
        key_bits,
        signature_algorithm: sig_alg_name(c),
        is_ca: c.is_ca(),
        self_signed: is_self_signed(c),
        extended_key_usage: eku_of(c).unwrap_or_default(),
        sha256: hex::encode(Sha256::digest(der)),
        signed_by: SignedBy {
            kind: "unknown",
            subject: None,
            verified: false,
            detail: String::new(),
        },
    }
}

pub(super) fn analyze(
    chain: &[CertificateDer<'static>],
    opts: &ProbeOptions,
    name: &str,
    at: i64,
) -> Analysis {
    let mut findings = Vec::new();
    let sent: Vec<_> = chain.iter().map(|c| parse(c)).collect();
    let roots: Vec<_> = opts.trust.roots.iter().map(|c| parse(c)).collect();
    let trust = &opts.trust.name;
    let warn_secs = i64::from(opts.warn_days) * 86_400;

    let mut certs = Vec::new();
    for (i, (der, parsed)) in chain.iter().zip(&sent).enumerate() {
        let Some(c) = parsed else {
            let err = X509Certificate::from_der(der)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            findings.push(Finding {
                severity: Severity::Fail,
                code: "unparseable",
                message: format!("certificate #{i} cannot be parsed: {err}"),
                hint: None,
            });
            certs.push(CertReport {
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
            });
            continue;
        };
        let mut r = describe_cert(i, c, der, at);
        let who = format!("{} {}", role(i, c), r.subject);
        let na = c.validity().not_after.timestamp();
        let nb = c.validity().not_before.timestamp();
        match r.status {
            "expired" => findings.push(Finding {
                severity: Severity::Fail,
                code: "expired",
                message: format!("{who} expired {} ago (not after {})", span_words(at - na), r.not_after),
                hint: Some(if i == 0 {
                    "renew the server's certificate (kubeadm: kubeadm certs renew <name>, then restart the component)".into()
                } else {
                    "renew this CA certificate and re-sign what it issued".into()
                }),
            }),
            "not_yet_valid" => findings.push(Finding {
                severity: Severity::Fail,
                code: "not_yet_valid",
                message: format!("{who} is not valid until {} (in {})", r.not_before, span_words(nb - at)),
                hint: Some("check the clocks of this machine and of the machine that issued it".into()),
            }),
            _ if na - at < warn_secs => findings.push(Finding {
                severity: Severity::Warn,
                code: "expires_soon",
                message: format!("{who} expires in {} ({})", span_words(na - at), r.not_after),
                hint: None,
            }),
            _ => {}
        }
        if r.key.starts_with("RSA ") && r.key_bits < 2048 {
            findings.push(Finding {
                severity: Severity::Fail,
                code: "weak_key",
                message: format!(
                    "{who} has a weak key: {} (at least RSA 2048 is needed)",
                    r.key
                ),
                hint: None,
            });
        }
        if i == 0 {
            // The same rule and words as `certs verify` and `pcap tls`.
            if let Some(f) = crate::pki::CertInfo::from_der(der)
                .ok()
                .and_then(|info| ca_as_end_entity(&info, Purpose::Server))
            {
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: f.code(),
                    message: f.to_string(),
                    hint: Some(
                        "issue the server a certificate of its own (basicConstraints CA:FALSE), signed by the CA".into(),
                    ),
                });
            }
            match sans_of(c) {
                None => findings.push(Finding {
                    severity: Severity::Fail,
                    code: "no_san",
                    message: format!("{name} not in SAN: the certificate has no subjectAltName ({} alone is ignored by Go and rustls clients)", r.subject),
                    hint: Some(format!("reissue the certificate with {name} in its subjectAltName")),
                }),
                Some(sans) if !name_in_sans(name, &sans) => findings.push(Finding {
                    severity: Severity::Fail,
                    code: "name_mismatch",
                    message: format!("{name} not in SAN [{}]", sans.join(", ")),
                    hint: Some(format!("probe with --sni set to one of those names, or reissue the certificate with {name} in its SAN")),
                }),
                Some(_) => {}
            }
            if let Some(eku) = eku_of(c) {
                if !eku
                    .iter()
                    .any(|e| e == "serverAuth" || e == "anyExtendedKeyUsage")
                {
                    findings.push(Finding {
                        severity: Severity::Fail,
                        code: "not_for_server",
                        message: format!("{who} is not a server certificate: its extended key usage [{}] lacks serverAuth", eku.join(", ")),
                        hint: Some("the server presents a client-only certificate: reissue it with serverAuth".into()),
                    });
                }
            }
        }
        // Whether the next certificate really signed this one.
        r.signed_by = match sent.get(i + 1) {
            Some(Some(next)) => {
                let name_ok = next.subject().as_raw() == c.issuer().as_raw();
                let sig_ok = signs(next, c);
                let detail = match (name_ok, sig_ok) {
                    (true, true) => "yes".to_string(),
                    (false, true) => {
                        "yes, but its subject differs from the issuer name".to_string()
                    }
                    (true, false) => {
                        "no: the name matches but its key did not sign this certificate".to_string()
                    }
                    (false, false) => format!("no: issuer is {}", r.issuer),
                };
                if !sig_ok {
                    findings.push(Finding {
                        severity: Severity::Warn,
                        code: "chain_order",
                        message: format!(
                            "certificate #{} {} did not sign #{i} {} (it should: servers send each certificate followed by its issuer)",
                            i + 1,
                            name_str(next.subject()),
                            r.subject
                        ),
                        hint: None,
                    });
                }
                SignedBy {
                    kind: "next",
                    subject: Some(name_str(next.subject())),
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
            None => {
                if is_self_signed(c) {
                    let trusted = roots
                        .iter()
                        .any(|x| x.as_ref().is_some_and(|x| x.as_raw() == c.as_raw()));
                    SignedBy {
                        kind: "self",
                        subject: Some(r.subject.clone()),
                        verified: true,
                        detail: if trusted {
                            format!("itself (self-signed; in {trust})")
                        } else {
                            format!("itself (self-signed; not in {trust})")
                        },
                    }
                } else if let Some(a) = roots
                    .iter()
                    .flatten()
                    .find(|a| a.subject().as_raw() == c.issuer().as_raw() && signs(a, c))
                {
                    SignedBy {
                        kind: "anchor",
                        subject: Some(name_str(a.subject())),
                        verified: true,
                        detail: format!("yes: {} in {trust}", name_str(a.subject())),
                    }
                } else if let Some(a) = roots
                    .iter()
                    .flatten()
                    .find(|a| a.subject().as_raw() == c.issuer().as_raw())
                {
                    SignedBy {
                        kind: "anchor",
                        subject: Some(name_str(a.subject())),
                        verified: false,
                        detail: format!("no: {} in {trust} has another key", name_str(a.subject())),
                    }
                } else {
                    SignedBy {
                        kind: "unknown",
                        subject: Some(r.issuer.clone()),
                        verified: false,
                        detail: format!("not sent and not in {trust}"),
                    }
                }
            }
        };
        certs.push(r);
    }

    // Where the path ends, and what that means.
    if !chain.is_empty() {
        let listed = || {
            let names: Vec<String> = roots
                .iter()
                .flatten()
                .take(5)
                .map(|r| name_str(r.subject()))
                .collect();
            let more = roots.len().saturating_sub(5);
            if names.is_empty() {
                "nothing".to_string()
            } else if more > 0 {
                format!("{} and {more} more", names.join("; "))
            } else {
                names.join("; ")
            }
        };
        match build_path(&sent, &roots) {
            PathEnd::Anchor(a) => {
                if let Some(Some(anchor)) = roots.get(a) {
                    let na = anchor.validity().not_after.timestamp();
                    let nb = anchor.validity().not_before.timestamp();
                    let subject = name_str(anchor.subject());
                    if at > na {
                        findings.push(Finding {
                            severity: Severity::Fail,
                            code: "anchor_expired",
                            message: format!("trust anchor {subject} in {trust} expired {} ago (not after {})", span_words(at - na), date(na)),
                            hint: Some("webpki does not check a trust anchor's dates, Go clients (kubectl, kubelet, apiserver) do: renew the CA".into()),
                        });
                    } else if at < nb {
                        findings.push(Finding {
                            severity: Severity::Fail,
                            code: "anchor_not_yet_valid",
                            message: format!(
                                "trust anchor {subject} in {trust} is not valid until {}",
                                date(nb)
                            ),
                            hint: None,
                        });
                    } else if na - at < warn_secs {
                        findings.push(Finding {
                            severity: Severity::Warn,
                            code: "expires_soon",
                            message: format!(
                                "trust anchor {subject} in {trust} expires in {} ({})",
                                span_words(na - at),
                                date(na)
                            ),
                            hint: None,
                        });
                    }
                }
            }
            PathEnd::SelfSigned { trusted: true, .. } => {}
            PathEnd::SelfSigned {
                index,
                trusted: false,
            } => {
                let c = sent[index]
                    .as_ref()
                    .map(|c| name_str(c.subject()))
                    .unwrap_or_default();
                let same_name = sent[index].as_ref().and_then(|c| {
                    roots
                        .iter()
                        .flatten()
                        .find(|r| r.subject().as_raw() == c.subject().as_raw())
                });
                let what = if index == 0 { "leaf" } else { "root" };
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: "untrusted_root",
                    message: if same_name.is_some() {
                        format!("{what} {c} is self-signed and not in {trust}: {trust} holds another certificate with that name (a regenerated CA?)")
                    } else if index == 0 {
                        format!("leaf {c} is self-signed and not in {trust}")
                    } else {
                        format!("root {c} sent by the server is not in {trust}")
                    },
                    hint: Some(format!("{trust} holds: {}", listed())),
                });
            }
            PathEnd::Missing { index } => {
                if let Some(Some(c)) = sent.get(index) {
                    let issuer = name_str(c.issuer());
                    findings.push(Finding {
                        severity: Severity::Fail,
                        code: "issuer_unknown",
                        message: format!("issuer {issuer} not sent and not in {trust}"),
                        hint: Some(format!(
                            "if {issuer} is an intermediate CA, the server must send it after its own certificate; otherwise {trust} is the wrong CA (it holds: {})",
                            listed()
                        )),
                    });
                }
            }
            PathEnd::WrongKey { index, anchor } => {
                let c = sent[index]
                    .as_ref()
                    .map(|c| name_str(c.subject()))
                    .unwrap_or_default();
                let a = roots[anchor]
                    .as_ref()
                    .map(|a| name_str(a.subject()))
                    .unwrap_or_default();
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: "issuer_key_mismatch",
                    message: format!("issuer {a} is in {trust}, but its key did not sign {c}: a different CA with the same name"),
                    hint: Some("the CA was regenerated, or the CA file is from another cluster".into()),
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
    let Some(c) = parse(our) else {
        return;
    };
    let subject = name_str(c.subject());
    let na = c.validity().not_after.timestamp();
    let nb = c.validity().not_before.timestamp();
    if at > na {
        out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_expired",
            message: format!(
                "our client certificate {subject} expired {} ago (not after {})",
                span_words(at - na),
                date(na)
            ),
            hint: None,
        });
    } else if at < nb {
        out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_not_yet_valid",
            message: format!(
                "our client certificate {subject} is not valid until {}",
                date(nb)
            ),
            hint: None,
        });
    }
    if seen.client_auth_requested && !seen.acceptable_cas.is_empty() {
        let issuer = c.issuer().as_raw();
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
                    name_str(c.issuer()),
                    names.join("; ")
                ),
                hint: None,
            });
        }
    }
}

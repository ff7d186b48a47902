//! What can be wrong with a certificate, as data ([`Finding`]) with a
//! sentence for people (its `Display`), a stable snake_case code and a
//! severity; the status a set of findings adds up to ([`Status`]); and
//! kubeadm's residual-time format.

use std::fmt;

use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; changes nothing.
    Info,
    /// Works today, will not for long or is poor practice (status `warn`).
    Warn,
    /// Does not work (status `expired`, `not_yet_valid` or `invalid`, exit 1).
    Error,
}

/// What a certificate is used for: the extended key usage it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A TLS server (serverAuth)
    Server,
    /// A TLS client (clientAuth)
    Client,
}

impl Purpose {
    pub fn eku(self) -> super::cert::Eku {
        match self {
            Purpose::Server => super::cert::Eku::ServerAuth,
            Purpose::Client => super::cert::Eku::ClientAuth,
        }
    }
}

/// One thing wrong (or worth saying) about a certificate.
///
/// Variants name the certificate they are about only when it is not the
/// certificate being judged (a CA in its chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The certificate's notAfter is in the past.
    Expired { not_after: String, ago: String },
    /// The certificate's notBefore is in the future.
    NotYetValid { not_before: String, in_: String },
    /// Expires within the warning window (`--warn-days`).
    ExpiresSoon { not_after: String, left: String },
    /// A CA of the chain (intermediate or trust anchor) is expired: webpki
    /// never looks at trust anchor dates, Go and openssl do.
    CaExpired {
        ca: String,
        not_after: String,
        ago: String,
    },
    /// A CA of the chain is not valid yet.
    CaNotYetValid { ca: String, not_before: String },
    /// The CA expires before this certificate: the certificate stops
    /// working at the CA's end, not its own.
    CaExpiresFirst {
        ca: String,
        ca_not_after: String,
        not_after: String,
    },
    /// The issuer is neither presented nor among the trusted CAs.
    UnknownIssuer { issuer: String },
    /// The issuer was not among the scanned files: the chain could not be checked.
    IssuerNotScanned { issuer: String },
    /// A CA with the issuer's name exists, but its key did not make this
    /// signature: signed by a different CA of the same name.
    BadSignature { issuer: String, ca_source: String },
    /// The chain verifies, but to a different CA than the one this
    /// certificate must chain to (kubeadm: etcd-ca for etcd certificates).
    WrongCa { expected: String, actual: String },
    /// Self-signed and not among the trusted certificates.
    SelfSignedUntrusted,
    /// The kubelet's self-signed serving certificate: fine until the
    /// apiserver verifies kubelets (`--kubelet-certificate-authority`).
    SelfSignedServing { apiserver_verifies: bool },
    /// A certificate used as a CA lacks basicConstraints CA:TRUE.
    IssuerNotCa { issuer: String },
    /// A CA whose key usage lacks keyCertSign.
    IssuerCannotSign { issuer: String },
    /// A CA's pathLenConstraint is exceeded.
    PathTooLong { issuer: String, path_len: u32 },
    /// The signature algorithm is not one *ring* verifies.
    UnsupportedSignature { algorithm: String },
    /// A name the client connects with is not in the SANs.
    NameMismatch { name: String, sans: Vec<String> },
    /// A SAN the component needs is missing (`why` says who needs it).
    MissingSan { name: String, why: String },
    /// The extended key usage lacks what the certificate is used for.
    WrongEku {
        needed: Purpose,
        has: Vec<String>,
        role: String,
    },
    /// The private key beside the certificate is not its key.
    KeyMismatch { key: String },
    /// The private key could not be read or compared.
    KeyUnreadable { key: String, why: String },
    /// RSA key shorter than 2048 bits.
    WeakKey { bits: u32 },
    /// Signed with SHA-1 or MD5, which Go refuses since 1.18.
    WeakSignature { algorithm: String },
    /// A certificate in a CA's place that is not a CA (kubeadm ca.crt).
    NotCa,
    /// Nothing renews this certificate (kubelet `rotateCertificates: false`).
    RotationOff { not_after: String },
    /// A CA certificate (basicConstraints CA:TRUE) presented as the end
    /// entity (`role`: `server` or `client`): webpki's `CaUsedAsEndEntity`.
    CaAsEndEntity { role: &'static str },
    /// webpki refuses the chain for a reason the checks above do not cover.
    Rejected { reason: String },
}

impl Finding {
    pub fn severity(&self) -> Severity {
        use Finding::*;
        match self {
            ExpiresSoon { .. }
            | CaExpiresFirst { .. }
            | WeakKey { .. }
            | KeyUnreadable { .. }
            | RotationOff { .. }
            | UnsupportedSignature { .. } => Severity::Warn,
            IssuerNotScanned { .. } => Severity::Info,
            SelfSignedServing {
                apiserver_verifies: false,
            } => Severity::Info,
            _ => Severity::Error,
        }
    }

    /// A stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        use Finding::*;
        match self {
            Expired { .. } => "expired",
            NotYetValid { .. } => "not_yet_valid",
            ExpiresSoon { .. } => "expires_soon",
            CaExpired { .. } => "ca_expired",
            CaNotYetValid { .. } => "ca_not_yet_valid",
            CaExpiresFirst { .. } => "ca_expires_first",
            UnknownIssuer { .. } => "unknown_issuer",
            IssuerNotScanned { .. } => "issuer_not_scanned",
            BadSignature { .. } => "bad_signature",
            WrongCa { .. } => "wrong_ca",
            SelfSignedUntrusted => "self_signed_untrusted",
            SelfSignedServing { .. } => "self_signed_serving",
            IssuerNotCa { .. } => "issuer_not_ca",
            IssuerCannotSign { .. } => "issuer_cannot_sign",
            PathTooLong { .. } => "path_too_long",
            UnsupportedSignature { .. } => "unsupported_signature",
            NameMismatch { .. } => "name_mismatch",
            MissingSan { .. } => "missing_san",
            WrongEku { .. } => "wrong_eku",
            KeyMismatch { .. } => "key_mismatch",
            KeyUnreadable { .. } => "key_unreadable",
            WeakKey { .. } => "weak_key",
            WeakSignature { .. } => "weak_signature",
            NotCa => "not_ca",
            RotationOff { .. } => "rotation_off",
            CaAsEndEntity { .. } => "ca_as_end_entity",
            Rejected { .. } => "rejected",
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Finding::*;
        match self {
            Expired { not_after, ago } => write!(f, "expired {ago} ago ({not_after})"),
            NotYetValid { not_before, in_ } => {
                write!(f, "not valid yet: starts in {in_} ({not_before})")
            }
            ExpiresSoon { not_after, left } => write!(f, "expires in {left} ({not_after})"),
            CaExpired { ca, not_after, ago } => {
                write!(f, "its CA {ca} expired {ago} ago ({not_after})")
            }
            CaNotYetValid { ca, not_before } => {
                write!(f, "its CA {ca} is not valid yet (starts {not_before})")
            }
            CaExpiresFirst {
                ca,
                ca_not_after,
                not_after,
            } => write!(
                f,
                "its CA {ca} expires first ({ca_not_after}, before this certificate's {not_after})"
            ),
            UnknownIssuer { issuer } => write!(
                f,
                "issuer {issuer} is unknown: not sent and not among the trusted CAs (missing intermediate or wrong CA)"
            ),
            IssuerNotScanned { issuer } => write!(
                f,
                "issuer {issuer} was not found among the scanned files; chain not checked"
            ),
            BadSignature { issuer, ca_source } => write!(
                f,
                "chain does not verify against {ca_source}: the signature was not made by the key of {issuer} (signed by a different CA with the same name)"
            ),
            WrongCa { expected, actual } => {
                write!(f, "signed by {actual}, but it must be signed by {expected}")
            }
            SelfSignedUntrusted => f.write_str("self-signed and not among the trusted CAs"),
            SelfSignedServing {
                apiserver_verifies: false,
            } => f.write_str(
                "self-signed by the kubelet (fine while the apiserver does not verify kubelet serving certificates)",
            ),
            SelfSignedServing {
                apiserver_verifies: true,
            } => f.write_str(
                "self-signed by the kubelet, but the apiserver verifies kubelet serving certificates (--kubelet-certificate-authority): kubectl logs/exec will fail",
            ),
            IssuerNotCa { issuer } => {
                write!(f, "issuer {issuer} is not a CA (no basicConstraints CA:TRUE)")
            }
            IssuerCannotSign { issuer } => write!(
                f,
                "issuer {issuer} may not sign certificates (key usage lacks Certificate Sign)"
            ),
            PathTooLong { issuer, path_len } => write!(
                f,
                "chain is longer than {issuer} allows (pathlen:{path_len})"
            ),
            UnsupportedSignature { algorithm } => {
                write!(f, "signature algorithm {algorithm} cannot be checked")
            }
            NameMismatch { name, sans } => {
                if sans.is_empty() {
                    write!(f, "{name} not in SAN (the certificate has no SAN)")
                } else {
                    write!(f, "{name} not in SAN [{}]", sans.join(", "))
                }
            }
            MissingSan { name, why } => write!(f, "missing SAN {name} ({why})"),
            WrongEku { needed, has, role } => {
                let needed = needed.eku();
                if has.is_empty() {
                    write!(f, "extended key usage lacks {needed}, needed as {role}")
                } else {
                    write!(
                        f,
                        "extended key usage [{}] lacks {needed}, needed as {role}",
                        has.join(", ")
                    )
                }
            }
            KeyMismatch { key } => write!(f, "private key {key} does not match the certificate"),
            KeyUnreadable { key, why } => {
                write!(f, "private key {key} could not be checked: {why}")
            }
            WeakKey { bits } => write!(f, "weak key: RSA {bits} bits (use at least 2048)"),
            WeakSignature { algorithm } => write!(
                f,
                "signed with {algorithm}: Go (Kubernetes, etcd) rejects SHA-1 and MD5 signatures"
            ),
            NotCa => f.write_str("used as a CA but not a CA certificate (no basicConstraints CA:TRUE)"),
            RotationOff { not_after } => write!(
                f,
                "certificate rotation is off (rotateCertificates: false): nothing renews it before {not_after}"
            ),
            CaAsEndEntity { role } => write!(
                f,
                "the {role} certificate is a CA certificate (basicConstraints CA:TRUE); a CA must not be used as an end entity"
            ),
            Rejected { reason } => write!(f, "webpki rejects the chain: {reason}"),
        }
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// `ok | warn | expired | not_yet_valid | invalid` (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warn,
    Expired,
    NotYetValid,
    Invalid,
}

impl Status {
    /// Expired beats not yet valid beats invalid beats warn.
    pub fn of(findings: &[Finding]) -> Status {
        let mut s = Status::Ok;
        for f in findings {
            let this = match (f, f.severity()) {
                (Finding::Expired { .. }, _) => Status::Expired,
                (Finding::NotYetValid { .. }, _) => Status::NotYetValid,
                (_, Severity::Error) => Status::Invalid,
                (_, Severity::Warn) => Status::Warn,
                (_, Severity::Info) => Status::Ok,
            };
            if this.rank() > s.rank() {
                s = this;
            }
        }
        s
    }

    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warn => 1,
            Status::Invalid => 2,
            Status::NotYetValid => 3,
            Status::Expired => 4,
        }
    }

    /// True for the statuses that make a command exit 1.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Status::Expired | Status::NotYetValid | Status::Invalid
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Expired => "expired",
            Status::NotYetValid => "not_yet_valid",
            Status::Invalid => "invalid",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// kubeadm's residual time (`ShortHumanDuration` of apimachinery):
/// `<invalid>` once expired, then `45s`, `12m`, `5h`, `364d`, `9y`.
pub fn residual(seconds: i64) -> String {
    if seconds < -1 {
        "<invalid>".into()
    } else if seconds < 0 {
        "0s".into()
    } else if seconds < 60 {
        format!("{seconds}s")
    } else if seconds < 3600 {
        format!("{}m", seconds / 60)
    } else if seconds < 86_400 {
        format!("{}h", seconds / 3600)
    } else if seconds < 86_400 * 365 {
        format!("{}d", seconds / 86_400)
    } else {
        format!("{}y", seconds / 86_400 / 365)
    }
}

/// A positive span for sentences ("expired 3d ago"): the same units as
/// [`residual`], for the absolute value.
pub fn span(seconds: i64) -> String {
    residual(seconds.saturating_abs())
}

/// Whole days, rounded toward negative infinity (−1 the day after expiry).
pub fn days(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_like_kubeadm() {
        assert_eq!(residual(-5), "<invalid>");
        assert_eq!(residual(-1), "0s");
        assert_eq!(residual(59), "59s");
        assert_eq!(residual(3599), "59m");
        assert_eq!(residual(86_399), "23h");
        assert_eq!(residual(364 * 86_400 + 5), "364d");
        assert_eq!(residual(9 * 365 * 86_400 + 200 * 86_400), "9y");
        assert_eq!(days(-1), -1);
        assert_eq!(days(86_399), 0);
    }

    #[test]
    fn status_priority() {
        let exp = Finding::Expired {
            not_after: "x".into(),
            ago: "1d".into(),
        };
        let weak = Finding::WeakKey { bits: 1024 };
        let bad = Finding::KeyMismatch { key: "k".into() };
        assert_eq!(Status::of(&[]), Status::Ok);
        assert_eq!(Status::of(std::slice::from_ref(&weak)), Status::Warn);
        assert_eq!(Status::of(&[weak.clone(), bad.clone()]), Status::Invalid);
        assert_eq!(Status::of(&[bad, exp, weak]), Status::Expired);
        assert!(!Status::Warn.is_problem());
        assert!(Status::Invalid.is_problem());
    }
}

//! One certificate, decoded: [`CertInfo`] holds every field people ask
//! about (names, serial, validity, SANs, key, signature algorithm, key
//! usage, extended key usage, basic constraints, key identifiers,
//! fingerprints), parsed from DER with x509-parser.
//!
//! Validity times are kept as Unix seconds ([`CertTime`]) so certificates
//! dated before 1970 (UTCTime `5001010000Z` and earlier) or after 2049
//! (GeneralizedTime, up to year 9999) are judged like any other; webpki
//! rejects such dates as `BadDerTime`, this module does not.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

use crate::timestamp::Timestamp;

/// Why bytes are not a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("not an X.509 certificate: {0}")]
    NotACertificate(String),
    #[error("{0} bytes of trailing data after the certificate")]
    TrailingData(usize),
}

/// A validity bound: seconds since the Unix epoch (negative before 1970),
/// and whether the certificate encoded it as GeneralizedTime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertTime {
    pub unix: i64,
    pub generalized: bool,
}

impl CertTime {
    /// As a [`Timestamp`] (nanoseconds), saturating past year 2262.
    pub fn timestamp(self) -> Timestamp {
        Timestamp(self.unix.saturating_mul(1_000_000_000))
    }

    /// RFC 3339, UTC, like every timestamp kinspect prints.
    pub fn rfc3339(self) -> String {
        rfc3339_secs(self.unix)
    }
}

impl fmt::Display for CertTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for CertTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// RFC 3339 for Unix seconds: through [`Timestamp`]'s format when it fits
/// (years 1677..2262), otherwise the `time` crate (years up to 9999).
pub fn rfc3339_secs(unix: i64) -> String {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    if (-LIMIT..LIMIT).contains(&unix) {
        return Timestamp(unix * 1_000_000_000).to_string();
    }
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let d = t.date();
            let tm = t.time();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000000Z",
                d.year(),
                u8::from(d.month()),
                d.day(),
                tm.hour(),
                tm.minute(),
                tm.second()
            )
        }
        Err(_) => format!("@{unix}"),
    }
}

/// A subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum San {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    /// Anything else, already formatted (`othername:...`, `dirname:...`).
    Other(String),
}

impl fmt::Display for San {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
            San::Email(e) => write!(f, "email:{e}"),
            San::Uri(u) => write!(f, "URI:{u}"),
            San::Other(o) => f.write_str(o),
        }
    }
}

impl Serialize for San {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// An extended key usage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Eku {
    ServerAuth,
    ClientAuth,
    CodeSigning,
    EmailProtection,
    TimeStamping,
    OcspSigning,
    Any,
    Other(String),
}

impl fmt::Display for Eku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Eku::ServerAuth => "serverAuth",
            Eku::ClientAuth => "clientAuth",
            Eku::CodeSigning => "codeSigning",
            Eku::EmailProtection => "emailProtection",
            Eku::TimeStamping => "timeStamping",
            Eku::OcspSigning => "OCSPSigning",
            Eku::Any => "anyExtendedKeyUsage",
            Eku::Other(o) => o,
        })
    }
}

impl Serialize for Eku {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// The kind of public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa,
    /// ECDSA on a named curve (`P-256`, `P-384`, `P-521`, or the OID).
    Ec(String),
    Ed25519,
    Ed448,
    Dsa,
    Other(String),
}

/// A certificate's public key: algorithm and size in bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub algorithm: KeyAlgorithm,
    pub bits: u32,
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.algorithm {
            KeyAlgorithm::Rsa => write!(f, "RSA {} bits", self.bits),
            KeyAlgorithm::Ec(curve) => write!(f, "ECDSA {curve}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Ed448 => f.write_str("Ed448"),
            KeyAlgorithm::Dsa => write!(f, "DSA {} bits", self.bits),
            KeyAlgorithm::Other(oid) => write!(f, "{oid} ({} bits)", self.bits),
        }
    }
}

impl Serialize for KeyInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// One extension as listed by `certs show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionSummary {
    pub oid: String,
    pub name: String,
    pub critical: bool,
}

/// A decoded certificate. Cheap to clone relative to the work of parsing;
/// keeps its DER for signature checks and for handing to rustls.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    #[serde(skip)]
    pub der: Vec<u8>,
    pub version: u32,
    /// RFC 2253 order, most specific first: `CN=kube-apiserver,O=...`.
    pub subject: String,
    pub issuer: String,
    /// The encoded Name, compared when building chains.
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
    pub common_name: Option<String>,
    pub organizations: Vec<String>,
    /// Upper-case hex without separators, like `openssl x509 -serial`.
    pub serial: String,
    pub not_before: CertTime,
    pub not_after: CertTime,
    pub sans: Vec<San>,
    pub key: KeyInfo,
    /// The encoded SubjectPublicKeyInfo (to match private keys, verify signatures).
    #[serde(skip)]
    pub spki_der: Vec<u8>,
    /// openssl's name for it: `sha256WithRSAEncryption`, `ecdsa-with-SHA256`...
    pub signature_algorithm: String,
    /// basicConstraints cA.
    pub is_ca: bool,
    pub basic_constraints: bool,
    pub path_len: Option<u32>,
    /// Key usage bits in openssl's words; `None` when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    /// `None` when the extension is absent (any usage allowed).
    pub ext_key_usage: Option<Vec<Eku>>,
    #[serde(serialize_with = "ser_hex_opt")]
    pub subject_key_id: Option<Vec<u8>>,
    #[serde(serialize_with = "ser_hex_opt")]
    pub authority_key_id: Option<Vec<u8>>,
    #[serde(serialize_with = "ser_hex")]
    pub sha256: Vec<u8>,
    #[serde(serialize_with = "ser_hex")]
    pub sha1: Vec<u8>,
    pub extensions: Vec<ExtensionSummary>,
}

fn ser_hex<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&colon_hex(v))
}

fn ser_hex_opt<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&colon_hex(v)),
        None => s.serialize_none(),
    }
}

/// `AB:CD:EF` upper-case hex, like openssl fingerprints.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

impl CertInfo {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, CertError> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| CertError::NotACertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData(rest.len()));
        }
        Ok(Self::from_parsed(&cert, &der[..der.len() - rest.len()]))
    }

    fn from_parsed(cert: &X509Certificate<'_>, der: &[u8]) -> CertInfo {
        let validity = cert.validity();
        let time = |t: &x509_parser::time::ASN1Time| CertTime {
            unix: t.timestamp(),
            generalized: t.is_generalizedtime(),
        };
        let mut info = CertInfo {
            der: der.to_vec(),
            version: cert.version().0 + 1,
            subject: rfc2253(cert.subject()),
            issuer: rfc2253(cert.issuer()),
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
            common_name: cert
                .subject()
                .iter_common_name()
                .next()
                .map(|a| attr_string(a.as_slice(), a.as_str().ok())),
            organizations: cert
                .subject()
                .iter_organization()
                .map(|a| attr_string(a.as_slice(), a.as_str().ok()))
                .collect(),
            serial: serial_hex(cert.raw_serial()),
            not_before: time(&validity.not_before),
            not_after: time(&validity.not_after),
            sans: Vec::new(),
            key: key_info(cert),
            spki_der: cert.public_key().raw.to_vec(),
            signature_algorithm: sig_alg_name(&cert.signature_algorithm.algorithm.to_id_string()),
            is_ca: false,
            basic_constraints: false,
            path_len: None,
            key_usage: None,
            ext_key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            sha256: Sha256::digest(der).to_vec(),
            sha1: sha1(der).to_vec(),
            extensions: Vec::new(),
        };
        for ext in cert.extensions() {
            let oid = ext.oid.to_id_string();
            info.extensions.push(ExtensionSummary {
                name: ext_name(&oid).to_string(),
                oid,
                critical: ext.critical,
            });
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for n in &san.general_names {
                        info.sans.push(general_name(n));
                    }
                }
                ParsedExtension::BasicConstraints(bc) => {
                    info.basic_constraints = true;
                    info.is_ca = bc.ca;
                    info.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => {
                    let mut v = Vec::new();
                    let names = [
                        (ku.digital_signature(), "Digital Signature"),
                        (ku.non_repudiation(), "Non Repudiation"),
                        (ku.key_encipherment(), "Key Encipherment"),
                        (ku.data_encipherment(), "Data Encipherment"),
                        (ku.key_agreement(), "Key Agreement"),
                        (ku.key_cert_sign(), "Certificate Sign"),
                        (ku.crl_sign(), "CRL Sign"),
                        (ku.encipher_only(), "Encipher Only"),
                        (ku.decipher_only(), "Decipher Only"),
                    ];
                    for (on, name) in names {
                        if on {
                            v.push(name.to_string());
                        }
                    }
                    info.key_usage = Some(v);
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut v = Vec::new();
                    let flags = [
                        (eku.server_auth, Eku::ServerAuth),
                        (eku.client_auth, Eku::ClientAuth),
                        (eku.code_signing, Eku::CodeSigning),
                        (eku.email_protection, Eku::EmailProtection),
                        (eku.time_stamping, Eku::TimeStamping),
                        (eku.ocsp_signing, Eku::OcspSigning),
                        (eku.any, Eku::Any),
                    ];
                    for (on, e) in flags {
                        if on {
                            v.push(e);
                        }
                    }
                    for o in &eku.other {
                        v.push(Eku::Other(o.to_id_string()));
                    }
                    info.ext_key_usage = Some(v);
                }
                ParsedExtension::SubjectKeyIdentifier(k) => {
                    info.subject_key_id = Some(k.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    info.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                _ => {}
            }
        }
        info
    }

    /// Subject and issuer are the same name (a root, or kubelet's
    /// self-signed serving certificate). Says nothing about the signature.
    pub fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// The common name, or the whole subject when there is none.
    pub fn short_name(&self) -> String {
        self.common_name.clone().unwrap_or_else(|| {
            if self.subject.is_empty() {
                "<empty subject>".into()
            } else {
                self.subject.clone()
            }
        })
    }

    /// True when the extended key usage allows `eku` (no extension, or
    /// `anyExtendedKeyUsage`, allow everything).
    pub fn allows(&self, eku: &Eku) -> bool {
        match &self.ext_key_usage {
            None => true,
            Some(v) => v.contains(eku) || v.contains(&Eku::Any),
        }
    }

    /// The DNS names and IP addresses of the SAN extension.
    pub fn san_strings(&self) -> Vec<String> {
        self.sans.iter().map(|s| s.to_string()).collect()
    }

    /// SHA-256 fingerprint as `AB:CD:...`.
    pub fn fingerprint(&self) -> String {
        colon_hex(&self.sha256)
    }

    /// Seconds left at `at` (negative when expired).
    pub fn seconds_left(&self, at: Timestamp) -> i64 {
        self.not_after
            .unix
            .saturating_sub(at.0.div_euclid(1_000_000_000))
    }

    /// Not yet valid, valid, or expired at `at`.
    pub fn validity_at(&self, at: Timestamp) -> Validity {
        let t = at.0.div_euclid(1_000_000_000);
        if t < self.not_before.unix {
            Validity::NotYetValid
        } else if t > self.not_after.unix {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    /// The signature algorithm uses SHA-1 or MD5, which Go (and so every
    /// Kubernetes component and etcd) refuses since Go 1.18.
    pub fn weak_signature(&self) -> bool {
        let a = self.signature_algorithm.to_ascii_lowercase();
        a.contains("sha1") || a.contains("md5") || a.contains("md2")
    }
}

/// Where a time falls relative to a certificate's validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid,
    Expired,
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    let trimmed = &raw[start..];
    if trimmed.is_empty() {
        return "00".into();
    }
    hex::encode_upper(trimmed)
}

/// The number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_len(bytes: &[u8]) -> u32 {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let b = &bytes[start..];
    match b.first() {
        None => 0,
        Some(first) => (b.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => bit_len(rsa.modulus),
                _ => 0,
            };
            KeyInfo {
                algorithm: KeyAlgorithm::Rsa,
                bits,
            }
        }
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let (name, bits) = match curve.as_str() {
                "1.2.840.10045.3.1.7" => ("P-256".to_string(), 256),
                "1.3.132.0.34" => ("P-384".to_string(), 384),
                "1.3.132.0.35" => ("P-521".to_string(), 521),
                other => (other.to_string(), 0),
            };
            KeyInfo {
                algorithm: KeyAlgorithm::Ec(name),
                bits,
            }
        }
        "1.3.101.112" => KeyInfo {
            algorithm: KeyAlgorithm::Ed25519,
            bits: 256,
        },
        "1.3.101.113" => KeyInfo {
            algorithm: KeyAlgorithm::Ed448,
            bits: 456,
        },
        "1.2.840.10040.4.1" => KeyInfo {
            algorithm: KeyAlgorithm::Dsa,
            bits: match spki.parsed() {
                Ok(PublicKey::DSA(y)) => bit_len(y),
                _ => 0,
            },
        },
        other => KeyInfo {
            algorithm: KeyAlgorithm::Other(other.to_string()),
            bits: 0,
        },
    }
}

/// openssl's short names for signature algorithm OIDs.
pub fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        other => return other.to_string(),
    }
    .to_string()
}

fn ext_name(oid: &str) -> &'static str {
    match oid {
        "2.5.29.14" => "Subject Key Identifier",
        "2.5.29.15" => "Key Usage",
        "2.5.29.17" => "Subject Alternative Name",
        "2.5.29.18" => "Issuer Alternative Name",
        "2.5.29.19" => "Basic Constraints",
        "2.5.29.30" => "Name Constraints",
        "2.5.29.31" => "CRL Distribution Points",
        "2.5.29.32" => "Certificate Policies",
        "2.5.29.35" => "Authority Key Identifier",
        "2.5.29.37" => "Extended Key Usage",
        "1.3.6.1.5.5.7.1.1" => "Authority Information Access",
        "1.3.6.1.4.1.11129.2.4.2" => "CT Precertificate SCTs",
        "2.16.840.1.113730.1.1" => "Netscape Cert Type",
        "2.16.840.1.113730.1.13" => "Netscape Comment",
        _ => "unknown",
    }
}

fn general_name(n: &GeneralName<'_>) -> San {
    match n {
        GeneralName::DNSName(d) => San::Dns(d.to_string()),
        GeneralName::IPAddress(b) => match b.len() {
            4 => San::Ip(IpAddr::from([b[0], b[1], b[2], b[3]])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                San::Ip(IpAddr::from(a))
            }
            _ => San::Other(format!("IP:<{} bytes>", b.len())),
        },
        GeneralName::RFC822Name(e) => San::Email(e.to_string()),
        GeneralName::URI(u) => San::Uri(u.to_string()),
        GeneralName::DirectoryName(name) => San::Other(format!("DirName:{}", rfc2253(name))),
        GeneralName::OtherName(oid, _) => San::Other(format!("othername:{}", oid.to_id_string())),
        GeneralName::RegisteredID(oid) => San::Other(format!("RID:{}", oid.to_id_string())),
        other => San::Other(format!("{other:?}")),
    }
}

fn attr_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "2.5.4.4" => "SN",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        // EV certificates' jurisdiction and business category, as openssl names them.
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "2.5.4.15" => "businessCategory",
        _ => return None,
    })
}

fn attr_string(raw: &[u8], s: Option<&str>) -> String {
    match s {
        Some(s) => s.to_string(),
        None => match std::str::from_utf8(raw) {
            Ok(s) if s.chars().all(|c| !c.is_control()) => s.to_string(),
            _ => {
                // BMPString (UTF-16BE) is the one other string type in use.
                if raw.len() % 2 == 0 {
                    let units: Vec<u16> = raw
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect();
                    if let Ok(s) = String::from_utf16(&units) {
                        return s;
                    }
                }
                format!("#{}", hex::encode(raw))
            }
        },
    }
}

/// A distinguished name the way `openssl x509 -nameopt RFC2253` prints it:
/// most specific RDN first, `,` between RDNs, `+` inside one.
pub fn rfc2253(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = attr_short_name(&oid).map(str::to_string).unwrap_or(oid);
                    let value = attr_string(atv.as_slice(), atv.as_str().ok());
                    format!("{key}={}", escape_dn(&value))
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn escape_dn(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_serials() {
        assert_eq!(bit_len(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_len(&[0x01, 0x00]), 9);
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(serial_hex(&[0]), "00");
        assert_eq!(serial_hex(&[0, 0xab, 0x01]), "AB01");
    }

    #[test]
    fn times_beyond_timestamp_range() {
        assert_eq!(rfc3339_secs(0), "1970-01-01T00:00:00.000000Z");
        // 9999-12-31T23:59:59Z, the "no expiry" GeneralizedTime of RFC 5280.
        assert_eq!(rfc3339_secs(253_402_300_799), "9999-12-31T23:59:59.000000Z");
        assert_eq!(rfc3339_secs(-631_152_000), "1950-01-01T00:00:00.000000Z");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(matches!(
            CertInfo::from_der(b"\x30\x03\x02\x01\x00"),
            Err(CertError::NotACertificate(_))
        ));
        assert!(CertInfo::from_der(b"").is_err());
    }
}

//! Reading certificates and keys from bytes and files: PEM (one or many
//! blocks, with any text around them), DER, bundles, and files that mix
//! certificates with their key (`kubelet-client-current.pem`). PEM is
//! read with `rustls-pki-types`' `PemObject`.
//!
//! Nothing here fails on the first bad block: every readable certificate is
//! returned with a list of problems (a truncated block, bad base64, a DER
//! that is not a certificate), and callers decide what is fatal.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::{self, PemObject, SectionKind};

use super::cert::CertInfo;
use super::key::{KeyFormat, PrivateKey};

/// Files larger than this are not certificate files.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {}", path.display(), io_message(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// More than [`MAX_FILE_BYTES`] were read (counted while reading:
    /// metadata says 0 for devices).
    #[error("{}: more than {MAX_FILE_BYTES} bytes, too large for a certificate file", path.display())]
    TooLarge { path: PathBuf },
    /// A FIFO, device, socket or directory: refused without reading.
    #[error("{}: {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: {what}", path.display())]
    NoCertificate { path: PathBuf, what: String },
}

/// Everything found in one file or one embedded blob.
#[derive(Debug, Default, Clone)]
pub struct Contents {
    pub certs: Vec<CertInfo>,
    pub keys: Vec<PrivateKey>,
    /// Things that are not certificates or keys: `X509 CRL`, `PUBLIC KEY`...
    pub other: Vec<String>,
    /// What could not be read, in words (never key material).
    pub problems: Vec<String>,
    /// The bytes looked like PEM (a `-----BEGIN` line).
    pub pem: bool,
}

impl Contents {
    /// No certificate and no key.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.keys.is_empty()
    }

    /// One sentence for a file that gave nothing usable.
    pub fn why_empty(&self) -> String {
        if !self.problems.is_empty() {
            self.problems.join("; ")
        } else if !self.other.is_empty() {
            format!("no certificate (only {})", self.other.join(", "))
        } else if self.pem {
            "no certificate in the PEM blocks".into()
        } else {
            "no certificate: neither PEM (no -----BEGIN line) nor a DER certificate".into()
        }
    }
}

/// Reads PEM (any number of blocks, junk around them) or a single DER
/// certificate.
pub fn parse(bytes: &[u8]) -> Contents {
    let mut out = Contents::default();
    if contains(bytes, b"-----BEGIN ") {
        out.pem = true;
        parse_pem(bytes, &mut out);
    } else if bytes.first() == Some(&0x30) {
        match CertInfo::from_der(bytes) {
            Ok(c) => out.certs.push(c),
            Err(e) => {
                use x509_parser::prelude::FromDer;
                use x509_parser::revocation_list::CertificateRevocationList;
                if CertificateRevocationList::from_der(bytes).is_ok() {
                    out.other.push("a CRL".into());
                } else {
                    out.problems.push(format!("DER data is {e}"));
                }
            }
        }
    }
    out
}

fn parse_pem(bytes: &[u8], out: &mut Contents) {
    let mut index = 0usize;
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        match item {
            Ok((SectionKind::Certificate, der)) => {
                index += 1;
                match CertInfo::from_der(&der) {
                    Ok(c) => out.certs.push(c),
                    Err(e) => out.problems.push(format!("PEM certificate #{index}: {e}")),
                }
            }
            Ok((SectionKind::RsaPrivateKey, der)) => {
                out.keys.push(PrivateKey::new(KeyFormat::Pkcs1, der))
            }
            Ok((SectionKind::EcPrivateKey, der)) => {
                out.keys.push(PrivateKey::new(KeyFormat::Sec1, der))
            }
            Ok((SectionKind::PrivateKey, der)) => {
                out.keys.push(PrivateKey::new(KeyFormat::Pkcs8, der))
            }
            Ok((SectionKind::Crl, _)) => out.other.push("a CRL".into()),
            Ok((SectionKind::PublicKey, _)) => out.other.push("a public key".into()),
            Ok((SectionKind::Csr, _)) => out.other.push("a certificate request".into()),
            Ok((kind, _)) => out.other.push(format!("{kind:?}")),
            Err(e) => {
                let encrypted_rsa = contains(bytes, b"Proc-Type: 4,ENCRYPTED");
                if encrypted_rsa && matches!(e, pem::Error::Base64Decode(_)) {
                    out.keys
                        .push(PrivateKey::new(KeyFormat::Encrypted, Vec::new()));
                } else {
                    out.problems.push(pem_error(&e));
                }
            }
        }
    }
    if contains(bytes, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        out.keys
            .push(PrivateKey::new(KeyFormat::Encrypted, Vec::new()));
    }
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => {
            let m = String::from_utf8_lossy(end_marker);
            let m = m.trim();
            if m.starts_with("-----") {
                format!("truncated PEM: no {m} line")
            } else {
                format!("truncated PEM: no -----END {m}----- line")
            }
        }
        pem::Error::IllegalSectionStart { .. } => "malformed PEM -----BEGIN line".into(),
        pem::Error::Base64Decode(why) => format!("a PEM block is not valid base64 ({why})"),
        other => format!("PEM: {other}"),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An I/O error in words, without Rust's `(os error 2)` suffix.
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

/// Reads a regular file (at most [`MAX_FILE_BYTES`], counted while
/// reading); FIFOs and devices are refused ([`crate::fsutil`]).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, LoadError> {
    crate::fsutil::read_regular_file(path, MAX_FILE_BYTES, "a certificate file").map_err(
        |e| match e {
            crate::fsutil::FileError::Io { path, source } => LoadError::Io { path, source },
            crate::fsutil::FileError::NotRegular { path, kind } => {
                LoadError::NotRegular { path, kind }
            }
            crate::fsutil::FileError::TooLarge { path, .. } => LoadError::TooLarge { path },
        },
    )
}

/// Reads and parses a file; problems stay in [`Contents::problems`].
pub fn read_file(path: &Path) -> Result<Contents, LoadError> {
    Ok(parse(&read_bytes(path)?))
}

/// Every certificate of a file; an error when there is none.
pub fn load_certs(path: &Path) -> Result<Vec<CertInfo>, LoadError> {
    let c = read_file(path)?;
    if c.certs.is_empty() {
        return Err(LoadError::NoCertificate {
            path: path.to_path_buf(),
            what: c.why_empty(),
        });
    }
    Ok(c.certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncation_are_described() {
        let c = parse(b"hello world");
        assert!(c.is_empty());
        assert!(c.why_empty().contains("neither PEM"));

        let c = parse(b"junk\n-----BEGIN CERTIFICATE-----\nMIIB\n");
        assert!(c.certs.is_empty());
        assert_eq!(
            c.why_empty(),
            "truncated PEM: no -----END CERTIFICATE----- line"
        );

        let c = parse(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assert!(c.why_empty().starts_with("a PEM block is not valid base64"));

        let c = parse(b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n");
        assert!(
            c.why_empty()
                .starts_with("PEM certificate #1: not an X.509 certificate")
        );

        let c = parse(b"\x30\x03\x02\x01\x00");
        assert!(
            c.why_empty()
                .starts_with("DER data is not an X.509 certificate")
        );
    }
}

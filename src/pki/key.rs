//! Private keys, read only to answer one question: does this key belong to
//! that certificate? Nothing here prints, logs or serialises key material:
//! [`PrivateKey`]'s `Debug` shows only the format.
//!
//! Formats: PKCS#1 (`RSA PRIVATE KEY`, what kubeadm writes), SEC1
//! (`EC PRIVATE KEY`, what the kubelet writes) and PKCS#8 (`PRIVATE KEY`)
//! holding RSA, ECDSA P-256/P-384 or Ed25519. The match is checked by
//! *ring* deriving the public key from the private one where it can (ECDSA,
//! Ed25519, RSA >= 2048 bits); for smaller RSA keys the modulus and public
//! exponent stored in the key are compared with the certificate's.

use std::fmt;

use ring::signature;

use super::cert::{CertInfo, KeyAlgorithm};

/// The encoding a key came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    Pkcs1,
    Sec1,
    Pkcs8,
    /// `ENCRYPTED PRIVATE KEY` or a PEM with `Proc-Type: 4,ENCRYPTED`.
    Encrypted,
}

/// A private key held only long enough to compare it with a certificate.
#[derive(Clone)]
pub struct PrivateKey {
    format: KeyFormat,
    der: Vec<u8>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({:?}, <redacted>)", self.format)
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        // Best effort: do not leave key bytes in freed memory.
        self.der.iter_mut().for_each(|b| *b = 0);
    }
}

/// The answer to "does this key belong to that certificate?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    Matches,
    DoesNotMatch,
    /// The key could not be compared (encrypted, unsupported curve, broken).
    Unknown(String),
}

impl PrivateKey {
    pub fn new(format: KeyFormat, der: Vec<u8>) -> PrivateKey {
        PrivateKey { format, der }
    }

    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// Compares the key with the certificate's public key.
    pub fn matches(&self, cert: &CertInfo) -> KeyMatch {
        let parsed = match self.parse() {
            Ok(p) => p,
            Err(e) => return KeyMatch::Unknown(e),
        };
        let cert_pub = match spki_public_key(&cert.spki_der) {
            Some(p) => p,
            None => return KeyMatch::Unknown("the certificate's public key is unreadable".into()),
        };
        match (parsed, &cert.key.algorithm) {
            (Parsed::Rsa { n, e, pkcs1 }, KeyAlgorithm::Rsa) => {
                // ring validates every component of keys it accepts.
                if let Ok(kp) = signature::RsaKeyPair::from_der(pkcs1) {
                    return bool_match(kp.public().as_ref() == cert_pub);
                }
                match rsa_public(cert_pub) {
                    Some((cn, ce)) => bool_match(strip(cn) == strip(n) && strip(ce) == strip(e)),
                    None => KeyMatch::Unknown("the certificate's RSA key is unreadable".into()),
                }
            }
            (Parsed::Ec { curve, scalar }, KeyAlgorithm::Ec(cert_curve)) => {
                if curve.as_deref().is_some_and(|c| c != cert_curve) {
                    return KeyMatch::DoesNotMatch;
                }
                let alg = match cert_curve.as_str() {
                    "P-256" => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    "P-384" => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    other => {
                        return KeyMatch::Unknown(format!("curve {other} cannot be checked"));
                    }
                };
                let rng = ring::rand::SystemRandom::new();
                bool_match(
                    signature::EcdsaKeyPair::from_private_key_and_public_key(
                        alg, scalar, cert_pub, &rng,
                    )
                    .is_ok(),
                )
            }
            (Parsed::Ed25519 { seed }, KeyAlgorithm::Ed25519) => bool_match(
                signature::Ed25519KeyPair::from_seed_and_public_key(seed, cert_pub).is_ok(),
            ),
            (Parsed::Other(what), _) => KeyMatch::Unknown(what),
            // An RSA key for an ECDSA certificate and the like.
            _ => KeyMatch::DoesNotMatch,
        }
    }

    fn parse(&self) -> Result<Parsed<'_>, String> {
        match self.format {
            KeyFormat::Encrypted => Err("the key is encrypted".into()),
            KeyFormat::Pkcs1 => parse_pkcs1(&self.der),
            KeyFormat::Sec1 => parse_sec1(&self.der, None),
            KeyFormat::Pkcs8 => parse_pkcs8(&self.der),
        }
    }
}

fn bool_match(b: bool) -> KeyMatch {
    if b {
        KeyMatch::Matches
    } else {
        KeyMatch::DoesNotMatch
    }
}

enum Parsed<'a> {
    Rsa {
        n: &'a [u8],
        e: &'a [u8],
        pkcs1: &'a [u8],
    },
    Ec {
        curve: Option<String>,
        scalar: &'a [u8],
    },
    Ed25519 {
        seed: &'a [u8],
    },
    Other(String),
}

fn strip(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[start..]
}

const BAD: &str = "the key file is not a well-formed private key";

fn parse_pkcs1(der: &[u8]) -> Result<Parsed<'_>, String> {
    let (seq, _) = der::expect(der, der::SEQUENCE).ok_or(BAD)?;
    let (_version, rest) = der::expect(seq, der::INTEGER).ok_or(BAD)?;
    let (n, rest) = der::expect(rest, der::INTEGER).ok_or(BAD)?;
    let (e, _) = der::expect(rest, der::INTEGER).ok_or(BAD)?;
    Ok(Parsed::Rsa { n, e, pkcs1: der })
}

fn curve_name(oid_body: &[u8]) -> String {
    match oid_body {
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => "P-256".into(),
        [0x2b, 0x81, 0x04, 0x00, 0x22] => "P-384".into(),
        [0x2b, 0x81, 0x04, 0x00, 0x23] => "P-521".into(),
        other => format!("curve {}", hex::encode(other)),
    }
}

fn parse_sec1(der: &[u8], curve: Option<String>) -> Result<Parsed<'_>, String> {
    let (seq, _) = der::expect(der, der::SEQUENCE).ok_or(BAD)?;
    let (_version, rest) = der::expect(seq, der::INTEGER).ok_or(BAD)?;
    let (scalar, mut rest) = der::expect(rest, der::OCTET_STRING).ok_or(BAD)?;
    let mut curve = curve;
    while let Some((tag, body, next)) = der::read(rest) {
        if tag == 0xa0 {
            if let Some((oid, _)) = der::expect(body, der::OID) {
                curve = Some(curve_name(oid));
            }
        }
        rest = next;
    }
    Ok(Parsed::Ec { curve, scalar })
}

fn parse_pkcs8(der: &[u8]) -> Result<Parsed<'_>, String> {
    let (seq, _) = der::expect(der, der::SEQUENCE).ok_or(BAD)?;
    let (_version, rest) = der::expect(seq, der::INTEGER).ok_or(BAD)?;
    let (alg, rest) = der::expect(rest, der::SEQUENCE).ok_or(BAD)?;
    let (key, _) = der::expect(rest, der::OCTET_STRING).ok_or(BAD)?;
    let (oid, params) = der::expect(alg, der::OID).ok_or(BAD)?;
    match oid {
        // rsaEncryption, RSASSA-PSS
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
        | [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a] => parse_pkcs1(key),
        // id-ecPublicKey
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => {
            let curve = der::expect(params, der::OID).map(|(c, _)| curve_name(c));
            parse_sec1(key, curve)
        }
        // Ed25519: CurvePrivateKey ::= OCTET STRING
        [0x2b, 0x65, 0x70] => {
            let (seed, _) = der::expect(key, der::OCTET_STRING).ok_or(BAD)?;
            Ok(Parsed::Ed25519 { seed })
        }
        other => Ok(Parsed::Other(format!(
            "keys of algorithm {} cannot be checked",
            hex::encode(other)
        ))),
    }
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo.
fn spki_public_key(spki: &[u8]) -> Option<&[u8]> {
    let (seq, _) = der::expect(spki, der::SEQUENCE)?;
    let (_alg, rest) = der::expect(seq, der::SEQUENCE)?;
    let (bits, _) = der::expect(rest, der::BIT_STRING)?;
    // First byte: number of unused bits (0 for keys).
    bits.split_first().map(|(_, b)| b)
}

fn rsa_public(pk: &[u8]) -> Option<(&[u8], &[u8])> {
    let (seq, _) = der::expect(pk, der::SEQUENCE)?;
    let (n, rest) = der::expect(seq, der::INTEGER)?;
    let (e, _) = der::expect(rest, der::INTEGER)?;
    Some((n, e))
}

/// A minimal DER reader: single-byte tags, definite lengths.
pub(crate) mod der {
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;

    /// One TLV: (tag, body, rest).
    pub fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let mut len = 0usize;
            for b in &rest[..n] {
                len = (len << 8) | *b as usize;
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        Some((tag, &rest[..len], &rest[len..]))
    }

    /// Reads one TLV that must have `tag`: (body, rest).
    pub fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (t, body, rest) = read(input)?;
        (t == tag).then_some((body, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let k = PrivateKey::new(KeyFormat::Pkcs8, vec![0x30, 0x01, 0x42]);
        let s = format!("{k:?}");
        assert_eq!(s, "PrivateKey(Pkcs8, <redacted>)");
    }

    #[test]
    fn der_reader_bounds() {
        assert_eq!(
            der::read(&[0x30, 0x02, 0x05, 0x00]).map(|t| t.0),
            Some(0x30)
        );
        assert!(der::read(&[0x30, 0x05, 0x00]).is_none());
        assert!(der::read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(der::read(&[0x30, 0x82, 0x01]).is_none());
        assert!(parse_pkcs8(&[0x30, 0x00]).is_err());
    }
}

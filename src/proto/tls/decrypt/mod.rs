//! Decryption of TLS records with known secrets: the TLS 1.0–1.2 PRF key
//! block, the TLS 1.3 traffic-key derivation (HKDF-Expand-Label), AEAD
//! record opening (AES-128/256-GCM, ChaCha20-Poly1305) with ring, and CBC
//! record opening (AES-128/256-CBC with HMAC-SHA1/SHA256/SHA384) with the
//! RustCrypto `aes`/`cbc` crates and ring's HMAC.
//!
//! This module owns the primitives only: derive one direction's keys from a
//! logged secret, open one record, keep that direction's sequence number.
//! Which key applies when (handshake vs application, 0-RTT trial, KeyUpdate)
//! is decided by the TLS dissector.
//!
//! Supported: the TLS 1.3 suites 0x1301, 0x1302, 0x1303; the TLS 1.2
//! AEAD suites with AES-GCM or ChaCha20-Poly1305 (ECDHE-RSA/ECDSA, ECDH,
//! DHE, DH, RSA, PSK, DHE-PSK, RSA-PSK, ECDHE-PSK; SHA-256 or SHA-384);
//! the AES-CBC suites `*_WITH_AES_128/256_CBC_SHA` (TLS 1.0–1.2, e.g.
//! 0x002f, 0x0035, 0xc009, 0xc00a, 0xc013, 0xc014, 0x0033, 0x0039, 0x008c,
//! 0x008d) and `*_CBC_SHA256` / `*_CBC_SHA384` (TLS 1.2, e.g. 0x003c,
//! 0x003d, 0xc023, 0xc024, 0xc027, 0xc028, 0x0067, 0x006b), with the same
//! key exchanges plus DH-anon, ECDH-anon and SRP.
//! CBC is MAC-then-encrypt only: Encrypt-then-MAC (RFC 7366) is negotiated
//! by a hello extension this module does not see, so such sessions' records
//! fail to authenticate. TLS 1.0's implicit (chained) IVs are supported
//! through [`tls_decrypters`].
//! Not supported: AES-CCM, RC4, 3DES, Camellia, ARIA, SEED and NULL suites:
//! they give [`DecryptError::UnsupportedSuite`].

mod aead;
mod cbc;
pub mod schedule;
pub mod suites;

use aead::Layout;
use cbc::CbcKeys;
use ring::aead::{LessSafeKey, UnboundKey};
use schedule::{KeyBlockLayout, Prf};
use suites::Bulk;

pub use aead::{TLS12_MAX_BODY, TLS13_MAX_BODY};

/// Why a record could not be opened or keys could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("cipher suite 0x{0:04x} is not supported for decryption")]
    UnsupportedSuite(u16),
    /// A protocol version [`tls_decrypters`] does not handle (SSL 3.0,
    /// TLS 1.3 and unknown versions).
    #[error("protocol version 0x{0:04x} is not supported for decryption")]
    UnsupportedVersion(u16),
    #[error("secret is {actual} bytes, expected {expected}")]
    BadSecretLength { expected: usize, actual: usize },
    #[error("record body is {actual} bytes, at least {minimum} needed")]
    RecordTooShort { minimum: usize, actual: usize },
    #[error("record authentication failed (wrong key, wrong sequence number or corrupted record)")]
    AuthenticationFailed,
    #[error("record body is {actual} bytes, at most {maximum} allowed")]
    RecordTooLong { maximum: usize, actual: usize },
    /// A TLS 1.3 record that authenticated but is all zeros (no content type).
    #[error("TLS 1.3 record has no content type (all padding)")]
    NoContentType,
    /// The sequence number reached 2^64 − 1.
    #[error("sequence number exhausted")]
    SequenceExhausted,
    /// HKDF refused the requested output length (cannot happen for the
    /// lengths used here).
    #[error("key derivation failed")]
    DerivationFailed,
}

/// One direction's record protection; tracks its sequence number.
/// `Debug` shows the suite and sequence number, never keys.
pub struct RecordDecrypter {
    cipher_suite: u16,
    protection: Protection,
    sequence: u64,
}

/// How records are opened (both boxed: key schedules are large).
enum Protection {
    Aead {
        key: Box<LessSafeKey>,
        layout: Layout,
    },
    Cbc(Box<CbcKeys>),
}

impl std::fmt::Debug for RecordDecrypter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordDecrypter")
            .field("cipher_suite", &format_args!("0x{:04x}", self.cipher_suite))
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl RecordDecrypter {
    fn new(
        cipher_suite: u16,
        aead: suites::AeadAlg,
        key: &[u8],
        layout: Layout,
    ) -> Result<Self, DecryptError> {
        let unbound =
            UnboundKey::new(aead.ring_alg(), key).map_err(|_| DecryptError::BadSecretLength {
                expected: aead.key_len(),
                actual: key.len(),
            })?;
        Ok(RecordDecrypter {
            cipher_suite,
            protection: Protection::Aead {
                key: Box::new(LessSafeKey::new(unbound)),
                layout,
            },
            sequence: 0,
        })
    }

    fn new_cbc(cipher_suite: u16, keys: CbcKeys) -> Self {
        RecordDecrypter {
            cipher_suite,
            protection: Protection::Cbc(Box::new(keys)),
            sequence: 0,
        }
    }

    /// Opens one record (the 5-byte header as on the wire, and the body).
    /// TLS 1.0–1.2 AEAD and CBC: (header content type, plaintext), CBC
    /// padding and MAC stripped; TLS 1.3: padding stripped, (inner content
    /// type, plaintext). The sequence number (and a TLS 1.0 chained CBC IV)
    /// advances ONLY on success, so a failed open can be retried with other
    /// keys (trial decryption of 0-RTT records).
    ///
    /// TLS 1.0–1.2 build the additional data / MAC input from the header's
    /// type and version and the plaintext's length (the header's length
    /// field is not read); TLS 1.3 authenticates the header as given. A CBC
    /// record with bad padding, a bad MAC or a body that is not whole blocks
    /// gives [`DecryptError::AuthenticationFailed`]. Bodies longer than the
    /// protocol's limit ([`TLS12_MAX_BODY`], [`TLS13_MAX_BODY`]) are refused,
    /// which bounds the plaintext this allocates.
    pub fn open(&mut self, header: [u8; 5], body: &[u8]) -> Result<(u8, Vec<u8>), DecryptError> {
        let next = self
            .sequence
            .checked_add(1)
            .ok_or(DecryptError::SequenceExhausted)?;
        let opened = match &mut self.protection {
            Protection::Aead { key, layout } => {
                aead::open_record(key, layout, self.sequence, header, body)?
            }
            Protection::Cbc(keys) => keys.open_record(self.sequence, header, body)?,
        };
        self.sequence = next;
        Ok(opened)
    }

    /// The sequence number of the next record to open.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The cipher suite this decrypter was built for.
    pub fn cipher_suite(&self) -> u16 {
        self.cipher_suite
    }
}

/// True when records of this suite can be decrypted (AEAD and AES-CBC
/// suites; a TLS 1.2-only suite still needs a TLS 1.2 session).
pub fn suite_supported(cipher_suite: u16) -> bool {
    suites::params(cipher_suite).is_some()
}

/// The IANA name of a suite, e.g. `TLS_AES_128_GCM_SHA256` (also for suites
/// that cannot be decrypted, such as 3DES ones).
pub fn suite_name(cipher_suite: u16) -> Option<&'static str> {
    suites::name(cipher_suite)
}

/// TLS 1.2 (AEAD and CBC suites): both directions' decrypters from the
/// 48-byte master secret, as (client→server, server→client). The same as
/// [`tls_decrypters`] with version 0x0303.
///
/// CBC suites are taken to be MAC-then-encrypt: a session that negotiated
/// Encrypt-then-MAC (RFC 7366, an extension in the hellos) cannot be opened
/// with these decrypters.
pub fn tls12_decrypters(
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    cipher_suite: u16,
) -> Result<(RecordDecrypter, RecordDecrypter), DecryptError> {
    tls_decrypters(
        0x0303,
        master_secret,
        client_random,
        server_random,
        cipher_suite,
    )
}

/// TLS 1.0 (0x0301), 1.1 (0x0302) or 1.2 (0x0303), the version of the
/// ServerHello: both directions' decrypters from the 48-byte master secret,
/// as (client→server, server→client). TLS 1.0 and 1.1 use the MD5 ⊕ SHA-1
/// PRF and only the `_CBC_SHA` suites (AEAD and `_SHA256`/`_SHA384` suites
/// are TLS 1.2-only: [`DecryptError::UnsupportedSuite`]); TLS 1.0 chains
/// its CBC IVs from the key block, TLS 1.1 and 1.2 carry one per record.
/// Other versions give [`DecryptError::UnsupportedVersion`]. CBC is
/// MAC-then-encrypt only (see [`tls12_decrypters`]).
pub fn tls_decrypters(
    version: u16,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    cipher_suite: u16,
) -> Result<(RecordDecrypter, RecordDecrypter), DecryptError> {
    let params = match suites::params(cipher_suite) {
        Some(p) if !p.tls13 => p,
        _ => return Err(DecryptError::UnsupportedSuite(cipher_suite)),
    };
    let prf = match version {
        0x0303 => Prf::Tls12(params.hash),
        0x0301 | 0x0302 => match params.bulk {
            Bulk::Cbc {
                mac: suites::MacAlg::Sha1,
                ..
            } => Prf::Tls10,
            _ => return Err(DecryptError::UnsupportedSuite(cipher_suite)),
        },
        _ => return Err(DecryptError::UnsupportedVersion(version)),
    };
    let aead = match params.bulk {
        Bulk::Aead(aead) => aead,
        Bulk::Cbc { cipher, mac } => {
            // TLS 1.0: the first IVs are in the key block.
            let iv_len = if version == 0x0301 { cbc::BLOCK_LEN } else { 0 };
            let layout = KeyBlockLayout {
                mac_len: mac.output_len(),
                key_len: cipher.key_len(),
                iv_len,
            };
            let (client, server) = schedule::tls12_key_block(
                prf,
                layout,
                master_secret,
                client_random,
                server_random,
            )?;
            let dec = |k: &schedule::Tls12Keys| -> Result<RecordDecrypter, DecryptError> {
                let keys = CbcKeys::new(cipher, mac, &k.mac_key, &k.key, &k.fixed_iv)?;
                Ok(RecordDecrypter::new_cbc(cipher_suite, keys))
            };
            return Ok((dec(&client)?, dec(&server)?));
        }
    };
    let key_layout = KeyBlockLayout {
        mac_len: 0,
        key_len: aead.key_len(),
        iv_len: aead.tls12_fixed_iv_len(),
    };
    let (client, server) =
        schedule::tls12_key_block(prf, key_layout, master_secret, client_random, server_random)?;
    let layout = |fixed_iv: &[u8]| -> Layout {
        if aead == suites::AeadAlg::Chacha20Poly1305 {
            let mut iv = [0u8; 12];
            iv.copy_from_slice(fixed_iv);
            Layout::Tls12Chacha { iv }
        } else {
            let mut salt = [0u8; 4];
            salt.copy_from_slice(fixed_iv);
            Layout::Tls12Gcm { salt }
        }
    };
    let client_dec =
        RecordDecrypter::new(cipher_suite, aead, &client.key, layout(&client.fixed_iv))?;
    let server_dec =
        RecordDecrypter::new(cipher_suite, aead, &server.key, layout(&server.fixed_iv))?;
    Ok((client_dec, server_dec))
}

/// TLS 1.3: one direction's decrypter from a traffic secret (which must
/// have the suite's hash length: 32 bytes, or 48 for 0x1302).
pub fn tls13_decrypter(
    traffic_secret: &[u8],
    cipher_suite: u16,
) -> Result<RecordDecrypter, DecryptError> {
    let params = schedule::tls13_params(cipher_suite)?;
    let aead = schedule::tls13_aead(params, cipher_suite)?;
    let (key, iv) = schedule::tls13_key_iv(traffic_secret, cipher_suite)?;
    RecordDecrypter::new(cipher_suite, aead, &key, Layout::Tls13 { iv })
}

/// TLS 1.3 KeyUpdate: the next traffic secret,
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
pub fn tls13_next_secret(
    traffic_secret: &[u8],
    cipher_suite: u16,
) -> Result<Vec<u8>, DecryptError> {
    let params = schedule::tls13_params(cipher_suite)?;
    schedule::check_tls13_secret(params, traffic_secret)?;
    schedule::hkdf_expand_label(
        params.hash,
        traffic_secret,
        b"traffic upd",
        b"",
        params.hash.output_len(),
    )
}

//! The cipher-suite table for decryption: which suites can be opened, with
//! which bulk protection (an AEAD, or AES-CBC with an HMAC), which hash
//! (PRF / HKDF) and which record layout. Names come from tls-parser's IANA
//! table.

/// The AEAD of a suite (all three are in ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

impl AeadAlg {
    pub fn ring_alg(self) -> &'static ring::aead::Algorithm {
        match self {
            AeadAlg::Aes128Gcm => &ring::aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &ring::aead::AES_256_GCM,
            AeadAlg::Chacha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        }
    }

    pub fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::Chacha20Poly1305 => 32,
        }
    }

    /// TLS 1.2 "fixed IV" length in the key block: the 4-byte salt of
    /// AES-GCM (RFC 5288) or the 12-byte IV of ChaCha20-Poly1305 (RFC 7905).
    pub fn tls12_fixed_iv_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 4,
            AeadAlg::Chacha20Poly1305 => 12,
        }
    }
}

/// The block cipher of a CBC suite (AES only: 3DES, Camellia, ARIA, SEED
/// and IDEA suites are not supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CbcAlg {
    Aes128Cbc,
    Aes256Cbc,
}

impl CbcAlg {
    pub fn key_len(self) -> usize {
        match self {
            CbcAlg::Aes128Cbc => 16,
            CbcAlg::Aes256Cbc => 32,
        }
    }
}

/// The record MAC of a CBC suite (HMAC with this hash; the MAC key and the
/// MAC both have the hash's length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    pub fn ring_alg(self) -> ring::hmac::Algorithm {
        match self {
            MacAlg::Sha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacAlg::Sha256 => ring::hmac::HMAC_SHA256,
            MacAlg::Sha384 => ring::hmac::HMAC_SHA384,
        }
    }

    /// MAC (and MAC key) length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
}

/// How a suite protects records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// An AEAD (TLS 1.2 AEAD suites, all TLS 1.3 suites).
    Aead(AeadAlg),
    /// MAC-then-encrypt AES-CBC (TLS 1.0–1.2 "GenericBlockCipher").
    Cbc { cipher: CbcAlg, mac: MacAlg },
}

/// The hash of a suite's PRF (TLS 1.2) or HKDF (TLS 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Output length in bytes (the length of TLS 1.3 traffic secrets).
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// What decryption needs to know about a supported suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteParams {
    pub bulk: Bulk,
    /// The TLS 1.2 PRF hash (TLS 1.0/1.1 use MD5 ‖ SHA-1 whatever the
    /// suite), or the TLS 1.3 HKDF hash.
    pub hash: HashAlg,
    /// A TLS 1.3 suite (0x1301..0x1303); otherwise a TLS 1.0–1.2 suite.
    pub tls13: bool,
}

impl SuiteParams {
    /// The AEAD, for AEAD suites.
    pub fn aead(self) -> Option<AeadAlg> {
        match self.bulk {
            Bulk::Aead(a) => Some(a),
            Bulk::Cbc { .. } => None,
        }
    }
}

const fn tls12(aead: AeadAlg, hash: HashAlg) -> Option<SuiteParams> {
    Some(SuiteParams {
        bulk: Bulk::Aead(aead),
        hash,
        tls13: false,
    })
}

/// A CBC suite; the PRF hash is SHA-384 for the `_SHA384` suites and
/// SHA-256 for all others (RFC 5246 §5, RFC 5289 §3.2, RFC 5487 §3).
const fn cbc(cipher: CbcAlg, mac: MacAlg) -> Option<SuiteParams> {
    let hash = match mac {
        MacAlg::Sha384 => HashAlg::Sha384,
        MacAlg::Sha1 | MacAlg::Sha256 => HashAlg::Sha256,
    };
    Some(SuiteParams {
        bulk: Bulk::Cbc { cipher, mac },
        hash,
        tls13: false,
    })
}

/// The parameters of a suite this module can decrypt, or `None` (stream,
/// CCM, NULL, export and non-AES CBC suites: ring has no raw AES-CCM, and
/// 3DES, Camellia, ARIA etc. are not implemented).
pub fn params(cipher_suite: u16) -> Option<SuiteParams> {
    use AeadAlg::*;
    use CbcAlg::*;
    use HashAlg::*;
    match cipher_suite {
        // TLS 1.3 (RFC 8446 B.4)
        0x1301 => Some(SuiteParams {
            bulk: Bulk::Aead(Aes128Gcm),
            hash: Sha256,
            tls13: true,
        }),
        0x1302 => Some(SuiteParams {
            bulk: Bulk::Aead(Aes256Gcm),
            hash: Sha384,
            tls13: true,
        }),
        0x1303 => Some(SuiteParams {
            bulk: Bulk::Aead(Chacha20Poly1305),
            hash: Sha256,
            tls13: true,
        }),
        // TLS 1.2 AES-GCM, RFC 5288 / 5487 (RSA, DHE, DH, anon, PSK, DHE-PSK, RSA-PSK):
        // the even ids are AES-128-GCM-SHA256, the odd ones AES-256-GCM-SHA384.
        0x009c | 0x009e | 0x00a0 | 0x00a2 | 0x00a4 | 0x00a6 | 0x00a8 | 0x00aa | 0x00ac => {
            tls12(Aes128Gcm, Sha256)
        }
        0x009d | 0x009f | 0x00a1 | 0x00a3 | 0x00a5 | 0x00a7 | 0x00a9 | 0x00ab | 0x00ad => {
            tls12(Aes256Gcm, Sha384)
        }
        // ECDHE/ECDH with AES-GCM, RFC 5289
        0xc02b | 0xc02d | 0xc02f | 0xc031 => tls12(Aes128Gcm, Sha256),
        0xc02c | 0xc02e | 0xc030 | 0xc032 => tls12(Aes256Gcm, Sha384),
        // ECDHE-PSK with AES-GCM, RFC 8442
        0xd001 => tls12(Aes128Gcm, Sha256),
        0xd002 => tls12(Aes256Gcm, Sha384),
        // ChaCha20-Poly1305, RFC 7905 (ECDHE-RSA, ECDHE-ECDSA, DHE-RSA, PSK,
        // ECDHE-PSK, DHE-PSK, RSA-PSK)
        0xcca8..=0xccae => tls12(Chacha20Poly1305, Sha256),

        // AES-CBC with HMAC-SHA1, RFC 5246 / 3268 (RSA, DH-DSS, DH-RSA,
        // DHE-DSS, DHE-RSA, DH-anon), RFC 4279 (PSK, DHE-PSK, RSA-PSK),
        // RFC 4492 (ECDH(E)-ECDSA, ECDH(E)-RSA, ECDH-anon), RFC 5054 (SRP),
        // RFC 5489 (ECDHE-PSK).
        0x002f..=0x0034
        | 0x008c
        | 0x0090
        | 0x0094
        | 0xc004
        | 0xc009
        | 0xc00e
        | 0xc013
        | 0xc018
        | 0xc01d..=0xc01f
        | 0xc035 => cbc(Aes128Cbc, MacAlg::Sha1),
        0x0035..=0x003a
        | 0x008d
        | 0x0091
        | 0x0095
        | 0xc005
        | 0xc00a
        | 0xc00f
        | 0xc014
        | 0xc019
        | 0xc020..=0xc022
        | 0xc036 => cbc(Aes256Cbc, MacAlg::Sha1),
        // AES-CBC with HMAC-SHA256 / SHA384, RFC 5246 (RSA, DH, DHE,
        // DH-anon), RFC 5289 (ECDH(E)), RFC 5487 (PSK, DHE-PSK, RSA-PSK),
        // RFC 5489 (ECDHE-PSK).
        0x003c | 0x003e..=0x0040 | 0x0067 | 0x006c | 0x00ae | 0x00b2 | 0x00b6 => {
            cbc(Aes128Cbc, MacAlg::Sha256)
        }
        0xc023 | 0xc025 | 0xc027 | 0xc029 | 0xc037 => cbc(Aes128Cbc, MacAlg::Sha256),
        0x003d | 0x0068..=0x006b | 0x006d => cbc(Aes256Cbc, MacAlg::Sha256),
        0x00af | 0x00b3 | 0x00b7 => cbc(Aes256Cbc, MacAlg::Sha384),
        0xc024 | 0xc026 | 0xc028 | 0xc02a | 0xc038 => cbc(Aes256Cbc, MacAlg::Sha384),
        _ => None,
    }
}

/// The IANA name of any suite tls-parser knows (supported or not).
pub fn name(cipher_suite: u16) -> Option<&'static str> {
    tls_parser::TlsCipherSuite::from_id(cipher_suite).map(|s| s.name)
}

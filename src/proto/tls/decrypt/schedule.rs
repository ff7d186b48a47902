//! Key derivation: the TLS 1.2 PRF (RFC 5246 §5) and the TLS 1.0/1.1 PRF
//! (MD5 ⊕ SHA-1, RFC 4346 §5) with the key-block partition (MAC keys,
//! keys, IVs), and TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) for traffic
//! keys, IVs and KeyUpdate.
//!
//! Written by hand on top of ring's HMAC and HKDF (and md-5 for the one
//! HMAC-MD5 of the legacy PRF): no maintained crate exposes the TLS PRFs or
//! HKDF-Expand-Label for deriving the keys of someone else's session from a
//! logged secret (rustls keeps them private).

use super::DecryptError;
use super::suites::{AeadAlg, Bulk, HashAlg, SuiteParams};

/// Length of a TLS 1.2 master secret.
pub const MASTER_SECRET_LEN: usize = 48;
/// Length of every TLS 1.3 AEAD nonce / IV.
pub const TLS13_IV_LEN: usize = 12;
/// Largest output asked of the PRF / HKDF here; guards against misuse
/// (a key block is at most 2*48 + 2*32 + 2*16 = 192 bytes).
const MAX_DERIVED_LEN: usize = 255 * 32;

fn hmac_alg(hash: HashAlg) -> ring::hmac::Algorithm {
    match hash {
        HashAlg::Sha256 => ring::hmac::HMAC_SHA256,
        HashAlg::Sha384 => ring::hmac::HMAC_SHA384,
    }
}

fn hkdf_alg(hash: HashAlg) -> ring::hkdf::Algorithm {
    match hash {
        HashAlg::Sha256 => ring::hkdf::HKDF_SHA256,
        HashAlg::Sha384 => ring::hkdf::HKDF_SHA384,
    }
}

/// The TLS 1.2 PRF: P_hash(secret, label ‖ seed) cut to `out_len` bytes,
/// with HMAC-SHA256 or HMAC-SHA384. `out_len` is capped at 8160 bytes
/// (longer requests return that many).
pub fn tls12_prf(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out_len: usize,
) -> Vec<u8> {
    p_hash(
        hmac_alg(hash),
        secret,
        label,
        seed,
        out_len.min(MAX_DERIVED_LEN),
    )
}

/// P_hash of RFC 5246 §5 with any of ring's HMACs, cut to `out_len` bytes:
/// HMAC(secret, A(i) ‖ label ‖ seed) for A(1) = HMAC(secret, label ‖ seed),
/// A(i+1) = HMAC(secret, A(i)).
fn p_hash(
    alg: ring::hmac::Algorithm,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out_len: usize,
) -> Vec<u8> {
    let key = ring::hmac::Key::new(alg, secret);
    let mut out = Vec::with_capacity(out_len + alg.digest_algorithm().output_len());
    let mut a = {
        let mut ctx = ring::hmac::Context::with_key(&key);
        ctx.update(label);
        ctx.update(seed);
        ctx.sign()
    };
    while out.len() < out_len {
        let mut ctx = ring::hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        ctx.update(seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = ring::hmac::sign(&key, a.as_ref());
    }
    out.truncate(out_len);
    out
}

/// HMAC-MD5 (RFC 2104) with md-5: ring has no MD5. Only the TLS 1.0/1.1
/// PRF uses it.
fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    use md5::{Digest as _, Md5};
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        let digest: [u8; 16] = Md5::digest(key).into();
        k[..16].copy_from_slice(&digest);
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// P_MD5 of RFC 2246 §5, cut to `out_len` bytes.
fn p_md5(secret: &[u8], label: &[u8], seed: &[u8], out_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_len + 16);
    let mut a = hmac_md5(secret, &[label, seed]);
    while out.len() < out_len {
        out.extend_from_slice(&hmac_md5(secret, &[&a, label, seed]));
        a = hmac_md5(secret, &[&a]);
    }
    out.truncate(out_len);
    out
}

/// P_SHA1 of RFC 2246 §5, cut to `out_len` bytes.
fn p_sha1(secret: &[u8], label: &[u8], seed: &[u8], out_len: usize) -> Vec<u8> {
    p_hash(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        secret,
        label,
        seed,
        out_len,
    )
}

/// The TLS 1.0/1.1 PRF (RFC 2246 §5, RFC 4346 §5): P_MD5(S1, label ‖ seed)
/// XOR P_SHA-1(S2, label ‖ seed), S1 and S2 being the secret's first and
/// last halves (sharing the middle byte when its length is odd). `out_len`
/// is capped like [`tls12_prf`]'s.
pub fn tls10_prf(secret: &[u8], label: &[u8], seed: &[u8], out_len: usize) -> Vec<u8> {
    let out_len = out_len.min(MAX_DERIVED_LEN);
    let half = secret.len().div_ceil(2);
    let s1 = secret.get(..half).unwrap_or(secret);
    let s2 = secret.get(secret.len() - half..).unwrap_or(secret);
    let mut out = p_md5(s1, label, seed, out_len);
    for (o, x) in out.iter_mut().zip(p_sha1(s2, label, seed, out_len)) {
        *o ^= x;
    }
    out
}

/// Which PRF derives a TLS 1.0–1.2 key block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    /// TLS 1.0 and 1.1: MD5 ⊕ SHA-1.
    Tls10,
    /// TLS 1.2: P_hash with the suite's hash.
    Tls12(HashAlg),
}

impl Prf {
    pub fn derive(self, secret: &[u8], label: &[u8], seed: &[u8], out_len: usize) -> Vec<u8> {
        match self {
            Prf::Tls10 => tls10_prf(secret, label, seed, out_len),
            Prf::Tls12(hash) => tls12_prf(hash, secret, label, seed, out_len),
        }
    }
}

/// ring's HKDF output length, chosen at run time.
struct OutputLen(usize);

impl ring::hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label(secret, label, context, length) of RFC 8446 §7.1:
/// HKDF-Expand(secret, HkdfLabel) where HkdfLabel = length(2) ‖
/// len(1) ‖ "tls13 " ‖ label ‖ len(1) ‖ context. `secret` is used as the PRK.
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out_len: usize,
) -> Result<Vec<u8>, DecryptError> {
    const PREFIX: &[u8] = b"tls13 ";
    let full_label_len = PREFIX.len() + label.len();
    let (Ok(out_len16), Ok(label_len8), Ok(context_len8)) = (
        u16::try_from(out_len),
        u8::try_from(full_label_len),
        u8::try_from(context.len()),
    ) else {
        return Err(DecryptError::DerivationFailed);
    };
    let length_bytes = out_len16.to_be_bytes();
    let label_len = [label_len8];
    let context_len = [context_len8];
    let info: [&[u8]; 6] = [
        &length_bytes,
        &label_len,
        PREFIX,
        label,
        &context_len,
        context,
    ];
    let prk = ring::hkdf::Prk::new_less_safe(hkdf_alg(hash), secret);
    let okm = prk
        .expand(&info, OutputLen(out_len))
        .map_err(|_| DecryptError::DerivationFailed)?;
    let mut out = vec![0u8; out_len];
    okm.fill(&mut out)
        .map_err(|_| DecryptError::DerivationFailed)?;
    Ok(out)
}

/// Checks that a TLS 1.3 traffic secret has the suite's hash length.
pub(super) fn check_tls13_secret(params: SuiteParams, secret: &[u8]) -> Result<(), DecryptError> {
    if secret.len() != params.hash.output_len() {
        return Err(DecryptError::BadSecretLength {
            expected: params.hash.output_len(),
            actual: secret.len(),
        });
    }
    Ok(())
}

/// TLS 1.3 record protection keys (RFC 8446 §7.3): (key, iv) from a
/// traffic secret, with the suite's key length and a 12-byte IV.
pub fn tls13_key_iv(
    traffic_secret: &[u8],
    cipher_suite: u16,
) -> Result<(Vec<u8>, [u8; TLS13_IV_LEN]), DecryptError> {
    let params = tls13_params(cipher_suite)?;
    let aead = tls13_aead(params, cipher_suite)?;
    check_tls13_secret(params, traffic_secret)?;
    let key = hkdf_expand_label(params.hash, traffic_secret, b"key", b"", aead.key_len())?;
    let iv_vec = hkdf_expand_label(params.hash, traffic_secret, b"iv", b"", TLS13_IV_LEN)?;
    let mut iv = [0u8; TLS13_IV_LEN];
    iv.copy_from_slice(&iv_vec);
    Ok((key, iv))
}

/// The parameters of a TLS 1.3 suite, or `UnsupportedSuite`.
pub(super) fn tls13_params(cipher_suite: u16) -> Result<SuiteParams, DecryptError> {
    match super::suites::params(cipher_suite) {
        Some(p) if p.tls13 => Ok(p),
        _ => Err(DecryptError::UnsupportedSuite(cipher_suite)),
    }
}

/// The AEAD of a TLS 1.3 suite (all of them are AEAD suites).
pub(super) fn tls13_aead(params: SuiteParams, cipher_suite: u16) -> Result<AeadAlg, DecryptError> {
    match params.bulk {
        Bulk::Aead(aead) => Ok(aead),
        Bulk::Cbc { .. } => Err(DecryptError::UnsupportedSuite(cipher_suite)),
    }
}

/// One direction's TLS 1.0–1.2 keys, cut from the key block.
pub(super) struct Tls12Keys {
    /// The HMAC key of CBC suites; empty for AEAD suites.
    pub mac_key: Vec<u8>,
    pub key: Vec<u8>,
    /// 4 bytes (GCM salt), 12 bytes (ChaCha20-Poly1305 IV), 16 bytes (the
    /// first CBC IV of TLS 1.0) or empty (CBC in TLS 1.1/1.2: explicit IVs).
    pub fixed_iv: Vec<u8>,
}

/// The lengths of one direction's share of a key block.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyBlockLayout {
    pub mac_len: usize,
    pub key_len: usize,
    pub iv_len: usize,
}

/// The TLS 1.0–1.2 key block (RFC 5246 §6.3):
/// PRF(master_secret, "key expansion", server_random ‖ client_random)
/// partitioned as client MAC key, server MAC key, client key, server key,
/// client IV, server IV (AEAD suites have no MAC keys; CBC suites in TLS
/// 1.1/1.2 have no IVs). Returns (client write, server write).
pub(super) fn tls12_key_block(
    prf: Prf,
    layout: KeyBlockLayout,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(Tls12Keys, Tls12Keys), DecryptError> {
    if master_secret.len() != MASTER_SECRET_LEN {
        return Err(DecryptError::BadSecretLength {
            expected: MASTER_SECRET_LEN,
            actual: master_secret.len(),
        });
    }
    let KeyBlockLayout {
        mac_len,
        key_len,
        iv_len,
    } = layout;
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let total = 2 * (mac_len + key_len + iv_len);
    let block = prf.derive(master_secret, b"key expansion", &seed, total);
    if block.len() != total {
        return Err(DecryptError::DerivationFailed);
    }
    let (client_mac, rest) = block.split_at(mac_len);
    let (server_mac, rest) = rest.split_at(mac_len);
    let (client_key, rest) = rest.split_at(key_len);
    let (server_key, rest) = rest.split_at(key_len);
    let (client_iv, server_iv) = rest.split_at(iv_len);
    Ok((
        Tls12Keys {
            mac_key: client_mac.to_vec(),
            key: client_key.to_vec(),
            fixed_iv: client_iv.to_vec(),
        },
        Tls12Keys {
            mac_key: server_mac.to_vec(),
            key: server_key.to_vec(),
            fixed_iv: server_iv.to_vec(),
        },
    ))
}

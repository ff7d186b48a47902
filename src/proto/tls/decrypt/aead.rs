//! Opening one protected record with ring's AEAD: the nonce and additional
//! data of TLS 1.2 AEAD records (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905) and
//! TLS 1.3 records (RFC 8446 §5.2–5.3), and the TLS 1.3 inner plaintext
//! (content ‖ type ‖ zeros). Written by hand: these are the record-layer
//! rules, which no maintained crate exposes for someone else's records.

use super::DecryptError;
use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};

/// AEAD tag length of every supported suite.
pub const TAG_LEN: usize = 16;
/// Explicit nonce carried in each TLS 1.2 AES-GCM record.
pub const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// Largest TLS 1.2 ciphertext: 2^14 + 2048 (RFC 5246 §6.2.3).
pub const TLS12_MAX_BODY: usize = 16384 + 2048;
/// Largest TLS 1.3 ciphertext: 2^14 + 256 (RFC 8446 §5.2).
pub const TLS13_MAX_BODY: usize = 16384 + 256;

/// How the nonce and additional data of a record are built.
#[derive(Clone)]
pub(super) enum Layout {
    /// TLS 1.2 AES-GCM: nonce = salt(4) ‖ explicit nonce(8, in the record).
    Tls12Gcm { salt: [u8; 4] },
    /// TLS 1.2 ChaCha20-Poly1305: nonce = iv XOR seq.
    Tls12Chacha { iv: [u8; NONCE_LEN] },
    /// TLS 1.3: nonce = iv XOR seq, additional data = the record header.
    Tls13 { iv: [u8; NONCE_LEN] },
}

fn xor_sequence(iv: &[u8; NONCE_LEN], sequence: u64) -> [u8; NONCE_LEN] {
    let mut nonce = *iv;
    for (n, s) in nonce[NONCE_LEN - 8..]
        .iter_mut()
        .zip(sequence.to_be_bytes())
    {
        *n ^= s;
    }
    nonce
}

/// Opens `body` at `sequence`. Returns (content type, plaintext); the caller
/// advances the sequence number. Memory: one copy of the body, which is at
/// most `TLS12_MAX_BODY` bytes (longer bodies are refused).
pub(super) fn open_record(
    key: &LessSafeKey,
    layout: &Layout,
    sequence: u64,
    header: [u8; 5],
    body: &[u8],
) -> Result<(u8, Vec<u8>), DecryptError> {
    let (max, min) = match layout {
        Layout::Tls12Gcm { .. } => (TLS12_MAX_BODY, GCM_EXPLICIT_NONCE_LEN + TAG_LEN),
        Layout::Tls12Chacha { .. } => (TLS12_MAX_BODY, TAG_LEN),
        // At least the inner content type byte.
        Layout::Tls13 { .. } => (TLS13_MAX_BODY, TAG_LEN + 1),
    };
    if body.len() > max {
        return Err(DecryptError::RecordTooLong {
            maximum: max,
            actual: body.len(),
        });
    }
    if body.len() < min {
        return Err(DecryptError::RecordTooShort {
            minimum: min,
            actual: body.len(),
        });
    }
    match layout {
        Layout::Tls12Gcm { salt } => {
            let (explicit, ciphertext) = body.split_at(GCM_EXPLICIT_NONCE_LEN);
            let mut nonce = [0u8; NONCE_LEN];
            nonce[..4].copy_from_slice(salt);
            nonce[4..].copy_from_slice(explicit);
            let aad = tls12_aad(sequence, header, ciphertext.len() - TAG_LEN);
            let plain = open(key, nonce, &aad, ciphertext)?;
            Ok((header[0], plain))
        }
        Layout::Tls12Chacha { iv } => {
            let aad = tls12_aad(sequence, header, body.len() - TAG_LEN);
            let plain = open(key, xor_sequence(iv, sequence), &aad, body)?;
            Ok((header[0], plain))
        }
        Layout::Tls13 { iv } => {
            let mut inner = open(key, xor_sequence(iv, sequence), &header, body)?;
            // TLSInnerPlaintext: content ‖ type ‖ zeros; the type is the
            // last non-zero byte.
            let Some(type_at) = inner.iter().rposition(|&b| b != 0) else {
                return Err(DecryptError::NoContentType);
            };
            let content_type = inner[type_at];
            inner.truncate(type_at);
            Ok((content_type, inner))
        }
    }
}

/// TLS 1.2 additional data: seq_num(8) ‖ type(1) ‖ version(2) ‖ length(2),
/// the length being the plaintext's.
fn tls12_aad(sequence: u64, header: [u8; 5], plaintext_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&sequence.to_be_bytes());
    aad[8..11].copy_from_slice(&header[..3]);
    // plaintext_len < TLS12_MAX_BODY < 65536
    let len = u16::try_from(plaintext_len).unwrap_or(u16::MAX);
    aad[11..].copy_from_slice(&len.to_be_bytes());
    aad
}

fn open(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, DecryptError> {
    let mut buf = ciphertext_and_tag.to_vec();
    let plain_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| DecryptError::AuthenticationFailed)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

//! Opening one TLS 1.0–1.2 CBC record ("GenericBlockCipher", RFC 5246
//! §6.2.3.2, RFC 4346 §6.2.3.2, RFC 2246 §6.2.3.2): AES-CBC from the
//! RustCrypto `aes` and `cbc` crates (ring has no raw AES-CBC), the record
//! MAC with ring's HMAC.
//!
//! MAC-then-encrypt only: a record is IV ‖ AES-CBC(content ‖ MAC ‖ padding ‖
//! padding_length), the IV being explicit (in the record, TLS 1.1 and 1.2)
//! or implicit (TLS 1.0: the key block's IV, then the last ciphertext block
//! of the previous record). Encrypt-then-MAC (RFC 7366) is negotiated by a
//! hello extension this module does not see, so records of such sessions
//! fail with [`DecryptError::AuthenticationFailed`].
//!
//! This is a passive decryptor of captured traffic, not a TLS endpoint:
//! there is no peer to leak timing to, so padding and MAC checks are not
//! written to be constant-time (the MAC comparison looks at every byte).

use super::DecryptError;
use super::aead::TLS12_MAX_BODY;
use super::suites::{CbcAlg, MacAlg};
use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, InnerIvInit, KeyInit};

/// AES block (and CBC IV) length.
pub const BLOCK_LEN: usize = 16;

/// An expanded AES key (boxed: the two schedules differ much in size).
#[derive(Clone)]
enum AesKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
}

/// Where the CBC IV of the next record comes from.
#[derive(Clone)]
enum Iv {
    /// TLS 1.1/1.2: the first 16 bytes of each record.
    Explicit,
    /// TLS 1.0: chained; the IV of the next record.
    Chained([u8; BLOCK_LEN]),
}

/// One direction's CBC record protection (no sequence number: the caller
/// keeps it).
#[derive(Clone)]
pub(super) struct CbcKeys {
    aes: AesKey,
    mac_key: ring::hmac::Key,
    mac_len: usize,
    iv: Iv,
}

impl CbcKeys {
    /// Keys for one direction. `fixed_iv` is empty for explicit IVs (TLS
    /// 1.1/1.2) or the key block's 16-byte IV (TLS 1.0).
    pub(super) fn new(
        cipher: CbcAlg,
        mac: MacAlg,
        mac_key: &[u8],
        key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self, DecryptError> {
        let bad_key = |_| DecryptError::BadSecretLength {
            expected: cipher.key_len(),
            actual: key.len(),
        };
        let aes = match cipher {
            CbcAlg::Aes128Cbc => {
                AesKey::Aes128(Box::new(Aes128::new_from_slice(key).map_err(bad_key)?))
            }
            CbcAlg::Aes256Cbc => {
                AesKey::Aes256(Box::new(Aes256::new_from_slice(key).map_err(bad_key)?))
            }
        };
        if mac_key.len() != mac.output_len() {
            return Err(DecryptError::BadSecretLength {
                expected: mac.output_len(),
                actual: mac_key.len(),
            });
        }
        let iv = if fixed_iv.is_empty() {
            Iv::Explicit
        } else {
            let iv: [u8; BLOCK_LEN] =
                fixed_iv
                    .try_into()
                    .map_err(|_| DecryptError::BadSecretLength {
                        expected: BLOCK_LEN,
                        actual: fixed_iv.len(),
                    })?;
            Iv::Chained(iv)
        };
        Ok(CbcKeys {
            aes,
            mac_key: ring::hmac::Key::new(mac.ring_alg(), mac_key),
            mac_len: mac.output_len(),
            iv,
        })
    }

    /// The shortest body that can hold a record: the explicit IV, and
    /// enough whole blocks for the MAC and the padding-length byte.
    fn min_body(&self) -> usize {
        let blocks = (self.mac_len + 1).div_ceil(BLOCK_LEN) * BLOCK_LEN;
        match self.iv {
            Iv::Explicit => BLOCK_LEN + blocks,
            Iv::Chained(_) => blocks,
        }
    }

    /// Opens `body` at `sequence`: (header content type, content). On
    /// success a TLS 1.0 chained IV moves on to this record's last
    /// ciphertext block; on failure nothing changes. A body that is not a
    /// whole number of blocks, bad padding and a bad MAC all give
    /// [`DecryptError::AuthenticationFailed`] (the record is corrupt or the
    /// key or sequence number is wrong).
    pub(super) fn open_record(
        &mut self,
        sequence: u64,
        header: [u8; 5],
        body: &[u8],
    ) -> Result<(u8, Vec<u8>), DecryptError> {
        if body.len() > TLS12_MAX_BODY {
            return Err(DecryptError::RecordTooLong {
                maximum: TLS12_MAX_BODY,
                actual: body.len(),
            });
        }
        let minimum = self.min_body();
        if body.len() < minimum {
            return Err(DecryptError::RecordTooShort {
                minimum,
                actual: body.len(),
            });
        }
        let (iv, ciphertext): ([u8; BLOCK_LEN], &[u8]) = match &self.iv {
            Iv::Explicit => {
                let (iv, rest) = body.split_at(BLOCK_LEN);
                let iv = iv
                    .try_into()
                    .map_err(|_| DecryptError::AuthenticationFailed)?;
                (iv, rest)
            }
            Iv::Chained(iv) => (*iv, body),
        };
        if ciphertext.is_empty() || ciphertext.len() % BLOCK_LEN != 0 {
            return Err(DecryptError::AuthenticationFailed);
        }
        let mut buf = ciphertext.to_vec();
        self.decrypt(&iv, &mut buf)?;
        let content_len = self.check_padding_and_mac(sequence, header, &buf)?;
        if let Iv::Chained(next) = &mut self.iv {
            let last = ciphertext
                .rchunks_exact(BLOCK_LEN)
                .next()
                .ok_or(DecryptError::AuthenticationFailed)?;
            next.copy_from_slice(last);
        }
        buf.truncate(content_len);
        Ok((header[0], buf))
    }

    /// AES-CBC decryption in place of whole blocks.
    fn decrypt(&self, iv: &[u8; BLOCK_LEN], buf: &mut [u8]) -> Result<(), DecryptError> {
        let done = match &self.aes {
            AesKey::Aes128(k) => cbc::Decryptor::<Aes128>::inner_iv_slice_init((**k).clone(), iv)
                .ok()
                .and_then(|d| d.decrypt_padded_mut::<NoPadding>(buf).ok())
                .is_some(),
            AesKey::Aes256(k) => cbc::Decryptor::<Aes256>::inner_iv_slice_init((**k).clone(), iv)
                .ok()
                .and_then(|d| d.decrypt_padded_mut::<NoPadding>(buf).ok())
                .is_some(),
        };
        if done {
            Ok(())
        } else {
            Err(DecryptError::AuthenticationFailed)
        }
    }

    /// Checks the padding (every padding byte equals padding_length) and
    /// then the MAC, HMAC(mac_key, seq(8) ‖ type ‖ version(2) ‖ length(2) ‖
    /// content); returns the content length.
    fn check_padding_and_mac(
        &self,
        sequence: u64,
        header: [u8; 5],
        plain: &[u8],
    ) -> Result<usize, DecryptError> {
        let fail = DecryptError::AuthenticationFailed;
        let (&pad_len, rest) = plain.split_last().ok_or(fail.clone())?;
        let pad_len = usize::from(pad_len);
        let unpadded_len = rest.len().checked_sub(pad_len).ok_or(fail.clone())?;
        let (unpadded, padding) = rest.split_at(unpadded_len);
        if padding.iter().any(|&b| usize::from(b) != pad_len) {
            return Err(fail);
        }
        let content_len = unpadded_len.checked_sub(self.mac_len).ok_or(fail.clone())?;
        let (content, mac) = unpadded.split_at(content_len);
        let length = u16::try_from(content_len).map_err(|_| fail.clone())?;
        let mut signed = [0u8; 13];
        signed[..8].copy_from_slice(&sequence.to_be_bytes());
        signed[8..11].copy_from_slice(&header[..3]);
        signed[11..].copy_from_slice(&length.to_be_bytes());
        let mut ctx = ring::hmac::Context::with_key(&self.mac_key);
        ctx.update(&signed);
        ctx.update(content);
        let tag = ctx.sign();
        // Every byte compared, whatever the first difference.
        let expected = tag.as_ref();
        if expected.len() != mac.len()
            || expected
                .iter()
                .zip(mac)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0
        {
            return Err(fail);
        }
        Ok(content_len)
    }
}

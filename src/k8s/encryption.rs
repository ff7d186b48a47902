//! Values encrypted at rest by the apiserver (EncryptionConfiguration):
//! `k8s:enc:<provider>:<version>:<key or plugin name>:` followed by the
//! ciphertext. Reported as encrypted, with what can be read without a key:
//!
//! - `aescbc:v1`: 16-byte IV, then AES-CBC blocks;
//! - `aesgcm:v1`: 12-byte nonce, ciphertext, 16-byte tag;
//! - `secretbox:v1`: 24-byte nonce, then ciphertext with a 16-byte tag;
//! - `kms:v1`: 2-byte big-endian DEK length, the encrypted DEK, then the
//!   data (AES-CBC under the DEK);
//! - `kms:v2`: an `EncryptedObject` protobuf: 1 encryptedData, 2 keyID,
//!   3 encryptedDEKSource (encryptedDEK before 1.29), 4 annotations
//!   (map<string,bytes>), 5 encryptedDEKSourceType.

use serde::Serialize;

use super::wire::{Fields, WireValue};

/// The common prefix of every encrypted value.
pub const PREFIX: &[u8] = b"k8s:enc:";

/// What an encrypted value says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Encrypted {
    /// `aescbc`, `aesgcm`, `secretbox`, `kms` or whatever the prefix says.
    pub provider: String,
    /// `v1`, `v2`.
    pub provider_version: String,
    /// The key name (aescbc/aesgcm/secretbox) or KMS plugin name.
    pub key_name: String,
    /// Bytes after the prefix.
    pub payload_bytes: usize,
    /// KMS v2: the key ID the plugin reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// KMS v1/v2: size of the encrypted data encryption key (or DEK seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_dek_bytes: Option<usize>,
    /// KMS v2: `aes_gcm_key` or `hkdf_sha256_xnonce_aes_gcm_seed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dek_source_type: Option<String>,
    /// KMS v2: annotation names the plugin added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<String>,
    /// Size of the ciphertext proper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_bytes: Option<usize>,
    /// The payload does not have the shape the provider writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Encrypted {
    /// One line: `aescbc v1, key "key1", 1234 bytes of ciphertext`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "encrypted at rest: {} {}, {} {:?}",
            self.provider,
            self.provider_version,
            if self.provider == "kms" {
                "plugin"
            } else {
                "key"
            },
            self.key_name
        );
        if let Some(id) = &self.kms_key_id {
            s.push_str(&format!(", KMS key id {id:?}"));
        }
        if let Some(d) = self.encrypted_dek_bytes {
            s.push_str(&format!(", encrypted DEK {d} bytes"));
        }
        if let Some(t) = &self.dek_source_type {
            s.push_str(&format!(" ({t})"));
        }
        match self.ciphertext_bytes {
            Some(c) => s.push_str(&format!(", {c} bytes of ciphertext")),
            None => s.push_str(&format!(", {} bytes after the prefix", self.payload_bytes)),
        }
        if let Some(p) = &self.problem {
            s.push_str(&format!(" — {p}"));
        }
        s
    }
}

/// Longest prefix field we accept before calling the prefix malformed.
const MAX_NAME: usize = 256;

/// Reads an encrypted value (which starts with [`PREFIX`]).
pub fn decode(value: &[u8]) -> Encrypted {
    let mut rest = value.get(PREFIX.len()..).unwrap_or_default();
    let mut parts: Vec<String> = Vec::with_capacity(3);
    // provider, version, name: each ends with ':'
    while parts.len() < 3 {
        let window = &rest[..rest.len().min(MAX_NAME + 1)];
        match window.iter().position(|&b| b == b':') {
            Some(i) => {
                parts.push(String::from_utf8_lossy(&rest[..i]).into_owned());
                rest = &rest[i + 1..];
            }
            None => break,
        }
    }
    let mut e = Encrypted {
        payload_bytes: rest.len(),
        ..Default::default()
    };
    if parts.len() < 3 {
        e.provider = parts.first().cloned().unwrap_or_default();
        e.provider_version = parts.get(1).cloned().unwrap_or_default();
        e.problem = Some(format!(
            "malformed prefix: expected k8s:enc:<provider>:<version>:<name>: (found {} of 3 fields)",
            parts.len()
        ));
        return e;
    }
    let mut it = parts.into_iter();
    e.provider = it.next().unwrap_or_default();
    e.provider_version = it.next().unwrap_or_default();
    e.key_name = it.next().unwrap_or_default();
    match (e.provider.as_str(), e.provider_version.as_str()) {
        ("aescbc", "v1") => {
            if rest.len() < 16 {
                e.problem = Some(format!("{} bytes: shorter than the 16-byte IV", rest.len()));
            } else {
                let c = rest.len() - 16;
                e.ciphertext_bytes = Some(c);
                if c == 0 || c % 16 != 0 {
                    e.problem = Some(format!(
                        "{c} bytes of ciphertext is not a whole number of AES blocks"
                    ));
                }
            }
        }
        ("aesgcm", "v1") => {
            if rest.len() < 12 + 16 {
                e.problem = Some(format!(
                    "{} bytes: shorter than nonce (12) and tag (16)",
                    rest.len()
                ));
            } else {
                e.ciphertext_bytes = Some(rest.len() - 12 - 16);
            }
        }
        ("secretbox", "v1") => {
            if rest.len() < 24 + 16 {
                e.problem = Some(format!(
                    "{} bytes: shorter than nonce (24) and tag (16)",
                    rest.len()
                ));
            } else {
                e.ciphertext_bytes = Some(rest.len() - 24 - 16);
            }
        }
        ("kms", "v1") => {
            if rest.len() < 2 {
                e.problem = Some("no DEK length".into());
            } else {
                let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                if 2 + n > rest.len() {
                    e.problem = Some(format!(
                        "DEK length {n} is past the end ({} bytes left)",
                        rest.len() - 2
                    ));
                } else {
                    e.encrypted_dek_bytes = Some(n);
                    e.ciphertext_bytes = Some(rest.len() - 2 - n);
                }
            }
        }
        ("kms", "v2") => kms_v2(rest, &mut e),
        _ => {
            e.problem = Some(format!(
                "provider {}:{} is not one this tool knows",
                e.provider, e.provider_version
            ))
        }
    }
    e
}

fn kms_v2(rest: &[u8], e: &mut Encrypted) {
    for f in Fields::new(rest) {
        let f = match f {
            Ok(f) => f,
            Err(err) => {
                e.problem = Some(format!("EncryptedObject: {err}"));
                return;
            }
        };
        match (f.number, f.value) {
            (1, WireValue::Len(b)) => e.ciphertext_bytes = Some(b.len()),
            (2, WireValue::Len(b)) => e.kms_key_id = Some(String::from_utf8_lossy(b).into_owned()),
            (3, WireValue::Len(b)) => e.encrypted_dek_bytes = Some(b.len()),
            (4, WireValue::Len(b)) => {
                // map entry: 1 key (string), 2 value (bytes)
                for g in Fields::new(b).flatten() {
                    if let (1, WireValue::Len(k)) = (g.number, g.value) {
                        e.annotations.push(String::from_utf8_lossy(k).into_owned());
                    }
                }
            }
            (5, WireValue::Varint(t)) => {
                e.dek_source_type = Some(match t {
                    0 => "aes_gcm_key".to_string(),
                    1 => "hkdf_sha256_xnonce_aes_gcm_seed".to_string(),
                    n => format!("type {n}"),
                })
            }
            _ => {}
        }
    }
    if e.kms_key_id.is_none() {
        e.problem = Some("EncryptedObject has no key ID (field 2)".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::envelope::{put_len, put_uint};

    fn val(prefix: &str, payload_len: usize) -> Vec<u8> {
        let mut v = prefix.as_bytes().to_vec();
        v.extend(std::iter::repeat_n(0xabu8, payload_len));
        v
    }

    #[test]
    fn aescbc() {
        let e = decode(&val("k8s:enc:aescbc:v1:key1:", 16 + 64));
        assert_eq!(e.provider, "aescbc");
        assert_eq!(e.provider_version, "v1");
        assert_eq!(e.key_name, "key1");
        assert_eq!(e.ciphertext_bytes, Some(64));
        assert_eq!(e.problem, None);
        assert!(e.summary().contains("aescbc v1, key \"key1\""));
        let bad = decode(&val("k8s:enc:aescbc:v1:key1:", 16 + 10));
        assert!(bad.problem.unwrap().contains("AES blocks"));
        let short = decode(&val("k8s:enc:aescbc:v1:key1:", 3));
        assert!(short.problem.unwrap().contains("IV"));
    }

    #[test]
    fn aesgcm_secretbox() {
        let e = decode(&val("k8s:enc:aesgcm:v1:k2:", 12 + 16 + 5));
        assert_eq!((e.key_name.as_str(), e.ciphertext_bytes), ("k2", Some(5)));
        let e = decode(&val("k8s:enc:secretbox:v1:sb:", 24 + 16 + 7));
        assert_eq!((e.key_name.as_str(), e.ciphertext_bytes), ("sb", Some(7)));
        assert!(
            decode(&val("k8s:enc:secretbox:v1:sb:", 3))
                .problem
                .is_some()
        );
        assert!(decode(&val("k8s:enc:aesgcm:v1:sb:", 3)).problem.is_some());
    }

    #[test]
    fn kms_v1() {
        let mut v = b"k8s:enc:kms:v1:myplugin:".to_vec();
        v.extend_from_slice(&[0, 4, 1, 2, 3, 4]);
        v.extend_from_slice(&[9; 32]);
        let e = decode(&v);
        assert_eq!(e.provider, "kms");
        assert_eq!(e.key_name, "myplugin");
        assert_eq!(e.encrypted_dek_bytes, Some(4));
        assert_eq!(e.ciphertext_bytes, Some(32));
        let mut bad = b"k8s:enc:kms:v1:p:".to_vec();
        bad.extend_from_slice(&[0xff, 0xff, 1]);
        assert!(decode(&bad).problem.unwrap().contains("past the end"));
    }

    #[test]
    fn kms_v2_key_id() {
        let mut obj = Vec::new();
        put_len(&mut obj, 1, &[7; 40]);
        put_len(&mut obj, 2, b"projects/p/keys/k1/versions/3");
        put_len(&mut obj, 3, &[5; 32]);
        let mut ann = Vec::new();
        put_len(&mut ann, 1, b"kms.kubernetes.io/local-kek");
        put_len(&mut ann, 2, b"\x01\x02");
        put_len(&mut obj, 4, &ann);
        put_uint(&mut obj, 5, 1);
        let mut v = b"k8s:enc:kms:v2:vault:".to_vec();
        v.extend_from_slice(&obj);
        let e = decode(&v);
        assert_eq!(e.key_name, "vault");
        assert_eq!(
            e.kms_key_id.as_deref(),
            Some("projects/p/keys/k1/versions/3")
        );
        assert_eq!(e.ciphertext_bytes, Some(40));
        assert_eq!(e.encrypted_dek_bytes, Some(32));
        assert_eq!(
            e.annotations,
            vec!["kms.kubernetes.io/local-kek".to_string()]
        );
        assert_eq!(
            e.dek_source_type.as_deref(),
            Some("hkdf_sha256_xnonce_aes_gcm_seed")
        );
        assert!(e.summary().contains("KMS key id"));
        let mut junk = b"k8s:enc:kms:v2:vault:".to_vec();
        junk.extend_from_slice(&[0x0a, 0x50]);
        assert!(decode(&junk).problem.unwrap().contains("EncryptedObject"));
    }

    #[test]
    fn malformed_and_unknown() {
        let e = decode(b"k8s:enc:aescbc");
        assert!(e.problem.unwrap().contains("malformed prefix"));
        let e = decode(b"k8s:enc:rot13:v9:k:abc");
        assert_eq!(e.provider, "rot13");
        assert!(e.problem.unwrap().contains("not one this tool knows"));
        let long = [b"k8s:enc:".as_slice(), &[b'a'; 1000]].concat();
        assert!(decode(&long).problem.is_some());
    }
}

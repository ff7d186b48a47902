//! Human names for TLS code points: protocol versions, cipher suites (from
//! tls-parser's IANA table), alert levels and descriptions, named groups,
//! signature schemes, and the GREASE test (RFC 8701).

use std::borrow::Cow;

use tls_parser::{TlsAlertDescription, TlsCipherSuiteID};

/// GREASE values (RFC 8701): both bytes equal, low nibble 0xa.
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// `TLS 1.2`, `SSL 3.0`, or the hex value for anything else.
pub fn version_name(v: u16) -> Cow<'static, str> {
    Cow::Borrowed(match v {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        v if (0x7f00..=0x7fff).contains(&v) => {
            return Cow::Owned(format!("TLS 1.3 draft {}", v & 0xff));
        }
        v => return Cow::Owned(format!("0x{v:04x}")),
    })
}

/// The IANA name of a cipher suite, or its hex value.
/// Borrowed from tls-parser's table: no allocation per name.
pub fn cipher_name(id: u16) -> Cow<'static, str> {
    if is_grease(id) {
        return Cow::Owned(format!("GREASE 0x{id:04x}"));
    }
    match id {
        0x00ff => Cow::Borrowed("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
        0x5600 => Cow::Borrowed("TLS_FALLBACK_SCSV"),
        _ => match TlsCipherSuiteID(id).get_ciphersuite() {
            Some(c) => Cow::Borrowed(c.name),
            None => Cow::Owned(format!("0x{id:04x}")),
        },
    }
}

/// `warning`, `fatal`, or the number.
pub fn alert_level_name(level: u8) -> String {
    match level {
        1 => "warning".into(),
        2 => "fatal".into(),
        l => format!("level_{l}"),
    }
}

/// snake_case alert description (`unknown_ca`, `close_notify`), from
/// tls-parser's table; the number for unassigned values.
pub fn alert_name(desc: u8) -> String {
    let camel = TlsAlertDescription(desc).to_string();
    if camel.chars().all(|c| c.is_ascii_digit()) || camel.contains('(') {
        return format!("alert_{desc}");
    }
    snake(&camel)
}

fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Names of the common named groups (IANA registry), else hex.
pub fn group_name(g: u16) -> Cow<'static, str> {
    let s = match g {
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        29 => "x25519",
        30 => "x448",
        0x100 => "ffdhe2048",
        0x101 => "ffdhe3072",
        0x102 => "ffdhe4096",
        0x103 => "ffdhe6144",
        0x104 => "ffdhe8192",
        0x11ec => "X25519MLKEM768",
        0x11eb => "SecP256r1MLKEM768",
        0x6399 => "X25519Kyber768Draft00",
        g if is_grease(g) => return Cow::Owned(format!("GREASE 0x{g:04x}")),
        g => return Cow::Owned(format!("0x{g:04x}")),
    };
    Cow::Borrowed(s)
}

/// Names of the common signature schemes (RFC 8446 §4.2.3), else hex.
pub fn sigalg_name(s: u16) -> Cow<'static, str> {
    let n = match s {
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        s if is_grease(s) => return Cow::Owned(format!("GREASE 0x{s:04x}")),
        s => return Cow::Owned(format!("0x{s:04x}")),
    };
    Cow::Borrowed(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a));
        assert_eq!(alert_name(48), "unknown_ca");
        assert_eq!(alert_name(0), "close_notify");
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(alert_name(200), "alert_200");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    }
}

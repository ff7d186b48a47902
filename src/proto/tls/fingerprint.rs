//! TLS fingerprints of a connection: JA3 / JA3S (Salesforce: MD5 of
//! decimal, dash-joined field lists, GREASE removed) and JA4 / JA4S
//! (FoxIO: a readable prefix, then truncated SHA-256 hashes of the sorted
//! cipher and extension lists). No maintained crate computes these from
//! parsed hellos, so they are written here; the inputs come from
//! [`super::handshake`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use md5::Md5;
use sha2::Sha256;
// md-5 and sha2 implement different releases of the `digest` traits.
use md5::Digest as _;
use sha2::Digest as _;

use super::handshake::{ClientHello, ServerHello};
use super::names::{self, is_grease};

/// Extension types JA4 leaves out of its extension hash.
const EXT_SNI: u16 = 0x0000;
const EXT_ALPN: u16 = 0x0010;

/// Appends `v` in decimal (fingerprints are computed for every hello:
/// plain digit pushing instead of the formatting machinery).
fn push_dec(out: &mut String, v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut n = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for b in &buf[i..] {
        out.push(*b as char);
    }
}

/// Appends `v` as four lowercase hex digits.
fn push_hex4(out: &mut String, v: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((v >> shift) & 0xf) as usize] as char);
    }
}

/// Appends the decimal values joined by `-`.
fn push_dash(out: &mut String, v: impl IntoIterator<Item = u32>) {
    for (i, x) in v.into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_dec(out, x);
    }
}

/// The JA3 input string: `version,ciphers,extensions,groups,point_formats`.
pub fn ja3_string(ch: &ClientHello) -> String {
    let mut s = String::with_capacity(256);
    let not_grease = |v: &&u16| !is_grease(**v);
    push_dec(&mut s, ch.legacy_version.into());
    s.push(',');
    push_dash(
        &mut s,
        ch.ciphers.iter().filter(not_grease).map(|v| u32::from(*v)),
    );
    s.push(',');
    push_dash(
        &mut s,
        ch.extensions
            .iter()
            .filter(not_grease)
            .map(|v| u32::from(*v)),
    );
    s.push(',');
    push_dash(
        &mut s,
        ch.groups.iter().filter(not_grease).map(|v| u32::from(*v)),
    );
    s.push(',');
    push_dash(&mut s, ch.point_formats.iter().map(|v| u32::from(*v)));
    s
}

/// MD5 of a JA3/JA3S input string, lowercase hex.
pub fn ja3_hash(input: &str) -> String {
    hex::encode(Md5::digest(input.as_bytes()))
}

/// JA3: MD5 of [`ja3_string`], lowercase hex.
pub fn ja3(ch: &ClientHello) -> String {
    ja3_hash(&ja3_string(ch))
}

/// The JA3S input string: `version,cipher,extensions`.
pub fn ja3s_string(sh: &ServerHello) -> String {
    let mut s = String::with_capacity(64);
    push_dec(&mut s, sh.legacy_version.into());
    s.push(',');
    push_dec(&mut s, sh.cipher.into());
    s.push(',');
    push_dash(
        &mut s,
        sh.extensions
            .iter()
            .filter(|e| !is_grease(**e))
            .map(|v| u32::from(*v)),
    );
    s
}

/// JA3S: MD5 of [`ja3s_string`].
pub fn ja3s(sh: &ServerHello) -> String {
    ja3_hash(&ja3s_string(sh))
}

/// JA4's two-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last characters of an ALPN value; `00` when there is none.
/// Non-alphanumeric ends are replaced by the first hex digit of the first
/// byte and the last hex digit of the last byte (JA4 spec).
fn ja4_alpn(alpn: Option<&str>) -> String {
    let Some(a) = alpn.filter(|a| !a.is_empty()) else {
        return "00".into();
    };
    let bytes = a.as_bytes();
    let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", first as char, last as char)
    } else {
        let f = hex::encode([first]);
        let l = hex::encode([last]);
        format!("{}{}", &f[..1], &l[1..])
    }
}

/// First 12 hex digits of SHA-256; twelve zeros for empty input (JA4).
fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let mut h = hex::encode(Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

fn hex4_list(v: impl IntoIterator<Item = u16>) -> String {
    let mut s = String::with_capacity(160);
    for (i, x) in v.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_hex4(&mut s, x);
    }
    s
}

/// JA4 (TCP): `t13d1516h2_<ciphers>_<extensions+sigalgs>`.
pub fn ja4(ch: &ClientHello) -> String {
    let ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let prefix = format!(
        "t{}{}{:02}{:02}{}",
        ja4_version(ch.max_version()),
        if ch.sni.is_some() { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(ch.alpn.first().map(String::as_str)),
    );
    let mut sorted_ciphers = ciphers;
    sorted_ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .into_iter()
        .filter(|e| *e != EXT_SNI && *e != EXT_ALPN)
        .collect();
    sorted_exts.sort_unstable();
    let mut ext_input = hex4_list(sorted_exts);
    let sigalgs: Vec<u16> = ch
        .signature_algorithms
        .iter()
        .copied()
        .filter(|s| !is_grease(*s))
        .collect();
    if !sigalgs.is_empty() {
        ext_input.push('_');
        ext_input.push_str(&hex4_list(sigalgs));
    }
    format!(
        "{prefix}_{}_{}",
        hash12(&hex4_list(sorted_ciphers)),
        hash12(&ext_input)
    )
}

/// A ClientHello's fingerprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFingerprint {
    pub ja3_string: String,
    pub ja3: String,
    pub ja4: String,
    /// The offered lists as names, kept with the fingerprints (same key).
    pub versions: Vec<Cow<'static, str>>,
    pub cipher_suites: Vec<Cow<'static, str>>,
    pub groups: Vec<Cow<'static, str>>,
    pub signature_algorithms: Vec<Cow<'static, str>>,
}

/// Fingerprints remembered by ClientHello shape: a client sends the same
/// lists on every connection, only randoms and key shares change. Bounded:
/// at most this many shapes, then the cache is cleared.
const FINGERPRINT_CACHE_MAX: usize = 256;

type FingerprintCache = HashMap<Vec<u16>, Arc<ClientFingerprint>>;

/// Everything JA3 and JA4 read from a hello, as one comparable key.
fn shape_key(ch: &ClientHello) -> Vec<u16> {
    let mut k = Vec::with_capacity(
        8 + ch.ciphers.len()
            + ch.extensions.len()
            + ch.groups.len()
            + ch.point_formats.len()
            + ch.signature_algorithms.len()
            + ch.supported_versions.len()
            + ch.alpn.first().map_or(0, String::len),
    );
    let list = |v: &mut dyn Iterator<Item = u16>, k: &mut Vec<u16>| {
        let start = k.len();
        k.push(0);
        k.extend(v);
        let n = (k.len() - start - 1) as u16;
        k[start] = n;
    };
    k.push(ch.legacy_version);
    k.push(u16::from(ch.sni.is_some()));
    list(&mut ch.ciphers.iter().copied(), &mut k);
    list(&mut ch.extensions.iter().copied(), &mut k);
    list(&mut ch.groups.iter().copied(), &mut k);
    list(&mut ch.point_formats.iter().map(|p| u16::from(*p)), &mut k);
    list(&mut ch.signature_algorithms.iter().copied(), &mut k);
    list(&mut ch.supported_versions.iter().copied(), &mut k);
    let alpn = ch.alpn.first().map(String::as_bytes).unwrap_or_default();
    list(&mut alpn.iter().map(|b| u16::from(*b)), &mut k);
    k
}

/// JA3 and JA4 of a ClientHello, through the shape cache.
pub fn client_fingerprint(ch: &ClientHello) -> Arc<ClientFingerprint> {
    static CACHE: OnceLock<Mutex<FingerprintCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = shape_key(ch);
    if let Ok(c) = cache.lock() {
        if let Some(hit) = c.get(&key) {
            return hit.clone();
        }
    }
    let ja3_string = ja3_string(ch);
    let versions = if ch.supported_versions.is_empty() {
        vec![names::version_name(ch.legacy_version)]
    } else {
        ch.supported_versions
            .iter()
            .filter(|v| !is_grease(**v))
            .map(|v| names::version_name(*v))
            .collect()
    };
    let fp = Arc::new(ClientFingerprint {
        ja3: ja3_hash(&ja3_string),
        ja3_string,
        ja4: ja4(ch),
        versions,
        cipher_suites: ch.ciphers.iter().map(|c| names::cipher_name(*c)).collect(),
        groups: ch.groups.iter().map(|g| names::group_name(*g)).collect(),
        signature_algorithms: ch
            .signature_algorithms
            .iter()
            .map(|a| names::sigalg_name(*a))
            .collect(),
    });
    if let Ok(mut c) = cache.lock() {
        if c.len() >= FINGERPRINT_CACHE_MAX {
            c.clear();
        }
        c.insert(key, fp.clone());
    }
    fp
}

/// JA3S and JA4S of a ServerHello, through a cache keyed like
/// [`client_fingerprint`]'s (a server answers every client alike):
/// `(ja3s, ja4s)`.
pub fn server_fingerprint(sh: &ServerHello) -> Arc<(String, String)> {
    type Cache = HashMap<Vec<u16>, Arc<(String, String)>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut key = vec![
        sh.legacy_version,
        sh.selected_version.unwrap_or(0),
        sh.cipher,
        sh.extensions.len() as u16,
    ];
    key.extend(&sh.extensions);
    key.extend(
        sh.alpn
            .as_deref()
            .unwrap_or_default()
            .bytes()
            .map(u16::from),
    );
    if let Ok(c) = cache.lock() {
        if let Some(hit) = c.get(&key) {
            return hit.clone();
        }
    }
    let fp = Arc::new((ja3s(sh), ja4s(sh)));
    if let Ok(mut c) = cache.lock() {
        if c.len() >= FINGERPRINT_CACHE_MAX {
            c.clear();
        }
        c.insert(key, fp.clone());
    }
    fp
}

/// JA4S (TCP): `t130200_1301_<extensions in order>`.
pub fn ja4s(sh: &ServerHello) -> String {
    let exts: Vec<u16> = sh.extensions.to_vec();
    format!(
        "t{}{:02}{}_{:04x}_{}",
        ja4_version(sh.version()),
        exts.len().min(99),
        ja4_alpn(sh.alpn.as_deref()),
        sh.cipher,
        hash12(&hex4_list(exts))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_chars() {
        assert_eq!(ja4_alpn(Some("h2")), "h2");
        assert_eq!(ja4_alpn(Some("http/1.1")), "h1");
        assert_eq!(ja4_alpn(None), "00");
        assert_eq!(ja4_alpn(Some("\u{ab}x\u{cd}")).len(), 2);
    }

    fn hex_list(s: &str) -> Vec<u16> {
        s.split(',')
            .map(|h| u16::from_str_radix(h, 16).unwrap())
            .collect()
    }

    /// A Chrome 143 ClientHello as browserleaks.com reported it (ja4_ro:
    /// the lists in wire order, GREASE removed; ja3_text; and the ja4 /
    /// ja3_hash it computed). Source: the `tls.md` capture of browserleaks
    /// output in the public repository service0427/v2_cp_app.
    #[test]
    fn published_chrome_example() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            ciphers: hex_list(
                "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
            ),
            extensions: hex_list(
                "002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b",
            ),
            signature_algorithms: hex_list("0403,0804,0401,0503,0805,0501,0806,0601"),
            groups: vec![4588, 29, 23, 24],
            point_formats: vec![0],
            supported_versions: vec![0x0304, 0x0303],
            sni: Some("tls.browserleaks.com".into()),
            alpn: vec!["h2".into(), "http/1.1".into()],
            ..Default::default()
        };
        assert_eq!(
            ja3_string(&ch),
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
        );
        assert_eq!(ja3(&ch), "98487aa16281980e7d1120d399efb6a4");
        assert_eq!(ja4(&ch), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
        // GREASE anywhere changes nothing.
        let mut greased = ch.clone();
        greased.ciphers.insert(0, 0x2a2a);
        greased.extensions.insert(0, 0xdada);
        greased.extensions.push(0x4a4a);
        greased.groups.insert(0, 0x8a8a);
        greased.supported_versions.insert(0, 0x7a7a);
        assert_eq!(ja3(&greased), ja3(&ch));
        assert_eq!(ja4(&greased), ja4(&ch));
        // Through the cache: the same values, and a different shape is
        // not confused with this one.
        for _ in 0..2 {
            let fp = client_fingerprint(&ch);
            assert_eq!(fp.ja3, "98487aa16281980e7d1120d399efb6a4");
            assert_eq!(fp.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
        }
        let mut other = ch.clone();
        other.alpn = vec!["http/1.1".into()];
        assert_eq!(client_fingerprint(&other).ja4, ja4(&other));
        assert_ne!(client_fingerprint(&other).ja4, ja4(&ch));
    }

    /// FoxIO's published JA4S examples (JA4+ README and its snapshot
    /// outputs): a TLS 1.3 ServerHello with supported_versions then
    /// key_share is `t130200_1302_a56c5b993250`; key_share then
    /// supported_versions with TLS_AES_128_GCM_SHA256 is
    /// `t130200_1301_234ea6891581`.
    #[test]
    fn published_ja4s_examples() {
        let sh = |cipher, extensions| ServerHello {
            legacy_version: 0x0303,
            cipher,
            extensions,
            selected_version: Some(0x0304),
            ..Default::default()
        };
        assert_eq!(ja4s(&sh(0x1302, vec![43, 51])), "t130200_1302_a56c5b993250");
        assert_eq!(ja4s(&sh(0x1301, vec![51, 43])), "t130200_1301_234ea6891581");
        for _ in 0..2 {
            assert_eq!(
                server_fingerprint(&sh(0x1302, vec![43, 51])).1,
                "t130200_1302_a56c5b993250"
            );
            assert_eq!(
                server_fingerprint(&sh(0x1301, vec![51, 43])).1,
                "t130200_1301_234ea6891581"
            );
        }
    }

    #[test]
    fn digit_pushing_matches_format() {
        for v in [0u32, 7, 10, 771, 65535, 4_294_967_295] {
            let mut s = String::new();
            push_dec(&mut s, v);
            assert_eq!(s, v.to_string());
        }
        for v in [0u16, 0x0a0a, 0x1301, 0xffff] {
            let mut s = String::new();
            push_hex4(&mut s, v);
            assert_eq!(s, format!("{v:04x}"));
        }
    }

    #[test]
    fn empty_hash_is_zeros() {
        assert_eq!(hash12(""), "000000000000");
        // FIPS 180-2 appendix B.1: SHA-256("abc") = ba7816bf8f01cfea...
        assert_eq!(hash12("abc"), "ba7816bf8f01");
        // RFC 1321 appendix A.5: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        assert_eq!(ja3_hash("abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    /// The ClientHello of ../shared/corpus/illustrated-tls12/capture.pcap
    /// (tls12.xargs.org), field by field as tshark 4.0.17 decodes it; its
    /// JA3 string and MD5 are tshark's own `tls.handshake.ja3_full` and
    /// `tls.handshake.ja3` for that packet:
    /// `tshark -r capture.pcap -Y tls.handshake.type==1 -T fields
    /// -e tls.handshake.ja3_full -e tls.handshake.ja3`.
    #[test]
    fn ja3_equals_tshark_on_the_illustrated_tls12_client_hello() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            ciphers: hex_list(
                "cca8,cca9,c02f,c030,c02b,c02c,c013,c009,c014,c00a,009c,009d,002f,0035,c012,000a",
            ),
            extensions: vec![0, 5, 10, 11, 13, 65281, 18],
            signature_algorithms: hex_list("0401,0403,0501,0503,0601,0603,0201,0203"),
            groups: vec![29, 23, 24, 25],
            point_formats: vec![0],
            sni: Some("example.ulfheim.net".into()),
            ..Default::default()
        };
        assert_eq!(
            ja3_string(&ch),
            "771,52392-52393-49199-49200-49195-49196-49171-49161-49172-49162-156-157-47-53-49170-10,0-5-10-11-13-65281-18,29-23-24-25,0"
        );
        assert_eq!(ja3(&ch), "36d715579d31b7f031149c4560b5914f");
        assert_eq!(
            client_fingerprint(&ch).ja3,
            "36d715579d31b7f031149c4560b5914f"
        );
    }
}

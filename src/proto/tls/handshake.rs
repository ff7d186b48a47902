//! Handshake messages, from complete message bytes (4-byte header
//! included) to plain data: ClientHello (also the SSLv2-format one),
//! ServerHello / HelloRetryRequest, Certificate (TLS ≤ 1.2 and 1.3
//! layouts), CertificateRequest (CA names), EncryptedExtensions (ALPN).
//!
//! tls-parser parses the messages and each extension's content. Two things
//! it does not do are written here by hand: walking the extension list
//! one extension at a time (so the raw type list for JA3/JA4 survives an
//! extension whose content tls-parser rejects), and the TLS 1.3 layouts of
//! Certificate and CertificateRequest and the SSLv2 ClientHello, which it
//! does not know.

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extension,
    parse_tls_message_handshake, parse_tls_server_hello_extension,
};

use super::names::is_grease;

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
pub mod msg {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const NEW_SESSION_TICKET: u8 = 4;
    pub const END_OF_EARLY_DATA: u8 = 5;
    pub const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const SERVER_HELLO_DONE: u8 = 14;
    pub const CERTIFICATE_VERIFY: u8 = 15;
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    pub const FINISHED: u8 = 20;
    pub const KEY_UPDATE: u8 = 24;
}

/// The random of a ServerHello that is really a HelloRetryRequest
/// (RFC 8446 §4.1.3: SHA-256 of "HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What a ClientHello offered, as code points (names come later).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id_len: usize,
    pub session_id: Vec<u8>,
    pub ciphers: Vec<u16>,
    /// Extension types in wire order (GREASE included).
    pub extensions: Vec<u16>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub supported_versions: Vec<u16>,
    pub groups: Vec<u16>,
    pub point_formats: Vec<u8>,
    pub signature_algorithms: Vec<u16>,
    /// A non-empty session_ticket extension (resumption attempt).
    pub session_ticket: bool,
    pub psk: bool,
    pub early_data: bool,
    /// Sent in the SSLv2 record format (no extensions possible).
    pub sslv2: bool,
}

impl ClientHello {
    /// The highest non-GREASE version offered (supported_versions, else
    /// the legacy field).
    pub fn max_version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(self.legacy_version)
    }
}

/// What a ServerHello chose.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub cipher: u16,
    pub extensions: Vec<u16>,
    /// supported_versions (TLS 1.3), if present.
    pub selected_version: Option<u16>,
    pub alpn: Option<String>,
    pub hello_retry_request: bool,
    pub session_id: Vec<u8>,
}

impl ServerHello {
    /// The negotiated version.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Why a handshake message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("malformed {0}")]
    Malformed(&'static str),
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn u24_at(b: &[u8], i: usize) -> Option<usize> {
    Some(((*b.get(i)? as usize) << 16) | ((*b.get(i + 1)? as usize) << 8) | *b.get(i + 2)? as usize)
}

/// Splits an extension block (without its 2-byte length) into
/// `(type, whole extension bytes including its 4-byte header)`; stops at
/// the first extension that runs past the end.
pub fn walk_extensions(block: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while let (Some(t), Some(len)) = (u16_at(block, i), u16_at(block, i + 2)) {
        let end = i + 4 + len as usize;
        let Some(whole) = block.get(i..end) else {
            break;
        };
        out.push((t, whole));
        i = end;
    }
    out
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn random32(b: &[u8]) -> [u8; 32] {
    let mut r = [0u8; 32];
    if let Some(src) = b.get(..32) {
        r.copy_from_slice(src);
    }
    r
}

/// A complete ClientHello handshake message (header included).
pub fn parse_client_hello(message: &[u8]) -> Result<ClientHello, HandshakeError> {
    let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) =
        parse_tls_message_handshake(message)
    else {
        return Err(HandshakeError::Malformed("ClientHello"));
    };
    let mut out = ClientHello {
        legacy_version: ch.version.0,
        random: random32(ch.random),
        session_id_len: ch.session_id.map_or(0, <[u8]>::len),
        session_id: ch.session_id.unwrap_or_default().to_vec(),
        ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
        ..Default::default()
    };
    let Some(ext_block) = ch.ext else {
        return Ok(out);
    };
    for (t, whole) in walk_extensions(ext_block) {
        out.extensions.push(t);
        let Ok((_, ext)) = parse_tls_client_hello_extension(whole) else {
            continue;
        };
        match ext {
            TlsExtension::SNI(names) => {
                out.sni = names
                    .iter()
                    .find(|(t, _)| t.0 == 0)
                    .map(|(_, name)| lossy(name));
            }
            TlsExtension::ALPN(protos) => out.alpn = protos.iter().map(|p| lossy(p)).collect(),
            TlsExtension::SupportedVersions(v) => {
                out.supported_versions = v.iter().map(|v| v.0).collect()
            }
            TlsExtension::EllipticCurves(g) => out.groups = g.iter().map(|g| g.0).collect(),
            TlsExtension::EcPointFormats(f) => out.point_formats = f.to_vec(),
            TlsExtension::SignatureAlgorithms(s) => out.signature_algorithms = s,
            TlsExtension::SessionTicket(t) => out.session_ticket = !t.is_empty(),
            TlsExtension::PreSharedKey(_) => out.psk = true,
            TlsExtension::EarlyData(_) => out.early_data = true,
            _ => {}
        }
    }
    Ok(out)
}

/// An SSLv2-format ClientHello record (RFC 6101 appendix E.2 / RFC 5246
/// appendix E.2): 2-byte header with the high bit set, then msg type 1,
/// version, and three lengths. Cipher specs are 3 bytes; those whose
/// first byte is 0 are TLS cipher suites.
pub fn parse_sslv2_client_hello(record: &[u8]) -> Result<ClientHello, HandshakeError> {
    let bad = HandshakeError::Malformed("SSLv2 ClientHello");
    let (Some(h0), Some(h1)) = (record.first(), record.get(1)) else {
        return Err(bad);
    };
    if h0 & 0x80 == 0 {
        return Err(bad);
    }
    let len = (((*h0 & 0x7f) as usize) << 8) | *h1 as usize;
    let body = record.get(2..2 + len).ok_or(bad.clone())?;
    if body.first() != Some(&1) {
        return Err(bad);
    }
    let version = u16_at(body, 1).ok_or(bad.clone())?;
    let specs_len = u16_at(body, 3).ok_or(bad.clone())? as usize;
    let sid_len = u16_at(body, 5).ok_or(bad.clone())? as usize;
    let chal_len = u16_at(body, 7).ok_or(bad.clone())? as usize;
    let specs = body.get(9..9 + specs_len).ok_or(bad.clone())?;
    let challenge = body
        .get(9 + specs_len + sid_len..9 + specs_len + sid_len + chal_len)
        .ok_or(bad)?;
    // The challenge becomes the right-aligned client random (RFC 5246 E.2).
    let mut random = [0u8; 32];
    let take = challenge.len().min(32);
    random[32 - take..].copy_from_slice(&challenge[challenge.len() - take..]);
    Ok(ClientHello {
        legacy_version: version,
        random,
        session_id_len: sid_len,
        ciphers: specs
            .chunks_exact(3)
            .filter(|c| c[0] == 0)
            .map(|c| u16::from_be_bytes([c[1], c[2]]))
            .collect(),
        sslv2: true,
        ..Default::default()
    })
}

/// A complete ServerHello handshake message (header included).
pub fn parse_server_hello(message: &[u8]) -> Result<ServerHello, HandshakeError> {
    let parsed = parse_tls_message_handshake(message);
    let (version, random, cipher, sid, ext) = match parsed {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)))) => (
            sh.version.0,
            sh.random,
            sh.cipher.0,
            sh.session_id.unwrap_or(&[]),
            sh.ext,
        ),
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHelloV13Draft18(sh)))) => {
            (sh.version.0, sh.random, sh.cipher.0, &[][..], sh.ext)
        }
        _ => return Err(HandshakeError::Malformed("ServerHello")),
    };
    let mut out = ServerHello {
        legacy_version: version,
        random: random32(random),
        cipher,
        session_id: sid.to_vec(),
        ..Default::default()
    };
    out.hello_retry_request = out.random == HRR_RANDOM;
    for (t, whole) in walk_extensions(ext.unwrap_or(&[])) {
        out.extensions.push(t);
        if t == 43 {
            // supported_versions in a ServerHello: one version, 2 bytes.
            out.selected_version = u16_at(whole, 4);
            continue;
        }
        if let Ok((_, TlsExtension::ALPN(p))) = parse_tls_server_hello_extension(whole) {
            out.alpn = p.first().map(|p| lossy(p));
        }
    }
    Ok(out)
}

/// The ALPN protocol in an EncryptedExtensions message (TLS 1.3).
pub fn parse_encrypted_extensions_alpn(message: &[u8]) -> Option<String> {
    let len = u16_at(message, 4)? as usize;
    let block = message.get(6..6 + len)?;
    walk_extensions(block)
        .into_iter()
        .filter(|(t, _)| *t == 16)
        .find_map(|(_, whole)| match parse_tls_server_hello_extension(whole) {
            Ok((_, TlsExtension::ALPN(p))) => p.first().map(|p| lossy(p)),
            _ => None,
        })
}

/// The DER certificates of a Certificate message, in order. `tls13`
/// selects the TLS 1.3 layout (request context, per-entry extensions).
pub fn parse_certificate_list(message: &[u8], tls13: bool) -> Result<Vec<Vec<u8>>, HandshakeError> {
    if !tls13 {
        return match parse_tls_message_handshake(message) {
            Ok((_, TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)))) => {
                Ok(c.cert_chain.iter().map(|c| c.data.to_vec()).collect())
            }
            _ => Err(HandshakeError::Malformed("Certificate")),
        };
    }
    let bad = HandshakeError::Malformed("TLS 1.3 Certificate");
    let body = message.get(4..).ok_or(bad.clone())?;
    let ctx_len = *body.first().ok_or(bad.clone())? as usize;
    let list_len = u24_at(body, 1 + ctx_len).ok_or(bad.clone())?;
    let list = body
        .get(4 + ctx_len..4 + ctx_len + list_len)
        .ok_or(bad.clone())?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let cert_len = u24_at(list, i).ok_or(bad.clone())?;
        let cert = list.get(i + 3..i + 3 + cert_len).ok_or(bad.clone())?;
        let ext_len = u16_at(list, i + 3 + cert_len).ok_or(bad.clone())? as usize;
        out.push(cert.to_vec());
        i += 3 + cert_len + 2 + ext_len;
    }
    Ok(out)
}

/// The accepted CA names (DER distinguished names) of a
/// CertificateRequest.
pub fn parse_certificate_request_cas(
    message: &[u8],
    tls13: bool,
) -> Result<Vec<Vec<u8>>, HandshakeError> {
    if !tls13 {
        return match parse_tls_message_handshake(message) {
            Ok((_, TlsMessage::Handshake(TlsMessageHandshake::CertificateRequest(r)))) => {
                Ok(r.unparsed_ca.iter().map(|c| c.to_vec()).collect())
            }
            _ => Err(HandshakeError::Malformed("CertificateRequest")),
        };
    }
    // TLS 1.3: context<0..255>, extensions<2..2^16-1>; CA names live in
    // certificate_authorities (47): DistinguishedName authorities<3..2^16-1>.
    let bad = HandshakeError::Malformed("TLS 1.3 CertificateRequest");
    let body = message.get(4..).ok_or(bad.clone())?;
    let ctx_len = *body.first().ok_or(bad.clone())? as usize;
    let ext_len = u16_at(body, 1 + ctx_len).ok_or(bad.clone())? as usize;
    let block = body
        .get(3 + ctx_len..3 + ctx_len + ext_len)
        .ok_or(bad.clone())?;
    let mut out = Vec::new();
    for (t, whole) in walk_extensions(block) {
        if t != 47 {
            continue;
        }
        let list_len = u16_at(whole, 4).ok_or(bad.clone())? as usize;
        let list = whole.get(6..6 + list_len).ok_or(bad.clone())?;
        let mut i = 0;
        while let Some(n) = u16_at(list, i) {
            let dn = list.get(i + 2..i + 2 + n as usize).ok_or(bad.clone())?;
            out.push(dn.to_vec());
            i += 2 + n as usize;
        }
    }
    Ok(out)
}

/// An RFC 2253 string for a DER distinguished name (as openssl prints).
pub fn dn_string(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => crate::pki::cert::rfc2253(&name),
        Err(_) => format!("<unparsable name, {} bytes>", der.len()),
    }
}

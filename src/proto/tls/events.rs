//! The events of the TLS dissector (`type` = `tls_...`): what each hello
//! offered or chose, each certificate message, each alert, and the session
//! summary, with their one-line text.

use std::borrow::Cow;

use serde::Serialize;

use super::{CertSummary, SessionSummary, Side};

/// What the ClientHello offered (`tls_client_hello`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientHelloEvent {
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Versions offered: supported_versions, else the legacy version.
    pub versions: Vec<Cow<'static, str>>,
    pub cipher_suites: Vec<Cow<'static, str>>,
    pub groups: Vec<Cow<'static, str>>,
    pub signature_algorithms: Vec<Cow<'static, str>>,
    pub session_id: bool,
    pub session_ticket: bool,
    pub psk: bool,
    pub early_data: bool,
    pub sslv2_format: bool,
    pub ja3: String,
    pub ja3_string: String,
    pub ja4: String,
}

/// What the ServerHello chose (`tls_server_hello`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerHelloEvent {
    pub version: Cow<'static, str>,
    pub cipher: Cow<'static, str>,
    pub alpn: Option<String>,
    pub hello_retry_request: bool,
    /// TLS ≤ 1.2: the server echoed the client's session id.
    pub resumed: bool,
    pub ja3s: String,
    pub ja4s: String,
}

/// A Certificate message (`tls_certificate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateEvent {
    pub sent_by: Side,
    /// True when the message was read from decrypted records (TLS 1.3).
    pub encrypted: bool,
    pub chain: Vec<CertSummary>,
}

/// An alert (`tls_alert`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub from: Side,
    pub level: String,
    pub description: String,
    pub encrypted: bool,
    /// For an encrypted alert: whether keys opened it.
    pub decrypted: bool,
}

/// Events of the TLS dissector (`type` = `tls_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TlsEvent {
    TlsClientHello(ClientHelloEvent),
    TlsServerHello(ServerHelloEvent),
    TlsCertificate(CertificateEvent),
    /// The server asked for a client certificate.
    TlsCertificateRequest {
        ca_names: Vec<String>,
        encrypted: bool,
    },
    TlsAlert(AlertEvent),
    TlsChangeCipherSpec {
        from: Side,
    },
    /// A Finished message: read (clear or decrypted) or, when encrypted
    /// without keys, the first encrypted handshake record after a TLS 1.2
    /// ChangeCipherSpec.
    TlsHandshakeFinished {
        from: Side,
        encrypted: bool,
        decrypted: bool,
    },
    /// 0-RTT data sent by the client before the handshake completed.
    TlsEarlyData {
        records: u64,
        bytes: u64,
        decrypted: bool,
        note: String,
    },
    /// Something the dissector noticed: bytes skipped before the first
    /// record, an oversized handshake message, a malformed message, a
    /// decryption failure.
    TlsNotice {
        from: Side,
        message: String,
    },
    /// The connection's summary, at its end.
    TlsSession(Box<SessionSummary>),
}

impl TlsEvent {
    pub fn name(&self) -> &'static str {
        match self {
            TlsEvent::TlsClientHello(_) => "tls_client_hello",
            TlsEvent::TlsServerHello(_) => "tls_server_hello",
            TlsEvent::TlsCertificate(_) => "tls_certificate",
            TlsEvent::TlsCertificateRequest { .. } => "tls_certificate_request",
            TlsEvent::TlsAlert(_) => "tls_alert",
            TlsEvent::TlsChangeCipherSpec { .. } => "tls_change_cipher_spec",
            TlsEvent::TlsHandshakeFinished { .. } => "tls_handshake_finished",
            TlsEvent::TlsEarlyData { .. } => "tls_early_data",
            TlsEvent::TlsNotice { .. } => "tls_notice",
            TlsEvent::TlsSession(_) => "tls_session",
        }
    }

    pub fn summary(&self) -> String {
        match self {
            TlsEvent::TlsClientHello(c) => format!(
                "SNI {} ALPN [{}] versions [{}] {} suites, ja3 {} ja4 {}",
                c.sni.as_deref().unwrap_or("-"),
                c.alpn.join(","),
                c.versions.join(","),
                c.cipher_suites.len(),
                c.ja3,
                c.ja4
            ),
            TlsEvent::TlsServerHello(s) => format!(
                "{}{} {} ALPN {}{} ja3s {} ja4s {}",
                if s.hello_retry_request {
                    "HelloRetryRequest "
                } else {
                    ""
                },
                s.version,
                s.cipher,
                s.alpn.as_deref().unwrap_or("-"),
                if s.resumed { " (resumed)" } else { "" },
                s.ja3s,
                s.ja4s
            ),
            TlsEvent::TlsCertificate(c) => {
                let leaf = c.chain.first();
                let findings: Vec<String> = c
                    .chain
                    .iter()
                    .enumerate()
                    .flat_map(|(n, x)| {
                        x.findings.iter().map(move |f| {
                            if n == 0 {
                                f.clone()
                            } else {
                                format!("#{n} {}: {f}", x.short_subject())
                            }
                        })
                    })
                    .collect();
                format!(
                    "{} chain of {}{}: {} (notAfter {}){}",
                    c.sent_by.name(),
                    c.chain.len(),
                    if c.encrypted { " (decrypted)" } else { "" },
                    leaf.map(|l| l.subject.as_str()).unwrap_or("-"),
                    leaf.map(|l| l.not_after.as_str()).unwrap_or("-"),
                    if findings.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", findings.join("; "))
                    }
                )
            }
            TlsEvent::TlsCertificateRequest { ca_names, .. } => {
                if ca_names.is_empty() {
                    "client certificate requested (any CA)".into()
                } else {
                    format!(
                        "client certificate requested, CAs: {}",
                        ca_names.join(" | ")
                    )
                }
            }
            TlsEvent::TlsAlert(a) => format!(
                "{} {} {}{}",
                a.from.name(),
                a.level,
                a.description,
                match (a.encrypted, a.decrypted) {
                    (true, true) => " (decrypted)",
                    _ => "",
                }
            ),
            TlsEvent::TlsChangeCipherSpec { from } => format!("from {}", from.name()),
            TlsEvent::TlsHandshakeFinished {
                from,
                encrypted,
                decrypted,
            } => format!(
                "{}{}",
                from.name(),
                match (encrypted, decrypted) {
                    (true, false) => " (encrypted)",
                    (true, true) => " (decrypted)",
                    _ => "",
                }
            ),
            TlsEvent::TlsEarlyData { note, .. } => note.clone(),
            TlsEvent::TlsNotice { from, message } => format!("{}: {message}", from.name()),
            TlsEvent::TlsSession(s) => format!(
                "{} {} SNI {} — {}",
                s.version.as_deref().unwrap_or("-"),
                s.cipher.as_deref().unwrap_or("-"),
                s.sni.as_deref().unwrap_or("-"),
                s.verdict
            ),
        }
    }
}

//! The per-connection summary (`tls_session`, one per connection at its
//! end) and the verdict in words: completed, failed and why, incomplete,
//! or — for TLS 1.3 without keys — what can be inferred from the sizes and
//! order of encrypted records, said to be inferred, with the evidence.

use serde::Serialize;

use super::judge::CertSummary;

/// Which side sent something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// One alert in the session summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSummary {
    pub from: Side,
    pub level: String,
    pub description: String,
    pub encrypted: bool,
}

/// Byte and record counts of one direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DirectionCounts {
    pub records: u64,
    pub application_data_records: u64,
    pub application_data_bytes: u64,
    pub decrypted_bytes: u64,
}

/// Everything `pcap tls` shows about one connection (`tls_session`).
/// The first fields are the ones DESIGN.md names for `pcap tls`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub client: String,
    pub server: String,
    pub sni: Option<String>,
    /// ALPN protocols offered by the client.
    pub alpn: Vec<String>,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub ja3: Option<String>,
    pub ja4: Option<String>,
    /// The server's chain as presented (clear, or decrypted TLS 1.3).
    pub certificates: Vec<CertSummary>,
    pub alerts: Vec<AlertSummary>,
    pub verdict: String,
    // Extra fields.
    pub component: String,
    pub alpn_negotiated: Option<String>,
    pub ja3s: Option<String>,
    pub ja4s: Option<String>,
    /// The client's chain (mutual TLS), when seen.
    pub client_certificates: Vec<CertSummary>,
    pub client_certificate_requested: bool,
    pub resumed: bool,
    pub hello_retry_request: bool,
    /// Keys were found and records were opened.
    pub decrypted: bool,
    /// True when `verdict` is inferred from encrypted record sizes.
    pub inferred: bool,
    /// Why the verdict says what it says (inference evidence, notes).
    pub evidence: Vec<String>,
    pub client_to_server: DirectionCounts,
    pub server_to_client: DirectionCounts,
    /// Bytes skipped before the first record (a plaintext prefix) or
    /// while resynchronising after a gap.
    pub skipped_bytes: u64,
    /// The plaintext exchange before the ClientHello (STARTTLS, SSLRequest),
    /// when TLS was found after one; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls: Option<super::starttls::StartTls>,
}

/// A burst of encrypted records from one side (TLS 1.3 without keys), in
/// arrival order: record body lengths.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub side: Side,
    pub lengths: Vec<usize>,
}

/// Turns kept per connection for inference (the handshake needs four).
pub const MAX_TURNS: usize = 8;
/// Records kept per turn.
pub const MAX_TURN_RECORDS: usize = 16;

/// An encrypted alert: 2 bytes, content type, 16-byte AEAD tag — and a
/// little room for padding.
pub const SMALL_RECORD: usize = 24;

/// Alert descriptions that mean a certificate was refused.
pub fn is_certificate_alert(desc: &str) -> bool {
    matches!(
        desc,
        "bad_certificate"
            | "unsupported_certificate"
            | "certificate_revoked"
            | "certificate_expired"
            | "certificate_unknown"
            | "unknown_ca"
            | "certificate_required"
            | "access_denied"
    )
}

/// TLS 1.3 handshake outcome inferred from encrypted records only.
/// `turns` start with the server's flight after its ServerHello.
pub fn infer_tls13(turns: &[Turn], client_sent_certificate_hint: bool) -> (String, Vec<String>) {
    let mut evidence = Vec::new();
    let server_flight = turns.iter().position(|t| t.side == Side::Server);
    let Some(sf) = server_flight else {
        return (
            "incomplete: capture ended during handshake (no encrypted server flight after ServerHello)"
                .into(),
            evidence,
        );
    };
    let flight = &turns[sf];
    evidence.push(format!(
        "server's encrypted flight: {} records, {} bytes",
        flight.lengths.len(),
        flight.lengths.iter().sum::<usize>()
    ));
    let after: Vec<&Turn> = turns[sf + 1..].iter().collect();
    let client_turns: Vec<&&Turn> = after.iter().filter(|t| t.side == Side::Client).collect();
    let Some(first_client) = client_turns.first() else {
        return (
            "incomplete: the client never answered the server's flight (capture ended during handshake)"
                .into(),
            evidence,
        );
    };
    let client_records: usize = client_turns.iter().map(|t| t.lengths.len()).sum();
    let client_bytes: usize = client_turns
        .iter()
        .map(|t| t.lengths.iter().sum::<usize>())
        .sum();
    evidence.push(format!(
        "client after the server's flight: {client_records} encrypted records, {client_bytes} bytes"
    ));
    if client_records == 1
        && first_client
            .lengths
            .first()
            .is_some_and(|l| *l <= SMALL_RECORD)
    {
        let len = first_client.lengths.first().copied().unwrap_or(0);
        evidence.push(format!(
            "the client's only record is {len} bytes: the size of an encrypted alert, not a Finished"
        ));
        return (
            "handshake failed (inferred): client aborted right after the server's flight — typical of a client rejecting the server certificate".into(),
            evidence,
        );
    }
    // Server records after the client's first flight.
    let pos_client = after
        .iter()
        .position(|t| t.side == Side::Client)
        .unwrap_or(0);
    let server_after: Vec<usize> = after[pos_client..]
        .iter()
        .filter(|t| t.side == Side::Server)
        .flat_map(|t| t.lengths.iter().copied())
        .collect();
    // TLS 1.3 clients send application data right behind their Finished,
    // without waiting: only the server's answer tells whether it accepted
    // the client's flight.
    if server_after.len() == 1 && server_after[0] <= SMALL_RECORD {
        let flight_bytes: usize = first_client.lengths.iter().sum();
        evidence.push(format!(
            "the server answered the client's second flight ({} records, {flight_bytes} bytes) with one {}-byte record (an alert's size) and nothing else",
            first_client.lengths.len(),
            server_after[0]
        ));
        let why = if client_sent_certificate_hint || flight_bytes > 200 {
            " — typical of a server rejecting the client certificate"
        } else {
            ""
        };
        return (
            format!(
                "handshake failed (inferred): server aborted after the client's second flight{why}"
            ),
            evidence,
        );
    }
    if let Some(big) = server_after.iter().find(|l| **l > SMALL_RECORD) {
        evidence.push(format!(
            "server sent {} encrypted records after the client's Finished (one of {big} bytes: more than an alert)",
            server_after.len()
        ));
        return (
            "ok (inferred: application data after the server's flight)".into(),
            evidence,
        );
    }
    if client_records >= 2 {
        evidence.push(
            "no server record after the client's flight: completion not confirmed by the server"
                .into(),
        );
        return (
            "ok (inferred: application data after the server's flight)".into(),
            evidence,
        );
    }
    (
        "incomplete: capture ended after the client's Finished (inferred)".into(),
        evidence,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(side: Side, l: &[usize]) -> Turn {
        Turn {
            side,
            lengths: l.to_vec(),
        }
    }

    #[test]
    fn inference_rules() {
        let ok = infer_tls13(
            &[
                t(Side::Server, &[2000]),
                t(Side::Client, &[53, 80]),
                t(Side::Server, &[200]),
            ],
            false,
        );
        assert!(ok.0.starts_with("ok (inferred"), "{}", ok.0);
        let rejected = infer_tls13(&[t(Side::Server, &[2000]), t(Side::Client, &[19])], false);
        assert!(
            rejected.0.contains("rejecting the server certificate"),
            "{}",
            rejected.0
        );
        let mtls = infer_tls13(
            &[
                t(Side::Server, &[2000]),
                t(Side::Client, &[900, 280, 53]),
                t(Side::Server, &[19]),
            ],
            false,
        );
        assert!(
            mtls.0.contains("rejecting the client certificate"),
            "{}",
            mtls.0
        );
        let none = infer_tls13(&[], false);
        assert!(none.0.starts_with("incomplete"));
    }
}

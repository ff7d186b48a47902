//! `pcap tls` / `capture --view tls`: one row per TLS connection, from the
//! `tls_session` event its dissector emits at the end: endpoints,
//! component, SNI, ALPN, version, cipher, JA3/JA4, client and server
//! certificates judged at capture time, alerts, and the verdict in words.
//!
//! JSON (one object per connection): the fields DESIGN.md names (`client,
//! server, sni, alpn, version, cipher, ja3, ja4, certificates, alerts,
//! verdict`), then the extra fields of
//! [`SessionSummary`](crate::proto::tls::SessionSummary).

use std::io::Write;

use super::{Format, Out, pad};
use crate::event::{Event, EventKind};
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::proto::tls::{CertSummary, SessionSummary, TlsEvent};

pub struct TlsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    pub rows: u64,
    failed: u64,
    incomplete: u64,
    unknown: u64,
}

const HEADER: [(&str, usize); 13] = [
    ("CLIENT", 22),
    ("SERVER", 22),
    ("COMPONENT", 14),
    ("SNI", 24),
    ("ALPN", 14),
    ("VERSION", 8),
    ("CIPHER", 40),
    ("JA3 / JA4", 70),
    ("CLIENT CERT", 20),
    ("SERVER CERT", 60),
    ("ALERTS", 24),
    ("VERDICT", 0),
    ("", 0),
];

fn dash(s: Option<&str>) -> &str {
    match s {
        Some(s) if !s.is_empty() => s,
        _ => "-",
    }
}

/// `CN (notAfter 2019-10-05, EXPIRED at capture)` for a leaf.
pub fn cert_cell(chain: &[CertSummary]) -> String {
    let Some(leaf) = chain.first() else {
        return "-".into();
    };
    let date = leaf.not_after.get(..10).unwrap_or(&leaf.not_after);
    let mut judgement = Vec::new();
    if leaf.expired_at_capture {
        judgement.push("EXPIRED at capture");
    }
    if leaf.not_yet_valid_at_capture {
        judgement.push("NOT YET VALID at capture");
    }
    if leaf.self_signed {
        judgement.push("self-signed");
    }
    if leaf
        .findings
        .iter()
        .any(|f| f.contains("a CA must not be used"))
    {
        judgement.push("CA used as end entity");
    }
    if leaf.findings.iter().any(|f| f.starts_with("SNI ")) {
        judgement.push("SNI not in SANs");
    }
    if chain.iter().any(|c| {
        c.findings
            .iter()
            .any(|f| f.starts_with("chain order wrong"))
    }) {
        judgement.push("chain order wrong");
    }
    let judged = if judgement.is_empty() {
        "valid at capture".to_string()
    } else {
        judgement.join(", ")
    };
    format!("{} (notAfter {date}, {judged})", leaf.short_subject())
}

fn row(s: &SessionSummary) -> String {
    let alpn = match &s.alpn_negotiated {
        Some(a) => a.clone(),
        None if s.alpn.is_empty() => "-".into(),
        // Offered only (no choice seen): in parentheses.
        None => format!("({})", s.alpn.join(",")),
    };
    let fp = format!("{} / {}", dash(s.ja3.as_deref()), dash(s.ja4.as_deref()));
    let client_cert = s
        .client_certificates
        .first()
        .map(|c| c.short_subject().to_string())
        .unwrap_or_else(|| "-".into());
    let alerts = if s.alerts.is_empty() {
        "-".to_string()
    } else {
        s.alerts
            .iter()
            .map(|a| format!("{}:{}", a.from.name(), a.description))
            .collect::<Vec<_>>()
            .join(",")
    };
    let version = s
        .version
        .as_deref()
        .map(|v| v.trim_start_matches("TLS ").to_string());
    let cells = [
        s.client.clone(),
        s.server.clone(),
        s.component.clone(),
        dash(s.sni.as_deref()).to_string(),
        alpn,
        dash(version.as_deref()).to_string(),
        dash(s.cipher.as_deref()).to_string(),
        fp,
        client_cert,
        cert_cell(&s.certificates),
        alerts,
    ];
    let mut line: Vec<String> = cells
        .iter()
        .zip(HEADER.iter())
        .map(|(c, (_, w))| pad(c, *w))
        .collect();
    let mut verdict = s.verdict.clone();
    if let Some(st) = &s.starttls {
        verdict.push_str(&format!(" [{}]", st.short()));
    }
    if !s.evidence.is_empty() && (s.inferred || s.verdict.starts_with("incomplete")) {
        verdict.push_str(&format!(" [{}]", s.evidence.join("; ")));
    }
    line.push(verdict);
    line.join(" ")
}

impl<W: Write> TlsView<W> {
    pub fn new(w: W, format: Format) -> Self {
        TlsView {
            // On a narrow terminal: the endpoints and the verdict first.
            out: Out::new(w).fixed_columns(&HEADER[..12], &[0, 0, 3, 2, 4, 2, 4, 6, 5, 5, 1, 0]),
            format,
            header_done: false,
            rows: 0,
            failed: 0,
            incomplete: 0,
            unknown: 0,
        }
    }

    fn header(&mut self) {
        if !self.header_done && self.format == Format::Table {
            let cols: Vec<String> = HEADER
                .iter()
                .filter(|(n, _)| !n.is_empty())
                .map(|(n, w)| pad(n, *w))
                .collect();
            self.out.line(cols.join(" ").trim_end());
        }
        self.header_done = true;
    }

    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        self.header();
        if self.format == Format::Table {
            self.out.line("");
            self.out.line(&format!(
                "{} TLS connections ({} failed, {} incomplete, {} unknown); {}",
                self.rows,
                self.failed,
                self.incomplete,
                self.unknown,
                summary.line()
            ));
        }
        self.out.finish()
    }
}

impl<W: Write> Observer for TlsView<W> {
    fn event_filter(&self) -> Option<fn(&Event) -> bool> {
        Some(|e| matches!(e.kind, EventKind::Tls(TlsEvent::TlsSession(_))))
    }
    /// Sessions come from the handshake: nothing decrypted inside is
    /// decoded further than its protocol needs.
    fn wants(&self) -> crate::proto::Wants {
        crate::proto::Wants {
            raft: false,
            grpc_messages: false,
            http2: false,
            raft_entries: false,
            http1: true,
            events: true,
        }
    }
    fn event(&mut self, e: &Event) {
        let EventKind::Tls(TlsEvent::TlsSession(s)) = &e.kind else {
            return;
        };
        self.rows += 1;
        if s.verdict.starts_with("handshake failed") {
            self.failed += 1;
        } else if s.verdict.starts_with("incomplete") {
            self.incomplete += 1;
        } else if !s.verdict.starts_with("ok") {
            self.unknown += 1;
        }
        match self.format {
            Format::Json | Format::Prometheus | Format::Yaml => self.out.json(s.as_ref()),
            Format::Table | Format::Wide => {
                self.header();
                let line = row(s);
                self.out.line(line.trim_end());
            }
        }
    }

    fn flow(&mut self, _f: &FlowRecord) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_cell_says_the_judgement() {
        let c = CertSummary {
            subject: "CN=example.ulfheim.net,O=Example".into(),
            issuer: "CN=ca".into(),
            serial: "01".into(),
            not_before: "2018-10-05T01:38:17.000000Z".into(),
            not_after: "2019-10-05T01:38:17.000000Z".into(),
            sans: vec![],
            expired_at_capture: true,
            not_yet_valid_at_capture: false,
            self_signed: false,
            findings: vec![],
            sha256: String::new(),
        };
        assert_eq!(
            cert_cell(&[c]),
            "example.ulfheim.net (notAfter 2019-10-05, EXPIRED at capture)"
        );
        assert_eq!(cert_cell(&[]), "-");
    }
}

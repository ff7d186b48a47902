//! TLS seen in captures: records, handshakes, certificates judged at capture
//! time, alerts, fingerprints (JA3/JA3S/JA4/JA4S), TLS 1.3 inference, and
//! decryption with key logs (see [`keylog`] and [`decrypt`]).

pub mod decrypt;
pub mod keylog;

use serde::Serialize;

/// Events of the TLS dissector (`type` = `tls_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TlsEvent {}

impl TlsEvent {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

/// The dissector for one connection (placeholder until the decoder lands).
pub struct TlsDissector {
    #[allow(dead_code)]
    conn: crate::proto::ConnInfo,
    #[allow(dead_code)]
    ctx: std::sync::Arc<crate::proto::Context>,
}

impl TlsDissector {
    pub fn new(conn: crate::proto::ConnInfo, ctx: std::sync::Arc<crate::proto::Context>) -> Self {
        TlsDissector { conn, ctx }
    }
}

impl crate::proto::Dissector for TlsDissector {
    fn protocol(&self) -> crate::proto::Protocol {
        crate::proto::Protocol::Tls
    }
    fn data(
        &mut self,
        _ts: crate::timestamp::Timestamp,
        _dir: crate::proto::Direction,
        _bytes: &[u8],
        _sink: &mut dyn crate::proto::EventSink,
    ) {
    }
}

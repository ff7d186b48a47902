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

//! The typed events every layer emits and every view consumes.
//!
//! JSON shape (DESIGN.md): `ts` (RFC 3339, µs, UTC), `src`, `dst`
//! (`ip:port`), `component`, `type` (snake_case event name), then the
//! event's own fields. Dissectors add variants here; views need no change.

use std::net::SocketAddr;

use serde::{Serialize, Serializer};

use crate::proto::{Component, Direction, Protocol};
use crate::timestamp::Timestamp;

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Closed with FIN.
    Fin,
    /// Aborted with RST.
    Rst,
    /// Still open when the capture ended, or idle long enough to be evicted.
    Open,
}

impl End {
    pub const fn name(self) -> &'static str {
        match self {
            End::Fin => "fin",
            End::Rst => "rst",
            End::Open => "open",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// First packet of a connection. `handshake` is false when the capture
    /// started after the SYN.
    ConnectionOpen { handshake: bool },
    /// The protocol of a connection was recognised.
    ProtocolDetected {
        protocol: Protocol,
        by: &'static str,
    },
    /// The capture is missing `bytes` of one direction at stream `offset`.
    Gap {
        direction: Direction,
        offset: u64,
        bytes: u64,
    },
    /// The connection ended (or was still open when the capture ended).
    ConnectionClose {
        end: End,
        packets: u64,
        client_bytes: u64,
        server_bytes: u64,
        duration_ms: f64,
    },
    /// Bytes of a protocol no dissector recognises, seen inside another
    /// layer (decrypted TLS): size and a printable preview of the first
    /// chunks of each direction.
    Payload {
        direction: Direction,
        bytes: u64,
        preview: String,
    },
    // Dissector events: each protocol owns its enum (internally tagged by
    // `type`), spliced in here without a wrapper key.
    #[serde(untagged)]
    Tls(crate::proto::tls::TlsEvent),
    #[serde(untagged)]
    Http(crate::proto::http1::HttpEvent),
    #[serde(untagged)]
    Http2(crate::proto::http2::Http2Event),
    #[serde(untagged)]
    Grpc(crate::proto::grpc::GrpcEvent),
    #[serde(untagged)]
    Etcd(crate::proto::etcd_rpc::EtcdEvent),
    #[serde(untagged)]
    Raft(crate::proto::raft::RaftEvent),
}

impl EventKind {
    /// The snake_case name used as `type` in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ConnectionOpen { .. } => "connection_open",
            EventKind::ProtocolDetected { .. } => "protocol_detected",
            EventKind::Gap { .. } => "gap",
            EventKind::ConnectionClose { .. } => "connection_close",
            EventKind::Payload { .. } => "payload",
            EventKind::Tls(e) => e.name(),
            EventKind::Http(e) => e.name(),
            EventKind::Http2(e) => e.name(),
            EventKind::Grpc(e) => e.name(),
            EventKind::Etcd(e) => e.name(),
            EventKind::Raft(e) => e.name(),
        }
    }

    /// The event's own fields as a short human string (table view).
    pub fn summary(&self) -> String {
        match self {
            EventKind::ConnectionOpen { handshake } => {
                if *handshake {
                    "SYN".to_string()
                } else {
                    "mid-stream (no SYN in capture)".to_string()
                }
            }
            EventKind::ProtocolDetected { protocol, by } => format!("{protocol} (by {by})"),
            EventKind::Gap {
                direction,
                offset,
                bytes,
            } => {
                let d = match direction {
                    Direction::ClientToServer => "client→server",
                    Direction::ServerToClient => "server→client",
                };
                format!("{bytes} bytes missing {d} at offset {offset}")
            }
            EventKind::ConnectionClose {
                end,
                packets,
                client_bytes,
                server_bytes,
                duration_ms,
            } => format!(
                "{} after {} packets, {client_bytes}/{server_bytes} payload bytes, {:.1} ms",
                end.name(),
                packets,
                duration_ms
            ),
            EventKind::Payload { bytes, preview, .. } => {
                format!("{bytes} bytes of an unrecognised protocol: \"{preview}\"")
            }
            EventKind::Tls(e) => e.summary(),
            EventKind::Http(e) => e.summary(),
            EventKind::Http2(e) => e.summary(),
            EventKind::Grpc(e) => e.summary(),
            EventKind::Etcd(e) => e.summary(),
            EventKind::Raft(e) => e.summary(),
        }
    }
}

/// An event with its time and place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub component: Component,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_matches_the_design() {
        let e = Event {
            ts: Timestamp(1_000_000_123_456_789),
            src: "10.0.0.1:40000".parse().unwrap(),
            dst: "10.0.0.2:2379".parse().unwrap(),
            component: Component::EtcdClient,
            kind: EventKind::Gap {
                direction: Direction::ServerToClient,
                offset: 10,
                bytes: 5,
            },
        };
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["ts"], "1970-01-12T13:46:40.123456Z");
        assert_eq!(v["src"], "10.0.0.1:40000");
        assert_eq!(v["component"], "etcd-client");
        assert_eq!(v["type"], "gap");
        assert_eq!(v["direction"], "server_to_client");
        assert_eq!(v["bytes"], 5);
    }
}

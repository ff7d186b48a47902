//! HTTP/1.1 requests and responses (pipelining, chunked and content-length
//! bodies, long-lived streaming responses); bodies of etcd's peer paths go
//! to [`crate::proto::raft`].

use serde::Serialize;

/// Events of the HTTP/1.1 dissector (`type` = `http_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HttpEvent {}

impl HttpEvent {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

/// The dissector for one connection (placeholder until the decoder lands).
pub struct Http1Dissector {
    #[allow(dead_code)]
    conn: crate::proto::ConnInfo,
    #[allow(dead_code)]
    ctx: std::sync::Arc<crate::proto::Context>,
}

impl Http1Dissector {
    pub fn new(conn: crate::proto::ConnInfo, ctx: std::sync::Arc<crate::proto::Context>) -> Self {
        Http1Dissector { conn, ctx }
    }
}

impl crate::proto::Dissector for Http1Dissector {
    fn protocol(&self) -> crate::proto::Protocol {
        crate::proto::Protocol::Http1
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

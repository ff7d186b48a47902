//! HTTP/2: preface and h2c upgrade, frames, HPACK (loona-hpack) with one
//! dynamic table per direction, streams; gRPC bodies go to
//! [`crate::proto::grpc`].

use serde::Serialize;

/// Events of the HTTP/2 dissector (`type` = `http2_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Http2Event {}

impl Http2Event {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

/// The dissector for one connection (placeholder until the decoder lands).
pub struct Http2Dissector {
    #[allow(dead_code)]
    conn: crate::proto::ConnInfo,
    #[allow(dead_code)]
    ctx: std::sync::Arc<crate::proto::Context>,
}

impl Http2Dissector {
    pub fn new(conn: crate::proto::ConnInfo, ctx: std::sync::Arc<crate::proto::Context>) -> Self {
        Http2Dissector { conn, ctx }
    }
}

impl crate::proto::Dissector for Http2Dissector {
    fn protocol(&self) -> crate::proto::Protocol {
        crate::proto::Protocol::Http2
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

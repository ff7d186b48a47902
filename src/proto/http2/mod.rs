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

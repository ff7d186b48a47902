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

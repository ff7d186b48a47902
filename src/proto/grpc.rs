//! gRPC over HTTP/2: length-prefixed messages, calls paired with their
//! status; etcd's services are decoded by [`crate::proto::etcd_rpc`].

use serde::Serialize;

/// Events of the gRPC layer (`type` = `grpc_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GrpcEvent {}

impl GrpcEvent {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

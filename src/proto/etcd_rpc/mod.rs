//! etcd's client API (etcdserverpb) inside gRPC messages: KV, Watch, Lease,
//! Cluster and Maintenance requests and responses, with stored Kubernetes
//! objects named by [`crate::k8s`].

use serde::Serialize;

/// Events of the etcd API decoder (`type` = `etcd_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EtcdEvent {}

impl EtcdEvent {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

/// Decodes one gRPC message of an etcd method (`path` as in `:path`, e.g.
/// `/etcdserverpb.KV/Range`); `request` is true for client→server messages.
/// None when the path is not an etcd method or the bytes do not decode.
pub fn decode(
    path: &str,
    request: bool,
    message: &[u8],
    ctx: &super::Context,
) -> Option<EtcdEvent> {
    let _ = (path, request, message, ctx);
    None
}

/// Describes an `etcdserverpb.InternalRaftRequest` (the payload of a Raft
/// EntryNormal entry) in one line, e.g. `Put /registry/leases/kube-node-lease/n1`.
pub fn describe_internal_raft_request(bytes: &[u8], ctx: &super::Context) -> Option<String> {
    let _ = (bytes, ctx);
    None
}

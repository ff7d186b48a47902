//! etcd's peer protocol on 2380: rafthttp framing (`POST /raft`, message and
//! msgappv2 streams) and raftpb messages.

use serde::Serialize;

/// Events of the Raft decoder (`type` = `raft_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RaftEvent {}

impl RaftEvent {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
    pub fn summary(&self) -> String {
        match *self {}
    }
}

//! raftpb messages as prost structs, with the field numbers of etcd-io/raft's
//! `raftpb/raft.proto`. Written by hand (no .proto build step) because only
//! decoding is needed. Every field is declared as a plain proto3-style
//! scalar, so both encodings decode alike: etcd ≤ 3.6 (gogoproto, every
//! non-nullable field written, zeros included) and newer releases (zero
//! fields omitted).

/// `raftpb.Entry`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Entry {
    /// EntryType: 0 normal, 1 conf change, 2 conf change v2.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(uint64, tag = "2")]
    pub term: u64,
    #[prost(uint64, tag = "3")]
    pub index: u64,
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// `raftpb.ConfState`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfState {
    #[prost(uint64, repeated, tag = "1")]
    pub voters: Vec<u64>,
    #[prost(uint64, repeated, tag = "2")]
    pub learners: Vec<u64>,
    #[prost(uint64, repeated, tag = "3")]
    pub voters_outgoing: Vec<u64>,
    #[prost(uint64, repeated, tag = "4")]
    pub learners_next: Vec<u64>,
    #[prost(bool, tag = "5")]
    pub auto_leave: bool,
}

/// `raftpb.SnapshotMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotMetadata {
    #[prost(message, optional, tag = "1")]
    pub conf_state: Option<ConfState>,
    #[prost(uint64, tag = "2")]
    pub index: u64,
    #[prost(uint64, tag = "3")]
    pub term: u64,
}

/// `raftpb.Snapshot`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Snapshot {
    #[prost(bytes = "vec", tag = "1")]
    pub data: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<SnapshotMetadata>,
}

/// `raftpb.Message`. `responses` nests messages; prost's decoder stops at
/// its recursion limit, so hostile nesting is bounded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Message {
    /// MessageType, see [`message_type_name`].
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(uint64, tag = "2")]
    pub to: u64,
    #[prost(uint64, tag = "3")]
    pub from: u64,
    #[prost(uint64, tag = "4")]
    pub term: u64,
    #[prost(uint64, tag = "5")]
    pub log_term: u64,
    #[prost(uint64, tag = "6")]
    pub index: u64,
    #[prost(message, repeated, tag = "7")]
    pub entries: Vec<Entry>,
    #[prost(uint64, tag = "8")]
    pub commit: u64,
    #[prost(message, optional, tag = "9")]
    pub snapshot: Option<Snapshot>,
    #[prost(bool, tag = "10")]
    pub reject: bool,
    #[prost(uint64, tag = "11")]
    pub reject_hint: u64,
    #[prost(bytes = "vec", tag = "12")]
    pub context: Vec<u8>,
    #[prost(uint64, tag = "13")]
    pub vote: u64,
    #[prost(message, repeated, tag = "14")]
    pub responses: Vec<Message>,
}

/// `raftpb.ConfChange` (payload of EntryConfChange entries).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConfChange {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int32, tag = "2")]
    pub r#type: i32,
    #[prost(uint64, tag = "3")]
    pub node_id: u64,
    #[prost(bytes = "vec", tag = "4")]
    pub context: Vec<u8>,
}

pub const MSG_APP: i32 = 3;
pub const MSG_VOTE: i32 = 5;
pub const MSG_VOTE_RESP: i32 = 6;
pub const MSG_HEARTBEAT: i32 = 8;
pub const MSG_TRANSFER_LEADER: i32 = 13;
pub const MSG_TIMEOUT_NOW: i32 = 14;
pub const MSG_PRE_VOTE: i32 = 17;
pub const MSG_PRE_VOTE_RESP: i32 = 18;

/// The name of a MessageType value (`MsgApp` ...), `Msg(N)` when unknown.
pub fn message_type_name(t: i32) -> String {
    let name = match t {
        0 => "MsgHup",
        1 => "MsgBeat",
        2 => "MsgProp",
        3 => "MsgApp",
        4 => "MsgAppResp",
        5 => "MsgVote",
        6 => "MsgVoteResp",
        7 => "MsgSnap",
        8 => "MsgHeartbeat",
        9 => "MsgHeartbeatResp",
        10 => "MsgUnreachable",
        11 => "MsgSnapStatus",
        12 => "MsgCheckQuorum",
        13 => "MsgTransferLeader",
        14 => "MsgTimeoutNow",
        15 => "MsgReadIndex",
        16 => "MsgReadIndexResp",
        17 => "MsgPreVote",
        18 => "MsgPreVoteResp",
        19 => "MsgStorageAppend",
        20 => "MsgStorageAppendResp",
        21 => "MsgStorageApply",
        22 => "MsgStorageApplyResp",
        23 => "MsgForgetLeader",
        other => return format!("Msg({other})"),
    };
    name.to_string()
}

/// The name of a ConfChangeType value.
pub fn conf_change_type_name(t: i32) -> &'static str {
    match t {
        0 => "AddNode",
        1 => "RemoveNode",
        2 => "UpdateNode",
        3 => "AddLearnerNode",
        _ => "Unknown",
    }
}

/// True for etcd's link-layer keep-alive on message streams: a MsgHeartbeat
/// without sender and receiver (Raft itself never sends one).
pub fn is_link_heartbeat(m: &Message) -> bool {
    m.r#type == MSG_HEARTBEAT && m.from == 0 && m.to == 0
}

/// Decodes one raftpb.Message.
pub fn decode(bytes: &[u8]) -> Result<Message, prost::DecodeError> {
    <Message as prost::Message>::decode(bytes)
}

/// Encodes a raftpb.Message (zero fields omitted, as newer etcd does).
pub fn encode(m: &Message) -> Vec<u8> {
    prost::Message::encode_to_vec(m)
}

//! raftpb messages as prost structs, with the field numbers of etcd-io/raft's
//! `raftpb/raft.proto`. Written by hand (no .proto build step) because only
//! decoding is needed. Every field is declared as a plain proto3-style
//! scalar, so both encodings decode alike: etcd ≤ 3.6 (gogoproto, every
//! non-nullable field written, zeros included) and newer releases (zero
//! fields omitted).

use crate::k8s::wire::{QuickFields, WireValue};

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

/// Decodes a `raftpb.Message`: [`decode_plain`] when it can, prost
/// otherwise (the same message either way; prost words every error).
pub fn decode(bytes: &[u8]) -> Result<Message, prost::DecodeError> {
    match decode_plain(bytes) {
        Some(m) => Ok(m),
        None => decode_prost(bytes),
    }
}

/// Decodes a `raftpb.Message` with prost alone.
pub fn decode_prost(bytes: &[u8]) -> Result<Message, prost::DecodeError> {
    <Message as prost::Message>::decode(bytes)
}

/// A `raftpb.Message` read by hand, to the value prost gives, when it is
/// made of the fields etcd writes (each with its own wire type) and
/// nothing prost would refuse; None leaves it to prost (unknown fields,
/// `responses`, any doubt). Several times cheaper than prost's general
/// merge on the messages of a Raft stream; the `raftpb` fuzz target
/// checks it against prost on any bytes.
pub fn decode_plain(b: &[u8]) -> Option<Message> {
    use prost::Message as _;
    let mut m = Message::default();
    // The crate's field reader accepts and refuses what prost does; the
    // fixed-width wire types it also reads are none of these fields'.
    for f in QuickFields::new(b) {
        match f.ok()? {
            (1, WireValue::Varint(v)) => m.r#type = v as i32,
            (2, WireValue::Varint(v)) => m.to = v,
            (3, WireValue::Varint(v)) => m.from = v,
            (4, WireValue::Varint(v)) => m.term = v,
            (5, WireValue::Varint(v)) => m.log_term = v,
            (6, WireValue::Varint(v)) => m.index = v,
            (7, WireValue::Len(e)) => m.entries.push(entry(e)?),
            (8, WireValue::Varint(v)) => m.commit = v,
            (9, WireValue::Len(s)) => match &mut m.snapshot {
                // etcd up to 3.6 writes one in every message (gogoproto
                // writes non-nullable fields even when empty).
                None => {
                    m.snapshot = Some(match snapshot(s) {
                        Some(snap) => snap,
                        None => Snapshot::decode(s).ok()?,
                    })
                }
                // Again: merged into the first, as prost merges it.
                Some(snap) => snap.merge(s).ok()?,
            },
            (10, WireValue::Varint(v)) => m.reject = v != 0,
            (11, WireValue::Varint(v)) => m.reject_hint = v,
            (12, WireValue::Len(c)) => m.context = c.to_vec(),
            (13, WireValue::Varint(v)) => m.vote = v,
            _ => return None,
        }
    }
    Some(m)
}

/// A snapshot whose metadata and conf_state come once each, and whose
/// conf_state lists no nodes (what every message but a MsgSnap carries).
fn snapshot(b: &[u8]) -> Option<Snapshot> {
    let mut s = Snapshot::default();
    for f in QuickFields::new(b) {
        match f.ok()? {
            (1, WireValue::Len(d)) => s.data = d.to_vec(),
            (2, WireValue::Len(md)) if s.metadata.is_none() => s.metadata = Some(metadata(md)?),
            _ => return None,
        }
    }
    Some(s)
}

fn metadata(b: &[u8]) -> Option<SnapshotMetadata> {
    let mut md = SnapshotMetadata::default();
    for f in QuickFields::new(b) {
        match f.ok()? {
            (1, WireValue::Len(cs)) if md.conf_state.is_none() => {
                let mut c = ConfState::default();
                for f in QuickFields::new(cs) {
                    match f.ok()? {
                        (5, WireValue::Varint(v)) => c.auto_leave = v != 0,
                        _ => return None,
                    }
                }
                md.conf_state = Some(c);
            }
            (2, WireValue::Varint(v)) => md.index = v,
            (3, WireValue::Varint(v)) => md.term = v,
            _ => return None,
        }
    }
    Some(md)
}

fn entry(b: &[u8]) -> Option<Entry> {
    let mut e = Entry::default();
    for f in QuickFields::new(b) {
        match f.ok()? {
            (1, WireValue::Varint(v)) => e.r#type = v as i32,
            (2, WireValue::Varint(v)) => e.term = v,
            (3, WireValue::Varint(v)) => e.index = v,
            (4, WireValue::Len(d)) => e.data = d.to_vec(),
            _ => return None,
        }
    }
    Some(e)
}

/// Encodes a raftpb.Message (zero fields omitted, as newer etcd does).
pub fn encode(m: &Message) -> Vec<u8> {
    prost::Message::encode_to_vec(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message as etcd up to 3.6 writes it (gogoproto: every
    /// non-nullable field, zeros included, and an empty snapshot whose
    /// conf_state carries auto_leave), with two entries.
    fn gogo_bytes() -> Vec<u8> {
        let mut entry = vec![0x08, 0x00, 0x10, 0x05, 0x18, 0x07, 0x22, 0x03];
        entry.extend_from_slice(b"abc");
        let snapshot = [0x12, 0x08, 0x0a, 0x02, 0x28, 0x00, 0x10, 0x00, 0x18, 0x00];
        let mut m = vec![
            0x08, 0x03, 0x10, 0x02, 0x18, 0x01, 0x20, 0x05, 0x28, 0x04, 0x30, 0x06,
        ];
        for _ in 0..2 {
            m.push(0x3a);
            m.push(entry.len() as u8);
            m.extend_from_slice(&entry);
        }
        m.extend_from_slice(&[0x40, 0x06, 0x4a, snapshot.len() as u8]);
        m.extend_from_slice(&snapshot);
        m.extend_from_slice(&[0x50, 0x00, 0x58, 0x00, 0x68, 0x00]);
        m
    }

    /// The hand decoder takes the usual encodings, and whatever it takes
    /// prost (the oracle) decodes to the same message: on etcd's own
    /// encoding, on prost's, and on every cut and every one-byte change of
    /// them.
    #[test]
    fn the_plain_decoder_agrees_with_prost() {
        let prost_one = encode(&Message {
            r#type: MSG_APP,
            to: 0x8e9e_05c5_2164_694d,
            from: 2,
            term: 300,
            entries: vec![
                Entry {
                    r#type: 0,
                    term: 3,
                    index: 1 << 40,
                    data: vec![7; 200],
                },
                Entry::default(),
            ],
            snapshot: Some(Snapshot {
                data: vec![1, 2],
                metadata: Some(SnapshotMetadata {
                    conf_state: Some(ConfState {
                        voters: vec![1, 2, 3],
                        ..ConfState::default()
                    }),
                    index: 9,
                    term: 2,
                }),
            }),
            reject: true,
            reject_hint: u64::MAX,
            context: b"ctx".to_vec(),
            ..Message::default()
        });
        let seeds = [gogo_bytes(), prost_one, Vec::new()];
        let mut taken = 0;
        for seed in &seeds {
            let want = decode_prost(seed).unwrap();
            assert_eq!(decode(seed).unwrap(), want);
            let mut variants = Vec::new();
            for cut in 0..seed.len() {
                variants.push(seed[..cut].to_vec());
            }
            for at in 0..seed.len() {
                for v in 0..=255u8 {
                    let mut b = seed.clone();
                    b[at] = v;
                    variants.push(b);
                }
            }
            for b in variants {
                let prost = decode_prost(&b);
                if let Some(m) = decode_plain(&b) {
                    taken += 1;
                    assert_eq!(Ok(&m), prost.as_ref(), "{b:02x?}");
                }
            }
        }
        assert!(decode_plain(&gogo_bytes()).is_some());
        assert!(taken > 10_000, "{taken}");
    }
}

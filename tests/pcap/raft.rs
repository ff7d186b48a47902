//! etcd's peer protocol decoded from real bytes: one fixture per Raft
//! message type that crossed the wire in captures/etcd-3node-leader-kill.pcapng
//! (tests/fixtures/raft/*.hex, each naming its frame), fed through the
//! HTTP/1.1 dissector as it meets them (mid-stream chunks of message and
//! msgappv2 streams, whole `POST /raft` segments), and both raftpb
//! encodings (every field present as etcd ≤ 3.6 writes, zero fields
//! omitted as newer releases do).

use std::sync::Arc;

use kinspect::event::EventKind;
use kinspect::proto::http1::Http1Dissector;
use kinspect::proto::raft::rafthttp::{Frame, StreamDecoder, StreamKind};
use kinspect::proto::raft::raftpb::{self, Message};
use kinspect::proto::raft::{MemberId, RaftEvent, Transport};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;
use prost::Message as _;

use crate::common;

const M1: u64 = 0x899267fbb0a59efd;
const M2: u64 = 0x5d773d020040d865;
const M3: u64 = 0x99a7e702eb2fd3f1;

#[derive(Default)]
struct Collect(Vec<(Direction, EventKind)>);

impl EventSink for Collect {
    fn emit(&mut self, _ts: Timestamp, dir: Direction, kind: EventKind) {
        self.0.push((dir, kind));
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/raft/{name}.hex",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let hex: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.trim().chars())
        .collect();
    hex::decode(hex).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn peer_conn() -> ConnInfo {
    ConnInfo {
        client: "127.0.0.1:40000".parse().unwrap(),
        server: "127.0.0.1:2380".parse().unwrap(),
        component: Component::EtcdPeer,
    }
}

/// Feeds `bytes` to a fresh dissector on the peer port in one direction,
/// in pieces of `step` bytes, and returns the Raft events.
fn raft_events(dir: Direction, bytes: &[u8], step: usize) -> Vec<RaftEvent> {
    let mut d = Http1Dissector::new(peer_conn(), Context::shared());
    let mut sink = Collect::default();
    for c in bytes.chunks(step) {
        d.data(Timestamp(1), dir, c, &mut sink);
    }
    d.end(Timestamp(2), &mut sink);
    sink.0
        .into_iter()
        .filter_map(|(_, k)| match k {
            EventKind::Raft(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The single raft_message of a fixture, checked identical in any split.
struct Seen {
    msg_type: String,
    from: Option<MemberId>,
    to: Option<MemberId>,
    term: u64,
    log_term: u64,
    index: u64,
    commit: u64,
    reject: bool,
    entries: usize,
    summaries: Vec<String>,
    transport: Transport,
    derived: bool,
}

fn one_message(name: &str, dir: Direction) -> Seen {
    let bytes = fixture(name);
    let whole = raft_events(dir, &bytes, bytes.len());
    for step in [1, 7] {
        assert_eq!(
            raft_events(dir, &bytes, step),
            whole,
            "{name}: split into {step}-byte pieces"
        );
    }
    let msgs: Vec<_> = whole
        .into_iter()
        .filter_map(|e| match e {
            RaftEvent::RaftMessage {
                msg_type,
                from,
                to,
                term,
                log_term,
                index,
                commit,
                reject,
                entries,
                entry_summaries,
                transport,
                derived,
                ..
            } => Some(Seen {
                msg_type,
                from,
                to,
                term,
                log_term,
                index,
                commit,
                reject,
                entries,
                summaries: entry_summaries,
                transport,
                derived,
            }),
            _ => None,
        })
        .collect();
    assert_eq!(msgs.len(), 1, "{name}: exactly one raft_message");
    let seen = msgs.into_iter().next().unwrap();
    protoc_agrees(name, &bytes, &seen);
    seen
}

/// raftpb.MessageType names by number (etcd's raft/raftpb/raft.proto).
const MESSAGE_TYPES: [&str; 19] = [
    "MsgHup",
    "MsgBeat",
    "MsgProp",
    "MsgApp",
    "MsgAppResp",
    "MsgVote",
    "MsgVoteResp",
    "MsgSnap",
    "MsgHeartbeat",
    "MsgHeartbeatResp",
    "MsgUnreachable",
    "MsgSnapStatus",
    "MsgCheckQuorum",
    "MsgTransferLeader",
    "MsgTimeoutNow",
    "MsgReadIndex",
    "MsgReadIndexResp",
    "MsgPreVote",
    "MsgPreVoteResp",
];

/// The raftpb.Message bytes inside a fixture: the body of a `POST /raft`,
/// the message after the 8-byte length of a message-stream chunk, or
/// after the tag and length of a msgappv2 tag-2 chunk
/// (etcd's server/etcdserver/api/rafthttp/msg_codec.go, msgappv2_codec.go).
fn message_bytes(fixture: &[u8], transport: &Transport) -> Vec<u8> {
    match transport {
        Transport::Post => {
            let at = fixture
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("headers end");
            fixture[at + 4..].to_vec()
        }
        Transport::StreamMessage => chunk_data(fixture)[8..].to_vec(),
        Transport::StreamMsgapp => chunk_data(fixture)[9..].to_vec(),
        other => panic!("no fixture travels by {other:?}"),
    }
}

/// The message's fields as `protoc --decode_raw` reads them (protobuf's
/// own decoder, no schema) agree with ours: type 1, to 2, from 3, term 4,
/// logTerm 5, index 6, entries 7, commit 8, reject 10 (raftpb.Message).
/// Skipped for frames we rebuild (msgappv2 tag 1 carries no Message).
fn protoc_agrees(name: &str, fixture: &[u8], m: &Seen) {
    if m.derived || !common::have_tool("protoc", "--version") {
        return;
    }
    use std::io::Write;
    let msg = message_bytes(fixture, &m.transport);
    let mut child = std::process::Command::new("protoc")
        .arg("--decode_raw")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("protoc runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&msg)
        .expect("write");
    let out = child.wait_with_output().expect("protoc");
    assert!(out.status.success(), "{name}: protoc --decode_raw failed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let top = |field: u32| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}: ")))
            .map_or(0, |v| v.parse().expect("number"))
    };
    let entries = text.lines().filter(|l| *l == "7 {").count();
    let who = |v: u64| (v != 0).then_some(MemberId(v));
    assert_eq!(
        m.msg_type,
        MESSAGE_TYPES[top(1) as usize],
        "{name}: protoc\n{text}"
    );
    assert_eq!(
        (m.to, m.from),
        (who(top(2)), who(top(3))),
        "{name}: protoc\n{text}"
    );
    assert_eq!(
        (m.term, m.log_term, m.index, m.commit, m.reject, m.entries),
        (top(4), top(5), top(6), top(8), top(10) == 1, entries),
        "{name}: protoc\n{text}"
    );
}

/// Every fixture is, byte for byte, the TCP payload tshark reads in the
/// frame its first line names (captures/etcd-3node-leader-kill.pcapng).
#[test]
fn every_fixture_is_the_tcp_payload_of_its_frame() {
    if !common::have_tool("tshark", "-v") {
        return;
    }
    let dir = format!("{}/tests/fixtures/raft", env!("CARGO_MANIFEST_DIR"));
    let mut frames = Vec::new();
    for e in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = e.expect("entry").path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let frame: u64 = first
            .split("frame ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no frame number in {first:?}"));
        frames.push((frame, name));
    }
    assert_eq!(frames.len(), 16);
    let cap = format!(
        "{}/captures/etcd-3node-leader-kill.pcapng",
        env!("CARGO_MANIFEST_DIR")
    );
    let filter = frames
        .iter()
        .map(|(f, _)| format!("frame.number=={f}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r", &cap, "-Y", &filter, "-T", "fields"])
        .args(["-e", "frame.number", "-e", "tcp.payload"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success());
    let payloads: std::collections::BTreeMap<u64, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (n, p) = l.split_once('\t')?;
            Some((n.parse().ok()?, p.replace(':', "")))
        })
        .collect();
    for (frame, name) in &frames {
        assert_eq!(
            payloads.get(frame).map(String::as_str),
            Some(hex::encode(fixture(name)).as_str()),
            "{name}: frame {frame}"
        );
    }
}

fn id(v: u64) -> Option<MemberId> {
    Some(MemberId(v))
}

#[test]
fn msg_heartbeat_from_the_term_2_leader() {
    let m = one_message("msg_heartbeat", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgHeartbeat");
    assert_eq!((m.from, m.to), (id(M2), id(M1)));
    assert_eq!((m.term, m.commit), (2, 8));
    assert_eq!(m.transport, Transport::StreamMessage);
}

#[test]
fn msg_heartbeat_resp() {
    let m = one_message("msg_heartbeat_resp", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgHeartbeatResp");
    assert_eq!((m.from, m.to, m.term), (id(M3), id(M2), 2));
}

#[test]
fn msg_app_entries_only_frame_joined_mid_stream() {
    let m = one_message("msgapp_entries", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgApp");
    assert_eq!(m.transport, Transport::StreamMsgapp);
    assert!(m.derived, "tag 1 frames are rebuilt, not decoded");
    // Joined mid-stream: sender/receiver unknown, position from the entry.
    assert_eq!((m.from, m.to), (None, None));
    assert_eq!((m.term, m.log_term, m.index, m.entries), (2, 2, 8, 1));
    assert!(m.summaries[0].starts_with("#9 "), "{:?}", m.summaries);
}

#[test]
fn msg_app_full_frame_from_the_new_leader() {
    let m = one_message("msgapp_full", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgApp");
    assert!(!m.derived);
    assert_eq!((m.from, m.to), (id(M1), id(M3)));
    assert_eq!((m.term, m.log_term, m.index), (3, 2, 14));
    assert_eq!(m.entries, 1);
    // The new leader's first entry is the empty no-op of its term.
    assert_eq!(m.summaries, vec!["#15 empty".to_string()]);
}

#[test]
fn msg_app_resp() {
    let m = one_message("msg_app_resp", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgAppResp");
    assert_eq!((m.from, m.to, m.term, m.index), (id(M1), id(M2), 2, 9));
    assert!(!m.reject);
}

#[test]
fn msg_prop_carries_a_client_write() {
    let m = one_message("msg_prop", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgProp");
    assert_eq!((m.from, m.to, m.term), (id(M3), id(M2), 0));
    assert_eq!(m.entries, 1);
}

#[test]
fn msg_read_index_and_resp() {
    let m = one_message("msg_read_index", Direction::ServerToClient);
    assert_eq!(m.msg_type, "MsgReadIndex");
    assert_eq!((m.from, m.to), (id(M1), id(M2)));
    let r = one_message("msg_read_index_resp", Direction::ServerToClient);
    assert_eq!(r.msg_type, "MsgReadIndexResp");
    assert_eq!((r.from, r.to, r.term, r.index), (id(M2), id(M1), 2, 14));
}

#[test]
fn msg_vote_and_grant_match_the_etcd_logs() {
    // m3's log: cast MsgVote for 899267fbb0a59efd [logterm: 2, index: 14] at term 3
    let v = one_message("msg_vote", Direction::ServerToClient);
    assert_eq!(v.msg_type, "MsgVote");
    assert_eq!((v.from, v.to), (id(M1), id(M3)));
    assert_eq!((v.term, v.log_term, v.index), (3, 2, 14));
    let r = one_message("msg_vote_resp", Direction::ServerToClient);
    assert_eq!(r.msg_type, "MsgVoteResp");
    assert_eq!((r.from, r.to, r.term), (id(M3), id(M1), 3));
    assert!(!r.reject, "m3 granted its vote");
}

#[test]
fn post_raft_requests() {
    let cases = [
        ("post_msg_heartbeat", "MsgHeartbeat", M1, M2, 3),
        ("post_msg_heartbeat_resp", "MsgHeartbeatResp", M2, M1, 3),
        ("post_msg_app_resp", "MsgAppResp", M2, M1, 3),
        ("post_msg_prop", "MsgProp", M2, M1, 0),
    ];
    for (name, t, from, to, term) in cases {
        let m = one_message(name, Direction::ClientToServer);
        assert_eq!(m.msg_type, t, "{name}");
        assert_eq!(m.transport, Transport::Post, "{name}");
        assert_eq!((m.from, m.to, m.term), (id(from), id(to), term), "{name}");
    }
}

#[test]
fn link_heartbeats_are_not_raft_heartbeats() {
    for (name, transport) in [
        ("link_heartbeat_msgapp", Transport::StreamMsgapp),
        ("link_heartbeat_message", Transport::StreamMessage),
    ] {
        let ev = raft_events(Direction::ServerToClient, &fixture(name), 3);
        assert!(
            ev.iter()
                .all(|e| !matches!(e, RaftEvent::RaftMessage { .. })),
            "{name}: {ev:?}"
        );
        assert!(
            ev.iter().any(|e| matches!(e,
                RaftEvent::RaftLinkHeartbeat { transport: t, .. } if *t == transport)),
            "{name}: {ev:?}"
        );
    }
}

/// The chunk data of a one-chunk fixture (`hex CRLF data CRLF`).
fn chunk_data(b: &[u8]) -> &[u8] {
    let nl = b.iter().position(|&c| c == b'\n').unwrap();
    let size = usize::from_str_radix(std::str::from_utf8(&b[..nl - 1]).unwrap(), 16).unwrap();
    &b[nl + 1..nl + 1 + size]
}

#[test]
fn both_encodings_decode_alike() {
    // etcd 3.4 (gogoproto) writes every field, zeros included.
    let gogo = chunk_data(&fixture("msg_vote"))[8..].to_vec();
    let full = Message::decode(gogo.as_slice()).unwrap();
    assert_eq!(full.r#type, raftpb::MSG_VOTE);
    assert!(full.snapshot.is_some(), "3.4 writes an empty snapshot");
    // Newer etcd omits zero fields: prost's encoding does the same.
    let mut lean = full.clone();
    lean.snapshot = None;
    let omitted = lean.encode_to_vec();
    assert!(omitted.len() < gogo.len());
    assert!(
        !omitted.windows(2).any(|w| w == [0x50, 0x00]),
        "reject=false is omitted"
    );
    let back = Message::decode(omitted.as_slice()).unwrap();
    assert_eq!(
        (
            back.r#type,
            back.from,
            back.to,
            back.term,
            back.log_term,
            back.index
        ),
        (
            full.r#type,
            full.from,
            full.to,
            full.term,
            full.log_term,
            full.index
        )
    );
    // Hand-built, zero fields omitted: type=MsgVoteResp(6), to, from, term 3, reject.
    let mut b = vec![0x08, 0x06, 0x10];
    push_varint(&mut b, M1);
    b.push(0x18);
    push_varint(&mut b, M3);
    b.extend_from_slice(&[0x20, 0x03, 0x50, 0x01]);
    let m = Message::decode(b.as_slice()).unwrap();
    assert_eq!(
        (m.r#type, m.to, m.from, m.term, m.reject),
        (6, M1, M3, 3, true)
    );
    assert_eq!((m.log_term, m.index, m.commit), (0, 0, 0));
}

fn push_varint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

#[test]
fn stream_decoder_on_real_frames_in_any_split() {
    // Two real message-stream frames back to back, as etcd batches them.
    let mut body = chunk_data(&fixture("msg_vote")).to_vec();
    body.extend_from_slice(chunk_data(&fixture("link_heartbeat_message")));
    body.extend_from_slice(chunk_data(&fixture("msg_vote_resp")));
    for step in [1, 2, 5, 13, body.len()] {
        let mut d = StreamDecoder::new(StreamKind::Message);
        let mut out = Vec::new();
        for c in body.chunks(step) {
            d.push(c, &mut out);
        }
        let kinds: Vec<String> = out
            .iter()
            .map(|f| match f {
                Ok(Frame::Message { message, .. }) => raftpb::message_type_name(message.r#type),
                Ok(Frame::LinkHeartbeat) => "link".to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["MsgVote", "link", "MsgVoteResp"], "split {step}");
    }
}

#[test]
fn garbage_between_chunks_is_skipped_and_decoding_resumes() {
    // A stream joined in the middle of a chunk: the tail of one frame,
    // then whole chunks.
    let vote = fixture("msg_vote");
    let mut bytes = vote[20..].to_vec();
    bytes.extend_from_slice(&fixture("msg_vote_resp"));
    let ev = raft_events(Direction::ServerToClient, &bytes, 9);
    let types: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            RaftEvent::RaftMessage { msg_type, .. } => Some(msg_type.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(types, ["MsgVoteResp"]);
    let _ = Arc::new(());
}

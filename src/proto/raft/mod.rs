//! etcd's peer protocol on 2380: rafthttp framing (`POST /raft`, message and
//! msgappv2 streams, the head of `/raft/snapshot`), raftpb messages, and the
//! `/members` list that names members. The HTTP/1.1 dissector
//! ([`crate::proto::http1`]) finds the bodies and hands them to a
//! [`PeerBody`]; this module owns everything inside them and the
//! [`RaftEvent`]s they produce.

pub mod rafthttp;
pub mod raftpb;

use std::fmt;

use prost::Message as _;
use serde::{Serialize, Serializer};

use crate::event::EventKind;
use crate::proto::{Context, Direction, EventSink};
use crate::timestamp::Timestamp;
use rafthttp::{Frame, FrameError, StreamDecoder, StreamKind};
use raftpb::Message;

/// Largest `POST /raft` or `/members` body buffered (one message).
const MAX_WHOLE_BODY: usize = rafthttp::MAX_FRAME;

/// How many entries of a message are described in `entry_summaries`.
const SUMMARISED_ENTRIES: usize = 3;

/// An etcd member id, shown as 16 hex digits like etcd does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(pub u64);

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl MemberId {
    /// None for 0 (etcd never uses 0 as a member id: it means unknown).
    pub fn known(id: u64) -> Option<MemberId> {
        (id != 0).then_some(MemberId(id))
    }

    /// Parses etcd's hex form (`8e9e05c52164694d`).
    pub fn parse_hex(s: &str) -> Option<MemberId> {
        let s = s.trim();
        if s.is_empty() || s.len() > 16 {
            return None;
        }
        u64::from_str_radix(s, 16).ok().map(MemberId)
    }
}

/// How a Raft message crossed the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// `POST /raft`: one message per request (the pipeline).
    Post,
    /// `GET /raft/stream/message/<id>`.
    StreamMessage,
    /// `GET /raft/stream/msgapp/<id>` (msgappv2).
    StreamMsgapp,
    /// `POST /raft/snapshot`.
    Snapshot,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Post => "post",
            Transport::StreamMessage => "stream_message",
            Transport::StreamMsgapp => "stream_msgapp",
            Transport::Snapshot => "snapshot",
        }
    }
}

/// Events of the Raft decoder (`type` = `raft_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RaftEvent {
    /// One raftpb.Message that crossed the wire.
    RaftMessage {
        /// `MsgApp`, `MsgHeartbeat`, `MsgVote` ...
        msg_type: String,
        /// None when unknown (a msgappv2 entries-only frame on a stream
        /// joined mid-way: the sender is the stream's listener).
        from: Option<MemberId>,
        to: Option<MemberId>,
        term: u64,
        log_term: u64,
        index: u64,
        commit: u64,
        reject: bool,
        reject_hint: u64,
        /// Number of log entries carried.
        entries: usize,
        /// The first few entries: `#15 Put /registry/...`.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        entry_summaries: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        snapshot_index: Option<u64>,
        transport: Transport,
        /// A msgappv2 entries-only frame: type, term, index, sender and
        /// receiver are rebuilt from the stream's earlier frames (or from
        /// the entries themselves when the stream was joined mid-way).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        derived: bool,
    },
    /// etcd's link-layer keep-alive on a stream (msgappv2 tag 0, or a
    /// MsgHeartbeat without sender/receiver on a message stream); not a
    /// Raft heartbeat.
    RaftLinkHeartbeat {
        transport: Transport,
        #[serde(skip_serializing_if = "Option::is_none")]
        sender: Option<MemberId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        receiver: Option<MemberId>,
    },
    /// A member seen with its name or peer URLs.
    RaftPeer {
        id: MemberId,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        peer_urls: Vec<String>,
        /// `x-peerurls` (a stream or pipeline request's headers) or
        /// `members` (a `/members` response).
        source: &'static str,
    },
    /// A peer stream started: the listener (`sender`) sends, the dialer
    /// (`receiver`, the id in the URL) receives.
    RaftStream {
        transport: Transport,
        #[serde(skip_serializing_if = "Option::is_none")]
        sender: Option<MemberId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        receiver: Option<MemberId>,
        /// The capture began inside the stream (no GET seen).
        joined_mid_stream: bool,
    },
    /// Bytes that did not decode (or were too large to buffer).
    RaftDecodeError { transport: Transport, error: String },
}

impl RaftEvent {
    pub fn name(&self) -> &'static str {
        match self {
            RaftEvent::RaftMessage { .. } => "raft_message",
            RaftEvent::RaftLinkHeartbeat { .. } => "raft_link_heartbeat",
            RaftEvent::RaftPeer { .. } => "raft_peer",
            RaftEvent::RaftStream { .. } => "raft_stream",
            RaftEvent::RaftDecodeError { .. } => "raft_decode_error",
        }
    }

    pub fn summary(&self) -> String {
        let opt = |m: &Option<MemberId>| m.map(|m| m.to_string()).unwrap_or_else(|| "?".into());
        match self {
            RaftEvent::RaftMessage {
                msg_type,
                from,
                to,
                term,
                log_term,
                index,
                commit,
                reject,
                reject_hint,
                entries,
                entry_summaries,
                transport,
                ..
            } => {
                let mut s = format!(
                    "{msg_type} {}→{} term={term} log_term={log_term} index={index} commit={commit}",
                    opt(from),
                    opt(to)
                );
                if *reject {
                    s.push_str(&format!(" REJECT hint={reject_hint}"));
                }
                if *entries > 0 {
                    s.push_str(&format!(" entries={entries}"));
                    if !entry_summaries.is_empty() {
                        s.push_str(&format!(" [{}]", entry_summaries.join("; ")));
                    }
                }
                s.push_str(&format!(" ({})", transport.name()));
                s
            }
            RaftEvent::RaftLinkHeartbeat {
                transport,
                sender,
                receiver,
            } => format!(
                "link heartbeat {}→{} ({})",
                opt(sender),
                opt(receiver),
                transport.name()
            ),
            RaftEvent::RaftPeer {
                id,
                name,
                peer_urls,
                source,
            } => format!(
                "member {id}{} {} (from {source})",
                name.as_ref()
                    .map(|n| format!(" name={n}"))
                    .unwrap_or_default(),
                peer_urls.join(",")
            ),
            RaftEvent::RaftStream {
                transport,
                sender,
                receiver,
                joined_mid_stream,
            } => format!(
                "{} stream {}→{}{}",
                transport.name(),
                opt(sender),
                opt(receiver),
                if *joined_mid_stream {
                    " (joined mid-stream)"
                } else {
                    ""
                }
            ),
            RaftEvent::RaftDecodeError { transport, error } => {
                format!("{}: {error}", transport.name())
            }
        }
    }
}

/// The `raft_message` event for a decoded message.
pub fn message_event(m: &Message, transport: Transport, derived: bool, ctx: &Context) -> RaftEvent {
    RaftEvent::RaftMessage {
        msg_type: raftpb::message_type_name(m.r#type),
        from: MemberId::known(m.from),
        to: MemberId::known(m.to),
        term: m.term,
        log_term: m.log_term,
        index: m.index,
        commit: m.commit,
        reject: m.reject,
        reject_hint: m.reject_hint,
        entries: m.entries.len(),
        entry_summaries: m
            .entries
            .iter()
            .take(SUMMARISED_ENTRIES)
            .filter(|e| ctx.wants.raft_entries || may_name_a_member(e))
            .map(|e| describe_entry(e, ctx))
            .collect(),
        snapshot_index: m
            .snapshot
            .as_ref()
            .and_then(|s| s.metadata.as_ref())
            .map(|md| md.index)
            .filter(|&i| i > 0),
        transport,
        derived,
    }
}

/// True when an entry's summary may name a member (see
/// [`crate::proto::Wants::raft_entries`]): a normal entry whose data holds
/// `/members/`, or a backslash. A summary shows the entry's keys, values
/// and the names in them as their bytes are in the data (protobuf and CBOR
/// strings are whole; non-printable bytes are shown as `\xNN`), so
/// `/members/` in a summary comes from those bytes in the data, or from a
/// JSON escape (`\/`, `\u002f`), which needs a backslash.
fn may_name_a_member(e: &raftpb::Entry) -> bool {
    const NEEDLE: &[u8] = b"/members/";
    e.r#type == 0 && (e.data.contains(&b'\\') || e.data.windows(NEEDLE.len()).any(|w| w == NEEDLE))
}

/// One line for a log entry: `#15 Put /registry/...`, `#3 ConfChange
/// AddNode 8e9e05c52164694d`, `#14 empty`.
pub fn describe_entry(e: &raftpb::Entry, ctx: &Context) -> String {
    let what = match e.r#type {
        0 if e.data.is_empty() => "empty".to_string(),
        0 => crate::proto::etcd_rpc::describe_internal_raft_request(&e.data, ctx)
            .unwrap_or_else(|| format!("normal {} bytes", e.data.len())),
        1 => match raftpb::ConfChange::decode(e.data.as_slice()) {
            Ok(cc) => format!(
                "ConfChange {} {}",
                raftpb::conf_change_type_name(cc.r#type),
                MemberId(cc.node_id)
            ),
            Err(_) => format!("ConfChange {} bytes", e.data.len()),
        },
        2 => format!("ConfChangeV2 {} bytes", e.data.len()),
        t => format!("type {t}, {} bytes", e.data.len()),
    };
    format!("#{} {what}", e.index)
}

/// The `raft_peer` event for a request's `X-Server-From` / `X-PeerURLs`.
pub fn peer_from_headers(server_from: &str, peer_urls: Option<&str>) -> Option<RaftEvent> {
    let id = MemberId::parse_hex(server_from)?;
    Some(RaftEvent::RaftPeer {
        id,
        name: None,
        peer_urls: peer_urls
            .map(|u| {
                u.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        source: "x-peerurls",
    })
}

/// What an HTTP body on a peer connection holds, and its decoder.
#[derive(Debug)]
enum BodyDecoder {
    /// Collected whole (capped at [`MAX_WHOLE_BODY`]), decoded at the end.
    Whole {
        buf: Vec<u8>,
        overflow: bool,
    },
    Stream(StreamDecoder),
    /// `/raft/snapshot`: the first message only; the database that follows
    /// is skipped.
    SnapshotHead {
        dec: StreamDecoder,
        done: bool,
    },
    Members {
        buf: Vec<u8>,
        overflow: bool,
    },
}

/// The decoder for one HTTP body on etcd's peer port.
#[derive(Debug)]
pub struct PeerBody {
    transport: Transport,
    decoder: BodyDecoder,
    /// Set for streams: the listener's id (from the request's `X-Raft-To`).
    sender: Option<u64>,
    /// Set for streams: the dialer's id (in the URL).
    receiver: Option<u64>,
    frames: Vec<Result<Frame, FrameError>>,
}

impl PeerBody {
    /// For a request body: `POST /raft` and `POST /raft/snapshot`.
    pub fn for_request(method: &str, path: &str) -> Option<PeerBody> {
        let path = path.split('?').next().unwrap_or("");
        if method != "POST" {
            return None;
        }
        let (transport, decoder) = match path {
            "/raft" => (
                Transport::Post,
                BodyDecoder::Whole {
                    buf: Vec::new(),
                    overflow: false,
                },
            ),
            "/raft/snapshot" => (
                Transport::Snapshot,
                BodyDecoder::SnapshotHead {
                    dec: StreamDecoder::new(StreamKind::Message),
                    done: false,
                },
            ),
            _ => return None,
        };
        Some(PeerBody {
            transport,
            decoder,
            sender: None,
            receiver: None,
            frames: Vec::new(),
        })
    }

    /// For a response body: the two stream kinds (2xx to `GET
    /// /raft/stream/{message,msgapp}/<dialer id>`) and `/members`.
    /// `raft_to` is the request's `X-Raft-To` (the listener, i.e. sender).
    pub fn for_response(
        method: &str,
        path: &str,
        status: u16,
        raft_to: Option<&str>,
    ) -> Option<PeerBody> {
        if method != "GET" || !(200..300).contains(&status) {
            return None;
        }
        let path = path.split('?').next().unwrap_or("");
        let (transport, decoder) = if let Some(id) = path.strip_prefix("/raft/stream/message/") {
            let mut b = PeerBody::stream(StreamKind::Message);
            b.receiver = MemberId::parse_hex(id).map(|m| m.0);
            return Some(b.with_sender(raft_to));
        } else if let Some(id) = path.strip_prefix("/raft/stream/msgapp/") {
            let mut b = PeerBody::stream(StreamKind::MsgAppV2);
            b.receiver = MemberId::parse_hex(id).map(|m| m.0);
            return Some(b.with_sender(raft_to));
        } else if path == "/members" {
            (
                Transport::Post,
                BodyDecoder::Members {
                    buf: Vec::new(),
                    overflow: false,
                },
            )
        } else {
            return None;
        };
        Some(PeerBody {
            transport,
            decoder,
            sender: None,
            receiver: None,
            frames: Vec::new(),
        })
    }

    /// A stream body joined mid-way, its kind guessed from the bytes.
    pub fn stream(kind: StreamKind) -> PeerBody {
        PeerBody {
            transport: match kind {
                StreamKind::Message => Transport::StreamMessage,
                StreamKind::MsgAppV2 => Transport::StreamMsgapp,
            },
            decoder: BodyDecoder::Stream(StreamDecoder::new(kind)),
            sender: None,
            receiver: None,
            frames: Vec::new(),
        }
    }

    fn with_sender(mut self, raft_to: Option<&str>) -> PeerBody {
        self.sender = raft_to.and_then(MemberId::parse_hex).map(|m| m.0);
        if let BodyDecoder::Stream(d) = &mut self.decoder {
            d.from = self.sender.unwrap_or(0);
            d.to = self.receiver.unwrap_or(0);
        }
        self
    }

    /// The `raft_stream` event announcing this body, for streams.
    pub fn stream_event(&self, joined_mid_stream: bool) -> Option<RaftEvent> {
        match self.decoder {
            BodyDecoder::Stream(_) => Some(RaftEvent::RaftStream {
                transport: self.transport,
                sender: self.sender.map(MemberId),
                receiver: self.receiver.map(MemberId),
                joined_mid_stream,
            }),
            _ => None,
        }
    }

    /// Body bytes, in order.
    pub fn data(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        bytes: &[u8],
        ctx: &Context,
        sink: &mut dyn EventSink,
    ) {
        match &mut self.decoder {
            BodyDecoder::Whole { buf, overflow } | BodyDecoder::Members { buf, overflow } => {
                if buf.len() + bytes.len() > MAX_WHOLE_BODY {
                    *overflow = true;
                    buf.clear();
                } else if !*overflow {
                    buf.extend_from_slice(bytes);
                }
            }
            BodyDecoder::Stream(dec) => dec.push(bytes, &mut self.frames),
            BodyDecoder::SnapshotHead { dec, done } => {
                if !*done {
                    dec.push(bytes, &mut self.frames);
                    if !self.frames.is_empty() {
                        *done = true;
                    }
                }
            }
        }
        self.flush(ts, dir, ctx, sink);
    }

    /// An HTTP chunk starts: a likely frame boundary.
    pub fn boundary(&mut self) {
        if let BodyDecoder::Stream(d) = &mut self.decoder {
            d.boundary();
        }
    }

    /// Body bytes were lost.
    pub fn lost(&mut self) {
        match &mut self.decoder {
            BodyDecoder::Whole { overflow, .. } | BodyDecoder::Members { overflow, .. } => {
                *overflow = true
            }
            BodyDecoder::Stream(d) => d.lost(),
            BodyDecoder::SnapshotHead { dec, .. } => dec.lost(),
        }
    }

    /// The body ended (`complete` false: the connection ended inside it).
    pub fn finish(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        complete: bool,
        ctx: &Context,
        sink: &mut dyn EventSink,
    ) {
        let transport = self.transport;
        match &mut self.decoder {
            BodyDecoder::Whole { buf, overflow } => {
                if *overflow {
                    emit(
                        ts,
                        dir,
                        sink,
                        RaftEvent::RaftDecodeError {
                            transport,
                            error: format!(
                                "body larger than {MAX_WHOLE_BODY} bytes or bytes lost: not decoded"
                            ),
                        },
                    );
                } else if complete || !buf.is_empty() {
                    let ev = match rafthttp::decode_message(buf) {
                        Ok(m) => message_event(&m, transport, false, ctx),
                        Err(e) => RaftEvent::RaftDecodeError {
                            transport,
                            error: e.to_string(),
                        },
                    };
                    emit(ts, dir, sink, ev);
                }
                buf.clear();
            }
            BodyDecoder::Members { buf, overflow } => {
                if !*overflow && complete {
                    for ev in members_from_json(buf) {
                        emit(ts, dir, sink, ev);
                    }
                }
                buf.clear();
            }
            BodyDecoder::Stream(_) | BodyDecoder::SnapshotHead { .. } => {}
        }
    }

    fn flush(&mut self, ts: Timestamp, dir: Direction, ctx: &Context, sink: &mut dyn EventSink) {
        let transport = self.transport;
        for f in self.frames.drain(..) {
            let ev = match f {
                Ok(Frame::Message {
                    message, derived, ..
                }) => message_event(&message, transport, derived, ctx),
                Ok(Frame::LinkHeartbeat) => {
                    let (s, r) = match &self.decoder {
                        BodyDecoder::Stream(d) => (d.from, d.to),
                        _ => (0, 0),
                    };
                    let known = |v: u64| (v != 0).then_some(MemberId(v));
                    RaftEvent::RaftLinkHeartbeat {
                        transport,
                        sender: known(s).or(self.sender.map(MemberId)),
                        receiver: known(r).or(self.receiver.map(MemberId)),
                    }
                }
                Ok(Frame::Oversized { len }) => RaftEvent::RaftDecodeError {
                    transport,
                    error: format!(
                        "frame of {len} bytes skipped (over the {} byte cap)",
                        rafthttp::MAX_FRAME
                    ),
                },
                Err(e) => RaftEvent::RaftDecodeError {
                    transport,
                    error: e.to_string(),
                },
            };
            sink.emit(ts, dir, EventKind::Raft(ev));
        }
    }
}

fn emit(ts: Timestamp, dir: Direction, sink: &mut dyn EventSink, ev: RaftEvent) {
    sink.emit(ts, dir, EventKind::Raft(ev));
}

/// `raft_peer` events from a `/members` JSON body: a list (or an object
/// with `members`) of `{id, name, peerURLs}`; ids as numbers or hex.
pub fn members_from_json(body: &[u8]) -> Vec<RaftEvent> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let list = match &v {
        serde_json::Value::Array(a) => a.as_slice(),
        serde_json::Value::Object(o) => match o.get("members") {
            Some(serde_json::Value::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    list.iter()
        .filter_map(|m| {
            let id = match m.get("id")? {
                serde_json::Value::Number(n) => n.as_u64().map(MemberId)?,
                serde_json::Value::String(s) => MemberId::parse_hex(s)?,
                _ => return None,
            };
            let name = m
                .get("name")
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            let peer_urls = m
                .get("peerURLs")
                .and_then(|u| u.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Some(RaftEvent::RaftPeer {
                id,
                name,
                peer_urls,
                source: "members",
            })
        })
        .collect()
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

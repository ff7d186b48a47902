//! HTTP/2: preface and h2c upgrade, frames, HPACK (loona-hpack) with one
//! dynamic table per direction, streams; gRPC bodies go to
//! [`crate::proto::grpc`].
//!
//! This module owns the HTTP/2 dissector of a connection: it cuts each
//! direction into frames ([`frame`]), decodes header blocks ([`hpack`]),
//! follows stream lifecycles (open, half-closed, closed by END_STREAM or
//! RST_STREAM), counts frames per type (flow control is not followed),
//! and for gRPC streams reassembles messages, pairs calls with their
//! status and hands each message to [`crate::proto::etcd_rpc::decode`].
//! Connections joined mid-stream resynchronise on frame boundaries;
//! header fields that referenced unseen table entries are marked unknown.

pub mod frame;
pub mod hpack;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use self::frame::{
    FLAG_ACK, FLAG_END_HEADERS, FLAG_END_STREAM, FLAG_PADDED, FLAG_PRIORITY, FrameHeader,
    FrameReader, FrameType, Piece,
};
use self::hpack::{HeaderBlock, HpackDecoder};
use super::grpc::{GrpcEvent, MessageReader};
use super::{Component, ConnInfo, Context, Direction, EventSink, Protocol};
use crate::event::EventKind;
use crate::timestamp::Timestamp;

/// Largest header block (HEADERS + CONTINUATIONs) assembled (256 KiB);
/// beyond it the block is dropped and that direction's HPACK table is
/// treated as unknown. Bounds the per-direction header buffer.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// Streams tracked at once per connection (1024); more are counted, not
/// followed. With [`grpc::MAX_MESSAGE`](super::grpc::MAX_MESSAGE) per
/// direction this bounds memory per connection.
pub const MAX_STREAMS: usize = 1024;

/// gRPC message bytes kept at once per connection, all streams together
/// (16 MiB); messages beyond it are counted and skipped.
pub const MAX_GRPC_BUFFERED: usize = 16 << 20;

/// Longest GOAWAY debug text kept in an event (bytes).
const MAX_DEBUG_DATA: usize = 256;

/// Fields kept per header block in events (64) and bytes kept per value
/// (1 KiB; longer values are cut and marked).
const MAX_EVENT_FIELDS: usize = 64;
const MAX_EVENT_VALUE: usize = 1024;

/// Header fields whose values are credentials: shown as
/// `<redacted: N bytes>` unless `--show-secrets`.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A SETTINGS parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub name: String,
    pub value: u32,
}

/// Frames seen per type in one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FrameCounts {
    pub data: u64,
    pub headers: u64,
    pub priority: u64,
    pub rst_stream: u64,
    pub settings: u64,
    pub push_promise: u64,
    pub ping: u64,
    pub goaway: u64,
    pub window_update: u64,
    pub continuation: u64,
    pub unknown: u64,
}

impl FrameCounts {
    fn add(&mut self, t: FrameType) {
        let c = match t {
            FrameType::Data => &mut self.data,
            FrameType::Headers => &mut self.headers,
            FrameType::Priority => &mut self.priority,
            FrameType::RstStream => &mut self.rst_stream,
            FrameType::Settings => &mut self.settings,
            FrameType::PushPromise => &mut self.push_promise,
            FrameType::Ping => &mut self.ping,
            FrameType::Goaway => &mut self.goaway,
            FrameType::WindowUpdate => &mut self.window_update,
            FrameType::Continuation => &mut self.continuation,
            FrameType::Unknown(_) => &mut self.unknown,
        };
        *c += 1;
    }

    pub fn total(&self) -> u64 {
        self.data
            + self.headers
            + self.priority
            + self.rst_stream
            + self.settings
            + self.push_promise
            + self.ping
            + self.goaway
            + self.window_update
            + self.continuation
            + self.unknown
    }
}

/// Events of the HTTP/2 dissector (`type` = `http2_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Http2Event {
    /// Request headers of a stream.
    Http2Request {
        stream_id: u32,
        method: Option<String>,
        path: Option<String>,
        authority: Option<String>,
        scheme: Option<String>,
        content_type: Option<String>,
        user_agent: Option<String>,
        /// Every field of the block in wire order, pseudo-headers
        /// included (at most 64; credentials redacted).
        headers: Vec<(String, String)>,
        /// Fields that referenced dynamic-table entries never seen.
        unknown_headers: u32,
    },
    /// Response headers of a stream, paired with its request.
    Http2Response {
        stream_id: u32,
        status: Option<u16>,
        content_type: Option<String>,
        /// The request's method and path (None if not seen).
        method: Option<String>,
        path: Option<String>,
        /// Request headers to response headers.
        latency_ms: Option<f64>,
        /// Every field of the block in wire order (as in `http2_request`).
        headers: Vec<(String, String)>,
        unknown_headers: u32,
    },
    /// Trailers of a stream (for gRPC: grpc-status and grpc-message).
    Http2Trailers {
        stream_id: u32,
        /// `c2s` or `s2c`: which side sent them.
        from: &'static str,
        headers: Vec<(String, String)>,
        unknown_headers: u32,
    },
    /// A non-gRPC stream ended (gRPC streams end with `grpc_call`).
    Http2StreamEnd {
        stream_id: u32,
        method: Option<String>,
        path: Option<String>,
        status: Option<u16>,
        request_bytes: u64,
        response_bytes: u64,
        /// `end_stream`, `rst_stream` or `connection_end`.
        ended_by: &'static str,
    },
    Http2RstStream {
        stream_id: u32,
        error_code: u32,
        error: &'static str,
        path: Option<String>,
    },
    Http2Goaway {
        last_stream_id: u32,
        error_code: u32,
        error: &'static str,
        debug_data: String,
    },
    /// A header block passed one of kinspect's HPACK bounds (see
    /// [`hpack`]): `limit` is `header_list_size` (the block decoded to
    /// more than [`hpack::MAX_DECODED_BLOCK`]; `dropped_fields` were not
    /// kept) or `table_size` (a dynamic table size update above the peer's
    /// SETTINGS_HEADER_TABLE_SIZE, or above [`hpack::MAX_TABLE_SIZE`]:
    /// clamped to `allowed`). Decoding goes on.
    Http2Limit {
        stream_id: u32,
        /// `c2s` or `s2c`: which side sent the block.
        from: &'static str,
        limit: &'static str,
        /// The decoded header list size, or the table size asked for.
        value: u64,
        /// The bound that applied.
        allowed: u64,
        /// `table_size` only: true when `value` is above what the peer
        /// announced in SETTINGS (a protocol violation), false when only
        /// above kinspect's own limit.
        above_settings: bool,
        dropped_fields: u32,
    },
    /// A SETTINGS frame (not an acknowledgement).
    Http2Settings { settings: Vec<Setting> },
    /// Lost frame boundaries found again (capture started mid-connection
    /// or lost bytes).
    Http2Resync { skipped_bytes: u64 },
    /// At the end of the connection: frames per type and direction.
    Http2Frames {
        client: FrameCounts,
        server: FrameCounts,
        streams: u64,
        /// Streams not followed because [`MAX_STREAMS`] were open.
        untracked_streams: u64,
    },
}

impl Http2Event {
    pub fn name(&self) -> &'static str {
        match self {
            Http2Event::Http2Request { .. } => "http2_request",
            Http2Event::Http2Response { .. } => "http2_response",
            Http2Event::Http2Trailers { .. } => "http2_trailers",
            Http2Event::Http2StreamEnd { .. } => "http2_stream_end",
            Http2Event::Http2RstStream { .. } => "http2_rst_stream",
            Http2Event::Http2Goaway { .. } => "http2_goaway",
            Http2Event::Http2Limit { .. } => "http2_limit",
            Http2Event::Http2Settings { .. } => "http2_settings",
            Http2Event::Http2Resync { .. } => "http2_resync",
            Http2Event::Http2Frames { .. } => "http2_frames",
        }
    }

    pub fn summary(&self) -> String {
        fn s(o: &Option<String>) -> &str {
            o.as_deref().unwrap_or("?")
        }
        match self {
            Http2Event::Http2Request {
                stream_id,
                method,
                path,
                authority,
                content_type,
                unknown_headers,
                ..
            } => {
                let unk = if *unknown_headers > 0 {
                    format!(" ({unknown_headers} unknown headers)")
                } else {
                    String::new()
                };
                format!(
                    "stream {stream_id} {} {} host {} type {}{unk}",
                    s(method),
                    s(path),
                    s(authority),
                    s(content_type)
                )
            }
            Http2Event::Http2Response {
                stream_id,
                status,
                content_type,
                method,
                path,
                latency_ms,
                ..
            } => {
                let st = status.map_or("?".to_string(), |v| v.to_string());
                let lat = latency_ms.map_or(String::new(), |l| format!(" {l:.3} ms"));
                format!(
                    "stream {stream_id} {st} {} for {} {}{lat}",
                    s(content_type),
                    s(method),
                    s(path)
                )
            }
            Http2Event::Http2Trailers {
                stream_id,
                from,
                headers,
                ..
            } => {
                let fields: Vec<String> = headers.iter().map(|(n, v)| format!("{n}={v}")).collect();
                format!("stream {stream_id} ({from}) {}", fields.join(" "))
            }
            Http2Event::Http2StreamEnd {
                stream_id,
                method,
                path,
                request_bytes,
                response_bytes,
                ended_by,
                ..
            } => format!(
                "stream {stream_id} {} {} {request_bytes}/{response_bytes} body bytes (ended by {ended_by})",
                s(method),
                s(path)
            ),
            Http2Event::Http2RstStream {
                stream_id,
                error_code,
                error,
                path,
            } => format!("stream {stream_id} {error} ({error_code}) {}", s(path)),
            Http2Event::Http2Goaway {
                last_stream_id,
                error_code,
                error,
                debug_data,
            } => format!("last stream {last_stream_id} {error} ({error_code}) {debug_data}"),
            Http2Event::Http2Limit {
                stream_id,
                from,
                limit,
                value,
                allowed,
                above_settings,
                dropped_fields,
            } => match *limit {
                "table_size" if *above_settings => format!(
                    "stream {stream_id} ({from}) table size update to {value} above the \
                     {allowed} allowed by SETTINGS_HEADER_TABLE_SIZE: clamped"
                ),
                "table_size" => format!(
                    "stream {stream_id} ({from}) table size update to {value} above \
                     kinspect's limit of {allowed}: clamped, later fields may be unknown"
                ),
                _ => format!(
                    "stream {stream_id} ({from}) header list of {value} bytes over the \
                     {allowed}-byte limit: {dropped_fields} fields dropped"
                ),
            },
            Http2Event::Http2Settings { settings } if settings.is_empty() => {
                "no parameters (defaults)".to_string()
            }
            Http2Event::Http2Settings { settings } => settings
                .iter()
                .map(|x| format!("{}={}", x.name, x.value))
                .collect::<Vec<_>>()
                .join(" "),
            Http2Event::Http2Resync { skipped_bytes } => {
                format!("frame boundary found after {skipped_bytes} bytes")
            }
            Http2Event::Http2Frames {
                client,
                server,
                streams,
                ..
            } => format!(
                "{} client frames ({} data, {} headers), {} server frames ({} data, {} headers), {streams} streams",
                client.total(),
                client.data,
                client.headers,
                server.total(),
                server.data,
                server.headers
            ),
        }
    }
}

/// RFC 9113 §7 error code names.
pub fn error_name(code: u32) -> &'static str {
    match code {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED",
        6 => "FRAME_SIZE_ERROR",
        7 => "REFUSED_STREAM",
        8 => "CANCEL",
        9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        12 => "INADEQUATE_SECURITY",
        13 => "HTTP_1_1_REQUIRED",
        _ => "UNKNOWN",
    }
}

fn setting_name(id: u16) -> String {
    match id {
        1 => "header_table_size".into(),
        2 => "enable_push".into(),
        3 => "max_concurrent_streams".into(),
        4 => "initial_window_size".into(),
        5 => "max_frame_size".into(),
        6 => "max_header_list_size".into(),
        8 => "enable_connect_protocol".into(),
        other => format!("0x{other:x}"),
    }
}

/// A header block being assembled from HEADERS/PUSH_PROMISE and
/// CONTINUATION frames.
#[derive(Debug)]
struct PendingBlock {
    stream_id: u32,
    end_stream: bool,
    push_promise: bool,
    block: Vec<u8>,
    too_large: bool,
}

/// One direction of the connection.
#[derive(Debug)]
struct Side {
    reader: FrameReader,
    hpack: Option<HpackDecoder>,
    /// Seen from its first byte (preface, or a SETTINGS frame at offset 0).
    from_start: bool,
    resynced: bool,
    pending: Option<PendingBlock>,
    counts: FrameCounts,
    /// SETTINGS_HEADER_TABLE_SIZE announced by the peer (the decoder of
    /// this direction's header blocks).
    allowed_table: Option<u32>,
}

impl Side {
    fn new(client: bool) -> Side {
        Side {
            reader: FrameReader::new(client),
            hpack: None,
            from_start: false,
            resynced: false,
            pending: None,
            counts: FrameCounts::default(),
            allowed_table: None,
        }
    }

    fn hpack(&mut self) -> &mut HpackDecoder {
        let strict = self.from_start && !self.resynced;
        let allowed = self.allowed_table;
        self.hpack.get_or_insert_with(|| {
            let mut d = HpackDecoder::new(strict);
            if let Some(a) = allowed {
                d.set_allowed_table_size(a);
            }
            d
        })
    }
}

/// What we know of one stream.
#[derive(Debug, Default)]
struct Stream {
    method: Option<String>,
    path: Option<String>,
    status: Option<u16>,
    request_ts: Option<Timestamp>,
    request_seen: bool,
    response_seen: bool,
    grpc: bool,
    grpc_status: Option<u32>,
    grpc_message: Option<String>,
    /// Request and response body bytes (DATA payload, padding excluded).
    body: [u64; 2],
    /// gRPC message readers per direction.
    messages: [MessageReader; 2],
    /// END_STREAM seen per direction.
    ended: [bool; 2],
}

/// The dissector for one connection.
pub struct Http2Dissector {
    conn: ConnInfo,
    ctx: Arc<Context>,
    sides: [Side; 2],
    streams: HashMap<u32, Stream>,
    streams_seen: u64,
    untracked: u64,
    /// A gRPC stream was seen: DATA of streams joined mid-way is read as
    /// gRPC messages.
    grpc_connection: bool,
    /// What is left of [`MAX_GRPC_BUFFERED`].
    grpc_budget: usize,
    finished: bool,
    /// Framing only ([`crate::proto::Wants::http2`] off).
    light: bool,
}

impl Http2Dissector {
    pub fn new(conn: ConnInfo, ctx: Arc<Context>) -> Self {
        Http2Dissector {
            light: !ctx.wants.http2,
            conn,
            ctx,
            sides: [Side::new(true), Side::new(false)],
            streams: HashMap::new(),
            streams_seen: 0,
            untracked: 0,
            grpc_connection: false,
            grpc_budget: MAX_GRPC_BUFFERED,
            finished: false,
        }
    }

    /// The stream, created if there is room.
    fn stream(&mut self, id: u32) -> Option<&mut Stream> {
        if !self.streams.contains_key(&id) {
            if self.streams.len() >= MAX_STREAMS {
                self.untracked += 1;
                return None;
            }
            self.streams_seen += 1;
            // A stream first seen mid-way is read as gRPC on a connection
            // already known to carry gRPC, or on etcd's client port;
            // a message reader stops at the first prefix that does not
            // make sense, so a wrong guess costs nothing.
            let grpc = self.grpc_connection || self.conn.component == Component::EtcdClient;
            self.streams.insert(
                id,
                Stream {
                    grpc,
                    ..Stream::default()
                },
            );
        }
        self.streams.get_mut(&id)
    }

    fn on_piece(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        piece: Piece<'_>,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        if self.light {
            self.light_piece(ts, dir, piece, sink);
            return;
        }
        match piece {
            Piece::Preface => self.sides[i].from_start = true,
            Piece::Resynced { skipped } => {
                let side = &mut self.sides[i];
                side.resynced = true;
                side.pending = None;
                if let Some(h) = side.hpack.as_mut() {
                    h.lose_sync();
                }
                emit_resync(sink, ts, dir, skipped);
            }
            Piece::Frame(h, payload) => {
                self.note_first_frame(i, &h);
                self.sides[i].counts.add(h.kind);
                self.frame(ts, dir, h, payload, sink);
            }
            Piece::Oversized(h) => {
                self.note_first_frame(i, &h);
                self.sides[i].counts.add(h.kind);
                if matches!(
                    h.kind,
                    FrameType::Headers | FrameType::PushPromise | FrameType::Continuation
                ) {
                    let side = &mut self.sides[i];
                    side.pending = None;
                    if let Some(hp) = side.hpack.as_mut() {
                        hp.lose_sync();
                    }
                }
            }
            Piece::DataStart(h) => {
                self.note_first_frame(i, &h);
                self.sides[i].counts.add(h.kind);
                // A stream first seen through DATA is created here; its
                // message readers start at this frame's first byte, unless
                // bytes of this side were lost (joined mid-way, a gap):
                // then this frame may begin mid-message and must prove it
                // starts one (see `MessageReader::frame_start`).
                let lost = self.sides[i].resynced;
                let known = self.streams.contains_key(&h.stream_id);
                let mut budget = self.grpc_budget;
                if let Some(st) = self.stream(h.stream_id) {
                    if lost && !known {
                        st.messages[i].lose_sync(&mut budget);
                    }
                    st.messages[i].frame_start(h.length as usize);
                }
                self.grpc_budget = budget;
            }
            Piece::DataChunk(sid, bytes) => self.data(ts, dir, sid, bytes, sink),
            Piece::DataEnd(h) => {
                if h.flags & FLAG_END_STREAM != 0 {
                    self.end_stream(ts, dir, h.stream_id, sink);
                }
            }
        }
    }

    /// A piece in framing-only mode: frames are counted, resyncs
    /// reported, and SETTINGS_MAX_FRAME_SIZE applied (it changes the
    /// framing of the other direction); nothing else is decoded.
    fn light_piece(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        piece: Piece<'_>,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        match piece {
            Piece::Resynced { skipped } => {
                self.sides[i].resynced = true;
                emit_resync(sink, ts, dir, skipped);
            }
            Piece::Frame(h, p) => {
                self.sides[i].counts.add(h.kind);
                if h.kind == FrameType::Settings && h.flags & FLAG_ACK == 0 {
                    for pair in p.chunks_exact(6) {
                        if u16::from_be_bytes([pair[0], pair[1]]) == 5 {
                            let value = u32::from_be_bytes([pair[2], pair[3], pair[4], pair[5]]);
                            self.sides[dir.reverse().index()].reader.max_frame =
                                value.clamp(frame::DEFAULT_MAX_FRAME_SIZE, (1 << 24) - 1);
                        }
                    }
                }
            }
            Piece::Oversized(h) | Piece::DataStart(h) => self.sides[i].counts.add(h.kind),
            Piece::Preface | Piece::DataChunk(..) | Piece::DataEnd(_) => {}
        }
    }

    fn note_first_frame(&mut self, i: usize, h: &FrameHeader) {
        let side = &mut self.sides[i];
        if side.counts.total() == 0 && !side.resynced && h.kind == FrameType::Settings {
            side.from_start = true;
        }
    }

    fn data(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sid: u32,
        bytes: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        let ctx = self.ctx.clone();
        let budget = &mut self.grpc_budget;
        let Some(st) = self.streams.get_mut(&sid) else {
            return;
        };
        st.body[i] += bytes.len() as u64;
        if !st.grpc || st.messages[i].broken() {
            return;
        }
        if !ctx.wants.grpc_messages {
            // Framed and counted only (for `grpc_call`): with no budget,
            // no body is kept.
            let mut none = 0usize;
            st.messages[i].feed(bytes, &mut none, &mut |_| {});
            return;
        }
        let path = st.path.clone().unwrap_or_else(|| "<unknown>".to_string());
        let request = dir == Direction::ClientToServer;
        st.messages[i].feed(bytes, budget, &mut |m| {
            sink.emit(
                ts,
                dir,
                EventKind::Grpc(GrpcEvent::GrpcMessage {
                    path: path.clone(),
                    stream_id: sid,
                    direction: dir,
                    compressed: m.compressed,
                    length: m.length,
                }),
            );
            if let Some(body) = m.body
                && !m.compressed
                && let Some(ev) = super::etcd_rpc::decode(&path, request, body, &ctx)
            {
                sink.emit(ts, dir, EventKind::Etcd(ev));
            }
        });
    }

    fn frame(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        h: FrameHeader,
        p: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        // A header block in progress must continue with CONTINUATION.
        if h.kind != FrameType::Continuation && self.sides[i].pending.take().is_some() {
            if let Some(hp) = self.sides[i].hpack.as_mut() {
                hp.lose_sync();
            }
        }
        match h.kind {
            FrameType::Headers | FrameType::PushPromise => {
                let Some(fragment) = header_fragment(&h, p) else {
                    return;
                };
                let pending = PendingBlock {
                    stream_id: h.stream_id,
                    end_stream: h.kind == FrameType::Headers && h.flags & FLAG_END_STREAM != 0,
                    push_promise: h.kind == FrameType::PushPromise,
                    block: fragment.to_vec(),
                    too_large: false,
                };
                self.sides[i].pending = Some(pending);
                if h.flags & FLAG_END_HEADERS != 0 {
                    self.finish_block(ts, dir, sink);
                }
            }
            FrameType::Continuation => {
                let Some(pending) = self.sides[i].pending.as_mut() else {
                    return;
                };
                if pending.stream_id != h.stream_id {
                    self.sides[i].pending = None;
                    if let Some(hp) = self.sides[i].hpack.as_mut() {
                        hp.lose_sync();
                    }
                    return;
                }
                if pending.block.len() + p.len() > MAX_HEADER_BLOCK {
                    pending.too_large = true;
                    pending.block = Vec::new();
                } else if !pending.too_large {
                    pending.block.extend_from_slice(p);
                }
                if h.flags & FLAG_END_HEADERS != 0 {
                    self.finish_block(ts, dir, sink);
                }
            }
            FrameType::Settings => {
                if h.flags & FLAG_ACK != 0 {
                    return;
                }
                let mut settings = Vec::new();
                for pair in p.chunks_exact(6) {
                    let id = u16::from_be_bytes([pair[0], pair[1]]);
                    let value = u32::from_be_bytes([pair[2], pair[3], pair[4], pair[5]]);
                    let peer = &mut self.sides[dir.reverse().index()];
                    match id {
                        1 => {
                            peer.allowed_table = Some(value);
                            if let Some(d) = peer.hpack.as_mut() {
                                d.set_allowed_table_size(value);
                            }
                        }
                        5 => {
                            peer.reader.max_frame =
                                value.clamp(frame::DEFAULT_MAX_FRAME_SIZE, (1 << 24) - 1)
                        }
                        _ => {}
                    }
                    settings.push(Setting {
                        name: setting_name(id),
                        value,
                    });
                }
                sink.emit(
                    ts,
                    dir,
                    EventKind::Http2(Http2Event::Http2Settings { settings }),
                );
            }
            FrameType::RstStream => {
                let Some(code) = p
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                else {
                    return;
                };
                let path = self.streams.get(&h.stream_id).and_then(|s| s.path.clone());
                sink.emit(
                    ts,
                    dir,
                    EventKind::Http2(Http2Event::Http2RstStream {
                        stream_id: h.stream_id,
                        error_code: code,
                        error: error_name(code),
                        path,
                    }),
                );
                if let Some(st) = self.streams.remove(&h.stream_id) {
                    self.finish_stream(ts, h.stream_id, st, "rst_stream", sink);
                }
            }
            FrameType::Goaway => {
                if p.len() < 8 {
                    return;
                }
                let last = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff;
                let code = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
                let debug = &p[8..p.len().min(8 + MAX_DEBUG_DATA)];
                sink.emit(
                    ts,
                    dir,
                    EventKind::Http2(Http2Event::Http2Goaway {
                        last_stream_id: last,
                        error_code: code,
                        error: error_name(code),
                        debug_data: String::from_utf8_lossy(debug).into_owned(),
                    }),
                );
            }
            // Counted only (flow control and priorities are not followed).
            _ => {}
        }
    }

    fn finish_block(&mut self, ts: Timestamp, dir: Direction, sink: &mut dyn EventSink) {
        let i = dir.index();
        let Some(pending) = self.sides[i].pending.take() else {
            return;
        };
        if pending.too_large {
            if let Some(hp) = self.sides[i].hpack.as_mut() {
                hp.lose_sync();
            }
            if pending.end_stream {
                self.end_stream(ts, dir, pending.stream_id, sink);
            }
            return;
        }
        let block = self.sides[i].hpack().decode(&pending.block);
        let from = match dir {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        };
        if let Some(c) = block.table_size_clamped {
            sink.emit(
                ts,
                dir,
                EventKind::Http2(Http2Event::Http2Limit {
                    stream_id: pending.stream_id,
                    from,
                    limit: "table_size",
                    value: c.asked as u64,
                    allowed: c.used as u64,
                    above_settings: c.above_settings,
                    dropped_fields: 0,
                }),
            );
        }
        if block.dropped_fields > 0 {
            sink.emit(
                ts,
                dir,
                EventKind::Http2(Http2Event::Http2Limit {
                    stream_id: pending.stream_id,
                    from,
                    limit: "header_list_size",
                    value: block.decoded_size as u64,
                    allowed: hpack::MAX_DECODED_BLOCK as u64,
                    above_settings: false,
                    dropped_fields: block.dropped_fields,
                }),
            );
        }
        if pending.push_promise {
            // Decoded to keep the table in step; pushed streams are not
            // followed (servers of the control plane do not push).
            return;
        }
        let sid = pending.stream_id;
        match dir {
            Direction::ClientToServer => self.request_headers(ts, dir, sid, block, sink),
            Direction::ServerToClient => self.response_headers(ts, dir, sid, block, sink),
        }
        if pending.end_stream {
            self.end_stream(ts, dir, sid, sink);
        }
    }

    fn request_headers(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sid: u32,
        block: HeaderBlock,
        sink: &mut dyn EventSink,
    ) {
        let grpc_type = block
            .get("content-type")
            .is_some_and(|c| c.starts_with("application/grpc"));
        let show_secrets = self.ctx.show_secrets;
        let Some(st) = self.stream(sid) else {
            return;
        };
        if st.request_seen {
            let ev = Http2Event::Http2Trailers {
                stream_id: sid,
                from: "c2s",
                headers: event_fields(&block, show_secrets),
                unknown_headers: block.unknown,
            };
            sink.emit(ts, dir, EventKind::Http2(ev));
            return;
        }
        st.request_seen = true;
        st.request_ts = Some(ts);
        st.method = block.get(":method").map(str::to_string);
        st.path = block.get(":path").map(str::to_string);
        if grpc_type {
            st.grpc = true;
        } else if block.unknown == 0 {
            // Every header is known and none says gRPC: a plain HTTP/2
            // request (etcd's JSON gateway shares the gRPC port), whatever
            // the port or the connection's earlier streams suggested.
            st.grpc = false;
        }
        let is_grpc = st.grpc;
        let headers = event_fields(&block, show_secrets);
        let st_method = st.method.clone();
        let st_path = st.path.clone();
        sink.emit(
            ts,
            dir,
            EventKind::Http2(Http2Event::Http2Request {
                stream_id: sid,
                method: st_method,
                path: st_path,
                authority: block.get(":authority").map(str::to_string),
                scheme: block.get(":scheme").map(str::to_string),
                content_type: block.get("content-type").map(str::to_string),
                user_agent: block.get("user-agent").map(str::to_string),
                headers,
                unknown_headers: block.unknown,
            }),
        );
        if is_grpc {
            self.grpc_connection = true;
        }
    }

    fn response_headers(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sid: u32,
        block: HeaderBlock,
        sink: &mut dyn EventSink,
    ) {
        let show_secrets = self.ctx.show_secrets;
        let Some(st) = self.stream(sid) else {
            return;
        };
        if let Some(s) = block.get("grpc-status") {
            st.grpc_status = s.trim().parse().ok();
            st.grpc_message = block.get("grpc-message").map(percent_decode);
            st.grpc = true;
        }
        let status: Option<u16> = block.get(":status").and_then(|s| s.parse().ok());
        if st.response_seen || (status.is_none() && block.get("grpc-status").is_some()) {
            let ev = Http2Event::Http2Trailers {
                stream_id: sid,
                from: "s2c",
                headers: event_fields(&block, show_secrets),
                unknown_headers: block.unknown,
            };
            sink.emit(ts, dir, EventKind::Http2(ev));
            return;
        }
        // 1xx responses are informational: the real one follows.
        if status.is_some_and(|s| (100..200).contains(&s)) {
            return;
        }
        st.response_seen = true;
        st.status = status;
        let content_type = block.get("content-type").map(str::to_string);
        if content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/grpc"))
        {
            st.grpc = true;
        }
        let is_grpc = st.grpc;
        let ev = Http2Event::Http2Response {
            stream_id: sid,
            status,
            content_type,
            method: st.method.clone(),
            path: st.path.clone(),
            latency_ms: st.request_ts.map(|r| ts.millis_since(r)),
            headers: event_fields(&block, show_secrets),
            unknown_headers: block.unknown,
        };
        sink.emit(ts, dir, EventKind::Http2(ev));
        if is_grpc {
            self.grpc_connection = true;
        }
    }

    /// END_STREAM in `dir`. The stream is over when the server ends it
    /// (its response is complete), whatever we saw of the client side.
    fn end_stream(&mut self, ts: Timestamp, dir: Direction, sid: u32, sink: &mut dyn EventSink) {
        let Some(st) = self.streams.get_mut(&sid) else {
            return;
        };
        st.ended[dir.index()] = true;
        if dir == Direction::ServerToClient
            && let Some(st) = self.streams.remove(&sid)
        {
            self.finish_stream(ts, sid, st, "end_stream", sink);
        }
    }

    fn finish_stream(
        &mut self,
        ts: Timestamp,
        sid: u32,
        st: Stream,
        how: &'static str,
        sink: &mut dyn EventSink,
    ) {
        let mut st = st;
        for r in st.messages.iter_mut() {
            r.release(&mut self.grpc_budget);
        }
        if st.grpc {
            // A stream we joined with nothing but DATA says nothing useful.
            if !st.request_seen && !st.response_seen && st.grpc_status.is_none() {
                return;
            }
            let ended_by = match how {
                "end_stream" => "trailers",
                other => other,
            };
            let duration_ms = st.request_ts.map(|r| ts.millis_since(r));
            let latency_ms = duration_ms.filter(|_| how == "end_stream");
            let [req, resp] = &st.messages;
            sink.emit(
                ts,
                Direction::ClientToServer,
                EventKind::Grpc(GrpcEvent::GrpcCall {
                    method: st.path.clone().unwrap_or_else(|| "<unknown>".to_string()),
                    stream_id: sid,
                    grpc_status: st.grpc_status,
                    grpc_message: st.grpc_message,
                    request_messages: req.messages,
                    response_messages: resp.messages,
                    request_bytes: req.bytes,
                    response_bytes: resp.bytes,
                    latency_ms,
                    duration_ms,
                    ended_by,
                }),
            );
        } else {
            if !st.request_seen && !st.response_seen {
                return;
            }
            sink.emit(
                ts,
                Direction::ClientToServer,
                EventKind::Http2(Http2Event::Http2StreamEnd {
                    stream_id: sid,
                    method: st.method,
                    path: st.path,
                    status: st.status,
                    request_bytes: st.body[0],
                    response_bytes: st.body[1],
                    ended_by: how,
                }),
            );
        }
    }
}

/// The header block fragment of a HEADERS or PUSH_PROMISE payload
/// (padding, priority and promised stream id removed).
fn header_fragment<'a>(h: &FrameHeader, p: &'a [u8]) -> Option<&'a [u8]> {
    let mut start = 0usize;
    let mut pad = 0usize;
    if h.flags & FLAG_PADDED != 0 {
        pad = *p.first()? as usize;
        start = 1;
    }
    if h.kind == FrameType::Headers && h.flags & FLAG_PRIORITY != 0 {
        start += 5;
    }
    if h.kind == FrameType::PushPromise {
        start += 4;
    }
    let end = p.len().checked_sub(pad)?;
    p.get(start..end)
}

/// The fields of a block as events show them: at most
/// [`MAX_EVENT_FIELDS`], values cut at [`MAX_EVENT_VALUE`] bytes,
/// credentials redacted unless `show_secrets`.
fn event_fields(block: &HeaderBlock, show_secrets: bool) -> Vec<(String, String)> {
    block
        .fields
        .iter()
        .take(MAX_EVENT_FIELDS)
        .map(|(n, v)| {
            let v = if !show_secrets && SECRET_HEADERS.contains(&n.as_str()) {
                format!("<redacted: {} bytes>", v.len())
            } else if v.len() > MAX_EVENT_VALUE {
                let mut end = MAX_EVENT_VALUE;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}...<{} bytes>", &v[..end], v.len())
            } else {
                v.clone()
            };
            (n.clone(), v)
        })
        .collect()
}

/// `grpc-message` is percent-encoded (gRPC over HTTP/2 spec).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = b.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl super::Dissector for Http2Dissector {
    fn protocol(&self) -> Protocol {
        Protocol::Http2
    }

    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        let i = dir.index();
        // The reader is taken out while it calls back into `self`.
        let mut reader = std::mem::replace(&mut self.sides[i].reader, FrameReader::new(false));
        reader.feed(bytes, &mut |piece| self.on_piece(ts, dir, piece, sink));
        self.sides[i].reader = reader;
    }

    fn gap(&mut self, ts: Timestamp, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        let _ = ts;
        let side = &mut self.sides[dir.index()];
        side.reader.gap();
        side.pending = None;
        if let Some(h) = side.hpack.as_mut() {
            h.lose_sync();
        }
        // Where the next gRPC message of this direction begins is now
        // unknown on every open stream (the gap may hold a message start):
        // each reader skips until a DATA frame begins with a whole message.
        for st in self.streams.values_mut() {
            st.messages[dir.index()].lose_sync(&mut self.grpc_budget);
        }
    }

    fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        if self.finished {
            return;
        }
        self.finished = true;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let i = dir.index();
            let mut reader = std::mem::replace(&mut self.sides[i].reader, FrameReader::new(false));
            reader.finish(&mut |piece| self.on_piece(ts, dir, piece, sink));
            self.sides[i].reader = reader;
        }
        let mut open: Vec<(u32, Stream)> = self.streams.drain().collect();
        open.sort_by_key(|(id, _)| *id);
        for (sid, st) in open {
            self.finish_stream(ts, sid, st, "connection_end", sink);
        }
        let [c, s] = &self.sides;
        if c.counts.total() + s.counts.total() > 0 {
            sink.emit(
                ts,
                Direction::ClientToServer,
                EventKind::Http2(Http2Event::Http2Frames {
                    client: c.counts.clone(),
                    server: s.counts.clone(),
                    streams: self.streams_seen,
                    untracked_streams: self.untracked,
                }),
            );
        }
    }
}

/// The event for bytes skipped to find the next frame after a gap.
fn emit_resync(sink: &mut dyn EventSink, ts: Timestamp, dir: Direction, skipped: u64) {
    sink.emit(
        ts,
        dir,
        EventKind::Http2(Http2Event::Http2Resync {
            skipped_bytes: skipped,
        }),
    );
}

//! HTTP/1.1 on a connection: requests and responses with pipelining (FIFO
//! pairing), Content-Length, chunked (with trailers) and read-to-close
//! bodies, HEAD/1xx/204/304 without bodies, long-lived streaming responses
//! (the head is reported when it arrives; the body is consumed as it comes,
//! never buffered whole), `101` upgrades to h2c and `CONNECT` tunnels
//! (handed to [`crate::proto::InnerDissector`]), and resynchronisation
//! after gaps or mid-stream starts. Bodies of etcd's peer paths go to
//! [`crate::proto::raft::PeerBody`].
//!
//! Written by hand: the maintained parsers (httparse) parse one complete
//! head and leave body framing, pairing and resynchronisation to the
//! caller, which is most of this module.
//!
//! Memory per connection is bounded: a header block (and anything held
//! while looking for the next message start) is capped at [`MAX_HEAD`],
//! chunk-size and trailer lines at [`MAX_LINE`], requests awaiting a
//! response at [`MAX_PENDING`]; Raft frames are capped by the Raft module.

mod event;

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

pub use event::{HttpEvent, path_template};

use crate::event::EventKind;
use crate::proto::raft::{self, PeerBody, rafthttp};
use crate::proto::{
    Component, ConnInfo, Context, Direction, Dissector, EventSink, InnerDissector, Protocol,
};
use crate::timestamp::Timestamp;

/// Largest header block (request/status line and headers) accepted; also
/// the most bytes held while looking for the next message start.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest chunk-size or trailer line.
pub const MAX_LINE: usize = 8 * 1024;
/// Requests kept while waiting for their responses (pipelining).
pub const MAX_PENDING: usize = 256;
/// Headers worth reporting (lower case).
const SELECTED_HEADERS: [&str; 10] = [
    "content-type",
    "content-length",
    "transfer-encoding",
    "user-agent",
    "upgrade",
    "x-server-from",
    "x-raft-to",
    "x-peerurls",
    "x-etcd-cluster-id",
    "x-server-version",
];

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    serial: u64,
    method: String,
    path: String,
    head_ts: Timestamp,
    end_ts: Option<Timestamp>,
    upgrade: Option<String>,
    raft_to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked(Chunk),
    ToClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a request or status line.
    Head,
    Body(Framing),
    /// After a CONNECT or Upgrade request: bytes are held until the
    /// response says whether the protocol switches.
    Hold,
    /// Switched to a protocol nobody decodes: bytes are dropped.
    Ignore,
}

/// The message whose body is being read.
#[derive(Debug)]
struct BodyCtx {
    method: String,
    path: String,
    serial: Option<u64>,
    bytes: u64,
    /// Chunked or read-to-close: report `http_body_end`.
    report_end: bool,
    trailers: BTreeMap<String, String>,
    peer: Option<PeerBody>,
}

/// One direction: requests (client→server) or responses (server→client).
#[derive(Debug)]
struct Side {
    /// Unconsumed bytes (a partial head or line); ≤ [`MAX_HEAD`] + one read.
    buf: Vec<u8>,
    state: State,
    /// At a message boundary we trust (false at the start and after a gap
    /// or error, until a request/status line is found).
    synced: bool,
    skipped: u64,
    resync_reason: &'static str,
    body: Option<BodyCtx>,
    /// The last two bytes dropped while resynchronising: the next byte is
    /// at a line start only after `\n` (a chunk start only after CR LF).
    dropped_tail: [u8; 2],
}

impl Side {
    fn new() -> Side {
        Side {
            buf: Vec::new(),
            state: State::Head,
            synced: false,
            skipped: 0,
            resync_reason: "not at a message start (capture began mid-stream)",
            body: None,
            dropped_tail: *b"\r\n",
        }
    }
}

/// The dissector for one connection.
pub struct Http1Dissector {
    conn: ConnInfo,
    ctx: Arc<Context>,
    sides: [Side; 2],
    pending: VecDeque<Pending>,
    serial: u64,
    tunnel: Option<InnerDissector>,
    /// etcd's peer port: look for Raft stream chunks when joining mid-stream.
    peer: bool,
    /// The `X-Server-From` already reported as a `raft_peer` (one dialer
    /// per connection: reported once, not per request).
    announced_peer: Option<String>,
}

impl Http1Dissector {
    pub fn new(conn: ConnInfo, ctx: Arc<Context>) -> Self {
        Http1Dissector {
            conn,
            ctx,
            sides: [Side::new(), Side::new()],
            pending: VecDeque::new(),
            serial: 0,
            tunnel: None,
            peer: conn.component == Component::EtcdPeer,
            announced_peer: None,
        }
    }

    /// Feeds `bytes` (possibly empty, to re-run held bytes) to one side.
    fn pump(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        let i = dir.index();
        if self.sides[i].buf.is_empty() {
            let used = self.process(ts, dir, bytes, sink);
            let rest = bytes.get(used..).unwrap_or(&[]);
            self.keep(dir, rest);
        } else {
            let mut data = std::mem::take(&mut self.sides[i].buf);
            data.extend_from_slice(bytes);
            let used = self.process(ts, dir, &data, sink);
            let rest = data.get(used..).unwrap_or(&[]);
            self.keep(dir, rest);
        }
    }

    /// Keeps unconsumed bytes, within the cap.
    fn keep(&mut self, dir: Direction, rest: &[u8]) {
        let side = &mut self.sides[dir.index()];
        if self.tunnel.is_some() {
            // Switched while processing: nothing stays here.
            side.buf.clear();
            return;
        }
        side.buf.clear();
        if rest.len() > MAX_HEAD + MAX_LINE {
            // Cannot be a head we accept: drop and look for a new start.
            side.skipped += rest.len() as u64;
            side.synced = false;
            side.state = State::Head;
            side.resync_reason = "more than 64 KiB without a complete header block";
            return;
        }
        side.buf.extend_from_slice(rest);
    }

    /// Consumes what it can of `data`; returns how many bytes were used.
    fn process(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> usize {
        let i = dir.index();
        let mut pos = 0usize;
        loop {
            if let Some(t) = self.tunnel.as_mut() {
                let rest = data.get(pos..).unwrap_or(&[]);
                if !rest.is_empty() {
                    t.data(ts, dir, rest, sink);
                }
                return data.len();
            }
            let rest = data.get(pos..).unwrap_or(&[]);
            match self.sides[i].state {
                State::Ignore => return data.len(),
                State::Hold => return pos,
                State::Head => {
                    if rest.is_empty() {
                        return pos;
                    }
                    if !self.sides[i].synced {
                        match self.find_start(dir, rest) {
                            Start::Line(k) => {
                                pos += k;
                                self.synced_after(ts, dir, k as u64, sink);
                            }
                            Start::Chunk {
                                at,
                                data_at,
                                size,
                                kind,
                            } => {
                                pos += data_at;
                                self.synced_after(ts, dir, at as u64, sink);
                                self.join_stream(ts, dir, kind, size, sink);
                            }
                            Start::Wait(k) => {
                                self.dropped(dir, rest.get(..k).unwrap_or(&[]));
                                return pos + k;
                            }
                        }
                        continue;
                    }
                    match find_head_end(rest).filter(|&end| end <= MAX_HEAD + 1) {
                        Some(end) => {
                            let head = rest.get(..end).unwrap_or(&[]);
                            pos += end;
                            if let Err(why) = self.on_head(ts, dir, head, sink) {
                                self.desync(dir, why, end as u64);
                            }
                        }
                        None => {
                            if rest.len() > MAX_HEAD {
                                // Drop the first MAX_HEAD + 1 bytes (the
                                // start line too, or it would be found
                                // again), whatever the byte split.
                                let cut = MAX_HEAD + 1;
                                self.desync(dir, "header block over 64 KiB", 0);
                                self.dropped(dir, rest.get(..cut).unwrap_or(&[]));
                                pos += cut;
                                continue;
                            }
                            return pos;
                        }
                    }
                }
                State::Body(framing) => match self.body_step(ts, dir, framing, rest, sink) {
                    Some(used) => pos += used,
                    None => return pos,
                },
            }
        }
    }

    /// One step inside a body. Returns bytes used, or None to wait for more.
    fn body_step(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        framing: Framing,
        rest: &[u8],
        sink: &mut dyn EventSink,
    ) -> Option<usize> {
        let i = dir.index();
        match framing {
            Framing::Length(0) => {
                self.finish_body(ts, dir, true, sink);
                Some(0)
            }
            Framing::Length(n) => {
                if rest.is_empty() {
                    return None;
                }
                let take = (n.min(rest.len() as u64)) as usize;
                self.body_data(ts, dir, rest.get(..take).unwrap_or(&[]), sink);
                self.sides[i].state = State::Body(Framing::Length(n - take as u64));
                Some(take)
            }
            Framing::ToClose => {
                if rest.is_empty() {
                    return None;
                }
                self.body_data(ts, dir, rest, sink);
                Some(rest.len())
            }
            Framing::Chunked(Chunk::Size) => {
                let (line, used) = match take_line(rest) {
                    Line::Some(l, used) => (l, used),
                    Line::Wait => return None,
                    Line::TooLong => {
                        self.desync(dir, "chunk-size line too long", 0);
                        return Some(0);
                    }
                };
                let Some(size) = parse_chunk_size(line) else {
                    self.desync(dir, "bad chunk-size line", 0);
                    return Some(0);
                };
                let next = if size == 0 {
                    Chunk::Trailers
                } else {
                    if let Some(p) = self.sides[i].body.as_mut().and_then(|b| b.peer.as_mut()) {
                        p.boundary();
                    }
                    Chunk::Data(size)
                };
                self.sides[i].state = State::Body(Framing::Chunked(next));
                Some(used)
            }
            Framing::Chunked(Chunk::Data(n)) => {
                if rest.is_empty() {
                    return None;
                }
                let take = (n.min(rest.len() as u64)) as usize;
                self.body_data(ts, dir, rest.get(..take).unwrap_or(&[]), sink);
                let left = n - take as u64;
                self.sides[i].state = State::Body(Framing::Chunked(if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                }));
                Some(take)
            }
            Framing::Chunked(Chunk::DataEnd) => match rest {
                [] | [b'\r'] => None,
                [b'\r', b'\n', ..] => {
                    self.sides[i].state = State::Body(Framing::Chunked(Chunk::Size));
                    Some(2)
                }
                [b'\n', ..] => {
                    self.sides[i].state = State::Body(Framing::Chunked(Chunk::Size));
                    Some(1)
                }
                _ => {
                    self.desync(dir, "chunk data not followed by CRLF", 0);
                    Some(0)
                }
            },
            Framing::Chunked(Chunk::Trailers) => {
                let (line, used) = match take_line(rest) {
                    Line::Some(l, used) => (l, used),
                    Line::Wait => return None,
                    Line::TooLong => {
                        self.desync(dir, "trailer line too long", 0);
                        return Some(0);
                    }
                };
                if line.is_empty() {
                    self.finish_body(ts, dir, true, sink);
                } else if let Some((k, v)) = split_header(line)
                    && let Some(b) = self.sides[i].body.as_mut()
                    && b.trailers.len() < 32
                {
                    b.trailers.insert(k, v);
                }
                Some(used)
            }
        }
    }

    fn body_data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        let Self { sides, ctx, .. } = self;
        if let Some(b) = sides[dir.index()].body.as_mut() {
            b.bytes += bytes.len() as u64;
            if let Some(p) = b.peer.as_mut() {
                p.data(ts, dir, bytes, ctx, sink);
            }
        }
    }

    /// The current body ended (`complete` false: cut short).
    fn finish_body(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        complete: bool,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        let side = &mut self.sides[i];
        side.state = State::Head;
        let Some(mut b) = side.body.take() else {
            return;
        };
        if let Some(p) = b.peer.as_mut() {
            p.finish(ts, dir, complete, &self.ctx, sink);
        }
        if b.report_end || !complete {
            sink.emit(
                ts,
                dir,
                EventKind::Http(HttpEvent::HttpBodyEnd {
                    side: side_name(dir),
                    method: b.method.clone(),
                    path: b.path.clone(),
                    body_bytes: b.bytes,
                    trailers: (!b.trailers.is_empty()).then(|| std::mem::take(&mut b.trailers)),
                    complete,
                }),
            );
        }
        if let Some(serial) = b.serial {
            let mut hold = false;
            if let Some(p) = self.pending.iter_mut().find(|p| p.serial == serial) {
                p.end_ts = Some(ts);
                hold = p.upgrade.is_some() || p.method == "CONNECT";
            }
            if hold && complete {
                self.sides[i].state = State::Hold;
            }
        }
    }

    /// Lost the message boundary: look for the next request/status line.
    fn desync(&mut self, dir: Direction, reason: &'static str, skipped: u64) {
        let side = &mut self.sides[dir.index()];
        side.synced = false;
        side.state = State::Head;
        side.resync_reason = reason;
        side.skipped += skipped;
        side.body = None;
        side.dropped_tail = *b"\r\n";
        if dir == Direction::ServerToClient {
            // Responses were lost: pairing would be wrong.
            self.pending.clear();
        }
    }

    /// Bytes skipped while looking for a message start.
    fn dropped(&mut self, dir: Direction, bytes: &[u8]) {
        let side = &mut self.sides[dir.index()];
        side.skipped += bytes.len() as u64;
        match bytes {
            [.., a, b] => side.dropped_tail = [*a, *b],
            [b] => side.dropped_tail = [side.dropped_tail[1], *b],
            [] => {}
        }
    }

    fn synced_after(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        skipped: u64,
        sink: &mut dyn EventSink,
    ) {
        let side = &mut self.sides[dir.index()];
        side.synced = true;
        let total = side.skipped + skipped;
        side.skipped = 0;
        if total > 0 {
            sink.emit(
                ts,
                dir,
                EventKind::Http(HttpEvent::HttpResync {
                    side: side_name(dir),
                    skipped_bytes: total,
                    reason: side.resync_reason.to_string(),
                }),
            );
        }
    }

    /// Where the next message starts in `rest` (not synced yet).
    fn find_start(&self, dir: Direction, rest: &[u8]) -> Start {
        let response = dir == Direction::ServerToClient;
        let tail = self.sides[dir.index()].dropped_tail;
        let mut p = 0usize;
        if tail[1] != b'\n' {
            // Inside a line whose start was dropped: next line.
            match rest.iter().position(|&b| b == b'\n') {
                Some(k) => p = k + 1,
                None => return Start::Wait(rest.len()),
            }
        }
        while p < rest.len() {
            let cand = rest.get(p..).unwrap_or(&[]);
            match start_line_at(cand, response) {
                Verdict::Yes => return Start::Line(p),
                Verdict::Maybe => return Start::Wait(p),
                Verdict::No => {}
            }
            let after_crlf = match p {
                0 => tail == *b"\r\n",
                1 => tail[1] == b'\r' && rest.first() == Some(&b'\n'),
                _ => rest.get(p - 2..p) == Some(b"\r\n"),
            };
            if response && self.peer && after_crlf {
                match raft_chunk_at(cand) {
                    ChunkGuess::Yes {
                        data_at,
                        size,
                        kind,
                    } => {
                        return Start::Chunk {
                            at: p,
                            data_at: p + data_at,
                            size,
                            kind,
                        };
                    }
                    ChunkGuess::Maybe => return Start::Wait(p),
                    ChunkGuess::No => {}
                }
            }
            // Next candidate: after the next LF.
            match cand.iter().position(|&b| b == b'\n') {
                Some(k) => p += k + 1,
                None => return Start::Wait(rest.len()),
            }
        }
        Start::Wait(rest.len())
    }

    /// The capture began inside a Raft stream response: decode from here.
    fn join_stream(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        kind: rafthttp::StreamKind,
        size: u64,
        sink: &mut dyn EventSink,
    ) {
        let peer = self.ctx.wants.raft.then(|| PeerBody::stream(kind));
        if let Some(ev) = peer.as_ref().and_then(|p| p.stream_event(true)) {
            sink.emit(ts, dir, EventKind::Raft(ev));
        }
        let kind_name = match kind {
            rafthttp::StreamKind::Message => "message",
            rafthttp::StreamKind::MsgAppV2 => "msgapp",
        };
        let side = &mut self.sides[dir.index()];
        side.body = Some(BodyCtx {
            method: "GET".to_string(),
            path: format!("/raft/stream/{kind_name}/?"),
            serial: None,
            bytes: 0,
            report_end: true,
            trailers: BTreeMap::new(),
            peer,
        });
        side.state = State::Body(Framing::Chunked(Chunk::Data(size)));
    }

    fn on_head(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        head: &[u8],
        sink: &mut dyn EventSink,
    ) -> Result<(), &'static str> {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let start = lines.next().unwrap_or("");
        // Borrowed from the head: no allocation per header.
        let mut headers: Vec<Header<'_>> = Vec::new();
        for l in lines {
            if l.is_empty() {
                break;
            }
            if let Some(h) = split_header_str(l) {
                headers.push(h);
            }
        }
        match dir {
            Direction::ClientToServer => self.on_request(ts, start, &headers, sink),
            Direction::ServerToClient => self.on_response(ts, start, &headers, sink),
        }
    }

    fn on_request(
        &mut self,
        ts: Timestamp,
        start: &str,
        headers: &[Header<'_>],
        sink: &mut dyn EventSink,
    ) -> Result<(), &'static str> {
        let mut parts = start.split(' ').filter(|s| !s.is_empty());
        let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("malformed request line");
        };
        let framing = request_framing(headers)?;
        let get = |n: &str| header(headers, n).map(str::to_string);
        self.serial += 1;
        let serial = self.serial;
        let pending = Pending {
            serial,
            method: method.to_string(),
            path: path.to_string(),
            head_ts: ts,
            end_ts: None,
            upgrade: get("upgrade").map(|u| u.to_ascii_lowercase()),
            raft_to: get("x-raft-to"),
        };
        let body_bytes = match framing {
            Some(Framing::Length(n)) => Some(n),
            None => Some(0),
            _ => None,
        };
        let event = if self.ctx.wants.http1 {
            HttpEvent::HttpRequest {
                method: method.to_string(),
                path: path.to_string(),
                version: version.to_string(),
                host: get("host"),
                headers: selected(headers),
                body_bytes,
            }
        } else {
            HttpEvent::HttpOmitted {}
        };
        sink.emit(ts, Direction::ClientToServer, EventKind::Http(event));
        if self.ctx.wants.raft
            && let Some(from) = header(headers, "x-server-from")
            && self.announced_peer.as_deref() != Some(from)
            && let Some(ev) = raft::peer_from_headers(from, header(headers, "x-peerurls"))
        {
            self.announced_peer = Some(from.to_string());
            sink.emit(ts, Direction::ClientToServer, EventKind::Raft(ev));
        }
        let hold = pending.upgrade.is_some() || method == "CONNECT";
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(pending);
        let side = &mut self.sides[Direction::ClientToServer.index()];
        match framing {
            None => {
                if let Some(p) = self.pending.back_mut() {
                    p.end_ts = Some(ts);
                }
                side.state = if hold { State::Hold } else { State::Head };
            }
            Some(f) => {
                side.body = Some(BodyCtx {
                    method: method.to_string(),
                    path: path.to_string(),
                    serial: Some(serial),
                    bytes: 0,
                    report_end: matches!(f, Framing::Chunked(_)),
                    trailers: BTreeMap::new(),
                    peer: if self.ctx.wants.raft {
                        PeerBody::for_request(method, path)
                    } else {
                        None
                    },
                });
                side.state = State::Body(f);
            }
        }
        Ok(())
    }

    fn on_response(
        &mut self,
        ts: Timestamp,
        start: &str,
        headers: &[Header<'_>],
        sink: &mut dyn EventSink,
    ) -> Result<(), &'static str> {
        let mut parts = start.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..1000).contains(s))
            .ok_or("malformed status line")?;
        let reason = parts.next().unwrap_or("").trim().to_string();
        let get = |n: &str| header(headers, n).map(str::to_string);
        let interim = (100..200).contains(&status) && status != 101;
        let req = if interim {
            None
        } else {
            self.pending.pop_front()
        };
        let (method, path) = match (&req, self.pending.front()) {
            (Some(r), _) => (r.method.clone(), r.path.clone()),
            (None, Some(r)) if interim => (r.method.clone(), r.path.clone()),
            _ => ("?".to_string(), "?".to_string()),
        };
        let latency_ms = req
            .as_ref()
            .map(|r| ts.millis_since(r.end_ts.unwrap_or(r.head_ts)));
        let connect_ok = method == "CONNECT" && (200..300).contains(&status);
        let bodiless = method == "HEAD" || interim || status == 204 || status == 304;
        let framing = if bodiless || status == 101 || connect_ok {
            Framing::Length(0)
        } else if is_chunked(headers) {
            Framing::Chunked(Chunk::Size)
        } else if let Some(cl) = header(headers, "content-length") {
            Framing::Length(cl.trim().parse().map_err(|_| "bad content-length")?)
        } else {
            Framing::ToClose
        };
        let streaming = matches!(framing, Framing::Chunked(_) | Framing::ToClose);
        let event = if self.ctx.wants.http1 {
            HttpEvent::HttpResponse {
                status,
                reason,
                version: version.to_string(),
                method: method.clone(),
                path: path.clone(),
                latency_ms,
                content_type: get("content-type"),
                body_bytes: match framing {
                    Framing::Length(n) => Some(n),
                    _ => None,
                },
                streaming,
                interim,
                headers: selected(headers),
            }
        } else {
            HttpEvent::HttpOmitted {}
        };
        sink.emit(ts, Direction::ServerToClient, EventKind::Http(event));
        if interim {
            return Ok(());
        }
        let upgrade = req.as_ref().and_then(|r| r.upgrade.clone());
        if status == 101 || connect_ok {
            let protocol = if connect_ok {
                "connect".to_string()
            } else {
                get("upgrade")
                    .map(|u| u.to_ascii_lowercase())
                    .or(upgrade)
                    .unwrap_or_else(|| "unknown".to_string())
            };
            sink.emit(
                ts,
                Direction::ServerToClient,
                EventKind::Http(HttpEvent::HttpUpgrade {
                    protocol: protocol.clone(),
                    path: path.clone(),
                }),
            );
            let hint = if connect_ok {
                Some(None)
            } else if protocol == "h2c" {
                Some(Some(Protocol::Http2))
            } else {
                None
            };
            match hint {
                Some(h) => {
                    let mut inner = InnerDissector::new(self.conn, self.ctx.clone(), h);
                    // Bytes the client sent after its request, held so far.
                    let c = Direction::ClientToServer.index();
                    let held = std::mem::take(&mut self.sides[c].buf);
                    if !held.is_empty() {
                        inner.data(ts, Direction::ClientToServer, &held, sink);
                    }
                    self.tunnel = Some(inner);
                }
                None => {
                    for s in &mut self.sides {
                        s.state = State::Ignore;
                        s.buf.clear();
                    }
                }
            }
            return Ok(());
        }
        // The request wanted to switch and did not: the client's held bytes
        // are HTTP again.
        let c = Direction::ClientToServer.index();
        if self.sides[c].state == State::Hold {
            self.sides[c].state = State::Head;
        }
        let peer = if self.ctx.wants.raft {
            PeerBody::for_response(
                &method,
                &path,
                status,
                req.as_ref().and_then(|r| r.raft_to.as_deref()),
            )
        } else {
            None
        };
        if let Some(ev) = peer.as_ref().and_then(|p| p.stream_event(false)) {
            sink.emit(ts, Direction::ServerToClient, EventKind::Raft(ev));
        }
        let side = &mut self.sides[Direction::ServerToClient.index()];
        side.body = Some(BodyCtx {
            method,
            path,
            serial: None,
            bytes: 0,
            report_end: streaming,
            trailers: BTreeMap::new(),
            peer,
        });
        side.state = State::Body(framing);
        Ok(())
    }
}

impl Dissector for Http1Dissector {
    fn protocol(&self) -> Protocol {
        Protocol::Http1
    }

    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        if let Some(t) = self.tunnel.as_mut() {
            t.data(ts, dir, bytes, sink);
            return;
        }
        let i = dir.index();
        match self.sides[i].state {
            State::Ignore => return,
            State::Hold => {
                let side = &mut self.sides[i];
                if side.buf.len() + bytes.len() <= MAX_HEAD {
                    side.buf.extend_from_slice(bytes);
                    return;
                }
                // Held too much without an answer: treat it as HTTP again.
                side.state = State::Head;
            }
            _ => {}
        }
        self.pump(ts, dir, bytes, sink);
        // A response may have released the client's held bytes.
        let c = Direction::ClientToServer;
        if dir == Direction::ServerToClient
            && self.tunnel.is_none()
            && self.sides[c.index()].state == State::Head
            && !self.sides[c.index()].buf.is_empty()
        {
            self.pump(ts, c, &[], sink);
        }
    }

    fn gap(&mut self, ts: Timestamp, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        if let Some(t) = self.tunnel.as_mut() {
            t.gap(ts, dir, len, sink);
            return;
        }
        let i = dir.index();
        let side = &mut self.sides[i];
        // Inside body data the framing survives a gap: count and go on.
        let survived = match side.state {
            State::Body(Framing::Length(n)) if len <= n && side.buf.is_empty() => {
                side.state = State::Body(Framing::Length(n - len));
                true
            }
            State::Body(Framing::Chunked(Chunk::Data(n))) if len <= n && side.buf.is_empty() => {
                side.state = State::Body(Framing::Chunked(if n == len {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(n - len)
                }));
                true
            }
            State::Body(Framing::ToClose) => true,
            State::Ignore => true,
            _ => false,
        };
        if survived {
            if let Some(b) = side.body.as_mut() {
                b.bytes += len;
                if let Some(p) = b.peer.as_mut() {
                    p.lost();
                }
            }
            if side.state == State::Body(Framing::Length(0)) {
                self.finish_body(ts, dir, true, sink);
            }
            return;
        }
        if side.body.is_some() {
            self.finish_body(ts, dir, false, sink);
        }
        let side = &mut self.sides[i];
        side.buf.clear();
        self.desync(dir, "bytes lost in the capture", len);
    }

    fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        if let Some(t) = self.tunnel.as_mut() {
            t.end(ts, sink);
            return;
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let side = &self.sides[dir.index()];
            if side.body.is_some() {
                let complete = side.state == State::Body(Framing::ToClose);
                self.finish_body(ts, dir, complete, sink);
            }
        }
    }
}

enum Start {
    /// A request/status line starts at this offset.
    Line(usize),
    /// A Raft stream chunk (peer port, joined mid-stream): its size line
    /// starts at `at`, its data at `data_at`.
    Chunk {
        at: usize,
        data_at: usize,
        size: u64,
        kind: rafthttp::StreamKind,
    },
    /// Nothing certain yet: drop this many bytes and wait for more.
    Wait(usize),
}

enum Verdict {
    Yes,
    Maybe,
    No,
}

/// Is there a complete request (or status) line at the start of `b`?
fn start_line_at(b: &[u8], response: bool) -> Verdict {
    let end = b.iter().position(|&c| c == b'\n');
    let line = match end {
        Some(e) => b.get(..e).unwrap_or(&[]),
        None if b.len() > MAX_HEAD => return Verdict::No,
        None => b,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let ok_so_far = if response {
        plausible_status_line(line, end.is_some())
    } else {
        plausible_request_line(line, end.is_some())
    };
    match (ok_so_far, end.is_some()) {
        (true, true) => Verdict::Yes,
        (true, false) => Verdict::Maybe,
        _ => Verdict::No,
    }
}

/// `HTTP/1.x NNN reason`; `complete` false: `line` may still grow.
fn plausible_status_line(line: &[u8], complete: bool) -> bool {
    const P: &[u8] = b"HTTP/1.";
    if line.len() < P.len() {
        return !complete && P.starts_with(line);
    }
    if !line.starts_with(P) {
        return false;
    }
    let rest = line.get(P.len()..).unwrap_or(&[]);
    let want = [
        |c: u8| c == b'0' || c == b'1',
        |c: u8| c == b' ',
        |c: u8| c.is_ascii_digit(),
        |c: u8| c.is_ascii_digit(),
        |c: u8| c.is_ascii_digit(),
    ];
    for (k, ok) in want.iter().enumerate() {
        match rest.get(k) {
            Some(&c) if ok(c) => {}
            Some(_) => return false,
            None => return !complete,
        }
    }
    matches!(rest.get(5), None | Some(b' '))
}

/// `METHOD target HTTP/1.x`; `complete` false: `line` may still grow.
fn plausible_request_line(line: &[u8], complete: bool) -> bool {
    let mut it = line.splitn(3, |&c| c == b' ');
    let method = it.next().unwrap_or(&[]);
    let method_ok =
        |m: &[u8]| !m.is_empty() && m.len() <= 16 && m.iter().all(u8::is_ascii_uppercase);
    let Some(target) = it.next() else {
        return !complete && method.len() <= 16 && method.iter().all(u8::is_ascii_uppercase);
    };
    if !method_ok(method) {
        return false;
    }
    let Some(version) = it.next() else {
        return !complete && target.iter().all(|c| c.is_ascii_graphic());
    };
    if target.is_empty() || !target.iter().all(|c| c.is_ascii_graphic()) {
        return false;
    }
    const V: &[u8] = b"HTTP/1.";
    if complete {
        version.len() == V.len() + 1
            && version.starts_with(V)
            && matches!(version.last(), Some(b'0' | b'1'))
    } else if version.len() <= V.len() {
        V.starts_with(version)
    } else {
        version.starts_with(V) && version.len() == V.len() + 1
    }
}

enum ChunkGuess {
    Yes {
        data_at: usize,
        size: u64,
        kind: rafthttp::StreamKind,
    },
    Maybe,
    No,
}

/// A complete `hex\r\n<data>\r\n` chunk at the start of `b` whose data
/// looks like a rafthttp frame.
fn raft_chunk_at(b: &[u8]) -> ChunkGuess {
    let digits = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 8 {
        return ChunkGuess::No;
    }
    match b.get(digits..digits + 2) {
        Some(b"\r\n") => {}
        Some(_) => return ChunkGuess::No,
        None if b.get(digits).is_none_or(|&c| c == b'\r') => return ChunkGuess::Maybe,
        None => return ChunkGuess::No,
    }
    let Some(size) = std::str::from_utf8(b.get(..digits).unwrap_or(&[]))
        .ok()
        .and_then(|s| u64::from_str_radix(s, 16).ok())
    else {
        return ChunkGuess::No;
    };
    if size == 0 || size > MAX_HEAD as u64 {
        return ChunkGuess::No;
    }
    let data_at = digits + 2;
    let end = data_at + size as usize;
    let Some(data) = b.get(data_at..end) else {
        return ChunkGuess::Maybe;
    };
    match b.get(end..end + 2) {
        Some(b"\r\n") => {}
        None if b.len() < end + 2 => return ChunkGuess::Maybe,
        _ => return ChunkGuess::No,
    }
    match rafthttp::guess_stream_kind(data) {
        Some(kind) => ChunkGuess::Yes {
            data_at,
            size,
            kind,
        },
        None => ChunkGuess::No,
    }
}

/// Offset just past the blank line ending a header block.
fn find_head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(k) = b.get(i..)?.iter().position(|&c| c == b'\n') {
        let nl = i + k;
        match b.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

enum Line<'a> {
    Some(&'a [u8], usize),
    Wait,
    TooLong,
}

/// One line (without CR LF) and the bytes it used.
fn take_line(b: &[u8]) -> Line<'_> {
    match b.iter().position(|&c| c == b'\n') {
        Some(k) if k <= MAX_LINE => {
            let l = b.get(..k).unwrap_or(&[]);
            Line::Some(l.strip_suffix(b"\r").unwrap_or(l), k + 1)
        }
        Some(_) => Line::TooLong,
        None if b.len() > MAX_LINE => Line::TooLong,
        None => Line::Wait,
    }
}

fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    // The usual line, hex digits only (one per Raft message of a stream):
    // read at once, to the same value as the general path below.
    if (1..=15).contains(&line.len()) && line.iter().all(u8::is_ascii_hexdigit) {
        return Some(line.iter().fold(0u64, |n, &c| {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => c.wrapping_sub(b'A').wrapping_add(10),
            };
            (n << 4) | u64::from(d)
        }));
    }
    chunk_size_text(line)
}

/// A chunk-size line read as text: hex digits before any `;` extension,
/// trimmed, at most 15 of them.
fn chunk_size_text(line: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(line).ok()?;
    let hex = s.split(';').next()?.trim();
    if hex.is_empty() || hex.len() > 15 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

fn split_header(line: &[u8]) -> Option<(String, String)> {
    let k = line.iter().position(|&c| c == b':')?;
    let name = String::from_utf8_lossy(line.get(..k)?)
        .trim()
        .to_ascii_lowercase();
    let value = String::from_utf8_lossy(line.get(k + 1..)?)
        .trim()
        .to_string();
    (!name.is_empty()).then_some((name, value))
}

/// A header of a head: lower-case name (borrowed when it already was),
/// trimmed value.
type Header<'a> = (Cow<'a, str>, &'a str);

/// [`split_header`] on a head already made text, borrowing from it.
fn split_header_str(line: &str) -> Option<Header<'_>> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    let name = if name.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    (!name.is_empty()).then_some((name, value.trim()))
}

fn header<'a>(headers: &'a [Header<'_>], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn is_chunked(headers: &[Header<'_>]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|te| {
        te.rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    })
}

/// A request's body framing; None when it has no body.
fn request_framing(headers: &[Header<'_>]) -> Result<Option<Framing>, &'static str> {
    if is_chunked(headers) {
        return Ok(Some(Framing::Chunked(Chunk::Size)));
    }
    match header(headers, "content-length") {
        Some(cl) => {
            let n: u64 = cl.trim().parse().map_err(|_| "bad content-length")?;
            Ok((n > 0).then_some(Framing::Length(n)))
        }
        None => Ok(None),
    }
}

fn selected(headers: &[Header<'_>]) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(k, _)| SELECTED_HEADERS.contains(&k.as_ref()))
        .map(|(k, v)| (k.to_string(), (*v).to_string()))
        .collect()
}

fn side_name(dir: Direction) -> &'static str {
    match dir {
        Direction::ClientToServer => "request",
        Direction::ServerToClient => "response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits-only path reads what the text path reads, on every
    /// length and case of digits and on the lines it leaves to the text
    /// path.
    #[test]
    fn chunk_sizes_read_as_the_text_path_reads_them() {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for digits in [
            "0",
            "1",
            "a",
            "F",
            "10",
            "fF",
            "7fffffff",
            "123456789abcdef",
            "0123456789ABCDEF",
        ] {
            for cut in 0..=digits.len() {
                let d = &digits.as_bytes()[..cut];
                lines.push(d.to_vec());
                lines.push([d, b";ext=1"].concat());
                lines.push([b" ", d, b" "].concat());
                lines.push([b"+", d].concat());
                lines.push([d, b"g"].concat());
                lines.push([d, "\u{e9}".as_bytes()].concat());
            }
        }
        lines.push(vec![0xff, b'1']);
        for line in &lines {
            assert_eq!(parse_chunk_size(line), chunk_size_text(line), "{line:?}");
        }
        assert_eq!(parse_chunk_size(b"1aF"), Some(0x1af));
        assert_eq!(
            parse_chunk_size(b"123456789abcdef"),
            Some(0x0123_4567_89ab_cdef)
        );
        assert_eq!(parse_chunk_size(b"0123456789ABCDEF"), None);
    }
}

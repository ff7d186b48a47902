//! The connection table: one entry per TCP connection, who is client and
//! who is server, packet and byte counters, both directions' reassembly,
//! the protocol chosen for the connection and its dissector.
//!
//! Memory stays flat on any capture: closed connections leave the table a
//! short linger after their FIN/RST (so trailing ACKs still count), idle
//! ones are evicted, and each direction buffers at most
//! [`FlowConfig::max_buffered`] bytes of out-of-order data. A SYN on a
//! closed connection's ports, or a SYN with a new sequence number, starts a
//! new connection (port reuse).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, SocketAddr};

use rustc_hash::FxBuildHasher;
use serde::Serialize;

use super::decode::TcpSegment;
use super::tcp::{Chunk, Reassembler};
use crate::event::{End, Event, EventKind};
use crate::proto::{
    self, Component, ConnInfo, DecodeAs, Detection, Direction, Dissector, EventSink, Protocol,
};
use crate::timestamp::Timestamp;

/// Tunables of the connection table.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    /// Out-of-order bytes buffered per direction before a hole is skipped.
    pub max_buffered: usize,
    /// A connection with no packet for this long (capture time) is evicted.
    pub idle_timeout_ns: i64,
    /// How long a closed connection stays to collect trailing packets.
    pub linger_ns: i64,
    /// Protocols forced by port.
    pub decode_as: Vec<DecodeAs>,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_buffered: 1 << 20,
            idle_timeout_ns: 300 * 1_000_000_000,
            linger_ns: 10 * 1_000_000_000,
            decode_as: Vec::new(),
        }
    }
}

/// One finished connection, as `pcap flows` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowRecord {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub component: Component,
    pub protocol: Protocol,
    /// Packets in both directions.
    pub packets: u64,
    /// Sum of original frame lengths, both directions (tshark's conv bytes).
    pub bytes: u64,
    /// Payload bytes the client sent (stream bytes captured, without retransmissions).
    pub client_bytes: u64,
    /// Payload bytes the server sent.
    pub server_bytes: u64,
    pub start: Timestamp,
    pub duration_ms: f64,
    pub end: End,
    /// Stream bytes missing from the capture, both directions.
    pub gap_bytes: u64,
    pub client_packets: u64,
    pub server_packets: u64,
    pub client_frame_bytes: u64,
    pub server_frame_bytes: u64,
    /// Bytes seen again after they had already been seen.
    pub retransmitted_bytes: u64,
    /// True if the capture holds the SYN.
    pub handshake: bool,
}

/// Receives what the table produces.
pub trait Observer {
    fn event(&mut self, event: &Event);
    fn flow(&mut self, flow: &FlowRecord);
}

type Key = (SocketAddr, SocketAddr);

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

/// The state of choosing and running the connection's dissector.
struct App {
    protocol: Protocol,
    decided: bool,
    detect: [Vec<u8>; 2],
    verdict: [Detection; 2],
    /// Bytes a direction lost before the dissector existed.
    dropped: [u64; 2],
    dissector: Option<Box<dyn Dissector>>,
}

struct Conn {
    info: ConnInfo,
    app: App,
    streams: [Reassembler; 2],
    start: Timestamp,
    last: Timestamp,
    packets: [u64; 2],
    frame_bytes: [u64; 2],
    client_isn: Option<u32>,
    handshake: bool,
    fin: [bool; 2],
    rst: bool,
    closed_at: Option<Timestamp>,
    close_reported: bool,
}

/// Routes dissector and gap events to the observer with endpoints filled in.
struct Sink<'a> {
    info: ConnInfo,
    obs: &'a mut dyn Observer,
}

impl EventSink for Sink<'_> {
    fn emit(&mut self, ts: Timestamp, dir: Direction, kind: EventKind) {
        let (src, dst) = match dir {
            Direction::ClientToServer => (self.info.client, self.info.server),
            Direction::ServerToClient => (self.info.server, self.info.client),
        };
        self.obs.event(&Event {
            ts,
            src,
            dst,
            component: self.info.component,
            kind,
        });
    }
}

impl App {
    fn new(forced: Option<Protocol>, info: &ConnInfo) -> App {
        App {
            protocol: forced.unwrap_or(Protocol::Unknown),
            decided: forced.is_some(),
            detect: [Vec::new(), Vec::new()],
            verdict: [Detection::NeedMore, Detection::NeedMore],
            dropped: [0, 0],
            dissector: forced.and_then(|p| proto::dissector_for(p, info)),
        }
    }

    fn chunk(&mut self, ts: Timestamp, dir: Direction, chunk: Chunk<'_>, sink: &mut Sink<'_>) {
        match chunk {
            Chunk::Data { bytes, .. } => self.data(ts, dir, bytes, sink),
            Chunk::Gap { offset, len } => {
                sink.emit(
                    ts,
                    dir,
                    EventKind::Gap {
                        direction: dir,
                        offset,
                        bytes: len,
                    },
                );
                if let Some(d) = self.dissector.as_mut() {
                    d.gap(ts, dir, len, sink);
                } else if !self.decided {
                    self.dropped[dir.index()] += len;
                }
            }
        }
    }

    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut Sink<'_>) {
        if self.decided {
            if let Some(d) = self.dissector.as_mut() {
                d.data(ts, dir, bytes, sink);
            }
            return;
        }
        let i = dir.index();
        let buf = &mut self.detect[i];
        let had = buf.len();
        let room = proto::detect::DETECT_WINDOW.saturating_sub(had);
        buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.verdict[i] = proto::detect(buf);
        let found = match (self.verdict[0], self.verdict[1]) {
            (Detection::Found(p), _) | (_, Detection::Found(p)) => Some(p),
            (Detection::Unknown, Detection::Unknown) => Some(Protocol::Unknown),
            _ => None,
        };
        let Some(protocol) = found else {
            // Bytes beyond the window are lost to a later dissector.
            self.dropped[i] += (bytes.len() - room.min(bytes.len())) as u64;
            return;
        };
        self.decided = true;
        self.protocol = protocol;
        if protocol != Protocol::Unknown {
            sink.emit(
                ts,
                dir,
                EventKind::ProtocolDetected {
                    protocol,
                    by: "content",
                },
            );
        }
        self.dissector = proto::dissector_for(protocol, &sink.info);
        let detect = std::mem::take(&mut self.detect);
        if let Some(d) = self.dissector.as_mut() {
            for other in [dir.reverse(), dir] {
                let j = other.index();
                let buffered: &[u8] = if j == i {
                    &detect[j][..had]
                } else {
                    &detect[j]
                };
                if !buffered.is_empty() {
                    d.data(ts, other, buffered, sink);
                }
                if j == i {
                    d.data(ts, other, bytes, sink);
                } else if self.dropped[j] > 0 {
                    d.gap(ts, other, self.dropped[j], sink);
                }
            }
        }
    }
}

/// Undecodable and non-TCP packet counts, and totals.
#[derive(Debug, Default, Clone)]
pub struct TableStats {
    pub connections: u64,
    pub evicted_idle: u64,
    pub gap_bytes: u64,
}

/// The connection table. See the module documentation.
pub struct FlowTable {
    conns: HashMap<Key, Conn, FxBuildHasher>,
    config: FlowConfig,
    now: Timestamp,
    next_sweep: Option<Timestamp>,
    pub stats: TableStats,
}

const SWEEP_EVERY_NS: i64 = 1_000_000_000;

impl FlowTable {
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            conns: HashMap::with_hasher(FxBuildHasher),
            config,
            now: Timestamp(i64::MIN),
            next_sweep: None,
            stats: TableStats::default(),
        }
    }

    /// Connections currently tracked.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Feeds one TCP segment.
    pub fn tcp(
        &mut self,
        ts: Timestamp,
        origlen: u32,
        src: IpAddr,
        dst: IpAddr,
        seg: &TcpSegment<'_>,
        obs: &mut dyn Observer,
    ) {
        if ts > self.now {
            self.now = ts;
        }
        match self.next_sweep {
            Some(t) if self.now >= t => self.sweep(obs),
            None => self.next_sweep = Some(Timestamp(self.now.0.saturating_add(SWEEP_EVERY_NS))),
            _ => {}
        }
        let s = SocketAddr::new(src, seg.src_port);
        let d = SocketAddr::new(dst, seg.dst_port);
        let k = key(s, d);
        let new_client_syn = seg.flags.syn && !seg.flags.ack;
        if new_client_syn {
            if let Some(c) = self.conns.get(&k) {
                let reused = c.closed_at.is_some()
                    || c.client_isn.is_some_and(|isn| isn != seg.seq)
                    || (!c.handshake && c.streams.iter().any(|r| r.next_offset() > 0));
                if reused {
                    if let Some(old) = self.conns.remove(&k) {
                        self.finalize(old, self.now, obs);
                    }
                }
            }
        }
        let conn = match self.conns.entry(k) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let (client, server) = roles(s, d, seg);
                let component = Component::from_port(server.port())
                    .or_else(|| Component::from_port(client.port()))
                    .unwrap_or(Component::Other);
                let info = ConnInfo {
                    client,
                    server,
                    component,
                };
                let forced = forced_protocol(&self.config.decode_as, client, server);
                self.stats.connections += 1;
                obs.event(&Event {
                    ts,
                    src: client,
                    dst: server,
                    component,
                    kind: EventKind::ConnectionOpen {
                        handshake: seg.flags.syn,
                    },
                });
                if let Some(p) = forced {
                    obs.event(&Event {
                        ts,
                        src: client,
                        dst: server,
                        component,
                        kind: EventKind::ProtocolDetected {
                            protocol: p,
                            by: "decode-as",
                        },
                    });
                }
                v.insert(Conn {
                    info,
                    app: App::new(forced, &info),
                    streams: [
                        Reassembler::new(self.config.max_buffered),
                        Reassembler::new(self.config.max_buffered),
                    ],
                    start: ts,
                    last: ts,
                    packets: [0, 0],
                    frame_bytes: [0, 0],
                    client_isn: None,
                    handshake: seg.flags.syn,
                    fin: [false, false],
                    rst: false,
                    closed_at: None,
                    close_reported: false,
                })
            }
        };
        let dir = if s == conn.info.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let i = dir.index();
        conn.packets[i] += 1;
        conn.frame_bytes[i] += u64::from(origlen);
        if ts > conn.last {
            conn.last = ts;
        }
        if new_client_syn && dir == Direction::ClientToServer {
            conn.client_isn = Some(seg.seq);
            conn.handshake = true;
        }
        let Conn {
            info, app, streams, ..
        } = conn;
        let mut sink = Sink { info: *info, obs };
        {
            let (mine, theirs) = if i == 0 {
                let (a, b) = streams.split_at_mut(1);
                (&mut a[0], &mut b[0])
            } else {
                let (a, b) = streams.split_at_mut(1);
                (&mut b[0], &mut a[0])
            };
            mine.segment(
                seg.seq,
                seg.flags.syn,
                seg.flags.fin,
                seg.payload,
                seg.wire_len,
                &mut |c| app.chunk(ts, dir, c, &mut sink),
            );
            if seg.flags.ack && theirs.is_started() {
                theirs.peer_ack(seg.ack, &mut |c| app.chunk(ts, dir.reverse(), c, &mut sink));
            }
        }
        if seg.flags.fin {
            conn.fin[i] = true;
        }
        if seg.flags.rst {
            conn.rst = true;
        }
        if conn.closed_at.is_none() && (conn.rst || (conn.fin[0] && conn.fin[1])) {
            conn.closed_at = Some(ts);
            report_close(conn, ts, obs);
        }
    }

    /// Finishes connections that closed a while ago or went idle.
    fn sweep(&mut self, obs: &mut dyn Observer) {
        let now = self.now;
        self.next_sweep = Some(Timestamp(now.0.saturating_add(SWEEP_EVERY_NS)));
        let linger = self.config.linger_ns;
        let idle = self.config.idle_timeout_ns;
        let done: Vec<Key> = self
            .conns
            .iter()
            .filter(|(_, c)| match c.closed_at {
                Some(t) => now.0.saturating_sub(t.0) >= linger,
                None => now.0.saturating_sub(c.last.0) >= idle,
            })
            .map(|(k, _)| *k)
            .collect();
        for k in done {
            if let Some(c) = self.conns.remove(&k) {
                if c.closed_at.is_none() {
                    self.stats.evicted_idle += 1;
                }
                self.finalize(c, now, obs);
            }
        }
    }

    fn finalize(&mut self, mut c: Conn, now: Timestamp, obs: &mut dyn Observer) {
        {
            let Conn {
                info, app, streams, ..
            } = &mut c;
            let mut sink = Sink { info: *info, obs };
            for (i, r) in streams.iter_mut().enumerate() {
                let dir = if i == 0 {
                    Direction::ClientToServer
                } else {
                    Direction::ServerToClient
                };
                r.flush(&mut |ch| app.chunk(now, dir, ch, &mut sink));
            }
            if let Some(d) = app.dissector.as_mut() {
                d.end(now, &mut sink);
            }
        }
        if !c.close_reported {
            report_close(&mut c, now, obs);
        }
        let gap = c.streams[0].stats.gap_bytes + c.streams[1].stats.gap_bytes;
        self.stats.gap_bytes += gap;
        let record = FlowRecord {
            client: c.info.client,
            server: c.info.server,
            component: c.info.component,
            protocol: c.app.protocol,
            packets: c.packets[0] + c.packets[1],
            bytes: c.frame_bytes[0] + c.frame_bytes[1],
            client_bytes: c.streams[0].stats.delivered,
            server_bytes: c.streams[1].stats.delivered,
            start: c.start,
            duration_ms: c.last.millis_since(c.start),
            end: end_of(&c),
            gap_bytes: gap,
            client_packets: c.packets[0],
            server_packets: c.packets[1],
            client_frame_bytes: c.frame_bytes[0],
            server_frame_bytes: c.frame_bytes[1],
            retransmitted_bytes: c.streams[0].stats.retransmitted
                + c.streams[1].stats.retransmitted,
            handshake: c.handshake,
        };
        obs.flow(&record);
    }

    /// Ends every remaining connection (end of capture).
    pub fn finish(&mut self, obs: &mut dyn Observer) {
        let now = self.now;
        let mut rest: Vec<(Key, Conn)> = self.conns.drain().collect();
        rest.sort_by_key(|(_, c)| c.start);
        for (_, c) in rest {
            self.finalize(c, now, obs);
        }
    }
}

fn end_of(c: &Conn) -> End {
    if c.rst {
        End::Rst
    } else if c.fin[0] || c.fin[1] {
        End::Fin
    } else {
        End::Open
    }
}

fn report_close(c: &mut Conn, ts: Timestamp, obs: &mut dyn Observer) {
    c.close_reported = true;
    obs.event(&Event {
        ts,
        src: c.info.client,
        dst: c.info.server,
        component: c.info.component,
        kind: EventKind::ConnectionClose {
            end: end_of(c),
            packets: c.packets[0] + c.packets[1],
            client_bytes: c.streams[0].stats.delivered,
            server_bytes: c.streams[1].stats.delivered,
            duration_ms: c.last.millis_since(c.start),
        },
    });
}

/// Decides who is the client: the sender of a SYN, the receiver of a
/// SYN-ACK, else the side not on a well-known (or the lower) port.
fn roles(s: SocketAddr, d: SocketAddr, seg: &TcpSegment<'_>) -> (SocketAddr, SocketAddr) {
    if seg.flags.syn {
        return if seg.flags.ack { (d, s) } else { (s, d) };
    }
    let known = |a: &SocketAddr| Component::from_port(a.port()).is_some();
    match (known(&s), known(&d)) {
        (true, false) => (d, s),
        (false, true) => (s, d),
        _ => {
            if s.port() < d.port() {
                (d, s)
            } else {
                (s, d)
            }
        }
    }
}

/// The protocol `--decode-as` forces for a connection: the server's port
/// first, then the client's.
fn forced_protocol(
    decode_as: &[DecodeAs],
    client: SocketAddr,
    server: SocketAddr,
) -> Option<Protocol> {
    decode_as
        .iter()
        .find(|d| d.port == server.port())
        .or_else(|| decode_as.iter().find(|d| d.port == client.port()))
        .map(|d| d.protocol)
}

//! The connection table: one entry per TCP connection, who is client and
//! who is server, packet and byte counters, both directions' reassembly,
//! the protocol chosen for the connection and its dissector.
//!
//! Memory stays flat on any capture: closed connections leave the table a
//! short linger after their FIN/RST (so trailing ACKs still count), idle
//! ones are evicted (by a sweep once a second of capture time, or at once
//! when their next packet comes too late), at most
//! [`FlowConfig::max_connections`] are tracked at once (past it the least
//! recently active connection is finished early and counted in
//! [`TableStats::evicted_limit`]: a SYN flood costs bounded memory), and
//! each direction buffers at most [`FlowConfig::max_buffered`] bytes of
//! out-of-order data. A SYN on a closed connection's ports, or a SYN whose
//! sequence number differs from the connection's, starts a new connection
//! (port reuse); a retransmitted SYN does not.
//!
//! The sweep costs what expires, not the table size: connections sit in a
//! recency queue (an entry per packet, or the back entry refreshed when
//! the same connection sends again; stale entries are skipped, and
//! compacted away once they outnumber live ones two to one) and closed
//! ones in a queue ordered by close time, so each sweep pops only entries
//! old enough to expire. Connections live in a slab whose hash index
//! maps a connection's endpoints to its slot (12 bytes for two IPv4
//! endpoints); the queues name a connection by slot and id, so popping and
//! compacting them needs no hash lookup, and a packet of the same
//! connection as the one before it needs none either.
//!
//! Events are stamped with the latest capture time seen, so they come out
//! in time order even where a capture's timestamps step back; a flow's
//! `start` and `duration_ms` use the packets' own timestamps.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

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
    /// Connections tracked at once; past it the least recently active is
    /// finished early ([`TableStats::evicted_limit`]).
    pub max_connections: usize,
    /// Protocols forced by port.
    pub decode_as: Vec<DecodeAs>,
    /// Shared by every dissector of the run (key logs, display choices).
    pub context: Arc<proto::Context>,
}

/// Default [`FlowConfig::max_connections`]: 100,000 connections. Measured
/// (scripts/bench-hostile): 4 M SYNs to distinct 4-tuples peak at 266 MiB
/// with this limit (about 2.7 KiB per half-open connection, table and
/// queues included); a control-plane node rarely has more than a few
/// thousand connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 100_000;

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_buffered: 1 << 20,
            idle_timeout_ns: 300 * 1_000_000_000,
            linger_ns: 10 * 1_000_000_000,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            decode_as: Vec::new(),
            context: proto::Context::shared(),
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
    /// How the protocol was chosen: `content` (first bytes), `decode-as`,
    /// `port` (the component's usual protocol; no payload told), or `none`.
    pub protocol_by: &'static str,
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

/// Where an output of the table stands in the order of a single-threaded
/// run: every event and flow record the table produces after
/// [`Observer::order`] was called with a key, up to the next call, sorts
/// there (in the order produced). Keys only grow within one table, and
/// outputs of two tables that saw the same packets (each tracking its own
/// connections, see [`crate::net::shard`]) interleave by key into exactly
/// the output of one table tracking them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct OrderKey {
    /// Index of the TCP packet being handled (`u64::MAX` at the end).
    pub packet: u64,
    /// 0: a sweep finishing closed connections, 1: a sweep finishing idle
    /// ones, 2: the packet's own connection, 3: the end of the capture.
    pub phase: u8,
    /// Phase 3: the connection's start time.
    pub a: i64,
    /// Phase 0: the packet that closed the connection; 1: its last touch;
    /// 3: the packet that opened it.
    pub b: u64,
}

/// Receives what the table produces.
pub trait Observer {
    fn event(&mut self, event: &Event);
    /// An event the caller no longer needs (an observer that keeps events
    /// takes it without a copy).
    fn event_owned(&mut self, event: Event) {
        self.event(&event);
    }
    /// Where the next outputs stand (see [`OrderKey`]); most observers
    /// ignore it.
    fn order(&mut self, key: OrderKey) {
        let _ = key;
    }
    /// [`Observer::order`] for the outputs of TCP packet `packet`'s own
    /// connection (phase 2), called for every packet: the index alone is
    /// passed (in a register, not a 32-byte key through memory).
    fn order_packet(&mut self, packet: u64) {
        self.order(OrderKey {
            packet,
            phase: 2,
            a: 0,
            b: 0,
        });
    }
    /// The events this observer acts on, when it ignores most: a run on
    /// several threads drops the others where they are made (keeping only
    /// their earliest and latest time, see [`Observer::times_seen`]) instead
    /// of handing them over. `None`: every event.
    fn event_filter(&self) -> Option<fn(&Event) -> bool> {
        None
    }
    /// The optional decoding this observer's events can use: a view whose
    /// [`Observer::event_filter`] drops every event of a part turns it off
    /// (see [`proto::Wants`]). Everything by default.
    fn wants(&self) -> proto::Wants {
        proto::Wants::ALL
    }
    /// The earliest and latest time of events [`Observer::event_filter`]
    /// turned away (in a run on several threads; called once per batch,
    /// in no particular order with the events).
    fn times_seen(&mut self, first: Timestamp, last: Timestamp) {
        let _ = (first, last);
    }
    fn flow(&mut self, flow: &FlowRecord);
    /// Every TCP packet, before it is tracked (the report's traffic over
    /// time); most views ignore it.
    fn packet(&mut self, ts: Timestamp, origlen: u32, src_port: u16, dst_port: u16) {
        let _ = (ts, origlen, src_port, dst_port);
    }
}

/// A connection's two endpoints, the same both ways (the lower endpoint
/// first). Two IPv4 endpoints, the usual case, fit in 12 bytes hashed as
/// two words ([`Key4`]); anything else is kept exactly ([`Key6`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    V4(Key4),
    V6(Key6),
}

/// Both endpoints IPv4: the lower endpoint's address, the other's, and
/// `lo` port << 16 | `hi` port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key4 {
    lo: u32,
    hi: u32,
    ports: u32,
}

impl std::hash::Hash for Key4 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.lo) << 32 | u64::from(self.hi));
        state.write_u32(self.ports);
    }
}

/// Any other pair: each endpoint's address as 128 bits (an IPv4 address
/// in the low 32), the lower endpoint first, and in `ports` both ports and
/// which addresses are IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key6 {
    lo: u128,
    hi: u128,
    /// `lo` port << 32 | `hi` port << 16 | `lo` is IPv6 << 1 | `hi` is IPv6.
    ports: u64,
}

impl Key4 {
    /// The key of a packet from `src`:`src_port` to `dst`:`dst_port`, and
    /// whether its sender is the lower endpoint.
    #[inline]
    fn of(src: u32, src_port: u16, dst: u32, dst_port: u16) -> (Key4, bool) {
        let x = (src, src_port);
        let y = (dst, dst_port);
        let sender_lo = x <= y;
        let (lo, hi) = if sender_lo { (x, y) } else { (y, x) };
        let key = Key4 {
            lo: lo.0,
            hi: hi.0,
            ports: u32::from(lo.1) << 16 | u32::from(hi.1),
        };
        (key, sender_lo)
    }

    /// A packet's endpoints as sent (sender first), for [`Key4::ordered`]
    /// to make the key of later.
    #[inline]
    pub(crate) fn as_sent(src: u32, src_port: u16, dst: u32, dst_port: u16) -> Key4 {
        Key4 {
            lo: src,
            hi: dst,
            ports: u32::from(src_port) << 16 | u32::from(dst_port),
        }
    }

    /// The sender's address of endpoints as sent ([`Key4::as_sent`]).
    #[inline]
    pub(crate) fn sender_addr(&self) -> u32 {
        self.lo
    }

    /// The key of a packet whose endpoints are `self` as sent
    /// ([`Key4::as_sent`]), and whether its sender is the lower endpoint.
    #[inline]
    pub(crate) fn ordered(self) -> (Key4, bool) {
        Key4::of(
            self.lo,
            (self.ports >> 16) as u16,
            self.hi,
            self.ports as u16,
        )
    }

    /// The sender's port and the receiver's, for a packet whose sender is
    /// the lower endpoint if `sender_lo`.
    #[inline]
    pub(crate) fn ports(&self, sender_lo: bool) -> (u16, u16) {
        let (lo, hi) = ((self.ports >> 16) as u16, self.ports as u16);
        if sender_lo { (lo, hi) } else { (hi, lo) }
    }

    /// The lower endpoint and the other.
    fn endpoints(&self) -> (SocketAddr, SocketAddr) {
        let lo = SocketAddr::new(IpAddr::V4(self.lo.into()), (self.ports >> 16) as u16);
        let hi = SocketAddr::new(IpAddr::V4(self.hi.into()), self.ports as u16);
        (lo, hi)
    }
}

impl Key6 {
    /// The lower endpoint and the other.
    fn endpoints(&self) -> (SocketAddr, SocketAddr) {
        let addr = |bits: u128, v6: bool| {
            if v6 {
                IpAddr::V6(bits.into())
            } else {
                IpAddr::V4((bits as u32).into())
            }
        };
        let lo = SocketAddr::new(
            addr(self.lo, self.ports & 2 != 0),
            (self.ports >> 32) as u16,
        );
        let hi = SocketAddr::new(
            addr(self.hi, self.ports & 1 != 0),
            (self.ports >> 16) as u16,
        );
        (lo, hi)
    }
}

impl Key {
    /// The sender and the receiver of a packet with this key.
    fn endpoints(&self, sender_lo: bool) -> (SocketAddr, SocketAddr) {
        let (lo, hi) = match self {
            Key::V4(k) => k.endpoints(),
            Key::V6(k) => k.endpoints(),
        };
        if sender_lo { (lo, hi) } else { (hi, lo) }
    }
}

/// The key of a packet from `a` to `b`, and whether `a` is the lower
/// endpoint.
#[inline]
fn key(a: SocketAddr, b: SocketAddr) -> (Key, bool) {
    if let (SocketAddr::V4(a), SocketAddr::V4(b)) = (a, b) {
        let (k, a_lo) = Key4::of(u32::from(*a.ip()), a.port(), u32::from(*b.ip()), b.port());
        return (Key::V4(k), a_lo);
    }
    let word = |s: SocketAddr| match s.ip() {
        IpAddr::V4(ip) => (u128::from(u32::from(ip)), s.port(), false),
        IpAddr::V6(ip) => (u128::from(ip), s.port(), true),
    };
    let (x, y) = (word(a), word(b));
    let a_lo = x <= y;
    let (lo, hi) = if a_lo { (x, y) } else { (y, x) };
    let k = Key6 {
        lo: lo.0,
        hi: hi.0,
        ports: u64::from(lo.1) << 32
            | u64::from(hi.1) << 16
            | u64::from(lo.2) << 1
            | u64::from(hi.2),
    };
    (Key::V6(k), a_lo)
}

/// The slot of each tracked connection, by key: one small map per kind of
/// key.
#[derive(Default)]
struct Index {
    v4: HashMap<Key4, u32, FxBuildHasher>,
    v6: HashMap<Key6, u32, FxBuildHasher>,
}

impl Index {
    #[inline]
    fn get(&self, k: &Key) -> Option<u32> {
        match k {
            Key::V4(k) => self.v4.get(k).copied(),
            Key::V6(k) => self.v6.get(k).copied(),
        }
    }

    fn insert(&mut self, k: Key, slot: u32) {
        match k {
            Key::V4(k) => self.v4.insert(k, slot),
            Key::V6(k) => self.v6.insert(k, slot),
        };
    }

    fn remove(&mut self, k: &Key) {
        match k {
            Key::V4(k) => self.v4.remove(k),
            Key::V6(k) => self.v6.remove(k),
        };
    }

    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    fn clear(&mut self) {
        self.v4.clear();
        self.v6.clear();
    }
}

/// Builds a connection's dissector for a protocol ([`proto::dissector_for`]).
type MakeDissector = fn(Protocol, &ConnInfo, &Arc<proto::Context>) -> Option<Box<dyn Dissector>>;

/// Bytes kept per direction while the protocol is undecided, replayed to
/// the dissector once chosen (detection itself looks at the first
/// [`proto::detect::DETECT_WINDOW`]); anything beyond is replayed as a gap.
const REPLAY_LIMIT: usize = 64 * 1024;

/// The state of choosing and running the connection's dissector.
struct App {
    protocol: Protocol,
    decided: bool,
    /// Chosen by `--decode-as`.
    forced: bool,
    /// Chosen by the server's well-known port after the content told
    /// nothing (a connection captured mid-stream).
    by_port: bool,
    /// The capture joined the connection after its SYN: a direction that
    /// has said nothing may be the receiving end of a stream.
    mid_stream: bool,
    detect: [Vec<u8>; 2],
    verdict: [Detection; 2],
    /// While undecided, per direction: bytes lost (gaps) before the
    /// `detect` bytes, ...
    lost_before: [u64; 2],
    /// ... and bytes after them that were not kept (past the detection
    /// window, or anything after a gap): the dissector, once chosen, gets
    /// `gap(lost_before)`, `data(detect)`, `gap(lost_after)`, in stream order.
    lost_after: [u64; 2],
    dissector: Option<Box<dyn Dissector>>,
    /// Builds the dissector once the protocol is known (with the table's
    /// [`FlowConfig::context`], which the [`Sink`] carries: a connection
    /// holds no reference of its own, so opening and closing one touches
    /// no count shared with the other tracking thread).
    make: MakeDissector,
}

struct Conn {
    /// Its key in the table's index.
    key: Key,
    /// Whether the client is the key's lower endpoint: a packet goes to
    /// the server when its sender is on the same side.
    client_lo: bool,
    /// Unique per connection of the run (tells a queue entry for an old
    /// connection on the same ports from one for this one).
    id: u64,
    /// Sequence number of this connection's newest recency-queue entry.
    touch: u64,
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
    info: &'a ConnInfo,
    obs: &'a mut dyn Observer,
    /// The dissectors' shared context.
    context: &'a Arc<proto::Context>,
    /// The table's current time: an event a dissector dates earlier (a
    /// summary at the end of a connection, dated by its last record) is
    /// dated now, so the event stream stays in time order.
    floor: Timestamp,
}

impl EventSink for Sink<'_> {
    fn emit(&mut self, ts: Timestamp, dir: Direction, kind: EventKind) {
        if !self.context.wants.events {
            return;
        }
        let ts = ts.max(self.floor);
        let (src, dst) = match dir {
            Direction::ClientToServer => (self.info.client, self.info.server),
            Direction::ServerToClient => (self.info.server, self.info.client),
        };
        self.obs.event_owned(Event {
            ts,
            src,
            dst,
            component: self.info.component,
            kind,
        });
    }
}

impl App {
    fn new(
        forced: Option<Protocol>,
        info: &ConnInfo,
        context: &Arc<proto::Context>,
        mid_stream: bool,
    ) -> App {
        App {
            protocol: forced.unwrap_or(Protocol::Unknown),
            decided: forced.is_some(),
            forced: forced.is_some(),
            by_port: false,
            mid_stream,
            detect: [Vec::new(), Vec::new()],
            verdict: [Detection::NeedMore, Detection::NeedMore],
            lost_before: [0, 0],
            lost_after: [0, 0],
            dissector: forced.and_then(|p| proto::dissector_for(p, info, context)),
            make: proto::dissector_for,
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
                let i = dir.index();
                if let Some(d) = self.dissector.as_mut() {
                    d.gap(ts, dir, len, sink);
                } else if !self.decided {
                    if self.detect[i].is_empty() && self.lost_after[i] == 0 {
                        self.lost_before[i] += len;
                    } else {
                        self.lost_after[i] += len;
                    }
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
        if self.lost_after[i] > 0 {
            // Bytes after a loss cannot join the detection bytes.
            self.lost_after[i] += bytes.len() as u64;
            return;
        }
        let buf = &mut self.detect[i];
        let room = REPLAY_LIMIT.saturating_sub(buf.len());
        let take = room.min(bytes.len());
        buf.extend_from_slice(&bytes[..take]);
        self.lost_after[i] += (bytes.len() - take) as u64;
        self.verdict[i] = proto::detect(&buf[..buf.len().min(proto::detect::DETECT_WINDOW)]);
        // In a connection joined mid-way, a direction that has sent nothing
        // at all (the receiving end of a stream) does not hold the
        // decision back.
        let silent = |j: usize| {
            self.mid_stream
                && self.detect[j].is_empty()
                && self.lost_before[j] == 0
                && self.lost_after[j] == 0
        };
        let found = match (self.verdict[0], self.verdict[1]) {
            (Detection::Found(p), _) | (_, Detection::Found(p)) => Some(p),
            (Detection::Unknown, Detection::Unknown) => Some(Protocol::Unknown),
            (Detection::Unknown, Detection::NeedMore) if silent(1) => Some(Protocol::Unknown),
            (Detection::NeedMore, Detection::Unknown) if silent(0) => Some(Protocol::Unknown),
            _ => None,
        };
        let Some(mut protocol) = found else {
            return;
        };
        if protocol == Protocol::Unknown {
            if let Some(p) = sink.info.component.mid_stream_protocol() {
                protocol = p;
                self.by_port = true;
            }
        }
        self.decided = true;
        self.protocol = protocol;
        if protocol != Protocol::Unknown {
            sink.emit(
                ts,
                dir,
                EventKind::ProtocolDetected {
                    protocol,
                    by: if self.by_port { "port" } else { "content" },
                },
            );
        }
        self.dissector = (self.make)(protocol, sink.info, sink.context);
        let detect = std::mem::take(&mut self.detect);
        if let Some(d) = self.dissector.as_mut() {
            // Everything each direction had so far, in stream order.
            for other in [dir.reverse(), dir] {
                let j = other.index();
                if self.lost_before[j] > 0 {
                    d.gap(ts, other, self.lost_before[j], sink);
                }
                if !detect[j].is_empty() {
                    d.data(ts, other, &detect[j], sink);
                }
                if self.lost_after[j] > 0 {
                    d.gap(ts, other, self.lost_after[j], sink);
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
    /// Connections finished early because [`FlowConfig::max_connections`]
    /// were open.
    pub evicted_limit: u64,
    pub gap_bytes: u64,
}

/// The connection table. See the module documentation.
///
/// Connections live in a slab (`slots`, reused through `free`); the hash
/// index maps a [`Key`] to its slot, so it stays small and hot, and the
/// queues name a connection by slot and id, so popping or compacting them
/// needs no hash lookup.
pub struct FlowTable {
    /// The slot of each tracked connection.
    index: Index,
    /// The connections; `None` is a free slot (listed in `free`).
    slots: Vec<Option<Conn>>,
    /// Free slots, the most recently freed last.
    free: Vec<u32>,
    /// Recency queue, oldest first. An entry is live when the connection
    /// in its slot has its id and touch.
    recent: VecDeque<Recent>,
    /// Closed connections by close time. An entry is live when the
    /// connection in its slot has its id and `closed_at`.
    closed: VecDeque<Closed>,
    /// TCP packets seen ([`FlowTable::tcp`] and [`FlowTable::tick`]); the
    /// packet being handled has index `seen - 1`. A connection's id is the
    /// index of the packet that opened it; a touch is twice the packet's
    /// index (plus one when a sweep queues it again).
    seen: u64,
    config: FlowConfig,
    now: Timestamp,
    next_sweep: Option<Timestamp>,
    /// The slot of the previous packet's connection (`NO_SLOT`: none):
    /// the next packet is often of the same connection, whose key the
    /// slot then holds, and needs no hash lookup.
    last_slot: u32,
    /// Whether [`Observer::order_packet`] is called for each packet (off
    /// where nothing merges outputs by key: it is a call through the
    /// observer per packet).
    keyed: bool,
    pub stats: TableStats,
}

/// A recency-queue entry: the connection (slot and id), the sequence
/// number of the touch and the table time of it.
#[derive(Debug, Clone, Copy)]
struct Recent {
    slot: u32,
    id: u64,
    touch: u64,
    at: Timestamp,
}

/// A closed-queue entry: the connection (slot and id), its `closed_at`
/// and the index of the packet that closed it.
#[derive(Debug, Clone, Copy)]
struct Closed {
    slot: u32,
    id: u64,
    at: Timestamp,
    by: u64,
}

/// The slot of an entry whose connection went away before a handover
/// ([`FlowTable::absorb`]): never live.
const NO_SLOT: u32 = u32::MAX;

const SWEEP_EVERY_NS: i64 = 1_000_000_000;

impl FlowTable {
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            index: Index::default(),
            slots: Vec::new(),
            free: Vec::new(),
            recent: VecDeque::new(),
            closed: VecDeque::new(),
            seen: 0,
            config,
            now: Timestamp(i64::MIN),
            next_sweep: None,
            last_slot: NO_SLOT,
            keyed: true,
            stats: TableStats::default(),
        }
    }

    /// No [`Observer::order_packet`] per packet: for a table whose outputs
    /// are never merged with another's by [`OrderKey`] (the sweeps and the
    /// end still say where their outputs stand).
    pub fn without_packet_keys(mut self) -> Self {
        self.keyed = false;
        self
    }

    /// The dissectors' shared context.
    pub fn context(&self) -> std::sync::Arc<proto::Context> {
        self.config.context.clone()
    }

    /// Connections currently tracked.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// [`FlowConfig::max_connections`].
    pub fn max_connections(&self) -> usize {
        self.config.max_connections
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// The connection in `slot`, if it is connection `id`.
    #[inline]
    fn conn(&self, slot: u32, id: u64) -> Option<&Conn> {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .filter(|c| c.id == id)
    }

    /// Puts a new connection in a free slot and indexes it.
    fn insert(&mut self, conn: Conn) -> u32 {
        let key = conn.key;
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(s) = self.slots.get_mut(slot as usize) {
                    *s = Some(conn);
                }
                slot
            }
            None => {
                self.slots.push(Some(conn));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, slot);
        slot
    }

    /// Finishes the connection in `slot` where it lies (see [`finalize`])
    /// and frees the slot.
    fn finalize_slot(&mut self, slot: u32, now: Timestamp, obs: &mut dyn Observer) {
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let Some(c) = entry.as_mut() else {
            return;
        };
        finalize(&mut self.stats, &self.config.context, c, now, obs);
        self.index.remove(&c.key);
        *entry = None;
        self.free.push(slot);
    }

    /// A TCP packet of a connection another table tracks (see
    /// [`crate::net::shard`]): the clock advances and sweeps run exactly
    /// as if this table had handled the packet.
    #[inline]
    pub fn tick(&mut self, ts: Timestamp, obs: &mut dyn Observer) {
        self.begin(ts, obs);
    }

    /// [`FlowTable::tick`] for each of a run of packets, in order: the
    /// clock moves and the sweeps run at exactly the packets they would,
    /// with a call per sweep instead of per packet.
    pub fn tick_run(&mut self, times: &[Timestamp], obs: &mut dyn Observer) {
        let mut rest = times;
        while let Some(t) = self.next_sweep {
            // After every packet `now` is before the next sweep time, so
            // the first packet at or past it is where the sweep runs.
            let quiet = rest.iter().position(|ts| *ts >= t).unwrap_or(rest.len());
            let (before, after) = rest.split_at(quiet);
            self.seen += before.len() as u64;
            if let Some(latest) = before.iter().max() {
                self.now = self.now.max(*latest);
            }
            let Some((&at, after)) = after.split_first() else {
                return;
            };
            self.begin(at, obs);
            rest = after;
        }
        // No packet yet: the first one sets the sweep time.
        if let Some((&first, after)) = rest.split_first() {
            self.begin(first, obs);
            self.tick_run(after, obs);
        }
    }

    /// The start of every TCP packet: the table's clock and the sweep.
    #[inline]
    fn begin(&mut self, ts: Timestamp, obs: &mut dyn Observer) -> (Timestamp, u64) {
        let index = self.seen;
        self.seen += 1;
        if ts > self.now {
            self.now = ts;
        }
        // Events carry `now`, never earlier than an event already emitted.
        let now = self.now;
        match self.next_sweep {
            Some(t) if now >= t => self.sweep(index, obs),
            None => self.next_sweep = Some(Timestamp(now.0.saturating_add(SWEEP_EVERY_NS))),
            _ => {}
        }
        (now, index)
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
        let s = SocketAddr::new(src, seg.src_port);
        let d = SocketAddr::new(dst, seg.dst_port);
        let (k, sender_lo) = key(s, d);
        self.tcp_keyed(ts, origlen, k, sender_lo, seg, obs);
    }

    /// [`FlowTable::tcp`] for a segment between two IPv4 endpoints whose
    /// key was made beforehand ([`Key4::ordered`], on the reader thread or
    /// the tracking thread): the segment's ports are not read.
    #[inline]
    pub(crate) fn tcp_v4(
        &mut self,
        ts: Timestamp,
        origlen: u32,
        key: Key4,
        sender_lo: bool,
        seg: &TcpSegment<'_>,
        obs: &mut dyn Observer,
    ) {
        self.tcp_keyed(ts, origlen, Key::V4(key), sender_lo, seg, obs);
    }

    #[inline]
    fn tcp_keyed(
        &mut self,
        ts: Timestamp,
        origlen: u32,
        k: Key,
        sender_lo: bool,
        seg: &TcpSegment<'_>,
        obs: &mut dyn Observer,
    ) {
        let (now, index) = self.begin(ts, obs);
        if self.keyed {
            obs.order_packet(index);
        }
        let touch = index << 1;
        let id = index;
        // No hash lookup for a packet of the previous packet's connection
        // (its slot holds the key), one for another known connection; a
        // new one is inserted after making room.
        let cached = self
            .slots
            .get(self.last_slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|c| c.key == k);
        let found = if cached {
            Some(self.last_slot)
        } else {
            self.index.get(&k)
        };
        let slot = match found {
            Some(slot) => {
                if let Some(c) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) {
                    let replace = match expired(c, now, &self.config) {
                        Some(idle) => {
                            self.stats.evicted_idle += u64::from(idle);
                            true
                        }
                        None => starts_new_connection(c, c.client_lo == sender_lo, seg),
                    };
                    if replace {
                        let opened = open(&self.config, k, sender_lo, id, ts, seg);
                        let mut old = std::mem::replace(c, opened);
                        finalize(&mut self.stats, &self.config.context, &mut old, now, obs);
                        announce(&mut self.stats, &self.config.context, c, now, obs);
                    }
                }
                slot
            }
            None => {
                while self.index.len() >= self.config.max_connections.max(1) {
                    if !self.evict_least_recent(obs) {
                        break;
                    }
                }
                let slot = self.insert(open(&self.config, k, sender_lo, id, ts, seg));
                if let Some(c) = self.slots.get(slot as usize).and_then(Option::as_ref) {
                    announce(&mut self.stats, &self.config.context, c, now, obs);
                }
                slot
            }
        };
        self.last_slot = slot;
        let Some(conn) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        match self.recent.back_mut() {
            // The same connection again: refresh its entry in place.
            Some(back) if back.slot == slot && back.id == conn.id && back.touch == conn.touch => {
                back.touch = touch;
                back.at = now;
            }
            _ => self.recent.push_back(Recent {
                slot,
                id: conn.id,
                touch,
                at: now,
            }),
        }
        conn.touch = touch;
        let was_closed = conn.closed_at.is_some();
        let dir = if sender_lo == conn.client_lo {
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
        if seg.flags.syn && !seg.flags.ack && dir == Direction::ClientToServer {
            conn.client_isn = Some(seg.seq);
            conn.handshake = true;
        }
        let Conn {
            info, app, streams, ..
        } = conn;
        let mut sink = Sink {
            info,
            obs,
            context: &self.config.context,
            floor: now,
        };
        let [to_server, to_client] = streams;
        let (mine, theirs) = if i == 0 {
            (to_server, to_client)
        } else {
            (to_client, to_server)
        };
        mine.segment(
            seg.seq,
            seg.flags.syn,
            seg.flags.fin,
            seg.payload,
            seg.wire_len,
            &mut |c| app.chunk(now, dir, c, &mut sink),
        );
        if seg.flags.ack {
            if seg.flags.syn {
                // A SYN-ACK acknowledges the peer's SYN: its stream starts
                // there, even if the capture missed that SYN.
                theirs.start_at(seg.ack);
            }
            theirs.peer_ack(seg.ack, &mut |c| {
                app.chunk(now, dir.reverse(), c, &mut sink)
            });
        }
        if seg.flags.fin {
            conn.fin[i] = true;
        }
        if seg.flags.rst {
            conn.rst = true;
        }
        if conn.closed_at.is_none() && (conn.rst || (conn.fin[0] && conn.fin[1])) {
            conn.closed_at = Some(now);
            report_close(&self.config.context, conn, now, obs);
        }
        if !was_closed && conn.closed_at.is_some() {
            self.closed.push_back(Closed {
                slot,
                id: conn.id,
                at: now,
                by: index,
            });
        }
        if self.recent.len() > 2 * self.index.len() + 1024 {
            self.compact();
        }
    }

    /// Drops recency entries whose connection is gone or was touched
    /// since (amortised: runs when they outnumber live ones two to one).
    fn compact(&mut self) {
        let slots = &self.slots;
        self.recent.retain(|e| {
            slots
                .get(e.slot as usize)
                .and_then(Option::as_ref)
                .is_some_and(|c| c.id == e.id && c.touch == e.touch)
        });
    }

    /// Finishes the least recently active connection; false when the
    /// table is empty.
    fn evict_least_recent(&mut self, obs: &mut dyn Observer) -> bool {
        while let Some(e) = self.recent.pop_front() {
            if let Some(c) = self.conn(e.slot, e.id).filter(|c| c.touch == e.touch) {
                if c.closed_at.is_none() {
                    self.stats.evicted_limit += 1;
                }
                self.finalize_slot(e.slot, self.now, obs);
                return true;
            }
        }
        false
    }

    /// Finishes connections that closed a while ago or went idle.
    #[cold]
    #[inline(never)]
    fn sweep(&mut self, index: u64, obs: &mut dyn Observer) {
        let now = self.now;
        self.next_sweep = Some(Timestamp(now.0.saturating_add(SWEEP_EVERY_NS)));
        // Closed connections whose linger is over.
        let linger = self.config.linger_ns;
        while let Some(&e) = self.closed.front() {
            if now.0.saturating_sub(e.at.0) < linger {
                break;
            }
            self.closed.pop_front();
            let live = self
                .conn(e.slot, e.id)
                .is_some_and(|c| c.closed_at == Some(e.at));
            if live {
                obs.order(OrderKey {
                    packet: index,
                    phase: 0,
                    a: 0,
                    b: e.by,
                });
                self.finalize_slot(e.slot, now, obs);
            }
        }
        // Connections with no packet for the idle timeout: their newest
        // touch is at least that old (touch times never step back).
        let idle = self.config.idle_timeout_ns;
        while let Some(&e) = self.recent.front() {
            if now.0.saturating_sub(e.at.0) < idle {
                break;
            }
            self.recent.pop_front();
            let expiry = match self.conn(e.slot, e.id) {
                Some(c) if c.touch == e.touch => expired(c, now, &self.config),
                _ => continue,
            };
            match expiry {
                Some(was_idle) => {
                    obs.order(OrderKey {
                        packet: index,
                        phase: 1,
                        a: 0,
                        b: e.touch,
                    });
                    self.stats.evicted_idle += u64::from(was_idle);
                    self.finalize_slot(e.slot, now, obs);
                }
                // Not expired after all (its packets carried later
                // timestamps than the table time of the touch): queue it
                // again.
                None => {
                    let touch = (index << 1) | 1;
                    if let Some(c) = self.slots.get_mut(e.slot as usize).and_then(Option::as_mut) {
                        c.touch = touch;
                    }
                    self.recent.push_back(Recent {
                        touch,
                        at: now,
                        ..e
                    });
                }
            }
        }
    }

    /// Ends every remaining connection (end of capture).
    pub fn finish(&mut self, obs: &mut dyn Observer) {
        let now = self.now;
        self.recent.clear();
        self.closed.clear();
        let slots = &self.slots;
        let mut rest: Vec<(Timestamp, u64, u32)> = (0..slots.len() as u32)
            .filter_map(|s| slots.get(s as usize)?.as_ref().map(|c| (c.start, c.id, s)))
            .collect();
        // By start time, then in the order they opened.
        rest.sort_unstable();
        for (start, id, slot) in rest {
            obs.order(OrderKey {
                packet: u64::MAX,
                phase: 3,
                a: start.0,
                b: id,
            });
            self.finalize_slot(slot, now, obs);
        }
        self.slots.clear();
        self.free.clear();
        self.index.clear();
    }

    /// Takes over every connection of `other`, a table that saw the same
    /// packets (its own connections through [`FlowTable::tcp`], the others
    /// through [`FlowTable::tick`]) while this one tracked the rest: from
    /// here on this table behaves as one table that tracked them all. Only
    /// valid while no sweep has queued a connection again (the idle timeout
    /// is at least the linger), which keeps both queues ordered by packet.
    pub fn absorb(&mut self, other: FlowTable) {
        let FlowTable {
            slots,
            mut recent,
            mut closed,
            now,
            stats,
            ..
        } = other;
        // Where each of `other`'s slots goes in this table.
        let mut moved = vec![NO_SLOT; slots.len()];
        for (old, c) in slots.into_iter().enumerate() {
            if let (Some(c), Some(m)) = (c, moved.get_mut(old)) {
                *m = self.insert(c);
            }
        }
        let to = |slot: u32| moved.get(slot as usize).copied().unwrap_or(NO_SLOT);
        recent.iter_mut().for_each(|e| e.slot = to(e.slot));
        closed.iter_mut().for_each(|e| e.slot = to(e.slot));
        self.recent = merge_by(std::mem::take(&mut self.recent), recent, |e| e.touch);
        self.closed = merge_by(std::mem::take(&mut self.closed), closed, |e| e.by);
        self.now = self.now.max(now);
        self.stats.connections += stats.connections;
        self.stats.evicted_idle += stats.evicted_idle;
        self.stats.evicted_limit += stats.evicted_limit;
        self.stats.gap_bytes += stats.gap_bytes;
    }
}

/// Two queues ordered by `by`, as one.
fn merge_by<T, K: Ord>(a: VecDeque<T>, b: VecDeque<T>, by: impl Fn(&T) -> K) -> VecDeque<T> {
    let mut out = VecDeque::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => by(x) <= by(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next);
    }
    out
}

/// A new connection's entry, for the segment that opens it (sent by the
/// key's lower endpoint if `sender_lo`).
fn open(
    config: &FlowConfig,
    key: Key,
    sender_lo: bool,
    id: u64,
    ts: Timestamp,
    seg: &TcpSegment<'_>,
) -> Conn {
    let (s, d) = key.endpoints(sender_lo);
    let (client, server) = roles(s, d, seg);
    // Equal endpoints (a connection to itself) count as the client's.
    let client_lo = if client == s { sender_lo } else { !sender_lo };
    let component = Component::from_port(server.port())
        .or_else(|| Component::from_port(client.port()))
        .unwrap_or(Component::Other);
    let info = ConnInfo {
        client,
        server,
        component,
    };
    let forced = forced_protocol(&config.decode_as, client, server);
    Conn {
        key,
        client_lo,
        id,
        touch: 0,
        info,
        app: App::new(forced, &info, &config.context, !seg.flags.syn),
        streams: [
            Reassembler::new(config.max_buffered),
            Reassembler::new(config.max_buffered),
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
    }
}

/// Counts a connection just opened and tells the observer (through a
/// [`Sink`], which makes no event when the view wants none).
fn announce(
    stats: &mut TableStats,
    context: &Arc<proto::Context>,
    c: &Conn,
    now: Timestamp,
    obs: &mut dyn Observer,
) {
    stats.connections += 1;
    let mut sink = Sink {
        info: &c.info,
        obs,
        context,
        floor: now,
    };
    let kind = EventKind::ConnectionOpen {
        handshake: c.handshake,
    };
    sink.emit(now, Direction::ClientToServer, kind);
    // Decided before any byte arrived: forced by `--decode-as`.
    if c.app.decided {
        let kind = EventKind::ProtocolDetected {
            protocol: c.app.protocol,
            by: "decode-as",
        };
        sink.emit(now, Direction::ClientToServer, kind);
    }
}

/// `Some(idle)` when the connection is done with: closed and past its
/// linger (`false`), or idle past the timeout (`true`).
fn expired(c: &Conn, now: Timestamp, config: &FlowConfig) -> Option<bool> {
    match c.closed_at {
        Some(t) => (now.0.saturating_sub(t.0) >= config.linger_ns).then_some(false),
        None => (now.0.saturating_sub(c.last.0) >= config.idle_timeout_ns).then_some(true),
    }
}

/// True if `seg`, sent from `s`, opens a new connection on the ports of
/// `c`: a SYN (or SYN-ACK) after the close, or with a sequence number other
/// than the one this side's stream started with. A retransmitted SYN keeps
/// its sequence number.
fn starts_new_connection(c: &Conn, from_client: bool, seg: &TcpSegment<'_>) -> bool {
    if !seg.flags.syn {
        return false;
    }
    if c.closed_at.is_some() {
        return true;
    }
    let i = if from_client { 0 } else { 1 };
    if i == 0 && !seg.flags.ack {
        if let Some(isn) = c.client_isn {
            return isn != seg.seq;
        }
    }
    match c.streams[i].base() {
        Some(base) => base != seg.seq.wrapping_add(1),
        // Nothing to compare with: the same connection if it began with its
        // handshake (a SYN after the SYN-ACK in a reordered capture), a new
        // one after a connection seen mid-stream.
        None => !c.handshake,
    }
}

/// Flushes both directions, ends the dissector and reports the flow.
fn finalize(
    stats: &mut TableStats,
    context: &Arc<proto::Context>,
    c: &mut Conn,
    now: Timestamp,
    obs: &mut dyn Observer,
) {
    {
        let Conn {
            info, app, streams, ..
        } = &mut *c;
        let mut sink = Sink {
            info,
            obs,
            context,
            floor: now,
        };
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
        report_close(context, c, now, obs);
    }
    let gap = c.streams[0].stats.gap_bytes + c.streams[1].stats.gap_bytes;
    stats.gap_bytes += gap;
    if c.app.protocol == Protocol::Unknown {
        // TLS found later, after a plaintext prefix (STARTTLS).
        if let Some(d) = &c.app.dissector {
            c.app.protocol = d.protocol();
        }
    }
    let (protocol, protocol_by) = if c.app.decided {
        let by = if c.app.forced {
            "decode-as"
        } else if c.app.by_port {
            "port"
        } else if c.app.protocol == Protocol::Unknown {
            "none"
        } else {
            "content"
        };
        (c.app.protocol, by)
    } else {
        match c.info.component.usual_protocol() {
            Some(p) => (p, "port"),
            None => (Protocol::Unknown, "none"),
        }
    };
    let record = FlowRecord {
        client: c.info.client,
        server: c.info.server,
        component: c.info.component,
        protocol,
        protocol_by,
        packets: c.packets[0] + c.packets[1],
        bytes: c.frame_bytes[0] + c.frame_bytes[1],
        client_bytes: c.streams[0].stats.delivered,
        server_bytes: c.streams[1].stats.delivered,
        start: c.start,
        duration_ms: c.last.millis_since(c.start),
        end: end_of(c),
        gap_bytes: gap,
        client_packets: c.packets[0],
        server_packets: c.packets[1],
        client_frame_bytes: c.frame_bytes[0],
        server_frame_bytes: c.frame_bytes[1],
        retransmitted_bytes: c.streams[0].stats.retransmitted + c.streams[1].stats.retransmitted,
        handshake: c.handshake,
    };
    obs.flow(&record);
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

fn report_close(
    context: &Arc<proto::Context>,
    c: &mut Conn,
    ts: Timestamp,
    obs: &mut dyn Observer,
) {
    c.close_reported = true;
    let kind = EventKind::ConnectionClose {
        end: end_of(c),
        packets: c.packets[0] + c.packets[1],
        client_bytes: c.streams[0].stats.delivered,
        server_bytes: c.streams[1].stats.delivered,
        duration_ms: c.last.millis_since(c.start),
    };
    let mut sink = Sink {
        info: &c.info,
        obs,
        context,
        floor: ts,
    };
    sink.emit(ts, Direction::ClientToServer, kind);
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::net::decode::TcpFlags;

    thread_local! {
        static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// A connection's key is the same both ways and tells apart what two
    /// `SocketAddr` pairs tell apart (swapped ports, an IPv4 address and
    /// the same address IPv4-mapped, other addresses).
    #[test]
    fn connection_keys() {
        let sa = |s: &str| s.parse::<SocketAddr>().expect("address");
        let all = [
            ("10.0.0.1:2379", "10.0.0.2:40000"),
            ("10.0.0.1:40000", "10.0.0.2:2379"),
            ("10.0.0.2:2379", "10.0.0.1:40000"),
            ("[::ffff:10.0.0.1]:2379", "[::ffff:10.0.0.2]:40000"),
            ("[fe80::1]:2379", "[fe80::2]:40000"),
            ("10.0.0.1:2379", "10.0.0.1:2380"),
            ("10.0.0.1:2380", "10.0.0.1:2379"),
        ];
        for (i, (a, b)) in all.iter().enumerate() {
            let (a, b) = (sa(a), sa(b));
            let (ab, a_lo) = key(a, b);
            let (ba, b_lo) = key(b, a);
            assert_eq!(ab, ba);
            assert_ne!(a_lo, b_lo, "{i}");
            // The key gives the endpoints back, each on its side.
            assert_eq!(ab.endpoints(a_lo), (a, b), "{i}");
            assert_eq!(ab.endpoints(b_lo), (b, a), "{i}");
            for (j, (c, d)) in all.iter().enumerate() {
                let (c, d) = (sa(c), sa(d));
                let same_pair = (a, b) == (c, d) || (a, b) == (d, c);
                assert_eq!(key(a, b).0 == key(c, d).0, same_pair, "{i} {j}");
                let twins = [(1, 2), (2, 1), (5, 6), (6, 5)];
                assert_eq!(same_pair, i == j || twins.contains(&(i, j)));
            }
        }
    }

    /// Finished flows: client, packets, how it ended.
    #[derive(Default)]
    struct Flows(Vec<(String, u64, End)>);
    impl Observer for Flows {
        fn event(&mut self, _: &Event) {}
        fn flow(&mut self, f: &FlowRecord) {
            self.0.push((f.client.to_string(), f.packets, f.end));
        }
    }

    /// A slot freed by one connection and taken by another is not
    /// confused with the first: its stale recency entry is skipped when
    /// the next connection is evicted, and a packet of the first
    /// connection's ports right after one of the slot's new connection is
    /// not counted to it (the previous packet's slot is only a hint).
    /// The rule — past the limit the least recently active connection is
    /// finished — is the module's (`FlowConfig::max_connections`).
    #[test]
    fn reused_slots_keep_connections_apart() {
        let config = FlowConfig {
            max_connections: 2,
            ..FlowConfig::default()
        };
        let mut table = FlowTable::new(config);
        let mut obs = Flows::default();
        let server: IpAddr = "10.0.0.9".parse().expect("address");
        let syn = TcpFlags {
            syn: true,
            ..TcpFlags::default()
        };
        let ack = TcpFlags {
            ack: true,
            ..TcpFlags::default()
        };
        let mut send = |table: &mut FlowTable, n: u8, flags: TcpFlags, second: i64| {
            let client = IpAddr::from([10, 0, 0, n]);
            let seg = TcpSegment {
                src_port: 40000,
                dst_port: 2379,
                seq: 1000,
                ack: 1,
                flags,
                payload: b"",
                wire_len: 0,
            };
            let ts = Timestamp(second * 1_000_000_000);
            table.tcp(ts, 60, client, server, &seg, &mut obs);
        };
        send(&mut table, 1, syn, 1); // A opens
        send(&mut table, 2, syn, 2); // B opens
        send(&mut table, 1, ack, 3); // A again: B is the least recent
        send(&mut table, 3, syn, 4); // C: B finished, C takes its slot
        send(&mut table, 2, ack, 5); // B's ports again: a new connection, A finished
        send(&mut table, 2, ack, 6); // the same new connection
        table.finish(&mut obs);
        let want = [
            ("10.0.0.2:40000", 1, End::Open),
            ("10.0.0.1:40000", 2, End::Open),
            ("10.0.0.3:40000", 1, End::Open),
            ("10.0.0.2:40000", 2, End::Open),
        ];
        let got: Vec<(&str, u64, End)> =
            obs.0.iter().map(|(c, n, e)| (c.as_str(), *n, *e)).collect();
        assert_eq!(got, want);
        assert_eq!(table.stats.connections, 4);
        assert_eq!(table.stats.evicted_limit, 2);
        assert!(table.is_empty());
    }

    /// Logs what it is given.
    struct Recording;

    fn side(dir: Direction) -> &'static str {
        match dir {
            Direction::ClientToServer => "c",
            Direction::ServerToClient => "s",
        }
    }

    impl Dissector for Recording {
        fn protocol(&self) -> Protocol {
            Protocol::Http1
        }
        fn data(&mut self, _: Timestamp, dir: Direction, bytes: &[u8], _: &mut dyn EventSink) {
            let text = String::from_utf8_lossy(bytes);
            LOG.with(|l| l.borrow_mut().push(format!("data {} {text}", side(dir))));
        }
        fn gap(&mut self, _: Timestamp, dir: Direction, len: u64, _: &mut dyn EventSink) {
            LOG.with(|l| l.borrow_mut().push(format!("gap {} {len}", side(dir))));
        }
    }

    fn recording(_: Protocol, _: &ConnInfo, _: &Arc<proto::Context>) -> Option<Box<dyn Dissector>> {
        Some(Box::new(Recording))
    }

    struct Events(Vec<Event>);
    impl Observer for Events {
        fn event(&mut self, e: &Event) {
            self.0.push(e.clone());
        }
        fn flow(&mut self, _: &FlowRecord) {}
    }

    /// What a direction had before the protocol was known reaches the
    /// dissector in stream order, gaps included.
    #[test]
    fn dissector_gets_the_undecided_bytes_and_gaps_in_stream_order() {
        let info = ConnInfo {
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "10.0.0.2:8080".parse().unwrap(),
            component: Component::Other,
        };
        let ctx = proto::Context::shared();
        let mut app = App::new(None, &info, &ctx, false);
        app.make = recording;
        let mut obs = Events(Vec::new());
        let mut sink = Sink {
            info: &info,
            obs: &mut obs,
            context: &ctx,
            floor: Timestamp(i64::MIN),
        };
        let ts = Timestamp(0);
        let (c, s) = (Direction::ClientToServer, Direction::ServerToClient);
        let gap = |offset, len| Chunk::Gap { offset, len };
        let data = |offset, bytes| Chunk::Data { offset, bytes };
        app.chunk(ts, c, gap(0, 10), &mut sink);
        app.chunk(ts, c, data(10, b"xyz"), &mut sink); // no protocol: Unknown
        app.chunk(ts, c, gap(13, 5), &mut sink);
        app.chunk(ts, c, data(18, b"more"), &mut sink);
        app.chunk(ts, s, gap(0, 3), &mut sink);
        app.chunk(ts, s, data(3, b"HTTP/1."), &mut sink); // decides: HTTP/1
        app.chunk(ts, c, data(22, b"after"), &mut sink);
        assert!(app.decided);
        assert_eq!(app.protocol, Protocol::Http1);
        let log = LOG.with(|l| l.take());
        assert_eq!(
            log,
            [
                "gap c 10",
                "data c xyz",
                "gap c 9",
                "gap s 3",
                "data s HTTP/1.",
                "data c after"
            ]
        );
        let gaps = obs.0.iter().filter(|e| e.kind.name() == "gap").count();
        assert_eq!(gaps, 3);
    }

    /// A stream joined mid-way whose sending side says nothing
    /// recognisable is decided at once by its port (the receiving side is
    /// silent), and every byte seen so far reaches the dissector, not just
    /// the detection window.
    #[test]
    fn a_mid_stream_peer_stream_is_decided_by_port_with_its_bytes() {
        let info = ConnInfo {
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "10.0.0.2:2380".parse().unwrap(),
            component: Component::EtcdPeer,
        };
        let ctx = proto::Context::shared();
        let mut app = App::new(None, &info, &ctx, true);
        app.make = recording;
        let mut obs = Events(Vec::new());
        let mut sink = Sink {
            info: &info,
            obs: &mut obs,
            context: &ctx,
            floor: Timestamp(i64::MIN),
        };
        let junk = vec![b'q'; 300];
        app.chunk(
            Timestamp(0),
            Direction::ServerToClient,
            Chunk::Data {
                offset: 0,
                bytes: &junk,
            },
            &mut sink,
        );
        assert!(app.decided);
        assert_eq!(app.protocol, Protocol::Http1);
        assert!(app.by_port);
        let log = LOG.with(|l| l.take());
        assert_eq!(log, [format!("data s {}", "q".repeat(300))]);
        // Joined from the SYN, the same bytes wait for the other side.
        let mut app = App::new(None, &info, &ctx, false);
        app.make = recording;
        app.chunk(
            Timestamp(0),
            Direction::ServerToClient,
            Chunk::Data {
                offset: 0,
                bytes: &junk,
            },
            &mut sink,
        );
        assert!(!app.decided);
    }
}

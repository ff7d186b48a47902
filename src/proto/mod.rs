//! Stream dissectors and how a connection gets one.
//!
//! This module owns the [`Dissector`] interface that every protocol decoder
//! (TLS, HTTP/1.1, HTTP/2, gRPC, etcd Raft) implements, the choice of
//! protocol for a connection (forced with `--decode-as`, else by content —
//! TLS record header, HTTP/2 preface, HTTP/1 request or status line — with
//! the well-known port as a fallback), and the labelling of connections by
//! control-plane component.

pub mod detect;
pub mod etcd_rpc;
pub mod grpc;
pub mod http1;
pub mod http2;
pub mod raft;
pub mod tls;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::event::EventKind;
use crate::timestamp::Timestamp;

pub use detect::{Detection, detect};

/// Which way bytes travel on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    pub fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }

    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }
}

/// Application protocol of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Tls,
    Http1,
    Http2,
    Grpc,
    EtcdRaft,
    #[value(skip)]
    Unknown,
}

impl Protocol {
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Tls => "tls",
            Protocol::Http1 => "http1",
            Protocol::Http2 => "http2",
            Protocol::Grpc => "grpc",
            Protocol::EtcdRaft => "etcd-raft",
            Protocol::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The control-plane component a connection talks to, by its server port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    EtcdClient,
    EtcdPeer,
    KubeApiserver,
    Kubelet,
    ControllerManager,
    Scheduler,
    KubeProxy,
    Other,
}

impl Component {
    /// The component listening on a well-known port, if any. Besides
    /// kubeadm's ports, the second and third members of `kinspect lab
    /// etcd` (one loopback address, ports 22379/22380 and 32379/32380)
    /// are etcd too, so captures of the lab read like a real cluster's.
    pub fn from_port(port: u16) -> Option<Component> {
        Some(match port {
            2379 | 22379 | 32379 => Component::EtcdClient,
            2380 | 22380 | 32380 => Component::EtcdPeer,
            6443 => Component::KubeApiserver,
            10250 => Component::Kubelet,
            10257 => Component::ControllerManager,
            10259 => Component::Scheduler,
            10256 => Component::KubeProxy,
            _ => return None,
        })
    }

    pub const fn name(self) -> &'static str {
        match self {
            Component::EtcdClient => "etcd-client",
            Component::EtcdPeer => "etcd-peer",
            Component::KubeApiserver => "kube-apiserver",
            Component::Kubelet => "kubelet",
            Component::ControllerManager => "controller-manager",
            Component::Scheduler => "scheduler",
            Component::KubeProxy => "kube-proxy",
            Component::Other => "other",
        }
    }

    /// The protocol this component's port usually carries when the bytes
    /// cannot tell (a capture that starts mid-stream).
    pub fn usual_protocol(self) -> Option<Protocol> {
        match self {
            Component::KubeApiserver
            | Component::Kubelet
            | Component::ControllerManager
            | Component::Scheduler => Some(Protocol::Tls),
            _ => None,
        }
    }
}

impl Component {
    /// The protocol to try when a connection's first bytes (captured
    /// mid-stream) match nothing: the dissector then resynchronises on its
    /// own frame boundaries. etcd's client port is gRPC (HTTP/2) when not
    /// TLS; its peer port is HTTP/1.1 when not TLS.
    pub fn mid_stream_protocol(self) -> Option<Protocol> {
        match self {
            Component::EtcdClient => Some(Protocol::Http2),
            Component::EtcdPeer => Some(Protocol::Http1),
            other => other.usual_protocol(),
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a dissector's events go. The connection layer fills in time and
/// endpoints; a dissector only says what it saw.
pub trait EventSink {
    fn emit(&mut self, ts: Timestamp, dir: Direction, kind: EventKind);
}

/// The connection a dissector is attached to.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub component: Component,
}

/// An incremental decoder for one connection's two byte streams.
///
/// The TCP layer calls `data` with each direction's bytes in order, as they
/// become available (any split: a record may arrive a byte at a time), and
/// `gap` where the capture lost bytes; a dissector must resynchronise or
/// give up on that direction, never stall or panic.
pub trait Dissector: Send {
    fn protocol(&self) -> Protocol;
    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink);
    fn gap(&mut self, ts: Timestamp, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        let _ = (ts, dir, len, sink);
    }
    fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        let _ = (ts, sink);
    }
}

/// A protocol forced for a port by `--decode-as PORT=PROTO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeAs {
    pub port: u16,
    pub protocol: Protocol,
}

impl std::str::FromStr for DecodeAs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (port, proto) = s
            .split_once('=')
            .ok_or_else(|| format!("expected PORT=PROTO, got {s:?}"))?;
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("{port:?} is not a port number (1-65535)"))?;
        let protocol = match proto.trim() {
            "tls" => Protocol::Tls,
            "http1" => Protocol::Http1,
            "http2" => Protocol::Http2,
            "grpc" => Protocol::Grpc,
            "etcd-raft" => Protocol::EtcdRaft,
            other => {
                return Err(format!(
                    "unknown protocol {other:?} (expected tls, http1, http2, grpc or etcd-raft)"
                ));
            }
        };
        Ok(DecodeAs { port, protocol })
    }
}

/// What every dissector of one run shares: key material for TLS decryption
/// (from `--keylog` files and pcapng Decryption Secrets Blocks, which may
/// arrive while the capture is read) and display choices.
#[derive(Debug)]
pub struct Context {
    pub keylog: RwLock<tls::keylog::KeyLog>,
    /// Show values under `/registry/secrets/` instead of `<redacted: N bytes>`.
    pub show_secrets: bool,
    /// Run dissectors at all. Off for views that need only connections and
    /// their detected protocol (`pcap flows`): detection still runs, and so
    /// does the watch for TLS after a plaintext prefix on connections
    /// nothing recognised.
    pub dissect: bool,
    /// The optional decoding the run's view can use ([`Wants`]); what it
    /// cannot use is not decoded at all.
    pub wants: Wants,
}

/// Decoding a view may do without: a view whose events never include
/// what a part yields (its [`crate::net::Observer::wants`]) turns that part
/// off, and the dissectors skip it instead of making events that would be
/// dropped. Only parts that feed no other event, and whose events always
/// fall between events that are still made (the connection's open and
/// its end), can be turned off: the output stays the same to the byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    /// Raft messages in etcd peer bodies (`EventKind::Raft`: messages,
    /// streams, peers, heartbeats). Off: the HTTP/1.1 dissector reads
    /// those bodies as any other body.
    pub raft: bool,
    /// gRPC message bodies: `grpc_message` events and the etcd requests
    /// and responses decoded from them. Off: messages are still framed and
    /// counted (for `grpc_call`), their bytes are not kept.
    pub grpc_messages: bool,
    /// HTTP/2 events (and gRPC and etcd ones, made from them). Off: HTTP/2
    /// is only framed, for the times its events would have had (a view
    /// that drops them may still use their times, as `pcap election` does
    /// for its time span): a resync where one is found, and one
    /// `http2_frames` at the connection's end when frames were seen, the
    /// latest time any of its events could have. Nothing else is decoded
    /// (no HPACK, no streams).
    pub http2: bool,
    /// A one-line summary of each of the first Raft log entries of a
    /// `raft_message` (`entry_summaries`). Off: only entries whose data
    /// names a member's attributes (`/members/<id>/attributes`, the member
    /// names a view may learn from them) are described, the others left
    /// out; a view that reads nothing else from the summaries sees the
    /// same. Decoding every entry's etcd request costs more than the rest
    /// of the Raft message.
    pub raft_entries: bool,
    /// HTTP/1.1 request and response events. Off: each is made as an
    /// empty `http_omitted` at the same time (a view that drops HTTP/1.1
    /// events may still use their times); heads are still read for their
    /// framing and the Raft headers.
    pub http1: bool,
    /// Events at all, the connection table's own included (a connection
    /// opened, its protocol found, a gap, its end). Off, for a view that
    /// uses neither events nor their times (`pcap flows`, which prints the
    /// flow records): none is made; the records are the same.
    pub events: bool,
}

impl Wants {
    /// Everything (the default).
    pub const ALL: Wants = Wants {
        raft: true,
        grpc_messages: true,
        http2: true,
        raft_entries: true,
        http1: true,
        events: true,
    };
}

impl Default for Wants {
    fn default() -> Self {
        Wants::ALL
    }
}

impl Default for Context {
    fn default() -> Self {
        Context {
            keylog: RwLock::default(),
            show_secrets: false,
            dissect: true,
            wants: Wants::ALL,
        }
    }
}

impl Context {
    pub fn shared() -> Arc<Context> {
        Arc::new(Context::default())
    }

    /// Options for naming stored Kubernetes objects seen in traffic.
    pub fn k8s_options(&self) -> crate::k8s::DecodeOptions {
        crate::k8s::DecodeOptions {
            show_secrets: self.show_secrets,
            ..Default::default()
        }
    }
}

/// Builds the dissector for a protocol. Protocols whose dissector is not
/// built yet get none: their connections are still tracked and labelled.
pub fn dissector_for(
    protocol: Protocol,
    conn: &ConnInfo,
    ctx: &Arc<Context>,
) -> Option<Box<dyn Dissector>> {
    // Views that only list connections skip the dissectors, but still
    // watch connections nothing recognised: TLS after a STARTTLS or
    // SSLRequest exchange changes what the connection is.
    if !ctx.dissect && protocol != Protocol::Unknown {
        return None;
    }
    let (conn, ctx) = (*conn, ctx.clone());
    match protocol {
        Protocol::Tls => Some(Box::new(tls::TlsDissector::new(conn, ctx))),
        // etcd's peer protocol is HTTP/1.1; the HTTP/1.1 dissector hands
        // the bodies of `/raft...` paths to the Raft decoder.
        Protocol::Http1 | Protocol::EtcdRaft => {
            Some(Box::new(http1::Http1Dissector::new(conn, ctx)))
        }
        // gRPC is HTTP/2 with `content-type: application/grpc`.
        Protocol::Http2 | Protocol::Grpc => Some(Box::new(http2::Http2Dissector::new(conn, ctx))),
        // Nothing recognised: watch for TLS after a plaintext prefix.
        Protocol::Unknown => Some(Box::new(tls::starttls::PlainWatcher::new(conn, ctx))),
    }
}

/// A dissector chosen from the bytes of an inner layer (TLS plaintext):
/// `hint` (from ALPN: `h2` → HTTP/2, `http/1.1` → HTTP/1.1) decides at
/// once; otherwise each direction's first bytes are looked at as for a
/// plain connection. Bytes seen while undecided are replayed to the
/// dissector once chosen.
pub struct InnerDissector {
    conn: ConnInfo,
    ctx: Arc<Context>,
    state: InnerState,
}

enum InnerState {
    Undecided {
        buf: [Vec<u8>; 2],
        verdict: [Detection; 2],
    },
    Running(Box<dyn Dissector>),
    /// Nothing recognised (or no dissector for it): the first chunks of
    /// each direction are shown as `payload` events, the rest counted.
    None {
        shown: [u32; 2],
    },
}

/// `payload` events shown per direction of an unrecognised inner stream.
const PAYLOAD_EVENTS: u32 = 16;
/// Bytes of each payload shown in its preview.
const PAYLOAD_PREVIEW: usize = 64;

/// Printable ASCII as is, everything else as `\xNN`, at most
/// [`PAYLOAD_PREVIEW`] bytes (then `...`).
pub fn printable_preview(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(PAYLOAD_PREVIEW) {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > PAYLOAD_PREVIEW {
        s.push_str("...");
    }
    s
}

fn show_payload(
    shown: &mut [u32; 2],
    ts: Timestamp,
    dir: Direction,
    bytes: &[u8],
    sink: &mut dyn EventSink,
) {
    let i = dir.index();
    if bytes.is_empty() || shown[i] >= PAYLOAD_EVENTS {
        return;
    }
    shown[i] += 1;
    sink.emit(
        ts,
        dir,
        EventKind::Payload {
            direction: dir,
            bytes: bytes.len() as u64,
            preview: printable_preview(bytes),
        },
    );
}

impl InnerDissector {
    pub fn new(conn: ConnInfo, ctx: Arc<Context>, hint: Option<Protocol>) -> InnerDissector {
        let state = match hint.and_then(|p| dissector_for(p, &conn, &ctx)) {
            Some(d) => InnerState::Running(d),
            None => InnerState::Undecided {
                buf: [Vec::new(), Vec::new()],
                verdict: [Detection::NeedMore, Detection::NeedMore],
            },
        };
        InnerDissector { conn, ctx, state }
    }

    /// The protocol chosen so far, if any.
    pub fn protocol(&self) -> Option<Protocol> {
        match &self.state {
            InnerState::Running(d) => Some(d.protocol()),
            _ => None,
        }
    }

    pub fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        let InnerState::Undecided { buf, verdict } = &mut self.state else {
            match &mut self.state {
                InnerState::Running(d) => d.data(ts, dir, bytes, sink),
                InnerState::None { shown } => show_payload(shown, ts, dir, bytes, sink),
                InnerState::Undecided { .. } => {}
            }
            return;
        };
        let i = dir.index();
        buf[i].extend_from_slice(bytes);
        verdict[i] = detect(&buf[i][..buf[i].len().min(detect::DETECT_WINDOW)]);
        let found = match (verdict[0], verdict[1]) {
            (Detection::Found(p), _) | (_, Detection::Found(p)) => Some(p),
            (Detection::Unknown, Detection::Unknown) => None,
            _ => {
                if buf[i].len() > (1 << 20) {
                    // Still undecided after 1 MiB: give up rather than grow.
                    let bufs = std::mem::take(buf);
                    let mut shown = [0, 0];
                    for other in [dir.reverse(), dir] {
                        show_payload(&mut shown, ts, other, &bufs[other.index()], sink);
                    }
                    self.state = InnerState::None { shown };
                }
                return;
            }
        };
        let bufs = std::mem::take(buf);
        self.state = match found.and_then(|p| dissector_for(p, &self.conn, &self.ctx)) {
            Some(mut d) => {
                for other in [dir.reverse(), dir] {
                    let b = &bufs[other.index()];
                    if !b.is_empty() {
                        d.data(ts, other, b, sink);
                    }
                }
                InnerState::Running(d)
            }
            None => {
                let mut shown = [0, 0];
                for other in [dir.reverse(), dir] {
                    show_payload(&mut shown, ts, other, &bufs[other.index()], sink);
                }
                InnerState::None { shown }
            }
        };
    }

    pub fn gap(&mut self, ts: Timestamp, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        match &mut self.state {
            InnerState::Running(d) => d.gap(ts, dir, len, sink),
            InnerState::Undecided { .. } => self.state = InnerState::None { shown: [0, 0] },
            InnerState::None { .. } => {}
        }
    }

    pub fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        match &mut self.state {
            InnerState::Running(d) => d.end(ts, sink),
            InnerState::Undecided { buf, .. } => {
                // One side spoke and the other never did: show what came.
                let bufs = std::mem::take(buf);
                let mut shown = [0, 0];
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    show_payload(&mut shown, ts, dir, &bufs[dir.index()], sink);
                }
                self.state = InnerState::None { shown };
            }
            InnerState::None { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_as_parses_and_explains_errors() {
        assert_eq!(
            "2380=etcd-raft".parse::<DecodeAs>().unwrap(),
            DecodeAs {
                port: 2380,
                protocol: Protocol::EtcdRaft
            }
        );
        assert!(
            "2380"
                .parse::<DecodeAs>()
                .unwrap_err()
                .contains("PORT=PROTO")
        );
        assert!(
            "70000=tls"
                .parse::<DecodeAs>()
                .unwrap_err()
                .contains("not a port")
        );
        assert!(
            "443=quic"
                .parse::<DecodeAs>()
                .unwrap_err()
                .contains("unknown protocol")
        );
    }

    struct Collect(Vec<(Direction, EventKind)>);
    impl EventSink for Collect {
        fn emit(&mut self, _: Timestamp, dir: Direction, kind: EventKind) {
            self.0.push((dir, kind));
        }
    }

    fn inner() -> InnerDissector {
        let conn = ConnInfo {
            client: "127.0.0.1:40000".parse().unwrap(),
            server: "127.0.0.1:8400".parse().unwrap(),
            component: Component::Other,
        };
        InnerDissector::new(conn, Context::shared(), None)
    }

    #[test]
    fn unrecognised_inner_bytes_become_bounded_payload_events() {
        let (c, s) = (Direction::ClientToServer, Direction::ServerToClient);
        let mut d = inner();
        let mut sink = Collect(Vec::new());
        d.data(Timestamp(1), c, b"ping", &mut sink);
        assert!(sink.0.is_empty(), "undecided until the server speaks");
        d.data(Timestamp(2), s, b"pong\x00\xff", &mut sink);
        let previews: Vec<(Direction, String)> = sink
            .0
            .iter()
            .map(|(dir, k)| match k {
                EventKind::Payload { preview, .. } => (*dir, preview.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            previews,
            vec![(c, "ping".to_string()), (s, "pong\\x00\\xff".to_string())]
        );
        for _ in 0..40 {
            d.data(Timestamp(3), c, b"more", &mut sink);
        }
        let from_client = sink.0.iter().filter(|(dir, _)| *dir == c).count();
        assert_eq!(from_client as u32, PAYLOAD_EVENTS);
        assert!(d.protocol().is_none());
    }

    #[test]
    fn a_one_sided_inner_stream_is_shown_at_the_end() {
        let mut d = inner();
        let mut sink = Collect(Vec::new());
        d.data(Timestamp(1), Direction::ClientToServer, b"hello", &mut sink);
        assert!(sink.0.is_empty());
        d.end(Timestamp(2), &mut sink);
        assert!(matches!(
            &sink.0[..],
            [(_, EventKind::Payload { bytes: 5, .. })]
        ));
        assert_eq!(printable_preview(&[b'a'; 70]).len(), 64 + 3);
    }

    #[test]
    fn inner_http_is_handed_to_its_dissector() {
        let mut d = inner();
        let mut sink = Collect(Vec::new());
        d.data(
            Timestamp(1),
            Direction::ClientToServer,
            b"GET /x HTTP/1.1\r\n",
            &mut sink,
        );
        assert_eq!(d.protocol(), Some(Protocol::Http1));
    }

    #[test]
    fn components_by_port() {
        assert_eq!(Component::from_port(2380), Some(Component::EtcdPeer));
        assert_eq!(Component::from_port(6443).unwrap().name(), "kube-apiserver");
        assert_eq!(Component::from_port(8080), None);
    }
}

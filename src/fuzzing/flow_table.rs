//! The `flow_table` fuzz target's harness, the whole packet pipeline on a
//! synthetic capture. The input describes TCP segments (endpoints, flags, sequence and ack numbers, payload, time
//! step, snaplen cuts); they are written as a classic pcap file with raw IP
//! frames and read back through `FileSource` into `pipeline::Pipeline`.
//!
//! Input layout:
//!   byte 0      config: bits 0-1 max_buffered (64 B, 1 KiB, 64 KiB, 1 MiB),
//!               bits 2-3 linger/idle timeouts (short to force evictions),
//!               bit 4 --decode-as 40000=http1,
//!               bit 5 the rest of the input IS the capture file (any link
//!               type, any timestamps, possibly damaged) instead of records,
//!               bits 6-7 --max-connections (default, 1, 2, 3)
//!   then one packet per record:
//!     ends(1)   bits 0-1 source host, 2-3 destination host (3 = IPv6 pair),
//!               bits 4-5 source port, 6-7 destination port
//!               (ports: 2379, 6443, 40000, 40001)
//!     flags(1)  bit0 SYN, bit1 ACK, bit2 FIN, bit3 RST, bit4 cut by the
//!               snaplen, bit5 raw 32-bit seq follows instead of rel
//!     step(1)   time step: n ms; 253 = 1.5 s, 254 = 11 s, 255 = 400 s;
//!               250/251/252 step BACK 1 ms / 1 s / 100 s (captures do that)
//!     seq       rel(2, signed, from a per-direction ISN near 2^32) or raw(4)
//!     ack(2)    signed, relative to the reverse direction's ISN
//!     len(1)    payload length, then the payload bytes
//!     [cut(1)]  with bit4: bytes the wire had beyond the payload kept
//!
//! Checks: no panic; the synthetic file reads back without error; event
//! timestamps never decrease, even where the capture's own timestamps step
//! back (the table stamps events with the latest time seen); every
//! connection opened is
//! closed and reported exactly once; flow counters are consistent and add
//! up to the run's summary (every TCP packet belongs to exactly one flow);
//! the table never holds more than --max-connections connections.

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::capture::{FileSource, PacketSource};
use crate::event::{Event, EventKind};
use crate::net::shard::{KeysOn, Tuning};
use crate::net::{FlowConfig, FlowRecord, Observer};
use crate::pipeline::{Pipeline, Summary};
use crate::proto::DecodeAs;
use crate::timestamp::Timestamp;

const PORTS: [u16; 4] = [2379, 6443, 40000, 40001];
const START_SECS: u64 = 1_700_000_000;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Initial sequence number of the direction that sends from `port` on `host`.
fn isn(host: usize, port: u16) -> u32 {
    0xFFFF_FE00u32.wrapping_add(u32::from(port).wrapping_mul(977) ^ (host as u32 * 0x1000))
}

fn addrs(src: usize, dst: usize) -> (IpAddr, IpAddr) {
    if src == 3 || dst == 3 {
        (
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, src as u16 + 1)),
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, dst as u16 + 1)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, src as u8 + 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, dst as u8 + 1)),
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn frame(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
    cut: usize,
) -> Vec<u8> {
    let tcp_len = 20 + payload.len() + cut;
    let mut f = Vec::with_capacity(60 + payload.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + tcp_len) as u16;
            f.extend_from_slice(&[0x45, 0]);
            f.extend_from_slice(&total.to_be_bytes());
            f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
            f.extend_from_slice(&s.octets());
            f.extend_from_slice(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            f.extend_from_slice(&[0x60, 0, 0, 0]);
            f.extend_from_slice(&(tcp_len as u16).to_be_bytes());
            f.extend_from_slice(&[6, 64]);
            f.extend_from_slice(&s.octets());
            f.extend_from_slice(&d.octets());
        }
        _ => unreachable!(),
    }
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    // TCP flag bits: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10.
    let mut tf = 0u8;
    if flags & 1 != 0 {
        tf |= 0x02;
    }
    if flags & 2 != 0 {
        tf |= 0x10;
    }
    if flags & 4 != 0 {
        tf |= 0x01;
    }
    if flags & 8 != 0 {
        tf |= 0x04;
    }
    f.extend_from_slice(&[0x50, tf, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

#[derive(Default)]
struct Check {
    last_ts: Option<Timestamp>,
    opens: u64,
    closes: u64,
    detected: u64,
    flows: u64,
    flow_packets: u64,
    flow_bytes: u64,
    flow_gap_bytes: u64,
    /// --max-connections in force.
    max_conns: u64,
}

impl Observer for Check {
    fn event(&mut self, e: &Event) {
        if let Some(last) = self.last_ts {
            assert!(
                e.ts >= last,
                "event time went backwards: {} after {} ({:?})",
                e.ts,
                last,
                e.kind
            );
        }
        self.last_ts = Some(e.ts);
        match &e.kind {
            EventKind::ConnectionOpen { .. } => {
                self.opens += 1;
                // Open now: opened and not yet reported as a flow.
                assert!(
                    self.opens - self.flows <= self.max_conns,
                    "{} connections open with --max-connections {}",
                    self.opens - self.flows,
                    self.max_conns
                );
            }
            EventKind::ConnectionClose { .. } => self.closes += 1,
            EventKind::ProtocolDetected { .. } => self.detected += 1,
            EventKind::Gap { bytes, .. } => assert!(*bytes > 0, "empty gap event"),
            // What the dissectors say (they run in the pipeline too).
            other => assert!(!other.name().is_empty(), "unnamed event"),
        }
        let _ = e.kind.summary();
        let _ = serde_json_free(e);
    }

    fn flow(&mut self, f: &FlowRecord) {
        self.flows += 1;
        assert_eq!(
            f.packets,
            f.client_packets + f.server_packets,
            "flow packets"
        );
        assert_eq!(
            f.bytes,
            f.client_frame_bytes + f.server_frame_bytes,
            "flow bytes"
        );
        assert!(f.packets > 0, "flow without packets");
        assert!(f.duration_ms >= 0.0, "negative duration {}", f.duration_ms);
        assert!(
            self.closes >= self.flows,
            "flow reported before its close event"
        );
        self.flow_packets += f.packets;
        self.flow_bytes += f.bytes;
        self.flow_gap_bytes += f.gap_bytes;
    }
}

/// Renders the event the way the table view does (no JSON dependency here).
fn serde_json_free(e: &Event) -> String {
    format!(
        "{} {} {} {} {}",
        e.ts,
        e.src,
        e.dst,
        e.component.name(),
        e.kind.name()
    )
}

/// One input; panics on the first broken promise (see the module
/// documentation for the layout and the checks). Returns the run's summary,
/// or `None` for an empty input or a capture file whose header is refused.
pub fn flow_table(data: &[u8]) -> Option<Summary> {
    let mut inp = Input(data);
    let cfg = inp.byte()?;
    let mut config = FlowConfig {
        max_buffered: [64, 1024, 64 << 10, 1 << 20][usize::from(cfg & 3)],
        ..FlowConfig::default()
    };
    match (cfg >> 2) & 3 {
        0 => {}
        1 => {
            config.linger_ns = 0;
            config.idle_timeout_ns = 0;
        }
        2 => {
            config.linger_ns = 5_000_000;
            config.idle_timeout_ns = 50_000_000;
        }
        _ => {
            config.linger_ns = 1_000_000_000;
            config.idle_timeout_ns = 2_000_000_000;
        }
    }
    if cfg >> 6 != 0 {
        config.max_connections = usize::from(cfg >> 6);
    }
    if cfg & 0x10 != 0 {
        config
            .decode_as
            .push("40000=http1".parse::<DecodeAs>().unwrap());
    }

    if cfg & 0x20 != 0 {
        return raw_capture(inp.0, config);
    }

    // Classic pcap, microseconds, little endian, LINKTYPE_RAW.
    let mut file = Vec::new();
    file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    file.extend_from_slice(&2u16.to_le_bytes());
    file.extend_from_slice(&4u16.to_le_bytes());
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&65535u32.to_le_bytes());
    file.extend_from_slice(&101u32.to_le_bytes());

    let mut now_us: i64 = 0;
    let mut packets: u64 = 0;
    let mut wire_bytes: u64 = 0;
    while let (Some(ends), Some(flags), Some(step)) = (inp.byte(), inp.byte(), inp.byte()) {
        let (sh, dh) = (usize::from(ends & 3), usize::from((ends >> 2) & 3));
        let sport = PORTS[usize::from((ends >> 4) & 3)];
        let dport = PORTS[usize::from(ends >> 6)];
        let seq = if flags & 0x20 != 0 {
            let Some(s) = inp.u32() else { break };
            s
        } else {
            let Some(rel) = inp.u16() else { break };
            isn(sh, sport).wrapping_add(rel as i16 as i32 as u32)
        };
        let Some(ackrel) = inp.u16() else { break };
        let ack = isn(dh, dport).wrapping_add(ackrel as i16 as i32 as u32);
        let Some(len) = inp.byte() else { break };
        let Some(payload) = inp.take(usize::from(len)) else {
            break;
        };
        let cut = if flags & 0x10 != 0 {
            let Some(c) = inp.byte() else { break };
            usize::from(c) * 4
        } else {
            0
        };
        now_us += match step {
            255 => 400_000_000,
            254 => 11_000_000,
            253 => 1_500_000,
            252 => -100_000_000,
            251 => -1_000_000,
            250 => -1_000,
            n => i64::from(n) * 1_000,
        };
        now_us = now_us.max(0);
        let (src, dst) = addrs(sh, dh);
        let f = frame(src, dst, sport, dport, seq, ack, flags, payload, cut);
        let origlen = (f.len() + cut) as u32;
        let secs = START_SECS + (now_us / 1_000_000) as u64;
        file.extend_from_slice(&(secs as u32).to_le_bytes());
        file.extend_from_slice(&((now_us % 1_000_000) as u32).to_le_bytes());
        file.extend_from_slice(&(f.len() as u32).to_le_bytes());
        file.extend_from_slice(&origlen.to_le_bytes());
        file.extend_from_slice(&f);
        packets += 1;
        wire_bytes += u64::from(origlen);
    }

    two_tables_agree(&file, &config, 1 + data.len() % 5);
    let mut src = FileSource::from_reader(Path::new("fuzz.pcap"), Cursor::new(file))
        .expect("synthetic pcap header must be accepted");
    let max_conns = config.max_connections as u64;
    let mut pipeline = Pipeline::new(config);
    let mut check = Check {
        max_conns,
        ..Check::default()
    };
    pipeline
        .run(&mut src, &mut check, |_, _| {})
        .expect("synthetic pcap must read without error");
    let summary = pipeline.finish(&mut check);
    let _ = summary.line();

    assert_eq!(summary.packets, packets, "packets read back");
    assert_eq!(summary.bytes, wire_bytes, "wire bytes");
    assert_eq!(
        summary.tcp_packets, packets,
        "a synthetic frame failed to decode: {:?}",
        summary.undecodable
    );
    check_summary(&check, &summary);
    assert_eq!(check.flow_bytes, wire_bytes, "frame bytes across flows");
    assert!(summary.evicted_idle <= summary.flows);
    assert!(summary.evicted_limit <= summary.flows);
    if summary.evicted_limit > 0 {
        assert!(summary.line().contains("connections evicted at the"));
    }
    Some(summary)
}

/// Everything an observer was told, in order.
#[derive(Default)]
struct Log(Vec<String>);
impl Observer for Log {
    fn event(&mut self, e: &Event) {
        self.0.push(format!("{e:?}"));
    }
    fn flow(&mut self, f: &FlowRecord) {
        self.0.push(format!("{f:?}"));
    }
}

/// The connections split over two tables on two threads, or tracked on one
/// thread beside the reader (`net::shard`, batches of `batch` segments),
/// tell the observer exactly what one table tells it, and sum to the same
/// summary.
fn two_tables_agree(file: &[u8], config: &FlowConfig, batch: usize) {
    if !crate::net::shard::can_shard(config) {
        return;
    }
    let mut one = Log::default();
    let mut src = FileSource::from_reader(Path::new("fuzz.pcap"), Cursor::new(file.to_vec()))
        .expect("synthetic pcap header must be accepted");
    let mut pipeline = Pipeline::new(config.clone());
    let _ = pipeline.run(&mut src, &mut one, |_, _| {});
    let serial = pipeline.finish(&mut one);
    // Connection keys made on the reader with two tracking threads, on
    // the tracking thread with one.
    for (trackers, keys) in [(2, KeysOn::Reader), (1, KeysOn::Workers)] {
        let src = FileSource::from_reader(Path::new("fuzz.pcap"), Cursor::new(file.to_vec()))
            .expect("synthetic pcap header must be accepted");
        let mut two = Log::default();
        let tuning = Tuning {
            batch_segments: batch,
            keys,
        };
        let Ok((sharded, _)) = crate::net::shard::run_tuned(
            src,
            config.clone(),
            trackers,
            &mut two,
            |_, _| {},
            tuning,
        ) else {
            return;
        };
        assert_eq!(
            one.0, two.0,
            "{trackers} tracking threads told another story (batch {batch}, keys on {keys:?})"
        );
        assert_eq!(serial.line(), sharded.line(), "summaries differ");
    }
}

/// The input as a capture file of its own: any link type, timestamps in any
/// order, damage anywhere. Only the pipeline's own promises are checked.
fn raw_capture(data: &[u8], config: FlowConfig) -> Option<Summary> {
    let mut src = FileSource::from_reader(Path::new("fuzz.pcap"), Cursor::new(data)).ok()?;
    let max_conns = config.max_connections as u64;
    let mut pipeline = Pipeline::new(config);
    let mut check = Check {
        max_conns,
        ..Check::default()
    };
    let mut delivered = 0u64;
    // Count packets as they go by: the summary must agree.
    struct Counting<'a, S> {
        inner: &'a mut S,
        n: &'a mut u64,
    }
    impl<S: PacketSource> PacketSource for Counting<'_, S> {
        fn advance(&mut self) -> Result<bool, crate::capture::CaptureError> {
            let r = self.inner.advance();
            if matches!(r, Ok(true)) {
                *self.n += 1;
            }
            r
        }
        fn current(&self) -> crate::capture::Packet<'_> {
            self.inner.current()
        }
    }
    let _ = pipeline.run(
        &mut Counting {
            inner: &mut src,
            n: &mut delivered,
        },
        &mut check,
        |_, _| {},
    );
    let summary = pipeline.finish(&mut check);
    let _ = summary.line();
    assert_eq!(summary.packets, delivered, "packets read");
    check_summary(&check, &summary);
    Some(summary)
}

/// What both paths promise of a run's summary against what the observer
/// was told: every packet counted once, one open, one close and one flow
/// record per connection, the flows' packets and gaps adding up to the
/// summary's, at most one protocol detected per connection.
fn check_summary(check: &Check, summary: &Summary) {
    assert_eq!(
        summary.tcp_packets
            + summary.udp_packets
            + summary.other_ip_packets
            + summary.undecodable.iter().map(|(_, n)| n).sum::<u64>(),
        summary.packets,
        "every packet counted once"
    );
    assert_eq!(check.flows, summary.flows, "flow records vs connections");
    assert_eq!(check.opens, summary.flows, "open events vs connections");
    assert_eq!(check.closes, summary.flows, "close events vs connections");
    assert_eq!(
        check.flow_packets, summary.tcp_packets,
        "packets across flows"
    );
    assert_eq!(
        check.flow_gap_bytes, summary.gap_bytes,
        "gap bytes across flows"
    );
    assert!(
        check.detected <= summary.flows,
        "protocol detected twice on a connection"
    );
}

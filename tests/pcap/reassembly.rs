//! TCP reassembly and the connection table, driven by hand-built segment
//! sequences: every test states the exact bytes delivered, the exact gaps
//! (offset and length) and the counters that must result.
//!
//! Part one drives one direction's [`Reassembler`]; part two drives the
//! [`FlowTable`] with synthetic [`TcpSegment`]s and a recording
//! [`Observer`]; part three is property-style: a deterministic xorshift
//! generator cuts random streams into random segments, reorders,
//! duplicates, overlaps, drops and truncates them, and checks the stream
//! that comes out. Part four puts the TCP streams of real corpus
//! captures back together and compares them with tshark's.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use kinspect::event::{End, Event, EventKind};
use kinspect::net::tcp::DirectionStats;
use kinspect::net::{
    Chunk, FlowConfig, FlowRecord, FlowTable, Observer, Reassembler, TcpFlags, TcpSegment,
};
use kinspect::proto::{Component, Direction, Protocol};
use kinspect::timestamp::Timestamp;

use crate::common;

// ---------------------------------------------------------------------------
// One direction
// ---------------------------------------------------------------------------

/// What a reassembler emitted, with the chunk boundaries it chose.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Data(u64, Vec<u8>),
    Gap(u64, u64),
}

fn data(offset: u64, bytes: &[u8]) -> Out {
    Out::Data(offset, bytes.to_vec())
}

/// A reassembler plus everything it emitted. Checks on every chunk that the
/// stream is contiguous: each chunk starts where the previous one ended.
struct Rx {
    r: Reassembler,
    out: Vec<Out>,
    expect: u64,
}

impl Rx {
    fn new(max_buffered: usize) -> Rx {
        Rx {
            r: Reassembler::new(max_buffered),
            out: Vec::new(),
            expect: 0,
        }
    }

    fn record(out: &mut Vec<Out>, expect: &mut u64, c: Chunk<'_>) {
        match c {
            Chunk::Data { offset, bytes } => {
                assert_eq!(offset, *expect, "data chunk out of place");
                assert!(!bytes.is_empty(), "empty data chunk");
                *expect += bytes.len() as u64;
                out.push(Out::Data(offset, bytes.to_vec()));
            }
            Chunk::Gap { offset, len } => {
                assert_eq!(offset, *expect, "gap out of place");
                assert!(len > 0, "empty gap");
                *expect += len;
                out.push(Out::Gap(offset, len));
            }
        }
    }

    /// A segment with every byte captured.
    fn seg(&mut self, seq: u32, payload: &[u8]) {
        self.full(seq, false, false, payload, payload.len() as u32);
    }

    fn syn(&mut self, isn: u32) {
        self.full(isn, true, false, b"", 0);
    }

    fn fin(&mut self, seq: u32, payload: &[u8]) {
        self.full(seq, false, true, payload, payload.len() as u32);
    }

    fn full(&mut self, seq: u32, syn: bool, fin: bool, payload: &[u8], wire_len: u32) {
        let (out, expect) = (&mut self.out, &mut self.expect);
        self.r.segment(seq, syn, fin, payload, wire_len, &mut |c| {
            Rx::record(out, expect, c)
        });
        assert_eq!(self.r.next_offset(), self.expect);
    }

    fn ack(&mut self, ack: u32) {
        let (out, expect) = (&mut self.out, &mut self.expect);
        self.r.peer_ack(ack, &mut |c| Rx::record(out, expect, c));
        assert_eq!(self.r.next_offset(), self.expect);
    }

    fn flush(&mut self) {
        let (out, expect) = (&mut self.out, &mut self.expect);
        self.r.flush(&mut |c| Rx::record(out, expect, c));
        assert_eq!(self.r.buffered(), 0);
        assert_eq!(self.r.next_offset(), self.expect);
    }

    /// Everything emitted since the last call.
    fn take(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.out)
    }

    /// The emitted stream with adjacent data chunks joined (chunking is
    /// the reassembler's business; bytes and gaps are what count).
    fn joined(&mut self) -> Vec<Out> {
        join(self.take())
    }

    fn stats(&self) -> DirectionStats {
        self.r.stats
    }
}

fn join(chunks: Vec<Out>) -> Vec<Out> {
    let mut v: Vec<Out> = Vec::new();
    for c in chunks {
        match (v.last_mut(), c) {
            (Some(Out::Data(o, b)), Out::Data(o2, b2)) if *o + b.len() as u64 == o2 => {
                b.extend_from_slice(&b2)
            }
            (_, c) => v.push(c),
        }
    }
    v
}

fn stats(
    delivered: u64,
    gap_bytes: u64,
    gaps: u64,
    retransmitted: u64,
    conflicting: u64,
    out_of_order: u64,
    forced_gaps: u64,
) -> DirectionStats {
    DirectionStats {
        delivered,
        gap_bytes,
        gaps,
        retransmitted,
        conflicting,
        out_of_order,
        forced_gaps,
    }
}

const ISN: u32 = 1_000_000;
/// Sequence number of stream offset `o` after a SYN with [`ISN`].
fn at(o: u32) -> u32 {
    ISN.wrapping_add(1).wrapping_add(o)
}

#[test]
fn in_order_segments_are_handed_on_as_they_come() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    assert!(rx.r.is_started());
    assert_eq!(rx.r.base(), Some(ISN + 1));
    rx.seg(at(0), b"hello ");
    assert_eq!(rx.take(), vec![data(0, b"hello ")]);
    rx.seg(at(6), b"wide ");
    rx.seg(at(11), b"world");
    // One chunk per segment, straight from the packet.
    assert_eq!(rx.take(), vec![data(6, b"wide "), data(11, b"world")]);
    assert_eq!(rx.r.buffered(), 0);
    rx.flush();
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats(), stats(16, 0, 0, 0, 0, 0, 0));
}

/// Every order of four segments gives the same stream, delivered as soon as
/// it is contiguous, with `out_of_order` counting the segments that found
/// a hole before them.
#[test]
fn every_permutation_of_four_segments_reassembles() {
    let segs: [&[u8]; 4] = [b"aaa", b"bbbb", b"cc", b"ddddd"];
    let offsets = [0u32, 3, 7, 9];
    let mut perms = Vec::new();
    permutations(&mut [0usize, 1, 2, 3], 0, &mut perms);
    assert_eq!(perms.len(), 24);
    for perm in perms {
        let mut rx = Rx::new(1 << 20);
        rx.syn(ISN);
        let mut arrived = [false; 4];
        let mut ooo = 0;
        for &i in &perm {
            if arrived[..i].iter().any(|a| !a) {
                ooo += 1;
            }
            arrived[i] = true;
            rx.seg(at(offsets[i]), segs[i]);
            // Delivered exactly up to the first hole.
            let contiguous: u32 = arrived
                .iter()
                .zip(segs)
                .take_while(|(a, _)| **a)
                .map(|(_, s)| s.len() as u32)
                .sum();
            assert_eq!(rx.r.next_offset(), u64::from(contiguous), "{perm:?}");
        }
        // Everything was delivered before any flush.
        assert_eq!(
            rx.joined(),
            vec![data(0, b"aaabbbbccddddd")],
            "order {perm:?}"
        );
        assert_eq!(rx.r.buffered(), 0);
        assert_eq!(rx.stats(), stats(14, 0, 0, 0, 0, ooo, 0), "{perm:?}");
    }
}

fn permutations(v: &mut [usize; 4], k: usize, out: &mut Vec<Vec<usize>>) {
    if k == v.len() {
        out.push(v.to_vec());
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permutations(v, k + 1, out);
        v.swap(k, i);
    }
}

#[test]
fn first_segment_arriving_last_releases_the_whole_stream() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(5), b"56789");
    rx.seg(at(10), b"abc");
    rx.seg(at(13), b"def");
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.r.buffered(), 11);
    rx.seg(at(0), b"01234");
    // The filler comes straight from its packet, then the buffered pieces.
    assert_eq!(
        rx.take(),
        vec![
            data(0, b"01234"),
            data(5, b"56789"),
            data(10, b"abc"),
            data(13, b"def")
        ]
    );
    assert_eq!(rx.r.buffered(), 0);
    assert_eq!(rx.stats(), stats(16, 0, 0, 0, 0, 3, 0));
}

#[test]
fn exact_retransmissions_are_counted_and_dropped() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"abcd");
    rx.seg(at(0), b"abcd"); // of delivered data
    rx.seg(at(8), b"ijkl");
    rx.seg(at(8), b"ijkl"); // of buffered data
    rx.seg(at(8), b"ijkl");
    assert_eq!(rx.r.buffered(), 4);
    rx.seg(at(4), b"efgh");
    rx.seg(at(4), b"efgh");
    rx.syn(ISN); // a retransmitted SYN carries no stream byte
    assert_eq!(rx.joined(), vec![data(0, b"abcdefghijkl")]);
    assert_eq!(rx.stats(), stats(12, 0, 0, 16, 0, 1, 0));
}

#[test]
fn partial_retransmission_delivers_only_the_new_tail() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"abcdef");
    // Covers 4..10: "ef" was delivered, "ghij" is new. Different bytes over
    // delivered data are not compared (they are gone) — first copy wins.
    rx.seg(at(4), b"EFghij");
    assert_eq!(rx.take(), vec![data(0, b"abcdef"), data(6, b"ghij")]);
    // A segment starting before offset 0 (the SYN's number and earlier).
    rx.seg(at(0).wrapping_sub(3), b"xyzabcdefghijk");
    assert_eq!(rx.take(), vec![data(10, b"k")]);
    assert_eq!(rx.stats(), stats(11, 0, 0, 2 + 13, 0, 0, 0));
}

#[test]
fn overlap_in_the_buffer_keeps_the_first_copy_and_counts_differences() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(10), b"KLMNO"); // 10..15, buffered behind the hole 0..10
    // 8..18 overlaps it: 5 bytes buffered already, 3 of them differ.
    rx.seg(at(8), b"ijKxMyzpqr");
    assert_eq!(rx.r.buffered(), 10);
    rx.seg(at(0), b"abcdefgh");
    assert_eq!(rx.joined(), vec![data(0, b"abcdefghijKLMNOpqr")]);
    assert_eq!(rx.stats(), stats(18, 0, 0, 5, 3, 2, 0));
}

#[test]
fn overlap_straddling_several_buffered_pieces() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    // Buffered pieces 4..6, 8..10, 12..14, and 15..20 (which the new
    // segment only half covers).
    rx.seg(at(4), b"EF");
    rx.seg(at(8), b"IJ");
    rx.seg(at(12), b"MN");
    rx.seg(at(15), b"PQRST");
    assert_eq!(rx.r.buffered(), 11);
    // 2..17 in lower case: overlaps 2+2+2+2 buffered bytes, every one of
    // them different (8 conflicting); 2..4, 6..8, 10..12, 14..15 are new.
    rx.seg(at(2), b"cdefghijklmnopq");
    assert_eq!(rx.r.buffered(), 18);
    assert_eq!(rx.take(), vec![]);
    rx.seg(at(0), b"ab");
    assert_eq!(rx.joined(), vec![data(0, b"abcdEFghIJklMNoPQRST")]);
    assert_eq!(rx.stats(), stats(20, 0, 0, 8, 8, 5, 0));

    // Same shape, same bytes: overlaps count as retransmitted, not
    // conflicting.
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(4), b"ef");
    rx.seg(at(8), b"ij");
    rx.seg(at(2), b"cdefghijkl");
    rx.seg(at(0), b"ab");
    assert_eq!(rx.joined(), vec![data(0, b"abcdefghijkl")]);
    assert_eq!(rx.stats(), stats(12, 0, 0, 4, 0, 3, 0));
}

#[test]
fn hole_filler_that_overlaps_buffered_data_keeps_the_buffered_copy() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(4), b"EFGH");
    // Fills 0..4 and overlaps 4..6 with different bytes, then 8..10 new.
    rx.seg(at(0), b"abcdefghij");
    assert_eq!(
        rx.take(),
        vec![data(0, b"abcd"), data(4, b"EFGH"), data(8, b"ij")]
    );
    assert_eq!(rx.stats(), stats(10, 0, 0, 4, 4, 1, 0));
}

#[test]
fn lost_segment_is_a_gap_once_the_peer_acks_past_it() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), &[b'a'; 100]);
    // 100..200 never captured.
    rx.seg(at(200), &[b'c'; 100]);
    rx.seg(at(300), &[b'd'; 100]);
    assert_eq!(rx.take(), vec![data(0, &[b'a'; 100])]);
    // ACKs up to the hole change nothing.
    rx.ack(at(0));
    rx.ack(at(100));
    assert_eq!(rx.take(), vec![]);
    // The peer has 100..200: the capture never will.
    rx.ack(at(250));
    assert_eq!(
        rx.take(),
        vec![
            Out::Gap(100, 100),
            data(200, &[b'c'; 100]),
            data(300, &[b'd'; 100])
        ]
    );
    // Delivery goes on after the gap.
    rx.seg(at(400), b"tail");
    assert_eq!(rx.take(), vec![data(400, b"tail")]);
    rx.ack(at(404));
    rx.flush();
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats(), stats(304, 100, 1, 0, 0, 2, 0));
}

#[test]
fn ack_inside_a_hole_reports_only_the_acked_part() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"0123456789");
    rx.seg(at(30), b"UVWXYZ");
    // The peer acks 20: 10..20 is lost to the capture, 20..30 may still be
    // on its way.
    rx.ack(at(20));
    assert_eq!(rx.take(), vec![data(0, b"0123456789"), Out::Gap(10, 10)]);
    rx.seg(at(20), b"klmnopqrst");
    assert_eq!(rx.joined(), vec![data(20, b"klmnopqrstUVWXYZ")]);
    assert_eq!(rx.stats(), stats(26, 10, 1, 0, 0, 1, 0));
}

#[test]
fn ack_past_everything_seen_reports_the_lost_tail_at_once() {
    // The last segment of a request is lost and nothing follows: the gap
    // must not wait for more data.
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"GET / HTTP/1.1\r\n");
    rx.ack(at(40));
    assert_eq!(
        rx.take(),
        vec![data(0, b"GET / HTTP/1.1\r\n"), Out::Gap(16, 24)]
    );
    // Retransmission of the lost bytes after the gap: dropped.
    rx.seg(at(16), &[b'x'; 24]);
    assert_eq!(rx.take(), vec![]);
    // Stale and absurd ACKs change nothing.
    rx.ack(at(10));
    rx.ack(at(40).wrapping_add(0x7000_0000));
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats(), stats(16, 24, 1, 24, 0, 0, 0));
}

#[test]
fn buffer_limit_forces_the_hole_to_be_skipped() {
    let mut rx = Rx::new(1000);
    rx.syn(ISN);
    rx.seg(at(0), &[0u8; 100]);
    // 100..200 is lost and never acked (one-sided capture).
    for i in 2..12u32 {
        rx.seg(at(i * 100), &[i as u8; 100]);
        assert_eq!(rx.r.buffered(), (i as usize - 1) * 100);
    }
    assert_eq!(rx.take(), vec![data(0, &[0u8; 100])]);
    // The 11th buffered segment goes over 1000 bytes: skip the hole.
    rx.seg(at(1200), &[12u8; 100]);
    let out = rx.take();
    assert_eq!(out[0], Out::Gap(100, 100));
    let mut want = Vec::new();
    for i in 2..13u8 {
        want.extend_from_slice(&[i; 100]);
    }
    assert_eq!(join(out[1..].to_vec()), vec![Out::Data(200, want)]);
    assert_eq!(rx.r.buffered(), 0);
    // In order again, nothing stalls.
    rx.seg(at(1300), b"next");
    assert_eq!(rx.take(), vec![data(1300, b"next")]);
    assert_eq!(rx.stats(), stats(1204, 100, 1, 0, 0, 11, 1));
}

#[test]
fn buffer_limit_skips_as_many_holes_as_needed() {
    let mut rx = Rx::new(250);
    rx.syn(ISN);
    // Holes at 0..100, 200..300, 400..500; pieces of 100 in between.
    rx.seg(at(100), &[1; 100]);
    rx.seg(at(300), &[3; 100]);
    assert_eq!(rx.take(), vec![]);
    // 300 bytes buffered > 250: skip the first hole (and deliver 100..200),
    // 200 bytes left is within the limit.
    rx.seg(at(500), &[5; 100]);
    assert_eq!(rx.take(), vec![Out::Gap(0, 100), data(100, &[1; 100])]);
    assert_eq!(rx.r.buffered(), 200);
    rx.flush();
    assert_eq!(
        rx.take(),
        vec![
            Out::Gap(200, 100),
            data(300, &[3; 100]),
            Out::Gap(400, 100),
            data(500, &[5; 100])
        ]
    );
    assert_eq!(rx.stats(), stats(300, 300, 3, 0, 0, 3, 1));
}

#[test]
fn flush_reports_holes_and_the_hole_before_a_fin() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"abc");
    rx.seg(at(6), b"ghi");
    // 9..12 lost, then a bare FIN at 12 (nothing buffered after the hole).
    rx.fin(at(12), b"");
    assert!(!rx.r.is_finished());
    rx.flush();
    assert_eq!(
        rx.take(),
        vec![
            data(0, b"abc"),
            Out::Gap(3, 3),
            data(6, b"ghi"),
            Out::Gap(9, 3)
        ]
    );
    assert!(rx.r.is_finished());
    assert_eq!(rx.stats(), stats(6, 6, 2, 0, 0, 1, 0));
}

#[test]
fn fin_accounting() {
    // FIN with data, in order.
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.seg(at(0), b"abc");
    assert!(!rx.r.is_finished());
    rx.fin(at(3), b"bye");
    assert!(rx.r.is_finished());
    // The peer's ACK of the FIN (one past the last byte) is no gap.
    rx.ack(at(7));
    rx.flush();
    assert_eq!(rx.joined(), vec![data(0, b"abcbye")]);
    assert_eq!(rx.stats().gaps, 0);

    // FIN arriving before the data in front of it.
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.fin(at(4), b"");
    assert!(!rx.r.is_finished());
    rx.seg(at(2), b"cd");
    assert!(!rx.r.is_finished());
    rx.seg(at(0), b"ab");
    assert!(rx.r.is_finished());
    rx.ack(at(5));
    assert_eq!(rx.joined(), vec![data(0, b"abcd")]);
    assert_eq!(rx.stats(), stats(4, 0, 0, 0, 0, 1, 0));

    // A retransmitted FIN changes nothing.
    rx.fin(at(4), b"");
    rx.fin(at(2), b"cd");
    assert!(rx.r.is_finished());
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats().retransmitted, 2);

    // The ACK of the FIN when the data before the FIN was lost: the gap
    // stops at the FIN.
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.fin(at(10), b"");
    rx.ack(at(11));
    assert_eq!(rx.take(), vec![Out::Gap(0, 10)]);
    assert!(rx.r.is_finished());
}

#[test]
fn syn_with_data_starts_the_stream_after_the_syn() {
    let mut rx = Rx::new(1 << 20);
    rx.full(ISN, true, false, b"early", 5);
    rx.seg(at(5), b" data");
    // The SYN retransmitted with its data: nothing new.
    rx.full(ISN, true, false, b"early", 5);
    assert_eq!(rx.take(), vec![data(0, b"early"), data(5, b" data")]);
    assert_eq!(rx.stats(), stats(10, 0, 0, 5, 0, 0, 0));

    // A SYN+FIN with data (TFO request that also closes).
    let mut rx = Rx::new(1 << 20);
    rx.full(ISN, true, true, b"all", 3);
    assert!(rx.r.is_finished());
    assert_eq!(rx.take(), vec![data(0, b"all")]);
}

#[test]
fn zero_length_segments_and_pure_acks_deliver_nothing() {
    let mut rx = Rx::new(1 << 20);
    // A bare ACK and a keepalive (one byte before the stream) before any
    // data do not start the stream...
    rx.seg(5000, b"");
    rx.seg(4999, b"");
    assert!(!rx.r.is_started());
    rx.ack(123);
    // ... the first data does, at offset 0, with no phantom gap.
    rx.seg(5000, b"data");
    assert_eq!(rx.r.base(), Some(5000));
    rx.seg(5004, b"");
    rx.seg(5003, b""); // keepalive
    rx.seg(5004, b"");
    rx.seg(5003, b"a"); // keepalive with one old byte
    rx.seg(5004, b"more");
    rx.flush();
    assert_eq!(rx.joined(), vec![data(0, b"datamore")]);
    assert_eq!(rx.stats(), stats(8, 0, 0, 1, 0, 0, 0));
}

#[test]
fn sequence_numbers_wrap_around() {
    // ISN right below 2^32: the stream crosses the wrap after 5 bytes.
    let isn = u32::MAX - 5;
    let seq = |o: u32| isn.wrapping_add(1).wrapping_add(o);
    let chunks: [&[u8]; 5] = [b"0123", b"4567", b"89ab", b"cdef", b"ghij"];
    for order in [[3, 1, 4, 0, 2], [4, 3, 2, 1, 0], [0, 2, 1, 4, 3]] {
        let mut rx = Rx::new(1 << 20);
        rx.syn(isn);
        for i in order {
            rx.seg(seq(4 * i as u32), chunks[i]);
        }
        assert_eq!(rx.joined(), vec![data(0, b"0123456789abcdefghij")]);
        assert_eq!(rx.stats().delivered, 20);
        assert_eq!(rx.stats().gaps, 0);
    }

    // A lost segment across the wrap, found by an ACK across the wrap.
    let mut rx = Rx::new(1 << 20);
    rx.syn(isn);
    rx.seg(seq(0), b"0123");
    rx.seg(seq(8), b"89ab");
    rx.ack(seq(12));
    assert_eq!(
        rx.take(),
        vec![data(0, b"0123"), Out::Gap(4, 4), data(8, b"89ab")]
    );

    // A stream that wraps many times (5 GiB of offsets in 64 KiB steps).
    let mut rx = Rx::new(1 << 20);
    let base = 0xFFFF_0000u32;
    rx.syn(base);
    let step = 1u64 << 16;
    let payload = [7u8; 16];
    let mut o = 0u64;
    while o < 5 << 30 {
        // 16 bytes captured of each 64 KiB segment (snaplen).
        rx.full(
            base.wrapping_add(1).wrapping_add(o as u32),
            false,
            false,
            &payload,
            step as u32,
        );
        o += step;
    }
    assert_eq!(rx.r.next_offset(), 5 << 30);
    assert_eq!(rx.stats().delivered, 16 * (5 << 14));
    rx.take();
}

#[test]
fn capture_starting_mid_connection() {
    let mut rx = Rx::new(1 << 20);
    // No SYN: the first segment is offset 0.
    rx.seg(77_000, b"hello");
    assert_eq!(rx.r.base(), Some(77_000));
    // An older retransmission from before the capture started: ignored.
    rx.seg(76_990, b"0123456789");
    // One that straddles offset 0: only the new part counts.
    rx.seg(76_997, b"XXXhello world");
    assert_eq!(rx.take(), vec![data(0, b"hello"), data(5, b" world")]);
    // ACKs for data before the capture started are no gap either.
    rx.ack(76_000);
    rx.ack(77_011);
    rx.flush();
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats(), stats(11, 0, 0, 10 + 8, 0, 0, 0));

    // Mid-connection start where the first segment seen is ahead of one
    // still in flight: that earlier one is before offset 0 and ignored.
    let mut rx = Rx::new(1 << 20);
    rx.seg(2_000, b"second");
    rx.seg(1_995, b"first");
    assert_eq!(rx.take(), vec![data(0, b"second")]);
    assert_eq!(rx.stats().retransmitted, 5);
}

#[test]
fn snaplen_cut_segments_in_order() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    // 100 bytes on the wire, 60 kept.
    rx.full(at(0), false, false, &[1; 60], 100);
    rx.seg(at(100), &[2; 50]);
    // Headers only: nothing kept of 80 bytes.
    rx.full(at(150), false, false, b"", 80);
    rx.seg(at(230), b"end");
    assert_eq!(
        rx.take(),
        vec![
            data(0, &[1; 60]),
            Out::Gap(60, 40),
            data(100, &[2; 50]),
            Out::Gap(150, 80),
            data(230, b"end")
        ]
    );
    // A full copy of the cut segment later cannot undo the gap.
    rx.seg(at(0), &[1; 100]);
    assert_eq!(rx.take(), vec![]);
    assert_eq!(rx.stats(), stats(113, 120, 2, 100, 0, 0, 0));
}

#[test]
fn snaplen_cut_segments_out_of_order() {
    let mut rx = Rx::new(1 << 20);
    rx.syn(ISN);
    rx.full(at(100), false, false, &[2; 30], 100); // 100..130 kept, 130..200 cut
    rx.full(at(300), false, false, b"", 50); // header only
    rx.seg(at(200), &[3; 100]);
    assert_eq!(rx.r.buffered(), 130);
    assert_eq!(rx.take(), vec![]);
    // A retransmission over the cut part, with the bytes: the first copy
    // (which has none of them) wins, and nothing in it is new.
    let mut again = vec![2; 80];
    again.extend_from_slice(&[3; 10]);
    rx.seg(at(120), &again);
    assert_eq!(rx.r.buffered(), 130);
    rx.full(at(0), false, false, &[1; 70], 100); // itself cut
    assert_eq!(
        rx.take(),
        vec![
            data(0, &[1; 70]),
            Out::Gap(70, 30),
            data(100, &[2; 30]),
            Out::Gap(130, 70),
            data(200, &[3; 100]),
            Out::Gap(300, 50)
        ]
    );
    rx.seg(at(350), b"on");
    assert_eq!(rx.take(), vec![data(350, b"on")]);
    assert_eq!(rx.stats(), stats(202, 150, 3, 90, 0, 3, 0));
}

#[test]
fn buffered_memory_stays_bounded_behind_permanent_holes() {
    const LIMIT: usize = 64 << 10;
    const MSS: usize = 1448;
    let mut rx = Reassembler::new(LIMIT);
    rx.segment(ISN, true, false, b"", 0, &mut |_| {});
    let payload = [0x5a_u8; MSS];
    let total_segments = (10 << 20) / MSS; // 10 MB
    let mut delivered = 0u64;
    let mut gap = 0u64;
    let mut max_seen = 0;
    // Every 100th segment is lost for good and nobody acks (one-sided
    // capture); the rest arrive with neighbours swapped.
    let mut order: Vec<usize> = (0..total_segments).filter(|i| i % 100 != 0).collect();
    for pair in order.chunks_mut(2) {
        pair.reverse();
    }
    for i in order {
        rx.segment(
            at((i * MSS) as u32),
            false,
            false,
            &payload,
            MSS as u32,
            &mut |c| match c {
                Chunk::Data { bytes, .. } => delivered += bytes.len() as u64,
                Chunk::Gap { len, .. } => gap += len,
            },
        );
        max_seen = max_seen.max(rx.buffered());
        assert!(rx.buffered() <= LIMIT, "{} buffered", rx.buffered());
    }
    assert!(max_seen > LIMIT - MSS, "the limit was never approached");
    rx.flush(&mut |c| match c {
        Chunk::Data { bytes, .. } => delivered += bytes.len() as u64,
        Chunk::Gap { len, .. } => gap += len,
    });
    let lost = total_segments.div_ceil(100) as u64 * MSS as u64;
    assert_eq!(gap, lost);
    assert_eq!(delivered + gap, (total_segments * MSS) as u64);
    assert!(rx.stats.forced_gaps > 0);
}

#[test]
fn many_tiny_or_header_only_pieces_are_bounded_too() {
    // A header-only capture (every payload cut) behind a hole nobody acks:
    // no byte is buffered, but the pieces still are bounded.
    let mut rx = Rx::new(64 << 10);
    rx.syn(ISN);
    for i in 1..10_000u32 {
        rx.full(at(i * 100), false, false, b"", 100);
    }
    assert!(rx.stats().forced_gaps > 0);
    assert!(rx.r.next_offset() > 0);
    rx.flush();
    let out = rx.take();
    assert!(out.iter().all(|o| matches!(o, Out::Gap(..))));
    assert_eq!(rx.stats().gap_bytes, 10_000 * 100);

    // One-byte segments behind a hole.
    let mut rx = Rx::new(64 << 10);
    rx.syn(ISN);
    for i in 1..20_000u32 {
        rx.seg(at(i), b"x");
    }
    assert!(rx.stats().forced_gaps > 0);
    assert!(rx.r.buffered() < 64 << 10);
    rx.flush();
    assert_eq!(rx.stats().delivered, 19_999);
    assert_eq!(rx.stats().gap_bytes, 1);
}

// ---------------------------------------------------------------------------
// The connection table
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    flows: Vec<FlowRecord>,
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn flow(&mut self, flow: &FlowRecord) {
        self.flows.push(flow.clone());
    }
}

impl Recorder {
    fn kinds(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.kind.name()).collect()
    }

    fn gaps(&self) -> Vec<(Direction, u64, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Gap {
                    direction,
                    offset,
                    bytes,
                } => Some((direction, offset, bytes)),
                _ => None,
            })
            .collect()
    }

    fn assert_in_time_order(&self) {
        for w in self.events.windows(2) {
            assert!(w[0].ts <= w[1].ts, "events out of order: {w:?}");
        }
    }
}

const SYN: TcpFlags = TcpFlags {
    syn: true,
    ack: false,
    fin: false,
    rst: false,
};
const SYN_ACK: TcpFlags = TcpFlags {
    syn: true,
    ack: true,
    fin: false,
    rst: false,
};
const ACK: TcpFlags = TcpFlags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
};
const FIN_ACK: TcpFlags = TcpFlags {
    syn: false,
    ack: true,
    fin: true,
    rst: false,
};
const RST: TcpFlags = TcpFlags {
    syn: false,
    ack: false,
    fin: false,
    rst: true,
};

const SEC: i64 = 1_000_000_000;
/// Headers of every test frame: Ethernet + IPv4 + TCP.
const HEADERS: u32 = 14 + 20 + 20;

fn ep(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port)
}

/// A connection table fed by hand, with a clock.
struct Net {
    table: FlowTable,
    rec: Recorder,
    now: i64,
    frames: u64,
}

impl Net {
    fn new(config: FlowConfig) -> Net {
        Net {
            table: FlowTable::new(config),
            rec: Recorder::default(),
            now: 1_700_000_000 * SEC,
            frames: 0,
        }
    }

    fn advance(&mut self, ns: i64) {
        self.now += ns;
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) {
        self.send_cut(from, to, flags, seq, ack, payload, payload.len() as u32);
    }

    #[allow(clippy::too_many_arguments)]
    fn send_cut(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        payload: &[u8],
        wire_len: u32,
    ) {
        let seg = TcpSegment {
            src_port: from.port(),
            dst_port: to.port(),
            seq,
            ack,
            flags,
            payload,
            wire_len,
        };
        let origlen = HEADERS + wire_len;
        self.frames += u64::from(origlen);
        self.table.tcp(
            Timestamp(self.now),
            origlen,
            from.ip(),
            to.ip(),
            &seg,
            &mut self.rec,
        );
        self.now += 1_000_000; // 1 ms between packets
    }

    fn finish(&mut self) {
        self.table.finish(&mut self.rec);
        self.rec.assert_in_time_order();
    }
}

/// A whole connection, handshake to FIN, with a request and a response.
/// Returns the packets sent.
fn conversation(net: &mut Net, c: SocketAddr, s: SocketAddr, cisn: u32, sisn: u32) -> u64 {
    let (c1, s1) = (cisn.wrapping_add(1), sisn.wrapping_add(1));
    net.send(c, s, SYN, cisn, 0, b"");
    net.send(s, c, SYN_ACK, sisn, c1, b"");
    net.send(c, s, ACK, c1, s1, b"");
    net.send(c, s, ACK, c1, s1, b"request");
    net.send(s, c, ACK, s1, c1 + 7, b"response!");
    net.send(c, s, FIN_ACK, c1 + 7, s1 + 9, b"");
    net.send(s, c, FIN_ACK, s1 + 9, c1 + 8, b"");
    net.send(c, s, ACK, c1 + 8, s1 + 10, b"");
    8
}

#[test]
fn roles_from_the_syn_even_against_the_port_rule() {
    // The client uses the lower port: only the SYN says who is who.
    let (c, s) = (ep(1, 5000), ep(2, 40000));
    let mut net = Net::new(FlowConfig::default());
    conversation(&mut net, c, s, 100, 900);
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.client, f.server), (c, s));
    assert!(f.handshake);
    assert_eq!(f.end, End::Fin);
    assert_eq!((f.client_packets, f.server_packets), (5, 3));
    assert_eq!((f.client_bytes, f.server_bytes), (7, 9));
    assert_eq!(f.gap_bytes, 0);
    assert_eq!(f.component, Component::Other);
    let open = &net.rec.events[0];
    assert_eq!((open.src, open.dst), (c, s));
    assert_eq!(open.kind, EventKind::ConnectionOpen { handshake: true });
    assert_eq!(
        net.rec.kinds(),
        ["connection_open", "connection_close"],
        "{:?}",
        net.rec.events
    );
}

#[test]
fn roles_from_a_syn_ack_alone() {
    // The capture missed the SYN; the SYN-ACK goes from server to client.
    let (c, s) = (ep(1, 5000), ep(2, 40000));
    let mut net = Net::new(FlowConfig::default());
    net.send(s, c, SYN_ACK, 900, 101, b"");
    // The client's first data segment (101..201) is lost, the next arrives:
    // the SYN-ACK said where the client's stream starts, so this is offset
    // 100 and the server's ACK shows the hole.
    net.send(c, s, ACK, 201, 901, &[b'q'; 50]);
    net.send(s, c, ACK, 901, 251, b"");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.client, f.server), (c, s));
    assert!(f.handshake);
    assert_eq!((f.client_bytes, f.gap_bytes), (50, 100));
    assert_eq!(net.rec.gaps(), vec![(Direction::ClientToServer, 0, 100)]);
    let gap = net
        .rec
        .events
        .iter()
        .find(|e| e.kind.name() == "gap")
        .unwrap();
    assert_eq!((gap.src, gap.dst), (c, s));
}

#[test]
fn roles_from_well_known_ports_without_a_handshake() {
    // etcd's client port is the server even though the other port is
    // lower and the server speaks first.
    let (c, s) = (ep(1, 1234), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    net.send(s, c, ACK, 5000, 7000, b"watch event");
    net.send(c, s, ACK, 7000, 5011, b"");
    net.send(c, s, ACK, 7000, 5011, b"range");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.client, f.server), (c, s));
    assert_eq!(f.component, Component::EtcdClient);
    assert!(!f.handshake);
    assert_eq!(f.end, End::Open);
    assert_eq!((f.client_bytes, f.server_bytes, f.gap_bytes), (5, 11, 0));
    assert_eq!(
        net.rec.events[0].kind,
        EventKind::ConnectionOpen { handshake: false }
    );

    // Neither port well known: the higher port is the client.
    let mut net = Net::new(FlowConfig::default());
    net.send(ep(3, 8080), ep(4, 51000), ACK, 1, 1, b"x");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.client, f.server), (ep(4, 51000), ep(3, 8080)));
}

#[test]
fn fin_close_and_trailing_ack_in_the_linger() {
    let (c, s) = (ep(1, 40000), ep(2, 6443));
    let config = FlowConfig {
        linger_ns: 5 * SEC,
        ..FlowConfig::default()
    };
    let mut net = Net::new(config);
    let packets = conversation(&mut net, c, s, 100, 900);
    // The close event came with the second FIN, before the last ACK.
    let close = net
        .rec
        .events
        .iter()
        .find(|e| e.kind.name() == "connection_close")
        .unwrap();
    assert!(matches!(
        close.kind,
        EventKind::ConnectionClose {
            end: End::Fin,
            packets: 7,
            client_bytes: 7,
            server_bytes: 9,
            ..
        }
    ));
    // A duplicate of the final ACK, 1 s later: still this connection.
    net.advance(SEC);
    net.send(c, s, ACK, 109, 910, b"");
    assert!(net.rec.flows.is_empty());
    assert_eq!(net.table.len(), 1);
    // Other traffic 10 s later lets the sweep retire it.
    net.advance(10 * SEC);
    net.send(ep(3, 40001), ep(4, 2379), ACK, 1, 1, b"");
    assert_eq!(net.rec.flows.len(), 1);
    let f = &net.rec.flows[0];
    assert_eq!(f.end, End::Fin);
    assert_eq!(f.packets, packets + 1);
    assert_eq!(f.component, Component::KubeApiserver);
    assert_eq!(net.table.len(), 1);
    net.finish();
    assert_eq!(net.rec.flows.len(), 2);
    assert_eq!(net.table.stats.evicted_idle, 0);
}

#[test]
fn rst_close() {
    let (c, s) = (ep(1, 40000), ep(2, 2380));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(c, s, ACK, 101, 901, b"hi");
    net.send(s, c, RST, 901, 0, b"");
    // Late segment after the RST: same connection.
    net.send(c, s, ACK, 103, 901, b"late");
    net.finish();
    assert_eq!(net.rec.flows.len(), 1);
    let f = &net.rec.flows[0];
    assert_eq!(f.end, End::Rst);
    assert_eq!(f.packets, 5);
    assert_eq!(f.client_bytes, 6);
    assert_eq!(f.component, Component::EtcdPeer);
    let closes: Vec<&Event> = net
        .rec
        .events
        .iter()
        .filter(|e| e.kind.name() == "connection_close")
        .collect();
    assert_eq!(closes.len(), 1);
    assert!(matches!(
        closes[0].kind,
        EventKind::ConnectionClose {
            end: End::Rst,
            packets: 4,
            ..
        }
    ));
}

#[test]
fn port_reuse_after_close_makes_two_flows() {
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    let first = conversation(&mut net, c, s, 100, 900);
    net.advance(SEC / 2);
    // The same ports again, new ISNs, within the linger.
    let second = conversation(&mut net, c, s, 7_000_000, 8_000_000);
    net.finish();
    assert_eq!(net.rec.flows.len(), 2);
    for f in &net.rec.flows {
        assert_eq!(f.packets, first);
        assert_eq!((f.client_packets, f.server_packets), (5, 3));
        assert_eq!((f.client_bytes, f.server_bytes), (7, 9));
        assert_eq!(f.end, End::Fin);
        assert_eq!(f.bytes, u64::from(8 * HEADERS + 7 + 9));
    }
    assert_eq!(second, first);
    assert!(net.rec.flows[0].start < net.rec.flows[1].start);
    assert_eq!(net.table.stats.connections, 2);
    let opens = net
        .rec
        .kinds()
        .iter()
        .filter(|k| **k == "connection_open")
        .count();
    assert_eq!(opens, 2);
}

#[test]
fn new_syn_on_an_open_connection_is_port_reuse() {
    // The old connection's end was not captured.
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(c, s, ACK, 101, 901, b"abc");
    net.send(c, s, SYN, 5_000, 0, b"");
    net.send(s, c, SYN_ACK, 6_000, 5_001, b"");
    net.finish();
    assert_eq!(net.rec.flows.len(), 2);
    assert_eq!(net.rec.flows[0].packets, 3);
    assert_eq!(net.rec.flows[0].end, End::Open);
    assert_eq!(net.rec.flows[1].packets, 2);

    // Same after a connection seen mid-stream, and after one that started
    // with a SYN-ACK.
    for first in [ACK, SYN_ACK] {
        let mut net = Net::new(FlowConfig::default());
        net.send(s, c, first, 900, 101, b"");
        net.send(c, s, ACK, 101, 901, b"abc");
        net.send(c, s, SYN, 5_000, 0, b"");
        net.finish();
        let packets: Vec<u64> = net.rec.flows.iter().map(|f| f.packets).collect();
        assert_eq!(packets, [2, 1], "after {first:?}");
    }
}

#[test]
fn retransmitted_syn_is_the_same_connection() {
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.advance(SEC);
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(s, c, SYN_ACK, 900, 101, b""); // and a retransmitted SYN-ACK
    net.send(c, s, ACK, 101, 901, b"x");
    // A SYN captured after the SYN-ACK (reordered capture) is no new
    // connection either.
    let (c2, s2) = (ep(3, 40000), ep(4, 2379));
    net.send(s2, c2, SYN_ACK, 900, 101, b"");
    net.send(c2, s2, SYN, 100, 0, b"");
    net.send(c2, s2, ACK, 101, 901, b"y");
    net.finish();
    let packets: Vec<u64> = net.rec.flows.iter().map(|f| f.packets).collect();
    assert_eq!(packets, [5, 3]);
    assert!(net.rec.flows.iter().all(|f| f.gap_bytes == 0));
    assert_eq!(net.rec.flows[1].client, c2);
}

#[test]
fn idle_connections_are_evicted_as_open() {
    let (c, s) = (ep(1, 40000), ep(2, 10250));
    let config = FlowConfig {
        idle_timeout_ns: 5 * SEC,
        ..FlowConfig::default()
    };
    let mut net = Net::new(config);
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(c, s, ACK, 101, 901, b"ping");
    // Data behind a hole that will never be filled.
    net.send(s, c, ACK, 911, 105, b"late");
    net.advance(3 * SEC);
    net.send(ep(3, 1), ep(4, 2), ACK, 1, 1, b"");
    assert!(net.rec.flows.is_empty(), "evicted too early");
    net.advance(4 * SEC);
    net.send(ep(3, 1), ep(4, 2), ACK, 1, 1, b"");
    assert_eq!(net.rec.flows.len(), 1);
    let f = &net.rec.flows[0];
    assert_eq!(f.end, End::Open);
    assert_eq!((f.client, f.server), (c, s));
    assert_eq!(f.component, Component::Kubelet);
    assert_eq!(f.packets, 4);
    // The hole was reported when the flow was flushed.
    assert_eq!((f.server_bytes, f.gap_bytes), (4, 10));
    assert_eq!(net.rec.gaps(), vec![(Direction::ServerToClient, 0, 10)]);
    assert_eq!(net.table.stats.evicted_idle, 1);
    let close = net
        .rec
        .events
        .iter()
        .find(|e| e.kind.name() == "connection_close")
        .unwrap();
    assert!(matches!(
        close.kind,
        EventKind::ConnectionClose { end: End::Open, .. }
    ));
    net.finish();
    assert_eq!(net.table.stats.gap_bytes, 10);
}

#[test]
fn a_packet_after_the_idle_timeout_starts_a_new_flow() {
    // Even when no sweep ran in between (no other traffic).
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let config = FlowConfig {
        idle_timeout_ns: 5 * SEC,
        ..FlowConfig::default()
    };
    let mut net = Net::new(config);
    net.send(c, s, ACK, 100, 900, b"a");
    net.advance(5 * SEC);
    net.send(c, s, ACK, 101, 900, b"b");
    net.finish();
    let packets: Vec<u64> = net.rec.flows.iter().map(|f| f.packets).collect();
    assert_eq!(packets, [1, 1]);
    assert_eq!(net.table.stats.evicted_idle, 1);
    assert_eq!(net.rec.flows[0].end, End::Open);
}

#[test]
fn events_come_in_time_order_even_when_timestamps_step_back() {
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig {
        idle_timeout_ns: 2 * SEC,
        ..FlowConfig::default()
    });
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(c, s, ACK, 101, 901, b"abc");
    net.send(c, s, ACK, 110, 901, b"def"); // hole 104..110
    // A packet stamped 50 ms earlier than the last one: its gap event
    // cannot go back in time.
    net.advance(-50_000_000);
    net.send(s, c, ACK, 901, 113, b"");
    net.advance(60_000_000);
    let (c2, s2) = (ep(3, 40000), ep(4, 6443));
    net.send(c2, s2, ACK, 1, 1, b"x");
    net.advance(-10_000_000);
    net.send(s2, c2, RST, 1, 0, b"");
    net.advance(3 * SEC);
    net.send(ep(5, 1), ep(6, 2), ACK, 1, 1, b"");
    net.finish();
    net.rec.assert_in_time_order();
    assert_eq!(net.rec.gaps(), vec![(Direction::ClientToServer, 3, 6)]);
    assert_eq!(net.rec.flows.len(), 3);
}

#[test]
fn byte_counters() {
    // `bytes` is every frame's length; client/server bytes are the unique
    // payload, whatever was retransmitted, reordered or overlapping.
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(c, s, ACK, 105, 901, b"efgh"); // ahead
    net.send(c, s, ACK, 101, 901, b"abcd");
    net.send(c, s, ACK, 101, 901, b"abcdefghij"); // overlaps both
    net.send(s, c, ACK, 901, 111, b"0123456789");
    net.send(s, c, ACK, 906, 111, b"56789ABCDE"); // half retransmitted
    net.send_cut(s, c, ACK, 916, 111, b"F", 4); // cut by the snaplen
    net.send(c, s, ACK, 111, 920, b"");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!(f.bytes, net.frames);
    assert_eq!(f.client_frame_bytes + f.server_frame_bytes, net.frames);
    assert_eq!((f.client_packets, f.server_packets), (5, 4));
    assert_eq!(f.client_bytes, 10);
    assert_eq!(f.server_bytes, 16);
    assert_eq!(f.gap_bytes, 3);
    assert_eq!(f.retransmitted_bytes, 8 + 5);
    assert_eq!(net.rec.gaps(), vec![(Direction::ServerToClient, 16, 3)]);
}

#[test]
fn lost_segment_gap_event_through_the_table() {
    let (c, s) = (ep(1, 40000), ep(2, 2379));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.send(s, c, ACK, 901, 101, &[1; 100]);
    net.send(s, c, ACK, 1101, 101, &[3; 100]); // 1001..1101 lost
    assert!(net.rec.gaps().is_empty());
    net.send(c, s, ACK, 101, 1201, b"");
    assert_eq!(net.rec.gaps(), vec![(Direction::ServerToClient, 100, 100)]);
    let gap = net
        .rec
        .events
        .iter()
        .find(|e| e.kind.name() == "gap")
        .unwrap();
    assert_eq!((gap.src, gap.dst), (s, c));
    net.send(s, c, ACK, 1201, 101, &[4; 100]);
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.server_bytes, f.gap_bytes), (300, 100));
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// xorshift64*: small, deterministic, good enough to shuffle segments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.range(0, i as u64) as usize;
            v.swap(i, j);
        }
    }

    fn isn(&mut self) -> u32 {
        // Often right below the wrap, so streams cross it.
        if self.chance(40) {
            u32::MAX - self.range(0, 3000) as u32
        } else {
            self.next() as u32
        }
    }
}

/// A segment of the original stream `[start, end)`, captured up to `kept`.
#[derive(Clone, Copy, Debug)]
struct Seg {
    start: usize,
    end: usize,
    kept: usize,
}

/// Cuts `0..len` into consecutive segments of 1..=max bytes.
fn cut(rng: &mut Rng, len: usize, max: u64) -> Vec<Seg> {
    let mut v = Vec::new();
    let mut o = 0;
    while o < len {
        let n = (rng.range(1, max) as usize).min(len - o);
        v.push(Seg {
            start: o,
            end: o + n,
            kept: n,
        });
        o += n;
    }
    v
}

/// The feed: every segment at least once, plus duplicates and overlapping
/// re-segmentations of the same bytes, shuffled within a window (so acks
/// can lag realistically) or completely.
fn jumble(rng: &mut Rng, segs: &[Seg], len: usize) -> Vec<Seg> {
    let mut feed: Vec<Seg> = segs.to_vec();
    for s in segs {
        if rng.chance(15) {
            feed.push(*s);
        }
    }
    for _ in 0..rng.range(0, 1 + segs.len() as u64 / 3) {
        let a = rng.range(0, len as u64 - 1) as usize;
        let b = (a + rng.range(1, 400) as usize).min(len);
        feed.push(Seg {
            start: a,
            end: b,
            kept: b - a,
        });
    }
    if rng.chance(50) {
        rng.shuffle(&mut feed);
    } else {
        feed.sort_by_key(|s| s.start);
        let w = rng.range(2, 8) as usize;
        for chunk in feed.chunks_mut(w) {
            rng.shuffle(chunk);
        }
    }
    feed
}

/// Collects a reassembler's output into a stream image: bytes at their
/// offsets, gaps as ranges. Asserts contiguity.
struct Image {
    bytes: Vec<u8>,
    known: Vec<bool>,
    gaps: Vec<(u64, u64)>,
    next: u64,
}

impl Image {
    fn new() -> Image {
        Image {
            bytes: Vec::new(),
            known: Vec::new(),
            gaps: Vec::new(),
            next: 0,
        }
    }

    fn take(&mut self, c: Chunk<'_>) {
        match c {
            Chunk::Data { offset, bytes } => {
                assert_eq!(offset, self.next);
                self.bytes.extend_from_slice(bytes);
                self.known.extend(std::iter::repeat_n(true, bytes.len()));
                self.next += bytes.len() as u64;
            }
            Chunk::Gap { offset, len } => {
                assert_eq!(offset, self.next);
                assert!(len > 0);
                self.gaps.push((offset, len));
                self.bytes.extend(std::iter::repeat_n(0, len as usize));
                self.known.extend(std::iter::repeat_n(false, len as usize));
                self.next += len;
            }
        }
    }
}

#[test]
fn property_any_order_duplicates_and_overlaps_give_the_exact_stream() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..400 {
        let len = rng.range(1, 6000) as usize;
        let original: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let isn = rng.isn();
        let max_seg = rng.range(1, 700);
        let segs = cut(&mut rng, len, max_seg);
        let feed = jumble(&mut rng, &segs, len);
        let mut r = Reassembler::new(1 << 20);
        let mut img = Image::new();
        r.segment(isn, true, false, b"", 0, &mut |c| img.take(c));
        // The peer acknowledges what it has in order, as a receiver would:
        // those ACKs must never make a gap.
        let mut have = vec![false; len];
        let mut acked = 0;
        for s in &feed {
            let seq = isn.wrapping_add(1).wrapping_add(s.start as u32);
            let p = &original[s.start..s.end];
            r.segment(seq, false, false, p, p.len() as u32, &mut |c| img.take(c));
            have[s.start..s.end].iter_mut().for_each(|h| *h = true);
            while acked < len && have[acked] {
                acked += 1;
            }
            if rng.chance(50) {
                let ack = isn.wrapping_add(1).wrapping_add(acked as u32);
                r.peer_ack(ack, &mut |c| img.take(c));
            }
        }
        // Every segment arrived: the whole stream is out before any flush.
        assert_eq!(img.next, len as u64, "case {case}");
        r.flush(&mut |c| img.take(c));
        assert!(img.gaps.is_empty(), "case {case}: gaps {:?}", img.gaps);
        assert!(img.bytes == original, "case {case}: stream differs");
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.stats.delivered, len as u64);
        assert_eq!(r.stats.conflicting, 0);
        let fed: u64 = feed.iter().map(|s| (s.end - s.start) as u64).sum();
        assert_eq!(r.stats.retransmitted, fed - len as u64, "case {case}");
    }
}

#[test]
fn property_lost_and_cut_segments_become_gaps_at_the_right_offsets() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for case in 0..400 {
        let len = rng.range(1, 8000) as usize;
        let original: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let isn = rng.isn();
        let max_seg = rng.range(1, 900);
        let segs = cut(&mut rng, len, max_seg);
        let mut feed = jumble(&mut rng, &segs, len);
        // The capture loses some copies and cuts some by a "snaplen".
        let drop_pct = rng.range(0, 40);
        let cut_pct = rng.range(0, 30);
        let lost: Vec<bool> = feed.iter().map(|_| rng.chance(drop_pct)).collect();
        for s in feed.iter_mut() {
            if rng.chance(cut_pct) {
                s.kept = rng.range(0, (s.end - s.start) as u64) as usize;
            }
        }
        let max_buffered = if rng.chance(50) {
            rng.range(0, 3000) as usize
        } else {
            1 << 20
        };
        let acks = rng.chance(60);
        let mut r = Reassembler::new(max_buffered);
        let mut img = Image::new();
        r.segment(isn, true, false, b"", 0, &mut |c| img.take(c));
        // The receiver got every segment, lost to the capture or not, and
        // acknowledges its in-order prefix.
        let mut have = vec![false; len];
        let mut acked = 0;
        for (s, lost) in feed.iter().zip(&lost) {
            have[s.start..s.end].iter_mut().for_each(|h| *h = true);
            while acked < len && have[acked] {
                acked += 1;
            }
            if !lost {
                let seq = isn.wrapping_add(1).wrapping_add(s.start as u32);
                let p = &original[s.start..s.start + s.kept];
                r.segment(seq, false, false, p, (s.end - s.start) as u32, &mut |c| {
                    img.take(c)
                });
                assert!(
                    r.buffered() <= max_buffered,
                    "case {case}: {} buffered, limit {max_buffered}",
                    r.buffered()
                );
            }
            if acks && rng.chance(30) {
                let ack = isn.wrapping_add(1).wrapping_add(acked as u32);
                r.peer_ack(ack, &mut |c| img.take(c));
            }
        }
        // Bytes that some copy did not bring.
        let mut missed = vec![false; len];
        for (s, &l) in feed.iter().zip(&lost) {
            let from = if l { s.start } else { s.start + s.kept };
            missed[from..s.end].iter_mut().for_each(|m| *m = true);
        }
        // The connection ends with a FIN right after the last byte.
        let fin_seq = isn.wrapping_add(1).wrapping_add(len as u32);
        r.segment(fin_seq, false, true, b"", 0, &mut |c| img.take(c));
        if rng.chance(50) {
            r.peer_ack(fin_seq.wrapping_add(1), &mut |c| img.take(c));
        }
        r.flush(&mut |c| img.take(c));
        assert!(r.is_finished(), "case {case}");
        assert_eq!(img.next, len as u64, "case {case}");
        let gap_total: u64 = img.gaps.iter().map(|g| g.1).sum();
        assert_eq!(r.stats.delivered + gap_total, len as u64, "case {case}");
        assert_eq!(r.stats.gap_bytes, gap_total);
        assert_eq!(r.stats.gaps, img.gaps.len() as u64);
        for (i, (&b, &k)) in img.bytes.iter().zip(&img.known).enumerate() {
            if k {
                assert_eq!(b, original[i], "case {case}: byte {i} misplaced");
            }
        }
        // No gap is invented: unless the buffer limit forced one (its bytes
        // may have come later), a gap byte is one some copy did not bring.
        if r.stats.forced_gaps == 0 {
            for &(o, n) in &img.gaps {
                for i in o..o + n {
                    assert!(missed[i as usize], "case {case}: byte {i} was captured");
                }
            }
        }
        assert_eq!(r.buffered(), 0);
    }
}

#[test]
fn protocol_comes_from_content_then_decode_as_then_the_port() {
    // No payload on the apiserver port: the port's usual protocol, said so.
    let (c, s) = (ep(1, 40000), ep(2, 6443));
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, SYN, 100, 0, b"");
    net.send(s, c, SYN_ACK, 900, 101, b"");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.protocol, f.protocol_by), (Protocol::Tls, "port"));

    // Plain HTTP on the same port: the content wins over the port.
    let mut net = Net::new(FlowConfig::default());
    net.send(c, s, ACK, 100, 900, b"GET /healthz HTTP/1.1\r\n\r\n");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.protocol, f.protocol_by), (Protocol::Http1, "content"));

    // --decode-as wins over everything.
    let config = FlowConfig {
        decode_as: vec!["6443=http2".parse().unwrap()],
        ..FlowConfig::default()
    };
    let mut net = Net::new(config);
    net.send(c, s, ACK, 100, 900, b"GET /healthz HTTP/1.1\r\n\r\n");
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.protocol, f.protocol_by), (Protocol::Http2, "decode-as"));

    // Unrecognised bytes (a capture that began mid-stream) on etcd's peer
    // port: HTTP/1.1 by the port, whose dissector resynchronises.
    let mut net = Net::new(FlowConfig::default());
    net.send(ep(3, 40001), ep(4, 2380), ACK, 1, 1, &[0xde; 80]);
    net.send(ep(4, 2380), ep(3, 40001), ACK, 1, 81, &[0xad; 80]);
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.protocol, f.protocol_by), (Protocol::Http1, "port"));

    // The same on a port with no usual protocol: unknown.
    let mut net = Net::new(FlowConfig::default());
    net.send(ep(3, 40001), ep(4, 9999), ACK, 1, 1, &[0xde; 80]);
    net.send(ep(4, 9999), ep(3, 40001), ACK, 1, 81, &[0xad; 80]);
    net.finish();
    let f = &net.rec.flows[0];
    assert_eq!((f.protocol, f.protocol_by), (Protocol::Unknown, "none"));
}

// ---------------------------------------------------------------------------
// Real captures against tshark
// ---------------------------------------------------------------------------

/// Every TCP stream of corpus captures with out-of-order segments,
/// retransmissions and records split across segments, put back in order
/// by one [`Reassembler`] per direction, equals, byte for byte, what
/// tshark's `-z follow,tcp,raw,N` prints for that stream.
#[test]
fn corpus_streams_equal_tshark_follow() {
    use kinspect::capture::{FileSource, PacketSource};
    use kinspect::net::decode::{Transport, decode};
    let corpus = require_corpus!();
    if !common::have_tool("tshark", "-v") {
        return;
    }
    type Side = (IpAddr, u16);
    /// One stream: its two sides (the first packet's sender first), the
    /// bytes each side's reassembler delivered, and the reassemblers.
    type Stream = (Side, Side, [Vec<u8>; 2], [Reassembler; 2]);
    let (mut compared, mut bytes) = (0, 0);
    for file in [
        "wireshark/http-ooo.pcap",
        "ndpi/tls_certificate_too_long.pcap",
        "ndpi/tls_2_reasms.pcapng",
        "lwerdna-filesamples/simple_http.pcap",
    ] {
        let path = corpus.join(file);
        let mut src = FileSource::open(&path).expect("open capture");
        // Streams in order of their first packet, as tshark numbers them.
        let mut streams: Vec<Stream> = Vec::new();
        while src.advance().expect("read capture") {
            let packet = src.current();
            let Ok(d) = decode(&packet) else { continue };
            let Transport::Tcp(tcp) = d.transport else {
                continue;
            };
            let (a, b) = ((d.src, tcp.src_port), (d.dst, tcp.dst_port));
            let i = match streams
                .iter()
                .position(|s| (s.0, s.1) == (a, b) || (s.0, s.1) == (b, a))
            {
                Some(i) => i,
                None => {
                    streams.push((
                        a,
                        b,
                        [Vec::new(), Vec::new()],
                        [Reassembler::new(1 << 20), Reassembler::new(1 << 20)],
                    ));
                    streams.len() - 1
                }
            };
            let s = &mut streams[i];
            let dir = usize::from(s.0 != a);
            let out = &mut s.2[dir];
            s.3[dir].segment(
                tcp.seq,
                tcp.flags.syn,
                tcp.flags.fin,
                tcp.payload,
                tcp.wire_len,
                &mut |c| {
                    if let Chunk::Data { bytes, .. } = c {
                        out.extend_from_slice(bytes);
                    }
                },
            );
        }
        for (n, s) in streams.iter_mut().enumerate() {
            for dir in 0..2 {
                let out = &mut s.2[dir];
                s.3[dir].flush(&mut |c| {
                    if let Chunk::Data { bytes, .. } = c {
                        out.extend_from_slice(bytes);
                    }
                });
            }
            let (node0, node1) = common::oracle::tshark_follow_nodes(&path, "tcp", n as u32);
            assert_eq!(s.2[0].len(), node0.len(), "{file} stream {n}: first side");
            assert_eq!(s.2[0], node0, "{file} stream {n}: first side");
            assert_eq!(s.2[1], node1, "{file} stream {n}: second side");
            compared += 1;
            bytes += node0.len() + node1.len();
        }
    }
    assert!(compared >= 4, "{compared} streams compared");
    assert!(bytes > 10_000, "only {bytes} bytes compared");
}

//! One direction of a TCP connection: a sequence of segments, peer ACKs and
//! flushes fed to `net::Reassembler`, checking what comes out.
//!
//! Input layout:
//!   byte 0      max_buffered = (b + 1) * 8 bytes (small, to force gaps)
//!   byte 1      mode: bit 0 = payload bytes come from the input (overlaps may
//!               conflict) instead of a pattern derived from the sequence number
//!   bytes 2-5   initial sequence number (big endian; try values near 2^32)
//!   then ops, each starting with a tag byte (tag % 5):
//!     0 segment  rel(2, signed, * scale) flags(1) len(1) [extra(2)] [payload]
//!     1 peer_ack rel(2, signed)
//!     2 flush
//!     3 segment at a raw 32-bit sequence number: seq(4) flags(1) len(1) ...
//!     4 start_at rel(2, signed) (what a SYN-ACK tells about a missed SYN)
//!   flags: bit0 SYN, bit1 FIN, bit2 cut by snaplen (extra = bytes beyond
//!   `len` on the wire), bits 4-7 scale shift for `rel`.
//!
//! Checks after every call: chunks are contiguous from offset 0, non-empty,
//! in increasing order; Data + Gap lengths add up to the next offset and to
//! the direction's counters; `buffered()` stays within max_buffered plus the
//! largest segment; flush leaves nothing buffered; with pattern payloads the
//! delivered bytes are exactly those the sender wrote at that offset.

#![no_main]

use kinspect::net::{Chunk, Reassembler};
use libfuzzer_sys::fuzz_target;

/// The byte a consistent sender writes at sequence number `seq`.
fn pattern(seq: u32) -> u8 {
    (seq ^ (seq >> 8) ^ (seq >> 16) ^ (seq >> 24)) as u8
}

struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Some(a)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[derive(Default)]
struct Checker {
    /// Offset the next chunk must start at.
    next: u64,
    data_bytes: u64,
    gap_bytes: u64,
    gaps: u64,
    /// Check delivered bytes against `pattern` (consistent sender).
    patterned: bool,
}

impl Checker {
    fn chunk(&mut self, base: Option<u32>, c: Chunk<'_>) {
        match c {
            Chunk::Data { offset, bytes } => {
                assert_eq!(offset, self.next, "data chunk not contiguous");
                assert!(!bytes.is_empty(), "empty data chunk at {offset}");
                if self.patterned {
                    let base = base.expect("data delivered before the stream started");
                    for (i, &b) in bytes.iter().enumerate() {
                        let seq = base.wrapping_add((offset + i as u64) as u32);
                        assert_eq!(
                            b,
                            pattern(seq),
                            "wrong byte at stream offset {} (seq {seq})",
                            offset + i as u64
                        );
                    }
                }
                self.next += bytes.len() as u64;
                self.data_bytes += bytes.len() as u64;
            }
            Chunk::Gap { offset, len } => {
                assert_eq!(offset, self.next, "gap not contiguous");
                assert!(len > 0, "empty gap at {offset}");
                self.next += len;
                self.gap_bytes += len;
                self.gaps += 1;
            }
        }
    }

    fn after(&self, r: &Reassembler, max_buffered: usize, largest: usize) {
        assert_eq!(r.next_offset(), self.next, "next_offset disagrees with chunks");
        assert_eq!(r.stats.delivered, self.data_bytes, "delivered counter");
        assert_eq!(r.stats.gap_bytes, self.gap_bytes, "gap_bytes counter");
        assert_eq!(r.stats.gaps, self.gaps, "gaps counter");
        assert!(
            r.buffered() <= max_buffered + largest,
            "buffered {} > max_buffered {max_buffered} + largest segment {largest}",
            r.buffered()
        );
        if self.patterned {
            assert_eq!(r.stats.conflicting, 0, "conflicts counted for identical copies");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data };
    let (Some(mb), Some(mode), Some(isn)) = (inp.byte(), inp.byte(), inp.u32()) else {
        return;
    };
    let max_buffered = (usize::from(mb) + 1) * 8;
    let from_input = mode & 1 != 0;
    let mut r = Reassembler::new(max_buffered);
    let mut ck = Checker {
        patterned: !from_input,
        ..Checker::default()
    };
    let mut largest = 0usize;
    let mut scratch = Vec::new();
    let mut ops = 0;
    while let Some(tag) = inp.byte() {
        ops += 1;
        if ops > 4096 {
            break;
        }
        match tag % 5 {
            0 | 3 => {
                let seq = if tag % 5 == 0 {
                    let Some(rel) = inp.u16() else { break };
                    let Some(&flags) = inp.data.first() else { break };
                    let shift = u32::from(flags >> 4);
                    isn.wrapping_add(((rel as i16 as i32) << shift) as u32)
                } else {
                    let Some(seq) = inp.u32() else { break };
                    seq
                };
                let (Some(flags), Some(len)) = (inp.byte(), inp.byte()) else {
                    break;
                };
                let syn = flags & 1 != 0;
                let fin = flags & 2 != 0;
                let extra = if flags & 4 != 0 {
                    let Some(e) = inp.u16() else { break };
                    u32::from(e)
                } else {
                    0
                };
                let len = usize::from(len);
                let payload: &[u8] = if from_input {
                    let Some(p) = inp.take(len) else { break };
                    p
                } else {
                    let data_seq = if syn { seq.wrapping_add(1) } else { seq };
                    scratch.clear();
                    scratch.extend((0..len as u32).map(|i| pattern(data_seq.wrapping_add(i))));
                    &scratch
                };
                largest = largest.max(payload.len());
                let wire_len = payload.len() as u32 + extra;
                // The reassembler learns its base from the first segment.
                let mut out = Vec::new();
                r.segment(seq, syn, fin, payload, wire_len, &mut |c| out.push(owned(c)));
                let base = r.base();
                for c in &out {
                    ck.chunk(base, c.borrow());
                }
                ck.after(&r, max_buffered, largest);
            }
            1 => {
                let Some(rel) = inp.u16() else { break };
                let ack = isn.wrapping_add(rel as i16 as i32 as u32);
                let base = r.base();
                let before = r.buffered();
                r.peer_ack(ack, &mut |c| ck.chunk(base, c));
                assert!(r.buffered() <= before, "peer_ack buffered more");
                ck.after(&r, max_buffered, largest);
            }
            4 => {
                let Some(rel) = inp.u16() else { break };
                let was = r.base();
                r.start_at(isn.wrapping_add(rel as i16 as i32 as u32));
                if was.is_some() {
                    assert_eq!(r.base(), was, "start_at moved a started stream");
                }
                ck.after(&r, max_buffered, largest);
            }
            _ => {
                let base = r.base();
                r.flush(&mut |c| ck.chunk(base, c));
                assert_eq!(r.buffered(), 0, "flush left bytes buffered");
                ck.after(&r, max_buffered, largest);
            }
        }
    }
    let base = r.base();
    r.flush(&mut |c| ck.chunk(base, c));
    assert_eq!(r.buffered(), 0, "final flush left bytes buffered");
    ck.after(&r, max_buffered, largest);
});

/// A chunk copied out of the callback (the first segment sets the base, which
/// the check needs, so it runs after `segment` returns).
enum Owned {
    Data(u64, Vec<u8>),
    Gap(u64, u64),
}

impl Owned {
    fn borrow(&self) -> Chunk<'_> {
        match self {
            Owned::Data(offset, bytes) => Chunk::Data {
                offset: *offset,
                bytes,
            },
            Owned::Gap(offset, len) => Chunk::Gap {
                offset: *offset,
                len: *len,
            },
        }
    }
}

fn owned(c: Chunk<'_>) -> Owned {
    match c {
        Chunk::Data { offset, bytes } => Owned::Data(offset, bytes.to_vec()),
        Chunk::Gap { offset, len } => Owned::Gap(offset, len),
    }
}

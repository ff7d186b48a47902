//! One direction of a TCP connection turned back into the byte stream the
//! sender wrote.
//!
//! Handles what real captures contain: segments out of order, retransmitted
//! and overlapping segments (the first copy seen wins; differing overlaps
//! are counted), captures that start mid-connection (no SYN: the first
//! segment carrying data, a SYN or a FIN is offset 0; a bare ACK is not, as
//! a keepalive probe sits one byte before the stream), sequence numbers
//! wrapping past 2^32, frames cut by the snaplen (the bytes cut off are a
//! gap, even if a later copy of the segment carries them), and segments the
//! capture never saw. A missing segment never stalls the stream: the hole
//! is reported as a gap as soon as the peer acknowledges it (even with no
//! data seen after it), the direction's buffer limit is reached, the
//! connection ends, or the capture ends — and delivery goes on after it. A
//! hole right before the FIN is a gap too.
//!
//! Memory is bounded: at most `max_buffered` bytes of out-of-order data are
//! held, in at most `max(max_buffered / 256, 64)` pieces (so a flood of
//! tiny or header-only segments cannot grow the buffer either). Segments
//! that arrive in order are handed on straight from the packet, uncopied.
//!
//! Written here because no maintained crate does passive reassembly with gap
//! reporting and bounded buffers for a read-only observer.

use std::collections::BTreeMap;

/// A piece of the reconstructed stream, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Bytes at `offset` (bytes since the start of the stream as observed).
    Data { offset: u64, bytes: &'a [u8] },
    /// `len` bytes at `offset` that the capture does not have.
    Gap { offset: u64, len: u64 },
}

/// Counters for one direction.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DirectionStats {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes never seen (holes reported as gaps).
    pub gap_bytes: u64,
    /// Gaps reported.
    pub gaps: u64,
    /// Bytes seen again after they were already delivered or buffered.
    pub retransmitted: u64,
    /// Overlapping bytes whose content differed from the first copy.
    pub conflicting: u64,
    /// Segments that arrived ahead of a hole with bytes not seen before.
    pub out_of_order: u64,
    /// Holes skipped because the buffer limit was reached.
    pub forced_gaps: u64,
}

#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    /// Bytes after `data` that the segment carried but the capture cut off.
    missing_tail: u64,
}

impl Piece {
    fn end(&self, start: u64) -> u64 {
        start + self.data.len() as u64 + self.missing_tail
    }
}

/// Fewest pieces a direction may buffer, whatever `max_buffered` is.
const MIN_PIECES: usize = 64;
/// One buffered piece allowed per this many bytes of `max_buffered`.
const BYTES_PER_PIECE: usize = 256;
/// The largest TCP window (65535 << 14): a peer cannot acknowledge more than
/// this beyond what the sender had sent. An ACK further ahead is not trusted.
const MAX_WINDOW: i64 = 1 << 30;

/// Reassembly of one direction. See the module documentation.
#[derive(Debug)]
pub struct Reassembler {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Next offset to deliver. Every key of `pending` is above it.
    next: u64,
    pending: BTreeMap<u64, Piece>,
    pending_bytes: usize,
    max_buffered: usize,
    max_pieces: usize,
    /// Offset of the FIN, when seen.
    fin_at: Option<u64>,
    pub stats: DirectionStats,
}

impl Reassembler {
    /// `max_buffered`: bytes of out-of-order data kept before a hole is skipped.
    pub fn new(max_buffered: usize) -> Self {
        Reassembler {
            base: None,
            next: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            max_buffered,
            max_pieces: (max_buffered / BYTES_PER_PIECE).max(MIN_PIECES),
            fin_at: None,
            stats: DirectionStats::default(),
        }
    }

    /// True once the stream start is known (a SYN, a FIN, a segment with
    /// data, or [`Reassembler::start_at`]).
    pub fn is_started(&self) -> bool {
        self.base.is_some()
    }

    /// Declares that the stream's first byte has sequence number `seq`, as
    /// the peer's SYN-ACK tells when the capture missed this side's SYN.
    /// Does nothing once the stream has started.
    pub fn start_at(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
            self.next = 0;
        }
    }

    /// The sequence number of stream offset 0, if known.
    pub fn base(&self) -> Option<u32> {
        self.base
    }

    /// Next stream offset expected.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Bytes held waiting for a hole to fill.
    pub fn buffered(&self) -> usize {
        self.pending_bytes
    }

    /// True if a FIN was seen and every byte before it was delivered or
    /// reported as a gap.
    pub fn is_finished(&self) -> bool {
        self.fin_at.is_some_and(|f| self.next >= f)
    }

    /// Maps a 32-bit sequence number onto the 64-bit stream offset closest to
    /// where the stream is now (this is what makes wrap-around invisible).
    fn stream_offset(&self, seq: u32) -> Option<i64> {
        let base = self.base?;
        let rel = seq.wrapping_sub(base);
        let delta = rel.wrapping_sub(self.next as u32) as i32;
        Some(self.next as i64 + i64::from(delta))
    }

    /// Feeds one segment. `payload` is what the capture kept, `wire_len`
    /// what the segment carried. Emits in-order chunks to `out`.
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        wire_len: u32,
        out: &mut impl FnMut(Chunk<'_>),
    ) {
        // The SYN takes one sequence number; data starts after it.
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let wire_len = u64::from(wire_len).max(payload.len() as u64);
        if self.base.is_none() {
            if !syn && !fin && wire_len == 0 {
                // A bare ACK or keepalive probe (sent at one byte before the
                // stream) does not say where the stream is.
                return;
            }
            // Mid-connection start: the first segment seen defines offset 0.
            self.base = Some(data_seq);
            self.next = 0;
        }
        let Some(start) = self.stream_offset(data_seq) else {
            return;
        };
        if fin {
            let at = start + wire_len as i64;
            if at >= 0 {
                self.fin_at = Some(at as u64);
            }
        }
        if wire_len == 0 {
            return;
        }
        let end = start + wire_len as i64;
        let next = self.next as i64;
        if end <= next {
            self.stats.retransmitted += wire_len;
            return;
        }
        // Trim what was already delivered.
        let skip = (next - start).max(0) as u64;
        self.stats.retransmitted += skip;
        let mut start = start.max(next) as u64;
        let (mut data, mut missing) = if skip < payload.len() as u64 {
            (&payload[skip as usize..], wire_len - payload.len() as u64)
        } else {
            (&[][..], wire_len - skip)
        };
        if start == self.next {
            let Some((&first, _)) = self.pending.first_key_value() else {
                // The common case: in order, nothing waiting. No copy.
                self.deliver(data, missing, out);
                return;
            };
            // Fills (part of) the hole: hand on what lies before the first
            // buffered piece straight from the packet; only the part
            // overlapping buffered pieces goes through the buffer.
            let take = (first - start).min(data.len() as u64 + missing);
            let kept = take.min(data.len() as u64);
            self.deliver(&data[..kept as usize], take - kept, out);
            data = &data[kept as usize..];
            missing -= take - kept;
            start = self.next;
            if data.is_empty() && missing == 0 {
                self.drain(out);
                return;
            }
            self.insert(start, data, missing);
        } else if self.insert(start, data, missing) {
            self.stats.out_of_order += 1;
        }
        self.drain(out);
        while self.pending_bytes > self.max_buffered || self.pending.len() > self.max_pieces {
            self.stats.forced_gaps += 1;
            self.skip_to_first(out);
        }
    }

    /// The peer acknowledged everything before `ack`: bytes below that which
    /// the capture does not have will never come, so report them as a gap
    /// and move on.
    pub fn peer_ack(&mut self, ack: u32, out: &mut impl FnMut(Chunk<'_>)) {
        let Some(mut acked) = self.stream_offset(ack) else {
            return;
        };
        if acked - self.next as i64 > MAX_WINDOW {
            return;
        }
        if let Some(f) = self.fin_at {
            // The FIN takes a sequence number but no stream byte.
            acked = acked.min(f as i64);
        }
        while (self.next as i64) < acked {
            match self.pending.first_key_value() {
                Some((&first, _)) if first as i64 <= acked => self.skip_to_first(out),
                _ => self.report_gap(acked as u64 - self.next, out),
            }
        }
    }

    /// Delivers everything still buffered, reporting holes (including one
    /// before a FIN) as gaps. Call when the connection ends or the capture
    /// ends.
    pub fn flush(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while !self.pending.is_empty() {
            self.skip_to_first(out);
        }
        if let Some(f) = self.fin_at {
            if f > self.next {
                self.report_gap(f - self.next, out);
            }
        }
    }

    fn deliver(&mut self, data: &[u8], missing: u64, out: &mut impl FnMut(Chunk<'_>)) {
        if !data.is_empty() {
            out(Chunk::Data {
                offset: self.next,
                bytes: data,
            });
            self.next += data.len() as u64;
            self.stats.delivered += data.len() as u64;
        }
        if missing > 0 {
            self.report_gap(missing, out);
        }
    }

    fn report_gap(&mut self, len: u64, out: &mut impl FnMut(Chunk<'_>)) {
        out(Chunk::Gap {
            offset: self.next,
            len,
        });
        self.next += len;
        self.stats.gap_bytes += len;
        self.stats.gaps += 1;
    }

    /// Reports the hole before the first buffered piece and delivers what
    /// then is in order.
    fn skip_to_first(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        if let Some((&first, _)) = self.pending.first_key_value() {
            if first > self.next {
                self.report_gap(first - self.next, out);
            }
            self.drain(out);
        }
    }

    /// Delivers pending pieces that are now in order.
    fn drain(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let piece = entry.remove();
            self.pending_bytes -= piece.data.len();
            let end = piece.end(start);
            if end <= self.next {
                continue;
            }
            let skip = self.next - start;
            let (data, missing) = if (skip as usize) < piece.data.len() {
                (&piece.data[skip as usize..], piece.missing_tail)
            } else {
                (&[][..], end - self.next)
            };
            self.deliver(data, missing, out);
        }
    }

    /// Buffers `data` at `start` followed by `missing` cut-off bytes,
    /// keeping bytes already buffered (first copy wins) and counting
    /// overlaps. `start` is above `next`, or at it with pieces buffered.
    /// Returns true if any of it was new.
    fn insert(&mut self, start: u64, data: &[u8], missing: u64) -> bool {
        let mut new = false;
        let end = start + data.len() as u64 + missing;
        let mut cursor = start;
        // Pieces never overlap, so only the last one starting before
        // `start` can cover its beginning.
        if let Some((&s, piece)) = self.pending.range(..start).next_back() {
            let e = piece.end(s);
            if e > start {
                overlap(&mut self.stats, s, piece, start, data, cursor, end);
                cursor = e;
            }
        }
        while cursor < end {
            let found = match self.pending.range(cursor..end).next() {
                Some((&s, piece)) => {
                    overlap(&mut self.stats, s, piece, start, data, cursor, end);
                    Some((s, piece.end(s)))
                }
                None => None,
            };
            let (stop, resume) = found.unwrap_or((end, end));
            if stop > cursor {
                self.put(cursor, stop, start, data);
                new = true;
            }
            cursor = resume;
        }
        new
    }

    /// Buffers `[s, e)` of a segment holding `data` at `start`.
    fn put(&mut self, s: u64, e: u64, start: u64, data: &[u8]) {
        let known_end = (start + data.len() as u64).min(e);
        let bytes = if known_end > s {
            data[(s - start) as usize..(known_end - start) as usize].to_vec()
        } else {
            Vec::new()
        };
        let missing_tail = e - s - bytes.len() as u64;
        self.pending_bytes += bytes.len();
        self.pending.insert(
            s,
            Piece {
                data: bytes,
                missing_tail,
            },
        );
    }
}

/// Counts the overlap of a new segment (`data` at `start`, ending at
/// `end`, already handled up to `cursor`) with the buffered piece at `s`.
fn overlap(
    stats: &mut DirectionStats,
    s: u64,
    piece: &Piece,
    start: u64,
    data: &[u8],
    cursor: u64,
    end: u64,
) {
    // Bytes both copies actually hold can be compared.
    let ov_start = s.max(start);
    let ov_end = (s + piece.data.len() as u64).min(start + data.len() as u64);
    if ov_end > ov_start {
        let old = &piece.data[(ov_start - s) as usize..(ov_end - s) as usize];
        let new = &data[(ov_start - start) as usize..(ov_end - start) as usize];
        if old != new {
            stats.conflicting += old.iter().zip(new).filter(|(a, b)| a != b).count() as u64;
        }
    }
    stats.retransmitted += piece.end(s).min(end) - s.max(cursor);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds segments and returns the stream with gaps shown as `_`.
    fn run(r: &mut Reassembler, segs: &[(u32, &[u8])]) -> String {
        let mut s = String::new();
        for (seq, data) in segs {
            r.segment(*seq, false, false, data, data.len() as u32, &mut |c| {
                push(&mut s, c)
            });
        }
        r.flush(&mut |c| push(&mut s, c));
        s
    }

    fn push(s: &mut String, c: Chunk<'_>) {
        match c {
            Chunk::Data { bytes, .. } => s.push_str(std::str::from_utf8(bytes).unwrap()),
            Chunk::Gap { len, .. } => s.push_str(&"_".repeat(len as usize)),
        }
    }

    #[test]
    fn in_order_and_reordered() {
        let mut r = Reassembler::new(1 << 20);
        assert_eq!(
            run(&mut r, &[(100, b"abc"), (106, b"ghi"), (103, b"def")]),
            "abcdefghi"
        );
        assert_eq!(r.stats.out_of_order, 1);
        assert_eq!(r.stats.gap_bytes, 0);
    }

    #[test]
    fn wraps_around_sequence_space() {
        let mut r = Reassembler::new(1 << 20);
        let seq = u32::MAX - 2;
        assert_eq!(
            run(&mut r, &[(seq, b"abc"), (seq.wrapping_add(3), b"def")]),
            "abcdef"
        );
    }

    #[test]
    fn hole_is_reported_once_acked() {
        let mut r = Reassembler::new(1 << 20);
        let mut s = String::new();
        r.segment(1000, true, false, b"", 0, &mut |c| push(&mut s, c));
        r.segment(1001, false, false, b"abc", 3, &mut |c| push(&mut s, c));
        r.segment(1008, false, false, b"hij", 3, &mut |c| push(&mut s, c));
        assert_eq!(s, "abc");
        r.peer_ack(1011, &mut |c| push(&mut s, c));
        assert_eq!(s, "abc____hij");
        assert_eq!(r.stats.gap_bytes, 4);
    }

    #[test]
    fn hole_filler_spanning_buffered_pieces_keeps_the_first_copies() {
        let mut r = Reassembler::new(1 << 20);
        // Pieces at 3..5 and 7..9 are buffered (upper case), then one
        // segment 1..10 fills everything around them.
        let s = run(
            &mut r,
            &[(0, b"a"), (3, b"DE"), (7, b"HI"), (1, b"bcdefghij")],
        );
        assert_eq!(s, "abcDEfgHIj");
        assert_eq!(r.stats.conflicting, 4);
        assert_eq!(r.stats.retransmitted, 4);
        assert_eq!(r.buffered(), 0);
    }
}

//! One frame of any supported link type through `net::decode`: never a
//! panic, and what it returns stays inside the frame.
//!
//! Input: byte 0 picks the link type (low 3 bits) and whether the frame was
//! cut by the snaplen (bit 7; then bytes 1-2 say how many bytes the wire had
//! beyond what was kept); the rest is the frame.

#![no_main]

use kinspect::capture::{LinkType, Packet};
use kinspect::net::{self, Transport};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

const LINK_TYPES: [u32; 8] = [0, 1, 101, 108, 113, 228, 229, 276];

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let linktype = LinkType(LINK_TYPES[(sel & 7) as usize]);
    let (frame, extra) = if sel & 0x80 != 0 && rest.len() >= 2 {
        let extra = u32::from(u16::from_be_bytes([rest[0], rest[1]]));
        // Bit 6: a wildly larger original length (up to u32::MAX).
        let extra = if sel & 0x40 != 0 { extra << 16 | 0xFFFF } else { extra };
        (&rest[2..], extra)
    } else {
        (rest, 0)
    };
    let origlen = (frame.len() as u32).saturating_add(extra);
    let packet = Packet {
        ts: Timestamp(0),
        linktype,
        origlen,
        data: frame,
    };
    let Ok(d) = net::decode(&packet) else {
        return;
    };
    let _ = (d.src, d.dst);
    match d.transport {
        Transport::Tcp(t) => {
            assert!(inside(frame, t.payload), "TCP payload outside the frame");
            assert!(t.wire_len as usize >= t.payload.len(), "wire_len below captured payload");
            let bound = u64::from(origlen).max(frame.len() as u64);
            assert!(u64::from(t.wire_len) <= bound, "wire_len {} beyond frame length {bound}", t.wire_len);
            let _ = (t.src_port, t.dst_port, t.seq, t.ack, t.flags);
        }
        Transport::Udp { payload, .. } => {
            assert!(inside(frame, payload), "UDP payload outside the frame");
        }
        Transport::Other(_) => {}
    }
});

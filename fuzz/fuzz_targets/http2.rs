//! The HTTP/2 dissector and the HPACK decoder on any bytes: never a panic;
//! the events do not depend on how the bytes were split (the TCP layer may
//! hand them over in any pieces); and a header block loona-hpack (the
//! reference decoder) accepts decodes to the same fields through ours
//! unless one of our bounds was hit; and the bounds hold (decoded size per
//! block, table size within what SETTINGS allowed).
//!
//! Input: byte 0 picks the chunk size, byte 1 how much goes to the client
//! side; the rest is split between the two directions.

#![no_main]

use std::sync::Arc;

use kinspect::event::EventKind;
use kinspect::proto::http2::Http2Dissector;
use kinspect::proto::http2::hpack::{
    HpackDecoder, MAX_DECODED_BLOCK, MAX_TABLE_SIZE, reference_decode,
};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Collect(Vec<(Direction, EventKind)>);

impl EventSink for Collect {
    fn emit(&mut self, _ts: Timestamp, dir: Direction, kind: EventKind) {
        self.0.push((dir, kind));
    }
}

fn run(client: &[u8], server: &[u8], chunk: usize) -> Vec<(Direction, EventKind)> {
    let conn = ConnInfo {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:2379".parse().unwrap(),
        component: Component::EtcdClient,
    };
    let mut d = Http2Dissector::new(conn, Arc::new(Context::default()));
    let mut sink = Collect::default();
    // Client bytes first, then server bytes: the same order for every
    // chunk size, so the events must be the same.
    for c in client.chunks(chunk) {
        d.data(Timestamp(1), Direction::ClientToServer, c, &mut sink);
    }
    for c in server.chunks(chunk) {
        d.data(Timestamp(2), Direction::ServerToClient, c, &mut sink);
    }
    d.end(Timestamp(3), &mut sink);
    sink.0
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let chunk = usize::from(data[0]).max(1);
    let rest = &data[2..];
    let split = (usize::from(data[1]) * rest.len()) / 255;
    let (mut client, server) = rest.split_at(split.min(rest.len()));
    // Half the inputs start with the preface, so strict HPACK is reached.
    let with_preface;
    if data[0] & 1 == 1 {
        let mut v = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        v.extend_from_slice(client);
        with_preface = v;
        client = &with_preface;
    }
    let whole = run(client, server, usize::MAX);
    let pieces = run(client, server, chunk);
    assert_eq!(whole, pieces, "events depend on the split (chunk {chunk})");

    // HPACK bounds, on any block and any SETTINGS value: what is kept
    // stays within the block cap, what is dropped is counted, and a size
    // update is never honoured above what was allowed.
    let allowed = u32::from(data[1]) * 64;
    let mut bounded = HpackDecoder::new(true);
    bounded.set_allowed_table_size(allowed);
    let b = bounded.decode(rest);
    let kept: usize = b.fields.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    assert!(kept <= MAX_DECODED_BLOCK, "kept {kept} bytes");
    assert!(b.decoded_size >= kept);
    assert_eq!(b.dropped_fields > 0, b.decoded_size > MAX_DECODED_BLOCK);
    if let Some(c) = b.table_size_clamped {
        assert!(c.asked > c.used && c.used <= allowed as usize && c.above_settings);
        assert!(!bounded.knows_table());
    }

    // HPACK: ours agrees with loona-hpack whenever loona-hpack accepts and
    // none of our bounds was hit (loona-hpack has none by default).
    if let Some(theirs) = reference_decode(rest) {
        let mut ours = HpackDecoder::new(true);
        ours.set_allowed_table_size(MAX_TABLE_SIZE as u32);
        let b = ours.decode(rest);
        if b.dropped_fields == 0 && b.table_size_clamped.is_none() {
            assert_eq!(b.fields, theirs, "ours and loona-hpack disagree");
            assert_eq!(b.unknown, 0);
            assert!(ours.knows_table());
        }
    }
});

//! The HTTP/2 dissector and the HPACK decoder on any bytes: never a panic;
//! the events do not depend on how the bytes were split (the TCP layer may
//! hand them over in any pieces); and a header block loona-hpack (the
//! reference decoder) accepts decodes to the same fields through ours
//! unless one of our bounds was hit; and the bounds hold (decoded size per
//! block, table size within what SETTINGS allowed).
//!
//! With HTTP/2 turned off (`Wants::http2`, framing only) it reports the
//! same resyncs and its last event comes at the same time.
//!
//! Input: byte 0 picks the chunk size, byte 1 how much goes to the client
//! side; the rest is split between the two directions.

#![no_main]

use std::sync::Arc;

use kinspect::event::EventKind;
use kinspect::proto::http2::{Http2Dissector, Http2Event};
use kinspect::proto::http2::hpack::{
    HpackDecoder, MAX_DECODED_BLOCK, MAX_TABLE_SIZE, reference_decode,
};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink, Wants};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Collect(Vec<(Timestamp, Direction, EventKind)>);

impl EventSink for Collect {
    fn emit(&mut self, ts: Timestamp, dir: Direction, kind: EventKind) {
        self.0.push((ts, dir, kind));
    }
}

fn run(client: &[u8], server: &[u8], chunk: usize) -> Vec<(Direction, EventKind)> {
    run_with(client, server, chunk, Wants::ALL)
        .into_iter()
        .map(|(_, d, k)| (d, k))
        .collect()
}

fn run_with(
    client: &[u8],
    server: &[u8],
    chunk: usize,
    wants: Wants,
) -> Vec<(Timestamp, Direction, EventKind)> {
    let conn = ConnInfo {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:2379".parse().unwrap(),
        component: Component::EtcdClient,
    };
    let ctx = Context {
        wants,
        ..Context::default()
    };
    let mut d = Http2Dissector::new(conn, Arc::new(ctx));
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

    // Framing only (`Wants::http2` off, for views that drop HTTP/2 events
    // but keep their times): the same resyncs, and events up to the same
    // latest time as the full dissector.
    let off = Wants {
        http2: false,
        ..Wants::ALL
    };
    let full = run_with(client, server, chunk, Wants::ALL);
    let light = run_with(client, server, chunk, off);
    let resyncs = |v: &[(Timestamp, Direction, EventKind)]| -> Vec<String> {
        v.iter()
            .filter(|(_, _, k)| matches!(k, EventKind::Http2(Http2Event::Http2Resync { .. })))
            .map(|e| format!("{e:?}"))
            .collect()
    };
    assert_eq!(resyncs(&full), resyncs(&light));
    let latest = |v: &[(Timestamp, Direction, EventKind)]| v.iter().map(|e| e.0).max();
    assert_eq!(latest(&full), latest(&light), "framing only ends elsewhere");
    assert!(light.iter().all(|(_, _, k)| matches!(
        k,
        EventKind::Http2(Http2Event::Http2Resync { .. } | Http2Event::Http2Frames { .. })
    )));

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

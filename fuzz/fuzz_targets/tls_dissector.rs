//! The TLS dissector on arbitrary bytes: never a panic, whatever the
//! bytes, their direction and their split; every run ends with exactly one
//! `tls_session` event; and the events do not depend on how the bytes are
//! cut (the same input fed whole per flight and one byte at a time gives
//! the same events).
//!
//! Input layout: byte 0 picks directions (bit i = direction of flight i),
//! the rest is cut into flights at every 0xff 0x00 pair.

#![no_main]

use kinspect::event::EventKind;
use kinspect::proto::tls::{TlsDissector, TlsEvent};
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

fn run(flights: &[(Direction, &[u8])], bytewise: bool) -> Vec<(Direction, EventKind)> {
    let conn = ConnInfo {
        client: "127.0.0.1:50000".parse().unwrap(),
        server: "127.0.0.1:6443".parse().unwrap(),
        component: Component::KubeApiserver,
    };
    let mut d = TlsDissector::new(conn, Context::shared());
    let mut sink = Collect::default();
    let ts = Timestamp(1_600_000_000_000_000_000);
    for (dir, bytes) in flights {
        if bytewise {
            for b in bytes.iter() {
                d.data(ts, *dir, std::slice::from_ref(b), &mut sink);
            }
        } else {
            d.data(ts, *dir, bytes, &mut sink);
        }
    }
    d.end(ts, &mut sink);
    sink.0
}

fuzz_target!(|data: &[u8]| {
    let Some((&dirs, rest)) = data.split_first() else {
        return;
    };
    let mut flights = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < rest.len() {
        if rest[i] == 0xff && rest[i + 1] == 0x00 {
            flights.push(&rest[start..i]);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    flights.push(&rest[start..]);
    let flights: Vec<(Direction, &[u8])> = flights
        .into_iter()
        .enumerate()
        .map(|(n, f)| {
            let dir = if (dirs >> (n % 8)) & 1 == 0 {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            (dir, f)
        })
        .collect();
    let whole = run(&flights, false);
    let sessions = whole
        .iter()
        .filter(|(_, k)| matches!(k, EventKind::Tls(TlsEvent::TlsSession(_))))
        .count();
    assert_eq!(sessions, 1, "one tls_session per connection");
    let bytewise = run(&flights, true);
    assert_eq!(whole, bytewise, "events depend on the split");
});

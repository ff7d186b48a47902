//! `Http1Dissector` on any conversation: the input is a script of steps
//! (a control byte: direction, data or gap, length) so that requests,
//! responses, gaps and any byte split are all explored, on a plain port and
//! on etcd's peer port (where Raft stream chunks are looked for).
//! Checks: never a panic or a hang, a bounded number of events for the
//! input, response statuses in 100..=999, skipped-byte counts never more
//! than what was fed (split invariance is checked by tests/pcap/http1.rs on
//! realistic exchanges).

#![no_main]

use kinspect::event::EventKind;
use kinspect::proto::http1::{Http1Dissector, HttpEvent};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

struct Count {
    events: usize,
    max_skip: u64,
    bad_status: bool,
}

impl EventSink for Count {
    fn emit(&mut self, _ts: Timestamp, _dir: Direction, kind: EventKind) {
        self.events += 1;
        if let EventKind::Http(h) = &kind {
            match h {
                HttpEvent::HttpResponse { status, .. } if !(100..=999).contains(status) => {
                    self.bad_status = true
                }
                HttpEvent::HttpResync { skipped_bytes, .. } => {
                    self.max_skip = self.max_skip.max(*skipped_bytes)
                }
                _ => {}
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let port = if first & 1 == 1 { 2380 } else { 8080 };
    let conn = ConnInfo {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: format!("10.0.0.2:{port}").parse().unwrap(),
        component: Component::from_port(port).unwrap_or(Component::Other),
    };
    let mut d = Http1Dissector::new(conn, Context::shared());
    let mut sink = Count {
        events: 0,
        max_skip: 0,
        bad_status: false,
    };
    let (mut fed, mut ops) = (0u64, 0usize);
    let mut t = 0i64;
    while let Some((&c, r)) = rest.split_first() {
        rest = r;
        ops += 1;
        t += 1_000;
        let dir = if c & 1 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let len = (c >> 2) as usize + 1;
        if c & 2 == 2 && c & 0xf0 == 0xf0 {
            let gap = len as u64 * 97;
            fed += gap;
            d.gap(Timestamp(t), dir, gap, &mut sink);
            continue;
        }
        let take = len.min(rest.len());
        let (chunk, r) = rest.split_at(take);
        rest = r;
        fed += chunk.len() as u64;
        d.data(Timestamp(t), dir, chunk, &mut sink);
    }
    d.end(Timestamp(t + 1), &mut sink);
    assert!(!sink.bad_status, "status outside 100..=999");
    assert!(
        sink.max_skip <= fed,
        "skipped {} of {fed} bytes",
        sink.max_skip
    );
    assert!(
        sink.events <= 4 * fed as usize + 4 * ops + 16,
        "{} events for {fed} bytes in {ops} steps",
        sink.events
    );
});

//! TLS after a plaintext prefix (`proto::tls::starttls`) on any bytes:
//! the ClientHello scanner finds the first position whose header checks
//! pass and no earlier one, keeps at most a header's length when cut; the
//! exchange namer never panics; and the watcher, fed the bytes as a
//! client/server dialogue cut at fuzzer-chosen points, never panics and
//! switches to TLS exactly when the client's bytes hold a ClientHello.

#![no_main]

use kinspect::proto::detect::{HelloAt, client_hello_at};
use kinspect::proto::tls::starttls::{PlainWatcher, Scan, find_client_hello, recognise};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink, Protocol};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

struct Drop;
impl EventSink for Drop {
    fn emit(&mut self, _ts: Timestamp, _dir: Direction, _kind: kinspect::event::EventKind) {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&cuts, body)) = data.split_first() else {
        return;
    };
    let scan = find_client_hello(body);
    let first_yes = (0..body.len()).find(|&i| client_hello_at(&body[i..]) == HelloAt::Yes);
    match scan {
        Scan::Found(at) => assert_eq!(Some(at), first_yes),
        Scan::Partial(at) => {
            assert!(body.len() - at < 11, "kept {} bytes", body.len() - at);
            assert_eq!(client_hello_at(&body[at..]), HelloAt::NeedMore);
            assert_eq!(first_yes, None);
        }
        Scan::Absent => assert_eq!(first_yes, None),
    }
    let half = body.len() / 2;
    let _ = recognise(&body[..half.min(64)], &body[half..], body);

    // The client's bytes are `body`, cut into pieces of 1..=16 bytes
    // (from `cuts`), with a server line between pieces.
    let conn = ConnInfo {
        client: "127.0.0.1:40000".parse().unwrap(),
        server: "127.0.0.1:2525".parse().unwrap(),
        component: Component::Other,
    };
    let mut w = PlainWatcher::new(conn, Context::shared());
    let step = usize::from(cuts % 16) + 1;
    let ts = Timestamp(1);
    let mut sink = Drop;
    for (n, piece) in body.chunks(step).enumerate() {
        if cuts & 0x80 != 0 && n == 1 {
            w.gap(ts, Direction::ClientToServer, 3, &mut sink);
        }
        w.data(ts, Direction::ClientToServer, piece, &mut sink);
        w.data(ts, Direction::ServerToClient, b"250 ok\r\n", &mut sink);
    }
    if cuts & 0x80 == 0 {
        assert_eq!(
            w.protocol() == Protocol::Tls,
            first_yes.is_some(),
            "watcher and scanner disagree"
        );
    }
    w.end(ts, &mut sink);
});

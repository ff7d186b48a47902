//! HTTP/2 and HPACK: the RFC 7541 Appendix C examples through our decoder
//! (checked against loona-hpack too), with and without the dynamic
//! table; the dissector fed whole, one byte at a time and from the middle
//! of a connection; and ndpi/http2.pcapng (h2c, SLL) against tshark's
//! oracle.

use std::sync::Arc;

use kinspect::event::EventKind;
use kinspect::proto::http2::hpack::{HeaderBlock, HpackDecoder};
use kinspect::proto::http2::{Http2Dissector, Http2Event};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;

use crate::common;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fields(b: &HeaderBlock) -> Vec<(&str, &str)> {
    b.fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

// RFC 7541 C.3 (requests, no Huffman) and C.4 (the same with Huffman).
const C3: [&str; 3] = [
    "828684410f7777772e6578616d706c652e636f6d",
    "828684be58086e6f2d6361636865",
    "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
];
// RFC 7541 C.4: the C.3 requests with Huffman coding.
const C4: [&str; 3] = [
    "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    "828684be5886a8eb10649cbf",
    "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
];
// RFC 7541 C.5 (responses, no Huffman) and C.6 (Huffman); table size 256.
const C5: [&str; 3] = [
    "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
    "4803333037c1c0bf",
    "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
];
// RFC 7541 C.6: the C.5 responses with Huffman coding.
const C6: [&str; 3] = [
    "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
    "4883640effc1c0bf",
    "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
];

fn expected_requests() -> Vec<Vec<(&'static str, &'static str)>> {
    let base = |scheme, path| {
        vec![
            (":method", "GET"),
            (":scheme", scheme),
            (":path", path),
            (":authority", "www.example.com"),
        ]
    };
    let mut second = base("http", "/");
    second.push(("cache-control", "no-cache"));
    let mut third = base("https", "/index.html");
    third.push(("custom-key", "custom-value"));
    vec![base("http", "/"), second, third]
}

fn expected_responses() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![
            (":status", "302"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ],
        vec![
            (":status", "307"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ],
        vec![
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"),
            ("content-encoding", "gzip"),
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            ),
        ],
    ]
}

/// Decodes a sequence of blocks with one decoder; `table_size` as
/// announced by SETTINGS_HEADER_TABLE_SIZE.
fn run_sequence(strict: bool, table_size: Option<u32>, blocks: &[&str]) -> Vec<HeaderBlock> {
    let mut d = HpackDecoder::new(strict);
    if let Some(t) = table_size {
        d.set_allowed_table_size(t);
    }
    blocks.iter().map(|b| d.decode(&unhex(b))).collect()
}

#[test]
fn rfc7541_examples_match_loona_hpack() {
    for (set, size) in [(&C3, None), (&C4, None), (&C5, Some(256)), (&C6, Some(256))] {
        let ours = run_sequence(true, size, set);
        let mut loona = loona_hpack::Decoder::new();
        if let Some(s) = size {
            loona.set_max_table_size(s as usize);
        }
        for (block, mine) in set.iter().zip(&ours) {
            let theirs: Vec<(String, String)> = loona
                .decode(&unhex(block))
                .unwrap()
                .into_iter()
                .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            assert_eq!(mine.fields, theirs, "{block}");
        }
    }
}

#[test]
fn rfc7541_examples_from_start_and_joined_with_the_table() {
    for strict in [true, false] {
        for (set, size, want) in [
            (&C3, None, expected_requests()),
            (&C4, None, expected_requests()),
            (&C5, Some(256), expected_responses()),
            (&C6, Some(256), expected_responses()),
        ] {
            let got = run_sequence(strict, size, set);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(&fields(g), w, "strict={strict} block {i} of {set:?}");
                assert_eq!(g.unknown, 0);
                assert!(!g.malformed);
            }
        }
    }
}

#[test]
fn a_table_known_from_the_start_stays_known_on_clean_input() {
    let mut d = HpackDecoder::new(true);
    for b in C4 {
        d.decode(&unhex(b));
    }
    assert!(d.knows_table());
}

#[test]
fn lenient_without_the_table_marks_unknown_entries() {
    // C.4.2 alone: index 62 (:authority www.example.com) was inserted by
    // C.4.1, which this decoder never saw.
    let mut d = HpackDecoder::new(false);
    let b = d.decode(&unhex(C4[1]));
    assert_eq!(b.unknown, 1);
    assert_eq!(
        fields(&b),
        [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            ("<unknown: dynamic index 62>", "<unknown: dynamic index 62>"),
            ("cache-control", "no-cache"),
        ]
    );
    // C.4.3 next: cache-control (now 62) is known, the authority (63) not.
    let b = d.decode(&unhex(C4[2]));
    assert_eq!(b.unknown, 1);
    assert_eq!(b.get(":path"), Some("/index.html"));
    assert_eq!(b.get("custom-key"), Some("custom-value"));
    assert_eq!(
        b.get("<unknown: dynamic index 63>"),
        Some("<unknown: dynamic index 63>")
    );

    // A decoder that thought it knew the table learns it does not (where
    // loona-hpack fails the whole block).
    assert!(loona_hpack::Decoder::new().decode(&unhex(C3[1])).is_err());
    let mut strict = HpackDecoder::new(true);
    let b = strict.decode(&unhex(C3[1]));
    assert!(!strict.knows_table());
    assert_eq!(b.unknown, 1);
    assert_eq!(b.get("cache-control"), Some("no-cache"));

    // Responses: C.6.2 alone references three entries of C.6.1.
    let mut d = HpackDecoder::new(false);
    d.set_allowed_table_size(256);
    let b = d.decode(&unhex(C6[1]));
    assert_eq!(b.get(":status"), Some("307"));
    assert_eq!(b.unknown, 3);
}

#[test]
fn truncated_blocks_are_partial_not_fatal() {
    let full = unhex(C3[0]);
    for cut in 0..full.len() {
        let mut d = HpackDecoder::new(true);
        let b = d.decode(&full[..cut]);
        assert!(b.fields.len() <= 4);
        if cut >= 3 {
            assert_eq!(b.get(":method"), Some("GET"), "cut at {cut}");
        }
    }
}

// --- the dissector on a constructed connection -------------------------

#[derive(Default)]
struct Collect(Vec<(Direction, EventKind)>);

impl EventSink for Collect {
    fn emit(&mut self, _ts: Timestamp, dir: Direction, kind: EventKind) {
        self.0.push((dir, kind));
    }
}

fn frame(kind: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&sid.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn conn() -> ConnInfo {
    ConnInfo {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:8080".parse().unwrap(),
        component: Component::Other,
    }
}

/// Client side: preface, SETTINGS, the three C.4 requests on streams 1,
/// 3, 5 (the second padded and split into HEADERS + CONTINUATION, the
/// third with a priority block), each END_STREAM.
fn client_bytes() -> (Vec<u8>, usize) {
    let mut v = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    v.extend(frame(4, 0, 0, &[0, 4, 0, 0, 0xff, 0xff]));
    v.extend(frame(1, 0x5, 1, &unhex(C4[0])));
    let second_start = v.len();
    let b2 = unhex(C4[1]);
    let (a, b) = b2.split_at(5);
    let mut padded = vec![3];
    padded.extend_from_slice(a);
    padded.extend_from_slice(&[0, 0, 0]);
    v.extend(frame(1, 0x1 | 0x8, 3, &padded));
    v.extend(frame(9, 0x4, 3, b));
    let mut prio = vec![0, 0, 0, 0, 16];
    prio.extend(unhex(C4[2]));
    v.extend(frame(1, 0x5 | 0x20, 5, &prio));
    (v, second_start)
}

fn server_bytes() -> Vec<u8> {
    let mut v = frame(4, 0, 0, &[]);
    v.extend(frame(4, 1, 0, &[]));
    for (sid, block) in [(1u32, C6[0]), (3, C6[1]), (5, C6[2])] {
        v.extend(frame(1, 0x4, sid, &unhex(block)));
        v.extend(frame(0, 0x1, sid, b"body"));
    }
    v.extend(frame(7, 0, 0, &[0, 0, 0, 5, 0, 0, 0, 0, b'b', b'y', b'e']));
    v
}

fn run(parts: &[(Direction, Vec<u8>)], step: usize) -> Vec<(Direction, EventKind)> {
    let mut d = Http2Dissector::new(conn(), Arc::new(Context::default()));
    let mut sink = Collect::default();
    for (i, (dir, bytes)) in parts.iter().enumerate() {
        for chunk in bytes.chunks(step.max(1)) {
            d.data(Timestamp(i as i64 * 1_000_000), *dir, chunk, &mut sink);
        }
    }
    d.end(Timestamp(10_000_000), &mut sink);
    sink.0
}

fn requests(events: &[(Direction, EventKind)]) -> Vec<(u32, Option<String>, Option<String>, u32)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            EventKind::Http2(Http2Event::Http2Request {
                stream_id,
                path,
                authority,
                unknown_headers,
                ..
            }) => Some((
                *stream_id,
                path.clone(),
                authority.clone(),
                *unknown_headers,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn dissector_whole_equals_one_byte_at_a_time() {
    let (client, _) = client_bytes();
    let server = server_bytes();
    // The server announces a 256-byte table before its responses.
    let mut settings = frame(4, 0, 0, &[0, 1, 0, 0, 1, 0]);
    settings.extend(frame(4, 1, 0, &[]));
    let parts = vec![
        (Direction::ClientToServer, client),
        (Direction::ServerToClient, Vec::new()),
        (Direction::ClientToServer, settings),
        (Direction::ServerToClient, server),
    ];
    let whole = run(&parts, usize::MAX);
    let bytewise = run(&parts, 1);
    assert_eq!(whole, bytewise);

    let reqs = requests(&whole);
    assert_eq!(
        reqs,
        [
            (1, Some("/".into()), Some("www.example.com".into()), 0),
            (3, Some("/".into()), Some("www.example.com".into()), 0),
            (
                5,
                Some("/index.html".into()),
                Some("www.example.com".into()),
                0
            ),
        ]
    );
    let statuses: Vec<(u32, Option<u16>, Option<String>)> = whole
        .iter()
        .filter_map(|(d, e)| match e {
            EventKind::Http2(Http2Event::Http2Response {
                stream_id,
                status,
                path,
                ..
            }) => {
                assert_eq!(*d, Direction::ServerToClient);
                Some((*stream_id, *status, path.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (1, Some(302), Some("/".into())),
            (3, Some(307), Some("/".into())),
            (5, Some(200), Some("/index.html".into())),
        ]
    );
    let ends = whole
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                EventKind::Http2(Http2Event::Http2StreamEnd {
                    response_bytes: 4,
                    ended_by: "end_stream",
                    ..
                })
            )
        })
        .count();
    assert_eq!(ends, 3);
    assert!(whole.iter().any(|(_, e)| matches!(
        e,
        EventKind::Http2(Http2Event::Http2Goaway { last_stream_id: 5, error_code: 0, debug_data, .. }) if debug_data == "bye"
    )));
    let frames = whole.iter().find_map(|(_, e)| match e {
        EventKind::Http2(Http2Event::Http2Frames { client, server, .. }) => {
            Some((client.clone(), server.clone()))
        }
        _ => None,
    });
    let (c, s) = frames.expect("frame counts at the end");
    assert_eq!((c.headers, c.continuation, c.settings), (3, 1, 3));
    assert_eq!((s.headers, s.data, s.goaway, s.settings), (3, 3, 1, 2));
}

#[test]
fn dissector_joined_mid_connection_resumes_and_marks_unknowns() {
    let (client, second_start) = client_bytes();
    // Start 4 bytes into the second request's HEADERS frame: the rest of
    // it is garbage to us, the CONTINUATION after it cannot be used, the
    // third request is found again.
    let parts = vec![(
        Direction::ClientToServer,
        client[second_start + 4..].to_vec(),
    )];
    for step in [usize::MAX, 1, 7] {
        let events = run(&parts, step);
        let reqs = requests(&events);
        assert_eq!(reqs.len(), 1, "step {step}: {events:?}");
        let (sid, path, authority, unknown) = &reqs[0];
        assert_eq!(*sid, 5);
        assert_eq!(path.as_deref(), Some("/index.html"));
        // :authority was index 62+ in the table we never saw.
        assert_eq!(authority, &None);
        assert_eq!(*unknown, 1);
        assert!(
            events.iter().any(|(_, e)| matches!(
                e,
                EventKind::Http2(Http2Event::Http2Resync { skipped_bytes }) if *skipped_bytes > 0
            )),
            "step {step}"
        );
    }
}

#[test]
fn gap_then_resume() {
    let (client, _) = client_bytes();
    let mut d = Http2Dissector::new(conn(), Arc::new(Context::default()));
    let mut sink = Collect::default();
    let cut = 24 + 15 + 10;
    d.data(
        Timestamp(0),
        Direction::ClientToServer,
        &client[..cut],
        &mut sink,
    );
    d.gap(Timestamp(1), Direction::ClientToServer, 3, &mut sink);
    d.data(
        Timestamp(2),
        Direction::ClientToServer,
        &client[cut + 3..],
        &mut sink,
    );
    d.end(Timestamp(3), &mut sink);
    let reqs = requests(&sink.0);
    // The first request was cut by the gap; the later ones are found again
    // (stream 3 is lost with its frame start, stream 5 survives).
    assert!(
        reqs.iter()
            .any(|r| r.0 == 5 && r.1.as_deref() == Some("/index.html"))
    );
    assert!(!reqs.iter().any(|r| r.0 == 1));
}

#[test]
fn garbage_never_panics_and_memory_stays_bounded() {
    let mut d = Http2Dissector::new(conn(), Arc::new(Context::default()));
    let mut sink = Collect::default();
    let mut x: u32 = 12345;
    let mut buf = vec![0u8; 300_000];
    for b in buf.iter_mut() {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    d.data(Timestamp(0), Direction::ClientToServer, &buf, &mut sink);
    d.data(Timestamp(0), Direction::ServerToClient, &buf, &mut sink);
    d.end(Timestamp(1), &mut sink);
    assert!(sink.0.len() < 10_000);
}

// --- ndpi/http2.pcapng against tshark --------------------------------

/// `frame|stream|names;...|values;...` lines of the oracle's HPACK section.
fn oracle_header_lists(oracle: &str) -> Vec<Vec<(String, String)>> {
    let sec = common::oracle_section(
        oracle,
        "HTTP/2 all decoded header fields (HPACK) (frame|stream|names;...|values;...)",
    )
    .expect("HPACK section");
    sec.lines()
        .filter(|l| !l.starts_with('$') && l.contains('|'))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').collect();
            let names = cols[2].split(';');
            let values = cols[3].split(';');
            names
                .zip(values)
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn ndpi_h2c_headers_match_tshark() {
    let corpus = require_corpus!();
    let cap = corpus.join("ndpi/http2.pcapng");
    let oracle = std::fs::read_to_string(common::oracle_path(&cap)).unwrap();
    let want = oracle_header_lists(&oracle);
    assert_eq!(want.len(), 2);
    let run = common::kinspect(&[
        "pcap",
        "events",
        "-o",
        "json",
        "--decode-as",
        "29518=http2",
        "--show-secrets",
        cap.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let events = common::json_lines("http2.pcapng", &run.stdout);
    let got: Vec<Vec<(String, String)>> = events
        .iter()
        .filter(|e| e["type"] == "http2_request" || e["type"] == "http2_response")
        .map(|e| {
            e["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(got, want);
    let req = events
        .iter()
        .find(|e| e["type"] == "http2_request")
        .unwrap();
    assert_eq!(req["path"], "/namf-comm/v1/subscriptions");
    assert_eq!(req["method"], "POST");
    assert_eq!(req["stream_id"], 3);
    let resp = events
        .iter()
        .find(|e| e["type"] == "http2_response")
        .unwrap();
    assert_eq!(resp["status"], 201);
    assert_eq!(resp["path"], "/namf-comm/v1/subscriptions");
    // tshark's frame list: 5 client frames (SETTINGS, WINDOW_UPDATE,
    // HEADERS, DATA, SETTINGS ack) and 7 server frames.
    let frames = events.iter().find(|e| e["type"] == "http2_frames").unwrap();
    assert_eq!(frames["client"]["headers"], 1);
    assert_eq!(frames["client"]["data"], 1);
    assert_eq!(frames["server"]["goaway"], 1);
    assert_eq!(frames["server"]["settings"], 2);
    let goaway = events.iter().find(|e| e["type"] == "http2_goaway").unwrap();
    assert_eq!(goaway["last_stream_id"], 3);
}

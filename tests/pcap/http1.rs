//! HTTP/1.1: the dissector against tshark's answers on real captures
//! (lwerdna-filesamples/simple_http*.pcap, etcd-raft-legacy), and its
//! behaviours on crafted exchanges: pipelining, chunked bodies with
//! trailers, HEAD/1xx/204/304, read-to-close and streaming bodies,
//! h2c and CONNECT hand-over, gaps, mid-stream starts, the header cap, and
//! the same events whatever the byte split.

use std::collections::BTreeMap;
use std::path::Path;

use kinspect::event::EventKind;
use kinspect::proto::http1::{Http1Dissector, HttpEvent, MAX_HEAD, path_template};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;

use crate::common;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

#[derive(Default)]
struct Collect(Vec<EventKind>);

impl EventSink for Collect {
    fn emit(&mut self, _ts: Timestamp, _dir: Direction, kind: EventKind) {
        self.0.push(kind);
    }
}

fn conn(port: u16) -> ConnInfo {
    ConnInfo {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: format!("10.0.0.2:{port}").parse().unwrap(),
        component: Component::from_port(port).unwrap_or(Component::Other),
    }
}

/// Steps of a conversation: bytes (or a gap) in one direction at a time (ms).
enum Step<'a> {
    Data(u64, Direction, &'a [u8]),
    Gap(u64, Direction, u64),
}

fn run(steps: &[Step<'_>], split: usize) -> Vec<EventKind> {
    let mut d = Http1Dissector::new(conn(8080), Context::shared());
    let mut sink = Collect::default();
    let mut last = 0;
    for s in steps {
        match s {
            Step::Data(ms, dir, bytes) => {
                for c in bytes.chunks(split.max(1)) {
                    d.data(Timestamp(*ms as i64 * 1_000_000), *dir, c, &mut sink);
                }
                last = *ms;
            }
            Step::Gap(ms, dir, len) => {
                d.gap(Timestamp(*ms as i64 * 1_000_000), *dir, *len, &mut sink);
                last = *ms;
            }
        }
    }
    d.end(Timestamp((last as i64 + 1) * 1_000_000), &mut sink);
    sink.0
}

fn http(events: &[EventKind]) -> Vec<&HttpEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::Http(h) => Some(h),
            _ => None,
        })
        .collect()
}

/// (method, path, status, body_bytes) of each response.
fn responses(events: &[EventKind]) -> Vec<(String, String, u16, Option<u64>)> {
    http(events)
        .into_iter()
        .filter_map(|e| match e {
            HttpEvent::HttpResponse {
                method,
                path,
                status,
                body_bytes,
                interim: false,
                ..
            } => Some((method.clone(), path.clone(), *status, *body_bytes)),
            _ => None,
        })
        .collect()
}

fn requests(events: &[EventKind]) -> Vec<(String, String)> {
    http(events)
        .into_iter()
        .filter_map(|e| match e {
            HttpEvent::HttpRequest { method, path, .. } => Some((method.clone(), path.clone())),
            _ => None,
        })
        .collect()
}

fn r(m: &str, p: &str, s: u16, b: Option<u64>) -> (String, String, u16, Option<u64>) {
    (m.to_string(), p.to_string(), s, b)
}

const PIPELINED_REQUESTS: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
POST /b?q=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
HEAD /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\nDELETE /e HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";

const PIPELINED_RESPONSES: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello\
HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nnope\r\n6\r\n again\r\n0\r\nX-Trailer: yes\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\
HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";

#[test]
fn pipelined_exchanges_pair_in_order_whatever_the_split() {
    let steps = [
        Step::Data(1000, C2S, PIPELINED_REQUESTS),
        Step::Data(1250, S2C, PIPELINED_RESPONSES),
    ];
    let whole = run(&steps, usize::MAX);
    assert_eq!(
        requests(&whole),
        [
            ("GET", "/a"),
            ("POST", "/b?q=1"),
            ("HEAD", "/c"),
            ("GET", "/d"),
            ("DELETE", "/e")
        ]
        .map(|(m, p)| (m.to_string(), p.to_string()))
    );
    assert_eq!(
        responses(&whole),
        vec![
            r("GET", "/a", 200, Some(5)),
            r("POST", "/b?q=1", 404, None),
            // HEAD: Content-Length describes a body that is not sent.
            r("HEAD", "/c", 200, Some(0)),
            r("GET", "/d", 304, Some(0)),
            r("DELETE", "/e", 204, Some(0)),
        ]
    );
    // The 404's chunked body: 10 bytes and a trailer.
    let end = http(&whole)
        .into_iter()
        .find_map(|e| match e {
            HttpEvent::HttpBodyEnd {
                side: "response",
                body_bytes,
                trailers,
                complete,
                ..
            } => Some((*body_bytes, trailers.clone(), *complete)),
            _ => None,
        })
        .unwrap();
    let mut t = BTreeMap::new();
    t.insert("x-trailer".to_string(), "yes".to_string());
    assert_eq!(end, (10, Some(t), true));
    // The 100 Continue is reported as interim, paired with DELETE /e.
    assert!(http(&whole).iter().any(|e| matches!(e,
        HttpEvent::HttpResponse { status: 100, interim: true, method, .. } if method == "DELETE")));
    // Latency: request end (t=1000 ms) to response head (t=1250 ms).
    let lat = http(&whole).into_iter().find_map(|e| match e {
        HttpEvent::HttpResponse { latency_ms, .. } => *latency_ms,
        _ => None,
    });
    assert_eq!(lat, Some(250.0));
    for split in [1, 2, 3, 7, 64] {
        assert_eq!(run(&steps, split), whole, "split into {split}-byte pieces");
    }
}

#[test]
fn streaming_response_head_comes_first_and_the_body_is_counted() {
    let head = b"GET /watch HTTP/1.1\r\n\r\n";
    let resp =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
    let chunk = b"1000\r\n"
        .iter()
        .copied()
        .chain(vec![b'x'; 4096])
        .chain(*b"\r\n")
        .collect::<Vec<u8>>();
    let mut d = Http1Dissector::new(conn(8080), Context::shared());
    let mut sink = Collect::default();
    d.data(Timestamp(1), C2S, head, &mut sink);
    d.data(Timestamp(2), S2C, resp, &mut sink);
    let streaming = http(&sink.0).into_iter().any(|e| {
        matches!(
            e,
            HttpEvent::HttpResponse {
                streaming: true,
                body_bytes: None,
                ..
            }
        )
    });
    assert!(streaming, "response head reported before any body byte");
    for _ in 0..2000 {
        d.data(Timestamp(3), S2C, &chunk, &mut sink);
    }
    d.data(Timestamp(4), S2C, b"0\r\n\r\n", &mut sink);
    let bytes = http(&sink.0).into_iter().find_map(|e| match e {
        HttpEvent::HttpBodyEnd { body_bytes, .. } => Some(*body_bytes),
        _ => None,
    });
    assert_eq!(bytes, Some(2000 * 4096));
}

#[test]
fn read_to_close_body_ends_with_the_connection() {
    let ev = run(
        &[
            Step::Data(1, C2S, b"GET /old HTTP/1.0\r\n\r\n"),
            Step::Data(2, S2C, b"HTTP/1.0 200 OK\r\n\r\nsome body bytes"),
        ],
        usize::MAX,
    );
    assert_eq!(responses(&ev), vec![r("GET", "/old", 200, None)]);
    assert!(http(&ev).iter().any(|e| matches!(
        e,
        HttpEvent::HttpBodyEnd {
            body_bytes: 15,
            complete: true,
            ..
        }
    )));
}

#[test]
fn gap_inside_headers_resynchronises_on_the_next_request() {
    let ev = run(
        &[
            Step::Data(
                1,
                C2S,
                b"GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHo",
            ),
            Step::Gap(2, C2S, 100),
            Step::Data(
                3,
                C2S,
                b"st: lost\r\nX-More: 1\r\n\r\nGET /three HTTP/1.1\r\n\r\n",
            ),
        ],
        usize::MAX,
    );
    assert_eq!(
        requests(&ev),
        [("GET", "/one"), ("GET", "/three")].map(|(m, p)| (m.to_string(), p.to_string()))
    );
    assert!(http(&ev).iter().any(|e| matches!(
        e,
        HttpEvent::HttpResync {
            side: "request",
            ..
        }
    )));
}

#[test]
fn gap_inside_a_body_keeps_the_framing() {
    let ev = run(
        &[
            Step::Data(
                1,
                C2S,
                b"GET /big HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
            ),
            Step::Data(
                2,
                S2C,
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc",
            ),
            Step::Gap(3, S2C, 990),
            Step::Data(
                4,
                S2C,
                b"1234567HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
            ),
        ],
        usize::MAX,
    );
    assert_eq!(
        responses(&ev),
        vec![
            r("GET", "/big", 200, Some(1000)),
            r("GET", "/next", 201, Some(0))
        ]
    );
    assert!(
        !http(&ev)
            .iter()
            .any(|e| matches!(e, HttpEvent::HttpResync { .. }))
    );
}

#[test]
fn mid_stream_start_skips_to_a_status_line() {
    let ev = run(
        &[
            Step::Data(1, S2C, b"tail of an earlier body\r\n\x00\x01garbage\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"),
        ],
        5,
    );
    assert_eq!(responses(&ev), vec![r("?", "?", 500, Some(0))]);
    let skipped = http(&ev).into_iter().find_map(|e| match e {
        HttpEvent::HttpResync { skipped_bytes, .. } => Some(*skipped_bytes),
        _ => None,
    });
    assert_eq!(skipped, Some(36));
}

#[test]
fn oversized_header_block_is_dropped_not_buffered() {
    let mut big = b"GET /huge HTTP/1.1\r\n".to_vec();
    while big.len() <= MAX_HEAD + 1000 {
        big.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let ev = run(
        &[
            Step::Data(1, C2S, &big),
            Step::Data(2, C2S, b"\r\nGET /after HTTP/1.1\r\n\r\n"),
        ],
        1000,
    );
    assert_eq!(
        requests(&ev),
        vec![("GET".to_string(), "/after".to_string())]
    );
    assert!(http(&ev).iter().any(|e| matches!(e,
        HttpEvent::HttpResync { reason, .. } if reason.contains("64 KiB"))));
}

#[test]
fn h2c_upgrade_hands_both_directions_to_http2() {
    let settings = [0u8, 0, 0, 4, 0, 0, 0, 0, 0];
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&settings);
    let ev = run(
        &[
            Step::Data(1, C2S, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"),
            Step::Data(2, S2C, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
            Step::Data(3, S2C, &settings),
            Step::Data(4, C2S, &preface),
        ],
        usize::MAX,
    );
    assert!(http(&ev).iter().any(|e| matches!(e,
        HttpEvent::HttpUpgrade { protocol, .. } if protocol == "h2c")));
    assert!(ev.iter().any(|e| e.name().starts_with("http2_")), "{ev:?}");
    // The preface was not read as an HTTP/1 request.
    assert_eq!(requests(&ev).len(), 1);
}

#[test]
fn connect_tunnel_goes_to_content_detection() {
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let refused = run(
        &[
            Step::Data(1, C2S, b"CONNECT etcd:2379 HTTP/1.1\r\n\r\n"),
            Step::Data(
                2,
                S2C,
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            ),
            Step::Data(3, C2S, b"GET /after HTTP/1.1\r\n\r\n"),
        ],
        usize::MAX,
    );
    assert_eq!(
        requests(&refused).len(),
        2,
        "a refused CONNECT stays HTTP/1"
    );
    let ev = run(
        &[
            Step::Data(
                1,
                C2S,
                b"CONNECT etcd:2379 HTTP/1.1\r\nHost: etcd:2379\r\n\r\n",
            ),
            Step::Data(2, S2C, b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Step::Data(3, C2S, &preface),
        ],
        usize::MAX,
    );
    assert!(http(&ev).iter().any(|e| matches!(e,
        HttpEvent::HttpUpgrade { protocol, .. } if protocol == "connect")));
    assert_eq!(
        requests(&ev).len(),
        1,
        "tunnel bytes are not HTTP/1 requests"
    );
    assert!(ev.iter().any(|e| e.name().starts_with("http2_")), "{ev:?}");
}

#[test]
fn path_templates() {
    assert_eq!(
        path_template("/raft/stream/msgapp/8e9e05c52164694d"),
        "/raft/stream/msgapp/{id}"
    );
    assert_eq!(
        path_template("/api/v1/namespaces/kube-system/pods/etcd-cp1"),
        "/api/v1/namespaces/{namespace}/pods/{name}"
    );
    assert_eq!(
        path_template("/v2/keys/mykey?wait=true&waitIndex=7"),
        "/v2/keys/mykey"
    );
    assert_eq!(
        path_template("/v2/admin/machines/42"),
        "/v2/admin/machines/{id}"
    );
}

/// (method, host, uri) of requests and (status, content type) of responses,
/// as tshark lists them in an oracle's HTTP/1.x section.
type Pairs = (Vec<(String, String, String)>, Vec<(u16, String)>);

fn oracle_http(capture: &Path) -> Pairs {
    let text = std::fs::read_to_string(common::oracle_path(capture)).unwrap();
    let sec = common::oracle_section(&text, "HTTP/1.x requests/responses (frame|stream|method|host|uri|status|content-type|content-length)")
        .expect("oracle has an HTTP/1.x section");
    let (mut req, mut resp) = (Vec::new(), Vec::new());
    for l in sec
        .lines()
        .filter(|l| !l.starts_with('$') && l.contains('|'))
    {
        let f: Vec<&str> = l.split('|').collect();
        if f.len() < 8 {
            continue;
        }
        if !f[2].is_empty() {
            req.push((f[2].to_string(), f[3].to_string(), f[4].to_string()));
        } else if let Ok(s) = f[5].parse() {
            resp.push((s, f[6].to_string()));
        }
    }
    req.sort();
    resp.sort();
    (req, resp)
}

/// The same from kinspect's JSON events; `skip_port` leaves out one server port.
fn kinspect_http(capture: &Path, skip_port: Option<&str>) -> Pairs {
    let run = common::run_pcap("events", true, &[capture]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let (mut req, mut resp) = (Vec::new(), Vec::new());
    for e in common::json_lines("events", &run.stdout) {
        let server = if e["type"] == "http_request" {
            &e["dst"]
        } else {
            &e["src"]
        };
        if skip_port.is_some_and(|p| server.as_str().unwrap_or("").ends_with(p)) {
            continue;
        }
        let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
        match e["type"].as_str() {
            Some("http_request") => req.push((s("method"), s("host"), s("path"))),
            Some("http_response") if e["interim"] != true => {
                resp.push((e["status"].as_u64().unwrap_or(0) as u16, s("content_type")))
            }
            _ => {}
        }
    }
    req.sort();
    resp.sort();
    (req, resp)
}

#[test]
fn simple_http_matches_tshark() {
    let corpus = require_corpus!();
    for f in ["simple_http.pcap", "simple_http_sll2.pcap"] {
        let cap = corpus.join("lwerdna-filesamples").join(f);
        let ours = kinspect_http(&cap, None);
        assert_eq!(ours, oracle_http(&cap), "{f}");
        assert_eq!(ours.0.len(), 2, "{f}: two requests");
        assert_eq!(ours.1.iter().map(|r| r.0).collect::<Vec<_>>(), [200, 404]);
    }
}

#[test]
fn etcd_v046_peer_and_client_http_matches_tshark() {
    let corpus = require_corpus!();
    let cap = corpus.join("etcd-raft-legacy/etcd-v0.4.6-raft-peer.pcap");
    let oracle = oracle_http(&cap);
    assert!(
        oracle.0.len() > 1000,
        "the oracle lists {} requests",
        oracle.0.len()
    );
    // tshark leaves the one exchange on port 4002 undissected (it shows
    // "TCP segment of a reassembled PDU" there); kinspect decodes it.
    assert_eq!(kinspect_http(&cap, Some(":4002")), oracle);
    let all = kinspect_http(&cap, None);
    assert_eq!(all.0.len(), oracle.0.len() + 1);
    assert!(all.0.contains(&(
        "PUT".into(),
        "127.0.0.1:4002".into(),
        "/v2/keys/mykey".into()
    )));
}

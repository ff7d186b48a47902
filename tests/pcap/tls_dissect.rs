//! The TLS dissector fed directly with real records (the byte-exact
//! records of "The Illustrated TLS 1.2 / 1.3 Connection" in the corpus):
//! the same events whatever the split (whole, one byte at a time, random
//! splits), certificates judged at the time given, TLS 1.3 inference from
//! record sizes, a plaintext prefix skipped, SSLv2 hellos, oversized
//! handshake messages and gaps handled without panics.

use std::path::Path;
use std::sync::Arc;

use kinspect::event::EventKind;
use kinspect::proto::tls::{SessionSummary, TlsDissector, TlsEvent, handshake};
use kinspect::proto::{Component, ConnInfo, Context, Direction, Dissector, EventSink};
use kinspect::timestamp::Timestamp;

use Direction::{ClientToServer as C2S, ServerToClient as S2C};

use crate::common;

#[derive(Default)]
struct Collect(Vec<(Direction, EventKind)>);

impl EventSink for Collect {
    fn emit(&mut self, _ts: Timestamp, dir: Direction, kind: EventKind) {
        self.0.push((dir, kind));
    }
}

fn conn() -> ConnInfo {
    ConnInfo {
        client: "127.0.0.1:50000".parse().unwrap(),
        server: "127.0.0.1:443".parse().unwrap(),
        component: Component::Other,
    }
}

fn record(corpus: &Path, dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(corpus.join(dir).join("records").join(name)).unwrap()
}

/// 2019-01-01T00:00:00Z: the illustrated certificate (2018-10-05 ..
/// 2019-10-05) is valid then.
const IN_2019: Timestamp = Timestamp(1_546_300_800_000_000_000);
/// 2020-01-01T00:00:00Z: expired.
const IN_2020: Timestamp = Timestamp(1_577_836_800_000_000_000);

/// The TLS 1.2 conversation, as (direction, bytes) flights.
fn tls12_flights(corpus: &Path) -> Vec<(Direction, Vec<u8>)> {
    let r = |n| record(corpus, "illustrated-tls12", n);
    vec![
        (C2S, r("clienthello")),
        (
            S2C,
            [
                r("serverhello"),
                r("servercert"),
                r("serverkeyexchange"),
                r("serverhellodone"),
            ]
            .concat(),
        ),
        (
            C2S,
            [r("clientkeyexchange"), r("clientccs"), r("clientfinished")].concat(),
        ),
        (S2C, [r("serverccs"), r("serverfinished")].concat()),
        (C2S, r("clientdata")),
        (S2C, r("serverdata")),
        (C2S, r("clientalert")),
    ]
}

/// Feeds flights, each cut into pieces by `split` (sizes), and ends.
fn run(
    flights: &[(Direction, Vec<u8>)],
    at: Timestamp,
    split: &mut dyn FnMut(usize) -> usize,
) -> Vec<(Direction, EventKind)> {
    let mut d = TlsDissector::new(conn(), Context::shared());
    let mut sink = Collect::default();
    for (dir, bytes) in flights {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = split(rest.len()).clamp(1, rest.len());
            d.data(at, *dir, &rest[..n], &mut sink);
            rest = &rest[n..];
        }
    }
    d.end(at, &mut sink);
    sink.0
}

fn whole(n: usize) -> usize {
    n
}

/// A small deterministic generator for random splits (no timing, no seed
/// from the clock: the same splits every run).
fn lcg(seed: u64) -> impl FnMut(usize) -> usize {
    let mut x = seed;
    move |_| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % 40 + 1) as usize
    }
}

fn tls(events: &[(Direction, EventKind)]) -> Vec<&TlsEvent> {
    events
        .iter()
        .filter_map(|(_, k)| match k {
            EventKind::Tls(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn session(events: &[(Direction, EventKind)]) -> SessionSummary {
    tls(events)
        .into_iter()
        .find_map(|e| match e {
            TlsEvent::TlsSession(s) => Some((**s).clone()),
            _ => None,
        })
        .expect("a tls_session event")
}

#[test]
fn tls12_same_events_in_any_split() {
    let corpus = require_corpus!();
    let flights = tls12_flights(&corpus);
    let reference = run(&flights, IN_2019, &mut whole);
    assert_eq!(
        run(&flights, IN_2019, &mut |_| 1),
        reference,
        "one byte at a time"
    );
    for seed in [1, 7, 42, 1234] {
        assert_eq!(
            run(&flights, IN_2019, &mut lcg(seed)),
            reference,
            "random split, seed {seed}"
        );
    }
    let names: Vec<&str> = tls(&reference).iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "tls_client_hello",
            "tls_server_hello",
            "tls_certificate",
            "tls_change_cipher_spec",
            "tls_handshake_finished",
            "tls_change_cipher_spec",
            "tls_handshake_finished",
            "tls_alert",
            "tls_session"
        ]
    );
}

#[test]
fn tls12_fields_and_judgement_at_the_given_time() {
    let corpus = require_corpus!();
    let flights = tls12_flights(&corpus);
    let events = run(&flights, IN_2019, &mut whole);
    let t = tls(&events);
    let TlsEvent::TlsClientHello(ch) = t[0] else {
        panic!("{:?}", t[0])
    };
    assert_eq!(ch.sni.as_deref(), Some("example.ulfheim.net"));
    assert!(
        ch.cipher_suites
            .iter()
            .any(|c| c == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
    );
    // JA4 exactly as computed from tshark's fields of the same ClientHello
    // in capture.pcap (the record file is a byte copy of it) by FoxIO's
    // rules, hashed by openssl (common::oracle::tshark_ja4; checked
    // against nDPI's published values in tshark_ja4_agrees_with_ndpi).
    let pcap = std::fs::read(corpus.join("illustrated-tls12/capture.pcap")).unwrap();
    let hello = &flights[0].1;
    assert!(
        pcap.windows(hello.len()).any(|w| w == hello.as_slice()),
        "records/clienthello is inside capture.pcap"
    );
    assert_eq!(ch.ja4, "t12d160700_8cdfa2d4673b_18dd7303c4a5");
    if common::have_tool("tshark", "-v") && common::have_tool("openssl", "version") {
        let want = common::oracle::tshark_ja4(&corpus.join("illustrated-tls12/capture.pcap"), &[]);
        assert_eq!(want, [ch.ja4.as_str()]);
    }
    let TlsEvent::TlsServerHello(sh) = t[1] else {
        panic!()
    };
    assert_eq!(sh.version, "TLS 1.2");
    assert_eq!(sh.cipher, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
    let TlsEvent::TlsCertificate(cert) = t[2] else {
        panic!()
    };
    assert_eq!(cert.chain.len(), 1);
    let leaf = &cert.chain[0];
    assert_eq!(leaf.subject, "CN=example.ulfheim.net,C=US");
    assert!(!leaf.expired_at_capture && !leaf.not_yet_valid_at_capture);
    // The issuer (the illustrated CA) is not sent by the server.
    assert!(
        leaf.findings
            .iter()
            .any(|f| f.starts_with("issuer not in the presented chain")),
        "{:?}",
        leaf.findings
    );
    let TlsEvent::TlsAlert(alert) = t[7] else {
        panic!()
    };
    assert!(alert.encrypted && alert.description.contains("close_notify"));
    let s = session(&events);
    assert_eq!(s.verdict, "ok");
    assert_eq!(s.client_to_server.application_data_records, 1);

    // A year later the same certificate is expired at capture time.
    let later = run(&flights, IN_2020, &mut whole);
    let s = session(&later);
    assert!(s.certificates[0].expired_at_capture);
    assert!(
        s.certificates[0].findings[0].starts_with("expired at capture time (notAfter 2019-10-05")
    );
}

fn tls13_flights(
    corpus: &Path,
    client_after_server_flight: Vec<Vec<u8>>,
    server_after: Vec<Vec<u8>>,
) -> Vec<(Direction, Vec<u8>)> {
    let r = |n| record(corpus, "illustrated-tls13", n);
    let mut v = vec![
        (C2S, r("clienthello")),
        (
            S2C,
            [
                r("serverhello"),
                r("serverccs"),
                r("serverencextensions"),
                r("serverenccert"),
                r("serverenccertverify"),
                r("serverencfinished"),
            ]
            .concat(),
        ),
    ];
    if !client_after_server_flight.is_empty() {
        v.push((C2S, client_after_server_flight.concat()));
    }
    if !server_after.is_empty() {
        v.push((S2C, server_after.concat()));
    }
    v
}

#[test]
fn tls13_without_keys_inferred_completed() {
    let corpus = require_corpus!();
    let r = |n| record(&corpus, "illustrated-tls13", n);
    let flights = tls13_flights(
        &corpus,
        vec![r("clientccs"), r("clientencfinished"), r("clientencdata")],
        vec![
            r("serverencticket1"),
            r("serverencticket2"),
            r("serverencdata"),
        ],
    );
    let reference = run(&flights, IN_2019, &mut whole);
    assert_eq!(run(&flights, IN_2019, &mut |_| 1), reference);
    assert_eq!(run(&flights, IN_2019, &mut lcg(9)), reference);
    let s = session(&reference);
    assert_eq!(s.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(s.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    if common::have_tool("tshark", "-v") {
        // tshark's name for the ServerHello's suite in capture.pcap.
        let rows = common::oracle::tshark_fields(
            &corpus.join("illustrated-tls13/capture.pcap"),
            &["-d", "tcp.port==8400,tls", "-Y", "tls.handshake.type == 2"],
            &["tls.handshake.ciphersuite"],
        );
        let suite = u64::from_str_radix(rows[0][0].trim_start_matches("0x"), 16).unwrap();
        assert_eq!(
            common::oracle::tshark_value_name("tls.handshake.ciphersuite", suite).as_deref(),
            s.cipher.as_deref()
        );
    }
    assert!(s.inferred);
    assert_eq!(
        s.verdict,
        "ok (inferred: application data after the server's flight)"
    );
    assert!(
        s.evidence
            .iter()
            .any(|e| e == "server's encrypted flight: 4 records, 1208 bytes"),
        "{:?}",
        s.evidence
    );
}

/// An encrypted record of `len` body bytes (content is irrelevant without keys).
fn opaque(len: usize) -> Vec<u8> {
    let mut v = vec![23, 3, 3, (len >> 8) as u8, len as u8];
    v.extend((0..len).map(|i| (i * 37 % 251) as u8));
    v
}

#[test]
fn tls13_without_keys_client_abort_is_inferred_as_certificate_rejection() {
    let corpus = require_corpus!();
    let r = |n| record(&corpus, "illustrated-tls13", n);
    // The client answers the server's flight with one alert-sized record.
    let flights = tls13_flights(&corpus, vec![r("clientccs"), opaque(19)], vec![]);
    let s = session(&run(&flights, IN_2019, &mut whole));
    assert!(s.inferred);
    assert_eq!(
        s.verdict,
        "handshake failed (inferred): client aborted right after the server's flight — typical of a client rejecting the server certificate"
    );
    assert!(
        s.evidence.iter().any(|e| e.contains("19 bytes")),
        "{:?}",
        s.evidence
    );
}

#[test]
fn tls13_without_keys_server_abort_after_client_certificate_is_inferred() {
    let corpus = require_corpus!();
    let r = |n| record(&corpus, "illustrated-tls13", n);
    // Client certificate + verify + finished, then one small server record.
    let flights = tls13_flights(
        &corpus,
        vec![
            r("clientccs"),
            opaque(840),
            opaque(286),
            r("clientencfinished"),
        ],
        vec![opaque(19)],
    );
    let s = session(&run(&flights, IN_2019, &mut whole));
    assert_eq!(
        s.verdict,
        "handshake failed (inferred): server aborted after the client's second flight — typical of a server rejecting the client certificate"
    );
}

#[test]
fn tls13_certificate_message_layout() {
    let corpus = require_corpus!();
    let msg = record(&corpus, "illustrated-tls13", "servercert");
    let ders = handshake::parse_certificate_list(&msg, true).unwrap();
    assert_eq!(ders.len(), 1);
    let server_crt = std::fs::read_to_string(corpus.join("illustrated-tls13/server.crt")).unwrap();
    let b64: String = server_crt
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(ders[0], der, "the certificate in the message is server.crt");
    // And it is the certificate tshark decrypts from capture.pcap with the
    // key log (tls.handshake.certificate).
    if common::have_tool("tshark", "-v") {
        let dir = corpus.join("illustrated-tls13");
        let keys = format!("tls.keylog_file:{}", dir.join("keylog.txt").display());
        let rows = common::oracle::tshark_fields(
            &dir.join("capture.pcap"),
            &[
                "-o",
                &keys,
                "-d",
                "tcp.port==8400,tls",
                "-Y",
                "tls.handshake.certificate",
            ],
            &["tls.handshake.certificate"],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0].replace(':', ""), hex::encode(&ders[0]));
    }
    // The TLS 1.2 layout must not accept it as a list.
    assert_ne!(
        handshake::parse_certificate_list(&msg, false).ok(),
        Some(vec![der])
    );
}

#[test]
fn plaintext_prefix_is_skipped_and_reported() {
    let corpus = require_corpus!();
    let mut flights = tls12_flights(&corpus);
    // What a proxy answers to CONNECT, in front of the server's first flight,
    // and a STARTTLS-like line in front of the client's.
    let mut c = b"STARTTLS\r\n".to_vec();
    c.extend(&flights[0].1);
    flights[0].1 = c;
    let mut s = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    s.extend(&flights[1].1);
    flights[1].1 = s;
    let events = run(&flights, IN_2019, &mut |_| 3);
    let notices: Vec<String> = tls(&events)
        .iter()
        .filter_map(|e| match e {
            TlsEvent::TlsNotice { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [
            "skipped 10 bytes of plaintext before the first TLS record",
            "skipped 39 bytes of plaintext before the first TLS record"
        ]
    );
    let s = session(&events);
    assert_eq!(s.sni.as_deref(), Some("example.ulfheim.net"));
    assert_eq!(s.verdict, "ok");
    assert_eq!(s.skipped_bytes, 49);
}

#[test]
fn sslv2_client_hello_is_read() {
    // An SSLv2-format ClientHello (RFC 5246 E.2) offering TLS 1.0 with two
    // TLS suites (0x00002f, 0x000035) and one SSLv2 kind (0x010080).
    let mut body = vec![1, 3, 1, 0, 9, 0, 0, 0, 16];
    body.extend([0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x01, 0x00, 0x80]);
    body.extend([0xaa; 16]);
    let mut rec = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    rec.extend(body);
    let events = run(&[(C2S, rec)], IN_2019, &mut |_| 1);
    let TlsEvent::TlsClientHello(ch) = tls(&events)[0] else {
        panic!("{events:?}")
    };
    assert!(ch.sslv2_format);
    assert_eq!(ch.versions, ["TLS 1.0"]);
    assert_eq!(
        ch.cipher_suites,
        [
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA"
        ]
    );
    assert_eq!(ch.ja3_string, "769,47-53,,,");
}

#[test]
fn oversized_handshake_message_is_reported_not_buffered() {
    // A Certificate message announcing 1 MiB, sent in full-size records.
    let mut stream = Vec::new();
    let mut msg = vec![11, 0x10, 0x00, 0x00];
    msg.extend(vec![0u8; 1 << 20]);
    for chunk in msg.chunks(16384) {
        stream.extend([22, 3, 3, (chunk.len() >> 8) as u8, chunk.len() as u8]);
        stream.extend(chunk);
    }
    let events = run(&[(S2C, stream)], IN_2019, &mut lcg(3));
    let notices: Vec<String> = tls(&events)
        .iter()
        .filter_map(|e| match e {
            TlsEvent::TlsNotice { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        ["handshake message type 11 announces 1048576 bytes, over the 256 KiB limit: skipped"]
    );
    assert_eq!(session(&events).server_to_client.records, 65);
}

#[test]
fn sixteen_mib_client_hello_is_said_as_oversize_not_as_a_late_capture() {
    // A ClientHello announcing 16 MiB - 1 (the largest 24-bit length),
    // its first 64 KiB sent in full records: skipped and bounded, and the
    // verdict says why nothing was decoded.
    let len = (1usize << 24) - 1;
    let mut msg = vec![1, 0xff, 0xff, 0xff];
    msg.extend(vec![0u8; 64 * 1024]);
    let mut stream = Vec::new();
    for chunk in msg.chunks(16384) {
        stream.extend([22, 3, 1, (chunk.len() >> 8) as u8, chunk.len() as u8]);
        stream.extend(chunk);
    }
    let events = run(&[(C2S, stream)], IN_2019, &mut lcg(5));
    let s = session(&events);
    assert_eq!(
        s.verdict,
        format!(
            "not decoded: the client's handshake message type 1 announces {len} bytes, over the 256 KiB limit: skipped"
        )
    );
    assert!(!s.verdict.contains("capture started after"));
    assert_eq!(s.client_to_server.records, 5);
}

#[test]
fn gap_then_resynchronise() {
    let corpus = require_corpus!();
    let flights = tls12_flights(&corpus);
    let mut d = TlsDissector::new(conn(), Context::shared());
    let mut sink = Collect::default();
    d.data(IN_2019, C2S, &flights[0].1, &mut sink);
    // Half of the server's first flight, then a gap, then the rest.
    let s = &flights[1].1;
    d.data(IN_2019, S2C, &s[..100], &mut sink);
    d.gap(IN_2019, S2C, 200, &mut sink);
    d.data(IN_2019, S2C, &s[300..], &mut sink);
    d.data(IN_2019, S2C, &flights[3].1, &mut sink);
    d.end(IN_2019, &mut sink);
    let s = session(&sink.0);
    // The ServerHello (first 59 bytes) was read before the gap.
    assert_eq!(
        s.cipher.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
    );
    assert!(
        s.evidence
            .iter()
            .any(|e| e == "capture lost 200 bytes server→client")
    );
    // After resynchronising, the server's ChangeCipherSpec is still seen.
    assert!(
        tls(&sink.0).iter().any(
            |e| matches!(e, TlsEvent::TlsChangeCipherSpec { from } if from.name() == "server")
        )
    );
}

#[test]
fn garbage_never_panics_and_ends_with_a_session() {
    let mut d = TlsDissector::new(conn(), Arc::new(Context::default()));
    let mut sink = Collect::default();
    let mut x: u32 = 12345;
    for _ in 0..2000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        let b = [(x >> 24) as u8, (x >> 16) as u8, 22, 3];
        d.data(IN_2019, if x % 2 == 0 { C2S } else { S2C }, &b, &mut sink);
    }
    d.end(IN_2019, &mut sink);
    let _ = session(&sink.0);
}

/// The tshark-fields JA4 of common::oracle reproduces nDPI's published
/// JA4 values (ndpi/ndpi-expected/*.out, `[JA4: ...]`) for the same
/// captures, so it can stand as an oracle where nDPI has none.
#[test]
fn tshark_ja4_agrees_with_ndpi() {
    let corpus = require_corpus!();
    if !common::have_tool("tshark", "-v") || !common::have_tool("openssl", "version") {
        return;
    }
    for file in [
        "443-git.pcap",
        "ssl-cert-name-mismatch.pcap",
        "tls_alert.pcap",
        "tls_malicious_sha1.pcapng",
        "tls-rdn-extract.pcap",
        "tls_heur__trojan-tcp-tls.pcapng",
    ] {
        let expected =
            std::fs::read_to_string(corpus.join(format!("ndpi/ndpi-expected/{file}.out"))).unwrap();
        let mut ndpi: Vec<String> = expected
            .split("[JA4: ")
            .skip(1)
            .filter_map(|s| s.split(']').next())
            .map(str::to_string)
            .collect();
        ndpi.sort();
        ndpi.dedup();
        let mut ours = common::oracle::tshark_ja4(&corpus.join(format!("ndpi/{file}")), &[]);
        ours.sort();
        ours.dedup();
        // nDPI writes the ALPN part as the first two characters of the
        // value ("ht" for http/1.1) where FoxIO takes the first and last
        // ("h1"): those two characters are compared by their first one.
        let ndpi_form = |j: &str| format!("{}{}", &j[..9], &j[10..]);
        assert_eq!(
            ours.iter().map(|j| ndpi_form(j)).collect::<Vec<_>>(),
            ndpi.iter().map(|j| ndpi_form(j)).collect::<Vec<_>>(),
            "{file}: {ours:?} vs nDPI {ndpi:?}"
        );
    }
}

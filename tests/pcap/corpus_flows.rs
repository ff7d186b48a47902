//! `kinspect pcap flows` against tshark's `-z conv,tcp`, on every capture of
//! the third-party corpus in `../shared/corpus` (read in place, never
//! copied). Each capture has `<name>.oracle.txt` next to it with tshark's
//! conversation table; kinspect must find the same TCP connections with the
//! same packet and byte counts, per direction.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{ConvRow, json_lines, run_pcap};
use serde_json::Value;

use crate::common;

/// Captures that must be in the corpus run: each exercises a part of the
/// capture engine no other file does. The test fails if one is missing,
/// has no oracle, or was skipped.
const REQUIRED: &[(&str, &str)] = &[
    (
        "wireshark/http-ooo.pcap",
        "raw IPv4 link type, segments out of order",
    ),
    ("ndpi/http2.pcapng", "Linux cooked capture (SLL)"),
    (
        "lwerdna-filesamples/simple_http_sll2.pcap",
        "Linux cooked capture v2 (SLL2)",
    ),
    (
        "grpc-packt/grpc-go-Unary.pcapng",
        "NULL/loopback link type, IPv6, pcapng",
    ),
    (
        "illustrated-tls12/capture.pcap",
        "NULL/loopback link type, IPv6, pcap",
    ),
    (
        "malformed/tcpdump/tcp-handshake-nano.pcap",
        "nanosecond pcap",
    ),
    ("ndpi/tls_alert.pcap", "pcapng under a .pcap name"),
    ("ndpi/raft.pcap", "pcapng under a .pcap name"),
];

/// Captures tshark cannot read (its oracle has no conversation table); they
/// are exercised by `tests/malformed_input.rs` instead.
const UNREADABLE_BY_TSHARK: &[&str] = &[
    "malformed/libpcap/linktype-reserved-field-not-zero.pcap",
    "malformed/libpcap/pcap-invalid-version-1.pcap",
    "malformed/libpcap/pcapng-invalid-vers-1.pcapng",
    "malformed/libpcap/shb-option-too-long.pcapng",
    "ndpi/fuzz-2021-10-13.pcap",
];

/// A conversation tshark lists that kinspect legitimately does not have.
struct Exception {
    file: &'static str,
    a: &'static str,
    b: &'static str,
    reason: &'static str,
}

const EXCEPTIONS: &[Exception] = &[Exception {
    file: "ndpi/tls_invalid_reads.pcap",
    a: "10.191.139.17:58552",
    b: "54.221.224.45:443",
    // Frames 10-12 are Ethernet/QinQ/IPv4/UDP 2152 (GTP-U) carrying an inner
    // IPv4/TCP packet; tshark decapsulates the tunnel and counts the inner
    // TCP conversation. kinspect decodes link/IP/TCP/UDP only (DESIGN.md
    // "net"): the frames are counted as UDP, and no control-plane traffic
    // runs in GTP tunnels.
    reason: "TCP inside a GTP-U tunnel (UDP 2152); kinspect does not decapsulate tunnels",
}];

/// tshark prints `ip:port` with IPv6 addresses unbracketed (`::1:50051`).
fn tshark_endpoint(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.rsplit_once(':')?;
    Some(SocketAddr::new(
        ip.parse::<IpAddr>().ok()?,
        port.parse().ok()?,
    ))
}

/// An endpoint pair in a fixed order, whichever side is the client.
type Pair = (SocketAddr, SocketAddr);

fn pair(a: SocketAddr, b: SocketAddr) -> Pair {
    if a <= b { (a, b) } else { (b, a) }
}

/// The fields of one `pcap flows -o json` line that the oracle can check.
#[derive(Debug)]
struct Flow {
    client: SocketAddr,
    server: SocketAddr,
    start: String,
    duration_ms: f64,
    packets: u64,
    bytes: u64,
    client_packets: u64,
    server_packets: u64,
    client_frame_bytes: u64,
    server_frame_bytes: u64,
    line: String,
}

impl Flow {
    fn from_json(v: &Value) -> Result<Flow, String> {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("field {k:?} missing or not a string in {v}"))
        };
        let n = |k: &str| {
            v.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("field {k:?} missing or not a number in {v}"))
        };
        let addr = |k: &str| -> Result<SocketAddr, String> {
            s(k)?
                .parse()
                .map_err(|e| format!("field {k:?}: {e} in {v}"))
        };
        Ok(Flow {
            client: addr("client")?,
            server: addr("server")?,
            start: s("start")?.to_string(),
            duration_ms: v
                .get("duration_ms")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("field \"duration_ms\" missing in {v}"))?,
            packets: n("packets")?,
            bytes: n("bytes")?,
            client_packets: n("client_packets")?,
            server_packets: n("server_packets")?,
            client_frame_bytes: n("client_frame_bytes")?,
            server_frame_bytes: n("server_frame_bytes")?,
            line: v.to_string(),
        })
    }
}

/// Compares one oracle row with the flow matched to it; returns the differences.
fn compare(row: &ConvRow, a: SocketAddr, b: SocketAddr, f: &Flow) -> Vec<String> {
    let mut diffs = Vec::new();
    // Which of tshark's A/B is our client decides the direction mapping.
    let (a_to_b, b_to_a, a_to_b_bytes, b_to_a_bytes) = if f.client == a && f.server == b {
        (
            f.client_packets,
            f.server_packets,
            f.client_frame_bytes,
            f.server_frame_bytes,
        )
    } else if f.client == b && f.server == a {
        (
            f.server_packets,
            f.client_packets,
            f.server_frame_bytes,
            f.client_frame_bytes,
        )
    } else {
        return vec![format!("endpoints differ: {} vs {a} <-> {b}", f.line)];
    };
    if f.packets != row.frames {
        diffs.push(format!("packets {} != tshark {}", f.packets, row.frames));
    }
    if !row.bytes.matches(f.bytes) {
        diffs.push(format!("bytes {} != tshark {}", f.bytes, row.bytes));
    }
    if a_to_b != row.frames_a_to_b {
        diffs.push(format!(
            "packets {a} -> {b}: {a_to_b} != tshark {}",
            row.frames_a_to_b
        ));
    }
    if b_to_a != row.frames_b_to_a {
        diffs.push(format!(
            "packets {b} -> {a}: {b_to_a} != tshark {}",
            row.frames_b_to_a
        ));
    }
    if !row.bytes_a_to_b.matches(a_to_b_bytes) {
        diffs.push(format!(
            "frame bytes {a} -> {b}: {a_to_b_bytes} != tshark {}",
            row.bytes_a_to_b
        ));
    }
    if !row.bytes_b_to_a.matches(b_to_a_bytes) {
        diffs.push(format!(
            "frame bytes {b} -> {a}: {b_to_a_bytes} != tshark {}",
            row.bytes_b_to_a
        ));
    }
    // tshark prints the duration in seconds with 4 decimals.
    let ours = f.duration_ms / 1000.0;
    if (ours - row.duration).abs() > 0.000_1 {
        diffs.push(format!(
            "duration {ours:.6}s != tshark {:.4}s",
            row.duration
        ));
    }
    diffs
}

/// Checks one capture; `Err` holds every difference found, naming the file.
fn check_capture(corpus: &Path, rel: &str, rows: &[ConvRow]) -> Result<String, String> {
    let path = corpus.join(rel);
    let run = run_pcap("flows", true, &[&path]);
    common::assert_no_crash(rel, &run);
    if run.code != Some(0) {
        return Err(format!(
            "{rel}: tshark reads this file without error, kinspect exited with {:?}\n{}",
            run.code,
            run.describe()
        ));
    }
    let flows: Vec<Flow> = json_lines(rel, &run.stdout)
        .iter()
        .map(Flow::from_json)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{rel}: {e}"))?;

    let mut problems = Vec::new();
    let mut expected: BTreeMap<Pair, Vec<(&ConvRow, SocketAddr, SocketAddr)>> = BTreeMap::new();
    let mut excused = 0;
    for row in rows {
        let (Some(a), Some(b)) = (tshark_endpoint(&row.a), tshark_endpoint(&row.b)) else {
            problems.push(format!(
                "oracle row with unparsable endpoints: {}",
                row.line
            ));
            continue;
        };
        if EXCEPTIONS
            .iter()
            .any(|e| e.file == rel && e.a == row.a && e.b == row.b)
        {
            excused += 1;
            continue;
        }
        expected.entry(pair(a, b)).or_default().push((row, a, b));
    }
    let mut ours: BTreeMap<Pair, Vec<&Flow>> = BTreeMap::new();
    for f in &flows {
        ours.entry(pair(f.client, f.server)).or_default().push(f);
    }
    if flows.len() != rows.len() - excused {
        problems.push(format!(
            "{} TCP connections, tshark has {} ({} excused as documented exceptions)",
            flows.len(),
            rows.len(),
            excused
        ));
    }
    for (key, mut want) in expected {
        // Port reuse: several connections on one endpoint pair, matched in
        // start order.
        want.sort_by(|x, y| x.0.rel_start.total_cmp(&y.0.rel_start));
        let mut have = ours.remove(&key).unwrap_or_default();
        have.sort_by(|x, y| x.start.cmp(&y.start));
        if have.len() != want.len() {
            problems.push(format!(
                "{} <-> {}: {} connection(s), tshark has {}",
                key.0,
                key.1,
                have.len(),
                want.len()
            ));
        }
        for (i, (row, a, b)) in want.iter().enumerate() {
            let Some(f) = have.get(i) else {
                problems.push(format!("missing: {}", row.line));
                continue;
            };
            let diffs = compare(row, *a, *b, f);
            if !diffs.is_empty() {
                problems.push(format!(
                    "{} <-> {} (#{}): {}\n    tshark:   {}\n    kinspect: {}",
                    a,
                    b,
                    i + 1,
                    diffs.join("; "),
                    row.line,
                    f.line
                ));
            }
        }
    }
    for (_, extra) in ours {
        for f in extra {
            problems.push(format!("not in tshark's table: {}", f.line));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{rel}: {} connections match tshark ({:?})",
            flows.len(),
            run.elapsed
        ))
    } else {
        Err(format!("{rel}:\n  {}", problems.join("\n  ")))
    }
}

#[test]
fn every_capture_matches_tshark_conversations() {
    let corpus = require_corpus!();
    let summary = common::oracle_summary(&corpus);
    let captures = common::captures_under(&corpus, &corpus);
    let mut failures = Vec::new();
    let mut jobs: Vec<(String, Vec<ConvRow>)> = Vec::new();

    for rel in &captures {
        let oracle_path = common::oracle_path(&corpus.join(rel));
        let Ok(oracle) = std::fs::read_to_string(&oracle_path) else {
            eprintln!("note: {rel}: no oracle, not compared");
            continue;
        };
        let entry = summary.get(rel.as_str());
        let read_error = entry.map(|e| e.read_error.as_str()).unwrap_or_default();
        let rows = match common::parse_tcp_conversations(&oracle) {
            Ok(rows) => rows,
            Err(e) => {
                failures.push(format!("{rel}: oracle: {e}"));
                continue;
            }
        };
        let rows = match rows {
            Some(rows) if read_error.is_empty() => rows,
            _ => {
                // tshark could not read the file: malformed_input.rs covers it.
                if !UNREADABLE_BY_TSHARK.contains(&rel.as_str()) {
                    failures.push(format!(
                        "{rel}: tshark could not read it (read_error {read_error:?}) but it is \
                         not listed in UNREADABLE_BY_TSHARK, so nothing checks it"
                    ));
                }
                eprintln!(
                    "note: {rel}: tshark cannot read it ({read_error}); see malformed_input.rs"
                );
                continue;
            }
        };
        // The parser agrees with the summary's own count of conversations.
        if let Some(n) = entry.and_then(|e| e.tcp_convs) {
            if n != rows.len() as u64 {
                failures.push(format!(
                    "{rel}: parsed {} conversation rows, ORACLE-SUMMARY.json says {n}",
                    rows.len()
                ));
            }
        }
        jobs.push((rel.clone(), rows));
    }

    for (required, why) in REQUIRED {
        if !jobs.iter().any(|(rel, _)| rel == required) {
            failures.push(format!(
                "{required} ({why}) is missing from the corpus run (no file, no oracle, or tshark could not read it)"
            ));
        }
    }
    for e in EXCEPTIONS {
        assert!(
            jobs.iter().any(|(rel, _)| rel == e.file),
            "exception for {} ({}) names a file that was not run",
            e.file,
            e.reason
        );
    }
    for rel in UNREADABLE_BY_TSHARK {
        assert!(
            captures.iter().any(|c| c == rel),
            "{rel} is listed as unreadable by tshark but is not in the corpus"
        );
    }

    // Run the captures on a few threads: each is a separate process.
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((rel, rows)) = jobs.get(i) else {
                        break;
                    };
                    let r = check_capture(&corpus, rel, rows);
                    results.lock().unwrap().push((rel.clone(), r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|x, y| x.0.cmp(&y.0));
    for (_, r) in results {
        match r {
            Ok(line) => eprintln!("ok: {line}"),
            Err(e) => failures.push(e),
        }
    }
    for e in EXCEPTIONS {
        eprintln!("exception: {} {} <-> {}: {}", e.file, e.a, e.b, e.reason);
    }
    assert!(
        failures.is_empty(),
        "{} capture(s) differ from tshark:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn oracle_row_parser_reads_units_and_ipv6() {
    let row = common::parse_conv_line(
        "127.0.0.1:37614            <-> 127.0.0.1:8000                   6 640 bytes       6 952 bytes      12 1592 bytes     0.000000000         0.0022",
    )
    .unwrap();
    assert_eq!(
        (row.a.as_str(), row.b.as_str()),
        ("127.0.0.1:37614", "127.0.0.1:8000")
    );
    assert_eq!(
        (row.frames_b_to_a, row.frames_a_to_b, row.frames),
        (6, 6, 12)
    );
    assert!(row.bytes_b_to_a.matches(640) && row.bytes_a_to_b.matches(952));
    assert!(row.bytes.matches(1592) && !row.bytes.matches(1593));
    assert_eq!(row.duration, 0.0022);

    let row = common::parse_conv_line(
        "10.65.199.21:799           <-> 10.65.200.11:2049             4556 6802 kB      2443 191 kB       6999 6993 kB       4.025647000         2.0377",
    )
    .unwrap();
    // tshark truncates: 6802 kB is 6 802 000 ..= 6 802 999 bytes.
    assert!(row.bytes_b_to_a.matches(6_802_000) && row.bytes_b_to_a.matches(6_802_999));
    assert!(!row.bytes_b_to_a.matches(6_803_000) && !row.bytes_b_to_a.matches(6_801_999));
    assert_eq!(row.rel_start, 4.025647);

    let row = common::parse_conv_line(
        "::1:51164                  <-> ::1:50051                       28 2463 bytes      28 2499 bytes      56 4962 bytes     0.000000000         3.0094",
    )
    .unwrap();
    assert_eq!(
        tshark_endpoint(&row.a),
        Some("[::1]:51164".parse().unwrap())
    );
    assert_eq!(
        tshark_endpoint(&row.b),
        Some("[::1]:50051".parse().unwrap())
    );
    assert!(common::parse_conv_line("127.0.0.1:1 <-> 127.0.0.1:2 1 2 MiB").is_none());
}

/// Flow and packet counts from a `pcap flows -o json` run.
fn flows_and_packets(what: &str, files: &[&Path]) -> (usize, u64) {
    let run = run_pcap("flows", true, files);
    common::assert_no_crash(what, &run);
    assert_eq!(run.code, Some(0), "{what}\n{}", run.describe());
    let packets = common::summary_packets(&run.stderr)
        .unwrap_or_else(|| panic!("{what}: no summary line on stderr\n{}", run.describe()));
    (json_lines(what, &run.stdout).len(), packets)
}

#[test]
fn two_files_are_merged_by_timestamp() {
    let corpus = require_corpus!();
    // Pairs whose connections interleave in time, the file that starts
    // later given first (so file order alone would be wrong):
    // - tls_alert (pcapng named .pcap) opens connections on 2021-08-06 and
    //   2022-01-20; tls_2_reasms (pcapng) opens one on 2021-12-09.
    // - tls_invalid_reads (µs pcap, Ethernet) opens connections in 2009 and
    //   2015; tcp-handshake-nano (ns pcap, Linux SLL) opens one in 2014.
    for (first, second) in [
        ("ndpi/tls_2_reasms.pcapng", "ndpi/tls_alert.pcap"),
        (
            "malformed/tcpdump/tcp-handshake-nano.pcap",
            "ndpi/tls_invalid_reads.pcap",
        ),
    ] {
        let what = format!("{first} + {second}");
        let (a, b) = (corpus.join(first), corpus.join(second));
        let run = run_pcap("events", true, &[&a, &b]);
        common::assert_no_crash(&what, &run);
        assert_eq!(run.code, Some(0), "{what}\n{}", run.describe());
        let events = json_lines(&what, &run.stdout);
        assert!(!events.is_empty(), "{what}: no events\n{}", run.describe());

        let ts: Vec<&str> = events
            .iter()
            .map(|e| {
                e.get("ts")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{what}: event without ts: {e}"))
            })
            .collect();
        // Same fixed-width RFC 3339 format: string order is time order.
        for w in ts.windows(2) {
            assert!(
                w[0] <= w[1],
                "{what}: events out of time order: {} then {}",
                w[0],
                w[1]
            );
        }

        // Connections from each file, told apart by their endpoints.
        let endpoints_of = |file: &Path| -> Vec<(String, String)> {
            let run = run_pcap("flows", true, &[file]);
            json_lines(&what, &run.stdout)
                .iter()
                .map(|f| {
                    (
                        f["client"].as_str().unwrap_or_default().to_string(),
                        f["server"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        };
        let (flows_a, packets_a) = flows_and_packets(first, &[&a]);
        let (flows_b, packets_b) = flows_and_packets(second, &[&b]);
        let (flows_ab, packets_ab) = flows_and_packets(&what, &[&a, &b]);
        assert_eq!(flows_ab, flows_a + flows_b, "{what}: merged flow count");
        assert_eq!(
            packets_ab,
            packets_a + packets_b,
            "{what}: merged packet count"
        );
        let opens = events
            .iter()
            .filter(|e| e["type"] == "connection_open")
            .count();
        assert_eq!(opens, flows_a + flows_b, "{what}: connection_open events");

        // The merge really interleaves: each file has a connection that
        // opens before one of the other file's.
        let from_a = endpoints_of(&a);
        let from_b = endpoints_of(&b);
        let open_ts = |set: &[(String, String)]| -> Vec<&str> {
            events
                .iter()
                .filter(|e| e["type"] == "connection_open")
                .filter(|e| {
                    set.iter()
                        .any(|(c, s)| e["src"] == c.as_str() && e["dst"] == s.as_str())
                })
                .filter_map(|e| e["ts"].as_str())
                .collect()
        };
        let (ta, tb) = (open_ts(&from_a), open_ts(&from_b));
        assert_eq!(
            (ta.len(), tb.len()),
            (flows_a, flows_b),
            "{what}: opens per file"
        );
        let (a_first, a_last) = (ta.iter().min().unwrap(), ta.iter().max().unwrap());
        let (b_first, b_last) = (tb.iter().min().unwrap(), tb.iter().max().unwrap());
        assert!(
            b_first < a_last && a_first < b_last,
            "{what}: test files must interleave ({first}: {a_first}..{a_last}, \
             {second}: {b_first}..{b_last})"
        );
    }
}

#[test]
fn a_mismatch_with_the_oracle_is_reported() {
    // The comparison must not pass vacuously: check a capture against
    // another capture's table, and a flow against a doctored row.
    let corpus = require_corpus!();
    let oracle = std::fs::read_to_string(corpus.join("wireshark/http-ooo.oracle.txt")).unwrap();
    let rows = common::parse_tcp_conversations(&oracle).unwrap().unwrap();
    let err = check_capture(&corpus, "lwerdna-filesamples/simple_http.pcap", &rows).unwrap_err();
    assert!(err.contains("2 TCP connections, tshark has 1"), "{err}");
    assert!(err.contains("missing: 10.0.0.1:32323"), "{err}");
    assert!(err.contains("not in tshark's table"), "{err}");

    let mut row = rows[0].clone();
    let (a, b) = (
        tshark_endpoint(&row.a).unwrap(),
        tshark_endpoint(&row.b).unwrap(),
    );
    let flow = Flow {
        client: b,
        server: a,
        start: String::new(),
        duration_ms: 0.015,
        packets: 16,
        bytes: 929,
        client_packets: 0,
        server_packets: 16,
        client_frame_bytes: 0,
        server_frame_bytes: 929,
        line: String::new(),
    };
    assert_eq!(compare(&row, a, b, &flow), Vec::<String>::new());
    row.frames_a_to_b = 15;
    row.frames_b_to_a = 1;
    let diffs = compare(&row, a, b, &flow);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(diffs[0].contains("packets 10.0.0.1:32323 -> 10.0.0.2:80: 16 != tshark 15"));
}

/// The project's own captures (captures/, made by scripts/make-captures)
/// against tshark run now on the same files.
#[test]
fn own_captures_match_tshark_run_now() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let files = common::captures_under(&dir, &dir);
    assert!(
        files.len() >= 2,
        "captures/ should hold the etcd captures, found {files:?}"
    );
    let mut failures = Vec::new();
    for rel in &files {
        let out = match std::process::Command::new("tshark")
            .args(["-n", "-q", "-z", "conv,tcp", "-r"])
            .arg(dir.join(rel))
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                common::skip_for(
                    "tool",
                    &format!("tshark not runnable ({e}); scripts/test installs it"),
                );
                return;
            }
        };
        assert!(out.status.success(), "tshark failed on {rel}");
        let text = String::from_utf8_lossy(&out.stdout);
        let rows: Vec<ConvRow> = text.lines().filter_map(common::parse_conv_line).collect();
        assert!(
            !rows.is_empty(),
            "tshark listed no TCP conversation in {rel}"
        );
        match check_capture(&dir, rel, &rows) {
            Ok(msg) => eprintln!("{msg}"),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

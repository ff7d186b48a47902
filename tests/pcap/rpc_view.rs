//! `kinspect pcap rpc`: rows per method from gRPC calls, non-gRPC HTTP/2
//! responses and HTTP/1.1 responses, on real captures; percentiles equal
//! the nearest-rank percentiles of the calls' own latencies; `--by-client`
//! splits by client IP; JSON fields as in DESIGN.md.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common;

fn etcd_capture() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/etcd-3node-leader-kill.pcapng"
    ));
    if p.is_file() {
        Some(p)
    } else {
        common::skip(&format!("{} not found", p.display()));
        None
    }
}

fn rpc_rows(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["pcap", "rpc", "-o", "json"];
    a.extend_from_slice(args);
    let run = common::kinspect(&a);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    common::json_lines("pcap rpc", &run.stdout)
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[test]
fn etcd_rows_equal_the_calls_in_the_events() {
    let Some(cap) = etcd_capture() else { return };
    let f = cap.to_str().unwrap();
    let rows = rpc_rows(&[f]);
    let run = common::kinspect(&["pcap", "events", "-o", "json", f]);
    let events = common::json_lines("events", &run.stdout);

    // Every gRPC method of the events has a row with its number of calls
    // and the nearest-rank percentiles of its latencies (µs precision).
    let mut methods: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "grpc_call")
        .map(|e| e["method"].as_str().unwrap())
        .collect();
    methods.sort();
    methods.dedup();
    assert!(methods.len() >= 8, "{methods:?}");
    for m in methods {
        let calls: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "grpc_call" && e["method"] == m)
            .collect();
        let mut lat: Vec<f64> = calls
            .iter()
            .filter_map(|c| c["latency_ms"].as_f64())
            .collect();
        lat.sort_by(f64::total_cmp);
        let row = rows
            .iter()
            .find(|r| r["method"] == m && r["protocol"] == "grpc")
            .unwrap_or_else(|| panic!("no row for {m}"));
        assert_eq!(row["calls"], calls.len() as u64, "{m}");
        let errors = calls
            .iter()
            .filter(|c| c["grpc_status"].as_u64().is_some_and(|s| s != 0))
            .count();
        assert_eq!(row["errors"], errors as u64, "{m}");
        if lat.is_empty() {
            assert!(row["p50_ms"].is_null(), "{m}");
            continue;
        }
        for (key, q) in [("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)] {
            let want = nearest_rank(&lat, q);
            let got = row[key].as_f64().unwrap();
            assert!((got - want).abs() < 0.0011, "{m} {key}: {got} vs {want}");
        }
        let max = row["max_ms"].as_f64().unwrap();
        assert!((max - lat[lat.len() - 1]).abs() < 0.0011, "{m} max");
    }

    // Sorted by calls, most first; Status was polled 32 times (tshark
    // shows 32 HEADERS with that :path).
    let calls: Vec<u64> = rows.iter().map(|r| r["calls"].as_u64().unwrap()).collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
    let status = rows
        .iter()
        .find(|r| r["method"] == "/etcdserverpb.Maintenance/Status")
        .unwrap();
    assert_eq!(status["calls"], 32);
    for key in [
        "method", "calls", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms", "protocol",
    ] {
        assert!(status.get(key).is_some(), "missing {key}");
    }
    assert!(status.get("client").is_none());
}

#[test]
fn etcd_peer_http_rows_match_tshark_responses() {
    let Some(cap) = etcd_capture() else { return };
    if !common::have_tool("tshark", "--version") {
        return;
    }
    // tshark pairs a response with its request URI (non-streaming ones).
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&cap)
        .args([
            "-Y",
            "http.response",
            "-T",
            "fields",
            "-e",
            "http.response_for.uri",
        ])
        .output()
        .unwrap();
    let mut want: std::collections::BTreeMap<String, u64> = Default::default();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        // http://127.0.0.1:2380/raft/probing → /raft/probing
        let path = l
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        *want.entry(path).or_insert(0) += 1;
    }
    assert!(!want.is_empty());
    let rows = rpc_rows(&[cap.to_str().unwrap()]);
    for (path, n) in &want {
        let row = rows
            .iter()
            .find(|r| {
                r["protocol"] == "http"
                    && r["method"]
                        .as_str()
                        .is_some_and(|m| m.split_once(' ').is_some_and(|(_, p)| p == path))
            })
            .unwrap_or_else(|| panic!("no http row for {path}: {rows:?}"));
        assert_eq!(row["calls"], *n, "{path}");
        assert_eq!(row["errors"], 0, "{path}");
    }
}

#[test]
fn by_client_and_http2_rows_on_the_corpus() {
    let corpus = require_corpus!();
    let files: Vec<String> = [
        "Unary",
        "Server_Streaming",
        "Client_Streaming",
        "Bidi_Streaming",
    ]
    .iter()
    .map(|k| {
        corpus
            .join(format!("grpc-packt/grpc-go-{k}.pcapng"))
            .to_string_lossy()
            .into_owned()
    })
    .collect();
    let mut args: Vec<&str> = vec!["--by-client"];
    args.extend(files.iter().map(String::as_str));
    let rows = rpc_rows(&args);
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    let mut sorted = methods.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "/greet.GreetService/Greet",
            "/greet.GreetService/GreetEveryone",
            "/greet.GreetService/GreetManyTimes",
            "/greet.GreetService/LongGreet",
        ]
    );
    for r in &rows {
        assert_eq!(r["client"], "::1");
        assert_eq!(r["calls"], 1);
        assert_eq!(r["errors"], 0);
        assert_eq!(r["p50_ms"], r["max_ms"]);
    }

    // A plain HTTP/2 call (h2c, 201 Created) is an `http` row with its
    // method and path; the latency is request to response headers.
    let cap = corpus.join("ndpi/http2.pcapng");
    let rows = rpc_rows(&["--decode-as", "29518=http2", cap.to_str().unwrap()]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["method"], "POST /namf-comm/v1/subscriptions");
    assert_eq!(rows[0]["protocol"], "http");
    assert_eq!(rows[0]["errors"], 0);
    // Frames 2 (request HEADERS) and 7 (response HEADERS) of the capture.
    let ms = rows[0]["p50_ms"].as_f64().unwrap();
    assert!((ms - 1.551).abs() < 0.002, "{ms}");
    if common::have_tool("tshark", "-v") {
        // Exactly the difference of tshark's frame times of the request
        // and response HEADERS (`:method` and `:status`).
        let t = common::oracle::tshark_fields(
            &cap,
            &[
                "-d",
                "tcp.port==29518,http2",
                "-Y",
                "http2.headers.method or http2.headers.status",
            ],
            &["frame.number", "frame.time_epoch"],
        );
        let n: Vec<&str> = t.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(n, ["2", "7"], "{t:?}");
        // Rows keep whole microseconds (src/view/rpc.rs rounds).
        let ns = common::oracle::epoch_ns(&t[1][1]) - common::oracle::epoch_ns(&t[0][1]);
        let want = (ns as f64 / 1000.0).round() / 1000.0;
        assert_eq!(ms, want, "tshark: {ns} ns");
    }
}

#[test]
fn table_output_has_a_header_and_a_summary() {
    let corpus = require_corpus!();
    let cap = corpus.join("grpc-packt/grpc-go-Bidi_Streaming.pcapng");
    let run = common::run_pcap("rpc", false, &[&cap]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let lines = run.stdout_lines();
    assert!(lines[0].starts_with("METHOD"), "{}", run.stdout);
    assert!(lines[1].starts_with("/greet.GreetService/GreetEveryone"));
    assert!(lines[1].contains("3005.635"), "{}", lines[1]);
    if !common::have_tool("capinfos", "-v") || !common::have_tool("tshark", "-v") {
        return;
    }
    // The summary line's packets and bytes are capinfos' packet count and
    // data size; its flows are tshark's TCP conversations.
    let summary = run
        .stdout
        .lines()
        .find(|l| l.contains(" packets ("))
        .expect("summary line");
    let packets = common::oracle::capinfos_number(&cap, "-c", "Number of packets:");
    let bytes = common::oracle::capinfos_number(&cap, "-d", "Data size:");
    assert_eq!(
        common::summary_packets(&run.stdout),
        Some(packets),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(", {bytes} bytes,")),
        "{summary} vs {bytes}"
    );
    let streams: std::collections::BTreeSet<String> =
        common::oracle::tshark_fields(&cap, &["-Y", "tcp"], &["tcp.stream"])
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    assert!(
        summary.contains(&format!(", {} flows;", streams.len())),
        "{summary} vs {} tcp streams",
        streams.len()
    );
    // The latency column is tshark's frame.time_epoch of the trailers
    // (grpc-status) minus that of the request HEADERS (:path).
    let frames = common::oracle::tshark_fields(
        &cap,
        &["-d", "tcp.port==50051,http2", "-Y", "http2.header.name"],
        &["frame.time_epoch", "http2.header.name"],
    );
    let at = |name: &str| {
        frames
            .iter()
            .find(|r| r[1].split(',').any(|n| n == name))
            .map(|r| common::oracle::epoch_ns(&r[0]))
            .unwrap_or_else(|| panic!("no {name} frame"))
    };
    let want = format!("{:.3}", (at("grpc-status") - at(":path")) as f64 / 1e6);
    assert_eq!(want, "3005.635");
    assert!(lines[1].contains(&want), "{} vs tshark {want}", lines[1]);
}

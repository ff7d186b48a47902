//! gRPC against real captures: the four grpc-go call kinds of
//! ../shared/corpus/grpc-packt (paths, per-call message counts and sizes
//! as in their tshark oracles), and our etcd capture (the methods and call
//! counts per client connection equal what tshark decodes with
//! `-d tcp.port==2379,http2`, on the whole file and on copies cut in the
//! middle of connections with editcap).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

fn events(args: &[&str], file: &Path) -> Vec<Value> {
    let mut a: Vec<&str> = vec!["pcap", "events", "-o", "json"];
    a.extend_from_slice(args);
    let f = file.to_str().unwrap();
    a.push(f);
    let run = common::kinspect(&a);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    common::json_lines(f, &run.stdout)
}

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

/// The oracle's gRPC message lengths in frame order, and the request
/// paths of its HEADERS section.
fn oracle_grpc(oracle: &str) -> (Vec<u64>, Vec<String>) {
    let msgs = common::oracle_section(
        oracle,
        "gRPC length-prefixed messages (frame|tcp.stream|stream|compressed_flag|message_length)",
    )
    .expect("gRPC section");
    let lengths = msgs
        .lines()
        .filter(|l| !l.starts_with('$') && l.contains('|'))
        .flat_map(|l| {
            l.rsplit('|')
                .next()
                .unwrap()
                .split(',')
                .map(|n| n.parse::<u64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let heads = common::oracle_section(
        oracle,
        "HTTP/2 HEADERS pseudo-headers (frame|tcp.stream|stream|:method|:authority|:path|:status|content-type)",
    )
    .expect("HEADERS section");
    let paths = heads
        .lines()
        .filter(|l| !l.starts_with('$') && l.contains('|'))
        .filter_map(|l| l.split('|').nth(5))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    (lengths, paths)
}

/// The grpc-status value of the oracle's HPACK section.
fn oracle_grpc_status(oracle: &str) -> Option<u64> {
    let sec = common::oracle_section(
        oracle,
        "HTTP/2 all decoded header fields (HPACK) (frame|stream|names;...|values;...)",
    )?;
    sec.lines().find_map(|l| {
        let cols: Vec<&str> = l.split('|').collect();
        let names: Vec<&str> = cols.get(2)?.split(';').collect();
        let values: Vec<&str> = cols.get(3)?.split(';').collect();
        let i = names.iter().position(|n| *n == "grpc-status")?;
        values.get(i)?.parse().ok()
    })
}

#[test]
fn grpc_go_call_kinds_match_the_oracles() {
    let corpus = require_corpus!();
    // (file, request message sizes, response message sizes) — which side
    // sent each message is not in the oracle; the order and sizes are, and
    // the split is what the grpc-go examples do (one greeting per request).
    let cases: [(&str, &[u64], &[u64]); 4] = [
        ("Unary", &[9], &[15]),
        ("Server_Streaming", &[9], &[25; 10]),
        ("Client_Streaming", &[9, 7, 6], &[42]),
        ("Bidi_Streaming", &[9, 7, 6], &[16, 14, 13]),
    ];
    for (kind, req, resp) in cases {
        let cap = corpus.join(format!("grpc-packt/grpc-go-{kind}.pcapng"));
        let oracle = std::fs::read_to_string(common::oracle_path(&cap)).unwrap();
        let (oracle_lengths, oracle_paths) = oracle_grpc(&oracle);
        let ev = events(&[], &cap);

        // Every message, in order, with tshark's sizes.
        let msgs = of_type(&ev, "grpc_message");
        let lengths: Vec<u64> = msgs.iter().map(|m| m["length"].as_u64().unwrap()).collect();
        assert_eq!(lengths, oracle_lengths, "{kind}: message sizes");

        // The same path as tshark's HEADERS.
        assert_eq!(oracle_paths.len(), 1, "{kind}");
        let calls = of_type(&ev, "grpc_call");
        assert_eq!(calls.len(), 1, "{kind}: one call");
        let call = calls[0];
        assert_eq!(call["method"], oracle_paths[0].as_str(), "{kind}");
        for m in &msgs {
            assert_eq!(m["path"], oracle_paths[0].as_str());
        }

        // Per direction: counts and sizes.
        let by_dir = |d: &str| -> Vec<u64> {
            msgs.iter()
                .filter(|m| m["direction"] == d)
                .map(|m| m["length"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(by_dir("client_to_server"), req, "{kind}");
        assert_eq!(by_dir("server_to_client"), resp, "{kind}");
        assert_eq!(call["request_messages"], req.len() as u64, "{kind}");
        assert_eq!(call["response_messages"], resp.len() as u64, "{kind}");
        assert_eq!(call["request_bytes"], req.iter().sum::<u64>(), "{kind}");
        assert_eq!(call["response_bytes"], resp.iter().sum::<u64>(), "{kind}");
        // The grpc-status tshark decoded from the trailers.
        let status = oracle_grpc_status(&oracle).expect("grpc-status in the oracle");
        assert_eq!(call["grpc_status"], status, "{kind}");
        assert_eq!(call["ended_by"], "trailers", "{kind}");
        // Request HEADERS to trailers, from tshark's frame times.
        if have("tshark") {
            let latency = call["latency_ms"].as_f64().unwrap();
            let want = tshark_latency_ms(&cap, 50051);
            assert!((latency - want).abs() < 1e-6, "{kind}: {latency} != {want}");
        }
    }
}

#[test]
fn streaming_latency_spans_the_whole_call() {
    let corpus = require_corpus!();
    if !have("tshark") {
        return;
    }
    // Client streaming: the client sends a greeting per second, so the
    // call lasts about 3 s (request HEADERS to trailers); unary is fast.
    // The exact figures are tshark's frame.time_epoch of the frame with
    // the request's :path and of the frame with grpc-status.
    for (kind, want_us) in [("Client_Streaming", 3_005_728), ("Unary", 248)] {
        let cap = corpus.join(format!("grpc-packt/grpc-go-{kind}.pcapng"));
        let want = tshark_latency_ms(&cap, 50051);
        assert!(
            (want - want_us as f64 / 1000.0).abs() < 1e-9,
            "{kind}: tshark says {want}"
        );
        let ev = events(&[], &cap);
        let l = of_type(&ev, "grpc_call")[0]["latency_ms"].as_f64().unwrap();
        assert!((l - want).abs() < 1e-6, "{kind}: {l} != {want}");
    }
}

/// One call's latency in ms as tshark sees it: frame.time_epoch of the
/// frame carrying grpc-status minus that of the frame carrying the
/// request's :path (the capture holds exactly one call). Times are read
/// as integer nanoseconds so no float rounding creeps in before the
/// subtraction.
fn tshark_latency_ms(file: &Path, port: u16) -> f64 {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args([
            "-d",
            &format!("tcp.port=={port},http2"),
            "-Y",
            "http2.header.name == \":path\" or http2.header.name == \"grpc-status\"",
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "http2.header.name",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let ns = |t: &str| -> i128 {
        let (s, frac) = t.split_once('.').unwrap_or((t, "0"));
        let frac = format!("{frac:0<9}");
        s.parse::<i128>().unwrap() * 1_000_000_000 + frac[..9].parse::<i128>().unwrap()
    };
    let mut start = None;
    let mut end = None;
    for line in text.lines() {
        let (t, names) = line.split_once('\t').unwrap();
        let names: Vec<&str> = names.split(',').collect();
        if start.is_none() && names.contains(&":path") {
            start = Some(ns(t));
        }
        if names.contains(&"grpc-status") {
            end = Some(ns(t));
        }
    }
    let (start, end) = (start.expect(":path frame"), end.expect("grpc-status frame"));
    (end - start) as f64 / 1e6
}

fn etcd_capture() -> Option<PathBuf> {
    our_capture("etcd-3node-leader-kill.pcapng")
}

fn our_capture(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name);
    if p.is_file() {
        Some(p)
    } else {
        common::skip(&format!("{} not found", p.display()));
        None
    }
}

fn have(tool: &str) -> bool {
    common::have_tool(tool, "--version")
}

/// (client port, :path) → calls, as tshark decodes them.
fn tshark_calls(file: &Path) -> BTreeMap<(u16, String), u64> {
    tshark_calls_on(file, &[2379])
}

/// The same with every port of `servers` decoded as HTTP/2.
fn tshark_calls_on(file: &Path, servers: &[u16]) -> BTreeMap<(u16, String), u64> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(file);
    for p in servers {
        cmd.args(["-d", &format!("tcp.port=={p},http2")]);
    }
    let out = cmd
        .args([
            "-Y",
            "http2.type==1",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "http2.headers.path",
        ])
        .output()
        .expect("tshark runs");
    assert!(out.status.success());
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || cols[2].is_empty() {
            continue;
        }
        let (src, dst): (u16, u16) = (cols[0].parse().unwrap(), cols[1].parse().unwrap());
        let client = if servers.contains(&dst) { src } else { dst };
        for p in cols[2].split(',') {
            *m.entry((client, p.to_string())).or_insert(0) += 1;
        }
    }
    m
}

/// (client port, method) → calls from kinspect's grpc_call events
/// (methods we could not name are left out: tshark cannot name them either).
fn kinspect_calls(ev: &[Value]) -> BTreeMap<(u16, String), u64> {
    let mut m = BTreeMap::new();
    for c in of_type(ev, "grpc_call") {
        let method = c["method"].as_str().unwrap();
        if method.starts_with('<') {
            continue;
        }
        let src: std::net::SocketAddr = c["src"].as_str().unwrap().parse().unwrap();
        *m.entry((src.port(), method.to_string())).or_insert(0) += 1;
    }
    m
}

#[test]
fn etcd_methods_and_call_counts_equal_tshark() {
    let Some(cap) = etcd_capture() else { return };
    if !have("tshark") {
        return;
    }
    let want = tshark_calls(&cap);
    assert!(want.len() > 40, "tshark sees the etcdctl calls: {want:?}");
    // Content detection finds the connections that start with the preface;
    // decode-as adds the ones already open when the capture started.
    for args in [&[][..], &["--decode-as", "2379=grpc"][..]] {
        let ev = events(args, &cap);
        let got = kinspect_calls(&ev);
        assert_eq!(got, want, "args {args:?}");
        // Every call on a connection seen from its start ended with a
        // status or was still open (watch, keep-alive) when it closed.
        for c in of_type(&ev, "grpc_call") {
            if c["ended_by"] == "trailers" {
                assert_eq!(c["grpc_status"], 0, "{c}");
            }
        }
    }
}

#[test]
fn etcd_capture_cut_mid_connection_resumes() {
    let Some(cap) = etcd_capture() else { return };
    if !have("tshark") || !have("editcap") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kinspect-grpc-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for start in [300, 1000, 1700] {
        let cut = dir.join(format!("from-{start}.pcapng"));
        let st = Command::new("editcap")
            .arg("-r")
            .arg(&cap)
            .arg(&cut)
            .arg(format!("{start}-100000"))
            .status()
            .unwrap();
        assert!(st.success());
        let want = tshark_calls(&cut);
        let ev = events(&["--decode-as", "2379=grpc"], &cut);
        assert_eq!(kinspect_calls(&ev), want, "cut from packet {start}");
        // The watch stream (one long-lived connection) was open at the
        // cut: its later messages are still read, without headers.
        let unnamed = of_type(&ev, "grpc_message")
            .into_iter()
            .filter(|m| m["path"] == "<unknown>")
            .count();
        if start == 1700 {
            assert!(unnamed > 0, "watch messages after the cut");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn etcd_every_call_kind_on_three_members_equals_tshark() {
    // Client traffic of every kind (put/get/txn/lease/watch/member list/
    // status/move-leader/compact/alarm) against three members listening on
    // 2379, 22379 and 32379 (captures/README.md).
    let Some(cap) = our_capture("etcd-rpc-election.pcapng") else {
        return;
    };
    if !have("tshark") {
        return;
    }
    let ports = [2379u16, 22379, 32379];
    let want = tshark_calls_on(&cap, &ports);
    let methods: std::collections::BTreeSet<&str> = want.keys().map(|(_, m)| m.as_str()).collect();
    assert!(methods.len() >= 12, "{methods:?}");
    let ev = events(
        &[
            "--decode-as",
            "2379=grpc",
            "--decode-as",
            "22379=grpc",
            "--decode-as",
            "32379=grpc",
        ],
        &cap,
    );
    assert_eq!(kinspect_calls(&ev), want);
    // Every call that ended with trailers carried a grpc-status.
    for c in of_type(&ev, "grpc_call") {
        if c["ended_by"] == "trailers" {
            assert!(c["grpc_status"].is_u64(), "{c}");
        }
    }
}

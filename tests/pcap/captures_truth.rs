//! Our own captures (captures/, made by scripts/make-tls-captures and
//! scripts/make-rpc-captures from a real etcd lab) against the ground truth
//! the scripts recorded beside them (`*.truth.json`: what the clients did
//! and printed, and what tshark 4.0 showed). Every expected value is read
//! from those files, not written here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn truth(name: &str) -> Value {
    let path = capture(&format!("{name}.truth.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs kinspect with `-o json` and returns its JSON lines and exit code.
fn json(args: &[&str]) -> (Vec<Value>, Option<i32>) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", "json"]);
    let run = common::kinspect(&all);
    (common::json_lines("kinspect", &run.stdout), run.code)
}

fn client_port(row: &Value) -> u64 {
    row["client"]
        .as_str()
        .and_then(|c| c.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

fn tls_rows(file: &str, keylog: Option<&str>) -> BTreeMap<u64, Value> {
    let path = capture(file);
    let path = path.to_str().expect("utf-8 path");
    let keys = keylog.map(capture);
    let mut args = vec!["pcap", "tls", path];
    if let Some(k) = keys.as_ref() {
        args.extend(["--keylog", k.to_str().expect("utf-8 path")]);
    }
    let (rows, code) = json(&args);
    assert_eq!(code, Some(0), "pcap tls {file}");
    rows.into_iter().map(|r| (client_port(&r), r)).collect()
}

fn alert_descriptions(row: &Value, from: &str) -> Vec<String> {
    row["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["from"] == from)
                .filter_map(|x| x["description"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The name of a TLS alert description number, for the truth files'
/// numeric alerts: tshark's own table (`tshark -G values`,
/// tls.alert_message.desc) in the IANA registry's snake_case, not ours.
/// Callers check that tshark is installed first.
fn alert_name(n: u64) -> String {
    let name = common::oracle::tshark_value_name("tls.alert_message.desc", n)
        .unwrap_or_else(|| panic!("tshark has no name for alert {n}"));
    common::oracle::snake_words(&name)
}

#[test]
fn expired_server_certificate_is_judged_at_capture_time() {
    if !common::have_tool("tshark", "-v") {
        return;
    }
    let t = truth("etcd-tls12-expired-server");
    let rows = tls_rows("etcd-tls12-expired-server.pcapng", None);
    let conns = t["connections"].as_array().expect("connections");
    assert_eq!(rows.len(), conns.len(), "{rows:#?}");
    let cert = &t["server_certificate"];
    let mut clear_certs = 0;
    for c in conns {
        let port = c["client_port"].as_u64().expect("port");
        let row = rows
            .get(&port)
            .unwrap_or_else(|| panic!("no row for client port {port}"));
        let verdict = row["verdict"].as_str().unwrap_or_default();
        assert!(verdict.starts_with("handshake failed"), "{port}: {verdict}");
        // Every client sent the alert tshark saw, in clear.
        for a in t["tshark_alerts"].as_array().expect("alerts") {
            if a["src"]
                .as_str()
                .is_some_and(|s| s.ends_with(&format!(":{port}")))
            {
                let want = alert_name(a["description"].as_u64().unwrap_or(0));
                assert_eq!(
                    alert_descriptions(row, "client"),
                    vec![want.to_string()],
                    "{port}"
                );
            }
        }
        let certs = row["certificates"].as_array().cloned().unwrap_or_default();
        if row["version"] == "TLS 1.2" {
            clear_certs += 1;
            assert_eq!(certs.len(), 1, "{port}: {row}");
            let got = &certs[0];
            assert_eq!(got["subject"], cert["subject"]);
            assert_eq!(got["issuer"], cert["issuer"]);
            assert_eq!(
                got["serial"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(':', "")
                    .to_uppercase(),
                cert["serial_hex"]
                    .as_str()
                    .unwrap_or_default()
                    .to_uppercase()
            );
            assert!(
                got["not_after"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("2025-04-01T00:00:00"),
                "{got}"
            );
            assert_eq!(got["expired_at_capture"], true);
            assert!(verdict.contains("certificate_expired"), "{verdict}");
        } else {
            // TLS 1.3: the certificate travelled encrypted.
            assert_eq!(row["version"], "TLS 1.3", "{row}");
            assert!(certs.is_empty(), "{row}");
        }
    }
    assert_eq!(clear_certs, 2, "two clients were forced to TLS 1.2");
}

#[test]
fn unknown_ca_client_certificate() {
    if !common::have_tool("tshark", "-v") {
        return;
    }
    let t = truth("etcd-mtls-unknown-ca");
    let rogue = t["client_certificate"]["subject"]
        .as_str()
        .expect("subject");
    let plain = tls_rows("etcd-mtls-unknown-ca.pcapng", None);
    let keyed = tls_rows(
        "etcd-mtls-unknown-ca.pcapng",
        Some("etcd-mtls-unknown-ca.keys"),
    );
    for (alerts_key, rows, decrypted) in [
        ("tshark_alerts", &plain, false),
        ("tshark_alerts_keylog", &keyed, true),
    ] {
        for a in t[alerts_key].as_array().expect("alerts") {
            let port: u64 = a["dst"]
                .as_str()
                .and_then(|d| d.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .expect("alert dst port");
            let row = rows
                .get(&port)
                .unwrap_or_else(|| panic!("no row for {port}"));
            let want = alert_name(a["description"].as_u64().unwrap_or(0));
            assert!(
                alert_descriptions(row, "server").contains(&want.to_string()),
                "{alerts_key} {port}: {row}"
            );
            let verdict = row["verdict"].as_str().unwrap_or_default();
            assert!(verdict.contains("failed"), "{port}: {verdict}");
            // The rogue identity is visible in clear (TLS 1.2) or once decrypted.
            if row["version"] == "TLS 1.2" || decrypted {
                let subjects: Vec<&str> = row["client_certificates"]
                    .as_array()
                    .map(|c| c.iter().filter_map(|x| x["subject"].as_str()).collect())
                    .unwrap_or_default();
                assert!(subjects.contains(&rogue), "{port}: {row}");
            }
        }
    }
    // Without keys the TLS 1.3 rejection is inferred, and says so.
    let tls13: Vec<&Value> = plain
        .values()
        .filter(|r| r["version"] == "TLS 1.3")
        .collect();
    assert!(!tls13.is_empty());
    for row in tls13 {
        let verdict = row["verdict"].as_str().unwrap_or_default();
        assert!(
            verdict.contains("failed") && verdict.contains("inferred"),
            "TLS 1.3 without keys: {row}"
        );
    }
}

/// The HTTP requests curl made inside TLS 1.3, decrypted with the key log
/// given as a file or carried in the capture (Decryption Secrets Block),
/// and none of them without keys.
#[test]
fn keylog_decrypts_the_requests_curl_made() {
    let t = truth("etcd-tls13-keylog");
    let mut want: Vec<(String, String, u64)> = t["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_string(),
                r["path"].as_str().unwrap_or_default().to_string(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    want.sort();
    let file = capture("etcd-tls13-keylog.pcapng");
    let dsb = capture("etcd-tls13-keylog-dsb.pcapng");
    let keys = capture("etcd-tls13-keylog.keys");
    let s = |p: &PathBuf| p.to_str().expect("utf-8").to_string();
    let responses = |args: &[String]| -> Vec<(String, String, u64)> {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (events, code) = json(&a);
        assert_eq!(code, Some(0));
        let mut got: Vec<(String, String, u64)> = events
            .iter()
            .filter(|e| e["type"] == "http_response" || e["type"] == "http2_response")
            .map(|e| {
                (
                    e["method"].as_str().unwrap_or_default().to_string(),
                    e["path"].as_str().unwrap_or_default().to_string(),
                    e["status"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        got.sort();
        got
    };
    let with_file = responses(&[
        "pcap".into(),
        "events".into(),
        s(&file),
        "--keylog".into(),
        s(&keys),
    ]);
    assert_eq!(with_file, want);
    let with_dsb = responses(&["pcap".into(), "events".into(), s(&dsb)]);
    assert_eq!(with_dsb, want);
    let without = responses(&["pcap".into(), "events".into(), s(&file)]);
    assert!(without.is_empty(), "{without:?}");
    // tshark, decrypting with the same key log, sees the same requests
    // (HTTP/1.1 and HTTP/2) and the same statuses.
    if common::have_tool("tshark", "-v") {
        let rows = common::oracle::tshark_fields(
            &file,
            &[
                "-d",
                "tcp.port==2379,tls",
                "-o",
                &format!("tls.keylog_file:{}", s(&keys)),
                "-Y",
                "http.request or http.response or http2.headers.method or http2.headers.status",
                "-E",
                "occurrence=a",
            ],
            &[
                "http.request.method",
                "http.request.uri",
                "http.response.code",
                "http2.headers.method",
                "http2.headers.path",
                "http2.headers.status",
            ],
        );
        let mut requests: Vec<(String, String)> = Vec::new();
        let mut statuses: Vec<u64> = Vec::new();
        for r in &rows {
            for (m, p) in [(&r[0], &r[1]), (&r[3], &r[4])] {
                for (m, p) in m
                    .split(',')
                    .zip(p.split(','))
                    .filter(|(m, _)| !m.is_empty())
                {
                    requests.push((m.to_string(), p.to_string()));
                }
            }
            for st in [&r[2], &r[5]] {
                statuses.extend(
                    st.split(',')
                        .filter(|v| !v.is_empty())
                        .map(|v| v.parse::<u64>().unwrap()),
                );
            }
        }
        requests.sort();
        statuses.sort();
        let ours: Vec<(String, String)> = with_file
            .iter()
            .map(|(m, p, _)| (m.clone(), p.clone()))
            .collect();
        let mut our_statuses: Vec<u64> = with_file.iter().map(|(_, _, st)| *st).collect();
        our_statuses.sort();
        assert_eq!(ours, requests);
        assert_eq!(our_statuses, statuses);
        assert_eq!(requests.len(), 8);
    }
    // `pcap rpc`: the JSON gateway's calls are HTTP rows (over HTTP/1.1
    // and HTTP/2 alike), none is mistaken for gRPC on the gRPC port.
    let (rows, code) = json(&["pcap", "rpc", &s(&dsb)]);
    assert_eq!(code, Some(0));
    let mut got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["protocol"], "http", "{r}");
            (
                r["method"].as_str().unwrap_or_default().to_string(),
                r["calls"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    got.sort();
    let mut calls: BTreeMap<String, u64> = BTreeMap::new();
    for (m, p, _) in &want {
        *calls.entry(format!("{m} {p}")).or_default() += 1;
    }
    assert_eq!(got, calls.into_iter().collect::<Vec<_>>());
}

/// `pcap rpc` counts the same gRPC calls per method as tshark did with
/// `-d tcp.port==PORT,http2` on every client port.
#[test]
fn rpc_calls_per_method_match_tshark() {
    let t = truth("etcd-rpc-election");
    let want = t["grpc_calls_tshark"]["by_method"]
        .as_object()
        .expect("by_method");
    let path = capture("etcd-rpc-election.pcapng");
    let (rows, code) = json(&["pcap", "rpc", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0));
    let got: BTreeMap<String, u64> = rows
        .iter()
        .filter(|r| r["protocol"] == "grpc")
        .filter_map(|r| Some((r["method"].as_str()?.to_string(), r["calls"].as_u64()?)))
        .collect();
    let want: BTreeMap<String, u64> = want
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(got, want);
    for r in &rows {
        assert_eq!(r["errors"], 0, "{r}");
    }
}

/// The Secret the script stored never appears without --show-secrets.
#[test]
fn secret_values_stay_redacted() {
    let t = truth("etcd-rpc-election");
    let secret = t["secret_value_probe"]["decoded"].as_str().expect("probe");
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    let path = capture("etcd-rpc-election.pcapng");
    let p = path.to_str().expect("utf-8");
    for fmt in ["table", "json"] {
        let run = common::kinspect(&["pcap", "events", p, "-o", fmt]);
        assert_eq!(run.code, Some(0));
        assert!(
            !run.stdout.contains(secret) && !run.stdout.contains(&encoded),
            "the secret leaked in -o {fmt}"
        );
        assert!(run.stdout.contains("/registry/secrets/default/db-pass"));
    }
    // Events name stored objects; they never print values, Secret or not.
    let run = common::kinspect(&["pcap", "events", p, "-o", "json", "--show-secrets"]);
    let events = common::json_lines("events", &run.stdout);
    assert!(
        events.iter().any(|e| e["type"] == "etcd_request"
            && e["key"] == "/registry/secrets/default/db-pass"
            && e["value"] == "v1 Secret default/db-pass"),
        "the Put of the Secret is named"
    );
}

/// Every key the script put is seen in a Put request, with its value's
/// length and the object named from the value.
#[test]
fn put_keys_and_values_match_what_was_written() {
    let t = truth("etcd-rpc-election");
    let path = capture("etcd-rpc-election.pcapng");
    let (events, code) = json(&["pcap", "events", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0));
    let puts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "etcd_request" && e["method"] == "Put")
        .collect();
    for k in t["keys_put"].as_array().expect("keys_put") {
        let key = k["key"].as_str().expect("key");
        if k["via"].as_str().is_some_and(|v| v.contains("txn")) {
            // Written by a Txn's success branch: the Txn names the Put.
            let op = format!("Put {key} ({} bytes", k["value_length"]);
            assert!(
                events.iter().any(|e| e["method"] == "Txn"
                    && e["txn"]["success"].as_array().is_some_and(|ops| ops
                        .iter()
                        .any(|o| o.as_str().is_some_and(|o| o.starts_with(&op))))),
                "no Txn with {op}"
            );
            continue;
        }
        let put = puts
            .iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("no Put of {key}"));
        assert_eq!(put["value_bytes"], k["value_length"], "{key}");
        // A Kubernetes JSON value is named "<apiVersion> <Kind> <ns>/<name>".
        if let Some(v) = k["value"]
            .as_str()
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
        {
            if let (Some(kind), Some(name)) = (v["kind"].as_str(), v["metadata"]["name"].as_str()) {
                let named = put["value"].as_str().unwrap_or_default();
                assert!(
                    named.contains(kind) && named.contains(name),
                    "{key}: {named}"
                );
            }
        }
    }
}

/// The capture split by port into a client and a peer file reads as one
/// timeline: the same connections and the same calls as the whole file.
#[test]
fn split_files_merge_into_the_whole() {
    let whole = capture("etcd-rpc-election.pcapng");
    let client = capture("etcd-rpc-election.client.pcapng");
    let peer = capture("etcd-rpc-election.peer.pcapng");
    let s = |p: &PathBuf| p.to_str().expect("utf-8").to_string();
    for view in ["flows", "rpc"] {
        let (mut a, ca) = json(&["pcap", view, &s(&whole)]);
        let (mut b, cb) = json(&["pcap", view, &s(&client), &s(&peer)]);
        assert_eq!((ca, cb), (Some(0), Some(0)));
        let key = |v: &Value| v.to_string();
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a.len(), b.len(), "{view}");
        if view == "flows" {
            assert_eq!(a, b, "{view}");
        } else {
            let calls = |rows: &[Value]| -> BTreeMap<String, u64> {
                rows.iter()
                    .filter_map(|r| Some((r["method"].as_str()?.to_string(), r["calls"].as_u64()?)))
                    .collect()
            };
            assert_eq!(calls(&a), calls(&b));
        }
    }
}

/// `pcap election` rebuilds the leader changes the script recorded with
/// `etcdctl endpoint status`: a move-leader (term 3, a transfer) and the
/// election after SIGKILL of that leader (term 4), with a time without a
/// leader that fits the kill and the new leader's first heartbeat; the
/// capture split in two files gives the same timeline.
#[test]
fn election_matches_the_recorded_leaders() {
    let t = truth("etcd-rpc-election");
    let id = |name: &str| -> String {
        t["members"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["name"] == name))
            .and_then(|m| m["id"].as_str())
            .unwrap_or_else(|| panic!("member {name}"))
            .to_string()
    };
    let l = &t["leaders"];
    let before = id(l["before_move_leader"]["leader"].as_str().expect("leader"));
    let moved = id(l["after_move_leader"]["leader"].as_str().expect("leader"));
    let elected = id(l["after_kill"]["leader"].as_str().expect("leader"));
    let whole = capture("etcd-rpc-election.pcapng");
    let client = capture("etcd-rpc-election.client.pcapng");
    let peer = capture("etcd-rpc-election.peer.pcapng");
    let s = |p: &PathBuf| p.to_str().expect("utf-8").to_string();
    let (rows, code) = json(&["pcap", "election", &s(&whole)]);
    assert_eq!(code, Some(0));
    let changes: Vec<(u64, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["term"].as_u64().unwrap_or(0),
                r["leader"].as_str().unwrap_or_default().to_string(),
                r["previous_leader"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                l["after_move_leader"]["raft_term"].as_u64().expect("term"),
                moved.clone(),
                before,
                "transfer".to_string()
            ),
            (
                l["after_kill"]["raft_term"].as_u64().expect("term"),
                elected,
                moved,
                "election".to_string()
            ),
        ]
    );
    // Without a leader from the last heartbeat of the killed leader (at
    // most one heartbeat interval before the kill) to the new leader's
    // first (after it became leader, before polling saw it).
    let f = |k: &str, v: &str| l[k][v].as_f64().expect("time");
    let low = (f("after_kill", "became_leader_in_its_log_at_s")
        - f("killed", "kill_leader_returned_at_s"))
        * 1000.0
        - 150.0;
    let high = (f("after_kill", "seen_by_polling_at_s") - f("killed", "kill_leader_started_at_s"))
        * 1000.0
        + 150.0;
    let no_leader = rows[1]["no_leader_ms"].as_f64().expect("no_leader_ms");
    assert!(
        (low..=high).contains(&no_leader),
        "no_leader_ms {no_leader} outside [{low}, {high}]"
    );
    // The transfer hands over at once.
    assert!(rows[0]["no_leader_ms"].as_f64().expect("ms") < 200.0);
    // The two halves of the same capture, merged, tell the same story.
    let (merged, code) = json(&["pcap", "election", &s(&client), &s(&peer)]);
    assert_eq!(code, Some(0));
    assert_eq!(merged, rows);
}

//! etcd API decoding (`proto::etcd_rpc`) on real wire bytes: gRPC messages
//! captured from a three-member etcd 3.4 lab while etcdctl ran every kind
//! of call, and InternalRaftRequest entries read from the same lab's WAL
//! (tests/fixtures/etcd_rpc/README.md says which command made each file,
//! and what the lab reported: member ids, lease id, hash).

use std::collections::BTreeMap;
use std::path::PathBuf;

use kinspect::proto::Context;
use kinspect::proto::etcd_rpc::{self, EtcdEvent, describe_internal_raft_request};
use serde_json::{Value, json};

use crate::common;

const M1: &str = "9025aa23e202eeb4";
const M2: &str = "438c62a735695e68";
const M3: &str = "9f5dbb8e4561706c";
const CLUSTER: &str = "fc931b9c031fbb2e";
const LEASE: &str = "6eb4a2196888890f";

fn fixture_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/etcd_rpc"
    ))
}

/// A fixture: first line the gRPC path, second line the message in hex.
fn fixture(name: &str) -> (String, Vec<u8>) {
    let text = std::fs::read_to_string(fixture_dir().join(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let mut lines = text.lines();
    let path = lines.next().expect("path line").to_string();
    let bytes = hex::decode(lines.next().unwrap_or("").trim()).expect("hex line");
    (path, bytes)
}

fn all_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".hex"))
        .collect();
    names.sort();
    names
}

fn decode_with(name: &str, ctx: &Context) -> EtcdEvent {
    let (path, bytes) = fixture(name);
    let request = name.contains(".req");
    etcd_rpc::decode(&path, request, &bytes, ctx).unwrap_or_else(|| panic!("{name} did not decode"))
}

/// The event of a fixture as JSON, and its table line.
fn decoded(name: &str) -> (Value, String) {
    let e = decode_with(name, &Context::default());
    (serde_json::to_value(&e).expect("serialize"), e.summary())
}

/// (index, payload) of each Raft entry in the WAL fixture.
fn raft_entries() -> Vec<(u64, Vec<u8>)> {
    std::fs::read_to_string(fixture_dir().join("raft-entries.txt"))
        .expect("raft-entries.txt")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (
                f[1].parse().expect("index"),
                hex::decode(f[2]).expect("hex"),
            )
        })
        .collect()
}

#[test]
fn every_fixture_decodes_with_the_type_its_direction_says() {
    let names = all_fixtures();
    assert!(names.len() >= 50, "only {} fixtures", names.len());
    for n in &names {
        let (v, line) = decoded(n);
        let want = if n.contains(".req") {
            "etcd_request"
        } else {
            "etcd_response"
        };
        assert_eq!(v["type"], want, "{n}");
        assert!(!line.is_empty(), "{n}: empty summary");
        assert!(!line.contains("[truncated]"), "{n}: {line}");
        assert_eq!(v.get("truncated"), None, "{n}");
    }
}

#[test]
fn put_of_a_pod_is_named_by_the_k8s_decoder() {
    let (v, line) = decoded("put-pod.req.hex");
    assert_eq!(v["service"], "KV");
    assert_eq!(v["method"], "Put");
    assert_eq!(v["key"], "/registry/pods/default/web-1");
    assert_eq!(v["value"], "v1 Pod default/web-1");
    assert_eq!(v["value_bytes"], 187);
    assert_eq!(
        line,
        "Put /registry/pods/default/web-1 (v1 Pod default/web-1)"
    );
    let (v, line) = decoded("put-pod.resp.hex");
    assert_eq!(
        v["header"],
        json!({"cluster_id": CLUSTER, "member_id": M1, "revision": 2, "raft_term": 2})
    );
    assert_eq!(line, format!("Put ok (rev 2, term 2, member {M1})"));
}

#[test]
fn secrets_are_redacted_unless_asked_for() {
    for name in ["put-secret.req.hex", "get-secret.resp.hex", "txn.resp.hex"] {
        let e = decode_with(name, &Context::default());
        let text = format!("{} {}", e.summary(), serde_json::to_string(&e).unwrap());
        assert!(text.contains("<redacted: 117 bytes>"), "{name}: {text}");
        // The stored value is base64 "hunter2" inside the Secret's JSON.
        assert!(!text.contains("aHVudGVy"), "{name} leaks the secret");
        assert!(!text.contains("password"), "{name} leaks the secret");
    }
    let shown = Context {
        show_secrets: true,
        ..Default::default()
    };
    let e = decode_with("put-secret.req.hex", &shown);
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["value"], "v1 Secret default/s1");
}

#[test]
fn plain_values_show_length_and_a_preview() {
    let (v, line) = decoded("put-plain.req.hex");
    assert_eq!(v["value"], "11 bytes \"hello-world\"");
    assert_eq!(line, "Put plain/key (11 bytes \"hello-world\")");
    let (v, line) = decoded("put-with-lease.req.hex");
    assert_eq!(v["lease"], LEASE);
    assert_eq!(
        line,
        format!(
            "Put /registry/leases/kube-node-lease/n1 (12 bytes \"lease-holder\", lease {LEASE})"
        )
    );
    // protoc: PutRequest key (1), value (2), lease (3).
    protoc_says(
        "put-plain.req.hex",
        &["1: \"plain/key\"", "2: \"hello-world\""],
    );
    let id = u64::from_str_radix(LEASE, 16).unwrap();
    protoc_says(
        "put-with-lease.req.hex",
        &[
            "1: \"/registry/leases/kube-node-lease/n1\"",
            "2: \"lease-holder\"",
            &format!("3: {id}"),
        ],
    );
}

#[test]
fn range_requests_show_prefixes_and_options() {
    let (v, line) = decoded("get-prefix-pods.req.hex");
    assert_eq!(v["range"], "prefix /registry/pods/");
    assert_eq!(v["range_end"], "/registry/pods0");
    assert_eq!(line, "Range prefix /registry/pods/");
    let (v, line) = decoded("get-from-key-keys-only.req.hex");
    assert_eq!(v["range"], ">= a");
    assert_eq!(v["flags"], json!(["keys_only"]));
    assert_eq!(line, "Range >= a keys-only");
    let (v, line) = decoded("get-prefix-limit-rev.req.hex");
    assert_eq!(
        (v["limit"].clone(), v["revision"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(line, "Range prefix /registry/ limit 1 at rev 2");
    let (v, _) = decoded("get-pod.req.hex");
    assert_eq!(v["range"], "/registry/pods/default/web-1");
    assert_eq!(v.get("range_end"), None);
    // protoc (RangeRequest: key 1, range_end 2, limit 3, revision 4,
    // keys_only 8, api/etcdserverpb/rpc.proto).
    protoc_says(
        "get-prefix-limit-rev.req.hex",
        &["1: \"/registry/\"", "2: \"/registry0\"", "3: 1", "4: 2"],
    );
    protoc_says(
        "get-from-key-keys-only.req.hex",
        &["1: \"a\"", "2: \"\\000\"", "8: 1"],
    );
    protoc_says("get-pod.req.hex", &["1: \"/registry/pods/default/web-1\""]);
}

/// Asserts that `protoc --decode_raw` of a fixture has each of `lines`
/// (trimmed), when protoc is installed.
fn protoc_says(name: &str, lines: &[&str]) {
    if !common::have_tool("protoc", "--version") {
        return;
    }
    let text = protoc_decode_raw(&fixture(name).1);
    for l in lines {
        assert!(
            text.lines().any(|t| t.trim() == *l),
            "{name}: protoc has no {l:?}:\n{text}"
        );
    }
}

#[test]
fn range_responses_list_named_kvs_with_revisions() {
    let (v, line) = decoded("get-prefix-pods.resp.hex");
    assert_eq!(v["count"], 1);
    assert_eq!(v["more"], false);
    assert_eq!(
        v["kvs"],
        json!([{"key": "/registry/pods/default/web-1", "create_revision": 2,
                "mod_revision": 2, "version": 1, "value_bytes": 187,
                "value": "v1 Pod default/web-1"}])
    );
    assert_eq!(v["header"]["revision"], 4);
    assert!(
        line.starts_with(
            "Range: 1 kv (count 1): /registry/pods/default/web-1 → v1 Pod default/web-1"
        ),
        "{line}"
    );
    // keys-only with a limit: two keys, no values.
    let (v, _) = decoded("get-prefix-keys-only-limit.resp.hex");
    let keys: Vec<&str> = v["kvs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "/registry/pods/default/web-1",
            "/registry/secrets/default/s1"
        ]
    );
    assert!(
        v["kvs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("value").is_none())
    );
}

#[test]
fn deletes_say_what_and_how_many() {
    let (v, line) = decoded("del-prefix.req.hex");
    assert_eq!(v["range"], "prefix /registry/nothing/");
    assert_eq!(line, "DeleteRange prefix /registry/nothing/");
    let (v, _) = decoded("del-prefix.resp.hex");
    assert_eq!(v["deleted"], 0);
    let (v, _) = decoded("del-plain.resp.hex");
    assert_eq!(v["deleted"], 1);
    // DeleteRangeResponse.deleted is field 2; zero is left out on the wire.
    protoc_says("del-plain.resp.hex", &["2: 1"]);
    if common::have_tool("protoc", "--version") {
        let t = protoc_decode_raw(&fixture("del-prefix.resp.hex").1);
        assert!(!t.lines().any(|l| l.starts_with("2: ")), "{t}");
    }
}

#[test]
fn txn_shows_compares_branches_and_outcome() {
    let (v, line) = decoded("txn.req.hex");
    assert_eq!(
        v["txn"],
        json!({
            "compares": ["mod(/registry/pods/default/web-1) > 0"],
            "success": ["Put /registry/pods/default/web-1 (v1 Pod default/web-1)",
                        "Range /registry/secrets/default/s1"],
            "failure": ["Put plain/other (1 bytes \"x\")"],
        })
    );
    assert!(
        line.starts_with(
            "Txn (1 compare: mod(/registry/pods/default/web-1) > 0; 2 success ops: Put"
        ),
        "{line}"
    );
    // protoc: the Compare is result 1 (GREATER), target 2 (MOD), key 3,
    // mod_revision 6 = 0 (CompareResult/CompareTarget in rpc.proto); the
    // success branch ranges over the secret.
    protoc_says(
        "txn.req.hex",
        &[
            "1: 1",
            "2: 2",
            "3: \"/registry/pods/default/web-1\"",
            "6: 0",
            "1: \"/registry/secrets/default/s1\"",
        ],
    );
    let (v, _) = decoded("txn.resp.hex");
    assert_eq!(
        v["txn"],
        json!({"succeeded": true, "responses": ["Put", "Range: 1 kv"]})
    );
    assert_eq!(v["kvs"][0]["key"], "/registry/secrets/default/s1");
    assert_eq!(v["header"]["revision"], 8);
}

#[test]
fn watch_create_and_events() {
    let (v, line) = decoded("watch-prefix.req.hex");
    assert_eq!(v["watch"], "create");
    assert_eq!(v["range"], "prefix /registry/configmaps/");
    assert_eq!(line, "Watch create prefix /registry/configmaps/");
    let (v, _) = decoded("watch-prefix.resp.hex");
    assert_eq!(
        (v["created"].clone(), v["watch_id"].clone()),
        (json!(true), json!(0))
    );
    let (v, _) = decoded("watch-prefix.resp-2.hex");
    assert_eq!(
        v["events"],
        json!([{"event": "PUT", "key": "/registry/configmaps/default/cm1",
                "mod_revision": 9, "value_bytes": 2, "value": "2 bytes \"v1\""}])
    );
    let (v, line) = decoded("watch-prefix.resp-3.hex");
    assert_eq!(v["events"][0]["event"], "DELETE");
    assert_eq!(v["events"][0]["mod_revision"], 10);
    assert!(
        line.starts_with("Watch id 0: 1 event: DELETE /registry/configmaps/default/cm1 (rev 10)"),
        "{line}"
    );
    // From revision 1: the history of the pod key, both puts named.
    let (v, _) = decoded("watch-from-rev.req.hex");
    assert_eq!(v["revision"], 1);
    let (v, _) = decoded("watch-from-rev.resp-2.hex");
    let revs: Vec<(i64, &str)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["mod_revision"].as_i64().unwrap(),
                e["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        revs,
        [(2, "v1 Pod default/web-1"), (8, "v1 Pod default/web-1")]
    );
    // protoc: Event.type 1 = DELETE; KeyValue mod_revision (3) 9 and 10.
    protoc_says(
        "watch-prefix.resp-2.hex",
        &[
            "1: \"/registry/configmaps/default/cm1\"",
            "3: 9",
            "5: \"v1\"",
        ],
    );
    protoc_says("watch-prefix.resp-3.hex", &["1: 1", "3: 10"]);
    // WatchRequest.create_request (1): key 1, start_revision 3.
    protoc_says(
        "watch-from-rev.req.hex",
        &["1: \"/registry/pods/\"", "3: 1"],
    );
}

#[test]
fn lease_calls_carry_the_granted_id_in_hex() {
    let (v, line) = decoded("lease-grant.req.hex");
    assert_eq!(v["ttl"], 60);
    assert_eq!(line, "LeaseGrant ttl=60s");
    let (v, _) = decoded("lease-grant.resp.hex");
    assert_eq!(
        (v["lease"].clone(), v["ttl"].clone()),
        (json!(LEASE), json!(60))
    );
    for name in [
        "lease-keepalive.req.hex",
        "lease-keepalive.resp.hex",
        "lease-timetolive.req.hex",
        "lease-timetolive.resp.hex",
        "lease-revoke.req.hex",
    ] {
        assert_eq!(decoded(name).0["lease"], LEASE, "{name}");
    }
    let (v, _) = decoded("lease-timetolive.resp.hex");
    assert_eq!(v["keys"], json!(["/registry/leases/kube-node-lease/n1"]));
    assert_eq!(v["granted_ttl"], 60);
    let (v, _) = decoded("lease-list.resp.hex");
    assert_eq!(v["leases"], json!([LEASE]));
    // protoc: LeaseGrantResponse ID (2) and TTL (3); the request's TTL (1).
    let id = u64::from_str_radix(LEASE, 16).unwrap().to_string();
    protoc_says("lease-grant.resp.hex", &[&format!("2: {id}"), "3: 60"]);
    protoc_says("lease-grant.req.hex", &["1: 60"]);
    protoc_says("lease-keepalive.req.hex", &[&format!("1: {id}")]);
}

#[test]
fn member_lists_match_the_lab() {
    let (v, line) = decoded("member-list.resp.hex");
    let members: Vec<(String, String, String, String)> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["id"].as_str().unwrap().to_string(),
                m["peer_urls"][0].as_str().unwrap().to_string(),
                m["client_urls"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = |n: &str, id: &str, port: u32| {
        (
            n.to_string(),
            id.to_string(),
            format!("http://127.0.71.1:{}", port + 1),
            format!("http://127.0.71.1:{port}"),
        )
    };
    assert_eq!(
        members,
        [
            want("m2", M2, 22379),
            want("m1", M1, 2379),
            want("m3", M3, 32379)
        ]
    );
    assert_eq!(
        line,
        format!("MemberList: 3 members: m2 {M2}, m1 {M1}, m3 {M3} (term 2, member {M1})")
    );
    // protoc: Member ID (1) and name (2) in the same order.
    let dec = |h: &str| u64::from_str_radix(h, 16).unwrap().to_string();
    protoc_says(
        "member-list.resp.hex",
        &[
            &format!("1: {}", dec(M2)),
            &format!("1: {}", dec(M1)),
            &format!("1: {}", dec(M3)),
            "2: \"m1\"",
            "3: \"http://127.0.71.1:22380\"",
        ],
    );
    let (v, line) = decoded("member-add.req.hex");
    assert_eq!(v["peer_urls"], json!(["http://127.0.71.1:42380"]));
    assert_eq!(line, "MemberAdd http://127.0.71.1:42380 as learner");
    let (v, _) = decoded("member-add.resp.hex");
    let added = v["member_id"].as_str().unwrap().to_string();
    assert_eq!(v["members"].as_array().unwrap().len(), 4);
    assert!(
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == added.as_str() && m["is_learner"] == true)
    );
    assert_eq!(
        decoded("member-remove.req.hex").0["member_id"],
        added.as_str()
    );
    assert_eq!(
        decoded("member-promote.req.hex").0["member_id"],
        added.as_str()
    );
    assert_eq!(
        decoded("member-remove.resp.hex").0["members"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn maintenance_status_hash_snapshot_move_leader() {
    let (v, line) = decoded("status.resp.hex");
    assert_eq!(v["status"]["version"], "3.4.23");
    assert_eq!(v["status"]["leader"], M2);
    assert_eq!(v["header"]["member_id"], M1);
    assert!(line.starts_with("Status: etcd 3.4.23, db "), "{line}");
    let (v, line) = decoded("status-m2.resp.hex");
    assert_eq!(v["header"]["member_id"], M2);
    assert!(
        line.contains(&format!("leader {M2} (this member)")),
        "{line}"
    );
    let (v, _) = decoded("hashkv.resp.hex");
    assert_eq!(v["hash"], 4114434088u32);
    assert_eq!(v["compact_revision"], 3);
    // protoc: StatusResponse version (2) and leader (4); HashKVResponse
    // hash (2, the value `etcdctl endpoint hashkv` printed) and
    // compact_revision (3).
    let dec = |h: &str| u64::from_str_radix(h, 16).unwrap().to_string();
    protoc_says(
        "status.resp.hex",
        &["2: \"3.4.23\"", &format!("4: {}", dec(M2))],
    );
    protoc_says("hashkv.resp.hex", &["2: 4114434088", "3: 3"]);
    let (v, line) = decoded("snapshot.resp.hex");
    assert_eq!(v["snapshot_bytes"], 24576);
    assert_eq!(line, "Snapshot: 24576 bytes, 0 remaining");
    assert_eq!(decoded("snapshot.resp-2.hex").0["snapshot_bytes"], 32);
    let (v, line) = decoded("move-leader.req.hex");
    assert_eq!(v["member_id"], M1);
    assert_eq!(line, format!("MoveLeader to {M1}"));
    let (v, line) = decoded("compaction.req.hex");
    assert_eq!(v["revision"], 3);
    assert_eq!(line, "Compact rev 3");
}

#[test]
fn raft_entries_from_the_wal_read_as_client_writes() {
    let ctx = Context::default();
    let lines: Vec<(u64, Option<String>)> = raft_entries()
        .into_iter()
        .map(|(i, b)| (i, describe_internal_raft_request(&b, &ctx)))
        .collect();
    let by_index = |i: u64| {
        lines
            .iter()
            .find(|(n, _)| *n == i)
            .and_then(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("entry {i} not described"))
    };
    assert!(
        by_index(5).starts_with("v2 PUT /0/members/"),
        "{}",
        by_index(5)
    );
    assert!(by_index(5).contains("/attributes {\"name\":\"m"));
    assert_eq!(by_index(7), "v2 PUT /0/version 3.4.0");
    assert_eq!(
        by_index(9),
        "Put /registry/pods/default/web-1 (v1 Pod default/web-1)"
    );
    assert_eq!(
        by_index(10),
        "Put /registry/secrets/default/s1 (<redacted: 117 bytes>)"
    );
    assert_eq!(by_index(12), "DeleteRange plain/key");
    assert_eq!(by_index(13), "DeleteRange prefix /registry/nothing/");
    assert_eq!(by_index(14), format!("LeaseGrant ttl=60s id={LEASE}"));
    assert_eq!(
        by_index(15),
        format!(
            "Put /registry/leases/kube-node-lease/n1 (12 bytes \"lease-holder\", lease {LEASE})"
        )
    );
    assert_eq!(by_index(16), format!("LeaseRevoke id={LEASE}"));
    assert!(by_index(17).starts_with("Txn (1 compare: mod(/registry/pods/default/web-1) > 0; 2 success ops: Put /registry/pods/default/web-1 (v1 Pod default/web-1)"), "{}", by_index(17));
    assert_eq!(by_index(20), "Compaction rev=3");
    assert_eq!(by_index(21), "Alarm get");
    assert_eq!(lines.len(), 17);
}

#[test]
fn every_prefix_of_every_message_is_none_or_partial() {
    let ctx = Context::default();
    for name in all_fixtures() {
        let (path, bytes) = fixture(&name);
        let request = name.contains(".req");
        // The snapshot chunk is 24 KB: every 97th cut is enough for it.
        let step = if bytes.len() > 4096 { 97 } else { 1 };
        let mut partial = 0;
        for cut in (0..bytes.len()).step_by(step) {
            if let Some(e) = etcd_rpc::decode(&path, request, &bytes[..cut], &ctx) {
                let _ = (e.summary(), serde_json::to_string(&e).unwrap());
                if e.call().truncated {
                    partial += 1;
                }
            }
        }
        // Messages with several fields have cuts that keep the first ones.
        if etcd_rpc::wire::fields(&bytes).0.len() >= 2 {
            assert!(partial > 0, "{name}: no cut gave a partial event");
        }
    }
    for (i, b) in raft_entries() {
        for cut in 0..b.len() {
            if let Some(line) = describe_internal_raft_request(&b[..cut], &ctx) {
                assert!(!line.is_empty(), "entry {i} cut at {cut}");
            }
        }
    }
}

#[test]
fn a_cut_put_keeps_its_key_and_says_truncated() {
    let (path, bytes) = fixture("put-pod.req.hex");
    // Key field complete (2 + 28 bytes), value cut in the middle.
    let e = etcd_rpc::decode(&path, true, &bytes[..100], &Context::default()).unwrap();
    assert!(e.call().truncated);
    assert_eq!(
        e.call().key.as_deref(),
        Some("/registry/pods/default/web-1")
    );
    assert!(e.summary().ends_with("[truncated]"), "{}", e.summary());
    assert_eq!(serde_json::to_value(&e).unwrap()["truncated"], true);
}

#[test]
fn zero_fields_decode_the_same_present_or_omitted() {
    let (path, bytes) = fixture("get-pod.req.hex");
    let ctx = Context::default();
    let omitted = etcd_rpc::decode(&path, true, &bytes, &ctx).unwrap();
    // limit=0 (3), revision=0 (4), sort_order=0 (5), keys_only=false (8),
    // count_only=false (9), range_end="" (2), all written out.
    let mut explicit = bytes.clone();
    explicit.extend_from_slice(&[
        0x18, 0x00, 0x20, 0x00, 0x28, 0x00, 0x40, 0x00, 0x48, 0x00, 0x12, 0x00,
    ]);
    let present = etcd_rpc::decode(&path, true, &explicit, &ctx).unwrap();
    let strip = |e: &EtcdEvent| {
        let mut v = serde_json::to_value(e).unwrap();
        v.as_object_mut().unwrap().remove("message_bytes");
        v
    };
    assert_eq!(strip(&omitted), strip(&present));
    assert_eq!(omitted.summary(), present.summary());
    // A header with revision 0 written out reads as one without it.
    let (rpath, resp) = fixture("member-list.resp.hex");
    let mut with_zero = resp.clone();
    with_zero.extend_from_slice(&[0x0a, 0x02, 0x18, 0x00]);
    let a = etcd_rpc::decode(&rpath, false, &resp, &ctx).unwrap();
    let b = etcd_rpc::decode(&rpath, false, &with_zero, &ctx).unwrap();
    assert_eq!(a.call().header.as_ref().map(|h| h.revision), Some(0));
    assert_eq!(
        b.call().header.as_ref().map(|h| &h.member_id),
        a.call().header.as_ref().map(|h| &h.member_id)
    );
}

#[test]
fn huge_repeated_fields_are_counted_not_all_built() {
    // A Range answer with 10 000 key-values: the count says so, the event
    // lists a bounded number.
    let (_, one) = fixture("get-pod.resp.hex");
    // Take the first kv field (tag 0x12) of the real answer and repeat it.
    let mut kv_field = Vec::new();
    let mut pos = 0;
    while pos < one.len() {
        let tag = one[pos];
        let len = one[pos + 1] as usize;
        let (hdr, body) = if len & 0x80 != 0 {
            let l = (len & 0x7f) | ((one[pos + 2] as usize) << 7);
            (3, l)
        } else {
            (2, len)
        };
        if tag == 0x12 {
            kv_field = one[pos..pos + hdr + body].to_vec();
            break;
        }
        pos += hdr + body;
    }
    assert!(!kv_field.is_empty());
    let mut big = Vec::new();
    for _ in 0..10_000 {
        big.extend_from_slice(&kv_field);
    }
    let e = etcd_rpc::decode("/etcdserverpb.KV/Range", false, &big, &Context::default()).unwrap();
    assert_eq!(e.call().kvs.len(), etcd_rpc::MAX_LISTED);
    assert!(
        e.summary().starts_with("Range: 10000 kvs"),
        "{}",
        &e.summary()[..60]
    );
}

#[test]
fn other_paths_are_not_etcd_and_unknown_methods_are_named() {
    let ctx = Context::default();
    assert!(etcd_rpc::decode("/helloworld.Greeter/SayHello", true, b"", &ctx).is_none());
    assert!(etcd_rpc::decode("/etcdserverpb.KV", true, b"", &ctx).is_none());
    let e = etcd_rpc::decode("/etcdserverpb.Maintenance/Defragment", false, b"", &ctx).unwrap();
    assert_eq!(e.summary(), "Defragment ok");
    let e = etcd_rpc::decode("/etcdserverpb.KV/SomethingNew", true, &[0x08, 0x01], &ctx).unwrap();
    assert_eq!(e.call().method, "SomethingNew");
    // Garbage that is not protobuf at all.
    assert!(etcd_rpc::decode("/etcdserverpb.KV/Range", true, &[0xff; 12], &ctx).is_none());
    assert!(describe_internal_raft_request(&[0xff; 12], &ctx).is_none());
    assert!(describe_internal_raft_request(b"", &ctx).is_none());
}

/// Calls per etcd method in etcd-client.pcap as tshark 4.0 counts them
/// (`tshark -d tcp.port==2379,http2 -d tcp.port==22379,http2 -d
/// tcp.port==32379,http2 -Y http2.headers.path -e http2.headers.path`).
const TSHARK_CALLS: [(&str, u64); 22] = [
    ("Cluster/MemberAdd", 1),
    ("Cluster/MemberList", 2),
    ("Cluster/MemberPromote", 1),
    ("Cluster/MemberRemove", 1),
    ("Cluster/MemberUpdate", 1),
    ("KV/Compact", 1),
    ("KV/DeleteRange", 3),
    ("KV/Put", 5),
    ("KV/Range", 7),
    ("KV/Txn", 1),
    ("Lease/LeaseGrant", 1),
    ("Lease/LeaseKeepAlive", 1),
    ("Lease/LeaseLeases", 1),
    ("Lease/LeaseRevoke", 1),
    ("Lease/LeaseTimeToLive", 1),
    ("Maintenance/Alarm", 1),
    ("Maintenance/Defragment", 1),
    ("Maintenance/HashKV", 2),
    ("Maintenance/MoveLeader", 1),
    ("Maintenance/Snapshot", 1),
    ("Maintenance/Status", 10),
    ("Watch/Watch", 2),
];

fn pcap_events(extra: &[&str]) -> Vec<Value> {
    let pcap = fixture_dir().join("etcd-client.pcap");
    let mut args = vec!["pcap", "events", "-o", "json"];
    args.extend_from_slice(extra);
    let pcap = pcap.to_string_lossy().into_owned();
    args.push(&pcap);
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let text = run.stdout.clone();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn pcap_events_on_our_capture_match_tshark_call_counts() {
    let events = pcap_events(&[]);
    let mut requests: BTreeMap<String, u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "etcd_request") {
        let m = format!(
            "{}/{}",
            e["service"].as_str().unwrap(),
            e["method"].as_str().unwrap()
        );
        *requests.entry(m).or_default() += 1;
    }
    let want: BTreeMap<String, u64> = TSHARK_CALLS
        .iter()
        .map(|(m, n)| (m.to_string(), *n))
        .collect();
    assert_eq!(requests, want);
    // Put keys and values as the script wrote them, in order.
    let puts: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "etcd_request" && e["method"] == "Put")
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want_puts = [
        ("/registry/pods/default/web-1", "v1 Pod default/web-1"),
        ("/registry/secrets/default/s1", "<redacted: 117 bytes>"),
        ("plain/key", "11 bytes \"hello-world\""),
        (
            "/registry/leases/kube-node-lease/n1",
            "12 bytes \"lease-holder\"",
        ),
        ("/registry/configmaps/default/cm1", "2 bytes \"v1\""),
    ];
    assert_eq!(
        puts,
        want_puts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    );
    // Responses come from the member that was asked: m1 on 2379, m2 on
    // 22379, m3 on 32379.
    for e in events.iter().filter(|e| e["type"] == "etcd_response") {
        let Some(member) = e["header"]["member_id"].as_str() else {
            continue;
        };
        let port = e["src"].as_str().unwrap().rsplit(':').next().unwrap();
        let want = match port {
            "2379" => M1,
            "22379" => M2,
            "32379" => M3,
            other => panic!("response from port {other}"),
        };
        assert_eq!(member, want, "{e}");
    }
}

#[test]
fn pcap_events_never_print_the_secret_unless_asked() {
    let pcap = fixture_dir().join("etcd-client.pcap");
    for format in ["table", "json"] {
        let run = common::kinspect(&["pcap", "events", "-o", format, &pcap.to_string_lossy()]);
        assert_eq!(run.code, Some(0), "{}", run.describe());
        assert!(run.stdout.contains("<redacted: 117 bytes>"), "{format}");
        assert!(
            !run.stdout.contains("aHVudGVy"),
            "{format} output leaks the secret"
        );
    }
    let shown = pcap_events(&["--show-secrets"]);
    assert!(shown.iter().any(|e| e["type"] == "etcd_request"
        && e["key"] == "/registry/secrets/default/s1"
        && e["value"] == "v1 Secret default/s1"));
}

/// `protoc --decode_raw` of a fixture's message: protobuf's own decoder,
/// which knows nothing of etcd's schema, as the oracle for the numbers.
fn protoc_decode_raw(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("protoc")
        .arg("--decode_raw")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("protoc runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write to protoc");
    let out = child.wait_with_output().expect("protoc output");
    assert!(out.status.success(), "protoc --decode_raw failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The scalar fields of the top-level `N { ... }` block of protoc's text
/// (the first one when the field repeats): field number → value text.
fn protoc_block(text: &str, field: u32) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        if !inside {
            inside = line == format!("{field} {{");
            continue;
        }
        if line == "}" {
            break;
        }
        // Only the block's own fields (two spaces in), not nested ones.
        let Some(rest) = line.strip_prefix("  ").filter(|r| !r.starts_with(' ')) else {
            continue;
        };
        if let Some((k, v)) = rest.split_once(": ") {
            if let Ok(k) = k.parse() {
                out.entry(k)
                    .or_insert_with(|| v.trim_matches('"').to_string());
            }
        }
    }
    out
}

/// Every response's header (etcdserverpb.ResponseHeader, field 1 of every
/// response: cluster_id 1, member_id 2, revision 3, raft_term 4, per
/// etcd's api/etcdserverpb/rpc.proto) equals protoc's raw decode of it.
#[test]
fn every_response_header_equals_protoc_decode_raw() {
    if !common::have_tool("protoc", "--version") {
        return;
    }
    let mut checked = 0;
    for n in all_fixtures().iter().filter(|n| n.contains(".resp")) {
        let (_, bytes) = fixture(n);
        let text = protoc_decode_raw(&bytes);
        let (v, _) = decoded(n);
        if !text.lines().any(|l| l == "1 {") {
            // The snapshot stream's chunks (snapshot.resp, -2) carry none.
            assert_eq!(v.get("header"), None, "{n}: protoc sees no header: {text}");
            continue;
        }
        let raw = protoc_block(&text, 1);
        let num = |k: u32| raw.get(&k).map_or(0, |v| v.parse::<u64>().expect("number"));
        let want = json!({
            "cluster_id": format!("{:x}", num(1)),
            "member_id": format!("{:x}", num(2)),
            "revision": num(3),
            "raft_term": num(4),
        });
        assert_eq!(v["header"], want, "{n}: protoc {raw:?}");
        checked += 1;
    }
    // The README's 33 response fixtures but the two snapshot chunks.
    assert_eq!(checked, 31);
}

/// The fixtures no other test looks at in detail: the exact event each
/// one's command (tests/fixtures/etcd_rpc/README.md) produced. Revisions
/// follow the README's order of writes (pod 2, secret 3, plain 4, ...);
/// the numbers are cross-checked with protoc --decode_raw above and below.
#[test]
fn remaining_fixtures_decode_to_what_their_commands_sent() {
    let header = |rev: u64, term: u64| json!({"cluster_id": CLUSTER, "member_id": M1, "revision": rev, "raft_term": term});
    // Responses that carry only a header: `etcdctl put` / `lease revoke` /
    // `compaction 3`, with the revision each write made.
    for (n, method, rev) in [
        ("put-secret.resp.hex", "Put", 3),
        ("put-plain.resp.hex", "Put", 4),
        ("put-with-lease.resp.hex", "Put", 6),
        ("lease-revoke.resp.hex", "LeaseRevoke", 7),
        ("compaction.resp.hex", "Compact", 10),
    ] {
        let (v, line) = decoded(n);
        assert_eq!(v["method"], method, "{n}");
        assert_eq!(v["header"], header(rev, 2), "{n}");
        assert_eq!(
            line,
            format!("{method} ok (rev {rev}, term 2, member {M1})"),
            "{n}"
        );
    }
    // etcdctl del plain/key; etcdctl get /registry/secrets/default/s1.
    let (v, line) = decoded("del-plain.req.hex");
    assert_eq!(
        (v["method"].as_str(), v["key"].as_str()),
        (Some("DeleteRange"), Some("plain/key"))
    );
    assert_eq!(v.get("range_end"), None);
    assert_eq!(line, "DeleteRange plain/key");
    let (v, line) = decoded("get-secret.req.hex");
    assert_eq!(v["key"], "/registry/secrets/default/s1");
    assert_eq!(v.get("limit"), None);
    assert_eq!(line, "Range /registry/secrets/default/s1");
    // etcdctl get --prefix /registry/ --keys-only --limit 2: the prefix is
    // sent as range_end /registry0 (the last byte plus one).
    let (v, line) = decoded("get-prefix-keys-only-limit.req.hex");
    assert_eq!(v["key"], "/registry/");
    assert_eq!(v["range_end"], "/registry0");
    assert_eq!(v["limit"], 2);
    assert_eq!(v["flags"], json!(["keys_only"]));
    assert_eq!(line, "Range prefix /registry/ limit 2 keys-only");
    // etcdctl get --from-key a --keys-only, when plain/key (rev 4) was the
    // only key after "a": no value comes back.
    let (v, line) = decoded("get-from-key-keys-only.resp.hex");
    assert_eq!(v["header"], header(4, 2));
    assert_eq!(v["count"], 1);
    assert_eq!(
        v["kvs"],
        json!([{"key": "plain/key", "create_revision": 4, "mod_revision": 4, "version": 1, "value_bytes": 0}])
    );
    assert_eq!(
        line,
        format!("Range: 1 kv (count 1): plain/key (rev 4, term 2, member {M1})")
    );
    // etcdctl get --prefix /registry/ --limit 1 --rev 2: at revision 2 only
    // the Pod existed.
    let (v, _) = decoded("get-prefix-limit-rev.resp.hex");
    assert_eq!(v["count"], 1);
    assert_eq!(v["more"], false);
    assert_eq!(v["kvs"][0]["key"], "/registry/pods/default/web-1");
    assert_eq!(v["kvs"][0]["create_revision"], 2);
    assert_eq!(v["kvs"][0]["value"], "v1 Pod default/web-1");
    assert_eq!(v["kvs"][0]["value_bytes"], 187);
    // etcdctl watch --rev 1 --prefix /registry/pods/: the creation answer.
    let (v, line) = decoded("watch-from-rev.resp.hex");
    assert_eq!(
        (v["created"].as_bool(), v["watch_id"].as_u64()),
        (Some(true), Some(0))
    );
    assert_eq!(
        line,
        format!("Watch id 0 created (rev 10, term 2, member {M1})")
    );
    // etcdctl member update <m4> --peer-urls=http://127.0.71.1:42381, and
    // the member list it returns (m4 not started: no name, no client URL).
    let (req, line) = decoded("member-update.req.hex");
    let m4 = req["member_id"].as_str().unwrap().to_string();
    assert_eq!(req["peer_urls"], json!(["http://127.0.71.1:42381"]));
    assert_eq!(line, format!("MemberUpdate {m4} http://127.0.71.1:42381"));
    let (v, _) = decoded("member-update.resp.hex");
    let ids: Vec<&str> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [M2, M1, M3, m4.as_str()]);
    assert_eq!(
        v["members"][3]["peer_urls"],
        json!(["http://127.0.71.1:42381"])
    );
    assert_eq!(v["members"][3]["name"], "");
    if !common::have_tool("protoc", "--version") {
        return;
    }
    // The numbers above as protobuf itself reads them: RangeRequest key
    // (field 1), range_end (2), limit (3) and keys_only (8);
    // MemberUpdateRequest ID (1);
    // WatchResponse created (3); RangeResponse count (4).
    let raw = |n: &str| protoc_decode_raw(&fixture(n).1);
    let r = raw("get-prefix-keys-only-limit.req.hex");
    assert_eq!(r, "1: \"/registry/\"\n2: \"/registry0\"\n3: 2\n8: 1\n");
    let r = raw("member-update.req.hex");
    let id: u64 = r
        .lines()
        .next()
        .unwrap()
        .strip_prefix("1: ")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(format!("{id:x}"), m4);
    let r = raw("watch-from-rev.resp.hex");
    assert!(r.ends_with("3: 1\n"), "{r}");
    for n in [
        "get-from-key-keys-only.resp.hex",
        "get-prefix-limit-rev.resp.hex",
    ] {
        let r = raw(n);
        assert!(r.ends_with("4: 1\n"), "{n}: {r}");
    }
}

/// Every fixture's bytes are a gRPC message tshark itself extracts from
/// the capture they came from (`grpc.message_data` of etcd-client.pcap
/// with the three client ports decoded as HTTP/2): the fixtures are the
/// wire, not something we wrote.
#[test]
fn every_fixture_is_a_message_tshark_reads_in_the_capture() {
    if !common::have_tool("tshark", "-v") {
        return;
    }
    let rows = common::oracle::tshark_fields(
        &fixture_dir().join("etcd-client.pcap"),
        &[
            "-d",
            "tcp.port==2379,http2",
            "-d",
            "tcp.port==22379,http2",
            "-d",
            "tcp.port==32379,http2",
            "-Y",
            "grpc",
            "-E",
            "occurrence=a",
        ],
        &["grpc.message_data"],
    );
    let messages: std::collections::BTreeSet<String> = rows
        .iter()
        .flat_map(|r| r[0].split(','))
        .map(|m| m.replace(':', ""))
        .collect();
    let names = all_fixtures();
    assert_eq!(names.len(), 58);
    for n in &names {
        let (_, bytes) = fixture(n);
        assert!(
            messages.contains(&hex::encode(&bytes)),
            "{n} is not in the capture"
        );
    }
}

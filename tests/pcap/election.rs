//! `pcap election` on our own capture of a real etcd 3.4 cluster whose
//! leader was SIGKILLed (captures/etcd-3node-leader-kill.pcapng; ground
//! truth in captures/etcd-3node-leader-kill.timeline.txt): exactly one
//! leader change, term 3 to m1 after m2, m1 campaigning and m3 granting,
//! the time without a leader consistent with the kill and, to the
//! nanosecond, equal to tshark's frame.time_epoch difference between m2's
//! last peer frame and m1's first (instants read as whole RFC 3339
//! values, date included); the same when the
//! capture is cut mid-connection (editcap) or split into two files. Also
//! captures/etcd-rpc-election*.pcapng (move-leader then kill, when present)
//! and, from hand-built events, transfer/pre-vote/split-vote logic.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

const M1: &str = "899267fbb0a59efd";
const M2: &str = "5d773d020040d865";
const M3: &str = "99a7e702eb2fd3f1";

/// First packet 17:40:05.749118Z; SIGKILL at +3.995 s; m1 leader at
/// +4.830 s by its log.
const FIRST_PACKET_S: f64 = 1_795_714_805.749118;
const KILL_S: f64 = FIRST_PACKET_S + 3.995;
const ELECTED_S: f64 = FIRST_PACKET_S + 4.830;

fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/etcd-3node-leader-kill.pcapng")
}

/// Nanoseconds since the epoch of a whole RFC 3339 instant
/// (`2026-11-26T17:40:10.580024Z`, or with a `±hh:mm` offset): date, time
/// of day, fraction and offset all count.
fn rfc3339_ns(ts: &str) -> i128 {
    let bad = format!("not an RFC 3339 instant: {ts:?}");
    let (date, rest) = ts.split_once('T').expect(&bad);
    let (clock, offset_s): (&str, i128) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-']).expect(&bad);
        let (c, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').expect(&bad);
        let (oh, om): (i128, i128) = (oh.parse().unwrap(), om.parse().unwrap());
        (c, sign * (oh * 3600 + om * 60))
    };
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    assert_eq!(d.len(), 3, "{ts}");
    let (whole, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let hms: Vec<i128> = whole.split(':').map(|p| p.parse().unwrap()).collect();
    assert_eq!(hms.len(), 3, "{ts}");
    assert!(
        frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit()),
        "{ts}"
    );
    let frac_ns: i128 = format!("{frac:0<9}").parse().unwrap();
    // Days from the civil date (proleptic Gregorian), after H. Hinnant's
    // days_from_civil.
    let (y, m, day) = (d[0] - i64::from(d[1] <= 2), d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = i128::from(era * 146_097 + doe - 719_468);
    let secs = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2] - offset_s;
    secs * 1_000_000_000 + frac_ns
}

/// Seconds since the epoch of an RFC 3339 instant.
fn epoch_s(ts: &str) -> f64 {
    rfc3339_ns(ts) as f64 / 1e9
}

#[test]
fn rfc3339_parser_agrees_with_known_instants() {
    // `date -u -d 2026-11-26T17:40:10Z +%s` = 1795714810; the Unix epoch;
    // a leap day; an offset (RFC 3339 section 5.8's 1996-12-19T16:39:57-08:00
    // is 1996-12-20T00:39:57Z = 851042397).
    assert_eq!(
        rfc3339_ns("2026-11-26T17:40:10Z"),
        1_795_714_810 * 1_000_000_000
    );
    assert_eq!(rfc3339_ns("1970-01-01T00:00:00.000000001Z"), 1);
    assert_eq!(
        rfc3339_ns("2024-02-29T12:00:00Z"),
        1_709_208_000 * 1_000_000_000
    );
    assert_eq!(
        rfc3339_ns("1996-12-19T16:39:57-08:00"),
        851_042_397 * 1_000_000_000
    );
}

/// One frame as tshark reads it (`-T fields`).
#[derive(Debug, Clone)]
struct Frame {
    number: u64,
    /// frame.time_epoch in nanoseconds.
    ns: i128,
    src: String,
    sport: u16,
    dport: u16,
    len: u64,
}

/// Every TCP frame of `file` with tshark's frame.time_epoch (read as
/// integer nanoseconds), addresses, ports and payload length.
fn tshark_frames(file: &Path) -> Vec<Frame> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", "tcp", "-T", "fields"])
        .args([
            "-e",
            "frame.number",
            "-e",
            "frame.time_epoch",
            "-e",
            "ip.src",
        ])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.len"])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let (s, f) = c[1].split_once('.').unwrap_or((c[1], "0"));
            Frame {
                number: c[0].parse().unwrap(),
                ns: s.parse::<i128>().unwrap() * 1_000_000_000
                    + format!("{f:0<9}")[..9].parse::<i128>().unwrap(),
                src: c[2].to_string(),
                sport: c[3].parse().unwrap(),
                dport: c[4].parse().unwrap(),
                len: c[5].parse().unwrap(),
            }
        })
        .collect()
}

/// tshark's frames of the whole capture, read once per test binary.
fn capture_frames() -> &'static [Frame] {
    static FRAMES: std::sync::OnceLock<Vec<Frame>> = std::sync::OnceLock::new();
    FRAMES.get_or_init(|| tshark_frames(&capture()))
}

/// Peer addresses of the members, from the `etcdctl endpoint status`
/// lines of captures/etcd-3node-leader-kill.timeline.txt (m1 has member
/// id 9913100060493979389 = 0x899267fbb0a59efd on 127.0.0.1, m2 has
/// 6734918846559344741 = 0x5d773d020040d865 on 127.0.0.2).
const M1_IP: &str = "127.0.0.1";
const M2_IP: &str = "127.0.0.2";

/// The peer-port (2380) frame with payload sent from `ip` at the
/// microsecond instant `ts_ns` (kinspect prints microseconds).
fn peer_frame_at<'a>(frames: &'a [Frame], ts_ns: i128, ip: &str) -> Option<&'a Frame> {
    frames.iter().find(|f| {
        f.ns / 1000 == ts_ns / 1000
            && f.src == ip
            && f.len > 0
            && (f.sport == 2380 || f.dport == 2380)
    })
}

fn election_json(extra: &[&str], files: &[&Path]) -> Vec<serde_json::Value> {
    let mut args: Vec<std::ffi::OsString> =
        vec!["pcap".into(), "election".into(), "-o".into(), "json".into()];
    args.extend(extra.iter().map(|a| a.into()));
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    common::json_lines("pcap election", &run.stdout)
}

/// The one leader change of the capture, checked against the ground truth.
fn assert_term_3_change(changes: &[serde_json::Value], what: &str) {
    assert_eq!(
        changes.len(),
        1,
        "{what}: exactly one leader change: {changes:?}"
    );
    let c = &changes[0];
    assert_eq!(c["term"], 3, "{what}");
    assert_eq!(c["leader"], M1, "{what}");
    assert_eq!(c["previous_leader"], M2, "{what}");
    assert_eq!(c["reason"], "election", "{what}");
    let ts = epoch_s(c["ts"].as_str().unwrap());
    assert!(
        (ts - ELECTED_S).abs() < 0.05,
        "{what}: leader established at {ts}, log says {ELECTED_S}"
    );
    assert_eq!(
        c["leader_peer_url"],
        format!("http://{M1_IP}:2380"),
        "{what}"
    );
    if tool("tshark") {
        // The oracle: tshark's frame.time_epoch. The change is dated by a
        // real frame m1 sent on a peer connection, the campaign by an
        // earlier one; the time without a leader is exactly from the last
        // frame m2 sent on a peer connection to that frame.
        let frames = capture_frames();
        assert_eq!(frames[0].ns, 1_795_714_805_749_118_783, "first frame");
        let ts_ns = rfc3339_ns(c["ts"].as_str().unwrap());
        let elected = peer_frame_at(frames, ts_ns, M1_IP)
            .unwrap_or_else(|| panic!("{what}: no frame from m1 at {}", c["ts"]));
        let campaign_ns = rfc3339_ns(c["campaign_started"].as_str().unwrap());
        let campaign = peer_frame_at(frames, campaign_ns, M1_IP)
            .unwrap_or_else(|| panic!("{what}: no frame from m1 at {}", c["campaign_started"]));
        assert!(
            campaign.number < elected.number,
            "{what}: {campaign:?} {elected:?}"
        );
        let last_m2 = frames
            .iter()
            .rfind(|f| {
                f.ns < elected.ns
                    && f.src == M2_IP
                    && f.len > 0
                    && (f.sport == 2380 || f.dport == 2380)
            })
            .expect("m2 sent peer frames");
        let want = (elected.ns - last_m2.ns) as f64 / 1e6;
        let got = c["no_leader_ms"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-6,
            "{what}: no_leader_ms {got}, tshark: frame {} - frame {} = {want} ms",
            elected.number,
            last_m2.number
        );
    }
    // Without a leader from m2's last heartbeat (before the kill) to m1's
    // first append: at least kill → first append, at most one heartbeat
    // interval (100 ms) more, plus slack.
    let no_leader = c["no_leader_ms"].as_f64().unwrap();
    let kill_to_new = (ts - KILL_S) * 1000.0;
    assert!(
        no_leader >= kill_to_new && no_leader <= kill_to_new + 150.0,
        "{what}: no_leader_ms {no_leader} vs kill→new leader {kill_to_new:.1} ms"
    );
}

#[test]
fn leader_kill_gives_term_3_to_m1() {
    let changes = election_json(&[], &[&capture()]);
    assert_term_3_change(&changes, "whole capture");
    let c = &changes[0];
    assert_eq!(c["campaigners"], serde_json::json!([M1]));
    assert_eq!(c["votes_granted"], serde_json::json!([M3]));
    assert_eq!(c["votes_rejected"], serde_json::json!([]));
    // m2 names itself when it rejoins (replicated member attributes).
    assert_eq!(c["previous_leader_name"], "m2");
}

#[test]
fn table_shows_the_observed_leader_and_the_election() {
    let mut args = vec!["pcap", "election"];
    let cap = capture();
    args.push(cap.to_str().unwrap());
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    assert!(rows[0].starts_with("2 ") && rows[0].contains(M2) && rows[0].ends_with("observed"));
    assert!(rows[1].starts_with("3 ") && rows[1].contains(M1) && rows[1].ends_with("election"));
    assert!(
        run.stdout.contains(&format!("granted: {M3}")),
        "{}",
        run.stdout
    );
}

fn tool(name: &str) -> bool {
    common::have_tool(name, "-v")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kinspect-election-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn cut_captures_still_show_the_election() {
    if !tool("editcap") {
        return;
    }
    let dir = temp_dir("cut");
    // Start at packet 700 (every connection mid-stream, inside chunks),
    // and separately lose packets 1200-1300 in the middle of the streams.
    for (name, args) in [
        ("from700.pcapng", vec!["-r", "700-3174"]),
        ("hole.pcapng", vec!["640-660"]),
    ] {
        let out = dir.join(name);
        let status = if args[0] == "-r" {
            Command::new("editcap")
                .arg("-r")
                .arg(capture())
                .arg(&out)
                .arg(args[1])
                .status()
        } else {
            Command::new("editcap")
                .arg(capture())
                .arg(&out)
                .arg(args[0])
                .status()
        };
        assert!(status.unwrap().success());
        let changes = election_json(&[], &[&out]);
        assert_term_3_change(&changes, name);
        // The cut really cost peer-stream bytes, and decoding resumed.
        let mut args: Vec<std::ffi::OsString> =
            vec!["pcap".into(), "events".into(), "-o".into(), "json".into()];
        args.push(out.clone().into());
        let run = common::kinspect(&args);
        let events = common::json_lines(name, &run.stdout);
        let peer = |t: &str| {
            events
                .iter()
                .filter(|e| e["component"] == "etcd-peer" && e["type"] == t)
                .count()
        };
        let resumed = if name == "hole.pcapng" {
            peer("http_resync")
        } else {
            events
                .iter()
                .filter(|e| e["type"] == "raft_stream" && e["joined_mid_stream"] == true)
                .count()
        };
        assert!(resumed > 0, "{name}: no stream joined or resynchronised");
        assert!(
            peer("raft_message") > 300,
            "{name}: {} raft messages",
            peer("raft_message")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_files_merge_into_one_timeline() {
    if !tool("tshark") {
        return;
    }
    let dir = temp_dir("split");
    let a = dir.join("listener-side.pcapng");
    let b = dir.join("rest.pcapng");
    for (out, filter) in [(&a, "tcp.srcport == 2380"), (&b, "!(tcp.srcport == 2380)")] {
        let ok = Command::new("tshark")
            .args(["-r"])
            .arg(capture())
            .args(["-Y", filter, "-F", "pcapng", "-w"])
            .arg(out)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok);
    }
    let changes = election_json(&[], &[&a, &b]);
    assert_term_3_change(&changes, "two files");
    let _ = std::fs::remove_dir_all(&dir);
}

mod synthetic {
    //! The view's logic for what the real capture does not show: a
    //! transfer (MsgTimeoutNow), pre-vote campaigns with a rejection, and a
    //! split vote, from events built by hand.

    use kinspect::event::{Event, EventKind};
    use kinspect::net::Observer;
    use kinspect::pipeline::Summary;
    use kinspect::proto::Component;
    use kinspect::proto::raft::{MemberId, RaftEvent, Transport};
    use kinspect::timestamp::Timestamp;
    use kinspect::view::{ElectionView, Format};

    const A: u64 = 0xa1;
    const B: u64 = 0xb2;
    const C: u64 = 0xc3;

    fn msg(ms: i64, t: &str, from: u64, to: u64, term: u64, reject: bool) -> Event {
        Event {
            ts: Timestamp(1_000_000_000_000_000_000 + ms * 1_000_000),
            src: "10.0.0.1:2380".parse().unwrap(),
            dst: "10.0.0.2:40000".parse().unwrap(),
            component: Component::EtcdPeer,
            kind: EventKind::Raft(RaftEvent::RaftMessage {
                msg_type: t.to_string(),
                from: Some(MemberId(from)),
                to: Some(MemberId(to)),
                term,
                log_term: 0,
                index: 0,
                commit: 0,
                reject,
                reject_hint: 0,
                entries: 0,
                entry_summaries: Vec::new(),
                snapshot_index: None,
                transport: Transport::StreamMessage,
                derived: false,
            }),
        }
    }

    fn run(events: &[Event]) -> Vec<serde_json::Value> {
        let mut v = ElectionView::new(Vec::new(), Format::Json);
        for e in events {
            v.event(e);
        }
        let out = v.finish(&Summary::default()).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn transfer_pre_vote_and_split_vote() {
        let events = [
            msg(0, "MsgHeartbeat", A, B, 5, false),
            msg(100, "MsgHeartbeat", A, C, 5, false),
            // Leadership transfer A → B.
            msg(150, "MsgTimeoutNow", A, B, 5, false),
            msg(151, "MsgVote", B, C, 6, false),
            msg(152, "MsgVoteResp", C, B, 6, false),
            msg(160, "MsgHeartbeat", B, A, 6, false),
            // A stale heartbeat of the deposed leader changes nothing.
            msg(170, "MsgHeartbeat", A, C, 5, false),
            msg(1000, "MsgHeartbeat", B, C, 6, false),
            // B dies; A and C both campaign at term 7: split vote.
            msg(2000, "MsgPreVote", A, C, 7, false),
            msg(2001, "MsgPreVoteResp", C, A, 7, false),
            msg(2002, "MsgVote", A, C, 7, false),
            msg(2002, "MsgVote", C, A, 7, false),
            msg(2003, "MsgVoteResp", C, A, 7, true),
            msg(2003, "MsgVoteResp", A, C, 7, true),
            // Term 8: C wins after a pre-vote A rejects... and B grants.
            msg(3000, "MsgPreVote", C, A, 8, false),
            msg(3001, "MsgPreVoteResp", A, C, 8, true),
            msg(3001, "MsgPreVoteResp", B, C, 8, false),
            msg(3002, "MsgVote", C, A, 8, false),
            msg(3003, "MsgVoteResp", A, C, 8, false),
            msg(3004, "MsgApp", C, A, 8, false),
        ];
        let changes = run(&events);
        assert_eq!(changes.len(), 2, "{changes:?}");
        let t6 = &changes[0];
        assert_eq!(
            (t6["term"].as_u64(), t6["reason"].as_str()),
            (Some(6), Some("transfer"))
        );
        assert_eq!(t6["leader"], "00000000000000b2");
        assert_eq!(t6["previous_leader"], "00000000000000a1");
        // Last heartbeat of A at term 5 (100 ms) to B's first (160 ms).
        assert_eq!(t6["no_leader_ms"].as_f64(), Some(60.0));
        let t8 = &changes[1];
        assert_eq!(
            (t8["term"].as_u64(), t8["reason"].as_str()),
            (Some(8), Some("election"))
        );
        assert_eq!(t8["leader"], "00000000000000c3");
        assert_eq!(t8["previous_leader"], "00000000000000b2");
        assert_eq!(t8["failed_terms"], serde_json::json!([7]));
        assert_eq!(
            t8["pre_campaigners"],
            serde_json::json!(["00000000000000c3"])
        );
        assert_eq!(
            t8["pre_votes_rejected"],
            serde_json::json!(["00000000000000a1"])
        );
        assert_eq!(
            t8["pre_votes_granted"],
            serde_json::json!(["00000000000000b2"])
        );
        assert_eq!(t8["votes_granted"], serde_json::json!(["00000000000000a1"]));
        // B's last heartbeat at 1000 ms, C's first append at 3004 ms.
        assert_eq!(t8["no_leader_ms"].as_f64(), Some(2004.0));
    }
}

/// captures/etcd-rpc-election*.pcapng (made by scripts/make-rpc-captures,
/// ground truth in its .truth.json): move-leader m1 → m3 (term 3), then
/// SIGKILL of m3 and m1 elected (term 4). Its three members share one IP
/// with peer ports 2380/22380/32380, so the two non-standard ports are
/// named with `--decode-as`. Skipped when the capture is absent.
#[test]
fn move_leader_then_kill_match_the_truth_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let truth_path = dir.join("etcd-rpc-election.truth.json");
    let Ok(truth) = std::fs::read_to_string(&truth_path) else {
        common::skip(&format!("{} not found", truth_path.display()));
        return;
    };
    let truth: serde_json::Value = serde_json::from_str(&truth).unwrap();
    let id_of = |name: &str| {
        truth["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let first = truth["capture"]["first_packet_epoch"].as_f64().unwrap();
    let l = &truth["leaders"];
    let flags = [
        "--decode-as",
        "2380=etcd-raft",
        "--decode-as",
        "22380=etcd-raft",
        "--decode-as",
        "32380=etcd-raft",
    ];
    let whole = dir.join("etcd-rpc-election.pcapng");
    let peer_only = dir.join("etcd-rpc-election.peer.pcapng");
    let client_only = dir.join("etcd-rpc-election.client.pcapng");
    for files in [
        vec![&whole],
        vec![&peer_only],
        vec![&client_only, &peer_only],
    ] {
        let files: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
        let changes = election_json(&flags, &files);
        let what = format!("{files:?}");
        assert_eq!(changes.len(), 2, "{what}: {changes:?}");
        let (moved, elected) = (&changes[0], &changes[1]);
        // move-leader: m3 leads term 3 after m1, by transfer.
        assert_eq!(moved["term"], l["after_move_leader"]["raft_term"], "{what}");
        assert_eq!(moved["leader"].as_str().unwrap(), id_of("m3"), "{what}");
        assert_eq!(
            moved["previous_leader"].as_str().unwrap(),
            id_of("m1"),
            "{what}"
        );
        assert_eq!(moved["reason"], "transfer", "{what}");
        let at = epoch_s(moved["ts"].as_str().unwrap()) - first;
        let log = l["after_move_leader"]["became_leader_in_its_log_at_s"]
            .as_f64()
            .unwrap();
        assert!(
            (at - log).abs() < 0.02,
            "{what}: transfer seen at +{at:.3}s, log +{log}s"
        );
        // SIGKILL of m3: m1 leads term 4 by election; no leader from the
        // kill to m1's first heartbeat/append (plus at most one interval).
        assert_eq!(elected["term"], l["after_kill"]["raft_term"], "{what}");
        assert_eq!(elected["leader"].as_str().unwrap(), id_of("m1"), "{what}");
        assert_eq!(
            elected["previous_leader"].as_str().unwrap(),
            id_of("m3"),
            "{what}"
        );
        assert_eq!(elected["reason"], "election", "{what}");
        let at = epoch_s(elected["ts"].as_str().unwrap()) - first;
        let log = l["after_kill"]["became_leader_in_its_log_at_s"]
            .as_f64()
            .unwrap();
        assert!(
            (at - log).abs() < 0.02,
            "{what}: new leader seen at +{at:.3}s, log +{log}s"
        );
        let kill = l["killed"]["kill_leader_started_at_s"].as_f64().unwrap();
        let no_leader = elected["no_leader_ms"].as_f64().unwrap();
        let kill_to_new = (at - kill) * 1000.0;
        assert!(
            no_leader >= kill_to_new - 100.0 && no_leader <= kill_to_new + 150.0,
            "{what}: no_leader_ms {no_leader} vs kill→new leader {kill_to_new:.1} ms"
        );
        assert_eq!(
            elected["votes_granted"],
            serde_json::json!([id_of("m2")]),
            "{what}"
        );
        if tool("tshark") {
            // tshark's frame times: each change is dated by a frame the
            // new leader sent from its peer port, and after the kill the
            // time without a leader runs exactly from the killed leader's
            // last frame from its peer port (all members share 127.0.72.1).
            let frames = tshark_frames(&whole);
            let port_of = |name: &str| -> u16 {
                let m = truth["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["name"] == name)
                    .unwrap();
                m["peer"]
                    .as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            for (c, leader, previous) in [(moved, "m3", "m1"), (elected, "m1", "m3")] {
                let ts_ns = rfc3339_ns(c["ts"].as_str().unwrap());
                let at = frames
                    .iter()
                    .find(|f| {
                        f.ns / 1000 == ts_ns / 1000 && f.sport == port_of(leader) && f.len > 0
                    })
                    .unwrap_or_else(|| panic!("{what}: no frame from {leader} at {}", c["ts"]));
                if c["reason"] == "transfer" {
                    // The old leader keeps talking after a transfer, so
                    // its last frame does not bound the gap.
                    continue;
                }
                let last = frames
                    .iter()
                    .rfind(|f| f.ns < at.ns && f.sport == port_of(previous) && f.len > 0)
                    .expect("frames from the previous leader");
                let want = (at.ns - last.ns) as f64 / 1e6;
                let got = c["no_leader_ms"].as_f64().unwrap();
                assert!(
                    (got - want).abs() < 1e-6,
                    "{what}: no_leader_ms {got}, tshark frames {} - {} = {want}",
                    at.number,
                    last.number
                );
            }
            // The truth file's first packet is tshark's first frame.
            let first_ns = frames[0].ns;
            assert!(
                (first_ns as f64 / 1e9 - first).abs() < 1e-6,
                "{first_ns} vs {first}"
            );
        }
    }
}

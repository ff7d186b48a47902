//! etcd without a running etcd (issue 12): a real lab cluster on
//! 127.0.61.1 (client ports 2379/22379/32379, peer 2380/22380/32380; no
//! other test uses that address) writes history — puts, overwrites,
//! deletes, a lease, a compaction, a killed and restarted leader, a moved
//! leader — while etcdctl records what etcd says; then the cluster is
//! stopped and kinspect reads its files: `etcd keys/get --db` (a snapshot
//! saved by etcdctl and one saved by kinspect) and `--data-dir` must equal
//! the live answers, `etcd wal` must show every term and the puts in
//! order, and etcdctl must accept kinspect's snapshot (status, restore).
//! Oracles: etcdctl 3.4 (`get -w json`, `endpoint status`, `snapshot
//! status`, `snapshot restore`) and the corpus (auger's db, etcd's
//! TestNew.wal and corrupted_backup.db). Bad input: exit 2, no panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use common::{Run, kinspect};
use serde_json::Value;

const IP: &str = "127.0.61.1";

fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        eprintln!("SKIP: no {tool} binary (apt-get install etcd-server etcd-client)");
    }
    found
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn eps() -> String {
    [2379, 22379, 32379]
        .map(|p| format!("http://{IP}:{p}"))
        .join(",")
}

/// etcdctl (v3 API) against the lab; stdin optional.
fn etcdctl(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    use std::io::Write;
    let mut c = Command::new("etcdctl");
    c.env("ETCDCTL_API", "3").env_remove("ETCDCTL_ENDPOINTS");
    if args.first() != Some(&"--endpoints") {
        c.arg(format!("--endpoints={}", eps()));
    }
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn etcdctl");
    if let Some(data) = stdin
        && let Some(mut si) = child.stdin.take()
    {
        si.write_all(data).expect("etcdctl stdin");
    }
    let out = child.wait_with_output().expect("etcdctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = etcdctl(args, None);
    assert_eq!(code, 0, "etcdctl {args:?}: {out}{err}");
    out
}

/// The lab, brought down (and its processes killed) when dropped.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn d(&self) -> &str {
        self.dir.path().to_str().expect("utf-8")
    }
    fn lab(&self, verb: &[&str]) -> Run {
        let mut a = vec!["lab", "etcd"];
        a.extend_from_slice(verb);
        a.extend_from_slice(&["--dir", self.d()]);
        kinspect(&a)
    }
    fn data(&self, m: &str) -> String {
        format!("{}/{m}.etcd", self.d())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.lab(&["down"]);
    }
}

/// Waits until some member says it leads; returns the newest raft term
/// reported (`etcdctl endpoint status -w json`: Status.leader, raftTerm;
/// a dead member makes etcdctl exit 1 but the others are still printed).
fn wait_leader() -> u64 {
    for _ in 0..100 {
        let (_, out, _) = etcdctl(&["endpoint", "status", "-w", "json"], None);
        if let Ok(v) = serde_json::from_str::<Value>(&out)
            && let Some(a) = v.as_array()
        {
            let leads = a.iter().any(|m| {
                let s = &m["Status"];
                s["leader"]
                    .as_u64()
                    .is_some_and(|l| l != 0 && Some(l) == s["header"]["member_id"].as_u64())
            });
            let term = a
                .iter()
                .filter_map(|m| m["Status"]["raftTerm"].as_u64())
                .max();
            if leads && let Some(t) = term {
                return t;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no leader");
}

/// `(key, create, mod, version, lease, value)` of etcdctl's `get -w json`.
type Row = (String, i64, i64, i64, i64, Vec<u8>);

fn etcdctl_rows(extra: &[&str]) -> (i64, Vec<Row>) {
    let mut a = vec!["get", "", "--prefix", "-w", "json"];
    a.extend_from_slice(extra);
    let v: Value = serde_json::from_str(&ok(&a)).expect("get json");
    let b64 = |x: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(x.as_str().unwrap_or(""))
            .expect("base64")
    };
    let rows = v["kvs"]
        .as_array()
        .map(|kvs| {
            kvs.iter()
                .map(|kv| {
                    (
                        String::from_utf8(b64(&kv["key"])).expect("utf-8 key"),
                        kv["create_revision"].as_i64().unwrap_or(0),
                        kv["mod_revision"].as_i64().unwrap_or(0),
                        kv["version"].as_i64().unwrap_or(0),
                        kv["lease"].as_i64().unwrap_or(0),
                        b64(&kv["value"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (v["header"]["revision"].as_i64().expect("revision"), rows)
}

/// The same fields from `kinspect etcd keys --list -o json` (no values).
fn kinspect_keys(source: &[&str], extra: &[&str]) -> Vec<(String, i64, i64, i64, i64)> {
    let mut a = vec!["etcd", "keys", "--prefix", "", "--list", "-o", "json"];
    a.extend_from_slice(source);
    a.extend_from_slice(extra);
    let r = kinspect(&a);
    assert_eq!(r.code, Some(0), "{a:?}: {}", r.describe());
    json_lines(&r.stdout)
        .iter()
        .map(|v| {
            (
                v["key"].as_str().expect("key").to_string(),
                v["create_revision"].as_i64().expect("c"),
                v["mod_revision"].as_i64().expect("m"),
                v["version"].as_i64().expect("v"),
                v["lease"].as_i64().expect("l"),
            )
        })
        .collect()
}

fn strip_values(rows: &[Row]) -> Vec<(String, i64, i64, i64, i64)> {
    rows.iter()
        .map(|r| (r.0.clone(), r.1, r.2, r.3, r.4))
        .collect()
}

#[test]
fn lab_history_read_back_from_files() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let corpus = common::corpus();
    let lab = Lab {
        dir: tempfile::Builder::new()
            .prefix("kinspect-offline-test-")
            .tempdir()
            .expect("tempdir"),
    };
    let up = lab.lab(&["up", "--ip", IP]);
    assert_eq!(up.code, Some(0), "{}", up.describe());
    let mut terms = vec![wait_leader()];

    // History. Every put of /t/ keys in order, to find in the WAL.
    let mut puts: Vec<String> = Vec::new();
    let put = |puts: &mut Vec<String>, k: &str, v: &str| {
        ok(&["put", k, v]);
        puts.push(k.to_string());
    };
    put(&mut puts, "/t/a", "a1");
    put(&mut puts, "/t/a", "a2");
    put(&mut puts, "/t/b", "b1");
    put(&mut puts, "/t/a", "a3");
    ok(&["del", "/t/b"]);
    put(&mut puts, "/t/c", "c1");
    let lease = ok(&["lease", "grant", "600"]);
    let lease_id = lease
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    ok(&["put", "--lease", &lease_id, "/t/leased", "l1"]);
    puts.push("/t/leased".into());
    // A Kubernetes object (auger's Job, binary, through stdin) and a Secret.
    if let Some(c) = &corpus {
        let mut job = std::fs::read(c.join("etcd-auger/storage/job.bin")).expect("job.bin");
        job.pop(); // ORACLE.txt: the file ends with one extra newline
        let (code, _, err) = etcdctl(&["put", "/registry/jobs/default/pi"], Some(&job));
        assert_eq!(code, 0, "{err}");
    }
    ok(&["put", "/registry/secrets/default/db-pass", "hunter2-secret"]);
    let (rev_mid, rows_mid) = etcdctl_rows(&[]);
    ok(&["compact", &(rev_mid - 2).to_string()]);
    let compacted = rev_mid - 2;

    // Kill the leader, write, restart it.
    let k = lab.lab(&["kill-leader", "-o", "json"]);
    assert_eq!(k.code, Some(0), "{}", k.describe());
    let victim = json_lines(&k.stdout)[0]["name"]
        .as_str()
        .expect("victim")
        .to_string();
    std::thread::sleep(Duration::from_millis(300));
    terms.push(wait_leader());
    put(&mut puts, "/t/after-kill", "k1");
    let r = lab.lab(&["restart", &victim]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    // Move the leader.
    let mv = kinspect(&["etcd", "move-leader", "--endpoints", &eps()]);
    assert_eq!(mv.code, Some(0), "{}", mv.describe());
    terms.push(wait_leader());
    put(&mut puts, "/t/after-move", "m1");
    put(&mut puts, "/t/a", "a4");
    ok(&["del", "/t/c"]);
    terms.dedup();
    assert!(terms.len() >= 3, "terms seen live: {terms:?}");

    // What etcd says live.
    let (rev_live, rows_live) = etcdctl_rows(&[]);
    let live_kinspect = kinspect_keys(&["--endpoints", &eps()], &[]);
    assert_eq!(
        live_kinspect,
        strip_values(&rows_live),
        "live kinspect = etcdctl"
    );
    let live_get = kinspect(&[
        "etcd",
        "get",
        "/t/",
        "--prefix",
        "-o",
        "json",
        "--endpoints",
        &eps(),
    ]);
    assert_eq!(live_get.code, Some(0), "{}", live_get.describe());
    let live_history = kinspect(&[
        "etcd",
        "get",
        "/t/a",
        "--history",
        "-o",
        "json",
        "--endpoints",
        &eps(),
    ]);
    assert_eq!(live_history.code, Some(0), "{}", live_history.describe());
    // The grouped table (offline, a separate reader: every core tallies a
    // share of the db's pages), to compare with the files below.
    let live_groups = kinspect(&[
        "etcd",
        "keys",
        "--prefix",
        "",
        "--sizes",
        "--endpoints",
        &eps(),
    ]);
    assert_eq!(live_groups.code, Some(0), "{}", live_groups.describe());

    // Snapshots: etcdctl's and ours, from the same member.
    let one = format!("http://{IP}:2379");
    let snap_e = lab.dir.path().join("etcdctl.db");
    let snap_k = lab.dir.path().join("kinspect.db");
    let (code, _, err) = etcdctl(
        &[
            "--endpoints",
            &one,
            "snapshot",
            "save",
            snap_e.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let s = kinspect(&[
        "etcd",
        "snapshot",
        "save",
        snap_k.to_str().expect("utf-8"),
        "--endpoints",
        &one,
    ]);
    assert_eq!(s.code, Some(0), "{}", s.describe());
    assert!(s.stdout.contains("sha256 ok"), "{}", s.stdout);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&snap_k)
        .expect("snapshot")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // Stop the cluster: from here on, files only.
    let down = lab.lab(&["down"]);
    assert_eq!(down.code, Some(0), "{}", down.describe());

    let want = strip_values(&rows_live);
    for snap in [&snap_e, &snap_k] {
        let got = kinspect_keys(&["--db", snap.to_str().expect("utf-8")], &[]);
        assert_eq!(got, want, "keys --db {}", snap.display());
    }
    for m in ["m1", "m2", "m3"] {
        let got = kinspect_keys(&["--data-dir", &lab.data(m)], &[]);
        assert_eq!(got, want, "keys --data-dir {m}");
    }
    // Grouped: the same rows and totals as live; only how the keys were
    // read differs ("N range requests" / "read from FILE").
    let how = |s: &str| s.split(" (").next().unwrap_or_default().to_string();
    let live_lines: Vec<String> = live_groups.stdout.lines().map(how).collect();
    for source in [
        vec!["--db", snap_e.to_str().expect("utf-8")],
        vec!["--data-dir", &lab.data("m1")],
    ] {
        let mut a = vec!["etcd", "keys", "--prefix", "", "--sizes"];
        a.extend_from_slice(&source);
        let r = kinspect(&a);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let lines: Vec<String> = r.stdout.lines().map(how).collect();
        assert_eq!(lines, live_lines, "keys {source:?}: offline groups = live");
        assert!(r.stdout.contains("read from"), "{}", r.stdout);
    }
    // Values too, and the same JSON rows as the live command.
    let snap = snap_k.to_str().expect("utf-8");
    let off_get = kinspect(&["etcd", "get", "/t/", "--prefix", "-o", "json", "--db", snap]);
    assert_eq!(off_get.code, Some(0), "{}", off_get.describe());
    assert_eq!(
        off_get.stdout, live_get.stdout,
        "get --prefix -o json: offline = live"
    );
    let table = kinspect(&["etcd", "get", "/t/a", "--db", snap]);
    let live_a = rows_live.iter().find(|r| r.0 == "/t/a").expect("/t/a");
    assert!(
        table.stdout.contains(&format!("mod_revision {}", live_a.2)),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("a4"), "{}", table.stdout);
    // Lease kept on the leased key.
    let leased = rows_live
        .iter()
        .find(|r| r.0 == "/t/leased")
        .expect("leased");
    assert_eq!(
        leased.4,
        i64::from_str_radix(&lease_id, 16).expect("hex lease")
    );

    // --rev: as etcd answered at rev_mid, and a clear error below the compaction.
    let at_mid = kinspect_keys(&["--db", snap], &["--rev", &rev_mid.to_string()]);
    assert_eq!(at_mid, strip_values(&rows_mid), "--rev {rev_mid}");
    let low = kinspect(&[
        "etcd",
        "keys",
        "--prefix",
        "",
        "--db",
        snap,
        "--rev",
        &(compacted - 1).to_string(),
    ]);
    assert_eq!(low.code, Some(2), "{}", low.describe());
    assert!(low.stderr.contains("compacted"), "{}", low.stderr);

    // --history: every revision since the compaction, oldest first; the
    // live walk sees the same puts (and no deletes).
    let h = kinspect(&[
        "etcd",
        "get",
        "/t/a",
        "--history",
        "-o",
        "json",
        "--db",
        snap,
    ]);
    assert_eq!(h.code, Some(0), "{}", h.describe());
    let offline_versions: Vec<(i64, i64)> = json_lines(&h.stdout)
        .iter()
        .map(|v| {
            (
                v["mod_revision"].as_i64().unwrap_or(0),
                v["version"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let live_versions: Vec<(i64, i64)> = json_lines(&live_history.stdout)
        .iter()
        .map(|v| {
            (
                v["mod_revision"].as_i64().unwrap_or(0),
                v["version"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(offline_versions, live_versions);
    assert_eq!(offline_versions.last().map(|v| v.1), Some(live_a.3));
    let hc = kinspect(&[
        "etcd",
        "get",
        "/t/c",
        "--history",
        "-o",
        "json",
        "--db",
        snap,
    ]);
    let c_rows = json_lines(&hc.stdout);
    assert_eq!(
        c_rows.last().and_then(|v| v["deleted"].as_bool()),
        Some(true),
        "{}",
        hc.stdout
    );

    // Snapshot status: etcdctl's four figures, for both files.
    for f in [&snap_e, &snap_k] {
        let (code, out, err) = etcdctl(
            &[
                "snapshot",
                "status",
                f.to_str().expect("utf-8"),
                "-w",
                "json",
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        let e: Value = serde_json::from_str(&out).expect("status json");
        let r = kinspect(&[
            "etcd",
            "snapshot",
            "status",
            f.to_str().expect("utf-8"),
            "-o",
            "json",
        ]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let k = &json_lines(&r.stdout)[0];
        assert_eq!(k["hash"], e["hash"]);
        assert_eq!(k["revision"], e["revision"]);
        assert_eq!(k["total_key"], e["totalKey"]);
        assert_eq!(k["total_size"], e["totalSize"]);
        assert_eq!(k["sha256_ok"], true);
        assert_eq!(e["revision"].as_i64(), Some(rev_live));
    }
    // etcdctl restores our snapshot (it checks the sha256 trailer), and the
    // restored data dir reads the same.
    let restored = lab.dir.path().join("restored");
    let (code, out, err) = etcdctl(
        &[
            "snapshot",
            "restore",
            snap,
            "--data-dir",
            restored.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code, 0, "restore: {out}{err}");
    assert_eq!(
        kinspect_keys(&["--data-dir", restored.to_str().expect("utf-8")], &[]),
        want
    );

    // The WAL of each member: every term seen live, the puts in order, the
    // Job named, the Secret redacted.
    for m in ["m1", "m2", "m3"] {
        let w = kinspect(&["etcd", "wal", &lab.data(m), "-o", "json"]);
        assert_eq!(w.code, Some(0), "{m}: {}", w.describe());
        let recs = json_lines(&w.stdout);
        let wal_terms: std::collections::BTreeSet<u64> = recs
            .iter()
            .filter(|r| r["record"] == "entry")
            .filter_map(|r| r["term"].as_u64())
            .collect();
        for t in &terms {
            assert!(
                wal_terms.contains(t),
                "{m}: term {t} not in the WAL's terms {wal_terms:?}"
            );
        }
        let wal_puts: Vec<String> = recs
            .iter()
            .filter(|r| r["record"] == "entry")
            .filter(|r| r["request"].as_str().is_some_and(|q| q.starts_with("Put ")))
            .filter_map(|r| r["key"].as_str().map(str::to_string))
            .filter(|k| k.starts_with("/t/"))
            .collect();
        assert_eq!(wal_puts, puts, "{m}: puts in the WAL");
        assert!(
            !w.stdout.contains("hunter2"),
            "{m}: a Secret's value printed"
        );
        if corpus.is_some() {
            let job = recs
                .iter()
                .find(|r| r["key"] == "/registry/jobs/default/pi")
                .expect("the Job's put");
            let q = job["request"].as_str().unwrap_or_default();
            assert!(q.contains("Job") && q.contains("default/pi"), "{q}");
        }
        // Hard states: this member's vote in the last term.
        assert!(recs.iter().any(|r| r["record"] == "hard_state" && r["term"].as_u64() == terms.last().copied()));
        // The human summary lists every term.
        let t = kinspect(&["etcd", "wal", &lab.data(m)]);
        for term in &terms {
            assert!(
                t.stdout
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(&term.to_string())),
                "{m}: term {term} not in the summary:\n{}",
                t.stdout
            );
        }
    }

    // A torn tail: cut the last WAL file of m1 inside its last record.
    let wal_dir = PathBuf::from(lab.data("m1")).join("member/wal");
    let torn = lab.dir.path().join("torn/member/wal");
    std::fs::create_dir_all(&torn).expect("mkdir");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&wal_dir)
        .expect("wal dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    files.sort();
    let w = kinspect(&["etcd", "wal", &lab.data("m1"), "-o", "json"]);
    let recs = json_lines(&w.stdout);
    let last = recs.last().expect("records");
    let last_file = files.last().expect("a wal file");
    for f in &files {
        std::fs::copy(f, torn.join(f.file_name().expect("name"))).expect("copy");
    }
    let cut_at = last["offset"].as_u64().expect("offset") + 8 + 5;
    let tf = torn.join(last_file.file_name().expect("name"));
    let bytes = std::fs::read(&tf).expect("read");
    std::fs::write(&tf, &bytes[..cut_at as usize]).expect("write");
    let t = kinspect(&[
        "etcd",
        "wal",
        lab.dir.path().join("torn").to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    assert_eq!(t.code, Some(2), "{}", t.describe());
    assert_eq!(
        json_lines(&t.stdout).len(),
        recs.len() - 1,
        "everything before the torn record"
    );
    let offset = last["offset"].as_u64().expect("offset");
    assert!(
        t.stderr.contains(&format!("offset {offset}: torn record")) && t.stderr.contains(".wal"),
        "{}",
        t.stderr
    );
}

#[test]
fn corpus_files() {
    let c = require_corpus!();
    // auger's db: keys as auger lists them (auger cmd/extract_test.go TestListKeys).
    let db = c.join("etcd-auger/boltdb/db");
    let want = std::fs::read_to_string(c.join("etcd-auger/boltdb/keys.txt")).expect("keys.txt");
    let r = kinspect(&[
        "etcd",
        "keys",
        "--prefix",
        "",
        "--list",
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let got: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| !l.contains(" at revision "))
        .collect();
    assert_eq!(got, want.lines().collect::<Vec<_>>());
    // The Job at version 3 (auger TestListKeyVersions prints 3), named.
    let g = kinspect(&[
        "etcd",
        "get",
        "/registry/jobs/default/pi",
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert_eq!(g.code, Some(0), "{}", g.describe());
    assert!(
        g.stdout.contains("version 3") && g.stdout.contains("Job"),
        "{}",
        g.stdout
    );
    // etcd's TestNew.wal head (etcd wal_test.go TestNew): crc, metadata, snapshot.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        c.join("etcd-data/TestNew.wal"),
        dir.path().join("0000000000000000-0000000000000000.wal"),
    )
    .expect("copy");
    let w = kinspect(&[
        "etcd",
        "wal",
        dir.path().to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    assert_eq!(w.code, Some(0), "{}", w.describe());
    let recs: Vec<String> = json_lines(&w.stdout)
        .iter()
        .map(|r| r["record"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(recs, ["crc", "metadata", "snapshot"]);
    // corrupted_backup.db: etcd's TestCorruptedBackupFileCheck wants this error.
    let bad = c.join("etcd-data/corrupted_backup.db");
    let s = kinspect(&["etcd", "snapshot", "status", bad.to_str().expect("utf-8")]);
    assert_eq!(s.code, Some(2), "{}", s.describe());
    assert!(
        s.stderr.contains("snapshot file integrity check failed"),
        "{}",
        s.stderr
    );
    assert!(
        s.stderr.contains("page 3: already freed")
            && s.stderr.contains("page 4: unreachable unfreed"),
        "{}",
        s.stderr
    );
}

fn exit2_no_panic(r: &Run, needle: &str) {
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(!r.stderr.contains("panicked"), "{}", r.describe());
    assert!(
        r.stderr.contains(needle),
        "want {needle:?}: {}",
        r.describe()
    );
}

#[test]
fn bad_input_is_exit_2_without_panic() {
    let c = require_corpus!();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| dir.path().join(n);
    let s = |q: &Path| q.to_str().expect("utf-8").to_string();
    let good = std::fs::read(c.join("etcd-auger/boltdb/db")).expect("db");
    // Truncated: the key bucket's page (2) is gone.
    std::fs::write(p("cut.db"), &good[..2 * 4096 + 100]).expect("write");
    let r = kinspect(&["etcd", "keys", "--db", &s(&p("cut.db"))]);
    exit2_no_panic(&r, "cut.db");
    assert!(r.stderr.contains("page"), "{}", r.stderr);
    // Garbage.
    std::fs::write(p("garbage.db"), vec![0x42u8; 9000]).expect("write");
    exit2_no_panic(
        &kinspect(&["etcd", "keys", "--db", &s(&p("garbage.db"))]),
        "no valid meta page",
    );
    exit2_no_panic(
        &kinspect(&["etcd", "snapshot", "status", &s(&p("garbage.db"))]),
        "no valid meta page",
    );
    // One meta page with a bad checksum: the other is read, with a warning.
    let mut m = good.clone();
    m[16 + 56] ^= 0xff; // meta 0's checksum
    std::fs::write(p("meta.db"), &m).expect("write");
    let r = kinspect(&[
        "etcd",
        "keys",
        "--prefix",
        "",
        "--list",
        "--db",
        &s(&p("meta.db")),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.stderr.contains("meta page 0 is damaged"), "{}", r.stderr);
    assert!(
        r.stdout.contains("/registry/jobs/default/pi"),
        "{}",
        r.stdout
    );
    // Missing files and folders, an empty WAL dir, a data dir without db.
    exit2_no_panic(
        &kinspect(&["etcd", "keys", "--db", &s(&p("nope.db"))]),
        "nope.db",
    );
    std::fs::create_dir_all(p("empty/member/wal")).expect("mkdir");
    exit2_no_panic(&kinspect(&["etcd", "wal", &s(&p("empty"))]), "no WAL files");
    exit2_no_panic(
        &kinspect(&["etcd", "keys", "--data-dir", &s(&p("empty"))]),
        "member/snap/db",
    );
    // A WAL of garbage: the first frame is an error, exit 2.
    std::fs::create_dir_all(p("gw/member/wal")).expect("mkdir");
    std::fs::write(
        p("gw/member/wal/0000000000000000-0000000000000000.wal"),
        [0x11u8; 100],
    )
    .expect("write");
    exit2_no_panic(&kinspect(&["etcd", "wal", &s(&p("gw"))]), "offset 0");
}

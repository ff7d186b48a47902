//! etcd reads with members stopped (issue 15): a real three-member lab
//! (`kinspect lab etcd up`, Debian's etcd-server) per test, on 127.0.41.1
//! and 127.0.42.1 (no other test file uses them), members
//! frozen with SIGSTOP (the kernel still accepts connections, nothing
//! answers: the hardest case for a client) and thawed with SIGCONT by a
//! Drop guard, then the lab brought down by another.
//!
//! - One member stopped, all three endpoints given in every order (the
//!   stopped one first in a third of the runs): `etcd get --prefix` and
//!   `etcd keys` succeed 10 times out of 10, and a run that met the stopped
//!   member says which endpoint did not answer.
//! - Two stopped: `etcd health` says the survivor is up but has no leader
//!   and the others are down (exit 1); a linearizable read fails saying
//!   quorum is lost, with who answers and who does not; `--consistency s`
//!   reads the survivor, and what it reads equals `etcdctl
//!   --consistency=s get` (the oracle) key by key.
//!
//! Without an etcd binary the tests record a skip (`common::have_etcd`).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const PORTS: [u16; 3] = [2379, 22379, 32379];
const PREFIX: &str = "/registry/hatest/";
const KEYS: usize = 5;

fn endpoint(ip: &str, port: u16) -> String {
    format!("http://{ip}:{port}")
}

/// A lab brought down (and purged) when dropped.
struct Lab {
    dir: tempfile::TempDir,
    ip: &'static str,
}

impl Lab {
    fn up(ip: &'static str) -> Lab {
        let dir = tempfile::Builder::new()
            .prefix("kinspect-etcd-ha-")
            .tempdir()
            .expect("tempdir");
        let lab = Lab { dir, ip };
        let r = common::kinspect(&["lab", "etcd", "up", "--ip", ip, "--dir", lab.dir_str()]);
        assert_eq!(r.code, Some(0), "lab up: {}", r.describe());
        lab
    }

    fn endpoint(&self, port: u16) -> String {
        endpoint(self.ip, port)
    }

    fn all(&self) -> Vec<String> {
        PORTS.iter().map(|p| self.endpoint(*p)).collect()
    }

    /// The endpoints in an order that puts `first` first, then the others.
    fn order(&self, first: u16, rotate: usize) -> Vec<String> {
        let mut others: Vec<u16> = PORTS.iter().copied().filter(|p| *p != first).collect();
        others.rotate_left(rotate % 2);
        let mut v = vec![first];
        v.extend(others);
        v.into_iter().map(|p| self.endpoint(p)).collect()
    }

    fn put_keys(&self) {
        let all = self.all().join(",");
        for i in 0..KEYS {
            let out = etcdctl(
                &all,
                &["put", &format!("{PREFIX}k{i}"), &format!("value {i}")],
            );
            assert!(out.status.success(), "etcdctl put: {out:?}");
        }
    }

    fn dir_str(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 temp path")
    }

    /// `(name, pid, is_leader, port)` of every member.
    fn members(&self) -> Vec<(String, i32, bool, u16)> {
        let r = common::kinspect(&[
            "lab",
            "etcd",
            "status",
            "-o",
            "json",
            "--dir",
            self.dir_str(),
        ]);
        common::json_lines("lab status", &r.stdout)
            .iter()
            .map(|m| {
                let url = m["client_url"].as_str().unwrap_or_default();
                let port = url
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                (
                    m["name"].as_str().unwrap_or_default().to_string(),
                    m["pid"].as_i64().unwrap_or(0) as i32,
                    m["is_leader"].as_bool().unwrap_or(false),
                    port,
                )
            })
            .collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = common::kinspect(&["lab", "etcd", "down", "--purge", "--dir", self.dir_str()]);
    }
}

/// Members frozen with SIGSTOP, thawed when dropped.
struct Stopped(Vec<i32>);

impl Stopped {
    fn new(pids: &[i32]) -> Stopped {
        for &pid in pids {
            assert!(pid > 0);
            // SAFETY: kill(2) on the pid of an etcd member this test started.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
        // The stop is asynchronous: wait until /proc says every one is
        // stopped (state T), so no read can slip in before.
        let t0 = Instant::now();
        for &pid in pids {
            loop {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let state = stat
                    .rsplit_once(')')
                    .and_then(|(_, r)| r.trim_start().chars().next());
                if state == Some('T') {
                    break;
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(5),
                    "pid {pid} not stopped: {stat}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Stopped(pids.to_vec())
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for &pid in &self.0 {
            // SAFETY: as above; SIGCONT undoes our SIGSTOP.
            unsafe { libc::kill(pid, libc::SIGCONT) };
        }
    }
}

/// `kinspect etcd ARGS --endpoints EPS --timeout 1s`.
fn etcd(endpoints: &[String], args: &[&str]) -> common::Run {
    let eps = endpoints.join(",");
    let mut all: Vec<&str> = vec!["etcd"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--endpoints", &eps, "--timeout", "1s"]);
    common::kinspect(&all)
}

fn etcdctl(endpoints: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("etcdctl");
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoints}"))
        .arg("--command-timeout=5s")
        .args(args)
        .output()
        .expect("etcdctl runs")
}

#[test]
fn one_member_stopped_reads_fail_over_ten_times_out_of_ten() {
    if !common::have_etcd() || !common::have_tool("etcdctl", "version") {
        return;
    }
    let lab = Lab::up("127.0.41.1");
    lab.put_keys();
    let members = lab.members();
    assert_eq!(members.len(), 3, "{members:?}");
    // A follower, so that the cluster keeps its leader: what is tested is
    // the client, not an election.
    let (name, pid, _, port) = members.iter().find(|m| !m.2).cloned().expect("a follower");
    watch_rev_shows_stored_revisions(&lab);
    let _stopped = Stopped::new(&[pid]);
    let stopped_ep = lab.endpoint(port);
    let healthy: Vec<u16> = PORTS.iter().copied().filter(|p| *p != port).collect();
    let mut warned = 0;
    for run in 0..10 {
        // Runs 0, 3, 6, 9: the stopped member first; else a healthy one
        // first and the stopped one second or third.
        let eps = if run % 3 == 0 {
            lab.order(port, run)
        } else {
            lab.order(healthy[run % 2], run)
        };
        let t0 = Instant::now();
        let get = etcd(&eps, &["get", PREFIX, "--prefix", "-o", "json"]);
        assert_eq!(get.code, Some(0), "run {run} {eps:?}: {}", get.describe());
        let rows = common::json_lines("etcd get", &get.stdout);
        assert_eq!(rows.len(), KEYS, "run {run}: {}", get.describe());
        let keys = etcd(&eps, &["keys", "--prefix", PREFIX, "--list", "-o", "json"]);
        assert_eq!(keys.code, Some(0), "run {run} {eps:?}: {}", keys.describe());
        assert_eq!(common::json_lines("etcd keys", &keys.stdout).len(), KEYS);
        if eps[0] == stopped_ep {
            // The member that did not answer is named, not the first
            // endpoint by default.
            for r in [&get, &keys] {
                assert!(
                    r.stderr
                        .contains(&format!("{stopped_ep}: no answer within 1.0s"))
                        && r.stderr.contains("instead"),
                    "run {run} ({name} stopped): {}",
                    r.describe()
                );
            }
            warned += 1;
        } else {
            assert!(
                !get.stderr.contains("no answer"),
                "a healthy first endpoint needs no failover: {}",
                get.describe()
            );
        }
        // Bounded: one per-endpoint timeout per command at most, plus work.
        assert!(
            t0.elapsed() < Duration::from_secs(12),
            "run {run} took {:?}",
            t0.elapsed()
        );
    }
    assert_eq!(warned, 4);
}

/// `etcd watch --rev 2` replays the five puts (revisions 2 to 6, as
/// etcdctl wrote them): each shown with its stored revision and no wall
/// time (issue 16: the time printed said nothing about when it was
/// written).
fn watch_rev_shows_stored_revisions(lab: &Lab) {
    let all = lab.all();
    let r = etcd(
        &all,
        &["watch", PREFIX, "--rev", "2", "--count", "5", "-o", "json"],
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let events = common::json_lines("watch", &r.stdout);
    let revisions: Vec<i64> = events
        .iter()
        .filter_map(|e| e["revision"].as_i64())
        .collect();
    assert_eq!(revisions, vec![2, 3, 4, 5, 6], "{}", r.describe());
    for e in &events {
        assert!(e.get("ts").is_none(), "a replayed event has no time: {e}");
        assert_eq!(e["revision"], e["mod_revision"], "{e}");
    }
    let t = etcd(&all, &["watch", PREFIX, "--rev", "2", "--count", "1"]);
    assert_eq!(t.code, Some(0), "{}", t.describe());
    assert_eq!(
        t.stdout.lines().next(),
        Some(format!("CREATE {PREFIX}k0  revision 2").as_str()),
        "{}",
        t.describe()
    );
}

#[test]
fn two_members_stopped_quorum_lost_and_serializable_reads() {
    if !common::have_etcd() || !common::have_tool("etcdctl", "version") {
        return;
    }
    let lab = Lab::up("127.0.42.1");
    lab.put_keys();
    let members = lab.members();
    assert_eq!(members.len(), 3, "{members:?}");
    // Keep a follower alive; stop the leader and the other follower.
    let survivor = members.iter().find(|m| !m.2).cloned().expect("a follower");
    let stop: Vec<i32> = members
        .iter()
        .filter(|m| m.0 != survivor.0)
        .map(|m| m.1)
        .collect();
    let survivor_ep = lab.endpoint(survivor.3);
    let _stopped = Stopped::new(&stop);
    // The survivor notices it lost its leader after an election timeout
    // (1 s by default); give it a few.
    std::thread::sleep(Duration::from_secs(3));
    let all = lab.all();

    // Health: the survivor is up without a leader, the others are down.
    let h = etcd(&all, &["health", "-o", "json"]);
    assert_eq!(h.code, Some(1), "{}", h.describe());
    let rows = common::json_lines("health", &h.stdout);
    assert_eq!(rows.len(), 3, "{}", h.describe());
    for r in &rows {
        let expect = if r["name"] == survivor.0.as_str() {
            "up_no_leader"
        } else {
            "down"
        };
        assert_eq!(r["state"], expect, "{r}");
        assert_eq!(r["health"], false, "{r}");
    }
    let table = etcd(&all, &["health"]);
    assert_eq!(table.code, Some(1));
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.contains(&survivor.0) && l.contains("up, no leader")),
        "{}",
        table.describe()
    );

    // Status: exit 1, the same states.
    let s = etcd(&all, &["status", "-o", "json"]);
    assert_eq!(s.code, Some(1), "{}", s.describe());
    for r in common::json_lines("status", &s.stdout) {
        let expect = if r["name"] == survivor.0.as_str() {
            "up_no_leader"
        } else {
            "down"
        };
        assert_eq!(r["state"], expect, "{r}");
    }

    // Members: the two that do not answer are marked.
    let m = etcd(&all, &["members", "-o", "json"]);
    assert_eq!(m.code, Some(0), "{}", m.describe());
    let downs = common::json_lines("members", &m.stdout)
        .iter()
        .filter(|r| r["state"] == "down")
        .count();
    assert_eq!(downs, 2, "{}", m.describe());

    // A linearizable read: quorum lost, who answers, who does not.
    let l = etcd(&all, &["get", PREFIX, "--prefix"]);
    assert_eq!(l.code, Some(1), "{}", l.describe());
    assert!(
        l.stderr
            .contains("quorum lost: 1 of 3 voting members answer, 2 needed"),
        "{}",
        l.describe()
    );
    let answering = format!("answering: {} ({survivor_ep}) up, no leader", survivor.0);
    assert!(l.stderr.contains(&answering), "{}", l.describe());
    for mm in members.iter().filter(|mm| mm.0 != survivor.0) {
        assert!(
            l.stderr
                .contains(&format!("{} ({}): ", mm.0, lab.endpoint(mm.3))),
            "{} not listed: {}",
            mm.0,
            l.describe()
        );
    }

    // Serializable: the survivor's data, equal to etcdctl's.
    let s = etcd(
        &all,
        &[
            "get",
            PREFIX,
            "--prefix",
            "--consistency",
            "s",
            "-o",
            "json",
        ],
    );
    assert_eq!(s.code, Some(0), "{}", s.describe());
    let ours = common::json_lines("get -s", &s.stdout);
    let out = etcdctl(
        &survivor_ep,
        &["--consistency=s", "get", PREFIX, "--prefix", "-w", "json"],
    );
    assert!(out.status.success(), "etcdctl --consistency=s: {out:?}");
    let oracle: Value = serde_json::from_slice(&out.stdout).expect("etcdctl JSON");
    let kvs = oracle["kvs"].as_array().cloned().unwrap_or_default();
    assert_eq!(kvs.len(), KEYS);
    assert_eq!(ours.len(), kvs.len());
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (o, kv) in ours.iter().zip(&kvs) {
        let key = b64
            .decode(kv["key"].as_str().unwrap_or_default())
            .expect("base64 key");
        let value = b64
            .decode(kv["value"].as_str().unwrap_or_default())
            .expect("base64 value");
        assert_eq!(o["key"], String::from_utf8_lossy(&key).as_ref());
        assert_eq!(o["mod_revision"], kv["mod_revision"]);
        assert_eq!(o["create_revision"], kv["create_revision"]);
        assert_eq!(o["version"], kv["version"]);
        assert_eq!(o["value_size"], value.len());
    }
    let k = etcd(
        &all,
        &[
            "keys",
            "--prefix",
            PREFIX,
            "--list",
            "--consistency",
            "s",
            "-o",
            "json",
        ],
    );
    assert_eq!(k.code, Some(0), "{}", k.describe());
    assert_eq!(common::json_lines("keys -s", &k.stdout).len(), KEYS);
}

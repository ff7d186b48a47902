//! `kinspect etcd` against real three-member clusters started by
//! `kinspect lab etcd` (Debian's etcd-server): one plain lab on 127.0.31.1
//! and one TLS lab (client certificates required) on 127.0.32.1, each in
//! its own temporary folder, stopped by a Drop guard even when a test
//! panics. Each story: status (3 members, one leader, one term), the peer
//! port given as endpoint, watch-leader through kill-leader and restart
//! (no-leader time between 0 and 10 s; leader id and term equal to
//! `etcdctl endpoint status -w json` on the same cluster), health with a dead member,
//! move-leader, and down leaving no process behind. Bad connections (dead
//! endpoint, silent endpoint, TLS without or with rejected certificates)
//! must give one line, the right exit code, and no hang.
//!
//! Without an etcd binary every test records a skip (`common::skip`).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::etcd::{kinspect_command, run, run_within};
use common::{Run, etcd_processes_under, have_etcd};
use serde_json::Value;

/// A lab cluster that is brought down (and purged) when dropped.
struct Lab {
    dir: tempfile::TempDir,
    ip: &'static str,
    tls: bool,
}

impl Lab {
    fn up(ip: &'static str, tls: bool) -> Lab {
        let dir = tempfile::Builder::new()
            .prefix("kinspect-etcd-test-")
            .tempdir()
            .expect("tempdir");
        let lab = Lab { dir, ip, tls };
        let mut args = vec!["lab", "etcd", "up", "--ip", ip, "--dir", lab.dir_str()];
        if tls {
            args.push("--tls");
        }
        let r = run(&args);
        assert_eq!(r.code, Some(0), "lab up failed: {r:#?}");
        lab
    }

    fn dir_str(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 temp path")
    }

    fn pki(&self, f: &str) -> String {
        self.dir
            .path()
            .join("pki/etcd")
            .join(f)
            .to_string_lossy()
            .into_owned()
    }

    fn endpoint(&self, port: u16) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}:{port}", self.ip)
    }

    /// `kinspect etcd ARGS` against this lab (every member as endpoint,
    /// like the lab's ETCDCTL_ENDPOINTS, so that discovery works whichever
    /// member is dead; the healthcheck-client certificate for TLS).
    fn etcd_cmd(&self, args: &[&str]) -> Command {
        let eps = [2379, 22379, 32379].map(|p| self.endpoint(p)).join(",");
        self.etcd_cmd_at(&eps, args)
    }

    /// The same against the given endpoints only.
    fn etcd_cmd_at(&self, endpoints: &str, args: &[&str]) -> Command {
        let mut all: Vec<String> = vec!["etcd".into()];
        all.extend(args.iter().map(|s| s.to_string()));
        all.push("--endpoints".into());
        all.push(endpoints.to_string());
        if self.tls {
            for (flag, f) in [
                ("--cacert", "ca.crt"),
                ("--cert", "healthcheck-client.crt"),
                ("--key", "healthcheck-client.key"),
            ] {
                all.push(flag.into());
                all.push(self.pki(f));
            }
        }
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        kinspect_command(&refs)
    }

    /// `etcdctl ARGS` against every member of this lab (the oracle).
    fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        let eps = [2379, 22379, 32379].map(|p| self.endpoint(p)).join(",");
        let mut cmd = Command::new("etcdctl");
        for (k, _) in std::env::vars() {
            if k.starts_with("ETCDCTL_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={eps}"))
            .arg("--command-timeout=5s");
        if self.tls {
            for (flag, f) in [
                ("--cacert", "ca.crt"),
                ("--cert", "healthcheck-client.crt"),
                ("--key", "healthcheck-client.key"),
            ] {
                cmd.arg(format!("{flag}={}", self.pki(f)));
            }
        }
        cmd.args(args).output().expect("etcdctl runs")
    }

    fn etcd(&self, args: &[&str]) -> Run {
        run_within(self.etcd_cmd(args), common::etcd::LIMIT)
    }

    fn lab(&self, verb: &[&str]) -> Run {
        let mut args = vec!["lab", "etcd"];
        args.extend_from_slice(verb);
        args.extend_from_slice(&["--dir", self.dir_str()]);
        run(&args)
    }

    /// Pids of live etcd processes whose arguments mention our folder.
    fn processes(&self) -> Vec<i32> {
        etcd_processes_under(self.dir.path())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = run_within(
            kinspect_command(&["lab", "etcd", "down", "--purge", "--dir", self.dir_str()]),
            Duration::from_secs(30),
        );
        // Whatever survived (a failing `down`): kill it by pid.
        for pid in etcd_processes_under(self.dir.path()) {
            // SAFETY: kill(2) on a pid whose cmdline names our temp folder.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// `watch-leader -o json` running in the background, its lines collected.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    reader: Option<thread::JoinHandle<()>>,
    stderr: Option<thread::JoinHandle<String>>,
}

impl Watch {
    fn start(lab: &Lab) -> Watch {
        let mut cmd = lab.etcd_cmd(&[
            "watch-leader",
            "--interval",
            "100ms",
            "--duration",
            "60s",
            "-o",
            "json",
        ]);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn watch-leader");
        let out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = lines.clone();
        let reader = thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("watch-leader printed non-JSON {line:?}: {e}"));
                l2.lock().expect("lock").push(v);
            }
        });
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Watch {
            child,
            lines,
            reader: Some(reader),
            stderr: Some(stderr),
        }
    }

    /// Waits until a line matches (returns it) or fails after `limit`.
    fn wait_for(&self, what: &str, limit: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let t0 = Instant::now();
        loop {
            if let Some(v) = self.lines.lock().expect("lock").iter().find(|v| f(v)) {
                return v.clone();
            }
            assert!(
                t0.elapsed() < limit,
                "watch-leader: no {what} within {limit:?}; lines so far: {:#?}",
                self.lines.lock().expect("lock")
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C, then the exit code and every line.
    fn stop(mut self) -> (Option<i32>, Vec<Value>, String) {
        // SAFETY: SIGINT to the child we spawned.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let t0 = Instant::now();
        let code = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st.code();
            }
            if t0.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("watch-leader did not stop within 10 s of SIGINT");
            }
            thread::sleep(Duration::from_millis(20));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let err = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let lines = self.lines.lock().expect("lock").clone();
        (code, lines, err)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Status rows: 3 members, exactly one leader, everybody at one term.
fn check_status(lab: &Lab) -> (String, u64) {
    let r = lab.etcd(&["status", "-o", "json"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let rows = r.json();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let leaders: Vec<&Value> = rows.iter().filter(|v| v["is_leader"] == true).collect();
    assert_eq!(leaders.len(), 1, "one leader: {rows:#?}");
    let terms: Vec<u64> = rows
        .iter()
        .filter_map(|v| v["raft_term"].as_u64())
        .collect();
    assert_eq!(terms.len(), 3);
    assert!(terms.iter().all(|t| *t == terms[0]), "same term: {terms:?}");
    for v in &rows {
        for k in [
            "endpoint",
            "id",
            "name",
            "version",
            "db_size",
            "db_size_in_use",
            "is_leader",
            "is_learner",
            "raft_term",
            "raft_index",
            "raft_applied_index",
            "latency_ms",
            "errors",
        ] {
            assert!(v.get(k).is_some(), "status row lacks {k}: {v}");
        }
    }
    assert!(r.stderr.contains("quorum: yes (3 of 3"), "{}", r.stderr);
    // The oracle: `etcdctl endpoint status -w json` on the same cluster
    // names the same leader id and term for every member.
    let oracle = etcdctl_status(lab);
    assert_eq!(oracle.len(), 3, "etcdctl rows: {oracle:?}");
    for o in &oracle {
        let row = rows
            .iter()
            .find(|v| s(v, "id") == format!("{:x}", o.member_id))
            .unwrap_or_else(|| panic!("no row for etcdctl's member {:x}: {rows:#?}", o.member_id));
        assert_eq!(
            s(row, "leader"),
            format!("{:x}", o.leader),
            "{row} vs {o:?}"
        );
        assert_eq!(row["raft_term"].as_u64(), Some(o.term), "{row} vs {o:?}");
        assert_eq!(row["is_leader"] == true, o.leader == o.member_id, "{row}");
    }
    assert_eq!(s(leaders[0], "id"), format!("{:x}", oracle[0].leader));
    (s(leaders[0], "name").to_string(), terms[0])
}

/// One member's row of `etcdctl endpoint status -w json`.
#[derive(Debug)]
struct EtcdctlStatus {
    member_id: u64,
    leader: u64,
    term: u64,
}

/// `etcdctl endpoint status -w json` on every member of the lab; members
/// that do not answer are left out (etcdctl names them on stderr).
fn etcdctl_status(lab: &Lab) -> Vec<EtcdctlStatus> {
    let out = lab.etcdctl(&["endpoint", "status", "-w", "json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("etcdctl JSON ({e}): {text} / {out:?}"));
    v.as_array()
        .expect("etcdctl prints an array")
        .iter()
        .map(|e| {
            let st = &e["Status"];
            EtcdctlStatus {
                member_id: st["header"]["member_id"].as_u64().expect("member_id"),
                leader: st["leader"].as_u64().expect("leader"),
                term: st["raftTerm"].as_u64().expect("raftTerm"),
            }
        })
        .collect()
}

/// The election story shared by the plain and the TLS lab.
fn election_story(lab: &Lab) {
    let (first_leader, term) = check_status(lab);
    let table = lab.etcd(&["status"]);
    assert_eq!(table.code, Some(0));
    assert!(table.stdout.contains("| IS LEADER |"), "{}", table.stdout);
    assert!(
        table.stdout.contains(&format!("leader: {first_leader} (")),
        "{}",
        table.stdout
    );

    // One endpoint is enough to find every member.
    let one = run_within(
        lab.etcd_cmd_at(&lab.endpoint(32379), &["members", "-o", "json"]),
        Duration::from_secs(30),
    );
    assert_eq!(one.code, Some(0), "{one:#?}");
    let members = one.json();
    let names: Vec<&str> = members.iter().map(|m| s(m, "name")).collect();
    assert_eq!(names, vec!["m1", "m2", "m3"]);

    // watch-leader through a leader kill and the member's restart.
    let watch = Watch::start(lab);
    let first = watch.wait_for("first leader", Duration::from_secs(10), |v| {
        s(v, "type") == "leader"
    });
    assert_eq!(s(&first, "leader_name"), first_leader);
    assert_eq!(first["term"].as_u64(), Some(term));
    thread::sleep(Duration::from_millis(500));
    let killed = lab.lab(&["kill-leader", "-o", "json"]);
    assert_eq!(killed.code, Some(0), "{killed:#?}");
    let killed = killed.json().remove(0);
    let victim = s(&killed, "name").to_string();
    assert_eq!(victim, first_leader);
    let change = watch.wait_for("new leader", Duration::from_secs(15), |v| {
        s(v, "type") == "leader" && s(v, "previous_leader_name") == victim
    });
    let no_leader = change["no_leader_ms"].as_f64().expect("no_leader_ms");
    eprintln!(
        "{}: no leader for {no_leader} ms after SIGKILL of {victim}; new leader {} at term {}",
        lab.ip,
        s(&change, "leader_name"),
        change["term"]
    );
    assert!(
        no_leader > 0.0 && no_leader <= 10_000.0,
        "no_leader_ms {no_leader}"
    );
    assert_ne!(s(&change, "leader_name"), victim);
    assert!(change["term"].as_u64() > Some(term));
    // The new leader and its term are what etcdctl reads from the two
    // members still up; the previous leader is the member killed.
    let oracle = etcdctl_status(lab);
    assert_eq!(
        oracle.len(),
        2,
        "etcdctl rows with {victim} down: {oracle:?}"
    );
    for o in &oracle {
        assert_eq!(
            s(&change, "leader"),
            format!("{:x}", o.leader),
            "{change} vs {o:?}"
        );
        assert_eq!(change["term"].as_u64(), Some(o.term), "{change} vs {o:?}");
        assert_ne!(s(&change, "previous_leader"), format!("{:x}", o.member_id));
    }
    assert_eq!(
        s(&change, "previous_leader"),
        s(&killed, "id"),
        "{change} vs {killed}"
    );
    for k in [
        "ts",
        "term",
        "leader",
        "previous_leader",
        "no_leader_ms",
        "reason",
    ] {
        assert!(change.get(k).is_some(), "{k} missing: {change}");
    }

    // health: the killed member fails, the other two are still reported.
    let h = lab.etcd(&["health", "-o", "json"]);
    assert_eq!(h.code, Some(1), "{h:#?}");
    let rows = h.json();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    for row in &rows {
        let dead = s(row, "name") == victim;
        assert_eq!(row["health"] == true, !dead, "{row}");
        if dead {
            assert!(!s(row, "error").is_empty(), "{row}");
        }
    }
    assert!(h.elapsed < Duration::from_secs(10), "{:?}", h.elapsed);

    // status still shows every member with one down (leader and quorum
    // are there), but exits 1 for the member that does not answer, as
    // `etcdctl endpoint status` does on the same endpoints (the oracle).
    let st = lab.etcd(&["status", "-o", "json"]);
    assert_eq!(st.code, Some(1), "{st:#?}");
    let oracle = lab.etcdctl(&["endpoint", "status"]);
    assert_eq!(oracle.status.code(), Some(1), "etcdctl: {oracle:?}");
    assert!(
        String::from_utf8_lossy(&oracle.stderr).contains("Failed to get the status of endpoint"),
        "{oracle:?}"
    );
    let dead_row = st
        .json()
        .into_iter()
        .find(|v| s(v, "name") == victim)
        .expect("row of the dead member");
    assert!(dead_row["is_leader"].is_null());
    assert!(!dead_row["errors"].as_array().expect("errors").is_empty());

    // The member comes back; watch-leader keeps running and says so.
    let r = lab.lab(&["restart", &victim]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    watch.wait_for("member back up", Duration::from_secs(15), |v| {
        s(v, "type") == "member_up" && s(v, "member") == victim
    });
    thread::sleep(Duration::from_millis(300));
    let (code, lines, err) = watch.stop();
    assert_eq!(code, Some(0), "watch-leader exit; stderr: {err}");
    assert!(
        lines
            .iter()
            .any(|v| s(v, "type") == "member_down" && s(v, "member") == victim),
        "{lines:#?}"
    );
    let summary = lines.last().expect("summary");
    assert_eq!(s(summary, "type"), "summary", "{summary}");
    assert!(summary["elections"].as_u64() >= Some(1), "{summary}");
    let longest = summary["longest_no_leader_ms"].as_f64().expect("longest");
    assert!(longest > 0.0 && longest <= 10_000.0, "{summary}");
    let ms = summary["members"].as_array().expect("members");
    assert_eq!(ms.len(), 3);
    for m in ms {
        assert!(m["probes"].as_u64() > Some(5), "{m}");
        for k in ["p50_ms", "p90_ms", "p99_ms", "max_ms"] {
            assert!(m[k].as_f64().is_some(), "{k}: {m}");
        }
    }

    // move-leader: to a named member, then to whoever is most up to date.
    let (now, _) = check_status(lab);
    let target = ["m1", "m2", "m3"]
        .into_iter()
        .find(|n| *n != now)
        .expect("a follower");
    let mv = lab.etcd(&["move-leader", "--to", target, "-o", "json"]);
    assert_eq!(mv.code, Some(0), "{mv:#?}");
    let mv = mv.json().remove(0);
    assert_eq!(s(&mv, "leader_name"), target);
    assert_eq!(s(&mv, "previous_leader_name"), now);
    assert_eq!(mv["moved"], true);
    let (after, _) = check_status(lab);
    assert_eq!(after, target);
    let mv2 = lab.etcd(&["move-leader"]);
    assert_eq!(mv2.code, Some(0), "{mv2:#?}");
    assert!(mv2.stdout.contains("leader moved:"), "{}", mv2.stdout);
    let same = lab.etcd(&["move-leader", "--to", "m9"]);
    assert_eq!(same.code, Some(2), "{same:#?}");

    // down: nothing of ours left.
    assert_eq!(lab.processes().len(), 3);
    let d = lab.lab(&["down"]);
    assert_eq!(d.code, Some(0), "{d:#?}");
    assert!(
        lab.processes().is_empty(),
        "left behind: {:?}",
        lab.processes()
    );
}

fn one_line(r: &Run) -> &str {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {r:#?}");
    lines[0]
}

#[test]
fn plain_lab_cluster() {
    if !have_etcd() {
        return;
    }
    let lab = Lab::up("127.0.31.1", false);

    // The peer port answers the client API in etcd 3.4: we warn and go on.
    let r = run(&[
        "etcd",
        "status",
        "--endpoints",
        "127.0.31.1:22380",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stderr.contains("peer port of member m2"), "{}", r.stderr);
    assert!(r.stderr.contains("http://127.0.31.1:22379"), "{}", r.stderr);
    assert_eq!(r.json().len(), 3);

    // https:// to a plain port.
    let r = run(&["etcd", "status", "--endpoints", "https://127.0.31.1:2379"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(one_line(&r).contains("plain HTTP/2, not TLS"), "{r:#?}");

    election_story(&lab);
}

#[test]
fn tls_lab_cluster() {
    if !have_etcd() {
        return;
    }
    let lab = Lab::up("127.0.32.1", true);
    let ep = "https://127.0.32.1:2379";
    let (ca, cert, key) = (
        lab.pki("ca.crt"),
        lab.pki("healthcheck-client.crt"),
        lab.pki("healthcheck-client.key"),
    );

    // etcdctl's environment works as flags do.
    let mut c = kinspect_command(&["etcd", "status", "-o", "json"]);
    c.env("ETCDCTL_ENDPOINTS", ep)
        .env("ETCDCTL_CACERT", &ca)
        .env("ETCDCTL_CERT", &cert)
        .env("ETCDCTL_KEY", &key);
    let r = run_within(c, Duration::from_secs(30));
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(r.json().len(), 3);

    // Reads over mutual TLS (the values' own Range call and its buffered
    // socket, etcd::range): what etcdctl put, in pages of two.
    for (k, v) in [("a", "alpha"), ("b", "beta"), ("c", "gamma")] {
        let out = lab.etcdctl(&["put", &format!("/tls-read/{k}"), v]);
        assert!(out.status.success(), "etcdctl put: {out:?}");
    }
    let r = lab.etcd(&["get", "--prefix", "/tls-read/", "-o", "json"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let got: Vec<(String, String)> = r
        .json()
        .iter()
        .map(|v| (s(v, "key").to_string(), s(&v["value"], "text").to_string()))
        .collect();
    let want: Vec<(String, String)> = [("a", "alpha"), ("b", "beta"), ("c", "gamma")]
        .iter()
        .map(|(k, v)| (format!("/tls-read/{k}"), v.to_string()))
        .collect();
    assert_eq!(got, want, "{r:#?}");
    let r = lab.etcd(&[
        "keys",
        "--prefix",
        "/tls-read/",
        "--page-size",
        "2",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stderr.contains("2 range requests"), "{r:#?}");

    // No certificate given anywhere: kubeadm's etcd client files are used
    // (here the lab's pki/etcd, which kubeadm's layout), and it is said.
    let mut c = kinspect_command(&["etcd", "status", "-o", "json", "--endpoints", ep]);
    c.env("KINSPECT_KUBEADM_ETCD_PKI", lab.dir.path().join("pki/etcd"));
    let r = run_within(c, Duration::from_secs(30));
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(r.json().len(), 3);
    assert!(
        r.stderr.contains("using kubeadm's etcd certificates in") && r.stderr.contains("pki/etcd"),
        "{r:#?}"
    );
    // A certificate flag turns the fallback off (and the CA alone then
    // lacks a client certificate).
    let mut c = kinspect_command(&["etcd", "health", "--endpoints", ep, "--cacert", &ca]);
    c.env("KINSPECT_KUBEADM_ETCD_PKI", lab.dir.path().join("pki/etcd"));
    let r = run_within(c, Duration::from_secs(30));
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(!r.stderr.contains("kubeadm's etcd certificates"), "{r:#?}");

    // A TLS port given as plain endpoint.
    let r = run(&["etcd", "status", "--endpoints", "127.0.32.1:2379"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        one_line(&r).contains("speaks TLS but no certificates"),
        "{r:#?}"
    );
    // https without a CA: the server's certificate cannot be verified.
    let r = run(&["etcd", "status", "--endpoints", ep]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(one_line(&r).contains("unknown issuer"), "{r:#?}");
    // The CA but no client certificate.
    let r = run(&["etcd", "health", "--endpoints", ep, "--cacert", &ca]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        one_line(&r).contains("requires a client certificate"),
        "{r:#?}"
    );
    // A client certificate from another CA.
    let other = tempfile::tempdir().expect("tempdir");
    let (ok, okey) = (other.path().join("o.crt"), other.path().join("o.key"));
    let st = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=intruder", "-keyout"])
        .arg(&okey)
        .arg("-out")
        .arg(&ok)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(st.success());
    let (ok, okey) = (ok.to_string_lossy(), okey.to_string_lossy());
    let r = run(&[
        "etcd",
        "status",
        "--endpoints",
        ep,
        "--cacert",
        &ca,
        "--cert",
        &ok,
        "--key",
        &okey,
    ]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        one_line(&r).contains("rejected our client certificate"),
        "{r:#?}"
    );
    // A file that is not a certificate.
    let r = run(&["etcd", "status", "--endpoints", ep, "--cacert", &okey]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(one_line(&r).contains("no PEM certificate"), "{r:#?}");
    // The TLS peer port does not serve clients: say what it might be.
    let r = run(&[
        "etcd",
        "status",
        "--endpoints",
        "https://127.0.32.1:22380",
        "--cacert",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(one_line(&r).contains("peer port"), "{r:#?}");

    // `tls probe` against the real TLS etcd: verified with the lab's CA and
    // client certificate; without one, etcd's demand is named.
    let r = run(&[
        "tls",
        "probe",
        "127.0.32.1:2379",
        "--cacert",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stdout.contains("verified     yes"), "{r:#?}");
    assert!(
        r.stdout.contains("IP:127.0.32.1"),
        "the lab's IP is in the SANs: {r:#?}"
    );
    let r = run(&["tls", "probe", "127.0.32.1:2379", "--cacert", &ca]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stdout
            .contains("server requires a client certificate and we sent none"),
        "{r:#?}"
    );
    // The peer port presents the peer certificate and asks for a client one too.
    let r = run(&[
        "tls",
        "probe",
        "127.0.32.1:22380",
        "--cacert",
        &ca,
        "-o",
        "json",
    ]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json");
    assert_eq!(v["client_auth"]["requested"], true, "{v}");

    election_story(&lab);
}

#[test]
fn dead_endpoint_is_one_line_exit_1() {
    let r = run(&["etcd", "status", "--endpoints", "127.0.31.250:1"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    let line = one_line(&r);
    assert!(
        line.contains("127.0.31.250:1") && line.contains("connection refused"),
        "{line}"
    );
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    let h = run(&[
        "etcd",
        "health",
        "--endpoints",
        "127.0.31.250:1",
        "-o",
        "json",
    ]);
    assert_eq!(h.code, Some(1), "{h:#?}");
    let w = run(&[
        "etcd",
        "watch-leader",
        "--endpoints",
        "127.0.31.250:1",
        "--duration",
        "1500ms",
    ]);
    assert_eq!(w.code, Some(1), "{w:#?}");
    assert!(w.stderr.contains("waiting for the cluster"), "{w:#?}");
    assert!(w.elapsed < Duration::from_secs(6), "{:?}", w.elapsed);
}

#[test]
fn silent_endpoint_times_out() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.31.251:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h2 = held.clone();
    thread::spawn(move || {
        for s in listener.incoming().map_while(Result::ok) {
            h2.lock().expect("lock").push(s);
        }
    });
    let r = run(&["etcd", "status", "--endpoints", &addr, "--timeout", "1s"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(one_line(&r).contains("no answer within 1.0s"), "{r:#?}");
    assert!(r.elapsed < Duration::from_secs(5), "hung: {:?}", r.elapsed);
}

#[test]
fn bad_flags_are_usage_errors() {
    let r = run(&["etcd", "status", "--endpoints", "ftp://x:1"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(one_line(&r).contains("not host:port"), "{r:#?}");
    let r = run(&["etcd", "status", "--cert", "/nonexistent.crt"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    let missing = PathBuf::from("/nonexistent/ca.crt");
    let r = run(&["etcd", "status", "--cacert", &missing.to_string_lossy()]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        one_line(&r).contains("/nonexistent/ca.crt: cannot read"),
        "{r:#?}"
    );
}

/// Two of three members killed: the one left cannot elect a leader.
/// `etcd status` shows it, says `leader: NONE` and `quorum: NO`, and exits
/// 1; etcdctl's own status of that member (the oracle) reports no leader.
#[test]
fn no_leader_exits_1() {
    if !have_etcd() {
        return;
    }
    let lab = Lab::up("127.0.35.1", false);
    let mut killed = Vec::new();
    let started = Instant::now();
    while killed.len() < 2 {
        // After the first kill the other two need a moment to elect.
        let k = lab.lab(&["kill-leader", "-o", "json"]);
        if k.code == Some(0) {
            let v: Value = serde_json::from_str(k.stdout.trim()).expect("kill-leader JSON");
            killed.push(s(&v, "name").to_string());
        } else {
            assert!(started.elapsed() < Duration::from_secs(20), "{k:#?}");
            thread::sleep(Duration::from_millis(300));
        }
    }
    let alive = ["m1", "m2", "m3"]
        .into_iter()
        .find(|m| !killed.iter().any(|k| k == m))
        .expect("one member left");
    let port = match alive {
        "m1" => 2379,
        "m2" => 22379,
        _ => 32379,
    };
    // The survivor keeps the old leader until its election timeout.
    let deadline = Instant::now() + Duration::from_secs(15);
    let r = loop {
        let r = lab.etcd(&["status"]);
        if r.stdout.contains("leader: NONE") || Instant::now() > deadline {
            break r;
        }
        thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(r.code, Some(1), "{r:#?}");
    let summary = r.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("leader: NONE; quorum: NO (1 of 3 voting members answer, 2 needed)"),
        "{summary}"
    );
    let oracle = Command::new("etcdctl")
        .env_remove("ETCDCTL_ENDPOINTS")
        .env("ETCDCTL_API", "3")
        .args(["-w", "json", "endpoint", "status"])
        .arg(format!("--endpoints={}", lab.endpoint(port)))
        .output()
        .expect("etcdctl");
    assert!(oracle.status.success(), "{oracle:?}");
    let text = String::from_utf8_lossy(&oracle.stdout);
    let v: Value = serde_json::from_str(text.trim()).expect("etcdctl JSON");
    // etcdctl leaves out a zero leader (omitempty) and names the reason.
    assert!(
        v[0]["Status"]["leader"].as_u64().unwrap_or(0) == 0,
        "etcdctl: {text}"
    );
    assert_eq!(
        v[0]["Status"]["errors"][0], "etcdserver: no leader",
        "{text}"
    );
}

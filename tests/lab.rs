//! `kinspect lab etcd` itself, with the real etcd binary: the life of a
//! lab on 127.0.33.1 (up, idempotent up, status, kill-leader, restart,
//! down, purge), `down` never touching a process that is not the lab's
//! even when a pid file points at it, a taken port, a missing etcd binary
//! (exit 2 with the apt command), and flag mistakes. Each lab lives in its
//! own temporary folder and is stopped by a Drop guard even on panic.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::etcd::{kinspect_command, run};
use common::{etcd_processes_under, have_etcd};

/// Stops whatever lab lives in the folder when dropped.
struct Guard(tempfile::TempDir);

impl Guard {
    fn new() -> Guard {
        Guard(
            tempfile::Builder::new()
                .prefix("kinspect-lab-test-")
                .tempdir()
                .expect("tempdir"),
        )
    }
    fn dir(&self) -> &str {
        self.0.path().to_str().expect("utf-8 temp path")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = run(&["lab", "etcd", "down", "--dir", self.dir()]);
        for pid in etcd_processes_under(self.0.path()) {
            // SAFETY: kill(2) on a pid whose cmdline names our temp folder.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn no_etcd_binary_is_exit_2_with_the_apt_command() {
    let g = Guard::new();
    let dir = format!("{}/lab", g.dir());
    let mut c = kinspect_command(&["lab", "etcd", "up", "--dir", &dir, "--ip", "127.0.33.9"]);
    c.env("PATH", "/nonexistent-kinspect-path");
    let r = common::etcd::run_within(c, common::etcd::LIMIT);
    assert_eq!(r.code, Some(2), "{r:#?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{r:#?}");
    assert!(
        lines[0].contains("apt-get install -y etcd-server"),
        "{r:#?}"
    );
    assert!(!Path::new(&dir).exists(), "nothing is created without etcd");
}

#[test]
fn usage_mistakes_are_exit_2() {
    let g = Guard::new();
    let r = run(&["lab", "etcd", "up", "--dir", g.dir(), "--ip", "10.1.2.3"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("not a loopback address"), "{r:#?}");
    let r = run(&["lab", "etcd", "status", "--dir", g.dir()]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("no lab here"), "{r:#?}");
    let r = run(&["lab", "etcd", "kill-leader", "--dir", g.dir()]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    // Nothing to stop is not an error (cleanup scripts call down blindly).
    let r = run(&["lab", "etcd", "down", "--dir", g.dir()]);
    assert_eq!(r.code, Some(0), "{r:#?}");
}

#[test]
fn taken_port_starts_nothing() {
    if !have_etcd() {
        return;
    }
    let g = Guard::new();
    let _busy = TcpListener::bind("127.0.33.2:22380").expect("bind 127.0.33.2:22380");
    let r = run(&["lab", "etcd", "up", "--dir", g.dir(), "--ip", "127.0.33.2"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stderr.contains("127.0.33.2:22380 is already in use"),
        "{r:#?}"
    );
    assert!(etcd_processes_under(g.0.path()).is_empty());
    for m in ["m1", "m2", "m3"] {
        assert!(!g.0.path().join(format!("{m}.pid")).exists());
    }
    // Said before anything was written: no lab.json for `status` to
    // report as a cluster with no leader.
    assert!(!g.0.path().join("lab.json").exists());
    let st = run(&["lab", "etcd", "status", "--dir", g.dir()]);
    assert_eq!(st.code, Some(2), "{st:#?}");
    assert!(st.stderr.contains("no lab here"), "{st:#?}");
}

/// Ctrl-C while `up` waits for a leader stops the members it started and
/// leaves no lab.json. The members never elect a leader here: a wrapper
/// gives them a 50 s election timeout (the last flag wins in etcd).
#[test]
fn ctrl_c_during_up_stops_what_it_started() {
    if !have_etcd() {
        return;
    }
    let g = Guard::new();
    let real = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("etcd"))
                .find(|f| f.is_file())
        })
        .expect("etcd in PATH");
    let bin = tempfile::Builder::new()
        .prefix("kinspect-lab-bin-")
        .tempdir()
        .expect("tempdir");
    let wrapper = bin.path().join("etcd");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} \"$@\" --heartbeat-interval=5000 --election-timeout=50000\n",
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let lab = g.0.path().join("lab");
    let mut c = kinspect_command(&[
        "lab",
        "etcd",
        "up",
        "--dir",
        lab.to_str().unwrap(),
        "--ip",
        "127.0.33.4",
        "--wait",
        "60s",
    ]);
    c.env("KINSPECT_ETCD", &wrapper);
    c.stdout(std::process::Stdio::piped());
    c.stderr(std::process::Stdio::piped());
    let child = c.spawn().expect("kinspect");
    // Wait until the three members run, then interrupt.
    let start = std::time::Instant::now();
    while etcd_processes_under(&lab).len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "members did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on the kinspect child we just spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("kinspect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("interrupted: stopped what this run started (m1, m2, m3)"),
        "{stderr}"
    );
    assert!(
        etcd_processes_under(&lab).is_empty(),
        "members left running"
    );
    assert!(!lab.join("lab.json").exists(), "stale lab.json");
}

#[test]
fn lab_life_cycle() {
    if !have_etcd() {
        return;
    }
    let g = Guard::new();
    let d = g.dir();

    let up = run(&["lab", "etcd", "up", "--dir", d, "--ip", "127.0.33.1"]);
    assert_eq!(up.code, Some(0), "{up:#?}");
    // Every line is a comment or a shell statement: `eval "$(...)"` works.
    for line in up.stdout.lines() {
        assert!(
            line.starts_with('#') || line.starts_with("export ") || line.starts_with("unset "),
            "{line}"
        );
    }
    assert!(
        up.stdout.contains(
            "export ETCDCTL_ENDPOINTS=http://127.0.33.1:2379,http://127.0.33.1:22379,http://127.0.33.1:32379"
        ),
        "{}",
        up.stdout
    );
    assert_eq!(etcd_processes_under(g.0.path()).len(), 3);
    for f in ["lab.json", "env", "m1.log", "m2.pid", "m3.etcd"] {
        assert!(g.0.path().join(f).exists(), "{f} missing");
    }

    let st = run(&["lab", "etcd", "status", "--dir", d, "-o", "json"]);
    assert_eq!(st.code, Some(0), "{st:#?}");
    let rows = st.json();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| r["is_leader"] == true).count(), 1);
    let pids: Vec<i64> = rows.iter().filter_map(|r| r["pid"].as_i64()).collect();
    assert_eq!(pids.len(), 3);

    // up again: nothing restarts.
    let again = run(&["lab", "etcd", "up", "--dir", d, "-o", "json"]);
    assert_eq!(again.code, Some(0), "{again:#?}");
    let pids2: Vec<i64> = again
        .json()
        .iter()
        .filter_map(|r| r["pid"].as_i64())
        .collect();
    assert_eq!(pids, pids2);
    // ...and a different shape of lab in the same folder is refused.
    let tls = run(&["lab", "etcd", "up", "--tls", "--dir", d]);
    assert_eq!(tls.code, Some(2), "{tls:#?}");
    assert!(tls.stderr.contains("down --purge"), "{tls:#?}");

    // kill-leader, then status says one member is not running (exit 1).
    let k = run(&["lab", "etcd", "kill-leader", "--dir", d, "-o", "json"]);
    assert_eq!(k.code, Some(0), "{k:#?}");
    let victim = k.json()[0]["name"].as_str().unwrap_or_default().to_string();
    assert_eq!(etcd_processes_under(g.0.path()).len(), 2);
    let st = run(&["lab", "etcd", "status", "--dir", d]);
    assert_eq!(st.code, Some(1), "{st:#?}");
    assert!(st.stdout.contains("not running"), "{}", st.stdout);

    let r = run(&["lab", "etcd", "restart", "m9", "--dir", d]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    let r = run(&["lab", "etcd", "restart", &victim, "--dir", d]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(etcd_processes_under(g.0.path()).len(), 3);
    // restart of a running member: stopped and started again.
    let r = run(&["lab", "etcd", "restart", "m2", "--dir", d, "-o", "json"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let new_m2 = r
        .json()
        .into_iter()
        .find(|v| v["name"] == "m2")
        .expect("m2");
    assert_ne!(new_m2["pid"].as_i64(), Some(pids[1]));
    assert_eq!(etcd_processes_under(g.0.path()).len(), 3);

    // down stops exactly our three.
    let decoy = Command::new("sleep")
        .arg("60")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sleep");
    let down = run(&["lab", "etcd", "down", "--dir", d]);
    assert_eq!(down.code, Some(0), "{down:#?}");
    assert!(
        down.stdout.contains("stopped m1, m2, m3"),
        "{}",
        down.stdout
    );
    assert!(etcd_processes_under(g.0.path()).is_empty());

    // A pid file pointing at a process that is not the lab's etcd.
    std::fs::write(g.0.path().join("m2.pid"), format!("{}\n", decoy.id())).expect("write pid");
    let down = run(&["lab", "etcd", "down", "--dir", d]);
    assert_eq!(down.code, Some(0), "{down:#?}");
    assert!(
        down.stdout.contains("nothing was running"),
        "{}",
        down.stdout
    );
    let mut decoy = decoy;
    assert!(
        decoy.try_wait().expect("wait").is_none(),
        "the decoy was killed"
    );
    let _ = decoy.kill();
    let _ = decoy.wait();

    // up after down reuses the data (same member ids), then purge.
    let up = run(&["lab", "etcd", "up", "--dir", d, "-o", "json"]);
    assert_eq!(up.code, Some(0), "{up:#?}");
    let ids: Vec<String> = up
        .json()
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    let old_ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids, old_ids);
    let purge = run(&["lab", "etcd", "down", "--purge", "--dir", d]);
    assert_eq!(purge.code, Some(0), "{purge:#?}");
    assert!(etcd_processes_under(g.0.path()).is_empty());
    assert!(!g.0.path().exists(), "purge removes the folder");
}

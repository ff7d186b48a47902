//! One etcd member (Debian's etcd-server) on a loopback address of the
//! test's own, with a throwaway data directory: for tests that load a
//! cluster's objects and read them back live, from a snapshot and from the
//! data directory.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SingleEtcd {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    /// `IP:2379`.
    pub endpoint: String,
}

impl SingleEtcd {
    /// Starts etcd on `ip` (client 2379, peer 2380) and waits until it is
    /// healthy.
    pub fn start(ip: &str) -> SingleEtcd {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let client = format!("http://{ip}:2379");
        let peer = format!("http://{ip}:2380");
        let child = Command::new("etcd")
            .args(["--name", "k", "--data-dir", data.to_str().unwrap()])
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("k={peer}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd (Debian etcd-server) must be installed: scripts/test installs it");
        let e = SingleEtcd {
            child: Some(child),
            dir,
            endpoint: format!("{ip}:2379"),
        };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if e.etcdctl(&["endpoint", "health"]).status.success() {
                return e;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("etcd did not become healthy on {}", e.endpoint);
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// etcdctl against this member.
    pub fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoint])
            .args(args)
            .output()
            .expect("etcdctl")
    }

    /// SIGTERM: etcd syncs its db and exits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }
}

impl Drop for SingleEtcd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

//! A throwaway single-member etcd for the data tests (keys, get, watch):
//! the system's `etcd` binary on its own loopback address (client 2379,
//! peer 2380; each test picks its own host number `n`, so tests run in
//! parallel), data in a temporary folder, killed and reaped on drop (also
//! when a test panics). Plus loading values with etcd-client and running
//! the built `kinspect` binary with a time limit.
//!
//! Other tests and labs run etcd on loopback too, so an address is only
//! used when nothing listens on its ports (`127.0.46.n`, else `127.0.47.n`,
//! ...), and the member that answers must be ours (its name carries our
//! process id): data is never written into someone else's cluster.

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The corpus folder, relative to the crate root.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// The corpus, or `None` after recording the skip (`common::skip`).
pub fn corpus() -> Option<PathBuf> {
    crate::common::corpus()
}

/// A running etcd member.
pub struct Etcd {
    child: Child,
    _dir: tempfile::TempDir,
    /// `http://127.0.41.n:2379`
    pub endpoint: String,
}

/// True when `etcd` on PATH runs; otherwise records a skip.
pub fn etcd_available() -> bool {
    crate::common::have_tool("etcd", "--version")
}

impl Etcd {
    /// Starts etcd on the first free `127.0.4x.<n>` and waits until it
    /// serves requests. Panics (failing the test) when it cannot.
    pub fn start(n: u8) -> Etcd {
        assert!((1..=254).contains(&n));
        let busy = |ip: &str, port: u16| {
            TcpStream::connect_timeout(
                &format!("{ip}:{port}").parse().unwrap(),
                Duration::from_millis(200),
            )
            .is_ok()
        };
        let ip = (46..=49)
            .map(|b| format!("127.0.{b}.{n}"))
            .find(|ip| !busy(ip, 2379) && !busy(ip, 2380))
            .unwrap_or_else(|| panic!("127.0.46-49.{n}:2379/2380 are all in use"));
        let name = format!("kinspect-data-{}-{n}", std::process::id());
        let dir = tempfile::tempdir().expect("temp dir");
        let client = format!("http://{ip}:2379");
        let peer = format!("http://{ip}:2380");
        let log = std::fs::File::create(dir.path().join("etcd.log")).expect("log file");
        let child = Command::new("etcd")
            .args(["--name", &name])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("{name}={peer}")])
            .args(["--logger", "zap", "--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting etcd (apt-get install etcd-server)");
        let mut etcd = Etcd {
            child,
            _dir: dir,
            endpoint: client,
        };
        let t0 = Instant::now();
        loop {
            if let Ok(Some(status)) = etcd.child.try_wait() {
                let log =
                    std::fs::read_to_string(etcd._dir.path().join("etcd.log")).unwrap_or_default();
                panic!("etcd on {ip} exited ({status}) during start-up:\n{log}");
            }
            if busy(&ip, 2379) {
                let who = name.clone();
                let ours = etcd.block_on(|mut c| async move {
                    match c.member_list().await {
                        Ok(r) => r.members().iter().any(|m| m.name() == who),
                        Err(_) => false,
                    }
                });
                if ours {
                    return etcd;
                }
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "etcd {name} on {ip} not ready after 20 s"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs an async closure with a connected client.
    pub fn block_on<T, F, Fut>(&self, f: F) -> T
    where
        F: FnOnce(etcd_client::Client) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let ep = self.endpoint.clone();
        rt.block_on(async move {
            let opts = etcd_client::ConnectOptions::new()
                .with_timeout(Duration::from_secs(5))
                .with_connect_timeout(Duration::from_secs(2));
            let c = etcd_client::Client::connect([ep], Some(opts))
                .await
                .expect("connect");
            f(c).await
        })
    }

    /// Puts each key/value (values are bytes: envelopes, ciphertext...).
    pub fn put_all(&self, items: &[(&str, Vec<u8>)]) {
        let items: Vec<(String, Vec<u8>)> = items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.block_on(|mut c| async move {
            for (k, v) in items {
                c.put(k.as_str(), v, None).await.expect("put");
            }
        });
    }

    /// The store's current revision.
    pub fn revision(&self) -> i64 {
        self.block_on(|mut c| async move {
            let r = c.get("/", None).await.expect("get");
            r.header().map(|h| h.revision()).unwrap_or(0)
        })
    }

    /// Runs `kinspect ARGS --endpoints <this etcd>`.
    pub fn kinspect(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--endpoints", &self.endpoint]);
        kinspect(&all)
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Asserts no panic message and a given exit code.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "kinspect panicked:\n{}",
            self.stderr
        );
        assert_eq!(
            self.code,
            Some(code),
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout parsed as JSON Lines.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Runs the built binary with a 30 s limit (a hang fails the test).
pub fn kinspect(args: &[&str]) -> Run {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(args)
        .env_remove("ETCDCTL_ENDPOINTS")
        .env_remove("ETCDCTL_CACERT")
        .env_remove("ETCDCTL_CERT")
        .env_remove("ETCDCTL_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kinspect");
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let out_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let err_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let limit = Duration::from_secs(30);
    let code = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st.code();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kinspect {args:?} still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    Run {
        code,
        stdout,
        stderr,
        elapsed: t0.elapsed(),
    }
}

/// Reads a corpus `.bin` value, dropping the newline auger's test data
/// has after each value.
pub fn corpus_value(path: &std::path::Path) -> Vec<u8> {
    let mut v = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if v.last() == Some(&b'\n') {
        v.pop();
    }
    v
}

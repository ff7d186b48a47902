//! lab: a local three-member etcd cluster on loopback, run with the
//! system's `etcd` binary: m1, m2, m3 on one loopback IP (default
//! 127.0.0.1) with client/peer ports 2379/2380, 22379/22380 and
//! 32379/32380; plain, or with a kubeadm-style PKI and client-certificate
//! authentication on client and peer ports (`--tls`).
//!
//! Everything lives in one state folder (default
//! `$XDG_STATE_HOME/kinspect/lab-etcd`, else `~/.local/state/kinspect/lab-etcd`):
//!
//! ```text
//! lab.json            ip, tls, etcd binary, cluster token
//! env                 the export lines for etcdctl and kinspect
//! m1.etcd/ m1.log m1.pid   data, log and pid of each member
//! pki/etcd/           ca, server, peer, healthcheck-client (--tls)
//! ```
//!
//! `down` stops exactly the processes the lab started: a pid from a pid
//! file is signalled only when `/proc/PID/cmdline` shows an etcd with that
//! member's data dir.

pub mod pki;
pub mod proc;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::etcd::client::kubeadm_client_files;
use crate::etcd::cluster::{self, Cluster, Member, MemberStatus};
use crate::etcd::{ClientError, EtcdOptions};

/// A member's fixed name and ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberSpec {
    pub name: &'static str,
    pub client_port: u16,
    pub peer_port: u16,
}

/// The three members.
pub const MEMBERS: [MemberSpec; 3] = [
    MemberSpec {
        name: "m1",
        client_port: 2379,
        peer_port: 2380,
    },
    MemberSpec {
        name: "m2",
        client_port: 22379,
        peer_port: 22380,
    },
    MemberSpec {
        name: "m3",
        client_port: 32379,
        peer_port: 32380,
    },
];

/// The Debian/Ubuntu command that installs etcd.
pub const APT_ETCD: &str = "sudo apt-get install -y etcd-server etcd-client";

/// Everything that can go wrong in the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("interrupted: stopped what this run started ({})", if started.is_empty() { "nothing".to_string() } else { started.join(", ") })]
    Interrupted { started: Vec<String> },
    #[error(
        "no etcd binary in PATH: install it with `{APT_ETCD}` (Debian/Ubuntu), or point \
         KINSPECT_ETCD at one"
    )]
    NoEtcd,
    #[error("--tls needs the openssl command: install it with `sudo apt-get install -y openssl`")]
    NoOpenssl,
    #[error(
        "--ip {0} is not a loopback address: the lab runs etcd for this machine only (use 127.x.y.z)"
    )]
    NotLoopback(IpAddr),
    #[error("neither XDG_STATE_HOME nor HOME is set: give --dir")]
    NoStateDir,
    #[error("{}: no lab here (no lab.json); start one with `kinspect lab etcd up --dir {}`", .0.display(), .0.display())]
    NoLab(PathBuf),
    #[error(
        "{}: the lab there runs {have}, not {want}; run `kinspect lab etcd down --purge --dir {}` first",
        dir.display(),
        dir.display()
    )]
    Mismatch {
        dir: PathBuf,
        have: String,
        want: String,
    },
    #[error(
        "{addr} is already in use (another etcd? see `ss -ltnp`); stop it, or run the lab on \
         another loopback address with --ip 127.0.x.y"
    )]
    PortInUse { addr: SocketAddr },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot start: {source}", bin.display())]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("openssl {step} failed: {stderr}")]
    Openssl { step: String, stderr: String },
    #[error("member {name} exited while starting; the end of {}:\n{tail}", log.display())]
    MemberExited {
        name: String,
        log: PathBuf,
        tail: String,
    },
    #[error("no leader after {}s: {detail}; logs: {}/m*.log", waited.as_secs(), dir.display())]
    NoLeader {
        waited: Duration,
        detail: String,
        dir: PathBuf,
    },
    #[error("no member named {0:?}: the lab's members are m1, m2, m3")]
    UnknownMember(String),
    #[error("member {0} is not running")]
    NotRunning(String),
    #[error("cannot find the leader: {0}")]
    NoLeaderFound(String),
    #[error("member {name} (pid {pid}) did not stop")]
    DidNotStop { name: String, pid: i32 },
    #[error("{0}")]
    Etcd(#[from] ClientError),
}

impl LabError {
    /// The user's for what they must change (install etcd, flags, the
    /// folder); the lab's when it could not do its job.
    pub fn blame(&self) -> crate::outcome::Blame {
        match self {
            LabError::NoEtcd
            | LabError::NoOpenssl
            | LabError::NotLoopback(_)
            | LabError::NoStateDir
            | LabError::NoLab(_)
            | LabError::Mismatch { .. }
            | LabError::UnknownMember(_) => crate::outcome::Blame::Invocation,
            _ => crate::outcome::Blame::Observed,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |source| LabError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `lab.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabConfig {
    pub ip: Ipv4Addr,
    pub tls: bool,
    /// The etcd binary the lab was started with.
    pub etcd: PathBuf,
    pub token: String,
}

/// A lab: its folder and configuration.
#[derive(Debug, Clone)]
pub struct Lab {
    pub dir: PathBuf,
    pub config: LabConfig,
}

/// `$XDG_STATE_HOME/kinspect/lab-etcd`, else `~/.local/state/kinspect/lab-etcd`.
pub fn default_dir() -> Result<PathBuf, LabError> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = env("XDG_STATE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".local/state")))
        .ok_or(LabError::NoStateDir)?;
    Ok(base.join("kinspect").join("lab-etcd"))
}

/// The etcd binary: `KINSPECT_ETCD`, else `etcd` in `PATH`.
pub fn etcd_binary() -> Result<PathBuf, LabError> {
    if let Some(p) = std::env::var_os("KINSPECT_ETCD").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(LabError::NoEtcd)
        };
    }
    proc::find_in_path("etcd").ok_or(LabError::NoEtcd)
}

fn spec(name: &str) -> Result<MemberSpec, LabError> {
    MEMBERS
        .iter()
        .find(|m| m.name == name)
        .copied()
        .ok_or_else(|| LabError::UnknownMember(name.to_string()))
}

impl Lab {
    /// Opens the lab in `dir` (which must hold a `lab.json`).
    pub fn open(dir: &Path) -> Result<Lab, LabError> {
        let file = dir.join("lab.json");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LabError::NoLab(dir.to_path_buf()));
            }
            Err(e) => return Err(io_err(&file)(e)),
        };
        let config: LabConfig = serde_json::from_str(&text).map_err(|e| LabError::Io {
            path: file.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        let dir = std::fs::canonicalize(dir).map_err(io_err(dir))?;
        Ok(Lab { dir, config })
    }

    fn scheme(&self) -> &'static str {
        if self.config.tls { "https" } else { "http" }
    }

    pub fn client_url(&self, m: &MemberSpec) -> String {
        format!("{}://{}:{}", self.scheme(), self.config.ip, m.client_port)
    }

    pub fn peer_url(&self, m: &MemberSpec) -> String {
        format!("{}://{}:{}", self.scheme(), self.config.ip, m.peer_port)
    }

    pub fn data_dir(&self, m: &MemberSpec) -> PathBuf {
        self.dir.join(format!("{}.etcd", m.name))
    }

    pub fn log_path(&self, m: &MemberSpec) -> PathBuf {
        self.dir.join(format!("{}.log", m.name))
    }

    pub fn pid_path(&self, m: &MemberSpec) -> PathBuf {
        self.dir.join(format!("{}.pid", m.name))
    }

    /// `pki/etcd` inside the lab folder (kubeadm's layout).
    pub fn pki_dir(&self) -> PathBuf {
        self.dir.join("pki").join("etcd")
    }

    /// All client URLs, comma-separated.
    pub fn endpoints(&self) -> String {
        MEMBERS
            .iter()
            .map(|m| self.client_url(m))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// How kinspect (and etcdctl) reach this lab.
    pub fn etcd_options(&self, timeout: Duration) -> EtcdOptions {
        let (ca, cert, key) = kubeadm_client_files(&self.pki_dir());
        let tls = self.config.tls;
        EtcdOptions {
            endpoints: MEMBERS.iter().map(|m| self.client_url(m)).collect(),
            cacert: tls.then_some(ca),
            cert: tls.then_some(cert),
            key: tls.then_some(key),
            timeout,
            kubeadm: None,
        }
    }

    /// The lab as a [`Cluster`] (names from the lab; ids are filled in by
    /// status answers).
    fn cluster(&self) -> Cluster {
        Cluster {
            cluster_id: 0,
            members: MEMBERS
                .iter()
                .map(|m| Member {
                    id: 0,
                    name: m.name.to_string(),
                    peer_urls: vec![self.peer_url(m)],
                    client_urls: vec![self.client_url(m)],
                    is_learner: false,
                })
                .collect(),
            via: String::new(),
            warnings: Vec::new(),
        }
    }

    /// The shell lines that point etcdctl and kinspect at this lab
    /// (`eval "$(kinspect lab etcd up)"` works: other lines are comments).
    pub fn env_lines(&self) -> Vec<String> {
        let mut v = vec![
            "export ETCDCTL_API=3".to_string(),
            format!("export ETCDCTL_ENDPOINTS={}", self.endpoints()),
        ];
        if self.config.tls {
            let (ca, cert, key) = kubeadm_client_files(&self.pki_dir());
            v.push(format!("export ETCDCTL_CACERT={}", shell_quote(&ca)));
            v.push(format!("export ETCDCTL_CERT={}", shell_quote(&cert)));
            v.push(format!("export ETCDCTL_KEY={}", shell_quote(&key)));
        } else {
            v.push("unset ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY".to_string());
        }
        // Every `kinspect lab` command reads it (--dir's default), so a
        // lab in another folder needs no --dir after the eval.
        v.push(format!(
            "export KINSPECT_LAB_DIR={}",
            shell_quote(&self.dir)
        ));
        v
    }

    /// The pid of a member if it runs (pid file checked against /proc).
    pub fn running_pid(&self, m: &MemberSpec) -> Option<i32> {
        let pid = std::fs::read_to_string(self.pid_path(m))
            .ok()?
            .trim()
            .parse::<i32>()
            .ok()?;
        proc::is_ours(pid, &self.data_dir(m)).then_some(pid)
    }

    fn etcd_args(&self, m: &MemberSpec) -> Vec<String> {
        let initial = MEMBERS
            .iter()
            .map(|x| format!("{}={}", x.name, self.peer_url(x)))
            .collect::<Vec<_>>()
            .join(",");
        let mut a: Vec<String> = [
            "--name",
            m.name,
            "--data-dir",
            &self.data_dir(m).to_string_lossy(),
            "--listen-client-urls",
            &self.client_url(m),
            "--advertise-client-urls",
            &self.client_url(m),
            "--listen-peer-urls",
            &self.peer_url(m),
            "--initial-advertise-peer-urls",
            &self.peer_url(m),
            "--initial-cluster",
            &initial,
            "--initial-cluster-state",
            "new",
            "--initial-cluster-token",
            &self.config.token,
            "--logger",
            "zap",
            "--log-outputs",
            "stderr",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if self.config.tls {
            let pki = self.pki_dir();
            let p = |f: &str| pki.join(f).to_string_lossy().into_owned();
            a.extend([
                "--cert-file".into(),
                p("server.crt"),
                "--key-file".into(),
                p("server.key"),
                "--trusted-ca-file".into(),
                p("ca.crt"),
                "--client-cert-auth".into(),
                "--peer-cert-file".into(),
                p("peer.crt"),
                "--peer-key-file".into(),
                p("peer.key"),
                "--peer-trusted-ca-file".into(),
                p("ca.crt"),
                "--peer-client-cert-auth".into(),
            ]);
        }
        a
    }

    fn check_ports(&self, m: &MemberSpec) -> Result<(), LabError> {
        for port in [m.client_port, m.peer_port] {
            let addr = SocketAddr::new(IpAddr::V4(self.config.ip), port);
            if TcpListener::bind(addr).is_err() {
                return Err(LabError::PortInUse { addr });
            }
        }
        Ok(())
    }

    /// Starts one member (ports must be free); records its pid.
    fn start(&self, m: &MemberSpec) -> Result<i32, LabError> {
        self.check_ports(m)?;
        let pid = proc::spawn_detached(&self.config.etcd, &self.etcd_args(m), &self.log_path(m))
            .map_err(|source| LabError::Spawn {
                bin: self.config.etcd.clone(),
                source,
            })?;
        let pid = pid as i32;
        write_private(&self.pid_path(m), &format!("{pid}\n"))?;
        Ok(pid)
    }

    /// Stops one member if it runs; true when something was stopped.
    fn stop_member(&self, m: &MemberSpec) -> Result<bool, LabError> {
        let data = self.data_dir(m);
        let mut pids: Vec<i32> = self.running_pid(m).into_iter().collect();
        for p in proc::find_ours(&data) {
            if !pids.contains(&p) {
                pids.push(p);
            }
        }
        let mut stopped = false;
        for pid in pids {
            let gone = proc::stop(pid, &data, Duration::from_secs(10)).map_err(io_err(&data))?;
            if !gone {
                return Err(LabError::DidNotStop {
                    name: m.name.to_string(),
                    pid,
                });
            }
            stopped = true;
        }
        let _ = std::fs::remove_file(self.pid_path(m));
        Ok(stopped)
    }

    /// Status of every member through the client API.
    pub async fn member_status(&self) -> Vec<MemberStatus> {
        let opts = self.etcd_options(Duration::from_secs(1));
        cluster::status_all(&opts, &self.cluster()).await
    }
}

fn shell_quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), LabError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}

/// A member as `up`/`status` report it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberReport {
    pub name: String,
    pub pid: Option<i32>,
    pub running: bool,
    pub client_url: String,
    pub peer_url: String,
    pub id: Option<String>,
    pub is_leader: Option<bool>,
    pub raft_term: Option<u64>,
    pub error: Option<String>,
    /// Started by this command (up, restart).
    pub started: bool,
}

/// The lab and its members.
#[derive(Debug, Clone)]
pub struct LabReport {
    pub lab: Lab,
    pub members: Vec<MemberReport>,
    /// `(name, id, term)` of the leader.
    pub leader: Option<(String, u64, u64)>,
    pub took: Duration,
}

impl LabReport {
    pub fn healthy(&self) -> bool {
        self.leader.is_some() && self.members.iter().all(|m| m.running && m.error.is_none())
    }
}

async fn report(lab: &Lab, started: &[&str], took: Duration) -> LabReport {
    let rows = lab.member_status().await;
    let mut members = Vec::new();
    let mut leader = None;
    for (spec, row) in MEMBERS.iter().zip(rows.iter()) {
        let pid = lab.running_pid(spec);
        let (id, is_leader, term, error) = match &row.result {
            Ok(s) => {
                if s.is_leader() {
                    leader = Some((spec.name.to_string(), s.id, s.raft_term));
                }
                (
                    Some(format!("{:x}", s.id)),
                    Some(s.is_leader()),
                    Some(s.raft_term),
                    None,
                )
            }
            Err(e) => (None, None, None, Some(e.short())),
        };
        members.push(MemberReport {
            name: spec.name.to_string(),
            pid,
            running: pid.is_some(),
            client_url: lab.client_url(spec),
            peer_url: lab.peer_url(spec),
            id,
            is_leader,
            raft_term: term,
            error,
            started: started.contains(&spec.name),
        });
    }
    LabReport {
        lab: lab.clone(),
        members,
        leader,
        took,
    }
}

/// `up`: makes (or reopens) the lab in `dir`, starts the members that do
/// not run, and waits up to `wait` for all three to answer with a leader.
pub async fn up(
    dir: Option<PathBuf>,
    ip: Option<Ipv4Addr>,
    tls: bool,
    wait: Duration,
) -> Result<LabReport, LabError> {
    let t0 = Instant::now();
    if let Some(ip) = ip {
        if !ip.is_loopback() {
            return Err(LabError::NotLoopback(IpAddr::V4(ip)));
        }
    }
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    // A new lab's lab.json is written only once its ports are known to be
    // free, and removed again when `up` fails or is interrupted before any
    // member of it answers: no stale lab.json describing a cluster that
    // never ran.
    let (lab, created) = if dir.join("lab.json").is_file() {
        let lab = Lab::open(&dir)?;
        if lab.config.tls != tls {
            let word = |t: bool| if t { "with --tls" } else { "without --tls" };
            return Err(LabError::Mismatch {
                dir: lab.dir.clone(),
                have: word(lab.config.tls).into(),
                want: word(tls).into(),
            });
        }
        if let Some(ip) = ip {
            if ip != lab.config.ip {
                return Err(LabError::Mismatch {
                    dir: lab.dir.clone(),
                    have: format!("on {}", lab.config.ip),
                    want: format!("on {ip}"),
                });
            }
        }
        (lab, false)
    } else {
        let etcd = etcd_binary()?;
        let ip = ip.unwrap_or(Ipv4Addr::LOCALHOST);
        let config = LabConfig {
            ip,
            tls,
            etcd,
            token: format!("kinspect-lab-{ip}"),
        };
        // Ports first: a taken port is said before anything is written.
        let probe = Lab {
            dir: dir.clone(),
            config: config.clone(),
        };
        for m in &MEMBERS {
            probe.check_ports(m)?;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_err(&dir))?;
        let canonical = std::fs::canonicalize(&dir).map_err(io_err(&dir))?;
        let text = serde_json::to_string_pretty(&config).map_err(|e| LabError::Io {
            path: canonical.join("lab.json"),
            source: std::io::Error::other(e),
        })?;
        write_private(&canonical.join("lab.json"), &(text + "\n"))?;
        (
            Lab {
                dir: canonical,
                config,
            },
            true,
        )
    };
    let forget = |lab: &Lab| {
        if created && MEMBERS.iter().all(|m| lab.running_pid(m).is_none()) {
            let _ = std::fs::remove_file(lab.dir.join("lab.json"));
            let _ = std::fs::remove_file(lab.dir.join("env"));
        }
    };
    let result = start_all(&lab, wait).await;
    match result {
        Ok(started) => Ok(report(&lab, &started, t0.elapsed()).await),
        Err(e) => {
            forget(&lab);
            Err(e)
        }
    }
}

/// Starts the members that do not run and waits for a leader; on failure
/// or Ctrl-C stops what it started.
async fn start_all(lab: &Lab, wait: Duration) -> Result<Vec<&'static str>, LabError> {
    if !lab.config.etcd.is_file() {
        return Err(LabError::NoEtcd);
    }
    if lab.config.tls && !pki::complete(&lab.pki_dir()) {
        if proc::find_in_path("openssl").is_none() {
            return Err(LabError::NoOpenssl);
        }
        pki::generate(&lab.pki_dir(), lab.config.ip)?;
    }
    // Check every port first, so nothing starts when one is taken.
    let to_start: Vec<&MemberSpec> = MEMBERS
        .iter()
        .filter(|m| lab.running_pid(m).is_none())
        .collect();
    for m in &to_start {
        lab.check_ports(m)?;
    }
    // Ctrl-C (and SIGTERM) from here on stop what this run started: the
    // members are detached from the terminal, so they would outlive us.
    let mut interrupt =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let stop_started = |started: &[&str]| {
        for s in MEMBERS.iter().filter(|m| started.contains(&m.name)) {
            let _ = lab.stop_member(s);
        }
    };
    let mut started = Vec::new();
    let mut pids = Vec::new();
    for m in &to_start {
        match lab.start(m) {
            Ok(pid) => {
                started.push(m.name);
                pids.push((m.name, pid));
            }
            Err(e) => {
                stop_started(&started);
                return Err(e);
            }
        }
    }
    let _ = write_private(&lab.dir.join("env"), &(lab.env_lines().join("\n") + "\n"));
    let signalled = async {
        match (interrupt.as_mut(), terminate.as_mut()) {
            (Some(i), Some(t)) => {
                tokio::select! {
                    _ = i.recv() => {}
                    _ = t.recv() => {}
                }
            }
            (Some(i), None) => {
                i.recv().await;
            }
            (None, Some(t)) => {
                t.recv().await;
            }
            (None, None) => std::future::pending::<()>().await,
        }
    };
    let outcome = tokio::select! {
        r = wait_ready(lab, &pids, wait, None) => r,
        _ = signalled => Err(LabError::Interrupted {
            started: started.iter().map(|s| s.to_string()).collect(),
        }),
    };
    if let Err(e) = outcome {
        stop_started(&started);
        return Err(e);
    }
    Ok(started)
}

/// Waits until every member (or just `only`) answers and a leader exists.
async fn wait_ready(
    lab: &Lab,
    started: &[(&str, i32)],
    wait: Duration,
    only: Option<&MemberSpec>,
) -> Result<(), LabError> {
    let t0 = Instant::now();
    loop {
        for (name, pid) in started {
            let Ok(m) = spec(name) else { continue };
            if !proc::alive(*pid) {
                return Err(LabError::MemberExited {
                    name: m.name.to_string(),
                    log: lab.log_path(&m),
                    tail: proc::tail(&lab.log_path(&m), 15),
                });
            }
        }
        let rows = lab.member_status().await;
        let relevant: Vec<&MemberStatus> = rows
            .iter()
            .filter(|r| only.is_none_or(|o| r.member.name == o.name))
            .collect();
        let all_answer = relevant.iter().all(|r| r.result.is_ok());
        let leader_known = rows
            .iter()
            .any(|r| r.result.as_ref().is_ok_and(|s| s.is_leader()))
            && relevant
                .iter()
                .all(|r| r.result.as_ref().is_ok_and(|s| s.leader != 0));
        if all_answer && leader_known {
            return Ok(());
        }
        if t0.elapsed() >= wait {
            let detail = rows
                .iter()
                .map(|r| match &r.result {
                    Ok(s) if s.leader == 0 => {
                        format!("{}: no leader at term {}", r.member.name, s.raft_term)
                    }
                    Ok(s) => format!("{}: leader {:x}", r.member.name, s.leader),
                    Err(e) => format!("{}: {}", r.member.name, e.short()),
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(LabError::NoLeader {
                waited: wait,
                detail,
                dir: lab.dir.clone(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `status`: which members run and what they say.
pub async fn status(dir: Option<PathBuf>) -> Result<LabReport, LabError> {
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let lab = Lab::open(&dir)?;
    Ok(report(&lab, &[], Duration::ZERO).await)
}

/// What `down` did to each member.
#[derive(Debug, Clone, Serialize)]
pub struct DownReport {
    pub name: String,
    pub stopped: bool,
}

/// `down`: stops the lab's processes; with `purge`, removes its files.
/// Without a lab in `dir`, there is nothing to do (`Ok(None)`).
pub fn down(
    dir: Option<PathBuf>,
    purge: bool,
) -> Result<Option<(PathBuf, Vec<DownReport>)>, LabError> {
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let lab = match Lab::open(&dir) {
        Ok(l) => l,
        Err(LabError::NoLab(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut first_err = None;
    for m in &MEMBERS {
        match lab.stop_member(m) {
            Ok(stopped) => out.push(DownReport {
                name: m.name.to_string(),
                stopped,
            }),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    if purge {
        for m in &MEMBERS {
            let _ = std::fs::remove_dir_all(lab.data_dir(m));
            let _ = std::fs::remove_file(lab.log_path(m));
            let _ = std::fs::remove_file(lab.pid_path(m));
        }
        let pki = lab.pki_dir();
        for f in pki::FILES {
            let _ = std::fs::remove_file(pki.join(f));
        }
        let _ = std::fs::remove_dir(&pki);
        let _ = std::fs::remove_dir(lab.dir.join("pki"));
        let _ = std::fs::remove_file(lab.dir.join("env"));
        let _ = std::fs::remove_file(lab.dir.join("lab.json"));
        let _ = std::fs::remove_dir(&lab.dir);
    }
    Ok(Some((lab.dir, out)))
}

/// What `kill-leader` did.
#[derive(Debug, Clone, Serialize)]
pub struct KillReport {
    pub name: String,
    pub pid: i32,
    pub id: String,
    pub term: u64,
}

/// `kill-leader`: SIGKILL to the leader's process.
pub async fn kill_leader(dir: Option<PathBuf>) -> Result<KillReport, LabError> {
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let lab = Lab::open(&dir)?;
    let rows = lab.member_status().await;
    let (spec, id, term) = MEMBERS
        .iter()
        .zip(rows.iter())
        .find_map(|(spec, r)| match &r.result {
            Ok(s) if s.is_leader() => Some((spec, s.id, s.raft_term)),
            _ => None,
        })
        .ok_or_else(|| {
            LabError::NoLeaderFound(
                rows.iter()
                    .map(|r| match &r.result {
                        Ok(s) => format!("{}: leader {:x}", r.member.name, s.leader),
                        Err(e) => format!("{}: {}", r.member.name, e.short()),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    let data = lab.data_dir(spec);
    let pid = lab
        .running_pid(spec)
        .ok_or_else(|| LabError::NotRunning(spec.name.to_string()))?;
    let sent = proc::signal_ours(pid, &data, libc::SIGKILL).map_err(io_err(&data))?;
    if !sent {
        return Err(LabError::NotRunning(spec.name.to_string()));
    }
    proc::wait_gone(pid, &data, Duration::from_secs(5));
    let _ = std::fs::remove_file(lab.pid_path(spec));
    Ok(KillReport {
        name: spec.name.to_string(),
        pid,
        id: format!("{id:x}"),
        term,
    })
}

/// `restart MEMBER`: stops it if it runs, starts it again, and waits up to
/// `wait` until it answers and knows a leader.
pub async fn restart(
    dir: Option<PathBuf>,
    name: &str,
    wait: Duration,
) -> Result<LabReport, LabError> {
    let t0 = Instant::now();
    let spec = spec(name)?;
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let lab = Lab::open(&dir)?;
    lab.stop_member(&spec)?;
    let pid = lab.start(&spec)?;
    wait_ready(&lab, &[(spec.name, pid)], wait, Some(&spec)).await?;
    Ok(report(&lab, &[spec.name], t0.elapsed()).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(tls: bool) -> Lab {
        Lab {
            dir: PathBuf::from("/state/lab"),
            config: LabConfig {
                ip: Ipv4Addr::new(127, 0, 31, 1),
                tls,
                etcd: PathBuf::from("/usr/bin/etcd"),
                token: "t".into(),
            },
        }
    }

    #[test]
    fn urls_and_env() {
        let l = lab(false);
        assert_eq!(l.client_url(&MEMBERS[1]), "http://127.0.31.1:22379");
        assert_eq!(l.peer_url(&MEMBERS[2]), "http://127.0.31.1:32380");
        assert_eq!(
            l.env_lines()[1],
            "export ETCDCTL_ENDPOINTS=http://127.0.31.1:2379,http://127.0.31.1:22379,http://127.0.31.1:32379"
        );
        let t = lab(true);
        assert!(
            t.env_lines()
                .iter()
                .any(|l| l == "export ETCDCTL_CACERT=/state/lab/pki/etcd/ca.crt")
        );
        assert_eq!(
            t.env_lines().last().map(String::as_str),
            Some("export KINSPECT_LAB_DIR=/state/lab")
        );
        let args = t.etcd_args(&MEMBERS[0]);
        for f in [
            "--client-cert-auth",
            "--peer-client-cert-auth",
            "--trusted-ca-file",
        ] {
            assert!(args.iter().any(|a| a == f), "{f} missing");
        }
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--data-dir" && w[1] == "/state/lab/m1.etcd")
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(Path::new("/a/b.crt")), "/a/b.crt");
        assert_eq!(shell_quote(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }

    #[test]
    fn members_by_name() {
        assert_eq!(spec("m2").map(|m| m.client_port).ok(), Some(22379));
        assert!(matches!(spec("m4"), Err(LabError::UnknownMember(_))));
    }
}

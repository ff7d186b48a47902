//! `kinspect etcd ...`: connection flags (etcdctl-compatible) and dispatch.
//! Cluster commands live here (status, members, health, watch-leader,
//! move-leader); key commands in `etcd_keys.rs`.
//!
//! Every cluster command first discovers the members from any endpoint
//! (member list), then asks every member at once, each call bounded by
//! `--timeout`. Exit codes: 0 all good; 1 the cluster has a problem (no
//! leader, no quorum, an unhealthy or unreachable member); 2 bad flags or
//! files, or a connection that cannot work as configured (TLS mismatch,
//! certificate rejected, not an etcd port).

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use serde::Serialize;

use super::{Common, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, parse_duration, usage_error};
use crate::etcd::cluster::{self, Cluster, MemberState, MemberStatus};
use crate::etcd::failover::Consistency;
use crate::etcd::leader::{self, WatchOptions};
use crate::etcd::table::{Align, Table};
use crate::etcd::{ClientError, EtcdOptions};
use crate::timestamp::human_duration;
use crate::view::style::{Style, Tone, status_tone};
use crate::view::{Format, human_bytes};

/// How to reach etcd; also read from ETCDCTL_* like etcdctl.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// Comma-separated host:port or http(s):// URLs [env: ETCDCTL_ENDPOINTS; default 127.0.0.1:2379]
    #[arg(long, global = true)]
    pub endpoints: Option<String>,
    /// CA bundle to verify the servers [env: ETCDCTL_CACERT]
    #[arg(long, global = true)]
    pub cacert: Option<PathBuf>,
    /// Client certificate (mutual TLS) [env: ETCDCTL_CERT]
    #[arg(long, global = true)]
    pub cert: Option<PathBuf>,
    /// Client key [env: ETCDCTL_KEY]
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// Timeout of every call, e.g. 2s, 500ms
    #[arg(long, global = true, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl ConnArgs {
    pub fn options(&self) -> Result<EtcdOptions, crate::etcd::ClientError> {
        let opts = EtcdOptions::from_flags(
            self.endpoints.as_deref(),
            self.cacert.clone(),
            self.cert.clone(),
            self.key.clone(),
            self.timeout,
        )?;
        if let Some(dir) = &opts.kubeadm {
            eprintln!(
                "kinspect: no --cacert/--cert/--key given: using kubeadm's etcd certificates in {} \
                 (ca.crt, healthcheck-client.crt/.key)",
                dir.display()
            );
        }
        Ok(opts)
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    kinspect etcd status --endpoints 127.0.0.1:2379\n  \
    kinspect etcd health --cacert /etc/kubernetes/pki/etcd/ca.crt \\\n      \
    --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key\n  \
    kinspect etcd watch-leader --interval 100ms --duration 60s\n  \
    kinspect etcd move-leader --to m2")]
pub struct EtcdArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(subcommand)]
    pub command: EtcdCommand,
}

impl EtcdArgs {
    /// Whether this is `etcd get` (the one etcd command with `-o yaml`).
    pub fn is_get(&self) -> bool {
        matches!(self.command, EtcdCommand::Get(_))
    }
}

#[derive(Debug, Subcommand)]
pub enum EtcdCommand {
    /// One row per member: version, db size, leader, raft term and index, latency
    ///
    /// Exit 1 if a member does not answer ("down"), answers without a
    /// leader ("up, no leader"), or there is no quorum (as `etcdctl
    /// endpoint status`).
    Status(StatusArgs),
    /// The member list: id, name, peer and client URLs, learner
    Members,
    /// Per member: a linearizable read and the alarm list; exit 1 if any is unhealthy
    Health,
    /// Poll every member and print each leader change, with the time without a leader
    WatchLeader(WatchLeaderArgs),
    /// Transfer leadership to a member (default: the most up-to-date follower)
    MoveLeader(MoveLeaderArgs),
    /// List keys (paged, keys only), grouped by Kubernetes resource under /registry
    Keys(super::etcd_keys::KeysArgs),
    /// Keys with revisions, version, lease and the value decoded (Kubernetes objects)
    Get(super::etcd_keys::GetArgs),
    /// Every change under a prefix as it happens, values decoded
    Watch(super::etcd_keys::WatchArgs),
    /// The write-ahead log of a data dir: hard states, entries decoded, terms
    Wal(super::etcd_offline::WalArgs),
    /// Save a snapshot (live) or show a snapshot file's status
    Snapshot(super::etcd_offline::SnapshotArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct WatchLeaderArgs {
    /// Time between two probes of a member
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub interval: Duration,
    /// Stop after this long (default: until Ctrl-C)
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Draw the watch as SVG into this file when it ends
    #[arg(long, value_name = "OUT.svg")]
    pub svg: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub picture: super::pcap::PictureArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// l: also check that each member can serve a linearizable read (up,
    /// no leader when it cannot); s: Status answers only
    #[arg(long, value_name = "l|s", default_value = "l",
          value_parser = super::etcd_keys::parse_consistency)]
    pub consistency: Consistency,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MoveLeaderArgs {
    /// The new leader: member name or id (hex)
    #[arg(long, value_name = "ID|NAME")]
    pub to: Option<String>,
}

pub fn run(args: EtcdArgs, common: &Common) -> i32 {
    // Offline commands (--db, --data-dir, wal, snapshot status) need no connection.
    let mut command = Some(args.command);
    if let Some(code) = super::etcd_offline::offline_dispatch(&mut command, common) {
        return code;
    }
    let Some(command) = command else {
        return EXIT_USAGE;
    };
    let opts = match args.conn.options() {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    match command {
        EtcdCommand::Get(a) if a.history => super::etcd_offline::run_history_live(a, &opts, common),
        EtcdCommand::Snapshot(s) => match s.command {
            super::etcd_offline::SnapshotCommand::Save { file } => {
                super::etcd_offline::run_snapshot_save(&file, &opts, common)
            }
            super::etcd_offline::SnapshotCommand::Status { file } => {
                super::etcd_offline::run_snapshot_status(&file, common)
            }
        },
        EtcdCommand::Wal(a) => super::etcd_offline::run_wal(a, common),
        EtcdCommand::Keys(a) => super::etcd_keys::run_keys(a, &opts, common),
        EtcdCommand::Get(a) => super::etcd_keys::run_get(a, &opts, common),
        EtcdCommand::Watch(a) => super::etcd_keys::run_watch(a, &opts, common),
        EtcdCommand::Status(a) => block_on(status(&opts, &a, common.output, common.style())),
        EtcdCommand::Members => block_on(members(&opts, common.output, common.style())),
        EtcdCommand::Health => block_on(health(&opts, common.output, common.style())),
        EtcdCommand::WatchLeader(a) => block_on(watch_leader(&opts, &a, common.output)),
        EtcdCommand::MoveLeader(a) => block_on(move_leader(&opts, &a, common.output)),
    }
}

/// Runs a future on a small multi-threaded runtime; exit code 2 if there
/// is no runtime to be had.
pub(crate) fn block_on<F: std::future::Future<Output = i32>>(f: F) -> i32 {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let code = rt.block_on(f);
            // Probe tasks may still wait on a timeout: do not wait for them.
            rt.shutdown_background();
            code
        }
        Err(e) => usage_error(format!("cannot start the async runtime: {e}")),
    }
}

fn fail(e: &ClientError) -> i32 {
    eprintln!("kinspect: error: {e}");
    super::exit_for(e.blame())
}

/// Discovery, with its warnings on stderr.
async fn discover(opts: &EtcdOptions) -> Result<Cluster, i32> {
    match cluster::discover(opts).await {
        Ok(c) => {
            for w in &c.warnings {
                eprintln!("kinspect: warning: {w}");
            }
            Ok(c)
        }
        Err(e) => Err(fail(&e)),
    }
}

/// Prints lines to stdout; false once stdout is gone (closed pipe).
pub(crate) fn print_lines(lines: &[String]) -> bool {
    // Written as given (JSON lines stay exact); on a terminal, tables are
    // held to its width, shell lines (`export ...`) stay whole and `# `
    // comments wrap as comments.
    let mut out = crate::view::Out::new(std::io::stdout().lock());
    let limit = crate::view::fit::limit();
    let mut write = |l: &str| {
        out.raw(l.as_bytes());
        out.raw(b"\n");
    };
    for l in lines {
        match (l.strip_prefix("# "), limit) {
            (_, None) => write(l),
            _ if l.starts_with("export ") => write(l),
            (Some(text), Some(w)) => {
                for part in crate::view::fit::wrap_line_to(text, 0, w.saturating_sub(2)) {
                    write(&format!("# {part}"));
                }
            }
            (None, Some(w)) => write(&crate::view::fit::cut(l, w)),
        }
    }
    out.finish().is_ok()
}

fn dur(d: Duration) -> String {
    human_duration(d.as_nanos().min(i64::MAX as u128) as i64)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

async fn status(opts: &EtcdOptions, args: &StatusArgs, format: Format, style: Style) -> i32 {
    let cluster = match discover(opts).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let linearizable = !args.consistency.is_serializable();
    let rows = cluster::status_all_checked(opts, &cluster, linearizable).await;
    let v = cluster::verdict(&rows, &cluster);
    let summary = verdict_line(&v, &cluster);
    match format {
        Format::Json | Format::Prometheus | Format::Yaml => {
            let lines: Vec<String> = rows.iter().map(status_json).collect();
            print_lines(&lines);
            eprintln!("{summary}");
        }
        Format::Table | Format::Wide => {
            let mut lines = status_table(&rows).render();
            // Any text in ERRORS is a problem; the verdict's NONE/NO too.
            style.paint_column(&mut lines, "ERRORS", |_| Some(Tone::Bad));
            lines.push(paint_verdict(&summary, style));
            print_lines(&lines);
        }
    }
    // As `etcdctl endpoint status --cluster`: a member that does not
    // answer is a problem, as are no leader and no quorum, and a member
    // that answers but cannot reach a leader.
    let all_answer = rows.iter().all(|r| r.state() == MemberState::Up);
    if v.healthy() && all_answer {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    }
}

/// The ERRORS cell of a member that answered: etcd's own errors, and
/// "up, no leader" when it knows no leader or cannot read through one.
fn status_errors(r: &MemberStatus, s: &cluster::StatusInfo) -> String {
    let mut errors = s.errors.clone();
    if r.state() == MemberState::UpNoLeader {
        let why = match &r.read_error {
            Some(e) => format!("up, no leader: linearizable read failed ({})", e.short()),
            None => "up, no leader".to_string(),
        };
        errors.insert(0, why);
    }
    errors.join(", ")
}

fn status_table(rows: &[MemberStatus]) -> Table {
    let mut t = Table::new(&[
        ("ENDPOINT", Align::Left),
        ("ID", Align::Left),
        ("NAME", Align::Left),
        ("VERSION", Align::Left),
        ("DB SIZE", Align::Right),
        ("DB SIZE IN USE", Align::Right),
        ("IS LEADER", Align::Left),
        ("IS LEARNER", Align::Left),
        ("RAFT TERM", Align::Right),
        ("RAFT INDEX", Align::Right),
        ("RAFT APPLIED INDEX", Align::Right),
        ("LATENCY", Align::Right),
        ("ERRORS", Align::Left),
    ]);
    for r in rows {
        let ep = if r.endpoint.is_empty() {
            "-".to_string()
        } else {
            r.endpoint.clone()
        };
        match &r.result {
            Ok(s) => t.row(vec![
                ep,
                format!("{:x}", s.id),
                r.member.label(),
                s.version.clone(),
                human_bytes(s.db_size.max(0) as u64),
                human_bytes(s.db_size_in_use.max(0) as u64),
                s.is_leader().to_string(),
                s.is_learner.to_string(),
                s.raft_term.to_string(),
                s.raft_index.to_string(),
                s.raft_applied_index.to_string(),
                dur(r.latency),
                status_errors(r, s),
            ]),
            Err(e) => t.row(vec![
                ep,
                format!("{:x}", r.member.id),
                r.member.label(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                r.member.is_learner.to_string(),
                String::new(),
                String::new(),
                String::new(),
                dur(r.latency),
                format!("down: {}", e.short()),
            ]),
        }
    }
    t
}

/// One `etcd status -o json` row (DESIGN.md's field order).
#[derive(Serialize)]
struct StatusJson<'a> {
    endpoint: &'a str,
    id: String,
    name: &'a str,
    version: Option<&'a str>,
    db_size: Option<i64>,
    db_size_in_use: Option<i64>,
    is_leader: Option<bool>,
    is_learner: bool,
    raft_term: Option<u64>,
    raft_index: Option<u64>,
    raft_applied_index: Option<u64>,
    leader: Option<String>,
    latency_ms: f64,
    /// `up`, `up_no_leader` or `down`.
    state: &'static str,
    errors: Vec<String>,
}

fn status_json(r: &MemberStatus) -> String {
    let row = match &r.result {
        Ok(s) => StatusJson {
            endpoint: &r.endpoint,
            id: format!("{:x}", s.id),
            name: &r.member.name,
            version: Some(&s.version),
            db_size: Some(s.db_size),
            db_size_in_use: Some(s.db_size_in_use),
            is_leader: Some(s.is_leader()),
            is_learner: s.is_learner,
            raft_term: Some(s.raft_term),
            raft_index: Some(s.raft_index),
            raft_applied_index: Some(s.raft_applied_index),
            leader: Some(format!("{:x}", s.leader)),
            latency_ms: ms(r.latency),
            state: r.state().json(),
            errors: {
                let mut e = s.errors.clone();
                if let Some(re) = &r.read_error {
                    e.insert(0, format!("linearizable read failed: {}", re.short()));
                }
                e
            },
        },
        Err(e) => StatusJson {
            endpoint: &r.endpoint,
            id: format!("{:x}", r.member.id),
            name: &r.member.name,
            version: None,
            db_size: None,
            db_size_in_use: None,
            is_leader: None,
            is_learner: r.member.is_learner,
            raft_term: None,
            raft_index: None,
            raft_applied_index: None,
            leader: None,
            latency_ms: ms(r.latency),
            state: r.state().json(),
            errors: vec![e.short()],
        },
    };
    to_json(&row)
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[derive(Serialize)]
struct MemberJson<'a> {
    id: String,
    status: &'static str,
    name: &'a str,
    peer_urls: &'a [String],
    client_urls: &'a [String],
    is_learner: bool,
    /// `up`, `up_no_leader` or `down` (its Status answer).
    state: &'static str,
}

#[derive(Serialize)]
struct HealthJson<'a> {
    endpoint: &'a str,
    name: &'a str,
    id: String,
    health: bool,
    /// `up`, `up_no_leader` or `down`.
    state: &'static str,
    took_ms: f64,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct MoveJson {
    previous_leader: String,
    previous_leader_name: String,
    previous_term: u64,
    leader: String,
    leader_name: String,
    term: u64,
    took_ms: f64,
    confirmed_ms: Option<f64>,
    moved: bool,
}

/// The verdict line with `NONE` (no leader), `NO` (no quorum) and a
/// disagreement in red.
fn paint_verdict(line: &str, style: Style) -> String {
    line.split("; ")
        .map(|part| {
            if part == "leader: NONE"
                || part.starts_with("quorum: NO ")
                || part.starts_with("disagreement:")
            {
                style.paint(part, Tone::Bad)
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn verdict_line(v: &cluster::Verdict, c: &Cluster) -> String {
    let leader = match v.leader {
        Some(l) if v.leader_confirmed => format!("leader: {} at term {}", c.describe(l), v.term),
        Some(l) => format!(
            "leader: {} at term {}, as others report it (it does not answer itself)",
            c.describe(l),
            v.term
        ),
        None => "leader: NONE".to_string(),
    };
    let quorum = format!(
        "quorum: {} ({} of {} voting members answer, {} needed)",
        if v.has_quorum() { "yes" } else { "NO" },
        v.answering,
        v.voting,
        v.needed
    );
    let agree = if v.disagreements.is_empty() {
        "members agree on leader and term".to_string()
    } else {
        format!("disagreement: {}", v.disagreements.join("; "))
    };
    format!("{leader}; {quorum}; {agree}")
}

async fn members(opts: &EtcdOptions, format: Format, style: Style) -> i32 {
    let cluster = match discover(opts).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Which members answer (Status, each bounded by --timeout).
    let rows = cluster::status_all(opts, &cluster).await;
    let state = |m: &crate::etcd::Member| {
        rows.iter()
            .find(|r| r.member.id == m.id)
            .map_or(MemberState::Down, MemberStatus::state)
    };
    let lines: Vec<String> = match format {
        Format::Json | Format::Prometheus | Format::Yaml => cluster
            .members
            .iter()
            .map(|m| {
                to_json(&MemberJson {
                    id: format!("{:x}", m.id),
                    status: if m.started() { "started" } else { "unstarted" },
                    name: &m.name,
                    peer_urls: &m.peer_urls,
                    client_urls: &m.client_urls,
                    is_learner: m.is_learner,
                    state: state(m).json(),
                })
            })
            .collect(),
        Format::Table | Format::Wide => {
            let mut t = Table::new(&[
                ("ID", Align::Left),
                ("STATUS", Align::Left),
                ("NAME", Align::Left),
                ("PEER ADDRS", Align::Left),
                ("CLIENT ADDRS", Align::Left),
                ("IS LEARNER", Align::Left),
                ("STATE", Align::Left),
            ]);
            for m in &cluster.members {
                t.row(vec![
                    format!("{:x}", m.id),
                    if m.started() { "started" } else { "unstarted" }.into(),
                    m.name.clone(),
                    m.peer_urls.join(","),
                    m.client_urls.join(","),
                    m.is_learner.to_string(),
                    state(m).words().to_string(),
                ]);
            }
            let mut l = t.render();
            style.paint_column(&mut l, "STATE", |s| {
                Some(if s.trim() == "up" {
                    Tone::Good
                } else {
                    Tone::Bad
                })
            });
            l.push(format!(
                "cluster {:x}: {} members (asked {})",
                cluster.cluster_id,
                cluster.members.len(),
                cluster.via
            ));
            l
        }
    };
    print_lines(&lines);
    EXIT_OK
}

async fn health(opts: &EtcdOptions, format: Format, style: Style) -> i32 {
    let cluster = match discover(opts).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rows = cluster::health_all(opts, &cluster).await;
    let healthy = rows.iter().filter(|r| r.healthy).count();
    let line = format!("{healthy} of {} members healthy", rows.len());
    match format {
        Format::Json | Format::Prometheus | Format::Yaml => {
            let lines: Vec<String> = rows
                .iter()
                .map(|r| {
                    to_json(&HealthJson {
                        endpoint: &r.endpoint,
                        name: &r.member.name,
                        id: format!("{:x}", r.member.id),
                        health: r.healthy,
                        state: r.state.json(),
                        took_ms: ms(r.took),
                        error: r.error.as_deref(),
                    })
                })
                .collect();
            print_lines(&lines);
            eprintln!("{line}");
        }
        Format::Table | Format::Wide => {
            let mut t = Table::new(&[
                ("ENDPOINT", Align::Left),
                ("NAME", Align::Left),
                ("HEALTH", Align::Left),
                ("STATE", Align::Left),
                ("TOOK", Align::Right),
                ("ERROR", Align::Left),
            ]);
            for r in &rows {
                t.row(vec![
                    r.endpoint.clone(),
                    r.member.label(),
                    r.healthy.to_string(),
                    r.state.words().to_string(),
                    dur(r.took),
                    r.error.clone().unwrap_or_default(),
                ]);
            }
            let mut l = t.render();
            style.paint_column(&mut l, "HEALTH", status_tone);
            style.paint_column(&mut l, "STATE", |s| {
                Some(if s.trim() == "up" {
                    Tone::Good
                } else {
                    Tone::Bad
                })
            });
            style.paint_column(&mut l, "ERROR", |_| Some(Tone::Bad));
            l.push(line);
            print_lines(&l);
        }
    }
    if healthy == rows.len() && !rows.is_empty() {
        EXIT_OK
    } else {
        // Every member failing for the same configuration reason (TLS,
        // wrong port) is a usage problem, not an unhealthy cluster.
        let config: Vec<&ClientError> = rows
            .iter()
            .filter_map(|r| r.client_error.as_ref())
            .filter(|e| e.is_config_problem())
            .collect();
        if healthy == 0 && config.len() == rows.len() {
            EXIT_USAGE
        } else {
            EXIT_PROBLEM
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! {
                    _ = t.recv() => {},
                    _ = i.recv() => {},
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn watch_leader(opts: &EtcdOptions, args: &WatchLeaderArgs, format: Format) -> i32 {
    if args.interval.is_zero() {
        return usage_error("--interval must be more than 0");
    }
    let start = tokio::time::Instant::now();
    let start_ts = leader::now_ts();
    let deadline = args.duration.map(|d| start + d);
    // The picture's file is opened first: a bad path fails before the watch.
    let mut svg_file = match &args.svg {
        Some(p) => match super::pictures::create_private(p) {
            Ok(f) => Some(f),
            Err(e) => return usage_error(e),
        },
        None => None,
    };
    let mut seen: Vec<leader::Change> = Vec::new();
    let stop = interrupted();
    tokio::pin!(stop);
    // The cluster may be down when we start: keep asking until it answers.
    let mut said = false;
    let cluster = loop {
        match cluster::discover(opts).await {
            Ok(c) => break c,
            Err(e) if e.is_config_problem() => return fail(&e),
            Err(e) => {
                if !said {
                    eprintln!("kinspect: waiting for the cluster: {e}");
                    said = true;
                }
            }
        }
        let pause = tokio::time::sleep(Duration::from_millis(500));
        let until = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = pause => {},
            _ = until => return EXIT_PROBLEM,
            _ = &mut stop => return EXIT_PROBLEM,
        }
    };
    for w in &cluster.warnings {
        eprintln!("kinspect: warning: {w}");
    }
    let names: Vec<String> = cluster
        .members
        .iter()
        .filter_map(|m| m.endpoint().map(|e| format!("{} {e}", m.label())))
        .collect();
    eprintln!(
        "kinspect: watching {} members ({}) every {}; {}",
        names.len(),
        names.join(", "),
        dur(args.interval),
        match args.duration {
            Some(d) => format!("for {}", dur(d)),
            None => "Ctrl-C to stop".into(),
        }
    );
    let wo = WatchOptions {
        interval: args.interval,
        duration: deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now())),
    };
    // A closed stdout (`| head`) ends the watch like Ctrl-C does.
    let closed = std::sync::Arc::new(tokio::sync::Notify::new());
    let on_close = closed.clone();
    let stop = async move {
        tokio::select! {
            _ = stop => {},
            _ = closed.notified() => {},
        }
    };
    let mut stdout_ok = true;
    let summary = leader::watch(opts, &cluster, &wo, stop, |c| {
        if svg_file.is_some() && seen.len() < crate::etcd::leader_picture::MAX_CHANGES {
            seen.push(c.clone());
        }
        if stdout_ok {
            let line = match format {
                Format::Json | Format::Prometheus | Format::Yaml => c.json(),
                Format::Table | Format::Wide => c.human(),
            };
            stdout_ok = print_lines(&[line]);
            if !stdout_ok {
                on_close.notify_one();
            }
        }
    })
    .await;
    let lines = match format {
        Format::Json | Format::Prometheus | Format::Yaml => vec![summary.json()],
        Format::Table | Format::Wide => summary.human(),
    };
    print_lines(&lines);
    if let (Some(f), Some(path)) = (svg_file.take(), &args.svg) {
        let t = crate::etcd::leader_picture::timeline(&cluster, &seen, start_ts, leader::now_ts());
        let options = crate::view::svg::election::Options {
            theme: args.picture.theme,
            lang: args.picture.lang(),
            style: true,
        };
        let svg = crate::view::svg::render_timeline(&t, options);
        let mut f = std::io::BufWriter::new(f);
        if let Err(e) = std::io::Write::write_all(&mut f, svg.as_bytes())
            .and_then(|_| std::io::Write::flush(&mut f))
        {
            return usage_error(format!("writing {}: {e}", path.display()));
        }
        eprintln!("kinspect: wrote {}", path.display());
    }
    if summary.leader.is_some() {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    }
}

async fn move_leader(opts: &EtcdOptions, args: &MoveLeaderArgs, format: Format) -> i32 {
    let cluster = match discover(opts).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    match cluster::move_leader(opts, &cluster, args.to.as_deref()).await {
        Ok(r) => {
            let name = |id: u64| {
                cluster
                    .member(id)
                    .map(|m| m.label())
                    .unwrap_or_else(|| format!("{id:x}"))
            };
            let line = match format {
                Format::Json | Format::Prometheus | Format::Yaml => to_json(&MoveJson {
                    previous_leader: format!("{:x}", r.previous_leader),
                    previous_leader_name: name(r.previous_leader),
                    previous_term: r.previous_term,
                    leader: format!("{:x}", r.leader),
                    leader_name: name(r.leader),
                    term: r.term,
                    took_ms: ms(r.took),
                    confirmed_ms: r.confirmed_after.map(ms),
                    moved: !r.already,
                }),
                Format::Table if r.already => format!(
                    "{} already leads at term {}: nothing to do",
                    cluster.describe(r.leader),
                    r.term
                ),
                Format::Table | Format::Wide => {
                    let confirmed = match r.confirmed_after {
                        Some(d) => format!(
                            "{} says it leads at term {} after {}",
                            name(r.leader),
                            r.term,
                            dur(d)
                        ),
                        None => format!("{} did not confirm it leads", name(r.leader)),
                    };
                    format!(
                        "leader moved: {} -> {} in {} (term {} -> {}); {confirmed}",
                        cluster.describe(r.previous_leader),
                        cluster.describe(r.leader),
                        dur(r.took),
                        r.previous_term,
                        r.term,
                    )
                }
            };
            print_lines(&[line]);
            if r.confirmed_after.is_some() {
                EXIT_OK
            } else {
                EXIT_PROBLEM
            }
        }
        Err(e) => {
            eprintln!("kinspect: error: {e}");
            super::exit_for(e.blame())
        }
    }
}

//! `kinspect lab etcd up|status|down|kill-leader|restart`: a three-member
//! etcd cluster on loopback for trying every etcd and capture feature on
//! one machine. `up` prints shell lines (`eval "$(kinspect lab etcd up)"`
//! points etcdctl and kinspect at the lab; everything else is a comment).
//! Exit codes: 0 done; 1 the lab could not do it (port taken, no leader,
//! a member died); 2 usage (no etcd binary, no lab in the folder, flags
//! that do not match the existing lab).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::etcd::print_lines;
use super::{Common, EXIT_OK, EXIT_PROBLEM, parse_duration};
use crate::etcd::table::{Align, Table};
use crate::lab::{self, LabError, LabReport};
use crate::timestamp::human_duration;
use crate::view::Format;

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// A three-member etcd cluster on loopback
    #[command(subcommand)]
    Etcd(LabEtcdCommand),
    /// Write Kubernetes objects into a lab etcd as an apiserver stores them
    Load(super::lab_load::LoadArgs),
}

/// Where the lab keeps its state.
#[derive(Debug, Clone, clap::Args)]
pub struct DirArg {
    /// State folder [default: $XDG_STATE_HOME/kinspect/lab-etcd or ~/.local/state/kinspect/lab-etcd]
    #[arg(long, env = "KINSPECT_LAB_DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:\n  \
    eval \"$(kinspect lab etcd up)\"        # start, and point etcdctl/kinspect at it\n  \
    kinspect lab etcd up --tls --ip 127.0.5.1 --dir /tmp/lab-tls\n  \
    kinspect lab etcd kill-leader && kinspect etcd watch-leader --duration 10s\n  \
    kinspect lab etcd down --purge")]
pub enum LabEtcdCommand {
    /// Start m1, m2, m3 (2379/2380, 22379/22380, 32379/32380) and wait for a leader
    Up(UpArgs),
    /// Which members run, their pids, ids, leader and term
    Status(DirArg),
    /// Stop the lab's processes (only those it started)
    Down(DownArgs),
    /// SIGKILL the current leader's process (the election lab)
    KillLeader(DirArg),
    /// Start a member again (stopping it first if it runs)
    Restart(RestartArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// Make a kubeadm-style etcd PKI and require client certificates on client and peer ports
    #[arg(long)]
    pub tls: bool,
    #[command(flatten)]
    pub dir: DirArg,
    /// Loopback address of the three members [default: 127.0.0.1, or the existing lab's]
    #[arg(long)]
    pub ip: Option<Ipv4Addr>,
    /// Give up when there is no leader after this long
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub wait: Duration,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Also delete the lab's data, logs, PKI and state folder
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RestartArgs {
    /// m1, m2 or m3
    pub member: String,
    #[command(flatten)]
    pub dir: DirArg,
    /// Give up when the member does not answer after this long
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub wait: Duration,
}

pub fn run(cmd: LabCommand, common: &Common) -> i32 {
    let cmd = match cmd {
        LabCommand::Etcd(cmd) => cmd,
        LabCommand::Load(args) => return super::lab_load::run(args),
    };
    let format = common.output;
    super::etcd::block_on(async move {
        let r = match cmd {
            LabEtcdCommand::Up(a) => lab::up(a.dir.dir, a.ip, a.tls, a.wait)
                .await
                .map(|r| print_report(&r, format, Verb::Up)),
            LabEtcdCommand::Status(a) => lab::status(a.dir).await.map(|r| print_report(&r, format, Verb::Status)),
            LabEtcdCommand::Down(a) => lab::down(a.dir.dir, a.purge).map(|r| print_down(r, a.purge, format)),
            LabEtcdCommand::KillLeader(a) => lab::kill_leader(a.dir).await.map(|k| {
                let line = match format {
                    Format::Json | Format::Prometheus | Format::Yaml => serde_json::to_string(&k).unwrap_or_default(),
                    Format::Table | Format::Wide => format!(
                        "# killed leader {} (pid {}, id {}, term {}) with SIGKILL; the others elect a new \
                         leader within about 1-2 s (watch it: kinspect etcd watch-leader); bring it back: \
                         kinspect lab etcd restart {}",
                        k.name, k.pid, k.id, k.term, k.name
                    ),
                };
                print_lines(&[line]);
                EXIT_OK
            }),
            LabEtcdCommand::Restart(a) => lab::restart(a.dir.dir, &a.member, a.wait)
                .await
                .map(|r| print_report(&r, format, Verb::Restart)),
        };
        match r {
            Ok(code) => code,
            Err(e) => fail(&e),
        }
    })
}

fn fail(e: &LabError) -> i32 {
    eprintln!("kinspect: error: {e}");
    super::exit_for(e.blame())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Up,
    Status,
    Restart,
}

fn print_report(r: &LabReport, format: Format, verb: Verb) -> i32 {
    let code = if r.healthy() { EXIT_OK } else { EXIT_PROBLEM };
    let mut out: Vec<String> = Vec::new();
    if format == Format::Json {
        for m in &r.members {
            out.push(serde_json::to_string(m).unwrap_or_default());
        }
        print_lines(&out);
        return code;
    }
    let lab = &r.lab;
    let kind = if lab.config.tls {
        "TLS (client certificates required)"
    } else {
        "plain"
    };
    let leader = match &r.leader {
        Some((name, id, term)) => format!("leader {name} ({id:x}) at term {term}"),
        None => "NO LEADER".to_string(),
    };
    let took = human_duration(r.took.as_nanos().min(i64::MAX as u128) as i64);
    let started: Vec<&str> = r
        .members
        .iter()
        .filter(|m| m.started)
        .map(|m| m.name.as_str())
        .collect();
    out.push(match verb {
        Verb::Up if started.is_empty() => format!("# lab etcd already running: {leader}"),
        Verb::Up => format!("# lab etcd up ({}) in {took}: {leader}", started.join(", ")),
        Verb::Restart => format!("# restarted {} in {took}: {leader}", started.join(", ")),
        Verb::Status => format!("# lab etcd: {leader}"),
    });
    out.push(format!(
        "# {kind} on {}; state, data and logs in {}",
        lab.config.ip,
        lab.dir.display()
    ));
    let mut t = Table::new(&[
        ("NAME", Align::Left),
        ("PID", Align::Right),
        ("PROCESS", Align::Left),
        ("CLIENT URL", Align::Left),
        ("PEER URL", Align::Left),
        ("ID", Align::Left),
        ("IS LEADER", Align::Left),
        ("RAFT TERM", Align::Right),
        ("ERROR", Align::Left),
    ]);
    for m in &r.members {
        t.row(vec![
            m.name.clone(),
            m.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            if m.running { "running" } else { "not running" }.into(),
            m.client_url.clone(),
            m.peer_url.clone(),
            m.id.clone().unwrap_or_default(),
            m.is_leader.map(|b| b.to_string()).unwrap_or_default(),
            m.raft_term.map(|t| t.to_string()).unwrap_or_default(),
            m.error.clone().unwrap_or_default(),
        ]);
    }
    out.extend(t.render().into_iter().map(|l| format!("# {l}")));
    out.extend(lab.env_lines());
    print_lines(&out);
    code
}

fn print_down(r: Option<(PathBuf, Vec<lab::DownReport>)>, purge: bool, format: Format) -> i32 {
    let Some((dir, members)) = r else {
        eprintln!("kinspect: no lab there: nothing to stop");
        return EXIT_OK;
    };
    let mut out: Vec<String> = Vec::new();
    match format {
        Format::Json | Format::Prometheus | Format::Yaml => {
            for m in &members {
                out.push(serde_json::to_string(m).unwrap_or_default());
            }
        }
        Format::Table | Format::Wide => {
            let stopped: Vec<&str> = members
                .iter()
                .filter(|m| m.stopped)
                .map(|m| m.name.as_str())
                .collect();
            if stopped.is_empty() {
                out.push("# lab etcd: nothing was running".into());
            } else {
                out.push(format!("# lab etcd: stopped {}", stopped.join(", ")));
            }
            if purge {
                out.push(format!(
                    "# removed the lab's data, logs and PKI from {}",
                    dir.display()
                ));
            }
        }
    }
    print_lines(&out);
    EXIT_OK
}

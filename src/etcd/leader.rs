//! `watch-leader`: every member is polled on its own (Status every
//! `--interval`, each call with the timeout), so a dead or hung member never
//! delays the probes of the others. A [`Tracker`] folds the answers into
//! changes: a new leader (with the time the cluster had none), the leader
//! lost, members going down and coming back, the whole cluster down and
//! back. At the end, a [`Summary`]: elections, time without a leader, and
//! per member a latency histogram of the probes (hdrhistogram).
//!
//! Time without a leader is what a client of the cluster lived through:
//! from the last probe that saw the old leader alive and leading (its own
//! answer said it leads) to the first probe that saw the new leader (any
//! member reporting it at the new term). Its resolution is `--interval`.

use std::future::Future;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::mpsc;

use super::client::EtcdOptions;
use super::cluster::Cluster;
use crate::timestamp::{Timestamp, human_duration};

/// A member's answer to one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The member that answered (header member id).
    pub id: u64,
    /// The leader it knows (0: none).
    pub leader: u64,
    pub term: u64,
}

/// One finished probe.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Index into the tracked members.
    pub member: usize,
    /// When the answer (or the error) came.
    pub at: Instant,
    /// The same moment on the wall clock.
    pub ts: Timestamp,
    pub latency: Duration,
    pub result: Result<Answer, String>,
}

/// A new leader.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderChange {
    pub ts: Timestamp,
    pub term: u64,
    pub leader: u64,
    pub leader_name: String,
    pub previous_leader: Option<u64>,
    pub previous_leader_name: Option<String>,
    /// From the last probe that saw the old leader leading to the first
    /// probe that saw this one; `None` for the first leader seen.
    pub no_leader: Option<Duration>,
    pub reason: String,
    /// Members that reported this leader at this term.
    pub seen_by: Vec<String>,
    /// The others, each with why (`m1: down`).
    pub not_seen_by: Vec<String>,
}

/// Something that changed, in the order it was seen.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Leader(LeaderChange),
    /// The leader stopped answering or stepped down; no successor yet.
    NoLeader {
        ts: Timestamp,
        term: u64,
        previous_leader: u64,
        previous_leader_name: String,
        reason: String,
    },
    /// The leader answers again at the same term: there was no election.
    LeaderBack {
        ts: Timestamp,
        term: u64,
        leader: u64,
        leader_name: String,
    },
    MemberDown {
        ts: Timestamp,
        member: String,
        id: Option<u64>,
        error: String,
    },
    MemberUp {
        ts: Timestamp,
        member: String,
        id: Option<u64>,
        down_for: Option<Duration>,
        leader: u64,
        leader_name: String,
        term: u64,
    },
    ClusterDown {
        ts: Timestamp,
    },
    ClusterUp {
        ts: Timestamp,
        down_for: Duration,
    },
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn dur(d: Duration) -> String {
    human_duration(d.as_nanos().min(i64::MAX as u128) as i64)
}

fn hex(id: u64) -> String {
    format!("{id:x}")
}

impl Change {
    /// One line for people.
    pub fn human(&self) -> String {
        match self {
            Change::Leader(c) => {
                let mut s = format!(
                    "{}  term {}  leader {} ({})",
                    c.ts,
                    c.term,
                    c.leader_name,
                    hex(c.leader)
                );
                match (&c.previous_leader, &c.previous_leader_name) {
                    (Some(p), Some(n)) => s.push_str(&format!("  previous {n} ({})", hex(*p))),
                    _ => s.push_str("  previous none"),
                }
                if let Some(d) = c.no_leader {
                    s.push_str(&format!("  no leader for {}", dur(d)));
                }
                s.push_str(&format!("  seen by {}", join_or_none(&c.seen_by)));
                if !c.not_seen_by.is_empty() {
                    s.push_str(&format!(" (not {})", c.not_seen_by.join(", ")));
                }
                s.push_str(&format!("  {}", c.reason));
                s
            }
            Change::NoLeader {
                ts,
                previous_leader,
                previous_leader_name,
                reason,
                ..
            } => format!(
                "{ts}  no leader  previous {previous_leader_name} ({})  {reason}",
                hex(*previous_leader)
            ),
            Change::LeaderBack {
                ts,
                term,
                leader,
                leader_name,
            } => format!(
                "{ts}  term {term}  leader {leader_name} ({}) answers again, same term: no election",
                hex(*leader)
            ),
            Change::MemberDown {
                ts, member, error, ..
            } => format!("{ts}  member {member} down: {error}"),
            Change::MemberUp {
                ts,
                member,
                down_for,
                leader,
                leader_name,
                term,
                ..
            } => {
                let after = down_for
                    .map(|d| format!(" after {}", dur(d)))
                    .unwrap_or_default();
                let sees = if *leader == 0 {
                    "no leader".to_string()
                } else {
                    format!("leader {leader_name} ({})", hex(*leader))
                };
                format!("{ts}  member {member} up{after}: sees {sees} at term {term}")
            }
            Change::ClusterDown { ts } => format!("{ts}  cluster down: no member answers"),
            Change::ClusterUp { ts, down_for } => {
                format!("{ts}  cluster answers again after {}", dur(*down_for))
            }
        }
    }

    /// One JSON object (the `etcd watch-leader` shape of DESIGN.md: `ts`,
    /// `term`, `leader`, `previous_leader`, `no_leader_ms`, `reason`; with a
    /// `type` to tell leader changes from member events).
    pub fn json(&self) -> String {
        let r = match self {
            Change::Leader(c) => serde_json::to_string(&LeaderJson {
                ts: c.ts.to_string(),
                kind: "leader",
                term: c.term,
                leader: Some(hex(c.leader)),
                leader_name: Some(&c.leader_name),
                previous_leader: c.previous_leader.map(hex),
                previous_leader_name: c.previous_leader_name.as_deref(),
                no_leader_ms: c.no_leader.map(ms),
                reason: c.reason.clone(),
                seen_by: Some(&c.seen_by),
                not_seen_by: Some(&c.not_seen_by),
            }),
            Change::NoLeader {
                ts,
                term,
                previous_leader,
                previous_leader_name,
                reason,
            } => serde_json::to_string(&LeaderJson {
                ts: ts.to_string(),
                kind: "no_leader",
                term: *term,
                leader: None,
                leader_name: None,
                previous_leader: Some(hex(*previous_leader)),
                previous_leader_name: Some(previous_leader_name),
                no_leader_ms: None,
                reason: reason.clone(),
                seen_by: None,
                not_seen_by: None,
            }),
            Change::LeaderBack {
                ts,
                term,
                leader,
                leader_name,
            } => serde_json::to_string(&LeaderJson {
                ts: ts.to_string(),
                kind: "leader_back",
                term: *term,
                leader: Some(hex(*leader)),
                leader_name: Some(leader_name),
                previous_leader: Some(hex(*leader)),
                previous_leader_name: Some(leader_name),
                no_leader_ms: None,
                reason: "the leader answers again at the same term: no election".into(),
                seen_by: None,
                not_seen_by: None,
            }),
            Change::MemberDown {
                ts,
                member,
                id,
                error,
            } => serde_json::to_string(&MemberJson {
                ts: ts.to_string(),
                kind: "member_down",
                member,
                id: id.map(hex),
                error: Some(error),
                down_ms: None,
                leader: None,
                leader_name: None,
                term: None,
            }),
            Change::MemberUp {
                ts,
                member,
                id,
                down_for,
                leader,
                leader_name,
                term,
            } => serde_json::to_string(&MemberJson {
                ts: ts.to_string(),
                kind: "member_up",
                member,
                id: id.map(hex),
                error: None,
                down_ms: down_for.map(ms),
                leader: (*leader != 0).then(|| hex(*leader)),
                leader_name: (*leader != 0).then_some(leader_name.as_str()),
                term: Some(*term),
            }),
            Change::ClusterDown { ts } => serde_json::to_string(&ClusterJson {
                ts: ts.to_string(),
                kind: "cluster_down",
                down_ms: None,
            }),
            Change::ClusterUp { ts, down_for } => serde_json::to_string(&ClusterJson {
                ts: ts.to_string(),
                kind: "cluster_up",
                down_ms: Some(ms(*down_for)),
            }),
        };
        r.unwrap_or_else(|e| format!("{{\"type\":\"error\",\"error\":{:?}}}", e.to_string()))
    }
}

#[derive(Serialize)]
struct LeaderJson<'a> {
    ts: String,
    #[serde(rename = "type")]
    kind: &'static str,
    term: u64,
    leader: Option<String>,
    leader_name: Option<&'a str>,
    previous_leader: Option<String>,
    previous_leader_name: Option<&'a str>,
    no_leader_ms: Option<f64>,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    seen_by: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_seen_by: Option<&'a [String]>,
}

#[derive(Serialize)]
struct MemberJson<'a> {
    ts: String,
    #[serde(rename = "type")]
    kind: &'static str,
    member: &'a str,
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    down_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    term: Option<u64>,
}

#[derive(Serialize)]
struct ClusterJson {
    ts: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    down_ms: Option<f64>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    elections: u64,
    longest_no_leader_ms: Option<f64>,
    mean_no_leader_ms: Option<f64>,
    leader: Option<String>,
    leader_name: Option<String>,
    term: Option<u64>,
    members: Vec<MemberSummaryJson<'a>>,
}

#[derive(Serialize)]
struct MemberSummaryJson<'a> {
    name: &'a str,
    id: Option<String>,
    endpoint: &'a str,
    probes: u64,
    errors: u64,
    p50_ms: Option<f64>,
    p90_ms: Option<f64>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
}

fn join_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

/// What was seen over the whole run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Leader changes after the first leader seen.
    pub elections: u64,
    pub longest_no_leader: Option<Duration>,
    pub mean_no_leader: Option<Duration>,
    /// The leader and term at the end, if one was known.
    pub leader: Option<(u64, u64)>,
    pub members: Vec<MemberSummary>,
}

/// Per member: how its probes went.
#[derive(Debug, Clone)]
pub struct MemberSummary {
    pub name: String,
    pub id: Option<u64>,
    pub endpoint: String,
    pub probes: u64,
    pub errors: u64,
    /// Latency quantiles of the successful probes: p50, p90, p99, max.
    pub latency: Option<[Duration; 4]>,
}

impl Summary {
    /// The end-of-run lines for people.
    pub fn human(&self) -> Vec<String> {
        let mut out = vec![format!("elections seen: {}", self.elections)];
        match (self.longest_no_leader, self.mean_no_leader) {
            (Some(l), Some(m)) => out.push(format!(
                "time without a leader: longest {}, mean {}",
                dur(l),
                dur(m)
            )),
            _ => out.push("time without a leader: none measured".into()),
        }
        use super::table::{Align, Table};
        let mut t = Table::new(&[
            ("MEMBER", Align::Left),
            ("ENDPOINT", Align::Left),
            ("PROBES", Align::Right),
            ("ERRORS", Align::Right),
            ("P50", Align::Right),
            ("P90", Align::Right),
            ("P99", Align::Right),
            ("MAX", Align::Right),
        ]);
        for m in &self.members {
            let q = |i: usize| m.latency.map(|l| dur(l[i])).unwrap_or_else(|| "-".into());
            t.row(vec![
                m.name.clone(),
                m.endpoint.clone(),
                m.probes.to_string(),
                m.errors.to_string(),
                q(0),
                q(1),
                q(2),
                q(3),
            ]);
        }
        out.extend(t.render());
        out
    }

    /// The `summary` object that ends a JSON run.
    pub fn json(&self) -> String {
        let members = self
            .members
            .iter()
            .map(|m| {
                let q = |i: usize| m.latency.map(|l| ms(l[i]));
                MemberSummaryJson {
                    name: &m.name,
                    id: m.id.map(hex),
                    endpoint: &m.endpoint,
                    probes: m.probes,
                    errors: m.errors,
                    p50_ms: q(0),
                    p90_ms: q(1),
                    p99_ms: q(2),
                    max_ms: q(3),
                }
            })
            .collect();
        let leader_name = self.leader.and_then(|(l, _)| {
            self.members
                .iter()
                .find(|m| m.id == Some(l))
                .map(|m| m.name.clone())
        });
        serde_json::to_string(&SummaryJson {
            kind: "summary",
            elections: self.elections,
            longest_no_leader_ms: self.longest_no_leader.map(ms),
            mean_no_leader_ms: self.mean_no_leader.map(ms),
            leader: self.leader.map(|(l, _)| hex(l)),
            leader_name,
            term: self.leader.map(|(_, t)| t),
            members,
        })
        .unwrap_or_default()
    }
}

struct MemberTrack {
    name: String,
    id: Option<u64>,
    endpoint: String,
    /// `None` until the first probe.
    up: Option<bool>,
    down_since: Option<Instant>,
    /// Latest successful answer (cleared on error).
    last: Option<Answer>,
    hist: Histogram<u64>,
    probes: u64,
    errors: u64,
}

struct Current {
    id: u64,
    term: u64,
    /// Last probe in which the leader itself said it leads.
    last_alive: Option<Instant>,
    /// Last probe in which anyone reported it at this term.
    last_reported: Instant,
}

struct Pending {
    change: LeaderChange,
    detected: Instant,
    reported: Vec<bool>,
    /// Changes seen while the leader change waits for its witnesses.
    queued: Vec<Change>,
}

/// Folds probe answers into changes. Pure: fed with [`Probe`]s, it needs
/// no network, so its timing rules are unit-tested.
pub struct Tracker {
    members: Vec<MemberTrack>,
    cluster: Cluster,
    leader: Option<Current>,
    leaderless: bool,
    pending: Option<Pending>,
    cluster_down_since: Option<Instant>,
    /// How long a leader change waits for every member to answer before it
    /// is printed with the witnesses it has.
    settle: Duration,
    elections: u64,
    no_leader_sum: Duration,
    no_leader_max: Option<Duration>,
    no_leader_n: u32,
}

impl Tracker {
    /// Tracks the started members of `cluster` (index = order of
    /// [`Tracker::endpoints`]).
    pub fn new(cluster: &Cluster, settle: Duration) -> Self {
        let members = cluster
            .members
            .iter()
            .filter_map(|m| {
                Some(MemberTrack {
                    name: m.label(),
                    id: Some(m.id),
                    endpoint: m.endpoint()?.to_string(),
                    up: None,
                    down_since: None,
                    last: None,
                    hist: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                        .unwrap_or_else(|_| Histogram::new(3).expect("3 significant digits")),
                    probes: 0,
                    errors: 0,
                })
            })
            .collect();
        Tracker {
            members,
            cluster: cluster.clone(),
            leader: None,
            leaderless: false,
            pending: None,
            cluster_down_since: None,
            settle,
            elections: 0,
            no_leader_sum: Duration::ZERO,
            no_leader_max: None,
            no_leader_n: 0,
        }
    }

    /// The endpoint of each tracked member, by index.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.endpoint.clone()).collect()
    }

    fn name_of(&self, id: u64) -> String {
        self.cluster
            .member(id)
            .map(|m| m.label())
            .unwrap_or_else(|| hex(id))
    }

    fn emit(&mut self, out: &mut Vec<Change>, c: Change) {
        match &mut self.pending {
            Some(p) => p.queued.push(c),
            None => out.push(c),
        }
    }

    /// Feeds one probe; returns the changes that are ready to print.
    pub fn on_probe(&mut self, p: Probe) -> Vec<Change> {
        let mut out = Vec::new();
        let Some(m) = self.members.get_mut(p.member) else {
            return out;
        };
        m.probes += 1;
        let mut member_change = None;
        match &p.result {
            Ok(a) => {
                let us = p.latency.as_micros().clamp(1, u64::MAX as u128) as u64;
                m.hist.saturating_record(us);
                m.id = Some(a.id);
                if m.up == Some(false) {
                    member_change = Some(Change::MemberUp {
                        ts: p.ts,
                        member: m.name.clone(),
                        id: m.id,
                        down_for: m.down_since.map(|d| p.at.saturating_duration_since(d)),
                        leader: a.leader,
                        leader_name: String::new(),
                        term: a.term,
                    });
                }
                m.up = Some(true);
                m.down_since = None;
                m.last = Some(*a);
            }
            Err(e) => {
                m.errors += 1;
                if m.up != Some(false) {
                    member_change = Some(Change::MemberDown {
                        ts: p.ts,
                        member: m.name.clone(),
                        id: m.id,
                        error: e.clone(),
                    });
                    m.down_since = Some(p.at);
                }
                m.up = Some(false);
                m.last = None;
            }
        }
        let member_id = m.id;
        let member_name = m.name.clone();
        if let Some(Change::MemberUp {
            leader,
            leader_name,
            ..
        }) = &mut member_change
        {
            *leader_name = self.name_of(*leader);
        }
        if let Some(c) = member_change {
            self.emit(&mut out, c);
        }
        let all_down = self.members.iter().all(|m| m.up == Some(false));
        if all_down && self.cluster_down_since.is_none() {
            self.cluster_down_since = Some(p.at);
            self.emit(&mut out, Change::ClusterDown { ts: p.ts });
        } else if !all_down && p.result.is_ok() {
            if let Some(since) = self.cluster_down_since.take() {
                self.emit(
                    &mut out,
                    Change::ClusterUp {
                        ts: p.ts,
                        down_for: p.at.saturating_duration_since(since),
                    },
                );
            }
        }
        if let Some(pd) = &mut self.pending {
            if p.at >= pd.detected {
                if let Some(r) = pd.reported.get_mut(p.member) {
                    *r = true;
                }
            }
        }
        match p.result.clone() {
            Ok(a) if a.leader != 0 => {
                let newer = match &self.leader {
                    None => true,
                    Some(cur) => a.term > cur.term,
                };
                if newer {
                    self.new_leader(&mut out, &p, a);
                } else if let Some(cur) = &mut self.leader {
                    if a.leader == cur.id && a.term == cur.term {
                        cur.last_reported = p.at;
                        if a.id == a.leader {
                            cur.last_alive = Some(p.at);
                            if self.leaderless {
                                self.leaderless = false;
                                let (term, leader) = (cur.term, cur.id);
                                let c = Change::LeaderBack {
                                    ts: p.ts,
                                    term,
                                    leader,
                                    leader_name: self.name_of(leader),
                                };
                                self.emit(&mut out, c);
                            }
                        }
                    } else if Some(cur.id) == member_id && a.leader != cur.id && a.term >= cur.term
                    {
                        self.lose_leader(&mut out, &p, format!("{member_name} no longer leads"));
                    }
                }
            }
            Ok(a) => {
                // This member sees no leader. If it is the leader, the leader
                // stepped down; a follower alone (e.g. one just restarted) says
                // nothing about the cluster, a majority of them does.
                if let Some(cur) = &self.leader {
                    let (cur_id, cur_term) = (cur.id, cur.term);
                    if member_id == Some(cur_id) {
                        self.lose_leader(
                            &mut out,
                            &p,
                            format!("{member_name} stepped down (no leader at term {})", a.term),
                        );
                    } else {
                        let up = self.members.iter().filter(|m| m.up == Some(true)).count();
                        let blind = self
                            .members
                            .iter()
                            .filter(|m| m.last.is_some_and(|l| l.leader == 0 && l.term >= cur_term))
                            .count();
                        if up > 0 && blind * 2 > up {
                            self.lose_leader(
                                &mut out,
                                &p,
                                format!("{blind} of {up} answering members see no leader"),
                            );
                        }
                    }
                }
            }
            Err(e) => {
                if let Some(cur) = &self.leader {
                    if member_id == Some(cur.id) {
                        self.lose_leader(
                            &mut out,
                            &p,
                            format!("leader {member_name} unreachable: {e}"),
                        );
                    }
                }
            }
        }
        self.flush_pending(&mut out, p.at, false);
        out
    }

    fn lose_leader(&mut self, out: &mut Vec<Change>, p: &Probe, reason: String) {
        if self.leaderless {
            return;
        }
        let Some(cur) = &self.leader else { return };
        let (id, term) = (cur.id, cur.term);
        self.leaderless = true;
        let c = Change::NoLeader {
            ts: p.ts,
            term,
            previous_leader: id,
            previous_leader_name: self.name_of(id),
            reason,
        };
        self.emit(out, c);
    }

    fn new_leader(&mut self, out: &mut Vec<Change>, p: &Probe, a: Answer) {
        // A change still waiting for witnesses is printed first.
        self.flush_pending(out, p.at, true);
        let prev = self.leader.take();
        let no_leader = prev.as_ref().map(|c| {
            p.at.saturating_duration_since(c.last_alive.unwrap_or(c.last_reported))
        });
        let reason = match &prev {
            None => "first leader seen".to_string(),
            Some(c) if c.id == a.leader => "re-elected at a new term".to_string(),
            Some(c) => {
                let name = self.name_of(c.id);
                let down = self
                    .members
                    .iter()
                    .any(|m| m.id == Some(c.id) && m.up == Some(false));
                if down {
                    format!("old leader {name} unreachable")
                } else {
                    format!("old leader {name} alive: stepped down or transferred")
                }
            }
        };
        if prev.is_some() {
            self.elections += 1;
            if let Some(d) = no_leader {
                self.no_leader_sum += d;
                self.no_leader_n += 1;
                self.no_leader_max = Some(self.no_leader_max.map_or(d, |m| m.max(d)));
            }
        }
        let change = LeaderChange {
            ts: p.ts,
            term: a.term,
            leader: a.leader,
            leader_name: self.name_of(a.leader),
            previous_leader: prev.as_ref().map(|c| c.id),
            previous_leader_name: prev.as_ref().map(|c| self.name_of(c.id)),
            no_leader,
            reason,
            seen_by: Vec::new(),
            not_seen_by: Vec::new(),
        };
        self.leader = Some(Current {
            id: a.leader,
            term: a.term,
            last_alive: (a.id == a.leader).then_some(p.at),
            last_reported: p.at,
        });
        self.leaderless = false;
        let mut reported = vec![false; self.members.len()];
        if let Some(r) = reported.get_mut(p.member) {
            *r = true;
        }
        self.pending = Some(Pending {
            change,
            detected: p.at,
            reported,
            queued: Vec::new(),
        });
    }

    /// Prints the pending leader change once every member that is not
    /// known to be down has answered since, or when `settle` has passed
    /// (or at once with `force`).
    fn flush_pending(&mut self, out: &mut Vec<Change>, now: Instant, force: bool) {
        let Some(pd) = &self.pending else { return };
        let all = self
            .members
            .iter()
            .zip(&pd.reported)
            .all(|(m, r)| *r || m.up == Some(false));
        if !(force || all || now.saturating_duration_since(pd.detected) >= self.settle) {
            return;
        }
        let Some(mut pd) = self.pending.take() else {
            return;
        };
        let (leader, term) = (pd.change.leader, pd.change.term);
        for m in &self.members {
            match m.last {
                Some(l) if l.leader == leader && l.term >= term => {
                    pd.change.seen_by.push(m.name.clone())
                }
                Some(l) if l.leader == 0 => {
                    pd.change.not_seen_by.push(format!("{}: no leader", m.name))
                }
                Some(l) => pd.change.not_seen_by.push(format!(
                    "{}: sees {} at term {}",
                    m.name,
                    self.name_of(l.leader),
                    l.term
                )),
                None if m.up == Some(false) => {
                    pd.change.not_seen_by.push(format!("{}: down", m.name))
                }
                None => pd
                    .change
                    .not_seen_by
                    .push(format!("{}: no answer yet", m.name)),
            }
        }
        out.push(Change::Leader(pd.change));
        out.append(&mut pd.queued);
    }

    /// Called now and then without a probe: releases a pending change
    /// whose wait is over.
    pub fn on_tick(&mut self, now: Instant) -> Vec<Change> {
        let mut out = Vec::new();
        self.flush_pending(&mut out, now, false);
        out
    }

    /// Ends the run: the pending change (if any) and the summary.
    pub fn finish(mut self) -> (Vec<Change>, Summary) {
        let mut out = Vec::new();
        self.flush_pending(&mut out, Instant::now(), true);
        let members = self
            .members
            .iter()
            .map(|m| {
                let latency = (!m.hist.is_empty()).then(|| {
                    let us = |v: u64| Duration::from_micros(v);
                    [
                        us(m.hist.value_at_quantile(0.5)),
                        us(m.hist.value_at_quantile(0.9)),
                        us(m.hist.value_at_quantile(0.99)),
                        us(m.hist.max()),
                    ]
                });
                MemberSummary {
                    name: m.name.clone(),
                    id: m.id,
                    endpoint: m.endpoint.clone(),
                    probes: m.probes,
                    errors: m.errors,
                    latency,
                }
            })
            .collect();
        let summary = Summary {
            elections: self.elections,
            longest_no_leader: self.no_leader_max,
            mean_no_leader: (self.no_leader_n > 0).then(|| self.no_leader_sum / self.no_leader_n),
            leader: self.leader.as_ref().map(|c| (c.id, c.term)),
            members,
        };
        (out, summary)
    }
}

/// The wall clock as a [`Timestamp`].
pub fn now_ts() -> Timestamp {
    Timestamp::now()
}

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub interval: Duration,
    /// Stop after this long (`None`: until `stop` resolves).
    pub duration: Option<Duration>,
}

/// Polls every member of `cluster` until `duration` passes or `stop`
/// resolves, calling `emit` for each change as soon as it is known.
pub async fn watch<S, E>(
    opts: &EtcdOptions,
    cluster: &Cluster,
    wo: &WatchOptions,
    stop: S,
    mut emit: E,
) -> Summary
where
    S: Future<Output = ()>,
    E: FnMut(&Change),
{
    let settle = (opts.timeout + wo.interval * 2).min(Duration::from_secs(5));
    let mut tracker = Tracker::new(cluster, settle);
    let (tx, mut rx) = mpsc::channel::<Probe>(256);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ep) in tracker.endpoints().into_iter().enumerate() {
        let tx = tx.clone();
        let opts = opts.clone();
        let interval = wo.interval;
        tasks.spawn(probe_loop(i, ep, opts, interval, tx));
    }
    drop(tx);
    let deadline = wo.duration.map(|d| tokio::time::Instant::now() + d);
    let sleep_until = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(sleep_until);
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(wo.interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut sleep_until => break,
            _ = &mut stop => break,
            p = rx.recv() => match p {
                Some(p) => for c in tracker.on_probe(p) { emit(&c) },
                None => break,
            },
            _ = tick.tick() => for c in tracker.on_tick(Instant::now()) { emit(&c) },
        }
    }
    tasks.abort_all();
    let (rest, summary) = tracker.finish();
    for c in rest {
        emit(&c);
    }
    summary
}

/// One member's probes: Status every `interval` (or right after the
/// previous one when it took longer), each bounded by the timeout. The
/// client is rebuilt after an error so a restarted member is reached anew.
async fn probe_loop(
    member: usize,
    endpoint: String,
    opts: EtcdOptions,
    interval: Duration,
    tx: mpsc::Sender<Probe>,
) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut client = None;
    loop {
        ticker.tick().await;
        let t0 = Instant::now();
        if client.is_none() {
            client = opts.connect_to(std::slice::from_ref(&endpoint)).await.ok();
        }
        let result = match &mut client {
            Some(c) => opts
                .call(&endpoint, c.status())
                .await
                .map(|r| Answer {
                    id: r.header().map_or(0, |h| h.member_id()),
                    leader: r.leader(),
                    term: r.raft_term(),
                })
                .map_err(|e| e.short()),
            None => Err("cannot build a client for this endpoint".to_string()),
        };
        if result.is_err() {
            client = None;
        }
        let probe = Probe {
            member,
            at: Instant::now(),
            ts: now_ts(),
            latency: t0.elapsed(),
            result,
        };
        if tx.send(probe).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::cluster::Member;

    fn cluster() -> Cluster {
        let m = |id: u64, name: &str, port: u16| Member {
            id,
            name: name.into(),
            peer_urls: vec![],
            client_urls: vec![format!("http://127.0.0.1:{port}")],
            is_learner: false,
        };
        Cluster {
            cluster_id: 1,
            members: vec![m(1, "m1", 2379), m(2, "m2", 22379), m(3, "m3", 32379)],
            via: String::new(),
            warnings: vec![],
        }
    }

    struct Feed {
        t: Tracker,
        start: Instant,
        out: Vec<Change>,
    }

    impl Feed {
        fn new() -> Self {
            Feed {
                t: Tracker::new(&cluster(), Duration::from_millis(500)),
                start: Instant::now(),
                out: vec![],
            }
        }
        fn ok(&mut self, ms: u64, member: usize, leader: u64, term: u64) {
            let p = Probe {
                member,
                at: self.start + Duration::from_millis(ms),
                ts: Timestamp(ms as i64 * 1_000_000),
                latency: Duration::from_millis(1),
                result: Ok(Answer {
                    id: member as u64 + 1,
                    leader,
                    term,
                }),
            };
            self.out.extend(self.t.on_probe(p));
        }
        fn err(&mut self, ms: u64, member: usize) {
            let p = Probe {
                member,
                at: self.start + Duration::from_millis(ms),
                ts: Timestamp(ms as i64 * 1_000_000),
                latency: Duration::from_millis(1),
                result: Err("connection refused".into()),
            };
            self.out.extend(self.t.on_probe(p));
        }
        fn round(&mut self, ms: u64, answers: [Option<(u64, u64)>; 3]) {
            for (i, a) in answers.iter().enumerate() {
                match a {
                    Some((l, t)) => self.ok(ms, i, *l, *t),
                    None => self.err(ms, i),
                }
            }
        }
        fn leaders(&self) -> Vec<&LeaderChange> {
            self.out
                .iter()
                .filter_map(|c| match c {
                    Change::Leader(l) => Some(l),
                    _ => None,
                })
                .collect()
        }
    }

    #[test]
    fn first_leader_then_kill_and_election() {
        let mut f = Feed::new();
        f.round(0, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        f.round(100, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        // m1 killed: followers still report it for a while
        f.round(200, [None, Some((1, 2)), Some((1, 2))]);
        f.round(300, [None, Some((0, 3)), Some((0, 3))]);
        f.round(1400, [None, Some((2, 3)), Some((2, 3))]);
        f.round(1500, [None, Some((2, 3)), Some((2, 3))]);
        let l = f.leaders();
        assert_eq!(l.len(), 2, "{:#?}", f.out);
        assert_eq!(l[0].reason, "first leader seen");
        assert_eq!(l[0].seen_by, vec!["m1", "m2", "m3"]);
        assert_eq!(l[1].leader, 2);
        assert_eq!(l[1].term, 3);
        assert_eq!(l[1].previous_leader, Some(1));
        // last alive-and-leading probe of m1 at 100 ms, new leader at 1400 ms
        assert_eq!(l[1].no_leader, Some(Duration::from_millis(1300)));
        assert_eq!(l[1].reason, "old leader m1 unreachable");
        assert_eq!(l[1].seen_by, vec!["m2", "m3"]);
        assert_eq!(l[1].not_seen_by, vec!["m1: down"]);
        let kinds: Vec<&str> = f
            .out
            .iter()
            .map(|c| match c {
                Change::Leader(_) => "leader",
                Change::NoLeader { .. } => "no_leader",
                Change::MemberDown { .. } => "down",
                Change::MemberUp { .. } => "up",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, vec!["leader", "down", "no_leader", "leader"]);
        let (_, s) = f.t.finish();
        assert_eq!(s.elections, 1);
        assert_eq!(s.longest_no_leader, Some(Duration::from_millis(1300)));
        assert_eq!(s.members[0].errors, 4);
        assert_eq!(s.members[1].probes, 6);
    }

    #[test]
    fn restarted_follower_without_leader_is_not_an_outage() {
        let mut f = Feed::new();
        f.round(0, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        f.round(100, [Some((1, 2)), Some((1, 2)), None]);
        f.round(200, [Some((1, 2)), Some((1, 2)), Some((0, 2))]);
        f.round(300, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        assert!(
            f.out.iter().all(|c| !matches!(c, Change::NoLeader { .. })),
            "{:#?}",
            f.out
        );
        assert_eq!(f.leaders().len(), 1);
        assert!(
            f.out
                .iter()
                .any(|c| matches!(c, Change::MemberUp { member, .. } if member == "m3"))
        );
    }

    #[test]
    fn whole_cluster_down_and_back() {
        let mut f = Feed::new();
        f.round(0, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        f.round(100, [None, None, None]);
        f.round(3100, [Some((0, 2)), None, None]);
        f.round(4100, [Some((1, 3)), Some((1, 3)), None]);
        f.round(4200, [Some((1, 3)), Some((1, 3)), Some((1, 3))]);
        assert!(
            f.out
                .iter()
                .any(|c| matches!(c, Change::ClusterDown { .. }))
        );
        let up = f.out.iter().find_map(|c| match c {
            Change::ClusterUp { down_for, .. } => Some(*down_for),
            _ => None,
        });
        assert_eq!(up, Some(Duration::from_millis(3000)));
        let l = f.leaders();
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].reason, "re-elected at a new term");
        assert_eq!(l[1].no_leader, Some(Duration::from_millis(4100)));
    }

    #[test]
    fn transfer_with_old_leader_alive() {
        let mut f = Feed::new();
        f.round(0, [Some((1, 2)), Some((1, 2)), Some((1, 2))]);
        f.round(100, [Some((2, 3)), Some((2, 3)), Some((2, 3))]);
        let l = f.leaders();
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].no_leader, Some(Duration::from_millis(100)));
        assert_eq!(
            l[1].reason,
            "old leader m1 alive: stepped down or transferred"
        );
        assert_eq!(l[1].seen_by, vec!["m1", "m2", "m3"]);
    }

    #[test]
    fn stale_lower_term_is_ignored_and_json_shape() {
        let mut f = Feed::new();
        f.round(0, [Some((2, 5)), Some((2, 5)), Some((1, 4))]);
        let l = f.leaders();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].not_seen_by, vec!["m3: sees m1 at term 4"]);
        let j: serde_json::Value =
            serde_json::from_str(&Change::Leader(l[0].clone()).json()).unwrap();
        for k in [
            "ts",
            "term",
            "leader",
            "previous_leader",
            "no_leader_ms",
            "reason",
        ] {
            assert!(j.get(k).is_some(), "{k} missing in {j}");
        }
        assert_eq!(j["leader"], "2");
        assert!(j["previous_leader"].is_null());
    }
}

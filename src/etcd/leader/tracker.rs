//! [`Tracker`]: folds the members' probe answers into leader changes,
//! members going down and up, and the run's [`Summary`]. Pure: it is fed
//! [`Probe`]s and ticks of the clock, so its timing rules are unit-tested
//! without a network.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::render::hex;
use super::{Answer, Change, LeaderChange, MemberSummary, Probe, Summary};
use crate::etcd::cluster::Cluster;

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

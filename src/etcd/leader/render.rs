//! Each [`Change`] and the [`Summary`] as one line for people and as one
//! JSON object (`etcd watch-leader`'s two outputs).

use std::time::Duration;

use serde::Serialize;

use super::{Change, Summary};
use crate::timestamp::human_duration;

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn dur(d: Duration) -> String {
    human_duration(d.as_nanos().min(i64::MAX as u128) as i64)
}

pub(super) fn hex(id: u64) -> String {
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
        use crate::etcd::table::{Align, Table};
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

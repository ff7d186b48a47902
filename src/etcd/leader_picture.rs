//! `etcd watch-leader --svg`: the changes a watch printed, drawn with the
//! same timeline as `pcap election` ([`crate::view::svg::election`]): one
//! lane per member, terms with their leader, the time without a leader
//! measured by the probes, members that stopped answering as outages.
//! Probes see no votes or heartbeats, so the picture has none.

use std::collections::HashMap;

use super::cluster::Cluster;
use super::leader::Change;
use crate::timestamp::Timestamp;
use crate::view::svg::election::{Lane, Outage, Reason, TermSpan, Timeline};

/// Changes kept for the picture (a watch left running for days stays bounded).
pub const MAX_CHANGES: usize = 10_000;

/// The timeline of a watch from `start` to `end`.
pub fn timeline(
    cluster: &Cluster,
    changes: &[Change],
    start: Timestamp,
    end: Timestamp,
) -> Timeline {
    let mut lanes: Vec<Lane> = cluster
        .members
        .iter()
        .filter(|m| m.started())
        .map(|m| Lane {
            id: m.id,
            name: (!m.name.is_empty()).then(|| m.name.clone()),
        })
        .collect();
    lanes.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let index: HashMap<u64, usize> = lanes.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
    let by_name: HashMap<String, usize> = cluster
        .members
        .iter()
        .filter_map(|m| Some((m.label(), *index.get(&m.id)?)))
        .collect();
    let mut terms: Vec<TermSpan> = Vec::new();
    let mut outages = Vec::new();
    let mut down: HashMap<usize, (Timestamp, String)> = HashMap::new();
    let mut cluster_down: Option<Timestamp> = None;
    for c in changes {
        match c {
            Change::Leader(lc) => {
                let no_leader = lc.no_leader.map(|d| {
                    let from = Timestamp(
                        lc.ts
                            .0
                            .saturating_sub(d.as_nanos().min(i64::MAX as u128) as i64),
                    );
                    (from, (d.as_secs_f64() * 1e6).round() / 1e3)
                });
                let reason = if lc.previous_leader.is_none() {
                    Reason::Observed
                } else if lc.reason.contains("unreachable") {
                    Reason::Election
                } else {
                    Reason::LeaderAlive
                };
                if let Some(prev) = terms.last_mut()
                    && prev.led_to.is_none()
                {
                    prev.led_to = Some(no_leader.map_or(lc.ts, |n| n.0));
                }
                terms.push(TermSpan {
                    term: lc.term,
                    start: if reason == Reason::Observed {
                        start
                    } else {
                        no_leader.map_or(lc.ts, |n| n.0)
                    },
                    end,
                    leader: index.get(&lc.leader).copied(),
                    led_from: Some(lc.ts),
                    led_to: None,
                    reason,
                    no_leader,
                    granted: Vec::new(),
                    rejected: Vec::new(),
                });
            }
            Change::NoLeader { ts, .. } => {
                if let Some(prev) = terms.last_mut()
                    && prev.led_to.is_none()
                {
                    prev.led_to = Some(*ts);
                }
            }
            Change::MemberDown {
                ts,
                member,
                id,
                error,
            } => {
                let lane = id
                    .and_then(|i| index.get(&i).copied())
                    .or_else(|| by_name.get(member).copied());
                if let Some(l) = lane {
                    down.entry(l).or_insert((*ts, error.clone()));
                }
            }
            Change::MemberUp { ts, member, id, .. } => {
                let lane = id
                    .and_then(|i| index.get(&i).copied())
                    .or_else(|| by_name.get(member).copied());
                if let Some((from, note)) = lane.and_then(|l| down.remove(&l)) {
                    outages.push(Outage {
                        lane: lane.unwrap_or(0),
                        from,
                        to: *ts,
                        refused: 0,
                        reset: 0,
                        note: Some(note),
                    });
                }
            }
            Change::ClusterDown { ts } => cluster_down = Some(*ts),
            Change::ClusterUp { ts, .. } => {
                if let Some(from) = cluster_down.take() {
                    for lane in 0..lanes.len() {
                        if !down.contains_key(&lane) {
                            outages.push(Outage {
                                lane,
                                from,
                                to: *ts,
                                refused: 0,
                                reset: 0,
                                note: Some("cluster down".into()),
                            });
                        }
                    }
                }
            }
            Change::LeaderBack { .. } => {}
        }
    }
    let mut rest: Vec<_> = down.into_iter().collect();
    rest.sort_by_key(|(l, _)| *l);
    for (lane, (from, note)) in rest {
        outages.push(Outage {
            lane,
            from,
            to: end,
            refused: 0,
            reset: 0,
            note: Some(note),
        });
    }
    for i in 1..terms.len() {
        let next = terms[i].start;
        terms[i - 1].end = next.max(terms[i - 1].start);
    }
    Timeline {
        start,
        end: end.max(start),
        lanes,
        terms,
        ticks: Vec::new(),
        votes: Vec::new(),
        campaigns: Vec::new(),
        transfers: Vec::new(),
        outages,
        source: "probes",
    }
}

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
                // The old leader led until the last probe that saw it
                // alive (the start of the time without a leader).
                if let Some(prev) = terms.last_mut() {
                    match no_leader {
                        Some((from, _)) => prev.led_to = Some(from),
                        None => {
                            prev.led_to.get_or_insert(lc.ts);
                        }
                    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::etcd::cluster::Member;
    use crate::etcd::leader::LeaderChange;
    use crate::view::svg::election::{Options, render_timeline};
    use crate::view::svg::{Lang, Theme};

    fn member(id: u64, name: &str) -> Member {
        Member {
            id,
            name: name.into(),
            peer_urls: vec![],
            client_urls: vec![format!("http://127.0.0.1:{id}")],
            is_learner: false,
        }
    }

    fn leader(s: i64, term: u64, id: u64, prev: Option<u64>, no_leader_ms: Option<u64>) -> Change {
        Change::Leader(LeaderChange {
            ts: Timestamp(s * 1_000_000_000),
            term,
            leader: id,
            leader_name: String::new(),
            previous_leader: prev,
            previous_leader_name: None,
            no_leader: no_leader_ms.map(Duration::from_millis),
            reason: if prev.is_some() {
                "old leader m1 unreachable".into()
            } else {
                "first leader seen".into()
            },
            seen_by: vec![],
            not_seen_by: vec![],
        })
    }

    #[test]
    fn kill_and_election_as_a_timeline() {
        let cluster = Cluster {
            cluster_id: 1,
            members: vec![member(3, "m3"), member(1, "m1"), member(2, "m2")],
            via: String::new(),
            warnings: vec![],
        };
        let ts = |s: i64| Timestamp(s * 1_000_000_000);
        let changes = vec![
            leader(10, 2, 1, None, None),
            Change::MemberDown {
                ts: ts(12),
                member: "m1".into(),
                id: Some(1),
                error: "connection refused".into(),
            },
            Change::NoLeader {
                ts: ts(12),
                term: 2,
                previous_leader: 1,
                previous_leader_name: "m1".into(),
                reason: String::new(),
            },
            leader(14, 3, 3, Some(1), Some(2500)),
            Change::MemberUp {
                ts: ts(16),
                member: "m1".into(),
                id: Some(1),
                down_for: None,
                leader: 3,
                leader_name: "m3".into(),
                term: 3,
            },
        ];
        let t = timeline(&cluster, &changes, ts(9), ts(20));
        // Lanes by name: m1, m2, m3.
        let names: Vec<String> = t.lanes.iter().map(Lane::short).collect();
        assert_eq!(names, ["m1", "m2", "m3"]);
        assert_eq!(t.terms.len(), 2);
        let (a, b) = (&t.terms[0], &t.terms[1]);
        assert_eq!(
            (a.term, a.reason, a.leader, a.start),
            (2, Reason::Observed, Some(0), ts(9))
        );
        // Term 2's leader led until the no-leader gap began.
        assert_eq!(a.led_to, Some(Timestamp(11_500_000_000)));
        assert_eq!((b.term, b.reason, b.leader), (3, Reason::Election, Some(2)));
        assert_eq!(b.no_leader, Some((Timestamp(11_500_000_000), 2500.0)));
        assert_eq!(a.end, b.start);
        assert_eq!(t.outages.len(), 1);
        assert_eq!(
            (t.outages[0].lane, t.outages[0].from, t.outages[0].to),
            (0, ts(12), ts(16))
        );
        let svg = render_timeline(
            &t,
            Options {
                theme: Theme::Light,
                lang: Lang::En,
                style: true,
            },
        );
        assert!(svg.contains(">no leader 2500.0 ms</text>"));
        assert!(svg.contains(">unreachable 4.0 s (connection refused)</text>"));
        assert!(
            svg.contains(">term 3: leader 0000000000000003 (m3) · election · no leader 2500.0 ms")
        );
    }
}

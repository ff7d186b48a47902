use super::*;
use crate::etcd::cluster::{Cluster, Member};

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
    let j: serde_json::Value = serde_json::from_str(&Change::Leader(l[0].clone()).json()).unwrap();
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

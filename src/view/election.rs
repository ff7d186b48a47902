//! `pcap election` / `capture --view election`: the etcd Raft timeline rebuilt from
//! peer traffic: terms, campaigns, votes, leaders, time without a leader.
//!
//! Folds `raft_message` events (several capture files arrive as one
//! timeline): a member sending MsgHeartbeat/MsgApp/MsgSnap at term T leads
//! term T; MsgPreVote/MsgVote senders campaign; their responses grant or
//! reject; MsgTimeoutNow/MsgTransferLeader mark a leadership transfer.
//! Member names come from `/members` responses, `X-PeerURLs` headers and
//! replicated member attributes. Rows are written at the end (votes may be
//! seen after the new leader's first heartbeat when files are merged);
//! state is a few sets per term, capped at [`MAX_TERMS`] terms.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::net::SocketAddr;

use serde::Serialize;

use super::{Format, Out, pad};
use crate::event::{End, Event, EventKind};
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::proto::raft::{MemberId, RaftEvent, Transport};
use crate::timestamp::Timestamp;
use crate::view::svg::election as pic;

/// Terms remembered (the oldest are dropped beyond this).
pub const MAX_TERMS: usize = 10_000;
/// Members/addresses remembered for naming (more are not learned).
pub const MAX_MEMBERS: usize = 4_096;

/// Heartbeat/append ticks kept for the picture; beyond this their time
/// resolution halves (the picture cannot show more anyway).
pub const MAX_TICKS: usize = 4_000;
/// Votes, campaigns, transfers and reset/refused connections kept for the
/// picture (each).
pub const MAX_MARKS: usize = 10_000;

/// Refusals further apart than this (ns) are separate outages.
pub const OUTAGE_GAP_NS: i64 = 5_000_000_000;

/// Inserts unless the map is full (a hostile capture cannot grow it).
fn learn<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
    if map.len() < MAX_MEMBERS || map.contains_key(&k) {
        map.insert(k, v);
    }
}

/// What one term looked like.
#[derive(Debug, Default, Clone)]
struct TermRecord {
    campaigners: BTreeSet<MemberId>,
    pre_campaigners: BTreeSet<MemberId>,
    campaign_started: Option<Timestamp>,
    granted: BTreeSet<MemberId>,
    rejected: BTreeSet<MemberId>,
    pre_granted: BTreeSet<MemberId>,
    pre_rejected: BTreeSet<MemberId>,
    leader: Option<MemberId>,
    /// First heartbeat/append of the leader at this term.
    established: Option<Timestamp>,
    /// Last heartbeat/append of the leader at this term.
    last_seen: Option<Timestamp>,
    /// MsgTimeoutNow/MsgTransferLeader naming the member that led next.
    transfer_to: Option<MemberId>,
}

/// One leader change, as printed (JSON fields per DESIGN.md first).
#[derive(Debug, Clone, Serialize)]
pub struct LeaderChange {
    pub ts: Timestamp,
    pub term: u64,
    pub leader: MemberId,
    pub previous_leader: Option<MemberId>,
    pub no_leader_ms: Option<f64>,
    /// `election`, `transfer`, or `observed` (already leading when the
    /// capture began: no campaign seen).
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_peer_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_leader_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_term: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_started: Option<Timestamp>,
    pub campaigners: Vec<MemberId>,
    pub votes_granted: Vec<MemberId>,
    pub votes_rejected: Vec<MemberId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_campaigners: Vec<MemberId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_votes_granted: Vec<MemberId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_votes_rejected: Vec<MemberId>,
    /// Terms between the previous leader's and this one where members
    /// campaigned without a leader emerging.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_terms: Vec<u64>,
}

pub struct ElectionView<W: Write> {
    out: Out<W>,
    format: Format,
    terms: BTreeMap<u64, TermRecord>,
    names: HashMap<MemberId, String>,
    peer_urls: HashMap<MemberId, String>,
    /// Listener address → member (learned from stream senders, POST
    /// receivers and X-PeerURLs).
    listeners: HashMap<SocketAddr, MemberId>,
    /// A transfer asked for (MsgTimeoutNow/MsgTransferLeader) and not yet
    /// matched to a term.
    transfer_pending: Option<MemberId>,
    /// Highest term whose leader was seen: heartbeats/appends of lower
    /// terms after that are stale (a deposed leader still talking, or a
    /// later file replaying older traffic) and do not extend that term.
    highest_led_term: u64,
    raft_messages: u64,
    marks: Marks,
    /// Where `--svg` goes, and how it is drawn.
    svg: Option<(Box<dyn Write>, pic::Options)>,
}

/// What only the picture needs: when things happened (bounded).
#[derive(Debug)]
struct Marks {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    members: BTreeSet<MemberId>,
    /// (time / quantum, sender, kind).
    ticks: BTreeSet<(i64, MemberId, pic::TickKind)>,
    tick_quantum: i64,
    /// (ts, term, voter, candidate, granted, pre).
    votes: Vec<(Timestamp, u64, MemberId, Option<MemberId>, bool, bool)>,
    /// (ts, term, candidate, pre).
    campaigns: Vec<(Timestamp, u64, MemberId, bool)>,
    /// (ts, term, from, to).
    transfers: Vec<(Timestamp, u64, MemberId, MemberId)>,
    /// Connections that ended with RST: (end, server, refused).
    resets: Vec<(Timestamp, SocketAddr, bool)>,
}

impl Default for Marks {
    fn default() -> Self {
        Marks {
            first: None,
            last: None,
            members: BTreeSet::new(),
            ticks: BTreeSet::new(),
            tick_quantum: 1_000_000,
            votes: Vec::new(),
            campaigns: Vec::new(),
            transfers: Vec::new(),
            resets: Vec::new(),
        }
    }
}

impl Marks {
    fn seen(&mut self, ts: Timestamp) {
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
    }

    fn member(&mut self, id: MemberId) {
        if self.members.len() < MAX_MEMBERS {
            self.members.insert(id);
        }
    }

    fn tick(&mut self, ts: Timestamp, from: MemberId, kind: pic::TickKind) {
        self.ticks
            .insert((ts.0.div_euclid(self.tick_quantum), from, kind));
        while self.ticks.len() > MAX_TICKS {
            self.tick_quantum = self.tick_quantum.saturating_mul(2);
            let old = std::mem::take(&mut self.ticks);
            self.ticks = old
                .into_iter()
                .map(|(b, m, k)| (b.div_euclid(2), m, k))
                .collect();
        }
    }
}

fn push_capped<T>(v: &mut Vec<T>, x: T) {
    if v.len() < MAX_MARKS {
        v.push(x);
    }
}

impl<W: Write> ElectionView<W> {
    pub fn new(w: W, format: Format) -> Self {
        ElectionView {
            // On a narrow terminal: term, leader and reason first.
            out: Out::new(w).fixed_columns(
                &[
                    ("TERM", 6),
                    ("LEADER", 42),
                    ("ESTABLISHED", 27),
                    ("PREVIOUS", 42),
                    ("NO LEADER", 11),
                    ("REASON", 0),
                ],
                &[0, 0, 2, 3, 1, 0],
            ),
            format,
            terms: BTreeMap::new(),
            names: HashMap::new(),
            peer_urls: HashMap::new(),
            listeners: HashMap::new(),
            transfer_pending: None,
            highest_led_term: 0,
            raft_messages: 0,
            marks: Marks::default(),
            svg: None,
        }
    }

    /// Also draws the timeline as SVG into `w` when the view finishes.
    pub fn with_svg(mut self, w: Box<dyn Write>, options: pic::Options) -> Self {
        self.svg = Some((w, options));
        self
    }

    fn term(&mut self, term: u64) -> &mut TermRecord {
        if self.terms.len() >= MAX_TERMS
            && !self.terms.contains_key(&term)
            && let Some(&oldest) = self.terms.keys().next()
        {
            self.terms.remove(&oldest);
        }
        self.terms.entry(term).or_default()
    }

    /// The member's name, else its peer URL.
    fn label(&self, id: MemberId) -> Option<String> {
        self.names
            .get(&id)
            .cloned()
            .or_else(|| self.peer_urls.get(&id).cloned())
    }

    /// The leader changes, in term order.
    pub fn changes(&self) -> Vec<LeaderChange> {
        let mut out = Vec::new();
        let mut prev: Option<(u64, MemberId, Option<Timestamp>)> = None;
        let mut failed = Vec::new();
        for (&term, r) in &self.terms {
            let (Some(leader), Some(ts)) = (r.leader, r.established) else {
                if !r.campaigners.is_empty() || !r.pre_campaigners.is_empty() {
                    failed.push(term);
                }
                continue;
            };
            let campaigned = !r.campaigners.is_empty();
            let reason = if r.transfer_to == Some(leader) {
                "transfer"
            } else if campaigned || prev.is_some() {
                "election"
            } else {
                "observed"
            };
            let previous_leader = prev.map(|p| p.1);
            out.push(LeaderChange {
                ts,
                term,
                leader,
                previous_leader,
                no_leader_ms: prev
                    .and_then(|p| p.2)
                    .map(|last| ts.millis_since(last))
                    .filter(|ms| *ms >= 0.0),
                reason,
                leader_name: self.names.get(&leader).cloned(),
                leader_peer_url: self.peer_urls.get(&leader).cloned(),
                previous_leader_name: previous_leader.and_then(|p| self.names.get(&p).cloned()),
                previous_term: prev.map(|p| p.0),
                campaign_started: r.campaign_started,
                campaigners: r.campaigners.iter().copied().collect(),
                votes_granted: r.granted.iter().copied().collect(),
                votes_rejected: r.rejected.iter().copied().collect(),
                pre_campaigners: r.pre_campaigners.iter().copied().collect(),
                pre_votes_granted: r.pre_granted.iter().copied().collect(),
                pre_votes_rejected: r.pre_rejected.iter().copied().collect(),
                failed_terms: std::mem::take(&mut failed),
            });
            prev = Some((term, leader, r.last_seen));
        }
        out
    }

    /// The data of the picture (`--svg`, the report): lanes, terms,
    /// leaders, ticks, votes, transfers, outages. Terms, leaders and times
    /// without a leader are the ones [`ElectionView::changes`] reports.
    pub fn timeline(&self) -> pic::Timeline {
        let start = self.marks.first.unwrap_or(Timestamp(0));
        let end = self.marks.last.unwrap_or(start).max(start);
        let mut ids: BTreeSet<MemberId> = self.marks.members.clone();
        for r in self.terms.values() {
            ids.extend(r.leader);
        }
        let mut lanes: Vec<pic::Lane> = ids
            .iter()
            .map(|id| pic::Lane {
                id: id.0,
                name: self.label(*id),
            })
            .collect();
        lanes.sort_by(|a, b| {
            a.name
                .is_none()
                .cmp(&b.name.is_none())
                .then_with(|| a.name.cmp(&b.name))
                .then(a.id.cmp(&b.id))
        });
        let index: HashMap<MemberId, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (MemberId(l.id), i))
            .collect();
        let lane = |id: MemberId| index.get(&id).copied();
        let lanes_of =
            |s: &BTreeSet<MemberId>| s.iter().filter_map(|m| lane(*m)).collect::<Vec<_>>();
        let changes: HashMap<u64, LeaderChange> =
            self.changes().into_iter().map(|c| (c.term, c)).collect();
        let mut terms: Vec<pic::TermSpan> = Vec::new();
        let mut prev_last: Option<Timestamp> = None;
        for (&term, r) in &self.terms {
            let change = changes.get(&term);
            let began = match (r.campaign_started, r.established) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(mut began) = began else { continue };
            let reason = match change.map(|c| c.reason) {
                Some("transfer") => pic::Reason::Transfer,
                Some("observed") => {
                    began = start;
                    pic::Reason::Observed
                }
                Some(_) => pic::Reason::Election,
                None if r.leader.is_none() => pic::Reason::Failed,
                None => continue,
            };
            let no_leader = change
                .and_then(|c| c.no_leader_ms)
                .and_then(|ms| prev_last.map(|p| (p, ms)));
            if r.leader.is_some() && r.established.is_some() {
                prev_last = r.last_seen;
            }
            terms.push(pic::TermSpan {
                term,
                start: began,
                end,
                leader: r.leader.and_then(lane),
                led_from: r.established,
                led_to: r.last_seen,
                reason,
                no_leader,
                granted: lanes_of(&r.granted),
                rejected: lanes_of(&r.rejected),
            });
        }
        for i in 1..terms.len() {
            let next = terms[i].start;
            terms[i - 1].end = next.max(terms[i - 1].start);
        }
        let q = self.marks.tick_quantum;
        let ticks = self
            .marks
            .ticks
            .iter()
            .filter_map(|(b, m, k)| {
                Some(pic::Tick {
                    lane: lane(*m)?,
                    ts: Timestamp(b.saturating_mul(q)),
                    kind: *k,
                })
            })
            .collect();
        let votes = self
            .marks
            .votes
            .iter()
            .filter_map(|&(ts, term, voter, cand, granted, pre)| {
                let r = self.terms.get(&term);
                // A response names its candidate; else the term's only one.
                let cand = cand.or_else(|| {
                    let c = if pre {
                        &r?.pre_campaigners
                    } else {
                        &r?.campaigners
                    };
                    (c.len() == 1).then(|| c.iter().next().copied()).flatten()
                })?;
                Some(pic::Vote {
                    ts,
                    term,
                    voter: lane(voter)?,
                    candidate: lane(cand)?,
                    granted,
                    pre,
                })
            })
            .collect();
        let campaigns = self
            .marks
            .campaigns
            .iter()
            .filter_map(|&(ts, term, m, pre)| {
                Some(pic::Campaign {
                    ts,
                    term,
                    lane: lane(m)?,
                    pre,
                })
            })
            .collect();
        let transfers = self
            .marks
            .transfers
            .iter()
            .filter_map(|&(ts, term, from, to)| {
                Some(pic::Transfer {
                    ts,
                    term,
                    from: lane(from)?,
                    to: lane(to)?,
                })
            })
            .collect();
        pic::Timeline {
            start,
            end,
            lanes,
            terms,
            ticks,
            votes,
            campaigns,
            transfers,
            outages: self.outages(&index),
            source: "pcap",
        }
    }

    /// Members whose listener refused connections: one outage per run of
    /// refusals (less than [`OUTAGE_GAP_NS`] apart), begun by the resets
    /// of its connections just before (the moment it went away).
    fn outages(&self, index: &HashMap<MemberId, usize>) -> Vec<pic::Outage> {
        let mut per: BTreeMap<usize, (Vec<Timestamp>, Vec<Timestamp>)> = BTreeMap::new();
        for &(ts, server, refused) in &self.marks.resets {
            let Some(l) = self.listeners.get(&server).and_then(|m| index.get(m)) else {
                continue;
            };
            let e = per.entry(*l).or_default();
            if refused { e.0.push(ts) } else { e.1.push(ts) }
        }
        let mut out = Vec::new();
        for (lane, (mut refused, mut resets)) in per {
            refused.sort();
            resets.sort();
            let mut i = 0;
            while i < refused.len() {
                let mut j = i;
                while j + 1 < refused.len()
                    && refused[j + 1].0.saturating_sub(refused[j].0) <= OUTAGE_GAP_NS
                {
                    j += 1;
                }
                let (first, last) = (refused[i], refused[j]);
                let before: Vec<Timestamp> = resets
                    .iter()
                    .copied()
                    .filter(|t| t.0 <= first.0 && first.0.saturating_sub(t.0) <= OUTAGE_GAP_NS)
                    .collect();
                out.push(pic::Outage {
                    lane,
                    from: before.first().copied().unwrap_or(first).min(first),
                    to: last,
                    refused: (j - i + 1) as u64,
                    reset: before.len() as u64,
                    note: None,
                });
                i = j + 1;
            }
        }
        out
    }

    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        let _ = summary;
        if let Some((mut w, options)) = self.svg.take() {
            let picture = pic::render_timeline(&self.timeline(), options);
            w.write_all(picture.as_bytes())?;
            w.flush()?;
        }
        let changes = self.changes();
        match self.format {
            Format::Json => {
                // One object per leader change; a leader that was already
                // leading when the capture began is not a change.
                for c in changes.iter().filter(|c| c.reason != "observed") {
                    self.out.json(c);
                }
            }
            _ => self.table(&changes),
        }
        self.out.finish()
    }

    fn table(&mut self, changes: &[LeaderChange]) {
        let name = |v: &ElectionView<W>, id: MemberId| match v.label(id) {
            Some(n) => format!("{id} ({n})"),
            None => id.to_string(),
        };
        let header = [
            pad("TERM", 6),
            pad("LEADER", 42),
            pad("ESTABLISHED", 27),
            pad("PREVIOUS", 42),
            pad("NO LEADER", 11),
            "REASON".to_string(),
        ];
        self.out.line(header.join(" ").trim_end());
        for c in changes {
            let prev = match c.previous_leader {
                Some(p) => format!("{} (term {})", name(self, p), c.previous_term.unwrap_or(0)),
                None => "-".to_string(),
            };
            let no_leader = c
                .no_leader_ms
                .map(|ms| format!("{ms:.1} ms"))
                .unwrap_or_else(|| "-".to_string());
            let row = [
                pad(&c.term.to_string(), 6),
                pad(&name(self, c.leader), 42),
                pad(&c.ts.to_string(), 27),
                pad(&prev, 42),
                pad(&no_leader, 11),
                c.reason.to_string(),
            ];
            self.out.line(row.join(" ").trim_end());
            let ids = |v: &[MemberId]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.iter()
                        .map(|m| name(self, *m))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let detail = if c.reason == "observed" {
                "       already leading when the capture began (no campaign seen)".to_string()
            } else {
                let mut d = format!(
                    "       campaigned: {}; granted: {}; rejected: {}",
                    ids(&c.campaigners),
                    ids(&c.votes_granted),
                    ids(&c.votes_rejected)
                );
                if !c.pre_campaigners.is_empty() {
                    d.push_str(&format!(
                        "; pre-vote by {} (granted: {}, rejected: {})",
                        ids(&c.pre_campaigners),
                        ids(&c.pre_votes_granted),
                        ids(&c.pre_votes_rejected)
                    ));
                }
                if let Some(t) = c.campaign_started {
                    d.push_str(&format!("; campaign began {t}"));
                }
                if !c.failed_terms.is_empty() {
                    d.push_str(&format!("; terms without a leader: {:?}", c.failed_terms));
                }
                d
            };
            self.out.line(&detail);
        }
        if changes.is_empty() {
            self.out.line(&format!(
                "no Raft leader seen ({} Raft messages decoded; etcd peer traffic is on port 2380)",
                self.raft_messages
            ));
        }
    }

    fn on_message(&mut self, e: &Event, m: Msg<'_>) {
        self.raft_messages += 1;
        // Learn listener addresses: stream messages come from the
        // listener; POST /raft goes to it.
        match m.transport {
            Transport::StreamMessage | Transport::StreamMsgapp if !m.derived => {
                if let Some(f) = m.from {
                    learn(&mut self.listeners, e.src, f);
                }
            }
            Transport::Post | Transport::Snapshot => {
                if let Some(t) = m.to {
                    learn(&mut self.listeners, e.dst, t);
                }
            }
            _ => {}
        }
        let from = m.from.or_else(|| {
            matches!(
                m.transport,
                Transport::StreamMessage | Transport::StreamMsgapp
            )
            .then(|| self.listeners.get(&e.src).copied())
            .flatten()
        });
        let Some(from) = from else {
            return;
        };
        let ts = e.ts;
        self.marks.member(from);
        if let Some(to) = m.to {
            self.marks.member(to);
        }
        match m.msg_type {
            "MsgHeartbeat" | "MsgApp" | "MsgSnap" if m.term >= self.highest_led_term.max(1) => {
                self.highest_led_term = m.term;
                let pending = self.transfer_pending;
                let r = self.term(m.term);
                if r.leader.is_none() {
                    r.leader = Some(from);
                    r.established = Some(ts);
                    if pending == Some(from) {
                        r.transfer_to = Some(from);
                    }
                }
                let leads = r.leader == Some(from);
                if leads {
                    r.last_seen = Some(ts);
                }
                if leads {
                    let kind = if m.msg_type == "MsgHeartbeat" {
                        pic::TickKind::Heartbeat
                    } else {
                        pic::TickKind::Append
                    };
                    self.marks.tick(ts, from, kind);
                }
                if pending == Some(from) {
                    self.transfer_pending = None;
                }
            }
            "MsgVote" => {
                let r = self.term(m.term);
                r.campaigners.insert(from);
                r.campaign_started.get_or_insert(ts);
                if !self
                    .marks
                    .campaigns
                    .iter()
                    .rev()
                    .take(64)
                    .any(|c| c.1 == m.term && c.2 == from && !c.3)
                {
                    push_capped(&mut self.marks.campaigns, (ts, m.term, from, false));
                }
            }
            "MsgPreVote" => {
                let r = self.term(m.term);
                r.pre_campaigners.insert(from);
                r.campaign_started.get_or_insert(ts);
                if !self
                    .marks
                    .campaigns
                    .iter()
                    .rev()
                    .take(64)
                    .any(|c| c.1 == m.term && c.2 == from && c.3)
                {
                    push_capped(&mut self.marks.campaigns, (ts, m.term, from, true));
                }
            }
            "MsgVoteResp" => {
                let r = self.term(m.term);
                if m.reject {
                    r.rejected.insert(from);
                } else {
                    r.granted.insert(from);
                }
                push_capped(
                    &mut self.marks.votes,
                    (ts, m.term, from, m.to, !m.reject, false),
                );
            }
            "MsgPreVoteResp" => {
                let r = self.term(m.term);
                if m.reject {
                    r.pre_rejected.insert(from);
                } else {
                    r.pre_granted.insert(from);
                }
                push_capped(
                    &mut self.marks.votes,
                    (ts, m.term, from, m.to, !m.reject, true),
                );
            }
            // The leader tells the transferee to campaign now.
            "MsgTimeoutNow" => {
                self.transfer_pending = m.to;
                let next = m.term + 1;
                if let Some(to) = m.to {
                    self.term(next).transfer_to = Some(to);
                    push_capped(&mut self.marks.transfers, (ts, m.term, from, to));
                }
            }
            // A follower asks the leader to hand over to it (`from`).
            "MsgTransferLeader" => self.transfer_pending = Some(from),
            _ => {}
        }
        if let Some((id, name)) = m.entry_summaries.iter().find_map(|s| member_name(s))
            && !self.names.contains_key(&id)
        {
            learn(&mut self.names, id, name);
        }
    }
}

/// The fields of a `raft_message` the view uses.
struct Msg<'a> {
    msg_type: &'a str,
    from: Option<MemberId>,
    to: Option<MemberId>,
    term: u64,
    reject: bool,
    transport: Transport,
    derived: bool,
    entry_summaries: &'a [String],
}

/// A member's name from a replicated v2 member-attributes write:
/// `... /0/members/<id>/attributes ... "name":"m2" ...` (as the etcd API
/// decoder describes it).
fn member_name(summary: &str) -> Option<(MemberId, String)> {
    let at = summary.find("/members/")?;
    let rest = summary.get(at + "/members/".len()..)?;
    let id_end = rest.find('/')?;
    let id = MemberId::parse_hex(rest.get(..id_end)?)?;
    if !rest.get(id_end..)?.starts_with("/attributes") {
        return None;
    }
    let n = rest.find("name")?;
    let after = rest.get(n + 4..)?;
    // Skip `\":\"`-like separators (escaped or not).
    let start = after.find(|c: char| c.is_ascii_alphanumeric())?;
    let name_part = after.get(start..)?;
    let end = name_part
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(name_part.len());
    let name = name_part.get(..end)?;
    (!name.is_empty()).then(|| (id, name.to_string()))
}

impl<W: Write> Observer for ElectionView<W> {
    /// Only raft events count; the others only stretch the time span.
    fn event_filter(&self) -> Option<fn(&Event) -> bool> {
        Some(|e| matches!(e.kind, EventKind::Raft(_)))
    }
    /// No HTTP/2 beyond its framing: the events it would make (HTTP/2,
    /// gRPC, etcd) fall between the connection's open and the
    /// `http2_frames` summary at its end, both still made (see
    /// [`crate::proto::Wants::http2`]), so the time span stays the same.
    /// Of the Raft entries' summaries only the member names are read, so
    /// only entries that may hold one are described
    /// ([`crate::proto::Wants::raft_entries`]). HTTP/1.1 heads give only
    /// their times ([`crate::proto::Wants::http1`]).
    fn wants(&self) -> crate::proto::Wants {
        crate::proto::Wants {
            raft: true,
            grpc_messages: false,
            http2: false,
            raft_entries: false,
            http1: false,
            events: true,
        }
    }
    fn times_seen(&mut self, first: Timestamp, last: Timestamp) {
        self.marks.seen(first);
        self.marks.seen(last);
    }
    fn event(&mut self, e: &Event) {
        self.marks.seen(e.ts);
        let EventKind::Raft(r) = &e.kind else {
            return;
        };
        match r {
            RaftEvent::RaftMessage {
                msg_type,
                from,
                to,
                term,
                reject,
                transport,
                derived,
                entry_summaries,
                ..
            } => self.on_message(
                e,
                Msg {
                    msg_type,
                    from: *from,
                    to: *to,
                    term: *term,
                    reject: *reject,
                    transport: *transport,
                    derived: *derived,
                    entry_summaries,
                },
            ),
            RaftEvent::RaftPeer {
                id,
                name,
                peer_urls,
                ..
            } => {
                if let Some(n) = name {
                    learn(&mut self.names, *id, n.clone());
                }
                if let Some(u) = peer_urls.first()
                    && !self.peer_urls.contains_key(id)
                {
                    learn(&mut self.peer_urls, *id, u.clone());
                }
                for u in peer_urls {
                    let host = u.split("://").nth(1).unwrap_or(u).trim_end_matches('/');
                    if let Ok(addr) = host.parse::<SocketAddr>() {
                        learn(&mut self.listeners, addr, *id);
                    }
                }
            }
            RaftEvent::RaftStream {
                sender: Some(s), ..
            } => learn(&mut self.listeners, e.src, *s),
            _ => {}
        }
    }

    fn flow(&mut self, f: &FlowRecord) {
        let end = Timestamp(f.start.0.saturating_add((f.duration_ms * 1e6) as i64));
        self.marks.seen(f.start);
        self.marks.seen(end);
        if f.end == End::Rst {
            // SYN answered by RST: nobody listens there.
            let refused = f.client_bytes == 0
                && f.server_bytes == 0
                && f.server_packets <= 1
                && f.client_packets <= 2;
            push_capped(&mut self.marks.resets, (end, f.server, refused));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::member_name;
    use crate::proto::raft::MemberId;

    #[test]
    fn member_names_from_attribute_writes() {
        let s = r#"#0 v2 PUT /0/members/5d773d020040d865/attributes "{\"name\":\"m2\",\"clientURLs\":[]}""#;
        assert_eq!(
            member_name(s),
            Some((MemberId(0x5d773d020040d865), "m2".to_string()))
        );
        assert_eq!(member_name("#3 Put /registry/pods/a"), None);
    }
}

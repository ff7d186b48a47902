//! The whole cluster from any one endpoint: member discovery (member list),
//! then one concurrent call per member, each with its own timeout, so a
//! dead member costs one timeout and never stalls or aborts the others.
//! Status (like `etcdctl endpoint status --cluster`), health (like
//! `etcdctl endpoint health --cluster`) and leadership transfer.

use std::time::{Duration, Instant};

use etcd_client::{AlarmAction, AlarmType, GetOptions};
use tokio::task::JoinSet;

use super::client::{ClientError, EtcdOptions, host_port};
use crate::outcome::Blame;

/// One member as `member list` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    /// Empty for a member that was added but never started.
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

impl Member {
    /// False for a member added with `member add` but never started.
    pub fn started(&self) -> bool {
        !self.name.is_empty() || !self.client_urls.is_empty()
    }

    /// The URL kinspect talks to for this member (its first client URL).
    pub fn endpoint(&self) -> Option<&str> {
        self.client_urls.first().map(String::as_str)
    }

    /// The name, or the id in hex when the member has no name yet.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{:x}", self.id)
        } else {
            self.name.clone()
        }
    }
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub cluster_id: u64,
    pub members: Vec<Member>,
    /// The endpoint that answered `member list`.
    pub via: String,
    /// Things the user should know (e.g. a peer port given as endpoint).
    pub warnings: Vec<String>,
}

impl Cluster {
    /// The member with this id.
    pub fn member(&self, id: u64) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// `name (id)` for an id, or just the id when it is not a member.
    pub fn describe(&self, id: u64) -> String {
        match self.member(id) {
            Some(m) if !m.name.is_empty() => format!("{} ({:x})", m.name, id),
            _ => format!("{id:x}"),
        }
    }

    /// Finds a member by name or by id (hex, as etcdctl prints it).
    pub fn find(&self, name_or_id: &str) -> Option<&Member> {
        let s = name_or_id.trim();
        self.members.iter().find(|m| m.name == s).or_else(|| {
            let hex = s.trim_start_matches("0x");
            u64::from_str_radix(hex, 16)
                .ok()
                .and_then(|id| self.member(id))
        })
    }
}

/// Asks every given endpoint for the member list at once and keeps the
/// first answer. When none answers, the most telling error is returned
/// (a certificate or protocol problem before "unreachable"), explained by
/// a probe of the port.
pub async fn discover(opts: &EtcdOptions) -> Result<Cluster, ClientError> {
    let mut set = JoinSet::new();
    for (i, ep) in opts.endpoints.iter().enumerate() {
        let opts = opts.clone();
        let ep = ep.clone();
        set.spawn(async move {
            let r = async {
                let mut c = opts.connect_to(std::slice::from_ref(&ep)).await?;
                opts.call(&ep, c.member_list()).await
            }
            .await;
            (i, ep, r)
        });
    }
    let mut errors: Vec<(usize, ClientError)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        let Ok((i, ep, r)) = joined else { continue };
        match r {
            Ok(resp) => {
                set.abort_all();
                let cluster_id = resp.header().map_or(0, |h| h.cluster_id());
                let members = resp
                    .members()
                    .iter()
                    .map(|m| Member {
                        id: m.id(),
                        name: m.name().to_string(),
                        peer_urls: m.peer_urls().to_vec(),
                        client_urls: m.client_urls().to_vec(),
                        is_learner: m.is_learner(),
                    })
                    .collect::<Vec<_>>();
                let mut members = members;
                members.sort_by(|a, b| {
                    (a.name.is_empty(), &a.name, a.id).cmp(&(b.name.is_empty(), &b.name, b.id))
                });
                let mut warnings = Vec::new();
                if let Some(w) = peer_port_warning(&ep, &members) {
                    warnings.push(w);
                }
                return Ok(Cluster {
                    cluster_id,
                    members,
                    via: ep,
                    warnings,
                });
            }
            Err(e) => errors.push((i, e)),
        }
    }
    errors.sort_by_key(|(i, e)| (!e.is_config_problem(), *i));
    let Some((_, first)) = errors.into_iter().next() else {
        return Err(ClientError::NoEndpoints);
    };
    let mut err = opts.explain(first).await;
    // A 3.5+ member's peer port does not answer the client API: say what
    // port 2380 usually is.
    if let ClientError::Protocol { endpoint, message } = &err {
        if endpoint.ends_with(":2380") {
            err = ClientError::Protocol {
                endpoint: endpoint.clone(),
                message: format!(
                    "{message} (2380 is etcd's usual peer port, for raft between members; \
                     clients use 2379)"
                ),
            };
        }
    }
    Err(err)
}

/// etcd 3.4 still serves the client API on the peer port; using it works
/// by accident and stops working with 3.6. Say so when the endpoint that
/// answered is some member's peer URL.
pub fn peer_port_warning(endpoint: &str, members: &[Member]) -> Option<String> {
    let hp = host_port(endpoint)?;
    let m = members.iter().find(|m| {
        m.peer_urls
            .iter()
            .any(|u| host_port(u).as_deref() == Some(&hp))
    })?;
    let client = m.endpoint().unwrap_or("(none advertised)");
    Some(format!(
        "{endpoint} is the peer port of member {} (raft traffic between members); etcd 3.4 \
         still answers the client API there, etcd 3.6 does not: use its client URL {client}",
        m.label()
    ))
}

/// One member's `Status` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusInfo {
    /// The id of the member that answered.
    pub id: u64,
    pub version: String,
    pub db_size: i64,
    pub db_size_in_use: i64,
    /// The leader this member knows (0: none).
    pub leader: u64,
    pub is_learner: bool,
    pub raft_term: u64,
    pub raft_index: u64,
    pub raft_applied_index: u64,
    pub errors: Vec<String>,
}

impl StatusInfo {
    pub fn is_leader(&self) -> bool {
        self.leader != 0 && self.leader == self.id
    }
}

/// What a member is, from the outside: it answers and can serve reads
/// through a leader; it answers (Status) but knows no leader or cannot get
/// a linearizable read through (quorum lost, an election under way); or it
/// does not answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    Up,
    UpNoLeader,
    Down,
}

impl MemberState {
    /// `up`, `up, no leader`, `down` (table cells).
    pub fn words(self) -> &'static str {
        match self {
            MemberState::Up => "up",
            MemberState::UpNoLeader => "up, no leader",
            MemberState::Down => "down",
        }
    }

    /// `up`, `up_no_leader`, `down` (JSON).
    pub fn json(self) -> &'static str {
        match self {
            MemberState::Up => "up",
            MemberState::UpNoLeader => "up_no_leader",
            MemberState::Down => "down",
        }
    }
}

/// A status row: the member, where it was asked, and what came back.
#[derive(Debug, Clone)]
pub struct MemberStatus {
    pub member: Member,
    pub endpoint: String,
    pub result: Result<StatusInfo, ClientError>,
    pub latency: Duration,
    /// With a linearizable check ([`status_all_checked`]): why the
    /// member, though it answers Status, could not serve a linearizable
    /// read.
    pub read_error: Option<ClientError>,
}

impl MemberStatus {
    /// Down when Status got no answer; up but without a leader when it
    /// knows none or a linearizable read failed; else up.
    pub fn state(&self) -> MemberState {
        match &self.result {
            Err(_) => MemberState::Down,
            Ok(s) if s.leader == 0 || self.read_error.is_some() => MemberState::UpNoLeader,
            Ok(_) => MemberState::Up,
        }
    }
}

/// Asks one endpoint for its status.
pub async fn status_of(
    opts: &EtcdOptions,
    endpoint: &str,
) -> (Result<StatusInfo, ClientError>, Duration) {
    let t0 = Instant::now();
    let r = async {
        let mut c = opts.connect_to(&[endpoint.to_string()]).await?;
        let resp = opts.call(endpoint, c.status()).await?;
        Ok(StatusInfo {
            id: resp.header().map_or(0, |h| h.member_id()),
            version: resp.version().to_string(),
            db_size: resp.db_size(),
            db_size_in_use: resp.raft_used_db_size(),
            leader: resp.leader(),
            is_learner: resp.is_learner(),
            raft_term: resp.raft_term(),
            raft_index: resp.raft_index(),
            raft_applied_index: resp.raft_applied_index(),
            errors: resp.errors().to_vec(),
        })
    }
    .await;
    (r, t0.elapsed())
}

/// Status of every member, concurrently, in member-list order; with
/// `linearizable`, each member that answers also gets a linearizable
/// count-only read (so a member that is up but cut from the leader shows
/// as such).
pub async fn status_all_checked(
    opts: &EtcdOptions,
    cluster: &Cluster,
    linearizable: bool,
) -> Vec<MemberStatus> {
    let mut rows = status_all(opts, cluster).await;
    if !linearizable {
        return rows;
    }
    let mut set = JoinSet::new();
    for (i, r) in rows.iter().enumerate() {
        if r.result.is_ok() {
            let opts = opts.clone();
            let ep = r.endpoint.clone();
            set.spawn(async move { (i, linearizable_read(&opts, &ep).await.err()) });
        }
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((i, Some(e))) = joined
            && let Some(r) = rows.get_mut(i)
        {
            r.read_error = Some(e);
        }
    }
    rows
}

/// A linearizable count-only read of the key `health`, as `etcdctl
/// endpoint health` does (permission denied counts: the read went
/// through raft).
async fn linearizable_read(opts: &EtcdOptions, ep: &str) -> Result<(), ClientError> {
    let mut c = opts.connect_to(&[ep.to_string()]).await?;
    match opts
        .call(
            ep,
            c.get("health", Some(GetOptions::new().with_count_only())),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(ClientError::Etcd { message, .. }) if message.contains("permission denied") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Status of every member, concurrently, in member-list order.
pub async fn status_all(opts: &EtcdOptions, cluster: &Cluster) -> Vec<MemberStatus> {
    let mut set = JoinSet::new();
    for (i, m) in cluster.members.iter().enumerate() {
        let opts = opts.clone();
        let m = m.clone();
        set.spawn(async move {
            let Some(ep) = m.endpoint().map(str::to_string) else {
                return (
                    i,
                    MemberStatus {
                        endpoint: String::new(),
                        result: Err(unstarted(&m)),
                        member: m,
                        latency: Duration::ZERO,
                        read_error: None,
                    },
                );
            };
            let (mut result, latency) = status_of(&opts, &ep).await;
            if let Err(e) = result {
                result = Err(opts.explain(e).await);
            }
            (
                i,
                MemberStatus {
                    member: m,
                    endpoint: ep,
                    result,
                    latency,
                    read_error: None,
                },
            )
        });
    }
    collect_ordered(set, cluster.members.len()).await
}

fn unstarted(m: &Member) -> ClientError {
    ClientError::Etcd {
        endpoint: m.label(),
        message: "unstarted: added to the cluster but never started".into(),
    }
}

async fn collect_ordered<T: 'static>(mut set: JoinSet<(usize, T)>, n: usize) -> Vec<T> {
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, v)) = joined {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(v);
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// What the rows say together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The leader at the highest term any member reports, if any.
    pub leader: Option<u64>,
    pub term: u64,
    /// True when the leader itself answered and says it leads.
    pub leader_confirmed: bool,
    /// Voting members (not learners) that answered.
    pub answering: usize,
    /// Voting members.
    pub voting: usize,
    /// Majority of the voting members.
    pub needed: usize,
    /// Members that see another leader or term than the verdict's.
    pub disagreements: Vec<String>,
}

impl Verdict {
    pub fn has_quorum(&self) -> bool {
        self.voting > 0 && self.answering >= self.needed
    }

    /// Exit-worthy: no leader, or no quorum.
    pub fn healthy(&self) -> bool {
        self.leader.is_some() && self.has_quorum()
    }
}

/// Folds status rows into leader, quorum and disagreement.
pub fn verdict(rows: &[MemberStatus], cluster: &Cluster) -> Verdict {
    let voting = rows.iter().filter(|r| !r.member.is_learner).count();
    let answering = rows
        .iter()
        .filter(|r| !r.member.is_learner && r.result.is_ok())
        .count();
    let ok: Vec<&StatusInfo> = rows.iter().filter_map(|r| r.result.as_ref().ok()).collect();
    let best = ok
        .iter()
        .filter(|s| s.leader != 0)
        .max_by_key(|s| (s.raft_term, s.is_leader()))
        .map(|s| (s.leader, s.raft_term));
    let (leader, term) = match best {
        Some((l, t)) => (Some(l), t),
        None => (None, ok.iter().map(|s| s.raft_term).max().unwrap_or(0)),
    };
    let leader_confirmed = leader.is_some_and(|l| ok.iter().any(|s| s.id == l && s.is_leader()));
    let mut disagreements = Vec::new();
    for r in rows {
        if let Ok(s) = &r.result {
            if Some(s.leader).filter(|l| *l != 0) != leader || s.raft_term != term {
                let who = if s.leader == 0 {
                    "no leader".to_string()
                } else {
                    format!("leader {}", cluster.describe(s.leader))
                };
                disagreements.push(format!(
                    "{} sees {who} at term {}",
                    r.member.label(),
                    s.raft_term
                ));
            }
        }
    }
    Verdict {
        leader,
        term,
        leader_confirmed,
        answering,
        voting,
        needed: voting / 2 + 1,
        disagreements,
    }
}

/// One member's health, like `etcdctl endpoint health`.
#[derive(Debug, Clone)]
pub struct MemberHealth {
    pub member: Member,
    pub endpoint: String,
    pub healthy: bool,
    pub took: Duration,
    pub error: Option<String>,
    /// The full error when the member could not be reached.
    pub client_error: Option<ClientError>,
    /// Up (healthy or alarmed), up but without a leader (answers Status,
    /// the read does not go through), or down (no answer at all).
    pub state: MemberState,
}

/// A linearizable read of the key `health` (permission denied counts as
/// healthy: the member answered through raft), then the alarm list, for
/// every member at once.
pub async fn health_all(opts: &EtcdOptions, cluster: &Cluster) -> Vec<MemberHealth> {
    let mut set = JoinSet::new();
    for (i, m) in cluster.members.iter().enumerate() {
        let opts = opts.clone();
        let m = m.clone();
        set.spawn(async move {
            let Some(ep) = m.endpoint().map(str::to_string) else {
                let e = unstarted(&m);
                return (
                    i,
                    MemberHealth {
                        member: m,
                        endpoint: String::new(),
                        healthy: false,
                        took: Duration::ZERO,
                        error: Some(e.short()),
                        client_error: Some(e),
                        state: MemberState::Down,
                    },
                );
            };
            let h = health_of(&opts, &ep).await;
            let (healthy, took, error, client_error, state) = match h {
                Ok((took, None)) => (true, took, None, None, MemberState::Up),
                Ok((took, Some(alarm))) => (false, took, Some(alarm), None, MemberState::Up),
                Err((took, e)) => {
                    let e = opts.explain(e).await;
                    // Did the read fail because the member is gone, or
                    // because it cannot reach a leader? Status says.
                    let state = if e.is_no_answer() {
                        match status_of(&opts, &ep).await.0 {
                            Ok(_) => MemberState::UpNoLeader,
                            Err(_) => MemberState::Down,
                        }
                    } else {
                        MemberState::Down
                    };
                    let error = match state {
                        MemberState::UpNoLeader => format!(
                            "up, but no leader: the member answers, a linearizable read does \
                             not go through ({})",
                            e.short()
                        ),
                        _ => e.short(),
                    };
                    (false, took, Some(error), Some(e), state)
                }
            };
            (
                i,
                MemberHealth {
                    member: m,
                    endpoint: ep,
                    healthy,
                    took,
                    error,
                    client_error,
                    state,
                },
            )
        });
    }
    collect_ordered(set, cluster.members.len()).await
}

/// `Ok((took, None))` healthy; `Ok((took, Some(alarm)))` answering but
/// alarmed; `Err` no usable answer.
async fn health_of(
    opts: &EtcdOptions,
    ep: &str,
) -> Result<(Duration, Option<String>), (Duration, ClientError)> {
    let t0 = Instant::now();
    let mut c = opts
        .connect_to(&[ep.to_string()])
        .await
        .map_err(|e| (t0.elapsed(), e))?;
    let r = opts
        .call(
            ep,
            c.get("health", Some(GetOptions::new().with_count_only())),
        )
        .await;
    let took = t0.elapsed();
    match r {
        Ok(_) => {}
        Err(ClientError::Etcd { message, .. }) if message.contains("permission denied") => {}
        Err(e) => return Err((took, e)),
    }
    match opts
        .call(ep, c.alarm(AlarmAction::Get, AlarmType::None, None))
        .await
    {
        Ok(resp) if !resp.alarms().is_empty() => {
            let list: Vec<String> = resp
                .alarms()
                .iter()
                .map(|a| format!("{:?} on {:x}", a.alarm(), a.member_id()))
                .collect();
            Ok((took, Some(format!("active alarm(s): {}", list.join(", ")))))
        }
        Ok(_) => Ok((took, None)),
        Err(e) => Err((t0.elapsed(), e)),
    }
}

/// What `move-leader` did.
#[derive(Debug, Clone)]
pub struct MoveReport {
    pub previous_leader: u64,
    pub previous_term: u64,
    pub leader: u64,
    /// The term at which the target was seen leading (0 if not confirmed).
    pub term: u64,
    /// The MoveLeader call, sent to the old leader.
    pub took: Duration,
    /// Until the target answered that it leads.
    pub confirmed_after: Option<Duration>,
    /// True when the target already led (nothing was done).
    pub already: bool,
}

/// Why leadership could not be moved.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("no member answers as leader; nothing to move ({0})")]
    NoLeader(String),
    #[error("no member named or numbered {0:?} (members: {1})")]
    UnknownTarget(String, String),
    #[error("{0} is a learner and cannot lead")]
    Learner(String),
    #[error("no follower can take over: {0}")]
    NoFollower(String),
    #[error("target {0} does not answer: {1}")]
    TargetDown(String, String),
    #[error("move-leader to {target} failed: {error}")]
    Call { target: String, error: ClientError },
}

impl MoveError {
    /// A target that cannot lead is the user's to change; the rest is
    /// the cluster's.
    pub fn blame(&self) -> Blame {
        match self {
            MoveError::UnknownTarget(..) | MoveError::Learner(_) => Blame::Invocation,
            _ => Blame::Observed,
        }
    }
}

/// Moves leadership to `to` (name or hex id) or, without it, to the most
/// up-to-date follower (highest applied index, then raft index).
pub async fn move_leader(
    opts: &EtcdOptions,
    cluster: &Cluster,
    to: Option<&str>,
) -> Result<MoveReport, MoveError> {
    let rows = status_all(opts, cluster).await;
    let (leader_row, old, old_term) = rows
        .iter()
        .find_map(|r| match &r.result {
            Ok(s) if s.is_leader() => Some((r, s.id, s.raft_term)),
            _ => None,
        })
        .ok_or_else(|| {
            let why: Vec<String> = rows
                .iter()
                .map(|r| match &r.result {
                    Ok(s) => format!("{}: leader {:x}", r.member.label(), s.leader),
                    Err(e) => format!("{}: {}", r.member.label(), e.short()),
                })
                .collect();
            MoveError::NoLeader(why.join("; "))
        })?;
    let target = match to {
        Some(name) => {
            let m = cluster.find(name).ok_or_else(|| {
                MoveError::UnknownTarget(
                    name.to_string(),
                    cluster
                        .members
                        .iter()
                        .map(|m| format!("{} {:x}", m.label(), m.id))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
            if m.is_learner {
                return Err(MoveError::Learner(m.label()));
            }
            if m.id == old {
                return Ok(MoveReport {
                    previous_leader: old,
                    previous_term: old_term,
                    leader: old,
                    term: old_term,
                    took: Duration::ZERO,
                    confirmed_after: Some(Duration::ZERO),
                    already: true,
                });
            }
            let row = rows.iter().find(|r| r.member.id == m.id);
            if let Some(MemberStatus { result: Err(e), .. }) = row {
                return Err(MoveError::TargetDown(m.label(), e.short()));
            }
            m.clone()
        }
        None => rows
            .iter()
            .filter(|r| !r.member.is_learner && r.member.id != old)
            .filter_map(|r| r.result.as_ref().ok().map(|s| (r, s)))
            .max_by_key(|(r, s)| {
                (
                    s.raft_applied_index,
                    s.raft_index,
                    std::cmp::Reverse(r.member.id),
                )
            })
            .map(|(r, _)| r.member.clone())
            .ok_or_else(|| MoveError::NoFollower("no other voting member answers".into()))?,
    };
    let ep = leader_row.endpoint.clone();
    // etcd waits for the transfer to finish (up to about an election
    // timeout); allow that even with a short --timeout.
    let call_opts = EtcdOptions {
        timeout: opts.timeout.max(Duration::from_secs(5)),
        ..opts.clone()
    };
    let t0 = Instant::now();
    let r = async {
        let mut c = call_opts.connect_to(std::slice::from_ref(&ep)).await?;
        call_opts.call(&ep, c.move_leader(target.id)).await
    }
    .await;
    let took = t0.elapsed();
    if let Err(error) = r {
        return Err(MoveError::Call {
            target: target.label(),
            error,
        });
    }
    // Confirm: the target says it leads.
    let mut term = 0;
    let mut confirmed_after = None;
    if let Some(tep) = target.endpoint() {
        let deadline = Instant::now() + call_opts.timeout;
        while Instant::now() < deadline {
            if let (Ok(s), _) = status_of(opts, tep).await {
                if s.is_leader() {
                    term = s.raft_term;
                    confirmed_after = Some(t0.elapsed());
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(MoveReport {
        previous_leader: old,
        previous_term: old_term,
        leader: target.id,
        term,
        took,
        confirmed_after,
        already: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, name: &str, port: u16) -> Member {
        Member {
            id,
            name: name.into(),
            peer_urls: vec![format!("http://127.0.0.1:{}", port + 1)],
            client_urls: vec![format!("http://127.0.0.1:{port}")],
            is_learner: false,
        }
    }

    fn cluster() -> Cluster {
        Cluster {
            cluster_id: 1,
            members: vec![
                member(0xa, "m1", 2379),
                member(0xb, "m2", 22379),
                member(0xc, "m3", 32379),
            ],
            via: "http://127.0.0.1:2379".into(),
            warnings: vec![],
        }
    }

    fn row(c: &Cluster, i: usize, r: Result<(u64, u64), &str>) -> MemberStatus {
        let m = c.members[i].clone();
        MemberStatus {
            endpoint: m.endpoint().unwrap_or_default().to_string(),
            result: r
                .map(|(leader, term)| StatusInfo {
                    id: m.id,
                    leader,
                    raft_term: term,
                    ..Default::default()
                })
                .map_err(|e| ClientError::Unreachable {
                    endpoint: "x".into(),
                    reason: e.into(),
                }),
            member: m,
            latency: Duration::ZERO,
            read_error: None,
        }
    }

    #[test]
    fn peer_port_is_named() {
        let c = cluster();
        let w = peer_port_warning("http://127.0.0.1:22380", &c.members).unwrap();
        assert!(w.contains("peer port of member m2"), "{w}");
        assert!(w.contains("http://127.0.0.1:22379"), "{w}");
        assert!(peer_port_warning("http://127.0.0.1:2379", &c.members).is_none());
    }

    #[test]
    fn find_by_name_or_hex_id() {
        let c = cluster();
        assert_eq!(c.find("m2").map(|m| m.id), Some(0xb));
        assert_eq!(c.find("c").map(|m| m.id), Some(0xc));
        assert_eq!(c.find("0xa").map(|m| m.id), Some(0xa));
        assert!(c.find("m9").is_none());
    }

    #[test]
    fn verdict_all_agree() {
        let c = cluster();
        let rows = vec![
            row(&c, 0, Ok((0xa, 2))),
            row(&c, 1, Ok((0xa, 2))),
            row(&c, 2, Ok((0xa, 2))),
        ];
        let v = verdict(&rows, &c);
        assert_eq!(v.leader, Some(0xa));
        assert!(v.leader_confirmed && v.healthy());
        assert_eq!((v.answering, v.voting, v.needed), (3, 3, 2));
        assert!(v.disagreements.is_empty());
    }

    #[test]
    fn verdict_one_dead_one_behind() {
        let c = cluster();
        let rows = vec![
            row(&c, 0, Err("refused")),
            row(&c, 1, Ok((0xb, 3))),
            row(&c, 2, Ok((0, 4))),
        ];
        let v = verdict(&rows, &c);
        assert_eq!(v.leader, Some(0xb));
        assert_eq!(v.term, 3);
        assert!(v.has_quorum());
        assert_eq!(
            v.disagreements,
            vec!["m3 sees no leader at term 4".to_string()]
        );
    }

    #[test]
    fn states_tell_down_from_no_leader() {
        let c = cluster();
        assert_eq!(row(&c, 0, Err("refused")).state(), MemberState::Down);
        assert_eq!(row(&c, 1, Ok((0, 7))).state(), MemberState::UpNoLeader);
        assert_eq!(row(&c, 2, Ok((0xa, 7))).state(), MemberState::Up);
        let mut r = row(&c, 2, Ok((0xa, 7)));
        r.read_error = Some(ClientError::Timeout {
            endpoint: "x".into(),
            timeout: Duration::from_secs(1),
        });
        assert_eq!(r.state(), MemberState::UpNoLeader);
        assert_eq!(r.state().words(), "up, no leader");
        assert_eq!(r.state().json(), "up_no_leader");
    }

    #[test]
    fn verdict_no_quorum() {
        let c = cluster();
        let rows = vec![
            row(&c, 0, Err("refused")),
            row(&c, 1, Err("refused")),
            row(&c, 2, Ok((0, 7))),
        ];
        let v = verdict(&rows, &c);
        assert_eq!(v.leader, None);
        assert!(!v.has_quorum() && !v.healthy());
    }
}

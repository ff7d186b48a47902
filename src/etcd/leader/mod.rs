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
//!
//! - this module: what a probe saw and the changes and summary made of it;
//! - `tracker`: [`Tracker`], which folds probes into changes (pure, no
//!   network);
//! - `poll`: [`watch`], the per-member polling that feeds it;
//! - `render`: each change and the summary as a line for people and as
//!   JSON.

use std::time::{Duration, Instant};

use crate::timestamp::Timestamp;

mod poll;
mod render;
mod tracker;

pub use poll::{WatchOptions, now_ts, watch};
pub use tracker::Tracker;

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

#[cfg(test)]
mod tests;

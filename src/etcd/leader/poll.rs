//! [`watch`]: every member polled on its own task (Status every
//! interval, each call bounded by the timeout), the answers fed to a
//! [`Tracker`] and each change handed out as soon as it is known.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Answer, Change, Probe, Summary, Tracker};
use crate::etcd::client::EtcdOptions;
use crate::etcd::cluster::Cluster;
use crate::timestamp::Timestamp;

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

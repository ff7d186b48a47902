//! Watching a prefix: every put and delete, in revision order, from a
//! given revision or from now. When the stream breaks after it was
//! established (a member restarts, the leader changes), the watch is
//! opened again from the revision after the last one seen, so no event is
//! lost or repeated; the first connection failing is an error at once.

use std::time::Duration;

use etcd_client::{Client, KeyValue, WatchOptions};

use super::client::{ClientError, EtcdOptions};
use crate::k8s::key::prefix_end;
use crate::outcome::Blame;

/// One change.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    pub deleted: bool,
    /// For a delete: the key, with `mod_revision` the revision of the
    /// delete and everything else zero.
    pub kv: KeyValue,
}

impl WatchEvent {
    pub fn revision(&self) -> i64 {
        self.kv.mod_revision()
    }
}

/// What the watch reports besides events.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The watch is established at the store's `revision`; events from
    /// `from_revision` follow (after `revision` when watching from now).
    Started { revision: i64, from_revision: i64 },
    /// The stream broke; resuming from `from_revision`.
    Interrupted { reason: String, from_revision: i64 },
}

/// Why the watch stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(
        "revision {wanted} has been compacted; the oldest revision still available is {compact_revision}"
    )]
    Compacted { wanted: i64, compact_revision: i64 },
    #[error("{endpoint}: etcd cancelled the watch: {reason}")]
    Cancelled { endpoint: String, reason: String },
}

impl WatchError {
    /// A compacted start revision is the user's to change; the rest is
    /// the connection's or the cluster's.
    pub fn blame(&self) -> Blame {
        match self {
            WatchError::Client(e) => e.blame(),
            WatchError::Compacted { .. } => Blame::Invocation,
            WatchError::Cancelled { .. } => Blame::Observed,
        }
    }
}

/// What the caller wants after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Watches every key under `prefix` from `start_revision` (0: from now),
/// calling `on_event` for each change and `on_notice` for the rest, until
/// `on_event` says stop. Resumes after broken streams, waiting up to 5 s
/// between attempts.
pub async fn watch_prefix(
    client: &Client,
    opts: &EtcdOptions,
    endpoint: &str,
    prefix: &[u8],
    start_revision: i64,
    mut on_event: impl FnMut(WatchEvent) -> Flow,
    mut on_notice: impl FnMut(Notice),
) -> Result<(), WatchError> {
    let mut next_rev = start_revision;
    let mut established_once = false;
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut wc = client.watch_client();
        let mut wo = WatchOptions::new().with_range(prefix_end(prefix));
        if next_rev > 0 {
            wo = wo.with_start_revision(next_rev);
        }
        let key = if prefix.is_empty() {
            vec![0]
        } else {
            prefix.to_vec()
        };
        let opened = opts.call(endpoint, wc.watch(key, Some(wo))).await;
        let mut stream = match opened {
            Ok(s) => s,
            Err(e) if established_once => {
                on_notice(Notice::Interrupted {
                    reason: e.to_string(),
                    from_revision: next_rev,
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
            Err(e) => return Err(opts.explain(e).await.into()),
        };
        // The first answer confirms the watch (or refuses it).
        let first = opts.call(endpoint, stream.message()).await;
        let broken = |e: String, established_once: bool| {
            if established_once { Ok(e) } else { Err(e) }
        };
        let reason = match first {
            Ok(Some(resp)) => {
                if resp.canceled() {
                    if resp.compact_revision() > 0 {
                        return Err(WatchError::Compacted {
                            wanted: next_rev,
                            compact_revision: resp.compact_revision(),
                        });
                    }
                    return Err(WatchError::Cancelled {
                        endpoint: endpoint.to_string(),
                        reason: resp.cancel_reason().to_string(),
                    });
                }
                let rev = resp.header().map(|h| h.revision()).unwrap_or(0);
                if next_rev == 0 {
                    next_rev = rev + 1;
                }
                if !established_once {
                    on_notice(Notice::Started {
                        revision: rev,
                        from_revision: next_rev,
                    });
                }
                established_once = true;
                backoff = Duration::from_millis(200);
                for ev in resp.events() {
                    if let Some(flow) = deliver(ev.kv(), &mut next_rev, &mut on_event)
                        && flow == Flow::Stop
                    {
                        return Ok(());
                    }
                }
                // Events until the stream ends.
                loop {
                    match stream.message().await {
                        Ok(Some(resp)) => {
                            if resp.canceled() {
                                if resp.compact_revision() > 0 {
                                    return Err(WatchError::Compacted {
                                        wanted: next_rev,
                                        compact_revision: resp.compact_revision(),
                                    });
                                }
                                break format!("cancelled: {}", resp.cancel_reason());
                            }
                            for ev in resp.events() {
                                if let Some(flow) = deliver(ev.kv(), &mut next_rev, &mut on_event)
                                    && flow == Flow::Stop
                                {
                                    return Ok(());
                                }
                            }
                        }
                        Ok(None) => break "the server closed the stream".to_string(),
                        Err(e) => break super::client::classify(endpoint, &e).to_string(),
                    }
                }
            }
            Ok(None) => match broken("the server closed the stream".into(), established_once) {
                Ok(r) => r,
                Err(r) => {
                    return Err(ClientError::Etcd {
                        endpoint: endpoint.to_string(),
                        message: r,
                    }
                    .into());
                }
            },
            Err(e) => match broken(e.to_string(), established_once) {
                Ok(r) => r,
                Err(_) => return Err(opts.explain(e).await.into()),
            },
        };
        on_notice(Notice::Interrupted {
            reason,
            from_revision: next_rev,
        });
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Hands one event over; `None` when there was no key-value in it.
fn deliver(
    kv: Option<&KeyValue>,
    next_rev: &mut i64,
    on_event: &mut impl FnMut(WatchEvent) -> Flow,
) -> Option<Flow> {
    let kv = kv?;
    // A delete carries only the key and the delete's revision
    // (create_revision 0); a put always has create_revision > 0.
    let deleted = kv.create_revision() == 0;
    *next_rev = (*next_rev).max(kv.mod_revision() + 1);
    Some(on_event(WatchEvent {
        deleted,
        kv: kv.clone(),
    }))
}

//! Reads that survive a member that does not answer: one endpoint at a
//! time, in the order given, each call bounded by `--timeout`; when the
//! endpoint in use does not answer (timeout, refused, "no leader"), the
//! same request goes to the next endpoint. A paged walk keeps its pinned
//! revision across the switch, so it stays one consistent snapshot.
//!
//! Why not etcd-client's balanced channel over all endpoints: it spreads
//! calls over every endpoint, so with one member stopped (SIGSTOP: the
//! kernel still accepts the connection, nothing answers) a quarter to a
//! half of the reads waited out their timeout and failed, and the error
//! named whichever endpoint was first.
//!
//! When every endpoint fails, [`diagnose`] asks each member for its
//! Status (served by the member alone, no leader needed) and says whether
//! quorum is lost, which members answer and which do not.
//!
//! [`Consistency`] chooses etcd's read kind: linearizable (through the
//! leader, the newest data) or serializable (whatever the member asked has
//! applied; still answers without quorum), as etcdctl's `--consistency`.

use std::future::Future;

use etcd_client::Client;
use tonic::transport::Channel;

use super::client::{ClientError, EtcdOptions};
use super::cluster;

/// How a read is served, as etcdctl's `--consistency=l|s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consistency {
    /// Confirmed with the leader: the newest data; needs quorum.
    #[default]
    Linearizable,
    /// From the member asked, without the leader: may be stale, and still
    /// answers when quorum is lost.
    Serializable,
}

impl Consistency {
    /// `l`/`linearizable` or `s`/`serializable`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "l" | "linearizable" => Some(Consistency::Linearizable),
            "s" | "serializable" => Some(Consistency::Serializable),
            _ => None,
        }
    }

    pub fn is_serializable(self) -> bool {
        self == Consistency::Serializable
    }
}

/// One connection at a time over the given endpoints, moving on when the
/// one in use does not answer.
pub struct Failover {
    opts: EtcdOptions,
    pos: usize,
    /// The endpoint in use: etcd-client over our channel, and the channel
    /// itself for calls made without etcd-client ([`super::range`]).
    conn: Option<(Client, Channel)>,
    /// Endpoints given up on, with why (in the order tried).
    pub skipped: Vec<ClientError>,
}

impl Failover {
    /// Over `opts.endpoints` in order, each tried once (an endpoint given
    /// twice is not waited for twice).
    pub fn new(opts: &EtcdOptions) -> Self {
        let mut opts = opts.clone();
        let mut seen = std::collections::HashSet::new();
        opts.endpoints.retain(|e| seen.insert(e.clone()));
        Failover {
            opts,
            pos: 0,
            conn: None,
            skipped: Vec::new(),
        }
    }

    /// The endpoint in use (or about to be tried).
    pub fn endpoint(&self) -> &str {
        self.opts
            .endpoints
            .get(self.pos)
            .or(self.opts.endpoints.last())
            .map_or("", String::as_str)
    }

    pub fn options(&self) -> &EtcdOptions {
        &self.opts
    }

    async fn conn(&mut self) -> Result<(Client, Channel), ClientError> {
        if let Some(c) = &self.conn {
            return Ok(c.clone());
        }
        let ep = self.endpoint().to_string();
        let c = self.opts.connect_one(&ep).await?;
        self.conn = Some(c.clone());
        Ok(c)
    }

    /// [`run`](Self::run) for a call made on the channel itself.
    pub async fn run_on_channel<T, F, Fut>(&mut self, mut call: F) -> Result<T, ClientError>
    where
        F: FnMut(Channel) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.run_conn(|(_, channel)| call(channel)).await
    }

    /// Runs `call` against the endpoint in use, then against the next
    /// ones while an endpoint does not answer. Any other error (a
    /// certificate, etcd's own refusal) is returned at once, explained.
    /// When none answers, the error says why ([`diagnose`]).
    pub async fn run<T, F, Fut>(&mut self, mut call: F) -> Result<T, ClientError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.run_conn(|(client, _)| call(client)).await
    }

    async fn run_conn<T, F, Fut>(&mut self, mut call: F) -> Result<T, ClientError>
    where
        F: FnMut((Client, Channel)) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        if self.opts.endpoints.is_empty() {
            return Err(ClientError::NoEndpoints);
        }
        loop {
            let ep = self.endpoint().to_string();
            let r = match self.conn().await {
                Ok(c) => self.opts.call(&ep, call(c)).await,
                Err(e) => Err(e),
            };
            // A connection closed at once may be a TLS mismatch: the probe
            // in `explain` tells (and is skipped for plain timeouts).
            let r = match r {
                Err(e) => Err(self.opts.explain(e).await),
                ok => ok,
            };
            match r {
                Ok(v) => return Ok(v),
                Err(e) if e.is_no_answer() => {
                    self.skipped.push(e);
                    self.conn = None;
                    if self.pos + 1 >= self.opts.endpoints.len() {
                        let skipped = std::mem::take(&mut self.skipped);
                        self.pos = 0;
                        return Err(diagnose(&self.opts, skipped).await);
                    }
                    self.pos += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Why no endpoint answered a read: with the member list (from any
/// member) and each member's Status, either quorum is lost (fewer than a
/// majority of voting members answer), or the endpoints tried and why
/// each failed.
pub async fn diagnose(opts: &EtcdOptions, tried: Vec<ClientError>) -> ClientError {
    // One endpoint: its own error says it all.
    let none = |mut tried: Vec<ClientError>| match (tried.pop(), tried.is_empty()) {
        (Some(only), true) => only,
        (last, _) => ClientError::NoneAnswered {
            tried: tried
                .iter()
                .chain(last.as_ref())
                .map(ToString::to_string)
                .collect(),
        },
    };
    let found = match cluster::discover(opts).await {
        Ok(f) => f,
        // A certificate or protocol problem says more than "no answer".
        Err(e) if e.is_config_problem() => return e,
        Err(_) => return none(tried),
    };
    let rows = cluster::status_all(opts, &found).await;
    let v = cluster::verdict(&rows, &found);
    let mut answering = Vec::new();
    let mut silent = Vec::new();
    for r in rows.iter().filter(|r| !r.member.is_learner) {
        let who = format!("{} ({})", r.member.label(), r.endpoint);
        match &r.result {
            Ok(s) if s.leader == 0 => answering.push(format!("{who} up, no leader")),
            Ok(_) => answering.push(who),
            Err(e) => silent.push(format!("{who}: {}", e.short())),
        }
    }
    if v.voting > 0 && !v.has_quorum() {
        return ClientError::QuorumLost {
            voting: v.voting,
            answering,
            silent,
        };
    }
    none(tried)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistency_words_like_etcdctl() {
        assert_eq!(Consistency::parse("l"), Some(Consistency::Linearizable));
        assert_eq!(Consistency::parse("S"), Some(Consistency::Serializable));
        assert_eq!(
            Consistency::parse("serializable"),
            Some(Consistency::Serializable)
        );
        assert_eq!(Consistency::parse("x"), None);
        assert_eq!(Consistency::default(), Consistency::Linearizable);
    }

    #[test]
    fn no_answer_moves_on_but_a_refusal_does_not() {
        let t = ClientError::Timeout {
            endpoint: "http://a:1".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(t.is_no_answer());
        let nl = ClientError::Etcd {
            endpoint: "http://a:1".into(),
            message: "etcdserver: no leader".into(),
        };
        assert!(nl.is_no_answer());
        let denied = ClientError::Etcd {
            endpoint: "http://a:1".into(),
            message: "etcdserver: permission denied".into(),
        };
        assert!(!denied.is_no_answer());
        assert!(
            !ClientError::NeedsTls {
                endpoint: "e".into()
            }
            .is_no_answer()
        );
    }

    #[test]
    fn quorum_message_lists_both_sides() {
        let e = ClientError::QuorumLost {
            voting: 3,
            answering: vec!["m1 (http://127.0.0.1:2379) up, no leader".into()],
            silent: vec![
                "m2 (http://127.0.0.1:22379): no answer within 1s".into(),
                "m3 (http://127.0.0.1:32379): no answer within 1s".into(),
            ],
        };
        let s = e.to_string();
        assert!(
            s.starts_with("quorum lost: 1 of 3 voting members answer, 2 needed"),
            "{s}"
        );
        assert!(s.contains("answering: m1 (http://127.0.0.1:2379) up, no leader"));
        assert!(s.contains("not answering: m2 (http://127.0.0.1:22379): no answer"));
        assert!(s.contains("--consistency s"));
    }

    #[tokio::test]
    async fn every_endpoint_refused_names_each() {
        // Two ports nothing listens on (bound, then closed).
        let ports: Vec<u16> = (0..2)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .unwrap_or(1)
            })
            .collect();
        let eps: Vec<String> = ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        let opts = EtcdOptions {
            endpoints: eps.clone(),
            cacert: None,
            cert: None,
            key: None,
            timeout: std::time::Duration::from_millis(500),
            kubeadm: None,
        };
        let mut f = Failover::new(&opts);
        let e = f
            .run(|mut c| async move { c.get("x", None).await })
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("no endpoint answered: "), "{e}");
        for ep in &eps {
            assert!(e.contains(ep.as_str()), "{ep} missing from {e}");
        }
        // An endpoint given twice is tried once.
        let twice = EtcdOptions {
            endpoints: vec![eps[0].clone(), eps[0].clone()],
            ..opts.clone()
        };
        let e = Failover::new(&twice)
            .run(|mut c| async move { c.get("x", None).await })
            .await
            .err();
        assert!(matches!(e, Some(ClientError::Unreachable { .. })), "{e:?}");
        // One endpoint: its own error, as before failover existed.
        let one = EtcdOptions {
            endpoints: eps[..1].to_vec(),
            ..opts
        };
        let e = Failover::new(&one)
            .run(|mut c| async move { c.get("x", None).await })
            .await
            .err();
        assert!(
            matches!(&e, Some(ClientError::Unreachable { endpoint, .. }) if *endpoint == eps[0]),
            "{e:?}"
        );
    }
}

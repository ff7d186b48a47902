//! etcd: a client over etcd-client (plain or mutual TLS), status across all
//! members, leader watch and leadership transfer, key listing.
//!
//! - [`client`]: connection options like etcdctl's, one clear error per failure;
//! - [`cluster`]: member discovery, status, health, move-leader;
//! - [`leader`]: the leader watch (changes, time without a leader, latency);
//!   [`leader_picture`] draws it;
//! - [`table`]: boxed tables like `etcdctl -w table`;
//! - [`failover`]: reads that move on to the next endpoint when one does not
//!   answer, and the quorum-lost diagnosis;
//! - [`keys`], [`watch`]: paged key walks and prefix watches;
//! - [`range`]: the Range call whose values stay in the received buffer.

pub mod client;
pub mod cluster;
pub mod failover;
pub mod keys;
pub mod leader;
pub mod leader_picture;
pub mod offline;
pub mod range;
pub mod table;
pub mod watch;

pub use client::{ClientError, EtcdOptions};
pub use cluster::{Cluster, Member};

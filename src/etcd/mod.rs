//! etcd: a client over etcd-client (plain or mutual TLS), status across all
//! members, leader watch and leadership transfer, key listing.

pub mod client;

pub use client::{ClientError, EtcdOptions};

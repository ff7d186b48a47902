//! `kinspect etcd ...`: connection flags (etcdctl-compatible) and dispatch.
//! Cluster commands live here; key commands in `etcd_keys.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::{Common, parse_duration, usage_error};
use crate::etcd::EtcdOptions;

/// How to reach etcd; also read from ETCDCTL_* like etcdctl.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// Comma-separated host:port or http(s):// URLs [env: ETCDCTL_ENDPOINTS; default 127.0.0.1:2379]
    #[arg(long, global = true)]
    pub endpoints: Option<String>,
    /// CA bundle to verify the servers [env: ETCDCTL_CACERT]
    #[arg(long, global = true)]
    pub cacert: Option<PathBuf>,
    /// Client certificate (mutual TLS) [env: ETCDCTL_CERT]
    #[arg(long, global = true)]
    pub cert: Option<PathBuf>,
    /// Client key [env: ETCDCTL_KEY]
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// Timeout of every call, e.g. 2s, 500ms
    #[arg(long, global = true, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl ConnArgs {
    pub fn options(&self) -> Result<EtcdOptions, crate::etcd::ClientError> {
        EtcdOptions::from_flags(
            self.endpoints.as_deref(),
            self.cacert.clone(),
            self.cert.clone(),
            self.key.clone(),
            self.timeout,
        )
    }
}

#[derive(Debug, clap::Args)]
pub struct EtcdArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(subcommand)]
    pub command: EtcdCommand,
}

#[derive(Debug, Subcommand)]
pub enum EtcdCommand {
    /// One row per member: version, db size, leader, raft term and index, latency
    Status,
    /// List keys (paged, keys only), grouped by Kubernetes resource under /registry
    Keys(super::etcd_keys::KeysArgs),
}

pub fn run(args: EtcdArgs, common: &Common) -> i32 {
    let opts = match args.conn.options() {
        Ok(o) => o,
        Err(e) => return usage_error(e),
    };
    match args.command {
        EtcdCommand::Status => usage_error("etcd status: not built yet"),
        EtcdCommand::Keys(a) => super::etcd_keys::run_keys(a, &opts, common),
    }
}

//! `kinspect lab etcd up|status|down|kill-leader|restart`.

use clap::Subcommand;

use super::{Common, usage_error};

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// A three-member etcd cluster on loopback
    #[command(subcommand)]
    Etcd(LabEtcdCommand),
}

#[derive(Debug, Subcommand)]
pub enum LabEtcdCommand {
    /// Start the cluster and wait for a leader
    Up,
}

pub fn run(cmd: LabCommand, _common: &Common) -> i32 {
    match cmd {
        LabCommand::Etcd(LabEtcdCommand::Up) => usage_error("lab etcd up: not built yet"),
    }
}

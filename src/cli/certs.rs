//! `kinspect certs check|show|verify|kubelet`.

use clap::Subcommand;

use super::{Common, usage_error};

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Expiry and problems of every certificate under the given paths
    Check,
}

pub fn run(cmd: CertsCommand, _common: &Common) -> i32 {
    match cmd {
        CertsCommand::Check => usage_error("certs check: not built yet"),
    }
}

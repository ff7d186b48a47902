//! `kinspect tls probe HOST:PORT`.

use clap::Subcommand;

use super::{Common, usage_error};

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Connect and show the chain the server presents, verified separately
    Probe,
}

pub fn run(cmd: TlsCommand, _common: &Common) -> i32 {
    match cmd {
        TlsCommand::Probe => usage_error("tls probe: not built yet"),
    }
}

//! The floor for any capture tool: read every record of a capture and decode
//! its headers (pcap-parser + etherparse), with no connection tracking.
//! Prints the packet count and the number of TCP segments.
//!
//! usage: cargo run --release --example bare_read FILE

use std::path::Path;
use std::process::ExitCode;

use kinspect::capture::{FileSource, PacketSource};
use kinspect::net::{Transport, decode};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bare_read FILE");
        return ExitCode::from(2);
    };
    let mut src = match FileSource::open(Path::new(&path)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (mut packets, mut tcp) = (0u64, 0u64);
    loop {
        match src.advance() {
            Ok(true) => {
                packets += 1;
                if let Ok(d) = decode(&src.current()) {
                    if matches!(d.transport, Transport::Tcp(_)) {
                        tcp += 1;
                    }
                }
            }
            Ok(false) => break,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    println!("{packets} packets, {tcp} tcp");
    ExitCode::SUCCESS
}

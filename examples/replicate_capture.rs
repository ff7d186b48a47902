//! Builds a large capture for benchmarks out of a real one: writes `COPIES`
//! copies of `SEED` to `OUT` (pcapng), each copy with its own IPv4
//! addresses (so each copy is a distinct set of connections) and shifted in
//! time after the previous one (so the timeline stays ordered).
//!
//! usage: cargo run --release --example replicate_capture SEED OUT COPIES

use std::path::Path;
use std::process::ExitCode;

use kinspect::capture::writer::{InterfaceStats, PcapngWriter};
use kinspect::capture::{FileSource, LinkType, PacketSource};
use kinspect::timestamp::Timestamp;

/// Offset of the IP header for the link types a seed may have.
fn ip_offset(linktype: LinkType, frame: &[u8]) -> Option<usize> {
    let off = match linktype {
        LinkType::ETHERNET => {
            let mut off = 14;
            while frame.len() >= off && matches!(&frame[off - 2..off], [0x81, 0x00] | [0x88, 0xa8])
            {
                off += 4;
            }
            off
        }
        LinkType::LINUX_SLL => 16,
        LinkType::LINUX_SLL2 => 20,
        LinkType::NULL | LinkType::LOOP => 4,
        LinkType::RAW | LinkType::IPV4 => 0,
        _ => return None,
    };
    (frame.len() >= off + 20 && frame[off] >> 4 == 4).then_some(off)
}

fn rewrite(frame: &mut [u8], ip: usize, copy: u32) {
    let hi = (10 + (copy >> 8)) as u8;
    let lo = (copy & 0xff) as u8;
    for at in [ip + 12, ip + 16] {
        frame[at] = hi;
        frame[at + 1] = lo;
    }
    // IPv4 header checksum over the rewritten header.
    let ihl = usize::from(frame[ip] & 0x0f) * 4;
    if frame.len() < ip + ihl {
        return;
    }
    frame[ip + 10] = 0;
    frame[ip + 11] = 0;
    let mut sum: u32 = 0;
    for pair in frame[ip..ip + ihl].chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    frame[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: replicate_capture SEED OUT COPIES");
        return ExitCode::from(2);
    }
    let copies: u32 = match args[3].parse() {
        Ok(n) if n > 0 && n < 60_000 => n,
        _ => {
            eprintln!("COPIES must be a number between 1 and 59999");
            return ExitCode::from(2);
        }
    };
    // First pass: link type, first and last timestamps.
    let mut src = match FileSource::open(Path::new(&args[1])) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (mut first, mut last, mut linktype) = (None, Timestamp(0), LinkType::ETHERNET);
    while let Ok(true) = src.advance() {
        let p = src.current();
        first.get_or_insert(p.ts);
        last = p.ts;
        linktype = p.linktype;
    }
    let Some(first) = first else {
        eprintln!("{}: no packets", args[1]);
        return ExitCode::from(2);
    };
    let span = last.0 - first.0 + 1_000_000_000;
    let mut out =
        match PcapngWriter::create(Path::new(&args[2]), linktype, 262_144, "replica", None) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("{}: {e}", args[2]);
                return ExitCode::from(2);
            }
        };
    let mut frame = Vec::with_capacity(65_536);
    for copy in 0..copies {
        let mut src = match FileSource::open(Path::new(&args[1])) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let shift = i64::from(copy) * span;
        while let Ok(true) = src.advance() {
            let p = src.current();
            frame.clear();
            frame.extend_from_slice(p.data);
            if let Some(ip) = ip_offset(p.linktype, &frame) {
                rewrite(&mut frame, ip, copy);
            }
            if let Err(e) = out.write_packet(Timestamp(p.ts.0 + shift), p.origlen, &frame) {
                eprintln!("{}: {e}", args[2]);
                return ExitCode::from(2);
            }
        }
    }
    let end = Timestamp(first.0 + i64::from(copies) * span);
    if let Err(e) = out.finish(end, InterfaceStats::default()) {
        eprintln!("{}: {e}", args[2]);
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

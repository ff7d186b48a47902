//! Any byte string as a capture file (classic pcap in every variant, or
//! pcapng): opening and reading must return packets or an error, never
//! panic, and must always make progress (no endless loop on a zero-length
//! record).

#![no_main]

use std::io::Cursor;
use std::path::Path;

use kinspect::capture::{FileSource, PacketSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut src = match FileSource::from_reader(Path::new("fuzz"), Cursor::new(data)) {
        Ok(s) => s,
        Err(e) => {
            // Only header errors may stop a file before any packet.
            assert!(!e.is_partial(), "header failure reported as partial: {e}");
            let _ = e.to_string();
            return;
        }
    };
    let total = data.len() as u64;
    let mut last_offset = src.progress().0;
    assert!(last_offset <= total, "header offset {last_offset} beyond {total}");
    // Every packet record is at least 12 bytes long, so a file cannot hold
    // more packets than this: anything beyond means advance() is looping.
    let max_packets = total / 12 + 1;
    let mut n: u64 = 0;
    loop {
        match src.advance() {
            Ok(true) => {
                n += 1;
                assert!(n <= max_packets, "more packets ({n}) than the file can hold");
                let p = src.current();
                // Touch every field; the data slice must lie inside the file.
                assert!(p.data.len() as u64 <= total);
                let _ = (p.ts, p.linktype.name(), p.is_truncated());
                let _ = p.ts.to_string();
                let off = src.progress().0;
                assert!(off > last_offset, "advance() returned a packet without consuming input");
                assert!(off <= total, "offset {off} beyond the end of a {total}-byte file");
                last_offset = off;
                assert_eq!(src.packets(), n);
            }
            Ok(false) => break,
            Err(e) => {
                assert!(e.is_partial(), "error after the header is not partial: {e}");
                let _ = e.to_string();
                break;
            }
        }
    }
});

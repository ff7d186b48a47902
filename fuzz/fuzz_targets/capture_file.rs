//! Any byte string as a capture file (classic pcap in every variant, or
//! pcapng): opening and reading must return packets or an error, never
//! panic, and must always make progress (no endless loop on a zero-length
//! record).
//!
//! The same bytes are read twice: from a `Cursor` (one read fills the
//! buffer) and from a reader that hands out a few bytes per call and
//! sometimes fails with `Interrupted`, as pipes and sockets do. Both must
//! give the same packets and the same error. The bytes are also written to
//! a file and read through a memory map (the fast path nearly every packet
//! of a large file takes), which must give them too.

#![no_main]

use std::io::{self, Cursor, Read};
use std::path::Path;

use kinspect::capture::{CaptureError, FileSource, PacketSource};
use libfuzzer_sys::fuzz_target;

/// A reader returning at most `chunk` bytes per call, and `Interrupted`
/// every third call.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
    calls: u32,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// (ts, linktype, origlen, data) of each packet, then the error if any.
type Outcome = (Vec<(i64, u32, u32, Vec<u8>)>, Option<String>);

fn read_all<R: Read>(data: &[u8], reader: R) -> Outcome {
    drain(data, FileSource::from_reader(Path::new("fuzz"), reader))
}

fn drain<R: Read>(data: &[u8], opened: Result<FileSource<R>, CaptureError>) -> Outcome {
    let mut packets = Vec::new();
    let mut src = match opened {
        Ok(s) => s,
        Err(e) => {
            // Only header errors may stop a file before any packet.
            assert!(!e.is_partial(), "header failure reported as partial: {e}");
            return (packets, Some(e.to_string()));
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
                assert!(p.data.len() as u64 <= total);
                let _ = (p.linktype.name(), p.is_truncated(), p.ts.to_string());
                let off = src.progress().0;
                assert!(off > last_offset, "advance() returned a packet without consuming input");
                assert!(off <= total, "offset {off} beyond the end of a {total}-byte file");
                last_offset = off;
                assert_eq!(src.packets(), n);
                packets.push((p.ts.0, p.linktype.0, p.origlen, p.data.to_vec()));
            }
            Ok(false) => return (packets, None),
            Err(e) => {
                assert!(e.is_partial(), "error after the header is not partial: {e}");
                return (packets, Some(e.to_string()));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(data, Cursor::new(data));
    let trickle = Trickle {
        data,
        chunk: data.len() % 61 + 1,
        calls: 0,
    };
    let pieces = read_all(data, trickle);
    assert_eq!(whole.0.len(), pieces.0.len(), "packet count depends on read sizes");
    assert!(whole.0 == pieces.0, "packets depend on read sizes");
    assert_eq!(whole.1, pieces.1, "error depends on read sizes");

    // The same bytes mapped (from a file of this process's own).
    let path = std::env::temp_dir().join(format!("kinspect-fuzz-{}.cap", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let mut mapped = drain(data, FileSource::open_mapped(&path));
        let shown = path.display().to_string();
        mapped.1 = mapped.1.map(|e| e.replace(&shown, "fuzz"));
        assert_eq!(whole.0.len(), mapped.0.len(), "packet count differs when mapped");
        assert!(whole.0 == mapped.0, "packets differ when mapped");
        assert_eq!(whole.1, mapped.1, "error differs when mapped");
        let _ = std::fs::remove_file(&path);
    }
});

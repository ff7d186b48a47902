//! etcd's write-ahead log on any bytes: frames, walpb records, the CRC-32C
//! chain, entries, hard states and conf changes decode or stop with an
//! error, never panic; the per-term fold accepts whatever decodes.

#![no_main]

use kinspect::etcd::offline::wal::{ConfChange, Record, Terms, decode_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (records, _err) = decode_bytes(data);
    let mut terms = Terms::default();
    for r in &records {
        terms.add(r);
        if let Record::Entry { data, .. } = r {
            let _ = ConfChange::decode(data);
        }
    }
    let _ = terms.summaries().count();
    // The bytes as a record body and as a conf change, without framing.
    let _ = ConfChange::decode(data);
});

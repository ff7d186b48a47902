//! The gRPC message reader on any bytes: never a panic, the same messages
//! whatever the split, message lengths add up to no more than the input,
//! no kept body is longer than `MAX_MESSAGE`, and the shared budget is
//! always given back. After a loss (`lose_sync`) the bytes are fed as
//! DATA frames of the chunk size: the first message reported after the
//! loss must fit in the frame it began in (no length from mid-message
//! bytes), and the budget is still given back.
//!
//! Input: byte 0 picks the chunk size; the rest is one direction of a
//! gRPC stream's DATA.

#![no_main]

use kinspect::proto::grpc::{MAX_MESSAGE, MessageReader, PREFIX_LEN};
use libfuzzer_sys::fuzz_target;

fn read(bytes: &[u8], chunk: usize) -> (Vec<(bool, u32, Option<Vec<u8>>)>, u64, u64) {
    let mut r = MessageReader::new();
    let mut out = Vec::new();
    // A small budget, so that skipping for want of budget is exercised.
    let mut budget = 64;
    for c in bytes.chunks(chunk) {
        r.feed(c, &mut budget, &mut |m| {
            if let Some(b) = m.body {
                assert!(b.len() <= MAX_MESSAGE);
                assert_eq!(b.len() as u64, u64::from(m.length));
            }
            out.push((m.compressed, m.length, m.body.map(|b| b.to_vec())));
        });
    }
    let mut left = budget;
    r.release(&mut left);
    assert_eq!(left, 64, "budget not given back");
    (out, r.messages, r.bytes)
}

/// Half the bytes, a loss, then the rest as frames of `chunk` bytes.
fn after_loss(bytes: &[u8], chunk: usize) {
    let mut r = MessageReader::new();
    let mut budget = 64;
    let (before, after) = bytes.split_at(bytes.len() / 2);
    r.feed(before, &mut budget, &mut |_| {});
    r.lose_sync(&mut budget);
    let mut first: Option<u32> = None;
    for frame in after.chunks(chunk) {
        r.frame_start(frame.len());
        let resyncing = r.unsynced();
        r.feed(frame, &mut budget, &mut |m| {
            if resyncing && first.is_none() {
                first = Some(m.length);
                assert!(
                    m.length as usize + PREFIX_LEN <= frame.len(),
                    "length {} read after a loss does not fit its frame of {}",
                    m.length,
                    frame.len()
                );
            }
        });
    }
    let mut left = budget;
    r.release(&mut left);
    assert_eq!(left, 64, "budget not given back after a loss");
}

fuzz_target!(|data: &[u8]| {
    let Some((&c, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(c).max(1);
    after_loss(rest, chunk);
    let whole = read(rest, usize::MAX);
    let pieces = read(rest, chunk);
    assert_eq!(
        whole, pieces,
        "messages depend on the split (chunk {chunk})"
    );
    let (msgs, count, bytes) = whole;
    assert_eq!(msgs.len() as u64, count);
    assert!(bytes + count * PREFIX_LEN as u64 <= rest.len() as u64);
});

//! rafthttp stream framing (`StreamDecoder`, message stream and msgappv2)
//! on any bytes: never a panic, the same frames whether fed whole or split
//! at every `step` bytes (the first input byte picks the kind and step),
//! and at most one frame held (`buffered()` ≤ `MAX_FRAME` + 17 + one
//! piece).

#![no_main]

use kinspect::proto::raft::rafthttp::{MAX_FRAME, StreamDecoder, StreamKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&c, body)) = data.split_first() else {
        return;
    };
    let kind = if c & 1 == 0 {
        StreamKind::Message
    } else {
        StreamKind::MsgAppV2
    };
    let step = (c >> 1) as usize + 1;
    let mut whole = StreamDecoder::new(kind);
    let mut a = Vec::new();
    whole.push(body, &mut a);
    let mut split = StreamDecoder::new(kind);
    let mut b = Vec::new();
    for piece in body.chunks(step) {
        split.push(piece, &mut b);
        assert!(
            split.buffered() <= MAX_FRAME + 17 + step,
            "{} bytes buffered",
            split.buffered()
        );
    }
    assert_eq!(a, b, "frames differ between whole and {step}-byte pieces");
});

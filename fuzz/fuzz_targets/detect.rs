//! `proto::detect` on any first bytes: never a panic, decided once the
//! detection window is full, and stable as bytes arrive (the connection
//! table calls it again on a growing prefix: a verdict reached on a prefix
//! must not change when more bytes come).

#![no_main]

use kinspect::proto::detect::DETECT_WINDOW;
use kinspect::proto::{Detection, detect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = detect(data);
    if data.len() >= DETECT_WINDOW {
        assert_ne!(full, Detection::NeedMore, "still undecided after {} bytes", data.len());
    }
    if data.is_empty() {
        assert_eq!(full, Detection::NeedMore);
    }
    for k in 0..data.len().min(DETECT_WINDOW + 1) {
        let v = detect(&data[..k]);
        if v != Detection::NeedMore {
            assert_eq!(v, full, "verdict on the first {k} bytes changed with more bytes");
        }
    }
});

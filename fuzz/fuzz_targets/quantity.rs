//! Any bytes as a Kubernetes resource quantity
//! (`k8s::day2::quantity::Quantity::parse`): never a panic; an accepted
//! quantity's canonical form parses back to the same amount and is stable;
//! `Value()`/`MilliValue()` and sums never panic.

#![no_main]

use kinspect::k8s::day2::quantity::Quantity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = Quantity::parse(s) {
        let c = q.to_string();
        let back = Quantity::parse(&c).expect("canonical form parses");
        assert_eq!(back.nanos(), q.nanos(), "{s:?} -> {c:?}");
        assert_eq!(back.to_string(), c, "{s:?}: canonical form not stable");
        let _ = q.value();
        let _ = q.milli_value();
        let _ = q.checked_add(&back);
        let _ = q.saturating_add(&back);
    }
});

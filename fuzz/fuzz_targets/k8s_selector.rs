//! Any text as a `-l` label selector (`k8s::selector::Selector::parse`):
//! never a panic; an accepted selector prints as text that parses back
//! to the same selector (printing is a fixed point), and matching any
//! label map is total. Errors name a position inside the input.

#![no_main]

use std::collections::BTreeMap;

use kinspect::k8s::selector::Selector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Selector::parse(&text) {
        Ok(sel) => {
            let printed = sel.to_string();
            let again = Selector::parse(&printed)
                .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(again, sel, "{text:?} -> {printed:?}");
            assert_eq!(again.to_string(), printed);
            // Labels built from the selector's own keys and values.
            let mut labels = BTreeMap::new();
            for r in &sel.requirements {
                if let Some(v) = r.values.first() {
                    labels.insert(r.key.clone(), v.clone());
                }
            }
            let _ = sel.matches(&labels);
            let _ = sel.matches(&BTreeMap::new());
        }
        Err(e) => assert!(e.position <= text.len(), "{e}"),
    }
});

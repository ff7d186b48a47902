//! The whole packet pipeline on synthetic and damaged captures: the harness
//! is `kinspect::fuzzing::flow_table` (its documentation gives the input
//! layout and the checks), so it compiles and is unit-tested with the crate.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = kinspect::fuzzing::flow_table::flow_table(data);
});

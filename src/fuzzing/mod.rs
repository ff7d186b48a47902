//! Fuzz targets' harnesses that are more than a call: they build their
//! input, run it through the library and check its promises, panicking on
//! the first one broken. They live in the crate, as rustls keeps its own
//! under `internal::fuzzing`, so they compile with every build of the
//! tests and a unit test runs each over real captures; the targets in
//! `fuzz/fuzz_targets/` are one line. Compiled for the crate's tests and
//! with the `fuzzing` feature (fuzz/Cargo.toml turns it on); not an API.

pub mod flow_table;

#[cfg(test)]
mod tests;

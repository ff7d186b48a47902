//! The command-line tests that need only the built binary, the
//! repository's files and a few tools (openssl, `script`): one test binary
//! with a module per file, linked once instead of fourteen times. Tests
//! that hold a port, a network interface or an etcd cluster stay binaries
//! of their own (tests/*.rs), where their isolation is real.

#[path = "../common/mod.rs"]
mod common;

mod certs_bad_input;
mod certs_corpus;
mod certs_kubelet;
mod certs_scenarios;
mod certs_show;
mod certs_verify;
mod cli_color;
mod cli_flags;
mod cli_generate;
mod cli_help;
mod cli_output;
mod fixtures_over_time;
mod json_shapes;
mod term_fit;

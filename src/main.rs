//! The `kinspect` binary: everything lives in the library; see `kinspect --help`.

fn main() {
    std::process::exit(kinspect::cli::main());
}

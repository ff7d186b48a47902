//! The `kinspect` binary: everything lives in the library; see `kinspect --help`.

/// mimalloc: the packet pipeline makes and drops many small values (events,
/// dissector buffers) on several threads, and decoding stored objects
/// builds a tree per object, both of which glibc's malloc handled slowly
/// (docs/performance.md; malloc/free were a fifth of `etcd get -o yaml`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Before the first allocation (an ELF constructor runs before Rust's
/// runtime starts): mimalloc commits memory as it is used
/// (`mi_option_arena_eager_commit` = 0, mimalloc.h), which keeps the peak
/// RSS where glibc's malloc had it on kernels with transparent huge pages.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static MIMALLOC_OPTIONS: extern "C" fn() = {
    extern "C" fn set() {
        const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
        // SAFETY: sets a process-wide mimalloc option; no pointer is involved.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
    }
    set
};

fn main() {
    let code = kinspect::cli::main();
    // The work is done: no purge of freed memory at exit (mimalloc's exit
    // handler otherwise hands every freed page back with madvise, about a
    // millisecond after a large capture, which the process's end does
    // anyway). `mi_option_purge_delay` = -1: never purge (mimalloc.h).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets a process-wide mimalloc option; no pointer is involved.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    std::process::exit(code);
}

//! How long a cache line takes to go from one core to another and back:
//! two threads, each pinned to its own core, hand a counter back and forth
//! through one atomic word. Prints the median round trip of several rounds.
//!
//! On a virtual machine the figure can change from one minute to the next:
//! the host places the virtual CPUs on nearby cores (sharing a cache) or on
//! distant ones. Everything that passes data between threads (the reader
//! and the tracking thread of `pcap flows`) pays it, so
//! scripts/bench-vs-tshark prints it beside its timings.
//!
//! usage: cargo run --release --example core_latency [CORE_A CORE_B]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

/// Hand-offs per round, and rounds.
const TRIPS: u64 = 20_000;
const ROUNDS: usize = 7;

/// Pins the calling thread to one core; false if the kernel refused.
fn pin(core: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside
    // it (core is checked against its size), and sched_setaffinity reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if core >= 8 * std::mem::size_of::<libc::cpu_set_t>() {
            return false;
        }
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

fn main() -> ExitCode {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (a, b) = match args.as_slice() {
        [] => (0, 1),
        [a, b] => (*a, *b),
        _ => {
            eprintln!("usage: core_latency [CORE_A CORE_B]");
            return ExitCode::from(2);
        }
    };
    // Both threads spin: on one core they would only take turns.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || a == b {
        eprintln!("core_latency: needs two cores ({cores} available, asked for {a} and {b})");
        return ExitCode::from(2);
    }
    let word = Arc::new(AtomicU64::new(0));
    // The other thread's pinning: 0 not yet, 1 done, 2 refused.
    let pinned = Arc::new(AtomicU8::new(0));
    let (theirs, their_pin) = (word.clone(), pinned.clone());
    // Spawned before this thread pins itself (a thread starts with its
    // parent's cores).
    let other = std::thread::spawn(move || {
        if !pin(b) {
            their_pin.store(2, Ordering::Release);
            return;
        }
        their_pin.store(1, Ordering::Release);
        // Answers each odd value with the next even one.
        for i in 0..TRIPS * ROUNDS as u64 {
            while theirs.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            theirs.store(2 * i + 2, Ordering::Release);
        }
    });
    let refused = loop {
        match pinned.load(Ordering::Acquire) {
            0 => std::thread::yield_now(),
            state => break state == 2,
        }
    };
    if refused {
        let _ = other.join();
        eprintln!("core_latency: cannot run on core {b}");
        return ExitCode::from(2);
    }
    if !pin(a) {
        eprintln!("core_latency: cannot run on core {a}");
        // The other thread waits for a first value that never comes.
        std::process::exit(2);
    }
    let mut rounds = Vec::with_capacity(ROUNDS);
    for r in 0..ROUNDS as u64 {
        let t = Instant::now();
        for i in r * TRIPS..(r + 1) * TRIPS {
            word.store(2 * i + 1, Ordering::Release);
            while word.load(Ordering::Acquire) != 2 * i + 2 {
                std::hint::spin_loop();
            }
        }
        rounds.push(t.elapsed().as_nanos() as f64 / TRIPS as f64);
    }
    let _ = other.join();
    rounds.sort_by(f64::total_cmp);
    println!(
        "core {a} <-> core {b}: round trip {:.0} ns (median of {ROUNDS} rounds of {TRIPS})",
        rounds[ROUNDS / 2]
    );
    ExitCode::SUCCESS
}

//! `k8s why -A` over a generated stored cluster of 1,000 nodes and 30,000
//! Pods (300 Pending: half too big for any node, half held by a
//! nodeSelector; 600 in CrashLoopBackOff): the scheduler filters run for
//! every Pending Pod against every node. Target: under 2 s on one core,
//! 256 MiB.
//!
//! Measured 2026-12-06 (`taskset -c 0`, the 2-core machine at load ~9):
//! 483 ms median (428-551 ms); the generated state is 229 MiB resident,
//! the process peak 239 MiB (`/usr/bin/time -v`), `why -A` adding ~4 MiB.
//!
//! `cargo bench --bench day2`

use criterion::{Criterion, criterion_group, criterion_main};
use kinspect::k8s::day2::testkit::generated_cluster;
use kinspect::k8s::day2::why_all;

/// `VmRSS`/`VmHWM` of this process in MiB (Linux), for the memory figure.
fn mem(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn why_all_namespaces(c: &mut Criterion) {
    let state = generated_cluster(1_000, 30_000, 1_780_000_000);
    let before = mem("VmRSS:");
    let once = why_all(&state, None);
    eprintln!(
        "memory: state {before:.0} MiB resident; peak {:.0} MiB after one `why -A` ({} problems)",
        mem("VmHWM:"),
        once.len()
    );
    drop(once);
    let mut g = c.benchmark_group("k8s_why");
    g.sample_size(10);
    g.bench_function("why_-A_1000_nodes_30000_pods", |b| {
        b.iter(|| {
            let r = why_all(std::hint::black_box(&state), None);
            assert_eq!(r.len(), 900);
            r
        })
    });
    g.finish();
}

criterion_group!(benches, why_all_namespaces);
criterion_main!(benches);

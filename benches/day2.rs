//! `k8s why -A` over a generated stored cluster of 1,000 nodes and 30,000
//! Pods (300 Pending: half too big for any node, half held by a
//! nodeSelector; 600 in CrashLoopBackOff): the scheduler filters run for
//! every Pending Pod against every node. Target: under 2 s on one core.
//!
//! `cargo bench --bench day2`

use criterion::{Criterion, criterion_group, criterion_main};
use kinspect::k8s::day2::testkit::generated_cluster;
use kinspect::k8s::day2::why_all;

fn why_all_namespaces(c: &mut Criterion) {
    let state = generated_cluster(1_000, 30_000, 1_780_000_000);
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

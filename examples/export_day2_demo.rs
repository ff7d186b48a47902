//! Prints the Day-2 demo cluster (`kinspect::k8s::day2::testkit::demo_cluster`
//! judged at 2026-01-02T00:00:00Z) as YAML documents, the way
//! `kubectl get -o yaml` shows objects: what `examples/k8s/day2-demo.yaml`
//! is made of.
//!
//! usage: cargo run --example export_day2_demo > examples/k8s/day2-demo.yaml.body

use kinspect::k8s::day2::testkit::demo_cluster;
use kinspect::k8s::render::{RenderOptions, render_object};
use kinspect::k8s::yaml::to_yaml;
use prost::Message;

/// 2026-01-02T00:00:00Z.
const NOW: i64 = 1_767_312_000;

fn main() {
    let c = demo_cluster(NOW);
    let mut objects: Vec<(&str, &str, Vec<u8>)> = Vec::new();
    let mut add = |v: &'static str, k: &'static str, b: Vec<u8>| objects.push((v, k, b));
    for o in &c.namespaces {
        add("v1", "Namespace", o.encode_to_vec());
    }
    for o in &c.nodes {
        add("v1", "Node", o.encode_to_vec());
    }
    for o in &c.leases {
        add("coordination.k8s.io/v1", "Lease", o.encode_to_vec());
    }
    for o in &c.deployments {
        add("apps/v1", "Deployment", o.encode_to_vec());
    }
    for o in &c.replica_sets {
        add("apps/v1", "ReplicaSet", o.encode_to_vec());
    }
    for o in &c.stateful_sets {
        add("apps/v1", "StatefulSet", o.encode_to_vec());
    }
    for o in &c.daemon_sets {
        add("apps/v1", "DaemonSet", o.encode_to_vec());
    }
    for o in &c.jobs {
        add("batch/v1", "Job", o.encode_to_vec());
    }
    for o in &c.cron_jobs {
        add("batch/v1", "CronJob", o.encode_to_vec());
    }
    for o in &c.pods {
        add("v1", "Pod", o.encode_to_vec());
    }
    for o in &c.events {
        add("v1", "Event", o.encode_to_vec());
    }
    let opts = RenderOptions { show_secrets: true };
    for (i, (api_version, kind, raw)) in objects.iter().enumerate() {
        let r = render_object(api_version, kind, raw, 0, &opts)
            .unwrap_or_else(|| panic!("{api_version} {kind} is a built-in kind"));
        assert!(r.problems.is_empty(), "{kind}: {:?}", r.problems);
        if i > 0 {
            println!("---");
        }
        print!("{}", to_yaml(&r.object));
    }
}

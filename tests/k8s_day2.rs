//! `kinspect k8s why|rollout` on the Day-2 demo cluster
//! (`examples/k8s/day2-demo.yaml`, made by `cargo run --example
//! export_day2_demo` from `kinspect::k8s::day2::testkit::demo_cluster`)
//! stored in a real etcd (Debian's etcd-server) by `kinspect lab load`,
//! exactly as an apiserver stores it. The answers must be the same from
//! every source: live etcd, `--db` (an etcdctl snapshot), `--data-dir`
//! (after etcd stopped) and `-f` (the YAML itself); and they must be
//! Kubernetes' own answers to the four Challenge-2 disasters.
//!
//! etcd listens on 127.0.65.1:2379/2380, an address no other test uses.

mod common;

use common::kinspect;

const EP: &str = "127.0.65.1:2379";
const AT: &str = "2026-01-02T00:00:00Z";
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/k8s/day2-demo.yaml");

use common::single_etcd::SingleEtcd as Etcd;

/// The Challenge-2 disaster Pods: (a) the image that does not exist,
/// (b) `cpu: 10000m`, (c) the nodeSelector no node matches.
const IMAGE_POD: &str = "web-6d4b9f7c8d-r5n2v";
const BIG_CPU: &str = "big-cpu";
const PICKY: &str = "picky";

/// Every question asked of every source.
fn queries() -> Vec<Vec<&'static str>> {
    vec![
        vec!["why", "-A", "-o", "json"],
        vec!["why", "-A"],
        vec!["why", "pod/big-cpu", "-n", "shop", "-o", "json"],
        vec!["why", "pod/picky", "-n", "shop", "-o", "json"],
        vec![
            "why",
            "pod/web-6d4b9f7c8d-r5n2v",
            "-n",
            "shop",
            "-o",
            "json",
        ],
        // (d) the maxUnavailable 100% one, and the rollout behind (a).
        vec!["rollout", "deployment/frontend", "-n", "shop", "-o", "json"],
        vec!["rollout", "deployment/web", "-n", "shop", "-o", "json"],
    ]
}

/// (exit code, stdout) of `kinspect k8s QUERY --at AT SOURCE...`.
fn ask(query: &[&str], source: &[&str]) -> (Option<i32>, String) {
    let mut a = vec!["k8s"];
    a.extend_from_slice(query);
    a.extend_from_slice(&["--at", AT]);
    a.extend_from_slice(source);
    let r = kinspect(&a);
    assert!(r.stderr.is_empty(), "{}", r.describe());
    (r.code, r.stdout)
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn one(s: &str) -> serde_json::Value {
    let v = json_lines(s);
    assert_eq!(v.len(), 1, "{s}");
    v.into_iter().next().unwrap()
}

#[test]
fn the_day2_demo_answers_the_same_from_every_source() {
    let mut etcd = Etcd::start("127.0.65.1");
    let r = kinspect(&["lab", "load", "-f", DEMO, "--endpoints", EP]);
    assert_eq!(r.code, Some(0), "{}", r.describe());

    // Stored where an apiserver stores them.
    let keys = etcd.etcdctl(&["get", "/registry/", "--prefix", "--keys-only"]);
    let keys = String::from_utf8_lossy(&keys.stdout);
    for k in [
        "/registry/minions/worker-4",
        "/registry/pods/shop/big-cpu",
        "/registry/pods/shop/picky",
        "/registry/pods/shop/web-6d4b9f7c8d-r5n2v",
        "/registry/deployments/shop/frontend",
        "/registry/leases/kube-system/kube-scheduler",
    ] {
        assert!(keys.lines().any(|l| l == k), "{k} not in {keys}");
    }

    let live: Vec<(Option<i32>, String)> = queries()
        .iter()
        .map(|q| ask(q, &["--endpoints", EP]))
        .collect();

    let snap = etcd.dir.path().join("snap.db");
    let s = etcd.etcdctl(&["snapshot", "save", snap.to_str().unwrap()]);
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let file = ["-f", DEMO];
    let db = ["--db", snap.to_str().unwrap()];
    for (q, want) in queries().iter().zip(&live) {
        // Every question finds a problem: exit code 1.
        assert_eq!(want.0, Some(1), "live: {q:?}\n{}", want.1);
        assert!(!want.1.is_empty(), "live: {q:?}");
        assert_eq!(&ask(q, &db), want, "--db: {q:?}");
        assert_eq!(&ask(q, &file), want, "-f: {q:?}");
    }
    etcd.stop();
    let data = etcd.data();
    let dir = ["--data-dir", data.to_str().unwrap()];
    for (q, want) in queries().iter().zip(&live) {
        assert_eq!(&ask(q, &dir), want, "--data-dir: {q:?}");
    }

    // What the answers say (all sources agree, so the live ones).
    let all = json_lines(&live[0].1);
    let problem = |name: &str| -> String {
        all.iter()
            .find(|v| v["kind"] == "Pod" && v["namespace"] == "shop" && v["name"] == name)
            .unwrap_or_else(|| panic!("pod/{name} not in why -A"))["problem"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(problem(IMAGE_POD), "image_pull");
    assert_eq!(problem(BIG_CPU), "unschedulable");
    assert_eq!(problem(PICKY), "unschedulable");
    let frontend = all
        .iter()
        .find(|v| v["kind"] == "Deployment" && v["name"] == "frontend")
        .expect("deployment/frontend in why -A");
    assert_eq!(frontend["problem"], "rollout_stuck");

    // (b) cpu: 10000m. The summary is kube-scheduler's FailedScheduling
    // sentence exactly: kubernetes/pkg/scheduler/framework/types.go
    // FitError.Error (reasons counted, sorted with sort.Strings), then the
    // PostFilter messages: DynamicResources' "no new claims to deallocate"
    // (pkg/scheduler/framework/plugins/dynamicresources/dynamicresources.go)
    // and DefaultPreemption's verdicts
    // (pkg/scheduler/framework/preemption/preemption.go: "Preemption is
    // not helpful for scheduling" for UnschedulableAndUnresolvable nodes;
    // pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
    // SelectVictimsOnNode: "No preemption victims found for incoming pod"
    // on the two workers short of cpu, where nothing can be evicted).
    let big = one(&live[2].1);
    assert_eq!(big["problem"], "unschedulable");
    assert_eq!(
        big["summary"],
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu, \
         2 node(s) had untolerated taint(s). no new claims to deallocate, preemption: \
         0/5 nodes are available: 2 No preemption victims found for incoming pod, \
         3 Preemption is not helpful for scheduling."
    );
    // Per node, the first failing filter's reason in the scheduler's words
    // (pkg/scheduler/framework/plugins/noderesources/fit.go "Insufficient
    // cpu", tainttoleration/taint_toleration.go, nodeunschedulable/...).
    let reasons: Vec<(String, String)> = big["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(n["fits"], false, "{n}");
            (
                n["node"].as_str().unwrap().to_string(),
                n["reasons"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("cp-1", "node(s) had untolerated taint(s)"),
        ("worker-1", "Insufficient cpu"),
        ("worker-2", "Insufficient cpu"),
        ("worker-3", "node(s) were unschedulable"),
        ("worker-4", "node(s) had untolerated taint(s)"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(reasons, want);
    assert!(
        big["hints"][0]
            .as_str()
            .unwrap()
            .starts_with("no node could ever fit: the largest allocatable cpu is 4"),
        "{big}"
    );

    // (c) nodeSelector nonexistent-label=yes: the same FitError.Error
    // sentence; NodeAffinity's reason is
    // pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go
    // ErrReasonPod, UnschedulableAndUnresolvable, so preemption is not
    // helpful on any node (preemption.go nodesWherePreemptionMightHelp).
    let picky = one(&live[3].1);
    assert_eq!(picky["problem"], "unschedulable");
    assert_eq!(
        picky["summary"],
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match \
         Pod's node affinity/selector, 2 node(s) had untolerated taint(s). no new claims \
         to deallocate, preemption: 0/5 nodes are available: 5 Preemption is not helpful \
         for scheduling."
    );
    let hints: Vec<&str> = picky["hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert!(
        hints.contains(&"no node has label nonexistent-label (nodeSelector nonexistent-label=yes)"),
        "{hints:?}"
    );

    // (a) the image that does not exist: the kubelet's waiting reason
    // ImagePullBackOff and its message (pkg/kubelet/images/image_manager.go,
    // pkg/kubelet/images/types.go ErrImagePullBackOff), as stored.
    let image = one(&live[4].1);
    assert_eq!(image["problem"], "image_pull");
    let summary = image["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "container nginx: image nginx:1.99.99-doesnotexist: ImagePullBackOff: \
             Back-off pulling image \"nginx:1.99.99-doesnotexist\""
        ),
        "{summary}"
    );
    assert_eq!(image["nodes"], serde_json::json!([]), "a bound Pod");

    // (d) maxUnavailable 100%: kubectl rollout status's message
    // (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go
    // DeploymentStatusViewer.Status: "%d of %d updated replicas are
    // available..."), and the strategy resolved to Pods as the controller
    // does (pkg/controller/deployment/util/deployment_util.go
    // ResolveFenceposts: maxSurge rounds up, maxUnavailable down; 100% of
    // 3 is 3, and maxSurge 0).
    let rollout = one(&live[5].1);
    assert_eq!(rollout["state"], "waiting");
    assert_eq!(
        rollout["message"],
        "Waiting for deployment \"frontend\" rollout to finish: 0 of 3 updated replicas \
         are available..."
    );
    assert_eq!(rollout["max_surge"], 0);
    assert_eq!(rollout["max_unavailable"], 3);
    assert_eq!(rollout["revision"], 2);
    assert_eq!(rollout["previous_revision"], 1);
    let findings: Vec<&str> = rollout["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        findings[0].starts_with("maxUnavailable 100% resolves to 3 of 3 Pods"),
        "{findings:?}"
    );
    // The way back: kubectl rollout undo to the last good revision
    // (staging/src/k8s.io/kubectl/pkg/cmd/rollout/rollout_undo.go).
    assert_eq!(
        findings.last().copied(),
        Some(
            "last good revision 1 (myshop/frontend:1.0): kubectl rollout undo \
             deployment/frontend -n shop --to-revision=1"
        )
    );

    // The rollout behind (a): rollout_status.go's "%d out of %d new
    // replicas have been updated...", and the default 25%/25% resolved by
    // ResolveFenceposts to maxSurge 1, maxUnavailable 0 of 3.
    let web = one(&live[6].1);
    assert_eq!(web["state"], "waiting");
    assert_eq!(
        web["message"],
        "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have \
         been updated..."
    );
    assert_eq!(web["max_surge"], 1);
    assert_eq!(web["max_unavailable"], 0);
}

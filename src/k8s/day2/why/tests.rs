//! `why` against the demo cluster and small purpose-built clusters. Each
//! expectation names the upstream file its rule comes from.

use super::*;
use crate::k8s::day2::testkit as tk;

const NOW: i64 = 1_780_000_000;

fn report(state: &ClusterState, name: &str) -> WhyReport {
    why_object(state, "pod", "shop", name).unwrap_or_else(|e| panic!("{e}"))
}

fn fit_of<'a>(r: &'a WhyReport, node: &str) -> &'a NodeFit {
    r.nodes
        .iter()
        .find(|n| n.node == node)
        .unwrap_or_else(|| panic!("{node}"))
}

/// Challenge 2 (b): cpu 10000m. Filters in the default profile order
/// (pkg/scheduler/apis/config/v1/default_plugins.go); reasons from
/// nodeunschedulable/node_unschedulable.go, tainttoleration/taint_toleration.go,
/// noderesources/fit.go; the sentence from framework/types.go FitError and
/// preemption/preemption.go. The stored event is what kube-scheduler 1.34
/// wrote for the same objects, so the two must agree.
#[test]
fn challenge_b_cpu_beyond_every_node() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "big-cpu");
    assert_eq!(r.problem, "unschedulable");
    assert_eq!(
        r.summary,
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu, \
         2 node(s) had untolerated taint(s). no new claims to deallocate, preemption: \
         0/5 nodes are available: 2 No preemption victims found for incoming pod, \
         3 Preemption is not helpful for scheduling."
    );
    let stored = c
        .events
        .iter()
        .find(|e| {
            e.reason.as_deref() == Some("FailedScheduling")
                && e.involved_object.as_ref().and_then(|o| o.name.as_deref()) == Some("big-cpu")
        })
        .unwrap();
    assert_eq!(stored.message.as_deref(), Some(r.summary.as_str()));
    assert_eq!(
        fit_of(&r, "cp-1").reasons,
        ["node(s) had untolerated taint(s)"]
    );
    assert_eq!(fit_of(&r, "worker-1").reasons, ["Insufficient cpu"]);
    assert_eq!(
        fit_of(&r, "worker-3").reasons,
        ["node(s) were unschedulable"]
    );
    assert!(r.hints.iter().any(|h| h == "no node could ever fit: the largest allocatable cpu is 4 (node worker-1), the Pod requests 10"), "{:#?}", r.hints);
    assert!(
        r.hints
            .iter()
            .any(|h| h.starts_with("event FailedScheduling from default-scheduler (x6"))
    );
    assert_eq!(r.qos_class.as_deref(), Some("Burstable"));
}

/// Challenge 2 (c): a nodeSelector no node matches
/// (nodeaffinity/node_affinity.go ErrReasonPod).
#[test]
fn challenge_c_node_selector_nobody_matches() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "picky");
    assert_eq!(
        r.summary,
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node \
         affinity/selector, 2 node(s) had untolerated taint(s). no new claims to deallocate, \
         preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."
    );
    assert!(
        r.hints.contains(
            &"no node has label nonexistent-label (nodeSelector nonexistent-label=yes)".to_string()
        ),
        "{:#?}",
        r.hints
    );
    assert_eq!(
        fit_of(&r, "worker-2").detail.as_deref(),
        Some("no label nonexistent-label=yes")
    );
}

/// Challenge 2 (a): the image tag that does not exist (kubelet's
/// ImagePullBackOff, pkg/kubelet/images/types.go).
#[test]
fn challenge_a_image_pull() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "web-6d4b9f7c8d-r5n2v");
    assert_eq!(r.problem, "image_pull");
    assert!(r.summary.starts_with("container nginx: image nginx:1.99.99-doesnotexist: ImagePullBackOff: Back-off pulling image"), "{}", r.summary);
    assert_eq!(r.status, "ImagePullBackOff");
    assert!(r.nodes.is_empty());
}

/// Host ports (pkg/scheduler/framework/plugins/nodeports/node_ports.go;
/// the summary sentence is FitError.Error, pkg/scheduler/framework/types.go):
/// worker-1 and worker-2 hold 80/TCP.
#[test]
fn host_port_taken() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "edge-proxy-new");
    assert_eq!(
        fit_of(&r, "worker-1").reasons,
        ["node(s) didn't have free ports for the requested pod ports"]
    );
    assert!(r.summary.starts_with(
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't have free ports \
         for the requested pod ports, 2 node(s) had untolerated taint(s). no new claims to deallocate, \
         preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption"
    ), "{}", r.summary);
}

/// A Pod that fits but whose scheduler does not exist: no Lease for it.
#[test]
fn fits_but_unbound() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "custom-sched");
    assert_eq!(r.problem, "not_bound");
    assert_eq!(
        r.summary,
        "fits 2 of 5 nodes (worker-1, worker-2) but is not bound: the scheduler \"my-scheduler\" is not binding it"
    );
    assert!(r.hints[0].starts_with("no Lease kube-system/my-scheduler"));
    // the default scheduler's Lease when it is the one not binding
    let mut c2 = c.clone();
    for p in &mut c2.pods {
        if p.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some("custom-sched") {
            p.spec.as_mut().unwrap().scheduler_name = Some("default-scheduler".into());
        }
    }
    c2.now = NOW + 600;
    let r = report(&c2, "custom-sched");
    assert_eq!(
        r.hints[0],
        "Lease kube-system/kube-scheduler held by cp-1_3f6c1e0a-5d2b-4c8e-9a71-0b6d2f4e8c13, \
         renewed 10m ago (lease 15s): expired, the scheduler is not running"
    );
}

/// Container states: CrashLoopBackOff, OOMKilled with the limit, init
/// containers (pkg/kubelet/kuberuntime/kuberuntime_container.go reasons).
#[test]
fn bound_pods_that_do_not_run() {
    let c = tk::demo_cluster(NOW);
    let r = report(&c, "memhog");
    assert_eq!(r.problem, "oom_killed");
    assert_eq!(
        r.summary,
        "container hog: CrashLoopBackOff, 4 restarts, last exit OOMKilled: used more than its memory limit 64Mi"
    );
    let r = report(&c, "waits-for-db");
    assert_eq!(r.problem, "init_stuck");
    assert_eq!(r.status, "Init:0/1");
    let r = report(&c, "db-1");
    assert_eq!(r.problem, "not_ready");
    assert_eq!(r.qos_class.as_deref(), Some("Guaranteed"));
    let r = report(&c, "api-7c9d8b6f5-k2x8q");
    assert_eq!(r.problem, "none");
    assert_eq!(r.summary, "Running on worker-1");
}

/// The stored qosClass beside the computed one
/// (pkg/apis/core/v1/helper/qos/qos.go ComputePodQOS).
#[test]
fn stored_qos_differs() {
    let mut c = tk::demo_cluster(NOW);
    for p in &mut c.pods {
        if p.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some("memhog") {
            p.status.as_mut().unwrap().qos_class = Some("BestEffort".into());
        }
    }
    let r = report(&c, "memhog");
    assert!(r.hints.contains(
        &"stored status.qosClass is BestEffort, the upstream rules give Burstable".to_string()
    ));
}

/// `why -A`: one report per problem; healthy objects left out. The problems
/// follow the rules the single-object tests cite: NodeReady and
/// node.kubernetes.io/unschedulable (staging/src/k8s.io/api/core/v1/types.go,
/// well_known_taints.go), rollout verdicts
/// (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go,
/// pkg/controller/deployment/util/deployment_util.go), scheduling
/// (pkg/scheduler/framework/types.go FitError) and container states
/// (pkg/kubelet/images/types.go, pkg/printers/internalversion/printers.go).
#[test]
fn everything_at_once() {
    let c = tk::demo_cluster(NOW);
    let all = why_all(&c, None);
    let names: Vec<String> = all
        .iter()
        .map(|r| format!("{}/{}:{}", r.kind, r.name, r.problem))
        .collect();
    assert_eq!(
        names,
        [
            "Node/worker-4:node_not_ready",
            "Deployment/checkout:rollout_failed",
            "Deployment/frontend:rollout_stuck",
            "Deployment/web:rollout_stuck",
            "StatefulSet/db:rollout_stuck",
            "Pod/big-cpu:unschedulable",
            "Pod/checkout-5b8c7d6f4-q9z5r:crash_loop",
            "Pod/custom-sched:not_bound",
            "Pod/db-1:not_ready",
            "Pod/edge-proxy-new:unschedulable",
            "Pod/frontend-84c6d5b7f9-h2v9m:not_ready",
            "Pod/frontend-84c6d5b7f9-j6r4k:not_ready",
            "Pod/frontend-84c6d5b7f9-l3s8n:not_ready",
            "Pod/memhog:oom_killed",
            "Pod/picky:unschedulable",
            "Pod/waits-for-db:init_stuck",
            "Pod/web-6d4b9f7c8d-r5n2v:image_pull",
        ]
    );
    assert!(why_all(&c, Some("kube-system")).is_empty());
}

/// Taints, tolerations and every node-affinity operator, on the demo
/// nodes (pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go,
/// pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go,
/// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go).
#[test]
fn affinity_operators_and_tolerations() {
    use k8s_pb::api::core::v1 as core;
    let mut c = tk::demo_cluster(NOW);
    let mut p = tk::pending_pod(
        "shop",
        "aff",
        tk::container("a", "i:1", tk::res(&[("cpu", "100m")], &[])),
        NOW,
    );
    let req = |k: &str, op: &str, v: &[&str]| core::NodeSelectorRequirement {
        key: Some(k.into()),
        operator: Some(op.into()),
        values: v.iter().map(|s| s.to_string()).collect(),
    };
    let set_aff = |p: &mut core::Pod, exprs: Vec<core::NodeSelectorRequirement>| {
        p.spec.as_mut().unwrap().affinity = Some(core::Affinity {
            node_affinity: Some(core::NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(core::NodeSelector {
                    node_selector_terms: vec![core::NodeSelectorTerm {
                        match_expressions: exprs,
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    };
    set_aff(&mut p, vec![req("disktype", "NotIn", &["ssd"])]);
    c.pods.push(p.clone());
    let fits = |c: &ClusterState| -> Vec<String> {
        report(c, "aff")
            .nodes
            .iter()
            .filter(|n| n.fits)
            .map(|n| n.node.clone())
            .collect()
    };
    assert_eq!(fits(&c), ["worker-2"]);
    // tolerate the control plane: it fits there too (DoesNotExist on disktype)
    let last = c.pods.len() - 1;
    set_aff(
        &mut c.pods[last],
        vec![req("disktype", "DoesNotExist", &[])],
    );
    assert!(fits(&c).is_empty());
    c.pods[last]
        .spec
        .as_mut()
        .unwrap()
        .tolerations
        .push(tk::toleration(
            "node-role.kubernetes.io/control-plane",
            "Exists",
            "",
            "NoSchedule",
        ));
    assert_eq!(fits(&c), ["cp-1"]);
    // Gt on a numeric label
    for n in &mut c.nodes {
        let m = n.metadata.as_mut().unwrap();
        let cores = if m.name.as_deref() == Some("worker-1") {
            "4"
        } else {
            "2"
        };
        m.labels.insert("cores".into(), cores.into());
    }
    set_aff(&mut c.pods[last], vec![req("cores", "Gt", &["3"])]);
    assert_eq!(fits(&c), ["worker-1"]);
    set_aff(
        &mut c.pods[last],
        vec![
            req("cores", "Lt", &["3"]),
            req("topology.kubernetes.io/zone", "In", &["zone-b"]),
        ],
    );
    assert_eq!(fits(&c), ["worker-2"]);
    set_aff(&mut c.pods[last], vec![req("disktype", "Exists", &[])]);
    assert_eq!(fits(&c), ["worker-1", "worker-2"]);
    // tolerating everything still does not pass a cordon without the
    // unschedulable key... an Exists-all toleration does
    c.pods[last].spec.as_mut().unwrap().tolerations = vec![tk::toleration("", "Exists", "", "")];
    assert_eq!(fits(&c), ["worker-1", "worker-2", "worker-3", "worker-4"]);
}

/// Pod count (pkg/scheduler/framework/plugins/noderesources/fit.go "Too many pods") and extended
/// resources ("Insufficient nvidia.com/gpu").
#[test]
fn pod_count_and_extended_resources() {
    let mut c = ClusterState {
        now: NOW,
        ..Default::default()
    };
    c.nodes.push(tk::node("small", "4", "4Gi", "2", &[]));
    c.pods.push(tk::bound_pod(
        "shop",
        "one",
        "small",
        tk::container("a", "i:1", tk::res(&[("cpu", "1")], &[])),
        NOW,
    ));
    c.pods.push(tk::bound_pod(
        "shop",
        "two",
        "small",
        tk::container("a", "i:1", tk::res(&[("cpu", "1")], &[])),
        NOW,
    ));
    c.pods.push(tk::pending_pod(
        "shop",
        "three",
        tk::container(
            "a",
            "i:1",
            tk::res(
                &[("cpu", "1"), ("nvidia.com/gpu", "1")],
                &[("nvidia.com/gpu", "1")],
            ),
        ),
        NOW,
    ));
    let r = report(&c, "three");
    assert_eq!(
        fit_of(&r, "small").reasons,
        ["Too many pods", "Insufficient nvidia.com/gpu"]
    );
    assert_eq!(
        r.summary,
        "0/1 nodes are available: 1 Insufficient nvidia.com/gpu, 1 Too many pods. no new claims to \
         deallocate, preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    // A terminated Pod frees its place (scheduler.go skips Succeeded/Failed).
    c.pods[0].status.as_mut().unwrap().phase = Some("Succeeded".into());
    let r = report(&c, "three");
    assert_eq!(fit_of(&r, "small").reasons, ["Insufficient nvidia.com/gpu"]);
}

/// Preemption: a higher-priority Pod could evict a lower one
/// (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go SelectVictimsOnNode); then the
/// sentence carries no PostFilter message.
#[test]
fn preemption_possible_and_never() {
    let mut c = ClusterState {
        now: NOW,
        ..Default::default()
    };
    c.nodes.push(tk::node("n1", "2", "4Gi", "110", &[]));
    c.pods.push(tk::bound_pod(
        "shop",
        "low",
        "n1",
        tk::container("a", "i:1", tk::res(&[("cpu", "1500m")], &[])),
        NOW,
    ));
    let mut hi = tk::pending_pod(
        "shop",
        "high",
        tk::container("a", "i:1", tk::res(&[("cpu", "1")], &[])),
        NOW,
    );
    hi.spec.as_mut().unwrap().priority = Some(1000);
    c.pods.push(hi);
    let r = report(&c, "high");
    assert_eq!(r.summary, "0/1 nodes are available: 1 Insufficient cpu.");
    assert!(
        r.hints
            .iter()
            .any(|h| h == "preemption can make room on n1 by evicting low"),
        "{:#?}",
        r.hints
    );
    let closest = r
        .hints
        .iter()
        .find(|h| h.starts_with("closest node"))
        .unwrap();
    assert_eq!(
        closest,
        "closest node: n1 would fit with 500m more cpu free (1 cpu requested, 500m free of 2)"
    );
    c.pods[1].spec.as_mut().unwrap().preemption_policy = Some("Never".into());
    let r = report(&c, "high");
    assert_eq!(
        r.summary,
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, preemption: not eligible due to preemptionPolicy=Never."
    );
}

/// PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread/filtering.go)
/// and InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity/filtering.go)
/// on a two-zone cluster.
#[test]
fn spread_and_inter_pod_affinity() {
    use k8s_pb::api::core::v1 as core;
    use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let mut c = ClusterState {
        now: NOW,
        ..Default::default()
    };
    c.nodes
        .push(tk::node("a1", "4", "4Gi", "110", &[("zone", "a")]));
    c.nodes
        .push(tk::node("b1", "4", "4Gi", "110", &[("zone", "b")]));
    c.nodes.push(tk::node("nolabel", "4", "4Gi", "110", &[]));
    for i in 0..2 {
        let mut p = tk::bound_pod(
            "shop",
            &format!("web-{i}"),
            "a1",
            tk::container("a", "i:1", tk::res(&[], &[])),
            NOW,
        );
        p.metadata.as_mut().unwrap().labels = tk::labels(&[("app", "web")]);
        c.pods.push(p);
    }
    let sel = LabelSelector {
        match_labels: tk::labels(&[("app", "web")]),
        ..Default::default()
    };
    let mut p = tk::pending_pod(
        "shop",
        "web-new",
        tk::container("a", "i:1", tk::res(&[], &[])),
        NOW,
    );
    p.metadata.as_mut().unwrap().labels = tk::labels(&[("app", "web")]);
    p.spec
        .as_mut()
        .unwrap()
        .topology_spread_constraints
        .push(core::TopologySpreadConstraint {
            max_skew: Some(1),
            topology_key: Some("zone".into()),
            when_unsatisfiable: Some("DoNotSchedule".into()),
            label_selector: Some(sel.clone()),
            ..Default::default()
        });
    c.pods.push(p);
    let r = report(&c, "web-new");
    assert_eq!(
        fit_of(&r, "a1").reasons,
        ["node(s) didn't match pod topology spread constraints"]
    );
    assert!(fit_of(&r, "b1").fits);
    assert_eq!(
        fit_of(&r, "nolabel").reasons,
        ["node(s) didn't match pod topology spread constraints (missing required label)"]
    );

    // Anti-affinity to app=web per zone: only the zone without web fits;
    // affinity to app=web per zone: only zone a.
    let term = core::PodAffinityTerm {
        label_selector: Some(sel),
        topology_key: Some("zone".into()),
        ..Default::default()
    };
    let last = c.pods.len() - 1;
    let spec = c.pods[last].spec.as_mut().unwrap();
    spec.topology_spread_constraints.clear();
    spec.affinity = Some(core::Affinity {
        pod_anti_affinity: Some(core::PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: vec![term.clone()],
            ..Default::default()
        }),
        ..Default::default()
    });
    let r = report(&c, "web-new");
    assert_eq!(
        fit_of(&r, "a1").reasons,
        ["node(s) didn't match pod anti-affinity rules"]
    );
    assert!(fit_of(&r, "b1").fits);
    let spec = c.pods[last].spec.as_mut().unwrap();
    spec.affinity = Some(core::Affinity {
        pod_affinity: Some(core::PodAffinity {
            required_during_scheduling_ignored_during_execution: vec![term.clone()],
            ..Default::default()
        }),
        ..Default::default()
    });
    let r = report(&c, "web-new");
    assert!(fit_of(&r, "a1").fits);
    assert_eq!(
        fit_of(&r, "b1").reasons,
        ["node(s) didn't match pod affinity rules"]
    );
    // An existing Pod's anti-affinity repels the newcomer.
    c.pods[last].spec.as_mut().unwrap().affinity = None;
    c.pods[0].spec.as_mut().unwrap().affinity = Some(core::Affinity {
        pod_anti_affinity: Some(core::PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: vec![term],
            ..Default::default()
        }),
        ..Default::default()
    });
    let r = report(&c, "web-new");
    assert_eq!(
        fit_of(&r, "a1").reasons,
        ["node(s) didn't satisfy existing pods anti-affinity rules"]
    );
}

/// Malformed quantities give a finding, not a panic (what is malformed:
/// ParseQuantity, staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go;
/// the finding instead of an error is our rule).
#[test]
fn malformed_quantity_is_a_hint() {
    let mut c = tk::demo_cluster(NOW);
    c.pods.push(tk::pending_pod(
        "shop",
        "broken",
        tk::container("a", "i:1", tk::res(&[("cpu", "two")], &[])),
        NOW,
    ));
    let r = report(&c, "broken");
    assert!(
        r.hints
            .iter()
            .any(|h| h
                .starts_with("malformed quantity in container a requests cpu: quantity \"two\"")),
        "{:#?}",
        r.hints
    );
    assert!(matches!(
        why_object(&c, "pod", "shop", "nope"),
        Err(WhyError::NotFound { .. })
    ));
    assert!(matches!(
        why_object(&c, "service", "shop", "x"),
        Err(WhyError::Kind(_))
    ));
}

/// Objects with every field missing (as a damaged store may give them):
/// answers, never a panic. No Kubernetes rule is asserted here: robustness
/// of our own code only.
#[test]
fn empty_objects_do_not_panic() {
    use k8s_pb::api::apps::v1 as apps;
    use k8s_pb::api::core::v1 as core;
    let mut c = tk::demo_cluster(NOW);
    c.nodes.push(core::Node::default());
    c.pods.push(core::Pod::default());
    c.pods.push(core::Pod {
        spec: Some(core::PodSpec {
            node_name: Some("ghost-node".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    c.deployments.push(apps::Deployment::default());
    c.replica_sets.push(apps::ReplicaSet::default());
    c.stateful_sets.push(apps::StatefulSet::default());
    c.daemon_sets.push(apps::DaemonSet::default());
    c.events.push(core::Event::default());
    c.leases.push(Default::default());
    let all = why_all(&c, None);
    assert!(all.len() >= 17);
    let lines = crate::view::day2::why_list(&all);
    assert!(lines.len() > all.len());
    // A Pod bound to a node that is not stored is judged by its containers.
    let snap = Snapshot::build(&c);
    let r = why_pod(&c, &snap, &c.pods[c.pods.len() - 1]);
    assert_eq!(r.node.as_deref(), Some("ghost-node"));
}

/// The demo cluster is deterministic and every time in it is relative to
/// `now` (the lead stores it in etcd and serves it as kubectl JSON). No
/// Kubernetes rule is asserted here: determinism of our own fixture.
#[test]
fn demo_cluster_is_deterministic() {
    let a = format!("{:?}", tk::demo_cluster(NOW));
    assert_eq!(a, format!("{:?}", tk::demo_cluster(NOW)));
    let later = tk::demo_cluster(NOW + 3600);
    let r1 = why_all(&tk::demo_cluster(NOW), None);
    let r2 = why_all(&later, None);
    assert_eq!(
        r1.iter().map(|r| &r.summary).collect::<Vec<_>>(),
        r2.iter().map(|r| &r.summary).collect::<Vec<_>>()
    );
    assert_eq!(tk::demo_cluster(NOW).nodes.len(), 5);
}

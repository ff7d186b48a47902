//! `k8s why`: why a Pod is Pending or not running, and, with no name,
//! every problem in a namespace or the cluster, one report each.
//!
//! A Pending (unbound) Pod gets the scheduler filters per node
//! ([`super::sched`]), kube-scheduler's own sentence
//! ([`super::fit_error`]), and what no scheduler says: what would make it
//! fit. A Pod that fits somewhere but is unbound gets who should bind it
//! (its `schedulerName`, the scheduler's Lease). A bound Pod gets its
//! container problems ([`super::containers`]). Every Pod gets its QoS class
//! computed by the upstream rules ([`super::qos`]) beside the stored one.

use serde::Serialize;

use k8s_pb::api::core::v1::{Node, Pod};

use super::containers::{kubectl_status, pod_problems};
use super::fit_error::{Preemption, preemption, scheduler_message};
use super::qos::compute_qos;
use super::rollout;
use super::sched::fit::{render_amount, shortfalls};
use super::sched::{NodeVerdict, PodQuery, RunOptions, Snapshot, bound_node, filter_all};
use crate::k8s::state::ClusterState;

/// One node's verdict in a `k8s why` report.
///
/// JSON: `node` (name), `fits` (bool), `reasons` (kube-scheduler's words
/// for the first failing filter, empty when it fits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeFit {
    pub node: String,
    pub fits: bool,
    pub reasons: Vec<String>,
    /// The filter that failed (`NodeResourcesFit`); not in JSON.
    #[serde(skip)]
    pub plugin: Option<&'static str>,
    /// kinspect's detail (which taint, how much is free); not in JSON.
    #[serde(skip)]
    pub detail: Option<String>,
}

/// One `k8s why` answer (one JSON line with `-o json`).
///
/// - `kind`: `Pod`, `Deployment`, `StatefulSet`, `DaemonSet` or `Node`
/// - `namespace`: empty for a Node
/// - `problem`: one word: `unschedulable`, `not_bound`, `scheduling_gated`,
///   `image_pull`, `crash_loop`, `oom_killed`, `config_error`,
///   `init_stuck`, `init_failed`, `not_ready`, `terminated`, `failed`,
///   `rollout_stuck`, `rollout_failed`, `node_not_ready`, `node_cordoned`,
///   `bad_quantity`, or `none`
/// - `summary`: one sentence; for an unschedulable Pod kube-scheduler's own
///   (`0/5 nodes are available: ...`)
/// - `nodes`: per node `{node, fits, reasons}` (a named unbound Pod only;
///   empty in the `why` list without a name)
/// - `qos_class`: computed by the upstream rules (Pods only)
/// - `hints`: what would make it work, the stored events, the stored QoS
///   class when it differs
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhyReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub problem: String,
    pub summary: String,
    pub nodes: Vec<NodeFit>,
    pub qos_class: Option<String>,
    pub hints: Vec<String>,
    /// kubectl's STATUS (Pods); not in JSON.
    #[serde(skip)]
    pub status: String,
    /// Where a bound Pod runs; not in JSON.
    #[serde(skip)]
    pub node: Option<String>,
    /// The stored QoS class; not in JSON (a hint says when it differs).
    #[serde(skip)]
    pub stored_qos: Option<String>,
    /// A shorter summary for lists (no kubelet message); not in JSON.
    #[serde(skip)]
    pub brief: String,
}

impl WhyReport {
    /// Is there something wrong?
    pub fn is_problem(&self) -> bool {
        self.problem != "none"
    }
}

/// Why a `why` question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhyError {
    #[error("{kind} {namespace}/{name} not found in the stored state")]
    NotFound {
        kind: String,
        namespace: String,
        name: String,
    },
    #[error("kind {0:?} is not one `why` explains (pod, deployment, statefulset, daemonset, node)")]
    Kind(String),
}

fn meta_name(m: Option<&k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta>) -> (&str, &str) {
    (
        m.and_then(|m| m.namespace.as_deref()).unwrap_or("default"),
        m.and_then(|m| m.name.as_deref()).unwrap_or(""),
    )
}

/// `3m`, `2h`, `5d` — an age for people.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The stored events about a Pod, newest last: `reason (xN, last T ago): message`.
fn pod_events(state: &ClusterState, ns: &str, name: &str, reason: Option<&str>) -> Vec<String> {
    let mut ev: Vec<_> = state
        .events
        .iter()
        .filter(|e| {
            e.involved_object.as_ref().is_some_and(|o| {
                o.kind.as_deref() == Some("Pod")
                    && o.namespace.as_deref() == Some(ns)
                    && o.name.as_deref() == Some(name)
            }) && reason.is_none_or(|r| e.reason.as_deref() == Some(r))
        })
        .collect();
    ev.sort_by_key(|e| {
        e.last_timestamp
            .as_ref()
            .and_then(|t| t.seconds)
            .unwrap_or(0)
    });
    ev.iter()
        .map(|e| {
            let last = e
                .last_timestamp
                .as_ref()
                .and_then(|t| t.seconds)
                .or_else(|| e.event_time.as_ref().and_then(|t| t.seconds))
                .unwrap_or(state.now);
            let from = e
                .source
                .as_ref()
                .and_then(|s| s.component.clone())
                .or_else(|| e.reporting_component.clone())
                .unwrap_or_default();
            format!(
                "event {} from {} (x{}, last {} ago): {}",
                e.reason.as_deref().unwrap_or(""),
                from,
                e.count.unwrap_or(1),
                age(state.now - last),
                e.message.as_deref().unwrap_or("")
            )
        })
        .collect()
}

fn node_fits(verdicts: &[NodeVerdict]) -> Vec<NodeFit> {
    verdicts
        .iter()
        .map(|v| NodeFit {
            node: v.node.clone(),
            fits: v.failure.is_none(),
            reasons: v
                .failure
                .as_ref()
                .map(|f| f.reasons.clone())
                .unwrap_or_default(),
            plugin: v.failure.as_ref().map(|f| f.plugin),
            detail: v.failure.as_ref().and_then(|f| f.detail.clone()),
        })
        .collect()
}

/// What would make an unschedulable Pod fit.
fn fit_hints(q: &PodQuery, snap: &Snapshot, verdicts: &[NodeVerdict]) -> Vec<String> {
    let mut hints = Vec::new();
    // Resources no node could ever hold.
    let req = &q.request;
    let mut never = Vec::new();
    let mut check = |res: &str, want: i64, max: Option<(i64, &str)>| {
        if want <= 0 {
            return;
        }
        match max {
            Some((m, n)) if want > m => never.push(format!(
                "no node could ever fit: the largest allocatable {res} is {} (node {n}), \
                 the Pod requests {}",
                render_amount(res, m),
                render_amount(res, want)
            )),
            None => never.push(format!(
                "no node has any allocatable {res}; the Pod requests {}",
                render_amount(res, want)
            )),
            _ => {}
        }
    };
    let maxby = |f: &dyn Fn(&super::requests::Resource) -> i64| {
        snap.nodes
            .iter()
            .rev()
            .map(|n| (f(&n.allocatable), n.name))
            .max_by_key(|x| x.0)
    };
    check("cpu", req.milli_cpu, maxby(&|r| r.milli_cpu));
    check("memory", req.memory, maxby(&|r| r.memory));
    check(
        "ephemeral-storage",
        req.ephemeral_storage,
        maxby(&|r| r.ephemeral_storage),
    );
    for (name, &want) in &req.scalar {
        let m = snap
            .nodes
            .iter()
            .rev()
            .map(|n| (n.allocatable.scalar.get(name).copied().unwrap_or(0), n.name))
            .max_by_key(|x| x.0)
            .filter(|x| x.0 > 0);
        check(name, want, m);
    }
    hints.extend(never);

    // nodeSelector labels no node has.
    if let Some(spec) = q.pod.spec.as_ref() {
        for (k, v) in &spec.node_selector {
            if snap.nodes.iter().any(|n| n.labels.get(k) == Some(v)) {
                continue;
            }
            let mut seen: Vec<&str> = snap
                .nodes
                .iter()
                .filter_map(|n| n.labels.get(k).map(String::as_str))
                .collect();
            seen.sort();
            seen.dedup();
            if seen.is_empty() {
                hints.push(format!("no node has label {k} (nodeSelector {k}={v})"));
            } else {
                hints.push(format!(
                    "no node has label {k}={v}; nodes have {k}={}",
                    seen.join(", ")
                ));
            }
        }
    }

    // Nodes held only by resources: the closest one.
    let mut best: Option<(f64, String)> = None;
    for (ni, v) in verdicts.iter().enumerate() {
        let Some(f) = &v.failure else { continue };
        if f.plugin != "NodeResourcesFit" {
            continue;
        }
        let n = &snap.nodes[ni];
        let s = shortfalls(req, &n.allocatable, &n.requested, n.pods.len());
        if s.iter().any(|x| x.requested > x.allocatable) {
            continue; // never fits there
        }
        let score: f64 = s
            .iter()
            .map(|x| (x.requested - x.free) as f64 / x.allocatable.max(1) as f64)
            .sum();
        let text = s
            .iter()
            .map(|x| {
                format!(
                    "{} more {} free ({} {} requested, {} free of {})",
                    render_amount(&x.resource, x.requested - x.free.max(0)),
                    x.resource,
                    render_amount(&x.resource, x.requested),
                    x.resource,
                    render_amount(&x.resource, x.free.max(0)),
                    render_amount(&x.resource, x.allocatable)
                )
            })
            .collect::<Vec<_>>()
            .join(" and ");
        if best.as_ref().is_none_or(|b| score < b.0) {
            best = Some((
                score,
                format!("closest node: {} would fit with {text}", v.node),
            ));
        }
    }
    if let Some((_, t)) = best {
        hints.push(t);
    }
    // Taints and cordons.
    let tainted: Vec<&str> = verdicts
        .iter()
        .filter(|v| {
            v.failure
                .as_ref()
                .is_some_and(|f| f.plugin == "TaintToleration")
        })
        .map(|v| v.node.as_str())
        .collect();
    for v in verdicts {
        if let Some(f) = &v.failure
            && f.plugin == "TaintToleration"
            && let Some(d) = &f.detail
        {
            hints.push(format!(
                "node {} has {d} (the Pod has no toleration for it)",
                v.node
            ));
        }
    }
    let _ = tainted;
    for v in verdicts {
        if v.failure
            .as_ref()
            .is_some_and(|f| f.plugin == "NodeUnschedulable")
        {
            hints.push(format!(
                "node {} is cordoned (kubectl uncordon {})",
                v.node, v.node
            ));
        }
    }
    if let Preemption::Possible { node, victims } = preemption(q, snap, verdicts) {
        hints.push(format!(
            "preemption can make room on {node} by evicting {}",
            victims.join(", ")
        ));
    }
    hints
}

/// Explains one Pod.
pub fn why_pod(state: &ClusterState, snap: &Snapshot, pod: &Pod) -> WhyReport {
    let (ns, name) = meta_name(pod.metadata.as_ref());
    let mut bad = Vec::new();
    let q = PodQuery::new(pod, &mut bad);
    let qos = pod.spec.as_ref().map(compute_qos);
    let stored_qos = pod.status.as_ref().and_then(|s| s.qos_class.clone());
    let mut r = WhyReport {
        kind: "Pod".into(),
        namespace: ns.to_string(),
        name: name.to_string(),
        problem: "none".into(),
        summary: String::new(),
        nodes: Vec::new(),
        qos_class: qos.map(|c| c.to_string()),
        hints: Vec::new(),
        status: kubectl_status(pod),
        node: bound_node(pod).map(String::from),
        stored_qos: stored_qos.clone(),
        brief: String::new(),
    };
    if let (Some(c), Some(s)) = (qos, &stored_qos)
        && c.as_str() != s
    {
        r.hints.push(format!(
            "stored status.qosClass is {s}, the upstream rules give {c}"
        ));
    }
    for b in &bad {
        r.hints
            .push(format!("malformed quantity in {}: {}", b.place, b.message));
    }
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("");
    if bound_node(pod).is_none() {
        if phase == "Succeeded" || phase == "Failed" {
            r.summary = format!("Pod is {phase} and was never bound");
            return r;
        }
        let gates = pod
            .spec
            .as_ref()
            .map(|s| s.scheduling_gates.len())
            .unwrap_or(0);
        if gates > 0 {
            r.problem = "scheduling_gated".into();
            r.status = "SchedulingGated".into();
            let names: Vec<String> = pod
                .spec
                .as_ref()
                .map(|s| {
                    s.scheduling_gates
                        .iter()
                        .filter_map(|g| g.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            r.summary = format!(
                "the scheduler waits for scheduling gates to be removed: {}",
                names.join(", ")
            );
            return r;
        }
        if snap.nodes.is_empty() {
            r.problem = "unschedulable".into();
            r.summary = "no nodes available to schedule pods".into();
            return r;
        }
        let verdicts = filter_all(&q, snap, RunOptions::default());
        r.nodes = node_fits(&verdicts);
        let fitting: Vec<&str> = verdicts
            .iter()
            .filter(|v| v.failure.is_none())
            .map(|v| v.node.as_str())
            .collect();
        if fitting.is_empty() {
            r.problem = "unschedulable".into();
            r.summary = scheduler_message(&q, snap, &verdicts);
            r.hints.extend(fit_hints(&q, snap, &verdicts));
            let stored = pod_events(state, ns, name, Some("FailedScheduling"));
            r.hints.extend(stored);
        } else {
            r.problem = "not_bound".into();
            let sched = pod
                .spec
                .as_ref()
                .and_then(|s| s.scheduler_name.as_deref())
                .filter(|s| !s.is_empty())
                .unwrap_or("default-scheduler");
            r.summary = format!(
                "fits {} of {} nodes ({}) but is not bound: the scheduler {sched:?} is not binding it",
                fitting.len(),
                verdicts.len(),
                fitting.join(", ")
            );
            r.hints.extend(scheduler_hints(state, sched));
        }
        return r;
    }
    // Bound.
    let probs = pod_problems(pod);
    if let Some(first) = probs.first() {
        r.problem = first.trouble.as_str().into();
        r.summary = probs
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        if matches!(first.trouble, super::containers::Trouble::ImagePull) {
            r.hints.push("check the image name and tag exist in the registry (and imagePullSecrets for a private one)".into());
        }
        if matches!(first.trouble, super::containers::Trouble::OomKilled) {
            r.hints.push(
                "raise the memory limit or find what uses the memory (kubectl top pod)".into(),
            );
        }
        if matches!(first.trouble, super::containers::Trouble::CrashLoop) {
            r.hints
                .push(format!("kubectl logs -n {ns} {name} --previous"));
        }
        r.hints.extend(
            pod_events(state, ns, name, None)
                .into_iter()
                .filter(|e| !e.contains("Normal"))
                .take(3),
        );
    } else if phase == "Failed" {
        r.problem = "failed".into();
        let st = pod.status.as_ref();
        r.summary = format!(
            "Pod failed: {} {}",
            st.and_then(|s| s.reason.as_deref()).unwrap_or(""),
            st.and_then(|s| s.message.as_deref()).unwrap_or("")
        )
        .trim_end()
        .to_string();
    } else {
        r.summary = format!(
            "{} on {}",
            if phase.is_empty() { "Pod" } else { phase },
            bound_node(pod).unwrap_or("")
        );
    }
    r
}

/// Who should bind: the scheduler's Lease, its holder and renew age.
fn scheduler_hints(state: &ClusterState, sched: &str) -> Vec<String> {
    let lease_name = if sched == "default-scheduler" {
        "kube-scheduler"
    } else {
        sched
    };
    let lease = state.leases.iter().find(|l| {
        l.metadata.as_ref().is_some_and(|m| {
            m.namespace.as_deref() == Some("kube-system") && m.name.as_deref() == Some(lease_name)
        })
    });
    let mut out = Vec::new();
    match lease.and_then(|l| l.spec.as_ref()) {
        Some(spec) => {
            let renew = spec.renew_time.as_ref().and_then(|t| t.seconds);
            let dur = spec.lease_duration_seconds.unwrap_or(15) as i64;
            let holder = spec.holder_identity.as_deref().unwrap_or("(nobody)");
            let a = renew.map(|r| state.now - r);
            out.push(format!(
                "Lease kube-system/{lease_name} held by {holder}, renewed {} ago (lease {dur}s){}",
                a.map(age).unwrap_or_else(|| "never".into()),
                match a {
                    Some(a) if a > dur => ": expired, the scheduler is not running",
                    None => ": never renewed",
                    _ => "",
                }
            ));
        }
        None => {
            out.push(format!(
                "no Lease kube-system/{lease_name}: no scheduler named {sched:?} seems to run \
                 (spec.schedulerName {sched:?})"
            ));
            if sched != "default-scheduler" {
                out.push(
                    "remove spec.schedulerName to use default-scheduler, or start that scheduler"
                        .into(),
                );
            }
        }
    }
    out
}

/// Is a node Ready?
pub fn node_ready(n: &Node) -> (bool, String) {
    let c = n.status.as_ref().and_then(|s| {
        s.conditions
            .iter()
            .find(|c| c.r#type.as_deref() == Some("Ready"))
    });
    match c {
        Some(c) if c.status.as_deref() == Some("True") => (true, String::new()),
        Some(c) => (
            false,
            format!(
                "Ready={} ({}): {}",
                c.status.as_deref().unwrap_or("Unknown"),
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ),
        ),
        None => (false, "no Ready condition stored".into()),
    }
}

fn node_report(state: &ClusterState, n: &Node) -> WhyReport {
    let name = super::sched::name_of_node(n).to_string();
    let (ready, why) = node_ready(n);
    let cordoned = n
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    let mut r = WhyReport {
        kind: "Node".into(),
        namespace: String::new(),
        name: name.clone(),
        problem: "none".into(),
        summary: "Ready".into(),
        nodes: Vec::new(),
        qos_class: None,
        hints: Vec::new(),
        status: if ready {
            "Ready".into()
        } else {
            "NotReady".into()
        },
        node: None,
        stored_qos: None,
        brief: String::new(),
    };
    if !ready {
        r.problem = "node_not_ready".into();
        r.summary = format!("node is NotReady: {why}");
        let pods = state
            .pods
            .iter()
            .filter(|p| bound_node(p) == Some(name.as_str()))
            .count();
        r.hints.push(format!(
            "{pods} Pod(s) bound to it; check the kubelet (systemctl status kubelet)"
        ));
    } else if cordoned {
        r.problem = "node_cordoned".into();
        r.status = "Ready,SchedulingDisabled".into();
        r.summary = format!("node is cordoned (kubectl uncordon {name})");
    }
    r
}

/// A workload's report from its rollout.
fn workload_report(
    state: &ClusterState,
    snap: &Snapshot,
    kind: &str,
    ns: &str,
    name: &str,
) -> Option<WhyReport> {
    let rr = rollout::report(state, snap, kind, ns, name)?;
    let problem = match rr.state {
        rollout::RolloutState::Complete => "none",
        rollout::RolloutState::Waiting => "rollout_stuck",
        rollout::RolloutState::Failed => "rollout_failed",
    };
    Some(WhyReport {
        kind: rr.kind.clone(),
        namespace: rr.namespace.clone(),
        name: rr.name.clone(),
        problem: problem.into(),
        summary: rr.message.clone(),
        nodes: Vec::new(),
        qos_class: None,
        hints: rr.findings.clone(),
        status: format!("{:?}", rr.state).to_lowercase(),
        node: None,
        stored_qos: None,
        brief: String::new(),
    })
}

/// `k8s why KIND/NAME`.
pub fn why_object(
    state: &ClusterState,
    kind: &str,
    ns: &str,
    name: &str,
) -> Result<WhyReport, WhyError> {
    let snap = Snapshot::build(state);
    let not_found = |k: &str| WhyError::NotFound {
        kind: k.into(),
        namespace: ns.into(),
        name: name.into(),
    };
    match kind.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => {
            let p = state
                .pods
                .iter()
                .find(|p| meta_name(p.metadata.as_ref()) == (ns, name))
                .ok_or_else(|| not_found("Pod"))?;
            Ok(why_pod(state, &snap, p))
        }
        "node" | "nodes" | "no" => {
            let n = state
                .nodes
                .iter()
                .find(|n| super::sched::name_of_node(n) == name)
                .ok_or_else(|| not_found("Node"))?;
            Ok(node_report(state, n))
        }
        k @ ("deployment" | "deployments" | "deploy" | "statefulset" | "statefulsets" | "sts"
        | "daemonset" | "daemonsets" | "ds") => {
            let canon = rollout::canonical_kind(k).unwrap_or("Deployment");
            workload_report(state, &snap, canon, ns, name).ok_or_else(|| not_found(canon))
        }
        other => Err(WhyError::Kind(other.to_string())),
    }
}

/// `k8s why` with no name: every problem in `namespace` (all when `None`),
/// one report each: unschedulable or unbound Pods, failing containers,
/// stuck rollouts, NotReady nodes. Healthy objects are left out, and so are
/// the per-node verdicts (`nodes` is empty; ask for the Pod by name).
pub fn why_all(state: &ClusterState, namespace: Option<&str>) -> Vec<WhyReport> {
    let snap = Snapshot::build(state);
    let in_ns = |ns: &str| namespace.is_none_or(|n| n == ns);
    let mut out = Vec::new();
    if namespace.is_none() {
        for n in &state.nodes {
            let r = node_report(state, n);
            if r.problem == "node_not_ready" {
                out.push(r);
            }
        }
    }
    for (kind, list) in [
        (
            "Deployment",
            state
                .deployments
                .iter()
                .map(|d| meta_name(d.metadata.as_ref()))
                .collect::<Vec<_>>(),
        ),
        (
            "StatefulSet",
            state
                .stateful_sets
                .iter()
                .map(|d| meta_name(d.metadata.as_ref()))
                .collect(),
        ),
        (
            "DaemonSet",
            state
                .daemon_sets
                .iter()
                .map(|d| meta_name(d.metadata.as_ref()))
                .collect(),
        ),
    ] {
        for (ns, name) in list {
            if !in_ns(ns) {
                continue;
            }
            if let Some(r) = workload_report(state, &snap, kind, ns, name)
                && r.is_problem()
            {
                out.push(r);
            }
        }
    }
    for p in &state.pods {
        let (ns, _) = meta_name(p.metadata.as_ref());
        if !in_ns(ns) {
            continue;
        }
        // Cheap pre-check: a running, ready Pod needs no explaining.
        if bound_node(p).is_some() && pod_problems(p).is_empty() {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            if phase != Some("Failed") {
                continue;
            }
        }
        let mut r = why_pod(state, &snap, p);
        if r.is_problem() {
            // One line per problem: the per-node verdicts (up to one per
            // node) stay with `why pod/NAME`, which keeps memory bounded
            // on large clusters.
            r.nodes = Vec::new();
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests;

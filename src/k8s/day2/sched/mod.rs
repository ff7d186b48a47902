//! kube-scheduler's Filter plugins, run against every node of a stored
//! cluster, in the default profile's order
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`):
//! NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
//! NodeResourcesFit, then PodTopologySpread and InterPodAffinity. As the
//! framework does (`RunFilterPlugins` in
//! `pkg/scheduler/framework/runtime/framework.go`), a node's verdict is
//! the first failing plugin's status; its reasons are the plugin's own
//! words.
//!
//! The node's state is the scheduler cache's: every Pod bound to it
//! (`spec.nodeName`) that is not terminal (the scheduler's informer skips
//! `Succeeded` and `Failed` Pods, `pkg/scheduler/scheduler.go`
//! `newPodInformer`), summed with the scheduler's own request arithmetic.
//!
//! Not modelled (no stored state to judge them from, or out of scope):
//! volume plugins (VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
//! VolumeZone), DynamicResources, scheduler extenders, PreFilter results
//! that narrow the node list (NodeAffinity's `metadata.name` shortcut is
//! judged per node instead), and nominated Pods.

pub mod fit;
pub mod interpod;
pub mod labels;
pub mod node;

use std::collections::HashMap;

use k8s_pb::api::core::v1::{Node, Pod};

use super::requests::{BadQuantity, Resource, parse_list};
use crate::k8s::state::ClusterState;

/// A plugin's verdict on a node, as `framework.Code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Preemption might help (NodePorts, NodeResourcesFit, ...).
    Unschedulable,
    /// Preemption cannot help (taints, affinity, cordon, ...).
    UnschedulableAndUnresolvable,
}

/// The first failing filter on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The plugin's name (`NodeResourcesFit`).
    pub plugin: &'static str,
    pub code: Code,
    /// The plugin's reasons, in kube-scheduler's words (`Insufficient cpu`).
    pub reasons: Vec<String>,
    /// kinspect's detail for people (which taint, how much is free).
    pub detail: Option<String>,
}

/// One node as the scheduler's cache sees it.
#[derive(Debug)]
pub struct NodeInfo<'a> {
    pub node: &'a Node,
    pub name: &'a str,
    pub labels: &'a labels::Labels,
    pub allocatable: Resource,
    /// Sum of the requests of the non-terminal Pods bound to it.
    pub requested: Resource,
    /// Those Pods (indexes into `ClusterState::pods`).
    pub pods: Vec<usize>,
    /// Host ports in use: (ip, protocol, port).
    pub used_ports: Vec<(String, String, i32)>,
}

/// Every node with its Pods, built once per state.
#[derive(Debug)]
pub struct Snapshot<'a> {
    pub state: &'a ClusterState,
    pub nodes: Vec<NodeInfo<'a>>,
    pub by_name: HashMap<&'a str, usize>,
    /// Each Pod's requests as the scheduler computes them (by Pod index).
    pub pod_requests: Vec<Resource>,
    /// Quantities that did not parse, in nodes and Pods.
    pub bad: Vec<BadQuantity>,
    /// Does any bound Pod carry required anti-affinity (so every Pod must
    /// be checked against it)?
    pub any_anti_affinity: bool,
}

static EMPTY_LABELS: std::sync::LazyLock<labels::Labels> =
    std::sync::LazyLock::new(labels::Labels::new);

/// The name of a Node or Pod (empty when missing).
pub fn name_of_node(n: &Node) -> &str {
    n.metadata
        .as_ref()
        .and_then(|m| m.name.as_deref())
        .unwrap_or("")
}

/// Is a Pod terminal (Succeeded or Failed)?
pub fn is_terminal(p: &Pod) -> bool {
    matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The node a Pod is bound to, if any.
pub fn bound_node(p: &Pod) -> Option<&str> {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

impl<'a> Snapshot<'a> {
    /// The scheduler cache for `state`.
    pub fn build(state: &'a ClusterState) -> Snapshot<'a> {
        let mut bad = Vec::new();
        let mut nodes = Vec::with_capacity(state.nodes.len());
        let mut by_name = HashMap::with_capacity(state.nodes.len());
        for n in &state.nodes {
            let name = name_of_node(n);
            let labels = n
                .metadata
                .as_ref()
                .map(|m| &m.labels)
                .unwrap_or(&EMPTY_LABELS);
            let alloc = n
                .status
                .as_ref()
                .map(|s| {
                    parse_list(
                        &s.allocatable,
                        &format!("node {name} allocatable"),
                        &mut bad,
                    )
                })
                .unwrap_or_default();
            by_name.insert(name, nodes.len());
            nodes.push(NodeInfo {
                node: n,
                name,
                labels,
                allocatable: Resource::from_list(&alloc),
                requested: Resource::default(),
                pods: Vec::new(),
                used_ports: Vec::new(),
            });
        }
        let mut pod_requests = Vec::with_capacity(state.pods.len());
        for (i, p) in state.pods.iter().enumerate() {
            let r = match &p.spec {
                Some(spec) => super::requests::pod_resource(spec, &mut bad),
                None => Resource::default(),
            };
            if let Some(nn) = bound_node(p)
                && !is_terminal(p)
                && let Some(&ni) = by_name.get(nn)
            {
                let info = &mut nodes[ni];
                info.requested.add(&r);
                info.pods.push(i);
                info.used_ports.extend(fit::host_ports(p));
            }
            pod_requests.push(r);
        }
        let any_anti_affinity = nodes.iter().any(|n| {
            n.pods.iter().any(|&i| {
                state.pods[i]
                    .spec
                    .as_ref()
                    .and_then(|s| s.affinity.as_ref())
                    .and_then(|a| a.pod_anti_affinity.as_ref())
                    .is_some_and(|a| {
                        !a.required_during_scheduling_ignored_during_execution
                            .is_empty()
                    })
            })
        });
        Snapshot {
            state,
            nodes,
            by_name,
            pod_requests,
            bad,
            any_anti_affinity,
        }
    }
}

/// What the filters need of the Pod being placed, computed once.
#[derive(Debug)]
pub struct PodQuery<'p> {
    pub pod: &'p Pod,
    pub namespace: &'p str,
    pub labels: &'p labels::Labels,
    pub request: Resource,
    pub ports: Vec<(String, String, i32)>,
}

impl<'p> PodQuery<'p> {
    pub fn new(pod: &'p Pod, bad: &mut Vec<BadQuantity>) -> PodQuery<'p> {
        let request = pod
            .spec
            .as_ref()
            .map(|s| super::requests::pod_resource(s, bad))
            .unwrap_or_default();
        let meta = pod.metadata.as_ref();
        PodQuery {
            pod,
            namespace: meta
                .and_then(|m| m.namespace.as_deref())
                .unwrap_or("default"),
            labels: meta.map(|m| &m.labels).unwrap_or(&EMPTY_LABELS),
            request,
            ports: fit::host_ports(pod),
        }
    }
}

/// Options for a filter run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Judge resources against allocatable only, as if the nodes were
    /// empty (for `lint`: "could this ever fit").
    pub ignore_existing_pods: bool,
}

/// Runs every filter on one node; `None` when the Pod fits.
pub fn filter_node(
    q: &PodQuery,
    snap: &Snapshot,
    ni: usize,
    opts: RunOptions,
    skip_pods: &[usize],
) -> Option<Failure> {
    let info = &snap.nodes[ni];
    node::node_unschedulable(q, info)
        .or_else(|| node::node_name(q, info))
        .or_else(|| node::taint_toleration(q, info))
        .or_else(|| node::node_affinity(q, info))
        .or_else(|| fit::node_ports(q, snap, info, opts, skip_pods))
        .or_else(|| fit::node_resources_fit(q, snap, info, opts, skip_pods))
        .or_else(|| interpod::pod_topology_spread(q, snap, info, skip_pods))
        .or_else(|| interpod::inter_pod_affinity(q, snap, info, skip_pods))
}

/// One node's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeVerdict {
    pub node: String,
    pub failure: Option<Failure>,
}

/// Every node's verdict, in the state's node order.
pub fn filter_all(q: &PodQuery, snap: &Snapshot, opts: RunOptions) -> Vec<NodeVerdict> {
    (0..snap.nodes.len())
        .map(|ni| NodeVerdict {
            node: snap.nodes[ni].name.to_string(),
            failure: filter_node(q, snap, ni, opts, &[]),
        })
        .collect()
}

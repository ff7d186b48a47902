//! kube-scheduler's sentence for a Pod that fits nowhere, exactly as it
//! writes it in the FailedScheduling event and the PodScheduled condition.
//!
//! `FitError.Error()` (`pkg/scheduler/framework/types.go`):
//! `0/N nodes are available:` + ` ` + the reasons of every node counted
//! (`"<count> <reason>"`), sorted as strings (`sort.Strings`, so `10 x`
//! sorts before `2 y`), joined by `, ` + `.`; then ` ` + the PostFilter
//! plugins' message. The PostFilter message is the DynamicResources
//! plugin's `no new claims to deallocate` (a Pod without claims,
//! `pkg/scheduler/framework/plugins/dynamicresources/dynamicresources.go`)
//! joined by `, ` with DefaultPreemption's `preemption: ` + a second
//! FitError over the preemption verdicts
//! (`pkg/scheduler/framework/preemption/preemption.go`,
//! `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`):
//! nodes that failed with UnschedulableAndUnresolvable get `Preemption is
//! not helpful for scheduling`; the others `No preemption victims found
//! for incoming pod` when no lower-priority Pod runs there, or the reasons
//! that remain once every lower-priority Pod is removed. When some node
//! would fit after evicting, preemption succeeds and adds no message. A
//! Pod with `preemptionPolicy: Never` gets `not eligible due to
//! preemptionPolicy=Never.`

use std::collections::BTreeMap;

use super::sched::{Code, NodeVerdict, PodQuery, RunOptions, Snapshot, filter_node};

/// The DynamicResources PostFilter message for a Pod without claims.
pub const NO_CLAIMS: &str = "no new claims to deallocate";
/// preemption.go `nodesWherePreemptionMightHelp`
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// default_preemption.go `SelectVictimsOnNode`
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// `"<count> <reason>"` for every reason, sorted as Go's `sort.Strings`.
pub fn histogram<'a>(reasons: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reasons {
        *counts.entry(r).or_insert(0) += 1;
    }
    let mut v: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    v.sort(); // byte order, as sort.Strings
    v
}

/// `FitError.Error()` for `num_nodes` nodes, the given reasons, and a
/// PostFilter message (empty for none).
pub fn fit_error(num_nodes: usize, reasons: &[String], post_filter: &str) -> String {
    let mut msg = format!("0/{num_nodes} nodes are available:");
    let h = histogram(reasons.iter().map(String::as_str));
    if !h.is_empty() {
        msg.push_str(&format!(" {}.", h.join(", ")));
    }
    if !post_filter.is_empty() {
        msg.push(' ');
        msg.push_str(post_filter);
    }
    msg
}

/// What preemption would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preemption {
    /// Evicting these Pods (names) on this node would make room.
    Possible { node: String, victims: Vec<String> },
    /// Preemption fails; the message after `preemption: `.
    Fails(String),
}

fn priority(p: &k8s_pb::api::core::v1::Pod) -> i32 {
    p.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// The DefaultPreemption PostFilter on these verdicts (only called when no
/// node fits). Simplified: PodDisruptionBudgets are not consulted, and
/// every lower-priority Pod is removed at once (as the dry run starts).
pub fn preemption(q: &PodQuery, snap: &Snapshot, verdicts: &[NodeVerdict]) -> Preemption {
    let spec = q.pod.spec.as_ref();
    if spec.and_then(|s| s.preemption_policy.as_deref()) == Some("Never") {
        return Preemption::Fails("not eligible due to preemptionPolicy=Never.".into());
    }
    let prio = priority(q.pod);
    let mut reasons = Vec::new();
    for (ni, v) in verdicts.iter().enumerate() {
        let Some(f) = &v.failure else { continue };
        if f.code == Code::UnschedulableAndUnresolvable {
            reasons.push(NOT_HELPFUL.to_string());
            continue;
        }
        let victims: Vec<usize> = snap.nodes[ni]
            .pods
            .iter()
            .copied()
            .filter(|&i| priority(&snap.state.pods[i]) < prio)
            .collect();
        if victims.is_empty() {
            reasons.push(NO_VICTIMS.to_string());
            continue;
        }
        match filter_node(q, snap, ni, RunOptions::default(), &victims) {
            None => {
                return Preemption::Possible {
                    node: v.node.clone(),
                    victims: victims
                        .iter()
                        .map(|&i| {
                            snap.state.pods[i]
                                .metadata
                                .as_ref()
                                .and_then(|m| m.name.clone())
                                .unwrap_or_default()
                        })
                        .collect(),
                };
            }
            Some(f) => reasons.extend(f.reasons),
        }
    }
    Preemption::Fails(fit_error(verdicts.len(), &reasons, ""))
}

/// The whole FailedScheduling sentence for a Pod no node takes.
pub fn scheduler_message(q: &PodQuery, snap: &Snapshot, verdicts: &[NodeVerdict]) -> String {
    let reasons: Vec<String> = verdicts
        .iter()
        .filter_map(|v| v.failure.as_ref())
        .flat_map(|f| f.reasons.iter().cloned())
        .collect();
    let post = match preemption(q, snap, verdicts) {
        Preemption::Possible { .. } => String::new(),
        Preemption::Fails(m) => format!("{NO_CLAIMS}, preemption: {m}"),
    };
    fit_error(verdicts.len(), &reasons, &post)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentence and its sorting, from pkg/scheduler/framework/types.go
    /// (FitError.Error) and the expectations of types_test.go
    /// (TestFitError_Error); the whole message matches events recorded by
    /// kube-scheduler 1.34.
    #[test]
    fn sentence_as_upstream() {
        let r = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let reasons = r(&[
            "Insufficient cpu",
            "node(s) had untolerated taint(s)",
            "Insufficient cpu",
        ]);
        let pre = fit_error(3, &r(&[NOT_HELPFUL, NO_VICTIMS, NO_VICTIMS]), "");
        assert_eq!(
            fit_error(3, &reasons, &format!("{NO_CLAIMS}, preemption: {pre}")),
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. \
             no new claims to deallocate, preemption: 0/3 nodes are available: \
             1 Preemption is not helpful for scheduling, \
             2 No preemption victims found for incoming pod."
        );
        // string sort: "10 ..." before "2 ..."
        let mut many = vec!["b".to_string(); 10];
        many.extend(r(&["a", "a"]));
        assert_eq!(
            fit_error(12, &many, ""),
            "0/12 nodes are available: 10 b, 2 a."
        );
        // no reasons at all (no nodes)
        assert_eq!(fit_error(0, &[], ""), "0/0 nodes are available:");
    }
}

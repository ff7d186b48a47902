//! PodTopologySpread and InterPodAffinity, for the Pods that ask for them.
//!
//! PodTopologySpread follows
//! `pkg/scheduler/framework/plugins/podtopologyspread/filtering.go`: only
//! `whenUnsatisfiable: DoNotSchedule` constraints filter; domains come from
//! the nodes that pass the Pod's node affinity/selector (the default
//! `nodeAffinityPolicy: Honor`; taints are ignored, the default
//! `nodeTaintsPolicy: Ignore`) and carry every constraint's key; matching
//! Pods are counted in the Pod's namespace, terminating Pods left out;
//! skew = count in the node's domain + 1 if the Pod matches itself − the
//! smallest count (0 when there are fewer domains than `minDomains`).
//! Simplified: the `Honor` taints policy is treated as `Ignore`.
//!
//! InterPodAffinity follows
//! `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`: the
//! Pod's required affinity (every term's topology domain must hold a Pod
//! matching all terms, unless no Pod anywhere does and the Pod matches its
//! own terms), its required anti-affinity, and the existing Pods' required
//! anti-affinity towards it. Simplified: `namespaceSelector` with match
//! rules is read against the stored Namespaces' labels;
//! `matchLabelKeys`/`mismatchLabelKeys` are not applied.

use std::collections::{BTreeMap, HashMap};

use k8s_pb::api::core::v1::{Pod, PodAffinityTerm, TopologySpreadConstraint};
use k8s_pb::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::labels::{Labels, selector_matches};
use super::node::affinity_accepts;
use super::{Code, Failure, NodeInfo, PodQuery, Snapshot};

/// `ErrReasonConstraintsNotMatch` (podtopologyspread/common.go, filtering.go)
pub const REASON_SPREAD: &str = "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`
pub const REASON_SPREAD_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
/// interpodaffinity/filtering.go
pub const REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const REASON_EXISTING_ANTI: &str = "node(s) didn't satisfy existing pods anti-affinity rules";

fn labels_of(p: &Pod) -> Option<&Labels> {
    p.metadata.as_ref().map(|m| &m.labels)
}

fn ns_of(p: &Pod) -> &str {
    p.metadata
        .as_ref()
        .and_then(|m| m.namespace.as_deref())
        .unwrap_or("default")
}

fn terminating(p: &Pod) -> bool {
    p.metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some())
}

fn hard_constraints(p: &Pod) -> Vec<&TopologySpreadConstraint> {
    p.spec
        .as_ref()
        .map(|s| {
            s.topology_spread_constraints
                .iter()
                .filter(|c| c.when_unsatisfiable.as_deref() == Some("DoNotSchedule"))
                .collect()
        })
        .unwrap_or_default()
}

/// The constraint's selector with `matchLabelKeys` merged in.
fn spread_selector(c: &TopologySpreadConstraint, pod_labels: &Labels) -> Option<LabelSelector> {
    let mut sel = c.label_selector.clone()?;
    for k in &c.match_label_keys {
        if let Some(v) = pod_labels.get(k) {
            sel.match_expressions.push(LabelSelectorRequirement {
                key: Some(k.clone()),
                operator: Some("In".into()),
                values: vec![v.clone()],
            });
        }
    }
    Some(sel)
}

/// PodTopologySpread.
pub fn pod_topology_spread(
    q: &PodQuery,
    snap: &Snapshot,
    n: &NodeInfo,
    skip: &[usize],
) -> Option<Failure> {
    let cons = hard_constraints(q.pod);
    if cons.is_empty() {
        return None;
    }
    for c in &cons {
        let key = c.topology_key.as_deref().unwrap_or("");
        if !n.labels.contains_key(key) {
            return Some(Failure {
                plugin: "PodTopologySpread",
                code: Code::UnschedulableAndUnresolvable,
                reasons: vec![REASON_SPREAD_LABEL.into()],
                detail: Some(format!("no label {key}")),
            });
        }
    }
    let keys: Vec<&str> = cons
        .iter()
        .map(|c| c.topology_key.as_deref().unwrap_or(""))
        .collect();
    for c in &cons {
        let key = c.topology_key.as_deref().unwrap_or("");
        let sel = spread_selector(c, q.labels);
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for other in &snap.nodes {
            if !keys.iter().all(|k| other.labels.contains_key(*k))
                || !affinity_accepts(q, other.name, other.labels)
            {
                continue;
            }
            let Some(domain) = other.labels.get(key) else {
                continue;
            };
            let e = counts.entry(domain.as_str()).or_insert(0);
            for &pi in &other.pods {
                if skip.contains(&pi) {
                    continue;
                }
                let p = &snap.state.pods[pi];
                if ns_of(p) == q.namespace
                    && !terminating(p)
                    && labels_of(p).is_some_and(|l| selector_matches(sel.as_ref(), l))
                {
                    *e += 1;
                }
            }
        }
        let domain = n.labels.get(key).map(String::as_str).unwrap_or("");
        let here = counts.get(domain).copied().unwrap_or(0);
        let mut min = counts.values().copied().min().unwrap_or(0);
        if let Some(md) = c.min_domains
            && (counts.len() as i64) < md as i64
        {
            min = 0;
        }
        let self_match = i64::from(selector_matches(sel.as_ref(), q.labels));
        let skew = here + self_match - min;
        let max_skew = c.max_skew.unwrap_or(1) as i64;
        if skew > max_skew {
            return Some(Failure {
                plugin: "PodTopologySpread",
                code: Code::Unschedulable,
                reasons: vec![REASON_SPREAD.into()],
                detail: Some(format!("{key}={domain}: skew {skew} > maxSkew {max_skew}")),
            });
        }
    }
    None
}

/// Does an affinity term (of a Pod in `owner_ns`) select `target`?
fn term_selects(snap: &Snapshot, term: &PodAffinityTerm, owner_ns: &str, target: &Pod) -> bool {
    let tns = ns_of(target);
    let ns_ok = if let Some(nsel) = &term.namespace_selector {
        let empty = nsel.match_labels.is_empty() && nsel.match_expressions.is_empty();
        term.namespaces.iter().any(|n| n == tns)
            || empty
            || snap.state.namespaces.iter().any(|n| {
                n.metadata.as_ref().is_some_and(|m| {
                    m.name.as_deref() == Some(tns) && selector_matches(Some(nsel), &m.labels)
                })
            })
    } else if term.namespaces.is_empty() {
        tns == owner_ns
    } else {
        term.namespaces.iter().any(|n| n == tns)
    };
    ns_ok && labels_of(target).is_some_and(|l| selector_matches(term.label_selector.as_ref(), l))
}

fn terms(p: &Pod, anti: bool) -> &[PodAffinityTerm] {
    let a = p.spec.as_ref().and_then(|s| s.affinity.as_ref());
    let v = if anti {
        a.and_then(|a| a.pod_anti_affinity.as_ref()).map(|x| {
            x.required_during_scheduling_ignored_during_execution
                .as_slice()
        })
    } else {
        a.and_then(|a| a.pod_affinity.as_ref()).map(|x| {
            x.required_during_scheduling_ignored_during_execution
                .as_slice()
        })
    };
    v.unwrap_or(&[])
}

/// InterPodAffinity.
pub fn inter_pod_affinity(
    q: &PodQuery,
    snap: &Snapshot,
    n: &NodeInfo,
    skip: &[usize],
) -> Option<Failure> {
    let aff = terms(q.pod, false);
    let anti = terms(q.pod, true);
    let any_existing_anti = snap.nodes.iter().any(|o| {
        o.pods
            .iter()
            .any(|&i| !terms(&snap.state.pods[i], true).is_empty())
    });
    if aff.is_empty() && anti.is_empty() && !any_existing_anti {
        return None;
    }
    let fail = |code, reason: &str, detail: String| {
        Some(Failure {
            plugin: "InterPodAffinity",
            code,
            reasons: vec![reason.to_string()],
            detail: Some(detail),
        })
    };
    let existing = || {
        snap.nodes.iter().flat_map(move |o| {
            o.pods
                .iter()
                .filter(move |i| !skip.contains(i))
                .map(move |&i| (o, &snap.state.pods[i]))
        })
    };
    // The Pod's required affinity.
    if !aff.is_empty() {
        let mut counts: HashMap<(&str, &str), i64> = HashMap::new();
        for (o, p) in existing() {
            if aff.iter().all(|t| term_selects(snap, t, q.namespace, p)) {
                for t in aff {
                    let k = t.topology_key.as_deref().unwrap_or("");
                    if let Some(v) = o.labels.get(k) {
                        *counts.entry((k, v.as_str())).or_insert(0) += 1;
                    }
                }
            }
        }
        let mut pods_exist = true;
        for t in aff {
            let k = t.topology_key.as_deref().unwrap_or("");
            match n.labels.get(k) {
                None => {
                    return fail(
                        Code::UnschedulableAndUnresolvable,
                        REASON_AFFINITY,
                        format!("no label {k}"),
                    );
                }
                Some(v) => {
                    if counts.get(&(k, v.as_str())).copied().unwrap_or(0) <= 0 {
                        pods_exist = false;
                    }
                }
            }
        }
        let self_ok = counts.is_empty()
            && aff
                .iter()
                .all(|t| term_selects(snap, t, q.namespace, q.pod));
        if !pods_exist && !self_ok {
            return fail(
                Code::UnschedulableAndUnresolvable,
                REASON_AFFINITY,
                "no matching Pod in this node's topology domain".into(),
            );
        }
    }
    // The Pod's required anti-affinity.
    for t in anti {
        let k = t.topology_key.as_deref().unwrap_or("");
        let Some(v) = n.labels.get(k) else { continue };
        if let Some((_, p)) = existing()
            .find(|(o, p)| o.labels.get(k) == Some(v) && term_selects(snap, t, q.namespace, p))
        {
            return fail(
                Code::Unschedulable,
                REASON_ANTI_AFFINITY,
                format!(
                    "{k}={v} already runs {}",
                    p.metadata
                        .as_ref()
                        .and_then(|m| m.name.as_deref())
                        .unwrap_or("?")
                ),
            );
        }
    }
    // Existing Pods' anti-affinity towards this Pod.
    for (o, p) in existing() {
        for t in terms(p, true) {
            let k = t.topology_key.as_deref().unwrap_or("");
            let (Some(v_other), Some(v_here)) = (o.labels.get(k), n.labels.get(k)) else {
                continue;
            };
            if v_other == v_here && term_selects(snap, t, ns_of(p), q.pod) {
                return fail(
                    Code::Unschedulable,
                    REASON_EXISTING_ANTI,
                    format!(
                        "{} repels it in {k}={v_here}",
                        p.metadata
                            .as_ref()
                            .and_then(|m| m.name.as_deref())
                            .unwrap_or("?")
                    ),
                );
            }
        }
    }
    None
}

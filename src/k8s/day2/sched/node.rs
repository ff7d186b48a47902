//! The node-level filters: NodeUnschedulable, NodeName, TaintToleration
//! and NodeAffinity.

use k8s_pb::api::core::v1::{Taint, Toleration};

use super::labels::{Labels, node_selector_matches};
use super::{Code, Failure, NodeInfo, PodQuery};

/// `ErrReasonUnschedulable`,
/// pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go
pub const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// `ErrReason`, pkg/scheduler/framework/plugins/nodename/node_name.go
pub const REASON_NODE_NAME: &str = "node(s) didn't match the requested node name";
/// pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go,
/// since Kubernetes 1.34 (before: `node(s) had untolerated taint {k: v}`)
pub const REASON_TAINT: &str = "node(s) had untolerated taint(s)";
/// `ErrReasonPod`, pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go
pub const REASON_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";

/// `ToleratesTaint` (staging/src/k8s.io/api/core/v1/toleration.go): effect
/// and key match when set on the toleration (empty key with `Exists`
/// tolerates everything); `Equal` (or no operator) compares the value.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let t_effect = t.effect.as_deref().unwrap_or("");
    if !t_effect.is_empty() && Some(t_effect) != taint.effect.as_deref() {
        return false;
    }
    let t_key = t.key.as_deref().unwrap_or("");
    if !t_key.is_empty() && Some(t_key) != taint.key.as_deref() {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// `{key: value}` as the scheduler printed a taint before 1.34.
pub fn taint_text(t: &Taint) -> String {
    format!(
        "{{{}: {}}}",
        t.key.as_deref().unwrap_or(""),
        t.value.as_deref().unwrap_or("")
    )
}

/// `key=value:Effect` as kubectl prints a taint.
pub fn taint_kubectl(t: &Taint) -> String {
    let v = t.value.as_deref().unwrap_or("");
    format!(
        "{}{}{}:{}",
        t.key.as_deref().unwrap_or(""),
        if v.is_empty() { "" } else { "=" },
        v,
        t.effect.as_deref().unwrap_or("")
    )
}

fn tolerations<'a>(q: &'a PodQuery) -> &'a [Toleration] {
    q.pod
        .spec
        .as_ref()
        .map(|s| s.tolerations.as_slice())
        .unwrap_or(&[])
}

/// NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only
/// Pods tolerating `node.kubernetes.io/unschedulable:NoSchedule`.
pub fn node_unschedulable(q: &PodQuery, n: &NodeInfo) -> Option<Failure> {
    let cordoned = n
        .node
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    if !cordoned {
        return None;
    }
    let taint = Taint {
        key: Some("node.kubernetes.io/unschedulable".into()),
        effect: Some("NoSchedule".into()),
        ..Default::default()
    };
    if tolerations(q).iter().any(|t| tolerates(t, &taint)) {
        return None;
    }
    Some(Failure {
        plugin: "NodeUnschedulable",
        code: Code::UnschedulableAndUnresolvable,
        reasons: vec![REASON_UNSCHEDULABLE.into()],
        detail: Some("cordoned (spec.unschedulable)".into()),
    })
}

/// NodeName: `spec.nodeName`, when set, must be this node.
pub fn node_name(q: &PodQuery, n: &NodeInfo) -> Option<Failure> {
    let want = q
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("");
    if want.is_empty() || want == n.name {
        return None;
    }
    Some(Failure {
        plugin: "NodeName",
        code: Code::UnschedulableAndUnresolvable,
        reasons: vec![REASON_NODE_NAME.into()],
        detail: Some(format!("spec.nodeName is {want}")),
    })
}

/// The first `NoSchedule`/`NoExecute` taint of the node that no toleration
/// tolerates (`FindMatchingUntoleratedTaint` with
/// `DoNotScheduleTaintsFilterFunc`).
pub fn first_untolerated<'a>(taints: &'a [Taint], tols: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        matches!(t.effect.as_deref(), Some("NoSchedule" | "NoExecute"))
            && !tols.iter().any(|tol| tolerates(tol, t))
    })
}

/// TaintToleration.
pub fn taint_toleration(q: &PodQuery, n: &NodeInfo) -> Option<Failure> {
    let taints = n
        .node
        .spec
        .as_ref()
        .map(|s| s.taints.as_slice())
        .unwrap_or(&[]);
    let t = first_untolerated(taints, tolerations(q))?;
    Some(Failure {
        plugin: "TaintToleration",
        code: Code::UnschedulableAndUnresolvable,
        reasons: vec![REASON_TAINT.into()],
        detail: Some(format!("taint {}", taint_kubectl(t))),
    })
}

/// Does the Pod's `nodeSelector` and required node affinity accept these
/// labels (`GetRequiredNodeAffinity(pod).Match(node)`)?
pub fn affinity_accepts(q: &PodQuery, node_name: &str, labels: &Labels) -> bool {
    let Some(spec) = q.pod.spec.as_ref() else {
        return true;
    };
    for (k, v) in &spec.node_selector {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    if let Some(req) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        && !node_selector_matches(req, node_name, labels)
    {
        return false;
    }
    true
}

/// NodeAffinity: `nodeSelector` and required node affinity.
pub fn node_affinity(q: &PodQuery, n: &NodeInfo) -> Option<Failure> {
    if affinity_accepts(q, n.name, n.labels) {
        return None;
    }
    let spec = q.pod.spec.as_ref()?;
    let missing: Vec<String> = spec
        .node_selector
        .iter()
        .filter(|(k, v)| n.labels.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let detail = if missing.is_empty() {
        "required node affinity not satisfied".to_string()
    } else {
        format!("no label {}", missing.join(", "))
    };
    Some(Failure {
        plugin: "NodeAffinity",
        code: Code::UnschedulableAndUnresolvable,
        reasons: vec![REASON_AFFINITY.into()],
        detail: Some(detail),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(k: &str, v: &str, e: &str) -> Taint {
        Taint {
            key: Some(k.into()),
            value: Some(v.into()),
            effect: Some(e.into()),
            ..Default::default()
        }
    }
    fn tol(k: &str, op: &str, v: &str, e: &str) -> Toleration {
        let s = |x: &str| (!x.is_empty()).then(|| x.to_string());
        Toleration {
            key: s(k),
            operator: s(op),
            value: s(v),
            effect: s(e),
            ..Default::default()
        }
    }

    /// Cases from staging/src/k8s.io/api/core/v1/toleration_test.go
    /// (TestTolerationToleratesTaint).
    #[test]
    fn toleration_rules() {
        let t = taint("dedicated", "gpu", "NoSchedule");
        assert!(tolerates(
            &tol("dedicated", "Equal", "gpu", "NoSchedule"),
            &t
        ));
        assert!(tolerates(&tol("dedicated", "", "gpu", ""), &t)); // empty effect: all
        assert!(!tolerates(
            &tol("dedicated", "Equal", "cpu", "NoSchedule"),
            &t
        ));
        assert!(tolerates(&tol("dedicated", "Exists", "", "NoSchedule"), &t));
        assert!(tolerates(&tol("", "Exists", "", ""), &t)); // tolerates everything
        assert!(!tolerates(&tol("dedicated", "Exists", "", "NoExecute"), &t));
        assert!(!tolerates(&tol("other", "Exists", "", ""), &t));
    }

    /// PreferNoSchedule taints never block
    /// (pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go uses
    /// DoNotScheduleTaintsFilterFunc: NoSchedule and NoExecute only).
    #[test]
    fn prefer_no_schedule_is_ignored() {
        let taints = [
            taint("a", "", "PreferNoSchedule"),
            taint("b", "x", "NoExecute"),
        ];
        let found = first_untolerated(&taints, &[]).map(|t| t.key.clone());
        assert_eq!(found, Some(Some("b".into())));
        assert_eq!(taint_kubectl(&taints[1]), "b=x:NoExecute");
        assert_eq!(taint_text(&taints[1]), "{b: x}");
    }
}

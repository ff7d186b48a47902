//! Label matching the scheduler relies on: `metav1.LabelSelector`
//! (`LabelSelectorAsSelector`,
//! `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`) and
//! `v1.NodeSelectorRequirement`
//! (`staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`).

use std::collections::BTreeMap;

use k8s_pb::api::core::v1::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector;

pub type Labels = BTreeMap<String, String>;

/// `LabelSelectorAsSelector(sel).Matches(labels)`: a missing selector
/// selects nothing, an empty one everything; an unknown operator selects
/// nothing (upstream returns an error and the callers treat it so).
pub fn selector_matches(sel: Option<&LabelSelector>, labels: &Labels) -> bool {
    let Some(sel) = sel else { return false };
    for (k, v) in &sel.match_labels {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for e in &sel.match_expressions {
        let key = e.key.as_deref().unwrap_or("");
        let got = labels.get(key);
        let ok = match e.operator.as_deref().unwrap_or("") {
            "In" => got.is_some_and(|v| e.values.iter().any(|x| x == v)),
            "NotIn" => got.is_none_or(|v| !e.values.iter().any(|x| x == v)),
            "Exists" => got.is_some(),
            "DoesNotExist" => got.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// One node-selector requirement against a set of labels (nodeaffinity.go
/// `nodeSelectorRequirementsAsSelector`): `Gt`/`Lt` compare integers (a
/// value that is not an integer never matches).
pub fn requirement_matches(r: &NodeSelectorRequirement, labels: &Labels) -> bool {
    let key = r.key.as_deref().unwrap_or("");
    let got = labels.get(key);
    match r.operator.as_deref().unwrap_or("") {
        "In" => got.is_some_and(|v| r.values.iter().any(|x| x == v)),
        "NotIn" => got.is_none_or(|v| !r.values.iter().any(|x| x == v)),
        "Exists" => got.is_some(),
        "DoesNotExist" => got.is_none(),
        op @ ("Gt" | "Lt") => {
            let (Some(v), [want]) = (got, r.values.as_slice()) else {
                return false;
            };
            let (Ok(v), Ok(want)) = (v.parse::<i64>(), want.parse::<i64>()) else {
                return false;
            };
            if op == "Gt" { v > want } else { v < want }
        }
        _ => false,
    }
}

/// A term: every expression and every field requirement (only
/// `metadata.name` is a field) holds; a term with neither matches nothing.
pub fn term_matches(t: &NodeSelectorTerm, node_name: &str, labels: &Labels) -> bool {
    if t.match_expressions.is_empty() && t.match_fields.is_empty() {
        return false;
    }
    if !t
        .match_expressions
        .iter()
        .all(|r| requirement_matches(r, labels))
    {
        return false;
    }
    let mut fields = Labels::new();
    fields.insert("metadata.name".into(), node_name.to_string());
    t.match_fields.iter().all(|r| {
        r.key.as_deref() == Some("metadata.name")
            && matches!(r.operator.as_deref(), Some("In" | "NotIn"))
            && requirement_matches(r, &fields)
    })
}

/// A NodeSelector: the terms are ORed.
pub fn node_selector_matches(s: &NodeSelector, node_name: &str, labels: &Labels) -> bool {
    s.node_selector_terms
        .iter()
        .any(|t| term_matches(t, node_name, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: Some(key.into()),
            operator: Some(op.into()),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn labels(kv: &[(&str, &str)]) -> Labels {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Every operator, as in
    /// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity_test.go
    /// and pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go.
    #[test]
    fn operators() {
        let l = labels(&[("zone", "a"), ("cores", "8")]);
        assert!(requirement_matches(&req("zone", "In", &["a", "b"]), &l));
        assert!(!requirement_matches(&req("zone", "In", &["b"]), &l));
        assert!(requirement_matches(&req("zone", "NotIn", &["b"]), &l));
        assert!(requirement_matches(&req("gpu", "NotIn", &["x"]), &l));
        assert!(!requirement_matches(&req("zone", "NotIn", &["a"]), &l));
        assert!(requirement_matches(&req("zone", "Exists", &[]), &l));
        assert!(!requirement_matches(&req("gpu", "Exists", &[]), &l));
        assert!(requirement_matches(&req("gpu", "DoesNotExist", &[]), &l));
        assert!(requirement_matches(&req("cores", "Gt", &["4"]), &l));
        assert!(!requirement_matches(&req("cores", "Gt", &["8"]), &l));
        assert!(requirement_matches(&req("cores", "Lt", &["16"]), &l));
        assert!(!requirement_matches(&req("zone", "Gt", &["1"]), &l)); // not an integer
        assert!(!requirement_matches(&req("cores", "Gt", &["1", "2"]), &l)); // one value only
        assert!(!requirement_matches(&req("zone", "Like", &["a"]), &l));
    }

    /// NodeSelectorTerm: an empty term matches nothing, matchFields on
    /// metadata.name, terms ORed
    /// (staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go).
    #[test]
    fn terms_and_fields() {
        let l = labels(&[("zone", "a")]);
        let empty = NodeSelectorTerm::default();
        assert!(!term_matches(&empty, "n1", &l));
        let by_name = NodeSelectorTerm {
            match_fields: vec![req("metadata.name", "In", &["n1"])],
            ..Default::default()
        };
        assert!(term_matches(&by_name, "n1", &l));
        assert!(!term_matches(&by_name, "n2", &l));
        let sel = NodeSelector {
            node_selector_terms: vec![
                NodeSelectorTerm {
                    match_expressions: vec![req("zone", "In", &["b"])],
                    ..Default::default()
                },
                by_name,
            ],
        };
        assert!(node_selector_matches(&sel, "n1", &l)); // second term
        assert!(!node_selector_matches(&sel, "n2", &l));
    }

    /// A nil LabelSelector selects nothing, an empty one everything
    /// (LabelSelectorAsSelector,
    /// staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go).
    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "web")]);
        assert!(!selector_matches(None, &l));
        assert!(selector_matches(Some(&LabelSelector::default()), &l));
        let s = LabelSelector {
            match_labels: labels(&[("app", "web")]),
            ..Default::default()
        };
        assert!(selector_matches(Some(&s), &l));
        assert!(!selector_matches(Some(&s), &labels(&[("app", "db")])));
    }
}

//! A Pod's QoS class, computed by the upstream rules
//! (`ComputePodQOS` in `pkg/apis/core/v1/helper/qos/qos.go`):
//!
//! - only cpu and memory count; zero amounts are ignored;
//! - no requests and no limits in any container (init containers
//!   included) → `BestEffort`;
//! - every container limits both cpu and memory, and the summed requests
//!   equal the summed limits for each → `Guaranteed`;
//! - anything else → `Burstable`.
//!
//! Pod-level resources (`spec.resources`, the PodLevelResources feature)
//! are judged the same way on their own when set. For manifests that were
//! never defaulted by an apiserver, [`default_requests_from_limits`] does
//! what the defaulting does first (a limit without a request makes the
//! request equal to the limit, `pkg/apis/core/v1/defaults.go`).

use std::collections::BTreeMap;

use k8s_pb::api::core::v1::{Container, PodSpec};

use super::requests::{BadQuantity, container_limits, container_requests, parse_list};

/// The three QoS classes, spelled as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

impl std::fmt::Display for QosClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const QOS_RESOURCES: [&str; 2] = ["cpu", "memory"];

/// `ComputePodQOS` (pkg/apis/core/v1/helper/qos/qos.go).
pub fn compute_qos(spec: &PodSpec) -> QosClass {
    let mut bad: Vec<BadQuantity> = Vec::new();
    // Pod-level resources, when set, decide alone.
    if let Some(r) = &spec.resources
        && (r.requests.keys().chain(r.limits.keys())).any(|k| QOS_RESOURCES.contains(&k.as_str()))
    {
        let req = parse_list(&r.requests, "pod requests", &mut bad);
        let lim = parse_list(&r.limits, "pod limits", &mut bad);
        let req: BTreeMap<_, _> = req
            .into_iter()
            .filter(|(k, v)| QOS_RESOURCES.contains(&k.as_str()) && v.signum() > 0)
            .collect();
        let lim: BTreeMap<_, _> = lim
            .into_iter()
            .filter(|(k, v)| QOS_RESOURCES.contains(&k.as_str()) && v.signum() > 0)
            .collect();
        if req.is_empty() && lim.is_empty() {
            return QosClass::BestEffort;
        }
        let all_limits = QOS_RESOURCES.iter().all(|k| lim.contains_key(*k));
        if all_limits && req.iter().all(|(k, v)| lim.get(k) == Some(v)) && req.len() == lim.len() {
            return QosClass::Guaranteed;
        }
        return QosClass::Burstable;
    }

    let mut requests: BTreeMap<String, super::quantity::Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<String, super::quantity::Quantity> = BTreeMap::new();
    let mut guaranteed = true;
    let all: Vec<&Container> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter())
        .collect();
    for c in all {
        for (name, q) in container_requests(c, &mut bad) {
            if QOS_RESOURCES.contains(&name.as_str()) && q.signum() > 0 {
                requests
                    .entry(name)
                    .and_modify(|x| *x = x.saturating_add(&q))
                    .or_insert(q);
            }
        }
        let mut found = 0;
        for (name, q) in container_limits(c, &mut bad) {
            if QOS_RESOURCES.contains(&name.as_str()) && q.signum() > 0 {
                found += 1;
                limits
                    .entry(name)
                    .and_modify(|x| *x = x.saturating_add(&q))
                    .or_insert(q);
            }
        }
        if found < QOS_RESOURCES.len() {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return QosClass::BestEffort;
    }
    if guaranteed {
        for (name, req) in &requests {
            if limits.get(name) != Some(req) {
                guaranteed = false;
                break;
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

/// The apiserver's defaulting of a manifest that never went through it: a
/// container limit with no request sets the request to the limit
/// (`SetDefaults_Pod` / `setDefaultResources`, pkg/apis/core/v1/defaults.go).
pub fn default_requests_from_limits(spec: &mut PodSpec) {
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut())
    {
        if let Some(r) = &mut c.resources {
            let lims: Vec<_> = r
                .limits
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in lims {
                r.requests.entry(k).or_insert(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit::{container, res};

    fn spec(cs: Vec<Container>) -> PodSpec {
        PodSpec {
            containers: cs,
            ..Default::default()
        }
    }

    /// Cases from pkg/apis/core/v1/helper/qos/qos_test.go (TestComputePodQOS).
    #[test]
    fn classes_as_upstream() {
        // no resources anywhere
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", res(&[], &[]))])),
            QosClass::BestEffort
        );
        // requests == limits for cpu and memory
        let g = res(
            &[("cpu", "100m"), ("memory", "100Mi")],
            &[("cpu", "100m"), ("memory", "100Mi")],
        );
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", g.clone())])),
            QosClass::Guaranteed
        );
        // 0.1 and 100m are the same amount
        let g2 = res(
            &[("cpu", "0.1"), ("memory", "100Mi")],
            &[("cpu", "100m"), ("memory", "100Mi")],
        );
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", g2)])),
            QosClass::Guaranteed
        );
        // one container without limits makes it Burstable
        let b = res(&[("cpu", "100m")], &[]);
        assert_eq!(
            compute_qos(&spec(vec![
                container("a", "i", g.clone()),
                container("b", "i", b)
            ])),
            QosClass::Burstable
        );
        // limits for cpu only
        let b2 = res(&[("cpu", "100m")], &[("cpu", "100m")]);
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", b2)])),
            QosClass::Burstable
        );
        // extended resources do not count
        let e = res(&[("nvidia.com/gpu", "1")], &[("nvidia.com/gpu", "1")]);
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", e)])),
            QosClass::BestEffort
        );
        // an init container's request counts
        let mut s = spec(vec![container("a", "i", res(&[], &[]))]);
        s.init_containers
            .push(container("init", "i", res(&[("memory", "10Mi")], &[])));
        assert_eq!(compute_qos(&s), QosClass::Burstable);
        // zero requests are ignored
        let z = res(&[("cpu", "0")], &[]);
        assert_eq!(
            compute_qos(&spec(vec![container("a", "i", z)])),
            QosClass::BestEffort
        );
    }

    /// pkg/apis/core/v1/defaults.go: limits without requests default the
    /// requests, so limits-only containers are Guaranteed.
    #[test]
    fn defaulting_makes_limits_only_guaranteed() {
        let mut s = spec(vec![container(
            "a",
            "i",
            res(&[], &[("cpu", "1"), ("memory", "1Gi")]),
        )]);
        default_requests_from_limits(&mut s);
        assert_eq!(compute_qos(&s), QosClass::Guaranteed);
    }
}

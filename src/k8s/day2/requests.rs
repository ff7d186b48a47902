//! A Pod's resource requests as kube-scheduler computes them, and the
//! scheduler's `Resource` (milli-cpu, memory bytes, ephemeral-storage bytes,
//! allowed pod count, scalar resources).
//!
//! `pod_requests` follows `PodRequests` in
//! `staging/src/k8s.io/component-helpers/resource/helpers.go`: the sum of
//! the app containers; restartable init containers (sidecars,
//! `restartPolicy: Always`) add to that sum and to every later init
//! container; the result is the larger, per resource, of that sum and the
//! largest init container; then the Pod overhead is added. Pod-level
//! `spec.resources.requests` (the PodLevelResources feature) replace the
//! container aggregate for cpu and memory, as `PodRequests` does when it
//! is set.
//!
//! `Resource::from_list` follows `NewResource`/`Add` in
//! `pkg/scheduler/framework/types.go`: cpu by `MilliValue()`, memory,
//! ephemeral-storage and pods by `Value()`, scalar resources (extended,
//! `hugepages-*`, `attachable-volumes-*`, `kubernetes.io/`-prefixed) by
//! `Value()`; other names are ignored. Simplification: the in-place
//! resize inputs (container status `allocatedResources`) are not read.

use std::collections::BTreeMap;

use k8s_pb::api::core::v1::{Container, PodSpec};
use k8s_pb::apimachinery::pkg::api::resource::Quantity as PbQuantity;

use super::quantity::Quantity;

/// Resource names to amounts (exact quantities).
pub type ResourceList = BTreeMap<String, Quantity>;

/// A quantity that did not parse, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuantity {
    /// e.g. `container app requests cpu`
    pub place: String,
    pub message: String,
}

/// Parses a k8s-pb resource map; malformed entries are reported and left out.
pub fn parse_list(
    map: &BTreeMap<String, PbQuantity>,
    place: &str,
    bad: &mut Vec<BadQuantity>,
) -> ResourceList {
    let mut out = ResourceList::new();
    for (name, q) in map {
        let s = q.string.as_deref().unwrap_or("");
        match Quantity::parse(s) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(e) => bad.push(BadQuantity {
                place: format!("{place} {name}"),
                message: e.to_string(),
            }),
        }
    }
    out
}

fn add_into(into: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        into.entry(k.clone())
            .and_modify(|x| *x = x.saturating_add(v))
            .or_insert(*v);
    }
}

fn max_into(into: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        match into.get_mut(k) {
            Some(x) if *v > *x => *x = *v,
            Some(_) => {}
            None => {
                into.insert(k.clone(), *v);
            }
        }
    }
}

/// A container's `resources.requests`, parsed.
pub fn container_requests(c: &Container, bad: &mut Vec<BadQuantity>) -> ResourceList {
    match &c.resources {
        Some(r) => parse_list(
            &r.requests,
            &format!("container {} requests", c.name.as_deref().unwrap_or("?")),
            bad,
        ),
        None => ResourceList::new(),
    }
}

/// A container's `resources.limits`, parsed.
pub fn container_limits(c: &Container, bad: &mut Vec<BadQuantity>) -> ResourceList {
    match &c.resources {
        Some(r) => parse_list(
            &r.limits,
            &format!("container {} limits", c.name.as_deref().unwrap_or("?")),
            bad,
        ),
        None => ResourceList::new(),
    }
}

/// Is this init container a restartable sidecar (`restartPolicy: Always`)?
pub fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// `PodRequests` (component-helpers resource/helpers.go), overhead included.
pub fn pod_requests(spec: &PodSpec, bad: &mut Vec<BadQuantity>) -> ResourceList {
    let mut reqs = ResourceList::new();
    for c in &spec.containers {
        add_into(&mut reqs, &container_requests(c, bad));
    }
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for c in &spec.init_containers {
        let r = container_requests(c, bad);
        let effective = if is_sidecar(c) {
            add_into(&mut reqs, &r);
            add_into(&mut sidecars, &r);
            sidecars.clone()
        } else {
            let mut tmp = r;
            add_into(&mut tmp, &sidecars);
            tmp
        };
        max_into(&mut init_max, &effective);
    }
    max_into(&mut reqs, &init_max);
    // Pod-level requests (cpu, memory) win when set.
    if let Some(r) = &spec.resources {
        let pod_level = parse_list(&r.requests, "pod requests", bad);
        for name in ["cpu", "memory"] {
            if let Some(q) = pod_level.get(name) {
                reqs.insert(name.to_string(), *q);
            }
        }
    }
    let overhead = parse_list(&spec.overhead, "pod overhead", bad);
    add_into(&mut reqs, &overhead);
    reqs
}

/// `IsScalarResourceName` (pkg/scheduler/util and pkg/apis/core/v1/helper):
/// extended (a domain-prefixed name outside kubernetes.io), huge pages,
/// attachable volumes, and `kubernetes.io/`-prefixed native names.
pub fn is_scalar_resource(name: &str) -> bool {
    if name.starts_with("hugepages-") || name.starts_with("attachable-volumes-") {
        return true;
    }
    if name.contains("kubernetes.io/") {
        return true; // prefixed native
    }
    // extended: has a domain, is not native, is not a quota "requests." name
    name.contains('/') && !name.starts_with("requests.")
}

/// The scheduler's `framework.Resource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// `pods` (allowed pod number on a node's allocatable)
    pub pods: i64,
    pub scalar: BTreeMap<String, i64>,
}

impl Resource {
    /// `NewResource(rl)`.
    pub fn from_list(rl: &ResourceList) -> Resource {
        let mut r = Resource::default();
        for (name, q) in rl {
            match name.as_str() {
                "cpu" => r.milli_cpu = r.milli_cpu.saturating_add(q.milli_value()),
                "memory" => r.memory = r.memory.saturating_add(q.value()),
                "ephemeral-storage" => {
                    r.ephemeral_storage = r.ephemeral_storage.saturating_add(q.value())
                }
                "pods" => r.pods = r.pods.saturating_add(q.value()),
                n if is_scalar_resource(n) => {
                    let e = r.scalar.entry(n.to_string()).or_insert(0);
                    *e = e.saturating_add(q.value());
                }
                _ => {}
            }
        }
        r
    }

    /// `Resource.Add`.
    pub fn add(&mut self, o: &Resource) {
        self.milli_cpu = self.milli_cpu.saturating_add(o.milli_cpu);
        self.memory = self.memory.saturating_add(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_add(o.ephemeral_storage);
        self.pods = self.pods.saturating_add(o.pods);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = e.saturating_add(*v);
        }
    }

    /// True when nothing is requested (the scheduler then skips the
    /// resource checks, noderesources/fit.go `fitsRequest`).
    pub fn is_empty(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// The scheduler's view of one Pod's requests (`computePodResourceRequest`).
pub fn pod_resource(spec: &PodSpec, bad: &mut Vec<BadQuantity>) -> Resource {
    Resource::from_list(&pod_requests(spec, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit::{container, res};

    /// Expectations from
    /// staging/src/k8s.io/component-helpers/resource/helpers_test.go
    /// (TestPodRequests: "restartable init container" and "init container
    /// larger than sum" cases).
    #[test]
    fn init_containers_and_sidecars_as_upstream() {
        let mut bad = Vec::new();
        // app 1 cpu; init 2 cpu: max(1, 2) = 2
        let mut spec = PodSpec {
            containers: vec![container("app", "img:1", res(&[("cpu", "1")], &[]))],
            init_containers: vec![container("init", "img:1", res(&[("cpu", "2")], &[]))],
            ..Default::default()
        };
        assert_eq!(pod_resource(&spec, &mut bad).milli_cpu, 2000);
        // a sidecar of 1 cpu first: sum = 1 + 1 = 2; the init after it
        // needs 2 + 1 = 3; max(2, 3) = 3
        let mut sidecar = container("side", "img:1", res(&[("cpu", "1")], &[]));
        sidecar.restart_policy = Some("Always".into());
        spec.init_containers.insert(0, sidecar);
        assert_eq!(pod_resource(&spec, &mut bad).milli_cpu, 3000);
        // overhead is added on top
        spec.overhead.insert(
            "cpu".into(),
            PbQuantity {
                string: Some("250m".into()),
            },
        );
        assert_eq!(pod_resource(&spec, &mut bad).milli_cpu, 3250);
        assert!(bad.is_empty());
    }

    #[test]
    fn bad_quantities_are_reported_not_fatal() {
        let mut bad = Vec::new();
        let spec = PodSpec {
            containers: vec![container(
                "app",
                "i",
                res(&[("cpu", "lots"), ("memory", "1Gi")], &[]),
            )],
            ..Default::default()
        };
        let r = pod_resource(&spec, &mut bad);
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.milli_cpu, 0);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].place, "container app requests cpu");
    }

    /// pkg/apis/core/v1/helper/helpers.go IsExtendedResourceName /
    /// IsHugePageResourceName / IsPrefixedNativeResource.
    #[test]
    fn scalar_names() {
        assert!(is_scalar_resource("nvidia.com/gpu"));
        assert!(is_scalar_resource("hugepages-2Mi"));
        assert!(is_scalar_resource("kubernetes.io/something"));
        assert!(!is_scalar_resource("cpu"));
        assert!(!is_scalar_resource("storage"));
    }
}

//! NodePorts and NodeResourcesFit.

use k8s_pb::api::core::v1::Pod;

use super::super::quantity::{bytes_human, cpu_human};
use super::super::requests::Resource;
use super::{Code, Failure, NodeInfo, PodQuery, RunOptions, Snapshot};

/// `ErrReason`, pkg/scheduler/framework/plugins/nodeports/node_ports.go
pub const REASON_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
/// pkg/scheduler/framework/plugins/noderesources/fit.go (`fitsRequest`)
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";

/// The host ports a Pod asks for: (hostIP or 0.0.0.0, protocol or TCP,
/// hostPort), from its containers (`GetContainerPorts` over
/// `spec.containers`, pkg/scheduler/framework/plugins/nodeports/node_ports.go;
/// defaults from `HostPortInfo.sanitize`, pkg/scheduler/framework/types.go).
pub fn host_ports(p: &Pod) -> Vec<(String, String, i32)> {
    let Some(spec) = &p.spec else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &spec.containers {
        for port in &c.ports {
            let hp = port.host_port.unwrap_or(0);
            if hp <= 0 {
                continue;
            }
            let ip = port
                .host_ip
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("0.0.0.0");
            let proto = port
                .protocol
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("TCP");
            out.push((ip.to_string(), proto.to_string(), hp));
        }
    }
    out
}

/// `HostPortInfo.CheckConflict`: same protocol and port, and the same IP
/// or either side on 0.0.0.0.
pub fn ports_conflict(a: &(String, String, i32), b: &(String, String, i32)) -> bool {
    a.1 == b.1 && a.2 == b.2 && (a.0 == b.0 || a.0 == "0.0.0.0" || b.0 == "0.0.0.0")
}

/// NodePorts.
pub fn node_ports(
    q: &PodQuery,
    snap: &Snapshot,
    n: &NodeInfo,
    opts: RunOptions,
    skip: &[usize],
) -> Option<Failure> {
    if q.ports.is_empty() || opts.ignore_existing_pods {
        return None;
    }
    let used: Vec<(String, String, i32)> = if skip.is_empty() {
        n.used_ports.clone()
    } else {
        n.pods
            .iter()
            .filter(|i| !skip.contains(i))
            .flat_map(|&i| host_ports(&snap.state.pods[i]))
            .collect()
    };
    let clash = q
        .ports
        .iter()
        .find(|want| used.iter().any(|u| ports_conflict(want, u)))?;
    Some(Failure {
        plugin: "NodePorts",
        code: Code::Unschedulable,
        reasons: vec![REASON_PORTS.into()],
        detail: Some(format!("hostPort {}/{} in use", clash.2, clash.1)),
    })
}

/// What is requested on the node, without the skipped Pods.
pub fn requested_without(snap: &Snapshot, n: &NodeInfo, skip: &[usize]) -> (Resource, usize) {
    if skip.is_empty() {
        return (n.requested.clone(), n.pods.len());
    }
    let mut r = Resource::default();
    let mut count = 0;
    for &i in &n.pods {
        if !skip.contains(&i) {
            r.add(&snap.pod_requests[i]);
            count += 1;
        }
    }
    (r, count)
}

/// One resource's shortfall on a node: name, requested, free, allocatable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub resource: String,
    pub requested: i64,
    pub free: i64,
    pub allocatable: i64,
}

impl Shortfall {
    /// `2 cpu requested, 500m free of 4`
    pub fn describe(&self) -> String {
        let f = |v: i64| render_amount(&self.resource, v);
        format!(
            "{} {} requested, {} free of {}",
            f(self.requested),
            self.resource,
            f(self.free.max(0)),
            f(self.allocatable)
        )
    }
}

/// An amount of a resource as people write it (cpu in cores or m, memory
/// and storage in Ki/Mi/Gi, the rest as counts).
pub fn render_amount(resource: &str, v: i64) -> String {
    match resource {
        "cpu" => cpu_human(v),
        "memory" | "ephemeral-storage" => bytes_human(v),
        r if r.starts_with("hugepages-") => bytes_human(v),
        _ => v.to_string(),
    }
}

/// The resources that do not fit, in the order `fitsRequest` checks them
/// (pods, cpu, memory, ephemeral-storage, scalar resources by name).
pub fn shortfalls(
    req: &Resource,
    alloc: &Resource,
    used: &Resource,
    pods: usize,
) -> Vec<Shortfall> {
    let mut out = Vec::new();
    if pods as i64 + 1 > alloc.pods {
        out.push(Shortfall {
            resource: "pods".into(),
            requested: 1,
            free: alloc.pods - pods as i64,
            allocatable: alloc.pods,
        });
    }
    if req.is_empty() {
        return out;
    }
    let mut check = |name: &str, want: i64, have: i64, used: i64| {
        if want > 0 && want > have - used {
            out.push(Shortfall {
                resource: name.into(),
                requested: want,
                free: have - used,
                allocatable: have,
            });
        }
    };
    check("cpu", req.milli_cpu, alloc.milli_cpu, used.milli_cpu);
    check("memory", req.memory, alloc.memory, used.memory);
    check(
        "ephemeral-storage",
        req.ephemeral_storage,
        alloc.ephemeral_storage,
        used.ephemeral_storage,
    );
    for (name, &want) in &req.scalar {
        let have = alloc.scalar.get(name).copied().unwrap_or(0);
        let u = used.scalar.get(name).copied().unwrap_or(0);
        check(name, want, have, u);
    }
    out
}

/// The reason string for a shortfall (`Too many pods`, `Insufficient cpu`).
pub fn shortfall_reason(s: &Shortfall) -> String {
    if s.resource == "pods" {
        REASON_TOO_MANY_PODS.to_string()
    } else {
        format!("Insufficient {}", s.resource)
    }
}

/// NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go):
/// every insufficient resource is one reason of the same status.
pub fn node_resources_fit(
    q: &PodQuery,
    snap: &Snapshot,
    n: &NodeInfo,
    opts: RunOptions,
    skip: &[usize],
) -> Option<Failure> {
    let (used, count) = if opts.ignore_existing_pods {
        (Resource::default(), 0)
    } else {
        requested_without(snap, n, skip)
    };
    let s = shortfalls(&q.request, &n.allocatable, &used, count);
    if s.is_empty() {
        return None;
    }
    Some(Failure {
        plugin: "NodeResourcesFit",
        code: Code::Unschedulable,
        reasons: s.iter().map(shortfall_reason).collect(),
        detail: Some(
            s.iter()
                .map(Shortfall::describe)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cpu: i64, mem: i64, pods: i64) -> Resource {
        Resource {
            milli_cpu: cpu,
            memory: mem,
            pods,
            ..Default::default()
        }
    }

    /// pkg/scheduler/framework/plugins/noderesources/fit_test.go
    /// (TestEnoughRequests): pods first, then cpu, memory; each a reason;
    /// an empty request only checks the pod count.
    #[test]
    fn fits_request_order_and_reasons() {
        let alloc = r(4000, 8 << 30, 2);
        let used = r(3500, 1 << 30, 2);
        let want = r(1000, 8 << 30, 0);
        let s = shortfalls(&want, &alloc, &used, 2);
        let reasons: Vec<String> = s.iter().map(shortfall_reason).collect();
        assert_eq!(
            reasons,
            ["Too many pods", "Insufficient cpu", "Insufficient memory"]
        );
        assert_eq!(s[1].describe(), "1 cpu requested, 500m free of 4");
        // empty request: only the pod count
        let s = shortfalls(&Resource::default(), &alloc, &used, 1);
        assert!(s.is_empty());
        // extended resource missing on the node
        let mut g = Resource::default();
        g.scalar.insert("nvidia.com/gpu".into(), 1);
        let s = shortfalls(&g, &alloc, &Resource::default(), 0);
        assert_eq!(shortfall_reason(&s[0]), "Insufficient nvidia.com/gpu");
    }

    /// pkg/scheduler/framework/types_test.go (TestHostPortInfo_Check):
    /// 0.0.0.0 conflicts with every IP on the same port and protocol.
    #[test]
    fn port_conflicts() {
        let p = |ip: &str, proto: &str, port| (ip.to_string(), proto.to_string(), port);
        assert!(ports_conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("127.0.0.1", "TCP", 80)
        ));
        assert!(ports_conflict(
            &p("10.0.0.1", "TCP", 80),
            &p("10.0.0.1", "TCP", 80)
        ));
        assert!(!ports_conflict(
            &p("10.0.0.1", "TCP", 80),
            &p("10.0.0.2", "TCP", 80)
        ));
        assert!(!ports_conflict(
            &p("0.0.0.0", "UDP", 80),
            &p("0.0.0.0", "TCP", 80)
        ));
        assert!(!ports_conflict(
            &p("0.0.0.0", "TCP", 81),
            &p("0.0.0.0", "TCP", 80)
        ));
    }
}

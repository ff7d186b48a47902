//! Core-group printers (`printPod`, `printNode`, `printService`, ... in
//! `kubernetes/pkg/printers/internalversion/printers.go`), and
//! discovery.k8s.io's EndpointSlice.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_pb::api::core::v1 as core;
use k8s_pb::api::discovery::v1::EndpointSlice;

use super::duration::{micro_time_nanos, since, time_nanos};
use super::{Column, age, col, container_cells, list_with_more, name, wide};

use crate::k8s::selector::format_labels;

pub const POD_COLUMNS: &[Column] = &[
    col("NAME"),
    col("READY"),
    col("STATUS"),
    col("RESTARTS"),
    col("AGE"),
    wide("IP"),
    wide("NODE"),
    wide("NOMINATED NODE"),
    wide("READINESS GATES"),
];

pub const NODE_COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("ROLES"),
    col("AGE"),
    col("VERSION"),
    wide("INTERNAL-IP"),
    wide("EXTERNAL-IP"),
    wide("OS-IMAGE"),
    wide("KERNEL-VERSION"),
    wide("CONTAINER-RUNTIME"),
];

pub const NAMESPACE_COLUMNS: &[Column] = &[col("NAME"), col("STATUS"), col("AGE")];

pub const SERVICE_COLUMNS: &[Column] = &[
    col("NAME"),
    col("TYPE"),
    col("CLUSTER-IP"),
    col("EXTERNAL-IP"),
    col("PORT(S)"),
    col("AGE"),
    wide("SELECTOR"),
];

pub const ENDPOINTS_COLUMNS: &[Column] = &[col("NAME"), col("ENDPOINTS"), col("AGE")];

pub const ENDPOINT_SLICE_COLUMNS: &[Column] = &[
    col("NAME"),
    col("ADDRESSTYPE"),
    col("PORTS"),
    col("ENDPOINTS"),
    col("AGE"),
];

pub const CONFIG_MAP_COLUMNS: &[Column] = &[col("NAME"), col("DATA"), col("AGE")];

pub const SECRET_COLUMNS: &[Column] = &[col("NAME"), col("TYPE"), col("DATA"), col("AGE")];

pub const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[col("NAME"), col("SECRETS"), col("AGE")];

pub const EVENT_COLUMNS: &[Column] = &[
    col("LAST SEEN"),
    col("TYPE"),
    col("REASON"),
    col("OBJECT"),
    wide("SUBOBJECT"),
    wide("SOURCE"),
    col("MESSAGE"),
    wide("FIRST SEEN"),
    wide("COUNT"),
    wide("NAME"),
];

pub const PV_COLUMNS: &[Column] = &[
    col("NAME"),
    col("CAPACITY"),
    col("ACCESS MODES"),
    col("RECLAIM POLICY"),
    col("STATUS"),
    col("CLAIM"),
    col("STORAGECLASS"),
    col("VOLUMEATTRIBUTESCLASS"),
    col("REASON"),
    col("AGE"),
    wide("VOLUMEMODE"),
];

pub const PVC_COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("VOLUME"),
    col("CAPACITY"),
    col("ACCESS MODES"),
    col("STORAGECLASS"),
    col("VOLUMEATTRIBUTESCLASS"),
    col("AGE"),
    wide("VOLUMEMODE"),
];

pub const RC_COLUMNS: &[Column] = &[
    col("NAME"),
    col("DESIRED"),
    col("CURRENT"),
    col("READY"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

/// `node.NodeUnreachablePodReason` (kubernetes/pkg/util/node).
const NODE_UNREACHABLE_POD_REASON: &str = "NodeLost";

fn is_restartable_init(c: Option<&&core::Container>) -> bool {
    c.is_some_and(|c| c.restart_policy() == "Always")
}

fn terminated_at(s: &core::ContainerStatus) -> Option<i128> {
    s.last_state
        .as_ref()
        .and_then(|l| l.terminated.as_ref())
        .and_then(|t| time_nanos(t.finished_at.as_ref()))
}

fn condition_true(conds: &[core::PodCondition], ty: &str) -> bool {
    conds
        .iter()
        .any(|c| c.r#type() == ty && c.status() == "True")
}

/// `isPodInitializedConditionTrue`: the first Initialized condition.
fn initialized(conds: &[core::PodCondition]) -> bool {
    conds
        .iter()
        .find(|c| c.r#type() == "Initialized")
        .is_some_and(|c| c.status() == "True")
}

/// `printPod`: NAME READY STATUS RESTARTS AGE [IP NODE NOMINATED NODE
/// READINESS GATES].
pub fn pod(pod: &core::Pod, now: i64) -> Vec<String> {
    let default_spec = core::PodSpec::default();
    let default_status = core::PodStatus::default();
    let spec = pod.spec.as_ref().unwrap_or(&default_spec);
    let status = pod.status.as_ref().unwrap_or(&default_status);

    let mut restarts: i64 = 0;
    let mut restartable_restarts: i64 = 0;
    let mut total = spec.containers.len();
    let mut ready = 0usize;
    let mut last_restart: Option<i128> = None;
    let mut last_restartable_restart: Option<i128> = None;

    let phase = status.phase();
    let mut reason = if status.reason().is_empty() {
        phase.to_string()
    } else {
        status.reason().to_string()
    };
    // {type: PodScheduled, reason: SchedulingGated} shows as SchedulingGated.
    if status
        .conditions
        .iter()
        .any(|c| c.r#type() == "PodScheduled" && c.reason() == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }

    let init: HashMap<&str, &core::Container> =
        spec.init_containers.iter().map(|c| (c.name(), c)).collect();
    total += spec
        .init_containers
        .iter()
        .filter(|c| c.restart_policy() == "Always")
        .count();

    let mut initializing = false;
    for (i, c) in status.init_container_statuses.iter().enumerate() {
        restarts += i64::from(c.restart_count());
        let t = terminated_at(c);
        if t > last_restart {
            last_restart = t;
        }
        let restartable = is_restartable_init(init.get(c.name()));
        if restartable {
            restartable_restarts += i64::from(c.restart_count());
            if t > last_restartable_restart {
                last_restartable_restart = t;
            }
        }
        let state = c.state.as_ref();
        let term = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        if term.is_some_and(|t| t.exit_code() == 0) {
            continue;
        }
        if restartable && c.started == Some(true) {
            if c.ready() {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = term {
            // Initialization failed.
            reason = if t.reason().is_empty() {
                if t.signal() != 0 {
                    format!("Init:Signal:{}", t.signal())
                } else {
                    format!("Init:ExitCode:{}", t.exit_code())
                }
            } else {
                format!("Init:{}", t.reason())
            };
        } else if let Some(w) =
            waiting.filter(|w| !w.reason().is_empty() && w.reason() != "PodInitializing")
        {
            reason = format!("Init:{}", w.reason());
        } else {
            reason = format!("Init:{i}/{}", spec.init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || initialized(&status.conditions) {
        restarts = restartable_restarts;
        last_restart = last_restartable_restart;
        let mut has_running = false;
        for c in status.container_statuses.iter().rev() {
            restarts += i64::from(c.restart_count());
            let t = terminated_at(c);
            if t > last_restart {
                last_restart = t;
            }
            let state = c.state.as_ref();
            let waiting = state.and_then(|s| s.waiting.as_ref());
            let term = state.and_then(|s| s.terminated.as_ref());
            if let Some(w) = waiting.filter(|w| !w.reason().is_empty()) {
                reason = w.reason().to_string();
            } else if let Some(t) = term.filter(|t| !t.reason().is_empty()) {
                reason = t.reason().to_string();
            } else if let Some(t) = term {
                reason = if t.signal() != 0 {
                    format!("Signal:{}", t.signal())
                } else {
                    format!("ExitCode:{}", t.exit_code())
                };
            } else if c.ready() && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready += 1;
            }
        }
        // Back to Running if a container still runs after another completed.
        if reason == "Completed" && has_running {
            reason = if condition_true(&status.conditions, "Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    let deleting = pod
        .metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some());
    if deleting && status.reason() == NODE_UNREACHABLE_POD_REASON {
        reason = "Unknown".into();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }

    let restarts_cell = match last_restart {
        Some(at) if restarts != 0 => format!("{restarts} ({} ago)", since(Some(at), now)),
        _ => restarts.to_string(),
    };

    let mut cells = vec![
        name(&pod.metadata),
        format!("{ready}/{total}"),
        reason,
        restarts_cell,
        age(&pod.metadata, now),
    ];
    {
        // podIPs[0]; v1 objects with only podIP convert to podIPs = [podIP]
        // (pkg/apis/core/v1/conversion.go).
        let ip = status
            .pod_ips
            .first()
            .map(|p| p.ip())
            .unwrap_or(status.pod_ip());
        let gates = if spec.readiness_gates.is_empty() {
            "<none>".to_string()
        } else {
            let true_count = spec
                .readiness_gates
                .iter()
                .filter(|g| {
                    status
                        .conditions
                        .iter()
                        .find(|c| c.r#type() == g.condition_type())
                        .is_some_and(|c| c.status() == "True")
                })
                .count();
            format!("{true_count}/{}", spec.readiness_gates.len())
        };
        cells.extend([
            or_none(ip),
            or_none(spec.node_name()),
            or_none(status.nominated_node_name()),
            gates,
        ]);
    }
    cells
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s.to_string()
    }
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "<unknown>".into()
    } else {
        s.to_string()
    }
}

/// `findNodeRoles`: `node-role.kubernetes.io/<role>` keys and
/// `kubernetes.io/role=<role>`, sorted and deduplicated.
fn node_roles(labels: &BTreeMap<String, String>) -> Vec<String> {
    let mut roles = BTreeSet::new();
    for (k, v) in labels {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    roles.into_iter().collect()
}

/// `printNode`: NAME STATUS ROLES AGE VERSION [INTERNAL-IP EXTERNAL-IP
/// OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME].
pub fn node(node: &core::Node, now: i64) -> Vec<String> {
    let status = node.status.as_ref();
    let conditions = status.map(|s| s.conditions.as_slice()).unwrap_or(&[]);
    // The last Ready condition wins (a map keyed by type upstream).
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = conditions.iter().rev().find(|c| c.r#type() == "Ready") {
        if c.status() == "True" {
            parts.push("Ready".into());
        } else {
            parts.push("NotReady".into());
        }
    }
    if parts.is_empty() {
        parts.push("Unknown".into());
    }
    if node.spec.as_ref().is_some_and(|s| s.unschedulable()) {
        parts.push("SchedulingDisabled".into());
    }
    let labels = node.metadata.as_ref().map(|m| &m.labels);
    let roles = labels.map(node_roles).unwrap_or_default().join(",");
    let info = status.and_then(|s| s.node_info.as_ref());
    let mut cells = vec![
        name(&node.metadata),
        parts.join(","),
        if roles.is_empty() {
            "<none>".into()
        } else {
            roles
        },
        age(&node.metadata, now),
        info.map(|i| i.kubelet_version().to_string())
            .unwrap_or_default(),
    ];
    {
        let addr = |ty: &str| {
            status
                .and_then(|s| s.addresses.iter().find(|a| a.r#type() == ty))
                .map(|a| a.address().to_string())
                .unwrap_or_else(|| "<none>".into())
        };
        cells.extend([
            addr("InternalIP"),
            addr("ExternalIP"),
            or_unknown(info.map(|i| i.os_image()).unwrap_or("")),
            or_unknown(info.map(|i| i.kernel_version()).unwrap_or("")),
            or_unknown(info.map(|i| i.container_runtime_version()).unwrap_or("")),
        ]);
    }
    cells
}

/// `printNamespace`: NAME STATUS AGE.
pub fn namespace(ns: &core::Namespace, now: i64) -> Vec<String> {
    let phase = ns.status.as_ref().map(|s| s.phase()).unwrap_or("");
    vec![
        name(&ns.metadata),
        phase.to_string(),
        age(&ns.metadata, now),
    ]
}

/// `loadBalancerStatusStringer` with `wide` (the apiserver builds tables
/// with `GenerateOptions{Wide: true}`, pkg/printers/storage/storage.go, so
/// kubectl never sees the 16-byte cut): sorted unique IPs, else hostnames.
pub(crate) fn load_balancer<'a>(ingress: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let set: BTreeSet<&str> = ingress
        .filter_map(|(ip, host)| {
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// `getServiceExternalIP`.
fn service_external_ip(svc: &core::Service) -> String {
    let default_spec = core::ServiceSpec::default();
    let spec = svc.spec.as_ref().unwrap_or(&default_spec);
    let external = spec.external_ips.join(",");
    match spec.r#type() {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".into()
            } else {
                external
            }
        }
        "LoadBalancer" => {
            let ingress = svc
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .map(|l| l.ingress.as_slice())
                .unwrap_or(&[]);
            let lb = load_balancer(ingress.iter().map(|i| (i.ip(), i.hostname())));
            if !spec.external_ips.is_empty() {
                let mut all: Vec<String> = Vec::new();
                if !lb.is_empty() {
                    all.extend(lb.split(',').map(str::to_string));
                }
                all.extend(spec.external_ips.iter().cloned());
                return all.join(",");
            }
            if lb.is_empty() {
                "<pending>".into()
            } else {
                lb
            }
        }
        "ExternalName" => spec.external_name().to_string(),
        _ => "<unknown>".into(),
    }
}

/// `printService`: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE [SELECTOR].
pub fn service(svc: &core::Service, now: i64) -> Vec<String> {
    let default_spec = core::ServiceSpec::default();
    let spec = svc.spec.as_ref().unwrap_or(&default_spec);
    // clusterIPs is defaulted from clusterIP (core/v1 defaults.go).
    let cluster_ip = spec
        .cluster_ips
        .first()
        .map(String::as_str)
        .unwrap_or(spec.cluster_ip());
    let ports: Vec<String> = spec
        .ports
        .iter()
        .map(|p| {
            if p.node_port() > 0 {
                format!("{}:{}/{}", p.port(), p.node_port(), p.protocol())
            } else {
                format!("{}/{}", p.port(), p.protocol())
            }
        })
        .collect();
    let ports = ports.join(",");
    let mut cells = vec![
        name(&svc.metadata),
        spec.r#type().to_string(),
        or_none(cluster_ip),
        service_external_ip(svc),
        if ports.is_empty() {
            "<none>".into()
        } else {
            ports
        },
        age(&svc.metadata, now),
    ];
    cells.push(format_labels(&spec.selector));
    cells
}

/// `formatEndpoints` (all ports).
fn format_endpoints(ep: &core::Endpoints) -> String {
    if ep.subsets.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for ss in &ep.subsets {
        if ss.ports.is_empty() {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(a.ip().to_string());
            }
            continue;
        }
        for p in &ss.ports {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(a.ip(), p.port()));
            }
        }
    }
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count - MAX);
    }
    ret
}

/// `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `printEndpoints`: NAME ENDPOINTS AGE.
pub fn endpoints(ep: &core::Endpoints, now: i64) -> Vec<String> {
    vec![
        name(&ep.metadata),
        format_endpoints(ep),
        age(&ep.metadata, now),
    ]
}

/// `printEndpointSlice`: NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
pub fn endpoint_slice(es: &EndpointSlice, now: i64) -> Vec<String> {
    const MAX: usize = 3;
    let ports: Vec<String> = es
        .ports
        .iter()
        .take(MAX)
        .map(|p| match (p.port, p.name.as_deref()) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => n.to_string(),
            (None, None) => "*".into(),
        })
        .collect();
    let addresses: Vec<String> = es
        .endpoints
        .iter()
        .flat_map(|e| e.addresses.iter())
        .take(MAX)
        .cloned()
        .collect();
    let address_count: usize = es.endpoints.iter().map(|e| e.addresses.len()).sum();
    vec![
        name(&es.metadata),
        es.address_type().to_string(),
        list_with_more(&ports, es.ports.len(), MAX),
        list_with_more(&addresses, address_count, MAX),
        age(&es.metadata, now),
    ]
}

/// `printConfigMap`: NAME DATA AGE (data + binaryData keys).
pub fn config_map(cm: &core::ConfigMap, now: i64) -> Vec<String> {
    vec![
        name(&cm.metadata),
        (cm.data.len() + cm.binary_data.len()).to_string(),
        age(&cm.metadata, now),
    ]
}

/// `printSecret`: NAME TYPE DATA AGE.
pub fn secret(s: &core::Secret, now: i64) -> Vec<String> {
    vec![
        name(&s.metadata),
        s.r#type().to_string(),
        s.data.len().to_string(),
        age(&s.metadata, now),
    ]
}

/// `printServiceAccount`: NAME SECRETS AGE.
pub fn service_account(sa: &core::ServiceAccount, now: i64) -> Vec<String> {
    vec![
        name(&sa.metadata),
        sa.secrets.len().to_string(),
        age(&sa.metadata, now),
    ]
}

/// `printEvent`: LAST SEEN TYPE REASON OBJECT [SUBOBJECT SOURCE] MESSAGE
/// [FIRST SEEN COUNT NAME].
pub fn event(ev: &core::Event, now: i64) -> Vec<String> {
    let first_at = time_nanos(ev.first_timestamp.as_ref());
    let first = if first_at.is_none() {
        since(micro_time_nanos(ev.event_time.as_ref()), now)
    } else {
        since(first_at, now)
    };
    let mut last = match time_nanos(ev.last_timestamp.as_ref()) {
        None => first.clone(),
        Some(at) => since(Some(at), now),
    };
    let mut count = ev.count();
    if let Some(series) = &ev.series {
        last = since(micro_time_nanos(series.last_observed_time.as_ref()), now);
        count = series.count();
    } else if count == 0 {
        // Singleton events have no count in the new API.
        count = 1;
    }
    let default_ref = core::ObjectReference::default();
    let obj = ev.involved_object.as_ref().unwrap_or(&default_ref);
    let kind = obj.kind().to_lowercase();
    let target = if obj.name().is_empty() {
        kind
    } else {
        format!("{kind}/{}", obj.name())
    };
    let message = ev.message().trim().to_string();
    {
        let source = ev.source.as_ref();
        let component = first_non_empty(
            source.map(|s| s.component()).unwrap_or(""),
            ev.reporting_component(),
        );
        let host = first_non_empty(
            source.map(|s| s.host()).unwrap_or(""),
            ev.reporting_instance(),
        );
        let source = if host.is_empty() {
            component.to_string()
        } else {
            format!("{component}, {host}")
        };
        vec![
            last,
            ev.r#type().to_string(),
            ev.reason().to_string(),
            target,
            obj.field_path().to_string(),
            source,
            message,
            first,
            count.to_string(),
            name(&ev.metadata),
        ]
    }
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// `helper.GetAccessModesAsString`.
fn access_modes(modes: &[String]) -> String {
    let mut out = Vec::new();
    for (mode, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if modes.iter().any(|m| m == mode) {
            out.push(short);
        }
    }
    out.join(",")
}

const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

fn quantity(q: Option<&k8s_pb::apimachinery::pkg::api::resource::Quantity>) -> String {
    q.map(|q| q.string().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0".into())
}

/// `printPersistentVolume`.
pub fn persistent_volume(pv: &core::PersistentVolume, now: i64) -> Vec<String> {
    let default_spec = core::PersistentVolumeSpec::default();
    let spec = pv.spec.as_ref().unwrap_or(&default_spec);
    let claim = spec
        .claim_ref
        .as_ref()
        .map(|c| format!("{}/{}", c.namespace(), c.name()))
        .unwrap_or_default();
    let mut phase = pv
        .status
        .as_ref()
        .map(|s| s.phase())
        .unwrap_or("")
        .to_string();
    if pv
        .metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some())
    {
        phase = "Terminating".into();
    }
    let class = pv
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.get(BETA_STORAGE_CLASS))
        .map(String::as_str)
        .unwrap_or(spec.storage_class_name());
    let mut cells = vec![
        name(&pv.metadata),
        quantity(spec.capacity.get("storage")),
        access_modes(&spec.access_modes),
        spec.persistent_volume_reclaim_policy().to_string(),
        phase,
        claim,
        class.to_string(),
        spec.volume_attributes_class_name
            .clone()
            .unwrap_or_else(|| "<unset>".into()),
        pv.status
            .as_ref()
            .map(|s| s.reason())
            .unwrap_or("")
            .to_string(),
        age(&pv.metadata, now),
    ];
    cells.push(spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
    cells
}

/// `printPersistentVolumeClaim`.
pub fn persistent_volume_claim(pvc: &core::PersistentVolumeClaim, now: i64) -> Vec<String> {
    let default_spec = core::PersistentVolumeClaimSpec::default();
    let spec = pvc.spec.as_ref().unwrap_or(&default_spec);
    let status = pvc.status.as_ref();
    let mut phase = status.map(|s| s.phase()).unwrap_or("").to_string();
    if pvc
        .metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some())
    {
        phase = "Terminating".into();
    }
    let (capacity, modes) = if spec.volume_name().is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(status.and_then(|s| s.capacity.get("storage"))),
            access_modes(status.map(|s| s.access_modes.as_slice()).unwrap_or(&[])),
        )
    };
    let class = pvc
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.get(BETA_STORAGE_CLASS))
        .map(String::as_str)
        .unwrap_or(spec.storage_class_name());
    let mut cells = vec![
        name(&pvc.metadata),
        phase,
        spec.volume_name().to_string(),
        capacity,
        modes,
        class.to_string(),
        spec.volume_attributes_class_name
            .clone()
            .unwrap_or_else(|| "<unset>".into()),
        age(&pvc.metadata, now),
    ];
    cells.push(spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
    cells
}

/// `printReplicationController`.
pub fn replication_controller(rc: &core::ReplicationController, now: i64) -> Vec<String> {
    let spec = rc.spec.as_ref();
    let status = rc.status.as_ref();
    let mut cells = vec![
        name(&rc.metadata),
        spec.map(|s| s.replicas()).unwrap_or(0).to_string(),
        status.map(|s| s.replicas()).unwrap_or(0).to_string(),
        status.map(|s| s.ready_replicas()).unwrap_or(0).to_string(),
        age(&rc.metadata, now),
    ];
    {
        let containers = spec
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref())
            .map(|s| s.containers.as_slice())
            .unwrap_or(&[]);
        let (names, images) = container_cells(containers);
        let empty = BTreeMap::new();
        cells.extend([
            names,
            images,
            format_labels(spec.map(|s| &s.selector).unwrap_or(&empty)),
        ]);
    }
    cells
}

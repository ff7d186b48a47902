//! Printer cases. Each names the upstream function it follows; the
//! expectations are the values `kubernetes/pkg/printers/internalversion/printers.go`
//! computes (its tests: printers_test.go TestPrintPod,
//! TestPrintPodWithRestartableInitContainer, TestPrintNodeStatus,
//! TestPrintNodeRole, TestPrintJob, TestPrintCronJob, TestPrintService, ...).

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::discovery::v1 as discovery;
use k8s_pb::apimachinery::pkg::apis::meta::v1::{LabelSelector, MicroTime, ObjectMeta, Time};

use super::*;

const NOW: i64 = 1_700_000_000;

fn t(secs_ago: i64) -> Time {
    Time {
        seconds: Some(NOW - secs_ago),
        nanos: Some(0),
    }
}

fn meta(name: &str, ns: &str, age_secs: i64) -> Option<ObjectMeta> {
    Some(ObjectMeta {
        name: Some(name.into()),
        namespace: (!ns.is_empty()).then(|| ns.into()),
        creation_timestamp: Some(t(age_secs)),
        ..Default::default()
    })
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn cells(row: Option<Row>) -> Vec<String> {
    row.expect("a printed row").cells
}

// ---------- Pods ----------

fn container(name: &str) -> core::Container {
    core::Container {
        name: s(name),
        image: s(&format!("{name}:1")),
        ..Default::default()
    }
}

fn running(name: &str, ready: bool, restarts: i32) -> core::ContainerStatus {
    core::ContainerStatus {
        name: s(name),
        ready: Some(ready),
        restart_count: Some(restarts),
        started: Some(true),
        state: Some(core::ContainerState {
            running: Some(core::ContainerStateRunning {
                started_at: Some(t(60)),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn waiting(name: &str, reason: &str, restarts: i32) -> core::ContainerStatus {
    core::ContainerStatus {
        name: s(name),
        ready: Some(false),
        restart_count: Some(restarts),
        state: Some(core::ContainerState {
            waiting: Some(core::ContainerStateWaiting {
                reason: s(reason),
                message: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn terminated(name: &str, reason: &str, exit: i32, signal: i32) -> core::ContainerStatus {
    core::ContainerStatus {
        name: s(name),
        ready: Some(false),
        restart_count: Some(0),
        state: Some(core::ContainerState {
            terminated: Some(core::ContainerStateTerminated {
                reason: (!reason.is_empty()).then(|| reason.into()),
                exit_code: Some(exit),
                signal: Some(signal),
                finished_at: Some(t(30)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn with_last_termination(mut c: core::ContainerStatus, finished_ago: i64) -> core::ContainerStatus {
    c.last_state = Some(core::ContainerState {
        terminated: Some(core::ContainerStateTerminated {
            reason: s("Error"),
            exit_code: Some(1),
            finished_at: Some(t(finished_ago)),
            ..Default::default()
        }),
        ..Default::default()
    });
    c
}

fn cond(ty: &str, status: &str) -> core::PodCondition {
    core::PodCondition {
        r#type: s(ty),
        status: s(status),
        ..Default::default()
    }
}

struct PodB {
    pod: core::Pod,
}

impl PodB {
    fn new(containers: &[&str], phase: &str) -> PodB {
        PodB {
            pod: core::Pod {
                metadata: meta("web", "default", 3600),
                spec: Some(core::PodSpec {
                    containers: containers.iter().map(|c| container(c)).collect(),
                    ..Default::default()
                }),
                status: Some(core::PodStatus {
                    phase: s(phase),
                    ..Default::default()
                }),
            },
        }
    }
    fn status(&mut self) -> &mut core::PodStatus {
        self.pod.status.get_or_insert_with(Default::default)
    }
    fn spec(&mut self) -> &mut core::PodSpec {
        self.pod.spec.get_or_insert_with(Default::default)
    }
    fn statuses(mut self, cs: Vec<core::ContainerStatus>) -> Self {
        self.status().container_statuses = cs;
        self
    }
    fn init(mut self, names: &[&str], cs: Vec<core::ContainerStatus>) -> Self {
        self.spec().init_containers = names.iter().map(|c| container(c)).collect();
        self.status().init_container_statuses = cs;
        self
    }
    fn conditions(mut self, c: Vec<core::PodCondition>) -> Self {
        self.status().conditions = c;
        self
    }
    fn reason(mut self, r: &str) -> Self {
        self.status().reason = s(r);
        self
    }
    fn deleting(mut self) -> Self {
        if let Some(m) = self.pod.metadata.as_mut() {
            m.deletion_timestamp = Some(t(5));
        }
        self
    }
    /// READY, STATUS, RESTARTS.
    fn print(self) -> (String, String, String) {
        let c = cells(print(&Typed::Pod(self.pod), NOW, false));
        assert_eq!(c.len(), 5);
        assert_eq!(c[0], "web");
        assert_eq!(c[4], "60m");
        (c[1].clone(), c[2].clone(), c[3].clone())
    }
}

fn rs(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

/// printers.go printPod: phase, waiting and terminated reasons of the
/// containers (the first container's wins), restarts with the last
/// restart's age.
#[test]
fn pod_status_from_containers() {
    let p = PodB::new(&["app"], "Running").statuses(vec![running("app", true, 0)]);
    assert_eq!(p.print(), rs("1/1", "Running", "0"));
    let p = PodB::new(&["app"], "Pending");
    assert_eq!(p.print(), rs("0/1", "Pending", "0"));
    for reason in [
        "ContainerCreating",
        "ErrImagePull",
        "ImagePullBackOff",
        "CreateContainerConfigError",
        "PodInitializing",
    ] {
        let p = PodB::new(&["app"], "Pending").statuses(vec![waiting("app", reason, 0)]);
        assert_eq!(p.print(), rs("0/1", reason, "0"), "{reason}");
    }
    // CrashLoopBackOff with restarts and when the last one ended.
    let c = with_last_termination(waiting("app", "CrashLoopBackOff", 5), 120);
    let p = PodB::new(&["app"], "Running").statuses(vec![c]);
    assert_eq!(p.print(), rs("0/1", "CrashLoopBackOff", "5 (2m ago)"));
    // Restarts without a recorded termination time: just the count.
    let p = PodB::new(&["app"], "Running").statuses(vec![running("app", true, 2)]);
    assert_eq!(p.print(), rs("1/1", "Running", "2"));
    // Terminated: reason, else Signal:N, else ExitCode:N.
    let p = PodB::new(&["app"], "Succeeded").statuses(vec![terminated("app", "Completed", 0, 0)]);
    assert_eq!(p.print(), rs("0/1", "Completed", "0"));
    let p = PodB::new(&["app"], "Failed").statuses(vec![terminated("app", "Error", 1, 0)]);
    assert_eq!(p.print(), rs("0/1", "Error", "0"));
    let p = PodB::new(&["app"], "Running").statuses(vec![terminated("app", "OOMKilled", 137, 0)]);
    assert_eq!(p.print(), rs("0/1", "OOMKilled", "0"));
    let p = PodB::new(&["app"], "Failed").statuses(vec![terminated("app", "", 0, 9)]);
    assert_eq!(p.print(), rs("0/1", "Signal:9", "0"));
    let p = PodB::new(&["app"], "Failed").statuses(vec![terminated("app", "", 137, 0)]);
    assert_eq!(p.print(), rs("0/1", "ExitCode:137", "0"));
    // Two containers: the first one's state is shown; ready counts both.
    let p = PodB::new(&["a", "b"], "Running").statuses(vec![
        waiting("a", "ImagePullBackOff", 0),
        running("b", true, 0),
    ]);
    assert_eq!(p.print(), rs("1/2", "ImagePullBackOff", "0"));
    // Running but not ready.
    let p = PodB::new(&["app"], "Running").statuses(vec![running("app", false, 0)]);
    assert_eq!(p.print(), rs("0/1", "Running", "0"));
}

/// printers.go printPod: a Completed container beside a running one
/// shows Running when the Ready condition holds, NotReady otherwise.
#[test]
fn pod_completed_beside_running() {
    let both = || vec![terminated("a", "Completed", 0, 0), running("b", true, 0)];
    let p = PodB::new(&["a", "b"], "Running")
        .statuses(both())
        .conditions(vec![cond("Ready", "True")]);
    assert_eq!(p.print(), rs("1/2", "Running", "0"));
    let p = PodB::new(&["a", "b"], "Running")
        .statuses(both())
        .conditions(vec![cond("Ready", "False")]);
    assert_eq!(p.print(), rs("1/2", "NotReady", "0"));
}

/// printers.go printPod: init containers (Init:N/M, Init:<waiting
/// reason>, Init:<terminated reason>, Init:Signal:N, Init:ExitCode:N).
#[test]
fn pod_init_containers() {
    let init = &["i1", "i2"];
    let p = PodB::new(&["app"], "Pending")
        .init(
            init,
            vec![running("i1", false, 0), waiting("i2", "PodInitializing", 0)],
        )
        .statuses(vec![waiting("app", "PodInitializing", 0)]);
    assert_eq!(p.print(), rs("0/1", "Init:0/2", "0"));
    let p = PodB::new(&["app"], "Pending")
        .init(
            init,
            vec![terminated("i1", "Completed", 0, 0), running("i2", false, 0)],
        )
        .statuses(vec![waiting("app", "PodInitializing", 0)]);
    assert_eq!(p.print(), rs("0/1", "Init:1/2", "0"));
    // A waiting init container named PodInitializing falls back to N/M.
    let p = PodB::new(&["app"], "Pending").init(init, vec![waiting("i1", "PodInitializing", 0)]);
    assert_eq!(p.print(), rs("0/1", "Init:0/2", "0"));
    for (c, want) in [
        (waiting("i1", "ErrImagePull", 0), "Init:ErrImagePull"),
        (
            waiting("i1", "ImagePullBackOff", 0),
            "Init:ImagePullBackOff",
        ),
        (terminated("i1", "Error", 1, 0), "Init:Error"),
        (terminated("i1", "OOMKilled", 137, 0), "Init:OOMKilled"),
        (terminated("i1", "", 1, 15), "Init:Signal:15"),
        (terminated("i1", "", 2, 0), "Init:ExitCode:2"),
    ] {
        let p = PodB::new(&["app"], "Pending").init(init, vec![c]);
        assert_eq!(p.print().1, want);
    }
    // CrashLoopBackOff in an init container: restarts count init restarts.
    let c = with_last_termination(waiting("i1", "CrashLoopBackOff", 4), 600);
    let p = PodB::new(&["app"], "Pending").init(init, vec![c]);
    assert_eq!(p.print(), rs("0/1", "Init:CrashLoopBackOff", "4 (10m ago)"));
    // Once initialized, init restarts no longer count (non-sidecar).
    let c = with_last_termination(terminated("i1", "Completed", 0, 0), 600);
    let mut c = c;
    c.restart_count = Some(3);
    let p = PodB::new(&["app"], "Running")
        .init(&["i1"], vec![c])
        .statuses(vec![running("app", true, 0)])
        .conditions(vec![cond("Initialized", "True")]);
    assert_eq!(p.print(), rs("1/1", "Running", "0"));
}

/// printers.go printPod with restartable init containers (sidecars,
/// TestPrintPodWithRestartableInitContainer): counted in READY's total,
/// ready when started and ready, their restarts always counted.
#[test]
fn pod_sidecars() {
    let mut b = PodB::new(&["app"], "Running");
    b.spec().init_containers = vec![core::Container {
        restart_policy: s("Always"),
        ..container("proxy")
    }];
    let mut sidecar = with_last_termination(running("proxy", true, 2), 300);
    sidecar.started = Some(true);
    b.status().init_container_statuses = vec![sidecar];
    let b = b
        .statuses(vec![running("app", true, 0)])
        .conditions(vec![cond("Initialized", "True")]);
    assert_eq!(b.print(), rs("2/2", "Running", "2 (5m ago)"));
    // A sidecar not started yet holds initialization.
    let mut b = PodB::new(&["app"], "Pending");
    b.spec().init_containers = vec![core::Container {
        restart_policy: s("Always"),
        ..container("proxy")
    }];
    let mut sidecar = running("proxy", false, 0);
    sidecar.started = Some(false);
    b.status().init_container_statuses = vec![sidecar];
    assert_eq!(b.print(), rs("0/2", "Init:0/1", "0"));
}

/// printers.go printPod: status.reason (Evicted, NodeAffinity...),
/// SchedulingGated, Terminating, Unknown (NodeLost).
#[test]
fn pod_status_overrides() {
    let p = PodB::new(&["app"], "Failed").reason("Evicted");
    assert_eq!(p.print().1, "Evicted");
    let p = PodB::new(&["app"], "Pending").conditions(vec![core::PodCondition {
        reason: s("SchedulingGated"),
        ..cond("PodScheduled", "False")
    }]);
    assert_eq!(p.print().1, "SchedulingGated");
    let p = PodB::new(&["app"], "Running")
        .statuses(vec![running("app", true, 0)])
        .deleting();
    assert_eq!(p.print(), rs("1/1", "Terminating", "0"));
    let p = PodB::new(&["app"], "Running").reason("NodeLost").deleting();
    assert_eq!(p.print().1, "Unknown");
    // A terminal pod being deleted keeps its final status.
    let p = PodB::new(&["app"], "Succeeded")
        .statuses(vec![terminated("app", "Completed", 0, 0)])
        .deleting();
    assert_eq!(p.print().1, "Completed");
    // NodeLost without deletion is just the reason.
    let p = PodB::new(&["app"], "Running").reason("NodeLost");
    assert_eq!(p.print().1, "NodeLost");
}

/// printers.go printPod wide: IP (first podIPs), NODE, NOMINATED NODE,
/// READINESS GATES (true/total), `<none>` when empty.
#[test]
fn pod_wide_columns() {
    let mut b = PodB::new(&["app"], "Running").statuses(vec![running("app", true, 0)]);
    let row = cells(print(&Typed::Pod(b.pod.clone()), NOW, true));
    assert_eq!(row[5..], ["<none>", "<none>", "<none>", "<none>"]);
    b.status().pod_ip = s("10.244.9.9");
    let row = cells(print(&Typed::Pod(b.pod.clone()), NOW, true));
    assert_eq!(row[5], "10.244.9.9");
    b.status().pod_ips = vec![
        core::PodIp {
            ip: s("10.244.1.7"),
        },
        core::PodIp { ip: s("fd00::7") },
    ];
    b.status().nominated_node_name = s("n2");
    b.spec().node_name = s("worker-1");
    b.spec().readiness_gates = vec![
        core::PodReadinessGate {
            condition_type: s("example.com/lb"),
        },
        core::PodReadinessGate {
            condition_type: s("example.com/dns"),
        },
    ];
    b.status().conditions = vec![
        cond("example.com/lb", "True"),
        cond("example.com/dns", "False"),
    ];
    let row = cells(print(&Typed::Pod(b.pod), NOW, true));
    assert_eq!(row.len(), POD.len());
    assert_eq!(row[5..], ["10.244.1.7", "worker-1", "n2", "1/2"]);
}

const POD: &[&str] = &[
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    "AGE",
    "IP",
    "NODE",
    "NOMINATED NODE",
    "READINESS GATES",
];

// ---------- Nodes ----------

fn node(conds: &[(&str, &str)], unschedulable: bool, labels: &[(&str, &str)]) -> core::Node {
    let mut m = meta("cp1", "", 86_400 * 30);
    if let Some(m) = m.as_mut() {
        m.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    core::Node {
        metadata: m,
        spec: Some(core::NodeSpec {
            unschedulable: Some(unschedulable),
            ..Default::default()
        }),
        status: Some(core::NodeStatus {
            conditions: conds
                .iter()
                .map(|(ty, st)| core::NodeCondition {
                    r#type: s(ty),
                    status: s(st),
                    ..Default::default()
                })
                .collect(),
            node_info: Some(core::NodeSystemInfo {
                kubelet_version: s("v1.35.0"),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn node_status(n: core::Node) -> (String, String) {
    let c = cells(print(&Typed::Node(n), NOW, false));
    assert_eq!(c.len(), 5);
    assert_eq!(
        (c[0].as_str(), c[3].as_str(), c[4].as_str()),
        ("cp1", "30d", "v1.35.0")
    );
    (c[1].clone(), c[2].clone())
}

/// printers.go printNode (TestPrintNodeStatus): the Ready condition gives
/// Ready or NotReady (False and Unknown alike), none gives Unknown;
/// unschedulable adds SchedulingDisabled. Other conditions never show.
#[test]
fn node_statuses() {
    type Case<'a> = (&'a [(&'a str, &'a str)], bool, &'a str);
    let cases: &[Case] = &[
        (&[("Ready", "True")], false, "Ready"),
        (&[("Ready", "False")], false, "NotReady"),
        (&[("Ready", "Unknown")], false, "NotReady"),
        (&[], false, "Unknown"),
        (
            &[("MemoryPressure", "True"), ("DiskPressure", "True")],
            false,
            "Unknown",
        ),
        (
            &[("Ready", "True"), ("MemoryPressure", "True")],
            false,
            "Ready",
        ),
        (&[("Ready", "True")], true, "Ready,SchedulingDisabled"),
        (&[("Ready", "False")], true, "NotReady,SchedulingDisabled"),
        (&[], true, "Unknown,SchedulingDisabled"),
    ];
    for (conds, unsched, want) in cases {
        assert_eq!(
            node_status(node(conds, *unsched, &[])).0,
            *want,
            "{conds:?} {unsched}"
        );
    }
}

/// printers.go findNodeRoles (TestPrintNodeRole): node-role.kubernetes.io/*
/// keys and kubernetes.io/role values, sorted, `<none>` when none.
#[test]
fn node_roles() {
    let ready = &[("Ready", "True")][..];
    for (labels, want) in [
        (vec![], "<none>"),
        (
            vec![("node-role.kubernetes.io/control-plane", "")],
            "control-plane",
        ),
        (
            vec![
                ("node-role.kubernetes.io/worker", ""),
                ("node-role.kubernetes.io/control-plane", ""),
            ],
            "control-plane,worker",
        ),
        (vec![("kubernetes.io/role", "master")], "master"),
        (
            vec![
                ("kubernetes.io/role", "master"),
                ("node-role.kubernetes.io/master", ""),
            ],
            "master",
        ),
        (
            vec![("node-role.kubernetes.io/", ""), ("kubernetes.io/role", "")],
            "<none>",
        ),
        (vec![("node-role.kubernetes.io/ingress", "true")], "ingress"),
    ] {
        assert_eq!(
            node_status(node(ready, false, &labels)).1,
            want,
            "{labels:?}"
        );
    }
}

/// printers.go printNode wide: INTERNAL-IP, EXTERNAL-IP (`<none>`),
/// OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME (`<unknown>` when empty).
#[test]
fn node_wide_columns() {
    let mut n = node(&[("Ready", "True")], false, &[]);
    let row = cells(print(&Typed::Node(n.clone()), NOW, true));
    assert_eq!(
        row[5..],
        ["<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
    );
    if let Some(st) = n.status.as_mut() {
        st.addresses = vec![
            core::NodeAddress {
                r#type: s("Hostname"),
                address: s("cp1"),
            },
            core::NodeAddress {
                r#type: s("InternalIP"),
                address: s("192.168.56.10"),
            },
            core::NodeAddress {
                r#type: s("ExternalIP"),
                address: s("203.0.113.4"),
            },
        ];
        st.node_info = Some(core::NodeSystemInfo {
            kubelet_version: s("v1.35.0"),
            os_image: s("Ubuntu 24.04.1 LTS"),
            kernel_version: s("6.8.0-45-generic"),
            container_runtime_version: s("containerd://1.7.22"),
            ..Default::default()
        });
    }
    let row = cells(print(&Typed::Node(n), NOW, true));
    assert_eq!(
        row[5..],
        [
            "192.168.56.10",
            "203.0.113.4",
            "Ubuntu 24.04.1 LTS",
            "6.8.0-45-generic",
            "containerd://1.7.22"
        ]
    );
}

// ---------- Columns of every kind ----------

fn names(kind: &str, wide: bool) -> Vec<&'static str> {
    columns(kind, true)
        .into_iter()
        .filter(|c| wide || !c.wide_only)
        .map(|c| c.name)
        .collect()
}

/// Column definitions of printers.go AddHandlers (priority 1 = wide).
#[test]
fn columns_of_every_kind() {
    assert_eq!(
        names("Pod", false),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(names("Pod", true), POD);
    assert_eq!(
        names("Node", false),
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    );
    assert_eq!(
        names("Node", true)[5..],
        [
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    assert_eq!(
        names("Deployment", false),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(
        names("Deployment", true)[5..],
        ["CONTAINERS", "IMAGES", "SELECTOR"]
    );
    assert_eq!(
        names("ReplicaSet", false),
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    );
    assert_eq!(names("StatefulSet", false), ["NAME", "READY", "AGE"]);
    assert_eq!(names("StatefulSet", true)[3..], ["CONTAINERS", "IMAGES"]);
    assert_eq!(
        names("DaemonSet", false),
        [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE"
        ]
    );
    assert_eq!(
        names("Job", false),
        ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    );
    assert_eq!(
        names("CronJob", false),
        [
            "NAME",
            "SCHEDULE",
            "TIMEZONE",
            "SUSPEND",
            "ACTIVE",
            "LAST SCHEDULE",
            "AGE"
        ]
    );
    assert_eq!(
        names("Service", false),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(names("Service", true)[6..], ["SELECTOR"]);
    assert_eq!(
        names("EndpointSlice", false),
        ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    );
    assert_eq!(names("Endpoints", false), ["NAME", "ENDPOINTS", "AGE"]);
    assert_eq!(names("ConfigMap", false), ["NAME", "DATA", "AGE"]);
    assert_eq!(names("Secret", false), ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(names("Namespace", false), ["NAME", "STATUS", "AGE"]);
    assert_eq!(
        names("Event", false),
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    );
    assert_eq!(
        names("Event", true),
        [
            "LAST SEEN",
            "TYPE",
            "REASON",
            "OBJECT",
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME"
        ]
    );
    assert_eq!(names("Lease", false), ["NAME", "HOLDER", "AGE"]);
    assert_eq!(names("ServiceAccount", false), ["NAME", "SECRETS", "AGE"]);
    assert_eq!(
        names("PriorityClass", false),
        ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    );
    assert_eq!(names("RoleBinding", false), ["NAME", "ROLE", "AGE"]);
    assert_eq!(
        names("Ingress", false),
        ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    );
    // Kinds without a printer: rest/table.go's default table; custom
    // resources: NAME, AGE.
    assert_eq!(names("ClusterRole", false), ["NAME", "CREATED AT"]);
    assert!(!has_printer("ClusterRole") && !has_printer("LimitRange") && has_printer("Pod"));
    for k in PRINTER_MISSING {
        assert!(!has_printer(k), "{k}");
    }
    assert_eq!(
        columns("Widget", false)
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>(),
        ["NAME", "AGE"]
    );
}

/// Every printer fills exactly its kind's columns (wide included).
#[test]
fn every_printer_fills_its_columns() {
    let typed = vec![
        Typed::Pod(Default::default()),
        Typed::Node(Default::default()),
        Typed::Namespace(Default::default()),
        Typed::Deployment(Default::default()),
        Typed::ReplicaSet(Default::default()),
        Typed::StatefulSet(Default::default()),
        Typed::DaemonSet(Default::default()),
        Typed::Job(Default::default()),
        Typed::CronJob(Default::default()),
        Typed::Event(Default::default()),
        Typed::Lease(Default::default()),
        Typed::Service(Default::default()),
        Typed::Endpoints(Default::default()),
        Typed::EndpointSlice(Default::default()),
        Typed::ConfigMap(Default::default()),
        Typed::Secret(Default::default()),
        Typed::ServiceAccount(Default::default()),
        Typed::PersistentVolume(Default::default()),
        Typed::PersistentVolumeClaim(Default::default()),
        Typed::ReplicationController(Default::default()),
        Typed::Ingress(Default::default()),
        Typed::StorageClass(Default::default()),
        Typed::PriorityClass(Default::default()),
        Typed::PodDisruptionBudget(Default::default()),
        Typed::RoleBinding(Default::default()),
        Typed::ClusterRoleBinding(Default::default()),
        Typed::CertificateSigningRequest(Default::default()),
        Typed::MutatingWebhookConfiguration(Default::default()),
        Typed::ValidatingWebhookConfiguration(Default::default()),
        Typed::RuntimeClass(Default::default()),
        Typed::CSINode(Default::default()),
        Typed::CSIDriver(Default::default()),
        Typed::VolumeAttachment(Default::default()),
        Typed::IngressClass(Default::default()),
        Typed::NetworkPolicy(Default::default()),
        Typed::ControllerRevision(Default::default()),
        Typed::PodTemplate(Default::default()),
        Typed::FlowSchema(Default::default()),
        Typed::PriorityLevelConfiguration(Default::default()),
    ];
    for t in &typed {
        let kind = kind_of(t).expect("kind");
        let all = columns(kind, true);
        let (_, c) = all_cells(t, NOW).expect("cells");
        assert_eq!(c.len(), all.len(), "{kind}");
        let narrow = cells(print(t, NOW, false));
        assert_eq!(
            narrow.len(),
            all.iter().filter(|c| !c.wide_only).count(),
            "{kind}"
        );
        // Unset creationTimestamp is <unknown> age.
        if let Some(i) = all.iter().position(|c| c.name == "AGE") {
            assert_eq!(c[i], "<unknown>", "{kind}");
        }
    }
    assert!(print(&Typed::Other, NOW, false).is_none());
}

// ---------- Workloads ----------

fn template(images: &[(&str, &str)]) -> Option<core::PodTemplateSpec> {
    Some(core::PodTemplateSpec {
        metadata: None,
        spec: Some(core::PodSpec {
            containers: images
                .iter()
                .map(|(n, i)| core::Container {
                    name: s(n),
                    image: s(i),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
    })
}

fn selector(pairs: &[(&str, &str)]) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        match_expressions: vec![],
    })
}

/// printers.go printDeployment, printReplicaSet, printStatefulSet,
/// printDaemonSet.
#[test]
fn workloads() {
    let d = apps::Deployment {
        metadata: meta("web", "default", 7200),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(3),
            selector: selector(&[("app", "web")]),
            template: template(&[("nginx", "nginx:1.25"), ("log", "busybox")]),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            ready_replicas: Some(2),
            updated_replicas: Some(3),
            available_replicas: Some(2),
            ..Default::default()
        }),
    };
    assert_eq!(
        cells(print(&Typed::Deployment(d), NOW, true)),
        [
            "web",
            "2/3",
            "3",
            "2",
            "120m",
            "nginx,log",
            "nginx:1.25,busybox",
            "app=web"
        ]
    );
    let r = apps::ReplicaSet {
        metadata: meta("web-7c5ddbdf54", "default", 600),
        spec: Some(apps::ReplicaSetSpec {
            replicas: Some(3),
            selector: selector(&[("app", "web"), ("pod-template-hash", "7c5ddbdf54")]),
            template: template(&[("nginx", "nginx:1.25")]),
            ..Default::default()
        }),
        status: Some(apps::ReplicaSetStatus {
            replicas: Some(3),
            ready_replicas: Some(1),
            ..Default::default()
        }),
    };
    assert_eq!(
        cells(print(&Typed::ReplicaSet(r), NOW, true)),
        [
            "web-7c5ddbdf54",
            "3",
            "3",
            "1",
            "10m",
            "nginx",
            "nginx:1.25",
            "app=web,pod-template-hash=7c5ddbdf54"
        ]
    );
    let st = apps::StatefulSet {
        metadata: meta("db", "default", 86_400 * 3 + 3600 * 5),
        spec: Some(apps::StatefulSetSpec {
            replicas: Some(3),
            ..Default::default()
        }),
        status: Some(apps::StatefulSetStatus {
            ready_replicas: Some(3),
            ..Default::default()
        }),
    };
    assert_eq!(
        cells(print(&Typed::StatefulSet(st), NOW, false)),
        ["db", "3/3", "3d5h"]
    );
    let mut tmpl = template(&[("proxy", "kube-proxy:v1.35.0")]);
    if let Some(spec) = tmpl.as_mut().and_then(|t| t.spec.as_mut()) {
        spec.node_selector =
            BTreeMap::from([("kubernetes.io/os".to_string(), "linux".to_string())]);
    }
    let ds = apps::DaemonSet {
        metadata: meta("kube-proxy", "kube-system", 86_400 * 100),
        spec: Some(apps::DaemonSetSpec {
            selector: selector(&[("k8s-app", "kube-proxy")]),
            template: tmpl,
            ..Default::default()
        }),
        status: Some(apps::DaemonSetStatus {
            desired_number_scheduled: Some(3),
            current_number_scheduled: Some(3),
            number_ready: Some(2),
            updated_number_scheduled: Some(3),
            number_available: Some(2),
            ..Default::default()
        }),
    };
    assert_eq!(
        cells(print(&Typed::DaemonSet(ds), NOW, false)),
        [
            "kube-proxy",
            "3",
            "3",
            "2",
            "3",
            "2",
            "kubernetes.io/os=linux",
            "100d"
        ]
    );
    // A DaemonSet without nodeSelector and a ReplicaSet without selector.
    let (_, c) = all_cells(&Typed::DaemonSet(Default::default()), NOW).expect("cells");
    assert_eq!(c[6], "<none>");
    let (_, c) = all_cells(&Typed::ReplicaSet(Default::default()), NOW).expect("cells");
    assert_eq!(c[7], "<none>");
}

fn job_cond(ty: &str, status: &str) -> batch::JobCondition {
    batch::JobCondition {
        r#type: s(ty),
        status: s(status),
        ..Default::default()
    }
}

/// printers.go printJob (TestPrintJob): STATUS, COMPLETIONS, DURATION.
#[test]
fn jobs() {
    let job = |completions: Option<i32>,
               parallelism: Option<i32>,
               conds: Vec<batch::JobCondition>| batch::Job {
        metadata: meta("pi", "default", 600),
        spec: Some(batch::JobSpec {
            completions,
            parallelism,
            ..Default::default()
        }),
        status: Some(batch::JobStatus {
            succeeded: Some(1),
            start_time: Some(t(300)),
            completion_time: None,
            conditions: conds,
            ..Default::default()
        }),
    };
    let row = |j: batch::Job| cells(print(&Typed::Job(j), NOW, false));
    assert_eq!(
        row(job(Some(2), None, vec![])),
        ["pi", "Running", "1/2", "5m", "10m"]
    );
    assert_eq!(row(job(None, Some(3), vec![]))[2], "1/1 of 3");
    assert_eq!(row(job(None, Some(1), vec![]))[2], "1/1");
    let mut done = job(Some(1), None, vec![job_cond("Complete", "True")]);
    if let Some(st) = done.status.as_mut() {
        st.completion_time = Some(t(250));
    }
    assert_eq!(row(done), ["pi", "Complete", "1/1", "50s", "10m"]);
    assert_eq!(
        row(job(Some(1), None, vec![job_cond("Failed", "True")]))[1],
        "Failed"
    );
    assert_eq!(
        row(job(Some(1), None, vec![job_cond("Suspended", "True")]))[1],
        "Suspended"
    );
    assert_eq!(
        row(job(Some(1), None, vec![job_cond("FailureTarget", "True")]))[1],
        "FailureTarget"
    );
    assert_eq!(
        row(job(Some(1), None, vec![job_cond("Complete", "False")]))[1],
        "Running"
    );
    let mut deleting = job(Some(1), None, vec![job_cond("Suspended", "True")]);
    if let Some(m) = deleting.metadata.as_mut() {
        m.deletion_timestamp = Some(t(1));
    }
    assert_eq!(row(deleting)[1], "Terminating");
    let mut not_started = job(Some(1), None, vec![]);
    if let Some(st) = not_started.status.as_mut() {
        st.start_time = None;
    }
    assert_eq!(row(not_started)[3], "");
}

/// printers.go printCronJob (TestPrintCronJob).
#[test]
fn cron_jobs() {
    let cj = batch::CronJob {
        metadata: meta("backup", "default", 86_400 * 10),
        spec: Some(batch::CronJobSpec {
            schedule: s("*/5 * * * *"),
            time_zone: s("Etc/UTC"),
            suspend: Some(false),
            ..Default::default()
        }),
        status: Some(batch::CronJobStatus {
            active: vec![Default::default()],
            last_schedule_time: Some(t(90)),
            ..Default::default()
        }),
    };
    assert_eq!(
        cells(print(&Typed::CronJob(cj), NOW, false)),
        [
            "backup",
            "*/5 * * * *",
            "Etc/UTC",
            "False",
            "1",
            "90s",
            "10d"
        ]
    );
    let bare = batch::CronJob {
        metadata: meta("b", "default", 5),
        spec: Some(batch::CronJobSpec {
            schedule: s("@hourly"),
            ..Default::default()
        }),
        status: None,
    };
    assert_eq!(
        cells(print(&Typed::CronJob(bare), NOW, false)),
        ["b", "@hourly", "<none>", "<unset>", "0", "<none>", "5s"]
    );
}

// ---------- Networking and config ----------

fn port(p: i32, node_port: Option<i32>) -> core::ServicePort {
    core::ServicePort {
        port: Some(p),
        node_port,
        protocol: s("TCP"),
        ..Default::default()
    }
}

/// printers.go printService / getServiceExternalIP / makePortString.
#[test]
fn services() {
    let svc =
        |ty: &str, ports: Vec<core::ServicePort>, external: &[&str], lb: &[&str]| core::Service {
            metadata: meta("web", "default", 60),
            spec: Some(core::ServiceSpec {
                r#type: s(ty),
                cluster_ip: s("10.96.0.10"),
                cluster_ips: vec!["10.96.0.10".into()],
                ports,
                external_ips: external.iter().map(|e| e.to_string()).collect(),
                external_name: s("db.example.com"),
                selector: BTreeMap::from([("app".to_string(), "web".to_string())]),
                ..Default::default()
            }),
            status: Some(core::ServiceStatus {
                load_balancer: Some(core::LoadBalancerStatus {
                    ingress: lb
                        .iter()
                        .map(|ip| core::LoadBalancerIngress {
                            ip: s(ip),
                            ..Default::default()
                        })
                        .collect(),
                }),
                conditions: vec![],
            }),
        };
    let row = |s: core::Service| cells(print(&Typed::Service(s), NOW, true));
    assert_eq!(
        row(svc(
            "ClusterIP",
            vec![port(80, None), port(443, None)],
            &[],
            &[]
        )),
        [
            "web",
            "ClusterIP",
            "10.96.0.10",
            "<none>",
            "80/TCP,443/TCP",
            "60s",
            "app=web"
        ]
    );
    assert_eq!(
        row(svc("ClusterIP", vec![], &["1.2.3.4"], &[]))[3..5],
        ["1.2.3.4", "<none>"]
    );
    assert_eq!(
        row(svc("NodePort", vec![port(80, Some(30080))], &[], &[]))[3..5],
        ["<none>", "80:30080/TCP"]
    );
    assert_eq!(row(svc("LoadBalancer", vec![], &[], &[]))[3], "<pending>");
    assert_eq!(
        row(svc(
            "LoadBalancer",
            vec![],
            &["5.6.7.8"],
            &["203.0.113.9", "203.0.113.10"]
        ))[3],
        "203.0.113.10,203.0.113.9,5.6.7.8"
    );
    assert_eq!(
        row(svc("ExternalName", vec![], &[], &[]))[3],
        "db.example.com"
    );
    // Headless: clusterIP None.
    let mut headless = svc("ClusterIP", vec![], &[], &[]);
    if let Some(sp) = headless.spec.as_mut() {
        sp.cluster_ips = vec!["None".into()];
    }
    assert_eq!(row(headless)[2], "None");
}

/// printers.go printEndpointSlice / formatDiscoveryPorts /
/// formatDiscoveryEndpoints / listWithMoreString.
#[test]
fn endpoint_slices() {
    let es = discovery::EndpointSlice {
        metadata: meta("kubernetes", "default", 60),
        address_type: s("IPv4"),
        endpoints: (1..=5)
            .map(|i| discovery::Endpoint {
                addresses: vec![format!("10.0.0.{i}")],
                ..Default::default()
            })
            .collect(),
        ports: vec![
            discovery::EndpointPort {
                port: Some(6443),
                ..Default::default()
            },
            discovery::EndpointPort {
                name: s("metrics"),
                ..Default::default()
            },
            discovery::EndpointPort::default(),
        ],
    };
    assert_eq!(
        cells(print(&Typed::EndpointSlice(es), NOW, false)),
        [
            "kubernetes",
            "IPv4",
            "6443,metrics,*",
            "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...",
            "60s"
        ]
    );
    let empty = discovery::EndpointSlice {
        metadata: meta("e", "default", 60),
        address_type: s("IPv6"),
        ..Default::default()
    };
    assert_eq!(
        cells(print(&Typed::EndpointSlice(empty), NOW, false))[2..4],
        ["<unset>", "<unset>"]
    );
}

/// printers.go printEndpoints / formatEndpoints.
#[test]
fn endpoints() {
    let ep = core::Endpoints {
        metadata: meta("kubernetes", "default", 60),
        subsets: vec![core::EndpointSubset {
            addresses: vec![
                core::EndpointAddress {
                    ip: s("192.168.56.10"),
                    ..Default::default()
                },
                core::EndpointAddress {
                    ip: s("fd00::1"),
                    ..Default::default()
                },
            ],
            ports: vec![core::EndpointPort {
                port: Some(6443),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(
        cells(print(&Typed::Endpoints(ep), NOW, false)),
        ["kubernetes", "192.168.56.10:6443,[fd00::1]:6443", "60s"]
    );
    assert_eq!(
        cells(print(&Typed::Endpoints(Default::default()), NOW, false))[1],
        "<none>"
    );
}

/// printers.go printConfigMap (data + binaryData), printSecret,
/// printNamespace, printLease, printServiceAccount.
#[test]
fn config_and_small_kinds() {
    let cm = core::ConfigMap {
        metadata: meta("kube-root-ca.crt", "default", 60),
        data: BTreeMap::from([("ca.crt".to_string(), "x".to_string())]),
        binary_data: BTreeMap::from([("blob".to_string(), vec![1, 2])]),
        immutable: None,
    };
    assert_eq!(
        cells(print(&Typed::ConfigMap(cm), NOW, false)),
        ["kube-root-ca.crt", "2", "60s"]
    );
    let secret = core::Secret {
        metadata: meta("tls", "default", 60),
        r#type: s("kubernetes.io/tls"),
        data: BTreeMap::from([
            ("tls.crt".to_string(), vec![]),
            ("tls.key".to_string(), vec![]),
        ]),
        ..Default::default()
    };
    assert_eq!(
        cells(print(&Typed::Secret(secret), NOW, false)),
        ["tls", "kubernetes.io/tls", "2", "60s"]
    );
    let ns = core::Namespace {
        metadata: meta("kube-system", "", 86_400 * 400),
        spec: None,
        status: Some(core::NamespaceStatus {
            phase: s("Active"),
            conditions: vec![],
        }),
    };
    let row = print(&Typed::Namespace(ns), NOW, false).expect("row");
    assert_eq!(row.cells, ["kube-system", "Active", "400d"]);
    assert_eq!(row.namespace, "");
    let lease = coordination::Lease {
        metadata: meta("kube-scheduler", "kube-system", 86_400),
        spec: Some(coordination::LeaseSpec {
            holder_identity: s("cp1_5d6f0f5c-8d2a-4b7e-9c1a-1f2e3d4c5b6a"),
            renew_time: Some(MicroTime {
                seconds: Some(NOW - 2),
                nanos: Some(0),
            }),
            ..Default::default()
        }),
    };
    let row = print(&Typed::Lease(lease), NOW, false).expect("row");
    assert_eq!(
        row.cells,
        [
            "kube-scheduler",
            "cp1_5d6f0f5c-8d2a-4b7e-9c1a-1f2e3d4c5b6a",
            "24h"
        ]
    );
    assert_eq!(row.namespace, "kube-system");
    assert_eq!(
        cells(print(&Typed::Lease(Default::default()), NOW, false))[1],
        ""
    );
}

/// printers.go printEvent (TestPrintEvent): LAST SEEN from
/// lastTimestamp, else firstTimestamp, else eventTime; series override;
/// OBJECT `kind/name` in lower case; count 1 for singletons.
#[test]
fn events() {
    let ev = core::Event {
        metadata: meta("web.17a", "default", 600),
        involved_object: Some(core::ObjectReference {
            kind: s("Pod"),
            name: s("web"),
            field_path: s("spec.containers{app}"),
            ..Default::default()
        }),
        reason: s("BackOff"),
        message: s("Back-off restarting failed container\n"),
        source: Some(core::EventSource {
            component: s("kubelet"),
            host: s("worker-1"),
        }),
        first_timestamp: Some(t(600)),
        last_timestamp: Some(t(30)),
        count: Some(7),
        r#type: s("Warning"),
        ..Default::default()
    };
    assert_eq!(
        cells(print(&Typed::Event(ev.clone()), NOW, false)),
        [
            "30s",
            "Warning",
            "BackOff",
            "pod/web",
            "Back-off restarting failed container"
        ]
    );
    assert_eq!(
        cells(print(&Typed::Event(ev), NOW, true)),
        [
            "30s",
            "Warning",
            "BackOff",
            "pod/web",
            "spec.containers{app}",
            "kubelet, worker-1",
            "Back-off restarting failed container",
            "10m",
            "7",
            "web.17a"
        ]
    );
    // events.k8s.io-style: eventTime only, series, reporting controller.
    let ev = core::Event {
        metadata: meta("n.1", "default", 600),
        involved_object: Some(core::ObjectReference {
            kind: s("Node"),
            ..Default::default()
        }),
        event_time: Some(MicroTime {
            seconds: Some(NOW - 200),
            nanos: Some(123_000),
        }),
        series: Some(core::EventSeries {
            count: Some(4),
            last_observed_time: Some(MicroTime {
                seconds: Some(NOW - 20),
                nanos: Some(0),
            }),
        }),
        reporting_component: s("kube-scheduler"),
        r#type: s("Normal"),
        ..Default::default()
    };
    let c = cells(print(&Typed::Event(ev), NOW, true));
    assert_eq!(c[0], "20s");
    assert_eq!(c[3], "node");
    assert_eq!(c[5], "kube-scheduler");
    // 199.999877s ago: HumanDuration truncates.
    assert_eq!((c[7].as_str(), c[8].as_str()), ("3m19s", "4"));
    // Singleton without count.
    let ev = core::Event {
        first_timestamp: Some(t(5)),
        ..Default::default()
    };
    let c = cells(print(&Typed::Event(ev), NOW, true));
    assert_eq!((c[0].as_str(), c[8].as_str()), ("5s", "1"));
}

/// rest/table.go (the apiserver's default table) and the CRD default
/// (NAME, AGE).
#[test]
fn default_rows() {
    let r = print_default("", "admin", Some(1_700_000_000 - 86_400), true, NOW);
    assert_eq!(r.cells, ["admin", "2023-11-13T22:13:20Z"]);
    let r = print_default("prod", "w1", Some(NOW - 65), false, NOW);
    assert_eq!((r.namespace.as_str(), r.cells[1].as_str()), ("prod", "65s"));
    assert_eq!(
        print_default("", "x", None, false, NOW).cells[1],
        "<unknown>"
    );
}

// ---------- Bad input ----------

/// Mutated protobuf for printed kinds (what the k8s_printers fuzz target
/// does, run here on a fixed seed): real objects encoded with k8s-pb,
/// then bytes flipped and cut. Decoding may fail; whatever decodes prints
/// exactly its columns, at any `now`.
#[test]
fn mutated_objects_never_break_a_printer() {
    use prost::Message;
    let pod = PodB::new(&["a", "b"], "Running")
        .init(
            &["i"],
            vec![with_last_termination(terminated("i", "", 1, 9), 60)],
        )
        .statuses(vec![
            with_last_termination(waiting("a", "CrashLoopBackOff", 3), 10),
            running("b", true, 1),
        ])
        .conditions(vec![cond("Ready", "False")])
        .deleting()
        .pod;
    let node = node(
        &[("Ready", "True")],
        true,
        &[("node-role.kubernetes.io/control-plane", "")],
    );
    let ev = core::Event {
        metadata: meta("e", "default", 5),
        involved_object: Some(core::ObjectReference {
            kind: s("Pod"),
            name: s("web"),
            ..Default::default()
        }),
        series: Some(core::EventSeries {
            count: Some(2),
            last_observed_time: Some(MicroTime {
                seconds: Some(NOW),
                nanos: Some(5),
            }),
        }),
        message: s("a\nb"),
        ..Default::default()
    };
    let job = batch::Job {
        metadata: meta("j", "default", 5),
        spec: Some(batch::JobSpec {
            parallelism: Some(4),
            ..Default::default()
        }),
        status: Some(batch::JobStatus {
            start_time: Some(t(100)),
            completion_time: Some(t(10)),
            conditions: vec![job_cond("Complete", "True")],
            ..Default::default()
        }),
    };
    let seeds: Vec<(&str, &str, Vec<u8>)> = vec![
        ("v1", "Pod", pod.encode_to_vec()),
        ("v1", "Node", node.encode_to_vec()),
        ("v1", "Event", ev.encode_to_vec()),
        ("batch/v1", "Job", job.encode_to_vec()),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut decoded = 0;
    for i in 0..4000 {
        let (api_version, kind, seed) = &seeds[i % seeds.len()];
        let mut bytes = seed.clone();
        for _ in 0..(1 + next() % 3) {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        if next() % 4 == 0 {
            bytes.truncate((next() as usize) % bytes.len());
        }
        let now = match i % 4 {
            0 => NOW,
            1 => i64::MAX,
            2 => i64::MIN,
            _ => next() as i64,
        };
        let Ok(typed) = Typed::decode(api_version, kind, &bytes) else {
            continue;
        };
        decoded += 1;
        let all = columns(kind, true);
        for wide in [false, true] {
            let row = print(&typed, now, wide).expect("row");
            assert_eq!(
                row.cells.len(),
                all.iter().filter(|c| wide || !c.wide_only).count()
            );
        }
    }
    assert!(decoded > 300, "only {decoded} inputs decoded");
}

/// Objects with hostile values: negative counts, out-of-range times,
/// unknown enum strings.
#[test]
fn hostile_values() {
    let mut b = PodB::new(&["app"], "Weird");
    b.status().container_statuses = vec![core::ContainerStatus {
        restart_count: Some(-5),
        last_state: Some(core::ContainerState {
            terminated: Some(core::ContainerStateTerminated {
                finished_at: Some(Time {
                    seconds: Some(i64::MAX),
                    nanos: Some(i32::MAX),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..running("app", true, 0)
    }];
    let c = cells(print(&Typed::Pod(b.pod), NOW, true));
    assert_eq!(c[1..4], ["1/1", "Weird", "-5 (<invalid> ago)"]);
    let svc = core::Service {
        spec: Some(core::ServiceSpec {
            r#type: s("Bogus"),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        cells(print(&Typed::Service(svc), NOW, false))[3],
        "<unknown>"
    );
}

/// printers.go printCSIDriver, printControllerRevision, printFlowSchema,
/// printPriorityLevelConfiguration, printNetworkPolicy,
/// printMutatingWebhook: defaults and placeholders.
#[test]
fn plumbing_kinds() {
    use k8s_pb::api::admissionregistration::v1 as admission;
    use k8s_pb::api::flowcontrol::v1 as flowcontrol;
    use k8s_pb::api::storage::v1 as storage;
    use k8s_pb::apimachinery::pkg::apis::meta::v1::OwnerReference;
    let row = |t: Typed| cells(print(&t, NOW, false));
    // attachRequired defaults to true; no token requests: <unset>.
    let d = storage::CSIDriver {
        metadata: meta("ebs.csi.aws.com", "", 60),
        spec: Some(storage::CSIDriverSpec {
            volume_lifecycle_modes: vec!["Persistent".into(), "Ephemeral".into()],
            ..Default::default()
        }),
    };
    assert_eq!(
        row(Typed::CSIDriver(d)),
        [
            "ebs.csi.aws.com",
            "true",
            "false",
            "false",
            "<unset>",
            "false",
            "Persistent,Ephemeral",
            "60s"
        ]
    );
    let mut m = meta("kube-proxy-5d8f", "kube-system", 60);
    if let Some(m) = m.as_mut() {
        m.owner_references = vec![OwnerReference {
            api_version: s("apps/v1"),
            kind: s("DaemonSet"),
            name: s("kube-proxy"),
            controller: Some(true),
            ..Default::default()
        }];
    }
    let cr = apps::ControllerRevision {
        metadata: m,
        data: None,
        revision: Some(3),
    };
    assert_eq!(
        row(Typed::ControllerRevision(cr)),
        ["kube-proxy-5d8f", "daemonset.apps/kube-proxy", "3", "60s"]
    );
    assert_eq!(
        row(Typed::ControllerRevision(Default::default()))[1],
        "<none>"
    );
    let fs = flowcontrol::FlowSchema {
        metadata: meta("exempt", "", 60),
        spec: Some(flowcontrol::FlowSchemaSpec {
            priority_level_configuration: Some(flowcontrol::PriorityLevelConfigurationReference {
                name: s("exempt"),
            }),
            matching_precedence: Some(1),
            ..Default::default()
        }),
        status: None,
    };
    assert_eq!(
        row(Typed::FlowSchema(fs)),
        ["exempt", "exempt", "1", "<none>", "60s", "?"]
    );
    let pl = flowcontrol::PriorityLevelConfiguration {
        metadata: meta("exempt", "", 60),
        spec: Some(flowcontrol::PriorityLevelConfigurationSpec {
            r#type: s("Exempt"),
            ..Default::default()
        }),
        status: None,
    };
    assert_eq!(
        row(Typed::PriorityLevelConfiguration(pl)),
        [
            "exempt", "Exempt", "<none>", "<none>", "<none>", "<none>", "60s"
        ]
    );
    assert_eq!(row(Typed::NetworkPolicy(Default::default()))[1], "<none>");
    let wh = admission::ValidatingWebhookConfiguration {
        metadata: meta("policy", "", 60),
        webhooks: vec![Default::default(), Default::default()],
    };
    assert_eq!(
        row(Typed::ValidatingWebhookConfiguration(wh)),
        ["policy", "2", "60s"]
    );
}

/// Every kind with a printer is decoded from its stored apiVersion/kind
/// (the resource table's preferred version) into the variant it prints as.
#[test]
fn every_printed_kind_decodes() {
    let mut printed = 0;
    for r in crate::k8s::resources::RESOURCES {
        if !has_printer(r.kind) || r.group == "events.k8s.io" {
            continue;
        }
        let t = Typed::decode(&r.api_version(), r.kind, &[])
            .unwrap_or_else(|e| panic!("{}: {e}", r.kind));
        assert_eq!(kind_of(&t), Some(r.kind), "{} {}", r.api_version(), r.kind);
        printed += 1;
    }
    assert_eq!(printed, 39);
}

//! Builders of k8s-pb objects and the demo cluster: every Day-2 scenario
//! in one deterministic [`ClusterState`], for the tests here, the lead's
//! etcd-stored fixtures and kubectl-JSON fixtures, and the docs.
//!
//! [`demo_cluster`] holds five nodes — `cp-1` (control plane, NoSchedule
//! taint), `worker-1` (4 cpu, `disktype=ssd`), `worker-2` (2 cpu,
//! `disktype=hdd`), `worker-3` (cordoned) and `worker-4` (NotReady,
//! unreachable taints) — and, in namespace `shop`, the four Challenge-2
//! disasters:
//! (a) Deployment `web` rolled to `nginx:1.99.99-doesnotexist`, its new
//! Pod in ImagePullBackOff; (b) Pod `big-cpu` requesting `cpu: 10000m`;
//! (c) Pod `picky` with `nodeSelector: {nonexistent-label: "yes"}`;
//! (d) Deployment `frontend` rolling with `maxUnavailable: 100%`.
//! Also: `checkout` past its progress deadline (CrashLoopBackOff),
//! `memhog` (OOMKilled), `waits-for-db` (init container stuck),
//! `edge-proxy-new` (host port taken), `custom-sched` (fits, but its
//! scheduler does not exist), StatefulSet `db` (one Pod not ready),
//! DaemonSet `node-agent`, Deployment `api` (complete). Every time is
//! relative to `now` (Unix seconds).

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::coordination::v1 as coord;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity as PbQuantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::state::ClusterState;

/// A `Time` at Unix seconds.
pub fn ts(secs: i64) -> meta::Time {
    meta::Time {
        seconds: Some(secs),
        nanos: Some(0),
    }
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

/// `key=value` pairs as a label map.
pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// ObjectMeta with a namespace (empty for cluster objects), name, uid and
/// creation time.
pub fn meta(ns: &str, name: &str, created: i64) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: s(name),
        namespace: (!ns.is_empty()).then(|| ns.to_string()),
        uid: Some(format!("uid-{ns}-{name}")),
        creation_timestamp: Some(ts(created)),
        generation: Some(1),
        ..Default::default()
    }
}

fn qmap(kv: &[(&str, &str)]) -> BTreeMap<String, PbQuantity> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), PbQuantity { string: s(v) }))
        .collect()
}

/// Resource requirements from (name, quantity) requests and limits.
pub fn res(req: &[(&str, &str)], lim: &[(&str, &str)]) -> core::ResourceRequirements {
    core::ResourceRequirements {
        requests: qmap(req),
        limits: qmap(lim),
        ..Default::default()
    }
}

/// A container with a name, an image and resources.
pub fn container(name: &str, image: &str, r: core::ResourceRequirements) -> core::Container {
    core::Container {
        name: s(name),
        image: s(image),
        resources: Some(r),
        ..Default::default()
    }
}

/// A Ready node with allocatable cpu/memory/pods (capacity the same).
pub fn node(name: &str, cpu: &str, memory: &str, pods: &str, lbl: &[(&str, &str)]) -> core::Node {
    let mut m = meta("", name, 0);
    m.labels = labels(lbl);
    m.labels
        .insert("kubernetes.io/hostname".into(), name.into());
    m.labels.insert("kubernetes.io/os".into(), "linux".into());
    let alloc = qmap(&[
        ("cpu", cpu),
        ("memory", memory),
        ("pods", pods),
        ("ephemeral-storage", "47227284Ki"),
    ]);
    core::Node {
        metadata: Some(m),
        spec: Some(core::NodeSpec::default()),
        status: Some(core::NodeStatus {
            capacity: alloc.clone(),
            allocatable: alloc,
            conditions: vec![core::NodeCondition {
                r#type: s("Ready"),
                status: s("True"),
                reason: s("KubeletReady"),
                message: s("kubelet is posting ready status"),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// A taint.
pub fn taint(key: &str, value: &str, effect: &str) -> core::Taint {
    core::Taint {
        key: s(key),
        value: (!value.is_empty()).then(|| value.to_string()),
        effect: s(effect),
        ..Default::default()
    }
}

/// A toleration (empty strings are unset fields).
pub fn toleration(key: &str, op: &str, value: &str, effect: &str) -> core::Toleration {
    let o = |x: &str| (!x.is_empty()).then(|| x.to_string());
    core::Toleration {
        key: o(key),
        operator: o(op),
        value: o(value),
        effect: o(effect),
        ..Default::default()
    }
}

/// An unbound Pending Pod with one container.
pub fn pending_pod(ns: &str, name: &str, c: core::Container, created: i64) -> core::Pod {
    core::Pod {
        metadata: Some(meta(ns, name, created)),
        spec: Some(core::PodSpec {
            containers: vec![c],
            scheduler_name: s("default-scheduler"),
            restart_policy: s("Always"),
            priority: Some(0),
            ..Default::default()
        }),
        status: Some(core::PodStatus {
            phase: s("Pending"),
            qos_class: s("Burstable"),
            ..Default::default()
        }),
    }
}

fn running_state(since: i64) -> core::ContainerState {
    core::ContainerState {
        running: Some(core::ContainerStateRunning {
            started_at: Some(ts(since)),
        }),
        ..Default::default()
    }
}

fn waiting_state(reason: &str, message: &str) -> core::ContainerState {
    core::ContainerState {
        waiting: Some(core::ContainerStateWaiting {
            reason: s(reason),
            message: (!message.is_empty()).then(|| message.to_string()),
        }),
        ..Default::default()
    }
}

fn terminated_state(code: i32, reason: &str, at: i64) -> core::ContainerState {
    core::ContainerState {
        terminated: Some(core::ContainerStateTerminated {
            exit_code: Some(code),
            reason: s(reason),
            started_at: Some(ts(at - 5)),
            finished_at: Some(ts(at)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container status.
pub fn status(
    name: &str,
    image: &str,
    state: core::ContainerState,
    ready: bool,
    restarts: i32,
) -> core::ContainerStatus {
    core::ContainerStatus {
        name: s(name),
        image: s(image),
        state: Some(state),
        ready: Some(ready),
        restart_count: Some(restarts),
        started: Some(ready),
        ..Default::default()
    }
}

/// A Pod bound to `node`, Running, with its containers' statuses all
/// running and ready.
pub fn bound_pod(ns: &str, name: &str, node: &str, c: core::Container, created: i64) -> core::Pod {
    let mut p = pending_pod(ns, name, c, created);
    let spec = p.spec.get_or_insert_with(Default::default);
    spec.node_name = s(node);
    let statuses = spec
        .containers
        .iter()
        .map(|c| {
            status(
                c.name.as_deref().unwrap_or(""),
                c.image.as_deref().unwrap_or(""),
                running_state(created + 5),
                true,
                0,
            )
        })
        .collect();
    let st = p.status.get_or_insert_with(Default::default);
    st.phase = s("Running");
    st.host_ip = s("10.0.0.1");
    st.start_time = Some(ts(created + 1));
    st.container_statuses = statuses;
    st.conditions = vec![
        cond("PodScheduled", "True", "", ""),
        cond("Ready", "True", "", ""),
    ];
    p
}

fn cond(ty: &str, status: &str, reason: &str, message: &str) -> core::PodCondition {
    let o = |x: &str| (!x.is_empty()).then(|| x.to_string());
    core::PodCondition {
        r#type: s(ty),
        status: s(status),
        reason: o(reason),
        message: o(message),
        ..Default::default()
    }
}

fn owned_by(p: &mut core::Pod, kind: &str, name: &str, ns: &str) {
    if let Some(m) = p.metadata.as_mut() {
        m.owner_references.push(meta::OwnerReference {
            api_version: s(
                if kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet" {
                    "apps/v1"
                } else {
                    "v1"
                },
            ),
            kind: s(kind),
            name: s(name),
            uid: Some(format!("uid-{ns}-{name}")),
            controller: Some(true),
            block_owner_deletion: Some(true),
        });
    }
}

fn set_waiting(p: &mut core::Pod, reason: &str, message: &str, restarts: i32) {
    if let Some(st) = p.status.as_mut() {
        st.phase = s(if reason == "CrashLoopBackOff" {
            "Running"
        } else {
            "Pending"
        });
        for cs in &mut st.container_statuses {
            cs.state = Some(waiting_state(reason, message));
            cs.ready = Some(false);
            cs.started = Some(false);
            cs.restart_count = Some(restarts);
        }
        st.conditions = vec![
            cond("PodScheduled", "True", "", ""),
            cond(
                "Ready",
                "False",
                "ContainersNotReady",
                "containers with unready status",
            ),
        ];
    }
}

/// Challenge 2 (a): a Pod whose image tag does not exist.
pub fn pod_image_pull_backoff(name: &str, now: i64) -> core::Pod {
    let image = "nginx:1.99.99-doesnotexist";
    let mut p = bound_pod(
        "shop",
        name,
        "worker-1",
        container(
            "nginx",
            image,
            res(&[("cpu", "100m"), ("memory", "128Mi")], &[]),
        ),
        now - 600,
    );
    set_waiting(
        &mut p,
        "ImagePullBackOff",
        &format!(
            "Back-off pulling image \"{image}\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/{image}\": failed to resolve reference \"docker.io/library/{image}\": docker.io/library/{image}: not found"
        ),
        0,
    );
    p
}

/// A Pod in CrashLoopBackOff (7 restarts, last exit code 1).
pub fn pod_crash_loop(name: &str, now: i64) -> core::Pod {
    let mut p = bound_pod(
        "shop",
        name,
        "worker-2",
        container(
            "app",
            "myshop/checkout:3.0",
            res(
                &[("cpu", "100m"), ("memory", "64Mi")],
                &[("memory", "128Mi")],
            ),
        ),
        now - 1200,
    );
    set_waiting(
        &mut p,
        "CrashLoopBackOff",
        "back-off 5m0s restarting failed container=app",
        7,
    );
    if let Some(st) = p.status.as_mut() {
        for cs in &mut st.container_statuses {
            cs.last_state = Some(terminated_state(1, "Error", now - 90));
        }
    }
    p
}

/// A Pod killed for memory (limit 64Mi), now in CrashLoopBackOff.
pub fn pod_oom(name: &str, now: i64) -> core::Pod {
    let mut p = bound_pod(
        "shop",
        name,
        "worker-1",
        container(
            "hog",
            "myshop/batch:1.4",
            res(&[("cpu", "50m"), ("memory", "32Mi")], &[("memory", "64Mi")]),
        ),
        now - 3600,
    );
    set_waiting(
        &mut p,
        "CrashLoopBackOff",
        "back-off 2m40s restarting failed container=hog",
        4,
    );
    if let Some(st) = p.status.as_mut() {
        for cs in &mut st.container_statuses {
            cs.last_state = Some(terminated_state(137, "OOMKilled", now - 60));
        }
    }
    p
}

/// A Pod whose init container never finishes.
pub fn pod_init_stuck(name: &str, now: i64) -> core::Pod {
    let mut p = bound_pod(
        "shop",
        name,
        "worker-2",
        container("app", "myshop/orders:1.2", res(&[("cpu", "100m")], &[])),
        now - 1800,
    );
    let init = container("wait-for-db", "busybox:1.36", res(&[], &[]));
    if let Some(spec) = p.spec.as_mut() {
        spec.init_containers.push(init);
    }
    if let Some(st) = p.status.as_mut() {
        st.phase = s("Pending");
        st.init_container_statuses = vec![status(
            "wait-for-db",
            "busybox:1.36",
            running_state(now - 1790),
            false,
            0,
        )];
        for cs in &mut st.container_statuses {
            cs.state = Some(waiting_state("PodInitializing", ""));
            cs.ready = Some(false);
        }
        st.conditions = vec![
            cond("PodScheduled", "True", "", ""),
            cond(
                "Initialized",
                "False",
                "ContainersNotInitialized",
                "containers with incomplete status: [wait-for-db]",
            ),
            cond(
                "Ready",
                "False",
                "ContainersNotReady",
                "containers with unready status: [app]",
            ),
        ];
    }
    p
}

fn ios(v: &str) -> IntOrString {
    if let Ok(i) = v.parse::<i32>() {
        IntOrString {
            r#type: Some(0),
            int_val: Some(i),
            str_val: None,
        }
    } else {
        IntOrString {
            r#type: Some(1),
            int_val: None,
            str_val: s(v),
        }
    }
}

fn template(app: &str, rev_hash: &str, c: core::Container) -> core::PodTemplateSpec {
    let m = meta::ObjectMeta {
        labels: labels(&[("app", app), ("pod-template-hash", rev_hash)]),
        ..Default::default()
    };
    core::PodTemplateSpec {
        metadata: Some(m),
        spec: Some(core::PodSpec {
            containers: vec![c],
            restart_policy: s("Always"),
            scheduler_name: s("default-scheduler"),
            ..Default::default()
        }),
    }
}

/// A Deployment with the given strategy (`maxSurge`, `maxUnavailable` as
/// written: `25%` or `1`).
#[allow(clippy::too_many_arguments)]
pub fn deployment(
    ns: &str,
    name: &str,
    replicas: i32,
    image: &str,
    surge: &str,
    unavailable: &str,
    st: apps::DeploymentStatus,
    created: i64,
) -> apps::Deployment {
    let mut m = meta(ns, name, created);
    m.generation = Some(2);
    m.labels = labels(&[("app", name)]);
    let mut tpl = template(
        name,
        "",
        container(
            name,
            image,
            res(&[("cpu", "100m"), ("memory", "128Mi")], &[]),
        ),
    );
    if let Some(tm) = tpl.metadata.as_mut() {
        tm.labels.remove("pod-template-hash");
    }
    apps::Deployment {
        metadata: Some(m),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(replicas),
            selector: Some(meta::LabelSelector {
                match_labels: labels(&[("app", name)]),
                ..Default::default()
            }),
            template: Some(tpl),
            strategy: Some(apps::DeploymentStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(ios(surge)),
                    max_unavailable: Some(ios(unavailable)),
                }),
            }),
            revision_history_limit: Some(10),
            progress_deadline_seconds: Some(600),
            ..Default::default()
        }),
        status: Some(st),
    }
}

fn dstatus(
    replicas: i32,
    updated: i32,
    ready: i32,
    available: i32,
    progressing: (&str, &str, &str),
    now: i64,
) -> apps::DeploymentStatus {
    apps::DeploymentStatus {
        observed_generation: Some(2),
        replicas: Some(replicas),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        unavailable_replicas: Some((replicas - available).max(0)),
        conditions: vec![
            apps::DeploymentCondition {
                r#type: s("Available"),
                status: s(if available > 0 { "True" } else { "False" }),
                reason: s(if available > 0 {
                    "MinimumReplicasAvailable"
                } else {
                    "MinimumReplicasUnavailable"
                }),
                message: s(if available > 0 {
                    "Deployment has minimum availability."
                } else {
                    "Deployment does not have minimum availability."
                }),
                last_update_time: Some(ts(now - 300)),
                last_transition_time: Some(ts(now - 300)),
            },
            apps::DeploymentCondition {
                r#type: s("Progressing"),
                status: s(progressing.0),
                reason: s(progressing.1),
                message: s(progressing.2),
                last_update_time: Some(ts(now - 120)),
                last_transition_time: Some(ts(now - 120)),
            },
        ],
        ..Default::default()
    }
}

/// A ReplicaSet of a Deployment at a revision.
#[allow(clippy::too_many_arguments)]
pub fn replica_set(
    ns: &str,
    deploy: &str,
    hash: &str,
    revision: i64,
    image: &str,
    replicas: i32,
    ready: i32,
    created: i64,
) -> apps::ReplicaSet {
    let name = format!("{deploy}-{hash}");
    let mut m = meta(ns, &name, created);
    m.annotations = labels(&[
        ("deployment.kubernetes.io/revision", &revision.to_string()),
        ("deployment.kubernetes.io/desired-replicas", "3"),
    ]);
    m.labels = labels(&[("app", deploy), ("pod-template-hash", hash)]);
    m.owner_references.push(meta::OwnerReference {
        api_version: s("apps/v1"),
        kind: s("Deployment"),
        name: s(deploy),
        uid: Some(format!("uid-{ns}-{deploy}")),
        controller: Some(true),
        block_owner_deletion: Some(true),
    });
    apps::ReplicaSet {
        metadata: Some(m),
        spec: Some(apps::ReplicaSetSpec {
            replicas: Some(replicas),
            selector: Some(meta::LabelSelector {
                match_labels: labels(&[("app", deploy), ("pod-template-hash", hash)]),
                ..Default::default()
            }),
            template: Some(template(
                deploy,
                hash,
                container(
                    deploy,
                    image,
                    res(&[("cpu", "100m"), ("memory", "128Mi")], &[]),
                ),
            )),
            ..Default::default()
        }),
        status: Some(apps::ReplicaSetStatus {
            replicas: Some(replicas),
            ready_replicas: Some(ready),
            available_replicas: Some(ready),
            fully_labeled_replicas: Some(replicas),
            observed_generation: Some(1),
            ..Default::default()
        }),
    }
}

/// A Pod of a ReplicaSet.
pub fn rs_pod(
    ns: &str,
    deploy: &str,
    hash: &str,
    suffix: &str,
    node: &str,
    image: &str,
    created: i64,
) -> core::Pod {
    let rs = format!("{deploy}-{hash}");
    let mut p = bound_pod(
        ns,
        &format!("{rs}-{suffix}"),
        node,
        container(
            deploy,
            image,
            res(&[("cpu", "100m"), ("memory", "128Mi")], &[]),
        ),
        created,
    );
    if let Some(m) = p.metadata.as_mut() {
        m.labels = labels(&[("app", deploy), ("pod-template-hash", hash)]);
    }
    owned_by(&mut p, "ReplicaSet", &rs, ns);
    p
}

#[allow(clippy::too_many_arguments)]
fn event(
    ns: &str,
    pod: &str,
    reason: &str,
    ty: &str,
    component: &str,
    message: &str,
    count: i32,
    first: i64,
    last: i64,
) -> core::Event {
    core::Event {
        metadata: Some(meta(ns, &format!("{pod}.17f0a1b2c3d4e5f6"), first)),
        involved_object: Some(core::ObjectReference {
            kind: s("Pod"),
            namespace: s(ns),
            name: s(pod),
            uid: Some(format!("uid-{ns}-{pod}")),
            api_version: s("v1"),
            ..Default::default()
        }),
        reason: s(reason),
        message: s(message),
        source: Some(core::EventSource {
            component: s(component),
            host: None,
        }),
        first_timestamp: Some(ts(first)),
        last_timestamp: Some(ts(last)),
        count: Some(count),
        r#type: s(ty),
        reporting_component: s(component),
        ..Default::default()
    }
}

/// The demo cluster (see the module doc), judged at `now`.
pub fn demo_cluster(now: i64) -> ClusterState {
    let day = 86_400;
    let t0 = now - 30 * day;
    let mut st = ClusterState {
        now,
        ..Default::default()
    };
    for ns in ["default", "kube-system", "shop"] {
        st.namespaces.push(core::Namespace {
            metadata: Some({
                let mut m = meta("", ns, t0);
                m.labels = labels(&[("kubernetes.io/metadata.name", ns)]);
                m
            }),
            ..Default::default()
        });
    }

    // Nodes.
    let mut cp = node(
        "cp-1",
        "2",
        "3911872Ki",
        "110",
        &[
            ("node-role.kubernetes.io/control-plane", ""),
            ("topology.kubernetes.io/zone", "zone-a"),
        ],
    );
    if let Some(spec) = cp.spec.as_mut() {
        spec.taints.push(taint(
            "node-role.kubernetes.io/control-plane",
            "",
            "NoSchedule",
        ));
    }
    let w1 = node(
        "worker-1",
        "4",
        "8029624Ki",
        "110",
        &[
            ("disktype", "ssd"),
            ("topology.kubernetes.io/zone", "zone-a"),
        ],
    );
    let w2 = node(
        "worker-2",
        "2",
        "3911872Ki",
        "110",
        &[
            ("disktype", "hdd"),
            ("topology.kubernetes.io/zone", "zone-b"),
        ],
    );
    let mut w3 = node(
        "worker-3",
        "4",
        "8029624Ki",
        "110",
        &[
            ("disktype", "ssd"),
            ("topology.kubernetes.io/zone", "zone-b"),
        ],
    );
    if let Some(spec) = w3.spec.as_mut() {
        spec.unschedulable = Some(true);
        spec.taints
            .push(taint("node.kubernetes.io/unschedulable", "", "NoSchedule"));
    }
    let mut w4 = node(
        "worker-4",
        "4",
        "8029624Ki",
        "110",
        &[
            ("disktype", "hdd"),
            ("topology.kubernetes.io/zone", "zone-c"),
        ],
    );
    if let Some(spec) = w4.spec.as_mut() {
        spec.taints
            .push(taint("node.kubernetes.io/unreachable", "", "NoSchedule"));
        spec.taints
            .push(taint("node.kubernetes.io/unreachable", "", "NoExecute"));
    }
    if let Some(c) = w4.status.as_mut().and_then(|s| s.conditions.first_mut()) {
        c.status = s("Unknown");
        c.reason = s("NodeStatusUnknown");
        c.message = s("Kubelet stopped posting node status.");
        c.last_heartbeat_time = Some(ts(now - 1500));
        c.last_transition_time = Some(ts(now - 1460));
    }
    st.nodes = vec![cp, w1, w2, w3, w4];

    // Control plane static Pods and their scheduler Lease.
    let sysc = |n: &str, cpu: &str| {
        container(
            n,
            &format!("registry.k8s.io/{n}:v1.34.1"),
            res(&[("cpu", cpu)], &[]),
        )
    };
    for (n, cpu) in [
        ("etcd", "100m"),
        ("kube-apiserver", "250m"),
        ("kube-controller-manager", "200m"),
        ("kube-scheduler", "100m"),
    ] {
        let mut p = bound_pod(
            "kube-system",
            &format!("{n}-cp-1"),
            "cp-1",
            sysc(n, cpu),
            t0,
        );
        if let Some(spec) = p.spec.as_mut() {
            spec.priority = Some(2_000_001_000);
            spec.priority_class_name = s("system-node-critical");
            spec.tolerations
                .push(toleration("", "Exists", "", "NoExecute"));
        }
        st.pods.push(p);
    }
    st.leases.push(coord::Lease {
        metadata: Some(meta("kube-system", "kube-scheduler", t0)),
        spec: Some(coord::LeaseSpec {
            holder_identity: s("cp-1_3f6c1e0a-5d2b-4c8e-9a71-0b6d2f4e8c13"),
            lease_duration_seconds: Some(15),
            acquire_time: Some(meta::MicroTime {
                seconds: Some(t0),
                nanos: Some(0),
            }),
            renew_time: Some(meta::MicroTime {
                seconds: Some(now - 2),
                nanos: Some(0),
            }),
            lease_transitions: Some(3),
            ..Default::default()
        }),
    });

    // DaemonSet node-agent on the three workers that run.
    let ds_name = "node-agent";
    for w in ["worker-1", "worker-2", "worker-3"] {
        let mut p = bound_pod(
            "kube-system",
            &format!("{ds_name}-{}", &w[7..]),
            w,
            container(
                "agent",
                "myshop/node-agent:0.9",
                res(
                    &[("cpu", "100m"), ("memory", "64Mi")],
                    &[("cpu", "100m"), ("memory", "64Mi")],
                ),
            ),
            t0,
        );
        owned_by(&mut p, "DaemonSet", ds_name, "kube-system");
        if let Some(spec) = p.spec.as_mut() {
            spec.tolerations.push(toleration("", "Exists", "", ""));
        }
        if let Some(stt) = p.status.as_mut() {
            stt.qos_class = s("Guaranteed");
        }
        st.pods.push(p);
    }
    st.daemon_sets.push(apps::DaemonSet {
        metadata: Some(meta("kube-system", ds_name, t0)),
        spec: Some(apps::DaemonSetSpec {
            template: Some(template(
                ds_name,
                "",
                container("agent", "myshop/node-agent:0.9", res(&[], &[])),
            )),
            update_strategy: Some(apps::DaemonSetUpdateStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: Some(apps::RollingUpdateDaemonSet {
                    max_unavailable: Some(ios("1")),
                    max_surge: Some(ios("0")),
                }),
            }),
            ..Default::default()
        }),
        status: Some(apps::DaemonSetStatus {
            current_number_scheduled: Some(3),
            desired_number_scheduled: Some(3),
            number_ready: Some(3),
            updated_number_scheduled: Some(3),
            number_available: Some(3),
            observed_generation: Some(1),
            ..Default::default()
        }),
    });

    // Deployment api: complete.
    st.deployments.push(deployment(
        "shop",
        "api",
        2,
        "myshop/api:2.3",
        "25%",
        "25%",
        dstatus(
            2,
            2,
            2,
            2,
            (
                "True",
                "NewReplicaSetAvailable",
                "ReplicaSet \"api-7c9d8b6f5\" has successfully progressed.",
            ),
            now,
        ),
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "api",
        "7c9d8b6f5",
        4,
        "myshop/api:2.3",
        2,
        2,
        now - 5 * day,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "api",
        "59f4d7c8b",
        3,
        "myshop/api:2.2",
        0,
        0,
        now - 9 * day,
    ));
    st.pods.push(rs_pod(
        "shop",
        "api",
        "7c9d8b6f5",
        "k2x8q",
        "worker-1",
        "myshop/api:2.3",
        now - 5 * day,
    ));
    st.pods.push(rs_pod(
        "shop",
        "api",
        "7c9d8b6f5",
        "p7w4z",
        "worker-2",
        "myshop/api:2.3",
        now - 5 * day,
    ));

    // (a) Deployment web: rolled to a tag that does not exist.
    st.deployments.push(deployment(
        "shop",
        "web",
        3,
        "nginx:1.99.99-doesnotexist",
        "25%",
        "25%",
        dstatus(
            4,
            1,
            3,
            3,
            (
                "True",
                "ReplicaSetUpdated",
                "ReplicaSet \"web-6d4b9f7c8d\" is progressing.",
            ),
            now,
        ),
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "web",
        "5f7b8c9d4",
        1,
        "nginx:1.27",
        3,
        3,
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "web",
        "6d4b9f7c8d",
        2,
        "nginx:1.99.99-doesnotexist",
        1,
        0,
        now - 600,
    ));
    for (sfx, node) in [
        ("9xk2p", "worker-1"),
        ("b4m7t", "worker-2"),
        ("c8q3w", "worker-1"),
    ] {
        st.pods.push(rs_pod(
            "shop",
            "web",
            "5f7b8c9d4",
            sfx,
            node,
            "nginx:1.27",
            t0,
        ));
    }
    let mut bad = pod_image_pull_backoff("web-6d4b9f7c8d-r5n2v", now);
    if let Some(m) = bad.metadata.as_mut() {
        m.labels = labels(&[("app", "web"), ("pod-template-hash", "6d4b9f7c8d")]);
    }
    owned_by(&mut bad, "ReplicaSet", "web-6d4b9f7c8d", "shop");
    st.pods.push(bad);

    // (b) big-cpu: 10000m, more than any node has.
    st.pods.push(pending_pod(
        "shop",
        "big-cpu",
        container(
            "app",
            "myshop/report:1.0",
            res(&[("cpu", "10000m"), ("memory", "256Mi")], &[]),
        ),
        now - 900,
    ));
    // (c) picky: a nodeSelector no node matches.
    let mut picky = pending_pod(
        "shop",
        "picky",
        container(
            "app",
            "myshop/cache:1.0",
            res(&[("cpu", "100m"), ("memory", "64Mi")], &[]),
        ),
        now - 800,
    );
    if let Some(spec) = picky.spec.as_mut() {
        spec.node_selector = labels(&[("nonexistent-label", "yes")]);
    }
    st.pods.push(picky);

    // (d) Deployment frontend: maxUnavailable 100% during a rolling update.
    st.deployments.push(deployment(
        "shop",
        "frontend",
        3,
        "myshop/frontend:2.0",
        "0",
        "100%",
        dstatus(
            3,
            3,
            0,
            0,
            (
                "True",
                "ReplicaSetUpdated",
                "ReplicaSet \"frontend-84c6d5b7f9\" is progressing.",
            ),
            now,
        ),
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "frontend",
        "7b5c4d9f8",
        1,
        "myshop/frontend:1.0",
        0,
        0,
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "frontend",
        "84c6d5b7f9",
        2,
        "myshop/frontend:2.0",
        3,
        0,
        now - 240,
    ));
    for (sfx, node) in [
        ("h2v9m", "worker-1"),
        ("j6r4k", "worker-2"),
        ("l3s8n", "worker-1"),
    ] {
        let mut p = rs_pod(
            "shop",
            "frontend",
            "84c6d5b7f9",
            sfx,
            node,
            "myshop/frontend:2.0",
            now - 240,
        );
        if let Some(stt) = p.status.as_mut() {
            for cs in &mut stt.container_statuses {
                cs.ready = Some(false);
            }
            stt.conditions = vec![
                cond("PodScheduled", "True", "", ""),
                cond(
                    "Ready",
                    "False",
                    "ContainersNotReady",
                    "containers with unready status: [frontend]",
                ),
            ];
        }
        st.pods.push(p);
    }

    // checkout: past its progress deadline, new Pods crash.
    let mut chk = deployment(
        "shop",
        "checkout",
        2,
        "myshop/checkout:3.0",
        "25%",
        "25%",
        dstatus(
            3,
            1,
            2,
            2,
            (
                "False",
                "ProgressDeadlineExceeded",
                "ReplicaSet \"checkout-5b8c7d6f4\" has timed out progressing.",
            ),
            now,
        ),
        t0,
    );
    if let Some(spec) = chk.spec.as_mut() {
        spec.progress_deadline_seconds = Some(600);
    }
    st.deployments.push(chk);
    st.replica_sets.push(replica_set(
        "shop",
        "checkout",
        "6c9d8e7f5",
        1,
        "myshop/checkout:2.8",
        0,
        0,
        t0,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "checkout",
        "7f6e5d4c3",
        2,
        "myshop/checkout:2.9",
        2,
        2,
        now - 10 * day,
    ));
    st.replica_sets.push(replica_set(
        "shop",
        "checkout",
        "5b8c7d6f4",
        3,
        "myshop/checkout:3.0",
        1,
        0,
        now - 1200,
    ));
    for (sfx, node) in [("m4t7x", "worker-1"), ("n8v2y", "worker-2")] {
        st.pods.push(rs_pod(
            "shop",
            "checkout",
            "7f6e5d4c3",
            sfx,
            node,
            "myshop/checkout:2.9",
            now - 10 * day,
        ));
    }
    let mut crash = pod_crash_loop("checkout-5b8c7d6f4-q9z5r", now);
    if let Some(m) = crash.metadata.as_mut() {
        m.labels = labels(&[("app", "checkout"), ("pod-template-hash", "5b8c7d6f4")]);
    }
    owned_by(&mut crash, "ReplicaSet", "checkout-5b8c7d6f4", "shop");
    st.pods.push(crash);

    // memhog (OOMKilled) and waits-for-db (init container stuck).
    st.pods.push(pod_oom("memhog", now));
    st.pods.push(pod_init_stuck("waits-for-db", now));

    // Host ports: edge-proxy holds 80/TCP on worker-1 and worker-2.
    let hp = |name: &str| {
        let mut c = container(
            "proxy",
            "envoyproxy/envoy:v1.31.0",
            res(&[("cpu", "100m"), ("memory", "64Mi")], &[]),
        );
        c.ports.push(core::ContainerPort {
            container_port: Some(8080),
            host_port: Some(80),
            protocol: s("TCP"),
            ..Default::default()
        });
        let _ = name;
        c
    };
    st.pods.push(bound_pod(
        "shop",
        "edge-proxy-a",
        "worker-1",
        hp("a"),
        now - 2 * day,
    ));
    st.pods.push(bound_pod(
        "shop",
        "edge-proxy-b",
        "worker-2",
        hp("b"),
        now - 2 * day,
    ));
    st.pods
        .push(pending_pod("shop", "edge-proxy-new", hp("new"), now - 300));

    // custom-sched: fits, but nothing schedules for "my-scheduler".
    let mut cs = pending_pod(
        "shop",
        "custom-sched",
        container("app", "myshop/tool:1.0", res(&[("cpu", "100m")], &[])),
        now - 1000,
    );
    if let Some(spec) = cs.spec.as_mut() {
        spec.scheduler_name = s("my-scheduler");
    }
    st.pods.push(cs);

    // StatefulSet db: db-1 runs but is not ready.
    st.stateful_sets.push(apps::StatefulSet {
        metadata: Some({
            let mut m = meta("shop", "db", t0);
            m.generation = Some(1);
            m
        }),
        spec: Some(apps::StatefulSetSpec {
            replicas: Some(2),
            service_name: s("db"),
            template: Some(template(
                "db",
                "",
                container(
                    "postgres",
                    "postgres:16.4",
                    res(
                        &[("cpu", "250m"), ("memory", "512Mi")],
                        &[("cpu", "250m"), ("memory", "512Mi")],
                    ),
                ),
            )),
            update_strategy: Some(apps::StatefulSetUpdateStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: None,
            }),
            ..Default::default()
        }),
        status: Some(apps::StatefulSetStatus {
            observed_generation: Some(1),
            replicas: Some(2),
            ready_replicas: Some(1),
            current_replicas: Some(2),
            updated_replicas: Some(2),
            current_revision: s("db-5d8f7c9b6"),
            update_revision: s("db-5d8f7c9b6"),
            available_replicas: Some(1),
            ..Default::default()
        }),
    });
    for (i, node) in [(0, "worker-1"), (1, "worker-2")] {
        let mut p = bound_pod(
            "shop",
            &format!("db-{i}"),
            node,
            container(
                "postgres",
                "postgres:16.4",
                res(
                    &[("cpu", "250m"), ("memory", "512Mi")],
                    &[("cpu", "250m"), ("memory", "512Mi")],
                ),
            ),
            t0,
        );
        owned_by(&mut p, "StatefulSet", "db", "shop");
        if let Some(stt) = p.status.as_mut() {
            stt.qos_class = s("Guaranteed");
            if i == 1 {
                for c in &mut stt.container_statuses {
                    c.ready = Some(false);
                    c.restart_count = Some(2);
                }
                stt.conditions = vec![
                    cond("PodScheduled", "True", "", ""),
                    cond(
                        "Ready",
                        "False",
                        "ContainersNotReady",
                        "containers with unready status: [postgres]",
                    ),
                ];
            }
        }
        st.pods.push(p);
    }

    // The scheduler's events, as kube-scheduler 1.34 wrote them.
    st.events.push(event(
        "shop", "big-cpu", "FailedScheduling", "Warning", "default-scheduler",
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu, 2 node(s) had untolerated taint(s). no new claims to deallocate, preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
        6, now - 900, now - 30,
    ));
    st.events.push(event(
        "shop", "picky", "FailedScheduling", "Warning", "default-scheduler",
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint(s). no new claims to deallocate, preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
        5, now - 800, now - 40,
    ));
    st.events.push(event(
        "shop", "web-6d4b9f7c8d-r5n2v", "Failed", "Warning", "kubelet",
        "Failed to pull image \"nginx:1.99.99-doesnotexist\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.99.99-doesnotexist\": not found",
        9, now - 590, now - 20,
    ));

    // Sort as etcd lists them: by namespace, then name.
    let key = |m: Option<&meta::ObjectMeta>| {
        let m = m.cloned().unwrap_or_default();
        (m.namespace.unwrap_or_default(), m.name.unwrap_or_default())
    };
    st.pods.sort_by_key(|p| key(p.metadata.as_ref()));
    st.deployments.sort_by_key(|p| key(p.metadata.as_ref()));
    st.replica_sets.sort_by_key(|p| key(p.metadata.as_ref()));
    st.events.sort_by_key(|p| key(p.metadata.as_ref()));
    st
}

/// A generated cluster for the benchmark: `nodes` nodes, `pods` Pods
/// spread over them, every hundredth Pod Pending (half too big for any
/// node, half held by a nodeSelector), every fiftieth in CrashLoopBackOff.
pub fn generated_cluster(nodes: usize, pods: usize, now: i64) -> ClusterState {
    let mut st = ClusterState {
        now,
        ..Default::default()
    };
    for i in 0..nodes {
        let zone = format!("zone-{}", i % 3);
        let mut n = node(
            &format!("node-{i:04}"),
            if i % 2 == 0 { "8" } else { "16" },
            "32Gi",
            "110",
            &[("topology.kubernetes.io/zone", &zone)],
        );
        if i % 97 == 0
            && let Some(spec) = n.spec.as_mut()
        {
            spec.taints.push(taint("dedicated", "infra", "NoSchedule"));
        }
        st.nodes.push(n);
    }
    for i in 0..pods {
        let ns = format!("team-{}", i % 20);
        let name = format!("pod-{i:05}");
        let c = container(
            "app",
            "myshop/app:1.0",
            res(
                &[("cpu", "100m"), ("memory", "128Mi")],
                &[("memory", "256Mi")],
            ),
        );
        if i % 100 == 7 {
            let mut p = pending_pod(&ns, &name, c, now - 600);
            if let Some(spec) = p.spec.as_mut() {
                if i % 200 == 7 {
                    if let Some(r) = spec.containers[0].resources.as_mut() {
                        r.requests
                            .insert("cpu".into(), PbQuantity { string: s("64") });
                    }
                } else {
                    spec.node_selector = labels(&[("disktype", "nvme")]);
                }
            }
            st.pods.push(p);
        } else if nodes > 0 {
            let mut p = bound_pod(&ns, &name, &format!("node-{:04}", i % nodes), c, now - 3600);
            if i % 50 == 3 {
                set_waiting(&mut p, "CrashLoopBackOff", "back-off 5m0s", 12);
            }
            st.pods.push(p);
        }
    }
    st
}

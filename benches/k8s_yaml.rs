//! One stored Pod (a Deployment's: labels, owner reference, two
//! containers with resources, probe, env and mounts, full status; the
//! shape `scripts/bench-k8s-objects` stores 10,000 of) written as
//! kubectl's YAML two ways: through the value tree (`render_object` +
//! `to_yaml`, the definition) and straight from the protobuf
//! (`direct_yaml`, the fast path of `etcd get -o yaml`).
//!
//! `cargo bench --bench k8s_yaml`

use criterion::{Criterion, criterion_group, criterion_main};
use kinspect::k8s::{direct_yaml, encode, render, yaml};

fn pod() -> Vec<u8> {
    let json = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-000042-7d4b9c", "namespace": "team-42",
            "uid": "00000000-0000-4000-8000-000000000042",
            "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "1042",
            "labels": {"app": "web", "pod-template-hash": "7d4b9c", "tier": "frontend"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c",
                "uid": "11111111-2222-4333-8444-555555555555", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"nodeName": "worker-42", "serviceAccountName": "default", "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
            "containers": [
                {"name": "web", "image": "nginx:1.27.3", "imagePullPolicy": "IfNotPresent",
                 "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
                 "env": [{"name": "MODE", "value": "production"},
                         {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
                 "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                    "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                 "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
                 "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"},
                {"name": "sidecar", "image": "busybox:1.37", "command": ["sh", "-c", "sleep infinity"],
                 "resources": {"requests": {"cpu": "10m", "memory": "8Mi"}}}],
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420,
                "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "podIP": "10.244.42.44", "hostIP": "192.168.0.52",
            "qosClass": "Burstable", "startTime": "2026-01-01T00:00:01Z",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:05Z"},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:05Z"},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:05Z"},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:05Z"}],
            "containerStatuses": [
                {"name": "web", "image": "nginx:1.27.3", "imageID": "", "containerID": "containerd://42", "ready": true,
                 "started": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:03Z"}}},
                {"name": "sidecar", "image": "busybox:1.37", "imageID": "", "containerID": "containerd://43", "ready": true,
                 "started": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:03Z"}}}]}
    });
    encode::encode_object(&json)
        .expect("encodes")
        .expect("built-in kind")
        .raw
}

fn pod_to_yaml(c: &mut Criterion) {
    let raw = pod();
    let opts = render::RenderOptions::default();
    let tree = || {
        let r = render::render_object("v1", "Pod", &raw, 0, &opts).expect("renders");
        yaml::to_yaml(&r.object)
    };
    let mut direct_out = String::new();
    assert!(direct_yaml::write_object(
        &mut direct_out,
        "v1",
        "Pod",
        &raw
    ));
    assert_eq!(direct_out, tree(), "the two paths agree");
    let mut g = c.benchmark_group("k8s_yaml");
    g.bench_function("pod_tree", |b| b.iter(tree));
    let mut out = String::with_capacity(8192);
    g.bench_function("pod_direct", |b| {
        b.iter(|| {
            out.clear();
            direct_yaml::write_object(&mut out, "v1", "Pod", std::hint::black_box(&raw))
        })
    });
    g.finish();
}

criterion_group!(benches, pod_to_yaml);
criterion_main!(benches);

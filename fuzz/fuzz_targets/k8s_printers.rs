//! Any bytes as a stored object of a kind kinspect prints: decoded with
//! k8s-pb (`Typed::decode`), then printed as kubectl's columns
//! (`k8s::printers::print`) and rendered (`view::k8s_table::render`).
//! Never a panic; every row has exactly its kind's visible columns, at
//! any `now` (ages of any sign and size).
//!
//! Input: byte 0 picks the kind, bytes 1-8 are `now` (Unix seconds,
//! little endian), the rest is the protobuf object.

#![no_main]

use kinspect::k8s::printers::{self, Table};
use kinspect::k8s::state::Typed;
use kinspect::view::k8s_table;
use libfuzzer_sys::fuzz_target;

const KINDS: [(&str, &str); 39] = [
    ("v1", "Pod"),
    ("v1", "Node"),
    ("v1", "Namespace"),
    ("v1", "Event"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "ReplicationController"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("coordination.k8s.io/v1", "Lease"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "Ingress"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("policy/v1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("apps/v1", "ControllerRevision"),
    ("v1", "PodTemplate"),
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration"),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (api_version, kind) = KINDS[data[0] as usize % KINDS.len()];
    let mut now = [0u8; 8];
    now.copy_from_slice(&data[1..9]);
    let now = i64::from_le_bytes(now);
    let Ok(typed) = Typed::decode(api_version, kind, &data[9..]) else {
        return;
    };
    if matches!(typed, Typed::Other) {
        panic!("{kind} decoded as Other");
    }
    let mut table = Table::for_kind(kind, true);
    for wide in [false, true] {
        let row = printers::print(&typed, now, wide).expect("a printed kind");
        assert_eq!(row.cells.len(), table.visible_columns(wide).len(), "{kind} wide={wide}");
        table.rows = vec![row];
        let out = k8s_table::render(&table, wide, true);
        assert_eq!(out.lines().count(), 2, "{kind}: {out}");
    }
});

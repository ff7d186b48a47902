//! Printers for the other groups kinspect decodes: coordination (Lease),
//! networking (Ingress), storage (StorageClass), scheduling
//! (PriorityClass), policy (PodDisruptionBudget), rbac (RoleBinding,
//! ClusterRoleBinding), certificates (CertificateSigningRequest) — as
//! `kubernetes/pkg/printers/internalversion/printers.go` prints them.

use k8s_pb::api::certificates::v1::CertificateSigningRequest;
use k8s_pb::api::coordination::v1::Lease;
use k8s_pb::api::networking::v1::Ingress;
use k8s_pb::api::policy::v1::PodDisruptionBudget;
use k8s_pb::api::rbac::v1::{RoleRef, Subject};
use k8s_pb::api::scheduling::v1::PriorityClass;
use k8s_pb::api::storage::v1::StorageClass;
use k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;

use super::core::load_balancer;
use super::duration::human_duration;
use super::{Column, age, col, go_bool, name, wide};

pub const LEASE_COLUMNS: &[Column] = &[col("NAME"), col("HOLDER"), col("AGE")];

pub const INGRESS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("CLASS"),
    col("HOSTS"),
    col("ADDRESS"),
    col("PORTS"),
    col("AGE"),
];

pub const STORAGE_CLASS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("PROVISIONER"),
    col("RECLAIMPOLICY"),
    col("VOLUMEBINDINGMODE"),
    col("ALLOWVOLUMEEXPANSION"),
    col("AGE"),
];

/// PreemptionPolicy has priority 0 upstream: shown without `-o wide`.
pub const PRIORITY_CLASS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("VALUE"),
    col("GLOBAL-DEFAULT"),
    col("AGE"),
    col("PREEMPTIONPOLICY"),
];

pub const PDB_COLUMNS: &[Column] = &[
    col("NAME"),
    col("MIN AVAILABLE"),
    col("MAX UNAVAILABLE"),
    col("ALLOWED DISRUPTIONS"),
    col("AGE"),
];

pub const ROLE_BINDING_COLUMNS: &[Column] = &[
    col("NAME"),
    col("ROLE"),
    col("AGE"),
    wide("USERS"),
    wide("GROUPS"),
    wide("SERVICEACCOUNTS"),
];

pub const CSR_COLUMNS: &[Column] = &[
    col("NAME"),
    col("AGE"),
    col("SIGNERNAME"),
    col("REQUESTOR"),
    col("REQUESTEDDURATION"),
    col("CONDITION"),
];

/// `printLease`: HOLDER is holderIdentity (empty when unset).
pub fn lease(l: &Lease, now: i64) -> Vec<String> {
    let holder = l.spec.as_ref().map(|s| s.holder_identity()).unwrap_or("");
    vec![name(&l.metadata), holder.to_string(), age(&l.metadata, now)]
}

/// `printIngress`: CLASS, HOSTS (`formatHosts`: three, `+ N more...`,
/// `*`), ADDRESS, PORTS (`80` or `80, 443` with TLS).
pub fn ingress(i: &Ingress, now: i64) -> Vec<String> {
    let spec = i.spec.as_ref();
    let class = spec
        .and_then(|s| s.ingress_class_name.clone())
        .unwrap_or_else(|| "<none>".into());
    let rules = spec.map(|s| s.rules.as_slice()).unwrap_or(&[]);
    const MAX: usize = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for r in rules {
        if list.len() == MAX {
            more = true;
        }
        if !more && !r.host().is_empty() {
            list.push(r.host());
        }
    }
    let hosts = if list.is_empty() {
        "*".to_string()
    } else if more {
        format!("{} + {} more...", list.join(","), rules.len() - MAX)
    } else {
        list.join(",")
    };
    let address = load_balancer(
        i.status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .map(|l| l.ingress.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|x| (x.ip(), x.hostname())),
    );
    let ports = if spec.is_some_and(|s| !s.tls.is_empty()) {
        "80, 443"
    } else {
        "80"
    };
    vec![
        name(&i.metadata),
        class,
        hosts,
        address,
        ports.to_string(),
        age(&i.metadata, now),
    ]
}

/// `printStorageClass`: `(default)` after the default class's name
/// (`storageutil.IsDefaultAnnotation`), Delete and Immediate when unset.
pub fn storage_class(sc: &StorageClass, now: i64) -> Vec<String> {
    let is_default = sc.metadata.as_ref().is_some_and(|m| {
        m.annotations
            .get("storageclass.kubernetes.io/is-default-class")
            .is_some_and(|v| v == "true")
            || m.annotations
                .get("storageclass.beta.kubernetes.io/is-default-class")
                .is_some_and(|v| v == "true")
    });
    let mut n = name(&sc.metadata);
    if is_default {
        n.push_str(" (default)");
    }
    vec![
        n,
        sc.provisioner().to_string(),
        sc.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
        sc.volume_binding_mode
            .clone()
            .unwrap_or_else(|| "Immediate".into()),
        go_bool(sc.allow_volume_expansion()),
        age(&sc.metadata, now),
    ]
}

/// `printPriorityClass`.
pub fn priority_class(pc: &PriorityClass, now: i64) -> Vec<String> {
    vec![
        name(&pc.metadata),
        pc.value().to_string(),
        go_bool(pc.global_default()),
        age(&pc.metadata, now),
        pc.preemption_policy().to_string(),
    ]
}

/// `intstr.IntOrString.String`.
fn int_or_string(v: &IntOrString) -> String {
    if v.r#type() == 1 {
        v.str_val().to_string()
    } else {
        v.int_val().to_string()
    }
}

/// `printPodDisruptionBudget`: `N/A` for the bound not set.
pub fn pod_disruption_budget(pdb: &PodDisruptionBudget, now: i64) -> Vec<String> {
    let spec = pdb.spec.as_ref();
    let bound = |v: Option<&IntOrString>| v.map(int_or_string).unwrap_or_else(|| "N/A".into());
    vec![
        name(&pdb.metadata),
        bound(spec.and_then(|s| s.min_available.as_ref())),
        bound(spec.and_then(|s| s.max_unavailable.as_ref())),
        pdb.status
            .as_ref()
            .map(|s| s.disruptions_allowed())
            .unwrap_or(0)
            .to_string(),
        age(&pdb.metadata, now),
    ]
}

/// `printRoleBinding` / `printClusterRoleBinding`: ROLE `Kind/name`;
/// subjects split as `rbac.SubjectsStrings` does, joined by `, `.
pub fn role_binding(
    meta: &Option<ObjectMeta>,
    role_ref: Option<&RoleRef>,
    subjects: &[Subject],
    now: i64,
) -> Vec<String> {
    let role = role_ref
        .map(|r| format!("{}/{}", r.kind(), r.name()))
        .unwrap_or_else(|| "/".into());
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in subjects {
        match s.kind() {
            "ServiceAccount" => sas.push(format!("{}/{}", s.namespace(), s.name())),
            "User" => users.push(s.name().to_string()),
            "Group" => groups.push(s.name().to_string()),
            _ => {}
        }
    }
    vec![
        name(meta),
        role,
        age(meta, now),
        users.join(", "),
        groups.join(", "),
        sas.join(", "),
    ]
}

/// `printCertificateSigningRequest`: CONDITION as `extractCSRStatus`
/// (Denied, Approved or Pending, then `,Failed`, `,Issued`).
pub fn certificate_signing_request(csr: &CertificateSigningRequest, now: i64) -> Vec<String> {
    let spec = csr.spec.as_ref();
    let status = csr.status.as_ref();
    let conds = status.map(|s| s.conditions.as_slice()).unwrap_or(&[]);
    let has = |t: &str| conds.iter().any(|c| c.r#type() == t);
    let mut cond = if has("Denied") {
        "Denied".to_string()
    } else if has("Approved") {
        "Approved".to_string()
    } else {
        "Pending".to_string()
    };
    if has("Failed") {
        cond.push_str(",Failed");
    }
    if status.is_some_and(|s| !s.certificate().is_empty()) {
        cond.push_str(",Issued");
    }
    let signer = spec.map(|s| s.signer_name()).unwrap_or("");
    let duration = spec
        .and_then(|s| s.expiration_seconds)
        .map(|s| human_duration(i128::from(s) * 1_000_000_000))
        .unwrap_or_else(|| "<none>".into());
    vec![
        name(&csr.metadata),
        age(&csr.metadata, now),
        if signer.is_empty() {
            "<none>".into()
        } else {
            signer.to_string()
        },
        spec.map(|s| s.username()).unwrap_or("").to_string(),
        duration,
        cond,
    ]
}

//! apps/v1 printers (`printDeployment`, `printReplicaSet`,
//! `printStatefulSet`, `printDaemonSet` in
//! `kubernetes/pkg/printers/internalversion/printers.go`).

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1::{Container, PodTemplateSpec};

use super::{Column, age, col, container_cells, name, wide};
use crate::k8s::selector::{Selector, format_label_selector, format_labels};

pub const DEPLOYMENT_COLUMNS: &[Column] = &[
    col("NAME"),
    col("READY"),
    col("UP-TO-DATE"),
    col("AVAILABLE"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub const REPLICA_SET_COLUMNS: &[Column] = &[
    col("NAME"),
    col("DESIRED"),
    col("CURRENT"),
    col("READY"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub const STATEFUL_SET_COLUMNS: &[Column] = &[
    col("NAME"),
    col("READY"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
];

pub const DAEMON_SET_COLUMNS: &[Column] = &[
    col("NAME"),
    col("DESIRED"),
    col("CURRENT"),
    col("READY"),
    col("UP-TO-DATE"),
    col("AVAILABLE"),
    col("NODE SELECTOR"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(crate) fn template_containers(t: Option<&PodTemplateSpec>) -> &[Container] {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[])
}

/// `printDeployment`: READY is ready/desired; SELECTOR is
/// `LabelSelectorAsSelector(...).String()` (`<invalid>` when it does not
/// convert).
pub fn deployment(d: &apps::Deployment, now: i64) -> Vec<String> {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let desired = spec.map(|s| s.replicas()).unwrap_or(0);
    let selector = match Selector::from_label_selector(spec.and_then(|s| s.selector.as_ref())) {
        Ok(s) => s.map(|s| s.to_string()).unwrap_or_default(),
        Err(_) => "<invalid>".into(),
    };
    let (names, images) =
        container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
    vec![
        name(&d.metadata),
        format!(
            "{}/{desired}",
            status.map(|s| s.ready_replicas()).unwrap_or(0)
        ),
        status
            .map(|s| s.updated_replicas())
            .unwrap_or(0)
            .to_string(),
        status
            .map(|s| s.available_replicas())
            .unwrap_or(0)
            .to_string(),
        age(&d.metadata, now),
        names,
        images,
        selector,
    ]
}

/// `printReplicaSet`.
pub fn replica_set(rs: &apps::ReplicaSet, now: i64) -> Vec<String> {
    let spec = rs.spec.as_ref();
    let status = rs.status.as_ref();
    let (names, images) =
        container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
    vec![
        name(&rs.metadata),
        spec.map(|s| s.replicas()).unwrap_or(0).to_string(),
        status.map(|s| s.replicas()).unwrap_or(0).to_string(),
        status.map(|s| s.ready_replicas()).unwrap_or(0).to_string(),
        age(&rs.metadata, now),
        names,
        images,
        format_label_selector(spec.and_then(|s| s.selector.as_ref())),
    ]
}

/// `printStatefulSet`: READY is ready/desired.
pub fn stateful_set(s: &apps::StatefulSet, now: i64) -> Vec<String> {
    let spec = s.spec.as_ref();
    let (names, images) =
        container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
    vec![
        name(&s.metadata),
        format!(
            "{}/{}",
            s.status.as_ref().map(|s| s.ready_replicas()).unwrap_or(0),
            spec.map(|s| s.replicas()).unwrap_or(0)
        ),
        age(&s.metadata, now),
        names,
        images,
    ]
}

/// `printDaemonSet`: NODE SELECTOR is the template's nodeSelector.
pub fn daemon_set(ds: &apps::DaemonSet, now: i64) -> Vec<String> {
    let spec = ds.spec.as_ref();
    let st = ds.status.as_ref();
    let template = spec.and_then(|s| s.template.as_ref());
    let node_selector = template
        .and_then(|t| t.spec.as_ref())
        .map(|s| format_labels(&s.node_selector))
        .unwrap_or_else(|| "<none>".into());
    let (names, images) = container_cells(template_containers(template));
    vec![
        name(&ds.metadata),
        st.map(|s| s.desired_number_scheduled())
            .unwrap_or(0)
            .to_string(),
        st.map(|s| s.current_number_scheduled())
            .unwrap_or(0)
            .to_string(),
        st.map(|s| s.number_ready()).unwrap_or(0).to_string(),
        st.map(|s| s.updated_number_scheduled())
            .unwrap_or(0)
            .to_string(),
        st.map(|s| s.number_available()).unwrap_or(0).to_string(),
        node_selector,
        age(&ds.metadata, now),
        names,
        images,
        format_label_selector(spec.and_then(|s| s.selector.as_ref())),
    ]
}

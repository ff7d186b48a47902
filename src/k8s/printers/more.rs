//! Printers for the cluster-plumbing kinds: admission webhooks,
//! RuntimeClass, CSINode, CSIDriver, VolumeAttachment, IngressClass,
//! NetworkPolicy, ControllerRevision, PodTemplate, FlowSchema and
//! PriorityLevelConfiguration — as
//! `kubernetes/pkg/printers/internalversion/printers.go` prints them.

use k8s_pb::api::apps::v1::ControllerRevision;
use k8s_pb::api::core::v1::PodTemplate;
use k8s_pb::api::flowcontrol::v1::{FlowSchema, PriorityLevelConfiguration};
use k8s_pb::api::networking::v1::{IngressClass, NetworkPolicy};
use k8s_pb::api::node::v1::RuntimeClass;
use k8s_pb::api::storage::v1::{CSIDriver, CSINode, VolumeAttachment};
use k8s_pb::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::{Column, age, col, container_cells, go_bool, name};
use crate::k8s::selector::{format_label_selector, format_labels};

pub const WEBHOOK_COLUMNS: &[Column] = &[col("NAME"), col("WEBHOOKS"), col("AGE")];
pub const RUNTIME_CLASS_COLUMNS: &[Column] = &[col("NAME"), col("HANDLER"), col("AGE")];
pub const CSI_NODE_COLUMNS: &[Column] = &[col("NAME"), col("DRIVERS"), col("AGE")];
pub const CSI_DRIVER_COLUMNS: &[Column] = &[
    col("NAME"),
    col("ATTACHREQUIRED"),
    col("PODINFOONMOUNT"),
    col("STORAGECAPACITY"),
    col("TOKENREQUESTS"),
    col("REQUIRESREPUBLISH"),
    col("MODES"),
    col("AGE"),
];
pub const VOLUME_ATTACHMENT_COLUMNS: &[Column] = &[
    col("NAME"),
    col("ATTACHER"),
    col("PV"),
    col("NODE"),
    col("ATTACHED"),
    col("AGE"),
];
pub const INGRESS_CLASS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("CONTROLLER"),
    col("PARAMETERS"),
    col("AGE"),
];
pub const NETWORK_POLICY_COLUMNS: &[Column] = &[col("NAME"), col("POD-SELECTOR"), col("AGE")];
pub const CONTROLLER_REVISION_COLUMNS: &[Column] =
    &[col("NAME"), col("CONTROLLER"), col("REVISION"), col("AGE")];
pub const POD_TEMPLATE_COLUMNS: &[Column] = &[
    col("NAME"),
    col("CONTAINERS"),
    col("IMAGES"),
    col("POD LABELS"),
];
pub const FLOW_SCHEMA_COLUMNS: &[Column] = &[
    col("NAME"),
    col("PRIORITYLEVEL"),
    col("MATCHINGPRECEDENCE"),
    col("DISTINGUISHERMETHOD"),
    col("AGE"),
    col("MISSINGPL"),
];
pub const PRIORITY_LEVEL_COLUMNS: &[Column] = &[
    col("NAME"),
    col("TYPE"),
    col("NOMINALCONCURRENCYSHARES"),
    col("QUEUES"),
    col("HANDSIZE"),
    col("QUEUELENGTHLIMIT"),
    col("AGE"),
];

/// `printMutatingWebhook` / `printValidatingWebhook`: the webhook count.
pub fn webhooks(meta: &Option<ObjectMeta>, count: usize, now: i64) -> Vec<String> {
    vec![name(meta), count.to_string(), age(meta, now)]
}

/// `printRuntimeClass`.
pub fn runtime_class(rc: &RuntimeClass, now: i64) -> Vec<String> {
    vec![
        name(&rc.metadata),
        rc.handler().to_string(),
        age(&rc.metadata, now),
    ]
}

/// `printCSINode`: the number of drivers.
pub fn csi_node(n: &CSINode, now: i64) -> Vec<String> {
    let drivers = n.spec.as_ref().map(|s| s.drivers.len()).unwrap_or(0);
    vec![
        name(&n.metadata),
        drivers.to_string(),
        age(&n.metadata, now),
    ]
}

/// `printCSIDriver`: attachRequired defaults to true, the other booleans
/// to false; TOKENREQUESTS the audiences (`<unset>` without any), MODES
/// the lifecycle modes (`<none>`).
pub fn csi_driver(d: &CSIDriver, now: i64) -> Vec<String> {
    let default_spec = Default::default();
    let spec = d.spec.as_ref().unwrap_or(&default_spec);
    let modes = spec.volume_lifecycle_modes.join(",");
    let tokens = if spec.token_requests.is_empty() {
        "<unset>".to_string()
    } else {
        spec.token_requests
            .iter()
            .map(|t| t.audience())
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        name(&d.metadata),
        go_bool(spec.attach_required.unwrap_or(true)),
        go_bool(spec.pod_info_on_mount()),
        go_bool(spec.storage_capacity()),
        tokens,
        go_bool(spec.requires_republish()),
        if modes.is_empty() {
            "<none>".into()
        } else {
            modes
        },
        age(&d.metadata, now),
    ]
}

/// `printVolumeAttachment`.
pub fn volume_attachment(va: &VolumeAttachment, now: i64) -> Vec<String> {
    let spec = va.spec.as_ref();
    vec![
        name(&va.metadata),
        spec.map(|s| s.attacher()).unwrap_or("").to_string(),
        spec.and_then(|s| s.source.as_ref())
            .map(|s| s.persistent_volume_name())
            .unwrap_or("")
            .to_string(),
        spec.map(|s| s.node_name()).unwrap_or("").to_string(),
        go_bool(va.status.as_ref().is_some_and(|s| s.attached())),
        age(&va.metadata, now),
    ]
}

/// `printIngressClass`: PARAMETERS `Kind[.apiGroup]/name` or `<none>`.
pub fn ingress_class(ic: &IngressClass, now: i64) -> Vec<String> {
    let spec = ic.spec.as_ref();
    let params = spec
        .and_then(|s| s.parameters.as_ref())
        .map(|p| {
            let mut s = p.kind().to_string();
            if let Some(g) = &p.a_pi_group {
                s.push('.');
                s.push_str(g);
            }
            format!("{s}/{}", p.name())
        })
        .unwrap_or_else(|| "<none>".into());
    vec![
        name(&ic.metadata),
        spec.map(|s| s.controller()).unwrap_or("").to_string(),
        params,
        age(&ic.metadata, now),
    ]
}

/// `printNetworkPolicy`: the pod selector (`<none>` selects all pods).
pub fn network_policy(np: &NetworkPolicy, now: i64) -> Vec<String> {
    let empty = LabelSelector::default();
    let sel = np
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .unwrap_or(&empty);
    vec![
        name(&np.metadata),
        format_label_selector(Some(sel)),
        age(&np.metadata, now),
    ]
}

/// `printControllerRevision`: CONTROLLER `kind.group/name` in lower case
/// from the controller owner reference, `<none>` without one.
pub fn controller_revision(cr: &ControllerRevision, now: i64) -> Vec<String> {
    let controller = cr
        .metadata
        .as_ref()
        .and_then(|m| m.owner_references.iter().find(|o| o.controller()))
        .map(|o| {
            let group = o.api_version().rsplit_once('/').map_or("", |(g, _)| g);
            let kind = if group.is_empty() {
                o.kind().to_string()
            } else {
                format!("{}.{group}", o.kind())
            };
            if kind.is_empty() {
                o.name().to_string()
            } else {
                format!("{}/{}", kind.to_lowercase(), o.name())
            }
        })
        .unwrap_or_else(|| "<none>".into());
    vec![
        name(&cr.metadata),
        controller,
        cr.revision().to_string(),
        age(&cr.metadata, now),
    ]
}

/// `printPodTemplate`: containers, images, the template's labels.
pub fn pod_template(pt: &PodTemplate) -> Vec<String> {
    let t = pt.template.as_ref();
    let containers = t
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    let (names, images) = container_cells(containers);
    let empty = Default::default();
    let labels = t
        .and_then(|t| t.metadata.as_ref())
        .map(|m| &m.labels)
        .unwrap_or(&empty);
    vec![name(&pt.metadata), names, images, format_labels(labels)]
}

/// `printFlowSchema`: MISSINGPL is the Dangling condition's status, `?`
/// without one.
pub fn flow_schema(fs: &FlowSchema, now: i64) -> Vec<String> {
    let spec = fs.spec.as_ref();
    let missing = fs
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.r#type() == "Dangling"))
        .map(|c| c.status().to_string())
        .unwrap_or_else(|| "?".into());
    vec![
        name(&fs.metadata),
        spec.and_then(|s| s.priority_level_configuration.as_ref())
            .map(|p| p.name())
            .unwrap_or("")
            .to_string(),
        spec.map(|s| s.matching_precedence())
            .unwrap_or(0)
            .to_string(),
        spec.and_then(|s| s.distinguisher_method.as_ref())
            .map(|d| d.r#type().to_string())
            .unwrap_or_else(|| "<none>".into()),
        age(&fs.metadata, now),
        missing,
    ]
}

/// `printPriorityLevelConfiguration`: `<none>` for an exempt level.
pub fn priority_level(pl: &PriorityLevelConfiguration, now: i64) -> Vec<String> {
    let spec = pl.spec.as_ref();
    let none = || "<none>".to_string();
    let (mut ncs, mut queues, mut hand, mut limit) = (none(), none(), none(), none());
    if let Some(l) = spec.and_then(|s| s.limited.as_ref()) {
        ncs = l.nominal_concurrency_shares().to_string();
        if let Some(q) = l.limit_response.as_ref().and_then(|r| r.queuing.as_ref()) {
            queues = q.queues().to_string();
            hand = q.hand_size().to_string();
            limit = q.queue_length_limit().to_string();
        }
    }
    vec![
        name(&pl.metadata),
        spec.map(|s| s.r#type()).unwrap_or("").to_string(),
        ncs,
        queues,
        hand,
        limit,
        age(&pl.metadata, now),
    ]
}

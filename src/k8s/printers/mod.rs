//! kubectl's table columns and cell values for stored objects, computed
//! as the apiserver's server-side printer computes them
//! (`kubernetes/pkg/printers/internalversion/printers.go`), so
//! `kinspect k8s get` prints what `kubectl get` would, without an
//! apiserver.
//!
//! [`columns`] gives a kind's columns (those marked `wide_only` appear
//! with `-o wide` only, in kubectl's order); [`print`] gives one object's
//! cells for the visible columns. Kinds without a printer upstream are
//! printed as the apiserver's default table (`NAME`, `CREATED AT`;
//! [`print_default`]), custom resources as `NAME`, `AGE`. Rendering the
//! table is [`crate::view::k8s_table`]'s business.

pub mod apps;
pub mod batch;
pub mod core;
pub mod duration;
pub mod more;
pub mod other;

use k8s_pb::api::core::v1::Container;
use k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::k8s::state::Typed;

pub use duration::human_duration;

/// One column: its header as kubectl prints it (upper case), and whether
/// it shows only with `-o wide` (priority > 0 upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub wide_only: bool,
}

/// One object's cells (only the columns visible for the `wide` it was
/// printed with) and its namespace (for `-A`'s NAMESPACE column).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub namespace: String,
    pub cells: Vec<String>,
}

/// A kind's columns and the rows printed for it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    /// An empty table with `kind`'s columns (see [`columns`]).
    pub fn for_kind(kind: &str, builtin: bool) -> Table {
        Table {
            columns: columns(kind, builtin),
            rows: Vec::new(),
        }
    }

    /// The columns shown with or without `-o wide`.
    pub fn visible_columns(&self, wide: bool) -> Vec<Column> {
        self.columns
            .iter()
            .filter(|c| wide || !c.wide_only)
            .copied()
            .collect()
    }
}

pub(crate) const fn col(name: &'static str) -> Column {
    Column {
        name,
        wide_only: false,
    }
}

pub(crate) const fn wide(name: &'static str) -> Column {
    Column {
        name,
        wide_only: true,
    }
}

/// `kind`'s columns, all of them (wide-only ones marked). `builtin` says
/// whether a kind without a printer is built in (the apiserver's default
/// table: NAME, CREATED AT) or a custom resource (NAME, AGE).
pub fn columns(kind: &str, builtin: bool) -> Vec<Column> {
    let c: &[Column] = match kind {
        "Pod" => core::POD_COLUMNS,
        "Node" => core::NODE_COLUMNS,
        "Namespace" => core::NAMESPACE_COLUMNS,
        "Service" => core::SERVICE_COLUMNS,
        "Endpoints" => core::ENDPOINTS_COLUMNS,
        "EndpointSlice" => core::ENDPOINT_SLICE_COLUMNS,
        "ConfigMap" => core::CONFIG_MAP_COLUMNS,
        "Secret" => core::SECRET_COLUMNS,
        "ServiceAccount" => core::SERVICE_ACCOUNT_COLUMNS,
        "Event" => core::EVENT_COLUMNS,
        "PersistentVolume" => core::PV_COLUMNS,
        "PersistentVolumeClaim" => core::PVC_COLUMNS,
        "ReplicationController" => core::RC_COLUMNS,
        "Deployment" => apps::DEPLOYMENT_COLUMNS,
        "ReplicaSet" => apps::REPLICA_SET_COLUMNS,
        "StatefulSet" => apps::STATEFUL_SET_COLUMNS,
        "DaemonSet" => apps::DAEMON_SET_COLUMNS,
        "Job" => batch::JOB_COLUMNS,
        "CronJob" => batch::CRON_JOB_COLUMNS,
        "Lease" => other::LEASE_COLUMNS,
        "Ingress" => other::INGRESS_COLUMNS,
        "StorageClass" => other::STORAGE_CLASS_COLUMNS,
        "PriorityClass" => other::PRIORITY_CLASS_COLUMNS,
        "PodDisruptionBudget" => other::PDB_COLUMNS,
        "RoleBinding" | "ClusterRoleBinding" => other::ROLE_BINDING_COLUMNS,
        "CertificateSigningRequest" => other::CSR_COLUMNS,
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => more::WEBHOOK_COLUMNS,
        "RuntimeClass" => more::RUNTIME_CLASS_COLUMNS,
        "CSINode" => more::CSI_NODE_COLUMNS,
        "CSIDriver" => more::CSI_DRIVER_COLUMNS,
        "VolumeAttachment" => more::VOLUME_ATTACHMENT_COLUMNS,
        "IngressClass" => more::INGRESS_CLASS_COLUMNS,
        "NetworkPolicy" => more::NETWORK_POLICY_COLUMNS,
        "ControllerRevision" => more::CONTROLLER_REVISION_COLUMNS,
        "PodTemplate" => more::POD_TEMPLATE_COLUMNS,
        "FlowSchema" => more::FLOW_SCHEMA_COLUMNS,
        "PriorityLevelConfiguration" => more::PRIORITY_LEVEL_COLUMNS,
        _ if builtin => DEFAULT_COLUMNS,
        _ => CUSTOM_COLUMNS,
    };
    c.to_vec()
}

/// Built-in kinds that have a printer upstream which kinspect does not
/// reproduce yet; [`columns`] gives them the default table, which is not
/// what kubectl shows for them.
pub const PRINTER_MISSING: &[&str] = &[
    "HorizontalPodAutoscaler",
    "ResourceQuota",
    "CSIStorageCapacity",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ServiceCIDR",
    "IPAddress",
    "APIService",
    "ComponentStatus",
];

/// Whether kinspect prints `kind` with its own columns (as kubectl).
pub fn has_printer(kind: &str) -> bool {
    !matches!(columns(kind, true).as_slice(), [a, b] if a.name == "NAME" && b.name == "CREATED AT")
}

/// The apiserver's default table (`k8s.io/apiserver/pkg/registry/rest/table.go`).
pub const DEFAULT_COLUMNS: &[Column] = &[col("NAME"), col("CREATED AT")];
/// A custom resource without additionalPrinterColumns
/// (apiextensions-apiserver's default: Name, Age).
pub const CUSTOM_COLUMNS: &[Column] = &[col("NAME"), col("AGE")];

/// The Kind a typed object prints as (`None` for [`Typed::Other`]).
pub fn kind_of(typed: &Typed) -> Option<&'static str> {
    Some(match typed {
        Typed::Pod(_) => "Pod",
        Typed::Node(_) => "Node",
        Typed::Namespace(_) => "Namespace",
        Typed::Service(_) => "Service",
        Typed::Endpoints(_) => "Endpoints",
        Typed::EndpointSlice(_) => "EndpointSlice",
        Typed::ConfigMap(_) => "ConfigMap",
        Typed::Secret(_) => "Secret",
        Typed::ServiceAccount(_) => "ServiceAccount",
        Typed::Event(_) => "Event",
        Typed::PersistentVolume(_) => "PersistentVolume",
        Typed::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
        Typed::ReplicationController(_) => "ReplicationController",
        Typed::Deployment(_) => "Deployment",
        Typed::ReplicaSet(_) => "ReplicaSet",
        Typed::StatefulSet(_) => "StatefulSet",
        Typed::DaemonSet(_) => "DaemonSet",
        Typed::Job(_) => "Job",
        Typed::CronJob(_) => "CronJob",
        Typed::Lease(_) => "Lease",
        Typed::Ingress(_) => "Ingress",
        Typed::StorageClass(_) => "StorageClass",
        Typed::PriorityClass(_) => "PriorityClass",
        Typed::PodDisruptionBudget(_) => "PodDisruptionBudget",
        Typed::RoleBinding(_) => "RoleBinding",
        Typed::ClusterRoleBinding(_) => "ClusterRoleBinding",
        Typed::CertificateSigningRequest(_) => "CertificateSigningRequest",
        Typed::MutatingWebhookConfiguration(_) => "MutatingWebhookConfiguration",
        Typed::ValidatingWebhookConfiguration(_) => "ValidatingWebhookConfiguration",
        Typed::RuntimeClass(_) => "RuntimeClass",
        Typed::CSINode(_) => "CSINode",
        Typed::CSIDriver(_) => "CSIDriver",
        Typed::VolumeAttachment(_) => "VolumeAttachment",
        Typed::IngressClass(_) => "IngressClass",
        Typed::NetworkPolicy(_) => "NetworkPolicy",
        Typed::ControllerRevision(_) => "ControllerRevision",
        Typed::PodTemplate(_) => "PodTemplate",
        Typed::FlowSchema(_) => "FlowSchema",
        Typed::PriorityLevelConfiguration(_) => "PriorityLevelConfiguration",
        Typed::Other => return None,
    })
}

/// Every cell of one object's row, wide columns included: the apiserver
/// always builds tables with `GenerateOptions{Wide: true}`
/// (`kubernetes/pkg/printers/storage/storage.go`) and kubectl drops the
/// priority > 0 columns unless `-o wide`.
pub fn all_cells(typed: &Typed, now_unix: i64) -> Option<(Option<&ObjectMeta>, Vec<String>)> {
    let (meta, cells) = match typed {
        Typed::Pod(o) => (&o.metadata, core::pod(o, now_unix)),
        Typed::Node(o) => (&o.metadata, core::node(o, now_unix)),
        Typed::Namespace(o) => (&o.metadata, core::namespace(o, now_unix)),
        Typed::Service(o) => (&o.metadata, core::service(o, now_unix)),
        Typed::Endpoints(o) => (&o.metadata, core::endpoints(o, now_unix)),
        Typed::EndpointSlice(o) => (&o.metadata, core::endpoint_slice(o, now_unix)),
        Typed::ConfigMap(o) => (&o.metadata, core::config_map(o, now_unix)),
        Typed::Secret(o) => (&o.metadata, core::secret(o, now_unix)),
        Typed::ServiceAccount(o) => (&o.metadata, core::service_account(o, now_unix)),
        Typed::Event(o) => (&o.metadata, core::event(o, now_unix)),
        Typed::PersistentVolume(o) => (&o.metadata, core::persistent_volume(o, now_unix)),
        Typed::PersistentVolumeClaim(o) => {
            (&o.metadata, core::persistent_volume_claim(o, now_unix))
        }
        Typed::ReplicationController(o) => (&o.metadata, core::replication_controller(o, now_unix)),
        Typed::Deployment(o) => (&o.metadata, apps::deployment(o, now_unix)),
        Typed::ReplicaSet(o) => (&o.metadata, apps::replica_set(o, now_unix)),
        Typed::StatefulSet(o) => (&o.metadata, apps::stateful_set(o, now_unix)),
        Typed::DaemonSet(o) => (&o.metadata, apps::daemon_set(o, now_unix)),
        Typed::Job(o) => (&o.metadata, batch::job(o, now_unix)),
        Typed::CronJob(o) => (&o.metadata, batch::cron_job(o, now_unix)),
        Typed::Lease(o) => (&o.metadata, other::lease(o, now_unix)),
        Typed::Ingress(o) => (&o.metadata, other::ingress(o, now_unix)),
        Typed::StorageClass(o) => (&o.metadata, other::storage_class(o, now_unix)),
        Typed::PriorityClass(o) => (&o.metadata, other::priority_class(o, now_unix)),
        Typed::PodDisruptionBudget(o) => (&o.metadata, other::pod_disruption_budget(o, now_unix)),
        Typed::RoleBinding(o) => (
            &o.metadata,
            other::role_binding(&o.metadata, o.role_ref.as_ref(), &o.subjects, now_unix),
        ),
        Typed::ClusterRoleBinding(o) => (
            &o.metadata,
            other::role_binding(&o.metadata, o.role_ref.as_ref(), &o.subjects, now_unix),
        ),
        Typed::CertificateSigningRequest(o) => {
            (&o.metadata, other::certificate_signing_request(o, now_unix))
        }
        Typed::MutatingWebhookConfiguration(o) => (
            &o.metadata,
            more::webhooks(&o.metadata, o.webhooks.len(), now_unix),
        ),
        Typed::ValidatingWebhookConfiguration(o) => (
            &o.metadata,
            more::webhooks(&o.metadata, o.webhooks.len(), now_unix),
        ),
        Typed::RuntimeClass(o) => (&o.metadata, more::runtime_class(o, now_unix)),
        Typed::CSINode(o) => (&o.metadata, more::csi_node(o, now_unix)),
        Typed::CSIDriver(o) => (&o.metadata, more::csi_driver(o, now_unix)),
        Typed::VolumeAttachment(o) => (&o.metadata, more::volume_attachment(o, now_unix)),
        Typed::IngressClass(o) => (&o.metadata, more::ingress_class(o, now_unix)),
        Typed::NetworkPolicy(o) => (&o.metadata, more::network_policy(o, now_unix)),
        Typed::ControllerRevision(o) => (&o.metadata, more::controller_revision(o, now_unix)),
        Typed::PodTemplate(o) => (&o.metadata, more::pod_template(o)),
        Typed::FlowSchema(o) => (&o.metadata, more::flow_schema(o, now_unix)),
        Typed::PriorityLevelConfiguration(o) => (&o.metadata, more::priority_level(o, now_unix)),
        Typed::Other => return None,
    };
    Some((meta.as_ref(), cells))
}

/// One object's row for the columns [`columns`] gives its kind: every
/// column, or without `wide` those not marked `wide_only`. `None` for
/// [`Typed::Other`]: print those with [`print_default`].
pub fn print(typed: &Typed, now_unix: i64, wide: bool) -> Option<Row> {
    let kind = kind_of(typed)?;
    let (meta, cells) = all_cells(typed, now_unix)?;
    let cols = columns(kind, true);
    debug_assert_eq!(cols.len(), cells.len(), "{kind}");
    let cells = cells
        .into_iter()
        .zip(cols)
        .filter(|(_, c)| wide || !c.wide_only)
        .map(|(cell, _)| cell)
        .collect();
    Some(Row {
        namespace: meta.map(|m| m.namespace().to_string()).unwrap_or_default(),
        cells,
    })
}

/// A row for a kind without a printer: built-in kinds get the apiserver's
/// default table (NAME, CREATED AT as RFC 3339 UTC), custom resources
/// NAME, AGE. `created` is creationTimestamp in Unix seconds.
pub fn print_default(
    namespace: &str,
    name: &str,
    created: Option<i64>,
    builtin: bool,
    now_unix: i64,
) -> Row {
    let when = if builtin {
        // rest/table.go: m.GetCreationTimestamp().Time.UTC().Format(time.RFC3339)
        crate::k8s::format_unix_time(created.unwrap_or(-62_135_596_800), 0)
            .unwrap_or_else(|| "<invalid>".into())
    } else {
        duration::since(created.map(|s| s as i128 * 1_000_000_000), now_unix)
    };
    Row {
        namespace: namespace.to_string(),
        cells: vec![name.to_string(), when],
    }
}

// ---- helpers shared by the printers ----

pub(crate) fn name(meta: &Option<ObjectMeta>) -> String {
    meta.as_ref()
        .map(|m| m.name().to_string())
        .unwrap_or_default()
}

pub(crate) fn age(meta: &Option<ObjectMeta>, now_unix: i64) -> String {
    duration::age(
        meta.as_ref().and_then(|m| m.creation_timestamp.as_ref()),
        now_unix,
    )
}

/// `layoutContainerCells`: container names and images, comma-joined.
pub(crate) fn container_cells(containers: &[Container]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| c.name()).collect();
    let images: Vec<&str> = containers.iter().map(|c| c.image()).collect();
    (names.join(","), images.join(","))
}

/// `listWithMoreString`: the first `max` items, `+ N more...`, `<unset>`
/// when empty.
pub(crate) fn list_with_more(list: &[String], count: usize, max: usize) -> String {
    let ret = list.join(",");
    if count > max {
        return format!("{ret} + {} more...", count - max);
    }
    if ret.is_empty() {
        "<unset>".into()
    } else {
        ret
    }
}

/// `printBoolPtr`: `True`, `False` or `<unset>`.
pub(crate) fn bool_ptr(v: Option<bool>) -> String {
    match v {
        Some(true) => "True".into(),
        Some(false) => "False".into(),
        None => "<unset>".into(),
    }
}

/// Go's `%v` of a bool cell (`true`/`false`).
pub(crate) fn go_bool(v: bool) -> String {
    if v { "true".into() } else { "false".into() }
}

#[cfg(test)]
mod tests;

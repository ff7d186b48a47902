//! The cluster as stored: typed Kubernetes objects (k8s-pb, Kubernetes'
//! own types) gathered from one source — live etcd, an etcd snapshot or
//! data directory, or kubectl's JSON/YAML — for the Day-2 reasoning
//! (`k8s why`, `k8s rollout`, `k8s lint`) and kubectl's columns
//! (`k8s get`).
//!
//! This module owns only the shape of that state and the decoding of one
//! stored object into its typed form; where the bytes come from is
//! [`crate::k8s::source`]'s business, what they mean is the business of
//! the modules that read a [`ClusterState`].

use k8s_pb::api::admissionregistration::v1 as admission;
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::certificates::v1 as certificates;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::discovery::v1 as discovery;
use k8s_pb::api::flowcontrol::v1 as flowcontrol;
use k8s_pb::api::networking::v1 as networking;
use k8s_pb::api::node::v1 as node;
use k8s_pb::api::policy::v1 as policy;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::api::scheduling::v1 as scheduling;
use k8s_pb::api::storage::v1 as storage;
use prost::Message;

pub use k8s_pb::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
pub use k8s_pb::api::coordination::v1::Lease;
pub use k8s_pb::api::core::v1::{Event, Namespace, Node, Pod};

/// Every object the Day-2 commands reason about, as stored.
///
/// Lists keep the order of their source (etcd key order: by namespace,
/// then name). `now` is the instant ages and deadlines are judged at
/// (the wall clock, or `--at`), in Unix seconds.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub namespaces: Vec<Namespace>,
    pub deployments: Vec<Deployment>,
    pub replica_sets: Vec<ReplicaSet>,
    pub stateful_sets: Vec<StatefulSet>,
    pub daemon_sets: Vec<DaemonSet>,
    pub jobs: Vec<batch::Job>,
    pub cron_jobs: Vec<batch::CronJob>,
    /// core/v1 Events (what `kubectl get events` and the scheduler's
    /// FailedScheduling notes are stored as).
    pub events: Vec<Event>,
    pub leases: Vec<Lease>,
    /// Unix seconds at which the state is judged.
    pub now: i64,
}

/// One stored object in its typed form, for the kinds kinspect reasons
/// about or print kubectl's columns for; every other kind is
/// [`Typed::Other`] (rendered generically, printed as NAME + CREATED AT).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Typed {
    Pod(Pod),
    Node(Node),
    Namespace(Namespace),
    Deployment(Deployment),
    ReplicaSet(ReplicaSet),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    Job(batch::Job),
    CronJob(batch::CronJob),
    Event(Event),
    Lease(Lease),
    Service(core::Service),
    Endpoints(core::Endpoints),
    EndpointSlice(discovery::EndpointSlice),
    ConfigMap(core::ConfigMap),
    Secret(core::Secret),
    ServiceAccount(core::ServiceAccount),
    PersistentVolume(core::PersistentVolume),
    PersistentVolumeClaim(core::PersistentVolumeClaim),
    ReplicationController(core::ReplicationController),
    Ingress(networking::Ingress),
    StorageClass(storage::StorageClass),
    PriorityClass(scheduling::PriorityClass),
    PodDisruptionBudget(policy::PodDisruptionBudget),
    RoleBinding(rbac::RoleBinding),
    ClusterRoleBinding(rbac::ClusterRoleBinding),
    CertificateSigningRequest(certificates::CertificateSigningRequest),
    MutatingWebhookConfiguration(admission::MutatingWebhookConfiguration),
    ValidatingWebhookConfiguration(admission::ValidatingWebhookConfiguration),
    RuntimeClass(node::RuntimeClass),
    CSINode(storage::CSINode),
    CSIDriver(storage::CSIDriver),
    VolumeAttachment(storage::VolumeAttachment),
    IngressClass(networking::IngressClass),
    NetworkPolicy(networking::NetworkPolicy),
    ControllerRevision(apps::ControllerRevision),
    PodTemplate(core::PodTemplate),
    FlowSchema(flowcontrol::FlowSchema),
    PriorityLevelConfiguration(flowcontrol::PriorityLevelConfiguration),
    Other,
}

/// Why stored bytes did not decode as the type their envelope names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{api_version} {kind}: {message}")]
pub struct TypedDecodeError {
    pub api_version: String,
    pub kind: String,
    pub message: String,
}

impl Typed {
    /// Decodes the object bytes (`runtime.Unknown.raw`) of an object of
    /// `api_version`/`kind` with k8s-pb. Kinds kinspect does not reason
    /// about give [`Typed::Other`].
    pub fn decode(api_version: &str, kind: &str, raw: &[u8]) -> Result<Typed, TypedDecodeError> {
        fn d<M: Message + Default>(raw: &[u8]) -> Result<M, prost::DecodeError> {
            M::decode(raw)
        }
        let r = match (api_version, kind) {
            ("v1", "Pod") => d::<core::Pod>(raw).map(Typed::Pod),
            ("v1", "Node") => d::<core::Node>(raw).map(Typed::Node),
            ("v1", "Namespace") => d::<core::Namespace>(raw).map(Typed::Namespace),
            ("v1", "Event") => d::<core::Event>(raw).map(Typed::Event),
            ("apps/v1", "Deployment") => d::<apps::Deployment>(raw).map(Typed::Deployment),
            ("apps/v1", "ReplicaSet") => d::<apps::ReplicaSet>(raw).map(Typed::ReplicaSet),
            ("apps/v1", "StatefulSet") => d::<apps::StatefulSet>(raw).map(Typed::StatefulSet),
            ("apps/v1", "DaemonSet") => d::<apps::DaemonSet>(raw).map(Typed::DaemonSet),
            ("batch/v1", "Job") => d::<batch::Job>(raw).map(Typed::Job),
            ("batch/v1", "CronJob") => d::<batch::CronJob>(raw).map(Typed::CronJob),
            ("coordination.k8s.io/v1", "Lease") => d::<coordination::Lease>(raw).map(Typed::Lease),
            ("v1", "Service") => d::<core::Service>(raw).map(Typed::Service),
            ("v1", "Endpoints") => d::<core::Endpoints>(raw).map(Typed::Endpoints),
            ("discovery.k8s.io/v1", "EndpointSlice") => {
                d::<discovery::EndpointSlice>(raw).map(Typed::EndpointSlice)
            }
            ("v1", "ConfigMap") => d::<core::ConfigMap>(raw).map(Typed::ConfigMap),
            ("v1", "Secret") => d::<core::Secret>(raw).map(Typed::Secret),
            ("v1", "ServiceAccount") => d::<core::ServiceAccount>(raw).map(Typed::ServiceAccount),
            ("v1", "PersistentVolume") => {
                d::<core::PersistentVolume>(raw).map(Typed::PersistentVolume)
            }
            ("v1", "PersistentVolumeClaim") => {
                d::<core::PersistentVolumeClaim>(raw).map(Typed::PersistentVolumeClaim)
            }
            ("v1", "ReplicationController") => {
                d::<core::ReplicationController>(raw).map(Typed::ReplicationController)
            }
            ("networking.k8s.io/v1", "Ingress") => {
                d::<networking::Ingress>(raw).map(Typed::Ingress)
            }
            ("storage.k8s.io/v1", "StorageClass") => {
                d::<storage::StorageClass>(raw).map(Typed::StorageClass)
            }
            ("scheduling.k8s.io/v1", "PriorityClass") => {
                d::<scheduling::PriorityClass>(raw).map(Typed::PriorityClass)
            }
            ("policy/v1", "PodDisruptionBudget") => {
                d::<policy::PodDisruptionBudget>(raw).map(Typed::PodDisruptionBudget)
            }
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                d::<rbac::RoleBinding>(raw).map(Typed::RoleBinding)
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                d::<rbac::ClusterRoleBinding>(raw).map(Typed::ClusterRoleBinding)
            }
            ("certificates.k8s.io/v1", "CertificateSigningRequest") => {
                d::<certificates::CertificateSigningRequest>(raw)
                    .map(Typed::CertificateSigningRequest)
            }
            ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
                d::<admission::MutatingWebhookConfiguration>(raw)
                    .map(Typed::MutatingWebhookConfiguration)
            }
            ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
                d::<admission::ValidatingWebhookConfiguration>(raw)
                    .map(Typed::ValidatingWebhookConfiguration)
            }
            ("node.k8s.io/v1", "RuntimeClass") => {
                d::<node::RuntimeClass>(raw).map(Typed::RuntimeClass)
            }
            ("storage.k8s.io/v1", "CSINode") => d::<storage::CSINode>(raw).map(Typed::CSINode),
            ("storage.k8s.io/v1", "CSIDriver") => {
                d::<storage::CSIDriver>(raw).map(Typed::CSIDriver)
            }
            ("storage.k8s.io/v1", "VolumeAttachment") => {
                d::<storage::VolumeAttachment>(raw).map(Typed::VolumeAttachment)
            }
            ("networking.k8s.io/v1", "IngressClass") => {
                d::<networking::IngressClass>(raw).map(Typed::IngressClass)
            }
            ("networking.k8s.io/v1", "NetworkPolicy") => {
                d::<networking::NetworkPolicy>(raw).map(Typed::NetworkPolicy)
            }
            ("apps/v1", "ControllerRevision") => {
                d::<apps::ControllerRevision>(raw).map(Typed::ControllerRevision)
            }
            ("v1", "PodTemplate") => d::<core::PodTemplate>(raw).map(Typed::PodTemplate),
            ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema") => {
                d::<flowcontrol::FlowSchema>(raw).map(Typed::FlowSchema)
            }
            ("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration") => {
                d::<flowcontrol::PriorityLevelConfiguration>(raw)
                    .map(Typed::PriorityLevelConfiguration)
            }
            _ => Ok(Typed::Other),
        };
        r.map_err(|e| TypedDecodeError {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            message: e.to_string(),
        })
    }
}

impl Typed {
    /// The object encoded with k8s-pb (prost), as bytes an apiserver
    /// could have stored; `None` for [`Typed::Other`].
    pub fn encode(&self) -> Option<Vec<u8>> {
        Some(match self {
            Typed::Pod(o) => o.encode_to_vec(),
            Typed::Node(o) => o.encode_to_vec(),
            Typed::Namespace(o) => o.encode_to_vec(),
            Typed::Deployment(o) => o.encode_to_vec(),
            Typed::ReplicaSet(o) => o.encode_to_vec(),
            Typed::StatefulSet(o) => o.encode_to_vec(),
            Typed::DaemonSet(o) => o.encode_to_vec(),
            Typed::Job(o) => o.encode_to_vec(),
            Typed::CronJob(o) => o.encode_to_vec(),
            Typed::Event(o) => o.encode_to_vec(),
            Typed::Lease(o) => o.encode_to_vec(),
            Typed::Service(o) => o.encode_to_vec(),
            Typed::Endpoints(o) => o.encode_to_vec(),
            Typed::EndpointSlice(o) => o.encode_to_vec(),
            Typed::ConfigMap(o) => o.encode_to_vec(),
            Typed::Secret(o) => o.encode_to_vec(),
            Typed::ServiceAccount(o) => o.encode_to_vec(),
            Typed::PersistentVolume(o) => o.encode_to_vec(),
            Typed::PersistentVolumeClaim(o) => o.encode_to_vec(),
            Typed::ReplicationController(o) => o.encode_to_vec(),
            Typed::Ingress(o) => o.encode_to_vec(),
            Typed::StorageClass(o) => o.encode_to_vec(),
            Typed::PriorityClass(o) => o.encode_to_vec(),
            Typed::PodDisruptionBudget(o) => o.encode_to_vec(),
            Typed::RoleBinding(o) => o.encode_to_vec(),
            Typed::ClusterRoleBinding(o) => o.encode_to_vec(),
            Typed::CertificateSigningRequest(o) => o.encode_to_vec(),
            Typed::MutatingWebhookConfiguration(o) => o.encode_to_vec(),
            Typed::ValidatingWebhookConfiguration(o) => o.encode_to_vec(),
            Typed::RuntimeClass(o) => o.encode_to_vec(),
            Typed::CSINode(o) => o.encode_to_vec(),
            Typed::CSIDriver(o) => o.encode_to_vec(),
            Typed::VolumeAttachment(o) => o.encode_to_vec(),
            Typed::IngressClass(o) => o.encode_to_vec(),
            Typed::NetworkPolicy(o) => o.encode_to_vec(),
            Typed::ControllerRevision(o) => o.encode_to_vec(),
            Typed::PodTemplate(o) => o.encode_to_vec(),
            Typed::FlowSchema(o) => o.encode_to_vec(),
            Typed::PriorityLevelConfiguration(o) => o.encode_to_vec(),
            Typed::Other => return None,
        })
    }
}

impl ClusterState {
    /// Files a typed object into its list; [`Typed::Other`] is dropped.
    pub fn add(&mut self, t: Typed) {
        match t {
            Typed::Pod(o) => self.pods.push(o),
            Typed::Node(o) => self.nodes.push(o),
            Typed::Namespace(o) => self.namespaces.push(o),
            Typed::Deployment(o) => self.deployments.push(o),
            Typed::ReplicaSet(o) => self.replica_sets.push(o),
            Typed::StatefulSet(o) => self.stateful_sets.push(o),
            Typed::DaemonSet(o) => self.daemon_sets.push(o),
            Typed::Job(o) => self.jobs.push(o),
            Typed::CronJob(o) => self.cron_jobs.push(o),
            Typed::Event(o) => self.events.push(o),
            Typed::Lease(o) => self.leases.push(o),
            // Kinds the Day-2 reasoning does not read (kubectl's columns only).
            Typed::Service(_)
            | Typed::Endpoints(_)
            | Typed::EndpointSlice(_)
            | Typed::ConfigMap(_)
            | Typed::Secret(_)
            | Typed::ServiceAccount(_)
            | Typed::PersistentVolume(_)
            | Typed::PersistentVolumeClaim(_)
            | Typed::ReplicationController(_)
            | Typed::Ingress(_)
            | Typed::StorageClass(_)
            | Typed::PriorityClass(_)
            | Typed::PodDisruptionBudget(_)
            | Typed::RoleBinding(_)
            | Typed::ClusterRoleBinding(_)
            | Typed::CertificateSigningRequest(_)
            | Typed::MutatingWebhookConfiguration(_)
            | Typed::ValidatingWebhookConfiguration(_)
            | Typed::RuntimeClass(_)
            | Typed::CSINode(_)
            | Typed::CSIDriver(_)
            | Typed::VolumeAttachment(_)
            | Typed::IngressClass(_)
            | Typed::NetworkPolicy(_)
            | Typed::ControllerRevision(_)
            | Typed::PodTemplate(_)
            | Typed::FlowSchema(_)
            | Typed::PriorityLevelConfiguration(_)
            | Typed::Other => {}
        }
    }
}

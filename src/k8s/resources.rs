//! kubectl's resource names for the built-in kinds, and where the
//! apiserver stores each of them in etcd.
//!
//! One [`Resource`] per built-in resource: its Kind, API group, the
//! version kubectl prefers, plural, singular and short names (what
//! `kubectl api-resources` lists), whether it is namespaced, and the
//! etcd key prefix the apiserver writes it under. The prefix is the
//! plural, except where the apiserver's storage says otherwise:
//! `SpecialDefaultResourcePrefixes` in
//! `kubernetes/pkg/kubeapiserver/default_storage_factory_builder.go`
//! (`minions`, `services/specs`, `services/endpoints`, `controllers`,
//! `ingress`, `podsecuritypolicy`), cohabiting resources stored once under
//! the first group's name (events.k8s.io events under `events`), and the
//! aggregated servers (apiextensions, apiregistration) that prefix their
//! keys with the group.
//!
//! [`lookup`] resolves a name as `kubectl get NAME` does: plural,
//! singular, short name, Kind (case-insensitive), `plural.group` and
//! `plural.version.group`.

/// One built-in resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    /// API group; empty for the core group.
    pub group: &'static str,
    /// The version kubectl prefers (the apiserver's preferred version).
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    /// etcd key prefix, with the registry root and a trailing slash:
    /// `/registry/minions/`.
    pub etcd_prefix: &'static str,
}

impl Resource {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group`, or the plural for the core group (kubectl's
    /// fully qualified resource name).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The etcd prefix to list: every object, or one namespace's objects
    /// (`namespace` is ignored for cluster-scoped resources).
    pub fn list_prefix(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("{}{ns}/", self.etcd_prefix),
            _ => self.etcd_prefix.to_string(),
        }
    }

    /// The etcd key of one object (`namespace` is ignored for
    /// cluster-scoped resources).
    pub fn key(&self, namespace: &str, name: &str) -> String {
        if self.namespaced {
            format!("{}{namespace}/{name}", self.etcd_prefix)
        } else {
            format!("{}{name}", self.etcd_prefix)
        }
    }
}

macro_rules! r {
    ($kind:literal, $group:literal, $version:literal, $plural:literal, $singular:literal,
     [$($short:literal),*], $ns:literal, $prefix:literal) => {
        Resource {
            kind: $kind,
            group: $group,
            version: $version,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            namespaced: $ns,
            etcd_prefix: $prefix,
        }
    };
}

/// Every built-in resource kinspect knows, in the order `kubectl
/// api-resources` lists groups (core first), so that a name two groups
/// share (`events`, `ev`) resolves to the core group as kubectl does.
pub static RESOURCES: &[Resource] = &[
    // core
    r!(
        "Binding",
        "",
        "v1",
        "bindings",
        "binding",
        [],
        true,
        "/registry/bindings/"
    ),
    r!(
        "ComponentStatus",
        "",
        "v1",
        "componentstatuses",
        "componentstatus",
        ["cs"],
        false,
        "/registry/componentstatuses/"
    ),
    r!(
        "ConfigMap",
        "",
        "v1",
        "configmaps",
        "configmap",
        ["cm"],
        true,
        "/registry/configmaps/"
    ),
    r!(
        "Endpoints",
        "",
        "v1",
        "endpoints",
        "endpoints",
        ["ep"],
        true,
        "/registry/services/endpoints/"
    ),
    r!(
        "Event",
        "",
        "v1",
        "events",
        "event",
        ["ev"],
        true,
        "/registry/events/"
    ),
    r!(
        "LimitRange",
        "",
        "v1",
        "limitranges",
        "limitrange",
        ["limits"],
        true,
        "/registry/limitranges/"
    ),
    r!(
        "Namespace",
        "",
        "v1",
        "namespaces",
        "namespace",
        ["ns"],
        false,
        "/registry/namespaces/"
    ),
    r!(
        "Node",
        "",
        "v1",
        "nodes",
        "node",
        ["no"],
        false,
        "/registry/minions/"
    ),
    r!(
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        ["pvc"],
        true,
        "/registry/persistentvolumeclaims/"
    ),
    r!(
        "PersistentVolume",
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        ["pv"],
        false,
        "/registry/persistentvolumes/"
    ),
    r!(
        "Pod",
        "",
        "v1",
        "pods",
        "pod",
        ["po"],
        true,
        "/registry/pods/"
    ),
    r!(
        "PodTemplate",
        "",
        "v1",
        "podtemplates",
        "podtemplate",
        [],
        true,
        "/registry/podtemplates/"
    ),
    r!(
        "ReplicationController",
        "",
        "v1",
        "replicationcontrollers",
        "replicationcontroller",
        ["rc"],
        true,
        "/registry/controllers/"
    ),
    r!(
        "ResourceQuota",
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        ["quota"],
        true,
        "/registry/resourcequotas/"
    ),
    r!(
        "Secret",
        "",
        "v1",
        "secrets",
        "secret",
        [],
        true,
        "/registry/secrets/"
    ),
    r!(
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        true,
        "/registry/serviceaccounts/"
    ),
    r!(
        "Service",
        "",
        "v1",
        "services",
        "service",
        ["svc"],
        true,
        "/registry/services/specs/"
    ),
    // admissionregistration.k8s.io
    r!(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        [],
        false,
        "/registry/mutatingwebhookconfigurations/"
    ),
    r!(
        "ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "validatingadmissionpolicy",
        [],
        false,
        "/registry/validatingadmissionpolicies/"
    ),
    r!(
        "ValidatingAdmissionPolicyBinding",
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        [],
        false,
        "/registry/validatingadmissionpolicybindings/"
    ),
    r!(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        [],
        false,
        "/registry/validatingwebhookconfigurations/"
    ),
    // apiextensions.k8s.io (its own apiserver: keys carry the group)
    r!(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        ["crd", "crds"],
        false,
        "/registry/apiextensions.k8s.io/customresourcedefinitions/"
    ),
    // apiregistration.k8s.io (the aggregator: keys carry the group)
    r!(
        "APIService",
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "apiservice",
        [],
        false,
        "/registry/apiregistration.k8s.io/apiservices/"
    ),
    // apps
    r!(
        "ControllerRevision",
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        [],
        true,
        "/registry/controllerrevisions/"
    ),
    r!(
        "DaemonSet",
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        ["ds"],
        true,
        "/registry/daemonsets/"
    ),
    r!(
        "Deployment",
        "apps",
        "v1",
        "deployments",
        "deployment",
        ["deploy"],
        true,
        "/registry/deployments/"
    ),
    r!(
        "ReplicaSet",
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        ["rs"],
        true,
        "/registry/replicasets/"
    ),
    r!(
        "StatefulSet",
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        ["sts"],
        true,
        "/registry/statefulsets/"
    ),
    // autoscaling
    r!(
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        ["hpa"],
        true,
        "/registry/horizontalpodautoscalers/"
    ),
    // batch
    r!(
        "CronJob",
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        ["cj"],
        true,
        "/registry/cronjobs/"
    ),
    r!(
        "Job",
        "batch",
        "v1",
        "jobs",
        "job",
        [],
        true,
        "/registry/jobs/"
    ),
    // certificates.k8s.io
    r!(
        "CertificateSigningRequest",
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "certificatesigningrequest",
        ["csr"],
        false,
        "/registry/certificatesigningrequests/"
    ),
    // coordination.k8s.io
    r!(
        "Lease",
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        [],
        true,
        "/registry/leases/"
    ),
    // discovery.k8s.io
    r!(
        "EndpointSlice",
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        [],
        true,
        "/registry/endpointslices/"
    ),
    // events.k8s.io (cohabits with core events: one copy, under `events`)
    r!(
        "Event",
        "events.k8s.io",
        "v1",
        "events",
        "event",
        ["ev"],
        true,
        "/registry/events/"
    ),
    // flowcontrol.apiserver.k8s.io
    r!(
        "FlowSchema",
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "flowschemas",
        "flowschema",
        [],
        false,
        "/registry/flowschemas/"
    ),
    r!(
        "PriorityLevelConfiguration",
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "prioritylevelconfigurations",
        "prioritylevelconfiguration",
        [],
        false,
        "/registry/prioritylevelconfigurations/"
    ),
    // networking.k8s.io
    r!(
        "IngressClass",
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "ingressclass",
        [],
        false,
        "/registry/ingressclasses/"
    ),
    r!(
        "Ingress",
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        ["ing"],
        true,
        "/registry/ingress/"
    ),
    r!(
        "IPAddress",
        "networking.k8s.io",
        "v1",
        "ipaddresses",
        "ipaddress",
        [],
        false,
        "/registry/ipaddresses/"
    ),
    r!(
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        ["netpol"],
        true,
        "/registry/networkpolicies/"
    ),
    r!(
        "ServiceCIDR",
        "networking.k8s.io",
        "v1",
        "servicecidrs",
        "servicecidr",
        [],
        false,
        "/registry/servicecidrs/"
    ),
    // node.k8s.io
    r!(
        "RuntimeClass",
        "node.k8s.io",
        "v1",
        "runtimeclasses",
        "runtimeclass",
        [],
        false,
        "/registry/runtimeclasses/"
    ),
    // policy
    r!(
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        ["pdb"],
        true,
        "/registry/poddisruptionbudgets/"
    ),
    // rbac.authorization.k8s.io
    r!(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        [],
        false,
        "/registry/clusterrolebindings/"
    ),
    r!(
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        [],
        false,
        "/registry/clusterroles/"
    ),
    r!(
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        [],
        true,
        "/registry/rolebindings/"
    ),
    r!(
        "Role",
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        [],
        true,
        "/registry/roles/"
    ),
    // scheduling.k8s.io
    r!(
        "PriorityClass",
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "priorityclass",
        ["pc"],
        false,
        "/registry/priorityclasses/"
    ),
    // storage.k8s.io
    r!(
        "CSIDriver",
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "csidriver",
        [],
        false,
        "/registry/csidrivers/"
    ),
    r!(
        "CSINode",
        "storage.k8s.io",
        "v1",
        "csinodes",
        "csinode",
        [],
        false,
        "/registry/csinodes/"
    ),
    r!(
        "CSIStorageCapacity",
        "storage.k8s.io",
        "v1",
        "csistoragecapacities",
        "csistoragecapacity",
        [],
        true,
        "/registry/csistoragecapacities/"
    ),
    r!(
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        ["sc"],
        false,
        "/registry/storageclasses/"
    ),
    r!(
        "VolumeAttachment",
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "volumeattachment",
        [],
        false,
        "/registry/volumeattachments/"
    ),
];

/// Resolves a resource name as `kubectl get NAME` does: the plural,
/// singular, a short name or the Kind (case-insensitive), optionally
/// qualified by group (`deployments.apps`) or version and group
/// (`deployments.v1.apps`). A name two groups share resolves to the first
/// in [`RESOURCES`] (core before events.k8s.io, as kubectl).
pub fn lookup(name: &str) -> Option<&'static Resource> {
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return None;
    }
    if let Some(r) = lookup_in_group(&name, None) {
        return Some(r);
    }
    // `plural.group` and `plural.version.group`: split at the first dot.
    let (res, rest) = name.split_once('.')?;
    if let Some(r) = lookup_in_group(res, Some(rest)) {
        return Some(r);
    }
    let (version, group) = rest.split_once('.')?;
    lookup_in_group(res, Some(group)).filter(|r| r.version == version)
}

fn lookup_in_group(name: &str, group: Option<&str>) -> Option<&'static Resource> {
    let in_group = |r: &&Resource| group.is_none_or(|g| r.group == g);
    let candidates = || RESOURCES.iter().filter(in_group);
    candidates()
        .find(|r| r.plural == name)
        .or_else(|| candidates().find(|r| r.singular == name))
        .or_else(|| candidates().find(|r| r.short_names.contains(&name)))
        .or_else(|| candidates().find(|r| r.kind.eq_ignore_ascii_case(name)))
}

/// The resource a stored object's `apiVersion` and `kind` belong to.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(name: &str) -> &'static Resource {
        lookup(name).unwrap_or_else(|| panic!("{name} should resolve"))
    }

    /// Short names as each registry's storage declares them
    /// (`ShortNames()` in kubernetes/pkg/registry/<group>/<resource>/storage/storage.go,
    /// apiextensions-apiserver's customresourcedefinition/etcd.go for crd),
    /// which `kubectl api-resources` lists.
    #[test]
    fn short_names_match_kubectl() {
        let expected: &[(&str, &str)] = &[
            // pkg/registry/core/pod/storage/storage.go
            ("po", "pods"),
            // pkg/registry/core/node/storage/storage.go
            ("no", "nodes"),
            // pkg/registry/core/namespace/storage/storage.go
            ("ns", "namespaces"),
            // pkg/registry/core/service/storage/storage.go
            ("svc", "services"),
            // pkg/registry/core/endpoint/storage/storage.go
            ("ep", "endpoints"),
            // pkg/registry/core/configmap/storage/storage.go
            ("cm", "configmaps"),
            // pkg/registry/core/serviceaccount/storage/storage.go
            ("sa", "serviceaccounts"),
            // pkg/registry/core/event/storage/storage.go
            ("ev", "events"),
            // pkg/registry/core/persistentvolume/storage/storage.go
            ("pv", "persistentvolumes"),
            // pkg/registry/core/persistentvolumeclaim/storage/storage.go
            ("pvc", "persistentvolumeclaims"),
            // pkg/registry/core/resourcequota/storage/storage.go
            ("quota", "resourcequotas"),
            // pkg/registry/core/limitrange/storage/storage.go
            ("limits", "limitranges"),
            // pkg/registry/core/replicationcontroller/storage/storage.go
            ("rc", "replicationcontrollers"),
            // pkg/registry/core/componentstatus/rest.go
            ("cs", "componentstatuses"),
            // pkg/registry/apps/deployment/storage/storage.go
            ("deploy", "deployments"),
            // pkg/registry/apps/replicaset/storage/storage.go
            ("rs", "replicasets"),
            // pkg/registry/apps/statefulset/storage/storage.go
            ("sts", "statefulsets"),
            // pkg/registry/apps/daemonset/storage/storage.go
            ("ds", "daemonsets"),
            // pkg/registry/batch/cronjob/storage/storage.go
            ("cj", "cronjobs"),
            // pkg/registry/storage/storageclass/storage/storage.go
            ("sc", "storageclasses"),
            // pkg/registry/networking/ingress/storage/storage.go
            ("ing", "ingresses"),
            // pkg/registry/networking/networkpolicy/storage/storage.go
            ("netpol", "networkpolicies"),
            // pkg/registry/scheduling/priorityclass/storage/storage.go
            ("pc", "priorityclasses"),
            // pkg/registry/policy/poddisruptionbudget/storage/storage.go
            ("pdb", "poddisruptionbudgets"),
            // pkg/registry/autoscaling/horizontalpodautoscaler/storage/storage.go
            ("hpa", "horizontalpodautoscalers"),
            // pkg/registry/certificates/certificates/storage/storage.go
            ("csr", "certificatesigningrequests"),
            // apiextensions-apiserver pkg/registry/customresourcedefinition/etcd.go
            ("crd", "customresourcedefinitions"),
            ("crds", "customresourcedefinitions"),
        ];
        for (short, plural) in expected {
            assert_eq!(get(short).plural, *plural, "{short}");
        }
        // Every short name in the table is one of the above: no invented ones.
        let mut all: Vec<&str> = RESOURCES
            .iter()
            .filter(|r| r.group != "events.k8s.io")
            .flat_map(|r| r.short_names.iter().copied())
            .collect();
        all.sort_unstable();
        let mut want: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
        want.sort_unstable();
        assert_eq!(all, want);
        // Resources kubectl gives no short name.
        for plural in [
            "secrets",
            "jobs",
            "leases",
            "endpointslices",
            "roles",
            "clusterroles",
        ] {
            assert!(get(plural).short_names.is_empty(), "{plural}");
        }
    }

    #[test]
    fn every_form_kubectl_accepts() {
        for name in [
            "deployments",
            "deployment",
            "deploy",
            "Deployment",
            "DEPLOY",
            "deployments.apps",
            "deployment.apps",
            "deployments.v1.apps",
        ] {
            let r = get(name);
            assert_eq!((r.kind, r.group), ("Deployment", "apps"), "{name}");
        }
        assert_eq!(get("pod").plural, "pods");
        assert_eq!(get("Pod").plural, "pods");
        assert_eq!(get("endpoints").kind, "Endpoints");
        assert_eq!(get("ingresses.networking.k8s.io").kind, "Ingress");
        assert_eq!(
            get("customresourcedefinition.apiextensions.k8s.io").plural,
            "customresourcedefinitions"
        );
        assert!(lookup("deployments.v2.apps").is_none());
        assert!(lookup("deployments.batch").is_none());
        assert!(lookup("nosuchthing").is_none());
        assert!(lookup("").is_none());
        assert!(lookup(".").is_none());
    }

    #[test]
    fn events_resolve_to_core_first_as_kubectl() {
        assert_eq!(get("events").group, "");
        assert_eq!(get("ev").group, "");
        assert_eq!(get("events.events.k8s.io").group, "events.k8s.io");
        assert_eq!(get("events.v1.events.k8s.io").group, "events.k8s.io");
    }

    /// Key prefixes: kubernetes/pkg/kubeapiserver/default_storage_factory_builder.go
    /// (SpecialDefaultResourcePrefixes; events.k8s.io cohabits with core
    /// events), apiextensions-apiserver and kube-aggregator prefix with
    /// their group.
    #[test]
    fn etcd_prefixes_follow_the_apiserver_layout() {
        let cases = [
            ("nodes", "/registry/minions/"),
            ("services", "/registry/services/specs/"),
            ("endpoints", "/registry/services/endpoints/"),
            ("rc", "/registry/controllers/"),
            ("ingresses", "/registry/ingress/"),
            ("events.events.k8s.io", "/registry/events/"),
            ("deployments", "/registry/deployments/"),
            ("replicasets", "/registry/replicasets/"),
            ("leases", "/registry/leases/"),
            (
                "crd",
                "/registry/apiextensions.k8s.io/customresourcedefinitions/",
            ),
            (
                "apiservices",
                "/registry/apiregistration.k8s.io/apiservices/",
            ),
            ("pc", "/registry/priorityclasses/"),
            ("csr", "/registry/certificatesigningrequests/"),
            ("clusterroles", "/registry/clusterroles/"),
            ("pods", "/registry/pods/"),
        ];
        for (name, prefix) in cases {
            assert_eq!(get(name).etcd_prefix, prefix, "{name}");
        }
        let pods = get("po");
        assert_eq!(
            pods.key("kube-system", "etcd-cp1"),
            "/registry/pods/kube-system/etcd-cp1"
        );
        assert_eq!(pods.list_prefix(Some("default")), "/registry/pods/default/");
        assert_eq!(pods.list_prefix(None), "/registry/pods/");
        let nodes = get("no");
        assert_eq!(nodes.key("ignored", "cp1"), "/registry/minions/cp1");
        assert_eq!(nodes.list_prefix(Some("default")), "/registry/minions/");
    }

    /// Every prefix is read back by key.rs as the same resource (what
    /// `etcd keys` shows), except `ingress`, which key.rs keeps as stored.
    #[test]
    fn prefixes_round_trip_through_the_key_parser() {
        for r in RESOURCES {
            let key = r.key("ns1", "obj1");
            let k = crate::k8s::key::parse(key.as_bytes())
                .unwrap_or_else(|| panic!("{key} should parse"));
            if r.plural == "ingresses" {
                assert_eq!(k.resource, "ingress");
                continue;
            }
            assert_eq!(k.resource, r.plural, "{key}");
            assert_eq!(k.name.as_deref(), Some("obj1"), "{key}");
            assert_eq!(k.namespace.is_some(), r.namespaced, "{key}");
        }
    }

    #[test]
    fn api_versions_and_kinds() {
        assert_eq!(get("po").api_version(), "v1");
        assert_eq!(get("hpa").api_version(), "autoscaling/v2");
        assert_eq!(get("deploy").qualified(), "deployments.apps");
        assert_eq!(
            by_kind("apps/v1", "Deployment").map(|r| r.plural),
            Some("deployments")
        );
        assert_eq!(by_kind("v1", "Event").map(|r| r.group), Some(""));
        assert_eq!(
            by_kind("events.k8s.io/v1", "Event").map(|r| r.group),
            Some("events.k8s.io")
        );
        assert!(by_kind("example.com/v1", "Widget").is_none());
    }
}

//! The table against its sources: k8s-pb's wire types and the API's JSON
//! names.

use super::*;

#[test]
fn kinds_resolve_to_their_messages() {
    let cases = [
        ("v1", "Pod", "api/core/v1.Pod"),
        ("apps/v1", "Deployment", "api/apps/v1.Deployment"),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "api/rbac/v1.ClusterRole",
        ),
        (
            "coordination.k8s.io/v1",
            "Lease",
            "api/coordination/v1.Lease",
        ),
        (
            "apiregistration.k8s.io/v1",
            "APIService",
            "kube_aggregator/pkg/apis/apiregistration/v1.APIService",
        ),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "apiextensions_apiserver/pkg/apis/apiextensions/v1.CustomResourceDefinition",
        ),
        ("storage.k8s.io/v1", "CSIDriver", "api/storage/v1.CsiDriver"),
        (
            "flowcontrol.apiserver.k8s.io/v1",
            "FlowSchema",
            "api/flowcontrol/v1.FlowSchema",
        ),
        (
            "discovery.k8s.io/v1",
            "EndpointSlice",
            "api/discovery/v1.EndpointSlice",
        ),
        ("events.k8s.io/v1", "Event", "api/events/v1.Event"),
    ];
    for (av, kind, name) in cases {
        let i = message_for(av, kind).unwrap_or_else(|| panic!("{av} {kind} not found"));
        assert_eq!(message(i).name, name);
    }
    assert_eq!(message_for("example.com/v1", "Widget"), None);
    assert_eq!(message_for("v1", "NoSuchKind"), None);
}

/// JSON names the API spells with acronyms, which a Rust name does not
/// give back (k8s.io/api/core/v1/types.go).
#[test]
fn acronym_json_names() {
    let status = message(index_of("api/core/v1.PodStatus").unwrap());
    for n in ["podIP", "podIPs", "hostIP", "hostIPs", "qosClass"] {
        assert!(status.field_by_json(n).is_some(), "PodStatus.{n}");
    }
    let svc = message(index_of("api/core/v1.ServiceSpec").unwrap());
    for n in ["clusterIP", "clusterIPs", "externalIPs", "loadBalancerIP"] {
        assert!(svc.field_by_json(n).is_some(), "ServiceSpec.{n}");
    }
    let spec = message(index_of("api/core/v1.PodSpec").unwrap());
    assert!(spec.field_by_json("hostPID").is_some());
    let props = message(
        index_of("apiextensions_apiserver/pkg/apis/apiextensions/v1.JsonSchemaProps").unwrap(),
    );
    assert!(props.field_by_json("$ref").is_some());
    assert!(
        props
            .field_by_json("x-kubernetes-preserve-unknown-fields")
            .is_some()
    );
}

/// Go facts: pointers, omitempty and inlined structs
/// (k8s.io/api/core/v1/types.go, apimachinery meta/v1/types.go).
#[test]
fn go_facts_of_known_fields() {
    let f = |m: &str, j: &str| {
        *message(index_of(m).unwrap())
            .field_by_json(j)
            .unwrap_or_else(|| panic!("{m}.{j}"))
    };
    assert_eq!(f("api/apps/v1.DeploymentSpec", "replicas").go, Go::Pointer);
    assert_eq!(
        f("api/apps/v1.DeploymentStatus", "replicas").go,
        Go::OmitEmpty
    );
    assert_eq!(f("api/core/v1.ContainerStatus", "ready").go, Go::Always);
    assert_eq!(
        f("api/core/v1.ContainerStatus", "restartCount").go,
        Go::Always
    );
    assert_eq!(f("api/core/v1.Container", "image").go, Go::OmitEmpty);
    assert_eq!(f("api/rbac/v1.ClusterRole", "rules").go, Go::Always);
    assert_eq!(
        f(
            "apimachinery/pkg/apis/meta/v1.ObjectMeta",
            "creationTimestamp"
        )
        .go,
        Go::OmitZero
    );
    let probe = message(index_of("api/core/v1.Probe").unwrap());
    assert_eq!(probe.fields[0].go, Go::Inline);
    assert_eq!(probe.fields[0].tag, 1);
}

#[test]
fn table_is_sorted_and_nearly_complete() {
    let all = messages();
    assert!(all.len() > 1000);
    assert!(all.windows(2).all(|w| w[0].name < w[1].name));
    // Only the hand-written specials (Time, Quantity, JSON, ...) lack Go facts.
    assert!(GUESSED_FIELDS < 40, "{GUESSED_FIELDS} fields guessed");
}

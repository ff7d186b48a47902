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
        ("storage.k8s.io/v1", "CSIDriver", "api/storage/v1.CSIDriver"),
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
    const { assert!(GUESSED_FIELDS < 40) };
}

/// Property: any object (random, in the form Go writes it) encoded with
/// k8s-pb, rendered as JSON, encoded back from that JSON and decoded
/// with k8s-pb again is the same object. This checks the table's wire
/// facts against k8s-pb (a wrong type or tag fails k8s-pb's decoding)
/// and the renderer and encoder against each other.
pub(crate) mod roundtrip {
    use super::super::*;
    use crate::k8s::encode::encode_object;
    use crate::k8s::envelope::{put_len, put_uint, put_varint};
    use crate::k8s::render::{RenderOptions, render_object};

    /// xorshift64*: reproducible, no dependency.
    pub(crate) struct Rng(pub(crate) u64);
    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        pub(crate) fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
        pub(crate) fn word(&mut self) -> String {
            const W: &[&str] = &[
                "a",
                "web",
                "kube-system",
                "nginx:1.27",
                "x y",
                "10.0.0.1",
                "Ready",
                "ünï",
                "true",
                "8080",
            ];
            W[self.below(W.len() as u64) as usize].to_string()
        }
    }

    fn scalar(out: &mut Vec<u8>, tag: u32, s: Scalar, nonzero: bool, rng: &mut Rng) {
        let mut n = rng.below(100_000) as i64 - 50_000;
        if nonzero && n == 0 {
            n = 7;
        }
        match s {
            Scalar::Str => {
                let w = rng.word();
                put_len(out, tag, w.as_bytes());
            }
            Scalar::Bytes => {
                let len = 1 + rng.below(6) as usize;
                let b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                put_len(out, tag, &b);
            }
            Scalar::Bool => put_uint(out, tag, u64::from(nonzero || rng.chance(50))),
            Scalar::I32 | Scalar::I64 => put_uint(out, tag, n as u64),
            Scalar::U32 | Scalar::U64 => put_uint(out, tag, n.unsigned_abs()),
            Scalar::F64 => {
                put_varint(out, (u64::from(tag) << 3) | 1);
                out.extend_from_slice(&(n as f64 / 4.0).to_bits().to_le_bytes());
            }
            Scalar::F32 => {
                put_varint(out, (u64::from(tag) << 3) | 5);
                out.extend_from_slice(&((n as f32) / 4.0).to_bits().to_le_bytes());
            }
        }
    }

    pub(crate) fn message_bytes(index: u16, depth: u32, rng: &mut Rng) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(sp) = special(index) {
            match sp {
                Special::Time => put_uint(&mut out, 1, 1_000_000_000 + rng.below(2_000_000_000)),
                Special::MicroTime => {
                    put_uint(&mut out, 1, 1_000_000_000 + rng.below(2_000_000_000));
                    put_uint(&mut out, 2, (1 + rng.below(999_999)) * 1000);
                }
                Special::Duration => put_uint(&mut out, 1, rng.below(1_000_000) * 1_000_000),
                Special::Quantity => {
                    const Q: &[&str] = &["100m", "1", "2Gi", "500Mi", "1k", "0", "1.5"];
                    put_len(
                        &mut out,
                        1,
                        Q[rng.below(Q.len() as u64) as usize].as_bytes(),
                    );
                }
                Special::IntOrString => {
                    if rng.chance(50) {
                        put_uint(&mut out, 1, 0);
                        put_uint(&mut out, 2, rng.below(65_536));
                    } else {
                        put_uint(&mut out, 1, 1);
                        put_len(&mut out, 3, b"http");
                    }
                }
                Special::RawJson => put_len(&mut out, 1, br#"{"a":[1,"b"]}"#),
                Special::StringList => put_len(&mut out, 1, b"get"),
                Special::SchemaOrBool => put_uint(&mut out, 1, 1),
                Special::SchemaOrArray | Special::SchemaOrStringArray => {}
            }
            return out;
        }
        let msg = message(index);
        let mut fields: Vec<&Field> = msg.fields.iter().collect();
        fields.sort_by_key(|f| f.tag);
        for f in fields {
            if f.json == "-" {
                continue;
            }
            // Go always writes these; the rest are set at random,
            // less often the deeper we are.
            let required = matches!(f.card, Card::One)
                && (matches!(f.go, Go::Always | Go::Inline)
                    || (matches!(f.go, Go::OmitEmpty) && matches!(f.ty, Ty::Msg(_))));
            let p = if depth > 5 { 0 } else { 60 - 10 * depth as u64 };
            if !required && !rng.chance(p) {
                continue;
            }
            let count = match f.card {
                Card::One => 1,
                _ => 1 + rng.below(2),
            };
            let mut keys_used = Vec::new();
            for _ in 0..count {
                let nonzero = matches!(f.go, Go::OmitEmpty | Go::OmitZero) && f.card == Card::One;
                match f.card {
                    Card::Map => {
                        let k = rng.word();
                        if keys_used.contains(&k) {
                            continue;
                        }
                        keys_used.push(k.clone());
                        let mut entry = Vec::new();
                        put_len(&mut entry, 1, k.as_bytes());
                        match f.ty {
                            Ty::Scalar(s) => scalar(&mut entry, 2, s, false, rng),
                            Ty::Msg(c) => {
                                let b = message_bytes(c, depth + 1, rng);
                                put_len(&mut entry, 2, &b);
                            }
                        }
                        put_len(&mut out, f.tag, &entry);
                    }
                    _ => match f.ty {
                        Ty::Scalar(s) => scalar(&mut out, f.tag, s, nonzero, rng),
                        Ty::Msg(c) => {
                            if special(c).is_some_and(|s| {
                                matches!(s, Special::SchemaOrArray | Special::SchemaOrStringArray)
                            }) {
                                continue;
                            }
                            let b = message_bytes(c, depth + 1, rng);
                            if nonzero && f.go == Go::OmitZero && b.is_empty() {
                                continue;
                            }
                            put_len(&mut out, f.tag, &b);
                        }
                    },
                }
            }
        }
        out
    }

    fn check<T: prost::Message + Default + PartialEq + std::fmt::Debug>(
        api_version: &str,
        kind: &str,
        cases: u32,
    ) {
        let index = message_for(api_version, kind).expect("kind in table");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(index));
        for case in 0..cases {
            let bytes = message_bytes(index, 0, &mut rng);
            let original = T::decode(bytes.as_slice()).unwrap_or_else(|e| {
                panic!("{kind} case {case}: k8s-pb refuses table-made bytes: {e}")
            });
            let canonical = original.encode_to_vec();
            let opts = RenderOptions { show_secrets: true };
            let rendered = render_object(api_version, kind, &canonical, 0, &opts).expect("renders");
            assert!(
                rendered.problems.is_empty(),
                "{kind} case {case}: {:?}",
                rendered.problems
            );
            assert!(
                rendered.unknown.is_empty(),
                "{kind} case {case}: {:?}",
                rendered.unknown
            );
            let json = rendered.object.to_json();
            let encoded = encode_object(&json)
                .unwrap_or_else(|e| panic!("{kind} case {case}: {e}\n{json:#}"))
                .expect("known kind");
            assert!(
                encoded.unknown.is_empty(),
                "{kind} case {case}: {:?}",
                encoded.unknown
            );
            let back = T::decode(encoded.raw.as_slice()).expect("decodes");
            assert_eq!(back, original, "{kind} case {case}\n{json:#}");
        }
    }

    #[test]
    fn objects_survive_render_and_encode() {
        use k8s_pb::api;
        check::<api::core::v1::Pod>("v1", "Pod", 300);
        check::<api::core::v1::Node>("v1", "Node", 200);
        check::<api::core::v1::Service>("v1", "Service", 200);
        check::<api::core::v1::Secret>("v1", "Secret", 100);
        check::<api::core::v1::ConfigMap>("v1", "ConfigMap", 100);
        check::<api::core::v1::Event>("v1", "Event", 100);
        check::<api::core::v1::PersistentVolume>("v1", "PersistentVolume", 100);
        check::<api::apps::v1::Deployment>("apps/v1", "Deployment", 200);
        check::<api::apps::v1::StatefulSet>("apps/v1", "StatefulSet", 100);
        check::<api::apps::v1::DaemonSet>("apps/v1", "DaemonSet", 100);
        check::<api::batch::v1::CronJob>("batch/v1", "CronJob", 100);
        check::<api::coordination::v1::Lease>("coordination.k8s.io/v1", "Lease", 100);
        check::<api::discovery::v1::EndpointSlice>("discovery.k8s.io/v1", "EndpointSlice", 100);
        check::<api::rbac::v1::ClusterRole>("rbac.authorization.k8s.io/v1", "ClusterRole", 100);
        check::<api::networking::v1::Ingress>("networking.k8s.io/v1", "Ingress", 100);
        check::<api::autoscaling::v2::HorizontalPodAutoscaler>(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            100,
        );
        check::<api::events::v1::Event>("events.k8s.io/v1", "Event", 100);
        check::<api::flowcontrol::v1::FlowSchema>(
            "flowcontrol.apiserver.k8s.io/v1",
            "FlowSchema",
            50,
        );
        check::<api::storage::v1::CSIDriver>("storage.k8s.io/v1", "CSIDriver", 50);
        check::<
            k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >("apiextensions.k8s.io/v1", "CustomResourceDefinition", 50);
    }
}

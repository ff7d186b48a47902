//! The direct writer against its definition: `yaml::to_yaml` of the
//! tree `render` builds. Where the direct path takes an object, the bytes
//! must be equal; where it gives up, the tree is used, so giving up is
//! never wrong — but it must be rare on well-formed objects, or the fast
//! path is no path at all.

use super::*;
use crate::k8s::envelope::{put_len, put_uint, put_varint};
use crate::k8s::render::{RenderOptions, render_message, render_object};
use crate::k8s::schema::tests::roundtrip::{Rng, message_bytes};
use crate::k8s::yaml::to_yaml;

/// The tree's YAML of an object of `api_version`/`kind`.
fn tree_yaml(api_version: &str, kind: &str, raw: &[u8]) -> String {
    let opts = RenderOptions { show_secrets: true };
    let r = render_object(api_version, kind, raw, 0, &opts).expect("built-in kind");
    to_yaml(&r.object)
}

/// The direct writer's YAML, or `None` when it gives up.
fn direct_yaml(api_version: &str, kind: &str, raw: &[u8]) -> Option<String> {
    let mut out = String::from("unchanged");
    if write_object(&mut out, api_version, kind, raw) {
        Some(out.split_off("unchanged".len()))
    } else {
        assert_eq!(out, "unchanged", "a writer that gives up leaves out alone");
        None
    }
}

/// Any message of the schema, written without apiVersion/kind.
fn direct_message(index: u16, raw: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut w = Writer { found: Vec::new() };
    match w.body(&mut out, raw, index, 0, 0, &[]) {
        Ok(0) => Some("{}\n".into()),
        Ok(_) => Some(out),
        Err(GiveUp) => None,
    }
}

/// Every message of Kubernetes 1.35's schema, with random contents:
/// where the tree reads the bytes without a problem, the direct path
/// takes them (when the message has a plan) and writes the same bytes.
#[test]
fn every_message_writes_as_the_tree_does() {
    let mut compared = 0;
    let mut unplanned = Vec::new();
    for (i, msg) in schema::messages().iter().enumerate() {
        let index = u16::try_from(i).expect("index");
        if schema::special(index).is_some() {
            continue;
        }
        let planned = plans()[i].is_some();
        if !planned {
            unplanned.push(msg.name);
        }
        let mut rng = Rng(0x51_7CC1_B727_220A ^ i as u64);
        for case in 0..8 {
            let raw = message_bytes(index, 0, &mut rng);
            let tree = render_message(msg.name, &raw).expect("in the schema");
            let want = to_yaml(&tree.object);
            match direct_message(index, &raw) {
                Some(got) => {
                    assert_eq!(got, want, "{} case {case}", msg.name);
                    compared += 1;
                }
                None => assert!(
                    !planned || !tree.problems.is_empty(),
                    "{} case {case}: the direct path gave up on a clean message",
                    msg.name
                ),
            }
        }
    }
    // Nearly every message has a plan; the few without are the JSON
    // schema's own (its `JSONSchemaPropsOr*` inline lists).
    assert!(unplanned.len() <= 6, "{unplanned:?}");
    assert!(compared > 9_000, "{compared}");
}

/// Top-level kinds with apiVersion and kind merged into the sorted keys,
/// many cases each.
#[test]
fn objects_write_as_the_tree_does() {
    for (api_version, kind, cases) in [
        ("v1", "Pod", 400),
        ("v1", "Node", 200),
        ("v1", "Service", 100),
        ("v1", "ConfigMap", 100),
        ("v1", "Secret", 50),
        ("v1", "Event", 100),
        ("apps/v1", "Deployment", 200),
        ("apps/v1", "StatefulSet", 100),
        ("batch/v1", "CronJob", 100),
        ("coordination.k8s.io/v1", "Lease", 50),
        ("discovery.k8s.io/v1", "EndpointSlice", 50),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 50),
    ] {
        let index = schema::message_for(api_version, kind).expect("kind");
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ u64::from(index));
        for case in 0..cases {
            let raw = message_bytes(index, 0, &mut rng);
            let want = tree_yaml(api_version, kind, &raw);
            let got = direct_yaml(api_version, kind, &raw)
                .unwrap_or_else(|| panic!("{kind} case {case}: gave up"));
            assert_eq!(got, want, "{kind} case {case}");
            assert!(got.contains(&format!("kind: {kind}\n")), "{got}");
        }
    }
}

/// Damaged and odd objects: cut anywhere, a byte changed, a field
/// repeated, a field the schema does not know. The direct path either
/// writes what the tree writes or gives up — never something else.
#[test]
fn damaged_objects_are_the_tree_or_nothing() {
    let index = schema::message_for("v1", "Pod").expect("Pod");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut taken, mut left) = (0, 0);
    for case in 0..300 {
        let mut raw = message_bytes(index, 0, &mut rng);
        match case % 4 {
            0 => raw.truncate(rng.below(raw.len() as u64 + 1) as usize),
            1 if !raw.is_empty() => {
                let at = rng.below(raw.len() as u64) as usize;
                raw[at] ^= 1 << rng.below(8);
            }
            2 => {
                // A second copy of the first field (metadata), which the
                // tree reads as "the last one wins".
                let again = raw.clone();
                raw.extend_from_slice(&again);
            }
            _ => put_len(&mut raw, 999, b"from a newer Kubernetes"),
        }
        let want = tree_yaml("v1", "Pod", &raw);
        if case % 4 == 3 {
            assert_eq!(direct_yaml("v1", "Pod", &raw), None, "case {case}");
        }
        match direct_yaml("v1", "Pod", &raw) {
            Some(got) => {
                assert_eq!(got, want, "case {case}");
                taken += 1;
            }
            None => left += 1,
        }
    }
    // Repeated fields are taken; unknown ones never (the tree names them
    // in a comment), cuts and flips mostly not.
    assert!(taken >= 75, "taken {taken}, left {left}");
    assert!(left >= 100, "taken {taken}, left {left}");
}

/// Map and string cases a random object rarely has: keys stored out of
/// order and twice (the last wins), a key longer than YAML's 1024-char
/// implicit keys, text YAML must quote or fold into a block, invalid
/// UTF-8, binary data, an entry without a value.
#[test]
fn maps_and_strings_as_the_tree_writes_them() {
    let mut meta = Vec::new();
    put_len(&mut meta, 1, b"cm");
    put_len(&mut meta, 3, b"default");
    let entry = |k: &[u8], v: Option<&[u8]>| {
        let mut e = Vec::new();
        put_len(&mut e, 1, k);
        if let Some(v) = v {
            put_len(&mut e, 2, v);
        }
        e
    };
    let mut raw = Vec::new();
    put_len(&mut raw, 1, &meta);
    let long_key = "k".repeat(1500);
    for (k, v) in [
        (&b"zeta"[..], Some(&b"last"[..])),
        (b"alpha", Some(b"first")),
        (b"zeta", Some(b"wins")),
        (b"quoted", Some(b"true")),
        (b"number", Some(b"8080")),
        (b"colon", Some(b"a: b")),
        (b"block", Some(b"line one\nline two\n")),
        (b"keep", Some(b"x\n\n")),
        (b"bad-utf8", Some(b"caf\xe9")),
        (b"empty", Some(b"")),
        (b"novalue", None),
        (long_key.as_bytes(), Some(b"long")),
    ] {
        put_len(&mut raw, 2, &entry(k, v));
    }
    // binaryData (field 3): bytes as base64.
    put_len(&mut raw, 3, &entry(b"blob", Some(&[0, 159, 146, 150])));
    // immutable (field 4): a bool pointer set to false is written.
    put_uint(&mut raw, 4, 0);
    let want = tree_yaml("v1", "ConfigMap", &raw);
    let got = direct_yaml("v1", "ConfigMap", &raw).expect("taken");
    assert_eq!(got, want);
    // The tree's rules, spelled out (kubectl's YAML): the last `zeta`,
    // `true` quoted, the block kept with its trailing newline.
    assert!(want.contains("  zeta: wins\n"), "{want}");
    assert!(want.contains("  quoted: \"true\"\n"), "{want}");
    assert!(
        want.contains("  block: |\n    line one\n    line two\n"),
        "{want}"
    );
    assert!(want.contains("immutable: false\n"), "{want}");
    assert!(want.contains("? kkkk"), "{want}");
}

/// Packed lists (as protobuf writes repeated numbers) and unpacked ones
/// read alike; a packed list may be empty.
#[test]
fn packed_and_unpacked_lists() {
    let index = schema::index_of("api/core/v1.PodSecurityContext").expect("message");
    let tag = schema::message(index)
        .field_by_json("supplementalGroups")
        .expect("field")
        .tag;
    let mut packed = Vec::new();
    for g in [1000u64, 2000, 3000] {
        put_varint(&mut packed, g);
    }
    let mut raw = Vec::new();
    put_len(&mut raw, tag, &packed);
    put_uint(&mut raw, tag, 4000);
    put_len(&mut raw, tag, &[]);
    let tree = render_message("api/core/v1.PodSecurityContext", &raw).expect("renders");
    let want = to_yaml(&tree.object);
    assert_eq!(direct_message(index, &raw).as_deref(), Some(want.as_str()));
    assert!(
        want.contains("supplementalGroups:\n- 1000\n- 2000\n- 3000\n- 4000\n"),
        "{want}"
    );
    // Only an empty packed list: no values, so the field is left out.
    let mut raw = Vec::new();
    put_len(&mut raw, tag, &[]);
    let tree = render_message("api/core/v1.PodSecurityContext", &raw).expect("renders");
    let want = to_yaml(&tree.object);
    assert_eq!(direct_message(index, &raw).as_deref(), Some(want.as_str()));
    assert!(!want.contains("supplementalGroups"), "{want}");
}

/// Secrets are the tree's (it redacts them); so are kinds outside the
/// schema and values that are not a clean envelope.
#[test]
fn stored_values_the_direct_path_leaves_alone() {
    let secret = crate::k8s::encode::encode_object(&serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
        "data": {"password": "aHVudGVyMg=="}
    }))
    .expect("encodes")
    .expect("known kind")
    .stored_value();
    assert_eq!(stored_object(&secret, false), None);
    let shown = stored_object(&secret, true).expect("shown when asked");
    assert!(shown.contains("password: aHVudGVyMg==\n"), "{shown}");
    // A custom resource stored as protobuf of a kind k8s-pb does not know.
    let mut unknown = MAGIC.to_vec();
    let mut tm = Vec::new();
    put_len(&mut tm, 1, b"example.com/v1");
    put_len(&mut tm, 2, b"Widget");
    put_len(&mut unknown, 1, &tm);
    put_len(&mut unknown, 2, b"\x0a\x00");
    assert_eq!(stored_object(&unknown, true), None);
    // A cut envelope.
    let cm = crate::k8s::encode::encode_object(&serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"}, "data": {"a": "b"}
    }))
    .expect("encodes")
    .expect("known kind")
    .stored_value();
    assert!(stored_object(&cm, false).is_some());
    assert_eq!(stored_object(&cm[..cm.len() / 2], false), None);
    assert_eq!(stored_object(b"{\"kind\":\"Pod\"}", false), None);
}

/// The corpus's auger values (a Pod and a Job an apiserver stored): the
/// direct path takes them and writes what the tree writes, which
/// `tests/k8s_objects.rs` checks field for field against auger's YAML.
#[test]
fn corpus_auger_values() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/etcd-auger/storage");
    if !dir.is_dir() {
        eprintln!("SKIP corpus_auger_values: {} is absent", dir.display());
        return;
    }
    for name in ["pod.bin", "job.bin"] {
        let file = std::fs::read(dir.join(name)).expect("corpus file");
        // The files end in a newline auger's authors added (ORACLE.txt):
        // damage after the object, which the direct path leaves to the tree.
        assert_eq!(stored_object(&file, false), None, "{name}");
        let value = file.strip_suffix(b"\n").expect("the added newline");
        let tree = crate::k8s::envelope::decode(value);
        assert_eq!(tree.error, None, "{name}");
        let want = to_yaml(tree.object.as_ref().expect("object"));
        assert!(
            want.contains("\nspec:\n") && want.contains("\nstatus:\n"),
            "{name}: {want}"
        );
        match stored_object(value, false) {
            Some(got) => {
                assert!(tree.unknown_fields.is_empty(), "{name}");
                assert_eq!(got, want, "{name}");
            }
            // Written by Kubernetes 1.7: ObjectMeta's clusterName (field
            // 15, removed in 1.25) is not in the schema; the tree names it.
            None => assert!(
                tree.unknown_fields
                    .iter()
                    .any(|u| u.contains("field 15 of ObjectMeta")),
                "{name}: {:?}",
                tree.unknown_fields
            ),
        }
        // Without the removed field, the direct path takes the Pod (the
        // Job has it in its Pod template's metadata as well).
        if name != "pod.bin" {
            continue;
        }
        let without = without_cluster_name(value);
        let tree = crate::k8s::envelope::decode(&without);
        assert!(
            tree.unknown_fields.is_empty(),
            "{name}: {:?}",
            tree.unknown_fields
        );
        let want = to_yaml(tree.object.as_ref().expect("object"));
        assert_eq!(
            stored_object(&without, false).as_deref(),
            Some(want.as_str()),
            "{name}"
        );
    }
}

/// The stored value re-encoded without ObjectMeta's field 15.
fn without_cluster_name(value: &[u8]) -> Vec<u8> {
    fn fields(b: &[u8]) -> Vec<(u32, WireValue<'_>)> {
        QuickFields::new(b)
            .map(|f| f.expect("well-formed"))
            .collect()
    }
    fn put(out: &mut Vec<u8>, n: u32, v: WireValue<'_>) {
        match v {
            WireValue::Len(b) => put_len(out, n, b),
            WireValue::Varint(x) => put_uint(out, n, x),
            WireValue::Fixed64(x) => {
                put_varint(out, (u64::from(n) << 3) | 1);
                out.extend_from_slice(&x.to_le_bytes());
            }
            WireValue::Fixed32(x) => {
                put_varint(out, (u64::from(n) << 3) | 5);
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    let body = &value[MAGIC.len()..];
    let mut out = MAGIC.to_vec();
    for (n, v) in fields(body) {
        match (n, v) {
            (2, WireValue::Len(raw)) => {
                let mut object = Vec::new();
                for (m, w) in fields(raw) {
                    match (m, w) {
                        (1, WireValue::Len(meta)) => {
                            let mut kept = Vec::new();
                            for (k, x) in fields(meta) {
                                if k != 15 {
                                    put(&mut kept, k, x);
                                }
                            }
                            put_len(&mut object, 1, &kept);
                        }
                        _ => put(&mut object, m, w),
                    }
                }
                put_len(&mut out, 2, &object);
            }
            _ => put(&mut out, n, v),
        }
    }
    out
}

/// The calendar arithmetic against the `time` crate (what the tree
/// uses), over random instants of years 0-9999 and the edges.
#[test]
fn timestamps_as_the_time_crate_writes_them() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut cases: Vec<i64> = (0..20_000)
        .map(|_| YEAR_0 + rng.below((YEAR_10000 - YEAR_0) as u64) as i64)
        .collect();
    cases.extend([
        YEAR_0,
        YEAR_10000 - 1,
        GO_ZERO_TIME + 1,
        -1,
        0,
        951_782_400,   // 2000-02-29
        4_107_542_400, // 2100-03-01
        1_798_761_599, // 2026-12-31T23:59:59
    ]);
    for secs in cases {
        let mut got = String::new();
        rfc3339(&mut got, secs);
        got.push('Z');
        let want = crate::k8s::format_unix_time(secs, 0).expect("in range");
        assert_eq!(got, want, "{secs}");
    }
    assert_eq!(crate::k8s::format_unix_time(YEAR_0 - 1, 0), None);
    assert_eq!(crate::k8s::format_unix_time(YEAR_10000, 0), None);
}

/// Time, MicroTime, IntOrString and Quantity, including their zero and
/// odd forms, written as the tree writes them.
#[test]
fn small_special_forms() {
    let index = schema::index_of("api/core/v1.ContainerStateTerminated").expect("message");
    let msg = schema::message(index);
    let tag = |json: &str| msg.field_by_json(json).expect("field").tag;
    for secs in [GO_ZERO_TIME, YEAR_0 - 1, YEAR_10000, 0, 1_798_761_599] {
        let mut t = Vec::new();
        put_uint(&mut t, 1, secs as u64);
        let mut raw = Vec::new();
        put_len(&mut raw, tag("startedAt"), &t);
        put_len(&mut raw, tag("finishedAt"), &[]);
        let tree = render_message(msg.name, &raw).expect("renders");
        assert_eq!(
            direct_message(index, &raw).as_deref(),
            Some(to_yaml(&tree.object).as_str()),
            "{secs}"
        );
    }
    // A Service port's targetPort: an int, a name, and a name unset.
    let index = schema::index_of("api/core/v1.ServicePort").expect("message");
    let msg = schema::message(index);
    let tag = msg.field_by_json("targetPort").expect("field").tag;
    for ios in [
        vec![(1u32, 0u64, None), (2, 8080, None)],
        vec![(1, 1, None), (3, 0, Some(&b"http"[..]))],
        vec![(1, 1, None)],
        vec![(2, (-5i64) as u64, None)],
    ] {
        let mut v = Vec::new();
        for (n, x, b) in ios {
            match b {
                Some(b) => put_len(&mut v, n, b),
                None => put_uint(&mut v, n, x),
            }
        }
        let mut raw = Vec::new();
        put_len(&mut raw, tag, &v);
        let tree = render_message(msg.name, &raw).expect("renders");
        let want = to_yaml(&tree.object);
        assert_eq!(direct_message(index, &raw).as_deref(), Some(want.as_str()));
    }
    // An Event's eventTime (MicroTime) with nanoseconds past a second.
    let index = schema::index_of("api/core/v1.Event").expect("message");
    let msg = schema::message(index);
    let mut t = Vec::new();
    put_uint(&mut t, 1, 1_498_581_334);
    put_uint(&mut t, 2, 123_456_789);
    let mut raw = Vec::new();
    put_len(
        &mut raw,
        msg.field_by_json("eventTime").expect("field").tag,
        &t,
    );
    let tree = render_message(msg.name, &raw).expect("renders");
    let want = to_yaml(&tree.object);
    assert_eq!(direct_message(index, &raw).as_deref(), Some(want.as_str()));
    assert!(
        want.contains("eventTime: \"2017-06-27T16:35:34.123456Z\"\n"),
        "{want}"
    );
}

//! The value decoders on real stored Kubernetes values, without etcd:
//! etcd-io/auger's Pod and Job as Kubernetes stored them (protobuf
//! envelope) and as JSON, checked against that folder's expected decodes
//! (json/*.json, proto/*.bin); the aesgcm test vector of the Kubernetes
//! sources behind a `k8s:enc:aesgcm:v1:` prefix; and every truncation and
//! byte flip of the Pod: never a panic, and a damaged value still names
//! its type and says where it broke.

mod common;
mod etcd_data_support;

use std::path::Path;

use etcd_data_support::{corpus, corpus_value};
use kinspect::k8s::{DecodeOptions, Decoded, decode_value};
use serde_json::Value as Json;

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

fn expected(dir: &Path, name: &str) -> Json {
    let p = dir.join("etcd-auger/json").join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("expected decode is JSON")
}

/// The decoded metadata agrees with the expected JSON decode.
fn check_meta(d: &Decoded, want: &Json) {
    let t = d.type_meta().expect("type");
    assert_eq!(t.api_version, want["apiVersion"].as_str().unwrap());
    assert_eq!(t.kind, want["kind"].as_str().unwrap());
    let m = d.metadata().expect("metadata");
    let wm = &want["metadata"];
    assert_eq!(m.name, wm["name"].as_str().unwrap());
    assert_eq!(m.namespace, wm["namespace"].as_str().unwrap());
    assert_eq!(m.uid, wm["uid"].as_str().unwrap());
    assert_eq!(
        m.creation_timestamp.as_deref(),
        wm["creationTimestamp"].as_str()
    );
    let labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(wm["labels"].clone()).unwrap();
    assert_eq!(m.labels, labels);
    let annotations: std::collections::BTreeMap<String, String> =
        serde_json::from_value(wm.get("annotations").cloned().unwrap_or(Json::Null))
            .unwrap_or_default();
    assert_eq!(m.annotations, annotations);
    let owners = wm.get("ownerReferences").and_then(Json::as_array);
    assert_eq!(m.owner_references.len(), owners.map_or(0, Vec::len));
    if let Some(o) = owners.and_then(|o| o.first()) {
        let got = &m.owner_references[0];
        assert_eq!(got.api_version, o["apiVersion"].as_str().unwrap());
        assert_eq!(got.kind, o["kind"].as_str().unwrap());
        assert_eq!(got.name, o["name"].as_str().unwrap());
        assert_eq!(got.uid, o["uid"].as_str().unwrap());
        assert_eq!(got.controller, o["controller"].as_bool());
    }
}

#[test]
fn auger_pod_and_job_protobuf() {
    let Some(dir) = corpus() else { return };
    for (name, key, headline) in [
        (
            "pod",
            "/registry/pods/default/pi-dqtsw",
            "v1 Pod default/pi-dqtsw (protobuf)",
        ),
        (
            "job",
            "/registry/jobs/default/pi",
            "batch/v1 Job default/pi (protobuf)",
        ),
    ] {
        let v = corpus_value(&dir.join(format!("etcd-auger/storage/{name}.bin")));
        let d = decode_value(Some(key.as_bytes()), &v, &opts());
        assert_eq!(d.headline(), headline);
        check_meta(&d, &expected(&dir, &format!("{name}.json")));
        let Decoded::Protobuf(p) = &d else {
            panic!("{d:?}")
        };
        assert_eq!(p.error, None);
        // The object's protobuf is exactly auger's "decode to protobuf".
        let raw = std::fs::read(dir.join(format!("etcd-auger/proto/{name}.bin"))).unwrap();
        assert_eq!(p.raw_bytes, raw.len());
        // The spec, by the API's field names, as auger's YAML has it.
        let text = d.render().join("\n");
        assert!(text.contains("image: perl"), "{text}");
        assert!(text.contains("- print bpi(2000)"), "{text}");
        // ObjectMeta field 15 (clusterName, removed in Kubernetes 1.25)
        // is stored in these 2017 values: named and skipped, as the
        // apiserver skips it.
        assert!(text.contains("field 15 of ObjectMeta"), "{text}");
    }
}

#[test]
fn auger_json_values() {
    let Some(dir) = corpus() else { return };
    let want = expected(&dir, "pod.json");
    // pod.json passes through; pod-with-key.txt is a key line then the value.
    let plain = std::fs::read(dir.join("etcd-auger/json/pod.json")).unwrap();
    let with_key = std::fs::read(dir.join("etcd-auger/json/pod-with-key.txt")).unwrap();
    let nl = with_key.iter().position(|&b| b == b'\n').unwrap();
    let (key, value) = (&with_key[..nl], &with_key[nl + 1..]);
    assert_eq!(key, b"/registry/pods/default/xyz");
    for v in [plain.as_slice(), value] {
        let d = decode_value(Some(key), v, &opts());
        assert_eq!(d.headline(), "v1 Pod default/pi-dqtsw (JSON)");
        check_meta(&d, &want);
        let Decoded::Json(j) = &d else { panic!() };
        assert_eq!(j.object, want);
        // Pretty output keeps the stored key order and is the same JSON.
        let pretty = j.pretty.as_deref().unwrap();
        assert!(pretty.starts_with("{\n  \"kind\": \"Pod\",\n  \"apiVersion\": \"v1\""));
        assert_eq!(serde_json::from_str::<Json>(pretty).unwrap(), want);
    }
}

#[test]
fn kubernetes_aesgcm_vector_behind_prefix() {
    let Some(dir) = corpus() else { return };
    let payload = std::fs::read(dir.join("k8s-encryption/aesgcm-legacy-ciphertext.bin")).unwrap();
    let mut v = b"k8s:enc:aesgcm:v1:key1:".to_vec();
    v.extend_from_slice(&payload);
    let d = decode_value(Some(b"/registry/configmaps/default/c"), &v, &opts());
    let Decoded::Encrypted(e) = &d else {
        panic!("{d:?}")
    };
    assert_eq!(
        (e.provider.as_str(), e.key_name.as_str()),
        ("aesgcm", "key1")
    );
    // 12-byte nonce + "pandas are the best" (19) + 16-byte tag
    assert_eq!(e.ciphertext_bytes, Some("pandas are the best".len()));
    assert_eq!(e.problem, None);
}

#[test]
fn every_truncation_and_byte_flip_of_the_pod() {
    let Some(dir) = corpus() else { return };
    let v = corpus_value(&dir.join("etcd-auger/storage/pod.bin"));
    let key = Some(b"/registry/pods/default/pi-dqtsw".as_slice());
    for n in 0..v.len() {
        let d = decode_value(key, &v[..n], &opts());
        let lines = d.render();
        assert!(!lines.is_empty());
        let _ = serde_json::to_string(&d).unwrap();
        // The last 4 bytes are the empty contentEncoding and contentType
        // fields: without them the envelope is still whole.
        if (30..v.len() - 4).contains(&n) {
            // Past the type: the type is still named and the break is said.
            assert!(lines[0].starts_with("v1 Pod"), "{n}: {}", lines[0]);
            // ObjectMeta comes first and its name first in it: once the
            // name is in, the object is named, however late the cut.
            if n >= 4 + 2 + 11 + 3 + 3 + 2 + 8 {
                assert!(
                    lines[0].starts_with("v1 Pod default/pi-dqtsw")
                        || lines[0].starts_with("v1 Pod pi-dqtsw"),
                    "{n}: {}",
                    lines[0]
                );
            }
            let all = lines.join("\n");
            assert!(all.contains("!! "), "{n}: no error shown:\n{all}");
            assert!(all.contains("offset"), "{n}: no offset:\n{all}");
        }
    }
    for i in 0..v.len() {
        let mut w = v.clone();
        w[i] ^= 0xff;
        let d = decode_value(key, &w, &opts());
        let _ = d.render();
        let _ = serde_json::to_string(&d).unwrap();
    }
}

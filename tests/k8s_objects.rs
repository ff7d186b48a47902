//! Stored Kubernetes objects rendered as kubectl shows them, checked
//! against outside oracles: auger's testdata (etcd-io/auger, in
//! ../shared/corpus/etcd-auger; its expected JSON and YAML come from the
//! Go types themselves).

mod common;

use kinspect::k8s::{self, ApiValue, DecodeOptions, Decoded};
use std::path::Path;

fn stored(corpus: &Path, name: &str) -> Vec<u8> {
    let mut v = std::fs::read(corpus.join("etcd-auger/storage").join(name)).expect("read");
    // auger's test files end with one extra newline (ORACLE.txt).
    v.pop();
    v
}

fn object_of(value: &[u8]) -> ApiValue {
    match k8s::decode_value(None, value, &DecodeOptions::default()) {
        Decoded::Protobuf(p) => {
            assert!(p.problems.is_empty(), "{:?}", p.problems);
            p.object.expect("rendered")
        }
        other => panic!("not protobuf: {}", other.headline()),
    }
}

fn yaml_file(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read yaml");
    serde_norway::from_str(&text).expect("yaml")
}

#[test]
fn auger_pod_and_job_match_field_for_field() {
    let corpus = require_corpus!();
    for (bin, json, yaml) in [
        ("pod.bin", "json/pod.json", "yaml/pod.yaml"),
        ("job.bin", "json/job.json", "yaml/job.yaml"),
    ] {
        let object = object_of(&stored(&corpus, bin));
        let want_json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(corpus.join("etcd-auger").join(json)).unwrap())
                .unwrap();
        assert_eq!(object.to_json(), want_json, "{bin} vs {json}");
        // Our YAML reads back to the same value as auger's YAML.
        let ours: serde_json::Value =
            serde_norway::from_str(&k8s::yaml::to_yaml(&object)).expect("our yaml parses");
        assert_eq!(
            ours,
            yaml_file(&corpus.join("etcd-auger").join(yaml)),
            "{bin} vs {yaml}"
        );
    }
}

//! Any bytes as the protobuf of a Kubernetes object of a built-in kind,
//! through the schema renderer (`k8s::render`), the kubectl-style YAML
//! writer and the JSON → protobuf encoder: never a panic; the YAML reads
//! back as the same value; what the renderer produced encodes again
//! (the encoder accepts the renderer's output); Secret values stay
//! redacted; the direct YAML writer (`k8s::direct_yaml`) either gives up
//! or writes exactly the tree's YAML.
//!
//! Input: byte 0 picks the kind (and bit 7 shows Secrets), the rest is
//! the object's bytes.

#![no_main]

use kinspect::k8s::{direct_yaml, encode, render, yaml};
use libfuzzer_sys::fuzz_target;

const KINDS: [(&str, &str); 8] = [
    ("v1", "Pod"),
    ("v1", "Node"),
    ("v1", "Secret"),
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("coordination.k8s.io/v1", "Lease"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("v1", "Event"),
];

fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(J::Null, J::Number),
        J::Array(a) => J::Array(a.into_iter().map(numbers_as_f64).collect()),
        J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect()),
        other => other,
    }
}

fuzz_target!(|data: &[u8]| {
    let [sel, rest @ ..] = data else {
        return;
    };
    let (api_version, kind) = KINDS[(sel & 7) as usize];
    let opts = render::RenderOptions {
        show_secrets: sel & 0x80 != 0,
    };
    let r = render::render_object(api_version, kind, rest, 0, &opts).expect("kind in schema");
    let json = r.object.to_json();
    let text = yaml::to_yaml(&r.object);
    if kind != "Secret" || opts.show_secrets {
        let mut direct = String::new();
        if direct_yaml::write_object(&mut direct, api_version, kind, rest) {
            assert_eq!(direct, text, "the direct writer differs from the tree");
        } else {
            assert!(direct.is_empty(), "a direct writer that gives up writes nothing");
        }
    }
    let back: serde_json::Value = serde_norway::from_str(&text).expect("our YAML parses");
    // A float with no fraction is written `244`, as kubectl writes it, and
    // reads back as an integer: compare numbers by value.
    assert_eq!(numbers_as_f64(back), numbers_as_f64(json.clone()), "YAML reads back differently:\n{text}");
    if !opts.show_secrets && kind == "Secret" {
        if let Some(m) = json["data"].as_object() {
            assert!(m.values().all(|v| v.as_str().is_some_and(|s| s.starts_with("<redacted: "))));
        }
    }
    if kind != "Secret" || opts.show_secrets {
        // Floats that are not finite cannot be JSON; everything else
        // the renderer writes, the encoder reads.
        if !text.contains(".nan") && !text.contains(".inf") {
            if let Err(e) = encode::encode_object(&json) {
                panic!("renderer output does not encode: {e}\n{json:#}");
            }
        }
    }
});

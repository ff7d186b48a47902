//! Any bytes as a value stored in etcd through `k8s::decode_value` (and
//! the key parser, the CBOR decoder, the encryption reader and the generic
//! protobuf tree directly): never a panic, every result renders as lines
//! and as JSON, and Secrets stay redacted.
//!
//! Input: byte 0 picks the key (a Secret's, a Pod's, none, or the rest of
//! the input itself as the key) and whether Secrets are shown (bit 7);
//! byte 1 picks a prefix to put in front of the value (none, the `k8s\0`
//! envelope magic, an encryption prefix, the CBOR tag, `{`), so every
//! decoder is reached quickly; the rest is the value.

#![no_main]

use kinspect::k8s::{self, DecodeOptions, Decoded};
use libfuzzer_sys::fuzz_target;

const KEYS: [Option<&[u8]>; 4] = [
    Some(b"/registry/secrets/default/s"),
    Some(b"/registry/pods/default/p"),
    None,
    Some(b"/registry/apiregistration.k8s.io/apiservices/v1.apps"),
];

const PREFIXES: [&[u8]; 8] = [
    b"",
    b"k8s\0",
    b"k8s:enc:aescbc:v1:key1:",
    b"k8s:enc:kms:v2:plugin:",
    b"k8s:enc:kms:v1:plugin:",
    b"\xd9\xd9\xf7",
    b"{",
    b"k8s:enc:",
];

fuzz_target!(|data: &[u8]| {
    let [sel, pre, rest @ ..] = data else {
        return;
    };
    let show_secrets = sel & 0x80 != 0;
    let key: Option<&[u8]> = match sel & 7 {
        k @ 0..=3 => KEYS[k as usize],
        _ => Some(rest),
    };
    let mut value = PREFIXES[(pre & 7) as usize].to_vec();
    value.extend_from_slice(rest);
    let opts = DecodeOptions {
        show_secrets,
        dump_limit: 256,
    };
    let d = k8s::decode_value(key, &value, &opts);
    let lines = d.render();
    assert!(!lines.is_empty() && !lines[0].is_empty());
    let json = d.to_json();
    assert!(json.starts_with("{\"format\":"), "{json}");
    if !show_secrets && key.is_some_and(k8s::is_secret_key) {
        match &d {
            Decoded::Redacted { .. } => assert!(json.starts_with("{\"format\":\"redacted\"")),
            // A Secret of the schema: shown, but every value redacted.
            Decoded::Protobuf(p) if p.type_meta.kind == "Secret" => {
                let o = p.object.as_ref().expect("schema Secret rendered").to_json();
                for field in ["data", "stringData"] {
                    if let Some(m) = o[field].as_object() {
                        for v in m.values() {
                            assert!(v.as_str().is_some_and(|s| s.starts_with("<redacted: ")));
                        }
                    }
                }
            }
            other => panic!("a Secret's value was not redacted: {}", other.headline()),
        }
    }
    if let Decoded::Binary { hex, bytes, .. } = &d {
        assert_eq!(*bytes, value.len());
        assert!(hex.len() <= 2 * 256);
    }

    // The parts on their own.
    let _ = k8s::key::parse(rest);
    let _ = k8s::display_key(rest);
    let _ = k8s::cbor::decode(rest);
    let _ = k8s::encryption::decode(&value);
    let m = k8s::tree::Message::decode(rest);
    let mut out = Vec::new();
    m.render("", &mut out);
    assert!(m.to_json().starts_with('{'));
    // Re-indented JSON is the same JSON.
    if let Decoded::Json(j) = k8s::decode_value(None, rest, &opts)
        && let Some(pretty) = &j.pretty
    {
        match k8s::decode_value(None, pretty.as_bytes(), &opts) {
            Decoded::Json(again) => assert_eq!(again.object, j.object),
            other => panic!("pretty JSON no longer JSON: {other:?}\n{pretty}"),
        }
    }
});

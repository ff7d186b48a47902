//! `kinspect certs verify` on openssl-made chains (certs/chain, certs/ca-flags,
//! certs/weak): the verdict, the exact finding and the exit code, compared
//! with `openssl verify` on the same files where openssl has an opinion.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

const AT: &str = "2026-06-01T00:00:00Z";
/// 2026-06-01T00:00:00Z for `openssl verify -attime`.
const AT_EPOCH: &str = "1780272000";

fn dir(rel: &str) -> PathBuf {
    certs_dir().join(rel)
}

fn kinspect(args: &[&str], cwd: &Path) -> (i32, String, String) {
    common::kinspect_in(args, cwd).finished().parts()
}

/// `certs verify ... -o json` in `certs/<scenario>`: (exit code, object).
fn verify(scenario: &str, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["certs", "verify", "-o", "json", "--at", AT];
    a.extend_from_slice(args);
    let (code, out, err) = kinspect(&a, &dir(scenario));
    let v = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn findings(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// `openssl verify` exit status on the same files, or None without openssl.
fn openssl_verify(scenario: &str, args: &[&str]) -> Option<bool> {
    let out = Command::new("openssl")
        .arg("verify")
        .args(["-attime", AT_EPOCH])
        .args(args)
        .current_dir(dir(scenario))
        .output()
        .ok()?;
    Some(out.status.success())
}

#[test]
fn full_chain_verifies() {
    let (code, v) = verify(
        "chain",
        &[
            "leaf.crt",
            "--roots",
            "root.crt",
            "--intermediates",
            "intermediate.crt",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(v["valid"], true);
    assert_eq!(v["status"], "ok");
    let chain = v["chain"].as_array().unwrap();
    let subjects: Vec<&str> = chain
        .iter()
        .map(|l| l["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["CN=etcd.example", "CN=chain-intermediate", "CN=chain-root"]
    );
    let roles: Vec<&str> = chain.iter().map(|l| l["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["leaf", "intermediate", "anchor"]);
    assert_eq!(chain[0]["signature"], "valid");
    assert_eq!(chain[1]["signature"], "valid");
    assert_eq!(chain[2]["source"], "root.crt");
    assert_eq!(v["webpki"], "ok");
    assert!(
        openssl_verify(
            "chain",
            &[
                "-CAfile",
                "root.crt",
                "-untrusted",
                "intermediate.crt",
                "leaf.crt"
            ]
        )
        .unwrap_or(true)
    );
    // The same with the intermediate inside the leaf's file.
    let (code, v) = verify("chain", &["fullchain.pem", "--roots", "root.crt"]);
    assert_eq!(code, 0);
    assert_eq!(v["chain"].as_array().unwrap().len(), 3);
}

#[test]
fn missing_intermediate() {
    let (code, v) = verify("chain", &["leaf.crt", "--roots", "root.crt"]);
    assert_eq!(code, 1);
    assert_eq!(v["valid"], false);
    assert_eq!(
        findings(&v),
        [
            "issuer CN=chain-intermediate is unknown: not sent and not among the trusted CAs (missing intermediate or wrong CA)"
        ]
    );
    assert!(!openssl_verify("chain", &["-CAfile", "root.crt", "leaf.crt"]).unwrap_or(false));
}

#[test]
fn names_and_ips_against_the_sans() {
    let base = [
        "leaf.crt",
        "--roots",
        "root.crt",
        "--intermediates",
        "intermediate.crt",
    ];
    let with = |name: &str| {
        let mut a = base.to_vec();
        a.extend(["--name", name]);
        verify("chain", &a)
    };
    let (code, v) = with("other.example");
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["other.example not in SAN [DNS:etcd.example, DNS:*.etcd.example, IP:127.0.0.1]"]
    );
    assert_eq!(
        with("node-1.etcd.example").0,
        0,
        "wildcard covers one label"
    );
    assert_eq!(with("a.b.etcd.example").0, 1, "but not two");
    assert_eq!(with("127.0.0.1").0, 0);
    let (code, v) = with("127.0.0.2");
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["127.0.0.2 not in SAN [DNS:etcd.example, DNS:*.etcd.example, IP:127.0.0.1]"]
    );
    assert!(
        !openssl_verify(
            "chain",
            &[
                "-CAfile",
                "root.crt",
                "-untrusted",
                "intermediate.crt",
                "-verify_hostname",
                "other.example",
                "leaf.crt"
            ]
        )
        .unwrap_or(false)
    );
}

#[test]
fn purpose_needs_the_extended_key_usage() {
    fn args(purpose: &str) -> Vec<&str> {
        vec![
            "client.crt",
            "--roots",
            "root.crt",
            "--intermediates",
            "intermediate.crt",
            "--purpose",
            purpose,
        ]
    }
    let (code, v) = verify("chain", &args("server"));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["extended key usage [clientAuth] lacks serverAuth, needed as a TLS server"]
    );
    assert_eq!(verify("chain", &args("client")).0, 0);
    assert!(
        !openssl_verify(
            "chain",
            &[
                "-CAfile",
                "root.crt",
                "-untrusted",
                "intermediate.crt",
                "-purpose",
                "sslserver",
                "client.crt"
            ]
        )
        .unwrap_or(false)
    );
}

#[test]
fn self_signed_certificate_not_trusted() {
    let (code, v) = verify("chain", &["root.crt", "--roots", "../weak/ca.crt"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v), ["self-signed and not among the trusted CAs"]);
    // Trusted when it is itself among the roots (openssl verify -CAfile x x).
    let (code, v) = verify("chain", &["root.crt", "--roots", "root.crt"]);
    assert_eq!(code, 0);
    assert_eq!(v["chain"].as_array().unwrap().len(), 1);
}

#[test]
fn ca_constraints() {
    let (code, v) = verify("ca-flags", &["nosign-leaf.crt", "--roots", "nosign-ca.crt"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["issuer CN=nosign-ca may not sign certificates (key usage lacks Certificate Sign)"]
    );
    assert!(
        !openssl_verify("ca-flags", &["-CAfile", "nosign-ca.crt", "nosign-leaf.crt"])
            .unwrap_or(false)
    );

    let (code, v) = verify(
        "ca-flags",
        &[
            "pathlen-leaf.crt",
            "--roots",
            "pathlen-root.crt",
            "--intermediates",
            "pathlen-int.crt",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["chain is longer than CN=pathlen0-root allows (pathlen:0)"]
    );
    // webpki does not enforce a trust anchor's pathlen; openssl and kinspect do.
    assert_eq!(v["webpki"], "ok");
    assert!(
        !openssl_verify(
            "ca-flags",
            &[
                "-CAfile",
                "pathlen-root.crt",
                "-untrusted",
                "pathlen-int.crt",
                "pathlen-leaf.crt"
            ]
        )
        .unwrap_or(false)
    );
}

#[test]
fn trust_anchor_not_valid_yet_is_caught() {
    let (code, v) = verify("ca-flags", &["late-leaf.crt", "--roots", "late-ca.crt"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["its CA CN=late-ca is not valid yet (starts 2026-09-01T00:00:00.000000Z)"]
    );
    // webpki alone lets this through: anchors have no dates for it.
    assert_eq!(v["webpki"], "ok");
    assert!(
        !openssl_verify("ca-flags", &["-CAfile", "late-ca.crt", "late-leaf.crt"]).unwrap_or(false)
    );
}

#[test]
fn expired_trust_anchor_is_caught() {
    let mut a = vec![
        "certs",
        "verify",
        "-o",
        "json",
        "--at",
        "2026-10-01T00:00:00Z",
    ];
    a.extend(["server.crt", "--roots", "ca.crt"]);
    let (code, out, _) = kinspect(&a, &dir("ca-expiry"));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["its CA CN=short-lived-ca expired 30d ago (2026-09-01T00:00:00.000000Z)"]
    );
    assert_eq!(v["webpki"], "ok", "webpki ignores the anchor's notAfter");
}

#[test]
fn name_constraints_via_webpki() {
    let (code, v) = verify("ca-flags", &["nc-leaf.crt", "--roots", "nc-ca.crt"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        ["webpki rejects the chain: NameConstraintViolation"]
    );
    assert!(!openssl_verify("ca-flags", &["-CAfile", "nc-ca.crt", "nc-leaf.crt"]).unwrap_or(false));
}

#[test]
fn signature_ring_cannot_check() {
    let (code, v) = verify("ca-flags", &["p521-leaf.crt", "--roots", "p521-ca.crt"]);
    assert_eq!(v["status"], "warn");
    assert_eq!(
        findings(&v),
        ["signature algorithm ecdsa-with-SHA512 cannot be checked"]
    );
    assert_eq!(
        v["chain"][0]["signature"]["unsupported"],
        "ecdsa-with-SHA512"
    );
    assert_eq!(code, 0, "a warning, not a failure");
}

#[test]
fn weak_leaves() {
    let (code, v) = verify("weak", &["rsa1024.crt", "--roots", "ca.crt"]);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&v),
        ["weak key: RSA 1024 bits (use at least 2048)"]
    );
    let (code, v) = verify("weak", &["sha1.crt", "--roots", "ca.crt"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        [
            "signed with sha1WithRSAEncryption: Go (Kubernetes, etcd) rejects SHA-1 and MD5 signatures"
        ]
    );
    assert_eq!(
        v["chain"][0]["signature"], "valid",
        "the SHA-1 signature itself is checked"
    );
}

#[test]
fn signed_by_another_ca_with_the_same_name() {
    // wrong-ca-client's admin.conf client certificate against pki/ca.crt.
    let base = dir("wrong-ca-client/etc/kubernetes");
    let kc = std::fs::read_to_string(base.join("admin.conf")).unwrap();
    let b64 = kc
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-certificate-data: "))
        .unwrap();
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let leaf = tmp.path().join("admin.crt");
    std::fs::write(&leaf, pem).unwrap();
    let roots = base.join("pki/ca.crt");
    let (code, out, _) = kinspect(
        &[
            "certs",
            "verify",
            "--at",
            AT,
            leaf.to_str().unwrap(),
            "--roots",
            roots.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "error  chain does not verify against {}: the signature was not made by the key of CN=kubernetes (signed by a different CA with the same name)",
            roots.display()
        )),
        "{out}"
    );
}

#[test]
fn table_output_explains_the_chain() {
    let (code, out, _) = kinspect(
        &[
            "certs",
            "verify",
            "--at",
            AT,
            "leaf.crt",
            "--roots",
            "root.crt",
            "--name",
            "other.example",
        ],
        &dir("chain"),
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "leaf.crt: INVALID");
    assert!(out.contains("  0 CN=etcd.example  (leaf)\n"), "{out}");
    assert!(
        out.contains("findings:\n  error  issuer CN=chain-intermediate is unknown"),
        "{out}"
    );
    assert!(
        out.contains(
            "  error  other.example not in SAN [DNS:etcd.example, DNS:*.etcd.example, IP:127.0.0.1]"
        ),
        "{out}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("judged at 2026-06-01T00:00:00.000000Z")
    );
}

#[test]
fn unreadable_inputs_are_usage_errors() {
    let (code, _, err) = kinspect(
        &["certs", "verify", "nope.crt", "--roots", "root.crt"],
        &dir("chain"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("nope.crt: No such file or directory"), "{err}");
    let (code, _, err) = kinspect(
        &[
            "certs",
            "verify",
            "leaf.crt",
            "--roots",
            "../bad-input/garbage.crt",
        ],
        &dir("chain"),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("../bad-input/garbage.crt: --roots: no certificate: neither PEM (no -----BEGIN line) nor a DER certificate"),
        "{err}"
    );
}

/// The scenario folders: certs/ of this repository, or `KINSPECT_CERTS_DIR`
/// (to test a fresh `CERTS_DIR=... scripts/make-certs` run).
fn certs_dir() -> PathBuf {
    std::env::var_os("KINSPECT_CERTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs"))
}

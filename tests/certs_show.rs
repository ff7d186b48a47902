//! `kinspect certs show`: every field of openssl-made certificates, compared
//! with what `openssl x509` prints for the same files; kubeconfigs and
//! combined cert+key files; private keys never printed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn certs(rel: &str) -> String {
    certs_dir().join(rel).display().to_string()
}

/// Runs kinspect (tests/common, with its timeout); (exit code, stdout, stderr).
fn kinspect(args: &[&str]) -> (i32, String, String) {
    let run = common::kinspect(args);
    (run.code.unwrap_or(-1), run.stdout, run.stderr)
}

/// `openssl x509 -noout ARGS -in FILE`, or None without openssl.
fn openssl_x509(file: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-in", file])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn show_json(file: &str) -> Vec<Value> {
    let (code, out, err) = kinspect(&[
        "certs",
        "show",
        "-o",
        "json",
        "--at",
        "2026-06-01T00:00:00Z",
        file,
    ]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn fields_match_openssl() {
    for rel in [
        "healthy/etc/kubernetes/pki/apiserver.crt",
        "healthy/etc/kubernetes/pki/etcd/peer.crt",
        "healthy/etc/kubernetes/pki/ca.crt",
        "chain/leaf.crt",
        "dates/server.crt",
        "ca-flags/p521-ca.crt",
        "bad-input/good.der",
    ] {
        let f = certs(rel);
        let v = &show_json(&f)[0];
        let inform: &[&str] = if rel.ends_with(".der") {
            &["-inform", "DER"]
        } else {
            &[]
        };
        let o = |args: &[&str]| {
            let mut a = inform.to_vec();
            a.extend_from_slice(args);
            openssl_x509(&f, &a)
        };
        let Some(serial) = o(&["-serial"]) else {
            common::skip_for("tool", "openssl not found");
            return;
        };
        assert_eq!(
            format!("serial={}", v["serial"].as_str().unwrap()),
            serial,
            "{rel}"
        );
        let fp = o(&["-fingerprint", "-sha256"]).unwrap();
        assert_eq!(
            fp,
            format!("sha256 Fingerprint={}", v["sha256"].as_str().unwrap()),
            "{rel}"
        );
        let fp1 = o(&["-fingerprint", "-sha1"]).unwrap();
        assert_eq!(
            fp1,
            format!("sha1 Fingerprint={}", v["sha1"].as_str().unwrap()),
            "{rel}"
        );
        let subj = o(&["-subject", "-nameopt", "RFC2253"]).unwrap();
        assert_eq!(
            subj,
            format!("subject={}", v["subject"].as_str().unwrap()),
            "{rel}"
        );
        let text = o(&["-text"]).unwrap();
        assert!(
            text.contains(&format!(
                "Signature Algorithm: {}",
                v["signature_algorithm"].as_str().unwrap()
            )),
            "{rel}: {}",
            v["signature_algorithm"]
        );
        if let Some(ski) = v["subject_key_id"].as_str() {
            assert!(text.contains(ski), "{rel}: SKI {ski}");
        }
    }
}

#[test]
fn decoded_fields_of_a_serving_certificate() {
    let v = &show_json(&certs("healthy/etc/kubernetes/pki/apiserver.crt"))[0];
    assert_eq!(v["subject"], "CN=kube-apiserver");
    assert_eq!(v["issuer"], "CN=kubernetes");
    assert_eq!(v["version"], 3);
    assert_eq!(v["key"], "RSA 2048 bits");
    assert_eq!(
        v["sans"],
        serde_json::json!([
            "DNS:node1",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
            "IP:10.96.0.1",
            "IP:192.168.56.10"
        ])
    );
    assert_eq!(v["ext_key_usage"], serde_json::json!(["serverAuth"]));
    assert_eq!(
        v["key_usage"],
        serde_json::json!(["Digital Signature", "Key Encipherment"])
    );
    assert_eq!(v["is_ca"], false);
    assert_eq!(v["basic_constraints"], true);
    assert_eq!(v["residual"], "97y");
    let ec = &show_json(&certs("ca-flags/p521-ca.crt"))[0];
    assert_eq!(ec["key"], "ECDSA P-521");
    assert_eq!(ec["signature_algorithm"], "ecdsa-with-SHA512");
    let pl = &show_json(&certs("ca-flags/pathlen-root.crt"))[0];
    assert_eq!(pl["path_len"], 0);
    assert_eq!(pl["is_ca"], true);
}

#[test]
fn table_form() {
    let f = certs("healthy/etc/kubernetes/pki/etcd/server.crt");
    let (code, out, _) = kinspect(&["certs", "show", "--at", "2026-06-01T00:00:00Z", &f]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("== {f} (certificate 1 of 1)\n")),
        "{out}"
    );
    assert!(out.contains("\nSubject:             CN=node1\n"), "{out}");
    assert!(
        out.contains("\nExtended key usage:  serverAuth, clientAuth\n"),
        "{out}"
    );
    assert!(
        out.contains("\nBasic constraints:   CA:FALSE (critical)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nKey usage:           Digital Signature, Key Encipherment (critical)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nSubject alt names:   DNS:node1, DNS:localhost, IP:192.168.56.10, IP:127.0.0.1, IP:::1\n"),
        "{out}"
    );
    assert!(
        out.contains("\nNot after:           2124-01-01T00:00:00.000000Z  (97y left at 2026-06-01T00:00:00.000000Z)\n"),
        "{out}"
    );
}

#[test]
fn kubeconfigs_and_bundles() {
    let rows = show_json(&certs("healthy/etc/kubernetes/admin.conf"));
    let fields: Vec<&str> = rows.iter().map(|r| r["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "clusters[kubernetes].certificate-authority-data",
            "users[kubernetes-admin].client-certificate-data"
        ]
    );
    assert_eq!(
        rows[1]["subject"],
        "CN=kubernetes-admin,O=kubeadm:cluster-admins"
    );
    // kubelet.crt: the serving certificate followed by the kubelet's own CA.
    let rows = show_json(&certs("healthy/var/lib/kubelet/pki/kubelet.crt"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["index"], 0);
    assert_eq!(rows[1]["is_ca"], true);
}

#[test]
fn private_keys_are_never_printed() {
    // A combined certificate + key file through the absolute symlink's target.
    let pki = PathBuf::from(certs("healthy/var/lib/kubelet/pki"));
    let dated = std::fs::read_dir(&pki)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("kubelet-client-2025-12")
        })
        .unwrap();
    let text = std::fs::read_to_string(&dated).unwrap();
    let key_b64: String = text
        .split("-----BEGIN EC PRIVATE KEY-----")
        .nth(1)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(key_b64.len() > 20);
    let root = certs("healthy");
    let runs: Vec<Vec<&str>> = vec![
        vec!["certs", "show", dated.to_str().unwrap()],
        vec!["certs", "show", "-o", "json", dated.to_str().unwrap()],
        vec!["certs", "check", "--root", &root],
        vec!["certs", "check", "-o", "json", "--root", &root],
        vec!["certs", "kubelet", "-o", "json", "--root", &root],
    ];
    for args in runs {
        let (_, out, err) = kinspect(&args);
        for s in [&out, &err] {
            assert!(!s.contains("PRIVATE KEY"), "{args:?}");
            assert!(!s.contains(&key_b64[..20]), "{args:?}");
        }
    }
    let (_, out, _) = kinspect(&["certs", "show", dated.to_str().unwrap()]);
    assert!(
        out.contains("\nPrivate key:         1 in the same source (not shown)\n"),
        "{out}"
    );
}

/// The scenario folders: certs/ of this repository, or `KINSPECT_CERTS_DIR`
/// (to test a fresh `CERTS_DIR=... scripts/make-certs` run).
fn certs_dir() -> PathBuf {
    std::env::var_os("KINSPECT_CERTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs"))
}

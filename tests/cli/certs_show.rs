//! `kinspect certs show`: every field of openssl-made certificates, compared
//! with what `openssl x509` prints for the same files; kubeconfigs and
//! combined cert+key files; private keys never printed.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common;

fn certs(rel: &str) -> String {
    certs_dir().join(rel).display().to_string()
}

/// Runs kinspect (tests/common, with its timeout); (exit code, stdout, stderr).
fn kinspect(args: &[&str]) -> (i32, String, String) {
    common::kinspect(args).finished().parts()
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

    // openssl's reading of the same files.
    let f = certs("healthy/etc/kubernetes/pki/apiserver.crt");
    let Some(ext) = openssl_x509(
        &f,
        &[
            "-ext",
            "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints",
        ],
    ) else {
        common::skip_for("tool", "openssl not found");
        return;
    };
    let sans: Vec<String> = v["sans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().replace("IP:", "IP Address:"))
        .collect();
    assert_eq!(ext_value(&ext, "Subject Alternative Name"), sans.join(", "));
    // openssl's own names for the usages (serverAuth is "TLS Web Server
    // Authentication" in its object table).
    assert_eq!(
        ext_value(&ext, "Extended Key Usage"),
        "TLS Web Server Authentication"
    );
    assert_eq!(
        ext_value(&ext, "Key Usage"),
        "Digital Signature, Key Encipherment"
    );
    assert_eq!(ext_value(&ext, "Basic Constraints"), "CA:FALSE");
    let text = openssl_x509(&f, &["-text"]).unwrap();
    assert!(text.contains("Public-Key: (2048 bit)") && text.contains("Version: 3 (0x2)"));
    assert!(text.contains("Issuer: CN = kubernetes"), "{text}");
    let text = openssl_x509(&certs("ca-flags/p521-ca.crt"), &["-text"]).unwrap();
    assert!(text.contains("NIST CURVE: P-521"), "{text}");
    assert!(
        text.contains("Signature Algorithm: ecdsa-with-SHA512"),
        "{text}"
    );
    let bc = openssl_x509(
        &certs("ca-flags/pathlen-root.crt"),
        &["-ext", "basicConstraints"],
    )
    .unwrap();
    assert_eq!(ext_value(&bc, "Basic Constraints"), "CA:TRUE, pathlen:0");
}

/// The value line of an extension in `openssl x509 -ext` output
/// (`X509v3 NAME: [critical]` then the value indented).
fn ext_value(text: &str, name: &str) -> String {
    let mut lines = text.lines();
    lines
        .find(|l| l.starts_with(&format!("X509v3 {name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"));
    lines.next().unwrap_or_default().trim().to_string()
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
    // The same facts as openssl prints them (IPv6 written out in full there).
    let Some(ext) = openssl_x509(
        &f,
        &[
            "-ext",
            "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints",
        ],
    ) else {
        common::skip_for("tool", "openssl not found");
        return;
    };
    assert_eq!(
        ext_value(&ext, "Subject Alternative Name"),
        "DNS:node1, DNS:localhost, IP Address:192.168.56.10, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    );
    assert_eq!(
        "0:0:0:0:0:0:0:1"
            .parse::<std::net::IpAddr>()
            .unwrap()
            .to_string(),
        "::1"
    );
    assert_eq!(
        ext_value(&ext, "Extended Key Usage"),
        "TLS Web Server Authentication, TLS Web Client Authentication"
    );
    assert!(
        ext.contains("X509v3 Basic Constraints: critical\n    CA:FALSE"),
        "{ext}"
    );
    assert!(
        ext.contains("X509v3 Key Usage: critical\n    Digital Signature, Key Encipherment"),
        "{ext}"
    );
    assert_eq!(
        openssl_x509(&f, &["-enddate"]).unwrap(),
        "notAfter=Jan  1 00:00:00 2124 GMT"
    );
    assert_eq!(
        openssl_x509(&f, &["-subject"]).unwrap(),
        "subject=CN = node1"
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
    if !common::have_tool("openssl", "version") {
        return;
    }
    // openssl finds two certificates in kubelet.crt, the second a CA.
    let out = Command::new("openssl")
        .args(["storeutl", "-noout", "-certs"])
        .arg(certs("healthy/var/lib/kubelet/pki/kubelet.crt"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Total found: 2"));
    // The kubeconfig's client certificate as openssl decodes it
    // (base64 by `openssl base64 -d`, then x509).
    let conf = std::fs::read_to_string(certs("healthy/etc/kubernetes/admin.conf")).unwrap();
    let b64 = conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-certificate-data: "))
        .expect("client-certificate-data");
    let pem = pipe("openssl", &["base64", "-d", "-A"], b64.as_bytes());
    let subject = pipe(
        "openssl",
        &["x509", "-noout", "-subject", "-nameopt", "RFC2253"],
        &pem,
    );
    assert_eq!(
        String::from_utf8_lossy(&subject).trim(),
        format!(
            "subject={}",
            rows_subject(&show_json(&certs("healthy/etc/kubernetes/admin.conf")))
        )
    );
}

/// The subject of the kubeconfig's client certificate row.
fn rows_subject(rows: &[Value]) -> String {
    rows[1]["subject"].as_str().unwrap().to_string()
}

/// Runs `cmd args` with `input` on stdin; its stdout.
fn pipe(cmd: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd} {args:?}");
    out.stdout
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

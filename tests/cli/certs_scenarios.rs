//! Every line of certs/README.md, asserted: `kinspect certs check` on the
//! scenario folders made by scripts/make-certs with openssl, judged at
//! fixed times, with the exact findings and exit codes.

use std::path::PathBuf;

use serde_json::Value;

use crate::common;

const AT: &str = "2026-06-01T00:00:00Z";

/// The scenario folders: certs/ of this repository, or `KINSPECT_CERTS_DIR`
/// (to test a fresh `CERTS_DIR=... scripts/make-certs` run).
fn certs_dir() -> PathBuf {
    std::env::var_os("KINSPECT_CERTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs"))
}

fn certs(rel: &str) -> String {
    certs_dir().join(rel).display().to_string()
}

/// Runs kinspect (tests/common, with its timeout); (exit code, stdout, stderr).
fn kinspect(args: &[&str]) -> (i32, String, String) {
    common::kinspect(args).finished().parts()
}

/// `certs check -o json` rows and the exit code.
fn check_json(args: &[&str]) -> (i32, Vec<Value>) {
    let mut a = vec!["certs", "check", "-o", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = kinspect(&a);
    let rows = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}")))
        .collect();
    (code, rows)
}

fn check_root(scenario: &str, at: &str) -> (i32, Vec<Value>) {
    check_json(&["--root", &certs(scenario), "--at", at])
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name:?} in {rows:#?}"))
}

fn findings(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .expect("findings is a list")
        .iter()
        .map(|f| f.as_str().expect("finding is a string").to_string())
        .collect()
}

/// Rows other than `except` have no findings except the kubelet's
/// self-signed serving note, and are `ok`.
fn others_clean(rows: &[Value], except: &[&str]) {
    for r in rows {
        let name = r["name"].as_str().unwrap_or("");
        if except.contains(&name) {
            continue;
        }
        assert_eq!(r["status"], "ok", "{name}: {r}");
        if name != "kubelet serving" {
            assert!(findings(r).is_empty(), "{name}: {r}");
        }
    }
}

const SELF_SIGNED_NOTE: &str = "self-signed by the kubelet (fine while the apiserver does not verify kubelet serving certificates)";

const KUBEADM_NAMES: [&str; 17] = [
    "ca",
    "etcd-ca",
    "front-proxy-ca",
    "admin.conf",
    "apiserver",
    "apiserver-etcd-client",
    "apiserver-kubelet-client",
    "controller-manager.conf",
    "etcd-healthcheck-client",
    "etcd-peer",
    "etcd-server",
    "front-proxy-client",
    "scheduler.conf",
    "super-admin.conf",
    "kubelet client",
    "kubelet serving",
    // kubelet.crt's second certificate is the kubelet's own CA
    // (kubernetes/staging/src/k8s.io/client-go/util/cert/cert.go,
    // GenerateSelfSignedCertKeyWithFixtures writes the certificate, then its CA).
    "kubelet serving CA",
];

#[test]
fn healthy_node_is_all_ok() {
    let (code, rows) = check_root("healthy", AT);
    assert_eq!(code, 0);
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, KUBEADM_NAMES, "kubeadm's order, then the kubelet");
    others_clean(&rows, &[]);
    assert_eq!(findings(row(&rows, "kubelet serving")), [SELF_SIGNED_NOTE]);
    // The DESIGN.md fields, with values that could have been otherwise.
    let api = row(&rows, "apiserver");
    assert_eq!(api["path"], "/etc/kubernetes/pki/apiserver.crt");
    assert_eq!(api["subject"], "CN=kube-apiserver");
    assert_eq!(api["issuer"], "CN=kubernetes");
    assert_eq!(api["not_after"], "2124-01-01T00:00:00.000000Z");
    assert_eq!(api["residual"], "97y");
    // Python: (date(2124, 1, 1) - date(2026, 6, 1)).days
    assert_eq!(api["residual_days"], 35642);
    assert_eq!(api["ca"], "ca");
    assert_eq!(api["externally_managed"], false);
    assert_eq!(row(&rows, "etcd-peer")["ca"], "etcd-ca");
    assert_eq!(row(&rows, "front-proxy-client")["ca"], "front-proxy-ca");
    let ca = row(&rows, "ca");
    assert_eq!(ca["kind"], "ca");
    assert_eq!(ca["residual"], "98y");
    assert_eq!(ca["ca"], "self");
    let client = row(&rows, "kubelet client");
    assert_eq!(
        client["path"],
        "/var/lib/kubelet/pki/kubelet-client-current.pem"
    );
    assert_eq!(client["subject"], "CN=system:node:node1,O=system:nodes");
    assert_eq!(client["not_after"], "2123-12-15T00:00:00.000000Z");
    assert_eq!(row(&rows, "kubelet serving")["ca"], "self");
}

#[test]
fn healthy_table_has_kubeadms_columns() {
    let (code, out, err) = kinspect(&["certs", "check", "--root", &certs("healthy"), "--at", AT]);
    assert_eq!(code, 0, "{err}");
    // The summary leads; the tables follow a blank line.
    assert!(out.starts_with("13 certificates, 4 CAs: 17 ok"), "{out}");
    let lines: Vec<&str> = out.lines().skip(2).collect();
    let cols = |l: &str| {
        l.split("  ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cols(lines[0]),
        [
            "CERTIFICATE",
            "EXPIRES",
            "RESIDUAL TIME",
            "CERTIFICATE AUTHORITY",
            "EXTERNALLY MANAGED",
            "STATUS"
        ]
    );
    assert_eq!(
        cols(lines[1]),
        [
            "admin.conf",
            "2124-01-01T00:00:00.000000Z",
            "97y",
            "ca",
            "no",
            "ok"
        ]
    );
    let ca_header = lines
        .iter()
        .find(|l| l.starts_with("CERTIFICATE AUTHORITY"))
        .expect("CA table");
    assert_eq!(
        cols(ca_header),
        [
            "CERTIFICATE AUTHORITY",
            "EXPIRES",
            "RESIDUAL TIME",
            "EXTERNALLY MANAGED",
            "STATUS"
        ]
    );
    assert!(
        lines
            .iter()
            .any(|l| cols(l) == ["ca", "2125-01-01T00:00:00.000000Z", "98y", "no", "ok"]),
        "{out}"
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with("13 certificates, 4 CAs: 17 ok, 0 warn, 0 expired"),
        "{out}"
    );
    assert!(
        err.contains("1 superseded kubelet rotation file(s) not judged"),
        "{err}"
    );
}

#[test]
fn expired_kubelet_client() {
    let (code, rows) = check_root("kubelet-expired-client", AT);
    assert_eq!(code, 1);
    let r = row(&rows, "kubelet client");
    assert_eq!(r["status"], "expired");
    assert_eq!(r["residual"], "<invalid>");
    assert_eq!(r["residual_days"], -151);
    assert_eq!(
        findings(r),
        ["expired 151d ago (2026-01-01T00:00:00.000000Z)"]
    );
    others_clean(&rows, &["kubelet client"]);
    if have_openssl() {
        // openssl: notAfter 2026-01-01, and at AT error 10 (expired).
        let pem = "var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem";
        let d = "kubelet-expired-client";
        assert_eq!(
            openssl_x509(&format!("{d}/{pem}"), &["-enddate"]).trim(),
            "notAfter=Jan  1 00:00:00 2026 GMT"
        );
        let args = [
            "-attime",
            AT_EPOCH,
            "-CAfile",
            "etc/kubernetes/pki/ca.crt",
            pem,
        ];
        assert_eq!(openssl_verify(d, &args), Some((10, 0)));
    }
}

#[test]
fn apiserver_without_the_node_ip() {
    let (code, rows) = check_root("apiserver-missing-node-ip", AT);
    assert_eq!(code, 1);
    let r = row(&rows, "apiserver");
    assert_eq!(r["status"], "invalid");
    assert_eq!(
        findings(r),
        ["missing SAN 192.168.56.10 (the node IP: --advertise-address in kube-apiserver.yaml)"]
    );
    others_clean(&rows, &["apiserver"]);
    if have_openssl() {
        // openssl -verify_ip: error 64, IP address mismatch.
        let args = [
            "-attime",
            AT_EPOCH,
            "-CAfile",
            "ca.crt",
            "-verify_ip",
            "192.168.56.10",
            "apiserver.crt",
        ];
        assert_eq!(
            openssl_verify("apiserver-missing-node-ip/etc/kubernetes/pki", &args),
            Some((64, 0))
        );
    }
}

#[test]
fn client_certificates_signed_by_the_wrong_ca() {
    let (code, rows) = check_root("wrong-ca-client", AT);
    assert_eq!(code, 1);
    let admin = row(&rows, "admin.conf");
    assert_eq!(admin["status"], "invalid");
    assert_eq!(
        findings(admin),
        [
            "chain does not verify against /etc/kubernetes/pki/ca.crt: the signature was not made by the key of CN=kubernetes (signed by a different CA with the same name)"
        ]
    );
    let etcd = row(&rows, "apiserver-etcd-client");
    assert_eq!(etcd["status"], "invalid");
    assert_eq!(etcd["ca"], "ca");
    assert_eq!(
        findings(etcd),
        ["signed by ca (CN=kubernetes), but it must be signed by etcd-ca (CN=etcd-ca)"]
    );
    others_clean(&rows, &["admin.conf", "apiserver-etcd-client"]);
    if have_openssl() {
        // openssl: against etcd/ca.crt error 20 (no issuer), against ca.crt OK.
        let d = "wrong-ca-client/etc/kubernetes/pki";
        let with = |ca| {
            [
                "-attime",
                AT_EPOCH,
                "-CAfile",
                ca,
                "apiserver-etcd-client.crt",
            ]
        };
        assert_eq!(openssl_verify(d, &with("etcd/ca.crt")), Some((20, 0)));
        assert_eq!(openssl_verify(d, &with("ca.crt")), None);
    }
}

#[test]
fn keys_that_do_not_match() {
    let (code, rows) = check_root("key-mismatch", AT);
    assert_eq!(code, 1);
    assert_eq!(
        findings(row(&rows, "apiserver")),
        ["private key /etc/kubernetes/pki/apiserver.key does not match the certificate"]
    );
    // An EC key in the kubelet's combined file.
    assert_eq!(
        findings(row(&rows, "kubelet client")),
        [
            "private key /var/lib/kubelet/pki/kubelet-client-current.pem does not match the certificate"
        ]
    );
    others_clean(&rows, &["apiserver", "kubelet client"]);
    if have_openssl() {
        // openssl's public keys of certificate and key differ; in the
        // healthy tree they are the same.
        for d in ["key-mismatch", "healthy"] {
            let pki = format!("{d}/etc/kubernetes/pki");
            let (c, k) = openssl_public_keys(
                &format!("{pki}/apiserver.crt"),
                &format!("{pki}/apiserver.key"),
            );
            assert_eq!(c == k, d == "healthy", "{d}: apiserver");
            let pem = format!("{d}/var/lib/kubelet/pki/kubelet-client-2025-12-15-00-00-00.pem");
            let (c, k) = openssl_public_keys(&pem, &pem);
            assert_eq!(c == k, d == "healthy", "{d}: kubelet client");
        }
    }
}

#[test]
fn etcd_certificates_without_the_usages_etcd_needs() {
    let (code, rows) = check_root("etcd-eku", AT);
    assert_eq!(code, 1);
    assert_eq!(
        findings(row(&rows, "etcd-server")),
        [
            "extended key usage [clientAuth] lacks serverAuth, needed as etcd server (it serves clients)"
        ]
    );
    assert_eq!(
        findings(row(&rows, "etcd-peer")),
        [
            "extended key usage [serverAuth] lacks clientAuth, needed as etcd peer (members dial each other with it)"
        ]
    );
    others_clean(&rows, &["etcd-server", "etcd-peer"]);
    if have_openssl() {
        // openssl -purpose: error 26 (unsuitable certificate purpose) for
        // the server as sslserver and the peer as sslclient; the server
        // is fine as a client.
        let d = "etcd-eku/etc/kubernetes/pki/etcd";
        let as_ = |purpose, f| {
            [
                "-attime", AT_EPOCH, "-purpose", purpose, "-CAfile", "ca.crt", f,
            ]
        };
        assert_eq!(
            openssl_verify(d, &as_("sslserver", "server.crt")),
            Some((26, 0))
        );
        assert_eq!(
            openssl_verify(d, &as_("sslclient", "peer.crt")),
            Some((26, 0))
        );
        assert_eq!(openssl_verify(d, &as_("sslclient", "server.crt")), None);
    }
}

#[test]
fn self_signed_serving_certificate_that_the_apiserver_verifies() {
    let (code, rows) = check_root("kubelet-serving-unverifiable", AT);
    assert_eq!(code, 1);
    let r = row(&rows, "kubelet serving");
    assert_eq!(r["status"], "invalid");
    assert_eq!(
        findings(r),
        [
            "self-signed by the kubelet, but the apiserver verifies kubelet serving certificates (--kubelet-certificate-authority): kubectl logs/exec will fail"
        ]
    );
    others_clean(&rows, &["kubelet serving"]);
}

#[test]
fn serving_certificate_from_server_tls_bootstrap() {
    let (code, rows) = check_root("kubelet-server-bootstrap", AT);
    assert_eq!(code, 0);
    let r = row(&rows, "kubelet serving");
    assert_eq!(r["ca"], "ca");
    assert_eq!(r["path"], "/var/lib/kubelet/pki/kubelet-server-current.pem");
    assert!(findings(r).is_empty());
    others_clean(&rows, &[]);
}

#[test]
fn ca_that_ends_before_its_leaf_and_a_leaf_not_valid_yet() {
    let dir = certs("ca-expiry");
    let (code, rows) = check_json(&[&dir, "--at", AT]);
    assert_eq!(code, 1);
    let server = row(&rows, "server.crt");
    assert_eq!(server["status"], "warn");
    assert_eq!(
        findings(server),
        [
            "its CA CN=short-lived-ca expires first (2026-09-01T00:00:00.000000Z, before this certificate's 2124-01-01T00:00:00.000000Z)"
        ]
    );
    let future = row(&rows, "future.crt");
    assert_eq!(future["status"], "not_yet_valid");
    assert_eq!(
        findings(future),
        ["not valid yet: starts in 30d (2026-07-01T00:00:00.000000Z)"]
    );
    assert_eq!(row(&rows, "ca.crt")["status"], "ok");

    // After the CA's end: the CA expired, its leaf invalid.
    let (code, rows) = check_json(&[&dir, "--at", "2026-10-01T00:00:00Z"]);
    assert_eq!(code, 1);
    assert_eq!(row(&rows, "ca.crt")["status"], "expired");
    assert_eq!(
        findings(row(&rows, "ca.crt")),
        ["expired 30d ago (2026-09-01T00:00:00.000000Z)"]
    );
    let server = row(&rows, "server.crt");
    assert_eq!(server["status"], "invalid");
    assert_eq!(
        findings(server),
        ["its CA CN=short-lived-ca expired 30d ago (2026-09-01T00:00:00.000000Z)"]
    );
    assert_eq!(row(&rows, "future.crt")["status"], "expired");
    if have_openssl() {
        // openssl at AT: future.crt error 9 (not yet valid), server.crt OK;
        // at 2026-10-01 (1790812800): the CA error 10, and server.crt
        // error 10 at depth 1 (its CA expired).
        let at = |t, f| ["-attime", t, "-CAfile", "ca.crt", f];
        assert_eq!(
            openssl_verify("ca-expiry", &at(AT_EPOCH, "future.crt")),
            Some((9, 0))
        );
        assert_eq!(
            openssl_verify("ca-expiry", &at(AT_EPOCH, "server.crt")),
            None
        );
        assert_eq!(
            openssl_verify("ca-expiry", &at("1790812800", "ca.crt")),
            Some((10, 0))
        );
        assert_eq!(
            openssl_verify("ca-expiry", &at("1790812800", "server.crt")),
            Some((10, 1))
        );
    }
}

#[test]
fn weak_key_and_sha1_signature() {
    let (code, rows) = check_json(&[&certs("weak"), "--at", AT]);
    assert_eq!(code, 1);
    let r = row(&rows, "rsa1024.crt");
    assert_eq!(r["status"], "warn");
    assert_eq!(findings(r), ["weak key: RSA 1024 bits (use at least 2048)"]);
    let s = row(&rows, "sha1.crt");
    assert_eq!(s["status"], "invalid");
    assert_eq!(
        findings(s),
        [
            "signed with sha1WithRSAEncryption: Go (Kubernetes, etcd) rejects SHA-1 and MD5 signatures"
        ]
    );
    if have_openssl() {
        // openssl -text: the key size and the signature algorithm.
        assert!(openssl_x509("weak/rsa1024.crt", &["-text"]).contains("Public-Key: (1024 bit)"));
        assert!(
            openssl_x509("weak/sha1.crt", &["-text"])
                .contains("Signature Algorithm: sha1WithRSAEncryption")
        );
    }
}

#[test]
fn dates_before_1970_and_after_2049_are_judged() {
    let dir = certs("dates");
    let (code, rows) = check_json(&[&dir, "--at", AT]);
    assert_eq!(code, 0);
    let s = row(&rows, "server.crt");
    assert_eq!(s["status"], "ok");
    assert_eq!(s["not_before"], "1965-01-01T00:00:00.000000Z");
    assert_eq!(s["not_after"], "2060-01-01T00:00:00.000000Z");
    assert_eq!(s["residual"], "33y");
    assert_eq!(
        row(&rows, "ca.crt")["not_before"],
        "1955-01-01T00:00:00.000000Z"
    );
    assert_eq!(
        row(&rows, "ca.crt")["not_after"],
        "2099-01-01T00:00:00.000000Z"
    );

    let (code, rows) = check_json(&[&dir, "--at", "1960-01-01T00:00:00Z"]);
    assert_eq!(code, 1);
    assert_eq!(row(&rows, "server.crt")["status"], "not_yet_valid");
    assert_eq!(row(&rows, "ca.crt")["status"], "ok");

    let (code, rows) = check_json(&[&dir, "--at", "2061-01-01T00:00:00Z"]);
    assert_eq!(code, 1);
    let s = row(&rows, "server.crt");
    assert_eq!(s["status"], "expired");
    assert_eq!(
        findings(s),
        ["expired 1y ago (2060-01-01T00:00:00.000000Z)"]
    );
    assert_eq!(row(&rows, "ca.crt")["status"], "ok");
    if have_openssl() {
        // openssl's dates of the same files (GeneralizedTime outside 1950-2049).
        assert_eq!(
            openssl_x509("dates/server.crt", &["-startdate", "-enddate"]),
            "notBefore=Jan  1 00:00:00 1965 GMT\nnotAfter=Jan  1 00:00:00 2060 GMT\n"
        );
        assert_eq!(
            openssl_x509("dates/ca.crt", &["-startdate", "-enddate"]),
            "notBefore=Jan  1 00:00:00 1955 GMT\nnotAfter=Jan  1 00:00:00 2099 GMT\n"
        );
    }
}

#[test]
fn kubeadm_ca_that_is_not_a_ca() {
    let (code, rows) = check_json(&[&certs("ca-flags/pki"), "--at", AT]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(row(&rows, "ca")),
        ["used as a CA but not a CA certificate (no basicConstraints CA:TRUE)"]
    );
    assert_eq!(
        findings(row(&rows, "apiserver")),
        [
            "issuer CN=kubernetes is not a CA (no basicConstraints CA:TRUE)",
            "issuer CN=kubernetes may not sign certificates (key usage lacks Certificate Sign)"
        ]
    );
    if have_openssl() {
        // openssl: error 79 (invalid CA certificate) at depth 1; the CA has
        // CA:FALSE and no Certificate Sign.
        let args = ["-attime", AT_EPOCH, "-CAfile", "ca.crt", "apiserver.crt"];
        assert_eq!(openssl_verify("ca-flags/pki", &args), Some((79, 1)));
        let ext = openssl_x509(
            "ca-flags/pki/ca.crt",
            &["-ext", "basicConstraints,keyUsage"],
        );
        assert!(
            ext.contains("CA:FALSE") && !ext.contains("Certificate Sign"),
            "{ext}"
        );
    }
}

#[test]
fn expiring_soon_warns_within_warn_days() {
    // The healthy tree's leaves end in 2124 (kubelet client 2123-12-15).
    let (code, rows) = check_root("healthy", "2123-12-10T00:00:00Z");
    assert_eq!(code, 0, "warnings do not fail");
    let r = row(&rows, "kubelet client");
    assert_eq!(r["status"], "warn");
    assert_eq!(findings(r), ["expires in 5d (2123-12-15T00:00:00.000000Z)"]);
    assert_eq!(
        findings(row(&rows, "apiserver")),
        ["expires in 22d (2124-01-01T00:00:00.000000Z)"]
    );
    // --warn-days 10: only the kubelet client is that close.
    let (_, rows) = check_json(&[
        "--root",
        &certs("healthy"),
        "--at",
        "2123-12-10T00:00:00Z",
        "--warn-days",
        "10",
    ]);
    assert_eq!(row(&rows, "kubelet client")["status"], "warn");
    assert_eq!(row(&rows, "apiserver")["status"], "ok");
    if have_openssl() {
        // The end dates the findings count down to, as openssl reads them.
        assert_eq!(
            openssl_x509(
                "healthy/var/lib/kubelet/pki/kubelet-client-2025-12-15-00-00-00.pem",
                &["-enddate"]
            ),
            "notAfter=Dec 15 00:00:00 2123 GMT\n"
        );
        assert_eq!(
            openssl_x509("healthy/etc/kubernetes/pki/apiserver.crt", &["-enddate"]),
            "notAfter=Jan  1 00:00:00 2124 GMT\n"
        );
    }
}

#[test]
fn lone_leaf_without_its_ca_is_noted_not_failed() {
    let (code, rows) = check_json(&[&certs("chain/leaf.crt"), "--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["ca"], "");
    assert_eq!(
        findings(&rows[0]),
        ["issuer CN=chain-intermediate was not found among the scanned files; chain not checked"]
    );
    assert_eq!(rows[0]["status"], "ok");
}

#[test]
fn paths_inside_a_root_resolve_under_it() {
    // A node path under --root, and the kubelet's absolute symlink.
    let (code, rows) = check_json(&[
        "--root",
        &certs("healthy"),
        "--at",
        AT,
        "/var/lib/kubelet/pki/kubelet-client-current.pem",
    ]);
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "kubelet client");
    assert_eq!(rows[0]["subject"], "CN=system:node:node1,O=system:nodes");
}

#[test]
fn prometheus_text_in_exporter_style() {
    use kinspect::pki::check::{CheckOptions, check};
    use kinspect::pki::node::NodeRoot;
    let at = kinspect::cli::parse_at(AT).unwrap();
    let report = check(&CheckOptions {
        paths: vec![],
        root: NodeRoot::under(certs("kubelet-expired-client")),
        at,
        warn_days: 30,
    });
    let text = kinspect::cli::certs::render_prometheus(&report, at);
    assert!(text.contains("# TYPE x509_cert_not_after gauge\n"));
    let line = text
        .lines()
        .find(|l| l.starts_with("x509_cert_expired{") && l.contains("name=\"kubelet client\""))
        .expect("expired metric for the kubelet client");
    assert!(
        line.contains("path=\"/var/lib/kubelet/pki/kubelet-client-current.pem\""),
        "{line}"
    );
    assert!(
        line.contains("subject=\"CN=system:node:node1,O=system:nodes\""),
        "{line}"
    );
    assert!(line.contains("issuer=\"CN=kubernetes\""), "{line}");
    assert!(line.ends_with("} 1"), "{line}");
    let api = text
        .lines()
        .find(|l| l.starts_with("x509_cert_not_after{") && l.contains("name=\"apiserver\""))
        .unwrap();
    // 2124-01-01T00:00:00Z (date -d 2124-01-01Z +%s)
    assert!(api.ends_with("} 4859740800"), "{api}");
    assert!(text.contains("\nx509_read_errors 0\n"));
}

// ---- openssl, the oracle for every verdict above that openssl can judge ----

/// `AT` as seconds since the epoch, for `openssl verify -attime`.
const AT_EPOCH: &str = "1780272000";

/// True when openssl runs; otherwise records a skip (CI has it).
fn have_openssl() -> bool {
    common::have_tool("openssl", "version")
}

/// `openssl verify ARGS` in the scenario folder `dir` (under certs/): None
/// when it verifies, else openssl's X509 error number and its depth.
fn openssl_verify(dir: &str, args: &[&str]) -> Option<(u32, u32)> {
    let out = std::process::Command::new("openssl")
        .current_dir(certs_dir().join(dir))
        .arg("verify")
        .args(args)
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        assert!(text.trim_end().ends_with(": OK"), "{text}");
        return None;
    }
    // "error 10 at 0 depth lookup: certificate has expired"
    let rest = text
        .split("error ")
        .skip(1)
        .find(|t| t.contains(" depth lookup"))
        .unwrap_or_else(|| panic!("openssl verify {args:?}: {text}"));
    let w: Vec<&str> = rest.split_whitespace().collect();
    Some((
        w[0].parse().expect("error number"),
        w[2].parse().expect("depth"),
    ))
}

/// `openssl x509 -noout ARGS -in FILE` (FILE under certs/).
fn openssl_x509(file: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout"])
        .args(args)
        .arg("-in")
        .arg(certs_dir().join(file))
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl x509 {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The public key of a certificate and of a private key, as openssl
/// writes them (PEM SubjectPublicKeyInfo).
fn openssl_public_keys(cert: &str, key: &str) -> (String, String) {
    let from_key = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(certs_dir().join(key))
        .output()
        .expect("openssl runs");
    assert!(from_key.status.success(), "openssl pkey {key}");
    (
        openssl_x509(cert, &["-pubkey"]),
        String::from_utf8_lossy(&from_key.stdout).into_owned(),
    )
}

#[test]
fn check_leads_with_problems_and_problems_flag_keeps_only_them() {
    // The expired kubelet client certificate (2026-01-01, see certs/README.md)
    // comes first in the table, ahead of kubeadm's order, and is counted in
    // the summary; --problems shows it alone.
    let root = certs("kubelet-expired-client");
    let (code, out, _) = kinspect(&["certs", "check", "--root", &root, "--at", AT]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains(" 1 expired,"), "{out}");
    assert!(lines[2].starts_with("CERTIFICATE "), "{out}");
    assert!(lines[3].starts_with("kubelet client "), "{out}");
    assert!(lines[3].trim_end().ends_with("expired"), "{out}");
    let (code, out, _) = kinspect(&["certs", "check", "--problems", "--root", &root, "--at", AT]);
    assert_eq!(code, 1);
    let rows: Vec<&str> = out.lines().skip(3).take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(!out.contains("note "), "notes are not problems: {out}");
    assert!(out.contains("error  kubelet client: expired"), "{out}");
}

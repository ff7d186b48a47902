//! `kinspect certs kubelet` on the node trees of certs/ (verdicts,
//! remedies, rotation history, --root resolution of the kubelet's absolute
//! symlink), and `--probe` against a real TLS server (`openssl s_server`)
//! presenting the scenario's serving certificate.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

const AT: &str = "2026-06-01T00:00:00Z";

fn certs(rel: &str) -> String {
    certs_dir().join(rel).display().to_string()
}

/// Runs kinspect (tests/common, with its timeout); (exit code, stdout, stderr).
fn kinspect(args: &[&str]) -> (i32, String, String) {
    common::kinspect(args).finished().parts()
}

/// (exit code, certificate objects, config object, probe object)
fn kubelet(scenario: &str, at: &str, extra: &[&str]) -> (i32, Vec<Value>, Value, Option<Value>) {
    let root = certs(scenario);
    let mut args = vec![
        "certs", "kubelet", "--root", &root, "--at", at, "-o", "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = kinspect(&args);
    let mut certs = Vec::new();
    let mut config = Value::Null;
    let mut probe = None;
    for l in out.lines() {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}"));
        match v["type"].as_str() {
            Some("certificate") => certs.push(v),
            Some("config") => config = v,
            Some("probe") => probe = Some(v),
            other => panic!("unexpected type {other:?}: {l}"),
        }
    }
    (code, certs, config, probe)
}

fn role<'a>(certs: &'a [Value], r: &str) -> Vec<&'a Value> {
    certs.iter().filter(|c| c["role"] == r).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn healthy_kubelet() {
    let (code, certs, config, _) = kubelet("healthy", AT, &[]);
    assert_eq!(code, 0);
    assert_eq!(config["rotate_certificates"], true);
    assert_eq!(config["server_tls_bootstrap"], false);
    assert_eq!(config["apiserver_verifies_kubelets"], false);
    assert_eq!(config["node_name"], "node1");
    let client = role(&certs, "client");
    assert_eq!(client.len(), 1);
    let c = client[0];
    assert_eq!(c["status"], "ok");
    assert_eq!(c["verdict"], "valid, 97y left; rotation renews it");
    // The absolute symlink resolved inside --root, not on this machine.
    assert_eq!(
        c["via"],
        "kubelet.conf client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem -> /var/lib/kubelet/pki/kubelet-client-2025-12-15-00-00-00.pem"
    );
    assert_eq!(c["not_after"], "2123-12-15T00:00:00.000000Z");
    assert!(c["remedy"].is_null());
    if common::have_tool("openssl", "version") {
        // openssl: the current client certificate ends 2123-12-15 and
        // verifies at AT; the superseded one expired (error 10).
        let pki = "var/lib/kubelet/pki";
        let (_, end) = openssl_in(
            "healthy",
            &[
                "x509",
                "-noout",
                "-enddate",
                "-in",
                &format!("{pki}/kubelet-client-2025-12-15-00-00-00.pem"),
            ],
        );
        assert_eq!(end.trim(), "notAfter=Dec 15 00:00:00 2123 GMT");
        let cur = format!("{pki}/kubelet-client-2025-12-15-00-00-00.pem");
        let old = format!("{pki}/kubelet-client-2025-01-01-00-00-00.pem");
        assert_eq!(openssl_verify_at("healthy", AT_EPOCH, &cur), None);
        assert_eq!(openssl_verify_at("healthy", AT_EPOCH, &old), Some(10));
        let (_, subj) = openssl_in(
            "healthy",
            &[
                "x509",
                "-noout",
                "-subject",
                "-nameopt",
                "RFC2253",
                "-in",
                &format!("{pki}/kubelet.crt"),
            ],
        );
        assert_eq!(subj.trim(), "subject=CN=node1@1735689600");
    }
    let hist = role(&certs, "client_history");
    assert_eq!(hist.len(), 1);
    assert_eq!(
        hist[0]["path"],
        "/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem"
    );
    assert_eq!(hist[0]["current"], false);
    assert_eq!(hist[0]["verdict"], "superseded (expired 151d ago)");
    let s = role(&certs, "serving");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["status"], "ok");
    assert_eq!(s[0]["subject"], "CN=node1@1735689600");
    assert_eq!(
        strings(&s[0]["findings"]),
        [
            "self-signed by the kubelet (fine while the apiserver does not verify kubelet serving certificates)"
        ]
    );
}

#[test]
fn expired_client_with_rotation_off() {
    let (code, certs, config, _) = kubelet("kubelet-expired-client", AT, &[]);
    assert_eq!(code, 1);
    assert_eq!(config["rotate_certificates"], false);
    let c = role(&certs, "client")[0];
    assert_eq!(c["status"], "expired");
    assert_eq!(c["verdict"], "expired 151d ago");
    assert_eq!(
        strings(&c["findings"]),
        ["expired 151d ago (2026-01-01T00:00:00.000000Z)"]
    );
    let remedy = c["remedy"].as_str().unwrap();
    assert!(
        remedy.starts_with("rotation is off: issue a new client certificate"),
        "{remedy}"
    );
    assert!(
        remedy.contains("--client-name system:node:node1"),
        "{remedy}"
    );
    assert!(
        remedy.contains("set rotateCertificates: true in /var/lib/kubelet/config.yaml"),
        "{remedy}"
    );
    assert!(
        remedy.ends_with("then systemctl restart kubelet"),
        "{remedy}"
    );
    assert!(role(&certs, "client_history").is_empty());
    if common::have_tool("openssl", "version") {
        // openssl: expired at AT (error 10), valid on 2025-06-01 (1748736000).
        let pem = "var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem";
        assert_eq!(
            openssl_verify_at("kubelet-expired-client", AT_EPOCH, pem),
            Some(10)
        );
        assert_eq!(
            openssl_verify_at("kubelet-expired-client", "1748736000", pem),
            None
        );
    }

    // Half a year earlier the certificate was valid, but nothing would renew it.
    let (code, certs, _, _) = kubelet("kubelet-expired-client", "2025-06-01T00:00:00Z", &[]);
    assert_eq!(code, 0, "a warning is not a failure");
    let c = role(&certs, "client")[0];
    assert_eq!(c["status"], "warn");
    assert_eq!(c["verdict"], "valid, 214d left; rotation is off");
    assert_eq!(
        strings(&c["findings"]),
        [
            "certificate rotation is off (rotateCertificates: false): nothing renews it before 2026-01-01T00:00:00.000000Z"
        ]
    );
    assert_eq!(
        c["remedy"],
        "nothing renews this certificate: set rotateCertificates: true in /var/lib/kubelet/config.yaml and systemctl restart kubelet"
    );
}

#[test]
fn self_signed_serving_certificate_the_apiserver_verifies() {
    let (code, certs, config, _) = kubelet("kubelet-serving-unverifiable", AT, &[]);
    assert_eq!(code, 1);
    assert_eq!(config["apiserver_verifies_kubelets"], true);
    let s = role(&certs, "serving")[0];
    assert_eq!(s["status"], "invalid");
    assert_eq!(
        s["verdict"],
        "self-signed, but the apiserver verifies kubelet serving certificates"
    );
    assert_eq!(
        s["remedy"],
        "set serverTLSBootstrap: true in /var/lib/kubelet/config.yaml, systemctl restart kubelet, then approve its CSR: kubectl get csr; kubectl certificate approve <name>"
    );
    assert_eq!(role(&certs, "client")[0]["status"], "ok");
}

#[test]
fn serving_certificate_from_the_cluster_ca() {
    let (code, certs, config, _) = kubelet("kubelet-server-bootstrap", AT, &[]);
    assert_eq!(code, 0);
    assert_eq!(config["server_tls_bootstrap"], true);
    let s = role(&certs, "serving")[0];
    assert_eq!(s["status"], "ok");
    assert_eq!(s["issuer"], "CN=kubernetes");
    assert_eq!(
        s["via"],
        "/var/lib/kubelet/pki/kubelet-server-current.pem -> /var/lib/kubelet/pki/kubelet-server-2026-01-10-00-00-00.pem"
    );
    assert!(strings(&s["findings"]).is_empty());
    if common::have_tool("openssl", "version") {
        // openssl: issued by CN=kubernetes and verifies against the cluster CA.
        let pem = "var/lib/kubelet/pki/kubelet-server-2026-01-10-00-00-00.pem";
        assert_eq!(
            openssl_verify_at("kubelet-server-bootstrap", AT_EPOCH, pem),
            None
        );
        let (_, issuer) = openssl_in(
            "kubelet-server-bootstrap",
            &[
                "x509", "-noout", "-issuer", "-nameopt", "RFC2253", "-in", pem,
            ],
        );
        assert_eq!(issuer.trim(), "issuer=CN=kubernetes");
    }
}

#[test]
fn client_key_that_does_not_match() {
    let (code, certs, _, _) = kubelet("key-mismatch", AT, &[]);
    assert_eq!(code, 1);
    let c = role(&certs, "client")[0];
    assert_eq!(c["status"], "invalid");
    assert_eq!(c["verdict"], "invalid (key_mismatch)");
    assert_eq!(
        strings(&c["findings"]),
        [
            "private key /var/lib/kubelet/pki/kubelet-client-current.pem does not match the certificate"
        ]
    );
    assert!(
        c["remedy"]
            .as_str()
            .unwrap()
            .starts_with("the key does not belong to the certificate")
    );
    if common::have_tool("openssl", "version") {
        // openssl: the public key of the certificate is not the key's.
        let pem = "var/lib/kubelet/pki/kubelet-client-2025-12-15-00-00-00.pem";
        let (_, from_cert) = openssl_in("key-mismatch", &["x509", "-noout", "-pubkey", "-in", pem]);
        let (_, from_key) = openssl_in("key-mismatch", &["pkey", "-pubout", "-in", pem]);
        assert!(from_cert.contains("BEGIN PUBLIC KEY") && from_key.contains("BEGIN PUBLIC KEY"));
        assert_ne!(from_cert, from_key);
    }
}

#[test]
fn table_output_tells_the_story() {
    let root = certs("kubelet-expired-client");
    let (code, out, _) = kinspect(&["certs", "kubelet", "--root", &root, "--at", AT]);
    assert_eq!(code, 1);
    assert!(out.contains("    rotateCertificates:  off\n"), "{out}");
    assert!(out.contains("CLIENT CERTIFICATE\n"), "{out}");
    assert!(
        out.contains("    verdict   expired: expired 151d ago\n"),
        "{out}"
    );
    assert!(
        out.contains("    remedy    rotation is off: issue a new client certificate"),
        "{out}"
    );
    assert!(out.contains("SERVING CERTIFICATE\n"), "{out}");
}

#[test]
fn nothing_to_read_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = kinspect(&["certs", "kubelet", "--root", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no kubelet certificate or configuration found"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// --probe against a real TLS server.

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server` presenting the scenario's kubelet.crt (leaf and its
/// CA) with kubelet.key; `None` (a recorded skip) when openssl is missing.
fn serve(scenario: &str, dir: &std::path::Path) -> Option<(Server, u16)> {
    if !common::have_tool("openssl", "version") {
        return None;
    }
    let pki = PathBuf::from(certs(scenario)).join("var/lib/kubelet/pki");
    let pem = std::fs::read_to_string(pki.join("kubelet.crt")).unwrap();
    let end = "-----END CERTIFICATE-----";
    let cut = pem.find(end).unwrap() + end.len();
    std::fs::write(dir.join("leaf.pem"), &pem[..cut]).unwrap();
    std::fs::write(dir.join("ca.pem"), pem[cut..].trim_start()).unwrap();
    let port = common::free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("leaf.pem"))
        .arg("-key")
        .arg(pki.join("kubelet.key"))
        .arg("-cert_chain")
        .arg(dir.join("ca.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((server, port))
}

#[test]
fn probe_sees_the_same_serving_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_server, port)) = serve("healthy", dir.path()) else {
        return;
    };
    let target = format!("127.0.0.1:{port}");
    let (code, _, _, probe) = kubelet("healthy", AT, &["--probe", &target]);
    let p = probe.expect("probe object");
    assert_eq!(p["reachable"], true);
    assert_eq!(p["subject"], "CN=node1@1735689600");
    assert_eq!(p["same_as_file"], true);
    // Self-signed: the cluster CA does not verify it, which is fine here.
    assert_eq!(p["verification"], "failed");
    assert_eq!(p["problem"], false);
    assert_eq!(code, 0);

    // The same live kubelet, judged as the node whose apiserver verifies
    // kubelets and whose serving file is another certificate.
    let (code, _, _, probe) = kubelet("kubelet-serving-unverifiable", AT, &["--probe", &target]);
    let p = probe.unwrap();
    assert_eq!(p["same_as_file"], false);
    assert_eq!(p["problem"], true);
    assert!(
        p["remedy"]
            .as_str()
            .unwrap()
            .contains("has not been restarted since the file changed"),
        "{p}"
    );
    assert_eq!(code, 1);
}

#[test]
fn probe_of_nothing_listening() {
    let port = common::free_port();
    let target = format!("127.0.0.1:{port}");
    let (code, _, _, probe) = kubelet("healthy", AT, &["--probe", &target]);
    let p = probe.unwrap();
    assert_eq!(p["reachable"], false);
    assert_eq!(p["verification"], "not_reached");
    assert!(
        p["remedy"]
            .as_str()
            .unwrap()
            .starts_with("nothing answers there")
    );
    assert_eq!(code, 1);
}

/// The scenario folders: certs/ of this repository, or `KINSPECT_CERTS_DIR`
/// (to test a fresh `CERTS_DIR=... scripts/make-certs` run).
fn certs_dir() -> PathBuf {
    std::env::var_os("KINSPECT_CERTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs"))
}

// ---- openssl on the same files: the oracle for the dates and verdicts ----

/// `AT` in seconds since the epoch, for `openssl verify -attime`.
const AT_EPOCH: &str = "1780272000";

/// `openssl ARGS` run in the scenario folder `dir`; (success, stdout+stderr).
fn openssl_in(dir: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .current_dir(certs_dir().join(dir))
        .args(args)
        .output()
        .expect("openssl runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `openssl verify -attime T -CAfile etc/kubernetes/pki/ca.crt FILE` in
/// `dir`: None when it verifies, else openssl's X509 error number.
fn openssl_verify_at(dir: &str, at: &str, file: &str) -> Option<u32> {
    let (ok, text) = openssl_in(
        dir,
        &[
            "verify",
            "-attime",
            at,
            "-CAfile",
            "etc/kubernetes/pki/ca.crt",
            file,
        ],
    );
    if ok {
        return None;
    }
    text.split("error ")
        .skip(1)
        .find_map(|t| t.split_whitespace().next()?.parse().ok())
        .or_else(|| panic!("openssl verify {file}: {text}"))
}

//! `kinspect doctor` against the node trees in tests/fixtures/nodes (made
//! by scripts/make-doctor-fixtures): exactly the expected findings, the
//! exit codes, and bad input that must not stop the other checks.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const AT: &str = "2026-06-01T00:00:00Z";
const APISERVER: &str = "/etc/kubernetes/manifests/kube-apiserver.yaml";

fn tree(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nodes")
        .join(name)
}

/// Runs doctor -o json; returns every finding and the exit code.
fn doctor(root: &Path) -> (Vec<Value>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["doctor", "-o", "json", "--at", AT, "--root"])
        .arg(root)
        .output()
        .expect("run kinspect");
    let findings = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (findings, out.status.code().unwrap_or(-1))
}

type Key = (String, String, Option<String>, Option<u64>);

fn key(f: &Value) -> Key {
    (
        f["check"].as_str().unwrap_or_default().to_string(),
        f["status"].as_str().unwrap_or_default().to_string(),
        f["file"].as_str().map(str::to_string),
        f["line"].as_u64(),
    )
}

/// The findings that are not `ok`.
fn problems(findings: &[Value]) -> Vec<Key> {
    findings
        .iter()
        .filter(|f| f["status"] != "ok")
        .map(key)
        .collect()
}

fn k(check: &str, status: &str, file: &str, line: Option<u64>) -> Key {
    (check.into(), status.into(), Some(file.into()), line)
}

fn assert_tree(name: &str, expected: &[Key], code: i32) {
    let (findings, exit) = doctor(&tree(name));
    assert_eq!(problems(&findings), expected, "{name}: {findings:#?}");
    assert_eq!(exit, code, "{name}");
    for f in &findings {
        for field in [
            "check", "status", "file", "line", "endpoint", "message", "fix",
        ] {
            assert!(f.get(field).is_some(), "{name}: {field} missing in {f}");
        }
    }
}

#[test]
fn healthy_has_no_false_alarm() {
    assert_tree("healthy", &[], 0);
    let (findings, _) = doctor(&tree("healthy"));
    for check in [
        "manifests",
        "apiserver-port",
        "etcd-endpoints",
        "kubelet-certs",
        "certificates",
        "cni",
    ] {
        assert!(
            findings.iter().any(|f| f["check"] == check),
            "healthy: no {check} finding"
        );
    }
}

/// kubeadm's apiserver port is 6443 (KubeAPIServerPort,
/// cmd/kubeadm/app/constants/constants.go), the port admin.conf and the
/// livenessProbe kubeadm writes use.
#[test]
fn apiserver_wrong_port() {
    assert_tree(
        "apiserver-wrong-port",
        &[k("apiserver-port", "fail", APISERVER, Some(35))],
        1,
    );
    let (findings, _) = doctor(&tree("apiserver-wrong-port"));
    let f = findings
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("fail");
    let msg = f["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("--secure-port=6444") && msg.contains("6443"),
        "{msg}"
    );
    assert!(
        msg.contains("admin.conf") && msg.contains("livenessProbe"),
        "{msg}"
    );
}

/// etcd serves clients on 2379 and peers on 2380 (DefaultListenClientURLs /
/// DefaultListenPeerURLs, etcd's server/embed/config.go); the apiserver's
/// --etcd-servers must name the client port.
#[test]
fn etcd_servers_on_the_peer_port() {
    assert_tree(
        "etcd-servers-peer-port",
        &[k("etcd-endpoints", "fail", APISERVER, Some(24))],
        1,
    );
    let (findings, _) = doctor(&tree("etcd-servers-peer-port"));
    let f = findings
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("fail");
    let msg = f["message"].as_str().unwrap_or_default();
    assert!(msg.contains("peer port") && msg.contains("3.6"), "{msg}");
    assert_eq!(f["endpoint"], "127.0.0.1:2380");
    assert!(
        f["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("https://127.0.0.1:2379")
    );
}

#[test]
fn kubelet_expired_client() {
    assert_tree(
        "kubelet-expired-client",
        &[
            k(
                "kubelet-certs",
                "fail",
                "/var/lib/kubelet/pki/kubelet-client-current.pem",
                None,
            ),
            k(
                "kubelet-certs",
                "warn",
                "/var/lib/kubelet/config.yaml",
                Some(16),
            ),
        ],
        1,
    );
    // openssl agrees the client certificate is expired at AT
    // (2026-06-01 = 1780272000): X509 error 10.
    if common::have_tool("openssl", "version") {
        let out = Command::new("openssl")
            .current_dir(tree("kubelet-expired-client"))
            .args([
                "verify",
                "-attime",
                "1780272000",
                "-CAfile",
                "etc/kubernetes/pki/ca.crt",
            ])
            .arg("var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem")
            .output()
            .expect("openssl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(
            text.contains("error 10 at 0 depth lookup: certificate has expired"),
            "{text}"
        );
    }
}

#[test]
fn cni_corrupt() {
    assert_tree(
        "cni-corrupt",
        &[k(
            "cni",
            "fail",
            "/etc/cni/net.d/10-bridge.conflist",
            Some(14),
        )],
        1,
    );
}

#[test]
fn cni_empty() {
    assert_tree("cni-empty", &[k("cni", "fail", "/etc/cni/net.d", None)], 1);
    let (findings, _) = doctor(&tree("cni-empty"));
    assert!(findings.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cni plugin not initialized")
    }));
}

#[test]
fn two_faults_at_once() {
    assert_tree(
        "expired-client-and-wrong-port",
        &[
            k("apiserver-port", "fail", APISERVER, Some(35)),
            k(
                "kubelet-certs",
                "fail",
                "/var/lib/kubelet/pki/kubelet-client-current.pem",
                None,
            ),
            k(
                "kubelet-certs",
                "warn",
                "/var/lib/kubelet/config.yaml",
                Some(16),
            ),
        ],
        1,
    );
}

#[test]
fn unreadable_root_exits_2() {
    let (findings, exit) = doctor(Path::new("/nonexistent/kinspect-doctor-root"));
    assert!(findings.is_empty());
    assert_eq!(exit, 2);
}

/// A copy of the healthy tree to break.
fn copy_healthy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(tree("healthy").join("."))
        .arg(dir.path())
        .status()
        .expect("cp");
    assert!(ok.success());
    dir
}

#[test]
fn table_output_and_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["doctor", "--at", AT, "--root"])
        .arg(tree("cni-empty"))
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    // The summary leads, then the table.
    assert!(lines[0].contains("1 fail, 0 warn"), "{text}");
    for col in ["CHECK", "STATUS", "WHERE", "MESSAGE"] {
        assert!(lines[2].contains(col), "{text}");
    }
    // Failures come first, and a fix sits on its own line under its row.
    assert!(lines[3].contains(" fail "), "{text}");
    assert!(lines[4].starts_with("    fix: "), "{text}");
    let first_ok = lines.iter().position(|l| l.contains(" ok ")).unwrap();
    assert!(first_ok > 3, "{text}");
}

#[test]
fn problems_shows_only_failures_and_warnings() {
    // kubelet-expired-client: one fail (the client certificate) and one
    // warn (rotateCertificates: false), both asserted by kubelet_expired_client.
    let out = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["doctor", "--problems", "--at", AT, "--root"])
        .arg(tree("kubelet-expired-client"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text
        .lines()
        .skip(3)
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].contains(" fail "), "{text}");
    assert!(rows[1].contains(" warn "), "{text}");
    // The summary still counts everything.
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("1 fail, 1 warn, 9 ok"),
        "{text}"
    );
    let json = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["doctor", "--problems", "-o", "json", "--at", AT, "--root"])
        .arg(tree("kubelet-expired-client"))
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&json.stdout).lines().count(), 2);
}

#[test]
fn certificate_summary_does_not_contradict_the_kubelet_check() {
    // The kubelet's expired client certificate is reported by kubelet-certs;
    // the certificates check must not then say "none expired" of all of them.
    let (findings, _) = doctor(&tree("kubelet-expired-client"));
    let summary = findings
        .iter()
        .find(|f| f["check"] == "certificates" && f["status"] == "ok")
        .expect("certificates summary");
    let msg = summary["message"].as_str().unwrap();
    assert!(msg.contains(" other certificates checked"), "{msg}");
}

#[test]
fn bad_input_is_a_finding_and_the_rest_still_runs() {
    let dir = copy_healthy();
    let m = dir.path().join("etc/kubernetes/manifests");
    std::fs::write(
        m.join("junk.yaml"),
        [0x7fu8, b'E', b'L', b'F', 0, 1, 2, 0xff, 0xfe],
    )
    .expect("junk");
    std::os::unix::fs::symlink("loop.yaml", m.join("loop.yaml")).expect("loop");
    let huge = std::fs::File::create(m.join("huge.yaml")).expect("huge");
    huge.set_len(64 << 20).expect("set_len");
    std::fs::create_dir(m.join("unreadable.yaml")).expect("dir");
    let net = dir.path().join("etc/cni/net.d");
    std::os::unix::fs::symlink("05-loop.conf", net.join("05-loop.conf")).expect("loop");
    let (findings, exit) = doctor(dir.path());
    let dir_file = |n: &str| format!("/etc/kubernetes/manifests/{n}");
    assert_eq!(
        problems(&findings),
        vec![
            k("manifests", "warn", &dir_file("huge.yaml"), None),
            k("manifests", "fail", &dir_file("junk.yaml"), None),
            k("manifests", "warn", &dir_file("loop.yaml"), None),
            k("manifests", "warn", &dir_file("unreadable.yaml"), None),
            k("cni", "fail", "/etc/cni/net.d/05-loop.conf", None),
        ],
        "{findings:#?}"
    );
    assert_eq!(exit, 1);
    // Every other check still ran and found the node fine.
    for check in [
        "apiserver-port",
        "etcd-endpoints",
        "kubelet-certs",
        "certificates",
    ] {
        assert!(
            findings
                .iter()
                .any(|f| f["check"] == check && f["status"] == "ok"),
            "{check}"
        );
    }
    assert!(findings.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("symlink loop")
    }));
    assert!(findings.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too large")
    }));
    assert!(findings.iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("binary data")
    }));
}

#[test]
fn manifest_mistakes() {
    let dir = copy_healthy();
    let path = dir
        .path()
        .join("etc/kubernetes/manifests/kube-apiserver.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let text = text
        .replace(
            "    - --secure-port=6443\n",
            "    - --secure-port=6443\n    - --secure-port=6443\n",
        )
        .replace("pki/front-proxy-ca.crt", "pki/front-proxy-ca-missing.crt");
    std::fs::write(&path, text).expect("write");
    let etcd = dir.path().join("etc/kubernetes/manifests/etcd.yaml");
    let text = std::fs::read_to_string(&etcd).expect("read");
    std::fs::write(
        &etcd,
        text.replace("  name: etcd\n  namespace", "  name: etcd\n namespace"),
    )
    .expect("write");
    let (findings, exit) = doctor(dir.path());
    assert_eq!(
        problems(&findings),
        vec![
            k(
                "manifests",
                "fail",
                "/etc/kubernetes/manifests/etcd.yaml",
                Some(10)
            ),
            k("manifests", "fail", APISERVER, Some(36)),
            k("manifests", "fail", APISERVER, Some(31)),
        ],
        "{findings:#?}"
    );
    assert_eq!(exit, 1);
}

#[test]
fn out_of_range_and_non_numeric_ports() {
    for (bad, why) in [("70000", "outside 1-65535"), ("https", "not a number")] {
        let dir = copy_healthy();
        let path = dir
            .path()
            .join("etc/kubernetes/manifests/kube-apiserver.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace("--secure-port=6443", &format!("--secure-port={bad}")),
        )
        .expect("write");
        let (findings, exit) = doctor(dir.path());
        assert_eq!(
            problems(&findings),
            vec![k("apiserver-port", "fail", APISERVER, Some(35))]
        );
        let f = findings
            .iter()
            .find(|f| f["status"] == "fail")
            .expect("fail");
        assert!(
            f["message"].as_str().unwrap_or_default().contains(why),
            "{f}"
        );
        assert_eq!(exit, 1);
    }
}

/// Stops and purges the lab in the folder when dropped.
struct Lab(tempfile::TempDir);

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_kinspect"))
            .args(["lab", "etcd", "down", "--purge", "--dir"])
            .arg(self.0.path().join("lab"))
            .output();
    }
}

#[test]
fn probe_names_the_peer_port_against_a_lab_etcd() {
    if !common::have_etcd() {
        return;
    }
    let lab = Lab(tempfile::tempdir().expect("tempdir"));
    let up = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["lab", "etcd", "up", "--ip", "127.0.51.1", "--dir"])
        .arg(lab.0.path().join("lab"))
        .output()
        .expect("lab up");
    assert!(up.status.success(), "{up:?}");
    let node = copy_healthy();
    let m = node.path().join("etc/kubernetes/manifests");
    let api = std::fs::read_to_string(m.join("kube-apiserver.yaml")).expect("read");
    std::fs::write(
        m.join("kube-apiserver.yaml"),
        // Probes go to loopback only: the node address becomes the lab's.
        api.replace(
            "--etcd-servers=https://127.0.0.1:2379",
            "--etcd-servers=http://127.0.51.1:2380,http://127.0.51.1:2379",
        )
        .replace("192.168.56.10", "127.0.51.1"),
    )
    .expect("write");
    let etcd = std::fs::read_to_string(m.join("etcd.yaml")).expect("read");
    std::fs::write(
        m.join("etcd.yaml"),
        // Beyond --etcd-servers, every listen URL is probed: m2's client and
        // peer ports answer, nothing listens on 12379.
        etcd.replace(
            "https://127.0.0.1:2379,https://192.168.56.10:2379",
            "http://127.0.51.1:2379,http://127.0.51.1:22379,http://127.0.51.1:12379",
        )
        .replace(
            "--listen-peer-urls=https://192.168.56.10:2380",
            "--listen-peer-urls=http://127.0.51.1:2380,http://127.0.51.1:22380",
        ),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["doctor", "--probe", "-o", "json", "--at", AT, "--root"])
        .arg(node.path())
        .output()
        .expect("doctor");
    let findings: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let at = |check: &str, ep: &str| -> Vec<&Value> {
        findings
            .iter()
            .filter(|f| f["check"] == check && f["endpoint"] == ep)
            .collect()
    };
    let peer = at("probe", "127.0.51.1:2380");
    assert_eq!(peer.len(), 1, "{findings:#?}");
    assert_eq!(peer[0]["status"], "fail");
    let msg = peer[0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("peer URL") && msg.contains("m1"), "{msg}");
    let client = at("probe", "127.0.51.1:2379");
    assert_eq!(client.len(), 1, "{findings:#?}");
    assert_eq!(client[0]["status"], "ok", "{:?}", client[0]);
    let listen = |ep: &str| -> (String, String) {
        let f = at("probe", ep);
        assert_eq!(f.len(), 1, "{ep}: {findings:#?}");
        assert_eq!(f[0]["file"], "/etc/kubernetes/manifests/etcd.yaml", "{ep}");
        (
            f[0]["status"].as_str().unwrap_or_default().to_string(),
            f[0]["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let (status, msg) = listen("127.0.51.1:22379");
    assert_eq!(status, "ok", "{msg}");
    assert!(msg.contains("client API answered"), "{msg}");
    let (status, msg) = listen("127.0.51.1:22380");
    assert_eq!(status, "ok", "{msg}");
    assert!(msg.contains("member m2's peer URL"), "{msg}");
    let (status, msg) = listen("127.0.51.1:12379");
    assert_eq!(status, "fail", "{msg}");
    assert!(msg.contains("nothing answers"), "{msg}");
    // The static check says the same without the network.
    let stat = at("etcd-endpoints", "127.0.51.1:2380");
    assert_eq!(stat.len(), 1);
    assert_eq!(stat[0]["status"], "fail");
    assert_eq!(at("etcd-endpoints", "127.0.51.1:2379")[0]["status"], "ok");
    // The apiserver and the kubelet are probed on the node address too;
    // nothing listens there, and doctor says so.
    for ep in ["127.0.51.1:6443", "127.0.51.1:10250"] {
        let p = at("probe", ep);
        assert_eq!(p.len(), 1, "{ep}: {findings:#?}");
        assert_eq!(p[0]["status"], "fail", "{ep}: {:?}", p[0]);
    }
    assert!(
        !findings.iter().any(|f| f["endpoint"]
            .as_str()
            .is_some_and(|e| e.starts_with("192.168."))),
        "probes must stay on loopback: {findings:#?}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bind_address_missed_by_the_kubeconfigs() {
    let dir = copy_healthy();
    let path = dir
        .path()
        .join("etc/kubernetes/manifests/kube-apiserver.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace(
            "    - --authorization-mode",
            "    - --bind-address=127.0.0.1\n    - --authorization-mode",
        ),
    )
    .expect("write");
    let (findings, exit) = doctor(dir.path());
    let mut expected: Vec<Key> = [
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ]
    .iter()
    .map(|n| {
        k(
            "apiserver-port",
            "fail",
            &format!("/etc/kubernetes/{n}"),
            Some(5),
        )
    })
    .collect();
    // The apiserver also advertises 192.168.56.10, where it no longer listens.
    expected.push(k("apiserver-port", "fail", APISERVER, Some(15)));
    assert_eq!(problems(&findings), expected, "{findings:#?}");
    assert_eq!(exit, 1);
}

#[test]
fn advertise_address_against_kubeconfigs_and_probe_hosts() {
    // The node moved to 192.168.56.20 and only the flag was changed: the
    // kubeconfigs and the probes still name the old address.
    let dir = copy_healthy();
    let path = dir
        .path()
        .join("etc/kubernetes/manifests/kube-apiserver.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace(
            "--advertise-address=192.168.56.10",
            "--advertise-address=192.168.56.20",
        ),
    )
    .expect("write");
    let (findings, exit) = doctor(dir.path());
    let mut expected: Vec<Key> = [
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ]
    .iter()
    .map(|n| {
        k(
            "apiserver-port",
            "warn",
            &format!("/etc/kubernetes/{n}"),
            Some(5),
        )
    })
    .collect();
    for line in [47, 58, 70] {
        expected.push(k("apiserver-port", "warn", APISERVER, Some(line)));
    }
    // And the serving certificate does not name the new address.
    expected.push(k(
        "certificates",
        "fail",
        "/etc/kubernetes/pki/apiserver.crt",
        None,
    ));
    assert_eq!(problems(&findings), expected, "{findings:#?}");
    let cert = findings
        .iter()
        .find(|f| f["check"] == "certificates" && f["status"] == "fail")
        .expect("certificate finding");
    assert!(
        cert["message"]
            .as_str()
            .unwrap_or_default()
            .contains("192.168.56.20"),
        "{cert}"
    );
    let probe = findings
        .iter()
        .find(|f| f["line"] == 47)
        .expect("liveness finding");
    assert!(
        probe["message"]
            .as_str()
            .unwrap_or_default()
            .contains("livenessProbe host 192.168.56.10 is not --advertise-address=192.168.56.20"),
        "{probe}"
    );
    assert_eq!(exit, 1);

    // Not an address at all: the apiserver cannot start.
    std::fs::write(
        &path,
        text.replace(
            "--advertise-address=192.168.56.10",
            "--advertise-address=node-1",
        ),
    )
    .expect("write");
    let (findings, exit) = doctor(dir.path());
    assert_eq!(
        problems(&findings),
        vec![
            k("apiserver-port", "fail", APISERVER, Some(15)),
            k(
                "certificates",
                "fail",
                "/etc/kubernetes/pki/apiserver.crt",
                None
            ),
        ],
        "{findings:#?}"
    );
    assert_eq!(exit, 1);
}

#[test]
fn image_tag_typos() {
    for (bad, status, words) in [
        ("v1.31.O", "fail", "looks like a typo of v1.31.0"),
        ("v1.13.0", "warn", "more than one minor version"),
    ] {
        let dir = copy_healthy();
        let path = dir
            .path()
            .join("etc/kubernetes/manifests/kube-scheduler.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace("kube-scheduler:v1.31.0", &format!("kube-scheduler:{bad}")),
        )
        .expect("write");
        let (findings, exit) = doctor(dir.path());
        assert_eq!(
            problems(&findings),
            vec![k(
                "manifests",
                status,
                "/etc/kubernetes/manifests/kube-scheduler.yaml",
                Some(18)
            )],
            "{findings:#?}"
        );
        let f = findings
            .iter()
            .find(|f| f["status"] == status)
            .expect("finding");
        assert!(
            f["message"].as_str().unwrap_or_default().contains(words),
            "{f}"
        );
        assert_eq!(exit, i32::from(status == "fail"));
    }
}

/// `doctor --capture` on `lo` while a client is refused on an apiserver
/// port and a TLS 1.2 client rejects a kubelet-port server's certificate:
/// both show up, with the side that sent the alert.
#[test]
fn capture_reports_refusals_and_tls_alerts() {
    if !common::have_root("doctor --capture") {
        return;
    }
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let pki = certs.join("healthy/etc/kubernetes/pki");
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-tls1_2",
            "-accept",
            "127.0.51.7:10250",
        ])
        .arg("-cert")
        .arg(pki.join("apiserver.crt"))
        .arg("-key")
        .arg(pki.join("apiserver.key"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let doctor = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args([
            "doctor",
            "-o",
            "json",
            "--at",
            AT,
            "--capture",
            "4",
            "--capture-interface",
            "lo",
            "--root",
        ])
        .arg(tree("healthy"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("doctor");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for _ in 0..3 {
        let r = std::net::TcpStream::connect_timeout(
            &"127.0.51.7:6443".parse().expect("addr"),
            std::time::Duration::from_secs(1),
        );
        assert!(r.is_err(), "nothing may listen on 127.0.51.7:6443");
    }
    let client = Command::new("openssl")
        .args([
            "s_client",
            "-tls1_2",
            "-verify_return_error",
            "-connect",
            "127.0.51.7:10250",
        ])
        .arg("-CAfile")
        .arg(certs.join("chain/root.crt"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client");
    assert!(
        !client.status.success(),
        "the client must reject the server"
    );
    let out = doctor.wait_with_output().expect("doctor output");
    let _ = server.kill();
    let _ = server.wait();
    let findings: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|f: &Value| f["check"] == "capture")
        .collect();
    let refused: Vec<&Value> = findings
        .iter()
        .filter(|f| f["endpoint"] == "127.0.51.7:6443")
        .collect();
    assert_eq!(refused.len(), 1, "{findings:#?}");
    assert_eq!(refused[0]["status"], "fail");
    let msg = refused[0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("3 connection(s) to 127.0.51.7:6443 (kube-apiserver) refused"),
        "{msg}"
    );
    let alerts: Vec<&Value> = findings
        .iter()
        .filter(|f| f["endpoint"] == "127.0.51.7:10250")
        .collect();
    assert_eq!(alerts.len(), 1, "{findings:#?}");
    let msg = alerts[0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("unknown_ca") && msg.contains("sent by the client"),
        "{msg}"
    );
    assert_eq!(alerts[0]["status"], "fail");
    assert_eq!(out.status.code(), Some(1));
}

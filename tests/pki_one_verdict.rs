//! One certificate model: `certs verify`, `tls probe`, `pcap tls` and
//! `doctor` give the same verdict on the same chain, with the same reason
//! in words. The chains are made here with openssl, signed by the cluster
//! CA of the `healthy` doctor fixture (so `doctor` judges them as that
//! node's apiserver.crt): good, expired, signed by an unknown CA, a CA
//! certificate (basicConstraints CA:TRUE) as the server's, and a name the
//! certificate does not cover. `tls probe` talks to `openssl s_server`
//! (TLS 1.2, so the certificate is in clear on the wire), and that
//! traffic, captured with tcpdump on lo, is what `pcap tls` reads.
//!
//! The CA:TRUE rule comes from webpki (`Error::CaUsedAsEndEntity`,
//! rustls-webpki `src/verify_cert.rs`: an end-entity certificate must not
//! be a CA). openssl has no such rule: `openssl verify -purpose sslserver`
//! accepts the chain, which the test checks, so for that chain openssl is
//! not the oracle; for the others it is (`openssl verify -verify_hostname`).
//! A capture has no trust store, so `pcap tls` does not judge the issuer
//! (the unknown-CA chain): it says "issuer not in the presented chain" for
//! every chain whose root is not sent, and that is not counted as a verdict.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::kinspect;
use common::lo_capture::{LoCapture, wait_for};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nodes/healthy")
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn must(dir: &Path, args: &[&str]) {
    let (ok, out) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {out}");
}

/// The SANs kubeadm gives an apiserver (what doctor wants for this node),
/// plus 127.0.0.1 for the probe.
const APISERVER_SANS: &str = "DNS:node1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:192.168.56.10,IP:127.0.0.1";

struct Chain {
    name: &'static str,
    /// `basicConstraints` value.
    ca: bool,
    sans: &'static str,
    /// `openssl ca` dates, or None for "valid from now for 30 days".
    dates: Option<(&'static str, &'static str)>,
    /// Signed by a CA nobody trusts.
    unknown_ca: bool,
    /// None: valid. Some(reason): each command fails, and says this (per
    /// command: verify, probe, pcap, doctor).
    fails: Option<[&'static str; 4]>,
}

const CHAINS: [Chain; 5] = [
    Chain {
        name: "good",
        ca: false,
        sans: APISERVER_SANS,
        dates: None,
        unknown_ca: false,
        fails: None,
    },
    Chain {
        name: "expired",
        ca: false,
        sans: APISERVER_SANS,
        dates: Some(("20200101000000Z", "20210101000000Z")),
        unknown_ca: false,
        fails: Some(["expired", "expired", "expired at capture time", "expired"]),
    },
    Chain {
        name: "unknown-ca",
        ca: false,
        sans: APISERVER_SANS,
        dates: None,
        unknown_ca: true,
        fails: Some([
            "issuer CN=other-ca is unknown",
            "issuer CN=other-ca not sent and not in --cacert",
            "",
            "CN=other-ca",
        ]),
    },
    Chain {
        name: "ca-leaf",
        ca: true,
        sans: APISERVER_SANS,
        dates: None,
        unknown_ca: false,
        fails: Some([CA_REASON, CA_REASON, CA_REASON, CA_REASON]),
    },
    Chain {
        name: "name-mismatch",
        ca: false,
        sans: "DNS:wrong.test,IP:127.0.0.1",
        dates: None,
        unknown_ca: false,
        fails: Some([
            "kubernetes not in SAN",
            "kubernetes not in SAN",
            "SNI kubernetes not covered",
            "missing SAN kubernetes",
        ]),
    },
];

const CA_REASON: &str = "the server certificate is a CA certificate (basicConstraints CA:TRUE); a CA must not be used as an end entity";

/// Issues `dir/NAME.crt` and `NAME.key` (EC P-256) with `openssl ca`.
fn issue(dir: &Path, c: &Chain, ca_crt: &Path, ca_key: &Path) {
    let work = dir.join(format!("ca-{}", c.name));
    std::fs::create_dir_all(work.join("new")).unwrap();
    std::fs::write(work.join("index.txt"), "").unwrap();
    std::fs::write(work.join("serial"), "1000\n").unwrap();
    let cnf = format!(
        "[ ca ]\ndefault_ca = d\n[ d ]\ndir = {w}\ndatabase = {w}/index.txt\nnew_certs_dir = {w}/new\nserial = {w}/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[ any ]\ncommonName = optional\n[ req ]\ndistinguished_name = dn\n[ dn ]\n[ ext ]\nbasicConstraints = critical,CA:{ca}\nkeyUsage = critical,digitalSignature,keyEncipherment{sign}\nextendedKeyUsage = serverAuth\nsubjectAltName = {sans}\n",
        w = work.display(),
        ca = if c.ca { "TRUE" } else { "FALSE" },
        sign = if c.ca { ",keyCertSign" } else { "" },
        sans = c.sans,
    );
    std::fs::write(work.join("ca.cnf"), cnf).unwrap();
    let key = dir.join(format!("{}.key", c.name));
    let crt = dir.join(format!("{}.crt", c.name));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    must(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &s(&key),
            "-subj",
            "/CN=kube-apiserver",
            "-config",
            &s(&work.join("ca.cnf")),
            "-out",
            &s(&work.join("req.csr")),
        ],
    );
    let mut args: Vec<String> = [
        "ca",
        "-batch",
        "-config",
        &s(&work.join("ca.cnf")),
        "-cert",
        &s(ca_crt),
        "-keyfile",
        &s(ca_key),
        "-in",
        &s(&work.join("req.csr")),
        "-out",
        &s(&work.join("out.crt")),
        "-extensions",
        "ext",
        "-notext",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    match c.dates {
        Some((start, end)) => args.extend([
            "-startdate".into(),
            start.into(),
            "-enddate".into(),
            end.into(),
        ]),
        None => args.extend(["-days".into(), "400".into()]),
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    must(dir, &refs);
    must(
        dir,
        &["x509", "-in", &s(&work.join("out.crt")), "-out", &s(&crt)],
    );
}

fn s_server(dir: &Path, name: &str, port: u16) -> Child {
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &port.to_string(),
            "-tls1_2",
            "-quiet",
        ])
        .args([
            "-cert",
            &format!("{name}.crt"),
            "-key",
            &format!("{name}.key"),
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s_server");
    wait_for("s_server", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    child
}

fn copy_tree(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success());
}

/// The problem a command saw, in words (None: valid).
type Said = Option<String>;

fn verify_says(dir: &Path, name: &str, ca: &Path) -> Said {
    let run = kinspect(&[
        "certs",
        "verify",
        &format!("{}/{name}.crt", dir.display()),
        "--roots",
        ca.to_str().unwrap(),
        "--name",
        "kubernetes",
        "--purpose",
        "server",
    ]);
    match run.code {
        Some(0) => None,
        Some(1) => Some(run.stdout),
        _ => panic!("certs verify {name}: {}", run.describe()),
    }
}

fn probe_says(port: u16, ca: &Path) -> Said {
    let run = kinspect(&[
        "tls",
        "probe",
        &format!("127.0.0.1:{port}"),
        "--cacert",
        ca.to_str().unwrap(),
        "--sni",
        "kubernetes",
    ]);
    match run.code {
        Some(0) => None,
        Some(1) => Some(run.stdout),
        _ => panic!("tls probe {port}: {}", run.describe()),
    }
}

/// `pcap tls`'s judgement of the server's leaf, as its table cell makes
/// it: expired or not yet valid at capture, a CA as the end entity, the
/// SNI not covered.
fn pcap_says(session: &Value) -> Said {
    let leaf = &session["certificates"][0];
    assert!(leaf.is_object(), "no certificate seen: {session}");
    let findings: Vec<String> = leaf["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let problem = leaf["expired_at_capture"] == true
        || leaf["not_yet_valid_at_capture"] == true
        || findings
            .iter()
            .any(|f| f.starts_with("SNI ") || f.contains("a CA must not be used"));
    problem.then(|| findings.join("; "))
}

fn doctor_says(root: &Path) -> Said {
    let run = kinspect(&["doctor", "-o", "json", "--root", root.to_str().unwrap()]);
    let findings = common::json_lines("doctor", &run.stdout);
    let row = findings
        .iter()
        .find(|f| {
            f["check"] == "certificates"
                && f["file"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("pki/apiserver.crt"))
        })
        .cloned();
    match row {
        None => {
            assert_eq!(run.code, Some(0), "{}", run.describe());
            None
        }
        Some(f) => {
            assert_eq!(run.code, Some(1), "{}", run.describe());
            assert_ne!(f["status"], "ok", "{f}");
            Some(f["message"].as_str().unwrap_or_default().to_string())
        }
    }
}

#[test]
fn four_commands_one_verdict() {
    for (tool, arg) in [("openssl", "version"), ("tcpdump", "--version")] {
        if !common::have_tool(tool, arg) {
            return;
        }
    }
    if !common::have_root("capturing on lo") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kinspect-one-verdict-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pki = fixture().join("etc/kubernetes/pki");
    let (ca_crt, ca_key) = (pki.join("ca.crt"), pki.join("ca.key"));
    // The unknown CA.
    must(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "other-ca.key",
            "-subj",
            "/CN=other-ca",
            "-days",
            "400",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
            "-out",
            "other-ca.crt",
        ],
    );
    for c in &CHAINS {
        let (crt, key) = if c.unknown_ca {
            (dir.join("other-ca.crt"), dir.join("other-ca.key"))
        } else {
            (ca_crt.clone(), ca_key.clone())
        };
        issue(&dir, c, &crt, &key);
        // openssl's own verdict, where it has one.
        let (ok, out) = openssl(
            &dir,
            &[
                "verify",
                "-purpose",
                "sslserver",
                "-verify_hostname",
                "kubernetes",
                "-CAfile",
                ca_crt.to_str().unwrap(),
                &format!("{}.crt", c.name),
            ],
        );
        if c.ca {
            assert!(ok, "openssl accepts a CA:TRUE server certificate: {out}");
        } else {
            assert_eq!(ok, c.fails.is_none(), "openssl on {}: {out}", c.name);
        }
    }

    // Probe each chain once, under one capture.
    let ports: Vec<u16> = CHAINS.iter().map(|_| common::free_port()).collect();
    let cap = dir.join("probes.pcap");
    let filter = ports
        .iter()
        .map(|p| format!("tcp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let tcpdump = LoCapture::start(&cap, &filter);
    let mut probe = Vec::new();
    for (c, port) in CHAINS.iter().zip(&ports) {
        let mut server = s_server(&dir, c.name, *port);
        probe.push(probe_says(*port, &ca_crt));
        let _ = server.kill();
        let _ = server.wait();
    }
    std::thread::sleep(Duration::from_millis(500));
    tcpdump.stop();
    let run = kinspect(&["pcap", "tls", "-o", "json", cap.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let sessions = common::json_lines("pcap tls", &run.stdout);

    for ((c, port), probe) in CHAINS.iter().zip(&ports).zip(probe) {
        let verify = verify_says(&dir, c.name, &ca_crt);
        let session = sessions
            .iter()
            .find(|s| {
                // Not the readiness check's connection: the probe's.
                s["sni"] == "kubernetes"
                    && s["server"]
                        .as_str()
                        .is_some_and(|a| a.ends_with(&format!(":{port}")))
            })
            .unwrap_or_else(|| panic!("{}: no session on {port}: {}", c.name, run.stdout));
        let pcap = pcap_says(session);
        let node = dir.join(format!("node-{}", c.name));
        copy_tree(&fixture(), &node);
        let npki = node.join("etc/kubernetes/pki");
        std::fs::copy(
            dir.join(format!("{}.crt", c.name)),
            npki.join("apiserver.crt"),
        )
        .unwrap();
        std::fs::copy(
            dir.join(format!("{}.key", c.name)),
            npki.join("apiserver.key"),
        )
        .unwrap();
        let doctor = doctor_says(&node);

        let said = [verify, probe, pcap, doctor];
        let commands = ["certs verify", "tls probe", "pcap tls", "doctor"];
        match c.fails {
            None => {
                for (cmd, s) in commands.iter().zip(&said) {
                    assert_eq!(s, &None, "{}: {cmd} should accept it", c.name);
                }
            }
            Some(reasons) => {
                for ((cmd, s), reason) in commands.iter().zip(&said).zip(reasons) {
                    if *cmd == "pcap tls" && c.unknown_ca {
                        // No trust store in a capture: the issuer is not judged.
                        assert_eq!(s, &None, "{}: pcap tls", c.name);
                        continue;
                    }
                    let s = s
                        .as_deref()
                        .unwrap_or_else(|| panic!("{}: {cmd} accepted it", c.name));
                    assert!(
                        s.contains(reason),
                        "{}: {cmd} says {s:?}, not {reason:?}",
                        c.name
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

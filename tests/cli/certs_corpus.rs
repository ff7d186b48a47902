//! ../shared/corpus/kubeadm-pki-maxxmoney and etcd-pki against the openssl
//! answers in their CERTS.oracle.txt:
//! - every certificate's subject, issuer, serial, dates, SHA-256 and SANs
//!   (`certs show`) equal openssl's;
//! - `certs check --at` before and after expiry says expired exactly where
//!   `openssl x509 -checkend 0` did (as of 2026-11-26);
//! - `certs verify` agrees with every `openssl verify` line (time, purpose,
//!   hostname, IP; CRL checks are not in kinspect's scope and are skipped).
//!
//! Records a skip (`common::skip`) when the corpus is absent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

/// When the oracle was made ("now" in it).
const ORACLE_NOW: &str = "2026-11-26T12:00:00Z";

fn corpus() -> Option<PathBuf> {
    common::corpus()
}

fn kinspect(args: &[&str], cwd: &Path) -> (i32, String, String) {
    common::kinspect_in(args, cwd).finished().parts()
}

/// One certificate as the oracle describes it.
#[derive(Debug, Default, Clone)]
struct OracleCert {
    /// `pki/apiserver.crt`, or `admin.conf` for kubeconfig data.
    file: String,
    /// `client-certificate-data` / `certificate-authority-data` for kubeconfigs.
    field: Option<String>,
    fields: HashMap<String, String>,
    expired_now: bool,
}

/// One `openssl verify` run and its outcome.
#[derive(Debug, Clone)]
struct OracleVerify {
    args: Vec<String>,
    ok: bool,
}

fn parse_oracle(text: &str) -> (Vec<OracleCert>, Vec<OracleVerify>) {
    let mut certs = Vec::new();
    let mut verifies: Vec<OracleVerify> = Vec::new();
    let mut cur: Option<OracleCert> = None;
    let mut kubeconfig: Option<String> = None;
    let mut in_verify = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("== ") {
            if let Some(c) = cur.take() {
                certs.push(c);
            }
            in_verify = false;
            if let Some((file, _)) = rest.split_once("  (format=") {
                kubeconfig = None;
                cur = Some(OracleCert {
                    file: file.to_string(),
                    ..Default::default()
                });
            } else if let Some((file, _)) = rest.split_once(": server=") {
                kubeconfig = Some(file.to_string());
            }
            continue;
        }
        if let Some(field) = line.strip_prefix("-- ") {
            if field == "certificate-authority-data" || field == "client-certificate-data" {
                if let Some(c) = cur.take() {
                    certs.push(c);
                }
                cur = Some(OracleCert {
                    file: kubeconfig.clone().unwrap_or_default(),
                    field: Some(field.to_string()),
                    ..Default::default()
                });
            }
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ openssl verify ") {
            if let Some(c) = cur.take() {
                certs.push(c);
            }
            in_verify = true;
            verifies.push(OracleVerify {
                args: cmd.split_whitespace().map(str::to_string).collect(),
                ok: false,
            });
            continue;
        }
        if in_verify && line.starts_with("    ") {
            if line.trim_end().ends_with(": OK") {
                if let Some(v) = verifies.last_mut() {
                    v.ok = true;
                }
            }
            continue;
        }
        if line.starts_with('#') {
            in_verify = false;
            continue;
        }
        if let Some(c) = cur.as_mut() {
            if let Some(v) = line.strip_prefix("expired_as_of_2026-11-26: ") {
                c.expired_now = v.trim() == "YES";
            } else if let Some((k, v)) = line.split_once('=') {
                c.fields.insert(k.to_string(), v.to_string());
            } else if let Some((k, v)) = line.split_once(": ") {
                c.fields.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    if let Some(c) = cur.take() {
        certs.push(c);
    }
    (certs, verifies)
}

/// `Dec 26 04:06:04 2019 GMT` as kinspect prints it.
fn openssl_date(s: &str) -> String {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = s.split_whitespace().collect();
    let m = months.iter().position(|x| *x == parts[0]).unwrap() + 1;
    let d: u32 = parts[1].parse().unwrap();
    format!("{}-{m:02}-{d:02}T{}.000000Z", parts[3], parts[2])
}

fn epoch_to_rfc3339(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// openssl's SAN text (`DNS:a, IP Address:1.2.3.4, IP Address:0:0:0:0:0:0:0:1`)
/// in kinspect's form.
fn openssl_sans(s: &str) -> Vec<String> {
    s.split(", ")
        .map(|x| {
            if let Some(ip) = x.strip_prefix("IP Address:") {
                format!("IP:{}", ip.parse::<std::net::IpAddr>().unwrap())
            } else {
                x.to_string()
            }
        })
        .collect()
}

fn show(dir: &Path, file: &str) -> Vec<Value> {
    let (code, out, err) = kinspect(&["certs", "show", "-o", "json", file], dir);
    assert_eq!(code, 0, "{file}: {err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn compare_fields(dir: &Path, certs: &[OracleCert]) -> usize {
    let mut n = 0;
    for c in certs {
        let shown = show(dir, &c.file);
        let v = match &c.field {
            None => &shown[0],
            Some(f) => shown
                .iter()
                .find(|v| v["field"].as_str().unwrap_or("").ends_with(f.as_str()))
                .unwrap_or_else(|| panic!("{}: no {f}", c.file)),
        };
        let what = format!("{} {:?}", c.file, c.field);
        assert_eq!(v["subject"], c.fields["subject"], "{what}");
        assert_eq!(v["issuer"], c.fields["issuer"], "{what}");
        assert_eq!(v["serial"], c.fields["serial"], "{what}");
        assert_eq!(
            v["not_before"],
            openssl_date(&c.fields["notBefore"]),
            "{what}"
        );
        assert_eq!(
            v["not_after"],
            openssl_date(&c.fields["notAfter"]),
            "{what}"
        );
        assert_eq!(v["sha256"], c.fields["sha256 Fingerprint"], "{what}");
        if let Some(sans) = c.fields.get("Subject Alternative Name") {
            let ours: Vec<String> = v["sans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            assert_eq!(ours, openssl_sans(sans), "{what}");
        }
        if let Some(bc) = c.fields.get("Basic Constraints") {
            assert_eq!(v["is_ca"], bc.contains("CA:TRUE"), "{what}");
        }
        if let Some(eku) = c.fields.get("Extended Key Usage") {
            let ours: Vec<&str> = v["ext_key_usage"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap())
                .collect();
            assert_eq!(
                ours.contains(&"serverAuth"),
                eku.contains("Server Authentication"),
                "{what}"
            );
            assert_eq!(
                ours.contains(&"clientAuth"),
                eku.contains("Client Authentication"),
                "{what}"
            );
        }
        n += 1;
    }
    n
}

/// `certs check DIR --at T` rows by (path, kind).
fn check(dir: &Path, at: &str) -> (i32, Vec<Value>) {
    let (code, out, err) = kinspect(&["certs", "check", "-o", "json", "--at", at, "."], dir);
    assert!(code == 0 || code == 1, "{err}");
    (
        code,
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

fn expiry_agrees(dir: &Path, certs: &[OracleCert]) {
    let (code, rows) = check(dir, ORACLE_NOW);
    let mut any_expired = false;
    for c in certs {
        let is_ca = c
            .fields
            .get("Basic Constraints")
            .is_some_and(|b| b.contains("CA:TRUE"))
            || c.field.as_deref() == Some("certificate-authority-data");
        let row = rows
            .iter()
            .find(|r| {
                if c.field.as_deref() == Some("certificate-authority-data") {
                    r["kind"] == "ca"
                        && r["subject"] == c.fields["subject"]
                        && r["serial"] == c.fields["serial"]
                } else {
                    r["path"] == c.file.as_str() && (r["kind"] == "ca") == is_ca
                }
            })
            .unwrap_or_else(|| panic!("no row for {} {:?}", c.file, c.field));
        let expired = row["status"] == "expired";
        assert_eq!(expired, c.expired_now, "{} {:?}: {row}", c.file, c.field);
        if !c.expired_now {
            assert!(row["residual_days"].as_i64().unwrap() >= 0, "{row}");
        }
        any_expired |= c.expired_now;
    }
    assert_eq!(code, i32::from(any_expired));
}

fn verify_agrees(dir: &Path, verifies: &[OracleVerify]) -> usize {
    let mut checked = 0;
    for v in verifies {
        let mut args: Vec<String> = vec!["certs".into(), "verify".into()];
        let mut at = ORACLE_NOW.to_string();
        let mut leaf = None;
        let mut skip = false;
        let mut i = 0;
        while i < v.args.len() {
            let a = v.args[i].as_str();
            let next = v.args.get(i + 1).cloned().unwrap_or_default();
            match a {
                "-attime" => {
                    at = epoch_to_rfc3339(next.parse().unwrap());
                    i += 1;
                }
                "-CAfile" => {
                    args.extend(["--roots".into(), next]);
                    i += 1;
                }
                "-purpose" => {
                    let p = if next == "sslserver" {
                        "server"
                    } else {
                        "client"
                    };
                    args.extend(["--purpose".into(), p.into()]);
                    i += 1;
                }
                "-verify_hostname" | "-verify_ip" => {
                    args.extend(["--name".into(), next]);
                    i += 1;
                }
                "-crl_check" | "-CRLfile" => skip = true,
                f if !f.starts_with('-') => leaf = Some(f.to_string()),
                other => panic!("unhandled openssl flag {other}"),
            }
            i += 1;
        }
        if skip {
            continue;
        }
        args.push(leaf.expect("a certificate to verify"));
        args.extend(["--at".into(), at]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = kinspect(&a, dir);
        assert_eq!(
            code,
            if v.ok { 0 } else { 1 },
            "openssl verify {:?} said ok={}:\n{out}{err}",
            v.args,
            v.ok
        );
        checked += 1;
    }
    checked
}

#[test]
fn kubeadm_pki_maxxmoney_agrees_with_openssl() {
    let Some(c) = corpus() else { return };
    let dir = c.join("kubeadm-pki-maxxmoney");
    let (certs, verifies) =
        parse_oracle(&std::fs::read_to_string(dir.join("CERTS.oracle.txt")).unwrap());
    assert_eq!(
        certs.len(),
        10 + 8,
        "10 files and 4 kubeconfigs x 2 certificates"
    );
    assert_eq!(compare_fields(&dir, &certs), 18);
    expiry_agrees(&dir, &certs);
    assert_eq!(verify_agrees(&dir, &verifies), 18);

    // Before expiry (the oracle's -attime 1590969600 = 2020-06-01): nothing
    // expired, nothing invalid; the redacted client keys are warnings.
    let (code, rows) = check(&dir, "2020-06-01T00:00:00Z");
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 14);
    for r in &rows {
        let s = r["status"].as_str().unwrap();
        let redacted = r["path"].as_str().unwrap().ends_with(".conf");
        assert_eq!(s, if redacted { "warn" } else { "ok" }, "{r}");
    }
    // kubeadm's names, CAs found beside them, externally managed (no CA keys).
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
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
            "kubelet.conf"
        ]
    );
    for r in &rows {
        assert_eq!(r["externally_managed"], true, "{r}");
    }
    let ca_of = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap()["ca"].clone();
    assert_eq!(ca_of("apiserver-etcd-client"), "etcd-ca");
    assert_eq!(ca_of("front-proxy-client"), "front-proxy-ca");
    assert_eq!(ca_of("kubelet.conf"), "ca");
}

#[test]
fn etcd_pki_agrees_with_openssl() {
    let Some(c) = corpus() else { return };
    if !common::have_tool("openssl", "version") {
        return;
    }
    let dir = c.join("etcd-pki");
    let (certs, verifies) =
        parse_oracle(&std::fs::read_to_string(dir.join("CERTS.oracle.txt")).unwrap());
    assert_eq!(certs.len(), 16);
    assert_eq!(compare_fields(&dir, &certs), 16);
    expiry_agrees(&dir, &certs);
    assert_eq!(verify_agrees(&dir, &verifies), 19);

    // fixtures-expired at the oracle's -attime 955652400 (2000-04-13T19:00Z):
    // valid, but within 30 days of the leaves' one-hour lifetime.
    // One row per certificate the oracle lists under fixtures-expired/
    // (openssl read three), named by its file.
    let mut want_files: Vec<String> = certs
        .iter()
        .filter_map(|c| c.file.strip_prefix("fixtures-expired/"))
        .map(str::to_string)
        .collect();
    want_files.sort();
    assert_eq!(want_files, ["ca.crt", "server-ip.crt", "server.crt"]);
    let names = |rows: &[Value]| {
        let mut n: Vec<String> = rows
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect();
        n.sort();
        n
    };
    let expired_dir = dir.join("fixtures-expired");
    let (code, rows) = check(&expired_dir, "2000-04-13T19:00:00Z");
    assert_eq!(code, 0);
    assert_eq!(names(&rows), want_files);
    for r in &rows {
        let want = if r["kind"] == "ca" { "ok" } else { "warn" };
        assert_eq!(r["status"], want, "{r}");
        // openssl verifies every one at that instant.
        let name = r["name"].as_str().unwrap();
        assert_eq!(
            openssl_verify_at(&expired_dir, name, 955_652_400),
            None,
            "{r}"
        );
    }
    // After the leaves' hour, before the CA's end.
    let (code, rows) = check(&expired_dir, "2005-01-01T00:00:00Z");
    assert_eq!(code, 1);
    assert_eq!(names(&rows), want_files);
    for r in &rows {
        let want = if r["kind"] == "ca" { "ok" } else { "expired" };
        assert_eq!(r["status"], want, "{r}");
        // openssl at 2005-01-01T00:00:00Z (1104537600): X509 error 10,
        // "certificate has expired", exactly for the rows we call expired.
        let name = r["name"].as_str().unwrap();
        let err = openssl_verify_at(&expired_dir, name, 1_104_537_600);
        assert_eq!(err, (want == "expired").then_some(10), "{r}");
    }
}

/// `openssl verify -attime T -CAfile ca.crt FILE` in `dir`: None when it
/// verifies, else openssl's X509 error number (`error N at D depth`).
/// The caller checks first that openssl is installed (`common::have_tool`).
fn openssl_verify_at(dir: &Path, file: &str, at: i64) -> Option<u32> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "verify",
            "-attime",
            &at.to_string(),
            "-CAfile",
            "ca.crt",
            file,
        ])
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        assert!(text.contains(&format!("{file}: OK")), "{text}");
        return None;
    }
    let n = text
        .split("error ")
        .skip(1)
        .find_map(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no error number from openssl: {text}"));
    Some(n)
}

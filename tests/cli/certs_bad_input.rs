//! Bad input for `certs check` and `certs show`: a garbage file, a
//! truncated PEM, a DER that is not a certificate, an unreadable directory,
//! a kubeconfig with broken base64, an encrypted key. Each gets one clear
//! message naming the file, the rest of the scan goes on, and the exit code
//! is 2 only when nothing at all could be read.

use std::path::PathBuf;

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

fn rows(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn names(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_folder_of_bad_files_still_checks_the_good_ones() {
    let (code, out, err) = kinspect(&[
        "certs",
        "check",
        "-o",
        "json",
        "--at",
        AT,
        &certs("bad-input"),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("kinspect: warning: "))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "kinspect: warning: broken-base64.conf: clusters[broken].certificate-authority-data is not valid base64 (Invalid symbol 37, offset 20.)",
            "kinspect: warning: garbage.crt: no certificate: neither PEM (no -----BEGIN line) nor a DER certificate",
            "kinspect: warning: not-a-cert.der: DER data is not an X.509 certificate: Parsing Error: InvalidSerial",
            "kinspect: warning: truncated.pem: truncated PEM: no -----END CERTIFICATE----- line",
        ]
    );
    let rows = rows(&out);
    let mut n = names(&rows);
    n.sort();
    assert_eq!(
        n,
        [
            "broken-base64.conf",
            "ca.crt",
            "encrypted.crt",
            "good.crt",
            "good.der"
        ]
    );
    // The client certificate of the broken kubeconfig is still judged.
    let kc = rows
        .iter()
        .find(|r| r["name"] == "broken-base64.conf")
        .unwrap();
    assert_eq!(kc["subject"], "CN=good.example");
    assert_eq!(kc["ca"], "bad-input-ca");
    // An encrypted key cannot be compared: a warning naming it.
    let enc = rows.iter().find(|r| r["name"] == "encrypted.crt").unwrap();
    assert_eq!(enc["status"], "warn");
    assert_eq!(
        enc["findings"][0],
        "private key encrypted.key could not be checked: the key is encrypted"
    );
    assert!(err.contains("4 unreadable"), "{err}");
}

#[test]
fn one_bad_file_alone_is_exit_2() {
    for (file, msg) in [
        (
            "garbage.crt",
            "no certificate: neither PEM (no -----BEGIN line) nor a DER certificate",
        ),
        (
            "truncated.pem",
            "truncated PEM: no -----END CERTIFICATE----- line",
        ),
        (
            "not-a-cert.der",
            "DER data is not an X.509 certificate: Parsing Error: InvalidSerial",
        ),
    ] {
        let path = certs(&format!("bad-input/{file}"));
        let (code, out, err) = kinspect(&["certs", "check", "--at", AT, &path]);
        assert_eq!(code, 2, "{file}");
        assert!(out.is_empty(), "{file}: {out}");
        assert_eq!(
            err.trim(),
            format!("kinspect: error: {path}: {msg}"),
            "{file}"
        );
        let (code, _, err) = kinspect(&["certs", "show", &path]);
        assert_eq!(code, 2, "show {file}");
        assert!(err.contains(msg), "show {file}: {err}");
    }
}

#[test]
fn missing_paths_and_unreadable_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    std::fs::create_dir(&good).unwrap();
    std::fs::copy(certs("bad-input/good.crt"), good.join("good.crt")).unwrap();
    // A directory entry that cannot be read: a dangling symlink to a folder.
    std::os::unix::fs::symlink("/nonexistent/kinspect-test-dir", good.join("gone")).unwrap();
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::copy(certs("bad-input/good.crt"), locked.join("x.crt")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let locked_readable = std::fs::read_dir(&locked).is_ok(); // root reads anything

    let missing = tmp.path().join("missing");
    let (code, out, err) = kinspect(&[
        "certs",
        "check",
        "-o",
        "json",
        "--at",
        AT,
        good.to_str().unwrap(),
        locked.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 0, "{err}");
    let rows = rows(&out);
    assert!(
        names(&rows).iter().any(|n| n.ends_with("good/good.crt")),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "kinspect: warning: {}: cannot read -> /nonexistent/kinspect-test-dir: No such file or directory",
            good.join("gone").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "kinspect: warning: {}: cannot read: No such file or directory",
            missing.display()
        )),
        "{err}"
    );
    if locked_readable {
        eprintln!(
            "note: running as root, a mode-000 directory is readable; checked the dangling link instead"
        );
    } else {
        assert!(
            err.contains(&format!(
                "kinspect: warning: {}: cannot read directory: Permission denied",
                locked.display()
            )),
            "{err}"
        );
    }

    // Nothing readable at all: exit 2.
    let (code, _, err) = kinspect(&["certs", "check", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("kinspect: error: "), "{err}");
}

#[test]
fn kubeconfig_with_broken_base64_names_the_field() {
    let path = certs("bad-input/broken-base64.conf");
    let (code, out, err) = kinspect(&["certs", "show", &path]);
    // The client certificate is shown; the broken CA is an error line.
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("users[broken].client-certificate-data"),
        "{out}"
    );
    assert!(
        err.contains("clusters[broken]: certificate-authority-data is not valid base64"),
        "{err}"
    );
}

#[test]
fn corpus_kubeconfigs_with_redacted_keys() {
    let corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/kubeadm-pki-maxxmoney");
    if !corpus.exists() {
        common::skip_for("corpus", "../shared/corpus not found");
        return;
    }
    let (code, out, _) = kinspect(&[
        "certs",
        "check",
        "-o",
        "json",
        "--at",
        "2020-06-01T00:00:00Z",
        corpus.join("admin.conf").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let rows = rows(&out);
    let admin = rows.iter().find(|r| r["name"] == "admin.conf").unwrap();
    assert_eq!(admin["status"], "warn");
    assert_eq!(
        admin["findings"][0],
        format!(
            "private key {} client-key-data could not be checked: client-key-data is not valid base64 (Invalid symbol 45, offset 8.)",
            corpus.join("admin.conf").display()
        )
    );
}

/// The scenario folders: certs/ of this repository, or `KINSPECT_CERTS_DIR`
/// (to test a fresh `CERTS_DIR=... scripts/make-certs` run).
fn certs_dir() -> PathBuf {
    std::env::var_os("KINSPECT_CERTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs"))
}

#[test]
fn error_lines_name_the_path_once() {
    // A kubeconfig that does not parse, a garbage file, a FIFO: each line
    // is `kinspect: error: PATH: words`, the path not repeated in the words.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "apiVersion: v1\nkind: Config\nclusters: [\n").unwrap();
    let garbage = dir.path().join("garbage.crt");
    std::fs::write(&garbage, "garbage").unwrap();
    let fifo = dir.path().join("pipe.crt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for p in [&conf, &garbage, &fifo] {
        let shown = p.display().to_string();
        let (code, _, err) = kinspect(&["certs", "check", &shown]);
        assert_eq!(code, 2, "{err}");
        let line = err.lines().next().unwrap_or_default();
        assert!(
            line.starts_with(&format!("kinspect: error: {shown}: ")),
            "{err}"
        );
        assert_eq!(
            line.matches(shown.as_str()).count(),
            1,
            "path twice: {line}"
        );
    }
}

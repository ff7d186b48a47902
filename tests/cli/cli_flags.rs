//! Flag rules that hold across commands: durations need a unit (a bare
//! number is a usage error naming the flag), `--at` takes a date as well as
//! an RFC 3339 time, and `certs verify` takes openssl's names (`--cacert`,
//! `--untrusted`) beside its own, with the verdict openssl gives.

use std::process::Command;

use crate::common;

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");

/// Every duration flag, with a bare number: exit 2 before anything runs,
/// and the message names the flag and the fix.
#[test]
fn bare_numbers_are_not_durations() {
    let cases: &[(&[&str], &str)] = &[
        (&["etcd", "watch-leader", "--interval", "100"], "--interval"),
        (&["etcd", "status", "--timeout", "2"], "--timeout"),
        (&["etcd", "watch-leader", "--duration", "60"], "--duration"),
        (
            &["etcd", "watch", "/registry", "--duration", "5"],
            "--duration",
        ),
        (
            &["capture", "--duration", "30", "-w", "/nonexistent/x.pcapng"],
            "--duration",
        ),
        (
            &["tls", "probe", "127.0.0.1:1", "--timeout", "5"],
            "--timeout",
        ),
        (
            &["pcap", "flows", "--idle-timeout", "300", "x.pcap"],
            "--idle-timeout",
        ),
        (
            &["lab", "etcd", "up", "--wait", "30", "--dir", "/nonexistent"],
            "--wait",
        ),
    ];
    for (args, flag) in cases {
        let run = common::kinspect(args);
        assert_eq!(run.code, Some(2), "{args:?}\n{}", run.describe());
        let first = run.stderr.lines().next().unwrap_or_default();
        let bare = args[args.iter().position(|a| a == flag).unwrap() + 1];
        assert!(
            first.starts_with(&format!("error: invalid value '{bare}' for '{flag} <"))
                && first.contains(&format!("has no unit: write {bare}ms, {bare}s or {bare}m")),
            "{args:?}: {first}"
        );
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(
            run.elapsed.as_secs() < 5,
            "{args:?} ran instead of refusing"
        );
    }
}

#[test]
fn durations_with_units_are_accepted() {
    // --help after the value: clap parses the value, then prints help (0).
    for value in ["100ms", "1.5s", "2m", "1m30s", "1h"] {
        let run = common::kinspect(&["etcd", "watch-leader", "--interval", value, "--help"]);
        assert_eq!(run.code, Some(0), "{value}\n{}", run.describe());
    }
}

/// `--at 2027-01-01` is midnight UTC: the same report as the full time,
/// and the summary says when it judged.
#[test]
fn at_takes_a_date() {
    let root = format!("{CERTS}/ca-expiry");
    let date = common::kinspect(&["certs", "check", "--at", "2026-10-01", &root]);
    let full = common::kinspect(&["certs", "check", "--at", "2026-10-01T00:00:00Z", &root]);
    assert_eq!(date.code, Some(1), "{}", date.describe());
    assert_eq!(date.code, full.code);
    assert_eq!(date.stdout, full.stdout);
    assert!(
        // The summary leads the report.
        date.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .ends_with("judged at 2026-10-01T00:00:00.000000Z"),
        "{}",
        date.stdout
    );
    let bad = common::kinspect(&["certs", "check", "--at", "01/10/2026", &root]);
    assert_eq!(bad.code, Some(2), "{}", bad.describe());
    assert!(
        bad.stderr
            .contains("is neither a date (2031-01-01) nor an RFC 3339 time"),
        "{}",
        bad.stderr
    );
}

/// `openssl verify -CAfile root -untrusted intermediate leaf`, and the
/// same with kinspect's `--cacert`/`--untrusted` and `--roots`/
/// `--intermediates`: the same verdict, exit 0 when openssl says OK and
/// 1 when openssl cannot complete the chain.
#[test]
fn certs_verify_takes_openssl_flag_names() {
    if !common::have_tool("openssl", "version") {
        return;
    }
    let f = |n: &str| format!("{CERTS}/chain/{n}");
    let (leaf, root, int) = (f("leaf.crt"), f("root.crt"), f("intermediate.crt"));
    // The chain's leaf is valid 2026-01-01..2124-01-01:
    // judge both tools at 2026-06-01.
    let at_epoch = "1780272000"; // date -d 2026-06-01Z +%s
    let openssl = |extra: &[&str]| {
        let mut c = Command::new("openssl");
        c.args(["verify", "-attime", at_epoch, "-CAfile", &root]);
        c.args(extra).arg(&leaf);
        c.output().expect("openssl verify")
    };
    let theirs = openssl(&["-untrusted", &int]);
    assert!(theirs.status.success(), "{theirs:?}");
    let ours_openssl_names = common::kinspect(&[
        "certs",
        "verify",
        &leaf,
        "--cacert",
        &root,
        "--untrusted",
        &int,
        "--at",
        "2026-06-01",
    ]);
    let ours_own_names = common::kinspect(&[
        "certs",
        "verify",
        &leaf,
        "--roots",
        &root,
        "--intermediates",
        &int,
        "--at",
        "2026-06-01",
    ]);
    assert_eq!(
        ours_openssl_names.code,
        Some(0),
        "{}",
        ours_openssl_names.describe()
    );
    assert_eq!(ours_openssl_names.stdout, ours_own_names.stdout);
    assert!(
        ours_openssl_names
            .stdout
            .starts_with(&format!("{leaf}: OK\n"))
    );

    // Without the intermediate openssl cannot build the chain
    // (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20); neither can we.
    let theirs = openssl(&[]);
    assert_eq!(theirs.status.code(), Some(2), "{theirs:?}");
    let text = String::from_utf8_lossy(&theirs.stdout) + String::from_utf8_lossy(&theirs.stderr);
    assert!(text.contains("error 20 at 0 depth lookup"), "{text}");
    let ours = common::kinspect(&[
        "certs",
        "verify",
        &leaf,
        "--cacert",
        &root,
        "--at",
        "2026-06-01",
    ]);
    assert_eq!(ours.code, Some(1), "{}", ours.describe());
    assert!(
        ours.stdout
            .contains("issuer CN=chain-intermediate is unknown"),
        "{}",
        ours.stdout
    );
}

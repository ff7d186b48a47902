//! The certificate scenarios (certs/, scripts/make-certs) and the doctor's
//! node trees (tests/fixtures/nodes, scripts/make-doctor-fixtures) keep
//! their meaning over time: judged today (no `--at`), in 5 years and in 10
//! years, every scenario gives the same verdict — the same exit code and
//! the same status for every certificate or check. And the verdict is the
//! one the scenario is named for: `healthy` is all ok, an expired kubelet
//! client is expired.
//!
//! Scenarios about a date (a CA expiring before its leaf, a certificate
//! not valid yet, "expires in 5d") are judged at fixed `--at` times in
//! certs_scenarios.rs; here they only must not change with the day.

use std::collections::BTreeMap;

use crate::common;

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");
const NODES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nodes");

/// Node trees for `certs check --root` and `certs kubelet --root`.
const NODE_SCENARIOS: &[&str] = &[
    "healthy",
    "kubelet-expired-client",
    "apiserver-missing-node-ip",
    "wrong-ca-client",
    "key-mismatch",
    "etcd-eku",
    "kubelet-serving-unverifiable",
    "kubelet-server-bootstrap",
];

/// Files and folders for `certs check PATH`.
const PATH_SCENARIOS: &[&str] = &[
    "ca-expiry",
    "weak",
    "dates",
    "chain",
    "ca-flags/pki",
    "bad-input",
];

const DOCTOR_NODES: &[&str] = &[
    "healthy",
    "apiserver-wrong-port",
    "etcd-servers-peer-port",
    "kubelet-expired-client",
    "cni-corrupt",
    "cni-empty",
    "expired-client-and-wrong-port",
];

/// `None` (now) and the RFC 3339 times 5 and 10 years from now.
fn times() -> Vec<Option<String>> {
    let now = time::OffsetDateTime::now_utc();
    let later = |years: i32| {
        let t = now
            .replace_year(now.year() + years)
            // 29 February in a year that has none: take the 28th.
            .or_else(|_| {
                now.replace_day(28)
                    .and_then(|d| d.replace_year(now.year() + years))
            })
            .expect("a date years from now");
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("formats")
    };
    vec![None, Some(later(5)), Some(later(10))]
}

/// Exit code and `(name, status)` of every JSON row, from `kinspect ARGS
/// [--at T] -o json`.
fn verdict(args: &[&str], at: &Option<String>, key: &[&str]) -> (Option<i32>, Vec<Vec<String>>) {
    let mut a: Vec<&str> = args.to_vec();
    if let Some(t) = at {
        a.extend(["--at", t]);
    }
    a.extend(["-o", "json"]);
    let run = common::kinspect(&a);
    let mut rows: Vec<Vec<String>> = common::json_lines(&format!("{a:?}"), &run.stdout)
        .iter()
        .map(|r| {
            key.iter()
                .map(|k| match &r[*k] {
                    serde_json::Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .collect()
        })
        .collect();
    rows.sort();
    (run.code, rows)
}

/// Runs `args` at every time and asserts one verdict; returns it.
fn same_verdict(args: &[&str], key: &[&str]) -> (Option<i32>, Vec<Vec<String>>) {
    let mut seen: BTreeMap<String, (Option<i32>, Vec<Vec<String>>)> = BTreeMap::new();
    for at in times() {
        let label = at.clone().unwrap_or_else(|| "now".into());
        seen.insert(label, verdict(args, &at, key));
    }
    let mut it = seen.iter();
    let (first_at, first) = it.next().expect("three times");
    for (at, v) in it {
        assert_eq!(
            v, first,
            "{args:?}: the verdict at {at} differs from the one at {first_at}"
        );
    }
    first.clone()
}

#[test]
fn certs_check_verdicts_do_not_depend_on_the_day() {
    for s in NODE_SCENARIOS {
        let root = format!("{CERTS}/{s}");
        let (code, rows) = same_verdict(&["certs", "check", "--root", &root], &["name", "status"]);
        assert!(!rows.is_empty(), "{s}");
        match *s {
            "healthy" | "kubelet-server-bootstrap" => {
                assert_eq!(code, Some(0), "{s}: {rows:?}");
                for r in &rows {
                    assert_eq!(r[1], "ok", "{s}: {r:?}");
                }
            }
            "kubelet-expired-client" => {
                assert_eq!(code, Some(1), "{s}");
                let bad: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] != "ok").collect();
                assert_eq!(
                    bad,
                    [&vec!["kubelet client".to_string(), "expired".to_string()]]
                );
            }
            _ => {
                assert_eq!(code, Some(1), "{s}: {rows:?}");
                assert!(rows.iter().any(|r| r[1] == "invalid"), "{s}: {rows:?}");
                assert!(!rows.iter().any(|r| r[1] == "warn"), "{s}: {rows:?}");
            }
        }
    }
    for s in PATH_SCENARIOS {
        let path = format!("{CERTS}/{s}");
        let (code, rows) = same_verdict(&["certs", "check", &path], &["name", "status"]);
        assert!(!rows.is_empty(), "{s}");
        assert!(matches!(code, Some(0) | Some(1)), "{s}: {code:?}");
    }
}

#[test]
fn certs_kubelet_verdicts_do_not_depend_on_the_day() {
    for s in NODE_SCENARIOS {
        let root = format!("{CERTS}/{s}");
        let (code, rows) = same_verdict(
            &["certs", "kubelet", "--root", &root],
            &["role", "status", "current"],
        );
        let want = match *s {
            "kubelet-expired-client" | "kubelet-serving-unverifiable" | "key-mismatch" => 1,
            _ => 0,
        };
        assert_eq!(code, Some(want), "{s}: {rows:?}");
    }
}

#[test]
fn doctor_verdicts_do_not_depend_on_the_day() {
    for n in DOCTOR_NODES {
        let root = format!("{NODES}/{n}");
        let (code, rows) = same_verdict(
            &["doctor", "--root", &root],
            &["check", "status", "file", "line"],
        );
        let fails = rows.iter().filter(|r| r[1] == "fail").count();
        if *n == "healthy" {
            assert_eq!(code, Some(0), "{n}: {rows:?}");
            assert_eq!(fails, 0, "{n}");
            assert!(
                !rows.iter().any(|r| r[0] == "certificates" && r[1] != "ok"),
                "{n}: a certificate is not ok: {rows:?}"
            );
        } else {
            assert_eq!(code, Some(1), "{n}: {rows:?}");
            assert!(fails > 0, "{n}");
        }
    }
}

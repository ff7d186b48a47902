//! `-o` across commands: Prometheus text is `certs check`'s alone; every
//! other command refuses it with a usage error instead of printing
//! something else.

use std::path::Path;

use crate::common;

fn kinspect(args: &[&str]) -> (Option<i32>, String, String) {
    let run = common::kinspect_in(args, Path::new(env!("CARGO_MANIFEST_DIR"))).finished();
    (run.code, run.stdout, run.stderr)
}

#[test]
fn certs_check_speaks_prometheus() {
    let (code, out, err) = kinspect(&[
        "certs",
        "check",
        "--root",
        "certs/kubelet-expired-client",
        "--at",
        "2026-06-01T00:00:00Z",
        "-o",
        "prometheus",
    ]);
    assert_eq!(
        code,
        Some(1),
        "an expired kubelet client cert is a problem\n{err}"
    );
    assert!(out.contains("# TYPE x509_cert_not_after gauge"), "{out}");
    let expired: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("x509_cert_expired{") && l.ends_with(" 1"))
        .collect();
    assert_eq!(
        expired.len(),
        1,
        "exactly the kubelet client is expired:\n{out}"
    );
    assert!(expired[0].contains("kubelet-client"), "{}", expired[0]);
}

#[test]
fn other_commands_refuse_prometheus() {
    for args in [
        &[
            "pcap",
            "flows",
            "-o",
            "prometheus",
            "captures/etcd-any-sll2.pcapng",
        ][..],
        &["etcd", "status", "-o", "prometheus"][..],
    ] {
        let (code, out, err) = kinspect(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(out.is_empty(), "{args:?} printed {out}");
        assert!(
            err.contains("-o prometheus is only for `certs check`"),
            "{args:?}: {err}"
        );
    }
}

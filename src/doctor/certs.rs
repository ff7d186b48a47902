//! Certificates: the kubelet's certificate story first (`certs kubelet`:
//! the current client certificate, rotation, the serving certificate),
//! then everything `certs check` finds under `/etc/kubernetes` and
//! `/var/lib/kubelet`, judged at `--at`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::node::{line_starting, read_text};
use super::{DoctorOptions, Finding, Node, Status};
use crate::pki::Finding as CertFinding;
use crate::pki::Status as CertStatus;
use crate::pki::check::{CheckOptions, check as check_certs};
use crate::pki::kubelet::{KubeletOptions, inspect};

const KUBELET: &str = "kubelet-certs";
const CERTS: &str = "certificates";
const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";

fn status_of(s: CertStatus) -> Status {
    match s {
        CertStatus::Ok => Status::Ok,
        CertStatus::Warn => Status::Warn,
        _ => Status::Fail,
    }
}

fn joined(findings: &[CertFinding]) -> String {
    findings
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn check(node: &Node, opts: &DoctorOptions, findings: &mut Vec<Finding>) {
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let k = inspect(&KubeletOptions {
        root: node.root.clone(),
        at: opts.at,
        warn_days: opts.warn_days,
        probe: None,
    });
    let mut current: Vec<_> = k.certificates.iter().filter(|c| c.current).collect();
    current.sort_by_key(|c| c.role != "client");
    for c in current {
        reported.insert(c.path.clone());
        let details = joined(&c.findings);
        let message = if c.status.is_problem() && !details.is_empty() {
            format!("kubelet {} certificate: {details}", c.role)
        } else if details.is_empty() {
            format!("kubelet {} certificate: {}", c.role, c.verdict)
        } else {
            format!("kubelet {} certificate: {} ({details})", c.role, c.verdict)
        };
        let mut f = Finding::new(KUBELET, status_of(c.status), message).file(&c.path);
        if let Some(r) = &c.remedy {
            f = f.fix(r.clone());
        }
        findings.push(f);
    }
    if k.config.rotate_certificates == Some(false) {
        let line = read_text(&node.host(KUBELET_CONFIG))
            .ok()
            .and_then(|t| line_starting(&t, "rotateCertificates:", 1));
        findings.push(
            Finding::new(
                KUBELET,
                Status::Warn,
                "rotateCertificates: false: nothing renews the kubelet's client certificate before it expires",
            )
            .file(KUBELET_CONFIG)
            .line(line)
            .fix(format!("set rotateCertificates: true in {KUBELET_CONFIG}, then systemctl restart kubelet")),
        );
    }
    for p in &k.problems {
        findings.push(Finding::new(KUBELET, Status::Warn, p.message.clone()).file(&p.path));
    }

    let report = check_certs(&CheckOptions {
        paths: Vec::<PathBuf>::new(),
        root: node.root.clone(),
        at: opts.at,
        warn_days: opts.warn_days,
    });
    let mut bad = 0usize;
    for row in &report.rows {
        if reported.contains(&row.path) || row.status == CertStatus::Ok {
            continue;
        }
        bad += 1;
        let fix = match (row.status, row.role) {
            (CertStatus::Expired, Some(_)) | (CertStatus::Warn, Some(_)) => format!(
                "renew it: kubeadm certs renew {} (then restart the static pods that use it)",
                row.name
            ),
            _ => "reissue the certificate from the right CA with the required names and usages"
                .to_string(),
        };
        findings.push(
            Finding::new(
                CERTS,
                status_of(row.status),
                format!("{}: {}: {}", row.name, row.status, joined(&row.findings)),
            )
            .file(&row.path)
            .fix(fix),
        );
    }
    // Manifests are judged by the manifests check; no double report.
    let manifest_dir = format!("{}/", super::manifests::MANIFEST_DIR);
    for p in report
        .problems
        .iter()
        .filter(|p| !p.path.starts_with(&manifest_dir))
    {
        findings.push(Finding::new(CERTS, Status::Warn, p.message.clone()).file(&p.path));
    }
    // Rows judged by another check (the kubelet's) are not counted here:
    // "none expired" must not contradict an expired kubelet certificate
    // reported above.
    let elsewhere = report
        .rows
        .iter()
        .filter(|r| reported.contains(&r.path))
        .count();
    let here = report.rows.len() - elsewhere;
    if bad == 0 && here > 0 {
        let other = if elsewhere > 0 { " other" } else { "" };
        findings.push(Finding::new(
            CERTS,
            Status::Ok,
            format!("{here}{other} certificates checked, none expired or invalid"),
        ));
    }
}

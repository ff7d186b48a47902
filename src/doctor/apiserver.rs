//! The apiserver's port: `--secure-port` in the kube-apiserver manifest
//! against the `server:` of every kubeconfig in `/etc/kubernetes` and the
//! port of the manifest's own liveness, readiness and startup probes; a
//! `--bind-address` that the kubeconfigs' server addresses miss; an
//! `--advertise-address` that the bind address, the kubeconfigs or the
//! manifest's own probe hosts disagree with.

use std::net::IpAddr;
use std::path::Path;

use super::node::{Url, line_starting, parse_port, read_text};
use super::{Finding, Node, Status};
use crate::pki::kubeconfig::Kubeconfig;

const CHECK: &str = "apiserver-port";
/// The kubeconfigs kubeadm writes.
pub const KUBECONFIGS: [&str; 5] = [
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/super-admin.conf",
    "/etc/kubernetes/kubelet.conf",
    "/etc/kubernetes/controller-manager.conf",
    "/etc/kubernetes/scheduler.conf",
];
const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];

/// Something that names the apiserver's port.
struct Reference {
    what: String,
    file: String,
    line: Option<usize>,
    port: u16,
    /// The host a kubeconfig connects to (`None` for probes).
    host: Option<String>,
    /// How to fix this reference alone.
    fix: String,
}

pub fn check(node: &Node, findings: &mut Vec<Finding>) {
    let Some(m) = node.manifests.apiserver() else {
        if node.manifests.dir_found {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Warn,
                    "no kube-apiserver manifest: port not checked",
                )
                .file(super::manifests::MANIFEST_DIR),
            );
        }
        return;
    };
    let flag = m.flag("secure-port");
    let written = flag
        .map(|f| f.value.clone())
        .unwrap_or_else(|| "6443".to_string());
    let flag_line = flag.and_then(|f| f.line);
    let secure = match parse_port(&written) {
        Ok(p) => p,
        Err(why) => {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!("--secure-port={written}: {why}; kube-apiserver exits at start"),
                )
                .file(&m.file)
                .line(flag_line)
                .fix("set --secure-port=6443 in kube-apiserver.yaml"),
            );
            return;
        }
    };
    let mut refs = Vec::new();
    probe_refs(m, secure, &mut refs, findings);
    kubeconfig_refs(node, secure, &mut refs, findings);
    bind_address(m, &refs, findings);
    advertise_address(m, &refs, findings);
    let wrong: Vec<&Reference> = refs.iter().filter(|r| r.port != secure).collect();
    if wrong.is_empty() {
        findings.push(
            Finding::new(
                CHECK,
                Status::Ok,
                format!(
                    "--secure-port={secure} matches {} kubeconfig and probe references",
                    refs.len()
                ),
            )
            .file(&m.file)
            .line(flag_line),
        );
        return;
    }
    let first = wrong[0].port;
    if wrong.len() == refs.len() && wrong.iter().all(|r| r.port == first) {
        let names: Vec<&str> = wrong.iter().map(|r| r.what.as_str()).collect();
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "--secure-port={secure}, but everything else uses {first} ({}): kubectl, kubelet, scheduler and controller-manager get connection refused",
                    names.join(", ")
                ),
            )
            .file(&m.file)
            .line(flag_line)
            .endpoint(format!(":{first}"))
            .fix(format!(
                "set --secure-port={first} in kube-apiserver.yaml; the kubelet restarts the pod"
            )),
        );
        return;
    }
    for r in wrong {
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "{} uses port {}, but kube-apiserver listens on {secure} (--secure-port)",
                    r.what, r.port
                ),
            )
            .file(&r.file)
            .line(r.line)
            .fix(r.fix.clone()),
        );
    }
}

/// The static pod's (only) container, where its flags and probes live.
fn first_container(m: &super::manifests::Manifest) -> Option<&serde_norway::Value> {
    m.doc
        .get("spec")
        .and_then(|s| s.get("containers"))
        .and_then(|c| c.as_sequence())
        .and_then(|c| c.first())
}

fn probe_refs(
    m: &super::manifests::Manifest,
    secure: u16,
    refs: &mut Vec<Reference>,
    findings: &mut Vec<Finding>,
) {
    let Some(c) = first_container(m) else {
        return;
    };
    for probe in PROBES {
        let Some(port) = c
            .get(probe)
            .and_then(|p| p.get("httpGet").or_else(|| p.get("tcpSocket")))
            .and_then(|h| h.get("port"))
        else {
            continue;
        };
        let probe_line = line_starting(&m.text, &format!("{probe}:"), 1);
        let line = probe_line.and_then(|l| line_starting(&m.text, "port:", l));
        let written = match port {
            serde_norway::Value::Number(n) => n.to_string(),
            serde_norway::Value::String(s) => s.clone(),
            _ => continue,
        };
        match parse_port(&written) {
            Ok(p) => refs.push(Reference {
                what: format!("{probe} port"),
                file: m.file.clone(),
                line,
                port: p,
                host: None,
                fix: format!("set {probe}.httpGet.port: {secure} in kube-apiserver.yaml"),
            }),
            Err(why) if written.chars().all(|c| c.is_ascii_digit()) => findings.push(
                Finding::new(CHECK, Status::Fail, format!("{probe}: {why}"))
                    .file(&m.file)
                    .line(line)
                    .fix(format!("set {probe}.httpGet.port: {secure}")),
            ),
            // A named container port: not a number to compare.
            Err(_) => {}
        }
    }
}

fn kubeconfig_refs(
    node: &Node,
    secure: u16,
    refs: &mut Vec<Reference>,
    findings: &mut Vec<Finding>,
) {
    for file in KUBECONFIGS {
        let host = node.host(file);
        if !host.exists() {
            continue;
        }
        let text = match read_text(&host) {
            Ok(t) => t,
            Err(e) => {
                findings.push(
                    Finding::new(CHECK, Status::Warn, format!("not checked: {e}")).file(file),
                );
                continue;
            }
        };
        let kc = match Kubeconfig::parse(text.as_bytes(), Path::new(file), &node.root) {
            Ok(k) => k,
            Err(e) => {
                findings.push(
                    Finding::new(CHECK, Status::Warn, format!("not checked: {e}")).file(file),
                );
                continue;
            }
        };
        for cl in &kc.clusters {
            let Some(server) = &cl.server else { continue };
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("server:") && l.contains(server.as_str()))
                .map(|i| i + 1);
            let url = Url::parse(server);
            let name = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match url.port_number() {
                Ok(p) => refs.push(Reference {
                    what: name,
                    file: file.to_string(),
                    line,
                    port: p,
                    host: Some(url.host.clone()),
                    fix: format!("set server: https://{}:{secure} in {file}", url.host),
                }),
                Err(why) => findings.push(
                    Finding::new(CHECK, Status::Fail, format!("server: {server}: {why}"))
                        .file(file)
                        .line(line)
                        .fix(format!("set server: https://{}:{secure}", url.host)),
                ),
            }
        }
    }
}

/// `--bind-address` set to one address: kubeconfigs that connect to
/// another IP of the node get connection refused.
fn bind_address(m: &super::manifests::Manifest, refs: &[Reference], findings: &mut Vec<Finding>) {
    let Some(flag) = m.flag("bind-address") else {
        return;
    };
    let Ok(bind) = flag.value.trim().parse::<IpAddr>() else {
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "--bind-address={} is not an IP address; kube-apiserver exits at start",
                    flag.value
                ),
            )
            .file(&m.file)
            .line(flag.line)
            .fix("set --bind-address=0.0.0.0 (all addresses) or the node's IP"),
        );
        return;
    };
    if bind.is_unspecified() {
        return;
    }
    for r in refs {
        let Some(host) = r.host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()) else {
            continue;
        };
        if host == bind || (host.is_loopback() && bind.is_loopback()) {
            continue;
        }
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "{} connects to {host}, but kube-apiserver listens only on --bind-address={bind} ({}:{})",
                    r.what,
                    m.file,
                    flag.line.map(|l| l.to_string()).unwrap_or_default()
                ),
            )
            .file(&r.file)
            .line(r.line)
            .fix(format!(
                "remove --bind-address (or set it to 0.0.0.0) in kube-apiserver.yaml, or point {} at {bind}",
                r.what
            )),
        );
    }
}

/// `--advertise-address`: the address the apiserver publishes (the
/// `kubernetes` Service endpoint, other nodes). kubeadm writes the same
/// address into the kubeconfigs' `server:` and the probes' `host:`.
fn advertise_address(
    m: &super::manifests::Manifest,
    refs: &[Reference],
    findings: &mut Vec<Finding>,
) {
    let Some(flag) = m.flag("advertise-address") else {
        return;
    };
    let Ok(adv) = flag.value.trim().parse::<IpAddr>() else {
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "--advertise-address={} is not an IP address; kube-apiserver exits at start",
                    flag.value
                ),
            )
            .file(&m.file)
            .line(flag.line)
            .fix("set --advertise-address to the node's IP (ip -br addr)"),
        );
        return;
    };
    let bind = m
        .flag("bind-address")
        .and_then(|b| b.value.trim().parse::<IpAddr>().ok());
    if let Some(bind) = bind.filter(|b| !b.is_unspecified()) {
        if bind != adv {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!(
                        "--advertise-address={adv} but --bind-address={bind}: the apiserver publishes an address it does not listen on (the kubernetes Service and other nodes get connection refused)"
                    ),
                )
                .file(&m.file)
                .line(flag.line)
                .fix(format!("set --bind-address=0.0.0.0 or --advertise-address={bind}")),
            );
        }
        // The bind check already judges every client address.
        return;
    }
    for r in refs {
        let Some(host) = r.host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()) else {
            continue;
        };
        if host == adv || host.is_loopback() {
            continue;
        }
        findings.push(
            Finding::new(
                CHECK,
                Status::Warn,
                format!(
                    "{} connects to {host}, but kube-apiserver advertises {adv} (--advertise-address, {}:{}): fine only if {host} is another address of this node or a load balancer in front of it",
                    r.what,
                    m.file,
                    flag.line.map(|l| l.to_string()).unwrap_or_default()
                ),
            )
            .file(&r.file)
            .line(r.line)
            .fix(format!("point {} at https://{adv}:{} (or fix --advertise-address)", r.what, r.port)),
        );
    }
    let Some(c) = first_container(m) else {
        return;
    };
    for probe in PROBES {
        let Some(host) = c
            .get(probe)
            .and_then(|p| p.get("httpGet"))
            .and_then(|h| h.get("host"))
            .and_then(|h| h.as_str())
        else {
            continue;
        };
        let Ok(ip) = host.trim().parse::<IpAddr>() else {
            continue;
        };
        if ip == adv || ip.is_loopback() {
            continue;
        }
        let probe_line = line_starting(&m.text, &format!("{probe}:"), 1);
        let line = probe_line.and_then(|l| line_starting(&m.text, "host:", l));
        findings.push(
            Finding::new(
                CHECK,
                Status::Warn,
                format!(
                    "{probe} host {ip} is not --advertise-address={adv}: the kubelet probes an address kubeadm would not have written; if it is not on this node the probe fails and the kubelet restarts kube-apiserver"
                ),
            )
            .file(&m.file)
            .line(line)
            .fix(format!("set {probe}.httpGet.host: {adv} in kube-apiserver.yaml")),
        );
    }
}

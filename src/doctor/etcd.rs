//! The apiserver's way to etcd: `--etcd-servers` against the etcd
//! manifest's `--listen-client-urls` and `--listen-peer-urls` (the classic
//! mistake: the peer port 2380 instead of the client port 2379), the URL
//! scheme against etcd's TLS flags, and the apiserver's etcd TLS flags.

use super::node::Url;
use super::{Finding, Node, Status};

const CHECK: &str = "etcd-endpoints";

/// Why a peer port in `--etcd-servers` is wrong, and why it can go unseen.
pub const PEER_PORT_WHY: &str = "that is etcd's peer port (raft between members), not its client port: etcd >= 3.6 rejects client requests there, while etcd 3.4/3.5 still answers them, which hides the mistake until an upgrade";

pub fn check(node: &Node, findings: &mut Vec<Finding>) {
    let Some(api) = node.manifests.apiserver() else {
        return;
    };
    let servers = api.list("etcd-servers");
    let servers_line = api.flag("etcd-servers").and_then(|f| f.line);
    if servers.is_empty() {
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                "kube-apiserver has no --etcd-servers: it exits at start",
            )
            .file(&api.file)
            .fix("add --etcd-servers=https://127.0.0.1:2379 to kube-apiserver.yaml"),
        );
        return;
    }
    let etcd = node.manifests.etcd();
    let urls = |name: &str| -> Vec<Url> {
        etcd.map(|m| m.list(name).iter().map(|u| Url::parse(u)).collect())
            .unwrap_or_default()
    };
    let client = urls("listen-client-urls");
    let mut peer = urls("listen-peer-urls");
    peer.extend(urls("initial-advertise-peer-urls"));
    let client_ports: Vec<u16> = client.iter().filter_map(|u| u.port_number().ok()).collect();
    let peer_ports: Vec<u16> = peer.iter().filter_map(|u| u.port_number().ok()).collect();
    let peer_line = etcd
        .and_then(|m| m.flag("listen-peer-urls"))
        .and_then(|f| f.line);
    let etcd_file = etcd.map(|m| m.file.clone()).unwrap_or_default();
    let mut any_tls = false;
    for s in &servers {
        let url = Url::parse(s);
        let endpoint = format!("{}:{}", url.host, url.port.clone().unwrap_or_default());
        let port = match url.port_number() {
            Ok(p) => p,
            Err(why) => {
                findings.push(
                    Finding::new(CHECK, Status::Fail, format!("--etcd-servers {s}: {why}"))
                        .file(&api.file)
                        .line(servers_line)
                        .endpoint(endpoint)
                        .fix("use https://127.0.0.1:2379 (etcd's client URL)"),
                );
                continue;
            }
        };
        if url.scheme == "https" {
            any_tls = true;
        }
        let client_fix = client
            .iter()
            .find(|c| c.port_number().is_ok())
            .map(|c| {
                format!(
                    "{}://{}:{}",
                    c.scheme,
                    url.host,
                    c.port.clone().unwrap_or_default()
                )
            })
            .unwrap_or_else(|| format!("{}://{}:2379", url.scheme, url.host));
        if peer_ports.contains(&port) && !client_ports.contains(&port) {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!(
                        "--etcd-servers {s} points at port {port}: {PEER_PORT_WHY} (etcd.yaml --listen-peer-urls{})",
                        peer_line.map(|l| format!(" at line {l}")).unwrap_or_default()
                    ),
                )
                .file(&api.file)
                .line(servers_line)
                .endpoint(endpoint)
                .fix(format!("set --etcd-servers={client_fix} in kube-apiserver.yaml")),
            );
            continue;
        }
        if etcd.is_some() && !client_ports.is_empty() && !client_ports.contains(&port) {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!(
                        "--etcd-servers {s}: etcd listens for clients on {:?} ({etcd_file} --listen-client-urls), not on {port}",
                        client_ports
                    ),
                )
                .file(&api.file)
                .line(servers_line)
                .endpoint(endpoint)
                .fix(format!("set --etcd-servers={client_fix} in kube-apiserver.yaml")),
            );
            continue;
        }
        if let Some(c) = client
            .iter()
            .find(|c| c.port_number().ok() == Some(port) && !c.scheme.is_empty())
            && c.scheme != url.scheme
        {
            let why = if c.scheme == "https" {
                "etcd serves TLS there: the apiserver's plain HTTP requests fail"
            } else {
                "etcd serves plain HTTP there: the apiserver's TLS handshake fails"
            };
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!(
                        "--etcd-servers {s} uses {}, but etcd's client URL is {}: {why}",
                        url.scheme, c.scheme
                    ),
                )
                .file(&api.file)
                .line(servers_line)
                .endpoint(endpoint)
                .fix(format!(
                    "set --etcd-servers={client_fix} in kube-apiserver.yaml"
                )),
            );
            continue;
        }
        findings.push(
            Finding::new(
                CHECK,
                Status::Ok,
                if etcd.is_some() {
                    format!("--etcd-servers {s} is an etcd client URL ({etcd_file} --listen-client-urls)")
                } else {
                    format!("--etcd-servers {s} parsed (no etcd manifest: external etcd, not compared)")
                },
            )
            .file(&api.file)
            .line(servers_line)
            .endpoint(endpoint),
        );
    }
    if any_tls {
        for (flag, what) in [
            (
                "etcd-cafile",
                "the etcd CA (/etc/kubernetes/pki/etcd/ca.crt)",
            ),
            (
                "etcd-certfile",
                "its etcd client certificate (/etc/kubernetes/pki/apiserver-etcd-client.crt)",
            ),
            (
                "etcd-keyfile",
                "its etcd client key (/etc/kubernetes/pki/apiserver-etcd-client.key)",
            ),
        ] {
            if api.flag(flag).is_none_or(|f| f.value.is_empty()) {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!("--etcd-servers uses https but --{flag} is missing: the apiserver lacks {what}"),
                    )
                    .file(&api.file)
                    .line(servers_line)
                    .fix(format!("add --{flag}=... to kube-apiserver.yaml")),
                );
            }
        }
    }
}

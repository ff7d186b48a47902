//! `doctor --probe`: what answers on the ports the manifests name. The
//! apiserver's `--secure-port` gets a TCP connect and a TLS probe
//! ([`crate::pki::probe`], verified against the cluster CA), the kubelet's
//! 10250 the `certs kubelet --probe` diagnosis; every
//! `--etcd-servers` URL gets an etcd client call ([`crate::etcd::client`]
//! with the apiserver's own etcd certificates) and is named: etcd's client
//! API, etcd's client API answering on a member's *peer* URL (etcd < 3.6),
//! etcd's peer API refusing client requests (etcd >= 3.6), not TLS,
//! nothing at all. Every other URL in etcd's own `--listen-client-urls`
//! and `--listen-peer-urls` is probed the same way: does etcd really
//! listen where its manifest says?

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use super::node::Url;
use super::{DoctorOptions, Finding, Node, Status};
use crate::etcd::client::{ClientError, EtcdOptions};
use crate::pki::kubelet::{KubeletOptions, inspect};
use crate::pki::probe::{ProbeOptions, Target, Trust, Verdict, probe};

const CHECK: &str = "probe";
const TIMEOUT: Duration = Duration::from_secs(3);

/// What answered on an etcd URL.
#[derive(Debug)]
enum EtcdAnswer {
    /// The etcd client API answered; `peer_of` names the member whose peer
    /// URL this is (etcd < 3.6 answers client requests there).
    Client {
        version: String,
        peer_of: Option<String>,
    },
    Error(ClientError),
}

pub fn check(node: &Node, opts: &DoctorOptions, findings: &mut Vec<Finding>) {
    let Some(api) = node.manifests.apiserver() else {
        findings.push(Finding::new(
            CHECK,
            Status::Warn,
            "no kube-apiserver manifest: nothing to probe",
        ));
        return;
    };
    apiserver(node, api, opts, findings);
    kubelet(node, api, opts, findings);
    let https = api
        .list("etcd-servers")
        .iter()
        .any(|s| s.starts_with("https://"));
    let file = |flag: &str| -> Option<PathBuf> {
        api.flag(flag)
            .filter(|f| https && !f.value.is_empty())
            .map(|f| node.host(&f.value))
    };
    let base = EtcdOptions {
        endpoints: Vec::new(),
        cacert: file("etcd-cafile"),
        cert: file("etcd-certfile"),
        key: file("etcd-keyfile"),
        timeout: TIMEOUT,
        kubeadm: None,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            findings.push(Finding::new(
                CHECK,
                Status::Warn,
                format!("etcd not probed: cannot start the async runtime: {e}"),
            ));
            return;
        }
    };
    let mut probed = Vec::new();
    for s in api.list("etcd-servers") {
        let url = Url::parse(&s);
        let Ok(port) = url.port_number() else {
            continue;
        };
        let endpoint = format!("{}:{port}", url.host);
        probed.push(endpoint.clone());
        let f = Finding::new(CHECK, Status::Ok, "")
            .file(&api.file)
            .line(api.flag("etcd-servers").and_then(|f| f.line))
            .endpoint(&endpoint);
        if let Err(why) = tcp_connect(&endpoint) {
            findings.push(Finding {
                status: Status::Fail,
                message: format!("--etcd-servers {s}: nothing answers ({why})"),
                fix: Some("start etcd (check crictl ps -a, journalctl -u kubelet) or point --etcd-servers at its client URL".into()),
                ..f
            });
            continue;
        }
        let answer = rt.block_on(etcd_answer(&base, &s));
        let (status, message, fix) = match answer {
            EtcdAnswer::Client {
                version,
                peer_of: Some(member),
            } => (
                Status::Fail,
                format!(
                    "--etcd-servers {s}: etcd {version} answered, but this is member {member}'s peer URL: etcd < 3.6 answers client requests on the peer port, etcd >= 3.6 rejects them"
                ),
                Some(
                    "point --etcd-servers at etcd's client URL (port 2379 by default)".to_string(),
                ),
            ),
            EtcdAnswer::Client {
                version,
                peer_of: None,
            } => (
                Status::Ok,
                format!("--etcd-servers {s}: etcd {version} client API answered"),
                None,
            ),
            EtcdAnswer::Error(e) => {
                let text = e.short();
                let peer = text.contains("peer port");
                (
                    Status::Fail,
                    if peer {
                        format!(
                            "--etcd-servers {s}: etcd's peer API answered and refuses client requests: {text}"
                        )
                    } else {
                        format!("--etcd-servers {s}: {text}")
                    },
                    Some(if peer {
                        "point --etcd-servers at etcd's client URL (port 2379 by default)"
                            .to_string()
                    } else {
                        "check the URL scheme and the --etcd-cafile/--etcd-certfile/--etcd-keyfile against etcd's CA".to_string()
                    }),
                )
            }
        };
        findings.push(Finding {
            status,
            message,
            fix,
            ..f
        });
    }
    etcd_listen_urls(node, &base, &rt, &probed, findings);
}

/// Every URL the etcd manifest says etcd listens on (`--listen-client-urls`,
/// `--listen-peer-urls`) that `--etcd-servers` did not already cover: is
/// something there, and is it etcd's client or peer API?
fn etcd_listen_urls(
    node: &Node,
    base: &EtcdOptions,
    rt: &tokio::runtime::Runtime,
    probed: &[String],
    findings: &mut Vec<Finding>,
) {
    let Some(etcd) = node.manifests.etcd() else {
        return;
    };
    let mut seen: Vec<String> = probed.to_vec();
    for (flag, peer) in [("listen-client-urls", false), ("listen-peer-urls", true)] {
        for s in etcd.list(flag) {
            let url = Url::parse(&s);
            let Ok(port) = url.port_number() else {
                continue;
            };
            let endpoint = format!("{}:{port}", url.host);
            if seen.contains(&endpoint) {
                continue;
            }
            seen.push(endpoint.clone());
            let f = Finding::new(CHECK, Status::Ok, "")
                .file(&etcd.file)
                .line(etcd.flag(flag).and_then(|f| f.line))
                .endpoint(&endpoint);
            if let Err(why) = tcp_connect(&endpoint) {
                findings.push(Finding {
                    status: Status::Fail,
                    message: format!("--{flag} {s}: nothing answers ({why}); etcd is not running, or this address is not on the node"),
                    fix: Some("check crictl ps -a and crictl logs on the etcd container; the address must be one of the node's (ip -br addr)".into()),
                    ..f
                });
                continue;
            }
            let answer = rt.block_on(etcd_answer(base, &s));
            let (status, message) = match (answer, peer) {
                (EtcdAnswer::Client { version, .. }, false) => (
                    Status::Ok,
                    format!("--{flag} {s}: etcd {version} client API answered"),
                ),
                (EtcdAnswer::Client { version, peer_of }, true) => (
                    Status::Ok,
                    format!(
                        "--{flag} {s}: etcd {version} listens here{} (etcd < 3.6 also answers client calls on its peer port)",
                        peer_of
                            .map(|m| format!(" as member {m}'s peer URL"))
                            .unwrap_or_default()
                    ),
                ),
                (EtcdAnswer::Error(e), true) if e.short().contains("peer port") => (
                    Status::Ok,
                    format!(
                        "--{flag} {s}: etcd's peer API listens here and refuses client calls, as it should"
                    ),
                ),
                (EtcdAnswer::Error(e), _) => (
                    Status::Warn,
                    format!(
                        "--{flag} {s}: something listens but the etcd client call failed: {}",
                        e.short()
                    ),
                ),
            };
            findings.push(Finding {
                status,
                message,
                ..f
            });
        }
    }
}

fn tcp_connect(endpoint: &str) -> Result<(), String> {
    let addrs: Vec<_> = endpoint
        .to_socket_addrs()
        .map_err(|e| crate::pki::load::io_message(&e))?
        .collect();
    let mut last = "no address".to_string();
    for a in addrs {
        match TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = crate::pki::load::io_message(&e),
        }
    }
    Err(last)
}

async fn etcd_answer(base: &EtcdOptions, url: &str) -> EtcdAnswer {
    let ep = url.trim_end_matches('/').to_string();
    let r = async {
        let mut c = base.connect_to(std::slice::from_ref(&ep)).await?;
        let status = base.call(&ep, c.status()).await?;
        let members = base.call(&ep, c.member_list()).await.ok();
        Ok::<_, ClientError>((status.version().to_string(), members))
    }
    .await;
    match r {
        Ok((version, members)) => {
            let me = Url::parse(&ep);
            let peer_of = members.and_then(|m| {
                m.members()
                    .iter()
                    .find(|m| {
                        m.peer_urls().iter().any(|p| {
                            let p = Url::parse(p);
                            p.host == me.host && p.port_number().ok() == me.port_number().ok()
                        })
                    })
                    .map(|m| m.name().to_string())
            });
            EtcdAnswer::Client { version, peer_of }
        }
        Err(e) => EtcdAnswer::Error(base.explain(e).await),
    }
}

fn apiserver(
    node: &Node,
    api: &super::manifests::Manifest,
    opts: &DoctorOptions,
    findings: &mut Vec<Finding>,
) {
    let Some(port) = api
        .flag("secure-port")
        .map(|f| super::node::parse_port(&f.value))
        .unwrap_or(Ok(6443))
        .ok()
    else {
        return;
    };
    let host = api
        .flag("advertise-address")
        .map(|f| f.value.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let endpoint = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let f = Finding::new(CHECK, Status::Ok, "")
        .file(&api.file)
        .line(api.flag("secure-port").and_then(|f| f.line))
        .endpoint(&endpoint);
    if let Err(why) = tcp_connect(&endpoint) {
        findings.push(Finding {
            status: Status::Fail,
            message: format!("kube-apiserver: nothing answers on {endpoint} ({why})"),
            fix: Some(
                "look at why kube-apiserver is not running: crictl ps -a; crictl logs <id>".into(),
            ),
            ..f
        });
        return;
    }
    let target = match Target::parse(&endpoint) {
        Ok(t) => t,
        Err(e) => {
            findings.push(Finding {
                status: Status::Warn,
                message: format!("kube-apiserver not probed: {e}"),
                ..f
            });
            return;
        }
    };
    let mut po = ProbeOptions::new(target);
    let ca = node.host("/etc/kubernetes/pki/ca.crt");
    po.trust =
        Trust::from_file(&ca, "/etc/kubernetes/pki/ca.crt").unwrap_or_else(|_| Trust::system());
    po.at = Some(opts.at);
    po.warn_days = opts.warn_days;
    po.timeout = TIMEOUT;
    match probe(&po) {
        Ok(r) => {
            let (status, message) = match r.verdict {
                Verdict::Verified => (
                    Status::Ok,
                    format!(
                        "kube-apiserver TLS {} on {endpoint}: certificate verified against ca.crt",
                        r.version.clone().unwrap_or_default()
                    ),
                ),
                Verdict::Failed => (
                    Status::Fail,
                    format!(
                        "TLS on {endpoint}: {}",
                        r.findings
                            .iter()
                            .map(|f| f.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
                Verdict::Unreachable => {
                    (Status::Fail, format!("nothing answers TLS on {endpoint}"))
                }
            };
            let fix = r.findings.iter().find_map(|f| f.hint.clone());
            findings.push(Finding {
                status,
                message,
                fix,
                ..f
            });
        }
        Err(e) => findings.push(Finding {
            status: Status::Warn,
            message: format!("kube-apiserver not probed: {e}"),
            ..f
        }),
    }
}

/// The kubelet's serving port (10250) on the node address, with the
/// `certs kubelet --probe` diagnosis.
fn kubelet(
    node: &Node,
    api: &super::manifests::Manifest,
    opts: &DoctorOptions,
    findings: &mut Vec<Finding>,
) {
    let host = api
        .flag("advertise-address")
        .map(|f| f.value.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let target = if host.contains(':') {
        format!("[{host}]:10250")
    } else {
        format!("{host}:10250")
    };
    let report = inspect(&KubeletOptions {
        root: node.root.clone(),
        at: opts.at,
        warn_days: opts.warn_days,
        probe: Some(target.clone()),
    });
    let Some(p) = report.probe else {
        return;
    };
    let mut message = if p.reachable {
        format!(
            "kubelet on {target}: TLS {}, serving certificate verification {}",
            p.version.clone().unwrap_or_default(),
            p.verification
        )
    } else {
        format!("kubelet: nothing answers on {target}")
    };
    if !p.findings.is_empty() {
        message.push_str(&format!(" ({})", p.findings.join("; ")));
    }
    let mut f = Finding::new(
        CHECK,
        if p.problem {
            Status::Fail
        } else if p.remedy.is_some() {
            Status::Warn
        } else {
            Status::Ok
        },
        message,
    )
    .endpoint(target);
    if let Some(r) = p.remedy {
        f = f.fix(r);
    } else if !p.reachable {
        f = f.fix("systemctl status kubelet; journalctl -u kubelet");
    }
    findings.push(f);
}

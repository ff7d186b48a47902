//! `doctor --capture SECONDS`: a short live capture of the node's
//! control-plane ports through the packet pipeline, and what the traffic
//! shows that the files cannot: connections refused or reset on a port,
//! TLS alerts (which side rejected what), and HTTP 401/403 answers (visible
//! when the traffic is plain or decrypted with `--keylog`).
//!
//! Dissector events are read by their JSON shape (`type`, `level`,
//! `description`, `status`), not their Rust types, so this check follows
//! whatever the TLS and HTTP dissectors report.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{Finding, Status};
use crate::capture::live::{LiveOptions, LiveSource, Preset};
use crate::event::{End, Event};
use crate::net::{FlowConfig, FlowRecord, Observer};
use crate::pipeline::Pipeline;
use crate::proto::Component;

const CHECK: &str = "capture";

/// What to capture.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    pub iface: String,
    pub duration: Duration,
    /// Shared by the dissectors (key logs for decryption).
    pub context: Arc<crate::proto::Context>,
}

/// What the traffic showed, per server endpoint.
#[derive(Debug, Default)]
pub struct Observed {
    /// Connections per server endpoint.
    pub connections: BTreeMap<SocketAddr, u64>,
    /// SYN answered by RST: nothing listens.
    pub refused: BTreeMap<SocketAddr, u64>,
    /// Established connections ended by RST.
    pub reset: BTreeMap<SocketAddr, u64>,
    /// (server, sender side, level, description) → count.
    pub alerts: BTreeMap<(SocketAddr, &'static str, String, String), u64>,
    /// (server, client ip, status) → count.
    pub http_denied: BTreeMap<(SocketAddr, String, u16), u64>,
    pub components: BTreeMap<SocketAddr, Component>,
}

impl Observed {
    /// The component listening at `server`, as the traffic labelled it.
    pub fn component(&self, server: &SocketAddr) -> Component {
        self.components
            .get(server)
            .copied()
            .unwrap_or(Component::Other)
    }
}

impl Observer for Observed {
    fn event(&mut self, e: &Event) {
        let name = e.kind.name();
        if name != "tls_alert" && name != "http_response" && name != "http2_response" {
            return;
        }
        let Ok(v) = serde_json::to_value(&e.kind) else {
            return;
        };
        // Which end is the server: the component's well-known port.
        let src_is_server = Component::from_port(e.src.port()).is_some()
            && Component::from_port(e.dst.port()).is_none();
        let (server, client) = if src_is_server {
            (e.src, e.dst)
        } else {
            (e.dst, e.src)
        };
        self.components.insert(server, e.component);
        if name == "tls_alert" {
            let text = |k: &str| {
                v.get(k)
                    .and_then(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .or_else(|| x.as_u64().map(|n| n.to_string()))
                    })
                    .unwrap_or_else(|| "?".to_string())
            };
            let from = if src_is_server { "server" } else { "client" };
            *self
                .alerts
                .entry((server, from, text("level"), text("description")))
                .or_default() += 1;
        } else if let Some(status) = v.get("status").and_then(|s| s.as_u64()) {
            if status == 401 || status == 403 {
                *self
                    .http_denied
                    .entry((server, client.ip().to_string(), status as u16))
                    .or_default() += 1;
            }
        }
    }

    fn flow(&mut self, f: &FlowRecord) {
        *self.connections.entry(f.server).or_default() += 1;
        self.components.insert(f.server, f.component);
        if f.end == End::Rst {
            let refused = f.client_bytes == 0 && f.server_bytes == 0 && f.server_packets <= 1;
            let map = if refused {
                &mut self.refused
            } else {
                &mut self.reset
            };
            *map.entry(f.server).or_default() += 1;
        }
    }
}

/// Captures, then turns what was seen into findings.
pub fn check(opts: &CaptureOptions, findings: &mut Vec<Finding>) {
    let live = LiveOptions {
        iface: opts.iface.clone(),
        filter: Some(Preset::ControlPlane.bpf()),
        snaplen: 262_144,
        count: None,
        duration: Some(opts.duration),
    };
    let mut source = match LiveSource::open(live, Arc::new(AtomicBool::new(false))) {
        Ok(s) => s,
        Err(e) => {
            findings.push(
                Finding::new(CHECK, Status::Warn, format!("no capture: {e}"))
                    .fix("run as root (or with CAP_NET_RAW), or leave out --capture"),
            );
            return;
        }
    };
    let mut pipeline = Pipeline::new(FlowConfig {
        context: opts.context.clone(),
        ..FlowConfig::default()
    });
    let mut seen = Observed::default();
    let error = pipeline.run(&mut source, &mut seen, |_, _| {}).err();
    let summary = pipeline.finish(&mut seen);
    let dropped = source.finish().map(|l| l.dropped_by_kernel).unwrap_or(0);
    if let Some(e) = error {
        findings.push(Finding::new(
            CHECK,
            Status::Warn,
            format!("capture stopped early: {e}"),
        ));
    }
    report(&seen, opts, summary.packets, dropped, findings);
}

/// The findings for what was observed.
pub fn report(
    seen: &Observed,
    opts: &CaptureOptions,
    packets: u64,
    dropped: u64,
    findings: &mut Vec<Finding>,
) {
    let before = findings.len();
    for (server, n) in &seen.refused {
        let component = seen.component(server);
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "{n} connection(s) to {server} ({component}) refused: nothing listens on that port"
                ),
            )
            .endpoint(server.to_string())
            .fix(refused_fix(component)),
        );
    }
    for (server, n) in &seen.reset {
        let component = seen.component(server);
        findings.push(
            Finding::new(
                CHECK,
                Status::Warn,
                format!("{n} connection(s) to {server} ({component}) ended by RST after data"),
            )
            .endpoint(server.to_string())
            .fix("look for TLS alerts on the same endpoint and the component's log (crictl logs)"),
        );
    }
    for ((server, from, level, description), n) in &seen.alerts {
        let fatal = level == "fatal" || level == "2";
        let closing = description == "close_notify" || description == "0";
        if closing {
            continue;
        }
        findings.push(
            Finding::new(
                CHECK,
                if fatal { Status::Fail } else { Status::Warn },
                format!(
                    "{n} TLS alert(s) {description} ({level}) sent by the {from} on {server}: {}",
                    alert_meaning(from, description)
                ),
            )
            .endpoint(server.to_string())
            .fix(alert_fix(from, description)),
        );
    }
    for ((server, client, status), n) in &seen.http_denied {
        let component = seen.component(server);
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                format!(
                    "{n} HTTP {status} answer(s) from {server} ({component}) to {client}: {}",
                    if *status == 401 {
                        "the client's credentials (certificate or token) were not accepted"
                    } else {
                        "the client is authenticated but not allowed (RBAC)"
                    }
                ),
            )
            .endpoint(server.to_string())
            .fix(if *status == 401 {
                "check the client's certificate (kinspect certs kubelet; certs check) and that it is signed by the cluster CA"
            } else {
                "check the client's RBAC bindings (kubectl auth can-i --as ...)"
            }),
        );
    }
    if findings.len() == before {
        let total: u64 = seen.connections.values().sum();
        findings.push(Finding::new(
            CHECK,
            Status::Ok,
            format!(
                "{} s on {}: {packets} packets, {total} connections to {} control-plane endpoints; no refusals, resets, TLS alerts or HTTP 401/403{}",
                opts.duration.as_secs_f64(),
                opts.iface,
                seen.connections.len(),
                if dropped > 0 {
                    format!(" ({dropped} packets dropped by the kernel)")
                } else {
                    String::new()
                }
            ),
        ));
    }
}

fn refused_fix(component: Component) -> &'static str {
    match component {
        Component::KubeApiserver => {
            "kube-apiserver is not listening there: check --secure-port in kube-apiserver.yaml and crictl ps -a"
        }
        Component::EtcdClient | Component::EtcdPeer => {
            "etcd is not listening there: check etcd.yaml's --listen-client-urls/--listen-peer-urls and crictl ps -a"
        }
        Component::Kubelet => {
            "the kubelet is not running: systemctl status kubelet; journalctl -u kubelet"
        }
        _ => "start the component or point its clients at the port it listens on",
    }
}

fn alert_meaning(from: &str, description: &str) -> &'static str {
    match (from, description) {
        ("client", "unknown_ca") | ("client", "bad_certificate") => {
            "the client does not trust the server's certificate"
        }
        ("client", "certificate_expired") => "the client saw an expired server certificate",
        ("server", "unknown_ca") | ("server", "bad_certificate") => {
            "the server rejected the client's certificate (not signed by a CA it trusts)"
        }
        ("server", "certificate_expired") => "the server rejected an expired client certificate",
        ("server", "certificate_required") => {
            "the server requires a client certificate and got none"
        }
        (_, "protocol_version") => "no TLS version in common",
        (_, "handshake_failure") => "no cipher suite or parameters in common",
        _ => "the handshake or session was aborted",
    }
}

fn alert_fix(from: &str, description: &str) -> &'static str {
    match (from, description) {
        ("client", _) => {
            "check the server certificate's chain and dates: kinspect tls probe ENDPOINT --cacert CA"
        }
        ("server", "certificate_expired") => {
            "renew the client certificate (kubeadm certs renew ..., or kubelet rotation)"
        }
        _ => "check the client certificate's issuer and dates: kinspect certs check",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn flow(server: &str, end: End, client_bytes: u64, server_packets: u64) -> FlowRecord {
        FlowRecord {
            client: "127.0.0.1:50000".parse().unwrap(),
            server: server.parse().unwrap(),
            component: Component::from_port(server.parse::<SocketAddr>().unwrap().port())
                .unwrap_or(Component::Other),
            protocol: crate::proto::Protocol::Unknown,
            protocol_by: "none",
            packets: 1 + server_packets,
            bytes: 0,
            client_bytes,
            server_bytes: 0,
            start: Timestamp(0),
            duration_ms: 0.0,
            end,
            gap_bytes: 0,
            client_packets: 1,
            server_packets,
            client_frame_bytes: 0,
            server_frame_bytes: 0,
            retransmitted_bytes: 0,
            handshake: true,
        }
    }

    fn opts() -> CaptureOptions {
        CaptureOptions {
            iface: "lo".into(),
            duration: Duration::from_secs(1),
            context: crate::proto::Context::shared(),
        }
    }

    #[test]
    fn refusals_and_resets_are_told_apart() {
        let mut seen = Observed::default();
        seen.flow(&flow("127.0.0.1:6443", End::Rst, 0, 1));
        seen.flow(&flow("127.0.0.1:6443", End::Rst, 0, 1));
        seen.flow(&flow("127.0.0.1:2379", End::Rst, 120, 4));
        seen.flow(&flow("127.0.0.1:10250", End::Fin, 120, 4));
        let mut f = Vec::new();
        report(&seen, &opts(), 10, 0, &mut f);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].status, Status::Fail);
        assert!(
            f[0].message
                .starts_with("2 connection(s) to 127.0.0.1:6443 (kube-apiserver) refused")
        );
        assert!(f[0].fix.as_deref().unwrap().contains("--secure-port"));
        assert_eq!(f[1].status, Status::Warn);
        assert!(f[1].message.contains("127.0.0.1:2379"));
    }

    #[test]
    fn quiet_traffic_is_one_ok_line() {
        let mut seen = Observed::default();
        seen.flow(&flow("127.0.0.1:10250", End::Fin, 120, 4));
        let mut f = Vec::new();
        report(&seen, &opts(), 10, 0, &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Ok);
        assert!(
            f[0].message
                .contains("1 connections to 1 control-plane endpoints")
        );
    }

    #[test]
    fn alerts_name_the_side_and_meaning() {
        let mut seen = Observed::default();
        let server: SocketAddr = "127.0.0.1:6443".parse().unwrap();
        seen.alerts
            .insert((server, "server", "fatal".into(), "unknown_ca".into()), 3);
        seen.alerts.insert(
            (server, "client", "warning".into(), "close_notify".into()),
            9,
        );
        let mut f = Vec::new();
        report(&seen, &opts(), 10, 0, &mut f);
        assert_eq!(f.len(), 1, "close_notify is not a problem: {f:#?}");
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0].message.contains("sent by the server"));
        assert!(f[0].message.contains("rejected the client's certificate"));
    }
}

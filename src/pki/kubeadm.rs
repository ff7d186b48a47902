//! What kubeadm and the kubelet put where: the role of each file of a
//! control-plane node (kubeadm's names: `apiserver`, `etcd-peer`,
//! `admin.conf`, CAs `ca`, `etcd-ca`, `front-proxy-ca`; plus `kubelet
//! client` and `kubelet serving`), which CA must sign it, which extended key
//! usages and SANs its component needs, and the static pod manifests
//! (`manifests/kube-apiserver.yaml`, `manifests/etcd.yaml`) those SANs come
//! from.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::finding::Purpose;

/// kubeadm's three CAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KubeadmCa {
    Ca,
    EtcdCa,
    FrontProxyCa,
}

impl KubeadmCa {
    pub fn name(self) -> &'static str {
        match self {
            KubeadmCa::Ca => "ca",
            KubeadmCa::EtcdCa => "etcd-ca",
            KubeadmCa::FrontProxyCa => "front-proxy-ca",
        }
    }

    /// Path relative to the kubeadm directory (`/etc/kubernetes`).
    pub fn rel_path(self) -> &'static str {
        match self {
            KubeadmCa::Ca => "pki/ca.crt",
            KubeadmCa::EtcdCa => "pki/etcd/ca.crt",
            KubeadmCa::FrontProxyCa => "pki/front-proxy-ca.crt",
        }
    }
}

/// The role of a certificate on a control-plane node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Ca(KubeadmCa),
    Apiserver,
    ApiserverKubeletClient,
    ApiserverEtcdClient,
    FrontProxyClient,
    EtcdServer,
    EtcdPeer,
    EtcdHealthcheckClient,
    /// A kubeadm kubeconfig: `admin.conf`, `super-admin.conf`,
    /// `controller-manager.conf`, `scheduler.conf`, `kubelet.conf`.
    Kubeconfig(&'static str),
    KubeletClient,
    KubeletServing,
}

const KUBECONFIGS: [&str; 5] = [
    "admin.conf",
    "super-admin.conf",
    "controller-manager.conf",
    "scheduler.conf",
    "kubelet.conf",
];

impl Role {
    /// The name `certs check` shows (kubeadm's where kubeadm has one).
    pub fn name(self) -> &'static str {
        match self {
            Role::Ca(ca) => ca.name(),
            Role::Apiserver => "apiserver",
            Role::ApiserverKubeletClient => "apiserver-kubelet-client",
            Role::ApiserverEtcdClient => "apiserver-etcd-client",
            Role::FrontProxyClient => "front-proxy-client",
            Role::EtcdServer => "etcd-server",
            Role::EtcdPeer => "etcd-peer",
            Role::EtcdHealthcheckClient => "etcd-healthcheck-client",
            Role::Kubeconfig(n) => n,
            Role::KubeletClient => "kubelet client",
            Role::KubeletServing => "kubelet serving",
        }
    }

    /// The CA that must sign it (`None`: a CA itself, or kubelet serving,
    /// which may be self-signed).
    pub fn expected_ca(self) -> Option<KubeadmCa> {
        match self {
            Role::Ca(_) | Role::KubeletServing => None,
            Role::ApiserverEtcdClient
            | Role::EtcdServer
            | Role::EtcdPeer
            | Role::EtcdHealthcheckClient => Some(KubeadmCa::EtcdCa),
            Role::FrontProxyClient => Some(KubeadmCa::FrontProxyCa),
            _ => Some(KubeadmCa::Ca),
        }
    }

    /// The extended key usages the component needs, and as what.
    pub fn needs(self) -> Vec<(Purpose, &'static str)> {
        match self {
            Role::Ca(_) => vec![],
            Role::Apiserver => vec![(Purpose::Server, "the apiserver's serving certificate")],
            Role::EtcdServer => vec![(Purpose::Server, "etcd server (it serves clients)")],
            Role::EtcdPeer => vec![
                (
                    Purpose::Server,
                    "etcd peer (members accept each other with it)",
                ),
                (
                    Purpose::Client,
                    "etcd peer (members dial each other with it)",
                ),
            ],
            Role::KubeletServing => vec![(Purpose::Server, "the kubelet's serving certificate")],
            Role::ApiserverKubeletClient => {
                vec![(
                    Purpose::Client,
                    "the apiserver's client certificate for kubelets",
                )]
            }
            Role::ApiserverEtcdClient => {
                vec![(
                    Purpose::Client,
                    "the apiserver's client certificate for etcd",
                )]
            }
            Role::FrontProxyClient => {
                vec![(
                    Purpose::Client,
                    "the apiserver's front-proxy client certificate",
                )]
            }
            Role::EtcdHealthcheckClient => {
                vec![(
                    Purpose::Client,
                    "the etcd health check's client certificate",
                )]
            }
            Role::Kubeconfig(_) => vec![(Purpose::Client, "a kubeconfig client certificate")],
            Role::KubeletClient => vec![(Purpose::Client, "the kubelet's client certificate")],
        }
    }

    pub fn is_ca(self) -> bool {
        matches!(self, Role::Ca(_))
    }

    /// kubeadm's order in `certs check-expiration`; kubelet rows after.
    pub fn order(self) -> u8 {
        match self {
            Role::Ca(KubeadmCa::Ca) => 0,
            Role::Ca(KubeadmCa::EtcdCa) => 1,
            Role::Ca(KubeadmCa::FrontProxyCa) => 2,
            Role::Kubeconfig("admin.conf") => 10,
            Role::Apiserver => 11,
            Role::ApiserverEtcdClient => 12,
            Role::ApiserverKubeletClient => 13,
            Role::Kubeconfig("controller-manager.conf") => 14,
            Role::EtcdHealthcheckClient => 15,
            Role::EtcdPeer => 16,
            Role::EtcdServer => 17,
            Role::FrontProxyClient => 18,
            Role::Kubeconfig("scheduler.conf") => 19,
            Role::Kubeconfig("super-admin.conf") => 20,
            Role::Kubeconfig(_) => 21,
            Role::KubeletClient => 22,
            Role::KubeletServing => 23,
        }
    }
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn parent_name(p: &Path, up: usize) -> &str {
    let mut q = p;
    for _ in 0..up {
        match q.parent() {
            Some(x) => q = x,
            None => return "",
        }
    }
    file_name(q)
}

/// A kubelet rotation file name: `kubelet-client-2026-01-01-00-00-00.pem`
/// gives `("client", "2026-01-01-00-00-00")`.
pub fn kubelet_rotation_file(name: &str) -> Option<(&'static str, &str)> {
    for (prefix, kind) in [("kubelet-client-", "client"), ("kubelet-server-", "server")] {
        if let Some(rest) = name
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(".pem"))
        {
            if rest != "current" && rest.len() >= 10 && rest.as_bytes()[0].is_ascii_digit() {
                return Some((kind, rest));
            }
        }
    }
    None
}

/// The role of a certificate file, from where it is (node path or host
/// path: only the last directories matter).
pub fn role_of_file(path: &Path) -> Option<Role> {
    let name = file_name(path);
    let parent = parent_name(path, 1);
    let grand = parent_name(path, 2);
    if parent == "pki" && grand == "kubelet" {
        return match name {
            "kubelet-client-current.pem" => Some(Role::KubeletClient),
            "kubelet.crt" | "kubelet-server-current.pem" => Some(Role::KubeletServing),
            _ => match kubelet_rotation_file(name) {
                Some(("client", _)) => Some(Role::KubeletClient),
                Some(_) => Some(Role::KubeletServing),
                None => None,
            },
        };
    }
    if parent == "pki" {
        return Some(match name {
            "ca.crt" => Role::Ca(KubeadmCa::Ca),
            "front-proxy-ca.crt" => Role::Ca(KubeadmCa::FrontProxyCa),
            "apiserver.crt" => Role::Apiserver,
            "apiserver-kubelet-client.crt" => Role::ApiserverKubeletClient,
            "apiserver-etcd-client.crt" => Role::ApiserverEtcdClient,
            "front-proxy-client.crt" => Role::FrontProxyClient,
            _ => return None,
        });
    }
    if parent == "etcd" && grand == "pki" {
        return Some(match name {
            "ca.crt" => Role::Ca(KubeadmCa::EtcdCa),
            "server.crt" => Role::EtcdServer,
            "peer.crt" => Role::EtcdPeer,
            "healthcheck-client.crt" => Role::EtcdHealthcheckClient,
            _ => return None,
        });
    }
    None
}

/// The role of a kubeconfig, by its file name.
pub fn role_of_kubeconfig(path: &Path) -> Option<Role> {
    let name = file_name(path);
    KUBECONFIGS
        .iter()
        .find(|k| **k == name)
        .map(|k| Role::Kubeconfig(k))
}

/// The kubeadm directory (`/etc/kubernetes`) a file belongs to, if any:
/// the directory holding `pki/`.
pub fn kubeadm_dir_of(path: &Path) -> Option<PathBuf> {
    let name = file_name(path);
    let parent = parent_name(path, 1);
    let grand = parent_name(path, 2);
    let up = |n: usize| {
        let mut q = path;
        for _ in 0..n {
            q = q.parent()?;
        }
        Some(q.to_path_buf())
    };
    if parent == "etcd" && grand == "pki" {
        up(3)
    } else if parent == "pki" && grand != "kubelet" {
        up(2)
    } else if KUBECONFIGS.contains(&name) {
        up(1)
    } else {
        None
    }
}

/// The flags of a static pod's first container.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub file: PathBuf,
    pub values: Vec<(String, String)>,
}

impl Flags {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A comma-separated flag as a list.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reads the command and args of a static pod manifest.
    pub fn read(path: &Path) -> Option<Flags> {
        let bytes = super::load::read_bytes(path).ok()?;
        let doc: serde_norway::Value = serde_norway::from_slice(&bytes).ok()?;
        let containers = doc.get("spec")?.get("containers")?.as_sequence()?;
        let mut words = Vec::new();
        for c in containers.iter().take(1) {
            for key in ["command", "args"] {
                if let Some(seq) = c.get(key).and_then(|v| v.as_sequence()) {
                    words.extend(seq.iter().filter_map(|w| w.as_str().map(str::to_string)));
                }
            }
        }
        let mut values = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if let Some(flag) = words[i].strip_prefix("--") {
                match flag.split_once('=') {
                    Some((k, v)) => values.push((k.to_string(), v.to_string())),
                    None => {
                        let next = words.get(i + 1).filter(|w| !w.starts_with('-'));
                        values.push((flag.to_string(), next.cloned().unwrap_or_default()));
                        if next.is_some() {
                            i += 1;
                        }
                    }
                }
            }
            i += 1;
        }
        Some(Flags {
            file: path.to_path_buf(),
            values,
        })
    }
}

/// The static pod manifests of a kubeadm directory that say what the
/// certificates must cover.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub apiserver: Option<Flags>,
    pub etcd: Option<Flags>,
}

impl Manifests {
    /// Reads `DIR/manifests/kube-apiserver.yaml` and `DIR/manifests/etcd.yaml`.
    pub fn read(kubeadm_dir: &Path) -> Manifests {
        Manifests {
            apiserver: Flags::read(&kubeadm_dir.join("manifests/kube-apiserver.yaml")),
            etcd: Flags::read(&kubeadm_dir.join("manifests/etcd.yaml")),
        }
    }

    /// The apiserver verifies kubelet serving certificates
    /// (`--kubelet-certificate-authority`).
    pub fn apiserver_verifies_kubelets(&self) -> bool {
        self.apiserver
            .as_ref()
            .and_then(|f| f.get("kubelet-certificate-authority"))
            .is_some_and(|v| !v.is_empty())
    }
}

/// A SAN a component needs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanNeed {
    pub name: String,
    pub why: String,
}

/// The first address of a CIDR (`10.96.0.0/12` gives `10.96.0.1`).
pub fn first_service_ip(cidr: &str) -> Option<IpAddr> {
    let (net, bits) = cidr.trim().split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    match net.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) if bits <= 30 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some(IpAddr::from(
                (u32::from(a) & mask).wrapping_add(1).to_be_bytes(),
            ))
        }
        IpAddr::V6(a) if bits <= 126 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Some(IpAddr::from(
                (u128::from(a) & mask).wrapping_add(1).to_be_bytes(),
            ))
        }
        _ => None,
    }
}

/// The host of `https://10.0.0.1:2379` (brackets removed), unless it is a
/// wildcard address.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split('/').next()?;
    let host = if let Some(h) = hostport.strip_prefix('[') {
        h.split(']').next()?.to_string()
    } else {
        hostport
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(hostport)
            .to_string()
    };
    match host.as_str() {
        "" | "0.0.0.0" | "::" => None,
        _ => Some(host),
    }
}

impl Manifests {
    /// SANs the apiserver certificate needs.
    pub fn apiserver_sans(&self) -> Vec<SanNeed> {
        let mut v = vec![
            SanNeed {
                name: "kubernetes".into(),
                why: "the in-cluster name of the apiserver".into(),
            },
            SanNeed {
                name: "kubernetes.default.svc".into(),
                why: "the in-cluster name of the apiserver".into(),
            },
        ];
        match &self.apiserver {
            Some(f) => {
                let range = f.get("service-cluster-ip-range").unwrap_or("10.0.0.0/24");
                let first = range.split(',').next().unwrap_or(range);
                if let Some(ip) = first_service_ip(first) {
                    v.push(SanNeed {
                        name: ip.to_string(),
                        why: "the kubernetes service IP: first address of --service-cluster-ip-range in kube-apiserver.yaml".into(),
                    });
                }
                if let Some(a) = f.get("advertise-address").filter(|a| !a.is_empty()) {
                    v.push(SanNeed {
                        name: a.to_string(),
                        why: "the node IP: --advertise-address in kube-apiserver.yaml".into(),
                    });
                }
            }
            None => v.push(SanNeed {
                name: "10.96.0.1".into(),
                why: "the kubernetes service IP with kubeadm's default --service-cluster-ip-range 10.96.0.0/12; no kube-apiserver.yaml found".into(),
            }),
        }
        v
    }

    /// SANs the etcd server certificate needs: the addresses etcd serves
    /// clients on.
    pub fn etcd_server_sans(&self) -> Vec<SanNeed> {
        self.etcd_sans(&["listen-client-urls", "advertise-client-urls"])
    }

    /// SANs the etcd peer certificate needs.
    pub fn etcd_peer_sans(&self) -> Vec<SanNeed> {
        self.etcd_sans(&["listen-peer-urls", "initial-advertise-peer-urls"])
    }

    fn etcd_sans(&self, flags: &[&str]) -> Vec<SanNeed> {
        let mut v: Vec<SanNeed> = Vec::new();
        let Some(f) = &self.etcd else { return v };
        for flag in flags {
            for url in f.list(flag) {
                if let Some(host) = url_host(url) {
                    if !v.iter().any(|n| n.name == host) {
                        v.push(SanNeed {
                            name: host,
                            why: format!("etcd listens on {url}: --{flag} in etcd.yaml"),
                        });
                    }
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_place() {
        let r = |p: &str| role_of_file(Path::new(p));
        assert_eq!(
            r("/etc/kubernetes/pki/apiserver.crt"),
            Some(Role::Apiserver)
        );
        assert_eq!(r("x/pki/etcd/ca.crt"), Some(Role::Ca(KubeadmCa::EtcdCa)));
        assert_eq!(r("x/pki/etcd/peer.crt"), Some(Role::EtcdPeer));
        assert_eq!(
            r("/var/lib/kubelet/pki/kubelet-client-current.pem"),
            Some(Role::KubeletClient)
        );
        assert_eq!(
            r("/var/lib/kubelet/pki/kubelet.crt"),
            Some(Role::KubeletServing)
        );
        assert_eq!(r("/tmp/apiserver.crt"), None);
        assert_eq!(
            role_of_kubeconfig(Path::new("/etc/kubernetes/admin.conf")),
            Some(Role::Kubeconfig("admin.conf"))
        );
        assert_eq!(
            kubeadm_dir_of(Path::new("/etc/kubernetes/pki/etcd/server.crt")),
            Some(PathBuf::from("/etc/kubernetes"))
        );
        assert_eq!(
            kubelet_rotation_file("kubelet-client-2026-01-01-00-00-00.pem"),
            Some(("client", "2026-01-01-00-00-00"))
        );
        assert_eq!(kubelet_rotation_file("kubelet-client-current.pem"), None);
    }

    #[test]
    fn service_ips_and_hosts() {
        assert_eq!(
            first_service_ip("10.96.0.0/12").unwrap().to_string(),
            "10.96.0.1"
        );
        assert_eq!(
            first_service_ip("10.96.5.7/12").unwrap().to_string(),
            "10.96.0.1"
        );
        assert_eq!(
            first_service_ip("fd00::/108").unwrap().to_string(),
            "fd00::1"
        );
        assert_eq!(first_service_ip("bogus"), None);
        assert_eq!(
            url_host("https://127.0.0.1:2379").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(url_host("https://[::1]:2379").as_deref(), Some("::1"));
        assert_eq!(url_host("https://0.0.0.0:2379"), None);
    }
}

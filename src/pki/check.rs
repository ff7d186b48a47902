//! `certs check`: every certificate under some paths, named the way a
//! kubeadm user knows them, judged at a time.
//!
//! The scan walks directories (kubeadm's `/etc/kubernetes` with `pki/`,
//! `pki/etcd/`, kubeconfigs and manifests; the kubelet's `/var/lib/kubelet`
//! with `pki/`), reads certificate files, bundles and kubeconfigs (both the
//! `*-data` and the path forms), and keeps going past anything unreadable:
//! each bad file becomes a [`Problem`] naming it.
//!
//! Each certificate is then checked against the CA it must chain to —
//! kubeadm's (`etcd-ca` for etcd certificates, `front-proxy-ca` for the
//! front-proxy client, `ca` for the rest) when it is a kubeadm file, else
//! any CA found in the scan — and for what its component needs: extended
//! key usage, SANs from the static pod manifests, a private key that
//! matches, a strong key, a CA that outlives it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::cert::CertInfo;
use super::finding::{Finding, Status, days, residual};
use super::key::{KeyMatch, PrivateKey};
use super::kubeadm::{self, KubeadmCa, Manifests, Role};
use super::kubeconfig::{Kubeconfig, KubeconfigError, Material, looks_like_kubeconfig};
use super::load;
use super::node::NodeRoot;
use super::verify::{Anchor, VerifyOptions, ca_as_end_entity, name_matches, verify};
use crate::timestamp::Timestamp;

/// The paths `certs check` reads when given none.
pub const DEFAULT_PATHS: [&str; 2] = ["/etc/kubernetes", "/var/lib/kubelet"];

/// Directories never entered (pod volumes hold many copies of the CA).
const SKIP_DIRS: [&str; 9] = [
    "pods",
    "plugins",
    "plugins_registry",
    "pod-resources",
    "device-plugins",
    "checkpoints",
    "volumes",
    "containers",
    "seccomp",
];

const MAX_DEPTH: usize = 8;

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Paths as given (node paths under `root`); empty: [`DEFAULT_PATHS`].
    pub paths: Vec<PathBuf>,
    pub root: NodeRoot,
    pub at: Timestamp,
    pub warn_days: u32,
}

/// A file or part of one that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Leaf certificate or CA (the two tables of `kubeadm certs check-expiration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Certificate,
    Ca,
}

/// One certificate, judged.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// kubeadm's name (`apiserver`, `admin.conf`, `etcd-ca`...), `kubelet
    /// client`/`kubelet serving`, or the file's path.
    pub name: String,
    /// The file it was read from (as shown: relative to the directory
    /// given, or the node's path under `--root`).
    pub path: String,
    pub kind: Kind,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// kubeadm style: `364d`, `9y`, `<invalid>` once expired.
    pub residual: String,
    pub residual_days: i64,
    /// The CA it verified against (kubeadm's name when it is one), `self`
    /// for a self-signed certificate, empty when none was found.
    pub ca: String,
    /// The CA's private key is absent (kubeadm cannot renew it).
    pub externally_managed: Option<bool>,
    pub status: Status,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub role: Option<Role>,
    #[serde(skip)]
    pub cert: CertInfo,
}

/// Everything `certs check` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    /// Remarks that are neither rows nor problems (superseded rotation files).
    pub notes: Vec<String>,
}

impl Report {
    /// 1 when a certificate is expired, not yet valid or invalid; 2 when
    /// nothing at all could be read; else 0.
    pub fn exit_code(&self) -> i32 {
        if self.rows.iter().any(|r| r.status.is_problem()) {
            1
        } else if self.rows.is_empty() {
            2
        } else {
            0
        }
    }
}

/// A file to read.
#[derive(Debug, Clone)]
struct Item {
    /// Where it is read on this machine (symlinks resolved in the tree).
    read: PathBuf,
    /// Its path as listed (the symlink's own path for a symlink).
    listed: PathBuf,
    display: String,
    explicit: bool,
}

/// Private key material for a certificate, by where it came from.
#[derive(Debug, Clone)]
enum KeySource {
    None,
    Keys {
        display: String,
        keys: Vec<PrivateKey>,
    },
    Unreadable {
        display: String,
        why: String,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    cert: CertInfo,
    role: Option<Role>,
    name: String,
    display: String,
    read: PathBuf,
    index: usize,
    kubeadm_dir: Option<PathBuf>,
    /// Every certificate of the entry's file, itself included (the chain
    /// builder never uses the leaf as its own issuer). Shared by the
    /// file's entries: a bundle of n certificates costs n copies, not n².
    same_file: Arc<[CertInfo]>,
    key: KeySource,
    /// For CA files: whether the CA's key is beside it.
    ca_key_present: Option<bool>,
    /// For kubeconfig client certificates: the cluster's CA certificates.
    kubeconfig_ca: Vec<Anchor>,
}

struct Scan<'a> {
    opts: &'a CheckOptions,
    items: Vec<Item>,
    problems: Vec<Problem>,
    notes: Vec<String>,
}

/// Runs the whole check.
pub fn check(opts: &CheckOptions) -> Report {
    let mut scan = Scan {
        opts,
        items: Vec::new(),
        problems: Vec::new(),
        notes: Vec::new(),
    };
    let given = !opts.paths.is_empty();
    let paths: Vec<PathBuf> = if given {
        opts.paths.clone()
    } else {
        DEFAULT_PATHS.iter().map(PathBuf::from).collect()
    };
    let relative_display = given && paths.len() == 1 && opts.root.dir().is_none();
    for p in &paths {
        scan.gather(p, relative_display);
    }
    scan.dedupe();
    let entries = scan.read_all();
    let rows = judge_all(entries, opts);
    let mut report = Report {
        rows,
        problems: scan.problems,
        notes: scan.notes,
    };
    report.rows.sort_by(|a, b| {
        let oa = a.role.map(|r| r.order()).unwrap_or(100);
        let ob = b.role.map(|r| r.order()).unwrap_or(100);
        (oa, &a.path, &a.name).cmp(&(ob, &b.path, &b.name))
    });
    report
}

fn cert_like(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "crt" | "pem" | "cer" | "der" | "key" | "conf" | "kubeconfig" | "p7b"
    )
}

impl Scan<'_> {
    fn display(&self, host: &Path, base: Option<&Path>) -> String {
        if self.opts.root.dir().is_some() {
            return self.opts.root.node_path(host).display().to_string();
        }
        if let Some(b) = base {
            if let Ok(rel) = host.strip_prefix(b) {
                if !rel.as_os_str().is_empty() {
                    return rel.display().to_string();
                }
            }
        }
        host.display().to_string()
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn gather(&mut self, given: &Path, relative_display: bool) {
        let host = match self.opts.root.dir() {
            Some(_) => self.opts.root.path(given),
            None => given.to_path_buf(),
        };
        let shown = match self.opts.root.dir() {
            Some(_) => given.display().to_string(),
            None => host.display().to_string(),
        };
        let meta = match std::fs::metadata(&host) {
            Ok(m) => m,
            Err(e) => {
                self.problem(shown, format!("cannot read: {}", load::io_message(&e)));
                return;
            }
        };
        if meta.is_dir() {
            let base = relative_display.then(|| host.clone());
            self.walk(&host, base.as_deref(), 0);
        } else {
            self.items.push(Item {
                read: host.clone(),
                listed: host.clone(),
                display: if self.opts.root.dir().is_some() {
                    shown
                } else {
                    given.display().to_string()
                },
                explicit: true,
            });
        }
    }

    fn walk(&mut self, dir: &Path, base: Option<&Path>, depth: usize) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                let d = self.display(dir, base);
                self.problem(
                    d,
                    format!("cannot read directory: {}", load::io_message(&e)),
                );
                return;
            }
        };
        let mut list: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        list.sort();
        for path in list {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Ok(lmeta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let read = if lmeta.file_type().is_symlink() {
                self.opts.root.resolve(&path)
            } else {
                path.clone()
            };
            let meta = match std::fs::metadata(&read) {
                Ok(m) => m,
                Err(e) => {
                    let d = self.display(&path, base);
                    let target = std::fs::read_link(&path)
                        .map(|t| format!(" -> {}", t.display()))
                        .unwrap_or_default();
                    self.problem(d, format!("cannot read{target}: {}", load::io_message(&e)));
                    continue;
                }
            };
            if meta.is_dir() {
                if lmeta.file_type().is_symlink() || SKIP_DIRS.contains(&name) || depth >= MAX_DEPTH
                {
                    continue;
                }
                self.walk(&path, base, depth + 1);
            } else if meta.is_file() {
                let display = self.display(&path, base);
                self.items.push(Item {
                    read,
                    listed: path,
                    display,
                    explicit: false,
                });
            } else if cert_like(&path) {
                // A FIFO or device named like a certificate: said, not read.
                let d = self.display(&path, base);
                self.problem(
                    d,
                    format!(
                        "{}, not a regular file: not read",
                        crate::fsutil::kind_of(&meta.file_type())
                    ),
                );
            }
        }
    }

    /// One item per file read; `-current.pem` names win over the dated
    /// files they point to, and dated kubelet files nobody points to are
    /// superseded rotations (shown by `certs kubelet`, not judged here).
    fn dedupe(&mut self) {
        // (directory of the listed file, kind) -> what `kubelet-<kind>-current.pem` points to.
        let mut current: HashMap<(PathBuf, &'static str), PathBuf> = HashMap::new();
        for it in &self.items {
            let n = it.listed.file_name().and_then(|n| n.to_str()).unwrap_or("");
            for kind in ["client", "server"] {
                if n == format!("kubelet-{kind}-current.pem") {
                    let dir = it
                        .listed
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    current.insert((dir, kind), canon(&it.read));
                }
            }
        }
        let mut seen: HashMap<PathBuf, usize> = HashMap::new();
        let mut keep: Vec<Item> = Vec::new();
        let mut superseded = 0usize;
        let items = std::mem::take(&mut self.items);
        for it in items {
            let c = canon(&it.read);
            let name = it.listed.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some((kind, _)) = kubeadm::kubelet_rotation_file(name) {
                let dir = it
                    .listed
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let target = current.get(&(dir, kind));
                if !it.explicit && target.is_some_and(|t| *t != c) {
                    superseded += 1;
                    continue;
                }
            }
            match seen.get(&c) {
                Some(&i) => {
                    if name.ends_with("-current.pem") {
                        keep[i] = it;
                    }
                }
                None => {
                    seen.insert(c, keep.len());
                    keep.push(it);
                }
            }
        }
        if superseded > 0 {
            self.notes.push(format!(
                "{superseded} superseded kubelet rotation file(s) not judged (see `kinspect certs kubelet`)"
            ));
        }
        self.items = keep;
    }

    fn read_all(&mut self) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut kubeconfigs = Vec::new();
        let items = std::mem::take(&mut self.items);
        for it in &items {
            let bytes = match load::read_bytes(&it.read) {
                Ok(b) => b,
                Err(e) => {
                    self.problem(it.display.clone(), load_words(e));
                    continue;
                }
            };
            if looks_like_kubeconfig(&bytes) {
                match Kubeconfig::parse(&bytes, &it.read, &self.opts.root) {
                    Ok(kc) => kubeconfigs.push((it.clone(), kc)),
                    // The problem line names the file: the words without it.
                    Err(KubeconfigError::Yaml { why, .. }) => {
                        self.problem(it.display.clone(), format!("not a kubeconfig: {why}"))
                    }
                    Err(KubeconfigError::Load(e)) => {
                        self.problem(it.display.clone(), load_words(e))
                    }
                }
                continue;
            }
            let contents = load::parse(&bytes);
            if contents.is_empty() {
                let broken = !contents.problems.is_empty();
                let unexplained = contents.other.is_empty() && cert_like(&it.listed);
                if broken || unexplained || it.explicit {
                    self.problem(it.display.clone(), contents.why_empty());
                }
                continue;
            }
            for p in &contents.problems {
                self.problem(it.display.clone(), p.clone());
            }
            self.file_entries(it, contents, &mut entries);
        }
        let file_reads: HashSet<PathBuf> = entries.iter().map(|e| canon(&e.read)).collect();
        for (it, kc) in kubeconfigs {
            self.kubeconfig_entries(&it, &kc, &file_reads, &mut entries);
        }
        entries
    }

    fn file_entries(&mut self, it: &Item, contents: load::Contents, out: &mut Vec<Entry>) {
        let node = self.opts.root.node_path(&it.listed);
        let role0 = kubeadm::role_of_file(&node);
        let kubeadm_dir = kubeadm::kubeadm_dir_of(&it.listed);
        let n = contents.certs.len();
        let own_keys = contents.keys;
        let same_file: Arc<[CertInfo]> = contents.certs.into();
        for (i, cert) in same_file.iter().enumerate() {
            let role = if i == 0 { role0 } else { None };
            let name = match (role, role0) {
                (Some(r), _) => r.name().to_string(),
                // The CA a file carries after its certificate (the
                // kubelet's self-signed serving pair: kubelet.crt holds the
                // certificate, then `<node>-ca@<time>`): named as a CA, not
                // as a second serving certificate.
                (None, Some(r0)) if cert.is_ca && n == 2 => format!("{} CA", r0.name()),
                (None, Some(r0)) => format!("{} #{}", r0.name(), i + 1),
                (None, None) if n > 1 => format!("{} #{}", it.display, i + 1),
                (None, None) => it.display.clone(),
            };
            let sibling = sibling_key(&it.listed);
            let (key, ca_key_present) = if i > 0 {
                (KeySource::None, None)
            } else if !own_keys.is_empty() {
                (
                    KeySource::Keys {
                        display: it.display.clone(),
                        keys: own_keys.clone(),
                    },
                    Some(true),
                )
            } else if let Some(k) = sibling {
                let kread = self.opts.root.resolve(&k);
                let display = sibling_display(&it.display, &k);
                if kread.exists() {
                    match load::read_file(&kread) {
                        Ok(c) if !c.keys.is_empty() => (
                            KeySource::Keys {
                                display,
                                keys: c.keys,
                            },
                            Some(true),
                        ),
                        Ok(c) => (
                            KeySource::Unreadable {
                                display,
                                why: if c.problems.is_empty() {
                                    "no private key in the file".into()
                                } else {
                                    c.problems.join("; ")
                                },
                            },
                            Some(true),
                        ),
                        Err(e) => (
                            KeySource::Unreadable {
                                display,
                                why: e.to_string(),
                            },
                            Some(true),
                        ),
                    }
                } else {
                    (KeySource::None, Some(false))
                }
            } else {
                (KeySource::None, Some(false))
            };
            out.push(Entry {
                cert: cert.clone(),
                role,
                name,
                display: it.display.clone(),
                read: it.read.clone(),
                index: i,
                kubeadm_dir: kubeadm_dir.clone(),
                same_file: same_file.clone(),
                key,
                ca_key_present,
                kubeconfig_ca: Vec::new(),
            });
        }
    }

    fn kubeconfig_entries(
        &mut self,
        it: &Item,
        kc: &Kubeconfig,
        file_reads: &HashSet<PathBuf>,
        out: &mut Vec<Entry>,
    ) {
        let kc_role = kubeadm::role_of_kubeconfig(&it.listed);
        let kubeadm_dir = kubeadm::kubeadm_dir_of(&it.listed);
        // Cluster CAs (reported once per cluster, even with no user).
        let mut cluster_cas: HashMap<String, Vec<Anchor>> = HashMap::new();
        for cl in &kc.clusters {
            let Some(m) = &cl.ca else { continue };
            let src = format!("{} {}", it.display, m.field());
            match m.contents() {
                Ok(c) if !c.certs.is_empty() => {
                    let anchors = c
                        .certs
                        .iter()
                        .map(|cert| Anchor::new(cert.clone(), src.clone()))
                        .collect();
                    cluster_cas.insert(cl.name.clone(), anchors);
                }
                Ok(c) => self.problem(
                    it.display.clone(),
                    format!("clusters[{}].{}: {}", cl.name, m.field(), c.why_empty()),
                ),
                Err(e) => self.problem(
                    it.display.clone(),
                    material_error(&format!("clusters[{}]", cl.name), m, &e),
                ),
            }
        }
        let multi = kc.users.iter().filter(|u| u.cert.is_some()).count() > 1;
        for user in &kc.users {
            let Some(cm) = &user.cert else { continue };
            let contents = match cm.contents() {
                Ok(c) if !c.certs.is_empty() => c,
                Ok(c) => {
                    self.problem(
                        it.display.clone(),
                        format!("users[{}].{}: {}", user.name, cm.field(), c.why_empty()),
                    );
                    continue;
                }
                Err(e) => {
                    self.problem(
                        it.display.clone(),
                        material_error(&format!("users[{}]", user.name), cm, &e),
                    );
                    continue;
                }
            };
            let ca = kc
                .cluster_for_user(&user.name)
                .and_then(|c| cluster_cas.get(&c.name))
                .cloned()
                .unwrap_or_default();
            // Keys: the key material, or the certificate file itself.
            let key = match &user.key {
                None => KeySource::None,
                Some(km) => {
                    let display = match km {
                        Material::File { written, .. } => written.clone(),
                        _ => format!("{} {}", it.display, km.field()),
                    };
                    match km.contents() {
                        Ok(c) if !c.keys.is_empty() => KeySource::Keys {
                            display,
                            keys: c.keys,
                        },
                        Ok(c) => KeySource::Unreadable {
                            display,
                            why: if c.problems.is_empty() {
                                "no private key in it".into()
                            } else {
                                c.problems.join("; ")
                            },
                        },
                        Err(why) => KeySource::Unreadable { display, why },
                    }
                }
            };
            let (display, read, role) = match cm {
                Material::File { path, written, .. } => {
                    if file_reads.contains(&canon(path)) {
                        // Judged as that file; lend it the kubeconfig's CA and key.
                        for e in out
                            .iter_mut()
                            .filter(|e| canon(&e.read) == canon(path) && e.index == 0)
                        {
                            if e.kubeconfig_ca.is_empty() {
                                e.kubeconfig_ca = ca.clone();
                            }
                            if matches!(e.key, KeySource::None) {
                                e.key = key.clone();
                            }
                        }
                        continue;
                    }
                    let node = self.opts.root.node_path(path);
                    let role = kubeadm::role_of_file(&node).or(kc_role);
                    let display = if self.opts.root.dir().is_some() {
                        node.display().to_string()
                    } else {
                        written.clone()
                    };
                    (display, path.clone(), role)
                }
                _ => (it.display.clone(), it.read.clone(), kc_role),
            };
            let mut name = role
                .map(|r| r.name().to_string())
                .unwrap_or_else(|| display.clone());
            if multi {
                name = format!("{name} ({})", user.name);
            }
            let same_file: Arc<[CertInfo]> = contents.certs.into();
            for (i, cert) in same_file.iter().enumerate() {
                out.push(Entry {
                    cert: cert.clone(),
                    role: if i == 0 { role } else { None },
                    name: if i == 0 {
                        name.clone()
                    } else {
                        format!("{name} #{}", i + 1)
                    },
                    display: display.clone(),
                    read: read.clone(),
                    index: i,
                    kubeadm_dir: kubeadm_dir.clone(),
                    same_file: same_file.clone(),
                    key: if i == 0 { key.clone() } else { KeySource::None },
                    ca_key_present: None,
                    kubeconfig_ca: ca.clone(),
                });
            }
        }
        // Embedded CAs are CA rows too (deduplicated later by fingerprint).
        for anchors in cluster_cas.values() {
            for a in anchors {
                out.push(Entry {
                    cert: a.cert.clone(),
                    role: None,
                    name: a.source.clone(),
                    display: it.display.clone(),
                    read: it.read.clone(),
                    index: usize::MAX,
                    kubeadm_dir: kubeadm_dir.clone(),
                    same_file: Arc::from(Vec::new()),
                    key: KeySource::None,
                    ca_key_present: None,
                    kubeconfig_ca: Vec::new(),
                });
            }
        }
    }
}

/// `users[admin].client-certificate-data is not valid base64 (...)` or
/// `users[admin].client-certificate: pki/a.crt: No such file or directory`.
fn material_error(scope: &str, m: &Material, err: &str) -> String {
    match m {
        Material::Broken { .. } => format!("{scope}.{err}"),
        _ => format!("{scope}.{}: {err}", m.field()),
    }
}

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `X.crt` → `X.key` beside it.
fn sibling_key(path: &Path) -> Option<PathBuf> {
    let ext = path.extension()?.to_str()?;
    if ext == "crt" || ext == "cer" {
        Some(path.with_extension("key"))
    } else {
        None
    }
}

fn sibling_display(cert_display: &str, key: &Path) -> String {
    let name = key.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match Path::new(cert_display).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name).display().to_string(),
        _ => name.to_string(),
    }
}

/// A load error in words, without the path (the problem line names it).
fn load_words(e: load::LoadError) -> String {
    match e {
        load::LoadError::Io { source, .. } => {
            format!("cannot read: {}", load::io_message(&source))
        }
        load::LoadError::NotRegular { kind, .. } => format!("{kind}, not a regular file: not read"),
        load::LoadError::TooLarge { .. } => format!(
            "more than {} bytes, too large for a certificate file",
            load::MAX_FILE_BYTES
        ),
        load::LoadError::NoCertificate { what, .. } => what,
    }
}

fn is_ca_entry(e: &Entry) -> bool {
    match e.role {
        Some(r) => r.is_ca(),
        None => e.cert.is_ca || (e.cert.self_issued() && e.cert.version < 3),
    }
}

fn judge_all(entries: Vec<Entry>, opts: &CheckOptions) -> Vec<Row> {
    // CA rows, deduplicated by fingerprint: files first, then embedded.
    let mut ca_entries: Vec<&Entry> = entries.iter().filter(|e| is_ca_entry(e)).collect();
    ca_entries.sort_by_key(|e| (e.index == usize::MAX, e.role.is_none(), e.index));
    let mut seen = HashSet::new();
    let ca_entries: Vec<&Entry> = ca_entries
        .into_iter()
        .filter(|e| seen.insert(e.cert.sha256.clone()))
        .collect();

    let pool: Vec<Anchor> = ca_entries
        .iter()
        .map(|e| {
            Anchor::new(
                e.cert.clone(),
                if e.index == usize::MAX {
                    e.name.clone()
                } else {
                    e.display.clone()
                },
            )
        })
        .collect();
    // kubeadm's CAs per kubeadm directory, and what to call CAs.
    let mut kubeadm_cas: HashMap<(PathBuf, KubeadmCa), Anchor> = HashMap::new();
    let mut ca_names: HashMap<Vec<u8>, String> = HashMap::new();
    let mut ca_key: HashMap<Vec<u8>, bool> = HashMap::new();
    for e in &ca_entries {
        if let (Some(Role::Ca(k)), Some(dir)) = (e.role, &e.kubeadm_dir) {
            kubeadm_cas.insert(
                (dir.clone(), k),
                Anchor::new(e.cert.clone(), e.display.clone()),
            );
            ca_names
                .entry(e.cert.sha256.clone())
                .or_insert_with(|| k.name().to_string());
        }
        if let Some(k) = e.ca_key_present {
            ca_key.entry(e.cert.sha256.clone()).or_insert(k);
        }
    }
    let kubeadm_dirs: HashSet<PathBuf> = kubeadm_cas.keys().map(|(d, _)| d.clone()).collect();
    let only_dir = (kubeadm_dirs.len() == 1)
        .then(|| kubeadm_dirs.iter().next().cloned())
        .flatten();
    let mut manifests: HashMap<PathBuf, Manifests> = HashMap::new();
    for d in &kubeadm_dirs {
        manifests.insert(d.clone(), Manifests::read(d));
    }

    let label = |a: &Anchor| -> String {
        ca_names
            .get(&a.cert.sha256)
            .cloned()
            .unwrap_or_else(|| a.cert.short_name())
    };
    let long_label = |a: &Anchor| -> String {
        match ca_names.get(&a.cert.sha256) {
            Some(n) => format!("{n} ({})", a.cert.subject),
            None => a.cert.subject.clone(),
        }
    };

    let mut rows = Vec::new();
    for e in &ca_entries {
        let mut findings = Vec::new();
        let self_anchor = [Anchor::new(e.cert.clone(), e.display.clone())];
        // Self-issued: its own anchor; else every other CA of the scan
        // (the pool, this CA skipped rather than copied out).
        let anchors: &[Anchor] = if e.cert.self_issued() {
            &self_anchor
        } else {
            &pool
        };
        let mut o = VerifyOptions::new(anchors, opts.at);
        if !e.cert.self_issued() {
            o.skip_anchor = Some(e.cert.sha256.as_slice());
        }
        o.warn_days = Some(opts.warn_days);
        o.intermediates = &e.same_file;
        let v = verify(&e.cert, &o);
        let mut ca_label = if e.cert.self_issued() {
            "self".to_string()
        } else {
            v.anchor().map(|l| l.cert.short_name()).unwrap_or_default()
        };
        for f in v.findings {
            match f {
                Finding::UnknownIssuer { issuer } => {
                    findings.push(Finding::IssuerNotScanned { issuer });
                    ca_label.clear();
                }
                Finding::SelfSignedUntrusted => {}
                other => findings.push(other),
            }
        }
        if !e.cert.is_ca && e.cert.version >= 3 {
            findings.push(Finding::NotCa);
        }
        key_findings(&e.key, &e.cert, &mut findings);
        rows.push(make_row(
            e,
            Kind::Ca,
            ca_label,
            e.ca_key_present.map(|p| !p),
            findings,
            opts,
        ));
    }

    for e in entries.iter().filter(|e| !is_ca_entry(e)) {
        let expected: Option<(Anchor, String)> = match e.role.and_then(|r| r.expected_ca()) {
            Some(k) => {
                let dir = e.kubeadm_dir.clone().or_else(|| only_dir.clone());
                dir.and_then(|d| kubeadm_cas.get(&(d, k)).cloned())
                    .map(|a| {
                        let l = long_label(&a);
                        (a, l)
                    })
                    .or_else(|| {
                        e.kubeconfig_ca
                            .first()
                            .map(|a| (a.clone(), a.cert.subject.clone()))
                    })
            }
            None => None,
        };
        // The kubelet's serving certificate is judged against the cluster CA
        // (what --kubelet-certificate-authority names on a kubeadm node).
        let cluster_ca: Option<Anchor> = only_dir
            .clone()
            .and_then(|d| kubeadm_cas.get(&(d, KubeadmCa::Ca)).cloned());
        // Borrowed where it can be: the whole pool per certificate would
        // be n² copies on a bundle.
        let anchors: std::borrow::Cow<'_, [Anchor]> = match &expected {
            None if e.role == Some(Role::KubeletServing) && cluster_ca.is_some() => {
                cluster_ca.into_iter().collect::<Vec<_>>().into()
            }
            Some((a, _)) => vec![a.clone()].into(),
            None if !e.kubeconfig_ca.is_empty() => e.kubeconfig_ca.as_slice().into(),
            None => pool.as_slice().into(),
        };
        let mut o = VerifyOptions::new(&anchors, opts.at);
        o.warn_days = Some(opts.warn_days);
        o.intermediates = &e.same_file;
        let v = verify(&e.cert, &o);
        let mut ca_label = v.anchor().map(|l| {
            let a = Anchor::new(l.cert.clone(), String::new());
            label(&a)
        });
        let mut findings: Vec<Finding> = Vec::new();
        let ends_self_signed = !v.anchored
            && v.chain.last().is_some_and(|l| l.cert.self_issued())
            && !v
                .findings
                .iter()
                .any(|f| matches!(f, Finding::BadSignature { .. }));
        let serving = e.role == Some(Role::KubeletServing);
        for f in v.findings.iter().cloned() {
            match f {
                Finding::UnknownIssuer { .. } | Finding::SelfSignedUntrusted
                    if serving && ends_self_signed =>
                {
                    let dir = e.kubeadm_dir.clone().or_else(|| only_dir.clone());
                    let verifies = dir
                        .and_then(|d| manifests.get(&d))
                        .is_some_and(|m| m.apiserver_verifies_kubelets());
                    findings.push(Finding::SelfSignedServing {
                        apiserver_verifies: verifies,
                    });
                    ca_label = Some("self".into());
                }
                Finding::UnknownIssuer { issuer } => {
                    // Does it chain to another CA of the scan?
                    let alt = expected.as_ref().and_then(|(exp, exp_label)| {
                        let mut o2 = VerifyOptions::new(&pool, opts.at);
                        o2.skip_anchor = Some(exp.cert.sha256.as_slice());
                        o2.intermediates = &e.same_file;
                        let v2 = verify(&e.cert, &o2);
                        v2.anchor().map(|l| {
                            let a = Anchor::new(l.cert.clone(), String::new());
                            (long_label(&a), label(&a), exp_label.clone())
                        })
                    });
                    match alt {
                        Some((actual, short, expected_label)) => {
                            findings.push(Finding::WrongCa {
                                expected: expected_label,
                                actual,
                            });
                            ca_label = Some(short);
                        }
                        None if expected.is_none() && e.kubeconfig_ca.is_empty() => {
                            findings.push(Finding::IssuerNotScanned { issuer })
                        }
                        None => findings.push(Finding::UnknownIssuer { issuer }),
                    }
                }
                Finding::SelfSignedUntrusted if expected.is_none() => {
                    ca_label = Some("self".into());
                }
                other => findings.push(other),
            }
        }
        if let Some(role) = e.role {
            if let Some(f) = role
                .needs()
                .first()
                .and_then(|(purpose, _)| ca_as_end_entity(&e.cert, *purpose))
            {
                findings.push(f);
            }
            for (purpose, as_) in role.needs() {
                if !e.cert.allows(&purpose.eku()) {
                    findings.push(Finding::WrongEku {
                        needed: purpose,
                        has: e
                            .cert
                            .ext_key_usage
                            .iter()
                            .flatten()
                            .map(|x| x.to_string())
                            .collect(),
                        role: as_.to_string(),
                    });
                }
            }
            let m = e
                .kubeadm_dir
                .clone()
                .or_else(|| only_dir.clone())
                .and_then(|d| manifests.get(&d).cloned())
                .unwrap_or_default();
            let needs = match role {
                Role::Apiserver => m.apiserver_sans(),
                Role::EtcdServer => m.etcd_server_sans(),
                Role::EtcdPeer => m.etcd_peer_sans(),
                _ => Vec::new(),
            };
            for n in needs {
                if !name_matches(&e.cert, &n.name) {
                    findings.push(Finding::MissingSan {
                        name: n.name,
                        why: n.why,
                    });
                }
            }
        }
        key_findings(&e.key, &e.cert, &mut findings);
        let ext = v
            .anchor()
            .and_then(|l| ca_key.get(&l.cert.sha256))
            .map(|present| !present);
        rows.push(make_row(
            e,
            Kind::Certificate,
            ca_label.unwrap_or_default(),
            ext,
            findings,
            opts,
        ));
    }
    rows
}

fn key_findings(key: &KeySource, cert: &CertInfo, out: &mut Vec<Finding>) {
    match key {
        KeySource::None => {}
        KeySource::Unreadable { display, why } => out.push(Finding::KeyUnreadable {
            key: display.clone(),
            why: why.clone(),
        }),
        KeySource::Keys { display, keys } => {
            let results: Vec<KeyMatch> = keys.iter().map(|k| k.matches(cert)).collect();
            if results.contains(&KeyMatch::Matches) {
                return;
            }
            if let Some(KeyMatch::Unknown(why)) =
                results.iter().find(|r| matches!(r, KeyMatch::Unknown(_)))
            {
                out.push(Finding::KeyUnreadable {
                    key: display.clone(),
                    why: why.clone(),
                });
            } else {
                out.push(Finding::KeyMismatch {
                    key: display.clone(),
                });
            }
        }
    }
}

fn make_row(
    e: &Entry,
    kind: Kind,
    ca: String,
    externally_managed: Option<bool>,
    findings: Vec<Finding>,
    opts: &CheckOptions,
) -> Row {
    let left = e.cert.seconds_left(opts.at);
    Row {
        name: e.name.clone(),
        path: e.display.clone(),
        kind,
        subject: e.cert.subject.clone(),
        issuer: e.cert.issuer.clone(),
        serial: e.cert.serial.clone(),
        not_before: e.cert.not_before.rfc3339(),
        not_after: e.cert.not_after.rfc3339(),
        residual: residual(left),
        residual_days: days(left),
        ca,
        externally_managed,
        status: Status::of(&findings),
        findings,
        role: e.role,
        cert: e.cert.clone(),
    }
}

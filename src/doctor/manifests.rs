//! Static pod manifests (`etc/kubernetes/manifests`): read once for every
//! check, then judged — YAML that does not parse (with line and column),
//! binary junk, duplicate flags, flags that point at files missing from
//! the node, and a control-plane image tag that looks like a typo of the
//! other components' version.

use std::collections::BTreeMap;
use std::path::Path;

use super::node::{ReadError, flag_line, is_symlink_loop, read_text};
use super::{Finding, Node, Status};
use crate::pki::node::NodeRoot;

const CHECK: &str = "manifests";
/// The kubelet's static pod folder (kubeadm's `staticPodPath`).
pub const MANIFEST_DIR: &str = "/etc/kubernetes/manifests";

/// One command-line flag of a static pod's first container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: String,
    /// 1-based line in the manifest.
    pub line: Option<usize>,
}

/// A static pod manifest that parsed.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The node's path (`/etc/kubernetes/manifests/kube-apiserver.yaml`).
    pub file: String,
    /// `metadata.labels.component`, else `metadata.name`, else the file stem.
    pub component: String,
    pub text: String,
    pub doc: serde_norway::Value,
    pub flags: Vec<Flag>,
}

impl Manifest {
    /// The last value of a flag (the one the program uses) and its line.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// A comma-separated flag as a list.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.flag(name)
            .map(|f| {
                f.value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The manifests that parsed.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub parsed: Vec<Manifest>,
    /// The folder could be listed.
    pub dir_found: bool,
}

impl Manifests {
    pub fn component(&self, name: &str) -> Option<&Manifest> {
        self.parsed.iter().find(|m| m.component == name)
    }

    pub fn apiserver(&self) -> Option<&Manifest> {
        self.component("kube-apiserver")
    }

    pub fn etcd(&self) -> Option<&Manifest> {
        self.component("etcd")
    }

    /// Lists and parses every manifest; files that cannot be read or parsed
    /// become findings.
    pub fn read(root: &NodeRoot, findings: &mut Vec<Finding>) -> Manifests {
        let dir = root.path(Path::new(MANIFEST_DIR));
        let mut out = Manifests::default();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Warn,
                        format!(
                            "no static pod manifests: {}",
                            crate::pki::load::io_message(&e)
                        ),
                    )
                    .file(MANIFEST_DIR)
                    .fix("on a control-plane node, kubeadm writes them: kubeadm init phase control-plane all; kubeadm init phase etcd local"),
                );
                return out;
            }
        };
        out.dir_found = true;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        for name in names {
            let file = format!("{MANIFEST_DIR}/{name}");
            let host = dir.join(&name);
            if let Some(m) = parse_one(&file, &host, findings) {
                out.parsed.push(m);
            }
        }
        out
    }
}

fn parse_one(file: &str, host: &Path, findings: &mut Vec<Finding>) -> Option<Manifest> {
    if is_symlink_loop(host) {
        findings.push(
            Finding::new(
                CHECK,
                Status::Warn,
                format!("not checked: {}", ReadError::SymlinkLoop),
            )
            .file(file)
            .fix("remove the looping symlink from the static pod folder"),
        );
        return None;
    }
    let text = match read_text(host) {
        Ok(t) => t,
        Err(e @ (ReadError::Binary(_) | ReadError::NotUtf8(_))) => {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!("not a manifest: {e}; the kubelet cannot start this pod"),
                )
                .file(file)
                .fix("restore the manifest (kubeadm init phase control-plane/etcd) or move the file out of the folder"),
            );
            return None;
        }
        Err(e) => {
            findings.push(
                Finding::new(CHECK, Status::Warn, format!("not checked: {e}"))
                    .file(file)
                    .fix("make it a readable manifest file or move it out of the folder"),
            );
            return None;
        }
    };
    let doc: serde_norway::Value = match serde_norway::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (Some(l.line()), Some(l.column())))
                .unwrap_or((None, None));
            let at = column.map(|c| format!(" (column {c})")).unwrap_or_default();
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    format!("YAML does not parse{at}: {e}; the kubelet skips this pod"),
                )
                .file(file)
                .line(line)
                .fix("fix the YAML at that line (indentation, a stray tab or quote)"),
            );
            return None;
        }
    };
    let component = doc
        .get("metadata")
        .and_then(|m| {
            m.get("labels")
                .and_then(|l| l.get("component"))
                .or_else(|| m.get("name"))
        })
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let flags = flags_of(&doc, &text);
    Some(Manifest {
        file: file.to_string(),
        component,
        text,
        doc,
        flags,
    })
}

/// The flags of the first container's command and args, with their lines.
fn flags_of(doc: &serde_norway::Value, text: &str) -> Vec<Flag> {
    let mut words = Vec::new();
    if let Some(c) = doc
        .get("spec")
        .and_then(|s| s.get("containers"))
        .and_then(|c| c.as_sequence())
        .and_then(|c| c.first())
    {
        for key in ["command", "args"] {
            if let Some(seq) = c.get(key).and_then(|v| v.as_sequence()) {
                words.extend(seq.iter().filter_map(|w| w.as_str().map(str::to_string)));
            }
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut flags = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some(flag) = words[i].strip_prefix("--") {
            let (name, value) = match flag.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => {
                    let next = words.get(i + 1).filter(|w| !w.starts_with('-'));
                    let v = next.cloned().unwrap_or_default();
                    if next.is_some() {
                        i += 1;
                    }
                    (flag.to_string(), v)
                }
            };
            let n = seen.entry(name.clone()).or_insert(0);
            let line = flag_line(text, &name, *n);
            *n += 1;
            flags.push(Flag { name, value, line });
        }
        i += 1;
    }
    flags
}

/// Flags whose value names a file the component reads.
fn names_a_file(name: &str) -> bool {
    !name.contains("log")
        && !name.ends_with("dir")
        && (name.ends_with("file")
            || name.ends_with("cafile")
            || name.contains("cert")
            || name.ends_with("key")
            || name.ends_with("-ca")
            || name.contains("kubeconfig")
            || name.ends_with("config"))
}

/// `vMAJOR.MINOR.PATCH[-suffix]` → (major, minor).
fn version_of(tag: &str) -> Option<(u32, u32)> {
    let core = tag.strip_prefix('v')?.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((parts[0].parse().ok()?, parts[1].parse().ok()?))
}

/// Levenshtein distance, for "looks like a typo".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The image tag of the first container (`registry.k8s.io/kube-scheduler:v1.31.0` → `v1.31.0`).
fn image_tag(m: &Manifest) -> Option<String> {
    let image = m
        .doc
        .get("spec")?
        .get("containers")?
        .as_sequence()?
        .first()?
        .get("image")?
        .as_str()?;
    let name = image.rsplit('/').next()?;
    name.split_once(':')
        .map(|(_, t)| t.split('@').next().unwrap_or(t).to_string())
}

/// A control-plane image tag that is not the others' version and looks
/// like a typo of it (not a version at all, or minor versions apart).
fn image_versions(node: &Node, findings: &mut Vec<Finding>) {
    let tagged: Vec<(&Manifest, String)> = node
        .manifests
        .parsed
        .iter()
        .filter(|m| {
            matches!(
                m.component.as_str(),
                "kube-apiserver" | "kube-controller-manager" | "kube-scheduler"
            )
        })
        .filter_map(|m| image_tag(m).map(|t| (m, t)))
        .collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, t) in &tagged {
        if version_of(t).is_some() {
            *counts.entry(t.as_str()).or_insert(0) += 1;
        }
    }
    let Some((common, n)) = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(t, n)| (*t, *n))
    else {
        return;
    };
    if n < 2 {
        return;
    }
    let Some((major, minor)) = version_of(common) else {
        return;
    };
    for (m, tag) in &tagged {
        if tag == common {
            continue;
        }
        let line = super::node::line_starting(&m.text, "image:", 1);
        let problem = match version_of(tag) {
            None => Some((
                Status::Fail,
                format!(
                    "{}: image tag {tag:?} is not a Kubernetes version{}; the other control-plane components run {common}: the image pull fails (ImagePullBackOff)",
                    m.component,
                    if edit_distance(tag, common) <= 3 {
                        format!(" and looks like a typo of {common}")
                    } else {
                        String::new()
                    }
                ),
            )),
            Some((ma, mi)) if ma != major || mi.abs_diff(minor) > 1 => Some((
                Status::Warn,
                format!(
                    "{}: image tag {tag} is more than one minor version from the other components' {common}{}",
                    m.component,
                    if edit_distance(tag, common) <= 2 {
                        " (a typo?)"
                    } else {
                        ""
                    }
                ),
            )),
            Some(_) => None,
        };
        if let Some((status, message)) = problem {
            findings.push(
                Finding::new(CHECK, status, message)
                    .file(&m.file)
                    .line(line)
                    .fix(format!("set the image tag to {common} in {}", m.file)),
            );
        }
    }
}

/// Duplicate flags, flags pointing at missing files, image tag typos.
pub fn check(node: &Node, findings: &mut Vec<Finding>) {
    image_versions(node, findings);
    for m in &node.manifests.parsed {
        let before = findings.len();
        let mut counts: BTreeMap<&str, Vec<&Flag>> = BTreeMap::new();
        for f in &m.flags {
            counts.entry(f.name.as_str()).or_default().push(f);
        }
        for (name, all) in &counts {
            if all.len() > 1 {
                let values: Vec<&str> = all.iter().map(|f| f.value.as_str()).collect();
                let last = all.last().map(|f| f.value.as_str()).unwrap_or_default();
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!(
                            "{}: --{name} given {} times ({}); the last one ({last}) wins",
                            m.component,
                            all.len(),
                            values.join(", ")
                        ),
                    )
                    .file(&m.file)
                    .line(all.get(1).and_then(|f| f.line))
                    .fix(format!("keep one --{name} line with the intended value")),
                );
            }
        }
        for f in &m.flags {
            if !names_a_file(&f.name) || !f.value.starts_with('/') {
                continue;
            }
            let host = node.host(&f.value);
            if std::fs::symlink_metadata(&host).is_err() && !host.exists() {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!(
                            "{}: --{}={} does not exist on the node; {} will not start",
                            m.component, f.name, f.value, m.component
                        ),
                    )
                    .file(&m.file)
                    .line(f.line)
                    .fix(format!(
                        "create {} (kubeadm init phase certs/kubeconfig) or correct the path",
                        f.value
                    )),
                );
            }
        }
        if findings.len() == before {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Ok,
                    format!(
                        "{}: parsed, {} flags, no duplicates, every file flag points at a file",
                        m.component,
                        m.flags.len()
                    ),
                )
                .file(&m.file),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_typos() {
        assert_eq!(version_of("v1.31.0"), Some((1, 31)));
        assert_eq!(version_of("v1.31.0-rc.1"), Some((1, 31)));
        assert_eq!(version_of("v1.31.O"), None);
        assert_eq!(version_of("1.31.0"), None);
        assert_eq!(edit_distance("v1.13.0", "v1.31.0"), 2);
        assert_eq!(edit_distance("v1.31.O", "v1.31.0"), 1);
    }
}

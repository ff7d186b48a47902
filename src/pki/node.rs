//! A node's file tree: the machine's own `/`, or a copy of a node under a
//! directory (`--root DIR`: a copied node, a test fixture). Absolute paths
//! found inside the tree — kubeconfig `client-certificate:` paths, the
//! kubelet's absolute `kubelet-client-current.pem` symlink — resolve under
//! that directory, never on the machine running kinspect.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Where a node's files are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeRoot {
    dir: Option<PathBuf>,
}

/// Symlinks followed before giving up on a path (as Linux's 40).
const MAX_LINKS: usize = 40;

impl NodeRoot {
    /// This machine's own files.
    pub fn host() -> NodeRoot {
        NodeRoot { dir: None }
    }

    /// A node tree copied under `dir`.
    pub fn under(dir: impl Into<PathBuf>) -> NodeRoot {
        NodeRoot {
            dir: Some(dir.into()),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Where the node's `path` is read on this machine: under the root for
    /// a tree (symlinks resolved inside it), as is for the host.
    pub fn path(&self, node_path: &Path) -> PathBuf {
        match &self.dir {
            None => node_path.to_path_buf(),
            Some(dir) => resolve_in(dir, node_path),
        }
    }

    /// Resolves a path already on this machine (e.g. a file found while
    /// walking `DIR/var/lib/kubelet`) so that symlinks with absolute
    /// targets stay inside the tree.
    pub fn resolve(&self, host_path: &Path) -> PathBuf {
        match &self.dir {
            None => host_path.to_path_buf(),
            Some(dir) => match host_path.strip_prefix(dir) {
                Ok(rel) => resolve_in(dir, &Path::new("/").join(rel)),
                Err(_) => host_path.to_path_buf(),
            },
        }
    }

    /// How the node names a file read from `host_path` (`/etc/kubernetes/...`
    /// for a tree; unchanged for the host or paths outside the tree).
    pub fn node_path(&self, host_path: &Path) -> PathBuf {
        match &self.dir {
            Some(dir) => match host_path.strip_prefix(dir) {
                Ok(rel) => Path::new("/").join(rel),
                Err(_) => host_path.to_path_buf(),
            },
            None => host_path.to_path_buf(),
        }
    }
}

/// Resolves `node_path` component by component inside `root`: `..` stops
/// at the root, a symlink's absolute target restarts from the root.
fn resolve_in(root: &Path, node_path: &Path) -> PathBuf {
    let mut queue: VecDeque<OsString> = VecDeque::new();
    push_components(&mut queue, node_path, false);
    let mut resolved: Vec<OsString> = Vec::new();
    let mut links = 0usize;
    while let Some(c) = queue.pop_front() {
        if c == "/" {
            resolved.clear();
            continue;
        }
        if c == ".." {
            resolved.pop();
            continue;
        }
        resolved.push(c);
        let host = join(root, &resolved);
        if let Ok(target) = std::fs::read_link(&host) {
            links += 1;
            if links > MAX_LINKS {
                return host;
            }
            resolved.pop();
            push_components(&mut queue, &target, true);
        }
    }
    join(root, &resolved)
}

/// Puts the components of `p` at the front (a link target) or back of the queue.
fn push_components(queue: &mut VecDeque<OsString>, p: &Path, front: bool) {
    let mut parts: Vec<OsString> = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => parts.push("/".into()),
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(n) => parts.push(n.to_os_string()),
        }
    }
    if front {
        for p in parts.into_iter().rev() {
            queue.push_front(p);
        }
    } else {
        queue.extend(parts);
    }
}

fn join(root: &Path, parts: &[OsString]) -> PathBuf {
    let mut p = root.to_path_buf();
    for part in parts {
        p.push(part);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_symlinks_stay_inside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("var/lib/kubelet/pki")).unwrap();
        std::fs::write(
            root.join("var/lib/kubelet/pki/kubelet-client-2026.pem"),
            b"x",
        )
        .unwrap();
        std::os::unix::fs::symlink(
            "/var/lib/kubelet/pki/kubelet-client-2026.pem",
            root.join("var/lib/kubelet/pki/kubelet-client-current.pem"),
        )
        .unwrap();
        // A relative link through a directory link.
        std::os::unix::fs::symlink("/var/lib/kubelet", root.join("kl")).unwrap();
        let r = NodeRoot::under(root);
        let want = root.join("var/lib/kubelet/pki/kubelet-client-2026.pem");
        assert_eq!(
            r.path(Path::new("/var/lib/kubelet/pki/kubelet-client-current.pem")),
            want
        );
        assert_eq!(
            r.path(Path::new("/kl/pki/kubelet-client-current.pem")),
            want
        );
        assert_eq!(
            r.resolve(&root.join("var/lib/kubelet/pki/kubelet-client-current.pem")),
            want
        );
        // `..` cannot climb out of the root.
        assert_eq!(
            r.path(Path::new("/../../etc/passwd")),
            root.join("etc/passwd")
        );
        assert_eq!(
            r.node_path(&root.join("etc/kubernetes/admin.conf")),
            PathBuf::from("/etc/kubernetes/admin.conf")
        );
    }

    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("/a", dir.path().join("b")).unwrap();
        let r = NodeRoot::under(dir.path());
        let p = r.path(Path::new("/a"));
        assert!(p.starts_with(dir.path()));
    }
}

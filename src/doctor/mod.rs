//! Node diagnosis (`kinspect doctor`): reads a control-plane node's own
//! files — static pod manifests, kubeconfigs, PKI, kubelet configuration,
//! CNI configuration — from `--root DIR` (default `/`) and names each
//! problem with the file, the line, the evidence and a one-line fix.
//!
//! One file per check group: [`manifests`] (YAML, duplicate flags, flags
//! pointing at missing files), [`apiserver`] (`--secure-port` against the
//! kubeconfigs and the manifest's probes), [`etcd`] (`--etcd-servers`
//! against the etcd manifest's client and peer URLs and TLS flags),
//! [`certs`] (the `certs check` and `certs kubelet` scans, kubelet client
//! certificate first) and [`cni`] (`etc/cni/net.d` in the runtime's load
//! order). [`node`] reads files defensively: a file that cannot be read,
//! is too large, is binary or a symlink loop becomes a finding and the
//! other checks still run. With `--probe`, [`probe`] adds what answers on
//! the apiserver and etcd ports.

pub mod apiserver;
pub mod capture;
pub mod certs;
pub mod cni;
pub mod etcd;
pub mod manifests;
pub mod node;
pub mod probe;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::pki::node::NodeRoot;
use crate::timestamp::Timestamp;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One thing doctor found (or found fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check group: `manifests`, `apiserver-port`, `etcd-endpoints`,
    /// `kubelet-certs`, `certificates`, `cni`.
    pub check: &'static str,
    pub status: Status,
    /// The node's path of the file (`/etc/kubernetes/...`).
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    pub endpoint: Option<String>,
    pub message: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(check: &'static str, status: Status, message: impl Into<String>) -> Finding {
        Finding {
            check,
            status,
            file: None,
            line: None,
            endpoint: None,
            message: message.into(),
            fix: None,
        }
    }

    pub fn file(mut self, file: impl Into<String>) -> Finding {
        self.file = Some(file.into());
        self
    }

    pub fn line(mut self, line: Option<usize>) -> Finding {
        self.line = line;
        self
    }

    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Finding {
        self.endpoint = Some(endpoint.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    /// `file:line`, the file, the endpoint, or `-`.
    pub fn location(&self) -> String {
        match (&self.file, self.line, &self.endpoint) {
            (Some(f), Some(l), _) => format!("{f}:{l}"),
            (Some(f), None, _) => f.clone(),
            (None, _, Some(e)) => e.clone(),
            (None, _, None) => "-".to_string(),
        }
    }
}

/// Why doctor could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error("cannot read the node root {}: {why}", path.display())]
    RootUnreadable { path: PathBuf, why: String },
}

/// What to diagnose.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// The node's `/` on this machine.
    pub root: PathBuf,
    /// Judge certificates at this time.
    pub at: Timestamp,
    pub warn_days: u32,
    /// Also probe the apiserver and etcd ports (`--probe`).
    pub probe: bool,
    /// Also capture the control-plane ports for a while (`--capture`).
    pub capture: Option<capture::CaptureOptions>,
}

/// Everything doctor found, in check order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// 1 when anything fails, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.count(Status::Fail) > 0)
    }
}

/// The node being diagnosed: its root and the manifests read once.
pub struct Node {
    pub root: NodeRoot,
    pub manifests: manifests::Manifests,
}

impl Node {
    /// Where the node's absolute `path` is read on this machine.
    pub fn host(&self, path: &str) -> PathBuf {
        self.root.path(Path::new(path))
    }
}

/// Runs every check; `Err` only when the root itself cannot be read.
pub fn run(opts: &DoctorOptions) -> Result<Report, DoctorError> {
    if let Err(e) = std::fs::read_dir(&opts.root) {
        return Err(DoctorError::RootUnreadable {
            path: opts.root.clone(),
            why: crate::pki::load::io_message(&e),
        });
    }
    let root = if opts.root == Path::new("/") {
        NodeRoot::host()
    } else {
        NodeRoot::under(opts.root.clone())
    };
    let mut findings = Vec::new();
    let manifests = manifests::Manifests::read(&root, &mut findings);
    let node = Node { root, manifests };
    manifests::check(&node, &mut findings);
    apiserver::check(&node, &mut findings);
    etcd::check(&node, &mut findings);
    certs::check(&node, opts, &mut findings);
    cni::check(&node, &mut findings);
    if opts.probe {
        probe::check(&node, opts, &mut findings);
    }
    if let Some(c) = &opts.capture {
        capture::check(c, &mut findings);
    }
    Ok(Report { findings })
}

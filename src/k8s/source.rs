//! Where stored Kubernetes objects come from, one model for all: a live
//! etcd (the etcd flags and etcdctl's environment), an etcd db file
//! (`--db`: a snapshot or a member's `member/snap/db`), an etcd data
//! directory (`--data-dir`), or kubectl's output and manifests (`-f`:
//! `kubectl get -o json|yaml`, a `List`, multi-document YAML, a folder of
//! them, or `-` for stdin).
//!
//! Each object arrives as a [`StoredObject`]: its kubectl-shaped JSON
//! form ([`ApiValue`]) and its typed form ([`Typed`], k8s-pb). Objects
//! from files are encoded to protobuf first ([`crate::k8s::encode`]) and
//! then decoded like stored ones, so every source yields the same thing.
//! etcd sources stream (one page of values at a time); files are read
//! whole (they are manifests, not databases), each at most
//! [`MAX_FILE_BYTES`].

use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::render::{RenderOptions, redact_secret};
use super::state::{ClusterState, Typed};
use super::value::ApiValue;
use super::{DecodeOptions, Decoded, decode_value, display_key};
use crate::etcd::keys::{Pager, WalkSpec};
use crate::etcd::offline::{OfflineError, OfflineStore};
use crate::etcd::{ClientError, EtcdOptions};

/// Largest manifest or kubectl output file read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Values fetched per etcd range request.
const PAGE: i64 = 500;

/// Where objects are read from.
pub enum Source {
    /// A live etcd.
    Live(EtcdOptions),
    /// An etcd db file or data directory, opened read-only.
    Offline(Box<OfflineStore>),
    /// kubectl JSON/YAML or manifests (`-` is stdin).
    Files(Vec<PathBuf>),
}

/// Why objects could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Etcd(#[from] ClientError),
    #[error(transparent)]
    Offline(#[from] OfflineError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// One object, wherever it came from.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// The etcd key, or `FILE` / `FILE#N` for the N-th object of a file.
    pub key: String,
    /// etcd's mod revision (0 for files).
    pub mod_revision: i64,
    pub api_version: String,
    pub kind: String,
    /// The object as kubectl shows it (Secret values redacted unless asked).
    pub object: ApiValue,
    /// The typed form, for the kinds kinspect reasons about.
    pub typed: Typed,
    /// What could not be decoded, with offsets or paths.
    pub problems: Vec<String>,
}

impl StoredObject {
    /// `metadata.namespace`, or "".
    pub fn namespace(&self) -> &str {
        self.object
            .pointer(&["metadata", "namespace"])
            .and_then(ApiValue::as_str)
            .unwrap_or("")
    }

    /// `metadata.name`, or "".
    pub fn name(&self) -> &str {
        self.object
            .pointer(&["metadata", "name"])
            .and_then(ApiValue::as_str)
            .unwrap_or("")
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> std::collections::BTreeMap<String, String> {
        match self.object.pointer(&["metadata", "labels"]) {
            Some(ApiValue::Obj(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect(),
            _ => Default::default(),
        }
    }
}

/// Which objects to read: an etcd key prefix (etcd sources), and the
/// kind they must have (all sources; files are filtered by it).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `/registry/pods/` or `/registry/pods/default/`; a whole key when
    /// `exact`.
    pub prefix: String,
    pub exact: bool,
    /// Keep only objects of this kind ("" keeps all).
    pub kind: String,
    /// With `kind`: and of this API group ("" = core); `None`: any group.
    pub group: Option<String>,
    /// Keep only this namespace (files; etcd narrows by prefix).
    pub namespace: Option<String>,
}

impl Selection {
    fn keeps(&self, o: &StoredObject) -> bool {
        if !self.kind.is_empty() && !o.kind.eq_ignore_ascii_case(&self.kind) {
            return false;
        }
        if let Some(g) = &self.group {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            if group != g {
                return false;
            }
        }
        if let Some(ns) = &self.namespace
            && o.namespace() != ns
        {
            return false;
        }
        true
    }
}

/// Counts of one read.
#[derive(Debug, Clone, Default)]
pub struct ReadStats {
    /// Keys or file objects looked at.
    pub seen: u64,
    /// Objects handed to the caller.
    pub objects: u64,
    /// Values that were not Kubernetes objects (skipped).
    pub skipped: u64,
    /// The etcd revision read at (0 for files).
    pub revision: i64,
    /// Objects that could not be read (files: the object and why);
    /// reading went on without them.
    pub errors: Vec<String>,
}

impl Source {
    /// Calls `f` with each selected object, in key order (etcd) or file
    /// order, until it says stop.
    pub fn for_each(
        &self,
        sel: &Selection,
        opts: &RenderOptions,
        f: &mut dyn FnMut(StoredObject) -> ControlFlow<()>,
    ) -> Result<ReadStats, SourceError> {
        match self {
            Source::Live(o) => live(o, sel, opts, f),
            Source::Offline(store) => offline(store, sel, opts, f),
            Source::Files(paths) => files(paths, sel, opts, f),
        }
    }
}

/// Decodes one stored value into an object, or `None` if it is not a
/// Kubernetes object this model can show.
pub fn from_stored(
    key: &[u8],
    value: &[u8],
    mod_revision: i64,
    opts: &RenderOptions,
) -> Option<StoredObject> {
    let dopts = DecodeOptions {
        show_secrets: opts.show_secrets,
        ..DecodeOptions::default()
    };
    let decoded = decode_value(Some(key), value, &dopts);
    let tm = decoded.type_meta()?.clone();
    let (object, typed, problems) = match &decoded {
        Decoded::Protobuf(p) => {
            let object = p.object.clone()?;
            let raw = super::envelope::raw_of(value).unwrap_or_default();
            let mut problems = p.problems.clone();
            let typed = match Typed::decode(&tm.api_version, &tm.kind, raw) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(e.to_string());
                    Typed::Other
                }
            };
            (object, typed, problems)
        }
        Decoded::Json(j) | Decoded::Cbor(j) => {
            let mut object = ApiValue::from_json(&j.object);
            if !opts.show_secrets && tm.api_version == "v1" && tm.kind == "Secret" {
                redact_secret(&mut object);
            }
            let typed = typed_from_json(&j.object).unwrap_or(Typed::Other);
            (object, typed, Vec::new())
        }
        _ => return None,
    };
    Some(StoredObject {
        key: display_key(key),
        mod_revision,
        api_version: tm.api_version,
        kind: tm.kind,
        object,
        typed,
        problems,
    })
}

/// An object given as JSON (kubectl's shape, a manifest) as an apiserver
/// stores it: its etcd key (the apiserver's layout, see
/// [`crate::k8s::resources`]) and the `k8s\0` envelope around its
/// protobuf, encoded with k8s-pb for the kinds kinspect types, by the
/// schema otherwise. For loading a lab etcd and for tests.
pub fn to_stored(json: &serde_json::Value) -> Result<(String, Vec<u8>), String> {
    let enc = super::encode::encode_object(json)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "not a kind of Kubernetes' schema".to_string())?;
    let typed = Typed::decode(&enc.api_version, &enc.kind, &enc.raw).map_err(|e| e.to_string())?;
    let raw = typed.encode().unwrap_or_else(|| enc.raw.clone());
    let res = super::resources::by_kind(&enc.api_version, &enc.kind).ok_or_else(|| {
        format!(
            "no storage layout known for {} {}",
            enc.api_version, enc.kind
        )
    })?;
    let meta = |k: &str| {
        json.pointer(&format!("/metadata/{k}"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let ns = meta("namespace");
    let ns = if ns.is_empty() {
        "default".to_string()
    } else {
        ns
    };
    let key = res.key(&ns, &meta("name"));
    Ok((
        key,
        super::envelope::encode(&enc.api_version, &enc.kind, &raw),
    ))
}

/// The typed form of an object given as JSON (kubectl's shape).
pub fn typed_from_json(json: &serde_json::Value) -> Result<Typed, String> {
    let enc = super::encode::encode_object(json).map_err(|e| e.to_string())?;
    match enc {
        Some(e) => Typed::decode(&e.api_version, &e.kind, &e.raw).map_err(|e| e.to_string()),
        None => Ok(Typed::Other),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, SourceError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SourceError::Runtime)
}

fn live(
    opts: &EtcdOptions,
    sel: &Selection,
    ropts: &RenderOptions,
    f: &mut dyn FnMut(StoredObject) -> ControlFlow<()>,
) -> Result<ReadStats, SourceError> {
    let rt = runtime()?;
    rt.block_on(async {
        let spec = if sel.exact {
            WalkSpec::single(sel.prefix.as_bytes(), 0)
        } else {
            WalkSpec::prefix(sel.prefix.as_bytes(), false, PAGE, 0)
        };
        let mut pager = Pager::new(opts, spec);
        let mut stats = ReadStats::default();
        'pages: loop {
            let kvs = match pager.next_page().await {
                Ok(Some(kvs)) => kvs,
                Ok(None) => break,
                Err(e) => return Err(SourceError::Etcd(opts.explain(e).await)),
            };
            for kv in &kvs {
                stats.seen += 1;
                match from_stored(kv.key(), kv.value(), kv.mod_revision(), ropts) {
                    Some(o) if sel.keeps(&o) => {
                        stats.objects += 1;
                        if f(o).is_break() {
                            break 'pages;
                        }
                    }
                    Some(_) => {}
                    None => stats.skipped += 1,
                }
            }
        }
        stats.revision = pager.revision();
        Ok(stats)
    })
}

fn offline(
    store: &OfflineStore,
    sel: &Selection,
    ropts: &RenderOptions,
    f: &mut dyn FnMut(StoredObject) -> ControlFlow<()>,
) -> Result<ReadStats, SourceError> {
    let mut stats = ReadStats {
        revision: store.revision(),
        ..ReadStats::default()
    };
    store.range(sel.prefix.as_bytes(), !sel.exact, None, &mut |kv| {
        stats.seen += 1;
        match from_stored(kv.key, kv.value, kv.mod_revision, ropts) {
            Some(o) if sel.keeps(&o) => {
                stats.objects += 1;
                f(o)
            }
            Some(_) => ControlFlow::Continue(()),
            None => {
                stats.skipped += 1;
                ControlFlow::Continue(())
            }
        }
    })?;
    Ok(stats)
}

fn file_error(path: &Path, message: impl Into<String>) -> SourceError {
    SourceError::File {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Reads a file (or stdin for `-`), at most [`MAX_FILE_BYTES`].
fn read_input(path: &Path) -> Result<Vec<u8>, SourceError> {
    let mut buf = Vec::new();
    let limit = MAX_FILE_BYTES + 1;
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut buf)
            .map_err(|e| file_error(path, e.to_string()))?;
    } else {
        let meta = std::fs::metadata(path).map_err(|e| file_error(path, e.to_string()))?;
        if !meta.is_file() {
            return Err(file_error(path, "not a regular file"));
        }
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut buf))
            .map_err(|e| file_error(path, e.to_string()))?;
    }
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(file_error(
            path,
            format!("larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok(buf)
}

/// Every file named, folders expanded (their `.json`, `.yaml`, `.yml`
/// files, sorted, one level deep as `kubectl apply -f DIR`).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| file_error(p, e.to_string()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(
                            f.extension().and_then(|x| x.to_str()),
                            Some("json" | "yaml" | "yml")
                        )
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The objects of one document: itself, or the items of a `List`
/// (`kubectl get -o json` of several objects).
fn flatten(doc: serde_json::Value, out: &mut Vec<serde_json::Value>) {
    let is_list = doc
        .get("kind")
        .and_then(|k| k.as_str())
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && doc.get("items").is_some_and(|i| i.is_array());
    if is_list {
        if let serde_json::Value::Object(mut m) = doc
            && let Some(serde_json::Value::Array(items)) = m.remove("items")
        {
            for i in items {
                flatten(i, out);
            }
        }
    } else if !doc.is_null() {
        out.push(doc);
    }
}

/// Parses JSON or (multi-document) YAML into objects.
pub fn parse_documents(text: &[u8], path: &Path) -> Result<Vec<serde_json::Value>, SourceError> {
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    let mut docs = Vec::new();
    if matches!(first, Some(b'{') | Some(b'[')) {
        let stream = serde_json::Deserializer::from_slice(text).into_iter::<serde_json::Value>();
        for (i, d) in stream.enumerate() {
            let d = d.map_err(|e| file_error(path, format!("JSON document {}: {e}", i + 1)))?;
            match d {
                serde_json::Value::Array(items) => {
                    items.into_iter().for_each(|x| flatten(x, &mut docs))
                }
                d => flatten(d, &mut docs),
            }
        }
    } else {
        let text =
            std::str::from_utf8(text).map_err(|e| file_error(path, format!("not UTF-8: {e}")))?;
        for (i, de) in serde_norway::Deserializer::from_str(text).enumerate() {
            use serde::Deserialize as _;
            let d = serde_json::Value::deserialize(de)
                .map_err(|e| file_error(path, format!("YAML document {}: {e}", i + 1)))?;
            flatten(d, &mut docs);
        }
    }
    Ok(docs)
}

/// An object given as JSON, as the apiserver would store and show it.
pub fn from_json(
    key: String,
    json: &serde_json::Value,
    opts: &RenderOptions,
) -> Result<StoredObject, String> {
    let s = |k: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind) = (s("apiVersion"), s("kind"));
    if api_version.is_empty() || kind.is_empty() {
        return Err("not a Kubernetes object (no apiVersion or kind)".into());
    }
    let enc = super::encode::encode_object(json).map_err(|e| e.to_string())?;
    match enc {
        Some(enc) => {
            let stored = enc.stored_value();
            let mut o = from_stored(key.as_bytes(), &stored, 0, opts)
                .ok_or_else(|| "could not decode the encoded object".to_string())?;
            o.key = key;
            o.problems.extend(
                enc.unknown
                    .into_iter()
                    .map(|u| format!("field {u} is not in the schema: skipped")),
            );
            Ok(o)
        }
        None => {
            let mut object = ApiValue::from_json(json);
            if !opts.show_secrets && api_version == "v1" && kind == "Secret" {
                redact_secret(&mut object);
            }
            Ok(StoredObject {
                key,
                mod_revision: 0,
                api_version,
                kind,
                object,
                typed: Typed::Other,
                problems: Vec::new(),
            })
        }
    }
}

fn files(
    paths: &[PathBuf],
    sel: &Selection,
    ropts: &RenderOptions,
    f: &mut dyn FnMut(StoredObject) -> ControlFlow<()>,
) -> Result<ReadStats, SourceError> {
    let mut stats = ReadStats::default();
    for path in expand(paths)? {
        let text = read_input(&path)?;
        let docs = parse_documents(&text, &path)?;
        let many = docs.len() > 1;
        for (i, doc) in docs.iter().enumerate() {
            stats.seen += 1;
            let key = if many {
                format!("{}#{}", path.display(), i + 1)
            } else {
                path.display().to_string()
            };
            let o = match from_json(key.clone(), doc, ropts) {
                Ok(o) => o,
                Err(m) => {
                    stats.errors.push(format!("{key}: {m}"));
                    continue;
                }
            };
            if sel.keeps(&o) {
                stats.objects += 1;
                if f(o).is_break() {
                    return Ok(stats);
                }
            }
        }
    }
    Ok(stats)
}

/// The whole cluster state the Day-2 commands reason about, read from
/// `source`, judged at `now` (Unix seconds).
pub fn load_cluster(source: &Source, now: i64) -> Result<(ClusterState, ReadStats), SourceError> {
    let mut state = ClusterState {
        now,
        ..ClusterState::default()
    };
    let opts = RenderOptions::default();
    let mut total = ReadStats::default();
    // The apiserver's prefixes of the kinds the state holds (see
    // resources.rs); files are read once and sorted by kind.
    let prefixes: &[&str] = match source {
        Source::Files(_) => &[""],
        _ => &[
            "/registry/minions/",
            "/registry/pods/",
            "/registry/namespaces/",
            "/registry/deployments/",
            "/registry/replicasets/",
            "/registry/statefulsets/",
            "/registry/daemonsets/",
            "/registry/jobs/",
            "/registry/cronjobs/",
            "/registry/events/",
            "/registry/leases/",
        ],
    };
    for prefix in prefixes {
        let sel = Selection {
            prefix: prefix.to_string(),
            ..Selection::default()
        };
        let stats = source.for_each(&sel, &opts, &mut |o| {
            state.add(o.typed);
            ControlFlow::Continue(())
        })?;
        total.seen += stats.seen;
        total.objects += stats.objects;
        total.skipped += stats.skipped;
        total.revision = total.revision.max(stats.revision);
        total.errors.extend(stats.errors);
    }
    Ok((state, total))
}

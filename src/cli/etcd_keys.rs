//! `kinspect etcd keys|get|watch`: what is stored, and what a stored
//! object says.
//!
//! - `keys` walks keys with paged key-only range requests and prints, for
//!   `/registry`, one row per Kubernetes resource and namespace (or the
//!   directory tree with `--tree`, or every key with `--list`); memory
//!   stays flat whatever the key count.
//! - `get` prints keys with their revisions, version, lease and the value
//!   decoded by [`crate::k8s`].
//! - `watch` prints every change under a prefix as it happens.
//!
//! Values of Secrets are `<redacted: N bytes>` unless `--show-secrets`.

use std::io::{BufWriter, Write};
use std::time::Duration;

use crate::etcd::range::KeyValue;
use serde::Serialize;

use super::{Common, EXIT_OK, EXIT_PROBLEM, parse_duration, usage_error};
use crate::etcd::cluster::peer_port_warning;
use crate::etcd::failover::{Consistency, Failover};
use crate::etcd::keys::{
    DEFAULT_KEYS_PAGE, GroupKey, Groups, Pager, Stats, Tree, TreeNode, WalkSpec,
};
use crate::etcd::watch::{Flow, Notice, WatchEvent, watch_prefix};
use crate::etcd::{ClientError, EtcdOptions, Member};
use crate::k8s::{self, DecodeOptions, Decoded, RegistryKey, display_key};
use crate::timestamp::Timestamp;
use crate::view::{Format, Out, human_bytes};

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// Only keys starting with this ("" for every key)
    #[arg(long, default_value = "/registry")]
    pub prefix: String,
    /// Show the hierarchy of key directories with key counts
    #[arg(long, conflicts_with = "list")]
    pub tree: bool,
    /// With --tree: deepest directory level shown
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub depth: usize,
    /// One line per key, even under /registry (the default outside it)
    #[arg(long)]
    pub list: bool,
    /// Under /registry: one row per resource and namespace, or per resource
    #[arg(long, value_enum, default_value_t = GroupBy::Namespace)]
    pub by: GroupBy,
    /// Also add up value sizes. etcd cannot report a size without sending
    /// the value, so this walks with values (smaller pages, each dropped
    /// once counted): slower, memory still flat
    #[arg(long)]
    pub sizes: bool,
    /// Keys per range request [default: 50000 keys only; with --sizes, pages of about 8 MiB]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub page_size: Option<i64>,
    /// Read at this revision instead of the newest
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub rev: Option<i64>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub offline: super::etcd_offline::OfflineArgs,
}

/// How a live read is served.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// l: linearizable (through the leader, newest data; needs quorum);
    /// s: serializable (the answering member's own data, possibly stale;
    /// works without quorum), as etcdctl --consistency
    #[arg(long, value_name = "l|s", default_value = "l", value_parser = parse_consistency)]
    pub consistency: Consistency,
}

pub(crate) fn parse_consistency(s: &str) -> Result<Consistency, String> {
    Consistency::parse(s)
        .ok_or_else(|| format!("{s:?}: expected l (linearizable) or s (serializable)"))
}

/// How `keys` groups /registry keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// One row per resource and namespace
    Namespace,
    /// One row per resource, all namespaces together
    Resource,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The key (with --prefix: every key starting with it)
    #[arg(value_name = "KEY")]
    pub target: String,
    /// Every key starting with KEY, paged
    #[arg(long)]
    pub prefix: bool,
    /// Read at this revision instead of the newest
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub rev: Option<i64>,
    /// Decode Secrets too (by default their values are <redacted: N bytes>)
    #[arg(long)]
    pub show_secrets: bool,
    /// Also show the value's bytes: a hex dump (base64 in JSON)
    #[arg(long)]
    pub raw: bool,
    /// With --prefix: at most this many keys
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Every stored revision of KEY (create/mod revision, version, value size)
    #[arg(long, conflicts_with_all = ["prefix", "rev"])]
    pub history: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub offline: super::etcd_offline::OfflineArgs,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Watch every key starting with this
    #[arg(value_name = "PREFIX")]
    pub target: String,
    /// Start at this revision (replays history from there) instead of now
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub rev: Option<i64>,
    /// Decode Secrets too (by default their values are <redacted: N bytes>)
    #[arg(long)]
    pub show_secrets: bool,
    /// Also show the value's bytes: a hex dump (base64 in JSON)
    #[arg(long)]
    pub raw: bool,
    /// Stop after this many events
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this long, e.g. 30s, 5m
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| usage_error(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn stdout_out() -> Out<BufWriter<std::io::StdoutLock<'static>>> {
    Out::new(BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout().lock(),
    ))
}

/// `1 key`, `2 keys`.
pub(crate) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A stored key-value as the printers need it: from a live range
/// ([`crate::etcd::range::KeyValue`]), a watch (`etcd_client::KeyValue`)
/// or from etcd's files
/// ([`crate::etcd::offline::StoredKv`]).
pub(crate) trait KvLike {
    fn key(&self) -> &[u8];
    fn value(&self) -> &[u8];
    fn create_revision(&self) -> i64;
    fn mod_revision(&self) -> i64;
    fn version(&self) -> i64;
    fn lease(&self) -> i64;
}

/// Both live types name their fields with the same methods.
macro_rules! kv_like_by_methods {
    ($($t:ty),*) => {$(
        impl KvLike for $t {
            fn key(&self) -> &[u8] {
                <$t>::key(self)
            }
            fn value(&self) -> &[u8] {
                <$t>::value(self)
            }
            fn create_revision(&self) -> i64 {
                <$t>::create_revision(self)
            }
            fn mod_revision(&self) -> i64 {
                <$t>::mod_revision(self)
            }
            fn version(&self) -> i64 {
                <$t>::version(self)
            }
            fn lease(&self) -> i64 {
                <$t>::lease(self)
            }
        }
    )*};
}
kv_like_by_methods!(KeyValue, etcd_client::KeyValue);

impl KvLike for crate::etcd::offline::StoredKv<'_> {
    fn key(&self) -> &[u8] {
        self.key
    }
    fn value(&self) -> &[u8] {
        self.value
    }
    fn create_revision(&self) -> i64 {
        self.create_revision
    }
    fn mod_revision(&self) -> i64 {
        self.mod_revision
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn lease(&self) -> i64 {
        self.lease
    }
}

/// Prints a connection/call error the way every command does and returns
/// its exit code.
async fn fail(opts: &EtcdOptions, e: ClientError) -> i32 {
    let e = opts.explain(e).await;
    eprintln!("kinspect: error: {e}");
    super::exit_for(e.blame())
}

/// After a read: says which endpoints did not answer and which one did,
/// and warns when an endpoint given is some member's peer port (etcd 3.4
/// answers the client API there too).
async fn say_connection(conn: &mut Failover) {
    if !conn.skipped.is_empty() {
        let skipped: Vec<String> = conn.skipped.iter().map(ToString::to_string).collect();
        eprintln!(
            "kinspect: warning: {}; read from {} instead",
            skipped.join("; "),
            conn.endpoint()
        );
    }
    let endpoints = conn.options().endpoints.clone();
    if let Ok(list) = conn.run(|mut c| async move { c.member_list().await }).await {
        let members: Vec<Member> = list
            .members()
            .iter()
            .map(|m| Member {
                id: m.id(),
                name: m.name().to_string(),
                peer_urls: m.peer_urls().to_vec(),
                client_urls: m.client_urls().to_vec(),
                is_learner: m.is_learner(),
            })
            .collect();
        for e in &endpoints {
            if let Some(w) = peer_port_warning(e, &members) {
                eprintln!("kinspect: warning: {w}");
            }
        }
    }
}

/// Ends a run: flushes stdout; a closed pipe is a quiet success.
pub(crate) fn finish<W: Write>(out: Out<W>, code: i32) -> i32 {
    match out.finish() {
        Ok(_) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("kinspect: error: writing output: {e}");
            EXIT_PROBLEM
        }
    }
}

// ---------------------------------------------------------------- keys

/// How `keys` shows what it walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeysMode {
    List,
    Groups,
    Tree,
}

pub fn run_keys(args: KeysArgs, opts: &EtcdOptions, common: &Common) -> i32 {
    let rt = match runtime() {
        Ok(r) => r,
        Err(c) => return c,
    };
    rt.block_on(keys_async(args, opts, common.output))
}

#[derive(Serialize)]
struct KeyRow<'a> {
    key: String,
    create_revision: i64,
    mod_revision: i64,
    version: i64,
    lease: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_size: Option<usize>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    resource: Option<k8s::key::KeyRef<'a>>,
}

/// What `keys` does with each key walked, live or offline: rows, groups
/// or a tree, and the totals for the summary line.
pub(crate) struct KeysSink<W: Write> {
    mode: KeysMode,
    format: Format,
    sizes: bool,
    pub(crate) out: Out<W>,
    groups: Groups,
    tree: Tree,
    total: Stats,
    line: Vec<u8>,
}

impl<W: Write> KeysSink<W> {
    pub(crate) fn new(args: &KeysArgs, format: Format, out: Out<W>) -> Self {
        let mode = if args.tree {
            KeysMode::Tree
        } else if args.list || !args.prefix.starts_with(k8s::key::REGISTRY) {
            KeysMode::List
        } else {
            KeysMode::Groups
        };
        KeysSink {
            mode,
            format,
            sizes: args.sizes,
            out,
            groups: Groups::new(),
            tree: Tree::new(args.prefix.as_bytes(), args.depth, 10_000),
            total: Stats::default(),
            line: Vec::with_capacity(256),
        }
    }

    /// Whether keys must arrive in key order (one line per key); groups
    /// and trees fold keys in any order.
    pub(crate) fn needs_order(&self) -> bool {
        self.mode == KeysMode::List
    }

    pub(crate) fn add<K: KvLike>(&mut self, kv: &K) {
        let size = self.sizes.then_some(kv.value().len() as u64);
        self.total.add(size);
        match self.mode {
            KeysMode::Groups => self.groups.add(kv.key(), size),
            KeysMode::Tree => self.tree.add(kv.key(), size),
            KeysMode::List => match self.format {
                Format::Json | Format::Prometheus | Format::Yaml => self.out.json(&KeyRow {
                    key: display_key(kv.key()),
                    create_revision: kv.create_revision(),
                    mod_revision: kv.mod_revision(),
                    version: kv.version(),
                    lease: kv.lease(),
                    value_size: self.sizes.then_some(kv.value().len()),
                    resource: k8s::key::parse_ref(kv.key()),
                }),
                Format::Table | Format::Wide => {
                    let line = &mut self.line;
                    line.clear();
                    line.extend_from_slice(display_key(kv.key()).as_bytes());
                    if self.sizes {
                        line.push(b'\t');
                        line.extend_from_slice(kv.value().len().to_string().as_bytes());
                    }
                    line.push(b'\n');
                    self.out.raw(line);
                }
            },
        }
    }

    /// Whether keys are folded into groups (the offline reader then tags
    /// each key with its group during its scan: see
    /// [`crate::etcd::offline::OfflineStore::tally`]).
    pub(crate) fn groups_only(&self) -> bool {
        self.mode == KeysMode::Groups
    }

    /// Counts a group's keys by its [`Groups::tag`] (`key` is one of them).
    pub(crate) fn add_tagged(&mut self, key: &[u8], stats: Stats) {
        self.total.merge(stats);
        let slot = self.groups.slot(key);
        self.groups.merge_at(slot, stats);
    }

    /// Prints groups or tree and the summary; `how` says how the keys were
    /// read (`3 range requests`, `read from FILE`).
    pub(crate) fn finish(mut self, args: &KeysArgs, rev: i64, how: &str) -> i32 {
        let (format, total, out) = (self.format, self.total, &mut self.out);
        let where_ = if args.prefix.is_empty() {
            "in the whole key space".to_string()
        } else {
            format!("under {}", args.prefix)
        };
        let mut summary = format!(
            "{} {where_} at revision {rev} ({how})",
            plural(total.keys, "key")
        );
        if args.sizes {
            summary.push_str(&format!(
                "; values {} in all, largest {}",
                human_bytes(total.value_bytes),
                human_bytes(total.largest)
            ));
        }
        match self.mode {
            KeysMode::List => {}
            KeysMode::Groups => {
                let groups = std::mem::take(&mut self.groups);
                let (mut rows, other) = groups.finish();
                if args.by == GroupBy::Resource {
                    rows = by_resource(rows);
                }
                let resources = {
                    let mut r: Vec<(&str, &str)> = rows
                        .iter()
                        .map(|(k, _)| (k.group.as_str(), k.resource.as_str()))
                        .collect();
                    r.dedup();
                    r.len()
                };
                print_groups(out, format, &rows, &other, args.sizes);
                summary = format!(
                    "{} in {}, {} {where_} at revision {rev} ({how})",
                    plural(total.keys, "key"),
                    plural(resources as u64, "resource"),
                    plural(rows.len() as u64, "group"),
                );
                if args.sizes {
                    summary.push_str(&format!(
                        "; values {} in all, largest {}",
                        human_bytes(total.value_bytes),
                        human_bytes(total.largest)
                    ));
                } else if format == Format::Table {
                    summary.push_str("; value sizes with --sizes");
                }
            }
            KeysMode::Tree => {
                print_tree(out, format, &self.tree, args.sizes);
                if self.tree.truncated() {
                    summary.push_str(
                        "; tree cut at 10000 directories (the rest counted in their parents as folded)",
                    );
                }
            }
        }
        match format {
            Format::Table | Format::Wide => out.line(&summary),
            Format::Json | Format::Prometheus | Format::Yaml => eprintln!("{summary}"),
        }
        finish(self.out, EXIT_OK)
    }
}

async fn keys_async(args: KeysArgs, opts: &EtcdOptions, format: Format) -> i32 {
    let rev = args.rev.unwrap_or(0);
    let prefix = args.prefix.as_bytes();
    let spec = match (args.sizes, args.page_size) {
        (false, page) => WalkSpec::prefix(prefix, true, page.unwrap_or(DEFAULT_KEYS_PAGE), rev),
        (true, Some(page)) => WalkSpec::prefix(prefix, false, page, rev),
        (true, None) => WalkSpec::prefix_values_adaptive(prefix, rev),
    };
    let spec = spec.with_consistency(args.read.consistency);
    let mut pager = Pager::new(opts, spec);
    let mut sink = KeysSink::new(&args, format, stdout_out());
    let mut first = true;
    loop {
        let kvs = match pager.next_page().await {
            Ok(Some(kvs)) => kvs,
            Ok(None) => break,
            Err(e) => {
                let code = fail(opts, e).await;
                let _ = sink.out.finish();
                return code;
            }
        };
        if std::mem::take(&mut first) {
            say_connection(pager.connection()).await;
        }
        for kv in &kvs {
            sink.add(kv);
        }
        drop(kvs);
        if sink.out.failed() {
            break;
        }
    }
    let how = plural(pager.pages, "range request");
    sink.finish(&args, pager.revision(), &how)
}

/// Folds the namespaces of each resource together (namespace `*`).
fn by_resource(rows: Vec<(GroupKey, Stats)>) -> Vec<(GroupKey, Stats)> {
    let mut out: Vec<(GroupKey, Stats)> = Vec::new();
    for (mut k, s) in rows {
        if !k.namespace.is_empty() {
            k.namespace = "*".into();
        }
        match out.last_mut() {
            Some((last, acc)) if *last == k => {
                acc.keys += s.keys;
                acc.value_bytes += s.value_bytes;
                acc.largest = acc.largest.max(s.largest);
            }
            _ => out.push((k, s)),
        }
    }
    out
}

fn group_name(k: &GroupKey) -> String {
    if k.group.is_empty() {
        k.resource.clone()
    } else {
        format!("{}/{}", k.group, k.resource)
    }
}

#[derive(Serialize)]
struct GroupRow<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    group: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stored_as: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    keys: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    largest_value: Option<u64>,
}

fn print_groups<W: Write>(
    out: &mut Out<W>,
    format: Format,
    rows: &[(GroupKey, Stats)],
    other: &Stats,
    sizes: bool,
) {
    if format == Format::Json {
        for (k, s) in rows {
            out.json(&GroupRow {
                group: &k.group,
                resource: &k.resource,
                stored_as: k.stored_as,
                namespace: (!k.namespace.is_empty()).then_some(k.namespace.as_str()),
                keys: s.keys,
                value_bytes: sizes.then_some(s.value_bytes),
                largest_value: sizes.then_some(s.largest),
            });
        }
        if other.keys > 0 {
            out.json(&GroupRow {
                group: "",
                resource: "(outside /registry)",
                stored_as: None,
                namespace: None,
                keys: other.keys,
                value_bytes: sizes.then_some(other.value_bytes),
                largest_value: sizes.then_some(other.largest),
            });
        }
        return;
    }
    let mut table: Vec<[String; 5]> = Vec::with_capacity(rows.len() + 2);
    table.push([
        "RESOURCE".into(),
        "NAMESPACE".into(),
        "KEYS".into(),
        if sizes {
            "VALUES".into()
        } else {
            String::new()
        },
        if sizes {
            "LARGEST".into()
        } else {
            String::new()
        },
    ]);
    let mut push = |name: String, ns: &str, s: &Stats| {
        table.push([
            name,
            if ns.is_empty() {
                "-".into()
            } else {
                ns.to_string()
            },
            s.keys.to_string(),
            if sizes {
                human_bytes(s.value_bytes)
            } else {
                String::new()
            },
            if sizes {
                human_bytes(s.largest)
            } else {
                String::new()
            },
        ]);
    };
    for (k, s) in rows {
        let mut name = group_name(k);
        if let Some(st) = k.stored_as {
            name.push_str(&format!(" ({st})"));
        }
        push(name, &k.namespace, s);
    }
    if other.keys > 0 {
        push("(outside /registry)".into(), "", other);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &table {
        let mut l = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}",
            r[0],
            r[1],
            r[2],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        if sizes {
            l.push_str(&format!(
                "  {:>w3$}  {:>w4$}",
                r[3],
                r[4],
                w3 = widths[3],
                w4 = widths[4]
            ));
        }
        out.line(l.trim_end());
    }
}

#[derive(Serialize)]
struct TreeRow<'a> {
    path: &'a str,
    depth: usize,
    keys: u64,
    own_keys: u64,
    #[serde(skip_serializing_if = "is_zero")]
    folded_keys: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_bytes: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn print_tree<W: Write>(out: &mut Out<W>, format: Format, tree: &Tree, sizes: bool) {
    if format == Format::Json {
        for (path, depth, n) in tree.walk() {
            out.json(&TreeRow {
                path: &path,
                depth,
                keys: n.stats.keys,
                own_keys: n.own_keys,
                folded_keys: n.folded,
                value_bytes: sizes.then_some(n.stats.value_bytes),
            });
        }
        return;
    }
    let label = |n: &TreeNode| {
        let mut s = plural(n.stats.keys, "key");
        if sizes {
            s.push_str(&format!(", {}", human_bytes(n.stats.value_bytes)));
        }
        if n.folded > 0 {
            s.push_str(&format!(" ({} in directories not shown)", n.folded));
        }
        s
    };
    let root = if tree.root_path.is_empty() {
        "(every key)".to_string()
    } else {
        tree.root_path.clone()
    };
    out.line(&format!("{root}  {}", label(&tree.root)));
    fn rec<W: Write>(
        out: &mut Out<W>,
        n: &TreeNode,
        indent: &str,
        label: &dyn Fn(&TreeNode) -> String,
    ) {
        let count = n.children.len();
        for (i, (name, c)) in n.children.iter().enumerate() {
            let last = i + 1 == count;
            // An empty segment is the leading `/` of keys below the root.
            out.line(&format!(
                "{indent}{}{name}/  {}",
                if last { "└── " } else { "├── " },
                label(c)
            ));
            let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
            rec(out, c, &deeper, label);
        }
    }
    rec(out, &tree.root, "", &label);
}

// ---------------------------------------------------------------- get

#[derive(Serialize)]
struct ValueRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    event: Option<&'static str>,
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<i64>,
    create_revision: i64,
    mod_revision: i64,
    version: i64,
    lease: i64,
    value_size: usize,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    resource: Option<RegistryKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a Decoded>,
    /// The Kubernetes object in kubectl's JSON shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a k8s::ApiValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_base64: Option<String>,
}

/// A watch event's time and a space, or nothing for a replayed event
/// (its revision says when it was stored).
fn when(ts: &Option<String>) -> String {
    ts.as_ref().map(|t| format!("{t} ")).unwrap_or_default()
}

/// Prints one key-value (a `get` result or a watch event; a live event
/// carries the time it was seen, a replayed one none).
pub(crate) fn print_kv<W: Write, K: KvLike>(
    out: &mut Out<W>,
    format: Format,
    kv: &K,
    event: Option<(&WatchEvent, Option<String>)>,
    dopts: &DecodeOptions,
    raw: bool,
) {
    let deleted = event.as_ref().is_some_and(|(e, _)| e.deleted);
    // `-o yaml`'s fast path: a stored object written straight from its
    // protobuf. What it does not take (damage, Secrets to redact, other
    // formats) goes through the decoded tree below, which writes the same
    // bytes for what it does take.
    if matches!(format, Format::Yaml)
        && !deleted
        && (dopts.show_secrets || !k8s::is_secret_key(kv.key()))
    {
        thread_local! {
            /// One object's YAML, the buffer kept from object to object.
            static YAML: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let written = YAML.with_borrow_mut(|yaml| {
            yaml.clear();
            if !k8s::direct_yaml::write_stored(kv.value(), dopts.show_secrets, yaml) {
                return false;
            }
            let key = kv.key();
            // A printable ASCII key needs no escaping, and a line is cut
            // only on a terminal: written in pieces, without formatting
            // (the same bytes as `out.line` would write).
            if crate::view::fit::limit().is_none() && key.iter().all(|b| (0x20..0x7f).contains(b)) {
                let mut n = itoa::Buffer::new();
                out.raw(b"---\n# ");
                out.raw(key);
                out.raw(b"  mod_revision ");
                out.raw(n.format(kv.mod_revision()).as_bytes());
                out.raw(b"  version ");
                out.raw(n.format(kv.version()).as_bytes());
                out.raw(b"\n");
            } else {
                out.line("---");
                out.line(&format!(
                    "# {}  mod_revision {}  version {}",
                    display_key(key),
                    kv.mod_revision(),
                    kv.version()
                ));
            }
            out.raw(yaml.as_bytes());
            true
        });
        if written {
            return;
        }
    }
    let decoded = (!deleted).then(|| k8s::decode_value(Some(kv.key()), kv.value(), dopts));
    let redacted = matches!(decoded, Some(Decoded::Redacted { .. }))
        || (!dopts.show_secrets && k8s::is_secret_key(kv.key()));
    let show_raw = raw && !redacted && !deleted;
    let mut decoded = decoded;
    // The table shows the object through `decoded`; the other formats
    // print it on its own, moved out (no copy).
    let object = match format {
        Format::Table | Format::Wide => None,
        _ => decoded.as_mut().and_then(Decoded::take_object),
    };
    match format {
        Format::Yaml => {
            let key = display_key(kv.key());
            match (&event, &object) {
                (Some((e, ts)), _) if e.deleted => {
                    out.line(&format!(
                        "# {}DELETE {key} revision {}",
                        when(ts),
                        e.revision()
                    ));
                }
                (_, Some(o)) => {
                    out.line("---");
                    out.line(&format!(
                        "# {key}  mod_revision {}  version {}",
                        kv.mod_revision(),
                        kv.version()
                    ));
                    // Where reading stopped and what was skipped, as
                    // comments: the YAML below is what decoded.
                    if let Some(Decoded::Protobuf(p)) = &decoded {
                        for problem in p.object_problems() {
                            out.line(&format!("# !! {problem}"));
                        }
                        for unknown in &p.unknown_fields {
                            out.line(&format!("# {unknown}"));
                        }
                    }
                    out.raw(k8s::yaml::to_yaml(o).as_bytes());
                }
                (_, None) => {
                    let what = decoded.as_ref().map(Decoded::headline).unwrap_or_default();
                    out.line(&format!("# {key}: not a Kubernetes object ({what})"));
                }
            }
        }
        Format::Json | Format::Prometheus => {
            use base64::Engine as _;
            out.json(&ValueRow {
                ts: event.as_ref().and_then(|(_, ts)| ts.clone()),
                event: event
                    .as_ref()
                    .map(|(e, _)| if e.deleted { "delete" } else { "put" }),
                key: display_key(kv.key()),
                revision: event.as_ref().map(|(e, _)| e.revision()),
                create_revision: kv.create_revision(),
                mod_revision: kv.mod_revision(),
                version: kv.version(),
                lease: kv.lease(),
                value_size: kv.value().len(),
                resource: k8s::key::parse(kv.key()),
                value: decoded.as_ref(),
                object: object.as_ref(),
                value_base64: show_raw
                    .then(|| base64::engine::general_purpose::STANDARD.encode(kv.value())),
            });
        }
        Format::Table | Format::Wide => {
            let key = display_key(kv.key());
            match &event {
                Some((e, ts)) if e.deleted => {
                    out.line(&format!(
                        "{}DELETE {key}  revision {}",
                        when(ts),
                        e.revision()
                    ));
                    return;
                }
                Some((e, ts)) => {
                    let what = if kv.version() == 1 { "CREATE" } else { "PUT" };
                    out.line(&format!(
                        "{}{what} {key}  revision {}",
                        when(ts),
                        e.revision()
                    ));
                }
                None => out.line(&key),
            }
            let lease = if kv.lease() == 0 {
                "0".to_string()
            } else {
                format!("{} ({:x})", kv.lease(), kv.lease())
            };
            out.wrapped(
                &format!(
                    "  create_revision {}  mod_revision {}  version {}  lease {}  value {} bytes",
                    kv.create_revision(),
                    kv.mod_revision(),
                    kv.version(),
                    lease,
                    kv.value().len()
                ),
                2,
            );
            // The object is a document: never cut to the terminal's width.
            if let Some(d) = &decoded {
                for l in d.render() {
                    out.line_whole(&format!("  {l}"));
                }
            }
            if show_raw {
                out.line("  raw value:");
                for l in k8s::dump::hex_dump(kv.value(), usize::MAX) {
                    out.line_whole(&format!("  {l}"));
                }
            }
            out.line("");
        }
    }
}

pub fn run_get(args: GetArgs, opts: &EtcdOptions, common: &Common) -> i32 {
    let rt = match runtime() {
        Ok(r) => r,
        Err(c) => return c,
    };
    rt.block_on(get_async(args, opts, common.output))
}

async fn get_async(args: GetArgs, opts: &EtcdOptions, format: Format) -> i32 {
    if args.target.is_empty() && !args.prefix {
        return usage_error("etcd get: KEY is empty (use --prefix '' for every key)");
    }
    let rev = args.rev.unwrap_or(0);
    let spec = if args.prefix {
        WalkSpec::prefix_values_adaptive(args.target.as_bytes(), rev)
    } else {
        WalkSpec::single(args.target.as_bytes(), rev)
    }
    .with_consistency(args.read.consistency);
    let dopts = DecodeOptions {
        show_secrets: args.show_secrets,
        ..DecodeOptions::default()
    };
    let mut pager = Pager::new(opts, spec);
    let mut first = true;
    let limit = args.limit.unwrap_or(u64::MAX);
    // Two stages on two threads: this one fetches the next page while the
    // printer thread decodes and writes the previous one (decoding costs
    // more than fetching; on one thread they took turns). The channel
    // holds two pages, so memory stays at a few pages whatever the prefix.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Fetched>(2);
    // The decoding threads run at normal priority. Lowered (nice 5 and
    // 10, so that etcd and the fetch went first) they gained nothing on a
    // quiet machine and lost 10-20% to any other busy process: with one
    // core taken by a loop, 10,000 Pods took 0.089-0.100 s niced against
    // 0.083-0.085 s not (etcdctl 0.080-0.084 s).
    let printer = std::thread::spawn(move || {
        let mut out = stdout_out();
        let mut shown: u64 = 0;
        let mut rev = 0;
        let mut pool = Vec::new();
        if matches!(format, Format::Yaml) {
            // While the first page is on its way.
            k8s::direct_yaml::prepare();
        }
        'pages: for fetched in rx {
            let kvs = match fetched {
                Fetched::Page(kvs, r) => {
                    rev = r;
                    kvs
                }
                Fetched::Failed => {
                    let _ = out.finish();
                    return None;
                }
            };
            if limit == u64::MAX && matches!(format, Format::Yaml | Format::Json) {
                print_page_on_two_threads(&mut out, &kvs, format, &dopts, args.raw, &mut pool);
                shown += kvs.len() as u64;
            } else {
                for kv in &kvs {
                    if shown >= limit {
                        break 'pages;
                    }
                    print_kv(&mut out, format, kv, None, &dopts, args.raw);
                    shown += 1;
                }
            }
            if out.failed() {
                break;
            }
        }
        Some(finish_get(out, &args, format, shown, rev))
    });
    let mut failure = None;
    loop {
        match pager.next_page().await {
            Ok(Some(kvs)) => {
                if std::mem::take(&mut first) {
                    say_connection(pager.connection()).await;
                }
                // A closed channel: the printer stopped (limit reached or
                // stdout closed).
                if tx.send(Fetched::Page(kvs, pager.revision())).is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Fetched::Failed);
                failure = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let printed = printer.join().unwrap_or(Some(EXIT_PROBLEM));
    match (failure, printed) {
        (Some(e), _) => fail(opts, e).await,
        (None, Some(code)) => code,
        (None, None) => EXIT_PROBLEM,
    }
}

/// Values one thread of `etcd get --prefix -o yaml|json` decodes at a
/// time (about 100 kB of YAML).
const PARALLEL_RUN: usize = 32;

/// Most runs the second thread may have decoded ahead of the one being
/// written, so memory stays at a few MB however slow stdout is.
const PARALLEL_LEAD: usize = 16;

/// Prints a page of values on both cores, in order: this thread and a
/// second one take runs of [`PARALLEL_RUN`] values in turn from a shared
/// counter; this one writes each run as soon as it and every run before it
/// are done (its own run straight to `out` when it is the next to write).
/// Whichever thread is slower (descheduled, or writing), the other keeps
/// decoding. The bytes are those of printing the values one by one.
fn print_page_on_two_threads<W: Write>(
    out: &mut Out<W>,
    kvs: &[KeyValue],
    format: Format,
    dopts: &DecodeOptions,
    raw: bool,
    pool: &mut Vec<Vec<u8>>,
) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    let runs: Vec<&[KeyValue]> = kvs.chunks(PARALLEL_RUN).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Runs decoded ahead of the writer, how many are written, and written
    // runs' buffers to decode into again (fresh memory costs a page fault
    // per 4 KiB; a run's buffer grows to about 100 KiB). The buffers are
    // the caller's, kept from page to page.
    let state = Mutex::new((
        vec![None::<Vec<u8>>; runs.len()],
        0usize,
        std::mem::take(pool),
    ));
    let render = |run: &[KeyValue]| {
        let mut buf = state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .2
            .pop()
            .unwrap_or_default();
        buf.clear();
        let mut o = Out::new(buf);
        for kv in run {
            print_kv(&mut o, format, kv, None, dopts, raw);
        }
        o.finish().unwrap_or_default()
    };
    let changed = Condvar::new();
    // Set when the second thread ends, however it ends (a panic too), so
    // that this one never waits for a run nobody will decode.
    let gone = AtomicBool::new(false);
    struct Gone<'a>(&'a AtomicBool, &'a Condvar);
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
            self.1.notify_all();
        }
    }
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _gone = Gone(&gone, &changed);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(run) = runs.get(i) else { break };
                {
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    while i >= st.1 + PARALLEL_LEAD && !stop.load(Ordering::Relaxed) {
                        st = changed.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let bytes = render(run);
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.0[i] = Some(bytes);
                changed.notify_all();
            }
        });
        let mut written = 0;
        while written < runs.len() && !out.failed() {
            // Everything ready, in order.
            loop {
                let ready = {
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    st.0.get_mut(written).and_then(Option::take)
                };
                let Some(bytes) = ready else { break };
                out.raw(&bytes);
                written += 1;
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.1 = written;
                st.2.push(bytes);
                drop(st);
                changed.notify_all();
            }
            if written == runs.len() {
                break;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            match runs.get(i) {
                // Next in line: straight out, no copy.
                Some(run) if i == written => {
                    for kv in *run {
                        print_kv(out, format, kv, None, dopts, raw);
                    }
                    written += 1;
                    state.lock().unwrap_or_else(|e| e.into_inner()).1 = written;
                    changed.notify_all();
                }
                Some(run) => {
                    let bytes = render(run);
                    state.lock().unwrap_or_else(|e| e.into_inner()).0[i] = Some(bytes);
                }
                // Nothing left to take: wait for the other thread's run
                // (or decode it here, should that thread be gone).
                None => {
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    while st.0[written].is_none() && !gone.load(Ordering::Acquire) {
                        st = changed.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                    if st.0[written].is_none() {
                        drop(st);
                        for kv in runs[written] {
                            print_kv(out, format, kv, None, dopts, raw);
                        }
                        written += 1;
                    }
                }
            }
        }
        // stdout closed: the other thread stops at its next run.
        stop.store(true, Ordering::Relaxed);
        changed.notify_all();
    });
    let (_, _, mut kept) = state.into_inner().unwrap_or_else(|e| e.into_inner());
    kept.truncate(PARALLEL_LEAD + 2);
    *pool = kept;
}

/// What the fetching half of `etcd get --prefix` hands the printing half.
enum Fetched {
    /// A page of values and the revision the walk reads at.
    Page(Vec<KeyValue>, i64),
    /// The walk failed; the fetching half reports why.
    Failed,
}

/// For a key that does not start with `/` (`pods`): where Kubernetes
/// keeps its keys, and the command that lists them.
fn registry_hint(target: &str) -> String {
    if target.is_empty() || target.starts_with('/') {
        return String::new();
    }
    let t = target.trim_end_matches('/');
    if t.contains('/') {
        format!("; Kubernetes keys live under /registry/, try /registry/{t}")
    } else {
        format!("; Kubernetes keys live under /registry/, try /registry/{t}/ --prefix")
    }
}

/// Ends `etcd get` (live or offline): nothing found is exit 1 with what
/// was asked; with `--prefix`, the count and revision.
pub(crate) fn finish_get<W: Write>(
    mut out: Out<W>,
    args: &GetArgs,
    format: Format,
    shown: u64,
    rev: i64,
) -> i32 {
    if shown == 0 {
        let what = if args.prefix {
            format!("no key starts with {:?}", args.target)
        } else {
            format!("no key {:?}", args.target)
        };
        eprintln!(
            "kinspect: {what} (revision {rev}){}",
            registry_hint(&args.target)
        );
        return finish(out, EXIT_PROBLEM);
    }
    if args.prefix {
        let s = format!("{} at revision {rev}", plural(shown, "key"));
        match format {
            Format::Table | Format::Wide => out.line(&s),
            Format::Json | Format::Prometheus | Format::Yaml => eprintln!("{s}"),
        }
    }
    finish(out, EXIT_OK)
}

// ---------------------------------------------------------------- watch

fn now() -> String {
    Timestamp::now().rfc3339()
}

pub fn run_watch(args: WatchArgs, opts: &EtcdOptions, common: &Common) -> i32 {
    let rt = match runtime() {
        Ok(r) => r,
        Err(c) => return c,
    };
    rt.block_on(watch_async(args, opts, common.output))
}

async fn watch_async(args: WatchArgs, opts: &EtcdOptions, format: Format) -> i32 {
    // The first endpoint that answers, then a watch on it alone.
    let mut conn = Failover::new(opts);
    if let Err(e) = conn.run(|mut c| async move { c.member_list().await }).await {
        return fail(opts, e).await;
    }
    say_connection(&mut conn).await;
    let ep = conn.endpoint().to_string();
    let client = match opts.connect_to(std::slice::from_ref(&ep)).await {
        Ok(c) => c,
        Err(e) => return fail(opts, e).await,
    };
    let dopts = DecodeOptions {
        show_secrets: args.show_secrets,
        ..DecodeOptions::default()
    };
    // Not block-buffered: stdout is line-buffered, so every event shows
    // as soon as it happens.
    let mut out = Out::new(std::io::stdout().lock());
    let mut seen: u64 = 0;
    let max = args.count.unwrap_or(u64::MAX);
    if max == 0 {
        return finish(out, EXIT_OK);
    }
    let prefix = args.target.clone();
    // Events up to the revision current when the watch started are
    // history (replayed with --rev): they are shown with their stored
    // revision, not with the time they happen to be printed at.
    let now_at = std::cell::Cell::new(i64::MAX);
    let watch = watch_prefix(
        &client,
        opts,
        &ep,
        prefix.as_bytes(),
        args.rev.unwrap_or(0),
        |ev| {
            let ts = (ev.revision() > now_at.get()).then(now);
            print_kv(&mut out, format, &ev.kv, Some((&ev, ts)), &dopts, args.raw);
            seen += 1;
            if seen >= max || out.failed() {
                Flow::Stop
            } else {
                Flow::Continue
            }
        },
        |n| match n {
            Notice::Started {
                revision,
                from_revision,
            } => {
                now_at.set(revision);
                if from_revision <= revision {
                    eprintln!(
                        "kinspect: watching {prefix:?} from revision {from_revision} (now at {revision})"
                    )
                } else {
                    eprintln!("kinspect: watching {prefix:?} (now at revision {revision})")
                }
            }
            Notice::Interrupted {
                reason,
                from_revision,
            } => eprintln!(
                "kinspect: warning: watch interrupted ({reason}); resuming from revision {from_revision}"
            ),
        },
    );
    let stop_after = async {
        match args.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    let result = tokio::select! {
        r = watch => Some(r),
        _ = tokio::signal::ctrl_c() => None,
        _ = stop_after => None,
    };
    let code = match result {
        Some(Err(e)) => {
            eprintln!("kinspect: error: {e}");
            super::exit_for(e.blame())
        }
        _ => {
            eprintln!("kinspect: {}", plural(seen, "event"));
            EXIT_OK
        }
    };
    finish(out, code)
}

#[cfg(test)]
mod tests {
    use super::registry_hint;

    #[test]
    fn keys_without_slash_point_to_registry() {
        assert_eq!(
            registry_hint("pods"),
            "; Kubernetes keys live under /registry/, try /registry/pods/ --prefix"
        );
        assert_eq!(
            registry_hint("pods/default/web"),
            "; Kubernetes keys live under /registry/, try /registry/pods/default/web"
        );
        assert_eq!(registry_hint("/registry/pods"), "");
        assert_eq!(registry_hint(""), "");
    }
}

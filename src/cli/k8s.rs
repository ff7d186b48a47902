//! `kinspect k8s get|why|rollout|lint`: Kubernetes objects read straight
//! from where they are stored — a live etcd, an etcd snapshot or data
//! directory, or kubectl's JSON/YAML and manifests — without an
//! apiserver. `get` prints kubectl's columns (or the objects as YAML /
//! JSON Lines); the Day-2 commands are in [`super::k8s_day2`].

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use clap::Subcommand;

use super::etcd::ConnArgs;
use super::{Common, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, usage_error};
use crate::etcd::offline::OfflineStore;
use crate::k8s::printers::{self, Table};
use crate::k8s::render::RenderOptions;
use crate::k8s::resources::{self, Resource};
use crate::k8s::selector::Selector;
use crate::k8s::source::{Selection, Source, SourceError, StoredObject};
use crate::k8s::state::ClusterState;
use crate::timestamp::Timestamp;
use crate::view::{Format, Out};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Where objects come from (one of): the etcd flags or etcdctl's environment \
(live), --db FILE (a snapshot or member/snap/db), --data-dir DIR (etcd's data directory), \
-f FILE|DIR|- (kubectl get -o json|yaml output, or manifests).\n\nExamples:\n  \
kinspect k8s get pods -A --endpoints 127.0.0.1:2379\n  \
kinspect k8s get nodes -o wide --db /backup/etcd-snapshot.db\n  \
kinspect k8s get po -n kube-system --data-dir /var/lib/etcd\n  \
kinspect k8s get leases -n kube-system -f cluster.json\n  \
kinspect k8s why -A --db snapshot.db\n  \
kinspect k8s rollout deployment/web -n shop -f cluster.yaml"
)]
pub struct K8sArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Count ages and judge the objects at this time instead of now: a date
    /// (2026-01-02, midnight UTC) or an RFC 3339 time
    #[arg(long, global = true, value_name = "TIME", value_parser = super::parse_at)]
    pub at: Option<crate::timestamp::Timestamp>,
    #[command(subcommand)]
    pub command: K8sCommand,
}

/// Where the stored state is read from.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Source")]
pub struct SourceArgs {
    /// Read an etcd db file (a snapshot, or a member's member/snap/db), read-only
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["data_dir", "filename"])]
    pub db: Option<PathBuf>,
    /// Read etcd's data directory (the etcd --data-dir), read-only
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "filename")]
    pub data_dir: Option<PathBuf>,
    /// Read kubectl's JSON/YAML output or manifests (a file, a folder, or - for stdin); repeatable
    #[arg(
        short = 'f',
        long = "filename",
        global = true,
        value_name = "FILE|DIR|-"
    )]
    pub filename: Vec<PathBuf>,
}

impl SourceArgs {
    /// Opens the source; a usage or open error is printed and its exit
    /// code returned.
    pub fn open(&self, conn: &ConnArgs) -> Result<Source, i32> {
        if let Some(db) = &self.db {
            return OfflineStore::open_db(db)
                .map(|s| Source::Offline(Box::new(s)))
                .map_err(|e| usage_error(e.to_string()));
        }
        if let Some(dir) = &self.data_dir {
            return OfflineStore::open_data_dir(dir)
                .map(|s| Source::Offline(Box::new(s)))
                .map_err(|e| usage_error(e.to_string()));
        }
        if !self.filename.is_empty() {
            return Ok(Source::Files(self.filename.clone()));
        }
        conn.options()
            .map(Source::Live)
            .map_err(|e| usage_error(e.to_string()))
    }
}

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Objects as `kubectl get` shows them: kubectl's columns, -o wide, yaml or json
    Get(GetArgs),
    /// Why a Pod is Pending or not running; without a name, every problem
    Why(super::k8s_day2::WhyArgs),
    /// Rollout status of a Deployment, StatefulSet or DaemonSet, with revisions and findings
    Rollout(super::k8s_day2::RolloutArgs),
    /// Manifests judged against the cluster's nodes before they are applied
    Lint(super::k8s_day2::LintArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
kinspect k8s get pods -A\n  \
kinspect k8s get pod/web-0 -n shop -o yaml\n  \
kinspect k8s get deploy,rs -n shop\n  \
kinspect k8s get nodes -o wide -l node-role.kubernetes.io/control-plane\n  \
kinspect k8s get secrets -n kube-system -o yaml          # values <redacted>")]
pub struct GetArgs {
    /// Resource (pods, po, deployments.apps, nodes ...), comma-separated, or RESOURCE/NAME
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Object names (none: all)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Namespace [default: default]
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Every namespace
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Label selector (a=b, a!=b, a in (x,y), !a ...)
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Show Secret values (by default <redacted: N bytes>)
    #[arg(long)]
    pub show_secrets: bool,
}

/// Dispatch.
pub fn run(args: K8sArgs, common: &Common) -> i32 {
    let source = match args.source.open(&args.conn) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = common
        .at
        .unwrap_or_else(Timestamp::now)
        .0
        .div_euclid(1_000_000_000);
    match args.command {
        K8sCommand::Get(g) => get(&g, &source, now, common.output),
        K8sCommand::Why(w) => with_state(&source, now, |state| {
            super::k8s_day2::run_why(&w, state, common.output, stdout_out())
        }),
        K8sCommand::Rollout(r) => with_state(&source, now, |state| {
            super::k8s_day2::run_rollout(&r, state, common.output, stdout_out())
        }),
        K8sCommand::Lint(l) => {
            let manifests = match read_manifests(&l.files) {
                Ok(m) => m,
                Err(code) => return code,
            };
            with_state(&source, now, |state| {
                super::k8s_day2::run_lint(&l, state, &manifests, common.output, stdout_out())
            })
        }
    }
}

fn source_error(e: SourceError) -> i32 {
    eprintln!("kinspect: error: {e}");
    match e {
        SourceError::Etcd(e) => super::exit_for(e.blame()),
        _ => EXIT_USAGE,
    }
}

/// Loads the cluster state and hands it to a Day-2 command.
fn with_state(source: &Source, now: i64, f: impl FnOnce(&ClusterState) -> i32) -> i32 {
    match crate::k8s::source::load_cluster(source, now) {
        Ok((state, stats)) => {
            for e in &stats.errors {
                eprintln!("kinspect: error: {e}");
            }
            let code = f(&state);
            if stats.errors.is_empty() {
                code
            } else {
                EXIT_USAGE
            }
        }
        Err(e) => source_error(e),
    }
}

/// The manifests `k8s lint` judges, typed; a file that does not parse,
/// or an object that does not fit its schema, is a usage error naming it.
fn read_manifests(files: &[PathBuf]) -> Result<Vec<crate::k8s::day2::lint::ManifestObject>, i32> {
    let mut out = Vec::new();
    let mut bad = false;
    for f in files {
        let text = if f.as_os_str() == "-" {
            let mut b = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut b);
            b
        } else if f.is_dir() {
            return Err(usage_error(format!(
                "{}: a folder; give the files",
                f.display()
            )));
        } else {
            std::fs::read(f).map_err(|e| usage_error(format!("{}: {e}", f.display())))?
        };
        let docs = crate::k8s::source::parse_documents(&text, f)
            .map_err(|e| usage_error(e.to_string()))?;
        for (i, d) in docs.iter().enumerate() {
            match crate::k8s::source::typed_from_json(d) {
                Ok(object) => out.push(crate::k8s::day2::lint::ManifestObject {
                    file: f.display().to_string(),
                    object,
                }),
                Err(e) => {
                    eprintln!("kinspect: error: {}#{}: {e}", f.display(), i + 1);
                    bad = true;
                }
            }
        }
    }
    if bad { Err(EXIT_USAGE) } else { Ok(out) }
}

fn stdout_out() -> Out<BufWriter<std::io::StdoutLock<'static>>> {
    Out::new(BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout().lock(),
    ))
}

/// One resource named on the command line: built in, or a custom
/// resource by `plural.group`.
struct Target {
    resource: Option<&'static Resource>,
    /// For custom resources: `plural.group`.
    custom: Option<(String, String)>,
}

impl Target {
    fn parse(name: &str) -> Option<Target> {
        if let Some(r) = resources::lookup(name) {
            return Some(Target {
                resource: Some(r),
                custom: None,
            });
        }
        let (plural, group) = name.split_once('.')?;
        if plural.is_empty() || !group.contains('.') {
            return None;
        }
        Some(Target {
            resource: None,
            custom: Some((plural.to_ascii_lowercase(), group.to_ascii_lowercase())),
        })
    }

    fn namespaced(&self) -> bool {
        self.resource.is_none_or(|r| r.namespaced)
    }

    fn prefix(&self, ns: Option<&str>) -> String {
        match (self.resource, &self.custom) {
            (Some(r), _) => r.list_prefix(ns),
            (None, Some((plural, group))) => match ns {
                Some(ns) => format!("/registry/{group}/{plural}/{ns}/"),
                None => format!("/registry/{group}/{plural}/"),
            },
            (None, None) => "/registry/".into(),
        }
    }

    fn selection(&self, ns: Option<&str>, name: Option<&str>, files: bool) -> Selection {
        let (kind, group) = match (self.resource, &self.custom) {
            (Some(r), _) => (r.kind.to_string(), Some(r.group.to_string())),
            (None, Some((_, g))) => (String::new(), Some(g.clone())),
            _ => (String::new(), None),
        };
        let ns = if self.namespaced() { ns } else { None };
        let (prefix, exact) = match (name, files) {
            (Some(n), false) => match self.resource {
                Some(r) => (r.key(ns.unwrap_or("default"), n), true),
                None => (
                    format!("{}{n}", self.prefix(Some(ns.unwrap_or("default")))),
                    true,
                ),
            },
            _ => (self.prefix(ns), false),
        };
        Selection {
            prefix,
            exact,
            kind,
            group,
            namespace: if files { ns.map(str::to_string) } else { None },
        }
    }

    fn plural(&self) -> String {
        match (self.resource, &self.custom) {
            (Some(r), _) => r.plural.to_string(),
            (None, Some((p, g))) => format!("{p}.{g}"),
            _ => "objects".into(),
        }
    }
}

fn get(args: &GetArgs, source: &Source, now: i64, format: Format) -> i32 {
    let files = matches!(source, Source::Files(_));
    // `kubectl get pod/web-0` and `kubectl get pods,nodes`.
    let (resource_arg, mut names) = match args.resource.split_once('/') {
        Some((r, n)) => (r.to_string(), vec![n.to_string()]),
        None => (args.resource.clone(), Vec::new()),
    };
    names.extend(args.names.iter().cloned());
    let mut targets = Vec::new();
    for r in resource_arg.split(',').filter(|s| !s.is_empty()) {
        match Target::parse(r) {
            Some(t) => targets.push(t),
            None => {
                eprintln!("error: the server doesn't have a resource type {r:?}");
                return EXIT_USAGE;
            }
        }
    }
    let selector = match args.selector.as_deref().map(Selector::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(format!("-l: {e}")),
    };
    let namespace = if args.all_namespaces {
        None
    } else if files {
        args.namespace.clone()
    } else {
        Some(args.namespace.clone().unwrap_or_else(|| "default".into()))
    };
    let opts = RenderOptions {
        show_secrets: args.show_secrets,
    };
    let mut out = stdout_out();
    let mut code = EXIT_OK;
    let several = targets.len() > 1;
    let mut docs = 0u64;
    for (ti, target) in targets.iter().enumerate() {
        let ns = namespace.as_deref();
        let sels: Vec<(Selection, Option<&str>)> = if names.is_empty() {
            vec![(target.selection(ns, None, files), None)]
        } else {
            names
                .iter()
                .map(|n| {
                    (
                        target.selection(ns.or(Some("default")), Some(n), files),
                        Some(n.as_str()),
                    )
                })
                .collect()
        };
        let mut table: Option<Table> = None;
        let mut found = 0u64;
        for (sel, name) in &sels {
            let mut seen_name = false;
            let result = source.for_each(sel, &opts, &mut |o: StoredObject| {
                if let Some(n) = name
                    && o.name() != *n
                {
                    return ControlFlow::Continue(());
                }
                if let Some(s) = &selector
                    && !s.matches(&o.labels())
                {
                    return ControlFlow::Continue(());
                }
                seen_name = true;
                found += 1;
                emit(&mut out, &mut table, &o, target, format, now, &mut docs);
                if out.failed() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            match result {
                Err(e) => {
                    let _ = out.finish();
                    return source_error(e);
                }
                Ok(stats) => {
                    for e in &stats.errors {
                        eprintln!("kinspect: error: {e}");
                        code = EXIT_USAGE;
                    }
                }
            }
            if let Some(n) = name
                && !seen_name
            {
                eprintln!(
                    "Error from server (NotFound): {} {n:?} not found",
                    target.plural()
                );
                code = EXIT_PROBLEM;
            }
        }
        if let Some(t) = table {
            let wide = format == Format::Wide;
            // kubectl adds NAMESPACE only for namespaced resources.
            let text = crate::view::k8s_table::render(
                &t,
                wide,
                args.all_namespaces && target.namespaced(),
            );
            if several && ti > 0 && !text.is_empty() {
                out.line("");
            }
            out.raw(text.as_bytes());
        }
        if found == 0 && names.is_empty() {
            match namespace.as_deref() {
                Some(ns) if target.namespaced() => {
                    eprintln!("No resources found in {ns} namespace.")
                }
                _ => eprintln!("No resources found"),
            }
        }
    }
    match out.finish() {
        Ok(_) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("kinspect: error: writing output: {e}");
            EXIT_PROBLEM
        }
    }
}

/// Prints one object (YAML, JSON) or adds it to the table.
fn emit<W: Write>(
    out: &mut Out<W>,
    table: &mut Option<Table>,
    o: &StoredObject,
    target: &Target,
    format: Format,
    now: i64,
    docs: &mut u64,
) {
    for p in &o.problems {
        eprintln!("kinspect: warning: {}: {p}", o.key);
    }
    match format {
        Format::Yaml => {
            // Documents after the first are separated as YAML streams are.
            if *docs > 0 {
                out.line("---");
            }
            *docs += 1;
            out.raw(crate::k8s::yaml::to_yaml(&o.object).as_bytes());
        }
        Format::Json | Format::Prometheus => out.json(&o.object),
        Format::Table | Format::Wide => {
            let builtin = target.resource.is_some();
            let t = table.get_or_insert_with(|| {
                let kind = printers::kind_of(&o.typed).unwrap_or(&o.kind);
                Table::for_kind(kind, builtin)
            });
            let row = printers::print(&o.typed, now, format == Format::Wide).unwrap_or_else(|| {
                let created = o
                    .object
                    .pointer(&["metadata", "creationTimestamp"])
                    .and_then(|v| v.as_str())
                    .and_then(|s| {
                        time::OffsetDateTime::parse(
                            s,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    })
                    .map(|t| t.unix_timestamp());
                printers::print_default(o.namespace(), o.name(), created, builtin, now)
            });
            t.rows.push(row);
        }
    }
}

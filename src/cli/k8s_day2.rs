//! `kinspect k8s why | rollout | lint`: arguments and command bodies. The
//! caller loads the stored state (`--db`, `--data-dir`, `-f`, live etcd)
//! and, for `lint`, the manifests; these functions reason, print and pick
//! the exit code (0 nothing wrong, 1 a problem found, 2 usage).

use std::io::Write;
use std::path::PathBuf;

use super::{EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, usage_error};
use crate::k8s::day2::lint::{LintStatus, ManifestObject, lint};
use crate::k8s::day2::rollout::{self, RolloutState, canonical_kind};
use crate::k8s::day2::sched::Snapshot;
use crate::k8s::day2::why::{WhyError, why_all, why_object};
use crate::k8s::state::ClusterState;
use crate::view::{Format, Out, day2};

/// `kinspect k8s why [KIND/NAME] [-n NS | -A]`
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    kinspect k8s why pod/big-cpu -n shop --db snapshot.db\n  \
    kinspect k8s why -A --data-dir /var/lib/etcd\n  \
    kubectl get pods,nodes,deploy,rs,events -A -o json | kinspect k8s why -A -f -")]
pub struct WhyArgs {
    /// What to explain: pod/NAME (or just NAME), deployment/NAME, statefulset/NAME,
    /// daemonset/NAME, node/NAME; without it, every problem
    #[arg(value_name = "KIND/NAME")]
    pub target: Option<String>,
    /// Namespace (default: default)
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Every namespace (and the nodes)
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
}

/// `kinspect k8s rollout deployment/NAME [-n NS]`
#[derive(Debug, Clone, clap::Args)]
pub struct RolloutArgs {
    /// deployment/NAME, statefulset/NAME or daemonset/NAME
    #[arg(value_name = "KIND/NAME")]
    pub target: String,
    /// Namespace (default: default)
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

/// `kinspect k8s lint FILE...`
#[derive(Debug, Clone, clap::Args)]
pub struct LintArgs {
    /// Manifest files or folders (YAML or JSON; `-` for standard input)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// Splits `kind/name` (a bare name is `default_kind`).
pub fn split_target<'a>(t: &'a str, default_kind: &'a str) -> (&'a str, &'a str) {
    match t.split_once('/') {
        Some((k, n)) => (k, n),
        None => (default_kind, t),
    }
}

fn finish<W: Write>(out: Out<W>, code: i32) -> i32 {
    match out.finish() {
        Ok(_) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => usage_error(format!("writing output: {e}")),
    }
}

/// `k8s why`.
pub fn run_why<W: Write>(
    args: &WhyArgs,
    state: &ClusterState,
    format: Format,
    mut out: Out<W>,
) -> i32 {
    let ns = args.namespace.as_deref().unwrap_or("default");
    match &args.target {
        Some(t) => {
            let (kind, name) = split_target(t, "pod");
            if name.is_empty() {
                return usage_error(format!("{t:?}: expected KIND/NAME, e.g. pod/web-0"));
            }
            let report = match why_object(state, kind, ns, name) {
                Ok(r) => r,
                Err(e @ WhyError::Kind(_)) => return usage_error(e),
                Err(e @ WhyError::NotFound { .. }) => {
                    eprintln!("kinspect: error: {e}");
                    return EXIT_PROBLEM;
                }
            };
            match format {
                Format::Json | Format::Prometheus | Format::Yaml => out.json(&report),
                Format::Table | Format::Wide => {
                    for l in day2::why_detail(&report) {
                        out.line(&l);
                    }
                }
            }
            finish(
                out,
                if report.is_problem() {
                    EXIT_PROBLEM
                } else {
                    EXIT_OK
                },
            )
        }
        None => {
            let scope = if args.all_namespaces { None } else { Some(ns) };
            let reports = why_all(state, scope);
            match format {
                Format::Json | Format::Prometheus | Format::Yaml => {
                    for r in &reports {
                        out.json(r);
                    }
                }
                Format::Table | Format::Wide => {
                    for l in day2::why_list(&reports) {
                        out.line(&l);
                    }
                }
            }
            finish(
                out,
                if reports.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_PROBLEM
                },
            )
        }
    }
}

/// `k8s rollout`.
pub fn run_rollout<W: Write>(
    args: &RolloutArgs,
    state: &ClusterState,
    format: Format,
    mut out: Out<W>,
) -> i32 {
    let ns = args.namespace.as_deref().unwrap_or("default");
    let (kind, name) = split_target(&args.target, "");
    let Some(canon) = canonical_kind(kind) else {
        return usage_error(format!(
            "{:?}: expected deployment/NAME, statefulset/NAME or daemonset/NAME",
            args.target
        ));
    };
    let snap = Snapshot::build(state);
    let Some(r) = rollout::report(state, &snap, canon, ns, name) else {
        eprintln!("kinspect: error: {canon} {ns}/{name} not found in the stored state");
        return EXIT_PROBLEM;
    };
    match format {
        Format::Json | Format::Prometheus | Format::Yaml => out.json(&r),
        Format::Table | Format::Wide => {
            for l in day2::rollout_detail(&r) {
                out.line(&l);
            }
        }
    }
    finish(
        out,
        if r.state == RolloutState::Complete {
            EXIT_OK
        } else {
            EXIT_PROBLEM
        },
    )
}

/// `k8s lint`: `manifests` are the typed objects the caller read from
/// `args.files` (each with its file name).
pub fn run_lint<W: Write>(
    args: &LintArgs,
    state: &ClusterState,
    manifests: &[ManifestObject],
    format: Format,
    mut out: Out<W>,
) -> i32 {
    if args.files.is_empty() {
        return EXIT_USAGE;
    }
    let findings = lint(state, manifests);
    if findings.is_empty() {
        eprintln!(
            "kinspect: no workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) in the files"
        );
    }
    match format {
        Format::Json | Format::Prometheus | Format::Yaml => {
            for f in &findings {
                out.json(f);
            }
        }
        Format::Table | Format::Wide => {
            for l in day2::lint_table(&findings) {
                out.line(&l);
            }
        }
    }
    let failed = findings.iter().any(|f| f.status == LintStatus::Fail);
    finish(out, if failed { EXIT_PROBLEM } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit::demo_cluster;
    use crate::k8s::state::Typed;
    use clap::Parser;

    #[derive(Parser)]
    struct W {
        #[command(flatten)]
        a: WhyArgs,
    }

    fn run(args: &[&str]) -> (i32, String) {
        let w =
            W::try_parse_from(std::iter::once("why").chain(args.iter().copied())).expect("parse");
        let c = demo_cluster(1_780_000_000);
        let mut buf = Vec::new();
        let code = run_why(&w.a, &c, Format::Table, Out::new(&mut buf));
        (code, String::from_utf8(buf).expect("utf8"))
    }

    #[test]
    fn args_parse() {
        assert!(W::try_parse_from(["why", "-A", "-n", "x"]).is_err());
        let w = W::try_parse_from(["why", "pod/x", "-n", "shop"]).expect("parse");
        assert_eq!(w.a.target.as_deref(), Some("pod/x"));
        assert_eq!(split_target("x", "pod"), ("pod", "x"));
        assert_eq!(split_target("deploy/x", "pod"), ("deploy", "x"));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(run(&["big-cpu", "-n", "shop"]).0, EXIT_PROBLEM);
        assert_eq!(run(&["pod/api-7c9d8b6f5-k2x8q", "-n", "shop"]).0, EXIT_OK);
        assert_eq!(run(&["-n", "kube-system"]).0, EXIT_OK);
        assert_eq!(run(&["-A"]).0, EXIT_PROBLEM);
        assert_eq!(run(&["service/x"]).0, EXIT_USAGE);
        assert_eq!(run(&["pod/none"]).0, EXIT_PROBLEM);
    }

    #[test]
    fn rollout_and_lint_exit_codes() {
        let c = demo_cluster(1_780_000_000);
        let r = |t: &str| {
            let a = RolloutArgs {
                target: t.into(),
                namespace: Some("shop".into()),
            };
            let mut buf = Vec::new();
            run_rollout(&a, &c, Format::Json, Out::new(&mut buf))
        };
        assert_eq!(r("deployment/api"), EXIT_OK);
        assert_eq!(r("deployment/web"), EXIT_PROBLEM);
        assert_eq!(r("service/web"), EXIT_USAGE);
        let a = LintArgs {
            files: vec!["x.yaml".into()],
        };
        let d = c
            .deployments
            .iter()
            .find(|d| d.metadata.as_ref().unwrap().name.as_deref() == Some("frontend"))
            .unwrap()
            .clone();
        let m = vec![ManifestObject {
            file: "x.yaml".into(),
            object: Typed::Deployment(d),
        }];
        let mut buf = Vec::new();
        assert_eq!(
            run_lint(&a, &c, &m, Format::Json, Out::new(&mut buf)),
            EXIT_PROBLEM
        );
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.lines().all(|l| l
                .starts_with("{\"file\":\"x.yaml\",\"object\":\"deployment/frontend\",\"check\":")),
            "{text}"
        );
    }

    /// JSON fields exactly as DESIGN.md lists them.
    #[test]
    fn json_fields() {
        let c = demo_cluster(1_780_000_000);
        let r = why_object(&c, "pod", "shop", "big-cpu").unwrap();
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|s| s.as_str()).collect();
        let mut want = vec![
            "kind",
            "namespace",
            "name",
            "problem",
            "summary",
            "nodes",
            "qos_class",
            "hints",
        ];
        want.sort();
        let mut got = keys.clone();
        got.sort();
        assert_eq!(got, want);
        let n = v["nodes"][0].as_object().unwrap();
        assert_eq!(
            n.keys().cloned().collect::<Vec<_>>(),
            ["fits", "node", "reasons"]
        );
        let snap = Snapshot::build(&c);
        let rr = rollout::report(&c, &snap, "Deployment", "shop", "frontend").unwrap();
        let v: serde_json::Value = serde_json::to_value(&rr).unwrap();
        let mut got: Vec<&str> = v.as_object().unwrap().keys().map(|s| s.as_str()).collect();
        got.sort();
        assert_eq!(
            got,
            [
                "findings",
                "kind",
                "max_surge",
                "max_unavailable",
                "message",
                "name",
                "namespace",
                "previous_revision",
                "revision",
                "state"
            ]
        );
        assert_eq!(v["state"], "waiting");
        assert_eq!(v["max_unavailable"], 3);
        assert_eq!(v["max_surge"], 0);
    }

    /// Prints what the commands print on the demo cluster (for docs/day2.md):
    /// `cargo test --lib print_demo_for_docs -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_demo_for_docs() {
        let c = demo_cluster(1_780_000_000);
        let show = |title: &str, code: i32, buf: Vec<u8>| {
            println!(
                "=== {title} (exit {code})\n{}",
                String::from_utf8(buf).unwrap()
            );
        };
        for (t, ns, fmt) in [
            (Some("pod/big-cpu"), "shop", Format::Table),
            (Some("pod/picky"), "shop", Format::Table),
            (Some("pod/web-6d4b9f7c8d-r5n2v"), "shop", Format::Table),
            (Some("pod/memhog"), "shop", Format::Table),
            (Some("pod/custom-sched"), "shop", Format::Table),
            (Some("pod/edge-proxy-new"), "shop", Format::Table),
            (None, "shop", Format::Table),
            (Some("pod/big-cpu"), "shop", Format::Json),
        ] {
            let a = WhyArgs {
                target: t.map(String::from),
                namespace: Some(ns.into()),
                all_namespaces: false,
            };
            let mut buf = Vec::new();
            let code = run_why(&a, &c, fmt, Out::new(&mut buf));
            show(&format!("why {t:?} -n {ns} {fmt:?}"), code, buf);
        }
        let a = WhyArgs {
            target: None,
            namespace: None,
            all_namespaces: true,
        };
        let mut buf = Vec::new();
        let code = run_why(&a, &c, Format::Table, Out::new(&mut buf));
        show("why -A", code, buf);
        let find = |n: &str| {
            c.deployments
                .iter()
                .find(|d| d.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some(n))
                .cloned()
                .unwrap()
        };
        let tk = |n: &str, cpu: &str, image: &str| {
            crate::k8s::day2::testkit::pending_pod(
                "shop",
                n,
                crate::k8s::day2::testkit::container(
                    "app",
                    image,
                    crate::k8s::day2::testkit::res(&[("cpu", cpu)], &[]),
                ),
                0,
            )
        };
        let mut picky = tk("picky", "100m", "nginx");
        picky.spec.as_mut().unwrap().node_selector =
            crate::k8s::day2::testkit::labels(&[("nonexistent-label", "yes")]);
        let manifests = vec![
            ManifestObject {
                file: "challenge2.yaml".into(),
                object: Typed::Pod(tk("big-cpu", "10000m", "myshop/report:1.0")),
            },
            ManifestObject {
                file: "challenge2.yaml".into(),
                object: Typed::Pod(picky),
            },
            ManifestObject {
                file: "challenge2.yaml".into(),
                object: Typed::Deployment(find("frontend")),
            },
            ManifestObject {
                file: "api.yaml".into(),
                object: Typed::Deployment(find("api")),
            },
        ];
        let a = LintArgs {
            files: vec!["challenge2.yaml".into(), "api.yaml".into()],
        };
        let mut buf = Vec::new();
        let code = run_lint(&a, &c, &manifests, Format::Table, Out::new(&mut buf));
        show("lint challenge2.yaml api.yaml", code, buf);
        let mut buf = Vec::new();
        let code = run_lint(&a, &c, &manifests[..1], Format::Json, Out::new(&mut buf));
        show("lint json", code, buf);
        for t in [
            "deployment/web",
            "deployment/frontend",
            "deployment/checkout",
            "deployment/api",
            "statefulset/db",
        ] {
            for fmt in [Format::Table, Format::Json] {
                let a = RolloutArgs {
                    target: t.into(),
                    namespace: Some("shop".into()),
                };
                let mut buf = Vec::new();
                let code = run_rollout(&a, &c, fmt, Out::new(&mut buf));
                show(&format!("rollout {t} {fmt:?}"), code, buf);
            }
        }
    }
}

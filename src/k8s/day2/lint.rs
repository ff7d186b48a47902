//! `k8s lint`: manifests judged against the cluster's nodes before they
//! are applied.
//!
//! Each workload's Pod template (Pods, Deployments, ReplicaSets,
//! StatefulSets, DaemonSets, Jobs, CronJobs) is defaulted as the apiserver
//! would (limits without requests, `pkg/apis/core/v1/defaults.go`) and run
//! through the scheduler filters against the stored nodes as if they were
//! empty ([`RunOptions::ignore_existing_pods`]): what fails there fails
//! forever. Checks: `scheduling` (the scheduler's sentence when no node
//! fits), `resources` (requests beyond every node's allocatable),
//! `node-selector` (nodeSelector/affinity no node satisfies), `taints`
//! (every candidate node has a taint not tolerated), `capacity` (fits an
//! empty node but no node has room now: warn), `strategy` (`maxUnavailable`
//! resolving to every replica, or maxSurge and maxUnavailable both 0),
//! `image-tag` (no tag, or `:latest`), `qos` (the class the template gets),
//! `quantity` (malformed amounts). DaemonSets skip the node checks: their
//! Pods go where the DaemonSet controller puts them.

use k8s_pb::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::fit_error::fit_error;
use super::qos::{compute_qos, default_requests_from_limits};
use super::rollout::{deployment_strategy, int_or_string_text, resolve_fenceposts, scaled_value};
use super::sched::fit::render_amount;
use super::sched::node::affinity_accepts;
use super::sched::{PodQuery, RunOptions, Snapshot, filter_all};
use crate::k8s::state::{ClusterState, Typed};

/// One object read from a manifest file, as the loader typed it.
#[derive(Debug, Clone)]
pub struct ManifestObject {
    /// The file it came from (`-` for standard input).
    pub file: String,
    pub object: Typed,
}

/// `ok|warn|fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintStatus {
    Ok,
    Warn,
    Fail,
}

impl LintStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LintStatus::Ok => "ok",
            LintStatus::Warn => "warn",
            LintStatus::Fail => "fail",
        }
    }
}

/// One `k8s lint` finding (one JSON line with `-o json`).
///
/// - `file`: the manifest file
/// - `object`: `kind/name` as kubectl names it (`deployment/web`)
/// - `check`: `scheduling`, `resources`, `node-selector`, `taints`,
///   `capacity`, `strategy`, `image-tag`, `qos`, `quantity`
/// - `status`: `ok`, `warn` or `fail` (`fail`: it would not schedule or
///   roll out)
/// - `message`: one sentence
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintFinding {
    pub file: String,
    pub object: String,
    pub check: String,
    pub status: LintStatus,
    pub message: String,
}

fn template_of(
    t: &Typed,
) -> Option<(
    &'static str,
    &ObjectMeta,
    Option<&PodTemplateSpec>,
    Option<&PodSpec>,
)> {
    match t {
        Typed::Pod(p) => Some(("pod", p.metadata.as_ref()?, None, p.spec.as_ref())),
        Typed::Deployment(d) => Some((
            "deployment",
            d.metadata.as_ref()?,
            d.spec.as_ref()?.template.as_ref(),
            None,
        )),
        Typed::ReplicaSet(d) => Some((
            "replicaset",
            d.metadata.as_ref()?,
            d.spec.as_ref()?.template.as_ref(),
            None,
        )),
        Typed::StatefulSet(d) => Some((
            "statefulset",
            d.metadata.as_ref()?,
            d.spec.as_ref()?.template.as_ref(),
            None,
        )),
        Typed::DaemonSet(d) => Some((
            "daemonset",
            d.metadata.as_ref()?,
            d.spec.as_ref()?.template.as_ref(),
            None,
        )),
        Typed::Job(j) => Some((
            "job",
            j.metadata.as_ref()?,
            j.spec.as_ref()?.template.as_ref(),
            None,
        )),
        Typed::CronJob(c) => Some((
            "cronjob",
            c.metadata.as_ref()?,
            c.spec
                .as_ref()?
                .job_template
                .as_ref()?
                .spec
                .as_ref()?
                .template
                .as_ref(),
            None,
        )),
        _ => None,
    }
}

/// Does an image reference carry a tag or digest? (`None`: no tag.)
pub fn image_tag(image: &str) -> Option<&str> {
    if let Some((_, d)) = image.split_once('@') {
        return Some(d);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t)
}

/// Judges every manifest object against the cluster's nodes.
pub fn lint(state: &ClusterState, manifests: &[ManifestObject]) -> Vec<LintFinding> {
    let snap = Snapshot::build(state);
    let mut out = Vec::new();
    for m in manifests {
        let Some((kind, meta, tpl, pod_spec)) = template_of(&m.object) else {
            continue;
        };
        let name = meta.name.as_deref().unwrap_or("");
        let ns = meta.namespace.as_deref().unwrap_or("default");
        let object = format!("{kind}/{name}");
        let mut push = |check: &str, status: LintStatus, message: String| {
            out.push(LintFinding {
                file: m.file.clone(),
                object: object.clone(),
                check: check.into(),
                status,
                message,
            })
        };
        let Some(spec) = pod_spec.or_else(|| tpl.and_then(|t| t.spec.as_ref())) else {
            push("scheduling", LintStatus::Fail, "no Pod spec".into());
            continue;
        };
        let mut spec = spec.clone();
        default_requests_from_limits(&mut spec);
        let mut pod_meta = tpl
            .and_then(|t| t.metadata.clone())
            .unwrap_or_else(|| meta.clone());
        pod_meta.namespace = Some(ns.to_string());
        pod_meta.name = Some(name.to_string());
        let pod = Pod {
            metadata: Some(pod_meta),
            spec: Some(spec.clone()),
            status: None,
        };

        // Strategy (Deployments).
        if let Typed::Deployment(d) = &m.object {
            let (ty, surge, unav) = deployment_strategy(d);
            let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            if ty == "RollingUpdate" {
                let s0 = scaled_value(&surge, replicas, true);
                let u0 = scaled_value(&unav, replicas, false);
                match resolve_fenceposts(&surge, &unav, replicas) {
                    None => push(
                        "strategy",
                        LintStatus::Fail,
                        format!(
                            "malformed maxSurge {:?} / maxUnavailable {:?}",
                            int_or_string_text(&surge),
                            int_or_string_text(&unav)
                        ),
                    ),
                    Some((_, u)) if replicas > 0 && u >= replicas => push(
                        "strategy",
                        LintStatus::Fail,
                        format!(
                            "maxUnavailable {} resolves to {u} of {replicas} Pods: a rollout may stop every old Pod at once",
                            int_or_string_text(&unav)
                        ),
                    ),
                    Some(_) if s0 == Some(0) && u0 == Some(0) && is_literal_zero(&surge) && is_literal_zero(&unav) => push(
                        "strategy",
                        LintStatus::Fail,
                        "maxUnavailable 0 with maxSurge 0: the API rejects it (the rollout could never make progress)".into(),
                    ),
                    Some((s, u)) => push(
                        "strategy",
                        LintStatus::Ok,
                        format!(
                            "maxSurge {} -> {s}, maxUnavailable {} -> {u} of {replicas} Pods",
                            int_or_string_text(&surge),
                            int_or_string_text(&unav)
                        ),
                    ),
                }
            } else {
                push(
                    "strategy",
                    LintStatus::Warn,
                    format!("strategy {ty}: every old Pod stops before new ones start"),
                );
            }
        }

        // Images.
        for c in spec.init_containers.iter().chain(spec.containers.iter()) {
            let image = c.image.as_deref().unwrap_or("");
            match image_tag(image) {
                None => push(
                    "image-tag",
                    LintStatus::Warn,
                    format!("image {image:?} has no tag: it means :latest, which moves"),
                ),
                Some("latest") => push(
                    "image-tag",
                    LintStatus::Warn,
                    format!("image {image:?} uses :latest, which moves"),
                ),
                Some(_) => push("image-tag", LintStatus::Ok, format!("image {image}")),
            }
        }

        // QoS.
        push(
            "qos",
            LintStatus::Ok,
            format!("QoS class {}", compute_qos(&spec)),
        );

        // Quantities.
        let mut bad = Vec::new();
        let q = PodQuery::new(&pod, &mut bad);
        for b in &bad {
            push(
                "quantity",
                LintStatus::Fail,
                format!("{}: {}", b.place, b.message),
            );
        }

        if kind == "daemonset" || snap.nodes.is_empty() {
            if snap.nodes.is_empty() {
                push(
                    "scheduling",
                    LintStatus::Warn,
                    "the stored state has no nodes to judge against".into(),
                );
            }
            continue;
        }

        // Scheduling against empty nodes.
        let verdicts = filter_all(
            &q,
            &snap,
            RunOptions {
                ignore_existing_pods: true,
            },
        );
        let fits: Vec<&str> = verdicts
            .iter()
            .filter(|v| v.failure.is_none())
            .map(|v| v.node.as_str())
            .collect();
        // resources vs the largest allocatable
        let req = &q.request;
        let mut res_msgs = Vec::new();
        for (r, want, f) in [
            (
                "cpu",
                req.milli_cpu,
                (|x: &super::requests::Resource| x.milli_cpu)
                    as fn(&super::requests::Resource) -> i64,
            ),
            ("memory", req.memory, |x| x.memory),
            ("ephemeral-storage", req.ephemeral_storage, |x| {
                x.ephemeral_storage
            }),
        ] {
            let max = snap
                .nodes
                .iter()
                .map(|n| f(&n.allocatable))
                .max()
                .unwrap_or(0);
            if want > max {
                res_msgs.push(format!(
                    "requests {} {r}, the largest allocatable {r} is {}",
                    render_amount(r, want),
                    render_amount(r, max)
                ));
            }
        }
        for (r, &want) in &req.scalar {
            let max = snap
                .nodes
                .iter()
                .map(|n| n.allocatable.scalar.get(r).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            if want > max {
                res_msgs.push(format!(
                    "requests {want} {r}, the largest allocatable {r} is {max}"
                ));
            }
        }
        if res_msgs.is_empty() {
            push(
                "resources",
                LintStatus::Ok,
                "requests fit some node's allocatable".into(),
            );
        } else {
            push(
                "resources",
                LintStatus::Fail,
                format!("no node could ever fit: {}", res_msgs.join("; ")),
            );
        }
        // selector
        let accepting: Vec<usize> = (0..snap.nodes.len())
            .filter(|&i| affinity_accepts(&q, snap.nodes[i].name, snap.nodes[i].labels))
            .collect();
        if accepting.is_empty() {
            let mut missing = Vec::new();
            for (k, v) in &spec.node_selector {
                if !snap.nodes.iter().any(|n| n.labels.get(k) == Some(v)) {
                    missing.push(format!("{k}={v}"));
                }
            }
            let msg = if missing.is_empty() {
                "no node satisfies the required node affinity".to_string()
            } else {
                format!("no node has label {}", missing.join(", "))
            };
            push("node-selector", LintStatus::Fail, msg);
        } else if !spec.node_selector.is_empty()
            || spec
                .affinity
                .as_ref()
                .and_then(|a| a.node_affinity.as_ref())
                .is_some()
        {
            push(
                "node-selector",
                LintStatus::Ok,
                format!("{} node(s) match", accepting.len()),
            );
        }
        // taints among the accepting nodes (or all)
        let cands: Vec<usize> = if accepting.is_empty() {
            (0..snap.nodes.len()).collect()
        } else {
            accepting
        };
        let tols = spec.tolerations.as_slice();
        let untolerated: Vec<String> = cands
            .iter()
            .filter_map(|&i| {
                let n = &snap.nodes[i];
                let taints = n
                    .node
                    .spec
                    .as_ref()
                    .map(|s| s.taints.as_slice())
                    .unwrap_or(&[]);
                super::sched::node::first_untolerated(taints, tols)
                    .map(|t| format!("{} ({})", n.name, super::sched::node::taint_kubectl(t)))
            })
            .collect();
        if !cands.is_empty() && untolerated.len() == cands.len() {
            push(
                "taints",
                LintStatus::Fail,
                format!(
                    "every candidate node has a taint the Pod does not tolerate: {}",
                    untolerated.join(", ")
                ),
            );
        }
        if fits.is_empty() {
            let reasons: Vec<String> = verdicts
                .iter()
                .filter_map(|v| v.failure.as_ref())
                .flat_map(|f| f.reasons.clone())
                .collect();
            push(
                "scheduling",
                LintStatus::Fail,
                fit_error(verdicts.len(), &reasons, ""),
            );
        } else {
            // room now?
            let now = filter_all(&q, &snap, RunOptions::default());
            let room: Vec<&str> = now
                .iter()
                .filter(|v| v.failure.is_none())
                .map(|v| v.node.as_str())
                .collect();
            if room.is_empty() {
                let reasons: Vec<String> = now
                    .iter()
                    .filter_map(|v| v.failure.as_ref())
                    .flat_map(|f| f.reasons.clone())
                    .collect();
                push(
                    "capacity",
                    LintStatus::Warn,
                    format!(
                        "fits an empty node but none has room now: {}",
                        fit_error(now.len(), &reasons, "")
                    ),
                );
            }
            push(
                "scheduling",
                LintStatus::Ok,
                format!(
                    "fits {} of {} nodes: {}",
                    fits.len(),
                    verdicts.len(),
                    fits.join(", ")
                ),
            );
        }
    }
    out
}

fn is_literal_zero(v: &k8s_pb::apimachinery::pkg::util::intstr::IntOrString) -> bool {
    matches!(int_or_string_text(v).as_str(), "0" | "0%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit as tk;

    fn obj(t: Typed) -> ManifestObject {
        ManifestObject {
            file: "app.yaml".into(),
            object: t,
        }
    }

    fn checks(f: &[LintFinding], object: &str, status: LintStatus) -> Vec<String> {
        f.iter()
            .filter(|x| x.object == object && x.status == status)
            .map(|x| x.check.clone())
            .collect()
    }

    /// The four Challenge-2 disasters as manifests: lint fails three
    /// before they are applied (the missing tag needs a registry).
    #[test]
    fn challenge_two_manifests() {
        let now = 1_000_000;
        let c = tk::demo_cluster(now);
        let big = tk::pending_pod(
            "shop",
            "big-cpu",
            tk::container(
                "app",
                "myshop/report:1.0",
                tk::res(&[("cpu", "10000m")], &[]),
            ),
            now,
        );
        let mut picky = tk::pending_pod(
            "shop",
            "picky",
            tk::container("app", "nginx", tk::res(&[], &[])),
            now,
        );
        picky.spec.as_mut().unwrap().node_selector = tk::labels(&[("nonexistent-label", "yes")]);
        let front = c
            .deployments
            .iter()
            .find(|d| d.metadata.as_ref().unwrap().name.as_deref() == Some("frontend"))
            .unwrap()
            .clone();
        let api = c
            .deployments
            .iter()
            .find(|d| d.metadata.as_ref().unwrap().name.as_deref() == Some("api"))
            .unwrap()
            .clone();
        let f = lint(
            &c,
            &[
                obj(Typed::Pod(big)),
                obj(Typed::Pod(picky)),
                obj(Typed::Deployment(front)),
                obj(Typed::Deployment(api)),
            ],
        );
        assert_eq!(
            checks(&f, "pod/big-cpu", LintStatus::Fail),
            ["resources", "scheduling"]
        );
        let r = f
            .iter()
            .find(|x| x.object == "pod/big-cpu" && x.check == "resources")
            .unwrap();
        assert_eq!(
            r.message,
            "no node could ever fit: requests 10 cpu, the largest allocatable cpu is 4"
        );
        assert_eq!(
            checks(&f, "pod/picky", LintStatus::Fail),
            ["node-selector", "scheduling"]
        );
        assert_eq!(checks(&f, "pod/picky", LintStatus::Warn), ["image-tag"]);
        assert_eq!(
            checks(&f, "deployment/frontend", LintStatus::Fail),
            ["strategy"]
        );
        assert!(checks(&f, "deployment/api", LintStatus::Fail).is_empty());
        // the sentence is the scheduler's (pkg/scheduler/framework/types.go FitError)
        let s = f
            .iter()
            .find(|x| x.object == "pod/picky" && x.check == "scheduling")
            .unwrap();
        assert_eq!(
            s.message,
            "0/5 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint(s)."
        );
    }

    /// Image references: docker's reference grammar (a tag after the last
    /// path component's colon; a registry port is not a tag), as the kubelet
    /// parses them (pkg/util/parsers/parsers.go, ParseImageName, over
    /// github.com/distribution/reference).
    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), None);
        assert_eq!(image_tag("nginx:1.27"), Some("1.27"));
        assert_eq!(image_tag("registry:5000/team/app"), None);
        assert_eq!(image_tag("registry:5000/team/app:v2"), Some("v2"));
        assert_eq!(image_tag("nginx@sha256:abcd"), Some("sha256:abcd"));
    }

    /// maxSurge and maxUnavailable both 0 is refused by the apiserver
    /// (ValidateRollingUpdateDeployment, pkg/apis/apps/validation/validation.go).
    #[test]
    fn zero_zero_strategy_fails() {
        let now = 1_000_000;
        let c = tk::demo_cluster(now);
        let d = tk::deployment(
            "shop",
            "z",
            3,
            "nginx:1.27",
            "0",
            "0",
            Default::default(),
            now,
        );
        let f = lint(&c, &[obj(Typed::Deployment(d))]);
        let s = f.iter().find(|x| x.check == "strategy").unwrap();
        assert_eq!(s.status, LintStatus::Fail);
        assert!(s.message.starts_with("maxUnavailable 0 with maxSurge 0"));
    }
}

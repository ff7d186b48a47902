//! Rollouts: `kubectl rollout status`'s verdict in kubectl's words, the
//! revisions, the strategy resolved to Pods, and what stands in the way.
//!
//! - The verdicts are `DeploymentStatusViewer`, `DaemonSetStatusViewer`
//!   and `StatefulSetStatusViewer` in
//!   `staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go`.
//! - Revisions are the ReplicaSets the Deployment owns, by their
//!   `deployment.kubernetes.io/revision` annotation
//!   (`pkg/controller/deployment/util/deployment_util.go`).
//! - `maxSurge` rounds up and `maxUnavailable` down, and both zero means
//!   one unavailable (`ResolveFenceposts`, deployment_util.go); defaults
//!   25%/25% and a 600 s progress deadline (`pkg/apis/apps/v1/defaults.go`).
//!   DaemonSets round both up (`pkg/controller/daemon/util/daemonset_util.go`);
//!   StatefulSets round `maxUnavailable` up, at least 1
//!   (`pkg/controller/statefulset/stateful_set_control.go`).

use k8s_pb::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::state::ClusterState;

/// The annotation holding a ReplicaSet's revision.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// `complete|waiting|failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    Complete,
    Waiting,
    Failed,
}

/// kubectl's verdict: its words and whether it is done (an `Err` is what
/// kubectl prints after `error: `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: RolloutState,
    pub message: String,
}

/// One revision of a Deployment (one ReplicaSet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: i64,
    pub replica_set: String,
    pub images: Vec<String>,
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
}

/// `intstr.GetScaledValueFromIntOrPercent`: an int as is; `N%` of
/// `total`, rounded up or down. `None` for a malformed value.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> Option<i32> {
    let is_int = match v.r#type {
        Some(0) => true,
        Some(_) => false,
        None => v.str_val.is_none(),
    };
    if is_int {
        return Some(v.int_val.unwrap_or(0));
    }
    let s = v.str_val.as_deref()?;
    let pct: i64 = s.strip_suffix('%')?.parse().ok()?;
    let x = pct * total as i64;
    let r = if round_up {
        (x + 99).div_euclid(100)
    } else {
        x.div_euclid(100)
    };
    i32::try_from(r).ok()
}

/// `IntOrString` as written (`25%`, `1`).
pub fn int_or_string_text(v: &IntOrString) -> String {
    match (&v.str_val, v.int_val) {
        (Some(s), _) if v.r#type != Some(0) => s.clone(),
        (_, Some(i)) => i.to_string(),
        _ => "0".into(),
    }
}

fn pct(s: &str) -> IntOrString {
    IntOrString {
        r#type: Some(1),
        int_val: None,
        str_val: Some(s.into()),
    }
}

/// A Deployment's strategy: (type, maxSurge, maxUnavailable) as written,
/// with the API defaults.
pub fn deployment_strategy(d: &Deployment) -> (String, IntOrString, IntOrString) {
    let st = d.spec.as_ref().and_then(|s| s.strategy.as_ref());
    let ty = st
        .and_then(|s| s.r#type.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    let ru = st.and_then(|s| s.rolling_update.as_ref());
    let surge = ru
        .and_then(|r| r.max_surge.clone())
        .unwrap_or_else(|| pct("25%"));
    let unav = ru
        .and_then(|r| r.max_unavailable.clone())
        .unwrap_or_else(|| pct("25%"));
    (ty, surge, unav)
}

/// `ResolveFenceposts(maxSurge, maxUnavailable, desired)`.
pub fn resolve_fenceposts(
    surge: &IntOrString,
    unav: &IntOrString,
    desired: i32,
) -> Option<(i32, i32)> {
    let s = scaled_value(surge, desired, true)?;
    let mut u = scaled_value(unav, desired, false)?;
    if s == 0 && u == 0 {
        u = 1;
    }
    Some((s, u))
}

fn name_of(m: Option<&k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta>) -> String {
    m.and_then(|m| m.name.clone()).unwrap_or_default()
}

/// `DeploymentStatusViewer.Status`.
pub fn deployment_verdict(d: &Deployment) -> Verdict {
    let name = name_of(d.metadata.as_ref());
    let generation = d.metadata.as_ref().and_then(|m| m.generation).unwrap_or(0);
    let st = d.status.clone().unwrap_or_default();
    let waiting = |m: String| Verdict {
        state: RolloutState::Waiting,
        message: m,
    };
    if generation > st.observed_generation.unwrap_or(0) {
        return waiting("Waiting for deployment spec update to be observed...".into());
    }
    let timed_out = st.conditions.iter().any(|c| {
        c.r#type.as_deref() == Some("Progressing")
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if timed_out {
        return Verdict {
            state: RolloutState::Failed,
            message: format!("deployment {name:?} exceeded its progress deadline"),
        };
    }
    let updated = st.updated_replicas.unwrap_or(0);
    let replicas = st.replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    if let Some(want) = d.spec.as_ref().and_then(|s| s.replicas)
        && updated < want
    {
        return waiting(format!(
            "Waiting for deployment {name:?} rollout to finish: {updated} out of {want} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return waiting(format!(
            "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return waiting(format!(
            "Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    Verdict {
        state: RolloutState::Complete,
        message: format!("deployment {name:?} successfully rolled out"),
    }
}

/// `DaemonSetStatusViewer.Status`.
pub fn daemon_set_verdict(ds: &DaemonSet) -> Verdict {
    let name = name_of(ds.metadata.as_ref());
    let ty = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.r#type.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    if ty != "RollingUpdate" {
        return Verdict {
            state: RolloutState::Failed,
            message: "rollout status is only available for RollingUpdate strategy type".into(),
        };
    }
    let generation = ds.metadata.as_ref().and_then(|m| m.generation).unwrap_or(0);
    let st = ds.status.clone().unwrap_or_default();
    if generation > st.observed_generation.unwrap_or(0) {
        return Verdict {
            state: RolloutState::Waiting,
            message: "Waiting for daemon set spec update to be observed...".into(),
        };
    }
    let desired = st.desired_number_scheduled.unwrap_or(0);
    let updated = st.updated_number_scheduled.unwrap_or(0);
    let available = st.number_available.unwrap_or(0);
    if updated < desired {
        return Verdict {
            state: RolloutState::Waiting,
            message: format!(
                "Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        };
    }
    if available < desired {
        return Verdict {
            state: RolloutState::Waiting,
            message: format!(
                "Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available..."
            ),
        };
    }
    Verdict {
        state: RolloutState::Complete,
        message: format!("daemon set {name:?} successfully rolled out"),
    }
}

/// `StatefulSetStatusViewer.Status`.
pub fn stateful_set_verdict(s: &StatefulSet) -> Verdict {
    let spec = s.spec.clone().unwrap_or_default();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let ty = strategy
        .r#type
        .clone()
        .unwrap_or_else(|| "RollingUpdate".into());
    let w = |m: String| Verdict {
        state: RolloutState::Waiting,
        message: m,
    };
    if ty != "RollingUpdate" {
        return Verdict {
            state: RolloutState::Failed,
            message: "rollout status is only available for RollingUpdate strategy type".into(),
        };
    }
    let generation = s.metadata.as_ref().and_then(|m| m.generation).unwrap_or(0);
    let st = s.status.clone().unwrap_or_default();
    let observed = st.observed_generation.unwrap_or(0);
    if observed == 0 || generation > observed {
        return w("Waiting for statefulset spec update to be observed...".into());
    }
    let ready = st.ready_replicas.unwrap_or(0);
    if let Some(want) = spec.replicas
        && ready < want
    {
        return w(format!("Waiting for {} pods to be ready...", want - ready));
    }
    let updated = st.updated_replicas.unwrap_or(0);
    if let Some(ru) = &strategy.rolling_update {
        if let (Some(want), Some(part)) = (spec.replicas, ru.partition)
            && updated < want - part
        {
            return w(format!(
                "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                want - part
            ));
        }
        return Verdict {
            state: RolloutState::Complete,
            message: format!(
                "partitioned roll out complete: {updated} new pods have been updated..."
            ),
        };
    }
    let update_rev = st.update_revision.clone().unwrap_or_default();
    let current_rev = st.current_revision.clone().unwrap_or_default();
    if update_rev != current_rev {
        return w(format!(
            "waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}..."
        ));
    }
    Verdict {
        state: RolloutState::Complete,
        message: format!(
            "statefulset rolling update complete {} pods at revision {current_rev}...",
            st.current_replicas.unwrap_or(0)
        ),
    }
}

/// The ReplicaSets a Deployment owns (controller owner reference by uid,
/// or by name when uids are missing), newest revision first.
pub fn revisions(state: &ClusterState, d: &Deployment) -> Vec<Revision> {
    let meta = d.metadata.as_ref();
    let ns = meta
        .and_then(|m| m.namespace.as_deref())
        .unwrap_or("default");
    let name = meta.and_then(|m| m.name.as_deref()).unwrap_or("");
    let uid = meta.and_then(|m| m.uid.as_deref());
    let mut out: Vec<Revision> = state
        .replica_sets
        .iter()
        .filter(|rs| {
            rs.metadata.as_ref().is_some_and(|m| {
                m.namespace.as_deref().unwrap_or("default") == ns
                    && m.owner_references.iter().any(|o| {
                        o.kind.as_deref() == Some("Deployment")
                            && match (uid, o.uid.as_deref()) {
                                (Some(a), Some(b)) => a == b,
                                _ => o.name.as_deref() == Some(name),
                            }
                    })
            })
        })
        .map(revision_of)
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.revision));
    out
}

fn revision_of(rs: &ReplicaSet) -> Revision {
    let m = rs.metadata.as_ref();
    let images = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default();
    let st = rs.status.clone().unwrap_or_default();
    Revision {
        revision: m
            .and_then(|m| m.annotations.get(REVISION_ANNOTATION))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        replica_set: m.and_then(|m| m.name.clone()).unwrap_or_default(),
        images,
        replicas: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        ready: st.ready_replicas.unwrap_or(0),
        available: st.available_replicas.unwrap_or(0),
    }
}

/// The three kinds `rollout` knows, from what a person types.
pub fn canonical_kind(k: &str) -> Option<&'static str> {
    match k.to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" => Some("Deployment"),
        "statefulset" | "statefulsets" | "sts" => Some("StatefulSet"),
        "daemonset" | "daemonsets" | "ds" => Some("DaemonSet"),
        _ => None,
    }
}

/// One `k8s rollout` answer (one JSON line with `-o json`).
///
/// - `kind`, `namespace`, `name`
/// - `state`: `complete`, `waiting` or `failed`
/// - `message`: `kubectl rollout status`'s words (without its newline)
/// - `revision`, `previous_revision`: Deployment revisions (the
///   `deployment.kubernetes.io/revision` of the newest and the one before),
///   `null` for StatefulSets and DaemonSets
/// - `max_surge`, `max_unavailable`: the strategy resolved to Pods
/// - `findings`: what stands in the way, one sentence each
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RolloutReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub state: RolloutState,
    pub message: String,
    pub revision: Option<i64>,
    pub previous_revision: Option<i64>,
    pub max_surge: Option<i32>,
    pub max_unavailable: Option<i32>,
    pub findings: Vec<String>,
    /// Every revision, newest first (Deployments); not in JSON.
    #[serde(skip)]
    pub revisions: Vec<Revision>,
    /// The strategy in words; not in JSON.
    #[serde(skip)]
    pub strategy: String,
    /// `kubectl rollout undo ...` to the last good revision; not in JSON
    /// (it is also the last finding).
    #[serde(skip)]
    pub rollback: Option<String>,
}

fn find_meta<'a, T>(
    list: &'a [T],
    meta: impl Fn(&T) -> Option<&k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    ns: &str,
    name: &str,
) -> Option<&'a T> {
    list.iter().find(|o| {
        meta(o).is_some_and(|m| {
            m.namespace.as_deref().unwrap_or("default") == ns && m.name.as_deref() == Some(name)
        })
    })
}

/// Problems of the Pods owned by `owner` (kind, name) in `ns`.
fn owned_pod_findings(
    state: &ClusterState,
    snap: &super::sched::Snapshot,
    ns: &str,
    owner_kind: &str,
    owner: &str,
    label: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for p in &state.pods {
        let Some(m) = p.metadata.as_ref() else {
            continue;
        };
        if m.namespace.as_deref().unwrap_or("default") != ns
            || !m
                .owner_references
                .iter()
                .any(|o| o.kind.as_deref() == Some(owner_kind) && o.name.as_deref() == Some(owner))
        {
            continue;
        }
        let r = super::why::why_pod(state, snap, p);
        if r.is_problem() {
            let summary = if r.problem == "unschedulable" {
                r.summary
                    .split(". ")
                    .next()
                    .unwrap_or(&r.summary)
                    .to_string()
                    + "."
            } else {
                r.summary.clone()
            };
            out.push(format!("{label} {}: {summary}", r.name));
        }
    }
    out
}

/// `k8s rollout KIND/NAME`: `None` when no such object is stored.
pub fn report(
    state: &ClusterState,
    snap: &super::sched::Snapshot,
    kind: &str,
    ns: &str,
    name: &str,
) -> Option<RolloutReport> {
    match canonical_kind(kind)? {
        "Deployment" => {
            let d = find_meta(&state.deployments, |d| d.metadata.as_ref(), ns, name)?;
            Some(deployment_report(state, snap, d, ns, name))
        }
        "StatefulSet" => {
            let s = find_meta(&state.stateful_sets, |d| d.metadata.as_ref(), ns, name)?;
            let v = stateful_set_verdict(s);
            let replicas = s.spec.as_ref().and_then(|x| x.replicas).unwrap_or(1);
            let ru = s
                .spec
                .as_ref()
                .and_then(|x| x.update_strategy.as_ref())
                .and_then(|u| u.rolling_update.as_ref());
            let mu = ru
                .and_then(|r| r.max_unavailable.clone())
                .unwrap_or(IntOrString {
                    r#type: Some(0),
                    int_val: Some(1),
                    str_val: None,
                });
            let max_unav = scaled_value(&mu, replicas, true).map(|x| x.max(1));
            let mut findings = Vec::new();
            if v.state != RolloutState::Complete {
                findings.extend(owned_pod_findings(
                    state,
                    snap,
                    ns,
                    "StatefulSet",
                    name,
                    "Pod",
                ));
            }
            Some(RolloutReport {
                kind: "StatefulSet".into(),
                namespace: ns.into(),
                name: name.into(),
                state: v.state,
                message: v.message,
                revision: None,
                previous_revision: None,
                max_surge: None,
                max_unavailable: max_unav,
                findings,
                revisions: Vec::new(),
                strategy: format!(
                    "RollingUpdate: one Pod at a time in order, maxUnavailable {} -> {} Pod(s)",
                    int_or_string_text(&mu),
                    max_unav.unwrap_or(1)
                ),
                rollback: None,
            })
        }
        _ => {
            let ds = find_meta(&state.daemon_sets, |d| d.metadata.as_ref(), ns, name)?;
            let v = daemon_set_verdict(ds);
            let desired = ds
                .status
                .as_ref()
                .and_then(|s| s.desired_number_scheduled)
                .unwrap_or(0);
            let ru = ds
                .spec
                .as_ref()
                .and_then(|x| x.update_strategy.as_ref())
                .and_then(|u| u.rolling_update.as_ref());
            let one = IntOrString {
                r#type: Some(0),
                int_val: Some(1),
                str_val: None,
            };
            let zero = IntOrString {
                r#type: Some(0),
                int_val: Some(0),
                str_val: None,
            };
            let mu = ru.and_then(|r| r.max_unavailable.clone()).unwrap_or(one);
            let ms = ru.and_then(|r| r.max_surge.clone()).unwrap_or(zero);
            let u = scaled_value(&mu, desired, true);
            let s = scaled_value(&ms, desired, true);
            let mut findings = Vec::new();
            if v.state != RolloutState::Complete {
                findings.extend(owned_pod_findings(
                    state,
                    snap,
                    ns,
                    "DaemonSet",
                    name,
                    "Pod",
                ));
            }
            Some(RolloutReport {
                kind: "DaemonSet".into(),
                namespace: ns.into(),
                name: name.into(),
                state: v.state,
                message: v.message,
                revision: None,
                previous_revision: None,
                max_surge: s,
                max_unavailable: u,
                findings,
                revisions: Vec::new(),
                strategy: format!(
                    "RollingUpdate over {desired} node(s): maxSurge {} -> {}, maxUnavailable {} -> {}",
                    int_or_string_text(&ms),
                    s.unwrap_or(0),
                    int_or_string_text(&mu),
                    u.unwrap_or(0)
                ),
                rollback: None,
            })
        }
    }
}

fn deployment_report(
    state: &ClusterState,
    snap: &super::sched::Snapshot,
    d: &Deployment,
    ns: &str,
    name: &str,
) -> RolloutReport {
    let v = deployment_verdict(d);
    let spec = d.spec.clone().unwrap_or_default();
    let replicas = spec.replicas.unwrap_or(1);
    let (ty, surge, unav) = deployment_strategy(d);
    let revs = revisions(state, d);
    let current = revs.first().map(|r| r.revision);
    let previous = revs.get(1).map(|r| r.revision);
    let mut findings = Vec::new();
    let (mut max_surge, mut max_unav) = (None, None);
    let strategy;
    if ty == "Recreate" {
        strategy = "Recreate: every old Pod stops before any new one starts".to_string();
        findings.push(
            "strategy Recreate: the Deployment has no Pod running between the old and the new"
                .into(),
        );
    } else {
        let su = scaled_value(&surge, replicas, true);
        let un = scaled_value(&unav, replicas, false);
        let both_zero = su == Some(0) && un == Some(0);
        match resolve_fenceposts(&surge, &unav, replicas) {
            Some((s, u)) => {
                max_surge = Some(s);
                max_unav = Some(u);
                strategy = format!(
                    "RollingUpdate, {replicas} replica(s): maxSurge {} -> {s} Pod(s), maxUnavailable {} -> {u} Pod(s): \
                     at most {} Pods, at least {} available",
                    int_or_string_text(&surge),
                    int_or_string_text(&unav),
                    replicas + s,
                    (replicas - u).max(0)
                );
                if replicas > 0 && u >= replicas {
                    findings.push(format!(
                        "maxUnavailable {} resolves to {u} of {replicas} Pods: every old Pod may stop at once, \
                         the Deployment may have no available Pod during the rollout",
                        int_or_string_text(&unav)
                    ));
                }
                if both_zero {
                    findings.push(
                        "maxSurge and maxUnavailable both resolve to 0: the API rejects both 0, and rounding \
                         makes maxUnavailable 1"
                            .into(),
                    );
                }
            }
            None => {
                strategy = "RollingUpdate with a malformed maxSurge/maxUnavailable".into();
                findings.push(format!(
                    "malformed strategy: maxSurge {:?}, maxUnavailable {:?}",
                    int_or_string_text(&surge),
                    int_or_string_text(&unav)
                ));
            }
        }
    }
    if spec.paused.unwrap_or(false) {
        findings.push(format!(
            "rollout paused (kubectl rollout resume deployment/{name} -n {ns})"
        ));
    }
    let st = d.status.clone().unwrap_or_default();
    if let Some(c) = st.conditions.iter().find(|c| {
        c.r#type.as_deref() == Some("Progressing")
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    }) {
        findings.push(format!(
            "progress deadline ({}s) exceeded: {}",
            spec.progress_deadline_seconds.unwrap_or(600),
            c.message.as_deref().unwrap_or("")
        ));
    }
    if v.state != RolloutState::Complete {
        if let Some(newest) = revs.first() {
            findings.extend(owned_pod_findings(
                state,
                snap,
                ns,
                "ReplicaSet",
                &newest.replica_set,
                "new Pod",
            ));
        }
    }
    let mut rollback = None;
    if v.state != RolloutState::Complete
        && let Some(prev) = revs.get(1)
    {
        let cmd = format!(
            "kubectl rollout undo deployment/{name} -n {ns} --to-revision={}",
            prev.revision
        );
        findings.push(format!(
            "last good revision {} ({}): {cmd}",
            prev.revision,
            prev.images.join(", ")
        ));
        rollback = Some(cmd);
    }
    RolloutReport {
        kind: "Deployment".into(),
        namespace: ns.into(),
        name: name.into(),
        state: v.state,
        message: v.message,
        revision: current,
        previous_revision: previous,
        max_surge,
        max_unavailable: max_unav,
        findings,
        revisions: revs,
        strategy,
        rollback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit as tk;

    /// pkg/controller/deployment/util/deployment_util_test.go
    /// (TestResolveFenceposts) and intstr's GetScaledValueFromIntOrPercent.
    #[test]
    fn fenceposts_round_as_upstream() {
        let p = |s: &str| pct(s);
        let i = |n: i32| IntOrString {
            r#type: Some(0),
            int_val: Some(n),
            str_val: None,
        };
        assert_eq!(resolve_fenceposts(&p("25%"), &p("25%"), 10), Some((3, 2)));
        assert_eq!(resolve_fenceposts(&p("25%"), &p("25%"), 1), Some((1, 0)));
        assert_eq!(resolve_fenceposts(&p("0%"), &p("0%"), 10), Some((0, 1)));
        assert_eq!(resolve_fenceposts(&i(0), &i(0), 3), Some((0, 1)));
        assert_eq!(resolve_fenceposts(&p("25%"), &p("100%"), 3), Some((1, 3)));
        assert_eq!(resolve_fenceposts(&p("50%"), &p("50%"), 5), Some((3, 2)));
        assert_eq!(scaled_value(&p("abc"), 5, true), None);
    }

    /// The messages of staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go
    /// (rollout_status_test.go TestDeploymentStatusViewerStatus cases).
    #[test]
    fn deployment_verdicts_in_kubectl_words() {
        let now = 1_000_000;
        let c = tk::demo_cluster(now);
        let get = |n: &str| {
            c.deployments
                .iter()
                .find(|d| d.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some(n))
                .cloned()
                .unwrap_or_else(|| panic!("{n}"))
        };
        assert_eq!(
            deployment_verdict(&get("api")).message,
            "deployment \"api\" successfully rolled out"
        );
        assert_eq!(
            deployment_verdict(&get("api")).state,
            RolloutState::Complete
        );
        let v = deployment_verdict(&get("web"));
        assert_eq!(
            v.message,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated..."
        );
        let v = deployment_verdict(&get("checkout"));
        assert_eq!(
            v.message,
            "deployment \"checkout\" exceeded its progress deadline"
        );
        assert_eq!(v.state, RolloutState::Failed);
        let v = deployment_verdict(&get("frontend"));
        assert_eq!(
            v.message,
            "Waiting for deployment \"frontend\" rollout to finish: 0 of 3 updated replicas are available..."
        );
        let mut d = get("api");
        d.metadata.as_mut().unwrap().generation = Some(9);
        assert_eq!(
            deployment_verdict(&d).message,
            "Waiting for deployment spec update to be observed..."
        );
        let mut d = get("api");
        let st = d.status.as_mut().unwrap();
        st.replicas = Some(3);
        st.updated_replicas = Some(2);
        d.spec.as_mut().unwrap().replicas = Some(2);
        assert_eq!(
            deployment_verdict(&d).message,
            "Waiting for deployment \"api\" rollout to finish: 1 old replicas are pending termination..."
        );
    }

    /// staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go
    /// DaemonSetStatusViewer / StatefulSetStatusViewer.
    #[test]
    fn daemon_and_stateful_verdicts() {
        let c = tk::demo_cluster(1_000_000);
        let ds = &c.daemon_sets[0];
        assert_eq!(
            daemon_set_verdict(ds).message,
            "daemon set \"node-agent\" successfully rolled out"
        );
        let mut ds2 = ds.clone();
        ds2.status.as_mut().unwrap().updated_number_scheduled = Some(1);
        assert_eq!(
            daemon_set_verdict(&ds2).message,
            "Waiting for daemon set \"node-agent\" rollout to finish: 1 out of 3 new pods have been updated..."
        );
        let sts = &c.stateful_sets[0];
        assert_eq!(sts_msg(sts), "Waiting for 1 pods to be ready...");
        let mut s2 = sts.clone();
        s2.status.as_mut().unwrap().ready_replicas = Some(2);
        assert_eq!(
            sts_msg(&s2),
            "statefulset rolling update complete 2 pods at revision db-5d8f7c9b6...",
        );
        s2.status.as_mut().unwrap().update_revision = Some("db-77c6f5d4f".into());
        assert_eq!(
            sts_msg(&s2),
            "waiting for statefulset rolling update to complete 2 pods at revision db-77c6f5d4f..."
        );
    }

    fn sts_msg(s: &StatefulSet) -> String {
        stateful_set_verdict(s).message
    }

    /// Revisions from the `deployment.kubernetes.io/revision` annotation
    /// (pkg/controller/deployment/util/deployment_util.go, Revision).
    #[test]
    fn revisions_by_annotation() {
        let c = tk::demo_cluster(1_000_000);
        let d = c
            .deployments
            .iter()
            .find(|d| d.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some("web"))
            .unwrap();
        let r = revisions(&c, d);
        assert_eq!(r.iter().map(|r| r.revision).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(r[0].images, ["nginx:1.99.99-doesnotexist"]);
        assert_eq!(r[1].images, ["nginx:1.27"]);
    }
}

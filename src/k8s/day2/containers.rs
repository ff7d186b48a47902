//! Why a bound Pod does not run: its containers' states as the kubelet
//! stored them (`status.containerStatuses`, `initContainerStatuses`).
//!
//! The waiting reasons are the kubelet's (`pkg/kubelet/images/types.go`:
//! `ErrImagePull`, `ImagePullBackOff`, `InvalidImageName`,
//! `ErrImageNeverPull`; `pkg/kubelet/kuberuntime/kuberuntime_container.go`
//! and `pkg/kubelet/container/sync_result.go`: `CrashLoopBackOff`,
//! `CreateContainerConfigError`, `CreateContainerError`,
//! `RunContainerError`); `OOMKilled` is the runtime's terminated reason.
//! The status column follows kubectl's `printPod`
//! (`pkg/printers/internalversion/printers.go`), simplified: the last
//! waiting/terminated reason wins, `Init:` prefixes init containers.

use k8s_pb::api::core::v1::{ContainerStatus, Pod};

use super::requests::{BadQuantity, container_limits};

/// What is wrong with one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    ImagePull,
    CrashLoop,
    OomKilled,
    ConfigError,
    InitStuck,
    InitFailed,
    NotReady,
    Terminated,
}

impl Trouble {
    /// The `problem` word in `k8s why` JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trouble::ImagePull => "image_pull",
            Trouble::CrashLoop => "crash_loop",
            Trouble::OomKilled => "oom_killed",
            Trouble::ConfigError => "config_error",
            Trouble::InitStuck => "init_stuck",
            Trouble::InitFailed => "init_failed",
            Trouble::NotReady => "not_ready",
            Trouble::Terminated => "terminated",
        }
    }
}

/// One container's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerProblem {
    pub container: String,
    pub init: bool,
    pub trouble: Trouble,
    /// One line: what the stored status says.
    pub message: String,
    /// The same without the kubelet's message (for lists).
    pub brief: String,
}

const PULL_REASONS: [&str; 5] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
];

fn image_of(pod: &Pod, name: &str, init: bool) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| {
            let list = if init {
                &s.init_containers
            } else {
                &s.containers
            };
            list.iter().find(|c| c.name.as_deref() == Some(name))
        })
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

fn memory_limit(pod: &Pod, name: &str) -> Option<String> {
    let c = pod
        .spec
        .as_ref()?
        .containers
        .iter()
        .chain(pod.spec.as_ref()?.init_containers.iter())
        .find(|c| c.name.as_deref() == Some(name))?;
    let mut bad: Vec<BadQuantity> = Vec::new();
    container_limits(c, &mut bad)
        .get("memory")
        .map(|q| q.to_string())
}

fn last_exit(cs: &ContainerStatus) -> Option<(i32, String)> {
    let t = cs.last_state.as_ref()?.terminated.as_ref()?;
    Some((
        t.exit_code.unwrap_or(0),
        t.reason.clone().unwrap_or_default(),
    ))
}

fn oom_text(pod: &Pod, name: &str) -> String {
    match memory_limit(pod, name) {
        Some(l) => format!("OOMKilled: used more than its memory limit {l}"),
        None => "OOMKilled: the node ran out of memory (no memory limit set)".into(),
    }
}

/// Every container problem of a Pod, init containers first.
pub fn pod_problems(pod: &Pod) -> Vec<ContainerProblem> {
    let mut out = Vec::new();
    let Some(st) = &pod.status else { return out };
    let phase = st.phase.as_deref().unwrap_or("");
    // Init containers: the first one not finished blocks the rest.
    let sidecar = |name: &str| {
        pod.spec
            .as_ref()
            .and_then(|s| {
                s.init_containers
                    .iter()
                    .find(|c| c.name.as_deref() == Some(name))
            })
            .is_some_and(super::requests::is_sidecar)
    };
    for cs in &st.init_container_statuses {
        let name = cs.name.clone().unwrap_or_default();
        let state = cs.state.as_ref();
        if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            if t.exit_code.unwrap_or(0) == 0 {
                continue;
            }
            let reason = t.reason.clone().unwrap_or_else(|| "Error".into());
            out.push(ContainerProblem {
                container: name.clone(),
                init: true,
                trouble: if reason == "OOMKilled" {
                    Trouble::OomKilled
                } else {
                    Trouble::InitFailed
                },
                brief: String::new(),
                message: if reason == "OOMKilled" {
                    format!("init container {name}: {}", oom_text(pod, &name))
                } else {
                    format!(
                        "init container {name} failed: exit code {} ({reason}), {} restarts",
                        t.exit_code.unwrap_or(0),
                        cs.restart_count.unwrap_or(0)
                    )
                },
            });
            break;
        }
        if sidecar(&name) && state.and_then(|s| s.running.as_ref()).is_some() {
            continue;
        }
        if let Some(p) = container_problem(pod, cs, true) {
            out.push(p);
        } else {
            out.push(ContainerProblem {
                container: name.clone(),
                init: true,
                trouble: Trouble::InitStuck,
                brief: String::new(),
                message: format!(
                    "init container {name} has not finished: the app containers wait for it"
                ),
            });
        }
        break;
    }
    if out.iter().any(|p| p.init) {
        return with_briefs(out);
    }
    for cs in &st.container_statuses {
        if let Some(p) = container_problem(pod, cs, false) {
            out.push(p);
        } else if phase == "Running" && !cs.ready.unwrap_or(false) {
            let name = cs.name.clone().unwrap_or_default();
            if cs.state.as_ref().and_then(|s| s.running.as_ref()).is_some() {
                out.push(ContainerProblem {
                    container: name.clone(),
                    init: false,
                    trouble: Trouble::NotReady,
                    brief: String::new(),
                    message: format!(
                        "container {name} runs but is not ready (readiness probe failing or still starting), \
                         {} restarts",
                        cs.restart_count.unwrap_or(0)
                    ),
                });
            }
        }
    }
    with_briefs(out)
}

fn with_briefs(mut v: Vec<ContainerProblem>) -> Vec<ContainerProblem> {
    for p in &mut v {
        if p.brief.is_empty() {
            p.brief = p.message.clone();
        }
    }
    v
}

/// A problem in one container's state, when there is one.
fn container_problem(pod: &Pod, cs: &ContainerStatus, init: bool) -> Option<ContainerProblem> {
    let name = cs.name.clone().unwrap_or_default();
    let what = if init { "init container" } else { "container" };
    let state = cs.state.as_ref()?;
    let restarts = cs.restart_count.unwrap_or(0);
    if let Some(w) = &state.waiting {
        let reason = w.reason.as_deref().unwrap_or("");
        let msg = w.message.as_deref().unwrap_or("");
        if PULL_REASONS.contains(&reason) {
            let image = image_of(pod, &name, init);
            return Some(ContainerProblem {
                container: name.clone(),
                init,
                trouble: Trouble::ImagePull,
                brief: format!("{what} {name}: image {image}: {reason}"),
                message: format!(
                    "{what} {name}: image {image}: {reason}{}{msg}",
                    if msg.is_empty() { "" } else { ": " }
                ),
            });
        }
        if reason == "CrashLoopBackOff" {
            let last = last_exit(cs);
            let oom = last.as_ref().is_some_and(|(_, r)| r == "OOMKilled");
            let tail = match &last {
                Some((_, r)) if r == "OOMKilled" => format!("last exit {}", oom_text(pod, &name)),
                Some((code, r)) => format!("last exit code {code} ({r})"),
                None => "no last exit stored".into(),
            };
            return Some(ContainerProblem {
                container: name.clone(),
                init,
                trouble: if oom {
                    Trouble::OomKilled
                } else {
                    Trouble::CrashLoop
                },
                brief: String::new(),
                message: format!("{what} {name}: CrashLoopBackOff, {restarts} restarts, {tail}"),
            });
        }
        if matches!(
            reason,
            "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError"
        ) {
            return Some(ContainerProblem {
                container: name.clone(),
                init,
                trouble: Trouble::ConfigError,
                brief: String::new(),
                message: format!("{what} {name}: {reason}: {msg}"),
            });
        }
        return None;
    }
    if let Some(t) = &state.terminated {
        let reason = t.reason.as_deref().unwrap_or("");
        if reason == "OOMKilled" {
            return Some(ContainerProblem {
                container: name.clone(),
                init,
                trouble: Trouble::OomKilled,
                brief: String::new(),
                message: format!(
                    "{what} {name}: {}, {restarts} restarts",
                    oom_text(pod, &name)
                ),
            });
        }
        let policy = pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always");
        if !init && (t.exit_code.unwrap_or(0) != 0 || policy == "Always") {
            return Some(ContainerProblem {
                container: name.clone(),
                init,
                trouble: Trouble::Terminated,
                brief: String::new(),
                message: format!(
                    "{what} {name}: terminated, exit code {} ({reason})",
                    t.exit_code.unwrap_or(0)
                ),
            });
        }
    }
    None
}

/// kubectl's STATUS column, simplified (printers.go `printPod`).
pub fn kubectl_status(pod: &Pod) -> String {
    let Some(st) = &pod.status else {
        return "Unknown".into();
    };
    if pod
        .metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some())
    {
        return "Terminating".into();
    }
    let mut reason = st
        .reason
        .clone()
        .or_else(|| st.phase.clone())
        .unwrap_or_default();
    let n_init = st.init_container_statuses.len();
    for (i, cs) in st.init_container_statuses.iter().enumerate() {
        let s = cs.state.as_ref();
        if let Some(t) = s.and_then(|s| s.terminated.as_ref()) {
            if t.exit_code.unwrap_or(0) == 0 {
                continue;
            }
            return format!(
                "Init:{}",
                t.reason.clone().unwrap_or_else(|| "Error".into())
            );
        }
        if let Some(w) = s.and_then(|s| s.waiting.as_ref())
            && let Some(r) = w
                .reason
                .as_deref()
                .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            return format!("Init:{r}");
        }
        if s.and_then(|s| s.running.as_ref()).is_some()
            && pod
                .spec
                .as_ref()
                .and_then(|sp| sp.init_containers.get(i))
                .is_some_and(super::requests::is_sidecar)
        {
            continue;
        }
        return format!("Init:{i}/{n_init}");
    }
    for cs in st.container_statuses.iter().rev() {
        let s = cs.state.as_ref();
        if let Some(r) = s
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            && !r.is_empty()
        {
            reason = r;
            break;
        }
        if let Some(t) = s.and_then(|s| s.terminated.as_ref()) {
            reason = t.reason.clone().unwrap_or_else(|| "Error".into());
            break;
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::day2::testkit as tk;

    /// Waiting reasons from pkg/kubelet/images/types.go and
    /// pkg/kubelet/kuberuntime/kuberuntime_container.go; STATUS as
    /// pkg/printers/internalversion/printers.go prints it.
    #[test]
    fn image_pull_crash_loop_oom() {
        let now = 1_000_000;
        let p = tk::pod_image_pull_backoff("web-bad", now);
        let probs = pod_problems(&p);
        assert_eq!(probs.len(), 1);
        assert_eq!(probs[0].trouble, Trouble::ImagePull);
        assert!(
            probs[0].message.contains("nginx:1.99.99-doesnotexist"),
            "{}",
            probs[0].message
        );
        assert!(probs[0].message.contains("ImagePullBackOff"));
        assert_eq!(kubectl_status(&p), "ImagePullBackOff");

        let p = tk::pod_crash_loop("crasher", now);
        let probs = pod_problems(&p);
        assert_eq!(probs[0].trouble, Trouble::CrashLoop);
        assert!(probs[0].message.contains("7 restarts"));
        assert!(probs[0].message.contains("exit code 1 (Error)"));
        assert_eq!(kubectl_status(&p), "CrashLoopBackOff");

        let p = tk::pod_oom("memhog", now);
        let probs = pod_problems(&p);
        assert_eq!(probs[0].trouble, Trouble::OomKilled);
        assert!(
            probs[0].message.contains("memory limit 64Mi"),
            "{}",
            probs[0].message
        );
    }

    /// `Init:0/1` as kubectl prints it (printPod,
    /// pkg/printers/internalversion/printers.go).
    #[test]
    fn init_container_stuck() {
        let p = tk::pod_init_stuck("waits-for-db", 1_000_000);
        let probs = pod_problems(&p);
        assert_eq!(probs.len(), 1);
        assert_eq!(probs[0].trouble, Trouble::InitStuck);
        assert!(probs[0].init);
        assert_eq!(kubectl_status(&p), "Init:0/1");
    }
}

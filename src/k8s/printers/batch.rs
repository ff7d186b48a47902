//! batch/v1 printers (`printJob`, `printCronJob` in
//! `kubernetes/pkg/printers/internalversion/printers.go`).

use k8s_pb::api::batch::v1 as batch;

use super::apps::template_containers;
use super::duration::{human_duration, since, time_nanos};
use super::{Column, age, bool_ptr, col, container_cells, name, wide};
use crate::k8s::selector::format_label_selector;

pub const JOB_COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("COMPLETIONS"),
    col("DURATION"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub const CRON_JOB_COLUMNS: &[Column] = &[
    col("NAME"),
    col("SCHEDULE"),
    col("TIMEZONE"),
    col("SUSPEND"),
    col("ACTIVE"),
    col("LAST SCHEDULE"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

/// `hasJobCondition`: the first condition of that type is True.
fn has_condition(conds: &[batch::JobCondition], ty: &str) -> bool {
    conds
        .iter()
        .find(|c| c.r#type() == ty)
        .is_some_and(|c| c.status() == "True")
}

/// `printJob`: STATUS from the conditions (Complete, Failed, Terminating,
/// Suspended, FailureTarget, else Running); COMPLETIONS `succeeded/N`
/// (`/1 of P` without completions and parallelism > 1); DURATION from
/// start to completion or to now.
pub fn job(j: &batch::Job, now: i64) -> Vec<String> {
    let spec = j.spec.as_ref();
    let st = j.status.as_ref();
    let succeeded = st.map(|s| s.succeeded()).unwrap_or(0);
    let completions = match spec.and_then(|s| s.completions) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(0);
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    // A set-but-zero time is still "set" upstream (pointer non-nil).
    let start = st.and_then(|s| s.start_time.as_ref());
    let done = st.and_then(|s| s.completion_time.as_ref());
    let ns = |t| time_nanos(Some(t)).unwrap_or(-62_135_596_800i128 * 1_000_000_000);
    let duration = match (start, done) {
        (None, _) => String::new(),
        (Some(s), None) => since(Some(ns(s)), now),
        (Some(s), Some(d)) => human_duration(ns(d) - ns(s)),
    };
    let conds = st.map(|s| s.conditions.as_slice()).unwrap_or(&[]);
    let status = if has_condition(conds, "Complete") {
        "Complete"
    } else if has_condition(conds, "Failed") {
        "Failed"
    } else if j
        .metadata
        .as_ref()
        .is_some_and(|m| m.deletion_timestamp.is_some())
    {
        "Terminating"
    } else if has_condition(conds, "Suspended") {
        "Suspended"
    } else if has_condition(conds, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) =
        container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
    vec![
        name(&j.metadata),
        status.to_string(),
        completions,
        duration,
        age(&j.metadata, now),
        names,
        images,
        format_label_selector(spec.and_then(|s| s.selector.as_ref())),
    ]
}

/// `printCronJob`: TIMEZONE `<none>` when unset, SUSPEND `printBoolPtr`,
/// ACTIVE the number of active jobs, LAST SCHEDULE an age or `<none>`.
pub fn cron_job(cj: &batch::CronJob, now: i64) -> Vec<String> {
    let spec = cj.spec.as_ref();
    let st = cj.status.as_ref();
    let last = match st.and_then(|s| s.last_schedule_time.as_ref()) {
        None => "<none>".to_string(),
        Some(t) => since(time_nanos(Some(t)), now),
    };
    let job_spec = spec
        .and_then(|s| s.job_template.as_ref())
        .and_then(|t| t.spec.as_ref());
    let (names, images) = container_cells(template_containers(
        job_spec.and_then(|s| s.template.as_ref()),
    ));
    vec![
        name(&cj.metadata),
        spec.map(|s| s.schedule()).unwrap_or("").to_string(),
        spec.and_then(|s| s.time_zone.clone())
            .unwrap_or_else(|| "<none>".into()),
        bool_ptr(spec.and_then(|s| s.suspend)),
        st.map(|s| s.active.len()).unwrap_or(0).to_string(),
        last,
        age(&cj.metadata, now),
        names,
        images,
        format_label_selector(job_spec.and_then(|s| s.selector.as_ref())),
    ]
}

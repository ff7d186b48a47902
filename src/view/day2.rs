//! Human tables for `k8s why`, `k8s rollout` and `k8s lint` (the JSON
//! shapes are documented on their row types: [`WhyReport`],
//! [`RolloutReport`], [`LintFinding`]).
//!
//! Every line fits [`WIDTH`] columns: measured columns, the last free-text
//! column wrapped under itself. Problem lines start with `!`, fine ones
//! with a space, so `grep '^!'` finds what is wrong.

use crate::k8s::day2::lint::{LintFinding, LintStatus};
use crate::k8s::day2::rollout::{RolloutReport, RolloutState};
use crate::k8s::day2::why::WhyReport;

/// The widest line the tables print.
pub const WIDTH: usize = 100;

/// [`WIDTH`], or the terminal's width when it is narrower
/// ([`crate::view::fit::limit`]).
fn width() -> usize {
    crate::view::fit::limit().map_or(WIDTH, |w| w.min(WIDTH))
}

/// Splits `text` into lines of at most `width` characters at spaces (a
/// word longer than the width is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let extra = if cur.is_empty() { 0 } else { 1 };
        if cur.chars().count() + extra + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `text` wrapped to the width after `indent` spaces (first line too).
pub fn paragraph(indent: usize, text: &str) -> Vec<String> {
    wrap(text, width().saturating_sub(indent).max(20))
        .into_iter()
        .map(|l| format!("{}{l}", " ".repeat(indent)))
        .collect()
}

/// Columns measured from the content; the last column wraps under itself.
/// `marks[i]` (`'!'` or `' '`) leads row `i`.
pub fn table(header: &[&str], rows: &[Vec<String>], marks: &[char]) -> Vec<String> {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n.saturating_sub(1)) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let lead = 2; // mark + space
    let fixed: usize = widths[..n.saturating_sub(1)]
        .iter()
        .map(|w| w + 2)
        .sum::<usize>()
        + lead;
    let last_w = width().saturating_sub(fixed).max(20);
    let line = |mark: char, cells: &[String]| -> Vec<String> {
        let mut prefix = format!("{mark} ");
        for (i, c) in cells.iter().enumerate().take(n - 1) {
            prefix.push_str(&format!("{c:<w$}  ", w = widths[i]));
        }
        let last = cells.get(n - 1).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for (k, part) in wrap(&last, last_w).into_iter().enumerate() {
            if k == 0 {
                out.push(format!("{prefix}{part}").trim_end().to_string());
            } else {
                out.push(format!("{}{part}", " ".repeat(fixed)));
            }
        }
        out
    };
    let mut out = line(
        ' ',
        &header.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    for (i, r) in rows.iter().enumerate() {
        out.extend(line(marks.get(i).copied().unwrap_or(' '), r));
    }
    out
}

/// `k8s why KIND/NAME`: one report in full.
pub fn why_detail(r: &WhyReport) -> Vec<String> {
    let mut out = Vec::new();
    let mark = if r.is_problem() { '!' } else { ' ' };
    let place = if r.namespace.is_empty() {
        r.name.clone()
    } else {
        format!("{}/{}", r.namespace, r.name)
    };
    let mut head = format!("{mark} {} {place}", r.kind);
    if !r.status.is_empty() {
        head.push_str(&format!("  status {}", r.status));
    }
    if let Some(n) = &r.node {
        head.push_str(&format!("  node {n}"));
    }
    out.push(head);
    out.push(format!("  problem  {}", r.problem));
    if let Some(q) = &r.qos_class {
        let stored = r.stored_qos.as_deref().unwrap_or("none");
        out.push(format!("  qos      {q} (stored: {stored})"));
    }
    if r.problem == "unschedulable" {
        out.push("  kube-scheduler:".into());
    }
    out.extend(paragraph(4, &r.summary));
    if !r.nodes.is_empty() {
        out.push(String::new());
        let rows: Vec<Vec<String>> = r
            .nodes
            .iter()
            .map(|n| {
                let why = if n.fits {
                    "fits".to_string()
                } else {
                    let mut s = n.reasons.join(", ");
                    if let Some(d) = &n.detail {
                        s.push_str(&format!(" ({d})"));
                    }
                    s
                };
                vec![
                    n.node.clone(),
                    if n.fits { "yes".into() } else { "no".into() },
                    n.plugin.unwrap_or("").to_string(),
                    why,
                ]
            })
            .collect();
        let marks: Vec<char> = r
            .nodes
            .iter()
            .map(|n| if n.fits { ' ' } else { '!' })
            .collect();
        out.extend(table(&["NODE", "FITS", "FILTER", "REASON"], &rows, &marks));
    }
    if !r.hints.is_empty() {
        out.push(String::new());
        out.push("  hints:".into());
        for h in &r.hints {
            let lines = wrap(h, width() - 6);
            for (i, l) in lines.into_iter().enumerate() {
                out.push(format!("{}{l}", if i == 0 { "  - " } else { "    " }));
            }
        }
    }
    out
}

/// `k8s why` with no name: one row per problem (wrapped, at most three lines).
pub fn why_list(reports: &[WhyReport]) -> Vec<String> {
    if reports.is_empty() {
        return vec!["  no problems found".into()];
    }
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let place = format!("{}/{}", r.kind.to_lowercase(), r.name);
            let summary = if r.problem == "unschedulable" {
                // the scheduler's reasons, without the preemption tail
                r.summary
                    .split(". ")
                    .next()
                    .unwrap_or(&r.summary)
                    .to_string()
            } else {
                r.summary.clone()
            };
            vec![r.namespace.clone(), place, r.problem.clone(), summary]
        })
        .collect();
    // At most three lines per problem: the WHY column wraps and is cut
    // (`why KIND/NAME` and JSON keep the whole sentence).
    let mut widths = [9usize, 6, 7];
    for r in &rows {
        for (i, w) in widths.iter_mut().enumerate() {
            *w = (*w).max(r[i].chars().count());
        }
    }
    let last = WIDTH
        .saturating_sub(widths.iter().map(|w| w + 2).sum::<usize>() + 2)
        .max(20);
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| {
            let lines = wrap(&r[3], last);
            if lines.len() > 3 {
                let mut t = lines[..3].join(" ");
                if let Some(i) = t.rfind(' ') {
                    t.truncate(i);
                }
                t.push('…');
                r[3] = t;
            }
            r
        })
        .collect();
    let marks = vec!['!'; rows.len()];
    table(&["NAMESPACE", "OBJECT", "PROBLEM", "WHY"], &rows, &marks)
}

/// `text` cut to `max` characters with `…` (the list keeps a line or two
/// per problem; `why KIND/NAME` and JSON keep everything).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// `k8s rollout KIND/NAME`.
pub fn rollout_detail(r: &RolloutReport) -> Vec<String> {
    let mut out = Vec::new();
    let mark = if r.state == RolloutState::Complete {
        ' '
    } else {
        '!'
    };
    let state = match r.state {
        RolloutState::Complete => "complete",
        RolloutState::Waiting => "waiting",
        RolloutState::Failed => "failed",
    };
    out.push(format!(
        "{mark} {}/{} in {}: {state}",
        r.kind.to_lowercase(),
        r.name,
        r.namespace
    ));
    out.push("  kubectl rollout status:".into());
    out.extend(paragraph(4, &r.message));
    out.push("  strategy:".into());
    out.extend(paragraph(4, &r.strategy));
    if !r.revisions.is_empty() {
        out.push(String::new());
        let rows: Vec<Vec<String>> = r
            .revisions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                vec![
                    format!("{}{}", v.revision, if i == 0 { " (new)" } else { "" }),
                    v.replica_set.clone(),
                    format!("{}/{}", v.ready, v.replicas),
                    v.images.join(", "),
                ]
            })
            .collect();
        out.extend(table(
            &["REVISION", "REPLICASET", "READY", "IMAGES"],
            &rows,
            &[],
        ));
    }
    if !r.findings.is_empty() {
        out.push(String::new());
        out.push("  findings:".into());
        for f in &r.findings {
            for (i, l) in wrap(f, width() - 4).into_iter().enumerate() {
                out.push(format!("{}{l}", if i == 0 { "! " } else { "    " }));
            }
        }
    }
    out
}

/// `k8s lint`: one line per finding.
pub fn lint_table(findings: &[LintFinding]) -> Vec<String> {
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                f.file.clone(),
                f.object.clone(),
                f.check.clone(),
                f.status.as_str().to_string(),
                f.message.clone(),
            ]
        })
        .collect();
    let marks: Vec<char> = findings
        .iter()
        .map(|f| if f.status == LintStatus::Ok { ' ' } else { '!' })
        .collect();
    table(
        &["FILE", "OBJECT", "CHECK", "STATUS", "MESSAGE"],
        &rows,
        &marks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_width() {
        let t = "0/5 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu, 2 node(s) had untolerated taint(s).";
        for l in wrap(t, 40) {
            assert!(l.chars().count() <= 40, "{l}");
        }
        assert_eq!(wrap(t, 40).join(" "), t);
        assert_eq!(wrap("", 40), [""]);
    }

    /// Every table of the demo cluster fits 100 columns.
    #[test]
    fn demo_output_fits_width() {
        let c = crate::k8s::day2::testkit::demo_cluster(1_780_000_000);
        let all = crate::k8s::day2::why_all(&c, None);
        let mut lines = why_list(&all);
        for r in &all {
            lines.extend(why_detail(r));
        }
        for l in &lines {
            assert!(
                l.chars().count() <= WIDTH,
                "{} columns: {l}",
                l.chars().count()
            );
        }
    }
}

//! `kinspect doctor`: diagnose a control-plane node from its own files
//! (see [`crate::doctor`]). Prints a summary line, then a table (CHECK,
//! STATUS, WHERE, MESSAGE; failures first, each fix on its own line), or
//! JSON Lines (`-o json`, one object per finding). Exit 0 when nothing fails, 1 when anything does, 2 when the
//! root cannot be read.

use std::path::PathBuf;

use super::{Common, EXIT_PROBLEM, usage_error};
use std::time::Duration;

use crate::doctor::capture::CaptureOptions;
use crate::doctor::{DoctorOptions, Report, Status, run as run_doctor};
use crate::view::fit::{self, Give};
use crate::view::style::{Style, Tone, status_tone};
use crate::view::{Format, Out};

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    sudo kinspect doctor\n  \
    sudo kinspect doctor --problems\n  \
    kinspect doctor --root /mnt/node1 -o json | jq 'select(.status==\"fail\")'")]
pub struct DoctorArgs {
    /// Read the node's files from DIR instead of / (a copied node, a fixture)
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Also probe the apiserver port (TCP + TLS), the kubelet (10250) and every --etcd-servers URL, and say what answered
    #[arg(long)]
    pub probe: bool,
    /// Also capture the control-plane ports for SECONDS and report refused/reset connections, TLS alerts and HTTP 401/403 (needs root)
    #[arg(long, value_name = "SECONDS")]
    pub capture: Option<f64>,
    /// Interface for --capture
    #[arg(long, value_name = "IFACE", default_value = "any")]
    pub capture_interface: String,
    /// Show only failures and warnings
    #[arg(long)]
    pub problems: bool,
    #[command(flatten)]
    pub judge: super::JudgeArgs,
    #[command(flatten)]
    pub keylog: super::KeylogArgs,
}

pub fn run(args: DoctorArgs, common: &Common) -> i32 {
    let capture = match args.capture {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Some(CaptureOptions {
            iface: args.capture_interface.clone(),
            duration: Duration::from_secs_f64(s),
            context: match common.dissector_context(false, true) {
                Ok(c) => c,
                Err(e) => return usage_error(e),
            },
        }),
        Some(s) => {
            return usage_error(format!(
                "--capture {s}: expected seconds between 0 and 3600"
            ));
        }
    };
    let opts = DoctorOptions {
        capture,
        root: args.root,
        at: super::certs::judge_time(common),
        warn_days: common.warn_days,
        probe: args.probe,
    };
    let report = match run_doctor(&opts) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let stdout = std::io::stdout();
    let mut out = Out::new(stdout.lock());
    let shown = |f: &&crate::doctor::Finding| !args.problems || f.status != Status::Ok;
    match common.output {
        Format::Json => {
            for f in report.findings.iter().filter(shown) {
                out.json(f);
            }
        }
        _ => {
            let style = common.style();
            out.line(&paint_summary(&summary(&report), style));
            out.line("");
            let mut lines = table(&report, args.problems);
            style.paint_column(&mut lines, "STATUS", status_tone);
            for line in lines {
                out.line(&line);
            }
        }
    }
    if out.finish().is_err() {
        return EXIT_PROBLEM;
    }
    report.exit_code()
}

/// `11 findings: 1 fail, 1 warn, 9 ok`.
pub fn summary(report: &Report) -> String {
    format!(
        "{} findings: {} fail, {} warn, {} ok",
        report.findings.len(),
        report.count(Status::Fail),
        report.count(Status::Warn),
        report.count(Status::Ok)
    )
}

/// The summary's non-zero fail and warn counts in their colours.
fn paint_summary(line: &str, style: Style) -> String {
    let mut out = Vec::new();
    for part in line.split(", ") {
        let (n, word) = part.rsplit_once(' ').unwrap_or(("", part));
        let n_only = n.rsplit(' ').next().unwrap_or(n);
        let tone = match word {
            "fail" => Some(Tone::Bad),
            "warn" => Some(Tone::Warn),
            _ => None,
        };
        match tone {
            Some(t) if n_only != "0" => {
                let head = &part[..part.len() - word.len() - n_only.len() - 1];
                out.push(format!(
                    "{head}{}",
                    style.paint(&format!("{n_only} {word}"), t)
                ));
            }
            _ => out.push(part.to_string()),
        }
    }
    out.join(", ")
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::Warn => 1,
        Status::Ok => 2,
    }
}

/// The findings, failures first, then warnings, then ok (the checks' own
/// order within each): CHECK, STATUS, WHERE, MESSAGE (wrapped under itself
/// on a narrow terminal), and each fix on its own indented line below.
/// `problems`: without the ok findings.
pub fn table(report: &Report, problems: bool) -> Vec<String> {
    let mut findings: Vec<&crate::doctor::Finding> = report
        .findings
        .iter()
        .filter(|f| !problems || f.status != Status::Ok)
        .collect();
    findings.sort_by_key(|f| rank(f.status));
    let header = ["CHECK", "STATUS", "WHERE", "MESSAGE"];
    let give = [Give::Keep, Give::Keep, Give::Middle, Give::Wrap];
    let mut lines = Vec::new();
    // Laid out as one table for the widths, then each row is followed by
    // its fix.
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                f.check.to_string(),
                f.status.as_str().to_string(),
                f.location(),
                f.message.clone(),
            ]
        })
        .collect();
    let laid = fit::layout(&header, &give, &rows);
    let mut laid = laid.into_iter();
    if let Some(h) = laid.next() {
        lines.push(h);
    }
    // Continuation lines of a wrapped MESSAGE start with a space.
    let mut rows_seen = 0;
    let mut pending: Option<&crate::doctor::Finding> = None;
    for l in laid {
        if !l.starts_with(' ') {
            if let Some(f) = pending.take() {
                push_fix(&mut lines, f);
            }
            pending = findings.get(rows_seen).copied();
            rows_seen += 1;
        }
        lines.push(l);
    }
    if let Some(f) = pending {
        push_fix(&mut lines, f);
    }
    lines
}

fn push_fix(lines: &mut Vec<String>, f: &crate::doctor::Finding) {
    if let Some(fix) = &f.fix {
        lines.extend(fit::wrap_line(&format!("    fix: {fix}"), 9));
    }
}

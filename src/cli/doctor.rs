//! `kinspect doctor`: diagnose a control-plane node from its own files
//! (see [`crate::doctor`]). Prints a table (CHECK, STATUS, WHERE, MESSAGE,
//! FIX) and a summary line, or JSON Lines (`-o json`, one object per
//! finding). Exit 0 when nothing fails, 1 when anything does, 2 when the
//! root cannot be read.

use std::path::PathBuf;

use super::{Common, EXIT_PROBLEM, usage_error};
use std::time::Duration;

use crate::doctor::capture::CaptureOptions;
use crate::doctor::{DoctorOptions, Report, Status, run as run_doctor};
use crate::view::style::status_tone;
use crate::view::{Format, Out};

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    sudo kinspect doctor\n  \
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
    match common.output {
        Format::Json => {
            for f in &report.findings {
                out.json(f);
            }
        }
        _ => {
            let mut lines = table(&report);
            common
                .style()
                .paint_column(&mut lines, "STATUS", status_tone);
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

/// The table and its summary line.
pub fn table(report: &Report) -> Vec<String> {
    let header = ["CHECK", "STATUS", "WHERE", "MESSAGE", "FIX"];
    let rows: Vec<[String; 5]> = report
        .findings
        .iter()
        .map(|f| {
            [
                f.check.to_string(),
                f.status.as_str().to_string(),
                f.location(),
                f.message.clone(),
                f.fix.clone().unwrap_or_else(|| "-".to_string()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(3) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let fmt = |cells: [&str; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}  | {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        )
    };
    let mut lines = vec![fmt(header)];
    for r in &rows {
        lines.push(fmt([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    lines.push(format!(
        "{} findings: {} fail, {} warn, {} ok",
        report.findings.len(),
        report.count(Status::Fail),
        report.count(Status::Warn),
        report.count(Status::Ok)
    ));
    lines
}

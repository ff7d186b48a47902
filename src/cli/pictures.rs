//! `pcap report` and the files pictures are written to: the report runs
//! the pipeline into [`ReportView`] and writes one HTML file, readable by
//! its owner only (0600: it names hosts, certificates and methods).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::pcap::{PcapView, ReportArgs, drive_with};
use super::{Common, usage_error};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::timestamp::Timestamp;
use crate::view::report::{ReportOptions, ReportView};

/// `pcap report FILE -o OUT.html`: DESIGN.md names the report's file with
/// `-o`, which elsewhere chooses the output format. For `pcap report`
/// only, `-o X`/`--output X` (and `-oX`, `--output=X`) whose value is not
/// a format become `--out X`; every other command line is left alone.
pub fn report_output_args(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let args: Vec<OsString> = args.collect();
    let words: Vec<&str> = args.iter().map(|a| a.to_str().unwrap_or("")).collect();
    let is_report = words.iter().position(|w| *w == "pcap").is_some_and(|i| {
        words
            .get(i + 1..)
            .is_some_and(|r| r.iter().find(|w| !w.starts_with('-')) == Some(&"report"))
    });
    if !is_report {
        return args;
    }
    let format = |v: &str| matches!(v, "table" | "json" | "prometheus");
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let w = words[i];
        if (w == "-o" || w == "--output")
            && let Some(v) = words.get(i + 1)
            && !format(v)
        {
            out.push(OsString::from("--out"));
            out.push(args[i + 1].clone());
            i += 2;
            continue;
        }
        let joined = w.strip_prefix("--output=").or_else(|| {
            w.strip_prefix("-o")
                .filter(|v| !v.is_empty() && !v.starts_with('-'))
        });
        if let Some(v) = joined
            && !format(v)
        {
            out.push(OsString::from(format!("--out={v}")));
            i += 1;
            continue;
        }
        out.push(args[i].clone());
        i += 1;
    }
    out
}

/// Creates (or truncates) `path` readable and writable by its owner only.
pub fn create_private(path: &Path) -> Result<File, String> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode on open: narrow it.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    }
    Ok(f)
}

/// The report view and the file it ends in.
struct ReportFile {
    view: Option<ReportView>,
    out: File,
}

impl Observer for ReportFile {
    fn event(&mut self, e: &Event) {
        if let Some(v) = &mut self.view {
            v.event(e);
        }
    }
    fn flow(&mut self, f: &FlowRecord) {
        if let Some(v) = &mut self.view {
            v.flow(f);
        }
    }
    fn packet(&mut self, ts: Timestamp, origlen: u32, src_port: u16, dst_port: u16) {
        if let Some(v) = &mut self.view {
            v.packet(ts, origlen, src_port, dst_port);
        }
    }
}

impl ReportFile {
    fn write(mut self, summary: &Summary) -> io::Result<()> {
        let Some(view) = self.view.take() else {
            return Ok(());
        };
        let html = view.finish(summary);
        self.out.write_all(html.as_bytes())?;
        self.out.flush()
    }
}

impl PcapView for ReportFile {
    fn done(self, summary: &Summary) -> io::Result<()> {
        self.write(summary)
    }
    fn done_boxed(self: Box<Self>, summary: &Summary) -> io::Result<()> {
        self.write(summary)
    }
    fn as_observer(&mut self) -> &mut dyn Observer {
        self
    }
    fn wants_packets(&self) -> bool {
        true
    }
}

pub fn report(args: &ReportArgs, common: &Common) -> i32 {
    // Unreadable captures fail before the output file is created.
    if let Err(e) = super::pcap::open_all(&args.pcap.files) {
        return usage_error(e);
    }
    let out = match create_private(&args.out) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let files = args
        .pcap
        .files
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        })
        .collect();
    let view = ReportView::new(ReportOptions {
        theme: args.picture.theme,
        lang: args.picture.lang(),
        files,
    });
    let code = drive_with(
        &args.pcap,
        common,
        true,
        ReportFile {
            view: Some(view),
            out,
        },
    );
    if code == super::EXIT_OK {
        eprintln!("kinspect: wrote {}", args.out.display());
    }
    code
}

#[cfg(test)]
mod tests {
    use super::report_output_args;
    use std::ffi::OsString;

    fn run(v: &[&str]) -> Vec<String> {
        report_output_args(v.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn report_o_names_the_file_elsewhere_o_is_the_format() {
        assert_eq!(
            run(&["kinspect", "pcap", "report", "a.pcap", "-o", "r.html"]),
            ["kinspect", "pcap", "report", "a.pcap", "--out", "r.html"]
        );
        assert_eq!(
            run(&["kinspect", "pcap", "report", "a.pcap", "-or.html"]),
            ["kinspect", "pcap", "report", "a.pcap", "--out=r.html"]
        );
        assert_eq!(
            run(&[
                "kinspect", "pcap", "report", "a.pcap", "-o", "json", "--out", "x"
            ]),
            [
                "kinspect", "pcap", "report", "a.pcap", "-o", "json", "--out", "x"
            ]
        );
        assert_eq!(
            run(&["kinspect", "pcap", "rpc", "report", "-o", "json"]),
            ["kinspect", "pcap", "rpc", "report", "-o", "json"]
        );
        assert_eq!(
            run(&["kinspect", "pcap", "election", "-o", "x.html"]),
            ["kinspect", "pcap", "election", "-o", "x.html"]
        );
    }
}

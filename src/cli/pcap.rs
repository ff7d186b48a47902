//! `kinspect pcap events|flows FILE...`: saved captures through the pipeline.

use std::io::{self, BufWriter};
use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Common, EXIT_OK, EXIT_USAGE, TrackingArgs, stderr_is_terminal, usage_error};
use crate::capture::{CaptureError, FileSource, MergedSource};
use crate::net::Observer;
use crate::pipeline::{Pipeline, Summary};
use crate::view::{EventsView, FlowsView, Format};

#[derive(Debug, Subcommand)]
pub enum PcapCommand {
    /// Every decoded event, in time order
    Events(PcapArgs),
    /// TCP connections: endpoints, component, protocol, packets, bytes, duration, how they ended
    Flows(PcapArgs),
}

#[derive(Debug, clap::Args)]
pub struct PcapArgs {
    /// Capture files (pcap or pcapng, any name); several are merged by timestamp
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub tracking: TrackingArgs,
}

/// Opens every file (all headers must be readable) as one timeline.
pub fn open_all(files: &[PathBuf]) -> Result<MergedSource, CaptureError> {
    let sources = files
        .iter()
        .map(|f| FileSource::open(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MergedSource::new(sources))
}

fn progress_bar() -> Option<ProgressBar> {
    if !stderr_is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

pub fn run(cmd: PcapCommand, common: &Common) -> i32 {
    let (args, events) = match cmd {
        PcapCommand::Events(a) => (a, true),
        PcapCommand::Flows(a) => (a, false),
    };
    let mut source = match open_all(&args.files) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let stdout = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut pipeline = Pipeline::new(args.tracking.flow_config(common));
    let bar = progress_bar();
    let mut on_progress = |done: u64, total: Option<u64>| {
        if let Some(b) = &bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(done);
        }
    };
    let (summary, write_result, error) = if events {
        let mut view = EventsView::new(stdout, common.output);
        let err = pipeline.run(&mut source, &mut view, &mut on_progress).err();
        let summary = pipeline.finish(&mut view as &mut dyn Observer);
        let r = view.finish(&summary).map(|_| ());
        (summary, r, err)
    } else {
        let mut view = FlowsView::new(stdout, common.output);
        let err = pipeline.run(&mut source, &mut view, &mut on_progress).err();
        let summary = pipeline.finish(&mut view as &mut dyn Observer);
        let r = view.finish(&summary).map(|_| ());
        (summary, r, err)
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    finish(common.output, &summary, write_result, error)
}

/// Reports the summary (JSON mode: on stderr) and damage; picks the exit code.
pub fn finish(
    format: Format,
    summary: &Summary,
    write_result: io::Result<()>,
    error: Option<CaptureError>,
) -> i32 {
    if let Err(e) = write_result {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return EXIT_OK;
        }
        return usage_error(format!("writing output: {e}"));
    }
    if format != Format::Table {
        eprintln!("{}", summary.line());
    }
    let mut code = EXIT_OK;
    for w in &summary.warnings {
        eprintln!("kinspect: warning: {w}; everything before it was read");
        code = EXIT_USAGE;
    }
    if let Some(e) = error {
        eprintln!("kinspect: error: {e}");
        code = EXIT_USAGE;
    }
    code
}

//! `kinspect pcap events|flows|tls|rpc|election FILE...`: saved captures
//! through the pipeline, folded by the chosen view.

use std::io::{self, BufWriter};
use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Common, EXIT_OK, EXIT_USAGE, TrackingArgs, stderr_is_terminal, usage_error};
use crate::capture::{CaptureError, FileSource, MergedSource, PacketSource, ThreadedSource};
use crate::net::{Observer, shard};
use crate::pipeline::{Pipeline, Summary};
use crate::view::svg::{self, Lang, Theme};
use crate::view::{ElectionView, EventsView, FlowsView, Format, RpcView, TlsView};

#[derive(Debug, Subcommand)]
pub enum PcapCommand {
    /// Every decoded event, in time order
    Events(PcapArgs),
    /// TCP connections: endpoints, component, protocol, packets, bytes, duration, how they ended
    Flows(PcapArgs),
    /// TLS connections: SNI, ALPN, version, cipher, JA3/JA4, certificates judged at capture time, alerts, verdict
    Tls(PcapArgs),
    /// gRPC and HTTP calls per method: count, errors, latency percentiles
    Rpc(RpcArgs),
    /// etcd Raft timeline from peer traffic: terms, votes, leaders, time without a leader
    Election(ElectionArgs),
    /// One self-contained HTML page: traffic, calls, latency, TLS, election
    Report(ReportArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct PictureArgs {
    /// Colours of the picture: follow the viewer's light/dark setting, or force one
    #[arg(long, value_enum, default_value_t = Theme::Auto)]
    pub theme: Theme,
    /// Language of the labels (default: Korean when LANG is ko_*, else English)
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

impl PictureArgs {
    pub fn lang(&self) -> Lang {
        self.lang
            .unwrap_or_else(|| Lang::from_locale(|k| std::env::var(k).ok()))
    }
}

#[derive(Debug, clap::Args)]
pub struct ElectionArgs {
    #[command(flatten)]
    pub pcap: PcapArgs,
    /// Also draw the timeline as SVG into this file
    #[arg(long, value_name = "OUT.svg")]
    pub svg: Option<PathBuf>,
    #[command(flatten)]
    pub picture: PictureArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub pcap: PcapArgs,
    /// The HTML file to write (`-o` works too: `pcap report FILE -o report.html`)
    #[arg(long = "out", value_name = "OUT.html", required = true)]
    pub out: PathBuf,
    #[command(flatten)]
    pub picture: PictureArgs,
}

#[derive(Debug, clap::Args)]
pub struct RpcArgs {
    #[command(flatten)]
    pub pcap: PcapArgs,
    /// One row per method and client address
    #[arg(long)]
    pub by_client: bool,
}

#[derive(Debug, clap::Args)]
pub struct PcapArgs {
    /// Capture files (pcap or pcapng, any name); several are merged by timestamp
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub tracking: TrackingArgs,
    /// Show values stored under /registry/secrets/ seen in etcd traffic (redacted by default)
    #[arg(long)]
    pub show_secrets: bool,
    /// Threads: 1 reads and tracks on one thread; 2 or more read files on a
    /// thread of their own and track connections beside it (on two threads,
    /// split by endpoints, from 3 up or when decoding protocols) while the
    /// main thread prints; the output is the same either way. Default: the
    /// number of cores, at most 3
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

impl PcapArgs {
    /// Threads to use: `--threads`, else the cores available, at most 3
    /// (reading, tracking on one or two threads, printing).
    pub fn threads(&self) -> u32 {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(3) as u32)
        })
    }
}

/// A view the pipeline feeds, finished with the run's summary.
pub(super) trait PcapView: Observer {
    fn done(self, summary: &Summary) -> io::Result<()>
    where
        Self: Sized;
    fn done_boxed(self: Box<Self>, summary: &Summary) -> io::Result<()>;
    fn as_observer(&mut self) -> &mut dyn Observer;
    /// True when the view needs [`Observer::packet`] (connection tracking
    /// then stays on one thread).
    fn wants_packets(&self) -> bool {
        false
    }
}

macro_rules! pcap_view {
    ($($t:ident),*) => {$(
        impl<W: io::Write> PcapView for $t<W> {
            fn done(self, summary: &Summary) -> io::Result<()> {
                self.finish(summary).map(|_| ())
            }
            fn done_boxed(self: Box<Self>, summary: &Summary) -> io::Result<()> {
                self.finish(summary).map(|_| ())
            }
            fn as_observer(&mut self) -> &mut dyn Observer {
                self
            }
        }
    )*};
}
pcap_view!(EventsView, FlowsView, TlsView, RpcView, ElectionView);

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

/// Standard output, buffered. A pipe (`| jq`, `| wc -l`) gets a 1 MiB
/// kernel buffer and writes of 256 KiB instead of the 64 KiB pipe Linux
/// starts with: the reader on the other end then wakes, and takes a core
/// from the run, a sixteenth as often (4 % off `pcap flows | wc -l` on
/// 100k connections, two cores). A terminal or a file keeps 64 KiB writes.
fn stdout_writer() -> BufWriter<io::StdoutLock<'static>> {
    let mut capacity = 1 << 16;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let fd = io::stdout().as_raw_fd();
        // SAFETY: fstat fills the zeroed struct it is given; fcntl on our
        // own standard output only resizes its pipe buffer. A failure (a
        // limit below 1 MiB, the user's pipe quota) keeps the pipe as it was.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut st) == 0
                && (st.st_mode & libc::S_IFMT) == libc::S_IFIFO
                && libc::fcntl(fd, libc::F_SETPIPE_SZ, 1 << 20) > 0
            {
                capacity = 1 << 18;
            }
        }
    }
    BufWriter::with_capacity(capacity, io::stdout().lock())
}

pub fn run(cmd: PcapCommand, common: &Common) -> i32 {
    let stdout = stdout_writer();
    let f = common.output;
    match cmd {
        PcapCommand::Events(a) => drive(&a, common, EventsView::new(stdout, f)),
        // Flows need the detected protocol, not what the dissectors say.
        PcapCommand::Flows(a) => {
            drive_with(&a, common, false, FlowsView::new(stdout, f).holding_rows())
        }
        PcapCommand::Tls(a) => drive(&a, common, TlsView::new(stdout, f)),
        PcapCommand::Rpc(a) => drive(&a.pcap, common, RpcView::new(stdout, f, a.by_client)),
        PcapCommand::Election(a) => {
            let mut view = ElectionView::new(stdout, f);
            if let Some(path) = &a.svg {
                // Unreadable captures fail before the picture's file exists.
                if let Err(e) = open_all(&a.pcap.files) {
                    return usage_error(e);
                }
                let file = match super::pictures::create_private(path) {
                    Ok(file) => file,
                    Err(e) => return usage_error(e),
                };
                let options = svg::election::Options {
                    theme: a.picture.theme,
                    lang: a.picture.lang(),
                    style: true,
                };
                view = view.with_svg(Box::new(BufWriter::new(file)), options);
            }
            drive(&a.pcap, common, view)
        }
        PcapCommand::Report(a) => super::pictures::report(&a, common),
    }
}

fn drive(args: &PcapArgs, common: &Common, view: impl PcapView) -> i32 {
    drive_with(args, common, true, view)
}

pub(super) fn drive_with(
    args: &PcapArgs,
    common: &Common,
    dissect: bool,
    mut view: impl PcapView,
) -> i32 {
    let source = match open_all(&args.files) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let mut config = args.tracking.flow_config(common);
    config.context = match common.dissector_context(args.show_secrets, dissect) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    // Decode only what the view's events can use.
    if let Some(c) = std::sync::Arc::get_mut(&mut config.context) {
        c.wants = view.wants();
    }
    let bar = progress_bar();
    let mut on_progress = |done: u64, total: Option<u64>| {
        if let Some(b) = &bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(done);
        }
    };
    // Read once: without --threads it asks the kernel (and the cgroup's
    // cpu quota files) how many cores there are.
    let threads = args.threads();
    // Connections tracked on one or two threads beside the reader.
    let source = if threads >= 2 && !view.wants_packets() && shard::can_shard(&config) {
        let trackers = shard::trackers_for(&config, threads);
        match shard::run(
            source,
            config.clone(),
            trackers,
            &mut view,
            &mut on_progress,
        ) {
            Ok((summary, error)) => {
                let write_result = view.done(&summary);
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                return finish(common.output, &summary, write_result, error);
            }
            Err(source) => source,
        }
    } else {
        source
    };
    let mut source: Box<dyn PacketSource> = if threads >= 2 {
        match ThreadedSource::spawn(source) {
            Ok(t) => Box::new(t),
            Err(Some(s)) => Box::new(s),
            Err(None) => return usage_error("cannot start the reader thread"),
        }
    } else {
        Box::new(source)
    };
    let mut pipeline = Pipeline::new(config);
    let error = pipeline
        .run(&mut *source, &mut view, &mut on_progress)
        .err();
    let summary = pipeline.finish(&mut view as &mut dyn Observer);
    let write_result = view.done(&summary);
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
    for w in &summary.warnings_soft {
        eprintln!("kinspect: warning: {w}");
    }
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

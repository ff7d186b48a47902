//! `kinspect capture`: live packets through the same pipeline and views as
//! saved files, optionally written to pcapng.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::pcap::PcapView;
use super::{Common, EXIT_USAGE, TrackingArgs, parse_duration, usage_error};
use crate::capture::live::{LiveOptions, LiveSource, Preset, combined_filter};
use crate::pipeline::Pipeline;
use crate::view::{ElectionView, EventsView, FlowsView, RpcView, TlsView};

/// What to show while capturing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveView {
    /// Connection and protocol events as they happen
    Events,
    /// One row per connection as it ends (the rest when the capture stops)
    Flows,
    /// One row per TLS connection as it ends
    Tls,
    /// Calls per method, when the capture stops
    Rpc,
    /// etcd leader changes seen in Raft traffic
    Election,
}

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Interface to capture on (`any` captures all, as Linux cooked SLL2)
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        default_value = "any"
    )]
    pub iface: String,
    /// Only the ports of a part of the control plane
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// BPF capture filter (combined with --preset: both must match)
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    pub filter: Option<String>,
    /// Also write every packet to FILE (pcapng, mode 0600)
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this long, e.g. 30s, 2m
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Bytes kept of each packet
    #[arg(long, default_value_t = 262_144)]
    pub snaplen: i32,
    /// What to show
    #[arg(long, value_enum, default_value_t = LiveView::Events)]
    pub view: LiveView,
    #[command(flatten)]
    pub tracking: TrackingArgs,
}

pub fn run(args: CaptureArgs, common: &Common) -> i32 {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while stopping falls through to the default: exit.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    let opts = LiveOptions {
        iface: args.iface.clone(),
        filter: combined_filter(args.preset, args.filter.as_deref()),
        snaplen: args.snaplen,
        count: args.count,
        duration: args.duration,
    };
    let mut source = match LiveSource::open(opts.clone(), stop) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    if let Some(path) = &args.write {
        if let Err(e) = source.write_to(path) {
            return usage_error(e);
        }
    }
    eprintln!(
        "kinspect: capturing on {} ({}){}{}",
        opts.iface,
        source.linktype().name(),
        opts.filter
            .as_deref()
            .map(|f| format!(", filter: {f}"))
            .unwrap_or_default(),
        args.write
            .as_ref()
            .map(|p| format!(", writing {}", p.display()))
            .unwrap_or_default()
    );
    // Live output is read as it comes: flush each line.
    let stdout = LineFlush(BufWriter::new(io::stdout().lock()));
    let mut config = args.tracking.flow_config(common);
    config.context = match common.dissector_context(false, args.view != LiveView::Flows) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let mut pipeline = Pipeline::new(config);
    let f = common.output;
    let drive = |mut view: Box<dyn PcapView + '_>| {
        let err = pipeline
            .run(&mut source, view.as_observer(), |_, _| {})
            .err();
        let summary = pipeline.finish(view.as_observer());
        let r = view.done_boxed(&summary);
        (summary, r, err)
    };
    let (summary, write_result, error) = match args.view {
        LiveView::Events => drive(Box::new(EventsView::new(stdout, f))),
        LiveView::Flows => drive(Box::new(FlowsView::new(stdout, f))),
        LiveView::Tls => drive(Box::new(TlsView::new(stdout, f))),
        LiveView::Rpc => drive(Box::new(RpcView::new(stdout, f, false))),
        LiveView::Election => drive(Box::new(ElectionView::new(stdout, f))),
    };
    let live = match source.finish() {
        Ok(l) => l,
        Err(e) => return usage_error(e),
    };
    // What was captured and written; libpcap's "received by filter" is
    // left out: it counts packets the filter saw, more than `-c N` keeps,
    // and read beside N it looked like a loss.
    eprintln!(
        "kinspect: {} packets captured{}; {} dropped by kernel, {} dropped by interface",
        live.packets,
        args.write
            .as_ref()
            .map(|p| format!(", {} packets written to {}", live.packets, p.display()))
            .unwrap_or_default(),
        live.dropped_by_kernel,
        live.dropped_by_interface,
    );
    let code = super::pcap::finish(common.output, &summary, write_result, error);
    if code == EXIT_USAGE { code } else { 0 }
}

/// A writer that flushes after every newline-terminated write.
struct LineFlush<W: io::Write>(W);

impl<W: io::Write> io::Write for LineFlush<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.write(buf)?;
        if buf.ends_with(b"\n") {
            self.0.flush()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

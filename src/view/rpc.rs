//! `pcap rpc` / `capture --view rpc`: calls per method (gRPC path, or HTTP method and
//! path template): count, errors, latency percentiles (hdrhistogram).

use std::io::Write;

use super::{Format, Out};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

/// Placeholder until the view lands.
pub struct RpcView<W: Write> {
    out: Out<W>,
    #[allow(dead_code)]
    format: Format,
    #[allow(dead_code)]
    by_client: bool,
}

impl<W: Write> RpcView<W> {
    pub fn new(w: W, format: Format, by_client: bool) -> Self {
        RpcView {
            out: Out::new(w),
            format,
            by_client,
        }
    }

    pub fn finish(self, summary: &Summary) -> std::io::Result<W> {
        let _ = summary;
        self.out.finish()
    }
}

impl<W: Write> Observer for RpcView<W> {
    fn event(&mut self, e: &Event) {
        let _ = e;
    }
    fn flow(&mut self, f: &FlowRecord) {
        let _ = f;
    }
}

//! `pcap election` / `capture --view election`: the etcd Raft timeline rebuilt from
//! peer traffic: terms, campaigns, votes, leaders, time without a leader.

use std::io::Write;

use super::{Format, Out};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

/// Placeholder until the view lands.
pub struct ElectionView<W: Write> {
    out: Out<W>,
    #[allow(dead_code)]
    format: Format,
}

impl<W: Write> ElectionView<W> {
    pub fn new(w: W, format: Format) -> Self {
        ElectionView {
            out: Out::new(w),
            format,
        }
    }

    pub fn finish(self, summary: &Summary) -> std::io::Result<W> {
        let _ = summary;
        self.out.finish()
    }
}

impl<W: Write> Observer for ElectionView<W> {
    fn event(&mut self, e: &Event) {
        let _ = e;
    }
    fn flow(&mut self, f: &FlowRecord) {
        let _ = f;
    }
}

//! `pcap tls` / `capture --view tls`: one row per TLS connection: endpoints, SNI, ALPN,
//! version, cipher, JA3/JA4, certificates judged at capture time, alerts, verdict.

use std::io::Write;

use super::{Format, Out};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

/// Placeholder until the view lands.
pub struct TlsView<W: Write> {
    out: Out<W>,
    #[allow(dead_code)]
    format: Format,
}

impl<W: Write> TlsView<W> {
    pub fn new(w: W, format: Format) -> Self {
        TlsView {
            out: Out::new(w),
            format,
        }
    }

    pub fn finish(self, summary: &Summary) -> std::io::Result<W> {
        let _ = summary;
        self.out.finish()
    }
}

impl<W: Write> Observer for TlsView<W> {
    fn event(&mut self, e: &Event) {
        let _ = e;
    }
    fn flow(&mut self, f: &FlowRecord) {
        let _ = f;
    }
}

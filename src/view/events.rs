//! `pcap events` / `capture --view events`: every decoded event in time order.

use std::io::Write;

use super::{Format, Out, pad};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

pub struct EventsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    pub rows: u64,
}

impl<W: Write> EventsView<W> {
    pub fn new(w: W, format: Format) -> Self {
        EventsView {
            out: Out::new(w),
            format,
            header_done: false,
            rows: 0,
        }
    }

    fn header(&mut self) {
        if !self.header_done && self.format == Format::Table {
            self.out.line(&format!(
                "{} {} {} {} {} DETAILS",
                pad("TIME", 27),
                pad("SRC", 22),
                pad("DST", 22),
                pad("COMPONENT", 18),
                pad("EVENT", 18)
            ));
        }
        self.header_done = true;
    }

    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        self.header();
        if self.format == Format::Table {
            self.out.line("");
            self.out.line(&summary.line());
        }
        self.out.finish()
    }
}

impl<W: Write> Observer for EventsView<W> {
    fn event(&mut self, e: &Event) {
        self.rows += 1;
        match self.format {
            Format::Json => self.out.json(e),
            Format::Table => {
                self.header();
                self.out.line(&format!(
                    "{} {} {} {} {} {}",
                    pad(&e.ts.to_string(), 27),
                    pad(&e.src.to_string(), 22),
                    pad(&e.dst.to_string(), 22),
                    pad(e.component.name(), 18),
                    pad(e.kind.name(), 18),
                    e.kind.summary()
                ));
            }
        }
    }

    fn flow(&mut self, _flow: &FlowRecord) {}
}

//! `pcap flows` / `capture --view flows`: one row per TCP connection, written
//! when the connection ends, then a summary line.

use std::io::Write;

use super::{Format, Out, human_bytes, pad};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::timestamp::human_duration;

pub struct FlowsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    pub rows: u64,
}

const HEADER: [(&str, usize); 12] = [
    ("CLIENT", 22),
    ("SERVER", 22),
    ("COMPONENT", 18),
    ("PROTO", 9),
    ("PKTS", 7),
    ("BYTES", 10),
    ("C→S", 10),
    ("S→C", 10),
    ("START", 27),
    ("DURATION", 9),
    ("END", 4),
    ("GAP", 0),
];

impl<W: Write> FlowsView<W> {
    pub fn new(w: W, format: Format) -> Self {
        FlowsView {
            out: Out::new(w),
            format,
            header_done: false,
            rows: 0,
        }
    }

    fn header(&mut self) {
        if !self.header_done && self.format == Format::Table {
            let cols: Vec<String> = HEADER.iter().map(|(n, w)| pad(n, *w)).collect();
            self.out.line(cols.join(" ").trim_end());
        }
        self.header_done = true;
    }

    /// Writes the summary (table: a line after the rows; JSON: nothing on
    /// stdout — the caller prints it to stderr so stdout stays one flow per line).
    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        self.header();
        if self.format == Format::Table {
            self.out.line("");
            self.out.line(&summary.line());
        }
        self.out.finish()
    }
}

impl<W: Write> Observer for FlowsView<W> {
    fn event(&mut self, _event: &Event) {}

    fn flow(&mut self, f: &FlowRecord) {
        self.rows += 1;
        match self.format {
            Format::Json => self.out.json(f),
            Format::Table => {
                self.header();
                let vals = [
                    f.client.to_string(),
                    f.server.to_string(),
                    f.component.to_string(),
                    f.protocol.to_string(),
                    f.packets.to_string(),
                    human_bytes(f.bytes),
                    human_bytes(f.client_bytes),
                    human_bytes(f.server_bytes),
                    f.start.to_string(),
                    human_duration((f.duration_ms * 1e6) as i64),
                    f.end.name().to_string(),
                    if f.gap_bytes > 0 {
                        human_bytes(f.gap_bytes)
                    } else {
                        "-".to_string()
                    },
                ];
                let cols: Vec<String> = vals
                    .iter()
                    .zip(HEADER.iter())
                    .map(|(v, (_, w))| pad(v, *w))
                    .collect();
                self.out.line(cols.join(" ").trim_end());
            }
        }
    }
}

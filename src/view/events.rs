//! `pcap events` / `capture --view events`: every decoded event in time order.

use std::io::Write;

use super::json::JsonObject;
use super::{Format, Out, pad};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

pub struct EventsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    line: Vec<u8>,
    kind: Vec<u8>,
    pub rows: u64,
}

/// One event as a JSON line: the envelope of DESIGN.md, then the event's
/// own fields (serialized by serde, spliced in).
pub fn event_json(e: &Event, kind_buf: &mut Vec<u8>, buf: &mut Vec<u8>) {
    kind_buf.clear();
    let _ = serde_json::to_writer(&mut *kind_buf, &e.kind);
    JsonObject::start(buf)
        .ts("ts", e.ts)
        .addr("src", e.src)
        .addr("dst", e.dst)
        .plain("component", e.component.name())
        .splice(kind_buf)
        .end();
}

/// The EVENT column: as wide as the longest event name
/// (`tls_certificate_request`), so the DETAILS column starts at one place.
pub const EVENT_WIDTH: usize = 23;

impl<W: Write> EventsView<W> {
    pub fn new(w: W, format: Format) -> Self {
        EventsView {
            out: Out::new(w).fixed_columns(
                &[
                    ("TIME", 27),
                    ("SRC", 22),
                    ("DST", 22),
                    ("COMPONENT", 18),
                    ("EVENT", EVENT_WIDTH),
                    ("DETAILS", 0),
                ],
                &[0, 2, 1, 3, 0, 0],
            ),
            format,
            header_done: false,
            line: Vec::with_capacity(512),
            kind: Vec::with_capacity(256),
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
                pad("EVENT", EVENT_WIDTH)
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
            Format::Json | Format::Prometheus | Format::Yaml => {
                self.line.clear();
                event_json(e, &mut self.kind, &mut self.line);
                self.out.raw(&self.line);
            }
            Format::Table | Format::Wide => {
                self.header();
                self.out.line(&format!(
                    "{} {} {} {} {} {}",
                    pad(&e.ts.to_string(), 27),
                    pad(&e.src.to_string(), 22),
                    pad(&e.dst.to_string(), 22),
                    pad(e.component.name(), 18),
                    pad(e.kind.name(), EVENT_WIDTH),
                    e.kind.summary()
                ));
            }
        }
    }

    fn flow(&mut self, _flow: &FlowRecord) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::proto::{Component, Direction};
    use crate::timestamp::Timestamp;

    /// Every event name returned by a `fn name(&self) -> &'static str` in
    /// the dissectors fits the EVENT column (a new, longer name fails here).
    #[test]
    fn event_column_fits_every_event_name() {
        let root = env!("CARGO_MANIFEST_DIR");
        let files = [
            "src/event.rs",
            "src/proto/http2/mod.rs",
            "src/proto/http1/event.rs",
            "src/proto/grpc.rs",
            "src/proto/raft/mod.rs",
            "src/proto/etcd_rpc/mod.rs",
            "src/proto/tls/events.rs",
        ];
        let mut longest = String::new();
        for f in files {
            let text = std::fs::read_to_string(format!("{root}/{f}")).unwrap();
            let mut inside = false;
            for line in text.lines() {
                if line.contains("fn name(&self) -> &'static str") {
                    inside = true;
                } else if inside && line == "    }" {
                    inside = false;
                } else if inside {
                    for lit in line.split('"').skip(1).step_by(2) {
                        if lit
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                            && lit.len() > longest.len()
                        {
                            longest = lit.to_string();
                        }
                    }
                }
            }
        }
        assert_eq!(longest, "tls_certificate_request");
        assert_eq!(EVENT_WIDTH, longest.len());
    }

    #[test]
    fn fast_json_equals_serde_json() {
        let e = Event {
            ts: Timestamp(1_000_000_123_456_789),
            src: "10.0.0.1:40000".parse().unwrap(),
            dst: "10.0.0.2:2379".parse().unwrap(),
            component: Component::EtcdClient,
            kind: EventKind::Gap {
                direction: Direction::ServerToClient,
                offset: 10,
                bytes: 5,
            },
        };
        let (mut k, mut buf) = (Vec::new(), Vec::new());
        event_json(&e, &mut k, &mut buf);
        let fast: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(fast, serde_json::to_value(&e).unwrap());
        let keys: Vec<&str> = std::str::from_utf8(&buf)
            .unwrap()
            .split('"')
            .skip(1)
            .step_by(2)
            .take(1)
            .collect();
        assert_eq!(keys, ["ts"], "ts comes first");
    }
}

//! `pcap flows` / `capture --view flows`: one row per TCP connection, written
//! when the connection ends, then a summary line.

use std::io::Write;

use super::json::JsonObject;
use super::{Format, Out, human_bytes, pad};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::timestamp::human_duration;

pub struct FlowsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    line: Vec<u8>,
    pub rows: u64,
}

/// One flow as a JSON line (the fields of [`FlowRecord`], in its order).
pub fn flow_json(f: &FlowRecord, buf: &mut Vec<u8>) {
    JsonObject::start(buf)
        .addr("client", f.client)
        .addr("server", f.server)
        .plain("component", f.component.name())
        .plain("protocol", f.protocol.name())
        .plain("protocol_by", f.protocol_by)
        .u64("packets", f.packets)
        .u64("bytes", f.bytes)
        .u64("client_bytes", f.client_bytes)
        .u64("server_bytes", f.server_bytes)
        .ts("start", f.start)
        .f64("duration_ms", f.duration_ms)
        .plain("end", f.end.name())
        .u64("gap_bytes", f.gap_bytes)
        .u64("client_packets", f.client_packets)
        .u64("server_packets", f.server_packets)
        .u64("client_frame_bytes", f.client_frame_bytes)
        .u64("server_frame_bytes", f.server_frame_bytes)
        .u64("retransmitted_bytes", f.retransmitted_bytes)
        .bool("handshake", f.handshake)
        .end();
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
            // On a narrow terminal: CLIENT, SERVER, then what matters most.
            out: Out::new(w).fixed_columns(&HEADER, &[0, 0, 2, 1, 3, 2, 4, 4, 5, 3, 3, 4]),
            format,
            header_done: false,
            line: Vec::with_capacity(512),
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
            Format::Json | Format::Prometheus | Format::Yaml => {
                self.line.clear();
                flow_json(f, &mut self.line);
                self.out.raw(&self.line);
            }
            Format::Table | Format::Wide => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::End;
    use crate::proto::{Component, Protocol};
    use crate::timestamp::Timestamp;

    #[test]
    fn fast_json_equals_serde_json() {
        let f = FlowRecord {
            client: "10.1.2.3:40000".parse().unwrap(),
            server: "[fd00::1]:2379".parse().unwrap(),
            component: Component::EtcdClient,
            protocol: Protocol::Http2,
            protocol_by: "content",
            packets: 10,
            bytes: 1234,
            client_bytes: 100,
            server_bytes: 200,
            start: Timestamp(1_795_712_703_123_456_000),
            duration_ms: 1126.761,
            end: End::Rst,
            gap_bytes: 7,
            client_packets: 6,
            server_packets: 4,
            client_frame_bytes: 600,
            server_frame_bytes: 634,
            retransmitted_bytes: 3,
            handshake: false,
        };
        let mut buf = Vec::new();
        flow_json(&f, &mut buf);
        let fast: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(fast, serde_json::to_value(&f).unwrap());
        assert_eq!(fast["start"], "2026-11-26T17:05:03.123456Z");
    }
}

//! `pcap flows` / `capture --view flows`: one row per TCP connection, written
//! when the connection ends, then a summary line.

use std::io::Write;

use super::json::write_addr;
use super::{Format, Out, pad, write_duration, write_human_bytes};
use crate::event::Event;
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;

pub struct FlowsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    line: Vec<u8>,
    pub rows: u64,
}

/// One flow as a JSON line (the fields of [`FlowRecord`], in its order).
///
/// Written as fixed text between the values (each key with the
/// punctuation around it is one copy) rather than through
/// [`super::json::JsonObject`], since flow rows are printed by the hundred
/// thousand; the test `flow_json_writes_what_serde_json_writes` holds it
/// to the bytes serde_json writes for the record.
pub fn flow_json(f: &FlowRecord, buf: &mut Vec<u8>) {
    buf.reserve(512);
    buf.extend_from_slice(b"{\"client\":\"");
    write_addr(buf, f.client);
    buf.extend_from_slice(b"\",\"server\":\"");
    write_addr(buf, f.server);
    buf.extend_from_slice(b"\",\"component\":\"");
    buf.extend_from_slice(f.component.name().as_bytes());
    buf.extend_from_slice(b"\",\"protocol\":\"");
    buf.extend_from_slice(f.protocol.name().as_bytes());
    buf.extend_from_slice(b"\",\"protocol_by\":\"");
    buf.extend_from_slice(f.protocol_by.as_bytes());
    let mut n = itoa::Buffer::new();
    for (key, v) in [
        (&b"\",\"packets\":"[..], f.packets),
        (b",\"bytes\":", f.bytes),
        (b",\"client_bytes\":", f.client_bytes),
        (b",\"server_bytes\":", f.server_bytes),
    ] {
        buf.extend_from_slice(key);
        buf.extend_from_slice(n.format(v).as_bytes());
    }
    buf.extend_from_slice(b",\"start\":\"");
    let mut t = [0u8; 27];
    f.start.format_into(&mut t);
    buf.extend_from_slice(&t);
    buf.extend_from_slice(b"\",\"duration_ms\":");
    if f.duration_ms.is_finite() {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(f.duration_ms).as_bytes());
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.extend_from_slice(b",\"end\":\"");
    buf.extend_from_slice(f.end.name().as_bytes());
    for (key, v) in [
        (&b"\",\"gap_bytes\":"[..], f.gap_bytes),
        (b",\"client_packets\":", f.client_packets),
        (b",\"server_packets\":", f.server_packets),
        (b",\"client_frame_bytes\":", f.client_frame_bytes),
        (b",\"server_frame_bytes\":", f.server_frame_bytes),
        (b",\"retransmitted_bytes\":", f.retransmitted_bytes),
    ] {
        buf.extend_from_slice(key);
        buf.extend_from_slice(n.format(v).as_bytes());
    }
    buf.extend_from_slice(if f.handshake {
        b",\"handshake\":true}\n"
    } else {
        b",\"handshake\":false}\n"
    });
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

    fn event_filter(&self) -> Option<fn(&Event) -> bool> {
        Some(|_| false)
    }

    /// No events at all, not even their times: the rows come from the
    /// flow records.
    fn wants(&self) -> crate::proto::Wants {
        crate::proto::Wants {
            events: false,
            ..crate::proto::Wants::ALL
        }
    }

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
                self.line.clear();
                table_row(f, &mut self.line);
                if super::fit::limit().is_some() {
                    // On a terminal: through Out::line, which fits the
                    // columns to its width.
                    let text = std::str::from_utf8(&self.line).unwrap_or_default();
                    self.out.line(text.trim_end_matches('\n'));
                } else {
                    self.out.raw(&self.line);
                }
            }
        }
    }
}

/// One table row with its newline, written straight into `buf` (no
/// `String` per cell, no `fmt::pad`): the same text as padding each cell to
/// its [`HEADER`] width, joining with a space and trimming the end.
pub fn table_row(f: &FlowRecord, buf: &mut Vec<u8>) {
    const SPACES: [u8; 32] = [b' '; 32];
    let start = buf.len();
    buf.reserve(256);
    // Pads the cell written since `at` to column `col`'s width and adds the
    // separator. Only the duration (column 9) can hold a character of two
    // bytes (µ); every other cell is ASCII.
    let end_cell = |buf: &mut Vec<u8>, at: usize, col: usize| {
        let mut chars = buf.len().saturating_sub(at);
        if col == 9 {
            let cell = buf.get(at..).unwrap_or_default();
            chars -= cell.iter().filter(|b| (**b & 0xC0) == 0x80).count();
        }
        let width = HEADER[col].1;
        // All 32 spaces (a copy of fixed size, not a call), then cut to the
        // width and the separator; a column is at most 27 wide.
        let end = buf.len() + width.saturating_sub(chars) + 1;
        buf.extend_from_slice(&SPACES);
        buf.truncate(end);
    };
    let mut at = buf.len();
    write_addr(buf, f.client);
    end_cell(buf, at, 0);
    at = buf.len();
    write_addr(buf, f.server);
    end_cell(buf, at, 1);
    at = buf.len();
    buf.extend_from_slice(f.component.name().as_bytes());
    end_cell(buf, at, 2);
    at = buf.len();
    buf.extend_from_slice(f.protocol.name().as_bytes());
    end_cell(buf, at, 3);
    at = buf.len();
    buf.extend_from_slice(itoa::Buffer::new().format(f.packets).as_bytes());
    end_cell(buf, at, 4);
    for (col, n) in [(5, f.bytes), (6, f.client_bytes), (7, f.server_bytes)] {
        at = buf.len();
        write_human_bytes(buf, n);
        end_cell(buf, at, col);
    }
    let mut t = [0u8; 27];
    f.start.format_into(&mut t);
    buf.extend_from_slice(&t);
    buf.push(b' ');
    at = buf.len();
    write_duration(buf, (f.duration_ms * 1e6) as i64);
    end_cell(buf, at, 9);
    at = buf.len();
    buf.extend_from_slice(f.end.name().as_bytes());
    end_cell(buf, at, 10);
    if f.gap_bytes > 0 {
        write_human_bytes(buf, f.gap_bytes);
    } else {
        buf.push(b'-');
    }
    while buf.len() > start && buf.last() == Some(&b' ') {
        buf.pop();
    }
    buf.push(b'\n');
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

    /// Byte for byte what serde_json writes for the record (its derived
    /// `Serialize`, the field order of the struct), on every kind of value.
    #[test]
    fn flow_json_writes_what_serde_json_writes() {
        let addrs = [
            "10.1.2.3:40000",
            "[fd00::1]:2379",
            "255.255.255.255:65535",
            "0.0.0.0:0",
            "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:6443",
        ];
        // Not from 1e16 up: there serde_json writes `1e+21` and ryu (ours)
        // `1e21`, the same number (compared as values below).
        let durations = [0.0, 0.0004, 1126.761, 3.2e12, f64::NAN, f64::INFINITY, -0.5];
        let mut buf = Vec::new();
        for i in 0..140usize {
            let n = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 64);
            let f = FlowRecord {
                client: addrs[i % 5].parse().unwrap(),
                server: addrs[(i + 2) % 5].parse().unwrap(),
                component: [Component::EtcdClient, Component::KubeApiserver][i % 2],
                protocol: [Protocol::Http2, Protocol::Unknown, Protocol::Tls][i % 3],
                protocol_by: ["content", "decode-as", "port", "none"][i % 4],
                packets: n,
                bytes: u64::MAX - n,
                client_bytes: n / 3,
                server_bytes: n % 1000,
                start: Timestamp(1_795_712_703_123_456_000 - (i as i64) * 86_399_999_999_937),
                duration_ms: durations[i % durations.len()],
                end: [End::Fin, End::Rst, End::Open][i % 3],
                gap_bytes: i as u64,
                client_packets: n >> 7,
                server_packets: 0,
                client_frame_bytes: u64::MAX,
                server_frame_bytes: n ^ 0xFFFF,
                retransmitted_bytes: n >> 40,
                handshake: i % 2 == 0,
            };
            buf.clear();
            flow_json(&f, &mut buf);
            let mut want = serde_json::to_vec(&f).unwrap();
            want.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&buf),
                String::from_utf8_lossy(&want),
                "record {i}"
            );
            if i == 0 {
                let mut huge = f.clone();
                huge.duration_ms = 1e21;
                buf.clear();
                flow_json(&huge, &mut buf);
                let ours: serde_json::Value = serde_json::from_slice(&buf).unwrap();
                assert_eq!(ours, serde_json::to_value(&huge).unwrap());
            }
        }
    }

    /// The row as the table printed it before it was written in place:
    /// every cell through `to_string`/`human_bytes` and `fmt::pad`.
    fn padded_row(f: &FlowRecord) -> String {
        use crate::timestamp::human_duration;
        use crate::view::human_bytes;
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
        format!("{}\n", cols.join(" ").trim_end())
    }

    #[test]
    fn table_row_equals_padded_cells() {
        let mut buf = Vec::new();
        let ends = [End::Fin, End::Rst, End::Open, End::Fin];
        let addrs = [
            "10.1.2.3:40000",
            "[fd00::1]:2379",
            "255.255.255.255:65535",
            "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:6443",
        ];
        let mut n = 0u64;
        for (i, bytes) in [
            0u64,
            7,
            999,
            1000,
            1049,
            1050,
            99_950,
            999_999,
            123_456_789_012,
            u64::MAX,
        ]
        .into_iter()
        .enumerate()
        {
            for dur in [
                0.0, 0.0004, 0.9994, 1.05, 999.95, 59_999.9, 61_000.0, 3.2e7, 1e12,
            ] {
                n += 1;
                let f = FlowRecord {
                    client: addrs[i % 4].parse().unwrap(),
                    server: addrs[(i + 1) % 4].parse().unwrap(),
                    component: [Component::EtcdClient, Component::KubeApiserver][i % 2],
                    protocol: [Protocol::Http2, Protocol::Unknown, Protocol::Tls][i % 3],
                    protocol_by: "content",
                    packets: n * 1_000_003,
                    bytes,
                    client_bytes: bytes / 3,
                    server_bytes: bytes / 7,
                    start: Timestamp(1_795_712_703_123_456_000 + n as i64 * 999_999_937),
                    duration_ms: dur,
                    end: ends[i % 4],
                    gap_bytes: bytes % 5 * bytes / 2,
                    client_packets: 1,
                    server_packets: 1,
                    client_frame_bytes: 1,
                    server_frame_bytes: 1,
                    retransmitted_bytes: 0,
                    handshake: true,
                };
                buf.clear();
                table_row(&f, &mut buf);
                assert_eq!(std::str::from_utf8(&buf).unwrap(), padded_row(&f), "{f:?}");
            }
        }
    }
}

//! `pcap flows` / `capture --view flows`: one row per TCP connection, written
//! when the connection ends, then a summary line.

use std::io::Write;

use super::json::write_addr;
use super::{Format, Out, pad, write_duration, write_human_bytes};
use crate::event::{End, Event};
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::proto::{Component, Protocol};
use crate::timestamp::Rfc3339Writer;

pub struct FlowsView<W: Write> {
    out: Out<W>,
    format: Format,
    header_done: bool,
    /// The row being written, or with [`FlowsView::holding_rows`] every
    /// row not yet handed to `out`.
    line: Vec<u8>,
    /// Rows are handed to `out` once this many bytes are held (0: each
    /// row as it is written).
    hold: usize,
    /// The start times' text, kept from one row to the next.
    start: Rfc3339Writer,
    pub rows: u64,
}

/// What [`FlowsView::holding_rows`] holds: more than the largest buffer of
/// the writers `kinspect pcap` writes through (256 KiB, on a pipe), so a
/// writer passes the rows straight on without copying them again.
const HELD_ROWS_BYTES: usize = 256 << 10;

/// One flow as a JSON line (the fields of [`FlowRecord`], in its order).
///
/// Written as fixed text between the values (each key with the
/// punctuation around it is one copy) rather than through
/// [`super::json::JsonObject`], since flow rows are printed by the hundred
/// thousand; the test `flow_json_writes_what_serde_json_writes` holds it
/// to the bytes serde_json writes for the record. The start time is written
/// through `times`, which keeps the text of the second before.
pub fn flow_json(f: &FlowRecord, buf: &mut Vec<u8>, times: &mut Rfc3339Writer) {
    buf.reserve(512);
    put(buf, b"{\"client\":\"");
    write_addr(buf, f.client);
    put(buf, b"\",\"server\":\"");
    write_addr(buf, f.server);
    put(buf, b"\",\"component\":\"");
    put_name(buf, spaced_component(f.component), f.component.name().len());
    put(buf, b"\",\"protocol\":\"");
    put_name(buf, spaced_protocol(f.protocol), f.protocol.name().len());
    put(buf, b"\",\"protocol_by\":\"");
    buf.extend_from_slice(f.protocol_by.as_bytes());
    put_number(buf, b"\",\"packets\":", f.packets);
    put_number(buf, b",\"bytes\":", f.bytes);
    put_number(buf, b",\"client_bytes\":", f.client_bytes);
    put_number(buf, b",\"server_bytes\":", f.server_bytes);
    put(buf, b",\"start\":\"");
    buf.extend_from_slice(times.format(f.start));
    put(buf, b"\",\"duration_ms\":");
    write_millis(buf, f.duration_ms);
    put(buf, b",\"end\":\"");
    put_name(buf, spaced_end(f.end), f.end.name().len());
    put_number(buf, b"\",\"gap_bytes\":", f.gap_bytes);
    put_number(buf, b",\"client_packets\":", f.client_packets);
    put_number(buf, b",\"server_packets\":", f.server_packets);
    put_number(buf, b",\"client_frame_bytes\":", f.client_frame_bytes);
    put_number(buf, b",\"server_frame_bytes\":", f.server_frame_bytes);
    put_number(buf, b",\"retransmitted_bytes\":", f.retransmitted_bytes);
    if f.handshake {
        put(buf, b",\"handshake\":true}\n");
    } else {
        put(buf, b",\"handshake\":false}\n");
    }
}

/// `name` followed by spaces, 32 bytes in all: copied whole and cut to
/// the name (JSON) or to its column (table), a few moves instead of a
/// copy sized by the name.
const fn spaced(name: &str) -> [u8; 32] {
    let mut text = [b' '; 32];
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i < 32 {
        text[i] = bytes[i];
        i += 1;
    }
    text
}

/// For each value of an enum with a `const fn name`, its [`spaced`] name
/// (an exhaustive match: a new value does not compile until it is
/// listed), and, for the tests, the list of values.
macro_rules! spaced_names {
    ($f:ident, $all:ident, $t:ty, [$($v:path),* $(,)?]) => {
        fn $f(x: $t) -> &'static [u8; 32] {
            match x {
                $($v => {
                    const S: [u8; 32] = spaced($v.name());
                    &S
                })*
            }
        }
        #[cfg(test)]
        const $all: &[$t] = &[$($v),*];
    };
}

spaced_names!(
    spaced_component,
    COMPONENTS,
    Component,
    [
        Component::EtcdClient,
        Component::EtcdPeer,
        Component::KubeApiserver,
        Component::Kubelet,
        Component::ControllerManager,
        Component::Scheduler,
        Component::KubeProxy,
        Component::Other,
    ]
);
spaced_names!(
    spaced_protocol,
    PROTOCOLS,
    Protocol,
    [
        Protocol::Tls,
        Protocol::Http1,
        Protocol::Http2,
        Protocol::Grpc,
        Protocol::EtcdRaft,
        Protocol::Unknown,
    ]
);
spaced_names!(spaced_end, ENDS, End, [End::Fin, End::Rst, End::Open]);

/// A name of at most 32 bytes from its [`spaced`] text, cut to `len`.
#[inline(always)]
fn put_name(buf: &mut Vec<u8>, spaced: &[u8; 32], len: usize) {
    let at = buf.len() + len.min(32);
    buf.extend_from_slice(spaced);
    buf.truncate(at);
}

/// Fixed text of a known length: inlined, the copy is a few moves instead
/// of a call.
#[inline(always)]
fn put<const N: usize>(buf: &mut Vec<u8>, text: &[u8; N]) {
    buf.extend_from_slice(text);
}

/// A key (with the punctuation around it) and an integer value.
#[inline(always)]
fn put_number<const N: usize>(buf: &mut Vec<u8>, key: &[u8; N], v: u64) {
    put(buf, key);
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A duration in milliseconds as serde_json writes the float (ryu's
/// shortest form that reads back the same).
///
/// A flow's duration is a whole number of nanoseconds over 1e6
/// ([`crate::timestamp::Timestamp::millis_since`]). When `ms` is exactly
/// such a quotient `n / 1e6` with `n` of at most 15 digits, the digits of
/// `n` with the point moved six places are that shortest form: a decimal
/// of at most 15 significant digits is the only one of that length or
/// shorter that reads back as its nearest double (`f64::DIGITS` is 15). So
/// they are written directly, without ryu's search (a quarter of a JSON
/// row's work). Other values, and those below 10 ns that ryu writes with
/// an exponent (`1e-6`), go to ryu; `null` for what JSON cannot hold.
fn write_millis(buf: &mut Vec<u8>, ms: f64) {
    let ns = (ms * 1e6).round();
    if (10.0..1e15).contains(&ns) && ns / 1e6 == ms {
        let mut digits = itoa::Buffer::new();
        let d = digits.format(ns as u64).as_bytes();
        // Whole milliseconds, then the six digits after the point.
        let (whole, frac) = d.split_at(d.len().saturating_sub(6));
        if whole.is_empty() {
            buf.push(b'0');
        } else {
            buf.extend_from_slice(whole);
        }
        buf.push(b'.');
        let zeros = 6 - frac.len();
        let kept = frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count();
        if kept == 0 {
            buf.push(b'0');
        } else {
            buf.extend_from_slice(&b"000000"[..zeros]);
            buf.extend_from_slice(&frac[..kept]);
        }
    } else if ms.is_finite() {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(ms).as_bytes());
    } else {
        put(buf, b"null");
    }
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
            hold: 0,
            start: Rfc3339Writer::default(),
            rows: 0,
        }
    }

    /// Gathers the rows and hands them to the writer 256 KiB at a time,
    /// instead of one by one: a copy less of every row, for reading files
    /// (`pcap flows` prints hundreds of thousands of rows). Not for live
    /// capture, where a row should show when its connection ends. No
    /// effect on a terminal, where each row is fitted to its width.
    pub fn holding_rows(mut self) -> Self {
        if super::fit::limit().is_none() {
            self.hold = HELD_ROWS_BYTES;
            self.line = Vec::with_capacity(HELD_ROWS_BYTES + 1024);
        }
        self
    }

    /// Hands the held rows to the writer.
    fn write_held(&mut self) {
        if !self.line.is_empty() {
            self.out.raw(&self.line);
            self.line.clear();
        }
    }

    #[inline]
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
        self.write_held();
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
                flow_json(f, &mut self.line, &mut self.start)
            }
            Format::Table | Format::Wide => {
                self.header();
                if super::fit::limit().is_some() {
                    // On a terminal: through Out::line, which fits the
                    // columns to its width.
                    self.line.clear();
                    table_row(f, &mut self.line, &mut self.start);
                    let text = std::str::from_utf8(&self.line).unwrap_or_default();
                    self.out.line(text.trim_end_matches('\n'));
                    self.line.clear();
                    return;
                }
                table_row(f, &mut self.line, &mut self.start);
            }
        }
        if self.line.len() >= self.hold {
            self.write_held();
        }
    }
}

/// One table row with its newline, written straight into `buf` (no
/// `String` per cell, no `fmt::pad`): the same text as padding each cell to
/// its [`HEADER`] width, joining with a space and trimming the end. The
/// start time is written through `times`, which keeps the text of the
/// second before.
pub fn table_row(f: &FlowRecord, buf: &mut Vec<u8>, times: &mut Rfc3339Writer) {
    const SPACES: [u8; 32] = [b' '; 32];
    let start = buf.len();
    buf.reserve(256);
    // Pads the cell written since `at` to column `col`'s width and adds the
    // separator. Only the duration (column 9) can hold a character of two
    // bytes (the µ of `µs`, at its end); every other cell is ASCII.
    let end_cell = |buf: &mut Vec<u8>, at: usize, col: usize| {
        let mut chars = buf.len().saturating_sub(at);
        // The µ of `µs`, the one character of two bytes a duration holds.
        if col == 9 && buf.ends_with("µs".as_bytes()) {
            chars -= 1;
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
    // A name as wide as its column or narrower: its spaced text cut after
    // the column and the separator.
    let name_cell = |buf: &mut Vec<u8>, spaced: &[u8; 32], name: &str, col: usize| {
        let width = HEADER[col].1;
        if name.len() <= width && width < 32 {
            let at = buf.len() + width + 1;
            buf.extend_from_slice(spaced);
            buf.truncate(at);
        } else {
            let at = buf.len();
            buf.extend_from_slice(name.as_bytes());
            end_cell(buf, at, col);
        }
    };
    name_cell(buf, spaced_component(f.component), f.component.name(), 2);
    name_cell(buf, spaced_protocol(f.protocol), f.protocol.name(), 3);
    at = buf.len();
    buf.extend_from_slice(itoa::Buffer::new().format(f.packets).as_bytes());
    end_cell(buf, at, 4);
    for (col, n) in [(5, f.bytes), (6, f.client_bytes), (7, f.server_bytes)] {
        at = buf.len();
        write_human_bytes(buf, n);
        end_cell(buf, at, col);
    }
    buf.extend_from_slice(times.format(f.start));
    buf.push(b' ');
    at = buf.len();
    write_duration(buf, (f.duration_ms * 1e6) as i64);
    end_cell(buf, at, 9);
    name_cell(buf, spaced_end(f.end), f.end.name(), 10);
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
        flow_json(&f, &mut buf, &mut Rfc3339Writer::default());
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
        let mut start = Rfc3339Writer::default();
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
            // One writer for every record, as the view keeps it.
            flow_json(&f, &mut buf, &mut start);
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
                flow_json(&huge, &mut buf, &mut Rfc3339Writer::default());
                let ours: serde_json::Value = serde_json::from_slice(&buf).unwrap();
                assert_eq!(ours, serde_json::to_value(&huge).unwrap());
            }
        }
    }

    /// Rows held and written 256 KiB at a time come out as rows written
    /// one by one: the header first, every row in order across several
    /// hand-overs, the summary last; in both formats.
    #[test]
    fn held_rows_are_the_rows_written_one_by_one() {
        let summary = Summary {
            packets: 7,
            ..Summary::default()
        };
        for format in [Format::Table, Format::Json] {
            let mut one_by_one = FlowsView::new(Vec::new(), format);
            let mut held = FlowsView::new(Vec::new(), format).holding_rows();
            assert_eq!(held.hold, HELD_ROWS_BYTES, "no terminal in tests");
            let rows = 5_000u64;
            for i in 0..rows {
                let f = FlowRecord {
                    client: format!("10.{}.{}.1:{}", i >> 8 & 255, i & 255, 30_000 + i % 9_000)
                        .parse()
                        .unwrap(),
                    server: "10.0.0.1:2379".parse().unwrap(),
                    component: Component::EtcdClient,
                    protocol: Protocol::Http2,
                    protocol_by: "content",
                    packets: i,
                    bytes: i * 977,
                    client_bytes: i * 3,
                    server_bytes: i * 5,
                    start: Timestamp(1_795_712_703_000_000_000 + i as i64 * 1_000_003),
                    duration_ms: i as f64 / 7.0,
                    end: [End::Fin, End::Rst, End::Open][(i % 3) as usize],
                    gap_bytes: i % 4,
                    client_packets: i / 2,
                    server_packets: i - i / 2,
                    client_frame_bytes: i * 500,
                    server_frame_bytes: i * 477,
                    retransmitted_bytes: 0,
                    handshake: i % 5 != 0,
                };
                one_by_one.flow(&f);
                held.flow(&f);
            }
            let a = one_by_one.finish(&summary).unwrap();
            let b = held.finish(&summary).unwrap();
            // Several hand-overs of held rows.
            assert!(
                b.len() > 3 * HELD_ROWS_BYTES,
                "{format:?}: {} bytes",
                b.len()
            );
            assert!(a == b, "{format:?}: held rows differ");
            let text = String::from_utf8(b).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let expected = rows as usize + if format == Format::Table { 3 } else { 0 };
            assert_eq!(lines.len(), expected, "{format:?}");
            if format == Format::Table {
                assert!(lines[0].starts_with("CLIENT "));
                assert_eq!(lines[lines.len() - 1], summary.line());
            }
        }
    }

    /// Every name's spaced text is the name, then spaces.
    #[test]
    fn spaced_names_are_the_names() {
        fn check(spaced: &[u8; 32], name: &str) {
            assert!(name.len() <= 32, "{name}");
            assert_eq!(&spaced[..name.len()], name.as_bytes());
            assert!(spaced[name.len()..].iter().all(|&b| b == b' '), "{name}");
        }
        for &c in COMPONENTS {
            check(spaced_component(c), c.name());
        }
        for &p in PROTOCOLS {
            check(spaced_protocol(p), p.name());
        }
        for &e in ENDS {
            check(spaced_end(e), e.name());
        }
    }

    /// Durations as ryu (and below 1e16, serde_json) writes them, for every kind
    /// of value: whole nanoseconds over 1e6 from 0 to beyond the 15 digits
    /// written directly, on both sides of the exponent form (below 10 ns),
    /// and floats that are no such quotient.
    #[test]
    fn millis_are_written_as_serde_json_writes_them() {
        let mut ns: Vec<i64> = (0..3000).collect();
        for e in 0..19 {
            let p = 10i64.pow(e);
            ns.extend([p - 1, p, p + 1, p * 3 / 2]);
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every magnitude, from one digit to 19.
            ns.push((x >> (x % 60)) as i64);
        }
        let mut floats: Vec<f64> = ns
            .iter()
            .map(|&n| Timestamp(n).millis_since(Timestamp(0)))
            .collect();
        floats.extend([
            0.1,
            1.0 / 3.0,
            2.5e-7,
            1e21,
            -0.5,
            -1126.761,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            123_456_789.123_456_7,
        ]);
        let mut buf = Vec::new();
        for ms in floats {
            buf.clear();
            write_millis(&mut buf, ms);
            // What this function wrote before it had a shortcut.
            let ryu = ryu::Buffer::new().format_finite(ms).to_string();
            assert_eq!(String::from_utf8_lossy(&buf), ryu, "{ms:e}");
            // serde_json writes an exponent with its sign (`1e+21`).
            if ms.abs() < 1e16 {
                assert_eq!(ryu, serde_json::to_string(&ms).unwrap(), "{ms:e}");
            }
        }
        buf.clear();
        write_millis(&mut buf, f64::NAN);
        assert_eq!(buf, b"null");
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
                table_row(&f, &mut buf, &mut Rfc3339Writer::default());
                assert_eq!(std::str::from_utf8(&buf).unwrap(), padded_row(&f), "{f:?}");
            }
        }
    }
}

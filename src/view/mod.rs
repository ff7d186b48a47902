//! Views fold events into what a person asked for and render them as a
//! human table or as JSON Lines (`-o json`, one object per line).
//!
//! Views stream: a row is written as soon as it is known (a connection's
//! row when it ends), so output of any size needs no memory.

pub mod day2;
pub mod election;
pub mod events;
pub mod fit;
pub mod flows;
pub mod json;
pub mod k8s_table;
pub mod report;
pub mod rpc;
pub mod style;
pub mod svg;
pub mod text;
pub mod tls;

use std::io::{self, Write};

use serde::Serialize;

pub use election::ElectionView;
pub use events::EventsView;
pub use flows::FlowsView;
pub use rpc::RpcView;
pub use tls::TlsView;

/// `-o table|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people
    #[default]
    Table,
    /// JSON Lines: one object per line
    Json,
    /// Prometheus text exposition (certs check only; x509-certificate-exporter style)
    Prometheus,
    /// YAML documents, as `kubectl get -o yaml` (etcd get, k8s commands)
    Yaml,
    /// The table uncut, whatever the terminal width (k8s get: also kubectl's wide columns)
    Wide,
}

/// A line-oriented writer that remembers its first error (a closed pipe
/// must end the run quietly, not panic or print an error per row).
pub struct Out<W: Write> {
    w: W,
    error: Option<io::Error>,
    columns: Option<fit::Columns>,
}

impl<W: Write> Out<W> {
    pub fn new(w: W) -> Self {
        Out {
            w,
            error: None,
            columns: None,
        }
    }

    /// A streaming view's fixed columns, fitted to the terminal
    /// ([`fit::Columns`]): every [`Out::line`] leaves out the columns that
    /// do not fit. No effect without a width limit.
    pub fn fixed_columns(mut self, header: &[(&str, usize)], importance: &[u8]) -> Self {
        self.columns = fit::Columns::new(header, importance, fit::limit());
        self
    }

    /// Writes one line of text for people: control characters in it (from
    /// the wire or a file) are escaped ([`text::escape_control`]), so a
    /// field can neither drive the terminal nor forge a line. On a
    /// terminal the line is held to its width ([`fit::cut_to_limit`]).
    pub fn line(&mut self, s: &str) {
        if self.error.is_none() {
            let s = text::escape_control_keep_style(s);
            let s = match &self.columns {
                Some(c) => std::borrow::Cow::Owned(c.apply(&s)),
                None => s,
            };
            let s = fit::cut_to_limit(&s);
            if let Err(e) = self
                .w
                .write_all(s.as_bytes())
                .and_then(|_| self.w.write_all(b"\n"))
            {
                self.error = Some(e);
            }
        }
    }

    /// A line of a document (a decoded object's YAML, a hex dump) that is
    /// never cut, even on a terminal: escaped as [`Out::line`].
    pub fn line_whole(&mut self, s: &str) {
        if self.error.is_none() {
            let s = text::escape_control_keep_style(s);
            if let Err(e) = self
                .w
                .write_all(s.as_bytes())
                .and_then(|_| self.w.write_all(b"\n"))
            {
                self.error = Some(e);
            }
        }
    }

    /// A paragraph line: on a terminal wrapped to its width, continuation
    /// lines indented by `indent` ([`fit::wrap_line`]); else as [`Out::line`].
    pub fn wrapped(&mut self, s: &str, indent: usize) {
        for l in fit::wrap_line(s, indent) {
            self.line(&l);
        }
    }

    /// Bytes already formatted (with their newline).
    pub fn raw(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.w.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    pub fn json<T: Serialize>(&mut self, value: &T) {
        if self.error.is_none() {
            let r = serde_json::to_writer(&mut self.w, value)
                .map_err(io::Error::other)
                .and_then(|_| self.w.write_all(b"\n"));
            if let Err(e) = r {
                self.error = Some(e);
            }
        }
    }

    /// Flushes; returns the first error seen.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.w.flush()?;
        Ok(self.w)
    }

    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// Pads or keeps `s` to `width` characters (left-aligned).
pub fn pad(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

/// [`human_bytes`] appended to a buffer (no allocation; tables printed
/// by the million use it).
pub fn write_human_bytes(buf: &mut Vec<u8>, n: u64) {
    if n < 1000 {
        buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        buf.extend_from_slice(b" B");
        return;
    }
    // kB, MB and GB in integers: the same digits as formatting the
    // float, which is never closer than 1e-5 of a tenth to a rounding
    // boundary here unless exactly on one (left to the float).
    let (unit, step) = match n {
        1_000..1_000_000 => (&b" kB"[..], 100),
        1_000_000..1_000_000_000 => (&b" MB"[..], 100_000),
        1_000_000_000..1_000_000_000_000 => (&b" GB"[..], 100_000_000),
        _ => (&b""[..], 0),
    };
    if step > 0 && write_tenths(buf, n, step) {
        buf.extend_from_slice(unit);
        return;
    }
    // Halfway between two tenths, or terabytes: the float decides.
    buf.extend_from_slice(human_bytes(n).as_bytes());
}

/// `n / (10 * step)` with one decimal, rounded to nearest, as `{:.1}`
/// prints the float quotient; false (nothing written) when `n` lies
/// exactly halfway between two tenths, where the float's own rounding
/// decides.
fn write_tenths(buf: &mut Vec<u8>, n: u64, step: u64) -> bool {
    let (mut tenths, rest) = (n / step, n % step);
    if rest * 2 == step {
        return false;
    }
    if rest * 2 > step {
        tenths += 1;
    }
    buf.extend_from_slice(itoa::Buffer::new().format(tenths / 10).as_bytes());
    buf.push(b'.');
    buf.push(b'0' + (tenths % 10) as u8);
    true
}

/// A duration as [`crate::timestamp::write_human_duration`] writes it,
/// with milliseconds and seconds (the durations of most rows) in
/// integers.
pub fn write_duration(buf: &mut Vec<u8>, nanos: i64) {
    let n = nanos.unsigned_abs();
    let (unit, step) = match n {
        1_000_000..1_000_000_000 => (&b"ms"[..], 100_000),
        1_000_000_000..60_000_000_000 => (&b"s"[..], 100_000_000),
        _ => (&b""[..], 0),
    };
    let at = buf.len();
    if nanos < 0 {
        buf.push(b'-');
    }
    if step > 0 && write_tenths(buf, n, step) {
        buf.extend_from_slice(unit);
        return;
    }
    buf.truncate(at);
    crate::timestamp::write_human_duration(buf, nanos);
}

/// `1.2 kB`-style sizes for tables (decimal units, like tshark).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(6_993_000), "7.0 MB");
        assert_eq!(human_bytes(1_500), "1.5 kB");
    }

    /// Values around every rounding boundary and unit change of the
    /// integer paths, and a spread of others.
    fn samples() -> Vec<u64> {
        let mut v = Vec::new();
        for scale in [
            1u64,
            10,
            100,
            1_000,
            10_000,
            100_000,
            1_000_000,
            10_000_000,
            100_000_000,
        ] {
            for base in [
                1_000u64,
                1_000_000,
                1_000_000_000,
                60_000_000_000,
                1_000_000_000_000,
            ] {
                for k in 0..=20u64 {
                    let centre = base + k * scale * 5;
                    v.extend(centre.saturating_sub(3)..centre + 3);
                }
                v.extend(base.saturating_sub(scale * 60)..base.saturating_sub(scale * 60) + 3);
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push((x % 2_000_000_000_000) >> (x % 40));
        }
        v
    }

    /// The integer digits are those of `{:.1}` on the float (std's float
    /// formatting is the oracle).
    #[test]
    fn integer_sizes_print_what_the_float_prints() {
        for n in samples() {
            let mut fast = Vec::new();
            write_human_bytes(&mut fast, n);
            assert_eq!(String::from_utf8(fast).unwrap(), human_bytes(n), "{n}");
        }
    }

    #[test]
    fn integer_durations_print_what_the_float_prints() {
        for n in samples() {
            for nanos in [n as i64, -(n as i64)] {
                let (mut fast, mut float) = (Vec::new(), Vec::new());
                write_duration(&mut fast, nanos);
                crate::timestamp::write_human_duration(&mut float, nanos);
                assert_eq!(fast, float, "{nanos}");
            }
        }
        let mut b = Vec::new();
        write_duration(&mut b, 1_250_000);
        write_duration(&mut b, 999_960_000);
        assert_eq!(b, "1.2ms1000.0ms".as_bytes());
    }

    #[test]
    fn out_remembers_first_error() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut o = Out::new(Broken);
        o.line("a");
        o.line("b");
        assert!(o.failed());
        assert_eq!(o.finish().err().unwrap().kind(), io::ErrorKind::BrokenPipe);
    }
}

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
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    // Writing to a Vec cannot fail.
    let _ = write!(buf, "{v:.1} {}", UNITS[u]);
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

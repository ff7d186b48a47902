//! `pcap rpc` / `capture --view rpc`: calls per method (gRPC path, or HTTP
//! method and path template): count, errors, latency percentiles.
//!
//! Sources: `grpc_call` (gRPC; an error is a grpc-status other than 0, or
//! a call reset with RST_STREAM), `http2_response` of non-gRPC streams and
//! HTTP/1.1 `http_response` (an error is a status of 400 or more). With
//! `--by-client` rows are split by the client's IP address (not IP:port:
//! gRPC clients reuse one connection for many calls but short-lived
//! clients such as etcdctl open one per call, so the port would split one
//! client into many rows).
//!
//! Latency: kept exactly (µs) for the first [`EXACT_SAMPLES`] calls of a
//! row, percentiles by nearest rank; beyond that an hdrhistogram (µs,
//! 3 significant digits) takes over. Memory is bounded by [`MAX_ROWS`]
//! rows; calls of further methods go to one `<other>` row per protocol.

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Format, Out, pad};
use crate::event::{Event, EventKind};
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::proto::grpc::GrpcEvent;
use crate::proto::http2::Http2Event;

/// Distinct rows kept (1000). Each row holds at most [`EXACT_SAMPLES`]
/// samples (4 KiB) or one histogram (tens of KiB), so the view stays
/// under ~64 MiB whatever the capture.
pub const MAX_ROWS: usize = 1000;

/// Latencies kept exactly per row before switching to a histogram.
pub const EXACT_SAMPLES: usize = 1000;

/// Largest latency recorded: one hour, in µs (longer ones are clamped).
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Bucket edges (µs) of the report's latency histograms: 1-2-5 steps
/// from 100 µs to 5 s.
pub const HISTOGRAM_EDGES_US: [u64; 15] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 5_000_000,
];

/// Name of the row that collects methods beyond [`MAX_ROWS`].
pub const OTHER: &str = "<other>";

/// Name of the row of gRPC calls whose path could not be decoded (a
/// connection joined mid-stream whose `:path` came from an unseen HPACK
/// table entry).
pub const UNKNOWN: &str = "<unknown>";

/// Which family a call belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RpcProtocol {
    Grpc,
    Http,
}

impl RpcProtocol {
    fn name(self) -> &'static str {
        match self {
            RpcProtocol::Grpc => "grpc",
            RpcProtocol::Http => "http",
        }
    }
}

/// One finished call, as the view sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub protocol: RpcProtocol,
    /// gRPC path, or `METHOD /path/template`.
    pub method: String,
    pub client: IpAddr,
    pub error: bool,
    pub latency_ms: Option<f64>,
}

/// The call an event ends, if any.
pub fn call_of(e: &Event) -> Option<Call> {
    match &e.kind {
        EventKind::Grpc(GrpcEvent::GrpcCall {
            method,
            grpc_status,
            latency_ms,
            ended_by,
            ..
        }) => Some(Call {
            protocol: RpcProtocol::Grpc,
            // Paths lost with an unseen HPACK table entry share one row.
            method: if method.starts_with("<unknown") {
                UNKNOWN.to_string()
            } else {
                method.clone()
            },
            // Emitted client→server.
            client: e.src.ip(),
            error: grpc_status.is_some_and(|s| s != 0) || *ended_by == "rst_stream",
            latency_ms: *latency_ms,
        }),
        EventKind::Http2(Http2Event::Http2Response {
            status,
            content_type,
            method,
            path,
            latency_ms,
            ..
        }) => {
            if content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/grpc"))
            {
                return None;
            }
            let method = format!(
                "{} {}",
                method.as_deref().unwrap_or("?"),
                path.as_deref()
                    .map_or_else(|| "?".to_string(), crate::proto::http1::path_template)
            );
            Some(Call {
                protocol: RpcProtocol::Http,
                method,
                // A response goes server→client.
                client: e.dst.ip(),
                error: status.is_some_and(|s| s >= 400),
                latency_ms: *latency_ms,
            })
        }
        _ => http1_call(e),
    }
}

/// An HTTP/1.1 call from the HTTP/1.1 dissector's final response event.
fn http1_call(e: &Event) -> Option<Call> {
    let EventKind::Http(crate::proto::http1::HttpEvent::HttpResponse {
        status,
        method,
        path,
        latency_ms,
        interim,
        ..
    }) = &e.kind
    else {
        return None;
    };
    if *interim {
        return None;
    }
    let template = if path == "?" {
        "?".to_string()
    } else {
        crate::proto::http1::path_template(path)
    };
    Some(Call {
        protocol: RpcProtocol::Http,
        method: format!("{method} {template}"),
        client: e.dst.ip(),
        error: *status >= 400,
        latency_ms: *latency_ms,
    })
}

/// Latencies of one row.
enum Latencies {
    Exact(Vec<u32>),
    Histogram(Box<Histogram<u64>>),
}

struct Row {
    calls: u64,
    errors: u64,
    latencies: Latencies,
    /// Exact largest latency (µs).
    max_us: Option<u64>,
}

impl Row {
    fn new() -> Row {
        Row {
            calls: 0,
            errors: 0,
            latencies: Latencies::Exact(Vec::new()),
            max_us: None,
        }
    }

    fn add(&mut self, call: &Call) {
        self.calls += 1;
        if call.error {
            self.errors += 1;
        }
        let Some(ms) = call.latency_ms.filter(|v| v.is_finite() && *v >= 0.0) else {
            return;
        };
        let us = ((ms * 1000.0).round() as u64).clamp(1, MAX_LATENCY_US);
        self.max_us = Some(self.max_us.map_or(us, |m| m.max(us)));
        if let Latencies::Exact(v) = &mut self.latencies {
            if v.len() < EXACT_SAMPLES {
                v.push(us as u32);
                return;
            }
            let Ok(mut h) = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3) else {
                return;
            };
            for s in v.iter() {
                let _ = h.record(u64::from(*s));
            }
            self.latencies = Latencies::Histogram(Box::new(h));
        }
        if let Latencies::Histogram(h) = &mut self.latencies {
            let _ = h.record(us);
        }
    }

    /// The latency at quantile `q` (0..=1), in ms.
    fn quantile_ms(&mut self, q: f64) -> Option<f64> {
        let us = match &mut self.latencies {
            Latencies::Exact(v) => {
                if v.is_empty() {
                    return None;
                }
                v.sort_unstable();
                // Nearest rank: the smallest value with at least q of the
                // samples at or below it.
                let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
                u64::from(v[rank - 1])
            }
            Latencies::Histogram(h) => h.value_at_quantile(q),
        };
        Some(us as f64 / 1000.0)
    }
}

/// A row: protocol, method, and the client when rows are split by client.
pub type RowKey = (RpcProtocol, String, Option<IpAddr>);
type Key = RowKey;

/// A finished row, ready to print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcRow {
    pub method: String,
    pub protocol: RpcProtocol,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<IpAddr>,
    pub calls: u64,
    pub errors: u64,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Folds calls into rows.
#[derive(Default)]
pub struct RpcTable {
    rows: HashMap<Key, Row>,
    by_client: bool,
}

impl RpcTable {
    pub fn new(by_client: bool) -> Self {
        RpcTable {
            rows: HashMap::new(),
            by_client,
        }
    }

    pub fn add(&mut self, call: &Call) {
        let client = self.by_client.then_some(call.client);
        let mut key = (call.protocol, call.method.clone(), client);
        if !self.rows.contains_key(&key) && self.rows.len() >= MAX_ROWS {
            key.1 = OTHER.to_string();
        }
        self.rows.entry(key).or_insert_with(Row::new).add(call);
    }

    /// Each row's latencies counted into [`HISTOGRAM_EDGES_US`] buckets
    /// (`edges.len() + 1` counts: below the first edge, between each
    /// pair, at or above the last), read from the exact samples or the
    /// hdrhistogram, keyed like [`RpcTable::rows`]'s rows.
    pub fn histograms(&self) -> Vec<(RowKey, Vec<u64>)> {
        let bucket = |us: u64| HISTOGRAM_EDGES_US.iter().take_while(|e| us >= **e).count();
        let mut out: Vec<_> = self
            .rows
            .iter()
            .map(|(k, r)| {
                let mut counts = vec![0u64; HISTOGRAM_EDGES_US.len() + 1];
                match &r.latencies {
                    Latencies::Exact(v) => {
                        for us in v {
                            counts[bucket(u64::from(*us))] += 1;
                        }
                    }
                    Latencies::Histogram(h) => {
                        for it in h.iter_recorded() {
                            counts[bucket(it.value_iterated_to())] += it.count_at_value();
                        }
                    }
                }
                (k.clone(), counts)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Rows by calls (most first), then protocol, method and client.
    pub fn rows(self) -> Vec<RpcRow> {
        let mut out: Vec<RpcRow> = self
            .rows
            .into_iter()
            .map(|((protocol, method, client), mut r)| {
                let max_ms = r.max_us.map(|v| v as f64 / 1000.0);
                // A histogram bucket's upper edge may pass the exact maximum.
                let mut q = |p| match (r.quantile_ms(p), max_ms) {
                    (Some(v), Some(m)) => Some(v.min(m)),
                    (v, _) => v,
                };
                (
                    protocol,
                    method,
                    client,
                    q(0.5),
                    q(0.9),
                    q(0.99),
                    max_ms,
                    r.calls,
                    r.errors,
                )
            })
            .map(
                |(protocol, method, client, p50_ms, p90_ms, p99_ms, max_ms, calls, errors)| {
                    RpcRow {
                        p50_ms,
                        p90_ms,
                        p99_ms,
                        max_ms,
                        method,
                        protocol,
                        client,
                        calls,
                        errors,
                    }
                },
            )
            .collect();
        out.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then(a.protocol.cmp(&b.protocol))
                .then_with(|| a.method.cmp(&b.method))
                .then(a.client.cmp(&b.client))
        });
        out
    }
}

pub struct RpcView<W: Write> {
    out: Out<W>,
    format: Format,
    by_client: bool,
    table: RpcTable,
}

impl<W: Write> RpcView<W> {
    pub fn new(w: W, format: Format, by_client: bool) -> Self {
        RpcView {
            out: Out::new(w),
            format,
            by_client,
            table: RpcTable::new(by_client),
        }
    }

    pub fn finish(mut self, summary: &Summary) -> std::io::Result<W> {
        let rows = std::mem::take(&mut self.table).rows();
        match self.format {
            Format::Json | Format::Prometheus | Format::Yaml => {
                for r in &rows {
                    self.out.json(r);
                }
            }
            Format::Table | Format::Wide => {
                let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
                let width = rows
                    .iter()
                    .map(|r| r.method.chars().count())
                    .max()
                    .unwrap_or(0)
                    .clamp(6, 60);
                let mut head = format!("{} {} ", pad("METHOD", width), pad("PROTO", 5));
                if self.by_client {
                    head.push_str(&format!("{} ", pad("CLIENT", 39)));
                }
                head.push_str(&format!(
                    "{:>7} {:>6} {:>10} {:>10} {:>10} {:>10}",
                    "CALLS", "ERRORS", "P50_MS", "P90_MS", "P99_MS", "MAX_MS"
                ));
                self.out.line(&head);
                for r in &rows {
                    let mut line =
                        format!("{} {} ", pad(&r.method, width), pad(r.protocol.name(), 5));
                    if let Some(c) = r.client {
                        line.push_str(&format!("{} ", pad(&c.to_string(), 39)));
                    }
                    line.push_str(&format!(
                        "{:>7} {:>6} {:>10} {:>10} {:>10} {:>10}",
                        r.calls,
                        r.errors,
                        ms(r.p50_ms),
                        ms(r.p90_ms),
                        ms(r.p99_ms),
                        ms(r.max_ms)
                    ));
                    self.out.line(&line);
                }
                self.out.line("");
                self.out.line(&summary.line());
            }
        }
        self.out.finish()
    }
}

impl<W: Write> Observer for RpcView<W> {
    fn event_filter(&self) -> Option<fn(&Event) -> bool> {
        Some(|e| call_of(e).is_some())
    }
    /// Calls come from HTTP heads and gRPC framing: no Raft bodies, no
    /// gRPC message bodies.
    fn wants(&self) -> crate::proto::Wants {
        crate::proto::Wants {
            raft: false,
            grpc_messages: false,
            http2: true,
            raft_entries: false,
            http1: true,
            events: true,
        }
    }
    fn event(&mut self, e: &Event) {
        if let Some(call) = call_of(e) {
            self.table.add(&call);
        }
    }
    fn flow(&mut self, f: &FlowRecord) {
        let _ = f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, client: &str, error: bool, ms: Option<f64>) -> Call {
        Call {
            protocol: RpcProtocol::Grpc,
            method: method.to_string(),
            client: client.parse().unwrap(),
            error,
            latency_ms: ms,
        }
    }

    #[test]
    fn percentiles_by_nearest_rank_and_sorting() {
        let mut t = RpcTable::new(false);
        for i in 1..=100 {
            t.add(&call("/a", "10.0.0.1", i % 10 == 0, Some(i as f64)));
        }
        t.add(&call("/b", "10.0.0.2", false, None));
        let rows = t.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].method, "/a");
        assert_eq!(rows[0].calls, 100);
        assert_eq!(rows[0].errors, 10);
        assert_eq!(rows[0].p50_ms, Some(50.0));
        assert_eq!(rows[0].p90_ms, Some(90.0));
        assert_eq!(rows[0].p99_ms, Some(99.0));
        assert_eq!(rows[0].max_ms, Some(100.0));
        assert_eq!(rows[1].p50_ms, None);
    }

    #[test]
    fn histogram_after_many_samples_stays_close() {
        let mut t = RpcTable::new(false);
        for i in 1..=10_000u32 {
            t.add(&call("/a", "10.0.0.1", false, Some(f64::from(i) / 10.0)));
        }
        let r = &t.rows()[0];
        let p50 = r.p50_ms.unwrap();
        assert!((p50 - 500.0).abs() < 1.0, "{p50}");
        assert_eq!(r.max_ms, Some(1000.0));
        assert!(r.p99_ms.unwrap() <= 1000.0);
    }

    #[test]
    fn histogram_buckets_from_samples_and_hdrhistogram() {
        let mut t = RpcTable::new(false);
        // 0.05 ms, 0.15 ms, 3 ms, 10 s
        for ms in [0.05, 0.15, 3.0, 10_000.0] {
            t.add(&call("/a", "10.0.0.1", false, Some(ms)));
        }
        let h = t.histograms();
        assert_eq!(h.len(), 1);
        let c = &h[0].1;
        assert_eq!(c.len(), 16);
        assert_eq!((c[0], c[1], c[5], c[15]), (1, 1, 1, 1));
        assert_eq!(c.iter().sum::<u64>(), 4);
        // Past EXACT_SAMPLES the hdrhistogram answers: same totals.
        let mut t = RpcTable::new(false);
        for i in 0..3000u32 {
            t.add(&call(
                "/b",
                "10.0.0.1",
                false,
                Some(if i % 2 == 0 { 0.15 } else { 30.0 }),
            ));
        }
        let c = &t.histograms()[0].1;
        assert_eq!(c[1], 1500);
        assert_eq!(c[8], 1500);
    }

    #[test]
    fn by_client_splits_and_rows_are_capped() {
        let mut t = RpcTable::new(true);
        t.add(&call("/a", "10.0.0.1", false, None));
        t.add(&call("/a", "10.0.0.2", false, None));
        assert_eq!(t.rows().len(), 2);
        let mut t = RpcTable::new(false);
        for i in 0..MAX_ROWS + 5 {
            t.add(&call(&format!("/m{i}"), "10.0.0.1", false, None));
        }
        let rows = t.rows();
        assert_eq!(rows.len(), MAX_ROWS + 1);
        assert_eq!(rows[0].method, OTHER);
        assert_eq!(rows[0].calls, 5);
    }
}

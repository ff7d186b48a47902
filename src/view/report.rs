//! `pcap report`: one self-contained HTML page (inline CSS and SVG, no
//! scripts, nothing fetched) with the capture summary, traffic over time
//! per component, calls per method (rate, percentiles, latency
//! histograms), TLS sessions with their verdicts and certificates judged
//! at capture time, the election timeline, and what could not be decoded.
//!
//! Aggregates only: time series are binned ([`Bins`], bounded), calls
//! folded by [`RpcTable`], TLS sessions grouped by what the page shows
//! (at most [`MAX_TLS_GROUPS`] groups), gaps counted (the first
//! [`MAX_GAPS_LISTED`] listed) — so a 1 GB capture gives a page of tens of
//! kilobytes. The same input gives the same bytes. The page is also
//! well-formed XML (polyglot HTML), so tests read it with an XML parser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

use super::election::ElectionView;
use super::rpc::{HISTOGRAM_EDGES_US, RpcRow, RpcTable, call_of};

type HistKey = super::rpc::RowKey;
use super::svg::chart::{self, Bins};
use super::svg::election::{Options as PicOptions, render_timeline};
use super::svg::{Lang, STYLE, Theme, esc, root_class};
use super::tls::cert_cell;
use super::{Format, human_bytes};
use crate::event::{Event, EventKind};
use crate::net::{FlowRecord, Observer};
use crate::pipeline::Summary;
use crate::proto::Component;
use crate::proto::tls::TlsEvent;
use crate::timestamp::{Timestamp, human_duration};

/// Distinct TLS rows kept (further sessions are counted, not listed).
pub const MAX_TLS_GROUPS: usize = 200;
/// Gaps listed one by one (all are counted).
pub const MAX_GAPS_LISTED: usize = 20;
/// Methods drawn as latency histograms.
pub const MAX_HISTOGRAMS: usize = 8;
/// Time bins of the series.
const BINS: usize = 240;

/// How the page looks.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub theme: Theme,
    pub lang: Lang,
    /// The capture files, as named in the page (base names).
    pub files: Vec<String>,
}

/// One row of the TLS table: sessions that look the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TlsKey {
    server: String,
    component: String,
    sni: String,
    version: String,
    cipher: String,
    client_cert: String,
    server_cert: String,
    alerts: String,
    verdict: String,
}

pub struct ReportView {
    options: ReportOptions,
    election: ElectionView<io::Sink>,
    rpc: RpcTable,
    calls: Bins,
    traffic: Bins,
    tls: BTreeMap<TlsKey, (u64, bool)>,
    tls_sessions: u64,
    tls_not_listed: u64,
    gaps: Vec<(Timestamp, String, String, u64)>,
    gap_events: u64,
    connections: BTreeMap<&'static str, (u64, u64)>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

fn component_of(a: u16, b: u16) -> Component {
    match (Component::from_port(a), Component::from_port(b)) {
        (Some(x), Some(y)) => {
            if a <= b {
                x
            } else {
                y
            }
        }
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => Component::Other,
    }
}

impl ReportView {
    pub fn new(options: ReportOptions) -> ReportView {
        ReportView {
            options,
            election: ElectionView::new(io::sink(), Format::Json),
            rpc: RpcTable::new(false),
            calls: Bins::new(10_000_000, BINS, 16),
            traffic: Bins::new(10_000_000, BINS, 9),
            tls: BTreeMap::new(),
            tls_sessions: 0,
            tls_not_listed: 0,
            gaps: Vec::new(),
            gap_events: 0,
            connections: BTreeMap::new(),
            first: None,
            last: None,
        }
    }

    fn l(&self, k: &'static str) -> &'static str {
        self.options.lang.t(k)
    }

    /// The page.
    pub fn finish(mut self, summary: &Summary) -> String {
        let hists = self.rpc.histograms();
        let rows = std::mem::take(&mut self.rpc).rows();
        let lang = self.options.lang;
        let theme = self.options.theme;
        let mut h = String::with_capacity(256 * 1024);
        let title = self.l("kinspect capture report");
        let _ = writeln!(
            h,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{}\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><meta name=\"color-scheme\" content=\"{}\"/><title>{}</title><style>{STYLE}{PAGE_CSS}</style></head>\n<body class=\"{}\">\n<h1>{}</h1>",
            lang.code(),
            match theme {
                Theme::Auto => "light dark",
                Theme::Light => "light",
                Theme::Dark => "dark",
            },
            esc(title),
            root_class(theme),
            esc(title)
        );
        self.summary_section(&mut h, summary);
        // Traffic.
        let _ = writeln!(
            h,
            "<section id=\"traffic\"><h2>{}</h2>",
            esc(self.l("Traffic over time by component"))
        );
        if self.traffic.bins() > 0 {
            h.push_str(&chart::time_series(
                &self.traffic,
                self.l("Traffic over time by component"),
                self.l("bytes per second"),
                theme,
                true,
            ));
        }
        let _ = write!(
            h,
            "\n<table><tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>",
            esc(self.l("component")),
            esc(self.l("bytes")),
            esc(self.l("connections")),
            esc(self.l("refused"))
        );
        let series = self.traffic.series();
        for (name, _, total) in &series {
            let (conns, refused) = self.connections.get(*name).copied().unwrap_or((0, 0));
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{conns}</td><td class=\"n\">{refused}</td></tr>",
                esc(name),
                esc(&human_bytes(*total))
            );
        }
        h.push_str("</table></section>\n");
        self.calls_section(&mut h, &rows, hists);
        self.tls_section(&mut h);
        // Election.
        let _ = writeln!(
            h,
            "<section id=\"election\"><h2>{}</h2>",
            esc(self.l("Election"))
        );
        h.push_str(&render_timeline(
            &self.election.timeline(),
            PicOptions {
                theme,
                lang,
                style: false,
            },
        ));
        h.push_str("</section>\n");
        self.problems_section(&mut h, summary);
        let _ = writeln!(
            h,
            "<footer>{} {} {}</footer>\n</body></html>",
            esc(self.l("Generated by kinspect from")),
            esc(&self.options.files.join(", ")),
            esc(&format!("(kinspect {})", env!("CARGO_PKG_VERSION")))
        );
        h
    }

    fn summary_section(&self, h: &mut String, s: &Summary) {
        let _ = write!(
            h,
            "<section id=\"summary\"><h2>{}</h2><table>",
            esc(self.l("Capture"))
        );
        let mut row = |k: &str, v: String| {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        };
        row(self.l("files"), self.options.files.join(", "));
        row(
            self.l("packets"),
            format!(
                "{} ({} tcp, {} udp, {} other ip)",
                s.packets, s.tcp_packets, s.udp_packets, s.other_ip_packets
            ),
        );
        row(
            self.l("bytes"),
            format!("{} ({})", s.bytes, human_bytes(s.bytes)),
        );
        row(self.l("flows"), s.flows.to_string());
        if let (Some(a), Some(b)) = (self.first, self.last) {
            row(self.l("first packet"), a.to_string());
            row(self.l("last packet"), b.to_string());
            row(self.l("duration"), human_duration(b.0.saturating_sub(a.0)));
        }
        h.push_str("</table></section>\n");
    }

    fn calls_section(&self, h: &mut String, table: &[RpcRow], hists: Vec<(HistKey, Vec<u64>)>) {
        let _ = writeln!(
            h,
            "<section id=\"calls\"><h2>{}</h2>",
            esc(self.l("Calls per method"))
        );
        if table.is_empty() {
            let _ = writeln!(h, "<p>{}</p></section>", esc(self.l("no calls")));
            return;
        }
        if self.calls.bins() > 0 {
            h.push_str(&chart::time_series(
                &self.calls,
                self.l("calls per second"),
                self.l("calls per second"),
                self.options.theme,
                true,
            ));
        }
        let _ = write!(
            h,
            "\n<table><tr><th>{}</th><th>proto</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">p50 ms</th><th class=\"n\">p90 ms</th><th class=\"n\">p99 ms</th><th class=\"n\">max ms</th></tr>",
            esc(self.l("method")),
            esc(self.l("calls")),
            esc(self.l("errors"))
        );
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        for r in table {
            let _ = write!(
                h,
                "<tr><td class=\"w\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.method),
                match r.protocol {
                    super::rpc::RpcProtocol::Grpc => "grpc",
                    super::rpc::RpcProtocol::Http => "http",
                },
                r.calls,
                if r.errors > 0 { " bad" } else { "" },
                r.errors,
                ms(r.p50_ms),
                ms(r.p90_ms),
                ms(r.p99_ms),
                ms(r.max_ms)
            );
        }
        h.push_str("</table>\n");
        let _ = write!(
            h,
            "<h3>{}</h3><div class=\"grid\">",
            esc(self.l("Latency histograms"))
        );
        let hists: BTreeMap<(String, u8), Vec<u64>> = hists
            .into_iter()
            .map(|((p, m, _), c)| ((m, p as u8), c))
            .collect();
        let labels: Vec<String> = std::iter::once("<0.1 ms".to_string())
            .chain(HISTOGRAM_EDGES_US.iter().map(|e| {
                if *e >= 1_000_000 {
                    format!("≥{} s", e / 1_000_000)
                } else if *e >= 1000 {
                    format!("≥{} ms", e / 1000)
                } else {
                    format!("≥{} ms", *e as f64 / 1000.0)
                }
            }))
            .collect();
        for r in table
            .iter()
            .filter(|r| r.p50_ms.is_some())
            .take(MAX_HISTOGRAMS)
        {
            if let Some(c) = hists.get(&(r.method.clone(), r.protocol as u8)) {
                let title = format!("{} ({} {})", r.method, r.calls, self.l("calls"));
                h.push_str(&chart::histogram(&title, &labels, c, self.options.theme));
            }
        }
        h.push_str("</div></section>\n");
    }

    fn tls_section(&self, h: &mut String) {
        let _ = writeln!(
            h,
            "<section id=\"tls\"><h2>{}</h2>",
            esc(self.l("TLS sessions"))
        );
        if self.tls.is_empty() {
            let _ = writeln!(h, "<p>{}</p></section>", esc(self.l("no TLS sessions")));
            return;
        }
        let _ = write!(
            h,
            "<div class=\"wide\"><table><tr><th class=\"n\">#</th><th>{}</th><th>SNI</th><th>{}</th><th>{}</th><th>{} ({})</th><th>{} ({})</th><th>{}</th><th>{}</th></tr>",
            esc(self.l("server")),
            esc(self.l("version")),
            esc(self.l("cipher")),
            esc(self.l("certificate")),
            esc(self.l("server")),
            esc(self.l("certificate")),
            esc(self.l("client")),
            esc(self.l("alerts")),
            esc(self.l("verdict"))
        );
        let mut rows: Vec<(&TlsKey, &(u64, bool))> = self.tls.iter().collect();
        rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        for (k, (n, bad)) in rows {
            let cert_bad = k.server_cert.contains("EXPIRED")
                || k.server_cert.contains("NOT YET")
                || k.server_cert.contains("not in SANs");
            let _ = write!(
                h,
                "<tr><td class=\"n\">{n}</td><td>{}<br/><span class=\"m\">{}</span></td><td>{}</td><td>{}</td><td class=\"w\">{}</td><td class=\"w{}\">{}</td><td class=\"w\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&k.server),
                esc(&k.component),
                esc(&k.sni),
                esc(&k.version),
                esc(&k.cipher),
                if cert_bad { " bad" } else { "" },
                esc(&k.server_cert),
                esc(&k.client_cert),
                esc(&k.alerts),
                if *bad { "bad" } else { "ok" },
                esc(&k.verdict)
            );
        }
        h.push_str("</table></div>");
        let _ = write!(
            h,
            "<p class=\"m\">{} {}",
            self.tls_sessions,
            esc(self.l("TLS sessions"))
        );
        if self.tls_not_listed > 0 {
            let _ = write!(
                h,
                "; {} {}",
                self.tls_not_listed,
                esc(self.l("more not shown"))
            );
        }
        h.push_str("</p></section>\n");
    }

    fn problems_section(&self, h: &mut String, s: &Summary) {
        let _ = write!(
            h,
            "<section id=\"problems\"><h2>{}</h2><table>",
            esc(self.l("Undecodable packets and gaps"))
        );
        let undecodable = if s.undecodable.is_empty() {
            self.l("none").to_string()
        } else {
            s.undecodable
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            h,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(self.l("undecodable")),
            esc(&undecodable)
        );
        let _ = write!(
            h,
            "<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>",
            esc(self.l("gaps")),
            self.gap_events,
            esc(self.l("bytes missing in gaps")),
            s.gap_bytes
        );
        for w in s.warnings.iter().chain(&s.warnings_soft) {
            let _ = write!(
                h,
                "<tr><th>{}</th><td class=\"bad\">{}</td></tr>",
                esc(self.l("warnings")),
                esc(w)
            );
        }
        h.push_str("</table>");
        if !self.gaps.is_empty() {
            h.push_str(
                "<table><tr><th>ts</th><th>src</th><th>dst</th><th class=\"n\">bytes</th></tr>",
            );
            for (ts, a, b, n) in &self.gaps {
                let _ = write!(
                    h,
                    "<tr><td>{ts}</td><td>{}</td><td>{}</td><td class=\"n\">{n}</td></tr>",
                    esc(a),
                    esc(b)
                );
            }
            h.push_str("</table>");
        }
        h.push_str("</section>\n");
    }
}

const PAGE_CSS: &str = r#"
body{background:var(--bg);color:var(--fg);font-family:sans-serif;margin:16px 24px;max-width:1240px}
h1{font-size:24px}h2{font-size:19px;margin-top:28px;border-bottom:1px solid var(--grid)}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border-bottom:1px solid var(--grid);padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.w{max-width:360px;overflow-wrap:anywhere}
.bad{color:var(--bad);font-weight:bold}.ok{color:var(--ok)}
.m,p.m{color:var(--muted);font-size:12px}
.wide{overflow-x:auto}
.grid{display:flex;flex-wrap:wrap;gap:12px}
svg{max-width:100%;height:auto;display:block;margin:6px 0}
footer{margin-top:32px;color:var(--muted);font-size:12px}
"#;

impl Observer for ReportView {
    fn event(&mut self, e: &Event) {
        self.election.event(e);
        if let Some(call) = call_of(e) {
            self.calls.add(e.ts, &call.method, 1);
            self.rpc.add(&call);
            return;
        }
        match &e.kind {
            EventKind::Tls(TlsEvent::TlsSession(s)) => {
                self.tls_sessions += 1;
                let version = s
                    .version
                    .as_deref()
                    .map(|v| v.trim_start_matches("TLS ").to_string())
                    .unwrap_or_else(|| "-".into());
                let key = TlsKey {
                    server: s.server.clone(),
                    component: s.component.clone(),
                    sni: s.sni.clone().unwrap_or_else(|| "-".into()),
                    version,
                    cipher: s.cipher.clone().unwrap_or_else(|| "-".into()),
                    client_cert: if s.client_certificates.is_empty() {
                        "-".into()
                    } else {
                        cert_cell(&s.client_certificates)
                    },
                    server_cert: cert_cell(&s.certificates),
                    alerts: if s.alerts.is_empty() {
                        "-".into()
                    } else {
                        s.alerts
                            .iter()
                            .map(|a| format!("{}:{}", a.from.name(), a.description))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    verdict: s.verdict.clone(),
                };
                let bad = !s.verdict.starts_with("ok");
                if let Some(v) = self.tls.get_mut(&key) {
                    v.0 += 1;
                } else if self.tls.len() < MAX_TLS_GROUPS {
                    self.tls.insert(key, (1, bad));
                } else {
                    self.tls_not_listed += 1;
                }
            }
            EventKind::Gap { bytes, .. } => {
                self.gap_events += 1;
                if self.gaps.len() < MAX_GAPS_LISTED {
                    self.gaps
                        .push((e.ts, e.src.to_string(), e.dst.to_string(), *bytes));
                }
            }
            _ => {}
        }
    }

    fn flow(&mut self, f: &FlowRecord) {
        self.election.flow(f);
        let c = self.connections.entry(f.component.name()).or_default();
        c.0 += 1;
        if f.end == crate::event::End::Rst
            && f.client_bytes == 0
            && f.server_bytes == 0
            && f.server_packets <= 1
        {
            c.1 += 1;
        }
    }

    fn packet(&mut self, ts: Timestamp, origlen: u32, src_port: u16, dst_port: u16) {
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        self.calls.anchor(ts);
        let c = component_of(src_port, dst_port);
        self.traffic.add(ts, c.name(), u64::from(origlen));
    }
}

//! The Raft election timeline as SVG: one lane per member, terms as
//! coloured bands with their number written, the leader of each term as a
//! bar in its lane, heartbeats/appends as ticks, votes as arrows from the
//! voter to the candidate (granted: solid with ✓; rejected: dashed with
//! ✗), the time without a leader shaded with its duration written on it,
//! transfers (MsgTimeoutNow) told apart from elections, and members that
//! refused connections drawn as out. Below the whole run, one zoomed panel
//! per leader change (elections take milliseconds; a run takes seconds),
//! then every term in words.
//!
//! [`Timeline`] is the input; `pcap election` builds it from peer traffic
//! ([`crate::view::ElectionView::timeline`]) and `etcd watch-leader` from
//! its probes (no ticks or votes there).

use super::{Lang, Svg, Theme, num, preamble, root_class};
use crate::timestamp::Timestamp;

/// One member.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub id: u64,
    /// The name kinspect uses for it (member name, else peer URL), if known.
    pub name: Option<String>,
}

impl Lane {
    /// `m3` / the peer URL / the hex id.
    pub fn short(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{:016x}", self.id))
    }
    /// `c234f5b646e30ec4 (m3)`, as the election table writes it.
    pub fn full(&self) -> String {
        match &self.name {
            Some(n) => format!("{:016x} ({n})", self.id),
            None => format!("{:016x}", self.id),
        }
    }
}

/// How a term's leader came to lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Election,
    Transfer,
    /// Already leading when the record began.
    Observed,
    /// Campaigns, no leader.
    Failed,
    /// A new leader while the old one still answered (watch-leader cannot
    /// tell a step-down from a transfer).
    LeaderAlive,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::Election => "election",
            Reason::Transfer => "transfer",
            Reason::Observed => "observed",
            Reason::Failed => "no leader elected",
            Reason::LeaderAlive => "old leader alive: stepped down or transferred",
        }
    }
}

/// One term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermSpan {
    pub term: u64,
    /// When the term began (its campaign, else its leader's first message).
    pub start: Timestamp,
    /// The next term's start, or the end of the record.
    pub end: Timestamp,
    /// Lane index of the leader.
    pub leader: Option<usize>,
    /// The leader's first and last message (or probe) at this term.
    pub led_from: Option<Timestamp>,
    pub led_to: Option<Timestamp>,
    pub reason: Reason,
    /// Time without a leader before this term's leader: from the previous
    /// leader's last message to this leader's first, in ms.
    pub no_leader: Option<(Timestamp, f64)>,
    pub granted: Vec<usize>,
    pub rejected: Vec<usize>,
}

/// What a member sent as leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TickKind {
    Heartbeat,
    Append,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    pub lane: usize,
    pub ts: Timestamp,
    pub kind: TickKind,
}

/// A vote: voter → candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote {
    pub ts: Timestamp,
    pub term: u64,
    pub voter: usize,
    pub candidate: usize,
    pub granted: bool,
    pub pre: bool,
}

/// A member asking for votes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Campaign {
    pub ts: Timestamp,
    pub term: u64,
    pub lane: usize,
    pub pre: bool,
}

/// MsgTimeoutNow: the leader hands over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    pub ts: Timestamp,
    pub term: u64,
    pub from: usize,
    pub to: usize,
}

/// A member unreachable: connections to it refused (or probes failing).
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub lane: usize,
    pub from: Timestamp,
    pub to: Timestamp,
    pub refused: u64,
    pub reset: u64,
    /// Free text instead of counts (watch-leader's error).
    pub note: Option<String>,
}

/// Everything the picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub start: Timestamp,
    pub end: Timestamp,
    pub lanes: Vec<Lane>,
    pub terms: Vec<TermSpan>,
    pub ticks: Vec<Tick>,
    pub votes: Vec<Vote>,
    pub campaigns: Vec<Campaign>,
    pub transfers: Vec<Transfer>,
    pub outages: Vec<Outage>,
    /// Where the data came from (`pcap`: messages; `probes`: watch-leader).
    pub source: &'static str,
}

/// Options of a rendering.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub theme: Theme,
    pub lang: Lang,
    /// Include the stylesheet (false when embedded in a page that has it).
    pub style: bool,
}

const W: f64 = 1280.0;
const LEFT: f64 = 210.0;
const RIGHT: f64 = 24.0;
const PW: f64 = W - LEFT - RIGHT;
/// Zoomed panels drawn at most.
const MAX_ZOOMS: usize = 6;

/// Duration in ms as the election table writes it.
pub fn ms_text(ms: f64) -> String {
    format!("{ms:.1} ms")
}

fn secs_between(a: Timestamp, b: Timestamp) -> f64 {
    b.0.saturating_sub(a.0) as f64 / 1e9
}

/// A time window mapped onto the plot's x range.
#[derive(Clone, Copy)]
struct Window {
    t0: i64,
    t1: i64,
}

impl Window {
    fn x(&self, ts: Timestamp) -> f64 {
        let span = self.t1.saturating_sub(self.t0).max(1) as f64;
        LEFT + (ts.0.saturating_sub(self.t0) as f64 / span * PW).clamp(-2.0, PW + 2.0)
    }
    fn contains(&self, ts: Timestamp) -> bool {
        ts.0 >= self.t0 && ts.0 <= self.t1
    }
    fn overlaps(&self, a: Timestamp, b: Timestamp) -> bool {
        a.0 <= self.t1 && b.0 >= self.t0
    }
}

/// A step for axis labels: 1, 2 or 5 × 10^k seconds, about 8 per axis.
fn axis_step(span_s: f64) -> f64 {
    let raw = (span_s / 8.0).max(1e-6);
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

/// `+1.25 s` with as many decimals as the step needs.
fn rel_label(s: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("+{s:.decimals$} s")
}

struct Ctx<'a> {
    t: &'a Timeline,
    o: Options,
    svg: Svg,
}

impl Ctx<'_> {
    fn l(&self, k: &'static str) -> &'static str {
        self.o.lang.t(k)
    }

    fn lane_name(&self, i: usize) -> String {
        self.t
            .lanes
            .get(i)
            .map(Lane::short)
            .unwrap_or_else(|| "?".into())
    }

    fn term_label(&self, s: &TermSpan) -> String {
        let mut text = format!("{} {}", self.l("term"), s.term);
        if let Some(l) = s.leader {
            text.push_str(&format!(" · {} {}", self.l("leader"), self.lane_name(l)));
        }
        text.push_str(&format!(" · {}", self.l(s.reason.label())));
        text
    }

    /// Lanes, bands, marks for one window; returns the height used.
    fn panel(&mut self, y0: f64, lane_h: f64, win: Window, detailed: bool, title: &str) -> f64 {
        let t = self.t;
        let header = 30.0;
        let lanes_y = y0 + header + 4.0;
        let lanes_h = lane_h * t.lanes.len().max(1) as f64;
        let bottom = lanes_y + lanes_h;
        self.svg.open("g", &[("class", "k-panel".into())]);
        self.svg.text(10.0, y0 + 14.0, "k-tb", "start", title);
        // Lanes.
        for (i, lane) in t.lanes.iter().enumerate() {
            let y = lanes_y + i as f64 * lane_h;
            let class = if i % 2 == 0 { "k-lane" } else { "k-lane2" };
            self.svg.rect(0.0, y, W, lane_h, class);
            self.svg.open("g", &[("class", "k-lane-label".into())]);
            self.svg
                .text(10.0, y + lane_h / 2.0 - 2.0, "k-tb", "start", &lane.short());
            if lane.name.is_some() {
                self.svg.text(
                    10.0,
                    y + lane_h / 2.0 + 13.0,
                    "k-m",
                    "start",
                    &format!("{:016x}", lane.id),
                );
            }
            self.svg.close();
        }
        // Term bands (behind everything else in the plot).
        for s in &t.terms {
            if !win.overlaps(s.start, s.end) {
                continue;
            }
            let (x1, x2) = (win.x(s.start), win.x(s.end));
            let band = format!("k-band{}", s.term % 6);
            self.svg.rect(
                x1,
                y0 + header - 12.0,
                (x2 - x1).max(1.0),
                lanes_h + 16.0,
                &band,
            );
            self.svg.line(x1, y0 + header - 12.0, x1, bottom, "k-grid");
            let w = x2 - x1.max(LEFT);
            let text = self.term_label(s);
            let tx = x1.max(LEFT) + 4.0;
            if w > text.chars().count() as f64 * 6.6 {
                self.svg.text(tx, y0 + header, "k-t", "start", &text);
            } else if w > 30.0 {
                self.svg.text(
                    tx,
                    y0 + header,
                    "k-t",
                    "start",
                    &format!("{} {}", self.l("term"), s.term),
                );
            } else if w > 10.0 {
                self.svg
                    .text(tx, y0 + header, "k-m", "start", &s.term.to_string());
            }
        }
        // Outages.
        for o in &t.outages {
            if !win.overlaps(o.from, o.to) {
                continue;
            }
            let y = lanes_y + o.lane as f64 * lane_h;
            let (x1, x2) = (win.x(o.from), win.x(o.to));
            self.svg
                .rect(x1, y + 4.0, (x2 - x1).max(3.0), lane_h - 8.0, "k-out");
            let mut text = format!(
                "{} {}",
                self.l("unreachable"),
                human_secs(secs_between(o.from, o.to))
            );
            match &o.note {
                Some(n) => text.push_str(&format!(" ({n})")),
                None => {
                    let mut parts = Vec::new();
                    if o.refused > 0 {
                        parts.push(format!("{} {}", o.refused, self.l("refused")));
                    }
                    if o.reset > 0 {
                        parts.push(format!("{} {}", o.reset, self.l("reset")));
                    }
                    if !parts.is_empty() {
                        text.push_str(&format!(" ({})", parts.join(", ")));
                    }
                }
            }
            let tx = x1.max(LEFT) + 4.0;
            self.svg
                .text(tx, y + lane_h - 8.0, "k-outt", "start", &text);
        }
        // Leaders.
        for s in &t.terms {
            let (Some(l), Some(a)) = (s.leader, s.led_from) else {
                continue;
            };
            let b = s.led_to.unwrap_or(s.end);
            if !win.overlaps(a, b) {
                continue;
            }
            let y = lanes_y + l as f64 * lane_h;
            let (x1, x2) = (win.x(a), win.x(b));
            let cls = format!("k-lead{}", s.term % 6);
            self.svg
                .rect(x1, y + lane_h - 14.0, (x2 - x1).max(2.0), 8.0, &cls);
            let label = format!("★ {} ({} {})", self.l("leader"), self.l("term"), s.term);
            let tx = x1.max(LEFT) + 2.0;
            if x2 - tx > label.chars().count() as f64 * 6.5 {
                self.svg.text(tx, y + lane_h - 18.0, "k-t", "start", &label);
            } else if x2 - tx > 10.0 || detailed {
                self.svg.text(tx, y + lane_h - 18.0, "k-t", "start", "★");
            }
        }
        // Heartbeats and appends: ticks at the top of the sender's lane.
        for tk in &t.ticks {
            if !win.contains(tk.ts) {
                continue;
            }
            let y = lanes_y + tk.lane as f64 * lane_h;
            let x = win.x(tk.ts);
            match tk.kind {
                TickKind::Heartbeat => self.svg.line(x, y + 3.0, x, y + 11.0, "k-hb"),
                TickKind::Append => self.svg.line(x, y + 3.0, x, y + 15.0, "k-app"),
            }
        }
        // Time without a leader, over every lane.
        let mut nl_row = 0;
        for s in &t.terms {
            let Some((from, ms)) = s.no_leader else {
                continue;
            };
            let to = s.led_from.unwrap_or(s.start);
            if !win.overlaps(from, to) {
                continue;
            }
            let (x1, x2) = (win.x(from), win.x(to));
            self.svg
                .rect(x1, lanes_y, (x2 - x1).max(3.0), lanes_h, "k-nl");
            let text = format!("{} {}", self.l("no leader"), ms_text(ms));
            let anchor_right = x2 + text.chars().count() as f64 * 7.0 > W - RIGHT;
            let (tx, anchor) = if anchor_right {
                (x1 - 4.0, "end")
            } else {
                (x2 + 4.0, "start")
            };
            let ty = lanes_y + 14.0 + f64::from(nl_row % 2) * 14.0;
            nl_row += 1;
            self.svg.text(tx, ty, "k-nlt", anchor, &text);
        }
        // Campaigns, votes and transfers.
        let lane_mid = |i: usize| lanes_y + i as f64 * lane_h + lane_h / 2.0;
        for c in &t.campaigns {
            if !win.contains(c.ts) {
                continue;
            }
            let (x, y) = (win.x(c.ts), lane_mid(c.lane));
            self.svg.el(
                "circle",
                &[
                    ("cx", num(x)),
                    ("cy", num(y)),
                    ("r", if c.pre { "3".into() } else { "5".into() }),
                    ("class", "k-camp".into()),
                ],
            );
            if detailed {
                let what = if c.pre {
                    self.l("pre-vote")
                } else {
                    self.l("campaign")
                };
                self.svg.text(
                    x - 7.0,
                    y + 4.0,
                    "k-t",
                    "end",
                    &format!("{what} ({} {})", self.l("term"), c.term),
                );
            }
        }
        for v in &t.votes {
            if !win.contains(v.ts) {
                continue;
            }
            let x = win.x(v.ts);
            let (y1, y2) = (lane_mid(v.voter), lane_mid(v.candidate));
            let dir = if y2 > y1 { 1.0 } else { -1.0 };
            let (cls, marker, mark) = if v.granted {
                ("k-yes", "url(#k-ay)", "✓")
            } else {
                ("k-no", "url(#k-an)", "✗")
            };
            let mut class = cls.to_string();
            if v.pre {
                class.push_str(" k-pre");
            }
            self.svg.el(
                "line",
                &[
                    ("x1", num(x)),
                    ("y1", num(y1 + dir * 6.0)),
                    ("x2", num(x)),
                    ("y2", num(y2 - dir * 7.0)),
                    ("class", class),
                    ("marker-end", marker.into()),
                ],
            );
            let tcls = if v.granted { "k-yest" } else { "k-not" };
            let text = if detailed {
                let word = if v.granted {
                    self.l("granted")
                } else {
                    self.l("rejected")
                };
                if v.pre {
                    format!("{mark} {} {word}", self.l("pre-vote"))
                } else {
                    format!("{mark} {word}")
                }
            } else {
                mark.to_string()
            };
            self.svg
                .text(x + 4.0, y1 + dir * 16.0 + 4.0, tcls, "start", &text);
        }
        for tr in &t.transfers {
            if !win.contains(tr.ts) {
                continue;
            }
            let x = win.x(tr.ts);
            let (y1, y2) = (lane_mid(tr.from), lane_mid(tr.to));
            let dir = if y2 > y1 { 1.0 } else { -1.0 };
            self.svg.el(
                "line",
                &[
                    ("x1", num(x)),
                    ("y1", num(y1 + dir * 6.0)),
                    ("x2", num(x)),
                    ("y2", num(y2 - dir * 7.0)),
                    ("class", "k-xfer".into()),
                    ("marker-end", "url(#k-ay)".into()),
                ],
            );
            self.svg.text(
                x - 4.0,
                (y1 + y2) / 2.0,
                "k-xfert",
                "end",
                self.l("TimeoutNow"),
            );
        }
        // Time axis.
        let span = win.t1.saturating_sub(win.t0).max(1) as f64 / 1e9;
        let step = axis_step(span);
        let rel0 = win.t0.saturating_sub(t.start.0) as f64 / 1e9;
        let first = (rel0 / step).ceil() as i64;
        let last = ((rel0 + span) / step).floor() as i64;
        for k in first..=last.min(first.saturating_add(40)) {
            let s = k as f64 * step;
            let x = LEFT + (s - rel0) / span * PW;
            self.svg.line(x, bottom, x, bottom + 5.0, "k-grid");
            self.svg
                .text(x, bottom + 18.0, "k-m", "middle", &rel_label(s, step));
        }
        self.svg.line(LEFT, bottom, LEFT + PW, bottom, "k-grid");
        self.svg.close();
        bottom + 26.0 - y0
    }
}

/// `1.3 s`, `250 ms`.
fn human_secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.1} s")
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

/// The whole picture.
pub fn render_timeline(t: &Timeline, o: Options) -> String {
    if t.lanes.is_empty() {
        let title = o.lang.t("etcd Raft election timeline");
        let mut svg = Svg::new(W, 70.0, root_class(o.theme), title);
        preamble(&mut svg, o.style);
        svg.rect(0.0, 0.0, W, 70.0, "k-bg");
        svg.text(10.0, 24.0, "k-h", "start", title);
        svg.text(10.0, 50.0, "k-t", "start", o.lang.t("no Raft leader seen"));
        return svg.finish();
    }
    let lane_h = 58.0;
    let zoom_lane_h = 46.0;
    let n = t.lanes.len().max(1) as f64;
    let zooms: Vec<&TermSpan> = t
        .terms
        .iter()
        .filter(|s| s.reason != Reason::Observed && (s.no_leader.is_some() || s.led_from.is_some()))
        .take(MAX_ZOOMS)
        .collect();
    let main_h = 30.0 + 4.0 + lane_h * n + 26.0;
    let zoom_h = 30.0 + 4.0 + zoom_lane_h * n + 26.0;
    let legend_h = 30.0;
    let words_h = 20.0 * t.terms.len().clamp(1, 200) as f64 + 30.0;
    let height = 60.0 + main_h + legend_h + (zoom_h + 14.0) * zooms.len() as f64 + words_h;
    let lang = o.lang;
    let title = lang.t("etcd Raft election timeline");
    let mut svg = Svg::new(W, height, root_class(o.theme), title);
    preamble(&mut svg, o.style);
    svg.rect(0.0, 0.0, W, height, "k-bg");
    svg.text(10.0, 24.0, "k-h", "start", title);
    let span = secs_between(t.start, t.end);
    svg.text(
        10.0,
        44.0,
        "k-m",
        "start",
        &format!(
            "{} … {} ({}); {}: {}",
            t.start,
            t.end,
            human_secs(span.max(0.0)),
            lang.t("members"),
            t.lanes
                .iter()
                .map(Lane::full)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let mut c = Ctx { t, o, svg };
    let whole = Window {
        t0: t.start.0,
        t1: t.end.0.max(t.start.0.saturating_add(1)),
    };
    let mut y = 56.0;
    y += c.panel(y, lane_h, whole, false, "");
    // Legend.
    legend(&mut c, y + 8.0);
    y += legend_h;
    for s in zooms {
        let from = s
            .no_leader
            .map(|(f, _)| f)
            .into_iter()
            .chain(
                t.campaigns
                    .iter()
                    .filter(|c| c.term == s.term)
                    .map(|c| c.ts),
            )
            .chain(
                t.transfers
                    .iter()
                    .filter(|x| x.term + 1 == s.term)
                    .map(|x| x.ts),
            )
            .min()
            .unwrap_or(s.start);
        let to = s.led_from.unwrap_or(s.start).max(from);
        let span = to.0.saturating_sub(from.0).max(1_000_000);
        let pad = span / 4 + 200_000;
        let win = Window {
            t0: from.0.saturating_sub(pad),
            t1: to.0.saturating_add(pad),
        };
        let title = format!(
            "{}: {} ({} … {})",
            lang.t("zoom"),
            c.term_label(s),
            rel_label(secs_between(t.start, Timestamp(win.t0)), 0.001),
            rel_label(secs_between(t.start, Timestamp(win.t1)), 0.001),
        );
        y += 14.0;
        y += c.panel(y, zoom_lane_h, win, true, &title);
    }
    // Every term in words.
    y += 20.0;
    c.svg.open("g", &[("class", "k-terms".into())]);
    if t.terms.is_empty() {
        c.svg
            .text(10.0, y, "k-t", "start", lang.t("no Raft leader seen"));
    }
    for s in t.terms.iter().take(200) {
        let mut line = format!("{} {}: ", lang.t("term"), s.term);
        match s.leader {
            Some(l) => line.push_str(&format!(
                "{} {}",
                lang.t("leader"),
                t.lanes.get(l).map(Lane::full).unwrap_or_default()
            )),
            None => line.push_str(lang.t("no leader elected")),
        }
        line.push_str(&format!(" · {}", lang.t(s.reason.label())));
        if let Some((_, ms)) = s.no_leader {
            line.push_str(&format!(" · {} {}", lang.t("no leader"), ms_text(ms)));
        }
        if let Some(a) = s.led_from {
            line.push_str(&format!(
                " · {}",
                rel_label(secs_between(t.start, a), 0.001)
            ));
        }
        let names = |v: &[usize]| {
            v.iter()
                .map(|i| t.lanes.get(*i).map(Lane::short).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !s.granted.is_empty() {
            line.push_str(&format!(
                " · ✓ {}: {}",
                lang.t("granted"),
                names(&s.granted)
            ));
        }
        if !s.rejected.is_empty() {
            line.push_str(&format!(
                " · ✗ {}: {}",
                lang.t("rejected"),
                names(&s.rejected)
            ));
        }
        c.svg.text(10.0, y, "k-t", "start", &line);
        y += 20.0;
    }
    c.svg.close();
    c.svg.finish()
}

fn legend(c: &mut Ctx<'_>, y: f64) {
    let mut x = 10.0;
    let mut item = |c: &mut Ctx<'_>, draw: &dyn Fn(&mut Svg, f64), label: &str| {
        draw(&mut c.svg, x);
        c.svg.text(x + 26.0, y + 4.0, "k-t", "start", label);
        x += 34.0 + label.chars().count() as f64 * 7.0;
    };
    c.svg.open("g", &[("class", "k-legend".into())]);
    let l = c.o.lang;
    item(
        c,
        &|s, x| s.rect(x, y - 5.0, 20.0, 8.0, "k-lead2"),
        l.t("leader"),
    );
    item(
        c,
        &|s, x| s.line(x + 10.0, y - 6.0, x + 10.0, y + 4.0, "k-hb"),
        l.t("heartbeat"),
    );
    item(
        c,
        &|s, x| s.line(x + 10.0, y - 8.0, x + 10.0, y + 6.0, "k-app"),
        l.t("append"),
    );
    let granted = format!("✓ {}", l.t("granted"));
    item(c, &|s, x| s.line(x, y, x + 20.0, y, "k-yes"), &granted);
    let rejected = format!("✗ {}", l.t("rejected"));
    item(c, &|s, x| s.line(x, y, x + 20.0, y, "k-no"), &rejected);
    item(
        c,
        &|s, x| s.rect(x, y - 6.0, 20.0, 12.0, "k-nl"),
        l.t("no leader"),
    );
    item(
        c,
        &|s, x| s.line(x, y, x + 20.0, y, "k-xfer"),
        l.t("TimeoutNow"),
    );
    item(
        c,
        &|s, x| s.rect(x, y - 6.0, 20.0, 12.0, "k-out"),
        l.t("unreachable"),
    );
    c.svg
        .text(x, y + 4.0, "k-m", "start", l.t("vote (voter → candidate)"));
    c.svg.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(axis_step(10.0), 2.0);
        assert_eq!(axis_step(0.008), 0.001);
        assert_eq!(rel_label(1.5, 0.5), "+1.5 s");
        assert_eq!(rel_label(2.0, 2.0), "+2 s");
    }

    #[test]
    fn empty_timeline_renders_and_says_so() {
        let t = Timeline {
            start: Timestamp(0),
            end: Timestamp(0),
            lanes: vec![],
            terms: vec![],
            ticks: vec![],
            votes: vec![],
            campaigns: vec![],
            transfers: vec![],
            outages: vec![],
            source: "pcap",
        };
        let o = Options {
            theme: Theme::Auto,
            lang: Lang::En,
            style: true,
        };
        let s = render_timeline(&t, o);
        assert!(s.contains(">no Raft leader seen</text>"));
    }
}

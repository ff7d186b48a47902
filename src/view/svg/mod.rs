//! Pictures: a small SVG writer of our own (elements, attributes, text
//! escaped for XML), the light/dark palette, English/Korean labels, and
//! the drawings built on them: the Raft election timeline
//! ([`election`]) and the charts of the HTML report ([`chart`]).
//!
//! Output is deterministic: the same data gives the same bytes (numbers
//! are written with fixed precision, nothing depends on the clock or on
//! hash order).

pub mod chart;
pub mod election;
pub mod i18n;

use std::fmt::Write as _;

pub use election::{Timeline, render_timeline};
pub use i18n::{Lang, Theme};

/// Escapes text for XML character data and attribute values. Characters
/// XML 1.0 does not allow (C0 controls other than tab/newline/CR, U+FFFE,
/// U+FFFF) become U+FFFD, so names taken from a capture cannot break the
/// document.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal (`12`, `12.5`), so output does
/// not depend on float noise.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Builds an SVG document as a string.
pub struct Svg {
    buf: String,
    open: Vec<&'static str>,
}

impl Svg {
    /// `<svg>` of the given size with its stylesheet; `class` goes on the
    /// root (theme classes).
    pub fn new(width: f64, height: f64, class: &str, title: &str) -> Svg {
        let mut s = Svg {
            buf: String::with_capacity(64 * 1024),
            open: Vec::new(),
        };
        let _ = write!(
            s.buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" class=\"{c}\" role=\"img\" font-family=\"sans-serif\">",
            w = num(width),
            h = num(height),
            c = esc(class)
        );
        s.open.push("svg");
        s.el_text("title", &[], title);
        s
    }

    /// Raw, already valid markup (the stylesheet, definitions).
    pub fn raw(&mut self, markup: &str) {
        self.buf.push_str(markup);
    }

    fn attrs(&mut self, attrs: &[(&str, String)]) {
        for (k, v) in attrs {
            let _ = write!(self.buf, " {k}=\"{}\"", esc(v));
        }
    }

    /// Opens `<tag ...>`; close it with [`Svg::close`].
    pub fn open(&mut self, tag: &'static str, attrs: &[(&str, String)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push('>');
        self.open.push(tag);
    }

    pub fn close(&mut self) {
        if let Some(tag) = self.open.pop() {
            let _ = write!(self.buf, "</{tag}>");
        }
    }

    /// An empty element `<tag .../>`.
    pub fn el(&mut self, tag: &str, attrs: &[(&str, String)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push_str("/>");
    }

    /// An element holding text.
    pub fn el_text(&mut self, tag: &str, attrs: &[(&str, String)], text: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push('>');
        self.buf.push_str(&esc(text));
        let _ = write!(self.buf, "</{tag}>");
    }

    /// `<text>` at (x, y) with a class and an anchor (`start|middle|end`).
    pub fn text(&mut self, x: f64, y: f64, class: &str, anchor: &str, s: &str) {
        let mut a = vec![("x", num(x)), ("y", num(y)), ("class", class.to_string())];
        if anchor != "start" {
            a.push(("text-anchor", anchor.to_string()));
        }
        self.el_text("text", &a, s);
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, class: &str) {
        self.el(
            "rect",
            &[
                ("x", num(x)),
                ("y", num(y)),
                ("width", num(w.max(0.0))),
                ("height", num(h.max(0.0))),
                ("class", class.to_string()),
            ],
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str) {
        self.el(
            "line",
            &[
                ("x1", num(x1)),
                ("y1", num(y1)),
                ("x2", num(x2)),
                ("y2", num(y2)),
                ("class", class.to_string()),
            ],
        );
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.buf.push('\n');
        self.buf
    }
}

/// The stylesheet shared by every picture: CSS variables for the light
/// and the dark palette. `Theme::Auto` follows `prefers-color-scheme`;
/// `Light`/`Dark` force one (the root gets the class `k-light`/`k-dark`).
pub const STYLE: &str = r#"
.k-root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;--lane:#f6f8fa;--lane2:#eef1f4;--nl:#cf222e;--ok:#1a7f37;--bad:#cf222e;--tick:#59636e;--out:#9a6700;--lead:#0969da;
--t0:#0969da;--t1:#8250df;--t2:#1a7f37;--t3:#bc4c00;--t4:#bf3989;--t5:#0a7d8c;--c0:#0969da;--c1:#bc4c00;--c2:#1a7f37;--c3:#8250df;--c4:#bf3989;--c5:#0a7d8c;--c6:#9a6700;--c7:#59636e}
@media (prefers-color-scheme: dark){.k-auto{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#3d444d;--lane:#151b23;--lane2:#1b222c;--nl:#ff7b72;--ok:#3fb950;--bad:#ff7b72;--tick:#9198a1;--out:#d29922;--lead:#58a6ff;
--t0:#58a6ff;--t1:#bc8cff;--t2:#3fb950;--t3:#f0883e;--t4:#f778ba;--t5:#39c5cf;--c0:#58a6ff;--c1:#f0883e;--c2:#3fb950;--c3:#bc8cff;--c4:#f778ba;--c5:#39c5cf;--c6:#d29922;--c7:#9198a1}}
.k-dark{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#3d444d;--lane:#151b23;--lane2:#1b222c;--nl:#ff7b72;--ok:#3fb950;--bad:#ff7b72;--tick:#9198a1;--out:#d29922;--lead:#58a6ff;
--t0:#58a6ff;--t1:#bc8cff;--t2:#3fb950;--t3:#f0883e;--t4:#f778ba;--t5:#39c5cf;--c0:#58a6ff;--c1:#f0883e;--c2:#3fb950;--c3:#bc8cff;--c4:#f778ba;--c5:#39c5cf;--c6:#d29922;--c7:#9198a1}
svg.k-root{background:var(--bg);color:var(--fg)}
.k-bg{fill:var(--bg)}
.k-t{fill:var(--fg);font-size:12px}
.k-tb{fill:var(--fg);font-size:13px;font-weight:bold}
.k-h{fill:var(--fg);font-size:16px;font-weight:bold}
.k-m{fill:var(--muted);font-size:11px}
.k-grid{stroke:var(--grid);stroke-width:1}
.k-lane{fill:var(--lane)}.k-lane2{fill:var(--lane2)}
.k-band0{fill:var(--t0);fill-opacity:.18}.k-band1{fill:var(--t1);fill-opacity:.18}.k-band2{fill:var(--t2);fill-opacity:.18}
.k-band3{fill:var(--t3);fill-opacity:.18}.k-band4{fill:var(--t4);fill-opacity:.18}.k-band5{fill:var(--t5);fill-opacity:.18}
.k-lead0{fill:var(--t0)}.k-lead1{fill:var(--t1)}.k-lead2{fill:var(--t2)}.k-lead3{fill:var(--t3)}.k-lead4{fill:var(--t4)}.k-lead5{fill:var(--t5)}
.k-nl{fill:var(--nl);fill-opacity:.22;stroke:var(--nl);stroke-width:1;stroke-dasharray:4 2}
.k-nlt{fill:var(--nl);font-size:12px;font-weight:bold}
.k-hb{stroke:var(--tick);stroke-width:1}
.k-app{stroke:var(--fg);stroke-width:2}
.k-yes{stroke:var(--ok);stroke-width:2;fill:none}
.k-no{stroke:var(--bad);stroke-width:2;fill:none;stroke-dasharray:5 3}
.k-pre{stroke-width:1}
.k-yest{fill:var(--ok);font-size:12px;font-weight:bold}
.k-not{fill:var(--bad);font-size:12px;font-weight:bold}
.k-camp{fill:var(--fg)}
.k-xfer{stroke:var(--lead);stroke-width:2;fill:none;stroke-dasharray:2 2}
.k-xfert{fill:var(--lead);font-size:12px;font-weight:bold}
.k-out{fill:url(#k-hatch);stroke:var(--out);stroke-width:1.5}
.k-outt{fill:var(--out);font-size:12px;font-weight:bold}
.k-hatch{stroke:var(--out);stroke-width:2}
.k-ahy{fill:var(--ok)}.k-ahn{fill:var(--bad)}
.k-bar0{fill:var(--c0)}.k-bar1{fill:var(--c1)}.k-bar2{fill:var(--c2)}.k-bar3{fill:var(--c3)}.k-bar4{fill:var(--c4)}.k-bar5{fill:var(--c5)}.k-bar6{fill:var(--c6)}.k-bar7{fill:var(--c7)}
.k-ln0{stroke:var(--c0)}.k-ln1{stroke:var(--c1)}.k-ln2{stroke:var(--c2)}.k-ln3{stroke:var(--c3)}.k-ln4{stroke:var(--c4)}.k-ln5{stroke:var(--c5)}.k-ln6{stroke:var(--c6)}.k-ln7{stroke:var(--c7)}
.k-series{fill:none;stroke-width:2}
.k-frame{fill:none;stroke:var(--grid)}
.k-nlt,.k-outt,.k-yest,.k-not,.k-xfert,.k-halo{paint-order:stroke;stroke:var(--bg);stroke-width:3px;stroke-linejoin:round}
"#;

/// The root class for a theme.
pub fn root_class(theme: Theme) -> &'static str {
    match theme {
        Theme::Auto => "k-root k-auto",
        Theme::Light => "k-root k-light",
        Theme::Dark => "k-root k-dark",
    }
}

/// The stylesheet and the definitions (hatching, arrow heads) every
/// picture starts with.
pub fn preamble(svg: &mut Svg, with_style: bool) {
    if with_style {
        svg.raw("<style>");
        svg.raw(STYLE);
        svg.raw("</style>");
    }
    svg.raw(
        "<defs><pattern id=\"k-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" class=\"k-hatch\"/></pattern>\
<marker id=\"k-ay\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" class=\"k-ahy\"/></marker>\
<marker id=\"k-an\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" class=\"k-ahn\"/></marker></defs>",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_illegal_characters() {
        assert_eq!(
            esc("a<b>&\"c'\u{1}\u{ffff}"),
            "a&lt;b&gt;&amp;&quot;c&#39;\u{fffd}\u{fffd}"
        );
        assert_eq!(esc("m1 \u{d55c}"), "m1 \u{d55c}");
    }

    #[test]
    fn numbers_are_fixed() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.06), "12.1");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(-3.25), "-3.3");
    }

    #[test]
    fn writer_nests_and_escapes() {
        let mut s = Svg::new(10.0, 20.0, "k-root", "t<1>");
        s.open("g", &[("class", "a\"b".into())]);
        s.text(1.0, 2.0, "k-t", "middle", "x & y");
        let out = s.finish();
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\""));
        assert!(out.contains("<title>t&lt;1&gt;</title>"));
        assert!(out.contains("<g class=\"a&quot;b\"><text x=\"1\" y=\"2\" class=\"k-t\" text-anchor=\"middle\">x &amp; y</text></g></svg>"));
    }
}

//! Charts of the report: series over time (traffic per component, calls
//! per method) and latency histograms, as SVG built with [`Svg`], plus
//! [`Bins`], the bounded time binning that feeds the series.

use std::collections::BTreeMap;

use super::{Svg, Theme, num, root_class};
use crate::timestamp::Timestamp;

/// Counts per series in equal time bins. The bin width starts at
/// `width_ns` and doubles whenever a value falls beyond `max_bins`, so
/// memory is bounded whatever the capture's length; series beyond
/// `max_series` go to `other`.
#[derive(Debug, Clone)]
pub struct Bins {
    t0: Option<i64>,
    width: i64,
    max_bins: usize,
    max_series: usize,
    series: BTreeMap<String, Vec<u64>>,
}

/// The name of the series collecting the rest.
pub const OTHER: &str = "<other>";

impl Bins {
    pub fn new(width_ns: i64, max_bins: usize, max_series: usize) -> Bins {
        Bins {
            t0: None,
            width: width_ns.max(1),
            max_bins: max_bins.max(2),
            max_series: max_series.max(1),
            series: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, ts: Timestamp, key: &str, v: u64) {
        let t0 = *self.t0.get_or_insert(ts.0);
        let mut idx = (ts.0.saturating_sub(t0)).max(0) / self.width;
        while idx as usize >= self.max_bins {
            self.width = self.width.saturating_mul(2);
            for s in self.series.values_mut() {
                let merged: Vec<u64> = s.chunks(2).map(|c| c.iter().sum()).collect();
                *s = merged;
            }
            idx = (ts.0.saturating_sub(t0)).max(0) / self.width;
        }
        let key = if self.series.contains_key(key) || self.series.len() < self.max_series {
            key
        } else {
            OTHER
        };
        let s = self.series.entry(key.to_string()).or_default();
        let idx = idx as usize;
        if s.len() <= idx {
            s.resize(idx + 1, 0);
        }
        s[idx] = s[idx].saturating_add(v);
    }

    /// Sets the start of the first bin unless a value came first (so
    /// several series of one capture share their time axis).
    pub fn anchor(&mut self, ts: Timestamp) {
        self.t0.get_or_insert(ts.0);
    }

    pub fn start(&self) -> Option<Timestamp> {
        self.t0.map(Timestamp)
    }

    pub fn width_ns(&self) -> i64 {
        self.width
    }

    /// Series by total (largest first), then name.
    pub fn series(&self) -> Vec<(&str, &[u64], u64)> {
        let mut v: Vec<(&str, &[u64], u64)> = self
            .series
            .iter()
            .map(|(k, s)| (k.as_str(), s.as_slice(), s.iter().sum::<u64>()))
            .collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        v
    }

    pub fn bins(&self) -> usize {
        self.series.values().map(Vec::len).max().unwrap_or(0)
    }
}

/// `12.3 k`, `4.5 M` for axis labels.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1} G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else if a >= 10.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Series over time as lines, one colour and one label each; `per_sec`
/// turns counts per bin into rates. At most 8 series are drawn.
pub fn time_series(bins: &Bins, title: &str, unit: &str, theme: Theme, per_sec: bool) -> String {
    let (w, h) = (1180.0, 300.0);
    let (left, right, top, bottom) = (70.0, 220.0, 30.0, 40.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let mut svg = Svg::new(w, h, root_class(theme), title);
    svg.rect(0.0, 0.0, w, h, "k-bg");
    svg.text(10.0, 18.0, "k-tb", "start", title);
    let n = bins.bins().max(1);
    let secs = bins.width_ns() as f64 / 1e9;
    let scale = if per_sec { 1.0 / secs } else { 1.0 };
    let series: Vec<_> = bins.series().into_iter().take(8).collect();
    let max = series
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|v| *v as f64 * scale)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    svg.rect(left, top, pw, ph, "k-frame");
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = top + ph - ph * f64::from(k) / 4.0;
        svg.line(left, y, left + pw, y, "k-grid");
        svg.text(left - 6.0, y + 4.0, "k-m", "end", &short_number(v));
    }
    svg.text(
        left,
        h - 6.0,
        "k-m",
        "start",
        &format!("{unit}; bin {}", bin_label(secs)),
    );
    let total_s = n as f64 * secs;
    for k in 0..=5 {
        let s = total_s * f64::from(k) / 5.0;
        let x = left + pw * f64::from(k) / 5.0;
        svg.text(
            x,
            top + ph + 16.0,
            "k-m",
            "middle",
            &format!("+{}", bin_label(s)),
        );
    }
    for (i, (name, values, total)) in series.iter().enumerate() {
        let mut d = String::new();
        for (j, v) in values.iter().enumerate() {
            let x = left + pw * (j as f64 + 0.5) / n as f64;
            let y = top + ph - ph * (*v as f64 * scale) / max;
            d.push_str(&format!(
                "{}{},{}",
                if j == 0 { "M" } else { "L" },
                num(x),
                num(y)
            ));
        }
        if values.len() == 1 {
            d.push_str("h2");
        }
        svg.el("path", &[("d", d), ("class", format!("k-series k-ln{i}"))]);
        let ly = top + 10.0 + i as f64 * 30.0;
        svg.rect(left + pw + 14.0, ly - 8.0, 14.0, 10.0, &format!("k-bar{i}"));
        svg.text(left + pw + 34.0, ly + 1.0, "k-t", "start", name);
        svg.text(
            left + pw + 34.0,
            ly + 15.0,
            "k-m",
            "start",
            &format!("total {}", short_number(*total as f64)),
        );
    }
    svg.finish()
}

/// `10 ms`, `1.5 s`, `2 min`.
fn bin_label(s: f64) -> String {
    if s < 1.0 {
        format!("{} ms", num(s * 1000.0))
    } else if s < 120.0 {
        format!("{} s", num(s))
    } else {
        format!("{} min", num(s / 60.0))
    }
}

/// One method's latency histogram: bars with their counts written above.
pub fn histogram(title: &str, labels: &[String], counts: &[u64], theme: Theme) -> String {
    let (w, h) = (400.0, 170.0);
    let (left, top, bottom) = (10.0, 34.0, 36.0);
    let pw = w - 2.0 * left;
    let ph = h - top - bottom;
    let mut svg = Svg::new(w, h, root_class(theme), title);
    svg.rect(0.0, 0.0, w, h, "k-bg");
    svg.text(8.0, 18.0, "k-tb", "start", title);
    let n = counts.len().max(1);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = pw / n as f64;
    for (i, c) in counts.iter().enumerate() {
        let x = left + i as f64 * bw;
        let bh = ph * (*c as f64) / max;
        if *c > 0 {
            svg.rect(x + 1.0, top + ph - bh, bw - 2.0, bh.max(1.0), "k-bar0");
            svg.text(
                x + bw / 2.0,
                top + ph - bh - 3.0,
                "k-m",
                "middle",
                &c.to_string(),
            );
        }
        if let Some(l) = labels.get(i)
            && i % 3 == 0
        {
            svg.text(x + bw / 2.0, top + ph + 14.0, "k-m", "middle", l);
        }
    }
    svg.line(left, top + ph, left + pw, top + ph, "k-grid");
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_double_and_keep_totals() {
        let mut b = Bins::new(10, 4, 2);
        for t in 0..100 {
            b.add(Timestamp(t), "a", 1);
        }
        b.add(Timestamp(5), "b", 7);
        b.add(Timestamp(5), "c", 1);
        assert!(b.bins() <= 4);
        assert_eq!(b.bins(), 3);
        let s = b.series();
        assert_eq!(s[0], ("a", &[40, 40, 20][..], 100));
        assert_eq!(s[1].2, 7);
        // A third series went to <other>.
        assert!(b.series().iter().all(|x| x.0 != "c"));
        assert_eq!(b.width_ns(), 40);
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(1234.0), "1.2 k");
        assert_eq!(short_number(3.0), "3");
        assert_eq!(short_number(0.5), "0.5");
    }
}

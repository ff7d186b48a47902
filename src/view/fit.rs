//! Human output that fits the terminal: the one place that knows how wide
//! a line may be and how to make a table fit.
//!
//! The width is decided once, by `cli`, before any output: on a terminal
//! (stdout a tty) it is the terminal's width (`$COLUMNS`, else the
//! `TIOCGWINSZ` ioctl); in a pipe, a file, with `-o wide` or `-o json` there
//! is no limit, so piped output is never cut. Every printer then asks
//! [`limit`]:
//!
//! - measured tables ([`layout`], and the boxed etcd tables) size columns
//!   to their content and, past the limit, shorten the widest cells in the
//!   middle with `…` (`/etc/kubernetes/pki/…/apiserver.crt`), or wrap the
//!   last free-text column under its row;
//! - every line written through [`crate::view::Out::line`] is then held to
//!   the limit by [`cut`] (streaming views cannot measure ahead: their last
//!   column is cut with `…`).
//!
//! Widths count characters on screen: our own colour codes
//! ([`crate::view::style::SEQUENCES`]) take no column and are kept whole.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::view::style::SEQUENCES;

/// 0: no limit.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// The narrowest width we lay out for (a smaller terminal still gets
/// readable cells; its lines wrap on screen).
pub const MIN_WIDTH: usize = 40;

/// Sets the width every human line must fit (`None`: no limit). Called
/// once by `cli` before any output.
pub fn set_limit(width: Option<usize>) {
    LIMIT.store(width.map_or(0, |w| w.max(MIN_WIDTH)), Ordering::Relaxed);
}

/// The width human lines must fit, if any.
pub fn limit() -> Option<usize> {
    match LIMIT.load(Ordering::Relaxed) {
        0 => None,
        w => Some(w),
    }
}

/// The terminal's width when stdout is one: `$COLUMNS` if set to a number
/// (as ls, eza and git do), else the kernel's idea of the window size.
/// `None` when stdout is not a terminal.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
    {
        return Some(w);
    }
    ioctl_width()
}

#[cfg(unix)]
fn ioctl_width() -> Option<usize> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we pass; fd 1
    // stays open for the process's life.
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}

#[cfg(not(unix))]
fn ioctl_width() -> Option<usize> {
    None
}

/// The colour sequence `s` starts with, if it is one of ours.
fn sgr_at(s: &str) -> Option<&'static str> {
    SEQUENCES.iter().copied().find(|q| s.starts_with(q))
}

/// Columns `s` takes on screen: characters, without our colour codes.
pub fn width(s: &str) -> usize {
    if !s.contains('\x1b') {
        return s.chars().count();
    }
    let mut n = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(q) = sgr_at(rest) {
            rest = &rest[q.len()..];
            continue;
        }
        n += 1;
        rest = &rest[c.len_utf8()..];
    }
    n
}

/// `s` (plain text) in at most `w` columns: unchanged if it fits, else its
/// start and its end around `…` (the end of a path or a name is what tells
/// two apart, so it keeps a little more of it).
pub fn middle(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let keep = w - 1;
    let head = keep / 2;
    let tail = keep - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `line` held to `w` columns: unchanged if it fits, else cut with `…` as
/// its last column. Colour codes are kept and a colour cut open is reset.
pub fn cut(line: &str, w: usize) -> std::borrow::Cow<'_, str> {
    if width(line) <= w {
        return std::borrow::Cow::Borrowed(line);
    }
    if w == 0 {
        return std::borrow::Cow::Borrowed("");
    }
    let mut out = String::with_capacity(w + 16);
    let mut n = 0;
    let mut open = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if let Some(q) = sgr_at(rest) {
            out.push_str(q);
            open = q != "\x1b[0m";
            rest = &rest[q.len()..];
            continue;
        }
        if n + 1 == w {
            break;
        }
        out.push(c);
        n += 1;
        rest = &rest[c.len_utf8()..];
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    if open {
        out.push_str("\x1b[0m");
    }
    std::borrow::Cow::Owned(out)
}

/// Held to the current [`limit`] (unchanged without one).
pub fn cut_to_limit(line: &str) -> std::borrow::Cow<'_, str> {
    match limit() {
        Some(w) => cut(line, w),
        None => std::borrow::Cow::Borrowed(line),
    }
}

/// Narrows column `widths` until they plus `overhead` (separators, rules)
/// fit `limit`: the widest column gives up a column at a time, none below
/// its `min`. Returns whether it now fits.
pub fn shrink(widths: &mut [usize], min: &[usize], overhead: usize, limit: usize) -> bool {
    loop {
        let total: usize = widths.iter().sum::<usize>() + overhead;
        if total <= limit {
            return true;
        }
        let widest = widths
            .iter()
            .enumerate()
            .filter(|(i, w)| **w > min.get(*i).copied().unwrap_or(0))
            .max_by_key(|(i, w)| (**w, *i))
            .map(|(i, _)| i);
        match widest {
            Some(i) => widths[i] -= 1,
            None => return false,
        }
    }
}

/// Words of `text` in lines of at most `w` columns (a word longer than a
/// line is split).
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in text.split(' ').filter(|s| !s.is_empty()) {
        // A word with our colour codes is measured without them and never
        // split (status words are short).
        if word.contains('\x1b') {
            let ww = width(word);
            let need = if cur_w == 0 { ww } else { cur_w + 1 + ww };
            if need > w && cur_w > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            if cur_w > 0 {
                cur.push(' ');
                cur_w += 1;
            }
            cur.push_str(word);
            cur_w += ww;
            continue;
        }
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let ww = word.len();
            let need = if cur_w == 0 { ww } else { cur_w + 1 + ww };
            if need <= w {
                if cur_w > 0 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                cur_w = need;
                break;
            }
            if cur_w > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
                continue;
            }
            // A word wider than the line: split it.
            let rest = word.split_off(w);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if cur_w > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A paragraph line on a terminal: `line` wrapped to the [`limit`] at
/// spaces, its continuation lines indented by `indent` (unchanged without
/// a limit). Spacing inside a line is kept (aligned severities stay
/// aligned).
pub fn wrap_line(line: &str, indent: usize) -> Vec<String> {
    match limit() {
        Some(w) => wrap_line_to(line, indent, w),
        None => vec![line.to_string()],
    }
}

/// [`wrap_line`] with an explicit width.
pub fn wrap_line_to(line: &str, indent: usize, w: usize) -> Vec<String> {
    let indent = indent.min(w / 2);
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let avail = if out.is_empty() { w } else { w - indent };
        let pad = if out.is_empty() { 0 } else { indent };
        if width(rest) <= avail {
            out.push(format!("{}{rest}", " ".repeat(pad)));
            return out;
        }
        // The last space that leaves the head within `avail`, else a hard
        // break at `avail` characters.
        let mut n = 0;
        let mut last_space = None;
        let mut hard = rest.len();
        let mut i = 0;
        while i < rest.len() {
            if let Some(q) = sgr_at(&rest[i..]) {
                i += q.len();
                continue;
            }
            let Some(c) = rest[i..].chars().next() else {
                break;
            };
            if n == avail {
                hard = i;
                break;
            }
            if c == ' ' && n > 0 {
                last_space = Some(i);
            }
            n += 1;
            i += c.len_utf8();
        }
        let at = last_space.unwrap_or(hard);
        let (head, tail) = rest.split_at(at);
        out.push(format!("{}{}", " ".repeat(pad), head.trim_end()));
        rest = tail.trim_start();
        if rest.is_empty() {
            return out;
        }
    }
}

/// How a column of a [`layout`] table gives way when the table is too
/// wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Give {
    /// Shortened in the middle with `…`, down to its header's width.
    Middle,
    /// Never shortened (status words, counts).
    Keep,
    /// The last column only: wrapped under itself on continuation lines.
    Wrap,
}

/// A plain table: left-aligned columns two spaces apart, widths from the
/// content; with a [`limit`], fitted to it (see [`Give`]). Cells are plain
/// text (paint after layout, [`crate::view::style::Style::paint_column`]).
pub fn layout(header: &[&str], give: &[Give], rows: &[Vec<String>]) -> Vec<String> {
    layout_to(header, give, rows, limit())
}

/// [`layout`] with an explicit limit.
pub fn layout_to(
    header: &[&str],
    give: &[Give],
    rows: &[Vec<String>],
    limit: Option<usize>,
) -> Vec<String> {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let give_of = |i: usize| give.get(i).copied().unwrap_or(Give::Middle);
    let wrap_last = n > 0 && give_of(n - 1) == Give::Wrap;
    if let Some(limit) = limit {
        // Shortened cells first give way down to 16 columns, then a
        // wrapped column down to 20 (a readable paragraph), then shortened
        // cells down to 6.
        let head = |i: usize| header[i].chars().count();
        let overhead = 2 * n.saturating_sub(1);
        for (middle_floor, wrap_floor) in [(16, usize::MAX), (16, 20), (6, 20)] {
            let min: Vec<usize> = (0..n)
                .map(|i| match give_of(i) {
                    Give::Keep => widths[i],
                    Give::Wrap => widths[i].min(head(i).max(wrap_floor)),
                    Give::Middle => widths[i].min(head(i).max(middle_floor)),
                })
                .collect();
            if shrink(&mut widths, &min, overhead, limit) {
                break;
            }
        }
    }
    let line = |cells: &[&str]| -> Vec<String> {
        let mut s = String::new();
        let mut extra = Vec::new();
        for (i, c) in cells.iter().enumerate().take(n) {
            let last = i + 1 == n;
            if last && wrap_last {
                let indent = s.chars().count();
                let mut parts = wrap_line_to(c, 0, widths[i].max(1)).into_iter();
                s.push_str(&parts.next().unwrap_or_default());
                extra.extend(parts.map(|p| format!("{}{p}", " ".repeat(indent))));
                continue;
            }
            let cell = middle(c, widths[i]);
            if last {
                s.push_str(&cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                s.push_str(&cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        let mut out = vec![s.trim_end().to_string()];
        out.extend(extra);
        out
    };
    let mut out = line(header);
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        out.extend(line(&cells));
    }
    out
}

/// Fixed-width columns of a streaming view (it cannot measure ahead):
/// on a narrow terminal, the least important columns are left out, whole,
/// so the rest keep their place. Built once from the view's header
/// (`(name, width)`, one space between columns, width 0 for the free last
/// column) and an importance per column (0 always kept; the highest goes
/// first, the rightmost first among equals). Applied by
/// [`crate::view::Out`] to each line the view has already formatted, so
/// the view's own write loop is unchanged.
#[derive(Debug, Clone)]
pub struct Columns {
    widths: Vec<usize>,
    keep: Vec<bool>,
}

/// What a free last column keeps at least before columns are left out.
const FREE_MIN: usize = 24;

impl Columns {
    /// `None` when there is no limit or every column fits.
    pub fn new(header: &[(&str, usize)], importance: &[u8], limit: Option<usize>) -> Option<Self> {
        let limit = limit?;
        let widths: Vec<usize> = header.iter().map(|(_, w)| *w).collect();
        let mut keep = vec![true; widths.len()];
        let total = |keep: &[bool]| -> usize {
            widths
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(w, _)| if *w == 0 { FREE_MIN } else { w + 1 })
                .sum()
        };
        if total(&keep) <= limit {
            return None;
        }
        while total(&keep) > limit {
            let drop = (0..widths.len())
                .filter(|i| keep[*i] && importance.get(*i).copied().unwrap_or(1) > 0)
                .max_by_key(|i| (importance.get(*i).copied().unwrap_or(1), *i));
            match drop {
                Some(i) => keep[i] = false,
                None => break,
            }
        }
        Some(Columns { widths, keep })
    }

    /// `line` (laid out with the header's widths) without the left-out
    /// columns. A line that does not follow the layout (a summary, a
    /// detail line, a row with a cell wider than its column) is unchanged.
    pub fn apply(&self, line: &str) -> String {
        let chars: Vec<char> = line.chars().collect();
        // Not a row: empty, painted, or a detail line indented under its row.
        if chars.is_empty() || line.contains('\x1b') || line.starts_with(' ') {
            return line.to_string();
        }
        let mut out = String::with_capacity(line.len());
        let mut pos = 0;
        let last = self.widths.len().saturating_sub(1);
        for (i, w) in self.widths.iter().enumerate() {
            if pos >= chars.len() {
                break;
            }
            let end = if i == last || *w == 0 {
                chars.len()
            } else {
                let e = (pos + w).min(chars.len());
                // A cell wider than its column shifts the rest of the row:
                // the row is left whole (and cut to the width by `Out`).
                if e < chars.len() && chars[e] != ' ' {
                    return line.to_string();
                }
                e
            };
            if self.keep[i] {
                out.extend(&chars[pos..end]);
                if end < chars.len() && i != last {
                    out.push(' ');
                }
            }
            pos = (end + 1).min(chars.len());
        }
        out.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_ignore_our_colours() {
        assert_eq!(width("\x1b[1;31mexpired\x1b[0m ok"), 10);
        assert_eq!(width("日本語…"), 4);
    }

    #[test]
    fn middle_keeps_both_ends() {
        assert_eq!(
            middle("/etc/kubernetes/pki/apiserver.crt", 12),
            "/etc/…er.crt"
        );
        assert_eq!(middle("short", 12), "short");
        assert_eq!(middle("abcdef", 1), "…");
        assert_eq!(middle("abcdef", 0), "");
    }

    #[test]
    fn cut_keeps_colour_whole_and_resets_it() {
        let line = "ok  \x1b[1;31mexpired certificate\x1b[0m";
        let c = cut(line, 10);
        assert_eq!(width(&c), 10, "{c:?}");
        assert_eq!(c, "ok  \x1b[1;31mexpir…\x1b[0m");
        assert_eq!(cut("fits", 4), "fits");
        // Malformed or hostile input never panics and never exceeds.
        for s in ["\x1b[", "\x1b[1;31", "ééééééééé", "\x1b[0m\x1b[0m"] {
            assert!(width(&cut(s, 3)) <= 3);
        }
    }

    #[test]
    fn tables_shrink_the_widest_column_in_the_middle() {
        let rows = vec![
            vec![
                "/etc/kubernetes/pki/apiserver-kubelet-client.crt".to_string(),
                "ok".into(),
            ],
            vec!["/a".to_string(), "expired".into()],
        ];
        let wide = layout_to(
            &["PATH", "STATUS"],
            &[Give::Middle, Give::Keep],
            &rows,
            None,
        );
        assert_eq!(
            wide[1],
            "/etc/kubernetes/pki/apiserver-kubelet-client.crt  ok"
        );
        let narrow = layout_to(
            &["PATH", "STATUS"],
            &[Give::Middle, Give::Keep],
            &rows,
            Some(30),
        );
        for l in &narrow {
            assert!(l.chars().count() <= 30, "{l}");
        }
        assert_eq!(narrow[1], "/etc/kuber…client.crt  ok");
        assert_eq!(narrow[2], "/a                     expired");
    }

    #[test]
    fn the_last_column_can_wrap_under_its_row() {
        let rows = vec![vec![
            "etcd".to_string(),
            "the etcd server certificate expires in three days".to_string(),
        ]];
        let t = layout_to(
            &["CHECK", "MESSAGE"],
            &[Give::Keep, Give::Wrap],
            &rows,
            Some(40),
        );
        assert_eq!(
            t,
            vec![
                "CHECK  MESSAGE",
                "etcd   the etcd server certificate",
                "       expires in three days",
            ]
        );
    }

    #[test]
    fn paragraph_lines_wrap_at_spaces_and_keep_their_spacing() {
        let l = "note   kubelet serving: self-signed by the kubelet";
        let w = wrap_line_to(l, 7, 30);
        assert_eq!(
            w,
            vec![
                "note   kubelet serving:",
                "       self-signed by the",
                "       kubelet"
            ]
        );
        assert_eq!(
            wrap_line_to("abcdefghij", 2, 4),
            vec!["abcd", "  ef", "  gh", "  ij"]
        );
        let painted = "\x1b[1;31merror\x1b[0m  x y";
        assert_eq!(
            wrap_line_to(painted, 0, 9),
            vec!["\x1b[1;31merror\x1b[0m  x", "y"]
        );
    }

    #[test]
    fn streaming_columns_leave_out_the_least_important_whole() {
        let header = [("TIME", 8), ("SRC", 6), ("KIND", 5), ("DETAILS", 0)];
        assert!(Columns::new(&header, &[0, 1, 0, 0], Some(200)).is_none());
        assert!(Columns::new(&header, &[0, 1, 0, 0], None).is_none());
        let c = Columns::new(&header, &[0, 1, 0, 0], Some(40)).unwrap();
        assert_eq!(
            c.apply("10:00:01 a:1    gap   5 bytes missing"),
            "10:00:01 gap   5 bytes missing"
        );
        // A cell wider than its column: the row is left whole.
        assert_eq!(
            c.apply("10:00:01 a:12345 gap   x y"),
            "10:00:01 a:12345 gap   x y"
        );
        assert_eq!(c.apply(""), "");
        assert_eq!(c.apply("short"), "short");
        assert_eq!(
            c.apply("       detail under a row"),
            "       detail under a row"
        );
    }

    /// Random lines of letters, spaces, wide characters, controls and our
    /// colour codes (a fixed-seed generator): every function stays within
    /// its width and never panics.
    #[test]
    fn random_lines_always_fit() {
        let pieces = [
            "a",
            "bc",
            " ",
            "  ",
            "日",
            "…",
            "\x1b[1;31m",
            "\x1b[0m",
            "\x1b[",
            "x\u{301}",
            "/",
            "-",
            "é",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let len = next(40);
            let s: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let w = next(30);
            assert!(width(&cut(&s, w)) <= w, "cut {s:?} {w}");
            assert!(middle(&s, w).chars().count() <= w, "middle {s:?} {w}");
            if w > 0 {
                for l in wrap_line_to(&s, next(10), w) {
                    assert!(width(&l) <= w, "wrap_line {s:?} {w}: {l:?}");
                }
            }
            let header = [("A", 3), ("B", 5), ("C", 0)];
            if let Some(c) = Columns::new(&header, &[0, 1, 0], Some(10)) {
                let _ = c.apply(&s);
            }
            let rows = vec![vec![s.clone(), "ok".to_string(), s.clone()]];
            let limit = 40;
            for l in layout_to(
                &["NAME", "STATUS", "MESSAGE"],
                &[Give::Middle, Give::Keep, Give::Wrap],
                &rows,
                Some(limit),
            ) {
                assert!(width(&l) <= limit, "layout {s:?}: {l:?}");
            }
        }
    }

    #[test]
    fn wrap_splits_words_wider_than_the_line() {
        assert_eq!(wrap("abcdefgh ij", 3), vec!["abc", "def", "gh", "ij"]);
        assert_eq!(
            wrap("\x1b[1;31merror\x1b[0m  a b", 7),
            vec!["\x1b[1;31merror\x1b[0m a", "b"]
        );
        assert_eq!(wrap("", 5), vec![""]);
    }
}

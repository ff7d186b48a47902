//! Colour for human output: whether to colour at all (decided once, by
//! `cli`, from `--color`, `NO_COLOR` and whether stdout is a terminal) and
//! how a status word looks (fail/expired/error red, warn yellow, ok green,
//! dim for secondary text).
//!
//! Tables are laid out on plain text first; [`Style::paint_column`] then
//! wraps the words of one column in ANSI SGR codes, which take no columns
//! on screen, so widths and alignment are those of the plain table. JSON is
//! never coloured: only table code paths call this module.

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    /// Colour even into a pipe or a file (NO_COLOR does not apply)
    Always,
    /// Never colour
    Never,
}

/// What a word says, and so its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A problem: red.
    Bad,
    /// Worth a look: yellow.
    Warn,
    /// Fine: green.
    Good,
    /// Secondary text: dim.
    Dim,
}

impl Tone {
    fn sgr(self) -> &'static str {
        match self {
            Tone::Bad => "\x1b[1;31m",
            Tone::Warn => "\x1b[33m",
            Tone::Good => "\x1b[32m",
            Tone::Dim => "\x1b[2m",
        }
    }
}

const RESET: &str = "\x1b[0m";

/// Every escape sequence this module writes: [`crate::view::Out::line`]
/// passes exactly these through and escapes every other control character.
pub const SEQUENCES: [&str; 5] = ["\x1b[1;31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", RESET];

/// The status words of kinspect's reports and their tones: `certs check`
/// (ok, warn, expired, not_yet_valid, invalid), `doctor` (ok, warn, fail),
/// finding severities (error, warn, note), `etcd health` (true, false).
pub fn status_tone(word: &str) -> Option<Tone> {
    match word {
        "fail" | "failed" | "expired" | "error" | "invalid" | "not_yet_valid" | "false"
        | "unhealthy" | "NO" | "NONE" => Some(Tone::Bad),
        "warn" | "warning" => Some(Tone::Warn),
        "ok" | "true" | "healthy" => Some(Tone::Good),
        "note" | "-" => Some(Tone::Dim),
        _ => None,
    }
}

/// Whether output is coloured. Copy it around; it never looks at the
/// terminal itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No colour (pipes, files, JSON, tests).
    pub const PLAIN: Style = Style { color: false };
    /// Colour.
    pub const COLOR: Style = Style { color: true };

    /// The one decision: `always` colours, `never` does not; `auto`
    /// colours only a terminal, and not when `NO_COLOR` is set to anything
    /// non-empty (no-color.org) or `TERM` is `dumb`.
    pub fn decide(
        choice: ColorChoice,
        stdout_is_terminal: bool,
        no_color: Option<&str>,
        term: Option<&str>,
    ) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
            }
        };
        Style { color }
    }

    pub fn is_color(self) -> bool {
        self.color
    }

    /// `text` in `tone`, or `text` unchanged without colour.
    pub fn paint(self, text: &str, tone: Tone) -> String {
        if self.color && !text.is_empty() {
            format!("{}{text}{RESET}", tone.sgr())
        } else {
            text.to_string()
        }
    }

    /// A status word in its tone ([`status_tone`]); other words unchanged.
    pub fn status(self, word: &str) -> String {
        match status_tone(word) {
            Some(tone) => self.paint(word, tone),
            None => word.to_string(),
        }
    }

    /// Colours the cells of the column headed `header` in already laid-out
    /// table lines: each cell whose whole trimmed text has a tone (`tone`)
    /// is wrapped in colour codes, in place, so nothing moves on screen.
    ///
    /// Works on the plain tables (`HEADER  HEADER`, cells starting where
    /// their header starts) and on etcdctl-style boxed ones (`| HEADER |`).
    /// A header line is one where `header` stands alone as a cell; a blank
    /// line ends the table, so several tables in one output each get theirs.
    pub fn paint_column(
        self,
        lines: &mut [String],
        header: &str,
        tone: impl Fn(&str) -> Option<Tone>,
    ) {
        if !self.color {
            return;
        }
        let mut span: Option<(usize, usize)> = None;
        for line in lines.iter_mut() {
            if line.trim().is_empty() {
                span = None;
                continue;
            }
            if let Some(s) = column_span(line, header) {
                span = Some(s);
                continue;
            }
            let Some((start, end)) = span else { continue };
            let boxed = line.starts_with('|');
            if line.starts_with('+') {
                continue;
            }
            let chars: Vec<char> = line.chars().collect();
            if start >= chars.len() {
                continue;
            }
            let end = end.min(chars.len());
            let cell: String = chars[start..end].iter().collect();
            let text = cell.trim();
            // In a plain table a cell must start at its column (a longer
            // line that is not a row, such as a summary, is left alone).
            if text.is_empty() || (!boxed && !cell.starts_with(text)) {
                continue;
            }
            let Some(t) = tone(text) else { continue };
            let lead = cell.len() - cell.trim_start().len();
            let before: String = chars[..start].iter().collect();
            let after: String = chars[end..].iter().collect();
            let trail = &cell[lead + text.len()..];
            *line = format!(
                "{before}{}{}{trail}{after}",
                &cell[..lead],
                self.paint(text, t)
            );
        }
    }
}

/// The char range `[start, end)` of the cell headed `header` if `line` is a
/// header line with that cell: boxed (`| HEADER |`, the range between the
/// bars) or plain (`HEADER` at the start or after two spaces, up to the
/// next column's start, or to the end of the line for the last column).
fn column_span(line: &str, header: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let h: Vec<char> = header.chars().collect();
    if line.starts_with('|') {
        let bars: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '|')
            .map(|(i, _)| i)
            .collect();
        return bars.windows(2).find_map(|w| {
            let cell: String = chars[w[0] + 1..w[1]].iter().collect();
            (cell.trim() == header).then_some((w[0] + 1, w[1]))
        });
    }
    let mut i = 0;
    while i + h.len() <= chars.len() {
        let at_start = i == 0 || (i >= 2 && chars[i - 1] == ' ' && chars[i - 2] == ' ');
        let ends = i + h.len() == chars.len()
            || (chars[i + h.len()] == ' ' && chars.get(i + h.len() + 1).is_none_or(|c| *c == ' '));
        if at_start && ends && chars[i..i + h.len()] == h[..] {
            let mut end = i + h.len();
            while end < chars.len() && chars[end] == ' ' {
                end += 1;
            }
            let end = if end == chars.len() { usize::MAX } else { end };
            return Some((i, end));
        }
        i += 1;
    }
    None
}

/// `s` without ANSI SGR sequences (`ESC [ ... m`): what a terminal shows.
pub fn strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        use ColorChoice::*;
        let d = |c, tty, nc, term| Style::decide(c, tty, nc, term).is_color();
        assert!(d(Auto, true, None, Some("xterm")));
        assert!(!d(Auto, false, None, Some("xterm")), "pipe or file");
        assert!(!d(Auto, true, Some("1"), Some("xterm")), "NO_COLOR=1");
        assert!(d(Auto, true, Some(""), Some("xterm")), "empty NO_COLOR");
        assert!(!d(Auto, true, None, Some("dumb")));
        assert!(d(Always, false, Some("1"), None), "--color always wins");
        assert!(!d(Never, true, None, Some("xterm")));
    }

    #[test]
    fn plain_table_status_column_is_painted_in_place() {
        let plain = vec![
            "CHECK      STATUS  WHERE".to_string(),
            "manifests  ok      /etc/a".to_string(),
            "ports      fail    /etc/b".to_string(),
            "x          warn".to_string(),
            "2 findings: 1 fail, 1 ok".to_string(),
        ];
        let mut lines = plain.clone();
        Style::COLOR.paint_column(&mut lines, "STATUS", status_tone);
        assert_eq!(lines[0], plain[0]);
        assert_eq!(lines[1], "manifests  \x1b[32mok\x1b[0m      /etc/a");
        assert_eq!(lines[2], "ports      \x1b[1;31mfail\x1b[0m    /etc/b");
        assert_eq!(lines[3], "x          \x1b[33mwarn\x1b[0m");
        assert_eq!(lines[4], plain[4], "the summary is not a row");
        for (a, b) in lines.iter().zip(&plain) {
            assert_eq!(&strip(a), b);
        }
        let mut same = plain.clone();
        Style::PLAIN.paint_column(&mut same, "STATUS", status_tone);
        assert_eq!(same, plain);
    }

    #[test]
    fn last_column_and_second_table() {
        let mut lines = vec![
            "CERTIFICATE  STATUS".to_string(),
            "apiserver    expired".to_string(),
            String::new(),
            "CERTIFICATE AUTHORITY  STATUS".to_string(),
            "ca                     ok".to_string(),
        ];
        Style::COLOR.paint_column(&mut lines, "STATUS", status_tone);
        assert_eq!(lines[1], "apiserver    \x1b[1;31mexpired\x1b[0m");
        assert_eq!(lines[4], "ca                     \x1b[32mok\x1b[0m");
    }

    #[test]
    fn boxed_table_cell_between_bars() {
        let mut lines = vec![
            "+------+--------+".to_string(),
            "| NAME | HEALTH |".to_string(),
            "+------+--------+".to_string(),
            "| m1   | true   |".to_string(),
            "| m2   | false  |".to_string(),
            "+------+--------+".to_string(),
        ];
        Style::COLOR.paint_column(&mut lines, "HEALTH", status_tone);
        assert_eq!(lines[3], "| m1   | \x1b[32mtrue\x1b[0m   |");
        assert_eq!(lines[4], "| m2   | \x1b[1;31mfalse\x1b[0m  |");
        assert_eq!(lines[5], "+------+--------+");
    }

    #[test]
    fn header_must_be_a_whole_cell() {
        assert_eq!(column_span("NAME  STATUSES", "STATUS"), None);
        assert_eq!(column_span("MY STATUS  X", "STATUS"), None);
        assert_eq!(column_span("A  STATUS  X", "STATUS"), Some((3, 11)));
        assert_eq!(column_span("A  STATUS", "STATUS"), Some((3, usize::MAX)));
    }
}

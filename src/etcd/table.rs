//! Boxed tables in the style of `etcdctl -w table` (tablewriter):
//! `+---+` rules, centred upper-case headers, text left and numbers right.

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table built row by row and rendered at once.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns as `(header, alignment)`.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines (no trailing newline on each), fitted to the
    /// terminal's width when there is one ([`crate::view::fit::limit`]).
    pub fn render(&self) -> Vec<String> {
        self.render_to(crate::view::fit::limit())
    }

    /// [`Table::render`] within `limit` columns (`None`: as wide as the content).
    pub fn render_to(&self, limit: Option<usize>) -> Vec<String> {
        let n = self.headers.len();
        let mut width: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        // On a narrow terminal the widest cells are shortened in the
        // middle, headers kept whole ([`crate::view::fit`]).
        if let Some(limit) = limit {
            let min: Vec<usize> = (0..n)
                .map(|i| width[i].min(self.headers[i].chars().count().max(6)))
                .collect();
            crate::view::fit::shrink(&mut width, &min, 3 * n + 1, limit);
        }
        let rule = {
            let mut s = String::from("+");
            for w in &width {
                s.push_str(&"-".repeat(w + 2));
                s.push('+');
            }
            s
        };
        let mut out = vec![rule.clone()];
        let mut line = String::from("|");
        for (i, h) in self.headers.iter().enumerate() {
            let len = h.chars().count();
            let left = (width[i] - len) / 2;
            let right = width[i] - len - left;
            line.push(' ');
            line.push_str(&" ".repeat(left));
            line.push_str(h);
            line.push_str(&" ".repeat(right));
            line.push_str(" |");
        }
        out.push(line);
        out.push(rule.clone());
        for r in &self.rows {
            let mut line = String::from("|");
            for (i, c) in r.iter().enumerate().take(n) {
                let c = &crate::view::fit::middle(c, width[i]);
                let pad = " ".repeat(width[i] - c.chars().count());
                line.push(' ');
                match self.align[i] {
                    Align::Left => {
                        line.push_str(c);
                        line.push_str(&pad);
                    }
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(c);
                    }
                }
                line.push_str(" |");
            }
            out.push(line);
        }
        out.push(rule);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_terminal_shortens_the_widest_cells_in_the_middle() {
        let mut t = Table::new(&[("ENDPOINT", Align::Left), ("ERRORS", Align::Left)]);
        t.row(vec![
            "https://127.0.0.1:2379".into(),
            "rpc error: code = Unavailable desc = connection refused".into(),
        ]);
        let lines = t.render_to(Some(50));
        for l in &lines {
            assert!(l.chars().count() <= 50, "{l}");
        }
        assert_eq!(
            lines[3],
            "| https://127.0.0.1:2379 | rpc error:…on refused |"
        );
        assert_eq!(t.render_to(None), t.render_to(Some(500)));
    }

    #[test]
    fn renders_like_etcdctl() {
        let mut t = Table::new(&[("ENDPOINT", Align::Left), ("RAFT TERM", Align::Right)]);
        t.row(vec!["http://127.0.0.1:2379".into(), "2".into()]);
        let lines = t.render();
        assert_eq!(
            lines,
            vec![
                "+-----------------------+-----------+",
                "|       ENDPOINT        | RAFT TERM |",
                "+-----------------------+-----------+",
                "| http://127.0.0.1:2379 |         2 |",
                "+-----------------------+-----------+",
            ]
        );
    }
}

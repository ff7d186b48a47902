//! kubectl's human table (`kubectl get`): headers upper case, columns
//! left-aligned and separated as kubectl's tab writer separates them
//! (`k8s.io/cli-runtime/pkg/printers/tabwriter.go`: minimum cell width 6,
//! padding 3, spaces), the last column unpadded; `-A` adds NAMESPACE
//! first. Cells are cut at the first line break with `...`, as
//! `k8s.io/cli-runtime/pkg/printers/tableprinter.go` cuts them.

use crate::k8s::printers::{Column, Table};

const MIN_WIDTH: usize = 6;
const PADDING: usize = 3;

/// A cell as kubectl writes it: up to the first `\n`, `\r` or `\f`
/// (then `...`); other control characters (a tab would split the cell)
/// shown as `?`.
fn clean(cell: &str) -> String {
    let (text, cut) = match cell.find(['\n', '\r', '\x0c']) {
        Some(i) => (&cell[..i], true),
        None => (cell, false),
    };
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if cut {
        s.push_str("...");
    }
    s
}

/// Renders `table` as kubectl prints it: the visible columns (wide ones
/// only with `wide`), NAMESPACE first with `all_namespaces`. Rows may hold
/// the visible cells or every column's cells. No rows: an empty string
/// (kubectl prints no header then; the "No resources found" note is the
/// caller's).
pub fn render(table: &Table, wide: bool, all_namespaces: bool) -> String {
    if table.rows.is_empty() {
        return String::new();
    }
    let visible: Vec<Column> = table.visible_columns(wide);
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(table.rows.len() + 1);
    let mut header: Vec<String> = Vec::with_capacity(visible.len() + 1);
    if all_namespaces {
        header.push("NAMESPACE".into());
    }
    header.extend(visible.iter().map(|c| c.name.to_uppercase()));
    lines.push(header);
    for row in &table.rows {
        let cells: Vec<&str> = if row.cells.len() == table.columns.len() && !wide {
            row.cells
                .iter()
                .zip(&table.columns)
                .filter(|(_, c)| !c.wide_only)
                .map(|(s, _)| s.as_str())
                .collect()
        } else {
            row.cells.iter().map(String::as_str).collect()
        };
        let mut line = Vec::with_capacity(visible.len() + 1);
        if all_namespaces {
            line.push(clean(&row.namespace));
        }
        for i in 0..visible.len() {
            line.push(clean(cells.get(i).copied().unwrap_or("")));
        }
        lines.push(line);
    }
    let ncols = lines[0].len();
    let mut widths = vec![0usize; ncols];
    for line in &lines {
        for (i, cell) in line.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    // On a terminal narrower than the table, the widest cells are
    // shortened in the middle (`-o wide` and pipes keep kubectl's layout).
    if let Some(limit) = crate::view::fit::limit() {
        let min: Vec<usize> = (0..ncols)
            .map(|i| widths[i].min(lines[0][i].chars().count().max(MIN_WIDTH)))
            .collect();
        crate::view::fit::shrink(&mut widths, &min, PADDING * ncols.saturating_sub(1), limit);
    }
    let mut out = String::new();
    for line in &lines {
        let mut s = String::new();
        for (i, cell) in line.iter().enumerate() {
            let cell = &crate::view::fit::middle(cell, widths[i]);
            if i + 1 == ncols {
                s.push_str(cell);
            } else {
                let w = (widths[i] + PADDING).max(MIN_WIDTH);
                s.push_str(cell);
                s.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        out.push_str(&s);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::printers::{Row, columns};

    fn row(ns: &str, cells: &[&str]) -> Row {
        Row {
            namespace: ns.into(),
            cells: cells.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Layout of `kubectl get pods` (cli-runtime tabwriter: minwidth 6,
    /// padding 3): every column but the last padded to its widest cell + 3.
    #[test]
    fn pods_as_kubectl_lays_them_out() {
        let table = Table {
            columns: columns("Pod", true),
            rows: vec![
                row(
                    "default",
                    &["nginx-7c5ddbdf54-2xkq6", "1/1", "Running", "0", "5m"],
                ),
                row(
                    "kube-system",
                    &["etcd-cp1", "1/1", "Running", "3 (2d ago)", "30d"],
                ),
            ],
        };
        let want = "\
NAME                     READY   STATUS    RESTARTS     AGE
nginx-7c5ddbdf54-2xkq6   1/1     Running   0            5m
etcd-cp1                 1/1     Running   3 (2d ago)   30d
";
        assert_eq!(render(&table, false, false), want);
        let want_a = "\
NAMESPACE     NAME                     READY   STATUS    RESTARTS     AGE
default       nginx-7c5ddbdf54-2xkq6   1/1     Running   0            5m
kube-system   etcd-cp1                 1/1     Running   3 (2d ago)   30d
";
        assert_eq!(render(&table, false, true), want_a);
    }

    /// Narrow columns still take the tab writer's minimum width of 6.
    #[test]
    fn minimum_width_and_wide_columns() {
        let table = Table {
            columns: columns("Lease", true),
            rows: vec![row("kube-system", &["a", "", "1d"])],
        };
        assert_eq!(
            render(&table, false, false),
            "NAME   HOLDER   AGE\na               1d\n"
        );
        let narrow = Table {
            columns: vec![
                Column {
                    name: "IP",
                    wide_only: false,
                },
                Column {
                    name: "AGE",
                    wide_only: false,
                },
            ],
            rows: vec![row("", &["-", "1d"])],
        };
        // max(2 + 3, 6) = 6
        assert_eq!(render(&narrow, false, false), "IP    AGE\n-     1d\n");
        // Rows holding every column's cells lose the wide ones without -o wide.
        let table = Table {
            columns: columns("StatefulSet", true),
            rows: vec![row("default", &["web", "2/2", "3h", "nginx", "nginx:1.25"])],
        };
        assert_eq!(
            render(&table, false, false),
            "NAME   READY   AGE\nweb    2/2     3h\n"
        );
        assert_eq!(
            render(&table, true, false),
            "NAME   READY   AGE   CONTAINERS   IMAGES\nweb    2/2     3h    nginx        nginx:1.25\n"
        );
    }

    /// tableprinter.go cuts a cell at its first line break and adds `...`.
    #[test]
    fn multi_line_cells_are_cut() {
        let table = Table {
            columns: columns("Event", true),
            rows: vec![row(
                "default",
                &["5s", "Warning", "Failed", "pod/web", "first line\nsecond"],
            )],
        };
        assert_eq!(
            render(&table, false, false),
            "LAST SEEN   TYPE      REASON   OBJECT    MESSAGE\n5s          Warning   Failed   pod/web   first line...\n"
        );
        assert_eq!(render(&Table::default(), false, false), "");
    }
}

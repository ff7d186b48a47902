//! Colour on a terminal, never in a pipe: `kinspect` run inside a
//! pseudo-terminal (util-linux `script`, the terminal set to 80 columns)
//! and through a pipe, with `--color auto|always|never` and `NO_COLOR`.

use std::process::Command;

use crate::common;

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");

/// The ANSI SGR prefix every coloured word starts with.
const ESC: &str = "\x1b[";

/// Runs kinspect with `args` with its stdout on a pseudo-terminal of 80
/// columns; returns what the terminal received (with `\r\n` as `\n`) and
/// the exit code.
fn on_tty(args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_kinspect"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    // `script -e` returns the command's exit code; stderr goes to a file so
    // only stdout is on the terminal.
    let shell = format!("stty cols 80 rows 50; {} 2>/dev/null", quoted.join(" "));
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &shell, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    (text, out.status.code().unwrap_or(-1))
}

fn have_script() -> bool {
    common::have_tool("script", "--version")
}

/// `certs check` on the ca-expiry scenario at a fixed time (2026-10-01):
/// the CA and a certificate expired, so there are red words to show.
fn check_args(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["certs", "check", "--at", "2026-10-01T00:00:00Z"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.push(format!("{CERTS}/ca-expiry"));
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn terminal_gets_colour_with_auto() {
    if !have_script() {
        return;
    }
    let args = check_args(&[]);
    let (tty, code) = on_tty(&strs(&args), &[]);
    assert_eq!(code, 1, "{tty}");
    // The expired CA's status and the error severities are red, the warning yellow.
    assert!(tty.contains("\x1b[1;31mexpired\x1b[0m"), "{tty:?}");
    assert!(
        tty.contains("\x1b[1;31merror\x1b[0m  ca.crt: expired"),
        "{tty:?}"
    );
    // What the terminal shows is exactly the piped text.
    // The same layout without colour (the 80-column terminal fits the
    // table: tests/cli/term_fit.rs); uncut (-o wide) it is the piped output.
    let (plain, _) = on_tty(&strs(&args), &[("NO_COLOR", "1")]);
    assert_eq!(strip(&tty), plain);
    let piped = common::kinspect(&args);
    let (wide, _) = on_tty(&strs(&check_args(&["-o", "wide"])), &[]);
    assert_eq!(strip(&wide), piped.stdout);
}

#[test]
fn no_color_and_never_keep_the_terminal_plain() {
    if !have_script() {
        return;
    }
    let args = check_args(&[]);
    let (tty, _) = on_tty(&strs(&args), &[("NO_COLOR", "1")]);
    assert!(!tty.contains(ESC), "NO_COLOR=1: {tty:?}");
    assert!(tty.contains("expired"), "{tty}");
    let args = check_args(&["--color", "never"]);
    let (tty, _) = on_tty(&strs(&args), &[]);
    assert!(!tty.contains(ESC), "--color never: {tty:?}");
    // --color always is the user's explicit word: it wins over NO_COLOR.
    let args = check_args(&["--color", "always"]);
    let (tty, _) = on_tty(&strs(&args), &[("NO_COLOR", "1")]);
    assert!(tty.contains(ESC), "--color always: {tty:?}");
}

#[test]
fn pipes_and_json_are_never_coloured() {
    let run = common::kinspect(&check_args(&[]));
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert!(run.stdout.contains("expired"));
    assert!(
        !run.stdout.contains(ESC),
        "auto into a pipe: {:?}",
        run.stdout
    );
    assert!(!run.stderr.contains(ESC));
    let run = common::kinspect(&check_args(&["--color", "always"]));
    assert!(
        run.stdout.contains("\x1b[1;31mexpired\x1b[0m"),
        "{:?}",
        run.stdout
    );
    let run = common::kinspect(&check_args(&["--color", "always", "-o", "json"]));
    assert_eq!(run.code, Some(1));
    assert!(!run.stdout.contains(ESC), "JSON: {:?}", run.stdout);
    assert_eq!(common::json_lines("json", &run.stdout).len(), 3);
}

/// `doctor` on a terminal: the STATUS column is coloured, nothing else moves
/// (the table shows the same text as in a pipe).
#[test]
fn doctor_status_column_is_coloured_on_a_terminal() {
    if !have_script() {
        return;
    }
    let root = format!("{CERTS}/kubelet-expired-client");
    let args = ["doctor", "--root", &root, "--at", "2026-06-01T00:00:00Z"];
    let (tty, code) = on_tty(&args, &[]);
    let piped = common::kinspect(&args);
    assert_eq!(Some(code), piped.code, "{tty}");
    let (plain, _) = on_tty(&args, &[("NO_COLOR", "1")]);
    assert_eq!(strip(&tty), plain);
    let mut wide = args.to_vec();
    wide.extend(["-o", "wide"]);
    let (wide, _) = on_tty(&wide, &[]);
    assert_eq!(strip(&wide), piped.stdout);
    let status_cells: Vec<String> = tty
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .filter(|w| w.starts_with(ESC))
        .collect();
    assert!(
        status_cells.contains(&"\x1b[1;31mfail\x1b[0m".to_string()),
        "{status_cells:?}\n{tty}"
    );
    assert!(
        status_cells.contains(&"\x1b[32mok\x1b[0m".to_string()),
        "{status_cells:?}"
    );
}

#[test]
fn color_flag_takes_only_its_three_values() {
    let run = common::kinspect(&["certs", "check", "--color", "sometimes", CERTS]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr
            .contains("[possible values: auto, always, never]"),
        "{}",
        run.stderr
    );
}

fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' && it.peek() == Some(&'[') {
            for c in it.by_ref() {
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

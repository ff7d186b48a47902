//! Every ```console block of README.md, README.ko.md and docs/ is run and
//! its output compared, so the documentation cannot drift from what the
//! commands print.
//!
//! A block is `$ COMMAND` lines, each followed by the output it prints
//! (stdout then stderr, as a terminal shows them when both go to it; the
//! blocks show commands whose stderr is empty or redirected). Commands
//! run with `sh -c` from the repository root, with the built `kinspect`
//! first on PATH, NO_COLOR set and TZ=UTC. Examples that need a live
//! cluster are written as ```sh blocks (commands only) and not run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn markdown_files() -> Vec<PathBuf> {
    let mut v = vec![
        PathBuf::from(ROOT).join("README.md"),
        PathBuf::from(ROOT).join("README.ko.md"),
    ];
    let mut stack = vec![PathBuf::from(ROOT).join("docs")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// (line number, command, expected output) of every console example.
fn examples(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<(usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if !in_block {
            if t.trim_start() == "```console" {
                in_block = true;
            }
            continue;
        }
        if t.trim_start() == "```" {
            in_block = false;
            out.extend(current.take());
            continue;
        }
        if let Some(cmd) = t.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some((i + 1, cmd.to_string(), String::new()));
        } else if let Some((_, _, expected)) = current.as_mut() {
            expected.push_str(t);
            expected.push('\n');
        }
    }
    out
}

fn normalise(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}

/// With KINSPECT_BLESS=1 the outputs in the files are rewritten to what
/// the commands print (review the diff before committing);
/// KINSPECT_BLESS_ONLY=TEXT limits that to files whose path contains TEXT.
fn bless(md: &Path, outputs: &[(usize, String)]) {
    let text = std::fs::read_to_string(md).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        out.push(lines[i].to_string());
        if let Some((_, got)) = outputs.iter().find(|(l, _)| *l == i + 1) {
            // Skip the old output: up to the next `$ ` line or the fence.
            let indent = &lines[i][..lines[i].len() - lines[i].trim_start().len()];
            i += 1;
            while i < lines.len()
                && !lines[i].trim_start().starts_with("$ ")
                && lines[i].trim() != "```"
            {
                i += 1;
            }
            for l in normalise(got).lines() {
                out.push(format!("{indent}{l}").trim_end().to_string());
            }
            continue;
        }
        i += 1;
    }
    std::fs::write(md, out.join("\n") + "\n").unwrap();
}

/// Where the docs' examples write: every `/tmp/kinspect-…` path a command
/// names, cut after its first component (`/tmp/kinspect-docs/torn/x.wal`
/// is `/tmp/kinspect-docs`).
fn scratch_paths(cmd: &str) -> Vec<PathBuf> {
    cmd.match_indices("/tmp/kinspect-")
        .map(|(at, _)| {
            let rest = &cmd[at + "/tmp/".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                .unwrap_or(rest.len());
            Path::new("/tmp").join(&rest[..end])
        })
        .collect()
}

/// Removes what the examples wrote (a key among it); returns what it could
/// not remove.
fn remove_scratch_files(paths: &std::collections::BTreeSet<PathBuf>) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| {
            let gone = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            };
            matches!(gone, Err(e) if e.kind() != std::io::ErrorKind::NotFound)
        })
        .cloned()
        .collect()
}

#[test]
fn scratch_paths_are_cut_after_their_first_component() {
    assert_eq!(
        scratch_paths(
            "mkdir -p /tmp/kinspect-docs/torn && cmp /tmp/kinspect-t1.json /tmp/kinspect-t2.json;"
        ),
        [
            PathBuf::from("/tmp/kinspect-docs"),
            PathBuf::from("/tmp/kinspect-t1.json"),
            PathBuf::from("/tmp/kinspect-t2.json")
        ]
    );
    assert!(scratch_paths("kinspect pcap flows captures/x.pcap > /tmp/other").is_empty());
}

#[test]
fn every_console_example_prints_what_it_says() {
    let blessing = std::env::var("KINSPECT_BLESS").is_ok_and(|v| v == "1");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kinspect"));
    let bin_dir = bin.parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut scratch = std::collections::BTreeSet::new();
    for md in markdown_files() {
        let mut outputs = Vec::new();
        let text = std::fs::read_to_string(&md).unwrap();
        let rel = md.strip_prefix(ROOT).unwrap_or(&md).display().to_string();
        for (line, cmd, expected) in examples(&text) {
            scratch.extend(scratch_paths(&cmd));
            let needs_corpus = cmd.contains("../shared/corpus");
            if needs_corpus && !Path::new(ROOT).join("../shared/corpus").is_dir() {
                common::skip(&format!("{rel}:{line} needs ../shared/corpus"));
                continue;
            }
            let out = Command::new("sh")
                .arg("-c")
                .arg(&cmd)
                .current_dir(ROOT)
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .env("TZ", "UTC")
                .env("COLUMNS", "100")
                .output()
                .expect("sh");
            let got = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
            if blessing {
                outputs.push((line, got.clone()));
                continue;
            }
            if normalise(&got) != normalise(&expected) {
                failures.push(format!(
                    "{rel}:{line}: $ {cmd}\n--- the docs say ---\n{expected}--- it prints ---\n{got}"
                ));
            }
        }
        // KINSPECT_BLESS_ONLY=day2 blesses only files whose path has it.
        let only = std::env::var("KINSPECT_BLESS_ONLY").unwrap_or_default();
        if blessing && !outputs.is_empty() && rel.contains(only.as_str()) {
            bless(&md, &outputs);
        }
    }
    let left = remove_scratch_files(&scratch);
    assert!(
        left.is_empty(),
        "could not remove what examples wrote: {left:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} examples drifted:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 10, "only {checked} console examples found");
}

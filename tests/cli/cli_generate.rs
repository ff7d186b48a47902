//! `kinspect completions SHELL` and `kinspect man`, checked with the tools
//! that consume them: bash sources the completion script and completes a
//! word through it; `man -l -` and groff (`-ww`, every warning) read the
//! manual.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common;

/// The visible top-level subcommands, as `kinspect --help` lists them.
fn top_level_commands() -> Vec<String> {
    let run = common::kinspect(&["--help"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in run.stdout.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if line.is_empty() {
                break;
            }
            if let Some(name) = line.split_whitespace().next() {
                if line.starts_with("  ") && !line.starts_with("   ") && name != "help" {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let run = common::kinspect(&["completions", "bash"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let commands = top_level_commands();
    assert!(commands.len() >= 9, "{commands:?}");
    for c in &commands {
        assert!(run.stdout.contains(c.as_str()), "script names {c}");
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kinspect.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    // Let bash itself complete: `kinspect ce<TAB>`, `kinspect certs ch<TAB>`,
    // `kinspect completions <TAB>`.
    let complete = |words: &str, cword: usize| -> String {
        let prog = format!(
            ". {}\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE=\"{words}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
             _kinspect kinspect \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\" | sort\n",
            script.display()
        );
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &prog])
            .output()
            .expect("bash");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(complete("kinspect ce", 1), "certs\n");
    let check = complete("kinspect certs ch", 2);
    assert_eq!(check, "check\n");
    // An empty word offers the shells (and the flags, which start with -).
    let shells = complete("kinspect completions ''", 2);
    let shells: Vec<&str> = shells.lines().filter(|w| !w.starts_with('-')).collect();
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
}

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for (shell, marker) in [
        ("zsh", "#compdef kinspect"),
        ("fish", "complete -c kinspect"),
        ("elvish", "edit:completion:arg-completer[kinspect]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = common::kinspect(&["completions", shell]);
        assert_eq!(run.code, Some(0), "{shell}: {}", run.describe());
        assert!(run.stdout.contains(marker), "{shell}: {marker}");
        for c in ["pcap", "certs", "etcd", "doctor", "completions", "man"] {
            assert!(run.stdout.contains(c), "{shell} script names {c}");
        }
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let run = common::kinspect(&["completions", "tcsh"]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

/// `kinspect man` is one roff stream with a page per command: every page
/// has a `.TH` header and a NAME section, groff reads it without a warning,
/// and `man -l -` renders it.
#[test]
fn man_pages_render_with_man_and_groff() {
    let run = common::kinspect(&["man"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let titles: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(".TH "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(titles[0], "kinspect");
    for c in top_level_commands() {
        let want = format!("kinspect-{c}");
        assert!(titles.contains(&want.as_str()), "{want} in {titles:?}");
    }
    for want in [
        "kinspect-certs-check",
        "kinspect-etcd-status",
        "kinspect-pcap-flows",
    ] {
        assert!(titles.contains(&want), "{want} in {titles:?}");
    }
    assert_eq!(
        run.stdout.matches(".SH NAME").count(),
        titles.len(),
        "one NAME section per page"
    );

    if !common::have_tool("man", "--version") {
        return;
    }
    let render = |program: &str, args: &[&str]| {
        let mut child = Command::new(program)
            .args(args)
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        let mut stdin = child.stdin.take().unwrap();
        let text = run.stdout.clone();
        let feeder = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        out
    };
    let out = render("groff", &["-man", "-Tutf8", "-ww", "-z"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");

    let out = render("man", &["-l", "-"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // man's page header line names each page, e.g. "kinspect-certs-check(1)".
    for want in ["kinspect(1)", "kinspect-certs-check(1)", "kinspect-man(1)"] {
        assert!(text.contains(want), "{want} in the rendered manual");
    }
    assert!(text.contains("Print the manual pages"), "{text}");
}

#[test]
fn man_dir_writes_one_file_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = common::kinspect(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let stdout = common::kinspect(&["man"]).stdout;
    let pages = stdout.lines().filter(|l| l.starts_with(".TH ")).count();
    assert_eq!(files.len(), pages);
    assert!(files.contains(&"kinspect.1".to_string()));
    assert!(files.contains(&"kinspect-certs-verify.1".to_string()));
    assert_eq!(
        run.stderr.trim(),
        format!("{} manual pages written to {}", files.len(), out.display())
    );
    let page = std::fs::read_to_string(out.join("kinspect-certs-verify.1")).unwrap();
    assert!(page.contains(".TH kinspect-certs-verify 1"), "{page}");
}

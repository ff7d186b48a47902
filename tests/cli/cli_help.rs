//! Per-command flags and examples (issue 16, item 4): each leaf command's
//! `--help` lists only the flags that act on it (`lab etcd down` has no
//! `--keylog`, `pcap tls` has it), and every leaf help ends with an
//! "Examples:" block whose lines fit 80 columns.

use clap::CommandFactory;
use kinspect::cli::Cli;

use crate::common;

/// Every leaf command as its path of names (`["pcap", "tls"]`).
fn leaves() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.push(path.clone());
        }
        for s in subs {
            path.push(s.get_name().to_string());
            walk(s, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &mut Vec::new(), &mut out);
    out
}

fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{path:?}: {}", run.describe());
    run.stdout
}

/// Which of the scoped flags a command should offer.
fn expected(path: &[String]) -> (bool, bool, bool, bool) {
    // (--keylog, --decode-as, --at, --warn-days)
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["pcap", _] | ["capture"] => (true, true, false, false),
        ["certs", "check"] | ["certs", "kubelet"] | ["tls", "probe"] => (false, false, true, true),
        ["doctor"] => (true, false, true, true),
        ["certs", "show"] | ["certs", "verify"] => (false, false, true, false),
        _ => (false, false, false, false),
    }
}

fn offers(help: &str, flag: &str) -> bool {
    help.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(&format!("{flag} ")) || l.starts_with(&format!("{flag}=")) || l == flag
    })
}

#[test]
fn each_command_offers_only_its_own_flags() {
    let leaves = leaves();
    assert!(leaves.len() > 30, "{leaves:?}");
    for path in &leaves {
        let h = help(path);
        let (keylog, decode, at, warn) = expected(path);
        assert_eq!(
            offers(&h, "--keylog <FILE>"),
            keylog,
            "{path:?} --keylog:\n{h}"
        );
        assert_eq!(
            offers(&h, "--decode-as <PORT=PROTO>"),
            decode,
            "{path:?} --decode-as:\n{h}"
        );
        // k8s commands have their own --at (the time ages are counted from).
        let at = at || path[0] == "k8s";
        assert_eq!(offers(&h, "--at <TIME>"), at, "{path:?} --at:\n{h}");
        // Reports that lead with problems can show only those.
        let problems = matches!(path.join(" ").as_str(), "certs check" | "doctor");
        assert_eq!(
            offers(&h, "--problems"),
            problems,
            "{path:?} --problems:\n{h}"
        );
        assert_eq!(
            offers(&h, "--warn-days <N>"),
            warn,
            "{path:?} --warn-days:\n{h}"
        );
        // -o and --color stay global.
        assert!(offers(&h, "-o, --output <OUTPUT>"), "{path:?}:\n{h}");
        assert!(offers(&h, "--color <WHEN>"), "{path:?}:\n{h}");
    }
}

#[test]
fn flags_of_other_commands_are_refused() {
    for args in [
        &["lab", "etcd", "down", "--keylog", "/nonexistent"][..],
        &["certs", "show", "--keylog", "k", "a.crt"],
        &["etcd", "get", "/a", "--at", "2031-01-01"],
        &["pcap", "flows", "--warn-days", "3", "x.pcap"],
        &["certs", "verify", "a.crt", "--warn-days", "3"],
    ] {
        assert!(
            Cli::try_parse_from_args(args).is_err(),
            "{args:?} was accepted"
        );
    }
    for args in [
        &["pcap", "tls", "--keylog", "k", "x.pcap"][..],
        &["certs", "check", "--at", "2031-01-01", "--warn-days", "3"],
        &["doctor", "--keylog", "k", "--at", "2031-01-01"],
        &["certs", "show", "--at", "2031-01-01", "a.crt"],
        &["-o", "json", "certs", "check"],
        &["certs", "check", "-o", "json", "--color", "never"],
    ] {
        assert!(
            Cli::try_parse_from_args(args).is_ok(),
            "{args:?} was refused"
        );
    }
}

#[test]
fn every_leaf_help_has_examples_that_fit_80_columns() {
    for path in leaves() {
        let h = help(&path);
        let Some((_, examples)) = h.split_once("Examples:\n") else {
            panic!("{path:?} has no Examples section:\n{h}");
        };
        let lines: Vec<&str> = examples
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .collect();
        assert!(!lines.is_empty(), "{path:?}: empty Examples");
        assert!(
            lines.iter().any(|l| l.contains("kinspect ")),
            "{path:?}: {lines:?}"
        );
        for l in lines {
            assert!(
                l.chars().count() <= 80,
                "{path:?}: example wider than 80:\n{l}"
            );
        }
    }
}

/// `Cli::try_parse_from` with the program name in front.
trait ParseArgs {
    fn try_parse_from_args(args: &[&str]) -> Result<Cli, clap::Error>;
}

impl ParseArgs for Cli {
    fn try_parse_from_args(args: &[&str]) -> Result<Cli, clap::Error> {
        use clap::Parser;
        Cli::try_parse_from(std::iter::once("kinspect").chain(args.iter().copied()))
    }
}

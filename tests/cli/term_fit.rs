//! Human output on a real terminal (issue 16, "tables fit the terminal"):
//! each command runs in a pseudo-terminal of 80 and 120 columns made by
//! util-linux `script` (`stty cols N` sets the window size the kernel reports
//! through TIOCGWINSZ), over the repository's captures, certificate and node
//! fixtures and examples/k8s. Asserted: no line is wider than the terminal
//! (characters on screen: our SGR colour codes stripped), colour appears
//! there and never with NO_COLOR or in a pipe, and piped output is never
//! cut: it equals `-o wide`.

use std::process::Command;

use crate::common;

const BIN: &str = env!("CARGO_BIN_EXE_kinspect");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The commands under test: arguments relative to the repository root.
/// Fixed `--at` times keep the verdicts stable.
const COMMANDS: &[&[&str]] = &[
    &["pcap", "flows", "captures/etcd-3node-leader-kill.pcapng"],
    &["pcap", "events", "captures/etcd-rpc-election.pcapng"],
    &["pcap", "tls", "captures/etcd-tls12-expired-server.pcapng"],
    &["pcap", "rpc", "captures/etcd-rpc-election.pcapng"],
    &["pcap", "election", "captures/etcd-rpc-election.pcapng"],
    &[
        "certs",
        "check",
        "--at",
        "2026-06-01",
        "--root",
        "certs/kubelet-expired-client",
    ],
    &["certs", "check", "--at", "2026-10-01", "certs/ca-expiry"],
    &[
        "certs",
        "show",
        "--at",
        "2026-06-01",
        "certs/healthy/etc/kubernetes/pki/apiserver.crt",
    ],
    &[
        "certs",
        "verify",
        "certs/chain/leaf.crt",
        "--cacert",
        "certs/chain/root.crt",
        "--untrusted",
        "certs/chain/intermediate.crt",
        "--at",
        "2026-06-01",
    ],
    &[
        "doctor",
        "--at",
        "2026-06-01",
        "--root",
        "tests/fixtures/nodes/expired-client-and-wrong-port",
    ],
    &[
        "k8s",
        "get",
        "pods",
        "-A",
        "-f",
        "examples/k8s/cluster.yaml",
        "--at",
        "2026-01-02T00:00:00Z",
    ],
    &[
        "k8s",
        "why",
        "-A",
        "-f",
        "examples/k8s/day2-demo.yaml",
        "--at",
        "2026-01-02T00:00:00Z",
    ],
    &[
        "k8s",
        "lint",
        "examples/k8s/challenge2.yaml",
        "examples/k8s/api.yaml",
        "-f",
        "examples/k8s/day2-demo.yaml",
        "--at",
        "2026-01-02T00:00:00Z",
    ],
];

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs kinspect with `args` on a terminal `cols` wide; its screen output
/// (stdout and stderr, as a terminal shows them) with CR LF made LF.
fn on_terminal(cols: usize, args: &[&str], env: &[(&str, &str)]) -> String {
    let cmd = format!(
        "stty cols {cols} rows 50; exec {} {} 2>/dev/null",
        quote(BIN),
        args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
    );
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"])
        .current_dir(ROOT)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run script");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// The same command into a pipe.
fn piped(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(ROOT)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .output()
        .expect("run kinspect");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `s` without the colour sequences kinspect writes.
fn strip_sgr(s: &str) -> String {
    let mut out = s.to_string();
    for q in ["\x1b[1;31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m"] {
        out = out.replace(q, "");
    }
    out
}

fn have_script() -> bool {
    if common::have_tool("script", "--version") {
        true
    } else {
        common::skip("util-linux `script` not installed: no pseudo-terminal to test in");
        false
    }
}

#[test]
fn every_table_fits_80_and_120_columns() {
    if !have_script() {
        return;
    }
    for cols in [80, 120] {
        for args in COMMANDS {
            let screen = on_terminal(cols, args, &[]);
            let plain = strip_sgr(&screen);
            assert!(
                plain.lines().count() >= 2,
                "{args:?} at {cols}: too little output:\n{screen}"
            );
            assert!(
                !plain.contains('\x1b'),
                "{args:?}: a foreign escape: {screen:?}"
            );
            for line in plain.lines() {
                assert!(
                    line.chars().count() <= cols,
                    "{args:?} at {cols} columns: a line of {}:\n{line}",
                    line.chars().count()
                );
            }
        }
    }
}

#[test]
fn piped_output_is_never_cut_and_equals_wide() {
    for args in COMMANDS {
        if args[..2] == ["k8s", "get"] {
            // `k8s get -o wide` also adds kubectl's wide columns.
            continue;
        }
        let pipe = piped(args);
        let mut wide = args.to_vec();
        wide.extend(["-o", "wide"]);
        assert_eq!(pipe, piped(&wide), "{args:?}");
        assert!(!pipe.contains('\x1b'), "{args:?}: colour in a pipe");
    }
    // And some piped lines are wider than any terminal we test: it was
    // the fitting, not the content, that kept the terminal lines short.
    let flows = piped(COMMANDS[0]);
    assert!(flows.lines().any(|l| l.chars().count() > 120), "{flows}");
}

#[test]
fn wide_on_a_terminal_is_uncut() {
    if !have_script() {
        return;
    }
    let args: &[&str] = &[
        "doctor",
        "--color",
        "never",
        "-o",
        "wide",
        "--at",
        "2026-06-01",
        "--root",
        "tests/fixtures/nodes/expired-client-and-wrong-port",
    ];
    let screen = on_terminal(80, args, &[]);
    assert_eq!(screen, piped(args));
    assert!(screen.lines().any(|l| l.chars().count() > 80), "{screen}");
}

#[test]
fn colour_on_a_terminal_but_not_with_no_color() {
    if !have_script() {
        return;
    }
    let doctor: &[&str] = &[
        "doctor",
        "--at",
        "2026-06-01",
        "--root",
        "tests/fixtures/nodes/expired-client-and-wrong-port",
    ];
    let certs: &[&str] = &[
        "certs",
        "check",
        "--at",
        "2026-06-01",
        "--root",
        "certs/kubelet-expired-client",
    ];
    for args in [doctor, certs] {
        let screen = on_terminal(100, args, &[]);
        // A failure in red (bold) and an ok in green.
        assert!(screen.contains("\x1b[1;31m"), "{args:?}: {screen:?}");
        assert!(screen.contains("\x1b[32mok\x1b[0m"), "{args:?}: {screen:?}");
        let plain = on_terminal(100, args, &[("NO_COLOR", "1")]);
        assert!(!plain.contains('\x1b'), "{args:?} with NO_COLOR: {plain:?}");
        // Same layout, colour aside.
        assert_eq!(strip_sgr(&screen), plain);
    }
}

#[test]
fn narrow_terminal_shortens_cells_in_the_middle() {
    if !have_script() {
        return;
    }
    // certs check at 80 columns: the long kubeadm names keep both ends.
    let screen = strip_sgr(&on_terminal(
        80,
        &[
            "certs",
            "check",
            "--at",
            "2026-06-01",
            "--root",
            "certs/kubelet-expired-client",
        ],
        &[],
    ));
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("apiserver-…") && l.contains("client ")),
        "{screen}"
    );
    // The doctor's fix sits on its own indented line.
    let doctor = strip_sgr(&on_terminal(
        80,
        &[
            "doctor",
            "--at",
            "2026-06-01",
            "--root",
            "tests/fixtures/nodes/expired-client-and-wrong-port",
        ],
        &[],
    ));
    assert!(
        doctor.lines().any(|l| l.starts_with("    fix: ")),
        "{doctor}"
    );
}

//! `--threads 2` and `--threads 3` (files read on a thread of their own,
//! connections tracked beside it: `pcap flows` on one thread with two
//! cores, every other view and every view with three cores on two threads by
//! a hash of their endpoints, outputs merged back in order) must print
//! exactly what `--threads 1` prints: the same bytes in
//! the same order on stdout, the same stderr and the same exit code, for
//! every capture of the third-party corpus (../shared/corpus, read in place)
//! and the repository's own captures, through `pcap flows`, `pcap events
//! -o json`, `pcap tls`, `pcap rpc` and `pcap election -o json`, for several
//! files merged, and where the two tracking threads must act as one: the
//! connection limit reached (one thread hands its connections to the
//! other), idle connections swept, and a pcapng secrets block in the middle
//! of a timeline (both threads stop there while the key log grows).

use std::path::{Path, PathBuf};

use crate::common::{Run, kinspect};

use crate::common;

const VIEWS: &[&[&str]] = &[
    &["flows"],
    &["events", "-o", "json"],
    &["tls"],
    &["rpc"],
    &["election", "-o", "json"],
];

fn run(view: &[&str], threads: &str, files: &[PathBuf]) -> Run {
    run_with(view, &[], threads, files)
}

fn run_with(view: &[&str], extra: &[&str], threads: &str, files: &[PathBuf]) -> Run {
    let mut args: Vec<std::ffi::OsString> = vec!["pcap".into()];
    args.extend(view.iter().map(Into::into));
    args.extend(extra.iter().map(Into::into));
    args.push(format!("--threads={threads}").into());
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    kinspect(&args)
}

/// The run on more threads printed exactly what the one-thread run did.
fn assert_same_run(what: &str, one: &Run, more: &Run, threads: &str) {
    assert!(!one.timed_out && !more.timed_out, "{what}: hung");
    assert_eq!(
        one.stdout,
        more.stdout,
        "{what}: stdout differs between --threads 1 and {threads}\n{}",
        more.describe()
    );
    assert_eq!(
        one.stderr, more.stderr,
        "{what}: stderr differs ({threads})"
    );
    assert_eq!(one.code, more.code, "{what}: exit code differs ({threads})");
}

/// Runs every view both ways on `files`; returns how many runs printed rows.
fn assert_same(what: &str, files: &[PathBuf]) -> usize {
    let mut with_output = 0;
    for view in VIEWS {
        let one = run(view, "1", files);
        for threads in ["2", "3"] {
            let more = run(view, threads, files);
            assert_same_run(&format!("{what} {view:?}"), &one, &more, threads);
        }
        assert_ne!(one.code, Some(101), "{what} {view:?}: panicked");
        if one.stdout.lines().count() > 2 {
            with_output += 1;
        }
    }
    with_output
}

#[test]
fn every_corpus_capture_prints_the_same_on_more_threads() {
    let corpus = require_corpus!();
    let captures = common::captures_under(&corpus, &corpus);
    assert!(
        captures.len() >= 30,
        "corpus has {} captures",
        captures.len()
    );
    let mut with_output = 0;
    for rel in &captures {
        with_output += assert_same(rel, &[corpus.join(rel)]);
    }
    // Most captures give rows: the comparison was not between two empty outputs.
    assert!(
        with_output >= captures.len(),
        "only {with_output} runs printed rows for {} captures",
        captures.len()
    );
}

#[test]
fn repository_captures_alone_and_merged_print_the_same_on_more_threads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("captures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng" || e == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for f in &files {
        assert!(
            assert_same(&f.display().to_string(), std::slice::from_ref(f)) > 0,
            "{}: no view printed rows",
            f.display()
        );
    }
    // One timeline from several files (a capture per node, merged by time).
    let merged = [
        dir.join("etcd-rpc-election.client.pcapng"),
        dir.join("etcd-rpc-election.peer.pcapng"),
        dir.join("etcd-3node-leader-kill.pcapng"),
    ];
    assert!(assert_same("merged", &merged) >= 3);
}

#[test]
fn connection_limit_idle_sweeps_and_secrets_mid_timeline_print_the_same_on_more_threads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let inputs: Vec<(&str, Vec<PathBuf>)> = vec![
        ("rpc-election", vec![dir.join("etcd-rpc-election.pcapng")]),
        (
            "leader-kill + keylog-dsb",
            // The secrets block comes after every leader-kill packet.
            vec![
                dir.join("etcd-3node-leader-kill.pcapng"),
                dir.join("etcd-tls13-keylog-dsb.pcapng"),
            ],
        ),
    ];
    let mut limit_hit = 0;
    let mut idle_changed = 0;
    for (what, files) in &inputs {
        let defaults = [
            run(&["events", "-o", "json"], "1", files).stdout,
            run(&["flows", "-o", "json"], "1", files).stdout,
        ];
        for extra in [
            &["--max-connections", "1"][..],
            &["--max-connections", "3"],
            &["--max-connections", "60"],
            &["--idle-timeout", "10s"],
            &["--idle-timeout", "2s"],
        ] {
            for (v, view) in [&["events", "-o", "json"][..], &["flows", "-o", "json"]]
                .into_iter()
                .enumerate()
            {
                let one = run_with(view, extra, "1", files);
                assert!(one.stdout.lines().count() > 5, "{what} {extra:?} {view:?}");
                for threads in ["2", "3"] {
                    let more = run_with(view, extra, threads, files);
                    let what = format!("{what} {extra:?} {view:?}");
                    assert_same_run(&what, &one, &more, threads);
                }
                if one.stderr.contains("connections were finished early") {
                    limit_hit += 1;
                }
                // Connections finished by an idle sweep come out earlier.
                if extra[0] == "--idle-timeout" && one.stdout != defaults[v] {
                    idle_changed += 1;
                }
            }
        }
    }
    // The limit and the idle sweeps did act (not two runs that never met them).
    assert!(limit_hit >= 4, "limit reached in {limit_hit} runs");
    assert!(idle_changed >= 2, "idle sweeps changed {idle_changed} runs");
}

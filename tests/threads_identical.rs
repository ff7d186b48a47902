//! `--threads 2` (files read on a thread of their own beside connection
//! tracking) must print exactly what `--threads 1` prints: the same bytes in
//! the same order on stdout, the same stderr and the same exit code, for
//! every capture of the third-party corpus (../shared/corpus, read in place)
//! and the repository's own captures, through `pcap flows`, `pcap events
//! -o json`, `pcap tls` and `pcap rpc`, and for several files merged.

mod common;

use std::path::{Path, PathBuf};

use common::{Run, kinspect};

const VIEWS: &[&[&str]] = &[&["flows"], &["events", "-o", "json"], &["tls"], &["rpc"]];

fn run(view: &[&str], threads: &str, files: &[PathBuf]) -> Run {
    let mut args: Vec<std::ffi::OsString> = vec!["pcap".into()];
    args.extend(view.iter().map(Into::into));
    args.push(format!("--threads={threads}").into());
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    kinspect(&args)
}

/// Runs every view both ways on `files`; returns how many runs printed rows.
fn assert_same(what: &str, files: &[PathBuf]) -> usize {
    let mut with_output = 0;
    for view in VIEWS {
        let one = run(view, "1", files);
        let two = run(view, "2", files);
        assert!(!one.timed_out && !two.timed_out, "{what} {view:?}: hung");
        assert_eq!(
            one.stdout,
            two.stdout,
            "{what} {view:?}: stdout differs between --threads 1 and 2\n{}",
            two.describe()
        );
        assert_eq!(one.stderr, two.stderr, "{what} {view:?}: stderr differs");
        assert_eq!(one.code, two.code, "{what} {view:?}: exit code differs");
        assert_ne!(one.code, Some(101), "{what} {view:?}: panicked");
        if one.stdout.lines().count() > 2 {
            with_output += 1;
        }
    }
    with_output
}

#[test]
fn every_corpus_capture_prints_the_same_with_two_threads() {
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
fn repository_captures_alone_and_merged_print_the_same_with_two_threads() {
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
